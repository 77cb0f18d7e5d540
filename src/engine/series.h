/* series.h: the per-image parameters of a sweep or a shot list, worked out (and every shot
 * line checked) when the experiment is resolved. */
#ifndef NBCL_ENGINE_SERIES_H
#define NBCL_ENGINE_SERIES_H

#include "base/error.h"

struct nbcl_experiment;

/* Fill exp->series / series_seeds / nseries from -nimages or -shots (one image otherwise). */
int nbcl_series_resolve(struct nbcl_experiment *exp, nbcl_err *err);
void nbcl_series_free(struct nbcl_experiment *exp);

#endif
