/* fuzz_smv.c: the SMV image reader (-img, -mask) on arbitrary bytes. */
#include "fuzz_file.h"
#include "io/smv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    nbcl_smv_image img;
    nbcl_err err = {0};
    if (nbcl_smv_read(path, &img, &err) == 0) nbcl_smv_free(&img);
    return 0;
}
