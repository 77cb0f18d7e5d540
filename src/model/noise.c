/* noise.c: integer noise image from the float image: the reference's Poisson counts plus
 * ADC offset, with its pixel order and clipping so that the same seed gives the same file,
 * and the detector response of noisify.c's model on top (flicker, calibration error,
 * point spread, gain, read-out noise), each drawn from a seeded generator. */
#include "model/noise.h"

#include <stddef.h>
#include <stdlib.h>

static int in_roi(const int roi[4], int f, int s)
{
    return !(f < roi[0] || f > roi[1] || s < roi[2] || s > roi[3]);
}

void nbcl_detector_response_init(nbcl_detector_response *r)
{
    if (!r) return;
    r->psf = NBCL_PSF_GAUSS;   /* the shape once a width is given */
    r->psf_fwhm_mm = 0.0;
    r->psf_radius = 0;
    r->gain = 1.0;
    r->readout_noise = 0.0;
    r->calibration_noise = 0.0;
    r->flicker_noise = 0.0;
    r->calibration_seed = 123456789;
}

int nbcl_detector_response_is_none(const nbcl_detector_response *r)
{
    return !r || ((r->psf == NBCL_PSF_NONE || !(r->psf_fwhm_mm > 0.0)) && r->gain == 1.0 &&
                  r->readout_noise == 0.0 && r->calibration_noise == 0.0 &&
                  r->flicker_noise == 0.0);
}

/* the expected photons of one pixel, scaled by the per-image flicker and the fixed
 * calibration error, as noisify.c orders them */
static double jittered_photons(double photons, const nbcl_detector_response *r, long *seed,
                               nbcl_rng *rng, long *calib_seed, nbcl_rng *calib_rng)
{
    if (r && r->flicker_noise > 0.0) photons *= 1.0 + r->flicker_noise * nbcl_gaussdev(rng, seed);
    if (r && r->calibration_noise > 0.0)
        photons *= 1.0 + r->calibration_noise * nbcl_gaussdev(calib_rng, calib_seed);
    return photons;
}

/* photons to ADU: gain, offset, read-out noise; clipped into 16 bits */
static unsigned short adu_of(double photons, double adc_offset, const nbcl_detector_response *r,
                             long *seed, nbcl_rng *rng, int *over)
{
    double adu = photons;
    if (r) {
        adu = photons * r->gain + adc_offset;
        if (r->readout_noise > 0.0) adu += r->readout_noise * nbcl_gaussdev(rng, seed);
    } else {
        adu += adc_offset;
    }
    if (adu > 65535.0) {
        adu = 65535.0;
        ++*over;
    }
    if (adu < 0.0) adu = 0.0;
    return (unsigned short)adu;
}

int nbcl_noise_image_response(const float *img, int fpixels, int spixels, const int roi[4],
                              double adc_offset, const nbcl_detector_response *resp,
                              double pixel_size, const nbcl_psf_runner *runner, long *seed,
                              nbcl_rng *rng, unsigned short *out, double *photons,
                              int *overloads)
{
    if (!img || !roi || !seed || !rng || !out || fpixels < 0 || spixels < 0) return -1;
    if (nbcl_detector_response_is_none(resp)) resp = NULL;
    int psf = resp && resp->psf != NBCL_PSF_NONE && resp->psf_fwhm_mm > 0.0;
    if (psf && !(pixel_size > 0.0)) return -1;
    size_t npix = (size_t)fpixels * (size_t)spixels;
    float *counted = malloc((npix ? npix : 1) * sizeof *counted);
    float *spread = psf ? malloc((npix ? npix : 1) * sizeof *spread) : NULL;
    if (!counted || (psf && !spread)) {
        free(counted);
        free(spread);
        return -2;
    }
    nbcl_rng calib_rng;
    nbcl_rng_init(&calib_rng);
    long calib_seed = resp ? -labs(resp->calibration_seed) : 0;
    if (calib_seed == 0) calib_seed = -1;

    /* photon counting (and the jitter before it), pixel by pixel in the reference's order */
    size_t idx = 0;
    for (int s = 0; s < spixels; ++s)
        for (int f = 0; f < fpixels; ++f, ++idx) {
            counted[idx] = 0.0f;
            if (!in_roi(roi, f, s)) continue;
            double mean = jittered_photons(img[idx], resp, seed, rng, &calib_seed, &calib_rng);
            counted[idx] = nbcl_poidev(rng, (float)mean, seed);
        }
    /* the point spread moves counted photons between pixels (noisify.c's order) */
    if (psf) {
        nbcl_psf_kernel k;
        if (nbcl_psf_kernel_make(resp->psf, resp->psf_fwhm_mm / 1000.0 / pixel_size,
                                 resp->psf_radius, &k)) {
            free(counted);
            free(spread);
            return -1;
        }
        int failed = 0;
        if (runner && runner->convolve)
            failed = runner->convolve(runner->user, &k, counted, fpixels, spixels, spread);
        else
            nbcl_psf_convolve(&k, counted, fpixels, spixels, spread);
        nbcl_psf_kernel_free(&k);
        if (failed) {
            free(counted);
            free(spread);
            return -3;
        }
        free(counted);
        counted = spread;
    }
    /* the detector's read-out */
    double sum = 0.0;
    int over = 0;
    idx = 0;
    for (int s = 0; s < spixels; ++s)
        for (int f = 0; f < fpixels; ++f, ++idx) {
            out[idx] = 0;
            if (!in_roi(roi, f, s)) continue;
            sum += counted[idx];
            out[idx] = adu_of(counted[idx], adc_offset, resp, seed, rng, &over);
        }
    free(counted);
    if (photons) *photons = sum;
    if (overloads) *overloads = over;
    return 0;
}

int nbcl_noise_image(const float *img, int fpixels, int spixels, const int roi[4],
                     double adc_offset, long *seed, nbcl_rng *rng, unsigned short *out,
                     double *photons, int *overloads)
{
    return nbcl_noise_image_response(img, fpixels, spixels, roi, adc_offset, NULL, 0.0, NULL,
                                     seed, rng, out, photons, overloads) == 0 ? 0 : -1;
}
