/* test_kernel_rsqrt.c: the reciprocal square root that a single run's lattice stage takes
 * pos / |pos| and |pos| from on a CPU with wide doubles (kernels/wide.cl, wv_rsqrt: the
 * AVX-512 estimate and two Newton steps, where the device compiles for AVX-512). Every
 * lane within 2^-50 (a few units in the last place) of 1 / sqrt(a) in long double, over
 * 60 decades of a and random mantissas, at vector widths 16 and 8; and with PoCL on an
 * AVX-512 host the estimate must be the path taken, so the check is not of the divider
 * alone there. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../support/kernel_harness.h"

#define NA 4096   /* values, a multiple of 16 */

/* PoCL's CPU device on an AVX-512 host compiles for the host (__AVX512F__): the estimate
 * must be the path there (another CPU runtime may compile for a generic target) */
static int estimate_expected(test_kernel *t)
{
    cl_device_id dev;
    cl_device_type type = 0;
    cl_platform_id platform;
    char name[256] = "";
    cr_assert_eq(clGetContextInfo(t->ctx, CL_CONTEXT_DEVICES, sizeof dev, &dev, NULL), CL_SUCCESS);
    cr_assert_eq(clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof type, &type, NULL), CL_SUCCESS);
    cr_assert_eq(clGetDeviceInfo(dev, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL), CL_SUCCESS);
    cr_assert_eq(clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof name - 1, name, NULL), CL_SUCCESS);
    int pocl = strstr(name, "Portable Computing Language") != NULL;
#if defined(__x86_64__) && defined(__GNUC__)
    return pocl && (type & CL_DEVICE_TYPE_CPU) && __builtin_cpu_supports("avx512f");
#else
    (void)pocl;
    return 0;
#endif
}

static void check(int vw)
{
    static const char *const files[] = {"abi.h", "real.cl", "wide.cl"};
    char opts[64];
    snprintf(opts, sizeof opts, "-DNBCL_WIDE_DOUBLE=1 -DNBCL_VW=%d", vw);
    int has_double = 0;
    test_first_device(&has_double);
    if (!has_double) {
        cr_log_warn("the device has no double precision: no wide doubles to test");
        return;
    }
    test_kernel t;
    cr_assert(test_kernel_build(&t, files, 3, "rsqrt_test.cl", "rsqrt_test", 0, opts));
    static double a[NA], out[NA];
    srand(7);
    for (int i = 0; i < NA; ++i) {
        double mantissa = 1.0 + (double)rand() / RAND_MAX;   /* [1, 2] */
        a[i] = ldexp(mantissa, -100 + (i * 200) / NA);        /* 2^-100 .. 2^100 */
    }
    a[0] = 1.0;
    a[1] = 4.0;
    a[2] = 2.0;
    a[3] = 0.5;
    cl_mem ab = test_kernel_buffer(&t, sizeof a, a), ob = test_kernel_buffer(&t, sizeof out, NULL);
    int path = -1;
    cl_mem pb = test_kernel_buffer(&t, sizeof path, &path);
    cr_assert_eq(clSetKernelArg(t.kernel, 0, sizeof ab, &ab), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 1, sizeof ob, &ob), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 2, sizeof pb, &pb), CL_SUCCESS);
    test_kernel_run(&t, NA / vw);
    test_kernel_read(&t, ob, sizeof out, out);
    test_kernel_read(&t, pb, sizeof path, &path);
    double worst = 0.0;
    for (int i = 0; i < NA; ++i) {
        long double e = fabsl((long double)out[i] * sqrtl((long double)a[i]) - 1.0L);
        if ((double)e > worst) worst = (double)e;
        cr_expect_leq((double)e, ldexp(1.0, -50), "VW %d: 1/sqrt(%.17g) = %.17g, relative error %g",
                      vw, a[i], out[i], (double)e);
    }
    cr_log_info("VW %d: %s, worst relative error %g (2^%.1f)", vw,
                path ? "AVX-512 estimate and Newton steps" : "1 / sqrt", worst,
                worst > 0 ? log2(worst) : -INFINITY);
    if (estimate_expected(&t))
        cr_expect_eq(path, 1, "VW %d: an AVX-512 CPU device, yet the estimate was not compiled in", vw);
    clReleaseMemObject(ab);
    clReleaseMemObject(ob);
    clReleaseMemObject(pb);
    test_kernel_release(&t);
}

Test(kernel_rsqrt, width_16) { check(16); }
Test(kernel_rsqrt, width_8) { check(8); }
