/* program_cache.h: a disk cache of compiled OpenCL program binaries.
 * Why: building the kernels from source costs seconds at every start (more on some drivers),
 * and not every OpenCL implementation keeps its own cache. The binary a device produced is
 * kept on disk and given back to that device next time, for the same source and options.
 *
 * Where: one file per key in $XDG_CACHE_HOME/nanobragg-cl (XDG_CACHE_HOME must be absolute),
 * else $HOME/.cache/nanobragg-cl. NBCL_CACHE_DIR=DIR moves it, NBCL_CACHE_DIR=off (or "none",
 * "0") disables it; an explicit directory given to nbcl_program_cache_init wins over both.
 * The directory (and its parents) is made with mode 0700 at the first store.
 *
 * Key: the components text holds, each as "label length\nvalue\n": platform name, platform
 * version, device name, device vendor, driver version (CL_DRIVER_VERSION), device version,
 * build options and the full kernel source. The key is FNV-1a 64 of that text; the file is
 * DIR/<16 hex digits of the key>.bin.
 *
 * File (integers little-endian): "NBCLPRG1", u32 format version (1), u64 key, u64 text
 * length, the components text, u64 binary length, the binary, u64 FNV-1a 64 of the binary.
 * The stored text must equal the one computed now (a hash collision is then harmless), and
 * the lengths must add up to the file's size; the trailing checksum catches damage inside the
 * binary, which drivers do not always detect. Anything else is a stale or corrupt entry.
 *
 * Failure policy: the cache never fails a run. A stale or corrupt entry, or a binary the
 * driver refuses (clCreateProgramWithBinary or clBuildProgram failing), is reported through
 * the log callback and the program is built from source, then the entry is overwritten.
 * A directory that cannot be made or written, or an entry that cannot be opened or is not a
 * regular file, is reported once per cache; the run goes on uncached.
 * Only a failed build from source is an error (err holds the device's build log).
 * Entries are written to DIR/KEY.bin.tmp.XXXXXX and renamed over DIR/KEY.bin, so concurrent
 * processes building the same key are safe (the last rename wins; each file is whole). */
#ifndef NBCL_PROGRAM_CACHE_H
#define NBCL_PROGRAM_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <CL/cl.h>
#include "base/error.h"

/* One warning line, without newline. user is the pointer given to nbcl_program_cache_init. */
typedef void (*nbcl_cache_log_fn)(void *user, const char *line);

typedef struct nbcl_program_cache {
    char dir[4096];         /* resolved directory; "" when disabled */
    int enabled;            /* 0: every build goes straight to source */
    nbcl_cache_log_fn log;  /* NULL: silent */
    void *log_user;
    int warned;             /* the once-only warning about the directory has been given */
} nbcl_program_cache;

/* Resolve the directory; makes nothing on disk. dir: NULL or "" = NBCL_CACHE_DIR, else
 * $XDG_CACHE_HOME/nanobragg-cl, else $HOME/.cache/nanobragg-cl; "off", "none" or "0" (here or
 * in NBCL_CACHE_DIR) disable the cache. No usable directory (no HOME, path too long) is
 * logged and disables it. log may be NULL. */
void nbcl_program_cache_init(nbcl_program_cache *c, const char *dir, nbcl_cache_log_fn log,
                             void *user);

/* Build `source` with `options` (NULL = "") for `dev` through the cache: a hit loads the
 * stored binary (and builds it, as OpenCL requires, with the same options), a miss builds from
 * source and stores the binary. *hit (may be NULL) is 1 for a hit, else 0. c may be NULL or
 * disabled: then it is a plain build from source. Returns 0, or nonzero when the source does
 * not build (err then holds the build log, as nbcl_program_build_source gives it). */
int nbcl_program_cache_build(nbcl_program_cache *c, cl_context ctx, cl_device_id dev,
                             const char *source, const char *options, cl_program *out, int *hit,
                             nbcl_err *err);

/* The components text for (dev, source, options), malloc'd, and its key in *key (may be
 * NULL). NULL on a failed OpenCL query (err names the call) or out of memory. */
char *nbcl_program_cache_key_text(cl_device_id dev, const char *source, const char *options,
                                  uint64_t *key, nbcl_err *err);

/* The path of the entry for (dev, source, options) in c's directory. Nonzero when the cache
 * is disabled, the path does not fit in n, or an OpenCL query fails. */
int nbcl_program_cache_path(const nbcl_program_cache *c, cl_device_id dev, const char *source,
                            const char *options, char *path, size_t n, nbcl_err *err);

/* The binary of built program `prog` for `dev` (one of its devices): *bin malloc'd, *len
 * bytes. Nonzero (err names the call) when a query fails or the device has no binary. */
int nbcl_program_binary(cl_program prog, cl_device_id dev, unsigned char **bin, size_t *len,
                        nbcl_err *err);

/* Program binary files (-kernel_binary, -save_kernel_binary): one entry of the format above
 * in a file of the user's choice, for devices that cannot compile at run time.
 * Save writes prog's binary for dev with the components text of (dev, source, options).
 * Load refuses, naming the first component that differs (device, driver, options, source),
 * a file made for another device or run; then creates and builds the program from the
 * binary. Both are errors (not warnings) when anything fails. */
int nbcl_program_binary_save(const char *path, cl_program prog, cl_device_id dev,
                             const char *source, const char *options, nbcl_err *err);
int nbcl_program_binary_load(const char *path, cl_context ctx, cl_device_id dev,
                             const char *source, const char *options, cl_program *out,
                             nbcl_err *err);

/* FNV-1a 64 of n bytes, continuing from h (start with NBCL_FNV64_START). */
#define NBCL_FNV64_START 0xcbf29ce484222325ULL
uint64_t nbcl_fnv1a64(uint64_t h, const void *data, size_t n);

#endif
