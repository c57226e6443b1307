/*
 * SSE .. SSE4.2 lane arithmetic on X86State (translate_sse.c calls these).
 *
 * Every operation has one signature:
 *
 *   uint64_t sse_<op>(X86State *e, X86Xmm *d, const X86Xmm *s, uint64_t arg, int *fault)
 *
 * d is the destination (and first source) register, s the second source
 * (an XMM register or env.xmm_tmp, where the translator loaded a memory
 * operand), arg the immediate or a GPR value as the op says. d and s may
 * be the same register. The return value is the op's scalar result (a GPR
 * value, EFLAGS bits) or 0.
 *
 * Floating point goes through softfloat under MXCSR (fpu_sse_status), with
 * the SDM's rule for packed operands (Vol. 1 11.5.2): the pre-computation
 * exceptions (IE, DE, ZE) of all lanes are checked first; if one is
 * unmasked, only those flags are recorded; otherwise the post-computation
 * flags (OE, UE, PE) are added. When any recorded flag is unmasked, *fault
 * is set and d is left unchanged: the caller raises #XM (CR4.OSXMMEXCPT)
 * or #UD. The flags are merged into MXCSR either way.
 *
 * sse_hi_<op> is the IR helper for the same op: (env, d index, s index,
 * arg), index 16 = env.xmm_tmp; it raises #XM/#UD itself.
 */
#ifndef PEMU_X86_SSE_HELPER_H
#define PEMU_X86_SSE_HELPER_H

#include <stdint.h>
#include "ir/ir.h"
#include "src/x86/cpu.h"

/* The env.xmm slot number of env.xmm_tmp. */
#define SSE_TMP 16
/* Shift ops: arg bit that says "count = arg & 0xff" (immediate form),
 * else the count is s's low quadword. */
#define SSE_SHIFT_IMM 0x100u
/* INSERTPS: the source was memory (a single float in lane 0). */
#define SSE_INSERT_MEM 0x100u
/* PCMPxSTRx: REX.W (64-bit lengths in RAX/RDX). */
#define SSE_STR_W 0x100u

/*
 * X(name, kind): F = floating point (may raise #XM), I = integer (never
 * raises, reads no globals), G = reads GPRs from env; an R suffix: the op
 * returns a value (GPR, EFLAGS bits, or PCMPxSTRI's packed result).
 */
#define SSE_HELPERS(X)                                                         \
    /* FP arithmetic */                                                        \
    X(addps, F) X(addpd, F) X(addss, F) X(addsd, F)                            \
    X(subps, F) X(subpd, F) X(subss, F) X(subsd, F)                            \
    X(mulps, F) X(mulpd, F) X(mulss, F) X(mulsd, F)                            \
    X(divps, F) X(divpd, F) X(divss, F) X(divsd, F)                            \
    X(minps, F) X(minpd, F) X(minss, F) X(minsd, F)                            \
    X(maxps, F) X(maxpd, F) X(maxss, F) X(maxsd, F)                            \
    X(sqrtps, F) X(sqrtpd, F) X(sqrtss, F) X(sqrtsd, F)                        \
    X(rcpps, I) X(rcpss, I) X(rsqrtps, I) X(rsqrtss, I)                        \
    X(cmpps, F) X(cmppd, F) X(cmpss, F) X(cmpsd, F)                            \
    X(comiss, FR) X(ucomiss, FR) X(comisd, FR) X(ucomisd, FR)                      \
    X(addsubps, F) X(addsubpd, F) X(haddps, F) X(haddpd, F)                    \
    X(hsubps, F) X(hsubpd, F)                                                  \
    X(roundps, F) X(roundpd, F) X(roundss, F) X(roundsd, F)                    \
    X(dpps, F) X(dppd, F)                                                      \
    /* conversions */                                                          \
    X(cvtsi2ss, F) X(cvtsi2sd, F)                                              \
    X(cvtss2si, FR) X(cvttss2si, FR) X(cvtsd2si, FR) X(cvttsd2si, FR)              \
    X(cvtps2pd, F) X(cvtpd2ps, F) X(cvtss2sd, F) X(cvtsd2ss, F)                \
    X(cvtdq2ps, F) X(cvtps2dq, F) X(cvttps2dq, F)                              \
    X(cvtdq2pd, I) X(cvtpd2dq, F) X(cvttpd2dq, F)                              \
    /* integer arithmetic */                                                   \
    X(paddb, I) X(paddw, I) X(paddd, I) X(paddq, I)                            \
    X(psubb, I) X(psubw, I) X(psubd, I) X(psubq, I)                            \
    X(paddsb, I) X(paddsw, I) X(paddusb, I) X(paddusw, I)                      \
    X(psubsb, I) X(psubsw, I) X(psubusb, I) X(psubusw, I)                      \
    X(pmullw, I) X(pmulhw, I) X(pmulhuw, I) X(pmulld, I)                       \
    X(pmuludq, I) X(pmuldq, I) X(pmaddwd, I) X(pmaddubsw, I) X(pmulhrsw, I)    \
    X(psadbw, I) X(pavgb, I) X(pavgw, I)                                       \
    X(pminub, I) X(pmaxub, I) X(pminsw, I) X(pmaxsw, I)                        \
    X(pminsb, I) X(pmaxsb, I) X(pminsd, I) X(pmaxsd, I)                        \
    X(pminuw, I) X(pmaxuw, I) X(pminud, I) X(pmaxud, I)                        \
    X(pcmpeqb, I) X(pcmpeqw, I) X(pcmpeqd, I) X(pcmpeqq, I)                    \
    X(pcmpgtb, I) X(pcmpgtw, I) X(pcmpgtd, I) X(pcmpgtq, I)                    \
    X(psignb, I) X(psignw, I) X(psignd, I)                                     \
    X(pabsb, I) X(pabsw, I) X(pabsd, I)                                        \
    X(phaddw, I) X(phaddd, I) X(phaddsw, I)                                    \
    X(phsubw, I) X(phsubd, I) X(phsubsw, I)                                    \
    X(phminposuw, I) X(mpsadbw, I) X(ptest, IR)                                 \
    /* shifts */                                                               \
    X(psrlw, I) X(psrld, I) X(psrlq, I) X(psraw, I) X(psrad, I)                \
    X(psllw, I) X(pslld, I) X(psllq, I) X(psrldq, I) X(pslldq, I)              \
    /* pack, unpack, shuffle, blend */                                         \
    X(packsswb, I) X(packuswb, I) X(packssdw, I) X(packusdw, I)                \
    X(punpcklbw, I) X(punpcklwd, I) X(punpckldq, I) X(punpcklqdq, I)           \
    X(punpckhbw, I) X(punpckhwd, I) X(punpckhdq, I) X(punpckhqdq, I)           \
    X(pshufd, I) X(pshufhw, I) X(pshuflw, I) X(pshufb, I)                      \
    X(shufps, I) X(shufpd, I) X(palignr, I)                                    \
    X(movshdup, I) X(movsldup, I) X(movddup, I) X(insertps, I)                 \
    X(blendps, I) X(blendpd, I) X(pblendw, I)                                  \
    X(blendvps, I) X(blendvpd, I) X(pblendvb, I)                               \
    X(pmovsxbw, I) X(pmovsxbd, I) X(pmovsxbq, I) X(pmovsxwd, I)                \
    X(pmovsxwq, I) X(pmovsxdq, I) X(pmovzxbw, I) X(pmovzxbd, I)                \
    X(pmovzxbq, I) X(pmovzxwd, I) X(pmovzxwq, I) X(pmovzxdq, I)                \
    /* to GPRs */                                                              \
    X(movmskps, IR) X(movmskpd, IR) X(pmovmskb, IR)                               \
    /* SSE4.2 strings */                                                       \
    X(pcmpestri, GR) X(pcmpestrm, GR) X(pcmpistri, IR) X(pcmpistrm, IR)

#define SSE_DECLARE(name, kind)                                                   \
    uint64_t sse_##name(X86State *e, X86Xmm *d, const X86Xmm *s, uint64_t arg, int *fault); \
    extern const IRHelperInfo sse_hi_##name;
SSE_HELPERS(SSE_DECLARE)
#undef SSE_DECLARE

/* PCMPxSTRx results packed in the return value: EFLAGS bits << 32 | index. */
#define SSE_STR_FLAGS_SHIFT 32

/* MASKMOVDQU: (d index = data, s index = mask, linear address of DS:rDI). */
extern const IRHelperInfo sse_hi_maskmov;
/* CRC32 (Castagnoli, bit-reflected): (crc, data, size in bytes) -> crc; pure. */
uint32_t sse_crc32(uint32_t crc, uint64_t data, unsigned size);
extern const IRHelperInfo sse_hi_crc32;

/* The approximations RCPSS/RSQRTSS return for one binary32 value. */
uint32_t sse_rcp_f32(uint32_t a);
uint32_t sse_rsqrt_f32(uint32_t a);

#endif
