/* split_rows.c: see split_rows.h. Threads are started per pass: a pass worth splitting
 * moves megabytes, against tens of microseconds to start a thread. */
#include <pthread.h>
#include <unistd.h>
#include "base/split_rows.h"

#define SPLIT_MAX 8

typedef struct part {
    void (*fn)(void *user, int y0, int y1);
    void *user;
    int y0, y1;
    pthread_t thread;
    int started;
} part;

static void *part_main(void *arg)
{
    part *p = arg;
    p->fn(p->user, p->y0, p->y1);
    return NULL;
}

void nbcl_split_rows(int rows, size_t bytes, size_t bytes_min,
                     void (*fn)(void *user, int y0, int y1), void *user)
{
    if (rows <= 0) return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > SPLIT_MAX ? SPLIT_MAX : cores > 1 ? (int)cores : 1;
    if (n > rows) n = rows;
    if (bytes < bytes_min) n = 1;
    part parts[SPLIT_MAX];
    for (int i = 0; i < n; ++i) {
        parts[i] = (part){fn, user, (int)((long long)rows * i / n), (int)((long long)rows * (i + 1) / n), 0, 0};
    }
    for (int i = 1; i < n; ++i)
        parts[i].started = pthread_create(&parts[i].thread, NULL, part_main, &parts[i]) == 0;
    fn(user, parts[0].y0, parts[0].y1);
    for (int i = 1; i < n; ++i) {
        if (parts[i].started) pthread_join(parts[i].thread, NULL);
        else fn(user, parts[i].y0, parts[i].y1);   /* no thread: done here */
    }
}
