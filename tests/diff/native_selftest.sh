#!/bin/sh
# timeout: 240
# The differential CPU tester's host side (tests/diff/native/): builds the
# driver and the native runner, runs fixed-seed batches on the host CPU in
# mode 16 and 32 (two runner processes must agree: the oracle is
# deterministic), checks the runner against hand-computed answers, the text
# round trip of cases and results, and that a deliberately broken engine is
# caught with a replayable reproducer.
src=${PEMU_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PEMU_BUILD:-$src/build/host}
out=$build/tests/diff/native
log=$out/selftest
count=${DIFF_SELFTEST_COUNT:-20000}
san=0
case $build in *-san*) san=1 ;; esac

why=$(SANITIZE=$san sh "$src/tests/diff/native/build.sh" "$src" "$out" 2>&1)
rc=$?
if [ $rc = 3 ]; then
	echo "SKIP native_build: $why"
	exit 0
elif [ $rc != 0 ]; then
	echo "$why"
	echo "FAIL native_build: compile error (see the log)"
	exit 0
fi
echo "PASS native_build"
mkdir -p "$log"
diff=$out/diff
known=$src/tests/diff/native/known.txt

# 1. The oracle knows the right answers (worked out from the SDM).
if "$diff" --check-known="$known" > "$log/known.out" 2>&1; then
	echo "PASS native_known: $(tail -n 1 "$log/known.out")"
else
	cat "$log/known.out"
	echo "FAIL native_known: the host run differs from a hand-computed answer"
fi

# 2. Fixed-seed batches: reference runner vs a second runner process.
modes="32 16"
[ -x "$out/run64" ] && modes="32 16 64"
for mode in $modes; do
	if "$diff" --mode=$mode --seed=1 --count="$count" --stats > "$log/batch$mode.out" 2>&1; then
		echo "PASS native_batch$mode: $(grep '^diff:' "$log/batch$mode.out")"
	else
		head -n 60 "$log/batch$mode.out"
		echo "FAIL native_batch$mode: two native runs disagree, or the runner failed"
	fi
	cat "$log/batch$mode.out"
done

# 3. Determinism across separate runs: same cases, same results, byte for byte.
ok=1
for mode in 32 16; do
	"$diff" --gen --mode=$mode --seed=7 --count=2000 > "$log/gen$mode.a" &&
	"$diff" --gen --mode=$mode --seed=7 --count=2000 > "$log/gen$mode.b" &&
	cmp -s "$log/gen$mode.a" "$log/gen$mode.b" || { echo "generator output differs between runs (mode $mode)"; ok=0; }
	"$out/run32" < "$log/gen$mode.a" > "$log/res$mode.a" &&
	"$out/run32" < "$log/gen$mode.a" > "$log/res$mode.b" &&
	cmp -s "$log/res$mode.a" "$log/res$mode.b" || { echo "run32 results differ between runs (mode $mode)"; ok=0; }
	n=$(grep -c '^result' "$log/res$mode.a")
	[ "$n" = 2000 ] || { echo "run32 gave $n results for 2000 cases (mode $mode)"; ok=0; }
done
[ $ok = 1 ] && echo "PASS native_determinism" || echo "FAIL native_determinism: see above"

# 4. Text round trip: print -> parse -> print is identical (cases and
# results), and a printed case replays to the same result.
ok=1
for mode in 32 16; do
	"$diff" --roundtrip --mode=$mode --seed=3 --count=3000 > "$log/rt$mode.out" 2>&1 ||
		{ head -n 30 "$log/rt$mode.out"; ok=0; }
done
"$diff" --replay="$log/gen32.a" --quiet > "$log/replay.out" 2>&1 || { echo "replay of generated cases failed"; ok=0; }
[ "$(grep -c '^ok case' "$log/replay.out")" = 2000 ] || { echo "replay: not all 2000 cases ok"; ok=0; }
[ $ok = 1 ] && echo "PASS native_roundtrip" || echo "FAIL native_roundtrip: see above"

# 5. Teeth: a broken engine is caught, and its reproducer replays.
for b in adc mem exc; do
	"$diff" --mode=32 --seed=1 --count=20000 --break=$b --max-fail=1 > "$log/break_$b.out" 2>&1
	rc=$?
	# the reproducer: the first case ... end block of the report
	sed -n '/^case /,/^end$/p' "$log/break_$b.out" | sed -n '1,/^end$/p' > "$log/repro_$b.txt"
	if [ $rc != 1 ] || ! grep -q '^MISMATCH' "$log/break_$b.out" || ! grep -q '^insn ' "$log/repro_$b.txt"; then
		cat "$log/break_$b.out"
		echo "FAIL native_teeth_$b: the broken engine (--break=$b) was not caught (exit $rc)"
		continue
	fi
	"$diff" --replay="$log/repro_$b.txt" --break=$b > "$log/replay_$b.broken" 2>&1
	r1=$?
	"$diff" --replay="$log/repro_$b.txt" > "$log/replay_$b.fixed" 2>&1
	r2=$?
	if [ $r1 = 1 ] && [ $r2 = 0 ]; then
		echo "PASS native_teeth_$b: caught, reproducer of $(grep -c '^insn ' "$log/repro_$b.txt") insn(s) replays"
	else
		cat "$log/break_$b.out" "$log/replay_$b.broken" "$log/replay_$b.fixed"
		echo "FAIL native_teeth_$b: reproducer replay gave $r1 (broken, want 1) and $r2 (native, want 0)"
	fi
done
cat "$log/break_adc.out"
