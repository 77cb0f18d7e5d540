/* peak_fma.c: this CPU's measured floating-point peak, for run_bench.py's %peak column.
 * The estimate from /proc/cpuinfo takes the nominal clock ("cpu MHz"), but a core under a
 * vector load runs at its own clock (turbo, or lowered for AVX-512): on the 2-core Xeon VM
 * of 2026-11-26 the nominal 2.6 GHz gave a peak that bench_heavy's double kernels passed
 * (104 %), while this program measured 3.45 GHz worth of FMAs. One thread per online core
 * runs independent chains of fused multiply-adds on the widest vectors the compiler
 * targets (-march=native), enough chains to cover the FMA units' latency; the best of
 * three rounds is printed as "GFLOP/s-double GFLOP/s-single".
 * Build: cc -O2 -march=native -ffp-contract=fast bench/peak_fma.c -o peak_fma -lpthread */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* the widest vector registers the compiler targets, and as many chains as fit in the
 * register file beside m and c (32 zmm registers with AVX-512, 16 ymm or xmm otherwise) */
#if defined(__AVX512F__)
#define VECTOR_BYTES 64
#define CHAINS 16
#elif defined(__AVX__)
#define VECTOR_BYTES 32
#define CHAINS 12
#else
#define VECTOR_BYTES 16
#define CHAINS 12
#endif
#define MAX_THREADS 512

typedef double vdouble __attribute__((vector_size(VECTOR_BYTES)));
typedef float vfloat __attribute__((vector_size(VECTOR_BYTES)));

static long iterations = 20000000;
static volatile double sink, multiplier = 0.999999, addend = 1e-7;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* a[k] = a[k] * m + c for every chain k, all in registers; m and c come from volatile
 * variables, so the compiler cannot fold the chains (nor could it without -ffast-math) */
#define FMA_CHAINS(type, scalar, lanes)                                                  \
    type m = (type){} + (scalar)multiplier, c = (type){} + (scalar)addend, total = {}; \
    type a[CHAINS];                                                                    \
    for (int k = 0; k < CHAINS; ++k) a[k] = m * (scalar)(k + 1);                       \
    for (long n = 0; n < iterations; ++n) {                                            \
        _Pragma("GCC unroll 16") for (int k = 0; k < CHAINS; ++k) a[k] = a[k] * m + c; \
    }                                                                                  \
    for (int k = 0; k < CHAINS; ++k) total += a[k];                                    \
    double s = 0;                                                                      \
    for (int i = 0; i < lanes; ++i) s += total[i];                                     \
    sink = s;

static void *double_chains(void *unused)
{
    (void)unused;
    FMA_CHAINS(vdouble, double, VECTOR_BYTES / 8)
    return NULL;
}

static void *float_chains(void *unused)
{
    (void)unused;
    FMA_CHAINS(vfloat, float, VECTOR_BYTES / 4)
    return NULL;
}

/* GFLOP/s of `threads` threads running fn (an FMA is two operations) */
static double gflops(void *(*fn)(void *), int lanes, int threads)
{
    pthread_t t[MAX_THREADS];
    double start = now();
    int started = 0;
    while (started < threads && pthread_create(&t[started], NULL, fn, NULL) == 0) ++started;
    for (int i = 0; i < started; ++i) pthread_join(t[i], NULL);
    double seconds = now() - start;
    return 2.0 * CHAINS * lanes * (double)iterations * started / seconds / 1e9;
}

int main(int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;
    if (argc > 1) iterations = atol(argv[1]);
    if (iterations < 1) {
        fprintf(stderr, "peak_fma: iterations must be a positive number\n");
        return 2;
    }
    double best_double = 0, best_float = 0;
    for (int round = 0; round < 3; ++round) {
        double d = gflops(double_chains, VECTOR_BYTES / 8, threads);
        double f = gflops(float_chains, VECTOR_BYTES / 4, threads);
        if (d > best_double) best_double = d;
        if (f > best_float) best_float = f;
    }
    printf("%.1f %.1f\n", best_double, best_float);
    return 0;
}
