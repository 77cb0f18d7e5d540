/* scale_stage.cl: photons per pixel from the lattice stage's sum:
 * r_e^2 * fluence * I / steps, times the polarization, solid angle and capture fraction
 * that were not already applied per sub-pixel. Writes 2 float planes: the image and the
 * per-pixel solid angle summed over sub-pixels (for the "solid angle subtended" report). */

real photons_per_pixel(real I, real polar, real omega, real capture, real r_e_sqr,
                       real fluence, real steps)
{
    real photons = r_e_sqr * fluence * I / steps;
#ifndef NBCL_OS_THICK
    photons *= capture;
#endif
#ifndef NBCL_OS_POLAR
    photons *= polar;
#endif
#ifndef NBCL_OS_OMEGA
    photons *= omega;
#endif
    return photons;
}

/* stage1 holds planes of `stride` reals (the lattice stage pads to its vector width) */
__kernel void nbcl_scale(__constant real *P, __global const real *stage1, int npix, int stride,
                         __global float *out)
{
    int i = get_global_id(0);
    if (i >= npix) return;
    real photons = photons_per_pixel(stage1[i], stage1[stride + i], stage1[2 * stride + i],
                                     stage1[3 * stride + i], P[KP_R_E_SQR], P[KP_FLUENCE],
                                     P[KP_STEPS]);
    out[i] = (float)photons;
    out[npix + i] = (float)stage1[4 * stride + i];
#ifdef NBCL_PRINTOUT
    /* the -printout values, each as a pair of floats (value, remainder) so that double
     * precision survives the float output planes */
    const int planes[13] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    for (int j = 0; j < 13; ++j) {
        real v = stage1[planes[j] * stride + i];
        float hi = (float)v;
        out[(2 + 2 * j) * npix + i] = hi;
        out[(3 + 2 * j) * npix + i] = (float)(v - (real)hi);
    }
#endif
}
