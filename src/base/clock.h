/* clock.h: one monotonic clock for the timings the engine reports (-timing, progress). */
#ifndef NBCL_BASE_CLOCK_H
#define NBCL_BASE_CLOCK_H

#include <time.h>

/* seconds since an arbitrary fixed point, never going back */
static inline double nbcl_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
