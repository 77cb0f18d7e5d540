/* rng.c: random deviates that reproduce nanoBragg.c's sequences exactly.
 * Every intermediate keeps the precision (float or double) the reference uses, because the
 * noise image and the mosaic/misset rotations are compared bit for bit with its output. */
#include "base/rng.h"

#include <math.h>
#include <string.h>

/* Park-Miller minimal standard constants with Schrage's factorisation. */
#define RNG_IA 16807L
#define RNG_IM 2147483647L
#define RNG_AM (1.0 / RNG_IM)
#define RNG_IQ 127773L
#define RNG_IR 2836L
#define RNG_NDIV (1 + (RNG_IM - 1) / NBCL_RNG_NTAB)
#define RNG_EPS 1.2e-7
#define RNG_RNMX (1.0 - RNG_EPS)

void nbcl_rng_init(nbcl_rng *rng)
{
    memset(rng, 0, sizeof *rng);
    rng->poi_oldm = -1.0f;
}

/* One Park-Miller step: idum = IA*idum mod IM without overflow. */
static void rng_lcg_step(long *idum)
{
    long k = *idum / RNG_IQ;
    *idum = RNG_IA * (*idum - k * RNG_IQ) - RNG_IR * k;
    if (*idum < 0) *idum += RNG_IM;
}

/* Seed the shuffle table from -*idum (a zero seed becomes 1), after 8 warm-up steps. */
static void rng_load_table(nbcl_rng *rng, long *idum)
{
    if (-(*idum) < 1) *idum = 1;
    else *idum = -(*idum);
    for (int j = NBCL_RNG_NTAB + 7; j >= 0; j--) {
        rng_lcg_step(idum);
        if (j < NBCL_RNG_NTAB) rng->iv[j] = *idum;
    }
    rng->iy = rng->iv[0];
}

float nbcl_ran1(nbcl_rng *rng, long *idum)
{
    if (*idum <= 0 || !rng->iy) rng_load_table(rng, idum);
    rng_lcg_step(idum);
    int j = (int)(rng->iy / RNG_NDIV);
    rng->iy = rng->iv[j];
    rng->iv[j] = *idum;
    float temp = (float)(RNG_AM * rng->iy);
    if (temp > RNG_RNMX) return (float)RNG_RNMX;
    return temp;
}

float nbcl_gaussdev(nbcl_rng *rng, long *idum)
{
    if (rng->gauss_has_spare) {
        rng->gauss_has_spare = 0;
        return rng->gauss_spare;
    }
    float v1, v2, rsq;
    do {
        v1 = (float)(2.0 * nbcl_ran1(rng, idum) - 1.0);
        v2 = (float)(2.0 * nbcl_ran1(rng, idum) - 1.0);
        rsq = v1 * v1 + v2 * v2;
    } while (rsq >= 1.0 || rsq == 0);
    float fac = (float)sqrt(-2.0 * log(rsq) / rsq);
    rng->gauss_spare = v1 * fac;
    rng->gauss_has_spare = 1;
    return v2 * fac;
}

float nbcl_gammln(float xx)
{
    static const double cof[6] = {76.18009172947146, -86.50532032941677, 24.01409824083091,
                                  -1.231739572450155, 0.1208650973866179e-2,
                                  -0.5395239384953e-5};
    double x = xx, y = xx;
    double tmp = x + 5.5;
    tmp -= (x + 0.5) * log(tmp);
    double ser = 1.000000000190015;
    for (int j = 0; j <= 5; ++j) ser += cof[j] / ++y;
    return (float)(-tmp + log(2.5066282746310005 * ser / x));
}

/* Poisson deviate for small means: count uniform deviates until their product drops
 * below exp(-xm). */
static float poidev_direct(nbcl_rng *rng, float xm, long *idum)
{
    if (xm != rng->poi_oldm) {
        rng->poi_oldm = xm;
        rng->poi_g = (float)exp(-xm);
    }
    float em = -1;
    float t = 1.0f;
    do {
        ++em;
        t *= nbcl_ran1(rng, idum);
    } while (t > rng->poi_g);
    return em;
}

/* Poisson deviate for larger means: rejection against a Lorentzian comparison function. */
static float poidev_rejection(nbcl_rng *rng, float xm, long *idum)
{
    if (xm != rng->poi_oldm) {
        rng->poi_oldm = xm;
        rng->poi_sq = (float)sqrt(2.0 * xm);
        rng->poi_alxm = (float)log(xm);
        rng->poi_g = xm * rng->poi_alxm - nbcl_gammln((float)(xm + 1.0));
    }
    float em, t, y;
    do {
        do {
            y = (float)tan(M_PI * nbcl_ran1(rng, idum));
            em = rng->poi_sq * y + xm;
        } while (em < 0.0);
        em = (float)floor(em);
        float expo = em * rng->poi_alxm - nbcl_gammln((float)(em + 1.0)) - rng->poi_g;
        t = (float)(0.9 * (1.0 + y * y) * exp(expo));
    } while (nbcl_ran1(rng, idum) > t);
    return em;
}

float nbcl_poidev(nbcl_rng *rng, float xm, long *idum)
{
    if (xm > 1.0e6) return (float)(xm + sqrt(xm) * nbcl_gaussdev(rng, idum));
    if (xm < 12.0) return poidev_direct(rng, xm, idum);
    return poidev_rejection(rng, xm, idum);
}

float nbcl_expdev(nbcl_rng *rng, long *idum)
{
    float dum;
    do dum = nbcl_ran1(rng, idum);
    while (dum == 0.0);
    return (float)-log(dum);
}

float nbcl_lorentzdev(nbcl_rng *rng, long *idum)
{
    return (float)tan(M_PI * (nbcl_ran1(rng, idum) - 0.5));
}

float nbcl_triangledev(nbcl_rng *rng, long *idum)
{
    float value = nbcl_ran1(rng, idum);
    if (value > 0.5) value = (float)(sqrt(2 * (value - 0.5)) - 1);
    else value = (float)(1 - sqrt(2 * value));
    return value;
}

float nbcl_uniform3ddev(nbcl_rng *rng, float *dx, float *dy, float *dz, long *idum)
{
    float dr = 0;
    while (dr > 1 || dr < 1e-2) {
        *dx = (float)(2.1 * (nbcl_ran1(rng, idum) - 0.5));
        *dy = (float)(2.1 * (nbcl_ran1(rng, idum) - 0.5));
        *dz = (float)(2.1 * (nbcl_ran1(rng, idum) - 0.5));
        dr = (float)sqrt(*dx * *dx + *dy * *dy + *dz * *dz);
    }
    *dx /= dr;
    *dy /= dr;
    *dz /= dr;
    return dr;
}
