/* psf.cl: the detector's point spread on the device, for the noise image of a large
 * detector: each output pixel gathers the sum of the photon image under
 * the point-spread table (model/psf.h: (2 radius + 1)^2 weights summing to 1, zero outside
 * the disc), photons that would land outside the image being lost, exactly as the host's
 * nbcl_psf_convolve. The sum runs in the run's precision; on CPUs a work-item computes
 * NBCL_VW neighbouring pixels of a row with vector loads where they are away from the
 * edges. */

/* the photons pixel (f, s) receives from its neighbourhood: the offsets whose source pixel
 * (f - dx, s - dy) lies on the image, dy then dx ascending */
NBCL_INLINE real spread_photons(__global const float *in, __global const real *w, int radius,
                                int fpixels, int spixels, int f, int s)
{
    int side = 2 * radius + 1;
    int dy0 = max(-radius, s - (spixels - 1)), dy1 = min(radius, s);
    int dx0 = max(-radius, f - (fpixels - 1)), dx1 = min(radius, f);
    real sum = R(0.0);
    for (int dy = dy0; dy <= dy1; ++dy) {
        __global const real *row = w + (dy + radius) * side + radius;
        __global const float *src = in + (size_t)(s - dy) * fpixels + f;
        for (int dx = dx0; dx <= dx1; ++dx)
            sum += row[dx] * (real)src[-dx];
    }
    return sum;
}

#if NBCL_VW > 1
/* the same for NBCL_VW neighbouring pixels of one row, f .. f + NBCL_VW - 1, every one at
 * least radius pixels from the left and right edges: each lane adds the same weights in the
 * same order as spread_photons, so the same bits, from one vector load per weight */
NBCL_INLINE realv spread_photons_v(__global const float *in, __global const real *w, int radius,
                                   int fpixels, int spixels, int f, int s)
{
    int side = 2 * radius + 1;
    int dy0 = max(-radius, s - (spixels - 1)), dy1 = min(radius, s);
    realv sum = (realv)(R(0.0));
    for (int dy = dy0; dy <= dy1; ++dy) {
        __global const real *row = w + (dy + radius) * side + radius;
        __global const float *src = in + (size_t)(s - dy) * fpixels + f;
        for (int dx = -radius; dx <= radius; ++dx)
            sum += row[dx] * convert_realv(NBCL_CAT(vload, NBCL_VW)(0, src - dx));
    }
    return sum;
}
#endif

/* NBCL_VW consecutive pixels a work-item (one on GPUs) */
__kernel void nbcl_psf(__global const float *in, __global const real *w, int radius,
                       int fpixels, int spixels, __global float *out)
{
    int first = get_global_id(0) * NBCL_VW, npix = fpixels * spixels;
    if (first >= npix) return;
    int f = first % fpixels, s = first / fpixels;
#if NBCL_VW > 1
    if (first + NBCL_VW <= npix && f >= radius && f + NBCL_VW - 1 + radius <= fpixels - 1) {
        realv v = spread_photons_v(in, w, radius, fpixels, spixels, f, s);
        real lanes[NBCL_VW];
        vstore_realv(v, 0, lanes);
        for (int j = 0; j < NBCL_VW; ++j) out[first + j] = (float)lanes[j];
        return;
    }
#endif
    for (int j = 0; j < NBCL_VW && first + j < npix; ++j) {
        int i = first + j;
        out[i] = (float)spread_photons(in, w, radius, fpixels, spixels, i % fpixels, i / fpixels);
    }
}
