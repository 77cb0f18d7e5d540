/* pgm.c: the reference's quick-look PGM, so that outputs stay byte-identical to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "io/outfile.h"
#include "io/pgm.h"

static unsigned char pgm_pixel(float v, double scale)
{
    double t = v * scale;
    if (t > 255.0) t = 255.0;
    if (!(t >= 0.0)) t = 0.0;
    return (unsigned char)t;
}

int nbcl_pgm_write(const char *path, const float *img, int fpixels, int spixels,
                   const int roi[4], double scale, nbcl_err *err)
{
    size_t n = (size_t)fpixels * (size_t)spixels;
    unsigned char *bytes = calloc(n ? n : 1, 1);
    if (!bytes) return nbcl_err_set(err, "%s: out of memory", path);
    for (int s = 0; s < spixels; s++)
        for (int f = 0; f < fpixels; f++) {
            if (roi && (f < roi[0] || f > roi[1] || s < roi[2] || s > roi[3])) continue;
            size_t i = (size_t)s * (size_t)fpixels + (size_t)f;
            bytes[i] = pgm_pixel(img[i], scale);
        }
    nbcl_outfile of;
    int rc = nbcl_outfile_open(&of, path, err);
    if (!rc) {
        fprintf(of.fp, "P5\n%d %d\n# pixels scaled by %g\n255\n", fpixels, spixels, scale);
        if (fwrite(bytes, 1, n, of.fp) != n) {
            nbcl_outfile_abort(&of);
            rc = nbcl_err_set(err, "%s: cannot write PGM image: %s", path, strerror(errno));
        } else {
            rc = nbcl_outfile_commit(&of, err);
        }
    }
    free(bytes);
    return rc;
}
