/* engine.c: the bridge between a resolved simulation and the kernels.
 * Per device: build the kernels with the run's precision, vector width and options as
 * constants, upload the tables once (scalar parameters, sources, crystal orientations, HKL grid),
 * then for every tile enqueue the lattice-factor stage and the scaling stage. Nothing per
 * tile grows with the number of sources, phi steps or mosaic domains. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "engine/engine.h"
#include "device/program.h"
#include "device/stream.h"
#include "engine/kparams.h"
#include "base/vec3.h"

#define STAGE1_PLANES 5        /* I, polar, omega, capture, omega summed */
#define STAGE1_PLANES_MAX 14    /* with the -printout values */
#define OUT_PLANES 2
#define PRINTOUT_PLANES (2 * NBCL_PRINTOUT_VALUES)
#define GRID_INTS 17
#define LOCAL_SIZE 64

static const char *const KERNEL_FILES[] = {"real.cl", "wide.cl", "physics.cl",
                                           "structure_factor.cl", "lattice_stage.cl",
                                           "scale_stage.cl"};

typedef struct engine {
    const nbcl_sim *sim;
    const nbcl_engine_opts *opts;
    double *orientations;
    int norient;
    pthread_mutex_t lock;
    int fallback;
} engine;

typedef struct devstate {
    cl_program program;
    cl_kernel lattice, scale;
    cl_mem P, sources, crystal, grid, G, mask, stage1, flags;
    size_t stage1_pixels;
    size_t real_size;
    unsigned char *mask_tile;
    cl_context context;
    cl_device_id device;
    int vw;                 /* pixels per work-item (vector lanes) */
} devstate;

double *nbcl_crystal_orientations(const nbcl_sim *s, int *count)
{
    int n = s->phisteps * s->mosaic_domains;
    double *t = malloc(sizeof(double) * 9 * (size_t)(n > 0 ? n : 1));
    if (!t) return NULL;
    for (int p = 0; p < s->phisteps; ++p) {
        double phi = s->phi0 + s->phistep * p;
        double ap[3], bp[3], cp[3];
        /* phi = 0 is the unrotated crystal */
        if (phi != 0.0) {
            nbcl_rotate_axis(s->a0, ap, s->spindle, phi);
            nbcl_rotate_axis(s->b0, bp, s->spindle, phi);
            nbcl_rotate_axis(s->c0, cp, s->spindle, phi);
        } else {
            v3_copy(s->a0, ap); v3_copy(s->b0, bp); v3_copy(s->c0, cp);
        }
        for (int m = 0; m < s->mosaic_domains; ++m) {
            double *o = t + 9 * ((size_t)p * s->mosaic_domains + m);
            if (s->mosaic_spread > 0.0) {
                const double *u = s->mosaic_umats + 9 * m;
                nbcl_rotate_umat(ap, o, u);
                nbcl_rotate_umat(bp, o + 3, u);
                nbcl_rotate_umat(cp, o + 6, u);
            } else {
                v3_copy(ap, o); v3_copy(bp, o + 3); v3_copy(cp, o + 6);
            }
        }
    }
    *count = n;
    return t;
}

/* Host doubles to the device's real type. In single precision every value the kernels
 * read as "wide" (see kernels/wide.cl) travels as a float pair: each block of `block`
 * values becomes `block` high parts followed by `block` low parts; block 0: plain floats. */
static void *to_device(const double *v, size_t n, int use_double, size_t block, size_t *bytes)
{
    size_t count = (use_double || block == 0) ? n : 2 * n;
    void *out = malloc((use_double ? sizeof(double) : sizeof(float)) * (count ? count : 1));
    if (!out) return NULL;
    *bytes = (use_double ? sizeof(double) : sizeof(float)) * (count ? count : 1);
    if (use_double) {
        if (n) memcpy(out, v, sizeof(double) * n);
        return out;
    }
    float *f = out;
    if (block == 0) {
        for (size_t i = 0; i < n; ++i) f[i] = (float)v[i];
        return out;
    }
    for (size_t i = 0; i < n; ++i) {
        size_t b = i / block, k = i % block;
        float hi = (float)v[i];
        f[2 * block * b + k] = hi;
        f[2 * block * b + block + k] = (float)(v[i] - (double)hi);
    }
    return out;
}

static cl_mem upload(cl_context ctx, const double *v, size_t n, size_t block, int use_double,
                     const char *what, nbcl_err *err)
{
    size_t bytes = 0;
    void *host = to_device(v, n, use_double, block, &bytes);
    if (!host) {
        nbcl_err_set(err, "out of host memory for the %s table", what);
        return NULL;
    }
    cl_int rc;
    cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, host, &rc);
    free(host);
    if (nbcl_cl_check(rc, "clCreateBuffer", err)) return NULL;
    return m;
}

static void fill_params(const nbcl_sim *s, double P[KP_COUNT])
{
    const double *vecs[] = {s->fdet, s->sdet, s->odet, s->pix0, s->beam, s->polar_vector,
                            s->a_star, s->b_star, s->c_star};
    for (int v = 0; v < 9; ++v)
        for (int k = 0; k < 3; ++k) P[KP_FDET_X + 3 * v + k] = vecs[v][k];
    P[KP_NA] = s->Na; P[KP_NB] = s->Nb; P[KP_NC] = s->Nc;
    P[KP_SUBPIXEL] = s->subpixel_size;
    P[KP_PIXEL] = s->pixel_size;
    P[KP_DISTANCE] = s->distance;
    P[KP_CLOSE_DISTANCE] = s->close_distance;
    P[KP_THICKSTEP] = s->thickstep;
    P[KP_MU] = s->mu;
    P[KP_KAHN] = s->polarization;
    P[KP_DEFAULT_F] = s->default_F;
    P[KP_FUDGE] = s->fudge;
    P[KP_DMIN] = s->dmin;
    P[KP_I_BG] = s->I_bg;
    P[KP_R_E_SQR] = s->r_e_sqr;
    P[KP_FLUENCE] = s->fluence;
    P[KP_STEPS] = (double)s->steps;
}

static char *params_prelude(void)
{
    static const char *names[] = {
#define NBCL_KP_NAME(name) #name,
        NBCL_KPARAMS(NBCL_KP_NAME)
#undef NBCL_KP_NAME
    };
    size_t cap = 64 * KP_COUNT + 1, len = 0;
    char *p = malloc(cap);
    if (!p) return NULL;
    p[0] = '\0';
    for (int i = 0; i < KP_COUNT; ++i)
        len += (size_t)snprintf(p + len, cap - len, "#define KP_%s %d\n", names[i], i);
    snprintf(p + len, cap - len, "#define KP_COUNT %d\n", KP_COUNT);
    return p;
}

/* Pixels per work-item: the device's preferred vector width for the precision (1 on most
 * GPUs, 8 or 16 on a CPU with AVX-512), or NBCL_VECTOR_WIDTH from the environment. */
static int vector_width(cl_device_id dev, int use_double)
{
    const char *env = getenv("NBCL_VECTOR_WIDTH");
    cl_uint w = 1;
    if (env && *env) {
        w = (cl_uint)atoi(env);
    } else if (clGetDeviceInfo(dev, use_double ? CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE
                                               : CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT,
                               sizeof w, &w, NULL) != CL_SUCCESS) {
        w = 1;
    }
    static const int allowed[] = {16, 8, 4, 2, 1};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; ++i)
        if ((cl_uint)allowed[i] <= w) return allowed[i];
    return 1;
}

/* a grid whose cell indices a float cannot count exactly */
static int big_grid(const nbcl_sim *s, int use_double)
{
    const nbcl_hkl *g = &s->hkl;
    double cells = g->hkls ? (double)(g->h_range + 1) * (g->k_range + 1) * (g->l_range + 1) : 0.0;
    return !use_double && cells >= 16777216.0;
}

static void build_options(const engine *e, int use_double, int vw, char *buf, size_t n)
{
    const nbcl_sim *s = e->sim;
    int len = snprintf(buf, n,
                       "%s -DNBCL_VW=%d -DNBCL_SHAPE=%d",
                       use_double ? "-DNBCL_DOUBLE=1" : "-cl-single-precision-constant", vw,
                       (int)s->shape);
    struct { int on; const char *def; } flags[] = {
        {s->oversample_thick, "NBCL_OS_THICK"}, {s->oversample_polar, "NBCL_OS_POLAR"},
        {s->oversample_omega, "NBCL_OS_OMEGA"}, {s->nopolar, "NBCL_NOPOLAR"},
        {s->water_size != 0.0, "NBCL_HAVE_WATER"}, {s->dmin > 0.0, "NBCL_HAVE_DMIN"},
        {s->thick != 0.0, "NBCL_HAVE_THICK"}, {e->opts->mask != NULL, "NBCL_HAVE_MASK"},
        {s->curved_detector, "NBCL_CURVED"}, {s->point_pixel, "NBCL_POINT_PIXEL"},
        {e->opts->printout, "NBCL_PRINTOUT"}, {big_grid(s, use_double), "NBCL_BIG_GRID"}, {s->interpolate, "NBCL_INTERPOLATE"}, {s->hkl.hkls > 0, "NBCL_HAVE_GRID"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i)
        if (flags[i].on) len += snprintf(buf + len, n - (size_t)len, " -D%s", flags[i].def);
}

static int create_tables(engine *e, devstate *d, cl_context ctx, int use_double, nbcl_err *err)
{
    const nbcl_sim *s = e->sim;
    double P[KP_COUNT];
    fill_params(s, P);
    if (!(d->P = upload(ctx, P, KP_COUNT, KP_COUNT, use_double, "parameter", err))) return -1;

    double *src = malloc(sizeof(double) * 4 * (size_t)s->nsources);
    if (!src) return nbcl_err_set(err, "out of host memory for the source table");
    for (int i = 0; i < s->nsources; ++i) {
        for (int k = 0; k < 3; ++k) src[4 * i + k] = -s->source_dir[3 * i + k];
        /* float pairs carry 1/lambda, so that the kernel multiplies (kernels/lattice_stage.cl) */
        src[4 * i + 3] = use_double ? s->source_lambda[i] : 1.0 / s->source_lambda[i];
    }
    d->sources = upload(ctx, src, 4 * (size_t)s->nsources, 4 * (size_t)s->nsources, use_double,
                        "source", err);
    free(src);
    if (!d->sources) return -1;
    if (!(d->crystal = upload(ctx, e->orientations, 9 * (size_t)e->norient, 9, use_double, "crystal", err)))
        return -1;

    const nbcl_hkl *g = &s->hkl;
    size_t ngrid = g->hkls ? (size_t)(g->h_range + 1) * (g->k_range + 1) * (g->l_range + 1) : 1;
    double zero = 0.0;
    if (!(d->grid = upload(ctx, g->hkls ? g->F : &zero, ngrid, 0, use_double, "HKL", err))) return -1;

    /* grid extents, ROI, loop counts: see nbcl_lattice (NBCL_HAVE_GRID says if there is a grid) */
    cl_int G[GRID_INTS] = {g->h_min, g->k_min, g->l_min, g->h_max, g->k_max, g->l_max,
                           g->h_range, g->k_range, g->l_range,
                           s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax,
                           s->thicksteps, s->oversample, s->nsources, e->norient};
    cl_int rc;
    d->G = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof G, G, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer", err)) return -1;
    cl_int zeroflag = 0;
    d->flags = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof zeroflag, &zeroflag, &rc);
    return nbcl_cl_check(rc, "clCreateBuffer", err);
}

static int device_init(void *user, nbcl_devctx *dev, void **state, nbcl_err *err)
{
    engine *e = user;
    devstate *d = calloc(1, sizeof *d);
    if (!d) return nbcl_err_set(err, "out of host memory");
    *state = d;
    d->context = dev->context;
    d->device = dev->info->id;
    d->real_size = dev->use_double ? sizeof(double) : sizeof(float);
    char *prelude = params_prelude();
    char options[1024];
    d->vw = vector_width(dev->info->id, dev->use_double);
    build_options(e, dev->use_double, d->vw, options, sizeof options);
    int rc = nbcl_program_build(dev->context, dev->info->id, prelude, KERNEL_FILES,
                                (int)(sizeof KERNEL_FILES / sizeof KERNEL_FILES[0]), options,
                                &d->program, err);
    free(prelude);
    if (rc) return -1;
    cl_int crc;
    d->lattice = clCreateKernel(d->program, "nbcl_lattice", &crc);
    if (nbcl_cl_check(crc, "clCreateKernel(nbcl_lattice)", err)) return -1;
    d->scale = clCreateKernel(d->program, "nbcl_scale", &crc);
    if (nbcl_cl_check(crc, "clCreateKernel(nbcl_scale)", err)) return -1;
    return create_tables(e, d, dev->context, dev->use_double, err);
}

/* stage1 planes are padded to whole work-items of d->vw pixels */
static size_t padded(const devstate *d, size_t npix)
{
    return (npix + (size_t)d->vw - 1) / (size_t)d->vw * (size_t)d->vw;
}

static int ensure_scratch(engine *e, devstate *d, cl_context ctx, size_t npix, nbcl_err *err)
{
    if (npix <= d->stage1_pixels) return 0;
    cl_int rc;
    if (d->stage1) clReleaseMemObject(d->stage1);
    if (d->mask) clReleaseMemObject(d->mask);
    d->mask = NULL;
    size_t planes = e->opts->printout ? STAGE1_PLANES_MAX : STAGE1_PLANES;
    d->stage1 = clCreateBuffer(ctx, CL_MEM_READ_WRITE, d->real_size * planes * padded(d, npix), NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(stage1)", err)) return -1;
    d->mask = clCreateBuffer(ctx, CL_MEM_READ_ONLY, e->opts->mask ? npix : 1, NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateBuffer(mask)", err)) return -1;
    free(d->mask_tile);
    d->mask_tile = malloc(npix);
    if (!d->mask_tile) return nbcl_err_set(err, "out of host memory for a tile mask");
    d->stage1_pixels = npix;
    return 0;
}

static int upload_tile_mask(engine *e, devstate *d, cl_command_queue q, const nbcl_tile *t,
                            nbcl_err *err)
{
    int width = e->sim->fpixels;
    for (int y = 0; y < t->h; ++y)
        for (int x = 0; x < t->w; ++x)
            d->mask_tile[y * t->w + x] = e->opts->mask[(size_t)(t->y0 + y) * width + t->x0 + x] != 0;
    cl_int rc = clEnqueueWriteBuffer(q, d->mask, CL_TRUE, 0, (size_t)t->w * t->h, d->mask_tile,
                                     0, NULL, NULL);
    return nbcl_cl_check(rc, "clEnqueueWriteBuffer(mask)", err);
}

#define SET_ARG(k, i, v) \
    if (nbcl_cl_check(clSetKernelArg(k, i, sizeof(v), &(v)), "clSetKernelArg(" #k ")", err)) return -1

static int enqueue_tile(void *user, void *state, nbcl_devctx *dev, const nbcl_tile *t,
                        cl_mem out, nbcl_err *err)
{
    engine *e = user;
    devstate *d = state;
    size_t npix = (size_t)t->w * t->h;
    if (ensure_scratch(e, d, dev->context, npix, err)) return -1;
    if (e->opts->mask && upload_tile_mask(e, d, dev->queue, t, err)) return -1;
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
    SET_ARG(d->scale, 0, d->P);
    SET_ARG(d->scale, 1, d->stage1);
    SET_ARG(d->scale, 2, n);
    SET_ARG(d->scale, 3, stride);
    SET_ARG(d->scale, 4, out);
    size_t local = LOCAL_SIZE;
    size_t items = (size_t)stride / (size_t)d->vw;
    size_t global = (items + local - 1) / local * local;
    cl_int rc = clEnqueueNDRangeKernel(dev->queue, d->lattice, 1, NULL, &global, &local, 0, NULL, NULL);
    if (nbcl_cl_check(rc, "clEnqueueNDRangeKernel(nbcl_lattice)", err)) return -1;
    global = (npix + local - 1) / local * local;
    rc = clEnqueueNDRangeKernel(dev->queue, d->scale, 1, NULL, &global, &local, 0, NULL, NULL);
    return nbcl_cl_check(rc, "clEnqueueNDRangeKernel(nbcl_scale)", err);
}

/* Did any interpolation on this device fall back to default_F? Read once, at the end. */
static int read_fallback_flag(devstate *d)
{
    cl_int rc, flag = 0;
    cl_command_queue q = clCreateCommandQueue(d->context, d->device, 0, &rc);
    if (rc != CL_SUCCESS) return 0;
    rc = clEnqueueReadBuffer(q, d->flags, CL_TRUE, 0, sizeof flag, &flag, 0, NULL, NULL);
    clReleaseCommandQueue(q);
    return rc == CL_SUCCESS && flag != 0;
}

static void device_release(void *user, void *state)
{
    engine *e = user;
    devstate *d = state;
    if (!d) return;
    if (d->flags && read_fallback_flag(d)) {
        pthread_mutex_lock(&e->lock);
        e->fallback = 1;
        pthread_mutex_unlock(&e->lock);
    }
    cl_mem mems[] = {d->P, d->sources, d->crystal, d->grid, d->G, d->mask, d->stage1, d->flags};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; ++i)
        if (mems[i]) clReleaseMemObject(mems[i]);
    if (d->lattice) clReleaseKernel(d->lattice);
    if (d->scale) clReleaseKernel(d->scale);
    if (d->program) clReleaseProgram(d->program);
    free(d->mask_tile);
    free(d);
}

int nbcl_engine_run(const nbcl_sim *sim, const nbcl_device_info *devices, int ndevices,
                    const nbcl_engine_opts *opts, nbcl_engine_result *out, nbcl_err *err)
{
    engine e = {.sim = sim, .opts = opts};
    pthread_mutex_init(&e.lock, NULL);
    memset(out, 0, sizeof *out);
    e.orientations = nbcl_crystal_orientations(sim, &e.norient);
    size_t npix = (size_t)sim->fpixels * sim->spixels;
    int nplanes = OUT_PLANES + (opts->printout ? PRINTOUT_PLANES : 0);
    float *planes[OUT_PLANES + PRINTOUT_PLANES] = {NULL};
    /* plane 0 is the image handed to the caller; the others share one block */
    float *image = malloc(sizeof(float) * npix);
    float *block = malloc(sizeof(float) * npix * (size_t)(nplanes - 1));
    int rc = -1;
    if (!e.orientations || !image || !block) {
        nbcl_err_set(err, "out of host memory for a %dx%d detector", sim->fpixels, sim->spixels);
        goto done;
    }
    planes[0] = image;
    for (int p = 1; p < nplanes; ++p) planes[p] = block + (size_t)(p - 1) * npix;
    nbcl_stream_ops ops = {device_init, enqueue_tile, device_release};
    nbcl_stream_opts so = {.tile = opts->tile, .nplanes = nplanes,
                           .progress = opts->progress ? NBCL_PROGRESS_AUTO : NBCL_PROGRESS_NONE,
                           .use_double = opts->use_double};
    rc = nbcl_stream_run(devices, ndevices, &ops, &e, &so, planes, sim->fpixels, sim->spixels, err);
    if (rc == 0) {
        double sum = 0.0;
        for (size_t i = 0; i < npix; ++i) sum += planes[1][i];
        out->omega_sum = sum;
        out->image = image;
        image = NULL;
        if (opts->printout) {
            out->printout = malloc(sizeof(double) * npix * NBCL_PRINTOUT_VALUES);
            if (!out->printout) {
                rc = nbcl_err_set(err, "out of host memory for -printout");
                goto done;
            }
            for (int j = 0; j < NBCL_PRINTOUT_VALUES; ++j)
                for (size_t i = 0; i < npix; ++i)
                    out->printout[(size_t)j * npix + i] =
                        (double)planes[OUT_PLANES + 2 * j][i] + (double)planes[OUT_PLANES + 2 * j + 1][i];
        }
        out->interpolation_fallback = e.fallback;
    }
done:
    free(image);
    free(block);
    free(e.orientations);
    pthread_mutex_destroy(&e.lock);
    return rc;
}
