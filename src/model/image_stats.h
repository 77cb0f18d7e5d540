/* image_stats.h: nanoBragg's statistics of a simulated image (max_I and where, mean, rms,
 * rmsd over the ROI and mask), computed as the reference computes them. */
#ifndef NBCL_MODEL_IMAGE_STATS_H
#define NBCL_MODEL_IMAGE_STATS_H

#include "nbcl/nbcl.h"
#include "model/sim.h"

/* Is pixel (f, s) inside the ROI? */
int nbcl_sim_in_roi(const nbcl_sim *sim, int f, int s);

void nbcl_compute_image_stats(const nbcl_sim *sim, const float *image, const unsigned short *mask,
                      nbcl_image_stats *st);

#endif
