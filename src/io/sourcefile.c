/* sourcefile.c: reading a nanoBragg source file into rows of columns (see sourcefile.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/sourcefile.h"

/* Characters that separate columns in a source file (the reference's set, plus line ends). */
static const char source_delims[] = " \t,;:!\r\n";

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
    char *line = NULL;
    size_t linecap = 0;
    unsigned long lineno = 0;
    double *rows = NULL;
    int count = 0, cap = 0, rc = 0;
    while (!rc && getline(&line, &linecap, f) >= 0) {
        lineno++;
        double v[NBCL_SOURCE_COLUMNS];
        char *bad = NULL;
        int n = parse_source_line(line, v, &bad);
        if (n < 0)
            rc = nbcl_err_code(err, NBCL_E_FILE, "-sourcefile %s: line %lu: '%.40s' is not a number",
                               path, lineno, bad);
        else if (n > 0 && push_row(&rows, &count, &cap, v))
            rc = nbcl_err_code(err, NBCL_E_NOMEM, "-sourcefile %s: out of memory", path);
    }
    free(line);
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
