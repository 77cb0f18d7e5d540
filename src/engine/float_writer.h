/* float_writer.h: what nbcl_engine_run needs to know of the float writers (images.c): whether
 * its image is a writer's freshly mapped file, all 0 already, whose pages outside the ROI
 * must then not be read (reading a page of a mapped file brings it into memory). */
#ifndef NBCL_ENGINE_FLOAT_WRITER_H
#define NBCL_ENGINE_FLOAT_WRITER_H

#include <stddef.h>

/* 1 when image[0..count) is the mapped memory of an open float writer that no run has
 * stored into yet (nbcl_float_writer_map's pixels, 0 as the file reads); it counts as
 * stored into from now on. 0 otherwise. Thread-safe. */
int nbcl_float_writer_take_fresh(const float *image, size_t count);

#endif
