#!/bin/sh
# gpu-check.sh: the one command to run whenever a machine with a GPU is at hand (issue 12).
# On the chosen OpenCL device it runs every golden case in double and in single precision
# and the bench cases (bench/run_bench.py, against the reference when NB_REF_BIN is set),
# then prints a markdown table for docs/performance.md: device, driver, precision, cases
# passed, mean wall time per case.
#
# Usage: bench/gpu-check.sh            (from the repository root, after meson compile -C build)
# Environment:
#   GPU_CHECK_DEVICE  device SPEC (default: gpu)
#   GPU_CHECK_CASES   golden case ids, comma-separated (default: every case)
#   GPU_CHECK_BENCH   bench case ids, comma-separated (default: every bench case; "none")
#   BUILD             build directory (default: build)
#   NB_REF_BIN        reference nanoBragg, for speed against it (see bench/run_bench.py)
#   GPU_CHECK_PRECISIONS  which golden runs (default: "double single")
#   GPU_CHECK_LOGS    folder to keep the golden logs in (golden-double.log, golden-single.log)
# A dry run on a CPU: GPU_CHECK_DEVICE=cpu GPU_CHECK_CASES=core_det64 GPU_CHECK_BENCH=none.
# Exit status: nonzero when the device is missing or any case fails.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DEVICE=${GPU_CHECK_DEVICE:-gpu}
BIN=$PWD/$BUILD/nanobragg-cl
GOLDEN_TEST=$PWD/$BUILD/tests/golden/test_golden
[ -x "$BIN" ] && [ -x "$GOLDEN_TEST" ] || { echo "gpu-check: build first (meson compile -C $BUILD)" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "## OpenCL devices (clinfo -l)"
clinfo -l 2>&1 || echo "clinfo failed or is not installed"
# which device the SPEC picks: the program says "using device: ..."
line=$(cd "$out" &&
       "$BIN" -default_F 1 -cell 10 10 10 90 90 90 -N 1 -detpixels 4 -device "$DEVICE" -noprogress \
           -nonoise -nopgm -floatfile f.bin -intfile /dev/null 2>&1 | grep "using device" | head -1)
[ -n "$line" ] || { echo "gpu-check: no OpenCL device matches '$DEVICE'" >&2; exit 1; }
name=$(echo "$line" | awk -F'|' '{gsub(/^ +| +$/, "", $2); print $2}')
driver=$(clinfo 2>/dev/null | awk -v want="$name" '
    /^ +Device Name/ { sub(/^ +Device Name +/, ""); dev = $0 }
    /^ +Driver Version/ && dev == want && !done { sub(/^ +Driver Version +/, ""); print; done = 1 }')
echo "using: $line"

status=0
rows=""
for precision in ${GPU_CHECK_PRECISIONS:-double single}; do
    log=${GPU_CHECK_LOGS:-$out}/golden-$precision.log
    start=$(date +%s.%N)
    NBCL_GOLDEN_DIR=$PWD/golden NBCL_BIN=$BIN NBCL_KERNEL_DIR="" CRITERION_JOBS=1 \
        NBCL_GOLDEN_CASE=${GPU_CHECK_CASES:-} stdbuf -oL -eL "$GOLDEN_TEST" --golden-category=all \
        --golden-precision=$precision --golden-device="$DEVICE" >"$log" 2>&1 || status=1
    end=$(date +%s.%N)
    passed=$(grep -c "^golden .*: ok" "$log")
    total=$(grep -c "^golden " "$log")
    crashed=$(grep -c "^\[FAIL\]" "$log")
    [ "$total" -gt 0 ] || total=$crashed
    per=$(echo "$start $end $total" | awk '{ if ($3 > 0) printf "%.2f", ($2 - $1) / $3; else print "-" }')
    rows="$rows| $name | ${driver:-?} | $precision | $passed / $total | $per s |
"
    grep "FAIL" "$log" | head -20
done

if [ "${GPU_CHECK_BENCH:-}" != "none" ]; then
    echo
    echo "## Bench cases (bench/run_bench.py on $name)"
    NBCL_DEVICE=$DEVICE NBCL_BIN=$BIN NB_CASES=${GPU_CHECK_BENCH:-} python3 bench/run_bench.py || status=1
fi

echo
echo "## Golden cases on $name"
echo
echo "| device | driver | precision | cases passed | mean wall time per case (one at a time) |"
echo "| --- | --- | --- | --- | --- |"
printf "%s" "$rows"
exit $status
