/* lattice_stage.cl: the per-pixel sum of F_cell^2 F_latt^2 over sensor layers, sub-pixels,
 * sources and crystal orientations (phi steps x mosaic domains, rotated once on the host).
 * It also keeps the per-pixel factors the scaling stage applies: polarization, solid angle
 * and capture fraction, cached exactly when the reference caches them (first sub-pixel,
 * first source) unless the matching -oversample_* flag asks for them per sub-pixel.
 *
 * Loop counts and options are compile-time constants (-D NBCL_*), so the inner loop over
 * orientations is straight-line code that the compiler can vectorize across pixels.
 * Output: 5 planes of w*h reals: I, polar, omega, capture, omega summed over sub-pixels;
 * with -printout (NBCL_PRINTOUT) 9 more: the last stol, sub-pixel position, h k l, F_cell
 * and F_latt evaluated, which the reference prints for each pixel. */

#ifdef NBCL_PRINTOUT
#define STAGE1_PLANES 14
#else
#define STAGE1_PLANES 5
#endif

#if defined(NBCL_OS_THICK) || defined(NBCL_OS_POLAR) || defined(NBCL_OS_OMEGA)
#define NBCL_OS_ANY 1
#endif

/* the factors applied per sub-pixel (-oversample_thick, _polar, _omega) */
real subpixel_factors(real capture, real polar, real omega)
{
    real f = R(1.0);
#ifdef NBCL_OS_THICK
    f *= capture;
#endif
#ifdef NBCL_OS_POLAR
    f *= polar;
#endif
#ifdef NBCL_OS_OMEGA
    f *= omega;
#endif
    return f;
}

__kernel void nbcl_lattice(__constant real *P,
                           __global const real4 *sources,    /* incident unit vector, lambda */
                           __global const real *crystal,     /* a,b,c (9 reals) per orientation */
                           __global const real *Fgrid,
                           __constant int *G,                /* hkl grid, roi */
                           __global const uchar *mask,       /* tile mask, 0 = skip */
                           int x0, int y0, int w, int h,
                           __global real *out,
                           __global int *flags)
{
    int gid = get_global_id(0);
    if (gid >= w * h) return;
    int fpixel = x0 + gid % w, spixel = y0 + gid / w;
    int npix = w * h;

    hkl_grid g = {G[0], G[1], G[2], G[3], G[4], G[5], G[6], G[7], G[8]};
    int skip = fpixel < G[10] || fpixel > G[11] || spixel < G[12] || spixel > G[13];
#ifdef NBCL_HAVE_MASK
    skip = skip || mask[gid] == 0;
#endif
    if (skip) {
        for (int p = 0; p < STAGE1_PLANES; ++p) out[p * npix + gid] = R(0.0);
        return;
    }

    const real3 fdet = (real3)(P[KP_FDET_X], P[KP_FDET_Y], P[KP_FDET_Z]);
    const real3 sdet = (real3)(P[KP_SDET_X], P[KP_SDET_Y], P[KP_SDET_Z]);
    const real3 odet = (real3)(P[KP_ODET_X], P[KP_ODET_Y], P[KP_ODET_Z]);
    const real3 pix0 = (real3)(P[KP_PIX0_X], P[KP_PIX0_Y], P[KP_PIX0_Z]);
    const real3 beam = (real3)(P[KP_BEAM_X], P[KP_BEAM_Y], P[KP_BEAM_Z]);
    const real3 polar_axis = (real3)(P[KP_POLAR_X], P[KP_POLAR_Y], P[KP_POLAR_Z]);
    const real3 a_star = (real3)(P[KP_ASTAR_X], P[KP_ASTAR_Y], P[KP_ASTAR_Z]);
    const real3 b_star = (real3)(P[KP_BSTAR_X], P[KP_BSTAR_Y], P[KP_BSTAR_Z]);
    const real3 c_star = (real3)(P[KP_CSTAR_X], P[KP_CSTAR_Y], P[KP_CSTAR_Z]);
    const real3 N = (real3)(P[KP_NA], P[KP_NB], P[KP_NC]);
    const real subpixel = P[KP_SUBPIXEL], pixel = P[KP_PIXEL];
    const real distance = P[KP_DISTANCE], close_distance = P[KP_CLOSE_DISTANCE];
    const real thickstep = P[KP_THICKSTEP], mu = P[KP_MU];
    const real kahn = P[KP_KAHN], default_F = P[KP_DEFAULT_F], fudge = P[KP_FUDGE];
    const real dmin = P[KP_DMIN];

    real I = P[KP_I_BG];
#ifdef NBCL_NOPOLAR
    real polar = R(1.0);
#else
    real polar = R(0.0);
#endif
    real omega = R(0.0), omega_sum = R(0.0), capture = R(0.0);
    int out_of_range = 0;
#ifdef NBCL_PRINTOUT
    real last_stol = R(0.0), last_F_cell = R(0.0), last_F_latt = R(0.0);
    real3 last_pos = (real3)(R(0.0)), last_hkl = (real3)(R(0.0));
#endif

    for (int layer = 0; layer < NBCL_THICKSTEPS; ++layer) {
        real Odet = layer * thickstep;
#ifdef NBCL_HAVE_THICK
        capture = R(0.0);
#else
        capture = R(1.0);
#endif
        for (int subS = 0; subS < NBCL_OVERSAMPLE; ++subS) {
            for (int subF = 0; subF < NBCL_OVERSAMPLE; ++subF) {
                real Fdet = subpixel * (fpixel * NBCL_OVERSAMPLE + subF) + subpixel / R(2.0);
                real Sdet = subpixel * (spixel * NBCL_OVERSAMPLE + subS) + subpixel / R(2.0);
                real3 pos = detector_position(Fdet, Sdet, Odet, fdet, sdet, odet, pix0, beam, distance);
                real airpath = length(pos);
                real3 diffracted = pos / airpath;
#ifdef NBCL_PRINTOUT
                last_pos = pos;
#endif
#ifndef NBCL_OS_OMEGA
                if (omega == R(0.0))
#endif
                    omega = solid_angle(pixel, airpath, close_distance);
                omega_sum += omega;
#ifdef NBCL_HAVE_THICK
#ifndef NBCL_OS_THICK
                if (capture == R(0.0))
#endif
                    capture = capture_fraction(layer, thickstep, mu, diffracted, odet);
#endif
                for (int src = 0; src < NBCL_NSOURCES; ++src) {
                    real4 s = sources[src];
                    real3 incident = s.xyz;
                    real3 S = (diffracted - incident) / s.w;
#ifdef NBCL_PRINTOUT
                    last_stol = R(0.5) * length(S);
#endif
#ifdef NBCL_HAVE_DMIN
                    real stol = R(0.5) * length(S);
                    if (stol > R(0.0) && dmin > R(0.5) / stol) continue;
#endif
#ifndef NBCL_NOPOLAR
#ifndef NBCL_OS_POLAR
                    if (polar == R(0.0))
#endif
                        polar = polarization_factor(kahn, incident, diffracted, polar_axis);
#endif
                    for (int o = 0; o < NBCL_NCRYSTAL; ++o) {
                        __global const real *abc = crystal + 9 * o;
                        real3 hkl = (real3)(abc[0] * S.x + abc[1] * S.y + abc[2] * S.z,
                                            abc[3] * S.x + abc[4] * S.y + abc[5] * S.z,
                                            abc[6] * S.x + abc[7] * S.y + abc[8] * S.z);
                        real F_latt = lattice_factor(hkl, N, a_star, b_star, c_star, fudge);
                        real F_cell = structure_factor(Fgrid, &g, hkl, default_F, &out_of_range);
                        real term = F_cell * F_cell * F_latt * F_latt;
#ifdef NBCL_PRINTOUT
                        last_hkl = hkl;
                        last_F_cell = F_cell;
                        last_F_latt = F_latt;
#endif
#ifdef NBCL_OS_ANY
                        /* the reference multiplies the running sum by the per-sub-pixel
                         * factors after every term, and skips a zero lattice factor
                         * (unless there is water) without multiplying */
                        real I_next = (I + term) * subpixel_factors(capture, polar, omega);
#ifdef NBCL_HAVE_WATER
                        I = I_next;
#else
                        I = (F_latt == R(0.0)) ? I : I_next;
#endif
#else
                        I += term;
#endif
                    }
                }
            }
        }
    }
    out[0 * npix + gid] = I;
    out[1 * npix + gid] = polar;
    out[2 * npix + gid] = omega;
    out[3 * npix + gid] = capture;
    out[4 * npix + gid] = omega_sum;
#ifdef NBCL_PRINTOUT
    real diag[9] = {last_stol, last_pos.x, last_pos.y, last_pos.z, last_hkl.x, last_hkl.y,
                    last_hkl.z, last_F_cell, last_F_latt};
    for (int p = 0; p < 9; ++p) out[(5 + p) * npix + gid] = diag[p];
#endif
    if (out_of_range) flags[0] = 1;
}
