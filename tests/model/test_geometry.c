/* test_geometry.c: the detector geometry that nbcl_sim_resolve derives from a command line
 * (conventions, rotations, two-theta, pivots, near point, ORGX/ORGY, DIALS origin),
 * checked against what the reference printed for the same command line: the golden cases'
 * stdout.txt and header.txt, and for a few geometries the golden set lacks, the same lines
 * printed by the reference nanoBragg (commit 455534a, the golden build) quoted below.
 * The reference prints with %g, so values are compared to 6 significant digits. */
#include "model_util.h"

static void init(void) { scratch_enter(); }
static void fini(void) { scratch_leave(); }

TestSuite(golden, .init = init, .fini = fini);
TestSuite(reference, .init = init, .fini = fini);
TestSuite(pivot, .init = init, .fini = fini);
TestSuite(impossible, .init = init, .fini = fini);

/* one "label= x y z" vector of the reference's log against ours */
static void expect_vec(const char *ref, const char *label, const double got[3], double scale, double floor)
{
    double want[3];
    int n = log_numbers(ref, label, want, 3);
    cr_assert_eq(n, 3, "reference log has no '%s' vector", label);
    for (int k = 0; k < 3; ++k)
        cr_expect(close_g(got[k] * scale, want[k], floor), "%s[%d] = %.9g, reference %.9g", label, k,
                  got[k] * scale, want[k]);
}

/* "A=x B=y" pairs */
static void expect_pair(const char *ref, const char *line_prefix, const char *second, double a, double b,
                        double floor)
{
    double want[2];
    cr_assert_eq(log_numbers(ref, line_prefix, want, 1), 1, "reference log has no '%s'", line_prefix);
    const char *p = log_find(ref, line_prefix);
    const char *q = strstr(p, second);
    cr_assert(q != NULL, "reference log has no '%s' after '%s'", second, line_prefix);
    want[1] = strtod(q + strlen(second), NULL);
    cr_expect(close_g(a, want[0], floor), "%s %.9g, reference %.9g", line_prefix, a, want[0]);
    cr_expect(close_g(b, want[1], floor), "%s %.9g, reference %.9g", second, b, want[1]);
}

static void expect_scalar(const char *ref, const char *label, double got, double floor)
{
    double want = NAN;
    cr_assert_eq(log_numbers(ref, label, &want, 1), 1, "reference log has no '%s'", label);
    cr_expect(close_g(got, want, floor), "%s %.9g, reference %.9g", label, got, want);
}

/* same line, character for character, in both logs */
static void expect_same_line(const char *ref, const char *ours, const char *prefix)
{
    char *a = log_line(ref, prefix), *b = log_line(ours, prefix);
    cr_assert(a != NULL, "reference log has no line '%s...'", prefix);
    cr_assert(b != NULL, "our log has no line '%s...'; reference: '%s'", prefix, a);
    cr_expect_str_eq(b, a);
    free(a);
    free(b);
}

/* Everything the reference reports about the detector, against the resolved sim. */
static void check_geometry(const resolved *r, const char *ref)
{
    const nbcl_sim *s = &r->sim;
    const double L = 1e-12;   /* metres: anything below is "zero" as printed */
    const double U = 1e-9;    /* unit vectors */

    const char *conv = strstr(ref, " convention selected.");
    cr_assert(conv != NULL);
    while (conv > ref && conv[-1] != '\n') --conv;
    char name[32] = "";
    sscanf(conv, "%31s", name);
    expect_same_line(ref, r->log, name);
    expect_same_line(ref, r->log, "pivoting detector around");
    cr_expect_eq(s->pivot, strstr(ref, "pivoting detector around sample") ? NBCL_PIVOT_SAMPLE : NBCL_PIVOT_BEAM);

    double d[6];
    const char *p = log_find(ref, "distance=");
    cr_assert(p != NULL, "reference log has no 'distance=' line");
    int dims[2];
    cr_assert_eq(sscanf(p, "%lg detsize=%lgx%lg pixel=%lg meters (%dx%d", &d[0], &d[1], &d[2], &d[3], &dims[0],
                        &dims[1]), 6);
    cr_expect(close_g(s->distance, d[0], L), "distance %.9g, reference %.9g", s->distance, d[0]);
    cr_expect(close_g(s->detsize_f, d[1], L), "detsize_f %.9g, reference %.9g", s->detsize_f, d[1]);
    cr_expect(close_g(s->detsize_s, d[2], L), "detsize_s %.9g, reference %.9g", s->detsize_s, d[2]);
    cr_expect(close_g(s->pixel_size, d[3], L));
    cr_expect_eq(s->fpixels, dims[0]);
    cr_expect_eq(s->spixels, dims[1]);

    expect_pair(ref, "Xbeam=", "Ybeam=", s->Xbeam, s->Ybeam, L);
    expect_pair(ref, "Fbeam=", "Sbeam=", s->Fbeam, s->Sbeam, L);
    expect_pair(ref, "Xclose=", "Yclose=", s->Xclose, s->Yclose, L);
    expect_pair(ref, "Fclose=", "Sclose=", s->Fclose, s->Sclose, L);

    expect_vec(ref, "DIRECTION_OF_DETECTOR_X-AXIS=", s->fdet, 1, U);
    expect_vec(ref, "DIRECTION_OF_DETECTOR_Y-AXIS=", s->sdet, 1, U);
    expect_vec(ref, "DIRECTION_OF_DETECTOR_Z-AXIS=", s->odet, 1, U);
    expect_vec(ref, "INCIDENT_BEAM_DIRECTION=", s->beam, 1, U);
    expect_vec(ref, "spindle ROTATION_AXIS=", s->spindle, 1, U);
    double pn[3] = {s->beam[1] * s->polar_vector[2] - s->beam[2] * s->polar_vector[1],
                    s->beam[2] * s->polar_vector[0] - s->beam[0] * s->polar_vector[2],
                    s->beam[0] * s->polar_vector[1] - s->beam[1] * s->polar_vector[0]};
    expect_vec(ref, "POLARIZATION_PLANE_NORMAL=", pn, 1, U);
    double xds[3] = {s->beam[0] * s->fdet[0] + s->beam[1] * s->fdet[1] + s->beam[2] * s->fdet[2],
                     s->beam[0] * s->sdet[0] + s->beam[1] * s->sdet[1] + s->beam[2] * s->sdet[2],
                     s->beam[0] * s->odet[0] + s->beam[1] * s->odet[1] + s->beam[2] * s->odet[2]};
    expect_vec(ref, "XDS incident beam:", xds, 1, U);

    /* the DIALS origin is pix0 in mm in DIALS' frame: (z, y, -x) */
    expect_vec(ref, "dials origin=", s->dials_origin, 1, 1e-9);
    double o[3];
    cr_assert_eq(log_numbers(ref, "dials origin=", o, 3), 3);
    double pix0_ref[3] = {-o[2] / 1000, o[1] / 1000, o[0] / 1000};
    for (int k = 0; k < 3; ++k)
        cr_expect(close_g(s->pix0[k], pix0_ref[k], L), "pix0[%d] = %.9g, reference %.9g", k, s->pix0[k], pix0_ref[k]);

    expect_scalar(ref, "XDS_ORGX=", s->ORGX, 1e-9);
    expect_scalar(ref, "XDS_ORGY=", s->ORGY, 1e-9);
    expect_scalar(ref, "CLOSE_DISTANCE=", s->close_distance * 1000, 1e-9);
}

/* A golden case: its arguments, its stdout and header. */
static void check_golden_case(const char *id)
{
    char *args = golden_case_file(id, "args.txt");
    char *out = golden_case_file(id, "stdout.txt");
    char *hdr = golden_case_file(id, "header.txt");
    char *ref = malloc(strlen(out) + strlen(hdr) + 2);
    sprintf(ref, "%s\n%s", out, hdr);
    if (strstr(args, "A.mat")) copy_golden_input("A.mat");

    resolved r;
    int rc = resolve_args(&r, args);
    cr_assert_eq(rc, 0, "%s: %s", id, r.err.msg);
    check_geometry(&r, ref);
    resolved_free(&r);
    free(args);
    free(out);
    free(hdr);
    free(ref);
}

/* ---- one golden case per convention ---- */

Test(golden, mosflm) { check_golden_case("core_mosflm"); }
Test(golden, xds) { check_golden_case("core_xds"); }
Test(golden, dials) { check_golden_case("core_dials"); }
Test(golden, adxv) { check_golden_case("core_adxv"); }
Test(golden, denzo) { check_golden_case("core_denzo"); }
Test(golden, custom_vectors) { check_golden_case("core_custom_vectors"); }

/* ---- rotations, two-theta, near point, origins ---- */

Test(golden, rot_beam) { check_golden_case("core_rot_beam"); }
Test(golden, rot_sample) { check_golden_case("core_rot_sample"); }
Test(golden, tilted) { check_golden_case("core_tilted"); }
Test(golden, grazing) { check_golden_case("core_grazing"); }
Test(golden, close_distance) { check_golden_case("core_close_distance"); }
Test(golden, orgx) { check_golden_case("core_orgx"); }
Test(golden, xclose) { check_golden_case("core_xclose"); }
Test(golden, offset_beam) { check_golden_case("core_offset"); }
Test(golden, pix0_vector) { check_golden_case("core_pix0"); }
Test(golden, twotheta_axis) { check_golden_case("core_twotheta_axis"); }
Test(golden, spindle) { check_golden_case("core_spindle"); }
Test(golden, rect_detsize) { check_golden_case("core_rect_detsize"); }
Test(golden, rect_detpixels) { check_golden_case("core_rect_detpixels"); }
Test(golden, default_detector) { check_golden_case("core_simple_cubic"); }
Test(golden, long_distance) { check_golden_case("core_long_distance"); }
Test(golden, mat_file) { check_golden_case("core_mat"); }

/* ---- geometries the golden set lacks: lines printed by the reference for them ---- */

#define SMALL "-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 1 -detpixels 32 -pixel 0.1 "

static void check_reference(const char *args, const char *ref)
{
    resolved r;
    int rc = resolve_args(&r, args);
    cr_assert_eq(rc, 0, "%s: %s", args, r.err.msg);
    check_geometry(&r, ref);
    resolved_free(&r);
}

#define CUSTOM_ROT SMALL "-distance 100 -beam_vector 1 0 0 -fdet_vector 0 0 1 -sdet_vector 0 -1 0 " \
    "-odet_vector 1 0 0 -Xbeam 1.2 -Ybeam 2.1 -detector_rotx 5 -detector_roty 3 -detector_rotz 2 "

static const char REF_CUSTOM_PIVOT_SAMPLE[] =
    "custom convention selected.\n"
    "pivoting detector around sample\n"
    "XDS incident beam: 0.0551467 0.0302081 0.998021\n"
    "  distance=0.1 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
    "  Xbeam=0.0012 Ybeam=0.0021\n"
    "  Fbeam=0.00671467 Sbeam=0.00512081\n"
    "  Xclose=0.0016 Yclose=0.0016\n"
    "  Fclose=0.0012 Sclose=0.0021\n"
    "  DIRECTION_OF_DETECTOR_X-AXIS= 0.0551467 -0.0852831 0.994829\n"
    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0.0302081 -0.995747 -0.0870363\n"
    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0.998021 0.0348517 -0.052336\n"
    "  INCIDENT_BEAM_DIRECTION= 1 0 0\n"
    "  spindle ROTATION_AXIS= 0 0 1\n"
    "  POLARIZATION_PLANE_NORMAL= 0 -1 0\n"
    "  dials origin= -6.23426 5.67168 -99.475\n"
    "XDS_ORGX=12.5\n"
    "XDS_ORGY=21.5\n"
    "CLOSE_DISTANCE=99.8021\n";

static const char REF_CUSTOM_PIVOT_BEAM[] =
    "custom convention selected.\n"
    "pivoting detector around direct beam spot\n"
    "XDS incident beam: 0.0551467 0.0302081 0.998021\n"
    "  distance=0.1 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
    "  Xbeam=0.0012 Ybeam=0.0021\n"
    "  Fbeam=0.0012 Sbeam=0.0021\n"
    "  Xclose=0.0016 Yclose=0.0016\n"
    "  Fclose=-0.00431467 Sclose=-0.000920809\n"
    "  DIRECTION_OF_DETECTOR_X-AXIS= 0.0551467 -0.0852831 0.994829\n"
    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0.0302081 -0.995747 -0.0870363\n"
    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0.998021 0.0348517 -0.052336\n"
    "  INCIDENT_BEAM_DIRECTION= 1 0 0\n"
    "  spindle ROTATION_AXIS= 0 0 1\n"
    "  POLARIZATION_PLANE_NORMAL= 0 -1 0\n"
    "  dials origin= -1.01102 2.19341 -99.8704\n"
    "XDS_ORGX=-42.6467\n"
    "XDS_ORGY=-8.70809\n"
    "CLOSE_DISTANCE=99.8021\n";

Test(reference, custom_pivot_sample) { check_reference(CUSTOM_ROT "-pivot sample", REF_CUSTOM_PIVOT_SAMPLE); }
Test(reference, custom_pivot_beam) { check_reference(CUSTOM_ROT "-pivot beam", REF_CUSTOM_PIVOT_BEAM); }

Test(reference, xds_orgx_rotated)
{
    check_reference(SMALL "-xds -ORGX 10 -ORGY 20 -distance 100 -detector_rotx 3 -twotheta 5",
                    "xds convention selected.\n"
                    "pivoting detector around sample\n"
                    "XDS incident beam: 0 0.139173 0.990268\n"
                    "  distance=0.1 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
                    "  Xbeam=0.00095 Ybeam=0.00195\n"
                    "  Fbeam=0.00095 Sbeam=0.0158673\n"
                    "  Xclose=0.00095 Yclose=0.00195\n"
                    "  Fclose=0.00095 Sclose=0.00195\n"
                    "  DIRECTION_OF_DETECTOR_X-AXIS= 1 0 0\n"
                    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0 0.990268 0.139173\n"
                    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0 -0.139173 0.990268\n"
                    "  INCIDENT_BEAM_DIRECTION= 0 0 1\n"
                    "  spindle ROTATION_AXIS= 1 0 0\n"
                    "  POLARIZATION_PLANE_NORMAL= 0 1 0\n"
                    "  dials origin= 98.6197 -15.8293 0.95\n"
                    "XDS_ORGX=10\n"
                    "XDS_ORGY=20\n"
                    "CLOSE_DISTANCE=99.863\n");
}

Test(reference, custom_close_distance_xclose)
{
    check_reference(SMALL "-fdet_vector 0 0 1 -close_distance 80 -detector_roty 10 -Xclose 1 -Yclose 2",
                    "custom convention selected.\n"
                    "pivoting detector around sample\n"
                    "XDS incident beam: 0.173648 0 0.984808\n"
                    "  distance=0.0812341 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
                    "  Xbeam=0.001 Ybeam=0.002\n"
                    "  Fbeam=0.0151062 Sbeam=0.002\n"
                    "  Xclose=0.001 Yclose=0.002\n"
                    "  Fclose=0.001 Sclose=0.002\n"
                    "  DIRECTION_OF_DETECTOR_X-AXIS= 0.173648 0 0.984808\n"
                    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0 -1 0\n"
                    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0.984808 0 -0.173648\n"
                    "  INCIDENT_BEAM_DIRECTION= 1 0 0\n"
                    "  spindle ROTATION_AXIS= 0 0 1\n"
                    "  POLARIZATION_PLANE_NORMAL= 0 -1 0\n"
                    "  dials origin= -14.8767 2 -78.611\n"
                    "XDS_ORGX=10.5\n"
                    "XDS_ORGY=20.5\n"
                    "CLOSE_DISTANCE=80\n");
}

Test(reference, dials_twotheta)
{
    check_reference(SMALL "-dials -twotheta 12 -Xclose 1 -Yclose 2",
                    "dials convention selected.\n"
                    "pivoting detector around sample\n"
                    "XDS incident beam: -0.207912 0 0.978148\n"
                    "  distance=0.1 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
                    "  Xbeam=0.001 Ybeam=0.002\n"
                    "  Fbeam=-0.0191912 Sbeam=0.0016\n"
                    "  Xclose=0.001 Yclose=0.002\n"
                    "  Fclose=0.0016 Sclose=0.0016\n"
                    "  DIRECTION_OF_DETECTOR_X-AXIS= 0.978148 0 -0.207912\n"
                    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0 1 0\n"
                    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0.207912 0 0.978148\n"
                    "  INCIDENT_BEAM_DIRECTION= 0 0 1\n"
                    "  spindle ROTATION_AXIS= 0 1 0\n"
                    "  POLARIZATION_PLANE_NORMAL= -1 0 0\n"
                    "  dials origin= 98.1474 -1.6 -19.2261\n"
                    "XDS_ORGX=16.5\n"
                    "XDS_ORGY=16.5\n"
                    "CLOSE_DISTANCE=100\n");
}

Test(reference, adxv_rotated)
{
    check_reference(SMALL "-adxv -Xbeam 1 -Ybeam 2 -detector_rotz 7 -twotheta 3",
                    "adxv convention selected.\n"
                    "pivoting detector around direct beam spot\n"
                    "XDS incident beam: -0.00637815 0.0519459 0.99863\n"
                    "  distance=0.099863 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
                    "  Xbeam=0.001 Ybeam=0.002\n"
                    "  Fbeam=0.00100087 Sbeam=0.00119288\n"
                    "  Xclose=0.0016 Yclose=0.0016\n"
                    "  Fclose=0.00163781 Sclose=-0.00399459\n"
                    "  DIRECTION_OF_DETECTOR_X-AXIS= 0.992546 0.121702 -0.00637815\n"
                    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0.121869 -0.991186 0.0519459\n"
                    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0 0.052336 0.99863\n"
                    "  INCIDENT_BEAM_DIRECTION= 0 0 1\n"
                    "  spindle ROTATION_AXIS= 1 0 0\n"
                    "  POLARIZATION_PLANE_NORMAL= 0 1 0\n"
                    "  dials origin= 99.944 1.06772 1.13879\n"
                    "XDS_ORGX=16.8781\n"
                    "XDS_ORGY=-39.4459\n"
                    "CLOSE_DISTANCE=99.863\n");
}

Test(reference, denzo_rotated)
{
    check_reference(SMALL "-denzo -Xbeam 1 -Ybeam 2 -detector_rotz 7 -twotheta 3",
                    "denzo convention selected.\n"
                    "pivoting detector around direct beam spot\n"
                    "XDS incident beam: 0 0.0697565 0.997564\n"
                    "  distance=0.100506 detsize=0.0032x0.0032  pixel=0.0001 meters (32x32 pixels)\n"
                    "  Xbeam=0.001 Ybeam=0.002\n"
                    "  Fbeam=0.002 Sbeam=0.00103527\n"
                    "  Xclose=0.0016 Yclose=0.0016\n"
                    "  Fclose=0.002 Sclose=-0.00597565\n"
                    "  DIRECTION_OF_DETECTOR_X-AXIS= 0 0 1\n"
                    "  DIRECTION_OF_DETECTOR_Y-AXIS= 0.0697565 -0.997564 0\n"
                    "  DIRECTION_OF_DETECTOR_Z-AXIS= 0.997564 0.0697565 0\n"
                    "  INCIDENT_BEAM_DIRECTION= 1 0 0\n"
                    "  spindle ROTATION_AXIS= 0 0 1\n"
                    "  POLARIZATION_PLANE_NORMAL= 0 -1 0\n"
                    "  dials origin= -2 0.997564 -99.9302\n"
                    "XDS_ORGX=20.5\n"
                    "XDS_ORGY=-59.2565\n"
                    "CLOSE_DISTANCE=99.7564\n");
}

/* ---- pivot rules, as invariants ---- */

/* The named conventions fix the pivot whatever -pivot says: golden core_rot_beam and
 * core_rot_sample (-mosflm -pivot sample) report the same beam-pivoted detector. */
Test(pivot, mosflm_overrides_pivot_sample)
{
    char *a = golden_case_file("core_rot_beam", "stdout.txt");
    char *b = golden_case_file("core_rot_sample", "stdout.txt");
    char *la = log_block(a, "mosflm convention", "dials origin="), *lb = log_block(b, "mosflm convention", "dials origin=");
    cr_assert(la && lb);
    /* the geometry part of both reference logs agrees: -pivot sample had no effect */
    char *ga = log_block(la, "Xbeam=", "dials origin="), *gb = log_block(lb, "Xbeam=", "dials origin=");
    cr_assert(ga && gb);
    cr_expect_str_eq(ga, gb);

    resolved r;
    char *args = golden_case_file("core_rot_sample", "args.txt");
    cr_assert_eq(resolve_args(&r, args), 0, "%s", r.err.msg);
    cr_expect_eq(r.cfg.pivot, NBCL_PIVOT_SAMPLE, "the command line asked for sample");
    cr_expect_eq(r.sim.pivot, NBCL_PIVOT_BEAM, "mosflm pivots about the beam");
    resolved_free(&r);
    free(args); free(a); free(b); free(la); free(lb); free(ga); free(gb);
}

/* With -pivot beam the direct-beam spot stays where it was asked for, and the sample stays
 * -distance from it along the beam, however the detector is rotated about x, y, z.
 * (Not with -twotheta: the reference takes the beam/normal ratio before the two-theta swing,
 * so golden core_rot_beam reports Fbeam=0.0128639 where 0.0129 was asked for.) */
Test(pivot, beam_keeps_beam_centre)
{
    static const char *rots[] = {"", "-detector_rotx 5", "-detector_roty -7 -detector_rotz 3",
                                 "-detector_rotx 5 -detector_roty 3 -detector_rotz 2"};
    for (size_t i = 0; i < sizeof rots / sizeof rots[0]; ++i) {
        char args[512];
        snprintf(args, sizeof args, SMALL "-distance 120 -fdet_vector 0 0 1 -Xbeam 1.2 -Ybeam 2.1 %s -pivot beam",
                 rots[i]);
        resolved r;
        cr_assert_eq(resolve_args(&r, args), 0, "%s", r.err.msg);
        cr_expect_eq(r.sim.pivot, NBCL_PIVOT_BEAM);
        cr_expect(fabs(r.sim.Fbeam - 0.0012) < 1e-12, "%s: Fbeam %.12g", rots[i], r.sim.Fbeam);
        cr_expect(fabs(r.sim.Sbeam - 0.0021) < 1e-12, "%s: Sbeam %.12g", rots[i], r.sim.Sbeam);
        cr_expect(fabs(r.sim.distance - 0.120) < 1e-12, "%s: distance %.12g", rots[i], r.sim.distance);
        /* the beam spot pix0 + Fbeam fdet + Sbeam sdet lies distance along the beam */
        for (int k = 0; k < 3; ++k) {
            double spot = r.sim.pix0[k] + r.sim.Fbeam * r.sim.fdet[k] + r.sim.Sbeam * r.sim.sdet[k];
            cr_expect(fabs(spot - r.sim.distance * r.sim.beam[k]) < 1e-12, "%s: spot[%d]", rots[i], k);
        }
        resolved_free(&r);
    }
}

/* With -pivot sample the near point (foot of the perpendicular from the sample) keeps its
 * pixel coordinates and the detector plane keeps its distance from the sample. */
Test(pivot, sample_keeps_near_point)
{
    static const char *rots[] = {"", "-detector_rotx 5", "-detector_roty -7 -detector_rotz 3",
                                 "-detector_rotx 5 -detector_roty 3 -detector_rotz 2 -twotheta 10"};
    for (size_t i = 0; i < sizeof rots / sizeof rots[0]; ++i) {
        char args[512];
        snprintf(args, sizeof args, SMALL "-fdet_vector 0 0 1 -close_distance 90 -Xbeam 1.2 -Ybeam 2.1 %s -pivot sample",
                 rots[i]);
        resolved r;
        cr_assert_eq(resolve_args(&r, args), 0, "%s", r.err.msg);
        cr_expect_eq(r.sim.pivot, NBCL_PIVOT_SAMPLE);
        cr_expect(fabs(r.sim.Fclose - 0.0012) < 1e-12, "%s: Fclose %.12g", rots[i], r.sim.Fclose);
        cr_expect(fabs(r.sim.Sclose - 0.0021) < 1e-12, "%s: Sclose %.12g", rots[i], r.sim.Sclose);
        cr_expect(fabs(r.sim.close_distance - 0.090) < 1e-12, "%s: close_distance %.12g", rots[i],
                  r.sim.close_distance);
        cr_expect(fabs(r.sim.ORGX - (0.0012 / 1e-4 + 0.5)) < 1e-9, "%s: ORGX %.12g", rots[i], r.sim.ORGX);
        resolved_free(&r);
    }
}

/* -ORGX/-ORGY put the near point at that pixel (pivot sample) */
Test(pivot, orgx_orgy_are_the_near_point)
{
    resolved r;
    cr_assert_eq(resolve_args(&r, SMALL "-xds -ORGX 10 -ORGY 20 -detector_roty 4 -twotheta 6"), 0, "%s", r.err.msg);
    cr_expect(fabs(r.sim.ORGX - 10) < 1e-9, "ORGX %.12g", r.sim.ORGX);
    cr_expect(fabs(r.sim.ORGY - 20) < 1e-9, "ORGY %.12g", r.sim.ORGY);
    cr_expect(fabs(r.sim.Fclose - 9.5e-4) < 1e-12, "Fclose %.12g", r.sim.Fclose);
    cr_expect(fabs(r.sim.Sclose - 19.5e-4) < 1e-12, "Sclose %.12g", r.sim.Sclose);
    resolved_free(&r);
}

/* ---- impossible geometry ---- */

static void impossible(const char *args, const char *needle)
{
    expect_refused_setup(args, needle, 1);
}

Test(impossible, parallel_axes)
{
    impossible(SMALL "-fdet_vector 0 0 1 -sdet_vector 0 0 1 -odet_vector 0 0 0", "-odet_vector");
    impossible(SMALL "-fdet_vector 0 0 1 -sdet_vector 0 0 1 -odet_vector 0 0 0", "parallel");
}

Test(impossible, zero_vectors)
{
    impossible(SMALL "-fdet_vector 0 0 0", "-fdet_vector");
    impossible(SMALL "-sdet_vector 0 0 0", "-sdet_vector");
    impossible(SMALL "-beam_vector 0 0 0", "-beam_vector");
}

Test(impossible, detector_parallel_to_beam)
{
    /* the detector normal at right angles to the beam: the plane never meets it */
    impossible(SMALL "-beam_vector 1 0 0 -fdet_vector 1 0 0 -sdet_vector 0 -1 0 -odet_vector 0 0 1", "-distance");
}
