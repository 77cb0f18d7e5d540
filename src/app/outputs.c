/* outputs.c: everything written after the detector has been simulated.
 * Statistics (max_I, mean, rms, rmsd) and the float, SMV, PGM and noise files follow the
 * reference line for line so that its users' scripts and byte comparisons keep working;
 * the PNG preview is nanoBragg-CL's own. Every file is written to a temporary name and
 * renamed, so a failure never leaves half a file. */
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/image.h"
#include "model/noise.h"
#include "io/outfile.h"
#include "io/pgm.h"
#include "io/png.h"
#include "io/smv.h"

static int in_roi(const nbcl_sim *s, int f, int sl)
{
    return !(f < s->roi_xmin || f > s->roi_xmax || sl < s->roi_ymin || sl > s->roi_ymax);
}

/* the directory `path` would be written into must exist and be writable */
static int check_writable(const char *flag, const char *path, nbcl_err *err)
{
    if (access(path, W_OK) == 0) return 0;   /* an existing file or device we may write */
    char *copy = strdup(path);
    if (!copy) return nbcl_err_set(err, "out of host memory");
    const char *dir = dirname(copy);
    int ok = access(dir, W_OK) == 0;
    int rc = ok ? 0 : nbcl_err_set(err, "%s %s: directory %s does not exist or is not writable", flag, path, dir);
    free(copy);
    return rc;
}

int nbcl_outputs_check(const nbcl_config *c, nbcl_err *err)
{
    struct { int on; const char *flag, *path; } outs[] = {
        {1, "-floatfile", c->floatfile}, {1, "-intfile", c->intfile},
        {c->write_pgm, "-pgmfile", c->pgmfile}, {c->pngfile != NULL, "-pngfile", c->pngfile},
        {c->calculate_noise, "-noisefile", c->noisefile},
    };
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; ++i)
        if (outs[i].on && check_writable(outs[i].flag, outs[i].path, err)) return -1;
    return 0;
}

void nbcl_image_stats(const nbcl_sim *s, const float *img, const unsigned short *mask, nbcl_stats *st)
{
    double sum = 0.0, sumsqr = 0.0;
    long n = 0;
    memset(st, 0, sizeof *st);
    int os = s->oversample;
    for (int sl = 0; sl < s->spixels; ++sl)
        for (int f = 0; f < s->fpixels; ++f) {
            size_t i = (size_t)sl * s->fpixels + f;
            if (!in_roi(s, f, sl) || (mask && mask[i] == 0)) continue;
            double v = img[i];
            if (v > st->max_I) {
                st->max_I = v;
                /* the reference reports the last sub-pixel it visited in that pixel */
                st->max_I_x = s->subpixel_size * (f * os + os - 1) + s->subpixel_size / 2.0;
                st->max_I_y = s->subpixel_size * (sl * os + os - 1) + s->subpixel_size / 2.0;
            }
            sum += v;
            sumsqr += v * v;
            ++n;
        }
    st->counted = n;
    if (n <= 0) n = 1;
    st->mean = sum / n;
    if (n <= 1) n = 2;
    st->rms = sqrt(sumsqr / (n - 1));
    double dev = 0.0;
    long m = 0;
    for (int sl = 0; sl < s->spixels; ++sl)
        for (int f = 0; f < s->fpixels; ++f) {
            if (!in_roi(s, f, sl)) continue;
            double t = img[(size_t)sl * s->fpixels + f] - st->mean;
            dev += t * t;
            ++m;
        }
    if (m <= 1) m = 2;
    st->rmsd = sqrt(dev / (m - 1));
}

static void smv_header(const nbcl_sim *s, int noise, nbcl_smv_header *h)
{
    memset(h, 0, sizeof *h);
    h->fpixels = s->fpixels;
    h->spixels = s->spixels;
    h->pixel_size = s->pixel_size;
    h->distance = s->distance;
    h->lambda0 = s->lambda0;
    h->Xbeam = s->Xbeam;
    h->Ybeam = s->Ybeam;
    h->Fbeam = s->Fbeam;
    h->Sbeam = s->Sbeam;
    h->detsize_s = s->detsize_s;
    memcpy(h->dials_origin, s->dials_origin, sizeof h->dials_origin);
    h->ORGX = s->ORGX;
    h->ORGY = s->ORGY;
    h->close_distance = s->close_distance;
    h->phi0 = s->phi0;
    h->osc = s->osc;
    h->twotheta = s->twotheta;
    h->noise = noise;
}

int nbcl_write_outputs(const nbcl_config *c, const nbcl_sim *s, const nbcl_inputs *in,
                       const nbcl_engine_result *res, nbcl_rng *rng, FILE *log, nbcl_err *err)
{
    const float *img = res->image;
    size_t npix = (size_t)s->fpixels * s->spixels;
    int roi[4] = {s->roi_xmin, s->roi_xmax, s->roi_ymin, s->roi_ymax};
    nbcl_stats st;
    nbcl_image_stats(s, img, in->mask, &st);

    fprintf(log, "\nsolid angle subtended by detector = %g steradian ( %g%% sphere)\n",
            res->omega_sum / s->steps, 100 * res->omega_sum / s->steps / 4 / M_PI);
    fprintf(log, "writing %s as %zu %zu-byte floats\n", c->floatfile, npix, sizeof(float));
    if (nbcl_floatfile_write(c->floatfile, img, npix, err)) return -1;
    fprintf(log, "max_I = %g  at %g %g\n", st.max_I, st.max_I_x, st.max_I_y);
    fprintf(log, "mean= %g rms= %g rmsd= %g\n", st.mean, st.rms, st.rmsd);

    double scale = c->intfile_scale;
    if (scale <= 0.0) scale = st.max_I > 0.0 ? 55000.0 / st.max_I : 1.0;
    fprintf(log, "intfile_scale = %g\n", scale);
    unsigned short *ints = calloc(npix ? npix : 1, sizeof *ints);
    if (!ints) return nbcl_err_set(err, "out of host memory for the SMV image");
    nbcl_smv_header hdr;
    nbcl_smv_from_float(img, s->fpixels, s->spixels, roi, scale, c->adc_offset, ints);
    fprintf(log, "writing %s as %zu-byte integers\n", c->intfile, sizeof(unsigned short));
    smv_header(s, 0, &hdr);
    int rc = nbcl_smv_write(c->intfile, &hdr, ints, err);

    if (!rc && c->write_pgm) {
        double pgm_scale = c->pgm_scale;
        if (pgm_scale <= 0.0) pgm_scale = st.rmsd > 0.0 ? 250.0 / (5.0 * st.rmsd) : scale;
        fprintf(log, "pgm_scale = %g\n", pgm_scale);
        fprintf(log, "writing %s as %zu-byte integers\n", c->pgmfile, sizeof(unsigned char));
        rc = nbcl_pgm_write(c->pgmfile, img, s->fpixels, s->spixels, roi, pgm_scale, err);
    }
    if (!rc && c->pngfile) {
        nbcl_png_opts po;
        nbcl_png_opts_default(&po);
        po.log = c->pnglog;
        fprintf(log, "writing %s as an 8-bit PNG preview\n", c->pngfile);
        rc = nbcl_png_write_preview(c->pngfile, img, s->fpixels, s->spixels, in->mask, &po, err);
    }
    if (!rc && c->calculate_noise) {
        double photons = 0.0;
        int overloads = 0;
        long seed = c->seed;
        memset(ints, 0, npix * sizeof *ints);
        nbcl_noise_image(img, s->fpixels, s->spixels, roi, c->adc_offset, &seed, rng, ints,
                         &photons, &overloads);
        fprintf(log, "%.0f photons on noise image (%d overloads)\n", photons, overloads);
        fprintf(log, "writing %s as %zu-byte integers\n", c->noisefile, sizeof(unsigned short));
        smv_header(s, 1, &hdr);
        rc = nbcl_smv_write(c->noisefile, &hdr, ints, err);
    }
    free(ints);
    return rc;
}

/* -printout / -printout_pixel: the reference's diagnostic lines for one or every pixel */
void nbcl_print_pixels(const nbcl_config *c, const nbcl_sim *s, const nbcl_inputs *in,
                       const nbcl_engine_result *res, FILE *log)
{
    if (!c->printout || !res->printout) return;
    int norient = 0;
    double *orient = nbcl_crystal_orientations(s, &norient);
    if (!orient) return;
    const double *abc = orient + 9 * (size_t)(norient - 1);
    size_t npix = (size_t)s->fpixels * s->spixels;
    for (int sl = 0; sl < s->spixels; ++sl)
        for (int f = 0; f < s->fpixels; ++f) {
            size_t i = (size_t)sl * s->fpixels + f;
            if (!in_roi(s, f, sl) || (in->mask && in->mask[i] == 0)) continue;
            if (c->printout_fpixel >= 0 && !(f == c->printout_fpixel && sl == c->printout_spixel)) continue;
            const double *v = res->printout;
#define PO(k) v[(size_t)(k) * npix + i]
            double x = PO(NBCL_PO_POS_X), y = PO(NBCL_PO_POS_Y), z = PO(NBCL_PO_POS_Z);
            double tth = atan2(sqrt(y * y + z * z), x);
            double h = PO(NBCL_PO_H), k = PO(NBCL_PO_K), l = PO(NBCL_PO_L);
            fprintf(log, "%4d %4d : stol = %g or %g\n", f, sl, PO(NBCL_PO_STOL), sin(tth / 2.0) / (s->lambda0 * 1e10));
            fprintf(log, "at %g %g %g\n", x, y, z);
            fprintf(log, "hkl= %f %f %f  hkl0= %d %d %d\n", h, k, l, (int)ceil(h - 0.5),
                    (int)ceil(k - 0.5), (int)ceil(l - 0.5));
            fprintf(log, " F_cell=%g  F_latt=%g   I = %g\n", PO(NBCL_PO_F_CELL), PO(NBCL_PO_F_LATT), PO(NBCL_PO_I));
            fprintf(log, "I/steps %15.10g\n", PO(NBCL_PO_I) / s->steps);
            fprintf(log, "polar   %15.10g\n", PO(NBCL_PO_POLAR));
            fprintf(log, "omega   %15.10g\n", PO(NBCL_PO_OMEGA));
            fprintf(log, "capfrac %15.10g\n", PO(NBCL_PO_CAPTURE));
            fprintf(log, "pixel   %15.10g\n", (double)res->image[i]);
#undef PO
            fprintf(log, "real-space cell vectors (Angstrom):\n");
            fprintf(log, "     %-10s  %-10s  %-10s\n", "a", "b", "c");
            for (int r = 0; r < 3; ++r)
                fprintf(log, "%c: %11.8f %11.8f %11.8f\n", "XYZ"[r], abc[r] * 1e10, abc[3 + r] * 1e10, abc[6 + r] * 1e10);
        }
    free(orient);
}
