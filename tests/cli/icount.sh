#!/bin/sh
# -icount: the TSC advances by exactly 2^shift per instruction (a known
# sequence between two RDTSCs), a PIT read lands on the same count in two
# runs, and the option's refusals. (Linux booted twice with identical
# serial logs is boot/linux amd64_icount.)
# timeout: 120
: "${PEMU:?PEMU must name the pemu binary}"
if ! command -v nasm >/dev/null 2>&1; then
    echo "SKIP icount: nasm is not installed (run ports/deps.sh as root)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-icount.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
if ! nasm -f bin -I "$here/../guest/" -o "$tmp/g.bin" "$here/icount_guest.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL icount/build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi
run() {
    out=$1
    shift
    rm -f "$out"
    timeout 60 "$PEMU" -kernel "$tmp/g.bin" -display none -m 32 -serial none -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -debugcon file:"$out" "$@" >"$out.err" 2>&1
}
for shift in 0 2 5; do
    run "$tmp/s$shift" -icount shift=$shift,sleep=off
    want=$(printf '%08x' $((2003 << shift)))
    got=$(sed -n 's/^tsc delta //p' "$tmp/s$shift")
    if [ "$got" = "$want" ]; then
        echo "PASS icount/tsc_shift$shift: 2003 instructions read as $got"
    else
        echo "FAIL icount/tsc_shift$shift: TSC delta '$got', want $want (2003 << $shift): $(head -c 200 "$tmp/s$shift.err")"
    fi
done
run "$tmp/a" -icount shift=3,sleep=off
run "$tmp/b" -icount shift=3,sleep=off
if [ -s "$tmp/a" ] && grep -q '^pit count' "$tmp/a" && cmp -s "$tmp/a" "$tmp/b"; then
    echo "PASS icount/pit_read_repeats: $(grep '^pit' "$tmp/a")"
else
    echo "FAIL icount/pit_read_repeats: $(tr '\n' '|' <"$tmp/a") vs $(tr '\n' '|' <"$tmp/b")"
fi
# without -icount the same read follows host time
run "$tmp/h1"
run "$tmp/h2"
run "$tmp/h3"
if cmp -s "$tmp/h1" "$tmp/h2" && cmp -s "$tmp/h2" "$tmp/h3"; then
    echo "FAIL icount/host_time_differs: three runs without -icount read the same counts (the checks above prove nothing)"
else
    echo "PASS icount/host_time_differs"
fi
if "$PEMU" -icount shift=2,align=on -kernel "$tmp/g.bin" -display none 2>"$tmp/err" </dev/null; then
    echo "FAIL icount/align_refused: pemu accepted align=on"
elif grep -q "align=on" "$tmp/err"; then
    echo "PASS icount/align_refused"
else
    echo "FAIL icount/align_refused: $(head -c 200 "$tmp/err")"
fi
exit 0
