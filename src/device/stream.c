/* stream.c: the detector cut into tiles and streamed through every selected device.
 * One thread per device takes tiles from a shared counter. Each device owns a small ring of
 * output buffers: the kernel of a new tile is queued while the host waits for and copies an
 * older one (the host maps each finished tile's buffer, without blocking: on a CPU device
 * the map is the buffer itself, no copy), so device and host overlap. Normally two tiles are in
 * flight (double buffering); when tiles take only microseconds the ring lets up to 64 be
 * queued so tiny tiles do not pay a full round trip each. Device memory is a few tiles,
 * whatever the detector size. Queues profile their commands: a marker before each tile's
 * kernels and the tile's read give the device time of the kernels and of the read-back
 * (for -timing). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/clear.h"
#include "base/clock.h"
#include "device/clerr.h"
#include "device/stream.h"

#define NBCL_RING_BYTES (8u << 20)   /* device memory for a ring, unless 2 tiles need more */
#define NBCL_RING_MAX 64
#define NBCL_TILE_MAX 2048
#define NBCL_QUEUED_SECONDS 0.02     /* work each device may have queued beyond 2 tiles */
#define NBCL_TILE_BUDGET (16u << 20) /* a tile's scratch and two output buffers (device and
                                        host copies), unless occupancy needs more: on a CPU
                                        device they are host memory */
/* A GPU that also drives a display stops kernels after a few seconds (watchdog): an
 * automatic tile that takes longer than NBCL_GPU_TILE_SECONDS there is cut to take about
 * NBCL_GPU_TILE_TARGET, and the image starts again with it. */
#define NBCL_GPU_TILE_SECONDS 0.5
#define NBCL_GPU_TILE_TARGET 0.2
#define NBCL_GPU_TILE_MIN 16

/* ------------------------------------------------------------------ progress */

typedef struct nbcl_progress_state {
    int mode;            /* 0 none, 1 terminal bar, 2 one line per 10% */
    long long total, done;
    double t0, last_draw;
    int last_decile, drawn;
} nbcl_progress_state;

static void nbcl_hms(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void nbcl_progress_init(nbcl_progress_state *p, enum nbcl_progress mode, long long total)
{
    memset(p, 0, sizeof *p);
    p->mode = mode == NBCL_PROGRESS_NONE ? 0 : isatty(fileno(stderr)) ? 1 : 2;
    p->total = total;
    p->t0 = nbcl_seconds();
}

static void nbcl_progress_bar(nbcl_progress_state *p, double frac, double elapsed, double eta)
{
    char bar[41], el[32], et[32];
    int fill = (int)(frac * 40.0);
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : ' ';
    bar[40] = '\0';
    nbcl_hms(el, sizeof el, elapsed);
    nbcl_hms(et, sizeof et, eta);
    fprintf(stderr, "\r[%s] %3d%%  elapsed %s  ETA %s ", bar, (int)(frac * 100.0), el, et);
    fflush(stderr);
    p->drawn = 1;
}

/* Called with the streamer's lock held, after each finished tile. */
static void nbcl_progress_add(nbcl_progress_state *p, long long pixels)
{
    p->done += pixels;
    if (p->mode == 0 || p->total <= 0)
        return;
    double now = nbcl_seconds(), elapsed = now - p->t0;
    double frac = (double)p->done / (double)p->total;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    if (p->mode == 1) {
        if (now - p->last_draw >= 0.2 || p->done == p->total) {
            nbcl_progress_bar(p, frac, elapsed, eta);
            p->last_draw = now;
        }
        return;
    }
    int decile = (int)(frac * 10.0 + 1e-9);
    if (decile > p->last_decile) {
        p->last_decile = decile;
        fprintf(stderr, "progress: %3d%%  (%.1f s elapsed, ETA %.1f s)\n", decile * 10,
                elapsed, eta);
        fflush(stderr);
    }
}

static void nbcl_progress_end(nbcl_progress_state *p)
{
    if (p->mode == 1 && p->drawn)
        fputc('\n', stderr);
}

/* ------------------------------------------------------------------ shared state */

typedef struct nbcl_shared {
    const nbcl_stream_ops *ops;
    void *user;
    float **planes;
    int width, height, nplanes, tile, ntx, multi;
    int tx0, ty0;            /* the first tile computed (column, row); ntx columns of them */
    int region[4];           /* the pixels computed: xmin, xmax, ymin, ymax (xmax < xmin: none) */
    long ntiles;
    atomic_long next;        /* next tile to hand out */
    atomic_int stop;         /* set on the first error */
    pthread_mutex_t lock;    /* guards failed, err, progress */
    int failed;
    nbcl_err err;
    nbcl_progress_state progress;
    /* the rows handed to ops->rows_done, in order, on the rows thread (guarded by lock) */
    int *band_tiles;         /* tiles copied per tile row of the pass */
    long nbands, next_band;  /* tile rows of the pass; the first not complete yet */
    int rows_ready;          /* rows 0 .. rows_ready - 1 are final in this pass */
    int rows_given;          /* rows already handed over (this image, across passes) */
    int rows_finished;       /* the pass is over: hand over what is ready, then stop */
    pthread_cond_t rows_cond;
    int auto_tile;           /* the tile edge was chosen here, so it may be made smaller */
    int slow_tile;           /* a GPU tile was too slow: the edge to use instead (0: none) */
    double slow_seconds;     /* how long that tile took */
} nbcl_shared;

typedef struct nbcl_slot {
    cl_mem out;              /* allocated for host access (CL_MEM_ALLOC_HOST_PTR) */
    float *host;             /* out mapped for reading while a tile is in flight, else NULL */
    cl_event begin;          /* a marker queued before the tile's kernels */
    cl_event done;           /* the map of out for the host; NULL when the slot is free */
    nbcl_tile tile;
} nbcl_slot;

typedef struct nbcl_worker {
    nbcl_shared *sh;
    nbcl_devctx dev;
    void *state;
    int inited;
    nbcl_slot *slots;
    int nslots;
    double tile_seconds;     /* running mean of the time between finished tiles */
    double last_finish;
    double kernel_seconds;   /* this image: device time of the kernels, of the reads, and */
    double read_seconds;     /* the host's copies of the tiles into the planes */
    int profiled;            /* every tile's profiling was available */
    pthread_t thread;
    int started;
} nbcl_worker;

/* First error wins; everyone else stops at their next tile. */
static void nbcl_shared_fail(nbcl_shared *sh, const nbcl_devctx *dev, const nbcl_err *err)
{
    pthread_mutex_lock(&sh->lock);
    if (!sh->failed) {
        sh->failed = 1;
        if (sh->multi)
            nbcl_err_set(&sh->err, "on device %d (%s): %s", dev->info->index, dev->info->name,
                         err->msg);
        else
            sh->err = *err;
    }
    pthread_mutex_unlock(&sh->lock);
    atomic_store(&sh->stop, 1);
}

static nbcl_tile nbcl_tile_of(const nbcl_shared *sh, long k)
{
    nbcl_tile t;
    t.x0 = (sh->tx0 + (int)(k % sh->ntx)) * sh->tile;
    t.y0 = (sh->ty0 + (int)(k / sh->ntx)) * sh->tile;
    t.w = sh->width - t.x0 < sh->tile ? sh->width - t.x0 : sh->tile;
    t.h = sh->height - t.y0 < sh->tile ? sh->height - t.y0 : sh->tile;
    return t;
}

static size_t nbcl_tile_floats(const nbcl_tile *t, int nplanes)
{
    return (size_t)t->w * (size_t)t->h * (size_t)nplanes;
}

/* ------------------------------------------------------------------ tile sizes */

int nbcl_stream_auto_tile(const nbcl_device_info *devices, int ndevices, int nplanes,
                          int width, int height)
{
    return nbcl_stream_auto_tile_scratch(devices, ndevices, nplanes, 0, width, height);
}

int nbcl_stream_auto_tile_scratch(const nbcl_device_info *devices, int ndevices, int nplanes,
                                  size_t scratch_per_pixel, int width, int height)
{
    double cap = 1e300, occupancy = 1.0;
    for (int i = 0; i < ndevices; i++) {
        double mem = (double)devices[i].global_mem / 8.0;
        double alloc = (double)devices[i].max_alloc;
        cap = fmin(cap, fmin(mem, alloc));
        occupancy = fmax(occupancy, sqrt((double)devices[i].compute_units * 2048.0));
    }
    /* the largest single buffer per pixel: the output planes or the scratch */
    double per_pixel = fmax(4.0 * (nplanes > 0 ? nplanes : 1), (double)scratch_per_pixel);
    double by_memory = floor(sqrt(cap / per_pixel));
    double balanced = floor(sqrt((double)width * height / (16.0 * (ndevices > 0 ? ndevices : 1))));
    double per_tile_pixel = (double)scratch_per_pixel + 16.0 * (nplanes > 0 ? nplanes : 1);
    double by_budget = floor(sqrt((double)NBCL_TILE_BUDGET / per_tile_pixel));
    double side = fmin(fmax(ceil(occupancy), fmin(balanced, by_budget)), fmin(by_memory, NBCL_TILE_MAX));
    double longest = width > height ? width : height;
    side = fmin(side, longest);
    return side < 1.0 ? 1 : (int)side;
}

/* Ring depth: enough tiles in flight to hide per-tile latency, within NBCL_RING_BYTES. */
static int nbcl_ring_depth(size_t slot_bytes)
{
    size_t n = NBCL_RING_BYTES / (slot_bytes ? slot_bytes : 1);
    return n < 2 ? 2 : n > NBCL_RING_MAX ? NBCL_RING_MAX : (int)n;
}

/* ------------------------------------------------------------------ one device */

static int nbcl_worker_open(nbcl_worker *w, const nbcl_device_info *info, int use_double,
                            size_t slot_bytes, nbcl_err *err)
{
    cl_int rc = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)info->platform, 0};
    w->dev.info = info;
    w->dev.use_double = use_double;
    w->dev.context = clCreateContext(props, 1, &info->id, NULL, NULL, &rc);
    if (nbcl_cl_check(rc, "clCreateContext", err))
        return -1;
    w->dev.queue = clCreateCommandQueue(w->dev.context, info->id, CL_QUEUE_PROFILING_ENABLE, &rc);
    if (nbcl_cl_check(rc, "clCreateCommandQueue", err))
        return -1;
    w->nslots = nbcl_ring_depth(slot_bytes);
    w->slots = calloc((size_t)w->nslots, sizeof *w->slots);
    if (!w->slots)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory for tile buffers");
    for (int i = 0; i < w->nslots; i++) {
        /* mapped, not read, by the host: on a CPU device the map is the buffer itself (no
         * copy), on a GPU the transfer lands in pinned memory */
        w->slots[i].out = clCreateBuffer(w->dev.context, CL_MEM_WRITE_ONLY | CL_MEM_ALLOC_HOST_PTR |
                                         CL_MEM_HOST_READ_ONLY, slot_bytes, NULL, &rc);
        if (nbcl_cl_check(rc, "clCreateBuffer", err))
            return -1;
    }
    if (w->sh->ops->device_init &&
        w->sh->ops->device_init(w->sh->user, &w->dev, &w->state, err))
        return -1;
    w->inited = 1;
    return 0;
}

/* Releases everything; the first failure is reported in err (if not already failing). */
static int nbcl_worker_close(nbcl_worker *w, nbcl_err *err)
{
    int rc = 0;
    for (int i = 0; w->slots && w->dev.queue && i < w->nslots; i++)
        if (w->slots[i].host)   /* still mapped after a failure */
            rc |= nbcl_cl_check(clEnqueueUnmapMemObject(w->dev.queue, w->slots[i].out, w->slots[i].host,
                                                        0, NULL, NULL), "clEnqueueUnmapMemObject",
                                rc ? NULL : err);
    if (w->dev.queue)
        rc |= nbcl_cl_check(clFinish(w->dev.queue), "clFinish", rc ? NULL : err);
    /* also after a failed device_init: it releases whatever part of its state it made */
    if ((w->inited || w->state) && w->sh && w->sh->ops->device_release)
        w->sh->ops->device_release(w->sh->user, w->state);
    for (int i = 0; w->slots && i < w->nslots; i++) {
        if (w->slots[i].done)
            rc |= nbcl_cl_check(clReleaseEvent(w->slots[i].done), "clReleaseEvent", rc ? NULL : err);
        if (w->slots[i].begin)
            rc |= nbcl_cl_check(clReleaseEvent(w->slots[i].begin), "clReleaseEvent", rc ? NULL : err);
        if (w->slots[i].out)
            rc |= nbcl_cl_check(clReleaseMemObject(w->slots[i].out), "clReleaseMemObject",
                                rc ? NULL : err);
    }
    free(w->slots);
    if (w->dev.queue)
        rc |= nbcl_cl_check(clReleaseCommandQueue(w->dev.queue), "clReleaseCommandQueue",
                            rc ? NULL : err);
    if (w->dev.context)
        rc |= nbcl_cl_check(clReleaseContext(w->dev.context), "clReleaseContext", rc ? NULL : err);
    memset(w, 0, sizeof *w);
    return rc ? -1 : 0;
}

/* Queue one tile: the caller's kernels into slot->out, then a non-blocking map of it for
 * the host. */
static int nbcl_slot_start(nbcl_worker *w, nbcl_slot *s, long k, nbcl_err *err)
{
    nbcl_shared *sh = w->sh;
    s->tile = nbcl_tile_of(sh, k);
    if (nbcl_cl_check(clEnqueueMarkerWithWaitList(w->dev.queue, 0, NULL, &s->begin),
                      "clEnqueueMarkerWithWaitList", err))
        return -1;
    if (sh->ops->enqueue_tile(sh->user, w->state, &w->dev, &s->tile, s->out, err))
        return -1;
    size_t bytes = nbcl_tile_floats(&s->tile, sh->nplanes) * sizeof(float);
    cl_int rc = CL_SUCCESS;
    s->host = clEnqueueMapBuffer(w->dev.queue, s->out, CL_FALSE, CL_MAP_READ, 0, bytes, 0, NULL,
                                 &s->done, &rc);
    if (nbcl_cl_check(rc, "clEnqueueMapBuffer", err)) {
        s->host = NULL;
        s->done = NULL;
        return -1;
    }
    return nbcl_cl_check(clFlush(w->dev.queue), "clFlush", err);
}

static void nbcl_copy_tile(nbcl_shared *sh, const nbcl_tile *t, const float *host)
{
    size_t plane = (size_t)t->w * (size_t)t->h;
    for (int p = 0; p < sh->nplanes; p++) {
        if (!sh->planes[p])
            continue;
        for (int r = 0; r < t->h; r++)
            memcpy(sh->planes[p] + (size_t)(t->y0 + r) * (size_t)sh->width + (size_t)t->x0,
                   host + (size_t)p * plane + (size_t)r * (size_t)t->w,
                   (size_t)t->w * sizeof(float));
    }
}

/* The device time of a finished tile's kernels (from the marker's end to the read's start:
 * the queue is in order) and of its read. A device that cannot say leaves w->profiled 0
 * (the timings are then reported as unavailable); that is no reason to fail the image. */
static void nbcl_slot_profile(nbcl_worker *w, const nbcl_slot *s)
{
    cl_ulong begin = 0, start = 0, end = 0;
    if (clGetEventProfilingInfo(s->begin, CL_PROFILING_COMMAND_END, sizeof begin, &begin, NULL) ||
        clGetEventProfilingInfo(s->done, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL) ||
        clGetEventProfilingInfo(s->done, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL) ||
        start < begin || end < start) {
        w->profiled = 0;
        return;
    }
    w->kernel_seconds += 1e-9 * (double)(start - begin);
    w->read_seconds += 1e-9 * (double)(end - start);
}

/* ------------------------------------------------------------------ finished rows */

/* The rows final once the first `bands` tile rows of the pass are in: those above the
 * first tile row computed were cleared before the pass, and so were those below the last. */
static int nbcl_rows_final(const nbcl_shared *sh, long bands)
{
    if (bands >= sh->nbands)
        return sh->height;
    long row = (sh->ty0 + bands) * (long)sh->tile;
    return row < sh->height ? (int)row : sh->height;
}

/* A tile is in the planes (lock held): when that completes its tile row, and the rows
 * before it, wake the rows thread. */
static void nbcl_rows_tile_copied(nbcl_shared *sh, const nbcl_tile *t)
{
    if (!sh->band_tiles)
        return;
    sh->band_tiles[t->y0 / sh->tile - sh->ty0]++;
    long before = sh->next_band;
    while (sh->next_band < sh->nbands && sh->band_tiles[sh->next_band] == sh->ntx)
        sh->next_band++;
    if (sh->next_band != before) {
        sh->rows_ready = nbcl_rows_final(sh, sh->next_band);
        pthread_cond_signal(&sh->rows_cond);
    }
}

/* The rows thread: hands each run of final rows to ops->rows_done, in order, until the
 * pass is over and every final row is handed over. */
static void *nbcl_rows_main(void *arg)
{
    nbcl_shared *sh = arg;
    nbcl_err err;
    pthread_mutex_lock(&sh->lock);
    for (;;) {
        while (sh->rows_ready <= sh->rows_given && !sh->rows_finished)
            pthread_cond_wait(&sh->rows_cond, &sh->lock);
        if (sh->rows_ready <= sh->rows_given)
            break;
        int first = sh->rows_given, end = sh->rows_ready;
        pthread_mutex_unlock(&sh->lock);
        int rc = sh->ops->rows_done(sh->user, first, end, &err);
        pthread_mutex_lock(&sh->lock);
        if (rc) {
            if (!sh->failed) {
                sh->failed = 1;
                sh->err = err;
            }
            atomic_store(&sh->stop, 1);
            break;
        }
        sh->rows_given = end;
    }
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

/* Before a pass: which tile rows it computes, and the rows final already. */
static int nbcl_rows_pass_start(nbcl_shared *sh)
{
    free(sh->band_tiles);
    sh->band_tiles = NULL;
    if (!sh->ops->rows_done)
        return 0;
    sh->nbands = sh->ntx ? sh->ntiles / sh->ntx : 0;
    sh->band_tiles = calloc((size_t)(sh->nbands > 0 ? sh->nbands : 1), sizeof *sh->band_tiles);
    if (!sh->band_tiles)
        return -1;
    sh->next_band = 0;
    sh->rows_ready = nbcl_rows_final(sh, 0);
    sh->rows_finished = 0;
    return 0;
}

/* Wait for a slot's map, copy the tile into the planes, unmap, free the slot. */
static int nbcl_slot_finish(nbcl_worker *w, nbcl_slot *s, int copy, nbcl_err *err)
{
    int rc = nbcl_cl_check(clWaitForEvents(1, &s->done), "clWaitForEvents", err);
    if (!rc && copy)
        nbcl_slot_profile(w, s);
    rc |= nbcl_cl_check(clReleaseEvent(s->done), "clReleaseEvent", rc ? NULL : err);
    rc |= nbcl_cl_check(clReleaseEvent(s->begin), "clReleaseEvent", rc ? NULL : err);
    s->done = s->begin = NULL;
    if (!rc && copy) {
        if (w->sh->ops->tile_done)
            w->sh->ops->tile_done(w->sh->user, w->state, &s->tile, s->host);
        double t0 = nbcl_seconds();
        nbcl_copy_tile(w->sh, &s->tile, s->host);
        w->read_seconds += nbcl_seconds() - t0;
    }
    /* the slot's next kernels, later on this in-order queue, write out once it is unmapped */
    rc |= nbcl_cl_check(clEnqueueUnmapMemObject(w->dev.queue, s->out, s->host, 0, NULL, NULL),
                        "clEnqueueUnmapMemObject", rc ? NULL : err);
    s->host = NULL;
    if (rc || !copy)
        return rc ? -1 : 0;
    pthread_mutex_lock(&w->sh->lock);
    nbcl_progress_add(&w->sh->progress, (long long)s->tile.w * s->tile.h);
    nbcl_rows_tile_copied(w->sh, &s->tile);
    pthread_mutex_unlock(&w->sh->lock);
    return 0;
}

/* How many tiles this device may have queued: 2 (double buffering) while tiles are slow,
 * more when they are so quick that waiting for each would idle the device. Few tiles
 * queued per device keeps the progress honest and lets a faster device take more tiles. */
static int nbcl_worker_depth(const nbcl_worker *w)
{
    if (w->tile_seconds <= 0.0)
        return 2;
    double n = NBCL_QUEUED_SECONDS / w->tile_seconds;
    return n < 2.0 ? 2 : n > (double)w->nslots ? w->nslots : (int)n;
}

/* On a GPU or accelerator, an automatic tile that took dt seconds: 0 if that is short
 * enough, else the edge of a tile that should take about NBCL_GPU_TILE_TARGET. */
static int nbcl_gpu_tile_for(const nbcl_worker *w, double dt)
{
    const nbcl_shared *sh = w->sh;
    if (!sh->auto_tile || !(w->dev.info->type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) ||
        dt <= NBCL_GPU_TILE_SECONDS || sh->tile <= NBCL_GPU_TILE_MIN)
        return 0;
    int t = (int)(sh->tile * sqrt(NBCL_GPU_TILE_TARGET / dt));
    t = t < sh->tile / 2 ? t : sh->tile / 2;
    return t < NBCL_GPU_TILE_MIN ? NBCL_GPU_TILE_MIN : t;
}

/* Finish the oldest queued tile and update the running time per tile. */
static int nbcl_worker_reap(nbcl_worker *w, int head, int inflight, int copy, nbcl_err *err)
{
    nbcl_slot *s = &w->slots[(head - inflight + w->nslots) % w->nslots];
    int rc = nbcl_slot_finish(w, s, copy, err);
    double now = nbcl_seconds(), dt = now - w->last_finish;
    w->tile_seconds = w->tile_seconds > 0.0 ? 0.8 * w->tile_seconds + 0.2 * dt : dt;
    w->last_finish = now;
    int smaller = rc || !err ? 0 : nbcl_gpu_tile_for(w, dt);
    if (smaller) {
        pthread_mutex_lock(&w->sh->lock);
        if (!w->sh->slow_tile || smaller < w->sh->slow_tile) {
            w->sh->slow_tile = smaller;
            w->sh->slow_seconds = dt;
        }
        pthread_mutex_unlock(&w->sh->lock);
        rc = nbcl_err_set(err, "a %d x %d-pixel tile took %.2f s on device %d (%s)", s->tile.w,
                          s->tile.h, dt, w->dev.info->index, w->dev.info->name);
    }
    return rc;
}

static void *nbcl_worker_main(void *arg)
{
    nbcl_worker *w = arg;
    nbcl_shared *sh = w->sh;
    nbcl_err err;
    int head = 0, inflight = 0, rc = 0;
    w->last_finish = nbcl_seconds();
    while (!rc && !atomic_load(&sh->stop)) {
        while (!rc && inflight >= nbcl_worker_depth(w))
            rc = nbcl_worker_reap(w, head, inflight--, 1, &err);
        long k = rc ? sh->ntiles : atomic_fetch_add(&sh->next, 1);
        if (k >= sh->ntiles)
            break;
        nbcl_slot *s = &w->slots[head];
        rc = nbcl_slot_start(w, s, k, &err);
        if (s->done) {
            inflight++;
            head = (head + 1) % w->nslots;
        } else if (s->begin) {   /* the tile failed before its read was queued */
            nbcl_cl_check(clReleaseEvent(s->begin), "clReleaseEvent", NULL);   /* err holds the cause */
            s->begin = NULL;
        }
    }
    /* drain, oldest first; after an error only wait, do not copy */
    while (inflight > 0) {
        int copy = !rc && !atomic_load(&sh->stop);
        if (nbcl_worker_reap(w, head, inflight--, copy, rc ? NULL : &err))
            rc = -1;
    }
    if (rc)
        nbcl_shared_fail(sh, &w->dev, &err);
    return NULL;
}

/* ------------------------------------------------------------------ the run */

static int nbcl_stream_check(const nbcl_device_info *devices, int ndevices,
                             const nbcl_stream_ops *ops, const nbcl_stream_opts *opts,
                             int width, int height, nbcl_err *err)
{
    if (!devices || ndevices <= 0)
        return nbcl_err_set(err, "no OpenCL device to run on");
    if (!ops || !ops->enqueue_tile || !opts)
        return nbcl_err_set(err, "nbcl_stream_open: missing ops, enqueue_tile or opts");
    if (opts->nplanes < 1)
        return nbcl_err_set(err, "nbcl_stream_run: nplanes must be at least 1 (got %d)",
                            opts->nplanes);
    if (width <= 0 || height <= 0)
        return nbcl_err_set(err, "detector of %d x %d pixels has nothing to compute", width, height);
    if (opts->tile < 0)
        return nbcl_err_set(err, "-tile must be positive (got %d)", opts->tile);
    return 0;
}

/* A tile's buffers (output and scratch) must fit every device's largest allocation. */
static int nbcl_stream_check_tile(const nbcl_device_info *devices, int ndevices, int tile,
                                  size_t slot_bytes, size_t scratch_bytes, nbcl_err *err)
{
    size_t need = slot_bytes > scratch_bytes ? slot_bytes : scratch_bytes;
    for (int i = 0; i < ndevices; i++)
        if ((cl_ulong)need > devices[i].max_alloc)
            return nbcl_err_code(err, NBCL_E_INVALID, "-tile %d needs a %zu-byte buffer per tile, more "
                                 "than the largest allocation (%llu bytes) of device %d (%s); use a "
                                 "smaller -tile", tile, need, (unsigned long long)devices[i].max_alloc,
                                 devices[i].index, devices[i].name);
    return 0;
}

static int nbcl_stream_go(nbcl_worker *workers, int n, nbcl_shared *sh)
{
    for (int i = 0; i < n; i++) {
        if (pthread_create(&workers[i].thread, NULL, nbcl_worker_main, &workers[i]) != 0) {
            nbcl_err e;
            nbcl_err_set(&e, "cannot start a thread for device %d", workers[i].dev.info->index);
            nbcl_shared_fail(sh, &workers[i].dev, &e);
            break;
        }
        workers[i].started = 1;
    }
    for (int i = 0; i < n; i++)
        if (workers[i].started)
            pthread_join(workers[i].thread, NULL);
    return sh->failed ? -1 : 0;
}

struct nbcl_stream {
    nbcl_shared sh;
    nbcl_worker *workers;
    int ndevices, opened;
    enum nbcl_progress progress;
    nbcl_log *log;
    int halved;              /* the note about halving has been given */
    int slowed;              /* the note about slow GPU tiles has been given */
    unsigned zeroed;         /* nbcl_stream_planes_zeroed's planes, for the next image */
};

/* The failures a smaller tile may cure: the device ran short of memory or resources for one
 * tile's work (a watchdog or a driver limit met at run time, not at allocation). */
static int nbcl_tile_too_big(const nbcl_err *e)
{
    return strstr(e->msg, "CL_OUT_OF_RESOURCES") != NULL ||
           strstr(e->msg, "CL_MEM_OBJECT_ALLOCATION_FAILURE") != NULL;
}

/* The tile edge, and the tiles meeting the region under it (the grid stays anchored at
 * pixel 0, so a pixel's tile does not depend on the region) */
static void nbcl_set_tile(nbcl_shared *sh, int tile)
{
    const int *r = sh->region;
    sh->tile = tile;
    if (r[1] < r[0]) {
        sh->ntx = 0;
        sh->ntiles = 0;
        return;
    }
    sh->tx0 = r[0] / tile;
    sh->ty0 = r[2] / tile;
    sh->ntx = r[1] / tile - sh->tx0 + 1;
    sh->ntiles = (long)sh->ntx * (r[3] / tile - sh->ty0 + 1);
}

int nbcl_stream_open(const nbcl_device_info *devices, int ndevices, const nbcl_stream_ops *ops,
                     void *user, const nbcl_stream_opts *opts, int width, int height,
                     nbcl_stream **out, nbcl_err *err)
{
    *out = NULL;
    if (nbcl_stream_check(devices, ndevices, ops, opts, width, height, err))
        return -1;
    nbcl_stream *st = calloc(1, sizeof *st);
    if (!st)
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory");
    nbcl_shared *sh = &st->sh;
    sh->ops = ops;
    sh->user = user;
    sh->width = width;
    sh->height = height;
    sh->nplanes = opts->nplanes;
    sh->multi = ndevices > 1;
    sh->tile = opts->tile > 0 ? opts->tile
                              : nbcl_stream_auto_tile_scratch(devices, ndevices, opts->nplanes,
                                                              opts->scratch_per_pixel, width, height);
    st->progress = opts->progress;
    st->ndevices = ndevices;
    /* the tiles computed: all, or those meeting the region (the grid stays anchored at
     * pixel 0, so a pixel's tile does not depend on the region) */
    int x0 = 0, x1 = width - 1, y0 = 0, y1 = height - 1;
    if (opts->limit) {
        x0 = opts->region[0] < 0 ? 0 : opts->region[0];
        x1 = opts->region[1] >= width ? width - 1 : opts->region[1];
        y0 = opts->region[2] < 0 ? 0 : opts->region[2];
        y1 = opts->region[3] >= height ? height - 1 : opts->region[3];
        if (x1 < x0 || y1 < y0)
            x1 = x0 - 1;   /* nothing to compute */
        if (opts->tile <= 0 && x1 >= x0)
            sh->tile = nbcl_stream_auto_tile_scratch(devices, ndevices, opts->nplanes,
                                                     opts->scratch_per_pixel, x1 - x0 + 1,
                                                     y1 - y0 + 1);
    }
    int tw = sh->tile < width ? sh->tile : width, th = sh->tile < height ? sh->tile : height;
    size_t slot_bytes = (size_t)tw * (size_t)th * (size_t)sh->nplanes * sizeof(float);
    /* scratch of whole vector work-items: up to 16 pixels of padding */
    size_t scratch_bytes = ((size_t)tw * (size_t)th + 16) * opts->scratch_per_pixel;
    if (nbcl_stream_check_tile(devices, ndevices, sh->tile, slot_bytes, scratch_bytes, err)) {
        free(st);
        return -1;
    }
    sh->region[0] = x0;
    sh->region[1] = x1;
    sh->region[2] = y0;
    sh->region[3] = y1;
    nbcl_set_tile(sh, sh->tile);
    sh->auto_tile = opts->tile == 0;
    st->log = opts->log;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->rows_cond, NULL);
    st->workers = calloc((size_t)ndevices, sizeof *st->workers);
    if (!st->workers) {
        nbcl_stream_close(st);
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of memory");
    }
    int rc = 0;
    for (; st->opened < ndevices && !rc; st->opened++) {
        st->workers[st->opened].sh = sh;
        rc = nbcl_worker_open(&st->workers[st->opened], &devices[st->opened], opts->use_double,
                              slot_bytes, err);
    }
    if (rc) {
        nbcl_stream_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

/* Zero every pixel of the planes outside the tiles computed (pages already zero untouched),
 * but for the planes of `zeroed` (bits 1u << p), which hold only zeros. */
static void nbcl_clear_outside(const nbcl_shared *sh, unsigned zeroed)
{
    long cols = sh->ntx, rows = cols ? sh->ntiles / cols : 0;
    int x0 = sh->tx0 * sh->tile, y0 = sh->ty0 * sh->tile;
    int x1 = (int)(x0 + cols * sh->tile), y1 = (int)(y0 + rows * sh->tile);
    if (x1 > sh->width) x1 = sh->width;
    if (y1 > sh->height) y1 = sh->height;
    if (!rows) x0 = x1 = y0 = y1 = 0;
    size_t w = (size_t)sh->width;
    for (int p = 0; p < sh->nplanes; p++) {
        float *pl = sh->planes[p];
        if (!pl || (p < 32 && (zeroed >> p) & 1u))
            continue;
        nbcl_clear(pl, (size_t)y0 * w * sizeof(float));
        for (int y = y0; y < y1; y++) {
            nbcl_clear(pl + (size_t)y * w, (size_t)x0 * sizeof(float));
            nbcl_clear(pl + (size_t)y * w + (size_t)x1, (w - (size_t)x1) * sizeof(float));
        }
        nbcl_clear(pl + (size_t)y1 * w, (size_t)(sh->height - y1) * w * sizeof(float));
    }
}

/* One pass over every tile of the image, with the rows thread beside the devices' when
 * ops->rows_done is set. */
static int nbcl_stream_pass(nbcl_stream *st)
{
    nbcl_shared *sh = &st->sh;
    /* the tiles of this pass write every pixel inside them; a pass again with smaller tiles
     * covers less, so what the first wrote outside them is cleared then */
    nbcl_clear_outside(sh, st->zeroed);
    st->zeroed = 0;
    if (sh->ops->pass_start)
        sh->ops->pass_start(sh->user);
    sh->failed = 0;
    if (nbcl_rows_pass_start(sh)) {
        nbcl_err_code(&sh->err, NBCL_E_NOMEM, "out of host memory");
        return -1;
    }
    pthread_t rows_thread;
    int rows_started = sh->ops->rows_done &&
                       pthread_create(&rows_thread, NULL, nbcl_rows_main, sh) == 0;
    if (sh->ops->rows_done && !rows_started) {
        nbcl_err_set(&sh->err, "cannot start the thread for finished rows");
        return -1;
    }
    atomic_store(&sh->next, 0);
    atomic_store(&sh->stop, 0);
    for (int i = 0; i < st->ndevices; i++) {
        st->workers[i].started = 0;
        st->workers[i].tile_seconds = 0.0;
        st->workers[i].kernel_seconds = st->workers[i].read_seconds = 0.0;
        st->workers[i].profiled = 1;
    }
    long long pixels = 0;
    for (long k = 0; k < sh->ntiles; k++) {
        nbcl_tile t = nbcl_tile_of(sh, k);
        pixels += (long long)t.w * t.h;
    }
    nbcl_progress_init(&sh->progress, st->progress, pixels);
    int rc = nbcl_stream_go(st->workers, st->ndevices, sh);
    if (rows_started) {
        pthread_mutex_lock(&sh->lock);
        sh->rows_finished = 1;
        pthread_cond_signal(&sh->rows_cond);
        pthread_mutex_unlock(&sh->lock);
        pthread_join(rows_thread, NULL);
        rc = sh->failed ? -1 : rc;
    }
    nbcl_progress_end(&sh->progress);
    return rc;
}

int nbcl_stream_image(nbcl_stream *st, float **planes, nbcl_err *err)
{
    nbcl_shared *sh = &st->sh;
    if (!planes) {
        st->zeroed = 0;
        return nbcl_err_code(err, NBCL_E_INVALID, "nbcl_stream_image: no planes");
    }
    sh->planes = planes;
    sh->rows_given = 0;
    int rc;
    /* out of resources for a tile: the whole image again with half the tile edge; a GPU
     * tile too slow for display watchdogs: again with tiles that take about
     * NBCL_GPU_TILE_TARGET (every pixel is computed alike whatever the tile, so the image is
     * the same); each said once */
    for (;;) {
        sh->slow_tile = 0;
        rc = nbcl_stream_pass(st);
        if (rc && sh->slow_tile) {
            if (!st->slowed)
                nbcl_logf(st->log, "note: %s; GPUs that drive a display stop kernels after a few "
                          "seconds, so tiles are now %d x %d pixels (-tile N fixes the size)\n",
                          sh->err.msg, sh->slow_tile, sh->slow_tile);
            st->slowed = 1;
            nbcl_set_tile(sh, sh->slow_tile);
        } else if (rc && sh->tile > 1 && nbcl_tile_too_big(&sh->err)) {
            if (!st->halved)
                nbcl_logf(st->log, "note: %s; retrying with smaller tiles (-tile %d, halved again "
                          "as long as that recurs)\n", sh->err.msg, sh->tile / 2);
            st->halved = 1;
            nbcl_set_tile(sh, sh->tile / 2);
        } else {
            break;
        }
    }
    if (rc && err)
        *err = sh->err;
    sh->planes = NULL;
    return rc ? -1 : 0;
}

void nbcl_stream_planes_zeroed(nbcl_stream *st, unsigned mask)
{
    st->zeroed = mask;
}

int nbcl_stream_device_times(const nbcl_stream *st, double *kernels, double *readback)
{
    int profiled = 1;
    *kernels = *readback = 0.0;
    for (int i = 0; i < st->ndevices; i++) {
        *kernels += st->workers[i].kernel_seconds;
        *readback += st->workers[i].read_seconds;
        profiled &= st->workers[i].profiled;
    }
    return profiled;
}

int nbcl_stream_tile_size(const nbcl_stream *st)
{
    return st->sh.tile;
}

int nbcl_stream_devices(const nbcl_stream *st)
{
    return st->ndevices;
}

void *nbcl_stream_state(nbcl_stream *st, int i, nbcl_devctx **dev)
{
    if (dev)
        *dev = &st->workers[i].dev;
    return st->workers[i].state;
}

int nbcl_stream_close(nbcl_stream *st)
{
    if (!st)
        return 0;
    int rc = 0;
    for (int i = 0; st->workers && i < st->opened; i++)
        if (nbcl_worker_close(&st->workers[i], NULL))
            rc = -1;
    free(st->workers);
    free(st->sh.band_tiles);
    pthread_cond_destroy(&st->sh.rows_cond);
    pthread_mutex_destroy(&st->sh.lock);
    free(st);
    return rc;
}

int nbcl_stream_run(const nbcl_device_info *devices, int ndevices,
                    const nbcl_stream_ops *ops, void *user, const nbcl_stream_opts *opts,
                    float **planes, int width, int height, nbcl_err *err)
{
    nbcl_stream *st;
    if (nbcl_stream_open(devices, ndevices, ops, user, opts, width, height, &st, err))
        return -1;
    int rc = nbcl_stream_image(st, planes, err);
    if (nbcl_stream_close(st) && !rc)
        rc = nbcl_err_code(err, NBCL_E_OPENCL, "releasing the OpenCL devices failed");
    return rc;
}
