/* log.h: where libnbcl's messages go. Every layer prints its lines (nanoBragg's setup log,
 * warnings, progress notes) through an nbcl_log, which gathers printf-style pieces into
 * whole lines and hands each to the caller's callback (nbcl_log_fn of the public API).
 * A line that starts with "WARNING" is passed on as a warning. A NULL log drops everything,
 * so callers never test for it. */
#ifndef NBCL_BASE_LOG_H
#define NBCL_BASE_LOG_H

#include "nbcl/nbcl.h"

typedef struct nbcl_log {
    nbcl_log_fn fn;
    void *user;
    char line[2048];
    size_t len;
} nbcl_log;

void nbcl_log_init(nbcl_log *log, nbcl_log_fn fn, void *user);
/* Append formatted text; every completed line goes to the callback. */
void nbcl_logf(nbcl_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Per-item listings (phi steps, sources, ...) are capped: item i of a listing of n is
 * logged when this returns 1; at the cap one line says how many more there are. */
#define NBCL_LOG_LIST_MAX 1000
int nbcl_log_listing(nbcl_log *log, long i, long n, const char *what);

/* Hand over a pending partial line, if any. */
void nbcl_log_flush(nbcl_log *log);

#endif
