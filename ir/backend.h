/*
 * The TB backend interface: what turns an optimized IRFunc into something
 * that runs, and runs it. The interpreter (interp/) implements it; a JIT
 * (jit/) will implement the same record. The CPU loop (src/cpu.c) and the
 * TB cache (src/tb.c) only talk to a backend through it.
 *
 * Block exit protocol (the front end's contract):
 *   goto_tb n ; <store the next pc> ; exit_tb n   -- a direct jump, slot n (0/1)
 *   <store the next pc> ; goto_lookup              -- an indirect jump
 *   <store the next pc> ; exit_tb BACKEND_EXIT_NOCHAIN -- anything else
 * When slot n is linked, goto_tb n jumps straight into the next block's
 * code; otherwise (or when cpu->exit_request is set) it falls through and
 * the loop may link the slot once it found the next block.
 */
#ifndef PEMU_BACKEND_H
#define PEMU_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct IRFunc;
struct TranslationBlock;
struct CPUState;

/* exit_tb values with a meaning to the CPU loop. */
enum {
    BACKEND_EXIT_SLOT0 = 0,     /* left through unlinked goto_tb slot 0: link it */
    BACKEND_EXIT_SLOT1 = 1,     /* ... slot 1 */
    BACKEND_EXIT_NOCHAIN = 2,   /* plain exit, the next pc is in env */
    BACKEND_EXIT_LOOKUP = 3,    /* goto_lookup found no cached block (or an exit request) */
    BACKEND_EXIT_REQUESTED = 4, /* exit_request seen inside a block: state restored
                                   from cpu->host_pc, like an exception */
};

/* lower() failures */
#define BACKEND_LOWER_TOO_BIG  (-1L) /* retry with fewer guest instructions */
#define BACKEND_LOWER_NO_SPACE (-2L) /* the code buffer is full: flush and retry */

typedef struct TBBackend {
    const char *name;
    /*
     * Lower f into buf (cap bytes, pointer-aligned): fills tb->code,
     * tb->code_size, tb->side/side_size (guest insn side table) and the
     * chaining slots tb->jmp_slot/jmp_reset. Returns the bytes used or
     * BACKEND_LOWER_*.
     */
    long (*lower)(const struct IRFunc *f, struct TranslationBlock *tb, uint8_t *buf, size_t cap);
    /* Run tb (and whatever it chains to); returns the exit_tb value and
     * sets cpu->exit_tb to the block that exited. */
    uintptr_t (*exec)(struct CPUState *cpu, struct TranslationBlock *tb);
    /* Point tb's goto_tb slot at dest's code, or back at the exit path. */
    void (*link)(struct TranslationBlock *tb, int slot, struct TranslationBlock *dest);
    void (*unlink)(struct TranslationBlock *tb, int slot);
    /* The insn_start args (guest pc, front-end data) of the guest
     * instruction that host_pc (a position inside tb's code) belongs to. */
    int (*restore_state)(const struct TranslationBlock *tb, uintptr_t host_pc, uint64_t data[2]);
    /* How many guest instructions of tb come before the one host_pc
     * belongs to (-icount); -1 if host_pc is not in tb. */
    int (*insn_index)(const struct TranslationBlock *tb, uintptr_t host_pc);
    /* -d bytecode / -d out_asm; f (may be NULL) names the globals. */
    void (*print)(FILE *out, const struct TranslationBlock *tb, const struct IRFunc *f);
} TBBackend;

#endif
