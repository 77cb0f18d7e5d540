/* geometry.h: the host-side setup steps that resolve an nbcl_config into an nbcl_sim
 * (internal to libnbcl; the public entry point is nbcl_sim_resolve in nbcl/sim.h). */
#ifndef NBCL_GEOMETRY_H
#define NBCL_GEOMETRY_H

#include <stdio.h>
#include "model/sim.h"
#include "base/rng.h"

/* detector: conventions, rotations, pivot, pix0, beam centres (geometry.c) */
int nbcl_geometry_resolve(const nbcl_config *cfg, nbcl_sim *sim, FILE *log, nbcl_err *err);

/* crystal: cell or A matrix, misset, real and reciprocal vectors, N (crystal.c).
 * sample_size is the crystal size in m per axis (0: use N). */
int nbcl_crystal_resolve(const nbcl_config *cfg, nbcl_sim *sim, const double sample_size[3],
                         nbcl_rng *rng, FILE *log, nbcl_err *err);

#endif
