#!/bin/sh
# QMP over a Unix socket, driven by socat and checked by qmp.py (json):
# QEMU's greeting, negotiation, replies, errors and events, and the same
# requests against qemu-system-i386 where the two must agree.
# timeout: 120
: "${PEMU:?PEMU must name the pemu binary}"
for tool in nasm socat python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP qmp: $tool is not installed (run ports/deps.sh as root)"
        exit 0
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-qmp.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
for k in halt qmp_guest; do
    if ! nasm -f bin -o "$tmp/$k.bin" "$here/$k.asm" 2>"$tmp/nasm.log"; then
        echo "FAIL qmp/build: nasm $k.asm: $(head -n 1 "$tmp/nasm.log")"
        exit 0
    fi
done
# -qmp stdio, and whether this pemu has QMP at all (jansson is optional)
printf '{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n' |
    "$PEMU" -machine firmware=none -m 16 -display none -kernel "$tmp/halt.bin" -qmp stdio >"$tmp/stdio.out" 2>"$tmp/stdio.err"
rc=$?
if grep -q "built without jansson" "$tmp/stdio.err"; then
    echo "SKIP qmp: this pemu was built without jansson (install libjansson-dev and rebuild)"
    exit 0
fi
if [ $rc = 0 ] && head -n 1 "$tmp/stdio.out" | grep -q '^{"QMP": {"version": ' &&
    grep -q '"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}' "$tmp/stdio.out"; then
    echo "PASS qmp/stdio"
else
    echo "FAIL qmp/stdio: exit $rc, output: $(head -c 300 "$tmp/stdio.out") $(head -n 1 "$tmp/stdio.err")"
fi
python3 "$here/qmp.py" "$PEMU" "$tmp/halt.bin" "$tmp/qmp_guest.bin" "$tmp" || echo "FAIL qmp/script: qmp.py stopped: $(tail -n 1 "$tmp/stderr.log" 2>/dev/null)"
