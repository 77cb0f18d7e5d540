/* core_util.h: helpers shared by the tests in tests/core: golden files, scratch directories,
 * splitting a golden args.txt into argv, resolving a command line into an nbcl_sim with its
 * log captured, and reading numbers back out of a reference log. Header-only (static). */
#ifndef NBCL_TEST_CORE_UTIL_H
#define NBCL_TEST_CORE_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/setup.h"
#include "model/args.h"
#include "../support/test_log.h"
#include "base/rng.h"
#include "model/sim.h"

#define RTD (180.0 * M_1_PI)
#define MAXARGS 128

/* ---- files ---- */

static __attribute__((unused)) char *golden_path(const char *rel)
{
    const char *dir = getenv("NBCL_GOLDEN_DIR");
    cr_assert(dir != NULL, "NBCL_GOLDEN_DIR is not set");
    char *p = malloc(strlen(dir) + strlen(rel) + 2);
    sprintf(p, "%s/%s", dir, rel);
    return p;
}

/* whole file as a NUL-terminated string, or NULL */
static __attribute__((unused)) char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, o);
    fclose(f);
    fclose(o);
    return buf;
}

static __attribute__((unused)) char *golden_case_file(const char *id, const char *name)
{
    char rel[512];
    snprintf(rel, sizeof rel, "cases/%s/%s", id, name);
    char *p = golden_path(rel);
    char *text = slurp(p);
    cr_assert(text != NULL, "cannot read %s", p);
    free(p);
    return text;
}

static __attribute__((unused)) void copy_file(const char *from, const char *to)
{
    FILE *f = fopen(from, "rb");
    cr_assert(f != NULL, "cannot open %s", from);
    FILE *o = fopen(to, "wb");
    cr_assert(o != NULL, "cannot create %s", to);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, o);
    fclose(f);
    fclose(o);
}

static __attribute__((unused)) void copy_golden_input(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "inputs/%s", name);
    char *p = golden_path(rel);
    copy_file(p, name);
    free(p);
}

static __attribute__((unused)) void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* ---- scratch directory: each Criterion test runs in its own process ---- */

static char scratch_dir[256];

static __attribute__((unused)) void scratch_enter(void)
{
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/nbcl_core_XXXXXX");
    cr_assert(mkdtemp(scratch_dir) != NULL, "mkdtemp failed");
    cr_assert(chdir(scratch_dir) == 0);
}

static __attribute__((unused)) int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static __attribute__((unused)) void scratch_leave(void)
{
    if (!scratch_dir[0]) return;
    if (chdir("/") != 0) return;
    nftw(scratch_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    scratch_dir[0] = 0;
}

/* ---- command lines ---- */

typedef struct cmdline {
    char *buf;
    int argc;
    char *argv[MAXARGS];
} cmdline;

/* split on whitespace; argv[0] is the program name */
static __attribute__((unused)) void cmdline_split(cmdline *c, const char *args)
{
    c->buf = strdup(args);
    c->argc = 0;
    c->argv[c->argc++] = "nanobragg-cl";
    for (char *tok = strtok(c->buf, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        cr_assert(c->argc < MAXARGS - 1, "too many arguments");
        c->argv[c->argc++] = tok;
    }
    c->argv[c->argc] = NULL;
}

/* ---- resolving ---- */

typedef struct resolved {
    cmdline cl;
    nbcl_config cfg;
    nbcl_sim sim;
    nbcl_rng rng;
    nbcl_err err;
    nbcl_setup_files files;
    enum nbcl_cli_action action;
    char *log;
    size_t loglen;
    int parse_rc, resolve_rc;
} resolved;

/* parse then resolve `args`; returns 0 when both succeed. The log is kept in r->log. */
static __attribute__((unused)) int resolve_args(resolved *r, const char *args)
{
    memset(r, 0, sizeof *r);
    cmdline_split(&r->cl, args);
    r->parse_rc = nbcl_setup_parse(r->cl.argc, r->cl.argv, &r->cfg, &r->action, &r->files, &r->err);
    if (r->parse_rc) return -1;
    nbcl_rng_init(&r->rng);
    FILE *log = open_memstream(&r->log, &r->loglen);
    nbcl_log L = test_log_to(log);
    r->resolve_rc = nbcl_setup_resolve(&r->cfg, &r->files, &r->sim, &r->rng, &L, &r->err);
    nbcl_log_flush(&L);
    fclose(log);
    return r->resolve_rc;
}

static __attribute__((unused)) void resolved_free(resolved *r)
{
    if (r->parse_rc == 0 && r->resolve_rc == 0) nbcl_sim_free(&r->sim);
    nbcl_setup_files_free(&r->files);
    free(r->log);
    free(r->cl.buf);
}

/* args must be refused by parsing or resolving (by resolving alone when must_parse), with
 * an error message that mentions needle */
static inline void expect_refused_setup(const char *args, const char *needle, int must_parse)
{
    resolved r;
    int rc = resolve_args(&r, args);
    if (must_parse) cr_assert_eq(r.parse_rc, 0, "'%s' should parse: %s", args, r.err.msg);
    cr_assert_neq(rc, 0, "'%s' was accepted", args);
    cr_expect(strstr(r.err.msg, needle) != NULL, "'%s': '%s' does not mention %s", args, r.err.msg, needle);
    resolved_free(&r);
}

/* ---- reading logs ---- */

/* The first line of `text` that, after leading blanks, starts with `prefix`; NULL if none.
 * Returns a pointer just after the prefix. */
static __attribute__((unused)) const char *log_find(const char *text, const char *prefix)
{
    const char *p = text;
    size_t n = strlen(prefix);
    while (p && *p) {
        const char *q = p;
        while (*q == ' ' || *q == '\t') ++q;
        if (strncmp(q, prefix, n) == 0) return q + n;
        p = strchr(p, '\n');
        if (p) ++p;
    }
    return NULL;
}

/* the whole line starting with prefix (malloc'd, no newline) */
static __attribute__((unused)) char *log_line(const char *text, const char *prefix)
{
    const char *p = log_find(text, prefix);
    if (!p) return NULL;
    p -= strlen(prefix);
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *out = malloc(n + 1);
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

/* up to n numbers after prefix (separated by blanks or commas); returns how many were read */
static __attribute__((unused)) int log_numbers(const char *text, const char *prefix, double *out, int n)
{
    const char *p = log_find(text, prefix);
    if (!p) return 0;
    int k = 0;
    while (k < n) {
        while (*p == ' ' || *p == ',' || *p == '\t') ++p;
        if (*p == '\n' || *p == 0) break;
        char *end;
        double v = strtod(p, &end);
        if (end == p) break;
        out[k++] = v;
        p = end;
    }
    return k;
}

/* the lines from the first one starting with `from` up to and including the first one
 * starting with `to` (malloc'd), or NULL */
static __attribute__((unused)) char *log_block(const char *text, const char *from, const char *to)
{
    const char *a = log_find(text, from);
    if (!a) return NULL;
    a -= strlen(from);
    while (a > text && a[-1] != '\n') --a;
    const char *b = log_find(a, to);
    if (!b) return NULL;
    const char *e = strchr(b, '\n');
    e = e ? e + 1 : b + strlen(b);
    char *out = malloc((size_t)(e - a) + 1);
    memcpy(out, a, (size_t)(e - a));
    out[e - a] = 0;
    return out;
}

/* %g prints 6 significant digits: agree to that, with an absolute floor for zeros */
static __attribute__((unused)) int close_g(double got, double want, double abs_floor)
{
    return fabs(got - want) <= 6e-6 * fabs(want) + abs_floor;
}

#endif
