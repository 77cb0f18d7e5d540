/* wide.cl: the arithmetic that decides h, k, l.
 * The lattice factor depends on the fractional part of h = a.S; h itself can be a few
 * hundred, so in plain single precision its fractional part would keep only ~4 digits.
 * The geometry from pixel to Miller index is therefore computed in "wide" arithmetic, and
 * the per-pixel sums are kept in it:
 * - a double-precision run: double (these functions reduce to plain arithmetic);
 * - a single-precision run on a device whose doubles are fast (a CPU; the host passes
 *   -DNBCL_WIDE_DOUBLE): double for the wide values, float for everything else;
 * - a single-precision run elsewhere: a pair of floats (hi + lo, ~48 bits, after Dekker and
 *   Knuth) so that the fractional part is exact to float precision.
 * Everything else (sincg, polarization, solid angle) stays in `real`. Host tables for a
 * single run carry each wide value as hi and lo floats, and where the wide values are
 * doubles also as a double (the parameter and crystal tables) or as a double alone (the
 * lone-source table): src/engine/tables.h.
 * NBCL_WIDE_SCALAR is defined where a wide value is one number (the first two). */

#if defined(NBCL_DOUBLE) || defined(NBCL_WIDE_DOUBLE)
#define NBCL_WIDE_SCALAR 1
#endif

#if defined(NBCL_DOUBLE)

typedef real wide;      /* a value shared by every lane */
typedef realv widev;    /* one value per lane */
#define convert_widev(x) (x)
#define convert_realv_from_wide(x) (x)
#define widev_select(a, b, c) lane_select(a, b, c)
#define NBCL_WIDE_PARTS 1

NBCL_INLINE wide wide_at(__global const real *t, int i, int n) { (void)n; return t[i]; }
NBCL_INLINE wide wide_param(__constant real *P, int k) { return P[k]; }

#elif defined(NBCL_WIDE_DOUBLE)

typedef double wide;
#if NBCL_VW == 1
typedef double widev;
#define convert_widev(x) ((double)(x))
#define convert_realv_from_wide(x) ((float)(x))
#define widev_select(a, b, c) ((c) ? (b) : (a))
#else
typedef NBCL_CAT(double, NBCL_VW) widev;
#define convert_widev(x) NBCL_CAT(convert_double, NBCL_VW)(x)
#define convert_realv_from_wide(x) NBCL_CAT(convert_float, NBCL_VW)(x)
/* select() on doubles takes a mask of longs: widen the floats' int mask */
#define widev_select(a, b, c) select(a, b, NBCL_CAT(convert_long, NBCL_VW)(c))
#endif
/* the parameter and crystal tables hold each block's hi and lo floats, then the same
 * values as doubles (the host's NBCL_TABLE_WIDE layout: a block of n reals takes 4n
 * floats), so that a wide value is one load: putting hi and lo together per work-item was
 * a tenth of bench_4096's lattice stage */
#define NBCL_WIDE_PARTS 4

/* a value the host tables hold as hi and lo floats (the source table) */
NBCL_INLINE wide wide_of(real hi, real lo) { return (double)hi + (double)lo; }
/* value i of a block of n reals starting at t, and parameter k */
NBCL_INLINE wide wide_at(__global const real *t, int i, int n) { return ((__global const double *)(t + 2 * n))[i]; }
NBCL_INLINE wide wide_param(__constant real *P, int k) { return ((__constant double *)(P + 2 * KP_COUNT))[k]; }

#endif

#ifdef NBCL_WIDE_SCALAR

/* a wide value is one double: plain arithmetic */
NBCL_INLINE widev wv_splat(wide a) { return (widev)(a); }
NBCL_INLINE widev wv_from(realv a) { return convert_widev(a); }
NBCL_INLINE realv wv_value(widev a) { return convert_realv_from_wide(a); }
NBCL_INLINE widev wv_add(widev a, widev b) { return a + b; }
NBCL_INLINE widev wv_sub(widev a, widev b) { return a - b; }
NBCL_INLINE widev wv_mul(widev a, widev b) { return a * b; }
NBCL_INLINE widev wv_mul_u(widev a, wide b) { return a * b; }
NBCL_INLINE widev wv_div(widev a, widev b) { return a / b; }
NBCL_INLINE widev wv_sqrt(widev a) { return sqrt(a); }
/* h minus its nearest whole index, the nearest taken as the reference rounds */
NBCL_INLINE realv wv_offset_from_nearest(widev h) { return convert_realv_from_wide(h - round_up(h - 0.5)); }

#if defined(__has_builtin)
#if __has_builtin(__builtin_ia32_rsqrt14pd512_mask)
#define NBCL_HAS_RSQRT14 1
#endif
#endif
#if defined(NBCL_WIDE_DOUBLE) && defined(__AVX512F__) && defined(NBCL_HAS_RSQRT14) && \
    (NBCL_VW == 8 || NBCL_VW == 16)
/* 1 / sqrt(a) of every lane without the divider, where a single run's wide values are
 * doubles on an AVX-512 CPU (PoCL compiles for the host's features): the processor's
 * estimate (vrsqrt14pd, relative error below 2^-14), then Newton's step
 * y (3/2 - a/2 y^2) twice (error squared each time: about 2^-52, a unit or two in the last
 * place where a square root and a division round twice). For a > 0 and normal, as |pos|^2
 * always is (the detector is at a distance > 0): 0 would give NaN, not infinity. The
 * divider takes 16 lanes' double square root and division 64 cycles, a quarter of
 * bench_4096's lattice stage; the estimate and the steps are a few multiplies. */
#define NBCL_HAVE_RSQRT_ESTIMATE 1
typedef double nbcl_v8df __attribute__((__vector_size__(64)));

NBCL_INLINE double8 rsqrt_estimate8(double8 a)
{
    nbcl_v8df v = (nbcl_v8df)a;
    return __builtin_astype(__builtin_ia32_rsqrt14pd512_mask(v, v, (unsigned char)0xFF), double8);
}

NBCL_INLINE widev wv_rsqrt(widev a)
{
    widev y;
#if NBCL_VW == 16
    y.lo = rsqrt_estimate8(a.lo);
    y.hi = rsqrt_estimate8(a.hi);
#else
    y = rsqrt_estimate8(a);
#endif
    widev a_half = 0.5 * a;
    y = y * (1.5 - a_half * y * y);
    return y * (1.5 - a_half * y * y);
}
#endif
/* a running sum of many terms: plain addition in double, as the reference sums */
NBCL_INLINE widev wv_accumulate(widev sum, realv term) { return sum + convert_widev(term); }
NBCL_INLINE widev wv_select(widev a, widev b, maskv c) { return widev_select(a, b, c); }

#else

typedef struct wide {
    real hi, lo;
} wide;
typedef struct widev {
    realv hi, lo;
} widev;
#define NBCL_WIDE_PARTS 2

/* a value the host tables hold as hi and lo floats */
NBCL_INLINE wide wide_of(real hi, real lo)
{
    wide w = {hi, lo};
    return w;
}

/* table t holds n hi values then n lo values */
NBCL_INLINE wide wide_at(__global const real *t, int i, int n) { return wide_of(t[i], t[n + i]); }

/* the P table of a single run holds KP_COUNT hi values then KP_COUNT lo values */
NBCL_INLINE wide wide_param(__constant real *P, int k) { return wide_of(P[k], P[KP_COUNT + k]); }

NBCL_INLINE widev wv_splat(wide a)
{
    widev w = {(realv)(a.hi), (realv)(a.lo)};
    return w;
}

NBCL_INLINE widev wv_from(realv a)
{
    widev w = {a, (realv)(R(0.0))};
    return w;
}

NBCL_INLINE realv wv_value(widev a)
{
    return a.hi + a.lo;
}

/* s + e = a + b exactly, for any a and b */
NBCL_INLINE widev two_sum(realv a, realv b)
{
    realv s = a + b;
    realv v = s - a;
    widev r = {s, (a - (s - v)) + (b - v)};
    return r;
}

/* s + e = a + b exactly, when |a| >= |b| */
NBCL_INLINE widev fast_two_sum(realv a, realv b)
{
    realv s = a + b;
    widev r = {s, b - (s - a)};
    return r;
}

#ifdef NBCL_NO_FUSED_FMA
/* Where the device's fma() is not fused (the host asks it, see src/device/fma_probe.h) the
 * exact product comes from Dekker's algorithm: Veltkamp's split cuts each factor into two
 * halves of 12 bits, whose products are exact in a float (so a compiler that contracts a
 * product and a sum into an fma changes nothing here; each split is its own statement). */
#define NBCL_SPLITTER R(4097.0)   /* 2^12 + 1 */

/* hi + lo = a, each with at most 12 significant bits */
NBCL_INLINE widev veltkamp_split(realv a)
{
    realv c = NBCL_SPLITTER * a;
    realv hi = c - (c - a);
    widev r = {hi, a - hi};
    return r;
}

/* p + e = a * b exactly (Dekker), without fma */
NBCL_INLINE widev two_prod(realv a, realv b)
{
    realv p = a * b;
    widev x = veltkamp_split(a), y = veltkamp_split(b);
    widev r = {p, ((x.hi * y.hi - p) + x.hi * y.lo + x.lo * y.hi) + x.lo * y.lo};
    return r;
}

/* the error of the product a * b (rounded to p), exactly, for one value shared by all lanes */
NBCL_INLINE real product_error(real a, real b, real p)
{
    real ca = NBCL_SPLITTER * a, cb = NBCL_SPLITTER * b;
    real ah = ca - (ca - a), bh = cb - (cb - b), al = a - ah, bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
#else
/* p + e = a * b exactly */
NBCL_INLINE widev two_prod(realv a, realv b)
{
    realv p = a * b;
    widev r = {p, fma(a, b, -p)};
    return r;
}

/* the error of the product a * b (rounded to p), exactly, for one value shared by all lanes */
NBCL_INLINE real product_error(real a, real b, real p)
{
    return fma(a, b, -p);
}
#endif

NBCL_INLINE widev wv_add(widev a, widev b)
{
    widev s = two_sum(a.hi, b.hi);
    return fast_two_sum(s.hi, s.lo + (a.lo + b.lo));
}

NBCL_INLINE widev wv_sub(widev a, widev b)
{
    widev nb = {-b.hi, -b.lo};
    return wv_add(a, nb);
}

NBCL_INLINE widev wv_mul(widev a, widev b)
{
    widev p = two_prod(a.hi, b.hi);
    return fast_two_sum(p.hi, fma(a.hi, b.lo, fma(a.lo, b.hi, p.lo)));
}

NBCL_INLINE widev wv_mul_u(widev a, wide b)
{
    return wv_mul(a, wv_splat(b));
}

NBCL_INLINE widev wv_div(widev a, widev b)
{
    realv q1 = a.hi / b.hi;
    widev r = wv_sub(a, wv_mul(b, wv_from(q1)));
    realv q2 = r.hi / b.hi;
    r = wv_sub(r, wv_mul(b, wv_from(q2)));
    return fast_two_sum(q1, q2 + r.hi / b.hi);
}

NBCL_INLINE widev wv_sqrt(widev a)
{
    realv s = sqrt(a.hi);
    widev r = wv_sub(a, two_prod(s, s));
    realv corr = lane_select(r.hi / (R(2.0) * s), (realv)(R(0.0)), s == R(0.0));
    return fast_two_sum(s, corr);
}

/* h minus its nearest whole index (ceil(h - 0.5), as the reference rounds): the integer
 * part is peeled from the high word, which is exact, before the low word is added */
NBCL_INLINE realv wv_offset_from_nearest(widev h)
{
    realv n = round_up(h.hi - R(0.5));
    return (h.hi - n) + h.lo;
}

/* sum + term, the rounding error of the high word carried in the low word (the cascaded
 * summation of Ogita, Rump and Oishi): a float sum over tens of thousands of terms then
 * errs about as one rounding of the total instead of drifting by one rounding per term.
 * two_sum needs exact IEEE rounding: never build with fast-math options. */
NBCL_INLINE widev wv_accumulate(widev sum, realv term)
{
    widev s = two_sum(sum.hi, term);
    s.lo += sum.lo;
    return s;
}

/* b in the lanes where c holds, a elsewhere, for both words */
NBCL_INLINE widev wv_select(widev a, widev b, maskv c)
{
    widev r = {lane_select(a.hi, b.hi, c), lane_select(a.lo, b.lo, c)};
    return r;
}

#endif

#ifndef NBCL_DOUBLE
/* A wide index h split into plain floats per lane, in every single-precision run: n, the
 * nearest whole index (ceil(h - 0.5), as the reference rounds), and f = h - n, exact to a
 * float rounding of a number below 1. An orientation group's anchor is kept so: a member
 * adds its small correction c to f, and f + c keeps the fractional part as accurately as
 * the wide arithmetic had it. */
typedef struct split_index {
    realv n, f;
} split_index;

NBCL_INLINE split_index wv_split(widev h)
{
    split_index s;
    s.f = wv_offset_from_nearest(h);   /* computes the same nearest index */
#ifdef NBCL_WIDE_DOUBLE
    s.n = convert_realv_from_wide(round_up(h - 0.5));
#else
    s.n = round_up(h.hi - R(0.5));
#endif
    return s;
}

/* t minus its nearest whole index, for t = f + c of a split index (|t| below 2) */
NBCL_INLINE realv offset_from_nearest(realv t)
{
    return t - round_up(t - R(0.5));
}
#endif

/* a 3-vector per lane in wide arithmetic */
typedef struct vec3w {
    widev x, y, z;
} vec3w;

#ifdef NBCL_WIDE_SCALAR
NBCL_INLINE widev wv_dot(vec3w a, vec3w b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
#else
/* a.b as a float pair: the three high products exactly (two_prod), summed exactly
 * (two_sum), and every rounding error and cross term gathered into the low word once;
 * half the work of three wv_mul and two wv_add, and as accurate for our use */
NBCL_INLINE widev wv_dot(vec3w a, vec3w b)
{
    widev px = two_prod(a.x.hi, b.x.hi), py = two_prod(a.y.hi, b.y.hi), pz = two_prod(a.z.hi, b.z.hi);
    widev s = two_sum(px.hi, py.hi);
    widev t = two_sum(s.hi, pz.hi);
    realv err = s.lo + t.lo + px.lo + py.lo + pz.lo;
    err = fma(a.x.hi, b.x.lo, fma(a.x.lo, b.x.hi, err));
    err = fma(a.y.hi, b.y.lo, fma(a.y.lo, b.y.hi, err));
    err = fma(a.z.hi, b.z.lo, fma(a.z.lo, b.z.hi, err));
    return fast_two_sum(t.hi, err);
}
#endif

NBCL_INLINE vec3v vec3w_value(vec3w a)
{
    vec3v v = {wv_value(a.x), wv_value(a.y), wv_value(a.z)};
    return v;
}
