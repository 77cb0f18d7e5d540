/* config.c: the reference's defaults for every option, before the command line is read. */
#include <math.h>
#include <string.h>
#include "model/config.h"

static void set3(double v[3], double x, double y, double z)
{
    v[0] = x; v[1] = y; v[2] = z;
}

void nbcl_config_defaults(nbcl_config *c)
{
    memset(c, 0, sizeof *c);
    c->misset_seed = 0;            /* filled from the noise seed unless given */
    c->Na = c->Nb = c->Nc = 1.0;
    c->shape = NBCL_SHAPE_SQUARE;
    c->fudge = 1.0;
    c->dumpfile = "Fdump.bin";
    c->interpolate = 2;

    c->lambda0 = 1.0e-10;
    c->fluence = 125932015286227086360700780544.0;
    c->exposure = 1.0;
    c->beamsize = 1e-4;
    c->dispstep = -1.0;
    c->dispsteps = -1;
    c->hdivrange = c->hdivstep = c->vdivrange = c->vdivstep = -1.0;
    c->hdivsteps = c->vdivsteps = -1;
    c->round_div = 1;
    c->polarization = 0.0;

    c->convention = NBCL_MOSFLM;
    c->pivot = NBCL_PIVOT_BEAM;
    /* the reference's initial vectors, which the CUSTOM convention keeps */
    set3(c->beam_vector, 1, 0, 0);
    set3(c->fdet_vector, 0, 0, 1);
    set3(c->sdet_vector, 0, -1, 0);
    set3(c->odet_vector, 1, 0, 0);
    set3(c->polar_vector, 0, 0, 1);
    set3(c->spindle_vector, 0, 0, 1);
    set3(c->twotheta_axis, 0, 1, 0);
    c->pixel_size = 0.1e-3;
    c->distance = 100.0e-3;
    c->close_distance = NAN;
    c->detsize_f = c->detsize_s = 102.4e-3;
    c->Xbeam = c->Ybeam = c->Xclose = c->Yclose = c->ORGX = c->ORGY = NAN;
    c->detector_mu = -1.0;
    c->detector_thickstep = -1.0;
    c->detector_thicksteps = -1;
    c->oversample = -1;
    c->roi[0] = c->roi[1] = c->roi[2] = c->roi[3] = -1;

    c->osc = c->phistep = -1.0;
    c->phisteps = -1;
    c->mosaic_spread = -1.0;
    c->mosaic_domains = -1;
    c->mosaic_seed = -12345678;

    c->floatfile = "floatimage.bin";
    c->intfile = "intimage.img";
    c->noisefile = "noiseimage.img";
    c->pgmfile = "image.pgm";
    c->write_pgm = 1;
    c->calculate_noise = 1;
    c->adc_offset = 40.0;
    nbcl_detector_response_init(&c->response);
    c->amorphous_thick = 1e-4;
    c->amorphous_density = 1e6;
    c->amorphous_MW = 18.0;
    c->printout_fpixel = c->printout_spixel = -1;
    c->progress = 1;
    c->precision = NBCL_PRECISION_AUTO;
    c->phi_deg = c->osc_deg = c->lambda_A = NAN;
    c->max_run_hours = 24.0;
}
