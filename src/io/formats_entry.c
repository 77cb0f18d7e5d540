/* formats_entry.c: the entry of libnbcl-formats.so (why the module exists:
 * formats_module.h). Its table is io/nexus.c's and io/cbf.c's functions; the temporary-file
 * calls of those files and of its copy of io/outfile.c go to libnbcl's registry through
 * the host table, so a signal still removes the module's temporaries and an output group
 * still publishes its files with the others. Built into the module only, never into
 * libnbcl (which defines these three functions itself, in io/outgroup.c). */
#include "io/formats_module.h"
#include "io/outgroup.h"

static const nbcl_formats_host *host;

int nbcl_temp_create(char *tmpl)
{
    return host->temp_create(tmpl);
}

void nbcl_temp_forget(const char *tmp)
{
    host->temp_forget(tmp);
}

int nbcl_temp_publish(const char *tmp, const char *path, nbcl_err *err)
{
    return host->temp_publish(tmp, path, err);
}

static const nbcl_formats_module table = {
    .abi = NBCL_FORMATS_MODULE_ABI,
    .err_size = sizeof(nbcl_err),
    .nexus_geometry_size = sizeof(nbcl_nexus_geometry),
    .cbf_meta_size = sizeof(nbcl_cbf_meta),
    .nexus_open = nbcl_nexus_open,
    .nexus_append = nbcl_nexus_append,
    .nexus_close = nbcl_nexus_close,
    .nexus_abort = nbcl_nexus_abort,
    .nexus_compression = nbcl_nexus_compression,
    .cbf_write = nbcl_cbf_write,
    .cbf_read = nbcl_cbf_read,
};

__attribute__((visibility("default"))) nbcl_formats_entry_fn nbcl_formats_module_entry;

const nbcl_formats_module *nbcl_formats_module_entry(const nbcl_formats_host *h)
{
    if (!h || h->abi != NBCL_FORMATS_MODULE_ABI) return NULL;
    host = h;
    return &table;
}
