#!/bin/sh
# Build the differential tester's programs: sh build.sh SRC OUT
#   OUT/diff   the driver (host compiler: $CC, default cc)
#   OUT/run32  the native runner (static 32-bit: i686-linux-gnu-gcc, or $CC -m32)
#   OUT/run64  the mode-64 runner (static, host $CC; x86-64 hosts only)
# Exit 0 when built; 3 with the reason on stdout when this host cannot run
# them (not x86, no 32-bit toolchain); 1 on a compile error.
# SANITIZE=1 builds the driver with ASan+UBSan (the static runner cannot be).
src=$1
out=$2
[ -n "$src" ] && [ -n "$out" ] || { echo "usage: build.sh SRC OUT"; exit 2; }
case $(uname -m) in
x86_64|i?86) ;;
*) echo "host is $(uname -m), not x86: the host CPU cannot be the oracle"; exit 3 ;;
esac
[ "$(uname -s)" = Linux ] || { echo "the native runner needs Linux (modify_ldt, ucontext)"; exit 3; }
mkdir -p "$out" || exit 1
cc=${CC:-cc}
d=$src/tests/diff/native
warn="-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow=local -Wstrict-prototypes -Wmissing-prototypes"
std="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -I$src"

# A static 32-bit compiler: the cross compiler, or the host one with -m32
# (Debian's gcc-multilib and gcc-i686-linux-gnu exclude each other).
cands=
command -v i686-linux-gnu-gcc >/dev/null 2>&1 && cands="i686-linux-gnu-gcc"
cands="$cands|$cc -m32"
san=
[ "$SANITIZE" = 1 ] && san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# With pemu's library built (PEMU_BUILD, as make sets it), diff also gets
# the pemu engine (--engine=pemu, pemu_engine.c).
lib=${PEMU_BUILD:-$src/build/host}/libpemu.a
pemu=
[ -f "$lib" ] && pemu="-DDIFF_HAVE_PEMU -I$src/ports $d/pemu_engine.c $lib -lz -lm -lpthread"
$cc $std $warn $san -o "$out/diff" "$d/diff.c" "$d/gen.c" "$d/gen64.c" "$d/case.c" $pemu || exit 1
rm -f "$out/run64"
if [ "$(uname -m)" = x86_64 ]; then
	$cc -static $std $warn -o "$out/run64" "$d/run64.c" "$d/case.c" || exit 1
fi
built=0
IFS='|'
for cc32 in $cands; do
	[ -n "$cc32" ] || continue
	unset IFS
	if $cc32 -static $std $warn -o "$out/run32" "$d/run32.c" "$d/case.c" 2> "$out/run32.err"; then
		built=1
		break
	fi
	IFS='|'
done
unset IFS
if [ $built = 0 ]; then
	if grep -q 'error:' "$out/run32.err" && ! grep -q -e 'No such file' -e 'cannot find' -e 'not found' "$out/run32.err"; then
		cat "$out/run32.err"
		exit 1
	fi
	echo "no working static 32-bit C toolchain (install gcc-i686-linux-gnu, or gcc-multilib): $(head -n 1 "$out/run32.err")"
	exit 3
fi
# The runner must actually run: 32-bit processes need IA32 emulation in the kernel.
printf '' | "$out/run32" || { echo "the 32-bit runner does not run here (no IA32 emulation?)"; exit 3; }
exit 0
