/* stolfile.h: a scattering table of an amorphous material, as nonBragg.c reads it (-stol,
 * -4stol, -Q): one row per non-blank line, the scattering variable then the structure factor
 * of one molecule F, separated by any of " \t,;:!" (further columns are ignored). */
#ifndef NBCL_IO_STOLFILE_H
#define NBCL_IO_STOLFILE_H

#include "base/error.h"

/* *x and *F get the two columns as written (malloc'd, *rows each). Refused, naming `flag`,
 * the file and the line: a file that cannot be read, a token that is no number, a line with
 * one column, a value that is NaN or infinite, a negative scattering variable, one that does
 * not increase from row to row, and fewer than two rows. */
int nbcl_stolfile_read(const char *flag, const char *path, double **x, double **F, int *rows,
                       nbcl_err *err);

#endif
