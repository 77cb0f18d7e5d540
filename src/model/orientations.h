/* orientations.h: every crystal orientation a run sums over (phi steps x mosaic domains),
 * computed once per image on the host so the kernels only read them, and the per-image
 * changes of a resolved simulation (rotation, misset, crystal size, fluence). */
#ifndef NBCL_MODEL_ORIENTATIONS_H
#define NBCL_MODEL_ORIENTATIONS_H

#include "nbcl/nbcl.h"
#include "base/error.h"
#include "model/sim.h"

/* The crystal vectors a,b,c (m) for every phi step and mosaic domain, phi outermost:
 * 9 doubles per orientation, malloc'd (NULL when out of memory or the count overflows). */
double *nbcl_crystal_orientations(const nbcl_sim *sim, int *count);

/* How many orientations that table holds (phi steps x mosaic domains); nonzero when there
 * are none or too many to index. */
int nbcl_orientation_count(const nbcl_sim *sim, int *count);

/* One of them: phi step p, mosaic domain m (the same arithmetic as the table). */
void nbcl_crystal_orientation(const nbcl_sim *sim, int p, int m, double abc[9]);

/* image = base with the per-image parameters p applied (NULL p: base as it is). image
 * shares base's tables (do not free it); its crystal vectors, phi, N and fluence are its
 * own; new mosaic domains (p->set_mosaic_seed) go into umat_scratch (9 per domain) and new
 * source wavelengths (p->lambda_A) into lambda_scratch (one per source); either may be
 * NULL when no image asks for it. Angles in degrees as in the public API. */
int nbcl_sim_for_image(const nbcl_sim *base, const nbcl_image_params *p, nbcl_sim *image,
                       double *umat_scratch, double *lambda_scratch, nbcl_err *err);

#endif
