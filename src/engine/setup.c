/* setup.c: command line and files to a resolved simulation (see setup.h).
 * nanoBragg reads both SMV headers before the command line, mask first, so a header value
 * is a default that the command line overrides and -img beats -mask. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/constants.h"
#include "engine/setup.h"
#include "io/expt.h"
#include "io/hkl.h"
#include "io/matfile.h"
#include "io/smv.h"
#include "io/sourcefile.h"
#include "io/stolfile.h"

static void apply_header(nbcl_config *c, const nbcl_smv_image *img, int is_mask)
{
    double v;
    c->fpixels = img->width;
    c->spixels = img->height;
    if (!isnan(v = nbcl_smv_value(img, "PIXEL_SIZE"))) c->pixel_size = v / 1000.0;
    c->detsize_f = c->pixel_size * c->fpixels;
    c->detsize_s = c->pixel_size * c->spixels;
    if (!isnan(v = nbcl_smv_value(img, "DISTANCE"))) c->distance = v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "CLOSE_DISTANCE"))) c->close_distance = v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "WAVELENGTH"))) c->lambda0 = v / 1e10;
    if (!isnan(v = nbcl_smv_value(img, "BEAM_CENTER_X"))) c->Xbeam = v / 1000.0;
    /* a mask's Y centre is measured from the other edge */
    if (!isnan(v = nbcl_smv_value(img, "BEAM_CENTER_Y")))
        c->Ybeam = is_mask ? c->detsize_s - v / 1000.0 : v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "ORGX"))) c->ORGX = v;
    if (!isnan(v = nbcl_smv_value(img, "ORGY"))) c->ORGY = v;
    if (!isnan(v = nbcl_smv_value(img, "PHI"))) {
        c->phi_deg = v;
        c->phi0 = v / RTD;
    }
    if (!isnan(v = nbcl_smv_value(img, "OSC_RANGE"))) {
        c->osc_deg = v;
        c->osc = v / RTD;
    }
    /* TWOTHETA is read by the reference into a variable it never uses: no effect */
}

/* the parser's hook: headers of -mask then -img; the mask's pixels are kept */
static int read_headers(void *user, nbcl_config *c, const char *mask, const char *img, nbcl_err *err)
{
    nbcl_setup_files *files = user;
    const char *names[2] = {mask, img};
    for (int i = 0; i < 2; ++i) {
        if (!names[i]) continue;
        nbcl_smv_image im;
        if (nbcl_smv_read(names[i], &im, err)) {
            if (!err->code) err->code = NBCL_E_FILE;
            return -1;
        }
        apply_header(c, &im, i == 0);
        if (i == 0) {
            free(files->mask);
            files->mask = im.data;
            files->mask_w = im.width;
            files->mask_h = im.height;
            im.data = NULL;
        }
        nbcl_smv_free(&im);
    }
    return 0;
}

int nbcl_setup_parse(int argc, char **argv, nbcl_config *cfg, enum nbcl_cli_action *action,
                     nbcl_setup_files *files, nbcl_err *err)
{
    nbcl_cli_hooks hooks = {files, read_headers};
    int rc = nbcl_cli_parse(argc, argv, cfg, action, &hooks, err);
    if (rc && err && !err->code) err->code = NBCL_E_INVALID;
    return rc;
}

/* ---- the model's loaders ---- */

static int load_structure_factors(void *user, const nbcl_config *c, nbcl_hkl *out, nbcl_log *log,
                                  nbcl_err *err)
{
    nbcl_setup_files *files = user;
    memset(out, 0, sizeof *out);
    if (files->hkl.F) {            /* handed in: moved into the simulation */
        *out = files->hkl;
        memset(&files->hkl, 0, sizeof files->hkl);
        return 0;
    }
    int rc = 0;
    if (c->hklfile) {
        rc = nbcl_hkl_read(c->hklfile, c->default_F, out, log, err);
        files->hkl_from_text = rc == 0;
    } else if (access(c->dumpfile, F_OK) == 0) {
        rc = nbcl_fdump_load(c->dumpfile, out, log, err);
    }
    if (rc && !err->code) err->code = NBCL_E_FILE;
    return rc;
}

static int load_matrix(void *user, const nbcl_config *c, double m[9], nbcl_log *log, nbcl_err *err)
{
    (void)user;
    return nbcl_matfile_read(c->matfile, m, log, err);
}

static int load_sources(void *user, const nbcl_config *c, double **rows, int *count, nbcl_err *err)
{
    (void)user;
    return nbcl_sourcefile_read(c->sourcefile, rows, count, err);
}

static int load_detector(void *user, const nbcl_config *c, nbcl_dxtbx_detector *out, nbcl_log *log,
                         nbcl_err *err)
{
    (void)user;
    (void)log;
    return nbcl_expt_read(c->detectorfile, out, err);
}

static int load_stol_table(void *user, const nbcl_config *c, double **x, double **F, int *rows,
                           nbcl_err *err)
{
    (void)user;
    return nbcl_stolfile_read(c->stolflag, c->stolfile, x, F, rows, err);
}

int nbcl_setup_resolve(const nbcl_config *cfg, nbcl_setup_files *files, nbcl_sim *sim,
                       nbcl_rng *rng, nbcl_log *log, nbcl_err *err)
{
    nbcl_model_loaders ld = {files, load_structure_factors, load_matrix, load_sources, load_detector,
                             load_stol_table};
    if (files->mask) nbcl_logf(log, "reading %s\n", cfg->maskfile);
    if (nbcl_sim_resolve(cfg, &ld, sim, rng, log, err)) {
        if (!err->code) err->code = NBCL_E_INVALID;
        return -1;
    }
    if (files->mask && (files->mask_w != sim->fpixels || files->mask_h != sim->spixels)) {
        nbcl_err_code(err, NBCL_E_INVALID, "-mask: the mask is %dx%d pixels but the detector is %dx%d",
                      files->mask_w, files->mask_h, sim->fpixels, sim->spixels);
        nbcl_sim_free(sim);
        return -1;
    }
    return 0;
}

void nbcl_setup_files_free(nbcl_setup_files *files)
{
    free(files->mask);
    nbcl_hkl_free(&files->hkl);
    memset(files, 0, sizeof *files);
}
