/* test_program.c: the kernel sources (the copies embedded in libnbcl, or a complete
 * NBCL_KERNEL_DIR override) and building them, including a build that fails and must report the compiler's log. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "device/clerr.h"
#include "device/device.h"
#include "device/program.h"
#include "../support/text_file.h"

static const char *env_dir(const char *name)
{
    const char *d = getenv(name);
    cr_assert(d && *d, "%s is not set: run the tests with `meson test`", name);
    return d;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(kernel_source, embedded_copy_by_default)
{
    const char *origin = NULL;
    nbcl_err err;
    char *disk = test_text_file(env_dir("NBCL_SOURCE_KERNEL_DIR"), "selftest.cl");
    unsetenv("NBCL_KERNEL_DIR");
    char *text = nbcl_kernel_source("selftest.cl", &origin, &err);
    cr_assert_not_null(text, "%s", err.msg);
    cr_expect_str_eq(origin, "embedded");
    cr_expect_str_eq(text, disk);
    free(text);
    setenv("NBCL_KERNEL_DIR", "", 1);   /* empty is the same as unset */
    text = nbcl_kernel_source("selftest.cl", &origin, &err);
    cr_assert_not_null(text, "%s", err.msg);
    cr_expect_str_eq(origin, "embedded");
    free(text);
}

Test(kernel_source, the_abi_header_is_embedded)
{
    const char *abi = nbcl_kernel_embedded("abi.h");
    cr_assert_not_null(abi);
    cr_expect(strstr(abi, "NBCL_KPARAMS") != NULL);
    cr_expect_null(nbcl_kernel_embedded("no_such_file.cl"));
}

Test(kernel_source, an_override_directory_without_the_file_is_refused)
{
    const char *origin = NULL;
    nbcl_err err = {0};
    setenv("NBCL_KERNEL_DIR", "/nonexistent/nbcl/kernels", 1);
    char *text = nbcl_kernel_source("selftest.cl", &origin, &err);
    cr_expect_null(text);
    cr_expect(strstr(err.msg, "/nonexistent/nbcl/kernels") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "selftest.cl") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "every kernel file") != NULL, "%s", err.msg);
    free(text);
}

Test(kernel_source, an_override_directory_is_used_when_it_has_the_file)
{
    char dir[] = "/tmp/nbcl-test-XXXXXX";
    const char *origin = NULL;
    nbcl_err err = {0};
    cr_assert_not_null(mkdtemp(dir));
    setenv("NBCL_KERNEL_DIR", dir, 1);
    cr_assert_eq(nbcl_kernel_override_dir() != NULL, 1);
    cr_expect_null(nbcl_kernel_source("selftest.cl", &origin, &err), "an incomplete directory must not fall back");
    write_file(dir, "selftest.cl", "// override\n");
    char *text = nbcl_kernel_source("selftest.cl", &origin, &err);
    cr_assert_not_null(text, "%s", err.msg);
    cr_expect_str_eq(text, "// override\n");
    cr_expect_str_eq(origin, dir);
    free(text);
    char path[4096];
    snprintf(path, sizeof path, "%s/selftest.cl", dir);
    remove(path);
    rmdir(dir);
}

Test(kernel_source, unknown_file_is_an_error)
{
    nbcl_err err = {0};
    unsetenv("NBCL_KERNEL_DIR");
    cr_expect_null(nbcl_kernel_source("no_such_kernel.cl", NULL, &err));
    cr_expect(strstr(err.msg, "no_such_kernel.cl") != NULL, "%s", err.msg);
}

/* ---------------------------------------------------------------- building */

typedef struct cl_fixture {
    nbcl_device_info *list;
    cl_device_id dev;
    cl_context ctx;
    cl_command_queue queue;
} cl_fixture;

static cl_fixture fx;

static void cl_setup(void)
{
    nbcl_err err;
    int count = 0, *picked = NULL, np = 0;
    cl_int rc;
    cr_assert_eq(nbcl_device_enumerate(&fx.list, &count, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_device_select(fx.list, count, NULL, &picked, &np, &err), 0, "%s", err.msg);
    fx.dev = fx.list[picked[0]].id;
    free(picked);
    fx.ctx = clCreateContext(NULL, 1, &fx.dev, NULL, NULL, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateContext: %s", nbcl_cl_error_name(rc));
    fx.queue = clCreateCommandQueue(fx.ctx, fx.dev, 0, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateCommandQueue: %s", nbcl_cl_error_name(rc));
}

static void cl_teardown(void)
{
    clReleaseCommandQueue(fx.queue);
    clReleaseContext(fx.ctx);
    free(fx.list);
}

/* Run a one-argument kernel over n floats and return the first value. */
static float run_kernel(cl_program prog, const char *name)
{
    cl_int rc;
    float out[16] = {0};
    size_t n = 16;
    cl_kernel k = clCreateKernel(prog, name, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateKernel: %s", nbcl_cl_error_name(rc));
    cl_mem buf = clCreateBuffer(fx.ctx, CL_MEM_WRITE_ONLY, sizeof out, NULL, &rc);
    cr_assert_eq(rc, CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(k, 0, sizeof buf, &buf), CL_SUCCESS);
    cr_assert_eq(clEnqueueNDRangeKernel(fx.queue, k, 1, NULL, &n, NULL, 0, NULL, NULL), CL_SUCCESS);
    cr_assert_eq(clEnqueueReadBuffer(fx.queue, buf, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL),
                 CL_SUCCESS);
    for (int i = 1; i < 16; i++)
        cr_expect_eq(out[i], out[0]);
    clReleaseMemObject(buf);
    clReleaseKernel(k);
    return out[0];
}

TestSuite(program_build, .init = cl_setup, .fini = cl_teardown);

Test(program_build, selftest_from_embedded_copy_runs)
{
    nbcl_err err;
    cl_program prog;
    const char *names[] = {"selftest.cl"};
    unsetenv("NBCL_KERNEL_DIR");
    cr_assert_eq(nbcl_program_build(fx.ctx, fx.dev, NULL, names, 1, NULL, &prog, &err), 0,
                 "%s", err.msg);
    cr_expect_eq(run_kernel(prog, "nbcl_selftest"), 1.0f);
    clReleaseProgram(prog);
}

Test(program_build, prelude_and_options_reach_the_compiler)
{
    nbcl_err err;
    cl_program prog;
    const char *names[] = {"prelude_test.cl"};
    setenv("NBCL_KERNEL_DIR", env_dir("NBCL_TEST_KERNEL_DIR"), 1);
    cr_assert_eq(nbcl_program_build(fx.ctx, fx.dev, "#define NBCL_TEST_VALUE 1.5f", names, 1,
                                    "-DNBCL_TEST_SCALE=2.0f", &prog, &err), 0, "%s", err.msg);
    cr_expect_eq(run_kernel(prog, "prelude_test"), 3.0f);
    clReleaseProgram(prog);
}

Test(program_build, failed_build_reports_the_build_log)
{
    nbcl_err err = {0};
    cl_program prog = (cl_program)1;
    const char *names[] = {"prelude_test.cl", "broken.cl"};
    setenv("NBCL_KERNEL_DIR", env_dir("NBCL_TEST_KERNEL_DIR"), 1);
    cr_assert_neq(nbcl_program_build(fx.ctx, fx.dev, "#define NBCL_TEST_VALUE 1.5f", names, 2,
                                     "-DNBCL_TEST_SCALE=2.0f", &prog, &err), 0);
    cr_expect_null(prog);
    cr_expect(strstr(err.msg, "clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE") != NULL,
              "%s", err.msg);
    cr_expect(strstr(err.msg, "nbcl_no_such_identifier") != NULL, "no compiler complaint in: %s",
              err.msg);
    cr_expect(strstr(err.msg, "broken.cl") != NULL, "the log should name the file: %s", err.msg);
}

Test(program_build, failed_build_from_source)
{
    nbcl_err err = {0};
    cl_program prog;
    cr_assert_neq(nbcl_program_build_source(fx.ctx, fx.dev, "__kernel void f(void) { syntax error }",
                                            NULL, &prog, &err), 0);
    cr_expect(strstr(err.msg, "build log") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "\n") != NULL, "%s", err.msg);
}

Test(program_build, missing_file_is_reported_before_building)
{
    nbcl_err err = {0};
    cl_program prog;
    const char *names[] = {"no_such_kernel.cl"};
    cr_assert_neq(nbcl_program_build(fx.ctx, fx.dev, NULL, names, 1, NULL, &prog, &err), 0);
    cr_expect(strstr(err.msg, "no_such_kernel.cl") != NULL, "%s", err.msg);
}
