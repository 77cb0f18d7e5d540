"""ctypes declarations of libnbcl's public API (include/nbcl/nbcl.h), and loading the library.

This module is the only place that knows the C side: every struct layout and every
function's argument and return types, written to match nbcl.h one for one (the tests check
the struct layouts against a C compiler and the prototypes against the header). Nothing
here computes physics; the rest of the package calls `lib.<function>`.

The library is found through $NBCL_LIBRARY (a path to libnbcl.so), else pkg-config's
libdir for `nbcl`, else ctypes.util.find_library("nbcl").
"""
import ctypes
import ctypes.util
import os
import subprocess
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int,
                    c_long, c_size_t, c_uint, c_uint16, c_uint64, c_void_p)

# the API version these declarations were written for (NBCL_VERSION_MAJOR/MINOR in nbcl.h)
API_MAJOR, API_MINOR = 0, 3

# enums are C ints
nbcl_status = c_int
nbcl_log_level = c_int
nbcl_shape = c_int
nbcl_precision = c_int
nbcl_request = c_int

# typedef void (*nbcl_log_fn)(void *user, nbcl_log_level level, const char *line);
nbcl_log_fn = CFUNCTYPE(None, c_void_p, nbcl_log_level, c_char_p)
nbcl_rows_fn = CFUNCTYPE(c_int, c_void_p, POINTER(c_float), c_int, c_int)


class nbcl_device_desc(Structure):
    _fields_ = [
        ("index", c_int), ("platform_index", c_int), ("device_index", c_int),
        ("platform", c_char * 256), ("name", c_char * 256), ("version", c_char * 128),
        ("type", c_char * 16),
        ("compute_units", c_uint),
        ("global_mem", c_uint64), ("max_alloc", c_uint64),
        ("has_fp64", c_int),
        ("summary", c_char * 768),
    ]


class nbcl_outputs(Structure):
    _fields_ = [
        ("floatfile", c_char_p), ("intfile", c_char_p), ("noisefile", c_char_p),
        ("pgmfile", c_char_p), ("pngfile", c_char_p),
        ("floatfile_given", c_int), ("intfile_given", c_int), ("noisefile_given", c_int),
        ("pgmfile_given", c_int),
        ("cbffile", c_char_p), ("nexusfile", c_char_p),
        ("dumpfile", c_char_p),
        ("png_log", c_int),
        ("intfile_scale", c_double), ("pgm_scale", c_double), ("adc_offset", c_double),
        ("printout", c_int),
        ("printout_fpixel", c_int), ("printout_spixel", c_int),
        ("progress", c_int),
        ("seed", c_long),
        ("no_effect", c_char_p * 8),
        ("n_no_effect", c_int),
        ("detectorfile", c_char_p),
        ("noisepngfile", c_char_p),
        ("timing", c_int),
    ]


class nbcl_engine_options(Structure):
    _fields_ = [
        ("device", c_char_p),
        ("precision", nbcl_precision),
        ("tile", c_int),
        ("progress", c_int),
        ("keep_pixel_details", c_int),
        ("cache_dir", c_char_p),
        ("device_slot", c_int),
        ("first_row", c_int),
        ("rows", c_int),
        ("kernel_binary", c_char_p),
        ("save_kernel_binary", c_char_p),
    ]


class nbcl_image_params(Structure):
    _fields_ = [
        ("phi_deg", c_double), ("osc_deg", c_double),
        ("set_misset", c_int), ("misset_deg", c_double * 3),
        ("random_misset", c_int), ("misset_seed", c_long),
        ("set_amat", c_int), ("amat", c_double * 9),
        ("set_umat", c_int), ("umat", c_double * 9),
        ("set_mosaic_seed", c_int), ("mosaic_seed", c_long),
        ("Na", c_double), ("Nb", c_double), ("Nc", c_double),
        ("fluence", c_double),
        ("lambda_A", c_double),
    ]


class nbcl_run_info(Structure):
    _fields_ = [
        ("fast", c_int), ("slow", c_int),
        ("solid_angle", c_double),
        ("interpolation_fallback", c_int),
        ("phi_deg", c_double), ("osc_deg", c_double),
        ("wavelength_A", c_double),
        ("seconds", c_double),
        ("reciprocal", c_double * 9),
    ]


class nbcl_timing(Structure):
    _fields_ = [
        ("platforms", c_double), ("device_setup", c_double), ("program", c_double),
        ("program_cached", c_int),
        ("tables", c_double), ("image_tables", c_double), ("kernels", c_double),
        ("readback", c_double), ("streaming", c_double), ("host", c_double),
        ("run", c_double), ("rows", c_double),
    ]


class nbcl_pixel_detail(Structure):
    _fields_ = [
        ("I", c_double), ("polar", c_double), ("omega", c_double), ("capture", c_double),
        ("stol", c_double), ("stol_from_angle", c_double),
        ("pos", c_double * 3), ("hkl", c_double * 3),
        ("F_cell", c_double), ("F_latt", c_double), ("I_per_step", c_double),
        ("pixel", c_double),
        ("a", c_double * 3), ("b", c_double * 3), ("c", c_double * 3),
    ]


class nbcl_image_stats(Structure):
    _fields_ = [
        ("max_I", c_double), ("max_I_x", c_double), ("max_I_y", c_double),
        ("mean", c_double), ("rms", c_double), ("rmsd", c_double),
        ("counted", c_long),
    ]


class nbcl_detector_response(Structure):
    _fields_ = [
        ("psf", c_int), ("psf_fwhm_mm", c_double), ("psf_radius", c_int),
        ("gain", c_double), ("readout_noise", c_double), ("calibration_noise", c_double),
        ("flicker_noise", c_double), ("calibration_seed", c_long),
    ]


STRUCTS = (nbcl_device_desc, nbcl_outputs, nbcl_engine_options, nbcl_image_params,
           nbcl_run_info, nbcl_timing, nbcl_pixel_detail, nbcl_image_stats,
           nbcl_detector_response)

_p = c_void_p                     # opaque handles: nbcl_experiment*, nbcl_engine*, ...
_pp = POINTER(c_void_p)           # their out-parameters
_fp = POINTER(c_float)
_u16p = POINTER(c_uint16)
_ip = POINTER(c_int)

# name: (restype, [argtypes]) -- in the order of nbcl.h
PROTOTYPES = {
    "nbcl_version": (c_char_p, []),
    "nbcl_status_name": (c_char_p, [nbcl_status]),
    "nbcl_last_error": (c_char_p, []),
    "nbcl_devices_list": (nbcl_status, [POINTER(POINTER(nbcl_device_desc)), _ip]),
    "nbcl_devices_free": (None, [POINTER(nbcl_device_desc)]),
    "nbcl_devices_prefetch": (None, []),
    "nbcl_devices_prefetch_wait": (None, []),
    "nbcl_experiment_create": (nbcl_status, [_pp]),
    "nbcl_experiment_destroy": (None, [_p]),
    "nbcl_experiment_set_log": (None, [_p, nbcl_log_fn, c_void_p]),
    "nbcl_experiment_parse_args": (nbcl_status, [_p, c_int, POINTER(c_char_p)]),
    "nbcl_experiment_request": (nbcl_request, [_p]),
    "nbcl_args_help": (c_char_p, []),
    "nbcl_experiment_set_cell": (nbcl_status, [_p] + [c_double] * 6),
    "nbcl_experiment_set_wavelength": (nbcl_status, [_p, c_double]),
    "nbcl_experiment_set_detector": (nbcl_status, [_p, c_int, c_int, c_double, c_double]),
    "nbcl_experiment_set_beam_center": (nbcl_status, [_p, c_double, c_double]),
    "nbcl_experiment_set_crystal_cells": (nbcl_status, [_p, c_double, c_double, c_double]),
    "nbcl_experiment_set_shape": (nbcl_status, [_p, nbcl_shape]),
    "nbcl_experiment_set_default_F": (nbcl_status, [_p, c_double]),
    "nbcl_experiment_set_structure_factors": (nbcl_status,
                                              [_p, c_size_t, _ip, POINTER(c_double)]),
    "nbcl_experiment_set_misset": (nbcl_status, [_p, c_double, c_double, c_double]),
    "nbcl_experiment_set_rotation": (nbcl_status, [_p, c_double, c_double, c_int]),
    "nbcl_experiment_set_mosaic": (nbcl_status, [_p, c_double, c_int]),
    "nbcl_experiment_set_fluence": (nbcl_status, [_p, c_double]),
    "nbcl_experiment_set_oversample": (nbcl_status, [_p, c_int]),
    "nbcl_detector_response_init": (None, [POINTER(nbcl_detector_response)]),
    "nbcl_experiment_set_detector_response": (nbcl_status, [_p, POINTER(nbcl_detector_response)]),
    "nbcl_experiment_resolve": (nbcl_status, [_p]),
    "nbcl_experiment_detector_size": (nbcl_status, [_p, _ip, _ip]),
    "nbcl_experiment_roi": (nbcl_status, [_p, _ip]),
    "nbcl_experiment_write_fdump": (nbcl_status, [_p, c_char_p]),
    "nbcl_experiment_outputs": (nbcl_status, [_p, POINTER(nbcl_outputs)]),
    "nbcl_engine_options_init": (None, [POINTER(nbcl_engine_options)]),
    "nbcl_engine_create": (nbcl_status, [_p, POINTER(nbcl_engine_options), _pp]),
    "nbcl_engine_destroy": (None, [_p]),
    "nbcl_image_params_init": (None, [POINTER(nbcl_image_params)]),
    "nbcl_experiment_series_length": (nbcl_status, [_p, _ip]),
    "nbcl_experiment_series_image": (nbcl_status,
                                     [_p, c_int, POINTER(nbcl_image_params), POINTER(c_long)]),
    "nbcl_engine_run": (nbcl_status, [_p, POINTER(nbcl_image_params), _fp, c_size_t]),
    "nbcl_engine_set_rows_callback": (nbcl_status, [_p, nbcl_rows_fn, c_void_p]),
    "nbcl_engine_run_info": (nbcl_status, [_p, POINTER(nbcl_run_info)]),
    "nbcl_engine_timing": (nbcl_status, [_p, POINTER(nbcl_timing)]),
    "nbcl_engine_pixel_detail": (nbcl_status, [_p, c_int, c_int, POINTER(nbcl_pixel_detail)]),
    "nbcl_engine_pixel_active": (c_int, [_p, c_int, c_int]),
    "nbcl_engine_image_stats": (nbcl_status, [_p, _fp, POINTER(nbcl_image_stats)]),
    "nbcl_engine_run_stats": (nbcl_status, [_p, POINTER(nbcl_image_stats)]),
    "nbcl_engine_counts": (nbcl_status, [_p, _fp, c_double, c_double, _u16p]),
    "nbcl_engine_noise": (nbcl_status,
                          [_p, _fp, c_long, c_double, _u16p, POINTER(c_double), _ip]),
    "nbcl_write_float_image": (nbcl_status, [c_char_p, _fp, c_size_t]),
    "nbcl_float_writer_open": (nbcl_status, [c_char_p, _pp]),
    "nbcl_float_writer_append": (nbcl_status, [_p, _fp, c_size_t]),
    "nbcl_float_writer_map": (nbcl_status, [_p, c_size_t, POINTER(_fp)]),
    "nbcl_float_writer_prefault": (nbcl_status, [_p, c_size_t, c_size_t]),
    "nbcl_devices_prefetch_busy": (c_int, []),
    "nbcl_float_writer_close": (nbcl_status, [_p]),
    "nbcl_float_writer_abort": (None, [_p]),
    "nbcl_engine_write_smv": (nbcl_status,
                              [_p, POINTER(nbcl_run_info), c_char_p, _u16p, c_int]),
    "nbcl_engine_write_smv_float": (nbcl_status, [_p, POINTER(nbcl_run_info), c_char_p, _fp,
                                                  c_double, c_double]),
    "nbcl_engine_write_cbf": (nbcl_status, [_p, POINTER(nbcl_run_info), c_char_p, _u16p]),
    "nbcl_engine_nexus_open": (nbcl_status, [_p, c_char_p, c_int, _pp]),
    "nbcl_nexus_writer_append": (nbcl_status, [_p, POINTER(nbcl_run_info), _u16p]),
    "nbcl_nexus_writer_close": (nbcl_status, [_p]),
    "nbcl_nexus_writer_abort": (None, [_p]),
    "nbcl_engine_write_pgm": (nbcl_status, [_p, c_char_p, _fp, c_double]),
    "nbcl_engine_write_png": (nbcl_status, [_p, c_char_p, _fp, c_int]),
    # output groups (all-or-nothing outputs) and temporaries removed on a fatal signal
    "nbcl_output_group_begin": (nbcl_status, []),
    "nbcl_output_group_commit": (nbcl_status, []),
    "nbcl_output_group_abort": (None, []),
    "nbcl_output_cleanup_on_signals": (nbcl_status, []),
}


def _pkg_config_libdir():
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "nbcl"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _candidates():
    """(where it came from, what to pass to CDLL), in the order they are tried"""
    env = os.environ.get("NBCL_LIBRARY")
    if env:
        return [("$NBCL_LIBRARY", env)]     # named explicitly: no silent fallback
    found = []
    libdir = _pkg_config_libdir()
    if libdir:
        for name in ("libnbcl.so.%d" % API_MAJOR, "libnbcl.so"):
            path = os.path.join(libdir, name)
            if os.path.exists(path):
                found.append(("pkg-config nbcl", path))
                break
    name = ctypes.util.find_library("nbcl")
    if name:
        found.append(("ctypes.util.find_library", name))
    return found


def load():
    """The loaded libnbcl with every prototype declared; ImportError when none is found."""
    tried = []
    for origin, path in _candidates():
        try:
            dll = ctypes.CDLL(path)      # CDLL: the GIL is released during every call
        except OSError as e:
            tried.append("%s (%s): %s" % (path, origin, e))
            continue
        missing = [n for n in PROTOTYPES if not hasattr(dll, n)]
        if missing:
            tried.append("%s (%s): not libnbcl %d.%d (missing %s)"
                         % (path, origin, API_MAJOR, API_MINOR, ", ".join(missing[:3])))
            continue
        for name, (restype, argtypes) in PROTOTYPES.items():
            fn = getattr(dll, name)
            fn.restype = restype
            fn.argtypes = argtypes
        version = dll.nbcl_version().decode()
        major = int(version.split(".")[0])
        if major != API_MAJOR:
            tried.append("%s (%s): libnbcl %s, but this package binds API %d.x"
                         % (path, origin, version, API_MAJOR))
            continue
        return dll, path
    detail = "; ".join(tried) if tried else (
        "$NBCL_LIBRARY is not set, `pkg-config --variable=libdir nbcl` found nothing and "
        "ctypes.util.find_library('nbcl') found nothing")
    raise ImportError("nanobragg_cl: cannot load libnbcl: %s. Install nanoBragg-CL "
                      "(meson install) or set NBCL_LIBRARY=/path/to/libnbcl.so" % detail)


lib, library_path = load()
