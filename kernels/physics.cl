/* physics.cl: one small function per formula of the diffraction model.
 * Each follows nanoBragg.c's expression so that double precision agrees with it to float
 * round-off; the single-precision-sensitive ones work on fractional Miller indices. */

/* Fourier transform of a grating of N cells, |sin(N pi h) / sin(pi h)|.
 * Only F_latt^2 is ever used, so the sign is free and h can be replaced by its fractional
 * part f (|f| <= 1/2): that keeps single precision exact near the Bragg peaks.
 * For the usual small crystals (N up to NBCL_SINCG_RECURRENCE_MAX cells) the ratio is the
 * Chebyshev polynomial U_{N-1}(cos pi f), evaluated by its three-term recurrence: one
 * cosine instead of two sines and a division, and no special case at f = 0 (U = N). */
real sincg(real h, real N)
{
    real f = h - rint(h);
    if (N <= NBCL_SINCG_RECURRENCE_MAX) {
        real two_c = R(2.0) * cospi(f);
        real u_prev = R(0.0), u = R(1.0);
        for (int n = 1; n < (int)N; ++n) {
            real u_next = two_c * u - u_prev;
            u_prev = u;
            u = u_next;
        }
        return u;
    }
    return (f == R(0.0)) ? N : sinpi(N * f) / sinpi(f);
}

/* Fourier transform of a sphere */
real sinc3(real x)
{
    return (x == R(0.0)) ? R(1.0) : R(3.0) * (sin(x) / x - cos(x)) / (x * x);
}

/* nearest whole index, as the reference rounds: ceil(h - 0.5) */
real nearest_index(real h)
{
    return ceil(h - R(0.5));
}

/* squared distance from the nearest reciprocal-lattice point, in 1/Angstrom scaled by the
 * crystal size (the spot-shape argument of the round, Gaussian and top-hat crystals) */
real rad_star_sqr(real3 dhkl, real3 a_star, real3 b_star, real3 c_star, real NaNbNc)
{
    real3 d = dhkl.x * a_star + dhkl.y * b_star + dhkl.z * c_star;
    return dot(d, d) * NaNbNc * NaNbNc;
}

/* lattice factor F_latt of the crystal shape chosen at build time (NBCL_SHAPE) */
real lattice_factor(real3 hkl, real3 N, real3 a_star, real3 b_star, real3 c_star, real fudge)
{
#if NBCL_SHAPE == 0
    real F = R(1.0);
    if (N.x > R(1.0)) F *= sincg(hkl.x, N.x);
    if (N.y > R(1.0)) F *= sincg(hkl.y, N.y);
    if (N.z > R(1.0)) F *= sincg(hkl.z, N.z);
    return F;
#else
    real3 h0 = (real3)(nearest_index(hkl.x), nearest_index(hkl.y), nearest_index(hkl.z));
    real3 dh = hkl - h0;
    real NNN = N.x * N.y * N.z;
#if NBCL_SHAPE == 1
    real hrad_sqr = dh.x * dh.x * N.x * N.x + dh.y * dh.y * N.y * N.y + dh.z * dh.z * N.z * N.z;
    return NNN * R(0.723601254558268) * sinc3(NBCL_PI * sqrt(hrad_sqr * fudge));
#elif NBCL_SHAPE == 2
    return NNN * exp(-(rad_star_sqr(dh, a_star, b_star, c_star, NNN) / R(0.63) * fudge));
#else
    return (rad_star_sqr(dh, a_star, b_star, c_star, NNN) * fudge < R(0.3969)) ? NNN : R(0.0);
#endif
#endif
}

/* Kahn polarization factor for one incident and one diffracted unit vector; the E-vector
 * is taken closest to `axis` */
real polarization_factor(real kahn, real3 incident, real3 diffracted, real3 axis)
{
    real cos2theta = dot(incident, diffracted);
    real cos2theta_sqr = cos2theta * cos2theta;
    real sin2theta_sqr = R(1.0) - cos2theta_sqr;
    real psi = R(0.0);
    if (kahn != R(0.0)) {
        real3 B_in = normalize(cross(axis, incident));
        real3 E_in = normalize(cross(incident, B_in));
        psi = -atan2(dot(diffracted, B_in), dot(diffracted, E_in));
    }
    return R(0.5) * (R(1.0) + cos2theta_sqr - kahn * cos(R(2.0) * psi) * sin2theta_sqr);
}

/* solid angle of a pixel seen from the sample: (pixel/airpath)^2 * cos(obliquity), or the
 * inverse-square law alone for a point pixel */
real solid_angle(real pixel_size, real airpath, real close_distance)
{
#ifdef NBCL_POINT_PIXEL
    return R(1.0) / airpath / airpath;
#else
    return pixel_size * pixel_size / airpath / airpath * close_distance / airpath;
#endif
}

/* fraction of the photons reaching layer `layer` of the sensor that it absorbs */
real capture_fraction(int layer, real thickstep, real mu, real3 diffracted, real3 odet)
{
    real parallax = dot(diffracted, odet);
    return exp(-layer * thickstep * mu / parallax) - exp(-(layer + 1) * thickstep * mu / parallax);
}

/* rotation of v by phi about the unit vector axis */
real3 rotate_axis(real3 v, real3 axis, real phi)
{
    real s = sin(phi), c = cos(phi);
    real d = dot(axis, v) * (R(1.0) - c);
    return axis * d + v * c + cross(axis, v) * s;
}

/* position of a sub-pixel (detector coordinates Fdet, Sdet, depth Odet) in the lab */
real3 detector_position(real Fdet, real Sdet, real Odet, real3 fdet, real3 sdet, real3 odet,
                        real3 pix0, real3 beam, real distance)
{
    real3 pos = Fdet * fdet + Sdet * sdet + Odet * odet + pix0;
#ifdef NBCL_CURVED
    /* every pixel at the same distance: detector coordinates taken as angles */
    real3 v = rotate_axis(distance * beam, sdet, pos.y / distance);
    pos = rotate_axis(v, fdet, pos.z / distance);
#endif
    return pos;
}
