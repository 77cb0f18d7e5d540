/* test_psf_device.c: the engine runs the noise image's point spread on its device
 * (kernels/psf.cl); it must give the host's convolution (model/psf.c) up to float rounding,
 * on a detector large enough to need it, in both precisions. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/handle.h"
#include "model/noise.h"
#include "nbcl/nbcl.h"

static void compare(const char *precision, nbcl_psf shape)
{
    const char *argv[] = {"-cell", "100", "100", "100", "90", "90", "90", "-default_F", "100",
                          "-N", "5", "-detpixels", "512", "-distance", "60", "-oversample", "1",
                          "-precision", precision, "-nopgm", "-noprogress"};
    nbcl_experiment *exp = NULL;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    nbcl_experiment_set_log(exp, NULL, NULL);
    cr_assert_eq(nbcl_experiment_parse_args(exp, (int)(sizeof argv / sizeof argv[0]), argv), NBCL_OK,
                 "%s", nbcl_last_error());
    nbcl_detector_response r;
    nbcl_detector_response_init(&r);
    r.psf = shape;
    r.psf_fwhm_mm = 0.35;
    r.psf_radius = shape == NBCL_PSF_FIBER ? 12 : 0;
    cr_assert_eq(nbcl_experiment_set_detector_response(exp, &r), NBCL_OK);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    size_t n = 512 * 512;
    float *img = malloc(n * sizeof *img);
    uint16_t *dev = malloc(n * sizeof *dev), *host = malloc(n * sizeof *host);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_OK, "%s", nbcl_last_error());
    double pd = 0, ph = 0;
    cr_assert_eq(nbcl_engine_noise(eng, img, 17, 40.0, dev, &pd, NULL), NBCL_OK, "%s", nbcl_last_error());
    /* the same noise image with the host's convolution */
    nbcl_rng rng = eng->rng;
    long idum = -17;
    int roi[4] = {eng->sim.roi_xmin, eng->sim.roi_xmax, eng->sim.roi_ymin, eng->sim.roi_ymax};
    cr_assert_eq(nbcl_noise_image_response(img, 512, 512, roi, 40.0, &eng->sim.response,
                                           eng->sim.pixel_size, NULL, &idum, &rng, host, &ph, NULL), 0);
    size_t differ = 0;
    int worst = 0;
    for (size_t i = 0; i < n; ++i)
        if (dev[i] != host[i]) {
            differ++;
            int d = abs((int)dev[i] - (int)host[i]);
            if (d > worst) worst = d;
        }
    /* a count may only differ where the float sums straddle a whole number */
    cr_expect(worst <= 1, "%s: counts differ by up to %d", precision, worst);
    cr_expect(differ < n / 1000, "%s: %zu of %zu pixels differ", precision, differ, n);
    cr_expect(fabs(pd / ph - 1.0) < 1e-6, "%s: photons %.9g on the device, %.9g on the host", precision, pd, ph);
    free(img);
    free(dev);
    free(host);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

Test(psf_device, gaussian_double_matches_host) { compare("double", NBCL_PSF_GAUSS); }
Test(psf_device, fiber_single_matches_host) { compare("single", NBCL_PSF_FIBER); }

/* the device kernel itself against the host's sum, pixel by pixel, on a random image 301
 * pixels wide, so that a work-item's NBCL_VW pixels (4 in double, 8 in single on a CPU)
 * run into both edges and across rows as well as through the interior's vector path */
static void kernel_against_host(const char *precision)
{
    enum { F = 301, S = 200 };
    const char *argv[] = {"-cell", "100", "100", "100", "90", "90", "90", "-default_F", "100",
                          "-N", "5", "-detpixels_f", "301", "-detpixels_s", "200", "-precision",
                          precision, "-nopgm", "-noprogress"};
    nbcl_experiment *exp = NULL;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    nbcl_experiment_set_log(exp, NULL, NULL);
    cr_assert_eq(nbcl_experiment_parse_args(exp, (int)(sizeof argv / sizeof argv[0]), argv), NBCL_OK,
                 "%s", nbcl_last_error());
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    size_t n = (size_t)F * S;
    float *in = malloc(n * sizeof *in), *dev = malloc(n * sizeof *dev), *host = malloc(n * sizeof *host);
    srand(5);
    for (size_t i = 0; i < n; ++i) in[i] = (float)(rand() % 100);
    nbcl_psf_kernel k;
    cr_assert_eq(nbcl_psf_kernel_make(NBCL_PSF_FIBER, 2.5, 7, &k), 0);
    nbcl_err err = {0};
    cr_assert_eq(nbcl_core_psf(eng->core, &k, in, F, S, dev, &err), 0, "%s", err.msg);
    nbcl_psf_convolve(&k, in, F, S, host);
    nbcl_psf_kernel_free(&k);
    double worst = 0.0, before = 0.0, after = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double d = fabs((double)dev[i] - host[i]) / (host[i] > 1.0f ? host[i] : 1.0f);
        if (d > worst) worst = d;
        before += host[i];
        after += dev[i];
    }
    cr_expect(worst < 1e-6, "%s: device and host differ by %g (relative)", precision, worst);
    cr_expect(fabs(after / before - 1.0) < 1e-7, "%s: photons %.9g on the device, %.9g on the host",
              precision, after, before);
    free(in);
    free(dev);
    free(host);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

Test(psf_device, kernel_equals_host_sum) { kernel_against_host("double"); }
Test(psf_device, kernel_equals_host_sum_single) { kernel_against_host("single"); }
