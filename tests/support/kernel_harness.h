/* kernel_harness.h: a test kernel built on the first device, for the tests that run one
 * kernel helper of kernels/ on the device (test_kernel_math, test_structure_factor): the
 * named embedded kernel files, then tests/kernels/TEST_FILE (from NBCL_TEST_KERNEL_DIR),
 * built with the given options into a context and queue of their own.
 * Include after <criterion/criterion.h>. */
#ifndef NBCL_TEST_KERNEL_HARNESS_H
#define NBCL_TEST_KERNEL_HARNESS_H

#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "device/device.h"
#include "device/program.h"
#include "text_file.h"

typedef struct test_kernel {
    cl_context ctx;
    cl_command_queue queue;
    cl_program program;
    cl_kernel kernel;
} test_kernel;

/* the device a run would choose first, and whether it has fp64 */
static inline __attribute__((unused)) cl_device_id test_first_device(int *has_double)
{
    nbcl_err err;
    nbcl_device_info *list;
    int count = 0, *picked = NULL, np = 0;
    cr_assert_eq(nbcl_device_enumerate(&list, &count, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_device_select(list, count, NULL, &picked, &np, &err), 0, "%s", err.msg);
    cl_device_id dev = list[picked[0]].id;
    if (has_double) *has_double = list[picked[0]].has_fp64;
    free(picked);
    free(list);
    return dev;
}

/* 1 and *t built; 0 when use_double is asked of a device without fp64 (nothing built) */
static inline __attribute__((unused)) int test_kernel_build(test_kernel *t, const char *const *files,
                                                            int nfiles, const char *test_file,
                                                            const char *kernel_name,
                                                            int use_double, const char *options)
{
    nbcl_err err;
    int has_double = 0;
    cl_device_id dev = test_first_device(&has_double);
    if (use_double && !has_double) return 0;
    const char *dir = getenv("NBCL_TEST_KERNEL_DIR");
    cr_assert(dir && *dir, "NBCL_TEST_KERNEL_DIR is not set: run the tests with `meson test`");
    const char *test = test_text_file(dir, test_file);
    size_t len = strlen(test) + 2;
    for (int i = 0; i < nfiles; ++i) {
        cr_assert_not_null(nbcl_kernel_embedded(files[i]), "%s is not embedded", files[i]);
        len += strlen(nbcl_kernel_embedded(files[i])) + 1;
    }
    char *src = calloc(len, 1);
    cr_assert_not_null(src);
    for (int i = 0; i < nfiles; ++i) {
        strcat(src, nbcl_kernel_embedded(files[i]));
        strcat(src, "\n");
    }
    strcat(src, test);
    strcat(src, "\n");
    cl_int rc;
    t->ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateContext: %s", nbcl_cl_error_name(rc));
    t->queue = clCreateCommandQueue(t->ctx, dev, 0, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateCommandQueue: %s", nbcl_cl_error_name(rc));
    char opts[512];
    snprintf(opts, sizeof opts, "%s %s", use_double ? "-DNBCL_DOUBLE=1" : "-cl-single-precision-constant",
             options ? options : "");
    cr_assert_eq(nbcl_program_build_source(t->ctx, dev, src, opts, &t->program, &err), 0, "%s", err.msg);
    free(src);
    t->kernel = clCreateKernel(t->program, kernel_name, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateKernel(%s): %s", kernel_name, nbcl_cl_error_name(rc));
    return 1;
}

/* a device buffer holding n bytes of data (NULL: written by the kernel) */
static inline __attribute__((unused)) cl_mem test_kernel_buffer(test_kernel *t, size_t n, const void *data)
{
    cl_int rc;
    cl_mem b = clCreateBuffer(t->ctx, data ? CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR : CL_MEM_READ_WRITE,
                              n, (void *)data, &rc);
    cr_assert_eq(rc, CL_SUCCESS, "clCreateBuffer: %s", nbcl_cl_error_name(rc));
    return b;
}

/* run the kernel on n work-items (its arguments set) and wait */
static inline __attribute__((unused)) void test_kernel_run(test_kernel *t, size_t n)
{
    cl_int rc = clEnqueueNDRangeKernel(t->queue, t->kernel, 1, NULL, &n, NULL, 0, NULL, NULL);
    cr_assert_eq(rc, CL_SUCCESS, "clEnqueueNDRangeKernel: %s", nbcl_cl_error_name(rc));
    cr_assert_eq(clFinish(t->queue), CL_SUCCESS);
}

static inline __attribute__((unused)) void test_kernel_read(test_kernel *t, cl_mem b, size_t n, void *out)
{
    cl_int rc = clEnqueueReadBuffer(t->queue, b, CL_TRUE, 0, n, out, 0, NULL, NULL);
    cr_assert_eq(rc, CL_SUCCESS, "clEnqueueReadBuffer: %s", nbcl_cl_error_name(rc));
}

static inline __attribute__((unused)) void test_kernel_release(test_kernel *t)
{
    clReleaseKernel(t->kernel);
    clReleaseProgram(t->program);
    clReleaseCommandQueue(t->queue);
    clReleaseContext(t->ctx);
}

#endif
