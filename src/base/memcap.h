/* memcap.h: the cap on large host allocations (the HKL grid above all): half the machine's
 * physical memory unless -max_memory GB (nbcl_config.max_memory_gb) sets another, so that
 * a table nobody can mean (a 2-line HKL file spanning -2000..2000) is refused with a reason
 * instead of driving the machine into swap. Process-wide, set once at setup. */
#ifndef NBCL_MEMCAP_H
#define NBCL_MEMCAP_H

/* The cap in bytes. */
double nbcl_memory_cap(void);
/* gb > 0: cap at gb * 1e9 bytes; gb <= 0: back to half the physical memory. */
void nbcl_memory_cap_set_gb(double gb);
/* What the cap is, for an error message ("half this machine's memory" or "-max_memory 4"). */
const char *nbcl_memory_cap_name(void);

#endif
