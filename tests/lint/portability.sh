#!/bin/sh
# Portability rules the compiler cannot check (issue "Portable to every host"):
#   host_checks   no host-OS conditionals outside ports/ (src, ir, interp, hw, ui
#                 build unchanged on Linux, the BSDs and macOS)
#   endian_casts  no pointer casts that read or write 16/32/64-bit values in
#                 place: guest memory and file formats go through ports/host.h's
#                 ld*_le/st*_le helpers. Host-native fields may be cast where
#                 listed below with the reason.
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
