/* tables.c: filling the kernels' tables and converting them to the device's precision
 * (see tables.h and abi.h). */
#include <stdlib.h>
#include <string.h>
#include "device/clerr.h"
#include "engine/tables.h"

void nbcl_fill_params(const nbcl_sim *s, double P[KP_COUNT])
{
    const double *vecs[] = {s->fdet, s->sdet, s->odet, s->pix0, s->beam, s->polar_vector,
                            s->a_star, s->b_star, s->c_star};
    for (int v = 0; v < 9; ++v)
        for (int k = 0; k < 3; ++k) P[KP_FDET_X + 3 * v + k] = vecs[v][k];
    P[KP_NA] = s->Na;
    P[KP_NB] = s->Nb;
    P[KP_NC] = s->Nc;
    P[KP_SUBPIXEL] = s->subpixel_size;
    P[KP_PIXEL] = s->pixel_size;
    P[KP_DISTANCE] = s->distance;
    P[KP_CLOSE_DISTANCE] = s->close_distance;
    P[KP_THICKSTEP] = s->thickstep;
    P[KP_MU] = s->mu;
    P[KP_KAHN] = s->polarization;
    P[KP_DEFAULT_F] = s->default_F;
    P[KP_FUDGE] = s->fudge;
    P[KP_DMIN] = s->dmin;
    P[KP_I_BG] = s->I_bg;
    P[KP_R_E_SQR] = s->r_e_sqr;
    P[KP_FLUENCE] = s->fluence;
    P[KP_STEPS] = (double)s->steps;
    /* the background is summed over sensor layers, sub-pixels and sources but not over
     * orientations, which steps also counts */
    P[KP_BG_WEIGHT] = s->bg_molecules * s->mosaic_domains * s->phisteps;
}

void nbcl_fill_ints(const nbcl_sim *s, int norient, cl_int G[KI_COUNT])
{
    const nbcl_hkl *g = &s->hkl;
    G[KI_H_MIN] = g->h_min; G[KI_K_MIN] = g->k_min; G[KI_L_MIN] = g->l_min;
    G[KI_H_MAX] = g->h_max; G[KI_K_MAX] = g->k_max; G[KI_L_MAX] = g->l_max;
    G[KI_H_RANGE] = g->h_range; G[KI_K_RANGE] = g->k_range; G[KI_L_RANGE] = g->l_range;
    G[KI_ROI_XMIN] = s->roi_xmin; G[KI_ROI_XMAX] = s->roi_xmax;
    G[KI_ROI_YMIN] = s->roi_ymin; G[KI_ROI_YMAX] = s->roi_ymax;
    G[KI_THICKSTEPS] = s->thicksteps;
    G[KI_OVERSAMPLE] = s->oversample;
    G[KI_NSOURCES] = s->nsources;
    G[KI_NCRYSTAL] = norient;
    G[KI_BG_ROWS] = s->bg_rows;
}

double *nbcl_source_table(const nbcl_sim *s, int use_double)
{
    double *src = malloc(sizeof(double) * NBCL_SRC_FIELDS * (size_t)(s->nsources > 0 ? s->nsources : 1));
    if (!src) return NULL;
    for (int i = 0; i < s->nsources; ++i) {
        double *row = src + NBCL_SRC_FIELDS * (size_t)i;
        row[NBCL_SRC_X] = -s->source_dir[3 * i];
        row[NBCL_SRC_Y] = -s->source_dir[3 * i + 1];
        row[NBCL_SRC_Z] = -s->source_dir[3 * i + 2];
        row[NBCL_SRC_LAMBDA] = use_double ? s->source_lambda[i] : 1.0 / s->source_lambda[i];
    }
    return src;
}

double *nbcl_lone_source_table(const nbcl_sim *s, const double *axes)
{
    double *src = nbcl_source_table(s, 0);
    if (!src) return NULL;
    for (int i = 0; i < s->nsources; ++i) {
        double *row = src + NBCL_SRC_FIELDS * (size_t)i;
        double in[3] = {row[NBCL_SRC_X], row[NBCL_SRC_Y], row[NBCL_SRC_Z]};
        for (int r = 0; r < 3; ++r)   /* a.i, b.i, c.i into the X, Y, Z slots */
            row[NBCL_SRC_X + r] = axes[3 * r] * in[0] + axes[3 * r + 1] * in[1] + axes[3 * r + 2] * in[2];
    }
    return src;
}

int nbcl_wide_table_layout(int use_double, int wide_double)
{
    return use_double ? NBCL_TABLE_DOUBLES : wide_double ? NBCL_TABLE_WIDE : NBCL_TABLE_FLOATS;
}

size_t nbcl_device_bytes(size_t n, int layout, size_t block)
{
    if (layout == NBCL_TABLE_DOUBLES) return sizeof(double) * (n ? n : 1);
    size_t count = block == 0 ? n : layout == NBCL_TABLE_WIDE ? 4 * n : 2 * n;
    return sizeof(float) * (count ? count : 1);
}

/* Host doubles in a device layout (see nbcl_device_bytes), malloc'd. */
static void *to_device(const double *v, size_t n, int layout, size_t block)
{
    void *out = malloc(nbcl_device_bytes(n, layout, block));
    if (!out) return NULL;
    if (layout == NBCL_TABLE_DOUBLES) {
        if (n) memcpy(out, v, sizeof(double) * n);
        return out;
    }
    float *f = out;
    if (block == 0) {
        for (size_t i = 0; i < n; ++i) f[i] = (float)v[i];
        return out;
    }
    size_t floats = layout == NBCL_TABLE_WIDE ? 4 * block : 2 * block;   /* a block's */
    for (size_t i = 0; i < n; ++i) {
        size_t b = i / block, k = i % block;
        float *rec = f + floats * b, hi = (float)v[i];
        rec[k] = hi;
        rec[block + k] = (float)(v[i] - (double)hi);
        if (layout == NBCL_TABLE_WIDE) memcpy(rec + 2 * block + 2 * k, &v[i], sizeof(double));
    }
    return out;
}

cl_mem nbcl_upload(cl_context ctx, const double *v, size_t n, size_t block, int layout,
                   const char *what, nbcl_err *err)
{
    void *host = to_device(v, n, layout, block);
    if (!host) {
        nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the %s table", what);
        return NULL;
    }
    cl_int rc;
    cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                              nbcl_device_bytes(n, layout, block), host, &rc);
    free(host);
    if (nbcl_cl_check(rc, "clCreateBuffer", err)) return NULL;
    return m;
}

int nbcl_write_table(cl_command_queue q, cl_mem buf, const double *v, size_t n, size_t block,
                     int layout, const char *what, nbcl_err *err)
{
    void *host = to_device(v, n, layout, block);
    if (!host) return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory for the %s table", what);
    cl_int rc = clEnqueueWriteBuffer(q, buf, CL_TRUE, 0, nbcl_device_bytes(n, layout, block),
                                     host, 0, NULL, NULL);
    free(host);
    return nbcl_cl_check(rc, "clEnqueueWriteBuffer", err);
}
