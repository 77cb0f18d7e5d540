/* psf.h: a detector's point-spread function as a table of pixel weights, and its
 * convolution with a photon image on the host (the engine runs the same table on the
 * device for large images, kernels/psf.cl). Shapes follow noisify.c: a Gaussian, and the
 * "fiber" profile of phosphor/fibre-optic detectors, g / (2 pi (g^2 + r^2)^(3/2)) with
 * g = 0.6524 FWHM, both integrated exactly over each pixel. */
#ifndef NBCL_MODEL_PSF_H
#define NBCL_MODEL_PSF_H

#include "nbcl/nbcl.h"

#define NBCL_PSF_MAX_RADIUS 200   /* pixels: a larger kernel is refused */

typedef struct nbcl_psf_kernel {
    int radius;          /* pixels; the table is (2 radius + 1)^2, row-major, dy outer */
    double *w;           /* weights inside the disc r <= radius, 0 outside, summing to 1 */
} nbcl_psf_kernel;

/* The fraction of a point's photons that land on the pixel (dx, dy) pixels away (pixel
 * centres), for a PSF of this shape and full width at half maximum in pixels. */
double nbcl_psf_pixel_weight(nbcl_psf shape, double fwhm_px, int dx, int dy);

/* The radius used when none is given: where the Gaussian falls below 1e-8 of its peak, or
 * (the fibre profile has long tails) where 95% of the fibre's photons are inside; at least
 * 1, at most NBCL_PSF_MAX_RADIUS. */
int nbcl_psf_auto_radius(nbcl_psf shape, double fwhm_px);

/* Build the normalized table (radius 0: automatic). Returns 0, or -1 (out of memory or
 * unusable arguments). */
int nbcl_psf_kernel_make(nbcl_psf shape, double fwhm_px, int radius, nbcl_psf_kernel *k);
void nbcl_psf_kernel_free(nbcl_psf_kernel *k);

/* Who convolves: the engine runs the table on a device (kernels/psf.cl); NULL means the
 * host's nbcl_psf_convolve. convolve returns 0, or nonzero after recording why in user. */
typedef struct nbcl_psf_runner {
    void *user;
    int (*convolve)(void *user, const nbcl_psf_kernel *k, const float *in, int fpixels,
                    int spixels, float *out);
} nbcl_psf_runner;

/* out = in convolved with k (fpixels x spixels, fast index inner); photons that would land
 * outside the image are lost, so the total is kept wherever the kernel stays inside. */
void nbcl_psf_convolve(const nbcl_psf_kernel *k, const float *in, int fpixels, int spixels,
                       float *out);

#endif
