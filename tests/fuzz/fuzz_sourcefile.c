/* fuzz_sourcefile.c: the source-file reader (-sourcefile) on arbitrary bytes. */
#include "fuzz_file.h"
#include "io/sourcefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    double *rows = NULL;
    int n = 0;
    nbcl_err err = {0};
    if (nbcl_sourcefile_read(path, &rows, &n, &err) == 0) free(rows);
    return 0;
}
