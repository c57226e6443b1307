#!/bin/sh
# qcow, vmdk, vdi and vpc against the real qemu-img / qemu-io: for each
# format and variant, an image made by one tool and written by the other
# (pemu through its block layer, qemu through qemu-io) must read the same,
# pass qemu-img check (where qemu-img checks the format), and describe
# itself the same way in "info".
# timeout: 300
set -u

P=${PEMU_IMG:?PEMU_IMG must name pemu-img}
for tool in qemu-img qemu-io jq; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP formats: $tool is not installed (Debian: qemu-utils, jq)"
        exit 0
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/pemu-formats.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T" || exit 1

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

q_ops() { # file fmt ops
    f=$1 fmt=$2 ops=$3
    set --
    IFS='|'
    for o in $ops; do set -- "$@" -c "$o"; done
    unset IFS
    qemu-io -f "$fmt" "$@" "$f" >/dev/null 2>q_ops.err && ! grep -q "failed" q_ops.err
}
p_ops() {
    f=$1 fmt=$2 ops=$3
    set --
    IFS='|'
    for o in $ops; do set -- "$@" "$o"; done
    unset IFS
    "$P" io -f "$fmt" "$f" "$@" 2>p_ops.err
}

# Keys both tools print must carry the same values (objects by key, arrays
# of equal length by index).
json_agree() { # name a.json b.json
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

OPS="write -P 0x11 0 100k|write -P 0x22 1000 3000|write -z 64k 64k|write -P 0x44 3M 1M|write -P 0x55 4094k 2k|write -P 0x66 2M 1536"
# qcow: compressed clusters (written once), then partly overwritten.
OPS_QCOW="$OPS|write -c -P 0x33 192k 4k|write -c -P 0x34 196k 4k|write -P 0x77 197k 1k"
# streamOptimized: whole grains, each written once (qemu refuses the rest).
OPS_STREAM="write -P 0x11 0 128k|write -P 0x22 1M 64k|write -P 0x44 3M 1M|write -P 0x55 2M 64k"
OPS_ZEROED="$OPS|write -P 0x12 1M 256k|write -z 1M 128k"

for kind in qcow vmdk_sparse vmdk_stream vmdk_flat vmdk_zeroed vdi_dynamic vdi_static \
            vpc_dynamic vpc_fixed vpc_force; do
    ops=$OPS check=1
    case $kind in
    qcow)        fmt=qcow o="" ops=$OPS_QCOW check=0 ;;
    vmdk_sparse) fmt=vmdk o="subformat=monolithicSparse" ;;
    vmdk_stream) fmt=vmdk o="subformat=streamOptimized" ops=$OPS_STREAM ;;
    vmdk_flat)   fmt=vmdk o="subformat=monolithicFlat" ;;
    vmdk_zeroed) fmt=vmdk o="zeroed_grain=on" ops=$OPS_ZEROED ;;
    vdi_dynamic) fmt=vdi o="" ;;
    vdi_static)  fmt=vdi o="static=on" ;;
    vpc_dynamic) fmt=vpc o="subformat=dynamic" check=0 ;;
    vpc_fixed)   fmt=vpc o="subformat=fixed" check=0 ;;
    vpc_force)   fmt=vpc o="force_size=on" check=0 ;;
    esac
    oo=${o:+-o $o}
    rm -rf "$kind" && mkdir "$kind" && cd "$kind" || exit 1
    # qq: made and written by qemu; pq: made by qemu, written by pemu;
    # pp: made and written by pemu; qp: made by pemu, written by qemu.
    if ! { qemu-img create -q -f $fmt $oo qq.img 4M && qemu-img create -q -f $fmt $oo pq.img 4M &&
           "$P" create -q -f $fmt $oo pp.img 4M && "$P" create -q -f $fmt $oo qp.img 4M; }; then
        fail "${kind}_create" "create failed"; cd ..; continue
    fi
    pass "${kind}_create"
    for f in pp qp; do
        if qemu-img check -q -f $fmt $f.img >/dev/null 2>&1 || [ $check = 0 ]; then :; else
            fail "${kind}_create_check_$f" "qemu-img check fails on pemu's new image"; fi
    done
    q_ops qq.img $fmt "$ops" || { fail "${kind}_write" "qemu-io: $(head -2 q_ops.err)"; cd ..; continue; }
    q_ops qp.img $fmt "$ops" || { fail "${kind}_write" "qemu-io on pemu's image: $(head -2 q_ops.err)"; cd ..; continue; }
    if ! p_ops pq.img $fmt "$ops" || ! p_ops pp.img $fmt "$ops"; then
        fail "${kind}_write" "pemu-img io: $(head -2 p_ops.err)"; cd ..; continue
    fi
    ok=1
    for f in pq pp qp; do
        if ! qemu-img compare -q -f $fmt -F $fmt qq.img $f.img; then
            fail "${kind}_write" "qemu-img compare qq $f: contents differ"; ok=0
        fi
        if ! "$P" compare -q -f $fmt -F $fmt qq.img $f.img; then
            fail "${kind}_write" "pemu-img compare qq $f: contents differ"; ok=0
        fi
    done
    [ $ok = 1 ] && pass "${kind}_write"
    # The reader side on its own: pemu's view of qemu's image, as raw.
    qemu-img convert -f $fmt -O raw qq.img q.raw && "$P" convert -f $fmt -O raw qq.img p.raw &&
        cmp -s q.raw p.raw && pass "${kind}_convert_raw" ||
        fail "${kind}_convert_raw" "raw conversions of qemu's image differ"
    if [ $check = 1 ]; then
        for f in pq pp qp; do
            if out=$(qemu-img check -f $fmt $f.img 2>&1); then pass "${kind}_qemu_check_$f"
            else fail "${kind}_qemu_check_$f" "$(echo "$out" | head -3 | tr '\n' ' ')"; fi
            if out=$("$P" check -f $fmt $f.img 2>&1); then pass "${kind}_pemu_check_$f"
            else fail "${kind}_pemu_check_$f" "$(echo "$out" | head -3 | tr '\n' ' ')"; fi
        done
        "$P" check -f $fmt --output=json pq.img > c1.json 2>/dev/null
        qemu-img check -f $fmt --output=json pq.img > c2.json 2>/dev/null
        json_agree "${kind}_check_json" c1.json c2.json
    else
        "$P" check -f $fmt pq.img >/dev/null 2>&1; pr=$?
        qemu-img check -f $fmt pq.img >/dev/null 2>&1; qr=$?
        [ $pr = $qr ] && pass "${kind}_check_unsupported" ||
            fail "${kind}_check_unsupported" "exit codes pemu $pr, qemu $qr"
    fi
    for f in pq pp; do
        "$P" info -f $fmt --output=json $f.img > i1.json && qemu-img info -f $fmt --output=json $f.img > i2.json &&
            json_agree "${kind}_info_json_$f" i1.json i2.json
        "$P" info -f $fmt $f.img > h1 && qemu-img info -f $fmt $f.img > h2
        if cmp -s h1 h2; then pass "${kind}_info_human_$f"; else fail "${kind}_info_human_$f" "$(diff h1 h2 | head -4 | tr '\n' ' ')"; fi
    done
    "$P" map -f $fmt --output=json pq.img > m1 && qemu-img map -f $fmt --output=json pq.img > m2
    if cmp -s m1 m2; then pass "${kind}_map_json"; else fail "${kind}_map_json" "$(diff m1 m2 | head -4 | tr '\n' ' ')"; fi
    # Conversions in both directions keep the content.
    "$P" convert -f $fmt -O $fmt $oo qq.img cv.img && qemu-img compare -q -f $fmt -F $fmt qq.img cv.img &&
        { [ $check = 0 ] || qemu-img check -q -f $fmt cv.img; } && pass "${kind}_convert_to" ||
        fail "${kind}_convert_to" "pemu-img convert -O $fmt output differs or fails check"
    cd ..
done

# ---- qcow with a backing file: copy-on-write against the base -------------------
mkdir -p bk && cd bk || exit 1
qemu-img create -q -f qcow base.qcow 4M && q_ops base.qcow qcow "write -P 0xaa 0 4M"
qemu-img create -q -f qcow -b base.qcow -F qcow q.qcow
"$P" create -q -f qcow -b base.qcow -F qcow p.qcow
COW="write -P 0x11 4096 512|write -P 0x22 70000 100000|write -c -P 0x33 1M 512|write -P 0x44 1M 512"
q_ops q.qcow qcow "$COW" || fail qcow_backing "qemu-io: $(head -2 q_ops.err)"
p_ops p.qcow qcow "$COW" || fail qcow_backing "pemu-img io: $(head -2 p_ops.err)"
if qemu-img compare -q q.qcow p.qcow && "$P" compare -q q.qcow p.qcow; then pass qcow_backing
else fail qcow_backing "overlay contents differ"; fi
"$P" info --output=json --backing-chain p.qcow > b1.json &&
    qemu-img info --output=json --backing-chain p.qcow > b2.json && json_agree qcow_backing_info b1.json b2.json
cd ..

# ---- probing: what qemu-img guesses, pemu-img guesses ------------------------------
for f in qcow/qq.img vmdk_sparse/qq.img vmdk_stream/qq.img vmdk_flat/qq.img vdi_dynamic/qq.img \
         vpc_dynamic/qq.img vpc_fixed/qq.img; do
    a=$("$P" info --output=json $f 2>/dev/null | jq -r .format)
    b=$(qemu-img info --output=json $f 2>/dev/null | jq -r .format)
    [ "$a" = "$b" ] && pass "probe_$(dirname $f)" || fail "probe_$(dirname $f)" "pemu $a, qemu $b"
done
exit 0
