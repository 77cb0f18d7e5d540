/* sampling.h: how many phi steps, divergence/dispersion sources, detector layers and mosaic
 * domains a run integrates over, resolved from the user's partial choices with nanoBragg.c's
 * auto-selection rules, plus the source table and the mosaic rotation matrices.
 *
 * Config conventions read here (the reference's sentinels): counts -1 = not given (any other
 * count <= 0 is rejected); osc, phistep, hdiv*, vdiv*, dispstep, detector_thickstep,
 * detector_mu, mosaic_spread < 0 = not given; dispersion and detector_thick default 0.
 * NAN is accepted as "not given" for every one of these. */
#ifndef NBCL_SAMPLING_H
#define NBCL_SAMPLING_H

#include <stdio.h>
#include "model/config.h"
#include "base/error.h"
#include "base/rng.h"
#include "model/loaders.h"
#include "model/sim.h"

/* Stage 1: auto-select phi, divergence, dispersion, thickness and mosaic sampling, then the
 * reference's sanity resets. Fills sim->phisteps/phi0/phistep/osc, h/vdiv*, dispersion,
 * dispstep, dispsteps, thicksteps/thick/thickstep/mu, mosaic_domains/mosaic_spread.
 * Prints the reference's WARNING lines to log (may be NULL); the reference prints these before
 * "... convention selected.". */
int nbcl_sampling_select(const nbcl_config *cfg, nbcl_sim *sim, nbcl_log *log, nbcl_err *err);

/* Stage 2 (after stage 1): prints thickN and phiN lines, builds the sources (cfg->sourcefile
 * or the divergence x dispersion grid) and the mosaic matrices with cfg->mosaic_seed through
 * the shared rng. Needs sim->beam, polar_vector, vert_vector, lambda0. Allocates
 * sim->source_dir/source_weight/source_lambda and sim->mosaic_umats (free with
 * nbcl_sampling_free). On failure nothing stays allocated. */
int nbcl_sampling_build(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                        nbcl_rng *rng, nbcl_log *log, nbcl_err *err);

/* Both stages in order. */
int nbcl_sampling_resolve(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                          nbcl_rng *rng, nbcl_log *log, nbcl_err *err);

/* Fill sim's source table from cfg->sourcefile (through ld) or the divergence x dispersion
 * grid (used by nbcl_sampling_build). */
int nbcl_sampling_sources(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                          nbcl_log *log, nbcl_err *err);

/* Sources from source-file rows (5 columns each: X Y Z weight lambda, NAN = not given):
 * missing columns take position -10 m * beam, weight 1, lambda0. Positions are returned as
 * given (not unitized). *pos gets 3 per source, *weight and *lambda 1 per source (malloc'd). */
int nbcl_sources_from_rows(const double *rows, int count, const double beam[3], double lambda0,
                           double **pos, double **weight, double **lambda, int **kind, nbcl_err *err);

/* Every source's wavelength for sim->lambda0 as it is now, by the rule that chose it
 * (sim->source_kind): a dispersion step, the run's wavelength, or the file's value. */
void nbcl_source_lambdas(const nbcl_sim *sim, double *out);

/* The mosaic domains' rotations (9 per domain) from a seed as the config stores it (negated):
 * one random rotation per domain, then domain 0 made the identity (its draw still happens,
 * as in the reference, so later domains line up). */
void nbcl_mosaic_umats(nbcl_rng *rng, double spread, int domains, long seed, double *umats);

/* Free (and NULL) the tables nbcl_sampling_build allocated. */
void nbcl_sampling_free(nbcl_sim *sim);

#endif
