/* outfile.c: temporary-then-rename output files, so an interrupted or failed run never
 * leaves a truncated image behind under its final name. The rename itself is
 * outgroup.c's: at once, or together with the other files of an open group. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io/outfile.h"
#include "io/outgroup.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

static size_t page_bytes(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return (size_t)(page > 0 ? page : 4096);
}

void nbcl_outfile_prefault(nbcl_outfile *of, size_t offset, size_t len)
{
    if (!of->map || offset >= of->map_size) return;
    size_t step = page_bytes(), first = offset / step * step;
    if (len > of->map_size - offset) len = of->map_size - offset;
    char *start = (char *)of->map + first;
    len += offset - first;
    if (madvise(start, len, MADV_POPULATE_WRITE) == 0) return;
    /* a kernel without it: a read of each page (a store could not be undone) */
    for (size_t i = 0; i < len; i += step) (void)*(volatile char *)(start + i);
}

static void outfile_release(nbcl_outfile *of)
{
    if (of->map) munmap(of->map, of->map_size);
    of->map = NULL;
    of->map_size = 0;
    free(of->path);
    free(of->tmp);
    of->fp = NULL;
    of->path = of->tmp = NULL;
}

/* The process umask, read without leaving it changed. */
static mode_t current_umask(void)
{
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int open_error(const char *path, int code, nbcl_err *err)
{
    char *dir = dir_of(path);
    struct stat st;
    int missing = dir && stat(dir, &st) != 0;
    int rc = missing
        ? nbcl_err_set(err, "%s: cannot create output file: directory %s does not exist",
                       path, dir)
        : nbcl_err_set(err, "%s: cannot create output file: %s", path, strerror(code));
    free(dir);
    return rc;
}

int nbcl_outfile_open(nbcl_outfile *of, const char *path, nbcl_err *err)
{
    memset(of, 0, sizeof *of);
    if (!path || !*path) return nbcl_err_set(err, "output file name is empty");
    /* a device or pipe (/dev/null, /dev/stdout, a FIFO) is written in place: renaming a
     * temporary file over it would replace the device itself */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        of->path = strdup(path);
        of->fp = of->path ? fopen(path, "wb") : NULL;
        if (!of->fp) {
            int code = errno;
            outfile_release(of);
            return open_error(path, code, err);
        }
        return 0;
    }
    size_t len = strlen(path);
    of->path = strdup(path);
    of->tmp = malloc(len + sizeof ".tmp.XXXXXX");
    if (!of->path || !of->tmp) {
        outfile_release(of);
        return nbcl_err_set(err, "%s: out of memory", path);
    }
    memcpy(of->tmp, path, len);
    memcpy(of->tmp + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = nbcl_temp_create(of->tmp);   /* noted: removed on a fatal signal */
    if (fd < 0) {
        int code = errno;
        outfile_release(of);
        return open_error(path, code, err);
    }
    fchmod(fd, 0666 & ~current_umask());
    of->fp = fdopen(fd, "wb");
    if (!of->fp) {
        int code = errno;
        close(fd);
        unlink(of->tmp);
        nbcl_temp_forget(of->tmp);
        outfile_release(of);
        return nbcl_err_set(err, "%s: cannot open output file: %s", path, strerror(code));
    }
    return 0;
}

/* size bytes of blocks for fd: 0, 1 where this file system cannot reserve them, -1 (errno)
 * where there is no room */
static int reserve_blocks(int fd, size_t size)
{
#ifdef __linux__
    if (fallocate(fd, 0, 0, (off_t)size) == 0) return 0;
    return errno == ENOSPC || errno == EFBIG || errno == EDQUOT ? -1 : 1;
#else
    (void)fd;   /* elsewhere the file is written through fp (posix_fallocate may write
                   every block, and is not everywhere) */
    (void)size;
    return 1;
#endif
}

int nbcl_outfile_positional(nbcl_outfile *of, size_t size, nbcl_err *err)
{
    if (!of->fp || !of->tmp || of->map || size == 0 || (off_t)size < 0 || ftell(of->fp) != 0)
        return 1;
    int r = reserve_blocks(fileno(of->fp), size);
    if (r < 0) return nbcl_err_set(err, "%s: cannot write output file: %s", of->path, strerror(errno));
    return r;
}

/* a file that takes writes at any place (its blocks reserved), mapped */
int nbcl_outfile_map(nbcl_outfile *of, size_t size, void **data, nbcl_err *err)
{
    *data = NULL;
    int r = nbcl_outfile_positional(of, size, err);
    if (r) return r;
    int fd = fileno(of->fp);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        if (ftruncate(fd, 0) != 0)
            return nbcl_err_set(err, "%s: cannot write output file: %s", of->path, strerror(errno));
        return 1;
    }
    of->map = m;
    of->map_size = size;
    *data = m;
    return 0;
}

int nbcl_outfile_pwrite(nbcl_outfile *of, const void *data, size_t len, size_t offset)
{
    int fd = fileno(of->fp);
    const char *p = data;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        p += n;
        offset += (size_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int nbcl_outfile_commit(nbcl_outfile *of, nbcl_err *err)
{
    if (!of->fp) return nbcl_err_set(err, "%s: output file is not open",
                                     of->path ? of->path : "(null)");
    if (of->map) munmap(of->map, of->map_size);   /* the stores are the file's pages already */
    of->map = NULL;
    int bad = ferror(of->fp);
    int code = bad ? EIO : 0;
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        code = errno;
    }
    of->fp = NULL;
    int rc = 0;
    if (bad) {
        if (of->tmp) {
            unlink(of->tmp);
            nbcl_temp_forget(of->tmp);
        }
        rc = nbcl_err_set(err, "%s: cannot write output file: %s", of->path, strerror(code));
    } else if (of->tmp) {
        rc = nbcl_temp_publish(of->tmp, of->path, err);   /* now, or with its group */
    }
    outfile_release(of);
    return rc;
}

void nbcl_outfile_abort(nbcl_outfile *of)
{
    if (of->fp) {
        fclose(of->fp);
        if (of->tmp) {
            unlink(of->tmp);
            nbcl_temp_forget(of->tmp);
        }
    }
    outfile_release(of);
}

int nbcl_outfile_write_bytes(const char *path, const void *data, size_t size, nbcl_err *err)
{
    nbcl_outfile of;
    if (nbcl_outfile_open(&of, path, err)) return -1;
    if (size && fwrite(data, 1, size, of.fp) != size) {
        nbcl_outfile_abort(&of);
        return nbcl_err_set(err, "%s: cannot write output file: %s", path, strerror(errno));
    }
    return nbcl_outfile_commit(&of, err);
}

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 1;
}

/* Big-endian hosts: byte-swap a chunk into buf before writing. */
static void float_to_le(const float *src, size_t n, unsigned char *buf)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4];
        memcpy(b, &src[i], 4);
        for (int j = 0; j < 4; j++) buf[4 * i + j] = b[3 - j];
    }
}

int nbcl_floatfile_append(nbcl_outfile *of, const float *data, size_t n, nbcl_err *err)
{
    if (host_is_little_endian()) {
        if (n && fwrite(data, sizeof(float), n, of->fp) != n)
            return nbcl_err_set(err, "%s: cannot write output file: %s", of->path, strerror(errno));
        return 0;
    }
    unsigned char buf[4 * 4096];
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < 4096 ? n - done : 4096;
        float_to_le(data + done, chunk, buf);
        if (fwrite(buf, 4, chunk, of->fp) != chunk)
            return nbcl_err_set(err, "%s: cannot write output file: %s", of->path, strerror(errno));
        done += chunk;
    }
    return 0;
}

int nbcl_floatfile_write(const char *path, const float *data, size_t n, nbcl_err *err)
{
    nbcl_outfile of;
    if (nbcl_outfile_open(&of, path, err)) return -1;
    if (nbcl_floatfile_append(&of, data, n, err)) {
        nbcl_outfile_abort(&of);
        return -1;
    }
    return nbcl_outfile_commit(&of, err);
}

int nbcl_floatfile_map(nbcl_outfile *of, size_t n, float **data, nbcl_err *err)
{
    *data = NULL;
    if (!host_is_little_endian() || n > SIZE_MAX / sizeof(float)) return 1;
    void *m = NULL;
    int rc = nbcl_outfile_map(of, n * sizeof(float), &m, err);
    *data = m;
    return rc;
}
