#!/usr/bin/env python3
"""test_panels.py NBCL_BIN: a detector of several panels (gaps, one panel tilted) from a
.expt file: each panel's rows of the float image are bit for bit the image of a one-panel
file holding that panel alone (panels are independent and in the file's order); the image
is the same whatever the tile size; with a hierarchy of groups the panels land where the
composed frames put them; the PNG preview lays the panels out; SMV, PGM, noise and miniCBF
outputs are refused for several panels and the refusals leave no file behind."""
import copy
import os
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt_files as ef  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


COMMON = ["-cell", "50", "60", "70", "90", "90", "90", "-misset", "10", "20", "30", "-default_F", "100",
          "-N", "5", "-oversample", "2", "-polar", "0.9", "-mosaic", "0.2", "-mosaic_dom", "2", "-phi", "1",
          "-osc", "0.3", "-noprogress", "-precision", "double"]
SIZE = (40, 24)
panels = ef.tiled(2, 2, SIZE, pixel=0.1, gap=1.0, distance=60.0, tilt=(3, 20))


def run(args, cwd):
    return subprocess.run([BIN] + COMMON + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def png_size(path):
    data = read(path)
    return struct.unpack(">II", data[16:24])


with tempfile.TemporaryDirectory() as tmp:
    ef.write(os.path.join(tmp, "four.expt"), ef.experiment_list(panels, wavelength=1.0))
    r = run(["-detector", "four.expt", "-floatfile", "four.bin", "-pngfile", "four.png"], tmp)
    expect(r.returncode == 0, "4-panel run: %s" % r.stderr.strip())
    whole = read(os.path.join(tmp, "four.bin")) if r.returncode == 0 else b""
    panel_bytes = SIZE[0] * SIZE[1] * 4
    expect(len(whole) == 4 * panel_bytes, "the float image holds %d bytes, not 4 panels" % len(whole))
    # each panel alone
    for i, p in enumerate(panels):
        name = "p%d.expt" % i
        ef.write(os.path.join(tmp, name), ef.experiment_list([p], wavelength=1.0))
        r = run(["-detector", name, "-floatfile", "p.bin"], tmp)
        expect(r.returncode == 0, "panel %d alone: %s" % (i, r.stderr.strip()))
        alone = read(os.path.join(tmp, "p.bin")) if r.returncode == 0 else b""
        expect(alone == whole[i * panel_bytes:(i + 1) * panel_bytes],
               "panel %d's rows differ from the panel simulated alone" % i)
        expect(any(alone), "panel %d is blank" % i)
    # tile size
    r = run(["-detector", "four.expt", "-tile", "8", "-floatfile", "tiled.bin"], tmp)
    expect(r.returncode == 0 and read(os.path.join(tmp, "tiled.bin")) == whole, "-tile 8 changes the image")
    # the same panels reached through a hierarchy: a group turned and moved, the panels
    # given in its frame (group: fast -y, slow -x, normal -z, origin (1, 2, 3) mm)
    g_f, g_s, g_o = [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 2.0, 3.0]
    g_n = [g_f[1] * g_s[2] - g_f[2] * g_s[1], g_f[2] * g_s[0] - g_f[0] * g_s[2], g_f[0] * g_s[1] - g_f[1] * g_s[0]]

    def local(v, point):   # the inverse of the group frame (orthonormal): components along f, s, n
        d = [v[k] - (g_o[k] if point else 0.0) for k in range(3)]
        return [sum(a * b for a, b in zip(d, axis)) for axis in (g_f, g_s, g_n)]
    nested = []
    for p in panels:
        q = copy.deepcopy(p)
        q["fast_axis"], q["slow_axis"] = local(p["fast_axis"], 0), local(p["slow_axis"], 0)
        q["origin"] = local(p["origin"], 1)
        nested.append(q)
    group = ef.panel("group", g_o, fast=g_f, slow=g_s, size=(0, 0), pixel=0.0)
    group["children"] = [{"panel": i} for i in range(len(panels))]
    ef.write(os.path.join(tmp, "nested.expt"), ef.experiment_list(nested, wavelength=1.0, hierarchy=group))
    r = run(["-detector", "nested.expt", "-floatfile", "nested.bin"], tmp)
    expect(r.returncode == 0, "hierarchy run: %s" % r.stderr.strip())
    if r.returncode == 0:
        a, b = struct.unpack("%df" % (len(whole) // 4), whole), struct.unpack("%df" % (len(whole) // 4),
                                                                             read(os.path.join(tmp, "nested.bin")))
        worst = max(abs(x - y) / max(1e-3, abs(x)) for x, y in zip(a, b))
        expect(worst < 1e-6, "the hierarchy places the panels elsewhere (relative difference %g)" % worst)
    # the preview: every panel, gaps and the tilt within, at 0.1 mm a pixel
    if os.path.exists(os.path.join(tmp, "four.png")):
        w, h = png_size(os.path.join(tmp, "four.png"))
        expect(2 * SIZE[0] < w < 2 * SIZE[0] + 40 and 2 * SIZE[1] < h < 2 * SIZE[1] + 40,
               "the preview is %dx%d" % (w, h))
    else:
        expect(False, "no PNG preview")
    # refusals
    for flag, value in (("-intfile", "x.img"), ("-noisefile", "x.img"), ("-pgmfile", "x.pgm"),
                        ("-cbffile", "x.cbf"), ("-roi", "0"), ("-printout", None)):
        args = ["-detector", "four.expt", flag] + ([value] if value else [])
        if flag == "-roi":
            args += ["10", "0", "10"]
        r = run(args, tmp)
        expect(r.returncode != 0 and flag in r.stderr, "%s with 4 panels: not refused by name: %r" % (flag, r.stderr))
        expect(not any(os.path.exists(os.path.join(tmp, f)) for f in ("x.img", "x.pgm", "x.cbf")),
               "%s left a file" % flag)
    # with -detector the SMV, PGM and noise images are not written by default
    expect(not any(os.path.exists(os.path.join(tmp, f)) for f in ("intimage.img", "noiseimage.img", "image.pgm")),
           "a default SMV/PGM/noise file was written for a -detector run")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("multi-panel -detector images: panels independent, in order, tile-invariant, placed through hierarchies")
