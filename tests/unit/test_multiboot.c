/* hw/multiboot.c: a.out-kludge and ELF kernels, modules, the info structure. */
#include "unit.h"
#include "hw/multiboot.h"

#include <stdio.h>
#include <stdlib.h>

#define RAM (16u << 20)

static AddressSpace *as;
static MemoryRegion *root, *ram;

static void machine_up(void)
{
    root = memory_region_new_container("sys", 1ull << 32, NULL);
    ram = memory_region_new_ram("ram", RAM, NULL, NULL);
    memory_region_add_subregion(root, 0, ram, 0);
    as = address_space_new("memory", root);
    memset(memory_region_get_ram_ptr(ram), 0xaa, RAM);
}

static const MultibootRange map[] = {
    { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 }, { 0x100000, RAM - 0x100000, 1 },
};

static char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

static uint32_t rd32(uint64_t a) { return address_space_ldl_le(as, a); }

static const char *rdstr(uint64_t a)
{
    static char s[256];
    for (unsigned i = 0; i < sizeof(s) - 1; i++) {
        s[i] = (char)address_space_ldub(as, a + i);
        if (!s[i])
            return s;
    }
    s[sizeof(s) - 1] = 0;
    return s;
}

/* An a.out-kludge kernel: header at file offset 16, 64 bytes of code/data. */
static size_t aout_image(uint8_t *img, uint32_t flags_extra, uint32_t bss_extra)
{
    memset(img, 0, 96);
    uint8_t *h = img + 16;
    uint32_t flags = 0x00010003u | flags_extra;
    st32_le(h, MULTIBOOT_HEADER_MAGIC);
    st32_le(h + 4, flags);
    st32_le(h + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
    st32_le(h + 12, 0x100010);          /* header_addr */
    st32_le(h + 16, 0x100000);          /* load_addr */
    st32_le(h + 20, 0);                 /* load_end: whole file */
    st32_le(h + 24, 0x100060 + bss_extra); /* bss_end */
    st32_le(h + 28, 0x100040);          /* entry */
    for (int i = 48; i < 96; i++)
        img[i] = (uint8_t)i;
    return 96;
}

TEST(aout_kludge_with_modules)
{
    uint8_t img[96], m1[5000], m2[3] = { 'x', 'y', 'z' };
    machine_up();
    size_t n = aout_image(img, 0, 0x1000);
    char *kp = strdup(write_tmp("kernel.bin", img, n));
    memset(m1, 0x5a, sizeof(m1));
    char *p1 = strdup(write_tmp("mod1", m1, sizeof(m1)));
    char *p2 = strdup(write_tmp("mod,2", m2, sizeof(m2)));
    char initrd[1200];
    /* ",," is a literal comma inside a module's name */
    char esc2[600];
    size_t k = 0;
    for (const char *c = p2; *c; c++) {
        esc2[k++] = *c;
        if (*c == ',')
            esc2[k++] = ',';
    }
    esc2[k] = 0;
    snprintf(initrd, sizeof(initrd), "%s arg1 arg2,%s", p1, esc2);
    MultibootInfo mi;
    Error *err = NULL;
    char cmdline[600];
    snprintf(cmdline, sizeof(cmdline), "%s console=ttyS0", kp);
    CHECK_EQ(multiboot_load(as, RAM, kp, cmdline, initrd, map, 4, &mi, &err), 0);
    CHECK(err == NULL);
    CHECK_EQ(mi.entry, 0x100040);
    CHECK_EQ(mi.load_start, 0x100000);
    CHECK_EQ(mi.load_end, 0x101060);
    CHECK_EQ(address_space_ldub(as, 0x100030), 48);   /* file byte 48 */
    CHECK_EQ(address_space_ldub(as, 0x10005f), 95);
    CHECK_EQ(address_space_ldub(as, 0x100060), 0);    /* bss zeroed */
    CHECK_EQ(address_space_ldub(as, 0x10105f), 0);
    CHECK_EQ(address_space_ldub(as, 0x101060), 0xaa); /* untouched past bss */
    uint64_t info = mi.info_addr;
    CHECK_EQ(rd32(info) & 0x24f, 0x24f); /* memory, bootdev, cmdline, mods, mmap, loader name */
    CHECK_EQ(rd32(info + 4), 0x9fc00 >> 10);
    CHECK_EQ(rd32(info + 8), (RAM - 0x100000) >> 10);
    CHECK_STR(rdstr(rd32(info + 16)), cmdline);
    CHECK_EQ(rd32(info + 20), 2);
    uint64_t mods = rd32(info + 24);
    CHECK_EQ(rd32(mods) % 4096, 0);
    CHECK(rd32(mods) >= 0x101060);
    CHECK_EQ(rd32(mods + 4) - rd32(mods), sizeof(m1));
    CHECK_EQ(address_space_ldub(as, rd32(mods) + 4999), 0x5a);
    char want[600];
    snprintf(want, sizeof(want), "%s arg1 arg2", p1);
    CHECK_STR(rdstr(rd32(mods + 8)), want);
    CHECK_EQ(rd32(mods + 16) % 4096, 0);
    CHECK_EQ(rd32(mods + 20) - rd32(mods + 16), 3);
    CHECK_EQ(address_space_ldub(as, rd32(mods + 16) + 2), 'z');
    CHECK_STR(rdstr(rd32(mods + 24)), p2);
    CHECK_EQ(rd32(info + 44), 4 * 24);
    uint64_t mm = rd32(info + 48);
    CHECK_EQ(rd32(mm), 20);
    CHECK_EQ(address_space_ldq_le(as, mm + 24 * 3 + 4), 0x100000);
    CHECK_EQ(address_space_ldq_le(as, mm + 24 * 3 + 12), RAM - 0x100000);
    CHECK_EQ(rd32(mm + 24 * 1 + 20), 2);
    CHECK_STR(rdstr(rd32(info + 64)), "pemu");
    free(kp);
    free(p1);
    free(p2);
}

/* A minimal ELF32 with one PT_LOAD linked at 0xc0100000, loaded at 0x200000. */
static size_t elf_image(uint8_t *img, int cls)
{
    memset(img, 0, 0x200);
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = (uint8_t)cls;
    img[5] = 1;
    img[6] = 1;
    st16_le(img + 16, 2);
    st16_le(img + 18, 3);
    st32_le(img + 20, 1);
    st32_le(img + 24, 0xc0100008);   /* entry, virtual */
    st32_le(img + 28, 52);           /* phoff */
    st16_le(img + 40, 52);
    st16_le(img + 42, 32);
    st16_le(img + 44, 1);
    uint8_t *ph = img + 52;
    st32_le(ph, 1);
    st32_le(ph + 4, 0x100);          /* offset */
    st32_le(ph + 8, 0xc0100000);     /* vaddr */
    st32_le(ph + 12, 0x200000);      /* paddr */
    st32_le(ph + 16, 0x80);          /* filesz */
    st32_le(ph + 20, 0x1000);        /* memsz */
    uint8_t *h = img + 0x100;        /* the Multiboot header, inside the segment */
    st32_le(h, MULTIBOOT_HEADER_MAGIC);
    st32_le(h + 4, 3);
    st32_le(h + 8, -(MULTIBOOT_HEADER_MAGIC + 3));
    for (int i = 12; i < 0x80; i++)
        h[i] = 0x90;
    return 0x200;
}

TEST(elf_physical_load_and_entry)
{
    uint8_t img[0x200];
    machine_up();
    char *kp = strdup(write_tmp("k.elf", img, elf_image(img, 1)));
    MultibootInfo mi;
    Error *err = NULL;
    CHECK_EQ(multiboot_load(as, RAM, kp, kp, NULL, map, 4, &mi, &err), 0);
    CHECK_EQ(mi.entry, 0x200008);
    CHECK_EQ(mi.load_start, 0x200000);
    CHECK_EQ(mi.load_end, 0x201000);
    CHECK_EQ(rd32(0x200000), MULTIBOOT_HEADER_MAGIC);
    CHECK_EQ(address_space_ldub(as, 0x20007f), 0x90);
    CHECK_EQ(address_space_ldub(as, 0x200080), 0);   /* memsz beyond filesz zeroed */
    CHECK_EQ(rd32(mi.info_addr + 20), 0);            /* no modules */
    CHECK_EQ(rd32(mi.info_addr) & 8, 0);
    free(kp);
}

static const char *load_error(const uint8_t *img, size_t len, uint64_t ram)
{
    static char msg[512];
    MultibootInfo mi;
    Error *err = NULL;
    char *kp = strdup(write_tmp("bad", img, len));
    int r = multiboot_load(as, ram, kp, "", NULL, map, 4, &mi, &err);
    free(kp);
    if (r == 0 || !err)
        return "(loaded)";
    snprintf(msg, sizeof(msg), "%s", err->msg);
    error_free(err);
    return msg;
}

TEST(bad_kernels_are_refused_clearly)
{
    uint8_t img[0x200];
    Error *err = NULL;
    MultibootInfo mi;
    machine_up();
    CHECK_EQ(multiboot_load(as, RAM, "/nonexistent/k", "", NULL, map, 4, &mi, &err), -1);
    CHECK(strstr(err->msg, "could not load kernel '/nonexistent/k'"));
    error_free(err);

    memset(img, 0, sizeof(img));
    CHECK(strstr(load_error(img, sizeof(img), RAM), "no Multiboot header"));
    elf_image(img, 2);
    CHECK(strstr(load_error(img, sizeof(img), RAM), "x86-64"));
    elf_image(img, 1);
    CHECK(strstr(load_error(img, sizeof(img), 0x200800), "outside the guest"));
    elf_image(img, 1);
    st32_le(img + 52 + 16, 0x1000);   /* filesz past the end of the file */
    CHECK(strstr(load_error(img, sizeof(img), RAM), "outside the file"));
    size_t n = aout_image(img, 0, 0);
    st32_le(img + 16 + 20, 0x100400); /* load_end past the end of the file */
    CHECK(strstr(load_error(img, n, RAM), "shorter than"));
    n = aout_image(img, 0x8, 0);      /* an unknown required flag */
    CHECK(strstr(load_error(img, n, RAM), "unsupported Multiboot flags"));
    n = aout_image(img, 0, 0);
    st32_le(img + 16 + 28, 0x200000); /* entry outside the image */
    CHECK(strstr(load_error(img, n, RAM), "entry"));
}

TEST(probe)
{
    uint8_t img[96];
    Error *err = NULL;
    machine_up();
    char *kp = strdup(write_tmp("k", img, aout_image(img, 0, 0)));
    CHECK_EQ(multiboot_probe(kp, &err), 1);
    memset(img, 0, sizeof(img));
    char *np = strdup(write_tmp("n", img, sizeof(img)));
    CHECK_EQ(multiboot_probe(np, &err), 0);
    CHECK_EQ(multiboot_probe("/nonexistent", &err), -1);
    CHECK(err != NULL);
    error_free(err);
    free(kp);
    free(np);
}
