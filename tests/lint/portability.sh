#!/bin/sh
# Portability rules the compiler cannot check (issue "Portable to every host"):
#   host_checks   no host-OS conditionals outside ports/ (src, ir, interp, hw, ui
#                 build unchanged on Linux, the BSDs and macOS)
#   endian_casts  no pointer casts that read or write 16/32/64-bit values in
#                 place: guest memory and file formats go through ports/host.h's
#                 ld*_le/st*_le helpers. Host-native fields may be cast where
#                 listed below with the reason.
#   posix_only    the library compiles against POSIX.1-2008 declarations
#                 alone with Linux's macros undefined (the BSD/macOS path)
set -u
cd "$PEMU_SRC" || exit 1
dirs="src ir interp hw ui"

hits=$(grep -rnE '#[[:space:]]*(if|ifdef|ifndef|elif).*(__linux__|__APPLE__|__FreeBSD__|__NetBSD__|__OpenBSD__|_WIN32|__sun)' $dirs 2>/dev/null)
if [ -n "$hits" ]; then
    echo "FAIL lint/host_checks: host conditionals outside ports/: $(echo "$hits" | head -n 3 | tr '\n' ' ')"
else
    echo "PASS lint/host_checks"
fi

# Allowed: src/device.c stores parsed property values into the device's own
# (host-native) struct fields.
allow='^src/device\.c:'
hits=$(grep -rnE '\*[[:space:]]*\([[:space:]]*(const[[:space:]]+)?(volatile[[:space:]]+)?u?int(16|32|64)_t[[:space:]]*\*[[:space:]]*\)' $dirs 2>/dev/null |
    grep -vE "$allow")
if [ -n "$hits" ]; then
    echo "FAIL lint/endian_casts: in-place casts (use ld*_le/st*_le): $(echo "$hits" | head -n 3 | tr '\n' ' ')"
else
    echo "PASS lint/endian_casts"
fi

# posix_only: what a BSD or macOS build sees. Every library source is
# compiled (syntax only) with nothing but POSIX.1-2008 declarations from the
# C library (-D_POSIX_C_SOURCE=200809L, no _DEFAULT_SOURCE/_GNU_SOURCE) and
# with Linux's predefined macros removed, so ports/'s non-Linux branches and
# every use of a Linux- or glibc-only name show up here. The optional UIs
# are skipped (their libraries bring their own headers).
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP lint/posix_only: no C compiler ($cc)"
else
    errs=$(mktemp)
    for f in ports/*.c src/*.c src/x86/*.c src/block/*.c src/accel/*.c ir/*.c interp/*.c hw/*.c ui/*.c; do
        case $f in ui/curses.c|ui/sdl2.c) continue ;; esac
        echo "$f"
    done | xargs -P 2 -I{} sh -c '"$0" -std=c11 -D_POSIX_C_SOURCE=200809L -U__linux__ -U__linux -Ulinux -U__gnu_linux__ \
        -DPEMU_VERSION="\"lint\"" -DPEMU_PREFIX="\"/usr/local\"" -I. -I"$1" -fsyntax-only -w {} 2>&1 | grep -m 2 "error"' \
        "$cc" "${PEMU_BUILD:-build/host}" >"$errs"
    if [ -s "$errs" ]; then
        echo "FAIL lint/posix_only: non-POSIX names outside ports/'s Linux branches: $(head -n 3 "$errs" | tr '\n' ' ')"
    else
        echo "PASS lint/posix_only ($(ls ports/*.c src/*.c src/x86/*.c src/block/*.c src/accel/*.c ir/*.c interp/*.c hw/*.c ui/*.c | wc -l) files)"
    fi
    rm -f "$errs"
fi
