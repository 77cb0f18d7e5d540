/* device.h: finding OpenCL devices and choosing among them.
 * A SPEC is a global index ("2"), "P:D" (platform:device), a type ("cpu", "gpu",
 * "accelerator", "default"), "all", or a case-insensitive substring of a device or platform
 * name. With no SPEC (and no NBCL_DEVICE in the environment) the first GPU is taken, else
 * the first device. */
#ifndef NBCL_DEVICE_H
#define NBCL_DEVICE_H

#include <stdio.h>
#include <CL/cl.h>
#include "base/error.h"
#include "base/log.h"

typedef struct nbcl_device_info {
    int index;                    /* global index over all platforms */
    int platform_index, device_index;
    cl_platform_id platform;
    cl_device_id id;
    char platform_name[256];
    char name[256];
    cl_device_type type;
    cl_uint compute_units;
    cl_ulong global_mem, max_alloc;
    char version[128];
    int has_fp64;
    int has_nv_options;           /* cl_nv_compiler_options: -cl-nv-maxrregcount and kin */
    int c_major, c_minor;         /* OpenCL C version (CL_DEVICE_OPENCL_C_VERSION) */
} nbcl_device_info;

/* All devices of all platforms. No platform at all is an error whose message says that
 * pocl-opencl-icd gives a CPU device on Debian/Ubuntu. *list is malloc'd. A platform or
 * device whose query fails is skipped with a WARNING line on log (NULL: dropped) naming it
 * (P or P:D, the OpenCL positions, which the other devices keep) and the failed call; only
 * no usable device at all, or no memory, is an error. */
int nbcl_device_enumerate(nbcl_device_info **list, int *count, nbcl_log *log, nbcl_err *err);

/* The OpenCL queries enumeration makes. Tests replace them (NULL: the real ones again) to
 * make one platform or device fail. */
typedef struct nbcl_cl_queries {
    cl_int (*platform_ids)(cl_uint, cl_platform_id *, cl_uint *);
    cl_int (*platform_info)(cl_platform_id, cl_platform_info, size_t, void *, size_t *);
    cl_int (*device_ids)(cl_platform_id, cl_device_type, cl_uint, cl_device_id *, cl_uint *);
    cl_int (*device_info)(cl_device_id, cl_device_info, size_t, void *, size_t *);
} nbcl_cl_queries;
void nbcl_device_set_queries(const nbcl_cl_queries *queries);

/* Choose devices for spec (NULL or blank: the default rule). *picked is a malloc'd array of
 * indices into list, in the order named, without repeats. A spec that matches nothing is an
 * error whose message lists the devices (one per line).
 * Details: a spec may be a comma-separated list ("0,2"); each item must match something.
 * "cpu", "gpu", "accelerator", "custom" take every device of that type; "default" takes the
 * first device flagged CL_DEVICE_TYPE_DEFAULT (else the default rule); "all" every device;
 * an index beyond the list or an unknown P:D matches nothing; any other text is a
 * case-insensitive substring of the device or platform name and takes every device it hits.
 * Pure: makes no OpenCL call, so tests may pass made-up lists. */
int nbcl_device_select(const nbcl_device_info *list, int count, const char *spec,
                       int **picked, int *npicked, nbcl_err *err);

/* One line (no newline) describing a device, as -list_devices prints it. */
void nbcl_device_format(const nbcl_device_info *d, char *buf, size_t n);

/* The name of a cl_device_type ("cpu", "gpu", ...). */
const char *nbcl_device_type_name(cl_device_type type);

#endif
