/* expt.c: reading a detector from a DIALS experiment list (see expt.h). dxtbx writes each
 * panel in the frame of its parent group (the "hierarchy"); a group's frame is its fast
 * and slow axes, their normal (fast x slow) and its origin, all in its parent's frame. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"
#include "io/expt.h"

#define EXPT_MAX_BYTES (256L << 20)      /* a 16M-pixel detector with masks is a few MB */
#define EXPT_MAX_PANELS 4096
#define EXPT_MAX_PIXELS 100000           /* per panel side */
#define AXIS_SLACK 1e-6                  /* unit length and orthogonality of the axes */

typedef struct reader {
    const char *path;
    nbcl_err *err;
    nbcl_dxtbx_detector *out;
    int *placed;                         /* per panel: reached through the hierarchy */
} reader;

typedef struct frame {
    double f[3], s[3], n[3], o[3];
} frame;

static char *read_text(const char *path, nbcl_err *err)
{
    char *text;
    switch (nbcl_read_text_file(path, EXPT_MAX_BYTES, 1, &text)) {
    case NBCL_FILE_OK: return text;
    case NBCL_FILE_OPEN: nbcl_err_code(err, NBCL_E_FILE, "-detector %s: %s", path, strerror(errno)); break;
    case NBCL_FILE_TOO_BIG:
        nbcl_err_code(err, NBCL_E_FILE, "-detector %s: larger than %ld MiB: not an experiment list", path,
                      EXPT_MAX_BYTES >> 20);
        break;
    case NBCL_FILE_BINARY:
        nbcl_err_code(err, NBCL_E_FILE, "-detector %s: binary data: not a JSON experiment list", path);
        break;
    case NBCL_FILE_READ: nbcl_err_code(err, NBCL_E_FILE, "-detector %s: read error", path); break;
    case NBCL_FILE_NOMEM: nbcl_err_code(err, NBCL_E_NOMEM, "-detector %s: out of host memory", path); break;
    }
    return NULL;
}

static int bad(reader *r, const char *where, const char *key, const char *what)
{
    return nbcl_err_code(r->err, NBCL_E_FILE, "-detector %s: %s%s'%s' %s", r->path, where,
                         where[0] ? ": " : "", key, what);
}

/* n numbers under key into v */
static int numbers(reader *r, const cJSON *obj, const char *where, const char *key, double *v, int n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!a) return bad(r, where, key, "is missing");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return bad(r, where, key, n == 3 ? "must be a list of 3 numbers" : "must be a list of 2 numbers");
    for (int i = 0; i < n; ++i) {
        const cJSON *x = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) return bad(r, where, key, "holds something that is not a number");
        v[i] = x->valuedouble;
    }
    return 0;
}

/* an optional number (0 when absent) that must not be negative */
static int nonneg(reader *r, const cJSON *obj, const char *where, const char *key, double *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    *v = 0.0;
    if (!x) return 0;
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0.0)
        return bad(r, where, key, "must be a number not below 0");
    *v = x->valuedouble;
    return 0;
}

static int known_keys(reader *r, const cJSON *obj, const char *where, const char *const *keys)
{
    if (!cJSON_IsObject(obj)) return nbcl_err_code(r->err, NBCL_E_FILE, "-detector %s: %s is not a JSON object", r->path, where);
    for (const cJSON *it = obj->child; it; it = it->next) {
        int ok = 0;
        for (int k = 0; keys[k] && !ok; ++k) ok = strcmp(it->string, keys[k]) == 0;
        if (!ok) return bad(r, where, it->string, "is not a key nanobragg-cl knows here");
    }
    return 0;
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* fast and slow unit and square to each other; n = fast x slow */
static int axes(reader *r, const cJSON *obj, const char *where, frame *fr)
{
    if (numbers(r, obj, where, "fast_axis", fr->f, 3) || numbers(r, obj, where, "slow_axis", fr->s, 3) ||
        numbers(r, obj, where, "origin", fr->o, 3))
        return -1;
    if (fabs(sqrt(dot3(fr->f, fr->f)) - 1.0) > AXIS_SLACK) return bad(r, where, "fast_axis", "is not a unit vector");
    if (fabs(sqrt(dot3(fr->s, fr->s)) - 1.0) > AXIS_SLACK) return bad(r, where, "slow_axis", "is not a unit vector");
    if (fabs(dot3(fr->f, fr->s)) > AXIS_SLACK) return bad(r, where, "slow_axis", "is not square to fast_axis");
    fr->n[0] = fr->f[1] * fr->s[2] - fr->f[2] * fr->s[1];
    fr->n[1] = fr->f[2] * fr->s[0] - fr->f[0] * fr->s[2];
    fr->n[2] = fr->f[0] * fr->s[1] - fr->f[1] * fr->s[0];
    return 0;
}

/* v (in the frame p) in p's parent: a direction, or a point when point is set */
static void to_parent(const frame *p, const double v[3], int point, double out[3])
{
    for (int k = 0; k < 3; ++k)
        out[k] = (point ? p->o[k] : 0.0) + p->f[k] * v[0] + p->s[k] * v[1] + p->n[k] * v[2];
}

static void compose(const frame *parent, const frame *local, frame *global)
{
    to_parent(parent, local->f, 0, global->f);
    to_parent(parent, local->s, 0, global->s);
    to_parent(parent, local->n, 0, global->n);
    to_parent(parent, local->o, 1, global->o);
}

static const char *const PANEL_KEYS[] = {
    "name", "type", "fast_axis", "slow_axis", "origin", "raw_image_offset", "image_size",
    "pixel_size", "trusted_range", "thickness", "material", "mu", "identifier", "mask", "gain",
    "pedestal", "px_mm_strategy", "projection_2d", NULL};

static int read_panel(reader *r, const cJSON *p, int index, nbcl_dxtbx_panel *out, frame *local)
{
    char where[64];
    snprintf(where, sizeof where, "detector panel %d", index);
    if (known_keys(r, p, where, PANEL_KEYS) || axes(r, p, where, local)) return -1;
    double size[2], px[2];
    if (numbers(r, p, where, "image_size", size, 2) || numbers(r, p, where, "pixel_size", px, 2)) return -1;
    for (int i = 0; i < 2; ++i) {
        if (!(size[i] >= 1 && size[i] <= EXPT_MAX_PIXELS) || size[i] != floor(size[i]))
            return bad(r, where, "image_size", "must be whole numbers from 1 to 100000");
        if (!(px[i] > 0.0)) return bad(r, where, "pixel_size", "must be above 0 (mm)");
        out->size[i] = (int)size[i];
        out->pixel_mm[i] = px[i];
    }
    if (nonneg(r, p, where, "thickness", &out->thickness_mm) || nonneg(r, p, where, "mu", &out->mu_per_mm)) return -1;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
    if (name && !cJSON_IsString(name)) return bad(r, where, "name", "must be a string");
    snprintf(out->name, sizeof out->name, "%s", name && name->valuestring[0] ? name->valuestring : "");
    if (!out->name[0]) snprintf(out->name, sizeof out->name, "panel%d", index);
    return 0;
}

static const char *const NODE_KEYS[] = {
    "name", "type", "fast_axis", "slow_axis", "origin", "raw_image_offset", "image_size",
    "pixel_size", "trusted_range", "thickness", "material", "mu", "identifier", "mask", "gain",
    "pedestal", "px_mm_strategy", "projection_2d", "children", NULL};

/* a hierarchy node (a group with children, or {"panel": i}) placed in parent's frame */
static int place(reader *r, const cJSON *node, const frame *parent, frame *locals, int depth)
{
    if (depth > 32) return bad(r, "detector hierarchy", "children", "nests more than 32 levels");
    const cJSON *pi = cJSON_GetObjectItemCaseSensitive(node, "panel");
    if (pi) {
        if (!cJSON_IsNumber(pi) || pi->valuedouble != floor(pi->valuedouble) || pi->valuedouble < 0 ||
            pi->valuedouble >= r->out->npanels)
            return bad(r, "detector hierarchy", "panel", "names no panel of the detector");
        int i = (int)pi->valuedouble;
        if (r->placed[i]) return bad(r, "detector hierarchy", "panel", "names a panel twice");
        r->placed[i] = 1;
        frame g;
        compose(parent, &locals[i], &g);
        nbcl_dxtbx_panel *p = &r->out->panels[i];
        memcpy(p->fast, g.f, sizeof g.f);
        memcpy(p->slow, g.s, sizeof g.s);
        memcpy(p->origin_mm, g.o, sizeof g.o);
        return 0;
    }
    frame local, g;
    if (known_keys(r, node, "detector hierarchy", NODE_KEYS) || axes(r, node, "detector hierarchy", &local)) return -1;
    compose(parent, &local, &g);
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(node, "children");
    if (kids && !cJSON_IsArray(kids)) return bad(r, "detector hierarchy", "children", "must be a list");
    for (const cJSON *k = kids ? kids->child : NULL; k; k = k->next)
        if (place(r, k, &g, locals, depth + 1)) return -1;
    return 0;
}

static int read_detector(reader *r, const cJSON *det)
{
    static const char *const keys[] = {"panels", "hierarchy", "__id__", NULL};
    if (known_keys(r, det, "detector", keys)) return -1;
    const cJSON *panels = cJSON_GetObjectItemCaseSensitive(det, "panels");
    if (!cJSON_IsArray(panels) || cJSON_GetArraySize(panels) < 1)
        return bad(r, "detector", "panels", "must be a list of at least one panel");
    int n = cJSON_GetArraySize(panels);
    if (n > EXPT_MAX_PANELS) return bad(r, "detector", "panels", "holds more than 4096 panels");
    r->out->panels = calloc((size_t)n, sizeof *r->out->panels);
    frame *locals = calloc((size_t)n, sizeof *locals);
    r->placed = calloc((size_t)n, sizeof *r->placed);
    int rc = 0;
    if (!r->out->panels || !locals || !r->placed) rc = nbcl_err_code(r->err, NBCL_E_NOMEM, "-detector %s: out of host memory", r->path);
    r->out->npanels = n;
    int i = 0;
    for (const cJSON *p = panels->child; !rc && p; p = p->next, ++i) rc = read_panel(r, p, i, &r->out->panels[i], &locals[i]);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(det, "hierarchy");
    if (!rc && h) {
        frame lab = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}};
        rc = place(r, h, &lab, locals, 0);
        for (i = 0; !rc && i < n; ++i)
            if (!r->placed[i]) {
                char what[64];
                snprintf(what, sizeof what, "does not hold panel %d", i);
                rc = bad(r, "detector", "hierarchy", what);
            }
    } else {
        for (i = 0; !rc && i < n; ++i) {       /* no hierarchy: the panels are global */
            nbcl_dxtbx_panel *p = &r->out->panels[i];
            memcpy(p->fast, locals[i].f, sizeof p->fast);
            memcpy(p->slow, locals[i].s, sizeof p->slow);
            memcpy(p->origin_mm, locals[i].o, sizeof p->origin_mm);
        }
    }
    free(locals);
    free(r->placed);
    r->placed = NULL;
    return rc;
}

static int read_beam(reader *r, const cJSON *beam)
{
    static const char *const keys[] = {"__id__", "direction", "wavelength", "divergence", "sigma_divergence",
                                       "polarization_normal", "polarization_fraction", "flux",
                                       "transmission", "probe", "sample_to_source_distance", NULL};
    if (known_keys(r, beam, "beam", keys)) return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(beam, "wavelength");
    if (!w) return bad(r, "beam", "wavelength", "is missing");
    if (!cJSON_IsNumber(w) || !(w->valuedouble > 0.0) || !isfinite(w->valuedouble))
        return bad(r, "beam", "wavelength", "must be a number above 0 (Angstrom)");
    r->out->wavelength_A = w->valuedouble;
    if (numbers(r, beam, "beam", "direction", r->out->direction, 3)) return -1;
    if (!(sqrt(dot3(r->out->direction, r->out->direction)) > 0.0)) return bad(r, "beam", "direction", "is the zero vector");
    r->out->have_beam = 1;
    return 0;
}

/* the one element of a top-level list, NULL when the list is absent or empty */
static int only_one(reader *r, const cJSON *root, const char *key, const cJSON **out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    *out = NULL;
    if (!a) return 0;
    if (!cJSON_IsArray(a)) return bad(r, "", key, "must be a list");
    int n = cJSON_GetArraySize(a);
    if (n > 1) return bad(r, "", key, "holds more than one model; nanobragg-cl takes one detector and one beam");
    *out = n ? a->child : NULL;
    return 0;
}

int nbcl_expt_read(const char *path, nbcl_dxtbx_detector *out, nbcl_err *err)
{
    memset(out, 0, sizeof *out);
    char *text = read_text(path, err);
    if (!text) return -1;
    cJSON *root = cJSON_Parse(text);
    reader r = {path, err, out, NULL};
    int rc = 0;
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long line = 1;
        for (const char *c = text; at && c < at; ++c) line += *c == '\n';
        rc = nbcl_err_code(err, NBCL_E_FILE, "-detector %s: not valid JSON (line %ld)", path, line);
    }
    free(text);
    const cJSON *id = root ? cJSON_GetObjectItemCaseSensitive(root, "__id__") : NULL;
    if (!rc && (!cJSON_IsString(id) || strcmp(id->valuestring, "ExperimentList") != 0))
        rc = bad(&r, "", "__id__", "is not \"ExperimentList\": not a DIALS experiment list");
    static const char *const top[] = {"__id__", "experiment", "imageset", "beam", "detector", "goniometer",
                                      "scan", "crystal", "profile", "scaling_model", NULL};
    if (!rc) rc = known_keys(&r, root, "the experiment list", top);
    const cJSON *det = NULL, *beam = NULL;
    if (!rc) rc = only_one(&r, root, "detector", &det) || only_one(&r, root, "beam", &beam);
    if (!rc && !det) rc = bad(&r, "", "detector", "holds no detector");
    if (!rc) rc = read_detector(&r, det);
    if (!rc && beam) rc = read_beam(&r, beam);
    cJSON_Delete(root);
    if (rc) nbcl_expt_free(out);
    return rc ? -1 : 0;
}

void nbcl_expt_free(nbcl_dxtbx_detector *d)
{
    free(d->panels);
    memset(d, 0, sizeof *d);
}
