"""nanobragg_cl: nanoBragg-CL's diffraction simulator (libnbcl) from Python, images as numpy
arrays.

    import nanobragg_cl as nb
    exp = nb.Experiment(cell=(79, 79, 38, 90, 90, 90), N=10, default_F=100,
                        wavelength_A=1.0, distance_mm=200, detector_pixels=512, pixel_mm=0.1)
    with nb.Engine(exp, device="cpu") as eng:
        image = eng.run(phi=0, osc=0.5)       # float32, shape (slow, fast), photons/pixel

Everything goes through libnbcl's public C API (nbcl.h) with ctypes; the library is found
through $NBCL_LIBRARY, pkg-config or ctypes.util.find_library.
"""
import ctypes
import dataclasses

from ._lib import lib, library_path, nbcl_device_desc
from .engine import Engine, NexusWriter, RunInfo, Stats, write_float
from .errors import (BuildError, FileError, InvalidInput, NbclError, NoDevice, OpenCLError,
                     OutOfMemory, StateError, check)
from .experiment import Experiment, args_help

__version__ = "0.3.0"

__all__ = ["Experiment", "Engine", "NexusWriter", "RunInfo", "Stats", "Device", "devices",
           "write_float", "args_help", "library_version", "library_path",
           "NbclError", "InvalidInput", "FileError", "NoDevice", "OpenCLError", "BuildError",
           "OutOfMemory", "StateError"]


def library_version():
    """"MAJOR.MINOR.PATCH" of the libnbcl loaded."""
    return lib.nbcl_version().decode()


@dataclasses.dataclass(frozen=True)
class Device:
    """One OpenCL device (nbcl_device_desc); index is what Engine(device=...) takes."""
    index: int
    platform_index: int
    device_index: int
    platform: str
    name: str
    version: str
    type: str
    compute_units: int
    global_mem: int
    max_alloc: int
    has_fp64: bool
    summary: str


def devices():
    """Every OpenCL device on the machine (NoDevice when there is no platform)."""
    arr, n = ctypes.POINTER(nbcl_device_desc)(), ctypes.c_int()
    check(lib.nbcl_devices_list(ctypes.byref(arr), ctypes.byref(n)))
    try:
        out = []
        for i in range(n.value):
            d = arr[i]
            out.append(Device(d.index, d.platform_index, d.device_index,
                              d.platform.decode(errors="replace"), d.name.decode(errors="replace"),
                              d.version.decode(errors="replace"), d.type.decode(),
                              d.compute_units, d.global_mem, d.max_alloc, bool(d.has_fp64),
                              d.summary.decode(errors="replace")))
        return out
    finally:
        lib.nbcl_devices_free(arr)
