/* handle.h: what a public nbcl_engine holds: its own copy of the resolved experiment, the
 * persistent core, and what the last image left behind for the file helpers (its geometry
 * for headers, and with pixel details kept, the per-pixel values). */
#ifndef NBCL_ENGINE_HANDLE_H
#define NBCL_ENGINE_HANDLE_H

#include "nbcl/nbcl.h"
#include "base/log.h"
#include "base/rng.h"
#include "engine/engine.h"
#include "model/image_stats.h"
#include "model/sim.h"

struct nbcl_engine {
    nbcl_core *core;
    nbcl_sim sim;                 /* the experiment as resolved (own copy) */
    int have_sim;
    nbcl_sim core_sim;            /* what the core simulates: sim, with the ROI narrowed to
                                     the engine's band of rows (shares sim's tables) */
    nbcl_sim image_sim;           /* the last image's values (shares sim's tables) */
    nbcl_rng rng;                 /* the generator after setup: each noise image starts here */
    nbcl_log log;
    unsigned short *mask;         /* own copy, NULL without -mask */
    size_t npix;
    int use_double, keep_details, ran;
    nbcl_run_info info;
    double create_seconds;        /* nbcl_engine_create, from resolving to the tables */
    double pick_seconds;          /* of which: the platforms and devices found and chosen */
    double prepare_seconds;       /* the last run: its orientations and parameters */
    double check_seconds;         /* the last run: checks and copies after the core */
    const double *printout;       /* PO_COUNT planes (the core's), with pixel details */
    float *last_image;            /* copy of the last image, with pixel details */
    double *umat_scratch;         /* mosaic domains of an image with its own mosaic seed */
    double *lambda_scratch;       /* source wavelengths of an image with its own wavelength */
    /* the run in progress, as its rows are finished (the core's rows thread) */
    float *run_image;
    nbcl_stats_acc stats_acc;     /* nanoBragg's statistics, gathered row by row */
    nbcl_image_stats stats;       /* the last run's (nbcl_engine_run_stats) */
    nbcl_rows_fn rows_fn;         /* the caller's (nbcl_engine_set_rows_callback), or NULL */
    void *rows_user;
    double rows_seconds;          /* the last run: host work on finished rows */
};

#endif
