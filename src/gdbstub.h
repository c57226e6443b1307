/*
 * The GDB remote serial protocol server (gdb's "target remote"): -gdb DEV,
 * -s (= -gdb tcp::1234), the monitor's `gdbserver [DEV|none]`.
 *
 * One gdb at a time drives every vCPU (one thread per vCPU, thread id =
 * cpu_index + 1). All-stop: a connecting gdb stops the VM; the VM runs
 * again on c/s/vCont, on D (detach) and when the connection closes.
 * Breakpoints, watchpoints and single steps go through the accelerator's
 * debug hooks (src/accel/accel.h); memory through cpu_memory_rw_debug
 * (virtual addresses, the guest's page tables). What the registers are is
 * the target's business (GdbTargetOps, e.g. src/x86/gdb.c), so that this
 * file stays free of target headers.
 *
 * Packets: qSupported, qXfer:features:read, ?, g/G, p/P, m/M/X, c/s,
 * vCont (c, C, s, S, t), Z0-Z4/z0-z4, Ctrl-C (0x03), qfThreadInfo,
 * qsThreadInfo, qC, qThreadExtraInfo, Hg/Hc, T, qAttached, qRcmd (monitor
 * commands, output in O packets), QStartNoAckMode, D, k.
 */
#ifndef PEMU_GDBSTUB_H
#define PEMU_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/chardev.h"
#include "src/cpu.h"
#include "src/error.h"

/* Largest packet payload accepted (advertised as PacketSize). */
#define GDB_PACKET_MAX 0x4000

typedef struct GdbTargetOps {
    /* The register layout for a new connection (gdb reads the target
     * description once, when it connects): an id passed back below. */
    int (*select_layout)(CPUState *cpu);
    /* An XML annex of the layout ("target.xml"), or NULL. */
    const char *(*xml)(int layout, const char *annex);
    /* Register n in gdb's byte order (little-endian x86) into buf (at
     * least 16 bytes): its size, or 0 when the layout has no register n. */
    int (*read_reg)(CPUState *cpu, int layout, int n, uint8_t *buf);
    /* Write register n from buf: its size, or 0 if it cannot be written. */
    int (*write_reg)(CPUState *cpu, int layout, int n, const uint8_t *buf);
} GdbTargetOps;

typedef struct GdbServer GdbServer;

/* The target every server uses (main registers it before any server). */
void gdbstub_set_target(const GdbTargetOps *ops);
/* Register the monitor's `gdbserver` command. */
void gdbstub_monitor_init(void);

/*
 * Serve gdb on chr (claimed). Only one server: a new one replaces the old.
 * NULL + *errp on error.
 */
GdbServer *gdbstub_start(Chardev *chr, Error **errp);
/* A server on a spec as the monitor's gdbserver takes it ("tcp::1234",
 * "1234", "unix:/path", "none" = stop serving). */
int gdbstub_start_spec(const char *spec, Error **errp);
void gdbstub_stop(void);

/* ---- the protocol engine, without a chardev (unit tests) ---------------- */

/* A server writing its output through out(). */
GdbServer *gdbstub_new(void (*out)(void *opaque, const uint8_t *buf, size_t len), void *opaque);
void gdbstub_free(GdbServer *s);
/* Bytes from gdb. */
void gdbstub_input(GdbServer *s, const uint8_t *buf, size_t len);
/* The peer connected / went away (as the chardev events). */
void gdbstub_connected(GdbServer *s);
void gdbstub_disconnected(GdbServer *s);
/* A CPU stopped for the debugger (the accelerator's debug handler). */
void gdbstub_cpu_stopped(GdbServer *s, CPUState *cpu);

/* Protocol pieces: the mod-256 sum of the bytes; escaping of '$', '#', '}'
 * and '*' as '}' + (byte ^ 0x20) (out must hold 2 * len bytes; returns the
 * length written). */
uint8_t gdbstub_checksum(const uint8_t *buf, size_t len);
size_t gdbstub_escape(const uint8_t *in, size_t len, uint8_t *out);

#endif
