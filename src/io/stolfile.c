/* stolfile.c: reading a nonBragg scattering table (see stolfile.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"
#include "io/stolfile.h"

static const char stol_delims[] = " \t,;:!\r\n";

/* why a row cannot follow the previous one (NULL when it can) */
static const char *unusable(const double v[2], int n, const double *last)
{
    if (n < 2) return "expected two columns (sin(theta)/lambda and F)";
    if (!isfinite(v[0]) || !isfinite(v[1])) return "a value is NaN or infinite";
    if (v[0] < 0.0) return "the scattering variable must not be negative";
    if (last && !(v[0] > *last)) return "the scattering variable must increase from row to row";
    return NULL;
}

static int push(double **x, double **F, int *count, int *cap, const double v[2])
{
    if (*count == *cap) {
        int more = *cap ? 2 * *cap : 64;
        double *nx = realloc(*x, (size_t)more * sizeof *nx);
        if (!nx) return -1;
        *x = nx;
        double *nF = realloc(*F, (size_t)more * sizeof *nF);
        if (!nF) return -1;
        *F = nF;
        *cap = more;
    }
    (*x)[*count] = v[0];
    (*F)[*count] = v[1];
    (*count)++;
    return 0;
}

int nbcl_stolfile_read(const char *flag, const char *path, double **x_out, double **F_out,
                       int *rows_out, nbcl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return nbcl_err_code(err, NBCL_E_FILE, "%s %s: cannot open (%s)", flag, path, strerror(errno));
    char line[NBCL_LINE_MAX];
    unsigned long lineno = 0;
    double *x = NULL, *F = NULL;
    int count = 0, cap = 0, rc = 0;
    enum nbcl_line_result r = NBCL_LINE_EOF;
    while (!rc && (r = nbcl_read_line(f, line, sizeof line)) == NBCL_LINE_OK) {
        lineno++;
        double v[2];
        char *bad = NULL;
        int n = nbcl_line_numbers(line, stol_delims, v, 2, &bad);
        if (n == 0) continue;
        const char *why = n < 0 ? NULL : unusable(v, n, count ? &x[count - 1] : NULL);
        if (n < 0)
            rc = nbcl_err_code(err, NBCL_E_FILE, "%s %s: line %lu: '%.40s' is not a number", flag,
                               path, lineno, bad);
        else if (why)
            rc = nbcl_err_code(err, NBCL_E_FILE, "%s %s: line %lu: %s", flag, path, lineno, why);
        else if (push(&x, &F, &count, &cap, v))
            rc = nbcl_err_code(err, NBCL_E_NOMEM, "%s %s: out of memory", flag, path);
    }
    if (!rc && r != NBCL_LINE_EOF)
        rc = nbcl_err_code(err, NBCL_E_FILE, "%s %s: line %lu: %s", flag, path, lineno + 1,
                           nbcl_line_problem(r));
    fclose(f);
    if (!rc && count < 2)
        rc = nbcl_err_code(err, NBCL_E_FILE, "%s %s: %d row%s, at least two are needed", flag, path,
                           count, count == 1 ? "" : "s");
    if (rc) {
        free(x);
        free(F);
        return -1;
    }
    *x_out = x;
    *F_out = F;
    *rows_out = count;
    return 0;
}
