/* image_stats.c: the reference's image statistics (see image_stats.h). */
#include <math.h>
#include <string.h>
#include "model/image_stats.h"

int nbcl_sim_in_roi(const nbcl_sim *s, int f, int sl)
{
    return !(f < s->roi_xmin || f > s->roi_xmax || sl < s->roi_ymin || sl > s->roi_ymax);
}

void nbcl_compute_image_stats(const nbcl_sim *s, const float *img, const unsigned short *mask,
                      nbcl_image_stats *st)
{
    double sum = 0.0, sumsqr = 0.0;
    long n = 0;
    memset(st, 0, sizeof *st);
    int os = s->oversample;
    for (int sl = 0; sl < s->spixels; ++sl)
        for (int f = 0; f < s->fpixels; ++f) {
            size_t i = (size_t)sl * s->fpixels + f;
            if (!nbcl_sim_in_roi(s, f, sl) || (mask && mask[i] == 0)) continue;
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
    for (int sl = 0; sl < s->spixels; ++sl)
        for (int f = 0; f < s->fpixels; ++f) {
            if (!nbcl_sim_in_roi(s, f, sl)) continue;
            double t = img[(size_t)sl * s->fpixels + f] - st->mean;
            dev += t * t;
            ++m;
        }
    if (m <= 1) m = 2;
    st->rmsd = sqrt(dev / (m - 1));
}
