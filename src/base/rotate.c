/* rotation.c: rotating vectors the way the reference does, operation for operation, so
 * that detector axes and crystal vectors agree with nanoBragg.c to the last bit. */
#include "base/vec3.h"

void nbcl_rotate_xyz(const double v[3], double out[3], double rx, double ry, double rz)
{
    double x = v[0], y = v[1], z = v[2], nx, ny, nz;
    if (rx != 0) {
        double c = cos(rx), s = sin(rx);
        ny = y * c + z * (-s);
        nz = y * s + z * c;
        y = ny; z = nz;
    }
    if (ry != 0) {
        double c = cos(ry), s = sin(ry);
        nx = x * c + y * 0 + z * s;
        nz = x * (-s) + y * 0 + z * c;
        x = nx; z = nz;
    }
    if (rz != 0) {
        double c = cos(rz), s = sin(rz);
        nx = x * c + y * (-s);
        ny = x * s + y * c;
        x = nx; y = ny;
    }
    out[0] = x; out[1] = y; out[2] = z;
}

void nbcl_rotate_axis(const double v[3], double out[3], const double axis[3], double phi)
{
    double s = sin(phi), c = cos(phi);
    double dot = (axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2]) * (1.0 - c);
    double t0 = axis[0] * dot + v[0] * c + (-axis[2] * v[1] + axis[1] * v[2]) * s;
    double t1 = axis[1] * dot + v[1] * c + (+axis[2] * v[0] - axis[0] * v[2]) * s;
    double t2 = axis[2] * dot + v[2] * c + (-axis[1] * v[0] + axis[0] * v[1]) * s;
    out[0] = t0; out[1] = t1; out[2] = t2;
}

void nbcl_rotate_umat(const double v[3], double out[3], const double u[9])
{
    double t0 = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    double t1 = u[3] * v[0] + u[4] * v[1] + u[5] * v[2];
    double t2 = u[6] * v[0] + u[7] * v[1] + u[8] * v[2];
    out[0] = t0; out[1] = t1; out[2] = t2;
}
