/* engine.h: running a resolved simulation on OpenCL devices.
 * Builds the lattice-factor and scaling kernels for the run's precision and options,
 * uploads the run's tables once per device (sources, crystal orientations, HKL grid) and
 * streams the detector through them tile by tile. */
#ifndef NBCL_ENGINE_H
#define NBCL_ENGINE_H

#include "device/device.h"
#include "base/error.h"
#include "model/sim.h"

typedef struct nbcl_engine_opts {
    int use_double;
    int tile;                         /* 0: automatic */
    int progress;                     /* 0: none */
    const unsigned short *mask;       /* full detector, 0 = skip; may be NULL */
    int printout;                     /* keep the per-pixel values -printout reports */
} nbcl_engine_opts;

/* the per-pixel values kept for -printout, in this order */
enum nbcl_printout_value {
    NBCL_PO_I, NBCL_PO_POLAR, NBCL_PO_OMEGA, NBCL_PO_CAPTURE, NBCL_PO_STOL,
    NBCL_PO_POS_X, NBCL_PO_POS_Y, NBCL_PO_POS_Z, NBCL_PO_H, NBCL_PO_K, NBCL_PO_L,
    NBCL_PO_F_CELL, NBCL_PO_F_LATT, NBCL_PRINTOUT_VALUES
};

typedef struct nbcl_engine_result {
    float *image;                     /* fpixels*spixels photons per pixel (caller frees) */
    double omega_sum;                 /* sum of the solid angles of every sub-pixel */
    int interpolation_fallback;       /* an interpolation neighbourhood left the HKL grid */
    double *printout;                 /* with opts.printout: NBCL_PRINTOUT_VALUES planes of
                                         fpixels*spixels values (caller frees) */
} nbcl_engine_result;

int nbcl_engine_run(const nbcl_sim *sim, const nbcl_device_info *devices, int ndevices,
                    const nbcl_engine_opts *opts, nbcl_engine_result *out, nbcl_err *err);

/* The crystal vectors a,b,c (m) for every phi step and mosaic domain, phi outermost:
 * 9 doubles per orientation, malloc'd. */
double *nbcl_crystal_orientations(const nbcl_sim *sim, int *count);

#endif
