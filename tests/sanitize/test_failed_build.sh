#!/bin/sh
# test_failed_build.sh: nanobragg-cl ($NBCL_BIN) on a complete kernel directory whose lattice
# stage does not compile must fail with the build log on one error line, exit 1, leave no
# output file, and (in a -Db_sanitize=address build, run with LSAN_OPTIONS naming
# lsan.supp) free everything the half-initialised device made: any AddressSanitizer or
# LeakSanitizer report fails the test.
set -eu
tmp=$(mktemp -d /tmp/nbcl-failed-build-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_failed_build: $*" >&2; cat "$tmp/err.txt" >&2 2>/dev/null || true; exit 1; }
mkdir "$tmp/kernels" "$tmp/run"
cp "$NBCL_SOURCE_KERNEL_DIR"/*.cl "$tmp/kernels/"
echo "this is not OpenCL C;" >> "$tmp/kernels/lattice_stage.cl"
cd "$tmp/run"
rc=0
NBCL_KERNEL_DIR="$tmp/kernels" "$NBCL_BIN" -cell 100 100 100 90 90 90 -default_F 100 -N 2 \
    -lambda 6.2 -distance 100 -detpixels 32 -cache_dir off -floatfile f.bin -intfile i.img \
    >"$tmp/out.txt" 2>"$tmp/err.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc, want 1"
grep -q "nanobragg-cl: error: clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE" "$tmp/err.txt" || fail "no build error"
grep -q "lattice_stage.cl" "$tmp/err.txt" || fail "the build log does not name the file"
grep -q "$tmp/kernels" "$tmp/out.txt" || fail "the override directory was not logged"
if grep -q "Sanitizer" "$tmp/err.txt"; then fail "sanitizer report"; fi
[ -z "$(ls)" ] || fail "output files left behind: $(ls)"
echo "failed build reported and cleaned up"
