/* test_badinput.c: the nanobragg-cl binary (NBCL_BIN) on bad command lines and bad input
 * files, each in a fresh scratch directory: it must exit nonzero, say exactly one line on
 * stderr naming the flag or file at fault, and leave no output file behind (no
 * floatimage.bin, intimage.img, image.pgm, noiseimage.img, no temporaries). A valid small
 * run is the positive control. Detectors are 32x32 so that any run is quick. */
#include "../model/model_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static void init(void) { scratch_enter(); }
static void fini(void) { scratch_leave(); }

TestSuite(bad, .init = init, .fini = fini);
TestSuite(good, .init = init, .fini = fini);

#define BASE "-default_F 100 -cell 100 100 100 90 90 90 -detpixels 32 -noprogress "

typedef struct ran {
    int status;        /* raw waitpid status */
    char *err;         /* everything written to stderr */
    size_t errlen;
} ran;

/* run NBCL_BIN with args in the current directory; stdout is discarded */
static void run_bin(const char *args, ran *out)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert(bin != NULL, "NBCL_BIN is not set");
    cmdline cl;
    cmdline_split(&cl, args);
    cl.argv[0] = (char *)bin;
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        /* bounded memory and time: a reader that ran away would be stopped and fail */
        struct rlimit mem = {(rlim_t)6 << 30, (rlim_t)6 << 30}, cpu = {60, 60};
        if (!getenv("NBCL_TEST_SANITIZED")) setrlimit(RLIMIT_AS, &mem);   /* ASan maps terabytes */
        setrlimit(RLIMIT_CPU, &cpu);
        int dn = open("/dev/null", O_WRONLY);
        dup2(dn, 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(bin, cl.argv);
        _exit(127);
    }
    close(pfd[1]);
    FILE *o = open_memstream(&out->err, &out->errlen);
    char buf[4096];
    ssize_t n;
    while ((n = read(pfd[0], buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        fwrite(buf, 1, (size_t)n, o);
    }
    fclose(o);
    close(pfd[0]);
    cr_assert_eq(waitpid(pid, &out->status, 0), pid);
    free(cl.buf);
}

static int is_output_name(const char *name)
{
    static const char *outputs[] = {"floatimage.bin", "intimage.img", "image.pgm", "noiseimage.img", "Fdump.bin"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; ++i)
        if (strcmp(name, outputs[i]) == 0) return 1;
    return strstr(name, ".tmp") != NULL || strstr(name, "tmp.") != NULL;
}

/* every entry of the scratch directory must be one of the inputs the test put there */
static void expect_only_inputs(const char *const *inputs, const char *args)
{
    DIR *d = opendir(".");
    cr_assert(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        int known = 0;
        for (int i = 0; inputs && inputs[i]; ++i)
            if (strcmp(e->d_name, inputs[i]) == 0) known = 1;
        cr_expect(known, "'%s' left '%s' behind%s", args, e->d_name,
                  is_output_name(e->d_name) ? " (an output file)" : "");
    }
    closedir(d);
}

/* The run must fail cleanly: nonzero exit, one line on stderr that mentions `needle`, and
 * nothing written next to the inputs. */
static void expect_refused(const char *args, const char *needle, const char *const *inputs)
{
    ran r = {0};
    run_bin(args, &r);
    cr_assert(WIFEXITED(r.status), "'%s' did not exit normally (status 0x%x)", args, r.status);
    cr_expect_neq(WEXITSTATUS(r.status), 0, "'%s' exited 0", args);
    cr_expect_neq(WEXITSTATUS(r.status), 127, "'%s': the binary could not be started", args);
    int lines = 0;
    for (size_t i = 0; i < r.errlen; ++i) lines += r.err[i] == '\n';
    cr_expect(r.errlen > 0 && r.err[r.errlen - 1] == '\n' && lines == 1,
              "'%s': stderr is not exactly one line:\n%s", args, r.err ? r.err : "");
    cr_expect(r.err && strstr(r.err, needle) != NULL, "'%s': stderr does not mention '%s': %s", args, needle,
              r.err ? r.err : "");
    expect_only_inputs(inputs, args);
    free(r.err);
}

Test(bad, unknown_flag)
{
    expect_refused(BASE "-distanse 100", "-distanse", NULL);
}

Test(bad, relaxed_math_in_compiler_options)
{
    /* the float pairs need exact rounding: NBCL_CL_OPTIONS may not relax it */
    setenv("NBCL_CL_OPTIONS", "-cl-nv-maxrregcount=64 -cl-mad-enable", 1);
    expect_refused(BASE "-floatfile f.bin", "NBCL_CL_OPTIONS", NULL);
    unsetenv("NBCL_CL_OPTIONS");
}

Test(bad, cell_with_five_numbers)
{
    expect_refused("-default_F 100 -cell 100 100 100 90 90 -detpixels 32 -noprogress", "-cell", NULL);
}

Test(bad, impossible_cell)
{
    expect_refused("-default_F 100 -cell 100 100 100 10 10 170 -detpixels 32 -noprogress", "-cell", NULL);
}

Test(bad, missing_mat_file)
{
    expect_refused("-default_F 100 -mat nothere.mat -detpixels 32 -noprogress", "nothere.mat", NULL);
}

Test(bad, malformed_mat_file)
{
    write_text("short.mat", "0.01 0 0\n0 0.01\n");
    static const char *const in[] = {"short.mat", NULL};
    expect_refused("-default_F 100 -mat short.mat -detpixels 32 -noprogress", "short.mat", in);
}

Test(bad, missing_hkl_file)
{
    expect_refused("-hkl nothere.hkl -cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "nothere.hkl", NULL);
}

Test(bad, no_structure_factors)
{
    expect_refused("-cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "-hkl", NULL);
}

Test(bad, lambda_zero)
{
    expect_refused(BASE "-lambda 0", "-lambda", NULL);
}

Test(bad, negative_distance)
{
    expect_refused(BASE "-distance -5", "-distance", NULL);
}

Test(bad, pixel_not_a_number)
{
    expect_refused(BASE "-pixel abc", "-pixel", NULL);
}

Test(bad, zero_detpixels)
{
    expect_refused("-default_F 100 -cell 100 100 100 90 90 90 -noprogress -detpixels 0", "-detpixels", NULL);
}

Test(bad, malformed_sourcefile)
{
    write_text("bad_sources.txt", "-10 0 0 1 1e-10\n-10 0.1 zero 1 1e-10\n");
    static const char *const in[] = {"bad_sources.txt", NULL};
    expect_refused(BASE "-sourcefile bad_sources.txt", "bad_sources.txt", in);
}

Test(bad, missing_sourcefile)
{
    expect_refused(BASE "-sourcefile nothere.txt", "nothere.txt", NULL);
}

Test(bad, zero_mosaic_domains)
{
    expect_refused(BASE "-mosaic 0.5 -mosaic_dom 0", "-mosaic_dom", NULL);
}

Test(bad, detector_abs_word)
{
    expect_refused(BASE "-detector_thick 100 -detector_abs xyz", "-detector_abs", NULL);
}

Test(bad, floatfile_in_missing_directory)
{
    expect_refused(BASE "-floatfile /nonexistent/dir/x.bin", "/nonexistent/dir", NULL);
}

Test(bad, later_output_in_missing_directory)
{
    /* the float image could be written, but the run must not start at all */
    expect_refused(BASE "-intfile /nonexistent/dir/x.img", "/nonexistent/dir", NULL);
}

Test(bad, noisefile_in_missing_directory)
{
    expect_refused(BASE "-noisefile /nonexistent/dir/n.img", "-noisefile", NULL);
}

Test(bad, mask_of_the_wrong_size)
{
    copy_golden_input("mask.img");
    static const char *const in[] = {"mask.img", NULL};
    expect_refused("-mask mask.img -default_F 100 -cell 100 100 100 90 90 90 -noprogress -detpixels 64", "-mask", in);
}

Test(bad, missing_mask)
{
    expect_refused(BASE "-mask nothere.img", "nothere.img", NULL);
}

Test(bad, stray_argument)
{
    expect_refused(BASE "-distance 100 200", "200", NULL);
}

/* ---- positive control ---- */

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

Test(good, small_run_writes_every_file)
{
    ran r = {0};
    run_bin(BASE "-seed 1", &r);
    cr_assert(WIFEXITED(r.status), "did not exit normally (status 0x%x)", r.status);
    cr_assert_eq(WEXITSTATUS(r.status), 0, "exit %d: %s", WEXITSTATUS(r.status), r.err ? r.err : "");
    cr_expect_eq(r.errlen, 0, "stderr: %s", r.err ? r.err : "");
    cr_expect_eq(file_size("floatimage.bin"), 32 * 32 * 4);
    cr_expect_eq(file_size("intimage.img"), 512 + 32 * 32 * 2);
    cr_expect_eq(file_size("noiseimage.img"), 512 + 32 * 32 * 2);
    cr_expect_gt(file_size("image.pgm"), 32 * 32);
    static const char *const out[] = {"floatimage.bin", "intimage.img", "noiseimage.img", "image.pgm", NULL};
    expect_only_inputs(out, "the valid run");
    free(r.err);
}

Test(good, help_exits_zero_and_writes_nothing)
{
    ran r = {0};
    run_bin("-help", &r);
    cr_assert(WIFEXITED(r.status));
    cr_expect_eq(WEXITSTATUS(r.status), 0);
    cr_expect_eq(r.errlen, 0, "stderr: %s", r.err ? r.err : "");
    expect_only_inputs(NULL, "-help");
    free(r.err);
}

/* ---- files of every file-taking flag: missing or malformed ---- */

Test(bad, missing_img)
{
    expect_refused(BASE "-img nothere.img", "nothere.img", NULL);
}

Test(bad, img_without_header)
{
    write_text("plain.img", "this is not an SMV image, it has no header at all\n");
    static const char *const in[] = {"plain.img", NULL};
    expect_refused(BASE "-img plain.img", "plain.img", in);
}

Test(bad, hkl_with_a_word)
{
    write_text("word.hkl", "0 0 1 100\n0 1 x 50\n");
    static const char *const in[] = {"word.hkl", NULL};
    expect_refused("-hkl word.hkl -cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "word.hkl", in);
}

Test(bad, empty_hkl)
{
    write_text("empty.hkl", "");
    static const char *const in[] = {"empty.hkl", NULL};
    expect_refused("-hkl empty.hkl -cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "empty.hkl", in);
}

Test(bad, truncated_fdump)
{
    /* read because no -hkl is given and the dump file exists */
    write_text("short.bin", "-1 1 -1 1 -1 1\n\f0123456789");
    static const char *const in[] = {"short.bin", NULL};
    expect_refused("-dump short.bin -cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "short.bin", in);
}

/* A -tile whose lattice-stage scratch cannot be one allocation of the device: a clear error
 * naming -tile (PoCL's largest allocation is a quarter of POCL_MEMORY_LIMIT GB). */
Test(bad, tile_larger_than_the_largest_allocation)
{
    setenv("POCL_MEMORY_LIMIT", "1", 1);
    expect_refused("-default_F 100 -cell 100 100 100 90 90 90 -noprogress -detpixels 4096 -tile 4096 "
                   "-precision double -roi 0 9 0 9", "-tile 4096", NULL);
    unsetenv("POCL_MEMORY_LIMIT");
}

/* Numbers no int can hold are refused by name before any conversion (they were undefined
 * behaviour), and so are a size-product overflow and results that would mean nothing. */
Test(bad, numbers_out_of_int_range)
{
    static const char *const cases[][2] = {
        {"-roi 1e308 1 1 1", "-roi"}, {"-N 1e10", "-N"}, {"-printout_pixel 1e308 0", "-printout_pixel"},
        {"-detpixels 3e9", "-detpixels"}, {"-seed 1e20", "-seed"}, {"-misset_seed 1e10", "-misset_seed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        char args[512];
        snprintf(args, sizeof args, BASE "-lambda 6.2 -N 3 %s", cases[i][0]);
        expect_refused(args, "out of range", NULL);
        expect_refused(args, cases[i][1], NULL);
    }
}

Test(bad, orientation_table_that_overflows)
{
    expect_refused(BASE "-lambda 6.2 -N 3 -mosaic 1 -mosaic_dom 65537 -osc 1 -phisteps 65536",
                   "orientations", NULL);
}

Test(bad, meaningless_cells_and_regions)
{
    expect_refused("-default_F 100 -cell 100 100 100 0 90 90 -detpixels 32 -noprogress", "-cell: angle 0", NULL);
    expect_refused("-default_F 100 -cell 100 0 100 90 90 90 -detpixels 32 -noprogress", "-cell: length 0", NULL);
    expect_refused(BASE "-roi 10 5 0 10", "inverted", NULL);
    expect_refused(BASE "-roi 100 200 0 10", "outside the 32x32 detector", NULL);
}

Test(bad, an_image_of_infinities_is_not_written)
{
    expect_refused("-default_F 1e300 -cell 100 100 100 90 90 90 -detpixels 32 -noprogress", "infinity at pixel", NULL);
}

Test(bad, unusable_sources)
{
    static const char *const rows[][2] = {
        {"-10 0 0 1 0\n", "wavelength"}, {"-10 0 0 1 inf\n", "wavelength"},
        {"-10 0 0 -1 1e-10\n", "weight"}, {"0 0 0 1 1e-10\n", "no direction"},
    };
    static const char *const in[] = {"src.txt", NULL};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i) {
        write_text("src.txt", rows[i][0]);
        expect_refused(BASE "-sourcefile src.txt", rows[i][1], in);
        expect_refused(BASE "-sourcefile src.txt", "src.txt: line 1", in);
    }
}

Test(bad, two_outputs_naming_one_file)
{
    expect_refused(BASE "-floatfile same.img -intfile same.img", "both name same.img", NULL);
    expect_refused(BASE "-intfile n.img -noisefile n.img", "-noisefile", NULL);
}

/* Files that are no text, or a table that cannot be meant, are refused after a few bytes:
 * nothing is read or allocated without bound. */
Test(bad, endless_or_huge_inputs)
{
    expect_refused(BASE "-hkl /dev/zero", "binary data", NULL);
    expect_refused(BASE "-sourcefile /dev/urandom", "/dev/urandom", NULL);
    expect_refused(BASE "-img /dev/zero", "not an SMV image", NULL);
    expect_refused(BASE "-mask /dev/urandom", "not an SMV image", NULL);
    expect_refused(BASE "-shots /dev/zero -floatfile a_#.bin", "binary data", NULL);
    write_text("big.hkl", "-2000 -2000 -2000 1\n2000 2000 2000 1\n");
    static const char *const in[] = {"big.hkl", NULL};
    expect_refused(BASE "-hkl big.hkl", "more than half this machine's memory", in);
    unlink("big.hkl");
    char line[6000];
    memset(line, '1', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    write_text("long.hkl", line);
    static const char *const in2[] = {"long.hkl", NULL};
    expect_refused(BASE "-hkl long.hkl", "longer than 4096", in2);
}

Test(bad, unusable_stol_tables)
{
    write_text("descending.stol", "0 2.57\n0.2 2.6\n0.1 2.7\n");
    write_text("word.stol", "0 2.57\n0.1 water\n");
    static const char *const in1[] = {"descending.stol", "word.stol", NULL};
    expect_refused(BASE "-stol descending.stol", "descending.stol: line 3", in1);
    expect_refused(BASE "-stol word.stol", "word.stol: line 2", in1);
    expect_refused(BASE "-stol nothere.stol", "nothere.stol", in1);
}

Test(bad, detector_response_nonsense)
{
    expect_refused(BASE "-psf_fwhm 46", "-psf_fwhm", NULL);
    expect_refused(BASE "-psf gauss -psf_radius -3", "-psf_radius", NULL);
    expect_refused(BASE "-gain -2", "-gain", NULL);
}

/* ---- run time and memory limits (issue 11 item 4) ---- */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* -N 1e6 auto-selects 48388-fold oversampling and -oversample 1e5 asks for 1e10 sub-pixels
 * a pixel: both are refused at once, naming the cause and the flag that overrides. The
 * detectors are large enough that no device of today finishes within a day. */
Test(bad, absurdly_long_runs_are_refused_quickly)
{
    double t0 = seconds_now();
    expect_refused(BASE "-lambda 6.2 -N 1e6 -detpixels 1024", "auto-selected -oversample 48388", NULL);
    expect_refused(BASE "-lambda 6.2 -N 1e6 -detpixels 1024", "-allow_long_run", NULL);
    expect_refused(BASE "-lambda 6.2 -N 3 -oversample 1e5 -detpixels 256", "largest factor is -oversample 100000", NULL);
    cr_expect_lt(seconds_now() - t0, 60.0, "three refusals took %.1f s", seconds_now() - t0);
}

/* tables that cannot be meant are refused by the flags that make them, before any work */
Test(bad, huge_source_and_orientation_tables)
{
    expect_refused(BASE "-lambda 6.2 -N 3 -divsteps 1e5 -dispsteps 1e5 -dispersion 0.1 -divergence 1",
                   "-hdivsteps 100000 x -vdivsteps 100000 x -dispsteps 100000", NULL);
    expect_refused(BASE "-lambda 6.2 -N 3 -mosaic 1 -mosaic_dom 100000 -phisteps 10000 -osc 1",
                   "-phisteps 10000 x -mosaic_dom 100000: the table of 1e+09 orientations", NULL);
}

/* -max_run_hours lowers the limit (a tiny one refuses even a small run) and -allow_long_run
 * lifts it: the same run then completes */
Test(good, allow_long_run_lifts_the_run_time_limit)
{
    expect_refused(BASE "-lambda 6.2 -N 3 -max_run_hours 1e-12", "over -max_run_hours 1e-12", NULL);
    ran r = {0};
    run_bin(BASE "-lambda 6.2 -N 3 -max_run_hours 1e-12 -allow_long_run -nonoise -nopgm", &r);
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "exit 0x%x: %s", r.status, r.err ? r.err : "");
    static const char *const out[] = {"floatimage.bin", "intimage.img", NULL};
    expect_only_inputs(out, "-allow_long_run");
    cr_expect_eq(file_size("floatimage.bin"), 32 * 32 * 4);
    free(r.err);
    unlink("floatimage.bin");
    unlink("intimage.img");
    expect_refused(BASE "-max_run_hours 0", "-max_run_hours", NULL);
    expect_refused(BASE "-max_run_hours abc", "-max_run_hours", NULL);
}

/* the estimate is printed with the geometry */
Test(good, the_work_estimate_is_printed)
{
    const char *bin = getenv("NBCL_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' " BASE "-lambda 6.2 -N 3 -oversample 2 -nonoise -nopgm 2>&1", bin);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "work: 4.1e+03 sub-paths per image (1024 pixels x 2x2 sub-pixels x 1 layers x 1 sources"))
            seen = 1;
    cr_expect_eq(pclose(p), 0);
    cr_expect(seen, "no work line in the setup log");
}

/* -max_memory sets the HKL grid's cap (default: half the RAM) */
Test(bad, max_memory_caps_the_hkl_grid)
{
    write_text("mid.hkl", "-30 -30 -30 1\n30 30 30 1\n");   /* a 62^3 grid of doubles, 1.9 MB */
    static const char *const in[] = {"mid.hkl", NULL};
    expect_refused("-hkl mid.hkl -cell 100 100 100 90 90 90 -detpixels 32 -noprogress -max_memory 0.001",
                   "the -max_memory cap of 0.001 GB", in);
    expect_refused(BASE "-max_memory -1", "-max_memory", in);
    ran r = {0};
    run_bin("-hkl mid.hkl -cell 100 100 100 90 90 90 -detpixels 32 -noprogress -max_memory 0.01 -nonoise "
            "-lambda 6.2 -N 3 "
            "-nopgm -floatfile f.bin -intfile i.img", &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "a cap above the grid refused it: %s",
              r.err ? r.err : "");
    free(r.err);
}

/* ---- the catalogue of issue 11 (item 9): more of its bad inputs, each refused in one line
 * naming the flag or file, with nothing left behind, within the rlimits of run_bin (6 GB of
 * address space, 60 s of CPU) and a wall-clock bound ---- */
Test(bad, catalogue_of_issue_11)
{
    write_text("ovf.bin", "-2147483648 2147483647 0 0 0 0\n\f");
    write_text("wide.hkl", "-300 -300 -300 1\n300 300 300 1\n");
    static const char *const in[] = {"ovf.bin", "wide.hkl", NULL};
    static const char *const cases[][2] = {
        {"-phisteps 1e9", "-phisteps 1000000000 x -mosaic_dom 1"},
        {"-dump ovf.bin -default_F 0", "ovf.bin: impossible extents"},
        {"-img /dev/urandom", "/dev/urandom: not an SMV image"},
        {"-mask /dev/zero", "/dev/zero: not an SMV image"},
        {"-sourcefile /dev/zero", "-sourcefile /dev/zero: line 1: binary data"},
        {"-hkl wide.hkl -max_memory 1", "more than the -max_memory cap of 1 GB"},
        {"-lambda inf", "-lambda: 'inf' is not a number"},
        {"-lambda nan", "-lambda: 'nan' is not a number"},
        {"-distance nan", "-distance"},
        {"-phi inf", "-phi"},
        {"-N 0", "-N: must be a positive count"},
        {"-detpixels -5", "-detpixels"},
        {"-pixel 0", "-pixel"},
        {"-energy 0", "-energy"},
        {"-xtalsize -1", "-xtalsize"},
        {"-tile 0", "-tile"},
        {"-dispersion -1 -dispsteps 3", "-dispersion"},
        {"-mosaic 1 -mosaic_dom 1e10", "-mosaic_dom: 1e10 is out of range"},
        {"-beam_vector 0 0 0", "-beam_vector"},
        {"-spindle_axis 0 0 0", "-spindle_axis: must not be the zero vector"},
        {"-polar_vector 0 0 0", "-polar_vector: must not be the zero vector"},
        {"-fluence 1e300", "infinity at pixel"},
        {"-water 1e300", "infinity at pixel"},
        {"-Na 1e9 -Nb 1e9 -Nc 1e9", "-allow_long_run"},
        {"-nimages 1e9 -floatfile f#.bin", "-nimages 1000000000"},
        {"-divsteps 1e5 -dispsteps 1e5 -dispersion 0.1 -divergence 1", "sources, more than 1e+08"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        char args[512];
        snprintf(args, sizeof args, BASE "-lambda 6.2 -N 3 -distance 100 -pixel 0.1 %s", cases[i][0]);
        double t0 = seconds_now();
        expect_refused(args, cases[i][1], in);
        cr_expect_lt(seconds_now() - t0, 30.0, "'%s' took %.1f s to be refused", cases[i][0], seconds_now() - t0);
    }
}
