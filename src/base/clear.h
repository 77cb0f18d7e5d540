/* clear.h: zeroing large image buffers without making them cost memory.
 * A freshly calloc'd buffer of many megabytes is mapped lazily: its pages cost nothing
 * until written. The reference fills only the ROI of its calloc'd image, so a small ROI on a
 * huge detector stays small in memory; zeroing the rest with memset would fault in every
 * page. nbcl_clear writes only the pages that are not zero already (reading a never-written
 * page maps the shared zero page, which costs no memory). */
#ifndef NBCL_BASE_CLEAR_H
#define NBCL_BASE_CLEAR_H

#include <stddef.h>
#include <string.h>

/* p[0..bytes) = 0, writing only the 4 KiB stretches that hold a nonzero byte (compared with
 * memcmp, which the C library vectorizes) */
static inline void nbcl_clear(void *p, size_t bytes)
{
    static const unsigned char zeros[4096];
    unsigned char *b = p;
    while (bytes > 0) {
        size_t n = bytes < sizeof zeros ? bytes : sizeof zeros;
        if (memcmp(b, zeros, n) != 0) memset(b, 0, n);
        b += n;
        bytes -= n;
    }
}

#endif
