/* test_cbf.c: the miniCBF writer and reader (src/io/cbf.c): pixels and header values
 * round-trip, the header lines are the ones Pilatus files and dxtbx use, the header
 * convention follows the array's shape, and failures leave nothing behind.
 *
 * Built a second time with -DNBCL_CBF_WRITER_MAIN it is `cbf_writer`, a small program that
 * writes one image from key=value arguments, so that tests/io/check_cbf.py can check the
 * same files with fabio and DIALS (readers other than our own). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/cbf.h"

/* Pixel (f, s) of a fast x slow image: 0..1e6, -1 on every 11th row (as Pilatus marks its
 * gaps) and at (0, 0), 2e9 at (1, 0), and 1048575 then INT32_MAX ending the last row.
 * check_cbf.py computes the same. */
static int32_t pattern_value(int f, int s, int fast, int slow)
{
    if (f == 0 && s == 0) return -1;
    if (f == 1 && s == 0) return 2000000000;
    if (s == slow - 1 && f == fast - 1) return INT32_MAX;
    if (s == slow - 1 && f == fast - 2) return 1048575;
    if (s % 11 == 5) return -1;
    return (int32_t)(((long)s * 1009L + (long)f * 7919L) % 1000001L);
}

static int32_t *pattern_image(int fast, int slow)
{
    int32_t *img = malloc((size_t)fast * (size_t)slow * sizeof *img);
    if (!img) return NULL;
    for (int s = 0; s < slow; s++)
        for (int f = 0; f < fast; f++) img[(size_t)s * fast + f] = pattern_value(f, s, fast, slow);
    return img;
}

#ifdef NBCL_CBF_WRITER_MAIN

static int parse_arg(nbcl_cbf_meta *m, const char **out, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    size_t k = (size_t)(eq - arg);
    const char *v = eq + 1;
#define KEY(name) (k == strlen(name) && !strncmp(arg, name, k))
    if (KEY("out")) *out = v;
    else if (KEY("fast")) m->fast = atoi(v);
    else if (KEY("slow")) m->slow = atoi(v);
    else if (KEY("pixel")) m->pixel_mm = atof(v);
    else if (KEY("distance")) m->distance_mm = atof(v);
    else if (KEY("beamx")) m->beam_x_px = atof(v);
    else if (KEY("beamy")) m->beam_y_px = atof(v);
    else if (KEY("lambda")) m->wavelength_A = atof(v);
    else if (KEY("exposure")) m->exposure_s = atof(v);
    else if (KEY("start")) m->start_angle_deg = atof(v);
    else if (KEY("step")) m->angle_increment_deg = atof(v);
    else if (KEY("thickness")) m->sensor_thickness_mm = atof(v);
    else if (KEY("cutoff")) m->count_cutoff = atoi(v);
    else return -1;
#undef KEY
    return 0;
}

int main(int argc, char **argv)
{
    nbcl_cbf_meta m = {.fast = 64, .slow = 48, .pixel_mm = 0.1, .distance_mm = 100,
                       .beam_x_px = 30.5, .beam_y_px = 20.25, .wavelength_A = 1.2,
                       .exposure_s = 1.0, .start_angle_deg = 10, .angle_increment_deg = 0.5,
                       .sensor_thickness_mm = 0.45, .count_cutoff = 1048575};
    const char *out = NULL;
    for (int i = 1; i < argc; i++)
        if (parse_arg(&m, &out, argv[i])) {
            fprintf(stderr, "cbf_writer: bad argument %s\n", argv[i]);
            return 2;
        }
    if (!out) {
        fprintf(stderr, "usage: cbf_writer out=FILE [fast= slow= pixel= distance= beamx= beamy= "
                        "lambda= exposure= start= step= thickness= cutoff=]\n");
        return 2;
    }
    int32_t *img = pattern_image(m.fast, m.slow);
    nbcl_err err = {0};
    int rc = img ? nbcl_cbf_write(out, &m, img, &err) : -1;
    free(img);
    if (rc) fprintf(stderr, "cbf_writer: %s\n", img ? err.msg : "out of memory");
    return rc ? 1 : 0;
}

#else /* the Criterion tests */

#include <criterion/criterion.h>
#include "io_util.h"

static char dir[4096];

static void setup(void)
{
    io_tmpdir(dir, sizeof dir);
    setenv("SOURCE_DATE_EPOCH", "0", 1);   /* a known date line */
}

static void teardown(void)
{
    io_rmdir(dir);
}

TestSuite(cbf, .init = setup, .fini = teardown);

/* Round numbers: the header lines then read exactly as a Pilatus writes them. */
static nbcl_cbf_meta plain_meta(int fast, int slow)
{
    nbcl_cbf_meta m = {.fast = fast, .slow = slow, .pixel_mm = 0.1, .distance_mm = 100,
                       .beam_x_px = 18.5, .beam_y_px = 11.5, .wavelength_A = 1.0,
                       .exposure_s = 1.0, .start_angle_deg = 0, .angle_increment_deg = 0.1,
                       .sensor_thickness_mm = 0.45, .count_cutoff = 1048575};
    return m;
}

static void write_pattern(const char *path, const nbcl_cbf_meta *m)
{
    int32_t *img = pattern_image(m->fast, m->slow);
    cr_assert_not_null(img);
    nbcl_err err = {0};
    int rc = nbcl_cbf_write(path, m, img, &err);
    free(img);
    cr_assert_eq(rc, 0, "%s", err.msg);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* The text before the binary section (which may hold NULs). */
static char *header_text(const char *path)
{
    size_t len;
    char *buf = slurp(path, &len);
    char *bin = memmem(buf, len, "\x0c\x1a\x04\xd5", 4);
    cr_assert_not_null(bin, "%s has no binary section", path);
    *bin = '\0';
    return buf;
}

Test(cbf, pixels_round_trip)
{
    char path[4200];
    io_path(path, sizeof path, dir, "rt_0001.cbf");
    nbcl_cbf_meta m = plain_meta(37, 23);
    write_pattern(path, &m);
    nbcl_cbf_meta back;
    int32_t *px = NULL;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_cbf_read(path, &back, &px, &err), 0, "%s", err.msg);
    cr_assert_eq(back.fast, 37);
    cr_assert_eq(back.slow, 23);
    int32_t *want = pattern_image(37, 23);
    for (int i = 0; i < 37 * 23; i++)
        cr_assert_eq(px[i], want[i], "pixel %d: %d read, %d written", i, px[i], want[i]);
    cr_assert_eq(px[0], -1);
    cr_assert_eq(px[37 * 5 + 3], -1);
    cr_assert_eq(px[37 * 23 - 1], INT32_MAX);
    free(px);
    free(want);
    cr_assert_eq(io_count_entries(dir), 1, "a temporary was left behind");
}

Test(cbf, header_values_round_trip)
{
    char path[4200];
    io_path(path, sizeof path, dir, "hv_0001.cbf");
    nbcl_cbf_meta m = {.fast = 37, .slow = 23, .pixel_mm = 0.172, .distance_mm = 231.1735,
                       .beam_x_px = 101.37, .beam_y_px = -55.125, .wavelength_A = 0.979338,
                       .exposure_s = 0.0123, .start_angle_deg = -12.5,
                       .angle_increment_deg = 0.15, .sensor_thickness_mm = 0.32,
                       .count_cutoff = 1048500};
    write_pattern(path, &m);
    nbcl_cbf_meta b;
    int32_t *px = NULL;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_cbf_read(path, &b, &px, &err), 0, "%s", err.msg);
    free(px);
    const double tol = 1e-12;
    cr_assert_eq(b.fast, m.fast);
    cr_assert_eq(b.slow, m.slow);
    cr_assert_float_eq(b.pixel_mm, m.pixel_mm, tol);
    cr_assert_float_eq(b.distance_mm, m.distance_mm, tol * 1000);
    cr_assert_float_eq(b.beam_x_px, m.beam_x_px, tol);
    cr_assert_float_eq(b.beam_y_px, m.beam_y_px, tol);
    cr_assert_float_eq(b.wavelength_A, m.wavelength_A, tol);
    cr_assert_float_eq(b.exposure_s, m.exposure_s, tol);
    cr_assert_float_eq(b.start_angle_deg, m.start_angle_deg, tol);
    cr_assert_float_eq(b.angle_increment_deg, m.angle_increment_deg, tol);
    cr_assert_float_eq(b.sensor_thickness_mm, m.sensor_thickness_mm, tol);
    cr_assert_eq(b.count_cutoff, m.count_cutoff);
}

Test(cbf, header_lines_as_pilatus_writes_them)
{
    char path[4200];
    io_path(path, sizeof path, dir, "hl_0001.cbf");
    nbcl_cbf_meta m = plain_meta(37, 23);
    write_pattern(path, &m);
    char *text = header_text(path);
    cr_assert_eq(strncmp(text, "###CBF: VERSION 1.5", 19), 0, "first line: %.40s", text);
    static const char *lines[] = {
        "_array_data.header_convention \"GENERIC_MINI\"",
        "# Detector: nanoBragg-CL simulated pixel detector, S/N 00-0000\r\n",
        "# 1970-01-01T00:00:00.000\r\n",
        "# Pixel_size 100e-6 m x 100e-6 m\r\n",
        "# Silicon sensor, thickness 0.000450 m\r\n",
        "# Exposure_time 1.0000000 s\r\n",
        "# Exposure_period 1.0000000 s\r\n",
        "# Count_cutoff 1048575 counts\r\n",
        "# Wavelength 1.00000 A\r\n",
        "# Detector_distance 0.10000 m\r\n",
        "# Beam_xy (18.50, 11.50) pixels\r\n",
        "# Start_angle 0.0000 deg.\r\n",
        "# Angle_increment 0.1000 deg.\r\n",
        "# Phi 0.0000 deg.\r\n",
        "# Oscillation_axis X, CW\r\n",
        "# N_oscillations 1\r\n",
        "conversions=\"x-CBF_BYTE_OFFSET\"",
        "X-Binary-Element-Type: \"signed 32-bit integer\"",
        "X-Binary-Size-Fastest-Dimension: 37\r\n",
        "X-Binary-Size-Second-Dimension: 23\r\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_expect_not_null(strstr(text, lines[i]), "missing: %s", lines[i]);
    cr_expect_null(strstr(text, "PILATUS"), "a non-Pilatus shape must not say PILATUS");
    free(text);
}

/* Only whole Pilatus module layouts say PILATUS (dxtbx's Pilatus class asserts on others). */
Test(cbf, convention_follows_the_array_shape)
{
    static const struct { int fast, slow, pilatus; } cases[] = {
        {487, 195, 1}, {981, 407, 1}, {488, 195, 0}, {487, 196, 0}, {64, 48, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4200], name[64];
        snprintf(name, sizeof name, "shape%zu_0001.cbf", i);
        io_path(path, sizeof path, dir, name);
        nbcl_cbf_meta m = plain_meta(cases[i].fast, cases[i].slow);
        write_pattern(path, &m);
        char *text = header_text(path);
        int says = strstr(text, "header_convention \"PILATUS_1.2\"") != NULL
                   && strstr(text, "# Detector: PILATUS") != NULL;
        int generic = strstr(text, "header_convention \"GENERIC_MINI\"") != NULL;
        cr_expect_eq(says, cases[i].pilatus, "%dx%d", cases[i].fast, cases[i].slow);
        cr_expect_eq(generic, !cases[i].pilatus, "%dx%d", cases[i].fast, cases[i].slow);
        free(text);
    }
}

Test(cbf, missing_directory_fails_naming_the_path)
{
    char path[4200];
    io_path(path, sizeof path, dir, "no/such/dir/x_0001.cbf");
    nbcl_cbf_meta m = plain_meta(37, 23);
    int32_t *img = pattern_image(37, 23);
    nbcl_err err = {0};
    cr_assert_neq(nbcl_cbf_write(path, &m, img, &err), 0);
    free(img);
    cr_assert_eq(err.code, NBCL_E_FILE);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_eq(io_count_entries(dir), 0, "something was left behind");
}

Test(cbf, overwrite_leaves_one_file)
{
    char path[4200];
    io_path(path, sizeof path, dir, "ow_0001.cbf");
    io_write_text(path, "old contents\n");
    nbcl_cbf_meta m = plain_meta(37, 23);
    write_pattern(path, &m);
    write_pattern(path, &m);
    cr_assert_eq(io_count_entries(dir), 1);
    size_t len;
    char *text = slurp(path, &len);
    cr_assert_eq(strncmp(text, "###CBF", 6), 0);
    free(text);
}

Test(cbf, refused_before_any_file)
{
    char path[4200];
    io_path(path, sizeof path, dir, "bad_0001.cbf");
    int32_t *img = pattern_image(37, 23);
    nbcl_err err = {0};
    nbcl_cbf_meta m = plain_meta(37, 23);
    m.pixel_mm = 0;
    cr_assert_neq(nbcl_cbf_write(path, &m, img, &err), 0);
    cr_assert_eq(err.code, NBCL_E_INVALID);
    cr_assert_not_null(strstr(err.msg, "pixel size"), "%s", err.msg);
    /* a step of exactly 2^31 is one libcbf's byte-offset coder gets wrong */
    m = plain_meta(37, 23);
    img[10] = -1;
    img[11] = INT32_MAX;
    err = (nbcl_err){0};
    cr_assert_neq(nbcl_cbf_write(path, &m, img, &err), 0);
    cr_assert_eq(err.code, NBCL_E_INVALID);
    cr_assert_not_null(strstr(err.msg, "pixel 11"), "%s", err.msg);
    free(img);
    cr_assert_eq(io_count_entries(dir), 0);
}

static void expect_read_error(const char *path, const char *part)
{
    static int32_t dummy;
    nbcl_cbf_meta m;
    int32_t *px = &dummy;   /* must come back NULL */
    nbcl_err err = {0};
    cr_assert_neq(nbcl_cbf_read(path, &m, &px, &err), 0, "%s read", path);
    cr_assert_null(px);
    cr_assert_eq(err.code, NBCL_E_FILE);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, part), "%s", err.msg);
}

Test(cbf, read_errors_name_the_file)
{
    char path[4200];
    io_path(path, sizeof path, dir, "none.cbf");
    expect_read_error(path, "cannot open");
    io_path(path, sizeof path, dir, "text.cbf");
    io_write_text(path, "not an image\n");
    expect_read_error(path, "not a CBF");
    /* a CBF cut short inside its header */
    char good[4200];
    io_path(good, sizeof good, dir, "good_0001.cbf");
    nbcl_cbf_meta m = plain_meta(37, 23);
    write_pattern(good, &m);
    size_t len;
    char *bytes = slurp(good, &len);
    io_path(path, sizeof path, dir, "cut_0001.cbf");
    io_write_bytes(path, bytes, 600);
    expect_read_error(path, "cbf_read_widefile");
    /* a flipped bit in the pixels: the MD5 digest no longer matches */
    char *bin = memmem(bytes, len, "\x0c\x1a\x04\xd5", 4);
    cr_assert_not_null(bin);
    bin[4 + 100] ^= 0x01;
    io_path(path, sizeof path, dir, "flip_0001.cbf");
    io_write_bytes(path, bytes, len);
    expect_read_error(path, "libcbf");
    free(bytes);
}

#endif
