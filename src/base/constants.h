/* constants.h: the physical and numerical constants libnbcl uses, defined once, with the
 * reference's values so that results agree with nanoBragg.c to the last bit. */
#ifndef NBCL_BASE_CONSTANTS_H
#define NBCL_BASE_CONSTANTS_H

#include <math.h>

#define RTD (180.0 * M_1_PI)                 /* degrees per radian */
#define AVOGADRO 6.02214179e23               /* 1/mol */
#define NBCL_R_E_SQR 7.94079248018965e-30    /* classical electron radius squared (m^2) */

#endif
