/*
 * SSE lane helpers (src/x86/sse_helper.c).
 *
 * On x86 hosts with SSE4.2 the host CPU is the oracle: every op runs on
 * random and special operands (NaNs, infinities, denormals, values near
 * overflow/underflow, saturation edges) under random MXCSR rounding/DAZ/
 * FTZ settings, natively (inline asm) and through the helper, and the
 * result bits and MXCSR must be identical. PEMU_SSE_CASES=n sets the cases
 * per op. Elsewhere those tests SKIP; the hand-checked vectors, the
 * unmasked-exception rules and the RCP/RSQRT error bound run on every host.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "src/x86/fpu.h"
#include "src/x86/sse_helper.h"

#if defined(__x86_64__) || defined(__i386__)
#define HOST_X86 1
#define HOSTFN __attribute__((target("sse4.2"), noinline))
#else
#define HOST_X86 0
#endif

typedef uint64_t SseFn(X86State *e, X86Xmm *d, const X86Xmm *s, uint64_t arg, int *fault);

/* ---- random operands ------------------------------------------------------------ */

static uint64_t rng = 0x243F6A8885A308D3ull;

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
    const char *e = getenv("PEMU_SSE_CASES");
    long n = e ? strtol(e, NULL, 0) : 0;
    return n > 0 ? n : dflt;
}

static const uint32_t f32_special[] = {
    0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
    0x7fa00000, 0xff812345, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x4f000000,
    0xcf000000, 0x5f000000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0x4effffff, 0xcf000001,
};

static uint32_t rnd_f32(void)
{
    uint32_t sign = (uint32_t)rndn(2) << 31, m = (uint32_t)rnd64() & 0x7fffff;
    switch (rndn(8)) {
    case 0: return f32_special[rndn(sizeof(f32_special) / sizeof(f32_special[0]))];
    case 1: return sign | m;                                           /* denormal */
    case 2: return sign | (0xfcu + rndn(3)) << 23 | m;                 /* near overflow */
    case 3: return sign | (1u + rndn(26)) << 23 | m;                   /* near underflow */
    case 4: return sign | (127u + rndn(32)) << 23 | (m & ~0u << rndn(23)); /* integers, halves */
    default: return sign | (100u + rndn(56)) << 23 | m;
    }
}

static const uint64_t f64_special[] = {
    0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000000ull,
    0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
    0x41e0000000000000ull, 0xc1e0000000000000ull, 0x43e0000000000000ull, 0x3fe0000000000000ull,
    0x3ff8000000000000ull, 0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0x47efffffe0000000ull,
    0x3810000000000000ull, 0x36a0000000000000ull,
};

static uint64_t rnd_f64(void)
{
    uint64_t sign = (uint64_t)rndn(2) << 63, m = rnd64() & 0xfffffffffffffull;
    switch (rndn(8)) {
    case 0: return f64_special[rndn(sizeof(f64_special) / sizeof(f64_special[0]))];
    case 1: return sign | m;
    case 2: return sign | (uint64_t)(0x7fcu + rndn(3)) << 52 | m;
    case 3: return sign | (uint64_t)(1u + rndn(55)) << 52 | m;
    case 4: return sign | (uint64_t)(0x3ffu + rndn(64)) << 52 | (m & ~0ull << rndn(52));
    case 5: return sign | (uint64_t)(0x380u + rndn(0x100)) << 52 | (m & ~0ull << 29); /* binary32-exact */
    default: return sign | (uint64_t)(0x300u + rndn(0x200)) << 52 | m;
    }
}

static uint64_t rnd_lanes(unsigned bits)
{
    static const uint8_t b[] = { 0, 1, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x40 };
    switch (rndn(4)) {
    case 0: {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)b[rndn(sizeof(b))] << (8 * i);
        return v;
    }
    case 1: return bits == 32 ? (uint64_t)rnd_f32() << 32 | rnd_f32() : rnd_f64();
    case 2: return rnd64() & 0x00ff00ff00ff00ffull;
    default: return rnd64();
    }
}

enum { G_F32, G_F64, G_INT, G_CVT };

static void gen_xmm(X86Xmm *x, int gen)
{
    for (int h = 0; h < 2; h++) {
        switch (gen) {
        case G_F32: x->q[h] = (uint64_t)rnd_f32() << 32 | rnd_f32(); break;
        case G_F64: x->q[h] = rnd_f64(); break;
        case G_CVT: x->q[h] = rndn(2) ? (uint64_t)rnd_f32() << 32 | rnd_f32() : rnd_f64(); break;
        default: x->q[h] = rnd_lanes(rndn(2) ? 32 : 64); break;
        }
    }
}

/* all exceptions masked, random RC / DAZ / FTZ / sticky flags */
static uint32_t rnd_mxcsr(void)
{
    return 0x1f80 | (uint32_t)rndn(4) << 13 | (rndn(3) ? 0 : 0x40) | (rndn(3) ? 0 : 0x8000) |
           (rndn(4) ? 0 : (uint32_t)rnd64() & 0x3f);
}

/* ---- the host oracle ---------------------------------------------------------------- */

#if HOST_X86
#define HOST(id, text)                                                                   \
    static HOSTFN void host_##id(X86Xmm *d, const X86Xmm *s, const X86Xmm *x0, uint32_t *mx) \
    {                                                                                    \
        uint32_t saved;                                                                  \
        __asm__ volatile("stmxcsr %0" : "=m"(saved));                                    \
        __asm__ volatile("ldmxcsr %1\n\t"                                                \
                         "movdqu %3, %%xmm0\n\t"                                         \
                         "movdqu %0, %%xmm1\n\t"                                         \
                         "movdqu %2, %%xmm2\n\t"                                         \
                         text "\n\t"                                                     \
                         "movdqu %%xmm1, %0\n\t"                                         \
                         "stmxcsr %1"                                                    \
                         : "+m"(*d), "+m"(*mx)                                           \
                         : "m"(*s), "m"(*x0)                                             \
                         : "xmm0", "xmm1", "xmm2", "memory");                            \
        __asm__ volatile("ldmxcsr %0" : : "m"(saved));                                   \
    }
#define HOSTP(id, helper, insn, imm, gen) HOST(id, insn " %%xmm2, %%xmm1")
#define HOSTI(id, helper, insn, imm, gen) HOST(id, insn " $" #imm ", %%xmm2, %%xmm1")
#endif

/* id, helper, instruction, immediate, operand generator */
#define PLAIN_CASES(X)                                                                        \
    X(addps, addps, "addps", 0, G_F32) X(addpd, addpd, "addpd", 0, G_F64)                     \
    X(addss, addss, "addss", 0, G_F32) X(addsd, addsd, "addsd", 0, G_F64)                     \
    X(subps, subps, "subps", 0, G_F32) X(subpd, subpd, "subpd", 0, G_F64)                     \
    X(subss, subss, "subss", 0, G_F32) X(subsd, subsd, "subsd", 0, G_F64)                     \
    X(mulps, mulps, "mulps", 0, G_F32) X(mulpd, mulpd, "mulpd", 0, G_F64)                     \
    X(mulss, mulss, "mulss", 0, G_F32) X(mulsd, mulsd, "mulsd", 0, G_F64)                     \
    X(divps, divps, "divps", 0, G_F32) X(divpd, divpd, "divpd", 0, G_F64)                     \
    X(divss, divss, "divss", 0, G_F32) X(divsd, divsd, "divsd", 0, G_F64)                     \
    X(minps, minps, "minps", 0, G_F32) X(minpd, minpd, "minpd", 0, G_F64)                     \
    X(minss, minss, "minss", 0, G_F32) X(minsd, minsd, "minsd", 0, G_F64)                     \
    X(maxps, maxps, "maxps", 0, G_F32) X(maxpd, maxpd, "maxpd", 0, G_F64)                     \
    X(maxss, maxss, "maxss", 0, G_F32) X(maxsd, maxsd, "maxsd", 0, G_F64)                     \
    X(sqrtps, sqrtps, "sqrtps", 0, G_F32) X(sqrtpd, sqrtpd, "sqrtpd", 0, G_F64)               \
    X(sqrtss, sqrtss, "sqrtss", 0, G_F32) X(sqrtsd, sqrtsd, "sqrtsd", 0, G_F64)               \
    X(addsubps, addsubps, "addsubps", 0, G_F32) X(addsubpd, addsubpd, "addsubpd", 0, G_F64)   \
    X(haddps, haddps, "haddps", 0, G_F32) X(haddpd, haddpd, "haddpd", 0, G_F64)               \
    X(hsubps, hsubps, "hsubps", 0, G_F32) X(hsubpd, hsubpd, "hsubpd", 0, G_F64)               \
    X(cvtps2pd, cvtps2pd, "cvtps2pd", 0, G_F32) X(cvtpd2ps, cvtpd2ps, "cvtpd2ps", 0, G_F64)   \
    X(cvtss2sd, cvtss2sd, "cvtss2sd", 0, G_F32) X(cvtsd2ss, cvtsd2ss, "cvtsd2ss", 0, G_F64)   \
    X(cvtdq2ps, cvtdq2ps, "cvtdq2ps", 0, G_INT) X(cvtps2dq, cvtps2dq, "cvtps2dq", 0, G_F32)   \
    X(cvttps2dq, cvttps2dq, "cvttps2dq", 0, G_F32) X(cvtdq2pd, cvtdq2pd, "cvtdq2pd", 0, G_INT) \
    X(cvtpd2dq, cvtpd2dq, "cvtpd2dq", 0, G_CVT) X(cvttpd2dq, cvttpd2dq, "cvttpd2dq", 0, G_CVT) \
    X(paddb, paddb, "paddb", 0, G_INT) X(paddw, paddw, "paddw", 0, G_INT)                     \
    X(paddd, paddd, "paddd", 0, G_INT) X(paddq, paddq, "paddq", 0, G_INT)                     \
    X(psubb, psubb, "psubb", 0, G_INT) X(psubw, psubw, "psubw", 0, G_INT)                     \
    X(psubd, psubd, "psubd", 0, G_INT) X(psubq, psubq, "psubq", 0, G_INT)                     \
    X(paddsb, paddsb, "paddsb", 0, G_INT) X(paddsw, paddsw, "paddsw", 0, G_INT)               \
    X(paddusb, paddusb, "paddusb", 0, G_INT) X(paddusw, paddusw, "paddusw", 0, G_INT)         \
    X(psubsb, psubsb, "psubsb", 0, G_INT) X(psubsw, psubsw, "psubsw", 0, G_INT)               \
    X(psubusb, psubusb, "psubusb", 0, G_INT) X(psubusw, psubusw, "psubusw", 0, G_INT)         \
    X(pmullw, pmullw, "pmullw", 0, G_INT) X(pmulhw, pmulhw, "pmulhw", 0, G_INT)               \
    X(pmulhuw, pmulhuw, "pmulhuw", 0, G_INT) X(pmulld, pmulld, "pmulld", 0, G_INT)            \
    X(pmuludq, pmuludq, "pmuludq", 0, G_INT) X(pmuldq, pmuldq, "pmuldq", 0, G_INT)            \
    X(pmaddwd, pmaddwd, "pmaddwd", 0, G_INT) X(pmaddubsw, pmaddubsw, "pmaddubsw", 0, G_INT)   \
    X(pmulhrsw, pmulhrsw, "pmulhrsw", 0, G_INT) X(psadbw, psadbw, "psadbw", 0, G_INT)         \
    X(pavgb, pavgb, "pavgb", 0, G_INT) X(pavgw, pavgw, "pavgw", 0, G_INT)                     \
    X(pminub, pminub, "pminub", 0, G_INT) X(pmaxub, pmaxub, "pmaxub", 0, G_INT)               \
    X(pminsw, pminsw, "pminsw", 0, G_INT) X(pmaxsw, pmaxsw, "pmaxsw", 0, G_INT)               \
    X(pminsb, pminsb, "pminsb", 0, G_INT) X(pmaxsb, pmaxsb, "pmaxsb", 0, G_INT)               \
    X(pminsd, pminsd, "pminsd", 0, G_INT) X(pmaxsd, pmaxsd, "pmaxsd", 0, G_INT)               \
    X(pminuw, pminuw, "pminuw", 0, G_INT) X(pmaxuw, pmaxuw, "pmaxuw", 0, G_INT)               \
    X(pminud, pminud, "pminud", 0, G_INT) X(pmaxud, pmaxud, "pmaxud", 0, G_INT)               \
    X(pcmpeqb, pcmpeqb, "pcmpeqb", 0, G_INT) X(pcmpeqw, pcmpeqw, "pcmpeqw", 0, G_INT)         \
    X(pcmpeqd, pcmpeqd, "pcmpeqd", 0, G_INT) X(pcmpeqq, pcmpeqq, "pcmpeqq", 0, G_INT)         \
    X(pcmpgtb, pcmpgtb, "pcmpgtb", 0, G_INT) X(pcmpgtw, pcmpgtw, "pcmpgtw", 0, G_INT)         \
    X(pcmpgtd, pcmpgtd, "pcmpgtd", 0, G_INT) X(pcmpgtq, pcmpgtq, "pcmpgtq", 0, G_INT)         \
    X(psignb, psignb, "psignb", 0, G_INT) X(psignw, psignw, "psignw", 0, G_INT)               \
    X(psignd, psignd, "psignd", 0, G_INT) X(pabsb, pabsb, "pabsb", 0, G_INT)                  \
    X(pabsw, pabsw, "pabsw", 0, G_INT) X(pabsd, pabsd, "pabsd", 0, G_INT)                     \
    X(phaddw, phaddw, "phaddw", 0, G_INT) X(phaddd, phaddd, "phaddd", 0, G_INT)               \
    X(phaddsw, phaddsw, "phaddsw", 0, G_INT) X(phsubw, phsubw, "phsubw", 0, G_INT)            \
    X(phsubd, phsubd, "phsubd", 0, G_INT) X(phsubsw, phsubsw, "phsubsw", 0, G_INT)            \
    X(phminposuw, phminposuw, "phminposuw", 0, G_INT)                                         \
    X(psrlw, psrlw, "psrlw", 0, G_INT) X(psrld, psrld, "psrld", 0, G_INT)                     \
    X(psrlq, psrlq, "psrlq", 0, G_INT) X(psraw, psraw, "psraw", 0, G_INT)                     \
    X(psrad, psrad, "psrad", 0, G_INT) X(psllw, psllw, "psllw", 0, G_INT)                     \
    X(pslld, pslld, "pslld", 0, G_INT) X(psllq, psllq, "psllq", 0, G_INT)                     \
    X(packsswb, packsswb, "packsswb", 0, G_INT) X(packuswb, packuswb, "packuswb", 0, G_INT)   \
    X(packssdw, packssdw, "packssdw", 0, G_INT) X(packusdw, packusdw, "packusdw", 0, G_INT)   \
    X(punpcklbw, punpcklbw, "punpcklbw", 0, G_INT) X(punpcklwd, punpcklwd, "punpcklwd", 0, G_INT) \
    X(punpckldq, punpckldq, "punpckldq", 0, G_INT) X(punpcklqdq, punpcklqdq, "punpcklqdq", 0, G_INT) \
    X(punpckhbw, punpckhbw, "punpckhbw", 0, G_INT) X(punpckhwd, punpckhwd, "punpckhwd", 0, G_INT) \
    X(punpckhdq, punpckhdq, "punpckhdq", 0, G_INT) X(punpckhqdq, punpckhqdq, "punpckhqdq", 0, G_INT) \
    X(pshufb, pshufb, "pshufb", 0, G_INT) X(movshdup, movshdup, "movshdup", 0, G_INT)         \
    X(movsldup, movsldup, "movsldup", 0, G_INT) X(movddup, movddup, "movddup", 0, G_INT)      \
    X(pmovsxbw, pmovsxbw, "pmovsxbw", 0, G_INT) X(pmovsxbd, pmovsxbd, "pmovsxbd", 0, G_INT)   \
    X(pmovsxbq, pmovsxbq, "pmovsxbq", 0, G_INT) X(pmovsxwd, pmovsxwd, "pmovsxwd", 0, G_INT)   \
    X(pmovsxwq, pmovsxwq, "pmovsxwq", 0, G_INT) X(pmovsxdq, pmovsxdq, "pmovsxdq", 0, G_INT)   \
    X(pmovzxbw, pmovzxbw, "pmovzxbw", 0, G_INT) X(pmovzxbd, pmovzxbd, "pmovzxbd", 0, G_INT)   \
    X(pmovzxbq, pmovzxbq, "pmovzxbq", 0, G_INT) X(pmovzxwd, pmovzxwd, "pmovzxwd", 0, G_INT)   \
    X(pmovzxwq, pmovzxwq, "pmovzxwq", 0, G_INT) X(pmovzxdq, pmovzxdq, "pmovzxdq", 0, G_INT)   \
    X(blendvps, blendvps, "blendvps %%xmm0,", 0, G_F32)                                       \
    X(blendvpd, blendvpd, "blendvpd %%xmm0,", 0, G_F64)                                       \
    X(pblendvb, pblendvb, "pblendvb %%xmm0,", 0, G_INT)

#define IMM_CASES(X)                                                                          \
    X(cmpps0, cmpps, "cmpps", 0, G_F32) X(cmpps1, cmpps, "cmpps", 1, G_F32)                   \
    X(cmpps2, cmpps, "cmpps", 2, G_F32) X(cmpps3, cmpps, "cmpps", 3, G_F32)                   \
    X(cmpps4, cmpps, "cmpps", 4, G_F32) X(cmpps5, cmpps, "cmpps", 5, G_F32)                   \
    X(cmpps6, cmpps, "cmpps", 6, G_F32) X(cmpps7, cmpps, "cmpps", 7, G_F32)                   \
    X(cmppd1, cmppd, "cmppd", 1, G_F64) X(cmppd4, cmppd, "cmppd", 4, G_F64)                   \
    X(cmpss2, cmpss, "cmpss", 2, G_F32) X(cmpsd3, cmpsd, "cmpsd", 3, G_F64)                   \
    X(cmpsd6, cmpsd, "cmpsd", 6, G_F64)                                                       \
    X(roundps0, roundps, "roundps", 0, G_F32) X(roundps1, roundps, "roundps", 1, G_F32)       \
    X(roundps2, roundps, "roundps", 2, G_F32) X(roundps3, roundps, "roundps", 3, G_F32)       \
    X(roundps4, roundps, "roundps", 4, G_F32) X(roundps9, roundps, "roundps", 9, G_F32)       \
    X(roundpd0, roundpd, "roundpd", 0, G_F64) X(roundpd12, roundpd, "roundpd", 12, G_F64)     \
    X(roundss1, roundss, "roundss", 1, G_F32) X(roundsd2, roundsd, "roundsd", 2, G_F64)       \
    X(dpps_ff, dpps, "dpps", 0xff, G_F32) X(dpps_b5, dpps, "dpps", 0xb5, G_F32)               \
    X(dpps_0f, dpps, "dpps", 0x0f, G_F32)                                                     \
    X(dppd_33, dppd, "dppd", 0x33, G_F64) X(dppd_12, dppd, "dppd", 0x12, G_F64)               \
    X(blendps, blendps, "blendps", 0xa, G_F32) X(blendpd, blendpd, "blendpd", 2, G_F64)       \
    X(pblendw, pblendw, "pblendw", 0x5c, G_INT)                                               \
    X(pshufd, pshufd, "pshufd", 0x9c, G_INT) X(pshufhw, pshufhw, "pshufhw", 0x27, G_INT)      \
    X(pshuflw, pshuflw, "pshuflw", 0xe1, G_INT)                                               \
    X(shufps, shufps, "shufps", 0x72, G_F32) X(shufpd, shufpd, "shufpd", 2, G_F64)            \
    X(palignr3, palignr, "palignr", 3, G_INT) X(palignr17, palignr, "palignr", 17, G_INT)     \
    X(palignr40, palignr, "palignr", 40, G_INT)                                               \
    X(insertps, insertps, "insertps", 0xa5, G_F32)                                            \
    X(mpsadbw2, mpsadbw, "mpsadbw", 2, G_INT) X(mpsadbw7, mpsadbw, "mpsadbw", 7, G_INT)

/* shifts by an immediate and whole-register byte shifts: the helper's arg differs */
#define SHIFT_CASES(X)                                                                        \
    X(psrlw_i, psrlw, "psrlw", 9, SSE_SHIFT_IMM) X(psraw_i, psraw, "psraw", 20, SSE_SHIFT_IMM) \
    X(psllq_i, psllq, "psllq", 33, SSE_SHIFT_IMM) X(psrad_i, psrad, "psrad", 31, SSE_SHIFT_IMM) \
    X(psrldq, psrldq, "psrldq", 5, 0) X(pslldq, pslldq, "pslldq", 11, 0)                      \
    X(psrldq_big, psrldq, "psrldq", 16, 0)

#if HOST_X86
PLAIN_CASES(HOSTP)
IMM_CASES(HOSTI)
#define HOSTS(id, helper, insn, imm, flag) HOST(id, insn " $" #imm ", %%xmm1")
SHIFT_CASES(HOSTS)

static bool host_ok(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}
#endif

typedef struct Case {
    const char *name;
    SseFn *fn;
#if HOST_X86
    void (*host)(X86Xmm *, const X86Xmm *, const X86Xmm *, uint32_t *);
#endif
    uint64_t arg;
    int gen;
} Case;

#if HOST_X86
#define ROW(id, helper, insn, imm, gen) { #id, sse_##helper, host_##id, imm, gen },
#define SROW(id, helper, insn, imm, flag) { #id, sse_##helper, host_##id, (imm) | (flag), G_INT },
static const Case all_cases[] = { PLAIN_CASES(ROW) IMM_CASES(ROW) SHIFT_CASES(SROW) };
#endif

static void fmt_xmm(char *buf, const X86Xmm *x)
{
    sprintf(buf, "%016llx%016llx", (unsigned long long)x->q[1], (unsigned long long)x->q[0]);
}

/* One op against the host: n random cases. */
static void run_case(const Case *c, long n)
{
#if HOST_X86
    X86State e;
    memset(&e, 0, sizeof(e));
    for (long k = 0; k < n; k++) {
        X86Xmm d, s, x0;
        gen_xmm(&d, c->gen);
        gen_xmm(&s, c->gen);
        gen_xmm(&x0, G_INT);
        if (c->fn == sse_psrlw || c->fn == sse_psraw || c->fn == sse_psrad || c->fn == sse_psllw ||
            c->fn == sse_pslld || c->fn == sse_psllq || c->fn == sse_psrld || c->fn == sse_psrlq) {
            if (rndn(2))
                s.q[0] = rndn(70);   /* counts around the lane widths */
        }
        if (rndn(8) == 0)
            s = d;
        uint32_t mx = rnd_mxcsr(), hmx = mx;
        X86Xmm hd = d;
        c->host(&hd, &s, &x0, &hmx);
        e.mxcsr = mx;
        e.xmm[0] = x0;
        X86Xmm md = d;
        int fault = 0;
        c->fn(&e, &md, &s, c->arg, &fault);
        if (fault || md.q[0] != hd.q[0] || md.q[1] != hd.q[1] || e.mxcsr != hmx) {
            char a[40], b[40], r1[40], r2[40];
            fmt_xmm(a, &d);
            fmt_xmm(b, &s);
            fmt_xmm(r1, &md);
            fmt_xmm(r2, &hd);
            unit_fail(__FILE__, __LINE__, "%s(%s, %s) mxcsr %04x: pemu %s mxcsr %04x fault %d, host %s mxcsr %04x",
                      c->name, a, b, mx, r1, e.mxcsr, fault, r2, hmx);
            return;
        }
    }
#else
    (void)c;
    (void)n;
#endif
}

TEST(ops_match_host)
{
#if HOST_X86
    if (!host_ok())
        SKIP("the host CPU has no SSE4.2");
    if (getenv("PEMU_PORT"))
        SKIP("the x86 host is itself emulated (port-check under qemu-user): its MXCSR flags are QEMU's, not a CPU's");
    long n = cases(3000);
    for (size_t i = 0; i < sizeof(all_cases) / sizeof(all_cases[0]); i++) {
        run_case(&all_cases[i], n);
        if (unit_failed())
            return;
    }
#else
    SKIP("host oracle needs an x86 host");
#endif
}

/* ---- ops with a GPR or EFLAGS result ------------------------------------------------ */

#if HOST_X86
/* flags as EFLAGS bits from AH (SF ZF AF PF CF) and OF */
#define HOST_R(id, setup, text)                                                          \
    static HOSTFN uint32_t hostr_##id(const X86Xmm *d, const X86Xmm *s, uint32_t *mx,    \
                                      uint32_t *res, uint32_t la, uint32_t lb, X86Xmm *x0) \
    {                                                                                    \
        uint32_t saved, ax = la, dx = lb, cx = 0;                                        \
        uint8_t of;                                                                      \
        __asm__ volatile("stmxcsr %0" : "=m"(saved));                                    \
        __asm__ volatile("ldmxcsr %[mx]\n\t"                                             \
                         "movdqu %[d], %%xmm1\n\t"                                       \
                         "movdqu %[s], %%xmm2\n\t"                                       \
                         "movdqu %[x0], %%xmm0\n\t"                                      \
                         setup text "\n\t"                                               \
                         "seto %[of]\n\t"                                                \
                         "movdqu %%xmm0, %[x0]\n\t"                                      \
                         "stmxcsr %[mx]"                                                 \
                         : [mx] "+m"(*mx), [x0] "+m"(*x0), "+a"(ax), "+d"(dx), "+c"(cx),  \
                           [of] "=qm"(of)                                                \
                         : [d] "m"(*d), [s] "m"(*s)                                      \
                         : "xmm0", "xmm1", "xmm2", "memory", "cc");                      \
        __asm__ volatile("ldmxcsr %0" : : "m"(saved));                                   \
        *res = cx;                                                                       \
        return (ax >> 8 & (CC_S | CC_Z | CC_A | CC_P | CC_C)) | (of ? CC_O : 0);         \
    }
/* result in ecx, flags by LAHF into AH */
#define FL "\n\tlahf"
HOST_R(comiss, "", "comiss %%xmm2, %%xmm1" FL)
HOST_R(ucomiss, "", "ucomiss %%xmm2, %%xmm1" FL)
HOST_R(comisd, "", "comisd %%xmm2, %%xmm1" FL)
HOST_R(ucomisd, "", "ucomisd %%xmm2, %%xmm1" FL)
HOST_R(ptest, "", "ptest %%xmm2, %%xmm1" FL)
HOST_R(cvtss2si, "", "cvtss2si %%xmm2, %%ecx" FL)
HOST_R(cvttss2si, "", "cvttss2si %%xmm2, %%ecx" FL)
HOST_R(cvtsd2si, "", "cvtsd2si %%xmm2, %%ecx" FL)
HOST_R(cvttsd2si, "", "cvttsd2si %%xmm2, %%ecx" FL)
HOST_R(movmskps, "", "movmskps %%xmm2, %%ecx" FL)
HOST_R(movmskpd, "", "movmskpd %%xmm2, %%ecx" FL)
HOST_R(pmovmskb, "", "pmovmskb %%xmm2, %%ecx" FL)

#define STR_IMMS(X) X(00) X(01) X(02) X(03) X(04) X(05) X(06) X(07) X(08) X(09) X(0a) X(0b) \
    X(0c) X(0d) X(0e) X(0f) X(14) X(18) X(1c) X(30) X(34) X(38) X(3c) X(40) X(44) X(4c) X(70) \
    X(7d) X(2a) X(3b)
#define HOST_STR(imm)                                                                    \
    HOST_R(pcmpestri_##imm, "", "pcmpestri $0x" #imm ", %%xmm2, %%xmm1" FL)             \
    HOST_R(pcmpestrm_##imm, "", "pcmpestrm $0x" #imm ", %%xmm2, %%xmm1" FL)             \
    HOST_R(pcmpistri_##imm, "", "pcmpistri $0x" #imm ", %%xmm2, %%xmm1" FL)             \
    HOST_R(pcmpistrm_##imm, "", "pcmpistrm $0x" #imm ", %%xmm2, %%xmm1" FL)
STR_IMMS(HOST_STR)

typedef uint32_t HostR(const X86Xmm *, const X86Xmm *, uint32_t *, uint32_t *, uint32_t, uint32_t, X86Xmm *);
typedef struct RCase {
    const char *name;
    SseFn *fn;
    HostR *host;
    uint64_t arg;
    int gen;
    int kind;     /* 0: flags only, 1: GPR only, 2: STRI (ecx + flags), 3: STRM (xmm0 + flags) */
} RCase;

#define STR_ROWS(imm)                                                                        \
    { "pcmpestri_" #imm, sse_pcmpestri, hostr_pcmpestri_##imm, 0x##imm, G_INT, 2 },          \
    { "pcmpestrm_" #imm, sse_pcmpestrm, hostr_pcmpestrm_##imm, 0x##imm, G_INT, 3 },          \
    { "pcmpistri_" #imm, sse_pcmpistri, hostr_pcmpistri_##imm, 0x##imm, G_INT, 2 },          \
    { "pcmpistrm_" #imm, sse_pcmpistrm, hostr_pcmpistrm_##imm, 0x##imm, G_INT, 3 },

static const RCase r_cases[] = {
    { "comiss", sse_comiss, hostr_comiss, 0, G_F32, 0 },
    { "ucomiss", sse_ucomiss, hostr_ucomiss, 0, G_F32, 0 },
    { "comisd", sse_comisd, hostr_comisd, 0, G_F64, 0 },
    { "ucomisd", sse_ucomisd, hostr_ucomisd, 0, G_F64, 0 },
    { "ptest", sse_ptest, hostr_ptest, 0, G_INT, 0 },
    { "cvtss2si", sse_cvtss2si, hostr_cvtss2si, 32, G_F32, 1 },
    { "cvttss2si", sse_cvttss2si, hostr_cvttss2si, 32, G_F32, 1 },
    { "cvtsd2si", sse_cvtsd2si, hostr_cvtsd2si, 32, G_F64, 1 },
    { "cvttsd2si", sse_cvttsd2si, hostr_cvttsd2si, 32, G_F64, 1 },
    { "movmskps", sse_movmskps, hostr_movmskps, 0, G_F32, 1 },
    { "movmskpd", sse_movmskpd, hostr_movmskpd, 0, G_F64, 1 },
    { "pmovmskb", sse_pmovmskb, hostr_pmovmskb, 0, G_INT, 1 },
    STR_IMMS(STR_ROWS)
};

/* strings: short runs of a few letters with zeros, so that matches and ends happen */
static void gen_str(X86Xmm *x)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned r = rndn(16);
        uint8_t b = r == 0 ? 0 : r < 12 ? (uint8_t)('a' + rndn(4)) : (uint8_t)rnd64();
        x->q[i / 8] = (x->q[i / 8] & ~(0xffull << (8 * (i % 8)))) | (uint64_t)b << (8 * (i % 8));
    }
}
#endif

TEST(result_ops_match_host)
{
#if HOST_X86
    if (!host_ok())
        SKIP("the host CPU has no SSE4.2");
    if (getenv("PEMU_PORT"))
        SKIP("the x86 host is itself emulated (port-check under qemu-user): its MXCSR flags are QEMU's, not a CPU's");
    long n = cases(3000);
    X86State e;
    memset(&e, 0, sizeof(e));
    for (size_t i = 0; i < sizeof(r_cases) / sizeof(r_cases[0]); i++) {
        const RCase *c = &r_cases[i];
        for (long k = 0; k < n; k++) {
            X86Xmm d, s, x0, hx0;
            if (c->kind >= 2) {
                gen_str(&d);
                gen_str(&s);
                if (rndn(3) == 0)
                    s = d;
            } else {
                gen_xmm(&d, c->gen);
                gen_xmm(&s, rndn(8) ? c->gen : G_INT);
                if (rndn(8) == 0)
                    s = d;
            }
            gen_xmm(&x0, G_INT);
            hx0 = x0;
            int32_t la = (int32_t)rndn(40) - 20, lb = (int32_t)rndn(40) - 20;
            if (rndn(16) == 0)
                la = INT32_MIN;
            uint32_t mx = rnd_mxcsr(), hmx = mx, hres;
            uint32_t hfl = c->host(&d, &s, &hmx, &hres, (uint32_t)la, (uint32_t)lb, &hx0);
            e.mxcsr = mx;
            e.xmm[0] = x0;
            e.regs[R_EAX] = (uint64_t)(int64_t)la;
            e.regs[R_EDX] = (uint64_t)(int64_t)lb;
            X86Xmm md = d;
            int fault = 0;
            uint64_t r = c->fn(&e, &md, &s, c->arg, &fault);
            uint32_t fl = 0, res = 0;
            switch (c->kind) {
            case 0: fl = (uint32_t)r; res = hres; break;
            case 1: res = (uint32_t)r; fl = hfl; break;
            case 2: res = (uint32_t)r; fl = (uint32_t)(r >> SSE_STR_FLAGS_SHIFT); break;
            default: fl = (uint32_t)r; res = hres; break;
            }
            if (fault || fl != hfl || res != hres || e.mxcsr != hmx || e.xmm[0].q[0] != hx0.q[0] ||
                e.xmm[0].q[1] != hx0.q[1] || md.q[0] != d.q[0] || md.q[1] != d.q[1]) {
                char a[40], b[40];
                fmt_xmm(a, &d);
                fmt_xmm(b, &s);
                unit_fail(__FILE__, __LINE__,
                          "%s(%s, %s, la %d lb %d) mxcsr %04x: pemu flags %x res %x mxcsr %04x xmm0 %016llx%016llx,"
                          " host flags %x res %x mxcsr %04x xmm0 %016llx%016llx",
                          c->name, a, b, la, lb, mx, fl, res, e.mxcsr,
                          (unsigned long long)e.xmm[0].q[1], (unsigned long long)e.xmm[0].q[0], hfl, hres, hmx,
                          (unsigned long long)hx0.q[1], (unsigned long long)hx0.q[0]);
                return;
            }
        }
    }
#else
    SKIP("host oracle needs an x86 host");
#endif
}

TEST(crc32_matches_host)
{
#if HOST_X86
    if (!host_ok())
        SKIP("the host CPU has no SSE4.2");
    for (long k = 0; k < cases(20000); k++) {
        uint32_t crc = (uint32_t)rnd64(), v = (uint32_t)rnd64(), h8 = crc, h16 = crc, h32 = crc;
        __asm__("crc32b %1, %0" : "+r"(h8) : "q"((uint8_t)v));
        __asm__("crc32w %1, %0" : "+r"(h16) : "r"((uint16_t)v));
        __asm__("crc32l %1, %0" : "+r"(h32) : "r"(v));
        CHECK_EQ(sse_crc32(crc, v, 1), h8);
        CHECK_EQ(sse_crc32(crc, v, 2), h16);
        CHECK_EQ(sse_crc32(crc, v, 4), h32);
    }
#else
    SKIP("host oracle needs an x86 host");
#endif
}

/* ---- every host ----------------------------------------------------------------------- */

/* CRC-32C check value (RFC 3720 B.4): "123456789" -> 0xE3069283 */
TEST(crc32c_check_value)
{
    const char *m = "123456789";
    uint32_t crc = 0xffffffffu;
    for (int i = 0; m[i]; i++)
        crc = sse_crc32(crc, (uint8_t)m[i], 1);
    CHECK_EQ(~crc, 0xe3069283u);
    /* a 4-byte step is the 4 byte steps */
    CHECK_EQ(sse_crc32(0x12345678, 0x64636261, 4),
             sse_crc32(sse_crc32(sse_crc32(sse_crc32(0x12345678, 0x61, 1), 0x62, 1), 0x63, 1), 0x64, 1));
}

static double f32_val(uint32_t v)
{
    int ex = (int)(v >> 23 & 0xff);
    double m = ex ? (double)((v & 0x7fffff) | 0x800000) : (double)(v & 0x7fffff);
    double r = ldexp(m, (ex ? ex : 1) - 150);
    return (v >> 31) ? -r : r;
}

/* SDM: |relative error| <= 1.5 * 2^-12 for normal inputs and results */
TEST(rcp_rsqrt_error_bound)
{
    double worst_rcp = 0, worst_rsqrt = 0;
    for (long k = 0; k < cases(200000); k++) {
        uint32_t a = (uint32_t)(rnd64() & 0x7fffffff);
        int ex = (int)(a >> 23);
        if (ex >= 1 && ex <= 252) {
            double exact = 1.0 / f32_val(a), got = f32_val(sse_rcp_f32(a));
            double err = fabs(got - exact) / exact;
            if (err > worst_rcp)
                worst_rcp = err;
            CHECK_EQ(sse_rcp_f32(a | 0x80000000u), sse_rcp_f32(a) | 0x80000000u);
        }
        if (ex >= 1 && ex <= 254) {
            double exact = 1.0 / sqrt(f32_val(a)), got = f32_val(sse_rsqrt_f32(a));
            double err = fabs(got - exact) / exact;
            if (err > worst_rsqrt)
                worst_rsqrt = err;
        }
    }
    CHECK(worst_rcp <= 1.5 / 4096);
    CHECK(worst_rsqrt <= 1.5 / 4096);
    CHECK(worst_rcp > 1.0 / 65536);    /* an approximation, not the exact value */
    /* special values (the same on Intel and AMD) */
    CHECK_EQ(sse_rcp_f32(0), 0x7f800000);
    CHECK_EQ(sse_rcp_f32(0x80000001), 0xff800000);      /* denormal: as zero */
    CHECK_EQ(sse_rcp_f32(0xff800000), 0x80000000);
    CHECK_EQ(sse_rcp_f32(0x7fa00000), 0x7fe00000);      /* SNaN quieted */
    CHECK_EQ(sse_rcp_f32(0x7e800000), 0);               /* 2^126: the result would be denormal */
    CHECK_EQ(sse_rsqrt_f32(0xbf800000), 0xffc00000);    /* negative: indefinite */
    CHECK_EQ(sse_rsqrt_f32(0x807fffff), 0xff800000);    /* -denormal: -inf */
    CHECK_EQ(sse_rsqrt_f32(0x7f800000), 0);
    CHECK_EQ(sse_rsqrt_f32(0x80000000), 0xff800000);
}

static X86Xmm V(uint64_t hi, uint64_t lo)
{
    X86Xmm x = { { lo, hi } };
    return x;
}

/* Unmasked exceptions: no write, #XM wanted, flags by the packed rule. */
TEST(unmasked_exceptions)
{
    X86State e;
    memset(&e, 0, sizeof(e));
    int fault = 0;
    /* lane 0: 1/0 (ZE, unmasked); lane 1: 1/3 (PE, masked): only ZE is recorded */
    e.mxcsr = 0x1f80 & ~0x200u;
    X86Xmm d = V(0x3f8000003f800000ull, 0x3f8000003f800000ull);
    X86Xmm s = V(0x3f8000003f800000ull, 0x4040000000000000ull), d0 = d;
    sse_divps(&e, &d, &s, 0, &fault);
    CHECK_EQ(fault, 1);
    CHECK_EQ(d.q[0], d0.q[0]);
    CHECK_EQ(e.mxcsr, (0x1f80 & ~0x200u) | SF_ZE);
    /* masked ZE, unmasked PE in another lane: the post-computation flag faults */
    e.mxcsr = 0x1f80 & ~0x1000u;
    fault = 0;
    sse_divps(&e, &d, &s, 0, &fault);
    CHECK_EQ(fault, 1);
    CHECK_EQ(d.q[0], d0.q[0]);
    CHECK_EQ(e.mxcsr & 0x3f, SF_ZE | SF_PE);
    /* all masked: results written, both flags */
    e.mxcsr = 0x1f80;
    fault = 0;
    sse_divps(&e, &d, &s, 0, &fault);
    CHECK_EQ(fault, 0);
    CHECK_EQ(d.q[0], 0x3eaaaaab7f800000ull);
    CHECK_EQ(e.mxcsr, 0x1f80 | SF_ZE | SF_PE);
    /* COMISS with a QNaN and IE unmasked: faults, flags still computed */
    e.mxcsr = 0x1f00;
    fault = 0;
    X86Xmm q = V(0, 0x7fc00000);
    CHECK_EQ(sse_comiss(&e, &q, &d, 0, &fault), CC_Z | CC_P | CC_C);
    CHECK_EQ(fault, 1);
    /* UCOMISS with a QNaN: no IE */
    e.mxcsr = 0x1f00;
    fault = 0;
    sse_ucomiss(&e, &q, &d, 0, &fault);
    CHECK_EQ(fault, 0);
    CHECK_EQ(e.mxcsr, 0x1f00);
}

/* Hand-checked vectors: the lane order and saturation rules on any host. */
TEST(vectors)
{
    X86State e;
    memset(&e, 0, sizeof(e));
    e.mxcsr = 0x1f80;
    int f = 0;
    X86Xmm d = V(0x0001000200037fffull, 0x8000ffff00100020ull), s = V(0x0001000100010001ull, 0xffff000100010001ull);
    sse_paddsw(&e, &d, &s, 0, &f);
    CHECK_EQ(d.q[1], 0x0002000300047fffull);
    CHECK_EQ(d.q[0], 0x8000000000110021ull);
    d = V(0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    s = V(0x8080808080808080ull, 0x0001020304050607ull);
    sse_pshufb(&e, &d, &s, 0, &f);
    CHECK_EQ(d.q[0], 0x08090a0b0c0d0e0full);
    CHECK_EQ(d.q[1], 0);
    d = V(0x1111111122222222ull, 0x3333333344444444ull);
    sse_pshufd(&e, &d, &d, 0x1b, &f);
    CHECK_EQ(d.q[0], 0x2222222211111111ull);
    CHECK_EQ(d.q[1], 0x4444444433333333ull);
    d = V(0, 0x00ff0080017f8000ull);
    s = V(0, 0);
    sse_packuswb(&e, &d, &s, 0, &f);
    CHECK_EQ(d.q[0], 0xff80ff00ull);
    /* 1.0f + 2.0f in lane 2 only (ADDSS touches lane 0 only) */
    d = V(0x000000003f800000ull, 0x3f8000003f800000ull);
    s = V(0x0000000040000000ull, 0x0000000040000000ull);
    sse_addss(&e, &d, &s, 0, &f);
    CHECK_EQ(d.q[0], 0x3f80000040400000ull);
    CHECK_EQ(d.q[1], 0x000000003f800000ull);
    /* PCMPISTRI equal ordered: "lo" in "hello" at 3 */
    d = V(0, 0x6f6cull);
    s = V(0, 0x6f6c6c6568ull);
    uint64_t r = sse_pcmpistri(&e, &d, &s, 0x0c, &f);
    CHECK_EQ(r & 0xff, 3);
    CHECK_EQ(r >> SSE_STR_FLAGS_SHIFT, CC_C | CC_Z | CC_S);
}
