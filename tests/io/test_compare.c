/* test_compare.c: the agreement figures of nbcl_compare_images on small arrays, float-file
 * reading (plain and gzip) and the difference picture. */
#include <criterion/criterion.h>
#include <math.h>
#include <zlib.h>
#include "io/compare.h"
#include "io_util.h"

Test(compare, identical_images)
{
    float a[6] = {0, 1, 2, 3, 4, 5};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(a, a, 6, 3, NULL, 1e-5, 1e-6, &s), 0);
    cr_assert_eq(s.n, 6);
    cr_assert_float_eq(s.corr, 1.0, 1e-15);
    cr_assert_float_eq(s.sum_ratio, 1.0, 0);
    cr_assert_float_eq(s.rmse, 0.0, 0);
    cr_assert_float_eq(s.max_abs_diff, 0.0, 0);
    cr_assert_eq(s.n_off, 0);
    cr_assert_float_eq(s.ref_max, 5.0, 0);
}

Test(compare, known_figures)
{
    float ref[4] = {1, 2, 3, 4};
    float test[4] = {1, 2, 3, 6};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(ref, test, 4, 2, NULL, 0.1, 0.0, &s), 0);
    cr_assert_float_eq(s.sum_ref, 10.0, 0);
    cr_assert_float_eq(s.sum_test, 12.0, 0);
    cr_assert_float_eq(s.sum_ratio, 1.2, 1e-15);
    cr_assert_float_eq(s.rmse, 1.0, 1e-15);            /* sqrt(4/4) */
    cr_assert_float_eq(s.max_abs_diff, 2.0, 0);
    cr_assert_eq(s.max_x, 1);
    cr_assert_eq(s.max_y, 1);
    cr_assert_float_eq(s.max_ref, 4.0, 0);
    cr_assert_float_eq(s.max_test, 6.0, 0);
    cr_assert_eq(s.n_off, 1);
    cr_assert_float_eq(s.frac_off, 0.25, 0);
    /* Pearson of (1,2,3,4) and (1,2,3,6) */
    double mr = 2.5, mt = 3.0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 4; i++) {
        sxy += (ref[i] - mr) * (test[i] - mt);
        sxx += (ref[i] - mr) * (ref[i] - mr);
        syy += (test[i] - mt) * (test[i] - mt);
    }
    cr_assert_float_eq(s.corr, sxy / sqrt(sxx * syy), 1e-14);
}

Test(compare, absolute_tolerance_is_fraction_of_max)
{
    float ref[3] = {0, 0, 1000};
    float test[3] = {0.5f, 2.0f, 1000};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(ref, test, 3, 3, NULL, 0.0, 1e-3, &s), 0);
    cr_assert_eq(s.n_off, 1);   /* 2.0 > 1e-3*1000, 0.5 is not */
}

Test(compare, roi_limits_pixels)
{
    float ref[9] = {1, 1, 1, 1, 5, 1, 1, 1, 1};
    float test[9] = {9, 9, 9, 9, 5, 9, 9, 9, 9};
    int roi[4] = {1, 1, 1, 1};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(ref, test, 9, 3, roi, 1e-5, 1e-6, &s), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.n_off, 0);
    cr_assert_float_eq(s.corr, 1.0, 0);
    int outside[4] = {5, 9, 0, 2};
    cr_assert_neq(nbcl_compare_images(ref, test, 9, 3, outside, 1e-5, 1e-6, &s), 0);
    cr_assert_neq(nbcl_compare_images(ref, test, 9, 4, NULL, 1e-5, 1e-6, &s), 0);
}

Test(compare, nan_fails_everything)
{
    float ref[3] = {1, 2, 3};
    float test[3] = {1, NAN, 3};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(ref, test, 3, 3, NULL, 1e-5, 1e-6, &s), 0);
    cr_assert_eq(s.nonfinite, 1);
    cr_assert_eq(s.n_off, 1);
    cr_assert(!(s.corr >= 0.5));
    cr_assert(isnan(s.sum_ratio));
}

Test(compare, constant_and_zero_images)
{
    float z[4] = {0};
    float c[4] = {2, 2, 2, 2};
    nbcl_compare_stats s;
    cr_assert_eq(nbcl_compare_images(z, z, 4, 2, NULL, 1e-5, 1e-6, &s), 0);
    cr_assert_float_eq(s.corr, 1.0, 0);
    cr_assert_float_eq(s.sum_ratio, 1.0, 0);
    cr_assert_eq(nbcl_compare_images(z, c, 4, 2, NULL, 1e-5, 1e-6, &s), 0);
    cr_assert_float_eq(s.corr, 0.0, 0);
    cr_assert(isinf(s.sum_ratio));
}

Test(compare, read_plain_and_gzip)
{
    char dir[4096], plain[4200], gz[4200];
    io_tmpdir(dir, sizeof dir);
    io_path(plain, sizeof plain, dir, "a.bin");
    io_path(gz, sizeof gz, dir, "a.bin.gz");
    float f[5] = {1, 2, 3, 4.5f, -1};
    io_write_bytes(plain, f, sizeof f);
    gzFile g = gzopen(gz, "wb");
    gzwrite(g, f, sizeof f);
    gzclose(g);
    float *a, *b;
    size_t na, nb;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_floatfile_read(plain, &a, &na, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_floatfile_read(gz, &b, &nb, &err), 0, "%s", err.msg);
    cr_assert_eq(na, 5);
    cr_assert_eq(nb, 5);
    cr_assert_eq(memcmp(a, f, sizeof f), 0);
    cr_assert_eq(memcmp(b, f, sizeof f), 0);
    free(a);
    free(b);
    io_write_bytes(plain, f, 7);
    cr_assert_neq(nbcl_floatfile_read(plain, &a, &na, &err), 0);
    cr_assert_not_null(strstr(err.msg, plain), "%s", err.msg);
    io_rmdir(dir);
}

Test(compare, diff_png_written)
{
    char dir[4096], path[4200];
    io_tmpdir(dir, sizeof dir);
    io_path(path, sizeof path, dir, "d.png");
    float ref[4] = {1, 2, 3, 4}, test[4] = {1, 3, 3, 3};
    nbcl_err err = {0};
    cr_assert_eq(nbcl_compare_diff_png(path, ref, test, 4, 2, NULL, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t n;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(b, "\x89PNG\r\n\x1a\n", 8), 0);
    free(b);
    io_rmdir(dir);
}
