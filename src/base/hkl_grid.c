/* hkl_grid.c: the padded structure-factor grid shared by the readers, the model and the
 * engine (see hkl_grid.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/hkl_grid.h"
#include "base/memcap.h"

size_t nbcl_hkl_grid_size(const nbcl_hkl *hkl)
{
    return (size_t)(hkl->h_range + 1) * (size_t)(hkl->k_range + 1) * (size_t)(hkl->l_range + 1);
}

size_t nbcl_hkl_index(const nbcl_hkl *g, int h, int k, int l)
{
    return ((size_t)(h - g->h_min) * (size_t)(g->k_range + 1) + (size_t)(k - g->k_min))
           * (size_t)(g->l_range + 1) + (size_t)(l - g->l_min);
}

double nbcl_hkl_get(const nbcl_hkl *hkl, int h, int k, int l, double outside)
{
    if (!hkl->F || h < hkl->h_min || h > hkl->h_max || k < hkl->k_min || k > hkl->k_max
        || l < hkl->l_min || l > hkl->l_max)
        return outside;
    return hkl->F[nbcl_hkl_index(hkl, h, k, l)];
}

void nbcl_hkl_set_ranges(nbcl_hkl *g)
{
    g->h_range = g->h_max - g->h_min + 1;
    g->k_range = g->k_max - g->k_min + 1;
    g->l_range = g->l_max - g->l_min + 1;
}

int nbcl_hkl_alloc(nbcl_hkl *g, double default_F, const char *what, nbcl_log *log,
                   nbcl_err *err)
{
    double bytes = (double)(g->h_range + 1) * (g->k_range + 1) * (g->l_range + 1) * sizeof(double);
    /* a grid over the cap (half the machine's memory unless -max_memory) cannot be meant */
    if (bytes > nbcl_memory_cap())
        return nbcl_err_code(err, NBCL_E_INVALID, "%s: h %d..%d, k %d..%d, l %d..%d make a grid of %.3g GB, "
                             "more than %s", what, g->h_min, g->h_max, g->k_min, g->k_max, g->l_min,
                             g->l_max, bytes / 1e9, nbcl_memory_cap_name());
    g->F = calloc(nbcl_hkl_grid_size(g), sizeof(double));
    if (!g->F) return nbcl_err_code(err, NBCL_E_NOMEM, "%s: out of memory for a %dx%dx%d grid",
                                    what, g->h_range + 1, g->k_range + 1, g->l_range + 1);
    if (default_F == 0.0) return 0;
    nbcl_logf(log, "initializing to default_F = %g:\n", default_F);
    for (int h = g->h_min; h <= g->h_max; h++)
        for (int k = g->k_min; k <= g->k_max; k++)
            for (int l = g->l_min; l <= g->l_max; l++)
                g->F[nbcl_hkl_index(g, h, k, l)] = default_F;
    nbcl_logf(log, "done initializing:\n");
    return 0;
}

int nbcl_hkl_from_list(size_t n, const int *idx, const double *F, double default_F,
                       nbcl_hkl *out, nbcl_err *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || !idx || !F) return nbcl_err_code(err, NBCL_E_INVALID, "structure factors: empty table");
    nbcl_hkl g = {.h_min = INT_MAX, .k_min = INT_MAX, .l_min = INT_MAX,
                  .h_max = INT_MIN, .k_max = INT_MIN, .l_max = INT_MIN};
    int *mins[3] = {&g.h_min, &g.k_min, &g.l_min}, *maxs[3] = {&g.h_max, &g.k_max, &g.l_max};
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            int v = idx[3 * i + a];
            if (v > NBCL_HKL_INDEX_LIMIT || v < -NBCL_HKL_INDEX_LIMIT)
                return nbcl_err_code(err, NBCL_E_INVALID, "structure factors: index %d of "
                                     "reflection %zu is out of range", v, i);
            if (*mins[a] > v) *mins[a] = v;
            if (*maxs[a] < v) *maxs[a] = v;
        }
    nbcl_hkl_set_ranges(&g);
    g.hkls = (long)n;
    if (nbcl_hkl_alloc(&g, default_F, "structure factors", NULL, err)) return -1;
    for (size_t i = 0; i < n; i++)
        g.F[nbcl_hkl_index(&g, idx[3 * i], idx[3 * i + 1], idx[3 * i + 2])] = F[i];
    *out = g;
    return 0;
}

int nbcl_hkl_copy(const nbcl_hkl *from, nbcl_hkl *to, nbcl_err *err)
{
    *to = *from;
    if (!from->F) return 0;
    size_t n = nbcl_hkl_grid_size(from);
    to->F = malloc(n * sizeof(double));
    if (!to->F) {
        memset(to, 0, sizeof *to);
        return nbcl_err_code(err, NBCL_E_NOMEM, "out of host memory copying the HKL grid");
    }
    memcpy(to->F, from->F, n * sizeof(double));
    return 0;
}

void nbcl_hkl_free(nbcl_hkl *hkl)
{
    if (!hkl) return;
    free(hkl->F);
    memset(hkl, 0, sizeof *hkl);
}
