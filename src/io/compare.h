/* compare.h: how close a float image is to a reference image (nbcl-compare and the golden
 * tests use the same figures). */
#ifndef NBCL_COMPARE_H
#define NBCL_COMPARE_H

#include <stddef.h>
#include "base/error.h"

typedef struct nbcl_compare_stats {
    size_t n;               /* pixels compared (inside the roi) */
    size_t nonfinite;       /* pixels where either image is NaN or infinite */
    double corr;            /* Pearson correlation (1 when both images are the same constant) */
    double sum_ref, sum_test;
    double sum_ratio;       /* sum_test / sum_ref (1 when both are 0, inf when only ref is) */
    double rmse;            /* sqrt(mean((test-ref)^2)) */
    double max_abs_diff;    /* largest |test-ref| ... */
    int max_x, max_y;       /* ... and where (fast, slow) */
    double max_ref, max_test;   /* ref and test there */
    double ref_max;         /* largest |ref| in the roi */
    double tol_rel, tol_abs;    /* the bound: |test-ref| > tol_rel*|ref| + tol_abs*ref_max */
    size_t n_off;           /* pixels beyond that bound (non-finite ones count too) */
    double frac_off;        /* n_off / n */
} nbcl_compare_stats;

/* Compare n pixels of width-wide images (index = slow*width + fast). roi = xmin xmax ymin
 * ymax inclusive, clipped to the image, or NULL for everything. Returns 0, or nonzero when
 * the arguments make no sense (width not dividing n, empty roi). */
int nbcl_compare_images(const float *ref, const float *test, size_t n, int width,
                        const int roi[4], double rel_tol, double abs_tol_frac_of_max,
                        nbcl_compare_stats *out);

/* Read a raw little-endian float32 file, plain or gzip-compressed. *data is malloc'd. */
int nbcl_floatfile_read(const char *path, float **data, size_t *n, nbcl_err *err);

/* Any file, plain or gzip-compressed, into memory (for byte comparisons). */
int nbcl_gzfile_read(const char *path, unsigned char **data, size_t *len, nbcl_err *err);

/* Signed difference picture: mid-grey where equal, brighter where test > ref, darker where
 * test < ref, scaled to the largest |difference|; black outside roi. PNG, atomically. */
int nbcl_compare_diff_png(const char *path, const float *ref, const float *test, size_t n,
                          int width, const int roi[4], nbcl_err *err);

#endif
