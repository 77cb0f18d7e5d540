/* tables_test.cl: a parameter table and a crystal-orientation table as the host uploads
 * them (src/engine/tables.c), read back through kernels/wide.cl's wide_param and wide_at at
 * the record stride the lattice stage uses, for tests/engine/test_tables.c: out holds
 * KP_COUNT parameters, then norient records of NBCL_CRYSTAL_REALS values, as doubles. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#ifdef NBCL_WIDE_SCALAR
#define WIDE_AS_DOUBLE(w) ((double)(w))
#else
#define WIDE_AS_DOUBLE(w) ((double)(w).hi + (double)(w).lo)
#endif

__kernel void tables_test(__constant real *P, __global const real *crystal, int norient,
                          __global double *out)
{
    if (get_global_id(0) != 0) return;
    for (int k = 0; k < KP_COUNT; ++k) out[k] = WIDE_AS_DOUBLE(wide_param(P, k));
    for (int o = 0; o < norient; ++o) {
        __global const real *rec = crystal + (size_t)NBCL_CRYSTAL_REALS * NBCL_WIDE_PARTS * o;
        for (int f = 0; f < NBCL_CRYSTAL_REALS; ++f)
            out[KP_COUNT + o * NBCL_CRYSTAL_REALS + f] = WIDE_AS_DOUBLE(wide_at(rec, f, NBCL_CRYSTAL_REALS));
    }
}
