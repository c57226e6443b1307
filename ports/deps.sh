#!/bin/sh
# Installs the Debian packages that pemu's build, tests, benchmarks and demo
# need. As root it runs apt-get; otherwise it prints the command to run.
# Fast when everything is already there (no apt-get update).
#
# Packages, by who needs them:
#   build:      gcc make pkg-config zlib1g-dev (required)
#               libncurses-dev libsdl2-dev libslirp-dev libzstd-dev libjansson-dev (optional features)
#   tests:      nasm gcc-i686-linux-gnu (32-bit guest test programs; gcc-multilib conflicts with cross compilers), binutils (objdump, disassembler oracle),
#               seabios (firmware), qemu-system-x86 qemu-utils (reference, never a runtime dependency),
#               socat tmux ncurses-term (xterm-direct: the curses true-colour test) isolinux syslinux-common xorriso grub-pc-bin mtools busybox-static memtest86+ e2fsprogs gdb valgrind
#               cpio (initramfs of tests/boot/linux.sh and make demo; they apt-get download
#               Debian's kernels themselves, the 686 one after `dpkg --add-architecture i386`),
#               xvfb xdotool x11-apps (the -display sdl test: a virtual X server, XTEST keys, xwd)
#   bench:      bochs bochsbios vgabios bochs-term (Bochs, a second reference emulator for `make bench`;
#               Debian builds no "nogui" display, so it runs headless with the curses one)
#   port:       (`deps.sh port`, for make port-check) gcc-<triplet> cross compilers, qemu-user-static,
#               and a deb-src line so that zlib's source can be cross-built for each host
set -u

PKGS="gcc make pkg-config zlib1g-dev libncurses-dev libsdl2-dev libslirp-dev libzstd-dev
libjansson-dev nasm gcc-i686-linux-gnu binutils seabios qemu-system-x86 qemu-utils socat tmux
ncurses-term isolinux syslinux-common xorriso grub-pc-bin mtools busybox-static memtest86+ e2fsprogs gdb valgrind cpio
bochs bochsbios vgabios bochs-term xvfb xdotool x11-apps"

if [ "${1:-}" = port ]; then
    PKGS="$PKGS qemu-user-static gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-arm-linux-gnueabihf
gcc-s390x-linux-gnu gcc-powerpc64le-linux-gnu gcc-i686-linux-gnu dpkg-dev
libc6-dev-arm64-cross libc6-dev-riscv64-cross libc6-dev-armhf-cross libc6-dev-s390x-cross
libc6-dev-ppc64el-cross libc6-dev-i386-cross"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# port-check cross-builds zlib from Debian's source package.
need_src=0
if [ "${1:-}" = port ] && ! grep -rqs '^deb-src\|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    need_src=1
fi

# The Linux boot tests download the i386 (686) kernel and busybox with apt.
need_i386=0
if command -v dpkg >/dev/null 2>&1 && ! dpkg --print-foreign-architectures | grep -qx i386 &&
    [ "$(dpkg --print-architecture)" = amd64 ]; then
    need_i386=1
    if [ "$(id -u)" = 0 ]; then
        dpkg --add-architecture i386
    else
        echo "ports/deps.sh: the i386 Linux tests need, as root: dpkg --add-architecture i386 && apt-get update" >&2
        need_i386=0
    fi
fi

[ -z "$missing" ] && [ "$need_src" = 0 ] && [ "$need_i386" = 0 ] && exit 0

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

if [ "$need_src" = 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "ports/deps.sh: port-check needs a deb-src line for Debian's main archive in /etc/apt/sources.list.d/" >&2
        exit 0
    fi
    suite=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
        >/etc/apt/sources.list.d/pemu-src.list
fi

echo "ports/deps.sh: installing:${missing:- (source lists only)}"
export DEBIAN_FRONTEND=noninteractive
# A partially synced mirror makes update fail for one list; install can still work.
apt-get update -qq || echo "ports/deps.sh: warning: apt-get update reported errors; trying to install anyway" >&2
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "ports/deps.sh: apt-get install failed for:$missing" >&2
    exit 1
}
