/*
 * MMX translation: the no-prefix 0F forms on MM registers (the 66 XMM
 * forms of the same opcodes are the SSE translator's). SDM Vol. 1 ch. 9.
 *
 * Every MMX instruction: CR0.EM -> #UD, CR0.TS -> #NM (both in hflags),
 * a pending x87 exception -> #MF, then the operand loads (a #PF leaves
 * the FPU alone), then the x87 aliasing: TOP = 0 and all tags valid
 * (fpu_mmx_enter, done here as two env stores). A register write sets the
 * register's exponent field to all ones (fpu_mmx_write). Lane arithmetic
 * is mmx_helper.c's, through one pure helper call.
 */
#include "src/x86/translate.h"

#include "src/x86/fpu.h"
#include "src/x86/helper.h"
#include "src/x86/mmx_helper.h"

#define CPU(env) ((X86CPU *)(env))

static uint64_t h_fwait(void *env)
{
    fpu_helper_wait(CPU(env));
    return 0;
}
static uint64_t h_emms(void *env)
{
    fpu_helper_wait(CPU(env));
    fpu_emms(&CPU(env)->env);
    return 0;
}
static uint64_t h_mmx(void *env, uint64_t code, uint64_t a, uint64_t b)
{
    (void)env;
    return mmx_op((unsigned)code, a, b);
}
static const IRHelperInfo hi_fwait = { "fwait", { .f0 = h_fwait }, 0, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_emms = { "emms", { .f0 = h_emms }, 0, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_mmx = { "mmx", { .f3 = h_mmx }, 3, IR_I64 + 1, IR_CALL_PURE };

static int32_t mm_off(unsigned r)
{
    return X86_ENV_OFFSET(fpregs) + (int32_t)((r & 7) * sizeof(X86Float80) +
                                              offsetof(X86Float80, mant));
}

static IRTemp mm_get(DisasContext *s, unsigned r)
{
    IRTemp t = ir_temp_new(s->f, IR_I64);
    ir_ld_env(s->f, IR_I64, t, mm_off(r), IR_MO_64);
    return t;
}

static void mm_set(DisasContext *s, unsigned r, IRTemp v)
{
    ir_st_env(s->f, IR_I64, v, mm_off(r), IR_MO_64);
    ir_st_env(s->f, IR_I32, ir_const(s->f, IR_I32, 0xffff),
              mm_off(r) - (int32_t)offsetof(X86Float80, mant) + (int32_t)offsetof(X86Float80, sexp),
              IR_MO_16);
}

/* fpu_mmx_enter: TOP = 0, every tag valid */
static void mmx_enter(DisasContext *s)
{
    ir_st_env(s->f, IR_I32, ir_const(s->f, IR_I32, 0), X86_ENV_OFFSET(fpstt), IR_MO_32);
    ir_st_env(s->f, IR_I64, ir_const(s->f, IR_I64, 0), X86_ENV_OFFSET(fptags), IR_MO_64);
}

static IRTemp to64(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp w = ir_temp_new(s->f, IR_I64);
    ir_op1(s->f, IR_extu_i32_i64, IR_I64, w, v);
    return w;
}

static IRTemp to_view(DisasContext *s, IRTemp v64)
{
    if (s->rt == IR_I64)
        return v64;
    IRTemp w = x86_tmp(s);
    ir_op1(s->f, IR_extrl_i64_i32, IR_I32, w, v64);
    return w;
}

static IRTemp mem_addr(DisasContext *s, unsigned size, bool write)
{
    return x86_gen_lin(s, s->insn->mem.seg, x86_gen_ea(s), size, write);
}

/* An mm/m64 (or m32: Qd) source operand as i64. */
static IRTemp load_q(DisasContext *s, const X86Operand *o)
{
    if (o->kind == X86_OPK_REG)
        return mm_get(s, o->reg);
    IRTemp t = ir_temp_new(s->f, IR_I64), addr = mem_addr(s, o->size, false);
    if (o->size == 8) {
        x86_gen_ld64(s, t, addr);
    } else {
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, addr, o->size, false);
        t = to64(s, v);
    }
    return t;
}

/* Lane-operation code of a two-operand op, or -1. */
static int lane_code(unsigned op)
{
    switch (op) {
#define L(OP, K, LG) case X86_OP_##OP: return MMX_CODE(MMX_##K, LG);
    L(PADDB, ADD, 0) L(PADDW, ADD, 1) L(PADDD, ADD, 2) L(PADDQ, ADD, 3)
    L(PSUBB, SUB, 0) L(PSUBW, SUB, 1) L(PSUBD, SUB, 2) L(PSUBQ, SUB, 3)
    L(PADDSB, ADDS, 0) L(PADDSW, ADDS, 1) L(PADDUSB, ADDUS, 0) L(PADDUSW, ADDUS, 1)
    L(PSUBSB, SUBS, 0) L(PSUBSW, SUBS, 1) L(PSUBUSB, SUBUS, 0) L(PSUBUSW, SUBUS, 1)
    L(PCMPEQB, CMPEQ, 0) L(PCMPEQW, CMPEQ, 1) L(PCMPEQD, CMPEQ, 2)
    L(PCMPGTB, CMPGT, 0) L(PCMPGTW, CMPGT, 1) L(PCMPGTD, CMPGT, 2)
    L(PMULLW, MULL, 1) L(PMULHW, MULH, 1) L(PMULHUW, MULHU, 1)
    L(PMINUB, MINU, 0) L(PMAXUB, MAXU, 0) L(PMINSW, MINS, 1) L(PMAXSW, MAXS, 1)
    L(PAVGB, AVG, 0) L(PAVGW, AVG, 1)
    L(PSLLW, SLL, 1) L(PSLLD, SLL, 2) L(PSLLQ, SLL, 3)
    L(PSRLW, SRL, 1) L(PSRLD, SRL, 2) L(PSRLQ, SRL, 3)
    L(PSRAW, SRA, 1) L(PSRAD, SRA, 2)
    L(PUNPCKLBW, UNPCKL, 0) L(PUNPCKLWD, UNPCKL, 1) L(PUNPCKLDQ, UNPCKL, 2)
    L(PUNPCKHBW, UNPCKH, 0) L(PUNPCKHWD, UNPCKH, 1) L(PUNPCKHDQ, UNPCKH, 2)
    L(PAND, AND, 0) L(PANDN, ANDN, 0) L(POR, OR, 0) L(PXOR, XOR, 0)
    L(PACKSSWB, PACKSSWB, 0) L(PACKSSDW, PACKSSDW, 0) L(PACKUSWB, PACKUSWB, 0)
    L(PMADDWD, MADDWD, 0) L(PMULUDQ, MULUDQ, 0) L(PSADBW, SADBW, 0)
#undef L
    }
    return -1;
}

static bool is_mmx_reg(const X86Operand *o)
{
    return o->kind == X86_OPK_REG && o->cls == X86_RC_MMX;
}

/* Only the forms on MM registers are ours (no XMM operand, one MM operand). */
static bool mmx_form(const X86Insn *in)
{
    bool mm = false;
    for (unsigned i = 0; i < in->nopd; i++) {
        if (in->opd[i].kind == X86_OPK_REG && in->opd[i].cls == X86_RC_XMM)
            return false;
        mm |= is_mmx_reg(&in->opd[i]);
    }
    return mm || in->op == X86_OP_EMMS;
}

static IRTemp call_mmx(DisasContext *s, int code, IRTemp a, IRTemp b)
{
    IRTemp r = ir_temp_new(s->f, IR_I64);
    x86_call(s, &hi_mmx, r, 3, ir_const(s->f, IR_I32, (uint32_t)code), a, b);
    return r;
}

bool x86_translate_mmx(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    if (!mmx_form(in))
        return false;
    int code = lane_code(op);
    if (code < 0 && op != X86_OP_EMMS && op != X86_OP_MOVD && op != X86_OP_MOVQ &&
        op != X86_OP_PSHUFW && op != X86_OP_PEXTRW && op != X86_OP_PINSRW &&
        op != X86_OP_PMOVMSKB && op != X86_OP_MOVNTQ)
        return false; /* MASKMOVQ and the conversions: not here */
    if (s->flags & HF_EM) {
        x86_gen_exception(s, EXCP_UD, -1);
        return true;
    }
    if (s->flags & HF_TS) {
        x86_gen_exception(s, EXCP_NM, -1);
        return true;
    }
    if (op == X86_OP_EMMS) {
        x86_call(s, &hi_emms, IR_NO_TEMP, 0);
        return true;
    }
    x86_call(s, &hi_fwait, IR_NO_TEMP, 0);
    const X86Operand *d = &in->opd[0], *src = &in->opd[1];

    if (code >= 0) {
        /* shifts by immediate: 0F 71..73 /r ib, the register is the rm operand */
        IRTemp b;
        if (src->kind == X86_OPK_IMM)
            b = ir_const(s->f, IR_I64, (uint64_t)src->imm & 0xff);
        else
            b = load_q(s, src);
        mmx_enter(s);
        mm_set(s, d->reg, call_mmx(s, code, mm_get(s, d->reg), b));
        return true;
    }
    switch (op) {
    case X86_OP_MOVD: /* MOVD/MOVQ mm, r/m32/64 and r/m32/64, mm (0F 6E / 7E) */
        if (is_mmx_reg(d)) {
            IRTemp v = to64(s, x86_load_opnd(s, src, NULL, false));
            if (src->size == 4 && s->rt == IR_I64) {
                IRTemp z = ir_temp_new(s->f, IR_I64);
                ir_op1(s->f, IR_ext32u, IR_I64, z, v);
                v = z;
            }
            mmx_enter(s);
            mm_set(s, d->reg, v);
        } else {
            X86Loc loc;
            if (d->kind == X86_OPK_MEM) {
                loc.mem = true;
                loc.size = d->size;
                loc.addr = mem_addr(s, d->size, true);
            } else {
                loc.mem = false;
                loc.reg = d->reg;
                loc.high = false;
                loc.size = d->size;
            }
            IRTemp v = mm_get(s, src->reg);
            if (loc.mem && loc.size == 8)
                x86_gen_st64(s, v, loc.addr);
            else
                x86_store_loc(s, &loc, to_view(s, v));
            mmx_enter(s);
        }
        return true;
    case X86_OP_MOVQ: case X86_OP_MOVNTQ: /* 0F 6F mm, mm/m64; 0F 7F mm/m64, mm; 0F E7 */
        if (is_mmx_reg(d)) {
            IRTemp v = load_q(s, src);
            mmx_enter(s);
            mm_set(s, d->reg, v);
        } else {
            IRTemp addr = mem_addr(s, 8, true);
            x86_gen_st64(s, mm_get(s, src->reg), addr);
            mmx_enter(s);
        }
        return true;
    case X86_OP_PSHUFW: {
        IRTemp a = load_q(s, src);
        mmx_enter(s);
        mm_set(s, d->reg, call_mmx(s, MMX_CODE(MMX_PSHUFW, 0), a,
                                  ir_const(s->f, IR_I64, (uint64_t)in->opd[2].imm & 0xff)));
        return true;
    }
    case X86_OP_PMOVMSKB: {
        IRTemp a = mm_get(s, src->reg);
        IRTemp m = call_mmx(s, MMX_CODE(MMX_PMOVMSKB, 0), a, ir_const(s->f, IR_I64, 0));
        mmx_enter(s);
        x86_set_reg(s, s->rsize, d->reg, false, to_view(s, m));
        return true;
    }
    case X86_OP_PEXTRW: { /* Gd, Nq, Ib */
        IRTemp a = mm_get(s, src->reg), w = ir_temp_new(s->f, IR_I64);
        ir_extract(s->f, IR_extract, IR_I64, w, a, 16 * ((unsigned)in->opd[2].imm & 3), 16);
        mmx_enter(s);
        x86_set_reg(s, s->rsize, d->reg, false, to_view(s, w));
        return true;
    }
    case X86_OP_PINSRW: { /* Pq, r32/m16, Ib */
        IRTemp v = to64(s, x86_load_opnd(s, src, NULL, false)), r = ir_temp_new(s->f, IR_I64);
        mmx_enter(s);
        ir_deposit(s->f, IR_I64, r, mm_get(s, d->reg), v, 16 * ((unsigned)in->opd[2].imm & 3), 16);
        mm_set(s, d->reg, r);
        return true;
    }
    }
    return false;
}
