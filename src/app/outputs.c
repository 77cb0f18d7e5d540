/* outputs.c: everything nanobragg-cl writes after the detector has been simulated.
 * Statistics (max_I, mean, rms, rmsd) and the float, SMV, PGM and noise files follow the
 * reference line for line so that its users' scripts and byte comparisons keep working;
 * the PNG preview is nanoBragg-CL's own. The library writes each file to a temporary name;
 * an image's files are renamed into place together once all were written, so a failure
 * leaves neither half a file nor some of an image's files. */
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/app.h"

/* the directory `path` would be written into must exist and be writable */
static int check_writable(const char *flag, const char *path)
{
    if (access(path, W_OK) == 0) return 0;   /* an existing file or device we may write */
    char *copy = strdup(path);
    if (!copy) return nbcl_app_fail("out of host memory");
    const char *dir = dirname(copy);
    int ok = access(dir, W_OK) == 0;
    if (!ok) {
        fflush(stdout);
        fprintf(stderr, "nanobragg-cl: error: %s %s: directory %s does not exist or is not writable\n",
                flag, path, dir);
    }
    free(copy);
    return ok ? 0 : 1;
}

int nbcl_app_check_outputs(const nbcl_outputs *o)
{
    struct { const char *flag, *path; } outs[] = {
        {"-floatfile", o->floatfile}, {"-intfile", o->intfile}, {"-pgmfile", o->pgmfile},
        {"-pngfile", o->pngfile}, {"-noisefile", o->noisefile}, {"-cbffile", o->cbffile},
        {"-nexusfile", o->nexusfile}, {"-noisepngfile", o->noisepngfile},
    };
    size_t n = sizeof outs / sizeof outs[0];
    for (size_t i = 0; i < n; ++i)
        if (outs[i].path && check_writable(outs[i].flag, outs[i].path)) return 1;
    /* two outputs on one file would leave only the last one written (devices excepted) */
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j)
            if (outs[i].path && outs[j].path && strcmp(outs[i].path, outs[j].path) == 0 &&
                strncmp(outs[i].path, "/dev/", 5) != 0) {
                fflush(stdout);
                fprintf(stderr, "nanobragg-cl: error: %s and %s both name %s\n", outs[i].flag,
                        outs[j].flag, outs[i].path);
                return 1;
            }
    return 0;
}

void nbcl_app_write_fdump(const nbcl_experiment *exp, const nbcl_outputs *o)
{
    /* like the reference, a dump file that cannot be written is only a warning */
    if (o->dumpfile && nbcl_experiment_write_fdump(exp, o->dumpfile))
        printf("WARNING: unable to write dump file: %s\n", nbcl_last_error());
}

static int failed(void)
{
    return nbcl_app_fail(NULL);
}

const char *nbcl_app_image_name(const char *pattern, int index, char *buf, size_t n)
{
    if (!pattern) return NULL;
    if (nbcl_app_numbered(pattern, index + 1, buf, n)) {
        nbcl_app_fail("an output file name is too long");
        return NULL;
    }
    return buf;
}

typedef struct image_names {
    char flt[4096], smv[4096], noise[4096], pgm[4096], png[4096], cbf[4096], noisepng[4096];
    const char *floatfile, *intfile, *noisefile, *pgmfile, *pngfile, *cbffile, *noisepngfile;
} image_names;

static int make_names(const nbcl_app_plan *p, int index, image_names *n)
{
    n->floatfile = nbcl_app_image_name(p->floatfile, index, n->flt, sizeof n->flt);
    n->intfile = nbcl_app_image_name(p->intfile, index, n->smv, sizeof n->smv);
    n->noisefile = nbcl_app_image_name(p->noisefile, index, n->noise, sizeof n->noise);
    n->pgmfile = nbcl_app_image_name(p->pgmfile, index, n->pgm, sizeof n->pgm);
    n->pngfile = nbcl_app_image_name(p->pngfile, index, n->png, sizeof n->png);
    n->cbffile = nbcl_app_image_name(p->cbffile, index, n->cbf, sizeof n->cbf);
    n->noisepngfile = nbcl_app_image_name(p->noisepngfile, index, n->noisepng, sizeof n->noisepng);
    return (p->noisepngfile && !n->noisepngfile) || (p->floatfile && !n->floatfile) || (p->intfile && !n->intfile) ||
           (p->noisefile && !n->noisefile) || (p->pgmfile && !n->pgmfile) ||
           (p->pngfile && !n->pngfile) || (p->cbffile && !n->cbffile);
}

/* nanoBragg's automatic scales: the brightest pixel to 55000 counts in the SMV image, five
 * rmsd to 250 in the PGM (each unless given) */
static double intfile_scale(const nbcl_outputs *o, const nbcl_image_stats *st)
{
    if (o->intfile_scale > 0.0) return o->intfile_scale;
    return st->max_I > 0.0 ? 55000.0 / st->max_I : 1.0;
}

static double pgm_scale_of(const nbcl_outputs *o, const nbcl_image_stats *st, double intfile_scale)
{
    if (o->pgm_scale > 0.0) return o->pgm_scale;
    return st->rmsd > 0.0 ? 250.0 / (5.0 * st->rmsd) : intfile_scale;
}

/* the counts (noise image, or the ideal image rounded); a status, nothing reported */
static nbcl_status photon_counts(const nbcl_engine *eng, const nbcl_app_plan *p, const nbcl_outputs *o,
                                 const float *img, long seed, uint16_t *ints, double *photons,
                                 int *overloads)
{
    if (p->noise) return nbcl_engine_noise(eng, img, seed, o->adc_offset, ints, photons, overloads);
    return nbcl_engine_counts(eng, img, 1.0, 0.0, ints);
}

int nbcl_app_photon_counts(const nbcl_engine *eng, const nbcl_app_plan *p, const nbcl_outputs *o,
                           const float *img, long seed, uint16_t *ints, double *photons, int *overloads)
{
    return photon_counts(eng, p, o, img, seed, ints, photons, overloads) ? failed() : 0;
}

/* The counts on a thread of their own, beside the float, SMV, PGM and PNG writes (which do
 * not use them): the seed-exact noise stays one sequential pass, but no longer waits for
 * the other files. */
typedef struct counts_job {
    const nbcl_engine *eng;
    const nbcl_app_plan *plan;
    const nbcl_outputs *o;
    const float *img;
    long seed;
    uint16_t *ints;
    double photons, seconds;
    int overloads;
    nbcl_status status;
    char error[1024];
    pthread_t thread;
    int started;
} counts_job;

static void *counts_main(void *arg)
{
    counts_job *j = arg;
    double t0 = nbcl_app_now();
    j->status = photon_counts(j->eng, j->plan, j->o, j->img, j->seed, j->ints, &j->photons, &j->overloads);
    if (j->status) snprintf(j->error, sizeof j->error, "%s", nbcl_last_error());   /* this thread's */
    j->seconds = nbcl_app_now() - t0;
    return NULL;
}

/* start the counts (on the calling thread when no thread can be had) */
static void counts_start(counts_job *j)
{
    j->started = pthread_create(&j->thread, NULL, counts_main, j) == 0;
    if (!j->started) counts_main(j);
}

/* wait for the counts (they write into ints); nonzero if they failed, reported when
 * report is set */
static int counts_finish(counts_job *j, int report)
{
    if (j->started) pthread_join(j->thread, NULL);
    j->started = 0;
    if (!j->status) return 0;
    return report ? nbcl_app_fail(j->error) : 1;
}

/* the noise image as a PNG preview: its counts less the ADC offset, as photons would show */
static int write_noise_png(const nbcl_engine *eng, const nbcl_outputs *o, const char *path,
                           const uint16_t *ints, size_t npix)
{
    float *v = malloc(npix * sizeof *v);
    if (!v) return nbcl_app_fail("out of host memory for the noise preview");
    for (size_t i = 0; i < npix; ++i) {
        double c = ints[i] - o->adc_offset;
        v[i] = c > 0.0 ? (float)c : 0.0f;
    }
    int rc = nbcl_engine_write_png(eng, path, v, o->png_log) ? failed() : 0;
    free(v);
    return rc;
}

/* The files of the float image: float, SMV, PGM, PNG (and the statistics they need). */
static int write_ideal_files(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                             const image_names *n, const float *img, const nbcl_run_info *info,
                             nbcl_app_streamed *streamed, int talk, nbcl_image_stats *st, double *lap)
{
    double t = *lap;
    if (streamed) {
        *st = streamed->stats;
    } else {
        nbcl_engine_image_stats(eng, img, st);
        nbcl_app_lap(plan, NULL, NULL, &t);
    }
    size_t npix = (size_t)info->fast * (size_t)info->slow;
    if (talk) {
        if (info->interpolation_fallback)
            printf("WARNING: some interpolation neighbourhoods left the HKL grid; default_F was used there\n");
        printf("\nsolid angle subtended by detector = %g steradian ( %g%% sphere)\n",
               info->solid_angle, 100 * info->solid_angle / 4 / M_PI);
    }
    if (n->floatfile) {
        if (talk) printf("writing %s as %zu %zu-byte floats\n", n->floatfile, npix, sizeof(float));
        /* a float file made while the image was (img may be its memory) is closed last,
         * by write_files */
        if (!(streamed && streamed->floatfile)) {
            if (nbcl_write_float_image(n->floatfile, img, npix)) return failed();
            nbcl_app_lap(plan, "float image", n->floatfile, &t);
        }
    }
    double scale = intfile_scale(o, st);
    if (talk) {
        printf("max_I = %g  at %g %g\n", st->max_I, st->max_I_x, st->max_I_y);
        printf("mean= %g rms= %g rmsd= %g\n", st->mean, st->rms, st->rmsd);
        printf("intfile_scale = %g\n", scale);
    }
    if (n->intfile) {
        /* converted as it is written: the integer buffer is left to the noise image, CBF and
         * NeXus, so a run without them never touches it (bench_4096: 32 MB less) */
        if (talk) printf("writing %s as %zu-byte integers\n", n->intfile, sizeof(unsigned short));
        if (nbcl_engine_write_smv_float(eng, info, n->intfile, img, scale, o->adc_offset)) return failed();
        nbcl_app_lap(plan, "SMV image", n->intfile, &t);
    }
    if (n->pgmfile) {
        double pgm_scale = pgm_scale_of(o, st, scale);
        if (talk) {
            printf("pgm_scale = %g\n", pgm_scale);
            printf("writing %s as %zu-byte integers\n", n->pgmfile, sizeof(unsigned char));
        }
        if (nbcl_engine_write_pgm(eng, n->pgmfile, img, pgm_scale)) return failed();
        nbcl_app_lap(plan, "PGM image", n->pgmfile, &t);
    }
    if (n->pngfile) {
        if (talk) printf("writing %s as an 8-bit PNG preview\n", n->pngfile);
        if (nbcl_engine_write_png(eng, n->pngfile, img, o->png_log)) return failed();
        nbcl_app_lap(plan, "PNG preview", n->pngfile, &t);
    }
    *lap = t;
    return 0;
}

/* The files of the counts: noise image, its PNG preview, CBF, NeXus. */
static int write_count_files(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                             const image_names *n, const uint16_t *ints, const nbcl_run_info *info,
                             nbcl_nexus_writer *nexus, int talk, double photons, int overloads, double *lap)
{
    double t = *lap;
    size_t npix = (size_t)info->fast * (size_t)info->slow;
    if (n->noisefile) {
        if (talk) {
            printf("%.0f photons on noise image (%d overloads)\n", photons, overloads);
            printf("writing %s as %zu-byte integers\n", n->noisefile, sizeof(unsigned short));
        }
        if (nbcl_engine_write_smv(eng, info, n->noisefile, ints, 1)) return failed();
        nbcl_app_lap(plan, "noise image", n->noisefile, &t);
    }
    if (n->noisepngfile && plan->noise) {
        if (talk) printf("writing %s as an 8-bit PNG preview of the noise image\n", n->noisepngfile);
        if (write_noise_png(eng, o, n->noisepngfile, ints, npix)) return 1;
        nbcl_app_lap(plan, "noise PNG preview", n->noisepngfile, &t);
    }
    if (n->cbffile) {
        if (talk) printf("writing %s as a miniCBF\n", n->cbffile);
        if (nbcl_engine_write_cbf(eng, info, n->cbffile, ints)) return failed();
        nbcl_app_lap(plan, "CBF image", n->cbffile, &t);
    }
    if (nexus && nbcl_nexus_writer_append(nexus, info, ints)) return failed();
    if (nexus) nbcl_app_lap(plan, "NeXus image", plan->nexusfile, &t);
    return 0;
}

/* An image's files, in one order for a single image and for an image of a series. talk: a
 * single image, whose run prints nanoBragg's lines between the files (a series prints one
 * line per image instead, from *st, *photons and *overloads). The counts (noise image)
 * are made on a thread beside the float image's files. */
static int write_files(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                       const image_names *n, const float *img, const nbcl_run_info *info, long seed,
                       uint16_t *ints, nbcl_nexus_writer *nexus, nbcl_app_streamed *streamed,
                       int talk, nbcl_image_stats *st, double *photons, int *overloads)
{
    double t = nbcl_app_now();   /* -timing: each lap charges the time since t */
    counts_job counts = {.eng = eng, .plan = plan, .o = o, .img = img, .seed = seed, .ints = ints};
    int need_counts = n->noisefile || n->cbffile || nexus || n->noisepngfile;
    if (need_counts) counts_start(&counts);
    int rc = write_ideal_files(eng, o, plan, n, img, info, streamed, talk, st, &t);
    *photons = 0.0;
    *overloads = 0;
    if (need_counts) {
        /* after a failed file, the counts are only waited for: one error is said */
        if (counts_finish(&counts, !rc) || rc) return 1;
        nbcl_app_counts_time(plan, counts.seconds);
        nbcl_app_lap(plan, NULL, NULL, &t);   /* waiting for the counts after the writes */
        *photons = counts.photons;
        *overloads = counts.overloads;
        rc = write_count_files(eng, o, plan, n, ints, info, nexus, talk, *photons, *overloads, &t);
    }
    if (!rc && streamed && streamed->floatfile) {
        /* the float file made while the image was, closed now that nothing reads img (its
         * memory where the file was mapped): renamed into place, or with its group */
        nbcl_float_writer *w = streamed->floatfile;
        streamed->floatfile = NULL;
        if (nbcl_float_writer_close(w)) return failed();
        nbcl_app_lap(plan, "float image", n->floatfile, &t);
    }
    return rc;
}

/* an image of a series: its files and one line (into line when given, else stdout) */
static int write_member(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                        int index, const image_names *n, const float *img, const nbcl_run_info *info,
                        long seed, uint16_t *ints, nbcl_nexus_writer *nexus, nbcl_app_streamed *streamed,
                        char *line, size_t line_n)
{
    nbcl_image_stats st;
    double photons;
    int overloads;
    if (write_files(eng, o, plan, n, img, info, seed, ints, nexus, streamed, 0, &st, &photons, &overloads))
        return 1;
    char buf[512];
    int len = snprintf(buf, sizeof buf, "image %d of %d: phi %g to %g deg, max_I = %g, mean = %g",
                       index + 1, plan->nimages, info->phi_deg, info->phi_deg + info->osc_deg,
                       st.max_I, st.mean);
    if (plan->noise && len >= 0 && (size_t)len < sizeof buf)
        snprintf(buf + len, sizeof buf - (size_t)len, ", %.0f photons (%d overloads)", photons, overloads);
    if (line) snprintf(line, line_n, "%s", buf);
    else printf("%s\n", buf);
    return 0;
}

int nbcl_app_nexus_finish(nbcl_nexus_writer *w, int failed, const char *path, int nimages)
{
    if (failed) {
        nbcl_nexus_writer_abort(w);
        return 0;
    }
    if (nbcl_nexus_writer_close(w)) return 1;
    printf("wrote %s (%d images)\n", path, nimages);
    return 0;
}

static int write_image(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                       int index, const float *image, const nbcl_run_info *info, long seed,
                       uint16_t *counts, nbcl_nexus_writer *nexus, nbcl_app_streamed *streamed,
                       char *line, size_t line_n)
{
    image_names n;
    if (make_names(plan, index, &n)) return 1;
    /* a single image's files are one group that the image loop opens and commits (with the
     * NeXus file); each image of a series is its own group, so finished images stay whole */
    if (!plan->series) {
        nbcl_image_stats st;
        double photons;
        int overloads;
        return write_files(eng, o, plan, &n, image, info, seed, counts, nexus, streamed, 1, &st,
                           &photons, &overloads);
    }
    if (nbcl_output_group_begin()) return failed();
    if (write_member(eng, o, plan, index, &n, image, info, seed, counts, nexus, streamed, line, line_n)) {
        nbcl_output_group_abort();
        return 1;
    }
    return nbcl_output_group_commit() ? failed() : 0;
}

int nbcl_app_write_image(const nbcl_engine *eng, const nbcl_outputs *o, const nbcl_app_plan *plan,
                         int index, const float *image, const nbcl_run_info *info, long seed,
                         uint16_t *counts, nbcl_nexus_writer *nexus, nbcl_app_streamed *streamed,
                         char *line, size_t line_n)
{
    int rc = write_image(eng, o, plan, index, image, info, seed, counts, nexus, streamed, line, line_n);
    /* a float file written while streaming but not reached (an earlier failure) goes */
    if (streamed && streamed->floatfile) {
        nbcl_float_writer_abort(streamed->floatfile);
        streamed->floatfile = NULL;
    }
    return rc;
}
