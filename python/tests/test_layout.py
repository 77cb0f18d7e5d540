"""The ctypes declarations against nbcl.h: every struct's size and field offsets as a C
compiler sees them (a tiny program compiled here with cc -I include), and every function
of the header declared with as many arguments. A layout drift fails loudly here instead of
corrupting memory."""
import ctypes
import os
import re
import shutil
import subprocess

import pytest

from _support import ROOT, need_library

need_library()
from nanobragg_cl import _lib  # noqa: E402

HEADER_DIR = os.environ.get("NBCL_INCLUDE_DIR") or str(ROOT / "include")
HEADER = os.path.join(HEADER_DIR, "nbcl", "nbcl.h")


def c_layout(tmp_path):
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip("no C compiler (%s) to check the struct layouts" % cc)
    if not os.path.exists(HEADER):
        pytest.skip("nbcl.h not found at %s (set NBCL_INCLUDE_DIR)" % HEADER)
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include \"nbcl/nbcl.h\"",
             "int main(void) {"]
    for s in _lib.STRUCTS:
        lines.append('printf("%s sizeof %%zu\\n", sizeof(%s));' % (s.__name__, s.__name__))
        for name, _ in s._fields_:
            lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));'
                         % (s.__name__, name, s.__name__, name))
    lines += ["return 0;", "}"]
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text("\n".join(lines) + "\n")
    subprocess.run([cc, "-I", HEADER_DIR, str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {tuple(l.split()[:2]): int(l.split()[2]) for l in out.splitlines()}


def test_struct_layouts_match_the_header(tmp_path):
    c = c_layout(tmp_path)
    for s in _lib.STRUCTS:
        assert ctypes.sizeof(s) == c[(s.__name__, "sizeof")], s.__name__
        for name, _ in s._fields_:
            assert getattr(s, name).offset == c[(s.__name__, name)], (s.__name__, name)


def header_prototypes():
    text = open(HEADER).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    out = {}
    for m in re.finditer(r"NBCL_API\s+([^;{]*?)\b(nbcl_\w+)\s*\(([^)]*)\)\s*;", text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        n = 0 if params in ("", "void") else params.count(",") + 1
        out[name] = (ret, n)
    return out


def test_every_function_is_declared():
    if not os.path.exists(HEADER):
        pytest.skip("nbcl.h not found at %s (set NBCL_INCLUDE_DIR)" % HEADER)
    protos = header_prototypes()
    assert len(protos) > 40
    assert set(protos) == set(_lib.PROTOTYPES)
    for name, (ret, n) in protos.items():
        restype, argtypes = _lib.PROTOTYPES[name]
        assert len(argtypes) == n, name
        assert (restype is None) == (ret == "void"), name
        fn = getattr(_lib.lib, name)
        assert fn.argtypes == argtypes and fn.restype == restype, name
