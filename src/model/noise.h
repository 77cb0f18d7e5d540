/* noise.h: the noise image: the reference's Poisson noise, reproduced bit for bit for a
 * given seed, and the detector response on top of it (docs/detector-response.md). */
#ifndef NBCL_NOISE_H
#define NBCL_NOISE_H

#include "base/rng.h"
#include "model/psf.h"
#include "nbcl/nbcl.h"

/* Draw a Poisson deviate about every float pixel inside roi (xmin xmax ymin ymax, inclusive,
 * fast index = x) in the reference's order (slow outer, fast inner), add adc_offset, clip at
 * 65535 (counting overloads) and truncate into out (fpixels*spixels values; pixels outside
 * the roi are set to 0). *photons gets the sum of the deviates (before the offset).
 * seed is the noise seed (negative to reseed the shared rng). photons and overloads may be
 * NULL. Returns 0, or -1 when an argument is unusable. */
int nbcl_noise_image(const float *img, int fpixels, int spixels, const int roi[4],
                     double adc_offset, long *seed, nbcl_rng *rng, unsigned short *out,
                     double *photons, int *overloads);

/* The same with a detector response (NULL: none, the call above). In this order, per pixel
 * inside the roi: flicker (1 + flicker * gauss, noise seed), calibration error
 * (1 + calibration * gauss, from its own generator seeded by resp->calibration_seed afresh
 * on every call, so it is the same on every image), Poisson deviate (noise seed); then the
 * point spread over the whole photon image (pixel_size in metres turns psf_fwhm_mm into
 * pixels); then photons * gain + adc_offset + readout * gauss (noise seed), clipped to
 * 0..65535 and truncated. *photons is the photon total after the point spread, which
 * `psf` runs (NULL: on the host).
 * Returns 0, -1 for an unusable argument, -2 when out of memory, -3 when psf failed. */
int nbcl_noise_image_response(const float *img, int fpixels, int spixels, const int roi[4],
                              double adc_offset, const nbcl_detector_response *resp,
                              double pixel_size, const nbcl_psf_runner *psf, long *seed,
                              nbcl_rng *rng, unsigned short *out, double *photons,
                              int *overloads);

/* 1 when r changes nothing (the plain nanoBragg noise image). */
int nbcl_detector_response_is_none(const nbcl_detector_response *r);

#endif
