/* test_timing.c: nanobragg-cl -timing prints one "timing:" line per phase (start-up, device
 * set-up, program build or cache load, uploads, kernels, read-back, post-processing, each
 * output written, total), each a non-negative number of seconds, the sequential phases
 * adding up to no more than the total; without -timing nothing of it is printed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../support/scratch_dir.h"

SCRATCH_DIR_SUITE(timing, workdir, "timing", 300);

#define ARGS "-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 " \
             "-detpixels 64 -pixel 0.1 -noprogress -floatfile f.bin -intfile i.img -pgmfile p.pgm " \
             "-nonoise"

/* stdout of nanobragg-cl args (caller frees) */
static char *run_args(const char *args)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s > out.txt", workdir, bin, args);
    cr_assert_eq(system(cmd), 0, "run failed: %s", cmd);
    snprintf(cmd, sizeof cmd, "%s/out.txt", workdir);
    FILE *f = fopen(cmd, "r");
    cr_assert_not_null(f);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* stdout of nanobragg-cl ARGS extra (caller frees) */
static char *run(const char *extra)
{
    char args[2048];
    snprintf(args, sizeof args, ARGS " %s", extra);
    return run_args(args);
}

/* the seconds on the "timing: PHASE" line, or -1 when there is none */
static double phase(const char *text, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "timing: %s ", name);
    const char *p = strstr(text, key);
    if (!p) return -1.0;
    return strtod(p + strlen(key), NULL);
}

Test(timing, every_phase_and_output_is_timed)
{
    char *text = run("-timing");
    static const char *const phases[] = {
        "start-up", "platforms", "device set-up", "table upload", "image tables", "kernels", "read-back",
        "tiles streamed", "rows as finished", "engine host work", "post-processing", "write float image",
        "write SMV image", "write PGM image", "total"};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; ++i)
        cr_expect_geq(phase(text, phases[i]), 0.0, "no timing line for %s in:\n%s", phases[i], text);
    double program = phase(text, "program build") >= 0.0 ? phase(text, "program build")
                                                          : phase(text, "program cache load");
    cr_expect_gt(program, 0.0, "no program build or cache load line in:\n%s", text);
    cr_expect_gt(phase(text, "kernels"), 0.0, "the kernels took no time:\n%s", text);
    cr_expect(strstr(text, "(f.bin)") && strstr(text, "(i.img)") && strstr(text, "(p.pgm)"),
              "the written files are not named:\n%s", text);
    double sequential = phase(text, "start-up") + phase(text, "platforms") +
                        phase(text, "device set-up") + program +
                        phase(text, "table upload") + phase(text, "image tables") +
                        phase(text, "tiles streamed") + phase(text, "engine host work") +
                        phase(text, "post-processing") + phase(text, "write float image") +
                        phase(text, "write SMV image") + phase(text, "write PGM image");
    cr_expect_leq(sequential, phase(text, "total") + 1e-3, "phases add up to %g, more than the total:\n%s",
                  sequential, text);
    free(text);
    /* the rows' work (statistics, the float file) is done while the tiles stream; on 512 x
     * 512 pixels it is measurable in the line's tenths of a millisecond (64 x 64 were not
     * always) */
    text = run("-timing -detpixels 512");
    cr_expect_gt(phase(text, "rows as finished"), 0.0, "no work on finished rows:\n%s", text);
    cr_expect_leq(phase(text, "rows as finished"), phase(text, "tiles streamed") + 1e-3,
                  "the rows' work took longer than the streaming it is part of:\n%s", text);
    free(text);
    /* the second run loads the program the first one cached */
    text = run("-timing");
    cr_expect_geq(phase(text, "program cache load"), 0.0, "second run did not load the cache:\n%s", text);
    free(text);
    text = run("");
    cr_expect_null(strstr(text, "timing:"), "timing lines without -timing:\n%s", text);
    free(text);
}

/* the noise image and its PNG preview each get their own line, naming the file (the PNG's
 * time was once charged to the next line) */
Test(timing, noise_outputs_are_timed)
{
    char *text = run_args("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 "
                          "-detpixels 256 -pixel 0.1 -noprogress -seed 5 -noisefile n.img "
                          "-noisepngfile np.png -nopgm -timing");
    cr_expect_geq(phase(text, "write noise image"), 0.0, "no noise image line in:\n%s", text);
    cr_expect_geq(phase(text, "write noise PNG preview"), 0.0, "no noise PNG line in:\n%s", text);
    cr_expect(strstr(text, "(n.img)") && strstr(text, "(np.png)"), "the noise files are not named:\n%s", text);
    /* the counts are made on a thread of their own: timed there (256 x 256 pixels, so that
     * they show in the line's tenths of a millisecond) */
    cr_expect_gt(phase(text, "counts"), 0.0, "the noise image's counts took no time:\n%s", text);
    free(text);
}
