/* test_golden.c: runs nanobragg-cl ($NBCL_BIN) on every case of golden/cases.tsv and checks
 * its float image (and, for io cases in double precision, its int/PGM/noise/Fdump files)
 * against the reference's outputs, with the bounds of golden/README.md.
 *
 * Which cases: --golden-category=core|sampling|io (or NBCL_GOLDEN_CATEGORY),
 * --golden-precision=double|single|auto (or NBCL_GOLDEN_PRECISION, default double), and
 * --golden-case=id[,id...] (or NBCL_GOLDEN_CASE) to run named cases of any category.
 * --golden-device=SPEC (or NBCL_DEVICE, which the program reads) picks the OpenCL device.
 * With auto precision the program says (stdout or stderr) which precision it chose; the case is held
 * to that precision's bounds (single only when it says it computes in single precision).
 * NBCL_GOLDEN_OPT_IN=VAR: skip (exit 77) unless VAR is set and not 0 (long suites outside CI).
 * NBCL_GOLDEN_KEEP=1 keeps every scratch directory (failed cases always keep theirs).
 * NBCL_GOLDEN_CASE_TIMEOUT: seconds one run may take (default 1200). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "io/compare.h"
#include "../io/io_util.h"

typedef struct golden_case {
    char id[64];
    char category[32];
    char precision[8];
    char args[1536];
} golden_case;

typedef struct golden_bounds {
    double min_corr, max_sum_dev, rel, abs_frac, max_frac_off;
} golden_bounds;

static const golden_bounds bounds_double = {0.999999, 1e-6, 1e-5, 1e-6, 1e-4};
static const golden_bounds bounds_single = {0.99999, 1e-3, 1e-3, 1e-4, 1e-2};

/* ---- selecting cases ---- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int in_list(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ", ");
        if (len == n && !strncmp(p, id, n)) return 1;
        p += len;
        p += strspn(p, ", ");
    }
    return 0;
}

static int selected(const char *id, const char *category)
{
    const char *only = getenv("NBCL_GOLDEN_CASE");
    if (only && *only) return in_list(only, id);
    const char *cat = getenv("NBCL_GOLDEN_CATEGORY");
    return !cat || !*cat || !strcmp(cat, "all") || !strcmp(cat, category);
}

/* Bounded copy that always terminates dst. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* dir/name into out; nonzero if it does not fit. */
static int join_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap;
}

/* Parse one cases.tsv line into c; 0 if it is a case. */
static int parse_case_line(char *line, golden_case *c)
{
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0') return -1;
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2) return -1;
    *tab1 = *tab2 = '\0';
    memset(c, 0, sizeof *c);
    copy_str(c->id, sizeof c->id, line);
    copy_str(c->category, sizeof c->category, tab1 + 1);
    copy_str(c->args, sizeof c->args, tab2 + 1);
    copy_str(c->precision, sizeof c->precision, env_or("NBCL_GOLDEN_PRECISION", "double"));
    return 0;
}

/* The selected cases; *n = count (a malloc'd array, or cr_malloc'd when shared). */
static golden_case *load_cases(size_t *n, int shared)
{
    *n = 0;
    const char *dir = getenv("NBCL_GOLDEN_DIR");
    if (!dir) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/cases.tsv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) return NULL;
    size_t cap = 128;
    golden_case *all = malloc(cap * sizeof *all);
    char line[4096];
    while (all && fgets(line, sizeof line, fp)) {
        golden_case c;
        if (parse_case_line(line, &c) || !selected(c.id, c.category)) continue;
        if (*n == cap) all = realloc(all, (cap *= 2) * sizeof *all);
        if (all) all[(*n)++] = c;
    }
    fclose(fp);
    if (!shared || !all) return all;
    golden_case *out = cr_malloc((*n ? *n : 1) * sizeof *out);
    if (out) memcpy(out, all, *n * sizeof *out);
    free(all);
    return out;
}

/* ---- failures are collected, so the scratch directory can be kept for a look ---- */

typedef struct report {
    char text[8192];
    size_t len;
    int failed;
} report;

static void fail(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->len < sizeof r->text) {
        int n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
        if (n > 0) r->len += (size_t)n;
        if (r->len < sizeof r->text - 1) r->text[r->len++] = '\n';
        r->text[r->len < sizeof r->text ? r->len : sizeof r->text - 1] = '\0';
    }
    va_end(ap);
    r->failed = 1;
}

/* ---- scratch directory ---- */

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC,
                                                            0644);
    char buf[1 << 16];
    ssize_t got = 0;
    int rc = in < 0 || out < 0 ? -1 : 0;
    while (!rc && (got = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)got) != got) rc = -1;
    if (got < 0) rc = -1;
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    return rc;
}

/* Every file of golden/inputs, except Fdump.bin unless the case reads it. */
static int copy_inputs(const char *golden, const char *work, const char *id, report *r)
{
    char src[4096], dst[4096], indir[4096];
    snprintf(indir, sizeof indir, "%s/inputs", golden);
    DIR *d = opendir(indir);
    if (!d) {
        fail(r, "cannot list %s", indir);
        return -1;
    }
    struct dirent *e;
    int want_fdump = !strcmp(id, "io_fdump_read");
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (!strcmp(e->d_name, "Fdump.bin") && !want_fdump) continue;
        if (join_path(src, sizeof src, indir, e->d_name)
            || join_path(dst, sizeof dst, work, e->d_name) || copy_file(src, dst))
            fail(r, "cannot copy %s to %s", src, dst);
    }
    closedir(d);
    return r->failed ? -1 : 0;
}

/* ---- running the binary ---- */

#define MAX_ARGS 160

static int build_argv(const golden_case *c, const char *bin, char *buf, char **argv)
{
    static const char *const outputs[] = {"-floatfile", "float.bin", "-intfile", "int.img",
                                          "-pgmfile", "image.pgm", "-noisefile", "noise.img",
                                          "-noprogress", "-precision"};
    int n = 0;
    argv[n++] = (char *)bin;
    strcpy(buf, c->args);
    for (char *tok = strtok(buf, " \t"); tok && n < MAX_ARGS - 16; tok = strtok(NULL, " \t"))
        argv[n++] = tok;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        argv[n++] = (char *)outputs[i];
    argv[n++] = (char *)c->precision;
    argv[n] = NULL;
    return n;
}

static void child_exec(const char *work, char **argv)
{
    if (chdir(work) != 0) _exit(126);
    int out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv);
    fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Wait for pid up to `limit` seconds; -1 on timeout (the child is killed). */
static int wait_with_deadline(pid_t pid, double limit, int *status)
{
    struct timespec nap = {0, 20 * 1000 * 1000};
    time_t start = time(NULL);
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid) return 0;
        if (got < 0 && errno != EINTR) return -2;
        if (difftime(time(NULL), start) > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
}

static void tail_of(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp) return;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, size > (long)cap - 1 ? size - (long)cap + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, cap - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static int run_binary(const golden_case *c, const char *bin, const char *work, report *r)
{
    char buf[sizeof c->args], *argv[MAX_ARGS];
    build_argv(c, bin, buf, argv);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fail(r, "fork failed: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) child_exec(work, argv);
    int status = 0;
    double limit = atof(env_or("NBCL_GOLDEN_CASE_TIMEOUT", "1200"));
    int w = wait_with_deadline(pid, limit > 0 ? limit : 1200, &status);
    if (w == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char path[4200], tail[1200];
    snprintf(path, sizeof path, "%s/stderr.txt", work);
    tail_of(path, tail, sizeof tail);
    if (w == -1) fail(r, "timed out after %g s", limit);
    else if (WIFSIGNALED(status)) fail(r, "killed by signal %d", WTERMSIG(status));
    else fail(r, "exit status %d", WEXITSTATUS(status));
    fail(r, "stderr (tail):\n%s", tail);
    return -1;
}

/* ---- checks ---- */

static int golden_file(const char *golden, const char *id, const char *name, char *out,
                       size_t cap)
{
    snprintf(out, cap, "%s/cases/%s/%s", golden, id, name);
    return access(out, R_OK);
}

/* Width in pixels from the reference's "(FxS pixels)" line. */
static int width_from_stdout(const char *golden, const char *id, size_t n)
{
    char path[4096], line[1024];
    golden_file(golden, id, "stdout.txt", path, sizeof path);
    FILE *fp = fopen(path, "r");
    int w = 0, h = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        const char *p = strstr(line, "meters (");
        if (p && sscanf(p, "meters (%dx%d pixels)", &w, &h) == 2) break;
    }
    if (fp) fclose(fp);
    if (w > 0 && (size_t)w * (size_t)(h > 0 ? h : 1) == n) return w;
    int side = (int)llround(sqrt((double)n));
    return (size_t)side * (size_t)side == n ? side : (int)n;
}

typedef struct float_pair {
    float *ref, *test;
    size_t n;
} float_pair;

static int load_floats(const char *golden, const golden_case *c, const char *work,
                       float_pair *fp, report *r)
{
    char ref[4096], test[4200];
    nbcl_err err;
    size_t nt = 0;
    golden_file(golden, c->id, "float.bin.gz", ref, sizeof ref);
    snprintf(test, sizeof test, "%s/float.bin", work);
    if (nbcl_floatfile_read(ref, &fp->ref, &fp->n, &err)) fail(r, "%s", err.msg);
    else if (nbcl_floatfile_read(test, &fp->test, &nt, &err)) fail(r, "%s", err.msg);
    else if (nt != fp->n) fail(r, "float.bin has %zu pixels, expected %zu", nt, fp->n);
    return r->failed ? -1 : 0;
}

/* The precision the run used: the requested one, or for auto what the program said it chose. */
static const char *precision_used(const golden_case *c, const char *work)
{
    if (strcmp(c->precision, "auto")) return c->precision;
    static const char *const logs[] = {"stdout.txt", "stderr.txt"};
    char path[4200], line[1024];
    const char *used = "double";
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", work, logs[i]);
        FILE *fp = fopen(path, "r");
        while (fp && fgets(line, sizeof line, fp))
            if (strstr(line, "computing in single precision")) used = "single";
        if (fp) fclose(fp);
    }
    return used;
}

static void check_floats(const char *golden, const golden_case *c, const char *used,
                         const float_pair *fp, report *r)
{
    const golden_bounds *b = strcmp(used, "single") ? &bounds_double : &bounds_single;
    int width = width_from_stdout(golden, c->id, fp->n);
    nbcl_compare_stats s;
    if (nbcl_compare_images(fp->ref, fp->test, fp->n, width, NULL, b->rel, b->abs_frac, &s)) {
        fail(r, "cannot compare images of %zu pixels, width %d", fp->n, width);
        return;
    }
    double dev = fabs(s.sum_ratio - 1.0);
    int ok = s.corr >= b->min_corr && dev <= b->max_sum_dev && s.frac_off <= b->max_frac_off;
    char figures[512];
    snprintf(figures, sizeof figures,
             "corr=%.9f (min %g) sum_ratio=%.9f (|dev| max %g) frac_off=%.5f%% (max %g%%) "
             "max_diff=%.4g at x=%d y=%d (ref %.6g test %.6g)", s.corr, b->min_corr,
             s.sum_ratio, b->max_sum_dev, 100 * s.frac_off, 100 * b->max_frac_off,
             s.max_abs_diff, s.max_x, s.max_y, s.max_ref, s.max_test);
    fprintf(stderr, "golden %s %s%s%s: %s %s\n", c->id, c->precision, strcmp(used, c->precision)
            ? "->" : "", strcmp(used, c->precision) ? used : "", ok ? "ok  " : "FAIL", figures);
    if (!ok) fail(r, "float image out of bounds: %s", figures);
}

static int read_pair(const char *expect, const char *got, unsigned char **a, size_t *na,
                     unsigned char **b, size_t *nb, report *r)
{
    nbcl_err err;
    *a = *b = NULL;
    if (nbcl_gzfile_read(expect, a, na, &err)) fail(r, "%s", err.msg);
    else if (nbcl_gzfile_read(got, b, nb, &err)) fail(r, "%s", err.msg);
    else return 0;
    free(*a);
    free(*b);
    return -1;
}

static void check_bytes(const char *golden, const char *id, const char *work, const char *name,
                        report *r)
{
    char expect[4096], got[4200], gzname[256];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    if (golden_file(golden, id, gzname, expect, sizeof expect)) return;
    snprintf(got, sizeof got, "%s/%s", work, name);
    unsigned char *a, *b;
    size_t na, nb;
    if (read_pair(expect, got, &a, &na, &b, &nb, r)) return;
    size_t first = 0;
    while (first < na && first < nb && a[first] == b[first]) first++;
    if (na != nb) fail(r, "%s: %zu bytes, expected %zu", name, nb, na);
    else if (first < na) fail(r, "%s differs from the reference first at byte %zu", name, first);
    free(a);
    free(b);
}

/* Noise may differ only at pixels whose float value differs; header byte for byte. */
static void check_noise(const char *golden, const char *id, const char *work,
                        const float_pair *fp, report *r)
{
    char expect[4096], got[4200];
    if (golden_file(golden, id, "noise.img.gz", expect, sizeof expect)) return;
    snprintf(got, sizeof got, "%s/noise.img", work);
    unsigned char *a, *b;
    size_t na, nb, bad = 0;
    if (read_pair(expect, got, &a, &na, &b, &nb, r)) return;
    if (na != nb || na != 512 + 2 * fp->n) fail(r, "noise.img: %zu bytes, expected %zu", nb, na);
    else if (memcmp(a, b, 512)) fail(r, "noise.img header differs from the reference");
    else {
        const unsigned short *pa = (const void *)(a + 512), *pb = (const void *)(b + 512);
        for (size_t i = 0; i < fp->n; i++)
            bad += pa[i] != pb[i] && fp->ref[i] == fp->test[i];
        if (bad) fail(r, "noise.img: %zu pixels differ where the float image does not", bad);
    }
    free(a);
    free(b);
}

static void check_io_files(const char *golden, const golden_case *c, const char *work,
                           const float_pair *fp, report *r)
{
    if (strcmp(c->category, "io") || strcmp(c->precision, "double")) return;
    check_bytes(golden, c->id, work, "int.img", r);
    check_bytes(golden, c->id, work, "image.pgm", r);
    check_bytes(golden, c->id, work, "Fdump.bin", r);
    check_noise(golden, c->id, work, fp, r);
}

/* ---- the test ---- */

static void run_case(const golden_case *c, const char *golden, const char *bin, report *r)
{
    char work[4096];
    snprintf(work, sizeof work, "%s/nbcl-golden-%s-%s-XXXXXX", env_or("TMPDIR", "/tmp"), c->id,
             c->precision);
    if (!mkdtemp(work)) {
        fail(r, "cannot create a scratch directory: %s", strerror(errno));
        return;
    }
    float_pair fp = {0};
    if (!copy_inputs(golden, work, c->id, r) && !run_binary(c, bin, work, r)
        && !load_floats(golden, c, work, &fp, r)) {
        check_floats(golden, c, precision_used(c, work), &fp, r);
        check_io_files(golden, c, work, &fp, r);
    }
    free(fp.ref);
    free(fp.test);
    if (r->failed || getenv("NBCL_GOLDEN_KEEP")) fail(r, "scratch directory kept: %s", work);
    else io_rmdir(work);
}

static void free_cases(struct criterion_test_params *p)
{
    cr_free(p->params);
}

ParameterizedTestParameters(golden, case)
{
    size_t n;
    golden_case *cases = load_cases(&n, 1);
    return cr_make_param_array(golden_case, cases, n, free_cases);
}

ParameterizedTest(golden_case *c, golden, case)
{
    const char *golden = getenv("NBCL_GOLDEN_DIR");
    const char *bin_env = getenv("NBCL_BIN");
    cr_assert(golden && bin_env, "NBCL_GOLDEN_DIR and NBCL_BIN must be set");
    char bin[4096];
    if (!realpath(bin_env, bin)) cr_assert_fail("NBCL_BIN=%s: %s", bin_env, strerror(errno));
    report *r = calloc(1, sizeof *r);
    run_case(c, golden, bin, r);
    if (r->failed) cr_assert_fail("case %s (%s, %s precision):\n%s", c->id, c->category,
                                  c->precision, r->text);
    free(r);
}

/* An empty selection (a mistyped case id or category) must not pass silently. */
Test(golden, selection_is_not_empty)
{
    cr_assert(getenv("NBCL_GOLDEN_DIR"), "NBCL_GOLDEN_DIR must be set");
    size_t n;
    free(load_cases(&n, 0));
    cr_assert_gt(n, 0, "no golden case matches NBCL_GOLDEN_CASE='%s' NBCL_GOLDEN_CATEGORY='%s'",
                 env_or("NBCL_GOLDEN_CASE", ""), env_or("NBCL_GOLDEN_CATEGORY", ""));
}

/* --golden-category=X etc. become the environment variables above; the rest is Criterion's. */
static int take_option(const char *arg)
{
    static const char *const map[][2] = {
        {"--golden-category=", "NBCL_GOLDEN_CATEGORY"},
        {"--golden-precision=", "NBCL_GOLDEN_PRECISION"},
        {"--golden-case=", "NBCL_GOLDEN_CASE"},
        {"--golden-device=", "NBCL_DEVICE"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t len = strlen(map[i][0]);
        if (!strncmp(arg, map[i][0], len)) {
            setenv(map[i][1], arg + len, 1);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char *argv[])
{
    int kept = 1;
    for (int i = 1; i < argc; i++)
        if (!take_option(argv[i])) argv[kept++] = argv[i];
    argv[kept] = NULL;
    const char *opt_in = getenv("NBCL_GOLDEN_OPT_IN");
    if (opt_in && *opt_in && !strcmp(env_or(opt_in, "0"), "0")) {
        printf("skipped: set %s=1 to run these cases\n", opt_in);
        return 77;
    }
    const char *prec = env_or("NBCL_GOLDEN_PRECISION", "double");
    if (strcmp(prec, "double") && strcmp(prec, "single") && strcmp(prec, "auto")) {
        fprintf(stderr, "test_golden: precision must be double, single or auto, not '%s'\n",
                prec);
        return 2;
    }
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(kept, argv, true)) result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
