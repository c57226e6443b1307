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
echo "pemu-test: begin"
[ -x /test.sh ] && /test.sh
echo "pemu-test: end"
poweroff -f
EOT
    fi
    chmod 755 "$_lwout"
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
    (cd "$_lroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$_lout.tmp" &&
        mv "$_lout.tmp" "$_lout" || { LINUX_WHY="cpio/gzip failed for $_lout"; return 1; }
    rm -rf "$_lroot"
}
