/* compare_main.c: nbcl-compare, which says how well a float image matches a reference image
 * and fails when an agreement bound given on the command line is missed.
 * Exit status: 0 all bounds met, 1 a bound missed, 2 usage or file error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/compare.h"

typedef struct cmp_args {
    const char *ref, *test, *diff;
    int width;
    int roi[4], have_roi;
    double min_corr, max_sum_dev, rel_tol, abs_tol, max_frac_off;
    int have_min_corr, have_max_sum_dev, have_max_frac_off;
} cmp_args;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: nbcl-compare REF TEST -width W [-roi xmin xmax ymin ymax]\n"
        "                    [-min-corr X] [-max-sum-dev X]\n"
        "                    [-rel-tol A] [-abs-tol B] [-max-frac-off F] [-diff FILE.png]\n"
        "  REF, TEST   raw little-endian float32 images (plain or .gz), fast index fastest\n"
        "  -width W    pixels per row (fast dimension)\n"
        "  -roi        inclusive pixel ranges to compare (default: everything)\n"
        "  -min-corr   fail if the Pearson correlation is below X\n"
        "  -max-sum-dev  fail if |sum(TEST)/sum(REF) - 1| exceeds X\n"
        "  -rel-tol, -abs-tol  a pixel is off when |TEST-REF| > A*|REF| + B*max|REF|\n"
        "              (defaults 1e-5 and 1e-6)\n"
        "  -max-frac-off  fail if more than the fraction F of pixels are off\n"
        "  -diff       write a difference picture (mid-grey = equal)\n"
        "exit status: 0 all bounds met, 1 a bound missed, 2 usage or file error\n");
}

static int bad_usage(const char *msg, const char *what)
{
    fprintf(stderr, "nbcl-compare: %s%s%s\n", msg, what ? " " : "", what ? what : "");
    usage(stderr);
    return -1;
}

static int number(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end == s || *end != '\0' || !isfinite(*v);
}

static int integer(const char *s, int *v)
{
    double d;
    if (number(s, &d) || d != floor(d) || fabs(d) > 1e9) return 1;
    *v = (int)d;
    return 0;
}

/* Options taking one number; returns 1 if `opt` is not one of them, -1 on a bad value. */
static int number_option(cmp_args *a, const char *opt, const char *val)
{
    struct { const char *name; double *dst; int *flag; } table[] = {
        {"-min-corr", &a->min_corr, &a->have_min_corr},
        {"-max-sum-dev", &a->max_sum_dev, &a->have_max_sum_dev},
        {"-rel-tol", &a->rel_tol, NULL},
        {"-abs-tol", &a->abs_tol, NULL},
        {"-max-frac-off", &a->max_frac_off, &a->have_max_frac_off},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(opt, table[i].name)) continue;
        if (!val || number(val, table[i].dst)) return bad_usage("bad or missing value for", opt);
        if (table[i].flag) *table[i].flag = 1;
        return 0;
    }
    return 1;
}

static int parse_args(int argc, char **argv, cmp_args *a)
{
    memset(a, 0, sizeof *a);
    a->rel_tol = 1e-5;
    a->abs_tol = 1e-6;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(opt, "-h") || !strcmp(opt, "-help") || !strcmp(opt, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(opt, "-width")) {
            if (!val || integer(val, &a->width) || a->width < 1)
                return bad_usage("bad or missing value for", opt);
            i++;
        } else if (!strcmp(opt, "-roi")) {
            for (int k = 0; k < 4; k++)
                if (i + 1 + k >= argc || integer(argv[i + 1 + k], &a->roi[k]))
                    return bad_usage("-roi needs four integers: xmin xmax ymin ymax", NULL);
            a->have_roi = 1;
            i += 4;
        } else if (!strcmp(opt, "-diff")) {
            if (!val) return bad_usage("missing file name for", opt);
            a->diff = val;
            i++;
        } else if ((r = number_option(a, opt, val)) <= 0) {
            if (r < 0) return -1;
            i++;
        } else if (opt[0] == '-' && opt[1] != '\0') {
            return bad_usage("unknown option", opt);
        } else if (!a->ref) {
            a->ref = opt;
        } else if (!a->test) {
            a->test = opt;
        } else {
            return bad_usage("too many file names:", opt);
        }
    }
    if (!a->ref || !a->test) return bad_usage("need two files, REF and TEST", NULL);
    if (!a->width) return bad_usage("-width is required", NULL);
    return 0;
}

static void print_stats(const cmp_args *a, const nbcl_compare_stats *s)
{
    printf("pixels compared: %zu", s->n);
    if (a->have_roi) printf(" (roi %d %d %d %d)", a->roi[0], a->roi[1], a->roi[2], a->roi[3]);
    printf("\n");
    if (s->nonfinite) printf("non-finite pixels: %zu\n", s->nonfinite);
    printf("correlation: %.10f\n", s->corr);
    printf("sum ratio (test/ref): %.10f  (ref %.8g, test %.8g)\n", s->sum_ratio, s->sum_ref,
           s->sum_test);
    printf("rmse: %.6g\n", s->rmse);
    printf("max abs diff: %.6g at x=%d y=%d (ref %.8g, test %.8g)\n", s->max_abs_diff,
           s->max_x, s->max_y, s->max_ref, s->max_test);
    printf("off by more than %g*|ref| + %g*max|ref| (%g): %zu pixels, fraction %.6g (%.4g%%)\n",
           s->tol_rel, s->tol_abs, s->tol_abs * s->ref_max, s->n_off, s->frac_off,
           100.0 * s->frac_off);
}

/* Number of bounds missed, each reported on stdout. */
static int check_bounds(const cmp_args *a, const nbcl_compare_stats *s)
{
    int missed = 0;
    double dev = fabs(s->sum_ratio - 1.0);
    if (a->have_min_corr && !(s->corr >= a->min_corr)) {
        printf("FAIL: correlation %.10f below -min-corr %g\n", s->corr, a->min_corr);
        missed++;
    }
    if (a->have_max_sum_dev && !(dev <= a->max_sum_dev)) {
        printf("FAIL: sum ratio off by %.3g, more than -max-sum-dev %g\n", dev, a->max_sum_dev);
        missed++;
    }
    if (a->have_max_frac_off && !(s->frac_off <= a->max_frac_off)) {
        printf("FAIL: fraction of pixels off %.6g above -max-frac-off %g\n", s->frac_off,
               a->max_frac_off);
        missed++;
    }
    if (!missed && (a->have_min_corr || a->have_max_sum_dev || a->have_max_frac_off))
        printf("PASS\n");
    return missed;
}

int main(int argc, char **argv)
{
    cmp_args a;
    if (parse_args(argc, argv, &a)) return 2;
    float *ref = NULL, *test = NULL;
    size_t nref = 0, ntest = 0;
    nbcl_err err;
    int status = 2;
    if (nbcl_floatfile_read(a.ref, &ref, &nref, &err) || nbcl_floatfile_read(a.test, &test,
                                                                           &ntest, &err)) {
        fprintf(stderr, "nbcl-compare: %s\n", err.msg);
    } else if (nref != ntest) {
        fprintf(stderr, "nbcl-compare: %s has %zu pixels but %s has %zu\n", a.ref, nref, a.test,
                ntest);
    } else if (nref % (size_t)a.width) {
        fprintf(stderr, "nbcl-compare: -width %d does not divide %zu pixels\n", a.width, nref);
    } else {
        nbcl_compare_stats s;
        if (nbcl_compare_images(ref, test, nref, a.width, a.have_roi ? a.roi : NULL, a.rel_tol,
                                a.abs_tol, &s)) {
            fprintf(stderr, "nbcl-compare: -roi selects no pixel of the %dx%zu image\n",
                    a.width, nref / (size_t)a.width);
        } else if (a.diff && nbcl_compare_diff_png(a.diff, ref, test, nref, a.width,
                                                   a.have_roi ? a.roi : NULL, &err)) {
            fprintf(stderr, "nbcl-compare: %s\n", err.msg);
        } else {
            print_stats(&a, &s);
            status = check_bounds(&a, &s) ? 1 : 0;
        }
    }
    free(ref);
    free(test);
    return status;
}
