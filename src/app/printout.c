/* printout.c: nanoBragg's -printout and -printout_pixel lines, from the pixel details the
 * engine kept (nbcl_engine_pixel_detail). */
#include <math.h>
#include <stdio.h>
#include "app/app.h"

static void print_pixel(int f, int s, const nbcl_pixel_detail *d)
{
    printf("%4d %4d : stol = %g or %g\n", f, s, d->stol, d->stol_from_angle);
    printf("at %g %g %g\n", d->pos[0], d->pos[1], d->pos[2]);
    printf("hkl= %f %f %f  hkl0= %d %d %d\n", d->hkl[0], d->hkl[1], d->hkl[2],
           (int)ceil(d->hkl[0] - 0.5), (int)ceil(d->hkl[1] - 0.5), (int)ceil(d->hkl[2] - 0.5));
    printf(" F_cell=%g  F_latt=%g   I = %g\n", d->F_cell, d->F_latt, d->I);
    printf("I/steps %15.10g\n", d->I_per_step);
    printf("polar   %15.10g\n", d->polar);
    printf("omega   %15.10g\n", d->omega);
    printf("capfrac %15.10g\n", d->capture);
    printf("pixel   %15.10g\n", d->pixel);
    printf("real-space cell vectors (Angstrom):\n");
    printf("     %-10s  %-10s  %-10s\n", "a", "b", "c");
    for (int r = 0; r < 3; ++r)
        printf("%c: %11.8f %11.8f %11.8f\n", "XYZ"[r], d->a[r], d->b[r], d->c[r]);
}

void nbcl_app_print_pixels(const nbcl_engine *eng, const nbcl_outputs *o)
{
    if (!o->printout) return;
    nbcl_run_info info;
    if (nbcl_engine_run_info(eng, &info)) return;
    for (int s = 0; s < info.slow; ++s)
        for (int f = 0; f < info.fast; ++f) {
            if (!nbcl_engine_pixel_active(eng, f, s)) continue;
            if (o->printout_fpixel >= 0 && !(f == o->printout_fpixel && s == o->printout_spixel)) continue;
            nbcl_pixel_detail d;
            if (nbcl_engine_pixel_detail(eng, f, s, &d) == NBCL_OK) print_pixel(f, s, &d);
        }
}
