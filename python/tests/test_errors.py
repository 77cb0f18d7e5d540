"""Failures raise the exception class of their nbcl_status, with the library's message."""
import numpy as np
import pytest

from _support import need_library

need_library()
import nanobragg_cl as nb  # noqa: E402

SMALL = "-cell 100 100 100 90 90 90 -default_F 100 -N 3 -detpixels 32"


def test_unknown_flag():
    with pytest.raises(nb.InvalidInput, match="-no_such_flag") as e:
        nb.Experiment.from_args(SMALL + " -no_such_flag 3")
    assert e.value.status == 1 and e.value.status_name == "NBCL_E_INVALID"
    assert isinstance(e.value, nb.NbclError) and isinstance(e.value, ValueError)


def test_missing_hkl_file(tmp_path):
    missing = tmp_path / "missing.hkl"
    exp = nb.Experiment(SMALL, hkl=missing)
    with pytest.raises(nb.FileError, match="missing.hkl"):
        exp.resolve()
    with pytest.raises(nb.FileError):
        nb.Engine(nb.Experiment(SMALL, hkl=str(missing)))


def test_no_such_device():
    with pytest.raises(nb.NoDevice, match="no_such_device"):
        nb.Engine(nb.Experiment(SMALL), device="no_such_device")


def test_bad_setter_values():
    with pytest.raises(nb.InvalidInput, match="crystal cells"):
        nb.Experiment(N=0)
    with pytest.raises(nb.InvalidInput):
        nb.Experiment(shape="cube")
    with pytest.raises(nb.InvalidInput):
        nb.Experiment(hkl=np.zeros((3, 3)))
    with pytest.raises(nb.InvalidInput):
        nb.Engine(nb.Experiment(SMALL), precision="half")


def test_calls_out_of_order():
    exp = nb.Experiment(SMALL).resolve()
    with pytest.raises(nb.StateError):
        exp.parse_args("-N 4")
    with nb.Engine(exp) as eng:
        with pytest.raises(nb.StateError):
            eng.info()                      # no run yet
    with pytest.raises(nb.StateError, match="closed"):
        eng.run()


def test_wrong_image_size():
    with nb.Engine(SMALL) as eng:
        with pytest.raises(nb.InvalidInput, match="1024"):
            eng.stats(np.zeros((10, 10), np.float32))
        with pytest.raises(nb.InvalidInput):
            eng.run(out=np.zeros((32, 32), np.float64))
        with pytest.raises(nb.InvalidInput):
            eng.write_smv("x.img", np.zeros((32, 32), np.float32))


def test_unwritable_file(tmp_path):
    with nb.Engine(SMALL) as eng:
        image = eng.run()
        with pytest.raises(nb.FileError):
            eng.write_png(tmp_path / "no" / "such" / "dir.png", image)
