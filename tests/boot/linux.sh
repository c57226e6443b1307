#!/bin/sh
# timeout: 2400
# Debian's kernels through the Linux boot protocol (hw/linuxboot.c), with
# the test initramfs of tests/linux/lib.sh (busybox, /init prints markers
# and powers off). Kernels are fetched once into $PEMU_CACHE/linux.
#   rom_handoff, rom_initrd_max  a fake bzImage (linux_setup.asm) reports
#                  segments, header fields, command line, kernel and initrd
#                  bytes and the e820 map as the option ROM handed them over
#   amd64_seabios  linux-image-*-amd64 via SeaBIOS and the generated option
#                  ROM to userspace; the test script's workload (sha256sum,
#                  gzip -9 | gzip -d of 8 MiB, awk floating point, shell
#                  arithmetic) gives exactly what the same busybox prints
#                  when the host CPU runs it; /proc/cpuinfo shows the
#                  x86-64-v2 flags; poweroff -f ends pemu with status 0
#   amd64_direct   the same kernel with -M pc,firmware=none (64-bit entry)
#   amd64_icount   amd64_direct twice with -icount: identical serial logs
#   amd64_devices  Linux's ata_piix, sd, sr, isofs, ext4 (for ext2), rtc_cmos
#                  and 8250 drivers on pemu's IDE disk and CD-ROM, RTC and UART
#   amd64_smp2     the amd64 kernel with -smp 2: the AP comes up (SeaBIOS's
#                  MADT, INIT/SIPI) and /proc/cpuinfo lists 2 processors
#   i386_seabios   linux-image-*-686 via SeaBIOS to userspace
#   amd64_isolinux the same from an isolinux (syslinux) CD
#   amd64_grub_iso the amd64 kernel and the initramfs in a grub-mkrescue
#                  ISO booted as a CD-ROM: SeaBIOS, El Torito, GRUB, Linux
#   amd64_ide_disk the same hybrid image converted to qcow2 and booted as
#                  the first IDE hard disk (its MBR, GRUB's int 13h reads)
#   i386_direct    the 686 kernel with firmware=none (32-bit entry):
#                  boot_params' e820, command line and initrd placement as
#                  the kernel reports them, then the workload (x87 floating
#                  point in busybox i386) compared with the host's run
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

if [ -n "${PEMU_PORT:-}" ]; then
    # Minutes on the build host, hours under qemu-user: the real kernels
    # run in `make check` on the build machine (x86-64, both guest arches).
    echo "SKIP boot/linux_kernels: too slow under qemu-user (port-check); covered by make check on the build host"
    exit 0
fi

have=""
for arch in amd64 i386; do
    if linux_fetch $arch && linux_initramfs $arch test "$out/$arch-test.cpio.gz"; then
        if linux_host_results $arch "$out/$arch-host.res"; then
            have="$have $arch"
        else
            echo "FAIL boot/linux_$arch: the host cannot run the $arch busybox natively to make the reference results"
        fi
    else
        echo "SKIP boot/linux_$arch: $LINUX_WHY"
    fi
done

# run_vm NAME SECONDS PEMU-ARGS...: run pemu to the end and set $st: its
# exit status (poweroff -f: ACPI S5 through SeaBIOS's tables ends pemu with
# 0), "halted" when the kernel halted instead (firmware=none has no ACPI
# tables, so Linux can only halt: pemu is stopped then), "timeout".
run_vm() {
    log=$out/$1.log
    _secs=$2
    shift 2
    # guest_errors: a triple fault or device misuse says so in $log.d
    rm -f "$log.d"
    $PEMU -nographic -m 256 -no-reboot -d guest_errors -D "$log.d" "$@" >"$log" 2>&1 </dev/null &
    _bp=$! _bn=0 st=timeout
    while [ $_bn -lt $((_secs * slow * 2)) ]; do
        if ! kill -0 $_bp 2>/dev/null; then
            wait $_bp
            st=$?
            return
        fi
        if grep -aq "reboot: System halted" "$log"; then
            st=halted
            break
        fi
        sleep 0.5
        _bn=$((_bn + 1))
    done
    kill $_bp 2>/dev/null
    wait $_bp 2>/dev/null
}

# boot NAME ARCH MACHINE APPEND SECONDS [PEMU ARGS]: the kernel and the test
# initramfs given with -kernel/-initrd.
boot() {
    # shellcheck disable=SC2086
    run_vm "$1" "$5" -M "$3" ${6:-} -kernel "$LINUX_CACHE/$2/vmlinuz" \
        -initrd "$out/$2-test.cpio.gz" -append "$4"
}

# What every boot must show: userspace, the test script's end, the end
# state ($2: 0 through SeaBIOS, halted without firmware).
check_end() {
    bad=""
    grep -aq "^pemu-init: userspace reached ($1, " "$log" || bad="$bad, no userspace ($1)"
    grep -aq "^pemu-test: end" "$log" || bad="$bad, the test script did not end"
    [ "$st" = "$2" ] || bad="$bad, end state $st (want $2)"
    ! grep -aq "unchecked MSR access" "$log" || bad="$bad, $(grep -a -m1 -o 'unchecked MSR access error: [A-Z]* [a-z]* 0x[0-9a-f]*' "$log")"
    [ -z "$bad" ] || [ ! -s "$log.d" ] || bad="$bad, pemu logged: $(tail -n 3 "$log.d" | tr '\n' '|')"
}

# The workload's results equal the same busybox on the host CPU, and the
# guest sees the CPU features the issue asks for (x86-64-v2).
check_workload() {
    tr -d '\r' <"$log" | grep '^pemu-result:' >"$log.res"
    if ! cmp -s "$out/$1-host.res" "$log.res"; then
        bad="$bad, results differ from the host's: $(diff "$out/$1-host.res" "$log.res" | grep '^[<>]' | head -n 4 | tr '\n' '|')"
    fi
    flags=" $(tr -d '\r' <"$log" | sed -n 's/^pemu-flags: *//p') "
    for f in fpu tsc msr pae cx8 apic sep mtrr pge cmov pat pse36 mmx fxsr sse sse2 syscall nx rdtscp lm \
        pni ssse3 cx16 sse4_1 sse4_2 popcnt xsave lahf_lm; do
        case $flags in *" $f "*) ;; *) bad="$bad, /proc/cpuinfo lacks $f" ;; esac
    done
    grep -aq "^pemu-cpus: 1" "$log" || bad="$bad, not 1 CPU in /proc/cpuinfo"
}

report() {
    if [ -z "$bad" ]; then
        echo "PASS boot/linux_$1${2:+ ($2)}"
    else
        echo "FAIL boot/linux_$1: ${bad#, }: $(tail_of "$log")"
    fi
}

# workload time from the guest's own uptime stamps
wtime() {
    tr -d '\r' <"$log" | sed -n 's/^pemu-time: workload \([0-9.]*\) \([0-9.]*\)/\1 \2/p' |
        awk '{ printf "workload %.1f s guest time", $2 - $1 }'
}

case $have in *amd64*)
    # Through SeaBIOS and the generated option ROM, the whole workload.
    boot amd64_seabios amd64 pc "console=ttyS0" 400
    check_end x86_64 0
    check_workload amd64
    report amd64_seabios "$(wtime)"
    # No firmware: the 64-bit entry with pemu's own page tables.
    boot amd64_direct amd64 pc,firmware=none "console=ttyS0 pemu.quick" 120
    check_end x86_64 halted
    report amd64_direct
    # -icount: the same boot twice gives the same serial log byte for byte,
    # printk timestamps included (the RTC follows the virtual clock from a
    # fixed date); the run above without -icount has other timestamps.
    ic="-icount shift=0,sleep=off -rtc base=2020-01-01,clock=vm"
    boot amd64_icount_a amd64 pc,firmware=none "console=ttyS0 pemu.quick" 240 "$ic"
    check_end x86_64 halted
    ica=$log
    boot amd64_icount_b amd64 pc,firmware=none "console=ttyS0 pemu.quick" 240 "$ic"
    check_end x86_64 halted
    if [ -n "$bad" ]; then
        :
    elif ! cmp -s "$ica" "$log"; then
        bad=", the two -icount runs differ: $(diff "$ica" "$log" | grep '^[<>]' | head -n 2 | tr -d '\r' | tr '\n' '|')"
    elif cmp -s "$ica" "$out/amd64_direct.log"; then
        bad=", the run without -icount printed the same (the test cannot tell)"
    fi
    report amd64_icount "$(grep -c . "$log") identical lines"
;; esac

case $have in *i386*)
    boot i386_seabios i386 pc "console=ttyS0 pemu.quick" 120
    check_end i686 0
    report i386_seabios

    # No firmware, 32-bit entry: boot_params as the kernel reports it, then
    # the whole workload (busybox i386 does its floating point on the x87).
    app="console=ttyS0 earlyprintk=serial"
    boot i386_direct i386 pc,firmware=none "$app" 400
    check_end i686 halted
    check_workload i386
    size=$(wc -c <"$out/i386-test.cpio.gz")
    # The initrd as high as it goes below 256 MiB, page-aligned; the kernel
    # prints its page-rounded range.
    start=$(( (0x10000000 - size) & ~0xfff ))
    end=$(( start + ((size + 0xfff) & ~0xfff) - 1 ))
    ramdisk=$(printf 'RAMDISK: [mem 0x%08x-0x%08x]' $start $end)
    grep -aq "Linux version 6\.1\.[0-9-]*686" "$log" || bad="$bad, no 686 'Linux version'"
    grep -aqF "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable" "$log" ||
        bad="$bad, no e820 line for 1 MiB..256 MiB"
    grep -aqF "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved" "$log" ||
        bad="$bad, no e820 line for the EBDA"
    grep -aqF "Kernel command line: $app" "$log" || bad="$bad, no 'Kernel command line: $app'"
    grep -aqF "$ramdisk" "$log" || bad="$bad, no '$ramdisk'"
    report i386_direct "$(wtime)"
;; esac
# --- amd64 with -smp 2: the kernel brings up the AP (SeaBIOS's MADT, INIT/
# SIPI to its trampoline) and userspace sees both CPUs.
case $have in *amd64*)
    boot amd64_smp2 amd64 pc "console=ttyS0 pemu.quick" 240 "-smp 2"
    check_end x86_64 0
    grep -aq "^pemu-cpus: 2" "$log" ||
        bad="$bad, not 2 CPUs in /proc/cpuinfo: $(grep -a 'pemu-cpus\|smpboot\|CPU1' "$log" | head -n 4 | tr -d '\r' | tr '\n' '|')"
    report amd64_smp2 "2 processors"
;; esac
# --- Linux's own drivers on pemu's devices: ata_piix finds the IDE disk
# (an ext2 file system made by mke2fs -d: a file read and checked, one
# written and found afterwards by debugfs) and the ATAPI CD-ROM (sr,
# isofs); the RTC gives the -rtc base date; the console runs at 115200;
# /sys/class/dmi/id shows the SMBIOS tables with -uuid and -smbios values;
# 00:02.0 is the PCI VGA.
case $have in *amd64*)
    if ! command -v mke2fs >/dev/null 2>&1 || ! command -v debugfs >/dev/null 2>&1 ||
       ! command -v xorriso >/dev/null 2>&1; then
        echo "SKIP boot/linux_amd64_devices: needs mke2fs, debugfs (e2fsprogs) and xorriso"
    elif ! linux_fetch_modules amd64 || ! linux_initramfs amd64 devtest "$out/amd64-devtest.cpio.gz"; then
        echo "FAIL boot/linux_amd64_devices: $LINUX_WHY"
    else
        dt=$out/devtest
        rm -rf "$dt" && mkdir -p "$dt/disk" "$dt/cd"
        seq 1 300000 >"$dt/disk/data"
        echo "hello from the host" >"$dt/disk/hello"
        echo "a file on the CD" >"$dt/cd/cdfile.txt"
        mke2fs -q -F -t ext2 -d "$dt/disk" "$dt/disk.img" 16M &&
            xorriso -as mkisofs -quiet -V PEMUCD -o "$dt/cd.iso" "$dt/cd" 2>"$dt/xorriso.log"
        run_vm amd64_devices 400 -M pc -kernel "$LINUX_CACHE/amd64/vmlinuz" \
            -initrd "$out/amd64-devtest.cpio.gz" -append "console=ttyS0,115200 pemu.devtest" \
            -drive file="$dt/disk.img",format=raw,if=ide,index=0 -cdrom "$dt/cd.iso" \
            -rtc base=2021-03-04T05:06:00 -uuid 01234567-89ab-cdef-0011-223344556677 \
            -smbios type=1,serial=pemu-serial-42
        check_end x86_64 0
        dev() { tr -d '\r' <"$log" | sed -n "s/^pemu-dev: $1 //p" | head -n 1; }
        want=$(sha256sum "$dt/disk/data" | cut -d' ' -f1)
        [ "$(dev 'disk sha256')" = "$want" ] || bad="$bad, the disk file read back as '$(dev 'disk sha256')'"
        [ "$(dev 'disk hello')" = "hello from the host" ] || bad="$bad, hello: '$(dev 'disk hello')'"
        tr -d '\r' <"$log" | grep -q '^pemu-dev: disk written$' || bad="$bad, the guest could not write the disk"
        got=$(debugfs -R 'cat /fromguest' "$dt/disk.img" 2>/dev/null)
        [ "$got" = "written by linux on pemu" ] || bad="$bad, debugfs finds '$got' in /fromguest"
        [ "$(dev cd)" = "a file on the CD" ] || bad="$bad, CD file: '$(dev cd)'"
        case $(dev date) in "2021-03-04 05:"*) ;; *) bad="$bad, guest date '$(dev date)' (want 2021-03-04 05:..)" ;; esac
        [ "$(dev serial)" = 115200 ] || bad="$bad, ttyS0 at '$(dev serial)'"
        for kv in "sys_vendor pemu" "product_name Standard PC (i440FX + PIIX, 1996)" \
            "product_serial pemu-serial-42" "product_uuid 01234567-89ab-cdef-0011-223344556677" \
            "bios_vendor SeaBIOS" "chassis_vendor pemu"; do
            k=${kv%% *}
            [ "$(dev "dmi $k")" = "${kv#* }" ] || bad="$bad, DMI $k is '$(dev "dmi $k")' (want '${kv#* }')"
        done
        [ "$(dev vga)" = "0x1234 0x1111 0x030000 " ] || bad="$bad, 00:02.0 is '$(dev vga)' (want the 1234:1111 VGA)"
        tr -d '\r' <"$log" | grep -q '^pemu-dev: dmesg .*ata_piix' || bad="$bad, no ata_piix in dmesg"
        grep -a 'pemu-dev: insmod' "$log" | head -n 1 | grep -q . && bad="$bad, $(grep -a -m1 'pemu-dev: insmod' "$log" | tr -d '\r')"
        report amd64_devices "$(tr -d '\r' <"$log" | sed -n 's/^pemu-dev: dmesg \[[ 0-9.]*\] //p' | grep -E 'ATA-|ATAPI:' | tr '\n' ' ')"
    fi
;; esac
# --- An isolinux CD (syslinux's El Torito loader, no emulation, with a
# boot-info table) booting the amd64 kernel and the test initramfs.
case $have in *amd64*)
    if [ -f /usr/lib/ISOLINUX/isolinux.bin ] && [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] &&
       command -v xorriso >/dev/null 2>&1; then
        iso=$out/isolinux-root
        rm -rf "$iso" && mkdir -p "$iso/isolinux"
        cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
        cp "$LINUX_CACHE/amd64/vmlinuz" "$iso/vmlinuz"
        cp "$out/amd64-test.cpio.gz" "$iso/initrd.gz"
        cat >"$iso/isolinux/isolinux.cfg" <<'CFG'
serial 0 115200
default pemu
prompt 0
timeout 1
label pemu
  kernel /vmlinuz
  append initrd=/initrd.gz console=ttyS0 pemu.quick
CFG
        if xorriso -as mkisofs -quiet -o "$out/isolinux.iso" -b isolinux/isolinux.bin \
            -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
            >"$out/isolinux-mkisofs.log" 2>&1; then
            run_vm amd64_isolinux 180 -cdrom "$out/isolinux.iso" -boot d
            check_end x86_64 0
            grep -aq "ISOLINUX 6" "$log" || bad="$bad, no ISOLINUX banner"
            grep -aq "Command line: BOOT_IMAGE=/vmlinuz initrd=/initrd.gz console=ttyS0 pemu.quick" "$log" ||
                bad="$bad, not isolinux's command line"
            report amd64_isolinux
        else
            echo "FAIL boot/linux_amd64_isolinux: xorriso failed: $(tail -n 2 "$out/isolinux-mkisofs.log")"
        fi
    else
        echo "SKIP boot/linux_amd64_isolinux: needs isolinux, syslinux-common and xorriso (ports/deps.sh)"
    fi
;; esac
# --- From boot media through SeaBIOS and GRUB (no -kernel): a grub-mkrescue
# ISO holding the amd64 kernel and the test initramfs, as a CD-ROM (El
# Torito) and as an IDE hard disk (the same hybrid image has an MBR; here
# converted to qcow2 by pemu-img, so GRUB's int 13h reads go through
# SeaBIOS's ATA driver, pemu's IDE controller and the qcow2 driver).
case $have in *amd64*)
    if command -v grub-mkrescue >/dev/null 2>&1 && command -v xorriso >/dev/null 2>&1 &&
        [ -d /usr/lib/grub/i386-pc ]; then
        iso=$out/grub-linux
        rm -rf "$iso" && mkdir -p "$iso/boot/grub"
        cp "$LINUX_CACHE/amd64/vmlinuz" "$iso/boot/vmlinuz"
        cp "$out/amd64-test.cpio.gz" "$iso/boot/initrd.gz"
        cat >"$iso/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry "pemu linux" {
  linux /boot/vmlinuz console=ttyS0 pemu.quick
  initrd /boot/initrd.gz
}
CFG
        if grub-mkrescue -o "$out/linux.iso" "$iso" >"$out/grub-linux-mkrescue.log" 2>&1; then
            run_vm amd64_grub_iso 180 -cdrom "$out/linux.iso" -boot d
            check_end x86_64 0
            grep -aq "Booting from DVD/CD" "$log" || bad="$bad, SeaBIOS did not boot the CD"
            grep -aq "Booting .pemu linux'" "$log" || bad="$bad, GRUB did not run the menu entry"
            grep -aq "Command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0 pemu.quick" "$log" ||
                bad="$bad, not GRUB's command line"
            report amd64_grub_iso
            rm -f "$out/linux.qcow2"
            if $PEMU_IMG convert -f raw -O qcow2 "$out/linux.iso" "$out/linux.qcow2" >"$out/linux-convert.log" 2>&1; then
                run_vm amd64_ide_disk 180 -drive file="$out/linux.qcow2",format=qcow2,if=ide,index=0 -boot c
                check_end x86_64 0
                grep -aq "Booting from Hard Disk" "$log" || bad="$bad, SeaBIOS did not boot the hard disk"
                grep -aq "Booting .pemu linux'" "$log" || bad="$bad, GRUB did not run the menu entry"
                report amd64_ide_disk
            else
                echo "FAIL boot/linux_amd64_ide_disk: pemu-img convert failed: $(tail -n 2 "$out/linux-convert.log")"
            fi
        else
            echo "FAIL boot/linux_amd64_grub_iso: grub-mkrescue failed: $(tail -n 3 "$out/grub-linux-mkrescue.log")"
        fi
    else
        echo "SKIP boot/linux_amd64_grub_iso: needs grub-mkrescue, xorriso and grub-pc-bin"
    fi
;; esac
exit 0
