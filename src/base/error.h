/* error.h: how libnbcl reports failure.
 * Every fallible call takes an nbcl_err* and returns 0 on success, nonzero on failure,
 * leaving one line (no newline) in err->msg that names the flag or file and what is wrong. */
#ifndef NBCL_ERROR_H
#define NBCL_ERROR_H

#include <stddef.h>

typedef struct nbcl_err {
    char msg[1024];
} nbcl_err;

/* printf-style; always returns -1 so callers can `return nbcl_err_set(...)`. err may be NULL. */
int nbcl_err_set(nbcl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
