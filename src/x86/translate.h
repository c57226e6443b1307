/*
 * The x86 front end's internals, shared by src/x86/translate*.c only: the
 * per-instruction context and the small emitters every part uses.
 *
 * Register views. In 16 and 32-bit code the GPRs (and the lazy-flag
 * operands and segment bases) are i32 globals bound to the low half of
 * their 64-bit env fields: a 32-bit write then leaves bits 63..32 alone,
 * which is what the hardware does outside 64-bit mode, and costs no
 * deposit. 64-bit code uses i64 globals over the whole fields and
 * zero-extends 32-bit writes. A block uses one view only (the mode is in
 * the TB key), so the two views never alias inside one IRFunc.
 *
 * Lazy flags. s->cc_op is the statically known CC_OP_* after the last
 * instruction (CC_OP_DYNAMIC: only env knows); it is stored into env only
 * where something reads it (block ends, helpers reading the flags), never
 * per instruction. Precise exceptions restore cc_op from insn_start's data,
 * so an instruction writes cc_dst/cc_src/cc_src2 only after its last
 * operation that may raise.
 */
#ifndef PEMU_X86_TRANSLATE_H
#define PEMU_X86_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>
#include "ir/ir.h"
#include "src/tb.h"
#include "src/x86/cpu.h"
#include "src/x86/decode.h"
#include "src/x86/target.h"

/* How the block goes on after the current instruction. */
enum {
    DISAS_NEXT,     /* fall through to the next instruction */
    DISAS_EOB,      /* mode may have changed: store the next eip, exit (no chaining) */
    DISAS_EOB_RIP,  /* a helper set env.rip itself: exit without storing it */
    DISAS_JUMP,     /* the instruction emitted its own block exits */
    DISAS_NORETURN, /* the instruction always raises */
};

/* A place an operand was read from, to write the result back. */
typedef struct X86Loc {
    bool mem;
    uint8_t reg;        /* GPR number */
    bool high;          /* AH..BH */
    uint8_t size;       /* bytes */
    IRTemp addr;        /* linear address (mem) */
} X86Loc;

typedef struct DisasContext {
    X86CPU *cpu;
    IRFunc *f;
    TranslationBlock *tb;
    const X86Insn *insn;
    uint32_t flags;            /* hflags of the block */
    uint64_t cs_base;
    uint64_t pc, next_pc;      /* linear address of this / the next instruction */
    uint64_t eip, next_eip;    /* offsets in CS */
    IRType rt;                 /* register view type: I32, or I64 in 64-bit code */
    unsigned rsize;            /* 4 or 8 */
    int mmu;
    int cpl, iopl;
    bool pe, vm86, code64, ss32, addseg;
    /* lazy flags */
    uint32_t cc_op;            /* static CC_OP_*, CC_OP_DYNAMIC = in env */
    bool cc_op_dirty;          /* static value not yet in env */
    IRTemp cc_srcT;            /* SUB: the first operand, while cc_srcT_gen == bb_gen */
    uint32_t cc_srcT_gen, bb_gen;
    int is_jmp;
    /* globals of the view */
    IRTemp reg[16], cc_dst, cc_src, cc_src2, seg_base[X86_NB_SEGS];
    IRTemp g_cc_op, g_df, g_rip;
} DisasContext;


/* log2 of an operand size in bytes (1, 2, 4, 8): the B/W/L/Q index. */
static inline unsigned x86_lg(unsigned size)
{
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

/* ---- translate.c: the common emitters ------------------------------------ */

IRTemp x86_tmp(DisasContext *s);                 /* bb temp of the view type */
IRTemp x86_tmp_t(DisasContext *s, IRType t);
IRTemp x86_const(DisasContext *s, uint64_t v);   /* const of the view type */
/* v zero- or sign-extended from size bytes (v itself when size is the view's) */
IRTemp x86_ext(DisasContext *s, unsigned size, bool sign, IRTemp v);
uint64_t x86_size_mask(unsigned size);

/* GPRs: read (low `size` bytes meaningful, upper bits unspecified unless
 * zx), write with the hardware's merge/zero-extension rules. */
IRTemp x86_get_reg(DisasContext *s, unsigned size, unsigned reg, bool high);
IRTemp x86_get_reg_zx(DisasContext *s, unsigned size, unsigned reg);
void x86_set_reg(DisasContext *s, unsigned size, unsigned reg, bool high, IRTemp v);

/* Memory. */
IRTemp x86_gen_ea(DisasContext *s);              /* ModRM/SIB/moffs offset, address-size wrapped */
IRTemp x86_gen_lin(DisasContext *s, int seg, IRTemp ea, unsigned size, bool write);
void x86_gen_ld(DisasContext *s, IRTemp d, IRTemp addr, unsigned size, bool sign);
void x86_gen_st(DisasContext *s, IRTemp v, IRTemp addr, unsigned size);
void x86_gen_ld64(DisasContext *s, IRTemp d, IRTemp addr);    /* i64 d */
void x86_gen_st64(DisasContext *s, IRTemp v, IRTemp addr);

/* Operands of the decoded instruction. */
IRTemp x86_load_opnd(DisasContext *s, const X86Operand *o, X86Loc *loc, bool write);
void x86_store_loc(DisasContext *s, const X86Loc *loc, IRTemp v);

/* Stack. */
IRTemp x86_get_sp(DisasContext *s);              /* stack pointer, zero-extended to its size */
void x86_set_sp(DisasContext *s, IRTemp v);
IRTemp x86_stack_addr(DisasContext *s, IRTemp sp, int64_t off, unsigned size, bool write);
void x86_push(DisasContext *s, IRTemp v, unsigned size);
IRTemp x86_pop(DisasContext *s, unsigned size);  /* loads; x86_pop_commit moves SP */
void x86_pop_commit(DisasContext *s, unsigned size);

/* Control. */
void x86_label(DisasContext *s, uint32_t l);
void x86_brcond(DisasContext *s, IRCond c, IRTemp a, IRTemp b, uint32_t l);
void x86_sync_cc_op(DisasContext *s);
void x86_set_cc_op(DisasContext *s, uint32_t op);
void x86_jmp_tb(DisasContext *s, int slot, uint64_t eip);
void x86_jmp_indirect(DisasContext *s, IRTemp eip);
void x86_gen_exception(DisasContext *s, int excp, int err);
void x86_gen_unimp(DisasContext *s, const char *what);
void x86_gen_eob(DisasContext *s);
/* Helper call with up to six arguments; out may be IR_NO_TEMP. */
void x86_call(DisasContext *s, const IRHelperInfo *h, IRTemp out, int n, ...);

/* ---- translate_cc.c: lazy flags --------------------------------------------- */

typedef struct X86CCPrep {
    IRCond cond;
    IRTemp a, b;
} X86CCPrep;

/* cc_op's size in bytes and kind base (CC_OP_ADDB, ...), 0 for EFLAGS/CLR/DYNAMIC. */
unsigned x86_cc_size(uint32_t op);
/* Record the flags of an operation: writes the operands, sets the static cc_op. */
void x86_set_cc(DisasContext *s, uint32_t op, IRTemp dst, IRTemp src, IRTemp src2);
void x86_set_cc_sub(DisasContext *s, unsigned size, IRTemp a, IRTemp b, IRTemp res);
/* Flags as materialized EFLAGS arithmetic bits (view type). */
IRTemp x86_compute_eflags(DisasContext *s);
IRTemp x86_compute_cf(DisasContext *s);          /* 0 or 1 */
/* A Jcc condition (0..15, the opcode's low nibble) as a comparison. */
X86CCPrep x86_prepare_cc(DisasContext *s, int jcc);
IRTemp x86_setcc(DisasContext *s, int jcc);      /* 0 or 1 */
/* Replace the flags by materialized EFLAGS value v (view type). */
void x86_set_eflags_cc(DisasContext *s, IRTemp v);

/* ---- the instruction groups ------------------------------------------------- */

bool x86_translate_alu(DisasContext *s);    /* translate_alu.c */
bool x86_translate_string(DisasContext *s); /* translate_string.c */
bool x86_translate_sys(DisasContext *s);    /* translate_sys.c */
bool x86_translate_sse(DisasContext *s);    /* translate_sse.c: XMM, CRC32, POPCNT, MOVNTI */
bool x86_translate_x87(DisasContext *s);    /* translate_x87.c: x87, FXSAVE, LDMXCSR */
bool x86_translate_mmx(DisasContext *s);    /* translate_mmx.c: MMX register forms */
/* A row whose CPUID feature pemu does not implement: #UD/#NM by CR0/CR4,
 * else #UD logged under -d unimp. */
void x86_translate_unsupported(DisasContext *s);

/* CPUID features of the rows the translator accepts (others are #UD). */
bool x86_feature_supported(unsigned feature);

/* The block translator (target.c calls it). */
IRFunc *x86_translate_block(X86CPU *cpu, TranslationBlock *tb, int max_insns);

#endif
