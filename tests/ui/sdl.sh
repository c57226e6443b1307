#!/bin/sh
# -display sdl under Xvfb (a virtual X server): the window shows what the
# guest shows (its region of an X screenshot equals pemu's own screendump of
# the same screen), keys typed with xdotool reach the guest as PC scan codes,
# Ctrl-Alt-2 switches to the monitor's virtual console and a command typed
# there runs. Guest: tests/ui/screen.asm (a known text screen, then the scan
# codes it reads echoed to debugcon).
# timeout: 240
set -u
: "${PEMU:?PEMU must name the pemu binary}"
for tool in Xvfb xdotool xwd nasm python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP ui/sdl: $tool is not installed (run ports/deps.sh as root: xvfb, xdotool, x11-apps)"
        exit 0
    fi
done
if ! "$PEMU" -display help 2>/dev/null | grep -qx sdl; then
    echo "SKIP ui/sdl: pemu is built without SDL2 (install libsdl2-dev)"
    exit 0
fi
here=$(dirname "$0")
tmp=$(mktemp -d /tmp/pemu-sdl.XXXXXX)
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6
xpid="" ppid_=""
trap 'kill $ppid_ $xpid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

if ! nasm -f bin -o "$tmp/text.img" "$here/screen.asm" 2>"$tmp/nasm.log"; then
    echo "FAIL ui/sdl_build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi

# A display number no one uses.
d=$(( ($$ % 400) + 100 ))
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
Xvfb ":$d" -screen 0 1024x768x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xpid=$!
i=0
while [ ! -e "/tmp/.X11-unix/X$d" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
export DISPLAY=":$d"

wait_file() {
    i=0
    while [ $i -lt $(($3 * 10 * slow)) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

"$PEMU" -display sdl -name pemu-sdl-test -m 32 -fda "$tmp/text.img" -boot a \
    -monitor vc -debugcon file:"$tmp/dbg" -qmp unix:"$tmp/qmp",server=on,wait=off \
    >"$tmp/out" 2>&1 </dev/null &
ppid_=$!
if ! wait_file "$tmp/dbg" READY 30; then
    echo "FAIL ui/sdl_window: the guest did not start: $(head -c 300 "$tmp/out")"
    exit 0
fi
wid=$(xdotool search --sync --name pemu-sdl-test 2>/dev/null | head -n 1)
if [ -z "$wid" ]; then
    echo "FAIL ui/sdl_window: no window named after -name: $(head -c 300 "$tmp/out")"
    exit 0
fi
# --- the window shows the guest's screen ---------------------------------
cat >"$tmp/dump.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"},
            {"execute": "screendump", "arguments": {"filename": sys.argv[2]}}):
    f.write(json.dumps(cmd) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            print(r); break
EOF
cat >"$tmp/cmp.py" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
hdr = struct.unpack(">25I", d[:100])
hsize, w, h, border = hdr[0], hdr[4], hdr[5], hdr[7]
bpp, bpl, ncolors = hdr[11], hdr[12], hdr[19]
rmask, gmask, bmask = hdr[14], hdr[15], hdr[16]
off = hsize + ncolors * 12
endian = "<" if border == 0 else ">"
def px(xx, yy):
    v = struct.unpack_from(endian + "I", d, off + yy * bpl + xx * 4)[0]
    sh = lambda m: (v & m) // (m & -m)
    return (sh(rmask), sh(gmask), sh(bmask))
p = open(sys.argv[2], "rb").read()
parts = p.split(b"\n", 3)
pw, ph = map(int, parts[1].split()); data = parts[3]
if bpp != 32 or (w, h) != (pw, ph):
    print("window %dx%d (%d bpp), screendump %dx%d" % (w, h, bpp, pw, ph)); sys.exit()
same = 0; colours = set()
for yy in range(ph):
    for xx in range(pw):
        i = (yy * pw + xx) * 3
        want = tuple(data[i:i + 3]); colours.add(want)
        same += px(xx, yy) == want
print("match %d of %d pixels, %d colours" % (same, pw * ph, len(colours)))
EOF
# A window capture against pemu's screendump (QMP) of the same screen; a
# loaded machine may need a few refresh ticks, so try for a while.
i=0
while :; do
    xwd -id "$wid" -silent >"$tmp/shot.xwd"
    python3 "$tmp/dump.py" "$tmp/qmp" "$tmp/dump.ppm" >"$tmp/qmp.log" 2>&1
    res=$(python3 "$tmp/cmp.py" "$tmp/shot.xwd" "$tmp/dump.ppm" 2>&1)
    same=0 total=1 colours=0
    case $res in "match "*)
        same=${res#match }; same=${same%% of*}
        total=${res#* of }; total=${total%% pixels*}
        colours=${res##*, }; colours=${colours%% colours} ;;
    esac
    # the text cursor blinks: a few pixels may differ between the two shots
    [ "$same" -ge $((total - 200)) ] && [ "$colours" -ge 4 ] && break
    [ $i -ge $((10 * slow)) ] && break
    sleep 0.5
    i=$((i + 1))
done
if [ "$same" -ge $((total - 200)) ] && [ "$colours" -ge 4 ]; then
    echo "PASS ui/sdl_screen ($res)"
else
    echo "FAIL ui/sdl_screen: the window differs from the screendump: $res $(head -c 200 "$tmp/qmp.log")"
fi

# --- keys reach the guest as scan codes ------------------------------------
xdotool windowfocus --sync "$wid" 2>/dev/null
# (XTEST events: SDL ignores the synthetic ones `key --window` sends)
xdotool key --delay 100 a Return F1 Up Home
want="1e 9e 1c 9c 3b bb e0 48 e0 c8 e0 47 e0 c7"
i=0
while [ $i -lt $((50 * slow)) ]; do
    got=$(tr -s ' \n' '  ' <"$tmp/dbg" | sed 's/^READY *//; s/ *$//')
    [ "$got" = "$want" ] && break
    sleep 0.1
    i=$((i + 1))
done
if [ "$got" = "$want" ]; then
    echo "PASS ui/sdl_keys"
else
    echo "FAIL ui/sdl_keys: scan codes '$got', want '$want'"
fi

# --- Ctrl-Alt-2: the monitor's console; typing a command runs it -----------
xdotool key ctrl+alt+2
sleep 0.3
# the monitor's console is 80x25 cells of 8x16: the window follows it
size=$(xdotool getwindowgeometry "$wid" | sed -n 's/.*Geometry: //p')
[ "$size" = 640x400 ] || echo "FAIL ui/sdl_console_switch: window $size after Ctrl-Alt-2 (want 640x400)"
xdotool type --delay 50 "quit"
xdotool key Return
i=0
while kill -0 $ppid_ 2>/dev/null && [ $i -lt $((100 * slow)) ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $ppid_ 2>/dev/null; then
    echo "FAIL ui/sdl_monitor: 'quit' typed on the monitor console (Ctrl-Alt-2) did not end pemu"
else
    wait $ppid_
    echo "PASS ui/sdl_monitor (exit status $?)"
fi
exit 0
