/* experiment.h: what the public handles hold, and the helpers every public entry point uses
 * to turn an internal nbcl_err into an nbcl_status plus nbcl_last_error(). */
#ifndef NBCL_ENGINE_EXPERIMENT_H
#define NBCL_ENGINE_EXPERIMENT_H

#include "nbcl/nbcl.h"
#include "base/error.h"
#include "base/log.h"
#include "base/rng.h"
#include "engine/setup.h"
#include "model/config.h"
#include "model/sim.h"

struct nbcl_experiment {
    nbcl_config cfg;             /* points into args */
    char **args;                 /* copies of the argument vector, program name first */
    int nargs;
    nbcl_setup_files files;      /* -mask pixels, a table handed in */
    nbcl_log log;
    nbcl_request request;
    int resolved;
    nbcl_sim sim;                /* once resolved */
    nbcl_rng rng;                /* the generator after setup (misset, mosaic) */
    nbcl_image_params *series;   /* once resolved: the parameters of every image */
    long *series_seeds;          /* and its noise seed (as -seed takes it) */
    int nseries;
};

/* Record err's message as this thread's last error; returns err->code, or fallback. */
nbcl_status nbcl_api_fail(const nbcl_err *err, nbcl_status fallback);
/* The same for a message of our own (NBCL_E_INVALID) and for an allocation that failed. */
nbcl_status nbcl_api_invalid(const char *msg);
nbcl_status nbcl_api_state(const char *msg);   /* a call out of order (NBCL_E_STATE) */
nbcl_status nbcl_api_nomem(const char *call);

#endif
