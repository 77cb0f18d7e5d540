/* test_smv.c: SMV header writer (byte identity with the reference's headers and images),
 * reader round trip and its errors, and the reference's float->int and PGM conversions. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include "io/compare.h"
#include "io/pgm.h"
#include "io/smv.h"
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

TestSuite(smv, .init = setup, .fini = teardown);

/* The geometry of golden case io_hkl_pattern (64x64, 0.1 mm, 100 mm, 6.2 A, mosflm). */
static nbcl_smv_header pattern_header(void)
{
    nbcl_smv_header h = {
        .fpixels = 64, .spixels = 64, .pixel_size = 0.0001, .distance = 0.1,
        .lambda0 = 6.2e-10, .Xbeam = 0.00325, .Ybeam = 0.00325, .Fbeam = 0.0033,
        .Sbeam = 0.0033, .detsize_s = 0.0064, .dials_origin = {-3.3, 3.3, -100},
        .ORGX = 33.5, .ORGY = 33.5, .close_distance = 0.1,
    };
    return h;
}

static char *slurp_gold(const char *rel, size_t *len)
{
    char path[4096];
    io_golden(path, sizeof path, rel);
    unsigned char *data;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_gzfile_read(path, &data, len, &err), 0, "%s", err.msg);
    return (char *)data;
}

Test(smv, header_text_matches_reference)
{
    nbcl_smv_header h = pattern_header();
    char buf[1024];
    long n = nbcl_smv_format_header(&h, buf, sizeof buf);
    cr_assert_eq(n, 512);
    size_t glen;
    char *gold = slurp_gold("cases/io_hkl_pattern/int.img.gz", &glen);
    cr_assert_geq(glen, 512);
    cr_assert_eq(memcmp(buf, gold, 512), 0, "header differs:\n%.512s\n---\n%.512s", buf, gold);
    h.noise = 1;   /* same numbers: the noise header differs only for a -0 centre */
    cr_assert_eq(nbcl_smv_format_header(&h, buf, sizeof buf), 512);
    cr_assert_eq(memcmp(buf, gold, 512), 0);
    free(gold);
    size_t nlen, ilen;
    char *noise = slurp_gold("cases/io_noise_seed/noise.img.gz", &nlen);
    char *ints = slurp_gold("cases/io_noise_seed/int.img.gz", &ilen);
    cr_assert_eq(nlen, ilen);
    cr_assert_eq(memcmp(noise, ints, 512), 0);
    free(noise);
    free(ints);
}

Test(smv, negative_zero_denzo_differs_between_int_and_noise)
{
    nbcl_smv_header h = pattern_header();
    h.Sbeam = -0.0;
    char a[1024], b[1024];
    nbcl_smv_format_header(&h, a, sizeof a);
    h.noise = 1;
    nbcl_smv_format_header(&h, b, sizeof b);
    cr_assert_not_null(strstr(a, "DENZO_X_BEAM=-0;"));
    cr_assert_not_null(strstr(b, "DENZO_X_BEAM=0;"));
}

/* A golden float image and the int.img / image.pgm the reference made from it. */
static float *gold_floats(const char *id, size_t *n)
{
    char path[4096], rel[512];
    snprintf(rel, sizeof rel, "cases/%s/float.bin.gz", id);
    io_golden(path, sizeof path, rel);
    float *f;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_floatfile_read(path, &f, n, &err), 0, "%s", err.msg);
    return f;
}

Test(smv, int_image_byte_identical_io_scale_adc)
{
    size_t n, glen;
    float *f = gold_floats("io_scale_adc", &n);
    cr_assert_eq(n, 128 * 128);
    unsigned short *px = malloc(n * sizeof *px);
    nbcl_smv_from_float(f, 128, 128, NULL, 10.0, 20.0, px);
    char *gold = slurp_gold("cases/io_scale_adc/int.img.gz", &glen);
    cr_assert_eq(glen, 512 + 2 * n);
    cr_assert_eq(memcmp(gold + 512, px, 2 * n), 0);
    /* and the whole file through the writer */
    nbcl_smv_header h = pattern_header();
    h.fpixels = h.spixels = 128;
    char path[4200];
    io_path(path, sizeof path, dir, "int.img");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_write(path, &h, px, &err), 0, "%s", err.msg);
    nbcl_smv_image img;
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(img.data, px, 2 * n), 0);
    nbcl_smv_free(&img);
    free(gold);
    free(px);
    free(f);
}

Test(smv, int_image_autoscale_and_roi)
{
    /* sample_roi is not an io case; build the int data the reference way and check the roi */
    float f[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    unsigned short px[12];
    int roi[4] = {1, 2, 0, 1};
    nbcl_smv_from_float(f, 4, 3, roi, 1000.0, 40.0, px);
    unsigned short want[12] = {0, 2040, 3040, 0, 0, 6040, 7040, 0, 0, 0, 0, 0};
    cr_assert_eq(memcmp(px, want, sizeof px), 0);
    float big[2] = {1e9f, -5.0f};
    nbcl_smv_from_float(big, 2, 1, NULL, 1.0, 0.0, px);
    cr_assert_eq(px[0], 65535);
    cr_assert_eq(px[1], 0);
}

/* the reference's count of one pixel, scalar and in its own order: clamp to [0, 65535],
 * floorf(v + 0.5); a NaN stays NaN through its clamps and converts to 0 on x86 */
static unsigned short reference_count(float pixel, double scale, double adc)
{
    double test = pixel * scale + adc;
    if (test > 65535.0) test = 65535.0;
    if (test < 0.0) test = 0.0;
    if (isnan(test)) return 0;
    return (unsigned short)floorf((float)(test + 0.5));
}

Test(smv, int_image_edge_values_as_the_reference)
{
    /* every awkward value, in rows longer than the converter's block and not a multiple of
     * any vector width, behind an ROI that starts at an odd column: whichever vector clone
     * the machine runs must give the scalar reference's count at each */
    enum { W = 1031, H = 3 };
    static float f[W * H];
    static unsigned short px[W * H];
    const float special[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, 0.0f, -1e-30f, 1e-45f,
                             0.49f, 0.5f, 0.51f, 1.5f, 2.5f, 65534.5f, 65535.0f, 65535.4f,
                             65535.5f, 65536.0f, 1e30f, -3.5f, 1234.5f, 8388607.5f};
    const size_t nspecial = sizeof special / sizeof special[0];
    unsigned state = 12345;
    for (size_t i = 0; i < W * H; i++) {
        state = state * 1103515245u + 12345u;
        f[i] = i % 3 == 0 ? special[(state >> 8) % nspecial] : (float)((state >> 8) % 2000000) / 977.0f - 30.0f;
    }
    const double scales[][2] = {{1.0, 0.0}, {1.0, 40.0}, {31.7, 0.25}, {1e-3, 0.5}};
    int roi[4] = {7, W - 2, 1, H - 1};
    for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
        double scale = scales[k][0], adc = scales[k][1];
        nbcl_smv_from_float(f, W, H, NULL, scale, adc, px);
        for (size_t i = 0; i < W * H; i++)
            cr_assert_eq(px[i], reference_count(f[i], scale, adc), "pixel %zu (%g * %g + %g): %u, want %u",
                         i, f[i], scale, adc, px[i], reference_count(f[i], scale, adc));
        nbcl_smv_from_float(f, W, H, roi, scale, adc, px);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int inside = x >= roi[0] && x <= roi[1] && y >= roi[2] && y <= roi[3];
                unsigned short want = inside ? reference_count(f[y * W + x], scale, adc) : 0;
                cr_assert_eq(px[y * W + x], want, "ROI pixel (%d, %d): %u, want %u", x, y, px[y * W + x], want);
            }
    }
}

Test(smv, pgm_byte_identical_io_pgmscale)
{
    size_t n, glen;
    float *f = gold_floats("io_pgmscale", &n);
    char path[4200];
    io_path(path, sizeof path, dir, "image.pgm");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_pgm_write(path, f, 128, 128, NULL, 2.0, &err), 0, "%s", err.msg);
    char *gold = slurp_gold("cases/io_pgmscale/image.pgm.gz", &glen);
    unsigned char *mine;
    size_t mlen;
    cr_assert_eq(nbcl_gzfile_read(path, &mine, &mlen, &err), 0, "%s", err.msg);
    cr_assert_eq(mlen, glen);
    cr_assert_eq(memcmp(mine, gold, glen), 0);
    free(mine);
    free(gold);
    free(f);
}

Test(smv, pgm_roi_and_clipping)
{
    float f[4] = {1.0f, 300.0f, 2.6f, 9.0f};
    int roi[4] = {0, 1, 0, 0};
    char path[4200];
    io_path(path, sizeof path, dir, "x.pgm");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_pgm_write(path, f, 2, 2, roi, 1.0, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t len;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &len, &err), 0, "%s", err.msg);
    const char *head = "P5\n2 2\n# pixels scaled by 1\n255\n";
    cr_assert_eq(len, strlen(head) + 4);
    cr_assert_eq(memcmp(b, head, strlen(head)), 0);
    const unsigned char *px = b + strlen(head);
    cr_assert_eq(px[0], 1);
    cr_assert_eq(px[1], 255);
    cr_assert_eq(px[2], 0);
    cr_assert_eq(px[3], 0);
    free(b);
}

Test(smv, round_trip_values)
{
    nbcl_smv_header h = pattern_header();
    h.fpixels = 3;
    h.spixels = 2;
    h.phi0 = 10.0 / (180.0 * M_1_PI);
    h.osc = 0.5 / (180.0 * M_1_PI);
    h.twotheta = 20.0 / (180.0 * M_1_PI);
    unsigned short px[6] = {0, 1, 256, 65535, 4242, 7};
    char path[4200];
    io_path(path, sizeof path, dir, "rt.img");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_write(path, &h, px, &err), 0, "%s", err.msg);
    nbcl_smv_image img;
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_eq(img.width, 3);
    cr_assert_eq(img.height, 2);
    cr_assert_eq(img.header_bytes, 512);
    cr_assert_eq(img.swapped, 0);
    cr_assert_eq(memcmp(img.data, px, sizeof px), 0);
    cr_assert_float_eq(nbcl_smv_value(&img, "PIXEL_SIZE"), 0.1, 1e-12);
    cr_assert_float_eq(nbcl_smv_value(&img, "WAVELENGTH"), 6.2, 1e-12);
    cr_assert_float_eq(nbcl_smv_value(&img, "BEAM_CENTER_X"), 3.25, 1e-12);
    cr_assert_float_eq(nbcl_smv_value(&img, "ORGX"), 33.5, 1e-12);
    cr_assert_float_eq(nbcl_smv_value(&img, "PHI"), 10.0, 1e-9);
    cr_assert_float_eq(nbcl_smv_value(&img, "OSC_RANGE"), 0.5, 1e-9);
    cr_assert_float_eq(nbcl_smv_value(&img, "TWOTHETA"), 20.0, 1e-9);
    cr_assert(isnan(nbcl_smv_value(&img, "NO_SUCH_KEY")));
    nbcl_smv_free(&img);
}

/* Build an SMV file by hand: header text padded to hb bytes, then raw pixel bytes. */
static void handmade(const char *path, const char *header, int hb, const void *px, size_t n)
{
    char *buf = calloc(1, (size_t)hb + n);
    memset(buf, ' ', (size_t)hb);
    memcpy(buf, header, strlen(header));
    memcpy(buf + hb, px, n);
    io_write_bytes(path, buf, (size_t)hb + n);
    free(buf);
}

Test(smv, last_key_wins_and_substring_semantics)
{
    char path[4200];
    io_path(path, sizeof path, dir, "k.img");
    const unsigned char px[4] = {1, 0, 2, 0};
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=little_endian;\nSIZE1=2;\nSIZE2=1;\n"
                   "DISTANCE=100;\nCLOSE_DISTANCE=90;\nSIZE1=2;\nPHI=1;\nPHI=3;\n}\f", 512,
             px, 4);
    nbcl_smv_image img;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_float_eq(nbcl_smv_value(&img, "PHI"), 3.0, 0);
    cr_assert_float_eq(nbcl_smv_value(&img, "DISTANCE"), 90.0, 0);       /* like ValueOf */
    cr_assert_float_eq(nbcl_smv_value_exact(&img, "DISTANCE"), 100.0, 0);
    cr_assert_float_eq(nbcl_smv_value_exact(&img, "CLOSE_DISTANCE"), 90.0, 0);
    cr_assert(isnan(nbcl_smv_value_exact(&img, "ORGX")));
    nbcl_smv_free(&img);
}

Test(smv, big_endian_file_is_swapped)
{
    char path[4200];
    io_path(path, sizeof path, dir, "be.img");
    const unsigned char px[4] = {0x01, 0x02, 0xff, 0x00};
    int little = strcmp(nbcl_smv_byte_order(), "little_endian") == 0;
    handmade(path, little ? "{\nHEADER_BYTES=1024;\nBYTE_ORDER=big_endian;\nSIZE1=1;\nSIZE2=2;\n}"
                          : "{\nHEADER_BYTES=1024;\nBYTE_ORDER=little_endian;\nSIZE1=1;\n"
                            "SIZE2=2;\n}", 1024, px, 4);
    nbcl_smv_image img;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_eq(img.swapped, 1);
    cr_assert_eq(img.header_bytes, 1024);
    cr_assert_eq(img.data[0], little ? 0x0102 : 0x0201);
    cr_assert_eq(img.data[1], little ? 0xff00 : 0x00ff);
    nbcl_smv_free(&img);
}

static void expect_read_error(const char *path, const char *needle)
{
    nbcl_smv_image img;
    nbcl_err err = {0};
    cr_assert_neq(nbcl_smv_read(path, &img, &err), 0, "expected an error for %s", needle);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, needle), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
    cr_assert_null(img.data);
}

Test(smv, reader_errors)
{
    char path[4200];
    io_path(path, sizeof path, dir, "bad.img");
    const unsigned char px[8] = {0};
    io_write_text(path, "");
    expect_read_error(path, "no '{'");
    io_write_text(path, "P5\n2 2\n255\nabcd");
    expect_read_error(path, "no '{'");
    handmade(path, "{\nDIM=2;\nSIZE1=2;\nSIZE2=2;\n}", 512, px, 8);
    expect_read_error(path, "HEADER_BYTES");
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=middle_endian;\nSIZE1=2;\nSIZE2=2;\n}",
             512, px, 8);
    expect_read_error(path, "unknown BYTE_ORDER 'middle_endian'");
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=little_endian;\nSIZE1=2;\nSIZE2=2;\n}",
             512, px, 6);
    expect_read_error(path, "header says");
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=little_endian;\nSIZE1=2;\nSIZE2=2;\n}",
             512, px, 8 + 0);
    nbcl_smv_image img;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    nbcl_smv_free(&img);
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=little_endian;\nSIZE1=1;\nSIZE2=2;\n}",
             512, px, 8);
    expect_read_error(path, "header says");
    handmade(path, "{\nHEADER_BYTES=512;\nBYTE_ORDER=little_endian;\nTYPE=float;\nSIZE1=1;\n"
                   "SIZE2=2;\n}", 512, px, 4);
    expect_read_error(path, "TYPE");
    expect_read_error("/nonexistent/dir/x.img", "cannot open");
}

Test(smv, golden_mask_and_header_inputs_read)
{
    char path[4096];
    io_golden(path, sizeof path, "inputs/mask.img");
    nbcl_smv_image img;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_eq(img.width, 160);
    cr_assert_eq(img.height, 160);
    cr_assert_float_eq(nbcl_smv_value(&img, "BEAM_CENTER_X"), 8.05, 1e-12);
    size_t zeros = 0;
    for (size_t i = 0; i < 160 * 160; i++) zeros += img.data[i] == 0;
    cr_assert_gt(zeros, 0);
    nbcl_smv_free(&img);
    io_golden(path, sizeof path, "inputs/header.img");
    cr_assert_eq(nbcl_smv_read(path, &img, &err), 0, "%s", err.msg);
    cr_assert_eq(img.width, 200);
    cr_assert_eq(img.height, 180);
    cr_assert_float_eq(nbcl_smv_value(&img, "WAVELENGTH"), 1.1, 1e-12);
    nbcl_smv_free(&img);
}

Test(smv, write_into_missing_directory)
{
    nbcl_smv_header h = pattern_header();
    h.fpixels = h.spixels = 1;
    unsigned short px[1] = {5};
    char path[4200];
    io_path(path, sizeof path, dir, "missing/int.img");
    nbcl_err err = {0};
    cr_assert_neq(nbcl_smv_write(path, &h, px, &err), 0);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_eq(io_count_entries(dir), 0);
}

static unsigned char *slurp_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *d = malloc(*len ? *len : 1);
    cr_assert_eq(fread(d, 1, *len, fp), *len);
    fclose(fp);
    return d;
}

/* the file written row block by row block from the float image is the file of the integer
 * image: several blocks with a short last one (700 x 450 pixels, about 187 rows a block),
 * an ROI, values above and below the 16-bit range */
Test(smv, float_image_written_in_row_blocks_is_the_same_file)
{
    enum { W = 700, H = 450 };
    float *f = malloc(sizeof *f * W * H);
    for (size_t i = 0; i < (size_t)W * H; ++i) f[i] = (float)((i * 7919) % 10007) - 50.0f;
    f[5] = 1e9f;
    unsigned short *px = malloc(sizeof *px * W * H);
    nbcl_smv_header h = pattern_header();
    h.fpixels = W;
    h.spixels = H;
    int roi[4] = {13, 600, 40, 420};
    const int *rois[2] = {NULL, roi};
    for (int r = 0; r < 2; ++r) {
        char a[4200], b[4200];
        io_path(a, sizeof a, dir, "ints.img");
        io_path(b, sizeof b, dir, "rows.img");
        nbcl_err err = {0};
        nbcl_smv_from_float(f, W, H, rois[r], 3.0, 40.0, px);
        cr_assert_eq(nbcl_smv_write(a, &h, px, &err), 0, "%s", err.msg);
        cr_assert_eq(nbcl_smv_write_float(b, &h, f, rois[r], 3.0, 40.0, &err), 0, "%s", err.msg);
        size_t la, lb;
        unsigned char *da = slurp_file(a, &la), *db = slurp_file(b, &lb);
        cr_assert_eq(la, lb, "roi %d: %zu bytes against %zu", r, lb, la);
        cr_expect_eq(memcmp(da, db, la), 0, "roi %d: the files differ", r);
        free(da);
        free(db);
    }
    /* a directory that cannot be written: an error naming the file, nothing left */
    nbcl_err err = {0};
    cr_expect_neq(nbcl_smv_write_float("/nonexistent-dir/x.img", &h, f, NULL, 1.0, 0.0, &err), 0);
    cr_expect(strstr(err.msg, "/nonexistent-dir/x.img") != NULL, "%s", err.msg);
    free(px);
    free(f);
}

/* What a pipe carries: a file that takes no writes at a place, so written a block of rows
 * at a time in order, where a regular file's blocks are written at their places by every
 * core. */
typedef struct pipe_reader {
    const char *path;
    unsigned char *data;
    size_t len, cap;
} pipe_reader;

static void *read_pipe(void *arg)
{
    pipe_reader *r = arg;
    FILE *fp = fopen(r->path, "rb");
    if (!fp) return NULL;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        if (r->len + n > r->cap) {
            r->cap = 2 * (r->len + n);
            r->data = realloc(r->data, r->cap);
        }
        memcpy(r->data + r->len, buf, n);
        r->len += n;
    }
    fclose(fp);
    return NULL;
}

/* The file written at places and the one written in order are the same bytes, with and
 * without an ROI (the regular file's rows outside it are never written: they read as the
 * zeros of its reserved blocks), for an image large enough that its conversion is shared
 * out among the cores (4.5 MB of integers, an odd number of rows). */
Test(smv, file_written_at_places_is_the_file_written_through_a_pipe)
{
    enum { W = 1500, H = 1501 };
    float *f = malloc(sizeof *f * W * H);
    for (size_t i = 0; i < (size_t)W * H; ++i) f[i] = (float)((i * 7919) % 10007) * 0.5f - 50.0f;
    nbcl_smv_header h = pattern_header();
    h.fpixels = W;
    h.spixels = H;
    int roi[4] = {13, 1400, 40, 1420};
    const int *rois[2] = {NULL, roi};
    char fifo[4200], file[4200];
    io_path(fifo, sizeof fifo, dir, "pipe.img");
    io_path(file, sizeof file, dir, "file.img");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    for (int r = 0; r < 2; ++r) {
        nbcl_err err = {0};
        pipe_reader pr = {.path = fifo};
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, read_pipe, &pr), 0);
        cr_assert_eq(nbcl_smv_write_float(fifo, &h, f, rois[r], 2.0, 10.0, &err), 0, "%s", err.msg);
        pthread_join(t, NULL);
        cr_assert_eq(nbcl_smv_write_float(file, &h, f, rois[r], 2.0, 10.0, &err), 0, "%s", err.msg);
        size_t len;
        unsigned char *d = slurp_file(file, &len);
        cr_assert_eq(pr.len, len, "roi %d: %zu bytes through the pipe, %zu in the file", r, pr.len, len);
        cr_expect_eq(memcmp(pr.data, d, len), 0, "roi %d: the file written at places differs", r);
        free(d);
        free(pr.data);
    }
    free(f);
}
