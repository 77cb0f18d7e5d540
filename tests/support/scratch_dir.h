/* scratch_dir.h: a fresh directory under /tmp for the files a test's runs write, made by a
 * suite's .init and removed with its contents by its .fini, so that the test files which
 * run the program do not each carry their own copy of these lines. */
#ifndef NBCL_TEST_SCRATCH_DIR_H
#define NBCL_TEST_SCRATCH_DIR_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* dir (n bytes) becomes a new directory /tmp/nbcl-NAME-XXXXXX */
static inline __attribute__((unused)) void scratch_dir_make(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/nbcl-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(dir), "cannot make a scratch directory for %s", name);
}

/* dir and everything in it removed */
static inline __attribute__((unused)) void scratch_dir_remove(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0, "%s", cmd);
}

#endif
