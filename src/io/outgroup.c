/* outgroup.c: all-or-nothing outputs and their clean-up on a fatal signal (see
 * outgroup.h). The table of temporaries is a fixed array written under a mutex by the
 * program's threads and only read (then unlinked) by the signal handler: a slot's name is
 * complete before its flag is raised, and the flag drops only after the file is renamed or
 * removed. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io/outgroup.h"

#define TEMP_SLOTS 64
#define TEMP_NAME_MAX 4096

static struct {
    atomic_int used;
    char name[TEMP_NAME_MAX];
} temps[TEMP_SLOTS];
static pthread_mutex_t temps_lock = PTHREAD_MUTEX_INITIALIZER;

/* a commit in progress: a signal then only notes itself, and the commit raises it again
 * once every file is in place */
static atomic_int committing, deferred_signal;
/* threads between creating a temporary and noting it (see nbcl_temp_create) */
static atomic_int creating;

void nbcl_temp_note(const char *tmp)
{
    size_t len = strlen(tmp);
    if (len >= TEMP_NAME_MAX) return;
    pthread_mutex_lock(&temps_lock);
    for (int i = 0; i < TEMP_SLOTS; ++i) {
        if (atomic_load(&temps[i].used)) continue;
        memcpy(temps[i].name, tmp, len + 1);
        atomic_store(&temps[i].used, 1);
        break;
    }
    pthread_mutex_unlock(&temps_lock);
}

int nbcl_temp_create(char *tmpl)
{
    sigset_t fatal, old;
    sigemptyset(&fatal);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGTERM);
    sigaddset(&fatal, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &fatal, &old);
    /* A handler on another thread notes its signal, then waits until no thread is here,
     * then removes what is noted; this thread says it is here, then looks for a signal.
     * So either no file is made, or the handler waits for its note and removes it. */
    atomic_fetch_add(&creating, 1);
    int fd = -1, code = EINTR;
    if (!atomic_load(&deferred_signal)) {
        fd = mkstemp(tmpl);
        code = errno;
    }
    if (fd >= 0) nbcl_temp_note(tmpl);
    atomic_fetch_sub(&creating, 1);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = code;
    return fd;
}

void nbcl_temp_forget(const char *tmp)
{
    pthread_mutex_lock(&temps_lock);
    for (int i = 0; i < TEMP_SLOTS; ++i)
        if (atomic_load(&temps[i].used) && strcmp(temps[i].name, tmp) == 0) {
            atomic_store(&temps[i].used, 0);
            break;
        }
    pthread_mutex_unlock(&temps_lock);
}

void nbcl_temp_remove_all(void)
{
    for (int i = 0; i < TEMP_SLOTS; ++i)
        if (atomic_load(&temps[i].used)) unlink(temps[i].name);
}

/* Remove the temporaries and die of sig (deferred_signal already set). A temporary made
 * on another thread but not yet noted would outlive the process: wait for its note (a
 * few instructions; that thread cannot be this one, it blocks these signals meanwhile;
 * see nbcl_temp_create). Async-signal-safe. */
static void die_of(int sig)
{
    while (atomic_load(&creating) > 0)
        ;
    nbcl_temp_remove_all();
    raise(sig);   /* SA_RESETHAND restored the default action: the process dies of sig */
}

/* ---- the group ---- */

typedef struct pending_file {
    char *tmp, *path;
} pending_file;

static struct {
    int open;
    pending_file *files;
    size_t n, cap;
} group;
static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;


static void drop(const char *tmp)
{
    unlink(tmp);
    nbcl_temp_forget(tmp);
}

static int rename_now(const char *tmp, const char *path, nbcl_err *err)
{
    if (rename(tmp, path) != 0) {
        int code = errno;
        drop(tmp);
        return nbcl_err_set(err, "%s: cannot write output file: %s", path, strerror(code));
    }
    nbcl_temp_forget(tmp);
    return 0;
}

int nbcl_temp_publish(const char *tmp, const char *path, nbcl_err *err)
{
    pthread_mutex_lock(&group_lock);
    if (!group.open) {
        pthread_mutex_unlock(&group_lock);
        return rename_now(tmp, path, err);
    }
    int rc = 0;
    if (group.n == group.cap) {
        size_t cap = group.cap ? 2 * group.cap : 8;
        pending_file *f = realloc(group.files, cap * sizeof *f);
        if (f) {
            group.files = f;
            group.cap = cap;
        }
    }
    char *t = strdup(tmp), *p = strdup(path);
    if (group.n < group.cap && t && p) {
        group.files[group.n++] = (pending_file){t, p};
    } else {
        free(t);
        free(p);
        drop(tmp);
        rc = nbcl_err_set(err, "%s: out of memory", path);
    }
    pthread_mutex_unlock(&group_lock);
    return rc;
}

int nbcl_outgroup_begin(nbcl_err *err)
{
    pthread_mutex_lock(&group_lock);
    int was_open = group.open;
    group.open = 1;
    pthread_mutex_unlock(&group_lock);
    return was_open ? nbcl_err_set(err, "a group of output files is already open") : 0;
}

static void close_group(void)
{
    for (size_t i = 0; i < group.n; ++i) {
        free(group.files[i].tmp);
        free(group.files[i].path);
    }
    free(group.files);
    group.files = NULL;
    group.n = group.cap = 0;
    group.open = 0;
}

int nbcl_outgroup_commit(nbcl_err *err)
{
    pthread_mutex_lock(&group_lock);
    int rc = 0;
    atomic_store(&committing, 1);
    for (size_t i = 0; i < group.n; ++i) {
        if (!rc) rc = rename_now(group.files[i].tmp, group.files[i].path, err);
        else drop(group.files[i].tmp);   /* one rename failed: publish no more */
    }
    atomic_store(&committing, 0);
    close_group();
    pthread_mutex_unlock(&group_lock);
    int sig = atomic_load(&deferred_signal);   /* stays set: no new temporaries now */
    if (sig) die_of(sig);
    return rc;
}

void nbcl_outgroup_abort(void)
{
    pthread_mutex_lock(&group_lock);
    for (size_t i = 0; i < group.n; ++i) drop(group.files[i].tmp);
    close_group();
    pthread_mutex_unlock(&group_lock);
}

/* ---- signals ---- */

static void on_fatal_signal(int sig)
{
    int saved = errno;
    atomic_store(&deferred_signal, sig);
    if (atomic_load(&committing)) {   /* the commit raises it again when done */
        errno = saved;
        return;
    }
    die_of(sig);
    errno = saved;
}

int nbcl_outgroup_catch_signals(nbcl_err *err)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0)
            return nbcl_err_set(err, "sigaction: %s", strerror(errno));
        if (old.sa_handler == SIG_IGN) continue;   /* e.g. nohup: keep ignoring */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return nbcl_err_set(err, "sigaction: %s", strerror(errno));
    }
    return 0;
}
