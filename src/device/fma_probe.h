/* fma_probe.h: does a device's fma() fuse? The single-precision float pairs of kernels/wide.cl
 * take a product's exact rounding error from fma(a, b, -a*b); a driver whose fma() rounds the
 * product first returns 0 there, and every float pair silently loses its low half (errors grow
 * 10-1000x while the images still look right). So each device is asked once per process, by
 * a one-work-item kernel on inputs where the fused and unfused answers differ; where it is not
 * fused the engine builds the kernels with NBCL_NO_FUSED_FMA (Dekker's two-product). */
#ifndef NBCL_FMA_PROBE_H
#define NBCL_FMA_PROBE_H

#include <CL/cl.h>
#include "base/error.h"
#include "device/program_cache.h"

/* *fused = 1 when fma() on dev computes a*b+c with one rounding, else 0. The answer is kept
 * per device for the rest of the process (so options must not change between calls; tests
 * pass "-DNBCL_PROBE_UNFUSED" to make the probe kernel round the product first, and a device
 * probed with options is not cached). cache may be NULL. NBCL_UNFUSED_FMA=1 in the
 * environment answers 0 without asking (to test the path without fma on any device). */
int nbcl_fma_fused(nbcl_program_cache *cache, cl_context ctx, cl_device_id dev,
                   const char *options, int *fused, nbcl_err *err);

#endif
