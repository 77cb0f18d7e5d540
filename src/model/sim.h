/* sim.h: a fully resolved simulation: every default and auto-selection of the reference
 * applied, every table built. This is what the kernels see; it is computed once on the host.
 * Units: metres, radians, photons/m^2; cell vectors a,b,c in metres, reciprocal vectors in
 * 1/Angstrom (as the reference keeps them). */
#ifndef NBCL_SIM_H
#define NBCL_SIM_H

#include "base/error.h"
#include "base/hkl_grid.h"
#include "base/log.h"
#include "base/rng.h"
#include "model/config.h"
#include "model/loaders.h"

enum { NBCL_SOURCE_GIVEN = -1, NBCL_SOURCE_LAMBDA0 = -2 };

/* One flat panel of a -detector file, in nanoBragg's frame (metres). */
typedef struct nbcl_panel {
    char name[NBCL_PANEL_NAME];
    double fdet[3], sdet[3], odet[3], pix0[3];
    double distance, close_distance;   /* along the beam and along the normal to the plane */
} nbcl_panel;

typedef struct nbcl_sim {
    /* detector geometry */
    enum nbcl_convention convention;
    enum nbcl_pivot pivot;
    int fpixels, spixels;
    double pixel_size, detsize_f, detsize_s;
    double distance, close_distance;
    double fdet[3], sdet[3], odet[3], pix0[3], beam[3], polar_vector[3], vert_vector[3];
    double spindle[3], twotheta_axis[3];
    double Xbeam, Ybeam, Fbeam, Sbeam, Xclose, Yclose, Fclose, Sclose, ORGX, ORGY;
    double dials_origin[3];
    double twotheta;
    int curved_detector, point_pixel;
    int oversample, oversample_thick, oversample_polar, oversample_omega;
    double subpixel_size;
    int thicksteps;
    double thick, thickstep, mu;
    int roi_xmin, roi_xmax, roi_ymin, roi_ymax;   /* inclusive, as the reference tests them */
    double dmin;
    /* -detector: npanels panels of fpixels x (spixels / npanels) pixels, stacked along the
     * slow axis in the image in the file's order; panel 0's geometry is also the fields
     * above. A detector from flags is one panel (panels NULL). */
    int npanels;
    nbcl_panel *panels;

    /* beam and sources */
    double lambda0, fluence, flux, exposure, beamsize;
    double polarization;         /* Kahn factor */
    int nopolar;
    double hdivrange, hdivstep, vdivrange, vdivstep, dispersion, dispstep;
    int hdivsteps, vdivsteps, dispsteps, divsteps;
    int nsources;
    double *source_dir;          /* 3 per source: unit vector from sample toward source */
    double *source_weight;
    double *source_lambda;       /* m */
    int *source_kind;            /* how each wavelength was chosen: the dispersion step d (>= 0),
                                    NBCL_SOURCE_GIVEN (a source file's value) or
                                    NBCL_SOURCE_LAMBDA0 (the run's wavelength) */

    /* crystal */
    double a0[3], b0[3], c0[3];  /* unrotated real-space vectors (m) */
    double a_star[3], b_star[3], c_star[3];  /* reciprocal vectors (1/Angstrom) */
    double cell[6], recip_cell[6], V_cell;
    double misset[3];            /* radians, as applied */
    int misset_given;            /* -misset (angles or random) was given */
    /* the crystal before any misset: reciprocal axes (1/Angstrom, a* b* c*), and for a
     * user cell its lengths, angles and volume (what nbcl_crystal_orient starts from) */
    double base_star[9], base_cell[6], base_V;
    int base_user_cell;
    double Na, Nb, Nc;
    double xtalsize[3];
    enum nbcl_shape shape;
    double fudge;
    int phisteps;
    double phi0, phistep, osc;
    int mosaic_domains;
    double mosaic_spread;
    double *mosaic_umats;        /* 9 per domain, row-major, domain 0 = identity */
    nbcl_hkl hkl;                /* hkls == 0: no table, default_F everywhere */
    double default_F;
    int interpolate;

    /* background and scale */
    double water_size, I_bg;

    /* amorphous background (-stol): F of one molecule against sin(theta)/lambda (1/m),
     * bg_rows values of each in bg_table (sin(theta)/lambda first, then F), and the molecules
     * in the beam (thickness x beamsize^2 x density x Avogadro / MW) */
    int bg_rows;
    double *bg_table;
    double bg_molecules;

    /* the detector's response, applied to the noise image */
    nbcl_detector_response response;
    double r_e_sqr;
    long steps;                  /* sources * mosaic_domains * phisteps * oversample^2 */
} nbcl_sim;

/* Resolve cfg into sim, printing the reference's setup log to log (may be NULL).
 * The tables of -mat, -hkl/Fdump.bin and -sourcefile come through ld (see loaders.h).
 * rng is the run's one random generator (random misset, then mosaic domains; the noise
 * image continues with it). On failure nothing stays allocated. */
int nbcl_sim_resolve(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                     nbcl_rng *rng, nbcl_log *log, nbcl_err *err);
/* The fluence (photons/m^2) a run uses: flux * exposure / beamsize^2 when flux and exposure
 * are given (as the reference), else -fluence. */
double nbcl_fluence_of(double fluence, double flux, double exposure, double beamsize);
/* The reference's water background per pixel term, from fluence and water_size. */
double nbcl_water_background(const nbcl_sim *sim);
/* Panel i's geometry (pix0, axes, distances) into sim's own fields (-detector). */
void nbcl_sim_use_panel(nbcl_sim *sim, int i);
/* A deep copy of a resolved simulation (tables included). */
int nbcl_sim_copy(const nbcl_sim *from, nbcl_sim *to, nbcl_err *err);
void nbcl_sim_free(nbcl_sim *sim);

#endif
