/* dataset_files.c: the public writers for what DIALS and XDS read: miniCBF images and
 * NeXus/NXmx series. Each states the geometry the simulation used, turned into the
 * reader's frame (model/lab_frame.c): a miniCBF can only describe a detector square to the
 * beam with dxtbx's standard axes, so other geometries are refused there; NeXus states
 * any geometry through its axis vectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/constants.h"
#include "engine/experiment.h"
#include "engine/handle.h"
#include "io/cbf.h"
#include "io/nexus.h"
#include "model/lab_frame.h"

#define AXIS_TOLERANCE 1e-9
#define COUNT_CUTOFF 65535          /* the SMV integers the counts come from saturate here */

struct nbcl_nexus_writer {
    nbcl_nexus *nx;
    const nbcl_engine *eng;
    int32_t *counts;
    size_t npix;
};

static double exposure_of(const nbcl_sim *s)
{
    return s->exposure > 0.0 ? s->exposure : 1.0;
}

static int near(const double v[3], double x, double y, double z)
{
    return fabs(v[0] - x) < AXIS_TOLERANCE && fabs(v[1] - y) < AXIS_TOLERANCE && fabs(v[2] - z) < AXIS_TOLERANCE;
}

/* the miniCBF header of this run, or an error saying why a miniCBF cannot state it */
static int cbf_meta(const nbcl_engine *e, const nbcl_run_info *run, const char *path,
                    nbcl_cbf_meta *m, nbcl_err *err)
{
    const nbcl_sim *s = &e->sim;
    if (s->npanels > 1)
        return nbcl_err_code(err, NBCL_E_INVALID, "-cbffile %s: a miniCBF holds one panel and the detector has %d; "
                             "use -nexusfile", path, s->npanels);
    nbcl_lab_detector d;
    nbcl_dials_detector(s, &d);
    if (!near(d.fast, 1, 0, 0) || !near(d.slow, 0, -1, 0) || !near(d.axis, 1, 0, 0))
        return nbcl_err_code(err, NBCL_E_INVALID, "-cbffile %s: a miniCBF states only a detector square "
                             "to the beam with the usual axes (here, in DIALS's frame, fast %.4g %.4g %.4g, "
                             "slow %.4g %.4g %.4g, spindle %.4g %.4g %.4g); use -nexusfile for this geometry",
                             path, d.fast[0], d.fast[1], d.fast[2], d.slow[0], d.slow[1], d.slow[2],
                             d.axis[0], d.axis[1], d.axis[2]);
    memset(m, 0, sizeof *m);
    double pixel_mm = s->pixel_size * 1000.0;
    m->fast = s->fpixels;
    m->slow = s->spixels;
    m->pixel_mm = pixel_mm;
    m->distance_mm = -d.origin_mm[2];
    m->beam_x_px = -d.origin_mm[0] / pixel_mm;
    m->beam_y_px = d.origin_mm[1] / pixel_mm;
    m->wavelength_A = run ? run->wavelength_A : s->lambda0 * 1e10;
    m->exposure_s = exposure_of(s);
    m->start_angle_deg = run ? run->phi_deg : s->phi0 * RTD;
    m->angle_increment_deg = run ? run->osc_deg : s->osc * RTD;
    m->sensor_thickness_mm = s->thick * 1000.0;
    m->count_cutoff = COUNT_CUTOFF;
    return 0;
}

nbcl_status nbcl_engine_write_cbf(const nbcl_engine *e, const nbcl_run_info *run, const char *path,
                                  const uint16_t *counts)
{
    if (!e || !path || !counts) return nbcl_api_invalid("nbcl_engine_write_cbf: NULL argument");
    if (!run && e->ran) run = &e->info;
    nbcl_err err = {0};
    nbcl_cbf_meta m;
    if (cbf_meta(e, run, path, &m, &err)) return nbcl_api_fail(&err, NBCL_E_INVALID);
    int32_t *wide = malloc(e->npix * sizeof *wide);
    if (!wide) return nbcl_api_nomem("nbcl_engine_write_cbf");
    for (size_t i = 0; i < e->npix; ++i) wide[i] = counts[i];
    int rc = nbcl_cbf_write(path, &m, wide, &err);
    free(wide);
    return rc ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

static void nexus_geometry(const nbcl_sim *s, nbcl_nexus_geometry *g)
{
    nbcl_lab_detector d;
    nbcl_mcstas_detector(s, &d);
    memset(g, 0, sizeof *g);
    g->fast = s->fpixels;
    g->slow = s->spixels;
    g->pixel_mm = s->pixel_size * 1000.0;
    memcpy(g->fast_axis, d.fast, sizeof d.fast);
    memcpy(g->slow_axis, d.slow, sizeof d.slow);
    memcpy(g->origin_mm, d.origin_mm, sizeof d.origin_mm);
    memcpy(g->rotation_axis, d.axis, sizeof d.axis);
    g->wavelength_A = s->lambda0 * 1e10;
    g->exposure_s = exposure_of(s);
    g->sensor_thickness_mm = s->thick * 1000.0;
    g->saturation_value = COUNT_CUTOFF;
}

/* -detector: every panel's axes and origin in the McStas frame (NULL when out of memory) */
static nbcl_nexus_panel *nexus_panels(const nbcl_sim *s)
{
    nbcl_nexus_panel *p = calloc((size_t)s->npanels, sizeof *p);
    for (int i = 0; p && i < s->npanels; ++i) {
        nbcl_sim one = *s;
        nbcl_sim_use_panel(&one, i);
        nbcl_lab_detector d;
        nbcl_mcstas_detector(&one, &d);
        memcpy(p[i].fast_axis, d.fast, sizeof d.fast);
        memcpy(p[i].slow_axis, d.slow, sizeof d.slow);
        memcpy(p[i].origin_mm, d.origin_mm, sizeof d.origin_mm);
    }
    return p;
}

nbcl_status nbcl_engine_nexus_open(const nbcl_engine *e, const char *path, int expected_images,
                                   nbcl_nexus_writer **out)
{
    if (!e || !path || !out) return nbcl_api_invalid("nbcl_engine_nexus_open: NULL argument");
    *out = NULL;
    nbcl_nexus_writer *w = calloc(1, sizeof *w);
    if (!w) return nbcl_api_nomem("nbcl_engine_nexus_open");
    w->eng = e;
    w->npix = e->npix;
    w->counts = malloc(e->npix * sizeof *w->counts);
    nbcl_nexus_geometry g;
    nexus_geometry(&e->sim, &g);
    nbcl_nexus_panel *panels = NULL;
    if (e->sim.npanels > 1) {
        g.slow = e->sim.spixels / e->sim.npanels;
        g.npanels = e->sim.npanels;
        g.panels = panels = nexus_panels(&e->sim);
    }
    nbcl_err err = {0};
    int failed = !w->counts || (g.npanels > 1 && !panels) ||
                 nbcl_nexus_open(path, &g, expected_images, &w->nx, &err);
    free(panels);
    if (failed) {
        free(w->counts);
        free(w);
        return err.msg[0] ? nbcl_api_fail(&err, NBCL_E_FILE) : nbcl_api_nomem("nbcl_engine_nexus_open");
    }
    *out = w;
    return NBCL_OK;
}

/* a*, b*, c* as the columns of UB, in the McStas frame */
static void ub_matrix(const nbcl_sim *s, const nbcl_run_info *run, double ub[9])
{
    double R[9];
    nbcl_dials_rotation(s, R);
    for (int c = 0; c < 3; ++c) {
        double v[3];
        nbcl_to_dials(R, run->reciprocal + 3 * c, v);
        v[0] = -v[0];
        v[2] = -v[2];
        for (int r = 0; r < 3; ++r) ub[3 * r + c] = v[r];
    }
}

nbcl_status nbcl_nexus_writer_append(nbcl_nexus_writer *w, const nbcl_run_info *run,
                                     const uint16_t *counts)
{
    if (!w || !counts) return nbcl_api_invalid("nbcl_nexus_writer_append: NULL argument");
    if (!run && w->eng->ran) run = &w->eng->info;
    if (!run) return nbcl_api_state("nbcl_nexus_writer_append: no image has been simulated yet");
    for (size_t i = 0; i < w->npix; ++i) w->counts[i] = counts[i];
    double ub[9];
    ub_matrix(&w->eng->sim, run, ub);
    nbcl_err err = {0};
    if (nbcl_nexus_append(w->nx, w->counts, run->phi_deg, run->osc_deg, ub, &err))
        return nbcl_api_fail(&err, NBCL_E_FILE);
    return NBCL_OK;
}

nbcl_status nbcl_nexus_writer_close(nbcl_nexus_writer *w)
{
    if (!w) return nbcl_api_invalid("nbcl_nexus_writer_close: NULL argument");
    nbcl_err err = {0};
    int rc = nbcl_nexus_close(w->nx, &err);
    free(w->counts);
    free(w);
    return rc ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

void nbcl_nexus_writer_abort(nbcl_nexus_writer *w)
{
    if (!w) return;
    nbcl_nexus_abort(w->nx);
    free(w->counts);
    free(w);
}
