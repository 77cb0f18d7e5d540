/* noise.h: the reference's Poisson noise image, reproduced bit for bit for a given seed. */
#ifndef NBCL_NOISE_H
#define NBCL_NOISE_H

#include "base/rng.h"

/* Draw a Poisson deviate about every float pixel inside roi (xmin xmax ymin ymax, inclusive,
 * fast index = x) in the reference's order (slow outer, fast inner), add adc_offset, clip at
 * 65535 (counting overloads) and truncate into out (fpixels*spixels values; pixels outside
 * the roi are set to 0). *photons gets the sum of the deviates (before the offset).
 * seed is the noise seed (negative to reseed the shared rng). photons and overloads may be
 * NULL. Returns 0, or -1 when an argument is unusable. */
int nbcl_noise_image(const float *img, int fpixels, int spixels, const int roi[4],
                     double adc_offset, long *seed, nbcl_rng *rng, unsigned short *out,
                     double *photons, int *overloads);

#endif
