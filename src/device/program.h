/* program.h: the kernel sources and building them for a device.
 * The sources are the copies embedded in libnbcl at build time, so a build never mixes in
 * an installed or edited copy. A developer may set NBCL_KERNEL_DIR=DIR to work on the .cl
 * files without rebuilding: DIR must then hold every file a program names (a missing one is
 * an error, never a silent fall-back to the embedded copy).
 * Environment:
 *   NBCL_KERNEL_DIR=DIR   the developer override above
 *   NBCL_BUILD_LOG=1      print every build log on stderr (the error message holds only the
 *                         first ~900 characters of a failed build's log)
 *   NBCL_DUMP_PROGRAM=DIR the engine writes each program it builds, exactly as built, to
 *                         DIR/<key>.cl and its build options to DIR/<key>.options (key: 16
 *                         hex digits of FNV-1a 64 of options and source), for offline
 *                         compilers (tools/offline_build.py); NBCL_DUMP_PROGRAM_ONLY=1 then
 *                         stops the run with an error before any computing */
#ifndef NBCL_PROGRAM_H
#define NBCL_PROGRAM_H

#include <CL/cl.h>
#include "base/error.h"

/* The text of kernel file `name` (e.g. "lattice_stage.cl"), malloc'd; *origin (may be NULL)
 * is set to the override directory it came from or "embedded". */
char *nbcl_kernel_source(const char *name, const char **origin, nbcl_err *err);

/* The embedded copy of `name` (also files that are no kernels, like the ABI header), or NULL. */
const char *nbcl_kernel_embedded(const char *name);

/* NBCL_KERNEL_DIR when set and not empty, else NULL. */
const char *nbcl_kernel_override_dir(void);

/* prelude (may be NULL), then each named file behind `#line 1 "name"`: one program text,
 * malloc'd. */
char *nbcl_kernel_concat(const char *prelude, const char *const *names, int nnames, nbcl_err *err);

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

/* Write source to DIR/<key>.cl and options to DIR/<key>.options (see NBCL_DUMP_PROGRAM). */
int nbcl_program_dump(const char *dir, const char *source, const char *options, nbcl_err *err);

#endif
