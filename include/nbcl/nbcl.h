/* nbcl.h: the public API of libnbcl, nanoBragg-CL's simulation engine.
 *
 * Three steps, each with an opaque handle:
 *   1. An experiment (nbcl_experiment): described by a nanoBragg argument vector and/or the
 *      setters below, then resolved (files read, every default of nanoBragg applied).
 *   2. An engine (nbcl_engine) made from a resolved experiment: picks OpenCL devices, builds
 *      (or loads from the program cache) the kernels and uploads the tables, once.
 *   3. Images: nbcl_engine_run simulates one image into the caller's float buffer, as many
 *      times as wanted, each with its own per-image parameters (phi, orientation, crystal
 *      size, fluence); helpers turn an image into the reference's files.
 *
 * Conventions: every fallible call returns an nbcl_status (NBCL_OK = 0); the one-line
 * message of the last failure on the calling thread is nbcl_last_error(). Messages and log
 * lines name the flag or file concerned. Units are nanoBragg's command-line units (Angstrom,
 * degrees, mm) unless a name says otherwise. Strings passed in are copied; pointers handed
 * out stay valid until the handle they came from is destroyed. A handle may be used by one
 * thread at a time; different handles are independent. One exception, for pipelines: the
 * calls taking a `const nbcl_engine *` (statistics, counts, noise, writers, the NeXus
 * writer's append) may run on another thread while nbcl_engine_run simulates the next
 * image, as long as they are given that image's nbcl_run_info (not NULL). No OpenCL type
 * appears here. */
#ifndef NBCL_NBCL_H
#define NBCL_NBCL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define NBCL_API
#else
#define NBCL_API __attribute__((visibility("default")))
#endif

#define NBCL_VERSION_MAJOR 0
#define NBCL_VERSION_MINOR 3
#define NBCL_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the library actually loaded */
NBCL_API const char *nbcl_version(void);

/* ------------------------------------------------------------------ errors and logging */

typedef enum nbcl_status {
    NBCL_OK = 0,
    NBCL_E_INVALID = 1,     /* a bad flag, value, argument or combination */
    NBCL_E_FILE = 2,        /* a file is missing, malformed, or cannot be written */
    NBCL_E_NO_DEVICE = 3,   /* no OpenCL platform or device, or none matches the request */
    NBCL_E_OPENCL = 4,      /* an OpenCL call failed (the message names the call and error) */
    NBCL_E_BUILD = 5,       /* the kernels did not build for a device (message: build log) */
    NBCL_E_NOMEM = 6,       /* host memory ran out */
    NBCL_E_STATE = 7        /* a call out of order (e.g. pixel details before any run) */
} nbcl_status;

/* "NBCL_E_FILE" etc. */
NBCL_API const char *nbcl_status_name(nbcl_status status);
/* The message of the last call that failed on this thread ("" if none). */
NBCL_API const char *nbcl_last_error(void);

typedef enum nbcl_log_level { NBCL_LOG_INFO = 0, NBCL_LOG_WARNING = 1 } nbcl_log_level;
/* One complete line, without its newline. The library never writes to stdout; without a
 * callback the lines are dropped. An engine keeps its experiment's callback: it must stay
 * valid until every engine made from the experiment is destroyed. (Progress bars and
 * NBCL_BUILD_LOG output go to stderr.) */
typedef void (*nbcl_log_fn)(void *user, nbcl_log_level level, const char *line);

/* ------------------------------------------------------------------ devices */

typedef struct nbcl_device_desc {
    int index;                  /* global index, as -device N takes it */
    int platform_index, device_index;
    char platform[256], name[256], version[128];
    char type[16];              /* "cpu", "gpu", "accelerator", ... */
    unsigned compute_units;
    uint64_t global_mem, max_alloc;
    int has_fp64;
    char summary[768];          /* the line -list_devices prints */
} nbcl_device_desc;

/* Every OpenCL device on the machine; free the list with nbcl_devices_free. */
NBCL_API nbcl_status nbcl_devices_list(nbcl_device_desc **list, int *count);
NBCL_API void nbcl_devices_free(nbcl_device_desc *list);

/* Start loading the OpenCL drivers and finding their devices on a thread of the library's,
 * so that this (tens of milliseconds: PoCL loads LLVM) overlaps the caller's own set-up,
 * such as reading the input files; nbcl_engine_create and nbcl_devices_list wait for it.
 * Once per process; errors are left for those calls to report. A program that calls it
 * must call nbcl_devices_prefetch_wait before it exits, whatever happened in between: a
 * driver half loaded while exit() runs the drivers' destructors may crash. */
NBCL_API void nbcl_devices_prefetch(void);
NBCL_API void nbcl_devices_prefetch_wait(void);
/* 1 while the drivers are still loading on that thread, without waiting (0 once done, or
 * with no prefetch): work that may stop at any point can fill the time, as nanobragg-cl
 * brings its float file into memory (nbcl_float_writer_prefault) a piece at a time. */
NBCL_API int nbcl_devices_prefetch_busy(void);

/* ------------------------------------------------------------------ experiments */

typedef struct nbcl_experiment nbcl_experiment;

typedef enum nbcl_shape {
    NBCL_SHAPE_SQUARE = 0, NBCL_SHAPE_ROUND = 1, NBCL_SHAPE_GAUSS = 2, NBCL_SHAPE_TOPHAT = 3
} nbcl_shape;

typedef enum nbcl_precision {
    NBCL_PRECISION_AUTO = 0, NBCL_PRECISION_DOUBLE = 1, NBCL_PRECISION_SINGLE = 2
} nbcl_precision;

/* What an argument vector asked for besides a simulation. */
typedef enum nbcl_request {
    NBCL_REQUEST_RUN = 0, NBCL_REQUEST_HELP = 1, NBCL_REQUEST_LIST_DEVICES = 2
} nbcl_request;

/* An experiment with nanoBragg's defaults (nothing given yet). */
NBCL_API nbcl_status nbcl_experiment_create(nbcl_experiment **out);
NBCL_API void nbcl_experiment_destroy(nbcl_experiment *exp);
NBCL_API void nbcl_experiment_set_log(nbcl_experiment *exp, nbcl_log_fn fn, void *user);

/* nanoBragg's flags (argv without the program name), matched as nanoBragg matches them;
 * nanoBragg-CL's own flags (-device, -precision, -tile, -pngfile, -cache_dir, ...) too.
 * Flags named here override earlier setters; SMV headers of -img and -mask are read at this
 * point (as nanoBragg does) so that the flags override them. */
NBCL_API nbcl_status nbcl_experiment_parse_args(nbcl_experiment *exp, int argc,
                                                const char *const *argv);
NBCL_API nbcl_request nbcl_experiment_request(const nbcl_experiment *exp);
/* The flag table (-help): every flag with its arguments, units and meaning. */
NBCL_API const char *nbcl_args_help(void);

/* Setters for the common parameters (same units as the flags). */
NBCL_API nbcl_status nbcl_experiment_set_cell(nbcl_experiment *exp, double a, double b, double c,
                                              double alpha, double beta, double gamma);
NBCL_API nbcl_status nbcl_experiment_set_wavelength(nbcl_experiment *exp, double angstrom);
NBCL_API nbcl_status nbcl_experiment_set_detector(nbcl_experiment *exp, int fast_pixels,
                                                  int slow_pixels, double pixel_mm,
                                                  double distance_mm);
NBCL_API nbcl_status nbcl_experiment_set_beam_center(nbcl_experiment *exp, double xbeam_mm,
                                                     double ybeam_mm);
NBCL_API nbcl_status nbcl_experiment_set_crystal_cells(nbcl_experiment *exp, double Na,
                                                       double Nb, double Nc);
NBCL_API nbcl_status nbcl_experiment_set_shape(nbcl_experiment *exp, nbcl_shape shape);
NBCL_API nbcl_status nbcl_experiment_set_default_F(nbcl_experiment *exp, double F);
/* n reflections: hkl holds 3 integers per reflection, F one amplitude each (copied). */
NBCL_API nbcl_status nbcl_experiment_set_structure_factors(nbcl_experiment *exp, size_t n,
                                                           const int *hkl, const double *F);
NBCL_API nbcl_status nbcl_experiment_set_misset(nbcl_experiment *exp, double rotx_deg,
                                                double roty_deg, double rotz_deg);
NBCL_API nbcl_status nbcl_experiment_set_rotation(nbcl_experiment *exp, double phi_deg,
                                                  double osc_deg, int phisteps);
NBCL_API nbcl_status nbcl_experiment_set_mosaic(nbcl_experiment *exp, double spread_deg,
                                                int domains);
NBCL_API nbcl_status nbcl_experiment_set_fluence(nbcl_experiment *exp, double photons_per_m2);
NBCL_API nbcl_status nbcl_experiment_set_oversample(nbcl_experiment *exp, int n);

/* The detector's response, applied to the noise image (and the CBF/NeXus counts taken from
 * it) in this order (docs/detector-response.md): flicker, calibration error, Poisson
 * counting, point-spread function, gain, ADC offset, read-out noise, clipping to 16 bits.
 * nbcl_detector_response_init gives "no effect": the noise image is then nanoBragg's. */
typedef enum nbcl_psf { NBCL_PSF_NONE = 0, NBCL_PSF_GAUSS = 1, NBCL_PSF_FIBER = 2 } nbcl_psf;
typedef struct nbcl_detector_response {
    nbcl_psf psf;               /* point-spread shape */
    double psf_fwhm_mm;         /* its full width at half maximum (mm) */
    int psf_radius;             /* kernel radius in pixels; 0: automatic */
    double gain;                /* ADU per photon (1) */
    double readout_noise;       /* ADU rms added after the gain (0) */
    double calibration_noise;   /* fixed per-pixel gain error, fraction rms (0) */
    double flicker_noise;       /* per-image per-pixel intensity jitter, fraction rms (0) */
    long calibration_seed;      /* seed of the calibration error (123456789), the same on
                                   every image of a series */
} nbcl_detector_response;
NBCL_API void nbcl_detector_response_init(nbcl_detector_response *r);
NBCL_API nbcl_status nbcl_experiment_set_detector_response(nbcl_experiment *exp,
                                                           const nbcl_detector_response *r);

/* Read the files the experiment names (-hkl or the Fdump file, -mat, -sourcefile, -mask),
 * apply every default and auto-selection of nanoBragg, and log nanoBragg's setup lines.
 * After this the setters and parse_args are refused (NBCL_E_STATE). nbcl_engine_create
 * resolves an experiment that is not resolved yet. */
NBCL_API nbcl_status nbcl_experiment_resolve(nbcl_experiment *exp);

/* After resolving: the detector size in pixels (fast, slow). */
NBCL_API nbcl_status nbcl_experiment_detector_size(const nbcl_experiment *exp, int *fast,
                                                   int *slow);

/* After resolving: the pixels simulated, roi = {fast_min, fast_max, slow_min, slow_max}
 * inclusive (the whole detector without -roi); the others stay 0. */
NBCL_API nbcl_status nbcl_experiment_roi(const nbcl_experiment *exp, int roi[4]);

/* After resolving: write the structure factors as nanoBragg's Fdump.bin cache. */
NBCL_API nbcl_status nbcl_experiment_write_fdump(const nbcl_experiment *exp, const char *path);

/* The files and output settings the argument vector asked for. Strings belong to exp;
 * a NULL name was not asked for. Scales <= 0 mean "automatic", as in nanoBragg. */
typedef struct nbcl_outputs {
    const char *floatfile, *intfile, *noisefile, *pgmfile, *pngfile;
    int floatfile_given, intfile_given, noisefile_given, pgmfile_given;   /* named by a flag
                                   (else the name is nanoBragg's default) */
    const char *cbffile, *nexusfile;
    const char *dumpfile;       /* where nanoBragg caches an -hkl table; NULL: no -hkl read */
    int png_log;                /* -pnglog */
    double intfile_scale, pgm_scale, adc_offset;
    int printout;               /* -printout or -printout_pixel */
    int printout_fpixel, printout_spixel;   /* -1: every pixel */
    int progress;               /* 0 after -noprogress */
    long seed;                  /* the noise seed, as -seed takes it (default: the time) */
    const char *no_effect[8];   /* flags accepted for compatibility that change nothing */
    int n_no_effect;
    const char *detectorfile;   /* -detector: the SMV, PGM and noise images are written only
                                   when named (one panel only), never by default */
    const char *noisepngfile;   /* -noisepngfile: PNG preview of the noise image */
    int timing;                 /* -timing: print the time of each phase */
} nbcl_outputs;
NBCL_API nbcl_status nbcl_experiment_outputs(const nbcl_experiment *exp, nbcl_outputs *out);

/* ------------------------------------------------------------------ engines */

typedef struct nbcl_engine nbcl_engine;

typedef struct nbcl_engine_options {
    const char *device;         /* SPEC (see -device); NULL: the experiment's, else
                                   $NBCL_DEVICE, else the first GPU, else the first device */
    nbcl_precision precision;   /* AUTO: the experiment's -precision, else double where
                                   every device has fp64 */
    int tile;                   /* N x N-pixel tiles; 0: the experiment's -tile, else chosen
                                   from device memory */
    int progress;               /* -1: the experiment's; 0: silent; 1: bar or 10% lines */
    int keep_pixel_details;     /* keep what nbcl_engine_pixel_detail reports (-1: the
                                   experiment's -printout) */
    const char *cache_dir;      /* compiled-program cache; NULL: the experiment's -cache_dir,
                                   else $NBCL_CACHE_DIR, else $XDG_CACHE_HOME/nanobragg-cl;
                                   "off" disables it */
    int device_slot;            /* 0: every device the SPEC matches; k >= 1: only match number
                                   (k - 1) mod (number of matches), 0-based (one device per
                                   MPI rank: k = node-local rank + 1). The precision is
                                   chosen over every match, so all slots agree on it. */
    int first_row, rows;        /* rows > 0: simulate only the detector rows (slow index)
                                   first_row .. first_row + rows - 1 (within the ROI); every
                                   other pixel of the image is 0. 0: every row. The pixels
                                   simulated are bit for bit those of a whole-image run, so
                                   bands run by different engines make up the same image.
                                   The statistics, counts, noise and writers still cover the
                                   experiment's whole ROI; run_info's solid_angle sums the
                                   band only. */
    const char *kernel_binary;  /* load the kernels from this file (saved by
                                   save_kernel_binary on the same device with the same flags;
                                   refused otherwise); NULL: the experiment's -kernel_binary */
    const char *save_kernel_binary; /* write the built kernels' binary here (one device only);
                                   NULL: the experiment's -save_kernel_binary */
} nbcl_engine_options;

NBCL_API void nbcl_engine_options_init(nbcl_engine_options *opts);

/* Pick devices, build the kernels, upload the tables. Logs through the experiment's log
 * callback. The engine copies what it needs: the experiment may be destroyed afterwards. */
NBCL_API nbcl_status nbcl_engine_create(nbcl_experiment *exp, const nbcl_engine_options *opts,
                                        nbcl_engine **out);
NBCL_API void nbcl_engine_destroy(nbcl_engine *eng);

/* Per-image parameters; nbcl_image_params_init sets "as the experiment" everywhere. */
typedef struct nbcl_image_params {
    double phi_deg;             /* start of the rotation (NAN: the experiment's -phi) */
    double osc_deg;             /* rotation range (NAN: the experiment's -osc) */
    int set_misset;             /* 1: misset_deg replaces the experiment's misset */
    double misset_deg[3];
    int random_misset;          /* 1: a random orientation, as "-misset random -misset_seed S" */
    long misset_seed;           /* S, as -misset_seed takes it */
    int set_amat;               /* 1: the crystal from this MOSFLM A matrix (as -mat: cell and
                                   orientation), instead of the experiment's */
    double amat[9];             /* row-major, as in a -mat file (reciprocal axes x lambda) */
    int set_umat;               /* 1: umat (row-major rotation) turns the crystal before phi */
    double umat[9];
    int set_mosaic_seed;        /* 1: the mosaic domains drawn from mosaic_seed (as -mosaic_seed) */
    long mosaic_seed;
    double Na, Nb, Nc;          /* unit cells (0: the experiment's) */
    double fluence;             /* photons/m^2 (0: the experiment's) */
    double lambda_A;            /* wavelength in Angstrom, as -lambda (0: the experiment's);
                                   every source's wavelength follows it by the rule that
                                   chose it (dispersion steps, or a source file's own) */
} nbcl_image_params;

NBCL_API void nbcl_image_params_init(nbcl_image_params *p);

/* After resolving: how many images the flags ask for (-nimages N: a rotation sweep;
 * -shots FILE: one image per line; else 1), and image i's parameters (0-based) with its
 * noise seed (as -seed takes it: -seed + i, or the shot's -seed). */
NBCL_API nbcl_status nbcl_experiment_series_length(const nbcl_experiment *exp, int *count);
NBCL_API nbcl_status nbcl_experiment_series_image(const nbcl_experiment *exp, int i,
                                                  nbcl_image_params *params, long *seed);

/* Simulate one image: fast*slow photons per pixel into image (count >= fast*slow, slow
 * index outermost). params NULL: the experiment as resolved. Same inputs give the same
 * image, bit for bit, whatever the tile size or device count of the engine. */
NBCL_API nbcl_status nbcl_engine_run(nbcl_engine *eng, const nbcl_image_params *params,
                                     float *image, size_t count);

/* Rows as they are finished, during nbcl_engine_run: fn(user, image, first_row, rows) says
 * that rows first_row .. first_row + rows - 1 of `image` (the run's buffer, slow index
 * outermost) hold their final values. It is called on a thread of the engine's own while
 * the devices compute the next tiles: in order of rows, every row of the image exactly
 * once, never two calls at once, the last before nbcl_engine_run returns. Use it to write
 * or look at an image while it is made (the rows are final; the rest may still be
 * written); slow work here holds back only later calls. Nonzero from fn stops the run:
 * nbcl_engine_run returns that status (NBCL_E_STATE when it is not one) with a message
 * naming the rows and, when a library call inside fn failed, its message. fn NULL: none.
 * Applies to the following runs of this engine. */
typedef int (*nbcl_rows_fn)(void *user, const float *image, int first_row, int rows);
NBCL_API nbcl_status nbcl_engine_set_rows_callback(nbcl_engine *eng, nbcl_rows_fn fn, void *user);

/* About the last run. */
typedef struct nbcl_run_info {
    int fast, slow;
    double solid_angle;         /* steradians subtended by the detector */
    int interpolation_fallback; /* an interpolation neighbourhood left the HKL grid */
    double phi_deg, osc_deg;    /* the rotation the image covers */
    double wavelength_A;        /* the image's wavelength */
    double seconds;             /* wall time of the run */
    double reciprocal[9];       /* the crystal's a*, b*, c* (1/Angstrom) at phi = 0, before
                                   mosaic spread, in nanoBragg's lab frame */
} nbcl_run_info;
NBCL_API nbcl_status nbcl_engine_run_info(const nbcl_engine *eng, nbcl_run_info *info);

/* Where the engine's time went, in seconds (what -timing prints): the set-up done by
 * nbcl_engine_create, then the phases of the last nbcl_engine_run. Wall times, except
 * kernels and readback: the devices' own time (OpenCL event profiling) summed over tiles
 * and devices, which overlap one another and the host's work, so they need not add up to
 * streaming. Before any run the per-run fields are 0. */
typedef struct nbcl_timing {
    double platforms;           /* the OpenCL platforms and devices found and chosen */
    double device_setup;        /* contexts, queues, buffers and the rest of the set-up */
    double program;             /* the kernels built, or loaded from the program cache */
    int program_cached;         /* 1: every device's program came from the cache */
    double tables;              /* the tables that never change, uploaded once */
    double image_tables;        /* the run's orientations and parameters, made and uploaded */
    double kernels;             /* device time of the kernels (negative: not measurable) */
    double readback;            /* device time of the reads, plus the copies into the image
                                   (negative: not measurable) */
    double streaming;           /* wall time from the first tile queued to the last copied */
    double host;                /* the engine's host work after the tiles (sums, checks) */
    double run;                 /* wall time of the whole nbcl_engine_run */
    double rows;                /* host work on the rows as they were finished, during
                                   streaming (checks, statistics, the rows callback) */
} nbcl_timing;
NBCL_API nbcl_status nbcl_engine_timing(const nbcl_engine *eng, nbcl_timing *t);

/* What nanoBragg's -printout shows for one pixel of the last run (needs
 * keep_pixel_details). Lengths in metres, cell vectors in Angstrom. */
typedef struct nbcl_pixel_detail {
    double I, polar, omega, capture, stol, stol_from_angle;
    double pos[3], hkl[3], F_cell, F_latt, I_per_step, pixel;
    double a[3], b[3], c[3];    /* the last orientation's real-space cell vectors */
} nbcl_pixel_detail;
NBCL_API nbcl_status nbcl_engine_pixel_detail(const nbcl_engine *eng, int fast, int slow,
                                              nbcl_pixel_detail *out);

/* Is this pixel simulated (inside the ROI and not masked)? */
NBCL_API int nbcl_engine_pixel_active(const nbcl_engine *eng, int fast, int slow);

/* ------------------------------------------------------------------ images and files */

typedef struct nbcl_image_stats {
    double max_I, max_I_x, max_I_y;     /* largest pixel and where (m), as nanoBragg prints */
    double mean, rms, rmsd;
    long counted;                       /* pixels inside the ROI and mask */
} nbcl_image_stats;

/* nanoBragg's statistics over the ROI and mask. */
NBCL_API nbcl_status nbcl_engine_image_stats(const nbcl_engine *eng, const float *image,
                                             nbcl_image_stats *st);
/* The same statistics of the last run's image, bit for bit, gathered while its rows were
 * finished (no pass over the image of its own). */
NBCL_API nbcl_status nbcl_engine_run_stats(const nbcl_engine *eng, nbcl_image_stats *st);

/* Photons to 16-bit SMV counts: floor(value * scale + adc), clipped, 0 outside the ROI. */
NBCL_API nbcl_status nbcl_engine_counts(const nbcl_engine *eng, const float *image, double scale,
                                        double adc_offset, uint16_t *counts);

/* nanoBragg's noise image (Poisson photon counts plus adc_offset) with its generator and
 * this seed (as -seed takes it), with the experiment's detector response (gain, read-out,
 * calibration and flicker noise, point spread) when one was set. photons (the photon total
 * after the point spread, before gain and read-out) and overloads may be NULL. */
NBCL_API nbcl_status nbcl_engine_noise(const nbcl_engine *eng, const float *image, long seed,
                                       double adc_offset, uint16_t *counts, double *photons,
                                       int *overloads);

/* Files, each written to a temporary name and renamed (no half-written file is seen).
 * Headers state the experiment's geometry and the rotation of `run` (an image's
 * nbcl_run_info; NULL: the last run), so an image may be written while the engine
 * simulates the next one. */
NBCL_API nbcl_status nbcl_write_float_image(const char *path, const float *image, size_t count);
/* The same file written piece by piece (e.g. rows from the rows callback): open, append
 * values in order, then close, which renames it into place (or, while an output group is
 * open, leaves that to the group's commit); abort removes it. A writer is used by one
 * thread at a time. */
typedef struct nbcl_float_writer nbcl_float_writer;
NBCL_API nbcl_status nbcl_float_writer_open(const char *path, nbcl_float_writer **out);
NBCL_API nbcl_status nbcl_float_writer_append(nbcl_float_writer *w, const float *values,
                                              size_t count);
/* Or the whole file at once as memory: count floats, each 0 until stored, that are the
 * file itself (its pages, written back by the kernel), so an image simulated into them
 * (nbcl_engine_run) is the float file with no copy made; close publishes it, as after
 * appending. *pixels stays NULL (NBCL_OK) where the file cannot be mapped (a device or
 * pipe, a big-endian host, a file system that cannot reserve the blocks or map the file):
 * append then. A full disk fails here (the writer is then failed: close or abort it). The
 * memory is valid until close or abort; a mapped writer refuses append. The first
 * nbcl_engine_run into these pixels (the whole mapping) does not clear the pixels outside
 * its ROI, which are 0 as mapped: their pages are never read or brought into memory, so a
 * small ROI of a huge detector costs what the ROI costs. Store nothing there yourself
 * before that run. */
NBCL_API nbcl_status nbcl_float_writer_map(nbcl_float_writer *w, size_t count, float **pixels);
/* Bring pixels [first, first + count) of a mapped writer into memory now, their values
 * unchanged, so that the simulation's stores into them do not each stop for a page fault
 * (a fresh page of a file costs microseconds). Worth doing where the calling thread would
 * only wait: nanobragg-cl does it while the OpenCL drivers load (nbcl_devices_prefetch). */
NBCL_API nbcl_status nbcl_float_writer_prefault(nbcl_float_writer *w, size_t first, size_t count);
NBCL_API nbcl_status nbcl_float_writer_close(nbcl_float_writer *w);
NBCL_API void nbcl_float_writer_abort(nbcl_float_writer *w);
NBCL_API nbcl_status nbcl_engine_write_smv(const nbcl_engine *eng, const nbcl_run_info *run,
                                           const char *path, const uint16_t *counts,
                                           int is_noise_image);
/* The SMV image of a float image, as nbcl_engine_counts(image, scale, adc_offset) then
 * nbcl_engine_write_smv would write it (the same bytes), converted a few hundred kB of
 * rows at a time, so that no integer image is held. */
NBCL_API nbcl_status nbcl_engine_write_smv_float(const nbcl_engine *eng, const nbcl_run_info *run,
                                                 const char *path, const float *image,
                                                 double scale, double adc_offset);
/* A Pilatus-style miniCBF of counts (the integers of the SMV image) with the header keys
 * XDS and DIALS read; refused (NBCL_E_INVALID) for a detector a miniCBF cannot describe
 * (tilted, or not square to the beam): use NeXus then. */
NBCL_API nbcl_status nbcl_engine_write_cbf(const nbcl_engine *eng, const nbcl_run_info *run,
                                           const char *path, const uint16_t *counts);

/* A series as one NeXus/HDF5 file in the NXmx definition: open, append each image's
 * counts with its run info, close (renamed into place) or abort (nothing left). */
typedef struct nbcl_nexus_writer nbcl_nexus_writer;
NBCL_API nbcl_status nbcl_engine_nexus_open(const nbcl_engine *eng, const char *path,
                                            int expected_images, nbcl_nexus_writer **out);
NBCL_API nbcl_status nbcl_nexus_writer_append(nbcl_nexus_writer *w, const nbcl_run_info *run,
                                              const uint16_t *counts);   /* run NULL: the last */
NBCL_API nbcl_status nbcl_nexus_writer_close(nbcl_nexus_writer *w);
NBCL_API void nbcl_nexus_writer_abort(nbcl_nexus_writer *w);
NBCL_API nbcl_status nbcl_engine_write_pgm(const nbcl_engine *eng, const char *path,
                                           const float *image, double scale);
NBCL_API nbcl_status nbcl_engine_write_png(const nbcl_engine *eng, const char *path,
                                           const float *image, int log_scale);

/* All-or-nothing outputs: between begin and commit, the files above (any thread's, NeXus
 * included) stay under their temporary names and are renamed into place together at
 * commit; abort removes them all, leaving older files of those names untouched. One group
 * at a time (begin fails with NBCL_E_STATE otherwise). */
NBCL_API nbcl_status nbcl_output_group_begin(void);
NBCL_API nbcl_status nbcl_output_group_commit(void);
NBCL_API void nbcl_output_group_abort(void);
/* Handlers for SIGINT, SIGTERM and SIGHUP (unless ignored) that remove every temporary
 * output file of the library and then let the signal end the process as it would have;
 * a group being committed is completed first. */
NBCL_API nbcl_status nbcl_output_cleanup_on_signals(void);

#ifdef __cplusplus
}
#endif

#endif
