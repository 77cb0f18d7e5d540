#!/usr/bin/env python3
"""check_bench.py: bench/run_bench.py fails loudly when an engine image leaves the golden
bounds of its precision (issue 13 item 7), and passes when it keeps them.  The "reference"
is nanobragg-cl itself in double precision (within bounds), then the same with -default_F
101 instead of 100 (2 % brighter: out of bounds in both precisions).  A one-case list on a
64x64 detector keeps it quick.  Needs NBCL_BIN and NBCL_COMPARE_BIN (the meson test env)."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASE = ("tiny\ta tiny case\t-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 5 "
        "-distance 100 -detpixels 64 -pixel 0.1 -mosaic 0.5 -mosaic_dom 2\n")


def bench(tmp, extra):
    ref = os.path.join(tmp, "ref.sh")
    with open(ref, "w") as f:
        f.write("#!/bin/sh\nexec '%s' \"$@\" -precision double %s\n" % (os.environ["NBCL_BIN"], extra))
    os.chmod(ref, 0o755)
    env = dict(os.environ, NB_CASES_TSV=os.path.join(tmp, "cases.tsv"), NB_REF_BIN=ref,
               NBCL_COMPARE=os.environ["NBCL_COMPARE_BIN"], NB_WARMUP="none")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run_bench.py")], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout


def main():
    with tempfile.TemporaryDirectory(prefix="nbcl-bench-check-") as tmp:
        with open(os.path.join(tmp, "cases.tsv"), "w") as f:
            f.write(CASE)
        rc, out = bench(tmp, "")
        if rc != 0 or "within the double bounds" not in out or "within the single bounds" not in out:
            sys.exit("an image within the bounds failed the bench (exit %d):\n%s" % (rc, out))
        if "timing: " in out or "kernels" not in out or "phases:" not in out:
            sys.exit("the bench did not report the -timing phases:\n%s" % out)
        rc, out = bench(tmp, "-default_F 101")
        if rc != 1 or out.count("OUT OF BOUNDS") < 2 or "FAILURES" not in out:
            sys.exit("an image out of bounds did not fail the bench loudly (exit %d):\n%s" % (rc, out))
    print("ok: run_bench.py passes images within the golden bounds and fails those outside")


if __name__ == "__main__":
    main()
