/* sourcefile.h: a nanoBragg source file (-sourcefile): one source per non-blank line, up to
 * five columns X Y Z weight lambda (m, relative, m) separated by any of " \t,;:!".
 * The reader returns the columns as written; the model fills in the missing ones. */
#ifndef NBCL_IO_SOURCEFILE_H
#define NBCL_IO_SOURCEFILE_H

#include "base/error.h"

#define NBCL_SOURCE_COLUMNS 5

/* *rows gets NBCL_SOURCE_COLUMNS values per source (NAN where a line has fewer columns),
 * malloc'd. A token that is not a number fails naming the file and line; a file without
 * sources fails too. */
int nbcl_sourcefile_read(const char *path, double **rows, int *count, nbcl_err *err);

#endif
