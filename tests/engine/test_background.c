/* test_background.c: the amorphous background of -stol through the public API: -water
 * equals its constant table, a background-only image follows its table ring by ring, and
 * unusable tables are refused naming the file and line. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbcl/nbcl.h"
#include "../support/scratch_dir.h"

SCRATCH_DIR_SUITE(background, dir, "bgtest", 300);

/* a file in the scratch directory with this text; returns its path (static buffer per k) */
static const char *scratch(int k, const char *name, const char *text)
{
    static char paths[8][512];
    snprintf(paths[k], sizeof paths[k], "%s/%s", dir, name);
    FILE *f = fopen(paths[k], "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return paths[k];
}

static nbcl_experiment *experiment(const char *args)
{
    char buf[2048];
    const char *argv[128];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 128; t = strtok(NULL, " ")) argv[argc++] = t;
    nbcl_experiment *exp = NULL;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    nbcl_experiment_set_log(exp, NULL, NULL);
    cr_assert_eq(nbcl_experiment_parse_args(exp, argc, argv), NBCL_OK, "%s: %s", args, nbcl_last_error());
    return exp;
}

/* one image; with details, the engine is kept in *keep for nbcl_engine_pixel_detail */
static float *simulate(const char *args, int *fast, int *slow, nbcl_engine **keep)
{
    nbcl_experiment *exp = experiment(args);
    nbcl_engine_options o;
    nbcl_engine_options_init(&o);
    o.keep_pixel_details = keep != NULL;
    o.progress = 0;
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, &o, &eng), NBCL_OK, "%s: %s", args, nbcl_last_error());
    cr_assert_eq(nbcl_experiment_detector_size(exp, fast, slow), NBCL_OK);
    size_t n = (size_t)*fast * (size_t)*slow;
    float *img = malloc(sizeof(float) * n);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_OK, "%s", nbcl_last_error());
    if (keep) *keep = eng;
    else nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
    return img;
}

#define BASE "-cell 100 100 100 90 90 90 -default_F 1e-20 -N 5 -detpixels 64 -distance 100 " \
             "-precision double -nonoise -nopgm"

static void expect_same_image(const char *a, const char *b, double tol)
{
    int f, s, f2, s2;
    float *x = simulate(a, &f, &s, NULL), *y = simulate(b, &f2, &s2, NULL);
    cr_assert(f == f2 && s == s2);
    double worst = 0.0;
    for (int i = 0; i < f * s; ++i) {
        cr_assert(y[i] > 0.0f, "pixel %d has no background: %g", i, y[i]);
        double d = fabs(x[i] / y[i] - 1.0);
        if (d > worst) worst = d;
    }
    cr_expect(worst < tol, "'%s' and '%s' differ by %g (relative)", a, b, worst);
    free(x);
    free(y);
}

/* nanoBragg's -water X adds F_bg^2 r_e^2 fluence X^3 rho N_A / MW (F_bg = 2.57, water) to the
 * sum before its scale r_e^2 fluence / steps: a -stol table of constant F 2.57 over a volume
 * X^3 r_e^2 fluence / steps gives the same image. At nanoBragg's default fluence
 * (r_e^2 fluence = 1.0000) and one step, -water 100 is 0.1 mm of water in the default
 * 0.1 mm beam, the -stol defaults; with -oversample 2 (4 steps), a quarter of that. */
Test(background, water_equals_its_constant_table)
{
    const char *t = scratch(0, "water_constant.stol", "0 2.57\n0.25 2.57\n1 2.57\n");
    char a[1024], b[1024];
    snprintf(a, sizeof a, BASE " -oversample 1 -water 100");
    snprintf(b, sizeof b, BASE " -oversample 1 -stol %s", t);
    expect_same_image(a, b, 1e-9);
    snprintf(a, sizeof a, BASE " -oversample 2 -water 100");
    snprintf(b, sizeof b, BASE " -oversample 2 -stol %s -amorphous_thick 0.025", t);
    expect_same_image(a, b, 1e-9);
}

/* nonBragg's own spellings mean the same material */
Test(background, nonbragg_spellings)
{
    const char *t = scratch(0, "w.stol", "0 2.57\n1 3\n");
    char a[1024], b[1024];
    snprintf(a, sizeof a, BASE " -oversample 1 -stol %s -amorphous_thick 0.2 -amorphous_density 0.9 -amorphous_MW 20", t);
    snprintf(b, sizeof b, BASE " -oversample 1 -stol %s -thick 0.2 -density 0.9 -MW 20", t);
    expect_same_image(a, b, 0.0 + 1e-12);
}

/* F(s) of the test table, s = sin(theta)/lambda in 1/Angstrom */
static double table_F(double s)
{
    return 2.0 + sin(60.0 * s);
}

Test(background, background_only_image_follows_its_table_ring_by_ring)
{
    /* a table of F(s) every 0.002 1/A; a constant F = 1 table gives, pixel by pixel, the
     * factors the two share (r_e^2, fluence, molecules, polarization, solid angle), so the
     * ratio of the images is F(stol)^2 */
    char text[8192] = "", line[64];
    for (int i = 0; i <= 100; ++i) {
        snprintf(line, sizeof line, "%.4f %.9f\n", 0.002 * i, table_F(0.002 * i));
        strcat(text, line);
    }
    const char *t = scratch(0, "curve.stol", text);
    const char *one = scratch(1, "one.stol", "0 1\n1 1\n");
    char a[1024], b[1024];
    const char *geom = "-cell 100 100 100 90 90 90 -default_F 1e-20 -N 5 -detpixels 96 "
                       "-distance 50 -oversample 1 -precision double -nonoise -nopgm";
    snprintf(a, sizeof a, "%s -stol %s", geom, t);
    snprintf(b, sizeof b, "%s -stol %s", geom, one);
    int f, s;
    nbcl_engine *eng = NULL;
    float *img = simulate(a, &f, &s, &eng), *unit = simulate(b, &f, &s, NULL);
    /* rings of 0.005 1/A in stol */
    enum { RINGS = 20 };
    double got[RINGS] = {0}, want[RINGS] = {0};
    int n[RINGS] = {0};
    for (int y = 0; y < s; ++y)
        for (int x = 0; x < f; ++x) {
            nbcl_pixel_detail d;
            cr_assert_eq(nbcl_engine_pixel_detail(eng, x, y, &d), NBCL_OK);
            double stol_A = d.stol / 1e10;
            int ring = (int)(stol_A / 0.005);
            cr_assert(ring >= 0 && ring < RINGS, "stol %g", stol_A);
            got[ring] += img[y * f + x] / unit[y * f + x];
            want[ring] += table_F(stol_A) * table_F(stol_A);
            n[ring]++;
        }
    int rings = 0;
    for (int r = 0; r < RINGS; ++r) {
        if (n[r] < 10) continue;
        rings++;
        double g = got[r] / n[r], w = want[r] / n[r];
        cr_expect(fabs(g / w - 1.0) < 1e-4, "ring %d (%d pixels): image %g, table %g", r, n[r], g, w);
    }
    cr_expect(rings >= 8, "only %d rings", rings);
    nbcl_engine_destroy(eng);
    free(img);
    free(unit);
}

/* out of range: the first and last rows' F */
Test(background, beyond_the_table_the_end_values)
{
    const char *inside = scratch(0, "short.stol", "0.5 3\n0.6 3\n");   /* all pixels below */
    const char *flat = scratch(1, "flat.stol", "0 3\n1 3\n");
    char a[1024], b[1024];
    snprintf(a, sizeof a, BASE " -oversample 1 -stol %s", inside);
    snprintf(b, sizeof b, BASE " -oversample 1 -stol %s", flat);
    expect_same_image(a, b, 1e-12);
}

static void expect_refused(const char *name, const char *text, const char *needle)
{
    const char *path = text ? scratch(2, name, text) : name;
    char args[1024];
    snprintf(args, sizeof args, BASE " -stol %s", path);
    nbcl_experiment *exp = experiment(args);
    cr_expect_neq(nbcl_experiment_resolve(exp), NBCL_OK, "%s was accepted", name);
    const char *msg = nbcl_last_error();
    cr_expect(msg && strstr(msg, path) && strstr(msg, needle), "%s: message '%s' lacks '%s'", name,
              msg ? msg : "(none)", needle);
    cr_expect(msg && !strchr(msg, '\n'), "not one line: %s", msg);
    nbcl_experiment_destroy(exp);
}

Test(background, unusable_tables_are_refused_by_file_and_line)
{
    expect_refused("/nonexistent/water.stol", NULL, "cannot open");
    expect_refused("word.stol", "0 2.5\n0.1 two\n", "line 2");
    expect_refused("onecol.stol", "0 2.5\n0.1\n", "line 2: expected two columns");
    expect_refused("down.stol", "0 2.5\n0.2 2.6\n0.1 2.7\n", "line 3: the scattering variable must increase");
    expect_refused("nan.stol", "0 2.5\n0.1 nan\n", "line 2: a value is NaN");
    expect_refused("negative.stol", "-0.1 2.5\n0.1 2.5\n", "line 1");
    expect_refused("one.stol", "0 2.5\n", "1 row");
    expect_refused("empty.stol", "\n\n", "0 rows");
}
