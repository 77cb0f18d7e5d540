#!/usr/bin/python3
"""check_nexus.py --writer NEXUS_WRITER [--dials] [--keep DIR]

Proof that the NXmx files of src/io/nexus.c are read by readers other than our own.
nexus_writer (tests/io/test_nexus.c built as a program) writes a few series; this script

  * without --dials: opens each with h5py and checks the NXmx structure, the image stack
    (shape, type, one chunk per image, compression, every pixel), the per-image angles and
    orientations, units, and the detector's depends_on chain, which it evaluates by the
    NeXus rules on its own to find every pixel centre again;
  * with --dials: runs dials.import on the series of a plain detector facing the beam and
    of one turned by 20 degrees about the vertical axis, prints dials.show, and compares
    DIALS's detector, beam, goniometer and scan with the geometry written, converted from
    the NeXus (McStas) frame to DIALS's (imgCIF) frame: (x, y, z) -> (-x, y, -z). It also
    reads the pixels back through dxtbx.

Exits 0 when everything matches, 1 on a mismatch, 77 (skipped) when h5py, or for --dials
DIALS, is not installed for this Python (/usr/bin/python3 on Debian)."""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import h5py
    import numpy as np
except ImportError:
    h5py = None


def unit(v):
    n = math.sqrt(sum(c * c for c in v))
    return [c / n for c in v]


def rot_y(deg, v):
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return [c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]]


def to_dials(v):
    """NeXus McStas frame -> dxtbx/imgCIF frame: a half turn about the vertical axis."""
    return [-v[0], v[1], -v[2]]


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def written_thickness(c):
    """The thickness in the file (mm): as stated, or the token 1 nm for 0 (not stated)."""
    return c["thickness"] if c["thickness"] > 0 else 1e-6


def case(name, **kw):
    c = dict(name=name, fast=64, slow=48, pixel=0.1, fastaxis=[-1, 0, 0], slowaxis=[0, -1, 0],
             origin=[3.2, 2.4, 100.0], axis=[-1, 0, 0], wavelength=1.0, exposure=0.1,
             thickness=0.45, saturation=1000000, images=5, start=0.0, step=0.5, umat=0)
    c.update(kw)
    return c


# (a) a detector facing the beam, 100 mm downstream, the beam 32.5 x 25.5 px from the corner
UNTILTED = case("untilted", origin=[3.25, 2.55, 100.0], start=12.0, step=0.25, images=6)
# (b) the same detector turned by 20 degrees about the vertical (y) axis through the sample,
# with a goniometer axis that has no zero component
TILTED = case("tilted", origin=rot_y(20, [3.25, 2.55, 100.0]), fastaxis=rot_y(20, [-1, 0, 0]),
              axis=unit([-1.0, 0.3, 0.2]), start=-5.0, step=1.0, images=4, umat=1)
# (c) the same detector tilted by 20 degrees about the vertical line through the point where
# the beam meets it: the beam centre stays at 32.5 x 25.5 px, the distance along the
# normal becomes 100 cos 20 mm
ON_BEAM = case("on_beam", origin=[a + b for a, b in zip(rot_y(20, [3.25, 2.55, 0]), [0, 0, 100.0])],
               fastaxis=rot_y(20, [-1, 0, 0]), axis=[0, 1, 0], start=90.0, step=0.1, images=3,
               thickness=0.0)   # not stated: written as a token 1 nm (see nexus.c)
# the 3-image 40 x 30 series of test_nexus.c, with orientations
SMALL = case("small", fast=40, slow=30, pixel=0.172, images=3, umat=1, saturation=1234567,
             origin=[3.5, 2.75, 120.0], start=10.0, step=0.25)


def write(writer, c, path):
    vec = lambda v: ",".join("%.17g" % x for x in v)
    args = [writer, "out=" + path, "fast=%d" % c["fast"], "slow=%d" % c["slow"],
            "pixel=%.17g" % c["pixel"], "origin=" + vec(c["origin"]),
            "fastaxis=" + vec(c["fastaxis"]), "slowaxis=" + vec(c["slowaxis"]),
            "axis=" + vec(c["axis"]), "lambda=%.17g" % c["wavelength"],
            "exposure=%.17g" % c["exposure"], "thickness=%.17g" % c["thickness"],
            "saturation=%d" % c["saturation"], "images=%d" % c["images"],
            "start=%.17g" % c["start"], "step=%.17g" % c["step"], "umat=%d" % c["umat"]]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1]


def pattern(i, fast, slow):
    """The images nexus_writer writes (test_nexus.c: pattern_value)."""
    s, f = np.meshgrid(np.arange(slow, dtype=np.int64), np.arange(fast, dtype=np.int64),
                       indexing="ij")
    return ((i * 1000003 + s * 1009 + f * 7) % 2000000011).astype(np.int32)


def pattern_umat(i):
    a = math.radians(10.0 * i + 5.0)
    return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])


class Checker:
    def __init__(self, label):
        self.label = label
        self.failures = 0

    def expect(self, ok, what):
        if not ok:
            self.failures += 1
            print("FAIL %s: %s" % (self.label, what))
        return ok

    def close(self, got, want, tol, what):
        got_l = list(np.atleast_1d(np.asarray(got, dtype=float)))
        want_l = list(np.atleast_1d(np.asarray(want, dtype=float)))
        ok = len(got_l) == len(want_l) and all(abs(g - w) <= tol for g, w in zip(got_l, want_l))
        return self.expect(ok, "%s: got %s, want %s" % (what, got_l, want_l))


# ---- h5py: structure, values, and the NeXus chain evaluated here ----------------------

TO_MM = {"mm": 1.0, "m": 1000.0, "um": 1e-3, "microns": 1e-3}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def axis_matrix(ds):
    """4x4 transformation of one NXtransformations axis (first value), lengths in mm."""
    kind = text(ds.attrs["transformation_type"])
    value = float(np.atleast_1d(ds[()])[0])
    vec = np.asarray(ds.attrs["vector"], dtype=float)
    offset = np.asarray(ds.attrs.get("offset", [0, 0, 0]), dtype=float)
    offset = offset * TO_MM[text(ds.attrs.get("offset_units", "mm"))]
    m = np.identity(4)
    if kind == "translation":
        m[:3, 3] = vec * value * TO_MM[text(ds.attrs["units"])] + offset
    else:
        raise ValueError("unexpected rotation in the detector chain")
    return m


def chain(f, ds):
    """The datasets of a depends_on chain starting at ds (ds itself first)."""
    out = [ds]
    while True:
        dep = text(out[-1].attrs["depends_on"])
        if dep == ".":
            return out
        out.append(f[dep] if dep.startswith("/") else out[-1].parent[dep])


def check_structure(ck, f, c, compression):
    ck.expect(text(f["/entry/definition"][()]) == "NXmx", "definition")
    for path, cls in [("/entry", "NXentry"), ("/entry/data", "NXdata"),
                      ("/entry/instrument", "NXinstrument"), ("/entry/instrument/beam", "NXbeam"),
                      ("/entry/instrument/detector", "NXdetector"),
                      ("/entry/instrument/detector/module", "NXdetector_module"),
                      ("/entry/sample", "NXsample"), ("/entry/source", "NXsource"),
                      ("/entry/sample/transformations", "NXtransformations")]:
        ck.expect(text(f[path].attrs.get("NX_class", b"")) == cls, "%s is not %s" % (path, cls))
    for field in ["start_time", "end_time", "end_time_estimated"]:
        ck.expect(text(f["/entry"][field][()]).endswith("Z"), "%s not in UTC" % field)
    ck.expect(text(f["/entry/data"].attrs["signal"]) == "data", "NXdata@signal")
    det = f["/entry/instrument/detector"]
    ck.expect(text(det["sensor_material"][()]) == "Silicon", "sensor_material")
    ck.close(det["sensor_thickness"][()] * TO_MM[text(det["sensor_thickness"].attrs["units"])],
             written_thickness(c), 1e-15, "sensor_thickness (mm)")
    ck.expect(int(det["saturation_value"][()]) == c["saturation"], "saturation_value")
    for t in ["count_time", "frame_time"]:
        ck.close(det[t][()], c["exposure"], 1e-12, t)
        ck.expect(text(det[t].attrs["units"]) == "s", t + "@units")
    ck.close(det["x_pixel_size"][()] * TO_MM[text(det["x_pixel_size"].attrs["units"])],
             c["pixel"], 1e-12, "x_pixel_size (mm)")
    beam = f["/entry/instrument/beam/incident_wavelength"]
    ck.close(beam[()], c["wavelength"], 1e-12, "incident_wavelength")
    ck.expect(text(beam.attrs["units"]) == "angstrom", "incident_wavelength@units")
    data = f["/entry/data/data"]
    ck.expect(data.shape == (c["images"], c["slow"], c["fast"]), "data shape %s" % (data.shape,))
    ck.expect(data.dtype == np.dtype("<i4"), "data dtype %s" % data.dtype)
    ck.expect(data.chunks == (1, c["slow"], c["fast"]), "data chunks %s" % (data.chunks,))
    ck.expect(data.maxshape[0] is None, "data not extensible")
    plist = data.id.get_create_plist()
    filters = {plist.get_filter(k)[0]: plist.get_filter(k)[2] for k in range(plist.get_nfilters())}
    want = 32008 if compression == "bitshuffle/lz4" else 1
    ck.expect(want in filters, "filter %d (%s) not in %s" % (want, compression, filters))
    if want == 32008:   # options: version (2), element size, block size, 2 = LZ4
        ck.expect(filters[want][2:5:2] == (4, 2), "bitshuffle options %s" % (filters[want],))
    ck.expect(det["data"].id == data.id or det["data"].id.get_offset() == data.id.get_offset(),
              "detector/data is not the image stack")


def check_images(ck, f, c):
    data = f["/entry/data/data"]
    for i in range(c["images"]):
        ck.expect(np.array_equal(data[i], pattern(i, c["fast"], c["slow"])), "image %d values" % i)


def check_angles(ck, f, c):
    sample = f["/entry/sample"]
    axis_path = text(sample["depends_on"][()])
    omega = f[axis_path]
    n, start, step = c["images"], c["start"], c["step"]
    starts = [start + i * step for i in range(n)]
    ck.close(omega[()], starts, 1e-12, "omega")
    ck.close(f[axis_path + "_end"][()], [s + step for s in starts], 1e-12, "omega_end")
    ck.close(f[axis_path + "_increment_set"][()], [step] * n, 1e-12, "omega_increment_set")
    ck.expect(text(omega.attrs["units"]) == "deg", "omega@units")
    ck.expect(text(omega.attrs["transformation_type"]) == "rotation", "omega type")
    ck.close(omega.attrs["vector"], unit(c["axis"]), 1e-12, "omega@vector")
    if c["umat"]:
        m = sample["ub_matrix"][()]
        ck.expect(m.shape == (n, 3, 3), "ub_matrix shape %s" % (m.shape,))
        for i in range(n):
            ck.close(m[i].ravel(), pattern_umat(i).ravel(), 1e-15, "orientation %d" % i)
    else:
        ck.expect("ub_matrix" not in sample, "ub_matrix without umat")


def check_detector_chain(ck, f, c):
    module = f["/entry/instrument/detector/module"]
    fastp, slowp = module["fast_pixel_direction"], module["slow_pixel_direction"]
    ck.close(module["data_size"][()], [c["slow"], c["fast"]], 0, "data_size")
    ck.close(module["data_origin"][()], [0, 0], 0, "data_origin")
    links = chain(f, fastp)
    names = [ds.name for ds in links]
    ck.expect(names[1].endswith("module_offset"), "fast_pixel_direction chain %s" % names)
    ck.expect(text(f["/entry/instrument/detector/depends_on"][()]) == names[-1],
              "detector/depends_on is not the chain's root")
    # the corner of pixel (0,0): every transformation after the pixel direction itself
    m = np.identity(4)
    for ds in reversed(links[1:]):
        m = m @ axis_matrix(ds)
    corner = m[:3, 3]
    px_f = fastp[()] * TO_MM[text(fastp.attrs["units"])]
    px_s = slowp[()] * TO_MM[text(slowp.attrs["units"])]
    fa = np.asarray(fastp.attrs["vector"], float)
    sa = np.asarray(slowp.attrs["vector"], float)
    ck.close(corner, c["origin"], 1e-9, "corner of pixel (0,0), mm")
    ck.close(fa, unit(c["fastaxis"]), 1e-12, "fast axis")
    ck.close(sa, unit(c["slowaxis"]), 1e-12, "slow axis")
    for f_, s_ in [(0, 0), (c["fast"] - 1, 0), (0, c["slow"] - 1), (c["fast"] - 1, c["slow"] - 1)]:
        centre = corner + (f_ + 0.5) * px_f * fa + (s_ + 0.5) * px_s * sa
        want = [c["origin"][k] + (f_ + 0.5) * c["pixel"] * unit(c["fastaxis"])[k]
                + (s_ + 0.5) * c["pixel"] * unit(c["slowaxis"])[k] for k in range(3)]
        ck.close(centre, want, 1e-9, "centre of pixel (%d,%d)" % (f_, s_))


def check_file(writer, c, workdir):
    ck = Checker("h5py " + c["name"])
    path = os.path.join(workdir, c["name"] + ".nxs")
    compression = write(writer, c, path)
    with h5py.File(path, "r") as f:
        check_structure(ck, f, c, compression)
        check_images(ck, f, c)
        check_angles(ck, f, c)
        check_detector_chain(ck, f, c)
    print("h5py %-9s %s, %d images %dx%d: %s" % (c["name"], compression, c["images"], c["fast"],
                                                 c["slow"], "ok" if not ck.failures else "FAILED"))
    return ck.failures


# ---- DIALS ------------------------------------------------------------------------------

def dials_tools():
    imp = shutil.which("dials.import") or "/usr/bin/dials.import"
    show = shutil.which("dials.show") or "/usr/bin/dials.show"
    if not (os.access(imp, os.X_OK) and os.access(show, os.X_OK)):
        return None
    return imp, show


def expected_dials(c):
    """What DIALS should report, in its own frame."""
    fa, sa, o = unit(c["fastaxis"]), unit(c["slowaxis"]), c["origin"]
    normal = cross(fa, sa)
    t = dot(o, normal) / normal[2]                # the beam (+z) meets the plane at t*z
    hit = [-o[0], -o[1], t - o[2]]
    return dict(origin=to_dials(o), fast=to_dials(fa), slow=to_dials(sa),
                distance=abs(dot(o, normal)), axis=to_dials(unit(c["axis"])),
                centre_px=[dot(hit, fa) / c["pixel"], dot(hit, sa) / c["pixel"]])


def report_line(what, got, want):
    fmt = lambda v: "(" + ", ".join("%.6f" % x for x in np.atleast_1d(v)) + ")"
    print("  %-22s DIALS %-40s stated %s" % (what, fmt(got), fmt(want)))


def compare_models(ck, expt, c):
    e = expected_dials(c)
    panel = expt["detector"][0]["panels"][0]
    beam, gonio, scan = expt["beam"][0], expt["goniometer"][0], expt["scan"][0]
    normal = cross(panel["fast_axis"], panel["slow_axis"])
    distance = dot(panel["origin"], normal)
    s0 = [-x for x in beam["direction"]]      # dxtbx stores the sample-to-source direction
    tt = dot(panel["origin"], normal) / dot(s0, normal)
    hit = [s0[k] * tt - panel["origin"][k] for k in range(3)]
    centre = [dot(hit, panel["fast_axis"]) / panel["pixel_size"][0],
              dot(hit, panel["slow_axis"]) / panel["pixel_size"][1]]
    rows = [("origin (mm)", panel["origin"], e["origin"], 1e-6),
            ("fast_axis", panel["fast_axis"], e["fast"], 1e-9),
            ("slow_axis", panel["slow_axis"], e["slow"], 1e-9),
            ("distance (mm)", distance, e["distance"], 1e-6),
            ("beam centre (px)", centre, e["centre_px"], 1e-6),
            ("pixel_size (mm)", panel["pixel_size"], [c["pixel"]] * 2, 1e-12),
            ("image_size", panel["image_size"], [c["fast"], c["slow"]], 0),
            ("thickness (mm)", panel["thickness"], written_thickness(c), 1e-12),
            ("beam direction", beam["direction"], [0, 0, 1], 1e-12),
            ("wavelength (A)", beam["wavelength"], c["wavelength"], 1e-12),
            ("rotation axis", gonio["rotation_axis"], e["axis"], 1e-9),
            ("scan image_range", scan["image_range"], [1, c["images"]], 0),
            ("scan oscillation", scan["oscillation"], [c["start"], c["step"]], 1e-9),
            ("exposure (s)", scan["exposure_time"], [c["exposure"]] * c["images"], 1e-9)]
    for what, got, want, tol in rows:
        report_line(what, got, want)
        ck.close(got, want, tol, what)
    ck.expect(panel["material"] == "Si", "material %s" % panel["material"])
    trusted = panel["trusted_range"]
    ck.expect(abs(trusted[1] - c["saturation"]) < 0.5, "trusted range %s" % trusted)


def check_pixels_with_dxtbx(ck, path, c):
    try:
        from dxtbx.model.experiment_list import ExperimentListFactory
    except ImportError:
        ck.expect(False, "dxtbx cannot be imported by this Python")
        return
    experiments = ExperimentListFactory.from_filenames([path])
    imageset = experiments[0].imageset
    ck.expect(len(imageset) == c["images"], "dxtbx sees %d images" % len(imageset))
    for i in range(len(imageset)):
        raw = imageset.get_raw_data(i)[0].as_numpy_array()
        ck.expect(np.array_equal(raw, pattern(i, c["fast"], c["slow"])), "dxtbx image %d" % i)
    # the centre of pixel (f, s) is the stated corner + (f + 0.5, s + 0.5) pixels
    panel = experiments[0].detector[0]
    fa, sa, px = unit(c["fastaxis"]), unit(c["slowaxis"]), c["pixel"]
    for f_, s_ in [(0, 0), (c["fast"] - 1, c["slow"] - 1)]:
        got = panel.get_lab_coord(((f_ + 0.5) * px, (s_ + 0.5) * px))
        want = to_dials([c["origin"][k] + (f_ + 0.5) * px * fa[k] + (s_ + 0.5) * px * sa[k]
                         for k in range(3)])
        report_line("centre px (%d,%d)" % (f_, s_), got, want)
        ck.close(got, want, 1e-9, "dxtbx centre of pixel (%d,%d)" % (f_, s_))


def check_dials(writer, c, workdir, tools):
    ck = Checker("DIALS " + c["name"])
    run_dir = os.path.join(workdir, c["name"])
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, c["name"] + ".nxs")
    compression = write(writer, c, path)
    imp, show = tools
    r = subprocess.run([imp, path, "output.experiments=imported.expt"], cwd=run_dir,
                       capture_output=True, text=True)
    if not ck.expect(r.returncode == 0, "dials.import failed:\n%s%s" % (r.stdout, r.stderr)):
        return ck.failures
    r = subprocess.run([show, "imported.expt"], cwd=run_dir, capture_output=True, text=True)
    with open(os.path.join(run_dir, "dials.show.log"), "w") as log:
        log.write(r.stdout)
    print("---- dials.show (%s, %s) ----\n%s" % (c["name"], compression, r.stdout))
    with open(os.path.join(run_dir, "imported.expt")) as fh:
        expt = json.load(fh)
    print("DIALS %s: read by DIALS vs stated (McStas converted with (x,y,z) -> (-x,y,-z))"
          % c["name"])
    compare_models(ck, expt, c)
    check_pixels_with_dxtbx(ck, path, c)
    print("DIALS %-9s %s" % (c["name"], "ok" if not ck.failures else "FAILED"))
    return ck.failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writer", required=True, help="the nexus_writer program")
    ap.add_argument("--dials", action="store_true", help="check with dials.import")
    ap.add_argument("--keep", help="write into this directory and keep the files")
    args = ap.parse_args()
    if h5py is None:
        print("h5py (and numpy) are not installed for %s: skipped" % sys.executable)
        return SKIP
    tools = dials_tools() if args.dials else None
    if args.dials:
        try:
            import dxtbx  # noqa: F401
        except ImportError:
            tools = None
        if tools is None:
            print("DIALS (dials.import, dials.show, dxtbx) is not installed: skipped")
            return SKIP
    workdir = args.keep or tempfile.mkdtemp(prefix="nbcl-nexus-check-")
    os.makedirs(workdir, exist_ok=True)
    try:
        if args.dials:
            cases = (UNTILTED, TILTED, ON_BEAM)
            failures = sum(check_dials(args.writer, c, workdir, tools) for c in cases)
        else:
            cases = (SMALL, UNTILTED, TILTED, ON_BEAM)
            failures = sum(check_file(args.writer, c, workdir) for c in cases)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d mismatches" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
