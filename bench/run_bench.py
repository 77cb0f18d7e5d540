#!/usr/bin/env python3
"""run_bench.py: time nanobragg-cl (double and single precision) against the reference
nanoBragg on the cases of bench/cases.tsv, and check each engine image against the
reference image with nbcl-compare.  Python 3 standard library only.

Usage:  NB_REF_BIN=/path/to/nanoBragg bench/run_bench.py [CASE_ID ...]

Environment:
  NB_REF_BIN      reference nanoBragg binary (without it the engine runs alone)
  NBCL_BIN        engine binary (default build/nanobragg-cl, relative to the repo root)
  NBCL_COMPARE    comparison tool (default: nbcl-compare next to NBCL_BIN)
  NB_REPEAT       timed repeats per run, the median is reported (default 1)
  NB_REF_THREADS  OMP_NUM_THREADS for the reference (default: nproc)
  NB_WARMUP       roi (default): untimed engine warm-up per case and precision with the
                  case's arguments plus -roi 0 7 0 7, so the OpenCL program (specialised
                  per case by -D options; the ROI is a runtime buffer) is built and cached
                  cheaply; full: warm up with the full run; none: no warm-up
  NB_CASES_TSV    the case list (default bench/cases.tsv)
  NB_FMA_UNITS    FMA pipes per core for the peak estimate (default 2)
  NB_CLOCK_GHZ    clock for the peak estimate (default: "cpu MHz" of /proc/cpuinfo)
  CC              C compiler for bench/peak_fma.c, the measured peak (default cc); %peak
                  divides by the larger of the measured and the estimated peak (only the
                  estimate when NB_CLOCK_GHZ is given)
  NB_PEAK_GFLOPS  "double,single" peak GFLOP/s of the device the engine runs on, in place
                  of the CPU's estimate (needed for %peak on a GPU: without it a run whose
                  "using device" line names no CPU gets "-", not a percentage of the host)
  NB_TIMEOUT      seconds one run may take (default 3600)
  NB_CASES        comma-separated case ids (same as giving them as arguments)
  NB_KEEP=1       keep the scratch directories (they are kept anyway for failing cases)
  NBCL_KERNEL_DIR is removed from the engine's environment, so it runs the kernels
                  embedded at build time (rebuild with ninja after editing kernels)

Every run gets -floatfile, -intfile (scratch names) -nonoise -nopgm -noprogress, in a
scratch directory holding a copy of golden/inputs/* except Fdump.bin; engine runs also get
-timing, and its phases (start-up, device set-up, program, kernels, read-back,
post-processing, writes) are printed per case.  Times are wall seconds of the whole process
(start-up, host setup, kernels, file output).

No speed bought with accuracy: every engine image is checked with nbcl-compare against the
reference's image within the golden bounds of its precision (golden/README.md: correlation,
sum ratio, fraction of pixels off); without NB_REF_BIN the single-precision image is checked
against the double one with the single-precision bounds.  A case out of bounds prints
"OUT OF BOUNDS" with nbcl-compare's FAIL lines, and the exit status is nonzero, as it is
when any run fails.
"""
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES_TSV = os.path.join(ROOT, "bench", "cases.tsv")
INPUTS = os.path.join(ROOT, "golden", "inputs")
COMMON = ["-nonoise", "-nopgm", "-noprogress"]

# The golden bounds per precision (golden/README.md, tests/golden/test_golden.c), as
# nbcl-compare options: the same agreement the golden suite demands.
BOUNDS = {
    "double": ["-min-corr", "0.999999", "-max-sum-dev", "1e-6", "-rel-tol", "1e-5",
               "-abs-tol", "1e-6", "-max-frac-off", "1e-4"],
    "single": ["-min-corr", "0.99999", "-max-sum-dev", "1e-3", "-rel-tol", "1e-3",
               "-abs-tol", "1e-4", "-max-frac-off", "1e-2"],
}

# the "timing:" lines of -timing: phase name, seconds
TIMING_RE = re.compile(r"^timing: (.+?)\s+(-?[0-9.]+) s", re.M)


def env_int(name, default):
    v = os.environ.get(name, "").strip()
    if not v:
        return default
    try:
        return int(v)
    except ValueError:
        sys.exit("run_bench: %s must be an integer, got %r" % (name, v))


def read_cases(path):
    cases = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 3:
                sys.exit("run_bench: bad line in %s: %r" % (path, line))
            args = shlex.split(cols[2])
            if "-nimages" in args:   # a series: bench/series.py times those
                continue
            # optional 4th column: estimated flops per sub-path, "double,single"
            flops = None
            if len(cols) > 3 and cols[3].strip():
                try:
                    flops = tuple(float(x) for x in cols[3].split(","))
                except ValueError:
                    sys.exit("run_bench: bad flops column in %s: %r" % (path, cols[3]))
                if len(flops) != 2:
                    sys.exit("run_bench: the flops column must be 'double,single': %r" % cols[3])
            cases.append((cols[0].strip(), cols[1].strip(), args, flops))
    return cases


def peak_gflops():
    """(double, single) peak GFLOP/s of this machine's CPU from /proc/cpuinfo: cores x clock
    x lanes of its widest vector unit x 2 (FMA) x FMA pipes per core (NB_FMA_UNITS, default
    2); None when it cannot be read.  The OpenCL device is this CPU (PoCL)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return None
    m = re.search(r"^flags\s*:(.*)$", info, re.M)
    flags = set(m.group(1).split()) if m else set()
    bits = 512 if "avx512f" in flags else 256 if "avx" in flags else 128
    fma_units = env_int("NB_FMA_UNITS", 2)
    ghz = os.environ.get("NB_CLOCK_GHZ", "").strip()
    if not ghz:
        m = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", info, re.M)
        if not m:
            return None
        ghz = float(m.group(1)) / 1000.0
    dp = nproc() * float(ghz) * (bits / 64) * 2 * (fma_units if "fma" in flags else 0.5)
    return dp, 2 * dp


def measured_peak():
    """(double, single) GFLOP/s that bench/peak_fma.c measures on this CPU (FMA chains on
    every core, at the clock the cores really run under a vector load), or None when it
    cannot be built or run."""
    cc = os.environ.get("CC", "").strip() or "cc"
    src = os.path.join(ROOT, "bench", "peak_fma.c")
    tmp = tempfile.mkdtemp(prefix="nbbench-peak-")
    exe = os.path.join(tmp, "peak_fma")
    try:
        subprocess.run([cc, "-O2", "-march=native", "-ffp-contract=fast", src, "-o", exe,
                        "-lpthread"], check=True, capture_output=True, timeout=120)
        out = subprocess.run([exe], check=True, capture_output=True, text=True, timeout=120)
        d, s = (float(x) for x in out.stdout.split())
        return (d, s) if d > 0 and s > 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def nproc():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def git_head():
    try:
        p = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True)
        return p.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def loadavg():
    try:
        return " ".join("%.2f" % x for x in os.getloadavg())
    except OSError:
        return "unknown"


class RunFailed(Exception):
    pass


def run_once(cmd, cwd, env, log, timeout):
    """Run cmd; return (wall seconds, cpu seconds).  Raises RunFailed."""
    ru0 = os.times()
    t0 = time.perf_counter()
    # a blocking wait, with a timer that kills the run at the timeout: subprocess.run's own
    # timeout polls with sleeps of up to 50 ms, which rounded every wall time up to 50 ms
    try:
        with open(log, "w") as out:
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
            timer = threading.Timer(timeout, p.kill)
            timer.start()
            try:
                p.wait()
            finally:
                timed_out = not timer.is_alive()
                timer.cancel()
    except OSError as e:
        raise RunFailed("cannot run %s: %s" % (cmd[0], e))
    wall = time.perf_counter() - t0
    if timed_out and p.returncode != 0:
        raise RunFailed("timed out after %d s (log %s)" % (timeout, log))
    ru1 = os.times()
    cpu = (ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system)
    if p.returncode != 0:
        raise RunFailed("exit status %d (log %s)" % (p.returncode, log))
    return wall, cpu


def all_runs(walls):
    return "" if len(walls) < 2 else "  [runs: %s]" % " ".join("%.2f" % w for w in walls)


def parse_geometry(log):
    """Sub-path factors from a nanoBragg-style stdout."""
    with open(log, errors="replace") as f:
        text = f.read()

    def grab(pattern, conv=int):
        m = re.search(pattern, text, re.M)
        return conv(m.group(1)) if m else None
    g = {
        "sources": grab(r"^\s*(\d+) sources\s*$"),
        "mosaic": grab(r"^\s*(\d+) mosaic domains over"),
        "phi": grab(r"^\s*(\d+) phi steps from"),
        "oversample": grab(r"^\s*(\d+)x\d+ pixel oversample steps"),
        "layers": grab(r"sensor is .* in (\d+) layers"),
    }
    m = re.search(r"\((\d+)x(\d+) pixels\)", text)
    g["fpixels"], g["spixels"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    if any(v is None for v in g.values()):
        return g, None
    sub = (g["fpixels"] * g["spixels"] * g["sources"] * g["mosaic"] * g["phi"]
           * g["oversample"] ** 2 * g["layers"])
    return g, sub


def compare(tool, ref, test, width, precision):
    """(correlation, error): error is None when the image is within the precision's golden
    bounds, else what nbcl-compare said failed."""
    try:
        p = subprocess.run([tool, ref, test, "-width", str(width)] + BOUNDS[precision],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    except OSError as e:
        return None, "cannot run %s: %s" % (tool, e)
    m = re.search(r"^correlation:\s*(\S+)", p.stdout, re.M)
    corr = float(m.group(1)) if m else None
    if p.returncode == 1 and m:
        fails = [l.strip() for l in p.stdout.splitlines() if l.startswith("FAIL")]
        return corr, "OUT OF BOUNDS (%s precision): %s" % (precision, "; ".join(fails))
    if p.returncode != 0 or not m:
        return None, "nbcl-compare exit %d: %s" % (p.returncode, p.stdout.strip()[-300:])
    return corr, None


# the engine's "using device:" lines: "... | NAME | TYPE | N CU | ..."
DEVICE_RE = re.compile(r"^using device:.*?\| *(cpu|gpu|accelerator|custom|default|unknown) *\|", re.M)


def device_types(log):
    """The types (cpu, gpu, ...) of the devices a run's stdout says it used."""
    with open(log, errors="replace") as f:
        return set(m.group(1) for m in DEVICE_RE.finditer(f.read()))


def peak_override():
    """NB_PEAK_GFLOPS as (double, single) GFLOP/s, or None when unset."""
    v = os.environ.get("NB_PEAK_GFLOPS", "").strip()
    if not v:
        return None
    try:
        d, s = (float(x) for x in v.split(","))
    except ValueError:
        sys.exit("run_bench: NB_PEAK_GFLOPS must be 'double,single' GFLOP/s, got %r" % v)
    if d <= 0 or s <= 0:
        sys.exit("run_bench: NB_PEAK_GFLOPS must be positive, got %r" % v)
    return d, s


def timings(log):
    """The -timing phases of a run's stdout, in order: [(phase, seconds)]."""
    with open(log, errors="replace") as f:
        return [(m.group(1).strip(), float(m.group(2))) for m in TIMING_RE.finditer(f.read())]


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ref_bin = os.environ.get("NB_REF_BIN", "").strip()
    eng_bin = os.environ.get("NBCL_BIN", "").strip() or "build/nanobragg-cl"
    eng_bin = os.path.abspath(os.path.join(ROOT, eng_bin))
    cmp_bin = os.environ.get("NBCL_COMPARE", "").strip() or os.path.join(
        os.path.dirname(eng_bin), "nbcl-compare")
    cmp_bin = os.path.abspath(os.path.join(ROOT, cmp_bin))
    repeat = max(1, env_int("NB_REPEAT", 1))
    ref_threads = env_int("NB_REF_THREADS", nproc())
    warmup = os.environ.get("NB_WARMUP", "roi").strip() or "roi"
    if warmup not in ("roi", "full", "none"):
        sys.exit("run_bench: NB_WARMUP must be roi, full or none")
    timeout = env_int("NB_TIMEOUT", 3600)
    keep = os.environ.get("NB_KEEP", "") not in ("", "0")

    if not os.access(eng_bin, os.X_OK):
        sys.exit("run_bench: engine binary %s not found (build it, or set NBCL_BIN)" % eng_bin)
    if ref_bin:
        ref_bin = os.path.abspath(ref_bin)
        if not os.access(ref_bin, os.X_OK):
            sys.exit("run_bench: NB_REF_BIN=%s is not an executable" % ref_bin)
        if not os.access(cmp_bin, os.X_OK):
            sys.exit("run_bench: comparison tool %s not found (set NBCL_COMPARE)" % cmp_bin)
    else:
        print("run_bench: NB_REF_BIN is not set: running the engine alone, with no reference "
              "timings or image comparison.  Set NB_REF_BIN to the reference nanoBragg binary.")

    cases = read_cases(os.environ.get("NB_CASES_TSV", "").strip() or CASES_TSV)
    wanted = sys.argv[1:] or [c for c in os.environ.get("NB_CASES", "").split(",") if c]
    if wanted:
        unknown = set(wanted) - {c[0] for c in cases}
        if unknown:
            sys.exit("run_bench: unknown case(s): %s" % ", ".join(sorted(unknown)))
        cases = [c for c in cases if c[0] in wanted]
    peak_given = peak_override()
    clock_given = bool(os.environ.get("NB_CLOCK_GHZ", "").strip())
    estimate = measured = None
    if not peak_given:
        estimate = peak_gflops()
        measured = None if clock_given else measured_peak()
    # the larger of the two for each precision: neither may understate what the CPU can do
    peak = peak_given or (tuple(map(max, estimate, measured)) if estimate and measured
                          else estimate or measured)

    ref_env = dict(os.environ, OMP_NUM_THREADS=str(ref_threads))
    eng_env = dict(os.environ)
    # Time the kernels built into the binary, never a developer override.
    eng_env.pop("NBCL_KERNEL_DIR", None)
    print("engine:    %s (commit %s; embedded kernels)" % (eng_bin, git_head()))
    print("reference: %s (OMP_NUM_THREADS=%d)" % (ref_bin or "none", ref_threads))
    print("repeats: %d (median wall time reported); warm-up: %s -- %s" % (
        repeat, warmup, "OpenCL kernel compile is excluded from the engine timings"
        if warmup != "none" else "engine timings INCLUDE any OpenCL kernel compile"))
    print("load average at start: %s" % loadavg())
    if peak_given:
        print("peak: %.1f GFLOP/s double, %.1f single (NB_PEAK_GFLOPS)" % peak)
    elif peak:
        print("peak: %.1f GFLOP/s double, %.1f single, the larger of the estimate from "
              "/proc/cpuinfo (%s) and of FMA chains measured on every core (bench/peak_fma.c: "
              "%s); this CPU's: a run on another device gets no %%peak without NB_PEAK_GFLOPS; "
              "see docs/performance.md" % (peak + (
                  "%.1f, %.1f" % estimate if estimate else "none",
                  "%.1f, %.1f" % measured if measured else
                  "not measured: NB_CLOCK_GHZ given" if clock_given else "not built")))
    sys.stdout.flush()

    rows, failures = [], []
    t_start = time.perf_counter()
    for cid, what, args, flops in cases:
        scratch = tempfile.mkdtemp(prefix="nbbench-%s-" % cid)
        for name in os.listdir(INPUTS):
            if name != "Fdump.bin":
                shutil.copy(os.path.join(INPUTS, name), scratch)
        row = {"id": cid, "flops": flops}
        case_failed = False
        print("\n== %s: %s" % (cid, what))
        print("   args: %s" % " ".join(shlex.quote(a) for a in args))
        try:
            runs = []   # (label, command, env, log, floatfile)
            if ref_bin:
                runs.append(("ref", [ref_bin] + args + ["-floatfile", "ref.bin", "-intfile",
                                                        "ref.img"] + COMMON, ref_env, "ref.bin"))
            for prec in ("double", "single"):
                out = prec[0] + ".bin"
                base = [eng_bin] + args + ["-floatfile", out, "-intfile", prec[0] + ".img"] \
                    + COMMON + ["-precision", prec, "-timing"]
                runs.append((prec, base, eng_env, out))
                if warmup != "none":
                    wcmd = base + (["-roi", "0", "7", "0", "7"] if warmup == "roi" else [])
                    ww, _ = run_once(wcmd, scratch, eng_env,
                                     os.path.join(scratch, prec + "-warmup.log"), timeout)
                    print("   %-7s warm-up %.3f s (untimed)" % (prec, ww))
            # Interleave the repeats (ref, double, single, ref, ...) so that load from
            # elsewhere on the machine falls on all three alike.
            best, walls = {}, {}
            for _ in range(repeat):
                for label, cmd, env, _out in runs:
                    fdump = os.path.join(scratch, "Fdump.bin")   # never let one run feed the next
                    if os.path.exists(fdump):
                        os.remove(fdump)
                    r = run_once(cmd, scratch, env, os.path.join(scratch, label + ".log"), timeout)
                    walls.setdefault(label, []).append(r[0])
                    if label not in best or r[0] < best[label][0]:
                        best[label] = r
            for label, cmd, env, out in runs:
                # the median wall time (issue 13 compares medians); the CPU time of the best run
                row[label] = statistics.median(walls[label])
                cpu = best[label][1]
                msg = ""
                if label != "ref":
                    log = os.path.join(scratch, label + ".log")
                    geo, sub = parse_geometry(log)
                    row["sub"] = sub
                    if sub is None:
                        print("   warning: could not parse the sub-path count from %s: %s"
                              % (log, geo))
                    width = geo["fpixels"]
                    if width is None and ref_bin:
                        width = parse_geometry(os.path.join(scratch, "ref.log"))[0]["fpixels"]
                    # against the reference; without one, single against double
                    against = "ref.bin" if ref_bin else ("d.bin" if label == "single" else None)
                    if against:
                        corr, err = compare(cmp_bin, os.path.join(scratch, against),
                                            os.path.join(scratch, out), width or 0, label)
                        row["corr_" + label] = corr
                        vs = "" if ref_bin else " vs double"
                        if err:
                            case_failed = True
                            row["low_" + label] = True
                            failures.append("%s %s%s: %s" % (cid, label, vs, err))
                            msg = "  corr%s %s  %s" % (vs, fmt(corr, ".7f"), err)
                        else:
                            msg = "  corr%s %.7f (within the %s bounds)" % (vs, corr, label)
                    row["timing_" + label] = timings(log)
                    row["devices_" + label] = device_types(log)
                print("   %-7s %9.3f s  (cpu %.1f s)%s%s"
                      % (label, row[label], cpu, msg, all_runs(walls[label])))
                if label != "ref" and row.get("timing_" + label):
                    print("           phases: " + ", ".join(
                        "%s %.3f" % (k, v) for k, v in row["timing_" + label] if k != "total"))
            sys.stdout.flush()
        except RunFailed as e:
            case_failed = True
            failures.append("%s: %s" % (cid, e))
            print("   FAILED: %s" % e)
        rows.append(row)
        if case_failed or keep:
            print("   scratch kept: %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    def ratio(a, b):
        return None if a is None or b is None or b <= 0 else a / b

    def rate(row, prec):
        t, s = row.get(prec), row.get("sub")
        return None if t is None or s is None or t <= 0 else s / t / 1e6

    def peak_pct(row, prec):
        """percent of peak while the kernels run: sub-paths per second of kernel device time
        (-timing) x flops per sub-path / peak"""
        k, s, f = dict(row.get("timing_" + prec, [])).get("kernels"), row.get("sub"), row.get("flops")
        if not k or k <= 0 or s is None or f is None or not peak:
            return None
        if not peak_given and row.get("devices_" + prec) != {"cpu"}:
            return None  # the CPU's peak says nothing about another device
        r = s / k / 1e6
        i = 0 if prec == "double" else 1
        return 100.0 * r * 1e6 * f[i] / (peak[i] * 1e9)

    def corr(row, prec):
        c = row.get("corr_" + prec)
        return fmt(c, ".7f") + (" OUT OF BOUNDS" if row.get("low_" + prec) else "")

    hdr = ["case", "ref s", "double s", "ref/dbl", "single s", "ref/sgl", "Msub-paths",
           "dbl Msub/s", "sgl Msub/s", "dbl %peak", "sgl %peak", "corr dbl", "corr sgl"]
    lines = []
    for r in rows:
        lines.append([r["id"], fmt(r.get("ref"), ".2f"), fmt(r.get("double"), ".2f"),
                      fmt(ratio(r.get("ref"), r.get("double")), ".2f"),
                      fmt(r.get("single"), ".2f"),
                      fmt(ratio(r.get("ref"), r.get("single")), ".2f"),
                      fmt(None if r.get("sub") is None else r["sub"] / 1e6, ".1f"),
                      fmt(rate(r, "double"), ".1f"), fmt(rate(r, "single"), ".1f"),
                      fmt(peak_pct(r, "double"), ".1f"), fmt(peak_pct(r, "single"), ".1f"),
                      corr(r, "double"), corr(r, "single")])
    print("\nResults (wall seconds, median of %d; ratio > 1 means the engine is faster; "
          "Msub/s = million sub-paths per second;\n"
          "sub-paths = pixels x sources x mosaic domains x phi steps x oversample^2 x thicksteps; "
          "%%peak = sub-paths per second of kernel time (-timing) x estimated flops per sub-path (cases.tsv) / peak;\n"
          "corr = Pearson correlation with the reference image (single vs double without one);\n"
          "every image is checked within the golden bounds of its precision)\n" % repeat)
    print("| " + " | ".join(hdr) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(hdr))) + "|")
    for l in lines:
        print("| " + " | ".join(l) + " |")
    # where the time went: the -timing phases of each engine run (seconds)
    names = []
    for r in rows:
        for prec in ("double", "single"):
            for k, _ in r.get("timing_" + prec, []):
                if k not in names and k != "total":
                    names.append(k)
    if names:
        print("\nPhases (-timing, seconds; kernels and read-back are device time, overlapped "
              "within 'tiles streamed')\n")
        print("| case | precision | " + " | ".join(names) + " |")
        print("|---|---|" + "---:|" * len(names))
        for r in rows:
            for prec in ("double", "single"):
                t = dict(r.get("timing_" + prec, []))
                if t:
                    print("| %s | %s | " % (r["id"], prec)
                          + " | ".join(fmt(t.get(k), ".3f") for k in names) + " |")
    print("\ntotal benchmark time: %.0f s; load average at end: %s"
          % (time.perf_counter() - t_start, loadavg()))
    if failures:
        print("\nFAILURES (the exit status is 1):")
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
