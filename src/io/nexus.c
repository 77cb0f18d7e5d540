/* nexus.c: a simulated image series as one NXmx (NeXus) HDF5 file, so that DIALS (dxtbx's
 * FormatNXmx), h5py and other NXmx readers get the images together with the geometry that
 * made them, with no per-image files and no hand-typed header values.
 *
 * What goes where (NeXus McStas frame: beam along +z, y up; transformations in mm and deg,
 * the NXdetector's scalar sizes in metres as detector vendors write them):
 *   /                  @default=entry, @creator
 *   /entry             NXentry: definition "NXmx", start_time, end_time, end_time_estimated
 *   /entry/data/data   the images, int32 (images, slow, fast), one chunk per image, grown
 *                      by one image per append (hard link: /entry/instrument/detector/data)
 *   /entry/source      NXsource (name only: a simulation has no storage ring)
 *   /entry/instrument/beam            NXbeam: incident_wavelength (angstrom)
 *   /entry/instrument/detector        NXdetector: depends_on, sensor, times, pixel sizes,
 *                      saturation, distance and beam centre (derived), transformations/
 *                      translation (the origin), module/ (NXdetector_module)
 *   /entry/sample      NXsample: depends_on -> transformations/omega, one start angle per
 *                      image, omega_end and omega_increment_set beside it; ub_matrix
 *                      (images, 3, 3) once a per-image orientation is given
 *
 * Pixel (0,0): the origin written is the outer corner of pixel (0,0), the point dxtbx takes
 * as a panel's origin, reached through the chain fast_pixel_direction -> module_offset ->
 * detector translation (both offsets on the pixel directions are zero, so readers that add
 * them, and readers that ignore them, agree).
 *
 * Compression: bitshuffle/LZ4 (HDF5 filter 32008) when HDF5 can load that plugin (from
 * HDF5_PLUGIN_PATH, else the library's own plugin directory), else byte shuffle + deflate,
 * which every HDF5 reader decodes. HDF5's own error printing is switched off for the
 * length of each call here; a failure is one line naming the file and the HDF5 call.
 *
 * Memory and failures: HDF5's chunk cache is off, so each image goes to the disk as it is
 * appended, and the file is flushed after every image; free disk space is checked before
 * each write, because HDF5 1.10 cannot close (and crashes at exit on) a file whose
 * metadata failed to reach the disk. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <hdf5.h>
#include "io/nexus.h"
#include "io/outgroup.h"

#define BSHUF_FILTER_ID 32008
#define BSHUF_LZ4 2            /* the filter's option for LZ4 after the bit shuffle */
#define DEFLATE_LEVEL 4
#define SERIES_CHUNK_DEFAULT 256
#define SERIES_CHUNK_MAX 1024
#define DISK_MARGIN (4u << 20)   /* bytes kept free beyond what the next write needs */
#define TOKEN_THICKNESS_M 1e-9   /* written for a sensor thickness of 0 (not stated) */

struct nbcl_nexus {
    char *path, *tmp;          /* final name, temporary name (same directory) */
    hid_t file;
    hid_t data;                /* /entry/data/data */
    hid_t angle, angle_end, angle_inc;   /* /entry/sample/transformations/omega... */
    hid_t umat;                /* /entry/sample/ub_matrix, made at the first umat */
    hid_t entry, sample;
    int fast, slow;
    hsize_t images;
    hsize_t chunk1d;           /* chunk length of the per-image 1-D datasets */
    const char *compression;
};

/* ---- errors ------------------------------------------------------------------------- */

/* One writer pass: the first failure is kept, later steps are skipped. */
typedef struct nxw {
    const char *path;
    nbcl_err *err;
    int failed;
} nxw;

typedef struct h5quiet {
    H5E_auto2_t fn;
    void *data;
} h5quiet;

static void quiet_begin(h5quiet *q)
{
    q->fn = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const h5quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

typedef struct h5why {
    char text[256];
} h5why;

/* HDF5's description of a failed system call spans lines and lists buffers and offsets;
 * keep its first words and the system's message ("file write failed: No space left on
 * device"), on one line. */
static void describe(const char *desc, const char *minor, h5why *why)
{
    static const char key[] = "error message = '";
    const char *sys = strstr(desc, key);
    const char *colon = strchr(desc, ':');
    const char *end = sys ? strchr(sys + sizeof key - 1, '\'') : NULL;
    if (sys && colon && end)
        snprintf(why->text, sizeof why->text, "%.*s: %.*s", (int)(colon - desc), desc,
                 (int)(end - sys - (sizeof key - 1)), sys + sizeof key - 1);
    else
        snprintf(why->text, sizeof why->text, "%s%s%s", desc, *minor ? ": " : "", minor);
    for (char *c = why->text; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
}

/* The innermost frame of HDF5's error stack: where the failure was detected. */
static herr_t innermost_frame(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n != 0) return 0;
    char minor[128] = "";
    if (H5Eget_msg(e->min_num, NULL, minor, sizeof minor) < 0) minor[0] = '\0';
    describe(e->desc ? e->desc : "", minor, data);
    return 0;
}

static int h5_fail(nxw *w, const char *call, const char *what)
{
    h5why why = {""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_frame, &why);
    H5Eclear2(H5E_DEFAULT);
    if (!w->failed)
        nbcl_err_code(w->err, NBCL_E_FILE, "%s: HDF5 %s(%s) failed%s%s", w->path, call, what,
                      why.text[0] ? ": " : "", why.text);
    w->failed = 1;
    return -1;
}

static hid_t h5_id(nxw *w, hid_t id, const char *call, const char *what)
{
    if (id < 0) h5_fail(w, call, what);
    return id;
}

static int h5_ok(nxw *w, herr_t rc, const char *call, const char *what)
{
    return rc < 0 ? h5_fail(w, call, what) : 0;
}

/* Close an identifier of any kind, reporting a failure (a close can be where data is
 * written out). */
static void h5_close(nxw *w, hid_t *id, const char *what)
{
    if (*id < 0) return;
    herr_t rc;
    const char *call;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: rc = H5Fclose(*id); call = "H5Fclose"; break;
    case H5I_GROUP: rc = H5Gclose(*id); call = "H5Gclose"; break;
    case H5I_DATASET: rc = H5Dclose(*id); call = "H5Dclose"; break;
    case H5I_DATASPACE: rc = H5Sclose(*id); call = "H5Sclose"; break;
    case H5I_DATATYPE: rc = H5Tclose(*id); call = "H5Tclose"; break;
    case H5I_ATTR: rc = H5Aclose(*id); call = "H5Aclose"; break;
    case H5I_GENPROP_LST: rc = H5Pclose(*id); call = "H5Pclose"; break;
    default: rc = -1; call = "H5Iget_type"; break;
    }
    *id = -1;
    h5_ok(w, rc, call, what);
}

/* ---- small writers: each does nothing once the pass has failed ----------------------- */

static hid_t text_type(nxw *w, const char *text, const char *what)
{
    hid_t t = h5_id(w, H5Tcopy(H5T_C_S1), "H5Tcopy", what);
    if (t < 0) return -1;
    if (h5_ok(w, H5Tset_size(t, strlen(text) + 1), "H5Tset_size", what) ||
        h5_ok(w, H5Tset_strpad(t, H5T_STR_NULLTERM), "H5Tset_strpad", what)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static void attr_write(nxw *w, hid_t obj, const char *name, hid_t type, hid_t space,
                       const void *value)
{
    hid_t a = h5_id(w, H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "H5Acreate2", name);
    if (a < 0) return;
    h5_ok(w, H5Awrite(a, type, value), "H5Awrite", name);
    h5_close(w, &a, name);
}

static void attr_text(nxw *w, hid_t obj, const char *name, const char *text)
{
    if (w->failed) return;
    hid_t t = text_type(w, text, name);
    hid_t s = t < 0 ? -1 : h5_id(w, H5Screate(H5S_SCALAR), "H5Screate", name);
    if (s >= 0) attr_write(w, obj, name, t, s, text);
    h5_close(w, &s, name);
    h5_close(w, &t, name);
}

static void attr_doubles(nxw *w, hid_t obj, const char *name, const double *v, hsize_t n)
{
    if (w->failed) return;
    hid_t s = h5_id(w, H5Screate_simple(1, &n, NULL), "H5Screate_simple", name);
    if (s >= 0) attr_write(w, obj, name, H5T_NATIVE_DOUBLE, s, v);
    h5_close(w, &s, name);
}

/* A creation property list of class cls that stores no object times, so that the same
 * series written twice (or by any number of MPI ranks) gives the same bytes. */
static hid_t untimed(nxw *w, hid_t cls, const char *name)
{
    hid_t pl = h5_id(w, H5Pcreate(cls), "H5Pcreate", name);
    if (pl >= 0 && h5_ok(w, H5Pset_obj_track_times(pl, 0), "H5Pset_obj_track_times", name))
        h5_close(w, &pl, name);
    return pl;
}

static hid_t nx_group(nxw *w, hid_t parent, const char *name, const char *nx_class)
{
    if (w->failed) return -1;
    hid_t gcpl = untimed(w, H5P_GROUP_CREATE, name);
    hid_t g = gcpl < 0 ? -1 : h5_id(w, H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT),
                                    "H5Gcreate2", name);
    if (gcpl >= 0) h5_close(w, &gcpl, name);
    if (g >= 0) attr_text(w, g, "NX_class", nx_class);
    return g;
}

/* A scalar (rank 0) dataset of `type`, from `value` in memory type `mtype`. */
static hid_t scalar_field(nxw *w, hid_t g, const char *name, hid_t type, hid_t mtype,
                          const void *value)
{
    if (w->failed) return -1;
    hid_t s = h5_id(w, H5Screate(H5S_SCALAR), "H5Screate", name);
    if (s < 0) return -1;
    hid_t dcpl = untimed(w, H5P_DATASET_CREATE, name);
    hid_t d = dcpl < 0 ? -1 : h5_id(w, H5Dcreate2(g, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                                    "H5Dcreate2", name);
    if (dcpl >= 0) h5_close(w, &dcpl, name);
    h5_close(w, &s, name);
    if (d >= 0)
        h5_ok(w, H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, value), "H5Dwrite", name);
    return d;
}

static void text_field(nxw *w, hid_t g, const char *name, const char *text)
{
    if (w->failed) return;
    hid_t t = text_type(w, text, name);
    if (t < 0) return;
    hid_t d = scalar_field(w, g, name, t, t, text);
    h5_close(w, &d, name);
    h5_close(w, &t, name);
}

/* A number with its units; returns the dataset for more attributes (caller closes). */
static hid_t number_field(nxw *w, hid_t g, const char *name, double v, const char *units)
{
    hid_t d = scalar_field(w, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
    if (d >= 0 && units) attr_text(w, d, "units", units);
    return d;
}

static void number(nxw *w, hid_t g, const char *name, double v, const char *units)
{
    hid_t d = number_field(w, g, name, v, units);
    h5_close(w, &d, name);
}

static void integer(nxw *w, hid_t g, const char *name, int v)
{
    hid_t d = scalar_field(w, g, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
    h5_close(w, &d, name);
}

static void integer_pair(nxw *w, hid_t g, const char *name, int a, int b)
{
    if (w->failed) return;
    const int v[2] = {a, b};
    hsize_t n = 2;
    hid_t s = h5_id(w, H5Screate_simple(1, &n, NULL), "H5Screate_simple", name);
    if (s < 0) return;
    hid_t dcpl = untimed(w, H5P_DATASET_CREATE, name);
    hid_t d = dcpl < 0 ? -1 : h5_id(w, H5Dcreate2(g, name, H5T_STD_I32LE, s, H5P_DEFAULT, dcpl,
                                                  H5P_DEFAULT), "H5Dcreate2", name);
    if (dcpl >= 0) h5_close(w, &dcpl, name);
    if (d >= 0) h5_ok(w, H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v),
                      "H5Dwrite", name);
    h5_close(w, &d, name);
    h5_close(w, &s, name);
}

/* The NXtransformations attributes of one axis: a fixed zero offset in mm. */
static void axis_attrs(nxw *w, hid_t d, const char *type, const double vector[3],
                       const char *depends_on)
{
    static const double zero[3] = {0, 0, 0};
    attr_text(w, d, "transformation_type", type);
    attr_doubles(w, d, "vector", vector, 3);
    attr_doubles(w, d, "offset", zero, 3);
    attr_text(w, d, "offset_units", "mm");
    attr_text(w, d, "depends_on", depends_on);
}

static void translation(nxw *w, hid_t g, const char *name, double mm, const double vector[3],
                        const char *depends_on)
{
    hid_t d = number_field(w, g, name, mm, "mm");
    if (d >= 0) axis_attrs(w, d, "translation", vector, depends_on);
    h5_close(w, &d, name);
}

static void hard_link(nxw *w, hid_t file, const char *target, const char *link)
{
    if (w->failed) return;
    h5_ok(w, H5Lcreate_hard(file, target, file, link, H5P_DEFAULT, H5P_DEFAULT),
          "H5Lcreate_hard", link);
}

/* ---- datasets that grow by one image at a time ---------------------------------------- */

/* An empty (0, dims...) dataset, unlimited along the first axis, chunked by `chunk0`
 * rows; dcpl may carry filters (H5P_DEFAULT: a plain chunked one). */
static hid_t growing_dataset(nxw *w, hid_t g, const char *name, hid_t type, int rank,
                             const hsize_t *row_dims, hsize_t chunk0, hid_t dcpl_filters)
{
    if (w->failed) return -1;
    hsize_t dims[3] = {0, 1, 1}, maxd[3] = {H5S_UNLIMITED, 1, 1}, chunk[3] = {chunk0, 1, 1};
    for (int i = 1; i < rank; i++) dims[i] = maxd[i] = chunk[i] = row_dims[i - 1];
    hid_t dcpl = dcpl_filters;
    if (dcpl == H5P_DEFAULT)
        dcpl = h5_id(w, H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", name);
    hid_t s = dcpl < 0 ? -1
                       : h5_id(w, H5Screate_simple(rank, dims, maxd), "H5Screate_simple", name);
    hid_t d = -1;
    if (s >= 0 && !h5_ok(w, H5Pset_chunk(dcpl, rank, chunk), "H5Pset_chunk", name) &&
        !h5_ok(w, H5Pset_obj_track_times(dcpl, 0), "H5Pset_obj_track_times", name))
        d = h5_id(w, H5Dcreate2(g, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                  "H5Dcreate2", name);
    h5_close(w, &s, name);
    if (dcpl_filters == H5P_DEFAULT) h5_close(w, &dcpl, name);
    return d;
}

/* Write one row (everything but the first axis) at index `at`, growing the dataset. */
static int append_row(nxw *w, hid_t d, hid_t mem_type, hsize_t at, const void *row,
                      const char *what)
{
    if (w->failed) return -1;
    hid_t fs = h5_id(w, H5Dget_space(d), "H5Dget_space", what);
    if (fs < 0) return -1;
    hsize_t dims[3] = {0, 1, 1};
    int rank = H5Sget_simple_extent_dims(fs, dims, NULL);
    h5_close(w, &fs, what);
    if (rank < 1 || rank > 3) return h5_fail(w, "H5Sget_simple_extent_dims", what);
    dims[0] = at + 1;
    if (h5_ok(w, H5Dset_extent(d, dims), "H5Dset_extent", what)) return -1;
    fs = h5_id(w, H5Dget_space(d), "H5Dget_space", what);
    hsize_t start[3] = {at, 0, 0}, count[3] = {1, dims[1], dims[2]};
    hid_t ms = fs < 0 ? -1
                      : h5_id(w, H5Screate_simple(rank, count, NULL), "H5Screate_simple", what);
    if (ms >= 0 &&
        !h5_ok(w, H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL),
               "H5Sselect_hyperslab", what))
        h5_ok(w, H5Dwrite(d, mem_type, ms, fs, H5P_DEFAULT, row), "H5Dwrite", what);
    h5_close(w, &ms, what);
    h5_close(w, &fs, what);
    return w->failed ? -1 : 0;
}

/* ---- compression -------------------------------------------------------------------- */

static int bitshuffle_loadable(void)
{
    unsigned int config = 0;
    if (H5Zfilter_avail(BSHUF_FILTER_ID) <= 0) return 0;
    if (H5Zget_filter_info(BSHUF_FILTER_ID, &config) < 0) return 0;
    return (config & H5Z_FILTER_CONFIG_ENCODE_ENABLED) != 0;
}

/* A dataset creation list with one filter pipeline, or -1 (HDF5's stack left as it is). */
static hid_t image_dcpl(int bitshuffle)
{
    /* the caller's options are (block size, compression); the filter puts its version
     * and the element size in front of them. Block size 0: the filter's own choice. */
    const unsigned int bshuf_opts[2] = {0, BSHUF_LZ4};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return -1;
    herr_t rc = bitshuffle
        ? H5Pset_filter(dcpl, BSHUF_FILTER_ID, H5Z_FLAG_MANDATORY, 2, bshuf_opts)
        : (H5Pset_shuffle(dcpl) < 0 ? -1 : H5Pset_deflate(dcpl, DEFLATE_LEVEL));
    if (rc >= 0) rc = H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    if (rc < 0) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

/* Bitshuffle/LZ4 if the plugin loads and takes the dataset, else shuffle + deflate. */
static hid_t image_stack(nxw *w, nbcl_nexus *nx, hid_t g)
{
    if (w->failed) return -1;
    const hsize_t row[2] = {(hsize_t)nx->slow, (hsize_t)nx->fast};
    if (bitshuffle_loadable()) {
        hid_t dcpl = image_dcpl(1);
        hid_t d = -1;
        if (dcpl >= 0) {
            nxw trial = {w->path, NULL, 0};
            d = growing_dataset(&trial, g, "data", H5T_STD_I32LE, 3, row, 1, dcpl);
            H5Pclose(dcpl);
        }
        H5Eclear2(H5E_DEFAULT);
        if (d >= 0) {
            nx->compression = "bitshuffle/lz4";
            return d;
        }
    }
    hid_t dcpl = h5_id(w, image_dcpl(0), "H5Pset_deflate", "data");
    if (dcpl < 0) return -1;
    hid_t d = growing_dataset(w, g, "data", H5T_STD_I32LE, 3, row, 1, dcpl);
    h5_close(w, &dcpl, "data");
    nx->compression = "shuffle+deflate";
    return d;
}

/* ---- geometry ----------------------------------------------------------------------- */

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross3(const double a[3], const double b[3], double out[3])
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Unit vector of v into out; 0 if v is too short (or not finite) to have a direction. */
static int unit3(const double v[3], double out[3])
{
    double n = sqrt(dot3(v, v));
    if (!(n > 1e-12) || !isfinite(n)) return 0;
    for (int i = 0; i < 3; i++) out[i] = v[i] / n;
    return 1;
}

typedef struct nx_geom {
    nbcl_nexus_geometry g;        /* as given, axes made unit */
    int modules;                  /* 1, or g.npanels */
    nbcl_nexus_panel *panel;      /* g.npanels > 1: own copy, axes made unit */
    double origin_len, origin_dir[3];
    int has_centre;               /* the beam (+z through the sample) meets the detector plane */
    double distance_mm, centre_px[2];
} nx_geom;

/* Where the beam meets the detector plane: its distance from the sample and its position
 * in pixels from the outer corner of pixel (0,0) (fast, slow). */
static void beam_centre(nx_geom *x)
{
    static const double beam[3] = {0, 0, 1};
    double normal[3];
    cross3(x->g.fast_axis, x->g.slow_axis, normal);
    double along = dot3(beam, normal);
    x->has_centre = fabs(along) > 1e-9;
    if (!x->has_centre) return;
    double t = dot3(x->g.origin_mm, normal) / along;
    double hit[3] = {beam[0] * t - x->g.origin_mm[0], beam[1] * t - x->g.origin_mm[1],
                     beam[2] * t - x->g.origin_mm[2]};
    x->distance_mm = t;
    x->centre_px[0] = dot3(hit, x->g.fast_axis) / x->g.pixel_mm;
    x->centre_px[1] = dot3(hit, x->g.slow_axis) / x->g.pixel_mm;
}

static int finite3(const double v[3])
{
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

static int check_geometry(const char *path, const nbcl_nexus_geometry *g, nx_geom *x,
                          nbcl_err *err)
{
    x->g = *g;
    if (g->fast < 1 || g->slow < 1 || (double)g->fast * g->slow > 1e9)
        return nbcl_err_code(err, NBCL_E_INVALID, "%s: NeXus detector of %d x %d pixels",
                             path, g->fast, g->slow);
    if (!(g->pixel_mm > 0) || !isfinite(g->pixel_mm) || !(g->wavelength_A > 0) ||
        !isfinite(g->wavelength_A) || !(g->exposure_s >= 0) || !isfinite(g->exposure_s) ||
        !(g->sensor_thickness_mm >= 0) || !isfinite(g->sensor_thickness_mm))
        return nbcl_err_code(err, NBCL_E_INVALID,
                             "%s: NeXus geometry needs a positive pixel size and wavelength "
                             "and a non-negative exposure and sensor thickness", path);
    if (!unit3(g->fast_axis, x->g.fast_axis) || !unit3(g->slow_axis, x->g.slow_axis) ||
        !unit3(g->rotation_axis, x->g.rotation_axis) || !finite3(g->origin_mm))
        return nbcl_err_code(err, NBCL_E_INVALID,
                             "%s: NeXus geometry needs finite, non-zero fast, slow and "
                             "rotation axes and a finite origin", path);
    x->modules = g->npanels > 1 ? g->npanels : 1;
    x->panel = NULL;
    if (x->modules > 1) {
        if (!g->panels || (double)g->fast * g->slow * g->npanels > 1e9)
            return nbcl_err_code(err, NBCL_E_INVALID, "%s: NeXus detector of %d modules", path, g->npanels);
        x->panel = calloc((size_t)x->modules, sizeof *x->panel);
        if (!x->panel) return nbcl_err_code(err, NBCL_E_NOMEM, "%s: out of memory", path);
        for (int i = 0; i < x->modules; i++) {
            const nbcl_nexus_panel *p = &g->panels[i];
            if (!unit3(p->fast_axis, x->panel[i].fast_axis) || !unit3(p->slow_axis, x->panel[i].slow_axis) ||
                !finite3(p->origin_mm)) {
                free(x->panel);
                return nbcl_err_code(err, NBCL_E_INVALID, "%s: NeXus module %d needs finite, non-zero fast "
                                     "and slow axes and a finite origin", path, i);
            }
            memcpy(x->panel[i].origin_mm, p->origin_mm, sizeof p->origin_mm);
        }
    }
    static const double along_beam[3] = {0, 0, 1};
    x->origin_len = sqrt(dot3(g->origin_mm, g->origin_mm));
    if (!unit3(g->origin_mm, x->origin_dir)) memcpy(x->origin_dir, along_beam, sizeof along_beam);
    beam_centre(x);
    return 0;
}

/* ---- the file's layout -------------------------------------------------------------- */

#define DET "/entry/instrument/detector"
#define DET_ORIGIN DET "/transformations/translation"
#define MODULE_OFFSET DET "/module/module_offset"
#define SAMPLE_AXIS "/entry/sample/transformations/omega"

/* the time now, or $SOURCE_DATE_EPOCH (seconds since 1970) for reproducible files: runs
 * given the same epoch write the same bytes */
static void utc_now(char out[32])
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long fixed = epoch && *epoch ? strtoll(epoch, &end, 10) : -1;
    time_t now = fixed >= 0 && end && *end == '\0' ? (time_t)fixed : time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static void write_module(nxw *w, hid_t det, const nx_geom *x)
{
    hid_t m = nx_group(w, det, "module", "NXdetector_module");
    integer_pair(w, m, "data_origin", 0, 0);
    integer_pair(w, m, "data_size", x->g.slow, x->g.fast);
    translation(w, m, "module_offset", 0.0, x->origin_dir, DET_ORIGIN);
    translation(w, m, "fast_pixel_direction", x->g.pixel_mm, x->g.fast_axis, MODULE_OFFSET);
    translation(w, m, "slow_pixel_direction", x->g.pixel_mm, x->g.slow_axis, MODULE_OFFSET);
    h5_close(w, &m, "module");
}

/* Module i of several: its rows of the stacked image, and its origin as an offset from the
 * detector's translation (panel 0's origin), so that each module has its own chain
 * fast/slow_pixel_direction -> module_i/module_offset -> detector translation. */
static void write_panel_module(nxw *w, hid_t det, const nx_geom *x, int i)
{
    char name[32], offset[96];
    snprintf(name, sizeof name, "module_%d", i);
    snprintf(offset, sizeof offset, DET "/%s/module_offset", name);
    const nbcl_nexus_panel *p = &x->panel[i];
    double d[3], dir[3];
    for (int k = 0; k < 3; k++) d[k] = p->origin_mm[k] - x->panel[0].origin_mm[k];
    double len = sqrt(dot3(d, d));
    if (!unit3(d, dir)) {
        memcpy(dir, x->origin_dir, sizeof dir);
        len = 0.0;
    }
    hid_t m = nx_group(w, det, name, "NXdetector_module");
    integer_pair(w, m, "data_origin", i * x->g.slow, 0);
    integer_pair(w, m, "data_size", x->g.slow, x->g.fast);
    translation(w, m, "module_offset", len, dir, DET_ORIGIN);
    translation(w, m, "fast_pixel_direction", x->g.pixel_mm, p->fast_axis, offset);
    translation(w, m, "slow_pixel_direction", x->g.pixel_mm, p->slow_axis, offset);
    h5_close(w, &m, name);
}

/* NXmx requires a sensor thickness and dxtbx refuses one of 0 (its parallax correction
 * asserts t0 > 0). A sensor of no stated thickness is one without parallax, so it is
 * written as 1 nm, whose parallax shift (~1e-6 mm) is nil, and says so. */
static void write_thickness(nxw *w, hid_t det, double mm)
{
    hid_t d = number_field(w, det, "sensor_thickness", mm > 0 ? mm * 1e-3 : TOKEN_THICKNESS_M, "m");
    if (d >= 0 && !(mm > 0))
        attr_text(w, d, "description", "not stated: a token thickness for a sensor without "
                                       "parallax");
    h5_close(w, &d, "sensor_thickness");
}

static void write_detector_scalars(nxw *w, hid_t det, const nx_geom *x)
{
    text_field(w, det, "description", "nanoBragg-CL simulated pixel-array detector");
    text_field(w, det, "type", "pixel");
    text_field(w, det, "depends_on", DET_ORIGIN);
    text_field(w, det, "sensor_material", "Silicon");
    write_thickness(w, det, x->g.sensor_thickness_mm);
    integer(w, det, "saturation_value", x->g.saturation_value);
    number(w, det, "count_time", x->g.exposure_s, "s");
    number(w, det, "frame_time", x->g.exposure_s, "s");
    number(w, det, "x_pixel_size", x->g.pixel_mm * 1e-3, "m");
    number(w, det, "y_pixel_size", x->g.pixel_mm * 1e-3, "m");
    if (!x->has_centre) return;
    number(w, det, "distance", x->distance_mm * 1e-3, "m");
    number(w, det, "beam_center_x", x->centre_px[0], "pixel");
    number(w, det, "beam_center_y", x->centre_px[1], "pixel");
}

static void write_detector(nxw *w, hid_t instrument, const nx_geom *x)
{
    hid_t det = nx_group(w, instrument, "detector", "NXdetector");
    write_detector_scalars(w, det, x);
    hid_t tr = nx_group(w, det, "transformations", "NXtransformations");
    translation(w, tr, "translation", x->origin_len, x->origin_dir, ".");
    h5_close(w, &tr, "transformations");
    if (x->modules == 1) write_module(w, det, x);
    for (int i = 0; x->modules > 1 && i < x->modules; i++) write_panel_module(w, det, x, i);
    h5_close(w, &det, "detector");
}

static void write_instrument(nxw *w, hid_t entry, const nx_geom *x)
{
    hid_t ins = nx_group(w, entry, "instrument", "NXinstrument");
    text_field(w, ins, "name", "nanoBragg-CL simulation");
    hid_t beam = nx_group(w, ins, "beam", "NXbeam");
    number(w, beam, "incident_wavelength", x->g.wavelength_A, "angstrom");
    h5_close(w, &beam, "beam");
    write_detector(w, ins, x);
    h5_close(w, &ins, "instrument");
}

/* The rotation axis and its per-image datasets (start, end, range), all growing. */
static void write_goniometer(nxw *w, nbcl_nexus *nx, hid_t sample, const nx_geom *x)
{
    text_field(w, sample, "depends_on", SAMPLE_AXIS);
    hid_t tr = nx_group(w, sample, "transformations", "NXtransformations");
    nx->angle = growing_dataset(w, tr, "omega", H5T_IEEE_F64LE, 1, NULL, nx->chunk1d, H5P_DEFAULT);
    attr_text(w, nx->angle, "units", "deg");
    axis_attrs(w, nx->angle, "rotation", x->g.rotation_axis, ".");
    nx->angle_end = growing_dataset(w, tr, "omega_end", H5T_IEEE_F64LE, 1, NULL, nx->chunk1d,
                                    H5P_DEFAULT);
    attr_text(w, nx->angle_end, "units", "deg");
    nx->angle_inc = growing_dataset(w, tr, "omega_increment_set", H5T_IEEE_F64LE, 1, NULL,
                                    nx->chunk1d, H5P_DEFAULT);
    attr_text(w, nx->angle_inc, "units", "deg");
    h5_close(w, &tr, "transformations");
}

static void write_sample(nxw *w, nbcl_nexus *nx, hid_t entry, const nx_geom *x)
{
    nx->sample = nx_group(w, entry, "sample", "NXsample");
    text_field(w, nx->sample, "name", "simulated crystal");
    write_goniometer(w, nx, nx->sample, x);
}

static void write_data_group(nxw *w, nbcl_nexus *nx, hid_t entry)
{
    hid_t data = nx_group(w, entry, "data", "NXdata");
    attr_text(w, data, "signal", "data");
    nx->data = image_stack(w, nx, data);
    h5_close(w, &data, "data");
}

static void write_layout(nxw *w, nbcl_nexus *nx, const nx_geom *x)
{
    char now[32];
    utc_now(now);
    attr_text(w, nx->file, "default", "entry");
    attr_text(w, nx->file, "creator", "nanoBragg-CL");
    nx->entry = nx_group(w, nx->file, "entry", "NXentry");
    attr_text(w, nx->entry, "default", "data");
    attr_text(w, nx->entry, "version", "1.0");
    text_field(w, nx->entry, "definition", "NXmx");
    text_field(w, nx->entry, "start_time", now);
    hid_t source = nx_group(w, nx->entry, "source", "NXsource");
    text_field(w, source, "name", "nanoBragg-CL simulated source");
    h5_close(w, &source, "source");
    write_instrument(w, nx->entry, x);
    write_sample(w, nx, nx->entry, x);
    write_data_group(w, nx, nx->entry);
    hard_link(w, nx->file, "/entry/data/data", DET "/data");
    hard_link(w, nx->file, "/entry/instrument/beam", "/entry/sample/beam");
}

/* ---- the temporary file ------------------------------------------------------------- */

static mode_t process_umask(void)
{
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

static int missing_dir_error(const char *path, int code, nbcl_err *err)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0)
        return nbcl_err_code(err, NBCL_E_FILE,
                             "%s: cannot create NeXus file: directory %s does not exist", path,
                             dir);
    return nbcl_err_code(err, NBCL_E_FILE, "%s: cannot create NeXus file: %s", path,
                         strerror(code));
}

/* "path.tmp.XXXXXX", created empty (mode 0666 less the umask) beside path. */
static int make_temporary(nbcl_nexus *nx, const char *path, nbcl_err *err)
{
    size_t len = strlen(path);
    nx->path = strdup(path);
    nx->tmp = malloc(len + sizeof ".tmp.XXXXXX");
    if (!nx->path || !nx->tmp)
        return nbcl_err_code(err, NBCL_E_NOMEM, "%s: out of memory", path);
    memcpy(nx->tmp, path, len);
    memcpy(nx->tmp + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = nbcl_temp_create(nx->tmp);   /* noted: removed on a fatal signal */
    if (fd < 0) {
        int code = errno;
        free(nx->tmp);
        nx->tmp = NULL;
        return missing_dir_error(path, code, err);
    }
    fchmod(fd, 0666 & ~process_umask());
    close(fd);
    return 0;
}

static int create_file(nxw *w, nbcl_nexus *nx)
{
    hid_t fapl = h5_id(w, H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", "file access");
    if (fapl >= 0)
        h5_ok(w, H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree", nx->tmp);
    /* no chunk cache: each image goes to the disk as it is appended (memory stays one
     * image, and nothing large is left to write when the file is closed or given up) */
    if (fapl >= 0 && !w->failed)
        h5_ok(w, H5Pset_cache(fapl, 0, 521, 0, 0.75), "H5Pset_cache", nx->tmp);
    if (!w->failed)
        nx->file = h5_id(w, H5Fcreate(nx->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "H5Fcreate",
                         nx->tmp);
    h5_close(w, &fapl, "file access");
    return w->failed ? -1 : 0;
}

static void release(nbcl_nexus *nx)
{
    free(nx->path);
    free(nx->tmp);
    free(nx);
}

/* Close every identifier still open, quietly (the file is being given up or is already
 * in error), remove the temporary and free nx. */
static void discard(nbcl_nexus *nx)
{
    hid_t *ids[] = {&nx->data, &nx->angle, &nx->angle_end, &nx->angle_inc, &nx->umat,
                    &nx->sample, &nx->entry, &nx->file};
    nxw ignore = {nx->path, NULL, 0};
    /* Closing flushes what HDF5 still holds. On a full disk that flush fails, and HDF5
     * 1.10 then keeps a half-closed file that crashes the library at exit. Appends flush
     * as they go, so little is pending; emptying the temporary first gives it room
     * (nothing of the file is kept anyway). */
    if (nx->file >= 0 && nx->tmp) {
        int rc = truncate(nx->tmp, 0);   /* if even this fails, so may the close: ignored */
        (void)rc;
    }
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) h5_close(&ignore, ids[i], "");
    H5Eclear2(H5E_DEFAULT);
    if (nx->tmp) {
        unlink(nx->tmp);
        nbcl_temp_forget(nx->tmp);
    }
    release(nx);
}

static nbcl_nexus *new_handle(const nx_geom *x, int expected_images)
{
    nbcl_nexus *nx = calloc(1, sizeof *nx);
    if (!nx) return NULL;
    nx->file = nx->data = nx->angle = nx->angle_end = nx->angle_inc = nx->umat = -1;
    nx->entry = nx->sample = -1;
    nx->fast = x->g.fast;
    nx->slow = x->g.slow * x->modules;
    nx->chunk1d = expected_images > 0 ? (hsize_t)expected_images : SERIES_CHUNK_DEFAULT;
    if (nx->chunk1d > SERIES_CHUNK_MAX) nx->chunk1d = SERIES_CHUNK_MAX;
    nx->compression = "none";
    return nx;
}

/* ---- the public calls --------------------------------------------------------------- */

int nbcl_nexus_open(const char *path, const nbcl_nexus_geometry *g, int expected_images,
                    nbcl_nexus **out, nbcl_err *err)
{
    *out = NULL;
    if (!path || !*path) return nbcl_err_code(err, NBCL_E_INVALID, "NeXus file name is empty");
    /* HDF5 1.10 cannot close a file whose writes failed (a file-size limit, a full disk the
     * space check did not foresee) and then crashes in its exit handler: skip that handler.
     * Our own close and abort release everything that can be released. */
    H5dont_atexit();
    nx_geom x;
    if (check_geometry(path, g, &x, err)) return -1;
    nbcl_nexus *nx = new_handle(&x, expected_images);
    if (!nx) {
        free(x.panel);
        return nbcl_err_code(err, NBCL_E_NOMEM, "%s: out of memory", path);
    }
    if (make_temporary(nx, path, err)) {
        free(x.panel);
        release(nx);
        return -1;
    }
    h5quiet q;
    quiet_begin(&q);
    nxw w = {path, err, 0};
    if (!create_file(&w, nx)) write_layout(&w, nx, &x);
    free(x.panel);
    if (w.failed) discard(nx);
    quiet_end(&q);
    if (w.failed) return -1;
    *out = nx;
    return 0;
}

/* The orientation dataset, made when the first umat arrives: earlier images get NaN
 * (no orientation stated), as do later images appended without one. */
static void ensure_orientations(nxw *w, nbcl_nexus *nx)
{
    static const hsize_t row[2] = {3, 3};
    if (nx->umat >= 0 || w->failed) return;
    nx->umat = growing_dataset(w, nx->sample, "ub_matrix", H5T_IEEE_F64LE, 3, row,
                               nx->chunk1d, H5P_DEFAULT);
    attr_text(w, nx->umat, "description",
              "per image: UB, the crystal's reciprocal axes a*, b*, c* as columns (McStas frame, "
              "at the image's rotation angle 0), as used to simulate it; NaN where none was stated");
    attr_text(w, nx->umat, "units", "1/angstrom");
    double unknown[9];
    for (int i = 0; i < 9; i++) unknown[i] = NAN;
    for (hsize_t i = 0; i < nx->images && !w->failed; i++)
        append_row(w, nx->umat, H5T_NATIVE_DOUBLE, i, unknown, "ub_matrix");
}

static void append_orientation(nxw *w, nbcl_nexus *nx, const double *umat)
{
    double unknown[9];
    if (umat) ensure_orientations(w, nx);
    if (nx->umat < 0) return;
    if (!umat) {
        for (int i = 0; i < 9; i++) unknown[i] = NAN;
        umat = unknown;
    }
    append_row(w, nx->umat, H5T_NATIVE_DOUBLE, nx->images, umat, "ub_matrix");
}

/* HDF5 1.10 does not survive a metadata write that fails (a failed flush leaves a file
 * that can no longer be closed and that crashes the library at exit), so a full disk is
 * caught here, before HDF5 writes: room for `need` bytes, what HDF5 holds in its metadata
 * cache, and a margin. */
static int check_room(nxw *w, nbcl_nexus *nx, double need, const char *what)
{
    struct statvfs st;
    size_t max_size = 0, min_clean = 0, cur_size = 0;
    int entries = 0;
    if (w->failed || statvfs(nx->tmp, &st) != 0) return w->failed ? -1 : 0;
    if (H5Fget_mdc_size(nx->file, &max_size, &min_clean, &cur_size, &entries) < 0)
        return h5_fail(w, "H5Fget_mdc_size", nx->tmp);
    double avail = (double)st.f_bavail * (double)st.f_frsize;
    double want = need + (double)cur_size + DISK_MARGIN;
    if (avail >= want) return 0;
    nbcl_err_code(w->err, NBCL_E_FILE,
                  "%s: no room on the disk for %s (%.0f bytes free, %.0f wanted)", w->path,
                  what, avail, want);
    w->failed = 1;
    return -1;
}

int nbcl_nexus_append(nbcl_nexus *nx, const int32_t *counts, double angle_start_deg,
                      double angle_range_deg, const double *umat, nbcl_err *err)
{
    if (!nx || !counts)
        return nbcl_err_code(err, NBCL_E_INVALID, "NeXus append: no file or no image");
    if (!isfinite(angle_start_deg) || !isfinite(angle_range_deg))
        return nbcl_err_code(err, NBCL_E_INVALID, "%s: image %llu: rotation angle is not finite",
                             nx->path, (unsigned long long)nx->images + 1);
    h5quiet q;
    quiet_begin(&q);
    nxw w = {nx->path, err, 0};
    const double end = angle_start_deg + angle_range_deg;
    check_room(&w, nx, 4.0 * nx->fast * nx->slow, "the next image");
    append_row(&w, nx->data, H5T_NATIVE_INT32, nx->images, counts, "/entry/data/data");
    append_row(&w, nx->angle, H5T_NATIVE_DOUBLE, nx->images, &angle_start_deg, SAMPLE_AXIS);
    append_row(&w, nx->angle_end, H5T_NATIVE_DOUBLE, nx->images, &end, SAMPLE_AXIS "_end");
    append_row(&w, nx->angle_inc, H5T_NATIVE_DOUBLE, nx->images, &angle_range_deg,
               SAMPLE_AXIS "_increment_set");
    append_orientation(&w, nx, umat);
    /* the file on disk is complete after every image (see discard() for why this matters) */
    if (!w.failed) h5_ok(&w, H5Fflush(nx->file, H5F_SCOPE_LOCAL), "H5Fflush", nx->tmp);
    quiet_end(&q);
    if (w.failed) return -1;
    nx->images++;
    return 0;
}

static void finish_file(nxw *w, nbcl_nexus *nx)
{
    char now[32];
    utc_now(now);
    check_room(w, nx, 0, "closing the file");
    text_field(w, nx->entry, "end_time", now);
    text_field(w, nx->entry, "end_time_estimated", now);
    /* everything reaches the disk here, where a failure (a full disk) can still be undone
     * by discard(); the closes below then have nothing left to write */
    if (w->failed || h5_ok(w, H5Fflush(nx->file, H5F_SCOPE_GLOBAL), "H5Fflush", nx->tmp)) return;
    hid_t *ids[] = {&nx->data, &nx->angle, &nx->angle_end, &nx->angle_inc, &nx->umat,
                    &nx->sample, &nx->entry};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) h5_close(w, ids[i], nx->path);
    h5_close(w, &nx->file, nx->tmp);
}

int nbcl_nexus_close(nbcl_nexus *nx, nbcl_err *err)
{
    if (!nx) return nbcl_err_code(err, NBCL_E_INVALID, "NeXus close: no file");
    h5quiet q;
    quiet_begin(&q);
    nxw w = {nx->path, err, 0};
    finish_file(&w, nx);
    /* renamed into place now, or with the other files of an open output group */
    if (!w.failed && nbcl_temp_publish(nx->tmp, nx->path, err)) {
        if (err) err->code = NBCL_E_FILE;
        w.failed = 1;
    }
    if (w.failed) {
        discard(nx);
    } else {
        release(nx);
    }
    quiet_end(&q);
    return w.failed ? -1 : 0;
}

void nbcl_nexus_abort(nbcl_nexus *nx)
{
    if (!nx) return;
    h5quiet q;
    quiet_begin(&q);
    discard(nx);
    quiet_end(&q);
}

const char *nbcl_nexus_compression(const nbcl_nexus *nx)
{
    return nx ? nx->compression : "none";
}
