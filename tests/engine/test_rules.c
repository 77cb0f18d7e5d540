/* test_rules.c: the engine's device-dependent choices as pure rules: pixels per work-item
 * (vector lanes only on CPUs; GPUs and accelerators run one pixel per work-item), the
 * work-group size (never above what a kernel or the device allows) and the wide arithmetic
 * of a single-precision run (double only where every device is a CPU with fp64). */
#include <criterion/criterion.h>
#include <string.h>
#include "engine/engine.h"

Test(rules, vector_width_is_one_on_gpus_whatever_they_prefer)
{
    cr_expect_eq(nbcl_vector_width_rule(0, 4, 0, NULL), 1);
    cr_expect_eq(nbcl_vector_width_rule(0, 8, 0, ""), 1);
    cr_expect_eq(nbcl_vector_width_rule(0, 8, 1, NULL), 1);
    /* the environment decides when set, on any device */
    cr_expect_eq(nbcl_vector_width_rule(0, 1, 0, "4"), 4);
    cr_expect_eq(nbcl_vector_width_rule(1, 16, 0, "1"), 1);
    cr_expect_eq(nbcl_vector_width_rule(1, 8, 1, "16"), 16, "the environment also when interpolating");
}

Test(rules, vector_width_is_two_registers_on_cpus)
{
    cr_expect_eq(nbcl_vector_width_rule(1, 8, 0, NULL), 16, "AVX2 floats");
    cr_expect_eq(nbcl_vector_width_rule(1, 4, 0, NULL), 8, "AVX2 doubles");
    cr_expect_eq(nbcl_vector_width_rule(1, 16, 0, NULL), 16, "AVX-512 floats: 16 at most");
    cr_expect_eq(nbcl_vector_width_rule(1, 3, 0, NULL), 4, "rounded down");
    cr_expect_eq(nbcl_vector_width_rule(1, 0, 0, NULL), 1);
    cr_expect_eq(nbcl_vector_width_rule(1, 1, 0, NULL), 1, "a CPU that prefers 1 (llvmpipe) gets 1");
    cr_expect_eq(nbcl_vector_width_rule(1, 1, 1, NULL), 1);
    cr_expect_eq(nbcl_vector_width_rule(1, 32, 0, NULL), 16);
}

Test(rules, vector_width_is_the_preferred_one_when_interpolating)
{
    cr_expect_eq(nbcl_vector_width_rule(1, 8, 1, NULL), 8);
    cr_expect_eq(nbcl_vector_width_rule(1, 4, 1, NULL), 4);
    cr_expect_eq(nbcl_vector_width_rule(1, 16, 1, NULL), 16, "AVX-512 floats: one register");
    cr_expect_eq(nbcl_vector_width_rule(1, 2, 1, NULL), 2);
}

Test(rules, one_vector_width_for_every_device_of_a_run)
{
    cr_expect_eq(nbcl_run_vector_width((int[]){8, 8}, 2), 8);
    cr_expect_eq(nbcl_run_vector_width((int[]){8, 1}, 2), 1, "a CPU beside a GPU runs width 1");
    cr_expect_eq(nbcl_run_vector_width((int[]){16, 8, 4}, 3), 4);
    cr_expect_eq(nbcl_run_vector_width((int[]){2}, 1), 2);
}

Test(rules, local_size_respects_every_limit)
{
    size_t none[3] = {0, 0, 0}, small[3] = {1024, 32, 1024}, odd[3] = {48, 0, 0}, one[1] = {1};
    cr_expect_eq(nbcl_local_size_rule(64, none, 3), 64);
    cr_expect_eq(nbcl_local_size_rule(64, small, 3), 32);
    cr_expect_eq(nbcl_local_size_rule(64, odd, 3), 32);
    cr_expect_eq(nbcl_local_size_rule(64, one, 1), 1);
}

static nbcl_device_info dev(cl_device_type type, int fp64)
{
    nbcl_device_info d;
    memset(&d, 0, sizeof d);
    d.type = type;
    d.has_fp64 = fp64;
    return d;
}

Test(rules, wide_values_in_double_only_on_cpus_with_fp64)
{
    nbcl_device_info cpu = dev(CL_DEVICE_TYPE_CPU, 1), cpu32 = dev(CL_DEVICE_TYPE_CPU, 0);
    nbcl_device_info gpu = dev(CL_DEVICE_TYPE_GPU, 1);
    cr_expect_eq(nbcl_wide_double_rule(0, &cpu, 1, NULL, NULL), 1);
    cr_expect_eq(nbcl_wide_double_rule(1, &cpu, 1, NULL, NULL), 0, "a double run has no wide values of its own");
    cr_expect_eq(nbcl_wide_double_rule(0, &cpu32, 1, NULL, NULL), 0, "no fp64: float pairs");
    cr_expect_eq(nbcl_wide_double_rule(0, &gpu, 1, NULL, NULL), 0, "GPUs: float pairs");
    nbcl_device_info mixed[2] = {cpu, gpu}, cpus[2] = {cpu, cpu}, half[2] = {cpu, cpu32};
    cr_expect_eq(nbcl_wide_double_rule(0, mixed, 2, NULL, NULL), 0, "one choice for every device");
    cr_expect_eq(nbcl_wide_double_rule(0, half, 2, NULL, NULL), 0);
    cr_expect_eq(nbcl_wide_double_rule(0, cpus, 2, NULL, NULL), 1);
    cr_expect_eq(nbcl_wide_double_rule(0, cpus, 2, "1", NULL), 0, "NBCL_FLOAT_PAIRS=1");
    cr_expect_eq(nbcl_wide_double_rule(0, cpus, 2, "0", NULL), 1, "NBCL_FLOAT_PAIRS=0");
    cr_expect_eq(nbcl_wide_double_rule(0, cpus, 2, "", NULL), 1);
    cr_expect_eq(nbcl_wide_double_rule(0, cpus, 2, NULL, "1"), 0, "NBCL_UNFUSED_FMA=1 tests the pairs");
    cr_expect_eq(nbcl_wide_double_rule(0, &gpu, 1, "0", NULL), 1, "NBCL_FLOAT_PAIRS=0: double on a GPU");
    cr_expect_eq(nbcl_wide_double_rule(0, mixed, 2, "0", NULL), 1);
    cr_expect_eq(nbcl_wide_double_rule(0, half, 2, "0", NULL), 0, "NBCL_FLOAT_PAIRS=0 needs fp64 everywhere");
    cr_expect_eq(nbcl_wide_double_rule(0, &gpu, 1, "0", "1"), 0, "NBCL_UNFUSED_FMA=1 still tests the pairs");
    cr_expect_eq(nbcl_wide_double_rule(1, &gpu, 1, "0", NULL), 0);
}

Test(rules, vendor_options_only_for_nvidia_compilers)
{
    nbcl_device_info nv = dev(CL_DEVICE_TYPE_GPU, 1), other = dev(CL_DEVICE_TYPE_GPU, 1);
    nv.has_nv_options = 1;
    cr_expect_str_eq(nbcl_vendor_options_rule(&nv, NULL), "-cl-nv-maxrregcount=80");
    cr_expect_str_eq(nbcl_vendor_options_rule(&other, NULL), "", "no options for other compilers");
    cr_expect_str_eq(nbcl_vendor_options_rule(&nv, ""), "-cl-nv-maxrregcount=80");
    cr_expect_str_eq(nbcl_vendor_options_rule(&nv, "-cl-nv-maxrregcount=64"), "-cl-nv-maxrregcount=64",
                     "NBCL_CL_OPTIONS replaces the rule's");
    cr_expect_str_eq(nbcl_vendor_options_rule(&other, "-w"), "-w");
}
