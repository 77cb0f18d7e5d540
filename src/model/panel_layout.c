/* panel_layout.c: panels at their real positions in one picture (see panel_layout.h).
 * Every canvas cell is a direction from the sample; the cell shows the pixel that the ray in
 * that direction meets (the first panel in the file's order that it meets), so tilted
 * panels appear foreshortened and gaps stay empty. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec3.h"
#include "model/panel_layout.h"

typedef struct view {
    double b[3], e1[3], e2[3];   /* beam, and the picture's right and down directions */
    double dist;                 /* the picture plane's distance from the sample */
} view;

/* panel 0's fast and slow axes, made square to the beam, are the picture's axes */
static void make_view(const nbcl_sim *s, view *v)
{
    v3_unitize(s->beam, v->b);
    const double *f = s->panels[0].fdet;
    double along = v3_dot(f, v->b);
    for (int k = 0; k < 3; ++k) v->e1[k] = f[k] - along * v->b[k];
    if (v3_unitize(v->e1, v->e1) < 1e-9) v3_cross(s->panels[0].sdet, v->b, v->e1);
    v3_unitize(v->e1, v->e1);
    v3_cross(v->b, v->e1, v->e2);
    if (v3_dot(v->e2, s->panels[0].sdet) < 0.0) v3_scale(v->e2, -1.0, v->e2);
    v->dist = fabs(s->panels[0].distance) > 0.0 ? fabs(s->panels[0].distance) : s->panels[0].close_distance;
}

/* a point seen from the sample, in picture coordinates (m); 0 when behind the sample */
static int project(const view *v, const double p[3], double *u, double *w)
{
    double t = v3_dot(p, v->b);
    if (!(t > 0.0)) return 0;
    *u = v->dist * v3_dot(p, v->e1) / t;
    *w = v->dist * v3_dot(p, v->e2) / t;
    return 1;
}

static void corner(const nbcl_panel *p, double f, double s, double out[3])
{
    for (int k = 0; k < 3; ++k) out[k] = p->pix0[k] + f * p->fdet[k] + s * p->sdet[k];
}

int nbcl_panel_layout(const nbcl_sim *s, const float *image, const unsigned short *image_mask,
                      int max_side, float **canvas, unsigned short **mask, int *width, int *height,
                      nbcl_err *err)
{
    *canvas = NULL;
    *mask = NULL;
    int rows = s->spixels / s->npanels, cols = s->fpixels;
    double px = s->pixel_size, fs = cols * px, ss = rows * px;
    view v;
    make_view(s, &v);
    double umin = INFINITY, umax = -INFINITY, wmin = INFINITY, wmax = -INFINITY;
    for (int i = 0; i < s->npanels; ++i)
        for (int c = 0; c < 4; ++c) {
            double p[3], u, w;
            corner(&s->panels[i], (c & 1) ? fs : 0.0, (c & 2) ? ss : 0.0, p);
            if (!project(&v, p, &u, &w)) continue;
            umin = fmin(umin, u); umax = fmax(umax, u);
            wmin = fmin(wmin, w); wmax = fmax(wmax, w);
        }
    if (!(umax > umin) || !(wmax > wmin))
        return nbcl_err_code(err, NBCL_E_INVALID, "no panel of the detector faces the sample");
    double cell = px;
    double extent = fmax(umax - umin, wmax - wmin);
    if (extent / cell > max_side) cell = extent / max_side;
    int W = (int)ceil((umax - umin) / cell), H = (int)ceil((wmax - wmin) / cell);
    if (W < 1) W = 1;
    if (H < 1) H = 1;
    *canvas = calloc((size_t)W * H, sizeof **canvas);
    *mask = calloc((size_t)W * H, sizeof **mask);
    if (!*canvas || !*mask) {
        free(*canvas);
        free(*mask);
        *canvas = NULL;
        *mask = NULL;
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for a %dx%d panel picture", W, H);
    }
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            double u = umin + (x + 0.5) * cell, w = wmin + (y + 0.5) * cell, ray[3];
            for (int k = 0; k < 3; ++k) ray[k] = v.dist * v.b[k] + u * v.e1[k] + w * v.e2[k];
            for (int i = 0; i < s->npanels; ++i) {
                const nbcl_panel *p = &s->panels[i];
                double along = v3_dot(ray, p->odet);
                if (!(along > 0.0)) continue;
                double lambda = v3_dot(p->pix0, p->odet) / along, d[3];
                for (int k = 0; k < 3; ++k) d[k] = lambda * ray[k] - p->pix0[k];
                double f = v3_dot(d, p->fdet) / px, sl = v3_dot(d, p->sdet) / px;
                if (!(f >= 0.0 && f < cols && sl >= 0.0 && sl < rows)) continue;
                size_t at = ((size_t)i * rows + (size_t)sl) * cols + (size_t)f;
                size_t to = (size_t)y * W + x;
                (*canvas)[to] = image[at];
                (*mask)[to] = image_mask ? image_mask[at] != 0 : 1;
                break;
            }
        }
    *width = W;
    *height = H;
    return 0;
}
