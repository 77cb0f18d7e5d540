/* structure_factor_test.cl: structure_factor() of kernels/structure_factor.cl for groups of
 * NBCL_VW pixel lanes, for tests/device/test_structure_factor.c. Work-item i takes lanes
 * i*NBCL_VW .. i*NBCL_VW + NBCL_VW-1 of hkl (three reals a lane) and writes each lane's
 * F_cell to out; flag[i] says whether an interpolation left the grid. grid holds h_min,
 * k_min, l_min, h_max, k_max, l_max, h_range, k_range, l_range as the engine's table does. */
__kernel void structure_factor_test(__global const real *F, __global const int *grid,
                                    __global const real *hkl, __global real *out,
                                    __global int *flag, real default_F)
{
    int i = get_global_id(0);
    hkl_grid g = {grid[0], grid[1], grid[2], grid[3], grid[4], grid[5], grid[6], grid[7], grid[8]};
    real h[NBCL_VW], k[NBCL_VW], l[NBCL_VW], o[NBCL_VW];
    for (int j = 0; j < NBCL_VW; ++j) {
        h[j] = hkl[3 * (i * NBCL_VW + j)];
        k[j] = hkl[3 * (i * NBCL_VW + j) + 1];
        l[j] = hkl[3 * (i * NBCL_VW + j) + 2];
    }
    vec3v v = {vload_realv(0, h), vload_realv(0, k), vload_realv(0, l)};
    int out_of_range = 0;
    vstore_realv(structure_factor(F, &g, v, default_F, &out_of_range), 0, o);
    for (int j = 0; j < NBCL_VW; ++j) out[i * NBCL_VW + j] = o[j];
    flag[i] = out_of_range;
}
