/*
 * What seg.c shares with the other system helpers (excp.c, misc.c):
 * descriptor fetch and decoding, segment caches, stack pushes with the
 * segment rules, the TSS stack pointers and the hardware task switch.
 * Not part of the translator's contract (that is helper_sys.h).
 */
#ifndef PEMU_X86_SEG_H
#define PEMU_X86_SEG_H

#include <stdbool.h>
#include <stdint.h>
#include "ir/ir.h"
#include "src/softmmu.h"
#include "src/x86/cpu.h"

/* ---- system memory accesses (descriptor tables, TSS): supervisor rights -- */

static inline uint64_t x86_lin(const X86State *s, uint64_t addr)
{
    return (s->efer & EFER_LMA) ? addr : (uint32_t)addr;
}

/* Bits 63:47 all equal (48-bit linear addresses). */
static inline bool x86_canonical(uint64_t v)
{
    return ((v + (1ull << 47)) >> 48) == 0;
}

static inline unsigned x86_memop(int size)
{
    return size == 1 ? IR_MO_8 : size == 2 ? IR_MO_16 : size == 4 ? IR_MO_32 : IR_MO_64;
}

static inline uint64_t x86_ld_mmu(X86CPU *cpu, uint64_t addr, int size, int mmu)
{
    return softmmu_ld(&cpu->parent, x86_lin(&cpu->env, addr), x86_memop(size), (unsigned)mmu,
                      cpu->parent.host_pc);
}

static inline void x86_st_mmu(X86CPU *cpu, uint64_t addr, uint64_t val, int size, int mmu)
{
    softmmu_st(&cpu->parent, x86_lin(&cpu->env, addr), val, x86_memop(size), (unsigned)mmu,
               cpu->parent.host_pc);
}

static inline uint64_t x86_ld_kernel(X86CPU *cpu, uint64_t addr, int size)
{
    return x86_ld_mmu(cpu, addr, size, X86_MMU_KERNEL);
}

static inline void x86_st_kernel(X86CPU *cpu, uint64_t addr, uint64_t val, int size)
{
    x86_st_mmu(cpu, addr, val, size, X86_MMU_KERNEL);
}

/* ---- descriptors ----------------------------------------------------------- */

static inline uint64_t x86_desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xffu) << 16) | (e2 & 0xff000000u);
}

static inline uint32_t x86_desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffffu) | (e2 & 0x000f0000u);
    return (e2 & DESC_G_MASK) ? (limit << 12) | 0xfffu : limit;
}

static inline int x86_desc_dpl(uint32_t e2)
{
    return (int)((e2 & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
}

/* e2 with S = 0: the system type (DESC_TSS32_AVAIL ...). */
static inline int x86_desc_type(uint32_t e2)
{
    return (int)((e2 >> DESC_TYPE_SHIFT) & 15);
}

/* The 8-byte descriptor for selector sel from the GDT or LDT (supervisor
 * reads, may #PF); false if it lies beyond the table's limit or the LDT is null. */
bool x86_desc_fetch(X86CPU *cpu, uint16_t sel, uint32_t *e1, uint32_t *e2);
/* OR bits into the high dword of sel's descriptor (accessed, busy). */
void x86_desc_set_bits(X86CPU *cpu, uint16_t sel, uint32_t bits);
void x86_seg_cache_load(X86Segment *seg, uint16_t sel, uint32_t e1, uint32_t e2);
/* CS cache for privilege level cpl: the cached DPL is the CPL (they differ
 * only for conforming segments), which is where x86_update_hflags reads it. */
void x86_seg_cache_load_cs(X86Segment *seg, uint16_t sel, uint32_t e1, uint32_t e2, int cpl);
/* Real mode / vm86 segment: base = sel << 4 (vm86 also sets limit and rights). */
void x86_seg_load_vm(X86State *s, int seg, uint16_t sel, bool vm86);
/* offset..offset+len-1 inside the segment's limit (expand-down aware). */
bool x86_seg_range_ok(const X86Segment *seg, uint64_t offset, uint64_t len);

/* ---- stacks ----------------------------------------------------------------- */

typedef struct X86Stack {
    uint64_t base;   /* SS base */
    uint64_t sp;     /* offset, already masked */
    uint64_t mask;   /* 0xffff, 0xffffffff or all ones (64-bit) */
    int mmu;         /* mmu index of the accesses (the CPL they are made at) */
} X86Stack;

/* The stack for the current SS:ESP at the current CPL. */
void x86_stack_current(X86CPU *cpu, X86Stack *st);
void x86_stack_push(X86CPU *cpu, X86Stack *st, uint64_t val, int size);
uint64_t x86_stack_pop(X86CPU *cpu, X86Stack *st, int size);
/* Write back ESP/RSP (only the bits of the stack's width). */
void x86_stack_commit(X86State *s, const X86Stack *st);
/* #SS(err) unless `len` bytes below (push) or above (pop) sp fit in SS. */
void x86_stack_check_push(X86CPU *cpu, const X86Segment *ss, const X86Stack *st, uint64_t len, int err);
void x86_stack_check_pop(X86CPU *cpu, const X86Segment *ss, const X86Stack *st, uint64_t len, int err);

/* ---- TSS and task switch ------------------------------------------------------ */

/* SS:ESP for privilege level dpl from the current TSS (#TS(TR) if short);
 * ext is the EXT bit of the error codes. */
void x86_tss_stack(X86CPU *cpu, int dpl, uint16_t *ss, uint64_t *sp, int ext);
/* Check and load the inner stack segment for privilege dpl: #TS/#SS with ext. */
void x86_check_inner_ss(X86CPU *cpu, uint16_t ss, int dpl, uint32_t *e1, uint32_t *e2, int ext);

enum { X86_TS_JMP, X86_TS_CALL, X86_TS_IRET, X86_TS_INT };
/*
 * Hardware task switch to the TSS at tss_sel (descriptor e1/e2), from a
 * JMP/CALL/IRET/interrupt; next_eip is saved in the old TSS. Faults after
 * the new state is committed are raised in the new task (no restore).
 */
void x86_task_switch(X86CPU *cpu, uint16_t tss_sel, uint32_t e1, uint32_t e2, int source,
                     uint64_t next_eip, int ext);

/* Raise without restoring the faulting instruction's state (the helper has
 * already changed it, e.g. after a task switch committed). */
PEMU_NORETURN void x86_raise_norestore(X86CPU *cpu, int excp, int err);

#endif
