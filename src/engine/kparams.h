/* kparams.h: the scalar parameters the kernels read from their P[] table.
 * One X-macro list serves both sides: the host fills P[KP_x] and passes "#define KP_x i"
 * lines to the kernel build as a prelude, so indices can never drift apart. */
#ifndef NBCL_KPARAMS_H
#define NBCL_KPARAMS_H

#define NBCL_KPARAMS(X) \
    X(FDET_X) X(FDET_Y) X(FDET_Z) X(SDET_X) X(SDET_Y) X(SDET_Z) X(ODET_X) X(ODET_Y) X(ODET_Z) \
    X(PIX0_X) X(PIX0_Y) X(PIX0_Z) X(BEAM_X) X(BEAM_Y) X(BEAM_Z) X(POLAR_X) X(POLAR_Y) X(POLAR_Z) \
    X(ASTAR_X) X(ASTAR_Y) X(ASTAR_Z) X(BSTAR_X) X(BSTAR_Y) X(BSTAR_Z) X(CSTAR_X) X(CSTAR_Y) X(CSTAR_Z) \
    X(NA) X(NB) X(NC) X(SUBPIXEL) X(PIXEL) X(DISTANCE) X(CLOSE_DISTANCE) X(THICKSTEP) X(MU) \
    X(KAHN) X(DEFAULT_F) X(FUDGE) X(DMIN) X(I_BG) X(R_E_SQR) X(FLUENCE) X(STEPS)

enum {
#define NBCL_KP_ENUM(name) KP_##name,
    NBCL_KPARAMS(NBCL_KP_ENUM)
#undef NBCL_KP_ENUM
    KP_COUNT
};

#endif
