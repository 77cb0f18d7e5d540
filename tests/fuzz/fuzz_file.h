/* fuzz_file.h: the readers under fuzzing take a path, libFuzzer hands bytes: each input is
 * written to one scratch file per process (rewritten for every input), whose path the
 * target passes to the reader. Header-only. */
#ifndef NBCL_FUZZ_FILE_H
#define NBCL_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The scratch file holding data[0..size), or NULL when it cannot be written. */
static __attribute__((unused)) const char *fuzz_file(const uint8_t *data, size_t size)
{
    static char path[64];
    static int fd = -1;
    if (fd < 0) {
        const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(path, sizeof path, "%.40s/nbcl-fuzz-XXXXXX", dir);
        fd = mkstemp(path);
        if (fd < 0) return NULL;
        unlink(path);                       /* gone at exit; reached through /proc */
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) return NULL;
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) return NULL;
        done += (size_t)n;
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
