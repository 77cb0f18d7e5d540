/* test_tables.c: the three layouts of a table of wide values on a device (engine/tables.h,
 * read by kernels/wide.cl as abi.h says): doubles; float pairs (a block's high floats, then
 * its low floats); and, where a single run's wide values are doubles, each block's pairs
 * then the block in doubles. Uploaded to the first device and read back byte for byte, and
 * read by a kernel through wide_param and wide_at at the lattice stage's record stride
 * (tests/kernels/tables_test.cl): a kernel that reads the doubles at the wrong place takes
 * garbage for every orientation after the first (as a half-changed layout did, found by
 * comparing bench images). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/abi.h"
#include "engine/tables.h"
#include "../support/kernel_harness.h"

#define BLOCK 3
#define N 6   /* two blocks (n is a whole number of blocks in every table) */

static void read_back(int layout, size_t block, unsigned char *out, size_t *bytes)
{
    nbcl_err err;
    cl_device_id dev = test_first_device(NULL);
    cl_int rc;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
    cr_assert_eq(rc, CL_SUCCESS);
    cl_command_queue q = clCreateCommandQueue(ctx, dev, 0, &rc);
    cr_assert_eq(rc, CL_SUCCESS);
    double v[N];
    for (int i = 0; i < N; ++i) v[i] = 1.0 / 3.0 + i;   /* not a float: a low part is not 0 */
    cl_mem m = nbcl_upload(ctx, v, N, block, layout, "test", &err);
    cr_assert_not_null(m, "%s", err.msg);
    *bytes = nbcl_device_bytes(N, layout, block);
    cr_assert_eq(clEnqueueReadBuffer(q, m, CL_TRUE, 0, *bytes, out, 0, NULL, NULL), CL_SUCCESS);
    clReleaseMemObject(m);
    clReleaseCommandQueue(q);
    clReleaseContext(ctx);
}

Test(tables, doubles)
{
    unsigned char b[1024];
    size_t bytes;
    read_back(NBCL_TABLE_DOUBLES, BLOCK, b, &bytes);
    cr_assert_eq(bytes, N * sizeof(double));
    for (int i = 0; i < N; ++i) {
        double d;
        memcpy(&d, b + i * sizeof d, sizeof d);
        cr_expect_eq(d, 1.0 / 3.0 + i);
    }
}

/* the pairs of value i of block `blk` (k within it), floats_per_block apart */
static void expect_pair(const float *f, size_t floats_per_block, int i)
{
    int blk = i / BLOCK, k = i % BLOCK;
    double v = 1.0 / 3.0 + i;
    float hi = f[floats_per_block * blk + k], lo = f[floats_per_block * blk + BLOCK + k];
    cr_expect_eq(hi, (float)v, "value %d: high float", i);
    cr_expect_eq(lo, (float)(v - (double)(float)v), "value %d: low float", i);
    cr_expect_neq(lo, 0.0f);
}

Test(tables, float_pairs)
{
    float f[256];
    size_t bytes;
    read_back(NBCL_TABLE_FLOATS, BLOCK, (unsigned char *)f, &bytes);
    cr_assert_eq(bytes, 2 * N * sizeof(float));
    for (int i = 0; i < N; ++i) expect_pair(f, 2 * BLOCK, i);
}

Test(tables, float_pairs_then_doubles)
{
    float f[256];
    size_t bytes;
    read_back(NBCL_TABLE_WIDE, BLOCK, (unsigned char *)f, &bytes);
    cr_assert_eq(bytes, 4 * N * sizeof(float), "4 floats' room a value");
    for (int i = 0; i < N; ++i) {
        expect_pair(f, 4 * BLOCK, i);
        /* wide.cl's wide_at(t, k, BLOCK): the doubles at t + 2 BLOCK floats */
        double d;
        memcpy(&d, f + 4 * BLOCK * (i / BLOCK) + 2 * BLOCK + 2 * (i % BLOCK), sizeof d);
        cr_expect_eq(d, 1.0 / 3.0 + i, "value %d: the double after its block's pairs", i);
    }
}

Test(tables, plain_floats)
{
    float f[256];
    size_t bytes;
    for (int layout = NBCL_TABLE_FLOATS; layout <= NBCL_TABLE_WIDE; layout += NBCL_TABLE_WIDE) {
        read_back(layout, 0, (unsigned char *)f, &bytes);   /* block 0: one float a value */
        cr_assert_eq(bytes, N * sizeof(float));
        for (int i = 0; i < N; ++i) cr_expect_eq(f[i], (float)(1.0 / 3.0 + i));
    }
}

/* the parameters and NORIENT orientation records through the kernels' own readers */
#define NORIENT 3
static void through_kernel(int use_double, const char *options, int layout, double tol)
{
    static const char *const files[] = {"abi.h", "real.cl", "wide.cl"};
    test_kernel t;
    int has_double = 0;
    test_first_device(&has_double);
    if (!has_double) {
        cr_log_warn("the device has no double precision: skipped");
        return;
    }
    cr_assert(test_kernel_build(&t, files, 3, "tables_test.cl", "tables_test", use_double, options));
    double P[KP_COUNT], orient[NORIENT * NBCL_CRYSTAL_REALS];
    for (int k = 0; k < KP_COUNT; ++k) P[k] = 1.0 / 7.0 + k;
    for (int i = 0; i < NORIENT * NBCL_CRYSTAL_REALS; ++i) orient[i] = (i % 2 ? -1.0 : 1.0) * (1e-10 / 3.0 + 1e-12 * i);
    nbcl_err err;
    cl_mem pb = nbcl_upload(t.ctx, P, KP_COUNT, KP_COUNT, layout, "parameter", &err);
    cl_mem cb = nbcl_upload(t.ctx, orient, NORIENT * NBCL_CRYSTAL_REALS, NBCL_CRYSTAL_REALS, layout, "crystal", &err);
    cr_assert(pb && cb, "%s", err.msg);
    size_t nout = KP_COUNT + NORIENT * NBCL_CRYSTAL_REALS;
    cl_mem ob = test_kernel_buffer(&t, nout * sizeof(double), NULL);
    int norient = NORIENT;
    cr_assert_eq(clSetKernelArg(t.kernel, 0, sizeof pb, &pb), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 1, sizeof cb, &cb), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 2, sizeof norient, &norient), CL_SUCCESS);
    cr_assert_eq(clSetKernelArg(t.kernel, 3, sizeof ob, &ob), CL_SUCCESS);
    test_kernel_run(&t, 1);
    double *out = malloc(nout * sizeof *out);
    test_kernel_read(&t, ob, nout * sizeof *out, out);
    for (size_t i = 0; i < nout; ++i) {
        double want = i < KP_COUNT ? P[i] : orient[i - KP_COUNT];
        cr_expect_leq(fabs(out[i] - want), tol * fabs(want), "%s: value %zu read as %.17g, uploaded %.17g",
                      options ? options : (use_double ? "double" : "single"), i, out[i], want);
    }
    free(out);
    clReleaseMemObject(pb);
    clReleaseMemObject(cb);
    clReleaseMemObject(ob);
    test_kernel_release(&t);
}

Test(tables, the_kernels_read_each_layout)
{
    through_kernel(1, NULL, NBCL_TABLE_DOUBLES, 0.0);
    through_kernel(0, "-DNBCL_WIDE_DOUBLE=1", NBCL_TABLE_WIDE, 0.0);
    through_kernel(0, NULL, NBCL_TABLE_FLOATS, ldexp(1.0, -45));   /* hi + lo: ~48 bits */
}
