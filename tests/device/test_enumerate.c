/* test_enumerate.c: one failing platform or device query must not abort enumeration (issue
 * 12 item 6). The real OpenCL queries are wrapped so that a made-up platform (listed first)
 * and a made-up device (listed first on every real platform) fail every query; enumeration
 * must skip both with a warning naming them and still list every real device.
 * And enumeration after a prefetch (device/prefetch.h) waits for the prefetch's thread
 * before its first OpenCL call, and finds the same devices. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/device.h"
#include "device/prefetch.h"
#include "../support/test_log.h"

#define BAD_PLATFORM ((cl_platform_id)(uintptr_t)0x5a11)
#define BAD_DEVICE ((cl_device_id)(uintptr_t)0x5a12)

static int fail_platform, fail_device;

static cl_int wrap_platform_ids(cl_uint n, cl_platform_id *ids, cl_uint *count)
{
    int extra = fail_platform;
    cl_uint real = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &real);
    if (rc != CL_SUCCESS) return rc;
    if (count) *count = real + (cl_uint)extra;
    if (!ids) return CL_SUCCESS;
    if (n < real + (cl_uint)extra) return CL_INVALID_VALUE;
    if (extra) ids[0] = BAD_PLATFORM;
    return clGetPlatformIDs(real, ids + extra, NULL);
}

static cl_int wrap_platform_info(cl_platform_id p, cl_platform_info what, size_t n, void *v,
                                 size_t *got)
{
    return p == BAD_PLATFORM ? CL_INVALID_PLATFORM : clGetPlatformInfo(p, what, n, v, got);
}

static cl_int wrap_device_ids(cl_platform_id p, cl_device_type t, cl_uint n, cl_device_id *ids,
                              cl_uint *count)
{
    cl_uint real = 0;
    if (p == BAD_PLATFORM) return CL_INVALID_PLATFORM;
    cl_int rc = clGetDeviceIDs(p, t, 0, NULL, &real);
    if (rc != CL_SUCCESS) return rc;
    int extra = fail_device;
    if (count) *count = real + (cl_uint)extra;
    if (!ids) return CL_SUCCESS;
    if (n < real + (cl_uint)extra) return CL_INVALID_VALUE;
    if (extra) ids[0] = BAD_DEVICE;
    return clGetDeviceIDs(p, t, real, ids + extra, NULL);
}

static cl_int wrap_device_info(cl_device_id d, cl_device_info what, size_t n, void *v,
                               size_t *got)
{
    return d == BAD_DEVICE ? CL_INVALID_DEVICE : clGetDeviceInfo(d, what, n, v, got);
}

static const nbcl_cl_queries wrapped = {wrap_platform_ids, wrap_platform_info, wrap_device_ids,
                                        wrap_device_info};

static void reset(void)
{
    nbcl_device_set_queries(NULL);
}

TestSuite(enumerate, .fini = reset);

/* The real list, then the list with failures injected and what was logged. */
static void enumerate_both(nbcl_device_info **real, int *nreal, nbcl_device_info **got, int *ngot,
                           char **logged)
{
    nbcl_err err = {0};
    nbcl_device_set_queries(NULL);
    cr_assert_eq(nbcl_device_enumerate(real, nreal, NULL, &err), 0, "%s", err.msg);
    size_t len = 0;
    FILE *f = open_memstream(logged, &len);
    nbcl_log log = test_log_to(f);
    nbcl_device_set_queries(&wrapped);
    cr_assert_eq(nbcl_device_enumerate(got, ngot, &log, &err), 0, "%s", err.msg);
    nbcl_log_flush(&log);
    fclose(f);
}

Test(enumerate, a_failing_platform_is_skipped_with_a_warning)
{
    nbcl_device_info *real, *got;
    int nreal, ngot;
    char *logged = NULL;
    fail_platform = 1;
    fail_device = 0;
    enumerate_both(&real, &nreal, &got, &ngot, &logged);
    cr_expect_eq(ngot, nreal, "%d devices listed, %d without the failing platform", ngot, nreal);
    cr_expect(strstr(logged, "WARNING: OpenCL platform 0 skipped") &&
              strstr(logged, "CL_INVALID_PLATFORM"), "logged: %s", logged);
    for (int i = 0; i < ngot && i < nreal; i++) {
        cr_expect_eq(got[i].id, real[i].id);
        cr_expect_eq(got[i].index, i, "global indices stay dense");
        cr_expect_eq(got[i].platform_index, real[i].platform_index + 1,
                     "P of P:D stays the OpenCL position");
    }
    free(real);
    free(got);
    free(logged);
}

Test(enumerate, a_failing_device_is_skipped_with_a_warning)
{
    nbcl_device_info *real, *got;
    int nreal, ngot;
    char *logged = NULL;
    fail_platform = 0;
    fail_device = 1;
    enumerate_both(&real, &nreal, &got, &ngot, &logged);
    cr_expect_eq(ngot, nreal, "%d devices listed, %d without the failing ones", ngot, nreal);
    cr_expect(strstr(logged, ":0 (platform ") && strstr(logged, "skipped") &&
              strstr(logged, "clGetDeviceInfo failed: CL_INVALID_DEVICE"), "logged: %s", logged);
    for (int i = 0; i < ngot && i < nreal; i++) {
        cr_expect_eq(got[i].id, real[i].id);
        cr_expect_eq(got[i].device_index, real[i].device_index + 1,
                     "D of P:D stays the OpenCL position");
    }
    free(real);
    free(got);
    free(logged);
}

static cl_int only_bad_platform(cl_uint n, cl_platform_id *ids, cl_uint *count)
{
    if (count) *count = 1;
    if (ids && n >= 1) ids[0] = BAD_PLATFORM;
    return CL_SUCCESS;
}

Test(enumerate, nothing_usable_is_still_an_error)
{
    static const nbcl_cl_queries none_usable = {only_bad_platform, wrap_platform_info,
                                                wrap_device_ids, wrap_device_info};
    nbcl_device_info *got = NULL;
    int ngot = 0;
    nbcl_err err = {0};
    nbcl_device_set_queries(&none_usable);
    cr_expect_neq(nbcl_device_enumerate(&got, &ngot, NULL, &err), 0);
    cr_expect_eq(ngot, 0);
    cr_expect(strstr(err.msg, "no usable device"), "%s", err.msg);
}

/* the prefetch's state when enumeration made its first query */
static int state_at_first_query = -1;

static cl_int watch_platform_ids(cl_uint n, cl_platform_id *ids, cl_uint *count)
{
    if (state_at_first_query < 0) state_at_first_query = nbcl_device_prefetch_state();
    return clGetPlatformIDs(n, ids, count);
}

static const nbcl_cl_queries watched = {watch_platform_ids, clGetPlatformInfo, clGetDeviceIDs,
                                        clGetDeviceInfo};

Test(enumerate, a_prefetch_is_waited_for_and_finds_the_same_devices)
{
    nbcl_device_prefetch_wait();   /* nothing started: nothing to wait for */
    cr_assert_eq(nbcl_device_prefetch_state(), 0);
    cr_assert_eq(nbcl_device_prefetch_busy(), 0, "busy with no prefetch");
    nbcl_device_prefetch_start();
    nbcl_device_prefetch_start();   /* once per process */
    cr_assert_eq(nbcl_device_prefetch_state(), 1, "the prefetch thread was not started");
    /* busy until the drivers are loaded (polled without waiting: they take milliseconds) */
    for (int i = 0; i < 60000 && nbcl_device_prefetch_busy(); ++i) usleep(1000);
    cr_assert_eq(nbcl_device_prefetch_busy(), 0, "the prefetch never finished");
    nbcl_device_info *after = NULL, *again = NULL;
    int nafter = 0, nagain = 0;
    nbcl_err err = {0};
    nbcl_device_set_queries(&watched);
    cr_assert_eq(nbcl_device_enumerate(&after, &nafter, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(state_at_first_query, 2, "enumeration queried OpenCL while the prefetch ran (state %d)",
                 state_at_first_query);
    nbcl_device_prefetch_wait();   /* already joined: returns */
    cr_assert_eq(nbcl_device_enumerate(&again, &nagain, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(nafter, nagain);
    for (int i = 0; i < nafter; ++i) {
        cr_expect_eq(after[i].id, again[i].id, "device %d differs", i);
        cr_expect_str_eq(after[i].name, again[i].name);
    }
    free(after);
    free(again);
}
