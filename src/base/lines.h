/* lines.h: reading text files line by line with a bound, so that a file that is no text
 * (/dev/zero, a binary file, an endless line) is refused after a few kilobytes instead of
 * being read into memory without limit. */
#ifndef NBCL_BASE_LINES_H
#define NBCL_BASE_LINES_H

#include <stddef.h>
#include <stdio.h>

#define NBCL_LINE_MAX 4096   /* longer than any line of the text formats read here */

enum nbcl_line_result {
    NBCL_LINE_OK = 1,        /* buf holds the line (without its newline), NUL-terminated */
    NBCL_LINE_EOF = 0,       /* nothing left */
    NBCL_LINE_TOO_LONG = -1, /* more than cap-1 characters before a newline */
    NBCL_LINE_BINARY = -2,   /* a NUL byte: not a text file */
    NBCL_LINE_ERROR = -3     /* a read error (errno says which) */
};

/* The next line of fp into buf (cap bytes). */
enum nbcl_line_result nbcl_read_line(FILE *fp, char *buf, size_t cap);

/* "line too long", "binary data (a NUL byte)" or "read error" for a failed result. */
const char *nbcl_line_problem(enum nbcl_line_result r);

enum nbcl_file_result {
    NBCL_FILE_OK = 0,
    NBCL_FILE_OPEN,          /* cannot open (errno says why) */
    NBCL_FILE_TOO_BIG,       /* more than max bytes */
    NBCL_FILE_BINARY,        /* a NUL byte, with refuse_nul: not a text file */
    NBCL_FILE_READ,          /* a read error (errno says which) */
    NBCL_FILE_NOMEM
};

/* The whole of a text file into *text (malloc'd, NUL-terminated): at most max bytes (0: no
 * bound), and with refuse_nul a NUL byte stops it at once (/dev/zero, an image). */
enum nbcl_file_result nbcl_read_text_file(const char *path, size_t max, int refuse_nul, char **text);

/* The first max numbers of a line split at any of delims (the line is cut up, as strtok
 * does): returns how many (0 for a blank line), or -1 with *bad at the first token that is
 * no number. */
int nbcl_line_numbers(char *line, const char *delims, double *v, int max, char **bad);

#endif
