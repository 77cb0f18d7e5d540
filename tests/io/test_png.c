/* test_png.c: PNG previews: linear percentile scaling, log scaling, mask, and that libpng can
 * read back what was written. */
#include <criterion/criterion.h>
#include <png.h>
#include "io/png.h"
#include "io_util.h"

static char dir[4096];

static void setup(void)
{
    io_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
    io_rmdir(dir);
}

TestSuite(png, .init = setup, .fini = teardown);

/* Decode an 8-bit grey PNG with libpng's simplified API. */
static unsigned char *decode(const char *path, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&img, path), "%s", img.message);
    img.format = PNG_FORMAT_GRAY;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(img));
    cr_assert(png_image_finish_read(&img, NULL, buf, 0, NULL), "%s", img.message);
    *w = (int)img.width;
    *h = (int)img.height;
    return buf;
}

Test(png, gray8_round_trip)
{
    char path[4200];
    io_path(path, sizeof path, dir, "g.png");
    unsigned char px[6] = {0, 50, 100, 150, 200, 255};
    nbcl_err err = {0};
    cr_assert_eq(nbcl_png_write_gray8(path, px, 3, 2, &err), 0, "%s", err.msg);
    int w, h;
    unsigned char *back = decode(path, &w, &h);
    cr_assert_eq(w, 3);
    cr_assert_eq(h, 2);
    cr_assert_eq(memcmp(back, px, 6), 0);
    free(back);
    cr_assert_eq(io_count_entries(dir), 1);
}

Test(png, percentile)
{
    float v[101];
    for (int i = 0; i <= 100; i++) v[i] = (float)(100 - i);
    cr_assert_float_eq(nbcl_png_percentile(v, NULL, 101, 50), 50.0, 0);
    cr_assert_float_eq(nbcl_png_percentile(v, NULL, 101, 99), 99.0, 0);
    cr_assert_float_eq(nbcl_png_percentile(v, NULL, 101, 100), 100.0, 0);
    cr_assert_float_eq(nbcl_png_percentile(v, NULL, 101, 0), 0.0, 0);
    unsigned short mask[101];
    for (int i = 0; i <= 100; i++) mask[i] = i >= 50;   /* keeps values 0..50 */
    cr_assert_float_eq(nbcl_png_percentile(v, mask, 101, 100), 50.0, 0);
}

Test(png, linear_clips_above_percentile)
{
    float img[200];
    for (int i = 0; i < 200; i++) img[i] = 10.0f;
    img[7] = 1e6f;   /* one hot pixel must not darken the rest */
    img[0] = 0.0f;
    img[1] = 5.0f;
    char path[4200];
    io_path(path, sizeof path, dir, "lin.png");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_png_write_preview(path, img, 20, 10, NULL, NULL, &err), 0, "%s", err.msg);
    int w, h;
    unsigned char *px = decode(path, &w, &h);
    cr_assert_eq(px[0], 0);
    cr_assert_eq(px[1], 128);
    cr_assert_eq(px[2], 255);
    cr_assert_eq(px[7], 255);
    free(px);
}

Test(png, log_and_mask)
{
    float img[4] = {0.0f, 1.0f, 100.0f, 10000.0f};
    unsigned short mask[4] = {1, 1, 1, 0};
    nbcl_png_opts o;
    nbcl_png_opts_default(&o);
    cr_assert_float_eq(o.percentile, 99.5, 0);
    o.log = 1;
    char path[4200];
    io_path(path, sizeof path, dir, "log.png");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_png_write_preview(path, img, 4, 1, mask, &o, &err), 0, "%s", err.msg);
    int w, h;
    unsigned char *px = decode(path, &w, &h);
    cr_assert_eq(px[0], 0);
    cr_assert_eq(px[2], 255);             /* max of the unmasked pixels */
    cr_assert_eq(px[3], 0);               /* masked: black */
    cr_assert(px[1] > 64 && px[1] < 200, "log scale lifts weak pixels (got %d)", px[1]);
    free(px);
}

Test(png, missing_directory_error)
{
    char path[4200];
    io_path(path, sizeof path, dir, "nodir/x.png");
    float img[1] = {1};
    nbcl_err err = {0};
    cr_assert_neq(nbcl_png_write_preview(path, img, 1, 1, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_eq(io_count_entries(dir), 0);
}
