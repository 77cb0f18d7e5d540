/* outfile.h: writing output files so that no half-written file is ever seen.
 * Data goes to "path.tmp.XXXXXX" in the same directory and is renamed over `path` only
 * once everything was written (and, while an output group is open, only when the whole
 * group commits: outgroup.h); any failure removes the temporary. */
#ifndef NBCL_OUTFILE_H
#define NBCL_OUTFILE_H

#include <stddef.h>
#include <stdio.h>
#include "base/error.h"

typedef struct nbcl_outfile {
    FILE *fp;        /* write here between open and commit/abort */
    char *path;      /* final name */
    char *tmp;       /* temporary name */
    void *map;       /* nbcl_outfile_map's memory (NULL: none) */
    size_t map_size;
} nbcl_outfile;

/* Create the temporary next to path (mode 0666 less the umask, like fopen). */
int nbcl_outfile_open(nbcl_outfile *of, const char *path, nbcl_err *err);

/* The temporary's first `size` bytes as writable memory, the file made that long with its
 * blocks reserved at once (so a full disk is said here, not by a fault on some later
 * store): what is stored there is the file, written back by the kernel with no copy through
 * write() (for bench_4096 that copy into fresh page-cache pages cost more CPU than a
 * kernel worker's share of the simulation). Bytes not stored stay 0 and cost no memory.
 * Returns 0 with *data set; 1 with *data NULL where the file cannot be mapped (a device or
 * pipe written in place, a file system that cannot reserve blocks or map files, a system
 * other than Linux, whose fallocate it uses): write
 * through fp instead; -1 with err set when the blocks cannot be had (no space, file too
 * large). Not mixed with writes through fp. Unmapped by commit and abort. */
int nbcl_outfile_map(nbcl_outfile *of, size_t size, void **data, nbcl_err *err);

/* Bring bytes [offset, offset + len) of the mapped file into memory now, on the calling
 * thread, their contents unchanged, so that the stores that follow do not each stop for a
 * page fault (a fresh page of a file costs microseconds): done while that thread would
 * only wait (the OpenCL drivers loading on another), it takes the work off the
 * simulation's time. Nothing happens when the file is not mapped. */
void nbcl_outfile_prefault(nbcl_outfile *of, size_t offset, size_t len);

/* Make the temporary `size` bytes long with its blocks reserved at once (so a full disk is
 * said here), for nbcl_outfile_pwrite: 0 when it may be written so, its bytes reading as 0
 * until written; 1 where it cannot (a device or pipe written in place, a file system that
 * cannot reserve blocks, a system other than Linux): write through fp instead; -1 with err
 * set when the blocks cannot be had. Not mixed with writes through fp or a map. */
int nbcl_outfile_positional(nbcl_outfile *of, size_t size, nbcl_err *err);

/* len bytes at `offset` of a file nbcl_outfile_positional accepted, whole (short writes
 * and interruptions retried): 0, or the errno of the failure. Threads may write their own
 * parts of one file at once. */
int nbcl_outfile_pwrite(nbcl_outfile *of, const void *data, size_t len, size_t offset);

/* Close the temporary (checking for write errors) and rename it to the final name.
 * On failure the temporary is removed. Either way `of` is released. */
int nbcl_outfile_commit(nbcl_outfile *of, nbcl_err *err);

/* Give up: close and remove the temporary, release `of`. Safe on a zeroed or released `of`. */
void nbcl_outfile_abort(nbcl_outfile *of);

/* Write `size` bytes atomically (open, write, commit). */
int nbcl_outfile_write_bytes(const char *path, const void *data, size_t size, nbcl_err *err);

/* Raw little-endian float32 image, n values, written atomically. */
int nbcl_floatfile_write(const char *path, const float *data, size_t n, nbcl_err *err);

/* n more values of such an image into an open outfile (rows as they are finished);
 * on failure err names the file and `of` stays open for nbcl_outfile_abort. */
int nbcl_floatfile_append(nbcl_outfile *of, const float *data, size_t n, nbcl_err *err);

/* The open outfile as n floats of such an image in memory (nbcl_outfile_map), where this
 * host stores floats little-endian: 0 with *data set, 1 with *data NULL (append instead),
 * -1 with err set. */
int nbcl_floatfile_map(nbcl_outfile *of, size_t n, float **data, nbcl_err *err);

#endif
