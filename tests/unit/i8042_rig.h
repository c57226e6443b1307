/*
 * An 8042 on a FakePC with the virtual clock on a fake counter, and the
 * port helpers a BIOS-style test drives it with.
 */
#ifndef PEMU_TEST_I8042_RIG_H
#define PEMU_TEST_I8042_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_pc.h"
#include "hw/i8042.h"
#include "src/ioport.h"
#include "src/timer.h"

static int64_t rig_ns;
static int64_t rig_now(void *opaque)
{
    (void)opaque;
    return rig_ns;
}

typedef struct Rig {
    FakePC *pc;
    Device *kbc;
} Rig;

static inline void rig_init(Rig *r)
{
    Error *err = NULL;
    rig_ns = 0;
    clock_set_icount_source(rig_now, NULL);
    r->pc = fake_pc_new();
    r->kbc = device_create(&r->pc->m, "i8042", NULL, &err);
    if (!r->kbc) {
        error_report_err(err);
        abort();
    }
    fake_pc_clear_lines(r->pc);
}

/* Advance the virtual clock to ns, running the timers that come due. */
static inline void rig_run_to(int64_t ns)
{
    for (;;) {
        int64_t e = timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL);
        if (e < 0 || e > ns)
            break;
        if (e > rig_ns)
            rig_ns = e;
        timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    }
    rig_ns = ns;
}

static inline uint8_t rig_in(Rig *r, uint16_t port)
{
    return (uint8_t)ioport_read(r->pc->m.io, port, 1);
}

static inline void rig_out(Rig *r, uint16_t port, uint8_t v)
{
    ioport_write(r->pc->m.io, port, v, 1);
}

static inline uint8_t rig_status(Rig *r) { return rig_in(r, 0x64); }
static inline void rig_cmd(Rig *r, uint8_t c) { rig_out(r, 0x64, c); }
static inline void rig_data(Rig *r, uint8_t v) { rig_out(r, 0x60, v); }

/* Read the output buffer as a polling BIOS does: -1 if OBF is clear. */
static inline int rig_read(Rig *r)
{
    if (!(rig_status(r) & I8042_STAT_OBF))
        return -1;
    return rig_in(r, 0x60);
}

/* Drain everything available into buf (at most max bytes); returns the
 * count. With aux non-NULL, aux[i] is the AUXB bit of each byte. */
static inline int rig_drain(Rig *r, uint8_t *buf, int max, uint8_t *aux)
{
    int n = 0;
    while (n < max) {
        uint8_t st = rig_status(r);
        if (!(st & I8042_STAT_OBF))
            break;
        if (aux)
            aux[n] = (st & I8042_STAT_AUXB) != 0;
        buf[n++] = rig_in(r, 0x60);
    }
    return n;
}

static inline void rig_set_ctr(Rig *r, uint8_t v)
{
    rig_cmd(r, 0x60);
    rig_data(r, v);
}

static inline int rig_get_ctr(Rig *r)
{
    rig_cmd(r, 0x20);
    return rig_read(r);
}

/* Compare got[0..n) with want[0..m); on a mismatch describe both in
 * bytes_msg. */
static char bytes_msg[600];
static inline int bytes_match(const uint8_t *got, int n, const uint8_t *want, int m)
{
    if (n == m && !memcmp(got, want, (size_t)n))
        return 1;
    int o = snprintf(bytes_msg, sizeof(bytes_msg), "got [");
    for (int i = 0; i < n && o < 280; i++)
        o += snprintf(bytes_msg + o, sizeof(bytes_msg) - (size_t)o, " %02x", got[i]);
    o += snprintf(bytes_msg + o, sizeof(bytes_msg) - (size_t)o, " ] want [");
    for (int i = 0; i < m && o < 580; i++)
        o += snprintf(bytes_msg + o, sizeof(bytes_msg) - (size_t)o, " %02x", want[i]);
    snprintf(bytes_msg + o, sizeof(bytes_msg) - (size_t)o, " ]");
    return 0;
}
#define CHECK_BYTES(got, n, ...)                                              \
    do {                                                                      \
        static const uint8_t want_[] = { __VA_ARGS__ };                       \
        if (!bytes_match((got), (n), want_, (int)sizeof(want_))) {            \
            unit_fail(__FILE__, __LINE__, "%s", bytes_msg);                   \
            return;                                                           \
        }                                                                     \
    } while (0)
/* Everything the controller has to give equals the list. */
#define EXPECT_BYTES(r, ...)                                                  \
    do {                                                                      \
        uint8_t got_[64];                                                     \
        int n_ = rig_drain((r), got_, 64, NULL);                              \
        CHECK_BYTES(got_, n_, __VA_ARGS__);                                   \
    } while (0)
/* Nothing to read. */
#define EXPECT_NONE(r) CHECK_EQ(rig_status(r) & I8042_STAT_OBF, 0)

#endif
