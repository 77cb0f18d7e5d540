/* test_structure_factor.c: F_cell on the device for groups of pixel lanes (1, 4 and 8 a
 * work-item), in both precisions, from a grid holding a polynomial of degree 3 in each of
 * h, k and l, which tricubic interpolation reproduces exactly:
 * - interpolation within 1e-12 (double) and 2e-6 (single) of the polynomial, relative to
 *   its largest value; default_F and the out-of-range flag for lanes whose 4x4x4
 *   neighbourhood leaves the grid;
 * - the nearest reflection: the grid value at ceil(h - 1/2) ..., default_F outside;
 * - lanes that share a neighbourhood take one load for all of them, lanes that do not take
 *   one load each: the same hkl gives the same bits either way (kernels/structure_factor.cl). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "../support/kernel_harness.h"

#define HMIN (-8)
#define HMAX 8
#define RANGE (HMAX - HMIN + 1)   /* the engine's h_range; storage is RANGE + 1 per axis */
#define GROUPS 64                 /* groups of 8 lanes, four kinds (see lanes()) */
#define LANES (8 * GROUPS)
#define DEFAULT_F 123.0

static double cubic_h(double h) { return 2.0 + 0.3 * h - 0.05 * h * h + 0.004 * h * h * h; }
static double cubic_k(double k) { return 1.5 - 0.2 * k + 0.03 * k * k + 0.002 * k * k * k; }
static double cubic_l(double l) { return 3.0 + 0.1 * l + 0.02 * l * l - 0.001 * l * l * l; }
static double polynomial(double h, double k, double l) { return cubic_h(h) * cubic_k(k) * cubic_l(l); }

static unsigned long long seed = 12345;
static double uniform(double a, double b)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return a + (b - a) * (double)(seed >> 11) / 9007199254740992.0;
}

/* A point whose neighbourhood lies inside the grid (|index| <= 6 by the engine's test) in
 * cell (h0, k0, l0), or anywhere inside when the cell is NULL. */
static void point(double *p, const int *cell)
{
    for (int a = 0; a < 3; ++a)
        p[a] = cell ? cell[a] + uniform(0.0, 0.999) : uniform(-5.9, 5.9);
}

/* Groups of 8 lanes, four kinds in turn: lanes 0-3 in one cell and lanes 4-7 anywhere with
 * lane 4 = lane 0; all 8 in one cell; lane 0 = the previous group's lane 0 and the rest
 * anywhere; all in one cell but lane 5, outside the grid (h = 7.5). */
static void lanes(double *hkl)
{
    for (int g = 0; g < GROUPS; ++g) {
        double *p = hkl + 24 * g;
        int cell[3] = {(int)floor(uniform(-5.5, 5.5)), (int)floor(uniform(-5.5, 5.5)), (int)floor(uniform(-5.5, 5.5))};
        for (int j = 0; j < 8; ++j) {
            switch (g % 4) {
            case 0: point(p + 3 * j, j < 4 ? cell : NULL); break;
            case 1: point(p + 3 * j, cell); break;
            case 2: point(p + 3 * j, NULL); break;
            default: point(p + 3 * j, cell); break;
            }
        }
        if (g % 4 == 0) memcpy(p + 12, p, 3 * sizeof(double));
        if (g % 4 == 2) memcpy(p, p - 24, 3 * sizeof(double));
        if (g % 4 == 3) p[15] = 7.5;
    }
}

static int grid_index(int h, int k, int l)
{
    return ((h - HMIN) * (RANGE + 1) + (k - HMIN)) * (RANGE + 1) + (l - HMIN);
}

/* F_cell of every lane, in double whatever the precision; flags per work-item */
static int run(int use_double, int vw, int interpolate, const double *hkl_d, double *out, int *flags)
{
    static const char *const files[] = {"abi.h", "real.cl", "structure_factor.cl"};
    char options[128];
    snprintf(options, sizeof options, "-DNBCL_VW=%d -DNBCL_HAVE_GRID%s", vw,
             interpolate ? " -DNBCL_INTERPOLATE" : "");
    test_kernel t;
    if (!test_kernel_build(&t, files, 3, "structure_factor_test.cl", "structure_factor_test",
                           use_double, options))
        return 0;
    size_t size = use_double ? sizeof(double) : sizeof(float), cells = (size_t)(RANGE + 1) * (RANGE + 1) * (RANGE + 1);
    char *F = calloc(cells, size), *hkl = malloc(size * 3 * LANES), *o = malloc(size * LANES);
    for (int h = HMIN; h <= HMAX; ++h)
        for (int k = HMIN; k <= HMAX; ++k)
            for (int l = HMIN; l <= HMAX; ++l) {
                double v = polynomial(h, k, l);
                if (use_double) ((double *)F)[grid_index(h, k, l)] = v;
                else ((float *)F)[grid_index(h, k, l)] = (float)v;
            }
    for (int i = 0; i < 3 * LANES; ++i) {
        if (use_double) ((double *)hkl)[i] = hkl_d[i];
        else ((float *)hkl)[i] = (float)hkl_d[i];
    }
    int grid[9] = {HMIN, HMIN, HMIN, HMAX, HMAX, HMAX, RANGE, RANGE, RANGE};
    cl_mem Fb = test_kernel_buffer(&t, size * cells, F), gb = test_kernel_buffer(&t, sizeof grid, grid);
    cl_mem hb = test_kernel_buffer(&t, size * 3 * LANES, hkl), ob = test_kernel_buffer(&t, size * LANES, NULL);
    cl_mem fb = test_kernel_buffer(&t, sizeof(int) * LANES, NULL);
    cl_mem *bufs[] = {&Fb, &gb, &hb, &ob, &fb};
    for (int a = 0; a < 5; ++a) cr_assert_eq(clSetKernelArg(t.kernel, a, sizeof(cl_mem), bufs[a]), CL_SUCCESS);
    double dd = DEFAULT_F;
    float df = (float)DEFAULT_F;
    cr_assert_eq(clSetKernelArg(t.kernel, 5, size, use_double ? (void *)&dd : (void *)&df), CL_SUCCESS);
    test_kernel_run(&t, LANES / vw);
    test_kernel_read(&t, ob, size * LANES, o);
    test_kernel_read(&t, fb, sizeof(int) * (LANES / vw), flags);
    for (int i = 0; i < LANES; ++i) out[i] = use_double ? ((double *)o)[i] : ((float *)o)[i];
    free(F);
    free(hkl);
    free(o);
    for (int a = 0; a < 5; ++a) clReleaseMemObject(*bufs[a]);
    test_kernel_release(&t);
    return 1;
}

static int inside_for_interpolation(double h, double k, double l)
{
    double p[3] = {h, k, l};
    for (int a = 0; a < 3; ++a)
        if (p[a] - HMIN + 3 > RANGE || p[a] - 2 < HMIN) return 0;
    return 1;
}

static void check(int use_double, int vw, int interpolate, double tol)
{
    static double hkl[3 * LANES], out[LANES];
    static int flags[LANES];
    seed = 12345;
    lanes(hkl);
    if (!run(use_double, vw, interpolate, hkl, out, flags)) {
        cr_log_warn("the device has no double precision: skipped");
        return;
    }
    const char *p = use_double ? "double" : "single";
    double scale = 0.0, worst = 0.0;
    for (int h = HMIN; h <= HMAX; ++h) scale = fmax(scale, fabs(cubic_h(h)));
    scale *= fmax(fabs(cubic_k(HMIN)), fabs(cubic_k(HMAX))) * fmax(fabs(cubic_l(HMIN)), fabs(cubic_l(HMAX)));
    for (int i = 0; i < LANES; ++i) {
        /* the indices as the device saw them */
        double h = use_double ? hkl[3 * i] : (float)hkl[3 * i];
        double k = use_double ? hkl[3 * i + 1] : (float)hkl[3 * i + 1];
        double l = use_double ? hkl[3 * i + 2] : (float)hkl[3 * i + 2];
        double want;
        if (interpolate) {
            int in = inside_for_interpolation(h, k, l);
            want = in ? polynomial(h, k, l) : DEFAULT_F;
            if (!in) cr_expect(flags[i / vw], "%s VW=%d lane %d outside: no flag", p, vw, i);
        } else {
            int h0 = (int)ceil(h - 0.5), k0 = (int)ceil(k - 0.5), l0 = (int)ceil(l - 0.5);
            int in = h0 >= HMIN && h0 <= HMAX && k0 >= HMIN && k0 <= HMAX && l0 >= HMIN && l0 <= HMAX;
            want = in ? (use_double ? polynomial(h0, k0, l0) : (float)polynomial(h0, k0, l0)) : DEFAULT_F;
        }
        double e = fabs(out[i] - want) / scale;
        if (e > worst) worst = e;
        cr_expect_leq(e, tol, "%s VW=%d %s lane %d (%g, %g, %g): %.17g, want %.17g", p, vw,
                      interpolate ? "interpolated" : "nearest", i, h, k, l, out[i], want);
    }
    /* the same hkl in a lane that shares its neighbourhood and in one that does not */
    for (int g = 0; g < GROUPS; ++g) {
        int a = 8 * g, b = g % 4 == 0 ? a + 4 : g % 4 == 2 ? a : -1, c = g % 4 == 2 ? a - 8 : a;
        if (b < 0) continue;
        cr_expect_eq(out[b], out[c], "%s VW=%d: lanes %d and %d (the same hkl) differ: %.17g, %.17g",
                     p, vw, c, b, out[c], out[b]);
    }
    cr_log_info("%s VW=%d %s: off by %g of the largest value at most", p, vw,
                interpolate ? "interpolated" : "nearest", worst);
}

Test(structure_factor, interpolation_reproduces_a_cubic)
{
    for (int vw = 1; vw <= 8; vw *= 2) {
        check(1, vw, 1, 1e-14);
        check(0, vw, 1, 5e-7);
    }
}

Test(structure_factor, nearest_reflection)
{
    for (int vw = 1; vw <= 8; vw *= 2) {
        check(1, vw, 0, 0.0);
        check(0, vw, 0, 0.0);
    }
}
