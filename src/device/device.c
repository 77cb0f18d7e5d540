/* device.c: finding every OpenCL device on the machine, describing it, and choosing the
 * ones a run uses from a SPEC. Choosing is a pure function of the device list (no OpenCL
 * calls) so that it can be tested on made-up lists. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "device/device.h"
#include "device/prefetch.h"

#define NBCL_PLATFORM_NOT_FOUND_KHR (-1001)   /* ocl-icd's answer when no ICD is installed */

/* The four OpenCL queries enumeration makes, replaceable so tests can make one fail. */
static const nbcl_cl_queries nbcl_real_queries = {clGetPlatformIDs, clGetPlatformInfo,
                                                  clGetDeviceIDs, clGetDeviceInfo};
static const nbcl_cl_queries *q = &nbcl_real_queries;

void nbcl_device_set_queries(const nbcl_cl_queries *queries)
{
    q = queries ? queries : &nbcl_real_queries;
}

/* ---------------------------------------------------------------- enumeration */

/* Drivers pad names with spaces (and some with NULs): keep the printable middle. */
static void nbcl_trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (s[a] && isspace((unsigned char)s[a]))
        a++;
    memmove(s, s + a, n - a + 1);
}

static int nbcl_platform_string(cl_platform_id p, cl_platform_info what, char *buf, size_t n,
                                nbcl_err *err)
{
    size_t need = 0;
    if (nbcl_cl_check(q->platform_info(p, what, 0, NULL, &need), "clGetPlatformInfo", err))
        return -1;
    char *s = calloc(need + 1, 1);
    if (!s)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory reading an OpenCL platform name");
    if (nbcl_cl_check(q->platform_info(p, what, need, s, NULL), "clGetPlatformInfo", err)) {
        free(s);
        return -1;
    }
    snprintf(buf, n, "%s", s);
    free(s);
    nbcl_trim(buf);
    return 0;
}

/* A device string of any length, malloc'd. */
static char *nbcl_device_string_alloc(cl_device_id d, cl_device_info what, nbcl_err *err)
{
    size_t need = 0;
    if (nbcl_cl_check(q->device_info(d, what, 0, NULL, &need), "clGetDeviceInfo", err))
        return NULL;
    char *s = calloc(need + 1, 1);
    if (!s) {
        nbcl_err_code(err, NBCL_E_NOMEM, "out of memory reading an OpenCL device property");
        return NULL;
    }
    if (nbcl_cl_check(q->device_info(d, what, need, s, NULL), "clGetDeviceInfo", err)) {
        free(s);
        return NULL;
    }
    return s;
}

static int nbcl_device_string(cl_device_id d, cl_device_info what, char *buf, size_t n,
                              nbcl_err *err)
{
    char *s = nbcl_device_string_alloc(d, what, err);
    if (!s)
        return -1;
    snprintf(buf, n, "%s", s);
    free(s);
    nbcl_trim(buf);
    return 0;
}

static int nbcl_device_value(cl_device_id d, cl_device_info what, void *val, size_t size,
                             nbcl_err *err)
{
    return nbcl_cl_check(q->device_info(d, what, size, val, NULL), "clGetDeviceInfo", err);
}

/* fp64 is in the extension string on every OpenCL version (1.0 through 3.0); so is
 * NVIDIA's cl_nv_compiler_options, which the engine's register limit needs. */
static int nbcl_device_extensions(cl_device_id d, nbcl_device_info *info, nbcl_err *err)
{
    char *ext = nbcl_device_string_alloc(d, CL_DEVICE_EXTENSIONS, err);
    if (!ext)
        return -1;
    info->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    info->has_nv_options = strstr(ext, "cl_nv_compiler_options") != NULL;
    free(ext);
    return 0;
}

/* "OpenCL C 1.2 ..." -> 1, 2 (0, 0 if the driver says something else) */
static int nbcl_device_c_version(cl_device_id d, nbcl_device_info *info, nbcl_err *err)
{
    char *text = nbcl_device_string_alloc(d, CL_DEVICE_OPENCL_C_VERSION, err);
    if (!text)
        return -1;
    if (sscanf(text, "OpenCL C %d.%d", &info->c_major, &info->c_minor) != 2)
        info->c_major = info->c_minor = 0;
    free(text);
    return 0;
}

static int nbcl_device_describe(cl_device_id d, nbcl_device_info *info, nbcl_err *err)
{
    info->id = d;
    if (nbcl_device_string(d, CL_DEVICE_NAME, info->name, sizeof info->name, err) ||
        nbcl_device_string(d, CL_DEVICE_VERSION, info->version, sizeof info->version, err) ||
        nbcl_device_value(d, CL_DEVICE_TYPE, &info->type, sizeof info->type, err) ||
        nbcl_device_value(d, CL_DEVICE_MAX_COMPUTE_UNITS, &info->compute_units,
                          sizeof info->compute_units, err) ||
        nbcl_device_value(d, CL_DEVICE_GLOBAL_MEM_SIZE, &info->global_mem,
                          sizeof info->global_mem, err) ||
        nbcl_device_value(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, &info->max_alloc,
                          sizeof info->max_alloc, err) ||
        nbcl_device_extensions(d, info, err) || nbcl_device_c_version(d, info, err))
        return -1;
    return 0;
}

static int nbcl_no_platform(nbcl_err *err)
{
    return nbcl_err_code(err, NBCL_E_NO_DEVICE, "no OpenCL platform was found (is an OpenCL driver installed? "
                        "on Debian/Ubuntu the package pocl-opencl-icd gives a CPU device)");
}

static int nbcl_platform_ids(cl_platform_id **ids, cl_uint *n, nbcl_err *err)
{
    cl_int rc = q->platform_ids(0, NULL, n);
    if (rc == NBCL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && *n == 0))
        return nbcl_no_platform(err);
    if (nbcl_cl_check(rc, "clGetPlatformIDs", err))
        return -1;
    *ids = calloc(*n, sizeof **ids);
    if (!*ids)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory listing OpenCL platforms");
    if (nbcl_cl_check(q->platform_ids(*n, *ids, NULL), "clGetPlatformIDs", err)) {
        free(*ids);
        return -1;
    }
    return 0;
}

/* Appends a described device to *list (grown by one). -1 only when out of memory; a device
 * whose queries fail is skipped with a warning naming it and the failed call. */
static int nbcl_add_device(cl_platform_id p, int pindex, const char *pname, cl_device_id id,
                           int dindex, nbcl_device_info **list, int *count, nbcl_log *log,
                           nbcl_err *err)
{
    nbcl_device_info info;
    nbcl_err qerr = {0};
    memset(&info, 0, sizeof info);
    info.index = *count;
    info.platform_index = pindex;
    info.device_index = dindex;
    info.platform = p;
    snprintf(info.platform_name, sizeof info.platform_name, "%s", pname);
    if (nbcl_device_describe(id, &info, &qerr)) {
        nbcl_logf(log, "WARNING: OpenCL device %d:%d (platform %s) skipped: %s\n", pindex,
                  dindex, pname, qerr.msg);
        return 0;
    }
    /* *list takes the grown block at once: if realloc moved it, the old pointer is gone */
    nbcl_device_info *grown = realloc(*list, (size_t)(*count + 1) * sizeof **list);
    if (!grown)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory listing OpenCL devices");
    *list = grown;
    (*list)[(*count)++] = info;
    return 0;
}

/* The device ids of platform p (malloc'd in *ids); 0 with *nd = 0 when it has none. */
static int nbcl_platform_device_ids(cl_platform_id p, cl_device_id **ids, cl_uint *nd,
                                    nbcl_err *err)
{
    *ids = NULL;
    *nd = 0;
    cl_int rc = q->device_ids(p, CL_DEVICE_TYPE_ALL, 0, NULL, nd);
    if (rc == CL_DEVICE_NOT_FOUND || (rc == CL_SUCCESS && *nd == 0)) {
        *nd = 0;
        return 0;
    }
    if (nbcl_cl_check(rc, "clGetDeviceIDs", err))
        return -1;
    *ids = calloc(*nd, sizeof **ids);
    if (!*ids)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory listing OpenCL devices");
    if (nbcl_cl_check(q->device_ids(p, CL_DEVICE_TYPE_ALL, *nd, *ids, NULL), "clGetDeviceIDs",
                      err)) {
        free(*ids);
        *ids = NULL;
        return -1;
    }
    return 0;
}

/* The devices of one platform, appended to *list. A platform with no device is passed over;
 * one whose queries fail is skipped with a warning. -1 only when out of memory. */
static int nbcl_platform_devices(cl_platform_id p, int pindex, nbcl_device_info **list,
                                 int *count, nbcl_log *log, nbcl_err *err)
{
    char pname[256];
    cl_device_id *ids = NULL;
    cl_uint nd = 0;
    nbcl_err qerr = {0};
    if (nbcl_platform_string(p, CL_PLATFORM_NAME, pname, sizeof pname, &qerr) ||
        nbcl_platform_device_ids(p, &ids, &nd, &qerr)) {
        if (qerr.code == NBCL_E_NOMEM)
            return nbcl_err_code(err, NBCL_E_NOMEM, "%s", qerr.msg);
        nbcl_logf(log, "WARNING: OpenCL platform %d skipped: %s\n", pindex, qerr.msg);
        return 0;
    }
    int rc = 0;
    for (cl_uint i = 0; i < nd && !rc; i++)
        rc = nbcl_add_device(p, pindex, pname, ids[i], (int)i, list, count, log, err);
    free(ids);
    return rc;
}

int nbcl_device_enumerate(nbcl_device_info **list, int *count, nbcl_log *log, nbcl_err *err)
{
    cl_platform_id *pids = NULL;
    cl_uint np = 0;
    *list = NULL;
    *count = 0;
    nbcl_device_prefetch_wait();
    if (nbcl_platform_ids(&pids, &np, err))
        return -1;
    for (cl_uint p = 0; p < np; p++) {
        if (nbcl_platform_devices(pids[p], (int)p, list, count, log, err)) {
            free(pids);
            free(*list);
            *list = NULL;
            *count = 0;
            return -1;
        }
    }
    free(pids);
    if (*count == 0)
        return nbcl_err_code(err, NBCL_E_NO_DEVICE, "OpenCL found %u platform(s) but no usable "
                             "device on any of them", np);
    return 0;
}

/* ---------------------------------------------------------------- description */

const char *nbcl_device_type_name(cl_device_type type)
{
    if (type & CL_DEVICE_TYPE_GPU)
        return "gpu";
    if (type & CL_DEVICE_TYPE_CPU)
        return "cpu";
    if (type & CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    if (type & CL_DEVICE_TYPE_CUSTOM)
        return "custom";
    if (type & CL_DEVICE_TYPE_DEFAULT)
        return "default";
    return "unknown";
}

static void nbcl_format_bytes(char *buf, size_t n, cl_ulong bytes)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if ((double)bytes >= gib)
        snprintf(buf, n, "%.1f GiB", (double)bytes / gib);
    else
        snprintf(buf, n, "%.0f MiB", (double)bytes / (1024.0 * 1024.0));
}

/* "OpenCL 3.0 PoCL HSTR: ..." -> "OpenCL 3.0": the first two words. */
static void nbcl_short_version(char *buf, size_t n, const char *version)
{
    size_t len = strcspn(version, " ");
    if (version[len] == ' ')
        len += 1 + strcspn(version + len + 1, " ");
    snprintf(buf, n, "%.*s", (int)len, version);
}

void nbcl_device_format(const nbcl_device_info *d, char *buf, size_t n)
{
    char gmem[32], amax[32], ver[64];
    nbcl_format_bytes(gmem, sizeof gmem, d->global_mem);
    nbcl_format_bytes(amax, sizeof amax, d->max_alloc);
    nbcl_short_version(ver, sizeof ver, d->version);
    snprintf(buf, n, "%2d  %d:%d  %s | %s | %s | %u CU | %s global | %s max alloc | %s | fp64 %s",
             d->index, d->platform_index, d->device_index, d->platform_name, d->name,
             nbcl_device_type_name(d->type), (unsigned)d->compute_units, gmem, amax, ver,
             d->has_fp64 ? "yes" : "no");
}

/* ---------------------------------------------------------------- selection (pure) */

typedef struct nbcl_pick {
    int *idx;
    int n;
} nbcl_pick;

static void nbcl_pick_add(nbcl_pick *p, int i)
{
    for (int k = 0; k < p->n; k++)
        if (p->idx[k] == i)
            return;
    p->idx[p->n++] = i;
}

static int nbcl_all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int nbcl_contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

static int nbcl_first_of_type(const nbcl_device_info *list, int count, cl_device_type t)
{
    for (int i = 0; i < count; i++)
        if (list[i].type & t)
            return i;
    return -1;
}

static int nbcl_default_device(const nbcl_device_info *list, int count)
{
    int g = nbcl_first_of_type(list, count, CL_DEVICE_TYPE_GPU);
    return g >= 0 ? g : 0;
}

/* cpu/gpu/accelerator/custom: every device of that type. 0 if tok is no type word. */
static cl_device_type nbcl_type_word(const char *tok)
{
    if (!strcasecmp(tok, "cpu"))
        return CL_DEVICE_TYPE_CPU;
    if (!strcasecmp(tok, "gpu"))
        return CL_DEVICE_TYPE_GPU;
    if (!strcasecmp(tok, "accelerator"))
        return CL_DEVICE_TYPE_ACCELERATOR;
    if (!strcasecmp(tok, "custom"))
        return CL_DEVICE_TYPE_CUSTOM;
    return 0;
}

/* Does token tok name device d? (not for "default", which names one device at most) */
static int nbcl_token_hits(const nbcl_device_info *d, const char *tok)
{
    int pi, di;
    char tail;
    cl_device_type t = nbcl_type_word(tok);
    if (!strcasecmp(tok, "all"))
        return 1;
    if (nbcl_all_digits(tok))
        return strtol(tok, NULL, 10) == d->index;
    if (isdigit((unsigned char)tok[0]) && sscanf(tok, "%d:%d%c", &pi, &di, &tail) == 2)
        return d->platform_index == pi && d->device_index == di;
    if (t)
        return (d->type & t) != 0;
    return nbcl_contains_nocase(d->name, tok) || nbcl_contains_nocase(d->platform_name, tok);
}

/* Adds the devices one token names; returns how many it named (repeats included). */
static int nbcl_match_token(const nbcl_device_info *list, int count, const char *tok,
                            nbcl_pick *p)
{
    int hits = 0;
    if (!strcasecmp(tok, "default")) {
        int d = nbcl_first_of_type(list, count, CL_DEVICE_TYPE_DEFAULT);
        nbcl_pick_add(p, d >= 0 ? d : nbcl_default_device(list, count));
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (nbcl_token_hits(&list[i], tok)) {
            nbcl_pick_add(p, i);
            hits++;
        }
    }
    return hits;
}

/* Appends the device list, one compact line each, to an error message. */
static int nbcl_err_with_list(nbcl_err *err, const nbcl_device_info *list, int count,
                              const char *what)
{
    size_t used;
    nbcl_err_code(err, NBCL_E_NO_DEVICE, "%s; available devices (use -device INDEX, P:D, cpu, gpu, "
                      "accelerator, default, all, or part of a name):", what);
    used = strlen(err ? err->msg : "");
    for (int i = 0; err && i < count && used + 1 < sizeof err->msg; i++) {
        used += (size_t)snprintf(err->msg + used, sizeof err->msg - used,
                                 "\n  %d  %d:%d  %s  %s (%s)", list[i].index,
                                 list[i].platform_index, list[i].device_index,
                                 nbcl_device_type_name(list[i].type), list[i].name,
                                 list[i].platform_name);
    }
    return -1;
}

static int nbcl_select_tokens(const nbcl_device_info *list, int count, const char *spec,
                              nbcl_pick *p, nbcl_err *err)
{
    char *copy = strdup(spec), *save = NULL;
    if (!copy)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory");
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        nbcl_trim(tok);
        if (!*tok)
            continue;
        if (nbcl_match_token(list, count, tok, p) == 0) {
            char what[600];
            snprintf(what, sizeof what, "device spec '%s' matches no OpenCL device", tok);
            free(copy);
            return nbcl_err_with_list(err, list, count, what);
        }
    }
    free(copy);
    if (p->n == 0)
        return nbcl_err_with_list(err, list, count, "empty device spec");
    return 0;
}

int nbcl_device_select(const nbcl_device_info *list, int count, const char *spec,
                       int **picked, int *npicked, nbcl_err *err)
{
    nbcl_pick p = {NULL, 0};
    *picked = NULL;
    *npicked = 0;
    if (count <= 0)
        return nbcl_err_code(err, NBCL_E_NO_DEVICE, "no OpenCL device to choose from");
    p.idx = malloc((size_t)count * sizeof *p.idx);
    if (!p.idx)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory");
    const char *s = spec;
    while (s && isspace((unsigned char)*s))
        s++;
    if (!s || !*s) {
        nbcl_pick_add(&p, nbcl_default_device(list, count));
    } else if (nbcl_select_tokens(list, count, s, &p, err)) {
        free(p.idx);
        return -1;
    }
    *picked = p.idx;
    *npicked = p.n;
    return 0;
}
