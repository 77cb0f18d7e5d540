/* cli.h: reading a nanoBragg command line into an nbcl_config.
 * Flags are matched the way nanoBragg.c matches them (a flag also triggers every rule
 * whose name it contains, in the reference's order), so existing scripts give the same
 * run; values of a flag spelled exactly are checked strictly (numbers must be numbers). */
#ifndef NBCL_CLI_H
#define NBCL_CLI_H

#include "model/config.h"
#include "base/error.h"

enum nbcl_cli_action { NBCL_CLI_RUN, NBCL_CLI_HELP, NBCL_CLI_LIST_DEVICES };

/* What the parser needs from the layers above. */
typedef struct nbcl_cli_hooks {
    void *user;
    /* Apply the detector settings of the SMV headers of -mask then -img (either may be
     * NULL) to cfg before the flags are read, as nanoBragg does. */
    int (*headers)(void *user, nbcl_config *cfg, const char *mask, const char *img, nbcl_err *err);
} nbcl_cli_hooks;

/* Parse argv (argv[0] is the program name) into cfg (which is reset to the defaults
 * first). *action says what to do. cfg keeps pointers into argv. */
int nbcl_cli_parse(int argc, char **argv, nbcl_config *cfg, enum nbcl_cli_action *action,
                   const nbcl_cli_hooks *hooks, nbcl_err *err);

/* Apply more flags (argv[0] is skipped) onto cfg as it is: no reset, no SMV headers.
 * Used for the lines of a shot list, which override the base command line. */
int nbcl_cli_apply(int argc, char **argv, nbcl_config *cfg, nbcl_err *err);

/* Every accepted flag with its arguments, units and default (one static text). */
const char *nbcl_cli_help(void);

/* The known flag closest to `word` (for "did you mean"), or NULL. */
const char *nbcl_cli_suggest(const char *word);

#endif
