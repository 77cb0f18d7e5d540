/* outputs.c: everything nanobragg-cl writes after the detector has been simulated.
 * Statistics (max_I, mean, rms, rmsd) and the float, SMV, PGM and noise files follow the
 * reference line for line so that its users' scripts and byte comparisons keep working;
 * the PNG preview is nanoBragg-CL's own. The library writes each file to a temporary name
 * and renames it, so a failure never leaves half a file. */
#include <libgen.h>
#include <math.h>
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
        {"-pngfile", o->pngfile}, {"-noisefile", o->noisefile},
    };
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; ++i)
        if (outs[i].path && check_writable(outs[i].flag, outs[i].path)) return 1;
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

static int write_noise(const nbcl_engine *eng, const nbcl_outputs *o, const float *img,
                       uint16_t *ints)
{
    double photons = 0.0;
    int overloads = 0;
    if (nbcl_engine_noise(eng, img, o->seed, o->adc_offset, ints, &photons, &overloads)) return failed();
    printf("%.0f photons on noise image (%d overloads)\n", photons, overloads);
    printf("writing %s as %zu-byte integers\n", o->noisefile, sizeof(unsigned short));
    return nbcl_engine_write_smv(eng, o->noisefile, ints, 1) ? failed() : 0;
}

int nbcl_app_write_outputs(const nbcl_engine *eng, const nbcl_outputs *o, const float *img)
{
    nbcl_run_info info;
    nbcl_image_stats st;
    nbcl_engine_run_info(eng, &info);
    nbcl_engine_image_stats(eng, img, &st);
    size_t npix = (size_t)info.fast * (size_t)info.slow;
    if (info.interpolation_fallback)
        printf("WARNING: some interpolation neighbourhoods left the HKL grid; default_F was used there\n");

    printf("\nsolid angle subtended by detector = %g steradian ( %g%% sphere)\n",
           info.solid_angle, 100 * info.solid_angle / 4 / M_PI);
    printf("writing %s as %zu %zu-byte floats\n", o->floatfile, npix, sizeof(float));
    if (nbcl_write_float_image(o->floatfile, img, npix)) return failed();
    printf("max_I = %g  at %g %g\n", st.max_I, st.max_I_x, st.max_I_y);
    printf("mean= %g rms= %g rmsd= %g\n", st.mean, st.rms, st.rmsd);

    double scale = o->intfile_scale;
    if (scale <= 0.0) scale = st.max_I > 0.0 ? 55000.0 / st.max_I : 1.0;
    printf("intfile_scale = %g\n", scale);
    uint16_t *ints = calloc(npix ? npix : 1, sizeof *ints);
    if (!ints) return nbcl_app_fail("out of host memory for the SMV image");
    nbcl_engine_counts(eng, img, scale, o->adc_offset, ints);
    printf("writing %s as %zu-byte integers\n", o->intfile, sizeof(unsigned short));
    int rc = nbcl_engine_write_smv(eng, o->intfile, ints, 0) ? failed() : 0;

    if (!rc && o->pgmfile) {
        double pgm_scale = o->pgm_scale;
        if (pgm_scale <= 0.0) pgm_scale = st.rmsd > 0.0 ? 250.0 / (5.0 * st.rmsd) : scale;
        printf("pgm_scale = %g\n", pgm_scale);
        printf("writing %s as %zu-byte integers\n", o->pgmfile, sizeof(unsigned char));
        rc = nbcl_engine_write_pgm(eng, o->pgmfile, img, pgm_scale) ? failed() : 0;
    }
    if (!rc && o->pngfile) {
        printf("writing %s as an 8-bit PNG preview\n", o->pngfile);
        rc = nbcl_engine_write_png(eng, o->pngfile, img, o->png_log) ? failed() : 0;
    }
    if (!rc && o->noisefile) rc = write_noise(eng, o, img, ints);
    free(ints);
    return rc;
}
