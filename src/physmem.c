/*
 * SoftmmuPhys over src/memory.c.
 *
 * RAM and ROM pages are handed to the TLB as host pointers; everything else
 * goes through address_space_ld_le/st_le, which dispatch MMIO with the
 * device's access-size rules. For self-modifying code written by DMA, pages
 * holding translated code are marked in memory.c's code bitmap (by RAM
 * address), and memory.c's code-write notifier maps the RAM address back to
 * the guest-physical ranges that show it, whose blocks are invalidated.
 */
#include "src/physmem.h"

#include "src/softmmu.h"
#include "src/tb.h"

static AddressSpace *phys_as;

static uint8_t *ram_page(void *opaque, uint64_t ppage, bool *read_only)
{
    MemXlat x;
    (void)opaque;
    address_space_translate(phys_as, ppage, &x);
    if (!x.host || x.len < TARGET_PAGE_SIZE)
        return NULL; /* MMIO, unassigned, or a section smaller than a page */
    *read_only = x.readonly;
    return x.host;
}

static uint64_t io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque;
    return address_space_ld_le(phys_as, paddr, size);
}

static void io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque;
    address_space_st_le(phys_as, paddr, val, size);
}

static void code_page_added(void *opaque, uint64_t ppage)
{
    MemXlat x;
    (void)opaque;
    address_space_translate(phys_as, ppage, &x);
    if (x.ram_addr != RAM_ADDR_INVALID)
        memory_code_page_set(x.ram_addr & ~(ram_addr_t)(MEMORY_PAGE_SIZE - 1));
}

/* A non-CPU write hit a RAM page that holds code: invalidate every
 * guest-physical range where that RAM appears. */
static void code_written(void *opaque, hwaddr ram_addr, unsigned len)
{
    unsigned n;
    const MemSection *sec = address_space_sections(phys_as, &n);
    (void)opaque;
    for (unsigned i = 0; i < n; i++) {
        ram_addr_t base = memory_region_ram_addr(sec[i].mr);
        if (base == RAM_ADDR_INVALID)
            continue;
        ram_addr_t lo = base + sec[i].offset, hi = lo + sec[i].size;
        if (ram_addr + len <= lo || ram_addr >= hi)
            continue;
        ram_addr_t a = ram_addr > lo ? ram_addr : lo;
        ram_addr_t b = ram_addr + len < hi ? ram_addr + len : hi;
        uint64_t phys = sec[i].start + (a - lo);
        tb_invalidate_phys_range(phys, phys + (b - a));
    }
}

static const SoftmmuPhys physmem = { NULL, ram_page, io_read, io_write, code_page_added };

/* The guest-physical map changed (PAM shadowing, SMRAM, a BAR moved, a
 * region disabled): TLB entries hold host pointers and MMIO/ROM flags of
 * the old map, so every CPU's TLB goes. */
static void map_changed(MemoryListener *l)
{
    (void)l;
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu)
        softmmu_flush_all(cpu);
}

static MemoryListener map_listener = { .commit = map_changed };

const SoftmmuPhys *physmem_bind(AddressSpace *as)
{
    memory_listener_unregister(&map_listener);     /* bound once per CPU */
    phys_as = as;
    memory_set_code_write_notifier(code_written, NULL);
    memory_listener_register(&map_listener, as);
    return &physmem;
}
