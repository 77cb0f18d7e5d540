/* test_library.c: the public API of libnbcl (nbcl/nbcl.h) as a library user sees it: one
 * engine, many images; per-image parameters give the same image as a fresh run with the
 * matching flags; status codes and messages for bad input; the log callback; the program
 * cache; and a device whose kernels fail to build releasing what it made. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nbcl/nbcl.h"

#define BASE "-default_F 100 -lambda 1 -N 5 -detpixels 48 -pixel 0.1 -distance 100 " \
             "-cell 50 60 70 90 90 90 -noprogress"

typedef struct captured {
    char text[1 << 16];
    size_t len;
    int warnings;
} captured;

static void capture(void *user, nbcl_log_level level, const char *line)
{
    captured *c = user;
    size_t n = strlen(line);
    if (c->len + n + 2 < sizeof c->text) {
        memcpy(c->text + c->len, line, n);
        c->text[c->len + n] = '\n';
        c->len += n + 1;
        c->text[c->len] = '\0';
    }
    if (level == NBCL_LOG_WARNING) c->warnings++;
}

static char cache_dir[64];

static void setup(void)
{
    strcpy(cache_dir, "/tmp/nbcl-libtest-XXXXXX");
    cr_assert_not_null(mkdtemp(cache_dir));
    setenv("NBCL_CACHE_DIR", cache_dir, 1);
    unsetenv("NBCL_KERNEL_DIR");
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
        else unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void)
{
    remove_tree(cache_dir);
}

TestSuite(library, .init = setup, .fini = teardown, .timeout = 300);

/* an experiment from a command line (split at spaces) */
static nbcl_experiment *experiment(const char *args, captured *log)
{
    char buf[2048];
    const char *argv[128];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 128; t = strtok(NULL, " ")) argv[argc++] = t;
    nbcl_experiment *exp = NULL;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    if (log) nbcl_experiment_set_log(exp, capture, log);
    cr_assert_eq(nbcl_experiment_parse_args(exp, argc, argv), NBCL_OK, "%s: %s", args, nbcl_last_error());
    return exp;
}

/* one image of a fresh experiment and engine */
static float *simulate(const char *args, int *npix)
{
    nbcl_experiment *exp = experiment(args, NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int f, s;
    cr_assert_eq(nbcl_experiment_detector_size(exp, &f, &s), NBCL_OK);
    *npix = f * s;
    float *img = malloc(sizeof(float) * (size_t)*npix);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, (size_t)*npix), NBCL_OK, "%s", nbcl_last_error());
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
    return img;
}

static void expect_same(const float *a, const float *b, int n, const char *what)
{
    int differ = 0;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        differ += memcmp(&a[i], &b[i], sizeof(float)) != 0;
        sum += a[i];
    }
    cr_expect_eq(differ, 0, "%s: %d of %d pixels differ", what, differ, n);
    cr_expect_gt(sum, 0.0, "%s: an empty image proves nothing", what);
}

Test(library, one_engine_many_images_each_equal_to_a_fresh_run)
{
    nbcl_experiment *exp = experiment(BASE " -mosaic 0.5 -mosaic_dom 3 -phisteps 2 -osc 0.5", NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    nbcl_experiment_destroy(exp);   /* the engine keeps its own copy */
    int n = 48 * 48;
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    nbcl_image_params p;
    static const double phis[] = {0.0, 1.5, 30.0};
    for (int k = 0; k < 3; ++k) {
        nbcl_image_params_init(&p);
        p.phi_deg = phis[k];
        cr_assert_eq(nbcl_engine_run(eng, &p, a, (size_t)n), NBCL_OK, "%s", nbcl_last_error());
        nbcl_run_info info;
        cr_assert_eq(nbcl_engine_run_info(eng, &info), NBCL_OK);
        cr_expect_float_eq(info.phi_deg, phis[k], 1e-12);
        cr_expect_float_eq(info.osc_deg, 0.5, 1e-12);
        char args[512];
        snprintf(args, sizeof args, BASE " -mosaic 0.5 -mosaic_dom 3 -phisteps 2 -osc 0.5 -phi %g", phis[k]);
        int m;
        float *ref = simulate(args, &m);
        cr_assert_eq(m, n);
        expect_same(a, ref, n, args);
        free(ref);
    }
    /* the same parameters twice: the same bits */
    cr_assert_eq(nbcl_engine_run(eng, &p, b, (size_t)n), NBCL_OK);
    expect_same(a, b, n, "repeated image");
    nbcl_engine_destroy(eng);
    free(a);
    free(b);
}

/* run_info's solid angle of one image of a fresh engine */
static double solid_angle_of(const char *args)
{
    nbcl_experiment *exp = experiment(args, NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s: %s", args, nbcl_last_error());
    int f, s;
    cr_assert_eq(nbcl_experiment_detector_size(exp, &f, &s), NBCL_OK);
    float *img = malloc(sizeof(float) * (size_t)f * (size_t)s);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, (size_t)f * (size_t)s), NBCL_OK, "%s", nbcl_last_error());
    nbcl_run_info info;
    cr_assert_eq(nbcl_engine_run_info(eng, &info), NBCL_OK);
    free(img);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
    return info.solid_angle;
}

/* The scale stage sums the solid angles of each work-item's pixels (kernels/scale_stage.cl)
 * and the host adds those sums: tiles of one pixel (one lane of a work-item used), tiles
 * whose pixel count is no multiple of the vector width, one pixel a work-item and a ROI
 * must all give the sum of the same pixels. A lane dropped or counted twice moves the sum
 * by 1e-3 here; the float rounding of the partial sums by about 1e-9. */
Test(library, solid_angle_is_the_same_for_any_tiling_and_vector_width)
{
    static const char *const shapes[] = {"", " -roi 3 30 2 20", " -oversample 2 -roi 0 36 5 5"};
    static const char *const widths[] = {NULL, "1", "4"};
    static const char *const tiles[] = {"", " -tile 1", " -tile 5", " -tile 13"};
    for (int precision = 0; precision < 2; ++precision) {
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; ++k) {
            double ref = 0.0;
            for (size_t w = 0; w < sizeof widths / sizeof widths[0]; ++w) {
                if (widths[w]) setenv("NBCL_VECTOR_WIDTH", widths[w], 1);
                for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; ++t) {
                    char args[512];
                    snprintf(args, sizeof args,
                             "-default_F 100 -lambda 1 -N 5 -detpixels_f 37 -detpixels_s 29 -pixel 0.1 "
                             "-distance 100 -cell 50 60 70 90 90 90 -noprogress -precision %s%s%s",
                             precision ? "single" : "double", shapes[k], tiles[t]);
                    double sa = solid_angle_of(args);
                    if (w == 0 && t == 0) {
                        ref = sa;
                        cr_assert_gt(ref, 0.0, "%s: no solid angle", args);
                        continue;
                    }
                    cr_expect_leq(fabs(sa - ref), 1e-7 * ref,
                                  "%s (vector width %s): solid angle %.12g, default tiling %.12g", args,
                                  widths[w] ? widths[w] : "default", sa, ref);
                }
                unsetenv("NBCL_VECTOR_WIDTH");
            }
        }
    }
}

Test(library, per_image_crystal_size_fluence_and_misset)
{
    nbcl_experiment *exp = experiment(BASE, NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int n = 48 * 48, m;
    float *a = malloc(sizeof(float) * n);
    nbcl_image_params p;
    nbcl_image_params_init(&p);
    p.Na = p.Nb = p.Nc = 7;
    p.fluence = 3e24;
    p.set_misset = 1;
    p.misset_deg[0] = 10;
    p.misset_deg[1] = 20;
    p.misset_deg[2] = 30;
    cr_assert_eq(nbcl_engine_run(eng, &p, a, (size_t)n), NBCL_OK, "%s", nbcl_last_error());
    float *ref = simulate("-default_F 100 -lambda 1 -N 7 -detpixels 48 -pixel 0.1 -distance 100 "
                          "-cell 50 60 70 90 90 90 -noprogress -fluence 3e24 -misset 10 20 30", &m);
    expect_same(a, ref, n, "N 7, fluence, misset");
    free(ref);
    /* back to the experiment as resolved */
    cr_assert_eq(nbcl_engine_run(eng, NULL, a, (size_t)n), NBCL_OK);
    ref = simulate(BASE, &m);
    expect_same(a, ref, n, "NULL parameters");
    free(ref);
    free(a);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

Test(library, setters_and_a_table_handed_in_match_the_command_line)
{
    char path[] = "/tmp/nbcl-lib-hkl-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    int hkl[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 2, 0, 0};
    double F[] = {100, 200, 300, 50, 80};
    for (int i = 0; i < 5; ++i) fprintf(f, "%d %d %d %g\n", hkl[3 * i], hkl[3 * i + 1], hkl[3 * i + 2], F[i]);
    fclose(f);

    nbcl_experiment *exp;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    cr_assert_eq(nbcl_experiment_set_cell(exp, 50, 60, 70, 90, 90, 90), NBCL_OK);
    cr_assert_eq(nbcl_experiment_set_wavelength(exp, 1.0), NBCL_OK);
    cr_assert_eq(nbcl_experiment_set_detector(exp, 48, 48, 0.1, 100), NBCL_OK);
    cr_assert_eq(nbcl_experiment_set_crystal_cells(exp, 5, 5, 5), NBCL_OK);
    cr_assert_eq(nbcl_experiment_set_structure_factors(exp, 5, hkl, F), NBCL_OK);
    nbcl_engine_options o;
    nbcl_engine_options_init(&o);
    o.progress = 0;
    nbcl_engine *eng;
    cr_assert_eq(nbcl_engine_create(exp, &o, &eng), NBCL_OK, "%s", nbcl_last_error());
    int n = 48 * 48, m;
    float *a = malloc(sizeof(float) * n);
    cr_assert_eq(nbcl_engine_run(eng, NULL, a, (size_t)n), NBCL_OK);
    char args[512];
    snprintf(args, sizeof args, "-lambda 1 -N 5 -detpixels 48 -pixel 0.1 -distance 100 "
             "-cell 50 60 70 90 90 90 -noprogress -hkl %s -dump /dev/null", path);
    float *ref = simulate(args, &m);
    expect_same(a, ref, n, "setters + table");
    free(ref);
    free(a);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
    unlink(path);
}

Test(library, a_sweep_through_the_series_calls)
{
    nbcl_experiment *exp = experiment(BASE " -phi 10 -osc 0.25 -nimages 4 -seed 30", NULL);
    int n = 0;
    cr_expect_eq(nbcl_experiment_series_length(exp, &n), NBCL_E_STATE, "length before resolving");
    cr_assert_eq(nbcl_experiment_resolve(exp), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_experiment_series_length(exp, &n), NBCL_OK);
    cr_expect_eq(n, 4);
    for (int i = 0; i < 4; ++i) {
        nbcl_image_params p;
        long seed = 0;
        cr_assert_eq(nbcl_experiment_series_image(exp, i, &p, &seed), NBCL_OK);
        cr_expect_eq(p.phi_deg, 10 + 0.25 * i);
        cr_expect(isnan(p.osc_deg));
        cr_expect_eq(seed, 30 + i);
    }
    nbcl_image_params p;
    cr_expect_eq(nbcl_experiment_series_image(exp, 4, &p, NULL), NBCL_E_INVALID);
    nbcl_experiment_destroy(exp);
}

Test(library, noise_image_is_the_same_for_the_same_seed)
{
    nbcl_experiment *exp = experiment(BASE, NULL);
    nbcl_engine *eng;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int n = 48 * 48;
    float *img = malloc(sizeof(float) * n);
    uint16_t *c1 = malloc(2 * n), *c2 = malloc(2 * n), *c3 = malloc(2 * n);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, (size_t)n), NBCL_OK);
    double photons = 0;
    cr_assert_eq(nbcl_engine_noise(eng, img, 7, 40, c1, &photons, NULL), NBCL_OK);
    cr_assert_eq(nbcl_engine_noise(eng, img, 7, 40, c2, NULL, NULL), NBCL_OK);
    cr_assert_eq(nbcl_engine_noise(eng, img, 8, 40, c3, NULL, NULL), NBCL_OK);
    cr_expect_eq(memcmp(c1, c2, 2 * n), 0, "seed 7 twice differs");
    cr_expect_neq(memcmp(c1, c3, 2 * n), 0, "seeds 7 and 8 agree");
    cr_expect_gt(photons, 0.0);
    free(c1);
    free(c2);
    free(c3);
    free(img);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

/* the SMV file straight from the float image is the file of counts + write_smv */
Test(library, smv_from_the_float_image_is_the_smv_of_its_counts)
{
    nbcl_experiment *exp = experiment(BASE, NULL);
    nbcl_engine *eng;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int n = 48 * 48;
    float *img = malloc(sizeof(float) * n);
    uint16_t *c = malloc(2 * n);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, (size_t)n), NBCL_OK);
    char dir[] = "/tmp/nbcl-smvfloat-XXXXXX", a[64], b[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a.img", dir);
    snprintf(b, sizeof b, "%s/b.img", dir);
    cr_assert_eq(nbcl_engine_counts(eng, img, 25.0, 40.0, c), NBCL_OK);
    cr_assert_eq(nbcl_engine_write_smv(eng, NULL, a, c, 0), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_engine_write_smv_float(eng, NULL, b, img, 25.0, 40.0), NBCL_OK, "%s", nbcl_last_error());
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    cr_assert(fa && fb);
    int ca, cb, same = 1;
    long bytes = 0;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same &= ca == cb;
        ++bytes;
    } while (ca != EOF && cb != EOF);
    cr_expect(same, "the two SMV files differ");
    cr_expect_gt(bytes, 2 * n, "only %ld bytes", bytes);
    fclose(fa);
    fclose(fb);
    cr_expect_eq(nbcl_engine_write_smv_float(eng, NULL, NULL, img, 1.0, 0.0), NBCL_E_INVALID);
    remove(a);
    remove(b);
    rmdir(dir);
    free(c);
    free(img);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

Test(library, bad_input_gives_a_status_and_a_message)
{
    nbcl_experiment *exp;
    cr_assert_eq(nbcl_experiment_create(&exp), NBCL_OK);
    const char *unknown[] = {"-no_such_flag"};
    cr_expect_eq(nbcl_experiment_parse_args(exp, 1, unknown), NBCL_E_INVALID);
    cr_expect(strstr(nbcl_last_error(), "-no_such_flag") != NULL, "%s", nbcl_last_error());
    const char *missing[] = {"-cell", "50", "60", "70", "90", "90", "90", "-hkl", "/nonexistent/x.hkl"};
    cr_assert_eq(nbcl_experiment_parse_args(exp, 9, missing), NBCL_OK);
    cr_expect_eq(nbcl_experiment_resolve(exp), NBCL_E_FILE);
    cr_expect(strstr(nbcl_last_error(), "/nonexistent/x.hkl") != NULL, "%s", nbcl_last_error());
    cr_expect_eq(nbcl_experiment_set_wavelength(exp, -1), NBCL_E_INVALID);
    nbcl_experiment_destroy(exp);

    exp = experiment(BASE, NULL);
    nbcl_engine_options o;
    nbcl_engine_options_init(&o);
    o.device = "no-such-device-anywhere";
    nbcl_engine *eng = (nbcl_engine *)1;
    cr_expect_eq(nbcl_engine_create(exp, &o, &eng), NBCL_E_NO_DEVICE);
    cr_expect_null(eng);
    cr_expect(strstr(nbcl_last_error(), "no-such-device-anywhere") != NULL, "%s", nbcl_last_error());
    /* resolved now: setters are refused */
    cr_expect_eq(nbcl_experiment_set_wavelength(exp, 1.5), NBCL_E_STATE);
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    nbcl_pixel_detail d;
    cr_expect_eq(nbcl_engine_pixel_detail(eng, 0, 0, &d), NBCL_E_STATE);
    float small[4];
    cr_expect_eq(nbcl_engine_run(eng, NULL, small, 4), NBCL_E_INVALID);
    cr_expect(strstr(nbcl_last_error(), "2304") != NULL, "%s", nbcl_last_error());
    nbcl_image_params p;
    nbcl_image_params_init(&p);
    p.Na = -3;
    float *img = malloc(sizeof(float) * 48 * 48);
    cr_expect_eq(nbcl_engine_run(eng, &p, img, 48 * 48), NBCL_E_INVALID);
    free(img);
    cr_expect_str_eq(nbcl_status_name(NBCL_E_FILE), "NBCL_E_FILE");
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

Test(library, log_callback_gets_the_setup_lines_and_warnings)
{
    captured log = {0};
    nbcl_experiment *exp = experiment(BASE " -mosaic 0.5", &log);
    cr_assert_eq(nbcl_experiment_resolve(exp), NBCL_OK, "%s", nbcl_last_error());
    cr_expect(strstr(log.text, "Unit Cell: 50 60 70 90 90 90") != NULL, "%s", log.text);
    cr_expect(strstr(log.text, "  10 mosaic domains") != NULL, "%s", log.text);
    cr_expect_geq(log.warnings, 1, "the \"upping to 10 mosaic domains\" warning was not a warning");
    nbcl_experiment_destroy(exp);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".bin")) n++;
    if (d) closedir(d);
    return n;
}

Test(library, program_cache_is_filled_once_and_survives_a_bad_entry)
{
    captured log = {0};
    nbcl_experiment *exp = experiment(BASE, &log);
    nbcl_engine *eng;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    nbcl_engine_destroy(eng);
    cr_expect_eq(count_entries(cache_dir), 1);
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    nbcl_engine_destroy(eng);
    cr_expect_eq(count_entries(cache_dir), 1, "a second identical engine made a new entry");
    cr_expect_eq(log.warnings, 0, "%s", log.text);
    /* spoil the entry: the next engine warns, rebuilds and replaces it */
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    char path[4096] = "";
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".bin")) snprintf(path, sizeof path, "%s/%s", cache_dir, e->d_name);
    closedir(d);
    FILE *f = fopen(path, "r+");
    cr_assert_not_null(f);
    fseek(f, 40, SEEK_SET);
    fputs("spoiled spoiled spoiled", f);
    fclose(f);
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int n = 48 * 48;
    float *img = malloc(sizeof(float) * n);
    cr_expect_eq(nbcl_engine_run(eng, NULL, img, (size_t)n), NBCL_OK);
    free(img);
    nbcl_engine_destroy(eng);
    cr_expect_geq(log.warnings, 1, "no warning about the spoiled entry: %s", log.text);
    nbcl_experiment_destroy(exp);
}

/* A complete kernel directory whose lattice stage does not compile: the engine fails with
 * NBCL_E_BUILD and the device releases what it made (run under AddressSanitizer in CI). */
Test(library, a_failed_kernel_build_is_reported_and_cleaned_up)
{
    const char *src = getenv("NBCL_SOURCE_KERNEL_DIR");
    cr_assert(src && *src, "NBCL_SOURCE_KERNEL_DIR is not set: run with meson test");
    char dir[] = "/tmp/nbcl-broken-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    static const char *files[] = {"real.cl", "wide.cl", "physics.cl", "structure_factor.cl", "amorphous.cl",
                                  "lattice_stage.cl", "scale_stage.cl", "psf.cl"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
        char from[4096], to[4096], buf[1 << 16];
        snprintf(from, sizeof from, "%s/%s", src, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        cr_assert(in && out);
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
        if (!strcmp(files[i], "lattice_stage.cl")) fputs("\nthis is not OpenCL C;\n", out);
        fclose(in);
        fclose(out);
    }
    setenv("NBCL_KERNEL_DIR", dir, 1);
    captured log = {0};
    nbcl_experiment *exp = experiment(BASE, &log);
    nbcl_engine *eng = NULL;
    cr_expect_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_E_BUILD);
    cr_expect_null(eng);
    cr_expect(strstr(nbcl_last_error(), "clBuildProgram") != NULL, "%s", nbcl_last_error());
    cr_expect(strstr(log.text, dir) != NULL, "the override directory is not logged: %s", log.text);
    /* an incomplete override directory is refused before any build */
    char victim[4096];
    snprintf(victim, sizeof victim, "%s/wide.cl", dir);
    unlink(victim);
    cr_expect_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_E_FILE);
    cr_expect(strstr(nbcl_last_error(), "wide.cl") != NULL, "%s", nbcl_last_error());
    unsetenv("NBCL_KERNEL_DIR");
    nbcl_experiment_destroy(exp);
    remove_tree(dir);
}

/* Engines that each simulate a band of rows (what MPI ranks do with one image) make up the
 * whole-image run's image bit for bit; pixels outside a band are 0; a band that is not rows
 * of the detector is refused; device_slot picks one of the matching devices. */
Test(library, bands_of_rows_make_up_the_whole_image)
{
    const char *args = BASE " -mosaic 0.4 -mosaic_dom 3 -roi 2 45 1 44";
    int npix = 0;
    float *whole = simulate(args, &npix);
    nbcl_experiment *exp = experiment(args, NULL);
    cr_assert_eq(nbcl_experiment_resolve(exp), NBCL_OK, "%s", nbcl_last_error());
    int f, s;
    cr_assert_eq(nbcl_experiment_detector_size(exp, &f, &s), NBCL_OK);
    float *joined = calloc((size_t)npix, sizeof(float)), *band = malloc(sizeof(float) * (size_t)npix);
    const int starts[] = {0, 7, 8, 30, 48};   /* odd band heights, one of a single row */
    for (int b = 0; b < 4; ++b) {
        nbcl_engine_options o;
        nbcl_engine_options_init(&o);
        o.first_row = starts[b];
        o.rows = starts[b + 1] - starts[b];
        o.device_slot = b + 1;   /* one device here: every slot is that one */
        o.tile = 5 + b;          /* tiles that straddle the band's edges */
        nbcl_engine *eng = NULL;
        cr_assert_eq(nbcl_engine_create(exp, &o, &eng), NBCL_OK, "%s", nbcl_last_error());
        cr_assert_eq(nbcl_engine_run(eng, NULL, band, (size_t)npix), NBCL_OK, "%s", nbcl_last_error());
        for (int i = 0; i < npix; ++i) {
            int row = i / f;
            if (row >= starts[b] && row < starts[b + 1]) joined[i] = band[i];
            else cr_expect_eq(band[i], 0.0f, "band %d: pixel %d outside it is %g", b, i, band[i]);
        }
        /* the statistics still cover the whole ROI */
        cr_expect_eq(nbcl_engine_pixel_active(eng, 10, 40), 1);
        nbcl_engine_destroy(eng);
    }
    expect_same(whole, joined, npix, "bands of rows joined");
    nbcl_engine_options o;
    nbcl_engine_options_init(&o);
    o.first_row = 40;
    o.rows = 9;   /* rows 40..48 of a 48-row detector */
    nbcl_engine *eng = NULL;
    cr_expect_eq(nbcl_engine_create(exp, &o, &eng), NBCL_E_INVALID);
    cr_expect_not_null(strstr(nbcl_last_error(), "rows 40 .. 48"), "%s", nbcl_last_error());
    cr_expect_null(eng);
    free(whole);
    free(joined);
    free(band);
    nbcl_experiment_destroy(exp);
}

/* nbcl_engine_timing: a first engine builds its program, a second loads it from the cache;
 * a run's phases are measured, non-negative and fit inside the run's wall time. */
Test(library, timing_reports_build_or_cache_and_each_phase)
{
    nbcl_experiment *exp = experiment(BASE " -mosaic 0.5 -mosaic_dom 4", NULL);
    nbcl_timing t;
    for (int pass = 0; pass < 2; ++pass) {
        nbcl_engine *eng;
        cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
        cr_assert_eq(nbcl_engine_timing(eng, &t), NBCL_OK);
        cr_expect_eq(t.program_cached, pass, "pass %d: program_cached %d", pass, t.program_cached);
        cr_expect_gt(t.program, 0.0);
        cr_expect_gt(t.platforms, 0.0);
        cr_expect_geq(t.device_setup, 0.0);
        cr_expect_geq(t.tables, 0.0);
        cr_expect_eq(t.run, 0.0, "no run yet, but run time %g", t.run);
        int n = 48 * 48;
        float *img = malloc(sizeof(float) * n);
        cr_assert_eq(nbcl_engine_run(eng, NULL, img, (size_t)n), NBCL_OK, "%s", nbcl_last_error());
        free(img);
        cr_assert_eq(nbcl_engine_timing(eng, &t), NBCL_OK);
        cr_expect_gt(t.kernels, 0.0, "kernels %g", t.kernels);
        cr_expect_gt(t.readback, 0.0, "readback %g", t.readback);
        cr_expect_gt(t.streaming, 0.0);
        cr_expect_geq(t.image_tables, 0.0);
        cr_expect_geq(t.host, 0.0);
        cr_expect_leq(t.image_tables + t.streaming + t.host, t.run * (1.0 + 1e-9) + 1e-6,
                      "phases %g + %g + %g exceed the run %g", t.image_tables, t.streaming, t.host, t.run);
        nbcl_engine_destroy(eng);
    }
    cr_expect_eq(nbcl_engine_timing(NULL, &t), NBCL_E_INVALID);
    nbcl_experiment_destroy(exp);
}

/* ------------------------------------------------------------------ rows as finished */

typedef struct row_watch {
    float *seen;          /* each row as it was when handed over */
    int fast, next, calls, fail_at;
    nbcl_float_writer *writer;
} row_watch;

static int watch_rows(void *user, const float *image, int first, int rows)
{
    row_watch *w = user;
    if (first != w->next) return 99;   /* out of order: the run fails, the test sees it */
    if (w->fail_at >= 0 && first + rows > w->fail_at) return NBCL_E_FILE;
    size_t off = (size_t)first * (size_t)w->fast, n = (size_t)rows * (size_t)w->fast;
    memcpy(w->seen + off, image + off, n * sizeof(float));
    if (w->writer) {
        nbcl_status st = nbcl_float_writer_append(w->writer, image + off, n);
        if (st) return st;
    }
    w->next = first + rows;
    w->calls++;
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

/* the file at path holds the n floats of img: the bytes nbcl_write_float_image writes
 * (into scratch) */
static void expect_float_file_of(const char *path, const float *img, size_t n, const char *scratch,
                                 const char *what)
{
    cr_assert_eq(nbcl_write_float_image(scratch, img, n), NBCL_OK, "%s", nbcl_last_error());
    size_t la = 0, lb = 0;
    char *a = slurp(path, &la), *b = slurp(scratch, &lb);
    cr_assert(a && b);
    cr_expect(la == n * sizeof(float) && la == lb && memcmp(a, b, la) == 0,
              "%s differs from the image's (%zu, %zu bytes)", what, la, lb);
    free(a);
    free(b);
}

/* The rows callback (issue 13 item 3): every row once, in order (test_stream shows rows
 * handed over while later tiles run), each row already final when handed over (what it saw is the finished image);
 * the statistics gathered meanwhile are nbcl_engine_image_stats's bit for bit; a float
 * file written from the rows is nbcl_write_float_image's file. */
Test(library, rows_are_handed_over_as_they_are_finished)
{
    const char *args = BASE " -mosaic 0.4 -mosaic_dom 3 -roi 3 40 2 45 -detpixels 61 -tile 8";
    nbcl_experiment *exp = experiment(args, NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int f, s;
    cr_assert_eq(nbcl_experiment_detector_size(exp, &f, &s), NBCL_OK);
    size_t n = (size_t)f * (size_t)s;
    float *img = malloc(n * sizeof(float));
    row_watch w = {.seen = calloc(n, sizeof(float)), .fast = f, .fail_at = -1};
    char streamed[128], whole[128];
    snprintf(streamed, sizeof streamed, "%s/streamed.bin", cache_dir);
    snprintf(whole, sizeof whole, "%s/whole.bin", cache_dir);
    cr_assert_eq(nbcl_float_writer_open(streamed, &w.writer), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_engine_set_rows_callback(eng, watch_rows, &w), NBCL_OK);
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_float_writer_close(w.writer), NBCL_OK, "%s", nbcl_last_error());
    cr_expect_eq(w.next, s, "rows handed over up to %d of %d", w.next, s);
    expect_same(w.seen, img, (int)n, "rows as handed over");

    nbcl_image_stats run, direct;
    cr_assert_eq(nbcl_engine_run_stats(eng, &run), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_engine_image_stats(eng, img, &direct), NBCL_OK);
    cr_expect_eq(memcmp(&run, &direct, sizeof run), 0, "run stats: max %g mean %g rms %g rmsd %g; "
                 "image stats: max %g mean %g rms %g rmsd %g", run.max_I, run.mean, run.rms, run.rmsd,
                 direct.max_I, direct.mean, direct.rms, direct.rmsd);
    cr_expect_gt(run.max_I, 0.0);
    cr_expect_eq(run.counted, 38L * 44L, "the ROI's pixels: %ld", run.counted);

    expect_float_file_of(streamed, img, n, whole, "the float file written from the rows");

    /* a callback that fails stops the run with its status and says where */
    w.next = 0;
    w.writer = NULL;
    w.fail_at = 20;
    cr_expect_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_E_FILE);
    cr_expect_not_null(strstr(nbcl_last_error(), "rows callback"), "%s", nbcl_last_error());
    cr_expect_leq(w.next, 20);
    cr_expect_eq(nbcl_engine_run_stats(eng, &run), NBCL_E_STATE, "stats of a failed run");
    /* no callback: the run is as before */
    w.next = 0;
    cr_assert_eq(nbcl_engine_set_rows_callback(eng, NULL, NULL), NBCL_OK);
    cr_expect_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_OK, "%s", nbcl_last_error());
    cr_expect_eq(w.next, 0, "a removed callback was called");
    cr_expect_eq(nbcl_engine_set_rows_callback(NULL, NULL, NULL), NBCL_E_INVALID);

    /* a writer whose device is full: append or close says so; abort removes nothing else */
    nbcl_float_writer *full = NULL;
    cr_assert_eq(nbcl_float_writer_open("/dev/full", &full), NBCL_OK, "%s", nbcl_last_error());
    nbcl_status st = nbcl_float_writer_append(full, img, n);
    if (st == NBCL_OK) st = nbcl_float_writer_close(full);
    else nbcl_float_writer_abort(full);
    cr_expect_eq(st, NBCL_E_FILE, "writing to /dev/full: %s", nbcl_status_name(st));
    cr_expect_not_null(strstr(nbcl_last_error(), "/dev/full"), "%s", nbcl_last_error());
    free(w.seen);
    free(img);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}

/* The float file as the image's memory (nbcl_float_writer_map): an image simulated into
 * it is, once the writer closes, the file nbcl_write_float_image writes of the same image
 * in a buffer of its own; the pixels outside the ROI are 0 in the file; appending to a
 * mapped writer is refused; a device gives no memory (append instead). */
Test(library, float_file_mapped_as_the_image)
{
    const char *args = BASE " -mosaic 0.4 -mosaic_dom 3 -roi 3 40 2 45 -detpixels 61 -tile 8";
    nbcl_experiment *exp = experiment(args, NULL);
    nbcl_engine *eng = NULL;
    cr_assert_eq(nbcl_engine_create(exp, NULL, &eng), NBCL_OK, "%s", nbcl_last_error());
    int f, s, roi[4];
    cr_assert_eq(nbcl_experiment_detector_size(exp, &f, &s), NBCL_OK);
    cr_assert_eq(nbcl_experiment_roi(exp, roi), NBCL_OK);
    cr_expect(roi[0] == 3 && roi[1] == 40 && roi[2] == 2 && roi[3] == 45, "roi %d %d %d %d", roi[0],
              roi[1], roi[2], roi[3]);
    size_t n = (size_t)f * (size_t)s;
    float *img = calloc(n, sizeof(float));
    char mapped[128], whole[128];
    snprintf(mapped, sizeof mapped, "%s/mapped.bin", cache_dir);
    snprintf(whole, sizeof whole, "%s/whole.bin", cache_dir);
    nbcl_float_writer *w = NULL;
    float *pixels = NULL;
    cr_assert_eq(nbcl_float_writer_open(mapped, &w), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_float_writer_map(w, n, &pixels), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_not_null(pixels, "a regular file in %s could not be mapped", cache_dir);
    cr_expect_eq(nbcl_float_writer_append(w, img, 1), NBCL_E_STATE, "append to a mapped writer");
    float *again = NULL;
    cr_expect_eq(nbcl_float_writer_map(w, n, &again), NBCL_E_STATE, "mapped twice");
    cr_expect_null(again);
    cr_assert_eq(nbcl_float_writer_prefault(w, (size_t)roi[2] * f, (size_t)(roi[3] - roi[2] + 1) * f), NBCL_OK);
    cr_assert_eq(nbcl_engine_run(eng, NULL, pixels, n), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_eq(nbcl_engine_run(eng, NULL, img, n), NBCL_OK, "%s", nbcl_last_error());
    expect_same(pixels, img, (int)n, "the image in the mapped file");
    cr_assert_eq(nbcl_float_writer_close(w), NBCL_OK, "%s", nbcl_last_error());
    expect_float_file_of(mapped, img, n, whole, "the mapped float file");
    size_t la = 0;
    char *a = slurp(mapped, &la);
    cr_assert(a && la == n * sizeof(float));
    float v;
    memcpy(&v, a + 4 * (size_t)(1 * f + 1), 4);   /* outside the ROI */
    cr_expect_eq(v, 0.0f);
    free(a);

    cr_assert_eq(nbcl_float_writer_open("/dev/null", &w), NBCL_OK, "%s", nbcl_last_error());
    pixels = img;
    cr_expect_eq(nbcl_float_writer_map(w, n, &pixels), NBCL_OK, "%s", nbcl_last_error());
    cr_expect_null(pixels, "a device was mapped");
    cr_expect_eq(nbcl_float_writer_prefault(w, 0, n), NBCL_E_STATE, "prefault of an unmapped writer");
    cr_expect_eq(nbcl_float_writer_append(w, img, n), NBCL_OK, "%s", nbcl_last_error());
    cr_expect_eq(nbcl_float_writer_close(w), NBCL_OK, "%s", nbcl_last_error());
    cr_expect_eq(nbcl_float_writer_map(NULL, n, &pixels), NBCL_E_INVALID);
    cr_expect_eq(nbcl_experiment_roi(NULL, roi), NBCL_E_INVALID);
    free(img);
    nbcl_engine_destroy(eng);
    nbcl_experiment_destroy(exp);
}
