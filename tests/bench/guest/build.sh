#!/bin/sh
# Builds the benchmark kernels:  sh build.sh OUTDIR full|quick
#
# For each kernel K: OUTDIR/K.elf (the Multiboot kernel, the same file for
# every emulator) and OUTDIR/K.native (the same body object linked into a
# static i686 Linux program: its output is the checksum the guest must
# print). OUTDIR/flags records the compiler and flags. Prints nothing on
# success; rebuilds only when a source, this script or the compiler changed.
#
# The guest compiler is i686-linux-gnu-gcc (Debian's gcc-i686-linux-gnu;
# gcc-multilib conflicts with the cross compilers), else `gcc -m32` when it
# works; GUEST_CC overrides.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mode=$2
mkdir -p "$1"
out=$(cd "$1" && pwd)

# kernel:source:scale(full):scale(quick):extra flags.
# Full sizes give roughly 1-3 s under QEMU TCG on a 2020s x86 host.
KERNELS="empty:empty.c:1:1:
int:int.c:50:2:
mem:mem.c:3:1:
branchy:branchy.c:80:4:
x87:fp.c:40:2:-DFP_X87 -mfpmath=387 -mno-sse
sse2:fp.c:180:8:-msse2 -mfpmath=sse
smc:smc.c:5:1:"

if [ -n "${GUEST_CC:-}" ]; then
    cc=$GUEST_CC
elif command -v i686-linux-gnu-gcc >/dev/null 2>&1; then
    cc=i686-linux-gnu-gcc
else
    cc=gcc
fi
CFLAGS="-m32 -march=i686 -O2 -ffreestanding -nostdlib -fno-pie -fno-stack-protector
 -fno-asynchronous-unwind-tables -fcf-protection=none -fno-tree-loop-distribute-patterns
 -fno-math-errno -Wall -Wextra -Werror"
CFLAGS=$(echo $CFLAGS)

stamp=$( (cat "$here"/*.c "$here"/*.h "$here"/*.S "$here"/*.ld "$0"; $cc --version 2>&1 | head -n 1; echo "$mode $CFLAGS") | cksum)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
    exit 0
fi
rm -f "$out/stamp"

log=$out/build.log
: >"$log"
run() {
    echo "$*" >>"$log"
    "$@" >>"$log" 2>&1 || { echo "build.sh: failed: $* (see $log)" >&2; tail -n 20 "$log" >&2; exit 1; }
}

run $cc $CFLAGS -c -o "$out/entry.o" "$here/entry.S"
run $cc $CFLAGS -c -o "$out/guest.o" "$here/guest.c"
echo "$KERNELS" | while IFS=: read -r name src full quick extra; do
    [ -n "$name" ] || continue
    # BENCH_QUICK also shrinks fixed sizes (mem's 64 MiB chain).
    if [ "$mode" = quick ]; then scale="$quick -DBENCH_QUICK"; else scale=$full; fi
    # shellcheck disable=SC2086
    run $cc $CFLAGS $extra -DSCALE=$scale -c -o "$out/$name.o" "$here/$src"
    run $cc $CFLAGS -static -no-pie -Wl,--build-id=none -T "$here/link.ld" \
        -o "$out/$name.elf" "$out/entry.o" "$out/guest.o" "$out/$name.o" -lgcc
    # The native check needs a 32-bit libc; without one it is skipped.
    rm -f "$out/$name.native"
    echo "$cc -m32 -O2 -static -no-pie -o $out/$name.native $here/native.c $out/$name.o" >>"$log"
    $cc -m32 -O2 -static -no-pie -o "$out/$name.native" "$here/native.c" "$out/$name.o" >>"$log" 2>&1 ||
        { rm -f "$out/$name.native"; echo "build.sh: no native check for $name (no 32-bit libc for $cc)" >>"$log"; }
    echo "$name $scale $extra" | sed 's/ -DBENCH_QUICK//' >>"$out/scales.new"
done
mv "$out/scales.new" "$out/scales"
echo "$($cc --version | head -n 1): $CFLAGS" >"$out/flags"
echo "$stamp" >"$out/stamp"
