#!/bin/sh
# -display curses driven through tmux: pemu runs in a detached tmux pane
# (its own server socket), keys go in with send-keys, the screen comes back
# with capture-pane (-e: with the colour escapes). Guests: SeaBIOS alone,
# and tests/ui/screen.asm (a known text screen, or mode 13h colour bars,
# then scan codes echoed to debugcon).
# timeout: 240
set -u
: "${PEMU:?PEMU must name the pemu binary}"
for tool in tmux nasm; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP ui/curses: $tool is not installed (run ports/deps.sh as root)"
        exit 0
    fi
done
if ! "$PEMU" -display curses -version >/dev/null 2>&1; then
    echo "SKIP ui/curses: pemu is built without curses (install libncurses-dev)"
    exit 0
fi
here=$(dirname "$0")
tmp=$(mktemp -d /tmp/pemu-ui.XXXXXX)
sock=pemu-ui-$$
T="tmux -L $sock"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM
slow=1
[ -n "${PEMU_PORT:-}" ] && slow=6

if ! nasm -f bin -o "$tmp/text.img" "$here/screen.asm" 2>"$tmp/nasm.log" ||
   ! nasm -DMODE13 -f bin -o "$tmp/m13.img" "$here/screen.asm" 2>>"$tmp/nasm.log"; then
    echo "FAIL ui/build: nasm: $(head -n 1 "$tmp/nasm.log")"
    exit 0
fi

# start TERM ARGS...: pemu in a fresh 100x30 pane; after it exits the pane
# prints its exit status and the terminal modes (for the restore checks).
# Each run gets its own tmux server: a server killed a moment ago may still
# hold its socket and refuse the next session.
n=0
start() {
    term=$1; shift
    $T kill-server >/dev/null 2>&1
    n=$((n + 1))
    T="tmux -L $sock-$n"
    rm -f "$tmp/dbg" "$tmp/pid"
    printf '%s\n' "echo \$\$ > $tmp/pid; exec env ${PANE_ENV:-} TERM=$term LANG=${PANE_LANG:-C.UTF-8} $PEMU -display curses -m 32 $* -debugcon file:$tmp/dbg 2>$tmp/err" >"$tmp/run.sh"
    $T new-session -d -x 100 -y 30 "sh $tmp/run.sh; echo EXIT=\$?; stty -a | tr ';' '\n' | grep -Eo -- '(^| )-?(icanon|echo)( |\$)' | tr -d ' ' | tr '\n' ' '; echo; sleep 60"
}
screen() { $T capture-pane -p -t 0 2>/dev/null; }
screen_e() { $T capture-pane -e -p -t 0 2>/dev/null; }
# wait_screen TEXT SECONDS: until the pane shows TEXT
wait_screen() {
    i=0
    while [ $i -lt $(($2 * 10 * slow)) ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
wait_file() {
    i=0
    while [ $i -lt $(($3 * 10 * slow)) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# keys K...: one tmux key per call, paced like a typist
keys() {
    for k in "$@"; do
        $T send-keys -t 0 "$k"
        sleep 0.15
    done
}
last() { screen | grep -v '^ *$' | tail -n 3 | tr '\n' '|'; }

# --- SeaBIOS's screen ------------------------------------------------------
start xterm-256color
if wait_screen "SeaBIOS (version" 30; then
    if screen | tail -n 1 | grep -q "pemu \[1\] vga: text 80x25"; then
        echo "PASS ui/curses_seabios"
    else
        echo "FAIL ui/curses_seabios: no status line: $(last)"
    fi
else
    echo "FAIL ui/curses_seabios: no SeaBIOS banner: $(last) $(head -c 300 "$tmp/err")"
fi

# --- a text screen: box drawing and colours ---------------------------------
start xterm-256color -fda "$tmp/text.img" -boot a
if wait_screen "PEMU-TEXT" 30 && wait_file "$tmp/dbg" READY 10; then
    s=$(screen)
    e=$(screen_e)
    # CP437 0xc9 0xcd 0xbb / 0xba / 0xc8 0xbc, and 0xdb (full block)
    if ! printf '%s\n' "$s" | grep -q "╔═══════════╗" ||
       ! printf '%s\n' "$s" | grep -q "║ PEMU-TEXT ║" ||
       ! printf '%s\n' "$s" | grep -q "╚═══════════╝" ||
       ! printf '%s\n' "$s" | grep -q "^ *█"; then
        echo "FAIL ui/curses_text: box or block characters wrong: $(printf '%s\n' "$s" | grep -v '^ *$' | head -n 6 | tr '\n' '|')"
    # attribute 0x1e: yellow (bright, SGR 93) on blue (44); 0x24: red (31) on green (42)
    elif ! printf '%s\n' "$e" | grep "PEMU-TEXT" | grep -q '\[93m.*\[44m\|\[44m.*\[93m' ||
         ! printf '%s\n' "$e" | grep "RED-ON-GREEN" | grep -q '\[31m.*\[42m\|\[42m.*\[31m'; then
        echo "FAIL ui/curses_text: colours: $(printf '%s\n' "$e" | grep 'PEMU-TEXT\|RED-ON' | cat -v | tr '\n' '|')"
    else
        echo "PASS ui/curses_text"
    fi
    # --- keys reach the guest as PC scan codes (set 1 after 8042 translation)
    keys a B Enter F1 Up C-c M-x Home PageDown
    want="1e 9e 2a 30 b0 aa 1c 9c 3b bb e0 48 e0 c8 1d 2e ae 9d 38 2d ad b8 e0 47 e0 c7 e0 51 e0 d1"
    if wait_file "$tmp/dbg" "$want" 10; then
        echo "PASS ui/curses_keys"
    else
        echo "FAIL ui/curses_keys: guest read '$(tail -n 1 "$tmp/dbg")', want '$want'"
    fi
    # --- Alt-2: the monitor; Alt-1: back to the guest
    keys M-2
    if wait_screen "(pemu)" 10 && screen | tail -n 1 | grep -q "pemu \[2\] monitor"; then
        keys i n f o Space v e r s i o n Enter
        if wait_screen "VM status" 0 || ! wait_screen "(pemu) info version" 5; then
            echo "FAIL ui/curses_monitor: typed command not echoed: $(last)"
        elif ! screen | grep -A1 "(pemu) info version" | tail -n 1 | grep -q '^ *[0-9][0-9.]*'; then
            echo "FAIL ui/curses_monitor: no version printed: $(last)"
        else
            keys M-1
            if wait_screen "PEMU-TEXT" 5; then
                echo "PASS ui/curses_monitor"
            else
                echo "FAIL ui/curses_monitor: Alt-1 did not return to the guest: $(last)"
            fi
        fi
    else
        echo "FAIL ui/curses_monitor: Alt-2 shows no monitor: $(last)"
    fi
    # --- quit from the monitor: exit 0, terminal back in cooked mode
    keys M-2 q u i t Enter
    if wait_screen "EXIT=0" 10 && wait_screen "icanon echo" 5; then
        echo "PASS ui/curses_restore_quit"
    else
        echo "FAIL ui/curses_restore_quit: $(last)"
    fi
else
    echo "FAIL ui/curses_text: guest screen not shown: $(last) $(head -c 300 "$tmp/err")"
    echo "FAIL ui/curses_keys: no guest"
    echo "FAIL ui/curses_monitor: no guest"
    echo "FAIL ui/curses_restore_quit: no guest"
fi

# --- mode 13h: half blocks in 256 colours ------------------------------------
start xterm-256color -fda "$tmp/m13.img" -boot a
if wait_file "$tmp/dbg" READY 30 && wait_screen "graphics 320x200" 10; then
    # the mode switch shows first; the bars come with a later refresh (a
    # loaded machine may take a while): wait for all four colours
    i=0
    while :; do
        e=$(screen_e)
        printf '%s\n' "$e" | grep -q '38;5;124' && printf '%s\n' "$e" | grep -q '38;5;34' &&
            printf '%s\n' "$e" | grep -q '38;5;19' && printf '%s\n' "$e" | grep -q '38;5;231' && break
        [ $i -ge $((100 * slow)) ] && break
        sleep 0.1
        i=$((i + 1))
    done
    n=$(screen | grep -o "▀" | wc -l)
    # the bars: red 0xaa0000 (xterm 124), green 0x00aa00 (34), blue (19), white (231)
    if [ "$n" -lt 1000 ]; then
        echo "FAIL ui/curses_mode13: only $n half blocks"
    elif ! printf '%s\n' "$e" | grep -q '38;5;124' || ! printf '%s\n' "$e" | grep -q '38;5;34' ||
         ! printf '%s\n' "$e" | grep -q '38;5;19' || ! printf '%s\n' "$e" | grep -q '38;5;231'; then
        echo "FAIL ui/curses_mode13: bar colours missing: $(printf '%s\n' "$e" | head -n 3 | cut -c1-80 | cat -v | tr '\n' '|')"
    else
        echo "PASS ui/curses_mode13"
    fi
else
    echo "FAIL ui/curses_mode13: no graphics screen: $(last) $(head -c 300 "$tmp/err")"
fi
# --- SIGTERM restores the terminal
if [ -s "$tmp/pid" ] && kill -TERM "$(cat "$tmp/pid")" 2>/dev/null && wait_screen "EXIT=" 10 &&
   wait_screen "icanon echo" 5; then
    echo "PASS ui/curses_restore_sigterm"
else
    echo "FAIL ui/curses_restore_sigterm: $(last)"
fi

# --- true colour: COLORTERM=truecolor with TERM=xterm-256color makes pemu
# drive xterm-direct; tmux keeps the RGB cells, capture-pane -e shows them
# as 38;2;R;G;B. Text uses the exact VGA palette, graphics the exact pixels.
if ! infocmp xterm-direct >/dev/null 2>&1 || ! infocmp tmux-direct >/dev/null 2>&1; then
    echo "SKIP ui/curses_truecolor: no xterm-direct/tmux-direct terminfo (install ncurses-term)"
else
    PANE_ENV=COLORTERM=truecolor start xterm-256color -fda "$tmp/text.img" -boot a
    if wait_screen "PEMU-TEXT" 30; then
        e=$(screen_e)
        # 0x1e: bright yellow ffff55 on blue 0000aa; 0x24: red aa0000 on green 00aa00
        if ! printf '%s\n' "$e" | grep "PEMU-TEXT" | grep -q '38;2;255;255;85' ||
           ! printf '%s\n' "$e" | grep "PEMU-TEXT" | grep -q '48;2;0;0;170' ||
           ! printf '%s\n' "$e" | grep "RED-ON-GREEN" | grep -q '38;2;170;0;0' ||
           ! printf '%s\n' "$e" | grep "RED-ON-GREEN" | grep -q '48;2;0;170;0'; then
            echo "FAIL ui/curses_truecolor_text: $(printf '%s\n' "$e" | grep 'PEMU-TEXT\|RED-ON' | cat -v | cut -c1-160 | tr '\n' '|')"
        else
            echo "PASS ui/curses_truecolor_text"
        fi
    else
        echo "FAIL ui/curses_truecolor_text: guest screen not shown: $(last) $(head -c 300 "$tmp/err")"
    fi
    PANE_ENV=COLORTERM=truecolor start xterm-256color -fda "$tmp/m13.img" -boot a
    if wait_file "$tmp/dbg" READY 30 && wait_screen "graphics 320x200" 10; then
        i=0
        while :; do
            e=$(screen_e)
            ok=1
            for c in '38;2;170;0;0' '38;2;0;170;0' '38;2;0;0;170' '38;2;255;255;255'; do
                printf '%s\n' "$e" | grep -q "$c" || ok=0
            done
            [ $ok = 1 ] && break
            [ $i -ge $((100 * slow)) ] && break
            sleep 0.1
            i=$((i + 1))
        done
        if [ $ok = 1 ]; then
            echo "PASS ui/curses_truecolor_graphics"
        else
            echo "FAIL ui/curses_truecolor_graphics: bar colours missing: $(printf '%s\n' "$e" | head -n 3 | cut -c1-80 | cat -v | tr '\n' '|')"
        fi
    else
        echo "FAIL ui/curses_truecolor_graphics: no graphics screen: $(last) $(head -c 300 "$tmp/err")"
    fi
fi

# --- TERM=vt100: no colours (reverse video for a lit background), and in
# the C locale line drawing through the terminal's alternate character set
PANE_LANG=C start vt100 -fda "$tmp/text.img" -boot a
if wait_screen "PEMU-TEXT" 30; then
    e=$(screen_e)
    so=$(printf '\016')
    # tmux keeps alternate-charset cells as the VT100 letters ("lqk" = ┌─┐),
    # shifted in with SO in the -e capture
    if ! printf '%s\n' "$e" | grep -q "${so}lqqqqqqqqqqqk"; then
        echo "FAIL ui/curses_vt100: no line drawing: $(screen | grep -v '^ *$' | head -n 4 | tr '\n' '|')"
    elif ! printf '%s\n' "$e" | grep "RED-ON-GREEN" | grep -q '\[7m'; then
        echo "FAIL ui/curses_vt100: no reverse video for a coloured background: $(printf '%s\n' "$e" | grep RED | cat -v)"
    elif printf '%s\n' "$e" | grep -q '\[3[0-7]m'; then
        echo "FAIL ui/curses_vt100: colours sent to a vt100"
    else
        echo "PASS ui/curses_vt100"
    fi
else
    echo "FAIL ui/curses_vt100: guest screen not shown: $(last) $(head -c 300 "$tmp/err")"
fi
$T kill-server >/dev/null 2>&1
exit 0
