/* stream.h: cutting the detector into tiles and streaming them through one or more devices.
 * Every selected device takes tiles from one shared queue; device memory in use is bounded
 * by the tile size, never the detector size. The caller supplies how to set up a device and
 * how to enqueue the work for one tile; the streamer owns queues, output buffers,
 * non-blocking reads and progress reporting.
 * Threads: device_init and device_release run on the calling thread, one device after the
 * other. enqueue_tile runs on one worker thread per device, concurrently for different
 * devices: it may change its own `state` but must treat `user` as read-only.
 * Memory: each device holds a ring of 2..64 tile buffers (at most 8 MiB in all, unless two
 * tiles need more) plus whatever device_init allocates. The result does not depend on the
 * tile size or the number of devices as long as each pixel's value depends only on it. */
#ifndef NBCL_STREAM_H
#define NBCL_STREAM_H

#include <CL/cl.h>
#include "device/device.h"
#include "base/error.h"
#include "base/log.h"

typedef struct nbcl_tile {
    int x0, y0;   /* first fast and slow pixel */
    int w, h;     /* size in pixels */
} nbcl_tile;

/* One device as the streamer hands it to the caller. */
typedef struct nbcl_devctx {
    const nbcl_device_info *info;
    cl_context context;
    cl_command_queue queue;
    int use_double;     /* precision chosen for this run */
} nbcl_devctx;

typedef struct nbcl_stream_ops {
    /* Once per device before any tile: build kernels, upload tables. *state is the caller's.
     * May be NULL (then state is NULL). */
    int (*device_init)(void *user, nbcl_devctx *dev, void **state, nbcl_err *err);
    /* Enqueue (do not wait for) the work of one tile: it must leave tile->w*tile->h*nplanes
     * floats in `out`, plane-major (plane p at offset p*w*h), fast index fastest. */
    int (*enqueue_tile)(void *user, void *state, nbcl_devctx *dev, const nbcl_tile *tile,
                        cl_mem out, nbcl_err *err);
    void (*device_release)(void *user, void *state);   /* may be NULL */
    /* After a tile has come back, on that device's worker thread: `host` holds its nplanes
     * planes as enqueue_tile left them. May be NULL. */
    void (*tile_done)(void *user, void *state, const nbcl_tile *tile, const float *host);
    /* Before each pass over an image's tiles, on the caller's thread (a pass starts again
     * with smaller tiles after a tile ran out of resources or time): what tile_done
     * gathers starts over. May be NULL. */
    void (*pass_start)(void *user);
    /* Rows first_row .. end_row - 1 of the planes are final: every tile meeting them has been
     * copied in (rows outside the tiles computed hold 0). Called on a thread of the stream's
     * own while the devices go on with the next tiles, never twice at once, in order of
     * rows, each row of an image exactly once (a pass started again does not repeat rows:
     * every pixel is computed alike whatever the tile), the last call before
     * nbcl_stream_image returns. Nonzero (with err set) stops the image with that error.
     * May be NULL. */
    int (*rows_done)(void *user, int first_row, int end_row, nbcl_err *err);
} nbcl_stream_ops;

enum nbcl_progress { NBCL_PROGRESS_NONE, NBCL_PROGRESS_AUTO };

typedef struct nbcl_stream_opts {
    int tile;            /* N for N x N tiles; 0 = chosen from device memory and compute units */
    int nplanes;         /* float planes per pixel produced by enqueue_tile (>= 1) */
    size_t scratch_per_pixel;   /* bytes per tile pixel of the largest buffer device_init or
                                   enqueue_tile allocate (0: none); tiles are sized for it */
    enum nbcl_progress progress;   /* AUTO: bar with ETA on a terminal, 10% lines otherwise */
    int use_double;
    int limit;           /* 1: only the tiles meeting region are computed (and an automatic
                            tile is sized for the region); every other pixel of the planes
                            is set to 0 without writing pages that are 0 already */
    int region[4];       /* xmin, xmax, ymin, ymax (inclusive), with limit */
    nbcl_log *log;       /* where the one note about a halved tile goes (NULL: dropped) */
} nbcl_stream_opts;

/* A stream kept open across images: contexts, queues, tile buffers and whatever
 * device_init made stay alive until nbcl_stream_close. device_init runs once per device in
 * nbcl_stream_open; if it fails, device_release is still called with whatever state it left
 * (so a half-initialised device releases everything it made). */
typedef struct nbcl_stream nbcl_stream;

int nbcl_stream_open(const nbcl_device_info *devices, int ndevices, const nbcl_stream_ops *ops,
                     void *user, const nbcl_stream_opts *opts, int width, int height,
                     nbcl_stream **out, nbcl_err *err);

/* Run every tile of the width x height detector once (with opts.limit, every tile meeting
 * the region). planes[p] receives plane p of the whole detector (width*height floats each,
 * index = slow*width + fast); a NULL planes[p] is computed but not kept. On failure the first error of any device is returned (prefixed
 * with the device when there are several) and the other devices stop at their next tile. */
int nbcl_stream_image(nbcl_stream *st, float **planes, nbcl_err *err);

/* The next nbcl_stream_image's planes p whose bit (1u << p) is set in mask hold only zeros
 * already: its first pass leaves the pixels outside its tiles as they are, not even read
 * (reading a page of a mapped file to see whether it is 0 brings it into memory). */
void nbcl_stream_planes_zeroed(nbcl_stream *st, unsigned mask);

/* Of the last image, summed over devices: the device time of the kernels (from the
 * device's event profiling) and of the reads plus the host's copies of the tiles into the
 * planes (read-back). Returns 0 when a device could not profile (the kernel time then
 * misses its tiles). */
int nbcl_stream_device_times(const nbcl_stream *st, double *kernels, double *readback);

/* The tile edge in use, the number of devices, and device i's state and context (for
 * updating its tables between images, on its queue, while no image is running). */
int nbcl_stream_tile_size(const nbcl_stream *st);
int nbcl_stream_devices(const nbcl_stream *st);
void *nbcl_stream_state(nbcl_stream *st, int i, nbcl_devctx **dev);

/* Release everything (device_release first); NULL is fine. Nonzero if a release failed. */
int nbcl_stream_close(nbcl_stream *st);

/* Open, one image, close. devices must outlive the stream (a stream points into them). */
int nbcl_stream_run(const nbcl_device_info *devices, int ndevices,
                    const nbcl_stream_ops *ops, void *user, const nbcl_stream_opts *opts,
                    float **planes, int width, int height, nbcl_err *err);

/* The tile edge opts->tile = 0 stands for: large enough to keep every device busy (about
 * 2048 pixels per compute unit) and to make about 16 tiles per device, but no larger than
 * keeps a tile's scratch and output buffers within 16 MiB (host memory on a CPU device)
 * unless occupancy needs more, and within an eighth of the smallest device memory, the
 * largest allocation, and 2048 pixels. */
int nbcl_stream_auto_tile(const nbcl_device_info *devices, int ndevices, int nplanes,
                          int width, int height);
/* The same, also fitting a scratch buffer of scratch_per_pixel bytes per tile pixel. */
int nbcl_stream_auto_tile_scratch(const nbcl_device_info *devices, int ndevices, int nplanes,
                                  size_t scratch_per_pixel, int width, int height);

#endif
