/* fma_probe.c: asking a device once whether its fma() fuses (see fma_probe.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "device/fma_probe.h"

/* a = b = 1 + 2^-23, c = -(1 + 2^-22): a*b = 1 + 2^-22 + 2^-46 exactly, which rounds to
 * 1 + 2^-22, so unfused gives 0 and fused 2^-46. The inputs come from a buffer so that no
 * compiler folds the call. */
static const char PROBE_SOURCE[] =
    "#pragma OPENCL FP_CONTRACT OFF\n"
    "__kernel void nbcl_fma_probe(__global const float *in, __global float *out)\n"
    "{\n"
    "#ifdef NBCL_PROBE_UNFUSED\n"
    "    float p = in[0] * in[1];\n"
    "    out[0] = p + in[2];\n"
    "#else\n"
    "    out[0] = fma(in[0], in[1], in[2]);\n"
    "#endif\n"
    "}\n";

#define PROBE_CACHE_MAX 64
static struct { cl_device_id dev; int fused; } probed[PROBE_CACHE_MAX];
static int nprobed;
static pthread_mutex_t probed_lock = PTHREAD_MUTEX_INITIALIZER;

static int cached(cl_device_id dev, int *fused)
{
    int hit = 0;
    pthread_mutex_lock(&probed_lock);
    for (int i = 0; i < nprobed && !hit; i++)
        if (probed[i].dev == dev) {
            *fused = probed[i].fused;
            hit = 1;
        }
    pthread_mutex_unlock(&probed_lock);
    return hit;
}

static void remember(cl_device_id dev, int fused)
{
    pthread_mutex_lock(&probed_lock);
    if (nprobed < PROBE_CACHE_MAX) {
        probed[nprobed].dev = dev;
        probed[nprobed++].fused = fused;
    }
    pthread_mutex_unlock(&probed_lock);
}

/* Runs the built probe program on one work-item; *out gets its answer. */
static int run_probe(cl_context ctx, cl_device_id dev, cl_program prog, float *out, nbcl_err *err)
{
    const float in[3] = {1.0f + 0x1p-23f, 1.0f + 0x1p-23f, -(1.0f + 0x1p-22f)};
    cl_int rc;
    cl_mem bin = NULL, bout = NULL;
    cl_command_queue q = NULL;
    cl_kernel k = clCreateKernel(prog, "nbcl_fma_probe", &rc);
    int bad = nbcl_cl_check(rc, "clCreateKernel(nbcl_fma_probe)", err);
    if (!bad) q = clCreateCommandQueue(ctx, dev, 0, &rc);
    if (!bad) bad = nbcl_cl_check(rc, "clCreateCommandQueue", err);
    if (!bad) bin = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in,
                                   (void *)in, &rc);
    if (!bad) bad = nbcl_cl_check(rc, "clCreateBuffer(fma probe)", err);
    if (!bad) bout = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, sizeof *out, NULL, &rc);
    if (!bad) bad = nbcl_cl_check(rc, "clCreateBuffer(fma probe)", err);
    if (!bad) bad = nbcl_cl_check(clSetKernelArg(k, 0, sizeof bin, &bin), "clSetKernelArg", err) ||
                    nbcl_cl_check(clSetKernelArg(k, 1, sizeof bout, &bout), "clSetKernelArg", err);
    size_t one = 1;
    if (!bad) bad = nbcl_cl_check(clEnqueueNDRangeKernel(q, k, 1, NULL, &one, &one, 0, NULL,
                                                         NULL), "clEnqueueNDRangeKernel(nbcl_fma_probe)", err);
    if (!bad) bad = nbcl_cl_check(clEnqueueReadBuffer(q, bout, CL_TRUE, 0, sizeof *out, out, 0,
                                                      NULL, NULL), "clEnqueueReadBuffer(fma probe)", err);
    if (bin) clReleaseMemObject(bin);
    if (bout) clReleaseMemObject(bout);
    if (q) clReleaseCommandQueue(q);
    if (k) clReleaseKernel(k);
    return bad ? -1 : 0;
}

int nbcl_fma_fused(nbcl_program_cache *cache, cl_context ctx, cl_device_id dev,
                   const char *options, int *fused, nbcl_err *err)
{
    const char *force = getenv("NBCL_UNFUSED_FMA");
    int plain = !options || !*options;
    if (force && *force && strcmp(force, "0")) {
        *fused = 0;
        return 0;
    }
    if (plain && cached(dev, fused)) return 0;
    cl_program prog = NULL;
    if (nbcl_program_cache_build(cache, ctx, dev, PROBE_SOURCE, options, &prog, NULL, err))
        return -1;
    float out = -1.0f;
    int rc = run_probe(ctx, dev, prog, &out, err);
    clReleaseProgram(prog);
    if (rc) return -1;
    *fused = out == 0x1p-46f;
    if (plain) remember(dev, *fused);
    return 0;
}
