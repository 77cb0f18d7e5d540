/* text_file.h: a test's whole text file DIR/NAME in a static NUL-terminated buffer (64 kB at
 * most, overwritten by the next call); a Criterion assertion fails when it cannot be read.
 * Include after <criterion/criterion.h>. */
#ifndef NBCL_TEST_TEXT_FILE_H
#define NBCL_TEST_TEXT_FILE_H

#include <stdio.h>

static inline __attribute__((unused)) char *test_text_file(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif
