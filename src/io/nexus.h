/* nexus.h: a whole image series as one HDF5 file in the NXmx application definition
 * (libhdf5), which DIALS (dxtbx's NXmx format) and h5py read. Images are appended one at a
 * time (one chunk per image, shuffle+deflate, or bitshuffle/LZ4 when that HDF5 filter
 * plugin is available), so memory stays one image
 * whatever the series length; the file is written under a temporary name and renamed when
 * closed, and removed if the series is abandoned.
 *
 * Geometry is given in the NeXus (McStas) laboratory frame: the beam travels along +z, y is
 * up; all vectors are unit vectors, lengths in mm, angles in degrees. Pixel (f, s) (f fast,
 * s slow, from 0) has its centre at origin + (f + 0.5)*pixel*fast_axis +
 * (s + 0.5)*pixel*slow_axis: origin is the outer corner of pixel (0, 0), as the simulation
 * uses it. */
#ifndef NBCL_IO_NEXUS_H
#define NBCL_IO_NEXUS_H

#include <stdint.h>
#include "base/error.h"

/* One module of a detector of several panels (McStas frame, mm). */
typedef struct nbcl_nexus_panel {
    double fast_axis[3], slow_axis[3];
    double origin_mm[3];              /* outer corner of the module's pixel (0, 0) */
} nbcl_nexus_panel;

typedef struct nbcl_nexus_geometry {
    int fast, slow;                   /* pixels (of one module) */
    int npanels;                      /* > 1: panels[] are the modules, stacked along slow in
                                         each image in this order; the axes and origin
                                         below are then panel 0's */
    const nbcl_nexus_panel *panels;   /* borrowed for the length of nbcl_nexus_open */
    double pixel_mm;                  /* square pixels */
    double fast_axis[3], slow_axis[3];
    double origin_mm[3];              /* outer corner of pixel (0, 0) */
    double rotation_axis[3];          /* goniometer axis; the crystal turns right-handed about it */
    double wavelength_A;
    double exposure_s;                /* count_time and frame_time */
    double sensor_thickness_mm;       /* silicon; 0 = not stated */
    int saturation_value;             /* counts at or above are overloads */
} nbcl_nexus_geometry;

typedef struct nbcl_nexus nbcl_nexus;

/* Create the file (under a temporary name) for a series of fast*slow int32 images (times
 * npanels: one NXdetector_module per panel, module_<i>, each with data_origin and
 * data_size in the stacked image and its own module_offset depending on the detector's
 * translation, the way DIALS reads multi-module NXmx).
 * expected_images is a hint for the chunk index (0 = unknown). */
int nbcl_nexus_open(const char *path, const nbcl_nexus_geometry *g, int expected_images,
                    nbcl_nexus **out, nbcl_err *err);

/* Append one image: counts (fast*slow values, slow index outermost), the rotation angle at
 * its start and its range (degrees). umat (9 values, row-major, may be NULL) is the crystal's
 * UB matrix for this image (a*, b*, c* as columns, 1/Angstrom, McStas frame), stored per
 * image as /entry/sample/ub_matrix. */
int nbcl_nexus_append(nbcl_nexus *nx, const int32_t *counts, double angle_start_deg,
                      double angle_range_deg, const double *umat, nbcl_err *err);

/* Finish the per-image datasets, close and rename into place. nx is freed either way. */
int nbcl_nexus_close(nbcl_nexus *nx, nbcl_err *err);

/* Give up: close and remove the temporary file; nx is freed. NULL is fine. */
void nbcl_nexus_abort(nbcl_nexus *nx);

/* The image compression chosen at open: "bitshuffle/lz4" (HDF5 filter 32008, when its
 * plugin loads) or "shuffle+deflate" (built into every HDF5). Valid until close/abort. */
const char *nbcl_nexus_compression(const nbcl_nexus *nx);

#endif
