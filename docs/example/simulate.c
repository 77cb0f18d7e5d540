/* simulate.c: a small program on libnbcl's public API (nbcl/nbcl.h).
 * Describes a crystal with nanoBragg's flags, makes one engine (devices picked, kernels
 * built, tables uploaded once), then simulates a short rotation series, one image per
 * 0.5 degrees, writing each as a raw float image and printing its total photon count.
 *
 * Build against an installed libnbcl:
 *     cc simulate.c $(pkg-config --cflags --libs nbcl) -o simulate
 * Run:
 *     ./simulate [OUTPUT_DIR]        (default: the current directory) */
#include <stdio.h>
#include <stdlib.h>
#include "nbcl/nbcl.h"

static void print_warnings(void *user, nbcl_log_level level, const char *line)
{
    (void)user;
    if (level == NBCL_LOG_WARNING) fprintf(stderr, "%s\n", line);
}

static int fail(const char *what)
{
    fprintf(stderr, "simulate: %s: %s\n", what, nbcl_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    const char *flags[] = {"-cell", "79", "79", "38", "90", "90", "90", "-default_F", "100",
                           "-N", "10", "-lambda", "1.0", "-distance", "100", "-pixel", "0.1",
                           "-detpixels", "128", "-mosaic", "0.2", "-mosaic_dom", "4",
                           "-phisteps", "5", "-gauss_xtal", "-noprogress"};
    nbcl_experiment *exp;
    if (nbcl_experiment_create(&exp)) return fail("experiment");
    nbcl_experiment_set_log(exp, print_warnings, NULL);
    if (nbcl_experiment_parse_args(exp, (int)(sizeof flags / sizeof flags[0]), flags))
        return fail("flags");

    nbcl_engine *eng;
    if (nbcl_engine_create(exp, NULL, &eng)) return fail("engine");
    int fast, slow;
    nbcl_experiment_detector_size(exp, &fast, &slow);
    nbcl_experiment_destroy(exp);   /* the engine keeps what it needs */

    size_t npix = (size_t)fast * (size_t)slow;
    float *image = malloc(npix * sizeof *image);
    if (!image) return 1;
    nbcl_image_params p;
    nbcl_image_params_init(&p);
    p.osc_deg = 0.5;
    for (int i = 0; i < 3; ++i) {
        p.phi_deg = 0.5 * i;
        if (nbcl_engine_run(eng, &p, image, npix)) return fail("image");
        double total = 0.0;
        for (size_t k = 0; k < npix; ++k) total += image[k];
        char path[4096];
        snprintf(path, sizeof path, "%s/image_%03d.bin", dir, i + 1);
        if (nbcl_write_float_image(path, image, npix)) return fail(path);
        printf("image %d: phi %.1f-%.1f deg, %.6g photons, %s\n", i + 1, p.phi_deg,
               p.phi_deg + p.osc_deg, total, path);
    }
    free(image);
    nbcl_engine_destroy(eng);
    return 0;
}
