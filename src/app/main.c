/* main.c: the nanobragg-cl command: read a nanoBragg command line, resolve the simulation,
 * run it on the chosen OpenCL devices and write the reference's files and statistics.
 * All the work lives in libnbcl; this file only sequences it and reports errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/args.h"
#include "device/choose.h"
#include "engine/engine.h"
#include "engine/image.h"
#include "model/sim.h"

static int fail(const nbcl_err *err)
{
    fflush(stdout);
    fprintf(stderr, "nanobragg-cl: error: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    nbcl_config cfg;
    nbcl_err err = {{0}};
    enum nbcl_cli_action action;
    if (nbcl_cli_parse(argc, argv, &cfg, &action, &err)) return fail(&err);
    if (action == NBCL_CLI_HELP) {
        nbcl_cli_print_help(stdout);
        return 0;
    }
    if (action == NBCL_CLI_LIST_DEVICES) return nbcl_runtime_list_devices(stdout, &err) ? fail(&err) : 0;

    for (int i = 0; i < cfg.n_no_effect; ++i)
        printf("note: %s is accepted for compatibility and has no effect on the image\n", cfg.no_effect[i]);
    if (nbcl_outputs_check(&cfg, &err)) return fail(&err);
    nbcl_inputs in;
    if (nbcl_inputs_load(&cfg, &in, stdout, &err)) return fail(&err);

    nbcl_rng rng;
    nbcl_rng_init(&rng);
    nbcl_sim sim;
    if (nbcl_sim_resolve(&cfg, &sim, &rng, stdout, &err)) {
        nbcl_inputs_free(&in);
        return fail(&err);
    }
    if (nbcl_inputs_check(&in, &sim, &err)) {
        nbcl_sim_free(&sim);
        nbcl_inputs_free(&in);
        return fail(&err);
    }

    nbcl_device_info *devices = NULL;
    int ndevices = 0, *picked = NULL, npicked = 0, use_double = 0;
    if (nbcl_runtime_pick(cfg.device_spec, (int)cfg.precision, &devices, &ndevices, &picked,
                          &npicked, &use_double, stdout, &err)) {
        nbcl_sim_free(&sim);
        nbcl_inputs_free(&in);
        return fail(&err);
    }
    nbcl_device_info *chosen = malloc(sizeof *chosen * (size_t)npicked);
    for (int i = 0; i < npicked; ++i) chosen[i] = devices[picked[i]];
    fflush(stdout);

    nbcl_engine_opts eo = {.use_double = use_double, .tile = cfg.tile,
                           .progress = cfg.progress && !cfg.printout, .mask = in.mask,
                           .printout = cfg.printout};
    nbcl_engine_result res;
    int rc = nbcl_engine_run(&sim, chosen, npicked, &eo, &res, &err);
    free(chosen);
    free(devices);
    free(picked);
    if (rc == 0) {
        if (res.interpolation_fallback)
            printf("WARNING: some interpolation neighbourhoods left the HKL grid; default_F was used there\n");
        nbcl_print_pixels(&cfg, &sim, &in, &res, stdout);
        rc = nbcl_write_outputs(&cfg, &sim, &in, &res, &rng, stdout, &err);
        free(res.image);
        free(res.printout);
    }
    nbcl_sim_free(&sim);
    nbcl_inputs_free(&in);
    return rc ? fail(&err) : 0;
}
