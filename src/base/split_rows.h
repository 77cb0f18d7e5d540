/* split_rows.h: one pass over the rows of a large image shared out among the processor's
 * cores. Conversions such as float -> SMV integers are pixel by pixel and independent; on a
 * machine whose cores are otherwise idle after the kernels (the files are written once the
 * last tile is in), one core doing them all leaves the others waiting. */
#ifndef NBCL_BASE_SPLIT_ROWS_H
#define NBCL_BASE_SPLIT_ROWS_H

#include <stddef.h>

/* fn(user, y0, y1) for rows [y0, y1): [0, rows) cut into contiguous parts, one per online
 * core (at most 8), each part on a thread of its own and the first on the calling thread;
 * all parts are done when it returns. Below bytes_min bytes of work (bytes: the pass's
 * whole output), or where no thread can be had, one call does all rows. Each row is given
 * to exactly one call, so the result is the same however the rows were cut. */
void nbcl_split_rows(int rows, size_t bytes, size_t bytes_min,
                     void (*fn)(void *user, int y0, int y1), void *user);

#endif
