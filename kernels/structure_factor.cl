/* structure_factor.cl: F_cell for fractional Miller indices, from the HKL grid uploaded
 * once per run: the nearest reflection, or (NBCL_INTERPOLATE) tricubic interpolation over
 * the 4x4x4 neighbourhood. Outside the grid F_cell is default_F; an interpolation whose
 * neighbourhood leaves the grid falls back to default_F for that evaluation only and
 * raises *flag so the host can warn once (the reference instead switched interpolation off
 * for the rest of the run, which made images depend on pixel order). */

typedef struct hkl_grid {
    int h_min, k_min, l_min;
    int h_max, k_max, l_max;
    int h_range, k_range, l_range;   /* max - min + 1; storage is (range+1) per axis */
} hkl_grid;

NBCL_INLINE real grid_value(__global const real *F, const hkl_grid *g, int h, int k, int l)
{
    return F[((h - g->h_min) * (g->k_range + 1) + (k - g->k_min)) * (g->l_range + 1) + (l - g->l_min)];
}

/* F of the nearest reflection, default_F where the grid has none */
NBCL_INLINE real nearest_structure_factor(__global const real *F, const hkl_grid *g, real h,
                                          real k, real l, real default_F)
{
    int h0 = (int)round_up(h - R(0.5)), k0 = (int)round_up(k - R(0.5)), l0 = (int)round_up(l - R(0.5));
    int inside = h0 >= g->h_min && h0 <= g->h_max && k0 >= g->k_min && k0 <= g->k_max &&
                 l0 >= g->l_min && l0 <= g->l_max;
    return inside ? grid_value(F, g, h0, k0, l0) : default_F;
}

/* The four Lagrange weights of the nodes x0, x0+1, x0+2, x0+3 at x, for every lane: the
 * polynomial through (x0+i, y[i]) is then sum w[i] y[i]. The nodes are whole numbers one
 * apart, so the denominators prod_{j != i} (i - j) are exactly -6, 2, -2 and 6, taken as
 * reciprocals. Tricubic interpolation is a product of three such polynomials, so one set of
 * weights per axis serves the 21 four-point polynomials of the reference's polin3 (16 along
 * l, 4 along k, 1 along h): the same polynomial, each value within a few roundings of
 * Neville's. */
typedef struct lagrange4 {
    realv w[4];
} lagrange4;

NBCL_INLINE lagrange4 lagrange4_weights(realv x0, realv x)
{
    realv d0 = x - x0, d1 = x - (x0 + R(1.0)), d2 = x - (x0 + R(2.0)), d3 = x - (x0 + R(3.0));
    realv d01 = d0 * d1, d23 = d2 * d3;
    lagrange4 L;
    L.w[0] = d1 * d23 * R(-0.16666666666666666);
    L.w[1] = d0 * d23 * R(0.5);
    L.w[2] = d01 * d3 * R(-0.5);
    L.w[3] = d01 * d2 * R(0.16666666666666666);
    return L;
}

NBCL_INLINE realv lagrange4_sum(const lagrange4 *L, realv y0, realv y1, realv y2, realv y3)
{
    return L->w[0] * y0 + L->w[1] * y1 + L->w[2] * y2 + L->w[3] * y3;
}

#if defined(NBCL_HAVE_GRID) && defined(NBCL_INTERPOLATE)
/* The tricubic polynomial of every lane over one 4x4x4 neighbourhood, the one whose first
 * corner is cell `corner` of the grid, from each lane's weights along h, k and l: the
 * neighbourhood summed along l, then k, then h. Straight-line code (the loops unrolled):
 * 64 loads, each one value for all lanes, and 21 independent four-term sums the compiler
 * can interleave. */
NBCL_INLINE realv tricubic_sum(__global const real *F, int corner, int hstride, int kstride,
                               const lagrange4 *wh, const lagrange4 *wk, const lagrange4 *wl)
{
    realv along_h[4];
#pragma unroll
    for (int a = 0; a < 4; ++a) {
        realv along_k[4];
#pragma unroll
        for (int b = 0; b < 4; ++b) {
            __global const real *row = F + corner + a * hstride + b * kstride;
            along_k[b] = lagrange4_sum(wl, (realv)(row[0]), (realv)(row[1]), (realv)(row[2]),
                                       (realv)(row[3]));
        }
        along_h[a] = lagrange4_sum(wk, along_k[0], along_k[1], along_k[2], along_k[3]);
    }
    return lagrange4_sum(wh, along_h[0], along_h[1], along_h[2], along_h[3]);
}

/* Tricubic interpolation for every lane: the 64 reflections of each neighbourhood the
 * lanes need are loaded once for all lanes, the polynomial arithmetic runs on all lanes
 * together. Lanes whose neighbourhood leaves the grid get default_F. */
NBCL_INLINE realv interpolated_structure_factor_v(__global const real *F, const hkl_grid *g,
                                                  vec3v hkl, real default_F, int *out_of_range)
{
    /* the reference's in-range test (here its negation, so that a NaN index is out of
     * range) and the neighbourhood's first corner, on all lanes; the comparisons are
     * combined with & (each is all ones or zero), not with || and !: on double vectors
     * oclgrind gave -2 for a lane of !(a || b), which select() took as true */
    maskv ok = ((hkl.x - (real)g->h_min + R(3.0)) <= (real)g->h_range) & ((hkl.x - R(2.0)) >= (real)g->h_min) &
               ((hkl.y - (real)g->k_min + R(3.0)) <= (real)g->k_range) & ((hkl.y - R(2.0)) >= (real)g->k_min) &
               ((hkl.z - (real)g->l_min + R(3.0)) <= (real)g->l_range) & ((hkl.z - R(2.0)) >= (real)g->l_min);
    if (any_lane(ok == 0)) *out_of_range = 1;
    realv h0 = round_down(hkl.x) - R(1.0), k0 = round_down(hkl.y) - R(1.0), l0 = round_down(hkl.z) - R(1.0);
    int kstride = g->l_range + 1, hstride = (g->k_range + 1) * kstride;
    intv corner = (convert_intv(h0) - g->h_min) * hstride + (convert_intv(k0) - g->k_min) * kstride +
                  (convert_intv(l0) - g->l_min);
    corner = lane_select((intv)(-1), corner, convert_intv(ok));   /* -1: outside the grid, no sum */
    lagrange4 wh = lagrange4_weights(h0, hkl.x);
    lagrange4 wk = lagrange4_weights(k0, hkl.y);
    lagrange4 wl = lagrange4_weights(l0, hkl.z);
    /* one sum per distinct neighbourhood among the lanes, each lane taking its own: one
     * where neighbouring pixels share it (mostly), two where they straddle a whole index;
     * the same operations on the same values per lane whichever way they are grouped */
    realv value = (realv)(R(0.0));
    int pending[NBCL_VW];
    vstore_intv(corner, 0, pending);
    for (int j = 0; j < NBCL_VW; ++j) {
        if (pending[j] < 0) continue;   /* outside the grid, or summed with an earlier lane */
        int first = pending[j];
        maskv_int same = corner == first;
        value = lane_select(value, tricubic_sum(F, first, hstride, kstride, &wh, &wk, &wl),
                            convert_maskv(same));
        corner = lane_select(corner, (intv)(-1), same);
        vstore_intv(corner, 0, pending);
    }
    return lane_select((realv)(default_F), value, ok);
}
#endif

#if NBCL_VW > 1 && defined(NBCL_HAVE_GRID) && !defined(NBCL_BIG_GRID)
/* nearest reflections of every lane: indices and the in-grid test computed on all lanes
 * together, then one load for all lanes where they share the reflection (neighbouring
 * pixels mostly do), else one per lane (lanes outside the grid read cell 0 and get
 * default_F) */
NBCL_INLINE realv nearest_structure_factor_v(__global const real *F, const hkl_grid *g, vec3v hkl,
                                             real default_F)
{
    realv h0 = round_up(hkl.x - R(0.5)), k0 = round_up(hkl.y - R(0.5)), l0 = round_up(hkl.z - R(0.5));
    maskv inside = h0 >= (real)g->h_min && h0 <= (real)g->h_max && k0 >= (real)g->k_min &&
                   k0 <= (real)g->k_max && l0 >= (real)g->l_min && l0 <= (real)g->l_max;
    realv index = ((h0 - (real)g->h_min) * (real)(g->k_range + 1) + (k0 - (real)g->k_min)) *
                      (real)(g->l_range + 1) + (l0 - (real)g->l_min);
    index = lane_select((realv)(R(0.0)), index, inside);
    real idx[NBCL_VW], v[NBCL_VW];
    vstore_realv(index, 0, idx);
    int shared = 1;
    for (int j = 1; j < NBCL_VW; ++j) shared &= idx[j] == idx[0];
    if (shared) return lane_select((realv)(default_F), (realv)(F[(int)idx[0]]), inside);
    for (int j = 0; j < NBCL_VW; ++j) v[j] = F[(int)idx[j]];
    return lane_select((realv)(default_F), vload_realv(0, v), inside);
}
#endif

/* F_cell for every pixel lane */
NBCL_INLINE realv structure_factor(__global const real *F, const hkl_grid *g, vec3v hkl,
                                   real default_F, int *out_of_range)
{
#ifndef NBCL_HAVE_GRID
    return (realv)(default_F);
#elif defined(NBCL_INTERPOLATE)
    return interpolated_structure_factor_v(F, g, hkl, default_F, out_of_range);
#elif NBCL_VW == 1 || defined(NBCL_BIG_GRID)
    /* one lane at a time (on a single lane, or for a grid too large for whole-number
     * indices in `real`) */
    (void)out_of_range;
    real h[NBCL_VW], k[NBCL_VW], l[NBCL_VW], out[NBCL_VW];
    vstore_realv(hkl.x, 0, h);
    vstore_realv(hkl.y, 0, k);
    vstore_realv(hkl.z, 0, l);
    for (int j = 0; j < NBCL_VW; ++j) out[j] = nearest_structure_factor(F, g, h[j], k[j], l[j], default_F);
    return vload_realv(0, out);
#else
    (void)out_of_range;
    return nearest_structure_factor_v(F, g, hkl, default_F);
#endif
}
