/* test_kernel_lanes.c: the kernels take ceil and floor through round_up and round_down
 * (kernels/real.cl: clang's element-wise builtins, one rounding instruction, where PoCL's
 * library functions take about fifteen integer operations) and any() through any_lane (the
 * lanes or-ed half on half). They must give what the library's functions and the host's
 * give: the same bits on ties, signed zeros, values beyond the last fraction bit,
 * infinities, NaN, subnormals and random values, and any_lane must see one positive lane
 * in every position, at vector widths 1, 2, 4, 8 and 16 in both precisions. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../support/kernel_harness.h"

#define NVALUES 4096   /* a multiple of every width */

static void fill_values(double *v, int use_double)
{
    static const double edges[] = {
        0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
        1.0, -1.0, 0.25, -0.75, 123.5, -123.5, 8388607.5, -8388607.5, 8388608.0, -8388609.0,
        16777217.0, 4503599627370495.5, -4503599627370495.5, 9007199254740993.0, 1e30, -1e30,
        1e-40, -1e-40, 1e-310, -1e-310, INFINITY, -INFINITY, NAN};
    int ne = (int)(sizeof edges / sizeof edges[0]), i = 0;
    for (; i < ne; ++i) v[i] = edges[i];
    /* one value either side of every tie from -64.5 to 64.5 */
    for (int k = -64; k <= 64 && i + 3 <= NVALUES / 2; ++k) {
        double tie = k + 0.5;
        v[i++] = tie;
        v[i++] = use_double ? nextafter(tie, INFINITY) : nextafterf((float)tie, INFINITY);
        v[i++] = use_double ? nextafter(tie, -INFINITY) : nextafterf((float)tie, -INFINITY);
    }
    /* random values over many magnitudes (a fixed seed) */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (; i < NVALUES - 16 * 17; ++i) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        double u = (double)(s >> 11) / 9007199254740992.0;
        double mag = pow(10.0, -3.0 + 12.0 * (double)((s >> 3) % 1000) / 1000.0);
        v[i] = (s & 1 ? -1.0 : 1.0) * u * mag;
    }
    /* 17 groups of 16: one positive value in each position, then none */
    for (int g = 0; g < 17; ++g)
        for (int j = 0; j < 16; ++j) v[i++] = (j == g) ? 3.0 : -2.0;
    cr_assert_eq(i, NVALUES);
}

static int same_value(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void check(int use_double, int width)
{
    static const char *const files[] = {"abi.h", "real.cl"};
    char opts[64];
    snprintf(opts, sizeof opts, "-DNBCL_VW=%d", width);
    test_kernel t;
    if (!test_kernel_build(&t, files, 2, "lanes_test.cl", "lanes_test", use_double, opts)) {
        cr_log_warn("the device has no double precision: skipped");
        return;
    }
    const char *p = use_double ? "double" : "single";
    size_t size = use_double ? sizeof(double) : sizeof(float);
    static double v[NVALUES], out[6 * NVALUES];
    fill_values(v, use_double);
    char *in = malloc(size * NVALUES), *o = calloc(6 * NVALUES, size);
    for (int i = 0; i < NVALUES; ++i) {
        if (use_double) ((double *)in)[i] = v[i];
        else ((float *)in)[i] = (float)v[i];
        v[i] = use_double ? ((double *)in)[i] : ((float *)in)[i];   /* as the device sees it */
    }
    cl_mem ib = test_kernel_buffer(&t, size * NVALUES, in), ob = test_kernel_buffer(&t, size * 6 * NVALUES, o);
    int n = NVALUES;
    cr_assert_eq(clSetKernelArg(t.kernel, 0, sizeof ib, &ib), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 1, sizeof ob, &ob), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 2, sizeof n, &n), CL_SUCCESS);
    test_kernel_run(&t, NVALUES / width);
    test_kernel_read(&t, ob, size * 6 * NVALUES, o);
    for (int i = 0; i < 6 * NVALUES; ++i) out[i] = use_double ? ((double *)o)[i] : ((float *)o)[i];
    int wrong = 0;
    for (int i = 0; i < NVALUES && wrong < 10; ++i) {
        double up = out[i], lib_up = out[NVALUES + i], down = out[2 * NVALUES + i],
               lib_down = out[3 * NVALUES + i];
        if (!same_value(up, lib_up) || !same_value(down, lib_down)) {
            cr_log_error("%s width %d: x = %.17g: round_up %.17g, ceil %.17g; round_down %.17g, floor %.17g",
                         p, width, v[i], up, lib_up, down, lib_down);
            ++wrong;
        }
        /* the host's, where the device keeps subnormals (a device may flush them) */
        if (fabs(v[i]) >= (use_double ? 2.3e-308 : 1.2e-38) || v[i] == 0.0 || isnan(v[i])) {
            if (!same_value(up, ceil(v[i])) || !same_value(down, floor(v[i]))) {
                cr_log_error("%s width %d: x = %.17g: round_up %.17g, round_down %.17g, host %.17g, %.17g",
                             p, width, v[i], up, down, ceil(v[i]), floor(v[i]));
                ++wrong;
            }
        }
    }
    int any_wrong = 0;
    for (int w = 0; w < NVALUES / width; ++w) {
        int expect = 0;
        for (int j = 0; j < width; ++j) expect |= v[w * width + j] > 0.0;
        double got = out[4 * NVALUES + w * width], lib = out[5 * NVALUES + w * width];
        if ((got != expect || lib != expect) && any_wrong++ < 5)
            cr_log_error("%s width %d: work-item %d: any_lane %g, any %g, expected %d", p, width, w, got,
                         lib, expect);
    }
    free(in);
    free(o);
    clReleaseMemObject(ib);
    clReleaseMemObject(ob);
    test_kernel_release(&t);
    cr_expect_eq(wrong, 0, "%s width %d: round_up/round_down differ from ceil/floor", p, width);
    cr_expect_eq(any_wrong, 0, "%s width %d: any_lane or any wrong in %d work-items", p, width, any_wrong);
}

Test(kernel_lanes, single_precision)
{
    static const int widths[] = {1, 2, 4, 8, 16};
    for (int k = 0; k < 5; ++k) check(0, widths[k]);
}

Test(kernel_lanes, double_precision)
{
    static const int widths[] = {1, 2, 4, 8, 16};
    for (int k = 0; k < 5; ++k) check(1, widths[k]);
}
