/*
 * The IR: what a guest block becomes before it is optimized and lowered
 * into interpreter bytecode (interp/) or host code (jit/).
 *
 * An IRFunc is one translation block: a flat array of ops over temps.
 * Ops are described once in ir/ir.def. Temps are
 *   - globals:  bound to a field of the CPU state ("env") at a byte offset;
 *               their value is in env at every op that may raise, at calls
 *               that read globals, and at the end of the block;
 *   - locals:   live across the whole block, including across branches;
 *   - bb temps: dead at the end of their basic block (at a label or a
 *               branch), the common case for translator scratch values;
 *   - consts:   immutable values, one temp per (type, value) per function.
 * Globals are created first (ir_global_new) and survive ir_func_reset; all
 * other temps and labels are per block.
 *
 * Op arguments are uint64_t: output temp indices first, then input temp
 * indices, then constant arguments (see ir.def for each op's meaning).
 */
#ifndef PEMU_IR_H
#define PEMU_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ports/host.h"

/* ---- op codes and flags ------------------------------------------------ */

enum {
    IRF_TYPED     = 1u << 0, /* has i32 and i64 forms (IROp.type) */
    IRF_I64       = 1u << 1, /* only the i64 form exists */
    IRF_SIDE      = 1u << 2, /* has effects beyond its outputs: never removed as dead */
    IRF_BB_END    = 1u << 3, /* ends a basic block */
    IRF_COND_BR   = 1u << 4, /* conditional branch (falls through) */
    IRF_LABEL     = 1u << 5, /* starts a basic block */
    IRF_MAY_RAISE = 1u << 6, /* may raise a guest exception: reads every global */
    IRF_CALL      = 1u << 7, /* helper call: counts and effects from the op / helper */
};

typedef enum IROpcode {
#define IR_OP(name, nout, nin, ncon, flags) IR_##name,
#include "ir/ir.def"
#undef IR_OP
    IR_NB_OPS
} IROpcode;

typedef struct IROpDef {
    const char *name;
    uint8_t nout, nin, ncon;
    uint16_t flags;
} IROpDef;

extern const IROpDef ir_op_defs[IR_NB_OPS];

typedef enum IRType { IR_I32 = 0, IR_I64 = 1 } IRType;

/* Conditions for brcond/setcond/movcond. TSTEQ/TSTNE test (a & b) == 0 / != 0. */
typedef enum IRCond {
    IR_COND_NEVER, IR_COND_ALWAYS,
    IR_COND_EQ, IR_COND_NE,
    IR_COND_LT, IR_COND_GE, IR_COND_LE, IR_COND_GT,     /* signed */
    IR_COND_LTU, IR_COND_GEU, IR_COND_LEU, IR_COND_GTU, /* unsigned */
    IR_COND_TSTEQ, IR_COND_TSTNE,
    IR_NB_CONDS
} IRCond;

/* Memory operation descriptor for qemu_ld/qemu_st/ld_env/st_env. */
enum {
    IR_MO_8 = 0, IR_MO_16 = 1, IR_MO_32 = 2, IR_MO_64 = 3,
    IR_MO_SIZE = 3,       /* log2 of the access size in bytes */
    IR_MO_SIGN = 1u << 2, /* loads: sign-extend to the op type */
    IR_MO_ADDR32 = 1u << 3, /* qemu_ld/st: the address temp is i32 (zero-extended) */
};

/* ---- helper calls ------------------------------------------------------ */

/*
 * Every helper is a plain C function that receives the CPU state pointer
 * and up to six 64-bit arguments (i32 values arrive zero-extended) and
 * returns a 64-bit value (ignored when the call has no output). Fixed
 * signatures per arity keep calls type-correct in portable C.
 */
typedef uint64_t (*IRHelper0)(void *env);
typedef uint64_t (*IRHelper1)(void *env, uint64_t);
typedef uint64_t (*IRHelper2)(void *env, uint64_t, uint64_t);
typedef uint64_t (*IRHelper3)(void *env, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*IRHelper4)(void *env, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*IRHelper5)(void *env, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*IRHelper6)(void *env, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

enum {
    /* No flags: reads and writes any global and may raise (the safe default). */
    IR_CALL_NO_WRITE_GLOBALS = 1u << 0, /* reads globals, writes none */
    IR_CALL_NO_RW_GLOBALS    = 1u << 1, /* neither reads nor writes globals */
    IR_CALL_NO_RAISE         = 1u << 2, /* never raises a guest exception */
    IR_CALL_NO_SIDE_EFFECTS  = 1u << 3, /* removable when its result is unused */
    /* pure: a function of its arguments only */
    IR_CALL_PURE = IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_RAISE | IR_CALL_NO_SIDE_EFFECTS,
};

typedef struct IRHelperInfo {
    const char *name;
    union {
        IRHelper0 f0; IRHelper1 f1; IRHelper2 f2; IRHelper3 f3;
        IRHelper4 f4; IRHelper5 f5; IRHelper6 f6;
    } fn;
    uint8_t nargs;   /* 0..6, not counting env */
    uint8_t ret;     /* 0: no result, else the IRType of the result + 1 */
    uint16_t flags;  /* IR_CALL_* */
} IRHelperInfo;

#define IR_CALL_MAX_ARGS 6

/* ---- temps, ops, functions --------------------------------------------- */

typedef enum IRTempKind {
    IR_TEMP_GLOBAL, IR_TEMP_LOCAL, IR_TEMP_BB, IR_TEMP_CONST
} IRTempKind;

typedef uint32_t IRTemp; /* index into IRFunc.temps */

typedef struct IRTempInfo {
    uint8_t kind;       /* IRTempKind */
    uint8_t type;       /* IRType */
    int32_t env_offset; /* globals: byte offset in the CPU state */
    uint64_t val;       /* consts: the value (i32 consts are zero-extended) */
    const char *name;   /* globals: printed name */
} IRTempInfo;

#define IR_MAX_ARGS 10

typedef struct IROp {
    uint16_t opc;       /* IROpcode */
    uint8_t type;       /* IRType for typed ops */
    uint8_t nout, nin, ncon;
    uint16_t life;      /* set by ir_liveness: bit i = input i dies here */
    uint64_t args[IR_MAX_ARGS];
} IROp;

typedef struct IRFunc {
    IROp *ops;
    uint32_t nops, ops_cap;
    IRTempInfo *temps;
    uint32_t ntemps, temps_cap;
    uint32_t nglobals;  /* temps [0, nglobals) are the globals */
    uint32_t nlabels;
    /* const dedup: open-addressed table of temp indices (0 = empty slot) */
    uint32_t *const_hash;
    uint32_t const_hash_cap;
} IRFunc;

/* ---- building (ir/build.c) ---------------------------------------------- */

void ir_func_init(IRFunc *f);
void ir_func_free(IRFunc *f);
/* Drop ops, labels and every temp but the globals: ready for the next block. */
void ir_func_reset(IRFunc *f);

IRTemp ir_global_new(IRFunc *f, IRType type, int32_t env_offset, const char *name);
IRTemp ir_temp_new(IRFunc *f, IRType type);        /* basic-block temp */
IRTemp ir_temp_local_new(IRFunc *f, IRType type);  /* lives across branches */
IRTemp ir_const(IRFunc *f, IRType type, uint64_t val);
uint32_t ir_label_new(IRFunc *f);

static inline const IRTempInfo *ir_temp(const IRFunc *f, IRTemp t)
{
    return &f->temps[t];
}

/* Append an op; args are outputs, inputs, constants in ir.def order. */
IROp *ir_emit(IRFunc *f, IROpcode opc, IRType type, const uint64_t *args, unsigned nargs);
/* Helper call: out may be IR_NO_TEMP when the helper returns nothing. */
#define IR_NO_TEMP UINT32_MAX
IROp *ir_emit_call(IRFunc *f, const IRHelperInfo *h, IRTemp out, const IRTemp *in, unsigned nin);

/* Convenience emitters, one per op shape; names follow ir.def. */
void ir_mov(IRFunc *f, IRType t, IRTemp d, IRTemp a);
void ir_movi(IRFunc *f, IRType t, IRTemp d, uint64_t imm);
void ir_op1(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a);
void ir_op2(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, IRTemp b);
void ir_op2i(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, uint64_t imm);
void ir_insn_start(IRFunc *f, uint64_t pc, uint64_t data);
void ir_set_label(IRFunc *f, uint32_t label);
void ir_br(IRFunc *f, uint32_t label);
void ir_brcond(IRFunc *f, IRType t, IRCond c, IRTemp a, IRTemp b, uint32_t label);
void ir_brcondi(IRFunc *f, IRType t, IRCond c, IRTemp a, uint64_t imm, uint32_t label);
void ir_setcond(IRFunc *f, IRType t, IRCond c, IRTemp d, IRTemp a, IRTemp b);
void ir_movcond(IRFunc *f, IRType t, IRCond c, IRTemp d, IRTemp c1, IRTemp c2, IRTemp v1, IRTemp v2);
void ir_mul2(IRFunc *f, IROpcode opc, IRType t, IRTemp lo, IRTemp hi, IRTemp a, IRTemp b);
void ir_deposit(IRFunc *f, IRType t, IRTemp d, IRTemp a, IRTemp b, unsigned pos, unsigned len);
void ir_extract(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, unsigned pos, unsigned len);
void ir_qemu_ld(IRFunc *f, IRType t, IRTemp d, IRTemp addr, unsigned memop, unsigned mmu_idx);
void ir_qemu_st(IRFunc *f, IRType t, IRTemp v, IRTemp addr, unsigned memop, unsigned mmu_idx);
void ir_ld_env(IRFunc *f, IRType t, IRTemp d, int32_t offset, unsigned memop);
void ir_st_env(IRFunc *f, IRType t, IRTemp v, int32_t offset, unsigned memop);
void ir_goto_tb(IRFunc *f, unsigned slot);
void ir_exit_tb(IRFunc *f, uint64_t val);
void ir_goto_lookup(IRFunc *f);
void ir_discard(IRFunc *f, IRTemp t);

/* ---- printing, checking, optimizing -------------------------------------- */

const char *ir_cond_name(IRCond c);
IRCond ir_cond_swap(IRCond c);    /* a c b  ==  b swap(c) a */
IRCond ir_cond_invert(IRCond c);  /* !(a c b) == a invert(c) b */
/* Evaluate a condition on constant operands of the given type. */
bool ir_cond_eval(IRType t, IRCond c, uint64_t a, uint64_t b);

/* -d op / -d op_opt: one op per line, stable format (golden tests depend on it). */
void ir_print_op(FILE *out, const IRFunc *f, const IROp *op);
void ir_print_func(FILE *out, const IRFunc *f);
/* Format a temp's name ("eax", "t12", "loc3", "$0x10") into buf. */
const char *ir_temp_name(const IRFunc *f, IRTemp t, char *buf, size_t n);

/* Structural checks; returns 0 or -1 with a message in buf. */
int ir_verify(const IRFunc *f, char *msg, size_t n);

void ir_opt_fold(IRFunc *f);      /* constant folding and propagation (ir/fold.c) */
void ir_opt_copyprop(IRFunc *f);  /* copy propagation (ir/copyprop.c) */
void ir_opt_dce(IRFunc *f);       /* dead code elimination (ir/dce.c) */
void ir_opt_deadstore(IRFunc *f); /* dead global stores, may-raise rule (ir/deadstore.c) */
void ir_liveness(IRFunc *f);      /* fills IROp.life (ir/liveness.c) */
void ir_optimize(IRFunc *f);      /* the standard pass pipeline */

/* Nops left by passes are skipped by every consumer; this squeezes them out. */
void ir_compact(IRFunc *f);

#endif
