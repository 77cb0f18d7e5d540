/* fake_formats_module.c: a module with the formats module's entry and a table of the right
 * sizes that says another ABI number, as a libnbcl-formats.so from another build of
 * nanoBragg-CL would: test_formats_module checks that libnbcl refuses it (it has no
 * functions to call). */
#include "io/formats_module.h"

static const nbcl_formats_module table = {
    .abi = NBCL_FORMATS_MODULE_ABI + 1,
    .err_size = sizeof(nbcl_err),
    .nexus_geometry_size = sizeof(nbcl_nexus_geometry),
    .cbf_meta_size = sizeof(nbcl_cbf_meta),
};

__attribute__((visibility("default"))) nbcl_formats_entry_fn nbcl_formats_module_entry;

const nbcl_formats_module *nbcl_formats_module_entry(const nbcl_formats_host *host)
{
    (void)host;
    return &table;
}
