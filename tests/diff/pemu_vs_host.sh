#!/bin/sh
# timeout: 600
# pemu's x86 CPU (translator + interpreter) against the host CPU: fixed-seed
# batches of generated instruction sequences in mode 32, 16 and 64
# (tests/diff/native/, engine pemu_engine.c). Any mismatch fails, with its
# minimized reproducer in the log (replay: diff --replay=FILE --engine=pemu).
src=${PEMU_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PEMU_BUILD:-$src/build/host}
out=$build/tests/diff/pemu
count=${DIFF_PEMU_COUNT:-30000}
seed=${DIFF_PEMU_SEED:-1}
san=0
case $build in *-san*) san=1 ;; esac

if [ ! -f "$build/libpemu.a" ]; then
	echo "FAIL pemu_build: $build/libpemu.a is missing (run make first)"
	exit 0
fi
why=$(PEMU_BUILD=$build SANITIZE=$san sh "$src/tests/diff/native/build.sh" "$src" "$out" 2>&1)
rc=$?
if [ $rc = 3 ]; then
	echo "SKIP pemu_vs_host: $why"
	exit 0
elif [ $rc != 0 ]; then
	echo "$why"
	echo "FAIL pemu_build: compile error (see the log)"
	exit 0
fi
for mode in 32 16 64; do
	log=$out/batch$mode.out
	n=$count
	if [ $mode = 64 ]; then
		[ -x "$out/run64" ] || { echo "SKIP pemu_vs_host64: no 64-bit runner (not an x86-64 host)"; continue; }
		n=${DIFF_PEMU_COUNT64:-20000}
	fi
	if "$out/diff" --engine=pemu --mode=$mode --seed="$seed" --count="$n" --max-fail=3 > "$log" 2>&1; then
		echo "PASS pemu_vs_host$mode: $(grep '^diff:' "$log")"
	else
		head -n 80 "$log"
		echo "FAIL pemu_vs_host$mode: pemu differs from the host CPU (mode $mode, seed $seed; reproducer above)"
	fi
done
# The mode-16 cases again in pemu's real mode and vm86 mode (diff --world=;
# the cases those worlds cannot share with the native 16-bit protected mode
# are counted, not compared: world_comparable in diff.c).
wcount=${DIFF_PEMU_WORLD_COUNT:-20000}
for world in real vm86; do
	for cls in int x87; do
		log=$out/$world-$cls.out
		n=$wcount
		[ $cls = x87 ] && n=${DIFF_PEMU_FP_COUNT:-4000}
		if "$out/diff" --engine=pemu --class=$cls --mode=16 --world=$world --seed="$seed" --count="$n" --max-fail=3 > "$log" 2>&1; then
			echo "PASS pemu_vs_host16_${world}_$cls: $(grep '^diff:' "$log")"
		else
			head -n 80 "$log"
			echo "FAIL pemu_vs_host16_${world}_$cls: pemu in $world mode differs from the host CPU (class $cls, seed $seed; reproducer above)"
		fi
	done
done
# The x87, MMX and SSE classes (gen.c): FP state, memory images, #MF, #XM; a smaller count.
fpcount=${DIFF_PEMU_FP_COUNT:-4000}
for cls in x87 mmx sse; do
	for mode in 32 16; do
		log=$out/$cls$mode.out
		if "$out/diff" --engine=pemu --class=$cls --mode=$mode --seed="$seed" --count="$fpcount" --max-fail=3 > "$log" 2>&1; then
			echo "PASS pemu_vs_host_$cls$mode: $(grep '^diff:' "$log")"
		else
			head -n 80 "$log"
			echo "FAIL pemu_vs_host_$cls$mode: pemu differs from the host CPU (class $cls, mode $mode, seed $seed; reproducer above)"
		fi
	done
done
