/* cli.h: reading a nanoBragg command line into an nbcl_config.
 * Flags are matched the way nanoBragg.c matches them (a flag also triggers every rule
 * whose name it contains, in the reference's order), so existing scripts give the same
 * run; values of a flag spelled exactly are checked strictly (numbers must be numbers). */
#ifndef NBCL_CLI_H
#define NBCL_CLI_H

#include <stdio.h>
#include "model/config.h"
#include "base/error.h"

enum nbcl_cli_action { NBCL_CLI_RUN, NBCL_CLI_HELP, NBCL_CLI_LIST_DEVICES };

/* Parse argv into cfg (which is reset to the defaults first). *action says what to do. */
int nbcl_cli_parse(int argc, char **argv, nbcl_config *cfg, enum nbcl_cli_action *action,
                   nbcl_err *err);

/* Every accepted flag with its arguments, units and default. */
void nbcl_cli_print_help(FILE *out);

/* The known flag closest to `word` (for "did you mean"), or NULL. */
const char *nbcl_cli_suggest(const char *word);

#endif
