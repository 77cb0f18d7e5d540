/* lanes_test.cl: round_up, round_down and any_lane of kernels/real.cl against the OpenCL
 * library's ceil, floor and any, NBCL_VW values per work-item, for
 * tests/device/test_kernel_lanes.c: out[6 planes of n] = round_up, ceil, round_down, floor
 * of each value, then per work-item any_lane(v > 0) and any(v > 0) (1 or 0, at the
 * work-item's first value). */
__kernel void lanes_test(__global const real *x, __global real *out, int n)
{
    int i = get_global_id(0);
    realv v = vload_realv(i, x);
    vstore_realv(round_up(v), i, out);
    vstore_realv(ceil(v), i, out + n);
    vstore_realv(round_down(v), i, out + 2 * n);
    vstore_realv(floor(v), i, out + 3 * n);
#if NBCL_VW == 1
    int library_any = v > R(0.0);
#else
    int library_any = any(v > R(0.0));
#endif
    out[4 * n + i * NBCL_VW] = any_lane(v > R(0.0)) ? R(1.0) : R(0.0);
    out[5 * n + i * NBCL_VW] = library_any ? R(1.0) : R(0.0);
}
