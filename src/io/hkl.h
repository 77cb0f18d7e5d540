/* hkl.h: structure factors from files: an "h k l F" text file or nanoBragg's Fdump.bin
 * cache, read into (or written from) the padded grid of base/hkl_grid.h. */
#ifndef NBCL_HKL_H
#define NBCL_HKL_H

#include "base/error.h"
#include "base/hkl_grid.h"
#include "base/log.h"

/* Read an HKL text file (h k l F per line, extra columns ignored, blank lines and '#'
 * comments skipped). Cells not in the file get default_F. Prints the reference's progress
 * lines to log (may be NULL). A line with fewer than four numbers, a non-numeric field among
 * the first four, or a file without any entry is an error naming the file and line.
 * Non-integer indices draw a warning on log and are rounded to the nearest integer. */
int nbcl_hkl_read(const char *path, double default_F, nbcl_hkl *out, nbcl_log *log, nbcl_err *err);

/* Fdump.bin: the reference's binary cache, byte for byte: the text header
 * "h_min h_max k_min k_max l_min l_max\n\f" then the whole padded grid as native doubles.
 * Reading checks that the file is exactly as long as its header says; hkls is then set to
 * h_range*k_range*l_range like the reference. */
int nbcl_fdump_write(const char *path, const nbcl_hkl *hkl, nbcl_err *err);
int nbcl_fdump_read(const char *path, nbcl_hkl *out, nbcl_err *err);

/* The same, printing the reference's lines to log (may be NULL):
 * "writing dump file for next time: PATH" and "reading Fs from PATH". */
int nbcl_fdump_save(const char *path, const nbcl_hkl *hkl, nbcl_log *log, nbcl_err *err);
int nbcl_fdump_load(const char *path, nbcl_hkl *out, nbcl_log *log, nbcl_err *err);

#endif
