# Shared by tests/demo.sh and tests/boot/linux.sh (sourced, POSIX sh):
# fetch Debian's kernels and busybox-static once into $PEMU_CACHE/linux,
# and build newc+gzip initramfs images around busybox.
#
#   linux_fetch ARCH      ARCH = amd64 (linux-image-<ver>-amd64) or i386
#                         (linux-image-<ver>-686). Leaves
#                         $PEMU_CACHE/linux/ARCH/vmlinuz and .../busybox.
#                         Returns 1 with the reason in $LINUX_WHY on failure.
#   linux_initramfs ARCH KIND OUT   KIND = demo (a shell on the console) or
#                         test (runs the test script, prints markers,
#                         powers off). Needs cpio and gzip.

LINUX_CACHE=${PEMU_CACHE:-cache}/linux

# The metapackage's dependency names the versioned kernel package.
linux_pkg_name() {
    meta=$1
    apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1
}

# apt-get download PKG into directory $2 and unpack its data into $3.
linux_get_deb() {
    pkg=$1 dl=$2 into=$3
    mkdir -p "$dl" "$into" || return 1
    (cd "$dl" && rm -f ./*.deb && apt-get download "$pkg" >"$dl/apt.log" 2>&1) || {
        LINUX_WHY="apt-get download $pkg failed (see $dl/apt.log)"
        return 1
    }
    for deb in "$dl"/*.deb; do
        dpkg-deb -x "$deb" "$into" || { LINUX_WHY="dpkg-deb -x $deb failed"; return 1; }
    done
}

linux_fetch() {
    arch=$1
    dir=$LINUX_CACHE/$arch
    [ -s "$dir/vmlinuz" ] && [ -x "$dir/busybox" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
        LINUX_WHY="no apt-get/dpkg-deb on this host: pass KERNEL=<bzImage> INITRD=<initramfs>"
        return 1
    fi
    case $arch in
    amd64) meta=linux-image-amd64 bb=busybox-static ;;
    i386)
        meta=linux-image-686:i386 bb=busybox-static:i386
        if ! dpkg --print-foreign-architectures | grep -qx i386; then
            LINUX_WHY="the i386 packages need 'dpkg --add-architecture i386 && apt-get update' (ports/deps.sh linux does it as root)"
            return 1
        fi ;;
    *) LINUX_WHY="unknown architecture $arch"; return 1 ;;
    esac
    kpkg=$(linux_pkg_name "$meta")
    if [ -z "$kpkg" ]; then
        LINUX_WHY="apt-cache does not know $meta (apt-get update?)"
        return 1
    fi
    case $arch:$kpkg in i386:*:i386) ;; i386:*) kpkg=$kpkg:i386 ;; esac
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" || return 1
    linux_get_deb "$kpkg" "$dir.tmp/k" "$dir.tmp/kroot" || return 1
    linux_get_deb "$bb" "$dir.tmp/b" "$dir.tmp/broot" || return 1
    mkdir -p "$dir" || return 1
    cp "$dir.tmp"/kroot/boot/vmlinuz-* "$dir/vmlinuz" &&
        cp "$dir.tmp/broot/bin/busybox" "$dir/busybox" &&
        echo "$kpkg" >"$dir/version" || { LINUX_WHY="unexpected package contents in $dir.tmp"; return 1; }
    rm -rf "$dir.tmp"
}

# The /init of both kinds: mount the pseudo file systems, say hello, then
# either a console shell (demo) or /test.sh and poweroff (test).
linux_write_init() {
    kind=$1 out=$2
    cat >"$out" <<'EOT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "pemu-init: userspace reached ($(uname -m), $(uname -r))"
EOT
    if [ "$kind" = demo ]; then
        cat >>"$out" <<'EOT'
echo
echo "Welcome to Linux on pemu: a busybox shell. 'poweroff -f' (or Ctrl-A x) ends pemu."
echo
exec setsid cttyhack sh
EOT
    else
        cat >>"$out" <<'EOT'
echo "pemu-test: begin"
[ -x /test.sh ] && /test.sh
echo "pemu-test: end"
poweroff -f
EOT
    fi
    chmod 755 "$out"
}

linux_initramfs() {
    arch=$1 kind=$2 out=$3
    if ! command -v cpio >/dev/null 2>&1; then
        LINUX_WHY="cpio is not installed (Debian: apt-get install cpio)"
        return 1
    fi
    root=$out.root
    rm -rf "$root" && mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" || return 1
    cp "$LINUX_CACHE/$arch/busybox" "$root/bin/busybox" || return 1
    linux_write_init "$kind" "$root/init"
    (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$out.tmp" &&
        mv "$out.tmp" "$out" || { LINUX_WHY="cpio/gzip failed for $out"; return 1; }
    rm -rf "$root"
}
