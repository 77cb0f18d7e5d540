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
 * was added, then end. The rmsd needs the mean, which is known only at the end: each block
 * of rows gives its own mean and sum of squared deviations in the same read, and end
 * combines them (image_stats.c), so the image is read once. The results are the same bits
 * however the rows are handed over, and as nbcl_compute_image_stats.
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
    double blk_center;          /* the rmsd's block of rows being read: its center c and */
    double blk_t[NBCL_STATS_LANES], blk_tt[NBCL_STATS_LANES];   /* sums of v - c, (v - c)^2 */
    long dev_n;                 /* the blocks before it: pixels, mean, and sum of squared */
    double dev_mean, dev_m2;    /* deviations from that mean */
} nbcl_stats_acc;

void nbcl_image_stats_begin(nbcl_stats_acc *acc);
/* Returns 1 when a pixel of those rows' ROI, masked or not, is NaN or infinite (the
 * engine's finite check, made in the same read of each pixel), else 0. */
int nbcl_image_stats_rows(nbcl_stats_acc *acc, const nbcl_sim *sim, const float *image,
                          const unsigned short *mask, int first_row, int end_row);
void nbcl_image_stats_end(nbcl_stats_acc *acc, nbcl_image_stats *st);

#endif
