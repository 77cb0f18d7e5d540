/* scale_stage.cl: photons per pixel from the lattice stage's sum:
 * r_e^2 * fluence * I / steps, times the polarization, solid angle and capture fraction
 * that were not already applied per sub-pixel. Writes the float output planes of
 * src/engine/abi.h: the image and the per-pixel solid angle summed over sub-pixels (for the
 * "solid angle subtended" report), with -printout also the printout values. */

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
    real photons = photons_per_pixel(stage1[S1_I * stride + i], stage1[S1_POLAR * stride + i],
                                     stage1[S1_OMEGA * stride + i], stage1[S1_CAPTURE * stride + i],
                                     P[KP_R_E_SQR], P[KP_FLUENCE], P[KP_STEPS]);
    out[OUT_IMAGE * npix + i] = (float)photons;
    out[OUT_OMEGA_SUM * npix + i] = (float)stage1[S1_OMEGA_SUM * stride + i];
#ifdef NBCL_PRINTOUT
    /* the -printout values, each as a pair of floats (value, remainder) so that double
     * precision survives the float output planes */
    const int planes[PO_COUNT] = NBCL_PRINTOUT_PLANES;
    for (int j = 0; j < PO_COUNT; ++j) {
        real v = stage1[planes[j] * stride + i];
        float hi = (float)v;
        out[(OUT_BASIC + 2 * j) * npix + i] = hi;
        out[(OUT_BASIC + 2 * j + 1) * npix + i] = (float)(v - (real)hi);
    }
#endif
}
