/* hkl.c: structure factors from an "h k l F" text file, and the Fdump.bin cache that the
 * reference writes after reading one. The text is parsed line by line so that extra columns
 * (phase, sigma) cannot shift later records and a malformed line is reported by number. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/lines.h"
#include "io/hkl.h"
#include "io/outfile.h"


/* One parsed record. */
typedef struct hkl_entry {
    double v[4];   /* h k l F as written */
    int idx[3];    /* rounded indices */
} hkl_entry;

enum { LINE_SKIP = 0, LINE_ENTRY = 1, LINE_ERROR = -1 };

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The end of the whitespace-delimited token starting at p. */
static const char *token_end(const char *p)
{
    while (*p && !is_space(*p)) p++;
    return p;
}

static const char *skip_space(const char *p)
{
    while (is_space(*p)) p++;
    return p;
}

static int is_comment_or_blank(const char *p)
{
    p = skip_space(p);
    return *p == '\0' || *p == '#';
}

/* Parse the first four numbers of a line; later columns are ignored. */
static int parse_line(const char *line, const char *path, long lineno, hkl_entry *e,
                      nbcl_err *err)
{
    if (is_comment_or_blank(line)) return LINE_SKIP;
    const char *p = line;
    for (int i = 0; i < 4; i++) {
        p = skip_space(p);
        if (*p == '\0' || *p == '#') {
            nbcl_err_set(err, "%s line %ld: expected h k l F, found only %d number%s",
                         path, lineno, i, i == 1 ? "" : "s");
            return LINE_ERROR;
        }
        const char *end = token_end(p);
        char *stop;
        errno = 0;
        e->v[i] = strtod(p, &stop);
        if (stop != end || !isfinite(e->v[i])) {
            nbcl_err_set(err, "%s line %ld: '%.*s' is not a number", path, lineno,
                         (int)(end - p > 40 ? 40 : end - p), p);
            return LINE_ERROR;
        }
        p = end;
    }
    for (int i = 0; i < 3; i++) {
        if (fabs(e->v[i]) > NBCL_HKL_INDEX_LIMIT) {
            nbcl_err_set(err, "%s line %ld: index %g is out of range", path, lineno, e->v[i]);
            return LINE_ERROR;
        }
        e->idx[i] = (int)lround(e->v[i]);
    }
    return LINE_ENTRY;
}

/* Same test as the reference: anything that is not a whole number draws a warning. */
static void warn_non_integer(const hkl_entry *e, long lineno, nbcl_log *log)
{
    static const char names[3] = {'h', 'k', 'l'};
    if (!log) return;
    for (int i = 0; i < 3; i++)
        if (e->v[i] != ceil(e->v[i] - 0.4))
            nbcl_logf(log, "WARNING: non-integer value for %c (%g) at line %ld\n",
                    names[i], e->v[i], lineno);
}

typedef int (*entry_fn)(void *ctx, const hkl_entry *e, long lineno);

/* Read every line of fp, handing each entry to fn. Returns the entry count or -1. */
static long for_each_entry(FILE *fp, const char *path, entry_fn fn, void *ctx, nbcl_err *err)
{
    char line[NBCL_LINE_MAX];
    long lineno = 0, entries = 0;
    enum nbcl_line_result r;
    while ((r = nbcl_read_line(fp, line, sizeof line)) == NBCL_LINE_OK) {
        hkl_entry e;
        int kind = parse_line(line, path, ++lineno, &e, err);
        if (kind == LINE_ERROR) entries = -1;
        else if (kind == LINE_ENTRY && fn(ctx, &e, lineno)) entries = -1;
        else entries += kind;
        if (entries < 0) break;
    }
    if (entries >= 0 && r != NBCL_LINE_EOF)
        entries = nbcl_err_code(err, NBCL_E_FILE, "%s line %ld: %s", path, lineno + 1, nbcl_line_problem(r));
    return entries;
}

typedef struct extent_ctx {
    nbcl_hkl *hkl;
    nbcl_log *log;
} extent_ctx;

static int count_entry(void *vctx, const hkl_entry *e, long lineno)
{
    extent_ctx *ctx = vctx;
    nbcl_hkl *g = ctx->hkl;
    warn_non_integer(e, lineno, ctx->log);
    int *mins[3] = {&g->h_min, &g->k_min, &g->l_min};
    int *maxs[3] = {&g->h_max, &g->k_max, &g->l_max};
    for (int i = 0; i < 3; i++) {
        if (*mins[i] > e->idx[i]) *mins[i] = e->idx[i];
        if (*maxs[i] < e->idx[i]) *maxs[i] = e->idx[i];
    }
    return 0;
}

typedef struct fill_ctx {
    nbcl_hkl *hkl;
    const char *path;
    nbcl_err *err;
} fill_ctx;

static int fill_entry(void *vctx, const hkl_entry *e, long lineno)
{
    fill_ctx *ctx = vctx;
    nbcl_hkl *g = ctx->hkl;
    int h = e->idx[0], k = e->idx[1], l = e->idx[2];
    if (h < g->h_min || h > g->h_max || k < g->k_min || k > g->k_max || l < g->l_min
        || l > g->l_max)
        return nbcl_err_set(ctx->err, "%s line %ld: file changed while being read", ctx->path,
                            lineno);
    g->F[nbcl_hkl_index(g, h, k, l)] = e->v[3];
    return 0;
}

int nbcl_hkl_read(const char *path, double default_F, nbcl_hkl *out, nbcl_log *log, nbcl_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) return nbcl_err_set(err, "-hkl %s: cannot open: %s", path, strerror(errno));
    nbcl_hkl g = {.h_min = INT_MAX, .k_min = INT_MAX, .l_min = INT_MAX,
                  .h_max = INT_MIN, .k_max = INT_MIN, .l_max = INT_MIN};
    nbcl_logf(log, "counting entries in %s\n", path);
    extent_ctx ectx = {&g, log};
    long n = for_each_entry(fp, path, count_entry, &ectx, err);
    if (n == 0) nbcl_err_set(err, "%s: no h k l F entries in the file", path);
    if (n <= 0) {
        fclose(fp);
        return -1;
    }
    nbcl_hkl_set_ranges(&g);
    g.hkls = n;
    if (nbcl_hkl_alloc(&g, default_F, path, log, err)) {
        fclose(fp);
        return -1;
    }
    rewind(fp);
    nbcl_logf(log, "re-reading %s\n", path);
    fill_ctx fctx = {&g, path, err};
    long again = for_each_entry(fp, path, fill_entry, &fctx, err);
    fclose(fp);
    if (again != n) {
        if (again >= 0) nbcl_err_set(err, "%s: file changed while being read", path);
        nbcl_hkl_free(&g);
        return -1;
    }
    *out = g;
    return 0;
}

/* ---- Fdump.bin ---- */

int nbcl_fdump_save(const char *path, const nbcl_hkl *hkl, nbcl_log *log, nbcl_err *err)
{
    if (!hkl->F) return nbcl_err_set(err, "%s: no structure factors to dump", path);
    nbcl_outfile of;
    if (nbcl_outfile_open(&of, path, err)) return -1;
    nbcl_logf(log, "writing dump file for next time: %s\n", path);
    fprintf(of.fp, "%d %d %d %d %d %d\n\f", hkl->h_min, hkl->h_max, hkl->k_min, hkl->k_max,
            hkl->l_min, hkl->l_max);
    size_t n = nbcl_hkl_grid_size(hkl);
    if (fwrite(hkl->F, sizeof(double), n, of.fp) != n) {
        nbcl_outfile_abort(&of);
        return nbcl_err_set(err, "%s: cannot write dump file: %s", path, strerror(errno));
    }
    return nbcl_outfile_commit(&of, err);
}

int nbcl_fdump_write(const char *path, const nbcl_hkl *hkl, nbcl_err *err)
{
    return nbcl_fdump_save(path, hkl, NULL, err);
}

/* Read the text header up to and including "\n\f"; returns its length or -1. */
static long read_fdump_header(FILE *fp, const char *path, nbcl_hkl *g, nbcl_err *err)
{
    char head[256];
    size_t len = 0;
    int c;
    while (len < sizeof head - 1 && (c = fgetc(fp)) != EOF) {
        head[len++] = (char)c;
        if (c == '\f') break;
    }
    head[len] = '\0';
    if (len < 2 || head[len - 1] != '\f' || head[len - 2] != '\n')
        return nbcl_err_set(err, "%s: not an Fdump file (no \"h_min h_max k_min k_max l_min "
                            "l_max\" header)", path);
    int used = 0;
    if (sscanf(head, "%d %d %d %d %d %d%n", &g->h_min, &g->h_max, &g->k_min, &g->k_max,
               &g->l_min, &g->l_max, &used) != 6 || (size_t)used != len - 2)
        return nbcl_err_set(err, "%s: malformed Fdump header", path);
    /* range-check before any arithmetic: max - min + 1 must not overflow */
    int ext[6] = {g->h_min, g->h_max, g->k_min, g->k_max, g->l_min, g->l_max};
    for (int i = 0; i < 6; i++)
        if (ext[i] > NBCL_HKL_INDEX_LIMIT || ext[i] < -NBCL_HKL_INDEX_LIMIT)
            return nbcl_err_code(err, NBCL_E_FILE, "%s: impossible extents in Fdump header (index %d)",
                                 path, ext[i]);
    nbcl_hkl_set_ranges(g);
    if (g->h_range < 1 || g->k_range < 1 || g->l_range < 1 || g->h_range > 2 * NBCL_HKL_INDEX_LIMIT
        || g->k_range > 2 * NBCL_HKL_INDEX_LIMIT || g->l_range > 2 * NBCL_HKL_INDEX_LIMIT)
        return nbcl_err_set(err, "%s: impossible extents in Fdump header", path);
    return (long)len;
}

int nbcl_fdump_load(const char *path, nbcl_hkl *out, nbcl_log *log, nbcl_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return nbcl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    nbcl_logf(log, "reading Fs from %s\n", path);
    nbcl_hkl g = {0};
    struct stat st;
    long head = read_fdump_header(fp, path, &g, err);
    int rc = head < 0 ? -1 : 0;
    size_t n = rc ? 0 : nbcl_hkl_grid_size(&g);
    if (!rc && (fstat(fileno(fp), &st) != 0
                || (uint64_t)st.st_size != (uint64_t)head + (uint64_t)n * sizeof(double)))
        rc = nbcl_err_set(err, "%s: size %lld bytes does not match its header (%d..%d %d..%d "
                          "%d..%d needs %zu doubles after %ld header bytes)", path,
                          (long long)st.st_size, g.h_min, g.h_max, g.k_min, g.k_max,
                          g.l_min, g.l_max, n, head);
    if (!rc && !(g.F = malloc(n * sizeof(double))))
        rc = nbcl_err_set(err, "%s: out of memory", path);
    if (!rc && fread(g.F, sizeof(double), n, fp) != n)
        rc = nbcl_err_set(err, "%s: truncated Fdump file", path);
    fclose(fp);
    if (rc) {
        nbcl_hkl_free(&g);
        return -1;
    }
    g.hkls = (long)g.h_range * g.k_range * g.l_range;
    *out = g;
    return 0;
}

int nbcl_fdump_read(const char *path, nbcl_hkl *out, nbcl_err *err)
{
    return nbcl_fdump_load(path, out, NULL, err);
}
