/*
 * pc-testdev: QEMU's x86 test device used by kvm-unit-tests.
 *   ports 0xe0-0xe3  a 32-bit scratch register (any width, any byte lane)
 *   ports 0xe8-0xeb  the same register, accessed one byte at a time
 *   port  0xe4       32-bit writes only: flush the page holding the address
 *   ports 0x2000+n   n = 0..23: a byte write sets IRQ line n to (value != 0)
 *                    (ISA IRQ n for n < 16, else the IO APIC's GSI n)
 *   0xff000000       64 KiB of memory-like MMIO (reads return what was written)
 */
#include <stdlib.h>
#include <string.h>

#include "hw/pc_testdev.h"
#include "src/device.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

#define TESTDEV_IOMEM_BASE 0xff000000u
#define TESTDEV_IOMEM_SIZE 0x10000u
#define TESTDEV_IRQS 24

void (*pc_testdev_flush_page_hook)(uint64_t page_addr);

typedef struct PCTestdevState {
    Device dev;
    Machine *m;
    MemoryRegion *port, *port_byte, *flush, *irq, *iomem;
    uint32_t data;
    uint8_t mem[TESTDEV_IOMEM_SIZE];
} PCTestdevState;

static uint64_t testdev_data_read(void *opaque, hwaddr off, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift = (unsigned)(off & 3) * 8;
    uint64_t mask = size >= 4 ? 0xffffffffu : ((1u << (size * 8)) - 1);
    return (s->data >> shift) & mask;
}

static void testdev_data_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift = (unsigned)(off & 3) * 8;
    uint32_t mask = (uint32_t)((size >= 4 ? 0xffffffffu : ((1u << (size * 8)) - 1)) << shift);
    s->data = (s->data & ~mask) | ((uint32_t)(val << shift) & mask);
}

static const MemOps testdev_data_ops = {
    .read = testdev_data_read, .write = testdev_data_write, .valid = { 1, 4 }, .impl = { 1, 4 },
};
static const MemOps testdev_data_byte_ops = {
    .read = testdev_data_read, .write = testdev_data_write, .valid = { 1, 4 }, .impl = { 1, 1 },
};

static void testdev_flush_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    uint64_t page = val & ~(uint64_t)0xfff;
    if (pc_testdev_flush_page_hook)
        pc_testdev_flush_page_hook(page);
}

static const MemOps testdev_flush_ops = {
    .write = testdev_flush_write, .valid = { 4, 4 }, .impl = { 4, 4 },
};

static void testdev_irq_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned n = (unsigned)off;
    IRQLine *line = n < MACHINE_ISA_IRQS ? s->m->isa_irq[n] : s->m->gsi[n];
    irq_set(line, val != 0);
}

static const MemOps testdev_irq_ops = {
    .write = testdev_irq_write, .valid = { 1, 1 }, .impl = { 1, 1 },
};

static uint64_t testdev_mem_read(void *opaque, hwaddr off, unsigned size)
{
    PCTestdevState *s = opaque;
    switch (size) {
    case 1: return s->mem[off];
    case 2: return ld16_le(s->mem + off);
    default: return ld32_le(s->mem + off);
    }
}

static void testdev_mem_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    switch (size) {
    case 1: s->mem[off] = (uint8_t)val; break;
    case 2: st16_le(s->mem + off, (uint16_t)val); break;
    default: st32_le(s->mem + off, (uint32_t)val); break;
    }
}

static const MemOps testdev_mem_ops = {
    .read = testdev_mem_read, .write = testdev_mem_write, .valid = { 1, 8 }, .impl = { 1, 4 },
};

static int testdev_realize(Device *dev, Machine *m, Error **errp)
{
    PCTestdevState *s = (PCTestdevState *)dev;
    s->m = m;
    s->port = ioport_register(m->io, 0xe0, 4, &testdev_data_ops, s, "pc-testdev-ioport");
    s->flush = ioport_register(m->io, 0xe4, 4, &testdev_flush_ops, s, "pc-testdev-flush-page");
    s->port_byte = ioport_register(m->io, 0xe8, 4, &testdev_data_byte_ops, s,
                                   "pc-testdev-ioport-byte");
    s->irq = ioport_register(m->io, 0x2000, TESTDEV_IRQS, &testdev_irq_ops, s,
                             "pc-testdev-irq-line");
    s->iomem = memory_region_new_mmio("pc-testdev-iomem", TESTDEV_IOMEM_SIZE, &testdev_mem_ops,
                                      s, s);
    memory_region_add_subregion(m->sysmem, TESTDEV_IOMEM_BASE, s->iomem, 0);
    return 0;
}

static void testdev_unrealize(Device *dev)
{
    PCTestdevState *s = (PCTestdevState *)dev;
    ioport_unregister(s->m->io, s->port);
    ioport_unregister(s->m->io, s->flush);
    ioport_unregister(s->m->io, s->port_byte);
    ioport_unregister(s->m->io, s->irq);
    memory_region_free(s->iomem);
}

static const VMStateDescription testdev_vmsd = {
    .name = "pc-testdev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(data, PCTestdevState),
        VMSTATE_BUFFER(mem, PCTestdevState),
        VMSTATE_END
    },
};

const DeviceClass pc_testdev_class = {
    .name = "pc-testdev",
    .desc = "kvm-unit-tests test device",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(PCTestdevState),
    .user_creatable = true,
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .vmsd = &testdev_vmsd,
};
