/* rounding_test.cl: round_up and round_down of kernels/real.cl against the OpenCL
 * library's ceil and floor, NBCL_VW values per work-item, for
 * tests/device/test_kernel_rounding.c: out[4 planes of n] = round_up, ceil, round_down,
 * floor of each value. */
__kernel void rounding_test(__global const real *x, __global real *out, int n)
{
    int i = get_global_id(0);
    realv v = vload_realv(i, x);
    vstore_realv(round_up(v), i, out);
    vstore_realv(ceil(v), i, out + n);
    vstore_realv(round_down(v), i, out + 2 * n);
    vstore_realv(floor(v), i, out + 3 * n);
}
