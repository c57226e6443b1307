#!/bin/sh
# timeout: 120
# Golden -d in_asm / -d op_opt output of fixed x86 blocks (x86_blocks.c)
# against x86_blocks.expected, and -d bytecode against
# x86_blocks_bytecode.expected on 64-bit hosts (bytecode words hold host
# immediates and pointers). After an intended change to the translator:
#   sh tests/golden/x86_blocks.sh --update
src=${PEMU_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PEMU_BUILD:-$src/build/host}
out=$build/tests/golden
g=$src/tests/golden
mkdir -p "$out" || exit 1
san=
case $build in *-san*) san="-fsanitize=address,undefined -fno-omit-frame-pointer" ;; esac
if [ ! -f "$build/libpemu.a" ]; then
	echo "FAIL x86_blocks: $build/libpemu.a is missing (run make first)"
	exit 0
fi
if ! ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -Wall -Wextra -Werror \
	-Wno-unused-parameter $san -I"$src" -I"$src/ports" -o "$out/x86_blocks" "$g/x86_blocks.c" \
	"$build/libpemu.a" -lz -lm -lpthread 2> "$out/x86_blocks.err"; then
	cat "$out/x86_blocks.err"
	echo "FAIL x86_blocks: does not compile"
	exit 0
fi
"$out/x86_blocks" > "$out/x86_blocks.out" 2>&1 || { cat "$out/x86_blocks.out"; echo "FAIL x86_blocks: the program failed"; exit 0; }
bits=$(getconf LONG_BIT 2>/dev/null || echo 64)
[ "$bits" = 64 ] && "$out/x86_blocks" -b > "$out/x86_blocks_bytecode.out" 2>&1
if [ "$1" = --update ]; then
	cp "$out/x86_blocks.out" "$g/x86_blocks.expected"
	[ "$bits" = 64 ] && cp "$out/x86_blocks_bytecode.out" "$g/x86_blocks_bytecode.expected"
	echo "updated $g/x86_blocks*.expected"
	exit 0
fi
if diff -u "$g/x86_blocks.expected" "$out/x86_blocks.out" > "$out/x86_blocks.diff"; then
	echo "PASS x86_blocks_op_opt"
else
	cat "$out/x86_blocks.diff"
	echo "FAIL x86_blocks_op_opt: -d op_opt differs from tests/golden/x86_blocks.expected"
fi
if [ "$bits" != 64 ]; then
	echo "SKIP x86_blocks_bytecode: a $bits-bit host (the expected bytecode is a 64-bit host's)"
elif diff -u "$g/x86_blocks_bytecode.expected" "$out/x86_blocks_bytecode.out" > "$out/x86_blocks_bytecode.diff"; then
	echo "PASS x86_blocks_bytecode"
else
	cat "$out/x86_blocks_bytecode.diff"
	echo "FAIL x86_blocks_bytecode: -d bytecode differs from tests/golden/x86_blocks_bytecode.expected"
fi
