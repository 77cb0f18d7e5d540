/* geometry.h: the host-side setup steps that resolve an nbcl_config into an nbcl_sim
 * (internal to libnbcl; the public entry point is nbcl_sim_resolve in nbcl/sim.h). */
#ifndef NBCL_GEOMETRY_H
#define NBCL_GEOMETRY_H

#include "model/sim.h"
#include "base/rng.h"

/* detector: conventions, rotations, pivot, pix0, beam centres (geometry.c) */
int nbcl_geometry_resolve(const nbcl_config *cfg, nbcl_sim *sim, nbcl_log *log, nbcl_err *err);

/* crystal: cell or A matrix, misset, real and reciprocal vectors, N (crystal.c).
 * sample_size is the crystal size in m per axis (0: use N). */
int nbcl_crystal_resolve(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim, const double sample_size[3],
                         nbcl_rng *rng, nbcl_log *log, nbcl_err *err);

/* A MOSFLM A matrix (row-major, as in the file) to the reciprocal axes (1/Angstrom): its
 * columns divided by the wavelength (m). Nonzero when a column is zero. */
int nbcl_matrix_reciprocal(const double m[9], double lambda0, double as[3], double bs[3],
                           double cs[3]);

/* Orient the crystal: the base axes turned by misset (radians, rotations about x, y, z; NULL:
 * none) then by umat (row-major; NULL: none), then the real and reciprocal vectors,
 * cell and volume rebuilt as the reference does. Logs the cell when log is not NULL. */
int nbcl_crystal_orient(nbcl_sim *sim, const double misset[3], const double *umat, nbcl_log *log,
                        nbcl_err *err);

#endif
