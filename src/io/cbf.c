/* cbf.c: miniCBF images through libcbf (CBFlib), the per-image format Pilatus detectors
 * write and XDS, DIALS and fabio all read. The integers go in as byte-offset compressed
 * int32 (fast x slow); the geometry goes in as the "# Key value unit" lines of
 * _array_data.header_contents, spelled as dxtbx's miniCBF format classes parse them.
 *
 * Which dxtbx class reads the file depends on the header convention: "PILATUS_1.2" selects
 * FormatCBFMiniPilatus, which masks the gaps between Pilatus modules and fails outright
 * (an assertion) on an array that is not a whole number of 487 x 195 modules with 7/17-pixel
 * gaps. So "PILATUS_1.2" is written only for Pilatus-shaped arrays, and "GENERIC_MINI"
 * (dxtbx's FormatCBFMini, the same geometry without the mask) for every other size; the
 * "# Detector:" line names PILATUS only in the first case, since that word alone would also
 * select the Pilatus class. */
#include <cbflib/cbf.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "base/appendf.h"
#include "io/cbf.h"
#include "io/outfile.h"

#define HEADER_CAP 4096

/* ---- libcbf errors ---- */

/* "CBF_FILEOPEN|CBF_FORMAT": the names of the error bits set in code. */
static void cbf_error_names(int code, char *buf, size_t cap)
{
    static const struct { int bit; const char *name; } bits[] = {
        {CBF_FORMAT, "CBF_FORMAT"}, {CBF_ALLOC, "CBF_ALLOC"}, {CBF_ARGUMENT, "CBF_ARGUMENT"},
        {CBF_ASCII, "CBF_ASCII"}, {CBF_BINARY, "CBF_BINARY"}, {CBF_BITCOUNT, "CBF_BITCOUNT"},
        {CBF_ENDOFDATA, "CBF_ENDOFDATA"}, {CBF_FILECLOSE, "CBF_FILECLOSE"},
        {CBF_FILEOPEN, "CBF_FILEOPEN"}, {CBF_FILEREAD, "CBF_FILEREAD"},
        {CBF_FILESEEK, "CBF_FILESEEK"}, {CBF_FILETELL, "CBF_FILETELL"},
        {CBF_FILEWRITE, "CBF_FILEWRITE"}, {CBF_IDENTICAL, "CBF_IDENTICAL"},
        {CBF_NOTFOUND, "CBF_NOTFOUND"}, {CBF_OVERFLOW, "CBF_OVERFLOW"},
        {CBF_UNDEFINED, "CBF_UNDEFINED"}, {CBF_NOTIMPLEMENTED, "CBF_NOTIMPLEMENTED"},
        {CBF_NOCOMPRESSION, "CBF_NOCOMPRESSION"}, {CBF_H5ERROR, "CBF_H5ERROR"},
        {CBF_H5DIFFERENT, "CBF_H5DIFFERENT"}, {CBF_SIZE, "CBF_SIZE"},
    };
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (!(code & bits[i].bit)) continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? "|" : "", bits[i].name);
        if (n < 0 || (size_t)n >= cap - len) return;
        len += (size_t)n;
    }
    if (len == 0) snprintf(buf, cap, "error 0x%x", (unsigned)code);
}

/* One libcbf session on one file: where errors go, and libcbf's own log lines, captured
 * in memory (not printed on stderr) so that the first can end the error message. */
typedef struct cbf_session {
    const char *path;
    nbcl_err *err;
    cbf_handle h;
    FILE *log;
    char *log_text;
    size_t log_len;
} cbf_session;

static int session_open(cbf_session *s, const char *path, nbcl_err *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->err = err;
    int rc = cbf_make_handle(&s->h);
    if (rc) {
        char names[256];
        cbf_error_names(rc, names, sizeof names);
        return nbcl_err_code(err, NBCL_E_FILE, "%s: libcbf cbf_make_handle failed: %s", path,
                             names);
    }
    s->log = open_memstream(&s->log_text, &s->log_len);
    if (s->log) cbf_set_cbf_logfile(s->h, s->log);
    return 0;
}

/* One line naming the file, the libcbf call that failed, its error bits and libcbf's first
 * log line if it wrote one; returns -1. */
static int cbf_fail(cbf_session *s, const char *call, int code)
{
    char names[256], said[256] = "";
    cbf_error_names(code, names, sizeof names);
    if (s->log && fflush(s->log) == 0 && s->log_len > 0) {
        size_t n = strcspn(s->log_text, "\r\n");
        snprintf(said, sizeof said, " (%.*s)", (int)(n < 200 ? n : 200), s->log_text);
    }
    return nbcl_err_code(s->err, NBCL_E_FILE, "%s: libcbf %s failed: %s%s", s->path, call, names,
                         said);
}

/* Free the handle (closing any stream libcbf holds) and the log; a failure is reported
 * when `report` is set. Returns 0 or -1. */
static int session_close(cbf_session *s, int report)
{
    int rc = s->h ? cbf_free_handle(s->h) : 0;
    s->h = NULL;
    if (rc && report) cbf_fail(s, "cbf_free_handle", rc);
    if (s->log) fclose(s->log);
    free(s->log_text);
    s->log = NULL;
    s->log_text = NULL;
    return rc ? -1 : 0;
}

/* Call a libcbf function with the session's handle first; on failure record it and jump to
 * the caller's `fail` label. */
#define CBF_TRY(s, fn, ...)                                                                  \
    do {                                                                                     \
        int cbf_rc_ = fn((s)->h, __VA_ARGS__);                                               \
        if (cbf_rc_) {                                                                       \
            cbf_fail((s), #fn, cbf_rc_);                                                     \
            goto fail;                                                                       \
        }                                                                                    \
    } while (0)

/* ---- header text ---- */

/* value with at least min_dec decimals, and more (up to 12) until the text reads back as
 * value: "0.10000" for 0.1, "0.2311735" for 0.2311735. */
static void fmt_exact(char *buf, size_t cap, double value, int min_dec)
{
    for (int dec = min_dec; dec <= 12; dec++) {
        snprintf(buf, cap, "%.*f", dec, value);
        if (fabs(strtod(buf, NULL) - value) <= 1e-12 * fmax(1.0, fabs(value))) return;
    }
}

/* Pilatus modules are 487 x 195 pixels, 7 pixels apart along fast and 17 along slow. */
static int pilatus_shaped(int fast, int slow)
{
    return (fast + 7) % (487 + 7) == 0 && (slow + 17) % (195 + 17) == 0;
}

/* ISO date of now (UTC, milliseconds), or of SOURCE_DATE_EPOCH for reproducible files. */
static void timestamp(char *buf, size_t cap)
{
    struct timespec ts = {0, 0};
    const char *fixed = getenv("SOURCE_DATE_EPOCH");
    if (fixed && *fixed)
        ts.tv_sec = (time_t)strtoll(fixed, NULL, 10);
    else
        clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03ld", day, ts.tv_nsec / 1000000L);
}

/* The header_contents text (starting with a newline, so the text field opens on a line of
 * its own); -1 if it does not fit. */
static int format_header(const nbcl_cbf_meta *m, char *buf, size_t cap)
{
    char date[64], px[32], th[32], expo[32], wl[32], dist[32], bx[32], by[32], st[32], inc[32];
    timestamp(date, sizeof date);
    snprintf(px, sizeof px, "%.10g", m->pixel_mm * 1000.0);
    fmt_exact(th, sizeof th, m->sensor_thickness_mm / 1000.0, 6);
    fmt_exact(expo, sizeof expo, m->exposure_s, 7);
    fmt_exact(wl, sizeof wl, m->wavelength_A, 5);
    fmt_exact(dist, sizeof dist, m->distance_mm / 1000.0, 5);
    fmt_exact(bx, sizeof bx, m->beam_x_px, 2);
    fmt_exact(by, sizeof by, m->beam_y_px, 2);
    fmt_exact(st, sizeof st, m->start_angle_deg, 4);
    fmt_exact(inc, sizeof inc, m->angle_increment_deg, 4);
    size_t len = 0;
    nbcl_appendf(buf, cap, &len, "\n# Detector: %s, S/N 00-0000\n",
         pilatus_shaped(m->fast, m->slow) ? "PILATUS (nanoBragg-CL simulation)"
                                          : "nanoBragg-CL simulated pixel detector");
    nbcl_appendf(buf, cap, &len, "# %s\n# Pixel_size %se-6 m x %se-6 m\n", date, px, px);
    if (m->sensor_thickness_mm > 0) nbcl_appendf(buf, cap, &len, "# Silicon sensor, thickness %s m\n", th);
    nbcl_appendf(buf, cap, &len, "# Exposure_time %s s\n# Exposure_period %s s\n", expo, expo);
    nbcl_appendf(buf, cap, &len, "# Count_cutoff %d counts\n", m->count_cutoff);
    nbcl_appendf(buf, cap, &len, "# Wavelength %s A\n# Detector_distance %s m\n", wl, dist);
    nbcl_appendf(buf, cap, &len, "# Beam_xy (%s, %s) pixels\n", bx, by);
    nbcl_appendf(buf, cap, &len, "# Start_angle %s deg.\n# Angle_increment %s deg.\n", st, inc);
    nbcl_appendf(buf, cap, &len, "# Detector_2theta 0.0000 deg.\n");
    nbcl_appendf(buf, cap, &len, "# Phi %s deg.\n# Phi_increment %s deg.\n", st, inc);
    nbcl_appendf(buf, cap, &len, "# Oscillation_axis X, CW\n# N_oscillations 1");
    return len < cap ? 0 : -1;
}

/* ---- writing ---- */

static int check_meta(const char *path, const nbcl_cbf_meta *m, const int32_t *counts,
                      nbcl_err *err)
{
    const char *bad = NULL;
    if (!counts) bad = "no pixels";
    else if (m->fast < 1 || m->slow < 1 || (size_t)m->fast * (size_t)m->slow > INT32_MAX)
        bad = "image size";
    else if (!(m->pixel_mm > 0) || !isfinite(m->pixel_mm)) bad = "pixel size";
    else if (!(m->distance_mm > 0) || !isfinite(m->distance_mm)) bad = "distance";
    else if (!(m->wavelength_A > 0) || !isfinite(m->wavelength_A)) bad = "wavelength";
    else if (!(m->exposure_s >= 0) || !isfinite(m->exposure_s)) bad = "exposure time";
    else if (!(m->sensor_thickness_mm >= 0) || !isfinite(m->sensor_thickness_mm))
        bad = "sensor thickness";
    else if (!isfinite(m->beam_x_px) || !isfinite(m->beam_y_px)) bad = "beam centre";
    else if (!isfinite(m->start_angle_deg) || !isfinite(m->angle_increment_deg)) bad = "angles";
    else if (m->count_cutoff < 1) bad = "count cutoff";
    if (!bad) return 0;
    return nbcl_err_code(err, NBCL_E_INVALID, "%s: cannot write a miniCBF: invalid %s", path,
                         bad);
}

/* libcbf's byte-offset coder writes a step of exactly 2^31 between neighbouring values as
 * 0x80000000, the escape to 8-byte steps, so the file would not read back (its decoder then
 * also writes past the end of the image): such images are refused. Counts never come near. */
static int check_steps(const char *path, const int32_t *counts, size_t n, nbcl_err *err)
{
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t step = (int64_t)counts[i] - prev;
        if (step == INT64_C(2147483648) || step == -INT64_C(2147483648))
            return nbcl_err_code(err, NBCL_E_INVALID,
                                 "%s: cannot write a miniCBF: pixel %zu (%d after %lld) is a step "
                                 "of 2^31, which libcbf's byte-offset compression cannot encode",
                                 path, i, counts[i], (long long)prev);
        prev = counts[i];
    }
    return 0;
}

/* "dir/name_0001.cbf" -> "name_0001": the data block's name, as a Pilatus names it. */
static void block_name(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n == 0 || n >= cap) {
        snprintf(buf, cap, "image");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        buf[i] = c > ' ' && c < 127 ? (char)c : '_';
    }
    buf[n] = '\0';
}

/* The whole CBF tree: one data block, one array_data row with the header and the pixels. */
static int build(cbf_session *s, const nbcl_cbf_meta *m, const int32_t *counts,
                 const char *header)
{
    char name[256];
    block_name(s->path, name, sizeof name);
    const char *convention = pilatus_shaped(m->fast, m->slow) ? "PILATUS_1.2" : "GENERIC_MINI";
    size_t n = (size_t)m->fast * (size_t)m->slow;
    CBF_TRY(s, cbf_new_datablock, name);
    CBF_TRY(s, cbf_new_category, "array_data");
    CBF_TRY(s, cbf_new_column, "header_convention");
    CBF_TRY(s, cbf_set_value, convention);
    CBF_TRY(s, cbf_set_typeofvalue, "dblq");
    CBF_TRY(s, cbf_new_column, "header_contents");
    CBF_TRY(s, cbf_set_value, header);
    CBF_TRY(s, cbf_set_typeofvalue, "text");
    CBF_TRY(s, cbf_new_column, "data");
    /* libcbf only reads the pixels (its prototype lacks the const); the third dimension 0
     * leaves out the X-Binary-Size-Third-Dimension line Pilatus files do not have */
    CBF_TRY(s, cbf_set_integerarray_wdims_fs, CBF_BYTE_OFFSET, 1, (void *)(uintptr_t)counts,
            sizeof(int32_t), 1, n, "little_endian", (size_t)m->fast, (size_t)m->slow, 0, 0);
    return 0;
fail:
    return -1;
}

/* Serialize the tree into the open temporary. Told the stream is not a buffer (isbuffer 0),
 * libcbf neither keeps nor closes it: the caller's outfile still owns it. The first line is
 * ours, Pilatus style; CBF_PARSE_WS stops libcbf writing its own "###CBF: VERSION 1.7.11"
 * and "# CBF file written by" lines (the handle holds no whitespace to write instead). */
static int serialize(cbf_session *s, FILE *fp)
{
    if (fputs("###CBF: VERSION 1.5, " CBF_API_VERSION " - nanoBragg-CL\r\n", fp) == EOF)
        return nbcl_err_code(s->err, NBCL_E_FILE, "%s: cannot write: %s", s->path,
                             strerror(errno));
    CBF_TRY(s, cbf_write_file, fp, 0, CBF, MIME_HEADERS | MSG_DIGEST | PAD_4K | CBF_PARSE_WS, 0);
    return 0;
fail:
    return -1;
}

/* The project's temporary-then-rename file, failures marked as file errors. */
static int open_output(nbcl_outfile *of, const char *path, nbcl_err *err)
{
    if (!nbcl_outfile_open(of, path, err)) return 0;
    if (err) err->code = NBCL_E_FILE;
    return -1;
}

static int commit_output(nbcl_outfile *of, nbcl_err *err)
{
    if (!nbcl_outfile_commit(of, err)) return 0;
    if (err) err->code = NBCL_E_FILE;
    return -1;
}

int nbcl_cbf_write(const char *path, const nbcl_cbf_meta *m, const int32_t *counts, nbcl_err *err)
{
    if (check_meta(path, m, counts, err)
        || check_steps(path, counts, (size_t)m->fast * (size_t)m->slow, err))
        return -1;
    char header[HEADER_CAP];
    if (format_header(m, header, sizeof header))
        return nbcl_err_code(err, NBCL_E_FILE, "%s: miniCBF header too long", path);
    cbf_session s;
    if (session_open(&s, path, err)) return -1;
    nbcl_outfile of = {0};
    int rc = build(&s, m, counts, header);
    if (!rc) rc = open_output(&of, path, err);
    if (!rc) rc = serialize(&s, of.fp);
    if (session_close(&s, !rc)) rc = -1;   /* the handle holds no reference to the stream */
    if (rc) {
        nbcl_outfile_abort(&of);       /* removes the temporary; a no-op if never opened */
        return -1;
    }
    return commit_output(&of, err);
}

/* ---- reading ---- */

enum {
    HAVE_PIXEL = 1, HAVE_EXPOSURE = 2, HAVE_CUTOFF = 4, HAVE_WAVELENGTH = 8,
    HAVE_DISTANCE = 16, HAVE_BEAM = 32, HAVE_START = 64, HAVE_INCREMENT = 128,
    HAVE_THICKNESS = 256, HAVE_REQUIRED = 255
};

/* One "# ..." line (without the "# ") into m; returns the HAVE_ bit it filled, or 0. */
static int parse_line(const char *s, nbcl_cbf_meta *m)
{
    double a, b;
    if (sscanf(s, "Pixel_size %lf m x %lf m", &a, &b) == 2) {
        m->pixel_mm = a * 1000.0;
        return HAVE_PIXEL;
    }
    if (sscanf(s, "Silicon sensor, thickness %lf", &a) == 1) {
        m->sensor_thickness_mm = a * 1000.0;
        return HAVE_THICKNESS;
    }
    if (sscanf(s, "Beam_xy (%lf, %lf)", &a, &b) == 2) {
        m->beam_x_px = a;
        m->beam_y_px = b;
        return HAVE_BEAM;
    }
    const struct { const char *fmt; double *to; double scale; int bit; } keys[] = {
        {"Exposure_time %lf", &m->exposure_s, 1.0, HAVE_EXPOSURE},
        {"Wavelength %lf", &m->wavelength_A, 1.0, HAVE_WAVELENGTH},
        {"Detector_distance %lf", &m->distance_mm, 1000.0, HAVE_DISTANCE},
        {"Start_angle %lf", &m->start_angle_deg, 1.0, HAVE_START},
        {"Angle_increment %lf", &m->angle_increment_deg, 1.0, HAVE_INCREMENT},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (sscanf(s, keys[i].fmt, &a) == 1) {
            *keys[i].to = a * keys[i].scale;
            return keys[i].bit;
        }
    if (sscanf(s, "Count_cutoff %lf", &a) == 1 && a >= 1 && a <= INT32_MAX) {
        m->count_cutoff = (int)a;
        return HAVE_CUTOFF;
    }
    return 0;
}

static const char *missing_key(int have)
{
    static const char *names[] = {"Pixel_size", "Exposure_time", "Count_cutoff", "Wavelength",
                                  "Detector_distance", "Beam_xy", "Start_angle",
                                  "Angle_increment"};
    for (int i = 0; i < 8; i++)
        if (!(have & (1 << i))) return names[i];
    return NULL;
}

/* The "# Key value" lines of header_contents into m (sizes come from the array). */
static int parse_header(const char *path, const char *text, nbcl_cbf_meta *m, nbcl_err *err)
{
    int have = 0;
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char buf[512];
        if (n >= sizeof buf) n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        const char *s = buf + strspn(buf, " \t\r");
        if (*s == '#') have |= parse_line(s + 1 + strspn(s + 1, " \t"), m);
        p = end ? end + 1 : NULL;
    }
    const char *missing = missing_key(have & HAVE_REQUIRED);
    if (missing)
        return nbcl_err_code(err, NBCL_E_FILE, "%s: miniCBF header has no valid %s line", path,
                             missing);
    return 0;
}

/* The pixels of the current array_data.data cell: signed integers of at most 32 bits, a
 * fast x slow image. libcbf's byte-offset decoder stops at the end of the compressed data,
 * not at the element count, so the buffer has room for as many elements as the file has
 * bytes (each takes at least one) and a count that differs is an error, not an overrun. */
static int read_pixels(cbf_session *s, size_t file_bytes, nbcl_cbf_meta *m, int32_t **counts)
{
    unsigned int compression;
    int id, elsigned, elunsigned, minel, maxel;
    size_t elsize, nelem, fast, mid, slow, padding, got = 0;
    const char *order;
    int32_t *px = NULL;
    CBF_TRY(s, cbf_get_integerarrayparameters_wdims_fs, &compression, &id, &elsize, &elsigned,
            &elunsigned, &nelem, &minel, &maxel, &order, &fast, &mid, &slow, &padding);
    if (elsize > sizeof(int32_t) || fast < 1 || mid < 1 || slow > 1 || fast > INT32_MAX
        || mid > INT32_MAX || fast * mid != nelem)
        return nbcl_err_code(s->err, NBCL_E_FILE,
                             "%s: not a 2-D integer image (%zu x %zu x %zu, %zu elements of %zu "
                             "bytes)", s->path, fast, mid, slow, nelem, elsize);
    size_t room = nelem > file_bytes ? nelem : file_bytes;
    if (room > SIZE_MAX / sizeof *px || !(px = malloc(room * sizeof *px)))
        return nbcl_err_code(s->err, NBCL_E_NOMEM, "%s: out of memory", s->path);
    CBF_TRY(s, cbf_get_integerarray, &id, px, sizeof *px, 1, room, &got);
    if (got != nelem) {
        nbcl_err_code(s->err, NBCL_E_FILE, "%s: %zu pixels decoded, the header says %zu", s->path,
                      got, nelem);
        goto fail;
    }
    int32_t *fit = realloc(px, nelem * sizeof *px);
    m->fast = (int)fast;
    m->slow = (int)mid;
    *counts = fit ? fit : px;
    return 0;
fail:
    free(px);
    return -1;
}

/* Header then pixels from a parsed file. */
static int read_tree(cbf_session *s, size_t file_bytes, nbcl_cbf_meta *m, int32_t **counts)
{
    const char *text = NULL;
    CBF_TRY(s, cbf_find_category, "array_data");
    CBF_TRY(s, cbf_find_column, "header_contents");
    CBF_TRY(s, cbf_get_value, &text);
    if (parse_header(s->path, text ? text : "", m, s->err)) return -1;
    CBF_TRY(s, cbf_find_column, "data");
    return read_pixels(s, file_bytes, m, counts);
fail:
    return -1;
}

/* Open path for libcbf: its size, and a check of the magic first line, so that a file that
 * is no CBF at all is refused here rather than by libcbf's parser. */
static FILE *open_input(const char *path, size_t *bytes, nbcl_err *err)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    char magic[6];
    if (!fp || fstat(fileno(fp), &st) != 0) {
        int code = errno;
        if (fp) fclose(fp);
        nbcl_err_code(err, NBCL_E_FILE, "%s: cannot open: %s", path, strerror(code));
        return NULL;
    }
    if (fread(magic, 1, sizeof magic, fp) != sizeof magic || memcmp(magic, "###CBF", 6)
        || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        nbcl_err_code(err, NBCL_E_FILE, "%s: not a CBF file (no ###CBF first line)", path);
        return NULL;
    }
    *bytes = (size_t)st.st_size;
    return fp;
}

int nbcl_cbf_read(const char *path, nbcl_cbf_meta *m, int32_t **counts, nbcl_err *err)
{
    memset(m, 0, sizeof *m);
    *counts = NULL;
    size_t bytes = 0;
    FILE *fp = open_input(path, &bytes, err);
    if (!fp) return -1;
    cbf_session s;
    if (session_open(&s, path, err)) {
        fclose(fp);
        return -1;
    }
    /* from here the stream is libcbf's: it closes it on failure or with the handle */
    int rc = cbf_read_widefile(s.h, fp, MSG_DIGEST);
    if (rc) rc = cbf_fail(&s, "cbf_read_widefile", rc);
    else rc = read_tree(&s, bytes, m, counts);
    session_close(&s, 0);
    if (rc) {
        free(*counts);
        *counts = NULL;
        return -1;
    }
    return 0;
}
