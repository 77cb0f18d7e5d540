/* prefetch.h: finding the OpenCL platforms on a thread of the library's while the caller
 * does its own set-up. The first OpenCL call loads every installed driver (PoCL maps and
 * relocates LLVM and clang: 40-60 ms on a 2-core machine, most of a short run's start);
 * started before the input files are read, that load overlaps them. nbcl_device_enumerate
 * waits for it before its own first OpenCL call, so enumeration, and every later call, sees
 * an initialized loader. */
#ifndef NBCL_DEVICE_PREFETCH_H
#define NBCL_DEVICE_PREFETCH_H

/* Start the thread (once per process; later calls do nothing; if no thread can be made,
 * enumeration simply does the work itself). */
void nbcl_device_prefetch_start(void);

/* Wait for the thread, if one was started and is not yet joined. A process must not exit
 * while it runs: the drivers' libraries would be half loaded while exit() runs their
 * destructors. */
void nbcl_device_prefetch_wait(void);

/* 1 while the thread is still loading the drivers (0 once it is done, or when none runs),
 * without waiting: work that can stop at any point may fill the time. */
int nbcl_device_prefetch_busy(void);

/* 0: never started, 1: started and not yet joined, 2: joined (or no thread could be made);
 * for tests */
int nbcl_device_prefetch_state(void);

#endif
