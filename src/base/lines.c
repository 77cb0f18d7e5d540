/* lines.c: bounded line reading (see lines.h). */
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"

enum nbcl_line_result nbcl_read_line(FILE *fp, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    while ((c = getc(fp)) != EOF) {
        if (c == '\n') break;
        if (c == '\0') return NBCL_LINE_BINARY;
        if (n + 1 >= cap) return NBCL_LINE_TOO_LONG;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (c == EOF) {
        if (ferror(fp)) return NBCL_LINE_ERROR;
        if (n == 0) return NBCL_LINE_EOF;
    }
    return NBCL_LINE_OK;
}

const char *nbcl_line_problem(enum nbcl_line_result r)
{
    switch (r) {
    case NBCL_LINE_TOO_LONG: return "a line longer than 4096 characters (not a text file of this kind?)";
    case NBCL_LINE_BINARY: return "binary data (a NUL byte): not a text file";
    case NBCL_LINE_ERROR: return "read error";
    default: return "no problem";
    }
}

int nbcl_line_numbers(char *line, const char *delims, double *v, int max, char **bad)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, delims, &save); tok && n < max; tok = strtok_r(NULL, delims, &save)) {
        char *end;
        double x = strtod(tok, &end);
        if (end == tok || *end != '\0') {
            *bad = tok;
            return -1;
        }
        v[n++] = x;
    }
    return n;
}
