/* src/memory: region tree, flat views, accessors, MMIO sizes, listeners, dirty/code. */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "src/log.h"
#include "src/memory.h"

/* Under ASan, let a huge allocation fail with NULL like libc does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* ---- a recording MMIO device ----------------------------------------- */

typedef struct Call {
    char rw;
    hwaddr off;
    unsigned size;
    uint64_t val;
} Call;

typedef struct Dev {
    uint8_t mem[64];
    Call calls[64];
    int ncalls;
    int bad; /* a callback saw a size outside impl or a misaligned offset */
    unsigned imin, imax;
} Dev;

static void dev_check(Dev *d, hwaddr off, unsigned size)
{
    if (size < d->imin || size > d->imax || (off & (size - 1)) || off + size > sizeof(d->mem))
        d->bad++;
}

static uint64_t dev_read(void *opaque, hwaddr off, unsigned size)
{
    Dev *d = opaque;
    uint64_t v = 0;
    dev_check(d, off, size);
    for (unsigned i = 0; i < size && off + i < sizeof(d->mem); i++)
        v |= (uint64_t)d->mem[off + i] << (8 * i);
    if (d->ncalls < 64)
        d->calls[d->ncalls++] = (Call){ 'r', off, size, v };
    /* garbage above the access size must be ignored by the core */
    return size < 8 ? v | (0xdead0000ull << (8 * size)) : v;
}

static void dev_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    Dev *d = opaque;
    dev_check(d, off, size);
    if (size < 8 && (val >> (8 * size)))
        d->bad++;
    for (unsigned i = 0; i < size && off + i < sizeof(d->mem); i++)
        d->mem[off + i] = (uint8_t)(val >> (8 * i));
    if (d->ncalls < 64)
        d->calls[d->ncalls++] = (Call){ 'w', off, size, val };
}

static void dev_init(Dev *d, unsigned imin, unsigned imax)
{
    memset(d, 0, sizeof(*d));
    for (unsigned i = 0; i < sizeof(d->mem); i++)
        d->mem[i] = (uint8_t)(0x10 + i);
    d->imin = imin;
    d->imax = imax;
}

static MemOps dev_ops(unsigned vmin, unsigned vmax, unsigned imin, unsigned imax)
{
    MemOps o = { dev_read, dev_write, { vmin, vmax }, { imin, imax } };
    return o;
}

/* The little-endian value of the device's bytes [off, off+n). */
static uint64_t dev_bytes(const Dev *d, hwaddr off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)d->mem[off + i] << (8 * i);
    return v;
}

#define CHECK_CALL(d, i, RW, OFF, SIZE)                                \
    do {                                                               \
        CHECK((d)->ncalls > (i));                                      \
        CHECK_EQ((d)->calls[i].rw, RW);                                \
        CHECK_EQ((d)->calls[i].off, OFF);                              \
        CHECK_EQ((d)->calls[i].size, SIZE);                            \
    } while (0)

/* ---- helpers ----------------------------------------------------------- */

static MemoryRegion *ram(const char *name, uint64_t size)
{
    Error *err = NULL;
    MemoryRegion *mr = memory_region_new_ram(name, size, NULL, &err);
    if (!mr) {
        fprintf(stderr, "%s\n", err->msg);
        abort();
    }
    return mr;
}

/* Sections as text "start-last name@offset[ ro]" joined by ';'. */
static const char *flat(AddressSpace *as)
{
    static char buf[4096];
    unsigned n;
    const MemSection *s = address_space_sections(as, &n);
    size_t p = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < n; i++)
        p += (size_t)snprintf(buf + p, sizeof(buf) - p, "%s%llx-%llx %s@%llx%s", i ? ";" : "",
                              (unsigned long long)s[i].start,
                              (unsigned long long)(s[i].start + s[i].size - 1),
                              memory_region_name(s[i].mr), (unsigned long long)s[i].offset,
                              s[i].readonly ? " ro" : "");
    return buf;
}

/* ---- RAM, overlaps, priorities ----------------------------------------- */

TEST(ram_rw_little_endian)
{
    MemoryRegion *root = memory_region_new_container("root", 1 << 20, NULL);
    MemoryRegion *r = ram("ram", 0x10000);
    memory_region_add_subregion(root, 0, r, 0);
    AddressSpace *as = address_space_new("mem", root);
    uint8_t *h = memory_region_get_ram_ptr(r);

    CHECK(h && ((uintptr_t)h & 0xfff) == 0);
    CHECK_EQ(h[0x1234], 0); /* zeroed */
    address_space_stl_le(as, 0x100, 0x11223344);
    CHECK_EQ(h[0x100], 0x44);
    CHECK_EQ(h[0x103], 0x11);
    address_space_stq_le(as, 0x201, 0x0102030405060708ull);
    CHECK_EQ(address_space_ldq_le(as, 0x201), 0x0102030405060708ull);
    CHECK_EQ(address_space_ldl_le(as, 0x202), 0x04050607);
    CHECK_EQ(address_space_lduw_le(as, 0x208), 0x01);
    address_space_stw_le(as, 0xfffe, 0xbeef);
    CHECK_EQ(address_space_ldub(as, 0xffff), 0xbe);
    address_space_stb(as, 0x300, 0x5a);
    CHECK_EQ(h[0x300], 0x5a);
    /* unassigned: reads all ones, writes vanish */
    CHECK_EQ(address_space_ldl_le(as, 0x20000), 0xffffffffu);
    CHECK_EQ(address_space_ldq_le(as, 0xfffc), 0xffffffffbeef0000ull);
    address_space_stl_le(as, 0x20000, 0);
    CHECK_EQ(address_space_ldub(as, 0x20000), 0xff);
    CHECK_STR(flat(as), "0-ffff ram@0");
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(root);
}

TEST(priority_and_overlap)
{
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(0, 0, 0, 0);
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *a = ram("a", 0x10000);
    MemoryRegion *b = memory_region_new_mmio("b", 0x1000, &ops, &d, NULL);
    MemoryRegion *c = ram("c", 0x2000);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(root, 0, a, 0);
    memory_region_add_subregion(root, 0x4000, b, 1);
    CHECK_STR(flat(as), "0-3fff a@0;4000-4fff b@0;5000-ffff a@5000");
    /* c is added later at a's priority: it wins over a, not over b */
    memory_region_add_subregion(root, 0x3000, c, 0);
    CHECK_STR(flat(as), "0-2fff a@0;3000-3fff c@0;4000-4fff b@0;5000-ffff a@5000");
    /* a lower priority never shows where something higher is */
    memory_region_set_address(c, 0x3800);
    CHECK_STR(flat(as), "0-37ff a@0;3800-3fff c@0;4000-4fff b@0;5000-57ff c@1800;5800-ffff a@5800");

    MemXlat x;
    CHECK(address_space_translate(as, 0x5900, &x) == a);
    CHECK_EQ(x.offset, 0x5900);
    CHECK_EQ(x.len, 0x10000 - 0x5900);
    CHECK(x.host == memory_region_get_ram_ptr(a) + 0x5900);
    CHECK_EQ(x.ram_addr, memory_region_ram_addr(a) + 0x5900);
    CHECK(!x.readonly);
    CHECK(address_space_translate(as, 0x4ffe, &x) == b);
    CHECK_EQ(x.offset, 0xffe);
    CHECK_EQ(x.len, 2);
    CHECK(x.host == NULL);
    CHECK(address_space_translate(as, 0x10000, &x) == NULL);
    CHECK_EQ(x.len, 0 - (uint64_t)0x10000); /* the gap runs to 2^64 */
    address_space_free(as);
    memory_region_free(a);
    memory_region_free(b);
    memory_region_free(c);
    memory_region_free(root);
}

TEST(equal_priority_latest_added_wins)
{
    MemoryRegion *root = memory_region_new_container("root", 0x10000, NULL);
    MemoryRegion *a = ram("a", 0x1000), *b = ram("b", 0x1000);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(root, 0, a, 0);
    memory_region_add_subregion(root, 0x800, b, 0);
    CHECK_STR(flat(as), "0-7ff a@0;800-17ff b@0");
    /* moving or toggling does not change the order ... */
    memory_region_set_address(b, 0x400);
    memory_region_set_enabled(a, false);
    memory_region_set_enabled(a, true);
    CHECK_STR(flat(as), "0-3ff a@0;400-13ff b@0");
    /* ... re-adding does */
    memory_region_del_subregion(root, a);
    memory_region_add_subregion(root, 0, a, 0);
    CHECK_STR(flat(as), "0-fff a@0;1000-13ff b@c00");
    /* and priority beats order */
    memory_region_del_subregion(root, b);
    memory_region_add_subregion(root, 0x400, b, -1);
    CHECK_STR(flat(as), "0-fff a@0;1000-13ff b@c00");
    memory_region_del_subregion(root, a);
    memory_region_add_subregion(root, 0, a, -2);
    CHECK_STR(flat(as), "0-3ff a@0;400-13ff b@0");
    address_space_free(as);
    memory_region_free(a);
    memory_region_free(b);
    memory_region_free(root);
}

TEST(disabled_regions_are_transparent)
{
    MemoryRegion *root = memory_region_new_container("root", 0x10000, NULL);
    MemoryRegion *lo = ram("lo", 0x10000), *hi = ram("hi", 0x1000);
    MemoryRegion *box = memory_region_new_container("box", 0x4000, NULL);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(root, 0, lo, 0);
    memory_region_add_subregion(box, 0x1000, hi, 0);
    memory_region_add_subregion(root, 0x8000, box, 5);
    CHECK_STR(flat(as), "0-8fff lo@0;9000-9fff hi@0;a000-ffff lo@a000");
    memory_region_set_enabled(hi, false);
    CHECK_STR(flat(as), "0-ffff lo@0");
    memory_region_set_enabled(hi, true);
    memory_region_set_enabled(box, false);
    CHECK_STR(flat(as), "0-ffff lo@0");
    memory_region_set_enabled(box, true);
    CHECK_STR(flat(as), "0-8fff lo@0;9000-9fff hi@0;a000-ffff lo@a000");
    /* a disabled root maps nothing */
    memory_region_set_enabled(root, false);
    CHECK_STR(flat(as), "");
    address_space_free(as);
    memory_region_free(box);
    memory_region_free(hi);
    memory_region_free(lo);
    memory_region_free(root);
}

TEST(nested_containers_and_clipping)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *c1 = memory_region_new_container("c1", 0x8000, NULL);
    MemoryRegion *c2 = memory_region_new_container("c2", 0x2000, NULL);
    MemoryRegion *r = ram("r", 0x4000);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(c2, 0x100, r, 0); /* sticks out of c2: clipped */
    memory_region_add_subregion(c1, 0x1000, c2, 0);
    memory_region_add_subregion(root, 0x10000, c1, 0);
    CHECK_STR(flat(as), "11100-12fff r@0");
    address_space_stl_le(as, 0x11ffe, 0xaabbccdd);
    CHECK_EQ(ld32_le(memory_region_get_ram_ptr(r) + 0xefe), 0xaabbccdd);
    address_space_stl_le(as, 0x12ffe, 0x11223344); /* half of it beyond c2 */
    CHECK_EQ(ld16_le(memory_region_get_ram_ptr(r) + 0x1efe), 0x3344);
    CHECK_EQ(ld16_le(memory_region_get_ram_ptr(r) + 0x1f00), 0);
    CHECK_EQ(address_space_ldl_le(as, 0x12ffe), 0xffff3344);
    /* the root clips too */
    memory_region_set_address(c1, 0xfe000);
    CHECK_STR(flat(as), "ff100-fffff r@0");
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(c2);
    memory_region_free(c1);
    memory_region_free(root);
}

TEST(aliases)
{
    MemoryRegion *root = memory_region_new_container("root", 0x200000, NULL);
    MemoryRegion *r = ram("r", 0x20000);
    MemoryRegion *al = memory_region_new_alias("al", 0x8000, r, 0x10000, NULL);
    AddressSpace *as = address_space_new("mem", root);
    uint8_t *h = memory_region_get_ram_ptr(r);

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0x100000, al, 0);
    CHECK_STR(flat(as), "0-1ffff r@0;100000-107fff r@10000");
    address_space_stl_le(as, 0x100010, 0xcafef00d);
    CHECK_EQ(ld32_le(h + 0x10010), 0xcafef00d);
    CHECK_EQ(address_space_ldl_le(as, 0x10010), 0xcafef00d);
    CHECK(memory_region_get_ram_ptr(al) == h + 0x10000);
    CHECK_EQ(memory_region_ram_addr(al), memory_region_ram_addr(r) + 0x10000);
    /* moving the window; a window running off the target's end is clipped */
    memory_region_set_alias_offset(al, 0x1c000);
    CHECK_STR(flat(as), "0-1ffff r@0;100000-103fff r@1c000");
    /* an alias over its own target, at higher priority, adjacent offsets merge */
    memory_region_set_alias_offset(al, 0x4000);
    memory_region_del_subregion(root, al);
    memory_region_add_subregion(root, 0x4000, al, 1);
    CHECK_STR(flat(as), "0-1ffff r@0");
    /* a readonly alias: PAM read-only shadow */
    memory_region_set_readonly(al, true);
    CHECK_STR(flat(as), "0-3fff r@0;4000-bfff r@4000 ro;c000-1ffff r@c000");
    address_space_stb(as, 0x4000, 0x77);
    CHECK_EQ(h[0x4000], 0);
    address_space_stb(as, 0x3fff, 0x77);
    CHECK_EQ(h[0x3fff], 0x77);
    memory_region_del_subregion(root, al);
    memory_region_free(al);
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(root);
}

TEST(alias_of_container)
{
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(0, 0, 0, 0);
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *pci = memory_region_new_container("pci", 0x10000, NULL);
    MemoryRegion *bar = memory_region_new_mmio("bar", 0x40, &ops, &d, NULL);
    MemoryRegion *rom = memory_region_new_rom("rom", 0x1000, NULL, NULL);
    MemoryRegion *win = memory_region_new_alias("win", 0x2000, pci, 0xf000, NULL);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(pci, 0xf000, rom, 0);
    memory_region_add_subregion(pci, 0xffc0, bar, 0);
    memory_region_add_subregion(root, 0x80000, win, 0);
    /* the window shows both, and ends where pci ends */
    CHECK_STR(flat(as), "80000-80fbf rom@0 ro;80fc0-80fff bar@0");
    CHECK_EQ(address_space_ldl_le(as, 0x80fc4), dev_bytes(&d, 4, 4));
    CHECK_EQ(d.ncalls, 1);
    /* a BAR moving inside the aliased container moves in the view */
    memory_region_set_address(bar, 0xf800);
    CHECK_STR(flat(as), "80000-807ff rom@0 ro;80800-8083f bar@0;80840-80fff rom@840 ro");
    memory_region_free(win);
    address_space_free(as);
    memory_region_free(bar);
    memory_region_free(rom);
    memory_region_free(pci);
    memory_region_free(root);
}

TEST(container_holes_show_lower_siblings)
{
    MemoryRegion *root = memory_region_new_container("root", 0x10000, NULL);
    MemoryRegion *r = ram("r", 0x10000), *x = ram("x", 0x100);
    MemoryRegion *win = memory_region_new_container("win", 0x8000, NULL);
    AddressSpace *as = address_space_new("mem", root);

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0x8000, win, 10);
    CHECK_STR(flat(as), "0-ffff r@0");
    memory_region_add_subregion(win, 0x100, x, 0);
    CHECK_STR(flat(as), "0-80ff r@0;8100-81ff x@0;8200-ffff r@8200");
    address_space_free(as);
    memory_region_free(win);
    memory_region_free(x);
    memory_region_free(r);
    memory_region_free(root);
}

TEST(rom_and_readonly)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *rom = memory_region_new_rom("bios", 0x10000, NULL, NULL);
    MemoryRegion *r = ram("r", 0x1000);
    AddressSpace *as = address_space_new("mem", root);
    uint8_t *h = memory_region_get_ram_ptr(rom);

    memory_region_add_subregion(root, 0xf0000, rom, 0);
    memory_region_add_subregion(root, 0, r, 0);
    h[0x10] = 0xea; /* the host writes ROM directly */
    CHECK_EQ(address_space_ldub(as, 0xf0010), 0xea);
    address_space_stb(as, 0xf0010, 0x90);
    address_space_write(as, 0xf0010, "\x90\x90", 2);
    CHECK_EQ(h[0x10], 0xea);
    MemXlat x;
    address_space_translate(as, 0xf0010, &x);
    CHECK(x.readonly && x.host == h + 0x10);
    address_space_write_rom(as, 0xf0011, "\x5b\xe0", 2); /* firmware loading */
    CHECK_EQ(address_space_lduw_le(as, 0xf0011), 0xe05b);
    /* MMIO seen through a readonly alias, or made readonly: writes ignored */
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(0, 0, 0, 0);
    MemoryRegion *m = memory_region_new_mmio("m", 0x10, &ops, &d, NULL);
    MemoryRegion *mal = memory_region_new_alias("m-ro", 0x10, m, 0, NULL);
    memory_region_add_subregion(root, 0x10000, m, 0);
    memory_region_add_subregion(root, 0x20000, mal, 0);
    memory_region_set_readonly(mal, true);
    address_space_stl_le(as, 0x20000, 0);
    address_space_write(as, 0x20004, "\0\0", 2);
    CHECK_EQ(d.ncalls, 0);
    CHECK_EQ(address_space_ldl_le(as, 0x20000), 0x13121110);
    address_space_stb(as, 0x10000, 0x99);
    CHECK_EQ(d.mem[0], 0x99);
    memory_region_set_readonly(m, true);
    address_space_stb(as, 0x10001, 0x99);
    CHECK_EQ(d.mem[1], 0x11);
    memory_region_free(mal);
    memory_region_free(m);
    /* RAM made readonly, then writable again */
    memory_region_set_readonly(r, true);
    address_space_stl_le(as, 0, 0x12345678);
    CHECK_EQ(address_space_ldl_le(as, 0), 0);
    memory_region_set_readonly(r, false);
    address_space_stl_le(as, 0, 0x12345678);
    CHECK_EQ(address_space_ldl_le(as, 0), 0x12345678);
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(rom);
    memory_region_free(root);
}

/* ---- accesses straddling sections -------------------------------------- */

TEST(straddling_ram_mmio_unassigned)
{
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(0, 0, 0, 0);
    MemoryRegion *root = memory_region_new_container("root", 0x10000, NULL);
    MemoryRegion *r = ram("r", 0x1000);
    MemoryRegion *m = memory_region_new_mmio("m", 0x10, &ops, &d, NULL);
    AddressSpace *as = address_space_new("mem", root);
    uint8_t *h = memory_region_get_ram_ptr(r);

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0x1000, m, 0);
    /* 16 bytes: 3 of RAM, all 16 of MMIO would be 13 from offset 0 */
    uint8_t buf[20];
    for (int i = 0; i < 20; i++)
        buf[i] = (uint8_t)(0xa0 + i);
    address_space_write(as, 0xffd, buf, 20);
    CHECK_EQ(h[0xffd], 0xa0);
    CHECK_EQ(h[0xfff], 0xa2);
    /* MMIO got the widest aligned pieces: 8 (split to 4+4 by impl), 4, 1;
       the last 3 bytes fell into unassigned space */
    CHECK_EQ(d.ncalls, 4);
    CHECK_CALL(&d, 0, 'w', 0, 4);
    CHECK_CALL(&d, 1, 'w', 4, 4);
    CHECK_CALL(&d, 2, 'w', 8, 4);
    CHECK_CALL(&d, 3, 'w', 12, 4);
    CHECK_EQ(d.mem[0], 0xa3);
    CHECK_EQ(d.mem[15], 0xb2);
    memset(buf, 0, sizeof(buf));
    d.ncalls = 0;
    address_space_read(as, 0xffe, buf, 20);
    CHECK_EQ(buf[0], h[0xffe]);
    CHECK_EQ(buf[1], 0xa2);
    CHECK_EQ(buf[2], 0xa3);
    CHECK_EQ(buf[17], 0xb2);
    CHECK_EQ(buf[18], 0xff);
    CHECK_EQ(buf[19], 0xff);
    /* a dword across RAM/MMIO */
    address_space_stl_le(as, 0xffe, 0x44332211);
    CHECK_EQ(h[0xffe], 0x11);
    CHECK_EQ(h[0xfff], 0x22);
    CHECK_EQ(dev_bytes(&d, 0, 2), 0x4433);
    CHECK_EQ(address_space_ldl_le(as, 0xffe), 0x44332211);
    /* an unaligned dword across two MMIO regions */
    Dev e;
    dev_init(&e, 1, 4);
    MemoryRegion *m2 = memory_region_new_mmio("m2", 0x10, &ops, &e, NULL);
    memory_region_add_subregion(root, 0x1010, m2, 0);
    d.ncalls = e.ncalls = 0;
    CHECK_EQ(address_space_ldl_le(as, 0x100f), (dev_bytes(&e, 0, 3) << 8) | d.mem[15]);
    CHECK_EQ(d.ncalls, 1);
    CHECK_CALL(&d, 0, 'r', 15, 1);
    CHECK_EQ(e.ncalls, 2);
    CHECK_CALL(&e, 0, 'r', 0, 2);
    CHECK_CALL(&e, 1, 'r', 2, 1);
    CHECK(!d.bad && !e.bad);
    address_space_free(as);
    memory_region_free(m2);
    memory_region_free(m);
    memory_region_free(r);
    memory_region_free(root);
}

/* ---- MMIO size adaptation ---------------------------------------------- */

/*
 * Every (impl min, impl max) x access size x offset alignment: the value a
 * read returns is exactly the device's bytes, a write changes exactly the
 * addressed bytes, and the callbacks only see aligned impl-sized accesses.
 */
TEST(mmio_split_merge_all_combinations)
{
    static const unsigned impls[][2] = { { 1, 1 }, { 1, 2 }, { 1, 4 }, { 1, 8 }, { 2, 2 },
                                         { 2, 4 }, { 4, 4 }, { 4, 8 }, { 8, 8 } };
    for (unsigned k = 0; k < PEMU_ARRAY_SIZE(impls); k++) {
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (hwaddr off = 8; off < 16; off++) {
                Dev d;
                dev_init(&d, impls[k][0], impls[k][1]);
                MemOps ops = dev_ops(1, 8, impls[k][0], impls[k][1]);
                MemoryRegion *m = memory_region_new_mmio("m", 64, &ops, &d, NULL);
                uint64_t want = dev_bytes(&d, off, size);
                uint64_t got = memory_region_dispatch_read(m, off, size);
                if (got != want || d.bad)
                    fprintf(stderr, "impl %u..%u read %u at %u\n", impls[k][0], impls[k][1],
                            size, (unsigned)off);
                CHECK_EQ(got, want);
                CHECK(!d.bad);
                uint8_t before[64];
                memcpy(before, d.mem, 64);
                uint64_t val = 0xf1e2d3c4b5a69788ull;
                memory_region_dispatch_write(m, off, val, size);
                CHECK(!d.bad);
                for (unsigned i = 0; i < 64; i++) {
                    uint8_t exp = i >= off && i < off + size ? (uint8_t)(val >> (8 * (i - off)))
                                                             : before[i];
                    if (d.mem[i] != exp)
                        fprintf(stderr, "impl %u..%u write %u at %u: byte %u\n", impls[k][0],
                                impls[k][1], size, (unsigned)off, i);
                    CHECK_EQ(d.mem[i], exp);
                }
                memory_region_free(m);
            }
        }
    }
}

TEST(mmio_exact_call_sequences)
{
    Dev d;
    MemOps byte_only = dev_ops(0, 0, 1, 1), dword_only = dev_ops(0, 0, 4, 4);
    MemOps def = dev_ops(0, 0, 0, 0);

    /* a dword read of a byte device: 4 byte reads, little-endian merged */
    dev_init(&d, 1, 1);
    MemoryRegion *m = memory_region_new_mmio("m", 64, &byte_only, &d, NULL);
    CHECK_EQ(memory_region_dispatch_read(m, 4, 4), 0x17161514);
    CHECK_EQ(d.ncalls, 4);
    for (int i = 0; i < 4; i++)
        CHECK_CALL(&d, i, 'r', (hwaddr)(4 + i), 1);
    memory_region_free(m);

    /* a byte write to a dword device: read-modify-write of the dword */
    dev_init(&d, 4, 4);
    m = memory_region_new_mmio("m", 64, &dword_only, &d, NULL);
    memory_region_dispatch_write(m, 6, 0xee, 1);
    CHECK_EQ(d.ncalls, 2);
    CHECK_CALL(&d, 0, 'r', 4, 4);
    CHECK_CALL(&d, 1, 'w', 4, 4);
    CHECK_EQ(d.calls[1].val, 0x17ee1514);
    /* a byte read of a dword device: one dword read */
    d.ncalls = 0;
    CHECK_EQ(memory_region_dispatch_read(m, 7, 1), 0x17);
    CHECK_EQ(d.ncalls, 1);
    CHECK_CALL(&d, 0, 'r', 4, 4);
    /* an unaligned dword read: two dword reads */
    d.ncalls = 0;
    CHECK_EQ(memory_region_dispatch_read(m, 1, 4), dev_bytes(&d, 1, 4));
    CHECK_EQ(d.ncalls, 2);
    CHECK_CALL(&d, 0, 'r', 0, 4);
    CHECK_CALL(&d, 1, 'r', 4, 4);
    memory_region_free(m);

    /* defaults: impl up to 4, so a qword is two dwords, low first */
    dev_init(&d, 1, 4);
    m = memory_region_new_mmio("m", 64, &def, &d, NULL);
    memory_region_dispatch_write(m, 8, 0x1122334455667788ull, 8);
    CHECK_EQ(d.ncalls, 2);
    CHECK_CALL(&d, 0, 'w', 8, 4);
    CHECK_EQ(d.calls[0].val, 0x55667788);
    CHECK_CALL(&d, 1, 'w', 12, 4);
    CHECK_EQ(d.calls[1].val, 0x11223344);
    /* an unaligned word: split into two bytes */
    d.ncalls = 0;
    memory_region_dispatch_write(m, 3, 0xabcd, 2);
    CHECK_EQ(d.ncalls, 2);
    CHECK_CALL(&d, 0, 'w', 3, 1);
    CHECK_CALL(&d, 1, 'w', 4, 1);
    CHECK_EQ(d.mem[4], 0xab);
    memory_region_free(m);
}

static uint64_t read_only_ones(void *opaque, hwaddr off, unsigned size)
{
    return 0x1234567842ull; /* bits above the access size are dropped */
}

TEST(mmio_invalid_sizes_ignored_and_logged)
{
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(2, 4, 0, 0);
    MemoryRegion *m = memory_region_new_mmio("picky", 64, &ops, &d, NULL);
    char path[512];
    snprintf(path, sizeof(path), "%s/log", unit_tmpdir());
    CHECK(log_set_file(path, NULL) == 0);
    log_set_mask(LOG_GUEST_ERRORS);

    CHECK_EQ(memory_region_dispatch_read(m, 0, 1), 0xff);
    CHECK_EQ(memory_region_dispatch_read(m, 0, 8), UINT64_MAX);
    memory_region_dispatch_write(m, 0, 0, 1);
    memory_region_dispatch_write(m, 0, 0, 8);
    CHECK_EQ(d.ncalls, 0);
    CHECK_EQ(d.mem[0], 0x10);
    CHECK_EQ(memory_region_dispatch_read(m, 2, 2), 0x1312);
    CHECK_EQ(d.ncalls, 1);
    log_flush();
    FILE *f = fopen(path, "r");
    CHECK(f);
    char text[2048];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    CHECK(strstr(text, "invalid 1-byte read at offset 0x0 of 'picky'"));
    CHECK(strstr(text, "invalid 8-byte write"));
    memory_region_free(m);

    /* NULL callbacks: reads all ones, writes ignored; extra high bits dropped */
    MemOps ro = { read_only_ones, NULL, { 0, 0 }, { 0, 0 } }, none = { 0 };
    m = memory_region_new_mmio("ro", 16, &ro, NULL, NULL);
    MemoryRegion *z = memory_region_new_mmio("none", 16, &none, NULL, NULL);
    memory_region_dispatch_write(m, 0, 1, 4);
    CHECK_EQ(memory_region_dispatch_read(m, 0, 2), 0x7842);
    CHECK_EQ(memory_region_dispatch_read(z, 0, 4), 0xffffffffu);
    memory_region_free(m);
    memory_region_free(z);
}

/* ---- listeners --------------------------------------------------------- */

typedef struct Rec {
    MemoryListener l;
    char log[2048];
} Rec;

static void rec_printf(Rec *r, const char *fmt, ...) PEMU_PRINTF(2, 3);
static void rec_printf(Rec *r, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(r->log);
    va_start(ap, fmt);
    vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
    va_end(ap);
}

static void rec_begin(MemoryListener *l) { rec_printf((Rec *)l, "begin;"); }
static void rec_commit(MemoryListener *l) { rec_printf((Rec *)l, "commit;"); }
static void rec_sec(MemoryListener *l, const char *what, const MemSection *s)
{
    rec_printf((Rec *)l, "%s %llx+%llx %s@%llx%s%s;", what, (unsigned long long)s->start,
               (unsigned long long)s->size, memory_region_name(s->mr),
               (unsigned long long)s->offset, s->readonly ? " ro" : "",
               s->dirty_log ? " log" : "");
}
static void rec_add(MemoryListener *l, const MemSection *s) { rec_sec(l, "add", s); }
static void rec_del(MemoryListener *l, const MemSection *s) { rec_sec(l, "del", s); }

TEST(listener_sees_exact_changes)
{
    Dev d;
    dev_init(&d, 1, 4);
    MemOps ops = dev_ops(0, 0, 0, 0);
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *r = ram("r", 0x10000);
    MemoryRegion *m = memory_region_new_mmio("m", 0x1000, &ops, &d, NULL);
    MemoryRegion *hidden = ram("hidden", 0x100);
    AddressSpace *as = address_space_new("mem", root);
    Rec rec = { .l = { rec_begin, rec_add, rec_del, rec_commit } };

    memory_region_add_subregion(root, 0, r, 0);
    memory_listener_register(&rec.l, as); /* replays the view */
    CHECK_STR(rec.log, "begin;add 0+10000 r@0;commit;");

    rec.log[0] = 0;
    memory_region_add_subregion(root, 0x4000, m, 1);
    CHECK_STR(rec.log, "begin;del 0+10000 r@0;add 0+4000 r@0;add 4000+1000 m@0;"
                       "add 5000+b000 r@5000;commit;");

    /* a batch: one begin/commit, and sections unchanged by it not reported */
    rec.log[0] = 0;
    memory_transaction_begin();
    memory_region_set_address(m, 0x8000);
    memory_region_set_enabled(m, false);
    memory_region_set_enabled(m, true);
    memory_transaction_commit();
    /* r's pieces at 0 and 0x4000 now continue each other: merged */
    CHECK_STR(rec.log, "begin;del 0+4000 r@0;del 4000+1000 m@0;del 5000+b000 r@5000;"
                       "add 0+8000 r@0;add 8000+1000 m@0;add 9000+7000 r@9000;commit;");

    /* changes that leave the view identical report nothing */
    rec.log[0] = 0;
    memory_region_add_subregion(root, 0x8000, hidden, -1); /* under m */
    memory_region_set_enabled(hidden, false);
    memory_region_set_enabled(m, true);                    /* no-op */
    CHECK_STR(rec.log, "");

    /* attribute changes are del+add of the same range */
    memory_region_set_readonly(m, true);
    CHECK_STR(rec.log, "begin;del 8000+1000 m@0;add 8000+1000 m@0 ro;commit;");
    rec.log[0] = 0;
    memory_region_set_dirty_log(r, MEMORY_DIRTY_VGA, true);
    CHECK_STR(rec.log, "begin;del 0+8000 r@0;del 9000+7000 r@9000;"
                       "add 0+8000 r@0 log;add 9000+7000 r@9000 log;commit;");

    /* removal; an unregistered listener hears nothing */
    rec.log[0] = 0;
    memory_region_free(m);
    CHECK_STR(rec.log, "begin;del 0+8000 r@0 log;del 8000+1000 m@0 ro;"
                       "del 9000+7000 r@9000 log;add 0+10000 r@0 log;commit;");
    rec.log[0] = 0;
    memory_listener_unregister(&rec.l);
    memory_region_set_enabled(r, false);
    CHECK_STR(rec.log, "");
    address_space_free(as);
    memory_region_free(hidden);
    memory_region_free(r);
    memory_region_free(root);
}

TEST(free_inside_transaction_after_listeners)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *r = ram("r", 0x1000);
    MemoryRegion *al = memory_region_new_alias("al", 0x1000, r, 0, NULL);
    AddressSpace *as = address_space_new("mem", root);
    Rec rec = { .l = { rec_begin, rec_add, rec_del, rec_commit } };

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0x2000, al, 0);
    memory_listener_register(&rec.l, as);
    rec.log[0] = 0;
    /* the listener still gets valid sections (names) of what was freed */
    memory_transaction_begin();
    memory_region_free(al);
    memory_region_free(r); /* its alias went first: allowed */
    memory_transaction_commit();
    CHECK_STR(rec.log, "begin;del 0+1000 r@0;del 2000+1000 r@0;commit;");
    memory_listener_unregister(&rec.l);
    address_space_free(as);
    memory_region_free(root);
}

TEST(last_hit_cache_follows_remaps)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *a = ram("a", 0x1000), *b = ram("b", 0x1000);
    AddressSpace *as = address_space_new("mem", root);
    MemXlat x;

    memory_region_add_subregion(root, 0x1000, a, 0);
    memory_region_add_subregion(root, 0x3000, b, 0);
    CHECK(address_space_translate(as, 0x1800, &x) == a); /* now cached */
    CHECK(address_space_translate(as, 0x1801, &x) == a);
    memory_region_set_address(a, 0x5000);
    memory_region_set_address(b, 0x1000);
    CHECK(address_space_translate(as, 0x1800, &x) == b);
    CHECK_EQ(x.offset, 0x800);
    CHECK(x.host == memory_region_get_ram_ptr(b) + 0x800);
    memory_region_del_subregion(root, b);
    CHECK(address_space_translate(as, 0x1800, &x) == NULL);
    CHECK_EQ(x.len, 0x5000 - 0x1800);
    CHECK(address_space_translate(as, 0x5fff, &x) == a);
    CHECK(address_space_translate(as, 0x6000, &x) == NULL);
    address_space_free(as);
    memory_region_free(a);
    memory_region_free(b);
    memory_region_free(root);
}

/*
 * Random trees against a direct model: for every address, walk the tree
 * the way the header defines it (priority, then latest added; disabled is
 * transparent; aliases forward; containers only where a subregion maps)
 * and compare with address_space_translate.
 */
enum { NODES = 12, SPACE = 256 };
typedef struct Node {
    MemoryRegion *mr;
    int kind, parent, prio, order, enabled, ro;
    hwaddr addr, alias_off;
    uint64_t size;
    int target;
} Node;

static Node nodes[NODES];

static int model(int i, hwaddr off, int *leaf, hwaddr *loff, int *ro)
{
    Node *n = &nodes[i];
    if (!n->enabled || off >= n->size)
        return 0;
    if (n->ro)
        *ro = 1;
    if (n->kind == MR_ALIAS)
        return model(n->target, off + n->alias_off, leaf, loff, ro);
    if (n->kind != MR_CONTAINER) {
        *leaf = i;
        *loff = off;
        if (n->kind == MR_ROM)
            *ro = 1;
        return 1;
    }
    int cand[NODES], nc = 0;
    for (int j = 0; j < NODES; j++) { /* mapped children covering off, best first */
        Node *c = &nodes[j];
        if (c->parent != i || off < c->addr || off - c->addr >= c->size)
            continue;
        int k = nc++;
        while (k && (c->prio > nodes[cand[k - 1]].prio ||
                     (c->prio == nodes[cand[k - 1]].prio && c->order > nodes[cand[k - 1]].order))) {
            cand[k] = cand[k - 1];
            k--;
        }
        cand[k] = j;
    }
    for (int k = 0; k < nc; k++) {
        int save = *ro;
        if (model(cand[k], off - nodes[cand[k]].addr, leaf, loff, ro))
            return 1;
        *ro = save;
    }
    return 0;
}

/* Does rendering node x visit node y? */
static int reaches(int x, int y)
{
    if (x == y)
        return 1;
    if (nodes[x].kind == MR_ALIAS)
        return reaches(nodes[x].target, y);
    for (int j = 0; nodes[x].kind == MR_CONTAINER && j < NODES; j++)
        if (nodes[j].parent == x && reaches(j, y))
            return 1;
    return 0;
}

TEST(random_trees_match_model)
{
    srand(12345);
    int order = 0;
    for (int iter = 0; iter < 300; iter++) {
        MemoryRegion *root = memory_region_new_container("root", SPACE, NULL);
        AddressSpace *as = address_space_new("mem", root);
        memset(nodes, 0, sizeof(nodes));
        nodes[0] = (Node){ root, MR_CONTAINER, -1, 0, 0, 1, 0, 0, 0, SPACE, 0 };
        for (int i = 1; i < NODES; i++) {
            Node *n = &nodes[i];
            char name[8];
            snprintf(name, sizeof(name), "n%d", i);
            n->size = 1 + (uint64_t)(rand() % 96);
            n->kind = rand() % 5;
            n->enabled = 1;
            n->order = -1;
            n->parent = -1;
            if (n->kind == MR_ALIAS) {
                n->target = rand() % i; /* earlier nodes only: no cycles */
                n->alias_off = (hwaddr)(rand() % 64);
                n->mr = memory_region_new_alias(name, n->size, nodes[n->target].mr,
                                                n->alias_off, NULL);
            } else if (n->kind == MR_CONTAINER) {
                n->mr = memory_region_new_container(name, n->size, NULL);
            } else if (n->kind == MR_MMIO) {
                static const MemOps nops = { 0 };
                n->mr = memory_region_new_mmio(name, n->size, &nops, NULL, NULL);
            } else {
                n->mr = n->kind == MR_RAM ? ram(name, n->size)
                                          : memory_region_new_rom(name, n->size, NULL, NULL);
            }
        }
        /* map each non-root node into an earlier container or root (a tree) */
        memory_transaction_begin();
        for (int i = 1; i < NODES; i++) {
            int p = rand() % i;
            if (nodes[p].kind != MR_CONTAINER || rand() % 4 == 0)
                continue;
            /* no cycles: i must not lead back to p through aliases */
            if (reaches(i, p))
                continue;
            nodes[i].parent = p;
            nodes[i].addr = (hwaddr)(rand() % SPACE);
            nodes[i].prio = rand() % 3 - 1;
            nodes[i].order = ++order;
            memory_region_add_subregion(nodes[p].mr, nodes[i].addr, nodes[i].mr, nodes[i].prio);
        }
        memory_transaction_commit();
        for (int step = 0; step < 4; step++) {
            int i = 1 + rand() % (NODES - 1);
            switch (rand() % 4) {
            case 0:
                nodes[i].enabled = !nodes[i].enabled;
                memory_region_set_enabled(nodes[i].mr, nodes[i].enabled);
                break;
            case 1:
                nodes[i].ro = !nodes[i].ro;
                memory_region_set_readonly(nodes[i].mr, nodes[i].ro);
                break;
            case 2:
                nodes[i].addr = (hwaddr)(rand() % SPACE);
                memory_region_set_address(nodes[i].mr, nodes[i].addr);
                break;
            case 3:
                if (nodes[i].kind == MR_ALIAS) {
                    nodes[i].alias_off = (hwaddr)(rand() % 64);
                    memory_region_set_alias_offset(nodes[i].mr, nodes[i].alias_off);
                }
                break;
            }
            for (hwaddr a = 0; a < SPACE + 8; a++) {
                int leaf = -1, ro = 0;
                hwaddr loff = 0;
                MemXlat x;
                int hit = model(0, a, &leaf, &loff, &ro);
                MemoryRegion *got = address_space_translate(as, (a * 97) % (SPACE + 8), &x);
                (void)got;
                got = address_space_translate(as, a, &x);
                if (!hit) {
                    CHECK(got == NULL);
                } else {
                    if (got != nodes[leaf].mr || x.offset != loff || x.readonly != !!ro)
                        fprintf(stderr, "iter %d step %d addr 0x%x: want %s@%x%s\n", iter,
                                step, (unsigned)a, memory_region_name(nodes[leaf].mr),
                                (unsigned)loff, ro ? " ro" : "");
                    CHECK(got == nodes[leaf].mr);
                    CHECK_EQ(x.offset, loff);
                    CHECK_EQ(x.readonly, !!ro);
                }
            }
        }
        address_space_free(as);
        for (int i = NODES - 1; i >= 1; i--)
            if (nodes[i].kind == MR_ALIAS)
                memory_region_free(nodes[i].mr);
        for (int i = NODES - 1; i >= 0; i--)
            if (nodes[i].kind != MR_ALIAS)
                memory_region_free(nodes[i].mr);
    }
}

/* ---- dirty tracking ---------------------------------------------------- */

static uint64_t cleared_addr, cleared_len;
static void on_clear(void *opaque, ram_addr_t addr, uint64_t len)
{
    cleared_addr = addr;
    cleared_len = len;
}

TEST(dirty_bitmaps)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *r = ram("vram", 0x10000);
    MemoryRegion *al = memory_region_new_alias("al", 0x4000, r, 0x8000, NULL);
    AddressSpace *as = address_space_new("mem", root);
    uint64_t bm[2];

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0x80000, al, 0);
    /* a new block is dirty for everyone */
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_VGA, 0, 0x10000, NULL), 16);
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_VGA, 0, 0x10000, NULL), 0);
    memory_set_dirty_clear_notifier(on_clear, NULL);
    /* starting a log makes everything dirty for that first pass */
    memory_region_set_dirty_log(r, MEMORY_DIRTY_VGA, true);
    CHECK_EQ(memory_region_dirty_log_mask(r), 1u << MEMORY_DIRTY_VGA);
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_VGA, 0, 0x10000, bm), 16);
    CHECK_EQ(bm[0], 0xffff);
    CHECK_EQ(cleared_addr, memory_region_ram_addr(r));
    CHECK_EQ(cleared_len, 0x10000);
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_VGA, 0, 0x10000, bm), 0);
    CHECK_EQ(bm[0], 0);
    CHECK(memory_ram_write_watched(memory_region_ram_addr(r) + 0x3000));

    /* writes: a byte, a pair straddling pages 2/3, one through the alias */
    address_space_stb(as, 0x1fff, 1);
    address_space_write(as, 0x2fff, "ab", 2);
    address_space_stl_le(as, 0x80000 + 0x1000, 5); /* vram page 9 */
    CHECK(!memory_ram_write_watched(memory_region_ram_addr(r) + 0x2000));
    CHECK(memory_region_get_dirty(r, MEMORY_DIRTY_VGA, 0x2000, 1));
    CHECK(!memory_region_get_dirty(r, MEMORY_DIRTY_VGA, 0x4000, 0x4000));
    /* the CPU fast path marks by RAM address */
    memory_ram_mark_dirty(memory_region_ram_addr(r) + 0xf123, 1);
    /* devices writing VRAM behind the core's back */
    memory_region_set_dirty(r, 0xd000, 1);
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_VGA, 0x1000, 0xf000, bm), 6);
    CHECK_EQ(bm[0], (1u << 0) | (1u << 1) | (1u << 2) | (1u << 8) | (1u << 12) | (1u << 14));
    CHECK_EQ(cleared_addr, memory_region_ram_addr(r) + 0x1000);
    /* clients are independent: migration still sees them (and everything
       else: a new block starts dirty for every client) */
    CHECK(memory_region_get_dirty(r, MEMORY_DIRTY_MIGRATION, 0x2fff, 2));
    CHECK_EQ(memory_dirty_get_and_clear(r, MEMORY_DIRTY_MIGRATION, 0, 0x10000, NULL), 16);
    address_space_stb(as, 0x80000, 1);
    CHECK_EQ(memory_dirty_get_and_clear(al, MEMORY_DIRTY_MIGRATION, 0, 0x4000, bm), 1);
    CHECK_EQ(bm[0], 1);
    /* stopping the log */
    memory_region_set_dirty_log(r, MEMORY_DIRTY_VGA, false);
    CHECK_EQ(memory_region_dirty_log_mask(r), 0);
    CHECK(!memory_ram_write_watched(memory_region_ram_addr(r) + 0x3000));
    /* writes to ROM are no writes */
    MemoryRegion *rom = memory_region_new_rom("rom", 0x1000, NULL, NULL);
    memory_region_add_subregion(root, 0x90000, rom, 0);
    memory_dirty_get_and_clear(rom, MEMORY_DIRTY_VGA, 0, 0x1000, NULL);
    address_space_stb(as, 0x90000, 1);
    CHECK(!memory_region_get_dirty(rom, MEMORY_DIRTY_VGA, 0, 0x1000));
    /* a large bitmap across words */
    MemoryRegion *big = ram("big", 0x400000);
    memory_region_add_subregion(root, 0x100000 - 0x1000, big, -5); /* mostly clipped */
    CHECK_EQ(memory_dirty_get_and_clear(big, MEMORY_DIRTY_CODE, 0, 0x400000, NULL), 1024);
    CHECK_EQ(memory_dirty_get_and_clear(big, MEMORY_DIRTY_CODE, 0, 0x400000, NULL), 0);
    memory_region_set_dirty(big, 0x123456, 0x100000);
    uint64_t bb[16];
    CHECK_EQ(memory_dirty_get_and_clear(big, MEMORY_DIRTY_CODE, 0, 0x400000, bb), 257);
    CHECK_EQ(bb[0x123 / 64] >> (0x123 % 64) & 1, 1);
    CHECK_EQ(bb[0x223 / 64] >> (0x223 % 64) & 1, 1);
    CHECK_EQ(bb[0x224 / 64] >> (0x224 % 64) & 1, 0);
    CHECK_EQ(bb[0x122 / 64] >> (0x122 % 64) & 1, 0);
    memory_set_dirty_clear_notifier(NULL, NULL);
    memory_region_free(al);
    address_space_free(as);
    memory_region_free(big);
    memory_region_free(rom);
    memory_region_free(r);
    memory_region_free(root);
}

/* ---- code pages -------------------------------------------------------- */

static struct { hwaddr addr; unsigned len; } code_hits[16];
static int ncode_hits;
static void on_code_write(void *opaque, hwaddr addr, unsigned len)
{
    if (ncode_hits < 16)
        code_hits[ncode_hits].addr = addr, code_hits[ncode_hits].len = len;
    ncode_hits++;
}

TEST(code_page_notifier)
{
    MemoryRegion *root = memory_region_new_container("root", 0x100000, NULL);
    MemoryRegion *r = ram("r", 0x10000);
    MemoryRegion *bios = memory_region_new_alias("bios-high", 0x4000, r, 0x4000, NULL);
    AddressSpace *as = address_space_new("mem", root);
    ram_addr_t base = memory_region_ram_addr(r);
    static uint8_t big[0x3000];

    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0xfc000, bios, 0);
    memory_set_code_write_notifier(on_code_write, NULL);
    memory_code_page_set(base + 0x5010);
    CHECK(memory_code_page_test(base + 0x5fff));
    CHECK(!memory_code_page_test(base + 0x4fff));
    CHECK(!memory_code_page_test(base + 0x6000));
    CHECK(memory_ram_write_watched(base + 0x5000));

    address_space_write(as, 0x4000, big, 0x1000); /* page 4: not code */
    address_space_stl_le(as, 0x6000, 1);
    CHECK_EQ(ncode_hits, 0);
    address_space_stw_le(as, 0x5ffe, 1);
    CHECK_EQ(ncode_hits, 1);
    CHECK_EQ(code_hits[0].addr, base + 0x5ffe);
    CHECK_EQ(code_hits[0].len, 2);
    /* a DMA across pages 4..6 reports the code page's part only */
    ncode_hits = 0;
    address_space_write(as, 0x4800, big, 0x2000);
    CHECK_EQ(ncode_hits, 1);
    CHECK_EQ(code_hits[0].addr, base + 0x5000);
    CHECK_EQ(code_hits[0].len, 0x1000);
    /* written through an alias: the RAM address identifies the page */
    ncode_hits = 0;
    address_space_stb(as, 0xfd004, 1);
    CHECK_EQ(ncode_hits, 1);
    CHECK_EQ(code_hits[0].addr, base + 0x5004);
    /* two code pages, one write: one call each */
    memory_code_page_set(base + 0x6000);
    ncode_hits = 0;
    address_space_stl_le(as, 0x5ffe, 0);
    CHECK_EQ(ncode_hits, 2);
    CHECK_EQ(code_hits[1].addr, base + 0x6000);
    CHECK_EQ(code_hits[1].len, 2);
    /* the explicit entry point for the CPU's slow path */
    ncode_hits = 0;
    memory_ram_write_notify(base + 0x6100, 4);
    CHECK_EQ(ncode_hits, 1);
    /* reads and readonly writes are not writes */
    ncode_hits = 0;
    address_space_read(as, 0x5000, big, 0x1000);
    memory_region_set_readonly(bios, true);
    address_space_stb(as, 0xfd004, 1);
    CHECK_EQ(ncode_hits, 0);
    memory_code_page_clear(base + 0x5000);
    CHECK(!memory_code_page_test(base + 0x5000));
    address_space_stb(as, 0x5000, 1);
    CHECK_EQ(ncode_hits, 0);
    memory_set_code_write_notifier(NULL, NULL);
    memory_region_free(bios);
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(root);
}

/* ---- RAM blocks -------------------------------------------------------- */

TEST(ram_addresses_and_host_pointers)
{
    MemoryRegion *a = ram("a", 0x3000), *b = ram("b", 0x1800);
    ram_addr_t ra = memory_region_ram_addr(a), rb = memory_region_ram_addr(b);
    CHECK(ra != RAM_ADDR_INVALID && rb != RAM_ADDR_INVALID);
    CHECK(rb >= ra + 0x3000 || ra >= rb + 0x2000);
    CHECK_EQ(memory_ram_addr_from_host(memory_region_get_ram_ptr(b) + 0x17ff), rb + 0x17ff);
    CHECK_EQ(memory_ram_addr_from_host(memory_region_get_ram_ptr(b) + 0x1800), RAM_ADDR_INVALID);
    CHECK(memory_ram_host(ra + 5) == memory_region_get_ram_ptr(a) + 5);
    CHECK(memory_ram_host(rb + 0x1800) == NULL);
    memory_region_free(a);
    CHECK(memory_ram_host(ra) == NULL);
    CHECK(memory_ram_host(rb) == memory_region_get_ram_ptr(b));
    memory_region_free(b);
}

TEST(huge_ram_is_lazy)
{
    if (SIZE_MAX < ((uint64_t)1 << 34))
        SKIP("32-bit host: no 8 GiB guest RAM");
    Error *err = NULL;
    uint64_t size = (uint64_t)8 << 30;
    MemoryRegion *root = memory_region_new_container("root", (uint64_t)1 << 40, NULL);
    MemoryRegion *r = memory_region_new_ram("pc.ram", size, NULL, &err);
    if (!r)
        SKIP("host refused 8 GiB of address space: %s", err->msg);
    AddressSpace *as = address_space_new("mem", root);
    memory_region_add_subregion(root, 0, r, 0);
    address_space_stq_le(as, size - 8, 0x0123456789abcdefull);
    CHECK_EQ(address_space_ldq_le(as, size - 8), 0x0123456789abcdefull);
    CHECK_EQ(address_space_ldq_le(as, size / 2), 0);
    CHECK_EQ(address_space_ldl_le(as, size - 2), 0xffff0123);
    address_space_free(as);
    memory_region_free(r);
    memory_region_free(root);
}

TEST(impossible_ram_is_an_error)
{
    Error *err = NULL;
    MemoryRegion *r = memory_region_new_ram("pc.ram", (uint64_t)1 << 62, NULL, &err);
    CHECK(r == NULL);
    CHECK(err && strstr(err->msg, "'pc.ram'") && strstr(err->msg, "-m"));
    error_free(err);
}

/* ---- info mtree -------------------------------------------------------- */

TEST(mtree_print)
{
    MemOps ops = { 0 };
    MemoryRegion *root = memory_region_new_container("system", 0x100000000ull, NULL);
    MemoryRegion *r = ram("pc.ram", 0x100000);
    MemoryRegion *vga = memory_region_new_mmio("vga-lowmem", 0x20000, &ops, NULL, NULL);
    MemoryRegion *bios = memory_region_new_alias("isa-bios", 0x20000, r, 0xe0000, NULL);
    AddressSpace *as = address_space_new("memory", root);
    memory_region_add_subregion(root, 0, r, 0);
    memory_region_add_subregion(root, 0xa0000, vga, 1);
    memory_region_add_subregion(root, 0xfffe0000ull, bios, 0);
    memory_region_set_enabled(vga, false);
    memory_region_set_readonly(bios, true);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f);
    memory_mtree_print(f, as);
    fclose(f);
    CHECK(strstr(text, "address-space: memory\n"));
    CHECK(strstr(text, "  0000000000000000-00000000ffffffff (prio 0, container): system\n"));
    CHECK(strstr(text, "    0000000000000000-00000000000fffff (prio 0, ram): pc.ram\n"));
    CHECK(strstr(text, "    00000000000a0000-00000000000bffff (prio 1, mmio): vga-lowmem [disabled]\n"));
    CHECK(strstr(text, "    00000000fffe0000-00000000ffffffff (prio 0, alias, readonly): isa-bios "
                       "@pc.ram 00000000000e0000-00000000000fffff\n"));
    CHECK(strstr(text, "flat view of 'memory':\n"));
    CHECK(strstr(text, "  00000000fffe0000-00000000ffffffff ram   pc.ram @00000000000e0000 [readonly]\n"));
    /* the tree lists children by address */
    CHECK(strstr(text, "pc.ram\n") < strstr(text, "vga-lowmem"));
    free(text);
    memory_region_free(bios);
    address_space_free(as);
    memory_region_free(vga);
    memory_region_free(r);
    memory_region_free(root);
}
