/* vec3.h: the few 3-vector operations the host setup needs, with the reference's
 * conventions (unitize leaves a zero vector alone and returns the old length). */
#ifndef NBCL_VEC3_H
#define NBCL_VEC3_H

#include <math.h>

static inline double v3_dot(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static inline double v3_norm(const double a[3])
{
    return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

static inline void v3_cross(const double a[3], const double b[3], double out[3])
{
    double t[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    out[0] = t[0]; out[1] = t[1]; out[2] = t[2];
}

static inline void v3_scale(const double a[3], double s, double out[3])
{
    out[0] = s * a[0]; out[1] = s * a[1]; out[2] = s * a[2];
}

static inline void v3_copy(const double a[3], double out[3])
{
    out[0] = a[0]; out[1] = a[1]; out[2] = a[2];
}

/* out = a scaled to length len (a of zero length is treated as length 1) */
static inline void v3_rescale(const double a[3], double len, double out[3])
{
    double m = v3_norm(a);
    if (m <= 0.0) m = 1.0;
    out[0] = len / m * a[0]; out[1] = len / m * a[1]; out[2] = len / m * a[2];
}

static inline double v3_unitize(const double a[3], double out[3])
{
    double m = v3_norm(a);
    if (m != 0.0) {
        out[0] = a[0] / m; out[1] = a[1] / m; out[2] = a[2] / m;
    } else {
        out[0] = out[1] = out[2] = 0.0;
    }
    return m;
}

/* rotations about x, then y, then z (angles in radians; zero angles skipped) */
void nbcl_rotate_xyz(const double v[3], double out[3], double rx, double ry, double rz);
/* rotation by phi about a unit axis (Rodrigues) */
void nbcl_rotate_axis(const double v[3], double out[3], const double axis[3], double phi);
/* out = U v for a row-major 3x3 U */
void nbcl_rotate_umat(const double v[3], double out[3], const double u[9]);

#endif
