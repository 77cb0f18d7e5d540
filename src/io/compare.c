/* compare.c: agreement figures between two float images (correlation, sum ratio, RMSE,
 * worst pixel, fraction out of tolerance), shared by nbcl-compare and the golden tests. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "io/compare.h"
#include "io/png.h"

typedef struct roi_box {
    int x0, x1, y0, y1;   /* inclusive */
} roi_box;

/* The roi clipped to a width x height image; nonzero if empty. */
static int clip_roi(const int roi[4], int width, int height, roi_box *b)
{
    b->x0 = 0;
    b->x1 = width - 1;
    b->y0 = 0;
    b->y1 = height - 1;
    if (roi) {
        if (roi[0] > b->x0) b->x0 = roi[0];
        if (roi[1] < b->x1) b->x1 = roi[1];
        if (roi[2] > b->y0) b->y0 = roi[2];
        if (roi[3] < b->y1) b->y1 = roi[3];
    }
    return b->x0 > b->x1 || b->y0 > b->y1;
}

static int both_finite(float a, float b)
{
    return isfinite(a) && isfinite(b);
}

/* First pass: sums, maximum of |ref|, non-finite count. */
static void pass_sums(const float *ref, const float *test, int width, const roi_box *b,
                      nbcl_compare_stats *s)
{
    for (int y = b->y0; y <= b->y1; y++)
        for (int x = b->x0; x <= b->x1; x++) {
            size_t i = (size_t)y * (size_t)width + (size_t)x;
            s->n++;
            if (!both_finite(ref[i], test[i])) {
                s->nonfinite++;
                continue;
            }
            s->sum_ref += ref[i];
            s->sum_test += test[i];
            if (fabs(ref[i]) > s->ref_max) s->ref_max = fabs(ref[i]);
        }
}

typedef struct moments {
    double sxx, syy, sxy, sdd;
} moments;

static void note_worst(nbcl_compare_stats *s, double d, int x, int y, float r, float t)
{
    if (d <= s->max_abs_diff) return;
    s->max_abs_diff = d;
    s->max_x = x;
    s->max_y = y;
    s->max_ref = r;
    s->max_test = t;
}

/* Second pass: centred moments, worst pixel, pixels out of tolerance. */
static void pass_moments(const float *ref, const float *test, int width, const roi_box *b,
                         nbcl_compare_stats *s, moments *m)
{
    size_t finite = s->n - s->nonfinite;
    double mr = finite ? s->sum_ref / (double)finite : 0.0;
    double mt = finite ? s->sum_test / (double)finite : 0.0;
    double slack = s->tol_abs * s->ref_max;
    for (int y = b->y0; y <= b->y1; y++)
        for (int x = b->x0; x <= b->x1; x++) {
            size_t i = (size_t)y * (size_t)width + (size_t)x;
            if (!both_finite(ref[i], test[i])) {
                s->n_off++;
                continue;
            }
            double dr = ref[i] - mr, dt = test[i] - mt, d = (double)test[i] - ref[i];
            m->sxx += dr * dr;
            m->syy += dt * dt;
            m->sxy += dr * dt;
            m->sdd += d * d;
            if (fabs(d) > s->tol_rel * fabs(ref[i]) + slack) s->n_off++;
            note_worst(s, fabs(d), x, y, ref[i], test[i]);
        }
}

static double pearson(const moments *m)
{
    if (m->sxx > 0 && m->syy > 0) return m->sxy / sqrt(m->sxx * m->syy);
    return m->sxx == 0 && m->syy == 0 && m->sdd == 0 ? 1.0 : 0.0;
}

static double ratio(double test, double ref)
{
    if (ref != 0) return test / ref;
    return test == 0 ? 1.0 : INFINITY;
}

int nbcl_compare_images(const float *ref, const float *test, size_t n, int width,
                        const int roi[4], double rel_tol, double abs_tol_frac_of_max,
                        nbcl_compare_stats *out)
{
    memset(out, 0, sizeof *out);
    if (width < 1 || n == 0 || n % (size_t)width) return -1;
    size_t height = n / (size_t)width;
    if (height > INT32_MAX) return -1;
    roi_box b;
    if (clip_roi(roi, width, (int)height, &b)) return -1;
    out->tol_rel = rel_tol;
    out->tol_abs = abs_tol_frac_of_max;
    pass_sums(ref, test, width, &b, out);
    moments m = {0};
    pass_moments(ref, test, width, &b, out, &m);
    out->corr = out->nonfinite ? NAN : pearson(&m);
    out->sum_ratio = out->nonfinite ? NAN : ratio(out->sum_test, out->sum_ref);
    out->rmse = out->nonfinite ? NAN : sqrt(m.sdd / (double)out->n);
    out->frac_off = (double)out->n_off / (double)out->n;
    return 0;
}

int nbcl_gzfile_read(const char *path, unsigned char **data, size_t *len, nbcl_err *err)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return nbcl_err_set(err, "%s: cannot open: %s", path,
                                 errno ? strerror(errno) : "out of memory");
    size_t cap = 1 << 20, used = 0;
    unsigned char *buf = malloc(cap);
    int got = 0;
    while (buf && (got = gzread(gz, buf + used, (unsigned)(cap - used))) > 0) {
        used += (size_t)got;
        if (used == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    int errnum = 0;
    const char *zmsg = got < 0 ? gzerror(gz, &errnum) : NULL;
    int rc = !buf ? nbcl_err_set(err, "%s: out of memory", path)
             : got < 0 ? nbcl_err_set(err, "%s: read error: %s", path, zmsg) : 0;
    gzclose(gz);
    if (rc) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = used;
    return 0;
}

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 1;
}

int nbcl_floatfile_read(const char *path, float **data, size_t *n, nbcl_err *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (nbcl_gzfile_read(path, &bytes, &len, err)) return -1;
    if (len % 4 || len == 0) {
        free(bytes);
        return nbcl_err_set(err, "%s: %zu bytes is not a whole number of float32 values", path,
                            len);
    }
    if (!host_is_little_endian())
        for (size_t i = 0; i < len; i += 4) {
            unsigned char t0 = bytes[i], t1 = bytes[i + 1];
            bytes[i] = bytes[i + 3];
            bytes[i + 1] = bytes[i + 2];
            bytes[i + 2] = t1;
            bytes[i + 3] = t0;
        }
    *data = (float *)bytes;   /* malloc'd memory is suitably aligned */
    *n = len / 4;
    return 0;
}

static unsigned char diff_grey(double d, double scale)
{
    double g = 128.0 + 127.0 * d / scale;
    if (g < 0) g = 0;
    if (g > 255) g = 255;
    return (unsigned char)lround(g);
}

int nbcl_compare_diff_png(const char *path, const float *ref, const float *test, size_t n,
                          int width, const int roi[4], nbcl_err *err)
{
    if (width < 1 || n % (size_t)width || n == 0)
        return nbcl_err_set(err, "%s: image of %zu pixels is not %d pixels wide", path, n,
                            width);
    int height = (int)(n / (size_t)width);
    roi_box b;
    if (clip_roi(roi, width, height, &b)) return nbcl_err_set(err, "%s: empty roi", path);
    double scale = 0;
    for (int y = b.y0; y <= b.y1; y++)
        for (int x = b.x0; x <= b.x1; x++) {
            size_t i = (size_t)y * (size_t)width + (size_t)x;
            double d = fabs((double)test[i] - ref[i]);
            if (isfinite(d) && d > scale) scale = d;
        }
    unsigned char *px = calloc(n, 1);
    if (!px) return nbcl_err_set(err, "%s: out of memory", path);
    for (int y = b.y0; y <= b.y1; y++)
        for (int x = b.x0; x <= b.x1; x++) {
            size_t i = (size_t)y * (size_t)width + (size_t)x;
            double d = (double)test[i] - ref[i];
            px[i] = !isfinite(d) ? 255 : scale > 0 ? diff_grey(d, scale) : 128;
        }
    int rc = nbcl_png_write_gray8(path, px, width, height, err);
    free(px);
    return rc;
}
