/* test_cli.c: nbcl_cli_parse. Values and their units, synonyms, the reference's strstr
 * quirks that golden cases rely on, convention flags and their pivots, the strict checks
 * (each error names its flag), suggestions for misspelt flags, and the -help and
 * -list_devices actions. */
#include "model_util.h"
#include "model/noise.h"

static cmdline cl;
static nbcl_config cfg;
static nbcl_err err;
static enum nbcl_cli_action action;
static nbcl_setup_files files;

static void fini(void)
{
    free(cl.buf);
    cl.buf = NULL;
}

TestSuite(values, .fini = fini);
TestSuite(synonyms, .fini = fini);
TestSuite(quirks, .fini = fini);
TestSuite(conventions, .fini = fini);
TestSuite(errors, .fini = fini);
TestSuite(actions, .fini = fini);

static int parse(const char *args)
{
    free(cl.buf);
    memset(&err, 0, sizeof err);
    cmdline_split(&cl, args);
    nbcl_setup_files_free(&files);
    return nbcl_setup_parse(cl.argc, cl.argv, &cfg, &action, &files, &err);
}

static void parse_ok(const char *args)
{
    int rc = parse(args);
    cr_assert_eq(rc, 0, "'%s' was refused: %s", args, err.msg);
    cr_assert_eq(action, NBCL_CLI_RUN, "'%s' is not a run", args);
}

#define EQ(got, want) cr_expect(fabs((double)(got) - (double)(want)) <= 1e-12 * fabs((double)(want)) + 1e-300, \
                                "%s = %.17g, expected %.17g", #got, (double)(got), (double)(want))

/* ---- values and units ---- */

Test(values, defaults_when_nothing_given)
{
    parse_ok("");
    EQ(cfg.distance, 0.1);
    EQ(cfg.lambda0, 1e-10);
    EQ(cfg.pixel_size, 1e-4);
    EQ(cfg.detsize_f, 0.1024);
    cr_expect_eq(cfg.convention, NBCL_MOSFLM);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_BEAM);
    cr_expect_eq(cfg.misset_mode, 0);
    cr_expect_eq(cfg.user_cell, 0);
    cr_expect(isnan(cfg.Xbeam) && isnan(cfg.close_distance));
    cr_expect_eq(cfg.mosaic_seed, -12345678);
    cr_expect_str_eq(cfg.floatfile, "floatimage.bin");
}

Test(values, distance_mm_to_m)
{
    parse_ok("-distance 100");
    EQ(cfg.distance, 0.1);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_BEAM);
    parse_ok("-distance 250.5");
    EQ(cfg.distance, 0.2505);
}

Test(values, lambda_angstrom_to_m)
{
    parse_ok("-lambda 1");
    EQ(cfg.lambda0, 1e-10);
    parse_ok("-lambda 6.2");
    EQ(cfg.lambda0, 6.2e-10);
}

Test(values, energy_ev_to_wavelength)
{
    parse_ok("-energy 12398.42");
    EQ(cfg.lambda0, 1e-10);
    parse_ok("-energy 9000");
    EQ(cfg.lambda0, 12398.42 / 9000 * 1e-10);
}

Test(values, misset_degrees_to_radians)
{
    parse_ok("-misset 10 20.5 -30");
    cr_expect_eq(cfg.misset_mode, 1);
    EQ(cfg.misset[0], 10 / RTD);
    EQ(cfg.misset[1], 20.5 / RTD);
    EQ(cfg.misset[2], -30 / RTD);
}

Test(values, misset_random)
{
    parse_ok("-misset random");
    cr_expect_eq(cfg.misset_mode, -1);
}

Test(values, cell_lengths_and_angles)
{
    parse_ok("-cell 70 80 90 75 85 95");
    cr_expect_eq(cfg.user_cell, 1);
    EQ(cfg.cell[0], 70);
    EQ(cfg.cell[1], 80);
    EQ(cfg.cell[2], 90);
    EQ(cfg.cell[3], 75 / RTD);
    EQ(cfg.cell[4], 85 / RTD);
    EQ(cfg.cell[5], 95 / RTD);
}

Test(values, detector_lengths)
{
    parse_ok("-pixel 0.172 -detsize 51.2 -Xbeam 12.8 -Ybeam 14.1");
    EQ(cfg.pixel_size, 0.172e-3);
    EQ(cfg.detsize_f, 0.0512);
    EQ(cfg.detsize_s, 0.0512);
    EQ(cfg.Xbeam, 0.0128);
    EQ(cfg.Ybeam, 0.0141);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_BEAM);
    parse_ok("-detsize_f 20 -detsize_s 30 -detpixels 64");
    EQ(cfg.detsize_f, 0.02);
    EQ(cfg.detsize_s, 0.03);
    cr_expect_eq(cfg.fpixels, 64);
    cr_expect_eq(cfg.spixels, 64);
}

Test(values, near_point_and_origin_set_sample_pivot)
{
    parse_ok("-Xclose 11 -Yclose 14");
    EQ(cfg.Xclose, 0.011);
    EQ(cfg.Yclose, 0.014);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
    parse_ok("-ORGX 110 -ORGY 140.5");
    EQ(cfg.ORGX, 110);
    EQ(cfg.ORGY, 140.5);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
    parse_ok("-close_distance 90");
    EQ(cfg.close_distance, 0.09);
    EQ(cfg.distance, 0.1);    /* "-close_distance" does not contain "-distance" */
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
    /* the last flag that touches the pivot wins, as in the reference */
    parse_ok("-close_distance 90 -distance 100");
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_BEAM);
    parse_ok("-distance 100 -pivot sample");
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
}

Test(values, angles_degrees_to_radians)
{
    parse_ok("-twotheta 10 -detector_rotx 5 -detector_roty 3 -detector_rotz 2 -phi 30 -osc 2 -mosaic 0.5");
    EQ(cfg.twotheta, 10 / RTD);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
    EQ(cfg.detector_rotx, 5 / RTD);
    EQ(cfg.detector_roty, 3 / RTD);
    EQ(cfg.detector_rotz, 2 / RTD);
    EQ(cfg.phi0, 30 / RTD);
    EQ(cfg.osc, 2 / RTD);
    EQ(cfg.mosaic_spread, 0.5 / RTD);
}

Test(values, beam_and_sample)
{
    parse_ok("-dispersion 1 -divergence 0.5 -beamsize 0.2 -xtal_size 0.0007 -water 100 -dmin 2");
    EQ(cfg.dispersion, 0.01);
    EQ(cfg.hdivrange, 5e-4);
    EQ(cfg.vdivrange, 5e-4);
    EQ(cfg.beamsize, 2e-4);
    EQ(cfg.sample_x, 7e-7);
    EQ(cfg.sample_y, 7e-7);
    EQ(cfg.sample_z, 7e-7);
    EQ(cfg.water_size, 1e-4);
    EQ(cfg.dmin, 2e-10);
}

Test(values, sensor)
{
    parse_ok("-detector_thick 100 -detector_abs 500 -thicksteps 3");
    EQ(cfg.detector_thick, 1e-4);
    EQ(cfg.detector_mu, 1.0 / 500e-6);
    cr_expect_eq(cfg.detector_thicksteps, 3);
    parse_ok("-detector_thick 100 -detector_abs inf");
    EQ(cfg.detector_mu, 0);
    EQ(cfg.detector_thick, 0);
}

Test(values, counts_and_seeds)
{
    parse_ok("-N 5 -Na 3 -phisteps 4 -mosaic_dom 7 -oversample 2 -seed 99 -mosaic_seed 4242");
    EQ(cfg.Na, 3);
    EQ(cfg.Nb, 5);
    EQ(cfg.Nc, 5);
    cr_expect_eq(cfg.phisteps, 4);
    cr_expect_eq(cfg.mosaic_domains, 7);
    cr_expect_eq(cfg.oversample, 2);
    cr_expect_eq(cfg.seed, -99);       /* stored negated, as the reference */
    cr_expect_eq(cfg.mosaic_seed, -4242);
}

Test(values, files)
{
    parse_ok("-hkl P1.hkl -mat A.mat -floatfile f.bin -intfile i.img -noisefile n.img -pgmfile p.pgm");
    cr_expect_str_eq(cfg.hklfile, "P1.hkl");
    cr_expect_str_eq(cfg.matfile, "A.mat");
    cr_expect_str_eq(cfg.floatfile, "f.bin");
    cr_expect_str_eq(cfg.intfile, "i.img");
    cr_expect_str_eq(cfg.noisefile, "n.img");
    cr_expect_str_eq(cfg.pgmfile, "p.pgm");
    cr_expect_eq(cfg.calculate_noise, 1);
    parse_ok("-nonoise -nopgm");
    cr_expect_eq(cfg.calculate_noise, 0);
    cr_expect_eq(cfg.write_pgm, 0);
}

Test(values, precision_choices)
{
    parse_ok("-precision single");
    cr_expect_eq(cfg.precision, NBCL_PRECISION_SINGLE);
    parse_ok("-precision double");
    cr_expect_eq(cfg.precision, NBCL_PRECISION_DOUBLE);
    parse_ok("--precision auto");
    cr_expect_eq(cfg.precision, NBCL_PRECISION_AUTO);
}

/* ---- synonyms ---- */

Test(synonyms, wave_is_lambda)
{
    parse_ok("-wave 1.5");
    EQ(cfg.lambda0, 1.5e-10);
}

Test(synonyms, image_names)
{
    parse_ok("-floatimage a.bin -intimage b.img -noiseimage c.img -pgmimage d.pgm");
    cr_expect_str_eq(cfg.floatfile, "a.bin");
    cr_expect_str_eq(cfg.intfile, "b.img");
    cr_expect_str_eq(cfg.noisefile, "c.img");
    cr_expect_str_eq(cfg.pgmfile, "d.pgm");
}

Test(synonyms, detpixels_axes)
{
    parse_ok("-detpixels_x 200 -detpixels_y 150");
    cr_expect_eq(cfg.fpixels, 200);
    cr_expect_eq(cfg.spixels, 150);
    parse_ok("-detpixels_f 120 -detpixels_s 90");
    cr_expect_eq(cfg.fpixels, 120);
    cr_expect_eq(cfg.spixels, 90);
}

Test(synonyms, mosaic)
{
    parse_ok("-mosaic 0.4");
    EQ(cfg.mosaic_spread, 0.4 / RTD);
    parse_ok("-mosaic_spr 0.3");
    EQ(cfg.mosaic_spread, 0.3 / RTD);
}

/* Flags the reference accepts because a rule's name occurs inside them (strstr), without
 * being one of the names themselves. Their values must be taken as values, not refused as
 * stray arguments. */
TestSuite(inexact_synonyms, .fini = fini);

Test(inexact_synonyms, mosaic_spread)
{
    parse_ok("-mosaic_spread 0.3");
    EQ(cfg.mosaic_spread, 0.3 / RTD);
}

Test(inexact_synonyms, mosaicity)
{
    parse_ok("-mosaicity 0.25");
    EQ(cfg.mosaic_spread, 0.25 / RTD);
}

Test(inexact_synonyms, wavelength)
{
    parse_ok("-wavelength 2");
    EQ(cfg.lambda0, 2e-10);
}

Test(synonyms, crystal_size)
{
    parse_ok("-xtalsize 0.001");
    EQ(cfg.sample_x, 1e-6);
    parse_ok("-sample_size 0.002");
    EQ(cfg.sample_z, 2e-6);
    parse_ok("-xtal_x 0.001 -xtal_y 0.002 -xtal_z 0.003");
    EQ(cfg.sample_x, 1e-6);
    EQ(cfg.sample_y, 2e-6);
    EQ(cfg.sample_z, 3e-6);
}

/* ---- quirks of the reference kept on purpose ---- */

/* "-twotheta_axis" contains "-twotheta": the reference also sets the two-theta angle to
 * its first number and pivots about the sample (golden core_twotheta_axis depends on it). */
Test(quirks, twotheta_axis_sets_twotheta)
{
    parse_ok("-twotheta_axis 5 1 0");
    cr_expect_eq(cfg.convention, NBCL_CUSTOM);
    EQ(cfg.twotheta_axis[0], 5);
    EQ(cfg.twotheta_axis[1], 1);
    EQ(cfg.twotheta_axis[2], 0);
    EQ(cfg.twotheta, 5 / RTD);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);

    /* golden core_twotheta_axis: -twotheta 20 is undone by the axis's first number */
    parse_ok("-twotheta 20 -twotheta_axis 0 1 0");
    EQ(cfg.twotheta, 0);
    cr_expect_eq(cfg.pivot, NBCL_PIVOT_SAMPLE);
}

/* "-misset_seed" contains "-misset": with 3 arguments after it the reference also reads
 * misset angles (seed, atof(next), atof(next-next)); golden io_misset_random encodes it. */
Test(quirks, misset_seed_sets_misset_angles)
{
    parse_ok("-misset random -misset_seed 777 -cell 70 80 90 75 85 95");
    cr_expect_eq(cfg.misset_mode, 1, "the angles override 'random'");
    EQ(cfg.misset[0], 777 / RTD);
    EQ(cfg.misset[1], 0);            /* atof("-cell") */
    EQ(cfg.misset[2], 70 / RTD);
    cr_expect_eq(cfg.misset_seed, -777);
    cr_expect_eq(cfg.misset_seed_given, 1);

    parse_ok("-misset_seed 777 -N 5");
    cr_expect_eq(cfg.misset_mode, 1);
    EQ(cfg.misset[0], 777 / RTD);
    EQ(cfg.misset[2], 5 / RTD);
}

Test(quirks, misset_seed_at_the_end_sets_only_the_seed)
{
    parse_ok("-N 5 -misset_seed 777");
    cr_expect_eq(cfg.misset_mode, 0);
    cr_expect_eq(cfg.misset_seed, -777);
    parse_ok("-misset random -N 5 -misset_seed 12");
    cr_expect_eq(cfg.misset_mode, -1);
    cr_expect_eq(cfg.misset_seed, -12);
}

Test(quirks, pix0_vector_in_metres)
{
    parse_ok("-pix0_vector 0.1 0.011 -0.015");
    cr_expect_eq(cfg.convention, NBCL_CUSTOM);
    cr_expect_eq(cfg.pix0_given, 1);
    EQ(cfg.pix0_vector[0], 0.1);
    EQ(cfg.pix0_vector[1], 0.011);
    EQ(cfg.pix0_vector[2], -0.015);
}

/* golden/README.md: the reference reads -pix0_vector_mm as metres; nanoBragg-CL reads mm */
Test(inexact_synonyms, pix0_vector_mm_is_millimetres)
{
    parse_ok("-pix0_vector_mm 100 11 -15");
    cr_expect_eq(cfg.convention, NBCL_CUSTOM);
    cr_expect_eq(cfg.pix0_given, 1);
    EQ(cfg.pix0_vector[0], 0.1);
    EQ(cfg.pix0_vector[1], 0.011);
    EQ(cfg.pix0_vector[2], -0.015);
}

/* a value that contains a flag's name is still seen by the reference's rules, but is not
 * refused: "-hkl my-distance.hkl" must stay a valid command line */
Test(quirks, value_containing_flag_name_is_accepted)
{
    parse_ok("-hkl my-distance.hkl");
    cr_expect_str_eq(cfg.hklfile, "my-distance.hkl");
}

/* ---- conventions ---- */

Test(conventions, flags_set_convention_and_pivot)
{
    static const struct { const char *flag; enum nbcl_convention conv; enum nbcl_pivot piv; } t[] = {
        {"-mosflm", NBCL_MOSFLM, NBCL_PIVOT_BEAM},
        {"-xds", NBCL_XDS, NBCL_PIVOT_SAMPLE},
        {"-adxv", NBCL_ADXV, NBCL_PIVOT_BEAM},
        {"-denzo", NBCL_DENZO, NBCL_PIVOT_BEAM},
        {"-dials", NBCL_DIALS, NBCL_PIVOT_BEAM},   /* the reference's parser says BEAM; resolve says SAMPLE */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
        char args[64];
        /* start from the other pivot so the flag has to change it */
        snprintf(args, sizeof args, "-pivot %s %s", t[i].piv == NBCL_PIVOT_BEAM ? "sample" : "beam", t[i].flag);
        parse_ok(args);
        cr_expect_eq(cfg.convention, t[i].conv, "%s", t[i].flag);
        cr_expect_eq(cfg.pivot, t[i].piv, "%s", t[i].flag);
    }
}

Test(conventions, vectors_select_custom)
{
    static const char *flags[] = {"-fdet_vector", "-sdet_vector", "-odet_vector", "-beam_vector",
                                  "-polar_vector", "-spindle_axis", "-twotheta_axis"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
        char args[64];
        snprintf(args, sizeof args, "%s 0.25 -0.5 2", flags[i]);
        parse_ok(args);
        cr_expect_eq(cfg.convention, NBCL_CUSTOM, "%s", flags[i]);
    }
    parse_ok("-fdet_vector 0.25 -0.5 2 -sdet_vector 1 2 3 -spindle_axis 0 1 0");
    EQ(cfg.fdet_vector[0], 0.25);
    EQ(cfg.fdet_vector[1], -0.5);
    EQ(cfg.fdet_vector[2], 2);
    EQ(cfg.sdet_vector[2], 3);
    EQ(cfg.spindle_vector[1], 1);
}

/* ---- errors: each names its flag ---- */

static void refused(const char *args, const char *needle)
{
    int rc = parse(args);
    cr_assert_neq(rc, 0, "'%s' was accepted", args);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s': message '%s' does not mention '%s'", args, err.msg, needle);
    cr_expect(strchr(err.msg, '\n') == NULL, "'%s': message has a newline: '%s'", args, err.msg);
}

Test(errors, cell_needs_six_numbers)
{
    refused("-cell 100 100 100 90 90 -N 5", "-cell");
    refused("-cell 100 100 100 90 90", "-cell");
    refused("-cell 100 100 100", "-cell");
    refused("-cell", "-cell");
}

Test(errors, not_a_number)
{
    refused("-distance abc", "-distance");
    refused("-distance 100mm", "-distance");
    refused("-lambda one", "-lambda");
    refused("-pixel abc", "-pixel");
    refused("-misset 10 x 30", "-misset");
    refused("-cell 100 100 100 90 ninety 90", "-cell");
    refused("-N five", "-N");
    refused("-detpixels 2.5", "-detpixels");
}

Test(errors, not_positive)
{
    refused("-pixel 0", "-pixel");
    refused("-lambda -1", "-lambda");
    refused("-lambda 0", "-lambda");
    refused("-distance 0", "-distance");
    refused("-distance -5", "-distance");
    refused("-detpixels 0", "-detpixels");
    refused("-phisteps 0", "-phisteps");
    refused("-mosaic_dom 0", "-mosaic_dom");
    refused("-oversample -2", "-oversample");
    refused("-energy 0", "-energy");
}

Test(errors, missing_value)
{
    refused("-distance", "-distance");
    refused("-hkl", "-hkl");
    refused("-misset 1 2", "-misset");
}

Test(errors, unknown_flag_with_suggestion)
{
    refused("-distanse 100", "-distanse");
    cr_expect(strstr(err.msg, "-distance") != NULL, "no suggestion in '%s'", err.msg);
    refused("-lambad 1", "-lambad");
    cr_expect(strstr(err.msg, "-lambda") != NULL, "no suggestion in '%s'", err.msg);
    cr_expect_str_eq(nbcl_cli_suggest("-distanse"), "-distance");
    cr_expect_str_eq(nbcl_cli_suggest("-detpixel"), "-detpixels");
    cr_expect_null(nbcl_cli_suggest("-zzzzzzzzzzzzzzzzzz"));
    refused("-zzzzzzzzzzzzzzzzzz", "-zzzzzzzzzzzzzzzzzz");
}

Test(errors, stray_argument)
{
    refused("-distance 100 200", "200");
    refused("foo", "foo");
}

Test(errors, bad_words)
{
    refused("-precision bogus", "-precision");
    cr_expect(strstr(err.msg, "bogus") != NULL, "%s", err.msg);
    refused("-detector_abs junk", "-detector_abs");
    cr_expect(strstr(err.msg, "junk") != NULL, "%s", err.msg);
    refused("-pivot middle", "-pivot");
}

Test(errors, first_error_wins)
{
    refused("-pixel 0 -lambda 0", "-pixel");
}

/* ---- actions ---- */

Test(actions, help)
{
    cr_assert_eq(parse("-help"), 0, "%s", err.msg);
    cr_expect_eq(action, NBCL_CLI_HELP);
    cr_assert_eq(parse("--help"), 0, "%s", err.msg);
    cr_expect_eq(action, NBCL_CLI_HELP);
    cr_assert_eq(parse("-h"), 0, "%s", err.msg);
    cr_expect_eq(action, NBCL_CLI_HELP);

    const char *text = nbcl_cli_help();
    static const char *must[] = {"-distance", "-lambda", "-cell", "-misset", "-detpixels", "-mosaic_dom",
                                 "-floatfile", "-device", "-precision", "-list_devices", "-pix0_vector"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; ++i)
        cr_expect(strstr(text, must[i]) != NULL, "help does not mention %s", must[i]);
}

Test(actions, list_devices)
{
    cr_assert_eq(parse("-list_devices"), 0, "%s", err.msg);
    cr_expect_eq(action, NBCL_CLI_LIST_DEVICES);
    cr_assert_eq(parse("--list-devices"), 0, "%s", err.msg);
    cr_expect_eq(action, NBCL_CLI_LIST_DEVICES);
}

Test(actions, device_spec)
{
    parse_ok("-device gpu -tile 64");
    cr_expect_str_eq(cfg.device_spec, "gpu");
    cr_expect_eq(cfg.tile, 64);
}

/* ---- detector response and amorphous background (docs/detector-response.md) ---- */

Test(response, flags_and_units)
{
    parse_ok("-psf fiber -psf_fwhm 0.05 -psf_radius 9 -gain 2.5 -readout_noise 3 "
             "-calibration_noise 3 -flicker_noise 2 -calib_seed 77");
    cr_expect_eq(cfg.response.psf, NBCL_PSF_FIBER);
    EQ(cfg.response.psf_fwhm_mm, 0.05);
    cr_expect_eq(cfg.response.psf_radius, 9);
    EQ(cfg.response.gain, 2.5);
    EQ(cfg.response.readout_noise, 3);
    EQ(cfg.response.calibration_noise, 0.03);
    EQ(cfg.response.flicker_noise, 0.02);
    cr_expect_eq(cfg.response.calibration_seed, 77);
}

Test(response, nothing_given_is_no_response)
{
    parse_ok("-adc 10");
    cr_expect(nbcl_detector_response_is_none(&cfg.response));
    EQ(cfg.adc_offset, 10);
}

Test(response, noisify_spellings_carry_over)
{
    /* noisify: -psf_width in um, -readout, -calibration and -flicker as fractions */
    parse_ok("-psf gauss -psf_width 46 -readout 2 -calibration 0.03 -flicker 0.01");
    cr_expect_eq(cfg.response.psf, NBCL_PSF_GAUSS);
    EQ(cfg.response.psf_fwhm_mm, 0.046);
    EQ(cfg.response.readout_noise, 2);
    EQ(cfg.response.calibration_noise, 0.03);
    EQ(cfg.response.flicker_noise, 0.01);
    parse_ok("-readnoise 4 -psf_sigma 20");
    EQ(cfg.response.readout_noise, 4);
    EQ(cfg.response.psf_fwhm_mm, 0.02);
}

Test(response, nonsense_refused_by_flag)
{
    refused("-psf_fwhm 46", "-psf_width");
    refused("-psf blob", "-psf: 'blob' is not gauss, fiber or none");
    refused("-gain 0", "-gain: must be greater than zero");
    refused("-readout_noise -1", "-readout_noise: must not be negative");
    refused("-psf_radius 500", "-psf_radius: 500 is outside");
    refused("-calibration_noise x", "-calibration_noise");
}

Test(background, stol_flags_and_units)
{
    parse_ok("-stol water.stol -thick 0.2 -density 0.9 -MW 20");
    cr_expect_str_eq(cfg.stolfile, "water.stol");
    EQ(cfg.stol_mult, 1e10);
    EQ(cfg.amorphous_thick, 2e-4);
    EQ(cfg.amorphous_density, 0.9e6);
    EQ(cfg.amorphous_MW, 20);
    parse_ok("-4stol ice.stol -amorphous_thick 1 -amorphous_density 0.92 -amorphous_MW 18");
    cr_expect_str_eq(cfg.stolfile, "ice.stol");
    EQ(cfg.stol_mult, 1e10 / 4);
    EQ(cfg.amorphous_thick, 1e-3);
    parse_ok("-Q air.stol");
    EQ(cfg.stol_mult, 1e10 / M_PI / 4);
    parse_ok("");
    cr_expect_null(cfg.stolfile);
    EQ(cfg.amorphous_thick, 1e-4);
    EQ(cfg.amorphous_density, 1e6);
    EQ(cfg.amorphous_MW, 18);
    refused("-stol w.stol -amorphous_density 0", "must be greater than zero");
}
