/* test_split_rows.c: rows shared out among threads are each done once, whatever the
 * number of rows and the threshold (nbcl_split_rows). */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include "base/split_rows.h"

typedef struct tally {
    atomic_int *hits;
    atomic_int calls;
} tally;

static void count_rows(void *user, int y0, int y1)
{
    tally *t = user;
    atomic_fetch_add(&t->calls, 1);
    for (int y = y0; y < y1; ++y) atomic_fetch_add(&t->hits[y], 1);
}

Test(split_rows, every_row_once)
{
    const int sizes[] = {1, 2, 3, 7, 64, 1001};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
        int rows = sizes[k];
        for (int big = 0; big < 2; ++big) {
            tally t = {calloc((size_t)rows, sizeof(atomic_int)), 0};
            nbcl_split_rows(rows, big ? 100 : 10, 50, count_rows, &t);
            for (int y = 0; y < rows; ++y)
                cr_assert_eq(atomic_load(&t.hits[y]), 1, "%d rows (%s): row %d done %d times", rows,
                             big ? "split" : "one call", y, atomic_load(&t.hits[y]));
            if (!big) cr_expect_eq(atomic_load(&t.calls), 1, "below the threshold: one call");
            free(t.hits);
        }
    }
}

Test(split_rows, no_rows_no_call)
{
    tally t = {NULL, 0};
    nbcl_split_rows(0, 1000, 1, count_rows, &t);
    cr_assert_eq(atomic_load(&t.calls), 0);
}
