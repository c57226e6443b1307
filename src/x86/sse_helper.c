/*
 * SSE .. SSE4.2 lane arithmetic (sse_helper.h). Lanes are read and written
 * through lget/lset, which index the two host-order quadwords of an XMM
 * register by bit position: element order never depends on the host's
 * byte order. Every op computes into a local register and copies it at
 * the end, so d and s may be the same register.
 */
#include "src/x86/sse_helper.h"

#include "src/softmmu.h"
#include "src/x86/fpu.h"
#include "src/x86/softfloat.h"

/* ---- lanes --------------------------------------------------------------------- */

static inline uint64_t lget(const X86Xmm *x, unsigned bits, unsigned i)
{
    unsigned bit = i * bits;
    uint64_t v = x->q[bit >> 6] >> (bit & 63);
    return bits == 64 ? v : v & ((1ull << bits) - 1);
}

static inline void lset(X86Xmm *x, unsigned bits, unsigned i, uint64_t v)
{
    unsigned bit = i * bits;
    uint64_t m = bits == 64 ? ~0ull : ((1ull << bits) - 1) << (bit & 63);
    x->q[bit >> 6] = (x->q[bit >> 6] & ~m) | ((v << (bit & 63)) & m);
}

/* v's low `bits` bits as a signed value */
static inline int64_t sx(uint64_t v, unsigned bits)
{
    if (bits == 64)
        return (int64_t)v;
    uint64_t sign = 1ull << (bits - 1);
    return (int64_t)(((v & ((sign << 1) - 1)) ^ sign) - sign);
}

static inline int64_t sat(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* arithmetic shift right without relying on the implementation's >> of negatives */
static inline int64_t asr(int64_t v, unsigned n)
{
    return v >= 0 ? v >> n : ~(~v >> n);
}

static const X86Xmm xmm_zero;

#define SSE_FN(name) \
    uint64_t sse_##name(X86State *e, X86Xmm *d, const X86Xmm *s, uint64_t arg, int *fault)
#define UNUSED_ARGS (void)e; (void)arg; (void)fault

/* ---- integer lane-wise ops -------------------------------------------------------- */

/* r[i] = expr over a/b (signed) and ua/ub (unsigned) lanes of d and s. */
#define IBIN(name, bits, expr)                                              \
    SSE_FN(name)                                                            \
    {                                                                       \
        X86Xmm r;                                                           \
        UNUSED_ARGS;                                                        \
        for (unsigned i = 0; i < 128 / (bits); i++) {                       \
            uint64_t ua = lget(d, bits, i), ub = lget(s, bits, i);          \
            int64_t a = sx(ua, bits), b = sx(ub, bits);                     \
            (void)ua; (void)ub; (void)a; (void)b;                           \
            lset(&r, bits, i, (uint64_t)(expr));                            \
        }                                                                   \
        *d = r;                                                             \
        return 0;                                                           \
    }

IBIN(paddb, 8, ua + ub) IBIN(paddw, 16, ua + ub) IBIN(paddd, 32, ua + ub) IBIN(paddq, 64, ua + ub)
IBIN(psubb, 8, ua - ub) IBIN(psubw, 16, ua - ub) IBIN(psubd, 32, ua - ub) IBIN(psubq, 64, ua - ub)
IBIN(paddsb, 8, sat(a + b, -128, 127)) IBIN(paddsw, 16, sat(a + b, -32768, 32767))
IBIN(psubsb, 8, sat(a - b, -128, 127)) IBIN(psubsw, 16, sat(a - b, -32768, 32767))
IBIN(paddusb, 8, sat((int64_t)(ua + ub), 0, 255)) IBIN(paddusw, 16, sat((int64_t)(ua + ub), 0, 65535))
IBIN(psubusb, 8, ua > ub ? ua - ub : 0) IBIN(psubusw, 16, ua > ub ? ua - ub : 0)
IBIN(pmullw, 16, a * b) IBIN(pmulhw, 16, (uint64_t)(a * b) >> 16)
IBIN(pmulhuw, 16, (ua * ub) >> 16) IBIN(pmulld, 32, a * b)
IBIN(pmuludq, 64, (ua & 0xffffffffu) * (ub & 0xffffffffu))
IBIN(pmuldq, 64, sx(ua, 32) * sx(ub, 32))
IBIN(pmulhrsw, 16, asr(a * b + 0x4000, 15))
IBIN(pavgb, 8, (ua + ub + 1) >> 1) IBIN(pavgw, 16, (ua + ub + 1) >> 1)
IBIN(pminub, 8, ua < ub ? ua : ub) IBIN(pmaxub, 8, ua > ub ? ua : ub)
IBIN(pminuw, 16, ua < ub ? ua : ub) IBIN(pmaxuw, 16, ua > ub ? ua : ub)
IBIN(pminud, 32, ua < ub ? ua : ub) IBIN(pmaxud, 32, ua > ub ? ua : ub)
IBIN(pminsb, 8, a < b ? a : b) IBIN(pmaxsb, 8, a > b ? a : b)
IBIN(pminsw, 16, a < b ? a : b) IBIN(pmaxsw, 16, a > b ? a : b)
IBIN(pminsd, 32, a < b ? a : b) IBIN(pmaxsd, 32, a > b ? a : b)
IBIN(pcmpeqb, 8, ua == ub ? ~0ull : 0) IBIN(pcmpeqw, 16, ua == ub ? ~0ull : 0)
IBIN(pcmpeqd, 32, ua == ub ? ~0ull : 0) IBIN(pcmpeqq, 64, ua == ub ? ~0ull : 0)
IBIN(pcmpgtb, 8, a > b ? ~0ull : 0) IBIN(pcmpgtw, 16, a > b ? ~0ull : 0)
IBIN(pcmpgtd, 32, a > b ? ~0ull : 0) IBIN(pcmpgtq, 64, a > b ? ~0ull : 0)
IBIN(psignb, 8, b < 0 ? -a : b == 0 ? 0 : a) IBIN(psignw, 16, b < 0 ? -a : b == 0 ? 0 : a)
IBIN(psignd, 32, b < 0 ? -a : b == 0 ? 0 : a)
IBIN(pabsb, 8, b < 0 ? -b : b) IBIN(pabsw, 16, b < 0 ? -b : b) IBIN(pabsd, 32, b < 0 ? -b : b)
/* masks from the sign bits (high bit of each byte) of xmm0 / the immediate */
IBIN(blendvps, 32, (lget(&e->xmm[0], 32, i) >> 31) ? ub : ua)
IBIN(blendvpd, 64, (lget(&e->xmm[0], 64, i) >> 63) ? ub : ua)
IBIN(pblendvb, 8, (lget(&e->xmm[0], 8, i) >> 7) ? ub : ua)
IBIN(blendps, 32, (arg >> i) & 1 ? ub : ua) IBIN(blendpd, 64, (arg >> i) & 1 ? ub : ua)
IBIN(pblendw, 16, (arg >> i) & 1 ? ub : ua)
/* unary on s */
IBIN(movshdup, 32, lget(s, 32, i | 1)) IBIN(movsldup, 32, lget(s, 32, i & ~1u))
IBIN(movddup, 64, lget(s, 64, 0))
IBIN(pshufd, 32, lget(s, 32, (arg >> (2 * i)) & 3))
IBIN(pshuflw, 16, i < 4 ? lget(s, 16, (arg >> (2 * i)) & 3) : ub)
IBIN(pshufhw, 16, i >= 4 ? lget(s, 16, 4 + ((arg >> (2 * (i - 4))) & 3)) : ub)
IBIN(pshufb, 8, (ub & 0x80) ? 0 : lget(d, 8, ub & 15))
IBIN(shufps, 32, lget(i < 2 ? d : s, 32, (arg >> (2 * i)) & 3))
IBIN(shufpd, 64, lget(i < 1 ? d : s, 64, (arg >> i) & 1))

/* PMADDWD: r32[i] = a[2i]*b[2i] + a[2i+1]*b[2i+1] (wraps for 4 x -32768) */
SSE_FN(pmaddwd)
{
    X86Xmm r;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 4; i++) {
        int64_t v = sx(lget(d, 16, 2 * i), 16) * sx(lget(s, 16, 2 * i), 16) +
                    sx(lget(d, 16, 2 * i + 1), 16) * sx(lget(s, 16, 2 * i + 1), 16);
        lset(&r, 32, i, (uint64_t)v);
    }
    *d = r;
    return 0;
}

/* PMADDUBSW: unsigned bytes of d times signed bytes of s, pairs summed with saturation */
SSE_FN(pmaddubsw)
{
    X86Xmm r;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 8; i++) {
        int64_t v = (int64_t)lget(d, 8, 2 * i) * sx(lget(s, 8, 2 * i), 8) +
                    (int64_t)lget(d, 8, 2 * i + 1) * sx(lget(s, 8, 2 * i + 1), 8);
        lset(&r, 16, i, (uint64_t)sat(v, -32768, 32767));
    }
    *d = r;
    return 0;
}

/* PSADBW: per quadword, the sum of absolute byte differences in its low word */
SSE_FN(psadbw)
{
    X86Xmm r = xmm_zero;
    UNUSED_ARGS;
    for (unsigned h = 0; h < 2; h++) {
        uint64_t sum = 0;
        for (unsigned i = 8 * h; i < 8 * h + 8; i++) {
            uint64_t a = lget(d, 8, i), b = lget(s, 8, i);
            sum += a > b ? a - b : b - a;
        }
        r.q[h] = sum;
    }
    *d = r;
    return 0;
}

/* PHADD/PHSUB: pairs of d then pairs of s */
static void hop(X86Xmm *d, const X86Xmm *s, unsigned bits, int sub, int saturate)
{
    X86Xmm r;
    unsigned half = 64 / bits;
    for (unsigned i = 0; i < 2 * half; i++) {
        const X86Xmm *x = i < half ? d : s;
        unsigned j = 2 * (i % half);
        int64_t a = sx(lget(x, bits, j), bits), b = sx(lget(x, bits, j + 1), bits);
        int64_t v = sub ? a - b : a + b;
        if (saturate)
            v = sat(v, -32768, 32767);
        lset(&r, bits, i, (uint64_t)v);
    }
    *d = r;
}

#define HOP(name, bits, sub, satur) \
    SSE_FN(name) { UNUSED_ARGS; hop(d, s, bits, sub, satur); return 0; }
HOP(phaddw, 16, 0, 0) HOP(phaddd, 32, 0, 0) HOP(phaddsw, 16, 0, 1)
HOP(phsubw, 16, 1, 0) HOP(phsubd, 32, 1, 0) HOP(phsubsw, 16, 1, 1)

/* PHMINPOSUW: the lowest unsigned word of s and its (lowest) index */
SSE_FN(phminposuw)
{
    X86Xmm r = xmm_zero;
    unsigned idx = 0;
    UNUSED_ARGS;
    for (unsigned i = 1; i < 8; i++)
        if (lget(s, 16, i) < lget(s, 16, idx))
            idx = i;
    lset(&r, 16, 0, lget(s, 16, idx));
    lset(&r, 16, 1, idx);
    *d = r;
    return 0;
}

/* MPSADBW: imm[2] picks d's 11-byte window (offset 0/4), imm[1:0] s's 4-byte block */
SSE_FN(mpsadbw)
{
    X86Xmm r;
    unsigned o1 = ((unsigned)arg >> 2 & 1) * 4, o2 = ((unsigned)arg & 3) * 4;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 8; i++) {
        uint64_t sum = 0;
        for (unsigned j = 0; j < 4; j++) {
            uint64_t a = lget(d, 8, o1 + i + j), b = lget(s, 8, o2 + j);
            sum += a > b ? a - b : b - a;
        }
        lset(&r, 16, i, sum);
    }
    *d = r;
    return 0;
}

/* PTEST: ZF = (d AND s) == 0, CF = (NOT d AND s) == 0, the rest clear */
SSE_FN(ptest)
{
    UNUSED_ARGS;
    uint64_t z = (d->q[0] & s->q[0]) | (d->q[1] & s->q[1]);
    uint64_t c = (~d->q[0] & s->q[0]) | (~d->q[1] & s->q[1]);
    return (z ? 0 : CC_Z) | (c ? 0 : CC_C);
}

/* ---- shifts ------------------------------------------------------------------------- */

enum { SH_RL, SH_RA, SH_LL };

static void shift(X86Xmm *d, const X86Xmm *s, uint64_t arg, unsigned bits, int kind)
{
    /* the count is the whole low quadword: 0x100 shifts everything out */
    uint64_t cnt = (arg & SSE_SHIFT_IMM) ? (arg & 0xff) : s->q[0];
    X86Xmm r;
    for (unsigned i = 0; i < 128 / bits; i++) {
        uint64_t v = lget(d, bits, i);
        switch (kind) {
        case SH_RL: v = cnt >= bits ? 0 : v >> cnt; break;
        case SH_LL: v = cnt >= bits ? 0 : v << cnt; break;
        default: v = (uint64_t)asr(sx(v, bits), cnt >= bits ? bits - 1 : (unsigned)cnt); break;
        }
        lset(&r, bits, i, v);
    }
    *d = r;
}

#define SHIFT(name, bits, kind) \
    SSE_FN(name) { (void)e; (void)fault; shift(d, s, arg, bits, kind); return 0; }
SHIFT(psrlw, 16, SH_RL) SHIFT(psrld, 32, SH_RL) SHIFT(psrlq, 64, SH_RL)
SHIFT(psraw, 16, SH_RA) SHIFT(psrad, 32, SH_RA)
SHIFT(psllw, 16, SH_LL) SHIFT(pslld, 32, SH_LL) SHIFT(psllq, 64, SH_LL)

/* PSRLDQ/PSLLDQ: whole-register byte shifts by imm8 (16 or more: zero) */
SSE_FN(psrldq)
{
    X86Xmm r;
    unsigned n = (unsigned)arg & 0xff;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 16; i++)
        lset(&r, 8, i, i + n < 16 ? lget(d, 8, i + n) : 0);
    *d = r;
    return 0;
}

SSE_FN(pslldq)
{
    X86Xmm r;
    unsigned n = (unsigned)arg & 0xff;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 16; i++)
        lset(&r, 8, i, i >= n ? lget(d, 8, i - n) : 0);
    *d = r;
    return 0;
}

/* PALIGNR: (d:s) >> imm8 bytes, the low 16 */
SSE_FN(palignr)
{
    X86Xmm r;
    unsigned n = (unsigned)arg & 0xff;
    UNUSED_ARGS;
    for (unsigned i = 0; i < 16; i++) {
        unsigned k = i + n;
        lset(&r, 8, i, k < 16 ? lget(s, 8, k) : k < 32 ? lget(d, 8, k - 16) : 0);
    }
    *d = r;
    return 0;
}

/* ---- pack, unpack, insert, extend ------------------------------------------------------ */

static void pack(X86Xmm *d, const X86Xmm *s, unsigned bits, int64_t lo, int64_t hi)
{
    X86Xmm r;
    unsigned n = 128 / bits;
    for (unsigned i = 0; i < 2 * n; i++) {
        const X86Xmm *x = i < n ? d : s;
        lset(&r, bits / 2, i, (uint64_t)sat(sx(lget(x, bits, i % n), bits), lo, hi));
    }
    *d = r;
}

#define PACK(name, bits, lo, hi) \
    SSE_FN(name) { UNUSED_ARGS; pack(d, s, bits, lo, hi); return 0; }
PACK(packsswb, 16, -128, 127) PACK(packuswb, 16, 0, 255)
PACK(packssdw, 32, -32768, 32767) PACK(packusdw, 32, 0, 65535)

/* PUNPCKL/H: interleave the low/high halves of d and s */
static void unpack(X86Xmm *d, const X86Xmm *s, unsigned bits, int high)
{
    X86Xmm r;
    unsigned n = 64 / bits, base = high ? n : 0;
    for (unsigned i = 0; i < n; i++) {
        lset(&r, bits, 2 * i, lget(d, bits, base + i));
        lset(&r, bits, 2 * i + 1, lget(s, bits, base + i));
    }
    *d = r;
}

#define UNPACK(name, bits, high) \
    SSE_FN(name) { UNUSED_ARGS; unpack(d, s, bits, high); return 0; }
UNPACK(punpcklbw, 8, 0) UNPACK(punpcklwd, 16, 0) UNPACK(punpckldq, 32, 0) UNPACK(punpcklqdq, 64, 0)
UNPACK(punpckhbw, 8, 1) UNPACK(punpckhwd, 16, 1) UNPACK(punpckhdq, 32, 1) UNPACK(punpckhqdq, 64, 1)

/* INSERTPS: imm[7:6] source lane (register form), [5:4] destination lane, [3:0] zero mask */
SSE_FN(insertps)
{
    X86Xmm r = *d;
    unsigned imm = (unsigned)arg;
    (void)e; (void)fault;
    uint64_t v = lget(s, 32, (arg & SSE_INSERT_MEM) ? 0 : (imm >> 6) & 3);
    lset(&r, 32, (imm >> 4) & 3, v);
    for (unsigned i = 0; i < 4; i++)
        if (imm & (1u << i))
            lset(&r, 32, i, 0);
    *d = r;
    return 0;
}

static void pmov(X86Xmm *d, const X86Xmm *s, unsigned from, unsigned to, int sign)
{
    X86Xmm r;
    for (unsigned i = 0; i < 128 / to; i++) {
        uint64_t v = lget(s, from, i);
        lset(&r, to, i, sign ? (uint64_t)sx(v, from) : v);
    }
    *d = r;
}

#define PMOV(name, from, to, sign) \
    SSE_FN(name) { UNUSED_ARGS; pmov(d, s, from, to, sign); return 0; }
PMOV(pmovsxbw, 8, 16, 1) PMOV(pmovsxbd, 8, 32, 1) PMOV(pmovsxbq, 8, 64, 1)
PMOV(pmovsxwd, 16, 32, 1) PMOV(pmovsxwq, 16, 64, 1) PMOV(pmovsxdq, 32, 64, 1)
PMOV(pmovzxbw, 8, 16, 0) PMOV(pmovzxbd, 8, 32, 0) PMOV(pmovzxbq, 8, 64, 0)
PMOV(pmovzxwd, 16, 32, 0) PMOV(pmovzxwq, 16, 64, 0) PMOV(pmovzxdq, 32, 64, 0)

/* sign bits to a GPR */
static uint64_t signmask(const X86Xmm *s, unsigned bits)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 128 / bits; i++)
        m |= (lget(s, bits, i) >> (bits - 1)) << i;
    return m;
}

SSE_FN(movmskps) { UNUSED_ARGS; (void)d; return signmask(s, 32); }
SSE_FN(movmskpd) { UNUSED_ARGS; (void)d; return signmask(s, 64); }
SSE_FN(pmovmskb) { UNUSED_ARGS; (void)d; return signmask(s, 8); }

/* ---- floating point ----------------------------------------------------------------------- */

/*
 * Merge the flags of n lanes into MXCSR by the SDM's packed rule (see the
 * header); returns 1 when the instruction must fault.
 */
static int fp_commit(X86State *e, const SfStatus *st, unsigned n)
{
    uint8_t pre = 0, post = 0;
    for (unsigned i = 0; i < n; i++) {
        pre |= st[i].flags & (SF_IE | SF_DE | SF_ZE);
        post |= st[i].flags & (SF_OE | SF_UE | SF_PE);
    }
    SfStatus t = st[0];
    t.flags = (pre & ~st[0].mask) ? pre : (uint8_t)(pre | post);
    return fpu_sse_commit(e, &t);
}

enum { FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_MIN, FOP_MAX, FOP_SQRT };

/* MIN/MAX: a signaling compare (IE on any NaN); NaN or equal: the second operand.
 * DAZ zeroes the operands first: the zero is what is returned. */
static uint64_t fminmax(unsigned bits, int op, uint64_t a, uint64_t b, SfStatus *st)
{
    uint64_t sign = 1ull << (bits - 1);
    uint64_t expm = bits == 32 ? 0x7f800000ull : 0x7ff0000000000000ull;
    if (st->daz) {
        if (!(a & expm))
            a &= sign;
        if (!(b & expm))
            b &= sign;
    }
    int c = bits == 32 ? sf_f32_compare((uint32_t)a, (uint32_t)b, 1, st) : sf_f64_compare(a, b, 1, st);
    if (c == SF_UN)
        return b;
    return (op == FOP_MIN ? c == SF_LT : c == SF_GT) ? a : b;
}

static uint64_t farith(unsigned bits, int op, uint64_t a, uint64_t b, SfStatus *st)
{
    if (op == FOP_MIN || op == FOP_MAX)
        return fminmax(bits, op, a, b, st);
    if (bits == 32) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        switch (op) {
        case FOP_ADD: return sf_f32_add(x, y, st);
        case FOP_SUB: return sf_f32_sub(x, y, st);
        case FOP_MUL: return sf_f32_mul(x, y, st);
        case FOP_DIV: return sf_f32_div(x, y, st);
        default: return sf_f32_sqrt(y, st);
        }
    }
    switch (op) {
    case FOP_ADD: return sf_f64_add(a, b, st);
    case FOP_SUB: return sf_f64_sub(a, b, st);
    case FOP_MUL: return sf_f64_mul(a, b, st);
    case FOP_DIV: return sf_f64_div(a, b, st);
    default: return sf_f64_sqrt(b, st);
    }
}

/* n lanes (1: scalar, the rest of d kept) of d op s */
/* The op's SF_OP_ code for the host shortcut (FOP_ADD..FOP_DIV, FOP_SQRT). */
static int host_op(int op)
{
    return op == FOP_SQRT ? SF_OP_SQRT : op - FOP_ADD + SF_OP_ADD;
}

/* MXCSR lets the host's FPU compute: rounding to nearest, and PE set and
 * masked, so that whether the result is inexact changes nothing. */
#define MXCSR_HOST_OK(m) (((m) & 0x7000 /* RC, PM */) == 0x1000 && ((m) & SF_PE))

static void fp_lanes(X86State *e, X86Xmm *d, const X86Xmm *s, int op, unsigned bits, unsigned n,
                     int *fault)
{
    SfStatus st[4];
    X86Xmm r = *d;
    for (unsigned i = 0; i < n; i++) {
        st[i] = fpu_sse_status(e);
        lset(&r, bits, i, farith(bits, op, lget(d, bits, i), lget(s, bits, i), &st[i]));
    }
    if (fp_commit(e, st, n))
        *fault = 1;
    else
        *d = r;
}

/* The host-FPU shortcut, inlined into each op so that op, bits and n are
 * constants: 1 when every lane was computed there (nothing to raise). */
PEMU_INLINE int fp_host_lanes(X86State *e, X86Xmm *d, const X86Xmm *s, int op, unsigned bits,
                              unsigned n)
{
    uint64_t v[4];
    if (!MXCSR_HOST_OK(e->mxcsr))
        return 0;
    for (unsigned i = 0; i < n; i++) {
        if (bits == 64) {
            if (!sf_f64_host(host_op(op), lget(d, 64, i), lget(s, 64, i), &v[i]))
                return 0;
        } else {
            uint32_t w;
            if (!sf_f32_host(host_op(op), (uint32_t)lget(d, 32, i), (uint32_t)lget(s, 32, i), &w))
                return 0;
            v[i] = w;
        }
    }
    for (unsigned i = 0; i < n; i++)
        lset(d, bits, i, v[i]);
    return 1;
}

#define FPOP(name, op, bits, n)                                                         \
    SSE_FN(name)                                                                        \
    {                                                                                   \
        (void)arg;                                                                      \
        if (op == FOP_MIN || op == FOP_MAX || !fp_host_lanes(e, d, s, op, bits, n))     \
            fp_lanes(e, d, s, op, bits, n, fault);                                      \
        return 0;                                                                       \
    }
#define FPOP4(name, op)                                                         \
    FPOP(name##ps, op, 32, 4) FPOP(name##pd, op, 64, 2)                         \
    FPOP(name##ss, op, 32, 1) FPOP(name##sd, op, 64, 1)
FPOP4(add, FOP_ADD) FPOP4(sub, FOP_SUB) FPOP4(mul, FOP_MUL) FPOP4(div, FOP_DIV)
FPOP4(min, FOP_MIN) FPOP4(max, FOP_MAX) FPOP4(sqrt, FOP_SQRT)

/* ADDSUB: even lanes subtract, odd lanes add. HADD/HSUB: pairs of d, then of s. */
static void fp_horiz(X86State *e, X86Xmm *d, const X86Xmm *s, unsigned bits, int kind, int *fault)
{
    SfStatus st[4];
    X86Xmm r;
    unsigned n = 128 / bits, half = n / 2;
    for (unsigned i = 0; i < n; i++) {
        st[i] = fpu_sse_status(e);
        uint64_t v;
        if (kind == 0) {
            v = farith(bits, (i & 1) ? FOP_ADD : FOP_SUB, lget(d, bits, i), lget(s, bits, i), &st[i]);
        } else {
            const X86Xmm *x = i < half ? d : s;
            unsigned j = 2 * (i % half);
            v = farith(bits, kind == 1 ? FOP_ADD : FOP_SUB, lget(x, bits, j), lget(x, bits, j + 1), &st[i]);
        }
        lset(&r, bits, i, v);
    }
    if (fp_commit(e, st, n))
        *fault = 1;
    else
        *d = r;
}

#define FPH(name, bits, kind) \
    SSE_FN(name) { (void)arg; fp_horiz(e, d, s, bits, kind, fault); return 0; }
FPH(addsubps, 32, 0) FPH(addsubpd, 64, 0) FPH(haddps, 32, 1) FPH(haddpd, 64, 1)
FPH(hsubps, 32, 2) FPH(hsubpd, 64, 2)

/* CMPccPS..: imm[2:0] = EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD; LT/LE/NLT/NLE signal on QNaN */
static int cmp_true(int c, unsigned pred)
{
    switch (pred & 7) {
    case 0: return c == SF_EQ;
    case 1: return c == SF_LT;
    case 2: return c == SF_LT || c == SF_EQ;
    case 3: return c == SF_UN;
    case 4: return c != SF_EQ;
    case 5: return c != SF_LT;
    case 6: return !(c == SF_LT || c == SF_EQ);
    default: return c != SF_UN;
    }
}

static int cmp_signaling(unsigned pred)
{
    pred &= 3;
    return pred == 1 || pred == 2;
}

static void fp_cmp(X86State *e, X86Xmm *d, const X86Xmm *s, unsigned pred, unsigned bits, unsigned n,
                   int *fault)
{
    SfStatus st[4];
    X86Xmm r = *d;
    for (unsigned i = 0; i < n; i++) {
        st[i] = fpu_sse_status(e);
        uint64_t a = lget(d, bits, i), b = lget(s, bits, i);
        int c = bits == 32 ? sf_f32_compare((uint32_t)a, (uint32_t)b, cmp_signaling(pred), &st[i])
                           : sf_f64_compare(a, b, cmp_signaling(pred), &st[i]);
        lset(&r, bits, i, cmp_true(c, pred) ? ~0ull : 0);
    }
    if (fp_commit(e, st, n))
        *fault = 1;
    else
        *d = r;
}

SSE_FN(cmpps) { fp_cmp(e, d, s, (unsigned)arg, 32, 4, fault); return 0; }
SSE_FN(cmppd) { fp_cmp(e, d, s, (unsigned)arg, 64, 2, fault); return 0; }
SSE_FN(cmpss) { fp_cmp(e, d, s, (unsigned)arg, 32, 1, fault); return 0; }
SSE_FN(cmpsd) { fp_cmp(e, d, s, (unsigned)arg, 64, 1, fault); return 0; }

/* COMIS/UCOMIS: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal */
static uint64_t fp_comi(X86State *e, const X86Xmm *d, const X86Xmm *s, unsigned bits, int signaling,
                        int *fault)
{
    SfStatus st = fpu_sse_status(e);
    int c = bits == 32 ? sf_f32_compare((uint32_t)lget(d, 32, 0), (uint32_t)lget(s, 32, 0), signaling, &st)
                       : sf_f64_compare(d->q[0], s->q[0], signaling, &st);
    if (fp_commit(e, &st, 1))
        *fault = 1;
    switch (c) {
    case SF_UN: return CC_Z | CC_P | CC_C;
    case SF_LT: return CC_C;
    case SF_EQ: return CC_Z;
    default: return 0;
    }
}

SSE_FN(comiss) { (void)arg; return fp_comi(e, d, s, 32, 1, fault); }
SSE_FN(ucomiss) { (void)arg; return fp_comi(e, d, s, 32, 0, fault); }
SSE_FN(comisd) { (void)arg; return fp_comi(e, d, s, 64, 1, fault); }
SSE_FN(ucomisd) { (void)arg; return fp_comi(e, d, s, 64, 0, fault); }

/* ROUND*: imm[1:0] rounding mode unless imm[2] (then MXCSR.RC); imm[3] suppresses PE */
static void fp_round(X86State *e, X86Xmm *d, const X86Xmm *s, unsigned imm, unsigned bits, unsigned n,
                     int *fault)
{
    SfStatus st[4];
    X86Xmm r = *d;
    for (unsigned i = 0; i < n; i++) {
        st[i] = fpu_sse_status(e);
        if (!(imm & 4))
            st[i].rmode = (uint8_t)(imm & 3);
        uint64_t a = lget(s, bits, i);
        lset(&r, bits, i, bits == 32 ? sf_f32_round_int((uint32_t)a, !(imm & 8), &st[i])
                                     : sf_f64_round_int(a, !(imm & 8), &st[i]));
    }
    if (fp_commit(e, st, n))
        *fault = 1;
    else
        *d = r;
}

SSE_FN(roundps) { fp_round(e, d, s, (unsigned)arg, 32, 4, fault); return 0; }
SSE_FN(roundpd) { fp_round(e, d, s, (unsigned)arg, 64, 2, fault); return 0; }
SSE_FN(roundss) { fp_round(e, d, s, (unsigned)arg, 32, 1, fault); return 0; }
SSE_FN(roundsd) { fp_round(e, d, s, (unsigned)arg, 64, 1, fault); return 0; }

/*
 * DPPS/DPPD (SDM DP_primitive): products of the lanes imm[7:4] selects (the
 * others +0.0), summed pairwise ((p0 + p1) + (p2 + p3)) with a rounding at
 * every step; the sum goes to the lanes imm[3:0] selects, +0.0 elsewhere.
 */
static void fp_dot(X86State *e, X86Xmm *d, const X86Xmm *s, unsigned imm, unsigned bits, int *fault)
{
    unsigned n = 128 / bits;
    SfStatus st = fpu_sse_status(e);
    uint64_t p[4];
    for (unsigned i = 0; i < n; i++)
        p[i] = (imm >> (4 + i)) & 1 ? farith(bits, FOP_MUL, lget(d, bits, i), lget(s, bits, i), &st) : 0;
    uint64_t sum = farith(bits, FOP_ADD, p[0], p[1], &st);
    if (n == 4)
        sum = farith(bits, FOP_ADD, sum, farith(bits, FOP_ADD, p[2], p[3], &st), &st);
    if (fp_commit(e, &st, 1)) {
        *fault = 1;
        return;
    }
    X86Xmm r;
    for (unsigned i = 0; i < n; i++)
        lset(&r, bits, i, (imm >> i) & 1 ? sum : 0);
    *d = r;
}

SSE_FN(dpps) { fp_dot(e, d, s, (unsigned)arg, 32, fault); return 0; }
SSE_FN(dppd) { fp_dot(e, d, s, (unsigned)arg, 64, fault); return 0; }

/* ---- conversions --------------------------------------------------------------------------- */

/* CVTSI2SS/SD: arg = the integer, sign-extended to 64 bits by the translator */
SSE_FN(cvtsi2ss)
{
    (void)s;
    SfStatus st = fpu_sse_status(e);
    uint32_t v = sf_f32_from_int((int64_t)arg, &st);
    if (fp_commit(e, &st, 1))
        *fault = 1;
    else
        lset(d, 32, 0, v);
    return 0;
}

SSE_FN(cvtsi2sd)
{
    (void)s;
    SfStatus st = fpu_sse_status(e);
    uint64_t v = sf_f64_from_int((int64_t)arg, &st);
    if (fp_commit(e, &st, 1))
        *fault = 1;
    else
        d->q[0] = v;
    return 0;
}

/* CVT(T)SS2SI/SD2SI: arg = the GPR width in bits (32, 64); out of range: the integer indefinite */
static uint64_t cvt2si(X86State *e, const X86Xmm *s, unsigned bits, int truncate, unsigned width,
                       int *fault)
{
    SfStatus st = fpu_sse_status(e);
    int64_t v = bits == 32 ? sf_f32_to_int((uint32_t)lget(s, 32, 0), (int)width, truncate, &st)
                           : sf_f64_to_int(s->q[0], (int)width, truncate, &st);
    if (fp_commit(e, &st, 1))
        *fault = 1;
    return (uint64_t)v;
}

SSE_FN(cvtss2si) { (void)d; return cvt2si(e, s, 32, 0, (unsigned)arg, fault); }
SSE_FN(cvttss2si) { (void)d; return cvt2si(e, s, 32, 1, (unsigned)arg, fault); }
SSE_FN(cvtsd2si) { (void)d; return cvt2si(e, s, 64, 0, (unsigned)arg, fault); }
SSE_FN(cvttsd2si) { (void)d; return cvt2si(e, s, 64, 1, (unsigned)arg, fault); }

/* Lane conversions. kind: what each destination lane i gets from source lane i. */
enum { CV_S2D, CV_D2S, CV_I2S, CV_S2I, CV_S2IT, CV_I2D, CV_D2I, CV_D2IT };

static void fp_cvt(X86State *e, X86Xmm *d, const X86Xmm *s, int kind, unsigned n, int keep, int *fault)
{
    SfStatus st[4];
    X86Xmm r = keep ? *d : xmm_zero;
    for (unsigned i = 0; i < n; i++) {
        SfStatus *t = &st[i];
        *t = fpu_sse_status(e);
        switch (kind) {
        case CV_S2D: lset(&r, 64, i, sf_f32_to_f64((uint32_t)lget(s, 32, i), t)); break;
        case CV_D2S: lset(&r, 32, i, sf_f64_to_f32(lget(s, 64, i), t)); break;
        case CV_I2S: lset(&r, 32, i, sf_f32_from_int(sx(lget(s, 32, i), 32), t)); break;
        case CV_I2D: lset(&r, 64, i, sf_f64_from_int(sx(lget(s, 32, i), 32), t)); break;
        case CV_S2I: case CV_S2IT:
            lset(&r, 32, i, (uint64_t)sf_f32_to_int((uint32_t)lget(s, 32, i), 32, kind == CV_S2IT, t));
            break;
        default:
            lset(&r, 32, i, (uint64_t)sf_f64_to_int(lget(s, 64, i), 32, kind == CV_D2IT, t));
            break;
        }
    }
    if (fp_commit(e, st, n))
        *fault = 1;
    else
        *d = r;
}

#define CVT(name, kind, n, keep) \
    SSE_FN(name) { (void)arg; fp_cvt(e, d, s, kind, n, keep, fault); return 0; }
CVT(cvtps2pd, CV_S2D, 2, 0) CVT(cvtpd2ps, CV_D2S, 2, 0)
CVT(cvtss2sd, CV_S2D, 1, 1) CVT(cvtsd2ss, CV_D2S, 1, 1)
CVT(cvtdq2ps, CV_I2S, 4, 0) CVT(cvtps2dq, CV_S2I, 4, 0) CVT(cvttps2dq, CV_S2IT, 4, 0)
CVT(cvtdq2pd, CV_I2D, 2, 0) CVT(cvtpd2dq, CV_D2I, 2, 0) CVT(cvttpd2dq, CV_D2IT, 2, 0)

/* ---- RCP / RSQRT --------------------------------------------------------------------------- */

/*
 * The SDM bounds the relative error by 1.5 * 2^-12 and leaves the bits to
 * the implementation (Intel's and AMD's differ). pemu uses a 12-bit table,
 * computed rather than stored: the input significand's top 12 fraction
 * bits (RSQRT: the exponent's parity and the top 11) select an interval,
 * and the result is the function at the interval's midpoint, rounded to
 * 24 bits: error <= 2^-13 + 2^-24. Denormal inputs count as zeros (-> inf),
 * results below the normal range are flushed to zero, nothing sets MXCSR
 * flags, NaNs come back quieted.
 */
static uint32_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = 1ull << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

uint32_t sse_rcp_f32(uint32_t a)
{
    uint32_t sign = a & 0x80000000u;
    int eb = (int)((a >> 23) & 0xff);
    if (eb == 0xff)
        return (a & 0x7fffff) ? a | 0x400000 : sign;   /* NaN quieted, 1/inf = 0 */
    if (eb == 0)
        return sign | 0x7f800000u;                       /* zero or denormal: inf */
    uint64_t m = 8192 + 2 * ((a >> 11) & 0xfff) + 1;     /* interval midpoint * 8192 */
    uint64_t q = ((1ull << 37) + m / 2) / m;              /* 2^24 / midpoint: in (2^23, 2^24) */
    int rb = 253 - eb;                                    /* biased exponent of the result */
    if (rb <= 0)
        return sign;
    return sign | (uint32_t)rb << 23 | (uint32_t)(q & 0x7fffff);
}

uint32_t sse_rsqrt_f32(uint32_t a)
{
    uint32_t sign = a & 0x80000000u;
    int eb = (int)((a >> 23) & 0xff);
    if (eb == 0xff && (a & 0x7fffff))
        return a | 0x400000;
    if (eb == 0)
        return sign | 0x7f800000u;                       /* +-0, denormals: +-inf */
    if (sign)
        return 0xffc00000u;                              /* negative: the QNaN indefinite */
    if (eb == 0xff)
        return 0;                                        /* 1/sqrt(inf) = 0 */
    int e = eb - 127;
    int odd = e & 1;
    uint64_t m = 4096 + 2 * ((a >> 12) & 0x7ff) + 1;     /* midpoint * 4096 of the fraction */
    /* q = 2^24 / sqrt(midpoint * (odd ? 2 : 1)), in (2^23, 2^24) */
    uint64_t q = isqrt64((odd ? 1ull << 59 : 1ull << 60) / m);
    int k = odd ? -(e - 1) / 2 : -e / 2;
    int rb = 127 + k - 1;
    return (uint32_t)rb << 23 | (uint32_t)(q & 0x7fffff);
}

static void approx(X86Xmm *d, const X86Xmm *s, unsigned n, uint32_t (*fn)(uint32_t))
{
    X86Xmm r = *d;
    for (unsigned i = 0; i < n; i++)
        lset(&r, 32, i, fn((uint32_t)lget(s, 32, i)));
    *d = r;
}

SSE_FN(rcpps) { UNUSED_ARGS; approx(d, s, 4, sse_rcp_f32); return 0; }
SSE_FN(rcpss) { UNUSED_ARGS; approx(d, s, 1, sse_rcp_f32); return 0; }
SSE_FN(rsqrtps) { UNUSED_ARGS; approx(d, s, 4, sse_rsqrt_f32); return 0; }
SSE_FN(rsqrtss) { UNUSED_ARGS; approx(d, s, 1, sse_rsqrt_f32); return 0; }

/* ---- SSE4.2 string compares (SDM Vol. 2 4.1) ----------------------------------------------- */

/*
 * imm[1:0]: element format (unsigned bytes, unsigned words, signed bytes,
 * signed words); imm[3:2]: aggregation (equal any, ranges, equal each,
 * equal ordered); imm[5:4]: polarity; imm[6]: most significant index (I)
 * / expanded mask (M). la, lb: valid elements of d and s.
 */
static uint32_t pcmpstr(const X86Xmm *d, const X86Xmm *s, unsigned imm, int la, int lb, uint32_t *flags)
{
    unsigned bits = (imm & 1) ? 16 : 8, n = 128 / bits;
    int sign = (imm & 2) != 0;
    uint32_t res = 0;
#define EL(x, i) (sign ? sx(lget(x, bits, i), bits) : (int64_t)lget(x, bits, i))
    for (unsigned j = 0; j < n; j++) {
        int bit = 0;
        switch ((imm >> 2) & 3) {
        case 0: /* equal any: s[j] is one of d[0..la) */
            for (int i = 0; i < la && (int)j < lb && !bit; i++)
                bit = EL(d, (unsigned)i) == EL(s, j);
            break;
        case 1: /* ranges: d[i] <= s[j] <= d[i+1] for a valid pair */
            for (int i = 0; i + 1 < la && (int)j < lb && !bit; i += 2)
                bit = EL(d, (unsigned)i) <= EL(s, j) && EL(s, j) <= EL(d, (unsigned)i + 1);
            break;
        case 2: /* equal each */
            if ((int)j >= la && (int)j >= lb)
                bit = 1;
            else if ((int)j < la && (int)j < lb)
                bit = EL(d, j) == EL(s, j);
            break;
        default: /* equal ordered: d is a substring of s starting at j */
            bit = 1;
            for (unsigned i = 0; i < n - j && bit; i++) {
                if ((int)i >= la)
                    break;
                if ((int)(j + i) >= lb)
                    bit = 0;
                else
                    bit = EL(d, i) == EL(s, j + i);
            }
            break;
        }
        res |= (uint32_t)bit << j;
    }
#undef EL
    uint32_t all = (1u << n) - 1;
    switch ((imm >> 4) & 3) {
    case 1: res ^= all; break;
    case 3: res ^= lb >= (int)n ? all : (1u << lb) - 1; break;
    }
    *flags = (res ? CC_C : 0) | (lb < (int)n ? CC_Z : 0) | (la < (int)n ? CC_S : 0) | (res & 1 ? CC_O : 0);
    return res;
}

static int implicit_len(const X86Xmm *x, unsigned imm)
{
    unsigned bits = (imm & 1) ? 16 : 8, n = 128 / bits;
    for (unsigned i = 0; i < n; i++)
        if (!lget(x, bits, i))
            return (int)i;
    return (int)n;
}

static int explicit_len(const X86State *e, int reg, uint64_t arg)
{
    int n = (arg & 1) ? 8 : 16;
    int64_t v = (arg & SSE_STR_W) ? (int64_t)e->regs[reg] : sx(e->regs[reg], 32);
    if (v < 0)
        v = v == INT64_MIN ? n : -v;
    return v > n ? n : (int)v;
}

static uint64_t str_index(uint32_t res, unsigned imm)
{
    unsigned n = (imm & 1) ? 8 : 16;
    if (!res)
        return n;
    unsigned i = 0;
    if (imm & 0x40) {
        for (i = n - 1; !(res >> i & 1); i--)
            continue;
    } else {
        while (!(res >> i & 1))
            i++;
    }
    return i;
}

static void str_mask(X86State *e, uint32_t res, unsigned imm)
{
    X86Xmm r = xmm_zero;
    unsigned bits = (imm & 1) ? 16 : 8;
    if (imm & 0x40) {
        for (unsigned i = 0; i < 128 / bits; i++)
            lset(&r, bits, i, (res >> i & 1) ? ~0ull : 0);
    } else {
        r.q[0] = res;
    }
    e->xmm[0] = r;
}

SSE_FN(pcmpestri)
{
    uint32_t fl;
    (void)fault;
    uint32_t res = pcmpstr(d, s, (unsigned)arg, explicit_len(e, R_EAX, arg), explicit_len(e, R_EDX, arg), &fl);
    return (uint64_t)fl << SSE_STR_FLAGS_SHIFT | str_index(res, (unsigned)arg);
}

SSE_FN(pcmpestrm)
{
    uint32_t fl;
    (void)fault;
    uint32_t res = pcmpstr(d, s, (unsigned)arg, explicit_len(e, R_EAX, arg), explicit_len(e, R_EDX, arg), &fl);
    str_mask(e, res, (unsigned)arg);
    return fl;
}

SSE_FN(pcmpistri)
{
    uint32_t fl;
    (void)e; (void)fault;
    uint32_t res = pcmpstr(d, s, (unsigned)arg, implicit_len(d, (unsigned)arg), implicit_len(s, (unsigned)arg), &fl);
    return (uint64_t)fl << SSE_STR_FLAGS_SHIFT | str_index(res, (unsigned)arg);
}

SSE_FN(pcmpistrm)
{
    uint32_t fl;
    (void)fault;
    uint32_t res = pcmpstr(d, s, (unsigned)arg, implicit_len(d, (unsigned)arg), implicit_len(s, (unsigned)arg), &fl);
    str_mask(e, res, (unsigned)arg);
    return fl;
}

/* ---- CRC32 ------------------------------------------------------------------------------------ */

uint32_t sse_crc32(uint32_t crc, uint64_t data, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        crc ^= (uint8_t)(data >> (8 * i));
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return crc;
}

static uint64_t h_crc32(void *env, uint64_t crc, uint64_t data, uint64_t size)
{
    (void)env;
    return sse_crc32((uint32_t)crc, data, (unsigned)size);
}

const IRHelperInfo sse_hi_crc32 = { "sse_crc32", { .f3 = h_crc32 }, 3, IR_I64 + 1, IR_CALL_PURE };

/* ---- the IR helpers ------------------------------------------------------------------------- */

static X86Xmm *reg_of(X86State *e, uint64_t i)
{
    return i < 16 ? &e->xmm[i] : &e->xmm_tmp;
}

/* An unmasked SIMD floating-point exception: #XM, or #UD when the OS did
 * not say it handles #XM (CR4.OSXMMEXCPT = 0; SDM Vol. 3 6.15 #XM). */
PEMU_NORETURN static void simd_fault(X86CPU *cpu)
{
    x86_raise_exception(cpu, (cpu->env.cr[4] & CR4_OSXMMEXCPT) ? EXCP_XM : EXCP_UD);
}

#define KIND_F IR_CALL_NO_WRITE_GLOBALS
#define KIND_I (IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_RAISE)
#define KIND_G (IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_RAISE)
#define KIND_FR KIND_F
#define KIND_IR KIND_I
#define KIND_GR KIND_G
#define RET_F 0
#define RET_I 0
#define RET_G 0
#define RET_FR (IR_I64 + 1)
#define RET_IR (IR_I64 + 1)
#define RET_GR (IR_I64 + 1)

#define SSE_WRAP(name, kind)                                                               \
    static uint64_t h_##name(void *env, uint64_t d, uint64_t s, uint64_t arg)              \
    {                                                                                      \
        X86CPU *cpu = env;                                                                 \
        int fault = 0;                                                                     \
        uint64_t r = sse_##name(&cpu->env, reg_of(&cpu->env, d), reg_of(&cpu->env, s), arg, &fault); \
        if (fault)                                                                         \
            simd_fault(cpu);                                                               \
        return r;                                                                          \
    }                                                                                      \
    const IRHelperInfo sse_hi_##name = { "sse_" #name, { .f3 = h_##name }, 3, RET_##kind, KIND_##kind };
SSE_HELPERS(SSE_WRAP)
#undef SSE_WRAP

/* MASKMOVDQU: the bytes of d whose mask byte in s has bit 7 set go to addr + i */
static uint64_t h_maskmov(void *env, uint64_t d, uint64_t s, uint64_t addr)
{
    X86CPU *cpu = env;
    X86State *e = &cpu->env;
    uint64_t amask = (e->hflags & HF_CS64) ? ~0ull : 0xffffffffull;
    for (unsigned i = 0; i < 16; i++)
        if (lget(reg_of(e, s), 8, i) & 0x80)
            softmmu_st(&cpu->parent, (addr + i) & amask, lget(reg_of(e, d), 8, i), IR_MO_8,
                       (unsigned)x86_mmu_index(e), cpu->parent.host_pc);
    return 0;
}

const IRHelperInfo sse_hi_maskmov = { "sse_maskmov", { .f3 = h_maskmov }, 3, 0, IR_CALL_NO_WRITE_GLOBALS };
