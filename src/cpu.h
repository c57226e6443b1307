/*
 * The generic vCPU: what every translating engine needs whatever the guest
 * architecture is. A target's CPU state (src/x86/cpu.h) embeds CPUState at
 * offset 0, so that one pointer ("env") reaches the generic fields, the
 * interpreter's temp frame and the guest registers as plain byte offsets.
 *
 * The engine never includes target headers: the target plugs in through
 * CPUTargetOps (page walk, TB key, translation, interrupt delivery).
 */
#ifndef PEMU_CPU_H
#define PEMU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ports/host.h"

struct TranslationBlock;
struct IRFunc;
struct SoftmmuPhys;

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1u << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(uint64_t)(TARGET_PAGE_SIZE - 1))

/* ---- softmmu TLB --------------------------------------------------------- */

/* 1024 entries (4 MiB of 4K pages) per MMU mode, direct-mapped. A flush
 * clears only what was filled since the last one: the entries in the fill
 * log, or while it has overflowed, the modes in tlb_used. */
#define CPU_TLB_BITS 10
#define CPU_TLB_SIZE (1u << CPU_TLB_BITS)
#define CPU_TLB_LOG 256
#define CPU_MMU_MODES 8

/*
 * Tag flag bits, below the page number. A fast-path compare of the page of
 * the access's last byte against the tag fails whenever any flag is set,
 * which sends the access to the slow path. An empty entry is all ones.
 */
enum {
    TLB_MMIO    = 1u << 0, /* not RAM (MMIO, ROM writes, unassigned) */
    TLB_CODE    = 1u << 1, /* write tag: the page holds translated code (notdirty) */
    TLB_WATCH   = 1u << 2, /* a watchpoint lies in the page */
    TLB_INVALID = 1u << 3,
    TLB_FLAGS_MASK = 0xfff,
};
#define TLB_EMPTY UINT64_MAX

typedef struct CPUTLBEntry {
    uint64_t addr_read;  /* page vaddr | flags, for loads */
    uint64_t addr_write; /* for stores */
    uint64_t addr_code;  /* for instruction fetch */
    uintptr_t addend;    /* host address = vaddr + addend (RAM only) */
} CPUTLBEntry;

/* What the slow path needs beyond the fast-path tags. */
typedef struct CPUTLBEntryFull {
    uint64_t phys;       /* physical page address */
    uint32_t prot;       /* PAGE_READ | PAGE_WRITE | PAGE_EXEC */
    uint32_t ram_ro;     /* RAM readable, writes go to the I/O path (ROM) */
} CPUTLBEntryFull;

enum { PAGE_READ = 1, PAGE_WRITE = 2, PAGE_EXEC = 4 };

typedef enum MMUAccessType {
    MMU_DATA_LOAD = 0, MMU_DATA_STORE = 1, MMU_INST_FETCH = 2
} MMUAccessType;

/* ---- engine sizes ---------------------------------------------------------- */

/* Interpreter temp frame: 8-byte slots inside the CPU state. */
#define CPU_FRAME_SLOTS 512
/* Per-vCPU jump cache by virtual pc: PAGES groups of SLOTS entries, one group
 * per page hash, so that flushing one guest page touches one group. */
#define CPU_JMP_PAGE_BITS 6
#define CPU_JMP_SLOT_BITS 6
#define CPU_JMP_CACHE_SIZE (1u << (CPU_JMP_PAGE_BITS + CPU_JMP_SLOT_BITS))

/* cpu_exec return values (exception_index values >= EXCP_FIRST_INTERNAL). */
enum {
    EXCP_NONE = -1,
    EXCP_FIRST_INTERNAL = 0x10000,
    EXCP_INTERRUPT = EXCP_FIRST_INTERNAL, /* exit_request: slice end, kick */
    EXCP_HLT,                             /* the CPU halted */
    EXCP_DEBUG,                           /* breakpoint / watchpoint / single step */
    EXCP_HALTED,                          /* halted and no work: nothing run */
    EXCP_YIELD,
};

/* interrupt_request bits; the target gives them meaning. */
enum {
    CPU_INTERRUPT_HARD  = 1u << 0,
    CPU_INTERRUPT_NMI   = 1u << 1,
    CPU_INTERRUPT_SMI   = 1u << 2,
    CPU_INTERRUPT_INIT  = 1u << 3,
    CPU_INTERRUPT_SIPI  = 1u << 4,
    CPU_INTERRUPT_TGT0  = 1u << 8, /* first target-private bit */
};

typedef struct CPUState CPUState;

/* The guest architecture's part of the engine. */
typedef struct CPUTargetOps {
    const char *name;
    /* The key of the block to run next: virtual pc, cs base, mode flags. */
    void (*get_tb_key)(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags);
    /* The mmu index for instruction fetch in the current mode. */
    int (*mmu_index_code)(CPUState *cpu);
    /*
     * Build the IR of the block starting at tb->pc (mode tb->flags) into
     * the target's IRFunc, at most max_insns guest instructions; set
     * tb->size (guest bytes) and tb->icount. Guest code is read with
     * softmmu_ld_code(), which may raise (longjmp) on a fetch fault.
     */
    struct IRFunc *(*translate)(CPUState *cpu, struct TranslationBlock *tb, int max_insns);
    /*
     * Page walk: for vaddr and an access type, the physical address of the
     * page and the protections (PAGE_*) under which it may be cached.
     * On a fault: return false if probe, else raise (cpu_loop_exit).
     */
    bool (*tlb_fill)(CPUState *cpu, uint64_t vaddr, MMUAccessType access, int mmu_idx,
                     bool probe, uint64_t *paddr, uint32_t *prot);
    /* Put back the guest pc and front-end data (insn_start args) after an
     * exception or an exit in the middle of a block. */
    void (*restore_state)(CPUState *cpu, const struct TranslationBlock *tb,
                          uint64_t pc, uint64_t data);
    /* Deliver a pending interrupt if the CPU accepts it now; true if the
     * CPU state changed (the loop looks up the next block again). */
    bool (*exec_interrupt)(CPUState *cpu, uint32_t interrupt_request);
    /* Deliver cpu->exception_index (< EXCP_FIRST_INTERNAL). */
    void (*do_interrupt)(CPUState *cpu);
    /* Whether a pending request can wake the halted CPU (x86: a maskable
     * interrupt only with IF=1, so "cli; hlt" stays halted). NULL: any. */
    bool (*has_work)(CPUState *cpu);
} CPUTargetOps;

/* ---- debugger support (src/cpu_debug.c) ------------------------------------ */

/* Breakpoint and watchpoint kinds: the numbers of gdb's Z packets. */
typedef enum CPUDebugPoint {
    CPU_BP_SW = 0,        /* software breakpoint (no guest memory is patched) */
    CPU_BP_HW = 1,        /* hardware breakpoint (the same thing here) */
    CPU_WP_WRITE = 2,
    CPU_WP_READ = 3,
    CPU_WP_ACCESS = 4,
    CPU_DEBUG_STEP = 5,   /* stop reasons only: a single step ended */
} CPUDebugPoint;

/* Why cpu_exec returned EXCP_DEBUG. addr: the breakpoint's pc, or the
 * watched address that was hit (inside the watchpoint's range). */
typedef struct CPUDebugStop {
    CPUDebugPoint kind;
    uint64_t addr;
} CPUDebugStop;

enum {
    CPU_DEBUG_SSTEP  = 1u << 0, /* run one instruction, then EXCP_DEBUG (IRQs masked) */
    CPU_DEBUG_REPLAY = 1u << 1, /* a watchpoint hit: rerun its instruction alone, then stop */
    CPU_DEBUG_HIT    = 1u << 2, /* a watchpoint hit outside a block: stop at the next boundary */
};

/* Engine counters (per vCPU) shown by `info jit` and -d stats. */
typedef struct CPUCounters {
    uint64_t tb_exec;        /* blocks entered from the CPU loop */
    uint64_t lookup_hits;    /* goto_lookup found the next block without leaving */
    uint64_t lookup_misses;
    uint64_t tlb_fills;
    uint64_t tlb_flushes;
    uint64_t slow_ld, slow_st;
    uint64_t exceptions;
} CPUCounters;

struct CPUState {
    /*
     * The interpreter's temp frame comes first: temps and globals are both
     * offsets from the one env pointer, so a handler never asks which kind
     * of operand it has.
     */
    uint64_t frame[CPU_FRAME_SLOTS];

    /* Checked at every chain edge (goto_tb, goto_lookup, backward branch). */
    volatile uint32_t exit_request;
    volatile uint32_t interrupt_request;
    int32_t exception_index;   /* EXCP_NONE or the pending exception */
    uint32_t halted;
    /* Not runnable at all, interrupts or not (an AP waiting for its startup
     * IPI): cpu_exec returns EXCP_HALTED and the run loop skips it. */
    uint32_t stopped;
    int cpu_index;
    uint32_t debug_flags;      /* CPU_DEBUG_* */
    CPUDebugStop debug_stop;   /* valid after cpu_exec returned EXCP_DEBUG */

    /* Backend position of the helper call or slow path now running (0 when
     * not inside a block): where an exception restores guest state from. */
    uintptr_t host_pc;
    /* The block that executed the last exit_tb (for linking its slot). */
    struct TranslationBlock *exit_tb;

    const CPUTargetOps *ops;
    const struct SoftmmuPhys *phys; /* guest-physical memory (softmmu.h) */
    void *opaque;                   /* the board / target's own use */
    jmp_buf jmp_env;                /* cpu_loop_exit unwinds to cpu_exec */
    int in_exec;                    /* jmp_env is armed */

    CPUCounters stats;
    CPUState *next_cpu;

    struct TranslationBlock *jmp_cache[CPU_JMP_CACHE_SIZE];
    uint32_t tlb_used;          /* MMU modes with entries filled since their flush */
    uint32_t tlb_nlog;          /* fills logged; CPU_TLB_LOG + 1: overflowed */
    uint16_t tlb_log[CPU_TLB_LOG]; /* mode << CPU_TLB_BITS | index of each fill */
    CPUTLBEntry tlb[CPU_MMU_MODES][CPU_TLB_SIZE];
    CPUTLBEntryFull tlb_full[CPU_MMU_MODES][CPU_TLB_SIZE];
};

/* Env byte offset of interpreter frame slot n. */
#define CPU_FRAME_OFFSET(n) (offsetof(CPUState, frame) + (size_t)(n) * 8)

/* Set up a zeroed CPUState (the caller allocated it, often inside the
 * target's larger state) and register it in the CPU list. */
void cpu_init(CPUState *cpu, const CPUTargetOps *ops, const struct SoftmmuPhys *phys);
void cpu_exit_list(CPUState *cpu); /* unregister */
CPUState *cpu_first(void);
/* The CPU that runs now, or ran last (NULL before any): devices that are
 * per CPU (the local APIC's MMIO window) serve this one. */
extern CPUState *current_cpu;

/* Ask the CPU to leave its chain of blocks at the next edge (any thread). */
void cpu_exit(CPUState *cpu);
void cpu_interrupt(CPUState *cpu, uint32_t mask);
/* A halted CPU has something to do: a request it would take now. */
static inline bool cpu_has_work(CPUState *cpu)
{
    return cpu->interrupt_request && (!cpu->ops->has_work || cpu->ops->has_work(cpu));
}
void cpu_reset_interrupt(CPUState *cpu, uint32_t mask);

/* Unwind to cpu_exec. If a block was running (host_pc set), its guest
 * state is restored from the block's side table first. */
PEMU_NORETURN void cpu_loop_exit(CPUState *cpu);
/* Unwind without restoring (the helper already put the state it wants,
 * e.g. hlt with the pc after the instruction). */
PEMU_NORETURN void cpu_loop_exit_norestore(CPUState *cpu);
/* Raise exception `excp` (target numbering or EXCP_*) and unwind. */
PEMU_NORETURN void cpu_raise(CPUState *cpu, int excp);

/*
 * Run translated blocks until an exit: returns EXCP_INTERRUPT (exit_request),
 * EXCP_HLT, EXCP_DEBUG, EXCP_HALTED or another internal EXCP_*; guest
 * exceptions below EXCP_FIRST_INTERNAL are delivered with ops->do_interrupt
 * and execution continues.
 */
int cpu_exec(CPUState *cpu);

/*
 * Breakpoints and watchpoints, for every vCPU (one debugger drives them
 * all). Addresses are guest virtual (linear) addresses: a breakpoint is
 * compared with the pc of the TB key, a watchpoint with the address of a
 * load or store. Inserting or removing a breakpoint flushes the TB cache,
 * so that blocks end before breakpoints (src/tb.c); a watchpoint flushes
 * the TLBs, so that accesses to its pages take the softmmu slow path.
 * Returns 0, or -1 when the table is full / the point is unknown.
 */
#define CPU_MAX_BREAKPOINTS 64
#define CPU_MAX_WATCHPOINTS 32
int cpu_debug_insert(CPUDebugPoint kind, uint64_t addr, uint64_t len);
int cpu_debug_remove(CPUDebugPoint kind, uint64_t addr, uint64_t len);
void cpu_debug_remove_all(void);
/* A breakpoint of any kind at pc (kind set if found). */
bool cpu_breakpoint_at(uint64_t pc, CPUDebugPoint *kind);
/* A breakpoint in [start, end) (the inside of a block). */
bool cpu_breakpoint_in_range(uint64_t start, uint64_t end);
extern int cpu_breakpoint_count; /* fast test in the CPU loop */
/* The softmmu: a watchpoint lies in this virtual page; an access of size
 * bytes at vaddr is about to happen (may unwind to replay the instruction). */
bool cpu_watchpoint_in_page(uint64_t vpage);
void cpu_watchpoint_check(CPUState *cpu, uint64_t vaddr, unsigned size, bool write);
/*
 * Debugger memory access by virtual address (page walk without faults,
 * supervisor rights, writes allowed to read-only pages, translated code
 * invalidated). Returns 0, or -1 if a page is not mapped (nothing past it
 * is accessed).
 */
int cpu_memory_rw_debug(CPUState *cpu, uint64_t addr, uint8_t *buf, size_t len, bool write);

#endif
