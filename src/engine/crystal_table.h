/* crystal_table.h: the crystal-orientation records the lattice stage reads (abi.h's
 * NBCL_CR_* fields), built from the orientations of a run: each orientation with the anchor
 * of its group, so that a single-precision run computes the wide Miller indices once per
 * group instead of once per orientation. */
#ifndef NBCL_ENGINE_CRYSTAL_TABLE_H
#define NBCL_ENGINE_CRYSTAL_TABLE_H

/* n records of NBCL_CRYSTAL_REALS from n orientations of 9 reals (a, b, c), malloc'd;
 * NULL when out of memory. */
double *nbcl_crystal_table(const double *axes, int n);

/* The most orientations one group holds, and the largest distance of a member's axis
 * from the anchor's, relative to the axis's length. */
#define NBCL_ANCHOR_GROUP_MAX 256
#define NBCL_ANCHOR_REACH (1.0 / 64.0)

#endif
