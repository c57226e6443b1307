#!/bin/sh
# Snapshots of the whole machine (savevm.py): savevm from the monitor, then
# -loadvm in a new pemu (also with the switch interpreter) and loadvm at run
# time finish the guest's computation with the result of a run never
# interrupted; the snapshot is one qemu-img lists and checks clean; a
# machine of another shape refuses it; delvm removes it.
# timeout: 240
: "${PEMU:?PEMU must name the pemu binary}"
for tool in nasm python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP savevm: $tool is not installed (run ports/deps.sh as root)"
        exit 0
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-savevm.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
if ! nasm -f bin -I "$here/../guest/" -o "$tmp/guest.bin" "$here/savevm_guest.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL savevm/build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
case ${PEMU_BUILD:-} in *-san*) slow=3 ;; esac
python3 "$here/savevm.py" "$PEMU" "${PEMU_IMG:-$(dirname "$PEMU")/pemu-img}" "$tmp/guest.bin" "$tmp" "$slow"
