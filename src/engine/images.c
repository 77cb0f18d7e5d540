/* images.c: what the public API does with a simulated image: nanoBragg's statistics, its
 * integer and noise images, and the files (float, SMV, PGM, PNG preview), each written to a
 * temporary name and renamed. Headers state the geometry of the engine's last image. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/clear.h"
#include "engine/experiment.h"
#include "base/constants.h"
#include "engine/float_writer.h"
#include "engine/handle.h"
#include "io/outfile.h"
#include "io/outgroup.h"
#include "io/pgm.h"
#include "io/png.h"
#include "io/smv.h"
#include "model/image_stats.h"
#include "model/noise.h"
#include "model/panel_layout.h"

#define PANEL_PICTURE_SIDE 4096   /* a multi-panel preview is at most this many pixels a side */

static void roi_of(const nbcl_sim *s, int roi[4])
{
    roi[0] = s->roi_xmin;
    roi[1] = s->roi_xmax;
    roi[2] = s->roi_ymin;
    roi[3] = s->roi_ymax;
}

static nbcl_status need(const nbcl_engine *e, const void *a, const void *b, const char *call)
{
    if (!e || !a || !b) {
        nbcl_err err = {0};
        nbcl_err_code(&err, NBCL_E_INVALID, "%s: NULL argument", call);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    return NBCL_OK;
}

nbcl_status nbcl_engine_image_stats(const nbcl_engine *e, const float *image, nbcl_image_stats *st)
{
    nbcl_status s = need(e, image, st, "nbcl_engine_image_stats");
    if (s) return s;
    nbcl_compute_image_stats(&e->sim, image, e->mask, st);
    return NBCL_OK;
}

nbcl_status nbcl_engine_counts(const nbcl_engine *e, const float *image, double scale,
                               double adc_offset, uint16_t *counts)
{
    nbcl_status s = need(e, image, counts, "nbcl_engine_counts");
    if (s) return s;
    int roi[4];
    roi_of(&e->sim, roi);
    nbcl_smv_from_float(image, e->sim.fpixels, e->sim.spixels, roi, scale, adc_offset, counts);
    return NBCL_OK;
}

/* the noise image's point spread runs on the engine's first device */
typedef struct device_psf {
    nbcl_core *core;
    nbcl_err err;
} device_psf;

static int psf_on_device(void *user, const nbcl_psf_kernel *k, const float *in, int fpixels,
                         int spixels, float *out)
{
    device_psf *dp = user;
    return nbcl_core_psf(dp->core, k, in, fpixels, spixels, out, &dp->err);
}

nbcl_status nbcl_engine_noise(const nbcl_engine *e, const float *image, long seed, double adc_offset,
                              uint16_t *counts, double *photons, int *overloads)
{
    nbcl_status s = need(e, image, counts, "nbcl_engine_noise");
    if (s) return s;
    if (e->sim.npanels > 1 && e->sim.response.psf != NBCL_PSF_NONE && e->sim.response.psf_fwhm_mm > 0.0)
        return nbcl_api_invalid("nbcl_engine_noise: a point spread would cross the gaps between the "
                                "panels of the stacked image; it needs a one-panel detector");
    int roi[4];
    roi_of(&e->sim, roi);
    nbcl_rng rng = e->rng;       /* every noise image starts from the state after setup */
    long idum = -seed;           /* nanoBragg keeps -seed */
    nbcl_clear(counts, e->npix * sizeof *counts);   /* fresh pages stay unmapped */
    device_psf dp;
    memset(&dp, 0, sizeof dp);
    dp.core = e->core;
    nbcl_psf_runner runner = {&dp, psf_on_device};
    int rc = nbcl_noise_image_response(image, e->sim.fpixels, e->sim.spixels, roi, adc_offset,
                                       &e->sim.response, e->sim.pixel_size, &runner, &idum, &rng,
                                       counts, photons, overloads);
    if (rc == -3) return nbcl_api_fail(&dp.err, dp.err.code ? dp.err.code : NBCL_E_OPENCL);
    if (rc == -2) {
        nbcl_err err = {0};
        nbcl_err_code(&err, NBCL_E_NOMEM, "nbcl_engine_noise: out of host memory");
        return nbcl_api_fail(&err, NBCL_E_NOMEM);
    }
    if (rc) return nbcl_api_invalid("nbcl_engine_noise: unusable image, ROI or detector response");
    return NBCL_OK;
}

nbcl_status nbcl_write_float_image(const char *path, const float *image, size_t count)
{
    if (!path || !image) return nbcl_api_invalid("nbcl_write_float_image: NULL argument");
    nbcl_err err = {0};
    return nbcl_floatfile_write(path, image, count, &err) ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

struct nbcl_float_writer {
    nbcl_outfile of;
    float *pixels;   /* nbcl_float_writer_map's memory: the file itself */
    size_t count;    /* its floats */
};

/* The mapped writers whose pixels nothing has stored into yet: all 0, as a fresh file
 * reads. An image run into them need not clear what its ROI leaves out, and must not: on
 * a mapped file, reading a page to see whether it is 0 brings it into memory (a 10x10 ROI
 * of an 8192^2 detector held the whole 256 MB float file). A run takes its writer off the
 * list (nbcl_float_writer_take_fresh), as do close and abort. */
#define FRESH_MAX 16
static struct { const float *pixels; size_t count; } fresh[FRESH_MAX];
static pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;

static void fresh_add(const float *pixels, size_t count)
{
    pthread_mutex_lock(&fresh_lock);
    for (int i = 0; i < FRESH_MAX; ++i) {
        if (!fresh[i].pixels) {
            fresh[i].pixels = pixels;
            fresh[i].count = count;
            break;
        }
    }   /* a full list only costs the clearing */
    pthread_mutex_unlock(&fresh_lock);
}

int nbcl_float_writer_take_fresh(const float *image, size_t count)
{
    int found = 0;
    pthread_mutex_lock(&fresh_lock);
    for (int i = 0; i < FRESH_MAX && image; ++i) {
        if (fresh[i].pixels == image && fresh[i].count >= count) {
            fresh[i].pixels = NULL;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&fresh_lock);
    return found;
}

nbcl_status nbcl_float_writer_open(const char *path, nbcl_float_writer **out)
{
    if (!path || !out) return nbcl_api_invalid("nbcl_float_writer_open: NULL argument");
    *out = NULL;
    nbcl_float_writer *w = calloc(1, sizeof *w);
    if (!w) return nbcl_api_nomem("nbcl_float_writer_open");
    nbcl_err err = {0};
    if (nbcl_outfile_open(&w->of, path, &err)) {
        free(w);
        return nbcl_api_fail(&err, NBCL_E_FILE);
    }
    *out = w;
    return NBCL_OK;
}

nbcl_status nbcl_float_writer_append(nbcl_float_writer *w, const float *values, size_t count)
{
    if (!w || (!values && count)) return nbcl_api_invalid("nbcl_float_writer_append: NULL argument");
    if (!w->of.fp) return nbcl_api_state("nbcl_float_writer_append: the writer failed before");
    if (w->pixels) return nbcl_api_state("nbcl_float_writer_append: the writer's file is mapped; store into its pixels");
    nbcl_err err = {0};
    if (nbcl_floatfile_append(&w->of, values, count, &err)) {
        nbcl_outfile_abort(&w->of);   /* nothing of it stays; close and abort still free w */
        return nbcl_api_fail(&err, NBCL_E_FILE);
    }
    return NBCL_OK;
}

nbcl_status nbcl_float_writer_map(nbcl_float_writer *w, size_t count, float **pixels)
{
    if (!w || !pixels) return nbcl_api_invalid("nbcl_float_writer_map: NULL argument");
    *pixels = NULL;
    if (!w->of.fp) return nbcl_api_state("nbcl_float_writer_map: the writer failed before");
    if (w->pixels) return nbcl_api_state("nbcl_float_writer_map: the writer's file is mapped already");
    nbcl_err err = {0};
    float *m = NULL;
    int rc = nbcl_floatfile_map(&w->of, count, &m, &err);
    if (rc < 0) {
        nbcl_outfile_abort(&w->of);   /* nothing of it stays; close and abort still free w */
        return nbcl_api_fail(&err, NBCL_E_FILE);
    }
    w->pixels = m;
    w->count = count;
    *pixels = m;
    if (m) fresh_add(m, count);
    return NBCL_OK;
}

nbcl_status nbcl_float_writer_prefault(nbcl_float_writer *w, size_t first, size_t count)
{
    if (!w) return nbcl_api_invalid("nbcl_float_writer_prefault: NULL writer");
    if (!w->pixels) return nbcl_api_state("nbcl_float_writer_prefault: the writer's file is not mapped");
    if (first < SIZE_MAX / sizeof(float) && count < SIZE_MAX / sizeof(float))
        nbcl_outfile_prefault(&w->of, first * sizeof(float), count * sizeof(float));
    return NBCL_OK;
}

nbcl_status nbcl_float_writer_close(nbcl_float_writer *w)
{
    if (!w) return nbcl_api_invalid("nbcl_float_writer_close: NULL writer");
    nbcl_err err = {0};
    nbcl_float_writer_take_fresh(w->pixels, w->count);
    int failed_before = !w->of.fp;
    int rc = failed_before ? 0 : nbcl_outfile_commit(&w->of, &err);
    free(w);
    if (failed_before) return nbcl_api_state("nbcl_float_writer_close: the writer failed before; nothing written");
    return rc ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

void nbcl_float_writer_abort(nbcl_float_writer *w)
{
    if (!w) return;
    nbcl_float_writer_take_fresh(w->pixels, w->count);
    nbcl_outfile_abort(&w->of);
    free(w);
}

nbcl_status nbcl_output_group_begin(void)
{
    nbcl_err err = {0};
    return nbcl_outgroup_begin(&err) ? nbcl_api_fail(&err, NBCL_E_STATE) : NBCL_OK;
}

nbcl_status nbcl_output_group_commit(void)
{
    nbcl_err err = {0};
    return nbcl_outgroup_commit(&err) ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

void nbcl_output_group_abort(void)
{
    nbcl_outgroup_abort();
}

nbcl_status nbcl_output_cleanup_on_signals(void)
{
    nbcl_err err = {0};
    return nbcl_outgroup_catch_signals(&err) ? nbcl_api_fail(&err, NBCL_E_STATE) : NBCL_OK;
}

static void smv_header(const nbcl_sim *s, int noise, nbcl_smv_header *h)
{
    memset(h, 0, sizeof *h);
    h->fpixels = s->fpixels;
    h->spixels = s->spixels;
    h->pixel_size = s->pixel_size;
    h->distance = s->distance;
    h->lambda0 = s->lambda0;
    h->Xbeam = s->Xbeam;
    h->Ybeam = s->Ybeam;
    h->Fbeam = s->Fbeam;
    h->Sbeam = s->Sbeam;
    h->detsize_s = s->detsize_s;
    memcpy(h->dials_origin, s->dials_origin, sizeof h->dials_origin);
    h->ORGX = s->ORGX;
    h->ORGY = s->ORGY;
    h->close_distance = s->close_distance;
    h->phi0 = s->phi0;
    h->osc = s->osc;
    h->twotheta = s->twotheta;
    h->noise = noise;
}

/* SMV and PGM files hold one flat panel */
static nbcl_status one_panel(const nbcl_engine *e, const char *format, const char *path)
{
    if (e->sim.npanels <= 1) return NBCL_OK;
    nbcl_err err = {0};
    nbcl_err_code(&err, NBCL_E_INVALID, "%s: %s holds one panel and the detector has %d; use -floatfile, "
                  "-nexusfile or -pngfile", path, format, e->sim.npanels);
    return nbcl_api_fail(&err, NBCL_E_INVALID);
}

/* the SMV header of the experiment with the rotation and wavelength of `run` (NULL: the
 * last run's, if any) */
static void smv_header_of_run(const nbcl_engine *e, const nbcl_run_info *run, int is_noise_image,
                              nbcl_smv_header *h)
{
    smv_header(&e->sim, is_noise_image, h);
    if (!run && e->ran) run = &e->info;
    if (run) {
        h->phi0 = run->phi_deg / RTD;
        h->osc = run->osc_deg / RTD;
        h->lambda0 = run->wavelength_A / 1e10;
    }
}

nbcl_status nbcl_engine_write_smv(const nbcl_engine *e, const nbcl_run_info *run, const char *path,
                                  const uint16_t *counts, int is_noise_image)
{
    nbcl_status s = need(e, path, counts, "nbcl_engine_write_smv");
    if (!s) s = one_panel(e, "an SMV image", path);
    if (s) return s;
    nbcl_smv_header h;
    smv_header_of_run(e, run, is_noise_image, &h);
    nbcl_err err = {0};
    return nbcl_smv_write(path, &h, counts, &err) ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

nbcl_status nbcl_engine_write_smv_float(const nbcl_engine *e, const nbcl_run_info *run,
                                        const char *path, const float *image, double scale,
                                        double adc_offset)
{
    nbcl_status s = need(e, path, image, "nbcl_engine_write_smv_float");
    if (!s) s = one_panel(e, "an SMV image", path);
    if (s) return s;
    nbcl_smv_header h;
    smv_header_of_run(e, run, 0, &h);
    int roi[4];
    roi_of(&e->sim, roi);
    nbcl_err err = {0};
    return nbcl_smv_write_float(path, &h, image, roi, scale, adc_offset, &err)
               ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

nbcl_status nbcl_engine_write_pgm(const nbcl_engine *e, const char *path, const float *image,
                                  double scale)
{
    nbcl_status s = need(e, path, image, "nbcl_engine_write_pgm");
    if (!s) s = one_panel(e, "a PGM image", path);
    if (s) return s;
    int roi[4];
    roi_of(&e->sim, roi);
    nbcl_err err = {0};
    return nbcl_pgm_write(path, image, e->sim.fpixels, e->sim.spixels, roi, scale, &err)
               ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

nbcl_status nbcl_engine_write_png(const nbcl_engine *e, const char *path, const float *image,
                                  int log_scale)
{
    nbcl_status s = need(e, path, image, "nbcl_engine_write_png");
    if (s) return s;
    nbcl_png_opts po;
    nbcl_png_opts_default(&po);
    po.log = log_scale;
    nbcl_err err = {0};
    if (e->sim.npanels > 1) {     /* the panels where they are, seen from the sample */
        float *canvas;
        unsigned short *mask;
        int w, h;
        if (nbcl_panel_layout(&e->sim, image, e->mask, PANEL_PICTURE_SIDE, &canvas, &mask, &w, &h, &err))
            return nbcl_api_fail(&err, NBCL_E_INVALID);
        int rc = nbcl_png_write_preview(path, canvas, w, h, mask, &po, &err);
        free(canvas);
        free(mask);
        return rc ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
    }
    return nbcl_png_write_preview(path, image, e->sim.fpixels, e->sim.spixels, e->mask, &po, &err)
               ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}
