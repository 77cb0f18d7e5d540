/* test_hkl.c: the HKL text loader and the Fdump.bin cache, including byte identity with the
 * dump files that the reference wrote for the golden io cases. */
#include <criterion/criterion.h>
#include <math.h>
#include "io/compare.h"
#include "io/hkl.h"
#include "io_util.h"
#include "../support/test_log.h"

static char dir[4096];

static void setup(void)
{
    io_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
    io_rmdir(dir);
}

TestSuite(hkl, .init = setup, .fini = teardown);

/* Load `text` as an HKL file; returns the loader's status. */
static int load_text(const char *text, double default_F, nbcl_hkl *g, nbcl_err *err)
{
    char path[4200];
    io_path(path, sizeof path, dir, "in.hkl");
    io_write_text(path, text);
    return nbcl_hkl_read(path, default_F, g, NULL, err);
}

static void expect_small_grid(const nbcl_hkl *g)
{
    cr_assert_eq(g->hkls, 3);
    cr_assert_eq(g->h_min, 0);
    cr_assert_eq(g->h_max, 1);
    cr_assert_eq(g->k_min, 0);
    cr_assert_eq(g->k_max, 2);
    cr_assert_eq(g->l_min, 0);
    cr_assert_eq(g->l_max, 0);
    cr_assert_eq(g->h_range, 2);
    cr_assert_eq(g->k_range, 3);
    cr_assert_eq(g->l_range, 1);
    cr_assert_eq(nbcl_hkl_grid_size(g), 3 * 4 * 2);
    cr_assert_float_eq(nbcl_hkl_get(g, 0, 0, 0, -1), 10.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(g, 1, 0, 0, -1), 20.5, 0);
    cr_assert_float_eq(nbcl_hkl_get(g, 0, 2, 0, -1), 30.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(g, 1, 1, 0, -1), 7.0, 0);   /* default_F */
    cr_assert_float_eq(nbcl_hkl_get(g, 2, 0, 0, -1), -1.0, 0);  /* outside */
}

Test(hkl, four_columns)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 10\n1 0 0 20.5\n0 2 0 30\n", 7.0, &g, &err), 0, "%s", err.msg);
    expect_small_grid(&g);
    nbcl_hkl_free(&g);
}

Test(hkl, five_columns_phase_ignored)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 10 45.0\n1 0 0 20.5 90\n0 2 0 30 -12\n", 7.0, &g, &err), 0,
                 "%s", err.msg);
    expect_small_grid(&g);
    nbcl_hkl_free(&g);
}

Test(hkl, six_columns_sigma_ignored)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 10 1.0 45\n1 0 0 20.5 2.0 90 extra\n0 2 0 30 3 0\n", 7.0, &g,
                           &err), 0, "%s", err.msg);
    expect_small_grid(&g);
    nbcl_hkl_free(&g);
}

Test(hkl, comments_and_blank_lines)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("# header comment\n\n   \n0 0 0 10\n  # indented\n1 0 0 20.5\r\n"
                           "\t\n0 2 0 30 # trailing\n", 7.0, &g, &err), 0, "%s", err.msg);
    expect_small_grid(&g);
    nbcl_hkl_free(&g);
}

Test(hkl, negative_indices_and_padding)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("-3 -1 -2 5\n-1 0 1 6\n-2 -1 0 7\n", 2.5, &g, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(g.h_min, -3);
    cr_assert_eq(g.h_max, -1);
    cr_assert_eq(g.k_min, -1);
    cr_assert_eq(g.l_min, -2);
    cr_assert_eq(g.l_max, 1);
    cr_assert_float_eq(nbcl_hkl_get(&g, -3, -1, -2, 0), 5.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(&g, -1, 0, 1, 0), 6.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(&g, -2, -1, 0, 0), 7.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(&g, -2, 0, -1, 0), 2.5, 0);
    /* the padding row/column/plane stays zero, like the reference's calloc'd extra cell */
    size_t kk = (size_t)g.k_range + 1, ll = (size_t)g.l_range + 1;
    for (size_t h = 0; h <= (size_t)g.h_range; h++)
        for (size_t k = 0; k < kk; k++)
            for (size_t l = 0; l < ll; l++) {
                double v = g.F[(h * kk + k) * ll + l];
                int pad = h == (size_t)g.h_range || k == (size_t)g.k_range
                          || l == (size_t)g.l_range;
                if (pad) cr_assert_float_eq(v, 0.0, 0, "padding at %zu %zu %zu", h, k, l);
                else cr_assert_neq(v, 0.0);
            }
    nbcl_hkl_free(&g);
}

Test(hkl, later_duplicate_wins_and_default_zero)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 1\n1 1 1 2\n0 0 0 3\n", 0.0, &g, &err), 0, "%s", err.msg);
    cr_assert_eq(g.hkls, 3);
    cr_assert_float_eq(nbcl_hkl_get(&g, 0, 0, 0, -1), 3.0, 0);
    cr_assert_float_eq(nbcl_hkl_get(&g, 1, 0, 0, -1), 0.0, 0);
    nbcl_hkl_free(&g);
}

Test(hkl, short_line_names_file_and_line)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_neq(load_text("0 0 0 10\n# c\n1 0 0\n0 2 0 30\n", 0.0, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "in.hkl"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "line 3"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
    cr_assert_null(g.F);
}

Test(hkl, non_numeric_names_file_and_line)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_neq(load_text("0 0 0 10\n1 x 0 5\n", 0.0, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "in.hkl line 2"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "'x'"), "%s", err.msg);
    cr_assert_neq(load_text("0 0 0 10\n1 0 0 5abc\n", 0.0, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "line 2"), "%s", err.msg);
}

Test(hkl, empty_file_is_an_error)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_neq(load_text("", 0.0, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "in.hkl"), "%s", err.msg);
    cr_assert_neq(load_text("# only a comment\n\n", 0.0, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "no h k l F"), "%s", err.msg);
}

Test(hkl, missing_file_is_an_error)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_neq(nbcl_hkl_read("/nonexistent/x.hkl", 0, &g, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "/nonexistent/x.hkl"), "%s", err.msg);
}

Test(hkl, logs_like_the_reference)
{
    char logpath[4200];
    io_path(logpath, sizeof logpath, dir, "log.txt");
    FILE *log = fopen(logpath, "w+");
    nbcl_log L = test_log_to(log);
    char path[4200];
    io_path(path, sizeof path, dir, "in.hkl");
    io_write_text(path, "0 0 0 1\n1.5 0 0 2\n");
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_hkl_read(path, 3.0, &g, &L, &err), 0, "%s", err.msg);
    rewind(log);
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof text - 1, log);
    text[n] = '\0';
    fclose(log);
    cr_assert_not_null(strstr(text, "counting entries in "), "%s", text);
    cr_assert_not_null(strstr(text, "WARNING: non-integer value for h (1.5)"), "%s", text);
    cr_assert_not_null(strstr(text, "initializing to default_F = 3:\ndone initializing:\n"));
    cr_assert_not_null(strstr(text, "re-reading "), "%s", text);
    nbcl_hkl_free(&g);
}

Test(hkl, fdump_round_trip)
{
    nbcl_hkl g, back;
    nbcl_err err = {0};
    cr_assert_eq(load_text("-2 0 1 5\n1 3 -1 6\n0 1 0 7.25\n", 1.5, &g, &err), 0, "%s",
                 err.msg);
    char path[4200];
    io_path(path, sizeof path, dir, "Fdump.bin");
    cr_assert_eq(nbcl_fdump_write(path, &g, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_fdump_read(path, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(back.h_min, g.h_min);
    cr_assert_eq(back.h_max, g.h_max);
    cr_assert_eq(back.k_min, g.k_min);
    cr_assert_eq(back.k_max, g.k_max);
    cr_assert_eq(back.l_min, g.l_min);
    cr_assert_eq(back.l_max, g.l_max);
    cr_assert_eq(back.hkls, (long)g.h_range * g.k_range * g.l_range);
    cr_assert_eq(memcmp(back.F, g.F, nbcl_hkl_grid_size(&g) * sizeof(double)), 0);
    nbcl_hkl_free(&g);
    nbcl_hkl_free(&back);
}

/* -hkl FILE and -default_F X of a golden case (X = 0 when absent). */
static int case_hkl_args(const char *id, char *hkl, size_t cap, double *default_F)
{
    char path[4096], args[4096] = "", rel[512];
    snprintf(rel, sizeof rel, "cases/%s/args.txt", id);
    io_golden(path, sizeof path, rel);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "cannot read %s", path);
    size_t n = fread(args, 1, sizeof args - 1, fp);
    args[n] = '\0';
    fclose(fp);
    *default_F = 0.0;
    const char *d = strstr(args, "-default_F ");
    if (d) *default_F = atof(d + 11);
    const char *h = strstr(args, "-hkl ");
    if (!h) return -1;
    snprintf(hkl, cap, "%.*s", (int)strcspn(h + 5, " \t\n"), h + 5);
    return 0;
}

static void check_golden_dump(const char *id)
{
    char hklname[256], rel[512], in[4096], expect[4096], out[4200];
    double default_F;
    cr_assert_eq(case_hkl_args(id, hklname, sizeof hklname, &default_F), 0);
    snprintf(rel, sizeof rel, "inputs/%s", hklname);
    io_golden(in, sizeof in, rel);
    snprintf(rel, sizeof rel, "cases/%s/Fdump.bin.gz", id);
    io_golden(expect, sizeof expect, rel);
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_hkl_read(in, default_F, &g, NULL, &err), 0, "%s", err.msg);
    io_path(out, sizeof out, dir, "Fdump.bin");
    cr_assert_eq(nbcl_fdump_write(out, &g, &err), 0, "%s", err.msg);
    unsigned char *a, *b;
    size_t na, nb;
    cr_assert_eq(nbcl_gzfile_read(out, &a, &na, &err), 0, "%s", err.msg);
    cr_assert_eq(nbcl_gzfile_read(expect, &b, &nb, &err), 0, "%s", err.msg);
    cr_assert_eq(na, nb, "%s: dump is %zu bytes, reference %zu", id, na, nb);
    cr_assert_eq(memcmp(a, b, na), 0, "%s: dump differs from the reference's", id);
    free(a);
    free(b);
    nbcl_hkl_free(&g);
}

Test(hkl, golden_dump_pattern) { check_golden_dump("io_hkl_pattern"); }
Test(hkl, golden_dump_sparse) { check_golden_dump("io_hkl_sparse"); }
Test(hkl, golden_dump_phase) { check_golden_dump("io_hkl_phase"); }
Test(hkl, golden_dump_sigma) { check_golden_dump("io_hkl_sigma"); }
Test(hkl, golden_dump_negative) { check_golden_dump("io_hkl_negative"); }
Test(hkl, golden_dump_dense) { check_golden_dump("io_hkl_mat"); }

Test(hkl, golden_fdump_input_reads)
{
    char path[4096];
    io_golden(path, sizeof path, "inputs/Fdump.bin");
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_fdump_read(path, &g, &err), 0, "%s", err.msg);
    cr_assert_eq(g.h_min, -2);
    cr_assert_eq(g.h_max, 2);
    cr_assert_eq(g.l_min, 0);
    cr_assert_eq(g.l_max, 1);
    cr_assert_eq(g.hkls, 50);   /* the reference prints "50 initialized hkls" */
    nbcl_hkl_free(&g);
}

Test(hkl, truncated_fdump_is_an_error)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 1\n1 1 1 2\n", 0.0, &g, &err), 0, "%s", err.msg);
    char path[4200];
    io_path(path, sizeof path, dir, "Fdump.bin");
    cr_assert_eq(nbcl_fdump_write(path, &g, &err), 0, "%s", err.msg);
    nbcl_hkl_free(&g);
    cr_assert_eq(truncate(path, 40), 0);
    cr_assert_neq(nbcl_fdump_read(path, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "Fdump.bin"), "%s", err.msg);
    cr_assert_null(g.F);
}

Test(hkl, fdump_extents_not_matching_size)
{
    char path[4200];
    io_path(path, sizeof path, dir, "Fdump.bin");
    /* header claims 2x2x2 (27 doubles with padding); give 26 */
    char buf[64 + 27 * 8] = {0};
    int head = snprintf(buf, sizeof buf, "0 1 0 1 0 1\n\f");
    io_write_bytes(path, buf, (size_t)head + 26 * 8);
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_neq(nbcl_fdump_read(path, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "does not match"), "%s", err.msg);
    io_write_bytes(path, buf, (size_t)head + 28 * 8);
    cr_assert_neq(nbcl_fdump_read(path, &g, &err), 0);
    io_write_bytes(path, buf, (size_t)head + 27 * 8);
    cr_assert_eq(nbcl_fdump_read(path, &g, &err), 0, "%s", err.msg);
    nbcl_hkl_free(&g);
    io_write_text(path, "garbage without header");
    cr_assert_neq(nbcl_fdump_read(path, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "Fdump.bin"), "%s", err.msg);
}

Test(hkl, fdump_into_missing_directory)
{
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_assert_eq(load_text("0 0 0 1\n", 0.0, &g, &err), 0, "%s", err.msg);
    char path[4200];
    io_path(path, sizeof path, dir, "nope/Fdump.bin");
    cr_assert_neq(nbcl_fdump_write(path, &g, &err), 0);
    cr_assert_not_null(strstr(err.msg, "nope/Fdump.bin"), "%s", err.msg);
    nbcl_hkl_free(&g);
}

/* Extents whose range (max - min + 1) overflows an int are refused before any arithmetic. */
Test(hkl, fdump_header_extents_that_overflow)
{
    char path[4200];
    io_path(path, sizeof path, dir, "huge.bin");
    io_write_text(path, "-2147483648 2147483647 0 1 0 1\n\f");
    nbcl_hkl g;
    nbcl_err err = {0};
    cr_expect_neq(nbcl_fdump_read(path, &g, &err), 0);
    cr_expect(strstr(err.msg, "impossible extents") != NULL, "%s", err.msg);
}
