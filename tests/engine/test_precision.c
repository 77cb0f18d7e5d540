/* test_precision.c: a single-precision run agrees with the double one where float
 * arithmetic used to lose accuracy (issue 13 item 6):
 * - a pixel summing tens of thousands of terms (64 sub-pixels x 25 sources x 20 mosaic
 *   domains = 32000): a plain float running sum drifted 1.6e-5 below double in total (and
 *   per pixel); the compensated sum (wv_accumulate, kernels/wide.cl) keeps it below 1e-7;
 * - thin sensor layers: the capture fraction exp(-n d) - exp(-(n+1) d) of a layer with
 *   d = 2e-4 cancelled to ~7e-5 per pixel in float; written with expm1 it keeps ~1e-7;
 * - large Miller indices (a 200 or 500 A cell at high resolution, 2x2 sub-pixels of 1 mm
 *   pixels): computed in plain floats they put the 99th percentile of the per-pixel
 *   differences at 3.5e-4 to 4.1e-4 and the largest at 7.5e-4 to 8.8e-4; float pairs, and
 *   double wide values, keep them at 1e-6 to 4e-6 and 2e-6 to 5.4e-6, whether a member of
 *   an orientation group adds its correction to its anchor's indices or (corrections
 *   above one index, the 500 A cell) takes its own (src/engine/crystal_table.c).
 * Runs nanobragg-cl ($NBCL_BIN) in both precisions on small detectors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "../support/scratch_dir.h"

static char workdir[256];

static void setup_dir(void)
{
    scratch_dir_make(workdir, sizeof workdir, "precision");
}

static void teardown_dir(void)
{
    scratch_dir_remove(workdir);
}

/* the float image of `args` in `precision` (npix pixels, caller frees) */
static float *image(const char *args, const char *precision, size_t npix)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096], path[512];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' %s -precision %s -floatfile %s.bin -nonoise -nopgm -intfile /dev/null "
             "-noprogress > %s.log 2>&1",
             workdir, bin, args, precision, precision, precision);
    cr_assert_eq(system(cmd), 0, "run failed: %s -precision %s", args, precision);
    snprintf(path, sizeof path, "%s/%s.bin", workdir, precision);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no output %s", path);
    float *v = malloc(npix * sizeof *v);
    cr_assert_eq(fread(v, sizeof *v, npix, f), npix, "short image %s", path);
    fclose(f);
    return v;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the single-precision image's total relative to double's, and the median, 99th percentile
 * and largest over lit pixels of each pixel's relative difference */
static void compare_tails(const char *args, size_t npix, double *total_rel, double *median_rel,
                          double *p99_rel, double *max_rel)
{
    float *s = image(args, "single", npix), *d = image(args, "double", npix);
    double ts = 0.0, td = 0.0, *rel = malloc(npix * sizeof *rel);
    size_t lit = 0;
    for (size_t i = 0; i < npix; ++i) {
        ts += s[i];
        td += d[i];
        if (d[i] > 0.0f) rel[lit++] = fabs((double)s[i] - d[i]) / d[i];
    }
    cr_assert_gt(lit, npix / 2, "the double run lit only %zu of %zu pixels", lit, npix);
    qsort(rel, lit, sizeof *rel, by_value);
    *total_rel = fabs(ts - td) / td;
    *median_rel = rel[lit / 2];
    *p99_rel = rel[lit * 99 / 100];
    *max_rel = rel[lit - 1];
    free(rel);
    free(s);
    free(d);
}

static void compare(const char *args, size_t npix, double *total_rel, double *median_rel)
{
    double p99, max;
    compare_tails(args, npix, total_rel, median_rel, &p99, &max);
}

TestSuite(precision, .init = setup_dir, .fini = teardown_dir, .timeout = 300);

Test(precision, long_sums_do_not_drift_in_single)
{
    double total, median;
    setenv("NBCL_FLOAT_PAIRS", "1", 1);   /* the compensated float sums of GPUs */
    compare("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 -detpixels 16 "
            "-pixel 1 -mosaic 1 -mosaic_dom 20 -oversample 8 -dispersion 0.2 -dispsteps 25",
            16 * 16, &total, &median);
    cr_expect_lt(total, 1e-6, "single drifts %g from double in total", total);
    cr_expect_lt(median, 1e-6, "single drifts %g from double per pixel (median)", median);
    unsetenv("NBCL_FLOAT_PAIRS");
}

Test(precision, thin_layers_capture_without_cancelling)
{
    double total, median;
    compare("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 50 -detpixels 32 "
            "-pixel 1 -detector_thick 10 -detector_thicksteps 10 -detector_abs 5000",
            32 * 32, &total, &median);
    cr_expect_lt(median, 1e-6, "thin layers: single differs %g from double per pixel (median)", median);
    cr_expect_lt(total, 1e-6, "thin layers: single differs %g from double in total", total);
}

Test(precision, large_miller_indices_keep_float_pair_accuracy)
{
    const char *cases[] = {
        /* 80 orientations in one group: every member from its anchor */
        "-default_F 100 -cell 200 200 200 90 90 90 -lambda 1 -N 10 -distance 50 -detpixels 64 "
        "-pixel 1 -mosaic 0.5 -mosaic_dom 20 -phi 0 -osc 1 -phisteps 4 -oversample 2",
        /* corrections of several indices at the edges: those lanes take their own pairs */
        "-default_F 100 -cell 500 500 500 90 90 90 -lambda 1 -N 5 -distance 40 -detpixels 64 "
        "-pixel 1 -mosaic 1 -mosaic_dom 20 -oversample 2",
    };
    /* float pairs (GPUs), then double wide values (this CPU's default) */
    for (int pairs = 1; pairs >= 0; --pairs) {
        setenv("NBCL_FLOAT_PAIRS", pairs ? "1" : "0", 1);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
            double total, median, p99, max;
            compare_tails(cases[i], 64 * 64, &total, &median, &p99, &max);
            const char *how = pairs ? "float pairs" : "double wide values";
            cr_expect_lt(p99, 2e-5, "%s, case %zu: 99th percentile of single vs double %g", how, i, p99);
            cr_expect_lt(max, 5e-5, "%s, case %zu: largest single vs double difference %g", how, i, max);
            cr_expect_lt(total, 1e-6, "%s, case %zu: single differs %g from double in total", how, i, total);
        }
    }
    unsetenv("NBCL_FLOAT_PAIRS");
}
