/* test_all_or_nothing.c: nanobragg-cl ($NBCL_BIN) publishes a run's files together or not
 * at all (issue 11, item 6). A write that fails on a later output (/dev/full) leaves no new
 * file and older files of those names untouched; SIGTERM, SIGINT or SIGHUP in the middle of
 * a series leaves every finished image whole (all of its files, full size), no file of the
 * image being written and no temporary; a signal during a single image leaves nothing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../support/scratch_dir.h"

#define BASE "-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 3 -distance 100 " \
             "-pixel 0.1 -noprogress "

SCRATCH_DIR_SUITE(aon, dir, "aon", 300);

/* start nanobragg-cl in dir with args (split by the shell), output to run.log */
static pid_t start(const char *args)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        /* the program keeps a signal ignored that its parent ignored (nohup): the tests
         * send these, so they must not depend on how the test itself was started */
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' %s > run.log 2>&1", dir, getenv("NBCL_BIN"), args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int finish(pid_t pid)
{
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static long size_of(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* entries of dir other than run.log and the names given (NULL-terminated) */
static int others(const char *const *keep, int report)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "run.log"))
            continue;
        int kept = 0;
        for (int i = 0; keep && keep[i]; ++i) kept |= !strcmp(e->d_name, keep[i]);
        if (!kept) {
            n++;
            if (report) cr_log_error("left behind: %s", e->d_name);
        }
    }
    closedir(d);
    return n;
}

static int temporaries(void)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp.")) {
            n++;
            cr_log_error("temporary left: %s", e->d_name);
        }
    closedir(d);
    return n;
}

/* a run writing to /dev/full fails, says so naming it, and leaves no file behind */
static void expect_full_device_failure(const char *args, const char *what)
{
    int st = finish(start(args));
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "'%s' did not fail", what);
    char *log = read_file("run.log");
    cr_expect(log && strstr(log, "/dev/full"), "'%s': the error does not name /dev/full: %s", what,
              log ? log : "");
    cr_expect_eq(others(NULL, 1), 0, "'%s' left files", what);
}

/* A later output on a full device: the run fails naming it, and the earlier outputs are
 * neither written nor (where they existed) touched. */
Test(aon, a_full_device_on_a_later_output_leaves_no_new_file)
{
    static const char *const last[] = {"-intfile /dev/full", "-pngfile /dev/full",
                                       "-noisefile /dev/full", "-pgmfile /dev/full",
                                       "-cbffile /dev/full", "-nexusfile x.nxs -intfile /dev/full"};
    static const char *const keep[] = {"f.bin", NULL};
    for (size_t i = 0; i < sizeof last / sizeof last[0]; ++i) {
        char args[1024];
        /* no older file */
        snprintf(args, sizeof args, BASE "-detpixels 32 -floatfile f.bin -nopgm %s", last[i]);
        expect_full_device_failure(args, last[i]);
        /* an older f.bin stays as it was */
        write_file("f.bin", "older\n");
        int st = finish(start(args));
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0);
        cr_expect_str_eq(read_file("f.bin"), "older\n", "'%s' changed the older f.bin", last[i]);
        cr_expect_eq(others(keep, 1), 0, "'%s' left files", last[i]);
        char path[512];
        snprintf(path, sizeof path, "%s/f.bin", dir);
        unlink(path);
    }
}

/* The float file is written row by row while the image is made (issue 13 item 3): on a
 * full device the run stops naming it, and no other output appears. 256 x 256 pixels fail
 * during the streaming, 32 x 32 (within stdio's buffer) when the file is closed. */
Test(aon, a_float_file_on_a_full_device_stops_the_run_and_leaves_nothing)
{
    static const char *const sizes[] = {"-detpixels 256", "-detpixels 32"};
    for (size_t i = 0; i < 2; ++i) {
        char args[1024];
        snprintf(args, sizeof args, BASE "%s -tile 32 -floatfile /dev/full -intfile i.img -pngfile p.png",
                 sizes[i]);
        expect_full_device_failure(args, sizes[i]);
    }
}

/* the positive control of the test above: the same run without /dev/full writes both */
Test(aon, the_same_run_without_a_full_device_writes_everything)
{
    int st = finish(start(BASE "-detpixels 32 -floatfile f.bin -intfile i.img -pngfile p.png"));
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", read_file("run.log"));
    cr_expect_eq(size_of("f.bin"), 32 * 32 * 4);
    cr_expect_gt(size_of("i.img"), 32 * 32 * 2);
    cr_expect_gt(size_of("p.png"), 0);
    cr_expect_eq(temporaries(), 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define SERIES "-detpixels 256 -nimages 400 -osc 0.01 -floatfile f_###.bin -intfile i_###.img " \
               "-noisefile n_###.img -pngfile p_###.png"

/* Start a long series, wait until its first image is written, then send sig: the process
 * dies of that signal, and every image is either whole (four files, full sizes) or absent. */
static void interrupt_series(int sig)
{
    pid_t pid = start(BASE SERIES);
    double t0 = now();
    while (size_of("p_001.png") < 0 && now() - t0 < 120) usleep(10000);
    cr_assert_gt(size_of("p_001.png"), 0, "no image was written in 120 s");
    usleep(300000);
    kill(pid, sig);
    int st = finish(pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig, "the run did not end by signal %d (status 0x%x): %s",
              sig, st, read_file("run.log"));
    cr_expect_eq(temporaries(), 0, "temporaries left after signal %d", sig);
    long sizes[4] = {0};
    int whole = 0;
    for (int i = 1; i <= 400; ++i) {
        char names[4][32];
        snprintf(names[0], 32, "f_%03d.bin", i);
        snprintf(names[1], 32, "i_%03d.img", i);
        snprintf(names[2], 32, "n_%03d.img", i);
        snprintf(names[3], 32, "p_%03d.png", i);
        int present = 0;
        for (int k = 0; k < 4; ++k) present += size_of(names[k]) >= 0;
        cr_expect(present == 0 || present == 4, "image %d has %d of its 4 files", i, present);
        if (present != 4) continue;
        whole++;
        for (int k = 0; k < 3; ++k) {   /* the PNG's size depends on its content */
            if (!sizes[k]) sizes[k] = size_of(names[k]);
            cr_expect_eq(size_of(names[k]), sizes[k], "%s is partial", names[k]);
        }
    }
    cr_expect_eq(sizes[0], 256 * 256 * 4);
    cr_expect_geq(whole, 1);
    cr_expect_lt(whole, 400, "the series finished before the signal: the test proves nothing");
}

Test(aon, sigterm_mid_series_keeps_whole_images_only)
{
    interrupt_series(SIGTERM);
}

Test(aon, sigint_mid_series_keeps_whole_images_only)
{
    interrupt_series(SIGINT);
}

Test(aon, sighup_mid_series_keeps_whole_images_only)
{
    interrupt_series(SIGHUP);
}

/* a signal while a single image is simulated: nothing at all is left */
Test(aon, sigterm_during_a_single_image_leaves_nothing)
{
    pid_t pid = start(BASE "-detpixels 1024 -oversample 64 -floatfile f.bin -intfile i.img -pngfile p.png");
    usleep(500000);
    kill(pid, SIGTERM);
    int st = finish(pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status 0x%x: %s", st, read_file("run.log"));
    cr_expect_eq(others(NULL, 1), 0);
}
