"""Handles are freed by close(), by `with` and by garbage collection; the log callback
receives the library's lines; devices() lists the OpenCL devices."""
import gc
import weakref

import pytest

from _support import need_library

need_library()
import nanobragg_cl as nb  # noqa: E402

SMALL = "-cell 100 100 100 90 90 90 -default_F 100 -N 3 -detpixels 32"


def test_devices():
    devs = nb.devices()
    assert devs and all(isinstance(d, nb.Device) for d in devs)
    assert [d.index for d in devs] == list(range(len(devs)))
    for d in devs:
        assert d.name and d.type and d.compute_units > 0 and d.global_mem > 0
        assert d.name in d.summary


def test_device_by_index_and_type():
    d = nb.devices()[0]
    with nb.Engine(SMALL, device=d.index) as a, nb.Engine(SMALL, device=d.type) as b:
        assert (a.run() == b.run()).all()


def test_close_and_context_managers():
    exp = nb.Experiment(SMALL)
    eng = nb.Engine(exp)
    exp.close()                                  # the engine keeps its own copy
    assert exp.closed and not eng.closed
    assert eng.run().shape == (32, 32)
    eng.close()
    eng.close()                                  # idempotent
    with pytest.raises(nb.StateError):
        eng.run()
    with nb.Engine(SMALL) as eng2:
        pass
    assert eng2.closed


def test_garbage_collection_frees_handles():
    exp = nb.Experiment(SMALL)
    eng = nb.Engine(exp)
    fin_exp, fin_eng = exp._finalizer, eng._finalizer
    ref = weakref.ref(eng)
    del exp, eng
    gc.collect()
    assert ref() is None and not fin_exp.alive and not fin_eng.alive


def test_log_callback(tmp_path):
    lines = []
    exp = nb.Experiment(SMALL + " -misset 1 2 3", log=lambda level, line: lines.append((level, line)))
    eng = nb.Engine(exp, cache_dir=tmp_path / "cache")
    del exp
    gc.collect()                                 # the engine still holds the callback
    eng.run()
    eng.close()
    assert any("Unit Cell" in line for _, line in lines)
    assert any("using device" in line for _, line in lines)
    assert {level for level, _ in lines} <= {"info", "warning"}
    assert any((tmp_path / "cache").iterdir())        # the program cache went there


def test_outputs_and_help():
    exp = nb.Experiment(SMALL + " -seed 5 -adc 30 -floatfile f.bin")
    o = exp.outputs()
    assert o["seed"] == 5 and o["adc_offset"] == 30 and o["floatfile"] == "f.bin"
    assert exp.request == "run"
    assert nb.Experiment("-help").request == "help"
    assert "-cell" in nb.args_help()
    assert exp.shape == (32, 32) and exp.series_length() == 1
    assert nb.library_version().startswith("0.")
