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

void nbcl_compute_image_stats(const nbcl_sim *s, const float *img, const unsigned short *mask,
                      nbcl_image_stats *st)
{
    double sum = 0.0, sumsqr = 0.0;
    long n = 0;
    memset(st, 0, sizeof *st);
    int os = s->oversample, f0, f1, s0, s1;
    roi_span(s, &f0, &f1, &s0, &s1);
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
    st->counted = n;
    if (n <= 0) n = 1;
    st->mean = sum / n;
    if (n <= 1) n = 2;
    st->rms = sqrt(sumsqr / (n - 1));
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
}
