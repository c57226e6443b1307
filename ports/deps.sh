#!/bin/sh
# Installs the Debian packages that pemu's build, tests, benchmarks and demo
# need. As root it runs apt-get; otherwise it prints the command to run.
# Fast when everything is already there (no apt-get update).
#
# Packages, by who needs them:
#   build:      gcc make pkg-config zlib1g-dev (required)
#               libncurses-dev libsdl2-dev libslirp-dev libzstd-dev libjansson-dev (optional features)
#   tests:      nasm gcc-multilib (guest test programs), binutils (objdump, disassembler oracle),
#               seabios (firmware), qemu-system-x86 qemu-utils (reference, never a runtime dependency),
#               socat tmux xorriso grub-pc-bin mtools busybox-static memtest86+ e2fsprogs gdb valgrind
set -u

PKGS="gcc make pkg-config zlib1g-dev libncurses-dev libsdl2-dev libslirp-dev libzstd-dev
libjansson-dev nasm gcc-multilib binutils seabios qemu-system-x86 qemu-utils socat tmux
xorriso grub-pc-bin mtools busybox-static memtest86+ e2fsprogs gdb valgrind"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ports/deps.sh: not a Debian-like system; install the equivalents of:$missing" >&2
    echo "ports/deps.sh: (zlib and pkg-config are required to build; the rest enables features and tests)" >&2
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "ports/deps.sh: missing packages:$missing" >&2
    echo "ports/deps.sh: run as root:  apt-get install -y$missing" >&2
    exit 0
fi

echo "ports/deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "ports/deps.sh: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "ports/deps.sh: apt-get install failed for:$missing" >&2
    exit 1
}
