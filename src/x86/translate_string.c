/*
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP,
 * REPE/REPNE.
 *
 * A REP prefix becomes a loop inside the block:
 *
 *   top:  (backward-branch target: the interpreter checks exit requests here)
 *         brcond count == 0 -> done
 *         one iteration; count -= 1
 *         [REPE/REPNE: store cc_op; brcond ZF says stop -> done]
 *         br top
 *   done:
 *
 * Every iteration leaves rSI/rDI/rCX (and the flags) in env, and a fault or
 * an exit request restores eip to the instruction itself: the guest sees
 * an interruptible, restartable instruction exactly as on hardware. REP
 * CMPS/SCAS start with cc_op in env (the block loop syncs it before their
 * insn_start) since they rewrite it as they go.
 */
#include "src/x86/translate.h"

#include "src/x86/helper.h"

/* DF * size, as a view-type temp. */
static IRTemp str_step(DisasContext *s, unsigned size)
{
    IRTemp t = ir_temp_new(s->f, IR_I32);
    ir_op2i(s->f, IR_shl, IR_I32, t, s->g_df, x86_lg(size));
    if (s->rt == IR_I32)
        return t;
    IRTemp t64 = x86_tmp(s);
    ir_op1(s->f, IR_exts_i32_i64, IR_I64, t64, t);
    return t64;
}

static void str_advance(DisasContext *s, unsigned reg, IRTemp step)
{
    unsigned asz = s->insn->asize;
    if (asz >= s->rsize) {
        ir_op2(s->f, IR_add, s->rt, s->reg[reg], s->reg[reg], step);
        return;
    }
    IRTemp t = x86_tmp(s);
    ir_op2(s->f, IR_add, s->rt, t, s->reg[reg], step);
    x86_set_reg(s, asz, reg, false, t);
}

/* The linear address of a string operand (X86_OPK_STR: reg = rSI/rDI, cls = segment). */
static IRTemp str_addr(DisasContext *s, const X86Operand *o, unsigned size, bool write)
{
    IRTemp ea = x86_get_reg_zx(s, s->insn->asize, o->reg);
    return x86_gen_lin(s, o->cls, ea, size, write);
}

static bool need_io_check(DisasContext *s)
{
    return s->pe && (s->cpl > s->iopl || s->vm86);
}

static IRTemp io_port(DisasContext *s)
{
    IRTemp p = ir_temp_new(s->f, IR_I32);
    if (s->rt == IR_I32)
        ir_op1(s->f, IR_ext16u, IR_I32, p, s->reg[R_EDX]);
    else {
        IRTemp t = x86_tmp(s);
        ir_op1(s->f, IR_ext16u, IR_I64, t, s->reg[R_EDX]);
        ir_op1(s->f, IR_extrl_i64_i32, IR_I32, p, t);
    }
    return p;
}

/* One iteration; for CMPS/SCAS the flags are recorded (store_cc_op: also
 * into env, inside a REP loop). */
static unsigned str_size(const X86Insn *in)
{
    return in->op == X86_OP_OUTS ? in->opd[1].size : in->opd[0].size;
}

static void str_iteration(DisasContext *s, IRTemp step, bool store_cc_op)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op;
    const X86Operand *o0 = &in->opd[0], *o1 = &in->opd[1];
    unsigned size = str_size(in);
    switch (op) {
    case X86_OP_MOVS: {
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, str_addr(s, o1, size, false), size, false);
        x86_gen_st(s, v, str_addr(s, o0, size, true), size);
        str_advance(s, R_ESI, step);
        str_advance(s, R_EDI, step);
        break;
    }
    case X86_OP_STOS:
        x86_gen_st(s, s->reg[R_EAX], str_addr(s, o0, size, true), size);
        str_advance(s, R_EDI, step);
        break;
    case X86_OP_LODS: {
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, str_addr(s, o1, size, false), size, false);
        x86_set_reg(s, size, R_EAX, false, v);
        str_advance(s, R_ESI, step);
        break;
    }
    case X86_OP_SCAS: case X86_OP_CMPS: {
        IRTemp a = x86_tmp(s), b = x86_tmp(s);
        if (op == X86_OP_CMPS && !(in->rep == 0xf3 && size == 1)) {
            /* Which operand is read first decides the fault reported when
             * both would fault; the SDM does not say. Measured on AMD Zen
             * (tests/diff/native): ES:rDI first, except REPE CMPSB. */
            x86_gen_ld(s, b, str_addr(s, o1, size, false), size, false);
            x86_gen_ld(s, a, str_addr(s, o0, size, false), size, false);
        } else if (op == X86_OP_CMPS) {
            x86_gen_ld(s, a, str_addr(s, o0, size, false), size, false);
            x86_gen_ld(s, b, str_addr(s, o1, size, false), size, false);
        } else {
            ir_mov(f, s->rt, a, s->reg[R_EAX]);
            x86_gen_ld(s, b, str_addr(s, o1, size, false), size, false);
        }
        IRTemp res = x86_tmp(s);
        ir_op2(f, IR_sub, s->rt, res, a, b);
        x86_set_cc_sub(s, size, a, b, res);
        if (store_cc_op)
            x86_sync_cc_op(s);
        if (op == X86_OP_CMPS)
            str_advance(s, R_ESI, step);
        str_advance(s, R_EDI, step);
        break;
    }
    case X86_OP_INS: {
        IRTemp v32 = ir_temp_new(f, IR_I32), v = v32;
        x86_call(s, &x86_hi_in, v32, 2, io_port(s), ir_const(f, IR_I32, size));
        if (s->rt == IR_I64) {
            v = x86_tmp(s);
            ir_op1(f, IR_extu_i32_i64, IR_I64, v, v32);
        }
        x86_gen_st(s, v, str_addr(s, o0, size, true), size);
        str_advance(s, R_EDI, step);
        break;
    }
    case X86_OP_OUTS: {
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, str_addr(s, o1, size, false), size, false);
        x86_call(s, &x86_hi_out, IR_NO_TEMP, 3, io_port(s), ir_const(f, IR_I32, size), v);
        str_advance(s, R_ESI, step);
        break;
    }
    }
}

bool x86_translate_string(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned op = in->op;
    switch (op) {
    case X86_OP_MOVS: case X86_OP_CMPS: case X86_OP_STOS: case X86_OP_LODS:
    case X86_OP_SCAS: case X86_OP_INS: case X86_OP_OUTS:
        break;
    default:
        return false;
    }
    if (op == X86_OP_INS || op == X86_OP_OUTS) {
        unsigned size = op == X86_OP_OUTS ? in->opd[1].size : in->opd[0].size;
        if (need_io_check(s))
            x86_call(s, &x86_hi_check_io, IR_NO_TEMP, 2, io_port(s), ir_const(f, IR_I32, size));
    }
    if (!in->rep) {
        str_iteration(s, str_step(s, str_size(in)), false);
        return true;
    }
    bool cmp = op == X86_OP_CMPS || op == X86_OP_SCAS;
    uint32_t top = ir_label_new(f), done = ir_label_new(f);
    if (s->flags & HF_TF) {
        /* single-stepping traps after every iteration, eip still on the
         * instruction while it has more to do (SDM 17.3.1.4) */
        x86_brcond(s, IR_COND_EQ, x86_get_reg_zx(s, in->asize, R_ECX), x86_const(s, 0), done);
        str_iteration(s, str_step(s, str_size(in)), cmp);
        IRTemp c = x86_tmp(s);
        ir_op2i(f, IR_sub, s->rt, c, s->reg[R_ECX], 1);
        x86_set_reg(s, in->asize, R_ECX, false, c);
        x86_brcond(s, IR_COND_EQ, x86_get_reg_zx(s, in->asize, R_ECX), x86_const(s, 0), done);
        if (cmp)
            x86_brcond(s, in->rep == 0xf3 ? IR_COND_TSTNE : IR_COND_TSTEQ, s->cc_dst,
                       x86_const(s, x86_size_mask(in->opd[0].size)), done);
        x86_sync_cc_op(s);
        ir_movi(f, IR_I64, s->g_rip, s->eip);
        x86_call(s, &x86_hi_single_step, IR_NO_TEMP, 0);
        x86_label(s, done);
        if (cmp)
            x86_set_cc_op(s, CC_OP_DYNAMIC);
        return true;
    }
    /* the step lives across the loop's blocks: a local temp */
    IRTemp step = ir_temp_local_new(f, s->rt);
    ir_mov(f, s->rt, step, str_step(s, str_size(in)));
    x86_label(s, top);
    x86_brcond(s, IR_COND_EQ, x86_get_reg_zx(s, in->asize, R_ECX), x86_const(s, 0), done);
    str_iteration(s, step, cmp);
    if (in->asize >= s->rsize) {
        ir_op2i(f, IR_sub, s->rt, s->reg[R_ECX], s->reg[R_ECX], 1);
    } else {
        IRTemp c = x86_tmp(s);
        ir_op2i(f, IR_sub, s->rt, c, s->reg[R_ECX], 1);
        x86_set_reg(s, in->asize, R_ECX, false, c);
    }
    if (cmp) {
        /* REPE (F3) goes on while ZF = 1, REPNE (F2) while ZF = 0 */
        unsigned size = in->opd[0].size;
        IRCond stop = in->rep == 0xf3 ? IR_COND_TSTNE : IR_COND_TSTEQ;
        x86_brcond(s, stop, s->cc_dst, x86_const(s, x86_size_mask(size)), done);
    }
    ir_br(f, top);
    s->bb_gen++;
    x86_label(s, done);
    if (cmp)
        x86_set_cc_op(s, CC_OP_DYNAMIC);
    return true;
}
