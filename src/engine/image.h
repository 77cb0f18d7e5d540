/* image.h: what surrounds the simulation on the host: SMV headers and masks read before the
 * run (-img, -mask), and after it the statistics and every output file the reference writes
 * (float, SMV, PGM, noise), plus the PNG preview. */
#ifndef NBCL_IMAGE_H
#define NBCL_IMAGE_H

#include <stdio.h>
#include "model/config.h"
#include "engine/engine.h"
#include "base/rng.h"
#include "model/sim.h"

/* Apply the detector settings found in the headers of -mask then -img (the last read wins)
 * to cfg; the command line is read afterwards and overrides them. */
int nbcl_headers_apply(nbcl_config *cfg, const char *maskfile, const char *imgfile, nbcl_err *err);

typedef struct nbcl_inputs {
    unsigned short *mask;     /* -mask pixels, NULL without a mask */
    int mask_w, mask_h;
} nbcl_inputs;

int nbcl_inputs_load(const nbcl_config *cfg, nbcl_inputs *in, FILE *log, nbcl_err *err);
/* the mask must cover the detector exactly */
int nbcl_inputs_check(const nbcl_inputs *in, const nbcl_sim *sim, nbcl_err *err);
void nbcl_inputs_free(nbcl_inputs *in);

typedef struct nbcl_stats {
    double max_I, max_I_x, max_I_y;
    double mean, rms, rmsd;
    long counted;
} nbcl_stats;

/* max_I, mean, rms, rmsd as the reference computes them */
void nbcl_image_stats(const nbcl_sim *sim, const float *image, const unsigned short *mask,
                      nbcl_stats *st);

/* the reference's per-pixel diagnostic lines (-printout, -printout_pixel F S) */
void nbcl_print_pixels(const nbcl_config *cfg, const nbcl_sim *sim, const nbcl_inputs *in,
                       const nbcl_engine_result *res, FILE *log);

/* Before any work: every output file's directory exists and is writable, so that a run
 * never stops half way through writing its files. */
int nbcl_outputs_check(const nbcl_config *cfg, nbcl_err *err);

int nbcl_write_outputs(const nbcl_config *cfg, const nbcl_sim *sim, const nbcl_inputs *in,
                       const nbcl_engine_result *res, nbcl_rng *rng, FILE *log, nbcl_err *err);

#endif
