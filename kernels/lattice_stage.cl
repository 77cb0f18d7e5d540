/* lattice_stage.cl: the per-pixel sum of F_cell^2 F_latt^2 over sensor layers, sub-pixels,
 * sources and crystal orientations (phi steps x mosaic domains, rotated once on the host).
 * It also keeps the per-pixel factors the scaling stage applies: polarization, solid angle
 * and capture fraction, taken where the reference takes them (first sub-pixel, first
 * source) unless the matching -oversample_* flag asks for them per sub-pixel.
 *
 * One work-item computes NBCL_VW neighbouring pixels of the tile at once, one per vector
 * lane, so the inner loop over orientations is straight-line vector code. Options are
 * compile-time constants (-D NBCL_*); loop counts are run-time values (in G), so one built
 * program serves every run with the same options.
 * Output: the stage-1 planes of src/engine/abi.h, `stride` reals each: I, polar, omega,
 * capture, omega summed over sub-pixels; with -printout (NBCL_PRINTOUT) also the last stol,
 * sub-pixel position, h k l, F_cell and F_latt evaluated, which the reference prints. */

#if defined(NBCL_OS_THICK) || defined(NBCL_OS_POLAR) || defined(NBCL_OS_OMEGA)
#define NBCL_OS_ANY 1
#endif

/* the scattering vector's length is needed (-dmin, -printout, -stol) */
#if defined(NBCL_HAVE_DMIN) || defined(NBCL_PRINTOUT) || defined(NBCL_HAVE_STOL)
#define NBCL_NEED_S 1
#endif

/* the stage-1 planes written (src/engine/abi.h) */
#ifdef NBCL_PRINTOUT
#define STAGE1_PLANES S1_COUNT
#else
#define STAGE1_PLANES S1_BASIC
#endif

/* the factors applied per sub-pixel (-oversample_thick, _polar, _omega) */
NBCL_INLINE realv subpixel_factors(realv capture, realv polar, realv omega)
{
    realv f = (realv)(R(1.0));
#ifdef NBCL_OS_THICK
    f *= capture;
#endif
#ifdef NBCL_OS_POLAR
    f *= polar;
#endif
#ifdef NBCL_OS_OMEGA
    f *= omega;
#endif
    return f;
}

/* h, k, l of every lane from the axes a, b, c (9 wide values) starting at field `axes` of an
 * orientation record (src/engine/abi.h, NBCL_CR_*) dotted with a wide vector v of every lane */
NBCL_INLINE vec3w miller_indices(__global const real *rec, int axes, vec3w v)
{
    widev m[3];
    for (int r = 0; r < 3; ++r) {
        int f = axes + 3 * r;
        vec3w axis = {wv_splat(wide_at(rec, f, NBCL_CRYSTAL_REALS)),
                      wv_splat(wide_at(rec, f + 1, NBCL_CRYSTAL_REALS)),
                      wv_splat(wide_at(rec, f + 2, NBCL_CRYSTAL_REALS))};
        m[r] = wv_dot(axis, v);
    }
    vec3w hkl = {m[0], m[1], m[2]};
    return hkl;
}

/* wide h, k, l as plain values, and their offsets dh from the nearest whole indices */
NBCL_INLINE vec3v indices_and_offsets(vec3w hkl, vec3v *dh)
{
    dh->x = wv_offset_from_nearest(hkl.x);
    dh->y = wv_offset_from_nearest(hkl.y);
    dh->z = wv_offset_from_nearest(hkl.z);
    return vec3w_value(hkl);
}

#ifndef NBCL_DOUBLE
/* (a - a_anchor).S, ... for every lane: the change of h, k, l from the anchor's, in plain
 * floats (the differences are small, and so are their rounding errors) */
NBCL_INLINE vec3v miller_correction(__global const real *rec, vec3v S)
{
    realv m[3];
    for (int r = 0; r < 3; ++r) {
        __global const real *d = rec + NBCL_CR_DELTA + 3 * r;
        m[r] = d[0] * S.x + d[1] * S.y + d[2] * S.z;
    }
    vec3v c = {m[0], m[1], m[2]};
    return c;
}

/* h, k, l of an anchor, each as its nearest whole index and the offset from it */
typedef struct anchor3 {
    split_index x, y, z;
} anchor3;
#else
typedef int anchor3;   /* unused in a double run */
#endif

/* a crystal orientation's h, k, l and their offsets dh from the nearest whole indices.
 * In double: a.S directly. In single: h, k, l of the orientation's group anchor are
 * computed in wide arithmetic when the group changes (group and anchor carry them from one
 * orientation to the next) and each member adds its correction in plain floats, unless a
 * lane's correction exceeds one index, where the member's own are computed in wide
 * arithmetic instead: the offsets then err by a few float roundings of a number below 1,
 * as the wide arithmetic's do. The lanes are checked only where the member's REACH is
 * beyond reach_limit (a little under 1/|S| of the longest S of the lanes), since
 * |DELTA.S| <= REACH |S|; an orientation alone in its group takes its own indices. */
NBCL_INLINE vec3v orientation_hkl(__global const real *rec, vec3w S_w, vec3v S, real reach_limit,
                                  int *group, anchor3 *anchor, vec3v *dh)
{
#ifdef NBCL_DOUBLE
    (void)S; (void)reach_limit; (void)group; (void)anchor;
    return indices_and_offsets(miller_indices(rec, NBCL_CR_AXES, S_w), dh);
#else
    int g = (int)rec[NBCL_CR_GROUP];
    if (g < 0) {   /* an orientation alone in its group: no anchor to share, its own indices */
        return indices_and_offsets(miller_indices(rec, NBCL_CR_AXES, S_w), dh);
    }
    if (g != *group) {
        vec3w a = miller_indices(rec, NBCL_CR_ANCHOR, S_w);
        anchor->x = wv_split(a.x);
        anchor->y = wv_split(a.y);
        anchor->z = wv_split(a.z);
        *group = g;
    }
    vec3v c = miller_correction(rec, S);
    if (rec[NBCL_CR_REACH] > reach_limit &&
        any_lane(fabs(c.x) > R(1.0) || fabs(c.y) > R(1.0) || fabs(c.z) > R(1.0))) {
        return indices_and_offsets(miller_indices(rec, NBCL_CR_AXES, S_w), dh);
    }
    vec3v t = {anchor->x.f + c.x, anchor->y.f + c.y, anchor->z.f + c.z};
    dh->x = offset_from_nearest(t.x);
    dh->y = offset_from_nearest(t.y);
    dh->z = offset_from_nearest(t.z);
    vec3v v = {anchor->x.n + t.x, anchor->y.n + t.y, anchor->z.n + t.z};
    return v;
#endif
}

#ifndef NBCL_DOUBLE
/* a single-precision run's source table holds, per source, the incident direction and
 * 1/lambda (not lambda) as hi floats, then lo floats: source src's as wide values */
typedef struct wide_source {
    wide x, y, z, inv_lambda;
} wide_source;

NBCL_INLINE wide_source source_wide(__global const real4 *sources, int src, int nsources)
{
    real4 hi = sources[src], lo = sources[nsources + src];
    wide_source w = {wide_of(hi.x, lo.x), wide_of(hi.y, lo.y), wide_of(hi.z, lo.z),
                     wide_of(hi.w, lo.w)};
    return w;
}

/* h, k, l of a run's only orientation for source src, (a.d - a.i) / lambda with d the
 * diffracted direction of every lane and i the source's incident one: a.d (`ad`) is taken
 * once per sub-pixel for all sources, and a.i, b.i, c.i and 1/lambda come from the host's
 * lone-source table (abi.h, per image), so a source costs a difference and a product per
 * index where a.S would take the scattering vector and three dot products per lane
 * (bench_sources), and no scalar products of a.i either (nine per source, sub-pixel and
 * work-item: a fifth of bench_sources' kernels). Single precision only: a double run keeps
 * the reference's a.S. */
NBCL_INLINE vec3w lone_orientation_hkl(vec3w ad, __global const real4 *lone, int src, int nsources)
{
#ifdef NBCL_WIDE_DOUBLE
    /* the host writes this table in doubles where the wide values are doubles: no hi + lo
     * to put together per source and work-item (a sixth of bench_sources' instructions) */
    (void)nsources;
    double4 e = ((__global const double4 *)lone)[src];
    wide_source s = {e.x, e.y, e.z, e.w};   /* x, y, z: a.i, b.i, c.i */
#else
    wide_source s = source_wide(lone, src, nsources);   /* x, y, z: a.i, b.i, c.i */
#endif
    vec3w h = {wv_mul_u(wv_sub(ad.x, wv_splat(s.x)), s.inv_lambda),
               wv_mul_u(wv_sub(ad.y, wv_splat(s.y)), s.inv_lambda),
               wv_mul_u(wv_sub(ad.z, wv_splat(s.z)), s.inv_lambda)};
    return h;
}
#endif

/* pos / |pos| for every lane, and |pos| (*length): three divisions in a double run, as the
 * reference does them; elsewhere one reciprocal and three products (a single run's wide
 * values, doubles or float pairs, need not round as the reference's: a double division of
 * 16 lanes takes the AVX-512 divider 32 cycles, and three of them were 3 % of bench_4096's
 * kernels), the reciprocal square root without the divider where the CPU has an estimate
 * of it (wv_rsqrt: bench_4096 single's kernels 7 % faster) */
NBCL_INLINE vec3w unit_direction(vec3w pos, widev *length)
{
    widev r2 = wv_dot(pos, pos);
#if defined(NBCL_DOUBLE)
    *length = sqrt(r2);
    vec3w d = {pos.x / *length, pos.y / *length, pos.z / *length};
#elif defined(NBCL_HAVE_RSQRT_ESTIMATE)
    widev inv = wv_rsqrt(r2);
    *length = r2 * inv;
    vec3w d = {pos.x * inv, pos.y * inv, pos.z * inv};
#elif defined(NBCL_WIDE_SCALAR)
    *length = sqrt(r2);
    widev inv = 1.0 / *length;
    vec3w d = {pos.x * inv, pos.y * inv, pos.z * inv};
#else
    *length = wv_sqrt(r2);
    widev inv = wv_div(wv_from((realv)(R(1.0))), *length);
    vec3w d = {wv_mul(pos.x, inv), wv_mul(pos.y, inv), wv_mul(pos.z, inv)};
#endif
    return d;
}

/* the scattering vector (diffracted - incident) / lambda of one source, for every lane */
NBCL_INLINE vec3w scattering_vector(vec3w diffracted, __global const real4 *sources, int src,
                                    int nsources)
{
#ifdef NBCL_DOUBLE
    (void)nsources;
    real4 i = sources[src];
    vec3w S = {(diffracted.x - i.x) / i.w, (diffracted.y - i.y) / i.w, (diffracted.z - i.z) / i.w};
#else
    wide_source i = source_wide(sources, src, nsources);
    vec3w S = {wv_mul_u(wv_sub(diffracted.x, wv_splat(i.x)), i.inv_lambda),
               wv_mul_u(wv_sub(diffracted.y, wv_splat(i.y)), i.inv_lambda),
               wv_mul_u(wv_sub(diffracted.z, wv_splat(i.z)), i.inv_lambda)};
#endif
    return S;
}

/* the column and row within the tile of every lane: one division for the work-item's first
 * pixel, the other lanes follow along its row and wrap once onto the next (a tile narrower
 * than the vector, where they may wrap more often, divides per lane) */
NBCL_INLINE void lane_pixels(int base, int w, intv *col, intv *row)
{
    intv idx = base + LANE_IOTA;
    if (w < NBCL_VW) {
        *col = idx % w;
        *row = idx / w;
        return;
    }
    int r = base / w;
    intv c = base - r * w + LANE_IOTA;
    maskv_int wrapped = c >= w;
    *col = lane_select(c, c - w, wrapped);
    *row = lane_select((intv)(r), (intv)(r + 1), wrapped);
}

/* Two sub-paths side by side (lattice_factor_pair): on a CPU (the host's
 * NBCL_PAIRED_SUBPATHS) with AVX-512, in single precision. Measured there only: an AVX2
 * CPU's 16 vector registers hold three recurrences of 16 lanes already, and six would
 * spill (untried); in double the values outgrow even AVX-512's registers (bench_heavy's and
 * bench_triclinic's kernels 7-8 % slower). */
#if defined(NBCL_PAIRED_SUBPATHS) && defined(__AVX512F__) && !defined(NBCL_DOUBLE)
#define NBCL_PAIRS 1
#endif

/* The polarization factor at the source s (incident direction and lambda) for the lanes
 * that have none yet: the reference takes it at the first source (not skipped by -dmin:
 * take) of the first sub-pixel, and again wherever it came out 0 */
NBCL_INLINE realv polarization_once(realv polar, real kahn, real4 s, vec3 axis, vec3v diffracted,
                                    maskv take)
{
    vec3 incident = {s.x, s.y, s.z};
    maskv need = (polar == R(0.0)) & take;
    if (!any_lane(need)) return polar;
    return lane_select(polar, polarization_factor(kahn, polarization_frame(incident, axis), diffracted), need);
}

/* One sub-path's F_cell^2 F_latt^2 into the running sum I, as the reference adds it: with
 * per-sub-pixel factors (-oversample_*) it multiplies the sum by them after every term and
 * skips a zero lattice factor (unless there is water) without multiplying; lanes not taken
 * (beyond -dmin) keep their sum. */
NBCL_INLINE widev add_term(widev I, realv F_cell, realv F_latt, realv factors, maskv take)
{
    realv term = F_cell * F_cell * F_latt * F_latt;
#ifdef NBCL_OS_ANY
    widev I_next = wv_mul(wv_accumulate(I, term), wv_from(factors));
#ifndef NBCL_HAVE_WATER
    I_next = wv_select(I_next, I, F_latt == R(0.0));
#endif
#else
    (void)factors;
    widev I_next = wv_accumulate(I, term);
#endif
#ifdef NBCL_HAVE_DMIN
    return wv_select(I, I_next, take);
#else
    (void)take;
    return I_next;
#endif
}

/* -printout: the last sub-path's h, k, l, F_cell and F_latt of the lanes taken */
#ifdef NBCL_PRINTOUT
#define NOTE_LAST(hkl, F_cell, F_latt, take)                                    \
    do {                                                                        \
        last_hkl.x = lane_select(last_hkl.x, (hkl).x, take);                    \
        last_hkl.y = lane_select(last_hkl.y, (hkl).y, take);                    \
        last_hkl.z = lane_select(last_hkl.z, (hkl).z, take);                    \
        last_F_cell = lane_select(last_F_cell, F_cell, take);                   \
        last_F_latt = lane_select(last_F_latt, F_latt, take);                   \
    } while (0)
#else
#define NOTE_LAST(hkl, F_cell, F_latt, take) ((void)0)
#endif

__kernel void nbcl_lattice(__constant real *P,               /* parameters (abi.h: hi, lo, doubles) */
                           __global const real4 *sources,    /* incident unit vector, lambda */
                           __global const real *crystal,     /* one record per orientation (NBCL_CR_*) */
                           __global const real *Fgrid,
                           __constant int *G,                /* hkl grid, roi, loop counts */
                           __global const uchar *mask,       /* tile mask, 0 = skip */
                           int x0, int y0, int w, int h, int stride,
                           __global real *out,
                           __global int *flags,
                           __global const real *bg_table,   /* -stol: the amorphous table */
                           __global const real4 *lone_sources) /* one orientation, single: a.i, b.i, c.i, 1/lambda */
{
    int base = get_global_id(0) * NBCL_VW;
    if (base >= w * h) return;
    intv idx = base + LANE_IOTA, fpixel_i, spixel_i;
    lane_pixels(base, w, &fpixel_i, &spixel_i);
    fpixel_i += x0;
    spixel_i += y0;
    realv fpixel = convert_realv(fpixel_i), spixel = convert_realv(spixel_i);

    hkl_grid g = {G[KI_H_MIN], G[KI_K_MIN], G[KI_L_MIN], G[KI_H_MAX], G[KI_K_MAX], G[KI_L_MAX],
                  G[KI_H_RANGE], G[KI_K_RANGE], G[KI_L_RANGE]};
    /* the loop counts: sensor layers, sub-pixels per side, sources, orientations. With one
     * layer and one sub-pixel (NBCL_ONE_SUBPIXEL: the counts of every image an engine runs)
     * the two outer loops fold away at build time, and with them the first-sub-pixel tests
     * and the sums carried from one sub-pixel to the next (bench_4096's kernels 6 % faster
     * in single precision, 12 % in double, on a CPU). On an AVX-512 CPU (NBCL_PAIRS) a
     * single run takes two sources (of its one orientation) or two orientations at a time;
     * with one source or one orientation (NBCL_ONE_SOURCE, NBCL_ONE_ORIENTATION) those
     * loops over pairs are left out */
#ifdef NBCL_ONE_SUBPIXEL
    const int thicksteps = 1, oversample = 1;
#else
    const int thicksteps = G[KI_THICKSTEPS], oversample = G[KI_OVERSAMPLE];
#endif
    const int nsources = G[KI_NSOURCES], ncrystal = G[KI_NCRYSTAL], lone = ncrystal == 1;
    maskv skip = convert_maskv(fpixel_i < G[KI_ROI_XMIN] || fpixel_i > G[KI_ROI_XMAX] ||
                               spixel_i < G[KI_ROI_YMIN] || spixel_i > G[KI_ROI_YMAX] ||
                               idx >= w * h);
#ifdef NBCL_HAVE_MASK
    uchar mk[NBCL_VW];
    int lanes[NBCL_VW];
    for (int j = 0; j < NBCL_VW; ++j) mk[j] = (base + j < w * h) ? mask[base + j] : 1;
    for (int j = 0; j < NBCL_VW; ++j) lanes[j] = mk[j] == 0 ? -1 : 0;
#if NBCL_VW == 1
    skip = skip || lanes[0];
#else
    skip = skip | convert_maskv(NBCL_CAT(vload, NBCL_VW)(0, lanes));
#endif
#endif

    int slot = get_global_id(0);
    realv zero = (realv)(R(0.0));
    if (!any_lane(!skip)) {   /* every lane outside the ROI or masked: nothing to compute */
        for (int p = 0; p < STAGE1_PLANES; ++p) vstore_realv(zero, slot, out + p * stride);
        return;
    }

    const vec3 odet = vec3_load(P + KP_ODET_X), polar_axis = vec3_load(P + KP_POLAR_X);
    const vec3 a_star = vec3_load(P + KP_ASTAR_X), b_star = vec3_load(P + KP_BSTAR_X);
    const vec3 c_star = vec3_load(P + KP_CSTAR_X), N = vec3_load(P + KP_NA);
    const wide subpixel = wide_param(P, KP_SUBPIXEL), thickstep_w = wide_param(P, KP_THICKSTEP);
    const real pixel = P[KP_PIXEL];
    const real distance = P[KP_DISTANCE], close_distance = P[KP_CLOSE_DISTANCE];
    const real thickstep = P[KP_THICKSTEP], mu = P[KP_MU];
    const real kahn = P[KP_KAHN], default_F = P[KP_DEFAULT_F], fudge = P[KP_FUDGE];
    const real dmin = P[KP_DMIN];

    /* the running sums, compensated in a single-precision run (wv_accumulate) */
    widev I = wv_from((realv)(P[KP_I_BG]));
#ifdef NBCL_NOPOLAR
    realv polar = (realv)(R(1.0));
#else
    realv polar = (realv)(R(0.0));
#endif
    realv omega = (realv)(R(0.0)), capture = (realv)(R(0.0));
    widev omega_sum = wv_from((realv)(R(0.0)));
    realv I_amorphous = (realv)(R(0.0));   /* sum of sign(F) F^2 of the -stol material */
    int out_of_range = 0;
#ifdef NBCL_PRINTOUT
    realv last_stol = (realv)(R(0.0)), last_F_cell = (realv)(R(0.0)), last_F_latt = (realv)(R(0.0));
    vec3v last_pos, last_hkl;
    last_pos.x = last_pos.y = last_pos.z = last_hkl.x = last_hkl.y = last_hkl.z = (realv)(R(0.0));
#endif

    for (int layer = 0; layer < thicksteps; ++layer) {
        wide Odet = thickstep_w;
#ifdef NBCL_WIDE_SCALAR
        Odet = layer * thickstep_w;
#else
        Odet.hi = layer * thickstep_w.hi;   /* layer * thickstep, exact as a pair */
        Odet.lo = product_error((real)layer, thickstep_w.hi, Odet.hi) + layer * thickstep_w.lo;
#endif
#ifdef NBCL_HAVE_THICK
        capture = (realv)(R(0.0));
#else
        capture = (realv)(R(1.0));
#endif
        for (int subS = 0; subS < oversample; ++subS) {
            for (int subF = 0; subF < oversample; ++subF) {
                vec3w pos_w = subpixel_position(fpixel * oversample + subF,
                                                spixel * oversample + subS, subpixel, Odet,
                                                P, distance);
                widev airpath_w;
                vec3w diffracted_w = unit_direction(pos_w, &airpath_w);
                realv airpath = wv_value(airpath_w);
                vec3v diffracted = vec3w_value(diffracted_w);
#ifdef NBCL_PRINTOUT
                last_pos = vec3w_value(pos_w);
#endif
                /* the reference computes omega at the first sub-pixel of the pixel and the
                 * capture fraction at the first sub-pixel of each layer */
                int first_subpixel = subS == 0 && subF == 0;
#ifndef NBCL_OS_OMEGA
                if (layer == 0 && first_subpixel)
#endif
                    omega = solid_angle(pixel, airpath, close_distance);
                omega_sum = wv_accumulate(omega_sum, omega);
#ifdef NBCL_HAVE_THICK
#ifndef NBCL_OS_THICK
                if (first_subpixel)
#endif
                    capture = capture_fraction(layer, thickstep, mu, dot_uv(odet, diffracted));
#endif
#ifndef NBCL_DOUBLE
                /* one orientation in the run: a.d of every lane, for all sources */
                vec3w ad = diffracted_w;
                if (lone) ad = miller_indices(crystal, NBCL_CR_AXES, diffracted_w);
#endif
                int src = 0;
#if defined(NBCL_PAIRS) && !defined(NBCL_NEED_S) && \
    !defined(NBCL_OS_POLAR) && !defined(NBCL_HAVE_STOL) && !defined(NBCL_ONE_SOURCE)
                /* the run's one orientation: two sources at a time, their lattice factors side
                 * by side (lattice_factor_pair), their terms added in source order as below
                 * (the same sum). Runs that need each source's scattering vector (-dmin,
                 * -printout, -stol) or polarization (-oversample_polar) take the loop below. */
                if (lone) {
                    realv factors = subpixel_factors(capture, polar, omega);
                    maskv all = (maskv)(-1);
                    for (; src + 1 < nsources; src += 2) {
#ifndef NBCL_NOPOLAR
                        polar = polarization_once(polar, kahn, sources[src], polar_axis, diffracted, all);
                        polar = polarization_once(polar, kahn, sources[src + 1], polar_axis, diffracted, all);
#endif
                        vec3v dh1, dh2;
                        vec3v hkl1 = indices_and_offsets(lone_orientation_hkl(ad, lone_sources, src, nsources), &dh1);
                        vec3v hkl2 = indices_and_offsets(lone_orientation_hkl(ad, lone_sources, src + 1, nsources), &dh2);
                        realv L1, L2;
                        lattice_factor_pair(dh1, dh2, N, a_star, b_star, c_star, fudge, &L1, &L2);
                        realv F1 = structure_factor(Fgrid, &g, hkl1, default_F, &out_of_range);
                        realv F2 = structure_factor(Fgrid, &g, hkl2, default_F, &out_of_range);
                        I = add_term(I, F1, L1, factors, all);
                        I = add_term(I, F2, L2, factors, all);
                    }
                }
#endif
                for (; src < nsources; ++src) {
                    real4 s = sources[src];
                    vec3w S_w = diffracted_w;   /* the scattering vector, where it is needed */
#if !defined(NBCL_DOUBLE) && !defined(NBCL_NEED_S)
                    if (!lone)
#endif
                        S_w = scattering_vector(diffracted_w, sources, src, nsources);
                    vec3v S = vec3w_value(S_w);
#ifdef NBCL_NEED_S
                    realv stol = R(0.5) * sqrt(dot_v(S, S));
#endif
#ifdef NBCL_PRINTOUT
                    last_stol = stol;
#endif
#ifdef NBCL_HAVE_DMIN
                    /* lanes beyond -dmin skip this source entirely */
                    maskv take = !(stol > R(0.0) && dmin > R(0.5) / stol);
                    if (!any_lane(take)) continue;
#endif
#ifndef NBCL_HAVE_DMIN
                    maskv take = (maskv)(-1);   /* every lane takes every source */
#endif
#ifndef NBCL_NOPOLAR
#ifdef NBCL_OS_POLAR
                    vec3 incident = {s.x, s.y, s.z};
                    polar = polarization_factor(kahn, polarization_frame(incident, polar_axis), diffracted);
#else
                    polar = polarization_once(polar, kahn, s, polar_axis, diffracted, take);
#endif
#endif
                    realv factors = subpixel_factors(capture, polar, omega);
#ifdef NBCL_HAVE_STOL
                    realv amorphous = amorphous_intensity_v(bg_table, G[KI_BG_ROWS], stol) * factors;
#ifdef NBCL_HAVE_DMIN
                    I_amorphous = lane_select(I_amorphous, I_amorphous + amorphous, take);
#else
                    I_amorphous += amorphous;
#endif
#endif
                    int group = -1;   /* no anchor yet for this scattering vector */
                    anchor3 anchor;
#ifdef NBCL_DOUBLE
                    real reach_limit = R(0.0);   /* unused */
                    (void)lone;
                    (void)lone_sources;
#else
                    /* a correction is within 0.999 index where REACH is below this (the
                     * run's only orientation needs no limit) */
                    real reach_limit = R(0.0);
                    if (!lone) reach_limit = R(0.999) / sqrt(lane_max(dot_v(S, S)));
#endif
                    int o = 0;
#if defined(NBCL_PAIRS) && !defined(NBCL_ONE_ORIENTATION)
                    /* two orientations at a time (lattice_factor_pair), their terms added in
                     * orientation order: the same sum as one at a time */
                    for (; o + 1 < ncrystal; o += 2) {
                        vec3v dh1, dh2;
                        vec3v hkl1 = orientation_hkl(crystal + (size_t)NBCL_CRYSTAL_REALS * NBCL_WIDE_PARTS * o,
                                                     S_w, S, reach_limit, &group, &anchor, &dh1);
                        vec3v hkl2 = orientation_hkl(crystal + (size_t)NBCL_CRYSTAL_REALS * NBCL_WIDE_PARTS * (o + 1),
                                                     S_w, S, reach_limit, &group, &anchor, &dh2);
                        realv L1, L2;
                        lattice_factor_pair(dh1, dh2, N, a_star, b_star, c_star, fudge, &L1, &L2);
                        realv F1 = structure_factor(Fgrid, &g, hkl1, default_F, &out_of_range);
                        realv F2 = structure_factor(Fgrid, &g, hkl2, default_F, &out_of_range);
                        I = add_term(I, F1, L1, factors, take);
                        NOTE_LAST(hkl1, F1, L1, take);
                        I = add_term(I, F2, L2, factors, take);
                        NOTE_LAST(hkl2, F2, L2, take);
                    }
#endif
                    for (; o < ncrystal; ++o) {
                        vec3v dh, hkl;
#ifndef NBCL_DOUBLE
                        if (lone)
                            hkl = indices_and_offsets(lone_orientation_hkl(ad, lone_sources, src, nsources), &dh);
                        else
#endif
                            hkl = orientation_hkl(crystal + (size_t)NBCL_CRYSTAL_REALS * NBCL_WIDE_PARTS * o,
                                                  S_w, S, reach_limit, &group, &anchor, &dh);
                        realv F_latt = lattice_factor(dh, N, a_star, b_star, c_star, fudge);
                        realv F_cell = structure_factor(Fgrid, &g, hkl, default_F, &out_of_range);
                        I = add_term(I, F_cell, F_latt, factors, take);
                        NOTE_LAST(hkl, F_cell, F_latt, take);
                    }
                }
            }
        }
    }
#ifdef NBCL_HAVE_STOL
    I = wv_accumulate(I, I_amorphous * P[KP_BG_WEIGHT]);   /* molecules in the beam, in the sum's units */
#else
    (void)bg_table;
#endif
    /* only the planes the scaling stage reads: a polarization or capture fraction that is 1
     * everywhere is not stored (unless -printout reports it), nor a sum of one solid angle
     * (NBCL_OMEGA_SUM_PLANE); each plane is a store and a load of 4 or 8 bytes a pixel */
    vstore_realv(lane_select(wv_value(I), zero, skip), slot, out + S1_I * stride);
#if !defined(NBCL_NOPOLAR) || defined(NBCL_PRINTOUT)
    vstore_realv(lane_select(polar, zero, skip), slot, out + S1_POLAR * stride);
#endif
    vstore_realv(lane_select(omega, zero, skip), slot, out + S1_OMEGA * stride);
#if defined(NBCL_HAVE_THICK) || defined(NBCL_PRINTOUT)
    vstore_realv(lane_select(capture, zero, skip), slot, out + S1_CAPTURE * stride);
#endif
    if (NBCL_OMEGA_SUM_PLANE(thicksteps, oversample) == S1_OMEGA_SUM)
        vstore_realv(lane_select(wv_value(omega_sum), zero, skip), slot, out + S1_OMEGA_SUM * stride);
#ifdef NBCL_PRINTOUT
    realv diag[S1_COUNT - S1_BASIC] = {last_stol, last_pos.x, last_pos.y, last_pos.z,
                                       last_hkl.x, last_hkl.y, last_hkl.z, last_F_cell, last_F_latt};
    for (int p = 0; p < S1_COUNT - S1_BASIC; ++p)
        vstore_realv(lane_select(diag[p], zero, skip), slot, out + (S1_STOL + p) * stride);
#endif
    if (out_of_range) flags[0] = 1;
}
