#!/bin/sh
# timeout: 1500
# System boots through real firmware (SeaBIOS from Debian's seabios package):
#   seabios_no_bootable  -hda of zeros: banner and "No bootable device." on the
#                        serial console, and pemu keeps running (it retries)
#   seabios_apic_acpi    the same run's SeaBIOS debug log (port 0x402): CPUs
#                        counted through the APIC, MP table and ACPI tables built
#   seabios_smp2         -smp 2: SeaBIOS starts the AP and finds 2 CPUs
#   floppy_boot          a boot sector on a 1.44M floppy (-fda, -boot a)
#   grub_iso             a grub-mkrescue ISO: menu on the serial line, then its
#                        multiboot entry runs a guest test kernel
set -u
# Under make port-check pemu itself runs under qemu-user: allow more time.
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
out=$PEMU_BUILD/tests/boot
mkdir -p "$out"
src=$PEMU_SRC/tests/boot

if [ ! -f /usr/share/seabios/bios.bin ]; then
    echo "SKIP boot: seabios is not installed (run ports/deps.sh as root)"
    exit 0
fi

# wait_for FILE TEXT SECONDS PID: 0 when TEXT appears in FILE while PID runs
wait_for() {
    n=0
    while [ $n -lt $(($3 * 10)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null; return $?; }
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

# --- SeaBIOS with nothing to boot
truncate -s 8M "$out/empty.img"
rm -f "$out/seabios.dbg"
$PEMU -nographic -drive file="$out/empty.img",format=raw -m 64 \
    -chardev file,id=sbdbg,path="$out/seabios.dbg" -device isa-debugcon,iobase=0x402,chardev=sbdbg \
    >"$out/nobootable.log" 2>&1 </dev/null &
pid=$!
if wait_for "$out/nobootable.log" "No bootable device." $((60 * slow)) $pid; then
    if ! grep -q "SeaBIOS (version" "$out/nobootable.log"; then
        echo "FAIL boot/seabios_no_bootable: no SeaBIOS banner in $(wc -c <"$out/nobootable.log") bytes: $(head -c 300 "$out/nobootable.log" | od -c | head -n 4 | tr '\n' ' ')"
    elif ! kill -0 $pid 2>/dev/null; then
        echo "FAIL boot/seabios_no_bootable: pemu exited instead of waiting for the firmware's retry"
    else
        echo "PASS boot/seabios_no_bootable"
    fi
else
    echo "FAIL boot/seabios_no_bootable: no 'No bootable device.' within $((60 * slow)) s: $(tail -c 300 "$out/nobootable.log" | tr -d '\033')"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null
# SeaBIOS's debug port (0x402): it found the local APIC and counted the CPUs
# (CPUID.1:EDX.APIC, INIT/SIPI broadcast), wrote the MP table, and built its
# ACPI tables around the PIIX4 PM function (FADT, MADT, DSDT, RSDP).
missing=""
for t in "Found 1 cpu(s) max supported 1 cpu(s)" "Copying MPTABLE" "ACPI DSDT=" "Copying ACPI RSDP"; do
    grep -qF "$t" "$out/seabios.dbg" 2>/dev/null || missing="$missing '$t'"
done
if [ -z "$missing" ]; then
    echo "PASS boot/seabios_apic_acpi"
else
    echo "FAIL boot/seabios_apic_acpi: SeaBIOS's debug log lacks$missing: $(grep -i 'apic\|cpu\|acpi' "$out/seabios.dbg" | head -n 5 | tr '\n' ' ')"
fi

# --- SeaBIOS with -smp 2: it wakes the AP (INIT/SIPI to its trampoline)
# and counts it; the MP table and MADT are built from that count.
rm -f "$out/seabios-smp.dbg"
timeout $((30 * slow)) $PEMU -display none -serial none -monitor none -smp 2 \
    -drive file="$out/empty.img",format=raw -m 64 \
    -chardev file,id=sbdbg,path="$out/seabios-smp.dbg" -device isa-debugcon,iobase=0x402,chardev=sbdbg \
    >"$out/seabios-smp.log" 2>&1 </dev/null &
pid=$!
if wait_for "$out/seabios-smp.dbg" "Copying MPTABLE" $((30 * slow)) $pid &&
    grep -qF "Found 2 cpu(s) max supported 2 cpu(s)" "$out/seabios-smp.dbg"; then
    echo "PASS boot/seabios_smp2"
else
    echo "FAIL boot/seabios_smp2: SeaBIOS's debug log lacks 'Found 2 cpu(s)': $(grep -i 'cpu' "$out/seabios-smp.dbg" | head -n 3 | tr '\n' ' ') $(head -c 300 "$out/seabios-smp.log")"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# --- a floppy boot sector
if command -v nasm >/dev/null 2>&1; then
    nasm -f bin -o "$out/floppy.img" "$src/floppy_boot.asm"
    rm -f "$out/floppy.dbg"
    timeout $((60 * slow)) $PEMU -nographic -fda "$out/floppy.img" -boot a -m 64 \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon file:"$out/floppy.dbg" \
        >"$out/floppy.log" 2>&1 </dev/null
    st=$?
    if [ $st = 1 ] && grep -q "floppy: booted from drive 0" "$out/floppy.dbg" &&
        grep -q "floppy: booted from drive" "$out/floppy.log"; then
        echo "PASS boot/floppy_boot"
    else
        echo "FAIL boot/floppy_boot: status $st, debugcon '$(cat "$out/floppy.dbg" 2>/dev/null)', serial: $(tail -c 200 "$out/floppy.log" | tr -d '\033')"
    fi
else
    echo "SKIP boot/floppy_boot: nasm is not installed"
fi

# --- GRUB rescue ISO with a serial console and a multiboot entry
if command -v grub-mkrescue >/dev/null 2>&1 && command -v xorriso >/dev/null 2>&1 &&
    [ -d /usr/lib/grub/i386-pc ] && command -v nasm >/dev/null 2>&1; then
    iso=$out/grub
    rm -rf "$iso" && mkdir -p "$iso/boot/grub"
    nasm -f bin -I "$PEMU_SRC/tests/guest/" -o "$iso/boot/smoke.bin" "$PEMU_SRC/tests/guest/smoke.asm"
    cat >"$iso/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=1
menuentry "pemu smoke test" {
  multiboot /boot/smoke.bin
  boot
}
CFG
    if grub-mkrescue -o "$out/grub.iso" "$iso" >"$out/grub-mkrescue.log" 2>&1; then
        rm -f "$out/grub.dbg"
        timeout $((120 * slow)) $PEMU -nographic -cdrom "$out/grub.iso" -boot d -m 64 \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon file:"$out/grub.dbg" \
            >"$out/grub.log" 2>&1 </dev/null
        st=$?
        if [ $st != 1 ]; then
            echo "FAIL boot/grub_iso: status $st: $(tail -c 300 "$out/grub.log" | tr -d '\033')"
        elif ! grep -q "GNU GRUB" "$out/grub.log" || ! grep -q "pemu smoke test" "$out/grub.log"; then
            echo "FAIL boot/grub_iso: no GRUB menu on the serial console"
        elif ! grep -q "^smoke: ok" "$out/grub.dbg"; then
            echo "FAIL boot/grub_iso: the multiboot entry did not run: $(cat "$out/grub.dbg")"
        else
            echo "PASS boot/grub_iso"
        fi
    else
        echo "FAIL boot/grub_iso: grub-mkrescue failed: $(tail -n 3 "$out/grub-mkrescue.log")"
    fi
else
    echo "SKIP boot/grub_iso: needs grub-mkrescue, xorriso, grub-pc-bin and nasm"
fi
