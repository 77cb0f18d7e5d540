/* clerr.h: OpenCL error codes by name, so every failed call is reported as
 * "clCallName failed: CL_ERROR_NAME". */
#ifndef NBCL_CLERR_H
#define NBCL_CLERR_H

#include <CL/cl.h>
#include "base/error.h"

const char *nbcl_cl_error_name(cl_int code);

/* If code != CL_SUCCESS: set err to "<call> failed: <name>" and return -1; else 0. */
int nbcl_cl_check(cl_int code, const char *call, nbcl_err *err);

#endif
