/* sim.c: nbcl_sim_resolve, the one place where a command line becomes a simulation.
 * Runs the setup steps in the reference's order (beam and fluence, detector, crystal,
 * sampling, structure factors) and prints the reference's summary so logs can be diffed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model/geometry.h"
#include "model/noise.h"
#include "model/sampling.h"
#include "base/constants.h"
#include "base/vec3.h"
#include "base/memcap.h"


double nbcl_fluence_of(double fluence, double flux, double exposure, double beamsize)
{
    if (flux != 0.0 && exposure > 0.0 && beamsize >= 0) return flux * exposure / beamsize / beamsize;
    return fluence;
}

static void beam_and_fluence(const nbcl_config *c, nbcl_sim *s, double size[3], nbcl_log *log)
{
    s->lambda0 = c->lambda0;
    s->fluence = c->fluence;
    s->flux = c->flux;
    s->exposure = c->exposure;
    s->beamsize = c->beamsize;
    size[0] = c->sample_x; size[1] = c->sample_y; size[2] = c->sample_z;
    s->fluence = nbcl_fluence_of(c->fluence, s->flux, s->exposure, s->beamsize);
    if (s->beamsize >= 0) {
        if (s->beamsize < size[1]) {
            nbcl_logf(log, "WARNING: clipping sample (%lg m high) with beam (%lg m)\n", size[1], s->beamsize);
            size[1] = s->beamsize;
        }
        if (s->beamsize < size[2]) {
            nbcl_logf(log, "WARNING: clipping sample (%lg m wide) with beam (%lg m)\n", size[2], s->beamsize);
            size[2] = s->beamsize;
        }
    }
    if (s->exposure > 0.0) s->flux = s->fluence / s->exposure * s->beamsize * s->beamsize;
    s->polarization = c->polarization;
    s->nopolar = c->nopolar;
}

static int pick_oversample(const nbcl_config *c, nbcl_sim *s, nbcl_log *log)
{
    double xmax = s->xtalsize[0];
    if (xmax < s->xtalsize[1]) xmax = s->xtalsize[1];
    if (xmax < s->xtalsize[2]) xmax = s->xtalsize[2];
    double rps = s->lambda0 * s->distance / s->pixel_size;
    int rec = (int)ceil(3.0 * xmax / rps);
    if (rec <= 0) rec = 1;
    s->oversample = c->oversample;
    if (s->oversample <= 0) {
        s->oversample = rec;
        nbcl_logf(log, "auto-selected %d-fold oversampling\n", s->oversample);
    }
    if (s->oversample < rec && log) {
        nbcl_logf(log, "WARNING: maximum dimension of sample is %g A\n", xmax * 1e10);
        nbcl_logf(log, "         but reciprocal pixel size is %g A\n", rps * 1e10);
        nbcl_logf(log, "         intensity may vary significantly across a pixel!\n");
        nbcl_logf(log, "         recommend -oversample %d to work around this\n", rec);
    }
    s->subpixel_size = s->pixel_size / s->oversample;
    return 0;
}

static int structure_factors(const nbcl_config *c, const nbcl_model_loaders *ld, nbcl_sim *s,
                             nbcl_log *log, nbcl_err *err)
{
    memset(&s->hkl, 0, sizeof s->hkl);
    s->default_F = c->default_F;
    nbcl_memory_cap_set_gb(c->max_memory_gb);   /* the grid's cap: -max_memory, else half the RAM */
    if (ld && ld->structure_factors && ld->structure_factors(ld->user, c, &s->hkl, log, err))
        return -1;
    if (!s->hkl.F && c->hklfile)
        return nbcl_err_code(err, NBCL_E_INVALID, "-hkl %s: no reader for HKL files here", c->hklfile);
    if (!s->hkl.F && c->default_F == 0.0)
        return nbcl_err_code(err, NBCL_E_INVALID, "-hkl: no structure factors: give -hkl FILE or "
                             "-default_F F (no %s to read either)", c->dumpfile);
    return 0;
}

static void print_summary(const nbcl_sim *s, nbcl_log *log)
{
    static const char *shapes[] = {"parallelpiped", "ellipsoidal", "gaussian", "tophat-spot"};
    nbcl_logf(log, "  %ld initialized hkls (all others =%g)\n", s->hkl.hkls, s->default_F);
    nbcl_logf(log, "  %s xtal: %.0fx%.0fx%.0f cells\n", shapes[s->shape], s->Na, s->Nb, s->Nc);
    nbcl_logf(log, "  wave=%g meters +/- %g%% in %d steps\n", s->lambda0, s->dispersion * 100, s->dispsteps);
    if (s->nopolar) nbcl_logf(log, "  polarization effect disabled\n");
    else nbcl_logf(log, "  Kahn polarization factor: %f\n", s->polarization);
    if (s->curved_detector) nbcl_logf(log, "  curved detector: all pixels same distance from origin\n");
    if (s->point_pixel) nbcl_logf(log, "  pixel obliquity effect disabled\n");
    nbcl_logf(log, "  incident fluence: %lg photons/m^2\n", s->fluence);
    nbcl_logf(log, "  distance=%lg detsize=%lgx%lg  pixel=%lg meters (%dx%d pixels)\n", s->distance,
            s->detsize_f, s->detsize_s, s->pixel_size, s->fpixels, s->spixels);
    nbcl_logf(log, "  sensor is %lg m thick in %d layers with mu= %lg\n", s->thick, s->thicksteps, s->mu);
    nbcl_logf(log, "  Xbeam=%lg Ybeam=%lg\n", s->Xbeam, s->Ybeam);
    nbcl_logf(log, "  Fbeam=%lg Sbeam=%lg\n", s->Fbeam, s->Sbeam);
    nbcl_logf(log, "  Xclose=%lg Yclose=%lg\n", s->Xclose, s->Yclose);
    nbcl_logf(log, "  Fclose=%lg Sclose=%lg\n", s->Fclose, s->Sclose);
    nbcl_logf(log, "  DIRECTION_OF_DETECTOR_X-AXIS= %g %g %g\n", s->fdet[0], s->fdet[1], s->fdet[2]);
    nbcl_logf(log, "  DIRECTION_OF_DETECTOR_Y-AXIS= %g %g %g\n", s->sdet[0], s->sdet[1], s->sdet[2]);
    nbcl_logf(log, "  DIRECTION_OF_DETECTOR_Z-AXIS= %g %g %g\n", s->odet[0], s->odet[1], s->odet[2]);
    nbcl_logf(log, "  INCIDENT_BEAM_DIRECTION= %g %g %g\n", s->beam[0], s->beam[1], s->beam[2]);
    nbcl_logf(log, "  spindle ROTATION_AXIS= %g %g %g\n", s->spindle[0], s->spindle[1], s->spindle[2]);
    double pn[3];
    v3_cross(s->beam, s->polar_vector, pn);
    nbcl_logf(log, "  POLARIZATION_PLANE_NORMAL= %g %g %g\n", pn[0], pn[1], pn[2]);
    nbcl_logf(log, "  dials origin= %g %g %g\n", s->dials_origin[0], s->dials_origin[1], s->dials_origin[2]);
    nbcl_logf(log, "  roi: %d < x < %d && %d < y < %d\n", s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax);
    nbcl_logf(log, "  hdivrange=%g hdivstep=%g  radians\n", s->hdivrange, s->hdivstep);
    nbcl_logf(log, "  vdivrange=%g vdivstep=%g  radians\n", s->vdivrange, s->vdivstep);
    nbcl_logf(log, "  %d divergence steps\n", s->divsteps);
    nbcl_logf(log, "  %d sources\n", s->nsources);
    nbcl_logf(log, "  %d mosaic domains over mosaic spread of %g degrees\n", s->mosaic_domains, s->mosaic_spread * RTD);
    nbcl_logf(log, "  %d phi steps from %g to %g degrees\n", s->phisteps, s->phi0 * RTD, (s->phi0 + s->osc) * RTD);
    nbcl_logf(log, "  %dx%d pixel oversample steps", s->oversample, s->oversample);
    if (s->oversample_thick) nbcl_logf(log, " +thick");
    if (s->oversample_polar) nbcl_logf(log, " +polar");
    if (s->oversample_omega) nbcl_logf(log, " +omega");
    nbcl_logf(log, "\n");
}

static void print_noise_settings(const nbcl_config *c, nbcl_log *log)
{
    if (c->maskfile) nbcl_logf(log, "  skipping zero-flagged pixels in %s\n", c->maskfile);
    if (!c->calculate_noise) return;
    nbcl_logf(log, "\n  noise image paramters:\n");
    nbcl_logf(log, "  seed: %ld\n", c->seed);
    nbcl_logf(log, "  water droplet size: %g m\n", c->water_size);
    const nbcl_detector_response *r = &c->response;
    if (nbcl_detector_response_is_none(r)) return;
    if (r->psf != NBCL_PSF_NONE && r->psf_fwhm_mm > 0.0) {
        nbcl_logf(log, "  %s PSF fwhm = %g um", r->psf == NBCL_PSF_FIBER ? "fiber" : "Gaussian",
                  r->psf_fwhm_mm * 1000.0);
        if (r->psf_radius > 0) nbcl_logf(log, " with rendering radius: %d pixels\n", r->psf_radius);
        else nbcl_logf(log, " with automatic rendering radius\n");
    }
    nbcl_logf(log, "  calibration noise seed: %ld\n", r->calibration_seed);
    nbcl_logf(log, "  calibration_noise = %g %%\n", r->calibration_noise * 100);
    nbcl_logf(log, "  readout_noise = %g ADU\n", r->readout_noise);
    nbcl_logf(log, "  flicker_noise = %g %%\n", r->flicker_noise * 100);
    nbcl_logf(log, "  quantum_gain = %g ADU/photon\n", r->gain);
    nbcl_logf(log, "  adc_offset = %g ADU\n", c->adc_offset);
}

double nbcl_water_background(const nbcl_sim *s)
{
    double F_bg = 2.57, water_MW = 18.0;
    return F_bg * F_bg * s->r_e_sqr * s->fluence * s->water_size * s->water_size *
           s->water_size * 1e6 * AVOGADRO / water_MW;
}

/* the -stol table and the molecules of amorphous material in the beam, as nonBragg.c */
static int amorphous_background(const nbcl_config *c, const nbcl_model_loaders *ld, nbcl_sim *s,
                                nbcl_log *log, nbcl_err *err)
{
    if (!c->stolfile) return 0;
    if (!ld || !ld->stol_table)
        return nbcl_err_code(err, NBCL_E_INVALID, "%s %s: no reader for scattering tables here",
                             c->stolflag, c->stolfile);
    nbcl_logf(log, "reading %s\n", c->stolfile);
    double *x = NULL, *F = NULL;
    int rows = 0;
    if (ld->stol_table(ld->user, c, &x, &F, &rows, err)) return -1;
    s->bg_table = malloc(2 * (size_t)rows * sizeof *s->bg_table);
    if (!s->bg_table) {
        free(x);
        free(F);
        return nbcl_err_code(err, NBCL_E_NOMEM, "%s %s: out of memory", c->stolflag, c->stolfile);
    }
    for (int i = 0; i < rows; ++i) {
        s->bg_table[i] = x[i] * c->stol_mult;
        s->bg_table[rows + i] = F[i];
    }
    free(x);
    free(F);
    s->bg_rows = rows;
    double volume = c->amorphous_thick * s->beamsize * s->beamsize;
    s->bg_molecules = volume * c->amorphous_density * AVOGADRO / c->amorphous_MW;
    nbcl_logf(log, "  %d scattering-table points (cubic interpolation between them)\n", rows);
    nbcl_logf(log, "  amorphous material %g m thick x %g m beam, %g g/cm^3 and %g g/mol (%g molecules)\n",
              c->amorphous_thick, s->beamsize, c->amorphous_density / 1e6, c->amorphous_MW,
              s->bg_molecules);
    return 0;
}

int nbcl_sim_resolve(const nbcl_config *c, const nbcl_model_loaders *ld, nbcl_sim *s,
                     nbcl_rng *rng, nbcl_log *log, nbcl_err *err)
{
    memset(s, 0, sizeof *s);
    double size[3];
    s->r_e_sqr = NBCL_R_E_SQR;
    s->npanels = 1;
    nbcl_logf(log, "nanoBragg-CL nanocrystal diffraction simulator (after nanoBragg by James Holton and Ken Frankel)\n");
    nbcl_config with_panels;
    nbcl_dxtbx_detector det = {0};
    if (c->detectorfile) {     /* the file's detector, sensor and beam stand in for the flags */
        if (nbcl_panels_config(c, ld, &with_panels, &det, log, err)) return -1;
        c = &with_panels;
    }
    beam_and_fluence(c, s, size, log);
    if (nbcl_geometry_resolve(c, s, log, err) || (det.panels && nbcl_panels_place(&det, c, s, log, err))) {
        free(det.panels);
        nbcl_sim_free(s);
        return -1;
    }

    s->interpolate = c->interpolate;
    if (s->interpolate > 1) {
        s->interpolate = (c->Na <= 2 || c->Nb <= 2 || c->Nc <= 2) ? 1 : 0;
        nbcl_logf(log, s->interpolate ? "auto-selected tricubic interpolation of structure factors\n"
                                             : "auto-selected no interpolation\n");
    }
    if (nbcl_crystal_resolve(c, ld, s, size, rng, log, err)) goto fail;
    pick_oversample(c, s, log);
    if (log) {
        double volume = s->xtalsize[0] * s->xtalsize[1] * s->xtalsize[2];
        nbcl_logf(log, "approximate MW = %g\n", volume * 1.2e6 * AVOGADRO / (s->Na * s->Nb * s->Nc));
    }
    if (structure_factors(c, ld, s, log, err)) goto fail;
    if (s->hkl.hkls == 0) s->interpolate = 0;
    s->shape = c->shape;
    s->fudge = c->fudge;
    if (nbcl_sampling_resolve(c, ld, s, rng, log, err)) goto fail;
    s->steps = (long)s->nsources * s->mosaic_domains * s->phisteps * s->oversample * s->oversample;
    s->water_size = c->water_size;
    s->I_bg = nbcl_water_background(s);
    s->response = c->response;
    if (amorphous_background(c, ld, s, log, err)) goto fail;
    if (log) {
        print_summary(s, log);
        print_noise_settings(c, log);
    }
    return 0;
fail:
    nbcl_sim_free(s);
    return -1;
}

static int copy_doubles(const double *from, size_t n, double **to)
{
    *to = NULL;
    if (!from) return 0;
    *to = malloc((n ? n : 1) * sizeof(double));
    if (!*to) return -1;
    memcpy(*to, from, n * sizeof(double));
    return 0;
}

static int copy_ints(const int *from, size_t n, int **to)
{
    *to = NULL;
    if (!from) return 0;
    *to = malloc((n ? n : 1) * sizeof(int));
    if (!*to) return -1;
    memcpy(*to, from, n * sizeof(int));
    return 0;
}

int nbcl_sim_copy(const nbcl_sim *from, nbcl_sim *to, nbcl_err *err)
{
    *to = *from;
    to->source_dir = to->source_weight = to->source_lambda = to->mosaic_umats = NULL;
    to->source_kind = NULL;
    to->panels = NULL;
    to->bg_table = NULL;
    memset(&to->hkl, 0, sizeof to->hkl);
    if (from->panels) {
        to->panels = malloc(sizeof *to->panels * (size_t)from->npanels);
        if (!to->panels) {
            nbcl_sim_free(to);
            return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory copying the panels");
        }
        memcpy(to->panels, from->panels, sizeof *to->panels * (size_t)from->npanels);
    }
    size_t ns = (size_t)from->nsources, nm = (size_t)from->mosaic_domains;
    if (copy_doubles(from->source_dir, 3 * ns, &to->source_dir) ||
        copy_doubles(from->source_weight, ns, &to->source_weight) ||
        copy_doubles(from->source_lambda, ns, &to->source_lambda) ||
        copy_doubles(from->mosaic_umats, 9 * nm, &to->mosaic_umats) ||
        copy_ints(from->source_kind, ns, &to->source_kind) ||
        copy_doubles(from->bg_table, 2 * (size_t)from->bg_rows, &to->bg_table)) {
        nbcl_sim_free(to);
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory copying the simulation");
    }
    if (nbcl_hkl_copy(&from->hkl, &to->hkl, err)) {
        nbcl_sim_free(to);
        return -1;
    }
    return 0;
}

void nbcl_sim_free(nbcl_sim *s)
{
    nbcl_sampling_free(s);
    nbcl_hkl_free(&s->hkl);
    free(s->panels);
    free(s->bg_table);
    memset(s, 0, sizeof *s);
}
