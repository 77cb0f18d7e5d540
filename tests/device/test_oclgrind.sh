#!/bin/sh
# test_oclgrind.sh: nanobragg-cl under oclgrind (an OpenCL device simulator that checks every
# memory access) on tiny cases: work-groups limited to 32 items (the engine must take its
# work-group size from the kernel and device limits), and tricubic interpolation on a grid
# thinner than its 4x4x4 neighbourhood (lanes outside the grid must not read past it), in
# both precisions; oclgrind must report no error. Skips (77) without oclgrind.
set -eu
command -v oclgrind >/dev/null 2>&1 || { echo "oclgrind is not installed: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/nbcl-oclgrind-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! oclgrind --max-wgsize 32 --check-api "$NBCL_BIN" -cell 50 60 70 90 90 90 -default_F 100 -N 3 \
        -lambda 1 -distance 80 -detpixels 12 -pixel 0.1 -mosaic 0.3 -mosaic_dom 2 -phisteps 2 \
        -osc 0.2 -oversample 2 -device Oclgrind -cache_dir off -noprogress -nonoise -nopgm \
        -floatfile f.bin -intfile i.img >out.txt 2>err.txt; then
    cat out.txt err.txt >&2
    echo "test_oclgrind: the run failed under oclgrind --max-wgsize 32" >&2
    exit 1
fi
if grep -qi "invalid\|error" err.txt; then
    cat err.txt >&2
    echo "test_oclgrind: oclgrind reported errors" >&2
    exit 1
fi
[ "$(stat -c %s f.bin)" -eq $((12 * 12 * 4)) ] || { echo "test_oclgrind: no image" >&2; exit 1; }
cp "$NBCL_GOLDEN_DIR/inputs/pattern.hkl" .
for precision in double single; do
    if ! oclgrind --check-api "$NBCL_BIN" -hkl pattern.hkl -cell 50 60 70 90 90 90 -N 2 -interpolate \
            -lambda 1 -distance 80 -detpixels 16 -pixel 0.1 -precision $precision -device Oclgrind \
            -cache_dir off -noprogress -nonoise -nopgm -floatfile g.bin -intfile g.img \
            >out.txt 2>err.txt || grep -qi "invalid\|error" err.txt; then
        cat err.txt >&2
        echo "test_oclgrind: interpolation on a thin grid ($precision) failed or read out of bounds" >&2
        exit 1
    fi
done
echo "oclgrind: no errors with work-groups of at most 32"
