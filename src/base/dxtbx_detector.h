/* dxtbx_detector.h: a detector (and beam) as a DIALS experiment list describes it.
 * io/expt.c reads it from a .expt file; the model (model/panels.c) turns it into
 * nanoBragg's frame and units. Kept here, below both, because both need the layout.
 * Frame and units are dxtbx's: lab frame with the beam along -z, lengths in mm, every
 * panel's axes and origin already composed through the detector hierarchy (global). */
#ifndef NBCL_BASE_DXTBX_DETECTOR_H
#define NBCL_BASE_DXTBX_DETECTOR_H

#define NBCL_PANEL_NAME 64

typedef struct nbcl_dxtbx_panel {
    char name[NBCL_PANEL_NAME];
    int size[2];                 /* image_size: fast, slow pixels */
    double pixel_mm[2];          /* pixel_size: fast, slow (mm) */
    double fast[3], slow[3];     /* unit axes */
    double origin_mm[3];         /* outer corner of pixel (0,0) */
    double thickness_mm;         /* sensor thickness, 0 = not stated */
    double mu_per_mm;            /* attenuation coefficient (1/mm), 0 = not stated */
} nbcl_dxtbx_panel;

typedef struct nbcl_dxtbx_detector {
    int npanels;
    nbcl_dxtbx_panel *panels;
    int have_beam;               /* the file holds a beam */
    double wavelength_A;
    double direction[3];         /* dxtbx's beam direction: from the sample toward the source */
} nbcl_dxtbx_detector;

#endif
