/* test_stream.c: the tile streamer. A kernel whose pixels depend only on their coordinates
 * must give the same image bit for bit whatever the tile size and however many devices
 * (or workers on one device) share the tiles; errors of any worker must surface. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "device/program.h"
#include "device/stream.h"
#include "../support/test_log.h"

#define W 1000
#define H 777
#define NPLANES 2

typedef struct kstate {
    cl_program prog;
    cl_kernel kernel;
} kstate;

typedef struct test_user {
    int fail_init;         /* device_init fails */
    int fail_at_x0;        /* enqueue_tile fails for tiles starting at this fast pixel (-1: never) */
    int nplanes;
    long fail_above;       /* enqueue_tile runs out of resources above this many pixels (0: never,
                              negative: always) */
    long slow_above;       /* enqueue_tile takes 0.7 s for tiles above this many pixels (0: never) */
    /* rows_done checks: the rows handed over must equal these planes already, come in
     * order and once each, one call at a time; fail_rows_at: refuse rows from there */
    float **want, **planes;
    int width, rows_next, calls, busy, overlapped, fail_rows_at, mismatch_row;
} test_user;

static int t_init(void *user, nbcl_devctx *dev, void **state, nbcl_err *err)
{
    test_user *u = user;
    const char *names[] = {"stream_test.cl"};
    cl_int rc;
    if (u->fail_init)
        return nbcl_err_set(err, "init refused on purpose");
    kstate *s = calloc(1, sizeof *s);
    if (nbcl_program_build(dev->context, dev->info->id, NULL, names, 1, NULL, &s->prog, err)) {
        free(s);
        return -1;
    }
    s->kernel = clCreateKernel(s->prog, "stream_test", &rc);
    if (nbcl_cl_check(rc, "clCreateKernel", err)) {
        clReleaseProgram(s->prog);
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static int t_enqueue(void *user, void *state, nbcl_devctx *dev, const nbcl_tile *t, cl_mem out,
                     nbcl_err *err)
{
    test_user *u = user;
    kstate *s = state;
    size_t global = (size_t)t->w * (size_t)t->h;
    if (t->x0 == u->fail_at_x0)
        return nbcl_err_set(err, "tile at x0=%d refused on purpose", t->x0);
    if (u->slow_above && (long)global > u->slow_above)
        usleep(700000);
    if (u->want && global >= 1000)
        usleep(1000);   /* the rows test: tiles slow enough that rows are handed over meanwhile
                           (small tiles are many: their launches take long enough) */
    if (u->fail_above && (u->fail_above < 0 || (long)global > u->fail_above))
        return nbcl_err_set(err, "clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES");
    if (nbcl_cl_check(clSetKernelArg(s->kernel, 0, sizeof out, &out), "clSetKernelArg", err) ||
        nbcl_cl_check(clSetKernelArg(s->kernel, 1, sizeof(int), &t->x0), "clSetKernelArg", err) ||
        nbcl_cl_check(clSetKernelArg(s->kernel, 2, sizeof(int), &t->y0), "clSetKernelArg", err) ||
        nbcl_cl_check(clSetKernelArg(s->kernel, 3, sizeof(int), &t->w), "clSetKernelArg", err) ||
        nbcl_cl_check(clSetKernelArg(s->kernel, 4, sizeof(int), &t->h), "clSetKernelArg", err) ||
        nbcl_cl_check(clSetKernelArg(s->kernel, 5, sizeof(int), &u->nplanes), "clSetKernelArg", err))
        return -1;
    return nbcl_cl_check(clEnqueueNDRangeKernel(dev->queue, s->kernel, 1, NULL, &global, NULL,
                                                0, NULL, NULL), "clEnqueueNDRangeKernel", err);
}

static void t_release(void *user, void *state)
{
    (void)user;
    kstate *s = state;
    clReleaseKernel(s->kernel);
    clReleaseProgram(s->prog);
    free(s);
}

static const nbcl_stream_ops ops = {t_init, t_enqueue, t_release, NULL, NULL, NULL};

static int t_rows(void *user, int first, int end, nbcl_err *err)
{
    test_user *u = user;
    if (__atomic_fetch_add(&u->busy, 1, __ATOMIC_SEQ_CST) != 0) u->overlapped = 1;
    usleep(2000);   /* a slow consumer: the devices go on meanwhile */
    int rc = 0;
    if (first != u->rows_next) {
        rc = nbcl_err_set(err, "rows %d..%d handed over after rows up to %d", first, end, u->rows_next);
    } else if (u->fail_rows_at >= 0 && end > u->fail_rows_at) {
        rc = nbcl_err_set(err, "rows refused on purpose");
    } else {
        size_t off = (size_t)first * (size_t)u->width, n = (size_t)(end - first) * (size_t)u->width;
        for (int p = 0; p < NPLANES && u->mismatch_row < 0; p++)
            if (memcmp(u->planes[p] + off, u->want[p] + off, n * sizeof(float)) != 0)
                u->mismatch_row = first;
        u->rows_next = end;
        u->calls++;
    }
    __atomic_fetch_sub(&u->busy, 1, __ATOMIC_SEQ_CST);
    return rc;
}

static const nbcl_stream_ops rows_ops = {t_init, t_enqueue, t_release, NULL, NULL, t_rows};

static nbcl_device_info *devs;
static int ndevs;

static void setup(void)
{
    nbcl_err err;
    const char *dir = getenv("NBCL_TEST_KERNEL_DIR");
    cr_assert(dir && *dir, "NBCL_TEST_KERNEL_DIR is not set: run the tests with `meson test`");
    setenv("NBCL_KERNEL_DIR", dir, 1);
    cr_assert_eq(nbcl_device_enumerate(&devs, &ndevs, NULL, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    free(devs);
}

/* Stream the test kernel; returns nbcl_stream_run's result, image in planes. */
static int run(const nbcl_device_info *d, int nd, int tile, test_user *u, float **planes,
               int w, int h, nbcl_err *err)
{
    nbcl_stream_opts opts = {.tile = tile, .nplanes = NPLANES, .progress = NBCL_PROGRESS_NONE};
    for (int p = 0; p < NPLANES; p++)
        for (size_t i = 0; i < (size_t)w * h; i++)
            planes[p][i] = NAN;
    return nbcl_stream_run(d, nd, &ops, u, &opts, planes, w, h, err);
}

static float *plane_alloc(void)
{
    float *p = malloc((size_t)W * H * sizeof *p);
    cr_assert_not_null(p);
    return p;
}

static void expect_same(float **ref, float **got, const char *what)
{
    for (int p = 0; p < NPLANES; p++)
        cr_assert_eq(memcmp(ref[p], got[p], (size_t)W * H * sizeof(float)), 0,
                     "%s: plane %d differs from the one-tile image", what, p);
}

TestSuite(stream, .init = setup, .fini = teardown, .timeout = 300);

Test(stream, same_bits_for_every_tile_size_and_device_count)
{
    test_user u = {.fail_at_x0 = -1, .nplanes = NPLANES};
    float *ref[NPLANES] = {plane_alloc(), plane_alloc()};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err;
    cr_assert_eq(run(devs, 1, W, &u, ref, W, H, &err), 0, "%s", err.msg);

    /* placement: spot-check pixels against the host's idea of the function */
    int xs[] = {0, 1, 999, 500, 0, 999}, ys[] = {0, 0, 0, 400, 776, 776};
    for (int i = 0; i < 6; i++) {
        float want = sinf(xs[i] * 0.01f) * ys[i] + xs[i];
        float have = ref[0][ys[i] * W + xs[i]];
        cr_assert(fabsf(have - want) <= 1e-3f * fmaxf(1.0f, fabsf(want)),
                  "pixel (%d,%d) = %g, expected about %g", xs[i], ys[i], have, want);
        cr_assert_eq(ref[1][ys[i] * W + xs[i]], have + 1000.0f);
    }

    int tiles[] = {64, 7, 1, 0 /* auto */};
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
        char what[64];
        cr_assert_eq(run(devs, 1, tiles[t], &u, got, W, H, &err), 0, "%s", err.msg);
        snprintf(what, sizeof what, "tile %d", tiles[t]);
        expect_same(ref, got, what);
    }

    /* every device, then the first device twice (two workers sharing the queue of tiles) */
    cr_assert_eq(run(devs, ndevs, 7, &u, got, W, H, &err), 0, "%s", err.msg);
    expect_same(ref, got, "all devices, tile 7");
    nbcl_device_info twice[2] = {devs[0], devs[0]};
    cr_assert_eq(run(twice, 2, 64, &u, got, W, H, &err), 0, "%s", err.msg);
    expect_same(ref, got, "device 0 twice, tile 64");
    for (int p = 0; p < NPLANES; p++) {
        free(ref[p]);
        free(got[p]);
    }
}

Test(stream, an_enqueue_error_stops_the_run)
{
    test_user u = {.fail_at_x0 = 320, .nplanes = NPLANES};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err = {0};
    nbcl_device_info twice[2] = {devs[0], devs[0]};
    cr_assert_neq(run(devs, 1, 64, &u, got, W, H, &err), 0);
    cr_expect_str_eq(err.msg, "tile at x0=320 refused on purpose");
    cr_assert_neq(run(twice, 2, 64, &u, got, W, H, &err), 0);
    cr_expect(strstr(err.msg, "on device 0") && strstr(err.msg, "refused on purpose"),
              "%s", err.msg);
    free(got[0]);
    free(got[1]);
}

Test(stream, a_device_init_error_is_returned)
{
    test_user u = {.fail_init = 1, .fail_at_x0 = -1, .nplanes = NPLANES};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err = {0};
    cr_assert_neq(run(devs, 1, 64, &u, got, W, H, &err), 0);
    cr_expect_str_eq(err.msg, "init refused on purpose");
    free(got[0]);
    free(got[1]);
}

Test(stream, a_tile_larger_than_the_largest_allocation_is_refused)
{
    test_user u = {.fail_at_x0 = -1, .nplanes = NPLANES};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err = {0};
    nbcl_device_info small = devs[0];
    small.max_alloc = 4096;
    cr_assert_neq(run(&small, 1, 64, &u, got, W, H, &err), 0);
    cr_expect(strstr(err.msg, "-tile 64") != NULL, "%s", err.msg);
    free(got[0]);
    free(got[1]);
}

Test(stream, progress_lines_when_stderr_is_not_a_terminal)
{
    test_user u = {.fail_at_x0 = -1, .nplanes = NPLANES};
    float *got[NPLANES] = {plane_alloc(), NULL};   /* plane 1 computed, not kept */
    nbcl_err err;
    char path[] = "/tmp/nbcl-progress-XXXXXX", text[4096];
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_not_null(freopen(path, "w", stderr));
    nbcl_stream_opts opts = {.tile = 50, .nplanes = NPLANES, .progress = NBCL_PROGRESS_AUTO};
    cr_assert_eq(nbcl_stream_run(devs, 1, &ops, &u, &opts, got, W, H, &err), 0, "%s", err.msg);
    fflush(stderr);
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    remove(path);
    int lines = 0;
    for (char *c = text; *c; c++)
        lines += *c == '\n';
    cr_expect(strstr(text, "progress:  10%") && strstr(text, "progress: 100%"), "%s", text);
    cr_expect_eq(lines, 10, "one line per 10%%: %s", text);
    cr_expect(strchr(text, '\r') == NULL, "no bar when not a terminal: %s", text);
    free(got[0]);
}

Test(stream, auto_tile_respects_memory_and_keeps_devices_busy)
{
    nbcl_device_info d = devs[0];
    d.compute_units = 2;
    d.global_mem = 4ull << 30;
    d.max_alloc = 1ull << 30;
    int t = nbcl_stream_auto_tile(&d, 1, 1, W, H);
    cr_expect(t >= 64 && t <= 2048, "tile %d", t);
    cr_expect((long)((W + t - 1) / t) * ((H + t - 1) / t) >= 9, "too few tiles with %d", t);
    d.max_alloc = 4 * 100 * 100;   /* a tiny device: 100 x 100 floats at most */
    cr_expect_leq(nbcl_stream_auto_tile(&d, 1, 1, W, H), 100);
    cr_expect_eq(nbcl_stream_auto_tile(&d, 1, 1, 5, 3), 5);
    cr_expect_geq(nbcl_stream_auto_tile(&d, 1, 1, 1, 1), 1);
}

/* A device out of resources for a tile's work (issue 12 item 3): the image is made again
 * with half the tile edge until it fits, said once, and is the same image. */
Test(stream, out_of_resources_halves_the_tile)
{
    test_user ok = {.fail_at_x0 = -1, .nplanes = NPLANES}, tight = {.fail_at_x0 = -1, .nplanes = NPLANES, .fail_above = 100 * 100};
    float *ref[NPLANES] = {plane_alloc(), plane_alloc()};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err;
    cr_assert_eq(run(devs, 1, W, &ok, ref, W, H, &err), 0, "%s", err.msg);
    char *logged = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&logged, &len);
    nbcl_log log = test_log_to(f);
    nbcl_stream_opts opts = {.tile = 512, .nplanes = NPLANES, .progress = NBCL_PROGRESS_NONE,
                             .log = &log};
    nbcl_stream *st;
    cr_assert_eq(nbcl_stream_open(devs, 1, &ops, &tight, &opts, W, H, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_stream_image(st, got, &err), 0, "%s", err.msg);
    cr_expect_eq(nbcl_stream_tile_size(st), 64, "512 halved until 100 x 100 pixels fit: 64");
    cr_assert_eq(nbcl_stream_image(st, got, &err), 0, "a second image: %s", err.msg);
    cr_expect_eq(nbcl_stream_close(st), 0);
    nbcl_log_flush(&log);
    fclose(f);
    expect_same(ref, got, "halved tiles");
    cr_expect(strstr(logged, "CL_OUT_OF_RESOURCES") && strstr(logged, "-tile 256"), "%s", logged);
    cr_expect(!strstr(strstr(logged, "retrying") + 1, "retrying"), "said more than once: %s", logged);
    free(logged);
    /* a tile of one pixel that still fails is an error, not an endless loop */
    test_user never = {.fail_at_x0 = -1, .nplanes = NPLANES, .fail_above = -1};
    cr_expect_neq(run(devs, 1, 8, &never, got, W, H, &err), 0, "a tile of one pixel still failing");
    cr_expect(strstr(err.msg, "CL_OUT_OF_RESOURCES"), "%s", err.msg);
    for (int p = 0; p < NPLANES; p++) {
        free(ref[p]);
        free(got[p]);
    }
}

/* On a GPU, an automatic tile that takes over half a second is cut (issue 12 item 5): the
 * image starts again with tiles of about 0.2 s, said once, and is the same image. A made-up
 * GPU: the first device with its type changed; its tiles above 200 x 200 pixels take 0.7 s. */
Test(stream, slow_gpu_tiles_are_made_smaller)
{
    test_user ok = {.fail_at_x0 = -1, .nplanes = NPLANES}, slow = {.fail_at_x0 = -1, .nplanes = NPLANES, .slow_above = 200 * 200};
    float *ref[NPLANES] = {plane_alloc(), plane_alloc()};
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err;
    cr_assert_eq(run(devs, 1, W, &ok, ref, W, H, &err), 0, "%s", err.msg);
    nbcl_device_info gpu = devs[0];
    gpu.type = CL_DEVICE_TYPE_GPU;
    char *logged = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&logged, &len);
    nbcl_log log = test_log_to(f);
    nbcl_stream_opts opts = {.tile = 0, .nplanes = NPLANES, .progress = NBCL_PROGRESS_NONE,
                             .log = &log};
    nbcl_stream *st;
    cr_assert_eq(nbcl_stream_open(&gpu, 1, &ops, &slow, &opts, W, H, &st, &err), 0, "%s", err.msg);
    int first = nbcl_stream_tile_size(st);
    cr_assert_gt(first, 200, "the automatic tile (%d) is already small: nothing to test", first);
    cr_assert_eq(nbcl_stream_image(st, got, &err), 0, "%s", err.msg);
    int now = nbcl_stream_tile_size(st);
    cr_expect(now <= 200, "tile %d after slow tiles of %d", now, first);
    cr_expect_eq(nbcl_stream_close(st), 0);
    nbcl_log_flush(&log);
    fclose(f);
    expect_same(ref, got, "GPU tiles made smaller");
    cr_expect(strstr(logged, "watchdog") == NULL && strstr(logged, "stop kernels"), "%s", logged);
    free(logged);
    /* a fixed -tile is the user's choice: kept however slow */
    opts.tile = 256;
    opts.log = NULL;
    cr_assert_eq(nbcl_stream_open(&gpu, 1, &ops, &slow, &opts, W, H, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_stream_image(st, got, &err), 0, "%s", err.msg);
    cr_expect_eq(nbcl_stream_tile_size(st), 256);
    cr_expect_eq(nbcl_stream_close(st), 0);
    for (int p = 0; p < NPLANES; p++) {
        free(ref[p]);
        free(got[p]);
    }
}

/* Rows are handed over as they are finished (issue 13 item 3): in order, each once, one
 * call at a time, and only when every pixel of them is in the planes (the planes start as
 * NaN, so a row handed over too early differs from the finished image); with several
 * tiles, devices, a region, and a pass started again with smaller tiles. */
static void expect_rows(const nbcl_device_info *d, int nd, int tile, test_user *u,
                        const nbcl_stream_opts *base, float **want, const char *what)
{
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    for (int p = 0; p < NPLANES; p++)
        for (size_t i = 0; i < (size_t)W * H; i++) got[p][i] = NAN;
    u->want = want;
    u->planes = got;
    u->width = W;
    u->rows_next = u->calls = u->overlapped = 0;
    u->mismatch_row = -1;
    nbcl_stream_opts opts = *base;
    opts.tile = tile;
    nbcl_err err;
    cr_assert_eq(nbcl_stream_run(d, nd, &rows_ops, u, &opts, got, W, H, &err), 0, "%s: %s", what, err.msg);
    cr_expect_eq(u->rows_next, H, "%s: rows handed over up to %d of %d", what, u->rows_next, H);
    cr_expect_eq(u->mismatch_row, -1, "%s: rows from %d handed over before they were final", what,
                 u->mismatch_row);
    cr_expect_eq(u->overlapped, 0, "%s: two calls at once", what);
    if (tile > 0 && tile < H / 4 && !opts.limit)
        cr_expect_gt(u->calls, 1, "%s: all rows in one call (%d)", what, u->calls);
    expect_same(want, got, what);
    free(got[0]);
    free(got[1]);
}

Test(stream, finished_rows_are_handed_over_in_order)
{
    test_user u = {.fail_at_x0 = -1, .nplanes = NPLANES};
    u.fail_rows_at = -1;
    float *ref[NPLANES] = {plane_alloc(), plane_alloc()};
    nbcl_err err;
    cr_assert_eq(run(devs, 1, W, &u, ref, W, H, &err), 0, "%s", err.msg);
    nbcl_stream_opts opts = {.nplanes = NPLANES, .progress = NBCL_PROGRESS_NONE};
    expect_rows(devs, 1, 64, &u, &opts, ref, "tile 64");
    expect_rows(devs, 1, 7, &u, &opts, ref, "tile 7");
    expect_rows(devs, 1, 0, &u, &opts, ref, "automatic tile");
    nbcl_device_info twice[2] = {devs[0], devs[0]};
    expect_rows(twice, 2, 33, &u, &opts, ref, "device 0 twice, tile 33");

    /* a pass started again with halved tiles: no row twice */
    test_user tight = u;
    tight.fail_above = 100 * 100;
    expect_rows(devs, 1, 512, &tight, &opts, ref, "halved tiles");

    /* a region: rows outside it are 0, handed over too */
    float *part[NPLANES] = {plane_alloc(), plane_alloc()};
    for (int p = 0; p < NPLANES; p++) memcpy(part[p], ref[p], (size_t)W * H * sizeof(float));
    nbcl_stream_opts lim = opts;
    lim.limit = 1;
    lim.region[0] = 0;
    lim.region[1] = W - 1;
    lim.region[2] = 300;
    lim.region[3] = 420;
    /* the tiles meeting rows 300..420 at -tile 64 cover rows 256..447 */
    for (int p = 0; p < NPLANES; p++)
        for (int y = 0; y < H; y++)
            if (y < 256 || y >= 448) memset(part[p] + (size_t)y * W, 0, W * sizeof(float));
    expect_rows(devs, 1, 64, &u, &lim, part, "region");
    free(part[0]);
    free(part[1]);

    /* a consumer that fails stops the image with its error */
    float *got[NPLANES] = {plane_alloc(), plane_alloc()};
    u.fail_rows_at = 200;
    u.rows_next = 0;
    u.want = ref;
    u.planes = got;
    opts.tile = 16;
    cr_expect_neq(nbcl_stream_run(devs, 1, &rows_ops, &u, &opts, got, W, H, &err), 0);
    cr_expect_str_eq(err.msg, "rows refused on purpose");
    cr_expect_leq(u.rows_next, 200);
    for (int p = 0; p < NPLANES; p++) {
        free(ref[p]);
        free(got[p]);
    }
}
