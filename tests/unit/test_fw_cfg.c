/* hw/fw_cfg: signature, ID, fixed items, file directory, reads past the
 * end, invalid keys, DMA (read, skip, write error, select), vmstate. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "fake_pc.h"
#include "hw/fw_cfg.h"
#include "src/vmstate.h"

typedef struct Rig {
    FakePC *pc;
    MemoryRegion *ram;
    FWCfgState *fw;
    IOPortSpace *io;
    uint8_t *mem; /* guest RAM */
} Rig;

static int rig_init(Rig *r, bool dma)
{
    r->pc = fake_pc_new();
    r->ram = fake_pc_add_ram(r->pc, 0x100000);
    r->mem = memory_region_get_ram_ptr(r->ram);
    Error *err = NULL;
    r->fw = fw_cfg_init_io(&r->pc->m, FW_CFG_IO_BASE, dma, &err);
    if (!r->fw) {
        error_report_err(err);
        return -1;
    }
    fw_cfg_device(r->fw)->cls->reset(fw_cfg_device(r->fw));
    r->io = r->pc->m.io;
    return 0;
}

static void sel(Rig *r, uint16_t key) { ioport_write(r->io, 0x510, key, 2); }

static void readn(Rig *r, uint8_t *buf, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        buf[i] = (uint8_t)ioport_read(r->io, 0x511, 1);
}

static uint32_t read_le32(Rig *r)
{
    uint8_t b[4];
    readn(r, b, 4);
    return ld32_le(b);
}

/* Build an FWCfgDmaAccess at `at` and start it, as SeaBIOS does. */
static uint32_t dma(Rig *r, uint32_t at, uint32_t control, uint32_t length, uint64_t addr)
{
    st32_be(r->mem + at, control);
    st32_be(r->mem + at + 4, length);
    st64_be(r->mem + at + 8, addr);
    ioport_write(r->io, 0x514, bswap32(0), 4);
    ioport_write(r->io, 0x518, bswap32(at), 4);
    return ld32_be(r->mem + at);
}

TEST(signature_and_id)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    uint8_t b[5];
    sel(&r, FW_CFG_SIGNATURE);
    readn(&r, b, 5);
    CHECK(!memcmp(b, "QEMU", 4));
    CHECK_EQ(b[4], 0); /* past the end */
    sel(&r, FW_CFG_ID);
    CHECK_EQ(read_le32(&r), 3);
    /* reselecting starts over */
    sel(&r, FW_CFG_SIGNATURE);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'Q');
    sel(&r, FW_CFG_SIGNATURE);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'Q');
    /* a byte write to the selector is a (dropped) data write, not a select */
    ioport_write(r.io, 0x510, FW_CFG_ID, 1);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'E');
    /* the DMA register reads "QEMU CFG" */
    char sig[9] = { 0 };
    for (int i = 0; i < 8; i++)
        sig[i] = (char)ioport_read(r.io, (uint16_t)(0x514 + i), 1);
    CHECK_STR(sig, "QEMU CFG");
    CHECK_EQ(ioport_read(r.io, 0x514, 4), 0x554d4551); /* "QEMU" in port order */
}

TEST(no_dma)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    sel(&r, FW_CFG_ID);
    CHECK_EQ(read_le32(&r), 1);
    CHECK_EQ(ioport_read(r.io, 0x514, 4), 0xffffffff);
}

TEST(fixed_items_and_invalid_keys)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    fw_cfg_add_i64(r.fw, FW_CFG_RAM_SIZE, 0x123456789aull);
    fw_cfg_add_i16(r.fw, FW_CFG_NB_CPUS, 2);
    fw_cfg_add_i32(r.fw, FW_CFG_KERNEL_SIZE, 0xdeadbeef);
    fw_cfg_add_string(r.fw, FW_CFG_CMDLINE_DATA, "console=ttyS0");
    uint8_t e820[20] = { 1, 2, 3 };
    fw_cfg_add_bytes(r.fw, FW_CFG_E820_TABLE, e820, sizeof(e820));
    uint8_t b[16];
    sel(&r, FW_CFG_RAM_SIZE);
    readn(&r, b, 9);
    CHECK_EQ(ld64_le(b), 0x123456789aull);
    CHECK_EQ(b[8], 0);
    sel(&r, FW_CFG_NB_CPUS);
    readn(&r, b, 2);
    CHECK_EQ(ld16_le(b), 2);
    sel(&r, FW_CFG_KERNEL_SIZE);
    CHECK_EQ(read_le32(&r), 0xdeadbeef);
    sel(&r, FW_CFG_CMDLINE_DATA);
    readn(&r, b, 14);
    CHECK_STR((char *)b, "console=ttyS0");
    sel(&r, FW_CFG_E820_TABLE); /* arch-local key 0x8003 */
    readn(&r, b, 3);
    CHECK_EQ(b[2], 3);
    sel(&r, FW_CFG_E820_TABLE & FW_CFG_ENTRY_MASK); /* generic 0x0003 is RAM size */
    readn(&r, b, 1);
    CHECK_EQ(b[0], 0x9a);
    /* replacing an item */
    fw_cfg_add_i16(r.fw, FW_CFG_NB_CPUS, 4);
    sel(&r, FW_CFG_NB_CPUS);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 4);
    /* the write-channel bit selects the same item */
    sel(&r, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'Q');
    /* keys with no item read 0 */
    static const uint16_t bad[] = { FW_CFG_UUID, 0x1234, 0x0025, 0x3fff, 0x8020, 0xffff };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(bad); i++) {
        sel(&r, bad[i]);
        readn(&r, b, 4);
        CHECK_EQ(ld32_le(b), 0);
    }
}

TEST(file_directory_sorted)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    uint8_t dir[4 + 4 * 64 + 1];
    sel(&r, FW_CFG_FILE_DIR);
    readn(&r, dir, 5);
    CHECK_EQ(ld32_be(dir), 0);
    CHECK_EQ(dir[4], 0);
    static const char vgabios[] = "VGA BIOS IMAGE";
    uint8_t e820[40];
    for (int i = 0; i < 40; i++)
        e820[i] = (uint8_t)(0x80 + i);
    CHECK_EQ(fw_cfg_add_file(r.fw, "genroms/vgabios.bin", vgabios, sizeof(vgabios), NULL), 0);
    CHECK_EQ(fw_cfg_add_file(r.fw, "etc/e820", e820, sizeof(e820), NULL), 0);
    CHECK_EQ(fw_cfg_add_file(r.fw, "bootorder", "/pci@i0cf8/ide@1,1/drive@0/disk@0\n", 35,
                             NULL), 0);
    CHECK_EQ(fw_cfg_add_file(r.fw, "etc/boot-fail-wait", "\x10\x27\0\0", 4, NULL), 0);
    sel(&r, FW_CFG_FILE_DIR);
    readn(&r, dir, sizeof(dir));
    CHECK_EQ(ld32_be(dir), 4);
    static const char *order[] = { "bootorder", "etc/boot-fail-wait", "etc/e820",
                                   "genroms/vgabios.bin" };
    static const uint32_t sizes[] = { 35, 4, 40, sizeof(vgabios) };
    for (int i = 0; i < 4; i++) {
        const uint8_t *f = dir + 4 + 64 * i;
        CHECK_EQ(ld32_be(f), sizes[i]);
        CHECK_EQ(ld16_be(f + 4), FW_CFG_FILE_FIRST + i);
        CHECK_EQ(ld16_be(f + 6), 0);
        CHECK_STR((const char *)f + 8, order[i]);
        CHECK_EQ(fw_cfg_file_key(r.fw, order[i]), FW_CFG_FILE_FIRST + i);
    }
    CHECK_EQ(dir[4 + 4 * 64], 0); /* past the end */
    /* the select key from the directory reads the file */
    uint8_t b[40];
    sel(&r, (uint16_t)ld16_be(dir + 4 + 64 * 2 + 4));
    readn(&r, b, 40);
    CHECK(!memcmp(b, e820, 40));
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 0);
    CHECK_EQ(fw_cfg_file_key(r.fw, "etc/nope"), (uint64_t)-1);
    /* errors: duplicates, bad names */
    Error *err = NULL;
    CHECK_EQ(fw_cfg_add_file(r.fw, "etc/e820", e820, 4, &err), (uint64_t)-1);
    CHECK(err && strstr(err->msg, "duplicate"));
    error_free(err);
    err = NULL;
    char longname[80];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[79] = 0;
    CHECK_EQ(fw_cfg_add_file(r.fw, longname, e820, 4, &err), (uint64_t)-1);
    CHECK(err != NULL);
    error_free(err);
    /* modify replaces in place and updates the size */
    CHECK_EQ(fw_cfg_modify_file(r.fw, "etc/e820", e820, 20, NULL), 0);
    sel(&r, FW_CFG_FILE_DIR);
    readn(&r, dir, sizeof(dir));
    CHECK_EQ(ld32_be(dir), 4);
    CHECK_EQ(ld32_be(dir + 4 + 64 * 2), 20);
}

TEST(dma_read_file_into_guest_ram)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    uint8_t blob[300];
    for (int i = 0; i < 300; i++)
        blob[i] = (uint8_t)(i * 3 + 1);
    CHECK_EQ(fw_cfg_add_file(r.fw, "etc/table", blob, sizeof(blob), NULL), 0);
    int key = fw_cfg_file_key(r.fw, "etc/table");
    memset(r.mem + 0x2000, 0xaa, 0x400);
    /* select + read 100 bytes */
    uint32_t ctl = dma(&r, 0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                       FW_CFG_DMA_CTL_READ, 100, 0x2000);
    CHECK_EQ(ctl, 0);
    CHECK(!memcmp(r.mem + 0x2000, blob, 100));
    CHECK_EQ(r.mem[0x2000 + 100], 0xaa);
    /* skip 50, then read on: the offset carries over */
    CHECK_EQ(dma(&r, 0x1000, FW_CFG_DMA_CTL_SKIP, 50, 0), 0);
    CHECK_EQ(dma(&r, 0x1000, FW_CFG_DMA_CTL_READ, 200, 0x2100), 0);
    CHECK(!memcmp(r.mem + 0x2100, blob + 150, 150));
    /* past the end the guest buffer is zero-filled */
    for (int i = 150; i < 200; i++)
        CHECK_EQ(r.mem[0x2100 + i], 0);
    CHECK_EQ(r.mem[0x2100 + 200], 0xaa);
    /* the port interface sees the same offset: at the end */
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 0);
    /* writes are refused with the error bit, data untouched */
    memset(r.mem + 0x3000, 0x11, 16);
    CHECK_EQ(dma(&r, 0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                 FW_CFG_DMA_CTL_WRITE, 16, 0x3000), FW_CFG_DMA_CTL_ERROR);
    CHECK_EQ(dma(&r, 0x1000, FW_CFG_DMA_CTL_READ, 4, 0x3000), 0);
    CHECK(!memcmp(r.mem + 0x3000, blob, 4));
    /* an invalid key reads zeros without error */
    memset(r.mem + 0x3000, 0x11, 16);
    CHECK_EQ(dma(&r, 0x1000, 0x0777u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8,
                 0x3000), 0);
    CHECK_EQ(ld64_le(r.mem + 0x3000), 0);
    CHECK_EQ(r.mem[0x3008], 0x11);
    /* select alone changes the port interface's item */
    CHECK_EQ(dma(&r, 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0), 0);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'Q');
}

TEST(dma_address_halves)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    st32_be(r.mem + 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
    st32_be(r.mem + 0x1004, 4);
    st64_be(r.mem + 0x1008, 0x4000);
    /* the high half alone starts nothing */
    ioport_write(r.io, 0x514, bswap32(0), 4);
    CHECK_EQ(ld32_be(r.mem + 0x1000), FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
    /* a non-zero high half points the descriptor above 4 GiB, where there is nothing */
    ioport_write(r.io, 0x514, bswap32(1), 4);
    ioport_write(r.io, 0x518, bswap32(0x1000), 4);
    CHECK_EQ(ld32_be(r.mem + 0x1000), FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
    CHECK_EQ(ld32_le(r.mem + 0x4000), 0);
    /* the register went back to 0: a low write alone now uses high = 0 */
    ioport_write(r.io, 0x518, bswap32(0x1000), 4);
    CHECK_EQ(ld32_be(r.mem + 0x1000), 0);
    CHECK(!memcmp(r.mem + 0x4000, "QEMU", 4));
    /* byte writes to the DMA register are ignored */
    st32_be(r.mem + 0x1000, FW_CFG_DMA_CTL_SKIP);
    for (int i = 0; i < 8; i++)
        ioport_write(r.io, (uint16_t)(0x514 + i), i == 7 ? 0x00 : (i == 6 ? 0x10 : 0), 1);
    CHECK_EQ(ld32_be(r.mem + 0x1000), FW_CFG_DMA_CTL_SKIP);
}

TEST(vmstate_keeps_position)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    vmstate_register("fw_cfg", 0, fw_cfg_device(r.fw)->cls->vmsd, r.fw);
    sel(&r, FW_CFG_SIGNATURE);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'Q');
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'E');
    VMStream *out = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(out, NULL), 0);
    sel(&r, FW_CFG_ID);
    fw_cfg_device(r.fw)->cls->reset(fw_cfg_device(r.fw));
    size_t len;
    const uint8_t *data = vmstate_stream_data(out, &len);
    CHECK_EQ(vmstate_load_all(vmstate_mem_stream_open(data, len), NULL), 0);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 'M');
    vmstate_unregister(fw_cfg_device(r.fw)->cls->vmsd, r.fw);
    fw_cfg_free(r.fw);
    CHECK_EQ(ioport_read(r.io, 0x511, 1), 0xff);
}
