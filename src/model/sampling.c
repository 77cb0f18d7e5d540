/* sampling.c: the second half of sampling setup (after auto-selection): the per-layer and
 * per-phi log lines, the source table and the mosaic domain rotations, in the order and with
 * the random-number consumption of nanoBragg.c. */
#include "model/sampling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"

static void log_thickness_and_phi(const nbcl_sim *sim, nbcl_log *log)
{
    if (!log) return;
    for (int t = 0; t < sim->thicksteps && nbcl_log_listing(log, t, sim->thicksteps, "layers"); ++t)
        nbcl_logf(log, "thick%d = %g um\n", t, sim->thickstep * t * 1e6);
    for (int p = 0; p < sim->phisteps && nbcl_log_listing(log, p, sim->phisteps, "phi steps"); ++p) {
        double phi = sim->phi0 + sim->phistep * p;
        nbcl_logf(log, "phi%d = %g\n", p, phi * RTD);
    }
}

void nbcl_mosaic_umats(nbcl_rng *rng, double spread, int domains, long seed, double *umats)
{
    for (int d = 0; d < domains; ++d)
        nbcl_mosaic_rotation_umat(rng, (float)spread, umats + 9 * d, &seed);
    static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(umats, identity, sizeof identity);
}

/* One random rotation per domain from the mosaic seed; domain 0 is then made the identity
 * (its random draw still happens, as in the reference, so later domains line up). */
static int build_mosaic(const nbcl_config *cfg, nbcl_sim *sim, nbcl_rng *rng, nbcl_log *log,
                        nbcl_err *err)
{
    sim->mosaic_umats = calloc((size_t)sim->mosaic_domains, 9 * sizeof(double));
    if (!sim->mosaic_umats) return nbcl_err_code(err, NBCL_E_NOMEM, "-mosaic_dom %d: out of memory",
                                                 sim->mosaic_domains);
    nbcl_mosaic_umats(rng, sim->mosaic_spread, sim->mosaic_domains, cfg->mosaic_seed,
                      sim->mosaic_umats);
    nbcl_logf(log, "  created a total of %d mosaic domains\n", sim->mosaic_domains);
    return 0;
}

int nbcl_sampling_build(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                        nbcl_rng *rng, nbcl_log *log, nbcl_err *err)
{
    sim->source_dir = sim->source_weight = sim->source_lambda = NULL;
    sim->mosaic_umats = NULL;
    sim->nsources = 0;
    if (sim->mosaic_domains <= 0 || sim->phisteps <= 0 || sim->thicksteps <= 0)
        return nbcl_err_set(err, "sampling: call nbcl_sampling_select before building");
    log_thickness_and_phi(sim, log);
    if (nbcl_sampling_sources(cfg, ld, sim, log, err)) return -1;
    if (build_mosaic(cfg, sim, rng, log, err)) {
        nbcl_sampling_free(sim);
        return -1;
    }
    return 0;
}

int nbcl_sampling_resolve(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                          nbcl_rng *rng, nbcl_log *log, nbcl_err *err)
{
    if (nbcl_sampling_select(cfg, sim, log, err)) return -1;
    return nbcl_sampling_build(cfg, ld, sim, rng, log, err);
}

void nbcl_sampling_free(nbcl_sim *sim)
{
    free(sim->source_dir);
    free(sim->source_weight);
    free(sim->source_lambda);
    free(sim->source_kind);
    free(sim->mosaic_umats);
    sim->source_kind = NULL;
    sim->source_dir = sim->source_weight = sim->source_lambda = NULL;
    sim->mosaic_umats = NULL;
    sim->nsources = 0;
}
