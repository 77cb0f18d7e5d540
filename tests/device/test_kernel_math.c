/* test_kernel_math.c: the lattice factor's helpers on the device, in both precisions,
 * against long double on the host: two_cos_pi_offset (the polynomial that replaced cospi
 * for offsets |f| <= 1/2) within 2.2e-7 in single and 5e-16 in double of 2 cos(pi f), and
 * grating_product (the three Chebyshev recurrences in one loop) equal bit for bit to three
 * sincg calls and close to sin(N pi f) / sin(pi f) itself (the recurrence multiplies the
 * cosine's error by up to ~N^2: measured 2.7e-6 of the peak in single, 8e-14 in double for
 * N = 64, with the recurrence in steps of two; in steps of one it was 2.9e-6 and 7e-14, and
 * with the library's cospi 4.2e-6 in single). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "../support/kernel_harness.h"

#define NF 4001   /* offsets from -1/2 to 1/2 */

/* the three outputs per offset for N = (nx, ny, nz), in double whatever the precision */
static int run(int use_double, double nx, double ny, double nz, double *out)
{
    static const char *const files[] = {"abi.h", "real.cl", "wide.cl", "physics.cl"};
    test_kernel t;
    if (!test_kernel_build(&t, files, 4, "math_test.cl", "math_test", use_double, NULL)) return 0;
    size_t size = use_double ? sizeof(double) : sizeof(float);
    char *f = malloc(size * NF), *o = malloc(size * 3 * NF);
    for (int i = 0; i < NF; ++i) {
        double x = -0.5 + (double)i / (NF - 1);
        if (use_double) ((double *)f)[i] = x;
        else ((float *)f)[i] = (float)x;
    }
    cl_mem fb = test_kernel_buffer(&t, size * NF, f), ob = test_kernel_buffer(&t, size * 3 * NF, NULL);
    double nd[3] = {nx, ny, nz};
    float nf[3] = {(float)nx, (float)ny, (float)nz};
    cr_assert_eq(clSetKernelArg(t.kernel, 0, sizeof fb, &fb), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 1, sizeof ob, &ob), CL_SUCCESS);
    for (int a = 0; a < 3; ++a)
        cr_assert_eq(clSetKernelArg(t.kernel, 2 + a, size, use_double ? (void *)&nd[a] : (void *)&nf[a]),
                     CL_SUCCESS);
    test_kernel_run(&t, NF);
    test_kernel_read(&t, ob, size * 3 * NF, o);
    for (int i = 0; i < 3 * NF; ++i) out[i] = use_double ? ((double *)o)[i] : ((float *)o)[i];
    /* the offsets as the device saw them, for the host's reference values */
    for (int i = 0; i < NF; ++i) out[3 * NF + i] = use_double ? ((double *)f)[i] : ((float *)f)[i];
    free(f);
    free(o);
    clReleaseMemObject(fb);
    clReleaseMemObject(ob);
    test_kernel_release(&t);
    return 1;
}

/* sin(N pi f) / sin(pi f) for whole N, in long double */
static long double grating(long double f, double N)
{
    if (N <= 1.0) return 1.0L;
    long double s = sinl(M_PI * f);
    return fabsl(s) < 1e-300L ? (long double)N : sinl((long double)N * M_PI * f) / s;
}

static void check(int use_double, double nx, double ny, double nz, double cos_tol, double grating_tol)
{
    static double out[4 * NF];
    if (!run(use_double, nx, ny, nz, out)) {
        cr_log_warn("the device has no double precision: skipped");
        return;
    }
    const char *p = use_double ? "double" : "single";
    double worst_cos = 0.0, worst_grating = 0.0;
    for (int i = 0; i < NF; ++i) {
        long double f = out[3 * NF + i];
        double e = fabs((double)(out[3 * i] - 2.0L * cosl(M_PI * f)));
        if (e > worst_cos) worst_cos = e;
        cr_expect_eq(out[3 * i + 1], out[3 * i + 2], "%s f=%g: grating_product %.17g, three sincg %.17g",
                     p, (double)f, out[3 * i + 1], out[3 * i + 2]);
        long double g = grating(f, nx) * grating(f / 2, ny) * grating(-f, nz);
        double ge = fabs((double)(out[3 * i + 1] - g)) / (nx * ny * nz);
        if (ge > worst_grating) worst_grating = ge;
    }
    cr_log_info("%s N=%g,%g,%g: 2 cos(pi f) off by %g at most, grating product by %g of its peak",
                p, nx, ny, nz, worst_cos, worst_grating);
    cr_expect_leq(worst_cos, cos_tol, "%s: 2 cos(pi f) off by %g", p, worst_cos);
    cr_expect_leq(worst_grating, grating_tol, "%s N=%g,%g,%g: grating product off by %g of its peak",
                  p, nx, ny, nz, worst_grating);
}

Test(kernel_math, single_precision)
{
    check(0, 10, 10, 10, 2.2e-7, 3.5e-6);
    check(0, 5, 7, 3, 2.2e-7, 3.5e-6);
    check(0, 16, 1, 2, 2.2e-7, 3.5e-6);
}

Test(kernel_math, double_precision)
{
    check(1, 10, 10, 10, 5e-16, 1e-13);
    check(1, 5, 7, 3, 5e-16, 1e-13);
    check(1, 64, 1, 2, 5e-16, 1e-13);
}
