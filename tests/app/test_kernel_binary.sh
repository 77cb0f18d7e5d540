#!/bin/sh
# test_kernel_binary.sh: -save_kernel_binary / -kernel_binary (issue 12 item 14), on the
# default device (PoCL in CI). A saved binary gives the same image as a build from source;
# a binary for other flags, a file that is no kernel binary and a missing file are refused
# with one line naming -kernel_binary, a nonzero exit and no output file.
set -u
BIN=${NBCL_BIN:?NBCL_BIN must be set}
work=$(mktemp -d "${TMPDIR:-/tmp}/nbcl-kbin-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ARGS="-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 3 -distance 100 -detpixels 24
      -mosaic 0.5 -mosaic_dom 2 -noprogress -nonoise -nopgm -intfile /dev/null -precision single"

# shellcheck disable=SC2086
"$BIN" $ARGS -cache_dir off -floatfile source.bin -save_kernel_binary k.bin > save.log 2>&1 \
    || fail "saving: $(tail -1 save.log)"
[ -s k.bin ] || fail "no kernel binary written"
head -c 8 k.bin | grep -q NBCLPRG1 || fail "k.bin lacks the program-cache header"
# shellcheck disable=SC2086
"$BIN" $ARGS -cache_dir off -floatfile loaded.bin -kernel_binary k.bin > load.log 2>&1 \
    || fail "loading: $(tail -1 load.log)"
grep -q "kernels loaded from k.bin" load.log || fail "the load was not reported"
cmp -s source.bin loaded.bin || fail "the image from the saved binary differs"

refused() {   # refused NAME WORDS... : the run fails, names -kernel_binary and writes nothing
    name=$1
    shift
    # shellcheck disable=SC2086
    if "$BIN" $ARGS "$@" -floatfile "$name.bin" > "$name.log" 2>&1; then
        fail "$name: accepted"
    fi
    grep -q -- "-kernel_binary" "$name.log" || fail "$name: error does not name -kernel_binary"
    [ -e "$name.bin" ] && fail "$name: left an output file"
    grep "error" "$name.log" | head -1
}
refused other_flags -precision double -kernel_binary k.bin
grep -q "build_options" other_flags.log || fail "other flags: the differing options are not named"
refused other_width -kernel_binary k.bin -detector_thick 10 -thicksteps 2
printf 'not a binary' > notabinary.dat
refused junk -kernel_binary notabinary.dat
refused missing -kernel_binary absent.bin
[ "$fails" -eq 0 ] && echo "all kernel-binary checks passed"
exit "$fails"
