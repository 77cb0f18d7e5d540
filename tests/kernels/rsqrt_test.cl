/* rsqrt_test.cl: the reciprocal square root of a single run's wide values (kernels/wide.cl,
 * wv_rsqrt where the CPU has an estimate of it, else 1 / sqrt) for
 * tests/device/test_kernel_rsqrt.c: NBCL_VW lanes a work-item, out[i] for a[i];
 * path[0] = 1 where the estimate was compiled in, 0 where the divider was used. */
__kernel void rsqrt_test(__global const double *a, __global double *out, __global int *path)
{
    int i = get_global_id(0);
    widev x = NBCL_CAT(vload, NBCL_VW)(i, a);
#ifdef NBCL_HAVE_RSQRT_ESTIMATE
    NBCL_CAT(vstore, NBCL_VW)(wv_rsqrt(x), i, out);
    if (i == 0) path[0] = 1;
#else
    NBCL_CAT(vstore, NBCL_VW)(1.0 / sqrt(x), i, out);
    if (i == 0) path[0] = 0;
#endif
}
