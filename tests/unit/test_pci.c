/* hw/pci: config space rules, BAR sizing and mapping, ROM BAR, INTx,
 * capabilities, mechanism #1, DMA gating, vmstate. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "fake_pc.h"
#include "hw/pci.h"
#include "src/vmstate.h"

/* A fake device whose MMIO/IO BARs record accesses. */
typedef struct Fake {
    PCIDevice pci;
    uint8_t regs[0x1000];
    char trace[512];
    MemoryRegion *mmio, *io, *mem64, *rom;
} Fake;

static void trace(Fake *f, const char *fmt, unsigned a, unsigned b, unsigned long long v)
{
    size_t n = strlen(f->trace);
    snprintf(f->trace + n, sizeof(f->trace) - n, fmt, a, b, v);
}

static uint64_t fake_read(void *opaque, hwaddr off, unsigned size)
{
    Fake *f = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)f->regs[(off + i) & 0xfff] << (8 * i);
    trace(f, "r%u@%x;", size, (unsigned)off, 0);
    return v;
}

static void fake_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    Fake *f = opaque;
    for (unsigned i = 0; i < size; i++)
        f->regs[(off + i) & 0xfff] = (uint8_t)(val >> (8 * i));
    trace(f, "w%u@%x=%llx;", size, (unsigned)off, (unsigned long long)val);
}

static const MemOps fake_ops = { fake_read, fake_write, { 1, 4 }, { 1, 4 } };

static const PCIFunctionInfo fake_info = {
    .name = "fake",
    .vendor_id = 0x1234,
    .device_id = 0x5678,
    .revision = 0x07,
    .class_code = 0x020000,
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
    .interrupt_pin = 1,
    .status = PCI_STATUS_DEVSEL_MEDIUM,
};

static int fake_add(PCIBus *bus, Fake *f, int devfn)
{
    memset(f->trace, 0, sizeof(f->trace));
    for (int i = 0; i < (int)sizeof(f->regs); i++)
        f->regs[i] = (uint8_t)(i * 7 + 1);
    return pci_register_function(bus, &f->pci, devfn, &fake_info, f, NULL);
}

static uint32_t cfg_r(PCIBus *b, int devfn, uint32_t a, unsigned len)
{
    return pci_bus_config_read(b, devfn, a, len);
}

static void cfg_w(PCIBus *b, int devfn, uint32_t a, uint32_t v, unsigned len)
{
    pci_bus_config_write(b, devfn, a, v, len);
}

TEST(identity_and_read_only_fields)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    CHECK_EQ(fake_add(bus, &f, PCI_DEVFN(3, 0)), PCI_DEVFN(3, 0));
    int d = PCI_DEVFN(3, 0);
    CHECK_EQ(cfg_r(bus, d, 0, 4), 0x56781234);
    CHECK_EQ(cfg_r(bus, d, 8, 4), 0x02000007);
    CHECK_EQ(cfg_r(bus, d, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
    CHECK_EQ(cfg_r(bus, d, PCI_INTERRUPT_PIN, 1), 1);
    /* identity is read-only */
    cfg_w(bus, d, 0, 0xffffffff, 4);
    cfg_w(bus, d, 8, 0, 4);
    cfg_w(bus, d, PCI_INTERRUPT_PIN, 3, 1);
    cfg_w(bus, d, PCI_HEADER_TYPE, 0x80, 1);
    CHECK_EQ(cfg_r(bus, d, 0, 4), 0x56781234);
    CHECK_EQ(cfg_r(bus, d, 8, 4), 0x02000007);
    CHECK_EQ(cfg_r(bus, d, PCI_INTERRUPT_PIN, 1), 1);
    CHECK_EQ(cfg_r(bus, d, PCI_HEADER_TYPE, 1), 0);
    /* the command register keeps only its implemented bits */
    cfg_w(bus, d, PCI_COMMAND, 0xffff, 2);
    CHECK_EQ(cfg_r(bus, d, PCI_COMMAND, 2), 0x0547);
    /* writable scratch registers */
    cfg_w(bus, d, PCI_INTERRUPT_LINE, 0x0b, 1);
    cfg_w(bus, d, PCI_CACHE_LINE_SIZE, 0x10, 1);
    CHECK_EQ(cfg_r(bus, d, PCI_INTERRUPT_LINE, 1), 0x0b);
    CHECK_EQ(cfg_r(bus, d, PCI_CACHE_LINE_SIZE, 1), 0x10);
    /* device-specific space is read-only (0) unless the device opens it */
    cfg_w(bus, d, 0x40, 0xdeadbeef, 4);
    CHECK_EQ(cfg_r(bus, d, 0x40, 4), 0);
    f.pci.wmask[0x41] = 0xf0;
    cfg_w(bus, d, 0x40, 0xdeadbeef, 4);
    CHECK_EQ(cfg_r(bus, d, 0x40, 4), 0xb000);
    /* absent functions */
    CHECK_EQ(cfg_r(bus, PCI_DEVFN(4, 0), 0, 4), 0xffffffff);
    CHECK_EQ(cfg_r(bus, PCI_DEVFN(3, 1), 0, 2), 0xffff);
    CHECK_EQ(cfg_r(bus, PCI_DEVFN(3, 1), 2, 1), 0xff);
    /* a taken address is refused */
    Fake g;
    Error *err = NULL;
    CHECK_EQ(pci_register_function(bus, &g.pci, d, &fake_info, &g, &err), (uint64_t)-1);
    CHECK(err && strstr(err->msg, "03.0"));
    error_free(err);
    /* automatic placement takes the first free slot from 1 */
    CHECK_EQ(fake_add(bus, &g, PCI_DEVFN_AUTO), PCI_DEVFN(1, 0));
}

TEST(status_write_one_to_clear)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    /* the device records a received master abort and a parity error */
    pci_set_word(f.pci.config + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM |
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY);
    cfg_w(bus, 8, PCI_STATUS, 0, 2);       /* writing 0 changes nothing */
    CHECK_EQ(cfg_r(bus, 8, PCI_STATUS, 2), 0xa200);
    cfg_w(bus, 8, PCI_STATUS, 0x2000 | 0x0200 | 0x0010, 2); /* RO bits are not cleared */
    CHECK_EQ(cfg_r(bus, 8, PCI_STATUS, 2), 0x8200);
    /* a dword write to command also clears status bits in the upper half */
    cfg_w(bus, 8, PCI_COMMAND, 0x80000002, 4);
    CHECK_EQ(cfg_r(bus, 8, PCI_COMMAND, 4), 0x02000002);
}

TEST(bar_sizing)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    f.io = memory_region_new_mmio("fake-io", 32, &fake_ops, &f, &f);
    f.mmio = memory_region_new_mmio("fake-mmio", 0x1000, &fake_ops, &f, &f);
    f.mem64 = memory_region_new_mmio("fake-64", 0x100000, &fake_ops, &f, &f);
    pci_register_bar(&f.pci, 0, PCI_BAR_IO, f.io);
    pci_register_bar(&f.pci, 1, PCI_BAR_MEM32, f.mmio);
    pci_register_bar(&f.pci, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, f.mem64);
    CHECK_EQ(cfg_r(bus, 8, 0x10, 4), 0x1);
    CHECK_EQ(cfg_r(bus, 8, 0x14, 4), 0x0);
    CHECK_EQ(cfg_r(bus, 8, 0x18, 4), 0xc);
    for (uint32_t a = 0x10; a < 0x28; a += 4)
        cfg_w(bus, 8, a, 0xffffffff, 4);
    CHECK_EQ(cfg_r(bus, 8, 0x10, 4), 0xffffffe1);
    CHECK_EQ(cfg_r(bus, 8, 0x14, 4), 0xfffff000);
    CHECK_EQ(cfg_r(bus, 8, 0x18, 4), 0xfff0000c);
    CHECK_EQ(cfg_r(bus, 8, 0x1c, 4), 0xffffffff);
    CHECK_EQ(cfg_r(bus, 8, 0x20, 4), 0); /* unimplemented BARs stay 0 */
    /* size as firmware computes it */
    CHECK_EQ((~(cfg_r(bus, 8, 0x10, 4) & ~3u)) + 1, 32);
    CHECK_EQ((~(cfg_r(bus, 8, 0x14, 4) & ~15u)) + 1, 0x1000);
    uint64_t v64 = (uint64_t)cfg_r(bus, 8, 0x1c, 4) << 32 | (cfg_r(bus, 8, 0x18, 4) & ~15u);
    CHECK_EQ(~v64 + 1, 0x100000);
    /* sizing with decoding off maps nothing */
    CHECK_EQ(pci_bar_address(&f.pci, 1), PCI_BAR_UNMAPPED);
}

TEST(bar_mapping_follows_command_register)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    f.io = memory_region_new_mmio("fake-io", 32, &fake_ops, &f, &f);
    f.mmio = memory_region_new_mmio("fake-mmio", 0x1000, &fake_ops, &f, &f);
    pci_register_bar(&f.pci, 0, PCI_BAR_IO, f.io);
    pci_register_bar(&f.pci, 1, PCI_BAR_MEM32, f.mmio);
    cfg_w(bus, 8, 0x10, 0xc001, 4);
    cfg_w(bus, 8, 0x14, 0xfebf0000, 4);
    AddressSpace *as = pc->m.as;
    /* decoding off: nothing there */
    CHECK_EQ(address_space_ldl_le(as, 0xfebf0010), 0xffffffff);
    CHECK_EQ(ioport_read(pc->m.io, 0xc004, 1), 0xff);
    CHECK_STR(f.trace, "");
    /* memory on: the MMIO BAR answers with its own offset */
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_EQ(pci_bar_address(&f.pci, 1), 0xfebf0000);
    CHECK_EQ(address_space_ldl_le(as, 0xfebf0010), ld32_le(f.regs + 0x10));
    CHECK_STR(f.trace, "r4@10;");
    address_space_stl_le(as, 0xfebf0020, 0xcafe);
    CHECK_STR(f.trace, "r4@10;w4@20=cafe;");
    CHECK_EQ(ioport_read(pc->m.io, 0xc004, 1), 0xff); /* I/O still off */
    /* I/O on as well */
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    f.trace[0] = 0;
    ioport_write(pc->m.io, 0xc01f, 0x5a, 1);
    CHECK_STR(f.trace, "w1@1f=5a;");
    CHECK_EQ(ioport_read(pc->m.io, 0xc01f, 1), 0x5a);
    CHECK_EQ(ioport_read(pc->m.io, 0xc020, 1), 0xff); /* past the 32-byte BAR */
    /* moving the BAR unmaps the old place */
    cfg_w(bus, 8, 0x14, 0xfebe0000, 4);
    CHECK_EQ(address_space_ldl_le(as, 0xfebf0020), 0xffffffff);
    CHECK_EQ(address_space_ldl_le(as, 0xfebe0020), 0xcafe);
    /* memory off again */
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_IO, 2);
    CHECK_EQ(address_space_ldl_le(as, 0xfebe0020), 0xffffffff);
    CHECK_EQ(pci_bar_address(&f.pci, 1), PCI_BAR_UNMAPPED);
    CHECK_EQ(ioport_read(pc->m.io, 0xc01f, 1), 0x5a);
    /* an I/O BAR left all ones by sizing is outside the 64 KiB port space */
    cfg_w(bus, 8, 0x10, 0xffffffff, 4);
    CHECK_EQ(pci_bar_address(&f.pci, 0), PCI_BAR_UNMAPPED);
    CHECK_EQ(ioport_read(pc->m.io, 0xffe1, 1), 0xff);
    /* reset: BARs back to 0 and unmapped */
    cfg_w(bus, 8, 0x10, 0xc001, 4);
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    CHECK_EQ(ioport_read(pc->m.io, 0xc01f, 1), 0x5a);
    pci_device_reset(&f.pci);
    CHECK_EQ(cfg_r(bus, 8, 0x10, 4), 1);
    CHECK_EQ(cfg_r(bus, 8, PCI_COMMAND, 2), 0);
    CHECK_EQ(ioport_read(pc->m.io, 0xc01f, 1), 0xff);
    CHECK_EQ(address_space_ldl_le(as, 0xfebe0020), 0xffffffff);
}

TEST(bar_64bit_above_4g)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    f.mem64 = memory_region_new_mmio("fake-64", 0x4000, &fake_ops, &f, &f);
    pci_register_bar(&f.pci, 2, PCI_BAR_MEM64, f.mem64);
    cfg_w(bus, 8, 0x18, 0x80000000, 4);
    cfg_w(bus, 8, 0x1c, 0x8, 4);
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_EQ(pci_bar_address(&f.pci, 2), 0x880000000ull);
    CHECK_EQ(address_space_ldub(pc->m.as, 0x880000003ull), f.regs[3]);
    CHECK_EQ(address_space_ldub(pc->m.as, 0x80000003ull), 0xff);
}

TEST(rom_bar)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    f.rom = memory_region_new_rom("fake.rom", 0x10000, &f, NULL);
    uint8_t *p = memory_region_get_ram_ptr(f.rom);
    p[0] = 0x55;
    p[1] = 0xaa;
    p[2] = 0x80;
    pci_register_bar(&f.pci, PCI_ROM_SLOT, 0, f.rom);
    CHECK_EQ(cfg_r(bus, 8, PCI_ROM_ADDRESS, 4), 0);
    cfg_w(bus, 8, PCI_ROM_ADDRESS, 0xfffffffe, 4); /* sizing without enable */
    CHECK_EQ(cfg_r(bus, 8, PCI_ROM_ADDRESS, 4), 0xffff0000);
    cfg_w(bus, 8, PCI_ROM_ADDRESS, 0xfeb80000, 4);
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    /* memory decoding alone does not enable the ROM */
    CHECK_EQ(address_space_lduw_le(pc->m.as, 0xfeb80000), 0xffff);
    cfg_w(bus, 8, PCI_ROM_ADDRESS, 0xfeb80001, 4);
    CHECK_EQ(cfg_r(bus, 8, PCI_ROM_ADDRESS, 4), 0xfeb80001);
    CHECK_EQ(address_space_lduw_le(pc->m.as, 0xfeb80000), 0xaa55);
    CHECK_EQ(address_space_ldub(pc->m.as, 0xfeb80002), 0x80);
    address_space_stb(pc->m.as, 0xfeb80002, 0x11); /* ROM: write ignored */
    CHECK_EQ(address_space_ldub(pc->m.as, 0xfeb80002), 0x80);
    cfg_w(bus, 8, PCI_ROM_ADDRESS, 0xfeb80000, 4);
    CHECK_EQ(address_space_lduw_le(pc->m.as, 0xfeb80000), 0xffff);
}

TEST(config_mechanism_1)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    PCIHost host;
    pci_host_init(&host, bus, pc->m.io);
    CHECK(pci_bus_host(bus) == &host);
    Fake f;
    fake_add(bus, &f, PCI_DEVFN(2, 0));
    IOPortSpace *io = pc->m.io;
    /* SeaBIOS's probe: CONFADD reads back; reserved bits read 0 */
    ioport_write(io, 0xcf8, 0x80000000, 4);
    CHECK_EQ(ioport_read(io, 0xcf8, 4), 0x80000000);
    ioport_write(io, 0xcf8, 0xffffffff, 4);
    CHECK_EQ(ioport_read(io, 0xcf8, 4), 0x80fffffc);
    /* 00:02.0 register 0 */
    ioport_write(io, 0xcf8, 0x80001000, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0x56781234);
    CHECK_EQ(ioport_read(io, 0xcfe, 2), 0x5678);
    CHECK_EQ(ioport_read(io, 0xcfd, 1), 0x12);
    /* register 8: byte lanes select the byte */
    ioport_write(io, 0xcf8, 0x80001008, 4);
    CHECK_EQ(ioport_read(io, 0xcfb + 4, 1), 0x02);
    ioport_write(io, 0xcf8, 0x8000103c, 4);
    ioport_write(io, 0xcfc, 0x0a, 1);
    CHECK_EQ(f.pci.config[PCI_INTERRUPT_LINE], 0x0a);
    /* command via the upper byte lane of register 4 */
    ioport_write(io, 0xcf8, 0x80001004, 4);
    ioport_write(io, 0xcfc, 0x0003, 2);
    CHECK_EQ(pci_get_word(f.pci.config + PCI_COMMAND), 3);
    /* an absent device, another bus, the enable bit clear */
    ioport_write(io, 0xcf8, 0x80001800, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0xffffffff);
    ioport_write(io, 0xcf8, 0x80011000, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0xffffffff);
    ioport_write(io, 0xcf8, 0x00001000, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0xffffffff);
    ioport_write(io, 0xcfc, 0, 4); /* ignored */
    CHECK_EQ(pci_get_word(f.pci.config + PCI_COMMAND), 3);
    /* byte accesses to 0xcf8-0xcfb do not touch CONFADD */
    ioport_write(io, 0xcf8, 0x80001000, 4);
    ioport_write(io, 0xcf9, 0x00, 1);
    ioport_write(io, 0xcf8, 0x1234, 2);
    CHECK_EQ(ioport_read(io, 0xcf8, 4), 0x80001000);
    CHECK_EQ(ioport_read(io, 0xcf9, 1), 0xff);
    pci_host_destroy(&host);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0xffffffff);
}

static int line_levels[PCI_NUM_PINS], line_calls;

static void record_line(void *opaque, int line, int level)
{
    (void)opaque;
    line_levels[line] = level;
    line_calls++;
}

TEST(intx_shared_lines)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    pci_bus_set_irq_handler(bus, NULL, record_line, NULL);
    Fake a, b, c;
    fake_add(bus, &a, PCI_DEVFN(1, 0)); /* INTA#, slot 1 -> line 0 */
    fake_add(bus, &b, PCI_DEVFN(5, 0)); /* INTA#, slot 5 -> line 0 */
    fake_add(bus, &c, PCI_DEVFN(2, 0)); /* INTA#, slot 2 -> line 1 */
    CHECK_EQ(pci_map_irq_piix(&a.pci, 0), 0);
    CHECK_EQ(pci_map_irq_piix(&b.pci, 0), 0);
    CHECK_EQ(pci_map_irq_piix(&c.pci, 0), 1);
    CHECK_EQ(pci_map_irq_piix(&c.pci, 3), 0); /* INTD# of slot 2 */
    CHECK_EQ(pci_map_irq_piix(&a.pci, 1), 1);
    pci_set_irq(&a.pci, 1);
    CHECK_EQ(line_levels[0], 1);
    CHECK_EQ(pci_bus_irq_level(bus, 0), 1);
    CHECK(a.pci.config[PCI_STATUS] & PCI_STATUS_INTERRUPT);
    pci_set_irq(&b.pci, 1);
    pci_set_irq(&a.pci, 0);
    CHECK_EQ(line_levels[0], 1);     /* b still holds it */
    CHECK(!(a.pci.config[PCI_STATUS] & PCI_STATUS_INTERRUPT));
    pci_set_irq(&c.pci, 1);
    CHECK_EQ(line_levels[1], 1);
    pci_set_irq(&b.pci, 0);
    CHECK_EQ(line_levels[0], 0);
    CHECK_EQ(pci_bus_irq_level(bus, 1), 1);
    /* INTx disable masks the line but not the status bit */
    int calls = line_calls;
    cfg_w(bus, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    CHECK_EQ(line_levels[1], 0);
    CHECK(c.pci.config[PCI_STATUS] & PCI_STATUS_INTERRUPT);
    pci_set_irq(&c.pci, 1); /* repeated level: no new call */
    CHECK_EQ(line_calls, calls + 1);
    cfg_w(bus, PCI_DEVFN(2, 0), PCI_COMMAND, 0, 2);
    CHECK_EQ(line_levels[1], 1);
    /* reset deasserts */
    pci_device_reset(&c.pci);
    CHECK_EQ(line_levels[1], 0);
    CHECK_EQ(pci_bus_irq_level(bus, 1), 0);
    /* unregistering an asserting function releases its line; later calls are harmless */
    pci_set_irq(&b.pci, 1);
    CHECK_EQ(line_levels[0], 1);
    pci_unregister_function(&b.pci);
    CHECK_EQ(line_levels[0], 0);
    CHECK(pci_bus_device(bus, PCI_DEVFN(5, 0)) == NULL);
    pci_set_irq(&b.pci, 1);
    CHECK_EQ(line_levels[0], 0);
}

TEST(capabilities)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    CHECK_EQ(pci_find_capability(&f.pci, PCI_CAP_ID_MSI), 0);
    CHECK(!(cfg_r(bus, 8, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST));
    CHECK_EQ(pci_add_capability(&f.pci, PCI_CAP_ID_PM, 0, 8, NULL), 0x40);
    CHECK_EQ(pci_add_capability(&f.pci, PCI_CAP_ID_MSI, 0, 14, NULL), 0x48);
    CHECK_EQ(pci_add_capability(&f.pci, PCI_CAP_ID_VNDR, 0x80, 4, NULL), 0x80);
    CHECK(cfg_r(bus, 8, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    /* list: head 0x80 -> 0x48 -> 0x40 -> end */
    CHECK_EQ(cfg_r(bus, 8, PCI_CAPABILITY_LIST, 1), 0x80);
    CHECK_EQ(cfg_r(bus, 8, 0x80, 2), 0x4809);
    CHECK_EQ(cfg_r(bus, 8, 0x48, 2), 0x4005);
    CHECK_EQ(cfg_r(bus, 8, 0x40, 2), 0x0001);
    CHECK_EQ(pci_find_capability(&f.pci, PCI_CAP_ID_MSI), 0x48);
    CHECK_EQ(pci_find_capability(&f.pci, PCI_CAP_ID_PM), 0x40);
    CHECK_EQ(pci_find_capability(&f.pci, PCI_CAP_ID_MSIX), 0);
    /* the list is read-only to the guest */
    cfg_w(bus, 8, PCI_CAPABILITY_LIST, 0, 1);
    CHECK_EQ(pci_find_capability(&f.pci, PCI_CAP_ID_PM), 0x40);
    Error *err = NULL;
    CHECK_EQ(pci_add_capability(&f.pci, PCI_CAP_ID_MSIX, 0x4c, 12, &err), (uint64_t)-1);
    CHECK(err && strstr(err->msg, "overlaps"));
    error_free(err);
    err = NULL;
    CHECK_EQ(pci_add_capability(&f.pci, PCI_CAP_ID_MSIX, 0x20, 12, &err), (uint64_t)-1);
    error_free(err);
}

TEST(dma_needs_bus_master)
{
    FakePC *pc = fake_pc_new();
    fake_pc_add_ram(pc, 0x10000);
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, 8);
    uint8_t buf[4] = { 1, 2, 3, 4 }, rd[4];
    CHECK_EQ(pci_dma_write(&f.pci, 0x100, buf, 4), (uint64_t)-1);
    CHECK_EQ(address_space_ldl_le(pc->m.as, 0x100), 0);
    CHECK_EQ(pci_dma_read(&f.pci, 0x100, rd, 4), (uint64_t)-1);
    CHECK_EQ(rd[0], 0xff);
    cfg_w(bus, 8, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    CHECK_EQ(pci_dma_write(&f.pci, 0x100, buf, 4), 0);
    CHECK_EQ(address_space_ldl_le(pc->m.as, 0x100), 0x04030201);
    CHECK_EQ(pci_dma_read(&f.pci, 0x101, rd, 2), 0);
    CHECK_EQ(rd[0], 2);
    CHECK_EQ(rd[1], 3);
}

typedef struct FakeState {
    Fake f;
} FakeState;

static const VMStateDescription vmstate_fake = {
    .name = "fake-pci",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(f.pci, FakeState, vmstate_pci_device),
        VMSTATE_END
    },
};

TEST(vmstate_restores_mappings_and_irq)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    pci_bus_set_irq_handler(bus, NULL, record_line, NULL);
    FakeState st;
    fake_add(bus, &st.f, PCI_DEVFN(2, 0));
    st.f.mmio = memory_region_new_mmio("fake-mmio", 0x1000, &fake_ops, &st.f, &st.f);
    pci_register_bar(&st.f.pci, 1, PCI_BAR_MEM32, st.f.mmio);
    cfg_w(bus, PCI_DEVFN(2, 0), 0x14, 0xfe000000, 4);
    cfg_w(bus, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    pci_set_irq(&st.f.pci, 1);
    vmstate_register("fake-pci", 0, &vmstate_fake, &st);
    VMStream *out = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(out, NULL), 0);
    pci_device_reset(&st.f.pci);
    CHECK_EQ(line_levels[1], 0);
    CHECK_EQ(address_space_ldub(pc->m.as, 0xfe000001), 0xff);
    size_t len;
    const uint8_t *data = vmstate_stream_data(out, &len);
    VMStream *in = vmstate_mem_stream_open(data, len);
    Error *err = NULL;
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(address_space_ldub(pc->m.as, 0xfe000001), st.f.regs[1]);
    CHECK_EQ(line_levels[1], 1);
    CHECK_EQ(pci_bus_irq_level(bus, 1), 1);
}

TEST(info_pci)
{
    FakePC *pc = fake_pc_new();
    PCIBus *bus = pci_bus_new(&pc->m, NULL, NULL);
    Fake f;
    fake_add(bus, &f, PCI_DEVFN(3, 0));
    f.io = memory_region_new_mmio("fake-io", 32, &fake_ops, &f, &f);
    pci_register_bar(&f.pci, 0, PCI_BAR_IO, f.io);
    cfg_w(bus, PCI_DEVFN(3, 0), 0x10, 0xc041, 4);
    cfg_w(bus, PCI_DEVFN(3, 0), PCI_COMMAND, PCI_COMMAND_IO, 2);
    cfg_w(bus, PCI_DEVFN(3, 0), PCI_INTERRUPT_LINE, 11, 1);
    char out[1024] = { 0 };
    FILE *fp = fmemopen(out, sizeof(out) - 1, "w");
    pci_print_info(fp, bus);
    fclose(fp);
    CHECK(strstr(out, "Bus  0, device   3, function 0:"));
    CHECK(strstr(out, "Ethernet controller: PCI device 1234:5678"));
    CHECK(strstr(out, "IRQ 11, pin A"));
    CHECK(strstr(out, "BAR0: I/O at 0xc040 [0xc05f]."));
    CHECK(pci_bus_find(&pc->m) == bus);
}
