/* test_first_build.c: a run that builds its kernels (no cached program: empty program
 * caches, ours and PoCL's) writes nothing on stderr. The device compiler's warnings are not
 * the user's business, and PoCL prints their count ("79 warnings generated.") on stderr,
 * where it would also break the one-line error messages of refused runs (test_badinput). It
 * did when work-items became two vector registers wide (clang's -Wpsabi about vectors wider
 * than the CPU's registers). Both precisions, at the default vector width and at 16, with
 * and without features that add kernel code. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../support/scratch_dir.h"
#include "../support/text_file.h"

SCRATCH_DIR_SUITE(first_build, workdir, "first-build", 600);

#define ARGS "-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 " \
             "-detpixels 24 -pixel 0.1 -noprogress -floatfile f.bin -nonoise -nopgm"

/* nanobragg-cl ARGS extra with caches of its own (fresh for every call) builds its program
 * and writes nothing on stderr */
static void expect_quiet_build(const char *extra, const char *width)
{
    /* in a sanitized build LeakSanitizer's tracer may fail after an LLVM compile in the
     * process and say so on stderr (.ci/run repeats such a test, but every run here
     * compiles); what the compiler prints does not depend on the sanitizer */
    if (getenv("NBCL_TEST_SANITIZED")) cr_skip_test("a sanitized build: the plain build runs this test");
    static int calls;
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096];
    ++calls;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p c%d/ours c%d/pocl && NBCL_CACHE_DIR=c%d/ours POCL_CACHE_DIR=c%d/pocl "
             "%s%s '%s' " ARGS " %s > out.txt 2> err.txt",
             workdir, calls, calls, calls, calls, width ? "NBCL_VECTOR_WIDTH=" : "", width ? width : "", bin,
             extra);
    cr_assert_eq(system(cmd), 0, "run failed: %s", cmd);
    cr_assert_not_null(strstr(test_text_file(workdir, "out.txt"), "program build"),
                       "the run did not build its program (cache hit?): %s", cmd);
    const char *err = test_text_file(workdir, "err.txt");
    size_t n = strlen(err);
    cr_expect_eq(n, 0, "%s: a first build wrote on stderr:\n%.2000s", cmd, err);
}

Test(first_build, double_precision_is_quiet)
{
    expect_quiet_build("-precision double -timing", NULL);
    expect_quiet_build("-precision double -timing -gauss_xtal -oversample 2 -water 10", NULL);
}

Test(first_build, single_precision_is_quiet)
{
    expect_quiet_build("-precision single -timing", NULL);
    expect_quiet_build("-precision single -timing -mosaic 0.3 -mosaic_dom 3 -detector_thick 100 "
                       "-detector_abs 300", "16");
}
