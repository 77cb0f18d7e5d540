/* smv.c: SMV images. The writer reproduces the reference's header byte for byte (key order,
 * %g formatting, the DIALS_ORIGIN line without ';', "}\f" and space padding to 512 bytes);
 * the reader serves -img and -mask and refuses files it cannot interpret. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/outfile.h"
#include "base/appendf.h"
#include "base/clear.h"
#include "base/roi_span.h"
#include "base/split_rows.h"
#include "base/vector_clones.h"
#include "io/smv.h"

#define SMV_HEADER_BYTES 512

const char *nbcl_smv_byte_order(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 1 ? "little_endian" : "big_endian";
}

long nbcl_smv_format_header(const nbcl_smv_header *h, char *buf, size_t cap)
{
    const double RTD = 180.0 * M_1_PI;
    const double px = h->pixel_size;
    double denzo_x = h->noise ? (h->Sbeam + 0.0 * px) * 1000.0 : (h->Sbeam - 0.0 * px) * 1000.0;
    double denzo_y = h->noise ? (h->Fbeam + 0.0 * px) * 1000.0 : (h->Fbeam - 0.0 * px) * 1000.0;
    size_t len = 0;
    nbcl_appendf(buf, cap, &len, "{\nHEADER_BYTES=512;\nDIM=2;\nBYTE_ORDER=%s;\nTYPE=unsigned_short;\n",
        nbcl_smv_byte_order());
    nbcl_appendf(buf, cap, &len, "SIZE1=%d;\nSIZE2=%d;\nPIXEL_SIZE=%g;\nDISTANCE=%g;\n", h->fpixels,
        h->spixels, px * 1000.0, h->distance * 1000.0);
    nbcl_appendf(buf, cap, &len, "WAVELENGTH=%g;\n", h->lambda0 * 1e10);
    nbcl_appendf(buf, cap, &len, "BEAM_CENTER_X=%g;\nBEAM_CENTER_Y=%g;\n", h->Xbeam * 1000.0,
        h->Ybeam * 1000.0);
    nbcl_appendf(buf, cap, &len, "ADXV_CENTER_X=%g;\nADXV_CENTER_Y=%g;\n", h->Fbeam * 1000.0,
        (h->detsize_s - h->Sbeam) * 1000.0);
    nbcl_appendf(buf, cap, &len, "MOSFLM_CENTER_X=%g;\nMOSFLM_CENTER_Y=%g;\n",
        (h->Sbeam - 0.5 * px) * 1000.0, (h->Fbeam - 0.5 * px) * 1000.0);
    nbcl_appendf(buf, cap, &len, "DENZO_X_BEAM=%g;\nDENZO_Y_BEAM=%g;\n", denzo_x, denzo_y);
    nbcl_appendf(buf, cap, &len, "DIALS_ORIGIN=%g,%g,%g\n", h->dials_origin[0], h->dials_origin[1],
        h->dials_origin[2]);
    nbcl_appendf(buf, cap, &len, "XDS_ORGX=%g;\nXDS_ORGY=%g;\n", h->ORGX, h->ORGY);
    nbcl_appendf(buf, cap, &len, "CLOSE_DISTANCE=%g;\n", h->close_distance * 1000.0);
    nbcl_appendf(buf, cap, &len, "PHI=%g;\nOSC_START=%g;\nOSC_RANGE=%g;\n", h->phi0 * RTD, h->phi0 * RTD,
        h->osc * RTD);
    nbcl_appendf(buf, cap, &len, "TWOTHETA=%g;\n", h->twotheta * RTD);
    nbcl_appendf(buf, cap, &len, "DETECTOR_SN=000;\nBEAMLINE=fake;\n}\f");
    while (len < SMV_HEADER_BYTES) nbcl_appendf(buf, cap, &len, " ");
    return len < cap ? (long)len : -1;
}

/* rows [y, y + n) of an image, in the file's order, into out */
typedef void (*smv_rows_fn)(void *user, int y, int n, unsigned short *out);

/* rows() over the whole image, its rows shared out among the cores, each core converting a
 * block of rows at a time into a buffer of its own and writing it at its place in the file */
#define SMV_SPLIT_BYTES (4u << 20)   /* smaller images are converted on one core */
typedef struct smv_split {
    smv_rows_fn rows;
    void *user;
    nbcl_outfile *of;
    size_t head, width;      /* bytes before the pixels; pixels a row */
    int block;               /* rows a buffer */
    int y_lo, y_hi;          /* only rows [y_lo, y_hi] are written: the others are all 0 */
    atomic_int error;        /* the first failed write's errno (0: none) */
} smv_split;

static void split_part(void *user, int y0, int y1)
{
    smv_split *s = user;
    if (y0 < s->y_lo) y0 = s->y_lo;
    if (y1 > s->y_hi + 1) y1 = s->y_hi + 1;
    if (y1 <= y0) return;
    size_t row_bytes = s->width * sizeof(unsigned short);
    unsigned short *buf = malloc((size_t)s->block * row_bytes + 1);
    if (!buf) {
        int none = 0;
        atomic_compare_exchange_strong(&s->error, &none, ENOMEM);
        return;
    }
    for (int y = y0; y < y1 && atomic_load(&s->error) == 0; y += s->block) {
        int n = y1 - y < s->block ? y1 - y : s->block;
        s->rows(s->user, y, n, buf);
        int code = nbcl_outfile_pwrite(s->of, buf, (size_t)n * row_bytes, s->head + (size_t)y * row_bytes);
        int none = 0;
        if (code) atomic_compare_exchange_strong(&s->error, &none, code);
    }
    free(buf);
}

/* whole rows of about 256 kB at a time */
static int rows_per_block(const nbcl_smv_header *hdr)
{
    size_t w = (size_t)hdr->fpixels > 0 ? (size_t)hdr->fpixels : 1;
    int block = (int)((256u << 10) / (w * sizeof(unsigned short)));
    if (block < 1) block = 1;
    if (block > hdr->spixels) block = hdr->spixels > 0 ? hdr->spixels : 1;
    return block;
}

/* header, then the image, atomically: where the file takes writes at any place (a regular
 * file; nbcl_outfile_positional), blocks of rows converted on every core and each written
 * at its place, rows [rows_lo, rows_hi] only (the others left as the zeros the reserved
 * file reads as: a small ROI on a huge detector writes little); else a block of rows at a
 * time through fp. Writing through write() from a buffer the cache holds costs a copy per
 * byte; storing into the file's mapped pages cost a page fault and the zeroing of a fresh
 * page per 4 kB, twice the time (bench_4096's 32 MB: 16 against 6 ms). */
static int smv_write_blocks(const char *path, const nbcl_smv_header *hdr, smv_rows_fn rows,
                            void *user, int rows_lo, int rows_hi, nbcl_err *err)
{
    int block = rows_per_block(hdr);
    char head[4096];
    long hlen = nbcl_smv_format_header(hdr, head, sizeof head);
    if (hlen < 0) return nbcl_err_set(err, "%s: SMV header too long", path);
    nbcl_outfile of;
    if (nbcl_outfile_open(&of, path, err)) return -1;
    size_t w = (size_t)hdr->fpixels, h = hdr->spixels > 0 ? (size_t)hdr->spixels : 0;
    int positional = nbcl_outfile_positional(&of, (size_t)hlen + w * h * sizeof(unsigned short), err);
    if (positional < 0) {
        nbcl_outfile_abort(&of);
        return -1;
    }
    unsigned short *buf = NULL;
    int ok, code = 0;
    if (positional == 0) {
        smv_split split = {rows, user, &of, (size_t)hlen, w, block, rows_lo, rows_hi, 0};
        code = nbcl_outfile_pwrite(&of, head, (size_t)hlen, 0);
        if (code == 0) {
            nbcl_split_rows((int)h, w * h * sizeof(unsigned short), SMV_SPLIT_BYTES, split_part, &split);
            code = atomic_load(&split.error);
        }
        ok = code == 0;
    } else {
        buf = malloc((size_t)block * w * sizeof *buf + 1);
        ok = buf && fwrite(head, 1, (size_t)hlen, of.fp) == (size_t)hlen;
        for (int y = 0; ok && y < hdr->spixels; y += block) {
            int n = hdr->spixels - y < block ? hdr->spixels - y : block;
            rows(user, y, n, buf);
            ok = fwrite(buf, sizeof *buf, (size_t)n * w, of.fp) == (size_t)n * w;
        }
        code = buf ? errno : ENOMEM;
        free(buf);
    }
    if (!ok) {
        nbcl_outfile_abort(&of);
        return nbcl_err_set(err, "%s: cannot write SMV image: %s", path, strerror(code));
    }
    return nbcl_outfile_commit(&of, err);
}

typedef struct smv_counts {
    const unsigned short *data;
    size_t width;
} smv_counts;

static void counts_rows(void *user, int y, int n, unsigned short *out)
{
    const smv_counts *c = user;
    memcpy(out, c->data + (size_t)y * c->width, (size_t)n * c->width * sizeof *out);
}

int nbcl_smv_write(const char *path, const nbcl_smv_header *hdr, const unsigned short *data,
                   nbcl_err *err)
{
    smv_counts c = {data, (size_t)hdr->fpixels};
    return smv_write_blocks(path, hdr, counts_rows, &c, 0, hdr->spixels - 1, err);
}

/* n pixels of a float image as the reference's SMV counts: floorf(v * scale + adc + 0.5) of
 * the value clamped to [0, 65535] (NaN gives 0), in double as the reference. The clamped
 * values go through a small buffer: the compiler vectorizes the clamps (as min/max) and the
 * conversions to 16 bits as two loops, not as one (GCC 12 sees "control flow" in the fused
 * loop and leaves it scalar, a third of bench_4096's host time). One build per x86-64
 * vector width (NBCL_VECTOR_CLONES); -ffp-contract=off (meson.build) keeps v * scale + adc
 * two roundings in every one, as in the reference. */
#define SMV_CONVERT_BLOCK 256
NBCL_VECTOR_CLONES
static void smv_counts_of_floats(const float *in, unsigned short *out, size_t n, double scale,
                                 double adc)
{
    double clamped[SMV_CONVERT_BLOCK];
    while (n > 0) {
        size_t m = n < SMV_CONVERT_BLOCK ? n : SMV_CONVERT_BLOCK;
        for (size_t j = 0; j < m; j++) {
            double v = in[j] * scale + adc;
            v = v > 65535.0 ? 65535.0 : v;
            clamped[j] = v > 0.0 ? v : 0.0;   /* -0 and NaN: 0 */
        }
        /* the reference's floorf(v + 0.5) of a number that is at least 0.5: the
         * conversion's truncation is the same floor, without a call to floorf (which the
         * x86-64 baseline has no instruction for) */
        for (size_t j = 0; j < m; j++) out[j] = (unsigned short)(int)(float)(clamped[j] + 0.5);
        in += m;
        out += m;
        n -= m;
    }
}

/* the ROI's columns [x0, x1] and rows [y0, y1] on the detector (roi NULL: every pixel); an
 * empty ROI has y0 > y1 */
static void roi_on_detector(const int roi[4], int fpixels, int spixels, int *x0, int *x1, int *y0,
                            int *y1)
{
    nbcl_roi_span r = roi ? nbcl_roi_on_detector(roi[0], roi[1], roi[2], roi[3], fpixels, spixels)
                          : nbcl_roi_on_detector(0, fpixels - 1, 0, spixels - 1, fpixels, spixels);
    *x0 = r.x0;
    *x1 = r.x1;
    *y0 = r.y0;
    *y1 = r.y1;
    if (*x1 < *x0 || *y1 < *y0) *y0 = spixels, *y1 = spixels - 1, *x0 = 0, *x1 = -1;
}

/* rows [y_first, y_first + y_count) of the reference's integer image (see
 * nbcl_smv_from_float), into out (those rows only) */
static void smv_rows_from_float(const float *img, int fpixels, int spixels, const int roi[4],
                                double scale, double adc, int y_first, int y_count, unsigned short *out)
{
    int x0, x1, y0, y1;
    roi_on_detector(roi, fpixels, spixels, &x0, &x1, &y0, &y1);
    size_t w = (size_t)fpixels;
    for (int s = y_first; s < y_first + y_count; s++) {
        unsigned short *row = out + (size_t)(s - y_first) * w;
        /* 0 outside the ROI, written only where not 0 already (nbcl_clear), so that a small
         * ROI on a huge detector leaves the rest of a fresh buffer unmapped, as in the
         * reference */
        if (s < y0 || s > y1) {
            nbcl_clear(row, w * sizeof *row);
            continue;
        }
        nbcl_clear(row, (size_t)x0 * sizeof *row);
        smv_counts_of_floats(img + (size_t)s * w + x0, row + x0, (size_t)(x1 - x0 + 1), scale, adc);
        nbcl_clear(row + (size_t)x1 + 1, (w - (size_t)x1 - 1) * sizeof *row);
    }
}

void nbcl_smv_from_float(const float *img, int fpixels, int spixels, const int roi[4],
                         double scale, double adc, unsigned short *out)
{
    smv_rows_from_float(img, fpixels, spixels, roi, scale, adc, 0, spixels, out);
}

/* a float image converted into rows of the SMV file */
typedef struct smv_conversion {
    const float *img;
    const int *roi;
    int fpixels, spixels;
    double scale, adc;
} smv_conversion;

static void converted_rows(void *user, int y, int n, unsigned short *out)
{
    smv_conversion *c = user;
    smv_rows_from_float(c->img, c->fpixels, c->spixels, c->roi, c->scale, c->adc, y, n, out);
}

int nbcl_smv_write_float(const char *path, const nbcl_smv_header *hdr, const float *img,
                         const int roi[4], double scale, double adc, nbcl_err *err)
{
    smv_conversion c = {img, roi, hdr->fpixels, hdr->spixels, scale, adc};
    int x0, x1, y0, y1;   /* rows outside the ROI are all 0: not written */
    roi_on_detector(roi, hdr->fpixels, hdr->spixels, &x0, &x1, &y0, &y1);
    return smv_write_blocks(path, hdr, converted_rows, &c, y0, y1, err);
}

/* ---- reading ---- */

/* Pointer just past the last occurrence of `key` in text, or NULL. */
static const char *last_occurrence(const char *text, const char *key)
{
    const char *found = NULL, *p = text;
    size_t klen = strlen(key);
    if (klen == 0) return NULL;
    while ((p = strstr(p, key)) != NULL) {
        found = p + klen;
        p += 1;
    }
    return found;
}

double nbcl_smv_value(const nbcl_smv_image *img, const char *key)
{
    const char *p = img->header ? last_occurrence(img->header, key) : NULL;
    if (!p) return NAN;
    p = strchr(p, '=');
    return p ? atof(p + 1) : 0.0;
}

double nbcl_smv_value_exact(const nbcl_smv_image *img, const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    for (const char *p = img->header; p && (p = strstr(p, key)) != NULL; p++) {
        int starts = p == img->header || p[-1] == '\n' || p[-1] == '{' || p[-1] == ';';
        if (starts && p[klen] == '=') found = p + klen + 1;
    }
    return found ? atof(found) : NAN;
}

/* The value text after the last "KEY=", up to ';' or end of line, into buf. */
static int string_value(const char *header, const char *key, char *buf, size_t cap)
{
    const char *p = last_occurrence(header, key);
    if (!p) return -1;
    p += strspn(p, " \t");
    size_t n = strcspn(p, "; \t\r\n");
    if (n >= cap) n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

/* Up to max bytes of the file from the current position, appended to *buf (length *len). */
#define SMV_HEADER_PROBE 65536  /* bytes read before the header says how long the file is */

static int read_upto(FILE *fp, const char *path, size_t max, unsigned char **buf, size_t *len,
                     nbcl_err *err)
{
    unsigned char *b = realloc(*buf, *len + max + 1);
    if (!b) return nbcl_err_code(err, NBCL_E_NOMEM, "%s: out of memory", path);
    *buf = b;
    size_t got = fread(b + *len, 1, max, fp);
    *len += got;
    if (ferror(fp)) return nbcl_err_code(err, NBCL_E_FILE, "%s: read error", path);
    return 0;
}

static int parse_byte_order(const char *path, const char *header, int *swapped, nbcl_err *err)
{
    char order[64];
    if (string_value(header, "BYTE_ORDER=", order, sizeof order))
        return nbcl_err_set(err, "%s: not an SMV image (no BYTE_ORDER)", path);
    if (strcmp(order, "little_endian") && strcmp(order, "big_endian"))
        return nbcl_err_set(err, "%s: unknown BYTE_ORDER '%s' (little_endian or big_endian)",
                            path, order);
    *swapped = strcmp(order, nbcl_smv_byte_order()) != 0;
    return 0;
}

static int parse_type(const char *path, const char *header, nbcl_err *err)
{
    char type[64];
    if (string_value(header, "TYPE=", type, sizeof type) == 0 && strcmp(type, "unsigned_short"))
        return nbcl_err_set(err, "%s: unsupported SMV TYPE '%s' (only unsigned_short)", path,
                            type);
    return 0;
}

static int parse_header(const char *path, const unsigned char *buf, size_t len,
                        nbcl_smv_image *img, nbcl_err *err)
{
    if (len == 0 || buf[0] != '{')
        return nbcl_err_set(err, "%s: not an SMV image (no '{' header)", path);
    size_t probe = len < SMV_HEADER_PROBE ? len : SMV_HEADER_PROBE;
    img->header = strndup((const char *)buf, probe);
    if (!img->header) return nbcl_err_set(err, "%s: out of memory", path);
    double hb = nbcl_smv_value_exact(img, "HEADER_BYTES");
    if (!(hb > 0) || hb > (double)len || hb != floor(hb))
        return nbcl_err_set(err, "%s: not an SMV image (no valid HEADER_BYTES)", path);
    img->header_bytes = (int)hb;
    free(img->header);
    img->header = strndup((const char *)buf, (size_t)img->header_bytes);
    if (!img->header) return nbcl_err_set(err, "%s: out of memory", path);
    if (parse_byte_order(path, img->header, &img->swapped, err)) return -1;
    if (parse_type(path, img->header, err)) return -1;
    double w = nbcl_smv_value(img, "SIZE1"), h = nbcl_smv_value(img, "SIZE2");
    if (isnan(w) || w == 0) w = h = nbcl_smv_value(img, "DETECTOR_DIMENSIONS");
    if (!(w >= 1 && h >= 1 && w <= 1e6 && h <= 1e6))
        return nbcl_err_set(err, "%s: not an SMV image (no valid SIZE1/SIZE2)", path);
    img->width = (int)w;
    img->height = (int)h;
    return 0;
}

static void copy_pixels(const unsigned char *src, size_t n, int swapped, unsigned short *dst)
{
    memcpy(dst, src, n * sizeof(unsigned short));
    if (!swapped) return;
    for (size_t i = 0; i < n; i++) dst[i] = (unsigned short)((dst[i] >> 8) | (dst[i] << 8));
}

int nbcl_smv_read(const char *path, nbcl_smv_image *out, nbcl_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return nbcl_err_code(err, NBCL_E_FILE, "%s: cannot open: %s", path, strerror(errno));
    /* the header first, then exactly what it announces (plus one byte to see the end), so
     * that an endless file (/dev/zero) or a huge one is never read whole */
    unsigned char *buf = NULL;
    size_t len = 0;
    nbcl_smv_image img = {0};
    int rc = read_upto(fp, path, SMV_HEADER_PROBE, &buf, &len, err);
    if (!rc) rc = parse_header(path, buf, len, &img, err);
    size_t n = rc ? 0 : (size_t)img.width * (size_t)img.height;
    size_t want = (size_t)img.header_bytes + 2 * n;
    if (!rc && want + 1 > len) rc = read_upto(fp, path, want + 1 - len, &buf, &len, err);
    fclose(fp);
    if (!rc && len != want)
        rc = nbcl_err_set(err, "%s: file is %zu bytes but its header says %d + 2*%dx%d = %zu",
                          path, len, img.header_bytes, img.width, img.height,
                          (size_t)img.header_bytes + 2 * n);
    if (!rc && !(img.data = malloc(n * sizeof(unsigned short))))
        rc = nbcl_err_set(err, "%s: out of memory", path);
    if (!rc) copy_pixels(buf + img.header_bytes, n, img.swapped, img.data);
    free(buf);
    if (rc) {
        nbcl_smv_free(&img);
        return -1;
    }
    *out = img;
    return 0;
}

void nbcl_smv_free(nbcl_smv_image *img)
{
    if (!img) return;
    free(img->header);
    free(img->data);
    memset(img, 0, sizeof *img);
}
