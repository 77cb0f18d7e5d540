/* config.h: the run as the user asked for it, before any default is resolved.
 * Values are stored in the reference's internal units (metres, radians, photons/m^2) and
 * "not given" is the reference's own sentinel (NAN for lengths/angles, -1 for counts and
 * steps), so that resolving defaults (sim.h) can follow nanoBragg.c rule for rule. */
#ifndef NBCL_CONFIG_H
#define NBCL_CONFIG_H

#include "nbcl/nbcl.h"

enum nbcl_convention { NBCL_ADXV, NBCL_MOSFLM, NBCL_XDS, NBCL_DIALS, NBCL_DENZO, NBCL_CUSTOM };
enum nbcl_pivot { NBCL_PIVOT_BEAM, NBCL_PIVOT_SAMPLE };

enum nbcl_given_output {
    NBCL_GIVEN_FLOAT = 1, NBCL_GIVEN_INT = 2, NBCL_GIVEN_NOISE = 4, NBCL_GIVEN_PGM = 8
};
enum nbcl_given_beam { NBCL_GIVEN_WAVELENGTH = 1, NBCL_GIVEN_BEAM_VECTOR = 2 };

typedef struct nbcl_config {
    /* crystal */
    int user_cell;                 /* -cell given */
    double cell[6];                /* a b c (Angstrom) alpha beta gamma (radians); 0 = not given */
    const char *matfile;           /* -mat */
    int misset_mode;               /* 0 none, 1 angles given, -1 random */
    double misset[3];              /* radians */
    long misset_seed;              /* already negated, as the reference stores it */
    int misset_seed_given;
    double Na, Nb, Nc;             /* unit cells per axis (default 1) */
    double sample_x, sample_y, sample_z;   /* crystal size (m), 0 = not given */
    enum nbcl_shape shape;
    double fudge;
    double default_F;
    const char *hklfile;           /* -hkl */
    const char *dumpfile;          /* -dump, default "Fdump.bin" */
    int interpolate;               /* 2 auto, 1 on, 0 off */

    /* beam */
    double lambda0;                /* m */
    double fluence, flux, exposure, beamsize;
    double dispersion, dispstep;   /* fraction, fraction */
    int dispsteps;
    double hdivrange, hdivstep, vdivrange, vdivstep;  /* radians, -1 = not given */
    int hdivsteps, vdivsteps;
    int round_div;
    const char *sourcefile;
    double polarization;           /* Kahn factor */
    int nopolar;

    /* detector */
    enum nbcl_convention convention;
    enum nbcl_pivot pivot;
    double beam_vector[3], fdet_vector[3], sdet_vector[3], odet_vector[3];
    double polar_vector[3], spindle_vector[3], twotheta_axis[3], pix0_vector[3];
    int pix0_given;
    double pixel_size, distance, close_distance;   /* m; close_distance NAN = not given */
    double detsize_f, detsize_s;   /* m */
    int fpixels, spixels;          /* 0 = not given */
    double Xbeam, Ybeam, Xclose, Yclose, ORGX, ORGY;  /* m (ORG in pixels); NAN = not given */
    double detector_rotx, detector_roty, detector_rotz, twotheta;  /* radians */
    double detector_mu, detector_thick, detector_thickstep;  /* 1/m, m, m */
    int detector_thicksteps;
    int curved_detector, point_pixel;
    int oversample, oversample_thick, oversample_polar, oversample_omega;
    int roi[4];                    /* xmin xmax ymin ymax, -1 = not given */
    double dmin;                   /* m */
    const char *detectorfile;      /* -detector FILE.expt: the detector of a DIALS experiment */
    const char *geometry_flag;     /* the last detector-geometry flag given (refused beside -detector) */
    unsigned beam_given;           /* NBCL_GIVEN_WAVELENGTH | NBCL_GIVEN_BEAM_VECTOR: beam flags given */

    /* rotation and mosaicity */
    double phi0, osc, phistep;     /* radians, osc/phistep -1 = not given */
    int phisteps;
    double mosaic_spread;          /* radians, -1 = not given */
    int mosaic_domains;
    long mosaic_seed;              /* negated, default -12345678 */

    /* background */
    double water_size;             /* m */

    /* amorphous background from a scattering table (nonBragg.c's -stol, -4stol, -Q) */
    const char *stolfile, *stolflag;
    double stol_mult;              /* table's variable -> sin(theta)/lambda in 1/m */
    double amorphous_thick;        /* m (default 0.1 mm) */
    double amorphous_density;      /* g/m^3 (default 1 g/cm^3) */
    double amorphous_MW;           /* g/mol (default 18) */
    int amorphous_given;           /* one of the three was given */

    /* detector response of the noise image (model/noise.h) */
    nbcl_detector_response response;

    /* files and outputs */
    const char *floatfile, *intfile, *noisefile, *pgmfile, *pngfile, *imgfile, *maskfile;
    const char *noisepngfile;      /* -noisepngfile: preview of the noise image */
    int write_pgm, calculate_noise, pnglog;
    double intfile_scale, pgm_scale, adc_offset;
    long seed;                     /* noise seed, negated */
    int printout, printout_fpixel, printout_spixel;
    int progress;                  /* 1 on, 0 -noprogress */
    int timing;                    /* -timing: print the time of each phase */

    /* flags the reference reads but never uses: reported as having no effect */
    const char *no_effect[8];
    int n_no_effect;

    /* series: several images in one run (docs/datasets.md) */
    int nimages;                   /* -nimages N; 0 = not given (one image) */
    const char *shotsfile;         /* -shots FILE: one image per line of flags */
    const char *cbffile, *nexusfile;
    unsigned outputs_given;        /* NBCL_GIVEN_* bits: output names on the command line */
    double phi_deg, osc_deg;       /* -phi and -osc as typed (degrees); NAN = not given */
    double misset_deg[3];          /* -misset as typed (degrees) */
    double lambda_A;               /* -lambda as typed (Angstrom); NAN = not given */

    /* engine */
    const char *device_spec;       /* -device, else NBCL_DEVICE, else NULL */
    int list_devices;
    enum nbcl_precision precision;
    int tile;                      /* -tile N, 0 = auto */

    /* limits (issue 11) */
    int allow_long_run;            /* -allow_long_run: no refusal by estimated run time */
    double max_run_hours;          /* -max_run_hours H: refuse a run estimated longer (24) */
    double max_memory_gb;          /* -max_memory GB: the HKL grid's cap; 0 = half the RAM */
    const char *cache_dir;         /* -cache_dir DIR|off, NULL = environment/default */
    const char *kernel_binary;     /* -kernel_binary FILE: the program from a saved binary */
    const char *save_kernel_binary; /* -save_kernel_binary FILE: write the built program */
} nbcl_config;

/* Fill cfg with the reference's defaults (everything "not given"). */
void nbcl_config_defaults(nbcl_config *cfg);

#endif
