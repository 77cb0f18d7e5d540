/* engine.c: the persistent engine (see engine.h).
 * Per device: build the kernels with the run's precision, vector width and options as
 * compile-time constants (through the program cache), upload the tables that never change
 * (sources, HKL grid, integer table) once; per image: refresh the parameter table and the
 * crystal orientations, then for every tile enqueue the lattice-factor stage and the scaling
 * stage. Every table and plane layout is that of abi.h, which the kernels include too. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/vector_clones.h"
#include "device/clerr.h"
#include "device/fma_probe.h"
#include "device/program.h"
#include "device/program_cache.h"
#include "device/stream.h"
#include "engine/abi.h"
#include "engine/engine.h"
#include "engine/crystal_table.h"
#include "engine/tables.h"
#include "model/orientations.h"

#define LOCAL_SIZE 64

static const char *const KERNEL_FILES[] = {"real.cl", "wide.cl", "physics.cl",
                                           "structure_factor.cl", "amorphous.cl", "lattice_stage.cl",
                                           "scale_stage.cl", "psf.cl"};
#define NKERNEL_FILES ((int)(sizeof KERNEL_FILES / sizeof KERNEL_FILES[0]))

struct nbcl_core {
    const nbcl_sim *sim;          /* the experiment as opened (the caller's: it outlives the core) */
    nbcl_core_opts opts;
    const unsigned short *mask;   /* opts.mask, borrowed like sim */
    nbcl_device_info *devices;    /* own copy: the stream points into it */
    int ndevices;
    int vw;                       /* pixels per work-item on every device (nbcl_run_vector_width) */
    int wide_double;              /* a single run's wide values in double (run_wide_arithmetic) */
    char cl_options[257];         /* NBCL_CL_OPTIONS, read and checked once (check_extra_options) */
    int norient;
    char *source;                 /* the whole program text (ABI header + kernels) */
    nbcl_program_cache cache;     /* used by device_init, which runs one device at a time */
    nbcl_stream *stream;
    float *printout_planes;
    double *printout;
    double *lambdas;              /* the source wavelengths the devices hold now */
    size_t npix;                  /* pixels of one panel (the whole detector when it is one) */
    int npanels, rows;            /* panels, and the rows of each (the stream's height) */
    pthread_mutex_t psf_lock;     /* one point spread at a time (kernel arguments, queue) */
    cl_command_queue psf_queue;   /* the first device's, apart from the image stream's */
    nbcl_core_times times;
    nbcl_core_rows_fn rows_fn;    /* finished rows (nbcl_core_set_rows), or NULL */
    void *rows_user;
    int panel;                    /* the panel being streamed */
};

typedef struct devstate {
    cl_program program;
    cl_kernel lattice, scale, psf;
    cl_mem P, sources, crystal, grid, G, mask, stage1, flags, bg;
    cl_mem lone;            /* the lone-source table (abi.h): a single run, one orientation */
    size_t stage1_pixels;
    size_t real_size;
    unsigned char *mask_tile;
    int vw;                 /* pixels per work-item (vector lanes) */
    int use_double;
    size_t local;           /* work-group size */
    double omega_sum;       /* this image: the solid angles of the tiles this device computed */
} devstate;

/* ------------------------------------------------------------------ building */

int nbcl_vector_width_rule(int is_cpu, unsigned preferred, int interpolating, const char *env)
{
    unsigned w = 1;
    if (is_cpu) w = preferred > 1 && !interpolating ? 2 * preferred : preferred;
    if (env && *env) w = (unsigned)atoi(env);
    static const unsigned allowed[] = {16, 8, 4, 2, 1};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; ++i)
        if (allowed[i] <= w) return (int)allowed[i];
    return 1;
}

static int vector_width(const nbcl_device_info *info, int use_double, int interpolating)
{
    cl_uint w = 1;
    if (clGetDeviceInfo(info->id, use_double ? CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE
                                             : CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT,
                        sizeof w, &w, NULL) != CL_SUCCESS)
        w = 1;
    return nbcl_vector_width_rule((info->type & CL_DEVICE_TYPE_CPU) != 0, w, interpolating,
                                  getenv("NBCL_VECTOR_WIDTH"));
}

int nbcl_run_vector_width(const int *widths, int n)
{
    int w = n > 0 ? widths[0] : 1;
    for (int i = 1; i < n; ++i)
        if (widths[i] < w) w = widths[i];
    return w;
}

/* One width for the whole run (single precision rounds differently at different widths):
 * the narrowest device's, said once when the devices would have chosen differently. */
static int run_vector_width(nbcl_core *c, nbcl_err *err)
{
    int *w = malloc(sizeof *w * (size_t)c->ndevices);
    if (!w) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory");
    for (int i = 0; i < c->ndevices; ++i)
        w[i] = vector_width(&c->devices[i], c->opts.use_double, c->sim->interpolate);
    c->vw = nbcl_run_vector_width(w, c->ndevices);
    for (int i = 0; i < c->ndevices; ++i)
        if (w[i] != c->vw) {
            nbcl_logf(c->opts.log, "note: vector width %d on every device (device %d would "
                      "use %d): one width keeps the image the same whatever the devices\n",
                      c->vw, c->devices[i].index, w[i]);
            break;
        }
    free(w);
    return 0;
}

int nbcl_wide_double_rule(int use_double, const nbcl_device_info *devices, int n,
                          const char *float_pairs_env, const char *unfused_fma_env)
{
    if (use_double || n <= 0) return 0;
    if (float_pairs_env && *float_pairs_env && strcmp(float_pairs_env, "0")) return 0;
    if (unfused_fma_env && *unfused_fma_env && strcmp(unfused_fma_env, "0")) return 0;
    int pairs_refused = float_pairs_env && !strcmp(float_pairs_env, "0");
    for (int i = 0; i < n; ++i)
        if (!devices[i].has_fp64 || (!pairs_refused && !(devices[i].type & CL_DEVICE_TYPE_CPU)))
            return 0;
    return 1;
}

/* A single-precision run keeps its wide values (pixel geometry, Miller indices, per-pixel
 * sums: kernels/wide.cl) in double where every device is a CPU with fp64, whose doubles
 * cost about twice a float against ten or more float operations for a float pair; on one
 * device set the choice is the same for every device, so a pixel's value does not depend
 * on the device its tile ran on. NBCL_FLOAT_PAIRS=1 (or NBCL_UNFUSED_FMA=1, which tests the
 * pairs without fma) keeps the float pairs; NBCL_FLOAT_PAIRS=0 takes double on any device
 * set whose every device has fp64, GPUs too (for GPUs with fast fp64). */
int nbcl_run_wide_double(int use_double, const nbcl_device_info *devices, int n)
{
    return nbcl_wide_double_rule(use_double, devices, n, getenv("NBCL_FLOAT_PAIRS"),
                                 getenv("NBCL_UNFUSED_FMA"));
}

static void run_wide_arithmetic(nbcl_core *c)
{
    c->wide_double = nbcl_run_wide_double(c->opts.use_double, c->devices, c->ndevices);
    if (c->wide_double)
        nbcl_logf(c->opts.log, "note: single precision, with the pixel geometry, Miller indices "
                  "and per-pixel sums in double on these %sdevices\n",
                  nbcl_wide_double_rule(0, c->devices, c->ndevices, NULL, NULL) ? "CPU " : "");
}

size_t nbcl_local_size_rule(size_t preferred, const size_t *limits, int nlimits)
{
    size_t cap = preferred;
    for (int i = 0; i < nlimits; ++i)
        if (limits[i] > 0 && limits[i] < cap) cap = limits[i];
    size_t local = 1;
    while (local * 2 <= cap) local *= 2;
    return local;
}

/* The work-group size: 64, or less where a kernel or the device allows less. */
static int local_size(devstate *d, cl_device_id dev, nbcl_err *err)
{
    size_t limits[3] = {0, 0, 0}, items[3] = {0, 0, 0};
    if (nbcl_cl_check(clGetKernelWorkGroupInfo(d->lattice, dev, CL_KERNEL_WORK_GROUP_SIZE,
                                               sizeof limits[0], &limits[0], NULL),
                      "clGetKernelWorkGroupInfo(nbcl_lattice)", err) ||
        nbcl_cl_check(clGetKernelWorkGroupInfo(d->scale, dev, CL_KERNEL_WORK_GROUP_SIZE,
                                               sizeof limits[1], &limits[1], NULL),
                      "clGetKernelWorkGroupInfo(nbcl_scale)", err) ||
        nbcl_cl_check(clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL),
                      "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)", err))
        return -1;
    limits[2] = items[0];
    d->local = nbcl_local_size_rule(LOCAL_SIZE, limits, 3);
    return 0;
}

/* a grid whose cell indices a float cannot count exactly */
static int big_grid(const nbcl_sim *s, int use_double)
{
    const nbcl_hkl *g = &s->hkl;
    double cells = g->hkls ? (double)(g->h_range + 1) * (g->k_range + 1) * (g->l_range + 1) : 0.0;
    return !use_double && cells >= 16777216.0;
}

/* 1 where the device cannot take clang's element-wise builtins (kernels/real.cl: round_up,
 * round_down): Oclgrind interprets the program's LLVM IR and knows the OpenCL library's
 * functions but not the intrinsics (llvm.ceil) they become. */
static int no_clang_builtins(const nbcl_device_info *info)
{
    return strstr(info->platform_name, "Oclgrind") != NULL;
}

/* is environment variable name set to value? */
static int env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v && !strcmp(v, value);
}

/* The options every program is built with. Never any fast-math option
 * (-cl-fast-relaxed-math, -cl-unsafe-math-optimizations, -cl-mad-enable,
 * -cl-finite-math-only, -cl-no-signed-zeros): the float pairs of a single run (kernels/
 * wide.cl: the Miller indices and the compensated per-pixel sums) depend on exact IEEE
 * rounding, which those options let the compiler give up. */
static void build_options(const nbcl_core *c, const nbcl_device_info *info, int use_double, int vw,
                          int fused_fma, char *buf, size_t n)
{
    const nbcl_sim *s = c->sim;
    int len = snprintf(buf, n, "%s -DNBCL_VW=%d -DNBCL_SHAPE=%d",
                       use_double ? "-DNBCL_DOUBLE=1" : "-cl-single-precision-constant", vw,
                       (int)s->shape);
    struct { int on; const char *def; } flags[] = {
        {s->oversample_thick, "NBCL_OS_THICK"}, {s->oversample_polar, "NBCL_OS_POLAR"},
        {s->oversample_omega, "NBCL_OS_OMEGA"}, {s->nopolar, "NBCL_NOPOLAR"},
        {s->water_size != 0.0, "NBCL_HAVE_WATER"}, {s->dmin > 0.0, "NBCL_HAVE_DMIN"},
        {s->thick != 0.0, "NBCL_HAVE_THICK"}, {c->mask != NULL, "NBCL_HAVE_MASK"},
        {s->curved_detector, "NBCL_CURVED"}, {s->point_pixel, "NBCL_POINT_PIXEL"},
        {c->opts.printout, "NBCL_PRINTOUT"}, {big_grid(s, use_double), "NBCL_BIG_GRID"},
        {s->interpolate, "NBCL_INTERPOLATE"}, {s->hkl.hkls > 0, "NBCL_HAVE_GRID"},
        {s->bg_rows > 0, "NBCL_HAVE_STOL"},
        {!use_double && !fused_fma, "NBCL_NO_FUSED_FMA"}, {c->wide_double, "NBCL_WIDE_DOUBLE"},
        {no_clang_builtins(info), "NBCL_NO_CLANG_BUILTINS"},
        {s->thicksteps == 1 && s->oversample == 1, "NBCL_ONE_SUBPIXEL"},
        /* counts no image of the engine may change: without a second source or orientation
         * the kernel leaves out its loop over pairs of them (the code it would never run
         * cost bench_4096's kernels 1.4 ms) */
        {s->nsources == 1, "NBCL_ONE_SOURCE"}, {c->norient == 1, "NBCL_ONE_ORIENTATION"},
        /* two sub-paths' chains side by side: a CPU core waits on one chain's steps (the
         * bench cases 3-14 % faster in single precision with AVX-512, where the kernel
         * takes it: lattice_stage.cl, NBCL_PAIRS); a GPU runs other work-items meanwhile
         * and would pay in registers, untried there */
        {(info->type & CL_DEVICE_TYPE_CPU) != 0 && !env_is("NBCL_PAIRED_SUBPATHS", "0"),
         "NBCL_PAIRED_SUBPATHS"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i)
        if (flags[i].on && (size_t)len < n)
            len += snprintf(buf + len, n - (size_t)len, " -D%s", flags[i].def);
    const char *vendor = nbcl_vendor_options_rule(info, c->cl_options);
    if (*vendor && (size_t)len < n) snprintf(buf + len, n - (size_t)len, " %s", vendor);
}

/* Options for one vendor's compiler. NVIDIA's gives the lattice kernel 130-140 registers
 * a lane, which leaves the GPU's schedulers 14 warps of 64 to hide latency with; capped at
 * 80 (a few bytes spilled) the kernels ran 5-25 % faster on an H200 in every bench kernel
 * and both precisions, with the same bits (docs/performance.md, "GPU"). NBCL_CL_OPTIONS,
 * when set, replaces these. */
const char *nbcl_vendor_options_rule(const nbcl_device_info *info, const char *extra_env)
{
    if (extra_env && *extra_env) return extra_env;
    return info->has_nv_options ? "-cl-nv-maxrregcount=80" : "";
}

/* NBCL_CL_OPTIONS: compiler options for experiments with a vendor's compiler (e.g.
 * NVIDIA's -cl-nv-maxrregcount=N), in place of nbcl_vendor_options_rule's; they join the
 * program cache's key like every option. Read and checked once, when the core opens (every
 * device's build uses that copy). Anything that relaxes floating-point rules is refused. */
static int check_extra_options(nbcl_core *c, nbcl_err *err)
{
    const char *extra = getenv("NBCL_CL_OPTIONS");
    c->cl_options[0] = '\0';
    if (!extra || !*extra) return 0;
    static const char *const relaxing[] = {"math", "mad-enable", "denorms-are-zero",
                                           "no-signed-zeros", "fast"};
    for (size_t i = 0; i < sizeof relaxing / sizeof relaxing[0]; ++i)
        if (strstr(extra, relaxing[i]))
            return nbcl_err_code(err, NBCL_E_INVALID, "NBCL_CL_OPTIONS: '%s' relaxes floating-point "
                                 "rules (the float pairs need exact rounding); refused", extra);
    if (strlen(extra) > 256)
        return nbcl_err_code(err, NBCL_E_INVALID, "NBCL_CL_OPTIONS: longer than 256 characters");
    memcpy(c->cl_options, extra, strlen(extra) + 1);
    return 0;
}

/* The ABI header (always the library's own: it must match this code) then the kernels. */
static int assemble_source(nbcl_core *c, nbcl_err *err)
{
    const char *abi = nbcl_kernel_embedded("abi.h");
    if (!abi) return nbcl_err_code(err, NBCL_E_BUILD, "abi.h is not embedded in libnbcl");
    const char *dir = nbcl_kernel_override_dir();
    if (dir) nbcl_logf(c->opts.log, "note: kernel sources from NBCL_KERNEL_DIR=%s\n", dir);
    c->source = nbcl_kernel_concat(abi, KERNEL_FILES, NKERNEL_FILES, err);
    return c->source ? 0 : -1;
}

static void cache_note(void *user, const char *line)
{
    nbcl_logf((nbcl_log *)user, "WARNING: %s\n", line);
}

/* ------------------------------------------------------------------ per device */

/* Does a run take the lone-source table? A single run with one orientation: its kernel
 * finds h, k, l of each source from a.d - a.i (lone_orientation_hkl), a.i from the table
 * rather than from nine products per source, sub-pixel and work-item. */
static int lone_sources(const nbcl_core *c, int use_double)
{
    return !use_double && c->norient == 1;
}

/* the layout of the parameter and crystal tables on device d (tables.h) */
static int wide_table_layout(const nbcl_core *c, const devstate *d)
{
    return nbcl_wide_table_layout(d->use_double, c->wide_double);
}

/* the layout of the other tables: the device's precision (the lone-source table: doubles
 * where the wide values are doubles) */
static int plain_layout(int use_double)
{
    return use_double ? NBCL_TABLE_DOUBLES : NBCL_TABLE_FLOATS;
}

static int create_tables(nbcl_core *c, devstate *d, cl_context ctx, nbcl_err *err)
{
    const nbcl_sim *s = c->sim;
    int dbl = d->use_double, layout = wide_table_layout(c, d);
    double P[KP_COUNT];
    nbcl_fill_params(s, P);
    if (!(d->P = nbcl_upload(ctx, P, KP_COUNT, KP_COUNT, layout, "parameter", err))) return -1;

    double *src = nbcl_source_table(s, dbl);
    if (!src) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the source table");
    size_t nsrc = NBCL_SRC_FIELDS * (size_t)s->nsources;
    d->sources = nbcl_upload(ctx, src, nsrc, nsrc, plain_layout(dbl), "source", err);
    free(src);
    if (!d->sources) return -1;

    size_t ncrystal = NBCL_CRYSTAL_REALS * (size_t)c->norient;
    cl_int rc;
    d->crystal = clCreateBuffer(ctx, CL_MEM_READ_ONLY, nbcl_device_bytes(ncrystal, layout, NBCL_CRYSTAL_REALS),
                                NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(crystal)", err)) return -1;
    /* written with each image's orientation (upload_image_tables); one float elsewhere */
    size_t nlone = lone_sources(c, dbl) ? nsrc : 0;
    d->lone = clCreateBuffer(ctx, CL_MEM_READ_ONLY,
                             nbcl_device_bytes(nlone, plain_layout(c->wide_double), nlone), NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(lone sources)", err)) return -1;

    const nbcl_hkl *g = &s->hkl;
    size_t ngrid = g->hkls ? nbcl_hkl_grid_size(g) : 1;
    double zero = 0.0;
    if (!(d->grid = nbcl_upload(ctx, g->hkls ? g->F : &zero, ngrid, 0, plain_layout(dbl), "HKL", err))) return -1;

    if (!(d->bg = nbcl_upload(ctx, s->bg_rows ? s->bg_table : &zero, s->bg_rows ? 2 * (size_t)s->bg_rows : 1,
                              0, plain_layout(dbl), "amorphous scattering", err)))
        return -1;

    cl_int G[KI_COUNT];
    nbcl_fill_ints(s, c->norient, G);
    d->G = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof G, G, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(G)", err)) return -1;
    cl_int zeroflag = 0;
    d->flags = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof zeroflag,
                              &zeroflag, &rc);
    return nbcl_cl_check(rc, "clCreateBuffer(flags)", err);
}

/* Only the float pairs of a single-precision run need a fused fma(). A device given a
 * -kernel_binary may not compile the probe: there the answer is "fused" unless
 * NBCL_UNFUSED_FMA is set (the binary's options must say the same, or it is refused). */
static int fma_fused(nbcl_core *c, nbcl_devctx *dev, int *fused, nbcl_err *err)
{
    const char *force = getenv("NBCL_UNFUSED_FMA");
    *fused = 1;
    if (dev->use_double || c->wide_double) return 0;   /* fma() is only for the float pairs */
    if (c->opts.kernel_binary && *c->opts.kernel_binary) {
        *fused = !(force && *force && strcmp(force, "0"));
        return 0;
    }
    return nbcl_fma_fused(&c->cache, dev->context, dev->info->id, NULL, fused, err);
}

/* The program: from -kernel_binary, else built (through the cache); -save_kernel_binary
 * writes what was built. */
/* the program from -kernel_binary, else through the cache (*hit: the cache had it) */
static int build_program(nbcl_core *c, devstate *d, nbcl_devctx *dev, const char *options,
                         int *hit, nbcl_err *err)
{
    const char *load = c->opts.kernel_binary, *save = c->opts.save_kernel_binary;
    if (load && *load) {
        if (nbcl_program_binary_load(load, dev->context, dev->info->id, c->source, options,
                                     &d->program, err))
            return -1;
        nbcl_logf(c->opts.log, "note: kernels loaded from %s\n", load);
        *hit = 1;
    } else if (nbcl_program_cache_build(&c->cache, dev->context, dev->info->id, c->source,
                                        options, &d->program, hit, err)) {
        return -1;
    }
    if (save && *save) {
        if (nbcl_program_binary_save(save, d->program, dev->info->id, c->source, options, err))
            return -1;
        nbcl_logf(c->opts.log, "note: kernel binary for device %d written to %s\n",
                  dev->info->index, save);
    }
    return 0;
}

/* NBCL_DUMP_PROGRAM (see device/program.h): the program as it is about to be built */
static int dump_program(const nbcl_core *c, const char *options, nbcl_err *err)
{
    const char *dir = getenv("NBCL_DUMP_PROGRAM"), *only = getenv("NBCL_DUMP_PROGRAM_ONLY");
    if (!dir || !*dir) return 0;
    if (nbcl_program_dump(dir, c->source, options, err)) return -1;
    if (only && *only && strcmp(only, "0"))
        return nbcl_err_code(err, NBCL_E_STATE, "NBCL_DUMP_PROGRAM_ONLY: kernel source and "
                             "options written to %s; nothing computed", dir);
    return 0;
}

static int device_init(void *user, nbcl_devctx *dev, void **state, nbcl_err *err)
{
    nbcl_core *c = user;
    devstate *d = calloc(1, sizeof *d);
    if (!d) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory");
    *state = d;
    d->use_double = dev->use_double;
    d->real_size = dev->use_double ? sizeof(double) : sizeof(float);
    d->vw = c->vw;
    int fused = 1;
    if (fma_fused(c, dev, &fused, err)) return -1;
    if (!fused)
        nbcl_logf(c->opts.log, "note: device %d (%s): the float pairs use an exact two-product "
                  "without fma() (not fused there, or NBCL_UNFUSED_FMA is set; slower)\n",
                  dev->info->index, dev->info->name);
    char options[1024];
    build_options(c, dev->info, dev->use_double, d->vw, fused, options, sizeof options);
    if (dump_program(c, options, err)) return -1;
    int hit = 0;
    double t0 = nbcl_seconds();
    if (build_program(c, d, dev, options, &hit, err)) return -1;
    c->times.program_cached &= hit != 0;
    cl_int crc;
    d->lattice = clCreateKernel(d->program, "nbcl_lattice", &crc);
    if (nbcl_cl_check(crc, "clCreateKernel(nbcl_lattice)", err)) return -1;
    d->scale = clCreateKernel(d->program, "nbcl_scale", &crc);
    if (nbcl_cl_check(crc, "clCreateKernel(nbcl_scale)", err)) return -1;
    d->psf = clCreateKernel(d->program, "nbcl_psf", &crc);
    if (nbcl_cl_check(crc, "clCreateKernel(nbcl_psf)", err)) return -1;
    if (local_size(d, dev->info->id, err)) return -1;
    double t1 = nbcl_seconds();
    c->times.program += t1 - t0;
    int rc = create_tables(c, d, dev->context, err);
    c->times.tables += nbcl_seconds() - t1;
    return rc;
}

/* stage1 planes are padded to whole work-items of d->vw pixels */
static size_t padded(const devstate *d, size_t npix)
{
    return (npix + (size_t)d->vw - 1) / (size_t)d->vw * (size_t)d->vw;
}

static int ensure_scratch(nbcl_core *c, devstate *d, cl_context ctx, size_t npix, nbcl_err *err)
{
    if (npix <= d->stage1_pixels) return 0;
    cl_int rc;
    if (d->stage1) clReleaseMemObject(d->stage1);
    if (d->mask) clReleaseMemObject(d->mask);
    d->stage1 = d->mask = NULL;
    size_t planes = c->opts.printout ? S1_COUNT : S1_BASIC;
    d->stage1 = clCreateBuffer(ctx, CL_MEM_READ_WRITE, d->real_size * planes * padded(d, npix), NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(stage1)", err)) return -1;
    d->mask = clCreateBuffer(ctx, CL_MEM_READ_ONLY, c->mask ? npix : 1, NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(mask)", err)) return -1;
    free(d->mask_tile);
    d->mask_tile = malloc(npix);
    if (!d->mask_tile) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for a tile mask");
    d->stage1_pixels = npix;
    return 0;
}

static int upload_tile_mask(const nbcl_core *c, devstate *d, cl_command_queue q, const nbcl_tile *t,
                            nbcl_err *err)
{
    int width = c->sim->fpixels;
    for (int y = 0; y < t->h; ++y)
        for (int x = 0; x < t->w; ++x)
            d->mask_tile[y * t->w + x] = c->mask[(size_t)(t->y0 + y) * width + t->x0 + x] != 0;
    cl_int rc = clEnqueueWriteBuffer(q, d->mask, CL_TRUE, 0, (size_t)t->w * t->h, d->mask_tile,
                                     0, NULL, NULL);
    return nbcl_cl_check(rc, "clEnqueueWriteBuffer(mask)", err);
}

#define SET_ARG(k, i, v) \
    if (nbcl_cl_check(clSetKernelArg(k, i, sizeof(v), &(v)), "clSetKernelArg(" #k ")", err)) return -1

static int enqueue_tile(void *user, void *state, nbcl_devctx *dev, const nbcl_tile *t,
                        cl_mem out, nbcl_err *err)
{
    nbcl_core *c = user;
    devstate *d = state;
    size_t npix = (size_t)t->w * t->h;
    if (ensure_scratch(c, d, dev->context, npix, err)) return -1;
    if (c->mask && upload_tile_mask(c, d, dev->queue, t, err)) return -1;
    cl_int x0 = t->x0, y0 = t->y0, w = t->w, h = t->h, n = (cl_int)npix;
    cl_int stride = (cl_int)padded(d, npix);
    SET_ARG(d->lattice, 0, d->P);
    SET_ARG(d->lattice, 1, d->sources);
    SET_ARG(d->lattice, 2, d->crystal);
    SET_ARG(d->lattice, 3, d->grid);
    SET_ARG(d->lattice, 4, d->G);
    SET_ARG(d->lattice, 5, d->mask);
    SET_ARG(d->lattice, 6, x0);
    SET_ARG(d->lattice, 7, y0);
    SET_ARG(d->lattice, 8, w);
    SET_ARG(d->lattice, 9, h);
    SET_ARG(d->lattice, 10, stride);
    SET_ARG(d->lattice, 11, d->stage1);
    SET_ARG(d->lattice, 12, d->flags);
    SET_ARG(d->lattice, 13, d->bg);
    SET_ARG(d->lattice, 14, d->lone);
    SET_ARG(d->scale, 0, d->P);
    SET_ARG(d->scale, 1, d->stage1);
    SET_ARG(d->scale, 2, n);
    SET_ARG(d->scale, 3, stride);
    SET_ARG(d->scale, 4, out);
    cl_int omega_sum_plane = NBCL_OMEGA_SUM_PLANE(c->sim->thicksteps, c->sim->oversample);
    SET_ARG(d->scale, 5, omega_sum_plane);
    size_t local = d->local;
    size_t items = (size_t)stride / (size_t)d->vw;
    size_t global = (items + local - 1) / local * local;
    cl_int rc = clEnqueueNDRangeKernel(dev->queue, d->lattice, 1, NULL, &global, &local, 0, NULL, NULL);
    if (nbcl_cl_check(rc, "clEnqueueNDRangeKernel(nbcl_lattice)", err)) return -1;
    /* the scaling stage takes the same vw pixels a work-item */
    rc = clEnqueueNDRangeKernel(dev->queue, d->scale, 1, NULL, &global, &local, 0, NULL, NULL);
    return nbcl_cl_check(rc, "clEnqueueNDRangeKernel(nbcl_scale)", err);
}

static void device_release(void *user, void *state)
{
    (void)user;
    devstate *d = state;
    if (!d) return;
    cl_mem mems[] = {d->P, d->sources, d->crystal, d->grid, d->G, d->mask, d->stage1, d->flags,
                     d->bg, d->lone};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; ++i)
        if (mems[i]) clReleaseMemObject(mems[i]);
    if (d->lattice) clReleaseKernel(d->lattice);
    if (d->scale) clReleaseKernel(d->scale);
    if (d->psf) clReleaseKernel(d->psf);
    if (d->program) clReleaseProgram(d->program);
    free(d->mask_tile);
    free(d);
}

/* a tile is back: add its solid angles to its device's sum (no plane of the whole detector
 * is kept for them). The scale stage left one float a work-item, the sum of its pixels'
 * (solid_angle_lanes_sum in kernels/scale_stage.cl), at the start of the plane. */
static void tile_done(void *user, void *state, const nbcl_tile *t, const float *host)
{
    (void)user;
    devstate *d = state;
    size_t n = (size_t)t->w * (size_t)t->h;
    size_t items = (n + (size_t)d->vw - 1) / (size_t)d->vw;
    const float *omega = host + (size_t)OUT_OMEGA_SUM * n;
    /* four running sums, so that each addition need not wait for the one before; the
     * order is fixed for a tile */
    double part[4] = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= items; i += 4)
        for (int j = 0; j < 4; ++j) part[j] += omega[i + (size_t)j];
    for (; i < items; ++i) part[0] += omega[i];
    d->omega_sum += (part[0] + part[1]) + (part[2] + part[3]);
}

/* a pass over the tiles starts (again): the solid angles are summed afresh */
static void pass_start(void *user)
{
    nbcl_core *c = user;
    for (int i = 0; i < nbcl_stream_devices(c->stream); ++i)
        ((devstate *)nbcl_stream_state(c->stream, i, NULL))->omega_sum = 0.0;
}

/* rows of the panel being streamed are finished: as rows of the whole image, to the
 * core's user */
static int rows_done(void *user, int first_row, int end_row, nbcl_err *err)
{
    nbcl_core *c = user;
    if (!c->rows_fn) return 0;
    int base = c->panel * c->rows;
    return c->rows_fn(c->rows_user, base + first_row, base + end_row, err);
}

static const nbcl_stream_ops OPS = {device_init, enqueue_tile, device_release, tile_done, pass_start,
                                    rows_done};

void nbcl_core_set_rows(nbcl_core *c, nbcl_core_rows_fn fn, void *user)
{
    c->rows_fn = fn;
    c->rows_user = user;
}

/* ------------------------------------------------------------------ per image */

/* The image's parameter table and orientations onto every device (blocking writes on each
 * device's own queue, while no tile is in flight). */
/* An image with its own wavelength: the source table again (only when it changed). */
static int upload_sources_if_changed(nbcl_core *c, const nbcl_sim *img, nbcl_err *err)
{
    size_t n = (size_t)img->nsources;
    if (img->nsources != c->sim->nsources)
        return nbcl_err_code(err, NBCL_E_INVALID, "an image may not change the number of sources");
    if (memcmp(c->lambdas, img->source_lambda, n * sizeof(double)) == 0) return 0;
    int rc = 0;
    for (int i = 0; !rc && i < nbcl_stream_devices(c->stream); ++i) {
        nbcl_devctx *dev;
        devstate *d = nbcl_stream_state(c->stream, i, &dev);
        double *src = nbcl_source_table(img, d->use_double);
        if (!src) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the source table");
        size_t m = NBCL_SRC_FIELDS * n;
        rc = nbcl_write_table(dev->queue, d->sources, src, m, m, plain_layout(d->use_double), "source", err);
        free(src);
    }
    if (!rc) memcpy(c->lambdas, img->source_lambda, n * sizeof(double));
    return rc;
}

/* The parameter table of img onto every device. */
static int upload_params(nbcl_core *c, const nbcl_sim *img, nbcl_err *err)
{
    double P[KP_COUNT];
    nbcl_fill_params(img, P);
    int rc = 0;
    for (int i = 0; !rc && i < nbcl_stream_devices(c->stream); ++i) {
        nbcl_devctx *dev;
        devstate *d = nbcl_stream_state(c->stream, i, &dev);
        rc = nbcl_write_table(dev->queue, d->P, P, KP_COUNT, KP_COUNT, wide_table_layout(c, d), "parameter", err);
    }
    return rc;
}

static int upload_image_tables(nbcl_core *c, const nbcl_sim *img, nbcl_err *err)
{
    if (upload_sources_if_changed(c, img, err)) return -1;
    int norient = 0;
    double *axes = nbcl_crystal_orientations(img, &norient);
    double *orient = axes ? nbcl_crystal_table(axes, norient) : NULL;
    free(axes);
    if (!orient) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the crystal orientations");
    int rc = 0;
    if (norient != c->norient)
        rc = nbcl_err_code(err, NBCL_E_INVALID, "an image may not change the number of orientations");
    double *lone = NULL;
    size_t nlone = NBCL_SRC_FIELDS * (size_t)img->nsources;
    for (int i = 0; !rc && i < nbcl_stream_devices(c->stream); ++i) {
        nbcl_devctx *dev;
        devstate *d = nbcl_stream_state(c->stream, i, &dev);
        rc = nbcl_write_table(dev->queue, d->crystal, orient, NBCL_CRYSTAL_REALS * (size_t)norient,
                              NBCL_CRYSTAL_REALS, wide_table_layout(c, d), "crystal", err);
        if (rc || !lone_sources(c, d->use_double)) continue;
        if (!lone && !(lone = nbcl_lone_source_table(img, orient + NBCL_CR_AXES)))
            rc = nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the source table");
        else
            rc = nbcl_write_table(dev->queue, d->lone, lone, nlone, nlone, plain_layout(c->wide_double),
                                  "lone source", err);
    }
    free(lone);
    free(orient);
    return rc;
}

/* Did any interpolation fall back to default_F during this image? (then reset the flag) */
static int take_fallback_flags(nbcl_core *c, int *fallback, nbcl_err *err)
{
    *fallback = 0;
    for (int i = 0; i < nbcl_stream_devices(c->stream); ++i) {
        nbcl_devctx *dev;
        devstate *d = nbcl_stream_state(c->stream, i, &dev);
        cl_int flag = 0, zero = 0;
        if (nbcl_cl_check(clEnqueueReadBuffer(dev->queue, d->flags, CL_TRUE, 0, sizeof flag, &flag,
                                              0, NULL, NULL), "clEnqueueReadBuffer(flags)", err) ||
            nbcl_cl_check(clEnqueueWriteBuffer(dev->queue, d->flags, CL_TRUE, 0, sizeof zero, &zero,
                                               0, NULL, NULL), "clEnqueueWriteBuffer(flags)", err))
            return -1;
        if (flag) *fallback = 1;
    }
    return 0;
}

int nbcl_core_image(nbcl_core *c, const nbcl_sim *img, float *image, int image_zeroed,
                    nbcl_core_result *res, nbcl_err *err)
{
    memset(res, 0, sizeof *res);
    double t0 = nbcl_seconds();
    if (upload_image_tables(c, img, err)) return -1;
    double t1 = nbcl_seconds();
    c->times.upload = t1 - t0;
    float *planes[OUT_PLANES_PRINTOUT] = {NULL};
    planes[OUT_IMAGE] = image;   /* the solid angles are summed per tile (tile_done) */
    for (int p = OUT_BASIC; c->opts.printout && p < OUT_PLANES_PRINTOUT; ++p)
        planes[p] = c->printout_planes + (size_t)(p - OUT_BASIC) * c->npix;
    /* a detector of several panels: each panel's geometry in turn, streamed into its rows */
    double kernels = 0.0, readback = 0.0;
    int profiled = 1;
    for (int panel = 0; panel < c->npanels; ++panel) {
        nbcl_sim one = *img;
        if (img->panels) nbcl_sim_use_panel(&one, panel);
        if (upload_params(c, &one, err)) return -1;
        planes[OUT_IMAGE] = image + (size_t)panel * c->npix;
        c->panel = panel;
        c->mask = c->opts.mask ? c->opts.mask + (size_t)panel * c->npix : NULL;
        if (image_zeroed) nbcl_stream_planes_zeroed(c->stream, 1u << OUT_IMAGE);
        if (nbcl_stream_image(c->stream, planes, err)) return -1;
        /* each panel's pass gathers its own solid angles and device times */
        for (int i = 0; i < nbcl_stream_devices(c->stream); ++i)
            res->omega_sum += ((devstate *)nbcl_stream_state(c->stream, i, NULL))->omega_sum;
        double k = 0.0, r = 0.0;
        if (!nbcl_stream_device_times(c->stream, &k, &r)) profiled = 0;
        kernels += k;
        readback += r;
    }
    double t2 = nbcl_seconds();
    c->times.streaming = t2 - t1;
    c->times.kernels = profiled ? kernels : -1.0;
    c->times.readback = profiled ? readback : -1.0;
    if (take_fallback_flags(c, &res->interpolation_fallback, err)) return -1;
    if (c->opts.printout) {
        /* each value came back as a float pair */
        for (size_t j = 0; j < PO_COUNT; ++j)
            for (size_t i = 0; i < c->npix; ++i)
                c->printout[j * c->npix + i] = (double)c->printout_planes[2 * j * c->npix + i] +
                                               (double)c->printout_planes[(2 * j + 1) * c->npix + i];
        res->printout = c->printout;
    }
    c->times.host = nbcl_seconds() - t2;
    return 0;
}

/* ------------------------------------------------------------------ point spread */

/* the point spread on the first device, on a queue of its own (so that a writer thread may
 * run it while the stream simulates the next image) */
static int run_psf(nbcl_core *c, const nbcl_psf_kernel *k, const float *in, int fpixels,
                   int spixels, float *out, nbcl_err *err)
{
    nbcl_devctx *dev;
    devstate *d = nbcl_stream_state(c->stream, 0, &dev);
    size_t npix = (size_t)fpixels * (size_t)spixels, side = 2 * (size_t)k->radius + 1;
    cl_int rc;
    if (!c->psf_queue) {
        c->psf_queue = clCreateCommandQueue(dev->context, dev->info->id, 0, &rc);
        if (nbcl_cl_check(rc, "clCreateCommandQueue(point spread)", err)) {
            c->psf_queue = NULL;
            return -1;
        }
    }
    cl_mem w = nbcl_upload(dev->context, k->w, side * side, 0, plain_layout(d->use_double), "point-spread", err);
    if (!w) return -1;
    cl_mem bin = clCreateBuffer(dev->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                npix * sizeof(float), (void *)in, &rc);
    cl_mem bout = NULL;
    int fail = nbcl_cl_check(rc, "clCreateBuffer(point-spread input)", err);
    if (!fail) {
        bout = clCreateBuffer(dev->context, CL_MEM_WRITE_ONLY, npix * sizeof(float), NULL, &rc);
        fail = nbcl_cl_check(rc, "clCreateBuffer(point-spread output)", err);
    }
    cl_int radius = k->radius, f = fpixels, s = spixels;
    const void *args[] = {&bin, &w, &radius, &f, &s, &bout};
    const size_t sizes[] = {sizeof bin, sizeof w, sizeof radius, sizeof f, sizeof s, sizeof bout};
    for (cl_uint i = 0; !fail && i < 6; ++i)
        fail = nbcl_cl_check(clSetKernelArg(d->psf, i, sizes[i], args[i]), "clSetKernelArg(nbcl_psf)", err);
    size_t global = (npix + (size_t)d->vw - 1) / (size_t)d->vw;   /* NBCL_VW pixels a work-item;
                                                                       the work-group size is the runtime's choice */
    if (!fail)
        fail = nbcl_cl_check(clEnqueueNDRangeKernel(c->psf_queue, d->psf, 1, NULL, &global, NULL,
                                                    0, NULL, NULL), "clEnqueueNDRangeKernel(nbcl_psf)", err);
    if (!fail)
        fail = nbcl_cl_check(clEnqueueReadBuffer(c->psf_queue, bout, CL_TRUE, 0, npix * sizeof(float),
                                                 out, 0, NULL, NULL), "clEnqueueReadBuffer(point spread)", err);
    clReleaseMemObject(w);
    if (bin) clReleaseMemObject(bin);
    if (bout) clReleaseMemObject(bout);
    return fail ? -1 : 0;
}

int nbcl_core_psf(nbcl_core *c, const nbcl_psf_kernel *k, const float *in, int fpixels,
                  int spixels, float *out, nbcl_err *err)
{
    if (fpixels != c->sim->fpixels || spixels != c->sim->spixels)
        return nbcl_err_code(err, NBCL_E_INVALID, "point spread: the image is not the detector's size");
    pthread_mutex_lock(&c->psf_lock);
    int rc = run_psf(c, k, in, fpixels, spixels, out, err);
    pthread_mutex_unlock(&c->psf_lock);
    return rc;
}

const nbcl_core_times *nbcl_core_timing(const nbcl_core *c)
{
    return &c->times;
}

/* ------------------------------------------------------------------ open and close */

static int alloc_host(nbcl_core *c, nbcl_err *err)
{
    c->npanels = c->sim->npanels > 0 ? c->sim->npanels : 1;
    c->rows = c->sim->spixels / c->npanels;
    if (c->npanels > 1 && c->opts.printout)
        return nbcl_err_code(err, NBCL_E_INVALID, "-printout: one panel at a time only (the detector has %d)",
                             c->npanels);
    c->npix = (size_t)c->sim->fpixels * (size_t)c->rows;
    if (c->sim->fpixels <= 0 || c->sim->spixels <= 0 || c->npix > SIZE_MAX / (sizeof(double) * 2 * PO_COUNT))
        return nbcl_err_code(err, NBCL_E_INVALID, "detector of %d x %d pixels", c->sim->fpixels, c->sim->spixels);
    c->lambdas = malloc(sizeof(double) * (size_t)(c->sim->nsources > 0 ? c->sim->nsources : 1));
    if (!c->lambdas) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the sources");
    memcpy(c->lambdas, c->sim->source_lambda, sizeof(double) * (size_t)c->sim->nsources);
    if (!c->opts.printout) return 0;
    c->printout_planes = malloc(sizeof(float) * 2 * PO_COUNT * c->npix);
    c->printout = malloc(sizeof(double) * PO_COUNT * c->npix);
    if (!c->printout_planes || !c->printout)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for -printout");
    return 0;
}

static int copy_inputs(nbcl_core *c, const nbcl_sim *sim, const nbcl_device_info *devices,
                       int ndevices, nbcl_err *err)
{
    c->sim = sim;
    c->devices = malloc(sizeof *devices * (size_t)ndevices);
    if (!c->devices) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory");
    memcpy(c->devices, devices, sizeof *devices * (size_t)ndevices);
    c->ndevices = ndevices;
    c->mask = c->opts.mask;
    if (nbcl_orientation_count(c->sim, &c->norient))
        return nbcl_err_code(err, NBCL_E_NOMEM, "%d phi steps x %d mosaic domains: too many orientations "
                             "for host memory", c->sim->phisteps, c->sim->mosaic_domains);
    return 0;
}

int nbcl_core_open(const nbcl_sim *sim, const nbcl_device_info *devices, int ndevices,
                   const nbcl_core_opts *opts, nbcl_core **out, nbcl_err *err)
{
    *out = NULL;
    if (!devices || ndevices <= 0) return nbcl_err_code(err, NBCL_E_NO_DEVICE, "no OpenCL device to run on");
    if (ndevices > 1 && ((opts->kernel_binary && *opts->kernel_binary) ||
                         (opts->save_kernel_binary && *opts->save_kernel_binary)))
        return nbcl_err_code(err, NBCL_E_INVALID, "-kernel_binary and -save_kernel_binary hold "
                             "the program of one device: choose one -device (%d chosen)", ndevices);
    nbcl_core *c = calloc(1, sizeof *c);
    if (!c) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory");
    pthread_mutex_init(&c->psf_lock, NULL);
    c->opts = *opts;
    c->times.program_cached = 1;
    nbcl_program_cache_init(&c->cache, opts->cache_dir, cache_note, opts->log);
    int rc = copy_inputs(c, sim, devices, ndevices, err);
    if (!rc) rc = alloc_host(c, err);
    if (!rc) rc = run_vector_width(c, err);
    if (!rc) run_wide_arithmetic(c);
    if (!rc) rc = check_extra_options(c, err);
    if (!rc) rc = assemble_source(c, err);
    if (!rc) {
        /* the lattice stage's scratch: its stage-1 planes of reals */
        size_t real_size = opts->use_double ? sizeof(double) : sizeof(float);
        nbcl_stream_opts so = {.tile = opts->tile,
                               .nplanes = opts->printout ? OUT_PLANES_PRINTOUT : OUT_BASIC,
                               .scratch_per_pixel = real_size * (opts->printout ? S1_COUNT : S1_BASIC),
                               .progress = opts->progress ? NBCL_PROGRESS_AUTO : NBCL_PROGRESS_NONE,
                               .use_double = opts->use_double,
                               /* only the tiles meeting the ROI: time and memory grow with
                                  the ROI, not the detector (a detector of several panels
                                  has no ROI: the stream is one panel high) */
                               .limit = 1,
                               .region = {c->sim->roi_xmin, c->sim->roi_xmax, c->sim->roi_ymin,
                                          c->npanels > 1 ? c->rows - 1 : c->sim->roi_ymax},
                               .log = opts->log};
        rc = nbcl_stream_open(c->devices, c->ndevices, &OPS, c, &so, c->sim->fpixels, c->rows,
                              &c->stream, err);
    }
    if (rc) {
        nbcl_core_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int nbcl_core_tile(const nbcl_core *c)
{
    return nbcl_stream_tile_size(c->stream);
}

void nbcl_core_close(nbcl_core *c)
{
    if (!c) return;
    if (c->psf_queue) clReleaseCommandQueue(c->psf_queue);
    pthread_mutex_destroy(&c->psf_lock);
    nbcl_stream_close(c->stream);
    free(c->devices);
    free(c->source);
    free(c->printout_planes);
    free(c->printout);
    free(c->lambdas);
    free(c);
}
