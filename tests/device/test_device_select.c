/* test_device_select.c: every SPEC form of -device on made-up device lists (no OpenCL call),
 * and the error, listing the devices, for a SPEC that matches nothing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "device/device.h"

/* platform 0: a CPU; platform 1: two GPUs; platform 2: an accelerator */
static nbcl_device_info fake[4];
static const int nfake = 4;

static void add(int i, int p, int d, const char *plat, const char *name, cl_device_type t,
                int fp64)
{
    memset(&fake[i], 0, sizeof fake[i]);
    fake[i].index = i;
    fake[i].platform_index = p;
    fake[i].device_index = d;
    snprintf(fake[i].platform_name, sizeof fake[i].platform_name, "%s", plat);
    snprintf(fake[i].name, sizeof fake[i].name, "%s", name);
    fake[i].type = t;
    fake[i].compute_units = 8;
    fake[i].global_mem = 8ull << 30;
    fake[i].max_alloc = 2ull << 30;
    snprintf(fake[i].version, sizeof fake[i].version, "OpenCL 3.0 test");
    fake[i].has_fp64 = fp64;
}

static void setup(void)
{
    add(0, 0, 0, "Portable Computing Language", "pthread-skylake", CL_DEVICE_TYPE_CPU, 1);
    add(1, 1, 0, "NVIDIA CUDA", "NVIDIA H100 80GB HBM3", CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_DEFAULT, 1);
    add(2, 1, 1, "NVIDIA CUDA", "NVIDIA A100-SXM4", CL_DEVICE_TYPE_GPU, 1);
    add(3, 2, 0, "Xilinx", "xilinx_u250", CL_DEVICE_TYPE_ACCELERATOR, 0);
}

/* picks for spec must be exactly want[0..n-1] */
static void expect(const char *spec, const int *want, int n)
{
    int *picked = NULL, np = -1;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_device_select(fake, nfake, spec, &picked, &np, &err), 0,
                 "spec '%s' failed: %s", spec ? spec : "(null)", err.msg);
    cr_assert_eq(np, n, "spec '%s': %d devices, expected %d", spec ? spec : "(null)", np, n);
    for (int i = 0; i < n; i++)
        cr_expect_eq(picked[i], want[i], "spec '%s': pick %d is %d, expected %d",
                     spec ? spec : "(null)", i, picked[i], want[i]);
    free(picked);
}

static void expect_error(const char *spec, nbcl_err *err)
{
    int *picked = (int *)1, np = -1;
    cr_assert_neq(nbcl_device_select(fake, nfake, spec, &picked, &np, err), 0,
                  "spec '%s' should fail", spec);
    cr_expect_null(picked);
    cr_expect_eq(np, 0);
}

TestSuite(device_select, .init = setup);

Test(device_select, null_or_blank_takes_first_gpu)
{
    expect(NULL, (int[]){1}, 1);
    expect("", (int[]){1}, 1);
    expect("   ", (int[]){1}, 1);
}

Test(device_select, no_gpu_takes_first_device)
{
    int *picked = NULL, np = 0;
    nbcl_err err;
    fake[1].type = fake[2].type = CL_DEVICE_TYPE_CPU;
    cr_assert_eq(nbcl_device_select(fake, nfake, NULL, &picked, &np, &err), 0);
    cr_assert_eq(np, 1);
    cr_expect_eq(picked[0], 0);
    free(picked);
}

Test(device_select, global_index)
{
    expect("0", (int[]){0}, 1);
    expect("2", (int[]){2}, 1);
    expect("3", (int[]){3}, 1);
}

Test(device_select, platform_colon_device)
{
    expect("1:1", (int[]){2}, 1);
    expect("0:0", (int[]){0}, 1);
    expect("2:0", (int[]){3}, 1);
}

Test(device_select, types)
{
    expect("cpu", (int[]){0}, 1);
    expect("gpu", (int[]){1, 2}, 2);
    expect("GPU", (int[]){1, 2}, 2);
    expect("accelerator", (int[]){3}, 1);
    expect("default", (int[]){1}, 1);
}

Test(device_select, all)
{
    expect("all", (int[]){0, 1, 2, 3}, 4);
    expect("ALL", (int[]){0, 1, 2, 3}, 4);
}

Test(device_select, name_substring_case_insensitive)
{
    expect("h100", (int[]){1}, 1);
    expect("a100-sxm", (int[]){2}, 1);
    expect("Skylake", (int[]){0}, 1);
    expect("nvidia", (int[]){1, 2}, 2);       /* both device names and the platform */
    expect("portable comp", (int[]){0}, 1);   /* platform name only */
    expect("XILINX", (int[]){3}, 1);
}

Test(device_select, comma_list_in_order_without_repeats)
{
    expect("2,0", (int[]){2, 0}, 2);
    expect("gpu, 1:0, cpu", (int[]){1, 2, 0}, 3);
}

Test(device_select, nomatch_lists_devices)
{
    nbcl_err err = {0};
    expect_error("radeon", &err);
    cr_expect(strstr(err.msg, "radeon") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "\n") != NULL, "message should list devices on lines: %s", err.msg);
    for (int i = 0; i < nfake; i++)
        cr_expect(strstr(err.msg, fake[i].name) != NULL, "device %s not listed in: %s",
                  fake[i].name, err.msg);
    cr_expect(strstr(err.msg, "1:1") != NULL, "%s", err.msg);
}

Test(device_select, out_of_range_is_an_error)
{
    nbcl_err err = {0};
    expect_error("4", &err);
    cr_expect(strstr(err.msg, "NVIDIA H100") != NULL, "%s", err.msg);
    expect_error("1:2", &err);
    expect_error("3:0", &err);
    expect_error("gpu,9", &err);
}

Test(device_select, type_with_no_device_is_an_error)
{
    nbcl_err err = {0};
    expect_error("custom", &err);
    cr_expect(strstr(err.msg, "custom") != NULL, "%s", err.msg);
}

Test(device_select, empty_list_is_an_error)
{
    int *picked = NULL, np = 0;
    nbcl_err err = {0};
    cr_assert_neq(nbcl_device_select(fake, 0, NULL, &picked, &np, &err), 0);
    cr_expect(strlen(err.msg) > 0);
}

Test(device_select, type_names)
{
    cr_expect_str_eq(nbcl_device_type_name(CL_DEVICE_TYPE_CPU), "cpu");
    cr_expect_str_eq(nbcl_device_type_name(CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_DEFAULT), "gpu");
    cr_expect_str_eq(nbcl_device_type_name(CL_DEVICE_TYPE_ACCELERATOR), "accelerator");
}

Test(device_select, format_line_has_every_field)
{
    char line[1024];
    nbcl_device_format(&fake[3], line, sizeof line);
    const char *want[] = {"3", "2:0", "Xilinx", "xilinx_u250", "accelerator", "8 CU",
                          "8.0 GiB", "2.0 GiB", "OpenCL 3.0", "fp64 no"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(strstr(line, want[i]) != NULL, "'%s' missing from: %s", want[i], line);
    cr_expect(strstr(line, "test") == NULL, "version should be shortened: %s", line);
}
