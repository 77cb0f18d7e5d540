/* test_invariance.c: the image does not depend on how the detector is cut or shared.
 * Runs nanobragg-cl ($NBCL_BIN) on small detectors with several -tile sizes and with
 * -device all, and requires bit-identical float images; also when tricubic interpolation
 * leaves the HKL grid (the reference switched interpolation off for the rest of its run
 * there, so its result depended on pixel order; this engine falls back per evaluation). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../support/scratch_dir.h"

static char workdir[256];

static void setup_dir(void)
{
    scratch_dir_make(workdir, sizeof workdir, "invariance");
}

static void teardown_dir(void)
{
    scratch_dir_remove(workdir);
}

/* run the engine with `args`, writing `out` (and its stdout and stderr into out.log);
 * returns the exit status. A failed run's assertion carries the end of its log (log_tail):
 * under the sanitizers, .ci/run repeats a test whose failure shows only LeakSanitizer's
 * tracer crashing at exit (tools/asan_tracer_retry.py), and it reads that in the message,
 * so a failing assertion frees what the test holds first (a leak report of the test's own
 * would read as a real leak and stop the repeat). */
static int run(const char *args, const char *out)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' %s -floatfile %s -nonoise -nopgm -intfile /dev/null -noprogress > %s.log 2>&1",
             workdir, bin, args, out, out);
    return system(cmd);
}

/* the end of a run's log (static; for failure messages) */
static const char *log_tail(const char *name)
{
    static char tail[2048];
    char path[512];
    snprintf(path, sizeof path, "%s/%s.log", workdir, name);
    tail[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return "(no log)";
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        fseek(f, size > (long)sizeof tail - 1 ? size - (long)sizeof tail + 1 : 0, SEEK_SET);
    }
    size_t n = fread(tail, 1, sizeof tail - 1, f);
    tail[n] = '\0';
    fclose(f);
    return tail;
}

static float *load(const char *name, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", workdir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no output %s", path);
    float *v = malloc(n * sizeof *v);
    cr_assert_eq(fread(v, sizeof *v, n, f), n, "short image %s", path);
    fclose(f);
    return v;
}

static int log_contains(const char *name, const char *needle)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/%s.log", workdir, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int hit = 0;
    while (fgets(line, sizeof line, f)) hit |= strstr(line, needle) != NULL;
    fclose(f);
    return hit;
}

/* every run of `base` with the listed extra options gives the image of the first one */
static void check_identical(const char *base, const char *const *variants, int nvar, size_t npix)
{
    char args[2048], name[64];
    float *ref = NULL;
    double sum = 0.0;
    for (int v = 0; v < nvar; ++v) {
        snprintf(args, sizeof args, "%s %s", base, variants[v]);
        snprintf(name, sizeof name, "img%d.bin", v);
        int rc = run(args, name);
        if (rc != 0) free(ref);   /* a failed assertion must not add a leak report of its own */
        cr_assert_eq(rc, 0, "run failed: %s\n%s", args, log_tail(name));
        float *img = load(name, npix);
        if (!ref) {
            ref = img;
            for (size_t i = 0; i < npix; ++i) sum += ref[i];
            if (!(sum > 0.0)) free(ref);
            cr_assert_gt(sum, 0.0, "the reference run gave an empty image");
            continue;
        }
        cr_expect_eq(memcmp(ref, img, npix * sizeof *img), 0,
                     "image with '%s' differs from the one with '%s'", variants[v], variants[0]);
        free(img);
    }
    free(ref);
}

TestSuite(invariance, .init = setup_dir, .fini = teardown_dir, .timeout = 300);

Test(invariance, tiles_and_devices_double)
{
    static const char *const variants[] = {"-tile 97", "-tile 1", "-tile 7", "-tile 64", "-device all"};
    check_identical("-default_F 100 -cell 70 80 90 75 85 95 -lambda 1 -N 5 -distance 100 "
                    "-detpixels_x 97 -detpixels_y 61 -mosaic 0.5 -mosaic_dom 3 -precision double",
                    variants, 5, 97 * 61);
}

Test(invariance, tiles_single)
{
    static const char *const variants[] = {"-tile 128", "-tile 5", "-tile 33"};
    check_identical("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 "
                    "-detpixels 128 -divergence 0.3 -divsteps 3 -precision single",
                    variants, 3, 128 * 128);
}

/* the same with the float pairs that GPUs use (a CPU run keeps its wide values in double) */
Test(invariance, tiles_single_float_pairs)
{
    static const char *const variants[] = {"-tile 128", "-tile 5", "-tile 33"};
    setenv("NBCL_FLOAT_PAIRS", "1", 1);
    check_identical("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 "
                    "-detpixels 128 -divergence 0.3 -divsteps 3 -mosaic 0.5 -mosaic_dom 4 "
                    "-precision single", variants, 3, 128 * 128);
    unsetenv("NBCL_FLOAT_PAIRS");
}

Test(invariance, interpolation_fallback_is_order_independent)
{
    /* a 3x3x3 HKL grid: every interpolation neighbourhood leaves it, some pixels are far
     * from any reflection, so the fallback is exercised all over the detector */
    char path[512];
    snprintf(path, sizeof path, "%s/small.hkl", workdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int h = -1; h <= 1; ++h)
        for (int k = -1; k <= 1; ++k)
            for (int l = -1; l <= 1; ++l) fprintf(f, "%d %d %d %g\n", h, k, l, 10.0 + h + 2 * k + 3 * l);
    fclose(f);
    static const char *const variants[] = {"-tile 48", "-tile 1", "-tile 64", "-tile 5"};
    check_identical("-hkl small.hkl -default_F 3 -interpolate -cell 100 100 100 90 90 90 "
                    "-lambda 6.2 -N 2 -distance 100 -detpixels 48 -precision double",
                    variants, 4, 48 * 48);
    cr_expect(log_contains("img0.bin", "left the HKL grid"),
              "the fallback to default_F was not reported");
}

/* every vector width the kernels support gives the same image (a GPU uses width 1):
 * bit for bit when rel_tol is 0; otherwise within rel_tol of each pixel, for single
 * precision, where the device's scalar and vector exp() may differ in the last bit */
static void check_widths(const char *args, size_t npix, double rel_tol)
{
    static const char *const widths[] = {"1", "4", "16"};
    float *ref = NULL;
    char name[32];
    for (int i = 0; i < 3; ++i) {
        setenv("NBCL_VECTOR_WIDTH", widths[i], 1);
        snprintf(name, sizeof name, "vw%s.bin", widths[i]);
        int rc = run(args, name);
        if (rc != 0) free(ref);   /* a failed assertion must not add a leak report of its own */
        cr_assert_eq(rc, 0, "run failed with NBCL_VECTOR_WIDTH=%s: %s\n%s", widths[i], args,
                     log_tail(name));
        float *img = load(name, npix);
        if (!ref) {
            ref = img;
            continue;
        }
        if (rel_tol == 0.0) {
            cr_expect_eq(memcmp(ref, img, npix * sizeof *img), 0,
                         "vector width %s gives another image than width 1", widths[i]);
        } else {
            size_t off = 0;
            for (size_t p = 0; p < npix; ++p)
                off += fabs((double)img[p] - ref[p]) > rel_tol * fabs((double)ref[p]);
            cr_expect_eq(off, 0u, "vector width %s: %zu pixels differ from width 1 by more than %g",
                         widths[i], off, rel_tol);
        }
        free(img);
    }
    unsetenv("NBCL_VECTOR_WIDTH");
    free(ref);
}

static void write_small_hkl(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/small.hkl", workdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int h = -3; h <= 3; ++h)
        for (int k = -3; k <= 3; ++k)
            for (int l = -3; l <= 3; ++l) fprintf(f, "%d %d %d %g\n", h, k, l, 20.0 + h - k + 2 * l);
    fclose(f);
}

/* a single-precision run on an AVX-512 CPU takes two sources (of one orientation) or two
 * orientations at a time (kernels/physics.cl, lattice_factor_pair) and adds their terms in
 * order: the image is the one of one at a time (NBCL_PAIRED_SUBPATHS=0), bit for bit, for
 * odd and even counts and with the options the paired loops handle (per-sub-pixel factors,
 * -dmin, -printout, water, another crystal shape). Elsewhere both runs take one at a time. */
static void check_paired(const char *args, size_t npix)
{
    char name[2][32] = {"paired.bin", "single.bin"};
    for (int v = 0; v < 2; ++v) {
        if (v) setenv("NBCL_PAIRED_SUBPATHS", "0", 1);
        int rc = run(args, name[v]);
        unsetenv("NBCL_PAIRED_SUBPATHS");
        cr_assert_eq(rc, 0, "run failed: %s\n%s", args, log_tail(name[v]));
    }
    float *a = load(name[0], npix), *b = load(name[1], npix);
    double sum = 0.0;
    for (size_t i = 0; i < npix; ++i) sum += a[i];
    int same = memcmp(a, b, npix * sizeof *a) == 0;
    free(a);
    free(b);
    cr_expect_gt(sum, 0.0, "empty image: %s", args);
    cr_expect(same, "paired and one-at-a-time images differ: %s", args);
}

Test(invariance, paired_subpaths_give_the_same_image)
{
    const char *base = "-default_F 100 -cell 70 80 90 75 85 95 -lambda 1.5 -N 5 -distance 80 "
                       "-detpixels 40 -pixel 0.3 -misset 10 5 3 -precision single";
    static const char *const extra[] = {
        "-mosaic 0.5 -mosaic_dom 5",                                   /* 5 orientations */
        "-mosaic 0.5 -mosaic_dom 3 -phisteps 2 -osc 0.3 -oversample 2 -oversample_omega",
        "-mosaic 0.5 -mosaic_dom 5 -dmin 2.5 -water 50",
        "-mosaic 0.5 -mosaic_dom 4 -gauss_xtal -printout",
        "-mosaic 0.5 -mosaic_dom 4 -N 20",                             /* past the recurrence */
        "-divergence 0.3 -divsteps 3 -dispersion 1 -dispsteps 3",      /* one orientation */
        "-divergence 0.3 -divsteps 2 -dispersion 1 -dispsteps 3 -polar 1 -oversample 2",
        "-divergence 0.3 -divsteps 3 -dispersion 1 -dispsteps 2 -round_xtal -N 20",
    };
    char args[1024];
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; ++i) {
        snprintf(args, sizeof args, "%s %s", base, extra[i]);
        check_paired(args, 40 * 40);
    }
}

Test(invariance, vector_widths_double)
{
    write_small_hkl();
    check_widths("-hkl small.hkl -default_F 7 -cell 70 80 90 75 85 95 -lambda 1.5 -N 4 -distance 100 "
                 "-detpixels_x 37 -detpixels_y 29 -mosaic 0.4 -mosaic_dom 3 -round_xtal -polar 0.6 "
                 "-dmin 8 -oversample 2 -oversample_polar -roi 2 30 3 25 -precision double",
                 37 * 29, 0.0);
}

Test(invariance, vector_widths_single)
{
    check_widths("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 6 -distance 80 -detpixels 45 "
                 "-divergence 0.2 -divsteps 2 -detector_abs 300 -detector_thick 100 -thicksteps 2 "
                 "-precision single",
                 45 * 45, 1e-6);
}

/* Two OpenCL implementations in one run (PoCL and Mesa's rusticl on llvmpipe, issue 12 item
 * 10): they may round a transcendental function differently, so the promise is per tile:
 * every tile of the shared image is, bit for bit, that tile of one device's image alone at
 * the run's width (1 here, llvmpipe's preferred width; PoCL alone would take 16, whose
 * single-precision exp() rounds differently). Skipped where rusticl has no llvmpipe device. */
Test(invariance, two_implementations_share_one_vector_width)
{
    const char *base = "-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 6 -distance 80 "
                       "-detpixels 45 -divergence 0.2 -divsteps 2 -detector_abs 300 "
                       "-detector_thick 100 -thicksteps 2 -precision single -tile 9";
    char args[1024];
    setenv("RUSTICL_ENABLE", "llvmpipe", 1);
    /* llvmpipe has no fp64, so the shared run uses float pairs: PoCL alone must too */
    setenv("NBCL_FLOAT_PAIRS", "1", 1);
    snprintf(args, sizeof args, "%s -device llvmpipe", base);
    if (run(args, "llvmpipe.bin")) {
        unsetenv("RUSTICL_ENABLE");
        unsetenv("NBCL_FLOAT_PAIRS");
        cr_skip_test("no rusticl llvmpipe device (Debian mesa-opencl-icd)");
    }
    snprintf(args, sizeof args, "%s -device portable,llvmpipe", base);
    cr_assert_eq(run(args, "both.bin"), 0, "run failed: %s\n%s", args, log_tail("both.bin"));
    cr_expect(log_contains("both.bin", "vector width 1 on every device"),
              "the shared width was not reported");
    setenv("NBCL_VECTOR_WIDTH", "1", 1);
    snprintf(args, sizeof args, "%s -device portable", base);
    cr_assert_eq(run(args, "pocl.bin"), 0, "run failed: %s\n%s", args, log_tail("pocl.bin"));
    unsetenv("NBCL_VECTOR_WIDTH");
    unsetenv("RUSTICL_ENABLE");
    unsetenv("NBCL_FLOAT_PAIRS");
    enum { W = 45, T = 9 };
    float *both = load("both.bin", W * W), *alone[2] = {load("pocl.bin", W * W),
                                                         load("llvmpipe.bin", W * W)};
    int from[2] = {0, 0};
    for (int ty = 0; ty < W / T; ++ty)
        for (int tx = 0; tx < W / T; ++tx) {
            int same[2] = {1, 1};
            for (int k = 0; k < 2; ++k)
                for (int y = 0; y < T; ++y)
                    same[k] &= !memcmp(&both[(ty * T + y) * W + tx * T],
                                       &alone[k][(ty * T + y) * W + tx * T], T * sizeof(float));
            cr_expect(same[0] || same[1], "tile (%d,%d) matches neither device alone", tx, ty);
            from[0] += same[0];
            from[1] += same[1];
        }
    cr_log_info("tiles equal to PoCL alone: %d, to llvmpipe alone: %d", from[0], from[1]);
    free(both);
    free(alone[0]);
    free(alone[1]);
}

/* The float pairs without fma() (Dekker's two-product, for drivers whose fma() is not fused,
 * issue 12 item 8) are exact like fma(): the image is the same bit for bit. Detector
 * thickness too (its layer offsets take a product's error). */
Test(invariance, float_pairs_without_fma_give_the_same_image)
{
    const char *args = "-default_F 100 -cell 70 80 90 75 85 95 -lambda 1 -N 5 -distance 100 "
                       "-detpixels 40 -mosaic 0.5 -mosaic_dom 2 -detector_abs 300 "
                       "-detector_thick 100 -thicksteps 3 -precision single";
    setenv("NBCL_FLOAT_PAIRS", "1", 1);   /* float pairs with fma() on this CPU too */
    cr_assert_eq(run(args, "fused.bin"), 0, "run failed: %s\n%s", args, log_tail("fused.bin"));
    unsetenv("NBCL_FLOAT_PAIRS");
    setenv("NBCL_UNFUSED_FMA", "1", 1);
    cr_assert_eq(run(args, "unfused.bin"), 0, "run failed with NBCL_UNFUSED_FMA=1: %s\n%s", args,
                 log_tail("unfused.bin"));
    unsetenv("NBCL_UNFUSED_FMA");
    cr_expect(log_contains("unfused.bin", "exact two-product without fma()"),
              "the path without fma() was not reported");
    float *a = load("fused.bin", 40 * 40), *b = load("unfused.bin", 40 * 40);
    cr_expect_eq(memcmp(a, b, 40 * 40 * sizeof *a), 0, "the image without fma() differs");
    free(a);
    free(b);
}
