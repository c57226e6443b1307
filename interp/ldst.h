/*
 * The softmmu TLB fast path, inlined into the interpreter's load/store
 * handlers. The operand is the env offset of the mmu index's TLB table
 * (resolved at translation time). One compare decides: the page of the
 * access's last byte against the entry's tag. It fails for a miss, for a
 * page-crossing access (the next page never sits in this entry), and for
 * any flag bit in the tag (MMIO, code page, watchpoint, empty) -- all of
 * which go to the slow path in src/softmmu.c, out of line and cold.
 */
#ifndef PEMU_INTERP_LDST_H
#define PEMU_INTERP_LDST_H

#include <stddef.h>
#include "src/cpu.h"
#include "src/softmmu.h"

PEMU_INLINE const CPUTLBEntry *tlb_entry_at(const uint8_t *env, uintptr_t table, uint64_t addr)
{
    return (const CPUTLBEntry *)(const void *)(env + table) +
           ((uintptr_t)(addr >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1));
}

/* The access [addr, addr + size) hits a tag (one compare, see above). */
PEMU_INLINE bool tlb_hit(uint64_t tag, uint64_t addr, unsigned size)
{
    return ((addr + size - 1) & TARGET_PAGE_MASK) == tag;
}

PEMU_INLINE uint8_t *tlb_host(const CPUTLBEntry *e, uint64_t addr)
{
    return (uint8_t *)((uintptr_t)addr + e->addend);
}

/* Env offset of mmu index i's TLB table, and back. */
#define TLB_TABLE_OFFSET(i) (offsetof(CPUState, tlb) + (size_t)(i) * sizeof(((CPUState *)0)->tlb[0]))
#define TLB_IDX(off) ((unsigned)(((off) - offsetof(CPUState, tlb)) / sizeof(((CPUState *)0)->tlb[0])))

#endif
