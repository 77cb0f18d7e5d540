/* test_image_stats.c: nanoBragg's image statistics (model/image_stats.c) against a plain
 * one-sum-at-a-time computation of the same definitions: max_I at its first pixel (the
 * reference's running `>`), mean and rms over the unmasked ROI, rmsd about the mean over
 * the whole ROI; and the same bits however the rows are handed over. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model/image_stats.h"

enum { W = 37, H = 23 };

/* a w x h detector with ROI [x0, x1] x [y0, y1] and pixels of 0.1 mm */
static nbcl_sim detector_of(int w, int h, int x0, int x1, int y0, int y1, int oversample)
{
    nbcl_sim s;
    memset(&s, 0, sizeof s);
    s.fpixels = w;
    s.spixels = h;
    s.roi_xmin = x0;
    s.roi_xmax = x1;
    s.roi_ymin = y0;
    s.roi_ymax = y1;
    s.oversample = oversample;
    s.subpixel_size = 0.0001 / oversample;
    return s;
}

static nbcl_sim sim_of(int x0, int x1, int y0, int y1)
{
    return detector_of(W, H, x0, x1, y0, y1, 2);
}

static void plain_stats(const nbcl_sim *s, const float *img, const unsigned short *mask,
                        nbcl_image_stats *st)
{
    memset(st, 0, sizeof *st);
    double sum = 0, sumsqr = 0, dev = 0;
    long n = 0, m = 0;
    int mf = -1, ms = -1;
    for (int sl = 0; sl < H; ++sl)
        for (int f = 0; f < W; ++f) {
            if (!nbcl_sim_in_roi(s, f, sl)) continue;
            if (mask && mask[sl * W + f] == 0) continue;
            double v = img[sl * W + f];
            if (v > st->max_I) {
                st->max_I = v;
                mf = f;
                ms = sl;
            }
            sum += v;
            sumsqr += v * v;
            ++n;
        }
    st->counted = n;
    st->mean = sum / (n > 0 ? n : 1);
    st->rms = sqrt(sumsqr / ((n > 1 ? n : 2) - 1));
    for (int sl = 0; sl < H; ++sl)
        for (int f = 0; f < W; ++f) {
            if (!nbcl_sim_in_roi(s, f, sl)) continue;
            double t = img[sl * W + f] - st->mean;
            dev += t * t;
            ++m;
        }
    st->rmsd = sqrt(dev / ((m > 1 ? m : 2) - 1));
    st->max_I_x = mf < 0 ? 0 : s->subpixel_size * (mf * 2 + 1) + s->subpixel_size / 2;
    st->max_I_y = ms < 0 ? 0 : s->subpixel_size * (ms * 2 + 1) + s->subpixel_size / 2;
}

static void expect_close(double a, double b, const char *what)
{
    cr_expect(fabs(a - b) <= 1e-12 * fabs(b), "%s: %.17g against %.17g", what, a, b);
}

Test(image_stats, as_defined_and_the_same_bits_in_any_rows)
{
    float img[W * H];
    unsigned short mask[W * H];
    for (int i = 0; i < W * H; ++i) {
        img[i] = (float)((i * 7919) % 1009) * 0.013f;
        mask[i] = (unsigned short)(i % 11 != 0);
    }
    /* the largest value twice: the first wins; a larger one masked away */
    img[5 * W + 30] = 50.0f;
    img[9 * W + 3] = 50.0f;
    img[2 * W + 2] = 99.0f;
    mask[2 * W + 2] = 0;
    const int rois[][4] = {{0, W - 1, 0, H - 1}, {3, 33, 1, 20}, {9, 9, 4, 4}};
    for (size_t r = 0; r < sizeof rois / sizeof rois[0]; ++r)
        for (int masked = 0; masked < 2; ++masked) {
            nbcl_sim s = sim_of(rois[r][0], rois[r][1], rois[r][2], rois[r][3]);
            const unsigned short *mk = masked ? mask : NULL;
            nbcl_image_stats got, want;
            nbcl_compute_image_stats(&s, img, mk, &got);
            plain_stats(&s, img, mk, &want);
            cr_expect_eq(got.max_I, want.max_I, "roi %zu mask %d: max_I", r, masked);
            cr_expect_eq(got.max_I_x, want.max_I_x, "roi %zu mask %d: max_I at x %g, %g", r, masked,
                         got.max_I_x, want.max_I_x);
            cr_expect_eq(got.max_I_y, want.max_I_y, "roi %zu mask %d: max_I at y", r, masked);
            cr_expect_eq(got.counted, want.counted, "roi %zu mask %d: pixels counted", r, masked);
            expect_close(got.mean, want.mean, "mean");
            expect_close(got.rms, want.rms, "rms");
            expect_close(got.rmsd, want.rmsd, "rmsd");
            /* rows handed over in uneven pieces: the same bits */
            nbcl_stats_acc acc;
            nbcl_image_stats_begin(&acc);
            for (int y = 0; y < H;) {
                int end = y + 1 + (y * 5) % 4;
                if (end > H) end = H;
                nbcl_image_stats_rows(&acc, &s, img, mk, y, end);
                y = end;
            }
            nbcl_image_stats pieces;
            nbcl_image_stats_end(&acc, &pieces);
            cr_expect_eq(memcmp(&pieces, &got, sizeof got), 0, "roi %zu mask %d: rows in pieces differ", r, masked);
        }
}

/* The row pass is also the engine's finite check: it says 1 for rows whose ROI holds a NaN
 * or an infinity (a masked pixel too: the check covers the ROI, the mask only the sums),
 * 0 for every other rows, wherever in the row the pixel sits (in the vector lanes or the
 * columns around them). */
Test(image_stats, rows_say_whether_a_pixel_is_not_finite)
{
    float img[W * H];
    unsigned short mask[W * H];
    for (int i = 0; i < W * H; ++i) {
        img[i] = (float)(i % 17) * 0.5f;
        mask[i] = (unsigned short)(i % 5 != 0);
    }
    const float bad[] = {NAN, INFINITY, -INFINITY};
    const int cols[] = {0, 3, 8, 20, 31, 32, 36};   /* head, lanes, tail of a 37-pixel row */
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; ++b)
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; ++c)
            for (int masked = 0; masked < 2; ++masked) {
                int x = cols[c], y = 7;
                float keep = img[y * W + x];
                img[y * W + x] = bad[b];
                nbcl_sim s = sim_of(0, W - 1, 0, H - 1);
                const unsigned short *mk = masked ? mask : NULL;
                nbcl_stats_acc acc;
                nbcl_image_stats_begin(&acc);
                cr_expect_eq(nbcl_image_stats_rows(&acc, &s, img, mk, 0, y), 0, "rows before the bad pixel");
                cr_expect_eq(nbcl_image_stats_rows(&acc, &s, img, mk, y, y + 2), 1,
                             "%g at column %d (mask %d) not seen", bad[b], x, masked);
                cr_expect_eq(nbcl_image_stats_rows(&acc, &s, img, mk, y + 2, H), 0, "rows after the bad pixel");
                /* outside the ROI it is not looked at */
                nbcl_sim narrow = sim_of(x == 0 ? 1 : 0, x == 0 ? W - 1 : x - 1, 0, H - 1);
                nbcl_image_stats_begin(&acc);
                cr_expect_eq(nbcl_image_stats_rows(&acc, &narrow, img, mk, 0, H), 0,
                             "%g at column %d outside the ROI was seen", bad[b], x);
                img[y * W + x] = keep;
            }
}

/* A flat image (a constant background, not 0): the rmsd is 0, not NaN (the blocks' sums of
 * squares must not round below 0) */
Test(image_stats, rmsd_of_a_flat_image_is_zero)
{
    enum { FW = 1031, FH = 613 };
    float *img = malloc(sizeof *img * FW * FH);
    cr_assert_not_null(img);
    static const float levels[] = {0.1f, 3.7f, 12345.678f, 1e-7f};
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; ++k) {
        for (int i = 0; i < FW * FH; ++i) img[i] = levels[k];
        nbcl_sim s = detector_of(FW, FH, 0, FW - 1, 0, FH - 1, 1);
        nbcl_image_stats st;
        nbcl_compute_image_stats(&s, img, NULL, &st);
        cr_expect(st.rmsd >= 0.0 && st.rmsd <= 1e-6 * levels[k], "level %g: rmsd %g", (double)levels[k], st.rmsd);
    }
    free(img);
}

/* An ROI of many blocks of rows (the rmsd is combined from each block's mean and squared
 * deviations, image_stats.c): the rmsd as defined, with the values near 0 and far from it
 * (a large mean against a small spread, where a one-pass sum of squares would cancel),
 * and the same bits on every call and with the rows handed over one at a time. */
Test(image_stats, rmsd_of_a_large_roi_in_blocks)
{
    enum { BW = 1031, BH = 613 };
    float *img = malloc(sizeof *img * BW * BH);
    cr_assert_not_null(img);
    static const float offsets[] = {0.0f, 1.0e5f};
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; ++o) {
        for (int i = 0; i < BW * BH; ++i)
            img[i] = offsets[o] + (float)(((long)i * 7919) % 1009) * 0.013f + (i % 3 ? 0.0f : 7.5f);
        nbcl_sim s = detector_of(BW, BH, 3, BW - 2, 1, BH - 1, 1);
        double sum = 0, dev = 0;
        long n = 0;
        for (int y = 1; y < BH; ++y)
            for (int x = 3; x <= BW - 2; ++x, ++n) sum += img[y * BW + x];
        double mean = sum / n;
        for (int y = 1; y < BH; ++y)
            for (int x = 3; x <= BW - 2; ++x) dev += (img[y * BW + x] - mean) * (img[y * BW + x] - mean);
        double want = sqrt(dev / (n - 1));
        nbcl_image_stats first, again;
        nbcl_compute_image_stats(&s, img, NULL, &first);
        expect_close(first.rmsd, want, "rmsd");
        for (int k = 0; k < 3; ++k) {
            nbcl_compute_image_stats(&s, img, NULL, &again);
            cr_expect_eq(memcmp(&again, &first, sizeof first), 0, "call %d gave other bits", k);
        }
        nbcl_stats_acc acc;
        nbcl_image_stats_begin(&acc);
        for (int y = 0; y < BH; ++y) nbcl_image_stats_rows(&acc, &s, img, NULL, y, y + 1);
        nbcl_image_stats_end(&acc, &again);
        cr_expect_eq(memcmp(&again, &first, sizeof first), 0, "offset %g: rows one at a time differ",
                     (double)offsets[o]);
    }
    free(img);
}
