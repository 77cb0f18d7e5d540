/* test_tables.c: the three layouts of a table of wide values on a device (engine/tables.h,
 * read by kernels/wide.cl as abi.h says): doubles; float pairs (a block's high floats, then
 * its low floats); and, where a single run's wide values are doubles, each block's pairs
 * then the block in doubles. Uploaded to the first device and read back byte for byte: a
 * kernel that reads the doubles at the wrong place would take garbage for every orientation
 * after the first (as a half-changed layout did, found by comparing bench images). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
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
