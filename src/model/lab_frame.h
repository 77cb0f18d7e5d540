/* lab_frame.h: the simulation's geometry in the laboratory frames other programs use.
 * nanoBragg's frame depends on the convention (MOSFLM: beam along +x, spindle +z); DIALS
 * (dxtbx) puts the beam along -z and, for a single-axis goniometer, the axis along +x;
 * NeXus (McStas) puts the beam along +z with y up. The rotation to DIALS's frame is fixed
 * by the beam and the spindle (for the MOSFLM convention it is nanoBragg's own "dials
 * origin" mapping: x' = z, y' = y, z' = -x), and McStas is DIALS's frame turned 180
 * degrees about y. */
#ifndef NBCL_MODEL_LAB_FRAME_H
#define NBCL_MODEL_LAB_FRAME_H

#include "model/sim.h"

/* R (row-major) taking nanoBragg vectors to DIALS's frame: beam -> (0,0,-1), the spindle's
 * part across the beam -> +x. */
void nbcl_dials_rotation(const nbcl_sim *sim, double R[9]);

/* The detector and goniometer in DIALS's frame: unit fast and slow axes, the outer corner of
 * pixel (0,0) in mm, the goniometer axis. */
typedef struct nbcl_lab_detector {
    double fast[3], slow[3], origin_mm[3], axis[3];
} nbcl_lab_detector;
void nbcl_dials_detector(const nbcl_sim *sim, nbcl_lab_detector *d);

/* The same in the McStas frame of NeXus. */
void nbcl_mcstas_detector(const nbcl_sim *sim, nbcl_lab_detector *d);

/* v in nanoBragg's frame to DIALS's (out may be v). */
void nbcl_to_dials(const double R[9], const double v[3], double out[3]);

#endif
