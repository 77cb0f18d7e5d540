/* main.c: the nanobragg-cl command. Reads a nanoBragg command line into an experiment,
 * makes an engine, simulates the image and writes the reference's files, all through the
 * public API of libnbcl (nbcl/nbcl.h): this is the only layer that touches argv, stdout and
 * output paths. Setup lines go to stdout as nanoBragg prints them; errors are one line on
 * stderr with a nonzero exit. Started by mpirun or srun in a build with MPI, the ranks
 * share the work (mpi_run.c, in the module mpi_loader.c loads). */
#include <stdio.h>
#include <stdlib.h>
#include "app/app.h"

static nbcl_app_times times;   /* -timing */

void nbcl_app_print_line(void *user, nbcl_log_level level, const char *line)
{
    (void)user;
    (void)level;
    printf("%s\n", line);
}

static char *captured;
static size_t captured_n;

void nbcl_app_capture_errors(char *buf, size_t n)
{
    captured = buf && n > 0 ? buf : NULL;
    captured_n = n;
    if (captured) captured[0] = '\0';
}

int nbcl_app_fail(const char *what)
{
    const char *msg = what && *what ? what : nbcl_last_error();
    if (captured) {
        if (!captured[0]) snprintf(captured, captured_n, "%s", msg);
        return 1;
    }
    fflush(stdout);
    fprintf(stderr, "nanobragg-cl: error: %s\n", msg);
    return 1;
}

int nbcl_app_list_devices(void)
{
    nbcl_device_desc *list;
    int n;
    if (nbcl_devices_list(&list, &n)) return nbcl_app_fail(NULL);
    printf("idx P:D  platform | device | type | compute units | memory | largest allocation | "
           "version | fp64\n");
    for (int i = 0; i < n; ++i) printf("%s\n", list[i].summary);
    nbcl_devices_free(list);
    return 0;
}

static int run(nbcl_experiment *exp)
{
    nbcl_outputs out;
    nbcl_experiment_outputs(exp, &out);
    if (nbcl_app_check_outputs(&out)) return 1;
    if (nbcl_experiment_resolve(exp)) return nbcl_app_fail(NULL);
    int nimages = 1;
    nbcl_experiment_series_length(exp, &nimages);
    nbcl_app_plan plan;
    if (nbcl_app_plan_outputs(&out, nimages, &plan)) return 1;
    times.on = out.timing;
    plan.times = &times;
    /* from here on files are written: a SIGINT, SIGTERM or SIGHUP removes the temporaries */
    if (nbcl_output_cleanup_on_signals()) return nbcl_app_fail(NULL);
    nbcl_app_write_fdump(exp, &out);
    nbcl_engine_options opts;
    nbcl_engine_options_init(&opts);
    if (plan.series) opts.progress = 0;   /* one progress line for the series instead */
    /* the first float file is mapped and brought into memory while the drivers load (on
     * the prefetch thread, which holds the loader's lock: a thread started now would wait) */
    nbcl_float_writer *first = NULL;
    float *first_pixels = NULL;
    if (nbcl_app_float_file(exp, &plan, 0, 1, &first, &first_pixels)) return 1;
    nbcl_engine *eng;
    fflush(stdout);
    times.startup = nbcl_app_now() - times.t_main;
    if (nbcl_engine_create(exp, &opts, &eng)) {
        nbcl_float_writer_abort(first);
        return nbcl_app_fail(NULL);
    }
    int rc = nbcl_app_run_series(exp, eng, &out, &plan, first, first_pixels);
    if (!rc) nbcl_app_times_print(&times, eng);
    nbcl_engine_destroy(eng);
    return rc;
}

int nbcl_app_main(int argc, char **argv)
{
    times.t_main = nbcl_app_now();
    nbcl_experiment *exp;
    if (nbcl_experiment_create(&exp)) return nbcl_app_fail(NULL);
    nbcl_experiment_set_log(exp, nbcl_app_print_line, NULL);
    int rc;
    if (nbcl_experiment_parse_args(exp, argc - 1, (const char *const *)argv + 1)) {
        rc = nbcl_app_fail(NULL);
    } else if (nbcl_experiment_request(exp) == NBCL_REQUEST_HELP) {
        fputs(nbcl_args_help(), stdout);
        rc = 0;
    } else if (nbcl_experiment_request(exp) == NBCL_REQUEST_LIST_DEVICES) {
        rc = nbcl_app_list_devices();
    } else {
        /* the OpenCL drivers load while the input files are read and the experiment is set up */
        nbcl_devices_prefetch();
        rc = run(exp);
        nbcl_devices_prefetch_wait();
    }
    nbcl_experiment_destroy(exp);
    return rc;
}

int main(int argc, char **argv)
{
#ifdef NBCL_HAVE_MPI
    if (nbcl_app_mpi_launched()) return nbcl_app_mpi_run(argc, argv);
#endif
    return nbcl_app_main(argc, argv);
}
