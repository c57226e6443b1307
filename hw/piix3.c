/*
 * PIIX3 PCI-to-ISA bridge: PIRQ routing, port 0x92, reset control at
 * 0xcf9. See hw/piix3.h.
 */
#include "hw/piix3.h"

#include <stdlib.h>
#include <string.h>
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

struct PIIX3State {
    Device dev;
    PCIDevice pci;
    PCIBus *bus;
    Machine *m;
    uint8_t port92;
    uint8_t rcr;
    MemoryRegion *port92_mr, *rcr_mr; /* rcr_mr only when the bus has no PCIHost */
};

/* ---- PIRQ routing -------------------------------------------------------- */

int piix3_pirq_route(PIIX3State *s, int line)
{
    /* IRQs 0-2, 8 and 13 are the board's own (timer, keyboard, cascade, RTC, FPU). */
    static const uint16_t routable = 0xdef8; /* 3-7, 9-12, 14, 15 */
    uint8_t v = s->pci.config[PIIX3_PIRQRC + line];
    if (v & PIIX3_PIRQ_DISABLE || !(routable & (1u << (v & 0x0f))))
        return -1;
    return v & 0x0f;
}

/* ISA IRQ irq is the wired OR of every PIRQ routed to it. */
static void drive_isa_irq(PIIX3State *s, int irq)
{
    if (irq < 0)
        return;
    int level = 0;
    for (int line = 0; line < PCI_NUM_PINS; line++)
        if (piix3_pirq_route(s, line) == irq && pci_bus_irq_level(s->bus, line))
            level = 1;
    irq_set(s->m->isa_irq[irq], level);
}

static void piix3_set_pirq(void *opaque, int line, int level)
{
    (void)level; /* the bus's count is the truth; recompute the OR */
    PIIX3State *s = opaque;
    drive_isa_irq(s, piix3_pirq_route(s, line));
}

/* Routing changed: release the old IRQs and drive the new ones. */
static void reroute(PIIX3State *s, const int *old)
{
    for (int line = 0; line < PCI_NUM_PINS; line++) {
        drive_isa_irq(s, old[line]);
        int now = piix3_pirq_route(s, line);
        if (now != old[line])
            drive_isa_irq(s, now);
    }
}

static void piix3_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    PIIX3State *s = d->opaque;
    bool route = addr < PIIX3_PIRQRC + PCI_NUM_PINS && PIIX3_PIRQRC < addr + len;
    int old[PCI_NUM_PINS];
    for (int line = 0; line < PCI_NUM_PINS; line++)
        old[line] = piix3_pirq_route(s, line);
    pci_default_config_write(d, addr, val, len);
    if (route)
        reroute(s, old);
}

/* ---- port 0x92 and reset control ----------------------------------------- */

static uint64_t port92_read(void *opaque, hwaddr off, unsigned size)
{
    (void)off, (void)size;
    PIIX3State *s = opaque;
    return s->port92;
}

static void port92_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)off, (void)size;
    PIIX3State *s = opaque;
    uint8_t old = s->port92;
    s->port92 = (uint8_t)val;
    irq_set(s->m->a20, (val >> 1) & 1);
    /* State is final before the pulse: a reset may run synchronously. */
    if ((val & 1) && !(old & 1))
        irq_pulse(s->m->reset_request);
}

static const MemOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

static uint64_t rcr_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    PIIX3State *s = opaque;
    return off == 1 ? s->rcr : 0xff;
}

static void rcr_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    PIIX3State *s = opaque;
    if (off != 1)
        return;
    /* RCPU self-clears; SRST chooses hard (system) or soft (INIT) reset,
     * both of which restart the machine here. */
    s->rcr = (uint8_t)val & PIIX3_RCR_SRST;
    if (val & PIIX3_RCR_RCPU)
        irq_pulse(s->m->reset_request);
}

static const MemOps rcr_ops = {
    .read = rcr_read,
    .write = rcr_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

/* The standalone port (no PCIHost on the bus) sees offset 0. */
static uint64_t rcr_port_read(void *opaque, hwaddr off, unsigned size)
{
    return rcr_read(opaque, off + 1, size);
}

static void rcr_port_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    rcr_write(opaque, off + 1, val, size);
}

static const MemOps rcr_port_ops = {
    .read = rcr_port_read,
    .write = rcr_port_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

/* ---- device -------------------------------------------------------------- */

static const PCIFunctionInfo piix3_info = {
    .name = "PIIX3",
    .vendor_id = PIIX3_VENDOR_ID,
    .device_id = PIIX3_DEVICE_ID,
    .class_code = 0x060100,
    .header_type = PCI_HEADER_TYPE_MULTI_FUNCTION,
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
    .status = PCI_STATUS_DEVSEL_MEDIUM,
    .config_write = piix3_config_write,
};

/* Power-on values of the device registers (82371SB 2.2). */
static const struct { uint8_t reg, val, wmask; } piix3_regs[] = {
    { 0x4c, 0x4d, 0xff }, /* IORT: ISA I/O recovery timer */
    { 0x4e, 0x03, 0xff }, /* XBCS: X-bus chip select */
    { 0x4f, 0x00, 0xff },
    { 0x60, 0x80, 0x8f }, { 0x61, 0x80, 0x8f }, /* PIRQRC[A:D] */
    { 0x62, 0x80, 0x8f }, { 0x63, 0x80, 0x8f },
    { 0x69, 0x02, 0xff }, /* TOM: top of memory */
    { 0x6a, 0x00, 0xff }, { 0x6b, 0x00, 0xff }, /* MSTAT */
    { 0x70, 0x80, 0xef }, { 0x71, 0x80, 0xef }, /* MBIRQ0/1 */
    { 0x76, 0x0c, 0x8f }, { 0x77, 0x0c, 0x8f }, /* MBDMA0/1 */
    { 0x78, 0x02, 0xff }, { 0x79, 0x00, 0xff }, /* PCSC */
    { 0x80, 0x00, 0x7f }, /* APICBASE */
    { 0x82, 0x00, 0x0f }, /* DLC: deterministic latency */
    { 0xa0, 0x08, 0x1f }, /* SMICNTL */
    { 0xa2, 0x00, 0xff }, { 0xa3, 0x00, 0xff }, /* SMIEN */
    { 0xa4, 0x00, 0xff }, { 0xa5, 0x00, 0xff }, /* SEE */
    { 0xa6, 0x00, 0xff }, { 0xa7, 0x00, 0xff },
    { 0xa8, 0x0f, 0xff }, /* FTMR */
    { 0xaa, 0x00, 0xff }, { 0xab, 0x00, 0xff }, /* SMIREQ */
    { 0xac, 0x00, 0xff }, /* CTLTMR */
    { 0xae, 0x00, 0xff }, /* CTHTMR */
};

static void piix3_unrealize(Device *dev)
{
    PIIX3State *s = (PIIX3State *)dev;
    if (!s->m)
        return;
    PCIHost *h = pci_bus_host(s->bus);
    if (h && h->isa_opaque == s)
        pci_host_set_isa_ops(h, NULL, NULL);
    if (s->rcr_mr)
        ioport_unregister(s->m->io, s->rcr_mr);
    ioport_unregister(s->m->io, s->port92_mr);
    pci_bus_set_irq_handler(s->bus, NULL, NULL, NULL);
    pci_unregister_function(&s->pci);
    s->rcr_mr = s->port92_mr = NULL;
    s->m = NULL;
}

static int piix3_realize(Device *dev, Machine *m, Error **errp)
{
    PIIX3State *s = (PIIX3State *)dev;
    if (!s->bus)
        s->bus = pci_bus_find(m);
    if (!s->bus) {
        error_setg(errp, "PIIX3: the machine has no PCI bus (use a machine with an i440FX)");
        return -1;
    }
    if (pci_register_function(s->bus, &s->pci, PIIX3_DEVFN, &piix3_info, s, errp) < 0)
        return -1;
    s->m = m;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(piix3_regs); i++) {
        s->pci.wmask[piix3_regs[i].reg] = piix3_regs[i].wmask;
        s->pci.config[piix3_regs[i].reg] = piix3_regs[i].val;
    }
    pci_bus_set_irq_handler(s->bus, pci_map_irq_piix, piix3_set_pirq, s);
    s->port92_mr = ioport_register(m->io, PIIX3_PORT92, 1, &port92_ops, s, "port92");
    PCIHost *h = pci_bus_host(s->bus);
    if (h)
        pci_host_set_isa_ops(h, &rcr_ops, s);
    else
        s->rcr_mr = ioport_register(m->io, PIIX3_RCR_PORT, 1, &rcr_port_ops, s, "piix3-rcr");
    return 0;
}

static void piix3_reset(Device *dev)
{
    PIIX3State *s = (PIIX3State *)dev;
    int old[PCI_NUM_PINS];
    for (int line = 0; line < PCI_NUM_PINS; line++)
        old[line] = piix3_pirq_route(s, line);
    pci_device_reset(&s->pci);
    /* 82371SB PCICMD default: I/O, memory and bus master enabled. */
    pci_set_word(s->pci.config + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(piix3_regs); i++)
        s->pci.config[piix3_regs[i].reg] = piix3_regs[i].val;
    reroute(s, old);
    s->port92 &= (uint8_t)~1;
    s->rcr = 0;
}

static int piix3_post_load(void *opaque, int version_id)
{
    (void)version_id;
    PIIX3State *s = opaque;
    for (int irq = 0; irq < MACHINE_ISA_IRQS; irq++)
        for (int line = 0; line < PCI_NUM_PINS; line++)
            if (piix3_pirq_route(s, line) == irq) {
                drive_isa_irq(s, irq);
                break;
            }
    return 0;
}

static const VMStateDescription vmstate_piix3 = {
    .name = "PIIX3",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, PIIX3State, vmstate_pci_device),
        VMSTATE_UINT8(port92, PIIX3State),
        VMSTATE_UINT8(rcr, PIIX3State),
        VMSTATE_END
    },
    .post_load = piix3_post_load,
};

const DeviceClass piix3_class = {
    .name = "PIIX3",
    .desc = "Intel 82371SB PCI-to-ISA bridge (PIRQ routing, port 0x92, reset control)",
    .category = "Controller/Bridge/Hub devices",
    .bus = "PCI",
    .instance_size = sizeof(PIIX3State),
    .user_creatable = false,
    .realize = piix3_realize,
    .reset = piix3_reset,
    .unrealize = piix3_unrealize,
    .vmsd = &vmstate_piix3,
};

PIIX3State *piix3_init(Machine *m, PCIBus *bus, Error **errp)
{
    PIIX3State *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory creating the PIIX3");
    s->dev.cls = &piix3_class;
    s->bus = bus;
    if (piix3_realize(&s->dev, m, errp) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void piix3_free(PIIX3State *s)
{
    if (!s)
        return;
    piix3_unrealize(&s->dev);
    free(s);
}

Device *piix3_device(PIIX3State *s) { return &s->dev; }
PCIDevice *piix3_pci(PIIX3State *s) { return &s->pci; }
