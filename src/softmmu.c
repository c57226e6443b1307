/*
 * Softmmu slow paths and TLB maintenance. Everything here is out of the
 * interpreter's hot loop: the fast path (interp/ldst.h) only compares a
 * tag and adds the addend.
 */
#include "src/softmmu.h"

#include <inttypes.h>
#include <string.h>
#include "ir/ir.h"
#include "src/error.h"
#include "src/log.h"
#include "src/tb.h"

static inline bool tag_is_page(uint64_t tag, uint64_t page)
{
    return !(tag & TLB_INVALID) && (tag & TARGET_PAGE_MASK) == page;
}

static inline unsigned tlb_index(uint64_t vaddr)
{
    return (unsigned)(vaddr >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1);
}

static inline uint64_t entry_tag(const CPUTLBEntry *e, MMUAccessType acc)
{
    return acc == MMU_DATA_LOAD ? e->addr_read : acc == MMU_DATA_STORE ? e->addr_write : e->addr_code;
}

/* ---- maintenance ------------------------------------------------------------- */

/* Only what was filled since the last flush is cleared: a guest uses two
 * or three of the eight modes and, between two address-space switches,
 * a few dozen pages of them. */
void softmmu_flush_all(CPUState *cpu)
{
    softmmu_flush_mmuidx(cpu, (1u << CPU_MMU_MODES) - 1);
}

void softmmu_flush_mmuidx(CPUState *cpu, uint32_t idxmap)
{
    if (cpu->tlb_nlog <= CPU_TLB_LOG) {
        unsigned keep = 0;
        for (unsigned i = 0; i < cpu->tlb_nlog; i++) {
            unsigned v = cpu->tlb_log[i], mode = v >> CPU_TLB_BITS;
            if (idxmap & (1u << mode))
                memset(&cpu->tlb[mode][v & (CPU_TLB_SIZE - 1)], 0xff, sizeof(CPUTLBEntry));
            else
                cpu->tlb_log[keep++] = (uint16_t)v;
        }
        cpu->tlb_nlog = keep;
    } else {
        for (unsigned i = 0; i < CPU_MMU_MODES; i++)
            if (idxmap & cpu->tlb_used & (1u << i))
                memset(cpu->tlb[i], 0xff, sizeof(cpu->tlb[i]));
        if (!(cpu->tlb_used & ~idxmap))
            cpu->tlb_nlog = 0;  /* nothing left unlogged */
    }
    cpu->tlb_used &= ~idxmap;
    tb_jmp_cache_clear(cpu);
    cpu->stats.tlb_flushes++;
}

void softmmu_flush_page(CPUState *cpu, uint64_t vaddr)
{
    uint64_t page = vaddr & TARGET_PAGE_MASK;
    unsigned idx = tlb_index(page);
    for (unsigned i = 0; i < CPU_MMU_MODES; i++) {
        CPUTLBEntry *e = &cpu->tlb[i][idx];
        if (tag_is_page(e->addr_read, page) || tag_is_page(e->addr_write, page) ||
            tag_is_page(e->addr_code, page))
            memset(e, 0xff, sizeof(*e));
    }
    tb_jmp_cache_clear_page(cpu, page);
}

void softmmu_protect_code_page(uint64_t ppage)
{
    CPUState *first = cpu_first();
    if (first && first->phys->code_page_added)
        first->phys->code_page_added(first->phys->opaque, ppage);
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu)
        for (unsigned i = 0; i < CPU_MMU_MODES; i++)
            for (unsigned j = 0; j < CPU_TLB_SIZE && (cpu->tlb_used & (1u << i)); j++) {
                CPUTLBEntry *e = &cpu->tlb[i][j];
                if (!(e->addr_write & TLB_INVALID) && cpu->tlb_full[i][j].phys == ppage)
                    e->addr_write |= TLB_CODE;
            }
}

void softmmu_notify_phys_write(uint64_t paddr, uint64_t len)
{
    tb_invalidate_phys_range(paddr, paddr + len);
}

/* ---- refill ------------------------------------------------------------------- */

static void set_page(CPUState *cpu, unsigned mmu, uint64_t vaddr, uint64_t paddr, uint32_t prot)
{
    uint64_t vpage = vaddr & TARGET_PAGE_MASK, ppage = paddr & TARGET_PAGE_MASK;
    unsigned idx = tlb_index(vpage);
    CPUTLBEntry *e = &cpu->tlb[mmu][idx];
    CPUTLBEntryFull *full = &cpu->tlb_full[mmu][idx];
    bool ro = false;
    uint8_t *host = cpu->phys->ram_page(cpu->phys->opaque, ppage, &ro);
    uint64_t fl = host ? 0 : TLB_MMIO;
    uint64_t wfl = fl | (ro ? TLB_MMIO : 0) | (tb_page_has_code(ppage) ? TLB_CODE : 0);
    if (cpu_watchpoint_in_page(vpage)) {
        fl |= TLB_WATCH;
        wfl |= TLB_WATCH;
    }
    e->addr_read = (prot & PAGE_READ) ? vpage | fl : TLB_EMPTY;
    e->addr_write = (prot & PAGE_WRITE) ? vpage | wfl : TLB_EMPTY;
    e->addr_code = (prot & PAGE_EXEC) ? vpage | (host ? 0 : TLB_MMIO) : TLB_EMPTY;
    e->addend = host ? (uintptr_t)host - (uintptr_t)vpage : 0;
    full->phys = ppage;
    full->prot = prot;
    full->ram_ro = ro;
    cpu->tlb_used |= 1u << mmu;
    if (cpu->tlb_nlog < CPU_TLB_LOG)
        cpu->tlb_log[cpu->tlb_nlog++] = (uint16_t)(mmu << CPU_TLB_BITS | idx);
    else
        cpu->tlb_nlog = CPU_TLB_LOG + 1;
    cpu->stats.tlb_fills++;
    if (log_enabled(LOG_MMU))
        log_printf("tlb_fill: mmu%u 0x%" PRIx64 " -> 0x%" PRIx64 " prot %x%s%s\n", mmu, vpage,
                   ppage, prot, host ? "" : " mmio", (wfl & TLB_CODE) ? " code" : "");
}

/* The entry for vaddr, refilled through the target's page walk if it does
 * not allow `acc` (which raises the guest fault if the walk fails). */
static CPUTLBEntry *entry_for(CPUState *cpu, uint64_t vaddr, MMUAccessType acc, unsigned mmu,
                              uintptr_t host_pc)
{
    uint64_t page = vaddr & TARGET_PAGE_MASK;
    CPUTLBEntry *e = &cpu->tlb[mmu][tlb_index(page)];
    if (tag_is_page(entry_tag(e, acc), page))
        return e;
    uint64_t paddr;
    uint32_t prot;
    cpu->host_pc = host_pc;
    cpu->ops->tlb_fill(cpu, vaddr, acc, (int)mmu, false, &paddr, &prot);
    set_page(cpu, mmu, vaddr, paddr, prot);
    if (!tag_is_page(entry_tag(e, acc), page))
        pemu_abort("tlb_fill for 0x%" PRIx64 " (access %d) returned prot %x without that access",
                   vaddr, (int)acc, prot);
    return e;
}

/* ---- one access inside one page --------------------------------------------------- */

static uint64_t ld_ram(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return ld8(p);
    case 2: return ld16_le(p);
    case 4: return ld32_le(p);
    default: return ld64_le(p);
    }
}

static void st_ram(uint8_t *p, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: st8(p, (uint8_t)v); break;
    case 2: st16_le(p, (uint16_t)v); break;
    case 4: st32_le(p, (uint32_t)v); break;
    default: st64_le(p, v); break;
    }
}

static uint64_t ld_page(CPUState *cpu, uint64_t addr, unsigned size, unsigned mmu,
                        uintptr_t host_pc, MMUAccessType acc)
{
    CPUTLBEntry *e = entry_for(cpu, addr, acc, mmu, host_pc);
    uint64_t tag = entry_tag(e, acc);
    const CPUTLBEntryFull *full = &cpu->tlb_full[mmu][tlb_index(addr)];
    if (tag & TLB_WATCH) {
        cpu->host_pc = host_pc;
        cpu_watchpoint_check(cpu, addr, size, false);
    }
    if (tag & TLB_MMIO)
        return cpu->phys->io_read(cpu->phys->opaque, full->phys | (addr & ~TARGET_PAGE_MASK), size);
    return ld_ram((const uint8_t *)((uintptr_t)addr + e->addend), size);
}

static void st_page(CPUState *cpu, uint64_t addr, uint64_t val, unsigned size, unsigned mmu,
                    uintptr_t host_pc)
{
    unsigned idx = tlb_index(addr);
    CPUTLBEntry *e = entry_for(cpu, addr, MMU_DATA_STORE, mmu, host_pc);
    const CPUTLBEntryFull *full = &cpu->tlb_full[mmu][idx];
    uint64_t paddr = full->phys | (addr & ~TARGET_PAGE_MASK);
    if (e->addr_write & TLB_WATCH) {
        cpu->host_pc = host_pc;
        cpu_watchpoint_check(cpu, addr, size, true);
    }
    if (e->addr_write & TLB_MMIO) {
        cpu->phys->io_write(cpu->phys->opaque, paddr, val, size);
        return;
    }
    if (e->addr_write & TLB_CODE) {
        /* Self-modifying code: drop the blocks translated from these bytes. */
        tb_invalidate_phys_range(paddr, paddr + size);
        if (!tb_page_has_code(full->phys))
            e->addr_write &= ~(uint64_t)TLB_CODE;
    }
    st_ram((uint8_t *)((uintptr_t)addr + e->addend), val, size);
}

static uint64_t sign_extend(uint64_t v, unsigned memop)
{
    unsigned bits = 8u << (memop & IR_MO_SIZE);
    if ((memop & IR_MO_SIGN) && bits < 64) {
        uint64_t m = (uint64_t)1 << (bits - 1);
        v = (v ^ m) - m;
    }
    return v;
}

static inline bool crosses_page(uint64_t addr, unsigned size)
{
    return (addr & ~TARGET_PAGE_MASK) + size > TARGET_PAGE_SIZE;
}

static uint64_t ld_any(CPUState *cpu, uint64_t addr, unsigned size, unsigned mmu,
                       uintptr_t host_pc, MMUAccessType acc)
{
    if (likely(!crosses_page(addr, size)))
        return ld_page(cpu, addr, size, mmu, host_pc, acc);
    /* Both pages must be accessible before any byte is read (MMIO reads
     * have side effects), then bytes little-endian. */
    /* the second page is reached at its first byte (x86 CR2 says so) */
    uint64_t addr2 = (addr + size - 1) & TARGET_PAGE_MASK;
    entry_for(cpu, addr, acc, mmu, host_pc);
    entry_for(cpu, addr2, acc, mmu, host_pc);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= ld_page(cpu, addr + i, 1, mmu, host_pc, acc) << (8 * i);
    return v;
}

/* ---- slow paths ---------------------------------------------------------------- */

uint64_t softmmu_ld_slow(CPUState *cpu, uint64_t addr, unsigned memop, unsigned mmu_idx,
                         uintptr_t host_pc)
{
    unsigned size = 1u << (memop & IR_MO_SIZE);
    cpu->stats.slow_ld++;
    return sign_extend(ld_any(cpu, addr, size, mmu_idx, host_pc, MMU_DATA_LOAD), memop);
}

static void st_any(CPUState *cpu, uint64_t addr, uint64_t val, unsigned size, unsigned mmu,
                   uintptr_t host_pc)
{
    if (likely(!crosses_page(addr, size))) {
        st_page(cpu, addr, val, size, mmu, host_pc);
        return;
    }
    /* No partial store: both pages must be writable before the first byte
     * is written (x86 raises #PF on the second page with memory untouched). */
    uint64_t addr2 = (addr + size - 1) & TARGET_PAGE_MASK;
    entry_for(cpu, addr, MMU_DATA_STORE, mmu, host_pc);
    entry_for(cpu, addr2, MMU_DATA_STORE, mmu, host_pc);
    for (unsigned i = 0; i < size; i++)
        st_page(cpu, addr + i, (val >> (8 * i)) & 0xff, 1, mmu, host_pc);
}

void softmmu_st_slow(CPUState *cpu, uint64_t addr, uint64_t val, unsigned memop,
                     unsigned mmu_idx, uintptr_t host_pc)
{
    cpu->stats.slow_st++;
    st_any(cpu, addr, val, 1u << (memop & IR_MO_SIZE), mmu_idx, host_pc);
}

uint64_t softmmu_ld(CPUState *cpu, uint64_t addr, unsigned memop, unsigned mmu_idx,
                    uintptr_t host_pc)
{
    unsigned size = 1u << (memop & IR_MO_SIZE);
    if (!crosses_page(addr, size)) {
        const CPUTLBEntry *e = &cpu->tlb[mmu_idx][tlb_index(addr)];
        if (e->addr_read == (addr & TARGET_PAGE_MASK))
            return sign_extend(ld_ram((const uint8_t *)((uintptr_t)addr + e->addend), size), memop);
    }
    return sign_extend(ld_any(cpu, addr, size, mmu_idx, host_pc, MMU_DATA_LOAD), memop);
}

void softmmu_st(CPUState *cpu, uint64_t addr, uint64_t val, unsigned memop, unsigned mmu_idx,
                uintptr_t host_pc)
{
    unsigned size = 1u << (memop & IR_MO_SIZE);
    if (!crosses_page(addr, size)) {
        const CPUTLBEntry *e = &cpu->tlb[mmu_idx][tlb_index(addr)];
        if (e->addr_write == (addr & TARGET_PAGE_MASK)) {
            st_ram((uint8_t *)((uintptr_t)addr + e->addend), val, size);
            return;
        }
    }
    st_any(cpu, addr, val, size, mmu_idx, host_pc);
}

/* ---- instruction fetch ------------------------------------------------------------ */

uint64_t softmmu_ld_code(CPUState *cpu, uint64_t vaddr, unsigned size)
{
    unsigned mmu = (unsigned)cpu->ops->mmu_index_code(cpu);
    return ld_any(cpu, vaddr, size, mmu, 0, MMU_INST_FETCH);
}

uint64_t softmmu_code_phys(CPUState *cpu, uint64_t vaddr)
{
    unsigned mmu = (unsigned)cpu->ops->mmu_index_code(cpu);
    entry_for(cpu, vaddr, MMU_INST_FETCH, mmu, 0);
    return cpu->tlb_full[mmu][tlb_index(vaddr)].phys | (vaddr & ~TARGET_PAGE_MASK);
}

bool softmmu_code_phys_probe(CPUState *cpu, uint64_t vaddr, uint64_t *paddr)
{
    unsigned mmu = (unsigned)cpu->ops->mmu_index_code(cpu);
    unsigned idx = tlb_index(vaddr);
    if (!tag_is_page(cpu->tlb[mmu][idx].addr_code, vaddr & TARGET_PAGE_MASK))
        return false;
    *paddr = cpu->tlb_full[mmu][idx].phys | (vaddr & ~TARGET_PAGE_MASK);
    return true;
}
