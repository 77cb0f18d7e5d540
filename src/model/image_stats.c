/* image_stats.c: the reference's image statistics (see image_stats.h). */
#include <math.h>
#include <string.h>
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

/* the first pass (max_I, sums) over rows first_row .. end_row - 1 of the ROI */
void nbcl_image_stats_rows(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                           const unsigned short *mask, int first_row, int end_row)
{
    nbcl_image_stats *st = &acc->st;
    double sum = acc->sum, sumsqr = acc->sumsqr;
    long n = acc->n;
    int os = s->oversample, f0, f1, s0, s1;
    roi_span(s, &f0, &f1, &s0, &s1);
    if (first_row > s0) s0 = first_row;
    if (end_row - 1 < s1) s1 = end_row - 1;
    for (int sl = s0; sl <= s1; ++sl)
        for (int f = f0; f <= f1; ++f) {
            size_t i = (size_t)sl * s->fpixels + f;
            if (mask && mask[i] == 0) continue;
            double v = img[i];
            if (v > st->max_I) {
                st->max_I = v;
                /* the reference reports the last sub-pixel it visited in that pixel */
                st->max_I_x = s->subpixel_size * (f * os + os - 1) + s->subpixel_size / 2.0;
                st->max_I_y = s->subpixel_size * (sl * os + os - 1) + s->subpixel_size / 2.0;
            }
            sum += v;
            sumsqr += v * v;
            ++n;
        }
    acc->sum = sum;
    acc->sumsqr = sumsqr;
    acc->n = n;
}

/* mean and rms from the sums, then the rmsd about the mean (a second pass over the ROI) */
void nbcl_image_stats_end(nbcl_stats_acc *acc, const nbcl_sim *s, const float *img,
                          nbcl_image_stats *out)
{
    nbcl_image_stats *st = &acc->st;
    long n = acc->n;
    st->counted = n;
    if (n <= 0) n = 1;
    st->mean = acc->sum / n;
    if (n <= 1) n = 2;
    st->rms = sqrt(acc->sumsqr / (n - 1));
    int f0, f1, s0, s1;
    roi_span(s, &f0, &f1, &s0, &s1);
    double dev = 0.0;
    long m = 0;
    for (int sl = s0; sl <= s1; ++sl)
        for (int f = f0; f <= f1; ++f) {
            double t = img[(size_t)sl * s->fpixels + f] - st->mean;
            dev += t * t;
            ++m;
        }
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
    nbcl_image_stats_end(&acc, s, img, st);
}
