/*
 * Internal to ir/: what the printer, the verifier and the optimizer passes
 * share. Backends use ir/ir.h only.
 */
#ifndef PEMU_IR_PASS_H
#define PEMU_IR_PASS_H

#include "ir/ir.h"

static inline const IROpDef *ir_op_def(const IROp *op)
{
    return &ir_op_defs[op->opc];
}

static inline const IRHelperInfo *ir_op_helper(const IROp *op)
{
    return (const IRHelperInfo *)(uintptr_t)op->args[op->nout + op->nin];
}

static inline unsigned ir_op_call_flags(const IROp *op)
{
    const IRHelperInfo *h = ir_op_helper(op);
    return h ? h->flags : 0;
}

static inline bool ir_temp_is_const(const IRFunc *f, uint64_t t)
{
    return f->temps[t].kind == IR_TEMP_CONST;
}

/*
 * Effects of an op on state other than its outputs (ir/liveness.c). The
 * may-raise rule: an op that may raise a guest exception reads every
 * global, since the CPU loop sees env when the exception unwinds.
 */
bool ir_op_may_raise(const IROp *op);
/* Reads every global: may raise, helper reading globals, block end, label. */
bool ir_op_observes_globals(const IROp *op);
/* May write any global (a helper without NO_WRITE/NO_RW_GLOBALS). */
bool ir_op_clobbers_globals(const IROp *op);
/* Has no effect beyond its outputs: removable when they are all dead. */
bool ir_op_removable(const IROp *op);
/* Control leaves the op's block and never falls through (br, exit_tb, goto_lookup). */
bool ir_op_no_fallthrough(const IROp *op);

/*
 * Basic blocks of a function and the temps live at each block end
 * (globals always; locals by dataflow over the branches; bb temps never).
 */
typedef struct IRBlock {
    uint32_t start, end;    /* op index range [start, end) */
    uint32_t succ[2];       /* successor blocks, UINT32_MAX for none */
} IRBlock;

typedef struct IRCfg {
    uint32_t nblocks;
    IRBlock *blocks;
    uint32_t words;         /* 64-bit words per temp bitset */
    uint64_t *live_out;     /* nblocks bitsets over temps */
} IRCfg;

void ir_cfg_build(IRCfg *cfg, const IRFunc *f);
void ir_cfg_free(IRCfg *cfg);
/* Backward transfer of one op over a live set (bitset over temps). */
void ir_live_step(const IRFunc *f, const IROp *op, uint64_t *live);

static inline bool bit_test(const uint64_t *s, uint64_t i) { return (s[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *s, uint64_t i) { s[i >> 6] |= 1ull << (i & 63); }
static inline void bit_clear(uint64_t *s, uint64_t i) { s[i >> 6] &= ~(1ull << (i & 63)); }

/* Format an op as ir_print_op prints it, without the newline (ir/print.c). */
void ir_format_op(char *buf, size_t n, const IRFunc *f, const IROp *op);

#endif
