/*
 * The PCI bus: config spaces with write masks, BAR decoding, INTx, config
 * mechanism #1, bus-master DMA. See hw/pci.h.
 */
#include "hw/pci.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

struct PCIBus {
    Machine *m;
    MemoryRegion *mem, *io;
    PCIDevice *devs[PCI_DEVFN_MAX];
    PCIMapIrqFn map_irq;
    PCISetIrqFn set_irq;
    void *irq_opaque;
    int irq_count[PCI_NUM_PINS];
    PCIHost *host;
    PCIBus *next;
};

/* Every live bus, so that -device can find the machine's (pci_bus_find). */
static PCIBus *all_buses;

static uint32_t ones(unsigned len)
{
    return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

/* ---- bus ----------------------------------------------------------------- */

PCIBus *pci_bus_new(Machine *m, MemoryRegion *mem, MemoryRegion *io)
{
    PCIBus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        fatal("out of memory creating a PCI bus");
    bus->m = m;
    bus->mem = mem ? mem : m->sysmem;
    bus->io = io ? io : ioport_space_root(m->io);
    bus->map_irq = pci_map_irq_piix;
    PCIBus **pp = &all_buses;
    while (*pp)
        pp = &(*pp)->next;
    *pp = bus;
    return bus;
}

void pci_bus_free(PCIBus *bus)
{
    if (!bus)
        return;
    for (int i = 0; i < PCI_DEVFN_MAX; i++)
        if (bus->devs[i])
            pci_unregister_function(bus->devs[i]);
    for (PCIBus **pp = &all_buses; *pp; pp = &(*pp)->next) {
        if (*pp == bus) {
            *pp = bus->next;
            break;
        }
    }
    free(bus);
}

PCIBus *pci_bus_find(Machine *m)
{
    for (PCIBus *b = all_buses; b; b = b->next)
        if (b->m == m)
            return b;
    return NULL;
}

Machine *pci_bus_machine(PCIBus *bus) { return bus->m; }
MemoryRegion *pci_bus_memory(PCIBus *bus) { return bus->mem; }
MemoryRegion *pci_bus_io(PCIBus *bus) { return bus->io; }
PCIHost *pci_bus_host(PCIBus *bus) { return bus->host; }

PCIDevice *pci_bus_device(PCIBus *bus, int devfn)
{
    return devfn >= 0 && devfn < PCI_DEVFN_MAX ? bus->devs[devfn] : NULL;
}

/* ---- INTx ---------------------------------------------------------------- */

int pci_map_irq_piix(PCIDevice *d, int pin)
{
    /* 82371SB: slot 1 INTA# is PIRQA#, rotating one line per slot. */
    return (PCI_SLOT(d->devfn) + pin - 1) & 3;
}

void pci_bus_set_irq_handler(PCIBus *bus, PCIMapIrqFn map_irq, PCISetIrqFn set_irq,
                             void *opaque)
{
    bus->map_irq = map_irq ? map_irq : pci_map_irq_piix;
    bus->set_irq = set_irq;
    bus->irq_opaque = opaque;
}

int pci_bus_irq_level(PCIBus *bus, int line)
{
    return line >= 0 && line < PCI_NUM_PINS && bus->irq_count[line] > 0;
}

static bool irq_effective(PCIDevice *d)
{
    uint8_t pin = d->config[PCI_INTERRUPT_PIN];
    return d->irq_level && pin >= 1 && pin <= PCI_NUM_PINS &&
           !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
}

static int irq_line(PCIDevice *d)
{
    return d->bus->map_irq(d, d->config[PCI_INTERRUPT_PIN] - 1) & (PCI_NUM_PINS - 1);
}

/* Bring d's contribution to its bus line in line with its state. */
static void irq_update(PCIDevice *d)
{
    if (!d->bus)
        return; /* unregistered: nothing to drive */
    bool eff = irq_effective(d);
    if (eff == d->irq_counted)
        return;
    PCIBus *bus = d->bus;
    int line = irq_line(d);
    bus->irq_count[line] += eff ? 1 : -1;
    d->irq_counted = eff;
    if (bus->set_irq)
        bus->set_irq(bus->irq_opaque, line, bus->irq_count[line] > 0);
}

void pci_bus_irq_refresh(PCIBus *bus)
{
    memset(bus->irq_count, 0, sizeof(bus->irq_count));
    for (int i = 0; i < PCI_DEVFN_MAX; i++) {
        PCIDevice *d = bus->devs[i];
        if (!d)
            continue;
        d->irq_counted = irq_effective(d);
        if (d->irq_counted)
            bus->irq_count[irq_line(d)]++;
    }
    if (bus->set_irq)
        for (int line = 0; line < PCI_NUM_PINS; line++)
            bus->set_irq(bus->irq_opaque, line, bus->irq_count[line] > 0);
}

void pci_set_irq(PCIDevice *d, int level)
{
    d->irq_level = level != 0;
    if (d->irq_level)
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    irq_update(d);
}

/* ---- BARs ---------------------------------------------------------------- */

static uint32_t bar_offset(int n)
{
    return n == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * (uint32_t)n;
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr)
{
    uint64_t size = memory_region_size(mr);
    bool rom = n == PCI_ROM_SLOT;
    bool io = !rom && (type & PCI_BAR_IO);
    bool is64 = !rom && !io && (type & PCI_BAR_MEM64);
    uint64_t min = rom ? 0x800 : io ? 4 : 16;
    if (n < 0 || n > PCI_ROM_SLOT || (is64 && n >= PCI_NUM_BARS - 1) || !is_pow2(size) ||
        size < min || (io && size > 0x10000) || (!is64 && size > 0x80000000u) || d->bars[n].mr)
        pemu_abort("%s: BAR %d of %llu bytes (type %#x) is not a valid BAR", d->name, n,
                   (unsigned long long)size, type);
    if ((is64 && d->bars[n + 1].mr) ||
        (n > 0 && n < PCI_ROM_SLOT && d->bars[n - 1].mr && (d->bars[n - 1].type & PCI_BAR_MEM64)))
        pemu_abort("%s: BAR %d overlaps a 64-bit BAR", d->name, n);
    if (rom)
        type = 0;
    else if (io)
        type = PCI_BAR_IO;
    else
        type &= PCI_BAR_MEM64 | PCI_BAR_PREFETCH;
    PCIBar *b = &d->bars[n];
    b->mr = mr;
    b->size = size;
    b->type = type;
    b->addr = PCI_BAR_UNMAPPED;
    uint32_t off = bar_offset(n);
    uint64_t mask = ~(size - 1);
    if (rom)
        pci_set_long(d->wmask + off, ((uint32_t)mask & 0xfffff800u) | PCI_ROM_ADDRESS_ENABLE);
    else
        pci_set_long(d->wmask + off, (uint32_t)mask & (io ? ~3u : ~15u));
    pci_set_long(d->config + off, type);
    if (is64) {
        pci_set_long(d->wmask + off + 4, (uint32_t)(mask >> 32));
        pci_set_long(d->config + off + 4, 0);
    }
}

/* Where BAR n decodes now, from config space and the command register. */
uint64_t pci_bar_address(PCIDevice *d, int n)
{
    PCIBar *b = &d->bars[n];
    if (!b->mr)
        return PCI_BAR_UNMAPPED;
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    uint32_t off = bar_offset(n);
    uint32_t lo = pci_get_long(d->config + off);
    uint64_t addr;
    if (n == PCI_ROM_SLOT) {
        if (!(cmd & PCI_COMMAND_MEMORY) || !(lo & PCI_ROM_ADDRESS_ENABLE))
            return PCI_BAR_UNMAPPED;
        addr = lo & ~(uint32_t)0x7ff;
    } else if (b->type & PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO))
            return PCI_BAR_UNMAPPED;
        addr = lo & ~(uint32_t)3;
        /* x86 I/O space is 64 KiB; a BAR left all ones by sizing lies beyond it. */
        if (addr + b->size > 0x10000)
            return PCI_BAR_UNMAPPED;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY))
            return PCI_BAR_UNMAPPED;
        addr = lo & ~(uint32_t)15;
        if (b->type & PCI_BAR_MEM64)
            addr |= (uint64_t)pci_get_long(d->config + off + 4) << 32;
    }
    addr &= ~(b->size - 1);
    /* Address 0 is "not assigned" for firmware; a BAR may not wrap. */
    if (addr == 0 || addr + (b->size - 1) < addr)
        return PCI_BAR_UNMAPPED;
    return addr;
}

void pci_update_mappings(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    memory_transaction_begin();
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIBar *b = &d->bars[n];
        if (!b->mr)
            continue;
        uint64_t addr = pci_bar_address(d, n);
        if (addr == b->addr)
            continue;
        MemoryRegion *space = (n != PCI_ROM_SLOT && (b->type & PCI_BAR_IO)) ? bus->io : bus->mem;
        if (b->addr != PCI_BAR_UNMAPPED)
            memory_region_del_subregion(space, b->mr);
        /* Priority 1: a BAR shows over the ROM and RAM aliases below it in the PCI space. */
        if (addr != PCI_BAR_UNMAPPED)
            memory_region_add_subregion(space, addr, b->mr, 1);
        b->addr = addr;
    }
    memory_transaction_commit();
}

/* ---- config space -------------------------------------------------------- */

int pci_parse_devfn(const char *addr, const char *who, Error **errp)
{
    if (!addr || !*addr)
        return PCI_DEVFN_AUTO;
    char *end;
    unsigned long slot = strtoul(addr, &end, 16), fn = 0;
    bool ok = isxdigit((unsigned char)addr[0]) && end != addr && slot < 32;
    if (ok && *end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        ok = isxdigit((unsigned char)*f) && end != f && fn < 8;
    }
    if (!ok || *end) {
        error_setg(errp, "%s: addr=%s: expected slot[.function] in hex, slot 0-1f, function 0-7",
                   who, addr);
        return -2;
    }
    return PCI_DEVFN((int)slot, (int)fn);
}

int pci_register_function(PCIBus *bus, PCIDevice *d, int devfn, const PCIFunctionInfo *info,
                          void *opaque, Error **errp)
{
    const char *name = info->name ? info->name : "pci-device";
    if (devfn == PCI_DEVFN_AUTO) {
        for (int slot = 1; slot < 32; slot++) {
            if (!bus->devs[PCI_DEVFN(slot, 0)]) {
                devfn = PCI_DEVFN(slot, 0);
                break;
            }
        }
        if (devfn == PCI_DEVFN_AUTO) {
            error_setg(errp, "%s: no free PCI slot (all 31 are in use)", name);
            return -1;
        }
    }
    if (devfn < 0 || devfn >= PCI_DEVFN_MAX) {
        error_setg(errp, "%s: PCI address %d is out of range (slot 0-31, function 0-7)", name,
                   devfn);
        return -1;
    }
    if (bus->devs[devfn]) {
        error_setg(errp, "%s: PCI address %02x.%x is already used by %s", name, PCI_SLOT(devfn),
                   PCI_FUNC(devfn), bus->devs[devfn]->name);
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->bus = bus;
    d->devfn = devfn;
    d->name = name;
    d->opaque = opaque;
    d->config_read = info->config_read;
    d->config_write = info->config_write;
    for (int i = 0; i < PCI_NUM_REGIONS; i++)
        d->bars[i].addr = PCI_BAR_UNMAPPED;
    uint8_t *c = d->config;
    pci_set_word(c + PCI_VENDOR_ID, info->vendor_id);
    pci_set_word(c + PCI_DEVICE_ID, info->device_id);
    pci_set_word(c + PCI_STATUS, info->status);
    c[PCI_REVISION_ID] = info->revision;
    c[PCI_CLASS_PROG] = (uint8_t)info->class_code;
    pci_set_word(c + PCI_CLASS_DEVICE, (uint16_t)(info->class_code >> 8));
    c[PCI_HEADER_TYPE] = info->header_type & PCI_HEADER_TYPE_MULTI_FUNCTION;
    pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, info->subsystem_vendor_id);
    pci_set_word(c + PCI_SUBSYSTEM_ID, info->subsystem_id);
    c[PCI_INTERRUPT_PIN] = info->interrupt_pin <= PCI_NUM_PINS ? info->interrupt_pin : 0;
    pci_set_word(d->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_W1C);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(d->used, 1, PCI_CONFIG_HEADER_SIZE);
    bus->devs[devfn] = d;
    return devfn;
}

void pci_unregister_function(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    if (!bus || bus->devs[d->devfn] != d)
        return;
    pci_set_irq(d, 0);
    memory_transaction_begin();
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIBar *b = &d->bars[n];
        if (b->mr && b->addr != PCI_BAR_UNMAPPED) {
            bool io = n != PCI_ROM_SLOT && (b->type & PCI_BAR_IO);
            memory_region_del_subregion(io ? bus->io : bus->mem, b->mr);
            b->addr = PCI_BAR_UNMAPPED;
        }
    }
    memory_transaction_commit();
    bus->devs[d->devfn] = NULL;
    d->bus = NULL;
}

void pci_device_reset(PCIDevice *d)
{
    uint8_t *c = d->config;
    /* Only the writable parts of the header go back to zero: identity stays. */
    pci_set_word(c + PCI_COMMAND, 0);
    pci_set_word(c + PCI_STATUS,
                 pci_get_word(c + PCI_STATUS) & (uint16_t)~(PCI_STATUS_W1C | PCI_STATUS_INTERRUPT));
    c[PCI_CACHE_LINE_SIZE] = 0;
    c[PCI_LATENCY_TIMER] = 0;
    c[PCI_INTERRUPT_LINE] = 0;
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PCIBar *b = &d->bars[n];
        if (!b->mr)
            continue;
        uint32_t off = bar_offset(n);
        pci_set_long(c + off, b->type);
        if (b->type & PCI_BAR_MEM64 && n != PCI_ROM_SLOT)
            pci_set_long(c + off + 4, 0);
    }
    d->irq_level = 0;
    irq_update(d);
    pci_update_mappings(d);
}

uint32_t pci_default_config_read(PCIDevice *d, uint32_t addr, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++)
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    return v;
}

static bool overlaps(uint32_t addr, unsigned len, uint32_t start, uint32_t size)
{
    return addr < start + size && start < addr + len;
}

void pci_default_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        uint32_t a = addr + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t w = d->wmask[a], c = d->w1cmask[a];
        d->config[a] = (uint8_t)(((d->config[a] & ~w) | (b & w)) & ~(b & c));
    }
    bool cmd = overlaps(addr, len, PCI_COMMAND, 2);
    if (cmd || overlaps(addr, len, PCI_BASE_ADDRESS_0, 24) ||
        overlaps(addr, len, PCI_ROM_ADDRESS, 4))
        pci_update_mappings(d);
    if (cmd)
        irq_update(d);
}

static void config_access_fix(uint32_t *addr, unsigned *len)
{
    *addr &= 0xff;
    if (*len != 1 && *len != 2 && *len != 4)
        *len = 1;
    if (*addr + *len > PCI_CONFIG_SPACE_SIZE)
        *len = PCI_CONFIG_SPACE_SIZE - *addr;
}

uint32_t pci_bus_config_read(PCIBus *bus, int devfn, uint32_t addr, unsigned len)
{
    PCIDevice *d = pci_bus_device(bus, devfn);
    if (!d)
        return ones(len);
    config_access_fix(&addr, &len);
    return d->config_read ? d->config_read(d, addr, len) : pci_default_config_read(d, addr, len);
}

void pci_bus_config_write(PCIBus *bus, int devfn, uint32_t addr, uint32_t val, unsigned len)
{
    PCIDevice *d = pci_bus_device(bus, devfn);
    if (!d)
        return;
    config_access_fix(&addr, &len);
    if (d->config_write)
        d->config_write(d, addr, val, len);
    else
        pci_default_config_write(d, addr, val, len);
}

/* ---- capabilities -------------------------------------------------------- */

int pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset, uint8_t size, Error **errp)
{
    if (size < 2) {
        error_setg(errp, "%s: capability %#x of %u bytes is too small", d->name, cap_id, size);
        return -1;
    }
    if (!offset) {
        for (unsigned o = PCI_CONFIG_HEADER_SIZE; o + size <= PCI_CONFIG_SPACE_SIZE; o += 4) {
            unsigned i = 0;
            while (i < size && !d->used[o + i])
                i++;
            if (i == size) {
                offset = (uint8_t)o;
                break;
            }
        }
        if (!offset) {
            error_setg(errp, "%s: no room for capability %#x (%u bytes) in config space",
                       d->name, cap_id, size);
            return -1;
        }
    } else {
        if ((offset & 3) || offset < PCI_CONFIG_HEADER_SIZE ||
            (unsigned)offset + size > PCI_CONFIG_SPACE_SIZE) {
            error_setg(errp, "%s: capability %#x at %#x: offset must be dword aligned, in "
                       "0x40-0xff and leave room for %u bytes", d->name, cap_id, offset, size);
            return -1;
        }
        for (unsigned i = 0; i < size; i++) {
            if (d->used[offset + i]) {
                error_setg(errp, "%s: capability %#x at %#x overlaps another one", d->name,
                           cap_id, offset);
                return -1;
            }
        }
    }
    memset(d->used + offset, 1, size);
    d->config[offset] = cap_id;
    d->config[offset + 1] = d->config[PCI_CAPABILITY_LIST];
    d->config[PCI_CAPABILITY_LIST] = offset;
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    return offset;
}

uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id)
{
    if (!(d->config[PCI_STATUS] & PCI_STATUS_CAP_LIST))
        return 0;
    uint8_t o = d->config[PCI_CAPABILITY_LIST] & ~3;
    /* At most 48 capabilities fit: bound the walk against a looped list. */
    for (int n = 0; o >= PCI_CONFIG_HEADER_SIZE && n < 48; n++) {
        if (d->config[o] == cap_id)
            return o;
        o = d->config[o + 1] & ~3;
    }
    return 0;
}

/* ---- DMA ----------------------------------------------------------------- */

static bool bus_master(PCIDevice *d)
{
    return d->bus && (pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER);
}

int pci_dma_read(PCIDevice *d, uint64_t addr, void *buf, uint64_t len)
{
    if (!bus_master(d)) {
        memset(buf, 0xff, len);
        return -1;
    }
    address_space_read(d->bus->m->as, addr, buf, len);
    return 0;
}

int pci_dma_write(PCIDevice *d, uint64_t addr, const void *buf, uint64_t len)
{
    if (!bus_master(d))
        return -1;
    address_space_write(d->bus->m->as, addr, buf, len);
    return 0;
}

/* ---- vmstate ------------------------------------------------------------- */

static int pci_device_post_load(void *opaque, int version_id)
{
    (void)version_id;
    PCIDevice *d = opaque;
    if (!d->bus)
        return 0;
    d->irq_level = d->irq_level != 0;
    pci_update_mappings(d);
    pci_bus_irq_refresh(d->bus);
    return 0;
}

const VMStateDescription vmstate_pci_device = {
    .name = "pci-device",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER(config, PCIDevice),
        VMSTATE_UINT8(irq_level, PCIDevice),
        VMSTATE_END
    },
    .post_load = pci_device_post_load,
};

/* ---- configuration mechanism #1 ------------------------------------------ */

#define CONFADD_ENABLE 0x80000000u
/* Bits 30:24 and 1:0 of CONFADD are reserved and read 0 (82441FX 3.2.1). */
#define CONFADD_MASK 0x80fffffcu

static uint64_t confadd_read(void *opaque, hwaddr off, unsigned size)
{
    PCIHost *h = opaque;
    if (size == 4)
        return h->config_addr;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t b = h->isa_ops && h->isa_ops->read
                         ? h->isa_ops->read(h->isa_opaque, off + i, 1) & 0xff : 0xff;
        v |= b << (8 * i);
    }
    return v;
}

static void confadd_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCIHost *h = opaque;
    if (size == 4) {
        h->config_addr = (uint32_t)val & CONFADD_MASK;
        return;
    }
    for (unsigned i = 0; i < size; i++)
        if (h->isa_ops && h->isa_ops->write)
            h->isa_ops->write(h->isa_opaque, off + i, (val >> (8 * i)) & 0xff, 1);
}

static const MemOps confadd_ops = {
    .read = confadd_read,
    .write = confadd_write,
    .valid = { 1, 4 },
    .impl = { 1, 4 },
};

/* The function CONFADD selects on bus 0, or -1. */
static int confadd_devfn(PCIHost *h)
{
    if (!(h->config_addr & CONFADD_ENABLE) || ((h->config_addr >> 16) & 0xff) != 0)
        return -1;
    return (h->config_addr >> 8) & 0xff;
}

static uint64_t confdata_read(void *opaque, hwaddr off, unsigned size)
{
    PCIHost *h = opaque;
    int devfn = confadd_devfn(h);
    if (devfn < 0)
        return ones(size);
    return pci_bus_config_read(h->bus, devfn, (h->config_addr & 0xfc) + (uint32_t)off, size);
}

static void confdata_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCIHost *h = opaque;
    int devfn = confadd_devfn(h);
    if (devfn < 0)
        return;
    pci_bus_config_write(h->bus, devfn, (h->config_addr & 0xfc) + (uint32_t)off, (uint32_t)val,
                         size);
}

static const MemOps confdata_ops = {
    .read = confdata_read,
    .write = confdata_write,
    .valid = { 1, 4 },
    .impl = { 1, 4 },
};

void pci_host_init(PCIHost *h, PCIBus *bus, IOPortSpace *io)
{
    memset(h, 0, sizeof(*h));
    h->bus = bus;
    h->io = io;
    h->addr_port = ioport_register(io, 0xcf8, 4, &confadd_ops, h, "pci-conf-addr");
    h->data_port = ioport_register(io, 0xcfc, 4, &confdata_ops, h, "pci-conf-data");
    bus->host = h;
}

void pci_host_destroy(PCIHost *h)
{
    if (!h->io)
        return;
    ioport_unregister(h->io, h->addr_port);
    ioport_unregister(h->io, h->data_port);
    if (h->bus && h->bus->host == h)
        h->bus->host = NULL;
    h->io = NULL;
}

void pci_host_set_isa_ops(PCIHost *h, const MemOps *ops, void *opaque)
{
    h->isa_ops = ops;
    h->isa_opaque = opaque;
}

/* ---- info pci ------------------------------------------------------------ */

static const char *class_name(uint16_t cls)
{
    static const struct { uint16_t cls; const char *name; } names[] = {
        { 0x0100, "SCSI controller" }, { 0x0101, "IDE controller" },
        { 0x0106, "SATA controller" }, { 0x0180, "Storage controller" },
        { 0x0200, "Ethernet controller" }, { 0x0300, "VGA controller" },
        { 0x0380, "Display controller" }, { 0x0401, "Audio controller" },
        { 0x0403, "Audio controller" }, { 0x0600, "Host bridge" },
        { 0x0601, "ISA bridge" }, { 0x0604, "PCI bridge" }, { 0x0680, "Bridge" },
        { 0x0c03, "USB controller" }, { 0x0c05, "SMBus" }, { 0x00ff, "Class 00ff" },
    };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(names); i++)
        if (names[i].cls == cls)
            return names[i].name;
    return NULL;
}

void pci_print_info(FILE *f, PCIBus *bus)
{
    for (int devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
        PCIDevice *d = bus->devs[devfn];
        if (!d)
            continue;
        const uint8_t *c = d->config;
        uint16_t cls = pci_get_word(c + PCI_CLASS_DEVICE);
        fprintf(f, "  Bus  0, device %3d, function %d:\n", PCI_SLOT(devfn), PCI_FUNC(devfn));
        const char *cn = class_name(cls);
        if (cn)
            fprintf(f, "    %s: ", cn);
        else
            fprintf(f, "    Class %04x: ", cls);
        fprintf(f, "PCI device %04x:%04x\n", pci_get_word(c + PCI_VENDOR_ID),
                pci_get_word(c + PCI_DEVICE_ID));
        if (pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID) || pci_get_word(c + PCI_SUBSYSTEM_ID))
            fprintf(f, "      PCI subsystem %04x:%04x\n",
                    pci_get_word(c + PCI_SUBSYSTEM_VENDOR_ID), pci_get_word(c + PCI_SUBSYSTEM_ID));
        if (c[PCI_INTERRUPT_PIN])
            fprintf(f, "      IRQ %d, pin %c\n", c[PCI_INTERRUPT_LINE],
                    'A' + c[PCI_INTERRUPT_PIN] - 1);
        for (int n = 0; n < PCI_NUM_REGIONS; n++) {
            const PCIBar *b = &d->bars[n];
            if (!b->mr)
                continue;
            fprintf(f, "      BAR%d: ", n);
            if (n != PCI_ROM_SLOT && (b->type & PCI_BAR_IO))
                fprintf(f, "I/O at ");
            else
                fprintf(f, "%s bit %smemory at ",
                        (n != PCI_ROM_SLOT && (b->type & PCI_BAR_MEM64)) ? "64" : "32",
                        (n != PCI_ROM_SLOT && (b->type & PCI_BAR_PREFETCH)) ? "prefetchable " : "");
            if (b->addr == PCI_BAR_UNMAPPED)
                fprintf(f, "(unmapped) [size 0x%llx].\n", (unsigned long long)b->size);
            else
                fprintf(f, "0x%llx [0x%llx].\n", (unsigned long long)b->addr,
                        (unsigned long long)(b->addr + b->size - 1));
        }
        fprintf(f, "      id \"%s\"\n", d->name);
    }
}
