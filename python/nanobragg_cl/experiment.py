"""Experiment: a nanoBragg run described by flags and/or keyword arguments (nbcl_experiment).

Keywords map onto the nbcl_experiment_set_* setters; a group a setter needs whole
(detector, rotation, mosaic) that is given only in part goes through the equivalent
nanoBragg flags instead, so nanoBragg's own defaults fill the rest. HKL files are named
with -hkl: the library reads every file.
"""
import ctypes
import os
import shlex

import numpy as np

from ._handle import Handle
from ._lib import lib, nbcl_detector_response, nbcl_log_fn, nbcl_outputs
from .errors import InvalidInput, check

SHAPES = {"square": 0, "round": 1, "gauss": 2, "tophat": 3}
_REQUESTS = {0: "run", 1: "help", 2: "list_devices"}


def args_help():
    """The flag table that -help prints."""
    return lib.nbcl_args_help().decode()


def _split(args):
    if args is None:
        return []
    if isinstance(args, (str, bytes)):
        return shlex.split(args.decode() if isinstance(args, bytes) else args)
    return [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]


def _num(x):
    return repr(float(x)) if isinstance(x, float) else str(x)


def _triple(v, what):
    if np.ndim(v) == 0:
        return (float(v),) * 3
    t = tuple(float(x) for x in v)
    if len(t) != 3:
        raise InvalidInput("%s: one number or three" % what, 1)
    return t


def make_log_callback(log):
    """a ctypes callback calling log(level, line); level is 'info' or 'warning'"""
    if log is None:
        return None

    def call(user, level, line):
        log("warning" if level == 1 else "info", line.decode(errors="replace"))
    return nbcl_log_fn(call)


class Experiment(Handle):
    """A nanoBragg experiment. Experiment("-cell 79 79 38 90 90 90 -N 10") or keywords:

    cell=(a, b, c, alpha, beta, gamma), wavelength_A, distance_mm, pixel_mm,
    detector_pixels=N or (fast, slow), beam_center_mm=(Xbeam, Ybeam), N=n or (Na, Nb, Nc),
    default_F, hkl=path or array of rows (h, k, l, F), misset_deg=(x, y, z) or "random",
    phi_deg, osc_deg, phisteps, mosaic_deg, mosaic_domains, fluence, oversample,
    shape="square"|"round"|"gauss"|"tophat", log=callable(level, line).
    Flags (args) come first; keywords override them.
    """
    _kind = "experiment"

    def __init__(self, args=None, *, cell=None, wavelength_A=None, distance_mm=None,
                 pixel_mm=None, detector_pixels=None, beam_center_mm=None, N=None,
                 default_F=None, hkl=None, misset_deg=None, phi_deg=None, osc_deg=None,
                 phisteps=None, mosaic_deg=None, mosaic_domains=None, fluence=None,
                 oversample=None, shape=None, log=None):
        ptr = ctypes.c_void_p()
        check(lib.nbcl_experiment_create(ctypes.byref(ptr)))
        self._log = make_log_callback(log)      # the engine copies it: keep it alive
        self._own(ptr, self._destroy_with(lib.nbcl_experiment_destroy), self._log)
        if self._log is not None:
            lib.nbcl_experiment_set_log(ptr, self._log, None)

        flags = _split(args)
        setters = []
        if hkl is not None:
            if isinstance(hkl, (str, bytes, os.PathLike)):
                flags += ["-hkl", os.fsdecode(hkl)]
            else:
                setters.append(lambda: self.set_structure_factors(hkl))
        # groups one setter takes whole: the setter when complete, else nanoBragg's flags
        if detector_pixels is not None and np.ndim(detector_pixels) == 0:
            detector_pixels = (detector_pixels, detector_pixels)
        det = (detector_pixels, pixel_mm, distance_mm)
        if all(v is not None for v in det):
            (f, s) = detector_pixels
            setters.append(lambda: check(lib.nbcl_experiment_set_detector(
                ptr, int(f), int(s), float(pixel_mm), float(distance_mm))))
        else:
            if detector_pixels is not None:
                flags += ["-detpixels_f", str(int(detector_pixels[0])),
                          "-detpixels_s", str(int(detector_pixels[1]))]
            if pixel_mm is not None:
                flags += ["-pixel", _num(float(pixel_mm))]
            if distance_mm is not None:
                flags += ["-distance", _num(float(distance_mm))]
        if None not in (phi_deg, osc_deg, phisteps):
            setters.append(lambda: check(lib.nbcl_experiment_set_rotation(
                ptr, float(phi_deg), float(osc_deg), int(phisteps))))
        else:
            for flag, v in (("-phi", phi_deg), ("-osc", osc_deg), ("-phisteps", phisteps)):
                if v is not None:
                    flags += [flag, _num(v)]
        if None not in (mosaic_deg, mosaic_domains):
            setters.append(lambda: check(lib.nbcl_experiment_set_mosaic(
                ptr, float(mosaic_deg), int(mosaic_domains))))
        else:
            if mosaic_deg is not None:
                flags += ["-mosaic", _num(float(mosaic_deg))]
            if mosaic_domains is not None:
                flags += ["-mosaic_dom", str(int(mosaic_domains))]
        if isinstance(misset_deg, str):
            if misset_deg != "random":
                raise InvalidInput("misset_deg: three angles or 'random'", 1)
            flags += ["-misset", "random"]
            misset_deg = None

        def single(fn, *v):
            setters.append(lambda: check(fn(ptr, *v)))
        if cell is not None:
            c = tuple(float(x) for x in cell)
            if len(c) != 6:
                raise InvalidInput("cell: six numbers (a b c alpha beta gamma)", 1)
            single(lib.nbcl_experiment_set_cell, *c)
        if wavelength_A is not None:
            single(lib.nbcl_experiment_set_wavelength, float(wavelength_A))
        if beam_center_mm is not None:
            x, y = beam_center_mm
            single(lib.nbcl_experiment_set_beam_center, float(x), float(y))
        if N is not None:
            single(lib.nbcl_experiment_set_crystal_cells, *_triple(N, "N"))
        if shape is not None:
            if shape not in SHAPES:
                raise InvalidInput("shape: one of %s" % ", ".join(SHAPES), 1)
            single(lib.nbcl_experiment_set_shape, SHAPES[shape])
        if default_F is not None:
            single(lib.nbcl_experiment_set_default_F, float(default_F))
        if misset_deg is not None:
            single(lib.nbcl_experiment_set_misset, *_triple(misset_deg, "misset_deg"))
        if fluence is not None:
            single(lib.nbcl_experiment_set_fluence, float(fluence))
        if oversample is not None:
            single(lib.nbcl_experiment_set_oversample, int(oversample))

        if flags:
            self.parse_args(flags)
        for apply in setters:
            apply()

    @classmethod
    def from_args(cls, args, log=None):
        """An experiment from nanoBragg's flags: a string (split as a shell would) or a list."""
        return cls(args, log=log)

    def parse_args(self, args):
        """More flags (a string or a list), as nbcl_experiment_parse_args matches them."""
        argv = [a.encode() for a in _split(args)]
        arr = (ctypes.c_char_p * max(len(argv), 1))(*argv)
        with self._lock:
            check(lib.nbcl_experiment_parse_args(self._handle(), len(argv), arr))

    def set_structure_factors(self, table):
        """Structure factors from an array of rows (h, k, l, F) (h, k, l integers)."""
        t = np.asarray(table, dtype=np.float64)
        if t.ndim != 2 or t.shape[1] != 4:
            raise InvalidInput("hkl: an array of rows (h, k, l, F), shape (n, 4)", 1)
        hkl = t[:, :3]
        if not np.all(hkl == np.round(hkl)):
            raise InvalidInput("hkl: h, k and l must be integers", 1)
        hkl = np.ascontiguousarray(hkl, dtype=np.intc)
        F = np.ascontiguousarray(t[:, 3], dtype=np.float64)
        with self._lock:
            check(lib.nbcl_experiment_set_structure_factors(
                self._handle(), len(F), hkl.ctypes.data_as(ctypes.POINTER(ctypes.c_int)),
                F.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))

    def set_detector_response(self, psf=None, psf_fwhm_mm=0.0, psf_radius=0, gain=1.0,
                              readout_noise=0.0, calibration_noise_pct=0.0,
                              flicker_noise_pct=0.0, calibration_seed=123456789):
        """The detector response of the noise image (docs/detector-response.md): psf
        'gauss' or 'fiber' (None: none), its FWHM in mm and kernel radius in pixels (0:
        automatic), gain (ADU/photon), read-out noise (ADU), calibration and flicker noise (%)."""
        shapes = {None: 0, "gauss": 1, "fiber": 2}
        if psf not in shapes:
            raise InvalidInput("psf: None, 'gauss' or 'fiber'", 1)
        r = nbcl_detector_response()
        lib.nbcl_detector_response_init(ctypes.byref(r))
        r.psf, r.psf_fwhm_mm, r.psf_radius = shapes[psf], float(psf_fwhm_mm), int(psf_radius)
        r.gain, r.readout_noise = float(gain), float(readout_noise)
        r.calibration_noise = float(calibration_noise_pct) / 100.0
        r.flicker_noise = float(flicker_noise_pct) / 100.0
        r.calibration_seed = int(calibration_seed)
        with self._lock:
            check(lib.nbcl_experiment_set_detector_response(self._handle(), ctypes.byref(r)))

    @property
    def request(self):
        """'run', 'help' or 'list_devices': what the flags asked for."""
        return _REQUESTS.get(lib.nbcl_experiment_request(self._handle()), "run")

    def resolve(self):
        """Read the named files and apply nanoBragg's defaults (done by Engine otherwise)."""
        with self._lock:
            check(lib.nbcl_experiment_resolve(self._handle()))
        return self

    @property
    def detector_size(self):
        """(fast, slow) pixels; resolves the experiment."""
        self.resolve()
        f, s = ctypes.c_int(), ctypes.c_int()
        check(lib.nbcl_experiment_detector_size(self._handle(), ctypes.byref(f), ctypes.byref(s)))
        return f.value, s.value

    @property
    def shape(self):
        """the numpy shape of an image, (slow, fast); resolves the experiment."""
        f, s = self.detector_size
        return s, f

    def series_length(self):
        """How many images -nimages / -shots ask for (1 otherwise); resolves the experiment."""
        self.resolve()
        n = ctypes.c_int()
        check(lib.nbcl_experiment_series_length(self._handle(), ctypes.byref(n)))
        return n.value

    def outputs(self):
        """The files and output settings the flags asked for, as a dict."""
        o = nbcl_outputs()
        with self._lock:
            check(lib.nbcl_experiment_outputs(self._handle(), ctypes.byref(o)))
        d = {}
        for name, _ in nbcl_outputs._fields_:
            v = getattr(o, name)
            if isinstance(v, bytes):
                v = os.fsdecode(v)
            d[name] = v
        d["no_effect"] = [x.decode() for x in list(o.no_effect)[:o.n_no_effect]]
        del d["n_no_effect"]
        return d

    def write_fdump(self, path):
        """Write the structure factors as nanoBragg's Fdump.bin (resolves the experiment)."""
        self.resolve()
        check(lib.nbcl_experiment_write_fdump(self._handle(), os.fsencode(path)))
