/* formats_module.h: what libnbcl and its format module, libnbcl-formats.so, pass each
 * other. The module holds the writers that need HDF5 and libcbf (io/nexus.c, io/cbf.c).
 * Those two libraries bring about thirty more (HDF5's remote-file driver pulls in curl,
 * TLS, Kerberos and LDAP); mapped and relocated at every start of every program linking
 * libnbcl they cost about 8 ms a process, more than half of its time before main. So
 * libnbcl loads the module only when a NeXus or CBF file is written or read
 * (formats_loader.c), and a run that writes neither never maps them.
 *
 * The module reaches the one piece of libnbcl's state it uses, the registry of temporary
 * files that a signal removes and an output group publishes together (io/outgroup.h),
 * through the host table; everything else it needs (errors, appendf, outfile) it holds as
 * its own copies of those stateless files. */
#ifndef NBCL_IO_FORMATS_MODULE_H
#define NBCL_IO_FORMATS_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "io/cbf.h"
#include "io/nexus.h"

#define NBCL_FORMATS_MODULE_FILE "libnbcl-formats.so"
#define NBCL_FORMATS_MODULE_ENTRY "nbcl_formats_module_entry"
#define NBCL_FORMATS_MODULE_ABI 1   /* raise when a table or a structure below changes */

/* libnbcl's side: the temporary-file registry (io/outgroup.h) */
typedef struct nbcl_formats_host {
    int abi;
    int (*temp_create)(char *tmpl);
    void (*temp_forget)(const char *tmp);
    int (*temp_publish)(const char *tmp, const char *path, nbcl_err *err);
} nbcl_formats_host;

/* the module's side: io/nexus.h and io/cbf.h, and the sizes it was built with */
typedef struct nbcl_formats_module {
    int abi;
    size_t err_size, nexus_geometry_size, cbf_meta_size;
    int (*nexus_open)(const char *path, const nbcl_nexus_geometry *g, int expected_images,
                      nbcl_nexus **out, nbcl_err *err);
    int (*nexus_append)(nbcl_nexus *nx, const int32_t *counts, double angle_start_deg,
                        double angle_range_deg, const double *umat, nbcl_err *err);
    int (*nexus_close)(nbcl_nexus *nx, nbcl_err *err);
    void (*nexus_abort)(nbcl_nexus *nx);
    const char *(*nexus_compression)(const nbcl_nexus *nx);
    int (*cbf_write)(const char *path, const nbcl_cbf_meta *m, const int32_t *counts, nbcl_err *err);
    int (*cbf_read)(const char *path, nbcl_cbf_meta *m, int32_t **counts, nbcl_err *err);
} nbcl_formats_module;

/* The module's one exported symbol (NBCL_FORMATS_MODULE_ENTRY): keeps host (which must
 * outlive the process's use of the module) and returns its table, or NULL when host's abi
 * is not its own. */
typedef const nbcl_formats_module *nbcl_formats_entry_fn(const nbcl_formats_host *host);

/* libnbcl's side (formats_loader.c): load the module once, on first use, and check it.
 * Returns its table, or NULL with err saying which file could not be loaded and why;
 * "what path" (e.g. "-cbffile" "out.cbf") names what needed it in that message.
 * Thread-safe. */
const nbcl_formats_module *nbcl_formats_load(const char *what, const char *path, nbcl_err *err);

#endif
