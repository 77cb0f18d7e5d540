/* test_rotation.c: mosaic domain matrices and random missets must equal nanoBragg.c's for
 * the same seeds. Expected values came from the reference's mosaic_rotation_umat,
 * umat2misset and ran1 compiled with gcc -O2 and printed with %.17g (exact round trip). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "base/rng.h"

#define RTD (180.0 * M_1_PI)

static void expect_umat(const double *got, const double *want, const char *what)
{
    for (int i = 0; i < 9; i++)
        cr_expect_eq(got[i], want[i], "%s [%d]: got %.17g want %.17g", what, i, got[i], want[i]);
}

/* sample_mosaic: -mosaic 0.5 with the default mosaic seed (-12345678) */
Test(rotation, mosaic_default_seed_matches_reference)
{
    static const double want[4][9] = {
        {0.99996612375044724, 0.0082266013279829672, -0.00027273081166300314,
         -0.0082272825073718553, 0.99996277932151434, -0.002598421470118665,
         0.00025134448292042335, 0.0026005772787805153, 0.99999658690605941},
        {0.99996592089784464, -0.0079751680914580177, 0.0021339486494309119,
         0.0079761872189555976, 0.99996807949662869, -0.0004694946988297568,
         -0.0021301362335746331, 0.00048649947281547405, 0.99999761291609557},
        {0.9999914359922164, 0.0028416441030047652, 0.0030088205358383916,
         -0.0028584857919053165, 0.99998018943075295, 0.0056080125724695118,
         -0.0029928249535347059, -0.0056165652161582636, 0.99997974839192127},
        {0.99997328100466476, -0.00099578238670063046, 0.0072419399475676565,
         0.0010300984016003182, 0.99998825298719207, -0.0047363260979907647,
         -0.0072371385263002878, 0.0047436594588803225, 0.99996256005957007},
    };
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -12345678;
    double u[9];
    for (int d = 0; d < 4; d++) {
        nbcl_mosaic_rotation_umat(&rng, (float)(0.5 / RTD), u, &seed);
        expect_umat(u, want[d], "domain");
    }
}

/* sample_mosaic_seed: -mosaic 1.0 -mosaic_dom 7 -mosaic_seed 4242 (domains 1 and 6) */
Test(rotation, mosaic_seed_4242_matches_reference)
{
    static const double want1[9] = {
        0.99994534242315758, -0.00057798683394509988, 0.010439257514497936,
        0.00063874113207030789, 0.99998287481609627, -0.0058173949755692504,
        -0.010435716362589444, 0.0058237449940191349, 0.99992858735923951};
    static const double want6[9] = {
        0.99986811061542258, 0.0059582230037950211, 0.015108307416186469,
        -0.006033531285452109, 0.99996957676925735, 0.0049438887669339474,
        -0.015078390980884461, -0.0050343931659528607, 0.99987364052208028};
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -4242;
    double u[7][9];
    for (int d = 0; d < 7; d++) nbcl_mosaic_rotation_umat(&rng, (float)(1.0 / RTD), u[d], &seed);
    expect_umat(u[1], want1, "domain 1");
    expect_umat(u[6], want6, "domain 6");
}

Test(rotation, full_cap_seed_minus_one)
{
    static const double want[9] = {
        0.9327774194498154, -0.31764665564308092, -0.17037279102987399,
        0.29629849875686243, 0.94486523544206824, -0.13941623466237568,
        0.20526442799221875, 0.079563113386612414, 0.9754671832456776};
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -1;
    double u[9];
    nbcl_mosaic_rotation_umat(&rng, 90.0f, u, &seed);
    expect_umat(u, want, "cap 90");
}

/* -misset random -misset_seed 777 (seed stored negated): the reference prints
 * "random orientation misset angles: 2.946208 1.690512 5.060313 deg". */
Test(rotation, random_misset_seed_777)
{
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -777;
    double m[3];
    cr_assert_eq(nbcl_random_misset(&rng, &seed, m), 0);
    cr_expect_eq(m[0], 0.051421023130003796, "rotx %.17g", m[0]);
    cr_expect_eq(m[1], 0.029504999879754152, "roty %.17g", m[1]);
    cr_expect_eq(m[2], 0.088319121605049608, "rotz %.17g", m[2]);
    char text[128];
    snprintf(text, sizeof text, "%f %f %f", m[0] * RTD, m[1] * RTD, m[2] * RTD);
    cr_expect_str_eq(text, "2.946208 1.690512 5.060313");
    cr_expect_eq(seed, 1089056394L);
}

/* The shuffle table is shared: a positive mosaic seed after the misset stream continues
 * from the misset's table (reference: misset seed -777, then one domain of 0.1 with seed 5). */
Test(rotation, shared_table_across_streams)
{
    static const double want[9] = {
        0.99900418051146933, -0.042147924519847862, -0.014635565560535829,
        0.041582749204424341, 0.99845035825834905, -0.036983199731451602,
        0.016171650788014254, 0.03633778408824212, 0.99920870850806076};
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long misset_seed = -777, mosaic_seed = 5;
    double m[3], u[9];
    nbcl_random_misset(&rng, &misset_seed, m);
    nbcl_mosaic_rotation_umat(&rng, 0.1f, u, &mosaic_seed);
    expect_umat(u, want, "continued stream");
    cr_expect_eq(mosaic_seed, 1670799424L);
}

Test(rotation, umat2misset_degenerate_rows)
{
    double m[3];
    const double zero_x[9] = {0, 0, 0, 0, 0.6, 0.8, 0, -0.8, 0.6};
    nbcl_umat2misset(zero_x, m);
    cr_expect_eq(m[0], -0.9272952180016123);
    cr_expect_eq(m[1], 0.0);
    cr_expect_eq(m[2], 0.0);

    const double gimbal[9] = {0, 0, -1, 0, 1, 0, 1, 0, 0};
    nbcl_umat2misset(gimbal, m);
    cr_expect_eq(m[0], 3.1415926535897931);
    cr_expect_eq(m[1], 1.5707963267948966);
    cr_expect_eq(m[2], 3.1415926535897931);

    const double only_x[9] = {2, 0, 0, 0, 0, 0, 0, 0, 0};
    nbcl_umat2misset(only_x, m);
    cr_expect_eq(m[0], 0.0);
    cr_expect_eq(m[1], 0.0);
    cr_expect_eq(m[2], 0.0);
}
