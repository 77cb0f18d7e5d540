/* physics.cl: one small function per formula of the diffraction model.
 * Each follows nanoBragg.c's expression so that double precision agrees with it to float
 * round-off. Functions take one value per pixel lane (realv, vec3v) and quantities shared
 * by every lane (real, vec3); branches that could differ between lanes are lane_select()s. */

/* ---- 3-vectors ---- */

NBCL_INLINE vec3 vec3_load(__constant real *p)
{
    vec3 v = {p[0], p[1], p[2]};
    return v;
}

NBCL_INLINE vec3v vec3v_splat(vec3 a)
{
    vec3v v = {(realv)(a.x), (realv)(a.y), (realv)(a.z)};
    return v;
}

NBCL_INLINE realv dot_v(vec3v a, vec3v b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

/* a lane-independent vector dotted with a per-lane one */
NBCL_INLINE realv dot_uv(vec3 a, vec3v b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

NBCL_INLINE real dot_u(vec3 a, vec3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

NBCL_INLINE vec3 cross_u(vec3 a, vec3 b)
{
    vec3 c = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
    return c;
}

/* unit vector along a (the zero vector stays zero, as in the reference) */
NBCL_INLINE vec3 unit_u(vec3 a)
{
    real m = sqrt(dot_u(a, a));
    real s = (m != R(0.0)) ? R(1.0) / m : R(0.0);
    vec3 u = {a.x * s, a.y * s, a.z * s};
    return u;
}

/* ---- lattice factors ---- */

/* 2 cos(pi f) for an offset |f| <= 1/2 from the nearest whole index: a polynomial in f^2
 * (a Chebyshev fit of cos(pi sqrt(t)) on [0, 1/4], coefficients doubled; within 2 ulp of 1
 * in single and 1 ulp in double, checked by tests/device/test_kernel_math.c), where the library's cospi
 * would first reduce an argument of any size */
NBCL_INLINE realv two_cos_pi_offset(realv f)
{
    realv t = f * f;
#ifdef NBCL_DOUBLE
    realv p = R(8.29912870788517138e-06);
    p = p * t + R(-2.09133106774974758e-04);
    p = p * t + R(3.85911254496342643e-03);
    p = p * t + R(-5.16137774740044047e-02);
    p = p * t + R(4.70661260259065684e-01);
    p = p * t + R(-2.67052553768689416e+00);
    p = p * t + R(8.11742425283299340e+00);
    p = p * t + R(-9.86960440108935266e+00);
    return p * t + R(2.0);
#else
    realv p = R(-4.879186420e-02);
    p = p * t + R(4.698741372e-01);
    p = p * t + R(-2.670423899e+00);
    p = p * t + R(8.117418310e+00);
    p = p * t + R(-9.869604274e+00);
    return p * t + R(2.0);
#endif
}

/* U_m(c), the Chebyshev polynomial of the second kind, runs a recurrence in steps of two,
 * U_{k+2} = d U_k - U_{k-2} with d = 4c^2 - 2 = two_c^2 - 2, from U_0 = 1 and U_{-2} = -1
 * (m even) or U_1 = 2c and U_{-1} = 0 (m odd): m/2 steps, each waiting for the one before,
 * instead of m. These set up and advance one such chain. */
typedef struct chebyshev_chain {
    realv d, u, u_prev;
    int steps;
} chebyshev_chain;

NBCL_INLINE chebyshev_chain chebyshev_start(realv two_c, int m)
{
    chebyshev_chain ch;
    ch.d = two_c * two_c - R(2.0);
    ch.steps = m / 2;
    if (m % 2) {
        ch.u = two_c;
        ch.u_prev = (realv)(R(0.0));
    } else {
        ch.u = (realv)(R(1.0));
        ch.u_prev = (realv)(R(-1.0));
    }
    return ch;
}

#define CHEBYSHEV_STEP2(ch) \
    do { realv u_next_ = (ch).d * (ch).u - (ch).u_prev; (ch).u_prev = (ch).u; (ch).u = u_next_; } while (0)

/* two such steps, each value written over the one it replaces (the same operations as two
 * CHEBYSHEV_STEP2, without moving u into u_prev: the loop of three chains keeps 18 vector
 * registers of lanes on an AVX2 CPU, and the moves were a third of its instructions) */
#define CHEBYSHEV_STEP2_TWICE(ch) \
    do { (ch).u_prev = (ch).d * (ch).u - (ch).u_prev; (ch).u = (ch).d * (ch).u_prev - (ch).u; } while (0)

/* Fourier transform of a grating of N cells, |sin(N pi h) / sin(pi h)|, from f, the
 * offset of h from its nearest whole index (|f| <= 1/2, computed in wide arithmetic):
 * only F_latt^2 is ever used, so the sign the integer part would give is dropped, and
 * single precision stays exact near the Bragg peaks.
 * For the usual small crystals (N up to NBCL_SINCG_RECURRENCE_MAX cells) the ratio is the
 * Chebyshev polynomial U_{N-1}(cos pi f), evaluated by its recurrence: one cosine instead
 * of two sines and a division, and no special case at f = 0 (U = N). */
NBCL_INLINE realv sincg(realv f, real N)
{
    if (N <= NBCL_SINCG_RECURRENCE_MAX) {
        chebyshev_chain ch = chebyshev_start(two_cos_pi_offset(f), (int)N - 1);
        for (int n = 0; n < ch.steps; ++n) CHEBYSHEV_STEP2(ch);
        return ch.u;
    }
    return lane_select(sinpi(N * f) / sinpi(f), (realv)(N), f == R(0.0));
}

/* the recurrences of the three axes of one offset vector f: their chains, run side by
 * side in one loop (each step of a recurrence waits for the one before, so three chains
 * side by side take the time of one); the factor of an axis with N <= 1 is 1 */
typedef struct grating3 {
    chebyshev_chain x, y, z;
    int common;   /* steps all three take */
} grating3;

NBCL_INLINE grating3 grating3_start(vec3v f, vec3 N)
{
    int nx = N.x > R(1.0) ? (int)N.x : 1, ny = N.y > R(1.0) ? (int)N.y : 1;
    int nz = N.z > R(1.0) ? (int)N.z : 1;
    grating3 g = {chebyshev_start(two_cos_pi_offset(f.x), nx - 1),
                  chebyshev_start(two_cos_pi_offset(f.y), ny - 1),
                  chebyshev_start(two_cos_pi_offset(f.z), nz - 1), 0};
    g.common = min(g.x.steps, min(g.y.steps, g.z.steps));
    return g;
}

NBCL_INLINE void grating3_step2_twice(grating3 *g)
{
    CHEBYSHEV_STEP2_TWICE(g->x);
    CHEBYSHEV_STEP2_TWICE(g->y);
    CHEBYSHEV_STEP2_TWICE(g->z);
}

NBCL_INLINE void grating3_step2(grating3 *g)
{
    CHEBYSHEV_STEP2(g->x);
    CHEBYSHEV_STEP2(g->y);
    CHEBYSHEV_STEP2(g->z);
}

/* the steps left to each axis after the first n, and the product */
NBCL_INLINE realv grating3_finish(grating3 *g, int n)
{
    for (int m = n; m < g->x.steps; ++m) CHEBYSHEV_STEP2(g->x);
    for (int m = n; m < g->y.steps; ++m) CHEBYSHEV_STEP2(g->y);
    for (int m = n; m < g->z.steps; ++m) CHEBYSHEV_STEP2(g->z);
    return g->x.u * g->y.u * g->z.u;
}

NBCL_INLINE int grating_recurs(vec3 N)
{
    return N.x <= NBCL_SINCG_RECURRENCE_MAX && N.y <= NBCL_SINCG_RECURRENCE_MAX &&
           N.z <= NBCL_SINCG_RECURRENCE_MAX;
}

/* sincg on the three axes multiplied, the factor of an axis with N <= 1 being 1: the three
 * recurrences side by side where every axis takes one (the same operations, so the same
 * bits, as three sincg calls) */
NBCL_INLINE realv grating_product(vec3v f, vec3 N)
{
    if (grating_recurs(N)) {
        grating3 a = grating3_start(f, N);
        int n = 0;
        for (; n + 1 < a.common; n += 2) grating3_step2_twice(&a);
        for (; n < a.common; ++n) grating3_step2(&a);
        return grating3_finish(&a, n);
    }
    realv F = (realv)(R(1.0));
    if (N.x > R(1.0)) F *= sincg(f.x, N.x);
    if (N.y > R(1.0)) F *= sincg(f.y, N.y);
    if (N.z > R(1.0)) F *= sincg(f.z, N.z);
    return F;
}

/* grating_product of two offset vectors f and g (two crystal orientations, or two
 * sources of the run's one orientation) side by side: the six recurrences in one loop.
 * Each sub-path's chain of dependent steps (offset, cosine polynomial, recurrence, product,
 * sum) is what bounds the lattice stage on a CPU, and two independent chains in one block
 * overlap where one after the other did not (bench_heavy's single-precision kernels 12 %
 * faster); the same operations, so the same bits, as two calls. */
NBCL_INLINE void grating_product_pair(vec3v f, vec3v g, vec3 N, realv *Lf, realv *Lg)
{
    if (!grating_recurs(N)) {
        *Lf = grating_product(f, N);
        *Lg = grating_product(g, N);
        return;
    }
    grating3 a = grating3_start(f, N), b = grating3_start(g, N);
    int n = 0;
    for (; n + 1 < a.common; n += 2) {
        grating3_step2_twice(&a);
        grating3_step2_twice(&b);
    }
    for (; n < a.common; ++n) {
        grating3_step2(&a);
        grating3_step2(&b);
    }
    *Lf = grating3_finish(&a, n);
    *Lg = grating3_finish(&b, n);
}

/* Fourier transform of a sphere */
NBCL_INLINE realv sinc3(realv x)
{
    return lane_select(R(3.0) * (sin(x) / x - cos(x)) / (x * x), (realv)(R(1.0)), x == R(0.0));
}

/* squared distance from the nearest reciprocal-lattice point, in 1/Angstrom scaled by the
 * crystal size (the spot-shape argument of the Gaussian and top-hat crystals) */
NBCL_INLINE realv rad_star_sqr(vec3v dhkl, vec3 a_star, vec3 b_star, vec3 c_star, real NNN)
{
    realv dx = dhkl.x * a_star.x + dhkl.y * b_star.x + dhkl.z * c_star.x;
    realv dy = dhkl.x * a_star.y + dhkl.y * b_star.y + dhkl.z * c_star.y;
    realv dz = dhkl.x * a_star.z + dhkl.y * b_star.z + dhkl.z * c_star.z;
    return (dx * dx + dy * dy + dz * dz) * NNN * NNN;
}

/* lattice factor F_latt of the crystal shape chosen at build time (NBCL_SHAPE:
 * 0 parallelepiped, 1 ellipsoid, 2 Gaussian spots, 3 top-hat spots), from dh, the offsets
 * of h, k, l from the nearest reciprocal-lattice point */
NBCL_INLINE realv lattice_factor(vec3v dh, vec3 N, vec3 a_star, vec3 b_star, vec3 c_star,
                                 real fudge)
{
#if NBCL_SHAPE == 0
    return grating_product(dh, N);
#else
    real NNN = N.x * N.y * N.z;
#if NBCL_SHAPE == 1
    realv hrad_sqr = dh.x * dh.x * N.x * N.x + dh.y * dh.y * N.y * N.y + dh.z * dh.z * N.z * N.z;
    return NNN * R(0.723601254558268) * sinc3(NBCL_PI * sqrt(hrad_sqr * fudge));
#elif NBCL_SHAPE == 2
    return NNN * exp(-(rad_star_sqr(dh, a_star, b_star, c_star, NNN) / R(0.63) * fudge));
#else
    return lane_select((realv)(R(0.0)), (realv)(NNN),
                  rad_star_sqr(dh, a_star, b_star, c_star, NNN) * fudge < R(0.3969));
#endif
#endif
}

/* lattice_factor of two offset vectors (grating_product_pair for the parallelepiped) */
NBCL_INLINE void lattice_factor_pair(vec3v dh1, vec3v dh2, vec3 N, vec3 a_star, vec3 b_star,
                                     vec3 c_star, real fudge, realv *L1, realv *L2)
{
#if NBCL_SHAPE == 0
    (void)a_star;
    (void)b_star;
    (void)c_star;
    (void)fudge;
    grating_product_pair(dh1, dh2, N, L1, L2);
#else
    *L1 = lattice_factor(dh1, N, a_star, b_star, c_star, fudge);
    *L2 = lattice_factor(dh2, N, a_star, b_star, c_star, fudge);
#endif
}

/* ---- per-pixel factors ---- */

/* The polarization frame of one source: B_in = unit(axis x incident) and
 * E_in = unit(incident x B_in), the E-vector taken closest to `axis`. */
typedef struct polar_frame {
    vec3 incident, B_in, E_in;
} polar_frame;

NBCL_INLINE polar_frame polarization_frame(vec3 incident, vec3 axis)
{
    polar_frame p;
    p.incident = incident;
    p.B_in = unit_u(cross_u(axis, incident));
    p.E_in = unit_u(cross_u(incident, p.B_in));
    return p;
}

/* Kahn polarization factor of the diffracted unit vectors */
NBCL_INLINE realv polarization_factor(real kahn, polar_frame p, vec3v diffracted)
{
    realv cos2theta = dot_uv(p.incident, diffracted);
    realv cos2theta_sqr = cos2theta * cos2theta;
    realv sin2theta_sqr = R(1.0) - cos2theta_sqr;
    if (kahn == R(0.0)) return R(0.5) * (R(1.0) + cos2theta_sqr);   /* unpolarized: no psi */
    realv psi = -atan2(dot_uv(p.B_in, diffracted), dot_uv(p.E_in, diffracted));
    return R(0.5) * (R(1.0) + cos2theta_sqr - kahn * cos(R(2.0) * psi) * sin2theta_sqr);
}

/* solid angle of a pixel seen from the sample: (pixel/airpath)^2 * cos(obliquity), or the
 * inverse-square law alone for a point pixel. A double run divides as the reference does;
 * a single run divides once (a float division is the slowest vector instruction left in
 * the lattice stage: the three of them were 7 % of bench_4096's kernels) */
NBCL_INLINE realv solid_angle(real pixel_size, realv airpath, real close_distance)
{
#ifdef NBCL_POINT_PIXEL
#ifdef NBCL_DOUBLE
    return R(1.0) / airpath / airpath;
#else
    return R(1.0) / (airpath * airpath);
#endif
#else
#ifdef NBCL_DOUBLE
    return pixel_size * pixel_size / airpath / airpath * close_distance / airpath;
#else
    return pixel_size * pixel_size * close_distance / (airpath * airpath * airpath);
#endif
#endif
}

/* fraction of the photons entering the sensor that sensor layer `layer` absorbs, for rays
 * whose cosine to the detector normal is `parallax`:
 * exp(-layer d) - exp(-(layer + 1) d) with d = thickstep mu / parallax, the path's
 * attenuation through one layer, written as exp(-layer d) (1 - exp(-d)) with expm1 so that
 * a thin layer (d << 1) does not cancel to a few digits in single precision */
NBCL_INLINE realv capture_fraction(int layer, real thickstep, real mu, realv parallax)
{
    realv d = thickstep * mu / parallax;
    return -exp(-layer * d) * expm1(-d);
}

/* ---- detector ---- */

/* rotation of v by the per-lane angle phi about the unit vector axis */
NBCL_INLINE vec3v rotate_axis(vec3v v, vec3 axis, realv phi)
{
    realv s = sin(phi), c = cos(phi);
    realv d = dot_uv(axis, v) * (R(1.0) - c);
    vec3v r = {axis.x * d + v.x * c + (-axis.z * v.y + axis.y * v.z) * s,
               axis.y * d + v.y * c + (axis.z * v.x - axis.x * v.z) * s,
               axis.z * d + v.z * c + (-axis.y * v.x + axis.x * v.y) * s};
    return r;
}

/* position of a sub-pixel in the lab, in wide arithmetic: nF, nS count sub-pixels from the
 * detector origin (the reference's Fdet = subpixel * (nF + 1/2)), Odet is the depth of the
 * sensor layer */
NBCL_INLINE vec3w subpixel_position(realv nF, realv nS, wide subpixel, wide Odet,
                                    __constant real *P, real distance)
{
    widev Fdet = wv_mul_u(wv_from(nF + R(0.5)), subpixel);
    widev Sdet = wv_mul_u(wv_from(nS + R(0.5)), subpixel);
    widev O = wv_splat(Odet);
    widev c[3];
    for (int k = 0; k < 3; ++k)
        c[k] = wv_add(wv_add(wv_mul_u(Fdet, wide_param(P, KP_FDET_X + k)),
                             wv_mul_u(Sdet, wide_param(P, KP_SDET_X + k))),
                      wv_add(wv_mul_u(O, wide_param(P, KP_ODET_X + k)),
                             wv_splat(wide_param(P, KP_PIX0_X + k))));
    vec3w pos = {c[0], c[1], c[2]};
#ifdef NBCL_CURVED
    /* every pixel at the same distance: detector coordinates taken as angles (the
     * rotation is done in `real`, so a single-precision run keeps float accuracy here) */
    vec3v p = vec3w_value(pos);
    vec3 beam = vec3_load(P + KP_BEAM_X), fdet = vec3_load(P + KP_FDET_X), sdet = vec3_load(P + KP_SDET_X);
    vec3v toward = {(realv)(distance * beam.x), (realv)(distance * beam.y), (realv)(distance * beam.z)};
    vec3v v = rotate_axis(toward, sdet, p.y / distance);
    p = rotate_axis(v, fdet, p.z / distance);
    pos.x = wv_from(p.x);
    pos.y = wv_from(p.y);
    pos.z = wv_from(p.z);
#else
    (void)distance;
#endif
    return pos;
}
