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
} nbcl_outfile;

/* Create the temporary next to path (mode 0666 less the umask, like fopen). */
int nbcl_outfile_open(nbcl_outfile *of, const char *path, nbcl_err *err);

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

#endif
