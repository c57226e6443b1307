#!/usr/bin/env python3
"""savevm/loadvm/delvm through the monitor on a Unix socket, and -loadvm.
The guest (savevm_guest.asm) prints "step N" per step and a "result" line;
see savevm.sh. Usage: savevm.py PEMU PEMU_IMG GUEST TMPDIR SLOW"""
import os, shutil, socket, subprocess, sys, time

pemu, pemu_img, guest, tmp, slow = sys.argv[1:6]
slow = int(slow)
qemu_img = shutil.which("qemu-img")


def report(name, ok, why=""):
    print(("PASS savevm/%s" % name) if ok else ("FAIL savevm/%s: %s" % (name, why)))


class VM:
    def __init__(self, tag, disk, extra=(), env=None, fmt="qcow2"):
        self.dbg = os.path.join(tmp, tag + ".dbg")
        self.sock = os.path.join(tmp, tag + ".sock")
        for f in (self.dbg, self.sock):
            if os.path.exists(f):
                os.unlink(f)
        args = [pemu, "-kernel", guest, "-display", "none", "-m", "32", "-serial", "none",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-debugcon", "file:" + self.dbg,
                "-drive", "file=%s,format=%s,if=ide" % (disk, fmt),
                "-monitor", "unix:%s,server=on,wait=off" % self.sock] + list(extra)
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=e)
        self.mon = None

    def lines(self):
        """The complete lines so far (the guest may be writing the last one)."""
        try:
            with open(self.dbg) as f:
                return f.read().split("\n")[:-1]
        except OSError:
            return []

    def steps(self):
        return [int(l.split()[1], 16) for l in self.lines() if l.startswith("step ")]

    def wait_step(self, n, timeout=30):
        end = time.time() + timeout * slow
        while time.time() < end and self.p.poll() is None:
            s = self.steps()
            if s and s[-1] >= n:
                return True
            time.sleep(0.02)
        return False

    def cmd(self, text, timeout=30):
        """One monitor command; returns what it printed."""
        if not self.mon:
            end = time.time() + 10 * slow
            while True:
                try:
                    self.mon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.mon.connect(self.sock)
                    break
                except OSError:
                    if time.time() > end:
                        raise
                    time.sleep(0.05)
            self.read_prompt(timeout)
        self.mon.sendall((text + "\n").encode())
        return self.read_prompt(timeout)

    def read_prompt(self, timeout):
        buf = b""
        end = time.time() + timeout * slow
        self.mon.settimeout(0.2)
        while not buf.endswith(b"(pemu) ") and time.time() < end:
            try:
                d = self.mon.recv(4096)
                if not d:
                    break
                buf += d
            except socket.timeout:
                pass
        return buf.decode(errors="replace").replace("\r", "")

    def finish(self, timeout=60):
        try:
            out, _ = self.p.communicate(timeout=timeout * slow)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        if self.mon:
            self.mon.close()
        return self.p.returncode, out.decode(errors="replace")


def result(lines):
    r = [l for l in lines if l.startswith("result ")]
    return r[-1] if r else None


def img(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


disk = os.path.join(tmp, "disk.qcow2")
r = img(pemu_img, "create", "-f", "qcow2", disk, "16M")
if r.returncode:
    report("setup", False, "pemu-img create: " + r.stdout)
    sys.exit(0)

# the reference: a run never interrupted
ref = VM("ref", disk)
rc, out = ref.finish()
want = result(ref.lines())
report("reference", rc == 1 and want is not None, "exit %d, no result line: %s" % (rc, out[-300:]))
if want is None:
    sys.exit(0)

# savevm mid-way, then quit
a = VM("save", disk)
ok = a.wait_step(0x20)
reply = a.cmd("savevm s1") if ok else "(the guest did not reach step 0x20)"
saved_at = a.steps()[-1] if a.steps() else -1
info = a.cmd("info snapshots") if ok else ""
a.mon.sendall(b"quit\n") if a.mon else None
rc, out = a.finish()
report("savevm", ok and "Error" not in reply and rc == 0 and " s1 " in info and result(a.lines()) is None,
       "reply %r, exit %d, info %r, lines %r" % (reply, rc, info, a.lines()[-2:]))

# qemu-img sees the snapshot, with VM state, and a clean image
if qemu_img:
    l = img(qemu_img, "snapshot", "-l", disk).stdout
    c = img(qemu_img, "check", disk)
    row = [x for x in l.splitlines() if " s1 " in x]
    report("qemu_img", bool(row) and " 0 B " not in row[0] and c.returncode == 0
           and "No errors" in c.stdout, "snapshot -l %r, check %r" % (l, c.stdout))
else:
    print("SKIP savevm/qemu_img: qemu-img is not installed (qemu-utils)")


def resumed(vm, name):
    s = vm.steps()
    first = s[0] if s else None
    good = first == saved_at + 1 and s == list(range(first, first + len(s))) and \
        result(vm.lines()) == want
    report(name, good, "first step %r (saved after step %r), %d steps, result %r, want %r" %
           (first, saved_at, len(s), result(vm.lines()), want))


# -loadvm: continue where the snapshot was taken, to the same result
b = VM("loadvm", disk, ["-loadvm", "s1"])
rc, out = b.finish()
resumed(b, "loadvm_cmdline")

# the same snapshot under the other interpreter skin
c = VM("switch", disk, ["-loadvm", "s1"], env={"PEMU_DISPATCH": "switch"})
rc, out = c.finish()
resumed(c, "loadvm_switch_interpreter")

# loadvm at run time, after the guest went past the saved point
d = VM("runtime", disk)
ok = d.wait_step(saved_at + 0x30)
reply = d.cmd("loadvm s1") if ok else "(not reached)"
before = d.steps()
rc, out = d.finish()
after = d.steps()[len(before):]
good = ok and "Error" not in reply and after and after[0] == saved_at + 1 and \
    after == list(range(after[0], after[0] + len(after))) and result(d.lines()) == want
report("loadvm_monitor", good, "reply %r, steps after loadvm %r..., result %r" %
       (reply, after[:3], result(d.lines())))

# another machine shape is refused, and nothing is touched
for tag, extra, what in (("ram", ["-m", "64"], "MiB of RAM"), ("smp", ["-smp", "2"], "CPUs")):
    e = VM("refuse_" + tag, disk, ["-loadvm", "s1"] + extra)
    rc, out = e.finish()
    report("refuse_" + tag, rc != 0 and what in out and not e.steps(),
           "exit %d, output %r" % (rc, out[-300:]))

# delvm, and the listing is empty
f = VM("delvm", disk, ["-S"])
reply = f.cmd("delvm s1")
info = f.cmd("info snapshots")
f.mon.sendall(b"quit\n")
rc, out = f.finish()
l = img(qemu_img, "snapshot", "-l", disk).stdout if qemu_img else ""
report("delvm", "Error" not in reply and "There is no snapshot available." in info and " s1 " not in l,
       "reply %r, info %r, qemu-img %r" % (reply, info, l))

# a writable raw disk cannot hold snapshots: savevm says so
raw = os.path.join(tmp, "disk.raw")
img(pemu_img, "create", "-f", "raw", raw, "1M")
g = VM("raw", raw, ["-S"], fmt="raw")
reply = g.cmd("savevm s2")
g.mon.sendall(b"quit\n")
g.finish()
report("raw_refused", "does not support snapshots" in reply, "reply %r" % reply)

# QMP's disk-only internal snapshots of one drive
qsock = os.path.join(tmp, "qmp.sock")
q = subprocess.Popen([pemu, "-kernel", guest, "-display", "none", "-m", "32", "-S",
                      "-drive", "file=%s,format=qcow2,if=ide" % disk,
                      "-qmp", "unix:%s,server=on,wait=off" % qsock],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
import json
replies = []
try:
    end = time.time() + 10 * slow
    s = None
    while time.time() < end and q.poll() is None:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(qsock)
            break
        except OSError:
            s = None
            time.sleep(0.05)
    if s is None:
        out = q.communicate(timeout=10)[0].decode(errors="replace")
        if "jansson" in out:
            print("SKIP savevm/qmp_internal_snapshot: pemu is built without jansson")
        else:
            report("qmp_internal_snapshot", False, "no QMP socket: " + out[-200:])
    else:
        f = s.makefile("rw")
        f.readline()                                    # the greeting

        def qmp(cmd, **args):
            f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
            f.flush()
            while True:
                m = json.loads(f.readline())
                if "event" not in m:
                    return m
        qmp("qmp_capabilities")
        r1 = qmp("blockdev-snapshot-internal-sync", device="ide0-hd0", name="q1")
        r2 = qmp("blockdev-snapshot-internal-sync", device="ide0-hd0", name="q1")
        listed = img(qemu_img, "snapshot", "-l", "-U", disk).stdout if qemu_img else " q1 "
        r3 = qmp("blockdev-snapshot-delete-internal-sync", device="ide0-hd0", name="q1")
        r4 = qmp("blockdev-snapshot-delete-internal-sync", device="nosuch", name="q1")
        qmp("quit")
        ok = r1 == {"return": {}} and r2.get("error", {}).get("class") == "GenericError" and \
            " q1 " in listed and r3.get("return", {}).get("name") == "q1" and \
            r3["return"].get("vm-state-size") == 0 and \
            r4.get("error", {}).get("class") == "DeviceNotFound"
        report("qmp_internal_snapshot", ok, "replies %r %r %r %r, qemu-img %r" % (r1, r2, r3, r4, listed))
finally:
    if q.poll() is None:
        q.kill()
    q.communicate()
