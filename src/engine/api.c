/* api.c: the library-wide parts of the public API: version, status names, the per-thread
 * last error, and the device list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/device.h"
#include "device/prefetch.h"
#include "engine/experiment.h"

#define NBCL_STR2(x) #x
#define NBCL_STR(x) NBCL_STR2(x)

static _Thread_local char last_error[1024];

const char *nbcl_version(void)
{
    return NBCL_STR(NBCL_VERSION_MAJOR) "." NBCL_STR(NBCL_VERSION_MINOR) "." NBCL_STR(NBCL_VERSION_PATCH);
}

const char *nbcl_status_name(nbcl_status s)
{
    switch (s) {
    case NBCL_OK: return "NBCL_OK";
    case NBCL_E_INVALID: return "NBCL_E_INVALID";
    case NBCL_E_FILE: return "NBCL_E_FILE";
    case NBCL_E_NO_DEVICE: return "NBCL_E_NO_DEVICE";
    case NBCL_E_OPENCL: return "NBCL_E_OPENCL";
    case NBCL_E_BUILD: return "NBCL_E_BUILD";
    case NBCL_E_NOMEM: return "NBCL_E_NOMEM";
    case NBCL_E_STATE: return "NBCL_E_STATE";
    }
    return "NBCL_E_UNKNOWN";
}

const char *nbcl_last_error(void)
{
    return last_error;
}

nbcl_status nbcl_api_fail(const nbcl_err *err, nbcl_status fallback)
{
    snprintf(last_error, sizeof last_error, "%s", err->msg);
    return err->code > 0 && err->code <= NBCL_E_STATE ? (nbcl_status)err->code : fallback;
}

nbcl_status nbcl_api_invalid(const char *msg)
{
    snprintf(last_error, sizeof last_error, "%s", msg);
    return NBCL_E_INVALID;
}

nbcl_status nbcl_api_state(const char *msg)
{
    snprintf(last_error, sizeof last_error, "%s", msg);
    return NBCL_E_STATE;
}

nbcl_status nbcl_api_nomem(const char *call)
{
    snprintf(last_error, sizeof last_error, "%s: out of host memory", call);
    return NBCL_E_NOMEM;
}

nbcl_status nbcl_devices_list(nbcl_device_desc **list, int *count)
{
    if (!list || !count) return nbcl_api_invalid("nbcl_devices_list: NULL argument");
    *list = NULL;
    *count = 0;
    nbcl_err err = {0};
    nbcl_device_info *info = NULL;
    int n = 0;
    if (nbcl_device_enumerate(&info, &n, NULL, &err)) return nbcl_api_fail(&err, NBCL_E_NO_DEVICE);
    nbcl_device_desc *out = calloc((size_t)n, sizeof *out);
    if (!out) {
        free(info);
        return nbcl_api_nomem("nbcl_devices_list");
    }
    for (int i = 0; i < n; ++i) {
        const nbcl_device_info *d = &info[i];
        nbcl_device_desc *o = &out[i];
        o->index = d->index;
        o->platform_index = d->platform_index;
        o->device_index = d->device_index;
        snprintf(o->platform, sizeof o->platform, "%s", d->platform_name);
        snprintf(o->name, sizeof o->name, "%s", d->name);
        snprintf(o->version, sizeof o->version, "%s", d->version);
        snprintf(o->type, sizeof o->type, "%s", nbcl_device_type_name(d->type));
        o->compute_units = d->compute_units;
        o->global_mem = d->global_mem;
        o->max_alloc = d->max_alloc;
        o->has_fp64 = d->has_fp64;
        nbcl_device_format(d, o->summary, sizeof o->summary);
    }
    free(info);
    *list = out;
    *count = n;
    return NBCL_OK;
}

void nbcl_devices_prefetch(void)
{
    nbcl_device_prefetch_start();
}

void nbcl_devices_prefetch_wait(void)
{
    nbcl_device_prefetch_wait();
}

int nbcl_devices_prefetch_busy(void)
{
    return nbcl_device_prefetch_busy();
}

void nbcl_devices_free(nbcl_device_desc *list)
{
    free(list);
}
