#!/bin/sh
# detector_response.sh: the pictures of docs/detector-response.md, written by nanobragg-cl
# itself (-noisepngfile: the noise image as an 8-bit PNG preview): the same
# spots on a 128x128 detector without and with each effect of the detector response, and
# with an amorphous background. Usage: docs/example/detector_response.sh [nanobragg-cl] [outdir]
set -e
bin=${1:-build/nanobragg-cl}
out=${2:-docs/detector-response}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a made-up scattering curve with a ring (F of one molecule against sin(theta)/lambda, 1/A)
awk 'BEGIN { for (i = 0; i <= 100; i++) { s = i * 0.004;
             printf "%.3f %.5f\n", s, 2.57 + 4 * exp(-((s - 0.06) / 0.015)^2) } }' > "$tmp/ring.stol"
common="-cell 70 70 70 90 90 90 -default_F 100 -N 8 -misset 10 20 30 -detpixels 128 -distance 40
        -lambda 1 -oversample 1 -seed 1 -nopgm -noprogress -floatfile $tmp/f.bin -intfile $tmp/i.img
        -noisefile $tmp/n.img"
shot() {
    name=$1
    shift
    # shellcheck disable=SC2086
    "$bin" $common "$@" -noisepngfile "$out/$name.png" > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
    grep "photons on noise image" "$tmp/log" | sed "s/^/$name: /"
}
shot plain
shot plain_log -pnglog
shot psf_gauss -psf gauss -psf_fwhm 0.3
shot psf_fiber -psf fiber -psf_fwhm 0.3
shot readout -pnglog -readout_noise 30
shot calibration -calibration_noise 30
shot flicker -flicker_noise 30
shot gain -gain 8
# 2e-12 mm of that material: nanoBragg's default fluence (r_e^2 x fluence = 1) makes a
# real water layer outshine these tiny crystals by ten orders of magnitude
shot background -pnglog -stol "$tmp/ring.stol" -amorphous_thick 2e-12
