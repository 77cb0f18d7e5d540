/* abi.h: the one definition of what the host hands the kernels and gets back.
 * This file is read by the C compiler (src/engine) and, embedded in libnbcl, by the OpenCL C
 * compiler in front of the kernel sources (kernels/), so a table layout cannot differ
 * between the two sides. Only macros and enums: valid C99 and OpenCL C 1.2.
 *
 *   P  (parameter table, __constant real): KP_* scalars; in single precision KP_COUNT high
 *      floats then KP_COUNT low floats (float pairs, see kernels/wide.cl), and where the
 *      kernels' wide values are doubles (NBCL_WIDE_DOUBLE) then KP_COUNT doubles.
 *   G  (integer table, __constant int): KI_* (HKL grid extents, ROI, loop counts).
 *   amorphous table (-stol, NBCL_HAVE_STOL): KI_BG_ROWS values of sin(theta)/lambda (1/m,
 *      increasing), then as many of F; KP_BG_WEIGHT turns its F^2 sums into the lattice
 *      sum's units (molecules x mosaic domains x phi steps).
 *   sources (real4 per source): NBCL_SRC_* fields; a double run keeps lambda in the fourth,
 *      a single run 1/lambda, and a single run's table is nsources high real4s then nsources
 *      low real4s.
 *   crystal: NBCL_CRYSTAL_REALS reals per orientation (NBCL_CR_*), phi steps outermost;
 *      in single precision each record's high floats then its low floats, and where the
 *      wide values are doubles then the record in doubles (NBCL_WIDE_PARTS floats' room a
 *      real).
 *   lone sources (a single run with one orientation): per source, a.i, b.i, c.i of the
 *      image's orientation with the source's incident direction i, and 1/lambda, in the
 *      NBCL_SRC_* slots (X: a.i, Y: b.i, Z: c.i, LAMBDA: 1/lambda), nsources high real4s
 *      then nsources low real4s, or nsources double4s where the kernels' wide values are
 *      doubles (NBCL_WIDE_DOUBLE; the same bytes); written with each image's orientation.
 *   stage-1 planes (lattice stage -> scale stage): S1_* planes of `stride` reals;
 *      S1_BASIC of them normally, S1_COUNT with -printout.
 *   output planes (scale stage -> host): OUT_* float planes of npix; OUT_OMEGA_SUM's plane
 *      begins with one float a work-item (the solid angles of its NBCL_VW pixels summed,
 *      the rest of the plane unused); with -printout each
 *      printout value PO_v follows as two planes (value, remainder): OUT_BASIC + 2*PO_v and
 *      OUT_BASIC + 2*PO_v + 1, taken from stage-1 plane NBCL_PRINTOUT_PLANE(PO_v). */
#ifndef NBCL_ENGINE_ABI_H
#define NBCL_ENGINE_ABI_H

/* ---- P: scalar parameters ---- */
#define NBCL_KPARAMS(X) \
    X(FDET_X) X(FDET_Y) X(FDET_Z) X(SDET_X) X(SDET_Y) X(SDET_Z) X(ODET_X) X(ODET_Y) X(ODET_Z) \
    X(PIX0_X) X(PIX0_Y) X(PIX0_Z) X(BEAM_X) X(BEAM_Y) X(BEAM_Z) X(POLAR_X) X(POLAR_Y) X(POLAR_Z) \
    X(ASTAR_X) X(ASTAR_Y) X(ASTAR_Z) X(BSTAR_X) X(BSTAR_Y) X(BSTAR_Z) X(CSTAR_X) X(CSTAR_Y) X(CSTAR_Z) \
    X(NA) X(NB) X(NC) X(SUBPIXEL) X(PIXEL) X(DISTANCE) X(CLOSE_DISTANCE) X(THICKSTEP) X(MU) \
    X(KAHN) X(DEFAULT_F) X(FUDGE) X(DMIN) X(I_BG) X(R_E_SQR) X(FLUENCE) X(STEPS) X(BG_WEIGHT)

#define NBCL_ABI_KP(name) KP_##name,
enum nbcl_kparam { NBCL_KPARAMS(NBCL_ABI_KP) KP_COUNT };
#undef NBCL_ABI_KP

/* ---- G: integers ---- */
#define NBCL_KINTS(X) \
    X(H_MIN) X(K_MIN) X(L_MIN) X(H_MAX) X(K_MAX) X(L_MAX) X(H_RANGE) X(K_RANGE) X(L_RANGE) \
    X(ROI_XMIN) X(ROI_XMAX) X(ROI_YMIN) X(ROI_YMAX) \
    X(THICKSTEPS) X(OVERSAMPLE) X(NSOURCES) X(NCRYSTAL) X(BG_ROWS)

#define NBCL_ABI_KI(name) KI_##name,
enum nbcl_kint { NBCL_KINTS(NBCL_ABI_KI) KI_COUNT };
#undef NBCL_ABI_KI

/* ---- sources: one real4 each ---- */
enum nbcl_source_field { NBCL_SRC_X, NBCL_SRC_Y, NBCL_SRC_Z, NBCL_SRC_LAMBDA, NBCL_SRC_FIELDS };

/* ---- crystal orientations: one record each (src/engine/crystal_table.c) ----
 * AXES: a, b, c of the orientation (9 reals); ANCHOR: a, b, c of its group's anchor, an
 * orientation near every member of a run of neighbouring orientations; DELTA: AXES - ANCHOR;
 * GROUP: the group's number, negative for an orientation alone in its group; REACH: the
 * length of the longest row of DELTA. A single-precision run computes h, k, l of the anchor
 * in wide arithmetic once per group and those of each member as anchor + DELTA.S in plain
 * floats, which |S| REACH bounds. */
enum nbcl_crystal_field {
    NBCL_CR_AXES = 0, NBCL_CR_ANCHOR = 9, NBCL_CR_DELTA = 18, NBCL_CR_GROUP = 27, NBCL_CR_REACH = 28,
    NBCL_CRYSTAL_REALS = 29
};

/* ---- stage-1 planes ---- */
#define NBCL_STAGE1(X) \
    X(I) X(POLAR) X(OMEGA) X(CAPTURE) X(OMEGA_SUM) \
    X(STOL) X(POS_X) X(POS_Y) X(POS_Z) X(H) X(K) X(L) X(F_CELL) X(F_LATT)

#define NBCL_ABI_S1(name) S1_##name,
enum nbcl_stage1_plane { NBCL_STAGE1(NBCL_ABI_S1) S1_COUNT };
#undef NBCL_ABI_S1
#define S1_BASIC (S1_OMEGA_SUM + 1)      /* the planes every run needs */
/* The stage-1 plane of the solid angles summed over a pixel's sub-pixels and layers: with
 * one of each the sum is the solid angle itself, bit for bit, and the lattice stage does
 * not store it again (a plane stored and loaded costs a tenth of bench_4096's kernels on a
 * CPU). The lattice stage decides from G, the host gives the scaling stage the plane. */
#define NBCL_OMEGA_SUM_PLANE(thicksteps, oversample) \
    ((thicksteps) == 1 && (oversample) == 1 ? S1_OMEGA : S1_OMEGA_SUM)

/* ---- output planes ---- */
enum nbcl_out_plane { OUT_IMAGE, OUT_OMEGA_SUM, OUT_BASIC };

/* ---- -printout values: name and the stage-1 plane it comes from ---- */
#define NBCL_PO_LIST(X) \
    X(I, S1_I) X(POLAR, S1_POLAR) X(OMEGA, S1_OMEGA) X(CAPTURE, S1_CAPTURE) X(STOL, S1_STOL) \
    X(POS_X, S1_POS_X) X(POS_Y, S1_POS_Y) X(POS_Z, S1_POS_Z) X(H, S1_H) X(K, S1_K) X(L, S1_L) \
    X(F_CELL, S1_F_CELL) X(F_LATT, S1_F_LATT)

#define NBCL_ABI_PO(name, plane) PO_##name,
enum nbcl_printout_value { NBCL_PO_LIST(NBCL_ABI_PO) PO_COUNT };
#undef NBCL_ABI_PO
#define NBCL_ABI_PO_PLANE(name, plane) plane,
/* NBCL_PRINTOUT_PLANES: an initializer list, printout value -> stage-1 plane */
#define NBCL_PRINTOUT_PLANES {NBCL_PO_LIST(NBCL_ABI_PO_PLANE)}
#define OUT_PLANES_PRINTOUT (OUT_BASIC + 2 * PO_COUNT)

#endif
