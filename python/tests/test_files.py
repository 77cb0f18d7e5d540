"""Noise, counts, statistics and the writers against what nanobragg-cl writes: the noise
image of a seed equals the program's -noisefile pixels, and each file the package writes
equals the program's byte for byte (SMV, noise SMV, float, PGM, PNG, miniCBF)."""
import re

import numpy as np
import pytest

from _support import golden_args, need_library, read_float, read_smv, run_program, same_bits

need_library()
import nanobragg_cl as nb  # noqa: E402


@pytest.fixture(scope="module")
def program_run(tmp_path_factory):
    """io_noise_seed (-seed 12345) run by the program with every file"""
    d = tmp_path_factory.mktemp("program")
    args = golden_args("io_noise_seed")
    stdout = run_program(args + ["-floatfile", "float.bin", "-intfile", "int.img", "-noisefile",
                                 "noise.img", "-pgmfile", "image.pgm", "-pngfile", "image.png",
                                 "-cbffile", "image.cbf"], d)
    return args, d, stdout


def test_noise_matches_program(program_run):
    args, d, stdout = program_run
    with nb.Engine(args) as eng:
        image = eng.run()
        assert same_bits(image, read_float(d / "float.bin", eng.shape))
        keys, expected = read_smv(d / "noise.img")
        noise, photons, overloads = eng.noise(image, seed=12345, adc=40, full=True)
        assert noise.dtype == np.uint16 and noise.shape == eng.shape
        assert np.array_equal(noise, expected)
        assert np.array_equal(eng.noise(image, 12345), noise)        # same seed, same image
        assert not np.array_equal(eng.noise(image, 54321), noise)
        assert "%.0f photons on noise image (%d overloads)" % (photons, overloads) in stdout


def test_files_match_program(program_run, tmp_path):
    args, d, stdout = program_run
    with nb.Engine(args) as eng:
        image = eng.run()
        st = eng.stats(image)
        assert eng.run_stats() == st                # gathered as the rows were finished
        assert "max_I = %g" % st.max_I in stdout
        assert "mean= %g rms= %g rmsd= %g" % (st.mean, st.rms, st.rmsd) in stdout
        scale = 55000.0 / st.max_I                  # the program's automatic -scale
        counts = eng.counts(image, scale, adc=40)
        assert counts.dtype == np.uint16
        assert np.array_equal(counts, read_smv(d / "int.img")[1])
        noise = eng.noise(image, 12345)
        eng.write_float(tmp_path / "float.bin", image)
        nb.write_float(tmp_path / "float2.bin", image)
        eng.write_smv(tmp_path / "int.img", counts)
        eng.write_smv_image(tmp_path / "int2.img", image, scale, adc=40)
        eng.write_smv(tmp_path / "noise.img", noise, info=eng.info(), noise=True)
        eng.write_pgm(tmp_path / "image.pgm", image, 250.0 / (5.0 * st.rmsd))
        eng.write_png(tmp_path / "image.png", image)
        eng.write_cbf(tmp_path / "image.cbf", noise)
    for name in ("float.bin", "int.img", "noise.img", "image.pgm", "image.png"):
        assert (tmp_path / name).read_bytes() == (d / name).read_bytes(), name
    assert (tmp_path / "float2.bin").read_bytes() == (d / "float.bin").read_bytes()
    assert (tmp_path / "int2.img").read_bytes() == (d / "int.img").read_bytes()
    assert strip_date((tmp_path / "image.cbf").read_bytes()) == \
        strip_date((d / "image.cbf").read_bytes())


def strip_date(cbf):
    return re.sub(rb"# 20\d\d-\d\d-\d\dT[\d:.]+", b"", cbf)


def test_nexus_writer(tmp_path):
    args = golden_args("io_noise_seed")
    with nb.Engine(args + ["-osc", "1"]) as eng:
        with eng.nexus(tmp_path / "series.nxs", expected_images=2) as w:
            for image, info in eng.sweep(2, start=0, osc=1, with_info=True):
                w.append(eng.noise(image, 1), info)
        assert w.closed
        assert (tmp_path / "series.nxs").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
        with pytest.raises(RuntimeError):
            with eng.nexus(tmp_path / "aborted.nxs", 1) as w:
                w.append(eng.counts(eng.run(), 1.0, 0))
                raise RuntimeError("stop")
        assert not (tmp_path / "aborted.nxs").exists()
        w = eng.nexus(tmp_path / "left.nxs", 1)
    assert w.closed                          # the engine's close aborted it
    assert not (tmp_path / "left.nxs").exists()
    try:
        import h5py
    except ImportError:
        return
    with h5py.File(tmp_path / "series.nxs", "r") as f:
        shapes = []
        f.visititems(lambda n, o: shapes.append(o.shape) if isinstance(o, h5py.Dataset) else None)
        assert (2, 128, 128) in shapes
