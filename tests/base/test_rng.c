/* test_rng.c: the random deviates must reproduce nanoBragg.c's exact
 * sequences. Every expected number below came from the reference's own generator functions
 * (ran1, gammln, gaussdev, poidev) compiled with gcc -O2 and printed
 * with %.9g / %.17g. */
#include <criterion/criterion.h>

#include "base/rng.h"

static void expect_ran1(long seed, const float *want, int n, long seed_after)
{
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    for (int i = 0; i < n; i++) {
        float got = nbcl_ran1(&rng, &seed);
        cr_expect_eq(got, want[i], "ran1 draw %d: got %.9g want %.9g", i, got, want[i]);
    }
    cr_expect_eq(seed, seed_after, "seed after: %ld", seed);
}

Test(rng, ran1_matches_reference)
{
    const float s1[] = {0.415999353f, 0.091964893f, 0.75641048f, 0.52970022f,
                        0.930436492f, 0.383502066f, 0.653918982f, 0.0668422356f};
    expect_ran1(-1, s1, 8, 1899894091L);
    const float s2[] = {0.765989304f, 0.023453664f, 0.589726627f, 0.535101593f, 0.982231438f};
    expect_ran1(-12345678, s2, 5, 1148745444L);
    /* seed 0 is treated as 1 */
    expect_ran1(0, s1, 3, 1551901393L);
}

Test(rng, ran1_positive_seed_continues_shared_table)
{
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long a = -1;
    nbcl_ran1(&rng, &a);
    nbcl_ran1(&rng, &a);
    /* a second stream with a positive seed uses the table the first one left behind */
    long b = a;
    float x = nbcl_ran1(&rng, &b);
    cr_expect_eq(x, 0.75641048f);
}

Test(rng, gammln_matches_reference)
{
    cr_expect_eq(nbcl_gammln(1.0f), 0.0f);
    cr_expect_eq(nbcl_gammln(0.5f), 0.572364926f);
    cr_expect_eq(nbcl_gammln(13.0f), 19.987215f);
    cr_expect_eq(nbcl_gammln(1001.5f), 5915.58252f);
}

Test(rng, gaussdev_with_spare_matches_reference)
{
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -42;
    const float want[] = {2.48605609f, -1.78615165f, -0.787008882f,
                          0.598397791f, 0.0130146388f, 0.210937709f};
    for (int i = 0; i < 6; i++) cr_expect_eq(nbcl_gaussdev(&rng, &seed), want[i], "draw %d", i);
}

/* Same call sequence as the reference run: one generator state across all means. */
Test(rng, poidev_all_regimes_match_reference)
{
    static const float means[8] = {0.5f, 3.7f, 11.99f, 12.0f, 50.5f, 1000.0f, 123456.7f, 2.5e6f};
    static const float want[8][6] = {
        {0, 2, 1, 0, 0, 1},
        {6, 4, 3, 5, 2, 4},
        {15, 13, 14, 14, 15, 14},
        {14, 10, 8, 15, 11, 13},
        {56, 41, 47, 43, 57, 48},
        {1026, 959, 987, 969, 1030, 992},
        {123756, 123324, 123009, 123316, 123121, 123791},
        {2500824.5f, 2498505, 2501080.25f, 2501940.5f, 2500119.25f, 2496680.5f},
    };
    static const long seed_after[8] = {390964491L, 791874665L, 934055122L, 1248675451L,
                                       650304515L, 650304515L, 1787857450L, 909535867L};
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    for (int m = 0; m < 8; m++) {
        long seed = -5;
        for (int i = 0; i < 6; i++) {
            float got = nbcl_poidev(&rng, means[m], &seed);
            cr_expect_eq(got, want[m][i], "mean %g draw %d: got %.9g want %.9g", means[m], i,
                         got, want[m][i]);
        }
        cr_expect_eq(seed, seed_after[m], "mean %g: seed after %ld", means[m], seed);
    }
}
