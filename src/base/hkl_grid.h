/* hkl_grid.h: the structure-factor grid, as the kernels and the Fdump.bin cache hold it.
 * The grid spans h_min..h_max (etc.) inclusive; like the reference it is allocated one
 * larger in each direction ((h_range+1) x (k_range+1) x (l_range+1)), zero-filled, and
 * F(h,k,l) lives at F[((h-h_min)*(k_range+1) + (k-k_min))*(l_range+1) + (l-l_min)].
 * The readers of io/ fill it from files; the model takes it as given. */
#ifndef NBCL_BASE_HKL_GRID_H
#define NBCL_BASE_HKL_GRID_H

#include <stddef.h>
#include "base/error.h"
#include "base/log.h"

#define NBCL_HKL_INDEX_LIMIT 100000   /* |h|,|k|,|l| beyond this cannot be a real table */

typedef struct nbcl_hkl {
    int h_min, h_max, k_min, k_max, l_min, l_max;
    int h_range, k_range, l_range;    /* max - min + 1 */
    long hkls;                        /* number of entries read (0: no table) */
    double *F;                        /* (h_range+1)*(k_range+1)*(l_range+1) values */
} nbcl_hkl;

/* Number of doubles in the padded grid: (h_range+1)*(k_range+1)*(l_range+1). */
size_t nbcl_hkl_grid_size(const nbcl_hkl *hkl);
/* Offset of (h,k,l), which must lie inside the extents. */
size_t nbcl_hkl_index(const nbcl_hkl *hkl, int h, int k, int l);
/* F at integer (h,k,l) when inside h_min..h_max etc.; otherwise `outside`. */
double nbcl_hkl_get(const nbcl_hkl *hkl, int h, int k, int l, double outside);
/* *_range from the extents. */
void nbcl_hkl_set_ranges(nbcl_hkl *hkl);
/* Zeroed padded grid for the extents already set; cells of the real extent (not the
 * padding) get default_F, with the reference's two log lines. `what` names the source of
 * the table in the error message. */
int nbcl_hkl_alloc(nbcl_hkl *hkl, double default_F, const char *what, nbcl_log *log,
                   nbcl_err *err);
/* A grid from n reflections (3 indices and one F each); cells not listed get default_F. */
int nbcl_hkl_from_list(size_t n, const int *hkl, const double *F, double default_F,
                       nbcl_hkl *out, nbcl_err *err);
/* A deep copy (an empty table copies as empty). */
int nbcl_hkl_copy(const nbcl_hkl *from, nbcl_hkl *to, nbcl_err *err);
void nbcl_hkl_free(nbcl_hkl *hkl);

#endif
