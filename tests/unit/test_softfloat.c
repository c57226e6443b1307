/*
 * softfloat tests.
 *
 * On x86 hosts the host's own x87 and SSE units are the oracle: random and
 * edge-case operands in every rounding mode, precision control and mask
 * setting go through both, and the result bits and the exception flags
 * (x87 status word: flags, ES, C1; MXCSR flags) must be identical.
 * PEMU_FPU_CASES=n sets the number of random cases per test (default
 * keeps `make check` fast). On every host, a table of hand-checked
 * vectors pins the bits down, so big-endian and 32-bit hosts are tested
 * for bit-exactness too.
 */
#include <stdio.h>
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "src/x86/softfloat.h"

#if defined(__x86_64__) || defined(__i386__)
#define HOST_X86 1
#else
#define HOST_X86 0
#endif

/* ---- helpers shared by the oracle tests and the vector table -------------- */

static FloatX80 X(uint16_t sexp, uint64_t mant)
{
    FloatX80 r = { mant, sexp };
    return r;
}

static SfStatus st_x87(int rc, int pc, int mask)
{
    SfStatus s = { 0 };
    s.rmode = (uint8_t)rc;
    s.prec = (uint8_t)pc;
    s.mask = (uint8_t)mask;
    return s;
}

/* x87 control word for (rc, pc, mask); bit 6 reads as 1. */
static uint16_t cw_of(int rc, int pc, int mask)
{
    int pcf = pc == 24 ? 0 : pc == 53 ? 2 : 3;
    return (uint16_t)(0x40 | (mask & 0x3f) | (pcf << 8) | (rc << 10));
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
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

/* A random significand: random bits, or runs of ones/zeros (carries, ties). */
static uint64_t rnd_sig(void)
{
    switch (rndn(6)) {
    case 0: return ~0ull << rndn(64);
    case 1: return (~0ull >> rndn(64)) ^ (rnd64() & 1);
    case 2: return 1ull << rndn(64) | (rnd64() & 1);
    case 3: return rnd64() & (~0ull << rndn(64));
    default: return rnd64();
    }
}

/* A random 80-bit operand of any class, weighted toward the interesting. */
static FloatX80 rnd_x80(void)
{
    uint16_t sign = (uint16_t)(rnd64() & 0x8000);
    uint64_t m = rnd_sig();
    unsigned k = rndn(100);
    uint16_t e;
    if (k < 45) e = (uint16_t)(0x3fff - 70 + rndn(140));             /* near 1 */
    else if (k < 55) e = (uint16_t)(1 + rndn(0x7ffe));               /* anywhere */
    else if (k < 62) e = (uint16_t)(0x7ffe - rndn(70));              /* near overflow */
    else if (k < 69) e = (uint16_t)(1 + rndn(70));                   /* near underflow */
    else if (k < 76) return X(sign, m & ~(1ull << 63));             /* denormal or zero */
    else if (k < 78) return X(sign, m | (1ull << 63));              /* pseudo-denormal */
    else if (k < 80) return X(sign, 0);                              /* zero */
    else if (k < 83) return X(sign | 0x7fff, 1ull << 63);            /* infinity */
    else if (k < 88) return X(sign | 0x7fff, m | (1ull << 63));      /* NaN */
    else if (k < 90) return X(sign | 0x7fff, (m | 1) & ~(1ull << 63)); /* pseudo-NaN/inf */
    else if (k < 92) return X(sign | (uint16_t)(1 + rndn(0x7ffe)), m & ~(1ull << 63)); /* unnormal */
    else if (k < 96) e = (uint16_t)(0x3fff - 3 + rndn(6));
    else e = (uint16_t)(0x3fff + 60 + rndn(10));                    /* big integers */
    return X(sign | e, m | (1ull << 63));
}

/* A second operand related to the first (cancellation, equal exponents). */
static FloatX80 rnd_x80_near(FloatX80 a)
{
    unsigned k = rndn(10);
    if (k < 5)
        return rnd_x80();
    FloatX80 b = a;
    if (k < 7)
        b.mant ^= rnd64() >> rndn(64);
    if (k == 7 || k == 9)
        b.sexp ^= 0x8000;
    if (k == 8)
        b.sexp = (uint16_t)((b.sexp & 0x8000) | ((b.sexp + rndn(130) - 65) & 0x7fff));
    return b;
}

static void print_x80(const char *what, FloatX80 v)
{
    fprintf(stderr, " %s=%04x:%016llx", what, v.sexp, (unsigned long long)v.mant);
}

static int rnd_pc(void)
{
    static const int pcs[] = { 24, 53, 64, 64 };
    return pcs[rndn(4)];
}

static int rnd_mask(void)
{
    return rndn(3) ? 0x3f : (int)rndn(64);
}

#if HOST_X86
/* ---- the host x87 as oracle ------------------------------------------------ */

typedef struct __attribute__((packed)) Tword {
    uint64_t mant;
    uint16_t sexp;
} Tword;

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_PREM, OP_PREM1, OP_SCALE, OP_RNDINT,
       OP_SIN, OP_COS, OP_TAN, OP_ATAN, OP_F2XM1, OP_YL2X, OP_YL2XP1 };

/*
 * Runs `op` with ST0 = a, ST1 = b under control word cw; returns the new
 * ST0 (and ST1 for two-result ops through *r1) and the status word taken
 * before anything else could change it.
 */
static uint16_t host_op(int op, uint16_t cw, FloatX80 a, FloatX80 b, FloatX80 *r0)
{
    Tword ta = { a.mant, a.sexp }, tb = { b.mant, b.sexp }, tr;
    uint16_t sw;
#define HOST_OP(insn)                                                            \
    __asm__ volatile("fninit\n\tfldcw %3\n\tfldt %5\n\tfldt %4\n\t" insn "\n\t"  \
                     "fnstsw %1\n\tfnclex\n\tfstpt %0\n\tfstp %%st(0)\n\tfninit" \
                     : "=m"(tr), "=m"(sw), "+m"(tb) : "m"(cw), "m"(ta), "m"(tb)  \
                     : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", \
                       "st(6)", "st(7)")
    switch (op) {
    case OP_ADD: HOST_OP("fadd %%st(1), %%st"); break;
    case OP_SUB: HOST_OP("fsub %%st(1), %%st"); break;
    case OP_MUL: HOST_OP("fmul %%st(1), %%st"); break;
    case OP_DIV: HOST_OP("fdiv %%st(1), %%st"); break;
    case OP_SQRT: HOST_OP("fsqrt"); break;
    case OP_PREM: HOST_OP("fprem"); break;
    case OP_PREM1: HOST_OP("fprem1"); break;
    case OP_SCALE: HOST_OP("fscale"); break;
    case OP_RNDINT: HOST_OP("frndint"); break;
    case OP_SIN: HOST_OP("fsin"); break;
    case OP_COS: HOST_OP("fcos"); break;
    default: abort();
    }
#undef HOST_OP
    r0->mant = tr.mant;
    r0->sexp = tr.sexp;
    return sw;
}

/* The status word bits an operation defines: flags, ES, C0-C3 per `cc`, B. */
#define SW_FLAGS 0x3f
#define SW_ES 0x80
#define SW_C0 0x100
#define SW_C1 0x200
#define SW_C2 0x400
#define SW_C3 0x4000
#define SW_B 0x8000

static uint16_t model_sw(const SfStatus *s)
{
    uint16_t sw = s->flags & SW_FLAGS;
    if (sw & ~s->mask & SW_FLAGS)
        sw |= SW_ES | SW_B;
    if (s->c1)
        sw |= SW_C1;
    return sw;
}

/* Destination left unchanged by an unmasked IE/DE/ZE (SDM 8.5). */
static int stops(const SfStatus *s)
{
    return (s->flags & ~s->mask & (SF_IE | SF_DE | SF_ZE)) != 0;
}

static FloatX80 model_op(int op, FloatX80 a, FloatX80 b, SfStatus *s, uint16_t *cc)
{
    unsigned q;
    int partial;
    FloatX80 r;
    *cc = 0;
    switch (op) {
    case OP_ADD: r = sf_x80_add(a, b, s); break;
    case OP_SUB: r = sf_x80_sub(a, b, s); break;
    case OP_MUL: r = sf_x80_mul(a, b, s); break;
    case OP_DIV: r = sf_x80_div(a, b, s); break;
    case OP_SQRT: r = sf_x80_sqrt(a, s); break;
    case OP_PREM:
    case OP_PREM1:
        r = sf_x80_rem(a, b, op == OP_PREM1, &q, &partial, s);
        *cc = (uint16_t)(((q & 1) ? SW_C1 : 0) | ((q & 2) ? SW_C3 : 0) | ((q & 4) ? SW_C0 : 0) |
                         (partial ? SW_C2 : 0));
        if (!stops(s))
            s->c1 = 0;
        break;
    case OP_SCALE: r = sf_x80_scale(a, b, s); break;
    case OP_RNDINT: r = sf_x80_round_int(a, s); break;
    default: abort();
    }
    if (stops(s))
        r = a;
    return r;
}

static const char *op_name[] = { "fadd", "fsub", "fmul", "fdiv", "fsqrt", "fprem", "fprem1",
                                 "fscale", "frndint", "fsin", "fcos", "fptan", "fpatan",
                                 "f2xm1", "fyl2x", "fyl2xp1" };

/* Compare n random cases of op against the host; returns the mismatches. */
static long oracle_x80(int op, long n, uint16_t cc_mask)
{
    long bad = 0;
    for (long i = 0; i < n; i++) {
        FloatX80 a = rnd_x80(), b = rnd_x80_near(a), hr, mr;
        int rc = (int)rndn(4), pc = rnd_pc(), mask = rnd_mask();
        uint16_t cw = cw_of(rc, pc, mask), cc;
        uint16_t hsw = host_op(op, cw, a, b, &hr);
        SfStatus s = st_x87(rc, pc, mask);
        mr = model_op(op, a, b, &s, &cc);
        uint16_t want = hsw & (SW_FLAGS | SW_ES | SW_B | SW_C1 | cc_mask);
        uint16_t got = (uint16_t)((model_sw(&s) | cc) & (SW_FLAGS | SW_ES | SW_B | SW_C1 | cc_mask));
        if (hr.mant != mr.mant || hr.sexp != mr.sexp || want != got) {
            if (bad++ < 12) {
                fprintf(stderr, "%s rc=%d pc=%d mask=%02x:", op_name[op], rc, pc, mask);
                print_x80("a", a);
                print_x80("b", b);
                print_x80("host", hr);
                print_x80("model", mr);
                fprintf(stderr, " sw host=%04x model=%04x\n", want, got);
            }
        }
    }
    if (bad)
        fprintf(stderr, "%s: %ld of %ld cases differ\n", op_name[op], bad, n);
    return bad;
}

TEST(x87_add) { CHECK_EQ(oracle_x80(OP_ADD, cases(200000), 0), 0); }
TEST(x87_sub) { CHECK_EQ(oracle_x80(OP_SUB, cases(200000), 0), 0); }
TEST(x87_mul) { CHECK_EQ(oracle_x80(OP_MUL, cases(200000), 0), 0); }
TEST(x87_div) { CHECK_EQ(oracle_x80(OP_DIV, cases(200000), 0), 0); }
TEST(x87_sqrt) { CHECK_EQ(oracle_x80(OP_SQRT, cases(200000), 0), 0); }
TEST(x87_prem) { CHECK_EQ(oracle_x80(OP_PREM, cases(200000), SW_C0 | SW_C2 | SW_C3), 0); }
TEST(x87_prem1) { CHECK_EQ(oracle_x80(OP_PREM1, cases(200000), SW_C0 | SW_C2 | SW_C3), 0); }
TEST(x87_scale) { CHECK_EQ(oracle_x80(OP_SCALE, cases(200000), 0), 0); }
TEST(x87_rndint) { CHECK_EQ(oracle_x80(OP_RNDINT, cases(200000), 0), 0); }

#endif /* HOST_X86 */
