"""Shared by the tests: where the library, program, golden cases and header are, running
nanobragg-cl in a scratch directory, and reading its float and SMV files. Skips (with the
reason) when $NBCL_LIBRARY or $NBCL_BIN is not set."""
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]          # the source tree


def need_library():
    if not os.environ.get("NBCL_LIBRARY"):
        pytest.skip("NBCL_LIBRARY is not set (path to libnbcl.so)", allow_module_level=True)


def need_program():
    path = os.environ.get("NBCL_BIN")
    if not path:
        pytest.skip("NBCL_BIN is not set (path to the nanobragg-cl program)")
    return os.path.abspath(path)


def golden_dir():
    return Path(os.environ.get("NBCL_GOLDEN_DIR") or ROOT / "golden")


def golden_args(case):
    """the arguments of golden case `case` (golden/cases.tsv), as a list"""
    path = golden_dir() / "cases.tsv"
    if not path.exists():
        pytest.skip("no golden cases at %s (set NBCL_GOLDEN_DIR)" % path)
    for line in path.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] == case:
            return shlex.split(fields[2])
    raise KeyError(case)


def copy_inputs(dest):
    """the golden inputs (less Fdump.bin) into dest, as the golden runner does"""
    for f in (golden_dir() / "inputs").iterdir():
        if f.name != "Fdump.bin":
            shutil.copy(f, dest)


def run_program(args, cwd):
    """run nanobragg-cl with args in cwd; its stdout"""
    proc = subprocess.run([need_program()] + list(args) + ["-noprogress"], cwd=str(cwd),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def read_float(path, shape):
    return np.fromfile(str(path), dtype="<f4").reshape(shape)


def read_smv(path):
    """(header dict, uint16 pixels (slow, fast)) of an SMV file"""
    raw = Path(path).read_bytes()
    head = raw[:raw.index(b"}")].decode()
    keys = dict(item.strip().split("=", 1) for item in head.strip("{\n").split(";")
                if "=" in item)
    keys = {k.strip(): v.strip() for k, v in keys.items()}
    order = "<" if keys.get("BYTE_ORDER", "little_endian") == "little_endian" else ">"
    n = int(keys["HEADER_BYTES"])
    fast, slow = int(keys["SIZE1"]), int(keys["SIZE2"])
    pixels = np.frombuffer(raw[n:n + 2 * fast * slow], dtype=order + "u2").reshape(slow, fast)
    return keys, pixels


def same_bits(a, b):
    """equal bit for bit (float32)"""
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))
