#!/bin/sh
# test_oclgrind.sh: nanobragg-cl under oclgrind (an OpenCL device simulator that checks every
# memory access) on tiny cases: work-groups limited to 32 items (the engine must take its
# work-group size from the kernel and device limits), and tricubic interpolation on a grid
# thinner than its 4x4x4 neighbourhood (lanes outside the grid must not read past it), in
# both precisions; then, with --check-api --data-races, three tiny cases that together switch
# on every kernel option (interpolation on a thin grid; mosaic, phi, every oversample_*,
# absorption, curved detector; a source file, divergence, dispersion, water, mask, ROI,
# printout) in both precisions (single with both forms of its wide values) at vector widths
# 1 and 4. oclgrind must report no error.
# Skips (77) without oclgrind.
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
cp "$NBCL_GOLDEN_DIR/inputs/pattern.hkl" "$NBCL_GOLDEN_DIR/inputs/sources.txt" .
BASE="-cell 50 60 70 90 90 90 -N 2 -lambda 1 -distance 80 -detpixels 8 -pixel 0.1"
# an 8x8 SMV mask with zero pixels: the int image of a tiny run (made on the default device)
"$NBCL_BIN" $BASE -default_F 100 -cache_dir off -noprogress -nonoise -nopgm -floatfile /dev/null \
    -intfile mask.img >/dev/null 2>&1 || { echo "test_oclgrind: cannot make a mask" >&2; exit 1; }
CASE_grid="-hkl pattern.hkl -interpolate"
CASE_crystal="-default_F 100 -mosaic 0.3 -mosaic_dom 2 -phisteps 2 -osc 0.2 -oversample 2
    -oversample_thick -oversample_polar -oversample_omega -detector_abs 300 -detector_thick 100
    -thicksteps 2 -curved_det"
CASE_beam="-default_F 100 -sourcefile sources.txt -divergence 0.2 -divsteps 2 -dispersion 10
    -dispsteps 2 -water 100 -mask mask.img -roi 1 6 1 6 -printout"
runs=0
for name in grid crystal beam; do
    eval "args=\$CASE_$name"
    # single: with the wide values in double (oclgrind is a CPU device with fp64), and with
    # the float pairs of GPUs (pairs)
    for variant in double single pairs; do
        precision=${variant%pairs}; precision=${precision:-single}
        pairs=0; [ "$variant" = pairs ] && pairs=1
        for width in 1 4; do
            # shellcheck disable=SC2086
            if ! NBCL_FLOAT_PAIRS=$pairs NBCL_VECTOR_WIDTH=$width oclgrind --check-api --data-races "$NBCL_BIN" $BASE $args \
                    -precision $precision -device Oclgrind -cache_dir off -noprogress -nonoise \
                    -nopgm -floatfile g.bin -intfile g.img >out.txt 2>err.txt \
                    || grep -qi "invalid\|error\|race" err.txt; then
                cat err.txt >&2
                echo "test_oclgrind: case $name ($variant, width $width) failed or oclgrind reported errors" >&2
                exit 1
            fi
            [ "$(stat -c %s g.bin)" -eq 256 ] || { echo "test_oclgrind: $name: no image" >&2; exit 1; }
            runs=$((runs + 1))
        done
    done
done
echo "oclgrind: no errors with work-groups of at most 32, nor in $runs runs of the option matrix"
