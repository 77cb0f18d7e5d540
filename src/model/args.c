/* cli.c: the nanoBragg command line.
 *
 * nanoBragg.c looks at every argument that starts with '-' and fires, in a fixed order,
 * every option rule whose name occurs anywhere in it (strstr), some rules with a length
 * condition. Scripts rely on the consequences (for instance -twotheta_axis also sets
 * -twotheta to its first number, -misset_seed also sets misset angles), so the rule table
 * below keeps the reference's names, order and matching. On top of that this parser is
 * strict where the reference is silent: a flag spelled exactly must get all its values
 * and they must be numbers, an argument that is no flag and no value is an error (with the
 * closest known flag suggested), and nonsense numbers are refused by name. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "model/args.h"

#include "base/constants.h"
#include "model/psf.h"

enum match { SUB, EQ, SUBLEN, SUBLONGER };

typedef struct rule {
    int id;
    enum match how;
    const char *names[3];   /* alternatives; the rule fires once if any matches */
    int len;                /* for SUBLEN/SUBLONGER */
    int need;               /* values the reference requires after the flag */
    const char *args;       /* for help */
    const char *help;
} rule;

enum {
    R_NA = 1, R_NB, R_NC, R_N, R_CELL, R_MISSET_RAND, R_MISSET, R_SAMPLESIZE, R_SAMPLE_X,
    R_SAMPLE_Y, R_SAMPLE_Z, R_XTALSIZE, R_XTAL_X, R_XTAL_Y, R_XTAL_Z, R_DENSITY, R_MW,
    R_XBEAM, R_YBEAM, R_XCLOSE, R_YCLOSE, R_ORGX, R_ORGY, R_PIVOT, R_MOSFLM, R_XDS, R_ADXV,
    R_DENZO, R_DIALS, R_FDET, R_SDET, R_ODET, R_BEAMV, R_POLARV, R_SPINDLE, R_TTHAXIS,
    R_PIX0, R_DISTANCE, R_CLOSE_DISTANCE, R_DET_ABS, R_DET_THICK, R_DET_THICKSTEPS,
    R_THICKSTEPS, R_TWOTHETA, R_ROTX, R_ROTY, R_ROTZ, R_DETSIZE, R_DETSIZE_F, R_DETSIZE_S,
    R_DETPIXELS, R_DETPIXELS_F, R_DETPIXELS_S, R_CURVED, R_PIXEL, R_POINT_PIXEL, R_POLAR,
    R_NOPOLAR, R_OS_THICK, R_OS_POLAR, R_OS_OMEGA, R_OVERSAMPLE, R_ROI, R_LAMBDA, R_ENERGY,
    R_FLUENCE, R_FLUX, R_EXPOSURE, R_BEAMSIZE, R_MOSAIC, R_MOSAIC_DOM, R_DISPERSION,
    R_DISPSTEPS, R_DIVERGENCE, R_HDIVRANGE, R_VDIVRANGE, R_HDIVSTEP, R_HDIVSTEPS, R_VDIVSTEP,
    R_VDIVSTEPS, R_DIVSTEPS, R_ROUND_DIV, R_SQUARE_DIV, R_ADC, R_PHI, R_OSC, R_PHISTEP,
    R_PHISTEPS, R_DMIN, R_MAT, R_HKL, R_DEFAULT_F, R_DUMP, R_IMG, R_STOLOUT, R_STOL, R_4STOL,
    R_Q, R_SOURCEFILE, R_FLOATFILE, R_INTFILE, R_PGMFILE, R_NOISEFILE, R_NONOISE, R_NOPGM,
    R_SCALE, R_PGMSCALE, R_COHERENT, R_PRINTOUT, R_NOPROGRESS, R_PROGRESS, R_TIMING, R_INTERPOLATE,
    R_NOINTERPOLATE, R_ROUND_XTAL, R_SQUARE_XTAL, R_GAUSS_XTAL, R_TOPHAT, R_FUDGE,
    R_PRINTOUT_PIXEL, R_SEED, R_MOSAIC_SEED, R_MISSET_SEED, R_WATER,
    /* detector response: noisify.c's flags and spellings */
    R_PSF_TYPE, R_PSF_RADIUS, R_PSF_FWHM, R_PSF_WIDTH_UM, R_GAIN, R_READOUT, R_FLICKER,
    R_CALIBRATION, R_CALIB_SEED,
    /* amorphous background: nonBragg.c's flags */
    R_AM_THICK, R_AM_DENSITY, R_AM_MW,
    /* read in the reference's first pass only */
    R_MASK,
    /* nanoBragg-CL's own flags: matched exactly */
    R_DEVICE, R_LIST_DEVICES, R_PRECISION, R_TILE, R_CACHE_DIR, R_KERNEL_BINARY,
    R_SAVE_KERNEL_BINARY, R_NIMAGES, R_SHOTS, R_CBFFILE, R_NEXUSFILE, R_PNGFILE, R_PNGLOG,
    R_DETECTOR, R_NOISEPNG, R_ALLOW_LONG_RUN, R_MAX_RUN_HOURS, R_MAX_MEMORY, R_HELP
};

/* In the reference's order. "need" is how many following arguments must exist. */
static const rule RULES[] = {
    {R_NA, SUB, {"-Na"}, 0, 1, "N", "unit cells along a"},
    {R_NB, SUB, {"-Nb"}, 0, 1, "N", "unit cells along b"},
    {R_NC, SUB, {"-Nc"}, 0, 1, "N", "unit cells along c"},
    {R_N, EQ, {"-N"}, 0, 1, "N", "unit cells along a, b and c (default 1)"},
    {R_CELL, SUB, {"-cell"}, 0, 1, "a b c al be ga", "unit cell (Angstrom, degrees)"},
    {R_MISSET_RAND, SUB, {"-misset"}, 0, 1, "random", "random crystal orientation"},
    {R_MISSET, SUB, {"-misset"}, 0, 3, "rotx roty rotz", "crystal misset about x, y, z (degrees)"},
    {R_SAMPLESIZE, SUB, {"-samplesize", "-sample_size"}, 0, 1, "mm", "crystal size, all axes"},
    {R_SAMPLE_X, SUB, {"-sample_thick", "-sample_x"}, 0, 1, "mm", "crystal size along a"},
    {R_SAMPLE_Y, SUB, {"-sample_width", "-sample_y", "-width"}, 0, 1, "mm", "crystal size along b"},
    {R_SAMPLE_Z, SUB, {"-sample_heigh", "-sample_z", "-heigh"}, 0, 1, "mm", "crystal size along c"},
    {R_XTALSIZE, SUB, {"-xtalsize", "-xtal_size"}, 0, 1, "mm", "crystal size, all axes (alternative to -N)"},
    {R_XTAL_X, SUB, {"-xtal_thick", "-xtal_x"}, 0, 1, "mm", "crystal size along a"},
    {R_XTAL_Y, SUB, {"-xtal_width", "-xtal_y", "-width"}, 0, 1, "mm", "crystal size along b"},
    {R_XTAL_Z, SUB, {"-xtal_heigh", "-xtal_z", "-heigh"}, 0, 1, "mm", "crystal size along c"},
    {R_DENSITY, SUB, {"-density", "-sample_den"}, 0, 1, "g/cm^3", "density of the -stol material (default 1)"},
    {R_MW, EQ, {"-MW"}, 0, 1, "g/mol", "molecular weight of the -stol material (default 18)"},
    {R_MW, SUB, {"-molec"}, 0, 1, "g/mol", "molecular weight of the -stol material"},
    {R_XBEAM, SUB, {"-Xbeam"}, 0, 1, "mm", "direct-beam fast coordinate (pivot beam)"},
    {R_YBEAM, SUB, {"-Ybeam"}, 0, 1, "mm", "direct-beam slow coordinate (pivot beam)"},
    {R_XCLOSE, SUB, {"-Xclose"}, 0, 1, "mm", "near-point fast coordinate (pivot sample)"},
    {R_YCLOSE, SUB, {"-Yclose"}, 0, 1, "mm", "near-point slow coordinate (pivot sample)"},
    {R_ORGX, SUB, {"-ORGX"}, 0, 1, "pixels", "XDS origin, fast (pivot sample)"},
    {R_ORGY, SUB, {"-ORGY"}, 0, 1, "pixels", "XDS origin, slow (pivot sample)"},
    {R_PIVOT, SUB, {"-pivot"}, 0, 1, "beam|sample", "what the detector rotates about"},
    {R_MOSFLM, SUB, {"-mosflm"}, 0, 0, "", "MOSFLM conventions (default)"},
    {R_XDS, SUB, {"-xds"}, 0, 0, "", "XDS conventions"},
    {R_ADXV, SUB, {"-adxv"}, 0, 0, "", "ADXV conventions"},
    {R_DENZO, SUB, {"-denzo"}, 0, 0, "", "DENZO conventions"},
    {R_DIALS, SUB, {"-dials"}, 0, 0, "", "DIALS conventions"},
    {R_FDET, SUB, {"-fdet_vector"}, 0, 3, "x y z", "fast detector axis (CUSTOM convention)"},
    {R_SDET, SUB, {"-sdet_vector"}, 0, 3, "x y z", "slow detector axis (CUSTOM convention)"},
    {R_ODET, SUB, {"-odet_vector"}, 0, 3, "x y z", "detector normal (CUSTOM convention)"},
    {R_BEAMV, SUB, {"-beam_vector"}, 0, 3, "x y z", "beam direction (CUSTOM convention)"},
    {R_POLARV, SUB, {"-polar_vector"}, 0, 3, "x y z", "E-vector of the beam (CUSTOM convention)"},
    {R_SPINDLE, SUB, {"-spindle_axis"}, 0, 3, "x y z", "phi axis (CUSTOM convention)"},
    {R_TTHAXIS, SUB, {"-twotheta_axis"}, 0, 3, "x y z", "two-theta axis (CUSTOM convention)"},
    {R_PIX0, SUB, {"-pix0_vector"}, 0, 3, "x y z", "sample to first pixel, m (-pix0_vector_mm: mm)"},
    {R_DISTANCE, SUB, {"-distance"}, 0, 1, "mm", "sample to detector along the beam (default 100)"},
    {R_CLOSE_DISTANCE, SUB, {"-close_distance"}, 0, 1, "mm", "sample to detector plane (pivot sample)"},
    {R_DET_ABS, SUB, {"-detector_abs"}, 0, 1, "um|inf|0", "sensor attenuation depth"},
    {R_DET_THICK, SUBLEN, {"-detector_thick"}, 15, 1, "um", "sensor thickness"},
    {R_DET_THICKSTEPS, SUB, {"-detector_thicksteps"}, 0, 1, "N", "sensor layers"},
    {R_THICKSTEPS, SUB, {"-thicksteps"}, 0, 1, "N", "sensor layers"},
    {R_TWOTHETA, SUB, {"-twotheta"}, 0, 1, "deg", "detector two-theta (pivot sample)"},
    {R_ROTX, SUB, {"-detector_rotx"}, 0, 1, "deg", "detector rotation about x"},
    {R_ROTY, SUB, {"-detector_roty"}, 0, 1, "deg", "detector rotation about y"},
    {R_ROTZ, SUB, {"-detector_rotz"}, 0, 1, "deg", "detector rotation about z"},
    {R_DETSIZE, SUBLEN, {"-detsize"}, 8, 1, "mm", "detector size (default 102.4)"},
    {R_DETSIZE_F, SUB, {"-detsize_f"}, 0, 1, "mm", "detector fast size"},
    {R_DETSIZE_S, SUB, {"-detsize_s"}, 0, 1, "mm", "detector slow size"},
    {R_DETPIXELS, SUBLEN, {"-detpixels"}, 10, 1, "N", "detector size in pixels"},
    {R_DETPIXELS_F, SUB, {"-detpixels_f", "-detpixels_x"}, 0, 1, "N", "fast pixels"},
    {R_DETPIXELS_S, SUB, {"-detpixels_s", "-detpixels_y"}, 0, 1, "N", "slow pixels"},
    {R_CURVED, SUB, {"-curved_det"}, 0, 0, "", "every pixel at the same distance"},
    {R_PIXEL, SUB, {"-pixel"}, 0, 1, "mm", "pixel size (default 0.1)"},
    {R_POINT_PIXEL, SUB, {"-point_pixel"}, 0, 0, "", "no obliquity in the solid angle"},
    {R_POLAR, SUBLEN, {"-polar"}, 6, 1, "K", "Kahn polarization factor (default 0)"},
    {R_NOPOLAR, SUB, {"-nopolar"}, 0, 0, "", "no polarization correction"},
    {R_OS_THICK, SUB, {"-oversample_thick"}, 0, 0, "", "absorption per sub-pixel"},
    {R_OS_POLAR, SUB, {"-oversample_polar"}, 0, 0, "", "polarization per sub-pixel"},
    {R_OS_OMEGA, SUB, {"-oversample_omega"}, 0, 0, "", "solid angle per sub-pixel"},
    {R_OVERSAMPLE, SUB, {"-oversample"}, 0, 1, "N", "sub-pixels per pixel side (default auto)"},
    {R_ROI, SUB, {"-roi"}, 0, 4, "xmin xmax ymin ymax", "render only this region"},
    {R_LAMBDA, SUB, {"-lambda", "-wave"}, 0, 1, "A", "wavelength (default 1)"},
    {R_ENERGY, SUB, {"-energy"}, 0, 1, "eV", "photon energy"},
    {R_FLUENCE, SUB, {"-fluence"}, 0, 1, "ph/m^2", "incident fluence"},
    {R_FLUX, SUB, {"-flux"}, 0, 1, "ph/s", "flux (with -exposure, -beamsize)"},
    {R_EXPOSURE, SUB, {"-exposure"}, 0, 1, "s", "exposure time (default 1)"},
    {R_BEAMSIZE, SUB, {"-beamsize"}, 0, 1, "mm", "beam size (default 0.1)"},
    {R_MOSAIC, SUBLEN, {"-mosaic"}, 7, 1, "deg", "mosaic spread"},
    {R_MOSAIC, SUB, {"-mosaici", "-mosaic_spr"}, 0, 1, "deg", "mosaic spread"},
    {R_MOSAIC_DOM, SUB, {"-mosaic_dom"}, 0, 1, "N", "mosaic domains (default 10 with a spread)"},
    {R_DISPERSION, SUB, {"-dispersion"}, 0, 1, "%", "spectral dispersion"},
    {R_DISPSTEPS, SUB, {"-dispsteps"}, 0, 1, "N", "wavelengths"},
    {R_DIVERGENCE, SUB, {"-divergence"}, 0, 1, "mrad", "beam divergence, both directions"},
    {R_HDIVRANGE, SUB, {"-hdivrange"}, 0, 1, "mrad", "horizontal divergence"},
    {R_VDIVRANGE, SUB, {"-vdivrange"}, 0, 1, "mrad", "vertical divergence"},
    {R_HDIVSTEP, SUBLEN, {"-hdivstep"}, 9, 1, "mrad", "horizontal divergence step"},
    {R_HDIVSTEPS, SUB, {"-hdivsteps"}, 0, 1, "N", "horizontal divergence steps"},
    {R_VDIVSTEP, SUBLEN, {"-vdivstep"}, 9, 1, "mrad", "vertical divergence step"},
    {R_VDIVSTEPS, SUB, {"-vdivsteps"}, 0, 1, "N", "vertical divergence steps"},
    {R_DIVSTEPS, SUB, {"-divsteps"}, 0, 1, "N", "divergence steps, both directions"},
    {R_ROUND_DIV, SUB, {"-round_div"}, 0, 0, "", "elliptical divergence grid (default)"},
    {R_SQUARE_DIV, SUB, {"-square_div"}, 0, 0, "", "full divergence grid"},
    {R_ADC, SUB, {"-adc"}, 0, 1, "ADU", "offset added to SMV pixels (default 40)"},
    {R_PHI, SUBLEN, {"-phi"}, 4, 1, "deg", "starting spindle angle"},
    {R_OSC, SUB, {"-osc"}, 0, 1, "deg", "oscillation range"},
    {R_PHISTEP, SUBLEN, {"-phistep"}, 8, 1, "deg", "phi step"},
    {R_PHISTEPS, SUB, {"-phisteps"}, 0, 1, "N", "phi steps"},
    {R_DMIN, SUB, {"-dmin"}, 0, 1, "A", "skip scattering beyond this resolution"},
    {R_MAT, SUB, {"-mat"}, 0, 1, "file", "MOSFLM orientation matrix"},
    {R_HKL, SUB, {"-hkl"}, 0, 1, "file", "structure factors: h k l F"},
    {R_DEFAULT_F, SUB, {"-default_F"}, 0, 1, "F", "structure factor of unlisted hkl (default 0)"},
    {R_DUMP, SUB, {"-dump"}, 0, 1, "file", "structure-factor cache (default Fdump.bin)"},
    {R_IMG, SUB, {"-img"}, 0, 1, "file", "take detector settings from an SMV header"},
    {R_STOLOUT, SUBLONGER, {"-stolout"}, 7, 1, "file", "accepted, no effect"},
    {R_STOL, SUBLEN, {"-stol"}, 5, 1, "file", "amorphous background: sin(theta)/lambda (1/A) and F per molecule"},
    {R_4STOL, SUBLEN, {"-4stol"}, 6, 1, "file", "amorphous background: 4 sin(theta)/lambda (1/A) and F"},
    {R_Q, SUBLEN, {"-Q"}, 2, 1, "file", "amorphous background: Q = 4 pi sin(theta)/lambda (1/A) and F"},
    {R_SOURCEFILE, SUB, {"-sourcefile"}, 0, 1, "file", "sources: X Y Z weight lambda"},
    {R_FLOATFILE, SUB, {"-floatfile", "-floatimage"}, 0, 1, "file", "float image (default floatimage.bin)"},
    {R_INTFILE, SUB, {"-intfile", "-intimage"}, 0, 1, "file", "SMV image (default intimage.img)"},
    {R_PGMFILE, SUB, {"-pgmfile", "-pgmimage"}, 0, 1, "file", "PGM image (default image.pgm)"},
    {R_NOISEFILE, SUB, {"-noisefile", "-noiseimage"}, 0, 1, "file", "noisy SMV image (default noiseimage.img)"},
    {R_NONOISE, SUB, {"-nonoise"}, 0, 0, "", "write no noise image"},
    {R_NOPGM, SUB, {"-nopgm"}, 0, 0, "", "write no PGM image"},
    {R_SCALE, SUB, {"-scale"}, 0, 1, "x", "SMV scale (default 55000/max)"},
    {R_PGMSCALE, SUB, {"-pgmscale"}, 0, 1, "x", "PGM scale (default auto)"},
    {R_COHERENT, SUB, {"-coherent"}, 0, 0, "", "accepted, no effect"},
    {R_PRINTOUT, SUB, {"-printout"}, 0, 0, "", "print pixel values"},
    {R_NOPROGRESS, SUB, {"-noprogress"}, 0, 0, "", "no progress report"},
    {R_PROGRESS, SUB, {"-progress"}, 0, 0, "", "progress report (default)"},
    {R_TIMING, SUB, {"-timing"}, 0, 0, "", "print where the time went, by phase"},
    {R_INTERPOLATE, SUB, {"-interpolate"}, 0, 0, "", "tricubic interpolation of F"},
    {R_NOINTERPOLATE, SUB, {"-nointerpolate"}, 0, 0, "", "nearest-neighbour F"},
    {R_ROUND_XTAL, SUB, {"-round_xtal"}, 0, 0, "", "ellipsoidal crystal"},
    {R_SQUARE_XTAL, SUB, {"-square_xtal"}, 0, 0, "", "parallelepiped crystal (default)"},
    {R_GAUSS_XTAL, SUB, {"-gauss_xtal"}, 0, 0, "", "Gaussian spots"},
    {R_TOPHAT, SUB, {"-binary_spots", "-tophat_spots"}, 0, 0, "", "flat-top spots"},
    {R_FUDGE, SUB, {"-fudge"}, 0, 1, "x", "spot-shape fudge factor (default 1)"},
    {R_PRINTOUT_PIXEL, SUB, {"-printout_pixel"}, 0, 2, "fast slow", "print one pixel's details"},
    {R_SEED, SUB, {"-seed"}, 0, 1, "N", "noise seed (default: time)"},
    {R_MOSAIC_SEED, SUB, {"-mosaic_seed"}, 0, 1, "N", "mosaic seed (default 12345678)"},
    {R_MISSET_SEED, SUB, {"-misset_seed"}, 0, 1, "N", "random misset seed (default: time)"},
    {R_WATER, SUB, {"-water"}, 0, 1, "um", "water background thickness"},
    {R_AM_THICK, EQ, {"-amorphous_thick", "-thick"}, 0, 1, "mm", "thickness of the -stol material in the beam (default 0.1)"},
    {R_AM_DENSITY, EQ, {"-amorphous_density"}, 0, 1, "g/cm^3", "density of the -stol material (default 1)"},
    {R_AM_MW, EQ, {"-amorphous_MW"}, 0, 1, "g/mol", "molecular weight of the -stol material (default 18)"},
    {R_PSF_TYPE, SUBLEN, {"-psf"}, 4, 1, "gauss|fiber", "detector point-spread shape (noise image)"},
    {R_PSF_TYPE, EQ, {"-psf_type"}, 0, 1, "gauss|fiber", "detector point-spread shape (noise image)"},
    {R_PSF_RADIUS, SUB, {"-psf_radius", "-psf_rad"}, 0, 1, "pixels", "point-spread kernel radius (default auto)"},
    {R_PSF_FWHM, SUBLEN, {"-psf_fwhm"}, 9, 1, "mm", "point-spread full width at half maximum"},
    {R_PSF_WIDTH_UM, SUB, {"-psf_si", "-psf_wi"}, 0, 1, "um", "point-spread FWHM in um (noisify's -psf_sigma/-psf_width)"},
    {R_GAIN, SUB, {"-gain"}, 0, 1, "ADU/photon", "detector gain (default 1)"},
    {R_READOUT, SUB, {"-readout_noise", "-readout", "-readnoi"}, 0, 1, "ADU", "read-out noise, rms (default 0)"},
    {R_FLICKER, SUB, {"-flicker_noise", "-flicker"}, 0, 1, "%", "per-pixel intensity jitter, % rms (-flicker: a fraction)"},
    {R_CALIBRATION, SUB, {"-calibration_noise", "-calibration"}, 0, 1, "%", "fixed per-pixel gain error, % rms (-calibration: a fraction)"},
    {R_CALIB_SEED, SUB, {"-calib_seed"}, 0, 1, "N", "calibration-error seed (default 123456789)"},
    {R_MASK, SUB, {"-mask"}, 0, 1, "file", "SMV mask: zero pixels are skipped"},
    {R_DEVICE, EQ, {"-device", "--device"}, 0, 1, "SPEC", "OpenCL device: index, P:D, cpu|gpu|accelerator|default, all, or name"},
    {R_LIST_DEVICES, EQ, {"-list_devices", "--list-devices"}, 0, 0, "", "list OpenCL devices and exit"},
    {R_PRECISION, EQ, {"-precision", "--precision"}, 0, 1, "double|single|auto", "arithmetic (default auto)"},
    {R_TILE, EQ, {"-tile", "--tile"}, 0, 1, "N", "N x N pixel tiles (default auto)"},
    {R_NIMAGES, EQ, {"-nimages", "--nimages"}, 0, 1, "N", "rotation sweep: N images of -osc each, from -phi on"},
    {R_SHOTS, EQ, {"-shots", "--shots"}, 0, 1, "file", "one image per line of flags (orientation, size, beam, seed)"},
    {R_CBFFILE, EQ, {"-cbffile", "--cbffile"}, 0, 1, "file", "Pilatus-style miniCBF photon counts ('#' numbers a series)"},
    {R_NEXUSFILE, EQ, {"-nexusfile", "--nexusfile"}, 0, 1, "file", "the whole series as one NeXus/HDF5 (NXmx) file"},
    {R_CACHE_DIR, EQ, {"-cache_dir", "--cache-dir"}, 0, 1, "DIR|off", "compiled-kernel cache (default $XDG_CACHE_HOME/nanobragg-cl)"},
    {R_KERNEL_BINARY, EQ, {"-kernel_binary", "--kernel-binary"}, 0, 1, "file", "kernels from a binary saved for this device and flags"},
    {R_SAVE_KERNEL_BINARY, EQ, {"-save_kernel_binary", "--save-kernel-binary"}, 0, 1, "file", "write the built kernels' binary (one -device)"},
    {R_PNGFILE, EQ, {"-pngfile"}, 0, 1, "file", "8-bit PNG preview"},
    {R_PNGLOG, EQ, {"-pnglog"}, 0, 0, "", "logarithmic PNG preview"},
    {R_DETECTOR, EQ, {"-detector"}, 0, 1, "FILE.expt", "every panel of a DIALS experiment's detector (docs/detectors.md)"},
    {R_NOISEPNG, EQ, {"-noisepngfile"}, 0, 1, "file", "8-bit PNG preview of the noise image (counts less -adc)"},
    {R_ALLOW_LONG_RUN, EQ, {"-allow_long_run", "--allow-long-run"}, 0, 0, "", "run even when the estimated run time is over -max_run_hours"},
    {R_MAX_RUN_HOURS, EQ, {"-max_run_hours", "--max-run-hours"}, 0, 1, "H", "refuse a run estimated to take longer (default 24)"},
    {R_MAX_MEMORY, EQ, {"-max_memory", "--max-memory"}, 0, 1, "GB", "memory cap of the HKL grid (default half the RAM)"},
    {R_HELP, EQ, {"-h", "-help", "--help"}, 0, 0, "", "this list"},
};
#define NRULES ((int)(sizeof RULES / sizeof RULES[0]))

/* ---- matching ---- */

static int name_matches(const rule *r, const char *name, const char *arg)
{
    switch (r->how) {
    case EQ: return strcmp(arg, name) == 0;
    case SUB: return strstr(arg, name) != NULL;
    case SUBLEN: return strstr(arg, name) != NULL && (int)strlen(arg) == r->len;
    case SUBLONGER: return strstr(arg, name) != NULL && (int)strlen(arg) > r->len;
    }
    return 0;
}

/* 1 if arg fires rule r; *exact set when arg is one of its names spelled out */
static int rule_matches(const rule *r, const char *arg, int *exact)
{
    int hit = 0;
    *exact = 0;
    for (int k = 0; k < 3 && r->names[k]; ++k) {
        if (name_matches(r, r->names[k], arg)) {
            hit = 1;
            if (strcmp(arg, r->names[k]) == 0) *exact = 1;
        }
    }
    return hit;
}

/* ---- values ---- */

typedef struct vals {
    char **v;       /* arguments after the flag */
    int avail;      /* how many exist */
    int strict;     /* flag spelled exactly: values must be numbers */
    const char *flag;
    nbcl_err *err;
    int bad;
} vals;

static int is_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

/* the reference's atof, or a checked number when strict */
static double num(vals *x, int k)
{
    double v;
    if (k >= x->avail) {
        if (x->strict && !x->bad) {
            nbcl_err_set(x->err, "%s: expected a value (got none)", x->flag);
            x->bad = 1;
        }
        return 0.0;
    }
    if (!x->strict) return atof(x->v[k]);
    if (!is_number(x->v[k], &v) || !isfinite(v)) {
        if (!x->bad) nbcl_err_set(x->err, "%s: '%s' is not a number", x->flag, x->v[k]);
        x->bad = 1;
        return 0.0;
    }
    return v;
}

/* atoi without its undefined behaviour: out-of-range values are clamped */
static int clamped_atoi(const char *s)
{
    long v = strtol(s, NULL, 10);
    return v > INT_MAX ? INT_MAX : v < -INT_MAX ? -INT_MAX : (int)v;
}

/* a whole number that fits an int (checked before converting) */
static int inum(vals *x, int k)
{
    double v = num(x, k);
    if (!x->strict) return k < x->avail ? clamped_atoi(x->v[k]) : 0;
    if (x->bad) return 0;
    if (v != floor(v)) {
        nbcl_err_set(x->err, "%s: '%s' is not a whole number", x->flag, x->v[k]);
        x->bad = 1;
        return 0;
    }
    if (v > INT_MAX || v < -INT_MAX) {
        nbcl_err_set(x->err, "%s: %s is out of range (at most %d in size)", x->flag, x->v[k], INT_MAX);
        x->bad = 1;
        return 0;
    }
    return (int)v;
}

/* a count that must be positive when given exactly */
static int count(vals *x, int k)
{
    int n = inum(x, k);
    if (x->strict && !x->bad && n <= 0) {
        nbcl_err_set(x->err, "%s: must be a positive count (got %s)", x->flag, x->v[k]);
        x->bad = 1;
    }
    return n;
}

static double positive(vals *x, int k)
{
    double v = num(x, k);
    if (x->strict && !x->bad && !(v > 0.0)) {
        nbcl_err_set(x->err, "%s: must be greater than zero (got %s)", x->flag, x->v[k]);
        x->bad = 1;
    }
    return v;
}

static double nonneg(vals *x, int k)
{
    double v = num(x, k);
    if (x->strict && !x->bad && v < 0.0) {
        nbcl_err_set(x->err, "%s: must not be negative (got %s)", x->flag, x->v[k]);
        x->bad = 1;
    }
    return v;
}

static const char *word(vals *x, int k)
{
    if (k >= x->avail) {
        if (!x->bad) nbcl_err_set(x->err, "%s: expected a value (got none)", x->flag);
        x->bad = 1;
        return NULL;
    }
    return x->v[k];
}

static void vec3(vals *x, double v[3])
{
    for (int k = 0; k < 3; ++k) v[k] = num(x, k);
}

/* ---- the rules' effects ---- */

static void apply_cell(nbcl_config *c, vals *x)
{
    c->user_cell = 1;
    if (x->strict) {
        for (int k = 0; k < 6; ++k) {
            if (k >= x->avail || x->v[k][0] == '-' ) {
                if (!x->bad) nbcl_err_set(x->err, "-cell: expected six numbers a b c alpha beta gamma, got %d", k);
                x->bad = 1;
                return;
            }
            c->cell[k] = num(x, k);
        }
    } else {
        for (int k = 0; k < 6 && k < x->avail && x->v[k][0] != '-'; ++k) c->cell[k] = atof(x->v[k]);
    }
    for (int k = 0; x->strict && !x->bad && k < 6; ++k)
        if (!(c->cell[k] > 0.0) || (k >= 3 && c->cell[k] >= 180.0)) {
            nbcl_err_set(x->err, "-cell: %s %s must be %s", k < 3 ? "length" : "angle", x->v[k],
                         k < 3 ? "greater than zero (Angstrom)" : "between 0 and 180 degrees");
            x->bad = 1;
        }
    for (int k = 3; k < 6; ++k) c->cell[k] /= RTD;
}

static void apply_detector_abs(nbcl_config *c, vals *x)
{
    const char *w = word(x, 0);
    double v;
    if (!w) return;
    if (strstr(w, "inf")) {
        c->detector_thick = 0.0;
        c->detector_mu = 0.0;
        return;
    }
    if (x->strict && !is_number(w, &v)) {
        nbcl_err_set(x->err, "-detector_abs: '%s' is not a number, inf or 0", w);
        x->bad = 1;
        return;
    }
    v = atof(w);
    if (x->strict && v < 0.0) {
        nbcl_err_set(x->err, "-detector_abs: attenuation depth must not be negative (got %s)", w);
        x->bad = 1;
        return;
    }
    if (v == 0.0) {
        c->detector_thick = 0.0;
        c->detector_mu = 0.0;
    } else {
        c->detector_mu = 1.0 / (v * 1e-6);
    }
}

static void apply_precision(nbcl_config *c, vals *x)
{
    const char *w = word(x, 0);
    if (!w) return;
    if (strcmp(w, "double") == 0) c->precision = NBCL_PRECISION_DOUBLE;
    else if (strcmp(w, "single") == 0 || strcmp(w, "float") == 0) c->precision = NBCL_PRECISION_SINGLE;
    else if (strcmp(w, "auto") == 0) c->precision = NBCL_PRECISION_AUTO;
    else {
        nbcl_err_set(x->err, "-precision: '%s' is not double, single or auto", w);
        x->bad = 1;
    }
}

static void apply_psf_type(nbcl_config *c, vals *x)
{
    const char *w = word(x, 0);
    if (!w) return;
    if (strstr(w, "gauss")) c->response.psf = NBCL_PSF_GAUSS;
    else if (strstr(w, "fiber") || strstr(w, "fibre")) c->response.psf = NBCL_PSF_FIBER;
    else if (strcmp(w, "none") == 0) c->response.psf = NBCL_PSF_NONE;
    else {
        nbcl_err_set(x->err, "%s: '%s' is not gauss, fiber or none", x->flag, w);
        x->bad = 1;
    }
}

static void note_no_effect(nbcl_config *c, const char *flag)
{
    for (int i = 0; i < c->n_no_effect; ++i)
        if (strcmp(c->no_effect[i], flag) == 0) return;
    if (c->n_no_effect < (int)(sizeof c->no_effect / sizeof c->no_effect[0]))
        c->no_effect[c->n_no_effect++] = flag;
}

/* the flags that place or size the detector: a -detector file does that instead */
static int is_geometry_rule(int id)
{
    switch (id) {
    case R_XBEAM: case R_YBEAM: case R_XCLOSE: case R_YCLOSE: case R_ORGX: case R_ORGY:
    case R_PIVOT: case R_MOSFLM: case R_XDS: case R_ADXV: case R_DENZO: case R_DIALS:
    case R_FDET: case R_SDET: case R_ODET: case R_TTHAXIS: case R_PIX0: case R_DISTANCE:
    case R_CLOSE_DISTANCE: case R_DET_ABS: case R_DET_THICK: case R_TWOTHETA: case R_ROTX:
    case R_ROTY: case R_ROTZ: case R_DETSIZE: case R_DETSIZE_F: case R_DETSIZE_S:
    case R_DETPIXELS: case R_DETPIXELS_F: case R_DETPIXELS_S: case R_CURVED: case R_PIXEL:
        return 1;
    }
    return 0;
}

static void apply(int id, nbcl_config *c, vals *x, enum nbcl_cli_action *action)
{
    double v;
    if (is_geometry_rule(id)) c->geometry_flag = x->flag;
    if (id == R_LAMBDA || id == R_ENERGY) c->beam_given |= NBCL_GIVEN_WAVELENGTH;
    if (id == R_BEAMV) c->beam_given |= NBCL_GIVEN_BEAM_VECTOR;
    switch (id) {
    case R_NA: c->Na = count(x, 0); break;
    case R_NB: c->Nb = count(x, 0); break;
    case R_NC: c->Nc = count(x, 0); break;
    case R_N: c->Na = c->Nb = c->Nc = count(x, 0); break;
    case R_CELL: apply_cell(c, x); break;
    case R_MISSET_RAND: break;  /* handled by the caller: it ends this argument's rules */
    case R_MISSET:
        c->misset_mode = 1;
        for (int k = 0; k < 3; ++k) {
            c->misset_deg[k] = num(x, k);
            c->misset[k] = c->misset_deg[k] / RTD;
        }
        break;
    case R_SAMPLESIZE: case R_XTALSIZE:
        c->sample_x = c->sample_y = c->sample_z = positive(x, 0) / 1000; break;
    case R_SAMPLE_X: case R_XTAL_X: c->sample_x = positive(x, 0) / 1000; break;
    case R_SAMPLE_Y: case R_XTAL_Y: c->sample_y = positive(x, 0) / 1000; break;
    case R_SAMPLE_Z: case R_XTAL_Z: c->sample_z = positive(x, 0) / 1000; break;
    case R_DENSITY: case R_AM_DENSITY: c->amorphous_density = positive(x, 0) * 1e6; c->amorphous_given = 1; break;
    case R_MW: case R_AM_MW: c->amorphous_MW = positive(x, 0); c->amorphous_given = 1; break;
    case R_AM_THICK: c->amorphous_thick = nonneg(x, 0) / 1000.0; c->amorphous_given = 1; break;
    case R_XBEAM: c->Xbeam = num(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_YBEAM: c->Ybeam = num(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_XCLOSE: c->Xclose = num(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_YCLOSE: c->Yclose = num(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_ORGX: c->ORGX = num(x, 0); c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_ORGY: c->ORGY = num(x, 0); c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_PIVOT: {
        const char *w = word(x, 0);
        if (!w) break;
        if (x->strict && !strstr(w, "sample") && !strstr(w, "beam")) {
            nbcl_err_set(x->err, "-pivot: '%s' is not beam or sample", w);
            x->bad = 1;
        }
        if (strstr(w, "sample")) c->pivot = NBCL_PIVOT_SAMPLE;
        if (strstr(w, "beam")) c->pivot = NBCL_PIVOT_BEAM;
        break;
    }
    case R_MOSFLM: c->convention = NBCL_MOSFLM; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_XDS: c->convention = NBCL_XDS; c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_ADXV: c->convention = NBCL_ADXV; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_DENZO: c->convention = NBCL_DENZO; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_DIALS: c->convention = NBCL_DIALS; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_FDET: c->convention = NBCL_CUSTOM; vec3(x, c->fdet_vector); break;
    case R_SDET: c->convention = NBCL_CUSTOM; vec3(x, c->sdet_vector); break;
    case R_ODET: c->convention = NBCL_CUSTOM; vec3(x, c->odet_vector); break;
    case R_BEAMV: c->convention = NBCL_CUSTOM; vec3(x, c->beam_vector); break;
    case R_POLARV: c->convention = NBCL_CUSTOM; vec3(x, c->polar_vector); break;
    case R_SPINDLE: c->convention = NBCL_CUSTOM; vec3(x, c->spindle_vector); break;
    case R_TTHAXIS: c->convention = NBCL_CUSTOM; vec3(x, c->twotheta_axis); break;
    case R_PIX0:
        c->convention = NBCL_CUSTOM;
        c->pix0_given = 1;
        vec3(x, c->pix0_vector);
        if (strcmp(x->flag, "-pix0_vector_mm") == 0)
            for (int k = 0; k < 3; ++k) c->pix0_vector[k] /= 1000.0;
        break;
    case R_DISTANCE: c->distance = positive(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_BEAM; break;
    case R_CLOSE_DISTANCE:
        c->close_distance = positive(x, 0) / 1000.0; c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_DET_ABS: apply_detector_abs(c, x); break;
    case R_DET_THICK: c->detector_thick = nonneg(x, 0) * 1e-6; break;
    case R_DET_THICKSTEPS: case R_THICKSTEPS: c->detector_thicksteps = count(x, 0); break;
    case R_TWOTHETA: c->twotheta = num(x, 0) / RTD; c->pivot = NBCL_PIVOT_SAMPLE; break;
    case R_ROTX: c->detector_rotx = num(x, 0) / RTD; break;
    case R_ROTY: c->detector_roty = num(x, 0) / RTD; break;
    case R_ROTZ: c->detector_rotz = num(x, 0) / RTD; break;
    case R_DETSIZE: c->detsize_f = c->detsize_s = positive(x, 0) / 1000.0; break;
    case R_DETSIZE_F: c->detsize_f = positive(x, 0) / 1000.0; break;
    case R_DETSIZE_S: c->detsize_s = positive(x, 0) / 1000.0; break;
    case R_DETPIXELS: c->fpixels = c->spixels = count(x, 0); break;
    case R_DETPIXELS_F: c->fpixels = count(x, 0); break;
    case R_DETPIXELS_S: c->spixels = count(x, 0); break;
    case R_CURVED: c->curved_detector = 1; break;
    case R_PIXEL: c->pixel_size = positive(x, 0) / 1000.0; break;
    case R_POINT_PIXEL: c->point_pixel = 1; break;
    case R_POLAR: c->polarization = num(x, 0); c->nopolar = 0; break;
    case R_NOPOLAR: c->nopolar = 1; break;
    case R_OS_THICK: c->oversample_thick = 1; break;
    case R_OS_POLAR: c->oversample_polar = 1; break;
    case R_OS_OMEGA: c->oversample_omega = 1; break;
    case R_OVERSAMPLE: c->oversample = count(x, 0); break;
    case R_ROI: for (int k = 0; k < 4; ++k) c->roi[k] = inum(x, k); break;
    case R_LAMBDA: c->lambda_A = positive(x, 0); c->lambda0 = c->lambda_A / 1.0e10; break;
    case R_ENERGY: v = positive(x, 0); c->lambda0 = (12398.42 / v) / 1.0e10; break;
    case R_FLUENCE: c->fluence = nonneg(x, 0); break;
    case R_FLUX: c->flux = nonneg(x, 0); break;
    case R_EXPOSURE: c->exposure = nonneg(x, 0); break;
    case R_BEAMSIZE: c->beamsize = nonneg(x, 0) / 1000; break;
    case R_MOSAIC: c->mosaic_spread = nonneg(x, 0) / RTD; break;
    case R_MOSAIC_DOM: c->mosaic_domains = count(x, 0); break;
    case R_DISPERSION: c->dispersion = nonneg(x, 0) / 100.0; break;
    case R_DISPSTEPS: c->dispsteps = count(x, 0); break;
    case R_DIVERGENCE: c->hdivrange = c->vdivrange = nonneg(x, 0) / 1000.0; break;
    case R_HDIVRANGE: c->hdivrange = nonneg(x, 0) / 1000.0; break;
    case R_VDIVRANGE: c->vdivrange = nonneg(x, 0) / 1000.0; break;
    case R_HDIVSTEP: c->hdivstep = nonneg(x, 0) / 1000.0; break;
    case R_HDIVSTEPS: c->hdivsteps = count(x, 0); break;
    case R_VDIVSTEP: c->vdivstep = nonneg(x, 0) / 1000.0; break;
    case R_VDIVSTEPS: c->vdivsteps = count(x, 0); break;
    case R_DIVSTEPS: c->hdivsteps = c->vdivsteps = count(x, 0); break;
    case R_ROUND_DIV: c->round_div = 1; break;
    case R_SQUARE_DIV: c->round_div = 0; break;
    case R_ADC: c->adc_offset = num(x, 0); break;
    case R_PHI: c->phi_deg = num(x, 0); c->phi0 = c->phi_deg / RTD; break;
    case R_OSC: c->osc_deg = num(x, 0); c->osc = c->osc_deg / RTD; break;
    case R_PHISTEP: c->phistep = num(x, 0) / RTD; break;
    case R_PHISTEPS: c->phisteps = count(x, 0); break;
    case R_DMIN: c->dmin = nonneg(x, 0) * 1e-10; break;
    case R_MAT: c->matfile = word(x, 0); break;
    case R_HKL: c->hklfile = word(x, 0); break;
    case R_DEFAULT_F: c->default_F = num(x, 0); break;
    case R_DUMP: c->dumpfile = word(x, 0); break;
    case R_IMG: c->imgfile = word(x, 0); break;
    case R_MASK: c->maskfile = word(x, 0); break;
    case R_STOLOUT:
        (void)word(x, 0);
        note_no_effect(c, x->flag);
        break;
    /* nonBragg's units: sin(theta)/lambda, 4 sin(theta)/lambda or Q, in 1/Angstrom */
    case R_STOL: case R_4STOL: case R_Q:
        c->stolfile = word(x, 0);
        c->stolflag = id == R_STOL ? "-stol" : id == R_4STOL ? "-4stol" : "-Q";
        c->stol_mult = id == R_STOL ? 1e10 : id == R_4STOL ? 1e10 / 4 : 1e10 / M_PI / 4;
        break;
    case R_SOURCEFILE: c->sourcefile = word(x, 0); break;
    case R_FLOATFILE: c->floatfile = word(x, 0); c->outputs_given |= NBCL_GIVEN_FLOAT; break;
    case R_INTFILE: c->intfile = word(x, 0); c->outputs_given |= NBCL_GIVEN_INT; break;
    case R_PGMFILE: c->pgmfile = word(x, 0); c->write_pgm = 1; c->outputs_given |= NBCL_GIVEN_PGM; break;
    case R_NOISEFILE:
        c->noisefile = word(x, 0); c->calculate_noise = 1; c->outputs_given |= NBCL_GIVEN_NOISE; break;
    case R_NONOISE: c->calculate_noise = 0; break;
    case R_NOPGM: c->write_pgm = 0; break;
    case R_SCALE: c->intfile_scale = num(x, 0); break;
    case R_PGMSCALE: c->pgm_scale = num(x, 0); c->write_pgm = 1; break;
    case R_COHERENT: note_no_effect(c, x->flag); break;
    case R_PRINTOUT: c->printout = 1; break;
    case R_NOPROGRESS: c->progress = 0; break;
    case R_PROGRESS: c->progress = 1; break;
    case R_TIMING: c->timing = 1; break;
    case R_INTERPOLATE: c->interpolate = 1; break;
    case R_NOINTERPOLATE: c->interpolate = 0; break;
    case R_ROUND_XTAL: c->shape = NBCL_SHAPE_ROUND; break;
    case R_SQUARE_XTAL: c->shape = NBCL_SHAPE_SQUARE; break;
    case R_GAUSS_XTAL: c->shape = NBCL_SHAPE_GAUSS; break;
    case R_TOPHAT: c->shape = NBCL_SHAPE_TOPHAT; break;
    case R_FUDGE: c->fudge = num(x, 0); break;
    case R_PRINTOUT_PIXEL:
        c->printout_fpixel = inum(x, 0);
        c->printout_spixel = inum(x, 1);
        break;
    case R_SEED: c->seed = -inum(x, 0); break;
    case R_MOSAIC_SEED: c->mosaic_seed = -inum(x, 0); break;
    case R_MISSET_SEED: c->misset_seed = -inum(x, 0); c->misset_seed_given = 1; break;
    case R_WATER: c->water_size = nonneg(x, 0) / 1e6; break;
    case R_PSF_TYPE: apply_psf_type(c, x); break;
    case R_PSF_RADIUS:
        c->response.psf_radius = x->strict ? inum(x, 0) : (int)num(x, 0);
        if (x->strict && !x->bad && (c->response.psf_radius < 0 || c->response.psf_radius > NBCL_PSF_MAX_RADIUS)) {
            nbcl_err_set(x->err, "%s: %s is outside 0 (automatic) to %d pixels", x->flag, x->v[0], NBCL_PSF_MAX_RADIUS);
            x->bad = 1;
        }
        break;
    case R_PSF_FWHM:
        c->response.psf_fwhm_mm = nonneg(x, 0);
        if (x->strict && !x->bad && c->response.psf_fwhm_mm > 10.0) {
            nbcl_err_set(x->err, "%s: %s mm is over 10 mm (the value is in mm; noisify's -psf_fwhm took um: use -psf_width UM)", x->flag, x->v[0]);
            x->bad = 1;
        }
        break;
    case R_PSF_WIDTH_UM: c->response.psf_fwhm_mm = nonneg(x, 0) / 1000.0; break;
    case R_GAIN: c->response.gain = positive(x, 0); break;
    case R_READOUT: c->response.readout_noise = nonneg(x, 0); break;
    /* the spellings take percent; noisify's shorter ones a fraction */
    case R_FLICKER:
        c->response.flicker_noise = nonneg(x, 0) / (strcmp(x->flag, "-flicker_noise") == 0 ? 100.0 : 1.0);
        break;
    case R_CALIBRATION:
        c->response.calibration_noise = nonneg(x, 0) / (strcmp(x->flag, "-calibration_noise") == 0 ? 100.0 : 1.0);
        break;
    case R_CALIB_SEED: c->response.calibration_seed = inum(x, 0); break;
    case R_DEVICE: c->device_spec = word(x, 0); break;
    case R_LIST_DEVICES: *action = NBCL_CLI_LIST_DEVICES; break;
    case R_PRECISION: apply_precision(c, x); break;
    case R_TILE: c->tile = count(x, 0); break;
    case R_ALLOW_LONG_RUN: c->allow_long_run = 1; break;
    case R_MAX_RUN_HOURS: c->max_run_hours = positive(x, 0); break;
    case R_MAX_MEMORY: c->max_memory_gb = positive(x, 0); break;
    case R_CACHE_DIR: c->cache_dir = word(x, 0); break;
    case R_KERNEL_BINARY: c->kernel_binary = word(x, 0); break;
    case R_SAVE_KERNEL_BINARY: c->save_kernel_binary = word(x, 0); break;
    case R_NIMAGES: c->nimages = count(x, 0); break;
    case R_SHOTS: c->shotsfile = word(x, 0); break;
    case R_CBFFILE: c->cbffile = word(x, 0); break;
    case R_NEXUSFILE: c->nexusfile = word(x, 0); break;
    case R_PNGFILE: c->pngfile = word(x, 0); break;
    case R_PNGLOG: c->pnglog = 1; break;
    case R_DETECTOR: c->detectorfile = word(x, 0); break;
    case R_NOISEPNG: c->noisepngfile = word(x, 0); break;
    case R_HELP: *action = NBCL_CLI_HELP; break;
    }
}

/* ---- the passes ---- */

/* Rules of the reference that end the processing of an argument ("continue"). */
static int ends_argument(int id)
{
    return id == R_NA || id == R_NB || id == R_NC || id == R_N || id == R_OS_THICK ||
           id == R_OS_POLAR || id == R_OS_OMEGA;
}

/* the values an exactly spelled flag takes (its arity) */
static int arity(const rule *r, const char *arg)
{
    if (r->id == R_CELL) return 6;
    if (r->id == R_MISSET) return 3;
    (void)arg;
    return r->need;
}

static int is_value_like(const char *s)
{
    double v;
    return s[0] != '-' || is_number(s, &v);
}

static int apply_flags(int argc, char **argv, nbcl_config *c, enum nbcl_cli_action *action,
                       nbcl_err *err);

int nbcl_cli_parse(int argc, char **argv, nbcl_config *c, enum nbcl_cli_action *action,
                   const nbcl_cli_hooks *hooks, nbcl_err *err)
{
    nbcl_config_defaults(c);
    c->seed = -(long)time(NULL);
    c->misset_seed = c->seed;
    *action = NBCL_CLI_RUN;

    /* like the reference, SMV headers named by -mask and -img are read first */
    const char *mask = NULL, *img = NULL;
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i][0] != '-') continue;
        if (strstr(argv[i], "-img")) img = argv[i + 1];
        if (strstr(argv[i], "-mask")) mask = argv[i + 1];
    }
    if (mask || img) {
        if (!hooks || !hooks->headers)
            return nbcl_err_code(err, NBCL_E_INVALID, "%s: no reader for SMV headers here", mask ? "-mask" : "-img");
        if (hooks->headers(hooks->user, c, mask, img, err)) return -1;
    }
    if (apply_flags(argc, argv, c, action, err)) return -1;
    if (c->user_cell && !(c->cell[0] > 0.0))
        return nbcl_err_set(err, "-cell: the a axis must be a positive length");
    return 0;
}

int nbcl_cli_apply(int argc, char **argv, nbcl_config *c, nbcl_err *err)
{
    enum nbcl_cli_action action = NBCL_CLI_RUN;
    return apply_flags(argc, argv, c, &action, err);
}

/* Every argument of argv (argv[0] is skipped) onto c, by the reference's rules. */
static int apply_flags(int argc, char **argv, nbcl_config *c, enum nbcl_cli_action *action,
                       nbcl_err *err)
{
    int value_until = 0;   /* arguments up to this index are values of an exact flag */
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            if (i > value_until) return nbcl_err_set(err, "unexpected argument '%s' (flags start with '-')", arg);
            continue;
        }
        int fired = 0, exact_any = 0, exact, flag_position = i > value_until;
        for (int r = 0; r < NRULES; ++r)
            if (rule_matches(&RULES[r], arg, &exact) && exact) exact_any = 1;
        for (int r = 0; r < NRULES; ++r) {
            const rule *ru = &RULES[r];
            if (!rule_matches(ru, arg, &exact)) continue;
            /* Values are checked strictly for the flag the user meant: the rule spelled
             * exactly, or, for an alias spelled some other way (-mosaic_spread,
             * -wavelength), every rule it fires. Rules fired as a side effect of another
             * flag's name (-misset by -misset_seed) read their values as the reference
             * does, and a value of the previous flag is never checked as a flag. */
            int strict = (exact || !exact_any) && flag_position;
            if (ru->id >= R_DEVICE && !exact) continue;
            if (ru->id == R_MISSET_RAND) {
                if (argc > i + 1 && strstr(argv[i + 1], "rand")) {
                    c->misset_mode = -1;
                    fired = 1;
                    if (strict && value_until < i + 1) value_until = i + 1;
                    break;
                }
                continue;
            }
            if (!strict && argc <= i + ru->need) continue;   /* reference needs the values */
            vals x = {argv + i + 1, argc - i - 1, strict, arg, err, 0};
            apply(ru->id, c, &x, action);
            if (x.bad) return -1;
            fired = 1;
            if (strict) {
                int n = arity(ru, arg);
                if (i + n > value_until) value_until = i + n;
            }
            if (ends_argument(ru->id)) break;
        }
        if (!fired && flag_position && !is_value_like(arg)) {
            const char *s = nbcl_cli_suggest(arg);
            if (s) return nbcl_err_set(err, "unknown flag '%s' (did you mean %s?)", arg, s);
            return nbcl_err_set(err, "unknown flag '%s' (see -help)", arg);
        }
    }
    return 0;
}

/* ---- help and suggestions ---- */

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63) return 99;
    int d[64][64];
    for (int i = 0; i <= la; ++i) d[i][0] = i;
    for (int j = 0; j <= lb; ++j) d[0][j] = j;
    for (int i = 1; i <= la; ++i)
        for (int j = 1; j <= lb; ++j) {
            int sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

const char *nbcl_cli_suggest(const char *w)
{
    const char *best = NULL;
    int bestd = 1 << 30;
    for (int r = 0; r < NRULES; ++r)
        for (int k = 0; k < 3 && RULES[r].names[k]; ++k) {
            int d = edit_distance(w, RULES[r].names[k]);
            if (d < bestd) {
                bestd = d;
                best = RULES[r].names[k];
            }
        }
    int len = (int)strlen(w);
    return bestd <= (len > 6 ? 4 : 2) ? best : NULL;
}

static char *help_text;

static void build_help(void)
{
    size_t len = 0;
    FILE *out = open_memstream(&help_text, &len);
    if (!out) return;
    fprintf(out, "usage: nanobragg-cl [options]   (nanoBragg's flags, plus the engine's own)\n");
    for (int r = 0; r < NRULES; ++r) {
        const rule *ru = &RULES[r];
        if (ru->id == R_MISSET_RAND) continue;
        char names[96] = "";
        for (int k = 0; k < 3 && ru->names[k]; ++k) {
            if (k) strncat(names, " ", sizeof names - strlen(names) - 1);
            strncat(names, ru->names[k], sizeof names - strlen(names) - 1);
        }
        fprintf(out, "  %-34s %-20s %s\n", names, ru->args, ru->help);
    }
    fclose(out);
}

const char *nbcl_cli_help(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_help);
    return help_text ? help_text : "usage: nanobragg-cl [options] (help text unavailable: out of memory)\n";
}
