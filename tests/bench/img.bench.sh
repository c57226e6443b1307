#!/bin/sh
# pemu-img beside qemu-img in the same run: convert (raw->qcow2,
# qcow2->raw, compressed) of an image with mixed data (random, compressible
# and zero megabytes), and sequential / scattered 4 KiB reads through the
# block layer ("bench"). Each row is the median of IMG_BENCH_RUNS runs
# (default 7; the whole of `make bench` reports medians). The table goes into docs/benchmarks.md between the
# img-bench markers; the rest of the file is left alone.
#   IMG_BENCH_MB (default 1024)  image size
set -u
P=${PEMU_IMG:?PEMU_IMG must name pemu-img}
SRC=${PEMU_SRC:-.}
MB=${IMG_BENCH_MB:-1024}
RUNS=${IMG_BENCH_RUNS:-7}
for tool in qemu-img python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "img.bench: $tool is not installed (Debian: qemu-utils, python3)" >&2
        exit 0
    fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/pemu-imgbench.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T" || exit 1

# Per MiB: a third random, a third compressible text-like data, a third
# zeros (left as holes), in a shuffled but fixed order.
python3 - "$MB" <<'EOF'
import os, random, sys
mb = int(sys.argv[1])
rnd = random.Random(1)
words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(500)]
with open("src.raw", "wb") as f:
    f.truncate(mb << 20)
    for i in range(mb):
        k = rnd.randrange(3)
        if k == 0:
            f.seek(i << 20); f.write(os.urandom(1 << 20))
        elif k == 1:
            out = bytearray()
            while len(out) < (1 << 20):
                out += rnd.choice(words) + b" "
            f.seek(i << 20); f.write(bytes(out[:1 << 20]))
EOF

now() { date +%s.%N; }
# once COMMAND...: wall time of one run in seconds (NaN when it fails).
once() {
    rm -f out.img
    t0=$(now)
    "$@" >/dev/null 2>err.txt || { echo "img.bench: failed: $* ($(head -1 err.txt))" >&2; echo NaN; return; }
    t1=$(now)
    echo "$t0 $t1" | awk '{ print $2 - $1 }'
}
# median T...: the middle value (the mean of the two middle ones)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rows=
# row NAME "QEMU-COMMAND" "PEMU-COMMAND": the two alternate, RUNS times
# each, so that a busy host slows both alike; the median of each counts.
row() {
    tq= tp=
    i=0
    while [ $i -lt "$RUNS" ]; do
        tq="$tq $(once $2)"
        tp="$tp $(once $3)"
        i=$((i + 1))
    done
    bq=$(median $tq)
    bp=$(median $tp)
    r=$(echo "$bq $bp" | awk '{ if ($1 > 0) printf "%.2f", $2 / $1; else print "-" }')
    rows="$rows| $1 | $(printf '%.3f' "$bq") | $(printf '%.3f' "$bp") | $r |
"
    echo "img.bench: $1: qemu-img $bq s, pemu-img $bp s" >&2
}

qemu-img convert -f raw -O qcow2 src.raw q.qcow2
n4k=$((MB * 256))
step=$((4096 * 99991))      # coprime with the 4 KiB block count: visits every block once

row "convert raw -> qcow2" "qemu-img convert -f raw -O qcow2 src.raw out.img" \
    "$P convert -f raw -O qcow2 src.raw out.img"
row "convert qcow2 -> raw" "qemu-img convert -f qcow2 -O raw q.qcow2 out.img" \
    "$P convert -f qcow2 -O raw q.qcow2 out.img"
row "convert -c raw -> qcow2 (zlib)" "qemu-img convert -c -f raw -O qcow2 src.raw out.img" \
    "$P convert -c -f raw -O qcow2 src.raw out.img"
row "bench: sequential 4K reads (qcow2)" "qemu-img bench -f qcow2 -c $n4k -s 4k q.qcow2" \
    "$P bench -f qcow2 -c $n4k -s 4k q.qcow2"
row "bench: scattered 4K reads (qcow2)" "qemu-img bench -f qcow2 -c $n4k -s 4k -S $step q.qcow2" \
    "$P bench -f qcow2 -c $n4k -s 4k -S $step q.qcow2"
row "bench: sequential 4K reads (raw)" "qemu-img bench -f raw -c $n4k -s 4k src.raw" \
    "$P bench -f raw -c $n4k -s 4k src.raw"

# The outputs must be right, or the times mean nothing.
"$P" convert -c -f raw -O qcow2 src.raw pc.qcow2 && qemu-img compare -q -f raw src.raw pc.qcow2 &&
    qemu-img check -q pc.qcow2 || echo "img.bench: pemu-img's compressed image is WRONG" >&2

host=$(uname -m)
cpus=$(nproc 2>/dev/null || echo "?")
table="<!-- img-bench:begin -->
### pemu-img vs qemu-img ($MB MiB image, median of $RUNS, $host, $cpus CPUs, $(date -u +%Y-%m-%d))

Image: per MiB one third random, one third compressible text, one third
zeros. \`qemu-img $(qemu-img --version | head -1 | awk '{print $3}')\`; times in seconds,
lower is better; the ratio is pemu/qemu (below 1: pemu is faster).
Reads are \`bench -s 4k\` over the whole qcow2 image made by qemu-img;
\"scattered\" uses \`-S $step\`, which visits every block once in a
shuffled order. The tools alternate run by run on a host shared with
other jobs: rows within about 20% are noise.

| operation | qemu-img | pemu-img | ratio |
|---|---|---|---|
$rows<!-- img-bench:end -->"

doc="$SRC/docs/benchmarks.md"
[ -f "$doc" ] || printf '# Benchmarks\n\n' > "$doc"
printf '%s\n' "$table" > table.md
python3 - "$doc" table.md <<'EOF'
import sys
doc, tab = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
s = open(doc).read()
b, e = "<!-- img-bench:begin -->", "<!-- img-bench:end -->"
if b in s and e in s:
    s = s[:s.index(b)] + tab + s[s.index(e) + len(e):]
else:
    s = s.rstrip("\n") + "\n\n" + tab + "\n"
open(doc, "w").write(s)
EOF
cat table.md
