/* test_log.h: an nbcl_log whose lines go to a FILE (open_memstream, tmpfile), so tests can
 * compare what a layer logs with the reference's stdout. Flush before reading the FILE. */
#ifndef NBCL_TEST_LOG_H
#define NBCL_TEST_LOG_H

#include <stdio.h>
#include "base/log.h"

static void test_log_line(void *user, nbcl_log_level level, const char *line)
{
    (void)level;
    fprintf((FILE *)user, "%s\n", line);
}

/* nbcl_log that writes into f */
static inline __attribute__((unused)) nbcl_log test_log_to(FILE *f)
{
    nbcl_log l;
    nbcl_log_init(&l, test_log_line, f);
    return l;
}

#endif
