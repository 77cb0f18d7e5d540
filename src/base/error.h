/* error.h: how libnbcl reports failure inside the library.
 * Every fallible call takes an nbcl_err* and returns 0 on success, nonzero on failure,
 * leaving one line (no newline) in err->msg that names the flag or file and what is wrong,
 * and in err->code the kind of failure (an nbcl_status of the public API; 0 = not said,
 * the public entry point then chooses by what it was doing). */
#ifndef NBCL_ERROR_H
#define NBCL_ERROR_H

#include <stddef.h>
#include "nbcl/nbcl.h"

typedef struct nbcl_err {
    char msg[1024];
    int code;
} nbcl_err;

/* printf-style; always returns -1 so callers can `return nbcl_err_set(...)`. err may be
 * NULL. Leaves err->code as it is. */
int nbcl_err_set(nbcl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same, also setting err->code (an nbcl_status). */
int nbcl_err_code(nbcl_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
