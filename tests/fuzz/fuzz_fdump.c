/* fuzz_fdump.c: the Fdump.bin loader (nanoBragg's binary HKL cache) on arbitrary bytes. */
#include "fuzz_file.h"
#include "io/hkl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    nbcl_hkl g;
    nbcl_err err = {0};
    if (nbcl_fdump_read(path, &g, &err) == 0) nbcl_hkl_free(&g);
    return 0;
}
