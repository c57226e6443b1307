#!/bin/sh
# The pemu command line through the real binary: messages, streams, exit codes.
# timeout: 60
: "${PEMU:?PEMU must name the pemu binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pemu-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# run ARGS...: sets $rc and leaves stdout/stderr in $tmp/out and $tmp/err.
run() {
    "$PEMU" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# check NAME WANT_RC STREAM WANT_TEXT: exit status, then the exact first line
# of STREAM (out|err); the other stream must be empty.
check() {
    name=$1 want_rc=$2 stream=$3 want=$4
    if [ "$stream" = out ]; then other=err; else other=out; fi
    got=$(head -n 1 "$tmp/$stream")
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL options/$name: exit status $rc, expected $want_rc ($(head -n 1 "$tmp/err"))"
    elif [ "$got" != "$want" ]; then
        echo "FAIL options/$name: $stream was '$got', expected '$want'"
    elif [ -s "$tmp/$other" ]; then
        echo "FAIL options/$name: unexpected $other: $(head -n 1 "$tmp/$other")"
    else
        echo "PASS options/$name"
    fi
}

# has NAME TEXT: $tmp/out contains TEXT as a whole line.
has() {
    if grep -qxF -- "$2" "$tmp/out"; then echo "PASS options/$1"; else echo "FAIL options/$1: no line '$2' in stdout"; fi
}

run -version
check version 0 out "pemu version 0.1.0"
run --version
check version_dashdash 0 out "pemu version 0.1.0"
if grep -qi copyright "$tmp/out"; then echo "FAIL options/version_no_copyright: says copyright"; else echo "PASS options/version_no_copyright"; fi

run -h
check help 0 out "pemu version 0.1.0, a portable PC emulator"
n=0
for h in "Standard options:" "Block devices:" "Boot and kernel:" "Display:" \
         "Character devices and consoles:" "Debug and expert options:"; do
    n=$((n + 1))
    has "help_group$n" "$h"
done
if grep -q '^-m \[size=\]megs' "$tmp/out" && grep -q '^-drive ' "$tmp/out" &&
   grep -q '^-serial dev' "$tmp/out" && grep -q 'WAYLAND_DISPLAY' "$tmp/out"; then
    echo "PASS options/help_options"
else
    echo "FAIL options/help_options: -m, -drive, -serial or the display note missing"
fi
run --help -bogus
check help_stops_parsing 0 out "pemu version 0.1.0, a portable PC emulator"

run -foo
check unknown_option 1 err "pemu: -foo: invalid option"
run --foo
check unknown_option_dashdash 1 err "pemu: --foo: invalid option"
run -vnc :0
check not_supported 1 err "pemu: -vnc: not supported yet"
run -daemonize
check not_supported_flag 1 err "pemu: -daemonize: not supported yet"
run -m 12X
check bad_memory 1 err "pemu: -m 12X: invalid size (use a number with an optional B, K, M, G, T, P or E suffix, like 512M or 1.5G)"
run -m
check missing_argument 1 err "pemu: -m: requires an argument"
run -drive file=x,if=scsi
check bad_drive_if 1 err "pemu: -drive if=scsi: unsupported interface (use ide, floppy, virtio or none)"
run -boot order=z
check bad_boot 1 err "pemu: -boot order=z: invalid boot device 'z' (use a, b, c, d or n)"
run -hda a.img -drive file=b.img,index=0
check drive_conflict 1 err "pemu: -drive file=b.img,index=0: drive with bus=0, unit=0 (index=0) exists (-hda a.img)"
run -d foo
check bad_log_item 1 err "pemu: -d foo: unknown log item 'foo' (try -d help)"

run -d help
check log_help 0 out "Log items (comma separated):"
if grep -q '^in_asm ' "$tmp/out" && grep -q '^op_opt ' "$tmp/out"; then
    echo "PASS options/log_help_items"
else
    echo "FAIL options/log_help_items: in_asm or op_opt not listed"
fi

# -device help: QEMU's layout (a blank line, then groups of name/bus/desc lines).
run -device help
check device_help 0 out ""
has device_help_group "Misc devices:"
has device_help_debugexit 'name "isa-debug-exit", bus ISA, desc "exit with status (value << 1) | 1 on a write"'
if grep -q '"i8259"\|"i440FX"' "$tmp/out"; then echo "FAIL options/device_help_board_only: board devices listed"; else echo "PASS options/device_help_board_only"; fi
run -device isa-debug-exit,help
check device_props 0 out "isa-debug-exit options:"
has device_props_iobase "  iobase=<uint32>        -  (default: 1281)"
run -device i8259,help
check device_props_unknown 1 err "pemu: -device i8259,help: no device named 'i8259' (-device help lists them)"

# -D is opened by main (not the parser) before anything runs.
run -d in_asm -D "$tmp/nodir/log.txt"
case $(cat "$tmp/err") in
"pemu: -D $tmp/nodir/log.txt: cannot open log file: "*) [ $rc = 1 ] && echo "PASS options/log_file_error" || echo "FAIL options/log_file_error: exit status $rc" ;;
*) echo "FAIL options/log_file_error: stderr was '$(cat "$tmp/err")'" ;;
esac
run -d in_asm -D "$tmp/log.txt" -m 64 "$tmp/no-such-disk.img"
check missing_disk 1 err "pemu: Could not open '$tmp/no-such-disk.img': No such file or directory"
if [ -f "$tmp/log.txt" ]; then echo "PASS options/log_file_created"; else echo "FAIL options/log_file_created: -D file missing"; fi

# A missing -kernel file is reported as QEMU reports it.
run -kernel "$tmp/no-such-kernel" -display none
case $(head -n 1 "$tmp/err") in
"pemu: could not load kernel '$tmp/no-such-kernel': No such file or directory") [ $rc = 1 ] && echo "PASS options/missing_kernel" || echo "FAIL options/missing_kernel: exit status $rc" ;;
*) echo "FAIL options/missing_kernel: stderr was '$(head -n 1 "$tmp/err")'" ;;
esac
