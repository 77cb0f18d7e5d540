/* app.h: the pieces of the nanobragg-cl command (main.c sequences them): which files to
 * write and under which names, the image pipeline (simulate one image while the previous
 * one is written), writing one image's files, and the -printout lines. Uses only the public
 * API. */
#ifndef NBCL_APP_H
#define NBCL_APP_H

#include <stddef.h>
#include "nbcl/nbcl.h"

/* One error line on stderr (what, or nbcl_last_error() when NULL); returns 1. After
 * nbcl_app_capture_errors(buf, n) the first such message goes into buf instead (an MPI rank
 * other than 0 hands its error to rank 0); NULL prints again. */
int nbcl_app_fail(const char *what);
void nbcl_app_capture_errors(char *buf, size_t n);

/* The experiment's log callback: each line on stdout. */
void nbcl_app_print_line(void *user, nbcl_log_level level, const char *line);

/* The whole command in one process (what main runs without MPI); returns the exit status. */
int nbcl_app_main(int argc, char **argv);
/* nanobragg-cl -list_devices */
int nbcl_app_list_devices(void);

/* Before any work: every output file's directory exists and is writable, so that a run
 * never stops half way through writing its files. Reports the error itself. */
int nbcl_app_check_outputs(const nbcl_outputs *out);

/* After an -hkl text file was read: nanoBragg's Fdump.bin cache (failure only warns). */
void nbcl_app_write_fdump(const nbcl_experiment *exp, const nbcl_outputs *out);

/* -timing: where the time went (seconds), summed over the images of a series. The main
 * thread fills the engine's phases, the writer thread post-processing and writes. */
#define NBCL_APP_MAX_WRITES 8
typedef struct nbcl_app_times {
    int on;
    double t_main;              /* when main started */
    double startup;             /* arguments, set-up, input files: until the engine is made */
    double image_tables, kernels, readback, streaming, engine_host;
    double rows;                /* host work on rows as they were finished (engine's rows thread) */
    int unprofiled, images;
    double post;                /* waiting for the counts after the float image's files */
    double counts;              /* the counts (noise image), on a thread beside those files */
    struct {
        const char *what;
        double seconds;
        int files;
        char last[4096];
    } writes[NBCL_APP_MAX_WRITES];
    int nwrites;
} nbcl_app_times;

/* The files to write per image (name patterns, NULL = not written) and for the series. */
typedef struct nbcl_app_plan {
    int nimages, series;
    const char *floatfile, *intfile, *noisefile, *pgmfile, *pngfile, *cbffile;
    const char *nexusfile, *noisepngfile;
    int noise;                  /* the image's counts are its noise image */
    nbcl_app_times *times;      /* -timing (NULL or off: nothing is timed) */
} nbcl_app_plan;

/* The plan for nimages images; a series with a per-image name lacking '#' is an error
 * (reported). */
int nbcl_app_plan_outputs(const nbcl_outputs *o, int nimages, nbcl_app_plan *plan);

/* pattern with its run of '#' replaced by number, zero-padded to the run's width. */
int nbcl_app_numbered(const char *pattern, int number, char *out, size_t n);

/* What was done to an image while its rows were finished: its statistics
 * (nbcl_engine_run_stats), and its float file written by the rows callback but not yet
 * closed. */
typedef struct nbcl_app_streamed {
    nbcl_image_stats stats;
    nbcl_float_writer *floatfile;   /* closed (published) or aborted by nbcl_app_write_image;
                                       NULL: the float file is written there from the image */
} nbcl_app_streamed;

/* One image's files (index is 0-based). A single image prints nanoBragg's lines; an image
 * of a series one summary line (into line, n chars, instead when line is not NULL). counts
 * is scratch for fast*slow values. nexus may be NULL; streamed NULL: the statistics and
 * the float file are made here from the image. Reports errors itself; returns nonzero on
 * failure. */
int nbcl_app_write_image(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                         int index, const float *image, const nbcl_run_info *info, long seed,
                         uint16_t *counts, nbcl_nexus_writer *nexus, nbcl_app_streamed *streamed,
                         char *line, size_t n);

/* The file name of image index (0-based) from pattern (its '#' run numbered), or NULL when
 * pattern is NULL or the name is too long (reported). */
const char *nbcl_app_image_name(const char *pattern, int index, char *buf, size_t n);

/* The counts the CBF and NeXus files hold: the noise image (with -noisefile), else the
 * ideal image rounded. photons and overloads may be NULL. Reports errors itself. */
/* The end of a NeXus file of nimages images: removed when the run failed, else closed and
 * said as nanobragg-cl says it. Nonzero when closing failed (nbcl_last_error() says why). */
int nbcl_app_nexus_finish(nbcl_nexus_writer *w, int failed, const char *path, int nimages);

int nbcl_app_photon_counts(const nbcl_engine *eng, const nbcl_app_plan *p, const nbcl_outputs *o,
                           const float *img, long seed, uint16_t *counts, double *photons,
                           int *overloads);

/* A series' progress line on stderr (a bar on a terminal); t0 from nbcl_app_now. */
void nbcl_app_progress(int done, int total, double t0, int tty);

/* Image index's float file, opened (nothing when the plan has none: *w NULL). Where it can
 * be, it is mapped as the image's memory (*pixels; else NULL and the rows are appended as
 * they are finished) and, with prefault, its ROI rows are brought into memory now (the page
 * faults taken while the caller would wait anyway). Reports errors itself; nonzero on
 * failure. */
int nbcl_app_float_file(const nbcl_experiment *exp, const nbcl_app_plan *plan, int index,
                        int prefault, nbcl_float_writer **w, float **pixels);

/* Simulate every image of the experiment with eng and write it, the writing of image i
 * overlapping the simulation of image i+1. first, first_pixels: image 0's float file made
 * by nbcl_app_float_file before the engine (taken over: closed or aborted here), or NULL.
 * Returns the exit status. */
int nbcl_app_run_series(const nbcl_experiment *exp, nbcl_engine *eng, const nbcl_outputs *o,
                        const nbcl_app_plan *plan, nbcl_float_writer *first, float *first_pixels);

/* -timing: a monotonic clock; the engine's phases of the last run added in; the time since
 * *since charged to post-processing (what NULL) or to writing `what` (file), *since moved to
 * now; the "timing:" lines. */
double nbcl_app_now(void);
void nbcl_app_times_engine(nbcl_app_times *t, const nbcl_engine *eng);
void nbcl_app_lap(const nbcl_app_plan *plan, const char *what, const char *file, double *since);
void nbcl_app_counts_time(const nbcl_app_plan *plan, double seconds);
void nbcl_app_times_print(const nbcl_app_times *t, const nbcl_engine *eng);

/* -printout / -printout_pixel: nanoBragg's diagnostic lines. */
void nbcl_app_print_pixels(const nbcl_engine *eng, const nbcl_outputs *out);

/* Started by an MPI launcher (mpirun, srun)? Then, in a build with MPI, nbcl_app_mpi_run
 * loads libnbcl-mpi.so (mpi_loader.c) and runs the command as one rank of several in its
 * entry, nbcl_app_mpi_main (mpi_run.c). */
int nbcl_app_mpi_launched(void);
int nbcl_app_mpi_run(int argc, char **argv);
#define NBCL_APP_MPI_ENTRY "nbcl_app_mpi_main"
typedef int nbcl_app_mpi_entry(int argc, char **argv);
int nbcl_app_mpi_main(int argc, char **argv);

#endif
