/* hw/pci_testdev.c: identity, BARs, the header window and the counters. */
#include "unit.h"

#include "fake_pc.h"
#include "hw/pci.h"
#include "src/device.h"

static uint32_t cfg_r(PCIBus *b, int devfn, uint32_t a, unsigned len)
{
    return pci_bus_config_read(b, devfn, a, len);
}

static void cfg_w(PCIBus *b, int devfn, uint32_t a, uint32_t v, unsigned len)
{
    pci_bus_config_write(b, devfn, a, v, len);
}

#define MEM 0xfe000000u
#define IO 0xc000u

/* The header byte at off of the BAR (mem or I/O). */
static uint32_t hdr8(FakePC *pc, int io, uint32_t off)
{
    return io ? (uint32_t)ioport_read(pc->m.io, IO + off, 1)
              : address_space_ldub(pc->m.as, MEM + off);
}

static uint32_t hdr32(FakePC *pc, int io, uint32_t off)
{
    return io ? (uint32_t)ioport_read(pc->m.io, IO + off, 4) : address_space_ldl_le(pc->m.as, MEM + off);
}

static void bar_w8(FakePC *pc, int io, uint32_t off, uint8_t v)
{
    if (io)
        ioport_write(pc->m.io, IO + off, v, 1);
    else
        address_space_write(pc->m.as, MEM + off, &v, 1);
}

TEST(identity_bars_tests_and_counts)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Error *err = NULL;
    CHECK(device_create(&pc->m, "pci-testdev", "", &err) != NULL);
    int devfn = PCI_DEVFN(1, 0);                /* the first free slot */
    CHECK_EQ(cfg_r(bus, devfn, 0, 4), 0x00051b36);
    CHECK_EQ(cfg_r(bus, devfn, 8, 4), 0x00ff0000); /* class 00ff (others), revision 0 */
    /* BAR sizes: 4 KiB memory, 256 bytes of I/O, nothing else */
    cfg_w(bus, devfn, 0x10, 0xffffffff, 4);
    cfg_w(bus, devfn, 0x14, 0xffffffff, 4);
    cfg_w(bus, devfn, 0x18, 0xffffffff, 4);
    CHECK_EQ(cfg_r(bus, devfn, 0x10, 4), 0xfffff000);
    CHECK_EQ(cfg_r(bus, devfn, 0x14, 4), 0xffffff01);
    CHECK_EQ(cfg_r(bus, devfn, 0x18, 4), 0);
    cfg_w(bus, devfn, 0x10, MEM, 4);
    cfg_w(bus, devfn, 0x14, IO, 4);
    cfg_w(bus, devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    /* nothing selected yet: zeros */
    CHECK_EQ(hdr32(pc, 0, 4), 0);
    for (int io = 0; io < 2; io++) {
        for (uint8_t t = 0; t < 3; t++) {
            bar_w8(pc, io, 0, t);
            CHECK_EQ(hdr8(pc, io, 1), 1);               /* byte accesses */
            uint32_t off = hdr32(pc, io, 4), data = hdr32(pc, io, 8);
            CHECK_EQ(off, (io ? 128u : 2048u) + 3u * (unsigned)io + t);
            CHECK_EQ(data, t == 1 ? 0xceu : 0xfau);
            CHECK_EQ(hdr32(pc, io, 12), 0);
            char name[32];
            for (uint32_t i = 0; i < sizeof(name); i++)
                name[i] = (char)hdr8(pc, io, 16 + i);
            name[31] = 0;
            static const char *const names[2][3] = {
                { "mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd" },
                { "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd" } };
            CHECK_STR(name, names[io][t]);
            bar_w8(pc, io, off, (uint8_t)data);
            bar_w8(pc, io, off, (uint8_t)data);
            bar_w8(pc, io, off, (uint8_t)(data ^ 1));   /* not the data: never counts */
            bar_w8(pc, io, off + 1, (uint8_t)data);     /* another address: never */
            /* only the no-eventfd test counts (the others absorb writes
             * without KVM, as QEMU's TCG) */
            CHECK_EQ(hdr32(pc, io, 12), t == 0 ? 2u : 0u);
        }
        /* selecting a test that does not exist deselects */
        bar_w8(pc, io, 0, 3);
        CHECK_EQ(hdr8(pc, io, 1), 0);
    }
    /* a new selection restarts the count */
    bar_w8(pc, 0, 0, 0);
    CHECK_EQ(hdr32(pc, 0, 12), 0);
}
