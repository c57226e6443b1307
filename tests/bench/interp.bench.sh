#!/bin/sh
# Interpreter micro-benchmark: host instructions per executed IR op and per
# guest instruction (insn_start), counted with callgrind (deterministic) for
# fixed synthetic blocks (tests/bench/interp_bench.c), both dispatch skins,
# with and without multi-op fusion. Prints a markdown table.
set -u
: "${PEMU_SRC:?run through make bench}" "${PEMU_BUILD:?run through make bench}"
out=$PEMU_BUILD/tests/bench
mkdir -p "$out"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "interp.bench: valgrind not found (Debian: apt-get install valgrind); skipped"
    exit 0
fi
CC=${CC:-cc}
# shellcheck disable=SC2046
$CC -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g \
    -I"$PEMU_SRC" -I"$PEMU_SRC/ports" -o "$out/interp_bench" \
    "$PEMU_SRC/tests/bench/interp_bench.c" "$PEMU_BUILD/libpemu.a" \
    $(pkg-config --libs zlib 2>/dev/null) -lm -lpthread || {
    echo "interp.bench: cannot build the driver" >&2
    exit 1
}

N1=2000
N2=22000

# run LOOP SKIN FUSION ITERS -> "Ir ops insns bytecode" or nothing
run() {
    valgrind --tool=callgrind --toggle-collect=bench_run \
        --callgrind-out-file="$out/callgrind.out" "$out/interp_bench" "$@" \
        >"$out/run.txt" 2>"$out/valgrind.txt" || return 1
    ir=$(awk '/^summary:/ { print $2 }' "$out/callgrind.out")
    sed 's/[a-z]*=//g' "$out/run.txt" | { read -r ops insns bc; echo "$ir $ops $insns $bc"; }
}

echo
echo "### Interpreter micro-benchmark (callgrind, host instructions; $(uname -m), $($CC --version | head -n 1))"
echo
echo "| block | dispatch | fusion | bytecode insns | IR ops / iter | guest insns / iter | host insns / iter | host insns / IR op | host insns / guest insn |"
echo "|---|---|---|---|---|---|---|---|---|"
for loop in alu ldst branch; do
    for skin in goto switch; do
        for fuse in 1 0; do
            a=$(run "$loop" "$skin" "$fuse" "$N1") && b=$(run "$loop" "$skin" "$fuse" "$N2") || {
                echo "| $loop | $skin | $fuse | n/a (skin not built) | | | | | |"
                continue
            }
            echo "$a $b" | awk -v loop="$loop" -v skin="$skin" -v fuse="$fuse" -v n1="$N1" -v n2="$N2" '{
                dn = n2 - n1
                ir = ($5 - $1) / dn; ops = ($6 - $2) / dn; ins = ($7 - $3) / dn
                printf "| %s | %s | %s | %d | %.2f | %.2f | %.1f | %.2f | %.2f |\n",
                    loop, skin, (fuse ? "on" : "off"), $8, ops, ins, ir, ir / ops, ir / ins
            }'
        done
    done
done
echo
echo "alu: add/xor/shl/or with lazy-flag stores, dec, jnz; ldst: load, add, store, pointer"
echo "update, dec, jnz (TLB fast path); branch: cmp/jcc pairs with data-dependent outcomes."
echo "Each block chains to itself through goto_tb; counts are the difference of $N2 and $N1"
echo "iterations, so setup cancels out."
