#!/bin/sh
# timeout: 600
# Debian's kernels through the Linux boot protocol (hw/linuxboot.c), with
# the test initramfs of tests/linux/lib.sh (busybox, /init prints markers
# and powers off). Kernels are fetched once into $PEMU_CACHE/linux.
#   rom_handoff, rom_initrd_max  a fake bzImage (linux_setup.asm) reports
#                  segments, header fields, command line, kernel and initrd
#                  bytes and the e820 map as the option ROM handed them over
#   amd64_seabios  linux-image-*-amd64 via SeaBIOS and the generated option
#                  ROM: setup's CPU check says it needs an x86-64 CPU while
#                  pemu has no long mode (proves ROM, fw_cfg, setup entry)
#   i386_seabios   linux-image-*-686 via SeaBIOS: setup names the features
#                  the CPU lacks (today: fpu), or the kernel starts
#   amd64_smp2     -smp 2: /proc/cpuinfo in userspace lists 2 processors
#   i386_direct    the 686 kernel with -M pc,firmware=none: boot_params'
#                  e820, command line and initrd placement as the kernel
#                  reports them, then the kernel runs until pemu's CPU stops
#                  it (today: "no FPU found") or the test script finishes
# Each case accepts today's stop and the later, better outcomes, and prints
# which one it saw; anything else fails.
set -u
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
case $PEMU_BUILD in *-san*) slow=3 ;; esac  # ASan+UBSan builds run slower
out=$PEMU_BUILD/tests/linux
mkdir -p "$out"
. "$PEMU_SRC/tests/linux/lib.sh"

if [ ! -f /usr/share/seabios/bios.bin ]; then
    echo "SKIP boot/linux: seabios is not installed (run ports/deps.sh as root)"
    exit 0
fi

# wait_any FILE SECONDS PID PATTERN...: prints the first PATTERN (grep -E)
# found in FILE; waits while PID runs, at most SECONDS.
wait_any() {
    _f=$1 _s=$2 _p=$3
    shift 3
    _n=0
    while :; do
        for _pat in "$@"; do
            if grep -aqE "$_pat" "$_f" 2>/dev/null; then
                echo "$_pat"
                return 0
            fi
        done
        [ $_n -ge $((_s * 10)) ] && return 1
        kill -0 "$_p" 2>/dev/null || _n=$((_s * 10))
        sleep 0.1
        _n=$((_n + 1))
    done
}

# run NAME ARCH MACHINE APPEND SECONDS PATTERN...: boot, wait, stop pemu.
run() {
    _name=$1 _arch=$2 _mach=$3 _app=$4 _secs=$5
    shift 5
    log=$out/$_name.log
    $PEMU -nographic -M "$_mach" -m 256 -no-reboot -kernel "$LINUX_CACHE/$_arch/vmlinuz" \
        -initrd "$out/$_arch-test.cpio.gz" -append "$_app" >"$log" 2>&1 </dev/null &
    _pid=$!
    seen=$(wait_any "$log" $((_secs * slow)) $_pid "$@")
    kill $_pid 2>/dev/null
    wait $_pid 2>/dev/null
    [ -n "$seen" ]
}

tail_of() {
    tail -c 400 "$1" | tr -d '\033\r' | tr '\n' '|'
}

# --- the option ROM's hand-over, exactly: a fake bzImage whose setup code
# reports what it got (tests/boot/linux_setup.asm). The expected initrd
# address comes from the e820 map it prints: the end of the highest RAM
# range below 4 GiB, capped at initrd_addr_max + 1, minus the size, rounded
# down to 4 KiB.
rom_case() {
    _n=$1 _max=$2
    nasm -f bin -DINITRD_MAX=$_max -o "$out/$_n.bin" "$PEMU_SRC/tests/boot/linux_setup.asm" || {
        echo "FAIL boot/linux_$_n: nasm failed"; return; }
    printf 'PEMU-INITRD-DATA%05000d' 7 >"$out/$_n.initrd"
    rm -f "$out/$_n.dbg"
    timeout $((60 * slow)) $PEMU -nographic -m 64 -kernel "$out/$_n.bin" -initrd "$out/$_n.initrd" \
        -append "console=ttyS0 pemu,test" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -debugcon file:"$out/$_n.dbg" >"$out/$_n.log" 2>&1 </dev/null
    _st=$?
    _top=0
    while read -r _w _base _len _type; do
        [ "$_w" = e820 ] && [ "$_type" = 01 ] || continue
        _e=$((0x$_base + 0x$_len))
        [ $_e -le 4294967296 ] && [ $_e -gt $_top ] && _top=$_e
    done <"$out/$_n.dbg"
    _size=$(wc -c <"$out/$_n.initrd")
    _lim=$((_max + 1))
    [ "${_top:-0}" -lt $_lim ] && _lim=$_top
    _want=$(printf 'rdimage=%08x rdsize=%08x' $(( (_lim - _size) & ~0xfff )) $_size)
    _bad=""
    [ "$_st" = 33 ] || _bad="$_bad, exit status $_st (not 33)"
    grep -q "^cs=1020 ds=1000 es=1000 ss=1000 sp=e000$" "$out/$_n.dbg" || _bad="$_bad, segments/stack"
    grep -q "^loader=ff flags=81 heap=de00 cmdline=0001e000 $_want$" "$out/$_n.dbg" ||
        _bad="$_bad, header fields (want '$_want')"
    grep -q "^cmd=console=ttyS0 pemu,test$" "$out/$_n.dbg" || _bad="$_bad, command line"
    grep -q "^kernel=PEMU-KERNEL-1MiB$" "$out/$_n.dbg" || _bad="$_bad, kernel at 1 MiB"
    grep -q "^initrd=PEMU-INITRD-DATA$" "$out/$_n.dbg" || _bad="$_bad, initrd contents"
    [ "${_top:-0}" -gt 0 ] || _bad="$_bad, no RAM in the e820 map"
    if [ -z "$_bad" ]; then
        echo "PASS boot/linux_$_n"
    else
        echo "FAIL boot/linux_$_n: ${_bad#, }: $(tr '\n' '|' <"$out/$_n.dbg" 2>/dev/null)"
    fi
}
if command -v nasm >/dev/null 2>&1; then
    rom_case rom_handoff 0x7fffffff        # placed by the end of RAM
    rom_case rom_initrd_max 0x01ffffff     # placed by initrd_addr_max (32 MiB)
else
    echo "SKIP boot/linux_rom_handoff: nasm is not installed"
fi

have=""
for arch in amd64 i386; do
    if linux_fetch $arch && linux_initramfs $arch test "$out/$arch-test.cpio.gz"; then
        have="$have $arch"
    else
        echo "SKIP boot/linux_$arch: $LINUX_WHY"
    fi
done

# The kernel reached userspace and ran the test script.
USERSPACE='pemu-test: end'

case $have in *amd64*)
    if run amd64_seabios amd64 pc "console=ttyS0" 60 \
        "This kernel requires an x86-64 CPU, but only detected an i686 CPU" "$USERSPACE"; then
        if [ "$seen" = "$USERSPACE" ] || grep -aq "Unable to boot - please use a kernel appropriate for your CPU" "$log"; then
            echo "PASS boot/linux_amd64_seabios (${seen%%,*})"
        else
            echo "FAIL boot/linux_amd64_seabios: no 'Unable to boot' after the CPU message: $(tail_of "$log")"
        fi
    else
        echo "FAIL boot/linux_amd64_seabios: neither setup's CPU check nor userspace: $(tail_of "$log")"
    fi
;; esac

case $have in *i386*)
    if run i386_seabios i386 pc "console=ttyS0" 60 \
        "This kernel requires the following features not present on the CPU:" "Linux version 6\." ; then
        if [ "$seen" = "Linux version 6\." ]; then
            echo "PASS boot/linux_i386_seabios (setup passed, the kernel started)"
        else
            # the line after the message lists the missing features
            missing=$(grep -a -A1 "not present on the CPU:" "$log" | tail -n 1 | tr -d '\r' | sed 's/ *$//')
            if [ -n "$missing" ] && grep -aq "Unable to boot" "$log"; then
                echo "PASS boot/linux_i386_seabios (setup stops: the CPU lacks: $missing)"
            else
                echo "FAIL boot/linux_i386_seabios: incomplete CPU-check message: $(tail_of "$log")"
            fi
        fi
    else
        echo "FAIL boot/linux_i386_seabios: neither setup's CPU check nor the kernel: $(tail_of "$log")"
    fi

    app="console=ttyS0 earlyprintk=serial"
    if run i386_direct i386 pc,firmware=none "$app" 120 \
        "x86/fpu: Giving up, no FPU found" "$USERSPACE" "Kernel panic"; then
        size=$(wc -c <"$out/i386-test.cpio.gz")
        # The initrd as high as it goes below 256 MiB, page-aligned; the kernel
        # prints its page-rounded range.
        start=$(( (0x10000000 - size) & ~0xfff ))
        end=$(( start + ((size + 0xfff) & ~0xfff) - 1 ))
        ramdisk=$(printf 'RAMDISK: [mem 0x%08x-0x%08x]' $start $end)
        bad=""
        grep -aq "Linux version 6\.1\.[0-9-]*686" "$log" || bad="$bad, no 686 'Linux version'"
        grep -aqF "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable" "$log" ||
            bad="$bad, no e820 line for 1 MiB..256 MiB"
        grep -aqF "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved" "$log" ||
            bad="$bad, no e820 line for the EBDA"
        grep -aqF "Kernel command line: $app" "$log" || bad="$bad, no 'Kernel command line: $app'"
        grep -aqF "$ramdisk" "$log" || bad="$bad, no '$ramdisk'"
        if [ "$seen" = "Kernel panic" ]; then
            bad="$bad, kernel panic"
        fi
        if [ -z "$bad" ]; then
            echo "PASS boot/linux_i386_direct (stops at: $seen)"
        else
            echo "FAIL boot/linux_i386_direct: ${bad#, }: $(tail_of "$log")"
        fi
    else
        echo "FAIL boot/linux_i386_direct: no known end within $((120 * slow)) s: $(tail_of "$log")"
    fi
;; esac
# --- amd64 with -smp 2: the kernel brings up the AP (SeaBIOS's MADT, INIT/
# SIPI to its trampoline) and userspace sees both CPUs. The test script
# comes in a second cpio archive appended to the initramfs (the kernel
# unpacks concatenated archives), so lib.sh's image stays as it is.
case $have in *amd64*)
    rm -rf "$out/smp.root" && mkdir -p "$out/smp.root" &&
        printf '#!/bin/sh\necho "pemu-smp: cpus=$(grep -c ^processor /proc/cpuinfo)"\n' >"$out/smp.root/test.sh" &&
        chmod 755 "$out/smp.root/test.sh" &&
        (cd "$out/smp.root" && echo ./test.sh | cpio -o -H newc --quiet) | gzip -9 >"$out/smp.cpio.gz" &&
        cat "$out/amd64-test.cpio.gz" "$out/smp.cpio.gz" >"$out/amd64-smp.cpio.gz"
    log=$out/amd64_smp2.log
    $PEMU -nographic -smp 2 -m 256 -no-reboot -kernel "$LINUX_CACHE/amd64/vmlinuz" \
        -initrd "$out/amd64-smp.cpio.gz" -append "console=ttyS0" >"$log" 2>&1 </dev/null &
    pid=$!
    seen=$(wait_any "$log" $((240 * slow)) $pid "pemu-smp: cpus=[0-9]+" "requires an x86-64 CPU" "Kernel panic")
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    if grep -aq "pemu-smp: cpus=2" "$log"; then
        echo "PASS boot/linux_amd64_smp2 (/proc/cpuinfo lists 2 processors)"
    elif [ "$seen" = "requires an x86-64 CPU" ]; then
        echo "SKIP boot/linux_amd64_smp2: pemu's CPU has no long mode yet"
    else
        echo "FAIL boot/linux_amd64_smp2: no 'pemu-smp: cpus=2' within $((240 * slow)) s: $(grep -a 'pemu-smp\|smpboot\|CPU' "$log" | head -n 4 | tr -d '\r' | tr '\n' '|') $(tail_of "$log")"
    fi
;; esac
exit 0
