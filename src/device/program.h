/* program.h: building the kernels of the kernels/ directory (.cl files) at startup.
 * Sources are looked up in NBCL_KERNEL_DIR, then the installed data directory, then the
 * source tree, and finally in the copies embedded in libnbcl at build time.
 * A directory that lacks the file is skipped (the search goes on), so NBCL_KERNEL_DIR may
 * hold just the files being worked on. A file that exists but cannot be read is an error.
 * Environment:
 *   NBCL_KERNEL_DIR=DIR            searched first
 *   NBCL_KERNELS_EMBEDDED_ONLY=1   skip every directory: use only the embedded copies
 *   NBCL_BUILD_LOG=1               print every build log on stderr (the error message holds
 *                                  only the first ~900 characters of a failed build's log) */
#ifndef NBCL_PROGRAM_H
#define NBCL_PROGRAM_H

#include <CL/cl.h>
#include "base/error.h"

/* The text of kernel file `name` (e.g. "lattice.cl"), malloc'd; *origin (may be NULL) is set
 * to the directory it came from or "embedded". */
char *nbcl_kernel_source(const char *name, const char **origin, nbcl_err *err);

/* Concatenate the named kernel files (in order) after `prelude` (may be NULL) and build them
 * for one device with `options` (may be NULL). Each file is preceded by `#line 1 "name"`
 * so that compiler messages name the file. A failed build puts the device's build log in err (the
 * message then spans several lines) and returns nonzero. */
int nbcl_program_build(cl_context ctx, cl_device_id dev, const char *prelude,
                       const char *const *names, int nnames, const char *options,
                       cl_program *out, nbcl_err *err);

/* Same, from source text given directly (used by tests). */
int nbcl_program_build_source(cl_context ctx, cl_device_id dev, const char *source,
                              const char *options, cl_program *out, nbcl_err *err);

#endif
