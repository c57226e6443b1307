/*
 * The x86 front end: guest instructions of one block -> IR (translate.h
 * explains the register views and how lazy flags are tracked).
 *
 * This file: the globals, the common emitters (registers with partial
 * writes, effective addresses, segment bases, guest loads and stores, the
 * stack, block exits), the per-block loop and the data-movement and
 * control-flow instructions. ALU ops are in translate_alu.c, string ops in
 * translate_string.c, system instructions in translate_sys.c, the lazy
 * flags in translate_cc.c.
 *
 * Decisions worth knowing:
 * - eip is stored only at block exits and before helpers that need it:
 *   faults restore it from the side table (insn_start carries the linear pc
 *   and the static cc_op).
 * - Segment limits of data accesses are not checked (as QEMU's TCG) unless
 *   x86_translate_seg_limits is set; writes through a CS override are #GP.
 * - LOCK-prefixed read-modify-write ops are a plain load/op/store: vCPUs
 *   run one at a time (round-robin), so no other agent can interleave.
 * - Direct jumps chain (goto_tb) only inside the block's first page; other
 *   targets go through goto_lookup, which revalidates the mapping.
 */
#include "src/x86/translate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include "src/error.h"
#include "src/log.h"
#include "src/softmmu.h"
#include "src/x86/disas.h"
#include "src/x86/helper.h"

bool x86_translate_seg_limits;

/* ---- globals ------------------------------------------------------------------ */

typedef struct X86Globals {
    bool init;
    IRTemp reg32[8], reg64[16];
    IRTemp cc32[3], cc64[3];
    IRTemp seg32[X86_NB_SEGS], seg64[X86_NB_SEGS];
    IRTemp cc_op, df, rip;
} X86Globals;

static IRFunc x86_func;
static X86Globals G;

/* Byte offset of the low 32 bits inside a 64-bit env field. */
#define LO32 (PEMU_HOST_BIG_ENDIAN ? 4 : 0)

static void globals_init(void)
{
    static const char *const n32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    static const char *const n64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const s32[6] = { "es_base", "cs_base", "ss_base", "ds_base", "fs_base", "gs_base" };
    static const char *const s64[6] = { "es_base64", "cs_base64", "ss_base64", "ds_base64",
                                        "fs_base64", "gs_base64" };
    IRFunc *f = &x86_func;
    if (G.init)
        return;
    ir_func_init(f);
    /* the 32-bit views first: the bytecode printer names an env offset
     * after the first global bound to it */
    for (int i = 0; i < 8; i++)
        G.reg32[i] = ir_global_new(f, IR_I32, X86_ENV_OFFSET(regs[i]) + LO32, n32[i]);
    for (int i = 0; i < 16; i++)
        G.reg64[i] = ir_global_new(f, IR_I64, X86_ENV_OFFSET(regs[i]), n64[i]);
    G.cc32[0] = ir_global_new(f, IR_I32, X86_ENV_OFFSET(cc_dst) + LO32, "cc_dst");
    G.cc32[1] = ir_global_new(f, IR_I32, X86_ENV_OFFSET(cc_src) + LO32, "cc_src");
    G.cc32[2] = ir_global_new(f, IR_I32, X86_ENV_OFFSET(cc_src2) + LO32, "cc_src2");
    G.cc64[0] = ir_global_new(f, IR_I64, X86_ENV_OFFSET(cc_dst), "cc_dst64");
    G.cc64[1] = ir_global_new(f, IR_I64, X86_ENV_OFFSET(cc_src), "cc_src64");
    G.cc64[2] = ir_global_new(f, IR_I64, X86_ENV_OFFSET(cc_src2), "cc_src2_64");
    for (int i = 0; i < X86_NB_SEGS; i++)
        G.seg32[i] = ir_global_new(f, IR_I32, X86_ENV_OFFSET(segs[i].base) + LO32, s32[i]);
    for (int i = 0; i < X86_NB_SEGS; i++)
        G.seg64[i] = ir_global_new(f, IR_I64, X86_ENV_OFFSET(segs[i].base), s64[i]);
    G.cc_op = ir_global_new(f, IR_I32, X86_ENV_OFFSET(cc_op), "cc_op");
    G.df = ir_global_new(f, IR_I32, X86_ENV_OFFSET(df), "df");
    G.rip = ir_global_new(f, IR_I64, X86_ENV_OFFSET(rip), "rip");
    G.init = true;
}

/* ---- temps ------------------------------------------------------------------ */

IRTemp x86_tmp(DisasContext *s)
{
    return ir_temp_new(s->f, s->rt);
}

IRTemp x86_tmp_t(DisasContext *s, IRType t)
{
    return ir_temp_new(s->f, t);
}

IRTemp x86_const(DisasContext *s, uint64_t v)
{
    return ir_const(s->f, s->rt, s->rt == IR_I32 ? (uint32_t)v : v);
}

uint64_t x86_size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

IRTemp x86_ext(DisasContext *s, unsigned size, bool sign, IRTemp v)
{
    if (size >= s->rsize)
        return v;
    IRTemp t = x86_tmp(s);
    IROpcode op = size == 1 ? (sign ? IR_ext8s : IR_ext8u)
                : size == 2 ? (sign ? IR_ext16s : IR_ext16u)
                            : (sign ? IR_ext32s : IR_ext32u);
    ir_op1(s->f, op, s->rt, t, v);
    return t;
}

void x86_call(DisasContext *s, const IRHelperInfo *h, IRTemp out, int n, ...)
{
    IRTemp in[IR_CALL_MAX_ARGS];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        in[i] = va_arg(ap, IRTemp);
    va_end(ap);
    ir_emit_call(s->f, h, out, in, (unsigned)n);
}

/* ---- registers -------------------------------------------------------------------- */

IRTemp x86_get_reg(DisasContext *s, unsigned size, unsigned reg, bool high)
{
    (void)size;
    if (high) {
        IRTemp t = x86_tmp(s);
        ir_extract(s->f, IR_extract, s->rt, t, s->reg[reg], 8, 8);
        return t;
    }
    return s->reg[reg];
}

IRTemp x86_get_reg_zx(DisasContext *s, unsigned size, unsigned reg)
{
    return x86_ext(s, size, false, s->reg[reg]);
}

void x86_set_reg(DisasContext *s, unsigned size, unsigned reg, bool high, IRTemp v)
{
    IRTemp r = s->reg[reg];
    if (high) {
        ir_deposit(s->f, s->rt, r, r, v, 8, 8);
    } else if (size < 4) {
        ir_deposit(s->f, s->rt, r, r, v, 0, size * 8);
    } else if (size == 4 && s->rt == IR_I64) {
        ir_op1(s->f, IR_ext32u, IR_I64, r, v);   /* 64-bit mode: 32-bit writes zero-extend */
    } else if (r != v) {
        ir_mov(s->f, s->rt, r, v);
    }
}

/* ---- memory ----------------------------------------------------------------------- */

static IRTemp wrap_addr(DisasContext *s, unsigned asize, IRTemp a)
{
    return asize < s->rsize ? x86_ext(s, asize, false, a) : a;
}

IRTemp x86_gen_ea(DisasContext *s)
{
    const X86Insn *in = s->insn;
    const X86Mem *m = &in->mem;
    unsigned asz = in->asize;
    if (m->rip)
        return x86_const(s, (s->next_eip + (uint64_t)m->disp) & x86_size_mask(asz));
    IRTemp a = IR_NO_TEMP;
    if (m->base >= 0)
        a = s->reg[m->base];
    if (m->index >= 0) {
        IRTemp ix = s->reg[m->index];
        if (m->scale) {
            IRTemp t = x86_tmp(s);
            ir_op2i(s->f, IR_shl, s->rt, t, ix, m->scale);
            ix = t;
        }
        if (a == IR_NO_TEMP) {
            a = ix;
        } else {
            IRTemp t = x86_tmp(s);
            ir_op2(s->f, IR_add, s->rt, t, a, ix);
            a = t;
        }
    }
    if (a == IR_NO_TEMP)
        return x86_const(s, (uint64_t)m->disp & x86_size_mask(asz));
    if (m->disp) {
        IRTemp t = x86_tmp(s);
        ir_op2i(s->f, IR_add, s->rt, t, a, s->rt == IR_I32 ? (uint32_t)m->disp : (uint64_t)m->disp);
        a = t;
    }
    return wrap_addr(s, asz, a);
}

IRTemp x86_gen_lin(DisasContext *s, int seg, IRTemp ea, unsigned size, bool write)
{
    IRTemp a = ea;
    if (s->code64) {
        if (seg == R_FS || seg == R_GS) {
            a = x86_tmp(s);
            ir_op2(s->f, IR_add, IR_I64, a, ea, s->seg_base[seg]);
        }
    } else {
        if (write && seg == R_CS && s->pe && !s->vm86) {
            /* code segments are never writable (SDM 3.4.5.1) */
            x86_gen_exception(s, EXCP_GP, 0);
        }
        if (x86_translate_seg_limits && s->pe && !s->vm86)
            x86_call(s, &x86_hi_check_limit, IR_NO_TEMP, 3, ir_const(s->f, IR_I32, (uint64_t)seg), ea,
                     ir_const(s->f, IR_I32, size));
        if (seg == R_CS) {
            if (s->cs_base) {
                a = x86_tmp(s);
                ir_op2i(s->f, IR_add, s->rt, a, ea, (uint32_t)s->cs_base);
            }
        } else if (s->addseg || seg == R_FS || seg == R_GS) {
            a = x86_tmp(s);
            ir_op2(s->f, IR_add, s->rt, a, ea, s->seg_base[seg]);
        }
    }
    if ((s->flags & HF_AC) && size > 1)
        x86_call(s, &x86_hi_check_align, IR_NO_TEMP, 2, a, ir_const(s->f, IR_I32, size));
    return a;
}

static unsigned memop_addr(DisasContext *s)
{
    return s->rt == IR_I32 ? IR_MO_ADDR32 : 0;
}

void x86_gen_ld(DisasContext *s, IRTemp d, IRTemp addr, unsigned size, bool sign)
{
    ir_qemu_ld(s->f, s->rt, d, addr, x86_lg(size) | (sign ? IR_MO_SIGN : 0) | memop_addr(s),
               (unsigned)s->mmu);
}

void x86_gen_st(DisasContext *s, IRTemp v, IRTemp addr, unsigned size)
{
    ir_qemu_st(s->f, s->rt, v, addr, x86_lg(size) | memop_addr(s), (unsigned)s->mmu);
}

void x86_gen_ld64(DisasContext *s, IRTemp d, IRTemp addr)
{
    ir_qemu_ld(s->f, IR_I64, d, addr, IR_MO_64 | memop_addr(s), (unsigned)s->mmu);
}

void x86_gen_st64(DisasContext *s, IRTemp v, IRTemp addr)
{
    ir_qemu_st(s->f, IR_I64, v, addr, IR_MO_64 | memop_addr(s), (unsigned)s->mmu);
}

/* ---- operands ------------------------------------------------------------------------ */

static void opnd_loc(DisasContext *s, const X86Operand *o, X86Loc *loc, bool write)
{
    memset(loc, 0, sizeof(*loc));
    loc->size = o->size;
    if (o->kind == X86_OPK_MEM) {
        loc->mem = true;
        loc->addr = x86_gen_lin(s, s->insn->mem.seg, x86_gen_ea(s), o->size, write);
    } else {
        loc->reg = o->reg;
        loc->high = o->cls == X86_RC_GPR8H;
    }
}

IRTemp x86_load_opnd(DisasContext *s, const X86Operand *o, X86Loc *loc, bool write)
{
    X86Loc dummy;
    if (!loc)
        loc = &dummy;
    switch (o->kind) {
    case X86_OPK_IMM:
        memset(loc, 0, sizeof(*loc));
        loc->size = o->size;
        return x86_const(s, (uint64_t)o->imm);
    case X86_OPK_REG:
    case X86_OPK_MEM:
        opnd_loc(s, o, loc, write);
        if (loc->mem) {
            IRTemp t = x86_tmp(s);
            x86_gen_ld(s, t, loc->addr, loc->size, false);
            return t;
        }
        return x86_get_reg(s, loc->size, loc->reg, loc->high);
    default:
        pemu_abort("x86 translate: operand kind %d of %s", o->kind, x86_op_name(s->insn->op));
    }
}

void x86_store_loc(DisasContext *s, const X86Loc *loc, IRTemp v)
{
    if (loc->mem)
        x86_gen_st(s, v, loc->addr, loc->size);
    else
        x86_set_reg(s, loc->size, loc->reg, loc->high, v);
}

/* ---- stack --------------------------------------------------------------------------- */

static unsigned sp_size(DisasContext *s)
{
    return s->code64 ? 8 : s->ss32 ? 4 : 2;
}

IRTemp x86_get_sp(DisasContext *s)
{
    return x86_get_reg_zx(s, sp_size(s), R_ESP);
}

void x86_set_sp(DisasContext *s, IRTemp v)
{
    x86_set_reg(s, sp_size(s), R_ESP, false, v);
}

IRTemp x86_stack_addr(DisasContext *s, IRTemp sp, int64_t off, unsigned size, bool write)
{
    IRTemp a = sp;
    if (off) {
        a = x86_tmp(s);
        ir_op2i(s->f, IR_add, s->rt, a, sp, s->rt == IR_I32 ? (uint32_t)off : (uint64_t)off);
        a = wrap_addr(s, sp_size(s), a);
    }
    return x86_gen_lin(s, R_SS, a, size, write);
}

void x86_push(DisasContext *s, IRTemp v, unsigned size)
{
    IRTemp sp = x86_get_sp(s);
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_sub, s->rt, nsp, sp, size);
    IRTemp a = wrap_addr(s, sp_size(s), nsp);
    x86_gen_st(s, v, x86_gen_lin(s, R_SS, a, size, true), size);
    x86_set_sp(s, nsp);
}

IRTemp x86_pop(DisasContext *s, unsigned size)
{
    IRTemp t = x86_tmp(s);
    x86_gen_ld(s, t, x86_stack_addr(s, x86_get_sp(s), 0, size, false), size, false);
    return t;
}

void x86_pop_commit(DisasContext *s, unsigned size)
{
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_add, s->rt, nsp, x86_get_sp(s), size);
    x86_set_sp(s, nsp);
}

/* ---- control ------------------------------------------------------------------------- */

void x86_label(DisasContext *s, uint32_t l)
{
    ir_set_label(s->f, l);
    s->bb_gen++;
}

void x86_brcond(DisasContext *s, IRCond c, IRTemp a, IRTemp b, uint32_t l)
{
    ir_brcond(s->f, s->rt, c, a, b, l);
    s->bb_gen++;
}

void x86_sync_cc_op(DisasContext *s)
{
    if (s->cc_op_dirty) {
        ir_movi(s->f, IR_I32, s->g_cc_op, s->cc_op);
        s->cc_op_dirty = false;
    }
}

void x86_set_cc_op(DisasContext *s, uint32_t op)
{
    if (op == s->cc_op)
        return;
    s->cc_op = op;
    s->cc_op_dirty = op != CC_OP_DYNAMIC;
}

/* After env.rip holds the next eip: leave the block without chaining
 * (single step, interrupt shadow) or through the lookup. */
static void exit_with_rip(DisasContext *s, bool lookup)
{
    if (s->flags & HF_TF) {
        x86_call(s, &x86_hi_single_step, IR_NO_TEMP, 0);
        return;
    }
    if (lookup && !(s->flags & HF_INHIBIT_IRQ))
        ir_goto_lookup(s->f);
    else
        ir_exit_tb(s->f, BACKEND_EXIT_NOCHAIN);
}

static void store_rip_const(DisasContext *s, uint64_t eip)
{
    ir_movi(s->f, IR_I64, s->g_rip, eip);
}

void x86_jmp_tb(DisasContext *s, int slot, uint64_t eip)
{
    x86_sync_cc_op(s);
    uint64_t lin = s->cs_base + eip;
    if (!(s->flags & (HF_TF | HF_INHIBIT_IRQ)) &&
        (lin & TARGET_PAGE_MASK) == (s->tb->pc & TARGET_PAGE_MASK)) {
        ir_goto_tb(s->f, (unsigned)slot);
        store_rip_const(s, eip);
        ir_exit_tb(s->f, (uint64_t)slot);
    } else {
        store_rip_const(s, eip);
        exit_with_rip(s, true);
    }
}

void x86_jmp_indirect(DisasContext *s, IRTemp eip)
{
    x86_sync_cc_op(s);
    if (s->rt == IR_I32)
        ir_op1(s->f, IR_extu_i32_i64, IR_I64, s->g_rip, eip);
    else
        ir_mov(s->f, IR_I64, s->g_rip, eip);
    exit_with_rip(s, true);
}

void x86_gen_eob(DisasContext *s)
{
    x86_sync_cc_op(s);
    store_rip_const(s, s->next_eip);
    exit_with_rip(s, false);
}

void x86_gen_exception(DisasContext *s, int excp, int err)
{
    x86_call(s, &x86_hi_raise, IR_NO_TEMP, 2, ir_const(s->f, IR_I32, (uint32_t)excp),
             ir_const(s->f, IR_I32, (uint32_t)err));
    if (s->is_jmp == DISAS_NEXT)
        s->is_jmp = DISAS_NORETURN;
}

void x86_gen_unimp(DisasContext *s, const char *what)
{
    if (log_enabled(LOG_UNIMP)) {
        char hex[3 * 16 + 1] = "";
        for (unsigned i = 0; i < s->insn->len && i < 16; i++)
            snprintf(hex + 3 * i, 4, "%02x ", s->insn->bytes[i]);
        log_printf("unimplemented: %s (%s) at 0x%" PRIx64 ": %s-> #UD\n", what,
                   x86_op_name(s->insn->op), s->pc, hex);
    }
    x86_gen_exception(s, EXCP_UD, -1);
}

/* ---- data movement and control flow ------------------------------------------------- */

static unsigned osize(DisasContext *s)
{
    return s->insn->osize;
}

/* Target of a relative branch: next eip + offset, wrapped to the operand size. */
static uint64_t rel_target(DisasContext *s)
{
    uint64_t t = s->next_eip + (uint64_t)s->insn->opd[0].imm;
    if (!s->code64)
        t &= x86_size_mask(osize(s) == 2 ? 2 : 4);
    return t;
}

/* Near branches fault (#GP(0), at the branch) on a target beyond the CS
 * limit; checked with the optional segment limit checks only. */
static void check_cs_target(DisasContext *s, IRTemp eip)
{
    if (x86_translate_seg_limits && s->pe && !s->vm86 && !s->code64)
        x86_call(s, &x86_hi_check_limit, IR_NO_TEMP, 3, ir_const(s->f, IR_I32, R_CS), eip,
                 ir_const(s->f, IR_I32, 1));
}

/* Jcc-like exit: cond true -> target, else the next instruction. */
static void gen_branch(DisasContext *s, IRCond c, IRTemp a, IRTemp b, uint64_t target)
{
    uint32_t taken = ir_label_new(s->f);
    x86_sync_cc_op(s);
    x86_brcond(s, c, a, b, taken);
    x86_jmp_tb(s, 1, s->next_eip);
    x86_label(s, taken);
    check_cs_target(s, x86_const(s, target));
    x86_jmp_tb(s, 0, target);
    s->is_jmp = DISAS_JUMP;
}

static void gen_jcc(DisasContext *s, int jcc, uint64_t target)
{
    X86CCPrep p = x86_prepare_cc(s, jcc);
    if (p.cond == IR_COND_ALWAYS || p.cond == IR_COND_NEVER) {
        if (p.cond == IR_COND_ALWAYS)
            check_cs_target(s, x86_const(s, target));
        x86_jmp_tb(s, 0, p.cond == IR_COND_ALWAYS ? target : s->next_eip);
        s->is_jmp = DISAS_JUMP;
        return;
    }
    gen_branch(s, p.cond, p.a, p.b, target);
}

/* The count register of LOOP/JCXZ/REP: CX, ECX or RCX by address size. */
static IRTemp gen_count(DisasContext *s)
{
    return x86_get_reg_zx(s, s->insn->asize, R_ECX);
}

static void gen_loop(DisasContext *s)
{
    unsigned asz = s->insn->asize;
    IRTemp c = x86_tmp(s);
    ir_op2i(s->f, IR_sub, s->rt, c, s->reg[R_ECX], 1);
    x86_set_reg(s, asz, R_ECX, false, c);
    IRTemp cz = x86_get_reg_zx(s, asz, R_ECX);
    uint64_t target = rel_target(s);
    if (s->insn->op == X86_OP_LOOP) {
        gen_branch(s, IR_COND_NE, cz, x86_const(s, 0), target);
        return;
    }
    /* LOOPE/LOOPNE: count != 0 && ZF == (LOOPE) */
    IRTemp z = x86_setcc(s, s->insn->op == X86_OP_LOOPE ? 4 : 5);
    IRTemp nz = x86_tmp(s);
    ir_setcond(s->f, s->rt, IR_COND_NE, nz, cz, x86_const(s, 0));
    IRTemp both = x86_tmp(s);
    ir_op2(s->f, IR_and, s->rt, both, nz, z);
    gen_branch(s, IR_COND_NE, both, x86_const(s, 0), target);
}

static void gen_xchg(DisasContext *s)
{
    const X86Insn *in = s->insn;
    X86Loc la, lb;
    IRTemp a = x86_load_opnd(s, &in->opd[0], &la, true);
    IRTemp b = x86_load_opnd(s, &in->opd[1], &lb, true);
    if (!la.mem && !lb.mem && la.reg == lb.reg && la.high == lb.high) {
        /* xchg r, r: nothing moves, but a 32-bit one in 64-bit mode zero-extends */
        if (la.size == 4 && s->rt == IR_I64)
            x86_set_reg(s, 4, la.reg, false, a);
        return;
    }
    /* copy a first: writing one register may change the other's source */
    IRTemp ta = x86_tmp(s);
    ir_mov(s->f, s->rt, ta, a);
    IRTemp tb = x86_tmp(s);
    ir_mov(s->f, s->rt, tb, b);
    if (la.mem) {
        x86_store_loc(s, &la, tb);
        x86_store_loc(s, &lb, ta);
    } else {
        x86_store_loc(s, &lb, ta);
        x86_store_loc(s, &la, tb);
    }
}

static void gen_enter(DisasContext *s)
{
    unsigned os = osize(s), ss = sp_size(s);
    unsigned frame = (unsigned)s->insn->opd[0].imm & 0xffff;
    unsigned level = (unsigned)s->insn->opd[1].imm & 31;
    IRTemp sp = x86_get_sp(s);
    IRTemp bp = x86_get_reg(s, os, R_EBP, false);
    /* push rBP */
    x86_gen_st(s, bp, x86_stack_addr(s, sp, -(int64_t)os, os, true), os);
    IRTemp fp = x86_tmp(s);          /* frame temp = SP after that push */
    ir_op2i(s->f, IR_sub, s->rt, fp, sp, os);
    IRTemp cur = fp;
    /* With a 16-bit stack the frame temp is the whole ESP after the first
     * push (its upper half untouched), which a 32-bit operand size shows. */
    IRTemp fpv = fp;
    if (ss == 2 && os > 2) {
        fpv = x86_tmp(s);
        ir_deposit(s->f, s->rt, fpv, s->reg[R_ESP], fp, 0, 16);
    }
    if (level) {
        IRTemp bpz = x86_get_reg_zx(s, ss, R_EBP);
        for (unsigned i = 1; i < level; i++) {
            IRTemp v = x86_tmp(s);
            x86_gen_ld(s, v, x86_stack_addr(s, bpz, -(int64_t)(i * os), os, false), os, false);
            x86_gen_st(s, v, x86_stack_addr(s, cur, -(int64_t)os, os, true), os);
            IRTemp n = x86_tmp(s);
            ir_op2i(s->f, IR_sub, s->rt, n, cur, os);
            cur = n;
        }
        x86_gen_st(s, fpv, x86_stack_addr(s, cur, -(int64_t)os, os, true), os);
        IRTemp n = x86_tmp(s);
        ir_op2i(s->f, IR_sub, s->rt, n, cur, os);
        cur = n;
    }
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_sub, s->rt, nsp, cur, frame);
    /* The CPU write-checks the new top of stack (#PF, #AC, #SS) after the
     * pushes and before any register changes: a load and a store back. */
    IRTemp top = x86_stack_addr(s, x86_ext(s, ss, false, nsp), 0, os, true), tv = x86_tmp(s);
    x86_gen_ld(s, tv, top, os, false);
    x86_gen_st(s, tv, top, os);
    /* rBP gets the frame temp at the operand size, SP at the stack size */
    x86_set_reg(s, os, R_EBP, false, fpv);
    x86_set_sp(s, nsp);
}

static void gen_leave(DisasContext *s)
{
    unsigned os = osize(s), ss = sp_size(s);
    IRTemp bp = x86_get_reg_zx(s, ss, R_EBP);
    IRTemp v = x86_tmp(s);
    x86_gen_ld(s, v, x86_stack_addr(s, bp, 0, os, false), os, false);
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_add, s->rt, nsp, bp, os);
    x86_set_sp(s, nsp);
    x86_set_reg(s, os, R_EBP, false, v);
}

static void gen_pusha(DisasContext *s)
{
    unsigned os = osize(s);
    IRTemp sp = x86_get_sp(s);
    if (x86_translate_seg_limits)   /* both ends are checked before any write */
        x86_stack_addr(s, sp, -(int64_t)os, os, true);
    /* stored from the lowest address up: a fault leaves memory untouched
     * as often as possible */
    for (int i = 7; i >= 0; i--) {
        IRTemp v = x86_get_reg(s, os, (unsigned)i, false); /* the whole ESP with os 4 */
        x86_gen_st(s, v, x86_stack_addr(s, sp, -(int64_t)((i + 1) * os), os, true), os);
    }
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_sub, s->rt, nsp, sp, 8 * os);
    x86_set_sp(s, nsp);
}

static void gen_popa(DisasContext *s)
{
    unsigned os = osize(s);
    IRTemp sp = x86_get_sp(s);
    IRTemp v[8];
    for (int i = 0; i < 8; i++) {
        if (i == R_ESP)
            continue;
        v[i] = x86_tmp(s);
        x86_gen_ld(s, v[i], x86_stack_addr(s, sp, (int64_t)((7 - i) * os), os, false), os, false);
    }
    IRTemp nsp = x86_tmp(s);
    ir_op2i(s->f, IR_add, s->rt, nsp, sp, 8 * os);
    for (int i = 0; i < 8; i++)
        if (i != R_ESP)
            x86_set_reg(s, os, (unsigned)i, false, v[i]);
    x86_set_sp(s, nsp);
}

static void gen_cmovcc(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRTemp src = x86_load_opnd(s, &in->opd[1], NULL, false);
    X86CCPrep p = x86_prepare_cc(s, in->opcode & 15);
    IRTemp old = x86_get_reg(s, in->osize, in->opd[0].reg, false);
    IRTemp r = x86_tmp(s);
    if (p.cond == IR_COND_ALWAYS || p.cond == IR_COND_NEVER)
        ir_mov(s->f, s->rt, r, p.cond == IR_COND_ALWAYS ? src : old);
    else
        ir_movcond(s->f, s->rt, p.cond, r, p.a, p.b, src, old);
    x86_set_reg(s, in->osize, in->opd[0].reg, false, r);
}

static bool translate_move(DisasContext *s)
{
    const X86Insn *in = s->insn;
    IRFunc *f = s->f;
    X86Loc loc;
    switch (in->op) {
    case X86_OP_MOV: {
        IRTemp v = x86_load_opnd(s, &in->opd[1], NULL, false);
        opnd_loc(s, &in->opd[0], &loc, true);
        x86_store_loc(s, &loc, v);
        return true;
    }
    case X86_OP_MOVZX:
    case X86_OP_MOVSX: {
        const X86Operand *o = &in->opd[1];
        IRTemp v = x86_load_opnd(s, o, NULL, false);
        v = x86_ext(s, o->size, in->op == X86_OP_MOVSX, v);
        x86_set_reg(s, in->opd[0].size, in->opd[0].reg, false, v);
        return true;
    }
    case X86_OP_MOVSXD: {
        IRTemp v = x86_load_opnd(s, &in->opd[1], NULL, false);
        if (in->opd[0].size == 8)
            v = x86_ext(s, 4, true, v);
        x86_set_reg(s, in->opd[0].size, in->opd[0].reg, false, v);
        return true;
    }
    case X86_OP_LEA: {
        IRTemp ea = x86_gen_ea(s);
        x86_set_reg(s, in->opd[0].size, in->opd[0].reg, false, ea);
        return true;
    }
    case X86_OP_XCHG:
        gen_xchg(s);
        return true;
    case X86_OP_PUSH: {
        IRTemp v = x86_load_opnd(s, &in->opd[0], NULL, false);
        x86_push(s, v, osize(s));
        return true;
    }
    case X86_OP_POP: {
        unsigned os = osize(s);
        IRTemp v = x86_pop(s, os);
        if (in->opd[0].kind == X86_OPK_MEM) {
            /* The address is computed with rSP already incremented (SDM
             * POP); rSP itself changes only after the store. */
            IRTemp nsp = x86_tmp(s), full = x86_tmp(s), rsp = s->reg[R_ESP];
            ir_op2i(f, IR_add, s->rt, nsp, x86_get_sp(s), os);
            ir_mov(f, s->rt, full, rsp);
            if (sp_size(s) == 2)
                ir_deposit(f, s->rt, full, full, nsp, 0, 16);
            else
                ir_mov(f, s->rt, full, nsp);
            s->reg[R_ESP] = full;
            opnd_loc(s, &in->opd[0], &loc, true);
            s->reg[R_ESP] = rsp;
            x86_store_loc(s, &loc, v);
            x86_set_sp(s, nsp);
        } else {
            x86_pop_commit(s, os);
            x86_set_reg(s, os, in->opd[0].reg, false, v); /* pop rSP: the loaded value wins */
        }
        return true;
    }
    case X86_OP_PUSHA:
        gen_pusha(s);
        return true;
    case X86_OP_POPA:
        gen_popa(s);
        return true;
    case X86_OP_ENTER:
        gen_enter(s);
        return true;
    case X86_OP_LEAVE:
        gen_leave(s);
        return true;
    case X86_OP_CBW: {
        unsigned os = osize(s);
        IRTemp v = x86_ext(s, os / 2, true, s->reg[R_EAX]);
        x86_set_reg(s, os, R_EAX, false, v);
        return true;
    }
    case X86_OP_CWD: {
        unsigned os = osize(s);
        IRTemp v = x86_ext(s, os, true, s->reg[R_EAX]);
        IRTemp t = x86_tmp(s);
        ir_op2i(f, IR_sar, s->rt, t, v, s->rsize * 8 - 1);
        x86_set_reg(s, os, R_EDX, false, t);
        return true;
    }
    case X86_OP_LAHF: {
        IRTemp fl = x86_compute_eflags(s);
        IRTemp t = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, t, fl, CC_S | CC_Z | CC_A | CC_P | CC_C);
        IRTemp t2 = x86_tmp(s);
        ir_op2i(f, IR_or, s->rt, t2, t, EF_FIXED1);
        x86_set_reg(s, 1, R_EAX, true, t2);
        return true;
    }
    case X86_OP_SAHF: {
        IRTemp fl = x86_compute_eflags(s);
        IRTemp o = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, o, fl, CC_O);
        IRTemp ah = x86_get_reg(s, 1, R_EAX, true);
        IRTemp t = x86_tmp(s);
        ir_op2i(f, IR_and, s->rt, t, ah, CC_S | CC_Z | CC_A | CC_P | CC_C);
        IRTemp n = x86_tmp(s);
        ir_op2(f, IR_or, s->rt, n, o, t);
        x86_set_eflags_cc(s, n);
        return true;
    }
    case X86_OP_XLAT: {
        const X86Operand *o = &in->opd[0];
        IRTemp al = x86_get_reg_zx(s, 1, R_EAX);
        IRTemp ea = x86_tmp(s);
        ir_op2(f, IR_add, s->rt, ea, s->reg[R_EBX], al);
        ea = wrap_addr(s, in->asize, ea);
        IRTemp v = x86_tmp(s);
        x86_gen_ld(s, v, x86_gen_lin(s, o->cls, ea, 1, false), 1, false);
        x86_set_reg(s, 1, R_EAX, false, v);
        return true;
    }
    case X86_OP_BSWAP: {
        const X86Operand *o = &in->opd[0];
        IRTemp v = s->reg[o->reg], t = x86_tmp(s);
        if (o->size == 2)
            ir_movi(f, s->rt, t, 0); /* undefined by the SDM; 0 on real parts */
        else
            ir_op1(f, o->size == 8 ? IR_bswap64 : IR_bswap32, s->rt, t, v);
        x86_set_reg(s, o->size, o->reg, false, t);
        return true;
    }
    case X86_OP_SETCC: {
        IRTemp v = x86_setcc(s, in->opcode & 15);
        opnd_loc(s, &in->opd[0], &loc, true);
        x86_store_loc(s, &loc, v);
        return true;
    }
    case X86_OP_CMOVCC:
        gen_cmovcc(s);
        return true;
    case X86_OP_SALC: {
        IRTemp cf = x86_compute_cf(s);
        IRTemp t = x86_tmp(s);
        ir_op1(f, IR_neg, s->rt, t, cf);
        x86_set_reg(s, 1, R_EAX, false, t);
        return true;
    }
    case X86_OP_CLC: case X86_OP_STC: case X86_OP_CMC: {
        IRTemp fl = x86_compute_eflags(s), n = x86_tmp(s);
        IROpcode op = in->op == X86_OP_CLC ? IR_and : in->op == X86_OP_STC ? IR_or : IR_xor;
        ir_op2i(f, op, s->rt, n, fl, in->op == X86_OP_CLC ? ~(uint64_t)CC_C & 0xffffffff : CC_C);
        x86_set_eflags_cc(s, n);
        return true;
    }
    case X86_OP_CLD: case X86_OP_STD:
        ir_movi(f, IR_I32, s->g_df, in->op == X86_OP_CLD ? 1 : 0xffffffff);
        return true;
    case X86_OP_NOP: case X86_OP_PREFETCH: /* PAUSE: translate_sys.c (SMP yield) */
    case X86_OP_LFENCE: case X86_OP_MFENCE: case X86_OP_SFENCE:
        return true;
    case X86_OP_CLFLUSH:
        /* a fault-checking read of one byte, nothing cached to flush */
        x86_gen_ld(s, x86_tmp(s), x86_gen_lin(s, in->mem.seg, x86_gen_ea(s), 1, false), 1, false);
        return true;
    }
    return false;
}

static bool translate_branch(DisasContext *s)
{
    const X86Insn *in = s->insn;
    switch (in->op) {
    case X86_OP_JCC:
        gen_jcc(s, in->opcode & 15, rel_target(s));
        return true;
    case X86_OP_JMP:
        if (in->opd[0].kind == X86_OPK_REL) {
            check_cs_target(s, x86_const(s, rel_target(s)));
            x86_jmp_tb(s, 0, rel_target(s));
            s->is_jmp = DISAS_JUMP;
        } else {
            IRTemp t = x86_ext(s, osize(s), false, x86_load_opnd(s, &in->opd[0], NULL, false));
            check_cs_target(s, t);
            x86_jmp_indirect(s, t);
            s->is_jmp = DISAS_JUMP;
        }
        return true;
    case X86_OP_CALL: {
        unsigned os = osize(s);
        if (in->opd[0].kind == X86_OPK_REL) {
            check_cs_target(s, x86_const(s, rel_target(s)));
            x86_push(s, x86_const(s, s->next_eip), os);
            x86_jmp_tb(s, 0, rel_target(s));
        } else {
            IRTemp t = x86_load_opnd(s, &in->opd[0], NULL, false);
            IRTemp target = x86_tmp(s);
            ir_mov(s->f, s->rt, target, x86_ext(s, os, false, t));
            check_cs_target(s, target);
            x86_push(s, x86_const(s, s->next_eip), os);
            x86_jmp_indirect(s, target);
        }
        s->is_jmp = DISAS_JUMP;
        return true;
    }
    case X86_OP_RET: {
        unsigned os = osize(s);
        IRTemp v = x86_ext(s, os, false, x86_pop(s, os));
        unsigned extra = in->nopd ? (unsigned)in->opd[0].imm & 0xffff : 0;
        check_cs_target(s, v);
        x86_pop_commit(s, os + extra);
        x86_jmp_indirect(s, v);
        s->is_jmp = DISAS_JUMP;
        return true;
    }
    case X86_OP_LOOP: case X86_OP_LOOPE: case X86_OP_LOOPNE:
        gen_loop(s);
        return true;
    case X86_OP_JCXZ:
        gen_branch(s, IR_COND_EQ, gen_count(s), x86_const(s, 0), rel_target(s));
        return true;
    }
    return false;
}

/* ---- the block ------------------------------------------------------------------------ */

bool x86_feature_supported(unsigned feature)
{
    /* Keep in step with what CPUID reports (src/x86/misc.c). */
    switch (feature) {
    case X86_FEAT_BASE: case X86_FEAT_I486: case X86_FEAT_PENT: case X86_FEAT_FPU:
    case X86_FEAT_TSC: case X86_FEAT_MSR: case X86_FEAT_CX8: case X86_FEAT_CMOV:
    case X86_FEAT_FCMOV: case X86_FEAT_NOPL: case X86_FEAT_LM: case X86_FEAT_CX16:
    case X86_FEAT_SSE: case X86_FEAT_SSE2: case X86_FEAT_SSE3: case X86_FEAT_SSSE3:
    case X86_FEAT_SSE41: case X86_FEAT_SSE42: case X86_FEAT_POPCNT:
        return true;
    case X86_FEAT_SYSCALL: case X86_FEAT_RDTSCP: case X86_FEAT_SEP: /* long64 */
    case X86_FEAT_MMX: case X86_FEAT_FXSR: case X86_FEAT_XSAVE:
        return true;
    }
    return false;
}

static void fetch(DisasContext *s, uint64_t addr, uint8_t *buf, unsigned n)
{
    CPUState *cpu = &s->cpu->parent;
    while (n) {
        unsigned k = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
        uint64_t v = softmmu_ld_code(cpu, addr, k);
        for (unsigned i = 0; i < k; i++)
            buf[i] = (uint8_t)(v >> (8 * i));
        buf += k;
        addr += k;
        n -= k;
    }
}

static void translate_insn(DisasContext *s)
{
    const X86Insn *in = s->insn;
    switch (in->op) {
    case X86_OP_LFENCE: case X86_OP_MFENCE: case X86_OP_SFENCE: case X86_OP_PREFETCH:
    case X86_OP_CLFLUSH:
        break; /* hints and fences: harmless whatever CPUID says */
    default:
        if (!x86_feature_supported(in->row->feature)) {
            x86_translate_unsupported(s);
            return;
        }
    }
    if (translate_move(s) || translate_branch(s) || x86_translate_alu(s) ||
        x86_translate_string(s) || x86_translate_sys(s) || x86_translate_x87(s) ||
        x86_translate_mmx(s) || x86_translate_sse(s))
        return;
    x86_gen_unimp(s, "instruction");
}

/* Instructions whose flags and may-raise ops interleave (REP CMPS/SCAS
 * store cc_op in env as they go): env must hold cc_op at their start. */
static bool needs_dynamic_cc(const X86Insn *in)
{
    return in->rep && (in->op == X86_OP_CMPS || in->op == X86_OP_SCAS);
}

IRFunc *x86_translate_block(X86CPU *cpu, TranslationBlock *tb, int max_insns)
{
    globals_init();
    IRFunc *f = &x86_func;
    ir_func_reset(f);
    DisasContext ctx, *s = &ctx;
    memset(s, 0, sizeof(*s));
    s->cpu = cpu;
    s->f = f;
    s->tb = tb;
    s->flags = tb->flags;
    s->cs_base = tb->cs_base;
    s->pe = s->flags & HF_PE;
    s->vm86 = s->flags & HF_VM;
    s->code64 = s->flags & HF_CS64;
    s->ss32 = s->flags & HF_SS32;
    s->addseg = s->flags & HF_ADDSEG;
    s->cpl = (int)(s->flags & HF_CPL_MASK);
    s->iopl = (int)((s->flags & HF_IOPL_MASK) >> HF_IOPL_SHIFT);
    s->mmu = (s->flags & HF_CPL_MASK) == 3 ? X86_MMU_USER : X86_MMU_KERNEL;
    s->rt = s->code64 ? IR_I64 : IR_I32;
    s->rsize = s->code64 ? 8 : 4;
    for (int i = 0; i < 16; i++)
        s->reg[i] = s->code64 ? G.reg64[i] : i < 8 ? G.reg32[i] : G.reg32[0];
    const IRTemp *cc = s->code64 ? G.cc64 : G.cc32;
    s->cc_dst = cc[0];
    s->cc_src = cc[1];
    s->cc_src2 = cc[2];
    for (int i = 0; i < X86_NB_SEGS; i++)
        s->seg_base[i] = s->code64 ? G.seg64[i] : G.seg32[i];
    s->g_cc_op = G.cc_op;
    s->g_df = G.df;
    s->g_rip = G.rip;
    s->cc_op = CC_OP_DYNAMIC;

    X86Mode mode = s->code64 ? X86_MODE_64 : (s->flags & HF_CS32) ? X86_MODE_32 : X86_MODE_16;
    uint64_t eip_mask = s->code64 ? ~0ull : (s->flags & HF_CS32) ? 0xffffffffull : 0xffff;
    if (s->flags & (HF_TF | HF_INHIBIT_IRQ))
        max_insns = 1;
    bool log_asm = log_enabled(LOG_IN_ASM) && log_filter_pc(tb->pc);
    if (log_asm)
        log_printf("IN:\n");

    uint64_t eip = (tb->pc - tb->cs_base) & eip_mask;
    uint64_t end_pc = tb->pc;
    int n = 0;
    X86Insn insn;
    s->insn = &insn;
    for (;;) {
        uint64_t pc = s->cs_base + eip;
        uint8_t buf[X86_MAX_INSN_LEN + 1];
        unsigned inpage = (unsigned)(TARGET_PAGE_SIZE - (pc & ~TARGET_PAGE_MASK));
        unsigned avail = inpage < X86_MAX_INSN_LEN ? inpage : X86_MAX_INSN_LEN;
        fetch(s, pc, buf, avail);
        int len = x86_decode(&insn, buf, avail, mode);
        if (len == X86_DEC_MORE) {
            if (n > 0) {
                /* it crosses into the next page: it starts the next block, so
                 * that a fetch fault there is raised when it runs */
                s->eip = eip;
                x86_jmp_tb(s, 0, eip);
                break;
            }
            fetch(s, pc + avail, buf + avail, X86_MAX_INSN_LEN - avail);
            avail = X86_MAX_INSN_LEN;
            len = x86_decode(&insn, buf, avail, mode);
        }
        s->pc = pc;
        s->eip = eip;
        s->is_jmp = DISAS_NEXT;
        if (len > 0) {
            s->next_eip = (eip + (unsigned)len) & eip_mask;
            if (needs_dynamic_cc(&insn) && s->cc_op != CC_OP_DYNAMIC) {
                x86_sync_cc_op(s);
                s->cc_op = CC_OP_DYNAMIC;
            }
        } else {
            s->next_eip = (eip + 1) & eip_mask;
            memset(&insn, 0, sizeof(insn));
            insn.len = 1;
            memcpy(insn.bytes, buf, 1);
        }
        s->next_pc = s->cs_base + s->next_eip;
        ir_insn_start(f, pc, s->cc_op);
        if (n == 0 && (s->flags & HF_INHIBIT_IRQ)) {
            /* the interrupt shadow covers this one instruction */
            IRTemp h = ir_temp_new(f, IR_I32);
            ir_ld_env(f, IR_I32, h, X86_ENV_OFFSET(hflags), IR_MO_32);
            ir_op2i(f, IR_and, IR_I32, h, h, ~(uint32_t)HF_INHIBIT_IRQ);
            ir_st_env(f, IR_I32, h, X86_ENV_OFFSET(hflags), IR_MO_32);
        }
        n++;
        end_pc = pc + (unsigned)(len > 0 ? len : 1);
        if (log_asm) {
            char text[128];
            if (len > 0)
                x86_disas(text, sizeof(text), &insn, pc);
            else
                snprintf(text, sizeof(text), "(bad)");
            log_printf("0x%08" PRIx64 ":  %s\n", pc, text);
        }
        if (len == X86_DEC_TOOLONG) {
            x86_gen_exception(s, EXCP_GP, 0);
        } else if (len < 0) {
            x86_gen_exception(s, EXCP_UD, -1);
        } else if ((insn.flags & X86_F_INV64) && s->code64) {
            x86_gen_exception(s, EXCP_UD, -1);
        } else {
            translate_insn(s);
        }
        if (s->is_jmp == DISAS_EOB) {
            x86_gen_eob(s);
            break;
        }
        if (s->is_jmp == DISAS_EOB_RIP) {
            x86_sync_cc_op(s);
            exit_with_rip(s, false);
            break;
        }
        if (s->is_jmp != DISAS_NEXT)
            break;
        /* TF/shadow: after this one instruction, through exit_with_rip */
        if (s->flags & (HF_TF | HF_INHIBIT_IRQ)) {
            x86_gen_eob(s);
            break;
        }
        eip = s->next_eip;
        uint64_t npc = s->cs_base + eip;
        if (n >= max_insns || (npc & TARGET_PAGE_MASK) != (tb->pc & TARGET_PAGE_MASK) ||
            npc != end_pc || f->nops > 4000) {
            x86_jmp_tb(s, 0, eip);
            break;
        }
    }
    if (log_asm)
        log_printf("\n");
    tb->size = (uint32_t)(end_pc - tb->pc);
    tb->icount = (uint32_t)n;
    return f;
}
