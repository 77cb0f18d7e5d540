/* test_program_cache.c: the disk cache of compiled program binaries (device/program_cache.h):
 * a miss then a hit, one file per key, damaged, stale or refused entries rebuilt with a
 * warning, the directory rules (explicit, NBCL_CACHE_DIR, XDG, HOME, off), an unwritable
 * directory, and several processes filling the same entry at once. Runs on the first OpenCL
 * device found (a CPU one preferred: PoCL's, where it is installed). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "device/program.h"
#include "device/program_cache.h"

#define K_N 64
#define K_OPTIONS "-DOFFSET=3"

static const char *k_source =
    "__kernel void pc_square(__global int *a)\n"
    "{\n"
    "    int i = (int)get_global_id(0);\n"
    "    a[i] = i * i + OFFSET;\n"
    "}\n";

typedef struct fixture {
    cl_context ctx;
    cl_device_id dev;
} fixture;

typedef struct log_capture {
    int count;
    char last[2048];
} log_capture;

static void capture(void *user, const char *line)
{
    log_capture *l = user;
    l->count++;
    snprintf(l->last, sizeof l->last, "%s", line);
}

/* ------------------------------------------------------------------ OpenCL helpers */

/* The first CPU device of any platform, else the first device. 0 on success. */
static int find_device(fixture *fx)
{
    cl_platform_id plats[16];
    cl_uint np = 0;
    cl_int rc;
    fx->dev = NULL;
    if (clGetPlatformIDs(16, plats, &np) != CL_SUCCESS || np == 0)
        return -1;
    for (int pass = 0; pass < 2 && !fx->dev; pass++)
        for (cl_uint i = 0; i < np && i < 16 && !fx->dev; i++) {
            cl_uint nd = 0;
            cl_device_type want = pass == 0 ? CL_DEVICE_TYPE_CPU : CL_DEVICE_TYPE_ALL;
            if (clGetDeviceIDs(plats[i], want, 1, &fx->dev, &nd) != CL_SUCCESS || nd == 0)
                fx->dev = NULL;
        }
    if (!fx->dev)
        return -1;
    fx->ctx = clCreateContext(NULL, 1, &fx->dev, NULL, NULL, &rc);
    return rc == CL_SUCCESS ? 0 : -1;
}

static fixture open_device(void)
{
    fixture fx;
    cr_assert_eq(find_device(&fx), 0, "no usable OpenCL device (install pocl-opencl-icd)");
    return fx;
}

/* Run pc_square on K_N items; 0 on success. */
static int run_kernel(const fixture *fx, cl_program prog, int *out)
{
    cl_int rc;
    size_t n = K_N;
    cl_command_queue q = clCreateCommandQueue(fx->ctx, fx->dev, 0, &rc);
    if (rc != CL_SUCCESS)
        return -1;
    cl_mem buf = clCreateBuffer(fx->ctx, CL_MEM_WRITE_ONLY, K_N * sizeof(int), NULL, &rc);
    cl_kernel k = rc == CL_SUCCESS ? clCreateKernel(prog, "pc_square", &rc) : NULL;
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(k, 0, sizeof buf, &buf);
    if (rc == CL_SUCCESS)
        rc = clEnqueueNDRangeKernel(q, k, 1, NULL, &n, NULL, 0, NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clEnqueueReadBuffer(q, buf, CL_TRUE, 0, K_N * sizeof(int), out, 0, NULL, NULL);
    if (k)
        clReleaseKernel(k);
    if (buf)
        clReleaseMemObject(buf);
    clReleaseCommandQueue(q);
    return rc == CL_SUCCESS ? 0 : -1;
}

static void expect_kernel_result(const fixture *fx, cl_program prog)
{
    int out[K_N];
    cr_assert_eq(run_kernel(fx, prog, out), 0, "running pc_square failed");
    for (int i = 0; i < K_N; i++)
        cr_expect_eq(out[i], i * i + 3, "a[%d] = %d", i, out[i]);
}

/* Build through the cache, asserting success; *hit says which way it went. */
static cl_program build(nbcl_program_cache *c, const fixture *fx, const char *src,
                        const char *opts, int *hit)
{
    cl_program prog = NULL;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_program_cache_build(c, fx->ctx, fx->dev, src, opts, &prog, hit, &err), 0,
                 "%s", err.msg);
    cr_assert_not_null(prog);
    return prog;
}

/* ------------------------------------------------------------------ file helpers */

static char made_dir[64];   /* this test's directory (each test is its own process) */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_made_dir(void)
{
    if (made_dir[0])
        nftw(made_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(program_cache, .fini = remove_made_dir);

static void fresh_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/nbcl-pcache-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(made_dir, sizeof made_dir, "%s", dir);
}

/* Entries of dir whose name ends with ".bin", and those holding ".tmp." */
static void count_files(const char *dir, int *bins, int *tmps)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    *bins = *tmps = 0;
    cr_assert_not_null(d, "cannot list %s", dir);
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len > 4 && strcmp(ent->d_name + len - 4, ".bin") == 0)
            (*bins)++;
        if (strstr(ent->d_name, ".tmp."))
            (*tmps)++;
    }
    closedir(d);
}

static void expect_files(const char *dir, int bins)
{
    int b, t;
    count_files(dir, &b, &t);
    cr_expect_eq(b, bins, "%d .bin files in %s, expected %d", b, dir, bins);
    cr_expect_eq(t, 0, "%d temporary files left in %s", t, dir);
}

static long file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no file %s", path);
    return (long)st.st_size;
}

static void overwrite(const char *path, long offset, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, offset, SEEK_SET), 0);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static void put_le(FILE *f, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* An entry in the documented format, with any binary (and a correct checksum). */
static void write_entry(const char *path, uint64_t key, const char *text, const void *bin,
                        size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    fwrite("NBCLPRG1", 1, 8, f);
    put_le(f, 1, 4);
    put_le(f, key, 8);
    put_le(f, strlen(text), 8);
    fwrite(text, 1, strlen(text), f);
    put_le(f, len, 8);
    fwrite(bin, 1, len, f);
    put_le(f, nbcl_fnv1a64(NBCL_FNV64_START, bin, len), 8);
    cr_assert_eq(fclose(f), 0);
}

static void entry_path(const nbcl_program_cache *c, const fixture *fx, const char *src,
                       const char *opts, char *path, size_t n)
{
    nbcl_err err = {0};
    cr_assert_eq(nbcl_program_cache_path(c, fx->dev, src, opts, path, n, &err), 0, "%s", err.msg);
}

/* A cache in a fresh directory with a warning counter; the entry's path for k_source. */
static fixture setup(nbcl_program_cache *c, char *dir, size_t ndir, log_capture *log,
                     char *path, size_t npath)
{
    fixture fx = open_device();
    memset(log, 0, sizeof *log);
    fresh_dir(dir, ndir);
    nbcl_program_cache_init(c, dir, capture, log);
    cr_assert(c->enabled);
    entry_path(c, &fx, k_source, K_OPTIONS, path, npath);
    return fx;
}

/* ------------------------------------------------------------------ tests */

Test(program_cache, miss_then_hit_gives_the_same_kernel)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    int hit = -1;
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    cl_program p1 = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 0, "first build should be a miss");
    expect_files(dir, 1);
    cr_expect_gt(file_size(path), 0);
    cl_program p2 = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 1, "second build should be a hit");
    expect_files(dir, 1);
    expect_kernel_result(&fx, p1);
    expect_kernel_result(&fx, p2);
    cr_expect_eq(log.count, 0, "unexpected warning: %s", log.last);
    clReleaseProgram(p1);
    clReleaseProgram(p2);
}

Test(program_cache, entry_holds_the_key_text_in_the_documented_format)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200], head[28];
    uint64_t key = 0;
    nbcl_err err = {0};
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, NULL));
    char *text = nbcl_program_cache_key_text(fx.dev, k_source, K_OPTIONS, &key, &err);
    cr_assert_not_null(text, "%s", err.msg);
    cr_expect(strstr(text, "driver_version ") && strstr(text, "device_name "), "%s", text);
    cr_expect(strstr(text, k_source) && strstr(text, K_OPTIONS));
    char name[32];
    snprintf(name, sizeof name, "/%016llx.bin", (unsigned long long)key);
    cr_expect(strstr(path, name), "%s does not end in %s", path, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fread(head, 1, sizeof head, f), sizeof head);
    char *stored = malloc(strlen(text) + 1);
    cr_assert_eq(fread(stored, 1, strlen(text), f), strlen(text));
    stored[strlen(text)] = '\0';
    fclose(f);
    cr_expect_eq(memcmp(head, "NBCLPRG1\1\0\0\0", 12), 0);
    cr_expect_str_eq(stored, text);
    free(stored);
    free(text);
}

Test(program_cache, options_and_source_change_the_key)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200], p_opt[4200], p_src[4200];
    int hit = -1;
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    char *src2 = malloc(strlen(k_source) + 32);
    sprintf(src2, "%s// another comment\n", k_source);
    entry_path(&c, &fx, k_source, "-DOFFSET=3 -cl-fast-relaxed-math", p_opt, sizeof p_opt);
    entry_path(&c, &fx, src2, K_OPTIONS, p_src, sizeof p_src);
    cr_expect_str_neq(path, p_opt);
    cr_expect_str_neq(path, p_src);
    cr_expect_str_neq(p_opt, p_src);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    clReleaseProgram(build(&c, &fx, k_source, "-DOFFSET=3 -cl-fast-relaxed-math", &hit));
    cr_expect_eq(hit, 0);
    clReleaseProgram(build(&c, &fx, src2, K_OPTIONS, &hit));
    cr_expect_eq(hit, 0);
    expect_files(dir, 3);
    file_size(p_opt);
    file_size(p_src);
    free(src2);
}

/* Damage the entry with f, then: a warning, a rebuild, a good entry again. */
static void expect_rebuilt_after(void (*damage)(const char *path), const char *why)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    int hit = -1;
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    long good = file_size(path);
    damage(path);
    cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 0, "a damaged entry was used");
    cr_expect_eq(log.count, 1, "expected one warning, got %d", log.count);
    cr_expect(strstr(log.last, path) != NULL, "warning does not name the file: %s", log.last);
    if (why)
        cr_expect(strstr(log.last, why) != NULL, "warning lacks \"%s\": %s", why, log.last);
    expect_kernel_result(&fx, p);
    clReleaseProgram(p);
    cr_expect_eq(file_size(path), good, "the entry was not replaced by a good one");
    p = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 1, "the replaced entry is not used");
    cr_expect_eq(log.count, 1, "unexpected second warning: %s", log.last);
    expect_files(dir, 1);
    expect_kernel_result(&fx, p);
    clReleaseProgram(p);
}

static void truncate_half(const char *path)
{
    cr_assert_eq(truncate(path, file_size(path) / 2), 0);
}

static void zero_file(const char *path)
{
    cr_assert_eq(truncate(path, 0), 0);
}

static void smash_binary_middle(const char *path)
{
    static const char junk[16] = "0123456789abcdef";
    overwrite(path, file_size(path) - 8 - 64, junk, sizeof junk);   /* inside the binary */
}

static void smash_key_text(const char *path)
{
    overwrite(path, 8 + 4 + 8 + 8 + 40, "XX", 2);   /* inside the components text */
}

static void bad_magic(const char *path)
{
    overwrite(path, 0, "NOTCACHE", 8);
}

Test(program_cache, truncated_entry_is_rebuilt) { expect_rebuilt_after(truncate_half, "corrupt"); }
Test(program_cache, empty_entry_is_rebuilt) { expect_rebuilt_after(zero_file, "corrupt"); }
Test(program_cache, damaged_binary_is_rebuilt)
{
    expect_rebuilt_after(smash_binary_middle, "checksum");
}
Test(program_cache, damaged_key_text_is_rebuilt)
{
    expect_rebuilt_after(smash_key_text, "key text differs");
}
Test(program_cache, foreign_file_is_rebuilt) { expect_rebuilt_after(bad_magic, "magic"); }

Test(program_cache, entry_of_another_key_under_this_name_is_rebuilt)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    uint64_t key;
    int hit = -1;
    nbcl_err err = {0};
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    char *other = nbcl_program_cache_key_text(fx.dev, k_source, "-DOFFSET=4", &key, &err);
    cr_assert_not_null(other, "%s", err.msg);
    uint64_t mine;
    free(nbcl_program_cache_key_text(fx.dev, k_source, K_OPTIONS, &mine, &err));
    write_entry(path, mine, other, "whatever", 8);   /* as if two texts had one hash */
    free(other);
    cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 0);
    cr_expect_eq(log.count, 1);
    cr_expect(strstr(log.last, "key text"), "%s", log.last);
    expect_kernel_result(&fx, p);
    clReleaseProgram(p);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    cr_expect_eq(hit, 1);
}

Test(program_cache, binary_refused_by_the_driver_is_rebuilt)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    uint64_t key;
    int hit = -1;
    nbcl_err err = {0};
    static const char garbage[] = "this is not a program binary for any device";
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    char *text = nbcl_program_cache_key_text(fx.dev, k_source, K_OPTIONS, &key, &err);
    cr_assert_not_null(text, "%s", err.msg);
    write_entry(path, key, text, garbage, sizeof garbage);   /* well-formed, checksum right */
    free(text);
    cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 0);
    cr_expect_eq(log.count, 1, "expected one warning, got %d", log.count);
    cr_expect(strstr(log.last, "clCreateProgramWithBinary") || strstr(log.last, "clBuildProgram"),
              "warning does not name the call: %s", log.last);
    cr_expect(strstr(log.last, "CL_"), "warning does not name the error: %s", log.last);
    expect_kernel_result(&fx, p);
    clReleaseProgram(p);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    cr_expect_eq(hit, 1, "the refused entry was not replaced");
    cr_expect_eq(log.count, 1);
}

Test(program_cache, disabled_cache_writes_nothing)
{
    const char *words[] = {"off", "none", "0", "OFF"};
    char dir[64];
    int hit = -1;
    fixture fx = open_device();
    fresh_dir(dir, sizeof dir);
    setenv("XDG_CACHE_HOME", dir, 1);
    setenv("HOME", dir, 1);
    for (int i = 0; i < 4; i++) {
        nbcl_program_cache c;
        log_capture log = {0};
        nbcl_program_cache_init(&c, words[i], capture, &log);   /* explicit */
        cr_expect_eq(c.enabled, 0, "\"%s\" does not disable", words[i]);
        clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
        cr_expect_eq(hit, 0);
        setenv("NBCL_CACHE_DIR", words[i], 1);                  /* environment */
        nbcl_program_cache_init(&c, NULL, capture, &log);
        cr_expect_eq(c.enabled, 0, "NBCL_CACHE_DIR=%s does not disable", words[i]);
        clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
        cr_expect_eq(log.count, 0, "%s", log.last);
        char p[4200];
        cr_expect_neq(nbcl_program_cache_path(&c, fx.dev, k_source, NULL, p, sizeof p, NULL), 0);
    }
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    cr_expect_eq(entries, 0, "a disabled cache wrote into %s", dir);
    clReleaseProgram(build(NULL, &fx, k_source, K_OPTIONS, &hit));   /* no cache at all */
    cr_expect_eq(hit, 0);
}

Test(program_cache, directory_rules)
{
    nbcl_program_cache c;
    char want[4200];
    unsetenv("NBCL_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/x/xdg", 1);
    setenv("HOME", "/x/home", 1);
    nbcl_program_cache_init(&c, NULL, NULL, NULL);
    cr_expect_str_eq(c.dir, "/x/xdg/nanobragg-cl");
    setenv("XDG_CACHE_HOME", "relative/xdg", 1);   /* ignored, as the XDG spec says */
    nbcl_program_cache_init(&c, NULL, NULL, NULL);
    cr_expect_str_eq(c.dir, "/x/home/.cache/nanobragg-cl");
    unsetenv("XDG_CACHE_HOME");
    nbcl_program_cache_init(&c, "", NULL, NULL);
    cr_expect_str_eq(c.dir, "/x/home/.cache/nanobragg-cl");
    setenv("NBCL_CACHE_DIR", "/x/env", 1);
    nbcl_program_cache_init(&c, NULL, NULL, NULL);
    cr_expect_str_eq(c.dir, "/x/env");
    nbcl_program_cache_init(&c, "/x/flag", NULL, NULL);   /* an explicit directory wins */
    cr_expect_str_eq(c.dir, "/x/flag");
    cr_expect_eq(c.enabled, 1);
    unsetenv("NBCL_CACHE_DIR");
    unsetenv("HOME");
    log_capture log = {0};
    nbcl_program_cache_init(&c, NULL, capture, &log);
    cr_expect_eq(c.enabled, 0, "no HOME: there is no directory");
    cr_expect_eq(log.count, 1);
    memset(want, 'a', sizeof want);
    want[0] = '/';
    want[4150] = '\0';
    nbcl_program_cache_init(&c, want, NULL, NULL);
    cr_expect_eq(c.enabled, 0, "a path too long must disable the cache");
}

Test(program_cache, environment_directory_is_used_and_created_0700)
{
    nbcl_program_cache c;
    char dir[64], sub[256];
    int hit = -1;
    struct stat st;
    fixture fx = open_device();
    fresh_dir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/a/b/cache", dir);
    setenv("NBCL_CACHE_DIR", sub, 1);
    nbcl_program_cache_init(&c, NULL, NULL, NULL);
    cr_expect_str_eq(c.dir, sub);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    cr_expect_eq(hit, 0);
    cr_assert_eq(stat(sub, &st), 0, "%s was not created", sub);
    cr_expect_eq(st.st_mode & 0777, 0700, "mode %o", (unsigned)(st.st_mode & 0777));
    expect_files(sub, 1);
    clReleaseProgram(build(&c, &fx, k_source, K_OPTIONS, &hit));
    cr_expect_eq(hit, 1);
}

Test(program_cache, unwritable_directory_warns_once_and_builds)
{
    nbcl_program_cache c;
    log_capture log = {0};
    char dir[64], file[128], sub[256];
    int hit = -1;
    fixture fx = open_device();
    fresh_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/afile", dir);   /* a dir under a file: fails as root too */
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(sub, sizeof sub, "%s/sub", file);
    nbcl_program_cache_init(&c, sub, capture, &log);
    for (int i = 0; i < 3; i++) {
        cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
        cr_expect_eq(hit, 0);
        expect_kernel_result(&fx, p);
        clReleaseProgram(p);
    }
    cr_expect_eq(log.count, 1, "expected exactly one warning, got %d", log.count);
    cr_expect(strstr(log.last, sub), "warning does not name the directory: %s", log.last);
    cr_expect_eq(file_size(file), 0);
}

Test(program_cache, entry_name_taken_by_a_directory_warns_once_and_builds)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    int hit = -1;
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    cr_assert_eq(mkdir(path, 0700), 0);
    for (int i = 0; i < 3; i++) {
        cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
        cr_expect_eq(hit, 0);
        expect_kernel_result(&fx, p);
        clReleaseProgram(p);
    }
    cr_expect_eq(log.count, 1, "expected exactly one warning, got %d: %s", log.count, log.last);
    expect_files(dir, 1);   /* the directory itself */
}

Test(program_cache, failed_source_build_reports_the_log_and_stores_nothing)
{
    nbcl_program_cache c;
    log_capture log;
    char dir[64], path[4200];
    int hit = -1;
    cl_program prog = NULL;
    nbcl_err err = {0};
    fixture fx = setup(&c, dir, sizeof dir, &log, path, sizeof path);
    const char *bad = "__kernel void broken(__global int *a) { a[0] = undeclared_name; }\n";
    cr_assert_neq(nbcl_program_cache_build(&c, fx.ctx, fx.dev, bad, NULL, &prog, &hit, &err), 0);
    cr_expect_null(prog);
    cr_expect_eq(hit, 0);
    cr_expect(strstr(err.msg, "clBuildProgram failed"), "%s", err.msg);
    cr_expect(strstr(err.msg, "undeclared_name"), "the build log is missing: %s", err.msg);
    expect_files(dir, 0);
    cr_expect_eq(log.count, 0, "%s", log.last);
}

Test(program_binary, reads_the_device_binary)
{
    fixture fx = open_device();
    cl_program prog;
    unsigned char *bin = NULL;
    size_t len = 0;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_program_build_source(fx.ctx, fx.dev, k_source, K_OPTIONS, &prog, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(nbcl_program_binary(prog, fx.dev, &bin, &len, &err), 0, "%s", err.msg);
    cr_expect_gt(len, 0);
    cr_expect_not_null(bin);
    free(bin);
    clReleaseProgram(prog);
}

/* ------------------------------------------------------------------ processes */

/* One child: open a device, say ready, wait for go, build through the cache, run. Exit code
 * 0 on success. No Criterion assertion here: this is a forked process. */
static int child(const char *dir, int ready_fd, int go_fd)
{
    fixture fx;
    nbcl_program_cache c;
    cl_program prog = NULL;
    nbcl_err err;
    int hit, out[K_N];
    char byte = 'r';
    if (find_device(&fx) != 0)
        return 2;
    nbcl_program_cache_init(&c, dir, NULL, NULL);
    if (write(ready_fd, &byte, 1) != 1 || read(go_fd, &byte, 1) < 0)
        return 3;
    if (nbcl_program_cache_build(&c, fx.ctx, fx.dev, k_source, K_OPTIONS, &prog, &hit, &err)) {
        fprintf(stderr, "child: %s\n", err.msg);
        return 4;
    }
    if (run_kernel(&fx, prog, out) != 0)
        return 5;
    for (int i = 0; i < K_N; i++)
        if (out[i] != i * i + 3)
            return 6;
    return 0;
}

Test(program_cache, concurrent_processes_leave_one_good_entry)
{
    enum { NCHILD = 4 };
    char dir[64];
    int ready[2], go[2], hit = -1;
    pid_t pids[NCHILD];
    fresh_dir(dir, sizeof dir);   /* no OpenCL in this process before the forks */
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(go), 0);
    for (int i = 0; i < NCHILD; i++) {
        pids[i] = fork();
        cr_assert_geq(pids[i], 0);
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            _exit(child(dir, ready[1], go[0]));
        }
    }
    close(ready[1]);
    close(go[0]);
    char byte;
    for (int i = 0; i < NCHILD; i++)
        cr_assert_eq(read(ready[0], &byte, 1), 1, "a child died before building");
    close(go[1]);   /* all start building now */
    for (int i = 0; i < NCHILD; i++) {
        int status = 0;
        cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: status %d", i,
                  status);
    }
    close(ready[0]);
    expect_files(dir, 1);
    nbcl_program_cache c;
    log_capture log = {0};
    fixture fx = open_device();
    nbcl_program_cache_init(&c, dir, capture, &log);
    cl_program p = build(&c, &fx, k_source, K_OPTIONS, &hit);
    cr_expect_eq(hit, 1, "the entry left behind is not usable");
    cr_expect_eq(log.count, 0, "%s", log.last);
    expect_kernel_result(&fx, p);
    clReleaseProgram(p);
}
