#!/usr/bin/env python3
"""test_one_panel.py NBCL_BIN: a one-panel .expt that states the detector a set of flags
describes (MOSFLM convention: distance, pixel, size, beam centre, sensor thickness and
attenuation depth) gives the bit-identical float image, in double and single precision,
with oversampling, parallax and polarization switched on. Also: the file's beam sets the
wavelength unless -lambda is given, and the refusals beside -detector."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt_files as ef  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


COMMON = ["-cell", "50", "60", "70", "90", "90", "90", "-misset", "10", "20", "30", "-default_F", "100",
          "-N", "5", "-oversample", "2", "-oversample_thick", "-polar", "0.9", "-mosaic", "0.2",
          "-mosaic_dom", "3", "-phi", "1", "-osc", "0.3", "-phisteps", "2", "-noprogress",
          "-nonoise", "-nopgm", "-intfile", "/dev/null"]
# the flat detector as flags: 64 x 48 pixels of 0.1 mm at 100 mm, beam at (2, 3) mm
FLAGS = ["-distance", "100", "-pixel", "0.1", "-detpixels_f", "64", "-detpixels_s", "48",
         "-Xbeam", "2", "-Ybeam", "3", "-detector_thick", "450", "-detector_abs", "500",
         "-lambda", "1.2"]

# the same numbers as nanoBragg's MOSFLM convention computes them (IEEE doubles, like C)
px = 0.1 / 1000.0
Fbeam = 3.0 / 1000.0 + 0.5 * px
Sbeam = 2.0 / 1000.0 + 0.5 * px
distance = 100 / 1000.0
# pix0 = (distance, Sbeam, -Fbeam) in nanoBragg's frame; dxtbx's frame is (z, y, -x)
origin = [ef.mm_for(-Fbeam), ef.mm_for(Sbeam), -ef.mm_for(distance)]
thick_mm = ef.mm_for(450 * 1e-6)
mu_per_mm = ef.scaled_to(1.0 / (500 * 1e-6), 1000.0)
one = ef.panel("flat", origin, size=(64, 48),
               pixel=0.1, thickness=thick_mm, mu=mu_per_mm)
one["fast_axis"] = [1.0, 0.0, 0.0]      # nanoBragg fdet (0,0,1) seen from dxtbx
one["slow_axis"] = [0.0, -1.0, 0.0]     # nanoBragg sdet (0,-1,0) seen from dxtbx


def run(args, cwd):
    return subprocess.run([BIN] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def image(path):
    with open(path, "rb") as f:
        return f.read()


with tempfile.TemporaryDirectory() as tmp:
    ef.write(os.path.join(tmp, "one.expt"), ef.experiment_list([one], wavelength=1.2))
    for precision in ("single", "double"):
        a = run(COMMON + FLAGS + ["-precision", precision, "-floatfile", "flags.bin"], tmp)
        b = run(COMMON + ["-detector", "one.expt", "-precision", precision, "-floatfile", "file.bin"], tmp)
        expect(a.returncode == 0, "flags run (%s): %s" % (precision, a.stderr.strip()))
        expect(b.returncode == 0, "-detector run (%s): %s" % (precision, b.stderr.strip()))
        if a.returncode == 0 and b.returncode == 0:
            fa, fb = image(os.path.join(tmp, "flags.bin")), image(os.path.join(tmp, "file.bin"))
            expect(len(fa) == 64 * 48 * 4, "flags image size %d" % len(fa))
            expect(fa == fb, "%s precision: the -detector image differs from the flags image" % precision)
            expect(any(fa[i] for i in range(len(fa))), "the image is blank")

    # the file's wavelength is used, and -lambda overrides it
    ef.write(os.path.join(tmp, "w.expt"), ef.experiment_list([one], wavelength=1.5))
    c = run(COMMON + ["-detector", "w.expt", "-floatfile", "w.bin"], tmp)
    d = run(COMMON + ["-detector", "w.expt", "-lambda", "1.2", "-precision", "double", "-floatfile", "l.bin"], tmp)
    expect(c.returncode == 0 and "wave=1.5e-10" in c.stdout, "the file's wavelength 1.5 A is not used")
    expect(d.returncode == 0 and image(os.path.join(tmp, "l.bin")) == image(os.path.join(tmp, "file.bin")),
           "-lambda does not override the file's wavelength")

    # refusals, each naming the flag or key, with no output left behind
    bad_panel = dict(one)
    bad_panel["colour"] = "blue"
    skew = dict(one)
    skew["slow_axis"] = [0.5, 0.5, 0.0]
    ef.write(os.path.join(tmp, "unknown.expt"), ef.experiment_list([bad_panel]))
    ef.write(os.path.join(tmp, "skew.expt"), ef.experiment_list([skew]))
    long_axis = dict(one)
    long_axis["fast_axis"] = [2.0, 0.0, 0.0]
    no_pixels = dict(one)
    no_pixels["image_size"] = [0, 48]
    ef.write(os.path.join(tmp, "long.expt"), ef.experiment_list([long_axis]))
    ef.write(os.path.join(tmp, "nopix.expt"), ef.experiment_list([no_pixels]))
    two_dets = ef.experiment_list([one])
    two_dets["detector"].append(two_dets["detector"][0])
    ef.write(os.path.join(tmp, "twodet.expt"), two_dets)
    orphan = ef.experiment_list([one, one], hierarchy=dict(ef.panel("root", [0, 0, 0], size=(0, 0), pixel=0.0),
                                                          children=[{"panel": 0}]))
    ef.write(os.path.join(tmp, "orphan.expt"), orphan)
    with open(os.path.join(tmp, "broken.expt"), "w") as f:
        f.write('{"__id__": "ExperimentList", "detector": [')
    cases = [
        (["-detector", "one.expt", "-distance", "90"], "-distance"),
        (["-detector", "one.expt", "-pixel", "0.2"], "-pixel"),
        (["-detector", "one.expt", "-xds"], "-xds"),
        (["-detector", "unknown.expt"], "'colour'"),
        (["-detector", "skew.expt"], "'slow_axis'"),
        (["-detector", "broken.expt"], "not valid JSON"),
        (["-detector", "missing.expt"], "missing.expt"),
        (["-detector", "long.expt"], "'fast_axis'"),
        (["-detector", "nopix.expt"], "'image_size'"),
        (["-detector", "twodet.expt"], "'detector'"),
        (["-detector", "orphan.expt"], "panel 1"),
        (["-detector", "/dev/zero"], "binary data"),
        (["-detector", "one.expt", "-img", "header.img"], "-img"),
    ]
    run(COMMON[:-2] + FLAGS + ["-intfile", "header.img", "-floatfile", "/dev/null"], tmp)
    for args, word in cases:
        r = run(COMMON + args + ["-floatfile", "refused.bin"], tmp)
        expect(r.returncode != 0, "%s was accepted" % " ".join(args))
        expect(word in r.stderr and len(r.stderr.strip().splitlines()) == 1,
               "%s: the error does not name %s in one line: %r" % (" ".join(args), word, r.stderr))
        expect(not os.path.exists(os.path.join(tmp, "refused.bin")), "%s left a file" % " ".join(args))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("one-panel -detector images are bit-identical to the flags' images")
