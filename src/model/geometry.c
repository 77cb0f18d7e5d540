/* geometry.c: the detector in the lab frame.
 * Applies the beam-centre conventions (MOSFLM, XDS, DIALS, ADXV, DENZO, CUSTOM), the
 * detector rotations and two-theta swing, the pivot rule, and derives pix0, the near point,
 * ORGX/ORGY and the DIALS origin exactly as nanoBragg.c does, so both logs agree. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "model/geometry.h"
#include "base/vec3.h"

static void set3(double v[3], double x, double y, double z)
{
    v[0] = x; v[1] = y; v[2] = z;
}

/* the fixed axes of each named convention */
static void convention_axes(nbcl_sim *s)
{
    switch (s->convention) {
    case NBCL_ADXV:
        set3(s->beam, 0, 0, 1); set3(s->fdet, 1, 0, 0); set3(s->sdet, 0, -1, 0);
        set3(s->odet, 0, 0, 1); set3(s->twotheta_axis, -1, 0, 0);
        set3(s->polar_vector, 1, 0, 0); set3(s->spindle, 1, 0, 0);
        break;
    case NBCL_MOSFLM:
    case NBCL_DENZO:
        set3(s->beam, 1, 0, 0); set3(s->odet, 1, 0, 0); set3(s->fdet, 0, 0, 1);
        set3(s->sdet, 0, -1, 0); set3(s->twotheta_axis, 0, 0, -1);
        set3(s->polar_vector, 0, 0, 1); set3(s->spindle, 0, 0, 1);
        break;
    case NBCL_XDS:
        set3(s->beam, 0, 0, 1); set3(s->fdet, 1, 0, 0); set3(s->sdet, 0, 1, 0);
        set3(s->odet, 0, 0, 1); set3(s->twotheta_axis, 1, 0, 0);
        set3(s->polar_vector, 1, 0, 0); set3(s->spindle, 1, 0, 0);
        break;
    case NBCL_DIALS:
        set3(s->beam, 0, 0, 1); set3(s->fdet, 1, 0, 0); set3(s->sdet, 0, 1, 0);
        set3(s->odet, 0, 0, 1); set3(s->twotheta_axis, 0, 1, 0);
        set3(s->polar_vector, 0, 1, 0); set3(s->spindle, 0, 1, 0);
        break;
    case NBCL_CUSTOM:
        break;
    }
}

/* Beam centres in the convention's own terms, then Fbeam/Sbeam on the detector axes. */
static void convention_centres(nbcl_sim *s, double Fclose, double Sclose)
{
    double px = s->pixel_size;
    switch (s->convention) {
    case NBCL_ADXV:
        if (isnan(s->Xbeam)) s->Xbeam = (s->detsize_f + px) / 2.0;
        if (isnan(s->Ybeam)) s->Ybeam = (s->detsize_s - px) / 2.0;
        s->Fbeam = s->Xbeam;
        s->Sbeam = s->detsize_s - s->Ybeam;
        s->pivot = NBCL_PIVOT_BEAM;
        break;
    case NBCL_MOSFLM:
        if (isnan(s->Xbeam)) s->Xbeam = (s->detsize_s + px) / 2.0;
        if (isnan(s->Ybeam)) s->Ybeam = (s->detsize_f + px) / 2.0;
        s->Fbeam = s->Ybeam + 0.5 * px;
        s->Sbeam = s->Xbeam + 0.5 * px;
        s->pivot = NBCL_PIVOT_BEAM;
        break;
    case NBCL_DENZO:
        if (isnan(s->Xbeam)) s->Xbeam = (s->detsize_s + px) / 2.0;
        if (isnan(s->Ybeam)) s->Ybeam = (s->detsize_f + px) / 2.0;
        s->Fbeam = s->Ybeam + 0.0 * px;
        s->Sbeam = s->Xbeam + 0.0 * px;
        s->pivot = NBCL_PIVOT_BEAM;
        break;
    case NBCL_XDS:
    case NBCL_DIALS:
        if (isnan(s->Xbeam)) s->Xbeam = s->Xclose;
        if (isnan(s->Ybeam)) s->Ybeam = s->Yclose;
        s->Fbeam = s->Xbeam;
        s->Sbeam = s->Ybeam;
        s->pivot = NBCL_PIVOT_SAMPLE;
        break;
    case NBCL_CUSTOM:
        if (isnan(s->Xbeam)) s->Xbeam = s->Xclose;
        if (isnan(s->Ybeam)) s->Ybeam = s->Yclose;
        s->Fbeam = s->Xbeam;
        s->Sbeam = s->Ybeam;
        s->Fclose = s->Xbeam;
        s->Sclose = s->Ybeam;
        return;
    }
    s->Fclose = Fclose;
    s->Sclose = Sclose;
}

void nbcl_geometry_derive(nbcl_sim *s, double ratio)
{
    double v[3];
    /* the near point and where the direct beam lands now */
    s->Fclose = -v3_dot(s->pix0, s->fdet);
    s->Sclose = -v3_dot(s->pix0, s->sdet);
    s->close_distance = v3_dot(s->pix0, s->odet);
    for (int k = 0; k < 3; ++k) v[k] = s->close_distance / ratio * s->beam[k] - s->pix0[k];
    s->Fbeam = v3_dot(s->fdet, v);
    s->Sbeam = v3_dot(s->sdet, v);
    s->distance = s->close_distance / ratio;
    s->ORGX = s->Fclose / s->pixel_size + 0.5;
    s->ORGY = s->Sclose / s->pixel_size + 0.5;

    const double zhat[3] = {0, 0, 1}, yhat[3] = {0, 1, 0}, mxhat[3] = {-1, 0, 0};
    s->dials_origin[0] = 1000.0 * v3_dot(s->pix0, zhat);
    s->dials_origin[1] = 1000.0 * v3_dot(s->pix0, yhat);
    s->dials_origin[2] = 1000.0 * v3_dot(s->pix0, mxhat);
}

int nbcl_geometry_roi(const nbcl_config *c, nbcl_sim *s, nbcl_err *err)
{
    s->roi_xmin = c->roi[0] < 0 ? 0 : c->roi[0];
    s->roi_xmax = c->roi[1] < 0 ? s->fpixels : c->roi[1];
    s->roi_ymin = c->roi[2] < 0 ? 0 : c->roi[2];
    s->roi_ymax = c->roi[3] < 0 ? s->spixels : c->roi[3];
    if (s->roi_xmin > s->roi_xmax || s->roi_ymin > s->roi_ymax)
        return nbcl_err_code(err, NBCL_E_INVALID, "-roi %d %d %d %d: the region is inverted (xmin xmax ymin "
                             "ymax, each pair in increasing order)", c->roi[0], c->roi[1], c->roi[2], c->roi[3]);
    if (s->roi_xmin >= s->fpixels || s->roi_ymin >= s->spixels)
        return nbcl_err_code(err, NBCL_E_INVALID, "-roi %d %d %d %d: the region is outside the %dx%d detector",
                             c->roi[0], c->roi[1], c->roi[2], c->roi[3], s->fpixels, s->spixels);
    return 0;
}

int nbcl_geometry_resolve(const nbcl_config *c, nbcl_sim *s, nbcl_log *log, nbcl_err *err)
{
    s->pixel_size = c->pixel_size;
    s->detsize_f = c->detsize_f;
    s->detsize_s = c->detsize_s;
    if (c->fpixels) s->detsize_f = s->pixel_size * c->fpixels;
    if (c->spixels) s->detsize_s = s->pixel_size * c->spixels;
    s->fpixels = (int)ceil(s->detsize_f / s->pixel_size - 0.5);
    s->spixels = (int)ceil(s->detsize_s / s->pixel_size - 0.5);
    if (s->fpixels <= 0 || s->spixels <= 0)
        return nbcl_err_set(err, "-detsize: the detector is smaller than one pixel");

    /* near point and beam centre defaults: the middle of the detector */
    double Fclose = NAN, Sclose = NAN;
    if (!isnan(c->ORGX)) Fclose = (c->ORGX - 0.5) * s->pixel_size;
    if (!isnan(c->ORGY)) Sclose = (c->ORGY - 0.5) * s->pixel_size;
    if (isnan(Fclose)) Fclose = s->detsize_f / 2.0;
    if (isnan(Sclose)) Sclose = s->detsize_s / 2.0;
    s->Xclose = isnan(c->Xclose) ? Fclose : c->Xclose;
    s->Yclose = isnan(c->Yclose) ? Sclose : c->Yclose;
    s->Xbeam = c->Xbeam;
    s->Ybeam = c->Ybeam;
    s->Fbeam = Fclose;
    s->Sbeam = Sclose;
    if (nbcl_geometry_roi(c, s, err)) return -1;

    s->convention = c->convention;
    s->pivot = c->pivot;
    v3_copy(c->beam_vector, s->beam);
    v3_copy(c->fdet_vector, s->fdet);
    v3_copy(c->sdet_vector, s->sdet);
    v3_copy(c->odet_vector, s->odet);
    v3_copy(c->polar_vector, s->polar_vector);
    v3_copy(c->spindle_vector, s->spindle);
    v3_copy(c->twotheta_axis, s->twotheta_axis);
    convention_axes(s);
    convention_centres(s, Fclose, Sclose);

    v3_unitize(s->beam, s->beam);
    v3_unitize(s->fdet, s->fdet);
    v3_unitize(s->sdet, s->sdet);
    if (v3_unitize(s->odet, s->odet) != 1.0) {
        nbcl_logf(log, "WARNING: auto-generating odet_vector\n");
        v3_cross(s->fdet, s->sdet, s->odet);
        v3_unitize(s->odet, s->odet);
    }
    v3_unitize(s->polar_vector, s->polar_vector);
    v3_unitize(s->spindle, s->spindle);
    v3_cross(s->beam, s->polar_vector, s->vert_vector);
    v3_unitize(s->vert_vector, s->vert_vector);
    if (v3_norm(s->beam) == 0.0) return nbcl_err_set(err, "-beam_vector: must not be the zero vector");
    if (v3_norm(s->fdet) == 0.0) return nbcl_err_set(err, "-fdet_vector: must not be the zero vector");
    if (v3_norm(s->sdet) == 0.0) return nbcl_err_set(err, "-sdet_vector: must not be the zero vector");
    if (v3_norm(s->spindle) == 0.0) return nbcl_err_set(err, "-spindle_axis: must not be the zero vector");
    if (v3_norm(s->polar_vector) == 0.0) return nbcl_err_set(err, "-polar_vector: must not be the zero vector");
    if (v3_norm(s->odet) == 0.0)
        return nbcl_err_set(err, "-odet_vector: the detector axes are parallel (impossible geometry)");

    static const char *names[] = {"adxv", "mosflm", "xds", "dials", "denzo", "custom"};
    nbcl_logf(log, "%s convention selected.\n", names[s->convention]);

    /* how the beam meets the (rotated) detector normal */
    double rx = c->detector_rotx, ry = c->detector_roty, rz = c->detector_rotz;
    double tt = c->twotheta, v[3];
    s->twotheta = tt;
    nbcl_rotate_xyz(s->odet, v, rx, ry, rz);
    double ratio = v3_dot(s->beam, v);
    if (ratio == 0.0) ratio = DBL_MIN;
    double close_distance = c->close_distance;
    if (isnan(close_distance)) close_distance = fabs(ratio * c->distance);
    double distance = close_distance / ratio;

    if (s->pivot == NBCL_PIVOT_SAMPLE) {
        nbcl_logf(log, "pivoting detector around sample\n");
        for (int k = 0; k < 3; ++k)
            s->pix0[k] = -s->Fclose * s->fdet[k] - s->Sclose * s->sdet[k] + close_distance * s->odet[k];
        nbcl_rotate_xyz(s->pix0, s->pix0, rx, ry, rz);
        nbcl_rotate_axis(s->pix0, s->pix0, s->twotheta_axis, tt);
    }
    nbcl_rotate_xyz(s->fdet, s->fdet, rx, ry, rz);
    nbcl_rotate_xyz(s->sdet, s->sdet, rx, ry, rz);
    nbcl_rotate_xyz(s->odet, s->odet, rx, ry, rz);
    nbcl_rotate_axis(s->fdet, s->fdet, s->twotheta_axis, tt);
    nbcl_rotate_axis(s->sdet, s->sdet, s->twotheta_axis, tt);
    nbcl_rotate_axis(s->odet, s->odet, s->twotheta_axis, tt);
    if (s->pivot == NBCL_PIVOT_BEAM) {
        nbcl_logf(log, "pivoting detector around direct beam spot\n");
        for (int k = 0; k < 3; ++k)
            s->pix0[k] = -s->Fbeam * s->fdet[k] - s->Sbeam * s->sdet[k] + distance * s->beam[k];
    }

    nbcl_geometry_derive(s, ratio);
    nbcl_logf(log, "XDS incident beam: %g %g %g\n", v3_dot(s->beam, s->fdet), v3_dot(s->beam, s->sdet),
              v3_dot(s->beam, s->odet));
    if (!(fabs(s->distance) > 0.0) || !isfinite(s->distance))
        return nbcl_err_set(err, "-distance: the detector plane does not meet the beam (impossible geometry)");

    s->curved_detector = c->curved_detector;
    s->point_pixel = c->point_pixel;
    s->oversample_thick = c->oversample_thick;
    s->oversample_polar = c->oversample_polar;
    s->oversample_omega = c->oversample_omega;
    s->dmin = c->dmin;
    return 0;
}
