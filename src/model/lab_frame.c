/* lab_frame.c: nanoBragg's geometry in DIALS's and NeXus's frames (see lab_frame.h). */
#include <math.h>
#include "base/vec3.h"
#include "model/lab_frame.h"

void nbcl_to_dials(const double R[9], const double v[3], double out[3])
{
    nbcl_rotate_umat(v, out, R);
}

void nbcl_dials_rotation(const nbcl_sim *s, double R[9])
{
    double z[3], x[3], y[3], b[3];
    v3_unitize(s->beam, b);
    v3_scale(b, -1.0, z);                       /* DIALS's +z points back to the source */
    double along = v3_dot(s->spindle, b);
    double across[3] = {s->spindle[0] - along * b[0], s->spindle[1] - along * b[1],
                        s->spindle[2] - along * b[2]};
    if (v3_unitize(across, x) < 1e-12) {        /* spindle along the beam: use the polarization axis */
        along = v3_dot(s->polar_vector, b);
        double p[3] = {s->polar_vector[0] - along * b[0], s->polar_vector[1] - along * b[1],
                       s->polar_vector[2] - along * b[2]};
        v3_unitize(p, x);
    }
    v3_cross(z, x, y);
    for (int k = 0; k < 3; ++k) {
        R[k] = x[k];
        R[3 + k] = y[k];
        R[6 + k] = z[k];
    }
}

void nbcl_dials_detector(const nbcl_sim *s, nbcl_lab_detector *d)
{
    double R[9], pix0_mm[3];
    nbcl_dials_rotation(s, R);
    nbcl_to_dials(R, s->fdet, d->fast);
    nbcl_to_dials(R, s->sdet, d->slow);
    v3_scale(s->pix0, 1000.0, pix0_mm);
    nbcl_to_dials(R, pix0_mm, d->origin_mm);
    nbcl_to_dials(R, s->spindle, d->axis);
    v3_unitize(d->axis, d->axis);
}

void nbcl_mcstas_detector(const nbcl_sim *s, nbcl_lab_detector *d)
{
    nbcl_dials_detector(s, d);
    double *v[4] = {d->fast, d->slow, d->origin_mm, d->axis};
    for (int i = 0; i < 4; ++i) {   /* 180 degrees about y */
        v[i][0] = -v[i][0];
        v[i][2] = -v[i][2];
    }
}
