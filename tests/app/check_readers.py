#!/usr/bin/env python3
"""check_readers.py NBCL_BIN: a 3-image sweep from nanobragg-cl written as SMV noise images,
miniCBF files and one NeXus file must hold the same integers as fabio and h5py read them,
with consistent headers (wavelength, distance, pixel size, angles). Needs fabio and h5py
(Debian python3-fabio, python3-h5py); exits 77 (skipped) without them."""
import os
import subprocess
import sys
import tempfile

try:
    import fabio
    import h5py
    import numpy
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)

BIN = os.path.abspath(sys.argv[1])
ARGS = ["-cell", "40", "50", "60", "90", "90", "90", "-misset", "5", "10", "15", "-default_F", "100",
        "-N", "5", "-lambda", "1.1", "-distance", "90", "-detpixels", "48", "-pixel", "0.1",
        "-phi", "2", "-osc", "0.5", "-nimages", "3", "-seed", "4", "-noprogress",
        "-noisefile", "n_#.img", "-cbffile", "c_#.cbf", "-nexusfile", "s.nxs"]
failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, tol=1e-4):
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([BIN] + ARGS, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    nx = h5py.File(os.path.join(tmp, "s.nxs"), "r")
    stack = nx["/entry/data/data"][()]
    expect(stack.shape == (3, 48, 48), "NeXus stack shape %s" % (stack.shape,))
    omega = nx["/entry/sample/transformations/omega"][()]
    wavelength = float(nx["/entry/instrument/beam/incident_wavelength"][()])
    expect(close(wavelength, 1.1), "NeXus wavelength %g" % wavelength)
    for i in range(3):
        smv = fabio.open(os.path.join(tmp, "n_%d.img" % (i + 1)))
        cbf = fabio.open(os.path.join(tmp, "c_%d.cbf" % (i + 1)))
        a = numpy.asarray(smv.data, dtype=numpy.int64)
        b = numpy.asarray(cbf.data, dtype=numpy.int64)
        expect(a.shape == b.shape == (48, 48), "image %d shapes %s %s" % (i + 1, a.shape, b.shape))
        expect(numpy.array_equal(a, b), "image %d: CBF and SMV integers differ" % (i + 1))
        expect(numpy.array_equal(a, stack[i]), "image %d: NeXus and SMV integers differ" % (i + 1))
        expect(a.sum() > 0 and a.max() > a.min(), "image %d is flat" % (i + 1))
        h = smv.header
        text = cbf.header.get("_array_data.header_contents", "")
        expect("Wavelength %s A" % "1.10000" in text, "CBF wavelength line missing: %s" % text)
        expect("Detector_distance 0.09000 m" in text, "CBF distance line missing")
        expect("Pixel_size 100e-6 m x 100e-6 m" in text, "CBF pixel size line missing")
        phi = 2 + 0.5 * i
        expect("Start_angle %.4f deg." % phi in text, "CBF start angle of image %d" % (i + 1))
        expect("Angle_increment 0.5000 deg." in text, "CBF angle increment")
        expect(close(h["WAVELENGTH"], 1.1), "SMV wavelength %s" % h["WAVELENGTH"])
        expect(close(h["DISTANCE"], 90), "SMV distance %s" % h["DISTANCE"])
        expect(close(h["PHI"], phi), "SMV phi %s of image %d" % (h["PHI"], i + 1))
        expect(close(omega[i], phi), "NeXus omega %s of image %d" % (omega[i], i + 1))

if failures:
    sys.exit("%d check(s) failed" % len(failures))
print("SMV, miniCBF and NeXus agree on 3 images")
