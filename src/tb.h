/*
 * Translation blocks: the descriptor, the TB cache keyed by (physical pc,
 * cs base, mode flags), the per-vCPU jump cache keyed by virtual pc, the
 * code buffer (flushed whole when full), block chaining and invalidation
 * of the blocks overlapping written physical memory (self-modifying code,
 * DMA).
 *
 * Single-threaded: one vCPU thread runs translated code at a time.
 */
#ifndef PEMU_TB_H
#define PEMU_TB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/cpu.h"
#include "ir/backend.h"

enum {
    TB_CF_INVALID = 1u << 0,  /* invalidated: never entered or linked again */
    TB_CF_DISPATCH = 1u << 1, /* interp: lowered for the computed-goto skin */
    TB_CF_BP = 1u << 2,       /* starts at a breakpoint: never chained into */
};

typedef struct TranslationBlock {
    uint64_t pc;          /* virtual pc of the first instruction */
    uint64_t cs_base;
    uint32_t flags;       /* target mode flags */
    uint32_t cflags;      /* TB_CF_* */
    uint64_t phys_pc;     /* physical address of the first byte */
    uint64_t phys_page2;  /* physical page of the last byte if it differs, else UINT64_MAX */
    uint32_t size;        /* guest bytes */
    uint32_t icount;      /* guest instructions */

    /* backend code */
    void *code;
    uint32_t code_size;   /* bytes */
    uint32_t side_size;   /* bytes of side table */
    const uint8_t *side;  /* guest instruction side table (backend format) */

    /* chaining: slot n's target word (backend address, 0 = no such slot) and
     * the value that means "unlinked" */
    uintptr_t jmp_slot[2];
    uintptr_t jmp_reset[2];
    struct TranslationBlock *jmp_dest[2];
    uintptr_t jmp_list_head;    /* incoming links: (src tb | slot) list */
    uintptr_t jmp_list_next[2]; /* next incoming link of jmp_dest[n] */

    struct TranslationBlock *hash_next;
    uintptr_t page_next[2];     /* per-page lists: (tb | page index) */
} TranslationBlock;

typedef struct TBStats {
    uint64_t translated;   /* blocks translated since start */
    uint64_t live;         /* blocks in the cache now */
    uint64_t flushes;      /* whole-cache flushes */
    uint64_t invalidated;  /* blocks invalidated (SMC, DMA, explicit) */
    uint64_t links;        /* chain slots linked */
    uint64_t too_big;      /* retranslations with fewer instructions */
    uint64_t ir_ops;       /* IR ops lowered */
    size_t code_used, code_size;
} TBStats;

extern TBStats tb_stats;

#define TB_MAX_INSNS 512

/* Code buffer of `size` bytes (0: default 32 MiB); flushes everything. */
void tb_init(size_t size);
void tb_set_backend(const TBBackend *backend);
const TBBackend *tb_backend(void);
/* Run after translation, before lowering (ir_optimize once it exists). */
void tb_set_optimizer(void (*opt)(struct IRFunc *f));

/* The block for the CPU's current key: jump cache, hash, or translate. */
TranslationBlock *tb_find(CPUState *cpu);
/* Hash lookup (no translation); phys_pc must be the physical address of pc. */
TranslationBlock *tb_lookup(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags);
/* Translate and insert (used by tb_find). While breakpoints are set, the
 * block ends before the first one after pc (cpu_breakpoint_in_range). */
TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags);
/* A block of the one instruction at the CPU's current key (single step,
 * watchpoint replay); the caller invalidates it after running it. */
TranslationBlock *tb_gen_one(CPUState *cpu);
/* goto_lookup: the next block for the CPU's current key if the jump cache
 * (or the hash table, with the page in the code TLB) has it, else NULL.
 * Never translates, never raises. NULL also for a block at a breakpoint
 * and while the debugger runs the CPU one instruction at a time. */
TranslationBlock *tb_lookup_chain(CPUState *cpu);

void tb_link(TranslationBlock *tb, int slot, TranslationBlock *dest);
void tb_invalidate(TranslationBlock *tb);
/* Invalidate every block with a byte in physical [start, end). */
void tb_invalidate_phys_range(uint64_t start, uint64_t end);
bool tb_page_has_code(uint64_t phys_page);
void tb_flush(void);

/* The block whose code contains host_pc, or NULL. */
TranslationBlock *tb_find_by_host_pc(uintptr_t host_pc);

void tb_jmp_cache_clear(CPUState *cpu);
/* Drop jump cache entries of blocks that may start in or run into the
 * virtual page (the page itself and the one before it). */
void tb_jmp_cache_clear_page(CPUState *cpu, uint64_t vaddr);

/* `info jit` */
void tb_print_stats(FILE *out);

#endif
