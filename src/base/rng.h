/* rng.h: the reference's random number generators, reproduced bit for bit so that mosaic
 * domains, random missets and noise images match nanoBragg.c for the same seeds.
 * The reference keeps the generator state in function statics; here it lives in nbcl_rng.
 * The shuffle table is shared by every seed stream, exactly as in the reference: create ONE
 * nbcl_rng per run and pass it to misset, then mosaic, then noise generation in that order.
 * A seed (the long *idum argument) that is <= 0 re-initialises the shared table from it;
 * a positive seed continues with the table left by the previous stream. */
#ifndef NBCL_RNG_H
#define NBCL_RNG_H

#define NBCL_RNG_NTAB 32

typedef struct nbcl_rng {
    long iy;                      /* last shuffled output; 0 = table not yet loaded */
    long iv[NBCL_RNG_NTAB];       /* shuffle table */
    int gauss_has_spare;          /* gaussdev keeps the second Box-Muller deviate */
    float gauss_spare;
    float poi_oldm;               /* poidev caches work for a repeated mean */
    float poi_sq, poi_alxm, poi_g;
} nbcl_rng;

/* Put rng in the state the reference starts a run in (nothing cached). */
void nbcl_rng_init(nbcl_rng *rng);

/* Uniform deviate in (0,1) (Numerical Recipes ran1, Park-Miller with Bays-Durham shuffle). */
float nbcl_ran1(nbcl_rng *rng, long *idum);
/* Unit-variance gaussian deviate (polar Box-Muller; every second call returns the spare). */
float nbcl_gaussdev(nbcl_rng *rng, long *idum);
/* Poisson deviate with mean xm: direct method below 12, rejection method up to 1e6,
 * gaussian approximation xm + sqrt(xm)*gaussdev above. Float arithmetic as the reference. */
float nbcl_poidev(nbcl_rng *rng, float xm, long *idum);
/* ln(Gamma(xx)) for xx > 0 (Lanczos series, as the reference). */
float nbcl_gammln(float xx);
/* Exponential deviate with unit mean. */
float nbcl_expdev(nbcl_rng *rng, long *idum);
/* Lorentzian deviate with FWHM 2. */
float nbcl_lorentzdev(nbcl_rng *rng, long *idum);
/* Triangular deviate with FWHM 1. */
float nbcl_triangledev(nbcl_rng *rng, long *idum);
/* Random unit vector (dx,dy,dz); returns the length it had inside the unit sphere. */
float nbcl_uniform3ddev(nbcl_rng *rng, float *dx, float *dy, float *dz, long *idum);

/* Random rotation matrix (row-major, 9 values) uniform over a spherical cap whose size is
 * mosaicity (radians; the reference passes it as float). Consumes three ran1 deviates. */
void nbcl_mosaic_rotation_umat(nbcl_rng *rng, float mosaicity, double umat[9], long *seed);
/* Rotation matrix -> misset angles (rotx, roty, rotz) in radians, as the reference. */
void nbcl_umat2misset(const double umat[9], double misset[3]);
/* The reference's "-misset random": a rotation over a cap of 90 (passed as radians, like the
 * reference does), converted to misset angles in radians. Returns 0. */
int nbcl_random_misset(nbcl_rng *rng, long *seed, double misset[3]);

#endif
