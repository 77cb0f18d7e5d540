/* image_loop.c: the image loop of nanobragg-cl. The main thread simulates image i+1 on the
 * engine while a writer thread turns image i into files (noise, integers, compression,
 * writing), so the device is rarely idle; two image buffers, whatever the series length.
 * Within an image, the engine's rows thread gathers the statistics as the tiles finish, so
 * that work overlaps the kernels too; the image itself is simulated into its float file's
 * pages where the file can be mapped (no copy is written), else that thread writes the
 * float file row by row.
 * One progress line (images done, elapsed, ETA) on stderr for a series. A failure stops
 * the series: finished images keep their files, the failing image leaves none of its files
 * (each image's files are written under temporary names and renamed together: an output
 * group), and a NeXus file being built is removed. A single image's files and its NeXus
 * file form one group. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app/app.h"

typedef struct job {
    int index;
    const float *image;
    nbcl_run_info info;
    long seed;
    nbcl_app_streamed streamed;   /* statistics and float file, made as rows were finished */
} job;

/* The rows callback: an image's rows appended to its float file as they are finished,
 * while the devices compute the next tiles (on the engine's rows thread). */
typedef struct row_sink {
    nbcl_float_writer *floatfile;   /* NULL: no float file */
    size_t fast;
} row_sink;

static int append_rows(void *user, const float *image, int first_row, int rows)
{
    row_sink *r = user;
    if (!r->floatfile) return 0;
    return nbcl_float_writer_append(r->floatfile, image + (size_t)first_row * r->fast,
                                    (size_t)rows * r->fast);
}

typedef struct pipeline {
    const nbcl_engine *eng;
    const nbcl_outputs *out;
    const nbcl_app_plan *plan;
    nbcl_nexus_writer *nexus;
    uint16_t *counts;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job jobs[2];
    int posted, done, failed, quit;
} pipeline;

static void *writer_main(void *arg)
{
    pipeline *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->done == p->posted && !p->quit) pthread_cond_wait(&p->cond, &p->lock);
        if (p->done == p->posted) {   /* quit and nothing left */
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        job j = p->jobs[p->done % 2];
        pthread_mutex_unlock(&p->lock);
        int rc = nbcl_app_write_image(p->eng, p->out, p->plan, j.index, j.image, &j.info, j.seed,
                                      p->counts, p->nexus, &j.streamed, NULL, 0);
        fflush(stdout);
        pthread_mutex_lock(&p->lock);
        if (rc) p->failed = 1;
        p->done++;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (rc) return NULL;
    }
}

/* wait until at most `pending` posted images are not written yet; nonzero if writing failed */
static int wait_written(pipeline *p, int pending)
{
    pthread_mutex_lock(&p->lock);
    while (p->posted - p->done > pending && !p->failed) pthread_cond_wait(&p->cond, &p->lock);
    int failed = p->failed;
    pthread_mutex_unlock(&p->lock);
    return failed;
}

static void post(pipeline *p, const job *j)
{
    pthread_mutex_lock(&p->lock);
    p->jobs[p->posted % 2] = *j;
    p->posted++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void nbcl_app_progress(int done, int total, double t0, int tty)
{
    double el = nbcl_app_now() - t0, eta = done > 0 ? el * (total - done) / done : 0.0;
    if (tty)
        fprintf(stderr, "\r[%-30.*s] %d/%d images  elapsed %.1f s  ETA %.1f s ", 30 * done / total,
                "##############################", done, total, el, eta);
    else if (done == total || done % (total / 10 > 0 ? total / 10 : 1) == 0)
        fprintf(stderr, "progress: %d/%d images (%.1f s elapsed, ETA %.1f s)\n", done, total, el, eta);
    if (tty && done == total) fputc('\n', stderr);
}

/* Pixels [first, first + count) of a mapped float file brought into memory a piece at a
 * time while the OpenCL drivers load on the prefetch thread (the page faults are then off
 * the simulation's time); what is left when they are loaded faults in as the tiles come
 * back, beside the kernels, rather than keep the engine waiting. */
#define PREFAULT_PIECE ((size_t)1 << 20)   /* floats: 4 MB, a few milliseconds */
static void bring_in(nbcl_float_writer *w, size_t first, size_t count)
{
    for (size_t done = 0; done < count && nbcl_devices_prefetch_busy(); done += PREFAULT_PIECE)
        nbcl_float_writer_prefault(w, first + done, count - done < PREFAULT_PIECE ? count - done : PREFAULT_PIECE);
}

/* The float file as the image's memory, so that simulating the image writes the file with
 * no copy (nbcl_float_writer_map), its ROI rows brought into memory at once when asked
 * (prefault) -- except where a PNG preview of a run that simulates only an ROI would read
 * the whole detector from it: a file's untouched pages read as page-cache pages, an
 * anonymous buffer's as the one zero page. */
int nbcl_app_float_file(const nbcl_experiment *exp, const nbcl_app_plan *plan, int index,
                        int prefault, nbcl_float_writer **w, float **pixels)
{
    *w = NULL;
    *pixels = NULL;
    if (!plan->floatfile) return 0;
    int fast, slow, roi[4];
    char name[4096];
    const char *path = nbcl_app_image_name(plan->floatfile, index, name, sizeof name);
    if (!path) return 1;
    if (nbcl_experiment_detector_size(exp, &fast, &slow) || nbcl_experiment_roi(exp, roi) ||
        nbcl_float_writer_open(path, w))
        return nbcl_app_fail(NULL);
    int whole = roi[0] == 0 && roi[1] == fast - 1 && roi[2] == 0 && roi[3] == slow - 1;
    if (!whole && plan->pngfile) return 0;
    size_t width = (size_t)fast;
    if (nbcl_float_writer_map(*w, width * (size_t)slow, pixels)) {
        nbcl_float_writer_abort(*w);
        *w = NULL;
        return nbcl_app_fail(NULL);
    }
    if (*pixels && prefault) bring_in(*w, (size_t)roi[2] * width, (size_t)(roi[3] - roi[2] + 1) * width);
    return 0;
}

/* image i: simulated into buf, or into its float file's memory (floatfile, pixels: made
 * already, else NULL); the float file written as its rows are finished where it is not
 * mapped. j->image says where the image is. */
static int simulate_one(const nbcl_experiment *exp, nbcl_engine *eng, const nbcl_app_plan *plan,
                        int i, float *buf, size_t npix, nbcl_float_writer *floatfile, float *pixels,
                        job *j)
{
    int fast, slow;
    nbcl_experiment_detector_size(exp, &fast, &slow);
    row_sink sink = {.fast = (size_t)fast};
    /* not brought into memory first: the device would wait meanwhile (the read-back takes
     * the page faults while the kernels go on) */
    if (!floatfile && nbcl_app_float_file(exp, plan, i, 0, &floatfile, &pixels)) return 1;
    float *image = pixels ? pixels : buf;
    if (!pixels) sink.floatfile = floatfile;
    nbcl_image_params params;
    int rc = nbcl_engine_set_rows_callback(eng, append_rows, &sink) ||
             nbcl_experiment_series_image(exp, i, &params, &j->seed) ||
             nbcl_engine_run(eng, &params, image, npix) || nbcl_engine_run_info(eng, &j->info) ||
             nbcl_engine_run_stats(eng, &j->streamed.stats);
    nbcl_engine_set_rows_callback(eng, NULL, NULL);
    if (rc) {
        nbcl_float_writer_abort(floatfile);
        return nbcl_app_fail(NULL);
    }
    j->image = image;
    j->streamed.floatfile = floatfile;
    return 0;
}

/* simulate every image, handing each to the writer */
static int simulate_all(const nbcl_experiment *exp, nbcl_engine *eng, pipeline *p, float *bufs[2],
                        size_t npix, int show, nbcl_float_writer **first, float *first_pixels)
{
    double t0 = nbcl_app_now(), kernel = 0.0;
    int tty = isatty(fileno(stderr));
    for (int i = 0; i < p->plan->nimages; ++i) {
        if (wait_written(p, 1)) return 1;   /* image i-2's buffer is free again */
        job j = {.index = i};
        nbcl_float_writer *made = i == 0 ? *first : NULL;
        *first = NULL;   /* simulate_one takes it over */
        if (simulate_one(exp, eng, p->plan, i, bufs[i % 2], npix, made, made ? first_pixels : NULL, &j))
            return 1;
        kernel += j.info.seconds;
        if (p->plan->times) nbcl_app_times_engine(p->plan->times, eng);
        if (!p->plan->series && p->out->printout) nbcl_app_print_pixels(eng, p->out);
        post(p, &j);
        if (show) nbcl_app_progress(i + 1, p->plan->nimages, t0, tty);
    }
    if (wait_written(p, 0)) return 1;
    if (p->plan->series)
        printf("%d images in %.3f s (engine %.3f s, %.3f s per image)\n", p->plan->nimages,
               nbcl_app_now() - t0, kernel, kernel / p->plan->nimages);
    return 0;
}

int nbcl_app_run_series(const nbcl_experiment *exp, nbcl_engine *eng, const nbcl_outputs *o,
                        const nbcl_app_plan *plan, nbcl_float_writer *first, float *first_pixels)
{
    int fast, slow;
    nbcl_experiment_detector_size(exp, &fast, &slow);
    size_t npix = (size_t)fast * (size_t)slow;
    pipeline p = {.eng = eng, .out = o, .plan = plan};
    /* calloc: the pages of pixels outside the ROI are never written (the engine and the
     * integer conversion leave zero pages alone), so they cost no memory */
    float *bufs[2] = {calloc(npix, sizeof(float)), plan->series ? calloc(npix, sizeof(float)) : NULL};
    if (!plan->series) bufs[1] = bufs[0];
    p.counts = calloc(npix, sizeof *p.counts);
    if (!bufs[0] || !bufs[1] || !p.counts) {
        free(bufs[0]);
        if (plan->series) free(bufs[1]);
        free(p.counts);
        nbcl_float_writer_abort(first);
        return nbcl_app_fail("out of host memory for the images");
    }
    int rc = 0;
    /* a single image: all its files (NeXus too) are published together or not at all */
    if (!plan->series && nbcl_output_group_begin()) rc = nbcl_app_fail(NULL);
    if (!rc && plan->nexusfile && nbcl_engine_nexus_open(eng, plan->nexusfile, plan->nimages, &p.nexus))
        rc = nbcl_app_fail(NULL);
    pthread_t writer;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    if (!rc && pthread_create(&writer, NULL, writer_main, &p) != 0) rc = nbcl_app_fail("cannot start the writer thread");
    else if (!rc) {
        rc = simulate_all(exp, eng, &p, bufs, npix, plan->series && o->progress, &first, first_pixels);
        pthread_mutex_lock(&p.lock);
        p.quit = 1;
        pthread_cond_broadcast(&p.cond);
        pthread_mutex_unlock(&p.lock);
        pthread_join(writer, NULL);
        if (p.failed) rc = 1;
        /* images simulated but not written (the writer stopped at a failure): their float
         * files, written while they streamed, go */
        for (int k = p.done; k < p.posted; ++k) nbcl_float_writer_abort(p.jobs[k % 2].streamed.floatfile);
    }
    nbcl_float_writer_abort(first);   /* image 0's, if no image was simulated */
    if (p.nexus && nbcl_app_nexus_finish(p.nexus, rc, plan->nexusfile, plan->nimages)) rc = nbcl_app_fail(NULL);
    if (!plan->series && rc) nbcl_output_group_abort();
    else if (!plan->series && nbcl_output_group_commit()) rc = nbcl_app_fail(NULL);
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
    free(bufs[0]);
    if (plan->series) free(bufs[1]);
    free(p.counts);
    return rc;
}
