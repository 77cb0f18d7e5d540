/* image_stats.c: the reference's image statistics (see image_stats.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/roi_span.h"
#include "base/vector_clones.h"
#include "model/image_stats.h"

int nbcl_sim_in_roi(const nbcl_sim *s, int f, int sl)
{
    return !(f < s->roi_xmin || f > s->roi_xmax || sl < s->roi_ymin || sl > s->roi_ymax);
}

void nbcl_image_stats_begin(nbcl_stats_acc *acc)
{
    memset(acc, 0, sizeof *acc);
}

/* the partial sums added in a fixed order: pairs, then pairs of pairs */
static double lanes_total(const double *x)
{
    double t[NBCL_STATS_LANES];
    memcpy(t, x, sizeof t);
    for (int w = NBCL_STATS_LANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; ++j) t[j] = t[2 * j] + t[2 * j + 1];
    return t[0];
}

/* The row's largest value `best` (masked pixels counting as 0, which never beats max_I)
 * becomes max_I if it beats it, at the first pixel holding it, as the reference's running
 * `>` finds it */
static void note_row_max(nbcl_image_stats *st, const nbcl_sim *s, const float *row,
                         const unsigned short *mrow, int sl, int f0, int f1, double best)
{
    if (!(best > st->max_I)) return;
    int os = s->oversample, f;
    for (f = f0; f <= f1; ++f) {
        if (mrow && mrow[f] == 0) continue;
        if ((double)row[f] == best) break;
    }
    st->max_I = best;
    /* the reference reports the last sub-pixel it visited in that pixel */
    st->max_I_x = s->subpixel_size * (f * os + os - 1) + s->subpixel_size / 2.0;
    st->max_I_y = s->subpixel_size * (sl * os + os - 1) + s->subpixel_size / 2.0;
}

/* NBCL_STATS_LANES neighbouring pixels as one vector of each kind (GNU C vector
 * extensions: lane-wise IEEE arithmetic, each lane's sum the scalar one, in whatever
 * vectors the target has) */
typedef float stats_floats __attribute__((vector_size(NBCL_STATS_LANES * sizeof(float))));
typedef double stats_lanes __attribute__((vector_size(NBCL_STATS_LANES * sizeof(double))));
typedef long long stats_mask __attribute__((vector_size(NBCL_STATS_LANES * sizeof(long long))));

/* The rmsd about the mean over the whole ROI, the mask not applied (as in the reference),
 * without a second read of the image: the ROI's rows go in blocks of DEV_BLOCK_ROWS
 * (counted from its first row); in the same read as the other sums, each block sums
 * t = v - c and t^2 about a center c near its values (the mean of its first row), so the
 * block's mean c + sum t / n and sum of squared deviations from it, sum t^2 - (sum t)^2 / n,
 * lose nothing to cancellation. The blocks are combined in order (Chan, Golub and
 * LeVeque's pairwise update), and at the end the sum about the ROI's own mean becomes the
 * sum about the statistics' mean: sum (v - mean)^2 = M2 + n (mean_roi - mean)^2. An order
 * fixed by the ROI alone: the same bits however the rows are handed over. */
#define DEV_BLOCK_ROWS 32

/* one pixel into the partial sums of its column's lane: the statistics' (a masked pixel
 * adding 0), the block's deviations (every pixel), the row's maximum and the finite probe
 * (raw - raw: 0, or NaN for a NaN or an infinity, masked or not) */
static inline void add_pixel(nbcl_stats_acc *acc, long *n, double *best, double *probe,
                             const float *row, const unsigned short *mrow, int f)
{
    int keep = !mrow || mrow[f] != 0, lane = f % NBCL_STATS_LANES;
    double raw = row[f];
    double v = keep ? raw : 0.0, t = raw - acc->blk_center;
    acc->sum[lane] += v;
    acc->sumsqr[lane] += v * v;
    acc->blk_t[lane] += t;
    acc->blk_tt[lane] += t * t;
    *n += keep;
    *best = v > *best ? v : *best;
    *probe += raw - raw;
}

/* the one pass over ROI rows s0 .. s1 and columns f0 .. f1, all in one block of rows:
 * max_I, the sums, the block's deviations and the finite check. Its lanes in the widest
 * vectors the machine has (each lane's sum the same in every clone) */
NBCL_VECTOR_CLONES
static int stats_rows(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                      const unsigned short *mask, int f0, int f1, int s0, int s1)
{
    double probe[NBCL_STATS_LANES] = {0};
    long n = acc->n;
    for (int sl = s0; sl <= s1; ++sl) {
        size_t at = (size_t)sl * (size_t)s->fpixels;
        const float *row = img + at;
        const unsigned short *mrow = mask ? mask + at : NULL;
        /* each pixel into the partial sums of its column mod NBCL_STATS_LANES. Without a
         * mask, whole blocks of columns go in lanes the compiler vectorizes (the same sums
         * in the same order) */
        double best = 0.0;
        int f = f0;
        if (!mrow) {
            for (; f <= f1 && f % NBCL_STATS_LANES; ++f) add_pixel(acc, &n, &best, &probe[0], row, NULL, f);
            stats_lanes vs, vq, vt, vtt, vp, vm = {0};
            memcpy(&vs, acc->sum, sizeof vs);
            memcpy(&vq, acc->sumsqr, sizeof vq);
            memcpy(&vt, acc->blk_t, sizeof vt);
            memcpy(&vtt, acc->blk_tt, sizeof vtt);
            memcpy(&vp, probe, sizeof vp);
            for (; f + NBCL_STATS_LANES - 1 <= f1; f += NBCL_STATS_LANES, n += NBCL_STATS_LANES) {
                stats_floats x;
                memcpy(&x, row + f, sizeof x);
                stats_lanes v = __builtin_convertvector(x, stats_lanes);
                stats_lanes t = v - acc->blk_center;
                vs += v;
                vq += v * v;
                vt += t;
                vtt += t * t;
                stats_mask above = v > vm;   /* lanes whose pixel beats the maximum so far */
                vm = (stats_lanes)(((stats_mask)v & above) | ((stats_mask)vm & ~above));
                vp += v - v;
            }
            memcpy(acc->sum, &vs, sizeof vs);
            memcpy(acc->sumsqr, &vq, sizeof vq);
            memcpy(acc->blk_t, &vt, sizeof vt);
            memcpy(acc->blk_tt, &vtt, sizeof vtt);
            memcpy(probe, &vp, sizeof vp);
            for (int j = 0; j < NBCL_STATS_LANES; ++j) best = vm[j] > best ? vm[j] : best;
        }
        for (; f <= f1; ++f) add_pixel(acc, &n, &best, &probe[0], row, mrow, f);
        note_row_max(&acc->st, s, row, mrow, sl, f0, f1, best);
    }
    acc->n = n;
    return !(lanes_total(probe) == 0.0);
}

/* a block of rows starts at row y: its center, the mean of that row's ROI pixels (0 when
 * not finite: the finite check reports the pixel), and its deviation sums from 0 */
static void start_deviation_block(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img, int f0,
                                  int f1, int y)
{
    const float *row = img + (size_t)y * (size_t)s->fpixels;
    double sum = 0.0;
    for (int f = f0; f <= f1; ++f) sum += row[f];
    double c = sum / (double)(f1 - f0 + 1);
    acc->blk_center = isfinite(c) ? c : 0.0;
    memset(acc->blk_t, 0, sizeof acc->blk_t);
    memset(acc->blk_tt, 0, sizeof acc->blk_tt);
}

/* the block of rows y0 .. y1 is in: its mean and sum of squared deviations from it, into
 * the running count, mean and sum of the blocks before it */
static void end_deviation_block(nbcl_stats_acc *acc, int f0, int f1, int y0, int y1)
{
    long nb = (long)(y1 - y0 + 1) * (long)(f1 - f0 + 1);
    double st = lanes_total(acc->blk_t), stt = lanes_total(acc->blk_tt);
    /* a sum of squares, never below 0 (round-off of a block of equal values could take it
     * a hair under, and the rmsd's square root would give NaN) */
    double mean_b = acc->blk_center + st / (double)nb, m2_b = fmax(stt - st * st / (double)nb, 0.0);
    long n = acc->dev_n + nb;
    double delta = mean_b - acc->dev_mean;
    acc->dev_mean += delta * ((double)nb / (double)n);
    acc->dev_m2 += m2_b + delta * delta * ((double)acc->dev_n * (double)nb / (double)n);
    acc->dev_n = n;
}

int nbcl_image_stats_rows(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                          const unsigned short *mask, int first_row, int end_row)
{
    /* only the rows and columns of the ROI on the detector are visited */
    nbcl_roi_span r = nbcl_roi_on_detector(s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax,
                                           s->fpixels, s->spixels);
    int f0 = r.x0, f1 = r.x1, s0 = r.y0, s1 = r.y1;
    int y = first_row > s0 ? first_row : s0, last = end_row - 1 < s1 ? end_row - 1 : s1;
    int bad = 0;
    while (y <= last && f0 <= f1) {
        /* up to the end of y's block of rows, or of these rows */
        int block0 = s0 + (y - s0) / DEV_BLOCK_ROWS * DEV_BLOCK_ROWS;
        int block1 = block0 + DEV_BLOCK_ROWS - 1 < s1 ? block0 + DEV_BLOCK_ROWS - 1 : s1;
        int piece1 = block1 < last ? block1 : last;
        if (y == block0) start_deviation_block(acc, s, img, f0, f1, y);
        bad |= stats_rows(acc, s, img, mask, f0, f1, y, piece1);
        if (piece1 == block1) end_deviation_block(acc, f0, f1, block0, block1);
        y = piece1 + 1;
    }
    return bad;
}

/* mean and rms from the sums, the rmsd from the blocks' deviations */
void nbcl_image_stats_end(nbcl_stats_acc *acc, nbcl_image_stats *out)
{
    nbcl_image_stats *st = &acc->st;
    long n = acc->n;
    st->counted = n;
    if (n <= 0) n = 1;
    st->mean = lanes_total(acc->sum) / n;
    if (n <= 1) n = 2;
    st->rms = sqrt(lanes_total(acc->sumsqr) / (n - 1));
    double shift = acc->dev_mean - st->mean;
    double dev = fmax(acc->dev_m2 + (double)acc->dev_n * shift * shift, 0.0);
    long m = acc->dev_n;
    if (m <= 1) m = 2;
    st->rmsd = sqrt(dev / (m - 1));
    *out = *st;
}

void nbcl_compute_image_stats(const nbcl_sim *s, const float *img, const unsigned short *mask,
                      nbcl_image_stats *st)
{
    nbcl_stats_acc acc;
    nbcl_image_stats_begin(&acc);
    nbcl_image_stats_rows(&acc, s, img, mask, 0, s->spixels);
    nbcl_image_stats_end(&acc, st);
}
