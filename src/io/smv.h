/* smv.h: SMV (ADSC) images: the reference's 512-byte text header followed by unsigned
 * 16-bit pixels, fast index fastest. Writing reproduces the reference's header byte for
 * byte; reading accepts any SMV header and swaps bytes when BYTE_ORDER says so. */
#ifndef NBCL_SMV_H
#define NBCL_SMV_H

#include <stddef.h>
#include "base/error.h"

/* Header values in the reference's internal units (metres, radians). */
typedef struct nbcl_smv_header {
    int fpixels, spixels;
    double pixel_size;        /* m */
    double distance;          /* m */
    double lambda0;           /* m */
    double Xbeam, Ybeam;      /* m */
    double Fbeam, Sbeam;      /* m */
    double detsize_s;         /* m */
    double dials_origin[3];   /* mm, as the reference computes them */
    double ORGX, ORGY;        /* pixels */
    double close_distance;    /* m */
    double phi0, osc;         /* radians */
    double twotheta;          /* radians */
    int noise;                /* 1 for the noise image: the reference writes its DENZO
                                 centre as Sbeam+0.0*pixel there (differs only for -0) */
} nbcl_smv_header;

/* Write header + fpixels*spixels pixels (index = slow*fpixels + fast) atomically. */
int nbcl_smv_write(const char *path, const nbcl_smv_header *hdr, const unsigned short *data,
                   nbcl_err *err);

/* The header text exactly as written (NUL-terminated, 512 bytes of text when it fits).
 * buf must hold at least cap bytes; returns the header length or -1 if cap is too small. */
long nbcl_smv_format_header(const nbcl_smv_header *hdr, char *buf, size_t cap);

/* The reference's float -> integer image: v = float*scale + adc clamped to 0..65535 and
 * rounded as floorf(v+0.5); pixels outside roi (xmin xmax ymin ymax inclusive; NULL = all)
 * are 0. out has fpixels*spixels values. */
void nbcl_smv_from_float(const float *img, int fpixels, int spixels, const int roi[4],
                         double scale, double adc, unsigned short *out);

/* Write header + the integers of nbcl_smv_from_float(img, ...) atomically, converting and
 * writing a few hundred kB of rows at a time: no integer image is held. */
int nbcl_smv_write_float(const char *path, const nbcl_smv_header *hdr, const float *img,
                         const int roi[4], double scale, double adc, nbcl_err *err);

/* "little_endian" or "big_endian": this machine, as written in BYTE_ORDER. */
const char *nbcl_smv_byte_order(void);

typedef struct nbcl_smv_image {
    char *header;             /* header_bytes of text, NUL-terminated */
    int header_bytes;
    int width, height;        /* SIZE1 (fast), SIZE2 (slow) */
    int swapped;              /* file was in the other byte order */
    unsigned short *data;     /* width*height pixels in host order */
} nbcl_smv_image;

/* Read an SMV file. Missing '{' or HEADER_BYTES, a BYTE_ORDER other than little_endian /
 * big_endian, a TYPE other than unsigned_short, a missing size or a file length other than
 * header + 2*SIZE1*SIZE2 bytes is an error naming the file. */
int nbcl_smv_read(const char *path, nbcl_smv_image *out, nbcl_err *err);

/* Numeric header value as the reference's ValueOf finds it: the LAST occurrence of `key`
 * anywhere in the header (as a substring: "ORGX" finds XDS_ORGX, "DISTANCE" finds
 * CLOSE_DISTANCE when that comes later), then the number after the next '='.
 * NAN if the key is absent, 0 if no '=' follows it. */
double nbcl_smv_value(const nbcl_smv_image *img, const char *key);

/* Stricter lookup: the last "KEY=" whose KEY is a whole name (at the start of a line).
 * NAN if absent. */
double nbcl_smv_value_exact(const nbcl_smv_image *img, const char *key);

void nbcl_smv_free(nbcl_smv_image *img);

#endif
