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

/* The same statistics gathered row by row as an image is finished (the engine's rows
 * thread): begin, then rows [first_row, end_row) in order until every row of the detector
 * was added, then end (the rmsd needs the mean, so end reads the ROI once more). The sums
 * run in the same order as nbcl_compute_image_stats, so the results are the same bits.
 *
 * The sums are kept in NBCL_STATS_LANES partial sums, a pixel going to the one of its
 * column modulo NBCL_STATS_LANES, added together in a fixed order at the end: an order
 * fixed by the pixels, not by how the rows were handed over, and independent chains of
 * additions that run side by side (one running sum waits 4 cycles per pixel: 27 ms of a
 * 4096x4096 image, twice). The reference's one running sum gives other last bits; its
 * statistics are printed to 6 digits, and the float images themselves differ from its by
 * float round-off, far more than the order of a sum moves the mean. */
#define NBCL_STATS_LANES 8
typedef struct nbcl_stats_acc {
    double sum[NBCL_STATS_LANES], sumsqr[NBCL_STATS_LANES];
    long n;
    nbcl_image_stats st;
} nbcl_stats_acc;

void nbcl_image_stats_begin(nbcl_stats_acc *acc);
/* Returns 1 when a pixel of those rows' ROI, masked or not, is NaN or infinite (the
 * engine's finite check, made in the same read of each pixel), else 0. */
int nbcl_image_stats_rows(nbcl_stats_acc *acc, const nbcl_sim *sim, const float *image,
                          const unsigned short *mask, int first_row, int end_row);
void nbcl_image_stats_end(nbcl_stats_acc *acc, const nbcl_sim *sim, const float *image,
                          nbcl_image_stats *st);

#endif
