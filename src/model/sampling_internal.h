/* internal.h: entry points shared between the files of src/sampling, not part of the API. */
#ifndef NBCL_SAMPLING_INTERNAL_H
#define NBCL_SAMPLING_INTERNAL_H

#include "model/sampling.h"

/* Fill sim's source table from cfg->sourcefile or the divergence x dispersion grid. */
int nbcl_sampling_sources(const nbcl_config *cfg, nbcl_sim *sim, FILE *log, nbcl_err *err);

#endif
