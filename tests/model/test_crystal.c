/* test_crystal.c: the unit cell and its orientation as nbcl_sim_resolve sets them up.
 * The reference prints the cell, reciprocal cell, volume and both vector tables; for the
 * same command line our log must print the same text, and the vectors in nbcl_sim must be
 * the ones printed (8 decimals). Also the crystal size in cells (-N, -Na/-Nb/-Nc,
 * -xtal_size) and the cells and matrices that must be refused. */
#include "model_util.h"

static void init(void) { scratch_enter(); }
static void fini(void) { scratch_leave(); }

TestSuite(cell, .init = init, .fini = fini);
TestSuite(golden, .init = init, .fini = fini);
TestSuite(size, .init = init, .fini = fini);
TestSuite(refused, .init = init, .fini = fini);

/* ---- simple cells ---- */

#define BASE "-default_F 100 -lambda 1 -N 5 -detpixels 32 -pixel 0.1 -distance 100 "

Test(cell, cubic_100)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 100 100 100 90 90 90"), 0, "%s", r.err.msg);
    const double want_a[3] = {100e-10, 0, 0}, want_b[3] = {0, 100e-10, 0}, want_c[3] = {0, 0, 100e-10};
    for (int k = 0; k < 3; ++k) {
        cr_expect(fabs(r.sim.a0[k] - want_a[k]) < 1e-22, "a0[%d] = %g", k, r.sim.a0[k]);
        cr_expect(fabs(r.sim.b0[k] - want_b[k]) < 1e-22, "b0[%d] = %g", k, r.sim.b0[k]);
        cr_expect(fabs(r.sim.c0[k] - want_c[k]) < 1e-22, "c0[%d] = %g", k, r.sim.c0[k]);
        /* 1/Angstrom: 0.01 along the same axis */
        cr_expect(fabs(r.sim.a_star[k] - want_a[k] * 1e6) < 1e-15, "a_star[%d] = %g", k, r.sim.a_star[k]);
        cr_expect(fabs(r.sim.b_star[k] - want_b[k] * 1e6) < 1e-15, "b_star[%d] = %g", k, r.sim.b_star[k]);
        cr_expect(fabs(r.sim.c_star[k] - want_c[k] * 1e6) < 1e-15, "c_star[%d] = %g", k, r.sim.c_star[k]);
    }
    cr_expect(fabs(r.sim.V_cell - 1e6) < 1e-6, "V_cell %.12g", r.sim.V_cell);
    for (int k = 0; k < 3; ++k) {
        cr_expect(fabs(r.sim.cell[k] - 100) < 1e-9);
        cr_expect(fabs(r.sim.cell[3 + k] - M_PI / 2) < 1e-12);
        cr_expect(fabs(r.sim.recip_cell[k] - 0.01) < 1e-15);
    }
    cr_expect_eq(r.sim.Na, 5);
    cr_expect_eq(r.sim.Nb, 5);
    cr_expect_eq(r.sim.Nc, 5);
    cr_expect(r.sim.misset[0] == 0 && r.sim.misset[1] == 0 && r.sim.misset[2] == 0);
    resolved_free(&r);
}

/* orthorhombic: lengths along x, y, z, reciprocal lengths 1/a, 1/b, 1/c */
Test(cell, orthorhombic)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 40 50 80 90 90 90"), 0, "%s", r.err.msg);
    cr_expect(fabs(r.sim.a0[0] - 40e-10) < 1e-22);
    cr_expect(fabs(r.sim.b0[1] - 50e-10) < 1e-22);
    cr_expect(fabs(r.sim.c0[2] - 80e-10) < 1e-22);
    cr_expect(fabs(r.sim.a_star[0] - 1.0 / 40) < 1e-15);
    cr_expect(fabs(r.sim.b_star[1] - 1.0 / 50) < 1e-15);
    cr_expect(fabs(r.sim.c_star[2] - 1.0 / 80) < 1e-15);
    cr_expect(fabs(r.sim.V_cell - 40.0 * 50 * 80) < 1e-6);
    resolved_free(&r);
}

/* A triclinic -cell: the real axes get exactly the lengths asked for and each reciprocal
 * vector is perpendicular to the other two real axes. Like the reference, the reciprocal
 * vectors are then scaled by 1/V from the cell formula, which is not exactly a.(b x c) (the
 * reference prints "Unit Cell: 70 80 90 75.0391 85.0136 95.0081" for golden core_triclinic),
 * so a.a* = b.b* = c.c* = a.(b x c)/V rather than 1. */
Test(cell, triclinic_vectors)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 70 80 90 75 85 95"), 0, "%s", r.err.msg);
    const double *real[3] = {r.sim.a0, r.sim.b0, r.sim.c0}, *recip[3] = {r.sim.a_star, r.sim.b_star, r.sim.c_star};
    const double len[3] = {70, 80, 90};
    for (int i = 0; i < 3; ++i) {
        double l = sqrt(real[i][0] * real[i][0] + real[i][1] * real[i][1] + real[i][2] * real[i][2]) * 1e10;
        cr_expect(fabs(l - len[i]) < 1e-9, "|axis %d| = %.12g", i, l);
    }
    const double *a = r.sim.a0, *b = r.sim.b0, *c = r.sim.c0;
    double V = (a[0] * (b[1] * c[2] - b[2] * c[1]) + a[1] * (b[2] * c[0] - b[0] * c[2]) +
                a[2] * (b[0] * c[1] - b[1] * c[0])) * 1e30;
    double diag = V / r.sim.V_cell;
    cr_expect(fabs(diag - 1) < 1e-3, "a.(bxc)/V = %.12g", diag);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double d = 0;
            for (int k = 0; k < 3; ++k) d += real[i][k] * 1e10 * recip[j][k];
            cr_expect(fabs(d - (i == j ? diag : 0)) < 1e-12, "real[%d].recip[%d] = %.15g", i, j, d);
        }
    resolved_free(&r);
}

/* ---- against the golden logs ---- */

static void expect_table(const char *ref, const char *title, const double *v[3], double scale)
{
    const char *p = log_find(ref, title);
    cr_assert(p != NULL, "no '%s' in the reference log", title);
    p = strchr(p, '\n');
    cr_assert(p);
    p = strchr(p + 1, '\n');   /* the column names */
    cr_assert(p);
    for (int row = 0; row < 3; ++row) {
        double x[3];
        const char *axis = row == 0 ? "X:" : row == 1 ? "Y:" : "Z:";
        p = log_find(p + 1, axis);
        cr_assert(p != NULL, "table '%s' has no %s row", title, axis);
        cr_assert_eq(sscanf(p, "%lf %lf %lf", &x[0], &x[1], &x[2]), 3);
        for (int col = 0; col < 3; ++col)
            cr_expect(fabs(v[col][row] * scale - x[col]) <= 5.1e-9 + 1e-15 * fabs(x[col]),
                      "%s %s column %d: %.10f, reference %.8f", title, axis, col, v[col][row] * scale, x[col]);
        p = strchr(p, '\n');
        cr_assert(p);
    }
}

/* The crystal part of a golden case: same text from "Unit Cell:" through "crystal is", the
 * same numbers in nbcl_sim, and the same size in cells. */
static void check_golden_case(const char *id)
{
    char *args = golden_case_file(id, "args.txt");
    char *ref = golden_case_file(id, "stdout.txt");
    if (strstr(args, "A.mat")) copy_golden_input("A.mat");
    resolved r;
    cr_assert_eq(resolve_args(&r, args), 0, "%s: %s", id, r.err.msg);

    char *want = log_block(ref, "Unit Cell:", "crystal is ");
    char *got = log_block(r.log, "Unit Cell:", "crystal is ");
    cr_assert(want != NULL, "%s: no crystal block in the golden log", id);
    cr_assert(got != NULL, "%s: no crystal block in our log:\n%s", id, r.log);
    cr_expect_str_eq(got, want, "%s: crystal block differs", id);

    double uc[6], rc[6], V;
    cr_assert_eq(log_numbers(ref, "Unit Cell:", uc, 6), 6);
    cr_assert_eq(log_numbers(ref, "Recp Cell:", rc, 6), 6);
    cr_assert_eq(log_numbers(ref, "volume =", &V, 1), 1);
    for (int k = 0; k < 3; ++k) {
        cr_expect(close_g(r.sim.cell[k], uc[k], 0), "%s: cell[%d] %.9g vs %.9g", id, k, r.sim.cell[k], uc[k]);
        cr_expect(close_g(r.sim.cell[3 + k] * RTD, uc[3 + k], 0), "%s: cell angle %d", id, k);
        cr_expect(close_g(r.sim.recip_cell[k], rc[k], 0), "%s: recip[%d] %.9g vs %.9g", id, k, r.sim.recip_cell[k], rc[k]);
        cr_expect(close_g(r.sim.recip_cell[3 + k] * RTD, rc[3 + k], 0), "%s: recip angle %d", id, k);
    }
    cr_expect(close_g(r.sim.V_cell, V, 0), "%s: volume %.9g vs %.9g", id, r.sim.V_cell, V);

    const double *real[3] = {r.sim.a0, r.sim.b0, r.sim.c0}, *recip[3] = {r.sim.a_star, r.sim.b_star, r.sim.c_star};
    expect_table(ref, "real-space cell vectors (Angstrom):", real, 1e10);
    expect_table(ref, "reciprocal-space cell vectors (Angstrom^-1):", recip, 1);

    double um[3], cells[3];
    cr_assert_eq(log_numbers(ref, "crystal is", um, 1), 1);
    const char *p = log_find(ref, "crystal is");
    cr_assert_eq(sscanf(p, "%lg x %lg x %lg", &um[0], &um[1], &um[2]), 3);
    for (int k = 0; k < 3; ++k)
        cr_expect(close_g(r.sim.xtalsize[k] * 1e6, um[k], 0), "%s: size[%d] %.9g um vs %.9g", id, k,
                  r.sim.xtalsize[k] * 1e6, um[k]);
    p = log_find(ref, "parallelpiped xtal:");
    cr_assert(p != NULL);
    cr_assert_eq(sscanf(p, "%lgx%lgx%lg", &cells[0], &cells[1], &cells[2]), 3);
    cr_expect_eq(r.sim.Na, cells[0], "%s: Na %g vs %g", id, r.sim.Na, cells[0]);
    cr_expect_eq(r.sim.Nb, cells[1], "%s: Nb %g vs %g", id, r.sim.Nb, cells[1]);
    cr_expect_eq(r.sim.Nc, cells[2], "%s: Nc %g vs %g", id, r.sim.Nc, cells[2]);

    resolved_free(&r);
    free(args); free(ref); free(want); free(got);
}

Test(golden, cubic) { check_golden_case("core_mosflm"); }
Test(golden, triclinic) { check_golden_case("core_triclinic"); }
Test(golden, triclinic_N1) { check_golden_case("core_triclinic_N1"); }
Test(golden, large_cell) { check_golden_case("core_large_cell"); }
Test(golden, misset_a) { check_golden_case("core_misset_a"); }
Test(golden, misset_b) { check_golden_case("core_misset_b"); }
Test(golden, triclinic_misset) { check_golden_case("core_triclinic_misset"); }
Test(golden, mat) { check_golden_case("core_mat"); }
Test(golden, mat_misset) { check_golden_case("core_mat_misset"); }
/* "-misset random -misset_seed 777 -cell 70 ...": the seed flag also sets misset 777 0 70 */
Test(golden, misset_seed_quirk) { check_golden_case("io_misset_random"); }
Test(golden, xtal_size) { check_golden_case("sample_xtal_size"); }
Test(golden, Nabc) { check_golden_case("sample_Nabc"); }

/* misset angles rotate the reciprocal vectors about x, then y, then z */
Test(cell, misset_rotates_x_then_y_then_z)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 100 100 100 90 90 90 -misset 0 0 90"), 0, "%s", r.err.msg);
    /* a about z by 90 degrees: x -> y */
    cr_expect(fabs(r.sim.a0[0]) < 1e-20 && fabs(r.sim.a0[1] - 100e-10) < 1e-20, "a0 = %g %g %g", r.sim.a0[0],
              r.sim.a0[1], r.sim.a0[2]);
    cr_expect(fabs(r.sim.misset[2] - M_PI / 2) < 1e-15);
    resolved_free(&r);
    cr_assert_eq(resolve_args(&r, BASE "-cell 100 100 100 90 90 90 -misset 90 0 0"), 0, "%s", r.err.msg);
    /* b about x by 90 degrees: y -> z */
    cr_expect(fabs(r.sim.b0[1]) < 1e-20 && fabs(r.sim.b0[2] - 100e-10) < 1e-20, "b0 = %g %g %g", r.sim.b0[0],
              r.sim.b0[1], r.sim.b0[2]);
    resolved_free(&r);
}

/* ---- crystal size ---- */

Test(size, xtal_size_rounds_up_to_whole_cells)
{
    resolved r;
    /* 0.00071 mm = 7100 A over a 100 A cell: 71 cells */
    cr_assert_eq(resolve_args(&r, BASE "-cell 100 100 100 90 90 90 -xtal_size 0.00071"), 0, "%s", r.err.msg);
    cr_expect_eq(r.sim.Na, 71);
    cr_expect_eq(r.sim.Nb, 71);
    cr_expect_eq(r.sim.Nc, 71);
    cr_expect(fabs(r.sim.xtalsize[0] - 7.1e-7) < 1e-15);
    char *line = log_line(r.log, "crystal is");
    cr_assert(line != NULL);
    cr_expect_str_eq(line, "crystal is 0.71 x 0.71 x 0.71 microns");
    free(line);
    resolved_free(&r);
}

Test(size, per_axis_sizes)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 40 50 80 90 90 90 -xtal_x 0.0004 -xtal_y 0.0005 -xtal_z 0.00081"), 0,
                 "%s", r.err.msg);
    cr_expect_eq(r.sim.Na, 100);
    cr_expect_eq(r.sim.Nb, 100);
    cr_expect_eq(r.sim.Nc, 102);   /* 8100/80 = 101.25 -> 102 */
    resolved_free(&r);
}

Test(size, at_least_one_cell)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, BASE "-cell 100 100 100 90 90 90 -xtal_size 0.000001"), 0, "%s", r.err.msg);
    cr_expect_eq(r.sim.Na, 1);
    resolved_free(&r);
}

/* ---- refused ---- */

static void refused(const char *args, const char *needle)
{
    expect_refused_setup(args, needle, 0);
}

Test(refused, impossible_angles)
{
    refused(BASE "-cell 100 100 100 10 10 170", "-cell");
    refused(BASE "-cell 100 100 100 150 150 150", "-cell");
    refused(BASE "-cell 100 100 100 90 90 180", "-cell");
    refused(BASE "-cell 100 100 100 90 90 200", "-cell");
}

Test(refused, five_numbers)
{
    refused(BASE "-cell 100 100 100 90 90", "-cell");
    refused(BASE "-cell 100 100 100 90 90 -N 5", "-cell");
}

Test(refused, no_cell)
{
    refused(BASE, "-cell");
}

Test(refused, zero_length)
{
    refused(BASE "-cell 0 100 100 90 90 90", "-cell");
}

Test(refused, bad_matrix)
{
    refused(BASE "-mat missing.mat", "missing.mat");
    write_text("short.mat", "0.01 0 0\n0 0.01 0\n0 0\n");
    refused(BASE "-mat short.mat", "short.mat");
    write_text("flat.mat", "0.01 0 0\n0.01 0 0\n0 0 0\n");
    refused(BASE "-mat flat.mat", "flat.mat");
    write_text("coplanar.mat", "0.01 0 0.01\n0 0.01 0.01\n0 0 0\n");
    refused(BASE "-mat coplanar.mat", "coplanar.mat");
}
