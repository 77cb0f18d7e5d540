/* mpi_run.c: nanobragg-cl as one of K MPI ranks (mpirun -np K, srun), built with -Dmpi
 * into libnbcl-mpi.so, which the program loads only when an MPI launcher started it
 * (mpi_loader.c). Why a module of its own: the one-process command loads no MPI library,
 * and a build without MPI compiles none of this.
 *
 * A series (-nimages, -shots): rank 0 is the dispatcher. It hands image indices out one at a
 * time to ranks 1..K-1 as they ask (so fast and slow devices all stay busy), prints each
 * image's line in image order, writes the NeXus file from the counts the ranks send, and
 * ends with every rank's image count and throughput. Ranks 1..K-1 each run one persistent
 * engine on one device (node-local rank mod the devices -device matches) and write their
 * images' own files. Rank 0 simulates nothing (it makes an engine only for the NeXus
 * header). Rank 0 holds at most 2(K-1) finished images waiting for an earlier one.
 * One image: every rank simulates a band of rows, rank 0 gathers the bands, then computes
 * the statistics and noise over the whole image and writes every file (with -printout or
 * -detector, rank 0 simulates the whole image: the pixel details live in one engine, and
 * a band is rows of one flat panel).
 * Errors: the first rank to fail is named in one line printed by rank 0; every rank stops
 * (at a collective step, or, in a series, when it next asks for an image) and exits 1.
 * K = 1 runs exactly the one-process command. All ranks must run the same binary. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app/app.h"

enum { TAG_REQUEST = 1, TAG_INDEX, TAG_COUNTS, TAG_ERROR };
enum { MSG_READY, MSG_DONE, MSG_FAIL };

#define MSG_CHARS 1024

typedef struct mpi_ctx {
    MPI_Comm comm;
    int rank, size, local_rank;
    char error[MSG_CHARS];  /* this rank's first error, captured for rank 0 to print with
                               the rank's number ("" if it was printed already) */
} mpi_ctx;

/* what a series rank tells rank 0 when it asks for the next image (sent as bytes) */
typedef struct report {
    int kind, index;
    nbcl_run_info info;
    char text[MSG_CHARS];   /* MSG_DONE: the image's line; MSG_FAIL: the error */
} report;

static void rank_error(int rank, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "nanobragg-cl: error: rank %d: %s\n", rank, msg && *msg ? msg : "failed");
}

/* Collective: did any rank fail? The lowest failing rank's error is printed by rank 0 with
 * the rank's number (a later rank sends it to rank 0). */
static int agree(mpi_ctx *m, int failed)
{
    int mine = failed ? m->rank : m->size, first = m->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, m->comm);
    if (first == m->size) return 0;
    if (first == 0 && m->rank == 0 && m->error[0]) rank_error(0, m->error);
    if (first != 0 && m->rank == first)
        MPI_Send(m->error, MSG_CHARS, MPI_CHAR, 0, TAG_ERROR, m->comm);
    if (first != 0 && m->rank == 0) {
        char msg[MSG_CHARS];
        MPI_Recv(msg, MSG_CHARS, MPI_CHAR, first, TAG_ERROR, m->comm, MPI_STATUS_IGNORE);
        msg[MSG_CHARS - 1] = '\0';
        rank_error(first, msg);
    }
    return 1;
}

/* One engine on this rank's device; rows > 0: only that band of rows. */
static int make_engine(const mpi_ctx *m, nbcl_experiment *exp, int first_row, int rows,
                       nbcl_engine **eng)
{
    nbcl_engine_options o;
    nbcl_engine_options_init(&o);
    o.device_slot = m->local_rank + 1;
    o.first_row = rows > 0 ? first_row : 0;
    o.rows = rows;
    if (m->rank != 0) o.progress = 0;
    fflush(stdout);
    return nbcl_engine_create(exp, &o, eng) ? nbcl_app_fail(NULL) : 0;
}

/* a detector row of `fast` elements of type t, so that counts never overflow an int */
static MPI_Datatype row_type(MPI_Datatype t, int fast)
{
    MPI_Datatype row;
    MPI_Type_contiguous(fast, t, &row);
    MPI_Type_commit(&row);
    return row;
}

/* ------------------------------------------------------------------ one image in bands */

/* rank's band of rows: near-equal, in rank order, never empty for rank 0 */
static int band_start(int rank, int size, int slow)
{
    return (int)(((long long)slow * rank + size - 1) / size);
}

static void band_of(int rank, int size, int slow, int *first, int *rows)
{
    *first = band_start(rank, size, slow);
    *rows = band_start(rank + 1, size, slow) - *first;
}

/* rank 0: the gathered image's files, with the solid angle summed over the bands in order */
static int write_gathered(nbcl_engine *eng, const nbcl_outputs *out,
                          const nbcl_app_plan *plan, const float *img, nbcl_run_info *info,
                          long seed, size_t npix)
{
    uint16_t *counts = malloc(npix * sizeof *counts);
    if (!counts) return nbcl_app_fail("out of host memory for the counts");
    if (out->printout) nbcl_app_print_pixels(eng, out);
    nbcl_nexus_writer *nexus = NULL;
    /* all the image's files (NeXus too) are published together or not at all */
    int rc = nbcl_output_group_begin() ? nbcl_app_fail(NULL) : 0;
    if (!rc && plan->nexusfile && nbcl_engine_nexus_open(eng, plan->nexusfile, 1, &nexus)) rc = nbcl_app_fail(NULL);
    if (!rc) rc = nbcl_app_write_image(eng, out, plan, 0, img, info, seed, counts, nexus, NULL, NULL, 0);
    if (nexus && nbcl_app_nexus_finish(nexus, rc, plan->nexusfile, 1)) rc = nbcl_app_fail(NULL);
    if (rc) nbcl_output_group_abort();
    else if (nbcl_output_group_commit()) rc = nbcl_app_fail(NULL);
    free(counts);
    return rc;
}

static int single_ranks(mpi_ctx *m, nbcl_experiment *exp, const nbcl_outputs *out,
                        const nbcl_app_plan *plan)
{
    int fast = 0, slow = 0;
    nbcl_experiment_detector_size(exp, &fast, &slow);
    size_t npix = (size_t)fast * (size_t)slow;
    int split = !out->printout && !out->detectorfile;   /* bands are rows of one flat panel */
    int first = 0, rows = m->rank == 0 ? slow : 0;   /* rank 0 writes: it always has an engine */
    if (split) band_of(m->rank, m->size, slow, &first, &rows);
    nbcl_engine *eng = NULL;
    float *img = NULL;
    int failed = 0, rc = 1;
    if (rows > 0) {
        img = calloc(npix, sizeof *img);
        failed = img ? make_engine(m, exp, first, rows == slow ? 0 : rows, &eng)
                     : nbcl_app_fail("out of host memory for the image");
    }
    if (agree(m, failed)) goto done;
    nbcl_run_info info;
    memset(&info, 0, sizeof info);
    long seed = 0;
    nbcl_image_params params;
    if (eng && (nbcl_experiment_series_image(exp, 0, &params, &seed) || nbcl_engine_run(eng, &params, img, npix) ||
                nbcl_engine_run_info(eng, &info)))
        failed = nbcl_app_fail(NULL);
    if (agree(m, failed)) goto done;
    MPI_Datatype row = row_type(MPI_FLOAT, fast);
    int *counts = m->rank == 0 ? malloc(sizeof(int) * 2 * (size_t)m->size) : NULL;
    if (m->rank == 0 && !counts) {
        rank_error(0, "out of host memory");
        MPI_Abort(m->comm, 1);
    }
    if (counts)
        for (int r = 0; r < m->size; ++r) {
            if (split) band_of(r, m->size, slow, &counts[m->size + r], &counts[r]);
            else counts[r] = counts[m->size + r] = 0;
        }
    float *mine = img ? img + (size_t)first * (size_t)fast : NULL;
    if (m->rank == 0)
        MPI_Gatherv(MPI_IN_PLACE, 0, row, img, counts, counts + m->size, row, 0, m->comm);
    else
        MPI_Gatherv(mine, split ? rows : 0, row, NULL, NULL, NULL, row, 0, m->comm);
    MPI_Type_free(&row);
    /* each band's solid angle and time, summed in rank order on rank 0 */
    double part[2] = {eng ? info.solid_angle : 0.0, eng ? info.seconds : 0.0};
    int fallback = eng ? info.interpolation_fallback : 0, any_fallback = 0;
    double *parts = m->rank == 0 ? malloc(sizeof(double) * 2 * (size_t)m->size) : NULL;
    if (m->rank == 0 && !parts) {
        rank_error(0, "out of host memory");
        MPI_Abort(m->comm, 1);
    }
    MPI_Gather(part, 2, MPI_DOUBLE, parts, 2, MPI_DOUBLE, 0, m->comm);
    MPI_Reduce(&fallback, &any_fallback, 1, MPI_INT, MPI_LOR, 0, m->comm);
    rc = 0;
    if (m->rank == 0) {
        if (split && parts) {
            info.solid_angle = 0.0;
            for (int r = 0; r < m->size; ++r) info.solid_angle += parts[2 * r];
        }
        info.interpolation_fallback = any_fallback;
        rc = write_gathered(eng, out, plan, img, &info, seed, npix);
        if (rc && m->error[0]) rank_error(0, m->error);
        for (int r = 0; split && r < m->size; ++r)
            printf("rank %d: rows %d to %d, engine %.3f s\n", r, counts[m->size + r],
                   counts[m->size + r] + counts[r] - 1, parts[2 * r + 1]);
    }
    free(parts);
    free(counts);
done:
    nbcl_engine_destroy(eng);
    free(img);
    return rc;
}

/* ------------------------------------------------------------------ a series */

/* ranks 1..K-1: simulate image i and write its files; the report says how it went */
static void one_image(mpi_ctx *m, const nbcl_experiment *exp, nbcl_engine *eng, const nbcl_outputs *out,
                      const nbcl_app_plan *plan, int i, float *img, uint16_t *counts,
                      uint16_t *nexus_counts, size_t npix, report *r)
{
    nbcl_app_plan files = *plan;
    files.nexusfile = NULL;   /* rank 0 writes it from nexus_counts */
    nbcl_image_params params;
    nbcl_app_streamed streamed = {.floatfile = NULL};   /* the statistics gathered by the run */
    long seed = 0;
    m->error[0] = '\0';
    r->index = i;
    r->kind = MSG_DONE;
    if (nbcl_experiment_series_image(exp, i, &params, &seed) || nbcl_engine_run(eng, &params, img, npix) ||
        nbcl_engine_run_info(eng, &r->info) || nbcl_engine_run_stats(eng, &streamed.stats))
        r->kind = MSG_FAIL, nbcl_app_fail(NULL);
    else if (nbcl_app_write_image(eng, out, &files, i, img, &r->info, seed, counts, NULL, &streamed, r->text,
                                  sizeof r->text))
        r->kind = MSG_FAIL;
    else if (nexus_counts && nbcl_app_photon_counts(eng, plan, out, img, seed, nexus_counts, NULL, NULL))
        r->kind = MSG_FAIL;
    if (r->kind == MSG_FAIL) snprintf(r->text, sizeof r->text, "image %d: %s", i + 1, m->error);
}

static int work(mpi_ctx *m, const nbcl_experiment *exp, nbcl_engine *eng, const nbcl_outputs *out,
                const nbcl_app_plan *plan, int fast, int slow)
{
    size_t npix = (size_t)fast * (size_t)slow;
    float *img = malloc(npix * sizeof *img);
    uint16_t *counts = malloc(npix * sizeof *counts);
    uint16_t *nexus_counts = plan->nexusfile ? malloc(npix * sizeof *nexus_counts) : NULL;
    report *r = calloc(1, sizeof *r);
    if (!r) {
        rank_error(m->rank, "out of host memory");
        MPI_Abort(m->comm, 1);
    }
    r->kind = MSG_READY;
    if (!img || !counts || (plan->nexusfile && !nexus_counts)) {
        r->kind = MSG_FAIL;
        snprintf(r->text, sizeof r->text, "out of host memory for the images");
    }
    MPI_Datatype row = row_type(MPI_UINT16_T, fast);
    for (;;) {
        MPI_Send(r, sizeof *r, MPI_BYTE, 0, TAG_REQUEST, m->comm);
        if (r->kind == MSG_DONE && nexus_counts)
            MPI_Send(nexus_counts, slow, row, 0, TAG_COUNTS, m->comm);
        int index = -1;
        MPI_Recv(&index, 1, MPI_INT, 0, TAG_INDEX, m->comm, MPI_STATUS_IGNORE);
        if (index < 0) break;
        one_image(m, exp, eng, out, plan, index, img, counts, nexus_counts, npix, r);
    }
    MPI_Type_free(&row);
    free(r);
    free(img);
    free(counts);
    free(nexus_counts);
    return 0;
}

/* a finished image waiting on rank 0 for the ones before it */
typedef struct pending {
    int full;
    char line[MSG_CHARS];
    nbcl_run_info info;
    uint16_t *counts;
} pending;

typedef struct dispatcher {
    mpi_ctx *m;
    const nbcl_app_plan *plan;
    nbcl_nexus_writer *nexus;
    pending *slots;
    int window, next, written, fail_rank;
    char fail_msg[MSG_CHARS];
    long *done_by;
    double *seconds_by;
    double t0;
    int show, tty;
} dispatcher;

static void fail_at(dispatcher *d, int rank, const char *msg)
{
    if (d->fail_rank >= 0) return;
    d->fail_rank = rank;
    snprintf(d->fail_msg, sizeof d->fail_msg, "%s", msg);
}

/* the finished images in order: their lines, the NeXus file, the progress line */
static void write_in_order(dispatcher *d)
{
    while (d->fail_rank < 0 && d->written < d->plan->nimages && d->slots[d->written % d->window].full) {
        pending *p = &d->slots[d->written % d->window];
        printf("%s\n", p->line);
        if (d->nexus && nbcl_nexus_writer_append(d->nexus, &p->info, p->counts))
            fail_at(d, 0, nbcl_last_error());
        p->full = 0;
        d->written++;
        if (d->show) nbcl_app_progress(d->written, d->plan->nimages, d->t0, d->tty);
    }
    fflush(stdout);
}

/* hand the waiting ranks an image each (-1: stop) while the window allows; returns how many
 * ranks were told to stop */
static int serve(dispatcher *d, int *waiting, int *nwait)
{
    int keep = 0, stopped = 0;
    for (int k = 0; k < *nwait; ++k) {
        int index = -1;
        if (d->fail_rank < 0 && d->next < d->plan->nimages) {
            if (d->next >= d->written + d->window) {
                waiting[keep++] = waiting[k];
                continue;
            }
            index = d->next++;
        }
        MPI_Send(&index, 1, MPI_INT, waiting[k], TAG_INDEX, d->m->comm);
        if (index < 0) stopped++;
    }
    *nwait = keep;
    return stopped;
}

/* Wait for the next report without spinning: MPI's blocking receive busy-polls, which would
 * take a core from the ranks that simulate (rank 0 often shares their host). Sleeps from
 * 20 us up to 1 ms between polls, a small delay next to an image. */
static void wait_report(MPI_Comm comm, MPI_Status *st)
{
    int ready = 0;
    for (long pause_ns = 20000;; pause_ns = pause_ns < 1000000 ? pause_ns * 2 : pause_ns) {
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, comm, &ready, st);
        if (ready) return;
        struct timespec ts = {0, pause_ns};
        nanosleep(&ts, NULL);
    }
}

static void summary(const dispatcher *d)
{
    double el = nbcl_app_now() - d->t0;
    printf("%d images in %.3f s on %d ranks (%.2f images/s)\n", d->plan->nimages, el, d->m->size - 1,
           el > 0 ? d->plan->nimages / el : 0.0);
    for (int r = 1; r < d->m->size; ++r)
        printf("rank %d: %ld images, engine %.3f s, %.2f images/s\n", r, d->done_by[r], d->seconds_by[r],
               el > 0 ? d->done_by[r] / el : 0.0);
}

static int dispatch(mpi_ctx *m, nbcl_engine *eng, const nbcl_outputs *out, const nbcl_app_plan *plan,
                    int fast, int slow)
{
    size_t npix = (size_t)fast * (size_t)slow;
    dispatcher d = {.m = m, .plan = plan, .window = 2 * (m->size - 1), .fail_rank = -1,
                    .t0 = nbcl_app_now(), .show = out->progress, .tty = isatty(fileno(stderr))};
    d.slots = calloc((size_t)d.window, sizeof *d.slots);
    d.done_by = calloc((size_t)m->size, sizeof *d.done_by);
    d.seconds_by = calloc((size_t)m->size, sizeof *d.seconds_by);
    int *waiting = malloc(sizeof(int) * (size_t)m->size), nwait = 0;
    int ok = d.slots && d.done_by && d.seconds_by && waiting;
    for (int k = 0; ok && plan->nexusfile && k < d.window; ++k)
        ok = (d.slots[k].counts = malloc(npix * sizeof(uint16_t))) != NULL;
    if (!ok) {
        /* no index is handed out, so no image (and no counts) ever arrives */
        fail_at(&d, 0, "out of host memory for the images in flight");
        if (!waiting) {
            rank_error(0, "out of host memory");
            MPI_Abort(m->comm, 1);
        }
    } else if (plan->nexusfile && nbcl_engine_nexus_open(eng, plan->nexusfile, plan->nimages, &d.nexus)) {
        fail_at(&d, 0, nbcl_last_error());
    }
    MPI_Datatype row = row_type(MPI_UINT16_T, fast);
    for (int active = m->size - 1; active > 0;) {
        report r;
        MPI_Status st;
        wait_report(m->comm, &st);
        int src = st.MPI_SOURCE;
        MPI_Recv(&r, sizeof r, MPI_BYTE, src, TAG_REQUEST, m->comm, MPI_STATUS_IGNORE);
        r.text[MSG_CHARS - 1] = '\0';
        if (r.kind == MSG_DONE) {
            pending *p = &d.slots[r.index % d.window];
            if (plan->nexusfile) MPI_Recv(p->counts, slow, row, src, TAG_COUNTS, m->comm, MPI_STATUS_IGNORE);
            p->full = 1;
            p->info = r.info;
            memcpy(p->line, r.text, sizeof p->line);
            d.done_by[src]++;
            d.seconds_by[src] += r.info.seconds;
        } else if (r.kind == MSG_FAIL) {
            fail_at(&d, src, r.text);
        }
        write_in_order(&d);
        waiting[nwait++] = src;
        active -= serve(&d, waiting, &nwait);
    }
    MPI_Type_free(&row);
    int rc = d.fail_rank >= 0;
    if (d.nexus && nbcl_app_nexus_finish(d.nexus, rc, plan->nexusfile, plan->nimages)) {
        fail_at(&d, 0, nbcl_last_error());
        rc = 1;
    }
    if (rc) rank_error(d.fail_rank, d.fail_msg);
    else summary(&d);
    for (int k = 0; d.slots && k < d.window; ++k) free(d.slots[k].counts);
    free(d.slots);
    free(d.done_by);
    free(d.seconds_by);
    free(waiting);
    return rc;
}

static int series_ranks(mpi_ctx *m, nbcl_experiment *exp, const nbcl_outputs *out,
                        const nbcl_app_plan *plan)
{
    int fast = 0, slow = 0;
    nbcl_experiment_detector_size(exp, &fast, &slow);
    nbcl_engine *eng = NULL;
    int failed = 0;
    if (m->rank != 0 || plan->nexusfile) failed = make_engine(m, exp, 0, 0, &eng);
    int rc = 1;
    if (!agree(m, failed)) {
        if (m->rank == 0) printf("rank 0 hands out %d images to %d ranks\n", plan->nimages, m->size - 1);
        fflush(stdout);
        rc = m->rank == 0 ? dispatch(m, eng, out, plan, fast, slow) : work(m, exp, eng, out, plan, fast, slow);
    }
    nbcl_engine_destroy(eng);
    return rc;
}

/* ------------------------------------------------------------------ the command */

/* read the files, plan the outputs (rank 0 also checks them and writes the Fdump cache) */
static int prepare(nbcl_experiment *exp, const nbcl_outputs *out, nbcl_app_plan *plan, int rank0)
{
    if (rank0 && nbcl_app_check_outputs(out)) return 1;
    if (nbcl_experiment_resolve(exp)) return nbcl_app_fail(NULL);
    int nimages = 1;
    nbcl_experiment_series_length(exp, &nimages);
    if (nbcl_app_plan_outputs(out, nimages, plan)) return 1;
    /* from here on files are written: a SIGINT, SIGTERM or SIGHUP removes the temporaries */
    if (nbcl_output_cleanup_on_signals()) return nbcl_app_fail(NULL);
    if (rank0) nbcl_app_write_fdump(exp, out);
    return 0;
}

static int run_ranks(mpi_ctx *m, nbcl_experiment *exp)
{
    nbcl_outputs out;
    nbcl_experiment_outputs(exp, &out);
    nbcl_app_plan plan;
    memset(&plan, 0, sizeof plan);
    /* rank 0 first, so that a bad command line or file is reported once */
    if (agree(m, m->rank == 0 && prepare(exp, &out, &plan, 1))) return 1;
    if (agree(m, m->rank != 0 && prepare(exp, &out, &plan, 0))) return 1;
    int rc = plan.series ? series_ranks(m, exp, &out, &plan) : single_ranks(m, exp, &out, &plan);
    MPI_Bcast(&rc, 1, MPI_INT, 0, m->comm);
    return rc;
}

static int ranks_main(mpi_ctx *m, int argc, char **argv)
{
    /* errors are printed by rank 0, naming the rank; logs come from rank 0 only */
    nbcl_app_capture_errors(m->error, sizeof m->error);
    if (m->rank != 0 && !freopen("/dev/null", "w", stdout)) return 1;
    nbcl_experiment *exp = NULL;
    int failed = nbcl_experiment_create(&exp) != NBCL_OK;
    if (!failed) {
        nbcl_experiment_set_log(exp, nbcl_app_print_line, NULL);
        failed = nbcl_experiment_parse_args(exp, argc - 1, (const char *const *)argv + 1) != NBCL_OK;
    }
    if (failed) nbcl_app_fail(NULL);
    int rc = 1;
    if (!agree(m, failed)) {
        nbcl_request req = nbcl_experiment_request(exp);
        if (req == NBCL_REQUEST_HELP) {
            if (m->rank == 0) fputs(nbcl_args_help(), stdout);
            rc = 0;
        } else if (req == NBCL_REQUEST_LIST_DEVICES) {
            rc = m->rank == 0 ? nbcl_app_list_devices() : 0;
        } else {
            rc = run_ranks(m, exp);
        }
    }
    nbcl_experiment_destroy(exp);
    return rc;
}

int nbcl_app_mpi_main(int argc, char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "nanobragg-cl: error: MPI_Init_thread failed\n");
        return 1;
    }
    mpi_ctx m = {.comm = MPI_COMM_WORLD};
    MPI_Comm_rank(m.comm, &m.rank);
    MPI_Comm_size(m.comm, &m.size);
    MPI_Comm node;
    MPI_Comm_split_type(m.comm, MPI_COMM_TYPE_SHARED, m.rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &m.local_rank);
    MPI_Comm_free(&node);
    int rc = m.size == 1 ? nbcl_app_main(argc, argv) : ranks_main(&m, argc, argv);
    fflush(stdout);
    MPI_Finalize();
    return rc;
}
