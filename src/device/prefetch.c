/* prefetch.c: the OpenCL platforms found on a thread while the caller sets up (why:
 * prefetch.h). The thread asks for the platforms and each one's devices, which is what
 * makes the ICD loader and the drivers initialize; its answers are thrown away, since
 * nbcl_device_enumerate asks again (then at no cost) and reports errors itself. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <CL/cl.h>
#include "device/prefetch.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static int state;   /* 0: never started, 1: running or finished, not joined, 2: joined */
static atomic_int busy;   /* 1 from the start until the thread has asked for the devices */

static void ask_for_platforms(void)
{
    cl_uint n = 0;
    if (clGetPlatformIDs(0, NULL, &n) != CL_SUCCESS || n == 0) return;
    cl_platform_id ids[16];
    if (n > 16) n = 16;
    if (clGetPlatformIDs(n, ids, NULL) != CL_SUCCESS) return;
    for (cl_uint i = 0; i < n; ++i) {
        cl_uint nd = 0;
        (void)clGetDeviceIDs(ids[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
    }
}

/* The thread leaves its alternate signal stack as it found it: a driver built on LLVM
 * installs one of its own (malloc'd) on the thread that loads it, and a thread ending with
 * that stack in place made AddressSanitizer abort while tearing the thread down (it unmaps
 * the thread's signal stack, taking it for its own). */
static void *find_platforms(void *unused)
{
    (void)unused;
    stack_t before;
    int saved = sigaltstack(NULL, &before) == 0;
    ask_for_platforms();
    if (saved) sigaltstack(&before, NULL);
    atomic_store(&busy, 0);
    return NULL;
}

void nbcl_device_prefetch_start(void)
{
    pthread_mutex_lock(&lock);
    if (state == 0) {
        atomic_store(&busy, 1);
        state = pthread_create(&thread, NULL, find_platforms, NULL) == 0 ? 1 : 2;
        if (state == 2) atomic_store(&busy, 0);
    }
    pthread_mutex_unlock(&lock);
}

void nbcl_device_prefetch_wait(void)
{
    pthread_mutex_lock(&lock);
    if (state == 1) {
        pthread_join(thread, NULL);
        state = 2;
    }
    pthread_mutex_unlock(&lock);
}

int nbcl_device_prefetch_busy(void)
{
    return atomic_load(&busy);
}

int nbcl_device_prefetch_state(void)
{
    pthread_mutex_lock(&lock);
    int s = state;
    pthread_mutex_unlock(&lock);
    return s;
}
