#!/bin/sh
# timeout: 120
# `info tlb` and `info mem` against QEMU's: tests/guest/long.asm (4-level
# paging with 4K, 2M and 1G pages, NX, read-only and user pages, a higher
# half) is run without isa-debug-exit, so it stops with its page tables in
# place; both monitors then print the mappings. One known difference is
# masked: QEMU sets the accessed bit of an entry whose walk ends in a
# reserved-bit fault, pemu does not (the SDM sets A only on entries used
# for a translation), so the A column is compared for the other lines only.
set -u
: "${PEMU:?PEMU must name the pemu binary}"
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ] || ! command -v nasm >/dev/null 2>&1; then
    echo "SKIP cli/info_tlb: needs qemu-system-x86_64 and nasm (run ports/deps.sh as root)"
    exit 0
fi
tmp=$(mktemp -d /tmp/pemu-pgdump.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
src=${PEMU_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! nasm -f bin -I "$src/tests/guest/" -o "$tmp/long.bin" "$src/tests/guest/long.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL cli/info_tlb: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
# dump NAME EMULATOR...: the two tables once the guest has stopped. The
# monitor commands wait for the guest's "long: ok" (up to 20 s, more under
# qemu-user) rather than a fixed delay: under ASan on a loaded machine the
# guest can take several seconds to get there.
dump() {
    name=$1
    shift
    (i=0
     while [ $i -lt $((100 * slow)) ] && ! grep -q "long: ok" "$tmp/$name.dbg" 2>/dev/null; do
         sleep 0.2
         i=$((i + 1))
     done
     sleep 0.5; echo "info tlb"; echo "info mem"; sleep $((1 * slow)); echo quit) |
        timeout $((30 * slow)) "$@" -kernel "$tmp/long.bin" -display none -m 64 -serial none \
            -debugcon file:"$tmp/$name.dbg" -monitor stdio 2>"$tmp/$name.err" | tr -d '\r' |
        grep -E '^[0-9a-f]{16}[:-]' >"$tmp/$name.txt"
}
dump qemu $qemu -cpu qemu64,+rdtscp
dump pemu $PEMU
if ! grep -q "long: ok" "$tmp/pemu.dbg" || ! grep -q "long: ok" "$tmp/qemu.dbg"; then
    echo "FAIL cli/info_tlb: the guest did not finish: pemu $(tail -c 100 "$tmp/pemu.dbg") qemu $(tail -c 100 "$tmp/qemu.dbg")"
    exit 0
fi
n=$(grep -c ': ' "$tmp/pemu.txt")
# the reserved-bit 1G page (HIGH + 2G): compare it without its A flag
sed 's/^\(ffffff8080000000: [0-9a-f]* ....\)A/\1-/' "$tmp/qemu.txt" >"$tmp/qemu.masked"
if [ "$n" -lt 1000 ]; then
    echo "FAIL cli/info_tlb: only $n pages listed: $(head -n 3 "$tmp/pemu.txt" | tr '\n' '|') $(head -c 200 "$tmp/pemu.err")"
elif ! cmp -s "$tmp/qemu.masked" "$tmp/pemu.txt"; then
    echo "FAIL cli/info_tlb: differs from QEMU's: $(diff "$tmp/qemu.masked" "$tmp/pemu.txt" | head -n 6 | tr '\n' '|')"
else
    echo "PASS cli/info_tlb ($n pages, $(grep -c -- '-.* [u-]r[w-]$' "$tmp/pemu.txt") info mem ranges, same as QEMU)"
fi
