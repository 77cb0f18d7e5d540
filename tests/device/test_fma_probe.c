/* test_fma_probe.c: the probe that tells whether a device's fma() is fused (issue 12 item 8).
 * On every real device: the probe kernel answers "fused" (PoCL and rusticl fuse), the same
 * kernel made to round the product first answers "not fused", and NBCL_UNFUSED_FMA=1 answers
 * "not fused" without asking. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "device/device.h"
#include "device/fma_probe.h"

static void probe_every_device(void (*check)(cl_context, cl_device_id, const char *))
{
    nbcl_device_info *list = NULL;
    int n = 0;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_device_enumerate(&list, &n, NULL, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; i++) {
        cl_int rc;
        cl_context ctx = clCreateContext(NULL, 1, &list[i].id, NULL, NULL, &rc);
        cr_assert_eq(rc, CL_SUCCESS, "clCreateContext on %s", list[i].name);
        check(ctx, list[i].id, list[i].name);
        clReleaseContext(ctx);
    }
    free(list);
}

static void expect_fused(cl_context ctx, cl_device_id dev, const char *name)
{
    nbcl_err err = {0};
    int fused = -1;
    cr_assert_eq(nbcl_fma_fused(NULL, ctx, dev, NULL, &fused, &err), 0, "%s: %s", name, err.msg);
    cr_expect_eq(fused, 1, "%s: fma() reported as not fused", name);
    fused = -1;
    cr_assert_eq(nbcl_fma_fused(NULL, ctx, dev, NULL, &fused, &err), 0, "%s: %s", name, err.msg);
    cr_expect_eq(fused, 1, "%s: the cached answer differs", name);
}

static void expect_unfused_detected(cl_context ctx, cl_device_id dev, const char *name)
{
    nbcl_err err = {0};
    int fused = -1;
    cr_assert_eq(nbcl_fma_fused(NULL, ctx, dev, "-DNBCL_PROBE_UNFUSED", &fused, &err), 0, "%s: %s",
                 name, err.msg);
    cr_expect_eq(fused, 0, "%s: a product rounded before the sum was taken for a fused fma()", name);
}

static void expect_forced(cl_context ctx, cl_device_id dev, const char *name)
{
    nbcl_err err = {0};
    int fused = -1;
    setenv("NBCL_UNFUSED_FMA", "1", 1);
    cr_assert_eq(nbcl_fma_fused(NULL, ctx, dev, NULL, &fused, &err), 0, "%s: %s", name, err.msg);
    unsetenv("NBCL_UNFUSED_FMA");
    cr_expect_eq(fused, 0, "%s: NBCL_UNFUSED_FMA=1 was ignored", name);
}

Test(fma_probe, real_devices_fuse)
{
    probe_every_device(expect_fused);
}

Test(fma_probe, an_unfused_fma_is_detected)
{
    probe_every_device(expect_unfused_detected);
}

Test(fma_probe, the_environment_forces_the_path_without_fma)
{
    probe_every_device(expect_forced);
}
