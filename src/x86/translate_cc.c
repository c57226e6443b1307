/*
 * Lazy flags in the translator: recording (cc_op, cc_dst, cc_src, cc_src2)
 * after an operation, and reading conditions back.
 *
 * A condition is turned into one comparison whenever the block knows the
 * cc_op statically: after CMP/SUB, JL is `lt a, b` on the operands (the
 * first operand is kept in a temp while the basic block lasts, else it is
 * cc_dst + cc_src); ZF/SF of any result are tests of cc_dst; CF of ADD is
 * `ltu dst, src`. Everything else materializes the flags with one pure
 * helper call (src/x86/flags.c) and tests bits of that.
 */
#include "src/x86/translate.h"

#include "src/x86/helper.h"

unsigned x86_cc_size(uint32_t op)
{
    if (op >= CC_OP_MULB && op < CC_OP_NB)
        return 1u << ((op - CC_OP_MULB) & 3);
    return 0;
}

static uint32_t cc_base(uint32_t op)
{
    return x86_cc_size(op) ? op - ((op - CC_OP_MULB) & 3) : op;
}

void x86_set_cc(DisasContext *s, uint32_t op, IRTemp dst, IRTemp src, IRTemp src2)
{
    /* src first, then dst: the interpreter's fused "op; mov cc_src; mov
     * cc_dst" handlers look for this order */
    if (src != IR_NO_TEMP && src != s->cc_src)
        ir_mov(s->f, s->rt, s->cc_src, src);
    if (src2 != IR_NO_TEMP)
        ir_mov(s->f, s->rt, s->cc_src2, src2);
    if (dst != IR_NO_TEMP && dst != s->cc_dst)
        ir_mov(s->f, s->rt, s->cc_dst, dst);
    x86_set_cc_op(s, op);
    s->cc_srcT = IR_NO_TEMP;
}

void x86_set_cc_sub(DisasContext *s, unsigned size, IRTemp a, IRTemp b, IRTemp res)
{
    x86_set_cc(s, CC_OP_SUBB + x86_lg(size), res, b, IR_NO_TEMP);
    s->cc_srcT = a;
    s->cc_srcT_gen = s->bb_gen;
}

void x86_set_eflags_cc(DisasContext *s, IRTemp v)
{
    x86_set_cc(s, CC_OP_EFLAGS, IR_NO_TEMP, v, IR_NO_TEMP);
}

IRTemp x86_compute_eflags(DisasContext *s)
{
    switch (s->cc_op) {
    case CC_OP_EFLAGS:
        return s->cc_src;
    case CC_OP_CLR:
        return x86_const(s, CC_Z | CC_P);
    }
    IRTemp op = s->cc_op == CC_OP_DYNAMIC ? s->g_cc_op : ir_const(s->f, IR_I32, s->cc_op);
    IRTemp r = ir_temp_new(s->f, IR_I32);
    x86_call(s, &x86_hi_cc_compute_all, r, 4, op, s->cc_dst, s->cc_src, s->cc_src2);
    if (s->rt == IR_I32)
        return r;
    IRTemp t = x86_tmp(s);
    ir_op1(s->f, IR_extu_i32_i64, IR_I64, t, r);
    return t;
}

static X86CCPrep prep(IRCond c, IRTemp a, IRTemp b)
{
    X86CCPrep p = { c, a, b };
    return p;
}

static X86CCPrep prep_const(DisasContext *s, bool v)
{
    return prep(v ? IR_COND_ALWAYS : IR_COND_NEVER, x86_const(s, 0), x86_const(s, 0));
}

/* ZF / SF of the result in cc_dst. */
static X86CCPrep prep_zero(DisasContext *s, unsigned size)
{
    if (size >= s->rsize)
        return prep(IR_COND_EQ, s->cc_dst, x86_const(s, 0));
    return prep(IR_COND_TSTEQ, s->cc_dst, x86_const(s, x86_size_mask(size)));
}

static X86CCPrep prep_sign(DisasContext *s, unsigned size)
{
    return prep(IR_COND_TSTNE, s->cc_dst, x86_const(s, 1ull << (size * 8 - 1)));
}

/* The first operand of the last SUB/CMP. */
static IRTemp sub_first(DisasContext *s)
{
    if (s->cc_srcT != IR_NO_TEMP && s->cc_srcT_gen == s->bb_gen)
        return s->cc_srcT;
    IRTemp t = x86_tmp(s);
    ir_op2(s->f, IR_add, s->rt, t, s->cc_dst, s->cc_src);
    return t;
}

/* Conditions from materialized flags in f. */
static X86CCPrep prep_flags(DisasContext *s, int b, IRTemp f)
{
    static const uint32_t bits[8] = { CC_O, CC_C, CC_Z, CC_C | CC_Z, CC_S, CC_P, 0, 0 };
    if (bits[b])
        return prep(IR_COND_TSTNE, f, x86_const(s, bits[b]));
    /* L: SF != OF, i.e. bit 7 of (f >> 4) ^ f; LE adds ZF moved to bit 7 */
    IRTemp t = x86_tmp(s), x = x86_tmp(s);
    ir_op2i(s->f, IR_shr, s->rt, t, f, 4);
    ir_op2(s->f, IR_xor, s->rt, x, t, f);
    if (b == 7) {
        IRTemp z = x86_tmp(s), o = x86_tmp(s);
        ir_op2i(s->f, IR_shl, s->rt, z, f, 1);
        ir_op2(s->f, IR_or, s->rt, o, x, z);
        x = o;
    }
    return prep(IR_COND_TSTNE, x, x86_const(s, 0x80));
}

static X86CCPrep prep_static(DisasContext *s, int b, bool *ok)
{
    uint32_t op = s->cc_op, base = cc_base(op);
    unsigned size = x86_cc_size(op);
    *ok = true;
    switch (base) {
    case CC_OP_CLR: {
        static const bool v[8] = { false, false, true, true, false, true, false, true };
        return prep_const(s, v[b]);
    }
    case CC_OP_EFLAGS:
        return prep_flags(s, b, s->cc_src);
    case CC_OP_SUBB: {
        IRTemp a, c;
        switch (b) {
        case 1: case 3:
            a = x86_ext(s, size, false, sub_first(s));
            c = x86_ext(s, size, false, s->cc_src);
            return prep(b == 1 ? IR_COND_LTU : IR_COND_LEU, a, c);
        case 6: case 7:
            a = x86_ext(s, size, true, sub_first(s));
            c = x86_ext(s, size, true, s->cc_src);
            return prep(b == 6 ? IR_COND_LT : IR_COND_LE, a, c);
        }
        break;
    }
    case CC_OP_ADDB:
        if (b == 1)
            return prep(IR_COND_LTU, x86_ext(s, size, false, s->cc_dst),
                        x86_ext(s, size, false, s->cc_src));
        break;
    case CC_OP_LOGICB:
        switch (b) {
        case 0: case 1: return prep_const(s, false);
        case 3: b = 2; break;
        case 6: b = 4; break;
        case 7:
            return prep(IR_COND_LE, x86_ext(s, size, true, s->cc_dst), x86_const(s, 0));
        }
        break;
    case CC_OP_INCB: case CC_OP_DECB: case CC_OP_SARB:
        if (b == 1)
            return prep(IR_COND_TSTNE, s->cc_src, x86_const(s, 1));
        break;
    case CC_OP_SHLB:
        if (b == 1)
            return prep(IR_COND_TSTNE, s->cc_src, x86_const(s, 1ull << (size * 8 - 1)));
        break;
    case CC_OP_MULB:
        if (b == 0 || b == 1)
            return prep(IR_COND_TSTNE, s->cc_src, x86_const(s, x86_size_mask(size)));
        break;
    }
    if (size && b == 2)
        return prep_zero(s, size);
    if (size && b == 4)
        return prep_sign(s, size);
    *ok = false;
    return prep_const(s, false);
}

X86CCPrep x86_prepare_cc(DisasContext *s, int jcc)
{
    int b = (jcc >> 1) & 7;
    bool ok = false;
    X86CCPrep p;
    if (s->cc_op != CC_OP_DYNAMIC)
        p = prep_static(s, b, &ok);
    if (!ok)
        p = prep_flags(s, b, x86_compute_eflags(s));
    if (jcc & 1)
        p.cond = ir_cond_invert(p.cond);
    return p;
}

IRTemp x86_setcc(DisasContext *s, int jcc)
{
    X86CCPrep p = x86_prepare_cc(s, jcc);
    IRTemp t = x86_tmp(s);
    if (p.cond == IR_COND_ALWAYS || p.cond == IR_COND_NEVER)
        ir_movi(s->f, s->rt, t, p.cond == IR_COND_ALWAYS);
    else
        ir_setcond(s->f, s->rt, p.cond, t, p.a, p.b);
    return t;
}

IRTemp x86_compute_cf(DisasContext *s)
{
    return x86_setcc(s, 2);
}
