/* real.cl: the arithmetic of a run: its precision and its vector width.
 * The host passes -DNBCL_DOUBLE=1 when the device has fp64 and double was chosen, and
 * -DNBCL_VW=n, the number of neighbouring pixels one work-item computes side by side
 * (1 on GPUs; on CPUs twice the preferred vector width, 8 or 16). Every other kernel
 * file writes `real` for a single value and `realv` for one value per pixel lane, so one
 * source serves both precisions and every width; branches between lanes become lane_select(a, b, c): b in the lanes where c
 * holds, a elsewhere (select() on vectors, ?: on a single lane). */
/* A work-item's vectors may be wider than the CPU's registers (two registers per value,
 * src/engine/engine.c's vector-width rule): clang then warns, once per helper taking such
 * a vector, that the calling convention for it differs from one with wider registers.
 * Every helper is inlined, so no call passes one; the warnings are off, since PoCL prints
 * their count ("79 warnings generated.") on stderr at every first build. Only where the
 * compiler knows the warning: NVIDIA's clang-based front end does not, and printed "1
 * warning generated." (an unknown warning group) at every first build instead. */
#if defined(__clang__) && defined(__has_warning)
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#endif

#ifdef NBCL_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
typedef double4 real4;
#define R(x) x
#define NBCL_SINCG_RECURRENCE_MAX 64
#define REAL_NAME double
#define MASK_NAME long
#else
#ifdef NBCL_WIDE_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
typedef float real;
typedef float4 real4;
#define R(x) x##f
#define NBCL_SINCG_RECURRENCE_MAX 16
#define REAL_NAME float
#define MASK_NAME int
#endif

#ifndef NBCL_VW
#define NBCL_VW 1
#endif

#define NBCL_CAT_(a, b) a##b
#define NBCL_CAT(a, b) NBCL_CAT_(a, b)

#if NBCL_VW == 1
typedef real realv;
typedef int maskv;                /* what comparing two realv gives */
typedef int intv;
typedef int maskv_int;              /* what comparing two intv gives */
#define convert_realv(x) ((real)(x))
#define convert_maskv(x) ((int)(x))
#define vload_realv(i, p) ((p)[i])
#define vstore_realv(v, i, p) ((p)[i] = (v))
#define convert_intv(x) ((int)(x))
#define vstore_intv(v, i, p) ((p)[i] = (v))
typedef float floatv;
#define convert_floatv(x) ((float)(x))
#define vstore_floatv(v, i, p) ((p)[i] = (v))
#define any_lane(m) ((m) != 0)
#define lane_max(v) (v)
#define lane_sum(v) (v)
#define lane_select(a, b, c) ((c) ? (b) : (a))
#define LANE_IOTA 0
#else
typedef NBCL_CAT(REAL_NAME, NBCL_VW) realv;
typedef NBCL_CAT(MASK_NAME, NBCL_VW) maskv;
typedef NBCL_CAT(int, NBCL_VW) intv;
typedef intv maskv_int;
#define convert_realv(x) NBCL_CAT(convert_, NBCL_CAT(REAL_NAME, NBCL_VW))(x)
#define convert_maskv(x) NBCL_CAT(convert_, NBCL_CAT(MASK_NAME, NBCL_VW))(x)
#define vload_realv(i, p) NBCL_CAT(vload, NBCL_VW)(i, p)
#define vstore_realv(v, i, p) NBCL_CAT(vstore, NBCL_VW)(v, i, p)
#define convert_intv(x) NBCL_CAT(convert_int, NBCL_VW)(x)
#define vstore_intv(v, i, p) NBCL_CAT(vstore, NBCL_VW)(v, i, p)
typedef NBCL_CAT(float, NBCL_VW) floatv;
#define convert_floatv(x) NBCL_CAT(convert_float, NBCL_VW)(x)
#define vstore_floatv(v, i, p) NBCL_CAT(vstore, NBCL_VW)(v, i, p)
/* any(m): the sign bit of some lane set. In single precision the lanes are or-ed half on
 * half, which compilers turn into a few shuffles and one test where a library's any() may
 * test lane after lane with a branch each (PoCL's: the single-precision lattice kernels of
 * bench_heavy, bench_sources and bench_triclinic 1.08x, 1.16x and 1.14x faster with the
 * halves, the double ones 4 % slower, so double keeps the library's); plain OpenCL C, so
 * every compiler and the SPIR-V translator take it. */
#define OR_HALVES(m) ((m).lo | (m).hi)
#ifdef NBCL_DOUBLE
#define any_lane(m) any(m)
#elif NBCL_VW == 2
#define any_lane(m) (OR_HALVES(m) < 0)
#elif NBCL_VW == 4
#define any_lane(m) (OR_HALVES(OR_HALVES(m)) < 0)
#elif NBCL_VW == 8
#define any_lane(m) (OR_HALVES(OR_HALVES(OR_HALVES(m))) < 0)
#else
#define any_lane(m) (OR_HALVES(OR_HALVES(OR_HALVES(OR_HALVES(m)))) < 0)
#endif
#define lane_select(a, b, c) select(a, b, c)
/* the largest value of any lane, halves against halves */
#define MAX_HALVES(v) fmax((v).lo, (v).hi)
#if NBCL_VW == 2
#define lane_max(v) MAX_HALVES(v)
#elif NBCL_VW == 4
#define lane_max(v) MAX_HALVES(MAX_HALVES(v))
#elif NBCL_VW == 8
#define lane_max(v) MAX_HALVES(MAX_HALVES(MAX_HALVES(v)))
#else
#define lane_max(v) MAX_HALVES(MAX_HALVES(MAX_HALVES(MAX_HALVES(v))))
#endif
/* the lanes of v added halves to halves (a tree of adds, not a chain of dependent ones):
 * works on any vector of NBCL_VW lanes, a wider type's included */
#define SUM_HALVES(v) ((v).lo + (v).hi)
#if NBCL_VW == 2
#define lane_sum(v) SUM_HALVES(v)
#elif NBCL_VW == 4
#define lane_sum(v) SUM_HALVES(SUM_HALVES(v))
#elif NBCL_VW == 8
#define lane_sum(v) SUM_HALVES(SUM_HALVES(SUM_HALVES(v)))
#else
#define lane_sum(v) SUM_HALVES(SUM_HALVES(SUM_HALVES(SUM_HALVES(v))))
#endif
#if NBCL_VW == 2
#define LANE_IOTA (intv)(0, 1)
#elif NBCL_VW == 4
#define LANE_IOTA (intv)(0, 1, 2, 3)
#elif NBCL_VW == 8
#define LANE_IOTA (intv)(0, 1, 2, 3, 4, 5, 6, 7)
#elif NBCL_VW == 16
#define LANE_IOTA (intv)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#else
#error "NBCL_VW must be 1, 2, 4, 8 or 16"
#endif
#endif

/* a 3-vector with one realv per component: x, y, z of every pixel lane */
typedef struct vec3v {
    realv x, y, z;
} vec3v;

/* a 3-vector that is the same for every lane (detector axes, cell vectors) */
typedef struct vec3 {
    real x, y, z;
} vec3;

#define NBCL_PI R(3.14159265358979323846)

/* every helper is inlined, so that vector code is not cut at call boundaries */
#define NBCL_INLINE static inline __attribute__((always_inline))

/* ceil and floor of every lane. Where the compiler has clang's element-wise builtins they
 * become the processor's rounding instruction (x86 vroundps, PTX cvt.rpi); PoCL's library
 * implements the named functions in integer arithmetic, about fifteen instructions each
 * (bench_heavy's kernels took 1.2x as long in single precision, 1.5x in double). Both are
 * exact, so the results are the same bits (tests/device/test_kernel_lanes.c). The host
 * passes NBCL_NO_CLANG_BUILTINS where they cannot be used (Oclgrind, which interprets the
 * LLVM IR, has no llvm.ceil). */
#if defined(__clang__) && defined(__has_builtin) && !defined(NBCL_NO_CLANG_BUILTINS)
#if __has_builtin(__builtin_elementwise_ceil)
#define round_up(x) __builtin_elementwise_ceil(x)
#endif
#if __has_builtin(__builtin_elementwise_floor)
#define round_down(x) __builtin_elementwise_floor(x)
#endif
#endif
#ifndef round_up
#define round_up(x) ceil(x)
#endif
#ifndef round_down
#define round_down(x) floor(x)
#endif
