# Shared by tests/demo.sh and tests/boot/linux.sh (sourced, POSIX sh):
# fetch Debian's kernels and busybox-static once into $PEMU_CACHE/linux,
# and build newc+gzip initramfs images around busybox.
#
#   linux_fetch ARCH      ARCH = amd64 (linux-image-<ver>-amd64) or i386
#                         (linux-image-<ver>-686). Leaves
#                         $PEMU_CACHE/linux/ARCH/vmlinuz and .../busybox.
#                         Returns 1 with the reason in $LINUX_WHY on failure.
#   linux_initramfs ARCH KIND OUT   KIND = demo (a shell on the console),
#                         test (runs the test script, prints markers,
#                         powers off) or devtest (test, plus the modules
#                         and /devtest.sh, run with pemu.devtest on the
#                         command line). Needs cpio and gzip.
#   linux_fetch_modules ARCH  the kernel modules the devtest initramfs
#                         loads (ata_piix, sd_mod, sr_mod, isofs, ext4 and
#                         what they depend on, in load order) into
#                         $PEMU_CACHE/linux/ARCH/modules.
#   linux_write_test FILE the test script (/test.sh): a workload whose
#                         "pemu-result:" lines the host can reproduce by
#                         running the same script with the same busybox
#                         natively (linux_host_results).

LINUX_CACHE=${PEMU_CACHE:-cache}/linux

# The metapackage's dependency names the versioned kernel package.
linux_pkg_name() {
    _lmeta=$1
    apt-cache depends "$_lmeta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1
}

# apt-get download PKG into directory $2 and unpack its data into $3.
linux_get_deb() {
    _lpkg=$1 _ldl=$2 _linto=$3
    mkdir -p "$_ldl" "$_linto" || return 1
    (cd "$_ldl" && rm -f ./*.deb && apt-get download "$_lpkg" >"$_ldl/apt.log" 2>&1) || {
        LINUX_WHY="apt-get download $_lpkg failed (see $_ldl/apt.log)"
        return 1
    }
    for _ldeb in "$_ldl"/*.deb; do
        dpkg-deb -x "$_ldeb" "$_linto" || { LINUX_WHY="dpkg-deb -x $_ldeb failed"; return 1; }
    done
}

linux_fetch() {
    _larch=$1
    _ldir=$LINUX_CACHE/$_larch
    [ -s "$_ldir/vmlinuz" ] && [ -x "$_ldir/busybox" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
        LINUX_WHY="no apt-get/dpkg-deb on this host: pass KERNEL=<bzImage> INITRD=<initramfs>"
        return 1
    fi
    case $_larch in
    amd64) _lmeta=linux-image-amd64 _lbb=busybox-static ;;
    i386)
        _lmeta=linux-image-686:i386 _lbb=busybox-static:i386
        if ! dpkg --print-foreign-architectures | grep -qx i386; then
            LINUX_WHY="the i386 packages need 'dpkg --add-architecture i386 && apt-get update' (ports/deps.sh linux does it as root)"
            return 1
        fi ;;
    *) LINUX_WHY="unknown architecture $_larch"; return 1 ;;
    esac
    _lkpkg=$(linux_pkg_name "$_lmeta")
    if [ -z "$_lkpkg" ]; then
        LINUX_WHY="apt-cache does not know $_lmeta (apt-get update?)"
        return 1
    fi
    case $_larch:$_lkpkg in i386:*:i386) ;; i386:*) _lkpkg=$_lkpkg:i386 ;; esac
    rm -rf "$_ldir.tmp" && mkdir -p "$_ldir.tmp" || return 1
    linux_get_deb "$_lkpkg" "$_ldir.tmp/k" "$_ldir.tmp/kroot" || return 1
    linux_get_deb "$_lbb" "$_ldir.tmp/b" "$_ldir.tmp/broot" || return 1
    mkdir -p "$_ldir" || return 1
    cp "$_ldir.tmp"/kroot/boot/vmlinuz-* "$_ldir/vmlinuz" &&
        cp "$_ldir.tmp/broot/bin/busybox" "$_ldir/busybox" &&
        echo "$_lkpkg" >"$_ldir/version" || { LINUX_WHY="unexpected package contents in $_ldir.tmp"; return 1; }
    rm -rf "$_ldir.tmp"
}

# The /init of both kinds: mount the pseudo file systems, say hello, then
# either a console shell (demo) or /test.sh and poweroff (test).
linux_write_init() {
    _lwkind=$1 _lwout=$2
    cat >"$_lwout" <<'EOT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
# The archive has no device nodes (built without root): the console comes
# from devtmpfs.
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "pemu-init: userspace reached ($(uname -m), $(uname -r))"
EOT
    if [ "$_lwkind" = demo ]; then
        cat >>"$_lwout" <<'EOT'
echo
echo "Welcome to Linux on pemu: a busybox shell. 'poweroff -f' (or Ctrl-A x) ends pemu."
echo
exec setsid cttyhack sh
EOT
    else
        cat >>"$_lwout" <<'EOT'
echo "pemu-cpus: $(grep -c '^processor' /proc/cpuinfo)"
echo "pemu-test: begin"
# pemu.quick on the command line: only prove userspace runs
if grep -q pemu.devtest /proc/cmdline; then
    /devtest.sh
elif ! grep -q pemu.quick /proc/cmdline; then
    /test.sh
fi
echo "pemu-test: end"
poweroff -f
EOT
    fi
    chmod 755 "$_lwout"
}

# The workload of the issue: an 8 MiB generated file through sha256sum and
# gzip -9 | gzip -d, awk floating point (Debian's busybox awk has no math
# functions: sums, products, divisions, Newton's square root, overflow to
# inf, and printf of doubles), shell arithmetic, and the
# CPU flags the guest sees. Every line but the flags must be identical to
# the same busybox run on the host CPU.
linux_write_test() {
    cat >"$1" <<'EOT'
#!/bin/sh
cd /tmp || exit 1
t0=$(cut -d' ' -f1 /proc/uptime)
seq 1 1200000 | head -c 8388608 >data
echo "pemu-result: size $(wc -c <data)"
echo "pemu-result: sha256 $(sha256sum data | cut -d' ' -f1)"
gzip -9 <data >data.gz
echo "pemu-result: gzip $(sha256sum <data.gz | cut -d' ' -f1)"
echo "pemu-result: roundtrip $(gzip -d <data.gz | sha256sum | cut -d' ' -f1)"
echo "pemu-result: md5 $(md5sum data | cut -d' ' -f1)"
echo "pemu-result: awk $(awk 'BEGIN { s = 0; p = 1; r = 2;
    for (i = 1; i <= 20000; i++) { s += 1 / (i * i); p *= 1.0001; r = (r + 2 / r) / 2 }
    printf "%.17g %.12e %.17g %.6f %d", s, p, r, 1e300 * 1e10 / 3, 7 / 2 }')"
echo "pemu-result: awkdata $(head -n 100000 data | awk '{ x += $1 * 0.37; y += 1 / $1 } END { printf "%.17g %.17g", x, y }')"
i=0 n=0
while [ $i -lt 3000 ]; do n=$(( (n * 31 + i) % 1000003 )); i=$((i + 1)); done
echo "pemu-result: shell $n"
t1=$(cut -d' ' -f1 /proc/uptime)
echo "pemu-flags: $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)"
echo "pemu-time: workload $t0 $t1"
EOT
    chmod 755 "$1"
}

# The devices through Linux's own drivers (run by /init with pemu.devtest):
# the IDE disk (ata_piix, sd) holding an ext2 file system, the ATAPI
# CD-ROM (sr, isofs), the RTC, the serial line, the SMBIOS tables (DMI)
# and the PCI VGA. The host checks the
# "pemu-dev:" lines and, afterwards, the file written to the disk.
linux_write_devtest() {
    cat >"$1" <<'EOT'
#!/bin/sh
for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m.ko || echo "pemu-dev: insmod $m failed"
done
i=0
while [ ! -b /dev/sda ] || [ ! -b /dev/sr0 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
mkdir -p /mnt /cd
if mount -t ext4 -o ro /dev/sda /mnt; then
    echo "pemu-dev: disk sha256 $(sha256sum /mnt/data | cut -d' ' -f1)"
    echo "pemu-dev: disk hello $(cat /mnt/hello)"
    umount /mnt
fi
if mount -t ext4 /dev/sda /mnt; then
    echo "written by linux on pemu" >/mnt/fromguest
    sync
    umount /mnt && echo "pemu-dev: disk written"
fi
if mount -t iso9660 -o ro /dev/sr0 /cd; then
    echo "pemu-dev: cd $(cat /cd/cdfile.txt)"
    umount /cd
fi
echo "pemu-dev: date $(date -u '+%Y-%m-%d %H:%M')"
for f in sys_vendor product_name product_serial product_uuid bios_vendor chassis_vendor; do
    echo "pemu-dev: dmi $f $(cat /sys/class/dmi/id/$f 2>&1)"
done
v=/sys/bus/pci/devices/0000:00:02.0
echo "pemu-dev: vga $(cat $v/vendor $v/device $v/class 2>&1 | tr '\n' ' ')"
echo "pemu-dev: serial $(stty -F /dev/ttyS0 speed)"
dmesg | grep -E 'ata[0-9]+(\.[0-9]+)?: (ATA|ATAPI)|configured for|ata_piix|sd 0:0:0:0: \[sda\]|sr 1:0:0:0|rtc_cmos' |
    sed 's/^/pemu-dev: dmesg /'
EOT
    chmod 755 "$1"
}

# linux_fetch_modules ARCH: the modules devtest loads, with their
# dependencies (the .modinfo "depends=" of each .ko, read with objcopy),
# and the order to load them in.
linux_fetch_modules() {
    _lmarch=$1
    _lmdir=$LINUX_CACHE/$_lmarch/modules
    [ -s "$_lmdir/order" ] && return 0
    if ! command -v objcopy >/dev/null 2>&1; then
        LINUX_WHY="objcopy is not installed (binutils)"
        return 1
    fi
    _lmpkg=$(cat "$LINUX_CACHE/$_lmarch/version" 2>/dev/null)
    [ -n "$_lmpkg" ] || { LINUX_WHY="no kernel version in $LINUX_CACHE/$_lmarch"; return 1; }
    rm -rf "$_lmdir.tmp" && mkdir -p "$_lmdir.tmp" || return 1
    linux_get_deb "$_lmpkg" "$_lmdir.tmp/k" "$_lmdir.tmp/root" || return 1
    _lmk=$(echo "$_lmdir.tmp"/root/lib/modules/*/kernel)
    _lmdeps() {
        _f=$(find "$_lmk" -name "$1.ko" | head -n 1)
        [ -n "$_f" ] && objcopy -O binary --only-section=.modinfo "$_f" /dev/stdout 2>/dev/null |
            tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
    }
    # the closure, then an order where every module follows its dependencies
    _all="" _todo="ata_piix sd_mod sr_mod isofs ext4 crc32c_generic"
    while [ -n "$_todo" ]; do
        _next=""
        for _m in $_todo; do
            case " $_all " in *" $_m "*) continue ;; esac
            _all="$_all $_m"
            _next="$_next $(_lmdeps "$_m")"
        done
        _todo=$_next
    done
    _order="" _left=$_all
    while [ -n "$_left" ]; do
        _rest="" _moved=0
        for _m in $_left; do
            _ok=1
            for _d in $(_lmdeps "$_m"); do
                case " $_order " in *" $_d "*) ;; *) _ok=0 ;; esac
            done
            if [ $_ok = 1 ]; then _order="$_order $_m" _moved=1; else _rest="$_rest $_m"; fi
        done
        [ $_moved = 1 ] || { LINUX_WHY="module dependencies do not resolve:$_rest"; return 1; }
        _left=$_rest
    done
    mkdir -p "$_lmdir" || return 1
    for _m in $_order; do
        cp "$(find "$_lmk" -name "$_m.ko" | head -n 1)" "$_lmdir/" || { LINUX_WHY="no $_m.ko"; return 1; }
    done
    echo $_order >"$_lmdir/order"
    rm -rf "$_lmdir.tmp"
}

# linux_host_results ARCH OUT: run the test script natively with the cached
# busybox (the host runs amd64 and i386 static binaries) and keep its
# "pemu-result:" lines in OUT. Returns 1 if the host cannot run it.
linux_host_results() {
    _hr=$2.dir
    rm -rf "$_hr" && mkdir -p "$_hr/bin" "$_hr/tmp" || return 1
    cp "$LINUX_CACHE/$1/busybox" "$_hr/bin/busybox" || return 1
    "$_hr/bin/busybox" --install -s "$_hr/bin" 2>/dev/null || return 1
    linux_write_test "$_hr/test.sh"
    sed -i "s|^cd /tmp|cd $_hr/tmp|" "$_hr/test.sh"
    PATH=$_hr/bin "$_hr/bin/busybox" sh "$_hr/test.sh" 2>/dev/null | grep '^pemu-result:' >"$2"
    rm -rf "$_hr"
    [ -s "$2" ]
}

linux_initramfs() {
    _larch=$1 _lkind=$2 _lout=$3
    if ! command -v cpio >/dev/null 2>&1; then
        LINUX_WHY="cpio is not installed (Debian: apt-get install cpio)"
        return 1
    fi
    _lroot=$_lout.root
    rm -rf "$_lroot" && mkdir -p "$_lroot/bin" "$_lroot/proc" "$_lroot/sys" "$_lroot/dev" "$_lroot/tmp" || return 1
    cp "$LINUX_CACHE/$_larch/busybox" "$_lroot/bin/busybox" || return 1
    linux_write_init "$_lkind" "$_lroot/init"
    [ "$_lkind" != demo ] && linux_write_test "$_lroot/test.sh"
    if [ "$_lkind" = devtest ]; then
        linux_write_devtest "$_lroot/devtest.sh"
        mkdir -p "$_lroot/lib/modules" && cp "$LINUX_CACHE/$_larch/modules/"* "$_lroot/lib/modules/" || {
            LINUX_WHY="no modules in $LINUX_CACHE/$_larch/modules (linux_fetch_modules)"
            return 1
        }
    fi
    (cd "$_lroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$_lout.tmp" &&
        mv "$_lout.tmp" "$_lout" || { LINUX_WHY="cpio/gzip failed for $_lout"; return 1; }
    rm -rf "$_lroot"
}
