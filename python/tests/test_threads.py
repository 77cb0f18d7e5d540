"""Two engines in two threads at once: both finish with the right images. ctypes releases
the GIL during each library call; the overlap is shown (logged, not asserted, since timings
on a shared machine vary) by the wall time of both threads against one after the other, and
by a Python loop that keeps running in the main thread while an engine simulates."""
import threading
import time

from _support import need_library, same_bits

need_library()
import nanobragg_cl as nb  # noqa: E402

A = "-cell 70 80 90 75 85 95 -default_F 100 -N 5 -lambda 1 -distance 100 -detpixels 256"
B = "-cell 100 100 100 90 90 90 -default_F 100 -N 8 -lambda 1.2 -distance 80 -detpixels 256"
PHIS = [0.0, 1.0, 2.0]


def run_all(eng):
    return [eng.run(phi=phi, osc=0.5) for phi in PHIS]


def test_two_engines_in_two_threads(record_property):
    with nb.Engine(A) as ea, nb.Engine(B) as eb:
        t0 = time.perf_counter()
        expected = {"a": run_all(ea), "b": run_all(eb)}
        sequential = time.perf_counter() - t0

        results, errors = {}, []

        def work(name, eng):
            try:
                results[name] = run_all(eng)
            except Exception as e:           # reported below, in the main thread
                errors.append(e)
        threads = [threading.Thread(target=work, args=("a", ea)),
                   threading.Thread(target=work, args=("b", eb))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        concurrent = time.perf_counter() - t0

        # the main thread counts while one engine is inside nbcl_engine_run
        done = threading.Event()
        spins = 0
        worker = threading.Thread(target=lambda: (run_all(ea), done.set()))
        worker.start()
        while not done.is_set():
            spins += 1
        worker.join()

    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    for name in ("a", "b"):
        assert len(results[name]) == len(PHIS)
        for got, want in zip(results[name], expected[name]):
            assert same_bits(got, want), name
    line = ("two engines: one after the other %.3f s, in two threads %.3f s; "
            "main-thread loop iterations during a run: %d" % (sequential, concurrent, spins))
    print(line)
    record_property("overlap", line)
