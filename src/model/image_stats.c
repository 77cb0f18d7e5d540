/* image_stats.c: the reference's image statistics (see image_stats.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/split_rows.h"
#include "base/vector_clones.h"
#include "model/image_stats.h"

int nbcl_sim_in_roi(const nbcl_sim *s, int f, int sl)
{
    return !(f < s->roi_xmin || f > s->roi_xmax || sl < s->roi_ymin || sl > s->roi_ymax);
}

/* the rows and columns of the ROI that lie on the detector (only those are visited, so a
 * small ROI on a huge detector costs little) */
static void roi_span(const nbcl_sim *s, int *f0, int *f1, int *s0, int *s1)
{
    *f0 = s->roi_xmin > 0 ? s->roi_xmin : 0;
    *f1 = s->roi_xmax < s->fpixels - 1 ? s->roi_xmax : s->fpixels - 1;
    *s0 = s->roi_ymin > 0 ? s->roi_ymin : 0;
    *s1 = s->roi_ymax < s->spixels - 1 ? s->roi_ymax : s->spixels - 1;
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

/* one pixel into the partial sums of its column's lane, the row's maximum and the finite
 * probe (raw - raw: 0, or NaN for a NaN or an infinity, masked or not) */
static inline void add_pixel(double *sum, double *sumsqr, long *n, double *best, double *probe,
                             const float *row, const unsigned short *mrow, int f)
{
    int keep = !mrow || mrow[f] != 0;
    double raw = row[f];
    double v = keep ? raw : 0.0;
    sum[f % NBCL_STATS_LANES] += v;
    sumsqr[f % NBCL_STATS_LANES] += v * v;
    *n += keep;
    *best = v > *best ? v : *best;
    *probe += raw - raw;
}

/* the first pass (max_I, sums) over rows first_row .. end_row - 1 of the ROI, and with it
 * the finite check: one read of each pixel. Its lanes in the widest vectors the machine
 * has (each lane's sum the same in every clone) */
NBCL_VECTOR_CLONES
int nbcl_image_stats_rows(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                          const unsigned short *mask, int first_row, int end_row)
{
    int f0, f1, s0, s1;
    roi_span(s, &f0, &f1, &s0, &s1);
    if (first_row > s0) s0 = first_row;
    if (end_row - 1 < s1) s1 = end_row - 1;
    double sum[NBCL_STATS_LANES], sumsqr[NBCL_STATS_LANES], probe[NBCL_STATS_LANES] = {0};
    memcpy(sum, acc->sum, sizeof sum);
    memcpy(sumsqr, acc->sumsqr, sizeof sumsqr);
    long n = acc->n;
    for (int sl = s0; sl <= s1; ++sl) {
        size_t at = (size_t)sl * (size_t)s->fpixels;
        const float *row = img + at;
        const unsigned short *mrow = mask ? mask + at : NULL;
        /* each pixel into the partial sum of its column mod NBCL_STATS_LANES; a masked
         * pixel adds 0 (exactly nothing). Without a mask, whole blocks of columns go in
         * lanes the compiler vectorizes (the same sums in the same order) */
        double best = 0.0;
        int f = f0;
        if (!mrow) {
            for (; f <= f1 && f % NBCL_STATS_LANES; ++f)
                add_pixel(sum, sumsqr, &n, &best, &probe[0], row, NULL, f);
            stats_lanes vs, vq, vp, vm = {0};
            memcpy(&vs, sum, sizeof vs);
            memcpy(&vq, sumsqr, sizeof vq);
            memcpy(&vp, probe, sizeof vp);
            for (; f + NBCL_STATS_LANES - 1 <= f1; f += NBCL_STATS_LANES, n += NBCL_STATS_LANES) {
                stats_floats x;
                memcpy(&x, row + f, sizeof x);
                stats_lanes v = __builtin_convertvector(x, stats_lanes);
                vs += v;
                vq += v * v;
                stats_mask above = v > vm;   /* lanes whose pixel beats the maximum so far */
                vm = (stats_lanes)(((stats_mask)v & above) | ((stats_mask)vm & ~above));
                vp += v - v;
            }
            memcpy(sum, &vs, sizeof vs);
            memcpy(sumsqr, &vq, sizeof vq);
            memcpy(probe, &vp, sizeof vp);
            for (int j = 0; j < NBCL_STATS_LANES; ++j) best = vm[j] > best ? vm[j] : best;
        }
        for (; f <= f1; ++f) add_pixel(sum, sumsqr, &n, &best, &probe[0], row, mrow, f);
        note_row_max(&acc->st, s, row, mrow, sl, f0, f1, best);
    }
    memcpy(acc->sum, sum, sizeof sum);
    memcpy(acc->sumsqr, sumsqr, sizeof sumsqr);
    acc->n = n;
    return !(lanes_total(probe) == 0.0);
}

static inline double squared_deviation(float v, double mean)
{
    double t = v - mean;
    return t * t;
}

/* The rmsd pass: the ROI's rows in blocks of DEV_BLOCK_ROWS (counted from its first row),
 * each block's lane sums of squared deviations started from 0 and the blocks added in
 * order. An order fixed by the ROI alone, so the blocks can be shared out among the cores
 * (after the last tile they are idle) and give the same bits on any number of them. */
#define DEV_BLOCK_ROWS 32
#define DEV_SPLIT_BYTES (2u << 20)   /* smaller ROIs: one core */

typedef struct dev_pass {
    const nbcl_sim *s;
    const float *img;
    double mean;
    int f0, f1, s0, s1;
    double (*parts)[NBCL_STATS_LANES];   /* one per block */
} dev_pass;

/* block b's lane sums of (v - mean)^2 */
NBCL_VECTOR_CLONES
static void block_deviations(const dev_pass *p, int b, double dev[NBCL_STATS_LANES])
{
    int y0 = p->s0 + b * DEV_BLOCK_ROWS, y1 = y0 + DEV_BLOCK_ROWS - 1;
    if (y1 > p->s1) y1 = p->s1;
    int f0 = p->f0, f1 = p->f1;
    memset(dev, 0, sizeof(double) * NBCL_STATS_LANES);
    for (int sl = y0; sl <= y1; ++sl) {
        const float *row = p->img + (size_t)sl * (size_t)p->s->fpixels;
        int f = f0;
        for (; f <= f1 && f % NBCL_STATS_LANES; ++f) dev[f % NBCL_STATS_LANES] += squared_deviation(row[f], p->mean);
        stats_lanes vd;
        memcpy(&vd, dev, sizeof vd);
        for (; f + NBCL_STATS_LANES - 1 <= f1; f += NBCL_STATS_LANES) {
            stats_floats x;
            memcpy(&x, row + f, sizeof x);
            stats_lanes t = __builtin_convertvector(x, stats_lanes) - p->mean;
            vd += t * t;   /* squared_deviation, lane by lane */
        }
        memcpy(dev, &vd, sizeof vd);
        for (; f <= f1; ++f) dev[f % NBCL_STATS_LANES] += squared_deviation(row[f], p->mean);
    }
}

static void dev_blocks(void *user, int b0, int b1)
{
    dev_pass *p = user;
    for (int b = b0; b < b1; ++b) block_deviations(p, b, p->parts[b]);
}

/* mean and rms from the sums, then the rmsd about the mean (a second pass over the ROI,
 * the mask not applied, as in the reference) */
void nbcl_image_stats_end(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                          nbcl_image_stats *out)
{
    nbcl_image_stats *st = &acc->st;
    long n = acc->n;
    st->counted = n;
    if (n <= 0) n = 1;
    st->mean = lanes_total(acc->sum) / n;
    if (n <= 1) n = 2;
    st->rms = sqrt(lanes_total(acc->sumsqr) / (n - 1));
    dev_pass p = {s, img, st->mean, 0, 0, 0, 0, NULL};
    roi_span(s, &p.f0, &p.f1, &p.s0, &p.s1);
    double dev[NBCL_STATS_LANES] = {0};
    long m = 0;
    if (p.f1 >= p.f0 && p.s1 >= p.s0) {
        int blocks = (p.s1 - p.s0) / DEV_BLOCK_ROWS + 1;
        size_t bytes = (size_t)(p.s1 - p.s0 + 1) * (size_t)(p.f1 - p.f0 + 1) * sizeof(float);
        p.parts = malloc(sizeof *p.parts * (size_t)blocks);
        if (p.parts) nbcl_split_rows(blocks, bytes, DEV_SPLIT_BYTES, dev_blocks, &p);
        for (int b = 0; b < blocks; ++b) {   /* in block order, however they were computed */
            double one[NBCL_STATS_LANES];
            if (!p.parts) block_deviations(&p, b, one);
            const double *part = p.parts ? p.parts[b] : one;
            for (int j = 0; j < NBCL_STATS_LANES; ++j) dev[j] += part[j];
        }
        free(p.parts);
        m = (long)(p.s1 - p.s0 + 1) * (long)(p.f1 - p.f0 + 1);
    }
    if (m <= 1) m = 2;
    st->rmsd = sqrt(lanes_total(dev) / (m - 1));
    *out = *st;
}

void nbcl_compute_image_stats(const nbcl_sim *s, const float *img, const unsigned short *mask,
                      nbcl_image_stats *st)
{
    nbcl_stats_acc acc;
    nbcl_image_stats_begin(&acc);
    nbcl_image_stats_rows(&acc, s, img, mask, 0, s->spixels);
    nbcl_image_stats_end(&acc, s, img, st);
}
