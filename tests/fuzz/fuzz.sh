#!/bin/sh
# fuzz.sh TARGET CORPUS WORKDIR [SECONDS]: run a libFuzzer target for SECONDS (default
# $FUZZ_SECONDS, else 30) from the committed corpus. New inputs go to WORKDIR/new (never
# into the committed corpus); a crash is written to WORKDIR as crash-* and fails the test:
# copy it into CORPUS (git add) once fixed, so every build replays it.
set -eu
target=$1 corpus=$2 work=$3
seconds=${4:-${FUZZ_SECONDS:-30}}
mkdir -p "$work/new"
exec "$target" "$work/new" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1
