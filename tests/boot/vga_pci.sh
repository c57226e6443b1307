#!/bin/sh
# timeout: 300
# The PCI VGA (1234:1111 at 00:02.0) as firmware and a boot loader see it:
#   vga_pci_vbe     tests/boot/vbe_boot.asm from a floppy under SeaBIOS: the
#                   VGA BIOS from the ROM BAR answers VBE 4F00/4F01/4F02, the
#                   640x480x32 mode's framebuffer is BAR 0, and what the guest
#                   paints there is in the screen dump (pixels checked)
#   vga_pci_qemu    the same floppy on qemu-system-x86_64: the same debugcon
#                   lines and the same pixels
set -u
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
out=$PEMU_BUILD/tests/boot
mkdir -p "$out"
if [ ! -f /usr/share/seabios/bios.bin ] || [ ! -f /usr/share/seabios/vgabios-stdvga.bin ]; then
    echo "SKIP boot/vga_pci: seabios is not installed (run ports/deps.sh as root)"
    exit 0
fi
if ! command -v nasm >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP boot/vga_pci: needs nasm and python3 (run ports/deps.sh as root)"
    exit 0
fi
nasm -f bin -o "$out/vbe.img" "$PEMU_SRC/tests/boot/vbe_boot.asm" || {
    echo "FAIL boot/vga_pci_vbe: nasm failed on tests/boot/vbe_boot.asm"
    exit 0
}

# run NAME EMULATOR...: boot the floppy, wait for the guest's last line
# (up to 60 s), take a screen dump, quit.
run() {
    name=$1
    shift
    rm -f "$out/$name.dbg" "$out/$name.ppm" "$out/$name.exited"
    (i=0
     while [ $i -lt $((300 * slow)) ] && [ ! -f "$out/$name.exited" ] &&
         ! grep -q "vbe: ok\|vbe: FAIL" "$out/$name.dbg" 2>/dev/null; do
         sleep 0.2
         i=$((i + 1))
     done
     echo "screendump $out/$name.ppm"
     sleep $((1 * slow))
     echo quit) |
        { timeout $((90 * slow)) "$@" -fda "$out/vbe.img" -boot a -m 64 -display none \
            -monitor stdio -serial none -debugcon file:"$out/$name.dbg" >"$out/$name.mon" 2>&1
          : >"$out/$name.exited"; } # an emulator that failed to start ends the wait
}

# check PPM: 640x480, orange top half, blue bottom half, white 64x64 square
check_pixels() {
    python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
parts = data.split(maxsplit=4)
if parts[0] != b'P6':
    sys.exit('not a P6 PPM')
w, h = int(parts[1]), int(parts[2])
pix = parts[4]
if (w, h) != (640, 480):
    sys.exit('screen dump is %dx%d, not 640x480' % (w, h))
def at(x, y):
    o = (y * w + x) * 3
    return tuple(pix[o:o + 3])
want = {(0, 0): (255, 128, 0), (639, 239): (255, 128, 0), (0, 240): (0, 128, 255),
        (639, 479): (0, 128, 255), (288, 208): (255, 255, 255), (351, 271): (255, 255, 255),
        (287, 208): (255, 128, 0), (352, 271): (0, 128, 255)}
bad = ['(%d,%d) is %s, not %s' % (x, y, at(x, y), c) for (x, y), c in want.items() if at(x, y) != c]
if bad:
    sys.exit('; '.join(bad))
PY
}

# $PEMU may be "qemu-<arch>-static pemu" under port-check: split it
run pemu $PEMU
if ! grep -q "vbe: ok" "$out/pemu.dbg" 2>/dev/null; then
    echo "FAIL boot/vga_pci_vbe: the guest did not finish: $(tr '\n' '|' <"$out/pemu.dbg" 2>/dev/null) $(head -c 300 "$out/pemu.mon")"
elif ! grep -q "^vbe: pci 00:02.0 id 11111234 bar0 " "$out/pemu.dbg"; then
    echo "FAIL boot/vga_pci_vbe: 00:02.0 is not 1234:1111: $(head -n 1 "$out/pemu.dbg")"
elif ! msg=$(check_pixels "$out/pemu.ppm" 2>&1); then
    echo "FAIL boot/vga_pci_vbe: screen dump: $msg"
else
    echo "PASS boot/vga_pci_vbe ($(grep '^vbe: mode' "$out/pemu.dbg"))"
fi

qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
    echo "SKIP boot/vga_pci_qemu: qemu-system-x86_64 is not installed (run ports/deps.sh as root)"
    exit 0
fi
run qemu "$qemu" -nic none
if ! grep -q "vbe: ok" "$out/qemu.dbg" 2>/dev/null; then
    echo "FAIL boot/vga_pci_qemu: the guest did not finish on QEMU: $(tr '\n' '|' <"$out/qemu.dbg" 2>/dev/null)"
elif [ ! -s "$out/pemu.dbg" ]; then
    echo "FAIL boot/vga_pci_qemu: pemu's run wrote no debugcon lines to compare (see boot/vga_pci_vbe)"
elif ! cmp -s "$out/qemu.dbg" "$out/pemu.dbg"; then
    echo "FAIL boot/vga_pci_qemu: debugcon differs from QEMU's: $(diff "$out/qemu.dbg" "$out/pemu.dbg" | tr '\n' '|')"
elif ! python3 -c '
import sys
a, b = (open(f, "rb").read().split(maxsplit=4) for f in sys.argv[1:3])
sys.exit(0 if a[1:3] == b[1:3] and a[4] == b[4] else 1)' "$out/qemu.ppm" "$out/pemu.ppm"; then
    echo "FAIL boot/vga_pci_qemu: the screen dump's pixels differ from QEMU's"
else
    echo "PASS boot/vga_pci_qemu (same VBE answers and pixels)"
fi
