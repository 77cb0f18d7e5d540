/* geometry.h: the host-side setup steps that resolve an nbcl_config into an nbcl_sim
 * (internal to libnbcl; the public entry point is nbcl_sim_resolve in nbcl/sim.h). */
#ifndef NBCL_GEOMETRY_H
#define NBCL_GEOMETRY_H

#include "model/sim.h"
#include "base/rng.h"

/* detector: conventions, rotations, pivot, pix0, beam centres (geometry.c) */
int nbcl_geometry_resolve(const nbcl_config *cfg, nbcl_sim *sim, nbcl_log *log, nbcl_err *err);

/* -roi against the detector's size (geometry.c) */
int nbcl_geometry_roi(const nbcl_config *cfg, nbcl_sim *sim, nbcl_err *err);

/* From pix0 and the axes: the near point, the beam centre, the distances, ORGX/ORGY and the
 * DIALS origin. ratio is the beam's cosine to the detector normal as nanoBragg takes it. */
void nbcl_geometry_derive(nbcl_sim *sim, double ratio);

/* -detector: the panels of a DIALS detector in place of the flat detector (panels.c).
 * nbcl_panels_config loads the file through ld and gives the config the run uses (sensor
 * thickness and attenuation, and the beam's wavelength unless a flag gives one);
 * nbcl_panels_place then puts the panels into the resolved sim and frees det. */
int nbcl_panels_config(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_config *out,
                       nbcl_dxtbx_detector *det, nbcl_log *log, nbcl_err *err);
int nbcl_panels_place(nbcl_dxtbx_detector *det, const nbcl_config *cfg, nbcl_sim *sim,
                      nbcl_log *log, nbcl_err *err);

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
