/*
 * x87 translation (D8..DF, FWAIT) and the FPU/SSE state instructions
 * (FXSAVE/FXRSTOR, LDMXCSR/STMXCSR), following docs/x87.md.
 *
 * Every x87 instruction is one call of h_x87 with a control word built at
 * translation time (kind, ST(i), wait, pointer recording, memory kind); the
 * arithmetic is fpu.c's. The helper does, in order: the #MF check of a
 * waiting instruction, the operation (memory forms through fpu_helper_*,
 * which read or compute everything before the first store, so a #PF leaves
 * the FPU as it was), then the FOP/FCS:FIP/FDS:FDP record of a
 * non-control instruction. Only FNSTSW and FNSTCW, which compiled code runs
 * in compare-and-branch idioms, are plain IR.
 *
 * Checks (SDM Vol. 3 2.5, table 2-2; Vol. 1 8.7): CR0.EM or CR0.TS -> #NM
 * for every x87 instruction; FWAIT -> #NM only when CR0.MP and CR0.TS.
 * These are in the TB key (hflags), so they are decided here.
 */
#include "src/x86/translate.h"

#include "src/x86/fpu.h"
#include "src/x86/helper.h"
#include "src/x86/target.h"

#define CPU(env) ((X86CPU *)(env))

/* ---- the helper ------------------------------------------------------------------------- */

/* What h_x87 does (ctl bits 0..7). */
enum {
    XK_NOP, XK_INIT, XK_CLEX, XK_LDCW, XK_LOAD, XK_STORE, XK_ARITH_MEM, XK_ARITH_ST,
    XK_FCOM_ST, XK_FCOMI, XK_FLD_ST, XK_FST_ST, XK_FXCH, XK_FFREE, XK_FCMOV, XK_CONST,
    XK_CHS, XK_ABS, XK_TST, XK_XAM, XK_INCSTP, XK_DECSTP, XK_SQRT, XK_RNDINT, XK_SCALE,
    XK_XTRACT, XK_PREM, XK_PREM1, XK_F2XM1, XK_YL2X, XK_YL2XP1, XK_PTAN, XK_PATAN,
    XK_SIN, XK_COS, XK_SINCOS, XK_STENV, XK_LDENV, XK_SAVE, XK_RSTOR, XK_WAIT,
};

/* ctl layout */
#define C_I(i)      ((uint64_t)(i) << 8)        /* ST(i) */
#define C_WAIT      (1ull << 11)                /* #MF check first */
#define C_REC       (1ull << 12)                /* record FOP, FCS:FIP */
#define C_RECMEM    (1ull << 13)                /* and FDS:FDP */
#define C_SEG(g)    ((uint64_t)(g) << 14)       /* segment of the memory operand */
#define C_PM        (1ull << 17)                /* protected-mode pointers (else linear) */
#define C_A(a)      ((uint64_t)(a) << 18)       /* 3 bits: arith op, memory kind, pops, const */
#define C_F1        (1ull << 21)                /* pop / osize32 / unordered */
#define C_F2        (1ull << 22)                /* truncate (FISTTP) */
#define C_FOP(op)   ((uint64_t)(op) << 32)      /* 11-bit opcode */

static uint64_t h_x87(void *env, uint64_t ctl, uint64_t fip, uint64_t lin, uint64_t ea)
{
    X86CPU *cpu = CPU(env);
    X86State *s = &cpu->env;
    int i = (int)(ctl >> 8) & 7, a = (int)(ctl >> 18) & 7;
    int f1 = (ctl & C_F1) != 0, f2 = (ctl & C_F2) != 0;
    uint64_t ret = 0;
    if (ctl & C_WAIT)
        fpu_helper_wait(cpu);
    switch (ctl & 0xff) {
    case XK_NOP: case XK_WAIT: break;
    case XK_INIT: fpu_init(s); break;
    case XK_CLEX: fpu_clex(s); break;
    case XK_LDCW: fpu_set_fcw(s, (uint16_t)lin); break; /* lin holds the loaded word */
    case XK_LOAD: fpu_helper_load(cpu, lin, a); break;
    case XK_STORE: fpu_helper_store(cpu, lin, a, f1, f2); break;
    case XK_ARITH_MEM: fpu_helper_arith_mem(cpu, lin, i, a); break; /* i: the memory kind */
    case XK_ARITH_ST: fpu_arith_st(s, a, f2 ? i : 0, f2 ? 0 : i, f1); break;
    case XK_FCOM_ST: fpu_fcom_st(s, i, f1, a); break;
    case XK_FCOMI: ret = fpu_fcomi(s, i, f1, a); break;
    case XK_FLD_ST: fpu_fld_st(s, i); break;
    case XK_FST_ST: fpu_fst_st(s, i, f1); break;
    case XK_FXCH: fpu_fxch(s, i); break;
    case XK_FFREE: fpu_ffree(s, i, f1); break;
    case XK_FCMOV: fpu_fcmov(s, i, lin != 0); break; /* lin holds the condition */
    case XK_CONST: fpu_fld_const(s, a); break;
    case XK_CHS: fpu_fchs(s); break;
    case XK_ABS: fpu_fabs(s); break;
    case XK_TST: fpu_ftst(s); break;
    case XK_XAM: fpu_fxam(s); break;
    case XK_INCSTP: fpu_fincstp(s); break;
    case XK_DECSTP: fpu_fdecstp(s); break;
    case XK_SQRT: fpu_fsqrt(s); break;
    case XK_RNDINT: fpu_frndint(s); break;
    case XK_SCALE: fpu_fscale(s); break;
    case XK_XTRACT: fpu_fxtract(s); break;
    case XK_PREM: fpu_fprem(s, 0); break;
    case XK_PREM1: fpu_fprem(s, 1); break;
    case XK_F2XM1: fpu_f2xm1(s); break;
    case XK_YL2X: fpu_fyl2x(s); break;
    case XK_YL2XP1: fpu_fyl2xp1(s); break;
    case XK_PTAN: fpu_fptan(s); break;
    case XK_PATAN: fpu_fpatan(s); break;
    case XK_SIN: fpu_fsin(s); break;
    case XK_COS: fpu_fcos(s); break;
    case XK_SINCOS: fpu_fsincos(s); break;
    case XK_STENV: fpu_helper_fstenv(cpu, lin, f1); break;
    case XK_LDENV: fpu_helper_fldenv(cpu, lin, f1); break;
    case XK_SAVE: fpu_helper_fsave(cpu, lin, f1); break;
    case XK_RSTOR: fpu_helper_frstor(cpu, lin, f1); break;
    }
    if (ctl & C_REC) {
        /* SDM Vol. 1 8.1.8-8.1.9: the last non-control instruction. Real
         * and vm86 mode keep 20/32-bit linear pointers (the FSTENV real
         * layout); protected mode keeps selector:offset. */
        s->fpop = (uint16_t)((ctl >> 32) & 0x7ff);
        s->fpip = fip;
        s->fpcs = (ctl & C_PM) ? s->segs[R_CS].selector : 0;
        if (ctl & C_RECMEM) {
            int seg = (int)(ctl >> 14) & 7;
            s->fpdp = (ctl & C_PM) ? ea : lin;
            s->fpds = (ctl & C_PM) ? s->segs[seg].selector : 0;
        }
    }
    return ret;
}

static const IRHelperInfo hi_x87 = { "x87", { .f4 = h_x87 }, 4, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_x87_r32 = { "x87", { .f4 = h_x87 }, 4, IR_I32 + 1,
                                         IR_CALL_NO_WRITE_GLOBALS };

static uint64_t h_fxsave(void *env, uint64_t lin, uint64_t rexw)
{
    fpu_helper_fxsave(CPU(env), lin, (int)rexw);
    return 0;
}
static uint64_t h_fxrstor(void *env, uint64_t lin, uint64_t rexw)
{
    fpu_helper_fxrstor(CPU(env), lin, (int)rexw);
    return 0;
}
static uint64_t h_ldmxcsr(void *env, uint64_t v)
{
    if (!fpu_mxcsr_valid((uint32_t)v))
        x86_raise_exception_err(CPU(env), EXCP_GP, 0);
    CPU(env)->env.mxcsr = (uint32_t)v;
    return 0;
}
static uint64_t h_xsave(void *env, uint64_t lin, uint64_t rexw)
{
    fpu_helper_xsave(CPU(env), lin, (int)rexw);
    return 0;
}
static uint64_t h_xrstor(void *env, uint64_t lin, uint64_t rexw)
{
    fpu_helper_xrstor(CPU(env), lin, (int)rexw);
    return 0;
}
/* read EDX:EAX (the requested-feature bitmap) from the globals */
static const IRHelperInfo hi_xsave = { "xsave", { .f2 = h_xsave }, 2, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_xrstor = { "xrstor", { .f2 = h_xrstor }, 2, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_fxsave = { "fxsave", { .f2 = h_fxsave }, 2, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_fxrstor = { "fxrstor", { .f2 = h_fxrstor }, 2, 0, IR_CALL_NO_WRITE_GLOBALS };
static const IRHelperInfo hi_ldmxcsr = { "ldmxcsr", { .f1 = h_ldmxcsr }, 1, 0, IR_CALL_NO_WRITE_GLOBALS };

/* ---- translation ---------------------------------------------------------------------------- */

static bool is_x87_op(unsigned op)
{
    return op >= X86_OP_FADD && op <= X86_OP_FCOMIP;
}

/* The memory operand's linear address (size: the access, for #AC). */
static IRTemp mem_lin(DisasContext *s, IRTemp *ea, unsigned size, bool write)
{
    *ea = x86_gen_ea(s);
    return x86_gen_lin(s, s->insn->mem.seg, *ea, size, write);
}

/* The same for an operand of `size` bytes whose #AC alignment is `align`
 * (m80, BCD, the environment images: SDM Vol. 3 table 6-7). */
static IRTemp mem_lin_big(DisasContext *s, IRTemp *ea, unsigned size, unsigned align, bool write)
{
    if (!(s->flags & HF_AC))
        return mem_lin(s, ea, size, write);
    IRTemp lin = mem_lin(s, ea, align, write);
    if (x86_translate_seg_limits && s->pe && !s->vm86 && !s->code64)
        x86_call(s, &x86_hi_check_limit, IR_NO_TEMP, 3,
                 ir_const(s->f, IR_I32, s->insn->mem.seg), *ea, ir_const(s->f, IR_I32, size));
    return lin;
}

static IRTemp c64(DisasContext *s, uint64_t v)
{
    return ir_const(s->f, IR_I64, v);
}

/* One h_x87 call. ctl gets WAIT/REC/PM and FOP added here as the op needs. */
static IRTemp call_x87(DisasContext *s, uint64_t ctl, IRTemp lin, IRTemp ea, bool ret)
{
    const X86Insn *in = s->insn;
    bool pm = s->pe && !s->vm86;
    if (ctl & C_REC) {
        unsigned fop = ((unsigned)(in->opcode & 7) << 8) | in->modrm;
        ctl |= C_FOP(fop) | (pm ? C_PM : 0);
        if (in->has_mem)
            ctl |= C_RECMEM | C_SEG(in->mem.seg);
    }
    IRTemp fip = c64(s, pm ? s->eip : s->pc);
    IRTemp out = IR_NO_TEMP;
    if (ret)
        out = ir_temp_new(s->f, IR_I32);
    x86_call(s, ret ? &hi_x87_r32 : &hi_x87, out, 4, c64(s, ctl), fip,
             lin == IR_NO_TEMP ? c64(s, 0) : lin, ea == IR_NO_TEMP ? c64(s, 0) : ea);
    return out;
}

/* A view-type temp as i64 (helper argument). */
static IRTemp to64x(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp w = ir_temp_new(s->f, IR_I64);
    ir_op1(s->f, IR_extu_i32_i64, IR_I64, w, v);
    return w;
}

/* Memory kind (FPU_M32 ...) of a float or integer operand of `size` bytes. */
static int mem_kind(bool integer, unsigned size)
{
    if (integer)
        return size == 2 ? FPU_I16 : size == 4 ? FPU_I32 : FPU_I64;
    return size == 4 ? FPU_M32 : size == 8 ? FPU_M64 : FPU_M80;
}

static int arith_code(unsigned op)
{
    switch (op) {
    case X86_OP_FADD: case X86_OP_FADDP: case X86_OP_FIADD: return FPU_ADD;
    case X86_OP_FMUL: case X86_OP_FMULP: case X86_OP_FIMUL: return FPU_MUL;
    case X86_OP_FCOM: case X86_OP_FICOM: return 2;
    case X86_OP_FCOMP: case X86_OP_FICOMP: return 3;
    case X86_OP_FSUB: case X86_OP_FSUBP: case X86_OP_FISUB: return FPU_SUB;
    case X86_OP_FSUBR: case X86_OP_FSUBRP: case X86_OP_FISUBR: return FPU_SUBR;
    case X86_OP_FDIV: case X86_OP_FDIVP: case X86_OP_FIDIV: return FPU_DIV;
    default: return FPU_DIVR;
    }
}

/* The register forms without operands (D9 E0..FF), by op. */
static int simple_kind(unsigned op)
{
    switch (op) {
    case X86_OP_FCHS: return XK_CHS;
    case X86_OP_FABS: return XK_ABS;
    case X86_OP_FTST: return XK_TST;
    case X86_OP_FXAM: return XK_XAM;
    case X86_OP_F2XM1: return XK_F2XM1;
    case X86_OP_FYL2X: return XK_YL2X;
    case X86_OP_FPTAN: return XK_PTAN;
    case X86_OP_FPATAN: return XK_PATAN;
    case X86_OP_FXTRACT: return XK_XTRACT;
    case X86_OP_FPREM1: return XK_PREM1;
    case X86_OP_FDECSTP: return XK_DECSTP;
    case X86_OP_FINCSTP: return XK_INCSTP;
    case X86_OP_FPREM: return XK_PREM;
    case X86_OP_FYL2XP1: return XK_YL2XP1;
    case X86_OP_FSQRT: return XK_SQRT;
    case X86_OP_FSINCOS: return XK_SINCOS;
    case X86_OP_FRNDINT: return XK_RNDINT;
    case X86_OP_FSCALE: return XK_SCALE;
    case X86_OP_FSIN: return XK_SIN;
    case X86_OP_FCOS: return XK_COS;
    }
    return -1;
}

static int const_kind(unsigned op)
{
    switch (op) {
    case X86_OP_FLD1: return FPU_CONST_1;
    case X86_OP_FLDL2T: return FPU_CONST_L2T;
    case X86_OP_FLDL2E: return FPU_CONST_L2E;
    case X86_OP_FLDPI: return FPU_CONST_PI;
    case X86_OP_FLDLG2: return FPU_CONST_LG2;
    case X86_OP_FLDLN2: return FPU_CONST_LN2;
    case X86_OP_FLDZ: return FPU_CONST_Z;
    }
    return -1;
}

/* FNSTSW: the status word with TOP (bits 13..11) from fpstt. */
static IRTemp gen_fsw(DisasContext *s)
{
    IRFunc *f = s->f;
    IRTemp sw = x86_tmp(s), top = x86_tmp(s);
    ir_ld_env(f, s->rt, sw, X86_ENV_OFFSET(fpus), IR_MO_16);
    ir_ld_env(f, s->rt, top, X86_ENV_OFFSET(fpstt), IR_MO_32);
    ir_op2i(f, IR_and, s->rt, top, top, 7);
    ir_op2i(f, IR_shl, s->rt, top, top, FSW_TOP_SHIFT);
    ir_op2i(f, IR_and, s->rt, sw, sw, ~(uint64_t)FSW_TOP & 0xffff);
    ir_op2(f, IR_or, s->rt, sw, sw, top);
    return sw;
}

/* Does x86_gen_lin check the operand (alignment, limits, CS writes) in IR? */
static bool early_checks(DisasContext *s)
{
    return (s->flags & HF_AC) || (s->pe && !s->vm86 && !s->code64 &&
                                  (x86_translate_seg_limits || s->insn->mem.seg == R_CS));
}

static void gen_x87(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    const uint64_t W = C_WAIT, R = C_REC;
    unsigned sti = in->rm & 7;
    IRTemp ea, lin;
    int k;

    if (s->flags & (HF_EM | HF_TS)) {
        x86_gen_exception(s, EXCP_NM, -1);
        return;
    }
    if (early_checks(s) && in->has_mem && op != X86_OP_FNSTSW && op != X86_OP_FNSTCW &&
        op != X86_OP_FNSTENV && op != X86_OP_FNSAVE && op != X86_OP_FLDCW) {
        /* a pending #MF comes before the operand's #AC/#GP/#SS (which
         * x86_gen_lin checks ahead of the helper) */
        call_x87(s, C_WAIT | XK_WAIT, IR_NO_TEMP, IR_NO_TEMP, false);
    }
    switch (op) {
    /* ---- control: no wait (FN...), no pointer record ---- */
    case X86_OP_FNINIT:
        call_x87(s, XK_INIT, IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    case X86_OP_FNCLEX:
        call_x87(s, XK_CLEX, IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    case X86_OP_FNSTSW: {
        IRTemp sw = gen_fsw(s);
        if (in->opd[0].kind == X86_OPK_REG)
            x86_set_reg(s, 2, R_EAX, false, sw);
        else
            x86_gen_st(s, sw, mem_lin(s, &ea, 2, true), 2);
        return;
    }
    case X86_OP_FNSTCW: {
        IRTemp cw = x86_tmp(s);
        lin = mem_lin(s, &ea, 2, true);
        ir_ld_env(s->f, s->rt, cw, X86_ENV_OFFSET(fpuc), IR_MO_16);
        x86_gen_st(s, cw, lin, 2);
        return;
    }
    case X86_OP_FLDCW: {
        /* #MF before the operand's #PF */
        IRTemp v = x86_tmp(s);
        call_x87(s, W | XK_WAIT, IR_NO_TEMP, IR_NO_TEMP, false);
        x86_gen_ld(s, v, mem_lin(s, &ea, 2, false), 2, false);
        call_x87(s, XK_LDCW, to64x(s, v), IR_NO_TEMP, false);
        return;
    }
    case X86_OP_FNSTENV: case X86_OP_FNSAVE: case X86_OP_FLDENV: case X86_OP_FRSTOR: {
        bool o32 = in->osize != 2;
        bool st = op == X86_OP_FNSTENV || op == X86_OP_FNSAVE;
        lin = mem_lin_big(s, &ea, (unsigned)fpu_env_size(o32) +
                          (op == X86_OP_FNSAVE || op == X86_OP_FRSTOR ? 80 : 0), o32 ? 4 : 2, st);
        k = op == X86_OP_FNSTENV ? XK_STENV : op == X86_OP_FNSAVE ? XK_SAVE
            : op == X86_OP_FLDENV ? XK_LDENV : XK_RSTOR;
        call_x87(s, (st ? 0 : W) | (uint64_t)k | (o32 ? C_F1 : 0), lin, ea, false);
        return;
    }
    case X86_OP_FNOP:
        /* D9 D0 waits; DB E0/E1/E4 (8087/287 FNENI, FNDISI, FNSETPM) do nothing */
        if (in->opcode == 0xd9)
            call_x87(s, W | R | XK_NOP, IR_NO_TEMP, IR_NO_TEMP, false);
        return;

    /* ---- loads and stores ---- */
    case X86_OP_FLD: case X86_OP_FILD: case X86_OP_FBLD:
        if (!in->has_mem) {
            call_x87(s, W | R | XK_FLD_ST | C_I(sti), IR_NO_TEMP, IR_NO_TEMP, false);
            return;
        }
        k = op == X86_OP_FBLD ? FPU_BCD : mem_kind(op == X86_OP_FILD, in->opd[0].size);
        lin = mem_lin_big(s, &ea, in->opd[0].size, in->opd[0].size >= 8 ? 8 : in->opd[0].size, false);
        call_x87(s, W | R | XK_LOAD | C_A(k), lin, ea, false);
        return;
    case X86_OP_FST: case X86_OP_FSTP: case X86_OP_FIST: case X86_OP_FISTP:
    case X86_OP_FISTTP: case X86_OP_FBSTP: {
        bool pop = op == X86_OP_FSTP || op == X86_OP_FISTP || op == X86_OP_FISTTP ||
                   op == X86_OP_FBSTP;
        if (!in->has_mem) {
            call_x87(s, W | R | XK_FST_ST | C_I(sti) | (pop ? C_F1 : 0), IR_NO_TEMP,
                     IR_NO_TEMP, false);
            return;
        }
        bool integer = op == X86_OP_FIST || op == X86_OP_FISTP || op == X86_OP_FISTTP;
        k = op == X86_OP_FBSTP ? FPU_BCD : mem_kind(integer, in->opd[0].size);
        lin = mem_lin_big(s, &ea, in->opd[0].size, in->opd[0].size >= 8 ? 8 : in->opd[0].size, true);
        call_x87(s, W | R | XK_STORE | C_A(k) | (pop ? C_F1 : 0) |
                    (op == X86_OP_FISTTP ? C_F2 : 0), lin, ea, false);
        return;
    }

    /* ---- arithmetic and compares ---- */
    case X86_OP_FADD: case X86_OP_FMUL: case X86_OP_FSUB: case X86_OP_FSUBR:
    case X86_OP_FDIV: case X86_OP_FDIVR: case X86_OP_FIADD: case X86_OP_FIMUL:
    case X86_OP_FISUB: case X86_OP_FISUBR: case X86_OP_FIDIV: case X86_OP_FIDIVR:
    case X86_OP_FCOM: case X86_OP_FCOMP: case X86_OP_FICOM: case X86_OP_FICOMP:
    case X86_OP_FADDP: case X86_OP_FMULP: case X86_OP_FSUBP: case X86_OP_FSUBRP:
    case X86_OP_FDIVP: case X86_OP_FDIVRP: {
        int a = arith_code(op);
        if (in->has_mem) {
            /* D8 m32real, DC m64real, DA m32int, DE m16int */
            unsigned size = in->opd[0].size;
            bool integer = in->opcode == 0xda || in->opcode == 0xde;
            lin = mem_lin(s, &ea, size, false);
            call_x87(s, W | R | XK_ARITH_MEM | C_A(a) | C_I(mem_kind(integer, size)), lin, ea,
                     false);
            return;
        }
        if (a == 2 || a == 3) { /* FCOM/FCOMP ST(i) and their aliases */
            call_x87(s, W | R | XK_FCOM_ST | C_I(sti) | C_A(a - 2), IR_NO_TEMP, IR_NO_TEMP, false);
            return;
        }
        bool pop = op == X86_OP_FADDP || op == X86_OP_FMULP || op == X86_OP_FSUBP ||
                   op == X86_OP_FSUBRP || op == X86_OP_FDIVP || op == X86_OP_FDIVRP;
        bool to_sti = in->opcode != 0xd8; /* DC, DE: ST(i) is the destination */
        call_x87(s, W | R | XK_ARITH_ST | C_A(a) | C_I(sti) | (pop ? C_F1 : 0) |
                    (to_sti ? C_F2 : 0), IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    }
    case X86_OP_FUCOM: case X86_OP_FUCOMP:
        call_x87(s, W | R | XK_FCOM_ST | C_I(sti) | C_F1 | C_A(op == X86_OP_FUCOMP),
                 IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    case X86_OP_FCOMPP: case X86_OP_FUCOMPP:
        call_x87(s, W | R | XK_FCOM_ST | C_I(1) | C_A(2) | (op == X86_OP_FUCOMPP ? C_F1 : 0),
                 IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    case X86_OP_FCOMI: case X86_OP_FUCOMI: case X86_OP_FCOMIP: case X86_OP_FUCOMIP: {
        bool u = op == X86_OP_FUCOMI || op == X86_OP_FUCOMIP;
        bool p = op == X86_OP_FCOMIP || op == X86_OP_FUCOMIP;
        IRTemp fl = call_x87(s, W | R | XK_FCOMI | C_I(sti) | (u ? C_F1 : 0) | C_A(p),
                             IR_NO_TEMP, IR_NO_TEMP, true);
        /* ZF, PF, CF from the compare; OF, SF, AF cleared */
        if (s->rt == IR_I64) {
            IRTemp w = x86_tmp(s);
            ir_op1(s->f, IR_extu_i32_i64, IR_I64, w, fl);
            fl = w;
        }
        x86_set_eflags_cc(s, fl);
        return;
    }
    case X86_OP_FCMOV: {
        /* DA: B, E, BE, U; DB: the negations (Jcc condition codes) */
        static const uint8_t cc[4] = { 0x2, 0x4, 0x6, 0xa };
        int jcc = cc[in->reg & 3] | (in->opcode == 0xdb);
        IRTemp c = x86_setcc(s, jcc);
        if (s->rt != IR_I64) {
            IRTemp w = ir_temp_new(s->f, IR_I64);
            ir_op1(s->f, IR_extu_i32_i64, IR_I64, w, c);
            c = w;
        }
        call_x87(s, W | R | XK_FCMOV | C_I(sti), c, IR_NO_TEMP, false);
        return;
    }

    /* ---- register operations ---- */
    case X86_OP_FXCH:
        call_x87(s, W | R | XK_FXCH | C_I(sti), IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    case X86_OP_FFREE: case X86_OP_FFREEP:
        call_x87(s, W | R | XK_FFREE | C_I(sti) | (op == X86_OP_FFREEP ? C_F1 : 0), IR_NO_TEMP,
                 IR_NO_TEMP, false);
        return;
    }
    if ((k = const_kind(op)) >= 0) {
        call_x87(s, W | R | XK_CONST | C_A(k), IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    }
    if ((k = simple_kind(op)) >= 0) {
        call_x87(s, W | R | (uint64_t)k, IR_NO_TEMP, IR_NO_TEMP, false);
        return;
    }
    x86_gen_unimp(s, "x87");
}

/* FXSAVE/FXRSTOR/LDMXCSR/STMXCSR/XSAVE/XRSTOR (0F AE /0../5). */
static void gen_fxsr(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    IRTemp ea, lin;
    if (op == X86_OP_LDMXCSR || op == X86_OP_STMXCSR) {
        /* SSE rules: CR0.EM or !CR4.OSFXSR -> #UD, then CR0.TS -> #NM */
        if ((s->flags & HF_EM) || !(s->flags & HF_OSFXSR)) {
            x86_gen_exception(s, EXCP_UD, -1);
            return;
        }
    }
    if (op == X86_OP_XSAVE || op == X86_OP_XRSTOR) {
        /* #UD without CR4.OSXSAVE (the helper: CR4 is not in the block
         * key), #NM on CR0.TS alone; CR0.EM does not matter. */
        if (s->flags & HF_TS) {
            x86_gen_exception(s, EXCP_NM, -1);
            return;
        }
        lin = mem_lin_big(s, &ea, XSAVE_AREA_SIZE, 4, op == X86_OP_XSAVE);
        x86_call(s, op == X86_OP_XSAVE ? &hi_xsave : &hi_xrstor, IR_NO_TEMP, 2, lin,
                 c64(s, s->code64 && in->rex_w));
        return;
    }
    if (s->flags & (HF_EM | HF_TS)) {
        /* FXSAVE/FXRSTOR: #NM for either bit (SDM Vol. 2 FXSAVE) */
        x86_gen_exception(s, EXCP_NM, -1);
        return;
    }
    switch (op) {
    case X86_OP_FXSAVE: case X86_OP_FXRSTOR:
        /* misaligned: under alignment checking a 4-byte misalignment is #AC
         * (what the reference machine does; the SDM allows #AC or #GP), any
         * other 16-byte misalignment #GP(0) in the helper */
        lin = mem_lin_big(s, &ea, 512, 4, op == X86_OP_FXSAVE);
        x86_call(s, op == X86_OP_FXSAVE ? &hi_fxsave : &hi_fxrstor, IR_NO_TEMP, 2, lin,
                 c64(s, s->code64 && in->rex_w));
        return;
    case X86_OP_LDMXCSR: {
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, mem_lin(s, &ea, 4, false), 4, false);
        x86_call(s, &hi_ldmxcsr, IR_NO_TEMP, 1, v);
        return;
    }
    case X86_OP_STMXCSR: {
        IRTemp v = x86_tmp(s);
        lin = mem_lin(s, &ea, 4, true);
        ir_ld_env(s->f, s->rt, v, X86_ENV_OFFSET(mxcsr), IR_MO_32);
        x86_gen_st(s, v, lin, 4);
        return;
    }
    }
}

bool x86_translate_x87(DisasContext *s)
{
    unsigned op = s->insn->op;
    if (is_x87_op(op)) {
        gen_x87(s);
        return true;
    }
    switch (op) {
    case X86_OP_FWAIT:
        if ((s->flags & (HF_MP | HF_TS)) == (HF_MP | HF_TS)) {
            x86_gen_exception(s, EXCP_NM, -1);
            return true;
        }
        call_x87(s, C_WAIT | XK_WAIT, IR_NO_TEMP, IR_NO_TEMP, false);
        return true;
    case X86_OP_FXSAVE: case X86_OP_FXRSTOR: case X86_OP_LDMXCSR: case X86_OP_STMXCSR:
    case X86_OP_XSAVE: case X86_OP_XRSTOR:
        gen_fxsr(s);
        return true;
    }
    return false;
}
