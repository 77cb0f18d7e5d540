/* memcap.c: the cap on large host allocations (see memcap.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>
#include "base/memcap.h"

static _Atomic double cap_gb;    /* 0: half the physical memory */
static char cap_name[64];

static double half_the_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? 0.5 * (double)pages * (double)size : 8e9;
}

double nbcl_memory_cap(void)
{
    double gb = cap_gb;
    return gb > 0.0 ? gb * 1e9 : half_the_memory();
}

void nbcl_memory_cap_set_gb(double gb)
{
    cap_gb = gb > 0.0 ? gb : 0.0;
    if (gb > 0.0) snprintf(cap_name, sizeof cap_name, "the -max_memory cap of %g GB", gb);
}

const char *nbcl_memory_cap_name(void)
{
    return cap_gb > 0.0 ? cap_name : "half this machine's memory (-max_memory GB raises the cap)";
}
