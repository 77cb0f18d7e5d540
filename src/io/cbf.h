/* cbf.h: Pilatus-style miniCBF images (libcbf, byte-offset compression) that XDS, DIALS
 * (dxtbx's miniCBF formats) and fabio read, with the header keys they use.
 * Geometry follows dxtbx's reading of a miniCBF: in its laboratory frame (beam travelling
 * along -z, goniometer axis +x) the detector's fast axis is +x, its slow axis -y, and the
 * corner of pixel (0,0) lies at (-beam_x*pixel, +beam_y*pixel, -distance) mm. The caller
 * turns the simulation's geometry into these numbers (and refuses geometries a miniCBF
 * cannot state). */
#ifndef NBCL_IO_CBF_H
#define NBCL_IO_CBF_H

#include <stdint.h>
#include "base/error.h"

typedef struct nbcl_cbf_meta {
    int fast, slow;                 /* pixels */
    double pixel_mm;                /* square pixels */
    double distance_mm;             /* sample to detector plane, along its normal */
    double beam_x_px, beam_y_px;    /* "Beam_xy": see the top comment */
    double wavelength_A;
    double exposure_s;              /* Exposure_time and Exposure_period */
    double start_angle_deg;         /* Start_angle (and Phi/Omega as XDS wants them) */
    double angle_increment_deg;     /* Angle_increment (the image's oscillation range) */
    double sensor_thickness_mm;     /* Silicon sensor, thickness */
    int count_cutoff;               /* Count_cutoff: counts at or above are overloads */
} nbcl_cbf_meta;

/* Write counts (fast*slow values, slow index outermost) with the header of m, to a
 * temporary name renamed over path when complete. */
int nbcl_cbf_write(const char *path, const nbcl_cbf_meta *m, const int32_t *counts, nbcl_err *err);

/* Read back what nbcl_cbf_write wrote (for tests and tools): the header values it states
 * and the pixels (*counts malloc'd). */
int nbcl_cbf_read(const char *path, nbcl_cbf_meta *m, int32_t **counts, nbcl_err *err);

#endif
