/* simulate.c: the public nbcl_engine: devices chosen, kernels built and tables uploaded
 * once in nbcl_engine_create; then any number of images, each with its own parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/constants.h"
#include "base/roi_span.h"
#include "device/choose.h"
#include "engine/abi.h"
#include "engine/engine.h"
#include "engine/experiment.h"
#include "engine/float_writer.h"
#include "engine/handle.h"
#include "engine/workload.h"
#include "model/orientations.h"

void nbcl_engine_options_init(nbcl_engine_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->precision = NBCL_PRECISION_AUTO;
    o->progress = -1;
    o->keep_pixel_details = -1;
}

void nbcl_image_params_init(nbcl_image_params *p)
{
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->phi_deg = NAN;
    p->osc_deg = NAN;
}

/* the engine's settings: each option, else the experiment's flag, else the default */
static void effective_options(const nbcl_experiment *exp, const nbcl_engine_options *o,
                              nbcl_engine_options *eff)
{
    const nbcl_config *c = &exp->cfg;
    nbcl_engine_options defaults;
    nbcl_engine_options_init(&defaults);
    if (!o) o = &defaults;
    *eff = *o;
    if (!eff->device) eff->device = c->device_spec;
    if (eff->precision == NBCL_PRECISION_AUTO) eff->precision = c->precision;
    if (eff->tile <= 0) eff->tile = c->tile;
    if (eff->keep_pixel_details < 0) eff->keep_pixel_details = c->printout;
    if (eff->progress < 0) eff->progress = c->progress && !eff->keep_pixel_details;
    if (!eff->cache_dir) eff->cache_dir = c->cache_dir;
    if (!eff->kernel_binary) eff->kernel_binary = c->kernel_binary;
    if (!eff->save_kernel_binary) eff->save_kernel_binary = c->save_kernel_binary;
}

static int copy_experiment(nbcl_engine *e, const nbcl_experiment *exp, nbcl_err *err)
{
    if (nbcl_sim_copy(&exp->sim, &e->sim, err)) return -1;
    e->have_sim = 1;
    e->image_sim = e->sim;
    e->rng = exp->rng;
    e->log = exp->log;
    e->npix = (size_t)e->sim.fpixels * (size_t)e->sim.spixels;
    e->umat_scratch = malloc(9 * sizeof(double) * (size_t)(e->sim.mosaic_domains > 0 ? e->sim.mosaic_domains : 1));
    e->lambda_scratch = malloc(sizeof(double) * (size_t)(e->sim.nsources > 0 ? e->sim.nsources : 1));
    if (!e->umat_scratch || !e->lambda_scratch)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for per-image tables");
    if (exp->files.mask) {
        e->mask = malloc(e->npix * sizeof *e->mask);
        if (!e->mask) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the mask");
        memcpy(e->mask, exp->files.mask, e->npix * sizeof *e->mask);
    }
    return 0;
}

/* device_slot k >= 1: only match (k - 1) mod npicked (the precision was chosen over all) */
static void keep_slot(nbcl_log *log, int slot, const nbcl_device_info *list, int *picked, int *npicked)
{
    if (slot <= 0 || *npicked <= 1) return;
    picked[0] = picked[(slot - 1) % *npicked];
    nbcl_logf(log, "device slot %d of %d matches: %s\n", slot, *npicked, list[picked[0]].name);
    *npicked = 1;
}

/* rows > 0: the core simulates only rows first_row .. first_row + rows - 1 of the ROI */
static int band_of(nbcl_engine *e, const nbcl_engine_options *o, nbcl_err *err)
{
    e->core_sim = e->sim;
    if (o->rows <= 0 && o->first_row == 0) return 0;
    if (e->sim.npanels > 1)   /* the ROI that makes a band is one panel's rows */
        return nbcl_err_code(err, NBCL_E_INVALID, "nbcl_engine_create: a band of rows needs a "
                             "one-panel detector (this one has %d panels)", e->sim.npanels);
    if (o->first_row < 0 || o->rows <= 0 || o->first_row > e->sim.spixels - o->rows)
        return nbcl_err_code(err, NBCL_E_INVALID, "nbcl_engine_create: rows %d .. %d are not rows of the "
                             "%d-row detector", o->first_row, o->first_row + o->rows - 1, e->sim.spixels);
    int last = o->first_row + o->rows - 1;
    if (e->core_sim.roi_ymin < o->first_row) e->core_sim.roi_ymin = o->first_row;
    if (e->core_sim.roi_ymax > last) e->core_sim.roi_ymax = last;
    return 0;
}

static int open_core(nbcl_engine *e, const nbcl_experiment *exp, const nbcl_engine_options *o,
                     nbcl_err *err)
{
    nbcl_device_info *list = NULL;
    int count = 0, *picked = NULL, npicked = 0, use_double = 0;
    double t0 = nbcl_seconds();
    if (band_of(e, o, err)) return -1;
    if (nbcl_runtime_pick(o->device, (int)o->precision, &list, &count, &picked, &npicked,
                          &use_double, &e->log, err))
        return -1;
    e->pick_seconds = nbcl_seconds() - t0;
    keep_slot(&e->log, o->device_slot, list, picked, &npicked);
    nbcl_device_info *chosen = malloc(sizeof *chosen * (size_t)npicked);
    int rc = -1;
    if (!chosen) {
        nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory");
    } else {
        for (int i = 0; i < npicked; ++i) chosen[i] = list[picked[i]];
        /* the work, said with the setup; an absurdly long run is refused before any build */
        int nimages = 1;
        nbcl_experiment_series_length(exp, &nimages);
        if (nbcl_work_check(&e->sim, &exp->cfg, nimages, use_double, chosen, npicked, &e->log, err)) {
            free(chosen);
            free(list);
            free(picked);
            return -1;
        }
        nbcl_core_opts co = {.use_double = use_double, .tile = o->tile, .progress = o->progress,
                             .mask = e->mask, .printout = o->keep_pixel_details,
                             .cache_dir = o->cache_dir, .kernel_binary = o->kernel_binary,
                             .save_kernel_binary = o->save_kernel_binary, .log = &e->log};
        rc = nbcl_core_open(&e->core_sim, chosen, npicked, &co, &e->core, err);
    }
    e->use_double = use_double;
    free(chosen);
    free(list);
    free(picked);
    return rc;
}

nbcl_status nbcl_engine_create(nbcl_experiment *exp, const nbcl_engine_options *opts, nbcl_engine **out)
{
    if (!exp || !out) return nbcl_api_invalid("nbcl_engine_create: NULL argument");
    *out = NULL;
    double t0 = nbcl_seconds();
    nbcl_status st = nbcl_experiment_resolve(exp);
    if (st) return st;
    nbcl_engine_options eff;
    effective_options(exp, opts, &eff);
    nbcl_engine *e = calloc(1, sizeof *e);
    if (!e) return nbcl_api_nomem("nbcl_engine_create");
    e->keep_details = eff.keep_pixel_details;
    nbcl_err err = {0};
    int rc = copy_experiment(e, exp, &err);
    if (!rc) rc = open_core(e, exp, &eff, &err);
    nbcl_log_flush(&e->log);
    if (rc) {
        nbcl_engine_destroy(e);
        return nbcl_api_fail(&err, NBCL_E_OPENCL);
    }
    e->create_seconds = nbcl_seconds() - t0;
    *out = e;
    return NBCL_OK;
}

void nbcl_engine_destroy(nbcl_engine *e)
{
    if (!e) return;
    nbcl_core_close(e->core);
    if (e->have_sim) nbcl_sim_free(&e->sim);
    free(e->mask);
    free(e->last_image);
    free(e->umat_scratch);
    free(e->lambda_scratch);
    free(e);
}

static int keep_details(nbcl_engine *e, const float *image, const nbcl_core_result *res, nbcl_err *err)
{
    if (!e->last_image && !(e->last_image = malloc(e->npix * sizeof(float))))
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for pixel details");
    memcpy(e->last_image, image, e->npix * sizeof(float));
    e->printout = res->printout;
    return 0;
}

/* An image holding NaN or infinity is refused: it says nothing, and a file of it misleads.
 * The statistics' pass finds that rows hold one (nbcl_image_stats_rows); this names it.
 * Only the ROI of rows first_row .. end_row - 1 is looked at: every other pixel was set to
 * 0 (and reading it would map the pages of a huge detector that a small ROI leaves
 * untouched). */
static int check_finite(const nbcl_engine *e, const float *image, int first_row, int end_row,
                        nbcl_err *err)
{
    const nbcl_sim *s = &e->sim;
    size_t w = (size_t)s->fpixels;
    nbcl_roi_span r = nbcl_roi_on_detector(s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax,
                                           s->fpixels, s->spixels);
    int x0 = r.x0, x1 = r.x1, y0 = r.y0 > first_row ? r.y0 : first_row;
    int y1 = r.y1 < end_row - 1 ? r.y1 : end_row - 1;
    for (int y = y0; y <= y1 && x1 >= x0; ++y) {
        const float *row = image + (size_t)y * w;
        for (int x = x0; x <= x1; ++x)
            if (!isfinite(row[x]))
                return nbcl_err_code(err, NBCL_E_INVALID, "the image holds %s at pixel %d %d (fast slow): the "
                                 "numbers overflow; check -default_F and the structure factors, -fluence "
                                 "and the source wavelengths", isnan(row[x]) ? "NaN" : "infinity", x, y);
    }
    return 0;
}

/* Rows of the running image are finished (on the core's rows thread, while the devices go
 * on): checked, added to the statistics, and handed to the caller's rows callback. */
static int engine_rows(void *user, int first_row, int end_row, nbcl_err *err)
{
    nbcl_engine *e = user;
    double t0 = nbcl_seconds();
    /* the statistics' pass says whether a pixel is not finite; only then are the rows read
     * again, to name it */
    int rc = 0;
    if (nbcl_image_stats_rows(&e->stats_acc, &e->sim, e->run_image, e->mask, first_row, end_row))
        rc = check_finite(e, e->run_image, first_row, end_row, err);
    if (!rc && e->rows_fn) {
        int status = e->rows_fn(e->rows_user, e->run_image, first_row, end_row - first_row);
        /* the callback ran on this thread: a library call of it that failed left its
         * message here */
        int code = status > 0 && status <= NBCL_E_STATE ? status : NBCL_E_STATE;
        if (status && *nbcl_last_error())
            rc = nbcl_err_code(err, code, "%s (the rows callback stopped the run at rows %d..%d)",
                               nbcl_last_error(), first_row, end_row - 1);
        else if (status)
            rc = nbcl_err_code(err, code, "the rows callback stopped the run at rows %d..%d (status %d)",
                               first_row, end_row - 1, status);
    }
    e->rows_seconds += nbcl_seconds() - t0;
    return rc;
}

nbcl_status nbcl_engine_set_rows_callback(nbcl_engine *e, nbcl_rows_fn fn, void *user)
{
    if (!e) return nbcl_api_invalid("nbcl_engine_set_rows_callback: NULL engine");
    e->rows_fn = fn;
    e->rows_user = user;
    return NBCL_OK;
}

nbcl_status nbcl_engine_run_stats(const nbcl_engine *e, nbcl_image_stats *st)
{
    if (!e || !st) return nbcl_api_invalid("nbcl_engine_run_stats: NULL argument");
    if (!e->ran) return nbcl_api_state("nbcl_engine_run_stats: no image has been simulated yet");
    *st = e->stats;
    return NBCL_OK;
}

nbcl_status nbcl_engine_run(nbcl_engine *e, const nbcl_image_params *p, float *image, size_t count)
{
    if (!e || !image) return nbcl_api_invalid("nbcl_engine_run: NULL argument");
    if (count < e->npix) {
        nbcl_err err = {0};
        nbcl_err_code(&err, NBCL_E_INVALID, "nbcl_engine_run: the image buffer holds %zu floats but the "
                      "detector has %zu pixels", count, e->npix);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    double t0 = nbcl_seconds(), t1 = t0, t2 = t0;
    nbcl_err err = {0};
    nbcl_sim img;
    nbcl_core_result res;
    e->ran = 0;
    e->run_image = image;
    e->rows_seconds = 0.0;
    nbcl_image_stats_begin(&e->stats_acc);
    nbcl_core_set_rows(e->core, engine_rows, e);
    int zeroed = nbcl_float_writer_take_fresh(image, count);   /* nothing outside the ROI to clear */
    if (nbcl_sim_for_image(&e->sim, p, &img, e->umat_scratch, e->lambda_scratch, &err) ||
        ((t1 = nbcl_seconds()), nbcl_core_image(e->core, &img, image, zeroed, &res, &err)) ||
        ((t2 = nbcl_seconds()), e->keep_details && keep_details(e, image, &res, &err))) {
        e->run_image = NULL;
        nbcl_log_flush(&e->log);
        return nbcl_api_fail(&err, NBCL_E_OPENCL);
    }
    nbcl_image_stats_end(&e->stats_acc, &e->stats);
    e->run_image = NULL;
    e->prepare_seconds = t1 - t0;
    e->check_seconds = nbcl_seconds() - t2;
    e->image_sim = img;
    e->ran = 1;
    nbcl_run_info *in = &e->info;
    in->fast = img.fpixels;
    in->slow = img.spixels;
    in->solid_angle = res.omega_sum / (double)img.steps;
    in->interpolation_fallback = res.interpolation_fallback;
    in->phi_deg = img.phi0 * RTD;
    in->wavelength_A = img.lambda0 * 1e10;
    in->osc_deg = img.osc * RTD;
    in->seconds = nbcl_seconds() - t0;
    for (int k = 0; k < 3; ++k) {
        in->reciprocal[k] = img.a_star[k];
        in->reciprocal[3 + k] = img.b_star[k];
        in->reciprocal[6 + k] = img.c_star[k];
    }
    nbcl_log_flush(&e->log);
    return NBCL_OK;
}

nbcl_status nbcl_engine_run_info(const nbcl_engine *e, nbcl_run_info *info)
{
    if (!e || !info) return nbcl_api_invalid("nbcl_engine_run_info: NULL argument");
    if (!e->ran) {
        return nbcl_api_state("nbcl_engine_run_info: no image has been simulated yet");
    }
    *info = e->info;
    return NBCL_OK;
}

nbcl_status nbcl_engine_timing(const nbcl_engine *e, nbcl_timing *t)
{
    if (!e || !t) return nbcl_api_invalid("nbcl_engine_timing: NULL argument");
    const nbcl_core_times *c = nbcl_core_timing(e->core);
    memset(t, 0, sizeof *t);
    t->program = c->program;
    t->program_cached = c->program_cached;
    t->tables = c->tables;
    t->platforms = e->pick_seconds;
    t->device_setup = e->create_seconds - e->pick_seconds - c->program - c->tables;
    if (!e->ran) return NBCL_OK;
    t->image_tables = e->prepare_seconds + c->upload;
    t->kernels = c->kernels;
    t->readback = c->readback;
    t->streaming = c->streaming;
    t->host = c->host + e->check_seconds;
    t->rows = e->rows_seconds;
    t->run = e->info.seconds;
    return NBCL_OK;
}

int nbcl_engine_pixel_active(const nbcl_engine *e, int f, int s)
{
    if (!e || f < 0 || s < 0 || f >= e->sim.fpixels || s >= e->sim.spixels) return 0;
    const nbcl_sim *sim = &e->sim;
    if (f < sim->roi_xmin || f > sim->roi_xmax || s < sim->roi_ymin || s > sim->roi_ymax) return 0;
    return !(e->mask && e->mask[(size_t)s * sim->fpixels + f] == 0);
}

nbcl_status nbcl_engine_pixel_detail(const nbcl_engine *e, int f, int s, nbcl_pixel_detail *out)
{
    if (!e || !out) return nbcl_api_invalid("nbcl_engine_pixel_detail: NULL argument");
    if (!e->ran || !e->printout)
        return nbcl_api_state("nbcl_engine_pixel_detail: no image simulated with pixel details kept");
    nbcl_err err = {0};
    if (f < 0 || s < 0 || f >= e->sim.fpixels || s >= e->sim.spixels) {
        nbcl_err_code(&err, NBCL_E_INVALID, "pixel %d %d is outside the %dx%d detector", f, s,
                      e->sim.fpixels, e->sim.spixels);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    size_t i = (size_t)s * e->sim.fpixels + f;
#define PO(k) e->printout[(size_t)(k) * e->npix + i]
    memset(out, 0, sizeof *out);
    out->I = PO(PO_I);
    out->polar = PO(PO_POLAR);
    out->omega = PO(PO_OMEGA);
    out->capture = PO(PO_CAPTURE);
    out->stol = PO(PO_STOL);
    out->pos[0] = PO(PO_POS_X);
    out->pos[1] = PO(PO_POS_Y);
    out->pos[2] = PO(PO_POS_Z);
    out->hkl[0] = PO(PO_H);
    out->hkl[1] = PO(PO_K);
    out->hkl[2] = PO(PO_L);
    out->F_cell = PO(PO_F_CELL);
    out->F_latt = PO(PO_F_LATT);
#undef PO
    const nbcl_sim *img = &e->image_sim;
    double tth = atan2(sqrt(out->pos[1] * out->pos[1] + out->pos[2] * out->pos[2]), out->pos[0]);
    out->stol_from_angle = sin(tth / 2.0) / (img->lambda0 * 1e10);
    out->I_per_step = out->I / (double)img->steps;
    out->pixel = e->last_image[i];
    /* the last orientation the kernels used: the final phi step and mosaic domain */
    double abc[9];
    nbcl_crystal_orientation(img, img->phisteps - 1, img->mosaic_domains - 1, abc);
    for (int k = 0; k < 3; ++k) {
        out->a[k] = abc[k] * 1e10;
        out->b[k] = abc[3 + k] * 1e10;
        out->c[k] = abc[6 + k] * 1e10;
    }
    return NBCL_OK;
}
