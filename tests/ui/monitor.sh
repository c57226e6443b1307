#!/bin/sh
# The monitor over -monitor stdio and over a Unix socket: each command's
# exact output, and a screendump of a known text screen (tests/ui/screen.asm)
# checked pixel by pixel.
# timeout: 120
set -u
: "${PEMU:?PEMU must name the pemu binary}"
if ! command -v nasm >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP ui/monitor: nasm or python3 is not installed (run ports/deps.sh as root)"
    exit 0
fi
here=$(dirname "$0")
tmp=$(mktemp -d /tmp/pemu-mon.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
if ! nasm -f bin -o "$tmp/text.img" "$here/screen.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL ui/monitor_build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi
python3 "$here/monitor.py" "$PEMU" "$tmp" || true
