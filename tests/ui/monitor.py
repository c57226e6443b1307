"""Monitor tests (see monitor.sh): argv = pemu, a scratch dir with text.img."""
import os, socket, subprocess, sys, time

pemu, tmp = sys.argv[1], sys.argv[2]
img = os.path.join(tmp, "text.img")
slow = 6 if os.environ.get("PEMU_PORT") else 1


def result(name, ok, why=""):
    print(("PASS ui/%s" % name) if ok else ("FAIL ui/%s: %s" % (name, why)), flush=True)


class Conn:
    """A monitor over a pipe pair or a socket: send lines, read to the prompt."""

    def __init__(self, rd, wr):
        self.rd, self.wr, self.buf = rd, wr, b""

    def until(self, marker, timeout=20):
        end = time.time() + timeout * slow
        while marker not in self.buf:
            if time.time() > end:
                raise TimeoutError("no %r in %r" % (marker, self.buf[-300:]))
            chunk = self.rd(4096)
            if not chunk:
                raise EOFError("closed: %r" % self.buf[-300:])
            self.buf += chunk
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode("latin-1").replace("\r\n", "\n")

    def cmd(self, line):
        self.wr((line + "\r").encode())
        out = self.until(b"(pemu) ")
        # the echo of the line, then its output, then the prompt
        first, _, rest = out.partition("\n")
        return rest[: -len("(pemu) ")]


def checks(c, tag):
    """The commands whose output does not depend on timing."""
    bad = []
    exp = {
        "info version": "0.1.0\n",
        "info status": "VM status: running\n",
        "foo": "unknown command: 'foo'\n",
        "info foo": "unknown info command: 'foo'\n",
        "x": "x: address expected\n",
        "x /z 0": "invalid char in format: 'z'\n",
        "x /4xb 0x7dfe": "0000000000007dfe: 0x55 0xaa 0x00 0x00\n",
        "xp /2xh 0x7dfe": "0000000000007dfe: 0xaa55 0x0000\n",
        "xp/1xw 0x7dfe": "0000000000007dfe: 0x0000aa55\n",
        "x /2dh 0x7dfe": "0000000000007dfe: -21931      0\n",
        "x /1ug 0x7dfe": "0000000000007dfe:                43605\n",
        "x /1ob 0x7dfe": "0000000000007dfe: 0125\n",
        "x /3c 0x7c00": "0000000000007c00: '\\xfa' '1' '\\xc0'\n",
        "xp /2i 0x7c00": "0x0000000000007c00:  cli\n0x0000000000007c01:  xor    ax,ax\n",
        "screendump": "screendump: filename expected\n",
        "sendkey": "sendkey: string expected\n",
        "stop": "",
        "info status ": "VM status: paused\n",
        "cont": "",
    }
    for line, want in exp.items():
        got = c.cmd(line.rstrip() if line != "info status " else "info status")
        if got != want:
            bad.append("%r gave %r, want %r" % (line, got, want))
    result("monitor_commands_" + tag, not bad, "; ".join(bad))


def ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]


def screendump_check(c):
    path = os.path.join(tmp, "s.ppm")
    got = c.cmd("screendump " + path)
    if got:
        return result("monitor_screendump", False, "screendump said %r" % got)
    w, h, px = ppm(path)
    if (w, h) != (720, 400):
        return result("monitor_screendump", False, "size %dx%d, want 720x400 (80x25, 9x16)" % (w, h))

    def pixel(x, y):
        o = (y * w + x) * 3
        return px[o : o + 3].hex()

    bad = []
    # row 10, col 0: 0xdb (full block) bright white: the whole 8 glyph
    # columns of every scan line lit (ffffff)
    for y in range(160, 176):
        for x in range(0, 8):
            if pixel(x, y) != "ffffff":
                bad.append("block (%d,%d)=%s" % (x, y, pixel(x, y)))
    # "RED-ON-GREEN" at row 6, col 2: the background of its cells is green
    # 00aa00 in the first scan line, the text red aa0000 somewhere in the R
    cell = [pixel(x, y) for y in range(96, 112) for x in range(18, 27)]
    if pixel(18, 96) != "00aa00" or "aa0000" not in cell:
        bad.append("R cell: %s" % sorted(set(cell)))
    # the box corner 0xc9 at row 2 col 2: yellow ffff55 on blue 0000aa; a
    # line-graphics glyph fills the 9th column like the 8th
    cell = [pixel(x, y) for y in range(32, 48) for x in range(18, 27)]
    if set(cell) != {"ffff55", "0000aa"}:
        bad.append("corner: %s" % sorted(set(cell)))
    if [pixel(26, y) for y in range(32, 48)] != [pixel(25, y) for y in range(32, 48)]:
        bad.append("corner column 9 differs from column 8")
    # black elsewhere (row 20)
    if pixel(100, 330) != "000000":
        bad.append("background %s" % pixel(100, 330))
    result("monitor_screendump", not bad, "; ".join(bad[:5]))


def run_stdio():
    p = subprocess.Popen([pemu, "-display", "none", "-monitor", "stdio", "-m", "32", "-fda",
                          img, "-boot", "a", "-debugcon", "file:" + os.path.join(tmp, "dbg")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = Conn(lambda n: os.read(p.stdout.fileno(), n), lambda b: (p.stdin.write(b), p.stdin.flush()))
    try:
        c.until(b"(pemu) ")
        end = time.time() + 30 * slow
        while time.time() < end:
            try:
                if "READY" in open(os.path.join(tmp, "dbg")).read():
                    break
            except OSError:
                pass
            time.sleep(0.1)
        checks(c, "stdio")
        screendump_check(c)
        # sendkey reaches the guest: ctrl-alt-delete as set 1 scan codes
        c.cmd("sendkey a")
        c.cmd("sendkey ctrl-alt-delete 10")
        end = time.time() + 5 * slow
        want = "1e 9e 1d 38 e0 53 e0 d3 b8 9d"
        while time.time() < end and want not in open(os.path.join(tmp, "dbg")).read():
            time.sleep(0.1)
        got = open(os.path.join(tmp, "dbg")).read()
        result("monitor_sendkey", want in got, "guest read %r, want %r" % (got, want))
        # history: Up recalls the last line, Ctrl-A/Ctrl-K edit it
        c.wr(b"info version\r")
        c.until(b"(pemu) ")
        c.wr(b"\x1b[A\r")
        out = c.until(b"\n(pemu) ")
        result("monitor_history", "0.1.0" in out, "Up + Enter gave %r" % out)
        c.wr(b"info statusXYZ\x1b[D\x1b[D\x1b[D\x0b\r")
        out = c.until(b"\n(pemu) ")
        result("monitor_line_editing", "VM status: running" in out, "gave %r" % out)
        c.wr(b"quit\r")
        p.wait(timeout=10 * slow)
        result("monitor_quit", p.returncode == 0, "exit status %s" % p.returncode)
    except Exception as e:  # noqa: BLE001 - any failure is a FAIL line
        result("monitor_stdio", False, str(e))
        p.kill()
        p.wait()


def run_unix():
    path = os.path.join(tmp, "mon.sock")
    p = subprocess.Popen([pemu, "-display", "none", "-monitor", "unix:%s,server,nowait" % path,
                          "-m", "32", "-fda", img, "-boot", "a"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.time() + 10 * slow
        while not os.path.exists(path) and time.time() < end:
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.settimeout(20 * slow)
        c = Conn(s.recv, s.sendall)
        c.until(b"(pemu) ")
        time.sleep(1)
        checks(c, "unix")
        c.wr(b"quit\r")
        p.wait(timeout=10 * slow)
        s.close()
    except Exception as e:  # noqa: BLE001
        result("monitor_commands_unix", False, str(e))
        p.kill()
        p.wait()


def run_block():
    """info block / info blockstats, eject and change of the CD-ROM."""
    import re
    disk, cd = os.path.join(tmp, "disk.raw"), os.path.join(tmp, "cd.iso")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    with open(cd, "wb") as f:
        f.write(open(img, "rb").read())     # any data: 720 sectors of 2 KiB
    p = subprocess.Popen([pemu, "-display", "none", "-monitor", "stdio", "-m", "32",
                          "-drive", "file=%s,format=raw,if=ide" % disk, "-cdrom", cd],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = Conn(lambda n: os.read(p.stdout.fileno(), n), lambda b: (p.stdin.write(b), p.stdin.flush()))
    bad = []

    def want(line, pattern):
        got = c.cmd(line)
        if not re.fullmatch(pattern, got, re.S):
            bad.append("%r gave %r" % (line, got))
    try:
        c.until(b"(pemu) ")
        hd = (r"ide0-hd0 \(#block\d{3}\): %s \(raw\)\n"
              r"    Attached to:      /machine/unattached/device\[\d+\]\n"
              r"    Cache mode:       writeback\n\n") % re.escape(disk)
        cd_in = (r"ide1-cd0 \(#block\d{3}\): %s \(raw, read-only\)\n"
                 r"    Attached to:      /machine/unattached/device\[\d+\]\n"
                 r"    Removable device: not locked, tray closed\n"
                 r"    Cache mode:       writeback\n") % re.escape(cd)
        cd_out = (r"ide1-cd0: \[not inserted\]\n"
                  r"    Attached to:      /machine/unattached/device\[\d+\]\n"
                  r"    Removable device: not locked, tray open\n")
        want("info block", hd + cd_in)
        want("eject ide1-cd0", "")
        want("info block", hd + cd_out)
        want("change ide1-cd0 %s raw" % cd, "")
        want("info block", hd + cd_in)
        want("eject ide0-hd0", "Error: Device 'ide0-hd0' is not removable\n")
        want("eject nosuch", "Error: Device 'nosuch' not found\n")
        want("change ide1-cd0 %s" % os.path.join(tmp, "missing.iso"), "Error: .*missing.iso.*\n")
        want("change", "change: device expected\n")
        # commit (the data path is tests/unit/test_block.c's): no backing here
        want("commit ide0-hd0", "Error: '%s' has no backing file to commit to\n" % re.escape(disk))
        want("commit nosuch", "Error: Device 'nosuch' not found\n")
        want("commit all", "")
        stat = (r"%s: rd_bytes=\d+ wr_bytes=\d+ rd_operations=\d+ wr_operations=\d+ "
                r"flush_operations=\d+ wr_total_time_ns=0 rd_total_time_ns=0 "
                r"flush_total_time_ns=0 rd_merged=0 wr_merged=0 idle_time_ns=0\n")
        want("info blockstats", stat % "ide0-hd0" + stat % "ide1-cd0")
        result("monitor_block", not bad, "; ".join(bad))
        bad = []
        # SeaBIOS has run: the PIT (ISA IRQ 0) has interrupted, through the
        # 8259 and, on IO APIC pin 2, not at all unless routed there
        want("info irq", r"IRQ statistics for isa-i8259:\n 0: [1-9]\d*\n.*"
                         r"IRQ statistics for ioapic:\n.*")
        want("info mice", r"\* Mouse #0: ps2-mouse\n")
        want("info jit", r"backend +interp\nTBs translated +[1-9]\d*\n.*cpu0: TB entries [1-9].*\n")
        result("monitor_irq_mice_jit", not bad, "; ".join(bad))
        c.wr(b"quit\r")
        p.wait(timeout=10 * slow)
    except Exception as e:  # noqa: BLE001 - any failure is a FAIL line
        result("monitor_block", False, str(e) + " " + "; ".join(bad))
        p.kill()
        p.wait()


run_stdio()
run_unix()
run_block()
