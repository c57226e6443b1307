/*
 * Softmmu: the per-vCPU, per-mmu-index direct-mapped TLB in front of the
 * target's page walker, and the out-of-line slow paths for guest loads and
 * stores: TLB refill, accesses that cross a page, MMIO, writes to pages
 * holding translated code, watchpoints. The fast path lives inline in the
 * backend (interp/ldst.h).
 *
 * Guest-physical memory is reached through SoftmmuPhys, which the board
 * binds to src/memory.c.
 */
#ifndef PEMU_SOFTMMU_H
#define PEMU_SOFTMMU_H

#include <stdbool.h>
#include <stdint.h>
#include "src/cpu.h"

typedef struct SoftmmuPhys {
    void *opaque;
    /*
     * The host memory backing the guest-physical page `ppage` (page
     * aligned), or NULL if the page is not RAM/ROM (MMIO, unassigned).
     * *read_only is set for ROM: reads use the pointer, writes go to
     * io_write. The pointer must stay valid until the next TLB flush.
     */
    uint8_t *(*ram_page)(void *opaque, uint64_t ppage, bool *read_only);
    /* Accesses to anything ram_page refused (size 1, 2, 4 or 8, little-endian value). */
    uint64_t (*io_read)(void *opaque, uint64_t paddr, unsigned size);
    void (*io_write)(void *opaque, uint64_t paddr, uint64_t val, unsigned size);
    /* Optional: the page now holds translated code, so writes to it by
     * anything other than a CPU (DMA) must reach softmmu_notify_phys_write. */
    void (*code_page_added)(void *opaque, uint64_t ppage);
} SoftmmuPhys;

/* ---- TLB maintenance ---------------------------------------------------- */

void softmmu_flush_all(CPUState *cpu);
void softmmu_flush_page(CPUState *cpu, uint64_t vaddr); /* every mmu index */
void softmmu_flush_mmuidx(CPUState *cpu, uint32_t idxmap); /* bit i = mmu index i */
/* Writes to this physical page must take the slow path from now on
 * (it holds translated code); every registered CPU. */
void softmmu_protect_code_page(uint64_t ppage);
/* A device or DMA wrote guest-physical memory behind the CPU's back. */
void softmmu_notify_phys_write(uint64_t paddr, uint64_t len);

/* ---- slow paths (called by backends with their position for restore) ---- */

/* memop: IR_MO_* size and sign; the result is zero- or sign-extended to 64 bits. */
uint64_t softmmu_ld_slow(CPUState *cpu, uint64_t addr, unsigned memop, unsigned mmu_idx,
                         uintptr_t host_pc);
void softmmu_st_slow(CPUState *cpu, uint64_t addr, uint64_t val, unsigned memop,
                     unsigned mmu_idx, uintptr_t host_pc);

/* ---- accesses for helpers and the translator ---------------------------- */

/* Guest loads/stores from C helpers: host_pc as for the slow paths (0 when
 * not called from a block). May raise. */
uint64_t softmmu_ld(CPUState *cpu, uint64_t addr, unsigned memop, unsigned mmu_idx,
                    uintptr_t host_pc);
void softmmu_st(CPUState *cpu, uint64_t addr, uint64_t val, unsigned memop,
                unsigned mmu_idx, uintptr_t host_pc);
/* Instruction fetch for the translator (size 1, 2, 4, 8); may raise. */
uint64_t softmmu_ld_code(CPUState *cpu, uint64_t vaddr, unsigned size);
/* Physical address of the code byte at vaddr (fills the code TLB); may raise. */
uint64_t softmmu_code_phys(CPUState *cpu, uint64_t vaddr);
/* The same from the code TLB only: false if not cached (no refill, no raise). */
bool softmmu_code_phys_probe(CPUState *cpu, uint64_t vaddr, uint64_t *paddr);

#endif
