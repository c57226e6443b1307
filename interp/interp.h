/*
 * The interpreter backend: IR lowered by instruction selection onto a
 * virtual machine made for cheap dispatch, run by one of two skins built
 * from the same handler bodies (interp/handlers.inc): direct-threaded
 * computed goto (GNU C) and a portable switch loop.
 */
#ifndef PEMU_INTERP_H
#define PEMU_INTERP_H

#include <stdbool.h>
#include <stdio.h>
#include "ir/backend.h"
#include "ir/ir.h"
#include "src/cpu.h"
#include "src/tb.h"
#include "interp/bytecode.h"

extern const TBBackend interp_backend;

typedef enum InterpDispatch {
    INTERP_DISPATCH_SWITCH = 0,
    INTERP_DISPATCH_GOTO = 1,
} InterpDispatch;

/* Whether this binary has the skin (goto needs labels-as-values and no
 * DISPATCH=switch). */
bool interp_dispatch_available(InterpDispatch d);
/* The skin for blocks lowered from now on; false if not built. Blocks of
 * different skins are never linked together; flush the TB cache when
 * switching so that old blocks go away. Default: goto when built, else
 * switch, overridden by the environment PEMU_DISPATCH=goto|switch. */
bool interp_set_dispatch(InterpDispatch d);
InterpDispatch interp_get_dispatch(void);
const char *interp_dispatch_name(InterpDispatch d);

/* Multi-op (fused) rows on or off: for measuring what fusion buys. */
void interp_set_fusion(bool on);

/* The backend entry points (also reachable through interp_backend). */
long interp_lower(const IRFunc *f, TranslationBlock *tb, uint8_t *buf, size_t cap);
uintptr_t interp_exec(CPUState *cpu, TranslationBlock *tb);
void interp_link(TranslationBlock *tb, int slot, TranslationBlock *dest);
void interp_unlink(TranslationBlock *tb, int slot);
int interp_restore_state(const TranslationBlock *tb, uintptr_t host_pc, uint64_t data[2]);
int interp_insn_index(const TranslationBlock *tb, uintptr_t host_pc);
void interp_print(FILE *out, const TranslationBlock *tb, const IRFunc *f);

/* ---- internal to interp/ ------------------------------------------------ */

/* The skins (dispatch.c): run from pc; with cpu == NULL, return the goto
 * skin's label table. */
uintptr_t interp_run_goto(CPUState *cpu, const BCWord *pc);
uintptr_t interp_run_switch(CPUState *cpu, const BCWord *pc);
/* The handler word for op under the given skin, and back (disas). */
BCWord interp_handler_word(InterpDispatch d, BCOpcode op);
int interp_word_opcode(InterpDispatch d, BCWord w);

/* Emitter (emit.c): a code buffer being filled for one block. */
typedef struct BCEmit {
    BCWord *buf;          /* start of this block's code */
    size_t cap;           /* words available */
    size_t n;             /* words used */
    bool overflow;
    InterpDispatch dispatch;
    /* labels: code offset (words) per IR label, fixups to patch */
    uint32_t *label_off;
    uint32_t nlabels;
    struct { uint32_t at, label; } *fix;
    uint32_t nfix, fix_cap;
    /* side table being built */
    uint8_t *side;
    uint32_t side_n, side_cap;
    uint32_t last_off;
    uint64_t last_pc, last_data;
    uint32_t ninsns;
} BCEmit;

void bc_emit_init(BCEmit *e, BCWord *buf, size_t cap_words, uint32_t nlabels, InterpDispatch d);
void bc_emit_free(BCEmit *e);
/* Start an instruction: returns its word index (operands follow). */
size_t bc_emit_op(BCEmit *e, BCOpcode op);
void bc_emit_word(BCEmit *e, BCWord w);
void bc_emit_label_ref(BCEmit *e, uint32_t label);
void bc_emit_label_def(BCEmit *e, uint32_t label);
void bc_emit_insn_start(BCEmit *e, uint64_t pc, uint64_t data);
/* Resolve label fixups; false if a label was never defined. */
bool bc_emit_finish(BCEmit *e);

/* Side table reader: calls fn for every record; stops when fn returns non-zero. */
int bc_side_walk(const uint8_t *side, uint32_t size,
                 int (*fn)(void *opaque, uint32_t off, uint64_t pc, uint64_t data), void *opaque);

#endif
