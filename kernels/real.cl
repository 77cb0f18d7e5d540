/* real.cl: the arithmetic precision of a run.
 * The host passes -DNBCL_DOUBLE=1 when the device has fp64 and double was chosen; every
 * other kernel file writes `real` and `real3` and so serves both precisions. */
#ifdef NBCL_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
typedef double3 real3;
typedef double4 real4;
#define R(x) x
#define NBCL_SINCG_RECURRENCE_MAX 64
#else
typedef float real;
typedef float3 real3;
typedef float4 real4;
#define R(x) x##f
#define NBCL_SINCG_RECURRENCE_MAX 16
#endif

#define NBCL_PI R(3.14159265358979323846)
