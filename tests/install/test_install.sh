#!/bin/sh
# test_install.sh BUILD_DIR SOURCE_DIR: install the build into a scratch directory, then
# build docs/example/simulate.c against the installed tree with pkg-config alone and run
# it; check the SONAME, the installed header set, the man page and the installed program.
set -eu
build=$1
src=$2
tmp=$(mktemp -d /tmp/nbcl-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "meson install failed"; }
pc=$(find "$tmp/root" -name nbcl.pc | head -n 1)
[ -n "$pc" ] || fail "nbcl.pc was not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")"
# the .pc names the configured prefix; the files are under the scratch directory
prefix=$(pkg-config --variable=prefix nbcl) || fail "pkg-config cannot read nbcl.pc"
pc() { pkg-config --define-variable=prefix="$tmp/root$prefix" "$@" nbcl; }
cflags=$(pc --cflags) || fail "pkg-config --cflags nbcl"
libs=$(pc --libs) || fail "pkg-config --libs nbcl"
libdir=$(pc --variable=libdir)
includedir=$(pc --variable=includedir)
case "$libdir" in "$tmp"/*) ;; *) fail "pkg-config libdir $libdir is not in the installed tree" ;; esac

# the public header alone
headers=$(cd "$includedir" && find nbcl -type f | sort | tr '\n' ' ')
[ "$headers" = "nbcl/nbcl.h " ] || fail "installed headers are '$headers', want only nbcl/nbcl.h"

# versioned SONAME
soname=$(readelf -d "$libdir/libnbcl.so" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
[ "$soname" = "libnbcl.so.0" ] || fail "SONAME is '$soname'"

# HDF5 and libcbf only in the formats module, installed beside the library
[ -f "$libdir/libnbcl-formats.so" ] || fail "libnbcl-formats.so is not installed in $libdir"
! readelf -d "$libdir/libnbcl.so" | grep -E "NEEDED.*(hdf5|cbf)" ||
    fail "libnbcl.so links HDF5 or libcbf itself (they belong in libnbcl-formats.so)"

# man page and documentation
find "$tmp/root" -path '*man1/nanobragg-cl.1' | grep -q . || fail "man page not installed"
find "$tmp/root" -path '*doc/nanobragg-cl/library.md' | grep -q . || fail "docs not installed"

# the example, built with nothing but what pkg-config says (plus the sanitizers, when the
# library was built with them: a sanitized library needs a sanitized program)
extra=""
if readelf -d "$libdir/libnbcl.so" | grep -q "NEEDED.*libasan"; then
    extra="-fsanitize=address,undefined"
fi
cc -std=c11 -Wall -Wextra -Werror $extra "$src/docs/example/simulate.c" $cflags $libs -o "$tmp/simulate" ||
    fail "the example does not build against the installed tree"
LD_LIBRARY_PATH="$libdir" "$tmp/simulate" "$tmp" >"$tmp/out.txt" 2>&1 ||
    { cat "$tmp/out.txt" >&2; fail "the example failed"; }
for i in 001 002 003; do
    size=$(stat -c %s "$tmp/image_$i.bin" 2>/dev/null || echo 0)
    [ "$size" -eq $((128 * 128 * 4)) ] || fail "image_$i.bin has $size bytes"
done
grep -q "image 3: phi 1.0-1.5 deg" "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; fail "unexpected output"; }

# the installed program runs from the installed library
bin=$(find "$tmp/root" -path '*bin/nanobragg-cl' | head -n 1)
LD_LIBRARY_PATH="$libdir" "$bin" -help | grep -q -- "-cache_dir" || fail "installed nanobragg-cl -help"
# the installed program finds the installed formats module by itself (beside libnbcl)
(cd "$tmp" && env -u NBCL_MODULE_DIR LD_LIBRARY_PATH="$libdir" "$bin" -default_F 100 -cell 100 100 100 90 90 90 \
    -N 5 -detpixels 16 -noprogress -nonoise -nopgm -floatfile /dev/null -intfile /dev/null \
    -cbffile inst.cbf -nexusfile inst.h5 >"$tmp/run.txt" 2>&1) ||
    { cat "$tmp/run.txt" >&2; fail "the installed nanobragg-cl did not write CBF and NeXus files"; }
[ -s "$tmp/inst.cbf" ] && [ -s "$tmp/inst.h5" ] || fail "inst.cbf or inst.h5 is missing or empty"
echo "installed tree OK: $(cat "$tmp/out.txt" | wc -l) images from the example"
