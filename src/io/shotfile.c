/* shotfile.c: splitting a shot list into lines of words (see shotfile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/lines.h"
#include "io/shotfile.h"


static void free_words(nbcl_shot_line *line)
{
    for (int w = 0; w < line->nwords; ++w) free(line->words[w]);
    line->nwords = 0;
}

static int split(char *text, nbcl_shot_line *out, const char *path, long lineno, nbcl_err *err)
{
    char *hash = strchr(text, '#');
    if (hash) *hash = '\0';
    memset(out, 0, sizeof *out);
    out->lineno = lineno;
    for (char *w = strtok(text, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
        if (out->nwords == NBCL_SHOT_MAX_WORDS)
            return nbcl_err_code(err, NBCL_E_FILE, "-shots %s line %ld: more than %d words", path,
                                 lineno, NBCL_SHOT_MAX_WORDS);
        if (!(out->words[out->nwords++] = strdup(w)))
            return nbcl_err_code(err, NBCL_E_NOMEM, "-shots %s: out of memory", path);
    }
    return 0;
}

static int grow(nbcl_shot_line **lines, int *cap, int count)
{
    if (count < *cap) return 0;
    int more = *cap ? 2 * *cap : 64;
    nbcl_shot_line *bigger = realloc(*lines, (size_t)more * sizeof *bigger);
    if (!bigger) return -1;
    *lines = bigger;
    *cap = more;
    return 0;
}

int nbcl_shotfile_read(const char *path, nbcl_shot_line **out, int *count_out, nbcl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return nbcl_err_code(err, NBCL_E_FILE, "-shots %s: cannot open (%s)", path, strerror(errno));
    nbcl_shot_line *lines = NULL;
    int count = 0, cap = 0, rc = 0;
    char buf[NBCL_LINE_MAX];
    long lineno = 0;
    enum nbcl_line_result r = NBCL_LINE_EOF;
    while (!rc && (r = nbcl_read_line(f, buf, sizeof buf)) == NBCL_LINE_OK) {
        ++lineno;
        if (count >= NBCL_SHOT_MAX_LINES)
            rc = nbcl_err_code(err, NBCL_E_FILE, "-shots %s: more than %d shots", path, NBCL_SHOT_MAX_LINES);
        else if (grow(&lines, &cap, count))
            rc = nbcl_err_code(err, NBCL_E_NOMEM, "-shots %s: out of memory", path);
        else if (!(rc = split(buf, &lines[count], path, lineno, err)) && lines[count].nwords > 0)
            ++count;
        else if (!rc)
            continue;
        else
            free_words(&lines[count]);   /* the line that failed */
    }
    if (!rc && r != NBCL_LINE_EOF)
        rc = nbcl_err_code(err, NBCL_E_FILE, "-shots %s line %ld: %s", path, lineno + 1, nbcl_line_problem(r));
    fclose(f);
    if (!rc && count == 0) rc = nbcl_err_code(err, NBCL_E_FILE, "-shots %s: no shots in the file", path);
    if (rc) {
        nbcl_shotfile_free(lines, count);
        return -1;
    }
    *out = lines;
    *count_out = count;
    return 0;
}

void nbcl_shotfile_free(nbcl_shot_line *lines, int count)
{
    for (int i = 0; lines && i < count; ++i) free_words(&lines[i]);
    free(lines);
}
