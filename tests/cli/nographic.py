#!/usr/bin/env python3
"""-nographic on a pseudo-terminal: the mux escape keys, the monitor, and the
terminal attributes restored on Ctrl-A x and on SIGTERM.
Usage: nographic.py PEMU KERNEL"""
import os, pty, select, signal, subprocess, sys, termios, time

pemu, kernel = sys.argv[1], sys.argv[2]
results = []

def report(name, ok, why=""):
    print(("PASS nographic/%s" % name) if ok else ("FAIL nographic/%s: %s" % (name, why)))
    results.append(ok)

class Run:
    def __init__(self, extra=()):
        self.master, slave = pty.openpty()
        self.slave_name = os.ttyname(slave)
        self.before = termios.tcgetattr(slave)
        self.proc = subprocess.Popen(
            [pemu, "-nographic", "-machine", "firmware=none", "-m", "16", "-kernel", kernel] + list(extra),
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        self.slave = slave
        self.buf = b""

    def read_until(self, text, timeout=10.0):
        end = time.time() + timeout
        while text.encode() not in self.buf:
            left = end - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return False
                if not data:
                    return False
                self.buf += data
        return True

    def send(self, b):
        os.write(self.master, b)

    def expect(self, name, send, want, timeout=6.0):
        self.buf = b""
        if send:
            self.send(send)
        ok = self.read_until(want, timeout)
        report(name, ok, "no %r in %r" % (want, self.buf[-300:]))
        return ok

    def raw_now(self):
        return termios.tcgetattr(self.slave) != self.before

    def wait(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # drain, so that the child never blocks on a full pty
        os.close(self.master)
        os.close(self.slave)

# 1: the escape keys and the monitor
r = Run()
time.sleep(0.5)
report("raw_mode", r.raw_now(), "the terminal attributes did not change")
r.expect("ctrl_a_h", b"\x01h", "C-a x    exit emulator")
r.expect("ctrl_a_c_prompt", b"\x01c", "(pemu) ")
r.expect("info_version", b"info version\r", "0.1.0")
r.expect("info_status", b"info status\r", "VM status: running")
r.expect("info_registers", b"info registers\r", "EIP=")
r.read_until("(pemu) ")
ok = b"EAX=12345678" in r.buf or r.read_until("EAX=12345678", 1)
report("info_registers_eax", ok, "the kernel's EAX=12345678 not shown: %r" % r.buf[-400:])
report("boot_count_1", b"EBX=00000001" in r.buf, "EBX=00000001 not shown")
r.expect("info_chardev", b"info chardev\r", "serial0: filename=stdio")
r.expect("unknown_command", b"xyzzy\r", "unknown command: 'xyzzy'")
r.expect("backspace", b"info verx\x7fsion\r", "0.1.0")
r.expect("ctrl_u", b"garbage\x15info version\r", "0.1.0")
r.expect("stop", b"stop\rinfo status\r", "VM status: paused")
r.expect("cont", b"cont\rinfo status\r", "VM status: running")
r.expect("system_reset", b"system_reset\r", "(pemu) ")
time.sleep(0.3)
r.expect("after_reset", b"info registers\r", "EBX=00000002")
r.expect("help", b"help\r", "system_reset")
r.expect("ctrl_a_x", b"\x01x", "pemu: terminated")
st = r.wait()
report("ctrl_a_x_status", st == 0, "exit status %s" % st)
report("ctrl_a_x_restored", not r.raw_now(), "terminal attributes not restored")
r.close()

# 2: the monitor's quit
r = Run()
time.sleep(0.3)
r.expect("quit_prompt", b"\x01c", "(pemu) ")
r.send(b"quit\r")
st = r.wait()
report("quit_status", st == 0, "exit status %s" % st)
report("quit_restored", not r.raw_now(), "terminal attributes not restored")
r.close()

# 3: SIGTERM
r = Run()
time.sleep(0.5)
report("sigterm_raw", r.raw_now(), "not in raw mode")
r.proc.send_signal(signal.SIGTERM)
st = r.wait()
report("sigterm_exits", st is not None, "did not exit")
report("sigterm_restored", not r.raw_now(), "terminal attributes not restored")
r.close()

# 3b: SIGINT (from kill: the terminal's Ctrl-C goes to the guest), and a
# crash of pemu itself (SIGSEGV, SIGABRT): the terminal is restored by the
# signal hooks before the process dies
for name, sig in (("sigint", signal.SIGINT), ("sigsegv", signal.SIGSEGV),
                  ("sigabrt", signal.SIGABRT)):
    r = Run()
    time.sleep(0.5)
    report(name + "_raw", r.raw_now(), "not in raw mode")
    r.proc.send_signal(sig)
    st = r.wait()
    report(name + "_exits", st is not None, "did not exit")
    if sig != signal.SIGINT:
        report(name + "_dies_by_signal", st == -sig, "exit status %s, want death by signal" % st)
    report(name + "_restored", not r.raw_now(), "terminal attributes not restored")
    r.close()

# 4: -S starts paused; cont runs the kernel
r = Run(["-S"])
time.sleep(0.3)
r.expect("S_prompt", b"\x01c", "(pemu) ")
r.expect("S_paused", b"info status\r", "VM status: paused")
r.expect("S_not_run", b"info registers\r", "EAX=2badb002")
r.expect("S_cont", b"cont\rinfo status\r", "VM status: running")
time.sleep(0.3)
r.expect("S_ran", b"info registers\r", "EBX=00000001")
r.send(b"q\r")
report("S_quit", r.wait() == 0, "exit status")
r.close()

# 5: -monitor tcp:...,server,nowait (no terminal involved)
import socket
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
p = subprocess.Popen([pemu, "-display", "none", "-machine", "firmware=none", "-m", "16",
                      "-kernel", kernel, "-serial", "none",
                      "-monitor", "tcp:127.0.0.1:%d,server,nowait" % port],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
got = b""
try:
    sock = None
    for _ in range(100):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            time.sleep(0.05)
    if sock:
        sock.sendall(b"info status\r\nquit\r\n")
        end = time.time() + 5
        while time.time() < end:
            data = sock.recv(4096)
            if not data:
                break
            got += data
        sock.close()
except OSError:
    pass
try:
    st = p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    st = None
report("monitor_tcp", b"(pemu) " in got and b"VM status: running" in got, "got %r" % got[-300:])
report("monitor_tcp_quit", st == 0, "exit status %s: %r" % (st, p.stderr.read()[-300:]))

sys.exit(0 if all(results) else 1)
