/*
 * Integer helpers called from translated x86 code (helper.h): what is too
 * branchy or too rare to spell in IR. They read and write the CPU state in
 * env directly: 16/32-bit results keep bits 63..32 of a register except in
 * 64-bit code, where 32-bit writes zero-extend (as the translator does).
 */
#include "src/x86/helper.h"

#include "src/cpu.h"
#include "src/x86/cpu.h"
#include "src/x86/flags.h"

#define CPU(env) ((X86CPU *)(env))

/* ---- registers --------------------------------------------------------------------- */

static void set_reg(X86State *e, int r, unsigned size, uint64_t v)
{
    uint64_t *p = &e->regs[r];
    switch (size) {
    case 1: *p = (*p & ~0xffull) | (v & 0xff); break;
    case 2: *p = (*p & ~0xffffull) | (v & 0xffff); break;
    case 4:
        if (e->hflags & HF_CS64)
            *p = (uint32_t)v;
        else
            *p = (*p & ~0xffffffffull) | (uint32_t)v;
        break;
    default: *p = v; break;
    }
}

static uint32_t eflags_now(const X86State *e)
{
    return x86_flags_compute(e->cc_op, e->cc_dst, e->cc_src, e->cc_src2);
}

static void set_flags(X86State *e, uint32_t arith)
{
    e->cc_op = CC_OP_EFLAGS;
    e->cc_src = arith & CC_ARITH;
    e->cc_dst = 0;
    e->cc_src2 = 0;
}

static uint32_t szp8(uint8_t v)
{
    return (v == 0 ? CC_Z : 0) | (v & 0x80 ? CC_S : 0) | x86_parity(v);
}

/* ---- lazy flags ---------------------------------------------------------------------- */

static uint64_t h_cc_compute_all(void *env, uint64_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    (void)env;
    return x86_flags_compute((uint32_t)op, dst, src, src2);
}

/* ---- DIV / IDIV ------------------------------------------------------------------------ */

PEMU_NORETURN static void divide_error(void *env)
{
    x86_raise_exception(CPU(env), EXCP_DE);
}

/* 128 / 64 unsigned division; false if the quotient does not fit 64 bits. */
static bool udiv128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *q, uint64_t *r)
{
    if (hi >= d)
        return false;
    *q = divu128(hi, lo, d, r);
    return true;
}

static uint64_t do_div(void *env, uint64_t d, unsigned size)
{
    X86State *e = &CPU(env)->env;
    if (size == 1)
        d &= 0xff;
    else if (size < 8)
        d &= (1ull << (size * 8)) - 1;
    if (d == 0)
        divide_error(env);
    uint64_t q, r;
    switch (size) {
    case 1: {
        uint64_t n = e->regs[R_EAX] & 0xffff;
        q = n / d;
        r = n % d;
        if (q > 0xff)
            divide_error(env);
        set_reg(e, R_EAX, 2, (r << 8) | q);
        return 0;
    }
    case 2: case 4: {
        unsigned bits = size * 8;
        uint64_t m = (1ull << bits) - 1;
        uint64_t n = ((e->regs[R_EDX] & m) << bits) | (e->regs[R_EAX] & m);
        q = n / d;
        r = n % d;
        if (q > m)
            divide_error(env);
        break;
    }
    default:
        if (!udiv128(e->regs[R_EDX], e->regs[R_EAX], d, &q, &r))
            divide_error(env);
        break;
    }
    set_reg(e, R_EAX, size, q);
    set_reg(e, R_EDX, size, r);
    return 0;
}

static int64_t sext(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t m = 1ull << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)((v ^ m) - m);
}

static uint64_t do_idiv(void *env, uint64_t dv, unsigned size)
{
    X86State *e = &CPU(env)->env;
    unsigned bits = size * 8;
    int64_t d = sext(dv, bits);
    if (d == 0)
        divide_error(env);
    if (size == 8) {
        /* 128-bit dividend: divide magnitudes, then fix the signs */
        uint64_t hi = e->regs[R_EDX], lo = e->regs[R_EAX];
        bool nn = (int64_t)hi < 0, nd = d < 0;
        if (nn) {
            lo = ~lo + 1;
            hi = ~hi + (lo == 0);
        }
        uint64_t ud = nd ? (uint64_t)0 - (uint64_t)d : (uint64_t)d, q, r;
        if (!udiv128(hi, lo, ud, &q, &r))
            divide_error(env);
        bool neg = nn != nd;
        if (neg ? q > (1ull << 63) : q > (uint64_t)INT64_MAX)
            divide_error(env);
        set_reg(e, R_EAX, 8, neg ? (uint64_t)0 - q : q);
        set_reg(e, R_EDX, 8, nn ? (uint64_t)0 - r : r);
        return 0;
    }
    int64_t n;
    if (size == 1)
        n = sext(e->regs[R_EAX], 16);
    else
        n = (int64_t)(((uint64_t)sext(e->regs[R_EDX], bits) << bits) |
                      (e->regs[R_EAX] & ((1ull << bits) - 1)));
    if (n == INT64_MIN && d == -1)
        divide_error(env);
    int64_t q = n / d, r = n % d;
    if (q != sext((uint64_t)q, bits))
        divide_error(env);
    if (size == 1) {
        set_reg(e, R_EAX, 2, ((uint64_t)(r & 0xff) << 8) | (uint64_t)(q & 0xff));
        return 0;
    }
    set_reg(e, R_EAX, size, (uint64_t)q);
    set_reg(e, R_EDX, size, (uint64_t)r);
    return 0;
}

static uint64_t h_divb(void *env, uint64_t d) { return do_div(env, d, 1); }
static uint64_t h_divw(void *env, uint64_t d) { return do_div(env, d, 2); }
static uint64_t h_divl(void *env, uint64_t d) { return do_div(env, d, 4); }
static uint64_t h_divq(void *env, uint64_t d) { return do_div(env, d, 8); }
static uint64_t h_idivb(void *env, uint64_t d) { return do_idiv(env, d, 1); }
static uint64_t h_idivw(void *env, uint64_t d) { return do_idiv(env, d, 2); }
static uint64_t h_idivl(void *env, uint64_t d) { return do_idiv(env, d, 4); }
static uint64_t h_idivq(void *env, uint64_t d) { return do_idiv(env, d, 8); }

/* ---- BCD (SDM pseudo-code of each instruction) ------------------------------------------ */

static uint64_t h_daa(void *env)
{
    X86State *e = &CPU(env)->env;
    uint32_t fl = eflags_now(e);
    unsigned al = e->regs[R_EAX] & 0xff, old_al = al;
    bool old_cf = fl & CC_C, cf = false, af = false;
    if ((al & 0xf) > 9 || (fl & CC_A)) {
        cf = old_cf || al + 6 > 0xff;
        al = (al + 6) & 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al + 0x60) & 0xff;
        cf = true;
    } else {
        cf = false;
    }
    set_reg(e, R_EAX, 1, al);
    set_flags(e, (fl & CC_O) | (cf ? CC_C : 0) | (af ? CC_A : 0) | szp8((uint8_t)al));
    return 0;
}

static uint64_t h_das(void *env)
{
    X86State *e = &CPU(env)->env;
    uint32_t fl = eflags_now(e);
    unsigned al = e->regs[R_EAX] & 0xff, old_al = al;
    bool old_cf = fl & CC_C, cf = false, af = false;
    if ((al & 0xf) > 9 || (fl & CC_A)) {
        cf = old_cf || al < 6;
        al = (al - 6) & 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al - 0x60) & 0xff;
        cf = true;
    }
    set_reg(e, R_EAX, 1, al);
    set_flags(e, (fl & CC_O) | (cf ? CC_C : 0) | (af ? CC_A : 0) | szp8((uint8_t)al));
    return 0;
}

static uint64_t h_aaa(void *env)
{
    X86State *e = &CPU(env)->env;
    uint32_t fl = eflags_now(e);
    unsigned ax = e->regs[R_EAX] & 0xffff;
    bool adj = (ax & 0xf) > 9 || (fl & CC_A);
    if (adj)
        ax = (ax + 0x106) & 0xffff;
    ax &= 0xff0f;
    set_reg(e, R_EAX, 2, ax);
    set_flags(e, (fl & ~(uint32_t)(CC_A | CC_C)) | (adj ? CC_A | CC_C : 0));
    return 0;
}

static uint64_t h_aas(void *env)
{
    X86State *e = &CPU(env)->env;
    uint32_t fl = eflags_now(e);
    unsigned ax = e->regs[R_EAX] & 0xffff;
    bool adj = (ax & 0xf) > 9 || (fl & CC_A);
    if (adj) {
        ax = (ax - 6) & 0xffff;
        ax = (ax - 0x100) & 0xffff;
    }
    ax &= 0xff0f;
    set_reg(e, R_EAX, 2, ax);
    set_flags(e, (fl & ~(uint32_t)(CC_A | CC_C)) | (adj ? CC_A | CC_C : 0));
    return 0;
}

static uint64_t h_aam(void *env, uint64_t base)
{
    X86State *e = &CPU(env)->env;
    unsigned al = e->regs[R_EAX] & 0xff;
    base &= 0xff;
    if (!base)
        divide_error(env);
    unsigned ah = al / (unsigned)base;
    al %= (unsigned)base;
    set_reg(e, R_EAX, 2, (ah << 8) | al);
    set_flags(e, szp8((uint8_t)al));
    return 0;
}

static uint64_t h_aad(void *env, uint64_t base)
{
    X86State *e = &CPU(env)->env;
    unsigned ax = e->regs[R_EAX] & 0xffff;
    unsigned al = ((ax & 0xff) + (ax >> 8) * ((unsigned)base & 0xff)) & 0xff;
    set_reg(e, R_EAX, 2, al);
    set_flags(e, szp8((uint8_t)al));
    return 0;
}

/* ---- RCL / RCR ----------------------------------------------------------------------------- */

/* mode: log2 size | 4 for RCL. Returns the result, *flags the new EFLAGS bits. */
static uint64_t rotc(uint64_t v, uint64_t count, uint64_t mode, uint32_t fl, uint32_t *out)
{
    unsigned bits = 8u << (mode & 3);
    bool left = mode & 4;
    uint64_t msb = 1ull << (bits - 1);
    uint64_t m = bits == 64 ? ~0ull : (msb << 1) - 1;
    unsigned c = (unsigned)count, n = bits < 32 ? c % (bits + 1) : c;
    bool cf = fl & CC_C;
    v &= m;
    *out = fl;
    if (c == 0)
        return v;
    bool of = false;
    if (!left)
        of = ((v & msb) != 0) != cf;   /* RCR: OF from the value before */
    for (unsigned i = 0; i < n; i++) {
        bool t;
        if (left) {
            t = v & msb;
            v = ((v << 1) | cf) & m;
        } else {
            t = v & 1;
            v = (v >> 1) | (cf ? msb : 0);
        }
        cf = t;
    }
    if (left)
        of = ((v & msb) != 0) != cf;
    *out = (fl & ~(uint32_t)(CC_C | CC_O)) | (cf ? CC_C : 0) | (of ? CC_O : 0);
    return v;
}

static uint64_t h_rotc(void *env, uint64_t v, uint64_t count, uint64_t mode, uint64_t fl)
{
    uint32_t out;
    (void)env;
    return rotc(v, count, mode, (uint32_t)fl, &out);
}

static uint64_t h_rotc_flags(void *env, uint64_t v, uint64_t count, uint64_t mode, uint64_t fl)
{
    uint32_t out;
    (void)env;
    rotc(v, count, mode, (uint32_t)fl, &out);
    return out;
}

/* ---- BOUND ------------------------------------------------------------------------------------ */

static uint64_t h_bound(void *env, uint64_t idx, uint64_t lo, uint64_t hi, uint64_t lg)
{
    unsigned bits = 8u << lg;
    int64_t i = sext(idx, bits), l = sext(lo, bits), h = sext(hi, bits);
    if (i < l || i > h)
        x86_raise_exception(CPU(env), EXCP_BR);
    return 0;
}

/* ---- EFLAGS ------------------------------------------------------------------------------------ */

static uint64_t h_read_eflags(void *env)
{
    /* the PUSHF image has VM and RF clear (SDM PUSHF) */
    return x86_eflags_get(&CPU(env)->env) & ~(uint32_t)(EF_VM | EF_RF);
}

static uint64_t h_popf(void *env, uint64_t value, uint64_t osize)
{
    X86State *e = &CPU(env)->env;
    uint32_t hf = e->hflags;
    int cpl = (int)(hf & HF_CPL_MASK), iopl = (int)((hf & HF_IOPL_MASK) >> HF_IOPL_SHIFT);
    uint32_t mask = CC_ARITH | EF_DF | EF_TF | EF_NT;
    if (osize >= 4)
        mask |= EF_AC | EF_ID;
    if (!(hf & HF_PE) || cpl == 0)
        mask |= EF_IOPL | EF_IF;
    else if ((hf & HF_VM) || cpl <= iopl)
        mask |= EF_IF;
    if (osize == 2)
        mask &= 0xffff;
    x86_eflags_set(e, (uint32_t)value, mask);
    x86_update_hflags(e);
    return 0;
}

/* ---- exceptions ------------------------------------------------------------------------------------ */

static uint64_t h_raise(void *env, uint64_t excp, uint64_t err)
{
    x86_raise_exception_err(CPU(env), (int)excp, (int32_t)(uint32_t)err);
}

static uint64_t h_raise_int(void *env, uint64_t intno, uint64_t next)
{
    x86_raise_interrupt(CPU(env), (int)intno, next);
}

static uint64_t h_into(void *env, uint64_t of, uint64_t next)
{
    if (of)
        x86_raise_interrupt(CPU(env), EXCP_OF, next);
    return 0;
}

static uint64_t h_single_step(void *env)
{
    X86CPU *cpu = CPU(env);
    /* a trap: env.rip already holds the next instruction, nothing to restore */
    cpu->env.dr[6] |= 1u << 14; /* BS */
    cpu->env.error_code = -1;
    cpu->env.exception_is_int = 0;
    cpu->parent.exception_index = EXCP_DB;
    cpu_loop_exit_norestore(&cpu->parent);
}

static uint64_t h_check_align(void *env, uint64_t addr, uint64_t size)
{
    unsigned n = (unsigned)size & 0xffff;
    if (addr & (n - 1)) {
        if (size & X86_ALIGN_GP)
            x86_raise_exception_err(CPU(env), EXCP_GP, 0);
        x86_raise_exception_err(CPU(env), EXCP_AC, 0);
    }
    return 0;
}

/* Data segment limit (SDM 5.3): expand-up [0, limit], expand-down
 * (limit, 0xffff or 0xffffffff]; a null selector faults too. */
static uint64_t h_check_limit(void *env, uint64_t seg, uint64_t off, uint64_t size)
{
    X86State *e = &CPU(env)->env;
    const X86Segment *sg = &e->segs[seg];
    uint64_t end = off + size - 1;
    bool bad;
    if (seg != R_CS && (sg->selector & ~3u) == 0)
        bad = true;
    else if ((sg->flags & (DESC_CS_MASK | DESC_E_MASK)) == DESC_E_MASK)
        bad = off <= sg->limit || end > ((sg->flags & DESC_B_MASK) ? 0xffffffffull : 0xffffull);
    else
        bad = end > sg->limit;
    if (bad)
        x86_raise_exception_err(CPU(env), seg == R_SS ? EXCP_SS : EXCP_GP, 0);
    return 0;
}

/* ---- the descriptors ------------------------------------------------------------------------------------ */

#define RD IR_CALL_NO_WRITE_GLOBALS
#define HI(name, fn, n, ret, fl) \
    const IRHelperInfo x86_hi_##name = { #name, { .f##n = fn }, n, ret, fl };
HI(cc_compute_all, h_cc_compute_all, 4, IR_I32 + 1, IR_CALL_PURE)
HI(daa, h_daa, 0, 0, IR_CALL_NO_RAISE)
HI(das, h_das, 0, 0, IR_CALL_NO_RAISE)
HI(aaa, h_aaa, 0, 0, IR_CALL_NO_RAISE)
HI(aas, h_aas, 0, 0, IR_CALL_NO_RAISE)
HI(aam, h_aam, 1, 0, 0)
HI(aad, h_aad, 1, 0, IR_CALL_NO_RAISE)
HI(rotc, h_rotc, 4, IR_I64 + 1, IR_CALL_PURE)
HI(rotc_flags, h_rotc_flags, 4, IR_I32 + 1, IR_CALL_PURE)
HI(bound, h_bound, 4, 0, RD)
HI(read_eflags, h_read_eflags, 0, IR_I32 + 1, RD | IR_CALL_NO_RAISE | IR_CALL_NO_SIDE_EFFECTS)
HI(popf, h_popf, 2, 0, IR_CALL_NO_RAISE)
HI(raise, h_raise, 2, 0, RD)
HI(raise_int, h_raise_int, 2, 0, RD)
HI(into, h_into, 2, 0, RD)
HI(single_step, h_single_step, 0, 0, RD)
HI(check_align, h_check_align, 2, 0, RD)
HI(check_limit, h_check_limit, 3, 0, RD)
#undef HI

#define DIVHI(name, fn) { #name, { .f1 = fn }, 1, 0, 0 }
const IRHelperInfo x86_hi_div[4] = {
    DIVHI(divb, h_divb), DIVHI(divw, h_divw), DIVHI(divl, h_divl), DIVHI(divq, h_divq),
};
const IRHelperInfo x86_hi_idiv[4] = {
    DIVHI(idivb, h_idivb), DIVHI(idivw, h_idivw), DIVHI(idivl, h_idivl), DIVHI(idivq, h_idivq),
};
