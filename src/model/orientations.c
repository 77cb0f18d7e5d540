/* orientations.c: the crystal orientations of a run and the per-image variants of a
 * resolved simulation (see orientations.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/constants.h"
#include "base/vec3.h"
#include "model/geometry.h"
#include "model/orientations.h"
#include "model/sampling.h"

/* a, b, c turned to phi step p (phi = 0 is the unrotated crystal) */
static void phi_vectors(const nbcl_sim *s, int p, double ap[3], double bp[3], double cp[3])
{
    double phi = s->phi0 + s->phistep * p;
    if (phi != 0.0) {
        nbcl_rotate_axis(s->a0, ap, s->spindle, phi);
        nbcl_rotate_axis(s->b0, bp, s->spindle, phi);
        nbcl_rotate_axis(s->c0, cp, s->spindle, phi);
    } else {
        v3_copy(s->a0, ap); v3_copy(s->b0, bp); v3_copy(s->c0, cp);
    }
}

/* those vectors turned by mosaic domain m, into o (9 values) */
static void domain_vectors(const nbcl_sim *s, int m, const double ap[3], const double bp[3],
                           const double cp[3], double o[9])
{
    if (s->mosaic_spread > 0.0) {
        const double *u = s->mosaic_umats + 9 * m;
        nbcl_rotate_umat(ap, o, u);
        nbcl_rotate_umat(bp, o + 3, u);
        nbcl_rotate_umat(cp, o + 6, u);
    } else {
        v3_copy(ap, o); v3_copy(bp, o + 3); v3_copy(cp, o + 6);
    }
}

int nbcl_orientation_count(const nbcl_sim *s, int *count)
{
    if (s->phisteps <= 0 || s->mosaic_domains <= 0) return -1;
    size_t n = (size_t)s->phisteps * (size_t)s->mosaic_domains;
    if (n > INT32_MAX || n > SIZE_MAX / (9 * sizeof(double))) return -1;
    *count = (int)n;
    return 0;
}

void nbcl_crystal_orientation(const nbcl_sim *s, int p, int m, double abc[9])
{
    double ap[3], bp[3], cp[3];
    phi_vectors(s, p, ap, bp, cp);
    domain_vectors(s, m, ap, bp, cp, abc);
}

double *nbcl_crystal_orientations(const nbcl_sim *s, int *count)
{
    int n;
    if (nbcl_orientation_count(s, &n)) return NULL;
    double *t = malloc(sizeof(double) * 9 * (size_t)n);
    if (!t) return NULL;
    for (int p = 0; p < s->phisteps; ++p) {
        double ap[3], bp[3], cp[3];
        phi_vectors(s, p, ap, bp, cp);
        for (int m = 0; m < s->mosaic_domains; ++m)
            domain_vectors(s, m, ap, bp, cp, t + 9 * ((size_t)p * s->mosaic_domains + m));
    }
    *count = n;
    return t;
}

static int positive_or_unset(double v, const char *what, nbcl_err *err)
{
    if (v == 0.0 || (v >= 1.0 && isfinite(v) && v <= 1e6)) return 0;
    return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: %s %g must be a number of unit "
                         "cells between 1 and 1e6 (0 keeps the experiment's)", what, v);
}

static int check_params(const nbcl_image_params *p, nbcl_err *err)
{
    if (isinf(p->phi_deg) || isinf(p->osc_deg))
        return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: phi and osc must be finite");
    if (!isnan(p->osc_deg) && p->osc_deg < 0.0)
        return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: osc %g must not be negative", p->osc_deg);
    if (!(p->lambda_A >= 0.0) || isinf(p->lambda_A))
        return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: wavelength %g must be positive", p->lambda_A);
    if (!(p->fluence >= 0.0) || isinf(p->fluence))
        return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: fluence %g must be positive", p->fluence);
    for (int k = 0; p->set_misset && k < 3; ++k)
        if (!isfinite(p->misset_deg[k]))
            return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: misset angles must be finite");
    for (int k = 0; k < 9; ++k)
        if ((p->set_umat && !isfinite(p->umat[k])) || (p->set_amat && !isfinite(p->amat[k])))
            return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: umat and amat must be finite");
    if (positive_or_unset(p->Na, "Na", err) || positive_or_unset(p->Nb, "Nb", err) ||
        positive_or_unset(p->Nc, "Nc", err))
        return -1;
    return 0;
}

/* The image's crystal: an A matrix instead of the experiment's axes, then the misset
 * (random, given, or the experiment's), then umat, as the setup would have done it. */
static int orient(const nbcl_sim *base, const nbcl_image_params *p, nbcl_sim *s, nbcl_err *err)
{
    if (p->set_amat) {
        if (nbcl_matrix_reciprocal(p->amat, s->lambda0, s->base_star, s->base_star + 3, s->base_star + 6))
            return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: the A matrix has a zero column");
        s->base_user_cell = 0;
    }
    double misset[3];
    const double *use = NULL;
    if (p->random_misset) {
        nbcl_rng rng;   /* as a fresh run: the misset is drawn first */
        nbcl_rng_init(&rng);
        long seed = -p->misset_seed;
        nbcl_random_misset(&rng, &seed, misset);
        use = misset;
    } else if (p->set_misset) {
        for (int k = 0; k < 3; ++k) misset[k] = p->misset_deg[k] / RTD;
        use = misset;
    } else if (base->misset_given) {
        use = base->misset;
    }
    return nbcl_crystal_orient(s, use, p->set_umat ? p->umat : NULL, NULL, err);
}

int nbcl_sim_for_image(const nbcl_sim *base, const nbcl_image_params *p, nbcl_sim *s,
                       double *umat_scratch, double *lambda_scratch, nbcl_err *err)
{
    *s = *base;
    if (!p) return 0;
    if (check_params(p, err)) return -1;
    if (!isnan(p->phi_deg)) s->phi0 = p->phi_deg / RTD;
    if (!isnan(p->osc_deg)) {
        s->osc = p->osc_deg / RTD;
        s->phistep = s->osc / s->phisteps;
    }
    if (p->lambda_A > 0.0) {   /* before the crystal: an A matrix is divided by it */
        if (!lambda_scratch)
            return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: no room for new wavelengths");
        s->lambda0 = p->lambda_A / 1.0e10;
        nbcl_source_lambdas(s, lambda_scratch);
        s->source_lambda = lambda_scratch;
    }
    /* a crystal from an A matrix scales with the wavelength (the matrix holds a* x lambda) */
    int rescale = p->lambda_A > 0.0 && !base->base_user_cell && !p->set_amat;
    if (rescale)
        for (int k = 0; k < 9; ++k) s->base_star[k] = base->base_star[k] * (base->lambda0 / s->lambda0);
    if ((rescale || p->set_misset || p->set_amat || p->set_umat || p->random_misset) &&
        orient(base, p, s, err))
        return -1;
    if (p->set_mosaic_seed) {
        if (!umat_scratch)
            return nbcl_err_code(err, NBCL_E_INVALID, "image parameters: no room for new mosaic domains");
        nbcl_rng rng;
        nbcl_rng_init(&rng);
        nbcl_mosaic_umats(&rng, s->mosaic_spread, s->mosaic_domains, -p->mosaic_seed, umat_scratch);
        s->mosaic_umats = umat_scratch;
    }
    if (p->Na > 0.0) s->Na = p->Na;
    if (p->Nb > 0.0) s->Nb = p->Nb;
    if (p->Nc > 0.0) s->Nc = p->Nc;
    for (int k = 0; k < 3; ++k) {
        double n = k == 0 ? s->Na : k == 1 ? s->Nb : s->Nc;
        const double *axis = k == 0 ? s->a0 : k == 1 ? s->b0 : s->c0;
        s->xtalsize[k] = v3_norm(axis) * n;
    }
    if (p->fluence > 0.0) {
        s->fluence = p->fluence;
        s->I_bg = nbcl_water_background(s);   /* the water background scales with it */
    }
    return 0;
}
