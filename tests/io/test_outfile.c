/* test_outfile.c: temporary-then-rename output files: nothing half-written, nothing left
 * behind on failure, one-line errors naming the file. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sys/stat.h>
#include "io/compare.h"
#include "io/outfile.h"
#include "io/outgroup.h"
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

TestSuite(outfile, .init = setup, .fini = teardown);

/* path = dir/name, a file holding `old`, and an outfile opened to replace it */
static void open_over(char *path, size_t cap, const char *name, const char *old, nbcl_outfile *of)
{
    io_path(path, cap, dir, name);
    io_write_text(path, old);
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_open(of, path, &err), 0, "%s", err.msg);
}

Test(outfile, temp_until_commit)
{
    char path[4200];
    io_path(path, sizeof path, dir, "out.bin");
    nbcl_outfile of;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_open(&of, path, &err), 0, "%s", err.msg);
    fputs("hello", of.fp);
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "final file must not exist before commit");
    cr_assert_eq(io_count_entries(dir), 1);
    cr_assert_eq(strncmp(of.tmp, path, strlen(path)), 0);
    cr_assert_not_null(strstr(of.tmp, ".tmp."));
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 5);
    cr_assert_eq(io_count_entries(dir), 1);
}

Test(outfile, commit_replaces_existing)
{
    char path[4200];
    io_path(path, sizeof path, dir, "out.txt");
    io_write_text(path, "old contents that are longer");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_write_bytes(path, "new", 3, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t n;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(b, "new", 3), 0);
    free(b);
}

Test(outfile, abort_removes_temp_and_keeps_old)
{
    char path[4200];
    nbcl_outfile of;
    open_over(path, sizeof path, "keep.txt", "old", &of);
    fputs("partial", of.fp);
    nbcl_outfile_abort(&of);
    nbcl_outfile_abort(&of);   /* harmless twice */
    cr_assert_eq(io_count_entries(dir), 1);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 3);
}

Test(outfile, missing_directory_is_one_line_error)
{
    char path[4200];
    io_path(path, sizeof path, dir, "no/such/dir/float.bin");
    nbcl_err err = {0};
    float f[2] = {1, 2};
    cr_assert_neq(nbcl_floatfile_write(path, f, 2, &err), 0);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "does not exist"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
    cr_assert_eq(io_count_entries(dir), 0, "nothing may be left behind");
}

Test(outfile, mode_follows_umask)
{
    char path[4200];
    io_path(path, sizeof path, dir, "mode.bin");
    mode_t old = umask(022);
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_write_bytes(path, "x", 1, &err), 0, "%s", err.msg);
    umask(old);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);
}

Test(outfile, floatfile_is_raw_little_endian)
{
    char path[4200];
    io_path(path, sizeof path, dir, "f.bin");
    float f[3] = {1.0f, -2.5f, 3e-20f};
    nbcl_err err = {0};
    cr_assert_eq(nbcl_floatfile_write(path, f, 3, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t n;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 12);
    const unsigned char one[4] = {0x00, 0x00, 0x80, 0x3f};
    cr_assert_eq(memcmp(b, one, 4), 0);
    free(b);
    float *back;
    cr_assert_eq(nbcl_floatfile_read(path, &back, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(back, f, sizeof f), 0);
    free(back);
}

/* Writing to a device must not replace it: /dev/null stays a character device. */
Test(outfile, device_is_written_in_place)
{
    nbcl_err err;
    float v[4] = {1, 2, 3, 4};
    cr_assert_eq(nbcl_floatfile_write("/dev/null", v, 4, &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "/dev/null is no longer a character device");
}

/* an output group: files wait under their temporaries until the commit renames them all;
 * an abort removes them and leaves an older file of the same name as it was */
Test(outfile, group_publishes_all_at_commit)
{
    char a[4200], b[4200];
    io_path(a, sizeof a, dir, "a.bin");
    io_path(b, sizeof b, dir, "b.bin");
    nbcl_err err = {0};
    struct stat st;
    cr_assert_eq(nbcl_outgroup_begin(&err), 0, "%s", err.msg);
    cr_assert_neq(nbcl_outgroup_begin(&err), 0, "a second group must be refused");
    cr_assert_eq(nbcl_outfile_write_bytes(a, "aa", 2, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_outfile_write_bytes(b, "bbb", 3, &err), 0, "%s", err.msg);
    cr_expect_neq(stat(a, &st), 0, "a.bin was published before the commit");
    cr_expect_neq(stat(b, &st), 0, "b.bin was published before the commit");
    cr_expect_eq(io_count_entries(dir), 2, "two temporaries expected");
    cr_assert_eq(nbcl_outgroup_commit(&err), 0, "%s", err.msg);
    cr_expect_eq(stat(a, &st), 0);
    cr_expect_eq(st.st_size, 2);
    cr_expect_eq(stat(b, &st), 0);
    cr_expect_eq(st.st_size, 3);
    cr_expect_eq(io_count_entries(dir), 2, "temporaries left after the commit");
}

Test(outfile, group_abort_leaves_older_files_untouched)
{
    char a[4200], b[4200];
    io_path(a, sizeof a, dir, "a.bin");
    io_path(b, sizeof b, dir, "b.bin");
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_write_bytes(a, "old", 3, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_outgroup_begin(&err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_outfile_write_bytes(a, "new!", 4, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_outfile_write_bytes(b, "bbb", 3, &err), 0, "%s", err.msg);
    nbcl_outgroup_abort();
    struct stat st;
    cr_expect_eq(stat(a, &st), 0);
    cr_expect_eq(st.st_size, 3, "the older a.bin was replaced");
    cr_expect_neq(stat(b, &st), 0, "b.bin was published by an aborted group");
    cr_expect_eq(io_count_entries(dir), 1, "temporaries left after the abort");
    /* with no group open, files are published at once again */
    cr_assert_eq(nbcl_outfile_write_bytes(b, "bbb", 3, &err), 0, "%s", err.msg);
    cr_expect_eq(stat(b, &st), 0);
}

/* A mapped outfile: its memory is the file (no write through fp); bytes never stored read
 * as 0; the file is published by commit with exactly the mapped size, and an abort leaves
 * nothing. A private mapping in place of nbcl_outfile_map's shared one fails the first
 * check. */
Test(outfile, mapped_memory_is_the_file)
{
    char path[4200];
    nbcl_outfile of;
    open_over(path, sizeof path, "mapped.bin", "older file, replaced at commit", &of);
    nbcl_err err = {0};
    const size_t size = 3 * 4096 + 100;
    unsigned char *m = NULL;
    cr_assert_eq(nbcl_outfile_map(&of, size, (void **)&m, &err), 0, "%s", err.msg);
    cr_assert_not_null(m);
    nbcl_outfile_prefault(&of, 4096, 4096);   /* leaves the contents alone */
    m[0] = 7;
    m[size - 1] = 9;
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t n;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, size);
    cr_assert_eq(b[0], 7);
    cr_assert_eq(b[size - 1], 9);
    for (size_t i = 1; i + 1 < size; ++i) cr_assert_eq(b[i], 0, "byte %zu never stored is %d", i, b[i]);
    free(b);
    cr_assert_eq(io_count_entries(dir), 1);
}

/* Positional writes: parts written out of order (two threads at once) make the file;
 * bytes never written read as 0; the file has the reserved size; nothing else is left. */
typedef struct positional_part {
    nbcl_outfile *of;
    size_t offset, len;
    unsigned char value;
    int code;
} positional_part;

static void *write_part(void *arg)
{
    positional_part *p = arg;
    unsigned char *buf = malloc(p->len);
    memset(buf, p->value, p->len);
    p->code = nbcl_outfile_pwrite(p->of, buf, p->len, p->offset);
    free(buf);
    return NULL;
}

Test(outfile, positional_parts_make_the_file)
{
    char path[4200];
    nbcl_outfile of;
    open_over(path, sizeof path, "parts.bin", "older file, replaced at commit", &of);
    nbcl_err err = {0};
    const size_t size = 1000003;
    cr_assert_eq(nbcl_outfile_positional(&of, size, &err), 0, "%s", err.msg);
    positional_part parts[3] = {{&of, 600000, size - 600000, 3, -1}, {&of, 10, 300000, 1, -1},
                                {&of, 400000, 100000, 2, -1}};
    pthread_t t[3];
    for (int i = 0; i < 3; ++i) cr_assert_eq(pthread_create(&t[i], NULL, write_part, &parts[i]), 0);
    for (int i = 0; i < 3; ++i) {
        pthread_join(t[i], NULL);
        cr_assert_eq(parts[i].code, 0, "part %d: %s", i, strerror(parts[i].code));
    }
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
    unsigned char *b;
    size_t n;
    cr_assert_eq(nbcl_gzfile_read(path, &b, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, size);
    for (size_t i = 0; i < size; ++i) {
        unsigned char want = i >= 600000 ? 3 : i >= 400000 && i < 500000 ? 2 : i >= 10 && i < 300010 ? 1 : 0;
        cr_assert_eq(b[i], want, "byte %zu is %d, want %d", i, b[i], want);
    }
    free(b);
    cr_assert_eq(io_count_entries(dir), 1);
}

/* a device takes no positional writes: written through fp, in order */
Test(outfile, device_is_not_positional)
{
    nbcl_outfile of;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_open(&of, "/dev/null", &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_outfile_positional(&of, 4096, &err), 1);
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
}

Test(outfile, mapped_abort_leaves_the_older_file)
{
    char path[4200];
    nbcl_outfile of;
    open_over(path, sizeof path, "keep.bin", "old", &of);
    nbcl_err err = {0};
    unsigned char *m = NULL;
    cr_assert_eq(nbcl_outfile_map(&of, 8192, (void **)&m, &err), 0, "%s", err.msg);
    memset(m, 1, 8192);
    nbcl_outfile_abort(&of);
    cr_assert_eq(io_count_entries(dir), 1);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 3);
}

/* a device is written in place through fp: it cannot be mapped (1, no memory) */
Test(outfile, device_is_not_mapped)
{
    nbcl_outfile of;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_outfile_open(&of, "/dev/null", &err), 0, "%s", err.msg);
    void *m = (void *)1;
    cr_assert_eq(nbcl_outfile_map(&of, 4096, &m, &err), 1);
    cr_assert_null(m);
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
}

/* a mapped float file holds the same bytes as one written through nbcl_floatfile_write */
Test(outfile, mapped_floatfile_matches_the_written_one)
{
    char a[4200], b[4200];
    io_path(a, sizeof a, dir, "written.bin");
    io_path(b, sizeof b, dir, "mapped.bin");
    float v[1000];
    for (int i = 0; i < 1000; ++i) v[i] = (float)i * 0.37f - 100.0f;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_floatfile_write(a, v, 1000, &err), 0, "%s", err.msg);
    nbcl_outfile of;
    cr_assert_eq(nbcl_outfile_open(&of, b, &err), 0, "%s", err.msg);
    float *m = NULL;
    cr_assert_eq(nbcl_floatfile_map(&of, 1000, &m, &err), 0, "%s", err.msg);
    memcpy(m, v, sizeof v);
    cr_assert_eq(nbcl_outfile_commit(&of, &err), 0, "%s", err.msg);
    unsigned char *x, *y;
    size_t nx, ny;
    cr_assert_eq(nbcl_gzfile_read(a, &x, &nx, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_gzfile_read(b, &y, &ny, &err), 0, "%s", err.msg);
    cr_assert_eq(nx, ny);
    cr_assert_eq(memcmp(x, y, nx), 0);
    free(x);
    free(y);
}
