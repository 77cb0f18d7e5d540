/* app.h: the pieces of the nanobragg-cl command (main.c sequences them): checking and
 * writing the output files, and the -printout lines. Uses only the public API. */
#ifndef NBCL_APP_H
#define NBCL_APP_H

#include "nbcl/nbcl.h"

/* One error line on stderr (what, or nbcl_last_error() when NULL); returns 1. */
int nbcl_app_fail(const char *what);

/* Before any work: every output file's directory exists and is writable, so that a run
 * never stops half way through writing its files. Reports the error itself. */
int nbcl_app_check_outputs(const nbcl_outputs *out);

/* After an -hkl text file was read: nanoBragg's Fdump.bin cache (failure only warns). */
void nbcl_app_write_fdump(const nbcl_experiment *exp, const nbcl_outputs *out);

/* -printout / -printout_pixel: nanoBragg's diagnostic lines. */
void nbcl_app_print_pixels(const nbcl_engine *eng, const nbcl_outputs *out);

/* Statistics lines, then the float, SMV, PGM, PNG and noise files. Reports errors itself;
 * returns the exit status. */
int nbcl_app_write_outputs(const nbcl_engine *eng, const nbcl_outputs *out, const float *image);

#endif
