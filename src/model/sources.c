/* sources.c: the list of incident-beam sources a run sums over, either read from a
 * -sourcefile or generated as an (optionally elliptically trimmed) divergence grid times a
 * set of wavelengths, with the same values and log lines as nanoBragg.c. */
#include "model/sampling_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* nanoBragg places sources this far upstream of the sample (m). */
#define NBCL_SOURCE_DISTANCE 10.0
#define NBCL_SOURCE_COLUMNS 5

/* Characters that separate columns in a source file (the reference's set, plus line ends). */
static const char source_delims[] = " \t,;:!\r\n";

/* Growable per-source arrays. */
typedef struct source_list {
    double *pos, *weight, *lambda;
    int count, cap;
} source_list;

static void source_list_free(source_list *l)
{
    free(l->pos);
    free(l->weight);
    free(l->lambda);
    memset(l, 0, sizeof *l);
}

static int source_list_push(source_list *l, const double pos[3], double weight, double lambda)
{
    if (l->count == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        double *p = realloc(l->pos, 3 * (size_t)cap * sizeof *p);
        if (p) l->pos = p;
        double *w = realloc(l->weight, (size_t)cap * sizeof *w);
        if (w) l->weight = w;
        double *lam = realloc(l->lambda, (size_t)cap * sizeof *lam);
        if (lam) l->lambda = lam;
        if (!p || !w || !lam) return -1;
        l->cap = cap;
    }
    memcpy(l->pos + 3 * l->count, pos, 3 * sizeof *pos);
    l->weight[l->count] = weight;
    l->lambda[l->count] = lambda;
    l->count++;
    return 0;
}

/* Parse up to NBCL_SOURCE_COLUMNS numbers from one line into v (NAN where absent).
 * Returns the number of tokens seen (0 = blank line) or -1 with *bad at a non-number. */
static int parse_source_line(char *line, double v[NBCL_SOURCE_COLUMNS], char **bad)
{
    int n = 0;
    for (int i = 0; i < NBCL_SOURCE_COLUMNS; i++) v[i] = NAN;
    for (char *tok = strtok(line, source_delims); tok && n < NBCL_SOURCE_COLUMNS;
         tok = strtok(NULL, source_delims)) {
        char *end;
        errno = 0;
        double x = strtod(tok, &end);
        if (end == tok || *end != '\0') {
            *bad = tok;
            return -1;
        }
        v[n++] = x;
    }
    return n;
}

/* Turn one parsed line into a source, defaulting the missing (or nan) columns. */
static int push_file_source(source_list *l, const double v[NBCL_SOURCE_COLUMNS],
                            const double beam[3], double lambda0)
{
    double pos[3];
    for (int k = 0; k < 3; k++) pos[k] = isnan(v[k]) ? -NBCL_SOURCE_DISTANCE * beam[k] : v[k];
    double weight = isnan(v[3]) ? 1.0 : v[3];
    double lambda = isnan(v[4]) ? lambda0 : v[4];
    return source_list_push(l, pos, weight, lambda);
}

static int read_source_lines(FILE *f, const char *path, const double beam[3], double lambda0,
                             source_list *l, nbcl_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    int rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        double v[NBCL_SOURCE_COLUMNS];
        char *bad = NULL;
        int n = parse_source_line(line, v, &bad);
        if (n < 0) {
            rc = nbcl_err_set(err, "-sourcefile %s: line %lu: '%.40s' is not a number", path,
                              lineno, bad);
            break;
        }
        if (n == 0) continue;
        if (push_file_source(l, v, beam, lambda0)) {
            rc = nbcl_err_set(err, "-sourcefile %s: out of memory", path);
            break;
        }
    }
    free(line);
    return rc;
}

int nbcl_sources_read(const char *path, const double beam[3], double lambda0, double **pos,
                      double **weight, double **lambda, int *count, nbcl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return nbcl_err_set(err, "-sourcefile %s: cannot open (%s)", path, strerror(errno));
    source_list l = {0};
    int rc = read_source_lines(f, path, beam, lambda0, &l, err);
    fclose(f);
    if (rc == 0 && l.count == 0) rc = nbcl_err_set(err, "-sourcefile %s: no sources in file", path);
    if (rc) {
        source_list_free(&l);
        return -1;
    }
    *pos = l.pos;
    *weight = l.weight;
    *lambda = l.lambda;
    *count = l.count;
    return 0;
}

/* Rotate v about unit axis by phi (Rodrigues), as the reference's rotate_axis. */
static void rotate_about(const double v[3], double out[3], const double axis[3], double phi)
{
    double s = sin(phi), c = cos(phi);
    double dot = (axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2]) * (1.0 - c);
    double t0 = axis[0] * dot + v[0] * c + (-axis[2] * v[1] + axis[1] * v[2]) * s;
    double t1 = axis[1] * dot + v[1] * c + (+axis[2] * v[0] - axis[0] * v[2]) * s;
    double t2 = axis[2] * dot + v[2] * c + (-axis[1] * v[0] + axis[0] * v[1]) * s;
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
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
static int count_div_points(const nbcl_sim *sim, int round_div, FILE *log)
{
    int n = 0;
    double hdiv, vdiv;
    for (int h = 0; h < sim->hdivsteps; ++h)
        for (int v = 0; v < sim->vdivsteps; ++v) {
            if (!div_point(sim, round_div, h, v, &hdiv, &vdiv)) continue;
            ++n;
            if (log) fprintf(log, "divergence deviation: %g %g\n", hdiv, vdiv);
        }
    for (int d = 0; d < sim->dispsteps && log; ++d)
        fprintf(log, "lambda%d = %.15g\n", d, disp_lambda(sim, d));
    return n;
}

static int generate_sources(const nbcl_sim *sim, int round_div, source_list *l, int *divsteps,
                            FILE *log, nbcl_err *err)
{
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
            rotate_about(start, tilted, sim->polar_vector, vdiv);
            rotate_about(tilted, pos, sim->vert_vector, hdiv);
            for (int d = 0; d < sim->dispsteps; ++d)
                if (source_list_push(l, pos, weight, disp_lambda(sim, d)))
                    return nbcl_err_set(err, "sources: out of memory");
        }
    return 0;
}

/* Log every source as given, then make the positions unit direction vectors. */
static void finish_sources(source_list *l, FILE *log)
{
    if (log) fprintf(log, "  created a total of %d sources:\n", l->count);
    for (int i = 0; i < l->count; i++) {
        double *p = l->pos + 3 * i;
        if (log)
            fprintf(log, "%g %g %g   %g %g\n", p[0], p[1], p[2], l->weight[i], l->lambda[i]);
        double mag = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        for (int k = 0; k < 3; k++) p[k] = mag != 0.0 ? p[k] / mag : 0.0;
    }
}

int nbcl_sampling_sources(const nbcl_config *cfg, nbcl_sim *sim, FILE *log, nbcl_err *err)
{
    source_list l = {0};
    sim->divsteps = -1;   /* the reference reports -1 when a file supplied the sources */
    if (cfg->sourcefile) {
        if (nbcl_sources_read(cfg->sourcefile, sim->beam, sim->lambda0, &l.pos, &l.weight,
                              &l.lambda, &l.count, err))
            return -1;
    } else if (generate_sources(sim, cfg->round_div, &l, &sim->divsteps, log, err)) {
        source_list_free(&l);
        return -1;
    }
    finish_sources(&l, log);
    sim->source_dir = l.pos;
    sim->source_weight = l.weight;
    sim->source_lambda = l.lambda;
    sim->nsources = l.count;
    return 0;
}
