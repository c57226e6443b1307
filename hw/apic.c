/*
 * The local APIC in xAPIC mode (SDM Vol. 3A chapter 10) and the APIC bus.
 *
 * Priorities (10.8.3): a vector's priority class is vector >> 4. The
 * processor priority PPR is TPR when TPR[7:4] >= ISRV[7:4] (ISRV: highest
 * vector in service), else ISRV & 0xf0. The highest IRR vector is
 * delivered when its class is above PPR's. The INTR output to the CPU is
 * that condition (APIC software-enabled), or an ExtINT request from the
 * 8259 on LINT0, whose vector the 8259 supplies at INTA.
 *
 * Reset state (10.4.7.1), plus one choice QEMU makes too: the BSP's LINT0
 * starts unmasked in ExtINT mode ("virtual wire"), so the 8259 reaches the
 * CPU before firmware programs the APIC, as the IMCR's PIC mode does on a
 * real board. Software disable (SVR bit 8 = 0, 10.4.7.2) masks every LVT
 * entry and keeps them masked.
 *
 * Timer (10.5.4): counts down at the bus clock (1 GHz here) divided by
 * 2^((DCR[3,1:0] + 1) & 7); one-shot, periodic, or TSC-deadline (the
 * IA32_TSC_DEADLINE MSR arms it; leaving or entering that mode disarms).
 * Counts are computed from the virtual clock, not ticked.
 */
#include "hw/apic.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "src/log.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define APIC_VERSION_VALUE 0x00050014u  /* 6 LVT entries, version 0x14 (as QEMU) */
#define TIMER_MODE(lvt) (((lvt) >> 17) & 3)
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };

struct APICBus {
    Machine *m;
    MemoryRegion *mmio;
    APICState *apic[APIC_MAX];
    void (*eoi)(void *opaque, uint8_t vector);
    void *eoi_opaque;
    APICState *(*current)(void *opaque); /* the accessing CPU's APIC */
    void *current_opaque;
};

struct APICState {
    Device dev;
    Machine *m;
    APICBus *bus;
    IRQLine *intr, *nmi;
    IRQLine **lint;
    int (*ext_intack)(void *opaque);
    void *ext_opaque;
    void (*startup)(void *opaque, int kind, uint8_t vector);
    void *startup_opaque;
    Timer *timer;
    bool bsp;
    bool intr_out;           /* the level last driven on intr */

    /* architectural state */
    uint64_t apicbase;
    uint8_t id, tpr;
    uint32_t ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t icr[2];
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t lvt[APIC_LVT_NB];
    uint32_t initial_count, dcr;
    int64_t load_time;       /* virtual ns when initial_count was written */
    int64_t next_time;       /* next one-shot/periodic expiry, -1 when none */
    uint64_t tsc_deadline;   /* the MSR's value (0: disarmed) */
    int64_t deadline_ns;
    uint8_t lint_level[2];
};

/* ---- 256-bit vector sets ---------------------------------------------------- */

static int highest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--) {
        uint32_t w = set[i];
        if (w) {
            int b = 31;
            while (!(w & (1u << b)))
                b--;
            return i * 32 + b;
        }
    }
    return -1;
}

static void set_bit(uint32_t *set, int v) { set[v >> 5] |= 1u << (v & 31); }
static void clear_bit(uint32_t *set, int v) { set[v >> 5] &= ~(1u << (v & 31)); }
static bool test_bit(const uint32_t *set, int v) { return (set[v >> 5] >> (v & 31)) & 1; }

/* ---- priorities and the INTR output ---------------------------------------- */

static uint8_t ppr(const APICState *s)
{
    int isrv = highest(s->isr);
    if (isrv < 0)
        isrv = 0;
    return (s->tpr >> 4) >= (isrv >> 4) ? s->tpr : (uint8_t)(isrv & 0xf0);
}

/* Arbitration priority (10.6.2.4, P6 family rule). */
static uint8_t apr(const APICState *s)
{
    int isrv = highest(s->isr), irrv = highest(s->irr);
    if (isrv < 0)
        isrv = 0;
    if (irrv < 0)
        irrv = 0;
    if ((s->tpr >> 4) >= (irrv >> 4) && (s->tpr >> 4) >= (isrv >> 4))
        return s->tpr;
    uint8_t a = s->tpr & 0xf0;
    if ((isrv & 0xf0) > a)
        a = (uint8_t)(isrv & 0xf0);
    if ((irrv & 0xf0) > a)
        a = (uint8_t)(irrv & 0xf0);
    return a;
}

static bool hw_enabled(const APICState *s) { return (s->apicbase & MSR_APICBASE_ENABLE) != 0; }
static bool sw_enabled(const APICState *s) { return hw_enabled(s) && (s->svr & APIC_SVR_ENABLE); }

/* The highest IRR vector if it may interrupt now, else -1. */
static int deliverable(const APICState *s)
{
    if (!sw_enabled(s))
        return -1;
    int v = highest(s->irr);
    if (v < 0 || (v >> 4) <= (ppr(s) >> 4))
        return -1;
    return v;
}

/* LINT0 asks for an ExtINT cycle: the 8259's INTR reaches the CPU. */
static bool extint_active(const APICState *s)
{
    if (!s->lint_level[0])
        return false;
    if (!hw_enabled(s))
        return true; /* a disabled APIC passes INTR through */
    uint32_t l = s->lvt[APIC_LVT_L0];
    return !(l & APIC_LVT_MASKED) && ((l >> 8) & 7) == APIC_DM_EXTINT;
}

bool apic_intr_pending(APICState *s)
{
    return extint_active(s) || deliverable(s) >= 0;
}

static void update(APICState *s)
{
    bool level = apic_intr_pending(s);
    if (level != s->intr_out) {
        s->intr_out = level;
        irq_set(s->intr, level);
    }
}

/* ---- accepting interrupts ------------------------------------------------------ */

static void local_deliver(APICState *s, int lvt);

static void error(APICState *s, uint32_t bit)
{
    s->esr_pending |= bit;
    /* An error LVT with an illegal vector would loop: report it only once. */
    if (!(bit == APIC_ESR_RECV_ILLEGAL && (s->lvt[APIC_LVT_ERR] & 0xff) < 16))
        local_deliver(s, APIC_LVT_ERR);
}

static void accept(APICState *s, uint8_t vector, bool level)
{
    if (vector < 16) {
        error(s, APIC_ESR_RECV_ILLEGAL);
        return;
    }
    set_bit(s->irr, vector);
    if (level)
        set_bit(s->tmr, vector);
    else
        clear_bit(s->tmr, vector);
    update(s);
}

static void apic_reset(Device *dev);

static void startup(APICState *s, int kind, uint8_t vector)
{
    if (kind == APIC_DM_INIT) {
        /* INIT resets the APIC except its ID and IA32_APIC_BASE (SDM 10.4.7.3). */
        uint64_t base = s->apicbase;
        apic_reset(&s->dev);
        s->apicbase = base;
    }
    if (s->startup)
        s->startup(s->startup_opaque, kind, vector);
    else if (log_enabled(LOG_UNIMP))
        log_printf("apic %u: %s IPI not connected\n", s->id, kind == APIC_DM_INIT ? "INIT" : "SIPI");
}

/* Deliver an interrupt message to this APIC. */
static void deliver_to(APICState *s, int mode, uint8_t vector, bool level)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        accept(s, vector, level);
        break;
    case APIC_DM_NMI:
        irq_pulse(s->nmi);
        break;
    case APIC_DM_INIT:
    case APIC_DM_SIPI:
        startup(s, mode, vector);
        break;
    default:
        if (log_enabled(LOG_UNIMP))
            log_printf("apic %u: delivery mode %d not implemented\n", s->id, mode);
        break;
    }
}

/* An LVT entry fires (timer, error, or an edge on a LINT input). */
static void local_deliver(APICState *s, int lvt)
{
    uint32_t l = s->lvt[lvt];
    if (l & APIC_LVT_MASKED)
        return;
    int mode = (lvt == APIC_LVT_T || lvt == APIC_LVT_ERR) ? APIC_DM_FIXED : (int)((l >> 8) & 7);
    if (mode == APIC_DM_EXTINT) {
        update(s);
        return;
    }
    bool level = (lvt == APIC_LVT_L0 || lvt == APIC_LVT_L1) && mode == APIC_DM_FIXED &&
                 (l & APIC_LVT_LEVEL);
    deliver_to(s, mode, (uint8_t)l, level);
}

static void lint_input(void *opaque, int n, int level)
{
    APICState *s = opaque;
    uint8_t old = s->lint_level[n];
    s->lint_level[n] = level != 0;
    if (!hw_enabled(s)) {
        /* No APIC: LINT0 is INTR, LINT1 is NMI. */
        if (n == 0)
            update(s);
        else if (level && !old)
            irq_pulse(s->nmi);
        return;
    }
    uint32_t l = s->lvt[n ? APIC_LVT_L1 : APIC_LVT_L0];
    if (((l >> 8) & 7) == APIC_DM_EXTINT) {
        update(s);
        return;
    }
    if (level && !old)
        local_deliver(s, n ? APIC_LVT_L1 : APIC_LVT_L0);
}

int apic_intack(void *opaque)
{
    APICState *s = opaque;
    int v = deliverable(s);
    /* The CPU consumed its request: lower INTR; update() raises it again
     * if more is pending. */
    if (s->intr_out) {
        s->intr_out = false;
        irq_set(s->intr, 0);
    }
    if (v >= 0) {
        clear_bit(s->irr, v);
        set_bit(s->isr, v);
    } else if (extint_active(s) && s->ext_intack) {
        v = s->ext_intack(s->ext_opaque);
    } else if (sw_enabled(s)) {
        v = s->svr & 0xff; /* nothing above PPR any more: the spurious vector */
    }
    update(s);
    return v;
}

static void eoi(APICState *s)
{
    int v = highest(s->isr);
    if (v < 0)
        return;
    clear_bit(s->isr, v);
    if (test_bit(s->tmr, v) && s->bus->eoi)
        s->bus->eoi(s->bus->eoi_opaque, (uint8_t)v);
    update(s);
}

/* ---- the APIC bus --------------------------------------------------------------- */

static bool match(const APICState *s, uint8_t dest, int dest_mode)
{
    if (!dest_mode)
        return dest == 0xff || dest == s->id;
    uint8_t ldr = (uint8_t)(s->ldr >> 24);
    if ((s->dfr >> 28) == 0xf) /* flat model: a bit per APIC */
        return (ldr & dest) != 0;
    /* cluster model: cluster in the high nibble, a bit per APIC in the low one */
    if (dest == 0xff)
        return true;
    return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf) != 0;
}

/* shorthand: 0 dest, 1 self, 2 all including self, 3 all excluding self */
static int bus_send(APICBus *bus, APICState *from, int shorthand, uint8_t dest, int dest_mode,
                    int mode, uint8_t vector, int level)
{
    APICState *t[APIC_MAX];
    int n = 0;
    for (int i = 0; i < APIC_MAX; i++) {
        APICState *s = bus->apic[i];
        if (!s)
            continue;
        bool hit = shorthand == 1 ? s == from : shorthand == 2 ? true
                   : shorthand == 3 ? s != from : match(s, dest, dest_mode);
        if (hit)
            t[n++] = s;
    }
    if (mode == APIC_DM_LOWEST && n > 1) {
        /* One of them: the lowest arbitration priority (ties: the first). */
        int best = 0;
        for (int i = 1; i < n; i++)
            if (apr(t[i]) < apr(t[best]))
                best = i;
        t[0] = t[best];
        n = 1;
    }
    for (int i = 0; i < n; i++)
        deliver_to(t[i], mode, vector, level != 0);
    return n;
}

int apic_bus_deliver(APICBus *bus, uint8_t dest, int dest_mode, int delivery_mode,
                     uint8_t vector, int level)
{
    return bus_send(bus, NULL, 0, dest, dest_mode, delivery_mode, vector, level);
}

APICState *apic_bus_get(APICBus *bus, int index)
{
    return index >= 0 && index < APIC_MAX ? bus->apic[index] : NULL;
}

void apic_bus_set_eoi_listener(APICBus *bus, void (*fn)(void *opaque, uint8_t vector),
                               void *opaque)
{
    bus->eoi = fn;
    bus->eoi_opaque = opaque;
}

static void send_ipi(APICState *s)
{
    uint32_t lo = s->icr[0];
    int mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
    uint8_t vector = (uint8_t)lo;
    /* INIT level de-assert (level 0, trigger level): only synchronizes
     * arbitration IDs on old processors. */
    if (mode == APIC_DM_INIT && !(lo & (1u << 14)) && (lo & (1u << 15)))
        return;
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        error(s, APIC_ESR_SEND_ILLEGAL);
        return;
    }
    bus_send(s->bus, s, shorthand, (uint8_t)(s->icr[1] >> 24), (lo >> 11) & 1, mode, vector,
             (lo >> 15) & 1);
}

/* ---- timer ------------------------------------------------------------------------- */

static int timer_shift(const APICState *s)
{
    unsigned v = (s->dcr & 3) | ((s->dcr >> 1) & 4);
    return (int)((v + 1) & 7);
}

static int64_t period_ns(const APICState *s)
{
    return ((int64_t)s->initial_count << timer_shift(s)) * APIC_BUS_NS;
}

static uint32_t current_count(const APICState *s)
{
    uint32_t mode = TIMER_MODE(s->lvt[APIC_LVT_T]);
    if (!s->initial_count || mode == TIMER_TSC_DEADLINE)
        return 0;
    int64_t now = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    uint64_t ticks = (uint64_t)(now - s->load_time) / APIC_BUS_NS >> timer_shift(s);
    if (mode == TIMER_PERIODIC)
        return s->initial_count - (uint32_t)(ticks % s->initial_count);
    return ticks >= s->initial_count ? 0 : s->initial_count - (uint32_t)ticks;
}

/* Re-arm the host timer from the state. */
static void timer_rearm(APICState *s)
{
    uint32_t mode = TIMER_MODE(s->lvt[APIC_LVT_T]);
    if (mode == TIMER_TSC_DEADLINE) {
        if (s->tsc_deadline)
            timer_mod(s->timer, s->deadline_ns);
        else
            timer_del(s->timer);
    } else if (s->next_time >= 0) {
        timer_mod(s->timer, s->next_time);
    } else {
        timer_del(s->timer);
    }
}

/* Count from `start` (a new initial count, or a changed divider). */
static void timer_start(APICState *s, int64_t start)
{
    s->load_time = start;
    s->next_time = s->initial_count && TIMER_MODE(s->lvt[APIC_LVT_T]) != TIMER_TSC_DEADLINE
                   ? start + period_ns(s) : -1;
    timer_rearm(s);
}

static void timer_cb(void *opaque)
{
    APICState *s = opaque;
    uint32_t mode = TIMER_MODE(s->lvt[APIC_LVT_T]);
    if (mode == TIMER_TSC_DEADLINE) {
        if (!s->tsc_deadline)
            return;
        s->tsc_deadline = 0; /* 10.5.4.1: the MSR reads 0 once it fired */
    } else if (s->next_time < 0) {
        return;
    } else if (mode == TIMER_PERIODIC) {
        int64_t p = period_ns(s), now = clock_get_ns(PEMU_CLOCK_VIRTUAL);
        s->next_time += p;
        if (s->next_time <= now) /* the host fell behind: skip to the next period */
            s->next_time = now + p - (now - s->load_time) % p;
    } else {
        s->next_time = -1;
    }
    timer_rearm(s);
    local_deliver(s, APIC_LVT_T);
}

/* ---- registers ------------------------------------------------------------------------ */

static void set_lvt(APICState *s, int n, uint32_t val)
{
    static const uint32_t writable[APIC_LVT_NB] = {
        [APIC_LVT_T] = 0x700ff | (1u << 18),   /* vector, mask, mode (with TSC deadline) */
        [APIC_LVT_TH] = 0x107ff,
        [APIC_LVT_PMC] = 0x107ff,
        [APIC_LVT_L0] = 0x1a7ff,                /* vector, mode, polarity, trigger, mask */
        [APIC_LVT_L1] = 0x1a7ff,
        [APIC_LVT_ERR] = 0x100ff,
    };
    uint32_t old = s->lvt[n];
    val &= writable[n];
    if (!(s->svr & APIC_SVR_ENABLE))
        val |= APIC_LVT_MASKED;
    s->lvt[n] = val | (old & APIC_LVT_REMOTE_IRR);
    if (n == APIC_LVT_T && TIMER_MODE(old) != TIMER_MODE(val) &&
        (TIMER_MODE(old) == TIMER_TSC_DEADLINE || TIMER_MODE(val) == TIMER_TSC_DEADLINE)) {
        /* Switching into or out of TSC-deadline mode disarms the timer. */
        s->tsc_deadline = 0;
        s->initial_count = 0;
        s->next_time = -1;
        timer_rearm(s);
    } else if (n == APIC_LVT_T && TIMER_MODE(old) != TIMER_MODE(val) && s->next_time >= 0) {
        /* one-shot <-> periodic: the current count keeps going. */
        timer_rearm(s);
    }
    update(s);
}

uint32_t apic_reg_read(APICState *s, uint32_t off)
{
    off &= 0xff0;
    switch (off) {
    case APIC_ID: return (uint32_t)s->id << 24;
    case APIC_VERSION: return APIC_VERSION_VALUE;
    case APIC_TPR: return s->tpr;
    case APIC_APR: return apr(s);
    case APIC_PPR: return ppr(s);
    case APIC_LDR: return s->ldr;
    case APIC_DFR: return s->dfr;
    case APIC_SVR: return s->svr;
    case APIC_ESR: return s->esr;
    case APIC_ICR_LO: return s->icr[0];
    case APIC_ICR_HI: return s->icr[1];
    case APIC_TIMER_ICR: return s->initial_count;
    case APIC_TIMER_CCR: return current_count(s);
    case APIC_TIMER_DCR: return s->dcr;
    case APIC_EOI: case APIC_RRD: return 0;
    default:
        break;
    }
    if (off >= APIC_ISR && off < APIC_ISR + 0x80)
        return s->isr[(off - APIC_ISR) >> 4];
    if (off >= APIC_TMR && off < APIC_TMR + 0x80)
        return s->tmr[(off - APIC_TMR) >> 4];
    if (off >= APIC_IRR && off < APIC_IRR + 0x80)
        return s->irr[(off - APIC_IRR) >> 4];
    if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
        return s->lvt[(off - APIC_LVT_TIMER) >> 4];
    if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("apic %u: read of reserved register 0x%03x\n", s->id, off);
    return 0;
}

void apic_reg_write(APICState *s, uint32_t off, uint32_t val)
{
    off &= 0xff0;
    switch (off) {
    case APIC_ID:
        s->id = (uint8_t)(val >> 24);
        return;
    case APIC_TPR:
        s->tpr = (uint8_t)val;
        update(s);
        return;
    case APIC_EOI:
        eoi(s);
        return;
    case APIC_LDR:
        s->ldr = val & 0xff000000u;
        return;
    case APIC_DFR:
        s->dfr = val | 0x0fffffffu;
        return;
    case APIC_SVR:
        s->svr = val & 0x1ffu;
        if (!(s->svr & APIC_SVR_ENABLE))
            for (int i = 0; i < APIC_LVT_NB; i++)
                s->lvt[i] |= APIC_LVT_MASKED;
        update(s);
        return;
    case APIC_ESR:
        /* A write latches the errors seen since the last one (10.5.3). */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case APIC_ICR_HI:
        s->icr[1] = val & 0xff000000u;
        return;
    case APIC_ICR_LO:
        s->icr[0] = val & 0x000ccfffu; /* delivery status (12) always reads idle */
        send_ipi(s);
        return;
    case APIC_TIMER_ICR:
        if (TIMER_MODE(s->lvt[APIC_LVT_T]) == TIMER_TSC_DEADLINE)
            return; /* ignored in TSC-deadline mode */
        s->initial_count = val;
        timer_start(s, clock_get_ns(PEMU_CLOCK_VIRTUAL));
        return;
    case APIC_TIMER_DCR: {
        /* Keep the current count: restart the count from it at the new rate. */
        uint32_t cc = current_count(s);
        s->dcr = val & 0xb;
        if (s->next_time >= 0) {
            int64_t now = clock_get_ns(PEMU_CLOCK_VIRTUAL);
            int64_t done = ((int64_t)(s->initial_count - cc) << timer_shift(s)) * APIC_BUS_NS;
            s->load_time = now - done;
            s->next_time = now + ((int64_t)cc << timer_shift(s)) * APIC_BUS_NS;
            timer_rearm(s);
        }
        return;
    }
    default:
        break;
    }
    if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
        set_lvt(s, (int)(off - APIC_LVT_TIMER) >> 4, val);
        return;
    }
    /* read-only and reserved registers */
    if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("apic %u: write 0x%08" PRIx32 " to read-only or reserved register 0x%03x\n",
                   s->id, val, off);
}

/* ---- the MMIO window ---------------------------------------------------------------------- */

/* The window belongs to the accessing CPU's APIC (the board says which;
 * without its hook, or outside any CPU, APIC 0's). */
static APICState *window_apic(APICBus *bus)
{
    APICState *s = bus->current ? bus->current(bus->current_opaque) : NULL;
    return s ? s : bus->apic[0];
}

void apic_bus_set_current_hook(APICBus *bus, APICState *(*fn)(void *opaque), void *opaque)
{
    bus->current = fn;
    bus->current_opaque = opaque;
}

static uint64_t mmio_read(void *opaque, hwaddr off, unsigned size)
{
    APICState *s = window_apic(opaque);
    (void)size;
    if (!s || (off & 0xf))
        return 0;
    return apic_reg_read(s, (uint32_t)off);
}

static void mmio_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    APICState *s = window_apic(opaque);
    (void)size;
    if (!s || (off & 0xf))
        return;
    apic_reg_write(s, (uint32_t)off, (uint32_t)val);
}

static const MemOps apic_mmio_ops = {
    .read = mmio_read, .write = mmio_write, .valid = { 1, 4 }, .impl = { 4, 4 },
};

/* Where the window sits and whether it is on: APIC 0's base and enable bit
 * (every CPU's APIC shares the one region; relocating only an AP's APIC is
 * not modelled). */
static void window_update(APICBus *bus)
{
    APICState *s = bus->apic[0];
    if (!s)
        return;
    memory_region_set_address(bus->mmio, s->apicbase & MSR_APICBASE_BASE);
    memory_region_set_enabled(bus->mmio, hw_enabled(s));
}

APICBus *apic_bus_new(Machine *m)
{
    APICBus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        fatal("out of memory");
    bus->m = m;
    bus->mmio = memory_region_new_mmio("apic", 0x1000, &apic_mmio_ops, bus, bus);
    /* Above RAM and the PCI hole's devices: the CPU's own APIC wins. */
    memory_region_add_subregion(m->sysmem, APIC_DEFAULT_BASE, bus->mmio, 4096);
    memory_region_set_enabled(bus->mmio, false);
    return bus;
}

void apic_bus_free(APICBus *bus)
{
    if (!bus)
        return;
    memory_region_free(bus->mmio);
    free(bus);
}

/* ---- CPU side ------------------------------------------------------------------------------- */

uint64_t apic_get_base(void *opaque)
{
    return ((APICState *)opaque)->apicbase;
}

bool apic_set_base(void *opaque, uint64_t v)
{
    APICState *s = opaque;
    /* Bit 10 would be x2APIC mode: not offered (CPUID.1:ECX.x2APIC = 0). */
    if (v & ~(MSR_APICBASE_BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP))
        return false;
    bool was = hw_enabled(s);
    s->apicbase = (v & ~(uint64_t)MSR_APICBASE_BSP) | (s->bsp ? MSR_APICBASE_BSP : 0);
    if (was && !hw_enabled(s)) {
        /* Global disable: as a software disable (10.4.3); the rest is kept. */
        s->svr &= ~APIC_SVR_ENABLE;
        for (int i = 0; i < APIC_LVT_NB; i++)
            s->lvt[i] |= APIC_LVT_MASKED;
    }
    if (s->bus->apic[0] == s)
        window_update(s->bus);
    update(s);
    return true;
}

uint64_t apic_get_tsc_deadline(void *opaque)
{
    return ((APICState *)opaque)->tsc_deadline;
}

void apic_set_tsc_deadline(void *opaque, uint64_t tsc, int64_t deadline_ns)
{
    APICState *s = opaque;
    /* Writes outside TSC-deadline mode are ignored (10.5.4.1). */
    if (TIMER_MODE(s->lvt[APIC_LVT_T]) != TIMER_TSC_DEADLINE)
        return;
    s->tsc_deadline = tsc;
    s->deadline_ns = deadline_ns;
    timer_rearm(s);
}

uint8_t apic_get_cr8(void *opaque)
{
    return ((APICState *)opaque)->tpr >> 4;
}

void apic_set_cr8(void *opaque, uint8_t cr8)
{
    APICState *s = opaque;
    s->tpr = (uint8_t)((cr8 & 15) << 4);
    update(s);
}

/* ---- device ------------------------------------------------------------------------------------- */

IRQLine *apic_lint(APICState *s, int n)
{
    return s->lint[n & 1];
}

Device *apic_device(APICState *s)
{
    return &s->dev;
}

void apic_set_extint(APICState *s, int (*intack)(void *opaque), void *opaque)
{
    s->ext_intack = intack;
    s->ext_opaque = opaque;
}

void apic_set_startup_hook(APICState *s, void (*fn)(void *opaque, int kind, uint8_t vector),
                           void *opaque)
{
    s->startup = fn;
    s->startup_opaque = opaque;
}

static void apic_reset(Device *dev)
{
    APICState *s = (APICState *)dev;
    s->apicbase = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE | (s->bsp ? MSR_APICBASE_BSP : 0);
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    s->icr[0] = s->icr[1] = 0;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    for (int i = 0; i < APIC_LVT_NB; i++)
        s->lvt[i] = APIC_LVT_MASKED;
    if (s->bsp)
        s->lvt[APIC_LVT_L0] = APIC_DM_EXTINT << 8; /* virtual wire (see the top) */
    s->initial_count = s->dcr = 0;
    s->load_time = 0;
    s->next_time = -1;
    s->tsc_deadline = 0;
    s->deadline_ns = 0;
    timer_del(s->timer);
    if (s->bus->apic[0] == s)
        window_update(s->bus);
    update(s);
}

static void apic_unrealize(Device *dev)
{
    APICState *s = (APICState *)dev;
    if (!s->bus)
        return;
    for (int i = 0; i < APIC_MAX; i++)
        if (s->bus->apic[i] == s)
            s->bus->apic[i] = NULL;
    timer_free(s->timer);
    irq_free_array(s->lint, 2);
    s->bus = NULL;
}

APICState *apic_init(Machine *m, APICBus *bus, uint8_t id, bool bsp, IRQLine *intr,
                     IRQLine *nmi, Error **errp)
{
    int slot = -1;
    for (int i = 0; i < APIC_MAX && slot < 0; i++)
        if (!bus->apic[i])
            slot = i;
    if (slot < 0) {
        error_setg(errp, "too many local APICs (at most %d)", APIC_MAX);
        return NULL;
    }
    APICState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->dev.cls = &apic_class;
    s->m = m;
    s->bus = bus;
    s->id = id;
    s->bsp = bsp;
    s->intr = intr;
    s->nmi = nmi;
    s->lint = irq_new_array(lint_input, s, 2);
    s->timer = timer_new(PEMU_CLOCK_VIRTUAL, timer_cb, s);
    bus->apic[slot] = s;
    apic_reset(&s->dev);
    return s;
}

void apic_print(APICState *s, FILE *f)
{
    fprintf(f, "apic %u: base=0x%" PRIx64 "%s%s svr=%03x tpr=%02x ppr=%02x ldr=%08x dfr=%08x "
            "esr=%02x icr=%08x:%08x\n", s->id, (uint64_t)(s->apicbase & MSR_APICBASE_BASE),
            hw_enabled(s) ? "" : " (disabled)", s->bsp ? " bsp" : "", s->svr, s->tpr, ppr(s),
            s->ldr, s->dfr, s->esr, s->icr[1], s->icr[0]);
    static const char *const names[APIC_LVT_NB] = { "timer", "thermal", "perf", "lint0",
                                                    "lint1", "error" };
    for (int i = 0; i < APIC_LVT_NB; i++)
        fprintf(f, "  lvt %-7s %08x\n", names[i], s->lvt[i]);
    fprintf(f, "  timer: initial=%08x current=%08x dcr=%x deadline=%" PRIx64 "\n",
            s->initial_count, current_count(s), s->dcr, s->tsc_deadline);
    fprintf(f, "  irr=");
    for (int i = 7; i >= 0; i--)
        fprintf(f, "%08x", s->irr[i]);
    fprintf(f, "\n  isr=");
    for (int i = 7; i >= 0; i--)
        fprintf(f, "%08x", s->isr[i]);
    fprintf(f, "\n  tmr=");
    for (int i = 7; i >= 0; i--)
        fprintf(f, "%08x", s->tmr[i]);
    fprintf(f, "\n");
}

static int apic_post_load(void *opaque, int version_id)
{
    APICState *s = opaque;
    (void)version_id;
    if (s->bus && s->bus->apic[0] == s)
        window_update(s->bus);
    s->intr_out = !apic_intr_pending(s); /* force the INTR level out */
    update(s);
    return 0;
}

static const VMStateDescription vmstate_apic = {
    .name = "apic",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(apicbase, APICState),
        VMSTATE_UINT8(id, APICState),
        VMSTATE_UINT8(tpr, APICState),
        VMSTATE_UINT32(ldr, APICState),
        VMSTATE_UINT32(dfr, APICState),
        VMSTATE_UINT32(svr, APICState),
        VMSTATE_UINT32(esr, APICState),
        VMSTATE_UINT32(esr_pending, APICState),
        VMSTATE_UINT32_ARRAY(icr, APICState, 2),
        VMSTATE_UINT32_ARRAY(isr, APICState, 8),
        VMSTATE_UINT32_ARRAY(tmr, APICState, 8),
        VMSTATE_UINT32_ARRAY(irr, APICState, 8),
        VMSTATE_UINT32_ARRAY(lvt, APICState, APIC_LVT_NB),
        VMSTATE_UINT32(initial_count, APICState),
        VMSTATE_UINT32(dcr, APICState),
        VMSTATE_INT64(load_time, APICState),
        VMSTATE_INT64(next_time, APICState),
        VMSTATE_UINT64(tsc_deadline, APICState),
        VMSTATE_INT64(deadline_ns, APICState),
        VMSTATE_UINT8_ARRAY(lint_level, APICState, 2),
        VMSTATE_TIMER(timer, APICState),
        VMSTATE_END
    },
    .post_load = apic_post_load,
};

const DeviceClass apic_class = {
    .name = "apic",
    .desc = "local APIC (xAPIC)",
    .category = "Misc devices",
    .bus = NULL,
    .instance_size = sizeof(APICState),
    .user_creatable = false,
    .reset = apic_reset,
    .unrealize = apic_unrealize,
    .vmsd = &vmstate_apic,
};
