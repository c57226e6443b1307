#!/bin/sh
# `make fuzz-img`: build tests/fuzz/fuzz_img.c with clang's libFuzzer,
# ASan and UBSan once per format, run each for FUZZ_SECONDS (default 60),
# seeded from tests/fuzz/corpus/<fmt>/, then run the long qcow2 crash
# test (CRASH_KILLS, default 200; 0 skips it).
#
# Crashes land in build/fuzz/crashes/<fmt>/; once fixed, copy each input
# to tests/fuzz/regress/<fmt>/ so that make check replays it
# (tests/unit/test_block_fuzz.c).
set -u
SRC=${PEMU_SRC:-$(pwd)}
OUT=${FUZZ_OUT:-$SRC/build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
FORMATS=${FUZZ_FORMATS:-qcow2 qcow vmdk vdi vpc probe}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz-img: $CC is not installed (Debian: clang)" >&2
    exit 1
fi
mkdir -p "$OUT/obj" || exit 1
defs="-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64"
libs="$(pkg-config --libs zlib)"
if pkg-config --exists libzstd 2>/dev/null; then
    defs="$defs -DCONFIG_ZSTD=1"
    libs="$libs $(pkg-config --libs libzstd)"
fi
CFLAGS="-std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined $defs -I$SRC -I$SRC/ports"
objs=
for f in src/error.c src/block/block.c src/block/raw.c src/block/qcow2.c \
         src/block/qcow2_refcount.c src/block/qcow2_snapshot.c src/block/qcow.c \
         src/block/vmdk.c src/block/vdi.c src/block/vpc.c; do
    o="$OUT/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')"
    if [ ! -f "$o" ] || [ "$SRC/$f" -nt "$o" ] || [ "$SRC/src/block/block.h" -nt "$o" ] ||
       [ "$SRC/src/block/qcow2.h" -nt "$o" ]; then
        $CC $CFLAGS -c -o "$o" "$SRC/$f" || exit 1
    fi
    objs="$objs $o"
done

status=0
for fmt in $FORMATS; do
    f=$fmt
    [ "$fmt" = probe ] && f=
    bin="$OUT/fuzz_$fmt"
    $CC $CFLAGS -fsanitize=fuzzer -DFUZZ_FORMAT="\"$f\"" -o "$bin" \
        "$SRC/tests/fuzz/fuzz_img.c" $objs $libs -lpthread || exit 1
    corpus="$OUT/corpus/$fmt"
    mkdir -p "$corpus" "$OUT/crashes/$fmt"
    seeds="$SRC/tests/fuzz/corpus/$fmt"
    [ "$fmt" = probe ] && seeds="$SRC/tests/fuzz/corpus/qcow2 $SRC/tests/fuzz/corpus/qcow $SRC/tests/fuzz/corpus/vmdk $SRC/tests/fuzz/corpus/vdi $SRC/tests/fuzz/corpus/vpc"
    echo "fuzz-img: $fmt for $SECONDS_EACH s"
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$bin" -max_total_time="$SECONDS_EACH" -max_len=100000 -timeout=10 -rss_limit_mb=2048 -handle_xfsz=0 \
        -print_final_stats=1 \
        -artifact_prefix="$OUT/crashes/$fmt/" "$corpus" $seeds \
        > "$OUT/$fmt.log" 2>&1
    tail -n 12 "$OUT/$fmt.log" | grep -E "stat::number_of_executed_units|stat::new_units_added|Done|ERROR|SUMMARY" || true
    n=$(ls "$OUT/crashes/$fmt" | wc -l)
    if [ "$n" != 0 ]; then
        echo "fuzz-img: $fmt: $n crashing inputs in $OUT/crashes/$fmt" >&2
        status=1
    fi
done

kills=${CRASH_KILLS:-200}
crash="${PEMU_BUILD:-$SRC/build/host}/tests/unit/test_qcow2_crash"
if [ "$kills" != 0 ] && [ -x "$crash" ]; then
    echo "fuzz-img: qcow2 crash test, $kills kills"
    PEMU_CRASH_KILLS=$kills "$crash" -n | tail -n 2 || status=1
fi
exit $status
