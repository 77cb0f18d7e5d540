/* panels.c: a detector of several flat panels, from a DIALS experiment list (-detector).
 * The file's lab frame is dxtbx's (beam along -z, goniometer axis +x for a usual single-axis
 * goniometer); nanoBragg's default frame (MOSFLM: beam +x, spindle +z) is that frame turned
 * by x = -z', y = y', z = x' (the inverse of lab_frame.c's mapping), a permutation with
 * signs, so a panel's axes and origin arrive in nanoBragg's frame without rounding. Each
 * panel keeps its own pix0, fast, slow and normal axes; size, pixel, sensor thickness and
 * attenuation are shared (the file must say so). The image holds the panels one after
 * another along the slow axis, in the file's order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec3.h"
#include "model/geometry.h"

/* dxtbx's frame to nanoBragg's (MOSFLM) frame */
static void from_dials(const double d[3], double out[3])
{
    double x = -d[2], y = d[1], z = d[0];
    out[0] = x;
    out[1] = y;
    out[2] = z;
}

static int same_panel_kind(const nbcl_dxtbx_detector *det, const char *path, nbcl_err *err)
{
    const nbcl_dxtbx_panel *p0 = &det->panels[0];
    if (p0->pixel_mm[0] != p0->pixel_mm[1])
        return nbcl_err_code(err, NBCL_E_INVALID, "-detector %s: panel 0: 'pixel_size' %g x %g mm: nanoBragg's "
                             "pixels are square", path, p0->pixel_mm[0], p0->pixel_mm[1]);
    for (int i = 1; i < det->npanels; ++i) {
        const nbcl_dxtbx_panel *p = &det->panels[i];
        const char *key = NULL;
        if (p->size[0] != p0->size[0] || p->size[1] != p0->size[1]) key = "image_size";
        else if (p->pixel_mm[0] != p0->pixel_mm[0] || p->pixel_mm[1] != p0->pixel_mm[1]) key = "pixel_size";
        else if (p->thickness_mm != p0->thickness_mm) key = "thickness";
        else if (p->mu_per_mm != p0->mu_per_mm) key = "mu";
        if (key)
            return nbcl_err_code(err, NBCL_E_INVALID, "-detector %s: panel %d: '%s' differs from panel 0's "
                                 "(nanobragg-cl simulates panels of one kind)", path, i, key);
    }
    return 0;
}

int nbcl_panels_config(const nbcl_config *c, const nbcl_model_loaders *ld, nbcl_config *out,
                       nbcl_dxtbx_detector *det, nbcl_log *log, nbcl_err *err)
{
    memset(det, 0, sizeof *det);
    *out = *c;
    const char *path = c->detectorfile;
    if (c->geometry_flag)
        return nbcl_err_code(err, NBCL_E_INVALID, "%s: not allowed beside -detector %s (the file holds the "
                             "detector's geometry)", c->geometry_flag, path);
    if (c->imgfile)
        return nbcl_err_code(err, NBCL_E_INVALID, "-img: not allowed beside -detector %s (its header holds a "
                             "detector geometry)", path);
    if (!ld || !ld->detector)
        return nbcl_err_code(err, NBCL_E_INVALID, "-detector %s: no reader for experiment lists here", path);
    nbcl_logf(log, "reading detector from %s\n", path);
    if (ld->detector(ld->user, c, det, log, err)) return -1;
    if (same_panel_kind(det, path, err)) goto fail;
    const nbcl_dxtbx_panel *p0 = &det->panels[0];
    if ((long)p0->size[1] * det->npanels > 1000000L) {
        nbcl_err_code(err, NBCL_E_INVALID, "-detector %s: %d panels of %d rows: too many rows in all", path,
                      det->npanels, p0->size[1]);
        goto fail;
    }
    if (det->npanels > 1 && c->printout) {
        nbcl_err_code(err, NBCL_E_INVALID, "-printout: one panel at a time only (-detector %s has %d)", path,
                      det->npanels);
        goto fail;
    }
    if (det->npanels > 1 && (c->roi[0] >= 0 || c->roi[1] >= 0 || c->roi[2] >= 0 || c->roi[3] >= 0)) {
        nbcl_err_code(err, NBCL_E_INVALID, "-roi: not with a detector of several panels (-detector %s has %d)",
                      path, det->npanels);
        goto fail;
    }
    if (det->npanels > 1) {
        const char *flag = (c->outputs_given & NBCL_GIVEN_INT) ? "-intfile" : (c->outputs_given & NBCL_GIVEN_NOISE)
                           ? "-noisefile" : (c->outputs_given & NBCL_GIVEN_PGM) ? "-pgmfile" : c->cbffile ? "-cbffile" : NULL;
        if (flag) {
            nbcl_err_code(err, NBCL_E_INVALID, "%s: that format holds one panel and -detector %s has %d (use "
                          "-nexusfile, -floatfile or -pngfile)", flag, path, det->npanels);
            goto fail;
        }
    }
    /* what the flags would have said: pixels, sensor, and the beam's wavelength */
    out->fpixels = p0->size[0];
    out->spixels = p0->size[1];
    out->pixel_size = p0->pixel_mm[0] / 1000.0;
    out->detsize_f = out->pixel_size * out->fpixels;
    out->detsize_s = out->pixel_size * out->spixels;
    if (p0->thickness_mm > 0.0) out->detector_thick = p0->thickness_mm / 1000.0;
    if (p0->mu_per_mm > 0.0) out->detector_mu = p0->mu_per_mm * 1000.0;
    if (det->have_beam && !(c->beam_given & NBCL_GIVEN_WAVELENGTH)) {
        out->lambda0 = det->wavelength_A / 1e10;
        out->lambda_A = det->wavelength_A;
    }
    return 0;
fail:
    free(det->panels);
    memset(det, 0, sizeof *det);
    return -1;
}

/* panel p of the file in nanoBragg's frame; its normal points away from the sample */
static void place_panel(const nbcl_dxtbx_panel *d, const double beam[3], nbcl_panel *p)
{
    double origin[3];
    snprintf(p->name, sizeof p->name, "%s", d->name);
    from_dials(d->fast, p->fdet);
    from_dials(d->slow, p->sdet);
    from_dials(d->origin_mm, origin);
    for (int k = 0; k < 3; ++k) p->pix0[k] = origin[k] / 1000.0;
    v3_unitize(p->fdet, p->fdet);
    v3_unitize(p->sdet, p->sdet);
    v3_cross(p->fdet, p->sdet, p->odet);
    v3_unitize(p->odet, p->odet);
    if (v3_dot(p->pix0, p->odet) < 0.0) v3_scale(p->odet, -1.0, p->odet);
    p->close_distance = v3_dot(p->pix0, p->odet);
    double ratio = v3_dot(beam, p->odet);
    p->distance = fabs(ratio) > 1e-9 ? p->close_distance / ratio : p->close_distance;
}

void nbcl_sim_use_panel(nbcl_sim *s, int i)
{
    const nbcl_panel *p = &s->panels[i];
    v3_copy(p->fdet, s->fdet);
    v3_copy(p->sdet, s->sdet);
    v3_copy(p->odet, s->odet);
    v3_copy(p->pix0, s->pix0);
    s->distance = p->distance;
    s->close_distance = p->close_distance;
}

/* Xbeam and Ybeam in the convention's terms, from where the beam meets panel 0 */
static void beam_centre(nbcl_sim *s)
{
    double px = s->pixel_size;
    switch (s->convention) {
    case NBCL_ADXV: s->Xbeam = s->Fbeam; s->Ybeam = s->detsize_s - s->Sbeam; break;
    case NBCL_MOSFLM: s->Xbeam = s->Sbeam - 0.5 * px; s->Ybeam = s->Fbeam - 0.5 * px; break;
    case NBCL_DENZO: s->Xbeam = s->Sbeam; s->Ybeam = s->Fbeam; break;
    default: s->Xbeam = s->Fbeam; s->Ybeam = s->Sbeam; break;
    }
}

int nbcl_panels_place(nbcl_dxtbx_detector *det, const nbcl_config *c, nbcl_sim *s, nbcl_log *log,
                      nbcl_err *err)
{
    int n = det->npanels, rc = 0;
    if (det->have_beam && !(c->beam_given & NBCL_GIVEN_BEAM_VECTOR)) {
        double d[3] = {-det->direction[0], -det->direction[1], -det->direction[2]};
        from_dials(d, s->beam);
        v3_unitize(s->beam, s->beam);
        v3_cross(s->beam, s->polar_vector, s->vert_vector);
        v3_unitize(s->vert_vector, s->vert_vector);
    }
    s->panels = calloc((size_t)n, sizeof *s->panels);
    if (!s->panels) {
        rc = nbcl_err_code(err, NBCL_E_NOMEM, "-detector %s: out of host memory", c->detectorfile);
        goto done;
    }
    s->npanels = n;
    for (int i = 0; i < n; ++i) {
        place_panel(&det->panels[i], s->beam, &s->panels[i]);
        if (!(s->panels[i].close_distance > 0.0) || !isfinite(s->panels[i].close_distance)) {
            rc = nbcl_err_code(err, NBCL_E_INVALID, "-detector %s: panel %d ('%s'): 'origin' puts the sample in "
                               "the panel's plane (impossible geometry)", c->detectorfile, i, det->panels[i].name);
            goto done;
        }
    }
    nbcl_sim_use_panel(s, 0);
    double ratio = v3_dot(s->beam, s->odet);
    nbcl_geometry_derive(s, fabs(ratio) > 1e-9 ? ratio : 1.0);
    s->distance = s->panels[0].distance;
    beam_centre(s);
    s->spixels = c->spixels * n;       /* the image: every panel's rows in turn */
    s->detsize_s = s->pixel_size * s->spixels;
    s->curved_detector = 0;
    rc = nbcl_geometry_roi(c, s, err);
    if (!rc) {
        nbcl_logf(log, "detector: %d panel%s of %dx%d pixels of %g mm\n", n, n == 1 ? "" : "s", c->fpixels,
                  c->spixels, s->pixel_size * 1000.0);
        for (int i = 0; i < n && nbcl_log_listing(log, i, n, "panels"); ++i) {
            const nbcl_panel *p = &s->panels[i];
            nbcl_logf(log, "  panel %d %s: pix0 %g %g %g m fast %g %g %g slow %g %g %g\n", i, p->name, p->pix0[0],
                      p->pix0[1], p->pix0[2], p->fdet[0], p->fdet[1], p->fdet[2], p->sdet[0], p->sdet[1], p->sdet[2]);
        }
    }
done:
    free(det->panels);
    memset(det, 0, sizeof *det);
    return rc;
}
