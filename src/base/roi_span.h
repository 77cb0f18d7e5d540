/* roi_span.h: a region of interest clamped to the detector. The ROI's bounds are inclusive
 * and may reach past the detector's edges (nanoBragg's -roi is taken as given); what is
 * read, written or reported is the part on the detector, so a small ROI on a huge
 * detector costs little. One definition for the statistics, the finite check, the SMV
 * writer and the library's nbcl_experiment_roi. */
#ifndef NBCL_BASE_ROI_SPAN_H
#define NBCL_BASE_ROI_SPAN_H

/* columns x0 .. x1 and rows y0 .. y1, inclusive; empty when x1 < x0 or y1 < y0 */
typedef struct nbcl_roi_span {
    int x0, x1, y0, y1;
} nbcl_roi_span;

/* the part of the ROI [xmin, xmax] x [ymin, ymax] on a width x height detector */
static inline nbcl_roi_span nbcl_roi_on_detector(int xmin, int xmax, int ymin, int ymax, int width,
                                                 int height)
{
    nbcl_roi_span s = {xmin > 0 ? xmin : 0, xmax < width - 1 ? xmax : width - 1,
                       ymin > 0 ? ymin : 0, ymax < height - 1 ? ymax : height - 1};
    return s;
}

#endif
