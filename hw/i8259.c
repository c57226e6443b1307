/*
 * Intel 8259A programmable interrupt controller, the PC/AT pair: master at
 * 0x20/0x21, slave at 0xa0/0xa1 with its INT wired to master IR2, plus the
 * PIIX3 ELCR at 0x4d0/0x4d1 that makes single lines level-triggered.
 *
 * Facts used (8259A datasheet unless noted):
 *   A0=0 write, D4=1          ICW1: D0 IC4, D1 SNGL, D3 LTIM (PIIX3: ignored,
 *                             the ELCR decides), resets IMR, priority (IR7
 *                             lowest), special mask mode, read select = IRR,
 *                             the edge sense latches; ICW4 := 0 if !IC4.
 *   A0=1 after ICW1           ICW2 (vector T7-T3), ICW3 unless SNGL (master:
 *                             a bit per slave; slave: its ID), ICW4 if IC4
 *                             (D0 8086 mode, D1 AEOI, D4 SFNM).
 *   A0=1                      OCW1 = IMR.
 *   A0=0, D4=0, D3=0          OCW2: R SL EOI | L2-L0
 *                             001 non-specific EOI     011 specific EOI
 *                             101 rotate on n.-s. EOI  111 rotate on spec. EOI
 *                             100/000 set/clear rotate in AEOI mode
 *                             110 set priority (L lowest)  010 no-op
 *   A0=0, D4=0, D3=1          OCW3: D6 ESMM, D5 SMM, D2 P (poll), D1 RR, D0 RIS.
 *   read A0=0                 IRR or ISR (OCW3 RR/RIS); A0=1: IMR. After a
 *                             poll command the next read returns the poll
 *                             word (D7 = request, D2-D0 = level) and acts as
 *                             an INTA.
 *   INTA with no request      the IR7 vector, no ISR bit (spurious); on the
 *                             slave the master still sets ISR2 (IRQ 15).
 *   ELCR (PIIX3)              1 = level. IRQ 0, 1, 2, 8, 13 are edge only.
 *
 * Edge-triggered IRR bits stay latched until acknowledged even if the line
 * drops first. (On silicon the line must stay high until INTA; here the
 * emulated CPU's INTA latency is not the hardware's, so dropping the request
 * would make spurious interrupts that a real PC never sees.) Level-triggered
 * IRR bits follow the line, so a request that goes away before INTA gives
 * the spurious IRQ 7 / 15 vector.
 *
 * ICW1 also clears ISR (not in the datasheet's list): a guest re-initializing
 * the PIC after a warm start expects no stale in-service levels.
 */
#include "hw/i8259.h"

#include <inttypes.h>
#include <stdbool.h>
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

enum {
    ICW1_IC4 = 0x01, ICW1_SNGL = 0x02,
    ICW4_8086 = 0x01, ICW4_AEOI = 0x02, ICW4_SFNM = 0x10,
};

typedef struct PICChip {
    uint8_t irr, isr, imr;
    uint8_t level;       /* IR input levels as last seen (edge detection) */
    uint8_t elcr;        /* PIIX3 ELCR: 1 = level-triggered */
    uint8_t elcr_mask;   /* bits the ELCR may set */
    uint8_t lowest;      /* IR of lowest priority; lowest+1 is the highest */
    uint8_t base;        /* ICW2: vector bits 7-3 */
    uint8_t icw1, icw3, icw4;
    uint8_t init_step;   /* 0: operational, else the ICW expected next (2..4) */
    bool read_isr;       /* OCW3 RR/RIS: A0=0 reads ISR */
    bool poll;           /* OCW3 P: the next read is a poll */
    bool smm;            /* special mask mode */
    bool rotate_aeoi;    /* rotate in automatic EOI mode */
} PICChip;

typedef struct I8259State {
    Device dev;
    Machine *m;
    PICChip chip[2];     /* master, slave */
    uint16_t lines;      /* ISA input levels 0..15 */
    uint8_t intr;        /* master INT as last driven on m->cpu_intr */
    IRQLine **in;
    MemoryRegion *io[3];
    uint64_t irq_count[16]; /* rising edges per ISA input (info irq; not state) */
} I8259State;

static int pic_prio(const PICChip *c, int ir)
{
    return (ir - c->lowest - 1) & 7; /* 0 = highest */
}

/* The highest-priority IR set in mask, or -1. */
static int pic_best(const PICChip *c, uint8_t mask)
{
    for (int i = 1; i <= 8; i++) {
        int ir = (c->lowest + i) & 7;
        if (mask & (1u << ir))
            return ir;
    }
    return -1;
}

static bool pic_is_cascade(const I8259State *s, int idx, int ir)
{
    const PICChip *c = &s->chip[0];
    return idx == 0 && !(c->icw1 & ICW1_SNGL) && (c->icw3 & (1u << ir));
}

/* The IR this chip would present at INTA now, or -1 (INT low). */
static int pic_request(const I8259State *s, int idx)
{
    const PICChip *c = &s->chip[idx];
    uint8_t req = c->irr & ~c->imr;
    if (!req)
        return -1;
    /* Special mask mode: every unmasked level not itself in service. */
    if (c->smm)
        return pic_best(c, req & ~c->isr);
    int r = pic_best(c, req);
    int in = pic_best(c, c->isr);
    if (in >= 0) {
        int pr = pic_prio(c, r), pi = pic_prio(c, in);
        /* Special fully nested mode: a slave in service does not lock out
         * its own further (higher) requests. */
        bool sfnm = (c->icw4 & ICW4_SFNM) && in == r && pic_is_cascade(s, idx, r);
        if (pi < pr || (pi == pr && !sfnm))
            return -1;
    }
    return r;
}

static void pic_set_ir(PICChip *c, int ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (c->elcr & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !(c->level & bit)) {
        c->irr |= bit;
    }
    if (level)
        c->level |= bit;
    else
        c->level &= (uint8_t)~bit;
}

/* Propagate: slave INT -> master IR2, master INT -> the CPU. */
static void pic_update(I8259State *s)
{
    pic_set_ir(&s->chip[0], 2, pic_request(s, 1) >= 0);
    uint8_t intr = pic_request(s, 0) >= 0;
    if (intr != s->intr) {
        s->intr = intr;
        irq_set(s->m ? s->m->cpu_intr : NULL, intr);
    }
}

static void pic_input(void *opaque, int n, int level)
{
    I8259State *s = opaque;
    uint16_t bit = (uint16_t)(1u << n);
    if (level && !(s->lines & bit))
        s->irq_count[n]++;
    s->lines = level ? (s->lines | bit) : (s->lines & (uint16_t)~bit);
    if (n == 2 || n == 9) /* the AT bus's IRQ2 pin is IRQ 9 */
        pic_set_ir(&s->chip[1], 1, ((s->lines >> 2) | (s->lines >> 9)) & 1);
    else if (n < 8)
        pic_set_ir(&s->chip[0], n, level);
    else
        pic_set_ir(&s->chip[1], n - 8, level);
    pic_update(s);
}

/* The second INTA pulse: in service (or AEOI), edge request consumed. */
static void pic_ack(PICChip *c, int ir)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (c->icw4 & ICW4_AEOI) {
        if (c->rotate_aeoi)
            c->lowest = (uint8_t)ir;
    } else {
        c->isr |= bit;
    }
    if (!(c->elcr & bit))
        c->irr &= (uint8_t)~bit;
}

int i8259_intack(void *opaque)
{
    I8259State *s = opaque;
    PICChip *m = &s->chip[0], *sl = &s->chip[1];
    int vec, ir = pic_request(s, 0);

    if (ir < 0) {
        vec = m->base | 7;
    } else {
        pic_ack(m, ir);
        if (!pic_is_cascade(s, 0, ir)) {
            vec = m->base | ir;
        } else if (ir != 2) {
            /* The master waits for a slave on a CAS address nobody answers. */
            if (log_enabled(LOG_GUEST_ERRORS))
                log_printf("i8259: ICW3 declares a slave on IR%d; the slave is on IR2\n", ir);
            vec = 0xff;
        } else {
            int sir = pic_request(s, 1);
            if (sir < 0) {
                vec = sl->base | 7;
            } else {
                pic_ack(sl, sir);
                vec = sl->base | sir;
            }
            /* The slave's INT falls during INTA: a request still pending
             * there is a fresh edge on IR2. */
            m->level &= (uint8_t)~(1u << ir);
        }
    }
    pic_update(s);
    return vec;
}

static uint8_t pic_poll(I8259State *s, int idx)
{
    PICChip *c = &s->chip[idx];
    int ir = pic_request(s, idx);
    c->poll = false;
    if (ir < 0)
        return 0;
    pic_ack(c, ir);
    pic_update(s);
    return (uint8_t)(0x80 | ir);
}

static void pic_icw1(PICChip *c, uint8_t val)
{
    c->icw1 = val;
    c->init_step = 2;
    c->imr = 0;
    c->isr = 0;
    c->irr = c->level & c->elcr; /* edge latches reset; level lines follow */
    c->lowest = 7;
    c->smm = c->read_isr = c->poll = c->rotate_aeoi = false;
    if (!(val & ICW1_IC4))
        c->icw4 = 0;
}

static void pic_ocw2(PICChip *c, uint8_t val)
{
    int l = val & 7, ir;
    switch (val >> 5) {
    case 0: c->rotate_aeoi = false; break;
    case 4: c->rotate_aeoi = true; break;
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI */
        ir = pic_best(c, c->isr);
        if (ir >= 0) {
            c->isr &= (uint8_t)~(1u << ir);
            if (val & 0x80)
                c->lowest = (uint8_t)ir;
        }
        break;
    case 3: /* specific EOI */
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        if (val & 0x80)
            c->lowest = (uint8_t)l;
        break;
    case 6: c->lowest = (uint8_t)l; break; /* set priority */
    default: break;                        /* 010: no operation */
    }
}

static void pic_write(I8259State *s, int idx, hwaddr off, uint8_t val)
{
    PICChip *c = &s->chip[idx];
    if (off == 0) {
        if (val & 0x10) {
            pic_icw1(c, val);
        } else if (val & 0x08) { /* OCW3 */
            if (val & 0x40)
                c->smm = (val >> 5) & 1;
            if (val & 0x04)
                c->poll = true;
            if (val & 0x02)
                c->read_isr = val & 1;
        } else {
            pic_ocw2(c, val);
        }
    } else {
        switch (c->init_step) {
        case 0:
            c->imr = val;
            break;
        case 2:
            c->base = val & 0xf8;
            c->init_step = !(c->icw1 & ICW1_SNGL) ? 3 : (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 3:
            c->icw3 = val;
            c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        default:
            c->icw4 = val;
            c->init_step = 0;
            if (!(val & ICW4_8086) && log_enabled(LOG_GUEST_ERRORS))
                log_printf("i8259: ICW4 selects MCS-80/85 mode; x86 INTA cycles used\n");
            break;
        }
    }
    pic_update(s);
}

static uint8_t pic_read(I8259State *s, int idx, hwaddr off)
{
    PICChip *c = &s->chip[idx];
    if (c->poll)
        return pic_poll(s, idx);
    if (off == 0)
        return c->read_isr ? c->isr : c->irr;
    return c->imr;
}

static uint64_t master_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return pic_read(opaque, 0, off);
}

static void master_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    pic_write(opaque, 0, off, (uint8_t)val);
}

static uint64_t slave_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return pic_read(opaque, 1, off);
}

static void slave_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    pic_write(opaque, 1, off, (uint8_t)val);
}

static uint64_t elcr_read(void *opaque, hwaddr off, unsigned size)
{
    I8259State *s = opaque;
    (void)size;
    return s->chip[off & 1].elcr;
}

static void elcr_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    I8259State *s = opaque;
    PICChip *c = &s->chip[off & 1];
    (void)size;
    c->elcr = (uint8_t)val & c->elcr_mask;
    /* Level lines' requests are the line itself. */
    c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->level & c->elcr));
    pic_update(s);
}

static const MemOps master_ops = { master_read, master_write, { 1, 4 }, { 1, 1 } };
static const MemOps slave_ops = { slave_read, slave_write, { 1, 4 }, { 1, 1 } };
static const MemOps elcr_ops = { elcr_read, elcr_write, { 1, 4 }, { 1, 1 } };

IRQLine *i8259_irq_in(Device *dev, int n)
{
    I8259State *s = (I8259State *)dev;
    return n >= 0 && n < 16 ? s->in[n] : NULL;
}

int i8259_intr_pending(Device *dev)
{
    return ((I8259State *)dev)->intr;
}

void i8259_print(Device *dev, FILE *f)
{
    I8259State *s = (I8259State *)dev;
    for (int i = 0; i < 2; i++) {
        const PICChip *c = &s->chip[i];
        fprintf(f,
                "pic%d: irr=%02x imr=%02x isr=%02x elcr=%02x base=%02x hprio=%d "
                "icw1=%02x icw3=%02x icw4=%02x%s%s%s%s%s%s%s\n",
                i, c->irr, c->imr, c->isr, c->elcr, c->base, (c->lowest + 1) & 7, c->icw1,
                c->icw3, c->icw4, c->init_step ? " (initializing)" : "",
                c->icw4 & ICW4_AEOI ? " aeoi" : "", c->icw4 & ICW4_SFNM ? " sfnm" : "",
                c->smm ? " smm" : "", c->rotate_aeoi ? " rotate-aeoi" : "",
                c->read_isr ? " read=isr" : " read=irr", c->poll ? " poll" : "");
    }
    fprintf(f, "lines=%04x intr=%d\n", s->lines, s->intr);
}

void i8259_print_irq_stats(Device *dev, FILE *f)
{
    I8259State *s = (I8259State *)dev;
    fprintf(f, "IRQ statistics for isa-i8259:\n");
    for (int i = 0; i < 16; i++)
        if (s->irq_count[i])
            fprintf(f, "%2d: %" PRIu64 "\n", i, s->irq_count[i]);
}

static int i8259_realize(Device *dev, Machine *m, Error **errp)
{
    I8259State *s = (I8259State *)dev;
    (void)errp;
    s->m = m;
    s->chip[0].elcr_mask = 0xf8; /* IRQ 0, 1, 2 edge only */
    s->chip[1].elcr_mask = 0xde; /* IRQ 8, 13 edge only */
    s->in = irq_new_array(pic_input, s, 16);
    s->io[0] = ioport_register(m->io, 0x20, 2, &master_ops, s, "pic-master");
    s->io[1] = ioport_register(m->io, 0xa0, 2, &slave_ops, s, "pic-slave");
    s->io[2] = ioport_register(m->io, 0x4d0, 2, &elcr_ops, s, "elcr");
    m->intack = i8259_intack;
    m->intack_opaque = s;
    return 0;
}

static void i8259_unrealize(Device *dev)
{
    I8259State *s = (I8259State *)dev;
    for (int i = 0; i < 3; i++)
        if (s->io[i])
            ioport_unregister(s->m->io, s->io[i]);
    if (s->m->intack_opaque == s) {
        s->m->intack = NULL;
        s->m->intack_opaque = NULL;
    }
    irq_free_array(s->in, 16);
    s->in = NULL;
}

/* Power-on: no vector base yet (firmware sends ICW1-4), nothing masked,
 * the PC's cascade wiring in ICW3, 8086 mode, all lines edge-triggered. */
static void i8259_reset(Device *dev)
{
    I8259State *s = (I8259State *)dev;
    for (int i = 0; i < 2; i++) {
        PICChip *c = &s->chip[i];
        c->elcr = 0;
        pic_icw1(c, ICW1_IC4 | 0x10);
        c->init_step = 0;
        c->base = 0;
        c->icw3 = i ? 2 : 4;
        c->icw4 = ICW4_8086;
    }
    pic_update(s);
}

static const VMStateDescription vmstate_pic_chip = {
    .name = "i8259-chip", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(irr, PICChip), VMSTATE_UINT8(isr, PICChip),
        VMSTATE_UINT8(imr, PICChip), VMSTATE_UINT8(level, PICChip),
        VMSTATE_UINT8(elcr, PICChip), VMSTATE_UINT8(lowest, PICChip),
        VMSTATE_UINT8(base, PICChip), VMSTATE_UINT8(icw1, PICChip),
        VMSTATE_UINT8(icw3, PICChip), VMSTATE_UINT8(icw4, PICChip),
        VMSTATE_UINT8(init_step, PICChip), VMSTATE_BOOL(read_isr, PICChip),
        VMSTATE_BOOL(poll, PICChip), VMSTATE_BOOL(smm, PICChip),
        VMSTATE_BOOL(rotate_aeoi, PICChip),
        VMSTATE_END
    },
};

static int i8259_post_load(void *opaque, int version_id)
{
    I8259State *s = opaque;
    (void)version_id;
    for (int i = 0; i < 2; i++) {
        s->chip[i].elcr &= s->chip[i].elcr_mask;
        s->chip[i].lowest &= 7;
    }
    /* Re-drive INT from the loaded registers. */
    s->intr = pic_request(s, 0) >= 0;
    irq_set(s->m ? s->m->cpu_intr : NULL, s->intr);
    return 0;
}

static const VMStateDescription vmstate_i8259 = {
    .name = "i8259", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(chip, I8259State, 2, vmstate_pic_chip),
        VMSTATE_UINT16(lines, I8259State),
        VMSTATE_UINT8(intr, I8259State),
        VMSTATE_END
    },
    .post_load = i8259_post_load,
};

const DeviceClass i8259_class = {
    .name = "i8259",
    .desc = "8259A interrupt controller pair (master 0x20, slave 0xa0) with PIIX3 ELCR",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(I8259State),
    .realize = i8259_realize,
    .reset = i8259_reset,
    .unrealize = i8259_unrealize,
    .vmsd = &vmstate_i8259,
};
