/* test_crystal_table.c: the orientation records of src/engine/crystal_table.c. Every record
 * keeps its own axes; consecutive orientations close together share a group whose anchor
 * is one of them (the one nearest to all the others), and each member's correction is its
 * axes minus the anchor's, and its reach the longest row of that correction; orientations
 * far apart, or more than a group may hold, start new groups, an orientation alone in its
 * group is numbered below zero, and the order of the orientations is never changed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec3.h"
#include "engine/abi.h"
#include "engine/crystal_table.h"

/* n orientations of a 100 A cubic cell turned by angle_deg[i] about z */
static double *turned(const double *angle_deg, int n)
{
    double *t = malloc(sizeof(double) * 9 * (size_t)n);
    const double axes[3][3] = {{1e-8, 0, 0}, {0, 1e-8, 0}, {0, 0, 1e-8}}, z[3] = {0, 0, 1};
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 3; ++r)
            nbcl_rotate_axis(axes[r], t + 9 * i + 3 * r, z, angle_deg[i] * M_PI / 180.0);
    return t;
}

static const double *field(const double *t, int o, int f)
{
    return t + NBCL_CRYSTAL_REALS * (size_t)o + f;
}

static void expect_records_consistent(const double *axes, const double *t, int n)
{
    for (int o = 0; o < n; ++o) {
        const double *own = field(t, o, NBCL_CR_AXES), *anchor = field(t, o, NBCL_CR_ANCHOR);
        const double *delta = field(t, o, NBCL_CR_DELTA);
        double longest = 0.0;
        for (int k = 0; k < 9; ++k) {
            cr_expect_eq(own[k], axes[9 * o + k], "orientation %d keeps its axes", o);
            cr_expect_eq(delta[k], own[k] - anchor[k], "orientation %d: correction = axes - anchor", o);
        }
        for (int r = 0; r < 3; ++r) {
            double row = sqrt(delta[3 * r] * delta[3 * r] + delta[3 * r + 1] * delta[3 * r + 1] +
                              delta[3 * r + 2] * delta[3 * r + 2]);
            if (row > longest) longest = row;
        }
        cr_expect_float_eq(*field(t, o, NBCL_CR_REACH), longest, 1e-12 * longest + 1e-300,
                           "orientation %d: reach %g is its longest correction row %g", o,
                           *field(t, o, NBCL_CR_REACH), longest);
        /* the anchor is a member of the group: some record of the group has its axes */
        int found = 0;
        for (int m = 0; m < n; ++m)
            if (*field(t, m, NBCL_CR_GROUP) == *field(t, o, NBCL_CR_GROUP) &&
                memcmp(field(t, m, NBCL_CR_AXES), anchor, 9 * sizeof(double)) == 0)
                found = 1;
        cr_expect(found, "orientation %d: its anchor is one of its group", o);
    }
}

Test(crystal_table, a_mosaic_spread_is_one_group_anchored_at_its_middle)
{
    double angles[7] = {0.3, -0.2, 0.0, 0.25, -0.3, 0.1, -0.05};
    double *axes = turned(angles, 7);
    double *t = nbcl_crystal_table(axes, 7);
    cr_assert_not_null(t);
    expect_records_consistent(axes, t, 7);
    for (int o = 1; o < 7; ++o)
        cr_expect_eq(*field(t, o, NBCL_CR_GROUP), *field(t, 0, NBCL_CR_GROUP), "one group");
    cr_expect_geq(*field(t, 0, NBCL_CR_GROUP), 0.0, "a group of several is numbered from zero");
    /* 0.3 degrees from the anchor: a row of 1e-8 turned by 0.3 deg moves 1e-8 * 2 sin(0.15 deg) */
    cr_expect_float_eq(*field(t, 0, NBCL_CR_REACH), 2e-8 * sin(0.15 * M_PI / 180.0), 1e-20);
    cr_expect_eq(*field(t, 2, NBCL_CR_REACH), 0.0, "the anchor needs no correction");
    /* the medoid of -0.3 ... 0.3 degrees is the unturned crystal (orientation 2) */
    cr_expect_eq(memcmp(field(t, 0, NBCL_CR_ANCHOR), axes + 9 * 2, 9 * sizeof(double)), 0,
                 "the anchor is the orientation nearest to all the others");
    free(t);
    free(axes);
}

Test(crystal_table, orientations_far_apart_each_anchor_themselves)
{
    double angles[4] = {0.0, 10.0, 20.0, 30.0};
    double *axes = turned(angles, 4);
    double *t = nbcl_crystal_table(axes, 4);
    cr_assert_not_null(t);
    expect_records_consistent(axes, t, 4);
    for (int o = 0; o < 4; ++o) {
        for (int k = 0; k < 9; ++k) cr_expect_eq(field(t, o, NBCL_CR_DELTA)[k], 0.0);
        cr_expect_lt(*field(t, o, NBCL_CR_GROUP), 0.0, "orientation %d is alone: numbered below zero", o);
        if (o > 0) cr_expect_neq(*field(t, o, NBCL_CR_GROUP), *field(t, o - 1, NBCL_CR_GROUP),
                                 "orientation %d starts a new group", o);
    }
    free(t);
    free(axes);
}

Test(crystal_table, groups_are_runs_in_the_given_order)
{
    /* near 0, then near 5 degrees, then near 0 again: three groups, order kept */
    double angles[9] = {0.0, 0.1, -0.1, 5.0, 5.1, 4.9, 0.05, -0.05, 0.0};
    double *axes = turned(angles, 9);
    double *t = nbcl_crystal_table(axes, 9);
    cr_assert_not_null(t);
    expect_records_consistent(axes, t, 9);
    int changes = 0;
    for (int o = 1; o < 9; ++o)
        if (*field(t, o, NBCL_CR_GROUP) != *field(t, o - 1, NBCL_CR_GROUP)) ++changes;
    cr_expect_eq(changes, 2, "three runs give three groups (%d changes)", changes);
    cr_expect_neq(*field(t, 3, NBCL_CR_GROUP), *field(t, 2, NBCL_CR_GROUP));
    cr_expect_neq(*field(t, 6, NBCL_CR_GROUP), *field(t, 5, NBCL_CR_GROUP));
    free(t);
    free(axes);
}

Test(crystal_table, a_group_holds_at_most_its_limit)
{
    int n = NBCL_ANCHOR_GROUP_MAX + 3;
    double *angles = calloc((size_t)n, sizeof *angles);   /* all the same orientation */
    double *axes = turned(angles, n);
    double *t = nbcl_crystal_table(axes, n);
    cr_assert_not_null(t);
    expect_records_consistent(axes, t, n);
    cr_expect_eq(*field(t, NBCL_ANCHOR_GROUP_MAX - 1, NBCL_CR_GROUP), *field(t, 0, NBCL_CR_GROUP));
    cr_expect_neq(*field(t, NBCL_ANCHOR_GROUP_MAX, NBCL_CR_GROUP), *field(t, 0, NBCL_CR_GROUP),
                  "orientation %d starts a second group", NBCL_ANCHOR_GROUP_MAX);
    free(t);
    free(axes);
    free(angles);
}
