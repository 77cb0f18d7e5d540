/* scale_stage.cl: photons per pixel from the lattice stage's sum:
 * r_e^2 * fluence * I / steps, times the polarization, solid angle and capture fraction
 * that were not already applied per sub-pixel. Writes the float output planes of
 * src/engine/abi.h: the image and the per-pixel solid angle summed over sub-pixels (for the
 * "solid angle subtended" report: one float a work-item, their sum), with -printout
 * also the printout values.
 * One work-item scales NBCL_VW neighbouring pixels as vector lanes, like the lattice stage
 * (one pixel a work-item took a quarter of bench_4096's kernel time on a CPU): the
 * stage-1 planes are padded to whole work-items, the output planes are not, so the last
 * work-item of a tile stores only its pixels. Each lane's arithmetic is the scalar one. */

NBCL_INLINE realv photons_per_pixel(realv I, realv polar, realv omega, realv capture, real r_e_sqr,
                                    real fluence, real steps)
{
    realv photons = r_e_sqr * fluence * I / steps;
    /* a factor that is 1 everywhere is neither stored by the lattice stage nor applied
     * (a product by 1 changes no bit) */
#if defined(NBCL_HAVE_THICK) && !defined(NBCL_OS_THICK)
    photons *= capture;
#else
    (void)capture;
#endif
#if !defined(NBCL_NOPOLAR) && !defined(NBCL_OS_POLAR)
    photons *= polar;
#else
    (void)polar;
#endif
#ifndef NBCL_OS_OMEGA
    photons *= omega;
#endif
    return photons;
}

/* a vector of the work-item's pixels into plane p of out (npix floats a plane), the lanes
 * past the tile's last pixel left out */
NBCL_INLINE void store_pixels(realv v, __global float *out, int p, int npix, int first)
{
    floatv f = convert_floatv(v);
    if (first + NBCL_VW <= npix) {
        vstore_floatv(f, 0, out + (size_t)p * npix + first);
        return;
    }
    float lanes[NBCL_VW];
    vstore_floatv(f, 0, lanes);
    for (int j = 0; first + j < npix; ++j) out[(size_t)p * npix + first + j] = lanes[j];
}

/* the summed solid angles of the work-item's pixels as one float: the lanes of the tile's
 * pixels (the others taken as 0) added halves to halves, in wide arithmetic where that is
 * a plain type (double: in a single run float values, whose sum is exact whatever the
 * order), in real otherwise; the host adds the work-items' floats in double. One float a
 * work-item instead of one a pixel (bench_4096: 4 ms of kernel time and the host's pass
 * over the plane); a tree rather than lane after lane, whose chain of 16 dependent double
 * adds was half of bench_4096's scaling stage in perf */
NBCL_INLINE float solid_angle_lanes_sum(realv omega, int npix, int first)
{
    realv in_tile = lane_select((realv)(R(0.0)), omega, convert_maskv(first + LANE_IOTA < npix));
#ifdef NBCL_WIDE_SCALAR
    return (float)lane_sum(convert_widev(in_tile));
#else
    return (float)lane_sum(in_tile);
#endif
}

/* stage1 holds planes of `stride` reals (the lattice stage pads to whole work-items);
 * omega_sum_plane: the one holding the summed solid angles (NBCL_OMEGA_SUM_PLANE) */
__kernel void nbcl_scale(__constant real *P, __global const real *stage1, int npix, int stride,
                         __global float *out, int omega_sum_plane)
{
    int first = get_global_id(0) * NBCL_VW;
    if (first >= npix) return;
    realv one = (realv)(R(1.0));
#if defined(NBCL_HAVE_THICK)
    realv capture = vload_realv(0, stage1 + S1_CAPTURE * stride + first);
#else
    realv capture = one;
#endif
#if !defined(NBCL_NOPOLAR)
    realv polar = vload_realv(0, stage1 + S1_POLAR * stride + first);
#else
    realv polar = one;
#endif
    realv photons = photons_per_pixel(vload_realv(0, stage1 + S1_I * stride + first), polar,
                                      vload_realv(0, stage1 + S1_OMEGA * stride + first), capture,
                                      P[KP_R_E_SQR], P[KP_FLUENCE], P[KP_STEPS]);
    store_pixels(photons, out, OUT_IMAGE, npix, first);
    out[(size_t)OUT_OMEGA_SUM * npix + get_global_id(0)] =
        solid_angle_lanes_sum(vload_realv(0, stage1 + omega_sum_plane * stride + first), npix, first);
#ifdef NBCL_PRINTOUT
    /* the -printout values, each as a pair of floats (value, remainder) so that double
     * precision survives the float output planes */
    const int planes[PO_COUNT] = NBCL_PRINTOUT_PLANES;
    for (int j = 0; j < PO_COUNT; ++j) {
        realv v = vload_realv(0, stage1 + planes[j] * stride + first);
        store_pixels(v, out, OUT_BASIC + 2 * j, npix, first);
        store_pixels(v - convert_realv(convert_floatv(v)), out, OUT_BASIC + 2 * j + 1, npix, first);
    }
#endif
}
