/* math_test.cl: the lattice-factor helpers of kernels/physics.cl for a list of offsets f,
 * one work-item each (NBCL_VW 1), for tests/device/test_kernel_math.c:
 * out[3i] = two_cos_pi_offset(f), out[3i+1] = grating_product of (f, f/2, -f) with N, and
 * out[3i+2] = the same product from three sincg calls. */
__kernel void math_test(__global const real *f, __global real *out, real nx, real ny, real nz)
{
    int i = get_global_id(0);
    real x = f[i];
    vec3 N = {nx, ny, nz};
    vec3v v = {x, x * R(0.5), -x};
    out[3 * i] = two_cos_pi_offset(x);
    out[3 * i + 1] = grating_product(v, N);
    real F = R(1.0);
    if (N.x > R(1.0)) F *= sincg(v.x, N.x);
    if (N.y > R(1.0)) F *= sincg(v.y, N.y);
    if (N.z > R(1.0)) F *= sincg(v.z, N.z);
    out[3 * i + 2] = F;
}
