/* log.c: printf-style pieces gathered into lines for the log callback (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/log.h"

void nbcl_log_init(nbcl_log *log, nbcl_log_fn fn, void *user)
{
    memset(log, 0, sizeof *log);
    log->fn = fn;
    log->user = user;
}

static void emit(nbcl_log *log)
{
    log->line[log->len] = '\0';
    if (log->fn) {
        nbcl_log_level level = strncmp(log->line, "WARNING", 7) == 0 ? NBCL_LOG_WARNING
                                                                      : NBCL_LOG_INFO;
        log->fn(log->user, level, log->line);
    }
    log->len = 0;
}

static void append(nbcl_log *log, const char *text)
{
    for (const char *p = text; *p; ++p) {
        if (*p == '\n') {
            emit(log);
            continue;
        }
        if (log->len + 1 >= sizeof log->line) emit(log);   /* an overlong line is split */
        log->line[log->len++] = *p;
    }
}

void nbcl_logf(nbcl_log *log, const char *fmt, ...)
{
    if (!log || !log->fn) return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    append(log, buf);
}

int nbcl_log_listing(nbcl_log *log, long i, long n, const char *what)
{
    if (i < NBCL_LOG_LIST_MAX) return 1;
    if (i == NBCL_LOG_LIST_MAX)
        nbcl_logf(log, "  ... %ld more %s not listed (listings stop at %d lines)\n", n - i, what,
                  NBCL_LOG_LIST_MAX);
    return 0;
}

void nbcl_log_flush(nbcl_log *log)
{
    if (log && log->len) emit(log);
}
