#!/usr/bin/python3
"""check_cbf.py --writer CBF_WRITER [--dials]: other programs read the miniCBF images that
src/io/cbf.c writes (through cbf_writer, tests/io/test_cbf.c built as a program).

Two images are written: 64 x 48 pixels (header convention GENERIC_MINI, read by dxtbx's
FormatCBFMini) and 487 x 195, one Pilatus module (PILATUS_1.2, read by FormatCBFMiniPilatus).

Without --dials, fabio must read the same integers (pattern_value, as in test_cbf.c) and
the header lines must state the geometry asked for. With --dials, dials.import and
dials.show must put the detector where the header says (origin (-beam_x*pixel,
+beam_y*pixel, -distance) mm, fast axis +x, slow axis -y), with the wavelength, the scan's
oscillation and the goniometer axis +x, and dxtbx must read the same integers.

Run it with the system Python (/usr/bin/python3), where Debian's python3-fabio and dials
live. Exits 77 (meson's "skipped") when the reader is not installed."""
import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
INT32_MAX = 2**31 - 1

IMAGES = [
    dict(name="generic_0001.cbf", fast=64, slow=48, pixel=0.1, distance=100.0, beamx=30.5,
         beamy=20.25, wavelength=1.2, start=10.0, step=0.5, exposure=1.0, thickness=0.45,
         cutoff=1048575, convention="GENERIC_MINI", dxtbx_class="FormatCBFMini"),
    dict(name="pilatus_0001.cbf", fast=487, slow=195, pixel=0.172, distance=250.0,
         beamx=243.5, beamy=97.25, wavelength=0.9793, start=-5.0, step=0.25, exposure=0.1,
         thickness=0.32, cutoff=1048500, convention="PILATUS_1.2",
         dxtbx_class="FormatCBFMiniPilatus"),
]


def pattern_value(f, s, fast, slow):
    """The value test_cbf.c's pattern_value gives pixel (f, s)."""
    if f == 0 and s == 0:
        return -1
    if f == 1 and s == 0:
        return 2000000000
    if s == slow - 1 and f == fast - 1:
        return INT32_MAX
    if s == slow - 1 and f == fast - 2:
        return 1048575
    if s % 11 == 5:
        return -1
    return (s * 1009 + f * 7919) % 1000001


def pattern(img, np):
    return np.array([[pattern_value(f, s, img["fast"], img["slow"]) for f in range(img["fast"])]
                     for s in range(img["slow"])], dtype=np.int32)


def write_image(writer, folder, img):
    path = os.path.join(folder, img["name"])
    args = [writer, "out=" + path, "fast=%d" % img["fast"], "slow=%d" % img["slow"],
            "pixel=%r" % img["pixel"], "distance=%r" % img["distance"],
            "beamx=%r" % img["beamx"], "beamy=%r" % img["beamy"],
            "lambda=%r" % img["wavelength"], "start=%r" % img["start"],
            "step=%r" % img["step"], "exposure=%r" % img["exposure"],
            "thickness=%r" % img["thickness"], "cutoff=%d" % img["cutoff"]]
    subprocess.run(args, check=True)
    return path


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


class Checks:
    def __init__(self):
        self.failed = []

    def expect(self, ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            self.failed.append(what)


def header_values(text):
    """The numbers of the "# Key value" lines dxtbx reads, as the header states them."""
    def num(pattern_text, count=1):
        m = re.search(pattern_text, text, re.M)
        if not m:
            return None
        vals = [float(x) for x in m.groups()]
        return vals if count > 1 else vals[0]
    f = r"([-+0-9.eE]+)"
    return dict(
        pixel=num(r"^# Pixel_size %s m x %s m" % (f, f), 2),
        thickness=num(r"^# Silicon sensor, thickness %s m" % f),
        exposure=num(r"^# Exposure_time %s s" % f),
        period=num(r"^# Exposure_period %s s" % f),
        cutoff=num(r"^# Count_cutoff %s counts" % f),
        wavelength=num(r"^# Wavelength %s A" % f),
        distance=num(r"^# Detector_distance %s m" % f),
        beam=num(r"^# Beam_xy \(%s, %s\) pixels" % (f, f), 2),
        start=num(r"^# Start_angle %s deg\." % f),
        step=num(r"^# Angle_increment %s deg\." % f),
    )


def check_header(c, img, text):
    h = header_values(text)
    name = img["name"]
    c.expect(h["pixel"] is not None and all(close(p, img["pixel"] / 1000) for p in h["pixel"]),
             "%s: Pixel_size %s m, stated %r mm" % (name, h["pixel"], img["pixel"]))
    c.expect(h["distance"] is not None and close(h["distance"], img["distance"] / 1000),
             "%s: Detector_distance %s m, stated %r mm" % (name, h["distance"], img["distance"]))
    c.expect(h["beam"] is not None and close(h["beam"][0], img["beamx"])
             and close(h["beam"][1], img["beamy"]),
             "%s: Beam_xy %s, stated %r" % (name, h["beam"], [img["beamx"], img["beamy"]]))
    for key, want in (("wavelength", img["wavelength"]), ("start", img["start"]),
                      ("step", img["step"]), ("exposure", img["exposure"]),
                      ("period", img["exposure"]), ("cutoff", img["cutoff"]),
                      ("thickness", img["thickness"] / 1000)):
        c.expect(h[key] is not None and close(h[key], want),
                 "%s: %s %r, stated %r" % (name, key, h[key], want))


def check_fabio(c, img, path, np):
    import fabio
    im = fabio.open(path)
    data = np.asarray(im.data)
    c.expect(data.shape == (img["slow"], img["fast"]),
             "%s: fabio shape %s" % (img["name"], data.shape))
    c.expect(data.dtype == np.int32, "%s: fabio dtype %s" % (img["name"], data.dtype))
    want = pattern(img, np)
    same = data.shape == want.shape and bool((data.astype(np.int64) == want).all())
    c.expect(same, "%s: fabio reads the integers written (min %d, max %d, %d of them -1)"
             % (img["name"], data.min(), data.max(), int((data == -1).sum())))
    convention = im.header.get("_array_data.header_convention", "").strip('"')
    c.expect(convention == img["convention"],
             "%s: header_convention %s" % (img["name"], convention))
    check_header(c, img, im.header.get("_array_data.header_contents", ""))
    if img["convention"] == "PILATUS_1.2":
        ph = im.pilatus_headers
        c.expect(ph is not None and close(ph["Wavelength"], img["wavelength"])
                 and close(ph["Detector_distance"], img["distance"] / 1000)
                 and close(ph["Beam_xy"][0], img["beamx"]),
                 "%s: fabio's Pilatus header parser agrees" % img["name"])


def parse_show(text):
    """Numbers from dials.show's text."""
    def vec(label):
        m = re.search(r"^\s*%s:\s*\{([^}]*)\}" % re.escape(label), text, re.M)
        return [float(x) for x in m.group(1).split(",")] if m else None
    wl = re.search(r"^\s*wavelength:\s*([-+0-9.eE]+)", text, re.M)
    return dict(origin=vec("origin"), fast=vec("fast_axis"), slow=vec("slow_axis"),
                pixel=vec("pixel_size"), size=vec("image_size"), oscillation=vec("oscillation"),
                axis=vec("Rotation axis"), wavelength=float(wl.group(1)) if wl else None)


def vec_close(a, b, tol=1e-4):
    return a is not None and len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))


def check_dials(c, img, path, np):
    work = os.path.dirname(path)
    imp = subprocess.run(["dials.import", os.path.basename(path)], cwd=work,
                         capture_output=True, text=True)
    c.expect(imp.returncode == 0, "%s: dials.import exits 0" % img["name"])
    if imp.returncode:
        print(imp.stdout[-3000:], imp.stderr[-3000:])
        return
    m = re.search(r"format: <class '([^']*)'>", imp.stdout)
    fmt = m.group(1).split(".")[-1] if m else None
    c.expect(fmt == img["dxtbx_class"], "%s: read by %s" % (img["name"], fmt))
    show = subprocess.run(["dials.show", "imported.expt"], cwd=work, capture_output=True,
                          text=True)
    c.expect(show.returncode == 0, "%s: dials.show exits 0" % img["name"])
    print("---- dials.show (%s) ----" % img["name"])
    print("\n".join(line for line in show.stdout.splitlines()
                    if re.search(r"format|pixel_size|image_size|fast_axis|slow_axis|origin|"
                                 r"distance|wavelength|oscillation|image range|Rotation axis|"
                                 r"px:|mm:|thickness|trusted", line)))
    got = parse_show(show.stdout)
    p = img["pixel"]
    want_origin = [-img["beamx"] * p, img["beamy"] * p, -img["distance"]]
    c.expect(vec_close(got["origin"], want_origin),
             "%s: origin %s, stated %s" % (img["name"], got["origin"], want_origin))
    c.expect(vec_close(got["fast"], [1, 0, 0]), "%s: fast axis %s" % (img["name"], got["fast"]))
    c.expect(vec_close(got["slow"], [0, -1, 0]), "%s: slow axis %s" % (img["name"], got["slow"]))
    c.expect(vec_close(got["pixel"], [p, p]), "%s: pixel %s" % (img["name"], got["pixel"]))
    c.expect(vec_close(got["size"], [img["fast"], img["slow"]]),
             "%s: image size %s" % (img["name"], got["size"]))
    c.expect(got["wavelength"] is not None and close(got["wavelength"], img["wavelength"], 1e-5),
             "%s: wavelength %s" % (img["name"], got["wavelength"]))
    c.expect(vec_close(got["oscillation"], [img["start"], img["step"]]),
             "%s: oscillation %s" % (img["name"], got["oscillation"]))
    c.expect(vec_close(got["axis"], [1, 0, 0]), "%s: rotation axis %s" % (img["name"], got["axis"]))
    check_dxtbx_pixels(c, img, path, np)


def check_dxtbx_pixels(c, img, path, np):
    import dxtbx
    raw = dxtbx.load(path).get_raw_data()
    if isinstance(raw, tuple):
        raw = raw[0]
    data = raw.as_numpy_array()
    want = pattern(img, np)
    c.expect(data.shape == want.shape and bool((data.astype(np.int64) == want).all()),
             "%s: dxtbx reads the integers written" % img["name"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writer", required=True, help="the cbf_writer program")
    ap.add_argument("--dials", action="store_true", help="check with dials.import and dxtbx")
    a = ap.parse_args()
    try:
        for module in ("numpy", "dxtbx" if a.dials else "fabio"):
            importlib.import_module(module)
    except ImportError as e:
        print("%s is not installed for %s: skipped" % (e.name, sys.executable))
        return SKIP
    import numpy as np
    if a.dials and not (shutil.which("dials.import") and shutil.which("dials.show")):
        print("dials.import or dials.show is not on PATH: skipped")
        return SKIP
    c = Checks()
    with tempfile.TemporaryDirectory(prefix="nbcl-cbf-") as tmp:
        for img in IMAGES:
            folder = os.path.join(tmp, img["name"].split("_")[0])
            os.mkdir(folder)
            path = write_image(a.writer, folder, img)
            if a.dials:
                check_dials(c, img, path, np)
            else:
                check_fabio(c, img, path, np)
    if c.failed:
        print("%d check(s) failed" % len(c.failed))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
