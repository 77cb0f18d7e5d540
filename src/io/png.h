/* png.h: 8-bit greyscale PNG previews of float images (and of ready-made bytes). */
#ifndef NBCL_PNG_H
#define NBCL_PNG_H

#include "base/error.h"

typedef struct nbcl_png_opts {
    double percentile;   /* linear mode: this percentile of the unmasked pixels is white,
                            brighter pixels clip to white (default 99.5) */
    int log;             /* 1: logarithmic, four decades below the maximum up to white */
} nbcl_png_opts;

void nbcl_png_opts_default(nbcl_png_opts *opts);

/* Preview of width x height floats (index = slow*width + fast). mask (may be NULL) holds one
 * value per pixel; 0 = skip: the pixel is black and not used for the scaling. opts may be
 * NULL (defaults). Written atomically. */
int nbcl_png_write_preview(const char *path, const float *img, int width, int height,
                           const unsigned short *mask, const nbcl_png_opts *opts,
                           nbcl_err *err);

/* Write width x height grey bytes as an 8-bit greyscale PNG, atomically. */
int nbcl_png_write_gray8(const char *path, const unsigned char *pixels, int width, int height,
                         nbcl_err *err);

/* The value at `percentile` (0..100) of the n values (NaN/inf and masked-out ignored);
 * 0 if none. */
double nbcl_png_percentile(const float *img, const unsigned short *mask, size_t n,
                           double percentile);

#endif
