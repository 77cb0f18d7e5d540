"""Images from the package equal nanobragg-cl's float images bit for bit: golden cases
given as flags, the same experiments given as keywords, structure factors as an array, and
rotation sweeps and -nimages series against the program's runs with -phi."""
import numpy as np
import pytest

from _support import copy_inputs, golden_args, need_library, read_float, run_program, same_bits

need_library()
import nanobragg_cl as nb  # noqa: E402

# cheap golden cases: one detector, a triclinic cell with mosaic domains, a misset crystal,
# and one that reads an HKL file (copied into the scratch directory)
CASES = ["core_det64", "sample_mosaic_seed", "core_misset_b", "io_hkl_pattern"]


def program_image(args, tmp_path, name="program"):
    d = tmp_path / name
    d.mkdir()
    copy_inputs(d)
    run_program(args + ["-floatfile", "float.bin"], d)
    return d / "float.bin"


@pytest.mark.parametrize("case", CASES)
def test_golden_case_matches_program(case, tmp_path, monkeypatch):
    args = golden_args(case)
    expected = program_image(args, tmp_path)
    lib_dir = tmp_path / "library"
    lib_dir.mkdir()
    copy_inputs(lib_dir)
    monkeypatch.chdir(lib_dir)
    with nb.Experiment.from_args(args) as exp, nb.Engine(exp) as eng:
        image = eng.run()
        assert image.dtype == np.float32 and image.shape == eng.shape
        assert same_bits(image, read_float(expected, eng.shape))
        assert image.max() > 0


def test_single_precision_matches_program(tmp_path):
    args = golden_args("core_misset_b")
    expected = program_image(args + ["-precision", "single"], tmp_path)
    with nb.Engine(args, precision="single") as eng, nb.Engine(args, precision="double") as ed:
        image = eng.run()
        assert same_bits(image, read_float(expected, eng.shape))
        assert np.allclose(image, ed.run(), rtol=1e-3, atol=1e-4 * image.max())


def test_keywords_match_flags(tmp_path):
    flags = ("-cell 70 80 90 75 85 95 -lambda 1.0 -distance 120 -pixel 0.1 -detpixels_f 96 "
             "-detpixels_s 80 -N 4 -default_F 100 -misset 15 20.5 30.25 -phi 2 -osc 3 "
             "-phisteps 3 -mosaic 0.4 -mosaic_dom 3 -mosaic_seed 7 -oversample 2 -gauss_xtal "
             "-fluence 1e24").split()
    expected = program_image(flags, tmp_path)
    exp = nb.Experiment("-mosaic_seed 7", cell=(70, 80, 90, 75, 85, 95), wavelength_A=1.0,
                        distance_mm=120, pixel_mm=0.1, detector_pixels=(96, 80), N=4,
                        default_F=100, misset_deg=(15, 20.5, 30.25), phi_deg=2, osc_deg=3,
                        phisteps=3, mosaic_deg=0.4, mosaic_domains=3, oversample=2,
                        shape="gauss", fluence=1e24)
    with nb.Engine(exp) as eng:
        assert eng.shape == (80, 96)
        assert same_bits(eng.run(), read_float(expected, (80, 96)))


def test_partial_keyword_groups_use_flags(tmp_path):
    flags = "-cell 100 100 100 90 90 90 -default_F 100 -N 3 -pixel 0.2 -detpixels 64 -osc 5"
    expected = program_image(flags.split(), tmp_path)
    exp = nb.Experiment(cell=(100, 100, 100, 90, 90, 90), default_F=100, N=3, pixel_mm=0.2,
                        detector_pixels=64, osc_deg=5)
    with nb.Engine(exp) as eng:
        assert same_bits(eng.run(), read_float(expected, (64, 64)))


def read_hkl(path):
    rows = [line.split()[:4] for line in open(path) if line.strip()]
    return np.array(rows, dtype=float)


def test_structure_factor_array_matches_hkl_file(tmp_path):
    args = golden_args("io_hkl_pattern")
    expected = program_image(args, tmp_path)
    i = args.index("-hkl")
    table = read_hkl(tmp_path / "program" / args[i + 1])
    rest = args[:i] + args[i + 2:]
    with nb.Engine(nb.Experiment(rest, hkl=table)) as eng:
        assert same_bits(eng.run(), read_float(expected, eng.shape))
    with nb.Engine(nb.Experiment(rest, hkl=tmp_path / "program" / args[i + 1])) as eng:
        assert same_bits(eng.run(), read_float(expected, eng.shape))


SWEEP = ("-cell 70 80 90 75 85 95 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 96 "
         "-phisteps 2 -mosaic 0.2 -mosaic_dom 2 -mosaic_seed 3").split()


def test_sweep_equals_runs_with_phi(tmp_path):
    start, osc = 10.0, 1.5
    with nb.Engine(SWEEP) as eng:
        images = list(eng.sweep(3, start=start, osc=osc))
        singles = [eng.run(phi=start + i * osc, osc=osc) for i in range(3)]
        info = eng.info()
    assert info.phi_deg == pytest.approx(start + 2 * osc) and info.osc_deg == pytest.approx(osc)
    for i, image in enumerate(images):
        phi = start + i * osc
        expected = program_image(SWEEP + ["-phi", repr(phi), "-osc", repr(osc)], tmp_path,
                                 "phi%d" % i)
        assert same_bits(image, read_float(expected, (96, 96))), i
        assert same_bits(singles[i], image), i
    assert not same_bits(images[0], images[1])


def test_series_follows_nimages(tmp_path):
    args = SWEEP + ["-phi", "5", "-osc", "2", "-nimages", "3", "-seed", "11"]
    d = tmp_path / "series"
    d.mkdir()
    run_program(args + ["-floatfile", "float_#.bin"], d)
    with nb.Engine(args) as eng:
        out = list(eng.sweep(with_info=True))
    assert len(out) == 3
    for i, (image, info) in enumerate(out):
        assert same_bits(image, read_float(d / ("float_%d.bin" % (i + 1)), (96, 96))), i
        assert info.phi_deg == pytest.approx(5 + 2 * i) and info.seed == 11 + i


def test_sweep_defaults_to_the_experiments_rotation():
    with nb.Engine(SWEEP + ["-phi", "4", "-osc", "1"]) as eng:
        images = list(eng.sweep(2))
        assert same_bits(images[1], eng.run(phi=5.0, osc=1.0))
        assert same_bits(images[0], eng.run())


def test_per_image_parameters_match_flags(tmp_path):
    # sampling counts (here -oversample) stay the experiment's: give them explicitly
    base = ("-cell 79 79 38 90 90 90 -default_F 100 -lambda 1 -distance 100 -detpixels 64 "
            "-oversample 2").split()
    expected = program_image(base + "-N 7 -misset 5 10 15 -fluence 1e25 -lambda 1.1".split(),
                             tmp_path)
    with nb.Engine(base + ["-N", "3"]) as eng:
        image = eng.run(N=7, misset=(5, 10, 15), fluence=1e25, wavelength_A=1.1)
        assert same_bits(image, read_float(expected, (64, 64)))
        out = np.zeros((64, 64), np.float32)
        assert eng.run(N=7, misset=(5, 10, 15), fluence=1e25, wavelength_A=1.1, out=out) is out
        assert same_bits(out, image)


def test_pixel_details_and_identity_umat():
    with nb.Engine(SWEEP, keep_pixel_details=True) as eng:
        image = eng.run()
        d = eng.pixel_detail(5, 7)                       # fast 5, slow 7
        assert d["pixel"] == pytest.approx(float(image[7, 5]), rel=1e-6)
        assert len(d["hkl"]) == 3 and eng.pixel_active(5, 7)
        assert not eng.pixel_active(1000, 1000)
        assert same_bits(eng.run(umat=np.eye(3)), image)


def test_detector_response_matches_flags(tmp_path):
    """set_detector_response gives the noise image the same flags give (gain, read-out,
    calibration error and a fibre point spread)."""
    args = ["-cell", "100", "100", "100", "90", "90", "90", "-default_F", "100", "-N", "5",
            "-detpixels", "64", "-distance", "100"]
    flags = ["-gain", "2", "-readout_noise", "3", "-calibration_noise", "5",
             "-psf", "fiber", "-psf_fwhm", "0.2", "-psf_radius", "6"]
    images = []
    for how in ("flags", "setter"):
        exp = nb.Experiment(args + (flags if how == "flags" else []))
        if how == "setter":
            exp.set_detector_response(psf="fiber", psf_fwhm_mm=0.2, psf_radius=6, gain=2,
                                      readout_noise=3, calibration_noise_pct=5)
        with nb.Engine(exp) as eng:
            images.append(eng.noise(eng.run(), seed=7))
    assert np.array_equal(images[0], images[1])
    with nb.Engine(nb.Experiment(args)) as eng:
        plain = eng.noise(eng.run(), seed=7)
    assert not np.array_equal(images[0], plain)


def test_timing_reports_the_phases():
    with nb.Engine(SWEEP) as eng:
        before = eng.timing()
        eng.run()
        t = eng.timing()
    assert before["run"] == 0.0 and before["program"] > 0.0
    assert t["kernels"] > 0.0 and t["readback"] > 0.0 and t["streaming"] > 0.0
    assert t["image_tables"] + t["streaming"] + t["host"] <= t["run"] * (1 + 1e-9) + 1e-6
    assert t["program_cached"] in (0, 1)


def test_rows_are_handed_over_as_they_are_finished():
    """run(on_rows=...): every row once, in order, already final; an exception raised in the
    callback stops the run and comes back out of run()."""
    with nb.Engine("-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 -distance 100 "
                   "-detpixels 64 -pixel 0.1 -mosaic 0.3 -mosaic_dom 2 -tile 16") as eng:
        seen = []
        image = eng.run(on_rows=lambda rows, first: seen.append((first, rows.copy())))
        assert [first for first, _ in seen] == sorted(first for first, _ in seen)
        assert seen[0][0] == 0
        joined = np.concatenate([rows for _, rows in seen])
        assert joined.shape == image.shape and same_bits(joined, image)
        assert image.sum() > 0

        class Stop(Exception):
            pass

        def stop(rows, first):
            raise Stop("stop at row %d" % first)
        with pytest.raises(Stop):
            eng.run(on_rows=stop)
        again = eng.run()                        # the callback is gone for the next runs
        assert same_bits(again, image)
