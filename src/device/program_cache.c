/* program_cache.c: keeping compiled OpenCL program binaries on disk between runs, keyed by
 * platform, device, driver, kernel source and build options, so that every start after the
 * first skips the build from source. File format and failure policy: program_cache.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "device/clerr.h"
#include "device/program.h"
#include "device/program_cache.h"

#define NBCL_CACHE_MAGIC "NBCLPRG1"
#define NBCL_CACHE_FORMAT 1u
#define NBCL_CACHE_MAX_FILE ((uint64_t)1 << 30)   /* a bigger entry is taken as damaged */

uint64_t nbcl_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ warnings */

__attribute__((format(printf, 2, 0)))
static void nbcl_cache_vwarn(const nbcl_program_cache *c, const char *fmt, va_list ap)
{
    char line[2048];
    if (!c->log)
        return;
    int n = snprintf(line, sizeof line, "program cache: ");
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    c->log(c->log_user, line);
}

/* A warning about one entry: given every time it happens. */
__attribute__((format(printf, 2, 3)))
static void nbcl_cache_warn(const nbcl_program_cache *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nbcl_cache_vwarn(c, fmt, ap);
    va_end(ap);
}

/* A warning about the directory: given once per cache. */
__attribute__((format(printf, 2, 3)))
static void nbcl_cache_warn_once(nbcl_program_cache *c, const char *fmt, ...)
{
    va_list ap;
    if (c->warned)
        return;
    c->warned = 1;
    va_start(ap, fmt);
    nbcl_cache_vwarn(c, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ the directory */

static int nbcl_cache_off_word(const char *s)
{
    return strcasecmp(s, "off") == 0 || strcasecmp(s, "none") == 0 || strcmp(s, "0") == 0;
}

/* c->dir = a + b, leaving room for a file name; too long disables the cache. */
static void nbcl_cache_set_dir(nbcl_program_cache *c, const char *a, const char *b)
{
    int n = snprintf(c->dir, sizeof c->dir, "%s%s", a, b);
    if (n < 0 || (size_t)n + 40 > sizeof c->dir) {
        c->dir[0] = '\0';
        nbcl_cache_warn_once(c, "cache directory path %s%s is too long; building from source", a,
                             b);
        return;
    }
    c->enabled = 1;
}

void nbcl_program_cache_init(nbcl_program_cache *c, const char *dir, nbcl_cache_log_fn log,
                             void *user)
{
    memset(c, 0, sizeof *c);
    c->log = log;
    c->log_user = user;
    if (!dir || !*dir)
        dir = getenv("NBCL_CACHE_DIR");
    if (dir && *dir) {
        if (!nbcl_cache_off_word(dir))
            nbcl_cache_set_dir(c, dir, "");
        return;
    }
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')   /* the XDG spec ignores a relative path */
        nbcl_cache_set_dir(c, xdg, "/nanobragg-cl");
    else if (home && *home)
        nbcl_cache_set_dir(c, home, "/.cache/nanobragg-cl");
    else
        nbcl_cache_warn_once(c, "no cache directory (NBCL_CACHE_DIR, XDG_CACHE_HOME and HOME "
                             "are unset); building from source");
}

/* mkdir -p with mode 0700. Nonzero with the reason in why. */
static int nbcl_mkdirs(const char *dir, char *why, size_t nwhy)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char was = *s;
        *s = '\0';
        int e = mkdir(p, 0700) == 0 ? 0 : errno;
        if (e != 0 && e != EEXIST && !(stat(p, &st) == 0 && S_ISDIR(st.st_mode))) {
            snprintf(why, nwhy, "mkdir %s: %s", p, strerror(e));
            return -1;
        }
        if (was == '\0')
            break;
        *s = was;
    }
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, nwhy, "%s is not a directory", p);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ byte buffers */

/* A growing byte buffer that stays NUL-terminated (so it may hold text); oom is sticky. */
typedef struct nbcl_buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} nbcl_buf;

static void nbcl_buf_add(nbcl_buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t want = (b->len + n + 1) * 2;
        unsigned char *bigger = realloc(b->p, want);
        if (!bigger) {
            b->oom = 1;
            return;
        }
        b->p = bigger;
        b->cap = want;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void nbcl_buf_u64(nbcl_buf *b, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    nbcl_buf_add(b, le, sizeof le);
}

static void nbcl_buf_u32(nbcl_buf *b, uint32_t v)
{
    unsigned char le[4];
    for (int i = 0; i < 4; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    nbcl_buf_add(b, le, sizeof le);
}

/* "label length\nvalue\n": unambiguous whatever the value holds. */
static void nbcl_buf_field(nbcl_buf *b, const char *label, const char *value)
{
    char head[128];
    size_t n = strlen(value);
    snprintf(head, sizeof head, "%s %zu\n", label, n);
    nbcl_buf_add(b, head, strlen(head));
    nbcl_buf_add(b, value, n);
    nbcl_buf_add(b, "\n", 1);
}

/* ------------------------------------------------------------------ the key */

struct nbcl_cache_part {
    const char *label;
    int of_platform;        /* clGetPlatformInfo, else clGetDeviceInfo */
    cl_uint param;
    const char *call;
};

static const struct nbcl_cache_part nbcl_cache_parts[] = {
    {"platform_name", 1, CL_PLATFORM_NAME, "clGetPlatformInfo(CL_PLATFORM_NAME)"},
    {"platform_version", 1, CL_PLATFORM_VERSION, "clGetPlatformInfo(CL_PLATFORM_VERSION)"},
    {"device_name", 0, CL_DEVICE_NAME, "clGetDeviceInfo(CL_DEVICE_NAME)"},
    {"device_vendor", 0, CL_DEVICE_VENDOR, "clGetDeviceInfo(CL_DEVICE_VENDOR)"},
    {"driver_version", 0, CL_DRIVER_VERSION, "clGetDeviceInfo(CL_DRIVER_VERSION)"},
    {"device_version", 0, CL_DEVICE_VERSION, "clGetDeviceInfo(CL_DEVICE_VERSION)"},
};

static cl_int nbcl_part_query(const struct nbcl_cache_part *part, cl_platform_id plat,
                              cl_device_id dev, size_t n, void *buf, size_t *need)
{
    if (part->of_platform)
        return clGetPlatformInfo(plat, part->param, n, buf, need);
    return clGetDeviceInfo(dev, part->param, n, buf, need);
}

/* The string value of one part, malloc'd. */
static char *nbcl_part_string(const struct nbcl_cache_part *part, cl_platform_id plat,
                              cl_device_id dev, nbcl_err *err)
{
    size_t need = 0;
    if (nbcl_cl_check(nbcl_part_query(part, plat, dev, 0, NULL, &need), part->call, err))
        return NULL;
    char *s = calloc(need + 1, 1);
    if (!s) {
        nbcl_err_code(err, NBCL_E_NOMEM, "out of memory reading %s", part->label);
        return NULL;
    }
    if (nbcl_cl_check(nbcl_part_query(part, plat, dev, need, s, NULL), part->call, err)) {
        free(s);
        return NULL;
    }
    return s;
}

char *nbcl_program_cache_key_text(cl_device_id dev, const char *source, const char *options,
                                  uint64_t *key, nbcl_err *err)
{
    cl_platform_id plat = NULL;
    nbcl_buf t = {0};
    if (nbcl_cl_check(clGetDeviceInfo(dev, CL_DEVICE_PLATFORM, sizeof plat, &plat, NULL),
                      "clGetDeviceInfo(CL_DEVICE_PLATFORM)", err))
        return NULL;
    nbcl_buf_add(&t, "nanobragg-cl program cache key\n", 31);
    for (size_t i = 0; i < sizeof nbcl_cache_parts / sizeof nbcl_cache_parts[0]; i++) {
        char *value = nbcl_part_string(&nbcl_cache_parts[i], plat, dev, err);
        if (!value) {
            free(t.p);
            return NULL;
        }
        nbcl_buf_field(&t, nbcl_cache_parts[i].label, value);
        free(value);
    }
    nbcl_buf_field(&t, "build_options", options ? options : "");
    nbcl_buf_field(&t, "kernel_source", source ? source : "");
    if (t.oom) {
        free(t.p);
        nbcl_err_code(err, NBCL_E_NOMEM, "out of memory assembling the program cache key");
        return NULL;
    }
    if (key)
        *key = nbcl_fnv1a64(NBCL_FNV64_START, t.p, t.len);
    return (char *)t.p;
}

static int nbcl_cache_file(const char *dir, uint64_t key, char *path, size_t n, nbcl_err *err)
{
    int len = snprintf(path, n, "%s/%016llx.bin", dir, (unsigned long long)key);
    if (len < 0 || (size_t)len >= n)
        return nbcl_err_code(err, NBCL_E_FILE, "program cache path in %s is too long", dir);
    return 0;
}

int nbcl_program_cache_path(const nbcl_program_cache *c, cl_device_id dev, const char *source,
                            const char *options, char *path, size_t n, nbcl_err *err)
{
    uint64_t key;
    if (!c || !c->enabled)
        return nbcl_err_code(err, NBCL_E_INVALID, "the program cache is disabled");
    char *text = nbcl_program_cache_key_text(dev, source, options, &key, err);
    if (!text)
        return -1;
    free(text);
    return nbcl_cache_file(c->dir, key, path, n, err);
}

/* ------------------------------------------------------------------ program binaries */

/* Where dev is among the program's devices (*index), and how many there are (*count). */
static int nbcl_program_device_index(cl_program prog, cl_device_id dev, cl_uint *index,
                                     cl_uint *count, nbcl_err *err)
{
    cl_uint n = 0;
    if (nbcl_cl_check(clGetProgramInfo(prog, CL_PROGRAM_NUM_DEVICES, sizeof n, &n, NULL),
                      "clGetProgramInfo(CL_PROGRAM_NUM_DEVICES)", err))
        return -1;
    cl_device_id *devs = calloc(n ? n : 1, sizeof *devs);
    if (!devs)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory listing a program's devices");
    int rc = nbcl_cl_check(clGetProgramInfo(prog, CL_PROGRAM_DEVICES, n * sizeof *devs, devs,
                                            NULL), "clGetProgramInfo(CL_PROGRAM_DEVICES)", err);
    *index = n;
    for (cl_uint i = 0; rc == 0 && i < n; i++)
        if (devs[i] == dev && *index == n)
            *index = i;
    free(devs);
    if (rc == 0 && *index == n)
        rc = nbcl_err_code(err, NBCL_E_INVALID,
                           "the device is not one of the program's devices");
    *count = n;
    return rc;
}

/* The size of the binary of device `index` of the program's `count`. */
static int nbcl_program_binary_size(cl_program prog, cl_uint index, cl_uint count, size_t *size,
                                    nbcl_err *err)
{
    size_t *sizes = calloc(count, sizeof *sizes);
    if (!sizes)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory reading program binary sizes");
    int rc = nbcl_cl_check(clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, count * sizeof *sizes,
                                            sizes, NULL),
                           "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)", err);
    *size = rc ? 0 : sizes[index];
    free(sizes);
    if (rc == 0 && *size == 0)
        rc = nbcl_err_code(err, NBCL_E_OPENCL, "the program has no binary for the device");
    return rc;
}

int nbcl_program_binary(cl_program prog, cl_device_id dev, unsigned char **bin, size_t *len,
                        nbcl_err *err)
{
    cl_uint index = 0, count = 0;
    size_t size = 0;
    *bin = NULL;
    *len = 0;
    if (nbcl_program_device_index(prog, dev, &index, &count, err) ||
        nbcl_program_binary_size(prog, index, count, &size, err))
        return -1;
    unsigned char **ptrs = calloc(count, sizeof *ptrs);   /* NULL entries: not copied */
    unsigned char *mine = malloc(size);
    if (!ptrs || !mine) {
        free(ptrs);
        free(mine);
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory reading a program binary");
    }
    ptrs[index] = mine;
    int rc = nbcl_cl_check(clGetProgramInfo(prog, CL_PROGRAM_BINARIES, count * sizeof *ptrs,
                                            ptrs, NULL),
                           "clGetProgramInfo(CL_PROGRAM_BINARIES)", err);
    free(ptrs);
    if (rc) {
        free(mine);
        return -1;
    }
    *bin = mine;
    *len = size;
    return 0;
}

/* ------------------------------------------------------------------ entries on disk */

typedef struct nbcl_entry {
    uint64_t key;
    char *text;             /* the components text, malloc'd */
    char path[4096 + 64];
} nbcl_entry;

static int nbcl_entry_init(const nbcl_program_cache *c, cl_device_id dev, const char *source,
                           const char *options, nbcl_entry *e, nbcl_err *err)
{
    e->text = nbcl_program_cache_key_text(dev, source, options, &e->key, err);
    if (!e->text)
        return -1;
    if (nbcl_cache_file(c->dir, e->key, e->path, sizeof e->path, err)) {
        free(e->text);
        e->text = NULL;
        return -1;
    }
    return 0;
}

/* The whole file at path: 1 read, 0 absent (or no directory), -1 unreadable (why says so). */
static int nbcl_read_file(const char *path, unsigned char **data, size_t *size, char *why,
                          size_t nwhy)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *data = NULL;
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        snprintf(why, nwhy, "open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > NBCL_CACHE_MAX_FILE) {
        snprintf(why, nwhy, "not a regular file of sensible size");
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    *data = malloc(*size ? *size : 1);
    size_t got = 0;
    ssize_t r = 1;
    while (*data && got < *size && (r = read(fd, *data + got, *size - got)) > 0)
        got += (size_t)r;
    int e = r < 0 ? errno : 0;
    close(fd);
    if (!*data || got != *size) {
        snprintf(why, nwhy, "%s", !*data ? "out of memory" : e ? strerror(e) : "short read");
        free(*data);
        *data = NULL;
        return -1;
    }
    return 1;
}

/* A read position in an entry's bytes. */
typedef struct nbcl_cursor {
    const unsigned char *p;
    size_t left;
} nbcl_cursor;

static int nbcl_take(nbcl_cursor *cur, uint64_t n, const unsigned char **out)
{
    if (n > cur->left)
        return -1;
    *out = cur->p;
    cur->p += n;
    cur->left -= (size_t)n;
    return 0;
}

static int nbcl_take_u64(nbcl_cursor *cur, uint64_t *v)
{
    const unsigned char *p;
    if (nbcl_take(cur, 8, &p))
        return -1;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = (*v << 8) | p[i];
    return 0;
}

static int nbcl_take_u32(nbcl_cursor *cur, uint32_t *v)
{
    const unsigned char *p;
    if (nbcl_take(cur, 4, &p))
        return -1;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 0;
}

/* Check an entry against e; NULL when good (*bin, *len: the binary inside data), else why not. */
static const char *nbcl_entry_decode(const unsigned char *data, size_t size, const nbcl_entry *e,
                                     const unsigned char **bin, size_t *len)
{
    nbcl_cursor cur = {data, size};
    const unsigned char *p;
    uint32_t version;
    uint64_t key, tlen, blen, sum;
    if (nbcl_take(&cur, 8, &p) || memcmp(p, NBCL_CACHE_MAGIC, 8) != 0)
        return "not a program cache entry (bad magic)";
    if (nbcl_take_u32(&cur, &version) || version != NBCL_CACHE_FORMAT)
        return "unknown format version";
    if (nbcl_take_u64(&cur, &key) || key != e->key)
        return "stored key differs";
    if (nbcl_take_u64(&cur, &tlen) || tlen != strlen(e->text))
        return "stored key text has another length";
    if (nbcl_take(&cur, tlen, &p) || memcmp(p, e->text, (size_t)tlen) != 0)
        return "stored key text differs";
    if (nbcl_take_u64(&cur, &blen) || blen == 0 || nbcl_take(&cur, blen, bin))
        return "binary length inconsistent with the file size";
    if (nbcl_take_u64(&cur, &sum) || sum != nbcl_fnv1a64(NBCL_FNV64_START, *bin, (size_t)blen))
        return "binary checksum mismatch";
    if (cur.left != 0)
        return "trailing bytes after the entry";
    *len = (size_t)blen;
    return NULL;
}

static int nbcl_entry_encode(nbcl_buf *f, const nbcl_entry *e, const unsigned char *bin,
                             size_t len)
{
    size_t tlen = strlen(e->text);
    nbcl_buf_add(f, NBCL_CACHE_MAGIC, 8);
    nbcl_buf_u32(f, NBCL_CACHE_FORMAT);
    nbcl_buf_u64(f, e->key);
    nbcl_buf_u64(f, tlen);
    nbcl_buf_add(f, e->text, tlen);
    nbcl_buf_u64(f, len);
    nbcl_buf_add(f, bin, len);
    nbcl_buf_u64(f, nbcl_fnv1a64(NBCL_FNV64_START, bin, len));
    return f->oom ? -1 : 0;
}

/* ------------------------------------------------------------------ load and store */

/* The stored binary as a built program, or NULL after a warning. */
static cl_program nbcl_cache_program(const nbcl_program_cache *c, cl_context ctx,
                                     cl_device_id dev, const unsigned char *bin, size_t len,
                                     const char *options, const char *path)
{
    cl_int status = CL_SUCCESS, rc = CL_SUCCESS;
    nbcl_err err;
    cl_program prog = clCreateProgramWithBinary(ctx, 1, &dev, &len, &bin, &status, &rc);
    if (nbcl_cl_check(rc, "clCreateProgramWithBinary", &err) ||
        nbcl_cl_check(status, "clCreateProgramWithBinary (binary status)", &err) ||
        nbcl_cl_check(clBuildProgram(prog, 1, &dev, options, NULL, NULL), "clBuildProgram", &err)) {
        if (prog)
            clReleaseProgram(prog);
        nbcl_cache_warn(c, "%s for entry %s; rebuilding from source", err.msg, path);
        return NULL;
    }
    return prog;
}

/* The program from e's file, or NULL: absent (silent), unreadable (warned once: most likely
 * the directory's fault), or bad (warned each time). */
static cl_program nbcl_cache_load(nbcl_program_cache *c, cl_context ctx, cl_device_id dev,
                                  const nbcl_entry *e, const char *options)
{
    unsigned char *data;
    const unsigned char *bin = NULL;
    size_t size = 0, len = 0;
    char why[512];
    int got = nbcl_read_file(e->path, &data, &size, why, sizeof why);
    if (got <= 0) {
        if (got < 0)
            nbcl_cache_warn_once(c, "cannot read entry %s (%s); building from source", e->path,
                                 why);
        return NULL;
    }
    cl_program prog = NULL;
    const char *bad = nbcl_entry_decode(data, size, e, &bin, &len);
    if (bad)
        nbcl_cache_warn(c, "stale or corrupt entry %s (%s); rebuilding from source", e->path,
                        bad);
    else
        prog = nbcl_cache_program(c, ctx, dev, bin, len, options, e->path);
    free(data);
    return prog;
}

/* data to path through a temporary file in the same directory and rename(). */
static int nbcl_write_atomic(const char *path, const unsigned char *data, size_t len, char *why,
                             size_t nwhy)
{
    char tmp[4096 + 96];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, nwhy, "mkstemp %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t done = 0;
    ssize_t w = 0;
    while (done < len && (w = write(fd, data + done, len - done)) > 0)
        done += (size_t)w;
    int e = done == len ? 0 : w < 0 ? errno : ENOSPC;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        snprintf(why, nwhy, "writing %s: %s", tmp, strerror(e));
        return -1;
    }
    return 0;
}

/* Store prog's binary as e; any failure is a warning. */
static void nbcl_cache_store(nbcl_program_cache *c, cl_program prog, cl_device_id dev,
                             const nbcl_entry *e)
{
    unsigned char *bin;
    size_t len;
    nbcl_err err;
    nbcl_buf f = {0};
    char why[4096 + 512];
    if (nbcl_program_binary(prog, dev, &bin, &len, &err)) {
        nbcl_cache_warn(c, "cannot read back the binary for %s (%s); not cached", e->path,
                        err.msg);
        return;
    }
    int bad = nbcl_entry_encode(&f, e, bin, len);
    free(bin);
    if (bad)
        nbcl_cache_warn(c, "out of memory encoding %s; not cached", e->path);
    else if (nbcl_mkdirs(c->dir, why, sizeof why) != 0)
        nbcl_cache_warn_once(c, "cannot create cache directory %s (%s); running uncached",
                             c->dir, why);
    else if (nbcl_write_atomic(e->path, f.p, f.len, why, sizeof why) != 0)
        nbcl_cache_warn_once(c, "cannot write in cache directory %s (%s); running uncached",
                             c->dir, why);
    free(f.p);
}

int nbcl_program_cache_build(nbcl_program_cache *c, cl_context ctx, cl_device_id dev,
                             const char *source, const char *options, cl_program *out, int *hit,
                             nbcl_err *err)
{
    nbcl_entry e;
    nbcl_err why;
    *out = NULL;
    if (hit)
        *hit = 0;
    if (!source)
        return nbcl_err_code(err, NBCL_E_INVALID, "nbcl_program_cache_build: no source text");
    if (!options)
        options = "";
    if (!c || !c->enabled)
        return nbcl_program_build_source(ctx, dev, source, options, out, err);
    if (nbcl_entry_init(c, dev, source, options, &e, &why) != 0) {
        nbcl_cache_warn(c, "no cache key (%s); building from source", why.msg);
        return nbcl_program_build_source(ctx, dev, source, options, out, err);
    }
    int rc = 0;
    *out = nbcl_cache_load(c, ctx, dev, &e, options);
    if (*out) {
        if (hit)
            *hit = 1;
    } else if ((rc = nbcl_program_build_source(ctx, dev, source, options, out, err)) == 0) {
        nbcl_cache_store(c, *out, dev, &e);
    }
    free(e.text);
    return rc;
}

/* ------------------------------------------------------------------ binary files */

/* One "label length\nvalue\n" field of a components text at *p (of n bytes left): 0 and the
 * label and value spans, or -1 at the end or on a malformed field. */
static int nbcl_next_field(const char **p, size_t *n, char *label, size_t nlabel,
                           const char **value, size_t *vlen)
{
    const char *nl = memchr(*p, '\n', *n);
    unsigned long long len;
    char head[160];
    if (!nl || (size_t)(nl - *p) >= sizeof head)
        return -1;
    memcpy(head, *p, (size_t)(nl - *p));
    head[nl - *p] = '\0';
    char *space = strrchr(head, ' ');
    if (!space || sscanf(space + 1, "%llu", &len) != 1)
        return -1;
    *space = '\0';
    snprintf(label, nlabel, "%s", head);
    size_t used = (size_t)(nl - *p) + 1;
    if (len + 1 > *n - used)
        return -1;
    *value = nl + 1;
    *vlen = (size_t)len;
    *p += used + len + 1;
    *n -= used + len + 1;
    return 0;
}

/* Why the stored components text differs from the one this run needs, in words. */
static void nbcl_key_difference(const char *stored, size_t slen, const char *now, char *why,
                                size_t nwhy)
{
    const char *a = stored, *b = now;
    size_t na = slen, nb = strlen(now);
    const char *first_a = memchr(a, '\n', na), *first_b = memchr(b, '\n', nb);
    if (!first_a || !first_b) {
        snprintf(why, nwhy, "its header cannot be read");
        return;
    }
    na -= (size_t)(first_a + 1 - a), a = first_a + 1;
    nb -= (size_t)(first_b + 1 - b), b = first_b + 1;
    char la[160], lb[160];
    const char *va, *vb;
    size_t lva, lvb;
    while (!nbcl_next_field(&a, &na, la, sizeof la, &va, &lva) &&
           !nbcl_next_field(&b, &nb, lb, sizeof lb, &vb, &lvb)) {
        if (strcmp(la, lb) != 0)
            break;
        if (lva == lvb && memcmp(va, vb, lva) == 0)
            continue;
        if (!strcmp(la, "kernel_source"))
            snprintf(why, nwhy, "it was built from another kernel source (another version of "
                     "nanobragg-cl)");
        else
            snprintf(why, nwhy, "it was built for %s '%.*s', this run needs '%.*s'", la,
                     (int)(lva < 300 ? lva : 300), va, (int)(lvb < 300 ? lvb : 300), vb);
        return;
    }
    snprintf(why, nwhy, "its header does not match this run");
}

int nbcl_program_binary_save(const char *path, cl_program prog, cl_device_id dev,
                             const char *source, const char *options, nbcl_err *err)
{
    nbcl_entry e;
    nbcl_buf f = {0};
    unsigned char *bin;
    size_t len;
    char why[4096 + 512];
    e.text = nbcl_program_cache_key_text(dev, source, options ? options : "", &e.key, err);
    if (!e.text)
        return -1;
    if (nbcl_program_binary(prog, dev, &bin, &len, err)) {
        free(e.text);
        return -1;
    }
    int bad = nbcl_entry_encode(&f, &e, bin, len);
    free(bin);
    free(e.text);
    if (bad) {
        free(f.p);
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory encoding the kernel binary");
    }
    bad = nbcl_write_atomic(path, f.p, f.len, why, sizeof why);
    free(f.p);
    return bad ? nbcl_err_code(err, NBCL_E_FILE, "-save_kernel_binary %s: %s", path, why) : 0;
}

int nbcl_program_binary_load(const char *path, cl_context ctx, cl_device_id dev,
                             const char *source, const char *options, cl_program *out,
                             nbcl_err *err)
{
    nbcl_entry e;
    unsigned char *data = NULL;
    const unsigned char *bin = NULL;
    size_t size = 0, len = 0;
    char why[512];
    *out = NULL;
    if (!options)
        options = "";
    int got = nbcl_read_file(path, &data, &size, why, sizeof why);
    if (got <= 0)
        return nbcl_err_code(err, NBCL_E_FILE, "-kernel_binary %s: %s", path,
                             got == 0 ? "no such file" : why);
    e.text = nbcl_program_cache_key_text(dev, source, options, &e.key, err);
    if (!e.text) {
        free(data);
        return -1;
    }
    const char *bad = nbcl_entry_decode(data, size, &e, &bin, &len);
    int rc = 0;
    if (bad && size >= 28 && !memcmp(data, NBCL_CACHE_MAGIC, 8) &&
        (!strcmp(bad, "stored key differs") || !strncmp(bad, "stored key text", 15))) {
        uint64_t tlen = 0;
        for (int i = 7; i >= 0; i--)
            tlen = (tlen << 8) | data[20 + i];
        nbcl_key_difference((const char *)data + 28, tlen <= size - 28 ? (size_t)tlen : size - 28,
                            e.text, why, sizeof why);
        rc = nbcl_err_code(err, NBCL_E_INVALID, "-kernel_binary %s does not fit this run: %s "
                           "(save one with -save_kernel_binary on the same device and flags)",
                           path, why);
    } else if (bad) {
        rc = nbcl_err_code(err, NBCL_E_FILE, "-kernel_binary %s: not a nanobragg-cl kernel "
                           "binary (%s)", path, bad);
    } else {
        cl_int status = CL_SUCCESS, crc = CL_SUCCESS;
        cl_program prog = clCreateProgramWithBinary(ctx, 1, &dev, &len, &bin, &status, &crc);
        if (nbcl_cl_check(crc, "clCreateProgramWithBinary", err) ||
            nbcl_cl_check(status, "clCreateProgramWithBinary (binary status)", err) ||
            nbcl_cl_check(clBuildProgram(prog, 1, &dev, options, NULL, NULL), "clBuildProgram",
                          err)) {
            if (prog)
                clReleaseProgram(prog);
            rc = -1;
        } else {
            *out = prog;
        }
    }
    free(e.text);
    free(data);
    return rc;
}
