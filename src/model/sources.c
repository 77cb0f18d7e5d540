/* sources.c: the list of incident-beam sources a run sums over, either read from a
 * -sourcefile or generated as an (optionally elliptically trimmed) divergence grid times a
 * set of wavelengths, with the same values and log lines as nanoBragg.c. */
#include "model/sampling.h"
#include "base/vec3.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* nanoBragg places sources this far upstream of the sample (m). */
#define NBCL_SOURCE_DISTANCE 10.0

/* Growable per-source arrays. */
typedef struct source_list {
    double *pos, *weight, *lambda;
    int *kind;                  /* how each wavelength was chosen (sim.h, source_kind) */
    int count, cap;
} source_list;

static void source_list_free(source_list *l)
{
    free(l->pos);
    free(l->weight);
    free(l->lambda);
    free(l->kind);
    memset(l, 0, sizeof *l);
}

static int source_list_push(source_list *l, const double pos[3], double weight, double lambda,
                            int kind)
{
    if (l->count == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        double *p = realloc(l->pos, 3 * (size_t)cap * sizeof *p);
        if (p) l->pos = p;
        double *w = realloc(l->weight, (size_t)cap * sizeof *w);
        if (w) l->weight = w;
        double *lam = realloc(l->lambda, (size_t)cap * sizeof *lam);
        if (lam) l->lambda = lam;
        int *k = realloc(l->kind, (size_t)cap * sizeof *k);
        if (k) l->kind = k;
        if (!p || !w || !lam || !k) return -1;
        l->cap = cap;
    }
    memcpy(l->pos + 3 * l->count, pos, 3 * sizeof *pos);
    l->weight[l->count] = weight;
    l->lambda[l->count] = lambda;
    l->kind[l->count] = kind;
    l->count++;
    return 0;
}

/* One source from a file row, defaulting the missing (or nan) columns as the reference:
 * position NBCL_SOURCE_DISTANCE upstream along the beam, weight 1, wavelength lambda0. */
static int push_file_source(source_list *l, const double v[5], const double beam[3], double lambda0)
{
    double pos[3];
    for (int k = 0; k < 3; k++) pos[k] = isnan(v[k]) ? -NBCL_SOURCE_DISTANCE * beam[k] : v[k];
    double weight = isnan(v[3]) ? 1.0 : v[3];
    double lambda = isnan(v[4]) ? lambda0 : v[4];
    return source_list_push(l, pos, weight, lambda, isnan(v[4]) ? NBCL_SOURCE_LAMBDA0 : NBCL_SOURCE_GIVEN);
}

int nbcl_sources_from_rows(const double *rows, int count, const double beam[3], double lambda0,
                           double **pos, double **weight, double **lambda, int **kind, nbcl_err *err)
{
    source_list l = {0};
    for (int i = 0; i < count; i++)
        if (push_file_source(&l, rows + 5 * (size_t)i, beam, lambda0)) {
            source_list_free(&l);
            return nbcl_err_code(err, NBCL_E_NOMEM, "-sourcefile: out of memory");
        }
    *pos = l.pos;
    *weight = l.weight;
    *lambda = l.lambda;
    if (kind) *kind = l.kind;
    else free(l.kind);
    return 0;
}

/* Divergence grid point (h, v); returns 0 when round_div trims it off the ellipse. */
static int div_point(const nbcl_sim *sim, int round_div, int h, int v, double *hdiv, double *vdiv)
{
    *hdiv = sim->hdivstep * h - sim->hdivrange / 2.0;
    *vdiv = sim->vdivstep * v - sim->vdivrange / 2.0;
    double test = (*hdiv * *hdiv - sim->hdivstep * sim->hdivstep / 4.0 * (1 - sim->hdivsteps % 2)) /
                  sim->hdivrange / sim->hdivrange;
    test += (*vdiv * *vdiv - sim->vdivstep * sim->vdivstep / 4.0 * (1 - sim->vdivsteps % 2)) /
            sim->vdivrange / sim->vdivrange;
    return !(round_div && test * 4.0 > 1.1);
}

static double disp_lambda(const nbcl_sim *sim, int d)
{
    return sim->lambda0 * (1.0 + sim->dispstep * d - sim->dispersion / 2.0);
}

/* First pass: count the accepted grid points, logging each and then the wavelengths. */
static int count_div_points(const nbcl_sim *sim, int round_div, nbcl_log *log)
{
    int n = 0;
    double hdiv, vdiv;
    for (int h = 0; h < sim->hdivsteps; ++h)
        for (int v = 0; v < sim->vdivsteps; ++v) {
            if (!div_point(sim, round_div, h, v, &hdiv, &vdiv)) continue;
            if (log && nbcl_log_listing(log, n, (long)sim->hdivsteps * sim->vdivsteps, "divergence points"))
                nbcl_logf(log, "divergence deviation: %g %g\n", hdiv, vdiv);
            ++n;
        }
    for (int d = 0; d < sim->dispsteps && log && nbcl_log_listing(log, d, sim->dispsteps, "wavelengths"); ++d)
        nbcl_logf(log, "lambda%d = %.15g\n", d, disp_lambda(sim, d));
    return n;
}

/* more sources than this (a 10^4 x 10^4 divergence grid) cannot be meant: the grid alone
 * would take hours to walk and gigabytes to hold (docs/cli.md) */
#define MAX_GENERATED_SOURCES 1e8

static int generate_sources(const nbcl_sim *sim, int round_div, source_list *l, int *divsteps,
                            nbcl_log *log, nbcl_err *err)
{
    double grid = (double)sim->hdivsteps * sim->vdivsteps * sim->dispsteps;
    if (grid > MAX_GENERATED_SOURCES)
        return nbcl_err_code(err, NBCL_E_INVALID, "-hdivsteps %d x -vdivsteps %d x -dispsteps %d: %.3g sources, "
                             "more than %.0e", sim->hdivsteps, sim->vdivsteps, sim->dispsteps, grid,
                             MAX_GENERATED_SOURCES);
    *divsteps = count_div_points(sim, round_div, log);
    int total = *divsteps * sim->dispsteps;
    if (total <= 0) return nbcl_err_set(err, "divergence/dispersion: no sources left to simulate");
    double weight = 1.0 / total;
    double hdiv, vdiv;
    for (int h = 0; h < sim->hdivsteps; ++h)
        for (int v = 0; v < sim->vdivsteps; ++v) {
            if (!div_point(sim, round_div, h, v, &hdiv, &vdiv)) continue;
            double start[3], tilted[3], pos[3];
            for (int k = 0; k < 3; k++) start[k] = -NBCL_SOURCE_DISTANCE * sim->beam[k];
            /* horizontal is the polarization (E-vector) direction */
            nbcl_rotate_axis(start, tilted, sim->polar_vector, vdiv);
            nbcl_rotate_axis(tilted, pos, sim->vert_vector, hdiv);
            for (int d = 0; d < sim->dispsteps; ++d)
                if (source_list_push(l, pos, weight, disp_lambda(sim, d), d))
                    return nbcl_err_set(err, "sources: out of memory");
        }
    return 0;
}

/* Log every source as given, then make the positions unit direction vectors. */
static void finish_sources(source_list *l, nbcl_log *log)
{
    nbcl_logf(log, "  created a total of %d sources:\n", l->count);
    for (int i = 0; i < l->count; i++) {
        double *p = l->pos + 3 * i;
        if (log && nbcl_log_listing(log, i, l->count, "sources"))
            nbcl_logf(log, "%g %g %g   %g %g\n", p[0], p[1], p[2], l->weight[i], l->lambda[i]);
        double mag = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        for (int k = 0; k < 3; k++) p[k] = mag != 0.0 ? p[k] / mag : 0.0;
    }
}

int nbcl_sampling_sources(const nbcl_config *cfg, const nbcl_model_loaders *ld, nbcl_sim *sim,
                          nbcl_log *log, nbcl_err *err)
{
    source_list l = {0};
    sim->divsteps = -1;   /* the reference reports -1 when a file supplied the sources */
    if (cfg->sourcefile) {
        double *rows = NULL;
        int n = 0;
        if (!ld || !ld->sources)
            return nbcl_err_code(err, NBCL_E_INVALID, "-sourcefile %s: no reader for source files here",
                                 cfg->sourcefile);
        if (ld->sources(ld->user, cfg, &rows, &n, err)) return -1;
        int rc = nbcl_sources_from_rows(rows, n, sim->beam, sim->lambda0, &l.pos, &l.weight,
                                        &l.lambda, &l.kind, err);
        free(rows);
        if (rc) return -1;
        l.count = l.cap = n;
    } else if (generate_sources(sim, cfg->round_div, &l, &sim->divsteps, log, err)) {
        source_list_free(&l);
        return -1;
    }
    finish_sources(&l, log);
    sim->source_dir = l.pos;
    sim->source_weight = l.weight;
    sim->source_lambda = l.lambda;
    sim->source_kind = l.kind;
    sim->nsources = l.count;
    return 0;
}

void nbcl_source_lambdas(const nbcl_sim *sim, double *out)
{
    for (int i = 0; i < sim->nsources; ++i) {
        int kind = sim->source_kind ? sim->source_kind[i] : NBCL_SOURCE_GIVEN;
        out[i] = kind >= 0 ? disp_lambda(sim, kind)
               : kind == NBCL_SOURCE_LAMBDA0 ? sim->lambda0 : sim->source_lambda[i];
    }
}
