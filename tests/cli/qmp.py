#!/usr/bin/env python3
"""QMP driven through socat (a client pemu did not write): the greeting,
negotiation, query-* replies with QEMU's keys, stop/cont/system_reset/quit
with their events, a guest reset and a guest exit, malformed and oversized
input, a client that leaves mid-command, -qmp-pretty and -chardev/-mon, and
the same requests against qemu-system-i386 compared key by key.
Usage: qmp.py PEMU HALT_KERNEL RESET_KERNEL TMPDIR"""
import json, os, select, shutil, subprocess, sys, time

pemu, halt_k, reset_k, tmp = sys.argv[1:5]
results = []


def report(name, ok, why=""):
    print(("PASS qmp/%s" % name) if ok else ("FAIL qmp/%s: %s" % (name, why)))
    results.append(ok)


def check_eq(name, got, want):
    report(name, got == want, "got %r, expected %r" % (got, want))


class Client:
    """One connection: socat relays between our pipes and the socket."""

    def __init__(self, sock):
        self.p = subprocess.Popen(["socat", "-", "UNIX-CONNECT:" + sock], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = ""
        self.events = []
        self.raw = ""

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def msg(self, timeout=10.0):
        end = time.time() + timeout
        dec = json.JSONDecoder()
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    obj, n = dec.raw_decode(s)
                    self.buf = s[n:]
                    return obj
                except ValueError:
                    pass
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                return None
            self.raw += data.decode("utf-8", "replace")
            self.buf += data.decode("utf-8", "replace")

    def reply(self, timeout=10.0):
        """The next non-event message; events are kept in self.events."""
        while True:
            m = self.msg(timeout)
            if m is None or "event" not in m:
                return m
            self.events.append(m)

    def cmd(self, name, args=None, **extra):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(extra)
        self.send(json.dumps(req) + "\n")
        return self.reply()

    def event(self, name, timeout=10.0):
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("event") == name:
                    return self.events.pop(i)
            m = self.msg(max(0.0, end - time.time()))
            if m is None:
                return None
            if "event" in m:
                self.events.append(m)

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.kill()
        self.p.wait()


def start(argv, sock):
    if os.path.exists(sock):
        os.unlink(sock)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, "stderr.log"), "a"))
    end = time.time() + 10
    while not os.path.exists(sock) and time.time() < end and p.poll() is None:
        time.sleep(0.02)
    return p


def finish(p, timeout=10):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "killed after %ss" % timeout


def err(r):
    e = (r or {}).get("error") or {}
    return (e.get("class"), e.get("desc"))


disk = os.path.join(tmp, "disk.img")
cd = os.path.join(tmp, "cd.iso")
cd2 = os.path.join(tmp, "cd2.iso")
for path, size in ((disk, 1 << 20), (cd, 2048 * 16), (cd2, 2048 * 32)):
    with open(path, "wb") as f:
        f.truncate(size)
drives = ["-drive", "file=%s,format=raw,index=0,media=disk" % disk,
          "-drive", "file=%s,format=raw,index=2,media=cdrom" % cd]
base = [pemu, "-machine", "firmware=none", "-m", "16", "-display", "none", "-S"]

# The requests whose replies (or errors) are compared with QEMU's.
PROBES = [
    ("pre_negotiation", '{"execute": "query-status"}'),
    ("negotiate", '{"execute": "qmp_capabilities", "id": "n1"}'),
    ("negotiate_again", '{"execute": "qmp_capabilities"}'),
    ("unknown_command", '{"execute": "no-such-command", "id": 3}'),
    ("unexpected_arg", '{"execute": "query-status", "arguments": {"a": 1}}'),
    ("bad_arg_type", '{"execute": "screendump", "arguments": {"filename": 1}}'),
    ("missing_arg", '{"execute": "screendump"}'),
    ("not_an_object", '[1]'),
    ("scalar", '3'),
    ("unexpected_member", '{"foo": 1}'),
    ("execute_not_string", '{"execute": 1}'),
    ("arguments_not_object", '{"execute": "query-status", "arguments": []}'),
    ("lacks_execute", '{"arguments": {}}'),
    ("malformed", '{"execute" "x"}'),
    ("stray_closer", '}'),
    ("bad_keyword", '{"execute": tru}'),
    ("eject_missing", '{"execute": "eject", "arguments": {"device": "nope"}}'),
    ("eject_fixed", '{"execute": "eject", "arguments": {"device": "ide0-hd0"}}'),
    ("query-status", '{"execute": "query-status"}'),
    ("query-version", '{"execute": "query-version"}'),
    ("query-name", '{"execute": "query-name"}'),
    ("query-kvm", '{"execute": "query-kvm"}'),
    ("query-block", '{"execute": "query-block"}'),
    ("query-blockstats", '{"execute": "query-blockstats"}'),
    ("query-cpus-fast", '{"execute": "query-cpus-fast"}'),
    ("query-chardev", '{"execute": "query-chardev"}'),
]


def probe(sock):
    c = Client(sock)
    out = {"greeting": c.msg()}
    for name, text in PROBES:
        c.send(text + "\n")
        out[name] = c.reply()
    c.close()
    return out


# ---- run 1: the halting guest, the full request set --------------------------------
sock = os.path.join(tmp, "q1.sock")
p = start(base + ["-name", "qmptest", "-kernel", halt_k] + drives +
          ["-qmp", "unix:%s,server=on,wait=off" % sock], sock)
mine = probe(sock)
g = mine["greeting"] or {}
report("greeting", set(g) == {"QMP"} and set(g["QMP"]) == {"version", "capabilities"}
       and g["QMP"]["capabilities"] == [] and set(g["QMP"]["version"]["qemu"]) == {"major", "minor", "micro"},
       repr(g))
check_eq("pre_negotiation", err(mine["pre_negotiation"]),
         ("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"))
check_eq("negotiate", mine["negotiate"], {"return": {}, "id": "n1"})
check_eq("unknown_command", mine["unknown_command"],
         {"error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}, "id": 3})
check_eq("bad_arg_type", err(mine["bad_arg_type"]),
         ("GenericError", "Invalid parameter type for 'filename', expected: string"))
check_eq("malformed_class", err(mine["malformed"])[0], "GenericError")
report("malformed_desc", (err(mine["malformed"])[1] or "").startswith("JSON parse error, "), repr(mine["malformed"]))
check_eq("query_status", mine["query-status"], {"return": {"status": "prelaunch", "singlestep": False, "running": False}})
check_eq("query_name", mine["query-name"], {"return": {"name": "qmptest"}})
check_eq("query_kvm", mine["query-kvm"], {"return": {"enabled": False, "present": False}})
blk = {e["device"]: e for e in (mine["query-block"] or {}).get("return", [])}
report("query_block", set(blk) == {"ide0-hd0", "ide1-cd0"} and not blk["ide0-hd0"]["removable"]
       and blk["ide1-cd0"]["removable"] and blk["ide1-cd0"]["inserted"]["ro"]
       and blk["ide1-cd0"]["inserted"]["file"] == cd and blk["ide0-hd0"]["inserted"]["image"]["virtual-size"] == 1 << 20,
       repr(mine["query-block"])[:300])
st = {e["device"]: e for e in (mine["query-blockstats"] or {}).get("return", [])}
report("query_blockstats", set(st) == {"ide0-hd0", "ide1-cd0"}
       and all(k in st["ide0-hd0"]["stats"] for k in ("rd_bytes", "wr_bytes", "rd_operations", "flush_operations")),
       repr(mine["query-blockstats"])[:300])
cpus = (mine["query-cpus-fast"] or {}).get("return", [])
report("query_cpus_fast", len(cpus) == 1 and cpus[0]["cpu-index"] == 0 and cpus[0]["target"] == "x86_64", repr(cpus))

c = Client(sock)
c.msg()
c.cmd("qmp_capabilities")
names = {x["name"] for x in c.cmd("query-commands")["return"]}
want = {"qmp_capabilities", "query-version", "query-status", "query-commands", "query-name", "query-kvm",
        "query-chardev", "query-cpus-fast", "query-block", "query-blockstats", "stop", "cont", "system_reset",
        "system_powerdown", "quit", "screendump", "human-monitor-command", "eject", "blockdev-change-medium"}
report("query_commands", want <= names, "missing %r" % (want - names))
check_eq("hmp_info_status", c.cmd("human-monitor-command", {"command-line": "info status"}),
         {"return": "VM status: paused\r\n"})
# stop while never started: no event (QEMU's behaviour too)
check_eq("stop_prelaunch", c.cmd("stop"), {"return": {}})
check_eq("cont", c.cmd("cont"), {"return": {}})
report("resume_event", c.event("RESUME") is not None, repr(c.events))
check_eq("status_running", c.cmd("query-status")["return"]["status"], "running")
check_eq("stop", c.cmd("stop"), {"return": {}})
e = c.event("STOP")
report("stop_event", e is not None and set(e) == {"event", "timestamp"}
       and set(e["timestamp"]) == {"seconds", "microseconds"} and abs(e["timestamp"]["seconds"] - time.time()) < 60, repr(e))
check_eq("status_paused", c.cmd("query-status")["return"], {"status": "paused", "singlestep": False, "running": False})
c.cmd("cont")
c.event("RESUME")
check_eq("system_reset", c.cmd("system_reset"), {"return": {}})
check_eq("reset_event", (c.event("RESET") or {}).get("data"), {"guest": False, "reason": "host-qmp-system-reset"})
check_eq("system_powerdown", c.cmd("system_powerdown"), {"return": {}})
report("powerdown_event", c.event("POWERDOWN") is not None, "no POWERDOWN event")
# screendump: a PPM of the VGA console
shot = os.path.join(tmp, "shot.ppm")
check_eq("screendump", c.cmd("screendump", {"filename": shot}), {"return": {}})
try:
    head = open(shot, "rb").read(2)
except OSError as x:
    head = repr(x)
check_eq("screendump_ppm", head, b"P6")
# removable media
check_eq("eject_fixed", err(c.cmd("eject", {"device": "ide0-hd0"})), ("GenericError", "Device 'ide0-hd0' is not removable"))
check_eq("eject_missing", err(c.cmd("eject", {"device": "nope"})), ("DeviceNotFound", "Device 'nope' not found"))
check_eq("eject", c.cmd("eject", {"device": "ide1-cd0"}), {"return": {}})
b = {x["device"]: x for x in c.cmd("query-block")["return"]}["ide1-cd0"]
report("ejected", "inserted" not in b and b["tray_open"] is True, repr(b))
check_eq("change_medium", c.cmd("blockdev-change-medium", {"device": "ide1-cd0", "filename": cd2, "format": "raw"}),
         {"return": {}})
b = {x["device"]: x for x in c.cmd("query-block")["return"]}["ide1-cd0"]
report("changed", b.get("inserted", {}).get("file") == cd2 and b.get("inserted", {}).get("image", {}).get("virtual-size") == 2048 * 32, repr(b))
# several requests in one write, one request split over writes
c.send('{"execute": "query-kvm", "id": 1}{"execute": "query-name", "id": 2}{"execute": "query-')
time.sleep(0.2)
c.send('status", "id": 3}\n')
r1, r2, r3 = c.reply(), c.reply(), c.reply()
check_eq("framing", [r1.get("id"), r2.get("id"), r3.get("id"), r3["return"]["status"]], [1, 2, 3, "running"])
# an oversized request: one error, then the connection goes on
c.send('{"execute": "query-status", "arguments": {"x": "' + "a" * (1100 * 1024) + '"}}')
c.send('{"execute": "query-name"}')
check_eq("oversize", err(c.reply()), ("GenericError", "JSON token size limit exceeded"))
check_eq("after_oversize", c.reply(), {"return": {"name": "qmptest"}})
# too deep
c.send("[" * 1100 + "]" * 1100 + '{"execute": "query-kvm"}')
check_eq("nesting", err(c.reply()), ("GenericError", "JSON nesting depth limit exceeded"))
check_eq("after_nesting", c.reply(), {"return": {"enabled": False, "present": False}})
c.close()
# a client that leaves in the middle of a command
c = Client(sock)
c.msg()
c.send('{"execute": "qmp_capabilities"}{"execute": "qu')
time.sleep(0.2)
c.close()
time.sleep(0.2)
report("survives_disconnect", p.poll() is None, "pemu exited with %r" % p.poll())
c = Client(sock)
g = c.msg()
report("fresh_greeting", g is not None and "QMP" in g, repr(g))
check_eq("renegotiation_needed", err(c.cmd("query-status"))[0], "CommandNotFound")
c.cmd("qmp_capabilities")
r = c.cmd("quit")
check_eq("quit", r, {"return": {}})
check_eq("shutdown_event", (c.event("SHUTDOWN") or {}).get("data"), {"guest": False, "reason": "host-qmp-quit"})
check_eq("quit_exit", finish(p), 0)
c.close()

# ---- run 2: the guest resets itself, then exits ---------------------------------------
sock = os.path.join(tmp, "q2.sock")
p = start(base + ["-kernel", reset_k, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                  "-qmp", "unix:%s,server=on,wait=off" % sock], sock)
c = Client(sock)
c.msg()
c.cmd("qmp_capabilities")
c.cmd("cont")
check_eq("guest_reset", (c.event("RESET") or {}).get("data"), {"guest": True, "reason": "guest-reset"})
check_eq("guest_shutdown", (c.event("SHUTDOWN") or {}).get("data"), {"guest": True, "reason": "guest-shutdown"})
check_eq("guest_exit", finish(p), 1)
c.close()

# ---- run 3: -chardev + -mon pretty=on -------------------------------------------------
sock = os.path.join(tmp, "q3.sock")
p = start(base + ["-kernel", halt_k, "-chardev", "socket,id=qm,path=%s,server=on,wait=off" % sock,
                  "-mon", "chardev=qm,mode=control,pretty=on"], sock)
c = Client(sock)
g = c.msg()
report("pretty_greeting", g is not None and c.raw.startswith('{\r\n    "QMP": {\r\n        "version": {'), repr(c.raw[:80]))
c.cmd("qmp_capabilities")
r = c.cmd("query-chardev")
report("chardev_listed", any(x["label"] == "qm" and x["filename"].startswith("unix:") for x in r["return"]), repr(r))
c.cmd("quit")
check_eq("pretty_quit_exit", finish(p), 0)
c.close()

# ---- run 4: the same probes against QEMU ----------------------------------------------
qemu = shutil.which("qemu-system-i386")
if not qemu:
    print("SKIP qmp/qemu_crosscheck: qemu-system-i386 is not installed (run ports/deps.sh as root)")
else:
    sock = os.path.join(tmp, "qemu.sock")
    q = start([qemu, "-nodefaults", "-display", "none", "-S", "-name", "qmptest", "-m", "16"] + drives +
              ["-qmp", "unix:%s,server=on,wait=off" % sock], sock)
    theirs = probe(sock)
    q.kill()
    q.wait()

    def keys(x):
        return sorted(x) if isinstance(x, dict) else type(x).__name__

    report("qemu_ran", theirs["greeting"] is not None, "no greeting from QEMU")
    check_eq("qemu_greeting_keys", keys(mine["greeting"]["QMP"]), keys(theirs["greeting"]["QMP"]))
    check_eq("qemu_version_keys", [keys(mine["query-version"]["return"]), keys(mine["query-version"]["return"]["qemu"])],
             [keys(theirs["query-version"]["return"]), keys(theirs["query-version"]["return"]["qemu"])])
    for n in ("query-status", "query-name", "query-kvm"):
        check_eq("qemu_%s_keys" % n, keys(mine[n]["return"]), keys(theirs[n]["return"]))
    check_eq("qemu_query_status", mine["query-status"], theirs["query-status"])
    check_eq("qemu_query_name", mine["query-name"], theirs["query-name"])
    tb = {e["device"]: e for e in theirs["query-block"]["return"]}
    for dev in ("ide0-hd0", "ide1-cd0"):
        check_eq("qemu_query_block_keys_" + dev, keys(blk.get(dev)), keys(tb.get(dev)))
    check_eq("qemu_cpus_fast_keys", keys(mine["query-cpus-fast"]["return"][0]), keys(theirs["query-cpus-fast"]["return"][0]))
    check_eq("qemu_chardev_keys", keys(mine["query-chardev"]["return"][0]), keys(theirs["query-chardev"]["return"][0]))
    ts = {e["device"]: e for e in theirs["query-blockstats"]["return"]}
    check_eq("qemu_blockstats_stats_keys", keys(st["ide0-hd0"]["stats"]), keys(ts["ide0-hd0"]["stats"]))
    # errors: the same class and, where QEMU's text does not come from its own JSON parser, the same text
    for name, _ in PROBES:
        if name.startswith("query-"):
            continue
        a, b = mine[name], theirs[name]
        if name in ("malformed", "stray_closer", "bad_keyword"):
            a, b = err(a)[0], err(b)[0]
        check_eq("qemu_same_" + name, a, b)

sys.exit(0)
