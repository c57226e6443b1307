/*
 * System instructions: segment registers, far transfers, software
 * interrupts, HLT, CLI/STI, PUSHF/POPF, I/O, CPUID/RDTSC/MSRs, control and
 * debug registers, descriptor-table registers, and the #UD/#NM rules for
 * what is not implemented (x87 and MMX: translate_x87.c, translate_mmx.c).
 *
 * Privilege checks that depend only on the mode (CPL, IOPL, vm86: all in
 * the TB key) are decided here at translation time; what depends on
 * descriptors, the TSS or paging is the helpers' (helper_sys.h). The
 * helpers are called through the small glue functions below, which adapt
 * them to the IR call convention. An instruction that may change hflags
 * ends its block.
 */
#include "src/x86/translate.h"

#include "src/x86/helper.h"
#include "src/x86/helper_sys.h"

/* ---- glue: IR call convention -> helper_sys.h ------------------------------------ */

#define CPU(env) ((X86CPU *)(env))

static uint64_t h_load_seg(void *env, uint64_t seg, uint64_t sel)
{
    x86_load_seg(CPU(env), (int)seg, (uint16_t)sel);
    return 0;
}
static uint64_t h_ljmp(void *env, uint64_t sel, uint64_t off, uint64_t next)
{
    x86_ljmp(CPU(env), (uint16_t)sel, off, next);
    return 0;
}
static uint64_t h_lcall(void *env, uint64_t sel, uint64_t off, uint64_t osize, uint64_t next)
{
    x86_lcall(CPU(env), (uint16_t)sel, off, (int)osize, next);
    return 0;
}
static uint64_t h_lret(void *env, uint64_t osize, uint64_t pop)
{
    x86_lret(CPU(env), (int)osize, (uint16_t)pop);
    return 0;
}
static uint64_t h_iret(void *env, uint64_t osize, uint64_t next)
{
    x86_iret(CPU(env), (int)osize, next);
    return 0;
}
static uint64_t h_lldt(void *env, uint64_t sel)
{
    x86_lldt(CPU(env), (uint16_t)sel);
    return 0;
}
static uint64_t h_ltr(void *env, uint64_t sel)
{
    x86_ltr(CPU(env), (uint16_t)sel);
    return 0;
}
static uint64_t h_lar(void *env, uint64_t sel, uint64_t old)
{
    return x86_lar(CPU(env), (uint16_t)sel, old);
}
static uint64_t h_lsl(void *env, uint64_t sel, uint64_t old)
{
    return x86_lsl(CPU(env), (uint16_t)sel, old);
}
static uint64_t h_verr(void *env, uint64_t sel)
{
    x86_verr(CPU(env), (uint16_t)sel);
    return 0;
}
static uint64_t h_verw(void *env, uint64_t sel)
{
    x86_verw(CPU(env), (uint16_t)sel);
    return 0;
}
static uint64_t h_invlpg(void *env, uint64_t lin)
{
    x86_invlpg(CPU(env), lin);
    return 0;
}
static uint64_t h_cpuid(void *env)
{
    x86_cpuid(CPU(env));
    return 0;
}
static uint64_t h_rdmsr(void *env)
{
    x86_rdmsr(CPU(env));
    return 0;
}
static uint64_t h_wrmsr(void *env)
{
    x86_wrmsr(CPU(env));
    return 0;
}
static uint64_t h_rdtsc(void *env)
{
    x86_rdtsc(CPU(env));
    return 0;
}
static uint64_t h_rdtscp(void *env)
{
    x86_rdtscp(CPU(env));
    return 0;
}
static uint64_t h_xgetbv(void *env)
{
    x86_xgetbv(CPU(env));
    return 0;
}
static uint64_t h_xsetbv(void *env)
{
    x86_xsetbv(CPU(env));
    return 0;
}
static uint64_t h_syscall(void *env, uint64_t next)
{
    x86_syscall(CPU(env), next);
    return 0;
}
static uint64_t h_sysret(void *env, uint64_t osize)
{
    x86_sysret(CPU(env), (int)osize);
    return 0;
}
static uint64_t h_sysenter(void *env)
{
    x86_sysenter(CPU(env));
    return 0;
}
static uint64_t h_sysexit(void *env, uint64_t osize)
{
    x86_sysexit(CPU(env), (int)osize);
    return 0;
}
static uint64_t h_read_cr(void *env, uint64_t n)
{
    return x86_read_cr(CPU(env), (int)n);
}
static uint64_t h_write_cr(void *env, uint64_t n, uint64_t v)
{
    x86_write_cr(CPU(env), (int)n, v);
    return 0;
}
static uint64_t h_read_dr(void *env, uint64_t n)
{
    return x86_read_dr(CPU(env), (int)n);
}
static uint64_t h_write_dr(void *env, uint64_t n, uint64_t v)
{
    x86_write_dr(CPU(env), (int)n, v);
    return 0;
}
static uint64_t h_lmsw(void *env, uint64_t v)
{
    x86_lmsw(CPU(env), (uint16_t)v);
    return 0;
}
static uint64_t h_clts(void *env)
{
    x86_clts(CPU(env));
    return 0;
}
static uint64_t h_check_io(void *env, uint64_t port, uint64_t size)
{
    x86_check_io(CPU(env), (uint16_t)port, (int)size);
    return 0;
}
static uint64_t h_in(void *env, uint64_t port, uint64_t size)
{
    return x86_in(CPU(env), (uint16_t)port, (int)size);
}
static uint64_t h_out(void *env, uint64_t port, uint64_t size, uint64_t v)
{
    x86_out(CPU(env), (uint16_t)port, (int)size, (uint32_t)v);
    return 0;
}
/* PAUSE in a spin loop: let the other CPUs run (the lock holder). */
static uint64_t h_pause(void *env)
{
    cpu_exit(&CPU(env)->parent);
    return 0;
}
static uint64_t h_hlt(void *env, uint64_t next)
{
    x86_hlt(CPU(env), next);
}

#define HI(name, fn, n, ret, fl) \
    const IRHelperInfo x86_hi_##name = { #name, { .f##n = fn }, n, ret, fl };
HI(load_seg, h_load_seg, 2, 0, 0)
HI(ljmp, h_ljmp, 3, 0, 0)
HI(lcall, h_lcall, 4, 0, 0)
HI(lret, h_lret, 2, 0, 0)
HI(iret, h_iret, 2, 0, 0)
HI(lldt, h_lldt, 1, 0, 0)
HI(ltr, h_ltr, 1, 0, 0)
HI(lar, h_lar, 2, IR_I64 + 1, 0)
HI(lsl, h_lsl, 2, IR_I64 + 1, 0)
HI(verr, h_verr, 1, 0, 0)
HI(verw, h_verw, 1, 0, 0)
HI(invlpg, h_invlpg, 1, 0, 0)
HI(cpuid, h_cpuid, 0, 0, 0)
HI(rdmsr, h_rdmsr, 0, 0, 0)
HI(wrmsr, h_wrmsr, 0, 0, 0)
HI(rdtsc, h_rdtsc, 0, 0, 0)
HI(rdtscp, h_rdtscp, 0, 0, 0)
HI(xgetbv, h_xgetbv, 0, 0, 0)
HI(xsetbv, h_xsetbv, 0, 0, IR_CALL_NO_WRITE_GLOBALS)
HI(syscall, h_syscall, 1, 0, 0)
HI(sysret, h_sysret, 1, 0, 0)
HI(sysenter, h_sysenter, 0, 0, 0)
HI(sysexit, h_sysexit, 1, 0, 0)
HI(read_cr, h_read_cr, 1, IR_I64 + 1, 0)
HI(write_cr, h_write_cr, 2, 0, 0)
HI(read_dr, h_read_dr, 1, IR_I64 + 1, 0)
HI(write_dr, h_write_dr, 2, 0, 0)
HI(lmsw, h_lmsw, 1, 0, 0)
HI(clts, h_clts, 0, 0, 0)
HI(check_io, h_check_io, 2, 0, IR_CALL_NO_WRITE_GLOBALS)
HI(in, h_in, 2, IR_I32 + 1, IR_CALL_NO_WRITE_GLOBALS)
HI(out, h_out, 3, 0, IR_CALL_NO_WRITE_GLOBALS)
HI(hlt, h_hlt, 1, 0, 0)
HI(pause, h_pause, 0, 0, IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_RAISE)
#undef HI

/* ---- emitters ---------------------------------------------------------------------- */

static IRTemp const32(DisasContext *s, uint64_t v)
{
    return ir_const(s->f, IR_I32, (uint32_t)v);
}

/* v (view type) as an i64 temp */
static IRTemp to64(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp t = ir_temp_new(s->f, IR_I64);
    ir_op1(s->f, IR_extu_i32_i64, IR_I64, t, v);
    return t;
}

/* i64 v as a view-type temp */
static IRTemp from64(DisasContext *s, IRTemp v)
{
    if (s->rt == IR_I64)
        return v;
    IRTemp t = ir_temp_new(s->f, IR_I32);
    ir_op1(s->f, IR_extrl_i64_i32, IR_I32, t, v);
    return t;
}

static bool need_cpl0(DisasContext *s)
{
    if (s->cpl != 0) {
        x86_gen_exception(s, EXCP_GP, 0);
        return false;
    }
    return true;
}

/* LLDT, SLDT, LAR ...: only in protected mode outside vm86. */
static bool need_pmode(DisasContext *s)
{
    if (!s->pe || s->vm86) {
        x86_gen_exception(s, EXCP_UD, -1);
        return false;
    }
    return true;
}

/* CLI, STI, PUSHF, POPF, INT n: IOPL-sensitive (no VME). */
static bool iopl_ok(DisasContext *s, bool vm86_only)
{
    if (s->pe && ((s->vm86 && s->iopl < 3) || (!vm86_only && !s->vm86 && s->cpl > s->iopl))) {
        x86_gen_exception(s, EXCP_GP, 0);
        return false;
    }
    return true;
}

static void set_inhibit_irq(DisasContext *s)
{
    IRTemp h = ir_temp_new(s->f, IR_I32);
    ir_ld_env(s->f, IR_I32, h, X86_ENV_OFFSET(hflags), IR_MO_32);
    ir_op2i(s->f, IR_or, IR_I32, h, h, HF_INHIBIT_IRQ);
    ir_st_env(s->f, IR_I32, h, X86_ENV_OFFSET(hflags), IR_MO_32);
}

static IRTemp load16(DisasContext *s, const X86Operand *o)
{
    return x86_ext(s, 2, false, x86_load_opnd(s, o, NULL, false));
}

/* A selector into a register (zero-extended) or 16 bits of memory. */
static void store_sel(DisasContext *s, const X86Operand *o, IRTemp v)
{
    if (o->kind == X86_OPK_MEM) {
        IRTemp a = x86_gen_lin(s, s->insn->mem.seg, x86_gen_ea(s), 2, true);
        x86_gen_st(s, v, a, 2);
    } else {
        x86_set_reg(s, o->size, o->reg, false, v);
    }
}

static IRTemp env_ld16(DisasContext *s, int32_t off)
{
    IRTemp t = x86_tmp(s);
    ir_ld_env(s->f, s->rt, t, off, IR_MO_16);
    return t;
}

static void gen_load_seg_call(DisasContext *s, int seg, IRTemp sel)
{
    x86_sync_cc_op(s);
    x86_call(s, &x86_hi_load_seg, IR_NO_TEMP, 2, const32(s, (uint64_t)seg), sel);
    /* hflags (ADDSEG, SS32, CS32) may change in protected mode; a SS load
     * opens an interrupt shadow */
    if (seg == R_SS) {
        set_inhibit_irq(s);
        s->is_jmp = DISAS_EOB;
    } else if (s->pe && !s->vm86) {
        s->is_jmp = DISAS_EOB;
    }
}

/* offset then selector of a far pointer in memory (Mp) */
static void load_far_ptr(DisasContext *s, IRTemp *off, IRTemp *sel)
{
    unsigned os = s->insn->osize;
    IRTemp ea = x86_gen_ea(s), ea2 = x86_tmp(s);
    *off = x86_tmp(s);
    *sel = x86_tmp(s);
    x86_gen_ld(s, *off, x86_gen_lin(s, s->insn->mem.seg, ea, os, false), os, false);
    ir_op2i(s->f, IR_add, s->rt, ea2, ea, os);
    ea2 = x86_ext(s, s->insn->asize, false, ea2);
    x86_gen_ld(s, *sel, x86_gen_lin(s, s->insn->mem.seg, ea2, 2, false), 2, false);
}

static void gen_segs(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    switch (in->op) {
    case X86_OP_MOV_TO_SEG:
        gen_load_seg_call(s, in->opd[0].reg, load16(s, &in->opd[1]));
        return;
    case X86_OP_MOV_FROM_SEG:
        store_sel(s, &in->opd[0], env_ld16(s, X86_ENV_OFFSET(segs[in->opd[1].reg].selector)));
        return;
    case X86_OP_PUSH_SEG: {
        unsigned os = in->osize;
        IRTemp v = env_ld16(s, X86_ENV_OFFSET(segs[in->opd[0].reg].selector));
        if (os == 2) {
            x86_push(s, v, 2);
        } else {
            /* 16-bit write into the slot, upper bytes unchanged (recent Intel) */
            IRTemp sp = x86_get_sp(s), nsp = x86_tmp(s);
            ir_op2i(f, IR_sub, s->rt, nsp, sp, os);
            x86_gen_st(s, v, x86_stack_addr(s, sp, -(int64_t)os, 2, true), 2);
            x86_set_sp(s, nsp);
        }
        return;
    }
    case X86_OP_POP_SEG: {
        unsigned os = in->osize;
        IRTemp v = x86_pop(s, os);
        gen_load_seg_call(s, in->opd[0].reg, x86_ext(s, 2, false, v));
        x86_pop_commit(s, os);
        return;
    }
    case X86_OP_LES: case X86_OP_LDS: case X86_OP_LSS: case X86_OP_LFS: case X86_OP_LGS: {
        static const int segof[] = { [X86_OP_LES] = R_ES, [X86_OP_LDS] = R_DS, [X86_OP_LSS] = R_SS,
                                     [X86_OP_LFS] = R_FS, [X86_OP_LGS] = R_GS };
        int seg = segof[in->op];
        IRTemp off, sel;
        load_far_ptr(s, &off, &sel);
        x86_sync_cc_op(s);
        x86_call(s, &x86_hi_load_seg, IR_NO_TEMP, 2, const32(s, (uint64_t)seg), sel);
        x86_set_reg(s, in->osize, in->opd[0].reg, false, off);
        if (s->pe && !s->vm86)
            s->is_jmp = DISAS_EOB;
        return;
    }
    }
}

static void gen_far(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned os = in->osize;
    IRTemp off, sel;
    if ((in->op == X86_OP_JMPF || in->op == X86_OP_CALLF) && in->opd[0].kind == X86_OPK_FAR) {
        off = x86_const(s, (uint64_t)in->opd[0].imm);
        sel = x86_const(s, in->opd[0].sel);
    } else if (in->op == X86_OP_JMPF || in->op == X86_OP_CALLF) {
        load_far_ptr(s, &off, &sel);
    }
    x86_sync_cc_op(s);
    IRTemp next = ir_const(s->f, IR_I64, s->next_eip);
    switch (in->op) {
    case X86_OP_JMPF:
        x86_call(s, &x86_hi_ljmp, IR_NO_TEMP, 3, sel, off, next);
        break;
    case X86_OP_CALLF:
        x86_call(s, &x86_hi_lcall, IR_NO_TEMP, 4, sel, off, const32(s, os), next);
        break;
    case X86_OP_RETF:
        x86_call(s, &x86_hi_lret, IR_NO_TEMP, 2, const32(s, os),
                 const32(s, in->nopd ? (uint64_t)in->opd[0].imm & 0xffff : 0));
        break;
    case X86_OP_IRET:
        x86_call(s, &x86_hi_iret, IR_NO_TEMP, 2, const32(s, os), next);
        x86_set_cc_op(s, CC_OP_DYNAMIC);
        break;
    }
    s->is_jmp = DISAS_EOB_RIP;
}

static void gen_int(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRTemp next = ir_const(s->f, IR_I64, s->next_eip);
    switch (in->op) {
    case X86_OP_INT:
        if (!iopl_ok(s, true))
            return;
        x86_call(s, &x86_hi_raise_int, IR_NO_TEMP, 2, const32(s, (uint64_t)in->opd[0].imm & 0xff), next);
        break;
    case X86_OP_INT3:
        x86_call(s, &x86_hi_raise_int, IR_NO_TEMP, 2, const32(s, EXCP_BP), next);
        break;
    case X86_OP_INT1:
        x86_call(s, &x86_hi_raise_int, IR_NO_TEMP, 2, const32(s, EXCP_DB), next);
        break;
    case X86_OP_INTO:
        x86_call(s, &x86_hi_into, IR_NO_TEMP, 2, x86_setcc(s, 0), next);
        return;
    }
    s->is_jmp = DISAS_NORETURN;
}

static void gen_flags_sys(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    unsigned os = in->osize;
    switch (in->op) {
    case X86_OP_CLI: case X86_OP_STI: {
        if (!iopl_ok(s, false))
            return;
        IRTemp e = ir_temp_new(f, IR_I32);
        ir_ld_env(f, IR_I32, e, X86_ENV_OFFSET(eflags), IR_MO_32);
        if (in->op == X86_OP_CLI) {
            ir_op2i(f, IR_and, IR_I32, e, e, ~(uint32_t)EF_IF);
            ir_st_env(f, IR_I32, e, X86_ENV_OFFSET(eflags), IR_MO_32);
        } else {
            ir_op2i(f, IR_or, IR_I32, e, e, EF_IF);
            ir_st_env(f, IR_I32, e, X86_ENV_OFFSET(eflags), IR_MO_32);
            set_inhibit_irq(s);
            s->is_jmp = DISAS_EOB;
        }
        return;
    }
    case X86_OP_PUSHF: {
        if (!iopl_ok(s, true))
            return;
        x86_sync_cc_op(s);
        IRTemp v = ir_temp_new(f, IR_I32);
        x86_call(s, &x86_hi_read_eflags, v, 0);
        if (s->rt == IR_I64) {
            IRTemp t = x86_tmp(s);
            ir_op1(f, IR_extu_i32_i64, IR_I64, t, v);
            v = t;
        }
        x86_push(s, v, os);
        return;
    }
    case X86_OP_POPF: {
        if (!iopl_ok(s, true))
            return;
        IRTemp v = x86_pop(s, os);
        x86_sync_cc_op(s);
        x86_call(s, &x86_hi_popf, IR_NO_TEMP, 2, v, const32(s, os));
        x86_set_cc_op(s, CC_OP_DYNAMIC);
        x86_pop_commit(s, os);
        s->is_jmp = DISAS_EOB;   /* TF, IF, AC may have changed */
        return;
    }
    }
}

static void gen_io(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    bool isin = in->op == X86_OP_IN;
    const X86Operand *po = isin ? &in->opd[1] : &in->opd[0];
    const X86Operand *ro = isin ? &in->opd[0] : &in->opd[1];
    unsigned size = ro->size;
    IRTemp port;
    if (po->kind == X86_OPK_IMM) {
        port = const32(s, (uint64_t)po->imm & 0xff);
    } else {
        port = ir_temp_new(f, IR_I32);
        if (s->rt == IR_I32) {
            ir_op1(f, IR_ext16u, IR_I32, port, s->reg[R_EDX]);
        } else {
            IRTemp t = x86_tmp(s);
            ir_op1(f, IR_ext16u, IR_I64, t, s->reg[R_EDX]);
            ir_op1(f, IR_extrl_i64_i32, IR_I32, port, t);
        }
    }
    if (s->pe && (s->cpl > s->iopl || s->vm86))
        x86_call(s, &x86_hi_check_io, IR_NO_TEMP, 2, port, const32(s, size));
    if (isin) {
        IRTemp v = ir_temp_new(f, IR_I32), r = v;
        x86_call(s, &x86_hi_in, v, 2, port, const32(s, size));
        if (s->rt == IR_I64) {
            r = x86_tmp(s);
            ir_op1(f, IR_extu_i32_i64, IR_I64, r, v);
        }
        x86_set_reg(s, size, R_EAX, false, r);
    } else {
        x86_call(s, &x86_hi_out, IR_NO_TEMP, 3, port, const32(s, size),
                 x86_ext(s, size, false, s->reg[R_EAX]));
    }
}

static void gen_dtr(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    bool gdt = in->op == X86_OP_LGDT || in->op == X86_OP_SGDT;
    int32_t base_off = gdt ? X86_ENV_OFFSET(gdt.base) : X86_ENV_OFFSET(idt.base);
    int32_t limit_off = gdt ? X86_ENV_OFFSET(gdt.limit) : X86_ENV_OFFSET(idt.limit);
    unsigned bsize = s->code64 ? 8 : 4;
    IRTemp ea = x86_gen_ea(s), ea2 = x86_tmp(s);
    ir_op2i(f, IR_add, s->rt, ea2, ea, 2);
    ea2 = x86_ext(s, in->asize, false, ea2);
    if (in->op == X86_OP_LGDT || in->op == X86_OP_LIDT) {
        if (!need_cpl0(s))
            return;
        IRTemp lim = x86_tmp(s), base = x86_tmp(s);
        x86_gen_ld(s, lim, x86_gen_lin(s, in->mem.seg, ea, 2, false), 2, false);
        x86_gen_ld(s, base, x86_gen_lin(s, in->mem.seg, ea2, bsize, false), bsize, false);
        if (in->osize == 2 && !s->code64)
            ir_op2i(f, IR_and, s->rt, base, base, 0xffffff);
        ir_st_env(f, s->rt, lim, limit_off, IR_MO_32);
        ir_st_env(f, IR_I64, to64(s, base), base_off, IR_MO_64);
        return;
    }
    IRTemp lim = x86_tmp(s), b64 = ir_temp_new(f, IR_I64);
    /* The limit field is 32 bits: a 16-bit env load would read its high
     * half on a big-endian host (SIDT stored limit 0 on s390x). */
    ir_ld_env(f, s->rt, lim, limit_off, IR_MO_32);
    ir_ld_env(f, IR_I64, b64, base_off, IR_MO_64);
    x86_gen_st(s, lim, x86_gen_lin(s, in->mem.seg, ea, 2, true), 2);
    x86_gen_st(s, from64(s, b64), x86_gen_lin(s, in->mem.seg, ea2, bsize, true), bsize);
}

static void gen_crdr(DisasContext *s)
{
    const X86Insn *in = s->insn;
    if (s->vm86 || !need_cpl0(s)) {
        if (s->vm86)
            x86_gen_exception(s, EXCP_GP, 0);
        return;
    }
    bool cr = in->op == X86_OP_MOV_FROM_CR || in->op == X86_OP_MOV_TO_CR;
    x86_sync_cc_op(s);
    if (in->op == X86_OP_MOV_FROM_CR || in->op == X86_OP_MOV_FROM_DR) {
        IRTemp v = ir_temp_new(s->f, IR_I64);
        x86_call(s, cr ? &x86_hi_read_cr : &x86_hi_read_dr, v, 1, const32(s, in->opd[1].reg));
        x86_set_reg(s, in->opd[0].size, in->opd[0].reg, false, from64(s, v));
    } else {
        IRTemp v = to64(s, x86_ext(s, in->opd[1].size, false, s->reg[in->opd[1].reg]));
        x86_call(s, cr ? &x86_hi_write_cr : &x86_hi_write_dr, IR_NO_TEMP, 2,
                 const32(s, in->opd[0].reg), v);
        s->is_jmp = DISAS_EOB;
    }
}

static void gen_desc(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    switch (in->op) {
    case X86_OP_SLDT: case X86_OP_STR:
        if (!need_pmode(s))
            return;
        store_sel(s, &in->opd[0], env_ld16(s, in->op == X86_OP_SLDT ? X86_ENV_OFFSET(ldt.selector)
                                                                  : X86_ENV_OFFSET(tr.selector)));
        return;
    case X86_OP_LLDT: case X86_OP_LTR:
        if (!need_pmode(s) || !need_cpl0(s))
            return;
        x86_sync_cc_op(s);
        x86_call(s, in->op == X86_OP_LLDT ? &x86_hi_lldt : &x86_hi_ltr, IR_NO_TEMP, 1,
                 load16(s, &in->opd[0]));
        return;
    case X86_OP_LAR: case X86_OP_LSL: {
        if (!need_pmode(s))
            return;
        IRTemp sel = load16(s, &in->opd[1]);
        x86_sync_cc_op(s);
        IRTemp r = ir_temp_new(f, IR_I64);
        x86_call(s, in->op == X86_OP_LAR ? &x86_hi_lar : &x86_hi_lsl, r, 2, sel,
                 to64(s, s->reg[in->opd[0].reg]));
        x86_set_reg(s, in->opd[0].size, in->opd[0].reg, false, from64(s, r));
        x86_set_cc_op(s, CC_OP_DYNAMIC);
        return;
    }
    case X86_OP_VERR: case X86_OP_VERW:
        if (!need_pmode(s))
            return;
        {
            IRTemp sel = load16(s, &in->opd[0]);
            x86_sync_cc_op(s);
            x86_call(s, in->op == X86_OP_VERR ? &x86_hi_verr : &x86_hi_verw, IR_NO_TEMP, 1, sel);
            x86_set_cc_op(s, CC_OP_DYNAMIC);
        }
        return;
    case X86_OP_ARPL: {
        if (!need_pmode(s))
            return;
        X86Loc loc;
        IRTemp d = x86_load_opnd(s, &in->opd[0], &loc, true);
        IRTemp src = s->reg[in->opd[1].reg];
        IRTemp rd = x86_tmp(s), rs = x86_tmp(s), adj = x86_tmp(s), nd = x86_tmp(s), nv = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, rd, d, 3);
        ir_op2i(f, IR_and, s->rt, rs, src, 3);
        IRTemp lt = x86_tmp(s);
        ir_setcond(f, s->rt, IR_COND_LTU, lt, rd, rs);
        ir_op2i(f, IR_and, s->rt, adj, d, ~(uint64_t)3 & 0xffff);
        ir_op2(f, IR_or, s->rt, nd, adj, rs);
        ir_movcond(f, s->rt, IR_COND_NE, nv, lt, x86_const(s, 0), nd, d);
        IRTemp old = x86_compute_eflags(s);
        x86_store_loc(s, &loc, nv);
        IRTemp t = x86_tmp(s), z = x86_tmp(s), n = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, t, old, ~(uint64_t)CC_Z & 0xffffffff);
        ir_op2i(f, IR_shl, s->rt, z, lt, 6);
        ir_op2(f, IR_or, s->rt, n, t, z);
        x86_set_eflags_cc(s, n);
        return;
    }
    case X86_OP_SMSW: {
        IRTemp v = x86_tmp(s);
        ir_ld_env(f, s->rt, v, X86_ENV_OFFSET(cr[0]), s->rt == IR_I32 ? IR_MO_32 : IR_MO_64);
        store_sel(s, &in->opd[0], v);
        return;
    }
    case X86_OP_LMSW:
        if (!need_cpl0(s))
            return;
        x86_sync_cc_op(s);
        x86_call(s, &x86_hi_lmsw, IR_NO_TEMP, 1, load16(s, &in->opd[0]));
        s->is_jmp = DISAS_EOB;
        return;
    case X86_OP_CLTS:
        if (!need_cpl0(s))
            return;
        x86_call(s, &x86_hi_clts, IR_NO_TEMP, 0);
        s->is_jmp = DISAS_EOB;
        return;
    case X86_OP_INVLPG: {
        if (!need_cpl0(s))
            return;
        IRTemp ea = x86_gen_ea(s), lin = ea;
        if (!s->code64 && (s->addseg || in->mem.seg == R_FS || in->mem.seg == R_GS)) {
            lin = x86_tmp(s);
            ir_op2(f, IR_add, s->rt, lin, ea, s->seg_base[in->mem.seg]);
        } else if (s->code64 && (in->mem.seg == R_FS || in->mem.seg == R_GS)) {
            lin = x86_tmp(s);
            ir_op2(f, IR_add, IR_I64, lin, ea, s->seg_base[in->mem.seg]);
        }
        x86_call(s, &x86_hi_invlpg, IR_NO_TEMP, 1, lin);
        s->is_jmp = DISAS_EOB;
        return;
    }
    case X86_OP_INVD: case X86_OP_WBINVD:
        need_cpl0(s);
        return;
    case X86_OP_SWAPGS: {
        if (!need_cpl0(s))
            return;
        IRTemp k = x86_tmp(s), g = x86_tmp(s);
        ir_mov(f, IR_I64, g, s->seg_base[R_GS]);
        ir_ld_env(f, IR_I64, k, X86_ENV_OFFSET(kernel_gs_base), IR_MO_64);
        ir_mov(f, IR_I64, s->seg_base[R_GS], k);
        ir_st_env(f, IR_I64, g, X86_ENV_OFFSET(kernel_gs_base), IR_MO_64);
        return;
    }
    }
}

/* SYSCALL/SYSRET/SYSENTER/SYSEXIT: helpers that load CS/SS, RIP and
 * RFLAGS; the block ends (mode and CPL change). */
static void gen_fast_syscall(DisasContext *s)
{
    const X86Insn *in = s->insn;
    x86_sync_cc_op(s);
    switch (in->op) {
    case X86_OP_SYSCALL:
        x86_call(s, &x86_hi_syscall, IR_NO_TEMP, 1, ir_const(s->f, IR_I64, s->next_eip));
        break;
    case X86_OP_SYSRET:
        x86_call(s, &x86_hi_sysret, IR_NO_TEMP, 1, const32(s, in->osize));
        break;
    case X86_OP_SYSENTER:
        x86_call(s, &x86_hi_sysenter, IR_NO_TEMP, 0);
        break;
    default:
        x86_call(s, &x86_hi_sysexit, IR_NO_TEMP, 1, const32(s, in->osize));
        break;
    }
    x86_set_cc_op(s, CC_OP_DYNAMIC);
    s->is_jmp = DISAS_EOB_RIP;
}

/* Rows of features pemu does not report or implement (MMX, SSE ...):
 * #UD or #NM as CR0/CR4 say, else #UD logged under -d unimp. */
void x86_translate_unsupported(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned feat = in->row ? in->row->feature : X86_FEAT_BASE;
    bool simd = feat == X86_FEAT_MMX || feat == X86_FEAT_SSE || feat == X86_FEAT_SSE2 ||
                feat == X86_FEAT_SSE3 || feat == X86_FEAT_SSSE3 || feat == X86_FEAT_SSE41 ||
                feat == X86_FEAT_SSE42 || feat == X86_FEAT_FXSR;
    if (simd) {
        bool sse = feat != X86_FEAT_MMX;
        if ((s->flags & HF_EM) || (sse && feat != X86_FEAT_FXSR && !(s->flags & HF_OSFXSR))) {
            x86_gen_exception(s, EXCP_UD, -1);
            return;
        }
        if (s->flags & HF_TS) {
            x86_gen_exception(s, EXCP_NM, -1);
            return;
        }
    }
    x86_gen_unimp(s, "feature not implemented");
}

bool x86_translate_sys(DisasContext *s)
{
    const X86Insn *in = s->insn;
    unsigned op = in->op;
    switch (op) {
    case X86_OP_PAUSE:
        /*
         * With several CPUs, only one runs at a time: a CPU spinning on a
         * lock would spin for its whole slice while the holder waits.
         * PAUSE (the spin-wait hint) ends the slice right after it, before
         * the loop can take the lock back (SeaBIOS's SMP count releases
         * its lock, pauses and re-takes it). One CPU: a nop.
         */
        if (cpu_first() && cpu_first()->next_cpu) {
            x86_call(s, &x86_hi_pause, IR_NO_TEMP, 0);
            s->is_jmp = DISAS_EOB;
        }
        return true;
    case X86_OP_MOV_TO_SEG: case X86_OP_MOV_FROM_SEG: case X86_OP_PUSH_SEG: case X86_OP_POP_SEG:
    case X86_OP_LES: case X86_OP_LDS: case X86_OP_LSS: case X86_OP_LFS: case X86_OP_LGS:
        gen_segs(s);
        return true;
    case X86_OP_JMPF: case X86_OP_CALLF: case X86_OP_RETF: case X86_OP_IRET:
        gen_far(s);
        return true;
    case X86_OP_INT: case X86_OP_INT3: case X86_OP_INT1: case X86_OP_INTO:
        gen_int(s);
        return true;
    case X86_OP_HLT:
        if (!need_cpl0(s))
            return true;
        x86_sync_cc_op(s);
        x86_call(s, &x86_hi_hlt, IR_NO_TEMP, 1, ir_const(s->f, IR_I64, s->next_eip));
        s->is_jmp = DISAS_NORETURN;
        return true;
    case X86_OP_CLI: case X86_OP_STI: case X86_OP_PUSHF: case X86_OP_POPF:
        gen_flags_sys(s);
        return true;
    case X86_OP_IN: case X86_OP_OUT:
        gen_io(s);
        return true;
    case X86_OP_CPUID:
        x86_call(s, &x86_hi_cpuid, IR_NO_TEMP, 0);
        return true;
    case X86_OP_RDTSC:
        x86_call(s, &x86_hi_rdtsc, IR_NO_TEMP, 0);
        return true;
    case X86_OP_RDTSCP:
        x86_call(s, &x86_hi_rdtscp, IR_NO_TEMP, 0);
        return true;
    case X86_OP_XGETBV:
        x86_call(s, &x86_hi_xgetbv, IR_NO_TEMP, 0);
        return true;
    case X86_OP_XSETBV:
        x86_call(s, &x86_hi_xsetbv, IR_NO_TEMP, 0);
        return true;
    case X86_OP_SYSCALL: case X86_OP_SYSRET: case X86_OP_SYSENTER: case X86_OP_SYSEXIT:
        gen_fast_syscall(s);
        return true;
    case X86_OP_RDMSR: case X86_OP_WRMSR:
        if (!need_cpl0(s))
            return true;
        x86_sync_cc_op(s);
        x86_call(s, op == X86_OP_RDMSR ? &x86_hi_rdmsr : &x86_hi_wrmsr, IR_NO_TEMP, 0);
        if (op == X86_OP_WRMSR)
            s->is_jmp = DISAS_EOB;
        return true;
    case X86_OP_MOV_FROM_CR: case X86_OP_MOV_TO_CR: case X86_OP_MOV_FROM_DR: case X86_OP_MOV_TO_DR:
        gen_crdr(s);
        return true;
    case X86_OP_LGDT: case X86_OP_LIDT: case X86_OP_SGDT: case X86_OP_SIDT:
        gen_dtr(s);
        return true;
    case X86_OP_SLDT: case X86_OP_STR: case X86_OP_LLDT: case X86_OP_LTR: case X86_OP_LAR:
    case X86_OP_LSL: case X86_OP_VERR: case X86_OP_VERW: case X86_OP_ARPL: case X86_OP_SMSW:
    case X86_OP_LMSW: case X86_OP_CLTS: case X86_OP_INVLPG: case X86_OP_INVD: case X86_OP_WBINVD:
    case X86_OP_SWAPGS:
        gen_desc(s);
        return true;
    case X86_OP_UD:
        x86_gen_exception(s, EXCP_UD, -1);
        return true;
    }
    return false;
}
