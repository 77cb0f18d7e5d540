/* select.c: turn the user's partial sampling choices (any of count, range, step for phi,
 * divergence, dispersion and detector thickness; spread and domain count for mosaicity)
 * into complete ones, rule for rule as nanoBragg.c does, including its later sanity resets
 * and the warnings it prints. */
#include "model/sampling.h"

#include <math.h>

#include "base/constants.h"

/* A value the user may leave out; NAN also means "left out". */
static double given_or(double v, double fallback)
{
    return isnan(v) ? fallback : v;
}

/* Counts: -1 means "not given"; any other value must be positive. */
static int check_count(int n, const char *flag, nbcl_err *err)
{
    if (n == -1 || n > 0) return 0;
    return nbcl_err_set(err, "%s: must be a positive integer (got %d)", flag, n);
}

static int check_counts(const nbcl_config *cfg, nbcl_err *err)
{
    if (check_count(cfg->phisteps, "-phisteps", err)) return -1;
    if (check_count(cfg->hdivsteps, "-hdivsteps", err)) return -1;
    if (check_count(cfg->vdivsteps, "-vdivsteps", err)) return -1;
    if (check_count(cfg->dispsteps, "-dispsteps", err)) return -1;
    if (check_count(cfg->detector_thicksteps, "-thicksteps", err)) return -1;
    if (check_count(cfg->mosaic_domains, "-mosaic_dom", err)) return -1;
    return 0;
}

/* Phi: steps < 0 means "choose"; a user count with no osc gives a 1-degree default range. */
static void select_phi(nbcl_sim *sim)
{
    if (sim->phisteps < 0) {
        if (sim->osc < 0.0) {
            if (sim->phistep <= 0.0) {
                sim->phisteps = 1;
                sim->osc = 0.0;
                sim->phistep = 0.0;
            } else {
                sim->osc = sim->phistep;
                sim->phisteps = 2;
            }
        } else if (sim->phistep <= 0.0) {
            sim->phisteps = 2;
            sim->phistep = sim->osc / 2.0;
        } else {
            sim->phisteps = (int)ceil(sim->osc / sim->phistep);
        }
        return;
    }
    if (sim->phisteps == 0) sim->phisteps = 1;
    if (sim->osc < 0.0) {
        if (sim->phistep <= 0.0) {
            sim->osc = 1.0 / RTD;
            sim->phistep = sim->osc / sim->phisteps;
        } else {
            sim->osc = sim->phistep;
            sim->phisteps = 2;
        }
    } else if (sim->phistep < 0.0) {
        sim->phistep = sim->osc / sim->phisteps;
    }
}

/* One sampled axis (divergence, dispersion or thickness) with the reference's rules.
 * nominal: range used when only a count is given. thickness: the reference's thickness rule
 * for "range only" uses two steps of half the range, the others one step of the whole. */
static void select_axis(int *steps, double *range, double *step, double nominal, int thickness)
{
    if (*steps <= 0) {
        if (*range < 0.0) {
            if (*step <= 0.0) {
                *steps = 1;
                *range = 0.0;
                *step = 0.0;
            } else {
                *range = *step;
                *steps = 2;
            }
        } else if (*step <= 0.0) {
            *steps = 2;
            *step = thickness ? *range / *steps : *range;
        } else {
            *steps = (int)ceil(*range / *step);
        }
        return;
    }
    if (*range < 0.0) {
        if (*step <= 0.0) {
            *range = nominal;
            *step = *range / *steps;
        } else {
            *range = *step;
            *steps = 2;
        }
    } else if (*step <= 0.0) {
        if (*steps <= 1) *steps = 2;
        *step = *range / (*steps - 1);
    }
}

/* Mosaic domains: 10 by default for a finite spread, 1 when there is no spread. */
static void select_mosaic(nbcl_sim *sim, nbcl_log *log)
{
    if (sim->mosaic_domains <= 0) {
        if (sim->mosaic_spread < 0.0) {
            sim->mosaic_domains = 1;
            sim->mosaic_spread = 0.0;
        } else if (sim->mosaic_spread == 0.0) {
            sim->mosaic_domains = 1;
        } else {
            if (log)
                nbcl_logf(log, "WARNING: finite mosaicity with only one domain! "
                             "upping to 10 mosaic domains\n");
            sim->mosaic_domains = 10;
        }
    } else if (sim->mosaic_spread < 0.0) {
        nbcl_logf(log, "WARNING: no mosaic spread specified.  setting mosaic_domains = 1\n");
        sim->mosaic_spread = 0.0;
        sim->mosaic_domains = 1;
    } else if (sim->mosaic_spread == 0.0) {
        if (log)
            nbcl_logf(log, "WARNING: zero mosaic spread specified.  setting mosaic_domains = 1\n");
        sim->mosaic_domains = 1;
    }
}

/* The reference's final check: anything without a positive range, step and count is off. */
static void sanity_reset(int *steps, double *range, double *step)
{
    if (*range <= 0.0 || *step <= 0.0 || *steps <= 0) {
        *steps = 1;
        *range = 0.0;
        *step = 0.0;
    }
}

/* Copy the user's values, mapping NAN to the reference's own "not given" defaults. */
static void load_choices(const nbcl_config *cfg, nbcl_sim *sim)
{
    sim->phisteps = cfg->phisteps;
    sim->phi0 = given_or(cfg->phi0, 0.0);
    sim->osc = given_or(cfg->osc, -1.0);
    sim->phistep = given_or(cfg->phistep, -1.0);
    sim->hdivsteps = cfg->hdivsteps;
    sim->hdivrange = given_or(cfg->hdivrange, -1.0);
    sim->hdivstep = given_or(cfg->hdivstep, -1.0);
    sim->vdivsteps = cfg->vdivsteps;
    sim->vdivrange = given_or(cfg->vdivrange, -1.0);
    sim->vdivstep = given_or(cfg->vdivstep, -1.0);
    sim->dispsteps = cfg->dispsteps;
    sim->dispersion = given_or(cfg->dispersion, 0.0);
    sim->dispstep = given_or(cfg->dispstep, -1.0);
    sim->thicksteps = cfg->detector_thicksteps;
    sim->thick = given_or(cfg->detector_thick, 0.0);
    sim->thickstep = given_or(cfg->detector_thickstep, -1.0);
    sim->mu = given_or(cfg->detector_mu, -1.0);
    sim->mosaic_domains = cfg->mosaic_domains;
    sim->mosaic_spread = given_or(cfg->mosaic_spread, -1.0);
}

int nbcl_sampling_select(const nbcl_config *cfg, nbcl_sim *sim, nbcl_log *log, nbcl_err *err)
{
    if (check_counts(cfg, err)) return -1;
    load_choices(cfg, sim);

    select_phi(sim);
    select_axis(&sim->hdivsteps, &sim->hdivrange, &sim->hdivstep, 1.0, 0);
    select_axis(&sim->vdivsteps, &sim->vdivrange, &sim->vdivstep, 1.0, 0);
    select_axis(&sim->dispsteps, &sim->dispersion, &sim->dispstep, 1.0, 0);
    select_axis(&sim->thicksteps, &sim->thick, &sim->thickstep, 0.5e-6, 1);
    if (sim->thick > 0.0 && sim->mu < 0.0) {
        /* no attenuation length given: use the sensor thickness */
        sim->mu = 1.0 / sim->thick;
        nbcl_logf(log, "WARNING: setting detector attenuation depth to %g m\n", sim->mu);
    }
    select_mosaic(sim, log);

    sanity_reset(&sim->hdivsteps, &sim->hdivrange, &sim->hdivstep);
    sanity_reset(&sim->vdivsteps, &sim->vdivrange, &sim->vdivstep);
    sanity_reset(&sim->dispsteps, &sim->dispersion, &sim->dispstep);
    sanity_reset(&sim->thicksteps, &sim->thick, &sim->thickstep);
    return 0;
}
