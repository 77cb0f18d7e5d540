/* psf.c: point-spread tables and their host convolution (see psf.h). */
#include "model/psf.h"

#include <math.h>
#include <stdlib.h>

/* the share of a Gaussian of this FWHM between a and b along one axis (pixels) */
static double gauss_share_1d(double a, double b, double fwhm_px)
{
    double k = 2.0 * sqrt(log(2.0)) / fwhm_px;   /* 1 / (sigma sqrt 2) */
    return 0.5 * (erf(b * k) - erf(a * k));
}

/* the fibre profile's share of the quadrant [0,x] x [0,y] (signed), g in pixels */
static double fiber_quadrant(double x, double y, double g)
{
    return atan(x * y / (g * sqrt(g * g + x * x + y * y))) / (2.0 * M_PI);
}

double nbcl_psf_pixel_weight(nbcl_psf shape, double fwhm_px, int dx, int dy)
{
    double x0 = dx - 0.5, x1 = dx + 0.5, y0 = dy - 0.5, y1 = dy + 0.5;
    if (shape == NBCL_PSF_GAUSS)
        return gauss_share_1d(x0, x1, fwhm_px) * gauss_share_1d(y0, y1, fwhm_px);
    if (shape == NBCL_PSF_FIBER) {
        double g = 0.652383013252053 * fwhm_px;
        return fiber_quadrant(x1, y1, g) - fiber_quadrant(x1, y0, g) -
               fiber_quadrant(x0, y1, g) + fiber_quadrant(x0, y0, g);
    }
    return dx == 0 && dy == 0 ? 1.0 : 0.0;
}

int nbcl_psf_auto_radius(nbcl_psf shape, double fwhm_px)
{
    double r = 0.0;
    /* Gaussian: exp(-ln16 r^2 / fwhm^2) = 1e-8 */
    if (shape == NBCL_PSF_GAUSS) r = fwhm_px * sqrt(log(1e8) / log(16.0));
    /* fibre: the share outside r is g / sqrt(g^2 + r^2) = 0.05 */
    if (shape == NBCL_PSF_FIBER) r = 0.652383013252053 * fwhm_px * sqrt(1.0 / 0.0025 - 1.0);
    int radius = 1 + (int)ceil(r);
    return radius > NBCL_PSF_MAX_RADIUS ? NBCL_PSF_MAX_RADIUS : radius;
}

int nbcl_psf_kernel_make(nbcl_psf shape, double fwhm_px, int radius, nbcl_psf_kernel *k)
{
    k->radius = 0;
    k->w = NULL;
    if (!(fwhm_px > 0.0) || !isfinite(fwhm_px) || radius < 0 || radius > NBCL_PSF_MAX_RADIUS)
        return -1;
    if (radius == 0) radius = nbcl_psf_auto_radius(shape, fwhm_px);
    int side = 2 * radius + 1;
    double *w = calloc((size_t)side * side, sizeof *w);
    if (!w) return -1;
    double total = 0.0;
    for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx) {
            if (dx * dx + dy * dy > radius * radius) continue;   /* a disc, as noisify */
            double v = nbcl_psf_pixel_weight(shape, fwhm_px, dx, dy);
            w[(dy + radius) * side + dx + radius] = v;
            total += v;
        }
    /* the photons beyond the radius are put back in proportion, so none is lost */
    for (int i = 0; i < side * side; ++i) w[i] /= total;
    k->radius = radius;
    k->w = w;
    return 0;
}

void nbcl_psf_kernel_free(nbcl_psf_kernel *k)
{
    free(k->w);
    k->w = NULL;
    k->radius = 0;
}

void nbcl_psf_convolve(const nbcl_psf_kernel *k, const float *in, int fpixels, int spixels,
                       float *out)
{
    int r = k->radius, side = 2 * r + 1;
    for (int s = 0; s < spixels; ++s)
        for (int f = 0; f < fpixels; ++f) {
            double sum = 0.0;
            for (int dy = -r; dy <= r; ++dy) {
                int sy = s - dy;
                if (sy < 0 || sy >= spixels) continue;
                const double *row = k->w + (size_t)(dy + r) * side + r;
                const float *src = in + (size_t)sy * fpixels;
                for (int dx = -r; dx <= r; ++dx) {
                    int sx = f - dx;
                    if (sx < 0 || sx >= fpixels) continue;
                    sum += row[dx] * src[sx];
                }
            }
            out[(size_t)s * fpixels + f] = (float)sum;
        }
}
