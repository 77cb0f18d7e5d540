/* engine.h: the persistent engine inside libnbcl (the public nbcl_engine wraps it).
 * Opening it builds the lattice-factor and scaling kernels for the run's precision and
 * options on every chosen device and uploads the tables (parameters, sources, crystal
 * orientations, HKL grid) once; each image then only refreshes the per-image values (the
 * parameter table and the orientations) and streams the detector through the kernels tile
 * by tile. Nothing per tile grows with the number of sources, phi steps or mosaic domains. */
#ifndef NBCL_ENGINE_ENGINE_H
#define NBCL_ENGINE_ENGINE_H

#include "base/error.h"
#include "base/log.h"
#include "device/device.h"
#include "model/psf.h"
#include "model/sim.h"

typedef struct nbcl_core nbcl_core;

typedef struct nbcl_core_opts {
    int use_double;
    int tile;                         /* 0: automatic */
    int progress;                     /* 0: none */
    const unsigned short *mask;       /* full detector, 0 = skip; may be NULL (borrowed) */
    int printout;                     /* keep the per-pixel values -printout reports */
    const char *cache_dir;            /* program cache: NULL default, "off" none */
    const char *kernel_binary;        /* load the program from this file (NULL: build) */
    const char *save_kernel_binary;   /* write the built program to this file (NULL: no) */
    nbcl_log *log;                    /* kernel-source and cache notes */
} nbcl_core_opts;

typedef struct nbcl_core_result {
    double omega_sum;                 /* sum of the solid angles of every sub-pixel */
    int interpolation_fallback;       /* an interpolation neighbourhood left the HKL grid */
    const double *printout;           /* with opts.printout: PO_COUNT planes of fpixels*spixels
                                         values (owned by the core, until the next image) */
} nbcl_core_result;

/* Where the core's time went (wall seconds, except kernels and readback: device time from
 * event profiling, summed over tiles and devices). */
typedef struct nbcl_core_times {
    double program, tables;           /* at opening, summed over devices */
    int program_cached;               /* every device's program came from the cache */
    double upload;                    /* the last image: its tables onto the devices */
    double streaming;                 /* the last image: first tile queued to last copied */
    double kernels, readback;         /* the last image (negative: a device cannot profile) */
    double host;                      /* the last image: host work after the tiles */
} nbcl_core_times;

/* sim and opts->mask are borrowed: they must stay valid until nbcl_core_close (the public
 * engine keeps its own copies for that). devices are copied. */
int nbcl_core_open(const nbcl_sim *sim, const nbcl_device_info *devices, int ndevices,
                   const nbcl_core_opts *opts, nbcl_core **out, nbcl_err *err);

/* One image into image (fpixels*spixels floats). sim holds this image's values: the same
 * detector, sources, grid and sampling counts as at opening, with its own phi, crystal
 * orientation, N, fluence (nbcl_sim_for_image makes one). Pixels outside the ROI are set
 * to 0, unless image_zeroed says they are 0 already (and are not to be read). */
int nbcl_core_image(nbcl_core *core, const nbcl_sim *sim, float *image, int image_zeroed,
                    nbcl_core_result *res, nbcl_err *err);

/* Rows of the image finished during nbcl_core_image (rows of the whole image: a detector
 * of several panels gives its panels' rows one panel after the other), on the stream's
 * rows thread while the devices go on: in order, each once, one call at a time, the last
 * before nbcl_core_image returns (nbcl_stream_ops.rows_done). Nonzero (err set) stops the
 * image with that error. fn NULL: none. */
typedef int (*nbcl_core_rows_fn)(void *user, int first_row, int end_row, nbcl_err *err);
void nbcl_core_set_rows(nbcl_core *core, nbcl_core_rows_fn fn, void *user);

/* Pixels per work-item: on a CPU, twice its preferred vector width for the precision (two
 * vector registers per value: each work-item's long chains of dependent operations, square
 * roots and divisions then run two side by side; with AVX2 16 floats or 8 doubles), but the
 * preferred width itself where it is 1 (Mesa's llvmpipe, which vectorizes across
 * work-items) or when interpolating structure factors (the lanes share their 4x4x4
 * neighbourhood less often the more there are); 1 on GPUs and accelerators (wide variants
 * spill there); env (NBCL_VECTOR_WIDTH) when set; rounded down to 1, 2, 4, 8 or 16. */
int nbcl_vector_width_rule(int is_cpu, unsigned preferred, int interpolating, const char *env);

/* The one width of a run: the smallest of its devices' widths (so a GPU among CPUs makes it
 * 1). Every device of a run computes the same lanes, so the image does not depend on which
 * device ran which tile as long as the devices round alike. */
int nbcl_run_vector_width(const int *widths, int n);

/* the vendor compiler options a device's programs get: NBCL_CL_OPTIONS when set (extra_env),
 * else NVIDIA's register cap where cl_nv_compiler_options is there, else none */
const char *nbcl_vendor_options_rule(const nbcl_device_info *info, const char *extra_env);

/* 1 when a single-precision run keeps its wide values in double (-DNBCL_WIDE_DOUBLE): every
 * device a CPU with fp64 (any device with fp64 when NBCL_FLOAT_PAIRS is "0"), and neither
 * NBCL_FLOAT_PAIRS=1 nor NBCL_UNFUSED_FMA (the values of those variables, NULL when unset)
 * asking for float pairs. */
int nbcl_wide_double_rule(int use_double, const nbcl_device_info *devices, int n,
                          const char *float_pairs_env, const char *unfused_fma_env);
/* The rule with this process's NBCL_FLOAT_PAIRS and NBCL_UNFUSED_FMA. */
int nbcl_run_wide_double(int use_double, const nbcl_device_info *devices, int n);

/* The work-group size: the largest power of two at most preferred and every nonzero
 * limit (the kernels' CL_KERNEL_WORK_GROUP_SIZE, the device's first work-item size). */
size_t nbcl_local_size_rule(size_t preferred, const size_t *limits, int nlimits);

/* in convolved with the point-spread table k on the first device (kernels/psf.cl): the same
 * sum as nbcl_psf_convolve, in the run's precision. Safe to call from another thread while
 * an image runs (it has a queue of its own); one call at a time. */
int nbcl_core_psf(nbcl_core *core, const nbcl_psf_kernel *k, const float *in, int fpixels,
                  int spixels, float *out, nbcl_err *err);

const nbcl_core_times *nbcl_core_timing(const nbcl_core *core);

/* The tile edge and device count in use. */
int nbcl_core_tile(const nbcl_core *core);

void nbcl_core_close(nbcl_core *core);

#endif
