#!/bin/sh
# -kernel with files that are not bootable Linux kernels, and -initrd forms
# a Linux kernel cannot take: exit status 1 and a message naming the file.
# timeout: 60
: "${PEMU:?PEMU must name the pemu binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-linuxboot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# expect NAME MESSAGE ARGS...: pemu exits 1 and stderr contains MESSAGE
expect() {
    _name=$1 _msg=$2
    shift 2
    $PEMU -M pc,firmware=none -display none "$@" </dev/null >"$tmp/out" 2>&1
    _st=$?
    if [ $_st = 1 ] && grep -qF -e "$_msg" "$tmp/out"; then
        echo "PASS linuxboot/$_name"
    else
        echo "FAIL linuxboot/$_name: status $_st, wanted '$_msg', got: $(head -c 300 "$tmp/out")"
    fi
}

echo "hello" >"$tmp/text"
expect not_a_kernel "-kernel $tmp/text: not a Linux kernel" -kernel "$tmp/text"
# a setup header with protocol 2.01
dd if=/dev/zero of="$tmp/old" bs=512 count=8 2>/dev/null
printf '\125\252' | dd of="$tmp/old" bs=1 seek=510 conv=notrunc 2>/dev/null
printf 'HdrS\001\002' | dd of="$tmp/old" bs=1 seek=514 conv=notrunc 2>/dev/null
expect old_protocol "-kernel $tmp/old: Linux boot protocol 2.01 is too old" -kernel "$tmp/old"
# protocol 2.02 but a zImage (loadflags 0)
printf '\002' | dd of="$tmp/old" bs=1 seek=518 conv=notrunc 2>/dev/null
expect zimage "-kernel $tmp/old: a zImage" -kernel "$tmp/old"
# a bzImage whose kernel part is missing
printf '\001' | dd of="$tmp/old" bs=1 seek=529 conv=notrunc 2>/dev/null
printf '\001' | dd of="$tmp/old" bs=1 seek=497 conv=notrunc 2>/dev/null
head -c 1024 "$tmp/old" >"$tmp/trunc"
expect truncated "-kernel $tmp/trunc: truncated" -kernel "$tmp/trunc"
expect several_initrds "-initrd a,b: several files are for Multiboot kernels" \
    -kernel "$tmp/old" -initrd a,b
expect missing_initrd "could not load initrd '$tmp/nope'" -kernel "$tmp/old" -initrd "$tmp/nope"
