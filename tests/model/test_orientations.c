/* test_orientations.c: the crystal orientations uploaded to the kernels, one per phi step
 * and mosaic domain. Phi = 0 is the unrotated crystal (the reference reused the previous
 * pixel's rotated vectors there), later steps are rotations about the spindle, and the
 * mosaic rotations apply after phi. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "model/orientations.h"
#include "model/sim.h"

static void cubic(nbcl_sim *s, int phisteps, double phistep, int domains)
{
    memset(s, 0, sizeof *s);
    double a[3] = {1e-8, 0, 0}, b[3] = {0, 1e-8, 0}, c[3] = {0, 0, 1e-8};
    memcpy(s->a0, a, sizeof a);
    memcpy(s->b0, b, sizeof b);
    memcpy(s->c0, c, sizeof c);
    s->spindle[2] = 1.0;   /* phi about z */
    s->phi0 = 0.0;
    s->phistep = phistep;
    s->phisteps = phisteps;
    s->mosaic_domains = domains;
}

Test(orientations, phi_zero_is_the_unrotated_crystal)
{
    nbcl_sim s;
    cubic(&s, 3, M_PI / 2, 1);
    int n = 0;
    double *t = nbcl_crystal_orientations(&s, &n);
    cr_assert_not_null(t);
    cr_assert_eq(n, 3);
    /* step 0: a along x exactly */
    cr_expect_float_eq(t[0], 1e-8, 1e-20);
    cr_expect_float_eq(t[1], 0.0, 1e-20);
    /* step 1: 90 degrees about z takes a to y and b to -x */
    cr_expect_float_eq(t[9 + 0], 0.0, 1e-20);
    cr_expect_float_eq(t[9 + 1], 1e-8, 1e-20);
    cr_expect_float_eq(t[9 + 3], -1e-8, 1e-20);
    /* step 2: 180 degrees takes a to -x; c never moves */
    cr_expect_float_eq(t[18 + 0], -1e-8, 1e-20);
    cr_expect_float_eq(t[18 + 8], 1e-8, 1e-20);
    free(t);
}

Test(orientations, mosaic_after_phi)
{
    nbcl_sim s;
    cubic(&s, 2, M_PI / 2, 2);
    s.mosaic_spread = 0.1;
    double umats[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1,      /* domain 0: identity */
                        0, 0, 1, 0, 1, 0, -1, 0, 0};    /* domain 1: 90 degrees about y */
    s.mosaic_umats = umats;
    int n = 0;
    double *t = nbcl_crystal_orientations(&s, &n);
    cr_assert_eq(n, 4);
    /* phi step 1, domain 1: a -> y by phi, then the domain rotation leaves y alone */
    const double *o = t + 9 * 3;
    cr_expect_float_eq(o[0], 0.0, 1e-20);
    cr_expect_float_eq(o[1], 1e-8, 1e-20);
    /* phi step 0, domain 1: a = x -> -z by the domain rotation */
    o = t + 9 * 1;
    cr_expect_float_eq(o[2], -1e-8, 1e-20);
    free(t);
}
