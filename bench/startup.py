#!/usr/bin/env python3
"""startup.py: the start-up cost of nanobragg-cl with and without the compiled-program
cache: the whole-process wall time of a tiny run (32x32 pixels, so the kernels cost
nothing), median of NB_REPEAT runs (default 5) per setting:

  cold        no program cache of ours (-cache_dir off) and PoCL's own kernel cache off
              (POCL_KERNEL_CACHE=0): every run compiles from source
  nbcl cache  our cache warm, PoCL's cache off: what the program cache alone saves
  pocl cache  our cache off, PoCL's cache warm (what PoCL users had before)
  both        both warm (the normal case)

Usage: bench/startup.py [NBCL_BIN]   (default build/nanobragg-cl)"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "nanobragg-cl")
ARGS = ["-cell", "100", "100", "100", "90", "90", "90", "-default_F", "100", "-N", "5",
        "-lambda", "6.2", "-distance", "100", "-detpixels", "32", "-noprogress", "-nonoise",
        "-nopgm", "-floatfile", "f.bin", "-intfile", "i.img"]
REPEAT = int(os.environ.get("NB_REPEAT", "5"))


def run(env, cache, cwd):
    t0 = time.monotonic()
    subprocess.run([BIN] + ARGS + ["-cache_dir", cache], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - t0


def main():
    with tempfile.TemporaryDirectory() as tmp:
        nbcl_cache = os.path.join(tmp, "nbcl-cache")
        pocl_env = dict(os.environ, POCL_CACHE_DIR=os.path.join(tmp, "pocl-cache"))
        pocl_env.pop("NBCL_KERNEL_DIR", None)
        no_pocl = dict(pocl_env, POCL_KERNEL_CACHE="0")
        run(pocl_env, nbcl_cache, tmp)          # fill both caches once
        settings = [("cold", no_pocl, "off"), ("nbcl cache", no_pocl, nbcl_cache),
                    ("pocl cache", pocl_env, "off"), ("both", pocl_env, nbcl_cache)]
        times = {name: [] for name, _, _ in settings}
        for _ in range(REPEAT):                 # interleaved, so load falls on all alike
            for name, env, cache in settings:
                times[name].append(run(env, cache, tmp))
        print("| setting | median wall (s) | runs (s) |")
        print("|---|---|---|")
        for name, _, _ in settings:
            t = times[name]
            print("| %s | %.3f | %s |" % (name, statistics.median(t), " ".join("%.3f" % x for x in t)))


if __name__ == "__main__":
    main()
