/* noise.c: integer noise image (Poisson counts plus ADC offset) from the float image, with
 * the reference's pixel order and clipping so that the same seed gives the same file. */
#include "model/noise.h"

#include <stddef.h>

static int in_roi(const int roi[4], int f, int s)
{
    return !(f < roi[0] || f > roi[1] || s < roi[2] || s > roi[3]);
}

int nbcl_noise_image(const float *img, int fpixels, int spixels, const int roi[4],
                     double adc_offset, long *seed, nbcl_rng *rng, unsigned short *out,
                     double *photons, int *overloads)
{
    if (!img || !roi || !seed || !rng || !out || fpixels < 0 || spixels < 0) return -1;
    double sum = 0.0;
    int over = 0;
    size_t idx = 0;
    for (int s = 0; s < spixels; ++s)
        for (int f = 0; f < fpixels; ++f, ++idx) {
            out[idx] = 0;
            if (!in_roi(roi, f, s)) continue;
            double counts = nbcl_poidev(rng, img[idx], seed);
            sum += counts;
            counts += adc_offset;
            if (counts > 65535.0) {
                counts = 65535.0;
                ++over;
            }
            out[idx] = (unsigned short)counts;
        }
    if (photons) *photons = sum;
    if (overloads) *overloads = over;
    return 0;
}
