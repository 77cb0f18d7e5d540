"""Engine: devices, built kernels and uploaded tables, made once (nbcl_engine); images as
numpy arrays, and the library's image helpers and file writers.

Images are float32 arrays of shape (slow, fast), photons per pixel; counts are uint16.
Calls that change or read the engine's last run are serialized by a lock; the image
helpers and writers only read what the engine was made with, so (as in nanobragg-cl's own
writer thread) an image may be written while the engine simulates the next.
"""
import ctypes
import dataclasses
import os
import weakref

import numpy as np

from ._handle import Handle
from ._lib import (lib, nbcl_engine_options, nbcl_image_params, nbcl_image_stats, nbcl_rows_fn,
                   nbcl_pixel_detail, nbcl_run_info, nbcl_timing)
from .errors import InvalidInput, check
from .experiment import Experiment

PRECISIONS = {"auto": 0, "double": 1, "single": 2}
_F = ctypes.POINTER(ctypes.c_float)
_U16 = ctypes.POINTER(ctypes.c_uint16)


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """About one run (nbcl_run_info); pass it to the writers for that image's header."""
    fast: int
    slow: int
    solid_angle: float
    interpolation_fallback: bool
    phi_deg: float
    osc_deg: float
    wavelength_A: float
    seconds: float
    reciprocal: tuple            # a*, b*, c* (1/A), row-major 3x3
    seed: int = None             # the noise seed of a series image (as -seed takes it)
    raw: nbcl_run_info = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def _from(cls, s, seed=None):
        copy = nbcl_run_info.from_buffer_copy(s)
        return cls(s.fast, s.slow, s.solid_angle, bool(s.interpolation_fallback), s.phi_deg,
                   s.osc_deg, s.wavelength_A, s.seconds, tuple(s.reciprocal), seed, copy)


@dataclasses.dataclass(frozen=True)
class Stats:
    """nanoBragg's statistics over the ROI and mask (nbcl_image_stats)."""
    max_I: float
    max_I_x: float
    max_I_y: float
    mean: float
    rms: float
    rmsd: float
    counted: int


def _image_arg(image, npix, what="image"):
    a = np.ascontiguousarray(image, dtype=np.float32)
    if a.size != npix:
        raise InvalidInput("%s: %d values, the detector has %d pixels" % (what, a.size, npix), 1)
    return a


def write_float(path, image):
    """nanoBragg's float image file: raw float32 values, fast index fastest."""
    a = np.ascontiguousarray(image, dtype=np.float32)
    check(lib.nbcl_write_float_image(os.fsencode(path), a.ctypes.data_as(_F), a.size))


class Engine(Handle):
    """Engine(experiment, device=None, precision="auto", tile=0, cache_dir=None,
    progress=False, keep_pixel_details=None, log=None): made once, runs many images.

    experiment: an Experiment, or flags for one (log: its callback). device: a SPEC as -device takes it
    ("cpu", "gpu", "0:1", "all", a name part) or a global index; None: the experiment's
    -device, else $NBCL_DEVICE, else the first GPU, else the first device. progress:
    the library's progress lines on stderr; keep_pixel_details: what pixel_detail needs
    (None: the experiment's -printout).
    """
    _kind = "engine"

    def __init__(self, experiment, device=None, precision="auto", tile=0, cache_dir=None,
                 progress=False, keep_pixel_details=None, log=None):
        if not isinstance(experiment, Experiment):
            experiment = Experiment(experiment, log=log)
        elif log is not None:
            raise InvalidInput("log: give it to the Experiment", 1)
        if precision not in PRECISIONS:
            raise InvalidInput("precision: one of %s" % ", ".join(PRECISIONS), 1)
        opts = nbcl_engine_options()
        lib.nbcl_engine_options_init(ctypes.byref(opts))
        keep = []
        if device is not None:
            keep.append(str(device).encode())
            opts.device = keep[-1]
        opts.precision = PRECISIONS[precision]
        opts.tile = int(tile)
        opts.progress = -1 if progress is None else int(bool(progress))
        opts.keep_pixel_details = -1 if keep_pixel_details is None else int(keep_pixel_details)
        if cache_dir is not None:
            keep.append(os.fsencode(cache_dir))
            opts.cache_dir = keep[-1]
        ptr = ctypes.c_void_p()
        with experiment._lock:
            check(lib.nbcl_engine_create(experiment._handle(), ctypes.byref(opts),
                                         ctypes.byref(ptr)))
        # the engine calls the experiment's log callback: keep it as long as the engine
        self._own(ptr, self._destroy_with(lib.nbcl_engine_destroy), experiment._log)
        self.detector_size = experiment.detector_size        # (fast, slow)
        self.shape = self.detector_size[::-1]                # (slow, fast)
        self.npix = self.shape[0] * self.shape[1]
        self.outputs = experiment.outputs()
        self._writers = weakref.WeakSet()                    # open NeXus writers
        self._series = []                                    # (params, seed) per image
        for i in range(experiment.series_length()):
            p, seed = nbcl_image_params(), ctypes.c_long()
            check(lib.nbcl_experiment_series_image(experiment._handle(), i, ctypes.byref(p),
                                                   ctypes.byref(seed)))
            self._series.append((p, seed.value))

    def close(self):
        """Free the engine now (idempotent); aborts its NeXus writers still open."""
        with self._lock:
            for w in list(self._writers):
                w.abort()
            super().close()

    # ---------------------------------------------------------------- images

    @staticmethod
    def params(phi=None, osc=None, misset=None, umat=None, amat=None, N=None, fluence=None,
               wavelength_A=None, mosaic_seed=None, random_misset_seed=None):
        """nbcl_image_params for one image; None everywhere means "as the experiment"."""
        p = nbcl_image_params()
        lib.nbcl_image_params_init(ctypes.byref(p))
        if phi is not None:
            p.phi_deg = float(phi)
        if osc is not None:
            p.osc_deg = float(osc)
        if misset is not None:
            p.set_misset, p.misset_deg[:] = 1, [float(x) for x in misset]
        if random_misset_seed is not None:
            p.random_misset, p.misset_seed = 1, int(random_misset_seed)
        for name, m in (("umat", umat), ("amat", amat)):
            if m is not None:
                flat = np.asarray(m, dtype=np.float64).reshape(9)
                setattr(p, "set_" + name, 1)
                getattr(p, name)[:] = [float(x) for x in flat]
        if mosaic_seed is not None:
            p.set_mosaic_seed, p.mosaic_seed = 1, int(mosaic_seed)
        if N is not None:
            n = (N,) * 3 if np.ndim(N) == 0 else tuple(N)
            p.Na, p.Nb, p.Nc = (float(x) for x in n)
        if fluence is not None:
            p.fluence = float(fluence)
        if wavelength_A is not None:
            p.lambda_A = float(wavelength_A)
        return p

    def run(self, phi=None, osc=None, misset=None, umat=None, N=None, fluence=None,
            wavelength_A=None, mosaic_seed=None, *, amat=None, random_misset_seed=None,
            params=None, out=None, on_rows=None):
        """Simulate one image: a float32 array (slow, fast). Keywords change this image only
        (phi/osc/misset in degrees, umat/amat 3x3 row-major, N one or three numbers,
        fluence in photons/m^2); params: an nbcl_image_params instead; out: an array to fill.
        on_rows(rows, first_row): called as rows of the image are finished, while the device
        computes the next tiles (from a thread of the engine's), with a view of those rows
        (final values), in order, every row once; an exception raised there stops the run
        and is raised again by run()."""
        if params is None:
            params = self.params(phi, osc, misset, umat, amat, N, fluence, wavelength_A,
                                 mosaic_seed, random_misset_seed)
        if out is None:
            out = np.empty(self.shape, dtype=np.float32)
        elif (out.dtype != np.float32 or out.size != self.npix
              or not out.flags.c_contiguous or not out.flags.writeable):
            raise InvalidInput("out: a writeable C-contiguous float32 array of %d values"
                               % self.npix, 1)
        callback, failures = None, []
        if on_rows is not None:
            rows_of = out.reshape(self.shape)

            def _rows(_user, _image, first, n):
                try:
                    on_rows(rows_of[first:first + n], first)
                    return 0
                except BaseException as e:   # stops the run; raised again below
                    failures.append(e)
                    return 1
            callback = nbcl_rows_fn(_rows)
        with self._lock:
            if callback is not None:
                check(lib.nbcl_engine_set_rows_callback(self._handle(), callback, None))
            try:
                status = lib.nbcl_engine_run(self._handle(), ctypes.byref(params),
                                             out.ctypes.data_as(_F), out.size)
            finally:
                if callback is not None:   # a NULL callback: the next runs have none
                    lib.nbcl_engine_set_rows_callback(self._handle(), nbcl_rows_fn(), None)
            if failures:
                raise failures[0]
            check(status)
        return out

    def info(self):
        """RunInfo of the last run."""
        s = nbcl_run_info()
        with self._lock:
            check(lib.nbcl_engine_run_info(self._handle(), ctypes.byref(s)))
        return RunInfo._from(s)

    def timing(self):
        """Where the time went (nbcl_timing, as -timing prints it): a dict of seconds for
        the engine's set-up (platforms, device_setup, program, tables) and the last run's phases
        (image_tables, kernels, readback, streaming, host, run, and rows: the host work on
        rows as they were finished, within streaming), and program_cached."""
        t = nbcl_timing()
        with self._lock:
            check(lib.nbcl_engine_timing(self._handle(), ctypes.byref(t)))
        return {name: getattr(t, name) for name, _ in nbcl_timing._fields_}

    def sweep(self, n=None, start=None, osc=None, with_info=False):
        """Yield n images, image i covering start + i*osc to start + (i+1)*osc degrees (start,
        osc: the experiment's -phi and -osc when None). n None: the experiment's own series
        (-nimages, -shots, else its one image). with_info: yield (image, RunInfo) pairs; a
        series image's RunInfo carries its noise seed."""
        if n is None:
            for params, seed in self._series:
                img = self.run(params=params)
                yield (img, RunInfo._from(self.info().raw, seed)) if with_info else img
            return
        for i in range(int(n)):
            if i > 0:
                img = self.run(phi=start + i * osc, osc=osc)
            else:   # image 0 states the experiment's rotation where start or osc is None
                img = self.run(phi=start, osc=osc)
                first = self.info()
                start = first.phi_deg if start is None else float(start)
                osc = first.osc_deg if osc is None else float(osc)
            yield (img, self.info()) if with_info else img

    # ---------------------------------------------------------------- helpers

    def stats(self, image):
        """nanoBragg's max_I (and where, in m), mean, rms, rmsd over the ROI and mask."""
        a = _image_arg(image, self.npix)
        st = nbcl_image_stats()
        check(lib.nbcl_engine_image_stats(self._handle(), a.ctypes.data_as(_F), ctypes.byref(st)))
        return Stats(*(getattr(st, f) for f, _ in nbcl_image_stats._fields_))

    def run_stats(self):
        """stats() of the last run's image, gathered while it was made (no pass over it but
        the rmsd's; the same numbers, bit for bit)."""
        st = nbcl_image_stats()
        with self._lock:
            check(lib.nbcl_engine_run_stats(self._handle(), ctypes.byref(st)))
        return Stats(*(getattr(st, f) for f, _ in nbcl_image_stats._fields_))

    def counts(self, image, scale, adc=40.0):
        """SMV counts: floor(value * scale + adc), clipped to 16 bits, 0 outside the ROI."""
        a = _image_arg(image, self.npix)
        c = np.empty(self.shape, dtype=np.uint16)
        check(lib.nbcl_engine_counts(self._handle(), a.ctypes.data_as(_F), float(scale),
                                     float(adc), c.ctypes.data_as(_U16)))
        return c

    def noise(self, image, seed, adc=40.0, full=False):
        """nanoBragg's noise image (Poisson photons plus adc) for seed (as -seed takes it):
        uint16 counts, or (counts, photons, overloads) with full=True."""
        a = _image_arg(image, self.npix)
        c = np.empty(self.shape, dtype=np.uint16)
        photons, overloads = ctypes.c_double(), ctypes.c_int()
        check(lib.nbcl_engine_noise(self._handle(), a.ctypes.data_as(_F), int(seed), float(adc),
                                    c.ctypes.data_as(_U16), ctypes.byref(photons),
                                    ctypes.byref(overloads)))
        return (c, photons.value, overloads.value) if full else c

    def pixel_detail(self, fast, slow):
        """What -printout shows for a pixel of the last run (needs keep_pixel_details)."""
        d = nbcl_pixel_detail()
        with self._lock:
            check(lib.nbcl_engine_pixel_detail(self._handle(), int(fast), int(slow),
                                               ctypes.byref(d)))
        return {f: (tuple(getattr(d, f)) if isinstance(getattr(d, f), ctypes.Array)
                    else getattr(d, f)) for f, _ in nbcl_pixel_detail._fields_}

    def pixel_active(self, fast, slow):
        """Is this pixel simulated (inside the ROI and not masked)?"""
        return bool(lib.nbcl_engine_pixel_active(self._handle(), int(fast), int(slow)))

    # ---------------------------------------------------------------- files

    def _run_arg(self, info):
        return ctypes.byref((info or self.info()).raw)

    def _counts_arg(self, counts):
        c = np.ascontiguousarray(counts)
        if c.dtype != np.uint16 or c.size != self.npix:
            raise InvalidInput("counts: a uint16 array of %d values" % self.npix, 1)
        return c

    def write_float(self, path, image):
        """nanoBragg's float image file."""
        write_float(path, _image_arg(image, self.npix))

    def write_smv(self, path, counts, info=None, noise=False):
        """An SMV image of counts; the header states the geometry and info's rotation (None:
        the last run's). noise: a noise image's header."""
        c = self._counts_arg(counts)
        run = self._run_arg(info)
        check(lib.nbcl_engine_write_smv(self._handle(), run, os.fsencode(path),
                                        c.ctypes.data_as(_U16), int(bool(noise))))

    def write_smv_image(self, path, image, scale, adc=40.0, info=None):
        """The SMV image of a float image, as counts(image, scale, adc) then write_smv would
        write it, converted row block by row block (no integer image is held)."""
        a = _image_arg(image, self.npix)
        run = self._run_arg(info)
        check(lib.nbcl_engine_write_smv_float(self._handle(), run, os.fsencode(path),
                                              a.ctypes.data_as(_F), float(scale), float(adc)))

    def write_cbf(self, path, counts, info=None):
        """A Pilatus-style miniCBF of counts (refused for a tilted detector: use NeXus)."""
        c = self._counts_arg(counts)
        run = self._run_arg(info)
        check(lib.nbcl_engine_write_cbf(self._handle(), run, os.fsencode(path),
                                        c.ctypes.data_as(_U16)))

    def write_pgm(self, path, image, scale):
        """nanoBragg's PGM picture of image at this scale."""
        a = _image_arg(image, self.npix)
        check(lib.nbcl_engine_write_pgm(self._handle(), os.fsencode(path), a.ctypes.data_as(_F),
                                        float(scale)))

    def write_png(self, path, image, log=False):
        """An 8-bit PNG preview (log: a logarithmic scale)."""
        a = _image_arg(image, self.npix)
        check(lib.nbcl_engine_write_png(self._handle(), os.fsencode(path), a.ctypes.data_as(_F),
                                        int(bool(log))))

    def nexus(self, path, expected_images=0):
        """A NexusWriter for one NeXus/NXmx file of a series (use it with `with`)."""
        return NexusWriter(self, path, expected_images)


class NexusWriter(Handle):
    """A NeXus/NXmx series file: append(counts, info) per image, then close() (renamed
    into place) or abort() (nothing left). As a context manager it closes, or aborts when
    the block raises; garbage collected unclosed, it aborts."""
    _kind = "NeXus writer"

    def __init__(self, engine, path, expected_images=0):
        ptr = ctypes.c_void_p()
        check(lib.nbcl_engine_nexus_open(engine._handle(), os.fsencode(path),
                                         int(expected_images), ctypes.byref(ptr)))
        self._engine = engine
        self.path = os.fspath(path)
        # the writer points at the engine: the finalizer keeps the engine alive
        self._own(ptr, self._destroy_with(lib.nbcl_nexus_writer_abort), engine)
        engine._writers.add(self)

    def append(self, counts, info=None):
        """Add an image: its counts and its RunInfo (None: the engine's last run)."""
        self._engine._handle()          # the engine must still be open
        c = self._engine._counts_arg(counts)
        run = self._engine._run_arg(info)
        with self._lock:
            check(lib.nbcl_nexus_writer_append(self._handle(), run, c.ctypes.data_as(_U16)))

    def close(self):
        """Finish the file and rename it into place (idempotent)."""
        with self._lock:
            if self._finalizer.detach() is None:
                return
            check(lib.nbcl_nexus_writer_close(self._ptr))

    def abort(self):
        """Remove the file being written (idempotent)."""
        with self._lock:
            self._finalizer()

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
