/* timing.c: -timing, where the time of a nanobragg-cl run went. The phases are taken from
 * the library (nbcl_engine_timing: device set-up, program, tables, kernels, read-back) and
 * from the app's own clock (start-up, post-processing, each output written), and printed
 * at the end as one "timing:" line each, the form bench/run_bench.py reads. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "app/app.h"

double nbcl_app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nbcl_app_times_engine(nbcl_app_times *t, const nbcl_engine *eng)
{
    nbcl_timing e;
    if (!t->on || nbcl_engine_timing(eng, &e)) return;
    t->image_tables += e.image_tables;
    t->streaming += e.streaming;
    t->engine_host += e.host;
    t->rows += e.rows;
    if (e.kernels < 0.0 || e.readback < 0.0) t->unprofiled = 1;
    t->kernels += e.kernels;
    t->readback += e.readback;
    t->images++;
}

void nbcl_app_lap(const nbcl_app_plan *plan, const char *what, const char *file, double *since)
{
    nbcl_app_times *t = plan->times;
    double now = nbcl_app_now();
    if (t && t->on) {
        if (!what) {
            t->post += now - *since;
        } else {
            int i = 0;
            while (i < t->nwrites && strcmp(t->writes[i].what, what) != 0) ++i;
            if (i < NBCL_APP_MAX_WRITES) {
                if (i == t->nwrites) t->writes[t->nwrites++].what = what;
                t->writes[i].seconds += now - *since;
                t->writes[i].files++;
                snprintf(t->writes[i].last, sizeof t->writes[i].last, "%s", file ? file : "");
            }
        }
    }
    *since = now;
}

void nbcl_app_counts_time(const nbcl_app_plan *plan, double seconds)
{
    if (plan->times && plan->times->on) plan->times->counts += seconds;
}

static void line(const char *phase, double seconds, const char *note)
{
    printf("timing: %-26s %10.4f s%s%s\n", phase, seconds, note && *note ? "  " : "", note ? note : "");
}

void nbcl_app_times_print(const nbcl_app_times *t, const nbcl_engine *eng)
{
    nbcl_timing e;
    if (!t->on || !eng || nbcl_engine_timing(eng, &e)) return;
    char note[4200];
    line("start-up", t->startup, "(arguments, set-up, input files)");
    line("platforms", e.platforms, "(OpenCL platforms and devices found and chosen)");
    line("device set-up", e.device_setup, "(contexts, queues, buffers)");
    line(e.program_cached ? "program cache load" : "program build", e.program, "");
    line("table upload", e.tables, "(sources, HKL grid: once)");
    snprintf(note, sizeof note, "(orientations and parameters; %d image%s)", t->images,
             t->images == 1 ? "" : "s");
    line("image tables", t->image_tables, note);
    const char *dev = t->unprofiled ? "(not measurable on this device)" : "(device time)";
    line("kernels", t->unprofiled ? 0.0 : t->kernels, dev);
    line("read-back", t->unprofiled ? 0.0 : t->readback, t->unprofiled ? dev : "(device reads and copies into the image)");
    line("tiles streamed", t->streaming, "(wall time: kernels and read-back overlap)");
    line("rows as finished", t->rows, "(during the tiles, on a thread: finite check, statistics, "
         "float image rows written unless it is mapped)");
    line("engine host work", t->engine_host, "(after the tiles: solid-angle sums, statistics)");
    line("post-processing", t->post, "(statistics not gathered while streaming; waiting for the counts "
         "after the float image's files)");
    line("counts", t->counts, "(noise image, or the ideal image rounded, for the noise, CBF and "
         "NeXus files: on a thread beside the float, SMV, PGM and PNG files)");
    for (int i = 0; i < t->nwrites; ++i) {
        if (t->writes[i].files == 1)
            snprintf(note, sizeof note, "(%s)", t->writes[i].last);
        else
            snprintf(note, sizeof note, "(%d files)", t->writes[i].files);
        char phase[64];
        snprintf(phase, sizeof phase, "write %s", t->writes[i].what);
        line(phase, t->writes[i].seconds, note);
    }
    line("total", nbcl_app_now() - t->t_main, "(from main)");
}
