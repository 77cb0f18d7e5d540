/* test_sources.c: nbcl_sampling_build against the reference's golden runs (the thickN, phiN,
 * divergence, lambdaN and source lines and the source/domain counts it printed), the mosaic
 * table it builds, and source files: defaults for missing columns and bad input. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/sourcefile.h"
#include "model/sampling.h"
#include "../support/test_log.h"

static int test_load_sources(void *user, const nbcl_config *c, double **rows, int *count, nbcl_err *err)
{
    (void)user;
    return nbcl_sourcefile_read(c->sourcefile, rows, count, err);
}

static const nbcl_model_loaders loaders = {NULL, NULL, NULL, test_load_sources, NULL, NULL};

#define RTD (180.0 * M_1_PI)

static nbcl_config cfg;
static nbcl_sim sim;

/* The mosflm beam frame the golden sampling cases ran in, and -lambda 1. */
static void setup(void)
{
    nbcl_config_defaults(&cfg);
    memset(&sim, 0, sizeof sim);
    sim.beam[0] = 1;
    sim.polar_vector[2] = 1;
    sim.vert_vector[1] = -1;
    sim.lambda0 = 1.0 * 1e-10;
}

static void teardown(void)
{
    nbcl_sampling_free(&sim);
}

TestSuite(build, .init = setup, .fini = teardown);

static char *golden_path(const char *rel)
{
    const char *dir = getenv("NBCL_GOLDEN_DIR");
    cr_assert(dir != NULL, "NBCL_GOLDEN_DIR is not set");
    char *p = malloc(strlen(dir) + strlen(rel) + 2);
    sprintf(p, "%s/%s", dir, rel);
    return p;
}

/* The part of a golden stdout that stage 2 prints: from "thick0 =" through
 * "  created a total of N mosaic domains". */
static char *golden_section(const char *id)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cases/%s/stdout.txt", id);
    char *path = golden_path(rel);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "cannot open %s", path);
    free(path);
    char *out = NULL, *line = NULL;
    size_t outlen = 0, cap = 0;
    FILE *o = open_memstream(&out, &outlen);
    int inside = 0;
    while (getline(&line, &cap, f) >= 0) {
        if (strncmp(line, "thick0 = ", 9) == 0) inside = 1;
        if (inside) fputs(line, o);
        if (inside && strstr(line, "mosaic domains") && strstr(line, "created a total")) break;
    }
    free(line);
    fclose(f);
    fclose(o);
    return out;
}

/* Whether the golden stdout of id contains this exact line. */
static int golden_has_line(const char *id, const char *want)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cases/%s/stdout.txt", id);
    char *path = golden_path(rel);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) >= 0) found = strcmp(line, want) == 0;
    free(line);
    fclose(f);
    return found;
}

/* Resolve cfg, returning what stage 2 logged; stage-1 warnings must be in the golden log. */
static char *resolve_logged(const char *id)
{
    nbcl_err err = {0};
    char *warn = NULL, *text = NULL;
    size_t wlen = 0, tlen = 0;
    FILE *w = open_memstream(&warn, &wlen);
    nbcl_log wl = test_log_to(w);
    cr_assert_eq(nbcl_sampling_select(&cfg, &sim, &wl, &err), 0, "%s", err.msg);
    nbcl_log_flush(&wl);
    fclose(w);
    for (char *l = strtok(warn, "\n"); l; l = strtok(NULL, "\n")) {
        char full[512];
        snprintf(full, sizeof full, "%s\n", l);
        cr_expect(golden_has_line(id, full), "%s: warning not in golden log: %s", id, l);
    }
    free(warn);
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    FILE *t = open_memstream(&text, &tlen);
    nbcl_log tl = test_log_to(t);
    cr_assert_eq(nbcl_sampling_build(&cfg, &loaders, &sim, &rng, &tl, &err), 0, "%s", err.msg);
    nbcl_log_flush(&tl);
    fclose(t);
    return text;
}

static void expect_golden_log(const char *id)
{
    char *got = resolve_logged(id);
    char *want = golden_section(id);
    cr_expect_str_eq(got, want, "%s: sampling log differs", id);
    free(got);
    free(want);
}

static void expect_unit_sources(void)
{
    for (int i = 0; i < sim.nsources; i++) {
        const double *d = sim.source_dir + 3 * i;
        cr_expect(fabs(d[0] * d[0] + d[1] * d[1] + d[2] * d[2] - 1.0) < 1e-15, "source %d", i);
    }
}

Test(build, div_step_round_trimmed_167)
{
    cfg.hdivrange = cfg.vdivrange = 0.28 / 1000.0;
    cfg.hdivstep = cfg.vdivstep = 0.02 / 1000.0;
    expect_golden_log("sample_div_step");
    cr_expect_eq(sim.nsources, 167);
    cr_expect_eq(sim.divsteps, 167);
    cr_expect_eq(sim.source_weight[0], 1.0 / 167);
    expect_unit_sources();
}

Test(build, divergence_round_5)
{
    cfg.hdivrange = cfg.vdivrange = 0.5 / 1000.0;
    cfg.hdivsteps = cfg.vdivsteps = 3;
    expect_golden_log("sample_divergence");
    cr_expect_eq(sim.nsources, 5);
}

Test(build, square_divergence_untrimmed_6)
{
    cfg.hdivrange = 0.4 / 1000.0;
    cfg.vdivrange = 0.2 / 1000.0;
    cfg.hdivsteps = 3;
    cfg.vdivsteps = 2;
    cfg.round_div = 0;
    expect_golden_log("sample_square_div");
    cr_expect_eq(sim.nsources, 6);
}

Test(build, dispersion_5)
{
    cfg.dispersion = 1 / 100.0;
    cfg.dispsteps = 5;
    expect_golden_log("sample_dispersion");
    cr_expect_eq(sim.nsources, 5);
    cr_expect_eq(sim.source_lambda[0], 1e-10 * (1.0 + 0.0 - 0.01 / 2.0));
}

Test(build, divergence_times_dispersion_36)
{
    cfg.hdivrange = cfg.vdivrange = 0.3 / 1000.0;
    cfg.hdivsteps = cfg.vdivsteps = 4;
    cfg.dispersion = 0.5 / 100.0;
    cfg.dispsteps = 3;
    expect_golden_log("sample_div_disp");
    cr_expect_eq(sim.nsources, 36);
    cr_expect_eq(sim.divsteps, 12);
    expect_unit_sources();
}

Test(build, golden_sourcefile)
{
    char *path = golden_path("inputs/sources.txt");
    cfg.sourcefile = path;
    expect_golden_log("sample_sourcefile");
    cr_expect_eq(sim.nsources, 4);
    cr_expect_eq(sim.divsteps, -1);
    cr_expect_eq(sim.source_weight[2], 2.0);
    cr_expect_eq(sim.source_lambda[2], 9.9e-11);
    expect_unit_sources();
    free(path);
}

Test(build, phi_cases)
{
    cfg.phi0 = 10 / RTD;
    cfg.osc = 20 / RTD;
    cfg.phisteps = 5;
    expect_golden_log("sample_phi");

    teardown();
    setup();
    cfg.phi0 = 5 / RTD;
    cfg.osc = 10 / RTD;
    cfg.phistep = 2 / RTD;
    expect_golden_log("sample_phistep");
    cr_expect_eq(sim.phisteps, 5);

    teardown();
    setup();
    cfg.phi0 = 0 / RTD;
    cfg.osc = 90 / RTD;
    cfg.phisteps = 1;
    expect_golden_log("sample_phi_one");
}

Test(build, absorption_layers)
{
    cfg.detector_mu = 1.0 / (500 * 1e-6);
    cfg.detector_thick = 450 * 1e-6;
    cfg.detector_thicksteps = 5;
    expect_golden_log("sample_absorb");

    teardown();
    setup();
    cfg.detector_mu = 1.0 / (300 * 1e-6);
    cfg.detector_thick = 200 * 1e-6;
    cfg.detector_thicksteps = 3;
    expect_golden_log("sample_absorb_os");
}

Test(build, mosaic_cases)
{
    cfg.mosaic_spread = 0.5 / RTD;
    cfg.mosaic_domains = 10;
    expect_golden_log("sample_mosaic");
    static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    cr_expect_arr_eq(sim.mosaic_umats, identity, sizeof identity);
    /* domain 1 is the reference's second draw for the default seed */
    cr_expect_eq(sim.mosaic_umats[9], 0.99996592089784464);
    cr_expect_eq(sim.mosaic_umats[17], 0.99999761291609557);

    teardown();
    setup();
    cfg.mosaic_spread = 1.0 / RTD;
    cfg.mosaic_domains = 7;
    cfg.mosaic_seed = -4242;
    expect_golden_log("sample_mosaic_seed");
    cr_expect_eq(sim.mosaic_umats[9 * 6 + 2], 0.015108307416186469);

    teardown();
    setup();
    cfg.mosaic_spread = 0.3 / RTD;
    expect_golden_log("sample_mosaic_auto");
    cr_expect_eq(sim.mosaic_domains, 10);
}

Test(build, comprehensive)
{
    cfg.mosaic_spread = 0.5 / RTD;
    cfg.mosaic_domains = 5;
    cfg.phi0 = 1 / RTD;
    cfg.osc = 90 / RTD;
    cfg.phisteps = 9;
    cfg.detector_mu = 1.0 / (500 * 1e-6);
    cfg.detector_thick = 450 * 1e-6;
    cfg.detector_thicksteps = 5;
    expect_golden_log("sample_comprehensive");
}

Test(build, resolve_runs_both_stages)
{
    cfg.mosaic_spread = 0.5 / RTD;
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    nbcl_err err = {0};
    cr_assert_eq(nbcl_sampling_resolve(&cfg, &loaders, &sim, &rng, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(sim.mosaic_domains, 10);
    cr_expect_eq(sim.nsources, 1);
    cr_expect_eq(sim.source_dir[0], -1.0);
    cr_expect_eq(sim.source_weight[0], 1.0);
    cr_expect_eq(sim.source_lambda[0], 1e-10);
}

/* ---- source files ---- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/nbcl_sources_XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

Test(build, sourcefile_defaults_and_delimiters)
{
    char *path = write_temp("-10 0.002\n"
                            "\n"
                            "   \t \n"
                            "1,2;3:0.5!2e-10\n"
                            "nan nan nan 3\n"
                            "0 0 -4 1 1.5e-10 99 extra columns ignored\n");
    double *pos, *w, *lam;
    int n = 0;
    nbcl_err err = {0};
    double *rows = NULL;
    cr_assert_eq(nbcl_sourcefile_read(path, &rows, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_sources_from_rows(rows, n, sim.beam, 1e-10, &pos, &w, &lam, NULL, &err), 0, "%s",
                 err.msg);
    free(rows);
    cr_assert_eq(n, 4);
    /* missing Z, weight and lambda */
    cr_expect_eq(pos[0], -10.0);
    cr_expect_eq(pos[1], 0.002);
    cr_expect_eq(pos[2], -10.0 * sim.beam[2]);
    cr_expect_eq(w[0], 1.0);
    cr_expect_eq(lam[0], 1e-10);
    /* every delimiter of the reference */
    cr_expect_eq(pos[3], 1.0);
    cr_expect_eq(pos[4], 2.0);
    cr_expect_eq(pos[5], 3.0);
    cr_expect_eq(w[1], 0.5);
    cr_expect_eq(lam[1], 2e-10);
    /* nan columns take the defaults: 10 m upstream */
    cr_expect_eq(pos[6], -10.0);
    cr_expect_eq(pos[7], 0.0);
    cr_expect_eq(w[2], 3.0);
    cr_expect_eq(lam[3], 1.5e-10);
    free(pos);
    free(w);
    free(lam);

    /* through build: directions unitized, log shows the positions as given */
    cfg.sourcefile = path;
    char *text = resolve_logged("sample_sourcefile");
    cr_expect(strstr(text, "  created a total of 4 sources:\n-10 0.002 -0   1 1e-10\n") != NULL,
              "log: %s", text);
    cr_expect_eq(sim.source_dir[0], -10.0 / sqrt(100.0 + 0.002 * 0.002));
    expect_unit_sources();
    free(text);
    unlink(path);
    free(path);
}

Test(build, sourcefile_malformed_line_reports_line_number)
{
    char *path = write_temp("-10 0 0\n\n-10 abc 0\n");
    cfg.sourcefile = path;
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    nbcl_err err = {0};
    cr_assert_neq(nbcl_sampling_resolve(&cfg, &loaders, &sim, &rng, NULL, &err), 0);
    cr_expect(strstr(err.msg, path) != NULL, "no file name in: %s", err.msg);
    cr_expect(strstr(err.msg, "line 3") != NULL, "no line number in: %s", err.msg);
    cr_expect(strstr(err.msg, "abc") != NULL, "no token in: %s", err.msg);
    cr_expect_null(sim.source_dir);
    cr_expect_null(sim.mosaic_umats);
    unlink(path);
    free(path);
}

Test(build, sourcefile_missing_or_empty)
{
    cfg.sourcefile = "/nonexistent/dir/sources.txt";
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    nbcl_err err = {0};
    cr_expect_neq(nbcl_sampling_resolve(&cfg, &loaders, &sim, &rng, NULL, &err), 0);
    cr_expect(strstr(err.msg, "/nonexistent/dir/sources.txt") != NULL, "%s", err.msg);

    char *path = write_temp("\n  \n");
    cfg.sourcefile = path;
    cr_expect_neq(nbcl_sampling_resolve(&cfg, &loaders, &sim, &rng, NULL, &err), 0);
    cr_expect(strstr(err.msg, "no sources") != NULL, "%s", err.msg);
    unlink(path);
    free(path);
}
