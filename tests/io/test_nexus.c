/* test_nexus.c: the NXmx writer (src/io/nexus.c) read back through the HDF5 C API: image
 * stack, per-image angles and orientations, the geometry chain and its attributes; the
 * temporary file, its removal on abort and on failure.
 *
 * Built a second time with -DNBCL_NEXUS_WRITER_MAIN it is `nexus_writer`, a small program
 * that writes one series from key=value arguments, so that tests/io/check_nexus.py can
 * check the same files with h5py and DIALS (a reader other than our own). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>
#include "io/nexus.h"

/* The value of pixel (f, s) of image i: distinct across images, rows and columns, and
 * large enough to need all of int32 (check_nexus.py computes the same). */
static int32_t pattern_value(int i, int f, int s)
{
    return (int32_t)((i * 1000003L + s * 1009L + f * 7L) % 2000000011L);
}

static void pattern_image(int32_t *img, int i, int fast, int slow)
{
    for (int s = 0; s < slow; s++)
        for (int f = 0; f < fast; f++) img[(size_t)s * fast + f] = pattern_value(i, f, s);
}

/* Orientation of image i: a right-handed turn of 10*i+5 degrees about z (row-major). */
static void pattern_umat(int i, double u[9])
{
    double a = (10.0 * i + 5.0) * M_PI / 180.0;
    double m[9] = {cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1};
    memcpy(u, m, sizeof m);
}

#ifdef NBCL_NEXUS_WRITER_MAIN

static int parse_vec(const char *text, double v[3])
{
    return sscanf(text, "%lf,%lf,%lf", &v[0], &v[1], &v[2]) == 3 ? 0 : -1;
}

typedef struct series_args {
    nbcl_nexus_geometry g;
    const char *out;
    int images, umat;
    double start, step;
} series_args;

static int parse_arg(series_args *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    size_t k = (size_t)(eq - arg);
    const char *v = eq + 1;
#define KEY(name) (k == strlen(name) && !strncmp(arg, name, k))
    if (KEY("out")) a->out = v;
    else if (KEY("fast")) a->g.fast = atoi(v);
    else if (KEY("slow")) a->g.slow = atoi(v);
    else if (KEY("pixel")) a->g.pixel_mm = atof(v);
    else if (KEY("origin")) return parse_vec(v, a->g.origin_mm);
    else if (KEY("fastaxis")) return parse_vec(v, a->g.fast_axis);
    else if (KEY("slowaxis")) return parse_vec(v, a->g.slow_axis);
    else if (KEY("axis")) return parse_vec(v, a->g.rotation_axis);
    else if (KEY("lambda")) a->g.wavelength_A = atof(v);
    else if (KEY("exposure")) a->g.exposure_s = atof(v);
    else if (KEY("thickness")) a->g.sensor_thickness_mm = atof(v);
    else if (KEY("saturation")) a->g.saturation_value = atoi(v);
    else if (KEY("images")) a->images = atoi(v);
    else if (KEY("start")) a->start = atof(v);
    else if (KEY("step")) a->step = atof(v);
    else if (KEY("umat")) a->umat = atoi(v);
    else return -1;
#undef KEY
    return 0;
}

static int write_series(const series_args *a)
{
    nbcl_err err = {0};
    nbcl_nexus *nx;
    if (nbcl_nexus_open(a->out, &a->g, a->images, &nx, &err)) {
        fprintf(stderr, "nexus_writer: %s\n", err.msg);
        return 1;
    }
    printf("compression=%s\n", nbcl_nexus_compression(nx));
    int32_t *img = malloc((size_t)a->g.fast * a->g.slow * sizeof *img);
    if (!img) {
        nbcl_nexus_abort(nx);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < a->images && !rc; i++) {
        double u[9];
        pattern_umat(i, u);
        pattern_image(img, i, a->g.fast, a->g.slow);
        rc = nbcl_nexus_append(nx, img, a->start + i * a->step, a->step, a->umat ? u : NULL, &err);
    }
    free(img);
    if (rc) nbcl_nexus_abort(nx);
    else rc = nbcl_nexus_close(nx, &err);
    if (rc) fprintf(stderr, "nexus_writer: %s\n", err.msg);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    series_args a = {
        .g = {.fast = 64, .slow = 48, .pixel_mm = 0.1, .fast_axis = {-1, 0, 0},
              .slow_axis = {0, -1, 0}, .origin_mm = {3.2, 2.4, 100}, .rotation_axis = {-1, 0, 0},
              .wavelength_A = 1.0, .exposure_s = 0.1, .sensor_thickness_mm = 0.45,
              .saturation_value = 1000000},
        .images = 3, .step = 0.5,
    };
    for (int i = 1; i < argc; i++)
        if (parse_arg(&a, argv[i])) {
            fprintf(stderr, "nexus_writer: bad argument %s\n", argv[i]);
            return 2;
        }
    if (!a.out) {
        fprintf(stderr, "usage: nexus_writer out=FILE [fast= slow= pixel= origin=x,y,z "
                        "fastaxis= slowaxis= axis= lambda= exposure= thickness= saturation= "
                        "images= start= step= umat=0|1]\n");
        return 2;
    }
    return write_series(&a);
}

#else /* the Criterion tests */

#include <criterion/criterion.h>
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

TestSuite(nexus, .init = setup, .fini = teardown);

enum { FAST = 40, SLOW = 30, IMAGES = 3 };

/* A detector tilted a little, so that no axis or origin component is trivially 0 or 1. */
static nbcl_nexus_geometry test_geometry(void)
{
    double c = cos(0.2), s = sin(0.2);
    nbcl_nexus_geometry g = {
        .fast = FAST, .slow = SLOW, .pixel_mm = 0.172,
        .fast_axis = {-c, 0, s}, .slow_axis = {0, -1, 0},
        .origin_mm = {3.5, 2.75, 120.0}, .rotation_axis = {-1, 0, 0},
        .wavelength_A = 0.9763, .exposure_s = 0.25, .sensor_thickness_mm = 0.45,
        .saturation_value = 1234567,
    };
    return g;
}

static const double START = 10.0, STEP = 0.25;

/* Write the 3-image series: image 0 without an orientation, images 1 and 2 with one. */
static void write_test_series(const char *path, const char **compression)
{
    nbcl_nexus_geometry g = test_geometry();
    nbcl_err err = {0};
    nbcl_nexus *nx;
    cr_assert_eq(nbcl_nexus_open(path, &g, IMAGES, &nx, &err), 0, "%s", err.msg);
    *compression = nbcl_nexus_compression(nx);
    cr_assert(!strcmp(*compression, "shuffle+deflate") || !strcmp(*compression, "bitshuffle/lz4"),
              "compression %s", *compression);
    int32_t img[FAST * SLOW];
    for (int i = 0; i < IMAGES; i++) {
        double u[9];
        pattern_umat(i, u);
        pattern_image(img, i, FAST, SLOW);
        cr_assert_eq(nbcl_nexus_append(nx, img, START + i * STEP, STEP, i ? u : NULL, &err), 0,
                     "%s", err.msg);
    }
    cr_assert_eq(nbcl_nexus_close(nx, &err), 0, "%s", err.msg);
}

/* ---- reading back --------------------------------------------------------------------- */

static hid_t open_dataset(hid_t file, const char *path)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    cr_assert_geq(d, 0, "no dataset %s", path);
    return d;
}

/* Dimensions of a dataset; returns the rank. */
static int dataset_dims(hid_t file, const char *path, hsize_t dims[3])
{
    hid_t d = open_dataset(file, path);
    hid_t s = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(s);
    cr_assert(rank >= 0 && rank <= 3);
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    H5Dclose(d);
    return rank;
}

static void read_doubles(hid_t file, const char *path, double *out)
{
    hid_t d = open_dataset(file, path);
    cr_assert_geq(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), 0);
    H5Dclose(d);
}

static double read_double(hid_t file, const char *path)
{
    double v;
    read_doubles(file, path, &v);
    return v;
}

static void read_string(hid_t file, const char *path, char *out, size_t cap)
{
    hid_t d = open_dataset(file, path);
    hid_t t = H5Dget_type(d);
    cr_assert_eq(H5Tget_class(t), H5T_STRING, "%s is not a string", path);
    size_t n = H5Tget_size(t);
    cr_assert(n < cap);
    memset(out, 0, cap);
    cr_assert_geq(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), 0);
    H5Tclose(t);
    H5Dclose(d);
}

static void read_attr_string(hid_t file, const char *obj, const char *name, char *out, size_t cap)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(a, 0, "no attribute %s@%s", obj, name);
    hid_t t = H5Aget_type(a);
    cr_assert_eq(H5Tget_class(t), H5T_STRING);
    cr_assert(H5Tget_size(t) < cap);
    memset(out, 0, cap);
    cr_assert_geq(H5Aread(a, t, out), 0);
    H5Tclose(t);
    H5Aclose(a);
}

static void read_attr_vec3(hid_t file, const char *obj, const char *name, double v[3])
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(a, 0, "no attribute %s@%s", obj, name);
    hid_t s = H5Aget_space(a);
    cr_assert_eq(H5Sget_simple_extent_npoints(s), 3);
    cr_assert_geq(H5Aread(a, H5T_NATIVE_DOUBLE, v), 0);
    H5Sclose(s);
    H5Aclose(a);
}

static void expect_string(hid_t file, const char *path, const char *want)
{
    char got[256];
    read_string(file, path, got, sizeof got);
    cr_expect_str_eq(got, want, "%s", path);
}

static void expect_attr(hid_t file, const char *obj, const char *name, const char *want)
{
    char got[256];
    read_attr_string(file, obj, name, got, sizeof got);
    cr_expect_str_eq(got, want, "%s@%s", obj, name);
}

static void expect_vec3(const double got[3], const double want[3], const char *what)
{
    for (int i = 0; i < 3; i++)
        cr_expect(fabs(got[i] - want[i]) < 1e-12, "%s[%d]: %.15g, want %.15g", what, i, got[i],
                  want[i]);
}

static hid_t open_file(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert_geq(f, 0, "cannot open %s", path);
    return f;
}

/* ---- the tests ---------------------------------------------------------------------- */

Test(nexus, image_stack_round_trip)
{
    char path[4096];
    io_path(path, sizeof path, dir, "series.nxs");
    const char *compression;
    write_test_series(path, &compression);
    cr_expect_eq(io_count_entries(dir), 1, "temporary left beside the file");
    hid_t f = open_file(path);
    hsize_t dims[3];
    cr_assert_eq(dataset_dims(f, "/entry/data/data", dims), 3);
    cr_expect(dims[0] == IMAGES && dims[1] == SLOW && dims[2] == FAST);
    hid_t d = open_dataset(f, "/entry/instrument/detector/data");   /* the same, linked */
    hid_t t = H5Dget_type(d);
    cr_expect(H5Tequal(t, H5T_STD_I32LE) > 0, "images are not little-endian int32");
    H5Tclose(t);
    int32_t *all = malloc(sizeof(int32_t) * IMAGES * SLOW * FAST);
    cr_assert_geq(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, all), 0);
    for (int i = 0; i < IMAGES; i++)
        for (int s = 0; s < SLOW; s++)
            for (int x = 0; x < FAST; x++)
                cr_assert_eq(all[((size_t)i * SLOW + s) * FAST + x], pattern_value(i, x, s),
                             "image %d pixel (%d,%d)", i, x, s);
    free(all);
    H5Dclose(d);
    H5Fclose(f);
}

Test(nexus, one_chunk_per_image_and_compressed)
{
    char path[4096];
    io_path(path, sizeof path, dir, "chunks.nxs");
    const char *compression;
    write_test_series(path, &compression);
    hid_t f = open_file(path);
    hid_t d = open_dataset(f, "/entry/data/data");
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[3];
    cr_assert_eq(H5Pget_chunk(dcpl, 3, chunk), 3);
    cr_expect(chunk[0] == 1 && chunk[1] == SLOW && chunk[2] == FAST);
    hid_t space = H5Dget_space(d);
    hsize_t maxd[3];
    H5Sget_simple_extent_dims(space, NULL, maxd);
    cr_expect_eq(maxd[0], H5S_UNLIMITED, "image axis is not extensible");
    H5Sclose(space);
    int bitshuffle = !strcmp(compression, "bitshuffle/lz4");
    H5Z_filter_t want = bitshuffle ? (H5Z_filter_t)32008 : H5Z_FILTER_DEFLATE;
    int found = 0;
    for (int i = 0; i < H5Pget_nfilters(dcpl); i++) {
        unsigned flags, cd[8] = {0};
        size_t n = 8;
        if (H5Pget_filter2(dcpl, (unsigned)i, &flags, &n, cd, 0, NULL, NULL) != want) continue;
        found = 1;
        /* bitshuffle's options: version (2), element size, block size, then 2 = LZ4 */
        if (bitshuffle) cr_expect(n >= 5 && cd[2] == 4 && cd[4] == 2, "bitshuffle without LZ4");
    }
    cr_expect(found, "the dataset lacks the %s filter", compression);
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);
}

Test(nexus, angles_per_image)
{
    char path[4096];
    io_path(path, sizeof path, dir, "angles.nxs");
    const char *compression;
    write_test_series(path, &compression);
    hid_t f = open_file(path);
    const char *axis = "/entry/sample/transformations/omega";
    expect_string(f, "/entry/sample/depends_on", axis);
    double start[IMAGES], end[IMAGES], inc[IMAGES];
    hsize_t dims[3];
    cr_assert_eq(dataset_dims(f, axis, dims), 1);
    cr_assert_eq(dims[0], IMAGES);
    read_doubles(f, axis, start);
    read_doubles(f, "/entry/sample/transformations/omega_end", end);
    read_doubles(f, "/entry/sample/transformations/omega_increment_set", inc);
    for (int i = 0; i < IMAGES; i++) {
        cr_expect_eq(start[i], START + i * STEP);
        cr_expect_eq(end[i], START + (i + 1) * STEP);
        cr_expect_eq(inc[i], STEP);
    }
    expect_attr(f, axis, "units", "deg");
    expect_attr(f, axis, "transformation_type", "rotation");
    expect_attr(f, axis, "depends_on", ".");
    expect_attr(f, "/entry/sample/transformations/omega_increment_set", "units", "deg");
    double v[3];
    read_attr_vec3(f, axis, "vector", v);
    expect_vec3(v, test_geometry().rotation_axis, "omega@vector");
    H5Fclose(f);
}

Test(nexus, orientations_per_image)
{
    char path[4096];
    io_path(path, sizeof path, dir, "umat.nxs");
    const char *compression;
    write_test_series(path, &compression);
    hid_t f = open_file(path);
    hsize_t dims[3];
    cr_assert_eq(dataset_dims(f, "/entry/sample/ub_matrix", dims), 3);
    cr_assert(dims[0] == IMAGES && dims[1] == 3 && dims[2] == 3);
    double m[IMAGES * 9];
    read_doubles(f, "/entry/sample/ub_matrix", m);
    for (int k = 0; k < 9; k++) cr_expect(isnan(m[k]), "image 0 had no orientation");
    for (int i = 1; i < IMAGES; i++) {
        double u[9];
        pattern_umat(i, u);
        for (int k = 0; k < 9; k++) cr_expect_eq(m[i * 9 + k], u[k], "image %d [%d]", i, k);
    }
    H5Fclose(f);
}

/* The NXmx skeleton and the detector chain: pixel (0,0)'s outer corner is the detector
 * translation plus the (zero) module offset; the pixel directions carry the pixel size. */
Test(nexus, geometry_chain)
{
    char path[4096];
    io_path(path, sizeof path, dir, "geometry.nxs");
    const char *compression;
    write_test_series(path, &compression);
    nbcl_nexus_geometry g = test_geometry();
    hid_t f = open_file(path);
    expect_string(f, "/entry/definition", "NXmx");
    expect_attr(f, "/entry", "NX_class", "NXentry");
    expect_attr(f, "/entry/data", "NX_class", "NXdata");
    expect_attr(f, "/entry/data", "signal", "data");
    expect_attr(f, "/entry/instrument", "NX_class", "NXinstrument");
    expect_attr(f, "/entry/instrument/detector/module", "NX_class", "NXdetector_module");
    expect_attr(f, "/entry/sample", "NX_class", "NXsample");
    char when[64];
    read_string(f, "/entry/start_time", when, sizeof when);
    cr_expect(strlen(when) == 20 && when[19] == 'Z', "start_time %s", when);
    read_string(f, "/entry/end_time", when, sizeof when);
    cr_expect(strlen(when) == 20 && when[19] == 'Z', "end_time %s", when);
    double lambda = read_double(f, "/entry/instrument/beam/incident_wavelength");
    cr_expect(fabs(lambda - g.wavelength_A) < 1e-15);
    expect_attr(f, "/entry/instrument/beam/incident_wavelength", "units", "angstrom");

    const char *origin = "/entry/instrument/detector/transformations/translation";
    const char *offset = "/entry/instrument/detector/module/module_offset";
    const char *fastp = "/entry/instrument/detector/module/fast_pixel_direction";
    const char *slowp = "/entry/instrument/detector/module/slow_pixel_direction";
    expect_string(f, "/entry/instrument/detector/depends_on", origin);
    expect_string(f, "/entry/instrument/detector/sensor_material", "Silicon");
    expect_attr(f, origin, "depends_on", ".");
    expect_attr(f, offset, "depends_on", origin);
    expect_attr(f, fastp, "depends_on", offset);
    expect_attr(f, slowp, "depends_on", offset);
    expect_attr(f, fastp, "transformation_type", "translation");
    expect_attr(f, fastp, "units", "mm");
    expect_attr(f, origin, "units", "mm");
    double v[3], corner[3];
    read_attr_vec3(f, origin, "vector", v);
    double len = read_double(f, origin) + read_double(f, offset);
    for (int i = 0; i < 3; i++) corner[i] = len * v[i];
    for (int i = 0; i < 3; i++)
        cr_expect(fabs(corner[i] - g.origin_mm[i]) < 1e-12, "origin[%d] %.15g", i, corner[i]);
    read_attr_vec3(f, fastp, "vector", v);
    expect_vec3(v, g.fast_axis, "fast_pixel_direction@vector");
    read_attr_vec3(f, slowp, "vector", v);
    expect_vec3(v, g.slow_axis, "slow_pixel_direction@vector");
    read_attr_vec3(f, fastp, "offset", v);
    expect_vec3(v, (double[3]){0, 0, 0}, "fast_pixel_direction@offset");
    cr_expect_eq(read_double(f, fastp), g.pixel_mm);
    cr_expect_eq(read_double(f, slowp), g.pixel_mm);

    cr_expect(fabs(read_double(f, "/entry/instrument/detector/x_pixel_size") - 1.72e-4) < 1e-18);
    expect_attr(f, "/entry/instrument/detector/x_pixel_size", "units", "m");
    cr_expect(fabs(read_double(f, "/entry/instrument/detector/sensor_thickness") - 4.5e-4) < 1e-18);
    cr_expect_eq(read_double(f, "/entry/instrument/detector/count_time"), g.exposure_s);
    cr_expect_eq(read_double(f, "/entry/instrument/detector/frame_time"), g.exposure_s);
    expect_attr(f, "/entry/instrument/detector/frame_time", "units", "s");
    int sat = 0, size[2] = {0, 0};
    hid_t d = open_dataset(f, "/entry/instrument/detector/saturation_value");
    H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &sat);
    H5Dclose(d);
    cr_expect_eq(sat, g.saturation_value);
    d = open_dataset(f, "/entry/instrument/detector/module/data_size");
    H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, size);
    H5Dclose(d);
    cr_expect(size[0] == SLOW && size[1] == FAST, "data_size %d %d", size[0], size[1]);
    H5Fclose(f);
}

/* The derived distance and beam centre: the beam (+z) meets the plane of a detector at
 * 120 mm whose fast axis leans 0.2 rad towards the beam. */
Test(nexus, derived_distance_and_beam_centre)
{
    char path[4096];
    io_path(path, sizeof path, dir, "centre.nxs");
    const char *compression;
    write_test_series(path, &compression);
    nbcl_nexus_geometry g = test_geometry();
    /* normal = fast x slow; the beam meets the plane at t*z with (t*z - o).n = 0 */
    double *a = g.fast_axis, *b = g.slow_axis, *o = g.origin_mm;
    double n[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    double t = (o[0] * n[0] + o[1] * n[1] + o[2] * n[2]) / n[2];
    double h[3] = {-o[0], -o[1], t - o[2]};
    double cx = (h[0] * a[0] + h[1] * a[1] + h[2] * a[2]) / g.pixel_mm;
    double cy = (h[0] * b[0] + h[1] * b[1] + h[2] * b[2]) / g.pixel_mm;
    hid_t f = open_file(path);
    cr_expect(fabs(read_double(f, "/entry/instrument/detector/distance") - t * 1e-3) < 1e-12);
    cr_expect(fabs(read_double(f, "/entry/instrument/detector/beam_center_x") - cx) < 1e-9);
    cr_expect(fabs(read_double(f, "/entry/instrument/detector/beam_center_y") - cy) < 1e-9);
    expect_attr(f, "/entry/instrument/detector/beam_center_x", "units", "pixel");
    H5Fclose(f);
}

Test(nexus, temporary_until_close_then_replaces)
{
    char path[4096];
    io_path(path, sizeof path, dir, "replace.nxs");
    io_write_text(path, "old contents");
    nbcl_nexus_geometry g = test_geometry();
    nbcl_err err = {0};
    nbcl_nexus *nx;
    cr_assert_eq(nbcl_nexus_open(path, &g, 0, &nx, &err), 0, "%s", err.msg);
    cr_expect_eq(io_count_entries(dir), 2, "the temporary should sit beside the old file");
    int32_t img[FAST * SLOW];
    pattern_image(img, 0, FAST, SLOW);
    cr_assert_eq(nbcl_nexus_append(nx, img, 0, 1, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_nexus_close(nx, &err), 0, "%s", err.msg);
    cr_expect_eq(io_count_entries(dir), 1);
    hid_t f = open_file(path);
    hsize_t dims[3];
    dataset_dims(f, "/entry/data/data", dims);
    cr_expect_eq(dims[0], 1);
    cr_expect(H5Lexists(f, "/entry/sample/ub_matrix", H5P_DEFAULT) == 0,
              "no orientation was given, none should be written");
    H5Fclose(f);
}

Test(nexus, missing_directory_is_named_and_leaves_nothing)
{
    char path[4096], missing[4096];
    io_path(missing, sizeof missing, dir, "no-such-dir");
    io_path(path, sizeof path, missing, "series.nxs");
    nbcl_nexus_geometry g = test_geometry();
    nbcl_err err = {0};
    nbcl_nexus *nx = (nbcl_nexus *)&err;
    cr_assert_neq(nbcl_nexus_open(path, &g, 3, &nx, &err), 0);
    cr_expect_null(nx);
    cr_expect_eq(err.code, NBCL_E_FILE);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, missing), "%s", err.msg);
    cr_expect_eq(io_count_entries(dir), 0, "something was left behind");
}

Test(nexus, abort_leaves_nothing)
{
    char path[4096];
    io_path(path, sizeof path, dir, "aborted.nxs");
    nbcl_nexus_geometry g = test_geometry();
    nbcl_err err = {0};
    nbcl_nexus *nx;
    cr_assert_eq(nbcl_nexus_open(path, &g, 3, &nx, &err), 0, "%s", err.msg);
    int32_t img[FAST * SLOW];
    pattern_image(img, 0, FAST, SLOW);
    double u[9];
    pattern_umat(0, u);
    cr_assert_eq(nbcl_nexus_append(nx, img, 0, 1, u, &err), 0, "%s", err.msg);
    nbcl_nexus_abort(nx);
    cr_expect_eq(io_count_entries(dir), 0);
    cr_assert_eq(nbcl_nexus_open(path, &g, 0, &nx, &err), 0, "%s", err.msg);
    nbcl_nexus_abort(nx);     /* before any image */
    nbcl_nexus_abort(NULL);
    cr_expect_eq(io_count_entries(dir), 0);
}

/* A thickness of 0 (not stated) is written as a token 1 nm: NXmx requires the field and
 * dxtbx refuses a thickness of 0. */
Test(nexus, unstated_thickness_is_a_token)
{
    char path[4096];
    io_path(path, sizeof path, dir, "thin.nxs");
    nbcl_nexus_geometry g = test_geometry();
    g.sensor_thickness_mm = 0;
    nbcl_err err = {0};
    nbcl_nexus *nx;
    cr_assert_eq(nbcl_nexus_open(path, &g, 0, &nx, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_nexus_close(nx, &err), 0, "%s", err.msg);
    hid_t f = open_file(path);
    cr_expect_eq(read_double(f, "/entry/instrument/detector/sensor_thickness"), 1e-9);
    char text[256];
    read_attr_string(f, "/entry/instrument/detector/sensor_thickness", "description", text,
                     sizeof text);
    cr_expect_not_null(strstr(text, "not stated"), "%s", text);
    hsize_t dims[3];
    dataset_dims(f, "/entry/data/data", dims);
    cr_expect_eq(dims[0], 0, "no image was appended");
    H5Fclose(f);
}

Test(nexus, bad_geometry_is_refused)
{
    char path[4096];
    io_path(path, sizeof path, dir, "bad.nxs");
    nbcl_err err = {0};
    nbcl_nexus *nx;
    nbcl_nexus_geometry g = test_geometry();
    g.pixel_mm = 0;
    cr_expect_neq(nbcl_nexus_open(path, &g, 0, &nx, &err), 0);
    cr_expect_eq(err.code, NBCL_E_INVALID);
    g = test_geometry();
    g.slow_axis[0] = g.slow_axis[1] = g.slow_axis[2] = 0;
    cr_expect_neq(nbcl_nexus_open(path, &g, 0, &nx, &err), 0);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_expect_eq(io_count_entries(dir), 0);
}

#endif
