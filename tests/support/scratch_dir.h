/* scratch_dir.h: a fresh directory under /tmp for the files a test's runs write, made by a
 * suite's .init and removed with its contents by its .fini (SCRATCH_DIR_SUITE declares such
 * a suite), so that the test files which run the program do not each carry their own copy
 * of these lines. */
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

/* A Criterion suite whose every test runs in a fresh scratch directory VAR (a static
 * char[256], /tmp/nbcl-NAME-XXXXXX), made before the test and removed after it. */
#define SCRATCH_DIR_SUITE(suite, var, name, timeout_s)                        \
    static char var[256];                                                     \
    static void suite##_scratch_make(void)                                    \
    {                                                                         \
        scratch_dir_make(var, sizeof var, name);                              \
    }                                                                         \
    static void suite##_scratch_remove(void)                                  \
    {                                                                         \
        scratch_dir_remove(var);                                              \
    }                                                                         \
    TestSuite(suite, .init = suite##_scratch_make, .fini = suite##_scratch_remove, \
              .timeout = timeout_s)

#endif
