#!/bin/sh
# timeout: 120
# The x86 decoder and disassembler against GNU objdump (-M intel), in 16-,
# 32- and 64-bit mode: a fixed-seed corpus of every opcode under prefix
# combinations and ModRM/SIB forms plus random bytes (tests/diff/disas_tool.c).
# Instruction lengths must agree exactly; validity disagreements must be in
# the tool's documented quirk tables; text mismatches are reported per mode
# and must stay under the budget below.
#
# DISAS_SHOW_ALL=1 prints every text mismatch, DISAS_SHOW_QUIRKS=1 the quirk
# counts. Reproduce one mode by hand:
#   $PEMU_BUILD/tests/diff/disas_tool gen 32 > c.bin
#   objdump -D -z -b binary -m i386 -M intel,i386 --insn-width=16 c.bin > c.txt
#   $PEMU_BUILD/tests/diff/disas_tool cmp 32 c.bin c.txt
set -u
: "${PEMU_BUILD:?}" "${PEMU_SRC:?}"
# Text mismatches allowed, in hundredths of a percent of compared instructions.
TEXT_BUDGET=${DISAS_TEXT_BUDGET:-25}

if ! command -v objdump >/dev/null 2>&1; then
    echo "SKIP disas_objdump: objdump not installed (Debian: apt-get install binutils)"
    exit 0
fi

dir=$PEMU_BUILD/tests/diff
mkdir -p "$dir" || exit 1
tool=$dir/disas_tool

# Build the tool with the flags libpemu.a was built with (sanitizers included).
flags=$(cat "$PEMU_BUILD/flags" 2>/dev/null) || flags="${CC:-cc} -std=c11"
if ! (cd "$PEMU_SRC" && $flags -I"$PEMU_SRC" -I"$PEMU_SRC/ports" -o "$tool" \
        tests/diff/disas_tool.c "$PEMU_BUILD/libpemu.a" -lm -lpthread) 2>"$dir/disas_tool.build.log"; then
    echo "FAIL disas_objdump: building disas_tool failed: $(head -c 400 "$dir/disas_tool.build.log")"
    exit 1
fi

run_mode() {
    mode=$1 arch=$2 opts=$3
    c=$dir/disas_corpus$mode
    "$tool" gen "$mode" > "$c.bin" || { echo "FAIL disas_objdump_$mode: corpus generation"; return; }
    if ! objdump -D -z -b binary -m "$arch" -M "$opts" --insn-width=16 "$c.bin" > "$c.txt" 2>"$c.err"; then
        echo "FAIL disas_objdump_$mode: objdump: $(head -c 200 "$c.err")"
        return
    fi
    "$tool" cmp "$mode" "$c.bin" "$c.txt" > "$c.out"
    rc=$?
    summary=$(grep "^mode $mode: [0-9]* compared" "$c.out")
    echo "# $summary"
    grep "^mode $mode: table rows" "$c.out" | sed 's/^/# /'
    grep -E '^(LENGTH|VALIDITY)' "$c.out" | head -n 20 | sed 's/^/# /'
    grep -E '^TEXT' "$c.out" | head -n 10 | sed 's/^/# /'
    grep -E '^  ' "$c.out" | sed 's/^/# /'
    compared=$(echo "$summary" | sed -n 's/^mode [0-9]*: \([0-9]*\) compared.*/\1/p')
    textbad=$(echo "$summary" | sed -n 's/.* \([0-9]*\) text mismatches.*/\1/p')
    if [ "$rc" != 0 ]; then
        echo "FAIL disas_objdump_$mode: length/validity disagreements with objdump (see $c.out): $summary"
    elif [ -z "$compared" ] || [ $((textbad * 10000)) -gt $((compared * TEXT_BUDGET)) ]; then
        echo "FAIL disas_objdump_$mode: text mismatches over budget ($TEXT_BUDGET/10000): $summary"
    else
        echo "PASS disas_objdump_$mode"
    fi
}

# The three modes run in parallel; their reports are printed in order.
run_mode 16 i386 intel,i8086 > "$dir/disas_report16" &
run_mode 32 i386 intel,i386 > "$dir/disas_report32" &
run_mode 64 i386:x86-64 intel,x86-64,intel64 > "$dir/disas_report64" &
wait
cat "$dir/disas_report16" "$dir/disas_report32" "$dir/disas_report64"
