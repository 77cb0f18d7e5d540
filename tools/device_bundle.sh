#!/bin/sh
# device_bundle.sh: pack what a lent GPU machine lacks to run a build made here (issue 12's
# gpu-check). Such a machine has the GPU's driver but none of this project's libraries,
# no OpenCL ICD loader and no clinfo, and cannot download them. This copies every shared
# library the build's programs need (except the C library itself, which is older here than
# there), the ICD loader and clinfo into one folder to carry beside the build;
# tools/device_env.sh, sourced there, points the programs at it and registers the
# machine's own OpenCL driver with the loader.
#
# Usage: tools/device_bundle.sh BUILD DEST [PROGRAM ...]
#   BUILD    a build directory (meson setup BUILD -Dmpi=disabled; meson compile -C BUILD)
#   DEST     the folder to fill (keep it out of git, e.g. /.gpu/ in .git/info/exclude)
#   PROGRAM  more programs whose libraries to copy, e.g. a reference binary built under /tmp
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILD DEST [PROGRAM ...]" >&2; exit 2; }
build=$1 dest=$2
shift 2
mkdir -p "$dest/lib" "$dest/bin"
clinfo=$(command -v clinfo || true)
[ -n "$clinfo" ] && cp -L "$clinfo" "$dest/bin/"
for p in "$build/nanobragg-cl" "$build/libnbcl.so.0" "$build/libnbcl-formats.so" "$build/nbcl-compare" \
         "$build/tests/golden/test_golden" $clinfo "$@"; do
    [ -e "$p" ] || { echo "device_bundle: $p: no such file (build first)" >&2; exit 1; }
    ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
    case ${lib##*/} in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libanl.so.*|libutil.so.*|ld-linux*|libnbcl.so.*) ;;
        *) cp -L "$lib" "$dest/lib/" ;;
    esac
done
echo "device_bundle: $(ls "$dest/lib" | wc -l) libraries, $(du -sh "$dest" | cut -f1) in $dest"
