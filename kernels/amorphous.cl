/* amorphous.cl: the scattering of an amorphous material in the beam (water, ice, air...),
 * the background of -stol (nonBragg.c's model): at each sensor layer, sub-pixel and source
 * a pixel adds sign(F) F^2 of one molecule at its sin(theta)/lambda, with the same
 * per-sub-pixel factors as the Bragg term; the lattice stage weighs the sum by KP_BG_WEIGHT
 * (molecules in the beam, in the lattice sum's units) so that the scaling stage applies
 * r_e^2, fluence, polarization, solid angle and capture to both alike.
 * F comes from the table uploaded once (abi.h): nonBragg's four-point polynomial through
 * the two rows either side of stol, a straight line in the first and last intervals, and
 * the first or last row's F outside the table. */
#ifdef NBCL_HAVE_STOL

/* the Lagrange polynomial through four points at t (nonBragg's polint) */
NBCL_INLINE real polint4(const real x[4], const real y[4], real t)
{
    real sum = R(0.0);
    for (int i = 0; i < 4; ++i) {
        real term = y[i];
        for (int j = 0; j < 4; ++j)
            if (j != i) term *= (t - x[j]) / (x[i] - x[j]);
        sum += term;
    }
    return sum;
}

/* F of one molecule at sin(theta)/lambda = stol */
NBCL_INLINE real amorphous_F(__global const real *table, int rows, real stol)
{
    __global const real *F = table + rows;
    if (stol <= table[0]) return F[0];
    if (stol >= table[rows - 1]) return F[rows - 1];
    int lo = 0, hi = rows - 1;   /* table[lo] <= stol < table[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (table[mid] <= stol) lo = mid;
        else hi = mid;
    }
    if (lo == 0 || hi == rows - 1)
        return F[lo] + (F[hi] - F[lo]) * (stol - table[lo]) / (table[hi] - table[lo]);
    real x[4], y[4];
    for (int i = 0; i < 4; ++i) {
        x[i] = table[lo - 1 + i];
        y[i] = F[lo - 1 + i];
    }
    return polint4(x, y, stol);
}

/* sign(F) F^2 for every lane (a negative F subtracts, as in nonBragg.c) */
NBCL_INLINE realv amorphous_intensity_v(__global const real *table, int rows, realv stol)
{
    real s[NBCL_VW], out[NBCL_VW];
    vstore_realv(stol, 0, s);
    for (int j = 0; j < NBCL_VW; ++j) {
        real F = amorphous_F(table, rows, s[j]);
        out[j] = F < R(0.0) ? -F * F : F * F;
    }
    return vload_realv(0, out);
}

#endif
