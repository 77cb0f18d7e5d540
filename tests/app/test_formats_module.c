/* test_formats_module.c: HDF5 and libcbf are loaded only by a run that writes a NeXus or
 * CBF file (through libnbcl-formats.so, src/io/formats_module.h: they cost ~8 ms of every
 * process start when linked); such a run finds the module and writes its files; and a
 * module that is missing, broken, not ours or from another build is refused before anything is
 * simulated, in one line naming the flag, with no file left behind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../support/scratch_dir.h"
#include "../support/text_file.h"

SCRATCH_DIR_SUITE(formats_module, workdir, "formats-module", 300);

#define ARGS "-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 " \
             "-detpixels 16 -pixel 0.1 -noprogress -nonoise -nopgm -floatfile f.bin -intfile i.img"

/* nanobragg-cl ARGS extra in workdir, with env before it; its exit status */
static int run(const char *env, const char *extra)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin, "NBCL_BIN is not set");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' " ARGS " %s > out.txt 2> err.txt", workdir, env, bin, extra);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", workdir, name);
    return stat(path, &st) == 0;
}

Test(formats_module, a_run_without_nexus_or_cbf_loads_no_hdf5)
{
    cr_assert_eq(run("LD_DEBUG=files", ""), 0, "%s", test_text_file(workdir, "err.txt"));
    const char *log = test_text_file(workdir, "err.txt");
    cr_assert_not_null(strstr(log, "file="), "LD_DEBUG=files printed no loads: %.500s", log);
    cr_expect_null(strstr(log, "libhdf5"), "HDF5 was loaded by a run writing no NeXus file");
    cr_expect_null(strstr(log, "libcbf"), "libcbf was loaded by a run writing no CBF file");
    cr_expect_null(strstr(log, "libnbcl-formats"), "the formats module was loaded needlessly");
}

Test(formats_module, cbf_and_nexus_runs_load_the_module)
{
    cr_assert_eq(run("LD_DEBUG=files", "-cbffile x.cbf -nexusfile x.h5"), 0, "%.2000s",
                 test_text_file(workdir, "err.txt"));
    const char *log = test_text_file(workdir, "err.txt");
    cr_expect_not_null(strstr(log, "libnbcl-formats.so"), "the formats module was not loaded");
    cr_expect_not_null(strstr(log, "libhdf5"), "HDF5 was not loaded for a NeXus file");
    cr_expect(exists("x.cbf") && exists("x.h5"), "the CBF or NeXus file is missing");
}

/* a run with the module looked for in workdir/mod (holding, when fake is not NULL, what the
 * shell command `fake 'workdir/mod/libnbcl-formats.so'` puts there) is refused in one line
 * naming the flag (extra) and the module, and saying why */
static void expect_refused(const char *fake, const char *extra, const char *why)
{
    char cmd[1024], env[512];
    if (fake)
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/mod' && %s '%s/mod/libnbcl-formats.so'", workdir, fake, workdir);
    else
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/mod'", workdir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(env, sizeof env, "NBCL_MODULE_DIR='%s/mod'", workdir);
    cr_assert_neq(run(env, extra), 0, "a run without a usable formats module succeeded");
    const char *err = test_text_file(workdir, "err.txt");
    const char *nl = strchr(err, '\n');
    cr_expect(nl && nl[1] == '\0', "stderr is not exactly one line: %s", err);
    cr_expect_not_null(strstr(err, extra), "the error does not name %s: %s", extra, err);
    cr_expect_not_null(strstr(err, "libnbcl-formats.so"), "the error does not name the module: %s", err);
    cr_expect_not_null(strstr(err, why), "the error does not say '%s': %s", why, err);
    cr_expect_null(strstr(test_text_file(workdir, "out.txt"), "using device"),
                   "the run was refused only after choosing a device");
    cr_expect(!exists("f.bin") && !exists("i.img") && !exists("x.cbf") && !exists("x.h5"),
              "a refused run left an output file behind");
}

/* the same, with the file named by the environment variable var copied in as the module */
static void expect_copy_refused(const char *var, const char *extra, const char *why)
{
    const char *src = getenv(var);
    cr_assert_not_null(src, "%s is not set", var);
    char fake[600];
    snprintf(fake, sizeof fake, "cp '%s'", src);
    expect_refused(fake, extra, why);
}

Test(formats_module, a_missing_module_is_refused_before_the_simulation)
{
    expect_refused(NULL, "-nexusfile x.h5", "No such file");
    expect_refused(NULL, "-cbffile x.cbf", "No such file");
}

Test(formats_module, a_broken_module_is_refused)
{
    expect_refused("printf 'not a library' >", "-cbffile x.cbf", "mod/libnbcl-formats.so");
}

Test(formats_module, a_module_without_the_entry_is_refused)
{
    /* a real shared object, but not the module: libnbcl itself */
    expect_copy_refused("NBCL_TEST_LIBNBCL", "-nexusfile x.h5", "not nanoBragg-CL's formats module");
}

Test(formats_module, a_module_from_another_build_is_refused)
{
    /* tests/app/fake_formats_module.c: the right sizes, another ABI number */
    expect_copy_refused("NBCL_TEST_FOREIGN_MODULE", "-cbffile x.cbf", "from another build");
}
