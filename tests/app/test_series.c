/* test_series.c: datasets from nanobragg-cl ($NBCL_BIN): a rotation sweep and a shot list
 * give, image by image, the bits of single runs with the matching flags (noise with seed
 * + i); output names number the images with '#'; bad shot lines and names are refused
 * before any image; a write failure mid-series keeps the finished images and leaves no
 * partial or temporary file; the NeXus file is the same bytes twice under SOURCE_DATE_EPOCH. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../support/scratch_dir.h"

/* sampling pinned (-oversample, -phisteps): an image may change the crystal, not the sampling */
#define BASE "-default_F 100 -lambda 1 -N 4 -detpixels 40 -pixel 0.1 -distance 80 " \
             "-cell 40 50 60 90 90 90 -noprogress -nopgm -oversample 2 -phisteps 2"
#define NPIX (40 * 40)

SCRATCH_DIR_SUITE(series, dir, "series", 300);

/* run nanobragg-cl in dir; stdout and stderr into NAME.log; returns the exit status */
static int run(const char *name, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s > %s.log 2>&1", dir, getenv("NBCL_BIN"), args, name);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

static void expect_same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    cr_assert_not_null(x, "%s missing", a);
    cr_assert_not_null(y, "%s missing", b);
    cr_expect(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

static int exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static int count_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && !strstr(e->d_name, ".log") && !strstr(e->d_name, ".txt")) n++;
    closedir(d);
    return n;
}

static int has_temporaries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void write_text(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(series, sweep_images_equal_single_runs_with_their_phi_and_seed)
{
    cr_assert_eq(run("sweep", BASE " -mosaic 0.3 -mosaic_dom 3 -phisteps 2 -phi 1 -osc 0.5 -nimages 3 "
                     "-seed 11 -floatfile sw_##.bin -noisefile sw_##.img"), 0);
    static const char *phi[] = {"1", "1.5", "2"};
    for (int i = 0; i < 3; ++i) {
        char args[1024], one[32], a[64], b[64];
        snprintf(one, sizeof one, "one%d", i);
        snprintf(args, sizeof args, BASE " -mosaic 0.3 -mosaic_dom 3 -phisteps 2 -phi %s -osc 0.5 "
                 "-seed %d -floatfile %s.bin -noisefile %s.img -intfile /dev/null", phi[i], 11 + i, one, one);
        cr_assert_eq(run(one, args), 0);
        snprintf(a, sizeof a, "sw_%02d.bin", i + 1);
        snprintf(b, sizeof b, "%s.bin", one);
        expect_same_file(a, b);
        snprintf(a, sizeof a, "sw_%02d.img", i + 1);
        snprintf(b, sizeof b, "%s.img", one);
        expect_same_file(a, b);
    }
    char *log = slurp("sweep.log", NULL);
    cr_expect(strstr(log, "image 3 of 3: phi 2 to 2.5 deg") != NULL, "%s", log);
    free(log);
    cr_expect(!exists("floatimage.bin") && !exists("intimage.img"), "a series wrote the default names");
}

Test(series, shot_lines_equal_single_runs_with_their_flags)
{
    write_text("shots.txt", "# orientation, size, beam and seed per image\n"
                            "-misset 10 20 30 -N 5\n"
                            "\n"
                            "-phi 3 -osc 0.2 -seed 9   # a comment\n"
                            "-fluence 3e23 -misset random -misset_seed 77\n"
                            "-mosaic_seed 5 -Na 3 -Nb 4 -Nc 6\n");
    cr_assert_eq(run("shots", BASE " -mosaic 0.4 -mosaic_dom 4 -seed 40 -shots shots.txt "
                     "-floatfile s_#.bin -noisefile s_#.img"), 0);
    static const char *line[] = {"-misset 10 20 30 -N 5 -seed 40", "-phi 3 -osc 0.2 -seed 9",
                                 "-seed 42 -fluence 3e23 -misset random -misset_seed 77",
                                 "-mosaic_seed 5 -Na 3 -Nb 4 -Nc 6 -seed 43"};
    for (int i = 0; i < 4; ++i) {
        char args[1024], one[32], a[64], b[64];
        snprintf(one, sizeof one, "one%d", i);
        /* the line's flags last, as in the shot list (nanoBragg's matching looks ahead) */
        snprintf(args, sizeof args, BASE " -mosaic 0.4 -mosaic_dom 4 -floatfile %s.bin -noisefile %s.img "
                 "-intfile /dev/null %s", one, one, line[i]);
        cr_assert_eq(run(one, args), 0, "%s", args);
        snprintf(a, sizeof a, "s_%d.bin", i + 1);
        snprintf(b, sizeof b, "%s.bin", one);
        expect_same_file(a, b);
        snprintf(a, sizeof a, "s_%d.img", i + 1);
        snprintf(b, sizeof b, "%s.img", one);
        expect_same_file(a, b);
    }
}

Test(series, a_shot_may_change_the_wavelength_of_every_source)
{
    write_text("lambda.txt", "-lambda 1.3\n-lambda 0.9 -seed 2\n");
    cr_assert_eq(run("lam", BASE " -dispersion 2 -dispsteps 3 -seed 1 -shots lambda.txt "
                     "-floatfile l_#.bin -noisefile l_#.img -intfile l_#.smv"), 0);
    static const char *line[] = {"-seed 1 -lambda 1.3", "-seed 2 -lambda 0.9"};
    for (int i = 0; i < 2; ++i) {
        char args[1024], one[32], a[64], b[64];
        snprintf(one, sizeof one, "one%d", i);
        snprintf(args, sizeof args, BASE " -dispersion 2 -dispsteps 3 -floatfile %s.bin -noisefile %s.img "
                 "-intfile /dev/null %s", one, one, line[i]);
        cr_assert_eq(run(one, args), 0, "%s", args);
        snprintf(a, sizeof a, "l_%d.bin", i + 1);
        snprintf(b, sizeof b, "%s.bin", one);
        expect_same_file(a, b);
        snprintf(a, sizeof a, "l_%d.img", i + 1);
        snprintf(b, sizeof b, "%s.img", one);
        expect_same_file(a, b);   /* the header states the shot's wavelength too */
    }
}

static void expect_refused(const char *name, const char *args, const char *needle1, const char *needle2)
{
    cr_expect_neq(run(name, args), 0, "%s was accepted", args);
    char log[64];
    snprintf(log, sizeof log, "%s.log", name);
    char *text = slurp(log, NULL);
    cr_expect(strstr(text, needle1) && strstr(text, needle2), "%s: error does not name %s and %s: %s",
              args, needle1, needle2, text);
    free(text);
    cr_expect_eq(count_files(), 0, "%s left output files", args);
}

Test(series, bad_shot_lines_are_refused_before_any_image)
{
    write_text("bad1.txt", "-phi 1\n-distance 50\n");
    expect_refused("b1", BASE " -shots bad1.txt -floatfile x_#.bin", "line 2", "-distance");
    write_text("bad2.txt", "-phi 1\n\n-phi abc\n");
    expect_refused("b2", BASE " -shots bad2.txt -floatfile x_#.bin", "line 3", "-phi");
    write_text("bad3.txt", "-misset 1 2\n");
    expect_refused("b3", BASE " -shots bad3.txt -floatfile x_#.bin", "line 1", "-misset");
    write_text("empty.txt", "# nothing\n\n");
    expect_refused("b4", BASE " -shots empty.txt -floatfile x_#.bin", "empty.txt", "no shots");
    expect_refused("b5", BASE " -shots missing.txt -floatfile x_#.bin", "missing.txt", "cannot open");
}

Test(series, a_tilted_detector_is_refused_for_minicbf_and_written_as_nexus)
{
    cr_expect_neq(run("tilt", BASE " -detector_rotx 5 -cbffile t_#.cbf -nonoise -intfile /dev/null "
                      "-floatfile /dev/null"), 0);
    char *log = slurp("tilt.log", NULL);
    cr_expect(strstr(log, "-cbffile t_1.cbf") && strstr(log, "-nexusfile"), "%s", log);
    free(log);
    cr_expect(!exists("t_1.cbf"));
    cr_expect_eq(run("tiltnx", BASE " -detector_rotx 5 -nexusfile t.nxs -intfile /dev/null "
                     "-floatfile /dev/null"), 0);
    cr_expect(exists("t.nxs"));
}

Test(series, a_series_needs_numbered_names)
{
    expect_refused("n1", BASE " -nimages 3 -osc 1 -floatfile plain.bin", "-floatfile plain.bin", "'#'");
    expect_refused("n2", BASE " -nimages 3 -osc 1 -nonoise", "series", "no output");
    expect_refused("n3", BASE " -nimages 2 -shots x.txt -floatfile a_#.bin", "-nimages", "-shots");
    /* a single image may use '#' too: number 1 */
    cr_assert_eq(run("single", BASE " -floatfile single_###.bin -nonoise -intfile /dev/null"), 0);
    cr_expect(exists("single_001.bin"));
}

/* A file-size limit makes the NeXus file fail part way: the series stops with an error naming
 * it, the finished per-image files stay whole, and no temporary or partial file is left. */
Test(series, a_failed_write_keeps_finished_images_and_leaves_nothing_partial)
{
    /* build the kernels first: under the file-size limit PoCL could not write its cache */
    cr_assert_eq(run("warm", BASE " -osc 0.5 -seed 3 -floatfile /dev/null -intfile /dev/null -nonoise"), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        /* a float image is 6400 bytes; the NeXus file passes 48 KB after a few images (the
         * image whose write fails leaves none of its files, so the failure must come later) */
        struct rlimit lim = {49152, 49152};
        setrlimit(RLIMIT_FSIZE, &lim);
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' " BASE " -nimages 40 -osc 0.5 -seed 3 "
                 "-floatfile f_##.bin -nexusfile all.nxs > full.log 2>&1", dir, getenv("NBCL_BIN"));
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "the series did not fail");
    char *log = slurp("full.log", NULL);
    cr_expect(strstr(log, "all.nxs") != NULL, "the error does not name the file: %s", log);
    free(log);
    cr_expect(!exists("all.nxs"), "a partial NeXus file was left");
    cr_expect_eq(has_temporaries(), 0, "temporary files were left");
    cr_expect(exists("f_01.bin"), "the first image was not kept");
    for (int i = 1; i <= 40; ++i) {
        char name[32], path[512];
        snprintf(name, sizeof name, "f_%02d.bin", i);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat st;
        if (stat(path, &st) == 0) cr_expect_eq(st.st_size, NPIX * 4, "%s is partial", name);
    }
}

/* Per-step listings stop at 1000 lines with a count, so a huge -phisteps or source grid
 * cannot flood the log (issue 11). */
Test(series, step_listings_are_capped)
{
    /* one pixel (-roi) so that the many steps cost nothing */
    cr_assert_eq(run("flood", BASE " -phisteps 5000 -osc 1 -detpixels 8 -roi 0 0 0 0 -nonoise "
                     "-floatfile /dev/null -intfile /dev/null"), 0);
    cr_assert_eq(run("flood2", BASE " -detpixels 8 -roi 0 0 0 0 -nonoise -floatfile /dev/null "
                     "-intfile /dev/null -divergence 1 -divsteps 40 -dispersion 1 -dispsteps 40"), 0);
    static const char *const logs[][2] = {{"flood.log", "4000 more phi steps not listed"},
                                          {"flood2.log", "more sources not listed"}};
    for (int k = 0; k < 2; ++k) {
        size_t len = 0;
        char *log = slurp(logs[k][0], &len);
        int lines = 0;
        for (size_t i = 0; i < len; ++i) lines += log[i] == '\n';
        cr_expect_lt(lines, 4500, "%s: %d log lines", logs[k][0], lines);
        cr_expect(strstr(log, logs[k][1]) != NULL, "%s: no line '%s'", logs[k][0], logs[k][1]);
        free(log);
    }
}

/* With SOURCE_DATE_EPOCH the NeXus file is the same bytes run after run (no clock time and
 * no HDF5 object times in it): what lets K MPI ranks be compared with one process. */
Test(series, nexus_file_is_reproducible_with_source_date_epoch)
{
    const char *args = "SOURCE_DATE_EPOCH=1700000000 '%s' " BASE " -osc 0.5 -nimages 2 -seed 4 "
                       "-nexusfile %s";
    char cmd[4096];
    for (int k = 0; k < 2; ++k) {
        char name[16];
        snprintf(name, sizeof name, "r%d.h5", k);
        if (k) sleep(1);   /* a later second: the clock would show */
        snprintf(cmd, sizeof cmd, "cd '%s' && ", dir);
        size_t len = strlen(cmd);
        snprintf(cmd + len, sizeof cmd - len, args, getenv("NBCL_BIN"), name);
        strncat(cmd, " > /dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
    }
    size_t n0 = 0, n1 = 0;
    char *a = slurp("r0.h5", &n0), *b = slurp("r1.h5", &n1);
    cr_assert(a && b, "no NeXus file");
    cr_expect_eq(n0, n1, "sizes %zu and %zu", n0, n1);
    cr_expect(n0 == n1 && memcmp(a, b, n0) == 0, "two runs wrote different NeXus bytes");
    cr_expect_not_null(memmem(a, n0, "2023-11-14T22:13:20Z", 20), "start time not from SOURCE_DATE_EPOCH");
    free(a);
    free(b);
}

/* the detector response: image i of a series is the single run with -seed + i, and
 * -calib_seed changes the calibration error (that it is the same on images of other noise
 * seeds is checked in tests/model/test_detector_response.c) */
Test(series, detector_response_images_equal_single_runs)
{
    const char *resp = "-calibration_noise 10 -flicker_noise 2 -readout_noise 2 -gain 1.5 "
                       "-psf fiber -psf_fwhm 0.15 -psf_radius 4";
    char args[2048];
    snprintf(args, sizeof args, BASE " -phi 0 -osc 0.5 -nimages 2 -seed 21 %s -noisefile dr_#.img "
             "-noisepngfile dr_#.png", resp);
    cr_assert_eq(run("drsweep", args), 0);
    snprintf(args, sizeof args, BASE " -phi 0.5 -osc 0.5 -seed 22 %s -noisefile one.img "
             "-floatfile /dev/null -intfile /dev/null", resp);
    cr_assert_eq(run("drone", args), 0);
    expect_same_file("dr_2.img", "one.img");
    cr_expect(exists("dr_1.png") && exists("dr_2.png"), "no noise previews");
    /* another calibration seed gives another image */
    snprintf(args, sizeof args, BASE " -phi 0.5 -osc 0.5 -seed 22 %s -calib_seed 5 -noisefile two.img "
             "-floatfile /dev/null -intfile /dev/null", resp);
    cr_assert_eq(run("drtwo", args), 0);
    size_t la, lb;
    char *x = slurp("one.img", &la), *y = slurp("two.img", &lb);
    cr_assert(x && y && la == lb);
    cr_expect_neq(memcmp(x, y, la), 0, "-calib_seed changed nothing");
    free(x);
    free(y);
}
