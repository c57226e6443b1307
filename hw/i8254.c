/*
 * Intel 8254 programmable interval timer (the PC's PIT at 0x40-0x43).
 *
 * Facts used (8254 datasheet):
 *   0x43 control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD
 *     SC = 3: read-back: 1 1 /COUNT /STATUS CNT2 CNT1 CNT0 0
 *     RW = 0: counter latch command; 1 LSB, 2 MSB, 3 LSB then MSB
 *     M: modes 0-5 (6 and 7 are 2 and 3)
 *   Status byte: OUT NULL-COUNT RW1 RW0 M2 M1 M0 BCD. Null count is set by a
 *   control word or a count write and cleared when the count reaches the CE.
 *   A latched status is read before a latched count; a second latch of
 *   either before it is read is ignored. 0x43 reads float (0xff).
 *   A count is loaded into the counting element on the CLK after it is
 *   written (mode 0: OUT high N+1 clocks after the write) and a count of 0
 *   means 65536 (binary) or 10000 (BCD).
 *   Mode 0 interrupt on terminal count: OUT low from the control word (and
 *     from a count's first byte, which also stops counting) until the count
 *     reaches 0; GATE low suspends counting; the counter wraps on.
 *   Mode 1 hardware one-shot: a GATE rising edge loads the count; OUT low
 *     until it reaches 0; retriggerable; a new count waits for a trigger.
 *   Mode 2 rate generator: OUT low for one clock when the count reaches 1,
 *     reload, period N; GATE low stops counting with OUT high, a rising edge
 *     reloads; a new count is loaded at the end of the current period.
 *   Mode 3 square wave: OUT high for ceil(N/2), low for floor(N/2); the CE
 *     counts by two (odd N: loads N-1); a new count is loaded at the end of
 *     the current half cycle; GATE as mode 2.
 *   Mode 4 software strobe: OUT low for one clock when the count reaches 0.
 *   Mode 5 hardware strobe: mode 4 started by a GATE rising edge.
 *
 * Model: the counters run on a global 1.193182 MHz clock derived from the
 * virtual clock (tick k at ceil(k * 1e9 / PIT_FREQ) ns). A channel stores the
 * tick at which its counting element held the count; value and OUT are
 * functions of the ticks since. Channel 0 keeps a timer on the next OUT
 * transition that matters to the edge-triggered IRQ 0 (mode 2 and 4/5
 * strobes are delivered as a low-high pulse at the end of the low clock).
 * A timer that runs late delivers one edge, not the missed ones.
 */
#include "hw/i8254.h"

#include <stdbool.h>
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

enum { ST_IDLE, ST_COUNTING, ST_PAUSED, ST_WAIT_TRIGGER };
enum { EV_FALL, EV_RISE };

typedef struct PITChannel {
    uint8_t mode;        /* M2-M0 as written (6, 7 act as 2, 3) */
    uint8_t access;      /* RW1-RW0: 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t bcd;
    uint8_t state;       /* ST_* */
    uint8_t gate;
    uint8_t write_msb;   /* RW=3: the next write is the MSB */
    uint8_t write_lsb;   /* RW=3: the LSB written */
    uint8_t read_msb;    /* RW=3: the next unlatched read is the MSB */
    uint8_t latched;     /* bytes of `latch` left to read (0..2) */
    uint8_t status_latched;
    uint8_t status;
    uint8_t held_out;    /* OUT before `start` (the CLK that loads the CE) */
    uint16_t latch;      /* output latch (BCD-encoded in BCD mode) */
    uint16_t held;       /* CE value when not counting, and before `start` */
    bool pending;        /* modes 2/3: `count` loads at pending_tick */
    uint32_t count;      /* the count register: 1..65536 (BCD 1..10000) */
    uint32_t cur;        /* the count the CE runs with */
    int64_t start;       /* tick at which the CE held `cur` (cycle phase 0) */
    int64_t paused_d;    /* ST_PAUSED: ticks counted before the pause */
    int64_t load_tick;   /* null count until this tick */
    int64_t pending_tick;
    int64_t pending_start;
} PITChannel;

typedef struct PITState {
    Device dev;
    Machine *m;
    PITChannel ch[3];
    Timer *timer;        /* channel 0's next OUT transition */
    uint8_t irq_event;   /* EV_* the timer is armed for */
    uint8_t irq_level;   /* as last driven on ISA IRQ 0 */
    MemoryRegion *io;
} PITState;

#define NEVER INT64_MAX

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Ticks of the PIT clock at or before virtual time ns. */
static int64_t pit_tick_of(int64_t ns)
{
    int64_t q = floor_div(ns, NS_PER_SEC), r = ns - q * NS_PER_SEC;
    return q * PIT_FREQ + r * PIT_FREQ / NS_PER_SEC;
}

/* The first virtual ns at which tick k has happened. */
static int64_t pit_ns_of(int64_t k)
{
    int64_t q = floor_div(k, PIT_FREQ), r = k - q * PIT_FREQ;
    return q * NS_PER_SEC + (r * NS_PER_SEC + PIT_FREQ - 1) / PIT_FREQ;
}

static int64_t pit_now(void)
{
    return pit_tick_of(clock_get_ns(PEMU_CLOCK_VIRTUAL));
}

static int pit_mode(const PITChannel *c)
{
    return c->mode > 5 ? c->mode - 4 : c->mode;
}

static uint32_t pit_modulus(const PITChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* CE value (binary) d ticks after phase 0. */
static uint32_t pit_value_d(const PITChannel *c, int64_t d)
{
    uint32_t n = c->cur, m = pit_modulus(c), v;
    switch (pit_mode(c)) {
    case 2:
        v = n - (uint32_t)(d % n);
        break;
    case 3: {
        uint32_t p = (uint32_t)(d % n), h = (n + 1) / 2;
        v = (n & ~1u) - 2 * (p < h ? p : p - h);
        break;
    }
    default:
        v = (uint32_t)(((int64_t)n - d % m + m) % m);
        break;
    }
    return v % m;
}

static int pit_out_d(const PITChannel *c, int64_t d)
{
    uint32_t n = c->cur;
    switch (pit_mode(c)) {
    case 0:
    case 1: return d >= n;
    case 2: return d % n != n - 1;
    case 3: return d % n < (n + 1) / 2;
    default: return d != n;
    }
}

/* A pending mode 2/3 count whose cycle end has come replaces the old one. */
static void pit_catch_up(PITChannel *c, int64_t t)
{
    if (c->pending && c->state == ST_COUNTING && t >= c->pending_tick) {
        c->pending = false;
        c->cur = c->count;
        c->start = c->pending_start;
    }
}

static uint32_t pit_value(const PITChannel *c, int64_t t)
{
    switch (c->state) {
    case ST_COUNTING:
        return t < c->start ? c->held : pit_value_d(c, t - c->start);
    case ST_PAUSED:
        return pit_value_d(c, c->paused_d);
    default:
        return c->held;
    }
}

static int pit_out(const PITChannel *c, int64_t t)
{
    int mode = pit_mode(c);
    switch (c->state) {
    case ST_COUNTING:
        return t < c->start ? c->held_out : pit_out_d(c, t - c->start);
    case ST_PAUSED:
        return mode == 2 || mode == 3 ? 1 : pit_out_d(c, c->paused_d);
    case ST_WAIT_TRIGGER:
        return 1;
    default:
        return mode != 0;
    }
}

/* Freeze what the CE shows now, before a change that starts at a later tick. */
static void pit_snapshot(PITChannel *c, int64_t t)
{
    c->held = (uint16_t)pit_value(c, t);
    c->held_out = (uint8_t)pit_out(c, t);
}

/* Channel 0's next OUT transition after tick t: *ev and the tick, or NEVER. */
static int64_t pit_next_event(const PITChannel *c, int64_t t, uint8_t *ev)
{
    if (c->state != ST_COUNTING)
        return NEVER;
    int64_t d = t - c->start, n = c->cur;
    if (d < 0) {
        int o = pit_out_d(c, 0);
        if (o != c->held_out) {
            *ev = o ? EV_RISE : EV_FALL;
            return c->start;
        }
        d = 0;
    }
    int64_t base = c->start + d - d % n;
    *ev = EV_RISE;
    switch (pit_mode(c)) {
    case 0:
    case 1:
        return d < n ? c->start + n : NEVER;
    case 2:
        return base + n;
    case 3: {
        int64_t h = (n + 1) / 2;
        if (h == n)
            return NEVER; /* N = 1: always high */
        if (d % n < h) {
            *ev = EV_FALL;
            return base + h;
        }
        return base + n;
    }
    default:
        return d <= n ? c->start + n + 1 : NEVER;
    }
}

static void pit_set_irq(PITState *s, int level)
{
    if (level != s->irq_level) {
        s->irq_level = (uint8_t)level;
        irq_set(s->m ? s->m->isa_irq[0] : NULL, level);
    }
}

/* Channel 0 changed (or its timer ran): drive IRQ 0, re-arm. */
static void pit_irq_update(PITState *s, int64_t t)
{
    PITChannel *c = &s->ch[0];
    uint8_t ev = EV_RISE;
    pit_set_irq(s, pit_out(c, t));
    int64_t next = pit_next_event(c, t, &ev);
    if (next == NEVER) {
        timer_del(s->timer);
        return;
    }
    s->irq_event = ev;
    timer_mod(s->timer, pit_ns_of(next));
}

static void pit_timer_cb(void *opaque)
{
    PITState *s = opaque;
    int64_t t = pit_now();
    pit_catch_up(&s->ch[0], t);
    if (s->irq_event == EV_RISE) {
        pit_set_irq(s, 0);
        pit_set_irq(s, 1);
    } else {
        pit_set_irq(s, 0);
    }
    pit_irq_update(s, t);
}

static void pit_changed(PITState *s, PITChannel *c, int64_t t)
{
    if (c == &s->ch[0])
        pit_irq_update(s, t);
}

static uint32_t pit_decode_count(const PITChannel *c, uint16_t raw)
{
    uint32_t n = raw;
    if (c->bcd)
        n = (uint32_t)((raw >> 12) * 1000 + ((raw >> 8) & 15) * 100 + ((raw >> 4) & 15) * 10 +
                       (raw & 15));
    n %= pit_modulus(c);
    return n ? n : pit_modulus(c);
}

static uint16_t pit_encode(const PITChannel *c, uint32_t v)
{
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static void pit_load_count(PITChannel *c, uint16_t raw, int64_t t)
{
    uint32_t n = pit_decode_count(c, raw);
    pit_catch_up(c, t);
    c->count = n;
    switch (pit_mode(c)) {
    case 0:
    case 4:
        pit_snapshot(c, t);
        if (pit_mode(c) == 0)
            c->held_out = 0;
        c->cur = n;
        c->start = c->load_tick = t + 1;
        c->paused_d = 0;
        c->state = c->gate ? ST_COUNTING : ST_PAUSED;
        break;
    case 1:
    case 5:
        if (c->state == ST_IDLE)
            c->state = ST_WAIT_TRIGGER;
        c->load_tick = NEVER; /* loaded by the next trigger */
        break;
    default: /* 2, 3 */
        if (c->state == ST_COUNTING && t >= c->start) {
            int64_t d = t - c->start, p = d % c->cur, h = (c->cur + 1) / 2;
            c->pending = true;
            if (pit_mode(c) == 2) {
                c->pending_tick = c->pending_start = c->start + d - p + c->cur;
            } else if (p < h) { /* ends the high half: continue low */
                c->pending_tick = c->start + d - p + h;
                c->pending_start = c->pending_tick - (n + 1) / 2;
            } else {
                c->pending_tick = c->pending_start = c->start + d - p + c->cur;
            }
            c->load_tick = c->pending_tick;
        } else if (c->state == ST_COUNTING) { /* CE not loaded yet */
            c->cur = n;
        } else if (c->state == ST_PAUSED) {
            c->load_tick = NEVER; /* the next GATE rising edge loads it */
        } else {
            pit_snapshot(c, t);
            c->cur = n;
            c->start = c->load_tick = t + 1;
            c->paused_d = 0;
            c->state = c->gate ? ST_COUNTING : ST_PAUSED;
        }
        break;
    }
}

static void pit_gate(PITChannel *c, int level, int64_t t)
{
    level = !!level;
    if (level == c->gate)
        return;
    pit_catch_up(c, t);
    c->gate = (uint8_t)level;
    switch (pit_mode(c)) {
    case 0:
    case 4:
        if (!level && c->state == ST_COUNTING) {
            c->paused_d = t >= c->start ? t - c->start : 0;
            c->state = ST_PAUSED;
        } else if (level && c->state == ST_PAUSED) {
            c->start = t - c->paused_d;
            c->state = ST_COUNTING;
        }
        break;
    case 1:
    case 5:
        if (level && c->state != ST_IDLE) {
            pit_snapshot(c, t);
            c->cur = c->count;
            c->start = c->load_tick = t + 1;
            c->state = ST_COUNTING;
        }
        break;
    default:
        if (!level && c->state == ST_COUNTING) {
            c->paused_d = t >= c->start ? t - c->start : 0;
            c->pending = false;
            c->state = ST_PAUSED;
        } else if (level && c->state == ST_PAUSED) {
            pit_snapshot(c, t);
            c->cur = c->count;
            c->start = t + 1;
            if (c->load_tick > t + 1)
                c->load_tick = t + 1;
            c->state = ST_COUNTING;
        }
        break;
    }
}

static void pit_latch_count(PITChannel *c, int64_t t)
{
    if (c->latched)
        return;
    c->latch = pit_encode(c, pit_value(c, t));
    c->latched = c->access == 3 ? 2 : 1;
}

static void pit_latch_status(PITChannel *c, int64_t t)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(pit_out(c, t) << 7 | (t < c->load_tick) << 6 | c->access << 4 |
                          c->mode << 1 | c->bcd);
    c->status_latched = 1;
}

static void pit_control(PITState *s, uint8_t val, int64_t t)
{
    int sc = val >> 6, rw = (val >> 4) & 3;
    if (sc == 3) { /* read-back */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2 << i)))
                continue;
            pit_catch_up(&s->ch[i], t);
            if (!(val & 0x20))
                pit_latch_count(&s->ch[i], t);
            if (!(val & 0x10))
                pit_latch_status(&s->ch[i], t);
        }
        return;
    }
    PITChannel *c = &s->ch[sc];
    pit_catch_up(c, t);
    if (rw == 0) {
        pit_latch_count(c, t);
        return;
    }
    pit_snapshot(c, t);
    c->mode = (val >> 1) & 7;
    c->access = (uint8_t)rw;
    c->bcd = val & 1;
    c->state = ST_IDLE;
    c->pending = false;
    c->write_msb = c->read_msb = 0;
    c->latched = c->status_latched = 0;
    c->load_tick = NEVER;
    pit_changed(s, c, t);
}

static void pit_write_count(PITState *s, PITChannel *c, uint8_t val, int64_t t)
{
    switch (c->access) {
    case 1:
        pit_load_count(c, val, t);
        break;
    case 2:
        pit_load_count(c, (uint16_t)(val << 8), t);
        break;
    default:
        if (!c->write_msb) {
            c->write_lsb = val;
            c->write_msb = 1;
            if (pit_mode(c) == 0) { /* the first byte stops counting, OUT low */
                pit_catch_up(c, t);
                pit_snapshot(c, t);
                c->state = ST_IDLE;
                c->pending = false;
            }
        } else {
            c->write_msb = 0;
            pit_load_count(c, (uint16_t)(c->write_lsb | val << 8), t);
        }
        break;
    }
    pit_changed(s, c, t);
}

static uint8_t pit_read_count(PITChannel *c, int64_t t)
{
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latched) {
        bool msb = c->access == 2 || (c->access == 3 && c->latched == 1);
        c->latched--;
        return (uint8_t)(msb ? c->latch >> 8 : c->latch);
    }
    pit_catch_up(c, t);
    uint16_t v = pit_encode(c, pit_value(c, t));
    bool msb = c->access == 2 || (c->access == 3 && c->read_msb);
    if (c->access == 3)
        c->read_msb ^= 1;
    return (uint8_t)(msb ? v >> 8 : v);
}

static uint64_t pit_read(void *opaque, hwaddr off, unsigned size)
{
    PITState *s = opaque;
    (void)size;
    if (off == 3)
        return 0xff; /* the control register cannot be read */
    return pit_read_count(&s->ch[off], pit_now());
}

static void pit_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PITState *s = opaque;
    (void)size;
    if (off == 3)
        pit_control(s, (uint8_t)val, pit_now());
    else
        pit_write_count(s, &s->ch[off], (uint8_t)val, pit_now());
}

static const MemOps pit_ops = { pit_read, pit_write, { 1, 4 }, { 1, 1 } };

void i8254_set_gate(Device *dev, int channel, int level)
{
    PITState *s = (PITState *)dev;
    if (channel < 0 || channel > 2)
        return;
    int64_t t = pit_now();
    pit_gate(&s->ch[channel], level, t);
    pit_changed(s, &s->ch[channel], t);
}

int i8254_get_gate(Device *dev, int channel)
{
    PITState *s = (PITState *)dev;
    return channel >= 0 && channel <= 2 ? s->ch[channel].gate : 0;
}

int i8254_get_out(Device *dev, int channel)
{
    PITState *s = (PITState *)dev;
    if (channel < 0 || channel > 2)
        return 0;
    int64_t t = pit_now();
    pit_catch_up(&s->ch[channel], t);
    return pit_out(&s->ch[channel], t);
}

static int pit_realize(Device *dev, Machine *m, Error **errp)
{
    PITState *s = (PITState *)dev;
    (void)errp;
    s->m = m;
    s->timer = timer_new(PEMU_CLOCK_VIRTUAL, pit_timer_cb, s);
    s->io = ioport_register(m->io, 0x40, 4, &pit_ops, s, "pit");
    return 0;
}

static void pit_unrealize(Device *dev)
{
    PITState *s = (PITState *)dev;
    ioport_unregister(s->m->io, s->io);
    timer_free(s->timer);
    s->timer = NULL;
}

/* Power-on: every channel in mode 3 with count 65536, channels 0 and 1
 * running (gates tied high), channel 2 held by its gate (port 0x61 bit 0).
 * Firmware reprograms channel 0 (SeaBIOS: mode 2, 18.2 Hz). */
static void pit_reset(Device *dev)
{
    PITState *s = (PITState *)dev;
    int64_t t = pit_now();
    for (int i = 0; i < 3; i++) {
        PITChannel *c = &s->ch[i];
        *c = (PITChannel){ .mode = 3, .access = 3, .gate = i != 2, .count = 65536,
                           .cur = 65536, .start = t, .load_tick = t,
                           .state = i != 2 ? ST_COUNTING : ST_PAUSED, .held_out = 1 };
    }
    pit_irq_update(s, t);
}

static const VMStateDescription vmstate_pit_channel = {
    .name = "pit-channel", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(mode, PITChannel), VMSTATE_UINT8(access, PITChannel),
        VMSTATE_UINT8(bcd, PITChannel), VMSTATE_UINT8(state, PITChannel),
        VMSTATE_UINT8(gate, PITChannel), VMSTATE_UINT8(write_msb, PITChannel),
        VMSTATE_UINT8(write_lsb, PITChannel), VMSTATE_UINT8(read_msb, PITChannel),
        VMSTATE_UINT8(latched, PITChannel), VMSTATE_UINT8(status_latched, PITChannel),
        VMSTATE_UINT8(status, PITChannel), VMSTATE_UINT8(held_out, PITChannel),
        VMSTATE_UINT16(latch, PITChannel), VMSTATE_UINT16(held, PITChannel),
        VMSTATE_BOOL(pending, PITChannel), VMSTATE_UINT32(count, PITChannel),
        VMSTATE_UINT32(cur, PITChannel), VMSTATE_INT64(start, PITChannel),
        VMSTATE_INT64(paused_d, PITChannel), VMSTATE_INT64(load_tick, PITChannel),
        VMSTATE_INT64(pending_tick, PITChannel), VMSTATE_INT64(pending_start, PITChannel),
        VMSTATE_END
    },
};

static int pit_post_load(void *opaque, int version_id)
{
    PITState *s = opaque;
    (void)version_id;
    for (int i = 0; i < 3; i++) {
        PITChannel *c = &s->ch[i];
        uint32_t m = pit_modulus(c);
        /* Keep a corrupt stream from dividing by zero. */
        if (c->cur < 1 || c->cur > m)
            c->cur = m;
        if (c->count < 1 || c->count > m)
            c->count = m;
        c->mode &= 7;
        if (c->access < 1 || c->access > 3)
            c->access = 3;
        if (c->state > ST_WAIT_TRIGGER)
            c->state = ST_IDLE;
    }
    irq_set(s->m ? s->m->isa_irq[0] : NULL, s->irq_level);
    return 0;
}

static const VMStateDescription vmstate_pit = {
    .name = "i8254", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(ch, PITState, 3, vmstate_pit_channel),
        VMSTATE_TIMER(timer, PITState),
        VMSTATE_UINT8(irq_event, PITState),
        VMSTATE_UINT8(irq_level, PITState),
        VMSTATE_END
    },
    .post_load = pit_post_load,
};

const DeviceClass i8254_class = {
    .name = "isa-pit",
    .desc = "8254 programmable interval timer (0x40-0x43, IRQ 0)",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(PITState),
    .realize = pit_realize,
    .reset = pit_reset,
    .unrealize = pit_unrealize,
    .vmsd = &vmstate_pit,
};
