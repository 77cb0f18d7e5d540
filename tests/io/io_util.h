/* io_util.h: small helpers shared by the tests/io Criterion programs: scratch directories,
 * writing text files, and locating the golden data (NBCL_GOLDEN_DIR). */
#ifndef NBCL_TESTS_IO_UTIL_H
#define NBCL_TESTS_IO_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR (or /tmp); the returned string is static per call site. */
static inline char *io_tmpdir(char *buf, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/nbcl-io-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(buf), "mkdtemp failed");
    return buf;
}

static inline void io_path(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < cap, "path too long");
}

static inline void io_write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot create %s", path);
    fputs(text, fp);
    fclose(fp);
}

static inline void io_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

/* golden/<rel>; skips the test when NBCL_GOLDEN_DIR is not set. */
static inline void io_golden(char *buf, size_t cap, const char *rel)
{
    const char *dir = getenv("NBCL_GOLDEN_DIR");
    if (!dir || !*dir) cr_skip_test("NBCL_GOLDEN_DIR is not set");
    snprintf(buf, cap, "%s/%s", dir, rel);
}

/* Number of directory entries other than . and .. */
static inline int io_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Remove a flat directory and its files. */
static inline void io_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        io_path(p, sizeof p, dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

#endif
