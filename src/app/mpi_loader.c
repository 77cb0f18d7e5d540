/* mpi_loader.c: nanobragg-cl started by an MPI launcher hands its command line to
 * libnbcl-mpi.so (mpi_run.c), loaded only then. Why a module: linked into the program,
 * the MPI library and its own dependencies (OpenMPI: open-rte, open-pal, hwloc, libevent)
 * were loaded by every run, and every symbol the OpenCL drivers' loading looked up
 * searched them too: 1.9 ms of bench_sources' 47 (21 interleaved runs each).
 *
 * The module is looked for in $NBCL_MODULE_DIR alone when that is set; else beside the
 * program (the build tree), then in the installation's library directory
 * (NBCL_MODULE_INSTALL_DIR). Its functions call the program's (nbcl_app_*, exported:
 * meson.build) and libnbcl's. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/app.h"

#ifndef NBCL_MODULE_INSTALL_DIR
#define NBCL_MODULE_INSTALL_DIR ""
#endif

#define MPI_MODULE_FILE "libnbcl-mpi.so"

int nbcl_app_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; ++i)
        if (getenv(vars[i])) return 1;
    return 0;
}

/* the module's entry from dir, or NULL with why (the first failure kept) */
static nbcl_app_mpi_entry *try_dir(const char *dir, char *why, size_t cap)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", *dir ? dir : ".", MPI_MODULE_FILE);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const char *e = h ? NULL : dlerror();
    nbcl_app_mpi_entry *entry = NULL;
    if (h) {
        *(void **)&entry = dlsym(h, NBCL_APP_MPI_ENTRY);
        if (!entry) e = "no " NBCL_APP_MPI_ENTRY " in it: not nanoBragg-CL's MPI module";
    }
    if (!entry && !*why) snprintf(why, cap, "%s", e ? e : path);
    return entry;   /* the module stays loaded until the process ends */
}

int nbcl_app_mpi_run(int argc, char **argv)
{
    char why[PATH_MAX + 256] = "";
    nbcl_app_mpi_entry *entry = NULL;
    const char *env = getenv("NBCL_MODULE_DIR");
    if (env && *env) {
        entry = try_dir(env, why, sizeof why);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) *slash = '\0';
            entry = try_dir(exe, why, sizeof why);
        }
        if (!entry && *NBCL_MODULE_INSTALL_DIR) entry = try_dir(NBCL_MODULE_INSTALL_DIR, why, sizeof why);
    }
    if (!entry) {
        fprintf(stderr, "nanobragg-cl: error: started by an MPI launcher, but %s did not load (%s; "
                "NBCL_MODULE_DIR names its folder)\n", MPI_MODULE_FILE, why);
        return 1;
    }
    return entry(argc, argv);
}
