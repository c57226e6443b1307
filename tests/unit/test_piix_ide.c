/* hw/piix_ide: PCI identity, legacy port decode, IRQ 14/15, bus-master
 * DMA through PRD tables (several regions, odd sizes, EOT, short and long
 * tables, bus errors), ATAPI DMA, timing registers, vmstate. */
#include "unit.h"
#include "fake_pc.h"
#include "ide_rig.h"

#include "hw/piix3.h"
#include "hw/piix_ide.h"
#include "src/vmstate.h"

#define BMBASE 0xc000
#define PRDT 0x1000

typedef struct Rig {
    FakePC *pc;
    PCIBus *bus;
    PIIXIDEState *s;
    IOPortSpace *io;
} Rig;

static void cfg_w(Rig *r, uint32_t a, uint32_t v, unsigned len)
{
    pci_bus_config_write(r->bus, PIIX3_IDE_DEVFN, a, v, len);
}

static uint32_t cfg_r(Rig *r, uint32_t a, unsigned len)
{
    return pci_bus_config_read(r->bus, PIIX3_IDE_DEVFN, a, len);
}

/* Primary master: 4 MiB pattern disk; secondary master: a 100-block CD. */
static int rig_init(Rig *r, bool enable)
{
    memset(r, 0, sizeof(*r));
    r->pc = fake_pc_new();
    fake_pc_add_ram(r->pc, 4 << 20);
    r->bus = pci_bus_new(&r->pc->m, NULL, NULL);
    r->io = r->pc->m.io;
    BlockBackend *hd = rig_image("raw", "hd.img", 4 << 20, 4 << 20, false);
    BlockBackend *cd = rig_image("raw", "cd.iso", 100 * 2048, 100 * 2048, true);
    if (!hd || !cd)
        return -1;
    BlockBackend *drives[4] = { hd, NULL, cd, NULL };
    bool is_cd[4] = { false, false, true, false };
    Error *err = NULL;
    r->s = piix_ide_init(&r->pc->m, r->bus, drives, is_cd, NULL, &err);
    if (!r->s) {
        error_report_err(err);
        return -1;
    }
    if (enable) {
        /* What SeaBIOS does: I/O and bus master on, BAR4, both channels decoded. */
        cfg_w(r, PCI_BASE_ADDRESS_0 + 16, BMBASE, 4);
        cfg_w(r, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
        cfg_w(r, PIIX_IDE_IDETIM, 0x8000, 2);
        cfg_w(r, PIIX_IDE_IDETIM + 2, 0x8000, 2);
    }
    fake_pc_clear_lines(r->pc);
    return 0;
}

static void rig_free(Rig *r)
{
    piix_ide_free(r->s);
    pci_bus_free(r->bus);
}

static uint8_t inb(Rig *r, uint16_t p) { return (uint8_t)ioport_read(r->io, p, 1); }
static void outb(Rig *r, uint16_t p, uint8_t v) { ioport_write(r->io, p, v, 1); }

static void prd(Rig *r, int i, uint32_t addr, uint32_t len, bool eot)
{
    uint8_t e[8];
    st32_le(e, addr);
    st32_le(e + 4, (len & 0xffff) | (eot ? 0x80000000u : 0));
    address_space_write(r->pc->m.as, PRDT + 8 * (uint32_t)i, e, 8);
}

/* Run the loop until the channel's bus-master interrupt bit is set. */
static bool wait_bm_int(Rig *r, int ch)
{
    int64_t end = host_clock_monotonic_ns() + 5 * NS_PER_SEC;
    while (!(inb(r, (uint16_t)(BMBASE + 8 * ch + BM_STATUS)) & BM_ST_INT)) {
        if (host_clock_monotonic_ns() > end)
            return false;
        mainloop_wait(10 * NS_PER_MS);
    }
    return true;
}

/* The loop runs until nothing is left to do (for "nothing happens" checks). */
static void settle(Rig *r)
{
    for (int ch = 0; ch < 2; ch++)
        ide_bus_drain(piix_ide_bus(r->s, ch));
    for (int i = 0; i < 5; i++)
        mainloop_wait(NS_PER_MS);
}

static int check_ram_pattern(Rig *r, uint32_t addr, uint64_t disk_off, uint32_t len)
{
    uint8_t *b = malloc(len);
    address_space_read(r->pc->m.as, addr, b, len);
    int bad = 0;
    for (uint32_t k = 0; k < len && !bad; k++)
        if (b[k] != pat((disk_off + k) / 512, (unsigned)((disk_off + k) % 512)))
            bad = (int)k + 1;
    free(b);
    return bad;
}

TEST(identity_bar_and_timing_registers)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    CHECK_EQ(cfg_r(&r, PCI_VENDOR_ID, 4), 0x70108086);
    CHECK_EQ(cfg_r(&r, PCI_REVISION_ID, 4) >> 8, 0x010180);
    CHECK_EQ(cfg_r(&r, PCI_HEADER_TYPE, 1), 0);
    CHECK_EQ(cfg_r(&r, PCI_INTERRUPT_PIN, 1), 0);
    CHECK_EQ(cfg_r(&r, PCI_COMMAND, 2), 0);
    for (uint32_t a = PCI_BASE_ADDRESS_0; a < PCI_BASE_ADDRESS_0 + 24; a += 4)
        cfg_w(&r, a, 0xffffffff, 4);
    CHECK_EQ(cfg_r(&r, PCI_BASE_ADDRESS_0, 4), 0);       /* BAR0-3: legacy mode, none */
    CHECK_EQ(cfg_r(&r, PCI_BASE_ADDRESS_0 + 16, 4), 0xfffffff1); /* 16 bytes of I/O */
    CHECK_EQ(cfg_r(&r, PCI_BASE_ADDRESS_0 + 20, 4), 0);
    /* IDETIM/SIDETIM keep what the driver writes. */
    cfg_w(&r, 0x40, 0xa307, 2);
    cfg_w(&r, 0x42, 0x8000, 2);
    cfg_w(&r, 0x44, 0x35, 1);
    CHECK_EQ(cfg_r(&r, 0x40, 4), 0x8000a307);
    CHECK_EQ(cfg_r(&r, 0x44, 1), 0x35);
    piix_ide_device(r.s)->cls->reset(piix_ide_device(r.s));
    CHECK_EQ(cfg_r(&r, 0x40, 4), 0);
    CHECK_EQ(cfg_r(&r, 0x44, 1), 0);
    /* The function is at 01.1. */
    CHECK(piix_ide_pci(r.s) == pci_bus_device(r.bus, PCI_DEVFN(1, 1)));
    CHECK_STR(piix3_ide_class.name, "piix3-ide");
    rig_free(&r);
}

TEST(legacy_decode_follows_command_and_idetim)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    CHECK_EQ(inb(&r, 0x1f7), 0xff);     /* nothing decodes yet */
    CHECK_EQ(inb(&r, 0x3f6), 0xff);
    cfg_w(&r, PCI_COMMAND, PCI_COMMAND_IO, 2);
    CHECK_EQ(inb(&r, 0x1f7), 0xff);
    cfg_w(&r, PIIX_IDE_IDETIM, 0x8000, 2);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(inb(&r, 0x3f6), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(inb(&r, 0x177), 0xff);     /* secondary still off */
    cfg_w(&r, PIIX_IDE_IDETIM + 2, 0x8000, 2);
    CHECK_EQ(inb(&r, 0x174), 0x14);     /* ATAPI signature */
    CHECK_EQ(inb(&r, 0x175), 0xeb);
    cfg_w(&r, PCI_COMMAND, 0, 2);
    CHECK_EQ(inb(&r, 0x1f7), 0xff);
    CHECK_EQ(inb(&r, 0x177), 0xff);
    /* The floppy's 0x3f7 is not ours. */
    cfg_w(&r, PCI_COMMAND, PCI_COMMAND_IO, 2);
    CHECK_EQ(inb(&r, 0x3f7), 0xff);
    rig_free(&r);
}

TEST(irq14_15_and_bm_interrupt_bit)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    FakeLine *isa = r.pc->isa;
    outb(&r, 0x1f6, 0xa0);
    outb(&r, 0x1f7, 0xec);
    CHECK(ide_wait(piix_ide_bus(r.s, 0)));
    CHECK_EQ(isa[14].level, 1);
    CHECK_EQ(isa[15].level, -1);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS) & BM_ST_INT, BM_ST_INT);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
    CHECK_EQ(isa[14].level, 0);
    /* The interrupt bit stays until written with 1. */
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS) & BM_ST_INT, BM_ST_INT);
    outb(&r, BMBASE + BM_STATUS, BM_ST_INT | BM_ST_DMA0);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_DMA0); /* capable bits are plain R/W */
    /* Secondary: IDENTIFY PACKET DEVICE on IRQ 15. */
    outb(&r, 0x176, 0xa0);
    outb(&r, 0x177, 0xa1);
    CHECK(ide_wait(piix_ide_bus(r.s, 1)));
    CHECK_EQ(isa[15].level, 1);
    CHECK_EQ(inb(&r, BMBASE + 8 + BM_STATUS) & BM_ST_INT, BM_ST_INT);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS) & BM_ST_INT, 0);
    /* PRD pointer: dword aligned, byte writable. */
    ioport_write(r.io, BMBASE + BM_PRDT, 0x12345677, 4);
    CHECK_EQ(ioport_read(r.io, BMBASE + BM_PRDT, 4), 0x12345674);
    outb(&r, BMBASE + BM_PRDT + 3, 0xab);
    CHECK_EQ(ioport_read(r.io, BMBASE + BM_PRDT, 4), 0xab345674);
    rig_free(&r);
}

/* Linux's order: table, direction, device command, then start. */
TEST(dma_read_several_prds)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    FakeLine *isa = r.pc->isa;
    /* 9 sectors = 4608 bytes over regions of odd sizes and places. */
    prd(&r, 0, 0x10000, 1000, false);
    prd(&r, 1, 0x20006, 24, false);
    prd(&r, 2, 0x30000, 2048, false);
    prd(&r, 3, 0x3fa00, 1536, true); /* ends exactly with the transfer */
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE);
    outb(&r, 0x1f6, 0xe0);
    outb(&r, 0x1f2, 9);
    outb(&r, 0x1f3, 33);
    outb(&r, 0x1f4, 0);
    outb(&r, 0x1f5, 0);
    outb(&r, 0x1f7, 0xc8); /* READ DMA */
    for (int i = 0; i < 3; i++)
        mainloop_wait(NS_PER_MS);
    /* Nothing moves before the engine starts. */
    CHECK_EQ(inb(&r, 0x3f6) & IDE_ST_BSY, IDE_ST_BSY);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), 0);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    CHECK(wait_bm_int(&r, 0));
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT); /* table used up: Active clear */
    CHECK_EQ(isa[14].level, 1);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE); /* ata_bmdma_stop */
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(isa[14].level, 0);
    uint64_t off = 33 * 512;
    CHECK_EQ(check_ram_pattern(&r, 0x10000, off, 1000), 0);
    CHECK_EQ(check_ram_pattern(&r, 0x20006, off + 1000, 24), 0);
    CHECK_EQ(check_ram_pattern(&r, 0x30000, off + 1024, 2048), 0);
    CHECK_EQ(check_ram_pattern(&r, 0x3fa00, off + 3072, 1536), 0);
    uint8_t edge[2];
    address_space_read(r.pc->m.as, 0x10000 + 1000, edge, 2); /* nothing past a region */
    CHECK_EQ(edge[0] | edge[1], 0);
    address_space_read(r.pc->m.as, 0x3fa00 + 1536, edge, 2);
    CHECK_EQ(edge[0] | edge[1], 0);
    rig_free(&r);
}

TEST(dma_big_read_with_64k_regions)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    /* 300 sectors (150 KiB, more than the device buffer): 64 KiB regions
     * (byte count 0) and a tail. */
    prd(&r, 0, 0x100000, 0, false);
    prd(&r, 1, 0x110000, 0, false);
    prd(&r, 2, 0x120000, 300 * 512 - 0x20000, true);
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START); /* engine first this time */
    IDEBus *bus = piix_ide_bus(r.s, 0);
    tf48(bus, 0, 1000, 300);
    outb(&r, 0x1f7, 0x25); /* READ DMA EXT */
    CHECK(wait_bm_int(&r, 0));
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(check_ram_pattern(&r, 0x100000, 1000 * 512, 300 * 512), 0);
    rig_free(&r);
}

TEST(dma_write_then_pio_read_back)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    uint8_t data[3 * 512];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
    address_space_write(r.pc->m.as, 0x50000, data, 700);
    address_space_write(r.pc->m.as, 0x60000, data + 700, sizeof(data) - 700);
    prd(&r, 0, 0x50000, 700, false);
    prd(&r, 1, 0x60000, sizeof(data) - 700, true);
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    IDEBus *bus = piix_ide_bus(r.s, 0);
    tf48(bus, 0, 2000, 3);
    outb(&r, 0x1f7, 0x35); /* WRITE DMA EXT */
    outb(&r, BMBASE + BM_CMD, BM_CMD_START); /* direction: read memory */
    CHECK(wait_bm_int(&r, 0));
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    outb(&r, BMBASE + BM_CMD, 0);
    tf28(bus, 0, 2000, 3);
    outb(&r, 0x1f7, 0x20);
    uint8_t b[512];
    for (int s = 0; s < 3; s++) {
        CHECK(ide_wait(bus));
        read_words(bus, b, 512);
        CHECK(memcmp(b, data + 512 * s, 512) == 0);
    }
    rig_free(&r);
}

TEST(prd_table_larger_than_transfer)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    prd(&r, 0, 0x10000, 8192, true);
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE);
    tf28(piix_ide_bus(r.s, 0), 0, 4, 2);
    outb(&r, 0x1f7, 0xc8);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    CHECK(wait_bm_int(&r, 0));
    /* SFF-8038i: interrupt with Active still set is a valid completion. */
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT | BM_ST_ACTIVE);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    outb(&r, BMBASE + BM_CMD, 0);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT);
    CHECK_EQ(check_ram_pattern(&r, 0x10000, 4 * 512, 1024), 0);
    rig_free(&r);
}

TEST(prd_table_too_short)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    FakeLine *isa = r.pc->isa;
    prd(&r, 0, 0x10000, 512, true);
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE);
    tf28(piix_ide_bus(r.s, 0), 0, 4, 2);
    outb(&r, 0x1f7, 0xc8);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    settle(&r);
    /* Interrupt 0, Active 0: the table ran out first; no INTRQ. */
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), 0);
    CHECK_EQ(isa[14].rises, 0);
    CHECK_EQ(inb(&r, 0x3f6) & IDE_ST_BSY, IDE_ST_BSY);
    CHECK_EQ(check_ram_pattern(&r, 0x10000, 4 * 512, 512), 0);
    /* A second table takes the rest (the device still wants to send). */
    prd(&r, 0, 0x20000, 512, true);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    CHECK(wait_bm_int(&r, 0));
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(check_ram_pattern(&r, 0x20000, 5 * 512, 512), 0);
    /* Or a driver resets the channel instead. */
    outb(&r, BMBASE + BM_CMD, 0);
    tf28(piix_ide_bus(r.s, 0), 0, 4, 2);
    outb(&r, 0x1f7, 0xc8);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    settle(&r);
    CHECK_EQ(inb(&r, 0x3f6) & IDE_ST_BSY, IDE_ST_BSY);
    outb(&r, 0x3f6, IDE_CTL_SRST);
    outb(&r, 0x3f6, 0);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC);
    rig_free(&r);
}

TEST(dma_without_bus_master_enable)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    cfg_w(&r, PCI_COMMAND, PCI_COMMAND_IO, 2);
    prd(&r, 0, 0x10000, 1024, true);
    ioport_write(r.io, BMBASE + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE);
    tf28(piix_ide_bus(r.s, 0), 0, 4, 2);
    outb(&r, 0x1f7, 0xc8);
    outb(&r, BMBASE + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    CHECK(wait_bm_int(&r, 0));
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_INT | BM_ST_ERROR);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(inb(&r, 0x1f1), IDE_ERR_ABRT);
    uint8_t z[4];
    address_space_read(r.pc->m.as, 0x10000, z, 4);
    CHECK_EQ(z[0] | z[1] | z[2] | z[3], 0);
    /* Both error and interrupt are write-1-to-clear. */
    outb(&r, BMBASE + BM_STATUS, BM_ST_INT | BM_ST_ERROR);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), 0);
    rig_free(&r);
}

TEST(atapi_dma_read)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    prd(&r, 0, 0x80000, 3000, false);
    prd(&r, 1, 0x90000, 3 * 2048 - 3000, true);
    ioport_write(r.io, BMBASE + 8 + BM_PRDT, PRDT, 4);
    outb(&r, BMBASE + 8 + BM_CMD, BM_CMD_WRITE);
    IDEBus *bus = piix_ide_bus(r.s, 1);
    wr(bus, 6, 0xa0);
    wr(bus, 1, 0x01); /* DMA */
    wr(bus, 7, 0xa0);
    CHECK_EQ(rd(bus, 2), ATAPI_IR_COD);
    uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 20, 0, 0, 3 }; /* READ(10) 20, 3 */
    write_words(bus, cdb, 12);
    outb(&r, BMBASE + 8 + BM_CMD, BM_CMD_WRITE | BM_CMD_START);
    CHECK(wait_bm_int(&r, 1));
    CHECK_EQ(inb(&r, BMBASE + 8 + BM_STATUS), BM_ST_INT);
    CHECK_EQ(inb(&r, 0x177), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(inb(&r, 0x172), ATAPI_IR_IO | ATAPI_IR_COD);
    CHECK_EQ(r.pc->isa[15].level, 0);
    CHECK_EQ(check_ram_pattern(&r, 0x80000, 20 * 2048, 3000), 0);
    CHECK_EQ(check_ram_pattern(&r, 0x90000, 20 * 2048 + 3000, 3 * 2048 - 3000), 0);
    rig_free(&r);
}

TEST(vmstate_mid_transfer)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    const VMStateDescription *vmsd = piix3_ide_class.vmsd;
    vmstate_register("piix3-ide", 0, vmsd, r.s);
    IDEBus *bus = piix_ide_bus(r.s, 0);
    tf28(bus, 0, 77, 2);
    outb(&r, 0x1f7, 0x20);
    CHECK(ide_wait(bus));
    uint8_t b[512];
    read_words(bus, b, 200);
    CHECK_EQ(r.pc->isa[14].level, 1); /* not acknowledged: survives the load */
    outb(&r, BMBASE + BM_STATUS, BM_ST_DMA0 | BM_ST_INT);
    Error *err = NULL;
    VMStream *st = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(st, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(st, &len);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_DMA0);
    uint8_t *copy = malloc(len);
    memcpy(copy, data, len);
    vmstate_stream_free(st);
    /* Wreck the state, then load it back. */
    piix_ide_device(r.s)->cls->reset(piix_ide_device(r.s));
    CHECK_EQ(inb(&r, 0x1f7), 0xff); /* decode off after reset */
    st = vmstate_mem_stream_open(copy, len);
    if (vmstate_load_all(st, &err) < 0) {
        error_report_err(err);
        CHECK(0);
    }
    vmstate_stream_free(st);
    free(copy);
    CHECK_EQ(inb(&r, BMBASE + BM_STATUS), BM_ST_DMA0);
    CHECK_EQ(r.pc->isa[14].level, 1);
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
    read_words(bus, b + 200, 312);
    for (unsigned j = 0; j < 512; j++)
        CHECK_EQ(b[j], pat(77, j));
    /* The second sector follows. */
    CHECK(ide_wait(bus));
    CHECK_EQ(inb(&r, 0x1f7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
    read_words(bus, b, 512);
    CHECK_EQ(b[0], pat(78, 0));
    vmstate_unregister(vmsd, r.s);
    rig_free(&r);
}
