/* tables.h: the host side of the tables of abi.h: filling them from a resolved simulation
 * and moving them to a device in its precision (doubles, or float pairs in a single run). */
#ifndef NBCL_ENGINE_TABLES_H
#define NBCL_ENGINE_TABLES_H

#include <CL/cl.h>
#include <stddef.h>
#include "base/error.h"
#include "engine/abi.h"
#include "model/sim.h"

/* P[KP_*] */
void nbcl_fill_params(const nbcl_sim *sim, double P[KP_COUNT]);
/* G[KI_*] for norient orientations */
void nbcl_fill_ints(const nbcl_sim *sim, int norient, cl_int G[KI_COUNT]);
/* NBCL_SRC_FIELDS per source: the incident direction (toward the sample) and lambda (m), or
 * 1/lambda in a single run (the kernel multiplies by it); malloc'd. */
double *nbcl_source_table(const nbcl_sim *sim, int use_double);

/* The lone-source table of abi.h for orientation axes (a, b, c: 9 doubles): per source
 * a.i, b.i, c.i and 1/lambda, in NBCL_SRC_FIELDS slots; malloc'd. */
double *nbcl_lone_source_table(const nbcl_sim *sim, const double *axes);

/* How a table's values lie on a device (the kernels read them as kernels/wide.cl says) */
enum nbcl_table_layout {
    NBCL_TABLE_FLOATS = 0,    /* floats: plain where block is 0, else float pairs in blocks of
                                 `block` high parts then `block` low parts (a single run) */
    NBCL_TABLE_DOUBLES = 1,   /* doubles (a double run) */
    NBCL_TABLE_WIDE = 2       /* a single run whose wide values are doubles (NBCL_WIDE_DOUBLE):
                                 each block's float pairs, then the block again in doubles, so
                                 that a wide value is one load, not two floats put together
                                 per work-item (block 0: plain floats) */
};

/* The layout of the tables holding wide values (the parameters and the crystal
 * orientations): doubles in a double run; in a single run float pairs, and after them the
 * same values in doubles where the kernels' wide values are doubles (kernels/wide.cl). */
int nbcl_wide_table_layout(int use_double, int wide_double);

/* Bytes a table of n values takes on a device in a layout (enum nbcl_table_layout); n is a
 * whole number of blocks. */
size_t nbcl_device_bytes(size_t n, int layout, size_t block);
/* A read-only buffer holding v in a layout (see nbcl_device_bytes). */
cl_mem nbcl_upload(cl_context ctx, const double *v, size_t n, size_t block, int layout,
                   const char *what, nbcl_err *err);
/* Overwrite such a buffer (a blocking write on q). */
int nbcl_write_table(cl_command_queue q, cl_mem buf, const double *v, size_t n, size_t block,
                     int layout, const char *what, nbcl_err *err);

#endif
