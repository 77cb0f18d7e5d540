/* sim.c: nbcl_sim_resolve, the one place where a command line becomes a simulation.
 * Runs the setup steps in the reference's order (beam and fluence, detector, crystal,
 * sampling, structure factors) and prints the reference's summary so logs can be diffed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model/geometry.h"
#include "model/sampling.h"
#include "base/vec3.h"

#define RTD (180.0 * M_1_PI)
#define AVOGADRO 6.02214179e23

static void beam_and_fluence(const nbcl_config *c, nbcl_sim *s, double size[3], FILE *log)
{
    s->lambda0 = c->lambda0;
    s->fluence = c->fluence;
    s->flux = c->flux;
    s->exposure = c->exposure;
    s->beamsize = c->beamsize;
    size[0] = c->sample_x; size[1] = c->sample_y; size[2] = c->sample_z;
    if (s->flux != 0.0 && s->exposure > 0.0 && s->beamsize >= 0)
        s->fluence = s->flux * s->exposure / s->beamsize / s->beamsize;
    if (s->beamsize >= 0) {
        if (s->beamsize < size[1]) {
            if (log) fprintf(log, "WARNING: clipping sample (%lg m high) with beam (%lg m)\n", size[1], s->beamsize);
            size[1] = s->beamsize;
        }
        if (s->beamsize < size[2]) {
            if (log) fprintf(log, "WARNING: clipping sample (%lg m wide) with beam (%lg m)\n", size[2], s->beamsize);
            size[2] = s->beamsize;
        }
    }
    if (s->exposure > 0.0) s->flux = s->fluence / s->exposure * s->beamsize * s->beamsize;
    s->polarization = c->polarization;
    s->nopolar = c->nopolar;
}

static int pick_oversample(const nbcl_config *c, nbcl_sim *s, FILE *log)
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
        if (log) fprintf(log, "auto-selected %d-fold oversampling\n", s->oversample);
    }
    if (s->oversample < rec && log) {
        fprintf(log, "WARNING: maximum dimension of sample is %g A\n", xmax * 1e10);
        fprintf(log, "         but reciprocal pixel size is %g A\n", rps * 1e10);
        fprintf(log, "         intensity may vary significantly across a pixel!\n");
        fprintf(log, "         recommend -oversample %d to work around this\n", rec);
    }
    s->subpixel_size = s->pixel_size / s->oversample;
    return 0;
}

static int structure_factors(const nbcl_config *c, nbcl_sim *s, FILE *log, nbcl_err *err)
{
    memset(&s->hkl, 0, sizeof s->hkl);
    s->default_F = c->default_F;
    if (c->hklfile) {
        if (nbcl_hkl_read(c->hklfile, c->default_F, &s->hkl, log, err)) return -1;
        /* like the reference, a dump file that cannot be written is only a warning */
        nbcl_err werr;
        if (nbcl_fdump_save(c->dumpfile, &s->hkl, log, &werr) && log)
            fprintf(log, "WARNING: unable to write dump file: %s\n", werr.msg);
        return 0;
    }
    if (access(c->dumpfile, F_OK) == 0) return nbcl_fdump_load(c->dumpfile, &s->hkl, log, err);
    if (c->default_F == 0.0)
        return nbcl_err_set(err, "-hkl: no structure factors: give -hkl FILE or -default_F F (no %s to read either)",
                            c->dumpfile);
    return 0;
}

static void print_summary(const nbcl_sim *s, FILE *log)
{
    static const char *shapes[] = {"parallelpiped", "ellipsoidal", "gaussian", "tophat-spot"};
    fprintf(log, "  %ld initialized hkls (all others =%g)\n", s->hkl.hkls, s->default_F);
    fprintf(log, "  %s xtal: %.0fx%.0fx%.0f cells\n", shapes[s->shape], s->Na, s->Nb, s->Nc);
    fprintf(log, "  wave=%g meters +/- %g%% in %d steps\n", s->lambda0, s->dispersion * 100, s->dispsteps);
    if (s->nopolar) fprintf(log, "  polarization effect disabled\n");
    else fprintf(log, "  Kahn polarization factor: %f\n", s->polarization);
    if (s->curved_detector) fprintf(log, "  curved detector: all pixels same distance from origin\n");
    if (s->point_pixel) fprintf(log, "  pixel obliquity effect disabled\n");
    fprintf(log, "  incident fluence: %lg photons/m^2\n", s->fluence);
    fprintf(log, "  distance=%lg detsize=%lgx%lg  pixel=%lg meters (%dx%d pixels)\n", s->distance,
            s->detsize_f, s->detsize_s, s->pixel_size, s->fpixels, s->spixels);
    fprintf(log, "  sensor is %lg m thick in %d layers with mu= %lg\n", s->thick, s->thicksteps, s->mu);
    fprintf(log, "  Xbeam=%lg Ybeam=%lg\n", s->Xbeam, s->Ybeam);
    fprintf(log, "  Fbeam=%lg Sbeam=%lg\n", s->Fbeam, s->Sbeam);
    fprintf(log, "  Xclose=%lg Yclose=%lg\n", s->Xclose, s->Yclose);
    fprintf(log, "  Fclose=%lg Sclose=%lg\n", s->Fclose, s->Sclose);
    fprintf(log, "  DIRECTION_OF_DETECTOR_X-AXIS= %g %g %g\n", s->fdet[0], s->fdet[1], s->fdet[2]);
    fprintf(log, "  DIRECTION_OF_DETECTOR_Y-AXIS= %g %g %g\n", s->sdet[0], s->sdet[1], s->sdet[2]);
    fprintf(log, "  DIRECTION_OF_DETECTOR_Z-AXIS= %g %g %g\n", s->odet[0], s->odet[1], s->odet[2]);
    fprintf(log, "  INCIDENT_BEAM_DIRECTION= %g %g %g\n", s->beam[0], s->beam[1], s->beam[2]);
    fprintf(log, "  spindle ROTATION_AXIS= %g %g %g\n", s->spindle[0], s->spindle[1], s->spindle[2]);
    double pn[3];
    v3_cross(s->beam, s->polar_vector, pn);
    fprintf(log, "  POLARIZATION_PLANE_NORMAL= %g %g %g\n", pn[0], pn[1], pn[2]);
    fprintf(log, "  dials origin= %g %g %g\n", s->dials_origin[0], s->dials_origin[1], s->dials_origin[2]);
    fprintf(log, "  roi: %d < x < %d && %d < y < %d\n", s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax);
    fprintf(log, "  hdivrange=%g hdivstep=%g  radians\n", s->hdivrange, s->hdivstep);
    fprintf(log, "  vdivrange=%g vdivstep=%g  radians\n", s->vdivrange, s->vdivstep);
    fprintf(log, "  %d divergence steps\n", s->divsteps);
    fprintf(log, "  %d sources\n", s->nsources);
    fprintf(log, "  %d mosaic domains over mosaic spread of %g degrees\n", s->mosaic_domains, s->mosaic_spread * RTD);
    fprintf(log, "  %d phi steps from %g to %g degrees\n", s->phisteps, s->phi0 * RTD, (s->phi0 + s->osc) * RTD);
    fprintf(log, "  %dx%d pixel oversample steps", s->oversample, s->oversample);
    if (s->oversample_thick) fprintf(log, " +thick");
    if (s->oversample_polar) fprintf(log, " +polar");
    if (s->oversample_omega) fprintf(log, " +omega");
    fprintf(log, "\n");
}

static void print_noise_settings(const nbcl_config *c, FILE *log)
{
    if (c->maskfile) fprintf(log, "  skipping zero-flagged pixels in %s\n", c->maskfile);
    if (!c->calculate_noise) return;
    fprintf(log, "\n  noise image paramters:\n");
    fprintf(log, "  seed: %ld\n", c->seed);
    fprintf(log, "  water droplet size: %g m\n", c->water_size);
}

int nbcl_sim_resolve(const nbcl_config *c, nbcl_sim *s, nbcl_rng *rng, FILE *log, nbcl_err *err)
{
    memset(s, 0, sizeof *s);
    double size[3];
    s->r_e_sqr = 7.94079248018965e-30;
    if (log) fprintf(log, "nanoBragg-CL nanocrystal diffraction simulator (after nanoBragg by James Holton and Ken Frankel)\n");
    beam_and_fluence(c, s, size, log);
    if (nbcl_geometry_resolve(c, s, log, err)) return -1;

    s->interpolate = c->interpolate;
    if (s->interpolate > 1) {
        s->interpolate = (c->Na <= 2 || c->Nb <= 2 || c->Nc <= 2) ? 1 : 0;
        if (log) fprintf(log, s->interpolate ? "auto-selected tricubic interpolation of structure factors\n"
                                             : "auto-selected no interpolation\n");
    }
    if (nbcl_crystal_resolve(c, s, size, rng, log, err)) return -1;
    pick_oversample(c, s, log);
    if (log) {
        double volume = s->xtalsize[0] * s->xtalsize[1] * s->xtalsize[2];
        fprintf(log, "approximate MW = %g\n", volume * 1.2e6 * AVOGADRO / (s->Na * s->Nb * s->Nc));
    }
    if (structure_factors(c, s, log, err)) return -1;
    if (s->hkl.hkls == 0) s->interpolate = 0;
    s->shape = c->shape;
    s->fudge = c->fudge;
    if (nbcl_sampling_resolve(c, s, rng, log, err)) return -1;
    s->steps = (long)s->nsources * s->mosaic_domains * s->phisteps * s->oversample * s->oversample;
    s->water_size = c->water_size;
    double F_bg = 2.57, water_MW = 18.0;
    s->I_bg = F_bg * F_bg * s->r_e_sqr * s->fluence * s->water_size * s->water_size *
              s->water_size * 1e6 * AVOGADRO / water_MW;
    if (log) {
        print_summary(s, log);
        print_noise_settings(c, log);
    }
    return 0;
}

void nbcl_sim_free(nbcl_sim *s)
{
    free(s->source_dir);
    free(s->source_weight);
    free(s->source_lambda);
    free(s->mosaic_umats);
    nbcl_hkl_free(&s->hkl);
    memset(s, 0, sizeof *s);
}
