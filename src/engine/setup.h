/* setup.h: from a nanoBragg command line and its files to a resolved simulation.
 * This is where the file formats (io) meet the model: the SMV headers of -img and -mask are
 * applied before the flags, the -mask pixels are kept (read once), and the model's loaders
 * read -hkl (or the Fdump cache), -mat and -sourcefile when the model asks for them. */
#ifndef NBCL_ENGINE_SETUP_H
#define NBCL_ENGINE_SETUP_H

#include "base/error.h"
#include "base/log.h"
#include "base/rng.h"
#include "model/args.h"
#include "model/config.h"
#include "model/sim.h"

typedef struct nbcl_setup_files {
    unsigned short *mask;        /* -mask pixels, NULL without a mask */
    int mask_w, mask_h;
    nbcl_hkl hkl;                /* a table handed in by the API (used instead of -hkl) */
    int hkl_from_text;           /* the table came from an -hkl text file */
} nbcl_setup_files;

/* nbcl_cli_parse with the SMV header reader: the -mask pixels stay in files. */
int nbcl_setup_parse(int argc, char **argv, nbcl_config *cfg, enum nbcl_cli_action *action,
                     nbcl_setup_files *files, nbcl_err *err);

/* nbcl_sim_resolve with the file readers; a table in files->hkl is used (and moved into sim)
 * instead of any file. Then the mask must match the detector. */
int nbcl_setup_resolve(const nbcl_config *cfg, nbcl_setup_files *files, nbcl_sim *sim,
                       nbcl_rng *rng, nbcl_log *log, nbcl_err *err);

void nbcl_setup_files_free(nbcl_setup_files *files);

#endif
