/* fuzz_matfile.c: the orientation-matrix reader (-mat) on arbitrary bytes. */
#include "fuzz_file.h"
#include "io/matfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    double m[9];
    nbcl_err err = {0};
    nbcl_matfile_read(path, m, NULL, &err);
    return 0;
}
