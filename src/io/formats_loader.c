/* formats_loader.c: libnbcl's NeXus and miniCBF calls (io/nexus.h, io/cbf.h), passed on to
 * libnbcl-formats.so, which is loaded on the first of them (why: formats_module.h).
 *
 * The module is looked for, in this order: in $NBCL_MODULE_DIR alone when that is set;
 * beside the object holding this code (libnbcl.so, installed or in the build tree, or a
 * program linking libnbcl's objects itself); in the library directory of the installation
 * (NBCL_MODULE_INSTALL_DIR, from meson). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/formats_module.h"
#include "io/outgroup.h"

#ifndef NBCL_MODULE_INSTALL_DIR
#define NBCL_MODULE_INSTALL_DIR ""
#endif

static const nbcl_formats_host host = {
    .abi = NBCL_FORMATS_MODULE_ABI,
    .temp_create = nbcl_temp_create,
    .temp_forget = nbcl_temp_forget,
    .temp_publish = nbcl_temp_publish,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const nbcl_formats_module *loaded;
static char load_error[4352];   /* why it did not load, when it did not */

/* dlopen dir/file and check its table; 0, or -1 with why in load_error */
static int try_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", *dir ? dir : ".", NBCL_FORMATS_MODULE_FILE) >= (int)sizeof path) {
        snprintf(load_error, sizeof load_error, "%s/...: path too long", dir);
        return -1;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s", why ? why : path);
        return -1;
    }
    nbcl_formats_entry_fn *entry;
    *(void **)&entry = dlsym(h, NBCL_FORMATS_MODULE_ENTRY);
    if (!entry) {
        snprintf(load_error, sizeof load_error, "%s has no %s: not nanoBragg-CL's formats module", path,
                 NBCL_FORMATS_MODULE_ENTRY);
        dlclose(h);
        return -1;
    }
    const nbcl_formats_module *m = entry(&host);
    if (!m || m->abi != NBCL_FORMATS_MODULE_ABI || m->err_size != sizeof(nbcl_err) ||
        m->nexus_geometry_size != sizeof(nbcl_nexus_geometry) || m->cbf_meta_size != sizeof(nbcl_cbf_meta)) {
        snprintf(load_error, sizeof load_error, "%s is from another build of nanoBragg-CL", path);
        dlclose(h);
        return -1;
    }
    loaded = m;   /* never closed: HDF5 keeps state until the process ends */
    return 0;
}

static void load(void)
{
    const char *env = getenv("NBCL_MODULE_DIR");
    if (env && *env) {
        try_dir(env);
        return;
    }
    static const char anchor = 0;
    Dl_info info;
    char first_error[sizeof load_error] = "";
    if (dladdr(&anchor, &info) && info.dli_fname) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", info.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        else snprintf(dir, sizeof dir, ".");
        if (!try_dir(dir)) return;
        memcpy(first_error, load_error, sizeof first_error);
    }
    if (*NBCL_MODULE_INSTALL_DIR && !try_dir(NBCL_MODULE_INSTALL_DIR)) return;
    if (first_error[0]) memcpy(load_error, first_error, sizeof load_error);
}

const nbcl_formats_module *nbcl_formats_load(const char *what, const char *path, nbcl_err *err)
{
    pthread_once(&once, load);
    if (!loaded)
        nbcl_err_code(err, NBCL_E_FILE, "%s %s: the NeXus and CBF writers live in %s, which did not load "
                      "(%s; NBCL_MODULE_DIR names its folder)", what, path, NBCL_FORMATS_MODULE_FILE,
                      load_error);
    return loaded;
}

/* ------------------------------------------------------------ io/nexus.h, io/cbf.h */

int nbcl_nexus_open(const char *path, const nbcl_nexus_geometry *g, int expected_images,
                    nbcl_nexus **out, nbcl_err *err)
{
    const nbcl_formats_module *m = nbcl_formats_load("NeXus file", path, err);
    return m ? m->nexus_open(path, g, expected_images, out, err) : -1;
}

/* a series is appended to, closed and abandoned only after nbcl_nexus_open loaded the module */
int nbcl_nexus_append(nbcl_nexus *nx, const int32_t *counts, double angle_start_deg,
                      double angle_range_deg, const double *umat, nbcl_err *err)
{
    return loaded->nexus_append(nx, counts, angle_start_deg, angle_range_deg, umat, err);
}

int nbcl_nexus_close(nbcl_nexus *nx, nbcl_err *err)
{
    return loaded->nexus_close(nx, err);
}

void nbcl_nexus_abort(nbcl_nexus *nx)
{
    if (nx) loaded->nexus_abort(nx);
}

const char *nbcl_nexus_compression(const nbcl_nexus *nx)
{
    return loaded->nexus_compression(nx);
}

int nbcl_cbf_write(const char *path, const nbcl_cbf_meta *meta, const int32_t *counts, nbcl_err *err)
{
    const nbcl_formats_module *m = nbcl_formats_load("CBF file", path, err);
    return m ? m->cbf_write(path, meta, counts, err) : -1;
}

int nbcl_cbf_read(const char *path, nbcl_cbf_meta *meta, int32_t **counts, nbcl_err *err)
{
    const nbcl_formats_module *m = nbcl_formats_load("CBF file", path, err);
    return m ? m->cbf_read(path, meta, counts, err) : -1;
}
