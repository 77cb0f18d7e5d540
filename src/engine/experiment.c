/* experiment.c: the public nbcl_experiment: a nanoBragg run described by flags and setters,
 * then resolved once (files read, defaults applied) into the simulation engines are made
 * from. It owns copies of every string it was given, the -mask pixels, and the generator
 * state after setup (the noise image continues from it, as in nanoBragg). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/constants.h"
#include "base/roi_span.h"
#include "engine/experiment.h"
#include "model/psf.h"
#include "engine/series.h"
#include "io/formats_module.h"
#include "io/hkl.h"

static nbcl_status fail_state(const char *call)
{
    nbcl_err err = {0};
    nbcl_err_code(&err, NBCL_E_STATE, "%s: the experiment is already resolved", call);
    return nbcl_api_fail(&err, NBCL_E_STATE);
}

#define NEEDS_UNRESOLVED(exp, call) \
    do { \
        if (!(exp)) return nbcl_api_invalid(call ": no experiment"); \
        if ((exp)->resolved) return fail_state(call); \
    } while (0)

static void default_seeds(nbcl_config *c)
{
    c->seed = -(long)time(NULL);
    c->misset_seed = c->seed;
}

nbcl_status nbcl_experiment_create(nbcl_experiment **out)
{
    if (!out) return nbcl_api_invalid("nbcl_experiment_create: out is NULL");
    nbcl_experiment *exp = calloc(1, sizeof *exp);
    if (!exp) return nbcl_api_nomem("nbcl_experiment_create");
    nbcl_config_defaults(&exp->cfg);
    default_seeds(&exp->cfg);
    nbcl_rng_init(&exp->rng);
    *out = exp;
    return NBCL_OK;
}

static void free_args(nbcl_experiment *exp)
{
    for (int i = 0; i < exp->nargs; ++i) free(exp->args[i]);
    free(exp->args);
    exp->args = NULL;
    exp->nargs = 0;
}

void nbcl_experiment_destroy(nbcl_experiment *exp)
{
    if (!exp) return;
    free_args(exp);
    nbcl_setup_files_free(&exp->files);
    if (exp->resolved) nbcl_sim_free(&exp->sim);
    nbcl_series_free(exp);
    free(exp);
}

void nbcl_experiment_set_log(nbcl_experiment *exp, nbcl_log_fn fn, void *user)
{
    if (exp) nbcl_log_init(&exp->log, fn, user);
}

/* argv copied, with a program name in front as the parser expects */
static int copy_args(nbcl_experiment *exp, int argc, const char *const *argv)
{
    exp->args = calloc((size_t)argc + 2, sizeof *exp->args);
    if (!exp->args) return -1;
    exp->nargs = argc + 1;
    exp->args[0] = strdup("nanobragg-cl");
    if (!exp->args[0]) return -1;
    for (int i = 0; i < argc; ++i)
        if (!(exp->args[i + 1] = strdup(argv[i] ? argv[i] : ""))) return -1;
    return 0;
}

nbcl_status nbcl_experiment_parse_args(nbcl_experiment *exp, int argc, const char *const *argv)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_parse_args");
    if (argc < 0 || (argc > 0 && !argv)) return nbcl_api_invalid("nbcl_experiment_parse_args: no arguments");
    free_args(exp);
    nbcl_setup_files_free(&exp->files);
    if (copy_args(exp, argc, argv)) {
        free_args(exp);
        return nbcl_api_nomem("nbcl_experiment_parse_args");
    }
    nbcl_err err = {0};
    enum nbcl_cli_action action;
    if (nbcl_setup_parse(exp->nargs, exp->args, &exp->cfg, &action, &exp->files, &err)) {
        nbcl_config_defaults(&exp->cfg);
        default_seeds(&exp->cfg);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    exp->request = action == NBCL_CLI_HELP ? NBCL_REQUEST_HELP
                 : action == NBCL_CLI_LIST_DEVICES ? NBCL_REQUEST_LIST_DEVICES : NBCL_REQUEST_RUN;
    return NBCL_OK;
}

nbcl_request nbcl_experiment_request(const nbcl_experiment *exp)
{
    return exp ? exp->request : NBCL_REQUEST_RUN;
}

const char *nbcl_args_help(void)
{
    return nbcl_cli_help();
}

/* ---- setters ---- */

static int finite_all(const double *v, int n)
{
    for (int i = 0; i < n; ++i)
        if (!isfinite(v[i])) return 0;
    return 1;
}

nbcl_status nbcl_experiment_set_cell(nbcl_experiment *exp, double a, double b, double c,
                                     double alpha, double beta, double gamma)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_cell");
    double v[6] = {a, b, c, alpha, beta, gamma};
    if (!finite_all(v, 6) || a <= 0 || b <= 0 || c <= 0 || alpha <= 0 || beta <= 0 || gamma <= 0 ||
        alpha >= 180 || beta >= 180 || gamma >= 180)
        return nbcl_api_invalid("cell: lengths must be positive and angles between 0 and 180 degrees");
    exp->cfg.user_cell = 1;
    exp->cfg.matfile = NULL;
    for (int k = 0; k < 6; ++k) exp->cfg.cell[k] = k < 3 ? v[k] : v[k] / RTD;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_wavelength(nbcl_experiment *exp, double angstrom)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_wavelength");
    if (!(angstrom > 0) || !isfinite(angstrom)) return nbcl_api_invalid("wavelength: must be a positive number of Angstrom");
    exp->cfg.lambda0 = angstrom / 1e10;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_detector(nbcl_experiment *exp, int fast_pixels, int slow_pixels,
                                         double pixel_mm, double distance_mm)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_detector");
    if (fast_pixels <= 0 || slow_pixels <= 0 || fast_pixels > 1000000 || slow_pixels > 1000000)
        return nbcl_api_invalid("detector: pixel counts must be between 1 and 1000000");
    if (!(pixel_mm > 0) || !isfinite(pixel_mm) || !(distance_mm > 0) || !isfinite(distance_mm))
        return nbcl_api_invalid("detector: pixel size and distance must be positive (mm)");
    exp->cfg.fpixels = fast_pixels;
    exp->cfg.spixels = slow_pixels;
    exp->cfg.pixel_size = pixel_mm / 1000.0;
    exp->cfg.distance = distance_mm / 1000.0;
    exp->cfg.pivot = NBCL_PIVOT_BEAM;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_beam_center(nbcl_experiment *exp, double xbeam_mm, double ybeam_mm)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_beam_center");
    if (!isfinite(xbeam_mm) || !isfinite(ybeam_mm)) return nbcl_api_invalid("beam centre: must be finite (mm)");
    exp->cfg.Xbeam = xbeam_mm / 1000.0;
    exp->cfg.Ybeam = ybeam_mm / 1000.0;
    exp->cfg.pivot = NBCL_PIVOT_BEAM;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_crystal_cells(nbcl_experiment *exp, double Na, double Nb, double Nc)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_crystal_cells");
    double v[3] = {Na, Nb, Nc};
    for (int k = 0; k < 3; ++k)
        if (!(v[k] >= 1.0) || v[k] > 1e6) return nbcl_api_invalid("crystal cells: Na, Nb, Nc must be between 1 and 1e6");
    exp->cfg.Na = Na;
    exp->cfg.Nb = Nb;
    exp->cfg.Nc = Nc;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_shape(nbcl_experiment *exp, nbcl_shape shape)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_shape");
    if (shape < NBCL_SHAPE_SQUARE || shape > NBCL_SHAPE_TOPHAT) return nbcl_api_invalid("shape: unknown crystal shape");
    exp->cfg.shape = shape;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_default_F(nbcl_experiment *exp, double F)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_default_F");
    if (!isfinite(F) || F < 0) return nbcl_api_invalid("default_F: must be a finite number >= 0");
    exp->cfg.default_F = F;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_structure_factors(nbcl_experiment *exp, size_t n, const int *hkl,
                                                  const double *F)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_structure_factors");
    for (size_t i = 0; F && i < n; ++i)
        if (!isfinite(F[i])) return nbcl_api_invalid("structure factors: every F must be finite");
    nbcl_err err = {0};
    nbcl_hkl table;
    if (nbcl_hkl_from_list(n, hkl, F, 0.0, &table, &err)) return nbcl_api_fail(&err, NBCL_E_INVALID);
    nbcl_hkl_free(&exp->files.hkl);
    exp->files.hkl = table;
    exp->cfg.hklfile = NULL;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_misset(nbcl_experiment *exp, double rx, double ry, double rz)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_misset");
    double v[3] = {rx, ry, rz};
    if (!finite_all(v, 3)) return nbcl_api_invalid("misset: angles must be finite (degrees)");
    exp->cfg.misset_mode = 1;
    for (int k = 0; k < 3; ++k) exp->cfg.misset[k] = v[k] / RTD;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_rotation(nbcl_experiment *exp, double phi_deg, double osc_deg,
                                         int phisteps)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_rotation");
    if (!isfinite(phi_deg) || !isfinite(osc_deg) || osc_deg < 0 || phisteps <= 0)
        return nbcl_api_invalid("rotation: phi and osc must be finite, osc >= 0, phisteps >= 1");
    exp->cfg.phi0 = phi_deg / RTD;
    exp->cfg.osc = osc_deg / RTD;
    exp->cfg.phisteps = phisteps;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_mosaic(nbcl_experiment *exp, double spread_deg, int domains)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_mosaic");
    if (!isfinite(spread_deg) || spread_deg < 0 || domains <= 0)
        return nbcl_api_invalid("mosaic: spread must be >= 0 degrees and domains >= 1");
    exp->cfg.mosaic_spread = spread_deg / RTD;
    exp->cfg.mosaic_domains = domains;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_fluence(nbcl_experiment *exp, double photons_per_m2)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_fluence");
    if (!(photons_per_m2 > 0) || !isfinite(photons_per_m2)) return nbcl_api_invalid("fluence: must be positive");
    exp->cfg.fluence = photons_per_m2;
    exp->cfg.flux = 0.0;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_oversample(nbcl_experiment *exp, int n)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_oversample");
    if (n <= 0 || n > 1000) return nbcl_api_invalid("oversample: must be between 1 and 1000");
    exp->cfg.oversample = n;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_set_detector_response(nbcl_experiment *exp,
                                                  const nbcl_detector_response *r)
{
    NEEDS_UNRESOLVED(exp, "nbcl_experiment_set_detector_response");
    if (!r) return nbcl_api_invalid("detector response: NULL");
    if (r->psf != NBCL_PSF_NONE && r->psf != NBCL_PSF_GAUSS && r->psf != NBCL_PSF_FIBER)
        return nbcl_api_invalid("detector response: unknown point-spread shape");
    if (!(r->psf_fwhm_mm >= 0.0 && r->psf_fwhm_mm <= 10.0))
        return nbcl_api_invalid("detector response: psf_fwhm_mm must be between 0 and 10 mm");
    if (r->psf_radius < 0 || r->psf_radius > NBCL_PSF_MAX_RADIUS)
        return nbcl_api_invalid("detector response: psf_radius must be between 0 (automatic) and 200 pixels");
    if (!(r->gain > 0.0) || !isfinite(r->gain)) return nbcl_api_invalid("detector response: gain must be positive");
    if (!(r->readout_noise >= 0.0 && r->calibration_noise >= 0.0 && r->flicker_noise >= 0.0) ||
        !isfinite(r->readout_noise + r->calibration_noise + r->flicker_noise))
        return nbcl_api_invalid("detector response: noise levels must be zero or positive");
    exp->cfg.response = *r;
    return NBCL_OK;
}

/* ---- resolving ---- */

nbcl_status nbcl_experiment_resolve(nbcl_experiment *exp)
{
    if (!exp) return nbcl_api_invalid("nbcl_experiment_resolve: no experiment");
    if (exp->resolved) return NBCL_OK;
    for (int i = 0; i < exp->cfg.n_no_effect; ++i)
        nbcl_logf(&exp->log, "note: %s is accepted for compatibility and has no effect on the image\n",
                  exp->cfg.no_effect[i]);
    if (exp->cfg.amorphous_given && !exp->cfg.stolfile)
        nbcl_logf(&exp->log, "note: the thickness, density and molecular weight of the amorphous "
                             "material have no effect without -stol\n");
    nbcl_err err = {0};
    /* the CBF and NeXus writers' module, loaded now rather than after the simulation */
    if ((exp->cfg.cbffile && !nbcl_formats_load("-cbffile", exp->cfg.cbffile, &err)) ||
        (exp->cfg.nexusfile && !nbcl_formats_load("-nexusfile", exp->cfg.nexusfile, &err)))
        return nbcl_api_fail(&err, NBCL_E_FILE);
    nbcl_rng_init(&exp->rng);
    int rc = nbcl_setup_resolve(&exp->cfg, &exp->files, &exp->sim, &exp->rng, &exp->log, &err);
    nbcl_log_flush(&exp->log);
    if (rc) return nbcl_api_fail(&err, NBCL_E_INVALID);
    if (nbcl_series_resolve(exp, &err)) {
        nbcl_sim_free(&exp->sim);
        nbcl_series_free(exp);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    exp->resolved = 1;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_detector_size(const nbcl_experiment *exp, int *fast, int *slow)
{
    if (!exp || !fast || !slow) return nbcl_api_invalid("nbcl_experiment_detector_size: NULL argument");
    if (!exp->resolved) {
        return nbcl_api_state("nbcl_experiment_detector_size: resolve the experiment first");
    }
    *fast = exp->sim.fpixels;
    *slow = exp->sim.spixels;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_roi(const nbcl_experiment *exp, int roi[4])
{
    if (!exp || !roi) return nbcl_api_invalid("nbcl_experiment_roi: NULL argument");
    if (!exp->resolved) return nbcl_api_state("nbcl_experiment_roi: resolve the experiment first");
    const nbcl_sim *s = &exp->sim;
    nbcl_roi_span r = nbcl_roi_on_detector(s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax,
                                           s->fpixels, s->spixels);
    roi[0] = r.x0;
    roi[1] = r.x1;
    roi[2] = r.y0;
    roi[3] = r.y1;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_write_fdump(const nbcl_experiment *exp, const char *path)
{
    if (!exp || !path) return nbcl_api_invalid("nbcl_experiment_write_fdump: NULL argument");
    nbcl_err err = {0};
    if (!exp->resolved || !exp->sim.hkl.F) {
        nbcl_err_code(&err, NBCL_E_STATE, "%s: no structure-factor table to dump (resolve an experiment "
                      "with -hkl first)", path);
        return nbcl_api_fail(&err, NBCL_E_STATE);
    }
    nbcl_log *log = (nbcl_log *)&exp->log;
    int rc = nbcl_fdump_save(path, &exp->sim.hkl, log, &err);
    nbcl_log_flush(log);
    return rc ? nbcl_api_fail(&err, NBCL_E_FILE) : NBCL_OK;
}

nbcl_status nbcl_experiment_outputs(const nbcl_experiment *exp, nbcl_outputs *o)
{
    if (!exp || !o) return nbcl_api_invalid("nbcl_experiment_outputs: NULL argument");
    const nbcl_config *c = &exp->cfg;
    memset(o, 0, sizeof *o);
    o->floatfile = c->floatfile;
    o->intfile = c->intfile;
    o->noisefile = c->calculate_noise ? c->noisefile : NULL;
    o->pgmfile = c->write_pgm ? c->pgmfile : NULL;
    o->pngfile = c->pngfile;
    o->noisepngfile = c->calculate_noise ? c->noisepngfile : NULL;
    o->floatfile_given = (c->outputs_given & NBCL_GIVEN_FLOAT) != 0;
    o->intfile_given = (c->outputs_given & NBCL_GIVEN_INT) != 0;
    o->noisefile_given = (c->outputs_given & NBCL_GIVEN_NOISE) != 0;
    o->pgmfile_given = (c->outputs_given & NBCL_GIVEN_PGM) != 0;
    o->cbffile = c->cbffile;
    o->nexusfile = c->nexusfile;
    o->dumpfile = (exp->resolved ? exp->files.hkl_from_text : c->hklfile != NULL) ? c->dumpfile : NULL;
    o->png_log = c->pnglog;
    o->intfile_scale = c->intfile_scale;
    o->pgm_scale = c->pgm_scale;
    o->adc_offset = c->adc_offset;
    o->printout = c->printout;
    o->printout_fpixel = c->printout_fpixel;
    o->printout_spixel = c->printout_spixel;
    o->progress = c->progress;
    o->timing = c->timing;
    o->seed = -c->seed;
    for (int i = 0; i < c->n_no_effect && i < 8; ++i) o->no_effect[i] = c->no_effect[i];
    o->n_no_effect = c->n_no_effect;
    o->detectorfile = c->detectorfile;
    return NBCL_OK;
}
