#!/bin/sh
# gpu-lease.sh: everything to run in one call on a lent GPU machine, whose time is short
# and whose state is lost after the call: the machine and its OpenCL driver, gpu-check.sh
# (every golden case in both precisions, the bench cases against the reference), then the
# kernels' throughput on a case large enough for a GPU in double, in single with float
# pairs and in single with the wide values in double (NBCL_FLOAT_PAIRS=0), each image
# checked against the double one; last, the golden cases in single with NBCL_FLOAT_PAIRS=0.
# Logs go to $OUT (or ./gpu-lease-out).
#
# Here, before the call: meson setup build-gpu -Dmpi=disabled && meson compile -C build-gpu
#   tools/device_bundle.sh build-gpu .gpu [/tmp/ref/nanoBragg]   (/.gpu/ in .git/info/exclude;
#   a reference binary, if any, is copied by hand to .gpu/bin/nanoBragg, never committed)
# There: sh bench/gpu-lease.sh        (the call carries build-gpu and .gpu)
# Environment: LEASE_GOLDEN_S, LEASE_BENCH_S, LEASE_BIG_S, LEASE_WIDE_S: seconds for each
# stage (default 240, 150, 90, 60); BUILD (default build-gpu); BUNDLE (default .gpu); LEASE_DEVICE
# (default gpu; a dry run here: LEASE_DEVICE=cpu with short stages).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build-gpu} BUNDLE=${BUNDLE:-.gpu} DEVICE=${LEASE_DEVICE:-gpu}
out=${OUT:-$PWD/gpu-lease-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
echo "## machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1
nproc; grep -m1 "model name" /proc/cpuinfo
ls /etc/OpenCL/vendors 2>&1; find /usr /lib /opt -xdev -name "libnvidia-opencl*" 2>/dev/null | head -3
NBCL_BUNDLE=$BUNDLE . tools/device_env.sh
clinfo -l 2>&1
clinfo 2>/dev/null | grep -E "^ +(Device Name|Driver Version|Device Version|Max compute units|Max clock|Double-precision)" | head -12
ref=""
[ -x "$BUNDLE/bin/nanoBragg" ] && ref=$PWD/$BUNDLE/bin/nanoBragg

echo "## gpu-check: golden cases (logs: golden.log, golden-double.log, golden-single.log)"
timeout "${LEASE_GOLDEN_S:-240}" env BUILD="$BUILD" GPU_CHECK_LOGS="$out" GPU_CHECK_DEVICE="$DEVICE" GPU_CHECK_BENCH=none sh bench/gpu-check.sh \
    >"$out/golden.log" 2>&1
echo "exit $? (ok: $(cat "$out"/golden-*.log 2>/dev/null | grep -c "^golden .*: ok"))"
grep -E "FAIL|^\|" "$out/golden.log" | head -30

echo "## bench cases (log: bench.log)"
timeout "${LEASE_BENCH_S:-150}" env NB_REPEAT=3 NBCL_DEVICE="$DEVICE" NBCL_BIN="$PWD/$BUILD/nanobragg-cl" \
    NB_REF_BIN="$ref" python3 bench/run_bench.py >"$out/bench.log" 2>&1
echo "exit $?"; grep -vE "^ +(phases|#)" "$out/bench.log" | tail -40

echo "## a GPU-sized case: 4096^2 pixels x 40 mosaic domains x 10 phi steps x 4 sub-pixels"
big="-default_F 100 -cell 100 100 100 90 90 90 -lambda 1 -N 10 -distance 200 -detpixels 4096
     -pixel 0.05 -mosaic 0.5 -mosaic_dom 40 -phi 0 -osc 0.5 -phisteps 10 -oversample 2
     -nonoise -nopgm -noprogress -timing -device $DEVICE"
work=$(mktemp -d)
end=$(( $(date +%s) + ${LEASE_BIG_S:-90} ))
for mode in double single-pairs single-wide-double; do
    [ "$(date +%s)" -lt "$end" ] || { echo "$mode: out of time"; continue; }
    case $mode in
        double) prec=double pairs=1 ;;
        single-pairs) prec=single pairs=1 ;;
        *) prec=single pairs=0 ;;
    esac
    for run in 1 2; do
        left=$(( end - $(date +%s) ))
        [ "$left" -gt 0 ] || { echo "$mode run $run: out of time"; break; }
        NBCL_FLOAT_PAIRS=$pairs timeout "$left" "$BUILD/nanobragg-cl" $big \
            -precision $prec -floatfile "$work/$mode.bin" -intfile /dev/null >"$work/log" 2>&1
        echo "$mode run $run: exit $? $(grep -E "^timing: (kernels|total|program)" "$work/log" | tr -s ' ' | tr '\n' ' ')"
        { echo "== $mode run $run"; cat "$work/log"; } >>"$out/big.log"
    done
    [ "$mode" = double ] || [ ! -f "$work/double.bin" ] || [ ! -f "$work/$mode.bin" ] ||
        "$BUILD/nbcl-compare" "$work/double.bin" "$work/$mode.bin" -width 4096 -min-corr 0.99999 \
            -max-sum-dev 1e-3 -rel-tol 1e-3 -abs-tol 1e-4 -max-frac-off 1e-2 2>&1 | tail -3
done
rm -rf "$work"

echo "## golden cases in single with the wide values in double (NBCL_FLOAT_PAIRS=0)"
mkdir -p "$out/wide"
timeout "${LEASE_WIDE_S:-60}" env NBCL_FLOAT_PAIRS=0 BUILD="$BUILD" GPU_CHECK_PRECISIONS=single GPU_CHECK_LOGS="$out/wide" \
    GPU_CHECK_DEVICE="$DEVICE" GPU_CHECK_BENCH=none sh bench/gpu-check.sh >/dev/null 2>&1
echo "exit $? (ok: $(grep -c "^golden .*single.*: ok" "$out/wide/golden-single.log" 2>/dev/null))"
grep "FAIL" "$out/wide/golden-single.log" 2>/dev/null | cut -c1-200 | head -10
