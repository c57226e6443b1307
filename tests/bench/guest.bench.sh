#!/bin/sh
# Bare-metal guest benchmarks (part of `make bench`):
#
#   sh tests/bench/guest.bench.sh           measure, write docs/benchmarks.md
#   sh tests/bench/guest.bench.sh --quick   small kernels, once, QEMU only:
#                                           PASS/FAIL/SKIP per kernel (a test)
#
# The kernels (tests/bench/guest/, built by build.sh) are Multiboot kernels
# that print "bench <name> checksum <hex>" on debugcon (0xe9) and COM1 and
# stop through isa-debug-exit (QEMU) or the "Shutdown" port 0x8900 (Bochs).
# Each kernel body is also linked into a static i686 Linux program whose
# native run gives the checksum every emulator must print.
#
# Emulators, alternated A B C A B C, REPS times each (default 3), medians:
#   QEMU TCG  qemu-system-i386 -accel tcg -kernel K.elf (as tests/guest/run.sh)
#   QEMU TCI  only with QEMU_TCI=<a qemu-system-i386 built --enable-tcg-interpreter>
#   Bochs     bochs, booting K.elf through a GRUB ISO (cached under cache/)
#   pemu      $PEMU -kernel K.elf ("n/a" while it cannot run guests)
# Environment: REPS (default 3), BENCH_KERNELS (a subset), QEMU_TCI.
# Times are wall-clock seconds of the whole emulator process; the "empty"
# kernel measures start-up (for Bochs: BIOS and GRUB), and the ratios use
# times minus that start-up.
set -u
here=$(cd "$(dirname "$0")" && pwd)
PEMU_SRC=${PEMU_SRC:-$(cd "$here/../.." && pwd)}
PEMU_BUILD=${PEMU_BUILD:-$PEMU_SRC/build/host}
PEMU_CACHE=${PEMU_CACHE:-$PEMU_SRC/cache}
PEMU=${PEMU:-$PEMU_BUILD/pemu}
REPS=${REPS:-3}
. "$here/lib/bench.sh"

mode=full
[ "${1:-}" = --quick ] && mode=quick
# BENCH_KERNELS="int smc" measures only those (the empty kernel always runs).
KERNELS="empty ${BENCH_KERNELS:-int mem branchy x87 sse2 smc}"
MEM_MB=256

# ---------------------------------------------------------------------------
# Build.
mkdir -p "$PEMU_BUILD/bench/guest-$mode" "$PEMU_CACHE"
out=$(cd "$PEMU_BUILD/bench/guest-$mode" && pwd)
PEMU_CACHE=$(cd "$PEMU_CACHE" && pwd)
if ! command -v i686-linux-gnu-gcc >/dev/null 2>&1 && ! gcc -m32 -c -x c -o /dev/null /dev/null 2>/dev/null; then
    msg="no 32-bit x86 compiler (i686-linux-gnu-gcc: run ports/deps.sh as root)"
    if [ $mode = quick ]; then echo "SKIP bench_kernels: $msg"; exit 0; fi
    echo "guest.bench: $msg" >&2
    exit 1
fi
if ! sh "$here/guest/build.sh" "$out" $mode; then
    if [ $mode = quick ]; then echo "FAIL bench_kernels: the kernels do not build (see $out/build.log)"; exit 0; fi
    exit 1
fi
runs=$out/runs
rm -rf "$runs"
mkdir -p "$runs"

# checksum_of LOG NAME: the checksum the kernel printed, or nothing.
checksum_of() {
    [ -f "$1" ] || return 0
    tr -d '\r' <"$1" 2>/dev/null | sed -n "s/.*bench $2 checksum \([0-9a-f]\{8\}\).*/\1/p" | head -n 1
}

# Native checksums: the body run as a Linux program (x86 hosts only).
case $(uname -m) in x86_64 | amd64 | i?86) native_host=1 ;; *) native_host=0 ;; esac
for k in $KERNELS; do
    : >"$runs/$k.native"
    [ $native_host = 1 ] || rm -f "$out/$k.native"
    if [ -x "$out/$k.native" ]; then
        "$out/$k.native" >"$runs/$k.native.log" 2>&1 &&
            checksum_of "$runs/$k.native.log" $k >"$runs/$k.native"
    fi
done

# ---------------------------------------------------------------------------
# Emulators. Each run_<emu> K LOG prints "<seconds> <checksum or ->".

qemu=$(command -v qemu-system-i386 || true)

# run_qemu_bin BINARY K LOG
run_qemu_bin() {
    times >"$3.cpu0"
    _t0=$(bench_now)
    timeout 600 "$1" -accel tcg -kernel "$out/$2.elf" -display none -no-reboot -m $MEM_MB \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon file:"$3" \
        -serial none -monitor none >"$3.stderr" 2>&1 </dev/null
    _st=$?
    _t1=$(bench_now)
    times >"$3.cpu1"
    _sum=$(checksum_of "$3" "$2")
    # isa-debug-exit: status = 2 * code + 1; the kernels end with code 0.
    [ $_st = 1 ] || _sum=""
    echo "$(bench_elapsed "$_t0" "$_t1") $(bench_cpu_since "$3.cpu0" "$3.cpu1") ${_sum:--}"
}
run_qemu() { run_qemu_bin "$qemu" "$@"; }
run_tci() { run_qemu_bin "$QEMU_TCI" "$@"; }

run_pemu() {
    times >"$2.cpu0"
    _t0=$(bench_now)
    timeout 600 "$PEMU" -kernel "$out/$1.elf" -display none -no-reboot -m $MEM_MB \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon file:"$2" \
        -serial none -monitor none >"$2.stderr" 2>&1 </dev/null
    _st=$?
    _t1=$(bench_now)
    times >"$2.cpu1"
    _sum=$(checksum_of "$2" "$1")
    [ $_st = 1 ] || _sum=""
    echo "$(bench_elapsed "$_t0" "$_t1") $(bench_cpu_since "$2.cpu0" "$2.cpu1") ${_sum:--}"
}

# Bochs boots each kernel from a GRUB ISO (Debian's Bochs has no direct
# Multiboot loading), cached by the kernel's hash. Its display is the
# curses "term" library under script(1) (Debian builds no "nogui", and
# "rfb" listens on a TCP port); its built-in debugger is told to continue.
bochs=$(command -v bochs || true)
bochs_iso() {
    _key=$(cat "$out/$1.elf" "$0" | sha256sum | cut -c1-16)
    _iso=$PEMU_CACHE/bench-guest/$1-$_key.iso
    if [ ! -f "$_iso" ]; then
        _d=$runs/iso-$1
        mkdir -p "$_d/boot/grub" "$(dirname "$_iso")"
        cp "$out/$1.elf" "$_d/boot/k.elf"
        cat >"$_d/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry "bench" {
    multiboot /boot/k.elf
    boot
}
CFG
        grub-mkrescue -o "$_iso.tmp" --install-modules="multiboot normal serial terminal configfile boot" \
            --locales= --fonts= --themes= --compress=xz "$_d" >"$runs/iso-$1.log" 2>&1 &&
            mv "$_iso.tmp" "$_iso" || { echo "guest.bench: grub-mkrescue failed: $(tail -n 3 "$runs/iso-$1.log")" >&2; return 1; }
    fi
    echo "$_iso"
}

run_bochs() {
    _iso=$(bochs_iso "$1") || { echo "0 0 -"; return; }
    _d=$runs/bochs-$1
    mkdir -p "$_d"
    rm -f "$2" "$_d/bochs.log"
    cat >"$_d/bochsrc" <<RC
megs: $MEM_MB
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: term
cpu: model=corei7_sandy_bridge_2600k
ata0-master: type=cdrom, path=$_iso, status=inserted
boot: cdrom
port_e9_hack: enabled=1
com1: enabled=1, mode=file, dev=$2
plugin_ctrl: speaker=0, sb16=0, es1370=0
clock: sync=none, time0=local
log: $_d/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC
    echo c >"$_d/continue.rc"
    times >"$2.cpu0"
    _t0=$(bench_now)
    (cd "$_d" && TERM=xterm timeout 1800 script -qec "bochs -q -f bochsrc -rc continue.rc" /dev/null \
        >"$_d/screen.log" 2>"$_d/stderr.log" </dev/null)
    _t1=$(bench_now)
    times >"$2.cpu1"
    _sum=$(checksum_of "$2" "$1")
    # The kernel stops Bochs through the shutdown port (a "panic" by design).
    grep -q "Shutdown port: shutdown requested" "$_d/bochs.log" 2>/dev/null || _sum=""
    echo "$(bench_elapsed "$_t0" "$_t1") $(bench_cpu_since "$2.cpu0" "$2.cpu1") ${_sum:--}"
}

# ---------------------------------------------------------------------------
# --quick: every kernel once under QEMU, checked against the native run.
if [ $mode = quick ]; then
    for k in $KERNELS; do
        if [ -z "$qemu" ]; then
            echo "SKIP bench_kernels/$k: qemu-system-i386 is not installed (run ports/deps.sh as root)"
            continue
        fi
        set -- $(run_qemu $k "$runs/$k.qemu.log")
        got=$3
        want=$(cat "$runs/$k.native")
        if [ "$got" = - ]; then
            echo "FAIL bench_kernels/$k: no checksum under QEMU (status or output wrong): $(tail -c 200 "$runs/$k.qemu.log" | tr '\n' ' ') $(head -c 200 "$runs/$k.qemu.log.stderr")"
        elif [ -z "$want" ]; then
            if [ -x "$out/$k.native" ]; then
                echo "FAIL bench_kernels/$k: the native run failed: $(head -c 300 "$runs/$k.native.log")"
            else
                echo "PASS bench_kernels/$k (checksum $got; no native check on this host)"
            fi
        elif [ "$got" != "$want" ]; then
            echo "FAIL bench_kernels/$k: checksum $got under QEMU, $want natively"
        else
            echo "PASS bench_kernels/$k (checksum $got, same as native, ${1}s)"
        fi
    done
    exit 0
fi

# ---------------------------------------------------------------------------
# Full measurement.
emus=""
notes=""
if [ -n "$qemu" ]; then emus="$emus qemu"; else notes="$notes
- QEMU TCG: not measured (qemu-system-i386 is not installed; run ports/deps.sh as root)."; fi
if [ -n "${QEMU_TCI:-}" ]; then
    emus="$emus tci"
else
    notes="$notes
- QEMU TCI: not measured. Debian's qemu-system-x86 is built with TCG's native code generator only; set QEMU_TCI to a qemu-system-i386 configured with --enable-tcg-interpreter to add it."
fi
if [ -n "$bochs" ] && command -v grub-mkrescue >/dev/null 2>&1 && command -v script >/dev/null 2>&1; then
    emus="$emus bochs"
else
    notes="$notes
- Bochs: not measured (needs bochs, bochsbios, vgabios, bochs-term, grub-pc-bin, xorriso: run ports/deps.sh as root)."
fi
pemu_na=""
if [ ! -x "$PEMU" ]; then
    pemu_na="n/a: not built"
else
    emus="$emus pemu"
fi

label() {
    case $1 in
    qemu) echo "QEMU TCG" ;; tci) echo "QEMU TCI" ;; bochs) echo "Bochs" ;; pemu) echo "pemu" ;;
    esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "guest.bench: kernels: $KERNELS; emulators:$emus${pemu_na:+ (pemu $pemu_na)}; REPS=$REPS" >&2
for k in $KERNELS; do
    for r in $(seq 1 "$REPS"); do
        for e in $emus; do
            set -- $(run_$e $k "$runs/$k.$e.$r.log")
            echo "$1" >>"$runs/$k.$e.wall"
            echo "$2" >>"$runs/$k.$e.cpu"
            echo "$3" >>"$runs/$k.$e.sums"
            echo "guest.bench: $k $(label $e) #$r: ${1}s wall, ${2}s CPU, checksum $3" >&2
        done
    done
done

# ---------------------------------------------------------------------------
# Interpreter efficiency: host instructions per guest instruction, both
# counted exactly on the quick kernels (the same code, smaller SCALE): the
# host's with callgrind (pemu's whole process, translation included), the
# guest's by pemu itself under -icount (-d stats). Each minus the empty
# kernel's, so start-up counts for neither.
eff=""
quick=$PEMU_BUILD/bench/guest-quick
if [ -z "$pemu_na" ] && command -v valgrind >/dev/null 2>&1 && sh "$here/guest/build.sh" "$quick" quick; then
    eff=1
    for k in $KERNELS; do
        pemu_args="-kernel $quick/$k.elf -display none -no-reboot -m $MEM_MB -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial none -monitor none"
        # shellcheck disable=SC2086
        "$PEMU" -icount shift=0 -d stats -debugcon file:"$runs/$k.eff.dbg" $pemu_args </dev/null 2>&1 |
            sed -n 's/^guest instructions *//p' >"$runs/$k.guest_insns"
        # shellcheck disable=SC2086
        valgrind --tool=callgrind --callgrind-out-file="$runs/$k.callgrind" "$PEMU" \
            -debugcon file:"$runs/$k.eff2.dbg" $pemu_args </dev/null >/dev/null 2>&1
        sed -n 's/^summary: *//p' "$runs/$k.callgrind" >"$runs/$k.host_insns"
        echo "guest.bench: $k: $(cat "$runs/$k.host_insns") host instructions for $(cat "$runs/$k.guest_insns") guest instructions" >&2
    done
fi
# per_insn K: (host - host of empty) / (guest - guest of empty)
per_insn() {
    awk -v h="$(cat "$runs/$1.host_insns")" -v g="$(cat "$runs/$1.guest_insns")" \
        -v h0="$(cat "$runs/empty.host_insns")" -v g0="$(cat "$runs/empty.guest_insns")" \
        'BEGIN { if (h == "" || g == "" || g - g0 <= 0) print "n/a"; else printf "%.1f\n", (h - h0) / (g - g0) }'
}

# ---------------------------------------------------------------------------
# Report.
# med K EMU METRIC (cpu or wall): the median, empty when not measured.
med() { [ -s "$runs/$1.$2.$3" ] && bench_median $(cat "$runs/$1.$2.$3"); }
cell() {
    _m=$(med "$1" "$2" "$3")
    [ -n "$_m" ] || { echo "n/a"; return; }
    if [ "$REPS" -gt 1 ]; then
        echo "$_m ($(bench_min $(cat "$runs/$1.$2.$3"))–$(bench_max $(cat "$runs/$1.$2.$3")))"
    else
        echo "$_m"
    fi
}
# net K EMU: CPU median minus the emulator's start-up (the empty kernel's).
net() {
    _m=$(med "$1" "$2" cpu)
    _b=$(med empty "$2" cpu)
    [ -n "$_m" ] && [ -n "$_b" ] || return 0
    if [ "$1" = empty ]; then echo "$_m"; else awk -v m="$_m" -v b="$_b" 'BEGIN { v = m - b; printf "%.3f\n", (v > 0.001 ? v : 0.001) }'; fi
}
ratio() {
    case " $emus " in *" pemu "*) ;; *) echo "n/a"; return ;; esac
    case " $emus " in *" $2 "*) ;; *) echo "n/a"; return ;; esac
    bench_ratio "$(net "$1" pemu)" "$(net "$1" "$2")"
}
# table METRIC: the header and one row per kernel, the emulators' cells only.
table_head() {
    printf '| kernel |'
    for e in qemu tci bochs; do case " $emus " in *" $e "*) printf ' %s (s) |' "$(label $e)" ;; esac; done
    printf ' pemu (s) |%s\n|---|' "$1"
    for e in qemu tci bochs; do case " $emus " in *" $e "*) printf -- '---:|' ;; esac; done
    printf -- '---:|%s\n' "$2"
}
table_cells() {
    printf '| %s |' "$1"
    for e in qemu tci bochs; do case " $emus " in *" $e "*) printf ' %s |' "$(cell "$1" $e "$2")" ;; esac; done
    if [ -n "$pemu_na" ]; then printf ' n/a |'; else printf ' %s |' "$(cell "$1" pemu "$2")"; fi
}

body=$runs/section.md
bad=0
{
    echo "## Bare-metal guest kernels"
    echo
    echo "Generated by \`make bench\` (tests/bench/guest.bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand."
    echo
    echo "CPU time (user + system) of the emulator process, seconds:"
    echo
    table_head ' pemu/QEMU | pemu/Bochs | checksum |' '---:|---:|---|'
    for k in $KERNELS; do
        table_cells $k cpu
        printf ' %s | %s |' "$(ratio $k qemu)" "$(ratio $k bochs)"
        # Every run of every emulator must print the native checksum (or,
        # without a native run, all must agree).
        want=$(cat "$runs/$k.native")
        seen=$(cat "$runs/$k".*.sums 2>/dev/null | sort -u | tr '\n' ' ')
        if [ -n "$want" ] && [ "$seen" = "$want " ]; then
            printf ' ok (%s = native) |\n' "$want"
        elif [ -z "$want" ] && [ -n "$seen" ] && [ "$(echo $seen | wc -w)" = 1 ] && [ "$seen" != "- " ]; then
            printf ' ok (%s, all runs agree; no native check) |\n' "$(echo $seen)"
        else
            bad=1
            printf ' **WRONG**: native %s, ' "${want:-none}"
            for e in $emus; do printf '%s %s; ' "$(label $e)" "$(sort -u "$runs/$k.$e.sums" | tr '\n' ' ')"; done
            printf '|\n'
        fi
    done
    echo
    [ -n "$pemu_na" ] && echo "pemu: $pemu_na (it said so when given the empty kernel); the same command fills in its column and the ratios once it runs guests." && echo
    echo "Wall-clock time of the emulator process, seconds:"
    echo
    table_head '' ''
    for k in $KERNELS; do table_cells $k wall; echo; done
    echo
    if [ -n "$eff" ]; then
        echo "Host instructions per guest instruction, pemu's interpreter (quick kernels;"
        echo "callgrind counts the host's, pemu -icount the guest's, each minus the empty kernel's):"
        echo
        echo "| kernel | guest instructions | host instructions | host per guest |"
        echo "|---|---:|---:|---:|"
        for k in $KERNELS; do
            [ "$k" = empty ] && continue
            echo "| $k | $(cat "$runs/$k.guest_insns") | $(cat "$runs/$k.host_insns") | $(per_insn $k) |"
        done
        echo
    else
        echo "Host instructions per guest instruction: not measured (needs valgrind and a pemu build)."
        echo
    fi
    echo "Medians over $REPS run(s) (min–max), the emulators alternated run by run. CPU time"
    echo "is the main measure: the host runs other work, which stretches wall time more. The"
    echo "\`empty\` kernel is the start-up cost (for Bochs: its BIOS and GRUB from an ISO; for QEMU"
    echo "and pemu: loading the kernel directly). Ratios compare CPU times minus each emulator's"
    echo "\`empty\` median; below 1 means pemu is faster."
    echo
    echo "Kernels (tests/bench/guest/): int = FNV-1a and a 4-lane hash over 256 KiB, heapsort of"
    echo "64 Ki words, LZ77 compress/decompress of 256 KiB; mem = pointer chasing through 64 MiB"
    echo "(1 Mi 64-byte nodes in one random cycle) with 4 KiB paging, rep stosd/movsd and a word"
    echo "loop over 16 MiB; branchy = a switch-dispatched bytecode VM (Collatz lengths) and"
    echo "recursive Fibonacci; x87 = series, fsqrt and a 48x48 matrix product in long double;"
    echo "sse2 = the same in double with SSE2; smc = a routine patched (two immediates) and"
    echo "called 20000 times per scale unit. Sizes (SCALE, set in tests/bench/guest/build.sh):"
    echo
    while read -r n s extra; do echo "- $n: SCALE=$s${extra:+ ($extra)}"; done <"$out/scales"
    echo
    echo "Machine and tools:"
    echo
    echo "- Host: $(bench_machine); load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (other work on the host inflates and spreads the times)"
    echo "- Guest compiler and flags: $(cat "$out/flags")"
    [ -n "$qemu" ] && echo "- QEMU: $($qemu --version | head -n 1) (\`-accel tcg -m $MEM_MB\`, qemu32 CPU)"
    [ -n "${QEMU_TCI:-}" ] && echo "- QEMU TCI: $QEMU_TCI: $($QEMU_TCI --version | head -n 1)"
    [ -n "$bochs" ] && echo "- Bochs: $(dpkg-query -W -f='${Package} ${Version}' bochs 2>/dev/null || echo bochs) (\`cpu: model=corei7_sandy_bridge_2600k\`, \`clock: sync=none\`, megs $MEM_MB, display term)"
    echo "- pemu: ${PEMU#"$PEMU_SRC"/}${pemu_na:+ ($pemu_na)}"
    printf '%s\n' "$notes" | sed '/^$/d'
} >"$body"

bench_write_section "$PEMU_SRC/docs/benchmarks.md" guest-bench "$body"
cat "$body"
[ $bad = 0 ] || { echo "guest.bench: some checksums are wrong (see the table)" >&2; exit 1; }
