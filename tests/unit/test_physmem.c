/* src/physmem.c: the softmmu's view of the memory map. */
#include "unit.h"
#include "src/physmem.h"

static uint64_t dev_read(void *opaque, hwaddr off, unsigned size)
{
    (void)opaque;
    return 0x1000 + off + size;
}

static void dev_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    *(uint64_t *)opaque = off << 32 | val << 8 | size;
}

TEST(ram_rom_and_mmio)
{
    static uint64_t last;
    static const MemOps ops = { dev_read, dev_write, { 1, 4 }, { 1, 4 } };
    MemoryRegion *sys = memory_region_new_container("sys", UINT64_MAX, NULL);
    MemoryRegion *ram = memory_region_new_ram("ram", 1 << 20, NULL, NULL);
    MemoryRegion *rom = memory_region_new_rom("rom", 1 << 16, NULL, NULL);
    MemoryRegion *dev = memory_region_new_mmio("dev", 0x1000, &ops, &last, NULL);
    MemoryRegion *alias = memory_region_new_alias("hi", 1 << 20, ram, 0, NULL);
    memory_region_add_subregion(sys, 0, ram, 0);
    memory_region_add_subregion(sys, 0xf0000, rom, 1);
    memory_region_add_subregion(sys, 0xa0000, dev, 1);
    memory_region_add_subregion(sys, 0x100000000ull, alias, 0);
    AddressSpace *as = address_space_new("mem", sys);
    const SoftmmuPhys *p = physmem_bind(as);
    bool ro = true;
    uint8_t *h = p->ram_page(p->opaque, 0x5000, &ro);
    CHECK(h == memory_region_get_ram_ptr(ram) + 0x5000);
    CHECK(!ro);
    CHECK(p->ram_page(p->opaque, 0x100005000ull, &ro) == h); /* the alias shows the same RAM */
    h = p->ram_page(p->opaque, 0xf1000, &ro);
    CHECK(h == memory_region_get_ram_ptr(rom) + 0x1000);
    CHECK(ro);
    CHECK(p->ram_page(p->opaque, 0xa0000, &ro) == NULL);
    CHECK(p->ram_page(p->opaque, 0x7000000000ull, &ro) == NULL); /* unassigned */
    CHECK_EQ(p->io_read(p->opaque, 0xa0010, 2), 0x1012);
    p->io_write(p->opaque, 0xa0020, 0x5a, 1);
    CHECK_EQ(last, (0x20ull << 32) | (0x5a << 8) | 1);
    CHECK_EQ(p->io_read(p->opaque, 0x7000000000ull, 4), 0xffffffffu);
    address_space_free(as);
}

/* A change of the memory map (here a ROM disabled, as PAM shadowing does)
 * empties every CPU's TLB: its entries hold host pointers and ROM/MMIO
 * flags of the old map. With a large TLB a stale entry outlives the
 * change (SeaBIOS then wrote its shadowed F segment through a ROM entry). */
TEST(map_change_flushes_tlbs)
{
    static CPUState cpu;
    static const CPUTargetOps ops;
    MemoryRegion *sys = memory_region_new_container("sys", UINT64_MAX, NULL);
    MemoryRegion *ram = memory_region_new_ram("ram", 1 << 20, NULL, NULL);
    MemoryRegion *rom = memory_region_new_rom("rom", 1 << 16, NULL, NULL);
    memory_region_add_subregion(sys, 0, ram, 0);
    memory_region_add_subregion(sys, 0xf0000, rom, 1);
    AddressSpace *as = address_space_new("mem", sys);
    cpu_init(&cpu, &ops, physmem_bind(as));
    unsigned idx = (0xf1000 >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1);
    CPUTLBEntry *e = &cpu.tlb[0][idx], *e2 = &cpu.tlb[2][idx + 1];
    /* as softmmu fills: the entry, its mode and its place in the fill log */
    e->addr_read = 0xf1000;
    e->addr_write = 0xf1000 | TLB_MMIO;
    cpu.tlb_used = 1;
    cpu.tlb_log[0] = (uint16_t)idx;
    cpu.tlb_nlog = 1;
    memory_region_set_enabled(rom, false);
    CHECK_EQ(e->addr_read, TLB_EMPTY);
    CHECK_EQ(e->addr_write, TLB_EMPTY);
    CHECK_EQ(cpu.tlb_used, 0);
    CHECK_EQ(cpu.tlb_nlog, 0);
    /* an overflowed fill log: the used modes are cleared whole */
    e->addr_read = 0xf1000;
    e2->addr_read = 0xf2000;
    cpu.tlb_used = 1 << 2 | 1;
    cpu.tlb_nlog = CPU_TLB_LOG + 1;
    memory_region_set_enabled(rom, true);
    CHECK_EQ(e->addr_read, TLB_EMPTY);
    CHECK_EQ(e2->addr_read, TLB_EMPTY);
    CHECK_EQ(cpu.tlb_nlog, 0);
    e->addr_read = 0x5000;  /* the same map again: nothing to flush */
    cpu.tlb_used = 1;
    memory_region_set_enabled(rom, true);
    CHECK_EQ(e->addr_read, 0x5000);
    cpu_exit_list(&cpu);
    address_space_free(as);
}
