#!/bin/sh
# Thin wrapper: the benchmark itself is bench/run_bench.py (Python 3 standard library only).
exec python3 "$(dirname "$0")/run_bench.py" "$@"
