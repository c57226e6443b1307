#!/bin/sh
# timeout: 600
# Guest tests: every tests/guest/*.asm is a Multiboot kernel (see guest.inc).
# Each runs under qemu-system-i386 (the reference, TCG) and under pemu; the
# test passes when the guest's own checks pass under pemu (exit code 0 and a
# last line "<name>: ok" on debugcon) and its debugcon output is the same as
# under QEMU. A line "; qemu: x86_64 [ARGS]" in the .asm makes the reference
# qemu-system-x86_64 (long mode) with the extra QEMU arguments ARGS. A line
# "; args: ARGS" gives both QEMU and pemu ARGS (e.g. -smp 2).
# QEMU's output is cached by image hash and reference choice.
set -u
src=$PEMU_SRC/tests/guest
out=$PEMU_BUILD/tests/guest
mkdir -p "$out" "$PEMU_CACHE/guest-ref"

if ! command -v nasm >/dev/null 2>&1; then
    echo "SKIP guest: nasm is not installed (run ports/deps.sh as root)"
    exit 0
fi
qemu32=$(command -v qemu-system-i386 || true)
qemu64=$(command -v qemu-system-x86_64 || true)

# run_vm PROGRAM IMAGE LOGFILE [EXTRA ARGS]: prints the exit status
run_vm() {
    rm -f "$3"
    # shellcheck disable=SC2086
    timeout 60 $1 ${4:-} -kernel "$2" -display none -no-reboot -m 64 \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon file:"$3" \
        -serial none -monitor none >"$3.stderr" 2>&1 </dev/null
    echo $?
}

for asm in "$src"/*.asm; do
    name=$(basename "$asm" .asm)
    img=$out/$name.bin
    if ! nasm -f bin -I "$src/" -o "$img" "$asm" 2>"$out/$name.nasm.log"; then
        echo "FAIL guest/$name: nasm failed: $(head -n 3 "$out/$name.nasm.log")"
        continue
    fi
    # A test that ends by powering off (ACPI S5) says "; expect-exit: 0".
    want=1
    grep -q '^; expect-exit: 0' "$asm" && want=0
    ref=""
    args=$(sed -n 's/^; args: //p' "$asm" | head -n 1)
    marker=$(sed -n 's/^; qemu: //p' "$asm" | head -n 1)
    qemu=$qemu32
    case $marker in x86_64*) qemu=${qemu64:+$qemu64 ${marker#x86_64}} ;; esac
    if [ -n "$qemu" ]; then
        key=$( (cat "$img"; echo "$qemu${args:+ $args}") | sha256sum | cut -c1-16)
        ref=$PEMU_CACHE/guest-ref/$name-$key
        if [ ! -f "$ref.status" ]; then
            # a "; qemu-args: ..." line gives the reference extra options
            # (-cpu max: QEMU's default CPU model lacks SSSE3 and later)
            run_vm "$qemu" "$img" "$ref.log" "$args $(sed -n 's/^; qemu-args: //p' "$asm")" >"$ref.status"
        fi
        if [ "$(cat "$ref.status")" != "$want" ]; then
            echo "FAIL guest/$name: the reference (QEMU) run did not pass: status $(cat "$ref.status"): $(tail -c 300 "$ref.log")"
            continue
        fi
    fi
    st=$(run_vm "$PEMU" "$img" "$out/$name.log" "$args")
    if [ "$st" != "$want" ] || ! grep -q "^$name: ok$" "$out/$name.log" 2>/dev/null; then
        echo "FAIL guest/$name: pemu exit status $st (guest code $(( (st - 1) / 2 ))): $(tail -c 300 "$out/$name.log") $(head -c 300 "$out/$name.log.stderr")"
    elif [ -n "$ref" ] && ! cmp -s "$ref.log" "$out/$name.log"; then
        echo "FAIL guest/$name: debugcon output differs from QEMU's: $(diff "$ref.log" "$out/$name.log" | head -n 5 | tr '\n' ' ')"
    else
        echo "PASS guest/$name${ref:+ (same as QEMU)}"
    fi
done
