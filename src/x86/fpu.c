/*
 * The x87 FPU on X86State (see fpu.h): register stack, tags, status and
 * control words, exceptions and their masks, memory formats, environment
 * images, MMX aliasing and MXCSR. The arithmetic is softfloat.c's.
 *
 * Rules implemented (Intel SDM Vol. 1 ch. 8):
 * - Stack fault: IE and SF set; C1 = 1 for overflow (push onto a full
 *   register), 0 for underflow (an empty operand). Masked, the destination
 *   gets the real indefinite; unmasked, nothing changes.
 * - An unmasked IE/DE/ZE leaves destination and TOP unchanged; an unmasked
 *   OE/UE stores the exponent-wrapped result (softfloat does the wrap);
 *   either sets ES and B, so the next waiting instruction raises #MF.
 * - C1 is "rounded up" after an inexact result, else 0.
 */
#include "src/x86/fpu.h"
#include "src/softmmu.h"
#include "ir/ir.h"

#define ST_IDX(s, n) (((s)->fpstt + (unsigned)(n)) & 7)

static const FloatX80 x80_one = { 0x8000000000000000ull, 0x3fff };
static const FloatX80 x80_zero = { 0, 0 };

static FloatX80 get_st(const X86State *s, int n)
{
    const X86Float80 *r = &s->fpregs[ST_IDX(s, n)];
    FloatX80 v = { r->mant, r->sexp };
    return v;
}

static void set_st(X86State *s, int n, FloatX80 v)
{
    unsigned i = ST_IDX(s, n);
    s->fpregs[i].mant = v.mant;
    s->fpregs[i].sexp = v.sexp;
    s->fptags[i] = 0;
}

static int empty(const X86State *s, int n)
{
    return s->fptags[ST_IDX(s, n)] != 0;
}

static void set_c1(X86State *s, int v)
{
    s->fpus = (uint16_t)((s->fpus & ~FSW_C1) | (v ? FSW_C1 : 0));
}

static void set_cc(X86State *s, uint16_t cc) /* C0, C2, C3 */
{
    s->fpus = (uint16_t)((s->fpus & ~(FSW_C0 | FSW_C2 | FSW_C3)) | cc);
}

static void update_es(X86State *s)
{
    if (s->fpus & ~s->fpuc & 0x3f)
        s->fpus |= FSW_ES | FSW_B;
    else
        s->fpus &= (uint16_t)~(FSW_ES | FSW_B);
}

static void raise_flags(X86State *s, unsigned flags)
{
    s->fpus |= (uint16_t)(flags & 0x7f);
    update_es(s);
}

SfStatus fpu_status(const X86State *s)
{
    static const uint8_t pcs[4] = { 24, 64, 53, 64 }; /* PC 01 is reserved */
    SfStatus st = { 0 };
    st.rmode = (uint8_t)((s->fpuc >> FCW_RC_SHIFT) & 3);
    st.prec = pcs[(s->fpuc >> FCW_PC_SHIFT) & 3];
    st.mask = (uint8_t)(s->fpuc & 0x3f);
    return st;
}

/* Merge a softfloat result's flags; returns 1 if it must not be stored. */
static int commit(X86State *s, const SfStatus *st)
{
    raise_flags(s, st->flags);
    set_c1(s, st->c1);
    return (st->flags & ~st->mask & (SF_IE | SF_DE | SF_ZE)) != 0;
}

static int ie_masked(const X86State *s)
{
    return s->fpuc & FSW_IE;
}

/* Stack underflow: returns 1 if masked (the caller stores the indefinite). */
static int stack_underflow(X86State *s)
{
    raise_flags(s, FSW_IE | FSW_SF);
    set_c1(s, 0);
    return ie_masked(s);
}

static int stack_overflow(X86State *s)
{
    raise_flags(s, FSW_IE | FSW_SF);
    set_c1(s, 1);
    return ie_masked(s);
}

static void pop(X86State *s)
{
    s->fptags[ST_IDX(s, 0)] = 1;
    s->fpstt = (s->fpstt + 1) & 7;
}

static void push_raw(X86State *s, FloatX80 v)
{
    s->fpstt = (s->fpstt - 1) & 7;
    set_st(s, 0, v);
}

/* Room for a push? Handles the overflow fault; returns 0 if nothing may be pushed. */
static int push_check(X86State *s)
{
    if (!empty(s, 7)) {
        if (stack_overflow(s))
            push_raw(s, sf_x80_default_nan);
        return 0;
    }
    return 1;
}

/* ---- status and control ---------------------------------------------------- */

uint16_t fpu_get_fsw(const X86State *s)
{
    return (uint16_t)((s->fpus & ~FSW_TOP) | ((s->fpstt & 7) << FSW_TOP_SHIFT));
}

void fpu_set_fsw(X86State *s, uint16_t fsw)
{
    s->fpstt = (fsw >> FSW_TOP_SHIFT) & 7;
    s->fpus = fsw & (uint16_t)~FSW_TOP;
    update_es(s);
}

void fpu_set_fcw(X86State *s, uint16_t fcw)
{
    s->fpuc = (uint16_t)((fcw & 0x1f3f) | 0x40);
    update_es(s);
}

void fpu_init(X86State *s)
{
    s->fpuc = 0x037f;
    s->fpus = 0;
    s->fpstt = 0;
    for (int i = 0; i < 8; i++)
        s->fptags[i] = 1;
    s->fpop = 0;
    s->fpip = s->fpdp = 0;
    s->fpcs = s->fpds = 0;
}

void fpu_clex(X86State *s)
{
    s->fpus &= (uint16_t)~(0xff | FSW_B);
}

static unsigned tag_of(FloatX80 v)
{
    switch (sf_x80_class(v)) {
    case SF_CLASS_NORMAL: return 0;
    case SF_CLASS_ZERO: return 1;
    default: return 2;
    }
}

uint16_t fpu_get_ftw(const X86State *s)
{
    unsigned ftw = 0;
    for (int i = 0; i < 8; i++) {
        FloatX80 v = { s->fpregs[i].mant, s->fpregs[i].sexp };
        ftw |= (s->fptags[i] ? 3u : tag_of(v)) << (2 * i);
    }
    return (uint16_t)ftw;
}

void fpu_set_ftw(X86State *s, uint16_t ftw)
{
    for (int i = 0; i < 8; i++)
        s->fptags[i] = ((ftw >> (2 * i)) & 3) == 3;
}

/* ---- loads -------------------------------------------------------------------- */

static void load_value(X86State *s, FloatX80 (*conv)(uint64_t, SfStatus *), uint64_t v)
{
    set_c1(s, 0);
    if (!push_check(s))
        return;
    SfStatus st = fpu_status(s);
    FloatX80 r = conv(v, &st);
    commit(s, &st);
    if (!(st.flags & ~st.mask & SF_IE)) /* an unmasked DE still loads */
        push_raw(s, r);
}

static FloatX80 conv_f32(uint64_t v, SfStatus *st) { return sf_x80_load_f32((uint32_t)v, st); }
static FloatX80 conv_f64(uint64_t v, SfStatus *st) { return sf_x80_load_f64(v, st); }

void fpu_fld_f32(X86State *s, uint32_t v) { load_value(s, conv_f32, v); }
void fpu_fld_f64(X86State *s, uint64_t v) { load_value(s, conv_f64, v); }

static FloatX80 f80_from_bytes(const uint8_t m[10])
{
    FloatX80 v = { ld64_le(m), ld16_le(m + 8) };
    return v;
}

static void f80_to_bytes(uint8_t m[10], FloatX80 v)
{
    st64_le(m, v.mant);
    st16_le(m + 8, v.sexp);
}

void fpu_fld_f80(X86State *s, const uint8_t m[10])
{
    set_c1(s, 0);
    if (push_check(s))
        push_raw(s, f80_from_bytes(m));
}

void fpu_fild(X86State *s, int64_t v)
{
    set_c1(s, 0);
    if (push_check(s))
        push_raw(s, sf_x80_from_int(v));
}

void fpu_fbld(X86State *s, const uint8_t m[10])
{
    int64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (m[i] >> 4) * 10 + (m[i] & 15);
    FloatX80 r = sf_x80_from_int(v);
    if (m[9] & 0x80)
        r.sexp |= 0x8000;
    set_c1(s, 0);
    if (push_check(s))
        push_raw(s, r);
}

void fpu_fld_st(X86State *s, int i)
{
    set_c1(s, 0);
    FloatX80 v = get_st(s, i);
    if (empty(s, i)) { /* underflow wins over overflow (C1 = 0) */
        if (stack_underflow(s))
            push_raw(s, sf_x80_default_nan);
        return;
    }
    if (push_check(s))
        push_raw(s, v);
}

void fpu_fld_const(X86State *s, int which)
{
    static const int map[] = { 0, SF_CONST_L2T, SF_CONST_L2E, SF_CONST_PI, SF_CONST_LG2,
                               SF_CONST_LN2, 0 };
    set_c1(s, 0);
    if (!push_check(s))
        return;
    if (which == FPU_CONST_1 || which == FPU_CONST_Z) {
        push_raw(s, which == FPU_CONST_1 ? x80_one : x80_zero);
        return;
    }
    SfStatus st = fpu_status(s);
    push_raw(s, sf_x80_const(map[which], &st));
}

/* ---- stores ------------------------------------------------------------------- */

/* Common head of the stores: ST0 empty -> underflow. Returns 0 (nothing to
 * do but maybe store the indefinite: *indef) or 1 (proceed). */
static int store_head(X86State *s, int *indef)
{
    set_c1(s, 0);
    *indef = 0;
    if (empty(s, 0)) {
        *indef = stack_underflow(s);
        return 0;
    }
    return 1;
}

/* Unmasked IE, OE or UE: a memory destination is not written (nor popped). */
static int store_blocked(const SfStatus *st)
{
    return (st->flags & ~st->mask & (SF_IE | SF_OE | SF_UE)) != 0;
}

int fpu_fst_f32(X86State *s, uint32_t *out, int pop_after)
{
    int indef;
    if (!store_head(s, &indef)) {
        if (indef) {
            *out = 0xffc00000u;
            if (pop_after)
                pop(s);
        }
        return indef;
    }
    SfStatus st = fpu_status(s);
    *out = sf_x80_to_f32(get_st(s, 0), &st);
    commit(s, &st);
    if (store_blocked(&st))
        return 0;
    if (pop_after)
        pop(s);
    return 1;
}

int fpu_fst_f64(X86State *s, uint64_t *out, int pop_after)
{
    int indef;
    if (!store_head(s, &indef)) {
        if (indef) {
            *out = 0xfff8000000000000ull;
            if (pop_after)
                pop(s);
        }
        return indef;
    }
    SfStatus st = fpu_status(s);
    *out = sf_x80_to_f64(get_st(s, 0), &st);
    commit(s, &st);
    if (store_blocked(&st))
        return 0;
    if (pop_after)
        pop(s);
    return 1;
}

int fpu_fst_f80(X86State *s, uint8_t out[10], int pop_after)
{
    int indef;
    if (!store_head(s, &indef)) {
        if (indef) {
            f80_to_bytes(out, sf_x80_default_nan);
            if (pop_after)
                pop(s);
        }
        return indef;
    }
    f80_to_bytes(out, get_st(s, 0));
    if (pop_after)
        pop(s);
    return 1;
}

int fpu_fist(X86State *s, int bits, int truncate, int pop_after, int64_t *out)
{
    int indef;
    if (!store_head(s, &indef)) {
        if (indef) {
            *out = (int64_t)(~0ull << (bits - 1));
            if (pop_after)
                pop(s);
        }
        return indef;
    }
    SfStatus st = fpu_status(s);
    *out = sf_x80_to_int(get_st(s, 0), bits, truncate, &st);
    if (commit(s, &st))
        return 0;
    if (pop_after)
        pop(s);
    return 1;
}

int fpu_fbstp(X86State *s, uint8_t out[10])
{
    static const uint8_t indefinite[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    int indef;
    if (!store_head(s, &indef)) {
        if (indef) {
            memcpy(out, indefinite, 10);
            pop(s);
        }
        return indef;
    }
    SfStatus st = fpu_status(s);
    FloatX80 a = get_st(s, 0);
    int64_t v = sf_x80_to_int(a, 64, 0, &st);
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if ((st.flags & SF_IE) || mag > 999999999999999999ull) {
        st.flags = SF_IE; /* out of the 18-digit range: invalid, no PE */
        st.c1 = 0;
    }
    if (commit(s, &st))
        return 0;
    if (st.flags & SF_IE) {
        memcpy(out, indefinite, 10);
    } else {
        for (int i = 0; i < 9; i++) {
            out[i] = (uint8_t)((mag % 10) | ((mag / 10 % 10) << 4));
            mag /= 100;
        }
        out[9] = (a.sexp & 0x8000) ? 0x80 : 0;
    }
    pop(s);
    return 1;
}

void fpu_fst_st(X86State *s, int i, int pop_after)
{
    set_c1(s, 0);
    if (empty(s, 0)) {
        if (!stack_underflow(s))
            return;
        set_st(s, i, sf_x80_default_nan);
    } else {
        set_st(s, i, get_st(s, 0));
    }
    if (pop_after)
        pop(s);
}

/* ---- arithmetic ------------------------------------------------------------------ */

static FloatX80 do_arith(int op, FloatX80 a, FloatX80 b, SfStatus *st)
{
    switch (op) {
    case FPU_ADD: return sf_x80_add(a, b, st);
    case FPU_MUL: return sf_x80_mul(a, b, st);
    case FPU_SUB: return sf_x80_sub(a, b, st);
    case FPU_SUBR: return sf_x80_sub(b, a, st);
    case FPU_DIV: return sf_x80_div(a, b, st);
    default: return sf_x80_div(b, a, st);
    }
}

void fpu_arith_st(X86State *s, int op, int dst, int src, int pop_after)
{
    set_c1(s, 0);
    if (empty(s, dst) || empty(s, src)) {
        if (!stack_underflow(s))
            return;
        set_st(s, dst, sf_x80_default_nan);
    } else {
        SfStatus st = fpu_status(s);
        FloatX80 r = do_arith(op, get_st(s, dst), get_st(s, src), &st);
        if (commit(s, &st))
            return;
        set_st(s, dst, r);
    }
    if (pop_after)
        pop(s);
}

/* ST0 op v, where converting v already raised flags into *st. */
static void arith_value(X86State *s, int op, FloatX80 v, SfStatus *st)
{
    set_c1(s, 0);
    if (empty(s, 0)) {
        if (stack_underflow(s))
            set_st(s, 0, sf_x80_default_nan);
        return;
    }
    FloatX80 r = do_arith(op, get_st(s, 0), v, st);
    if (!commit(s, st))
        set_st(s, 0, r);
}

void fpu_arith_f32(X86State *s, int op, uint32_t v)
{
    SfStatus st = fpu_status(s);
    FloatX80 x = sf_x80_from_f32(v, &st);
    arith_value(s, op, x, &st);
}

void fpu_arith_f64(X86State *s, int op, uint64_t v)
{
    SfStatus st = fpu_status(s);
    FloatX80 x = sf_x80_from_f64(v, &st);
    arith_value(s, op, x, &st);
}

void fpu_arith_int(X86State *s, int op, int64_t v)
{
    SfStatus st = fpu_status(s);
    arith_value(s, op, sf_x80_from_int(v), &st);
}

/* ---- compares --------------------------------------------------------------------- */

static const uint16_t rel_cc[4] = { FSW_C0, FSW_C3, 0, FSW_C0 | FSW_C2 | FSW_C3 };

/* Compare ST0 with b (empty_b: b's register is empty); sets C0/C2/C3 (and
 * returns the relation) and pops. */
static int compare(X86State *s, FloatX80 b, int empty_b, int signaling, int pops, int mem_den)
{
    int rel;
    set_c1(s, 0);
    if (empty(s, 0) || empty_b) {
        /* unordered even when unmasked; then nothing is popped */
        if (!stack_underflow(s))
            pops = 0;
        rel = SF_UN;
    } else {
        SfStatus st = fpu_status(s);
        st.mem_den = (uint8_t)mem_den;
        rel = sf_x80_compare(get_st(s, 0), b, signaling, &st);
        raise_flags(s, st.flags);
        if (st.flags & ~st.mask & (SF_IE | SF_DE))
            pops = 0; /* unmasked invalid or denormal: the stack is left alone */
    }
    set_cc(s, rel_cc[rel]);
    while (pops--)
        pop(s);
    return rel;
}

void fpu_fcom_st(X86State *s, int i, int unordered, int pops)
{
    compare(s, get_st(s, i), empty(s, i), !unordered, pops, 0);
}

void fpu_fcom_f32(X86State *s, uint32_t v, int pops)
{
    SfStatus st = fpu_status(s);
    FloatX80 x = sf_x80_from_f32(v, &st);
    compare(s, x, 0, 1, pops, st.mem_den);
}

void fpu_fcom_f64(X86State *s, uint64_t v, int pops)
{
    SfStatus st = fpu_status(s);
    FloatX80 x = sf_x80_from_f64(v, &st);
    compare(s, x, 0, 1, pops, st.mem_den);
}

void fpu_ficom(X86State *s, int64_t v, int pops)
{
    compare(s, sf_x80_from_int(v), 0, 1, pops, 0);
}

uint32_t fpu_fcomi(X86State *s, int i, int unordered, int pop_after)
{
    static const uint32_t fl[4] = { CC_C, CC_Z, 0, CC_Z | CC_P | CC_C };
    /* FCOMI leaves C0/C2/C3 and, short of a stack fault, C1 alone */
    uint16_t cc = s->fpus & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3);
    int fault = empty(s, 0) || empty(s, i);
    int rel = compare(s, get_st(s, i), empty(s, i), !unordered, pop_after, 0);
    if (!fault)
        set_c1(s, (cc & FSW_C1) != 0);
    set_cc(s, cc & (FSW_C0 | FSW_C2 | FSW_C3));
    return fl[rel];
}

void fpu_ftst(X86State *s)
{
    compare(s, x80_zero, 0, 1, 0, 0);
}

void fpu_fxam(X86State *s)
{
    FloatX80 v = get_st(s, 0);
    int c = empty(s, 0) ? SF_CLASS_EMPTY : sf_x80_class(v);
    set_c1(s, v.sexp >> 15);
    set_cc(s, (uint16_t)(((c & 4) ? FSW_C3 : 0) | ((c & 2) ? FSW_C2 : 0) | ((c & 1) ? FSW_C0 : 0)));
}

/* ---- register operations -------------------------------------------------------------- */

/* ST0 must be valid; masked underflow puts the indefinite there. Returns 1 to proceed. */
static int need_st0(X86State *s)
{
    set_c1(s, 0);
    if (!empty(s, 0))
        return 1;
    if (stack_underflow(s))
        set_st(s, 0, sf_x80_default_nan);
    return 0;
}

void fpu_fchs(X86State *s)
{
    if (need_st0(s)) {
        FloatX80 v = get_st(s, 0);
        v.sexp ^= 0x8000;
        set_st(s, 0, v);
    }
}

void fpu_fabs(X86State *s)
{
    if (need_st0(s)) {
        FloatX80 v = get_st(s, 0);
        v.sexp &= 0x7fff;
        set_st(s, 0, v);
    }
}

void fpu_fxch(X86State *s, int i)
{
    set_c1(s, 0);
    if (empty(s, 0) || empty(s, i)) {
        if (!stack_underflow(s))
            return;
        if (empty(s, 0))
            set_st(s, 0, sf_x80_default_nan);
        if (empty(s, i))
            set_st(s, i, sf_x80_default_nan);
    }
    FloatX80 a = get_st(s, 0), b = get_st(s, i);
    set_st(s, 0, b);
    set_st(s, i, a);
}

/* FCMOVcc: an empty ST(0) or ST(i) is a stack underflow whatever the
 * condition (SDM Vol. 2 FCMOVcc, #IS); masked, ST(0) gets the indefinite. */
void fpu_fcmov(X86State *s, int i, int cond)
{
    /* C1 is cleared only by a stack fault (the hardware leaves it otherwise) */
    if (empty(s, 0) || empty(s, i)) {
        if (stack_underflow(s))
            set_st(s, 0, sf_x80_default_nan);
        return;
    }
    if (cond)
        set_st(s, 0, get_st(s, i));
}

void fpu_ffree(X86State *s, int i, int pop_after)
{
    set_c1(s, 0);
    s->fptags[ST_IDX(s, i)] = 1;
    if (pop_after)
        pop(s);
}

void fpu_fincstp(X86State *s)
{
    set_c1(s, 0);
    s->fpstt = (s->fpstt + 1) & 7;
}

void fpu_fdecstp(X86State *s)
{
    set_c1(s, 0);
    s->fpstt = (s->fpstt - 1) & 7;
}

static void unary(X86State *s, FloatX80 (*fn)(FloatX80, SfStatus *))
{
    if (!need_st0(s))
        return;
    SfStatus st = fpu_status(s);
    FloatX80 r = fn(get_st(s, 0), &st);
    if (!commit(s, &st))
        set_st(s, 0, r);
}

void fpu_fsqrt(X86State *s) { unary(s, sf_x80_sqrt); }
void fpu_frndint(X86State *s) { unary(s, sf_x80_round_int); }
void fpu_f2xm1(X86State *s) { unary(s, sf_x80_f2xm1); }

/* ST0 = fn(ST0, ST1) (FSCALE) or ST1 = fn(ST1, ST0) then pop (FPATAN, FYL2X...) */
static void binary(X86State *s, FloatX80 (*fn)(FloatX80, FloatX80, SfStatus *), int into_st1)
{
    int d = into_st1 ? 1 : 0;
    set_c1(s, 0);
    if (empty(s, 0) || empty(s, 1)) {
        if (!stack_underflow(s))
            return;
        set_st(s, d, sf_x80_default_nan);
    } else {
        SfStatus st = fpu_status(s);
        FloatX80 r = fn(get_st(s, d), get_st(s, 1 - d), &st);
        if (commit(s, &st))
            return;
        set_st(s, d, r);
    }
    if (into_st1)
        pop(s);
}

void fpu_fscale(X86State *s) { binary(s, sf_x80_scale, 0); }
void fpu_fpatan(X86State *s) { binary(s, sf_x80_atan2, 1); }
void fpu_fyl2x(X86State *s) { binary(s, sf_x80_yl2x, 1); }
void fpu_fyl2xp1(X86State *s) { binary(s, sf_x80_yl2xp1, 1); }

void fpu_fxtract(X86State *s)
{
    set_c1(s, 0);
    if (empty(s, 0)) {
        if (stack_underflow(s)) {
            set_st(s, 0, sf_x80_default_nan);
            push_raw(s, sf_x80_default_nan);
        }
        return;
    }
    if (!empty(s, 7)) {
        if (stack_overflow(s)) {
            set_st(s, 0, sf_x80_default_nan);
            push_raw(s, sf_x80_default_nan);
        }
        return;
    }
    SfStatus st = fpu_status(s);
    FloatX80 e, m;
    sf_x80_extract(get_st(s, 0), &e, &m, &st);
    if (commit(s, &st))
        return;
    set_st(s, 0, e);
    push_raw(s, m);
}

void fpu_fprem(X86State *s, int ieee)
{
    set_c1(s, 0);
    s->fpus &= (uint16_t)~FSW_C2;
    if (empty(s, 0) || empty(s, 1)) {
        if (stack_underflow(s))
            set_st(s, 0, sf_x80_default_nan);
        return;
    }
    SfStatus st = fpu_status(s);
    unsigned q;
    int partial;
    FloatX80 r = sf_x80_rem(get_st(s, 0), get_st(s, 1), ieee, &q, &partial, &st);
    if (commit(s, &st))
        return;
    set_st(s, 0, r);
    if (q == SF_REM_NO_QUOTIENT) { /* NaN result: C2 = C1 = 0, C0 and C3 kept */
        s->fpus &= (uint16_t)~(FSW_C1 | FSW_C2);
        return;
    }
    set_c1(s, q & 1);
    set_cc(s, (uint16_t)(((q & 4) ? FSW_C0 : 0) | ((q & 2) ? FSW_C3 : 0) | (partial ? FSW_C2 : 0)));
}

/* FSIN/FCOS/FPTAN/FSINCOS: C2 = 1 and nothing else when |ST0| >= 2^63. */
void fpu_fsin(X86State *s)
{
    s->fpus &= (uint16_t)~FSW_C2;
    if (!need_st0(s))
        return;
    SfStatus st = fpu_status(s);
    int oor;
    FloatX80 r = sf_x80_sin(get_st(s, 0), &oor, &st);
    set_cc(s, (uint16_t)((s->fpus & (FSW_C0 | FSW_C3)) | (oor ? FSW_C2 : 0)));
    if (!commit(s, &st) && !oor)
        set_st(s, 0, r);
}

void fpu_fcos(X86State *s)
{
    s->fpus &= (uint16_t)~FSW_C2;
    if (!need_st0(s))
        return;
    SfStatus st = fpu_status(s);
    int oor;
    FloatX80 r = sf_x80_cos(get_st(s, 0), &oor, &st);
    set_cc(s, (uint16_t)((s->fpus & (FSW_C0 | FSW_C3)) | (oor ? FSW_C2 : 0)));
    if (!commit(s, &st) && !oor)
        set_st(s, 0, r);
}

/* The two-result functions: ST0 = first, then push second. */
static void two_results(X86State *s, int sincos)
{
    set_c1(s, 0);
    s->fpus &= (uint16_t)~FSW_C2;
    if (empty(s, 0) || !empty(s, 7)) {
        int masked = empty(s, 0) ? stack_underflow(s) : stack_overflow(s);
        if (masked) {
            set_st(s, 0, sf_x80_default_nan);
            push_raw(s, sf_x80_default_nan);
        }
        return;
    }
    SfStatus st = fpu_status(s);
    int oor;
    FloatX80 a = get_st(s, 0), r0, r1;
    if (sincos) {
        SfStatus st2 = st;
        r0 = sf_x80_sin(a, &oor, &st);
        r1 = sf_x80_cos(a, &oor, &st2);
        st.flags |= st2.flags;
        st.c1 = st2.c1;
    } else {
        r0 = sf_x80_tan(a, &oor, &st);
        r1 = sf_x80_is_nan(r0) ? r0 : x80_one; /* a NaN result is pushed twice */
    }
    set_cc(s, (uint16_t)((s->fpus & (FSW_C0 | FSW_C3)) | (oor ? FSW_C2 : 0)));
    if (commit(s, &st) || oor)
        return;
    set_st(s, 0, r0);
    push_raw(s, r1);
}

void fpu_fptan(X86State *s) { two_results(s, 0); }
void fpu_fsincos(X86State *s) { two_results(s, 1); }

/* ---- environment images ------------------------------------------------------------------ */

int fpu_env_size(int osize32)
{
    return osize32 ? 28 : 14;
}

void fpu_fstenv(X86State *s, uint8_t *b, int osize32, int pm)
{
    uint16_t fcw = s->fpuc, fsw = fpu_get_fsw(s), ftw = fpu_get_ftw(s);
    uint32_t ip = (uint32_t)s->fpip, dp = (uint32_t)s->fpdp, op = s->fpop & 0x7ff;
    if (osize32) {
        /* the reserved upper halves read as ones */
        st32_le(b + 0, 0xffff0000u | fcw);
        st32_le(b + 4, 0xffff0000u | fsw);
        st32_le(b + 8, 0xffff0000u | ftw);
        if (pm) {
            st32_le(b + 12, ip);
            st32_le(b + 16, s->fpcs | (op << 16));
            st32_le(b + 20, dp);
            st32_le(b + 24, 0xffff0000u | s->fpds);
        } else {
            st32_le(b + 12, 0xffff0000u | (ip & 0xffff));
            st32_le(b + 16, ((ip >> 16) << 12) | op);
            st32_le(b + 20, 0xffff0000u | (dp & 0xffff));
            st32_le(b + 24, (dp >> 16) << 12);
        }
    } else {
        st16_le(b + 0, fcw);
        st16_le(b + 2, fsw);
        st16_le(b + 4, ftw);
        if (pm) {
            st16_le(b + 6, (uint16_t)ip);
            st16_le(b + 8, s->fpcs);
            st16_le(b + 10, (uint16_t)dp);
            st16_le(b + 12, s->fpds);
        } else {
            st16_le(b + 6, (uint16_t)ip);
            st16_le(b + 8, (uint16_t)((((ip >> 16) & 15) << 12) | op));
            st16_le(b + 10, (uint16_t)dp);
            st16_le(b + 12, (uint16_t)(((dp >> 16) & 15) << 12));
        }
    }
}

void fpu_fldenv(X86State *s, const uint8_t *b, int osize32, int pm)
{
    if (osize32) {
        s->fpuc = 0; /* set_fcw below */
        fpu_set_ftw(s, ld16_le(b + 8));
        if (pm) {
            s->fpip = ld32_le(b + 12);
            s->fpcs = ld16_le(b + 16);
            s->fpop = (uint16_t)((ld32_le(b + 16) >> 16) & 0x7ff);
            s->fpdp = ld32_le(b + 20);
            s->fpds = ld16_le(b + 24);
        } else {
            s->fpip = ld16_le(b + 12) | ((ld32_le(b + 16) >> 12) << 16);
            s->fpop = ld16_le(b + 16) & 0x7ff;
            s->fpdp = ld16_le(b + 20) | ((ld32_le(b + 24) >> 12) << 16);
        }
        s->fpuc = (uint16_t)((ld16_le(b) & 0x1f3f) | 0x40);
        fpu_set_fsw(s, ld16_le(b + 4));
    } else {
        fpu_set_ftw(s, ld16_le(b + 4));
        if (pm) {
            s->fpip = ld16_le(b + 6);
            s->fpcs = ld16_le(b + 8);
            s->fpdp = ld16_le(b + 10);
            s->fpds = ld16_le(b + 12);
            s->fpop = 0; /* not in this image: the hardware clears it */
        } else {
            s->fpip = ld16_le(b + 6) | ((uint32_t)(ld16_le(b + 8) >> 12) << 16);
            s->fpop = ld16_le(b + 8) & 0x7ff;
            s->fpdp = ld16_le(b + 10) | ((uint32_t)(ld16_le(b + 12) >> 12) << 16);
        }
        s->fpuc = (uint16_t)((ld16_le(b) & 0x1f3f) | 0x40);
        fpu_set_fsw(s, ld16_le(b + 2));
    }
}

void fpu_fsave(X86State *s, uint8_t *b, int osize32, int pm)
{
    int n = fpu_env_size(osize32);
    fpu_fstenv(s, b, osize32, pm);
    for (int i = 0; i < 8; i++)
        f80_to_bytes(b + n + 10 * i, get_st(s, i));
    fpu_init(s);
}

void fpu_frstor(X86State *s, const uint8_t *b, int osize32, int pm)
{
    int n = fpu_env_size(osize32);
    fpu_fldenv(s, b, osize32, pm);
    for (int i = 0; i < 8; i++) {
        unsigned r = ST_IDX(s, i);
        FloatX80 v = f80_from_bytes(b + n + 10 * i);
        s->fpregs[r].mant = v.mant;
        s->fpregs[r].sexp = v.sexp;
    }
}

void fpu_fxsave(X86State *s, uint8_t *b, int nxmm, int rexw)
{
    memset(b, 0, 512);
    unsigned abridged = 0;
    for (int i = 0; i < 8; i++)
        abridged |= (unsigned)!s->fptags[i] << i;
    st16_le(b + 0, s->fpuc);
    st16_le(b + 2, fpu_get_fsw(s));
    b[4] = (uint8_t)abridged;
    st16_le(b + 6, s->fpop & 0x7ff);
    if (rexw) {
        st64_le(b + 8, s->fpip);
        st64_le(b + 16, s->fpdp);
    } else {
        st32_le(b + 8, (uint32_t)s->fpip);
        st16_le(b + 12, s->fpcs);
        st32_le(b + 16, (uint32_t)s->fpdp);
        st16_le(b + 20, s->fpds);
    }
    st32_le(b + 24, s->mxcsr);
    st32_le(b + 28, MXCSR_WRITABLE);
    for (int i = 0; i < 8; i++)
        f80_to_bytes(b + 32 + 16 * i, get_st(s, i));
    for (int i = 0; i < nxmm; i++) {
        st64_le(b + 160 + 16 * i, s->xmm[i].q[0]);
        st64_le(b + 168 + 16 * i, s->xmm[i].q[1]);
    }
}

int fpu_fxrstor(X86State *s, const uint8_t *b, int nxmm, int rexw)
{
    uint32_t mxcsr = ld32_le(b + 24);
    if (!fpu_mxcsr_valid(mxcsr))
        return -1;
    s->mxcsr = mxcsr;
    s->fpuc = (uint16_t)((ld16_le(b) & 0x1f3f) | 0x40);
    fpu_set_fsw(s, ld16_le(b + 2));
    for (int i = 0; i < 8; i++)
        s->fptags[i] = !((b[4] >> i) & 1);
    s->fpop = ld16_le(b + 6) & 0x7ff;
    if (rexw) {
        s->fpip = ld64_le(b + 8);
        s->fpdp = ld64_le(b + 16);
    } else {
        s->fpip = ld32_le(b + 8);
        s->fpcs = ld16_le(b + 12);
        s->fpdp = ld32_le(b + 16);
        s->fpds = ld16_le(b + 20);
    }
    for (int i = 0; i < 8; i++) {
        unsigned r = ST_IDX(s, i);
        FloatX80 v = f80_from_bytes(b + 32 + 16 * i);
        s->fpregs[r].mant = v.mant;
        s->fpregs[r].sexp = v.sexp;
    }
    for (int i = 0; i < nxmm; i++) {
        s->xmm[i].q[0] = ld64_le(b + 160 + 16 * i);
        s->xmm[i].q[1] = ld64_le(b + 168 + 16 * i);
    }
    return 0;
}

/* ---- MMX, MXCSR ---------------------------------------------------------------------------- */

void fpu_mmx_enter(X86State *s)
{
    s->fpstt = 0;
    for (int i = 0; i < 8; i++)
        s->fptags[i] = 0;
}

void fpu_emms(X86State *s)
{
    s->fpstt = 0; /* the reference machine (AMD) also resets TOP; the SDM is silent */
    for (int i = 0; i < 8; i++)
        s->fptags[i] = 1;
}

SfStatus fpu_sse_status(const X86State *s)
{
    SfStatus st = { 0 };
    st.rmode = (uint8_t)((s->mxcsr >> MXCSR_RC_SHIFT) & 3);
    st.prec = 64;
    st.mask = (uint8_t)((s->mxcsr >> MXCSR_MASK_SHIFT) & 0x3f);
    st.sse = 1;
    st.daz = (s->mxcsr & MXCSR_DAZ) != 0;
    st.ftz = (s->mxcsr & MXCSR_FTZ) != 0;
    return st;
}

int fpu_sse_commit(X86State *s, const SfStatus *st)
{
    s->mxcsr |= st->flags & 0x3f;
    return (st->flags & ~st->mask & 0x3f) != 0;
}

/* ---- memory helpers --------------------------------------------------------------------------- */

static CPUState *cs_of(X86CPU *cpu)
{
    return &cpu->parent;
}

static uint64_t mld(X86CPU *cpu, uint64_t addr, unsigned memop)
{
    return softmmu_ld(cs_of(cpu), addr, memop, (unsigned)x86_mmu_index(&cpu->env), cs_of(cpu)->host_pc);
}

static void mst(X86CPU *cpu, uint64_t addr, uint64_t v, unsigned memop)
{
    softmmu_st(cs_of(cpu), addr, v, memop, (unsigned)x86_mmu_index(&cpu->env), cs_of(cpu)->host_pc);
}

static void mread(X86CPU *cpu, uint64_t addr, uint8_t *buf, int n)
{
    for (int i = 0; i < n; i++)
        buf[i] = (uint8_t)mld(cpu, addr + (uint64_t)i, IR_MO_8);
}

/* A write access to one byte that leaves it as it was: faults like a store. */
static void probe_byte(X86CPU *cpu, uint64_t addr)
{
    mst(cpu, addr, mld(cpu, addr, IR_MO_8), IR_MO_8);
}

/* Writes n bytes, nothing unless all can be: both pages are probed first
 * (a fault on the second page reports its first byte, as the hardware). */
static void mwrite(X86CPU *cpu, uint64_t addr, const uint8_t *buf, int n)
{
    uint64_t last = addr + (uint64_t)n - 1;
    probe_byte(cpu, addr);
    probe_byte(cpu, ((last ^ addr) & ~(uint64_t)0xfff) ? last & ~(uint64_t)0xfff : last);
    for (int i = 0; i < n; i++)
        mst(cpu, addr + (uint64_t)i, buf[i], IR_MO_8);
}

void fpu_helper_wait(X86CPU *cpu)
{
    if (fpu_pending_mf(&cpu->env) && (cpu->env.cr[0] & CR0_NE))
        x86_raise_exception(cpu, EXCP_MF);
}

void fpu_helper_load(X86CPU *cpu, uint64_t addr, int kind)
{
    X86State *s = &cpu->env;
    uint8_t m[10];
    switch (kind) {
    case FPU_M32: fpu_fld_f32(s, (uint32_t)mld(cpu, addr, IR_MO_32)); break;
    case FPU_M64: fpu_fld_f64(s, mld(cpu, addr, IR_MO_64)); break;
    case FPU_I16: fpu_fild(s, (int16_t)mld(cpu, addr, IR_MO_16)); break;
    case FPU_I32: fpu_fild(s, (int32_t)mld(cpu, addr, IR_MO_32)); break;
    case FPU_I64: fpu_fild(s, (int64_t)mld(cpu, addr, IR_MO_64)); break;
    case FPU_M80:
    case FPU_BCD:
        mread(cpu, addr, m, 10);
        if (kind == FPU_M80)
            fpu_fld_f80(s, m);
        else
            fpu_fbld(s, m);
        break;
    }
}

/* A store the FPU does not perform (unmasked IE/OE/UE) still faults on
 * its address first, as the hardware checks the access before the value:
 * read and rewrite the first and last bytes. */
static void probe_store(X86CPU *cpu, uint64_t addr, int n)
{
    uint64_t last = addr + (uint64_t)n - 1;
    probe_byte(cpu, addr);
    probe_byte(cpu, ((last ^ addr) & ~(uint64_t)0xfff) ? last & ~(uint64_t)0xfff : last);
}

void fpu_helper_store(X86CPU *cpu, uint64_t addr, int kind, int pop_after, int truncate)
{
    /* compute on a copy, store, then commit: a faulting store changes nothing */
    X86State t = cpu->env;
    uint8_t m[10];
    uint32_t v32;
    uint64_t v64;
    int64_t vi;
    switch (kind) {
    case FPU_M32:
        if (fpu_fst_f32(&t, &v32, pop_after))
            mst(cpu, addr, v32, IR_MO_32);
        else
            probe_store(cpu, addr, 4);
        break;
    case FPU_M64:
        if (fpu_fst_f64(&t, &v64, pop_after))
            mst(cpu, addr, v64, IR_MO_64);
        else
            probe_store(cpu, addr, 8);
        break;
    case FPU_M80:
        if (fpu_fst_f80(&t, m, pop_after))
            mwrite(cpu, addr, m, 10);
        else
            probe_store(cpu, addr, 10);
        break;
    case FPU_I16:
        if (fpu_fist(&t, 16, truncate, pop_after, &vi))
            mst(cpu, addr, (uint64_t)vi & 0xffff, IR_MO_16);
        else
            probe_store(cpu, addr, 2);
        break;
    case FPU_I32:
        if (fpu_fist(&t, 32, truncate, pop_after, &vi))
            mst(cpu, addr, (uint64_t)vi & 0xffffffffu, IR_MO_32);
        else
            probe_store(cpu, addr, 4);
        break;
    case FPU_I64:
        if (fpu_fist(&t, 64, truncate, pop_after, &vi))
            mst(cpu, addr, (uint64_t)vi, IR_MO_64);
        else
            probe_store(cpu, addr, 8);
        break;
    case FPU_BCD:
        if (fpu_fbstp(&t, m))
            mwrite(cpu, addr, m, 10);
        else
            probe_store(cpu, addr, 10);
        break;
    }
    X86State *s = &cpu->env;
    memcpy(s->fpregs, t.fpregs, sizeof(s->fpregs));
    memcpy(s->fptags, t.fptags, sizeof(s->fptags));
    s->fpstt = t.fpstt;
    s->fpus = t.fpus;
}

void fpu_helper_arith_mem(X86CPU *cpu, uint64_t addr, int kind, int op)
{
    X86State *s = &cpu->env;
    uint64_t v;
    int64_t iv = 0;
    switch (kind) {
    case FPU_M32: v = mld(cpu, addr, IR_MO_32); break;
    case FPU_M64: v = mld(cpu, addr, IR_MO_64); break;
    case FPU_I16: iv = (int16_t)mld(cpu, addr, IR_MO_16); v = 0; break;
    default: iv = (int32_t)mld(cpu, addr, IR_MO_32); v = 0; break;
    }
    if (op == 2 || op == 3) {
        int pops = op == 3;
        if (kind == FPU_M32)
            fpu_fcom_f32(s, (uint32_t)v, pops);
        else if (kind == FPU_M64)
            fpu_fcom_f64(s, v, pops);
        else
            fpu_ficom(s, iv, pops);
        return;
    }
    if (kind == FPU_M32)
        fpu_arith_f32(s, op, (uint32_t)v);
    else if (kind == FPU_M64)
        fpu_arith_f64(s, op, v);
    else
        fpu_arith_int(s, op, iv);
}

static int pm_layout(const X86State *s)
{
    return (s->cr[0] & CR0_PE) && !(s->eflags & EF_VM);
}

void fpu_helper_fstenv(X86CPU *cpu, uint64_t addr, int osize32)
{
    uint8_t b[28];
    fpu_fstenv(&cpu->env, b, osize32, pm_layout(&cpu->env));
    mwrite(cpu, addr, b, fpu_env_size(osize32));
    cpu->env.fpuc |= 0x3f; /* FSTENV masks every exception afterwards */
    update_es(&cpu->env);
}

void fpu_helper_fldenv(X86CPU *cpu, uint64_t addr, int osize32)
{
    uint8_t b[28];
    mread(cpu, addr, b, fpu_env_size(osize32));
    fpu_fldenv(&cpu->env, b, osize32, pm_layout(&cpu->env));
}

void fpu_helper_fsave(X86CPU *cpu, uint64_t addr, int osize32)
{
    uint8_t b[108];
    X86State t = cpu->env;
    fpu_fsave(&t, b, osize32, pm_layout(&t));
    mwrite(cpu, addr, b, fpu_env_size(osize32) + 80);
    fpu_init(&cpu->env);
}

void fpu_helper_frstor(X86CPU *cpu, uint64_t addr, int osize32)
{
    uint8_t b[108];
    mread(cpu, addr, b, fpu_env_size(osize32) + 80);
    fpu_frstor(&cpu->env, b, osize32, pm_layout(&cpu->env));
}

void fpu_helper_fxsave(X86CPU *cpu, uint64_t addr, int rexw)
{
    uint8_t b[512];
    int nxmm = (cpu->env.hflags & HF_CS64) ? 16 : 8;
    if (addr & 15)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    fpu_fxsave(&cpu->env, b, nxmm, rexw);
    /* bytes 160 + 16 * nxmm .. 511 are reserved and left untouched */
    mwrite(cpu, addr, b, 160 + 16 * nxmm);
}

void fpu_helper_fxrstor(X86CPU *cpu, uint64_t addr, int rexw)
{
    uint8_t b[512];
    int nxmm = (cpu->env.hflags & HF_CS64) ? 16 : 8;
    if (addr & 15)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    mread(cpu, addr, b, 160 + 16 * nxmm);
    if (fpu_fxrstor(&cpu->env, b, nxmm, rexw) < 0)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
}

/*
 * XSAVE area, standard form (SDM Vol. 1 13.4-13.8): the legacy region is
 * FXSAVE's layout (x87 in bytes 0-23 and 32-159, MXCSR and its mask at
 * 24-31, XMM at 160..), then the 64-byte header at 512: XSTATE_BV (which
 * components the area holds), XCOMP_BV (0: standard form), reserved. The
 * requested-feature bitmap is XCR0 & EDX:EAX. Only x87 (bit 0) and SSE
 * (bit 1) exist here; both count as always in use, so XSAVE sets their
 * XSTATE_BV bits (the SDM allows it even in the initial configuration).
 */
#define XSAVE_HDR 512

static uint64_t xsave_rfbm(X86CPU *cpu, uint64_t addr)
{
    X86State *s = &cpu->env;
    if (!(s->cr[4] & CR4_OSXSAVE))
        x86_raise_exception(cpu, EXCP_UD);
    if (addr & 63)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    uint64_t edx_eax = ((uint64_t)(uint32_t)s->regs[R_EDX] << 32) | (uint32_t)s->regs[R_EAX];
    return s->xcr0 & edx_eax;
}

/* Fault now, as a store would, if any of [addr, addr + n) cannot be written. */
static void mwrite_probe(X86CPU *cpu, uint64_t addr, int n)
{
    uint64_t last = addr + (uint64_t)n - 1;
    probe_byte(cpu, addr);
    if ((last ^ addr) & ~(uint64_t)0xfff)
        probe_byte(cpu, last & ~(uint64_t)0xfff);
}

void fpu_helper_xsave(X86CPU *cpu, uint64_t addr, int rexw)
{
    X86State *s = &cpu->env;
    uint64_t rfbm = xsave_rfbm(cpu, addr);
    int nxmm = (s->hflags & HF_CS64) ? 16 : 8;
    uint8_t b[512], h[8];
    /* every byte the instruction may write is checked before the first */
    mwrite_probe(cpu, addr, XSAVE_HDR + 8);
    fpu_fxsave(s, b, nxmm, rexw);
    mread(cpu, addr + XSAVE_HDR, h, 8);
    if (rfbm & XCR0_X87) {
        mwrite(cpu, addr, b, 24);
        mwrite(cpu, addr + 32, b + 32, 128);
    }
    if (rfbm & XCR0_SSE) {
        mwrite(cpu, addr + 24, b + 24, 8);     /* MXCSR, MXCSR_MASK */
        mwrite(cpu, addr + 160, b + 160, 16 * nxmm);
    }
    st64_le(h, (ld64_le(h) & ~rfbm) | rfbm);
    mwrite(cpu, addr + XSAVE_HDR, h, 8);
}

void fpu_helper_xrstor(X86CPU *cpu, uint64_t addr, int rexw)
{
    X86State *s = &cpu->env;
    uint64_t rfbm = xsave_rfbm(cpu, addr);
    int nxmm = (s->hflags & HF_CS64) ? 16 : 8;
    uint8_t cur[512], m[512], h[24];
    mread(cpu, addr + XSAVE_HDR, h, 24);
    uint64_t xstate_bv = ld64_le(h);
    /* standard form: XCOMP_BV and the next 8 bytes are 0, XSTATE_BV names
     * only enabled components (compacted form is not supported: #GP) */
    if ((xstate_bv & ~s->xcr0) || ld64_le(h + 8) || ld64_le(h + 16))
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    mread(cpu, addr, m, 160 + 16 * nxmm);
    /* Build the FXSAVE image to load: the current state, with each
     * requested component from memory (XSTATE_BV bit set) or in its
     * initial configuration (bit clear), then load it in one go. */
    fpu_fxsave(s, cur, nxmm, rexw);
    if (rfbm & XCR0_X87) {
        if (xstate_bv & XCR0_X87) {
            memcpy(cur, m, 24);
            memcpy(cur + 32, m + 32, 128);
        } else {
            /* FINIT state: FCW 037F, FSW 0, all empty, pointers and regs 0 */
            memset(cur, 0, 24);
            memset(cur + 32, 0, 128);
            st16_le(cur, 0x037f);
        }
    }
    if (rfbm & XCR0_SSE) {
        memcpy(cur + 24, m + 24, 4);           /* MXCSR: loaded either way */
        if (xstate_bv & XCR0_SSE)
            memcpy(cur + 160, m + 160, 16 * nxmm);
        else
            memset(cur + 160, 0, 16 * nxmm);
    }
    if (fpu_fxrstor(s, cur, nxmm, rexw) < 0)   /* reserved MXCSR bits: nothing changed */
        x86_raise_exception_err(cpu, EXCP_GP, 0);
}
