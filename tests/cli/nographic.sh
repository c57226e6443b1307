#!/bin/sh
# -nographic on a pseudo-terminal: the mux escape keys (Ctrl-A h/c/x), the
# monitor (prompt, info, line editing, stop/cont, system_reset, quit) and
# the terminal restored after Ctrl-A x, quit and SIGTERM (nographic.py).
# timeout: 240
: "${PEMU:?PEMU must name the pemu binary}"
if ! command -v nasm >/dev/null 2>&1; then
    echo "SKIP nographic: nasm is not installed (run ports/deps.sh as root)"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP nographic: python3 is not installed"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-nographic.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
if ! nasm -f bin -o "$tmp/halt.bin" "$here/halt.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL nographic/build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi
python3 "$here/nographic.py" "$PEMU" "$tmp/halt.bin" || true
