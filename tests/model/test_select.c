/* test_select.c: every auto-selection rule of nanoBragg.c for phi, divergence, dispersion,
 * detector thickness and mosaic domains, the later sanity resets, the warnings, and the
 * rejection of non-positive counts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/sampling.h"
#include "../support/test_log.h"

#define RTD (180.0 * M_1_PI)

static nbcl_config cfg;
static nbcl_sim sim;
static char *logtext;
static size_t loglen;

static void setup(void)
{
    nbcl_config_defaults(&cfg);
    memset(&sim, 0, sizeof sim);
    free(logtext);
    logtext = NULL;
}

static void teardown(void)
{
    free(logtext);
    logtext = NULL;
}

/* Run stage 1 and keep what it logged. */
static int run_select(void)
{
    nbcl_err err = {0};
    free(logtext);
    FILE *log = open_memstream(&logtext, &loglen);
    nbcl_log L = test_log_to(log);
    int rc = nbcl_sampling_select(&cfg, &sim, &L, &err);
    nbcl_log_flush(&L);
    fclose(log);
    return rc;
}

static void expect_axis(int steps, double range, double step, int want_steps, double want_range,
                        double want_step)
{
    cr_expect_eq(steps, want_steps, "steps %d want %d", steps, want_steps);
    cr_expect_eq(range, want_range, "range %.17g want %.17g", range, want_range);
    cr_expect_eq(step, want_step, "step %.17g want %.17g", step, want_step);
}

TestSuite(select, .init = setup, .fini = teardown);

Test(select, defaults_give_single_samples)
{
    cr_assert_eq(run_select(), 0);
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 1, 0.0, 0.0);
    cr_expect_eq(sim.phi0, 0.0);
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 1, 0.0, 0.0);
    expect_axis(sim.vdivsteps, sim.vdivrange, sim.vdivstep, 1, 0.0, 0.0);
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 1, 0.0, 0.0);
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 1, 0.0, 0.0);
    cr_expect_eq(sim.mu, -1.0);
    cr_expect_eq(sim.mosaic_domains, 1);
    cr_expect_eq(sim.mosaic_spread, 0.0);
    cr_expect_str_eq(logtext, "");
}

Test(select, phi_rules)
{
    cfg.phistep = 0.1;                 /* step only: osc = step, 2 steps */
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 2, 0.1, 0.1);

    setup();
    cfg.osc = 0.2;                     /* osc only: 2 steps of osc/2 */
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 2, 0.2, 0.1);

    setup();
    cfg.osc = 0.2;                     /* osc and step: ceil(osc/step) */
    cfg.phistep = 0.03;
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 7, 0.2, 0.03);

    setup();
    cfg.phisteps = 4;                  /* count only: 1 degree */
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 4, 1.0 / RTD, 1.0 / RTD / 4);

    setup();
    cfg.phisteps = 4;                  /* count and step: osc = step, 2 steps */
    cfg.phistep = 0.1;
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 2, 0.1, 0.1);

    setup();
    cfg.phisteps = 5;                  /* sample_phi: -phi 10 -osc 20 -phisteps 5 */
    cfg.phi0 = 10 / RTD;
    cfg.osc = 20 / RTD;
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 5, 20 / RTD, 20 / RTD / 5);
    cr_expect_eq(sim.phi0, 10 / RTD);

    setup();
    cfg.phisteps = 3;                  /* everything given: unchanged */
    cfg.osc = 0.3;
    cfg.phistep = 0.05;
    run_select();
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 3, 0.3, 0.05);
}

Test(select, divergence_rules)
{
    cfg.hdivstep = 0.001;              /* step only */
    cfg.vdivrange = 0.002;             /* range only */
    run_select();
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 2, 0.001, 0.001);
    expect_axis(sim.vdivsteps, sim.vdivrange, sim.vdivstep, 2, 0.002, 0.002);

    setup();
    cfg.hdivrange = 0.28 / 1000.0;     /* range and step: ceil (sample_div_step) */
    cfg.hdivstep = 0.02 / 1000.0;
    cfg.vdivsteps = 3;                 /* count only: nominal range 1 */
    run_select();
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 14, 0.28 / 1000.0, 0.02 / 1000.0);
    expect_axis(sim.vdivsteps, sim.vdivrange, sim.vdivstep, 3, 1.0, 1.0 / 3);

    setup();
    cfg.hdivsteps = 5;                 /* count and step: range = step, 2 steps */
    cfg.hdivstep = 0.004;
    cfg.vdivsteps = 1;                 /* count 1 and range: coerced to 2 */
    cfg.vdivrange = 0.006;
    run_select();
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 2, 0.004, 0.004);
    expect_axis(sim.vdivsteps, sim.vdivrange, sim.vdivstep, 2, 0.006, 0.006);

    setup();
    cfg.hdivsteps = cfg.vdivsteps = 3; /* -divergence 0.5 -divsteps 3 */
    cfg.hdivrange = cfg.vdivrange = 0.5 / 1000.0;
    run_select();
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 3, 0.0005, 0.0005 / 2);
}

Test(select, divergence_sanity_reset)
{
    cfg.hdivsteps = 4;                 /* zero range with a count: step 0, then reset */
    cfg.hdivrange = 0.0;
    cfg.vdivrange = 0.0;               /* zero range only: step 0, reset */
    run_select();
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 1, 0.0, 0.0);
    expect_axis(sim.vdivsteps, sim.vdivrange, sim.vdivstep, 1, 0.0, 0.0);
}

Test(select, dispersion_rules)
{
    cfg.dispersion = 1 / 100.0;        /* range only */
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 2, 0.01, 0.01);

    setup();
    cfg.dispersion = 1 / 100.0;        /* sample_dispersion: -dispersion 1 -dispsteps 5 */
    cfg.dispsteps = 5;
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 5, 0.01, 0.01 / 4);

    setup();
    cfg.dispstep = 0.002;              /* step only, with the default dispersion of 0 */
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 1, 0.0, 0.0);

    setup();
    cfg.dispsteps = 5;                 /* count only: default dispersion 0 -> reset */
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 1, 0.0, 0.0);

    setup();
    cfg.dispersion = -1.0;             /* "not given" range with a count: nominal 1 */
    cfg.dispsteps = 4;
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 4, 1.0, 0.25);

    setup();
    cfg.dispersion = 0.1;              /* range and step */
    cfg.dispstep = 0.03;
    run_select();
    expect_axis(sim.dispsteps, sim.dispersion, sim.dispstep, 4, 0.1, 0.03);
}

Test(select, thickness_rules_and_mu)
{
    cfg.detector_thick = 450 * 1e-6;   /* thickness only: 2 layers of half the thickness */
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 2, 450e-6, 450e-6 / 2);
    cr_expect_eq(sim.mu, 1.0 / (450 * 1e-6));
    cr_expect_str_eq(logtext, "WARNING: setting detector attenuation depth to 2222.22 m\n");

    setup();
    cfg.detector_thick = 450 * 1e-6;   /* sample_absorb: mu given, 5 layers */
    cfg.detector_thicksteps = 5;
    cfg.detector_mu = 1.0 / (500 * 1e-6);
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 5, 450e-6, 450e-6 / 4);
    cr_expect_eq(sim.mu, 1.0 / (500 * 1e-6));
    cr_expect_str_eq(logtext, "");

    setup();
    cfg.detector_thickstep = 1e-5;     /* step only, default thickness 0: ceil(0) -> reset */
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 1, 0.0, 0.0);

    setup();
    cfg.detector_thick = -1.0;         /* step with thickness "not given": thick = step */
    cfg.detector_thickstep = 1e-5;
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 2, 1e-5, 1e-5);

    setup();
    cfg.detector_thick = 100e-6;       /* thickness and step: ceil */
    cfg.detector_thickstep = 30e-6;
    run_select();
    cr_expect_eq(sim.thicksteps, 4);

    setup();
    cfg.detector_thicksteps = 3;       /* count only, default thickness 0: reset */
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 1, 0.0, 0.0);

    setup();
    cfg.detector_thick = -1.0;         /* "not given" thickness with a count: 0.5 um */
    cfg.detector_thicksteps = 5;
    run_select();
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 5, 0.5e-6, 0.5e-6 / 5);
    cr_expect_eq(sim.mu, 1.0 / 0.5e-6);
}

Test(select, mosaic_rules)
{
    cfg.mosaic_spread = 0.3 / RTD;     /* spread only: 10 domains with a warning */
    run_select();
    cr_expect_eq(sim.mosaic_domains, 10);
    cr_expect_str_eq(logtext, "WARNING: finite mosaicity with only one domain! "
                              "upping to 10 mosaic domains\n");

    setup();
    cfg.mosaic_spread = 0.0;           /* zero spread, no count: 1, silently */
    run_select();
    cr_expect_eq(sim.mosaic_domains, 1);
    cr_expect_str_eq(logtext, "");

    setup();
    cfg.mosaic_domains = 5;            /* count without spread */
    run_select();
    cr_expect_eq(sim.mosaic_domains, 1);
    cr_expect_eq(sim.mosaic_spread, 0.0);
    cr_expect_str_eq(logtext, "WARNING: no mosaic spread specified.  setting mosaic_domains = 1\n");

    setup();
    cfg.mosaic_domains = 5;            /* count with zero spread */
    cfg.mosaic_spread = 0.0;
    run_select();
    cr_expect_eq(sim.mosaic_domains, 1);
    cr_expect_str_eq(logtext, "WARNING: zero mosaic spread specified.  setting mosaic_domains = 1\n");

    setup();
    cfg.mosaic_domains = 7;            /* both given */
    cfg.mosaic_spread = 1.0 / RTD;
    run_select();
    cr_expect_eq(sim.mosaic_domains, 7);
    cr_expect_eq(sim.mosaic_spread, 1.0 / RTD);
}

Test(select, nan_means_not_given)
{
    cfg.osc = NAN;
    cfg.hdivrange = NAN;
    cfg.detector_thick = NAN;
    cfg.mosaic_spread = NAN;
    cr_assert_eq(run_select(), 0);
    expect_axis(sim.phisteps, sim.osc, sim.phistep, 1, 0.0, 0.0);
    expect_axis(sim.hdivsteps, sim.hdivrange, sim.hdivstep, 1, 0.0, 0.0);
    expect_axis(sim.thicksteps, sim.thick, sim.thickstep, 1, 0.0, 0.0);
    cr_expect_eq(sim.mosaic_domains, 1);
}

/* A count given as zero or negative (other than the -1 "not given") is an error naming the
 * flag. */
static void expect_count_error(int *field, int value, const char *flag)
{
    setup();
    *field = value;
    nbcl_err err = {0};
    cr_expect_neq(nbcl_sampling_select(&cfg, &sim, NULL, &err), 0, "%s %d accepted", flag, value);
    cr_expect(strstr(err.msg, flag) != NULL, "message '%s' does not name %s", err.msg, flag);
}

Test(select, bad_counts_rejected)
{
    expect_count_error(&cfg.phisteps, 0, "-phisteps");
    expect_count_error(&cfg.mosaic_domains, -3, "-mosaic_dom");
    expect_count_error(&cfg.dispsteps, 0, "-dispsteps");
    expect_count_error(&cfg.hdivsteps, -2, "-hdivsteps");
    expect_count_error(&cfg.vdivsteps, 0, "-vdivsteps");
    expect_count_error(&cfg.detector_thicksteps, 0, "-thicksteps");
}
