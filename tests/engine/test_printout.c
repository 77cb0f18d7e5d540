/* test_printout.c: -printout_pixel F S prints the reference's diagnostic block for that one
 * pixel, and its numbers are those of the image: pixel = r_e^2 fluence I/steps polar omega
 * capfrac, and "pixel" is the value written to the float file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_E_SQR 7.94079248018965e-30
#define FLUENCE 125932015286227086360700780544.0

static double value_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    cr_assert_not_null(p, "no '%s' line in the printout", key);
    return atof(p + strlen(key));
}

Test(printout, one_pixel_block_matches_the_image, .timeout = 120)
{
    const char *bin = getenv("NBCL_BIN");
    cr_assert_not_null(bin);
    char dir[] = "/tmp/nbcl-printout-XXXXXX", cmd[2048], path[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "cd %s && '%s' -default_F 100 -cell 70 80 90 75 85 95 -lambda 1 -N 5 -distance 100 "
             "-detpixels 40 -mosaic 0.5 -mosaic_dom 2 -printout_pixel 12 17 -floatfile f.bin "
             "-nonoise -nopgm -precision double > log.txt 2>&1", dir, bin);
    cr_assert_eq(system(cmd), 0);

    snprintf(path, sizeof path, "%s/log.txt", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert_not_null(strstr(text, "  12   17 : stol = "), "no block for pixel 12 17");
    cr_assert_null(strstr(text, "  13   17 : stol = "), "a block for a pixel that was not asked for");

    double per_step = value_after(text, "I/steps ");
    double polar = value_after(text, "polar   "), omega = value_after(text, "omega   ");
    double capfrac = value_after(text, "capfrac "), pixel = value_after(text, "pixel   ");
    cr_assert_float_eq(pixel, R_E_SQR * FLUENCE * per_step * polar * omega * capfrac, 1e-6 * fabs(pixel));

    snprintf(path, sizeof path, "%s/f.bin", dir);
    f = fopen(path, "rb");
    cr_assert_not_null(f);
    float img[40 * 40];
    cr_assert_eq(fread(img, sizeof(float), 40 * 40, f), 40u * 40u);
    fclose(f);
    cr_assert_float_eq(pixel, (double)img[17 * 40 + 12], 1e-6 * fabs(pixel));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}
