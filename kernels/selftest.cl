/* selftest.cl: the smallest kernel there is, built at startup as a smoke test of the
 * OpenCL runtime (and of the embedded-kernel fallback). */
__kernel void nbcl_selftest(__global float *o)
{
    o[get_global_id(0)] = 1.0f;
}
