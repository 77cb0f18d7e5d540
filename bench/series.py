#!/usr/bin/env python3
"""series.py: the cost of a dataset. Times the series cases of bench/cases.tsv (those with
-nimages N) three ways, whole process wall time:

  one run       nanobragg-cl simulating all N images in one process (-floatfile img_###.bin)
  N runs        N separate nanobragg-cl runs, one image each (-phi set per image)
  reference     N runs of the reference nanoBragg (NB_REF_BIN), when given

and reports, for the one-run series, the sum of the engine's time per image (what the
program prints as "engine": table upload, kernels, read-back) and the overhead per image
beyond it. Goal: the whole series at most 1.2x the sum of its engine times.

Usage:  [NB_REF_BIN=/path/to/nanoBragg] bench/series.py [NBCL_BIN]   (default build/nanobragg-cl)
Environment: NB_REF_THREADS (OMP_NUM_THREADS of the reference, default nproc),
             NB_IMAGES (use fewer images than the case says, for a quick look)."""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "nanobragg-cl")
REF = os.environ.get("NB_REF_BIN")


def cases():
    with open(os.path.join(ROOT, "bench", "cases.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cid, what, args = line.rstrip("\n").split("\t")[:3]
            args = shlex.split(args)
            if "-nimages" in args:
                yield cid, args


def split_series(args):
    """(base args, n, phi0, osc) from a case's arguments"""
    a = list(args)
    i = a.index("-nimages")
    n = int(a[i + 1])
    del a[i:i + 2]
    phi = float(a[a.index("-phi") + 1]) if "-phi" in a else 0.0
    osc = float(a[a.index("-osc") + 1])
    return a, int(os.environ.get("NB_IMAGES", n)), phi, osc


def with_phi(args, phi):
    a = list(args)
    if "-phi" in a:
        a[a.index("-phi") + 1] = "%g" % phi
    else:
        a += ["-phi", "%g" % phi]
    return a


def timed(cmd, cwd, env=None):
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    return time.monotonic() - t0, out


def main():
    quiet = ["-nonoise", "-nopgm", "-noprogress"]
    ref_env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("NB_REF_THREADS", str(os.cpu_count() or 1)))
    print("| case | images | one run (s) | engine sum (s) | overhead/image (ms) | one run / engine sum | "
          "%s separate runs (s) | reference runs (s) |" % "N")
    print("|---|---|---|---|---|---|---|---|")
    for cid, args in cases():
        base, n, phi, osc = split_series(args)
        with tempfile.TemporaryDirectory() as tmp:
            # warm the program cache (not timed)
            subprocess.run([BIN] + base + quiet + ["-floatfile", "w.bin", "-intfile", "w.img",
                           "-roi", "0", "7", "0", "7"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
            one, out = timed([BIN] + base + quiet + ["-nimages", str(n), "-floatfile", "img_###.bin"], tmp)
            m = re.search(r"(\d+) images in ([\d.]+) s \(engine ([\d.]+) s", out)
            engine = float(m.group(3)) if m else float("nan")
            sep = 0.0
            for i in range(n):
                t, _ = timed([BIN] + with_phi(base, phi + i * osc) + quiet +
                             ["-floatfile", "s.bin", "-intfile", "s.img"], tmp)
                sep += t
            ref = float("nan")
            if REF:
                ref = 0.0
                for i in range(n):
                    t, _ = timed([REF] + with_phi(base, phi + i * osc) + quiet +
                                 ["-floatfile", "r.bin", "-intfile", "r.img"], tmp, ref_env)
                    ref += t
            print("| %s | %d | %.2f | %.2f | %.1f | %.2f | %.2f | %s |" % (
                cid, n, one, engine, 1000.0 * (one - engine) / n, one / engine, sep,
                "%.2f" % ref if REF else "not run"))


if __name__ == "__main__":
    main()
