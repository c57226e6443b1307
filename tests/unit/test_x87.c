/*
 * fpu.c tests: the x87 machine (stack, tags, condition codes, exceptions
 * and masks, memory formats, environment images, MMX aliasing, MXCSR).
 *
 * On x86 hosts, random instruction sequences run on the host x87 and on
 * the model from the same starting image; after every instruction the
 * FNSAVE images (control, status and tag words and all eight registers)
 * and any memory the instruction wrote must be identical. Each host step
 * is FRSTOR; insn; FNSAVE, so no compiler code runs in between. Hand-made
 * checks cover the same machinery on every host.
 */
#include <stdio.h>
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "src/x86/fpu.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned rndn(unsigned n)
{
    return (unsigned)(rnd64() % n);
}

static long cases(long dflt)
{
    const char *e = getenv("PEMU_FPU_CASES");
    long n = e ? strtol(e, NULL, 0) : 0;
    return n > 0 ? n : dflt;
}

static FloatX80 X(uint16_t sexp, uint64_t mant)
{
    FloatX80 r = { mant, sexp };
    return r;
}

static X86State *new_state(void)
{
    static X86State st;
    memset(&st, 0, sizeof(st));
    fpu_init(&st);
    st.mxcsr = 0x1f80;
    return &st;
}

static FloatX80 st(const X86State *s, int n)
{
    const X86Float80 *r = &s->fpregs[(s->fpstt + (unsigned)n) & 7];
    return X(r->sexp, r->mant);
}

/* ---- hand-checked behaviour (every host) ------------------------------------- */

TEST(init_and_words)
{
    X86State *s = new_state();
    CHECK_EQ(s->fpuc, 0x037f);
    CHECK_EQ(fpu_get_fsw(s), 0);
    CHECK_EQ(fpu_get_ftw(s), 0xffff);
    fpu_fld_const(s, FPU_CONST_1);   /* reg 7: valid */
    fpu_fld_const(s, FPU_CONST_Z);   /* reg 6: zero */
    fpu_fld_f64(s, 0x7ff0000000000000ull); /* reg 5: special (inf) */
    CHECK_EQ(fpu_get_fsw(s) >> FSW_TOP_SHIFT & 7, 5);
    CHECK_EQ(fpu_get_ftw(s), 0x1bff); /* 00 01 10 11.. for regs 7,6,5 */
    fpu_set_fcw(s, 0x0000);
    CHECK_EQ(s->fpuc, 0x0040);
}

TEST(stack_overflow_underflow)
{
    X86State *s = new_state();
    for (int i = 0; i < 8; i++)
        fpu_fild(s, i);
    CHECK_EQ(fpu_get_fsw(s) & 0x7f, 0);
    fpu_fild(s, 99); /* ninth push: masked overflow pushes the indefinite */
    CHECK_EQ(fpu_get_fsw(s) & (FSW_IE | FSW_SF | FSW_C1), FSW_IE | FSW_SF | FSW_C1);
    CHECK_EQ(st(s, 0).sexp, 0xffff);
    CHECK_EQ(st(s, 0).mant, 0xc000000000000000ull);
    fpu_init(s);
    fpu_arith_st(s, FPU_ADD, 0, 1, 0); /* both empty: underflow, C1 = 0 */
    CHECK_EQ(fpu_get_fsw(s) & (FSW_IE | FSW_SF | FSW_C1), FSW_IE | FSW_SF);
    /* unmasked: nothing written, ES and B set */
    fpu_init(s);
    fpu_set_fcw(s, 0x037e);
    fpu_fchs(s);
    CHECK_EQ(fpu_get_fsw(s) & 0xff, FSW_IE | FSW_SF | FSW_ES);
    CHECK(fpu_get_fsw(s) & FSW_B);
    CHECK(fpu_pending_mf(s));
    CHECK_EQ(fpu_get_ftw(s), 0xffff);
    fpu_clex(s);
    CHECK(!fpu_pending_mf(s));
}

TEST(unmasked_masks_follow_fldcw)
{
    X86State *s = new_state();
    fpu_fld_const(s, FPU_CONST_1);
    fpu_fld_const(s, FPU_CONST_Z);
    fpu_arith_st(s, FPU_DIVR, 0, 1, 0); /* 1 / 0: ZE masked -> +inf */
    CHECK_EQ(fpu_get_fsw(s) & 0xff, FSW_ZE);
    CHECK_EQ(st(s, 0).sexp, 0x7fff);
    fpu_set_fcw(s, 0x037b);             /* unmask ZE: it is pending now */
    CHECK(fpu_pending_mf(s));
    fpu_set_fcw(s, 0x037f);
    CHECK(!fpu_pending_mf(s));
}

TEST(compare_codes_and_fcomi)
{
    X86State *s = new_state();
    fpu_fild(s, 2);
    fpu_fild(s, 1);                      /* ST0 = 1, ST1 = 2 */
    fpu_fcom_st(s, 1, 0, 0);
    CHECK_EQ(fpu_get_fsw(s) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C0);
    CHECK_EQ(fpu_fcomi(s, 1, 0, 0), CC_C);
    fpu_fxch(s, 1);
    CHECK_EQ(fpu_fcomi(s, 1, 1, 0), 0);
    fpu_fld_st(s, 0);
    CHECK_EQ(fpu_fcomi(s, 1, 0, 1), CC_Z);
    CHECK_EQ(fpu_get_fsw(s) >> FSW_TOP_SHIFT & 7, 6);
    fpu_fld_f32(s, 0x7fc00000u);         /* QNaN: FUCOM quiet, FCOM invalid */
    fpu_fcom_st(s, 1, 1, 0);
    CHECK_EQ(fpu_get_fsw(s) & (FSW_C0 | FSW_C2 | FSW_C3 | FSW_IE), FSW_C0 | FSW_C2 | FSW_C3);
    fpu_fcom_st(s, 1, 0, 2);
    CHECK_EQ(fpu_get_fsw(s) & (FSW_C0 | FSW_C2 | FSW_C3 | FSW_IE), FSW_C0 | FSW_C2 | FSW_C3 | FSW_IE);
    CHECK_EQ(fpu_get_fsw(s) >> FSW_TOP_SHIFT & 7, 7); /* FCOMPP popped twice */
}

TEST(fxam_classes)
{
    static const struct { uint16_t e; uint64_t m; uint16_t cc; } v[] = {
        { 0x3fff, 0x8000000000000000ull, FSW_C2 },                    /* normal */
        { 0x8000, 0, FSW_C3 | FSW_C1 },                               /* -0 */
        { 0x0000, 0x0000000000000001ull, FSW_C3 | FSW_C2 },           /* denormal */
        { 0x0000, 0x8000000000000001ull, FSW_C3 | FSW_C2 },           /* pseudo-denormal */
        { 0x7fff, 0x8000000000000000ull, FSW_C2 | FSW_C0 },           /* inf */
        { 0xffff, 0xc000000000000000ull, FSW_C0 | FSW_C1 },           /* -NaN */
        { 0x3fff, 0x4000000000000000ull, 0 },                         /* unnormal */
    };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(v); i++) {
        X86State *s = new_state();
        uint8_t m[10];
        st64_le(m, v[i].m);
        st16_le(m + 8, v[i].e);
        fpu_fld_f80(s, m);
        fpu_fxam(s);
        CHECK_EQ(fpu_get_fsw(s) & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3), v[i].cc);
    }
    X86State *s = new_state();
    fpu_fxam(s); /* empty */
    CHECK_EQ(fpu_get_fsw(s) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C3 | FSW_C0);
}

TEST(bcd_round_trip)
{
    X86State *s = new_state();
    uint8_t in[10] = { 0x21, 0x43, 0x65, 0x87, 0x09, 0x21, 0x43, 0x65, 0x87, 0x80 }, out[10];
    fpu_fbld(s, in);
    CHECK_EQ(st(s, 0).sexp & 0x8000, 0x8000);
    int64_t v;
    fpu_fld_st(s, 0);
    CHECK(fpu_fist(s, 64, 0, 1, &v));
    CHECK_EQ(v, -876543210987654321ll);
    CHECK(fpu_fbstp(s, out));
    CHECK(!memcmp(in, out, 10));
    fpu_fild(s, 1000000000000000000ll); /* 10^18: out of range -> indefinite */
    CHECK(fpu_fbstp(s, out));
    CHECK_EQ(out[9], 0xff);
    CHECK_EQ(out[8], 0xff);
    CHECK_EQ(out[7], 0xc0);
    CHECK_EQ(fpu_get_fsw(s) & 0x3f, FSW_IE);
}

TEST(constants_rounding)
{
    /* FLDPI: 0xC90FDAA22168C234C4C6..: up in RN/RU, down in RD/RZ */
    static const uint64_t want[4] = { 0xC90FDAA22168C235ull, 0xC90FDAA22168C234ull,
                                      0xC90FDAA22168C235ull, 0xC90FDAA22168C234ull };
    for (int rc = 0; rc < 4; rc++) {
        X86State *s = new_state();
        fpu_set_fcw(s, (uint16_t)(0x037f | rc << 10));
        fpu_fld_const(s, FPU_CONST_PI);
        CHECK_EQ(st(s, 0).mant, want[rc]);
        CHECK_EQ(st(s, 0).sexp, 0x4000);
        CHECK_EQ(fpu_get_fsw(s) & 0xff, 0);
    }
}

TEST(env_layouts)
{
    X86State *s = new_state();
    uint8_t b[108], b2[108];
    fpu_fild(s, 5);
    s->fpip = 0x12345;
    s->fpdp = 0x6789a;
    s->fpop = 0x1d9;
    s->fpcs = 0x23;
    s->fpds = 0x2b;
    fpu_fstenv(s, b, 0, 0); /* real mode, 16-bit: 20-bit linear pointers */
    CHECK_EQ(ld16_le(b + 0), 0x037f);
    CHECK_EQ(ld16_le(b + 2), 0x3800);
    CHECK_EQ(ld16_le(b + 4), 0x3fff);
    CHECK_EQ(ld16_le(b + 6), 0x2345);
    CHECK_EQ(ld16_le(b + 8), 0x11d9);
    CHECK_EQ(ld16_le(b + 10), 0x789a);
    CHECK_EQ(ld16_le(b + 12), 0x6000);
    fpu_fstenv(s, b, 1, 1); /* protected, 32-bit */
    CHECK_EQ(ld32_le(b + 12), 0x12345);
    CHECK_EQ(ld32_le(b + 16), 0x01d90023u);
    CHECK_EQ(ld32_le(b + 20), 0x6789a);
    CHECK_EQ(ld16_le(b + 24), 0x2b);
    for (int osz = 0; osz < 2; osz++)
        for (int pm = 0; pm < 2; pm++) {
            X86State t = *s;
            fpu_fsave(&t, b, osz, pm);
            CHECK_EQ(fpu_get_ftw(&t), 0xffff); /* FSAVE reinitializes */
            fpu_frstor(&t, b, osz, pm);
            fpu_fsave(&t, b2, osz, pm);
            CHECK(!memcmp(b, b2, (size_t)fpu_env_size(osz) + 80));
            CHECK_EQ(st(&t, 0).mant, 0);
        }
}

TEST(fxsave_layout)
{
    X86State *s = new_state();
    uint8_t b[512];
    fpu_fild(s, 3);
    fpu_fld_const(s, FPU_CONST_Z);
    s->xmm[1].q[0] = 0x1122334455667788ull;
    s->xmm[1].q[1] = 0x99aabbccddeeff00ull;
    s->mxcsr = 0x9fc0;
    fpu_fxsave(s, b, 8, 0);
    CHECK_EQ(ld16_le(b), 0x037f);
    CHECK_EQ(ld16_le(b + 2), 0x3000);
    CHECK_EQ(b[4], 0xc0);                /* abridged: registers 6, 7 valid */
    CHECK_EQ(ld32_le(b + 24), 0x9fc0);
    CHECK_EQ(ld32_le(b + 28), 0xffff);
    CHECK_EQ(ld64_le(b + 32), 0);        /* ST0 = +0 */
    CHECK_EQ(ld64_le(b + 48), 0xc000000000000000ull); /* ST1 = 3 */
    CHECK_EQ(ld16_le(b + 56), 0x4000);
    CHECK_EQ(ld64_le(b + 176), 0x1122334455667788ull);
    X86State *t = new_state();
    CHECK_EQ(fpu_fxrstor(t, b, 8, 0), 0);
    CHECK_EQ(t->fpstt, 6);
    CHECK_EQ(fpu_get_ftw(t), 0x1fff); /* reg 6 zero (01), reg 7 valid (00) */
    CHECK_EQ(t->xmm[1].q[1], 0x99aabbccddeeff00ull);
    st32_le(b + 24, 0x10000);            /* reserved MXCSR bit: #GP, nothing loaded */
    t->mxcsr = 0x1f80;
    CHECK_EQ(fpu_fxrstor(t, b, 8, 0), -1);
    CHECK_EQ(t->mxcsr, 0x1f80);
}

TEST(mmx_aliasing)
{
    X86State *s = new_state();
    fpu_fild(s, 1);
    fpu_mmx_enter(s);
    CHECK_EQ(s->fpstt, 0);
    for (int i = 0; i < 8; i++)
        CHECK((fpu_get_ftw(s) >> (2 * i) & 3) != 3); /* every register valid */
    fpu_mmx_write(s, 3, 0x0123456789abcdefull);
    CHECK_EQ(s->fpregs[3].sexp, 0xffff);
    CHECK_EQ(fpu_mmx_read(s, 3), 0x0123456789abcdefull);
    fpu_emms(s);
    CHECK_EQ(fpu_get_ftw(s), 0xffff);
}

TEST(mxcsr_flags)
{
    X86State *s = new_state();
    s->mxcsr = 0x1f80 | MXCSR_FTZ | (3u << MXCSR_RC_SHIFT);
    SfStatus st = fpu_sse_status(s);
    CHECK_EQ(st.rmode, SF_RZ);
    CHECK(st.ftz);
    CHECK(!st.daz);
    CHECK_EQ(sf_f64_div(0x3ff0000000000000ull, 0, &st), 0x7ff0000000000000ull);
    CHECK_EQ(fpu_sse_commit(s, &st), 0);
    CHECK_EQ(s->mxcsr & 0x3f, SF_ZE);
    s->mxcsr &= ~(SF_ZE << MXCSR_MASK_SHIFT);
    st = fpu_sse_status(s);
    sf_f64_div(0x3ff0000000000000ull, 0, &st);
    CHECK_EQ(fpu_sse_commit(s, &st), 1);
    CHECK(!fpu_mxcsr_valid(0x10000));
    CHECK(fpu_mxcsr_valid(0xffff));
}

/* ---- the host x87 as oracle: random instruction sequences ---------------------- */

#if defined(__x86_64__) /* the oracle runner uses 64-bit stack code */

/*
 * Operand block shared by host and model: inputs at fixed offsets, one
 * output area. Offsets: 0 m32, 8 m64, 16 m80, 32 m16int, 36 m32int,
 * 40 m64int, 48 BCD, 64..95 output, 96 control word, 104 EFLAGS.
 */
enum { M_F32 = 0, M_F64 = 8, M_F80 = 16, M_I16 = 32, M_I32 = 36, M_I64 = 40, M_BCD = 48,
       M_OUT = 64, M_CW = 96, M_EFL = 104, M_SIZE = 128 };

enum { F_OUT = 1, F_EFL = 2, F_APPROX = 4, F_ENV = 8 };

#define SB(b0, b1) ".byte " #b0 ", " #b1
#define FPU_INSNS(X)                                                                      \
    X(fld_m32, "flds 0(%1)", fpu_fld_f32(s, ld32_le(m + M_F32)), 0)                        \
    X(fld_m64, "fldl 8(%1)", fpu_fld_f64(s, ld64_le(m + M_F64)), 0)                        \
    X(fld_m80, "fldt 16(%1)", fpu_fld_f80(s, m + M_F80), 0)                                \
    X(fild16, "filds 32(%1)", fpu_fild(s, (int16_t)ld16_le(m + M_I16)), 0)                 \
    X(fild32, "fildl 36(%1)", fpu_fild(s, (int32_t)ld32_le(m + M_I32)), 0)                 \
    X(fild64, "fildll 40(%1)", fpu_fild(s, (int64_t)ld64_le(m + M_I64)), 0)                \
    X(fbld, "fbld 48(%1)", fpu_fbld(s, m + M_BCD), 0)                                      \
    X(fld_st1, "fld %%st(1)", fpu_fld_st(s, 1), 0)                                         \
    X(fld_st6, "fld %%st(6)", fpu_fld_st(s, 6), 0)                                         \
    X(fld1, "fld1", fpu_fld_const(s, FPU_CONST_1), 0)                                      \
    X(fldz, "fldz", fpu_fld_const(s, FPU_CONST_Z), 0)                                      \
    X(fldpi, "fldpi", fpu_fld_const(s, FPU_CONST_PI), 0)                                   \
    X(fldl2t, "fldl2t", fpu_fld_const(s, FPU_CONST_L2T), 0)                                \
    X(fldl2e, "fldl2e", fpu_fld_const(s, FPU_CONST_L2E), 0)                                \
    X(fldlg2, "fldlg2", fpu_fld_const(s, FPU_CONST_LG2), 0)                                \
    X(fldln2, "fldln2", fpu_fld_const(s, FPU_CONST_LN2), 0)                                \
    X(fst_m32, "fsts 64(%1)", { uint32_t v; if (fpu_fst_f32(s, &v, 0)) st32_le(m + M_OUT, v); }, F_OUT) \
    X(fstp_m32, "fstps 64(%1)", { uint32_t v; if (fpu_fst_f32(s, &v, 1)) st32_le(m + M_OUT, v); }, F_OUT) \
    X(fst_m64, "fstl 64(%1)", { uint64_t v; if (fpu_fst_f64(s, &v, 0)) st64_le(m + M_OUT, v); }, F_OUT) \
    X(fstp_m64, "fstpl 64(%1)", { uint64_t v; if (fpu_fst_f64(s, &v, 1)) st64_le(m + M_OUT, v); }, F_OUT) \
    X(fstp_m80, "fstpt 64(%1)", fpu_fst_f80(s, m + M_OUT, 1), F_OUT)                       \
    X(fist16, "fists 64(%1)", { int64_t v; if (fpu_fist(s, 16, 0, 0, &v)) st16_le(m + M_OUT, (uint16_t)v); }, F_OUT) \
    X(fistp32, "fistpl 64(%1)", { int64_t v; if (fpu_fist(s, 32, 0, 1, &v)) st32_le(m + M_OUT, (uint32_t)v); }, F_OUT) \
    X(fistp64, "fistpll 64(%1)", { int64_t v; if (fpu_fist(s, 64, 0, 1, &v)) st64_le(m + M_OUT, (uint64_t)v); }, F_OUT) \
    X(fisttp16, "fisttps 64(%1)", { int64_t v; if (fpu_fist(s, 16, 1, 1, &v)) st16_le(m + M_OUT, (uint16_t)v); }, F_OUT) \
    X(fisttp64, "fisttpll 64(%1)", { int64_t v; if (fpu_fist(s, 64, 1, 1, &v)) st64_le(m + M_OUT, (uint64_t)v); }, F_OUT) \
    X(fbstp, "fbstp 64(%1)", fpu_fbstp(s, m + M_OUT), F_OUT)                                \
    X(fst_st3, "fst %%st(3)", fpu_fst_st(s, 3, 0), 0)                                      \
    X(fstp_st2, "fstp %%st(2)", fpu_fst_st(s, 2, 1), 0)                                    \
    X(fadd_0_1, SB(0xd8, 0xc1), fpu_arith_st(s, FPU_ADD, 0, 1, 0), 0)                      \
    X(fmul_0_2, SB(0xd8, 0xca), fpu_arith_st(s, FPU_MUL, 0, 2, 0), 0)                      \
    X(fsub_0_1, SB(0xd8, 0xe1), fpu_arith_st(s, FPU_SUB, 0, 1, 0), 0)                      \
    X(fsubr_0_1, SB(0xd8, 0xe9), fpu_arith_st(s, FPU_SUBR, 0, 1, 0), 0)                    \
    X(fdiv_0_1, SB(0xd8, 0xf1), fpu_arith_st(s, FPU_DIV, 0, 1, 0), 0)                      \
    X(fdivr_0_1, SB(0xd8, 0xf9), fpu_arith_st(s, FPU_DIVR, 0, 1, 0), 0)                    \
    X(fadd_2_0, SB(0xdc, 0xc2), fpu_arith_st(s, FPU_ADD, 2, 0, 0), 0)                      \
    X(fsub_1_0, SB(0xdc, 0xe9), fpu_arith_st(s, FPU_SUB, 1, 0, 0), 0)                      \
    X(fsubr_1_0, SB(0xdc, 0xe1), fpu_arith_st(s, FPU_SUBR, 1, 0, 0), 0)                    \
    X(fdiv_1_0, SB(0xdc, 0xf9), fpu_arith_st(s, FPU_DIV, 1, 0, 0), 0)                      \
    X(fdivr_1_0, SB(0xdc, 0xf1), fpu_arith_st(s, FPU_DIVR, 1, 0, 0), 0)                    \
    X(faddp, SB(0xde, 0xc1), fpu_arith_st(s, FPU_ADD, 1, 0, 1), 0)                         \
    X(fmulp, SB(0xde, 0xc9), fpu_arith_st(s, FPU_MUL, 1, 0, 1), 0)                         \
    X(fsubp, SB(0xde, 0xe9), fpu_arith_st(s, FPU_SUB, 1, 0, 1), 0)                         \
    X(fsubrp, SB(0xde, 0xe1), fpu_arith_st(s, FPU_SUBR, 1, 0, 1), 0)                       \
    X(fdivp, SB(0xde, 0xf9), fpu_arith_st(s, FPU_DIV, 1, 0, 1), 0)                         \
    X(fdivrp, SB(0xde, 0xf1), fpu_arith_st(s, FPU_DIVR, 1, 0, 1), 0)                       \
    X(fadd_m32, "fadds 0(%1)", fpu_arith_f32(s, FPU_ADD, ld32_le(m + M_F32)), 0)           \
    X(fsubr_m64, "fsubrl 8(%1)", fpu_arith_f64(s, FPU_SUBR, ld64_le(m + M_F64)), 0)        \
    X(fdiv_m32, "fdivs 0(%1)", fpu_arith_f32(s, FPU_DIV, ld32_le(m + M_F32)), 0)           \
    X(fmul_m64, "fmull 8(%1)", fpu_arith_f64(s, FPU_MUL, ld64_le(m + M_F64)), 0)           \
    X(fiadd16, "fiadds 32(%1)", fpu_arith_int(s, FPU_ADD, (int16_t)ld16_le(m + M_I16)), 0) \
    X(fidivr32, "fidivrl 36(%1)", fpu_arith_int(s, FPU_DIVR, (int32_t)ld32_le(m + M_I32)), 0) \
    X(fcom_st1, "fcom %%st(1)", fpu_fcom_st(s, 1, 0, 0), 0)                                \
    X(fcomp_st2, "fcomp %%st(2)", fpu_fcom_st(s, 2, 0, 1), 0)                              \
    X(fcompp, "fcompp", fpu_fcom_st(s, 1, 0, 2), 0)                                        \
    X(fucom_st1, "fucom %%st(1)", fpu_fcom_st(s, 1, 1, 0), 0)                              \
    X(fucompp, "fucompp", fpu_fcom_st(s, 1, 1, 2), 0)                                      \
    X(fcom_m32, "fcoms 0(%1)", fpu_fcom_f32(s, ld32_le(m + M_F32), 0), 0)                  \
    X(fcomp_m64, "fcompl 8(%1)", fpu_fcom_f64(s, ld64_le(m + M_F64), 1), 0)                \
    X(ficom16, "ficoms 32(%1)", fpu_ficom(s, (int16_t)ld16_le(m + M_I16), 0), 0)           \
    X(fcomi, "fcomi %%st(1), %%st\n\tlea -128(%%rsp), %%rsp\n\tpushf\n\tpopq 104(%1)\n\tlea 128(%%rsp), %%rsp", \
      st64_le(m + M_EFL, fpu_fcomi(s, 1, 0, 0)), F_EFL)                                  \
    X(fucomip, "fucomip %%st(2), %%st\n\tlea -128(%%rsp), %%rsp\n\tpushf\n\tpopq 104(%1)\n\tlea 128(%%rsp), %%rsp", \
      st64_le(m + M_EFL, fpu_fucomi_p(s)), F_EFL)                                        \
    X(ftst, "ftst", fpu_ftst(s), 0)                                                        \
    X(fxam, "fxam", fpu_fxam(s), 0)                                                        \
    X(fchs, "fchs", fpu_fchs(s), 0)                                                        \
    X(fabs, "fabs", fpu_fabs(s), 0)                                                        \
    X(fxch1, "fxch %%st(1)", fpu_fxch(s, 1), 0)                                            \
    X(fxch3, "fxch %%st(3)", fpu_fxch(s, 3), 0)                                            \
    X(ffree1, "ffree %%st(1)", fpu_ffree(s, 1, 0), 0)                                      \
    X(fincstp, "fincstp", fpu_fincstp(s), 0)                                               \
    X(fdecstp, "fdecstp", fpu_fdecstp(s), 0)                                               \
    X(fsqrt, "fsqrt", fpu_fsqrt(s), 0)                                                     \
    X(frndint, "frndint", fpu_frndint(s), 0)                                               \
    X(fscale, "fscale", fpu_fscale(s), 0)                                                  \
    X(fxtract, "fxtract", fpu_fxtract(s), 0)                                               \
    X(fprem, "fprem", fpu_fprem(s, 0), 0)                                                  \
    X(fprem1, "fprem1", fpu_fprem(s, 1), 0)                                                \
    X(fnclex, "fnclex", fpu_clex(s), 0)                                                    \
    X(fldcw, "fldcw 96(%1)", fpu_set_fcw(s, ld16_le(m + M_CW)), 0)                         \
    X(fnstenv, "fnstenv 64(%1)", { fpu_fstenv(s, m + M_OUT, 1, 1); s->fpuc |= 0x3f; }, F_ENV) \
    X(f2xm1, "f2xm1", fpu_f2xm1(s), F_APPROX)                                              \
    X(fyl2x, "fyl2x", fpu_fyl2x(s), F_APPROX)                                              \
    X(fyl2xp1, "fyl2xp1", fpu_fyl2xp1(s), F_APPROX)                                        \
    X(fptan, "fptan", fpu_fptan(s), F_APPROX)                                              \
    X(fpatan, "fpatan", fpu_fpatan(s), F_APPROX)                                           \
    X(fsin, "fsin", fpu_fsin(s), F_APPROX)                                                 \
    X(fcos, "fcos", fpu_fcos(s), F_APPROX)                                                 \
    X(fsincos, "fsincos", fpu_fsincos(s), F_APPROX)

static uint32_t fpu_fucomi_p(X86State *s)
{
    return fpu_fcomi(s, 2, 1, 1);
}

#define HOST_FN(name, insn, model, fl)                                                    \
    static void host_##name(uint8_t *img, uint8_t *m)                                     \
    {                                                                                     \
        __asm__ volatile("frstor (%0)\n\t" insn "\n\tfnsave (%0)"                         \
                         : : "r"(img), "r"(m) : "memory", "cc");                         \
    }                                                                                     \
    static void model_##name(X86State *s, uint8_t *m)                                     \
    {                                                                                     \
        (void)m;                                                                          \
        model;                                                                            \
    }
FPU_INSNS(HOST_FN)

typedef struct Insn {
    const char *name;
    void (*host)(uint8_t *img, uint8_t *m);
    void (*model)(X86State *s, uint8_t *m);
    int flags;
} Insn;

#define TABLE_ROW(name, insn, model, fl) { #name, host_##name, model_##name, fl },
static const Insn insns[] = { FPU_INSNS(TABLE_ROW) };

static uint64_t rnd_sig(void)
{
    switch (rndn(5)) {
    case 0: return ~0ull << rndn(64);
    case 1: return 1ull << rndn(64);
    default: return rnd64();
    }
}

static void random_inputs(uint8_t *m)
{
    static const uint32_t f32s[] = { 0, 0x80000000u, 0x7f800000u, 0x7fc00000u, 0x7f800001u, 0x00000001u,
                                     0x3f800000u, 0x7f7fffffu };
    static const uint64_t f64s[] = { 0, 0x7ff0000000000000ull, 0x7ff8000000000000ull,
                                     0x7ff0000000000001ull, 1, 0x3ff0000000000000ull };
    uint16_t e;
    uint64_t r1 = rnd64(), r2 = rnd64();
    st32_le(m + M_F32, rndn(4) ? (uint32_t)(0x3f800000u + (r1 & 0x0fffffffu) - 0x08000000u) ^ (uint32_t)(r2 & 0x80000000u)
                               : f32s[rndn(PEMU_ARRAY_SIZE(f32s))]);
    r1 = rnd64();
    r2 = rnd64();
    st64_le(m + M_F64, rndn(4) ? (0x3ff0000000000000ull + (r1 >> 5) - (1ull << 58)) ^ (r2 & (1ull << 63))
                               : rndn(2) ? f64s[rndn(PEMU_ARRAY_SIZE(f64s))] : rnd64());
    switch (rndn(8)) {
    case 0: e = (uint16_t)rndn(0x10000); break;
    case 1: e = (uint16_t)(rndn(2) ? 0x7fff : 0xffff); break;
    case 2: e = (uint16_t)(rndn(2) << 15); break;
    default: e = (uint16_t)(rnd64() & 0x8000); e = (uint16_t)(e | (0x3fff - 40 + rndn(80))); break;
    }
    uint64_t mant = rnd_sig();
    if (rndn(8))
        mant |= 1ull << 63;
    st64_le(m + M_F80, mant);
    st16_le(m + M_F80 + 8, e);
    st16_le(m + M_I16, (uint16_t)rnd64());
    r1 = rnd64();
    st32_le(m + M_I32, (uint32_t)(r1 >> rndn(32)));
    r1 = rnd64();
    st64_le(m + M_I64, r1 >> rndn(64));
    for (int i = 0; i < 9; i++)
    {
        unsigned lo = rndn(10);
        m[M_BCD + i] = (uint8_t)(lo | rndn(10) << 4);
    }
    m[M_BCD + 9] = (uint8_t)(rnd64() & 0x80);
    static const uint16_t pcrc[] = { 0x037f, 0x027f, 0x007f, 0x0b7f, 0x077f, 0x0f7f, 0x037f };
    uint16_t cw = pcrc[rndn(PEMU_ARRAY_SIZE(pcrc))];
    if (rndn(4) == 0)
        cw = (uint16_t)((cw & ~0x3f) | rndn(64));
    st16_le(m + M_CW, cw);
    memset(m + M_OUT, 0x5a, 32);
    memset(m + M_EFL, 0, 8);
}

static void model_image(X86State *s, uint8_t img[108])
{
    fpu_fstenv(s, img, 1, 1);
    for (int i = 0; i < 8; i++) {
        FloatX80 v = st(s, i);
        st64_le(img + 28 + 10 * i, v.mant);
        st16_le(img + 36 + 10 * i, v.sexp);
    }
}

static void dump(const char *who, const uint8_t *img)
{
    fprintf(stderr, "  %s: cw %04x sw %04x tw %04x", who, ld16_le(img), ld16_le(img + 4), ld16_le(img + 8));
    for (int i = 0; i < 8; i++)
        fprintf(stderr, " %04x:%016llx", ld16_le(img + 36 + 10 * i), (unsigned long long)ld64_le(img + 28 + 10 * i));
    fprintf(stderr, "\n");
}

TEST(host_sequences)
{
    static uint8_t himg[108] __attribute__((aligned(16))), mimg[108];
    static uint8_t hm[M_SIZE] __attribute__((aligned(16))), mm[M_SIZE];
    long n = cases(300000), bad = 0, approx_diff = 0;
    unsigned ninsn = PEMU_ARRAY_SIZE(insns);
    X86State *s = new_state();
    __asm__ volatile("fninit\n\tfnsave %0" : "=m"(himg));
    for (long step = 0; step < n; step++) {
        const Insn *in = &insns[rndn(ninsn)];
        random_inputs(hm);
        memcpy(mm, hm, M_SIZE);
        uint8_t before[108];
        memcpy(before, himg, 108);
        in->host(himg, hm);
        in->model(s, mm);
        model_image(s, mimg);
        int ok = ld16_le(himg) == ld16_le(mimg) && ld16_le(himg + 8) == ld16_le(mimg + 8);
        uint16_t hsw = ld16_le(himg + 4), msw = ld16_le(mimg + 4);
        if (in->flags & F_APPROX) {
            /* transcendental results may differ by an ulp: check the stack shape
             * and C2, then take the host's state */
            ok = ok && (hsw & (FSW_TOP | FSW_C2 | FSW_SF)) == (msw & (FSW_TOP | FSW_C2 | FSW_SF));
            if (ok && (hsw != msw || memcmp(himg + 28, mimg + 28, 80)))
                approx_diff++;
        } else {
            ok = ok && hsw == msw && !memcmp(himg + 28, mimg + 28, 80);
            if (in->flags & F_OUT)
                ok = ok && !memcmp(hm + M_OUT, mm + M_OUT, 16);
            if (in->flags & F_ENV)
                ok = ok && !memcmp(hm + M_OUT, mm + M_OUT, 12);
            if (in->flags & F_EFL)
                ok = ok && (ld64_le(hm + M_EFL) & 0x8d5) == ld64_le(mm + M_EFL);
        }
        if (!ok) {
            static long tally[PEMU_ARRAY_SIZE(insns)];
            bad++;
            if (tally[in - insns]++ < (getenv("PEMU_FPU_VERBOSE") ? 3 : 1)) {
                fprintf(stderr, "step %ld: %s differs (cw %04x m80 %04x:%016llx m32 %08x m64 %016llx)\n", step,
                        in->name, ld16_le(hm + M_CW), ld16_le(hm + M_F80 + 8),
                        (unsigned long long)ld64_le(hm + M_F80), ld32_le(hm + M_F32),
                        (unsigned long long)ld64_le(hm + M_F64));
                dump("before", before);
                dump("host  ", himg);
                dump("model ", mimg);
                if (in->flags & (F_OUT | F_EFL))
                    fprintf(stderr, "  out host %016llx model %016llx efl %llx/%llx\n",
                            (unsigned long long)ld64_le(hm + M_OUT), (unsigned long long)ld64_le(mm + M_OUT),
                            (unsigned long long)ld64_le(hm + M_EFL), (unsigned long long)ld64_le(mm + M_EFL));
            }
        }
        if (!ok || (in->flags & F_APPROX)) /* continue from the host's state */
            fpu_frstor(s, himg, 1, 1);
        if (hsw & FSW_ES) { /* keep the next waiting instruction from trapping */
            st16_le(himg + 4, hsw & (uint16_t)~(0xff | FSW_B));
            fpu_clex(s);
        }
    }
    fprintf(stderr, "%ld steps, %ld differ; %ld transcendental steps differ in bits/flags only\n", n, bad,
            approx_diff);
    CHECK_EQ(bad, 0);
}

/* FXSAVE of the host after random loads vs. the model's image. */
TEST(host_fxsave)
{
    static uint8_t img[108] __attribute__((aligned(16)));
    static uint8_t hx[512] __attribute__((aligned(16))), mx[512];
    static uint8_t hm[M_SIZE] __attribute__((aligned(16)));
    for (int round = 0; round < 200; round++) {
        X86State *s = new_state();
        __asm__ volatile("fninit\n\tfnsave %0" : "=m"(img));
        fpu_frstor(s, img, 1, 1); /* FNINIT keeps stale register contents */
        int n = (int)rndn(10);
        for (int i = 0; i < n; i++) {
            const Insn *in = &insns[rndn(30)]; /* loads and stores */
            random_inputs(hm);
            in->host(img, hm);
            in->model(s, hm);
            fpu_frstor(s, img, 1, 1); /* same state even if a store differed */
        }
        uint32_t mxcsr = 0x1f80 | (uint32_t)(rndn(4) << 13) | (uint32_t)rndn(0x40);
        s->mxcsr = mxcsr;
        memset(hx, 0, sizeof(hx));
        __asm__ volatile("frstor %1\n\tldmxcsr %2\n\tfxsave %0\n\tfninit"
                         : "=m"(hx) : "m"(img), "m"(mxcsr) : "memory");
        uint32_t dflt = 0x1f80;
        __asm__ volatile("ldmxcsr %0" : : "m"(dflt));
        fpu_fxsave(s, mx, 8, 0);
        /* FCW, FSW, abridged FTW, MXCSR, MXCSR_MASK, ST0-7 (FOP/FIP/FDP are the translator's) */
        CHECK(!memcmp(hx, mx, 5));
        CHECK_EQ(ld32_le(hx + 24), ld32_le(mx + 24));
        /* MXCSR_MASK: 0xffff here; AMD hosts add bit 17 (misaligned-SSE mask) */
        CHECK_EQ(ld32_le(hx + 28) & 0xffff, ld32_le(mx + 28));
        for (int i = 0; i < 8; i++) {
            if (memcmp(hx + 32 + 16 * i, mx + 32 + 16 * i, 10))
                fprintf(stderr, "ST%d host %04x:%016llx model %04x:%016llx tags %04x\n", i,
                        ld16_le(hx + 40 + 16 * i), (unsigned long long)ld64_le(hx + 32 + 16 * i),
                        ld16_le(mx + 40 + 16 * i), (unsigned long long)ld64_le(mx + 32 + 16 * i),
                        fpu_get_ftw(s));
            CHECK(!memcmp(hx + 32 + 16 * i, mx + 32 + 16 * i, 10));
        }
        X86State *t = new_state();
        CHECK_EQ(fpu_fxrstor(t, hx, 8, 0), 0);
        CHECK_EQ(fpu_get_ftw(t), fpu_get_ftw(s));
        CHECK_EQ(fpu_get_fsw(t), fpu_get_fsw(s));
    }
}
#endif
