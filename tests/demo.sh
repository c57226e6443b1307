#!/bin/sh
# `make demo`: boot Debian's kernel with a busybox initramfs on the
# interpreter, to a shell on this terminal (-nographic: the serial console).
#
#   make demo                      Debian's amd64 kernel, through SeaBIOS
#   make demo ARCH=i386            the 686 kernel and a 32-bit busybox
#   make demo DIRECT=1             no BIOS: -M pc,firmware=none
#   make demo KERNEL=bzImage INITRD=initramfs.cpio.gz   your own files
#   make demo MEM=512 APPEND="..." more memory, extra kernel arguments
#
# The kernel and busybox-static come from `apt-get download` once, into
# cache/linux (tests/linux/lib.sh; the same code builds the test initramfs).
set -u
. "$PEMU_SRC/tests/linux/lib.sh"
ARCH=${ARCH:-amd64}
KERNEL=${KERNEL:-}
INITRD=${INITRD:-}
MEM=${MEM:-256}
APPEND=${APPEND:-}

if [ -z "$KERNEL" ]; then
    if ! linux_fetch "$ARCH"; then
        echo "pemu demo: cannot fetch Debian's kernel: $LINUX_WHY" >&2
        echo "pemu demo: give your own files instead:" >&2
        echo "    make demo KERNEL=/path/to/bzImage INITRD=/path/to/initramfs.cpio.gz" >&2
        echo "  (any x86 bzImage with a serial console; an initramfs whose /init starts a shell)" >&2
        exit 1
    fi
    KERNEL=$LINUX_CACHE/$ARCH/vmlinuz
    if [ -z "$INITRD" ]; then
        INITRD=$PEMU_BUILD/demo/$ARCH-demo.cpio.gz
        mkdir -p "$PEMU_BUILD/demo"
        if ! linux_initramfs "$ARCH" demo "$INITRD"; then
            echo "pemu demo: $LINUX_WHY" >&2
            exit 1
        fi
    fi
fi
if [ ! -f "$KERNEL" ]; then
    echo "pemu demo: KERNEL=$KERNEL: no such file" >&2
    exit 1
fi

machine=pc
[ -n "${DIRECT:-}" ] && machine=pc,firmware=none
what=$(cat "$LINUX_CACHE/$ARCH/version" 2>/dev/null || echo "$KERNEL")
[ "$KERNEL" = "$LINUX_CACHE/$ARCH/vmlinuz" ] || what=$KERNEL
cat <<EOF
==============================================================================
 pemu demo: booting $what
 with a busybox initramfs, on the portable interpreter (no KVM, no JIT),
 machine $machine, $MEM MiB. The serial console is this terminal.

 Quit: Ctrl-A x     Monitor: Ctrl-A c     Help: Ctrl-A h     In the guest: poweroff -f
==============================================================================
EOF
set -- -nographic -M "$machine" -m "$MEM" -kernel "$KERNEL" -append "console=ttyS0 $APPEND"
[ -n "$INITRD" ] && set -- "$@" -initrd "$INITRD"
exec "$PEMU" "$@"
