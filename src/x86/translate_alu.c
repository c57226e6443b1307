/*
 * Integer arithmetic and logic: the eight ALU ops, INC/DEC/NOT/NEG,
 * MUL/IMUL/DIV/IDIV, shifts and rotates (with SHLD/SHRD, RCL/RCR), bit
 * tests and scans, XADD/CMPXCHG/CMPXCHG8B, the BCD adjusts and BOUND.
 *
 * Values live in view-type temps whose bits above the operand size are
 * unspecified; results are written back with x86_store_loc (which merges
 * 8/16-bit results) and recorded for the lazy flags after the last access
 * that may fault. Shifts by CL keep the flags when the masked count is 0,
 * with movcond on the lazy-flag globals (cc_op becomes dynamic).
 */
#include "src/x86/translate.h"

#include <string.h>
#include "src/x86/helper.h"

static unsigned cc_of(uint32_t base, unsigned size)
{
    return base + x86_lg(size);
}

static IRTemp mov_tmp(DisasContext *s, IRTemp v)
{
    IRTemp t = x86_tmp(s);
    ir_mov(s->f, s->rt, t, v);
    return t;
}

/* ---- ADD OR ADC SBB AND SUB XOR CMP TEST --------------------------------------- */

static void gen_alu(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op, size = in->opd[0].size;
    bool wr = op != X86_OP_CMP && op != X86_OP_TEST;
    X86Loc loc;
    IRTemp a = x86_load_opnd(s, &in->opd[0], &loc, wr);
    IRTemp b = x86_load_opnd(s, &in->opd[1], NULL, false);

    /* xor r,r / sub r,r: the common zeroing idioms */
    if ((op == X86_OP_XOR || op == X86_OP_SUB) && !loc.mem && in->opd[1].kind == X86_OPK_REG &&
        in->opd[1].reg == loc.reg && (in->opd[1].cls == X86_RC_GPR8H) == loc.high) {
        x86_store_loc(s, &loc, x86_const(s, 0));
        x86_set_cc(s, CC_OP_CLR, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
        return;
    }
    /* the source is recorded for the flags after the result is written back */
    if (wr && !loc.mem && b == s->reg[loc.reg])
        b = mov_tmp(s, b);
    IRTemp cf = IR_NO_TEMP;
    if (op == X86_OP_ADC || op == X86_OP_SBB)
        cf = x86_compute_cf(s);
    IRTemp srcT = IR_NO_TEMP;
    if (op == X86_OP_SUB || op == X86_OP_CMP)
        srcT = mov_tmp(s, a);
    /* full-width register destination: compute straight into it */
    bool direct = wr && !loc.mem && !loc.high && size >= s->rsize && b != s->reg[loc.reg] &&
                  cf == IR_NO_TEMP;
    IRTemp res = direct ? s->reg[loc.reg] : x86_tmp(s);
    switch (op) {
    case X86_OP_ADD: ir_op2(f, IR_add, s->rt, res, a, b); break;
    case X86_OP_SUB: case X86_OP_CMP: ir_op2(f, IR_sub, s->rt, res, a, b); break;
    case X86_OP_AND: case X86_OP_TEST: ir_op2(f, IR_and, s->rt, res, a, b); break;
    case X86_OP_OR: ir_op2(f, IR_or, s->rt, res, a, b); break;
    case X86_OP_XOR: ir_op2(f, IR_xor, s->rt, res, a, b); break;
    case X86_OP_ADC: case X86_OP_SBB: {
        IRTemp t = x86_tmp(s);
        IROpcode o = op == X86_OP_ADC ? IR_add : IR_sub;
        ir_op2(f, o, s->rt, t, a, b);
        ir_op2(f, o, s->rt, res, t, cf);
        break;
    }
    }
    if (wr && !direct)
        x86_store_loc(s, &loc, res);
    switch (op) {
    case X86_OP_ADD:
        x86_set_cc(s, cc_of(CC_OP_ADDB, size), res, b, IR_NO_TEMP);
        break;
    case X86_OP_SUB: case X86_OP_CMP:
        x86_set_cc_sub(s, size, srcT, b, res);
        break;
    case X86_OP_ADC:
        x86_set_cc(s, cc_of(CC_OP_ADCB, size), res, b, cf);
        break;
    case X86_OP_SBB:
        x86_set_cc(s, cc_of(CC_OP_SBBB, size), res, b, cf);
        break;
    default:
        x86_set_cc(s, cc_of(CC_OP_LOGICB, size), res, IR_NO_TEMP, IR_NO_TEMP);
        break;
    }
}

static void gen_unary(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op, size = in->opd[0].size;
    X86Loc loc;
    IRTemp a = x86_load_opnd(s, &in->opd[0], &loc, true);
    /* a full-width register is computed in place */
    bool direct = !loc.mem && !loc.high && size >= s->rsize;
    IRTemp cf = IR_NO_TEMP, res = direct && op != X86_OP_NEG ? s->reg[loc.reg] : x86_tmp(s);
    switch (op) {
    case X86_OP_INC: case X86_OP_DEC:
        cf = x86_compute_cf(s);
        ir_op2i(f, op == X86_OP_INC ? IR_add : IR_sub, s->rt, res, a, 1);
        x86_store_loc(s, &loc, res);
        x86_set_cc(s, cc_of(op == X86_OP_INC ? CC_OP_INCB : CC_OP_DECB, size), res, cf, IR_NO_TEMP);
        break;
    case X86_OP_NOT:
        ir_op1(f, IR_not, s->rt, res, a);
        x86_store_loc(s, &loc, res);
        break;
    case X86_OP_NEG: {
        IRTemp ta = mov_tmp(s, a);
        ir_op1(f, IR_neg, s->rt, res, a);
        x86_store_loc(s, &loc, res);
        x86_set_cc_sub(s, size, x86_const(s, 0), ta, res);
        break;
    }
    }
}

/* ---- MUL IMUL DIV IDIV ------------------------------------------------------------- */

/* lo * hi of a signed or unsigned size-byte multiply; *ov = 1 when the
 * high half is significant (CF = OF). */
static void gen_mul(DisasContext *s, unsigned size, bool sign, IRTemp a, IRTemp b,
                    IRTemp *lo, IRTemp *hi, IRTemp *ov)
{
    IRFunc *f = s->f;
    *lo = x86_tmp(s);
    *hi = x86_tmp(s);
    *ov = x86_tmp(s);
    if (size < s->rsize) {
        /* the product fits the view: one multiply of the extended values */
        IRTemp p = *lo;
        ir_op2(f, IR_mul, s->rt, p, x86_ext(s, size, sign, a), x86_ext(s, size, sign, b));
        ir_op2i(f, sign ? IR_sar : IR_shr, s->rt, *hi, p, size * 8);
        if (sign)
            ir_setcond(f, s->rt, IR_COND_NE, *ov, p, x86_ext(s, size, true, p));
        else
            ir_setcond(f, s->rt, IR_COND_NE, *ov, *hi, x86_const(s, 0));
        return;
    }
    ir_mul2(f, sign ? IR_muls2 : IR_mulu2, s->rt, *lo, *hi, a, b);
    if (sign) {
        IRTemp t = x86_tmp(s);
        ir_op2i(f, IR_sar, s->rt, t, *lo, s->rsize * 8 - 1);
        ir_setcond(f, s->rt, IR_COND_NE, *ov, *hi, t);
    } else {
        ir_setcond(f, s->rt, IR_COND_NE, *ov, *hi, x86_const(s, 0));
    }
}

static void gen_muldiv(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    unsigned size = in->opd[0].size;
    IRTemp lo, hi, ov;
    switch (op) {
    case X86_OP_MUL: case X86_OP_IMUL: {
        IRTemp v = x86_load_opnd(s, &in->opd[0], NULL, false);
        gen_mul(s, size, op == X86_OP_IMUL, s->reg[R_EAX], v, &lo, &hi, &ov);
        if (size == 1) {
            x86_set_reg(s, 2, R_EAX, false, lo);
        } else {
            x86_set_reg(s, size, R_EAX, false, lo);
            x86_set_reg(s, size, R_EDX, false, hi);
        }
        x86_set_cc(s, cc_of(CC_OP_MULB, size), lo, ov, IR_NO_TEMP);
        return;
    }
    case X86_OP_IMUL2: case X86_OP_IMUL3: {
        IRTemp a = x86_load_opnd(s, &in->opd[1], NULL, false);
        IRTemp b = op == X86_OP_IMUL3 ? x86_load_opnd(s, &in->opd[2], NULL, false)
                                       : s->reg[in->opd[0].reg];
        gen_mul(s, size, true, a, b, &lo, &hi, &ov);
        x86_set_reg(s, size, in->opd[0].reg, false, lo);
        x86_set_cc(s, cc_of(CC_OP_MULB, size), lo, ov, IR_NO_TEMP);
        return;
    }
    case X86_OP_DIV: case X86_OP_IDIV: {
        IRTemp v = x86_load_opnd(s, &in->opd[0], NULL, false);
        v = x86_ext(s, size, false, v);
        const IRHelperInfo *h = op == X86_OP_DIV ? &x86_hi_div[x86_lg(size)] : &x86_hi_idiv[x86_lg(size)];
        x86_call(s, h, IR_NO_TEMP, 1, v);
        return;
    }
    }
}

/* ---- shifts and rotates ------------------------------------------------------------ */

/* A shift of a 32-bit register by a count masked to 0 in 64-bit code
 * writes it back zero-extended, as the hardware does. */
static void zext_count0(DisasContext *s, const X86Loc *loc, IRTemp a)
{
    if (!loc->mem && loc->size == 4 && s->rt == IR_I64)
        x86_set_reg(s, 4, loc->reg, false, a);
}

/* The flags of a shift by a count only known at run time: unchanged when
 * the count is 0 (SDM SAL/SAR/SHL/SHR "Flags Affected"). */
static void set_cc_if_count(DisasContext *s, IRTemp count, uint32_t op, IRTemp dst, IRTemp src)
{
    IRFunc *f = s->f;
    IRTemp z = x86_const(s, 0);
    x86_sync_cc_op(s);
    ir_movcond(f, s->rt, IR_COND_NE, s->cc_dst, count, z, dst, s->cc_dst);
    ir_movcond(f, s->rt, IR_COND_NE, s->cc_src, count, z, src, s->cc_src);
    IRTemp c32 = count;
    if (s->rt == IR_I64) {
        c32 = ir_temp_new(f, IR_I32);
        ir_op1(f, IR_extrl_i64_i32, IR_I32, c32, count);
    }
    ir_movcond(f, IR_I32, IR_COND_NE, s->g_cc_op, c32, ir_const(f, IR_I32, 0),
               ir_const(f, IR_I32, op), s->g_cc_op);
    x86_set_cc_op(s, CC_OP_DYNAMIC);
    s->cc_srcT = IR_NO_TEMP;
}

/* v replicated to fill the view, so that a rotate of the whole view by any
 * count leaves the rotate of the size-byte value in its low bits. */
static IRTemp replicate(DisasContext *s, unsigned size, IRTemp v)
{
    if (size >= s->rsize)
        return v;
    static const uint64_t rep[3] = { 0x0101010101010101ull, 0x0001000100010001ull,
                                     0x0000000100000001ull };
    IRTemp t = x86_tmp(s);
    ir_op2i(s->f, IR_mul, s->rt, t, x86_ext(s, size, false, v), s->rt == IR_I32 ? (uint32_t)rep[x86_lg(size)] : rep[x86_lg(size)]);
    return t;
}

static void gen_rotate(DisasContext *s, unsigned size, X86Loc *loc, IRTemp a, IRTemp count,
                       bool is_const)
{
    IRFunc *f = s->f;
    bool left = s->insn->op == X86_OP_ROL;
    IRTemp res = x86_tmp(s);
    ir_op2(f, left ? IR_rotl : IR_rotr, s->rt, res, replicate(s, size, a), count);
    x86_store_loc(s, loc, res);
    /* ROL: CF = LSB, OF = MSB ^ CF. ROR: CF = MSB, OF = MSB ^ MSB-1. */
    unsigned top = size * 8 - 1;
    IRTemp msb = x86_tmp(s), cf = x86_tmp(s), o = x86_tmp(s), ofb = x86_tmp(s);
    ir_extract(f, IR_extract, s->rt, msb, res, top, 1);
    if (left) {
        ir_op2i(f, IR_and, s->rt, cf, res, 1);
        ir_op2(f, IR_xor, s->rt, o, msb, cf);
    } else {
        IRTemp m1 = x86_tmp(s);
        ir_mov(f, s->rt, cf, msb);
        ir_extract(f, IR_extract, s->rt, m1, res, top - 1, 1);
        ir_op2(f, IR_xor, s->rt, o, msb, m1);
    }
    ir_op2i(f, IR_shl, s->rt, ofb, o, 11);
    IRTemp old = x86_compute_eflags(s);
    IRTemp t = x86_tmp(s), n = x86_tmp(s), n2 = x86_tmp(s);
    ir_op2i(f, IR_and, s->rt, t, old, ~(uint64_t)(CC_C | CC_O) & 0xffffffff);
    ir_op2(f, IR_or, s->rt, n, t, cf);
    ir_op2(f, IR_or, s->rt, n2, n, ofb);
    if (!is_const) {
        IRTemp sel = x86_tmp(s);
        ir_movcond(f, s->rt, IR_COND_NE, sel, count, x86_const(s, 0), n2, old);
        n2 = sel;
    }
    x86_set_eflags_cc(s, n2);
}

static void gen_rotate_carry(DisasContext *s, unsigned size, X86Loc *loc, IRTemp a, IRTemp count)
{
    IRFunc *f = s->f;
    bool left = s->insn->op == X86_OP_RCL;
    IRTemp old = x86_compute_eflags(s);
    IRTemp mode = x86_const(s, x86_lg(size) | (left ? 4 : 0));
    IRTemp v = x86_ext(s, size, false, a);
    IRTemp r64 = ir_temp_new(f, IR_I64), f32 = ir_temp_new(f, IR_I32);
    x86_call(s, &x86_hi_rotc, r64, 4, v, count, mode, old);
    x86_call(s, &x86_hi_rotc_flags, f32, 4, v, count, mode, old);
    IRTemp res = x86_tmp(s), fl = x86_tmp(s);
    if (s->rt == IR_I32) {
        ir_op1(f, IR_extrl_i64_i32, IR_I32, res, r64);
        ir_mov(f, IR_I32, fl, f32);
    } else {
        ir_mov(f, IR_I64, res, r64);
        ir_op1(f, IR_extu_i32_i64, IR_I64, fl, f32);
    }
    x86_store_loc(s, loc, res);
    x86_set_eflags_cc(s, fl);
}

static void gen_shift(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op, size = in->opd[0].size;
    unsigned mask = size == 8 ? 63 : 31;
    X86Loc loc;
    IRTemp a = x86_load_opnd(s, &in->opd[0], &loc, true);
    const X86Operand *co = &in->opd[1];
    bool is_const = co->kind == X86_OPK_IMM;
    IRTemp count;
    if (is_const) {
        unsigned c = (unsigned)co->imm & mask;
        if (!c) {
            /* no operation, flags unchanged; but a 32-bit register is
             * still written, so 64-bit code zero-extends it */
            zext_count0(s, &loc, a);
            return;
        }
        count = x86_const(s, c);
    } else {
        count = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, count, s->reg[R_ECX], mask);
    }
    if (op == X86_OP_ROL || op == X86_OP_ROR) {
        gen_rotate(s, size, &loc, a, count, is_const);
        return;
    }
    if (op == X86_OP_RCL || op == X86_OP_RCR) {
        gen_rotate_carry(s, size, &loc, a, count);
        return;
    }
    IRTemp v = a;
    IROpcode sh = IR_shl;
    uint32_t kind = CC_OP_SHLB;
    if (op == X86_OP_SHR) {
        v = x86_ext(s, size, false, a);
        sh = IR_shr;
        kind = CC_OP_SARB;
    } else if (op == X86_OP_SAR) {
        v = x86_ext(s, size, true, a);
        sh = IR_sar;
        kind = CC_OP_SARB;
    }
    IRTemp res = x86_tmp(s), c1 = x86_tmp(s), src = x86_tmp(s);
    ir_op2(f, sh, s->rt, res, v, count);
    ir_op2i(f, IR_sub, s->rt, c1, count, 1);
    ir_op2(f, sh, s->rt, src, v, c1);
    x86_store_loc(s, &loc, res);
    if (is_const)
        x86_set_cc(s, cc_of(kind, size), res, src, IR_NO_TEMP);
    else
        set_cc_if_count(s, count, cc_of(kind, size), res, src);
}

/* SHLD/SHRD through a 64-bit concatenation (one 128-bit case in 64-bit code). */
static void gen_shiftd(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    bool left = in->op == X86_OP_SHLD;
    unsigned size = in->opd[0].size;
    unsigned mask = size == 8 ? 63 : 31;
    X86Loc loc;
    IRTemp a = x86_load_opnd(s, &in->opd[0], &loc, true);
    IRTemp b = s->reg[in->opd[1].reg];
    const X86Operand *co = &in->opd[2];
    bool is_const = co->kind == X86_OPK_IMM;
    IRTemp count;
    if (is_const) {
        unsigned c = (unsigned)co->imm & mask;
        if (!c) {
            zext_count0(s, &loc, a);
            return;
        }
        count = x86_const(s, c);
    } else {
        count = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, count, s->reg[R_ECX], mask);
    }
    IRTemp res = x86_tmp(s), src = x86_tmp(s);
    IRTemp c1 = x86_tmp(s);
    ir_op2i(f, IR_sub, s->rt, c1, count, 1);
    if (size == 8) {
        /* res = a << c | b >> (64 - c) (SHLD); c == 0 only when not const */
        IRTemp t1 = x86_tmp(s), t2 = x86_tmp(s), n = x86_tmp(s), r = x86_tmp(s);
        ir_op2(f, left ? IR_shl : IR_shr, IR_I64, t1, a, count);
        ir_op2(f, IR_sub, IR_I64, n, x86_const(s, 64), count);
        ir_op2(f, left ? IR_shr : IR_shl, IR_I64, t2, b, n);
        ir_op2(f, IR_or, IR_I64, r, t1, t2);
        ir_movcond(f, IR_I64, IR_COND_NE, res, count, x86_const(s, 0), r, a);
        ir_op2(f, left ? IR_shl : IR_shr, IR_I64, src, a, c1);
    } else {
        IRTemp x = ir_temp_new(f, IR_I64), t = ir_temp_new(f, IR_I64), r = ir_temp_new(f, IR_I64);
        IRTemp za = ir_temp_new(f, IR_I64), zb = ir_temp_new(f, IR_I64);
        IRTemp c64 = ir_temp_new(f, IR_I64), c164 = ir_temp_new(f, IR_I64);
        IRTemp aa = x86_ext(s, size, false, a), bb = x86_ext(s, size, false, b);
        if (s->rt == IR_I32) {
            ir_op1(f, IR_extu_i32_i64, IR_I64, za, aa);
            ir_op1(f, IR_extu_i32_i64, IR_I64, zb, bb);
            ir_op1(f, IR_extu_i32_i64, IR_I64, c64, count);
            ir_op1(f, IR_extu_i32_i64, IR_I64, c164, c1);
        } else {
            ir_mov(f, IR_I64, za, aa);
            ir_mov(f, IR_I64, zb, bb);
            ir_mov(f, IR_I64, c64, count);
            ir_mov(f, IR_I64, c164, c1);
        }
        unsigned out_shift;
        if (size == 4) {
            /* SHLD: a:b, SHRD: b:a */
            ir_op2i(f, IR_shl, IR_I64, t, left ? za : zb, 32);
            ir_op2(f, IR_or, IR_I64, x, t, left ? zb : za);
            out_shift = 32;
        } else {
            /* 16-bit: a:b:a (SHLD) / a:b:a read from the other end (SHRD) */
            IRTemp t2 = ir_temp_new(f, IR_I64);
            if (left) {
                ir_op2i(f, IR_shl, IR_I64, t, za, 48);
                ir_op2i(f, IR_shl, IR_I64, t2, zb, 32);
                ir_op2(f, IR_or, IR_I64, x, t, t2);
                ir_op2i(f, IR_shl, IR_I64, t2, za, 16);
                ir_op2(f, IR_or, IR_I64, x, x, t2);
            } else {
                ir_op2i(f, IR_shl, IR_I64, t, zb, 16);
                ir_op2(f, IR_or, IR_I64, x, t, za);
                ir_op2i(f, IR_shl, IR_I64, t2, za, 32);
                ir_op2(f, IR_or, IR_I64, x, x, t2);
            }
            out_shift = 48;
        }
        IRTemp rs = ir_temp_new(f, IR_I64), ss = ir_temp_new(f, IR_I64);
        if (left) {
            ir_op2(f, IR_shl, IR_I64, r, x, c64);
            ir_op2i(f, IR_shr, IR_I64, rs, r, out_shift);
            ir_op2(f, IR_shl, IR_I64, r, x, c164);
            ir_op2i(f, IR_shr, IR_I64, ss, r, out_shift);
        } else {
            ir_op2(f, IR_shr, IR_I64, rs, x, c64);
            ir_op2(f, IR_shr, IR_I64, ss, x, c164);
        }
        if (s->rt == IR_I32) {
            ir_op1(f, IR_extrl_i64_i32, IR_I32, res, rs);
            ir_op1(f, IR_extrl_i64_i32, IR_I32, src, ss);
        } else {
            ir_mov(f, IR_I64, res, rs);
            ir_mov(f, IR_I64, src, ss);
        }
    }
    x86_store_loc(s, &loc, res);
    uint32_t kind = cc_of(left ? CC_OP_SHLB : CC_OP_SARB, size);
    if (is_const)
        x86_set_cc(s, kind, res, src, IR_NO_TEMP);
    else
        set_cc_if_count(s, count, kind, res, src);
}

/* ---- bit tests and scans ------------------------------------------------------------ */

static void gen_bt(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op, size = in->opd[0].size, bits = size * 8;
    bool wr = op != X86_OP_BT;
    const X86Operand *d = &in->opd[0], *o = &in->opd[1];
    IRTemp bit = x86_tmp(s);
    X86Loc loc;
    IRTemp v;
    if (d->kind == X86_OPK_MEM && o->kind == X86_OPK_REG) {
        /* the bit offset is signed and may reach outside the operand */
        IRTemp off = x86_ext(s, size, true, s->reg[o->reg]);
        IRTemp disp = x86_tmp(s), ea0 = x86_gen_ea(s), ea = x86_tmp(s);
        ir_op2i(f, IR_sar, s->rt, disp, off, x86_lg(size) + 3 /* log2 of the bits */);
        ir_op2i(f, IR_shl, s->rt, disp, disp, x86_lg(size));
        ir_op2(f, IR_add, s->rt, ea, ea0, disp);
        ea = x86_ext(s, in->asize, false, ea);
        ir_op2i(f, IR_and, s->rt, bit, off, bits - 1);
        memset(&loc, 0, sizeof(loc));
        loc.mem = true;
        loc.size = (uint8_t)size;
        loc.addr = x86_gen_lin(s, in->mem.seg, ea, size, wr);
        v = x86_tmp(s);
        x86_gen_ld(s, v, loc.addr, size, false);
    } else {
        IRTemp b = x86_load_opnd(s, o, NULL, false);
        ir_op2i(f, IR_and, s->rt, bit, b, bits - 1);
        v = x86_load_opnd(s, d, &loc, wr);
    }
    IRTemp cf = x86_tmp(s), sh = x86_tmp(s);
    ir_op2(f, IR_shr, s->rt, sh, v, bit);
    ir_op2i(f, IR_and, s->rt, cf, sh, 1);
    if (wr) {
        IRTemp m = x86_tmp(s), r = x86_tmp(s);
        ir_op2(f, IR_shl, s->rt, m, x86_const(s, 1), bit);
        if (op == X86_OP_BTS)
            ir_op2(f, IR_or, s->rt, r, v, m);
        else if (op == X86_OP_BTR)
            ir_op2(f, IR_andc, s->rt, r, v, m);
        else
            ir_op2(f, IR_xor, s->rt, r, v, m);
        x86_store_loc(s, &loc, r);
    }
    /* CF = the bit; ZF unchanged; OF SF AF PF undefined (left 0) */
    IRTemp zf = x86_setcc(s, 4), z6 = x86_tmp(s), n = x86_tmp(s);
    ir_op2i(f, IR_shl, s->rt, z6, zf, 6);
    ir_op2(f, IR_or, s->rt, n, z6, cf);
    x86_set_eflags_cc(s, n);
}

static void gen_bitscan(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned size = in->opd[0].size, reg = in->opd[0].reg;
    IRTemp src = x86_ext(s, size, false, x86_load_opnd(s, &in->opd[1], NULL, false));
    IRTemp old = s->reg[reg], r = x86_tmp(s);
    if (in->op == X86_OP_BSF) {
        ir_op2(f, IR_ctz, s->rt, r, src, old);
    } else {
        IRTemp c = x86_tmp(s), i = x86_tmp(s);
        ir_op2(f, IR_clz, s->rt, c, src, x86_const(s, 0));
        ir_op2i(f, IR_xor, s->rt, i, c, s->rsize * 8 - 1);
        ir_movcond(f, s->rt, IR_COND_EQ, r, src, x86_const(s, 0), old, i);
    }
    IRTemp keep = mov_tmp(s, src);
    x86_set_reg(s, size, reg, false, r);
    /* ZF = (source == 0); the others are undefined */
    x86_set_cc(s, cc_of(CC_OP_LOGICB, size), keep, IR_NO_TEMP, IR_NO_TEMP);
}

/* ---- exchange-and-operate ---------------------------------------------------------- */

static void gen_xadd(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned size = in->opd[0].size;
    X86Loc loc;
    IRTemp a = mov_tmp(s, x86_load_opnd(s, &in->opd[0], &loc, true));
    IRTemp b = mov_tmp(s, x86_get_reg(s, size, in->opd[1].reg, in->opd[1].cls == X86_RC_GPR8H));
    IRTemp res = x86_tmp(s);
    ir_op2(s->f, IR_add, s->rt, res, a, b);
    if (loc.mem) {
        x86_store_loc(s, &loc, res);
        x86_set_reg(s, size, in->opd[1].reg, in->opd[1].cls == X86_RC_GPR8H, a);
    } else {
        /* TEMP = src + dst; src = dst; dst = TEMP */
        x86_set_reg(s, size, in->opd[1].reg, in->opd[1].cls == X86_RC_GPR8H, a);
        x86_store_loc(s, &loc, res);
    }
    x86_set_cc(s, cc_of(CC_OP_ADDB, size), res, b, IR_NO_TEMP);
}

static void gen_cmpxchg(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned size = in->opd[0].size;
    X86Loc loc;
    IRTemp a = mov_tmp(s, x86_load_opnd(s, &in->opd[0], &loc, true));
    IRTemp acc = mov_tmp(s, s->reg[R_EAX]);
    IRTemp src = x86_get_reg(s, size, in->opd[1].reg, in->opd[1].cls == X86_RC_GPR8H);
    IRTemp za = x86_ext(s, size, false, a), zacc = x86_ext(s, size, false, acc);
    IRTemp nd = x86_tmp(s);
    ir_movcond(f, s->rt, IR_COND_EQ, nd, zacc, za, src, a);
    if (loc.mem)
        x86_store_loc(s, &loc, nd); /* always written (SDM CMPXCHG) */
    if (size == 4 && s->rt == IR_I64) {
        /* the accumulator is written (zero-extended) only when unequal */
        IRTemp z32 = x86_ext(s, 4, false, a), r = x86_tmp(s);
        ir_movcond(f, IR_I64, IR_COND_EQ, r, zacc, za, acc, z32);
        ir_mov(f, IR_I64, s->reg[R_EAX], r);
    } else {
        x86_set_reg(s, size, R_EAX, false, a); /* equal: the same value */
    }
    if (!loc.mem && size == 4 && s->rt == IR_I64) {
        /* a register destination is written (zero-extended) only when
         * equal; unequal leaves all 64 bits (as the host CPUs do) */
        IRTemp r = x86_tmp(s);
        ir_movcond(f, IR_I64, IR_COND_EQ, r, zacc, za, x86_ext(s, 4, false, src), s->reg[loc.reg]);
        ir_mov(f, IR_I64, s->reg[loc.reg], r);
    } else if (!loc.mem) {
        x86_store_loc(s, &loc, nd);
    }
    IRTemp res = x86_tmp(s);
    ir_op2(f, IR_sub, s->rt, res, acc, a);
    x86_set_cc_sub(s, size, acc, a, res);
}

static void gen_cmpxchg8b(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    bool q = in->opd[0].size == 16;
    /* CMPXCHG16B: the #GP for a misaligned operand comes before #AC, so
     * the linear address is formed without the #AC check (size 1) */
    IRTemp addr = x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), q ? 1 : 8, true);
    IRTemp old = x86_compute_eflags(s);
    IRTemp eq = x86_tmp(s);
    if (!q) {
        IRTemp v = ir_temp_new(f, IR_I64), cmp = ir_temp_new(f, IR_I64), nw = ir_temp_new(f, IR_I64);
        IRTemp hi = ir_temp_new(f, IR_I64), lo = ir_temp_new(f, IR_I64), t = ir_temp_new(f, IR_I64);
        IRTemp e64 = ir_temp_new(f, IR_I64), st = ir_temp_new(f, IR_I64);
        x86_gen_ld64(s, v, addr);
        /* edx:eax and ecx:ebx as i64 */
        static const int pairs[2][2] = { { R_EDX, R_EAX }, { R_ECX, R_EBX } };
        IRTemp outs[2] = { cmp, nw };
        for (int k = 0; k < 2; k++) {
            if (s->rt == IR_I32) {
                ir_op1(f, IR_extu_i32_i64, IR_I64, hi, s->reg[pairs[k][0]]);
                ir_op1(f, IR_extu_i32_i64, IR_I64, lo, s->reg[pairs[k][1]]);
            } else {
                ir_op1(f, IR_ext32u, IR_I64, hi, s->reg[pairs[k][0]]);
                ir_op1(f, IR_ext32u, IR_I64, lo, s->reg[pairs[k][1]]);
            }
            ir_op2i(f, IR_shl, IR_I64, t, hi, 32);
            ir_op2(f, IR_or, IR_I64, outs[k], t, lo);
        }
        ir_setcond(f, IR_I64, IR_COND_EQ, e64, v, cmp);
        ir_movcond(f, IR_I64, IR_COND_EQ, st, v, cmp, nw, v);
        x86_gen_st64(s, st, addr);
        if (s->rt == IR_I32) {
            ir_op1(f, IR_extrl_i64_i32, IR_I32, eq, e64);
            ir_op1(f, IR_extrl_i64_i32, IR_I32, s->reg[R_EAX], v);
            ir_op1(f, IR_extrh_i64_i32, IR_I32, s->reg[R_EDX], v);
        } else {
            IRTemp l = x86_tmp(s), h = x86_tmp(s);
            ir_mov(f, IR_I64, eq, e64);
            ir_op1(f, IR_ext32u, IR_I64, l, v);
            ir_op2i(f, IR_shr, IR_I64, h, v, 32);
            ir_movcond(f, IR_I64, IR_COND_EQ, s->reg[R_EAX], e64, x86_const(s, 0), l, s->reg[R_EAX]);
            ir_movcond(f, IR_I64, IR_COND_EQ, s->reg[R_EDX], e64, x86_const(s, 0), h, s->reg[R_EDX]);
        }
    } else {
        /* CMPXCHG16B: 16-byte aligned operand, else #GP(0) */
        IRTemp lo = x86_tmp(s), hi = x86_tmp(s), a8 = x86_tmp(s);
        IRTemp e1 = x86_tmp(s), e2 = x86_tmp(s), s1 = x86_tmp(s), s2 = x86_tmp(s);
        x86_call(s, &x86_hi_check_align, IR_NO_TEMP, 2, addr,
                 ir_const(f, IR_I32, X86_ALIGN_GP | 16));
        ir_op2i(f, IR_add, IR_I64, a8, addr, 8);
        x86_gen_ld64(s, lo, addr);
        x86_gen_ld64(s, hi, a8);
        ir_setcond(f, IR_I64, IR_COND_EQ, e1, lo, s->reg[R_EAX]);
        ir_setcond(f, IR_I64, IR_COND_EQ, e2, hi, s->reg[R_EDX]);
        ir_op2(f, IR_and, IR_I64, eq, e1, e2);
        ir_movcond(f, IR_I64, IR_COND_NE, s1, eq, x86_const(s, 0), s->reg[R_EBX], lo);
        ir_movcond(f, IR_I64, IR_COND_NE, s2, eq, x86_const(s, 0), s->reg[R_ECX], hi);
        x86_gen_st64(s, s1, addr);
        x86_gen_st64(s, s2, a8);
        ir_mov(f, IR_I64, s->reg[R_EAX], lo);
        ir_mov(f, IR_I64, s->reg[R_EDX], hi);
    }
    IRTemp t = x86_tmp(s), z = x86_tmp(s), n = x86_tmp(s);
    ir_op2i(f, IR_and, s->rt, t, old, ~(uint64_t)CC_Z & 0xffffffff);
    ir_op2i(f, IR_shl, s->rt, z, eq, 6);
    ir_op2(f, IR_or, s->rt, n, t, z);
    x86_set_eflags_cc(s, n);
}

/* ---- BCD, BOUND ---------------------------------------------------------------------- */

static void gen_bcd(DisasContext *s)
{
    const X86Insn *in = s->insn;
    const IRHelperInfo *h;
    switch (in->op) {
    case X86_OP_DAA: h = &x86_hi_daa; break;
    case X86_OP_DAS: h = &x86_hi_das; break;
    case X86_OP_AAA: h = &x86_hi_aaa; break;
    case X86_OP_AAS: h = &x86_hi_aas; break;
    case X86_OP_AAM: h = &x86_hi_aam; break;
    default: h = &x86_hi_aad; break;
    }
    /* the helpers read and write the lazy flags in env */
    x86_sync_cc_op(s);
    if (in->op == X86_OP_AAM || in->op == X86_OP_AAD)
        x86_call(s, h, IR_NO_TEMP, 1, ir_const(s->f, IR_I32, (uint64_t)in->opd[0].imm & 0xff));
    else
        x86_call(s, h, IR_NO_TEMP, 0);
    x86_set_cc_op(s, CC_OP_DYNAMIC);
}

static void gen_bound(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned os = in->osize;
    IRTemp ea = x86_gen_ea(s);
    IRTemp lo = x86_tmp(s), hi = x86_tmp(s), ea2 = x86_tmp(s);
    x86_gen_ld(s, lo, x86_gen_lin(s, in->mem.seg, ea, os, false), os, false);
    ir_op2i(s->f, IR_add, s->rt, ea2, ea, os);
    ea2 = x86_ext(s, in->asize, false, ea2);
    x86_gen_ld(s, hi, x86_gen_lin(s, in->mem.seg, ea2, os, false), os, false);
    x86_call(s, &x86_hi_bound, IR_NO_TEMP, 4, x86_ext(s, os, false, s->reg[in->opd[0].reg]), lo, hi,
             ir_const(s->f, IR_I32, x86_lg(os)));
}

bool x86_translate_alu(DisasContext *s)
{
    switch (s->insn->op) {
    case X86_OP_ADD: case X86_OP_OR: case X86_OP_ADC: case X86_OP_SBB:
    case X86_OP_AND: case X86_OP_SUB: case X86_OP_XOR: case X86_OP_CMP: case X86_OP_TEST:
        gen_alu(s);
        return true;
    case X86_OP_INC: case X86_OP_DEC: case X86_OP_NOT: case X86_OP_NEG:
        gen_unary(s);
        return true;
    case X86_OP_MUL: case X86_OP_IMUL: case X86_OP_IMUL2: case X86_OP_IMUL3:
    case X86_OP_DIV: case X86_OP_IDIV:
        gen_muldiv(s);
        return true;
    case X86_OP_ROL: case X86_OP_ROR: case X86_OP_RCL: case X86_OP_RCR:
    case X86_OP_SHL: case X86_OP_SHR: case X86_OP_SAR:
        gen_shift(s);
        return true;
    case X86_OP_SHLD: case X86_OP_SHRD:
        gen_shiftd(s);
        return true;
    case X86_OP_BT: case X86_OP_BTS: case X86_OP_BTR: case X86_OP_BTC:
        gen_bt(s);
        return true;
    case X86_OP_BSF: case X86_OP_BSR:
        gen_bitscan(s);
        return true;
    case X86_OP_XADD:
        gen_xadd(s);
        return true;
    case X86_OP_CMPXCHG:
        gen_cmpxchg(s);
        return true;
    case X86_OP_CMPXCHG8B:
        gen_cmpxchg8b(s);
        return true;
    case X86_OP_DAA: case X86_OP_DAS: case X86_OP_AAA: case X86_OP_AAS:
    case X86_OP_AAM: case X86_OP_AAD:
        gen_bcd(s);
        return true;
    case X86_OP_BOUND:
        gen_bound(s);
        return true;
    }
    return false;
}
