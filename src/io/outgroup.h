/* outgroup.h: a run's output files published together, and temporaries removed when the
 * process is killed. Every output is first written to a temporary beside its final name
 * (outfile.h); while a group is open, finished temporaries wait and are renamed into place
 * only when the whole group commits, so a failure on a later file (a full disk) leaves no
 * new file at all and the older files of those names untouched. Every temporary that
 * exists is also kept in a fixed table, so that a handler for SIGINT, SIGTERM and SIGHUP
 * can remove them (unlink only: async-signal-safe) before the process dies. */
#ifndef NBCL_OUTGROUP_H
#define NBCL_OUTGROUP_H

#include "base/error.h"

/* mkstemp(tmpl) with the temporary noted at once: the fatal signals are blocked on this
 * thread from the creation to the note, so no handler can run in between. Returns the
 * file descriptor, or -1 with errno set. */
int nbcl_temp_create(char *tmpl);

/* Note a temporary that now exists / that was renamed or removed. A name longer than the
 * table's slots, or a table full (64 at once), is simply not noted. */
void nbcl_temp_note(const char *tmp);
void nbcl_temp_forget(const char *tmp);

/* Remove every noted temporary. Async-signal-safe. */
void nbcl_temp_remove_all(void);

/* A finished temporary: renamed to path now, or at the commit of the open group. On
 * failure the temporary is removed. */
int nbcl_temp_publish(const char *tmp, const char *path, nbcl_err *err);

/* Open a group (one at a time, process-wide: files finished by any thread join it). */
int nbcl_outgroup_begin(nbcl_err *err);
/* Rename every file of the group into place (a signal arriving meanwhile waits until all
 * are renamed) and close the group. */
int nbcl_outgroup_commit(nbcl_err *err);
/* Remove every temporary of the group and close it; nothing of it is published. */
void nbcl_outgroup_abort(void);

/* Handlers for SIGINT, SIGTERM and SIGHUP that remove the temporaries and then die of the
 * signal as before (the default action is restored and the signal raised again). */
int nbcl_outgroup_catch_signals(nbcl_err *err);

#endif
