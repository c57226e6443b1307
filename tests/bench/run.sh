#!/bin/sh
# `make bench`: benchmarks, reported as ratios against QEMU measured in the
# same run (never used as pass/fail). Each benchmark is a tests/bench/*.bench.sh
# script; results go to docs/benchmarks.md.
set -u
found=0
for b in "$PEMU_SRC"/tests/bench/*.bench.sh; do
    [ -e "$b" ] || continue
    found=1
    sh "$b" || echo "bench: $b failed" >&2
done
[ "$found" = 1 ] || echo "bench: no benchmarks yet (the interpreter benchmark comes with the engine issue)"
