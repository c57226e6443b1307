#!/bin/sh
# The GDB stub with the real gdb: a scripted session against pemu -S -gdb
# tcp::PORT running a Multiboot ELF kernel with symbols (gdb_kernel.asm):
# break at a symbol, read and write registers and memory, a watchpoint's
# old and new values, a hardware breakpoint in real mode (linear pc),
# stepi across real -> protected mode, Ctrl-C of a spinning guest, qRcmd,
# threads, and a continue to isa-debug-exit whose code says whether gdb's
# writes reached the guest.
# timeout: 120
: "${PEMU:?PEMU must name the pemu binary}"
set -u
for tool in gdb nasm ld python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP gdb: $tool is not installed (run ports/deps.sh as root)"
        exit 0
    fi
done
out=${PEMU_BUILD:-/tmp}/tests/cli/gdb
mkdir -p "$out"
src=$(dirname "$0")
if ! nasm -f elf32 -o "$out/kernel.o" "$src/gdb_kernel.asm" 2>"$out/build.log" ||
   ! ld -m elf_i386 -Ttext=0x100000 -e _start -z max-page-size=0x1000 -o "$out/kernel.elf" \
        "$out/kernel.o" 2>>"$out/build.log"; then
    echo "FAIL gdb/build: $(head -n 3 "$out/build.log")"
    exit 0
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$out/session.gdb" <<EOF
set pagination off
set confirm off
file $out/kernel.elf
target remote 127.0.0.1:$port
info registers eip
monitor info status
info threads
break add_numbers
continue
p/x \$eax
stepi
stepi
p \$pc == after_add
p/x \$eax
set \$eax = 42
set {int}&magic = 0x1234abcd
p/x {int}&magic
info registers eflags
p/x \$cr0
watch {int}&watched
continue
continue
delete
hbreak *to_pm
continue
p/x \$cs
p/x \$cr0 & 1
stepi
p/x \$cr0 & 1
stepi
p/x \$cs
p \$pc == pm_back
delete
shell (sleep 1; kill -INT \$PPID) &
continue
p \$pc >= &spin && \$pc < &finish
p {int}&spins > 0
set {int}&go_on = 1
continue
EOF

"$PEMU" -kernel "$out/kernel.elf" -display none -no-reboot -m 64 -serial none -monitor none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -S -gdb tcp:127.0.0.1:$port \
    >"$out/pemu.log" 2>&1 </dev/null &
pid=$!
# gdb retries the connection while pemu starts (tcp auto-retry)
timeout 60 gdb -batch -nx -x "$out/session.gdb" >"$out/gdb.log" 2>&1 </dev/null
# pemu ends through isa-debug-exit; never leave it behind
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
    kill $pid
    echo "FAIL gdb/exit: pemu still running after the session: $(tail -n 3 "$out/gdb.log" | tr '\n' ' ')"
    exit 0
fi
wait $pid
status=$?

# has NAME TEXT: a gdb output line contains TEXT.
has() {
    if grep -qF -- "$2" "$out/gdb.log"; then
        echo "PASS gdb/$1"
    else
        echo "FAIL gdb/$1: no '$2' in gdb's output: $(grep -i 'error\|warning' "$out/gdb.log" | head -n 2 | tr '\n' ' ')"
    fi
}
# seq NAME A B: A appears, and B on a later line.
seq_has() {
    a=$(grep -nF -- "$2" "$out/gdb.log" | head -n 1 | cut -d: -f1)
    b=$(grep -nF -- "$3" "$out/gdb.log" | tail -n 1 | cut -d: -f1)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then
        echo "PASS gdb/$1"
    else
        echo "FAIL gdb/$1: '$2' then '$3' not in gdb's output"
    fi
}

has attach_at_entry "eip            0x10000c            0x10000c <_start>"
has qrcmd "VM status: paused"
has threads "Thread 1"
has break_at_symbol "Breakpoint 1, 0x00100047 in add_numbers ()"
has read_register '$1 = 0x14'
has stepi_ret "0x00100020 in after_add ()"
has register_changed_by_guest '$3 = 0x17'
has write_memory '$4 = 0x1234abcd'
has eflags "eflags         0x"
has cr0 '$5 = 0x11'
seq_has watch_first "Old value = 0" "New value = 4660"
seq_has watch_second "Old value = 4660" "New value = 22136"
has watch_stops_after_store "0x0010002f in store_twice ()"
has hbreak_real_mode "Breakpoint 3, 0x0010006a in to_pm ()"
has real_mode_cs '$6 = 0xffff'
has real_mode_pe '$7 = 0x0'
has stepi_sets_pe '$8 = 0x1'
has stepi_far_jump "0x00100075 in pm_back ()"
has protected_cs '$9 = 0x8'
has ctrl_c "Program received signal SIGINT"
has ctrl_c_in_loop '$11 = 1'
has guest_ran '$12 = 1'
if [ "$status" = 1 ]; then
    echo "PASS gdb/writes_reached_guest"
else
    echo "FAIL gdb/writes_reached_guest: pemu exit status $status (1 = guest code 0): $(head -c 300 "$out/pemu.log")"
fi
