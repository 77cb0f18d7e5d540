/* workload.h: how much work a run is, said before it starts, and a run that would take
 * absurdly long refused unless asked for (issue 11). */
#ifndef NBCL_ENGINE_WORKLOAD_H
#define NBCL_ENGINE_WORKLOAD_H

#include "base/error.h"
#include "base/log.h"
#include "device/device.h"
#include "model/config.h"
#include "model/sim.h"

/* Sub-paths of one image: rendered pixels x oversample^2 x sensor layers x sources x
 * mosaic domains x phi steps (the kernels' innermost unit of work). */
double nbcl_work_subpaths(const nbcl_sim *s);

/* Sub-paths per second that the devices may reach at best (documented rates per compute
 * unit, docs/cli.md "Run-time limit"). */
double nbcl_work_rate(const nbcl_device_info *devices, int n);

/* Refuse an orientation table larger than one device allocation or the memory cap; log
 * the estimate of nimages images on the devices; refuse (NBCL_E_INVALID, naming the
 * largest factor and -allow_long_run) a run estimated over c->max_run_hours unless
 * c->allow_long_run. */
int nbcl_work_check(const nbcl_sim *s, const nbcl_config *c, int nimages, int use_double,
                    const nbcl_device_info *devices, int n, nbcl_log *log, nbcl_err *err);

#endif
