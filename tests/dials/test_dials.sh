#!/bin/sh
# test_dials.sh cbf|nexus: DIALS as the judge. Simulates a 20-image sweep (0.5 deg each,
# 512x512, Gaussian crystal shape so that no side maxima pass for spots) as numbered miniCBF
# files or as one NeXus file, then dials.import, dials.find_spots and dials.index must find
# the simulated cell and index nearly every spot. Skips (77) when DIALS is not installed.
set -eu
mode=$1
command -v dials.index >/dev/null 2>&1 || { echo "dials is not installed: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/nbcl-dials-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "test_dials($mode): $*" >&2; tail -n 30 "$tmp"/*.log >&2 2>/dev/null || true; exit 1; }

case "$mode" in
cbf) out="-cbffile sweep_####.cbf" ;;
nexus) out="-nexusfile sweep.nxs" ;;
*) fail "unknown mode" ;;
esac
# shellcheck disable=SC2086
"$NBCL_BIN" -cell 70 80 90 90 90 90 -misset 10 20 30 -default_F 100 -N 8 -gauss_xtal -lambda 1 \
    -distance 100 -detpixels 512 -pixel 0.1 -oversample 2 -mosaic 0.1 -mosaic_dom 4 \
    -phi 0 -osc 0.5 -phisteps 4 -nimages 20 -seed 1 -noprogress $out >simulate.log 2>&1 ||
    fail "the simulation failed"

if [ "$mode" = cbf ]; then
    dials.import sweep_*.cbf >import.log 2>&1 || fail "dials.import failed"
else
    dials.import sweep.nxs >import.log 2>&1 || fail "dials.import failed"
fi
grep -q "20 images\|num images: 20\|images: 20" import.log || dials.show imported.expt | grep -q "Image range: {1,20}" ||
    fail "dials.import did not find 20 images"
dials.find_spots imported.expt nproc=2 >find_spots.log 2>&1 || fail "dials.find_spots failed"
dials.index imported.expt strong.refl >index.log 2>&1 || fail "dials.index failed"

# the refined cell must be the simulated one, and (nearly) every strong spot indexed
/usr/bin/python3 - <<'PY' || fail "wrong cell or too few spots indexed"
import re, sys
text = open("index.log").read()
cells = re.findall(r"Unit cell: ([^\n]*)", text)
if not cells:
    sys.exit("no unit cell in dials.index output")
cell = [float(re.sub(r"\(.*\)", "", x).strip(" ()")) for x in cells[-1].split(",")]
want = [70, 80, 90, 90, 90, 90]
print("refined cell:", cell)
if any(abs(a - b) > 0.5 for a, b in zip(sorted(cell[:3]), want[:3])) \
        or any(abs(a - 90) > 0.5 for a in cell[3:]):
    sys.exit("cell %s is not %s" % (cell, want))
rows = re.findall(r"\|\s*\d+\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|", text)
if rows:
    indexed, unindexed, pct = rows[-1]
    print("indexed %s, unindexed %s (%s%%)" % (indexed, unindexed, pct))
    if float(pct) < 95.0:
        sys.exit("only %s%% indexed" % pct)
PY
echo "DIALS indexed the $mode sweep with the simulated cell"
