/* fuzz_hkl.c: the HKL text reader (-hkl) on arbitrary bytes. The memory cap is lowered so
 * that a wide but valid index range is refused rather than allocated. */
#include "fuzz_file.h"
#include "base/memcap.h"
#include "io/hkl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    nbcl_memory_cap_set_gb(0.25);
    nbcl_hkl g;
    nbcl_err err = {0};
    if (nbcl_hkl_read(path, 1.0, &g, NULL, &err) == 0) nbcl_hkl_free(&g);
    return 0;
}
