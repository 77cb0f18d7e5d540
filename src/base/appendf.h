/* appendf.h: printf into a fixed text buffer piece by piece (file headers are built this
 * way); the length keeps growing past the capacity so the caller can tell it overflowed. */
#ifndef NBCL_BASE_APPENDF_H
#define NBCL_BASE_APPENDF_H

#include <stddef.h>

void nbcl_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
