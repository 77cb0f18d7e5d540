#!/usr/bin/env python3
"""check_layers.py SRC_DIR: every #include "layer/file.h" in src/ must name a layer at or
below the including file's layer (base -> io, model, device -> engine -> app), and the
nanobragg-cl program (src/app, except the developer tool nbcl-compare) may include only the
public header nbcl/nbcl.h and its own headers. No two source files may share a name.
Prints each violation and exits 1 if there is any."""
import os
import re
import sys

ALLOWED = {
    "base": {"base"},
    "io": {"base", "io"},
    "model": {"base", "model"},
    "device": {"base", "device"},
    "engine": {"base", "io", "model", "device", "engine"},
    "app": {"app"},
}
EXCEPTIONS = {("app", "compare_main.c"): {"app", "io", "base"}}   # nbcl-compare: a dev tool
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    src = sys.argv[1]
    bad = []
    names = {}
    for layer in sorted(os.listdir(src)):
        folder = os.path.join(src, layer)
        if not os.path.isdir(folder):
            continue
        if layer not in ALLOWED:
            bad.append("%s: not a known layer" % folder)
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".c", ".h")):
                continue
            names.setdefault(name, []).append(os.path.join(layer, name))
            allowed = EXCEPTIONS.get((layer, name), ALLOWED[layer])
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if target == "nbcl/nbcl.h":
                        continue
                    top = target.split("/")[0] if "/" in target else None
                    if top not in allowed:
                        bad.append("src/%s/%s:%d: includes \"%s\" (%s may use %s)"
                                   % (layer, name, lineno, target, layer, ", ".join(sorted(allowed))))
    for name, where in sorted(names.items()):
        if len(where) > 1:
            bad.append("%s: one name for %d files: %s" % (name, len(where), ", ".join(where)))
    for b in bad:
        print(b)
    print("layers: %s" % ("%d violation(s)" % len(bad) if bad else "OK"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
