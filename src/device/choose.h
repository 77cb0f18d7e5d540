/* choose.h: choosing the devices and the precision of a run (with the "using device" lines
 * the user sees), on top of the pure selection rules of device.h. */
#ifndef NBCL_DEVCLI_H
#define NBCL_DEVCLI_H

#include <stdio.h>
#include "device/device.h"
#include "base/error.h"
#include "base/log.h"

/* Enumerate, then select with spec_or_null (NULL or "": NBCL_DEVICE from the environment,
 * else the default rule of nbcl_device_select), and print one "using device: ..." line per
 * picked device to log (may be NULL).
 * precision: 0 auto, 1 double, 2 single (enum nbcl_precision). Auto is double when every
 * picked device has fp64, else single with a one-line notice on log; double on a device
 * without fp64 is an error. On success the caller frees *list and *picked (free()); on
 * failure nothing is left allocated. */
int nbcl_runtime_pick(const char *spec_or_null, int precision, nbcl_device_info **list,
                      int *count, int **picked, int *npicked, int *use_double, nbcl_log *log,
                      nbcl_err *err);

/* Every picked device must compile OpenCL C 1.2 (pure, for tests). */
int nbcl_runtime_c_version(const nbcl_device_info *list, const int *picked, int npicked,
                           nbcl_err *err);

/* The precision rule alone (pure, for tests): sets *use_double or fails as above. */
int nbcl_runtime_precision(const nbcl_device_info *list, const int *picked, int npicked,
                           int precision, int *use_double, nbcl_log *log, nbcl_err *err);

#endif
