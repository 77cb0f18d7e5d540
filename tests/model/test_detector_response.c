/* test_detector_response.c: the detector response of the noise image (model/noise.c,
 * model/psf.c) against its models: the mean and variance each flag gives a flat image,
 * the calibration error fixed by its own seed, the point spread's width and photon total,
 * and no change at all to nanoBragg's noise image when nothing is asked for. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/noise.h"
#include "model/psf.h"

#define SIDE 256
#define NPIX (SIDE * SIDE)

static const int FULL[4] = {0, SIDE - 1, 0, SIDE - 1};

/* the noise image of a flat image of `photons` per pixel with response r and noise seed */
static void noisy_flat(double photons, const nbcl_detector_response *r, long seed, double adc,
                       unsigned short *out)
{
    static float img[NPIX];
    for (int i = 0; i < NPIX; ++i) img[i] = (float)photons;
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long s = -seed;
    cr_assert_eq(nbcl_noise_image_response(img, SIDE, SIDE, FULL, adc, r, 1e-4, NULL, &s, &rng, out,
                                           NULL, NULL), 0);
}

static void mean_var(const unsigned short *v, double *mean, double *var)
{
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < NPIX; ++i) s += v[i];
    *mean = s / NPIX;
    for (int i = 0; i < NPIX; ++i) ss += (v[i] - *mean) * (v[i] - *mean);
    *var = ss / (NPIX - 1);
}

/* |got - want| within k standard errors of the mean (variance var) */
static void expect_mean(double got, double want, double var, const char *what)
{
    double se = sqrt(var / NPIX);
    cr_expect(fabs(got - want) < 5 * se, "%s: mean %g, model %g (5 sigma = %g)", what, got, want, 5 * se);
}

/* sample variance within 5 standard errors (about var * sqrt(2/N) for near-normal counts) */
static void expect_var(double got, double want, const char *what)
{
    double se = want * sqrt(2.0 / NPIX);
    cr_expect(fabs(got - want) < 5 * se, "%s: variance %g, model %g (5 sigma = %g)", what, got, want, 5 * se);
}

Test(detector_response, nothing_asked_gives_nanobraggs_noise_image)
{
    static float img[NPIX];
    for (int i = 0; i < NPIX; ++i) img[i] = (float)(0.01 * (i % 5000));
    static unsigned short a[NPIX], b[NPIX];
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    nbcl_rng ra, rb;
    nbcl_rng_init(&ra);
    nbcl_rng_init(&rb);
    long sa = -7, sb = -7;
    double pa, pb;
    cr_assert_eq(nbcl_noise_image(img, SIDE, SIDE, FULL, 40.0, &sa, &ra, a, &pa, NULL), 0);
    cr_assert_eq(nbcl_noise_image_response(img, SIDE, SIDE, FULL, 40.0, &r, 1e-4, NULL, &sb, &rb, b, &pb, NULL), 0);
    cr_expect_arr_eq(a, b, sizeof a);
    cr_expect_eq(pa, pb);
    cr_expect(nbcl_detector_response_is_none(&r));
}

Test(detector_response, gain_scales_mean_and_variance)
{
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    r.gain = 3.0;
    static unsigned short v[NPIX];
    noisy_flat(200.0, &r, 11, 10.0, v);
    double m, var;
    mean_var(v, &m, &var);
    /* Poisson(200) * 3 + 10: integers, no truncation */
    expect_mean(m, 3.0 * 200.0 + 10.0, 9.0 * 200.0, "gain");
    expect_var(var, 9.0 * 200.0, "gain");
}

Test(detector_response, readout_noise_adds_its_variance)
{
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    r.readout_noise = 6.0;
    static unsigned short v[NPIX];
    noisy_flat(100.0, &r, 12, 100.0, v);
    double m, var;
    mean_var(v, &m, &var);
    /* truncation to an integer takes 1/2 off the mean and adds 1/12 to the variance */
    double want_var = 100.0 + 36.0 + 1.0 / 12.0;
    expect_mean(m, 100.0 + 100.0 - 0.5, want_var, "readout");
    expect_var(var, want_var, "readout");
}

Test(detector_response, calibration_and_flicker_add_relative_variance)
{
    static unsigned short v[NPIX];
    double m, var;
    for (int which = 0; which < 2; ++which) {
        nbcl_detector_response r;
        nbcl_detector_response_init(&r);
        if (which == 0) r.calibration_noise = 0.05;
        else r.flicker_noise = 0.05;
        noisy_flat(1000.0, &r, 13, 0.0, v);
        mean_var(v, &m, &var);
        /* photons * (1 + c g), then Poisson: mean 1000, variance 1000 + (0.05 * 1000)^2 */
        double want_var = 1000.0 + 2500.0;
        expect_mean(m, 1000.0, want_var, which ? "flicker" : "calibration");
        expect_var(var, want_var, which ? "flicker" : "calibration");
    }
}

static double correlation(const unsigned short *a, const unsigned short *b)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < NPIX; ++i) {
        ma += a[i];
        mb += b[i];
    }
    ma /= NPIX;
    mb /= NPIX;
    for (int i = 0; i < NPIX; ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

Test(detector_response, calibration_error_is_fixed_by_its_own_seed)
{
    /* 10% calibration error on 10000 photons (sd 1000) against Poisson's sd 100: two images
     * of a series (other noise seeds) share the error, another calibration seed does not */
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    r.calibration_noise = 0.10;
    static unsigned short a[NPIX], b[NPIX], c[NPIX];
    noisy_flat(10000.0, &r, 101, 0.0, a);
    noisy_flat(10000.0, &r, 102, 0.0, b);
    r.calibration_seed = 987654;
    noisy_flat(10000.0, &r, 101, 0.0, c);
    cr_expect_neq(memcmp(a, b, sizeof a), 0, "the Poisson part must differ between seeds");
    double same = correlation(a, b), other = correlation(a, c);
    /* expected: 1e6 / (1e6 + 1e4) = 0.990 for a shared error, 0 otherwise */
    cr_expect(same > 0.98, "images of one calibration seed correlate %g", same);
    cr_expect(fabs(other) < 0.03, "images of two calibration seeds correlate %g", other);
}

/* the full width at half maximum of row `row` of img (side n), by linear interpolation
 * between the pixels around the half maximum on either side of the peak */
static double row_fwhm(const double *v, int n)
{
    int peak = 0;
    for (int i = 1; i < n; ++i)
        if (v[i] > v[peak]) peak = i;
    double half = v[peak] / 2.0;
    int l = peak, r = peak;
    while (l > 0 && v[l - 1] > half) --l;
    while (r < n - 1 && v[r + 1] > half) ++r;
    double left = (l - 1) + (half - v[l - 1]) / (v[l] - v[l - 1]);
    double right = r + (v[r] - half) / (v[r] - v[r + 1]);
    return right - left;
}

/* a single-pixel spot through the whole noise pipeline: its width on the noise image */
static double spot_fwhm_px(nbcl_psf shape, double fwhm_mm, int radius, float photons)
{
    static float img[NPIX];
    static unsigned short out[NPIX];
    memset(img, 0, sizeof img);
    img[(SIDE / 2) * SIDE + SIDE / 2] = photons;   /* peak below the 16-bit clip */
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    r.psf = shape;
    r.psf_fwhm_mm = fwhm_mm;
    r.psf_radius = radius;
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long s = -5;
    cr_assert_eq(nbcl_noise_image_response(img, SIDE, SIDE, FULL, 0.0, &r, 1e-4, NULL, &s, &rng, out,
                                           NULL, NULL), 0);
    double row[SIDE], col[SIDE];
    for (int i = 0; i < SIDE; ++i) {
        row[i] = out[(SIDE / 2) * SIDE + i];
        col[i] = out[i * SIDE + SIDE / 2];
    }
    return 0.5 * (row_fwhm(row, SIDE) + row_fwhm(col, SIDE));
}

Test(detector_response, psf_fwhm_of_a_single_pixel_spot)
{
    /* 1 mm on 0.1 mm pixels: 10 pixels */
    double g = spot_fwhm_px(NBCL_PSF_GAUSS, 1.0, 0, 4.0e6f);
    double f = spot_fwhm_px(NBCL_PSF_FIBER, 1.0, 40, 4.0e6f);
    cr_expect(fabs(g / 10.0 - 1.0) < 0.02, "Gaussian FWHM %g pixels, asked for 10", g);
    cr_expect(fabs(f / 10.0 - 1.0) < 0.02, "fiber FWHM %g pixels, asked for 10", f);
}

Test(detector_response, narrow_gaussian_psf_width_by_its_second_moment)
{
    /* a narrow spot is too coarsely sampled for the half-maximum reading: its variance,
     * less the 1/12 pixel^2 the pixel box adds, gives sigma = FWHM / 2.3548 */
    static float img[NPIX], out[NPIX];
    memset(img, 0, sizeof img);
    img[(SIDE / 2) * SIDE + SIDE / 2] = 1.0f;
    nbcl_psf_kernel k;
    cr_assert_eq(nbcl_psf_kernel_make(NBCL_PSF_GAUSS, 4.5, 0, &k), 0);
    nbcl_psf_convolve(&k, img, SIDE, SIDE, out);
    nbcl_psf_kernel_free(&k);
    double w = 0.0, m2 = 0.0;
    for (int s = 0; s < SIDE; ++s)
        for (int f = 0; f < SIDE; ++f) {
            double dx = f - SIDE / 2;
            w += out[s * SIDE + f];
            m2 += out[s * SIDE + f] * dx * dx;
        }
    double fwhm = sqrt(m2 / w - 1.0 / 12.0) * 2.0 * sqrt(2.0 * log(2.0));
    cr_expect(fabs(fwhm / 4.5 - 1.0) < 0.02, "Gaussian FWHM %g pixels, asked for 4.5", fwhm);
}

Test(detector_response, psf_keeps_the_photon_total)
{
    /* photons only where the kernel stays on the image: the total must not change */
    static float img[NPIX], out[NPIX];
    memset(img, 0, sizeof img);
    srand(3);
    double before = 0.0, after = 0.0;
    for (int s = 100; s < 156; ++s)
        for (int f = 100; f < 156; ++f) {
            img[s * SIDE + f] = (float)(rand() % 1000);
            before += img[s * SIDE + f];
        }
    for (int shape = NBCL_PSF_GAUSS; shape <= NBCL_PSF_FIBER; ++shape) {
        nbcl_psf_kernel k;
        cr_assert_eq(nbcl_psf_kernel_make((nbcl_psf)shape, 3.0, 0, &k), 0);
        cr_assert(k.radius < 100, "radius %d", k.radius);
        nbcl_psf_convolve(&k, img, SIDE, SIDE, out);
        nbcl_psf_kernel_free(&k);
        after = 0.0;
        for (int i = 0; i < NPIX; ++i) after += out[i];
        cr_expect(fabs(after / before - 1.0) < 1e-6, "shape %d: %.9g photons before, %.9g after",
                  shape, before, after);
    }
}

Test(detector_response, psf_moves_counted_photons_only)
{
    /* the same seed with and without the PSF: the Poisson draws are the same, so the photon
     * totals agree, while the images differ */
    static float img[NPIX];
    static unsigned short a[NPIX], b[NPIX];
    memset(img, 0, sizeof img);
    for (int s = 120; s < 136; ++s)
        for (int f = 120; f < 136; ++f) img[s * SIDE + f] = 50.0f;
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    nbcl_rng ra, rb;
    nbcl_rng_init(&ra);
    nbcl_rng_init(&rb);
    long sa = -9, sb = -9;
    double pa, pb;
    cr_assert_eq(nbcl_noise_image_response(img, SIDE, SIDE, FULL, 0.0, &r, 1e-4, NULL, &sa, &ra, a, &pa, NULL), 0);
    r.psf = NBCL_PSF_FIBER;
    r.psf_fwhm_mm = 0.2;
    r.psf_radius = 20;
    cr_assert_eq(nbcl_noise_image_response(img, SIDE, SIDE, FULL, 0.0, &r, 1e-4, NULL, &sb, &rb, b, &pb, NULL), 0);
    cr_expect(fabs(pb / pa - 1.0) < 1e-6, "photons %.9g without the PSF, %.9g with", pa, pb);
    cr_expect_neq(memcmp(a, b, sizeof a), 0);
}
