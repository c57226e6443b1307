#!/bin/sh
# Long differential batches: sh tests/diff/native/fuzz.sh [SEED] [COUNT] [MODES] [ENGINE]
# (what `make fuzz-cpu SEED=n COUNT=m` runs). Defaults: seed 1, 1000000
# cases, modes "32 16", engine native (the runner's self-check); ENGINE=pemu
# runs pemu's CPU against the host, and then modes "16real" and "16vm86" run
# the mode-16 cases in pemu's real mode and vm86 mode (diff --world=).
src=$(cd "$(dirname "$0")/../../.." && pwd)
seed=${1:-${SEED:-1}}
count=${2:-${COUNT:-1000000}}
modes=${3:-${MODES:-32 16}}
engine=${4:-${ENGINE:-native}}
out=${PEMU_BUILD:-$src/build/host}/tests/diff/native
why=$(sh "$src/tests/diff/native/build.sh" "$src" "$out") || { echo "fuzz-cpu: cannot build: $why"; exit 2; }
rc=0
for m in $modes; do
	world=pm
	case $m in 16real) m=16 world=real ;; 16vm86) m=16 world=vm86 ;; esac
	"$out/diff" --engine="$engine" --mode="$m" --world=$world --seed="$seed" --count="$count" --max-fail=20 --stats || rc=1
done
exit $rc
