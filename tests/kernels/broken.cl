/* broken.cl: must not compile; the test checks that the compiler's complaint (the
 * undeclared identifier) reaches the error message. */
__kernel void broken(__global float *o)
{
    o[get_global_id(0)] = nbcl_no_such_identifier * 2.0f;
}
