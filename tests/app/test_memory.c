/* test_memory.c: host memory grows with what is computed and written, not with the
 * detector (issue 13 item 2). A 10x10-pixel -roi on an 8192x8192 detector (a 256 MiB float
 * image, 128 MiB of integers) must cost about what a 64x64 detector costs: the pixels
 * outside the ROI are never computed, and their pages of the (calloc'd) images are never
 * written, so they take no memory, as in the reference. The old engine held a solid-angle
 * plane and wrote zeros over every image: 900 MB more. Peak RSS from getrusage of the
 * children, run without meson's MALLOC_PERTURB_ (it makes glibc fill every new allocation,
 * calloc's too, touching every page). Skipped under sanitizers (their shadow memory is not
 * the program's). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static long peak_kb_after(const char *args, const char *outputs)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env -u MALLOC_PERTURB_ '%s' -default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -distance 100 -N 1 "
             "-noprogress -nonoise -nopgm %s %s > /dev/null",
             bin, outputs, args);
    cr_assert_eq(system(cmd), 0, "run failed: %s", cmd);
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    return ru.ru_maxrss;   /* the largest child so far, in KiB */
}

Test(memory, a_small_roi_on_a_huge_detector_costs_what_a_small_detector_does, .timeout = 300)
{
    const char *san = getenv("NBCL_TEST_SANITIZED");
    if (san && *san == '1') cr_skip_test("sanitizer build: RSS includes shadow memory");
    const char *devnull = "-floatfile /dev/null -intfile /dev/null";
    long small = peak_kb_after("-detpixels 64", devnull);
    long huge = peak_kb_after("-detpixels 8192 -roi 0 9 0 9", devnull);
    cr_expect_lt(huge - small, 48 * 1024,
                 "an 8192^2 detector with a 10x10 ROI peaks at %ld KiB, a 64^2 detector at %ld KiB",
                 huge, small);
    /* the same into files: the float file is mapped, and a page of it read (to see whether
     * it is 0) would be brought into memory; the SMV file's rows outside the ROI are never
     * written. The largest child so far: this run's peak if it is the larger. */
    char dir[] = "/tmp/nbcl-memory-XXXXXX", outputs[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(outputs, sizeof outputs, "-floatfile %s/f.bin -intfile %s/i.img", dir, dir);
    long files = peak_kb_after("-detpixels 8192 -roi 0 9 0 9", outputs);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    cr_assert_eq(system(rm), 0);
    cr_expect_lt(files - small, 48 * 1024,
                 "written to files, an 8192^2 detector with a 10x10 ROI peaks at %ld KiB, a 64^2 "
                 "detector at %ld KiB", files, small);
}
