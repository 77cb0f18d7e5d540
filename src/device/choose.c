/* choose.c: turning a device SPEC (or NBCL_DEVICE) and a precision request into the devices
 * and the precision of a run, with the "using device" lines the user sees. */
#include <stdlib.h>
#include "device/choose.h"

int nbcl_runtime_precision(const nbcl_device_info *list, const int *picked, int npicked,
                           int precision, int *use_double, nbcl_log *log, nbcl_err *err)
{
    int missing = -1;
    for (int i = 0; i < npicked && missing < 0; i++)
        if (!list[picked[i]].has_fp64)
            missing = picked[i];
    if (precision == 2 || (precision == 0 && missing >= 0)) {
        if (precision == 0 && log)
            nbcl_logf(log, "note: device %d (%s) has no double precision (cl_khr_fp64): "
                         "computing in single precision\n", list[missing].index,
                    list[missing].name);
        *use_double = 0;
        return 0;
    }
    if (precision == 1 && missing >= 0)
        return nbcl_err_set(err, "-precision double: device %d (%s) has no double precision "
                            "(cl_khr_fp64); use -precision single or another -device",
                            list[missing].index, list[missing].name);
    if (precision < 0 || precision > 2)
        return nbcl_err_set(err, "unknown precision %d", precision);
    *use_double = 1;
    /* fp64 runs at a small fraction of the fp32 rate on most GPUs: say so when auto chose it */
    for (int i = 0; precision == 0 && i < npicked; i++)
        if (list[picked[i]].type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) {
            nbcl_logf(log, "note: computing in double precision (every chosen device has "
                      "cl_khr_fp64); on a GPU whose fp64 is slow, -precision single is much faster "
                      "and stays within 1e-3 of double\n");
            break;
        }
    return 0;
}

static void nbcl_print_using(nbcl_log *log, const nbcl_device_info *list, const int *picked,
                             int npicked)
{
    char line[1024];
    for (int i = 0; log && i < npicked; i++) {
        nbcl_device_format(&list[picked[i]], line, sizeof line);
        nbcl_logf(log, "using device: %s\n", line);
    }
}

int nbcl_runtime_c_version(const nbcl_device_info *list, const int *picked, int npicked,
                           nbcl_err *err)
{
    for (int i = 0; i < npicked; i++) {
        const nbcl_device_info *d = &list[picked[i]];
        if (d->c_major < 1 || (d->c_major == 1 && d->c_minor < 2))
            return nbcl_err_code(err, NBCL_E_NO_DEVICE, "device %d (%s) supports OpenCL C %d.%d; the "
                                 "kernels need OpenCL C 1.2 or later (choose another -device)",
                                 d->index, d->name, d->c_major, d->c_minor);
    }
    return 0;
}

int nbcl_runtime_pick(const char *spec_or_null, int precision, nbcl_device_info **list,
                      int *count, int **picked, int *npicked, int *use_double, nbcl_log *log,
                      nbcl_err *err)
{
    const char *spec = spec_or_null && *spec_or_null ? spec_or_null : getenv("NBCL_DEVICE");
    *picked = NULL;
    *npicked = 0;
    if (nbcl_device_enumerate(list, count, log, err))
        return -1;
    if (nbcl_device_select(*list, *count, spec, picked, npicked, err) ||
        nbcl_runtime_c_version(*list, *picked, *npicked, err) ||
        nbcl_runtime_precision(*list, *picked, *npicked, precision, use_double, log, err)) {
        free(*list);
        free(*picked);
        *list = NULL;
        *picked = NULL;
        *count = *npicked = 0;
        return -1;
    }
    nbcl_print_using(log, *list, *picked, *npicked);
    return 0;
}
