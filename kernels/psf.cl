/* psf.cl: the detector's point spread on the device, for the noise image of a large
 * detector: each work-item gathers one output pixel as the sum of the photon image under
 * the point-spread table (model/psf.h: (2 radius + 1)^2 weights summing to 1, zero outside
 * the disc), photons that would land outside the image being lost, exactly as the host's
 * nbcl_psf_convolve. The sum runs in the run's precision. */

/* the photons pixel (f, s) receives from its neighbourhood */
NBCL_INLINE real spread_photons(__global const float *in, __global const real *w, int radius,
                                int fpixels, int spixels, int f, int s)
{
    int side = 2 * radius + 1;
    real sum = R(0.0);
    for (int dy = -radius; dy <= radius; ++dy) {
        int sy = s - dy;
        if (sy < 0 || sy >= spixels) continue;
        __global const real *row = w + (dy + radius) * side + radius;
        __global const float *src = in + (size_t)sy * fpixels;
        for (int dx = -radius; dx <= radius; ++dx) {
            int sx = f - dx;
            if (sx < 0 || sx >= fpixels) continue;
            sum += row[dx] * (real)src[sx];
        }
    }
    return sum;
}

__kernel void nbcl_psf(__global const float *in, __global const real *w, int radius,
                       int fpixels, int spixels, __global float *out)
{
    int i = get_global_id(0);
    if (i >= fpixels * spixels) return;
    out[i] = (float)spread_photons(in, w, radius, fpixels, spixels, i % fpixels, i / fpixels);
}
