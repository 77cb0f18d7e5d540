/* shotfile.h: a shot list (-shots FILE): one image per line, each line a set of nanoBragg
 * flags for that image. The reader only splits lines into words (blank lines and '#'
 * comments skipped, line numbers kept); which flags a shot may use is the caller's rule. */
#ifndef NBCL_IO_SHOTFILE_H
#define NBCL_IO_SHOTFILE_H

#include "base/error.h"

#define NBCL_SHOT_MAX_WORDS 64
#define NBCL_SHOT_MAX_LINES 1000000

typedef struct nbcl_shot_line {
    long lineno;
    int nwords;
    char *words[NBCL_SHOT_MAX_WORDS];
} nbcl_shot_line;

/* *lines malloc'd (free with nbcl_shotfile_free, which frees the words and the array).
 * A file without any shot is an error. */
int nbcl_shotfile_read(const char *path, nbcl_shot_line **lines, int *count, nbcl_err *err);
void nbcl_shotfile_free(nbcl_shot_line *lines, int count);

#endif
