/* workload.c: the work of a run counted before it starts, printed with the setup, and a
 * run that would take absurdly long refused (issue 11: -N 1e6 auto-selected 48388-fold
 * oversampling and never finished). The time is the sub-path count over a generous rate,
 * so the estimate is a lower bound: a run is refused only when even a fast device of its
 * kind could not finish it within -max_run_hours (24 by default). */
#include <stdio.h>
#include "base/memcap.h"
#include "engine/abi.h"
#include "engine/engine.h"
#include "engine/tables.h"
#include "engine/workload.h"

/* sub-paths per second per compute unit, at best: about the fastest measured on a CPU core
 * (docs/performance.md: 62 M/s per PoCL core in single precision) and, for a GPU's
 * compute unit (an SM or CU), about what a high-end GPU reaches over all of its units */
#define CPU_RATE_PER_UNIT 5e7
#define GPU_RATE_PER_UNIT 1e8

/* the pixels of the ROI that lie on the detector */
static double rendered_pixels(const nbcl_sim *s)
{
    int xmax = s->roi_xmax < s->fpixels - 1 ? s->roi_xmax : s->fpixels - 1;
    int ymax = s->roi_ymax < s->spixels - 1 ? s->roi_ymax : s->spixels - 1;
    double w = (double)xmax - s->roi_xmin + 1, h = (double)ymax - s->roi_ymin + 1;
    return w > 0 && h > 0 ? w * h : 0.0;
}

static double layers_of(const nbcl_sim *s)
{
    return s->thicksteps > 0 ? s->thicksteps : 1;
}

double nbcl_work_subpaths(const nbcl_sim *s)
{
    return rendered_pixels(s) * (double)s->oversample * s->oversample * layers_of(s) *
           (double)s->nsources * s->mosaic_domains * s->phisteps;
}

double nbcl_work_rate(const nbcl_device_info *d, int n)
{
    double rate = 0.0;
    for (int i = 0; i < n; ++i) {
        double units = d[i].compute_units > 0 ? d[i].compute_units : 1;
        rate += units * ((d[i].type & CL_DEVICE_TYPE_CPU) ? CPU_RATE_PER_UNIT : GPU_RATE_PER_UNIT);
    }
    return rate > 0.0 ? rate : CPU_RATE_PER_UNIT;
}

static void duration(double s, char *buf, size_t n)
{
    if (s < 120) snprintf(buf, n, "%.3g s", s);
    else if (s < 7200) snprintf(buf, n, "%.3g minutes", s / 60);
    else if (s < 172800) snprintf(buf, n, "%.3g hours", s / 3600);
    else snprintf(buf, n, "%.3g days", s / 86400);
}

static double largest_side(const nbcl_sim *s)
{
    double m = s->xtalsize[0];
    if (s->xtalsize[1] > m) m = s->xtalsize[1];
    if (s->xtalsize[2] > m) m = s->xtalsize[2];
    return m;
}

/* the factor that makes the run large, as the flag a user would change */
static void largest_factor(const nbcl_sim *s, const nbcl_config *c, int nimages, char *buf, size_t n)
{
    struct { double v; char what[160]; } f[7];
    f[0].v = (double)s->oversample * s->oversample;
    if (c->oversample > 0)
        snprintf(f[0].what, sizeof f[0].what, "-oversample %d", s->oversample);
    else
        snprintf(f[0].what, sizeof f[0].what, "the auto-selected -oversample %d (for a crystal of %.3g um: "
                 "-N and -cell, or -xtalsize)", s->oversample, 1e6 * largest_side(s));
    f[1].v = rendered_pixels(s);
    snprintf(f[1].what, sizeof f[1].what, "%.0f pixels (-detpixels, -roi)", f[1].v);
    f[2].v = s->nsources;
    snprintf(f[2].what, sizeof f[2].what, "%d sources (-divsteps, -dispsteps, -sourcefile)", s->nsources);
    f[3].v = s->mosaic_domains;
    snprintf(f[3].what, sizeof f[3].what, "-mosaic_dom %d", s->mosaic_domains);
    f[4].v = s->phisteps;
    snprintf(f[4].what, sizeof f[4].what, "-phisteps %d", s->phisteps);
    f[5].v = layers_of(s);
    snprintf(f[5].what, sizeof f[5].what, "-thicksteps %d", s->thicksteps);
    f[6].v = nimages;
    snprintf(f[6].what, sizeof f[6].what, "%d images", nimages);
    int best = 0;
    for (int i = 1; i < 7; ++i)
        if (f[i].v > f[best].v) best = i;
    snprintf(buf, n, "%s", f[best].what);
}

/* the crystal-orientation table (one orientation per phi step and mosaic domain, in the
 * devices' layout: float pairs in single precision, and doubles after them where the wide
 * values are doubles) must fit in one allocation of every device and under the host's
 * memory cap */
static int check_orientation_table(const nbcl_sim *s, int use_double, const nbcl_device_info *d, int n,
                                   nbcl_err *err)
{
    int layout = nbcl_wide_table_layout(use_double, nbcl_run_wide_double(use_double, d, n));
    double per_orientation = (double)nbcl_device_bytes(NBCL_CRYSTAL_REALS, layout, NBCL_CRYSTAL_REALS);
    double bytes = per_orientation * s->phisteps * s->mosaic_domains;
    double limit = nbcl_memory_cap();
    const char *what = nbcl_memory_cap_name();
    char dev[128];
    for (int i = 0; i < n; ++i)
        if (d[i].max_alloc > 0 && (double)d[i].max_alloc < limit) {
            limit = (double)d[i].max_alloc;
            snprintf(dev, sizeof dev, "the largest allocation of device %d (%.3g GB)", d[i].index, limit / 1e9);
            what = dev;
        }
    if (bytes <= limit) return 0;
    return nbcl_err_code(err, NBCL_E_INVALID, "-phisteps %d x -mosaic_dom %d: the table of %.3g orientations "
                         "would take %.3g GB, more than %s", s->phisteps, s->mosaic_domains,
                         (double)s->phisteps * s->mosaic_domains, bytes / 1e9, what);
}

int nbcl_work_check(const nbcl_sim *s, const nbcl_config *c, int nimages, int use_double,
                    const nbcl_device_info *devices, int n, nbcl_log *log, nbcl_err *err)
{
    if (nimages < 1) nimages = 1;
    if (check_orientation_table(s, use_double, devices, n, err)) return -1;
    double per_image = nbcl_work_subpaths(s), rate = nbcl_work_rate(devices, n);
    double seconds = per_image * nimages / rate;
    char t[64];
    duration(seconds, t, sizeof t);
    nbcl_logf(log, "  work: %.3g sub-paths per image (%.0f pixels x %dx%d sub-pixels x %.0f layers x "
              "%d sources x %d mosaic domains x %d phi steps)%s, at least %s at %.3g per second\n",
              per_image, rendered_pixels(s), s->oversample, s->oversample, layers_of(s), s->nsources,
              s->mosaic_domains, s->phisteps, nimages > 1 ? " x images" : "", t, rate);
    if (c->allow_long_run || seconds <= c->max_run_hours * 3600.0) return 0;
    char cause[256];
    largest_factor(s, c, nimages, cause, sizeof cause);
    return nbcl_err_code(err, NBCL_E_INVALID, "the run would take at least %s (%.3g sub-paths at %.3g per "
                         "second), over -max_run_hours %g; the largest factor is %s; give -allow_long_run "
                         "to run it anyway", t, per_image * nimages, rate, c->max_run_hours, cause);
}
