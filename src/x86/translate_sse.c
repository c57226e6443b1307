/*
 * SSE .. SSE4.2 translation: the 66/F2/F3/no-prefix XMM instructions,
 * CRC32, POPCNT and MOVNTI. (The MMX-register forms, EMMS, LDMXCSR/STMXCSR
 * and FXSAVE/FXRSTOR are the x87/MMX front end's.)
 *
 * Moves, logic ops and element inserts/extracts are IR on the XMM
 * registers' two 64-bit env fields. Everything else calls one helper
 * (sse_helper.h) with the destination and source register numbers and
 * an immediate: a memory source is first loaded into env.xmm_tmp (register
 * number SSE_TMP), so the helper never touches guest memory and a fault
 * in the load leaves every register unchanged.
 *
 * Checks (SDM Vol. 3 13.1, table 2-21): CR0.EM = 1 or CR4.OSFXSR = 0 is
 * #UD, then CR0.TS = 1 is #NM (both from the TB's hflags); a 16-byte memory
 * operand must be 16-byte aligned (#GP(0)) except for MOVUPS/MOVUPD/MOVDQU/
 * LDDQU and the SSE4.2 string compares.
 */
#include "src/x86/translate.h"

#include <string.h>
#include "src/x86/helper.h"
#include "src/x86/sse_helper.h"

/* ---- env access -------------------------------------------------------------------- */

static int32_t xmm_off(unsigned reg, unsigned half)
{
    if (reg == SSE_TMP)
        return X86_ENV_OFFSET(xmm_tmp) + (int32_t)(8 * half);
    return X86_ENV_OFFSET(xmm) + (int32_t)(reg * sizeof(X86Xmm) + 8 * half);
}

static IRTemp ld_q(DisasContext *s, unsigned reg, unsigned half)
{
    IRTemp t = ir_temp_new(s->f, IR_I64);
    ir_ld_env(s->f, IR_I64, t, xmm_off(reg, half), IR_MO_64);
    return t;
}

static void st_q(DisasContext *s, unsigned reg, unsigned half, IRTemp v)
{
    ir_st_env(s->f, IR_I64, v, xmm_off(reg, half), IR_MO_64);
}

static void st_qi(DisasContext *s, unsigned reg, unsigned half, uint64_t v)
{
    st_q(s, reg, half, ir_const(s->f, IR_I64, v));
}

/* view type <-> i64 */
static IRTemp to64(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp t = ir_temp_new(s->f, IR_I64);
    ir_op1(s->f, IR_extu_i32_i64, IR_I64, t, v);
    return t;
}

static IRTemp from64(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp t = ir_temp_new(s->f, IR_I32);
    ir_op1(s->f, IR_extrl_i64_i32, IR_I32, t, v);
    return t;
}

/* ---- memory operands --------------------------------------------------------------- */

/* Linear address of the memory operand; a 16-byte aligned form checks
 * alignment (#GP(0), not #AC). */
static IRTemp mem_addr(DisasContext *s, unsigned size, bool write, bool aligned)
{
    const X86Insn *in = s->insn;
    uint32_t fl = s->flags;
    if (aligned)
        s->flags &= ~HF_AC;
    IRTemp a = x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), size, write);
    s->flags = fl;
    if (aligned)
        x86_call(s, &x86_hi_check_align, IR_NO_TEMP, 2, a, ir_const(s->f, IR_I32, X86_ALIGN_GP | 16));
    return a;
}

static IRTemp addr_plus(DisasContext *s, IRTemp a, unsigned n)
{
    IRTemp t = x86_tmp(s);
    ir_op2i(s->f, IR_add, s->rt, t, a, n);
    return t;
}

/* Load size (2, 4, 8) bytes at a, zero-extended, as i64. */
static IRTemp ld_mem64(DisasContext *s, IRTemp a, unsigned size)
{
    if (size == 8) {
        IRTemp t = ir_temp_new(s->f, IR_I64);
        x86_gen_ld64(s, t, a);
        return t;
    }
    IRTemp t = x86_tmp(s);
    x86_gen_ld(s, t, a, size, false);
    return to64(s, t);
}

static void st_mem64(DisasContext *s, IRTemp v, IRTemp a, unsigned size)
{
    if (size == 8)
        x86_gen_st64(s, v, a);
    else
        x86_gen_st(s, from64(s, v), a, size);
}

/* The register number of an XMM source; a memory source is loaded into
 * env.xmm_tmp (16 bytes: both halves; fewer: the low bytes only). */
static unsigned load_src(DisasContext *s, const X86Operand *o, bool aligned)
{
    if (o->kind != X86_OPK_MEM)
        return o->reg;
    unsigned size = o->size ? o->size : 16;
    IRTemp a = mem_addr(s, size, false, aligned && size == 16);
    if (size == 16) {
        IRTemp lo = ld_mem64(s, a, 8), hi = ld_mem64(s, addr_plus(s, a, 8), 8);
        st_q(s, SSE_TMP, 0, lo);
        st_q(s, SSE_TMP, 1, hi);
    } else {
        st_q(s, SSE_TMP, 0, ld_mem64(s, a, size));
    }
    return SSE_TMP;
}

/* ---- moves ------------------------------------------------------------------------- */

/* 16-byte moves: MOVAPS/MOVUPS/MOVDQA/MOVDQU/LDDQU/MOVNT* */
static void gen_mov128(DisasContext *s, bool aligned)
{
    const X86Operand *d = &s->insn->opd[0], *o = &s->insn->opd[1];
    if (d->kind == X86_OPK_MEM) {
        IRTemp a = mem_addr(s, 16, true, aligned);
        IRTemp lo = ld_q(s, o->reg, 0), hi = ld_q(s, o->reg, 1);
        /* the high half first: a fault on the second page writes nothing */
        x86_gen_st64(s, hi, addr_plus(s, a, 8));
        x86_gen_st64(s, lo, a);
        return;
    }
    if (o->kind == X86_OPK_MEM) {
        IRTemp a = mem_addr(s, 16, false, aligned);
        IRTemp lo = ld_mem64(s, a, 8), hi = ld_mem64(s, addr_plus(s, a, 8), 8);
        st_q(s, d->reg, 0, lo);
        st_q(s, d->reg, 1, hi);
        return;
    }
    if (d->reg != o->reg) {
        IRTemp lo = ld_q(s, o->reg, 0), hi = ld_q(s, o->reg, 1);
        st_q(s, d->reg, 0, lo);
        st_q(s, d->reg, 1, hi);
    }
}

/* MOVSS/MOVSD: a load zeroes the rest of the register, a register move keeps it */
static void gen_movs(DisasContext *s, unsigned size)
{
    const X86Operand *d = &s->insn->opd[0], *o = &s->insn->opd[1];
    if (d->kind == X86_OPK_MEM) {
        IRTemp a = mem_addr(s, size, true, false);
        st_mem64(s, ld_q(s, o->reg, 0), a, size);
    } else if (o->kind == X86_OPK_MEM) {
        IRTemp v = ld_mem64(s, mem_addr(s, size, false, false), size);
        st_q(s, d->reg, 0, v);
        st_qi(s, d->reg, 1, 0);
    } else if (size == 8) {
        st_q(s, d->reg, 0, ld_q(s, o->reg, 0));
    } else {
        IRTemp t = ld_q(s, d->reg, 0);
        ir_deposit(s->f, IR_I64, t, t, ld_q(s, o->reg, 0), 0, 32);
        st_q(s, d->reg, 0, t);
    }
}

/* MOVLPS/MOVHPS/MOVLPD/MOVHPD (one half from/to m64), MOVHLPS/MOVLHPS */
static void gen_movhalf(DisasContext *s, unsigned half)
{
    const X86Operand *d = &s->insn->opd[0], *o = &s->insn->opd[1];
    if (d->kind == X86_OPK_MEM)
        x86_gen_st64(s, ld_q(s, o->reg, half), mem_addr(s, 8, true, false));
    else
        st_q(s, d->reg, half, ld_mem64(s, mem_addr(s, 8, false, false), 8));
}

/* MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): the upper half cleared */
static void gen_movq(DisasContext *s)
{
    const X86Operand *d = &s->insn->opd[0], *o = &s->insn->opd[1];
    if (d->kind == X86_OPK_MEM) {
        x86_gen_st64(s, ld_q(s, o->reg, 0), mem_addr(s, 8, true, false));
        return;
    }
    IRTemp v = o->kind == X86_OPK_MEM ? ld_mem64(s, mem_addr(s, 8, false, false), 8) : ld_q(s, o->reg, 0);
    st_q(s, d->reg, 0, v);
    st_qi(s, d->reg, 1, 0);
}

/* MOVD/MOVQ between XMM and r/m32/64 */
static void gen_movd(DisasContext *s)
{
    const X86Insn *in = s->insn;
    if (in->opd[0].cls == X86_RC_XMM && in->opd[0].kind == X86_OPK_REG) {
        unsigned size = in->opd[1].size;
        IRTemp v = to64(s, x86_ext(s, size, false, x86_load_opnd(s, &in->opd[1], NULL, false)));
        st_q(s, in->opd[0].reg, 0, v);
        st_qi(s, in->opd[0].reg, 1, 0);
    } else {
        X86Loc loc;
        const X86Operand *o = &in->opd[0];
        memset(&loc, 0, sizeof(loc));
        loc.size = o->size;
        if (o->kind == X86_OPK_MEM) {
            loc.mem = true;
            loc.addr = x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), o->size, true);
        } else {
            loc.reg = o->reg;
        }
        IRTemp v = ld_q(s, in->opd[1].reg, 0);
        if (o->size == 8 && loc.mem)
            x86_gen_st64(s, v, loc.addr);
        else
            x86_store_loc(s, &loc, from64(s, v));
    }
}

/* ---- logic in IR --------------------------------------------------------------------- */

static void gen_logic(DisasContext *s, IROpcode opc, bool andn)
{
    unsigned d = s->insn->opd[0].reg, src = load_src(s, &s->insn->opd[1], true);
    for (unsigned h = 0; h < 2; h++) {
        IRTemp a = ld_q(s, d, h), b = ld_q(s, src, h), r = ir_temp_new(s->f, IR_I64);
        if (andn)
            ir_op2(s->f, IR_andc, IR_I64, r, b, a);  /* ~d & s */
        else
            ir_op2(s->f, opc, IR_I64, r, a, b);
        st_q(s, d, h, r);
    }
}

/* ---- element extract / insert ------------------------------------------------------------ */

/* PEXTRB/W/D/Q, EXTRACTPS: element (imm masked) of opd[1] to r32/r64 or memory */
static void gen_pextr(DisasContext *s, unsigned bits)
{
    const X86Insn *in = s->insn;
    const X86Operand *d = &in->opd[0];
    unsigned n = 128 / bits, i = (unsigned)in->opd[2].imm & (n - 1);
    unsigned bit = i * bits;
    IRTemp q = ld_q(s, in->opd[1].reg, bit / 64);
    IRTemp v = ir_temp_new(s->f, IR_I64);
    if (bits == 64)
        v = q;
    else
        ir_extract(s->f, IR_extract, IR_I64, v, q, bit % 64, bits);
    if (d->kind == X86_OPK_MEM) {
        st_mem64(s, v, x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), bits / 8, true), bits / 8);
    } else if (bits == 64) {
        x86_set_reg(s, 8, d->reg, false, v);
    } else {
        x86_set_reg(s, 4, d->reg, false, from64(s, v));
    }
}

/* PINSRB/W/D/Q: r32/r64/memory into element imm */
static void gen_pinsr(DisasContext *s, unsigned bits)
{
    const X86Insn *in = s->insn;
    const X86Operand *o = &in->opd[1];
    unsigned n = 128 / bits, i = (unsigned)in->opd[2].imm & (n - 1);
    unsigned bit = i * bits, dreg = in->opd[0].reg;
    IRTemp v;
    if (o->kind == X86_OPK_MEM)
        v = ld_mem64(s, x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), bits / 8, false), bits / 8);
    else
        v = to64(s, s->reg[o->reg]);
    if (bits == 64) {
        st_q(s, dreg, bit / 64, v);
        return;
    }
    IRTemp q = ld_q(s, dreg, bit / 64);
    ir_deposit(s->f, IR_I64, q, q, v, bit % 64, bits);
    st_q(s, dreg, bit / 64, q);
}

/* ---- helper-based ops -------------------------------------------------------------------- */

enum { RES_NONE, RES_GPR, RES_FLAGS, RES_STRI };

typedef struct SseRow {
    const IRHelperInfo *h;
    uint8_t res;
    bool unaligned;     /* a 16-byte memory operand may be misaligned */
} SseRow;

/* X86Op -> helper: the op's own helper unless named */
#define SSE_SAME(X)                                                                   \
    X(ADDPS, addps) X(ADDPD, addpd) X(ADDSS, addss) X(ADDSD, addsd)                   \
    X(SUBPS, subps) X(SUBPD, subpd) X(SUBSS, subss) X(SUBSD, subsd)                   \
    X(MULPS, mulps) X(MULPD, mulpd) X(MULSS, mulss) X(MULSD, mulsd)                   \
    X(DIVPS, divps) X(DIVPD, divpd) X(DIVSS, divss) X(DIVSD, divsd)                   \
    X(MINPS, minps) X(MINPD, minpd) X(MINSS, minss) X(MINSD, minsd)                   \
    X(MAXPS, maxps) X(MAXPD, maxpd) X(MAXSS, maxss) X(MAXSD, maxsd)                   \
    X(SQRTPS, sqrtps) X(SQRTPD, sqrtpd) X(SQRTSS, sqrtss) X(SQRTSD, sqrtsd)           \
    X(RCPPS, rcpps) X(RCPSS, rcpss) X(RSQRTPS, rsqrtps) X(RSQRTSS, rsqrtss)           \
    X(CMPPS, cmpps) X(CMPPD, cmppd) X(CMPSS, cmpss) X(CMPSD, cmpsd)                   \
    X(ADDSUBPS, addsubps) X(ADDSUBPD, addsubpd) X(HADDPS, haddps) X(HADDPD, haddpd)   \
    X(HSUBPS, hsubps) X(HSUBPD, hsubpd)                                               \
    X(ROUNDPS, roundps) X(ROUNDPD, roundpd) X(ROUNDSS, roundss) X(ROUNDSD, roundsd)   \
    X(DPPS, dpps) X(DPPD, dppd)                                                       \
    X(CVTPS2PD, cvtps2pd) X(CVTPD2PS, cvtpd2ps) X(CVTSS2SD, cvtss2sd)                 \
    X(CVTSD2SS, cvtsd2ss) X(CVTDQ2PS, cvtdq2ps) X(CVTPS2DQ, cvtps2dq)                 \
    X(CVTTPS2DQ, cvttps2dq) X(CVTDQ2PD, cvtdq2pd) X(CVTPD2DQ, cvtpd2dq)               \
    X(CVTTPD2DQ, cvttpd2dq)                                                           \
    X(PADDB, paddb) X(PADDW, paddw) X(PADDD, paddd) X(PADDQ, paddq)                   \
    X(PSUBB, psubb) X(PSUBW, psubw) X(PSUBD, psubd) X(PSUBQ, psubq)                   \
    X(PADDSB, paddsb) X(PADDSW, paddsw) X(PADDUSB, paddusb) X(PADDUSW, paddusw)       \
    X(PSUBSB, psubsb) X(PSUBSW, psubsw) X(PSUBUSB, psubusb) X(PSUBUSW, psubusw)       \
    X(PMULLW, pmullw) X(PMULHW, pmulhw) X(PMULHUW, pmulhuw) X(PMULLD, pmulld)         \
    X(PMULUDQ, pmuludq) X(PMULDQ, pmuldq) X(PMADDWD, pmaddwd)                         \
    X(PMADDUBSW, pmaddubsw) X(PMULHRSW, pmulhrsw)                                     \
    X(PSADBW, psadbw) X(PAVGB, pavgb) X(PAVGW, pavgw)                                 \
    X(PMINUB, pminub) X(PMAXUB, pmaxub) X(PMINSW, pminsw) X(PMAXSW, pmaxsw)           \
    X(PMINSB, pminsb) X(PMAXSB, pmaxsb) X(PMINSD, pminsd) X(PMAXSD, pmaxsd)           \
    X(PMINUW, pminuw) X(PMAXUW, pmaxuw) X(PMINUD, pminud) X(PMAXUD, pmaxud)           \
    X(PCMPEQB, pcmpeqb) X(PCMPEQW, pcmpeqw) X(PCMPEQD, pcmpeqd) X(PCMPEQQ, pcmpeqq)   \
    X(PCMPGTB, pcmpgtb) X(PCMPGTW, pcmpgtw) X(PCMPGTD, pcmpgtd) X(PCMPGTQ, pcmpgtq)   \
    X(PSIGNB, psignb) X(PSIGNW, psignw) X(PSIGND, psignd)                             \
    X(PABSB, pabsb) X(PABSW, pabsw) X(PABSD, pabsd)                                   \
    X(PHADDW, phaddw) X(PHADDD, phaddd) X(PHADDSW, phaddsw)                           \
    X(PHSUBW, phsubw) X(PHSUBD, phsubd) X(PHSUBSW, phsubsw)                           \
    X(PHMINPOSUW, phminposuw) X(MPSADBW, mpsadbw)                                     \
    X(PSRLW, psrlw) X(PSRLD, psrld) X(PSRLQ, psrlq) X(PSRAW, psraw) X(PSRAD, psrad)   \
    X(PSLLW, psllw) X(PSLLD, pslld) X(PSLLQ, psllq) X(PSRLDQ, psrldq) X(PSLLDQ, pslldq) \
    X(PACKSSWB, packsswb) X(PACKUSWB, packuswb) X(PACKSSDW, packssdw) X(PACKUSDW, packusdw) \
    X(PUNPCKLBW, punpcklbw) X(PUNPCKLWD, punpcklwd) X(PUNPCKLDQ, punpckldq)           \
    X(PUNPCKLQDQ, punpcklqdq) X(PUNPCKHBW, punpckhbw) X(PUNPCKHWD, punpckhwd)         \
    X(PUNPCKHDQ, punpckhdq) X(PUNPCKHQDQ, punpckhqdq)                                 \
    X(UNPCKLPS, punpckldq) X(UNPCKHPS, punpckhdq) X(UNPCKLPD, punpcklqdq)             \
    X(UNPCKHPD, punpckhqdq)                                                           \
    X(PSHUFD, pshufd) X(PSHUFHW, pshufhw) X(PSHUFLW, pshuflw) X(PSHUFB, pshufb)       \
    X(SHUFPS, shufps) X(SHUFPD, shufpd) X(PALIGNR, palignr)                           \
    X(MOVSHDUP, movshdup) X(MOVSLDUP, movsldup) X(MOVDDUP, movddup)                   \
    X(INSERTPS, insertps)                                                             \
    X(BLENDPS, blendps) X(BLENDPD, blendpd) X(PBLENDW, pblendw)                       \
    X(BLENDVPS, blendvps) X(BLENDVPD, blendvpd) X(PBLENDVB, pblendvb)                 \
    X(PMOVSXBW, pmovsxbw) X(PMOVSXBD, pmovsxbd) X(PMOVSXBQ, pmovsxbq)                 \
    X(PMOVSXWD, pmovsxwd) X(PMOVSXWQ, pmovsxwq) X(PMOVSXDQ, pmovsxdq)                 \
    X(PMOVZXBW, pmovzxbw) X(PMOVZXBD, pmovzxbd) X(PMOVZXBQ, pmovzxbq)                 \
    X(PMOVZXWD, pmovzxwd) X(PMOVZXWQ, pmovzxwq) X(PMOVZXDQ, pmovzxdq)

static bool sse_row(unsigned op, SseRow *r)
{
    r->res = RES_NONE;
    r->unaligned = false;
    switch (op) {
#define SSE_CASE(OP, fn) case X86_OP_##OP: r->h = &sse_hi_##fn; return true;
    SSE_SAME(SSE_CASE)
#undef SSE_CASE
    case X86_OP_COMISS: r->h = &sse_hi_comiss; r->res = RES_FLAGS; return true;
    case X86_OP_UCOMISS: r->h = &sse_hi_ucomiss; r->res = RES_FLAGS; return true;
    case X86_OP_COMISD: r->h = &sse_hi_comisd; r->res = RES_FLAGS; return true;
    case X86_OP_UCOMISD: r->h = &sse_hi_ucomisd; r->res = RES_FLAGS; return true;
    case X86_OP_PTEST: r->h = &sse_hi_ptest; r->res = RES_FLAGS; return true;
    case X86_OP_CVTSS2SI: r->h = &sse_hi_cvtss2si; r->res = RES_GPR; return true;
    case X86_OP_CVTTSS2SI: r->h = &sse_hi_cvttss2si; r->res = RES_GPR; return true;
    case X86_OP_CVTSD2SI: r->h = &sse_hi_cvtsd2si; r->res = RES_GPR; return true;
    case X86_OP_CVTTSD2SI: r->h = &sse_hi_cvttsd2si; r->res = RES_GPR; return true;
    case X86_OP_MOVMSKPS: r->h = &sse_hi_movmskps; r->res = RES_GPR; return true;
    case X86_OP_MOVMSKPD: r->h = &sse_hi_movmskpd; r->res = RES_GPR; return true;
    case X86_OP_PMOVMSKB: r->h = &sse_hi_pmovmskb; r->res = RES_GPR; return true;
    case X86_OP_PCMPESTRI: r->h = &sse_hi_pcmpestri; r->res = RES_STRI; r->unaligned = true; return true;
    case X86_OP_PCMPISTRI: r->h = &sse_hi_pcmpistri; r->res = RES_STRI; r->unaligned = true; return true;
    case X86_OP_PCMPESTRM: r->h = &sse_hi_pcmpestrm; r->res = RES_FLAGS; r->unaligned = true; return true;
    case X86_OP_PCMPISTRM: r->h = &sse_hi_pcmpistrm; r->res = RES_FLAGS; r->unaligned = true; return true;
    }
    return false;
}

static void gen_helper_op(DisasContext *s, const SseRow *row)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    const X86Operand *d = &in->opd[0], *o = &in->opd[1];
    uint64_t arg = 0;
    unsigned dreg = d->reg, sreg = 0;
    if (in->nopd > 2 && in->opd[2].kind == X86_OPK_IMM)
        arg = (uint64_t)in->opd[2].imm & 0xff;
    if (o->kind == X86_OPK_IMM) {
        /* shifts by imm8 (Udq, Ib): the register is both operands */
        arg = ((uint64_t)o->imm & 0xff) | (op == X86_OP_PSRLDQ || op == X86_OP_PSLLDQ ? 0 : SSE_SHIFT_IMM);
        sreg = dreg;
    } else {
        sreg = load_src(s, o, !row->unaligned);
    }
    switch (op) {
    case X86_OP_INSERTPS:
        if (o->kind == X86_OPK_MEM)
            arg |= SSE_INSERT_MEM;
        break;
    case X86_OP_PCMPESTRI: case X86_OP_PCMPESTRM:
        if (in->rex_w)
            arg |= SSE_STR_W;
        break;
    case X86_OP_CVTSS2SI: case X86_OP_CVTTSS2SI: case X86_OP_CVTSD2SI: case X86_OP_CVTTSD2SI:
        arg = d->size * 8u;
        break;
    }
    if (row->res == RES_GPR || row->res == RES_FLAGS || row->res == RES_STRI) {
        if (row->res == RES_GPR)
            dreg = 0;   /* d is a GPR */
        IRTemp r = ir_temp_new(s->f, IR_I64);
        x86_call(s, row->h, r, 3, ir_const(s->f, IR_I64, dreg), ir_const(s->f, IR_I64, sreg),
                 ir_const(s->f, IR_I64, arg));
        if (row->res == RES_GPR) {
            x86_set_reg(s, d->size, d->reg, false, d->size == 8 ? r : from64(s, r));
        } else if (row->res == RES_FLAGS) {
            x86_set_eflags_cc(s, from64(s, r));
        } else {
            IRTemp fl = ir_temp_new(s->f, IR_I64);
            ir_op2i(s->f, IR_shr, IR_I64, fl, r, SSE_STR_FLAGS_SHIFT);
            x86_set_reg(s, 4, R_ECX, false, from64(s, r));
            x86_set_eflags_cc(s, from64(s, fl));
        }
        return;
    }
    x86_call(s, row->h, IR_NO_TEMP, 3, ir_const(s->f, IR_I64, dreg), ir_const(s->f, IR_I64, sreg),
             ir_const(s->f, IR_I64, arg));
}

/* CVTSI2SS/SD xmm, r/m32/64: the integer goes as a sign-extended i64 */
static void gen_cvtsi(DisasContext *s, const IRHelperInfo *h)
{
    const X86Insn *in = s->insn;
    unsigned size = in->opd[1].size;
    IRTemp v;
    if (in->opd[1].kind == X86_OPK_MEM) {
        IRTemp a = x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), size, false);
        v = ld_mem64(s, a, size);
    } else {
        v = to64(s, s->reg[in->opd[1].reg]);
    }
    if (size == 4) {
        IRTemp t = ir_temp_new(s->f, IR_I64);
        ir_op1(s->f, IR_ext32s, IR_I64, t, v);
        v = t;
    }
    x86_call(s, h, IR_NO_TEMP, 3, ir_const(s->f, IR_I64, in->opd[0].reg), ir_const(s->f, IR_I64, 0), v);
}

/* MASKMOVDQU xmm1, xmm2: store to DS:rDI (segment overridable) */
static void gen_maskmov(DisasContext *s)
{
    const X86Insn *in = s->insn;
    int seg = in->seg_override >= 0 ? in->seg_override : R_DS;
    IRTemp di = x86_ext(s, in->asize, false, s->reg[R_EDI]);
    IRTemp a = x86_gen_lin(s, seg, di, 1, true);
    x86_call(s, &sse_hi_maskmov, IR_NO_TEMP, 3, ir_const(s->f, IR_I64, in->opd[0].reg),
             ir_const(s->f, IR_I64, in->opd[1].reg), to64(s, a));
}

/* ---- the integer extras: POPCNT, CRC32, MOVNTI ------------------------------------------ */

static void gen_popcnt(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned size = in->opd[0].size;
    IRTemp v = x86_ext(s, size, false, x86_load_opnd(s, &in->opd[1], NULL, false));
    IRTemp r = x86_tmp(s), z = x86_tmp(s);
    ir_op1(s->f, IR_ctpop, s->rt, r, v);
    x86_set_reg(s, size, in->opd[0].reg, false, r);
    /* ZF = source was zero; OF SF AF CF PF cleared */
    ir_setcond(s->f, s->rt, IR_COND_EQ, z, v, x86_const(s, 0));
    ir_op2i(s->f, IR_shl, s->rt, z, z, 6);
    x86_set_eflags_cc(s, z);
}

static void gen_crc32(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned size = in->opd[1].size, dsize = in->opd[0].size;
    IRTemp v = to64(s, x86_ext(s, size, false, x86_load_opnd(s, &in->opd[1], NULL, false)));
    IRTemp crc = to64(s, s->reg[in->opd[0].reg]), r = ir_temp_new(s->f, IR_I64);
    x86_call(s, &sse_hi_crc32, r, 3, crc, v, ir_const(s->f, IR_I64, size));
    /* the result is 32 bits, zero-extended into a 64-bit destination */
    x86_set_reg(s, dsize == 8 ? 8 : 4, in->opd[0].reg, false, dsize == 8 ? r : from64(s, r));
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static bool is_xmm_feature(unsigned feat)
{
    return feat == X86_FEAT_SSE || feat == X86_FEAT_SSE2 || feat == X86_FEAT_SSE3 ||
           feat == X86_FEAT_SSSE3 || feat == X86_FEAT_SSE41 || feat == X86_FEAT_SSE42;
}

/* Rows with an MMX operand (P, Q, N) belong to the MMX front end. */
static bool has_mmx_operand(const X86InsnRow *row)
{
    for (int i = 0; i < 3; i++) {
        unsigned am = X86_OPD_AM(row->opd[i]);
        if (am == X86_AM_P || am == X86_AM_Q || am == X86_AM_N)
            return true;
    }
    return false;
}

bool x86_translate_sse(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    switch (op) {
    case X86_OP_POPCNT:
        gen_popcnt(s);
        return true;
    case X86_OP_CRC32:
        gen_crc32(s);
        return true;
    case X86_OP_MOVNTI: {
        unsigned size = in->opd[0].size;
        IRTemp a = x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), size, true);
        if (size == 8)
            x86_gen_st64(s, s->reg[in->opd[1].reg], a);
        else
            x86_gen_st(s, s->reg[in->opd[1].reg], a, size);
        return true;
    }
    case X86_OP_LDMXCSR: case X86_OP_STMXCSR: case X86_OP_FXSAVE: case X86_OP_FXRSTOR:
    case X86_OP_EMMS:
        return false;
    }
    if (!in->row || !is_xmm_feature(in->row->feature) || has_mmx_operand(in->row))
        return false;
    if ((s->flags & HF_EM) || !(s->flags & HF_OSFXSR)) {
        x86_gen_exception(s, EXCP_UD, -1);
        return true;
    }
    if (s->flags & HF_TS) {
        x86_gen_exception(s, EXCP_NM, -1);
        return true;
    }
    SseRow row;
    switch (op) {
    case X86_OP_MOVAPS: case X86_OP_MOVAPD: case X86_OP_MOVDQA: case X86_OP_MOVNTPS:
    case X86_OP_MOVNTPD: case X86_OP_MOVNTDQ: case X86_OP_MOVNTDQA:
        gen_mov128(s, true);
        return true;
    case X86_OP_MOVUPS: case X86_OP_MOVUPD: case X86_OP_MOVDQU: case X86_OP_LDDQU:
        gen_mov128(s, false);
        return true;
    case X86_OP_MOVSS:
        gen_movs(s, 4);
        return true;
    case X86_OP_MOVSD:
        gen_movs(s, 8);
        return true;
    case X86_OP_MOVLPS: case X86_OP_MOVLPD:
        gen_movhalf(s, 0);
        return true;
    case X86_OP_MOVHPS: case X86_OP_MOVHPD:
        gen_movhalf(s, 1);
        return true;
    case X86_OP_MOVHLPS:
        st_q(s, in->opd[0].reg, 0, ld_q(s, in->opd[1].reg, 1));
        return true;
    case X86_OP_MOVLHPS:
        st_q(s, in->opd[0].reg, 1, ld_q(s, in->opd[1].reg, 0));
        return true;
    case X86_OP_MOVQ:
        gen_movq(s);
        return true;
    case X86_OP_MOVD:
        gen_movd(s);
        return true;
    case X86_OP_ANDPS: case X86_OP_ANDPD: case X86_OP_PAND:
        gen_logic(s, IR_and, false);
        return true;
    case X86_OP_ANDNPS: case X86_OP_ANDNPD: case X86_OP_PANDN:
        gen_logic(s, IR_and, true);
        return true;
    case X86_OP_ORPS: case X86_OP_ORPD: case X86_OP_POR:
        gen_logic(s, IR_or, false);
        return true;
    case X86_OP_XORPS: case X86_OP_XORPD: case X86_OP_PXOR:
        gen_logic(s, IR_xor, false);
        return true;
    case X86_OP_PEXTRB: gen_pextr(s, 8); return true;
    case X86_OP_PEXTRW: gen_pextr(s, 16); return true;
    case X86_OP_PEXTRD: gen_pextr(s, in->rex_w ? 64 : 32); return true;
    case X86_OP_EXTRACTPS: gen_pextr(s, 32); return true;
    case X86_OP_PINSRB: gen_pinsr(s, 8); return true;
    case X86_OP_PINSRW: gen_pinsr(s, 16); return true;
    case X86_OP_PINSRD: gen_pinsr(s, in->rex_w ? 64 : 32); return true;
    case X86_OP_CVTSI2SS: gen_cvtsi(s, &sse_hi_cvtsi2ss); return true;
    case X86_OP_CVTSI2SD: gen_cvtsi(s, &sse_hi_cvtsi2sd); return true;
    case X86_OP_MASKMOVDQU: gen_maskmov(s); return true;
    }
    if (sse_row(op, &row)) {
        gen_helper_op(s, &row);
        return true;
    }
    return false;
}
