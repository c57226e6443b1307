/*
 * The 82093AA I/O APIC (see ioapic.h for the register map).
 *
 * Edge-triggered pins send a message on each rising edge. Level-triggered
 * pins send while asserted, then set remote IRR until the local APIC's EOI
 * for that vector comes back (or, version 0x20, a write to the EOI
 * register); if the pin is still asserted then, the message is sent again.
 * Unmasking an asserted level pin sends at once. As on QEMU, pins are
 * active high whatever the polarity bit says: the board's lines carry the
 * asserted state, not the electrical level.
 */
#include "hw/ioapic.h"

#include <inttypes.h>
#include <stdlib.h>

#include "src/log.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/vmstate.h"

#define RTE_VECTOR      0xffull
#define RTE_DM_SHIFT    8
#define RTE_DEST_LOGICAL (1ull << 11)
#define RTE_DELIVS      (1ull << 12)
#define RTE_POLARITY    (1ull << 13)
#define RTE_REMOTE_IRR  (1ull << 14)
#define RTE_LEVEL       (1ull << 15)
#define RTE_MASKED      (1ull << 16)
#define RTE_DEST_SHIFT  56
/* What software may write: everything but delivery status and remote IRR. */
#define RTE_WRITABLE    (~(RTE_DELIVS | RTE_REMOTE_IRR) & (0xff00000000000000ull | 0x1ffffull))

typedef struct IOAPICState {
    Device dev;
    Machine *m;
    APICBus *bus;
    MemoryRegion *mmio;
    IRQLine **pins;
    uint64_t base;
    uint8_t version;
    uint8_t id;
    uint8_t ioregsel;
    uint32_t irr;           /* pin levels (asserted = 1) */
    uint64_t rte[IOAPIC_NUM_PINS];
    uint64_t irq_count[IOAPIC_NUM_PINS]; /* rising edges per pin (info irq; not state) */
} IOAPICState;

static void service(IOAPICState *s, int n)
{
    uint64_t e = s->rte[n];
    if (e & RTE_MASKED)
        return;
    if (e & RTE_LEVEL) {
        if (!((s->irr >> n) & 1) || (e & RTE_REMOTE_IRR))
            return;
    }
    int mode = (int)((e >> RTE_DM_SHIFT) & 7);
    uint8_t vector = (uint8_t)(e & RTE_VECTOR);
    uint8_t dest = (uint8_t)(e >> RTE_DEST_SHIFT);
    if (mode == APIC_DM_EXTINT && log_enabled(LOG_UNIMP))
        log_printf("ioapic: pin %d: ExtINT delivery not implemented\n", n);
    int got = apic_bus_deliver(s->bus, dest, (e & RTE_DEST_LOGICAL) != 0, mode, vector,
                               (e & RTE_LEVEL) != 0);
    if ((e & RTE_LEVEL) && got && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST))
        s->rte[n] |= RTE_REMOTE_IRR;
}

static void pin_set(void *opaque, int n, int level)
{
    IOAPICState *s = opaque;
    uint32_t bit = 1u << n, old = s->irr & bit;
    if (level && !old)
        s->irq_count[n]++;
    s->irr = level ? s->irr | bit : s->irr & ~bit;
    if (s->rte[n] & RTE_LEVEL) {
        if (level)
            service(s, n);
    } else if (level && !old) {
        service(s, n);
    }
}

static void eoi_vector(IOAPICState *s, uint8_t vector)
{
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = s->rte[n];
        if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR) && (uint8_t)(e & RTE_VECTOR) == vector) {
            s->rte[n] &= ~RTE_REMOTE_IRR;
            service(s, n);
        }
    }
}

static void eoi_listener(void *opaque, uint8_t vector)
{
    eoi_vector(opaque, vector);
}

static uint32_t reg_read(IOAPICState *s)
{
    uint8_t i = s->ioregsel;
    switch (i) {
    case 0x00: return (uint32_t)s->id << 24;
    case 0x01: return (uint32_t)(IOAPIC_NUM_PINS - 1) << 16 | s->version;
    case 0x02: return (uint32_t)s->id << 24; /* arbitration ID = APIC ID after reset */
    default:
        break;
    }
    if (i >= 0x10 && i < 0x10 + 2 * IOAPIC_NUM_PINS) {
        uint64_t e = s->rte[(i - 0x10) >> 1];
        return (i & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
}

static void reg_write(IOAPICState *s, uint32_t val)
{
    uint8_t i = s->ioregsel;
    if (i == 0x00) {
        s->id = (uint8_t)((val >> 24) & 0xf);
        return;
    }
    if (i >= 0x10 && i < 0x10 + 2 * IOAPIC_NUM_PINS) {
        int n = (i - 0x10) >> 1;
        uint64_t e = s->rte[n];
        uint64_t v = (i & 1) ? (e & 0xffffffffull) | ((uint64_t)val << 32)
                             : (e & 0xffffffff00000000ull) | val;
        s->rte[n] = (v & RTE_WRITABLE) | (e & RTE_REMOTE_IRR);
        if (!(s->rte[n] & RTE_LEVEL))
            s->rte[n] &= ~RTE_REMOTE_IRR;
        /* A level pin that is asserted and now deliverable sends. */
        if ((s->rte[n] & RTE_LEVEL) && ((s->irr >> n) & 1))
            service(s, n);
        return;
    }
    if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("ioapic: write 0x%08" PRIx32 " to read-only register 0x%02x\n", val, i);
}

uint32_t ioapic_mmio_read(Device *dev, uint32_t off)
{
    IOAPICState *s = (IOAPICState *)dev;
    switch (off) {
    case 0x00: return s->ioregsel;
    case 0x10: return reg_read(s);
    default: return 0;
    }
}

void ioapic_mmio_write(Device *dev, uint32_t off, uint32_t val)
{
    IOAPICState *s = (IOAPICState *)dev;
    switch (off) {
    case 0x00:
        s->ioregsel = (uint8_t)val;
        break;
    case 0x10:
        reg_write(s, val);
        break;
    case 0x40:
        if (s->version >= 0x20)
            eoi_vector(s, (uint8_t)val);
        break;
    default:
        break;
    }
}

static uint64_t mmio_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return ioapic_mmio_read(opaque, (uint32_t)off);
}

static void mmio_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    ioapic_mmio_write(opaque, (uint32_t)off, (uint32_t)val);
}

static const MemOps ioapic_ops = {
    .read = mmio_read, .write = mmio_write, .valid = { 1, 4 }, .impl = { 4, 4 },
};

IRQLine *ioapic_pin(Device *dev, int n)
{
    IOAPICState *s = (IOAPICState *)dev;
    return n >= 0 && n < IOAPIC_NUM_PINS ? s->pins[n] : NULL;
}

void ioapic_print_irq_stats(Device *dev, FILE *f)
{
    IOAPICState *s = (IOAPICState *)dev;
    fprintf(f, "IRQ statistics for ioapic:\n");
    for (int i = 0; i < IOAPIC_NUM_PINS; i++)
        if (s->irq_count[i])
            fprintf(f, "%2d: %" PRIu64 "\n", i, s->irq_count[i]);
}

void ioapic_print(Device *dev, FILE *f)
{
    IOAPICState *s = (IOAPICState *)dev;
    fprintf(f, "ioapic: id=%u version=0x%02x ioregsel=0x%02x irr=%06" PRIx32 "\n", s->id,
            s->version, s->ioregsel, s->irr);
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = s->rte[n];
        fprintf(f, "  pin %2d %016" PRIx64 " vec=%3u %s %s%s%s dest=0x%02x%s\n", n, e,
                (unsigned)(e & RTE_VECTOR), (e & RTE_LEVEL) ? "level" : "edge ",
                (e & RTE_MASKED) ? "masked" : "", (e & RTE_REMOTE_IRR) ? " remote-irr" : "",
                (e & RTE_DEST_LOGICAL) ? " logical" : " physical",
                (unsigned)(e >> RTE_DEST_SHIFT), ((s->irr >> n) & 1) ? " asserted" : "");
    }
}

static void ioapic_reset(Device *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    s->ioregsel = 0;
    for (int n = 0; n < IOAPIC_NUM_PINS; n++)
        s->rte[n] = RTE_MASKED;
}

static void ioapic_unrealize(Device *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    if (!s->m)
        return;
    apic_bus_set_eoi_listener(s->bus, NULL, NULL);
    memory_region_free(s->mmio);
    irq_free_array(s->pins, IOAPIC_NUM_PINS);
    s->m = NULL;
}

Device *ioapic_init(Machine *m, APICBus *bus, uint64_t base, uint8_t id, uint8_t version,
                    Error **errp)
{
    if (version != 0x11 && version != 0x20) {
        error_setg(errp, "ioapic: version 0x%x is not supported (0x11 or 0x20)", version);
        return NULL;
    }
    IOAPICState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->dev.cls = &ioapic_class;
    s->m = m;
    s->bus = bus;
    s->base = base;
    s->id = id;
    s->version = version;
    s->pins = irq_new_array(pin_set, s, IOAPIC_NUM_PINS);
    s->mmio = memory_region_new_mmio("ioapic", 0x1000, &ioapic_ops, s, s);
    memory_region_add_subregion(m->sysmem, base, s->mmio, 1);
    apic_bus_set_eoi_listener(bus, eoi_listener, s);
    ioapic_reset(&s->dev);
    return &s->dev;
}

static const VMStateDescription vmstate_ioapic = {
    .name = "ioapic",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(id, IOAPICState),
        VMSTATE_UINT8(ioregsel, IOAPICState),
        VMSTATE_UINT32(irr, IOAPICState),
        VMSTATE_UINT64_ARRAY(rte, IOAPICState, IOAPIC_NUM_PINS),
        VMSTATE_END
    },
};

const DeviceClass ioapic_class = {
    .name = "ioapic",
    .desc = "82093AA I/O APIC",
    .category = "Misc devices",
    .instance_size = sizeof(IOAPICState),
    .user_creatable = false,
    .reset = ioapic_reset,
    .unrealize = ioapic_unrealize,
    .vmsd = &vmstate_ioapic,
};
