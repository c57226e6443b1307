/* hw/i440fx: identity, RAM split, BIOS mapping, PAM shadowing as SeaBIOS
 * does it, write-only PAM, SMRAM open/lock, the PCI hole, vmstate. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "fake_pc.h"
#include "hw/i440fx.h"
#include "src/vmstate.h"

#define RAM_SIZE (8u << 20)
#define BIOS_SIZE 0x20000u

typedef struct Board {
    FakePC *pc;
    MemoryRegion *ram, *bios;
    I440FXState *nb;
    AddressSpace *as;
    IOPortSpace *io;
} Board;

/* The BIOS image: byte i is a recognisable function of i. */
static uint8_t bios_byte(uint32_t i) { return (uint8_t)(i ^ (i >> 8) ^ 0x5a); }

static int board_init(Board *b)
{
    b->pc = fake_pc_new();
    b->pc->m.ram_size = RAM_SIZE;
    b->ram = memory_region_new_ram("pc.ram", RAM_SIZE, NULL, NULL);
    b->bios = memory_region_new_rom("pc.bios", BIOS_SIZE, NULL, NULL);
    uint8_t *p = memory_region_get_ram_ptr(b->bios);
    for (uint32_t i = 0; i < BIOS_SIZE; i++)
        p[i] = bios_byte(i);
    Error *err = NULL;
    b->nb = i440fx_init(&b->pc->m, b->ram, b->bios, &err);
    if (!b->nb) {
        error_report_err(err);
        return -1;
    }
    i440fx_device(b->nb)->cls->reset(i440fx_device(b->nb));
    b->as = b->pc->m.as;
    b->io = b->pc->m.io;
    return 0;
}

/* Config access through ports 0xcf8/0xcfc, as firmware does. */
static uint32_t cfg_readl(Board *b, uint32_t reg)
{
    ioport_write(b->io, 0xcf8, 0x80000000u | (reg & 0xfc), 4);
    return ioport_read(b->io, 0xcfc, 4);
}

static void cfg_writel(Board *b, uint32_t reg, uint32_t v)
{
    ioport_write(b->io, 0xcf8, 0x80000000u | (reg & 0xfc), 4);
    ioport_write(b->io, 0xcfc, v, 4);
}

static uint8_t cfg_readb(Board *b, uint32_t reg)
{
    ioport_write(b->io, 0xcf8, 0x80000000u | (reg & 0xfc), 4);
    return (uint8_t)ioport_read(b->io, (uint16_t)(0xcfc + (reg & 3)), 1);
}

static void cfg_writeb(Board *b, uint32_t reg, uint8_t v)
{
    ioport_write(b->io, 0xcf8, 0x80000000u | (reg & 0xfc), 4);
    ioport_write(b->io, (uint16_t)(0xcfc + (reg & 3)), v, 1);
}

/* SeaBIOS's way: read both PAM dwords, patch the bytes, write them back. */
static void pam_set(Board *b, const uint8_t pam[7])
{
    uint8_t d[8];
    st32_le(d, cfg_readl(b, 0x58));
    st32_le(d + 4, cfg_readl(b, 0x5c));
    memcpy(d + 1, pam, 7);
    cfg_writel(b, 0x58, ld32_le(d));
    cfg_writel(b, 0x5c, ld32_le(d + 4));
}

TEST(identity)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    CHECK_EQ(cfg_readl(&b, 0), 0x12378086);
    CHECK_EQ(cfg_readl(&b, 8) >> 8, 0x060000);
    CHECK_EQ(cfg_readl(&b, 8) & 0xff, 0x02);
    CHECK_EQ(cfg_readb(&b, PCI_HEADER_TYPE), 0);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x02);
    CHECK_EQ(cfg_readl(&b, 0x58) >> 8, 0); /* PAM0-2 off */
    CHECK(pci_bus_find(&b.pc->m) == i440fx_bus(b.nb));
    /* the device slot 1 is empty */
    ioport_write(b.io, 0xcf8, 0x80000800, 4);
    CHECK_EQ(ioport_read(b.io, 0xcfc, 4), 0xffffffff);
}

TEST(ram_split)
{
    const uint64_t M = 1ull << 20, G = 1ull << 30;
    uint64_t lo, hi;
    i440fx_ram_split(128 * M, &lo, &hi);
    CHECK_EQ(lo, 128 * M);
    CHECK_EQ(hi, 0);
    i440fx_ram_split(3 * G + 511 * M, &lo, &hi); /* just under 3.5 GiB: all low */
    CHECK_EQ(lo, 3 * G + 511 * M);
    CHECK_EQ(hi, 0);
    i440fx_ram_split(3 * G + 512 * M, &lo, &hi); /* 3.5 GiB: split at 3 GiB */
    CHECK_EQ(lo, 3 * G);
    CHECK_EQ(hi, 512 * M);
    i440fx_ram_split(8 * G, &lo, &hi);
    CHECK_EQ(lo, 3 * G);
    CHECK_EQ(hi, 5 * G);
    Board b;
    CHECK_EQ(board_init(&b), 0);
    CHECK_EQ(i440fx_below_4g(b.nb), RAM_SIZE);
    CHECK_EQ(i440fx_above_4g(b.nb), 0);
}

TEST(bios_mapping_at_power_on)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    /* the whole image below 4 GiB */
    CHECK_EQ(address_space_ldub(b.as, 0x100000000ull - BIOS_SIZE), bios_byte(0));
    CHECK_EQ(address_space_ldub(b.as, 0xfffffff0u), bios_byte(BIOS_SIZE - 16));
    /* its last 128 KiB at 0xe0000 through PAM "off" */
    CHECK_EQ(address_space_ldub(b.as, 0xffff0), bios_byte(BIOS_SIZE - 16));
    CHECK_EQ(address_space_ldub(b.as, 0xe0123), bios_byte(0x123));
    address_space_stb(b.as, 0xffff0, 0); /* ROM */
    CHECK_EQ(address_space_ldub(b.as, 0xffff0), bios_byte(BIOS_SIZE - 16));
    /* nothing decodes 0xc0000-0xdffff with PAM off */
    CHECK_EQ(address_space_ldl_le(b.as, 0xc0000), 0xffffffff);
    address_space_stl_le(b.as, 0xc0000, 0x12345678);
    CHECK_EQ(address_space_ldl_le(b.as, 0xc0000), 0xffffffff);
    /* ordinary RAM around it */
    address_space_stl_le(b.as, 0x9fffc, 0xa5a5a5a5);
    CHECK_EQ(address_space_ldl_le(b.as, 0x9fffc), 0xa5a5a5a5);
    address_space_stl_le(b.as, 0x100000, 0x11223344);
    CHECK_EQ(address_space_ldl_le(b.as, 0x100000), 0x11223344);
    /* end of RAM */
    CHECK_EQ(address_space_ldub(b.as, RAM_SIZE), 0xff);
}

TEST(pam_shadow_like_seabios)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    uint8_t *ram = memory_region_get_ram_ptr(b.ram);
    /* make_bios_writable: 0x33 for 0xc0000-0xeffff, 0x30 for 0xf0000 */
    static const uint8_t rw[7] = { 0x30, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33 };
    pam_set(&b, rw);
    CHECK_EQ(cfg_readb(&b, I440FX_PAM0), 0x30);
    CHECK_EQ(cfg_readb(&b, I440FX_PAM0 + 6), 0x33);
    /* RAM now answers: it is zero, not the ROM */
    CHECK_EQ(address_space_ldub(b.as, 0xffff0), 0);
    /* copy the BIOS down from its high mapping, as SeaBIOS does */
    uint8_t *tmp = malloc(0x20000);
    address_space_read(b.as, 0x100000000ull - 0x20000, tmp, 0x20000);
    address_space_write(b.as, 0xe0000, tmp, 0x20000);
    free(tmp);
    CHECK_EQ(ram[0xffff0], bios_byte(BIOS_SIZE - 16));
    CHECK_EQ(address_space_ldub(b.as, 0xe0123), bios_byte(0x123));
    /* shadow RAM is writable (SeaBIOS's data lives there until it locks) */
    address_space_stb(b.as, 0xf1000, 0x77);
    CHECK_EQ(address_space_ldub(b.as, 0xf1000), 0x77);
    address_space_stl_le(b.as, 0xc0000, 0x0000aa55);
    CHECK_EQ(ram[0xc0000], 0x55);
    /* make_bios_readonly: 0x11 for the option ROM area, 0x10 for 0xf0000 */
    static const uint8_t ro[7] = { 0x10, 0x11, 0x31, 0x33, 0x33, 0x33, 0x33 };
    pam_set(&b, ro);
    CHECK_EQ(address_space_ldub(b.as, 0xf1000), 0x77);
    address_space_stb(b.as, 0xf1000, 0x01);  /* locked: write ignored */
    CHECK_EQ(address_space_ldub(b.as, 0xf1000), 0x77);
    CHECK_EQ(ram[0xf1000], 0x77);
    address_space_stb(b.as, 0xc0000, 0x01);  /* PAM1 low 0x1: read-only */
    CHECK_EQ(address_space_ldub(b.as, 0xc0000), 0x55);
    address_space_stb(b.as, 0xcc000, 0x42);  /* PAM2 high 0x3: still RW */
    CHECK_EQ(address_space_ldub(b.as, 0xcc000), 0x42);
    address_space_stb(b.as, 0xc8000, 0x42);  /* PAM2 low 0x1: RO */
    CHECK_EQ(ram[0xc8000], 0);
    /* PAM off again: the ROM shows through, RAM keeps its copy */
    static const uint8_t off[7] = { 0 };
    pam_set(&b, off);
    CHECK_EQ(address_space_ldub(b.as, 0xf1000), bios_byte(BIOS_SIZE - 0x10000 + 0x1000));
    CHECK_EQ(ram[0xf1000], 0x77);
    CHECK_EQ(address_space_ldub(b.as, 0xc0000), 0xff);
    /* reset returns to ROM */
    pam_set(&b, rw);
    i440fx_device(b.nb)->cls->reset(i440fx_device(b.nb));
    CHECK_EQ(cfg_readb(&b, I440FX_PAM0), 0);
    CHECK_EQ(address_space_ldub(b.as, 0xffff0), bios_byte(BIOS_SIZE - 16));
}

TEST(pam_write_only_and_masks)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    uint8_t *ram = memory_region_get_ram_ptr(b.ram);
    /* reserved PAM bits do not stick */
    cfg_writeb(&b, I440FX_PAM0, 0xff);
    CHECK_EQ(cfg_readb(&b, I440FX_PAM0), 0x30);
    cfg_writeb(&b, I440FX_PAM0 + 1, 0xff);
    CHECK_EQ(cfg_readb(&b, I440FX_PAM0 + 1), 0x33);
    /* WE only on 0xf0000: reads the ROM, writes land in RAM */
    cfg_writeb(&b, I440FX_PAM0, 0x20);
    address_space_stl_le(b.as, 0xf0010, 0xdeadbeef);
    CHECK_EQ(address_space_ldub(b.as, 0xf0010), bios_byte(BIOS_SIZE - 0x10000 + 0x10));
    CHECK_EQ(ld32_le(ram + 0xf0010), 0xdeadbeef);
    /* WE only on 0xc4000 (PAM1 high): reads see the unassigned PCI side */
    cfg_writeb(&b, I440FX_PAM0 + 1, 0x20);
    address_space_stb(b.as, 0xc4001, 0x99);
    CHECK_EQ(address_space_ldub(b.as, 0xc4001), 0xff);
    CHECK_EQ(ram[0xc4001], 0x99);
    CHECK_EQ(ram[0xc0001], 0);  /* PAM1 low still off */
    /* RE only: now the written bytes are read, and writes are dropped */
    cfg_writeb(&b, I440FX_PAM0, 0x10);
    cfg_writeb(&b, I440FX_PAM0 + 1, 0x10);
    CHECK_EQ(address_space_ldl_le(b.as, 0xf0010), 0xdeadbeef);
    CHECK_EQ(address_space_ldub(b.as, 0xc4001), 0x99);
    address_space_stb(b.as, 0xc4001, 0x11);
    CHECK_EQ(ram[0xc4001], 0x99);
}

/* A stand-in for the VGA legacy window in the PCI memory space. */
static uint64_t vga_read(void *opaque, hwaddr off, unsigned size)
{
    (void)opaque, (void)size;
    return 0xa0 + (off & 0xf);
}

static const MemOps vga_ops = { vga_read, NULL, { 1, 4 }, { 1, 1 } };

TEST(smram_open_close_lock)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    MemoryRegion *vga = memory_region_new_mmio("vga-lowmem", 0x20000, &vga_ops, NULL, NULL);
    memory_region_add_subregion(pci_bus_memory(i440fx_bus(b.nb)), 0xa0000, vga, 1);
    /* closed: the CPU sees VGA */
    CHECK_EQ(address_space_ldub(b.as, 0xa0003), 0xa3);
    /* D_OPEN: the RAM underneath */
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_OPEN | SMRAM_G_SMRAME);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x4a);
    CHECK_EQ(address_space_ldub(b.as, 0xa0003), 0);
    address_space_stb(b.as, 0xa8000, 0xea);
    CHECK_EQ(address_space_ldub(b.as, 0xa8000), 0xea);
    /* C_BASE_SEG is fixed */
    cfg_writeb(&b, I440FX_SMRAM, 0x07 | SMRAM_D_OPEN);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x42);
    /* D_LCK closes and freezes it */
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_OPEN | SMRAM_D_LCK | SMRAM_G_SMRAME);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x1a);
    CHECK_EQ(address_space_ldub(b.as, 0xa8000), 0xa0);
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_OPEN);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x1a);
    cfg_writeb(&b, I440FX_SMRAM, 0x1a | SMRAM_D_CLS); /* D_CLS stays writable */
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x3a);
    CHECK_EQ(address_space_ldub(b.as, 0xa8000), 0xa0);
    /* reset unlocks */
    i440fx_device(b.nb)->cls->reset(i440fx_device(b.nb));
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM), 0x02);
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_OPEN);
    CHECK_EQ(address_space_ldub(b.as, 0xa8000), 0xea);
}

TEST(pci_hole_bars)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    PCIBus *bus = i440fx_bus(b.nb);
    /* a BAR in the hole is visible to the CPU; one placed over RAM is not */
    MemoryRegion *bar = memory_region_new_mmio("bar", 0x1000, &vga_ops, NULL, NULL);
    memory_region_add_subregion(pci_bus_memory(bus), 0xfebf0000, bar, 1);
    CHECK_EQ(address_space_ldub(b.as, 0xfebf0005), 0xa5);
    address_space_stb(b.as, 0x200005, 0x3c);
    memory_region_set_address(bar, 0x200000);
    CHECK_EQ(address_space_ldub(b.as, 0x200005), 0x3c);
    CHECK_EQ(address_space_ldub(b.as, 0xfebf0005), 0xff);
}

TEST(vmstate_restores_pam_and_smram)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    vmstate_register("i440FX", 0, i440fx_device(b.nb)->cls->vmsd, b.nb);
    cfg_writeb(&b, I440FX_PAM0, 0x30);
    address_space_stb(b.as, 0xf0000, 0x66);
    cfg_writeb(&b, I440FX_PAM0, 0x10);
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_LCK);
    ioport_write(b.io, 0xcf8, 0x80000010, 4);
    VMStream *out = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(out, NULL), 0);
    i440fx_device(b.nb)->cls->reset(i440fx_device(b.nb));
    CHECK_EQ(address_space_ldub(b.as, 0xf0000), bios_byte(BIOS_SIZE - 0x10000));
    size_t len;
    const uint8_t *data = vmstate_stream_data(out, &len);
    Error *err = NULL;
    CHECK_EQ(vmstate_load_all(vmstate_mem_stream_open(data, len), &err), 0);
    CHECK_EQ(ioport_read(b.io, 0xcf8, 4), 0x80000010);
    CHECK_EQ(address_space_ldub(b.as, 0xf0000), 0x66);
    address_space_stb(b.as, 0xf0000, 0x67);
    CHECK_EQ(address_space_ldub(b.as, 0xf0000), 0x66);
    /* the lock survived too: D_OPEN cannot be set */
    cfg_writeb(&b, I440FX_SMRAM, SMRAM_C_BASE_SEG | SMRAM_D_OPEN);
    CHECK_EQ(cfg_readb(&b, I440FX_SMRAM) & SMRAM_D_OPEN, 0);
}

TEST(teardown_and_device_create_refusal)
{
    Board b;
    CHECK_EQ(board_init(&b), 0);
    i440fx_free(b.nb);
    CHECK(pci_bus_find(&b.pc->m) == NULL);
    CHECK_EQ(ioport_read(b.io, 0xcfc, 4), 0xffffffff);
    CHECK_EQ(address_space_ldub(b.as, 0xffff0), 0xff);
    /* realize without the board's RAM and BIOS fails with a message */
    void *inst = calloc(1, i440fx_class.instance_size);
    Device *dev = inst;
    dev->cls = &i440fx_class;
    Error *err = NULL;
    CHECK_EQ(i440fx_class.realize(dev, &b.pc->m, &err), (uint64_t)-1);
    CHECK(err && strstr(err->msg, "-device"));
    error_free(err);
    err = NULL;
    free(inst);
    /* a BIOS of an odd size is refused */
    MemoryRegion *odd = memory_region_new_rom("odd", 0x1234, NULL, NULL);
    CHECK(i440fx_init(&b.pc->m, b.ram, odd, &err) == NULL);
    CHECK(err && strstr(err->msg, "64 KiB"));
    error_free(err);
}
