/* sourcefile.c: reading a nanoBragg source file into rows of columns (see sourcefile.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"
#include "io/sourcefile.h"

/* Characters that separate columns in a source file (the reference's set, plus line ends). */
static const char source_delims[] = " \t,;:!\r\n";

/* A row that cannot be a source, and why (NULL when it can): a position at the sample (no
 * direction), a negative or infinite weight, a wavelength that is not a positive number. */
static const char *unusable(const double v[NBCL_SOURCE_COLUMNS], int n)
{
    if (n >= 3 && v[0] == 0.0 && v[1] == 0.0 && v[2] == 0.0)
        return "the source is at the sample (X Y Z = 0 0 0): it has no direction";
    for (int k = 0; k < 3 && k < n; ++k)
        if (isinf(v[k])) return "a position is infinite";
    if (n >= 4 && !isnan(v[3]) && !(v[3] >= 0.0 && isfinite(v[3])))
        return "the weight must be zero or positive";
    if (n >= 5 && !isnan(v[4]) && !(v[4] > 0.0 && isfinite(v[4])))
        return "the wavelength must be a positive number of metres";
    return NULL;
}

static int push_row(double **rows, int *count, int *cap, const double v[NBCL_SOURCE_COLUMNS])
{
    if (*count == *cap) {
        int more = *cap ? 2 * *cap : 16;
        double *r = realloc(*rows, (size_t)more * NBCL_SOURCE_COLUMNS * sizeof *r);
        if (!r) return -1;
        *rows = r;
        *cap = more;
    }
    memcpy(*rows + (size_t)*count * NBCL_SOURCE_COLUMNS, v, NBCL_SOURCE_COLUMNS * sizeof *v);
    (*count)++;
    return 0;
}

int nbcl_sourcefile_read(const char *path, double **rows_out, int *count_out, nbcl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: cannot open (%s)", path,
                                 strerror(errno));
    char line[NBCL_LINE_MAX];
    unsigned long lineno = 0;
    double *rows = NULL;
    int count = 0, cap = 0, rc = 0;
    enum nbcl_line_result r = NBCL_LINE_EOF;
    while (!rc && (r = nbcl_read_line(f, line, sizeof line)) == NBCL_LINE_OK) {
        lineno++;
        double v[NBCL_SOURCE_COLUMNS];
        char *bad = NULL;
        for (int i = 0; i < NBCL_SOURCE_COLUMNS; i++) v[i] = NAN;   /* a column not given */
        int n = nbcl_line_numbers(line, source_delims, v, NBCL_SOURCE_COLUMNS, &bad);
        const char *why = n > 0 ? unusable(v, n) : NULL;
        if (n < 0)
            rc = nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: line %lu: '%.40s' is not a number",
                               path, lineno, bad);
        else if (why)
            rc = nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: line %lu: %s", path, lineno, why);
        else if (n > 0 && push_row(&rows, &count, &cap, v))
            rc = nbcl_err_code(err, NBCL_E_NOMEM, "-sourcefile %s: out of memory", path);
    }
    if (!rc && r != NBCL_LINE_EOF)
        rc = nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: line %lu: %s", path, lineno + 1,
                           nbcl_line_problem(r));
    fclose(f);
    if (!rc && count == 0) rc = nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: no sources in file", path);
    if (rc) {
        free(rows);
        return -1;
    }
    *rows_out = rows;
    *count_out = count;
    return 0;
}
