/* matfile.h: a MOSFLM orientation matrix file (-mat): nine numbers, the A matrix row by
 * row, whose columns are the reciprocal axes a*, b*, c* times the wavelength. */
#ifndef NBCL_IO_MATFILE_H
#define NBCL_IO_MATFILE_H

#include "base/error.h"
#include "base/log.h"

/* The first nine numbers of the file, row-major; logs "reading PATH". */
int nbcl_matfile_read(const char *path, double m[9], nbcl_log *log, nbcl_err *err);

#endif
