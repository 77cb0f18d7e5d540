/* crystal.c: the unit cell and its orientation.
 * From -cell (triclinic allowed) or a MOSFLM A matrix (-mat, wavelength divided out), then
 * the misset rotation, then real-space vectors rebuilt from the reciprocal ones and the
 * reciprocal ones from those, in the reference's order so the vectors agree to the bit.
 * Also the crystal size in cells from -xtal_size and friends. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include "model/geometry.h"
#include "base/constants.h"
#include "base/vec3.h"


/* reciprocal vectors in the reference's default orientation for a user cell */
static int cell_to_reciprocal(const double cell_in[6], double cell[6], double V_cell_out[1],
                              double as[3], double bs[3], double cs[3], nbcl_log *log, nbcl_err *err)
{
    double a = cell_in[0], b = cell_in[1], c = cell_in[2];
    double al = cell_in[3], be = cell_in[4], ga = cell_in[5];
    if (b <= 0.0) b = a;
    if (c <= 0.0) c = a;
    if (al <= 0.0) al = M_PI / 2;
    if (be <= 0.0) be = M_PI / 2;
    if (ga <= 0.0) ga = M_PI / 2;
    if (al >= M_PI || be >= M_PI || ga >= M_PI)
        return nbcl_err_set(err, "-cell: angles must be between 0 and 180 degrees");
    double aavg = (al + be + ga) / 2;
    double skew = sin(aavg) * sin(aavg - al) * sin(aavg - be) * sin(aavg - ga);
    /* the reference takes |skew|; a negative one means the angles cannot close a cell */
    if (!(skew > 0.0))
        return nbcl_err_set(err, "-cell: angles %g %g %g do not make a unit cell (zero or negative volume)",
                            al * RTD, be * RTD, ga * RTD);
    double V = 2.0 * a * b * c * sqrt(skew);
    double Vs = 1.0 / V;
    double a_len = b * c * sin(al) * Vs, b_len = c * a * sin(be) * Vs, c_len = a * b * sin(ga) * Vs;
    double sin_gs = c * Vs / a_len / b_len;
    double cos_as = (cos(be) * cos(ga) - cos(al)) / (sin(be) * sin(ga));
    double cos_bs = (cos(ga) * cos(al) - cos(be)) / (sin(ga) * sin(al));
    double cos_gs = (cos(al) * cos(be) - cos(ga)) / (sin(al) * sin(be));
    if (sin_gs > 1.0) sin_gs = 1.0;
    if (sin_gs < -1.0) sin_gs = -1.0;
    if (cos_as * cos_as > 1.0) cos_as = 1.0;
    if (cos_bs * cos_bs > 1.0) cos_bs = 1.0;
    if (cos_gs * cos_gs > 1.0) cos_gs = 1.0;
    as[0] = a_len; as[1] = 0.0; as[2] = 0.0;
    bs[0] = b_len * cos_gs; bs[1] = b_len * sin_gs; bs[2] = 0.0;
    cs[0] = c_len * cos_bs;
    cs[1] = c_len * (cos_as - cos_bs * cos_gs) / sin_gs;
    cs[2] = c_len * V / (a * b * c * sin_gs);
    cell[0] = a; cell[1] = b; cell[2] = c; cell[3] = al; cell[4] = be; cell[5] = ga;
    V_cell_out[0] = V;
    (void)log;
    return 0;
}

/* -mat: the A matrix's columns are the reciprocal axes times the wavelength */
static int matrix_to_reciprocal(const nbcl_config *c, const nbcl_model_loaders *ld, double as[3],
                                double bs[3], double cs[3], nbcl_log *log, nbcl_err *err)
{
    double m[9];
    if (!ld || !ld->matrix)
        return nbcl_err_code(err, NBCL_E_INVALID, "-mat %s: no reader for matrix files here", c->matfile);
    if (ld->matrix(ld->user, c, m, log, err)) return -1;
    if (nbcl_matrix_reciprocal(m, c->lambda0, as, bs, cs))
        return nbcl_err_code(err, NBCL_E_INVALID, "-mat %s: the matrix has a zero column", c->matfile);
    return 0;
}

int nbcl_matrix_reciprocal(const double m[9], double lambda0, double as[3], double bs[3],
                           double cs[3])
{
    double *cols[3] = {as, bs, cs};
    for (int row = 0; row < 3; ++row)
        for (int col = 0; col < 3; ++col) cols[col][row] = m[3 * row + col];
    v3_scale(as, 1e-10 / lambda0, as);
    v3_scale(bs, 1e-10 / lambda0, bs);
    v3_scale(cs, 1e-10 / lambda0, cs);
    return v3_norm(as) == 0.0 || v3_norm(bs) == 0.0 || v3_norm(cs) == 0.0 ? -1 : 0;
}

static double clamp_angle(double s, double c)
{
    if (s > 1.0) s = 1.0;
    if (s < -1.0) s = -1.0;
    if (c * c > 1.0) c = 1.0;
    return atan2(s, c);
}

static void print_vectors(nbcl_log *log, const char *title, const char *n1, const char *n2,
                          const char *n3, const double x[3], const double y[3], const double z[3])
{
    nbcl_logf(log, "%s\n", title);
    nbcl_logf(log, "     %-10s  %-10s  %-10s\n", n1, n2, n3);
    nbcl_logf(log, "X: %11.8f %11.8f %11.8f\n", x[0], y[0], z[0]);
    nbcl_logf(log, "Y: %11.8f %11.8f %11.8f\n", x[1], y[1], z[1]);
    nbcl_logf(log, "Z: %11.8f %11.8f %11.8f\n", x[2], y[2], z[2]);
}

int nbcl_crystal_orient(nbcl_sim *s, const double misset[3], const double *umat, nbcl_log *log,
                        nbcl_err *err)
{
    double as[3], bs[3], cs[3];
    v3_copy(s->base_star, as);
    v3_copy(s->base_star + 3, bs);
    v3_copy(s->base_star + 6, cs);
    int apply_misset = misset != NULL;
    if (apply_misset) {
        nbcl_rotate_xyz(as, as, misset[0], misset[1], misset[2]);
        nbcl_rotate_xyz(bs, bs, misset[0], misset[1], misset[2]);
        nbcl_rotate_xyz(cs, cs, misset[0], misset[1], misset[2]);
    }
    for (int k = 0; k < 3; ++k) s->misset[k] = apply_misset ? misset[k] : 0.0;
    if (umat) {
        nbcl_rotate_umat(as, as, umat);
        nbcl_rotate_umat(bs, bs, umat);
        nbcl_rotate_umat(cs, cs, umat);
    }

    /* real space from reciprocal space: a = (b* x c*) V */
    double axb[3], bxc[3], cxa[3];
    v3_cross(as, bs, axb);
    v3_cross(bs, cs, bxc);
    v3_cross(cs, as, cxa);
    double V_star = v3_dot(as, bxc), V_cell = s->base_V;
    if (s->base_user_cell) {
        v3_rescale(bxc, s->base_cell[0] / V_cell, bxc);
        v3_rescale(cxa, s->base_cell[1] / V_cell, cxa);
        v3_rescale(axb, s->base_cell[2] / V_cell, axb);
        V_star = 1.0 / V_cell;
    }
    if (!(fabs(V_star) > 0.0) || !isfinite(V_star))
        return nbcl_err_code(err, NBCL_E_INVALID, "%s: the reciprocal vectors are coplanar (zero cell volume)",
                             s->base_user_cell ? "-cell" : "-mat");
    V_cell = 1.0 / V_star;
    double a[3], b[3], cc[3];
    v3_scale(bxc, V_cell, a);
    v3_scale(cxa, V_cell, b);
    v3_scale(axb, V_cell, cc);
    v3_cross(a, b, axb);
    v3_cross(b, cc, bxc);
    v3_cross(cc, a, cxa);
    v3_scale(bxc, V_star, as);
    v3_scale(cxa, V_star, bs);
    v3_scale(axb, V_star, cs);

    double la = v3_norm(a), lb = v3_norm(b), lc = v3_norm(cc);
    double las = v3_norm(as), lbs = v3_norm(bs), lcs = v3_norm(cs);
    s->cell[0] = la; s->cell[1] = lb; s->cell[2] = lc;
    s->cell[3] = clamp_angle(las * V_cell / lb / lc, v3_dot(b, cc) / lb / lc);
    s->cell[4] = clamp_angle(lbs * V_cell / la / lc, v3_dot(a, cc) / la / lc);
    s->cell[5] = clamp_angle(lcs * V_cell / la / lb, v3_dot(a, b) / la / lb);
    s->recip_cell[0] = las; s->recip_cell[1] = lbs; s->recip_cell[2] = lcs;
    s->recip_cell[3] = clamp_angle(la * V_star / lbs / lcs, v3_dot(bs, cs) / lbs / lcs);
    s->recip_cell[4] = clamp_angle(lb * V_star / las / lcs, v3_dot(as, cs) / las / lcs);
    s->recip_cell[5] = clamp_angle(lc * V_star / las / lbs, v3_dot(as, bs) / las / lbs);
    s->V_cell = V_cell;
    if (log) {
        nbcl_logf(log, "Unit Cell: %g %g %g %g %g %g\n", la, lb, lc, s->cell[3] * RTD,
                s->cell[4] * RTD, s->cell[5] * RTD);
        nbcl_logf(log, "Recp Cell: %g %g %g %g %g %g\n", las, lbs, lcs, s->recip_cell[3] * RTD,
                s->recip_cell[4] * RTD, s->recip_cell[5] * RTD);
        nbcl_logf(log, "volume = %g A^3\n", V_cell);
        print_vectors(log, "real-space cell vectors (Angstrom):", "a", "b", "c", a, b, cc);
        print_vectors(log, "reciprocal-space cell vectors (Angstrom^-1):", "a_star", "b_star",
                      "c_star", as, bs, cs);
    }
    v3_copy(as, s->a_star);
    v3_copy(bs, s->b_star);
    v3_copy(cs, s->c_star);
    v3_scale(a, 1e-10, s->a0);
    v3_scale(b, 1e-10, s->b0);
    v3_scale(cc, 1e-10, s->c0);
    return 0;
}

int nbcl_crystal_resolve(const nbcl_config *c, const nbcl_model_loaders *ld, nbcl_sim *s,
                         const double size[3], nbcl_rng *rng, nbcl_log *log, nbcl_err *err)
{
    double as[3] = {0}, bs[3] = {0}, cs[3] = {0}, cell[6] = {0}, V_cell = 0;
    if (c->user_cell && cell_to_reciprocal(c->cell, cell, &V_cell, as, bs, cs, log, err)) return -1;
    if (c->matfile && matrix_to_reciprocal(c, ld, as, bs, cs, log, err)) return -1;
    if (!c->user_cell && !c->matfile)
        return nbcl_err_code(err, NBCL_E_INVALID, "no unit cell: give -cell a b c alpha beta gamma or -mat FILE");
    v3_copy(as, s->base_star);
    v3_copy(bs, s->base_star + 3);
    v3_copy(cs, s->base_star + 6);
    for (int k = 0; k < 6; ++k) s->base_cell[k] = cell[k];
    s->base_V = V_cell;
    s->base_user_cell = c->user_cell;

    double misset[3] = {c->misset[0], c->misset[1], c->misset[2]};
    s->misset_given = c->misset_mode != 0;
    if (c->misset_mode == -1) {
        long seed = c->misset_seed;
        nbcl_random_misset(rng, &seed, misset);
        nbcl_logf(log, "random orientation misset angles: %f %f %f deg\n",
                  misset[0] * RTD, misset[1] * RTD, misset[2] * RTD);
    }
    if (nbcl_crystal_orient(s, s->misset_given ? misset : NULL, NULL, log, err)) {
        if (c->matfile)
            nbcl_err_code(err, NBCL_E_INVALID, "%s: the reciprocal vectors are coplanar (zero cell volume)",
                          c->matfile);
        return -1;
    }

    /* crystal size in whole cells */
    s->Na = c->Na; s->Nb = c->Nb; s->Nc = c->Nc;
    if (size[0] > 0) s->Na = ceil(size[0] / v3_norm(s->a0));
    if (size[1] > 0) s->Nb = ceil(size[1] / v3_norm(s->b0));
    if (size[2] > 0) s->Nc = ceil(size[2] / v3_norm(s->c0));
    if (s->Na <= 1.0) s->Na = 1.0;
    if (s->Nb <= 1.0) s->Nb = 1.0;
    if (s->Nc <= 1.0) s->Nc = 1.0;
    s->xtalsize[0] = v3_norm(s->a0) * s->Na;
    s->xtalsize[1] = v3_norm(s->b0) * s->Nb;
    s->xtalsize[2] = v3_norm(s->c0) * s->Nc;
    if (log)
        nbcl_logf(log, "crystal is %g x %g x %g microns\n", s->xtalsize[0] * 1e6,
                s->xtalsize[1] * 1e6, s->xtalsize[2] * 1e6);
    return 0;
}
