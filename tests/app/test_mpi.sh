#!/bin/sh
# test_mpi.sh: nanobragg-cl under mpirun (suite 'mpi', built with -Dmpi). Every file a K-rank
# run writes (K = 1, 2, 3 on this machine, --oversubscribe) must be byte for byte the
# one-process run's: a sweep, a shot list, one image split into bands of rows, and one
# image of a two-panel detector. A rank
# that fails stops every rank with one error line naming it and a nonzero exit, leaving no
# half-written file. Tiny detectors: the ranks share two cores.
# usage: test_mpi.sh NANOBRAGG_CL MPIRUN
set -u
BIN=$1
MPIRUN=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export SOURCE_DATE_EPOCH=1700000000   # the NeXus files' start and end times
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export POCL_MAX_PTHREAD_COUNT=1 NBCL_DEVICE=${NBCL_DEVICE:-cpu}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

BASE="-cell 50 50 50 90 90 90 -default_F 100 -lambda 1 -N 4 -detpixels 32 -pixel 0.1 -distance 80 -seed 5"

# run NAME K ARGS...: in $WORK/NAME.K (K = 0: one process without mpirun)
run() {
    name=$1 k=$2
    shift 2
    dir=$WORK/$name.$k
    mkdir -p "$dir"
    if [ "$k" -eq 0 ]; then
        (cd "$dir" && "$BIN" "$@" >out.txt 2>err.txt)
    else
        (cd "$dir" && "$MPIRUN" --oversubscribe -np "$k" "$BIN" "$@" >out.txt 2>err.txt)
    fi
}

# same NAME K...: every file of the one-process run is in each K-rank run with the same bytes
same() {
    name=$1
    shift
    ref=$WORK/$name.0
    [ "$(ls "$ref" | wc -l)" -gt 2 ] || fail "$name: the one-process run wrote nothing"
    for k in "$@"; do
        for f in "$ref"/*; do
            b=$(basename "$f")
            case $b in out.txt|err.txt) continue ;; esac
            cmp -s "$f" "$WORK/$name.$k/$b" || fail "$name: $b differs with $k ranks"
        done
        n0=$(ls "$ref" | wc -l)
        nk=$(ls "$WORK/$name.$k" | wc -l)
        [ "$n0" -eq "$nk" ] || fail "$name: $k ranks left $nk files, one process $n0"
    done
}

for k in 0 1 2 3; do
    run sweep $k $BASE -mosaic 0.3 -mosaic_dom 3 -phisteps 2 -phi 1 -osc 0.5 -nimages 5 \
        -floatfile f_#.bin -noisefile n_#.img -cbffile c_##.cbf -nexusfile sweep.h5 || fail "sweep: $k ranks: exit $?"
done
same sweep 1 2 3
grep -q "rank 2: [0-9]* images" "$WORK/sweep.3/out.txt" || fail "sweep: no per-rank count"
# the image lines in image order, as one process prints them
grep '^image ' "$WORK/sweep.0/out.txt" >"$WORK/lines.0"
grep '^image ' "$WORK/sweep.3/out.txt" >"$WORK/lines.3"
cmp -s "$WORK/lines.0" "$WORK/lines.3" || fail "sweep: image lines differ with 3 ranks"

printf -- '-phi 0 -osc 0.5\n-phi 10 -osc 0.5 -seed 9\n-phi 20 -osc 0.5 -N 3\n-phi 30 -osc 0.2\n' >"$WORK/shots.txt"
for k in 0 3; do
    run shots $k $BASE -shots "$WORK/shots.txt" -intfile i_#.img -nexusfile shots.h5 || fail "shots: $k ranks: exit $?"
done
same shots 3

for k in 0 1 2 3; do
    run single $k $BASE -mosaic 0.3 -mosaic_dom 3 -roi 3 29 2 30 -floatfile f.bin -intfile i.img \
        -noisefile n.img -pgmfile p.pgm -cbffile c.cbf -nexusfile one.h5 || fail "single: $k ranks: exit $?"
done
same single 1 2 3
# nanoBragg's lines (statistics, solid angle, noise) are the one process's too
grep -v '^rank ' "$WORK/single.3/out.txt" >"$WORK/single.lines.3"
cmp -s "$WORK/single.0/out.txt" "$WORK/single.lines.3" || fail "single: printed lines differ with 3 ranks"
grep -q '^rank 2: rows 22 to 31' "$WORK/single.3/out.txt" || fail "single: rank 2's band of rows not reported"

for k in 0 2; do
    run printout $k $BASE -printout_pixel 5 6 -floatfile f.bin -intfile i.img || fail "printout: $k ranks: exit $?"
done
same printout 2

# a detector of two panels (tests/app/two_panels.expt, from tests/detector/expt_files.py):
# rank 0 simulates it whole, since a band is rows of one flat panel
for k in 0 2; do
    run panels $k -cell 50 50 50 90 90 90 -default_F 100 -N 4 -seed 5 \
        -detector "$(dirname "$0")/two_panels.expt" -floatfile f.bin -nexusfile p.h5 || fail "panels: $k ranks: exit $?"
done
same panels 2

# a write error on whichever rank makes image 3: one error naming it, nonzero exit, no NeXus
mkdir -p "$WORK/wfail.3/f_3.bin"
if run wfail 3 $BASE -phi 1 -osc 0.5 -nimages 6 -floatfile f_#.bin -nexusfile w.h5; then
    fail "write error: exit 0"
fi
[ "$(grep -c 'nanobragg-cl: error' "$WORK/wfail.3/err.txt")" -eq 1 ] || fail "write error: not one error line"
grep -q 'error: rank [12]: image 3: f_3.bin' "$WORK/wfail.3/err.txt" || fail "write error: rank or cause not named"
[ ! -e "$WORK/wfail.3/w.h5" ] || fail "write error: the NeXus file was left"
ls "$WORK/wfail.3" | grep -q '\.tmp\.' && fail "write error: a temporary file was left"

# no device on any rank, a bad flag: one error line, nonzero exit
if NBCL_DEVICE=accelerator run nodev 2 $BASE -phi 1 -osc 0.5 -nimages 3 -floatfile f_#.bin; then
    fail "no device: exit 0"
fi
[ "$(grep -c 'nanobragg-cl: error: rank 1: device spec' "$WORK/nodev.2/err.txt")" -eq 1 ] || fail "no device: not one error naming rank 1"
if run badflag 3 $BASE -nimages 3 -floatfile f_#.bin -no_such_flag 2; then
    fail "bad flag: exit 0"
fi
[ "$(grep -c 'nanobragg-cl: error' "$WORK/badflag.3/err.txt")" -eq 1 ] || fail "bad flag: not one error line"

# a bad shot line: one error line, nonzero exit, nothing written
printf -- '-phi 0\n-phi abc\n' >"$WORK/badshot.txt"
if run badshot 3 $BASE -shots "$WORK/badshot.txt" -floatfile f_#.bin; then
    fail "bad shot line: exit 0"
fi
[ "$(grep -c 'nanobragg-cl: error: rank 0: -shots .*line 2' "$WORK/badshot.3/err.txt")" -eq 1 ] || fail "bad shot line: not one error naming the line"
ls "$WORK/badshot.3" | grep -q '^f_' && fail "bad shot line: a file was written"

# the ranks' module (libnbcl-mpi.so) missing: one error line naming it, nonzero exit,
# nothing written
mkdir -p "$WORK/nomodule"
if (cd "$WORK/nomodule" && NBCL_MODULE_DIR="$WORK/none" "$MPIRUN" --oversubscribe -np 2 "$BIN" $BASE \
        -floatfile f.bin >out.txt 2>err.txt); then
    fail "no MPI module: exit 0"
fi
[ "$(grep -c 'nanobragg-cl: error: started by an MPI launcher, but libnbcl-mpi.so did not load' \
    "$WORK/nomodule/err.txt")" -eq 2 ] || fail "no MPI module: not one error line a rank"
ls "$WORK/nomodule" | grep -q '^f' && fail "no MPI module: a file was written"
# a run without a launcher loads no MPI library
[ "$(cd "$WORK" && LD_DEBUG=files "$BIN" $BASE -detpixels 8 -floatfile /dev/null 2>&1 | grep -c 'file=libmpi')" -eq 0 ] ||
    fail "one process: the MPI library was loaded"

# killed by a signal part way: every image file there is whole, no NeXus file
mkdir -p "$WORK/kill"
(cd "$WORK/kill" && exec "$MPIRUN" --oversubscribe -np 3 "$BIN" $BASE -detpixels 64 -mosaic 0.3 -mosaic_dom 8 \
    -phisteps 4 -osc 0.2 -nimages 2000 -floatfile g_####.bin -nexusfile kill.h5 -noprogress >out.txt 2>err.txt) &
pid=$!
for i in $(seq 1 600); do
    [ "$(ls "$WORK/kill" | grep -c '^g_[0-9]*\.bin$')" -ge 3 ] && break
    sleep 0.1
done
kill -TERM "$pid"
wait "$pid" && fail "killed run: exit 0"
whole=$(ls "$WORK/kill" | grep -c '^g_[0-9]*\.bin$')
[ "$whole" -ge 3 ] || fail "killed run: only $whole images before the kill"
for f in "$WORK"/kill/g_*.bin; do
    case $f in *.tmp.*) continue ;; esac
    [ "$(wc -c <"$f")" -eq 16384 ] || fail "killed run: $f is not a whole image"
done
[ ! -e "$WORK/kill/kill.h5" ] || fail "killed run: a NeXus file was left"
echo "killed run: $whole whole images of 2000 before the kill"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s); outputs:"
    for f in "$WORK"/*/err.txt; do echo "== $f"; cat "$f"; done
    exit 1
fi
echo "all MPI checks passed"
