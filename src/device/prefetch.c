/* prefetch.c: the OpenCL platforms found on a thread while the caller sets up (why:
 * prefetch.h). The thread asks for the platforms and each one's devices, which is what
 * makes the ICD loader and the drivers initialize; its answers are thrown away, since
 * nbcl_device_enumerate asks again (then at no cost) and reports errors itself. */
#include <pthread.h>
#include <CL/cl.h>
#include "device/prefetch.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static int state;   /* 0: never started, 1: running or finished, not joined, 2: joined */

static void *find_platforms(void *unused)
{
    (void)unused;
    cl_uint n = 0;
    if (clGetPlatformIDs(0, NULL, &n) != CL_SUCCESS || n == 0) return NULL;
    cl_platform_id ids[16];
    if (n > 16) n = 16;
    if (clGetPlatformIDs(n, ids, NULL) != CL_SUCCESS) return NULL;
    for (cl_uint i = 0; i < n; ++i) {
        cl_uint nd = 0;
        (void)clGetDeviceIDs(ids[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
    }
    return NULL;
}

void nbcl_device_prefetch_start(void)
{
    pthread_mutex_lock(&lock);
    if (state == 0) state = pthread_create(&thread, NULL, find_platforms, NULL) == 0 ? 1 : 2;
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

int nbcl_device_prefetch_state(void)
{
    pthread_mutex_lock(&lock);
    int s = state;
    pthread_mutex_unlock(&lock);
    return s;
}
