/* prelude_test.cl: uses a macro from the prelude (NBCL_TEST_VALUE) and one from the build
 * options (NBCL_TEST_SCALE), so the test sees that both reach the compiler. */
__kernel void prelude_test(__global float *o)
{
    o[get_global_id(0)] = NBCL_TEST_VALUE * NBCL_TEST_SCALE;
}
