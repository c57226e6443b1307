#!/bin/sh
# pemu-img against the real qemu-img / qemu-io: images made or written by
# one tool must read identically, check clean and describe themselves the
# same way in the other.
# timeout: 300
set -u

P=${PEMU_IMG:?PEMU_IMG must name pemu-img}
for tool in qemu-img qemu-io; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP qemu_img: $tool is not installed (Debian: qemu-utils)"
        exit 0
    fi
done
if ! command -v jq >/dev/null 2>&1; then
    JQ=
else
    JQ=jq
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/pemu-interop.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T" || exit 1

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# Apply '|'-separated qemu-io commands with qemu-io or with pemu-img io.
q_ops() { # file fmt ops
    f=$1 fmt=$2 ops=$3
    set --
    IFS='|'
    for o in $ops; do set -- "$@" -c "$o"; done
    unset IFS
    qemu-io -f "$fmt" "$@" "$f" >/dev/null 2>q_ops.err
}
p_ops() {
    f=$1 fmt=$2 ops=$3
    set --
    IFS='|'
    for o in $ops; do set -- "$@" "$o"; done
    unset IFS
    "$P" io -f "$fmt" "$f" "$@" 2>p_ops.err
}

# Keys both tools print must carry the same values.
json_agree() { # name a.json b.json
    if [ -z "$JQ" ]; then
        echo "SKIP $1: jq is not installed"
        return
    fi
    d=$(jq -n --slurpfile a "$2" --slurpfile b "$3" -r '
        def walk2($x; $y; $p):
          if ($x|type) == "object" and ($y|type) == "object" then
            ($x|keys[]) as $k | select($y|has($k)) | walk2($x[$k]; $y[$k]; $p + "." + $k)
          elif ($x|type) == "array" and ($y|type) == "array" and ($x|length) == ($y|length) then
            range(0; $x|length) as $i | walk2($x[$i]; $y[$i]; $p + "[\($i)]")
          elif $x == $y then empty else $p end;
        [walk2($a[0]; $b[0]; "")] | join(" ")') || { fail "$1" "jq failed"; return; }
    if [ -z "$d" ]; then pass "$1"; else fail "$1" "values differ for:$d"; fi
}

# ---- creation is byte-identical ---------------------------------------------
for o in "compat=1.1" "compat=0.10" "cluster_size=512" "cluster_size=4096" \
         "cluster_size=2M" "lazy_refcounts=on" "refcount_bits=1" "refcount_bits=64" \
         "compression_type=zlib"; do
    rm -f c1 c2
    "$P" create -q -f qcow2 -o "$o" c1 100M && qemu-img create -q -f qcow2 -o "$o" c2 100M
    if cmp -s c1 c2; then pass "create_identical_$o"; else fail "create_identical_$o" "files differ"; fi
done

# ---- writes by each tool, per image kind ---------------------------------------
OPS_Q="write -P 0x11 0 100k|write -P 0x22 1000 3000|write -z 64k 64k|write -c -P 0x33 192k 64k|write -P 0x44 3M 1M|discard 3M 64k|write -P 0x55 4094k 2k"
OPS_R="write -P 0x11 0 100k|write -P 0x22 1000 3000|write -z 64k 64k|write -P 0x44 3M 1M|write -P 0x55 4094k 2k"
for kind in raw v2 v3 c512 c2M zstd lazy rc8; do
    fmt=qcow2 ops=$OPS_Q
    case $kind in
    raw)  fmt=raw ops=$OPS_R o="" ;;
    v2)   o="compat=0.10" ;;
    v3)   o="compat=1.1" ;;
    c512) o="cluster_size=512" ;;
    c2M)  o="cluster_size=2M" ops=$(echo "$OPS_Q" | sed 's/write -c -P 0x33 192k 64k/write -c -P 0x33 2M 2M/') ;;
    zstd) o="compression_type=zstd" ;;
    lazy) o="lazy_refcounts=on" ;;
    rc8)  o="refcount_bits=8" ;;
    esac
    if [ "$kind" = zstd ] && ! "$P" create -q -f qcow2 -o "$o" probe.img 1M 2>/dev/null; then
        echo "SKIP write_$kind: pemu-img was built without zstd"
        continue
    fi
    rm -f qq pq pp qp
    oo=${o:+-o $o}
    # qq: made and written by qemu; pq: made by qemu, written by pemu;
    # pp: made and written by pemu; qp: made by pemu, written by qemu.
    qemu-img create -q -f $fmt $oo qq 4M && qemu-img create -q -f $fmt $oo pq 4M &&
    "$P" create -q -f $fmt $oo pp 4M && "$P" create -q -f $fmt $oo qp 4M || {
        fail "write_$kind" "create failed"; continue; }
    q_ops qq $fmt "$ops" || { fail "write_$kind" "qemu-io: $(cat q_ops.err)"; continue; }
    q_ops qp $fmt "$ops" || { fail "write_$kind" "qemu-io on pemu's image: $(cat q_ops.err)"; continue; }
    if ! p_ops pq $fmt "$ops" || ! p_ops pp $fmt "$ops"; then
        fail "write_$kind" "pemu-img io: $(cat p_ops.err)"
        continue
    fi
    ok=1
    for f in pq pp qp; do
        if ! qemu-img compare -q -f $fmt -F $fmt qq $f; then
            fail "write_$kind" "qemu-img compare qq $f: contents differ"; ok=0
        fi
        if ! "$P" compare -q -f $fmt -F $fmt qq $f; then
            fail "write_$kind" "pemu-img compare qq $f: contents differ"; ok=0
        fi
    done
    [ $ok = 1 ] && pass "write_$kind"
    if [ $fmt = qcow2 ]; then
        for f in pq pp qp; do
            if out=$(qemu-img check $f 2>&1); then pass "qemu_check_${kind}_$f"
            else fail "qemu_check_${kind}_$f" "$(echo "$out" | head -3 | tr '\n' ' ')"; fi
            if out=$("$P" check $f 2>&1); then pass "pemu_check_${kind}_$f"
            else fail "pemu_check_${kind}_$f" "$(echo "$out" | head -3 | tr '\n' ' ')"; fi
        done
        "$P" check --output=json pq > c1.json 2>/dev/null
        qemu-img check --output=json pq > c2.json 2>/dev/null
        json_agree "check_json_$kind" c1.json c2.json
    fi
    "$P" info --output=json pq > i1.json && qemu-img info --output=json pq > i2.json &&
        json_agree "info_json_$kind" i1.json i2.json
    "$P" map --output=json -f $fmt pq > m1 && qemu-img map --output=json -f $fmt pq > m2
    if cmp -s m1 m2; then pass "map_json_$kind"; else fail "map_json_$kind" "$(diff m1 m2 | head -4 | tr '\n' ' ')"; fi
    "$P" info pq > h1 && qemu-img info pq > h2
    if cmp -s h1 h2; then pass "info_human_$kind"; else fail "info_human_$kind" "$(diff h1 h2 | head -4 | tr '\n' ' ')"; fi
done

# ---- backing files: copy-on-write against the base -----------------------------
mkdir -p sub
qemu-img create -q -f qcow2 sub/base.qcow2 4M
q_ops sub/base.qcow2 qcow2 "write -P 0xaa 0 4M"
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 sub/q.qcow2
"$P" create -q -f qcow2 -b base.qcow2 -F qcow2 sub/p.qcow2
COW="write -P 0x11 4096 512|write -P 0x22 70000 100000|write -z 1M 64k|discard 2M 64k"
q_ops sub/q.qcow2 qcow2 "$COW"
p_ops sub/p.qcow2 qcow2 "$COW" || fail backing_cow "pemu-img io: $(cat p_ops.err)"
if qemu-img compare -q sub/q.qcow2 sub/p.qcow2 && "$P" compare -q sub/q.qcow2 sub/p.qcow2 &&
   qemu-img check -q sub/p.qcow2; then pass backing_cow
else fail backing_cow "overlay contents differ or check failed"; fi
"$P" info --output=json --backing-chain sub/p.qcow2 > b1.json &&
    qemu-img info --output=json --backing-chain sub/p.qcow2 > b2.json &&
    json_agree info_backing_chain_json b1.json b2.json
"$P" info sub/p.qcow2 > h1 && qemu-img info sub/p.qcow2 > h2
if cmp -s h1 h2; then pass info_backing_human; else fail info_backing_human "$(diff h1 h2 | head -4 | tr '\n' ' ')"; fi
"$P" map --output=json sub/p.qcow2 > m1 && qemu-img map --output=json sub/p.qcow2 > m2
if cmp -s m1 m2; then pass map_backing; else fail map_backing "$(diff m1 m2 | head -4 | tr '\n' ' ')"; fi
"$P" map sub/p.qcow2 > m1 && qemu-img map sub/p.qcow2 > m2
if cmp -s m1 m2; then pass map_human; else fail map_human "$(diff m1 m2 | head -4 | tr '\n' ' ')"; fi

# ---- convert, compression ---------------------------------------------------------
"$P" convert -O raw sub/p.qcow2 p.raw && qemu-img convert -O raw sub/p.qcow2 q.raw
if cmp -s p.raw q.raw; then pass convert_to_raw; else fail convert_to_raw "raw outputs differ"; fi
for o in compat=1.1 compat=0.10 cluster_size=4k; do
    rm -f pi.qcow2 qi.qcow2
    "$P" convert -O qcow2 -o $o p.raw pi.qcow2 && qemu-img convert -O qcow2 -o $o p.raw qi.qcow2
    if cmp -s pi.qcow2 qi.qcow2; then pass "convert_identical_$o"
    else fail "convert_identical_$o" "pemu-img convert output differs from qemu-img's"; fi
done
for cs in 512 64k 2M; do
    rm -f pc.qcow2 qc.qcow2
    "$P" convert -c -O qcow2 -o cluster_size=$cs p.raw pc.qcow2 &&
    qemu-img convert -c -O qcow2 -o cluster_size=$cs p.raw qc.qcow2 || { fail "compressed_$cs" "convert failed"; continue; }
    if qemu-img compare -q -f raw -F qcow2 p.raw pc.qcow2 && qemu-img check -q pc.qcow2 &&
       "$P" compare -q -f raw -F qcow2 p.raw qc.qcow2 && "$P" check -q qc.qcow2; then
        pass "compressed_$cs"
    else
        fail "compressed_$cs" "compressed images differ from the source or check failed"
    fi
    # Same zlib settings and the same packing of compressed clusters.
    if cmp -s pc.qcow2 qc.qcow2; then pass "compressed_identical_$cs"
    else fail "compressed_identical_$cs" "pemu-img convert -c output differs from qemu-img's"; fi
done
rm -f pz.qcow2
if "$P" convert -c -O qcow2 -o compression_type=zstd p.raw pz.qcow2 2>/dev/null; then
    if qemu-img compare -q -f raw p.raw pz.qcow2 && qemu-img check -q pz.qcow2; then pass compressed_zstd
    else fail compressed_zstd "qemu-img reads the zstd image differently"; fi
fi
"$P" convert -p -O qcow2 -o compat=0.10 q.raw v2.qcow2 > prog.txt &&
    qemu-img compare -q q.raw v2.qcow2 && qemu-img check -q v2.qcow2 &&
    grep -q "100.00/100%" prog.txt && pass convert_qcow2_v2 || fail convert_qcow2_v2 "bad v2 output or progress"

# ---- snapshots both ways -------------------------------------------------------------
qemu-img create -q -f qcow2 s.qcow2 4M
q_ops s.qcow2 qcow2 "write -P 0x01 0 1M"
qemu-img snapshot -c qsnap s.qcow2
p_ops s.qcow2 qcow2 "write -P 0x02 0 512k"
"$P" snapshot -c psnap s.qcow2
q_ops s.qcow2 qcow2 "write -P 0x03 0 256k"
"$P" snapshot -l s.qcow2 > l1 && qemu-img snapshot -l s.qcow2 > l2
if cmp -s l1 l2 && grep -q qsnap l1 && grep -q psnap l1; then pass snapshot_list
else fail snapshot_list "$(diff l1 l2 | head -4 | tr '\n' ' ')"; fi
if qemu-img check -q s.qcow2 && "$P" check -q s.qcow2; then pass snapshot_check; else fail snapshot_check "check failed"; fi
"$P" info --output=json s.qcow2 > sj1 && qemu-img info --output=json s.qcow2 > sj2 &&
    json_agree snapshot_info_json sj1 sj2
"$P" info s.qcow2 > h1 && qemu-img info s.qcow2 > h2
if cmp -s h1 h2; then pass snapshot_info_human; else fail snapshot_info_human "$(diff h1 h2 | head -4 | tr '\n' ' ')"; fi
"$P" snapshot -a qsnap s.qcow2 && qemu-io -f qcow2 -c "read -P 0x01 0 1M" s.qcow2 >/dev/null 2>&1 &&
    pass snapshot_apply_by_pemu || fail snapshot_apply_by_pemu "content after apply is wrong"
qemu-img snapshot -a psnap s.qcow2 && "$P" io -f qcow2 s.qcow2 "read -P 0x02 0 512k" "read -P 0x01 512k 512k" &&
    pass snapshot_apply_by_qemu || fail snapshot_apply_by_qemu "content after apply is wrong"
"$P" snapshot -d qsnap s.qcow2 && qemu-img snapshot -d psnap s.qcow2 &&
    qemu-img check -q s.qcow2 && "$P" check -q s.qcow2 && [ -z "$("$P" snapshot -l s.qcow2)" ] &&
    pass snapshot_delete || fail snapshot_delete "delete left the image inconsistent"

# ---- resize ------------------------------------------------------------------------
qemu-img create -q -f qcow2 -o cluster_size=512 r.qcow2 1M
"$P" resize r.qcow2 +100M >/dev/null && p_ops r.qcow2 qcow2 "write -P 0x66 100M 64k" &&
    [ "$(qemu-img info --output=json r.qcow2 | grep '"virtual-size"' | tr -dc 0-9)" = 105906176 ] &&
    qemu-img check -q r.qcow2 && qemu-io -f qcow2 -c "read -P 0x66 100M 64k" r.qcow2 >/dev/null &&
    pass resize_grow || fail resize_grow "image wrong after growing"
if "$P" resize r.qcow2 -- -50M >/dev/null 2>&1; then fail resize_shrink_needs_flag "shrank without --shrink"
else pass resize_shrink_needs_flag; fi

# ---- check: leaks made by hand are found and repaired -------------------------------
qemu-img create -q -f qcow2 k.qcow2 4M
q_ops k.qcow2 qcow2 "write -P 0x77 0 64k"
truncate -s 512k k.qcow2
# Refcount block at 0x20000, 16-bit entries: give unused cluster 6 a refcount.
printf '\000\001' | dd of=k.qcow2 bs=1 seek=$((0x20000 + 12)) conv=notrunc 2>/dev/null
"$P" check k.qcow2 >/dev/null 2>&1; pr=$?
qemu-img check k.qcow2 >/dev/null 2>&1; qr=$?
if [ $pr = 3 ] && [ $qr = 3 ]; then pass check_leak_exit_code; else fail check_leak_exit_code "pemu $pr, qemu $qr (want 3)"; fi
"$P" check -r leaks k.qcow2 >/dev/null 2>&1 && qemu-img check -q k.qcow2 &&
    pass check_repair_leaks || fail check_repair_leaks "leak not repaired"
# A source whose L2 tables lie past its end (truncated): convert stops with
# one error naming the file, to either format (the reader thread of the
# qcow2 path and the raw path's workers end with it), and never hangs.
qemu-img create -q -f qcow2 big.qcow2 64M && qemu-io -f qcow2 -c "write -P 0x5a 0 64M" big.qcow2 >/dev/null &&
    head -c 266240 big.qcow2 > cut.qcow2   # ends inside the L2 table at 0x40000
for of in qcow2 raw; do
    rm -f cut.out
    timeout 60 "$P" convert -O $of cut.qcow2 cut.out 2>cut.err
    rc=$?
    if [ $rc = 1 ] && grep -q "cut.qcow2" cut.err && [ "$(grep -c . cut.err)" = 1 ]; then
        pass "convert_truncated_source_$of"
    else fail "convert_truncated_source_$of" "exit $rc: $(head -c 200 cut.err)"; fi
done

# ---- rebase, commit, amend, measure, dd, convert -B ------------------------------
qemu-img create -q -f qcow2 rb1 4M && q_ops rb1 qcow2 "write -P 1 0 4M"
qemu-img create -q -f qcow2 rb2 4M && q_ops rb2 qcow2 "write -P 2 0 2M"
for t in q p; do
    qemu-img create -q -f qcow2 -b rb1 -F qcow2 $t.ov && q_ops $t.ov qcow2 "write -P 9 1M 64k"
done
cp q.ov orig.ov
qemu-img rebase -b rb2 -F qcow2 q.ov && "$P" rebase -b rb2 -F qcow2 p.ov
if qemu-img compare -q orig.ov p.ov && qemu-img compare -q q.ov p.ov && qemu-img check -q p.ov &&
   [ "$(qemu-img info --output=json p.ov | jq -r '."backing-filename"' 2>/dev/null || echo rb2)" = rb2 ]
then pass rebase_safe; else fail rebase_safe "rebased image reads differently"; fi
"$P" rebase -u -b rb1 -F qcow2 p.ov && qemu-img compare -q orig.ov p.ov && "$P" rebase -b "" p.ov &&
    qemu-img compare -q orig.ov p.ov && ! qemu-img info p.ov | grep -q backing &&
    pass rebase_unsafe_and_remove || fail rebase_unsafe_and_remove "wrong contents or backing"
for t in q p; do
    cp rb1 $t.base && qemu-img create -q -f qcow2 -b $t.base -F qcow2 $t.top &&
    q_ops $t.top qcow2 "write -P 7 100k 300k|write -z 2M 64k|discard 3M 64k"
done
cp p.top p.top.orig
qemu-img commit -q q.top && "$P" commit -q p.top
if qemu-img compare -q q.base p.base && qemu-img compare -q p.top.orig p.base &&
   qemu-img compare -q p.top.orig p.top && qemu-img check -q p.base && qemu-img check -q p.top &&
   [ "$(qemu-img map --output=json p.top | grep -c '"depth": 0')" = 0 ]
then pass commit; else fail commit "base or emptied top differ from qemu-img's"; fi
for a in "compat=0.10" "compat=1.1,lazy_refcounts=on" "lazy_refcounts=off"; do
    [ -f am.q ] || { qemu-img create -q -f qcow2 am.q 4M &&
        q_ops am.q qcow2 "write -P 5 0 1M|write -z 64k 128k|write -z 2M 64k" && cp am.q am.p && cp am.q am.0; }
    qemu-img amend -o "$a" am.q && "$P" amend -o "$a" am.p
    if cmp -s am.q am.p && qemu-img compare -q am.0 am.p && qemu-img check -q am.p; then pass "amend_$a"
    else fail "amend_$a" "amended images differ from qemu-img's"; fi
done
for args in "-O qcow2 --size 1G" "-O qcow2 --size 100G -o cluster_size=512" "-O qcow2 -o preallocation=full --size 1G" \
            "-O qcow2 sub/p.qcow2" "--output=json -O raw sub/p.qcow2" "-O qcow2 -o cluster_size=4k p.raw"; do
    if [ "$("$P" measure $args 2>&1)" = "$(qemu-img measure $args 2>&1)" ]; then pass "measure $args"
    else fail "measure $args" "output differs"; fi
done
"$P" dd -f qcow2 -O raw bs=64k skip=2 count=5 if=sub/p.qcow2 of=dd.p &&
    qemu-img dd -f qcow2 -O raw bs=64k skip=2 count=5 if=sub/p.qcow2 of=dd.q &&
    cmp -s dd.p dd.q && pass dd || fail dd "dd outputs differ"
"$P" convert -O qcow2 -B base.qcow2 -F qcow2 sub/p.qcow2 sub/cb.qcow2 &&
    qemu-img compare -q sub/p.qcow2 sub/cb.qcow2 && qemu-img check -q sub/cb.qcow2 &&
    [ "$(stat -c %s sub/cb.qcow2)" -lt 2000000 ] && pass convert_backing ||
    fail convert_backing "convert -B copied the wrong data"
# ---- images pemu reads but does not write: extended L2, external data file ----
qemu-img create -q -f qcow2 -o extended_l2=on -b sub/base.qcow2 -F qcow2 ext.q &&
    q_ops ext.q qcow2 "write -P 4 4k 2k|write -z 128k 8k|write -P 5 1M 100k|write -c -P 6 2M 64k|discard 3M 64k"
qemu-img convert -O raw ext.q ext.raw1 && "$P" convert -O raw ext.q ext.raw2 &&
    cmp -s ext.raw1 ext.raw2 && "$P" check -q ext.q && pass extended_l2_read || fail extended_l2_read "contents differ"
"$P" map --output=json ext.q > m1 && qemu-img map --output=json ext.q > m2
if cmp -s m1 m2; then pass extended_l2_map; else fail extended_l2_map "$(diff m1 m2 | head -4 | tr '\n' ' ')"; fi
qemu-img create -q -f qcow2 -o data_file=df.data df.q 1M
out=$("$P" info df.q 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q "df.q" && echo "$out" | grep -q "external data file"; then
    pass data_file_refused
else
    fail data_file_refused "want one clear error, got: $out"
fi
exit 0
