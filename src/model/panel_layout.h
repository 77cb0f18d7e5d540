/* panel_layout.h: a picture of a detector of several panels as the sample sees it, for the
 * PNG preview (model/panel_layout.c). */
#ifndef NBCL_MODEL_PANEL_LAYOUT_H
#define NBCL_MODEL_PANEL_LAYOUT_H

#include "base/error.h"
#include "model/sim.h"

/* The stacked image (npanels panels of fpixels x spixels/npanels) projected from the
 * sample onto the plane normal to the beam at panel 0's distance: a canvas of *width x
 * *height cells (each at most max_side, one pixel per cell at panel 0's scale, coarser
 * when the detector would not fit), every cell holding the pixel seen through it. *mask
 * is 1 where a panel is (and the image mask, if any, is set), 0 in the gaps. The caller
 * frees *canvas and *mask. */
int nbcl_panel_layout(const nbcl_sim *sim, const float *image, const unsigned short *image_mask,
                      int max_side, float **canvas, unsigned short **mask, int *width, int *height,
                      nbcl_err *err);

#endif
