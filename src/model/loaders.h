/* loaders.h: how the model gets the tables that live in files without touching a file.
 * The model asks for each table at the point of its setup where nanoBragg reads it (so the
 * setup log keeps nanoBragg's order); the layer above supplies the readers. A NULL loader,
 * or NULL loaders, means "no such file": a run that names one is then an error. */
#ifndef NBCL_MODEL_LOADERS_H
#define NBCL_MODEL_LOADERS_H

#include "base/dxtbx_detector.h"
#include "base/error.h"
#include "base/hkl_grid.h"
#include "base/log.h"
#include "model/config.h"

typedef struct nbcl_model_loaders {
    void *user;
    /* The structure factors the config names (-hkl, else an existing dump file); an empty
     * table (hkls == 0, F == NULL) when there is none. The model owns *out afterwards. */
    int (*structure_factors)(void *user, const nbcl_config *cfg, nbcl_hkl *out, nbcl_log *log,
                             nbcl_err *err);
    /* cfg->matfile: the A matrix, row-major, as written. */
    int (*matrix)(void *user, const nbcl_config *cfg, double m[9], nbcl_log *log, nbcl_err *err);
    /* cfg->sourcefile: 5 columns per source (X Y Z weight lambda, NAN = not given). The model
     * frees *rows. */
    int (*sources)(void *user, const nbcl_config *cfg, double **rows, int *count, nbcl_err *err);
    /* cfg->detectorfile: the detector (and beam) of a DIALS experiment list. The model frees
     * out->panels. */
    int (*detector)(void *user, const nbcl_config *cfg, nbcl_dxtbx_detector *out, nbcl_log *log,
                    nbcl_err *err);
    /* cfg->stolfile: the amorphous scattering table, *rows values of the scattering variable
     * as written (increasing) and of F each. The model frees *x and *F. */
    int (*stol_table)(void *user, const nbcl_config *cfg, double **x, double **F, int *rows,
                      nbcl_err *err);
} nbcl_model_loaders;

#endif
