/* rotation.c: random rotation matrices (mosaic domains, "-misset random") and their
 * conversion back to misset angles, following nanoBragg.c's arithmetic so the same seed
 * gives the same crystal orientations. */
#include "base/rng.h"

#include <math.h>

void nbcl_mosaic_rotation_umat(nbcl_rng *rng, float mosaicity, double umat[9], long *seed)
{
    /* three uniform deviates on [-1,1]: azimuth, height of the axis, angle fraction */
    double r1 = (double)2.0 * nbcl_ran1(rng, seed) - 1.0;
    double r2 = (double)2.0 * nbcl_ran1(rng, seed) - 1.0;
    double r3 = (double)2.0 * nbcl_ran1(rng, seed) - 1.0;

    /* random axis on the unit sphere; angle weighted for uniform density in the cap
     * (the reference computes the weight in single precision with powf) */
    double xyrad = sqrt(1.0 - r2 * r2);
    double rot = mosaicity * powf((float)(1.0 - r3 * r3), (float)(1.0 / 3.0));
    double v1 = xyrad * sin(M_PI * r1);
    double v2 = xyrad * cos(M_PI * r1);
    double v3 = r2;

    /* Rodrigues rotation about (v1,v2,v3) by rot */
    double c = cos(rot);
    double omc = 1.0 - c;
    double s = sin(rot);
    double omc_v1 = omc * v1;
    double xy = omc_v1 * v2;
    double xz = omc_v1 * v3;
    double yz = omc * v2 * v3;
    double sv1 = s * v1, sv2 = s * v2, sv3 = s * v3;

    umat[0] = c + omc * (v1 * v1);
    umat[1] = xy - sv3;
    umat[2] = xz + sv2;
    umat[3] = xy + sv3;
    umat[4] = c + omc * (v2 * v2);
    umat[5] = yz - sv1;
    umat[6] = xz - sv2;
    umat[7] = yz + sv1;
    umat[8] = c + omc * (v3 * v3);
}

/* Scale a row to unit length if it is not zero; returns its original length. */
static double row_normalize(double r[3])
{
    double m = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (m > 0) {
        r[0] /= m;
        r[1] /= m;
        r[2] /= m;
    }
    return m;
}

/* out = unit(p x q), or the raw (zero) cross product when it has no length. */
static void unit_cross(const double p[3], const double q[3], double out[3])
{
    out[0] = p[1] * q[2] - p[2] * q[1];
    out[1] = p[2] * q[0] - p[0] * q[2];
    out[2] = p[0] * q[1] - p[1] * q[0];
    row_normalize(out);
}

/* Replace rows whose original length was zero with the cross product of the other two. */
static void fill_empty_rows(double x[3], double y[3], double z[3], const double m[3])
{
    double xcy[3], ycz[3], zcx[3];
    unit_cross(x, y, xcy);
    unit_cross(y, z, ycz);
    unit_cross(z, x, zcx);
    for (int i = 0; i < 3; i++) {
        if (m[0] <= 0) x[i] = ycz[i];
        if (m[1] <= 0) y[i] = zcx[i];
        if (m[2] <= 0) z[i] = xcy[i];
    }
}

void nbcl_umat2misset(const double umat[9], double misset[3])
{
    double x[3] = {umat[0], umat[1], umat[2]};
    double y[3] = {umat[3], umat[4], umat[5]};
    double z[3] = {umat[6], umat[7], umat[8]};
    double m[3];
    m[0] = row_normalize(x);
    m[1] = row_normalize(y);
    m[2] = row_normalize(z);

    /* a single surviving row: complete the others with unit axes */
    if (m[0] >= 0 && m[1] <= 0 && m[2] <= 0) {
        y[0] = 0; y[1] = 1; y[2] = 0;
        z[0] = 0; z[1] = 0; z[2] = 1;
    }
    if (m[0] <= 0 && m[1] >= 0 && m[2] <= 0) {
        x[0] = 1; x[1] = 0; x[2] = 0;
        z[0] = 0; z[1] = 0; z[2] = 1;
    }
    if (m[0] <= 0 && m[1] <= 0 && m[2] >= 0) {
        x[0] = 1; x[1] = 0; x[2] = 0;
        y[0] = 0; y[1] = 1; y[2] = 0;
    }
    /* twice, as the reference does, so a row filled from another filled row settles */
    fill_empty_rows(x, y, z, m);
    fill_empty_rows(x, y, z, m);
    row_normalize(x);
    row_normalize(y);
    row_normalize(z);

    double uxx = x[0], uxy = x[1], uyx = y[0], uyy = y[1];
    double uzx = z[0], uzy = z[1], uzz = z[2];
    if (uzx * uzx < 1.0) {
        misset[0] = atan2(uzy, uzz);
        misset[1] = atan2(-uzx, sqrt(uzy * uzy + uzz * uzz));
        misset[2] = atan2(uyx, uxx);
    } else {
        misset[0] = atan2(1, 1) * 4;
        misset[1] = atan2(1, 1) * 2;
        misset[2] = atan2(uxy, -uyy);
    }
}

int nbcl_random_misset(nbcl_rng *rng, long *seed, double misset[3])
{
    double umat[9];
    /* the reference passes 90.0 to an argument read as radians; kept for identical output */
    nbcl_mosaic_rotation_umat(rng, 90.0f, umat, seed);
    nbcl_umat2misset(umat, misset);
    return 0;
}
