/* error.c: the one-line error message carried by nbcl_err. */
#include <stdarg.h>
#include <stdio.h>
#include "base/error.h"

int nbcl_err_set(nbcl_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}
