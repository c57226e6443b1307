/* hw/linuxboot: the bzImage setup header parser (synthetic images and
 * Debian's kernels when cached), the fields the loader fills, the option
 * ROM, the fw_cfg items of the SeaBIOS path and the direct path's
 * boot_params, GDT, page tables and placement. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_pc.h"
#include "hw/linuxboot.h"

#define IMG_SETUP_SECTS 4
#define IMG_KERNEL_LEN  0x3000

/* A bzImage-shaped file: boot sector + setup (setup_sects + 1 sectors),
 * then a protected-mode part whose bytes count up. */
static uint8_t *make_image(size_t *len, unsigned sects, uint16_t version, uint8_t loadflags)
{
    size_t setup = (size_t)((sects ? sects : 4) + 1) * 512;
    *len = setup + IMG_KERNEL_LEN;
    uint8_t *p = calloc(1, *len);
    p[HDR_SETUP_SECTS] = (uint8_t)sects;
    st32_le(p + HDR_SYSSIZE, IMG_KERNEL_LEN / 16);
    st16_le(p + HDR_BOOT_FLAG, 0xaa55);
    p[HDR_JUMP] = 0xeb;
    p[HDR_JUMP + 1] = 0x6a;            /* header ends at 0x26c */
    memcpy(p + HDR_MAGIC, "HdrS", 4);
    st16_le(p + HDR_VERSION, version);
    p[HDR_LOADFLAGS] = loadflags;
    st32_le(p + HDR_CODE32_START, 0x100000);
    st32_le(p + HDR_INITRD_ADDR_MAX, 0x7fffffff);
    st32_le(p + HDR_KERNEL_ALIGN, 0x200000);
    p[HDR_RELOCATABLE] = 1;
    st16_le(p + HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64);
    st32_le(p + HDR_CMDLINE_SIZE, 2047);
    st64_le(p + HDR_PREF_ADDRESS, 0x1000000);
    st32_le(p + HDR_INIT_SIZE, 0x800000);
    for (size_t i = setup; i < *len; i++)
        p[i] = (uint8_t)(i * 7);
    return p;
}

static char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[4][512];
    static int n;
    char *p = path[n++ & 3];
    snprintf(p, 512, "%s/%s", unit_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (!f)
        return NULL;
    fwrite(data, 1, len, f);
    fclose(f);
    return p;
}

static bool msg_has(Error *err, const char *s)
{
    return err && strstr(err->msg, s);
}

TEST(parse_fields)
{
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    LinuxHeader h;
    Error *err = NULL;
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), 0);
    CHECK_EQ(h.version, 0x020f);
    CHECK_EQ(h.setup_size, 5 * 512);
    CHECK_EQ(h.kernel_size, IMG_KERNEL_LEN);
    CHECK_EQ(h.code32_start, 0x100000);
    CHECK_EQ(h.initrd_addr_max, 0x7fffffff);
    CHECK_EQ(h.kernel_alignment, 0x200000);
    CHECK(h.relocatable);
    CHECK_EQ(h.xloadflags, LINUX_XLF_KERNEL_64);
    CHECK_EQ(h.cmdline_size, 2047);
    CHECK_EQ(h.pref_address, 0x1000000);
    CHECK_EQ(h.init_size, 0x800000);
    CHECK_EQ(h.header_end, 0x26c);
    free(img);
}

/* Fields newer than the protocol get the protocol's defaults. */
TEST(parse_protocol_2_02_defaults)
{
    size_t len;
    uint8_t *img = make_image(&len, 0, 0x0202, LINUX_LOADED_HIGH);
    LinuxHeader h;
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, NULL), 0);
    CHECK_EQ(h.setup_size, 5 * 512);      /* setup_sects 0 means 4 */
    CHECK_EQ(h.initrd_addr_max, 0x37ffffff);
    CHECK_EQ(h.cmdline_size, 255);
    CHECK_EQ(h.xloadflags, 0);
    CHECK(!h.relocatable);
    CHECK_EQ(h.pref_address, LINUX_KERNEL_ADDR);
    CHECK_EQ(h.init_size, IMG_KERNEL_LEN);
    free(img);
}

TEST(parse_rejects)
{
    size_t len;
    LinuxHeader h;
    Error *err = NULL;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);

    img[HDR_MAGIC] = 'X';  /* not a kernel */
    CHECK_EQ(linuxboot_parse(img, len, "/x/file.bin", &h, &err), -1);
    CHECK(msg_has(err, "/x/file.bin") && msg_has(err, "not a Linux kernel"));
    error_free(err), err = NULL;
    img[HDR_MAGIC] = 'H';
    st16_le(img + HDR_BOOT_FLAG, 0);
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), -1);
    CHECK(msg_has(err, "not a Linux kernel"));
    error_free(err), err = NULL;
    st16_le(img + HDR_BOOT_FLAG, 0xaa55);

    st16_le(img + HDR_VERSION, 0x0201); /* old protocol */
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), -1);
    CHECK(msg_has(err, "2.01 is too old"));
    error_free(err), err = NULL;
    st16_le(img + HDR_VERSION, 0x020f);

    img[HDR_LOADFLAGS] = 0; /* zImage */
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), -1);
    CHECK(msg_has(err, "zImage"));
    error_free(err), err = NULL;
    img[HDR_LOADFLAGS] = LINUX_LOADED_HIGH;

    img[HDR_SETUP_SECTS] = 64; /* 65 * 512 > 32 KiB */
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), -1);
    CHECK(msg_has(err, "setup_sects 64"));
    error_free(err), err = NULL;
    img[HDR_SETUP_SECTS] = 63; /* the largest accepted; the file is too short for it */
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, &err), -1);
    CHECK(msg_has(err, "truncated"));
    error_free(err), err = NULL;
    img[HDR_SETUP_SECTS] = IMG_SETUP_SECTS;

    CHECK_EQ(linuxboot_parse(img, 5 * 512, "k", &h, &err), -1); /* no kernel at all */
    CHECK(msg_has(err, "truncated"));
    error_free(err), err = NULL;
    CHECK_EQ(linuxboot_parse(img, len - 32, "k", &h, &err), -1); /* shorter than syssize */
    CHECK(msg_has(err, "syssize"));
    error_free(err), err = NULL;
    CHECK_EQ(linuxboot_parse(img, 0x300, "k", &h, &err), -1); /* shorter than a header */
    CHECK(err != NULL);
    error_free(err), err = NULL;
    CHECK_EQ(linuxboot_parse(img, len, "k", &h, NULL), 0);
    free(img);
}

TEST(open_files_and_limits)
{
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    char *k = write_tmp("bzImage", img, len);
    char *i = write_tmp("a,b", "INITRD", 6);
    LinuxBoot lb;
    Error *err = NULL;
    CHECK(k && i);

    CHECK_EQ(linuxboot_open(&lb, k, "x,y", NULL, &err), -1);
    CHECK(msg_has(err, "several files"));
    error_free(err), err = NULL;
    char esc[600];
    snprintf(esc, sizeof(esc), "%s/a,,b", unit_tmpdir()); /* ",," is a comma in the name */
    CHECK_EQ(linuxboot_open(&lb, k, esc, "console=ttyS0", &err), 0);
    CHECK_EQ(lb.initrd_len, 6);
    CHECK(!memcmp(lb.initrd, "INITRD", 6));
    CHECK_STR(lb.cmdline, "console=ttyS0");
    linuxboot_close(&lb);

    char big[2100];
    memset(big, 'a', 2048);
    big[2048] = 0;  /* one more than cmdline_size */
    CHECK_EQ(linuxboot_open(&lb, k, NULL, big, &err), -1);
    CHECK(msg_has(err, "2048 bytes"));
    error_free(err), err = NULL;
    big[2047] = 0;
    CHECK_EQ(linuxboot_open(&lb, k, NULL, big, &err), 0);
    CHECK(lb.initrd == NULL);
    linuxboot_close(&lb);

    CHECK_EQ(linuxboot_open(&lb, "/nonexistent/vmlinuz", NULL, NULL, &err), -1);
    CHECK(msg_has(err, "could not load kernel '/nonexistent/vmlinuz'"));
    error_free(err), err = NULL;
    char *junk = write_tmp("junk", "hello", 5);
    CHECK_EQ(linuxboot_open(&lb, junk, NULL, NULL, &err), -1);
    CHECK(msg_has(err, junk) && msg_has(err, "not a Linux kernel"));
    error_free(err);
    free(img);
}

TEST(patched_setup)
{
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    LinuxBoot lb = { 0 };
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    lb.image = img;
    lb.image_len = len;
    lb.cmdline = (char *)"x";
    lb.initrd_len = 12345;
    uint8_t *s = malloc(lb.h.setup_size);
    linuxboot_patched_setup(&lb, s);
    CHECK_EQ(s[HDR_TYPE_OF_LOADER], 0xff);
    CHECK_EQ(s[HDR_LOADFLAGS], LINUX_LOADED_HIGH | LINUX_CAN_USE_HEAP);
    CHECK_EQ(ld16_le(s + HDR_HEAP_END_PTR), 0xde00);
    CHECK_EQ(ld32_le(s + HDR_CMD_LINE_PTR), 0x1e000);
    CHECK_EQ(ld32_le(s + HDR_RAMDISK_SIZE), 12345);
    CHECK_EQ(ld32_le(s + HDR_RAMDISK_IMAGE), 0);
    /* everything else as in the file */
    CHECK(!memcmp(s, img, HDR_TYPE_OF_LOADER));
    CHECK(!memcmp(s + HDR_CODE32_START, img + HDR_CODE32_START, 4));
    CHECK(!memcmp(s + 0x22c, img + 0x22c, lb.h.setup_size - 0x22c));
    free(s);
    free(img);
}

TEST(option_rom)
{
    uint8_t rom[LINUXBOOT_ROM_SIZE + 16];
    memset(rom, 0xcc, sizeof(rom));
    CHECK_EQ(linuxboot_option_rom(rom), 512);
    CHECK_EQ(rom[512], 0xcc); /* nothing written past the end */
    CHECK_EQ(rom[0], 0x55);
    CHECK_EQ(rom[1], 0xaa);
    CHECK_EQ(rom[2], 1);
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + rom[i]);
    CHECK_EQ(sum, 0);
    CHECK_EQ(ld16_le(rom + 0x1a), 0); /* no PnP header: a legacy ROM */
    /* init entry: jmp short to 0x20, which writes IVT[0x19] = cs:boot */
    CHECK_EQ(rom[3], 0xeb);
    CHECK_EQ(5 + rom[4], 0x20);
    static const uint8_t ivt[] = { 0xc7, 0x06, 0x64, 0x00 };
    CHECK(!memcmp(rom + 0x26, ivt, 4));
    uint16_t boot = ld16_le(rom + 0x2a);
    CHECK_EQ(rom[boot], 0xfa);      /* cli */
    CHECK_EQ(rom[boot + 1], 0xfc);  /* cld */
    /* every fw_cfg key the handler reads, as "mov ax, key" */
    static const uint16_t keys[] = { FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_KERNEL_ADDR,
                                     FW_CFG_KERNEL_SIZE, FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE,
                                     FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA };
    for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        bool found = false;
        for (int i = 0x20; i < 510 && !found; i++)
            found = rom[i] == 0xb8 && ld16_le(rom + i + 1) == keys[k];
        CHECK(found);
    }
}

typedef struct Rig {
    FakePC *pc;
    uint8_t *mem;
    uint64_t ram;
} Rig;

static void rig_init(Rig *r, uint64_t ram)
{
    r->pc = fake_pc_new();
    r->ram = ram;
    r->mem = memory_region_get_ram_ptr(fake_pc_add_ram(r->pc, ram));
}

static uint32_t fw_u32(IOPortSpace *io, uint16_t key)
{
    ioport_write(io, FW_CFG_IO_BASE, key, 2);
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)ioport_read(io, FW_CFG_IO_BASE + 1, 1);
    return ld32_le(b);
}

static bool fw_same(IOPortSpace *io, uint16_t key, const uint8_t *data, size_t len)
{
    ioport_write(io, FW_CFG_IO_BASE, key, 2);
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)ioport_read(io, FW_CFG_IO_BASE + 1, 1) != data[i])
            return false;
    return true;
}

TEST(fw_cfg_items)
{
    Rig r;
    rig_init(&r, 1 << 20);
    Error *err = NULL;
    FWCfgState *fw = fw_cfg_init_io(&r.pc->m, FW_CFG_IO_BASE, true, &err);
    CHECK(fw);
    fw_cfg_device(fw)->cls->reset(fw_cfg_device(fw));
    IOPortSpace *io = r.pc->m.io;

    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    LinuxBoot lb = { 0 };
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    lb.image = img;
    lb.image_len = len;
    lb.cmdline = (char *)"console=ttyS0 quiet";
    uint8_t initrd[5000];
    for (int i = 0; i < 5000; i++)
        initrd[i] = (uint8_t)(i ^ 0x5a);
    lb.initrd = initrd;
    lb.initrd_len = sizeof(initrd);
    CHECK_EQ(linuxboot_setup_fw_cfg(&lb, fw, &err), 0);

    CHECK_EQ(fw_u32(io, FW_CFG_SETUP_ADDR), 0x10000);
    CHECK_EQ(fw_u32(io, FW_CFG_SETUP_SIZE), 5 * 512);
    uint8_t setup[5 * 512];
    linuxboot_patched_setup(&lb, setup);
    CHECK(fw_same(io, FW_CFG_SETUP_DATA, setup, sizeof(setup)));
    CHECK_EQ(fw_u32(io, FW_CFG_KERNEL_ADDR), 0x100000);
    CHECK_EQ(fw_u32(io, FW_CFG_KERNEL_SIZE), IMG_KERNEL_LEN);
    CHECK(fw_same(io, FW_CFG_KERNEL_DATA, img + 5 * 512, IMG_KERNEL_LEN));
    CHECK_EQ(fw_u32(io, FW_CFG_CMDLINE_ADDR), 0x1e000);
    CHECK_EQ(fw_u32(io, FW_CFG_CMDLINE_SIZE), 20);
    CHECK(fw_same(io, FW_CFG_CMDLINE_DATA, (const uint8_t *)"console=ttyS0 quiet", 20));
    CHECK_EQ(fw_u32(io, FW_CFG_INITRD_SIZE), sizeof(initrd));
    CHECK(fw_same(io, FW_CFG_INITRD_DATA, initrd, sizeof(initrd)));
    int key = fw_cfg_file_key(fw, "genroms/linuxboot.bin");
    CHECK(key >= FW_CFG_FILE_FIRST);
    uint8_t rom[LINUXBOOT_ROM_SIZE];
    linuxboot_option_rom(rom);
    CHECK(fw_same(io, (uint16_t)key, rom, sizeof(rom)));
    fw_cfg_free(fw);
    free(img);
}

static const LinuxE820 test_map[] = {
    { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 }, { 0x100000, 0x3f00000, 1 },
};

TEST(direct_boot_params)
{
    Rig r;
    rig_init(&r, 64 << 20);
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    LinuxBoot lb = { 0 };
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    lb.image = img;
    lb.image_len = len;
    lb.cmdline = (char *)"console=ttyS0";
    uint8_t initrd[5000];
    memset(initrd, 0xa5, sizeof(initrd));
    lb.initrd = initrd;
    lb.initrd_len = sizeof(initrd);
    LinuxEntry e;
    Error *err = NULL;
    CHECK_EQ(linuxboot_load_direct(&lb, r.pc->m.as, r.ram, test_map, 4, true, false, &e, &err), 0);
    CHECK_EQ(e.entry, 0x100000);
    CHECK(!e.long_mode);
    CHECK_EQ(e.boot_params, 0x10000);
    uint8_t *bp = r.mem + 0x10000;
    /* the setup header copied up to its end, then the loader's fields */
    CHECK(!memcmp(bp + 0x1f1, img + 0x1f1, HDR_TYPE_OF_LOADER - 0x1f1));
    CHECK(!memcmp(bp + HDR_CODE32_START, img + HDR_CODE32_START, 4));
    CHECK(!memcmp(bp + 0x22c, img + 0x22c, 0x26c - 0x22c));
    CHECK_EQ(bp[0x26c], 0); /* nothing past the header end */
    CHECK_EQ(bp[HDR_TYPE_OF_LOADER], 0xff);
    CHECK_EQ(ld32_le(bp + HDR_CMD_LINE_PTR), 0x1e000);
    CHECK_STR((char *)r.mem + 0x1e000, "console=ttyS0");
    /* initrd page-aligned at the top of RAM (initrd_addr_max is higher) */
    uint32_t rd = ld32_le(bp + HDR_RAMDISK_IMAGE);
    CHECK_EQ(rd, ((64u << 20) - 5000) & ~0xfffu);
    CHECK_EQ(ld32_le(bp + HDR_RAMDISK_SIZE), 5000);
    CHECK(!memcmp(r.mem + rd, initrd, 5000));
    /* kernel at 1 MiB */
    CHECK(!memcmp(r.mem + 0x100000, img + 5 * 512, IMG_KERNEL_LEN));
    /* e820 */
    CHECK_EQ(bp[BP_E820_ENTRIES], 4);
    CHECK_EQ(ld64_le(bp + BP_E820_TABLE + 3 * 20), 0x100000);
    CHECK_EQ(ld64_le(bp + BP_E820_TABLE + 3 * 20 + 8), 0x3f00000);
    CHECK_EQ(ld32_le(bp + BP_E820_TABLE + 1 * 20 + 16), 2);
    CHECK_EQ(ld32_le(bp + BP_ALT_MEM_K), 63 * 1024);
    /* screen_info: 80x25 VGA text */
    CHECK_EQ(bp[BP_VIDEO_MODE], 3);
    CHECK_EQ(bp[BP_VIDEO_COLS], 80);
    CHECK_EQ(bp[BP_VIDEO_LINES], 25);
    CHECK_EQ(bp[BP_VIDEO_ISVGA], 1);
    /* GDT: flat 32-bit code at 0x10, flat data at 0x18 */
    CHECK_EQ(e.gdt_base, LINUX_GDT_ADDR);
    CHECK_EQ(e.gdt_limit, 31);
    CHECK_EQ(ld64_le(r.mem + LINUX_GDT_ADDR + 0x10), 0x00cf9b000000ffffull);
    CHECK_EQ(ld64_le(r.mem + LINUX_GDT_ADDR + 0x18), 0x00cf93000000ffffull);
    free(img);
}

TEST(direct_initrd_addr_max_and_ram)
{
    Rig r;
    rig_init(&r, 64 << 20);
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    st32_le(img + HDR_INITRD_ADDR_MAX, 0x1ffffff); /* 32 MiB - 1 */
    LinuxBoot lb = { 0 };
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    lb.image = img;
    lb.image_len = len;
    lb.cmdline = (char *)"";
    uint8_t initrd[8192 + 1] = { 1 };
    lb.initrd = initrd;
    lb.initrd_len = sizeof(initrd);
    LinuxEntry e;
    Error *err = NULL;
    CHECK_EQ(linuxboot_load_direct(&lb, r.pc->m.as, r.ram, test_map, 4, false, false, &e, &err), 0);
    CHECK_EQ(ld32_le(r.mem + 0x10000 + HDR_RAMDISK_IMAGE), 0x2000000 - 0x3000);
    CHECK_EQ(r.mem[0x10000 + BP_VIDEO_MODE], 0); /* no VGA: no screen_info */

    /* pref_address 16 MiB + init_size 8 MiB do not fit in 16 MiB of RAM */
    Rig small;
    rig_init(&small, 16 << 20);
    CHECK_EQ(linuxboot_load_direct(&lb, small.pc->m.as, small.ram, test_map, 4, false, false, &e,
                                   &err), -1);
    CHECK(msg_has(err, "24 MiB") && msg_has(err, "-m"));
    error_free(err), err = NULL;
    /* the initrd must not overlap the decompressed kernel */
    Rig mid;
    rig_init(&mid, 0x1801000); /* kernel needs up to 0x1800000 */
    lb.initrd_len = 8192;
    CHECK_EQ(linuxboot_load_direct(&lb, mid.pc->m.as, mid.ram, test_map, 4, false, false, &e,
                                   &err), -1);
    CHECK(msg_has(err, "-initrd"));
    error_free(err), err = NULL;
    lb.initrd_len = 4096;
    CHECK_EQ(linuxboot_load_direct(&lb, mid.pc->m.as, mid.ram, test_map, 4, false, false, &e,
                                   &err), 0);
    CHECK_EQ(ld32_le(mid.mem + 0x10000 + HDR_RAMDISK_IMAGE), 0x1800000);
    free(img);
}

TEST(direct_long_mode)
{
    Rig r;
    rig_init(&r, 64 << 20);
    size_t len;
    uint8_t *img = make_image(&len, IMG_SETUP_SECTS, 0x020f, LINUX_LOADED_HIGH);
    LinuxBoot lb = { 0 };
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    lb.image = img;
    lb.image_len = len;
    lb.cmdline = (char *)"";
    LinuxEntry e;
    CHECK_EQ(linuxboot_load_direct(&lb, r.pc->m.as, r.ram, test_map, 4, false, true, &e, NULL), 0);
    CHECK(e.long_mode);
    CHECK_EQ(e.entry, 0x100200); /* startup_64 */
    CHECK_EQ(e.cr3, LINUX_PGTABLE_ADDR);
    CHECK_EQ(ld64_le(r.mem + LINUX_GDT_ADDR + 0x10), 0x00af9b000000ffffull); /* L=1 */
    /* walk: 0xc0200000 (PML4 0, PDPT 3, PD 1) maps to itself with a 2 MiB page */
    uint64_t pml4 = ld64_le(r.mem + e.cr3);
    CHECK_EQ(pml4 & 0xfff, 0x03);
    uint64_t pdpte = ld64_le(r.mem + (pml4 & ~0xfffull) + 3 * 8);
    CHECK_EQ(pdpte & 0xfff, 0x03);
    uint64_t pde = ld64_le(r.mem + (pdpte & ~0xfffull) + 1 * 8);
    CHECK_EQ(pde, 0xc0200000ull | 0x83);

    /* a 32-bit-only kernel keeps the 32-bit entry even when asked */
    st16_le(img + HDR_XLOADFLAGS, 0);
    CHECK_EQ(linuxboot_parse(img, len, "k", &lb.h, NULL), 0);
    CHECK_EQ(linuxboot_load_direct(&lb, r.pc->m.as, r.ram, test_map, 4, false, true, &e, NULL), 0);
    CHECK(!e.long_mode);
    CHECK_EQ(e.entry, 0x100000);
    CHECK_EQ(ld64_le(r.mem + LINUX_GDT_ADDR + 0x10), 0x00cf9b000000ffffull);
    free(img);
}

/* Debian's kernels, when tests/boot/linux.sh or make demo cached them. */
TEST(debian_kernels)
{
    const char *cache = getenv("PEMU_CACHE");
    int found = 0;
    static const char *const arch[] = { "amd64", "i386" };
    for (int a = 0; a < 2; a++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/linux/%s/vmlinuz", cache ? cache : "cache", arch[a]);
        LinuxBoot lb;
        Error *err = NULL;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fclose(f);
        found++;
        CHECK_EQ(linuxboot_open(&lb, path, NULL, "console=ttyS0", &err), 0);
        CHECK(lb.h.version >= 0x020f);
        CHECK_EQ(lb.h.setup_size, (uint32_t)(lb.image[0x1f1] + 1) * 512);
        CHECK_EQ(lb.h.setup_size + lb.h.kernel_size, lb.image_len);
        CHECK(lb.h.relocatable);
        CHECK(lb.h.init_size > lb.h.kernel_size);
        CHECK_EQ(lb.h.code32_start, 0x100000);
        CHECK_EQ((lb.h.xloadflags & LINUX_XLF_KERNEL_64) != 0, a == 0);
        CHECK_EQ(lb.h.initrd_addr_max, 0x7fffffff); /* both since 2.6.3x */
        linuxboot_close(&lb);
    }
    if (!found)
        SKIP("no Debian kernel in $PEMU_CACHE/linux (make demo or make check TESTS=boot/linux fetches them)");
}
