/* pgm.h: the reference's 8-bit PGM preview (P5), byte for byte. */
#ifndef NBCL_PGM_H
#define NBCL_PGM_H

#include "base/error.h"

/* Pixel = (unsigned char)min(255, float*scale) (negative or NaN -> 0); pixels outside roi
 * (xmin xmax ymin ymax inclusive; NULL = whole image) are 0. Header:
 * "P5\n<f> <s>\n# pixels scaled by <scale %g>\n255\n". Written atomically. */
int nbcl_pgm_write(const char *path, const float *img, int fpixels, int spixels,
                   const int roi[4], double scale, nbcl_err *err);

#endif
