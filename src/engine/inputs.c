/* inputs.c: detector settings and masks taken from existing SMV images (-img, -mask).
 * The reference reads both headers before the command line, mask first, so a header value
 * is a default that the command line overrides and -img beats -mask. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/image.h"
#include "io/smv.h"

#define RTD (180.0 * M_1_PI)

static void apply_one(nbcl_config *c, const nbcl_smv_image *img, int is_mask)
{
    double v;
    c->fpixels = img->width;
    c->spixels = img->height;
    if (!isnan(v = nbcl_smv_value(img, "PIXEL_SIZE"))) c->pixel_size = v / 1000.0;
    c->detsize_f = c->pixel_size * c->fpixels;
    c->detsize_s = c->pixel_size * c->spixels;
    if (!isnan(v = nbcl_smv_value(img, "DISTANCE"))) c->distance = v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "CLOSE_DISTANCE"))) c->close_distance = v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "WAVELENGTH"))) c->lambda0 = v / 1e10;
    if (!isnan(v = nbcl_smv_value(img, "BEAM_CENTER_X"))) c->Xbeam = v / 1000.0;
    /* a mask's Y centre is measured from the other edge */
    if (!isnan(v = nbcl_smv_value(img, "BEAM_CENTER_Y")))
        c->Ybeam = is_mask ? c->detsize_s - v / 1000.0 : v / 1000.0;
    if (!isnan(v = nbcl_smv_value(img, "ORGX"))) c->ORGX = v;
    if (!isnan(v = nbcl_smv_value(img, "ORGY"))) c->ORGY = v;
    if (!isnan(v = nbcl_smv_value(img, "PHI"))) c->phi0 = v / RTD;
    if (!isnan(v = nbcl_smv_value(img, "OSC_RANGE"))) c->osc = v / RTD;
    /* TWOTHETA is read by the reference into a variable it never uses: no effect */
}

int nbcl_headers_apply(nbcl_config *c, const char *maskfile, const char *imgfile, nbcl_err *err)
{
    const char *files[2] = {maskfile, imgfile};
    for (int i = 0; i < 2; ++i) {
        if (!files[i]) continue;
        nbcl_smv_image img;
        if (nbcl_smv_read(files[i], &img, err)) return -1;
        apply_one(c, &img, i == 0);
        nbcl_smv_free(&img);
    }
    return 0;
}

int nbcl_inputs_load(const nbcl_config *c, nbcl_inputs *in, FILE *log, nbcl_err *err)
{
    memset(in, 0, sizeof *in);
    if (!c->maskfile) return 0;
    nbcl_smv_image img;
    if (nbcl_smv_read(c->maskfile, &img, err)) return -1;
    in->mask = img.data;
    in->mask_w = img.width;
    in->mask_h = img.height;
    img.data = NULL;
    nbcl_smv_free(&img);
    if (log) fprintf(log, "reading %s\n", c->maskfile);
    return 0;
}

int nbcl_inputs_check(const nbcl_inputs *in, const nbcl_sim *s, nbcl_err *err)
{
    if (in->mask && (in->mask_w != s->fpixels || in->mask_h != s->spixels))
        return nbcl_err_set(err, "-mask: the mask is %dx%d pixels but the detector is %dx%d",
                            in->mask_w, in->mask_h, s->fpixels, s->spixels);
    return 0;
}

void nbcl_inputs_free(nbcl_inputs *in)
{
    free(in->mask);
    in->mask = NULL;
}
