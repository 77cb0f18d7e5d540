/* hkl.h: the structure-factor grid (from an HKL text file or an Fdump.bin cache).
 * The grid spans h_min..h_max (etc.) inclusive; like the reference it is allocated one
 * larger in each direction ((h_range+1) x (k_range+1) x (l_range+1)), zero-filled, and
 * F(h,k,l) lives at F[((h-h_min)*(k_range+1) + (k-k_min))*(l_range+1) + (l-l_min)]. */
#ifndef NBCL_HKL_H
#define NBCL_HKL_H

#include <stddef.h>
#include <stdio.h>
#include "base/error.h"

typedef struct nbcl_hkl {
    int h_min, h_max, k_min, k_max, l_min, l_max;
    int h_range, k_range, l_range;    /* max - min + 1 */
    long hkls;                        /* number of entries read (0: no table) */
    double *F;                        /* (h_range+1)*(k_range+1)*(l_range+1) values */
} nbcl_hkl;

/* Read an HKL text file (h k l F per line, extra columns ignored, blank lines and '#'
 * comments skipped). Cells not in the file get default_F. Prints the reference's progress
 * lines to log (may be NULL). A line with fewer than four numbers, a non-numeric field among
 * the first four, or a file without any entry is an error naming the file and line.
 * Non-integer indices draw a warning on log and are rounded to the nearest integer. */
int nbcl_hkl_read(const char *path, double default_F, nbcl_hkl *out, FILE *log, nbcl_err *err);

/* Fdump.bin: the reference's binary cache, byte for byte: the text header
 * "h_min h_max k_min k_max l_min l_max\n\f" then the whole padded grid as native doubles.
 * Reading checks that the file is exactly as long as its header says; hkls is then set to
 * h_range*k_range*l_range like the reference. */
int nbcl_fdump_write(const char *path, const nbcl_hkl *hkl, nbcl_err *err);
int nbcl_fdump_read(const char *path, nbcl_hkl *out, nbcl_err *err);

/* The same, printing the reference's lines to log (may be NULL):
 * "writing dump file for next time: PATH" and "reading Fs from PATH". */
int nbcl_fdump_save(const char *path, const nbcl_hkl *hkl, FILE *log, nbcl_err *err);
int nbcl_fdump_load(const char *path, nbcl_hkl *out, FILE *log, nbcl_err *err);

/* Number of doubles in the padded grid: (h_range+1)*(k_range+1)*(l_range+1). */
size_t nbcl_hkl_grid_size(const nbcl_hkl *hkl);

/* F at integer (h,k,l) when inside h_min..h_max etc.; otherwise `outside`. */
double nbcl_hkl_get(const nbcl_hkl *hkl, int h, int k, int l, double outside);

void nbcl_hkl_free(nbcl_hkl *hkl);

#endif
