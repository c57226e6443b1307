/*
 * Lazy flag evaluation. For each kind, the operands of the operation are
 * recovered from (dst, src, src2) and the flags follow the SDM's
 * definitions (Vol. 1 3.4.3, and each instruction's "Flags Affected"):
 *   CF  carry/borrow out of the top bit     PF  even parity of the low byte
 *   AF  carry/borrow out of bit 3           ZF  result == 0
 *   SF  top bit of the result               OF  signed overflow
 * Flags the SDM leaves undefined get the value real Intel parts produce
 * where it is known and cheap (e.g. SF/ZF/PF after MUL from the low half);
 * the differential tester masks them anyway.
 */
#include "src/x86/flags.h"

#include "src/error.h"

/* Operand size in bits for the four size variants of a kind. */
static inline unsigned size_bits(uint32_t cc_op, uint32_t base)
{
    return 8u << (cc_op - base);
}

static inline uint64_t mask_of(unsigned bits)
{
    return bits == 64 ? ~0ull : (1ull << bits) - 1;
}

static inline uint32_t sign_of(uint64_t v, unsigned bits)
{
    return (uint32_t)(v >> (bits - 1)) & 1;
}

/* ZF, SF, PF of a result. */
static inline uint32_t zsp(uint64_t dst, unsigned bits)
{
    dst &= mask_of(bits);
    return (dst == 0 ? CC_Z : 0) | (sign_of(dst, bits) ? CC_S : 0) | x86_parity(dst);
}

uint32_t x86_flags_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2)
{
    unsigned bits;
    uint64_t m, a;
    uint32_t cf, of, af;

    switch (cc_op) {
    case CC_OP_EFLAGS:
        return (uint32_t)src & CC_ARITH;
    case CC_OP_CLR:
        return CC_Z | CC_P;

    case CC_OP_ADDB: case CC_OP_ADDW: case CC_OP_ADDL: case CC_OP_ADDQ:
    case CC_OP_ADCB: case CC_OP_ADCW: case CC_OP_ADCL: case CC_OP_ADCQ: {
        int adc = cc_op >= CC_OP_ADCB;
        uint64_t c = adc ? (src2 & 1) : 0;
        bits = size_bits(cc_op, adc ? CC_OP_ADCB : CC_OP_ADDB);
        m = mask_of(bits);
        dst &= m;
        src &= m;
        a = (dst - src - c) & m;
        cf = c ? dst <= src : dst < src;
        of = sign_of((a ^ dst) & (src ^ dst), bits);
        af = (uint32_t)((a ^ src ^ dst) & 0x10);
        return (cf ? CC_C : 0) | (of ? CC_O : 0) | af | zsp(dst, bits);
    }

    case CC_OP_SUBB: case CC_OP_SUBW: case CC_OP_SUBL: case CC_OP_SUBQ:
    case CC_OP_SBBB: case CC_OP_SBBW: case CC_OP_SBBL: case CC_OP_SBBQ: {
        int sbb = cc_op >= CC_OP_SBBB;
        uint64_t c = sbb ? (src2 & 1) : 0;
        bits = size_bits(cc_op, sbb ? CC_OP_SBBB : CC_OP_SUBB);
        m = mask_of(bits);
        dst &= m;
        src &= m;
        a = (dst + src + c) & m;
        cf = c ? a <= src : a < src;
        of = sign_of((a ^ src) & (a ^ dst), bits);
        af = (uint32_t)((a ^ src ^ dst) & 0x10);
        return (cf ? CC_C : 0) | (of ? CC_O : 0) | af | zsp(dst, bits);
    }

    case CC_OP_LOGICB: case CC_OP_LOGICW: case CC_OP_LOGICL: case CC_OP_LOGICQ:
        return zsp(dst, size_bits(cc_op, CC_OP_LOGICB));

    case CC_OP_INCB: case CC_OP_INCW: case CC_OP_INCL: case CC_OP_INCQ:
        bits = size_bits(cc_op, CC_OP_INCB);
        m = mask_of(bits);
        dst &= m;
        a = (dst - 1) & m;
        of = dst == (1ull << (bits - 1));
        af = (uint32_t)((a ^ 1 ^ dst) & 0x10);
        return (src & 1 ? CC_C : 0) | (of ? CC_O : 0) | af | zsp(dst, bits);

    case CC_OP_DECB: case CC_OP_DECW: case CC_OP_DECL: case CC_OP_DECQ:
        bits = size_bits(cc_op, CC_OP_DECB);
        m = mask_of(bits);
        dst &= m;
        a = (dst + 1) & m;
        of = dst == (m >> 1);
        af = (uint32_t)((a ^ 1 ^ dst) & 0x10);
        return (src & 1 ? CC_C : 0) | (of ? CC_O : 0) | af | zsp(dst, bits);

    case CC_OP_SHLB: case CC_OP_SHLW: case CC_OP_SHLL: case CC_OP_SHLQ:
        /* src = value << (count - 1): its top bit is the last bit shifted out. */
        bits = size_bits(cc_op, CC_OP_SHLB);
        cf = sign_of(src, bits);
        of = sign_of(src ^ dst, bits);
        return (cf ? CC_C : 0) | (of ? CC_O : 0) | zsp(dst, bits);

    case CC_OP_SARB: case CC_OP_SARW: case CC_OP_SARL: case CC_OP_SARQ:
        /*
         * SAR and SHR: src = value >> (count - 1), bit 0 is the last bit out.
         * OF (defined for count 1) is top(value) for SHR and 0 for SAR:
         * both equal top(src ^ dst) when count is 1.
         */
        bits = size_bits(cc_op, CC_OP_SARB);
        cf = (uint32_t)src & 1;
        of = sign_of(src ^ dst, bits);
        return (cf ? CC_C : 0) | (of ? CC_O : 0) | zsp(dst, bits);

    case CC_OP_MULB: case CC_OP_MULW: case CC_OP_MULL: case CC_OP_MULQ:
        /* src != 0: the high half is significant (MUL) / not the sign extension
         * (IMUL). Only the operand-size bits count: 16/32-bit code writes
         * cc_src through a 32-bit view and leaves the upper half stale. */
        bits = size_bits(cc_op, CC_OP_MULB);
        return ((src & mask_of(bits)) ? CC_C | CC_O : 0) | zsp(dst, bits);

    default:
        pemu_abort("x86_flags_compute: bad cc_op %u", cc_op);
    }
}

uint32_t x86_flags_compute_cf(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2)
{
    unsigned bits;
    uint64_t m;

    switch (cc_op) {
    case CC_OP_ADDB: case CC_OP_ADDW: case CC_OP_ADDL: case CC_OP_ADDQ:
        m = mask_of(size_bits(cc_op, CC_OP_ADDB));
        return (dst & m) < (src & m);
    case CC_OP_SUBB: case CC_OP_SUBW: case CC_OP_SUBL: case CC_OP_SUBQ:
        m = mask_of(size_bits(cc_op, CC_OP_SUBB));
        return ((dst + src) & m) < (src & m);
    case CC_OP_LOGICB: case CC_OP_LOGICW: case CC_OP_LOGICL: case CC_OP_LOGICQ:
    case CC_OP_CLR:
        return 0;
    case CC_OP_INCB: case CC_OP_INCW: case CC_OP_INCL: case CC_OP_INCQ:
    case CC_OP_DECB: case CC_OP_DECW: case CC_OP_DECL: case CC_OP_DECQ:
        return (uint32_t)src & 1;
    case CC_OP_SHLB: case CC_OP_SHLW: case CC_OP_SHLL: case CC_OP_SHLQ:
        bits = size_bits(cc_op, CC_OP_SHLB);
        return sign_of(src, bits);
    case CC_OP_SARB: case CC_OP_SARW: case CC_OP_SARL: case CC_OP_SARQ:
        return (uint32_t)src & 1;
    case CC_OP_MULB: case CC_OP_MULW: case CC_OP_MULL: case CC_OP_MULQ:
        m = mask_of(size_bits(cc_op, CC_OP_MULB));
        return (src & m) != 0;
    default:
        return x86_flags_compute(cc_op, dst, src, src2) & CC_C;
    }
}

uint32_t x86_eflags_get(const X86State *s)
{
    return (s->eflags & ~(CC_ARITH | EF_DF)) | EF_FIXED1 |
           x86_flags_compute(s->cc_op, s->cc_dst, s->cc_src, s->cc_src2) |
           (s->df < 0 ? EF_DF : 0);
}

void x86_eflags_set(X86State *s, uint32_t value, uint32_t mask)
{
    uint32_t arith = x86_flags_compute(s->cc_op, s->cc_dst, s->cc_src, s->cc_src2);
    arith = (arith & ~mask) | (value & mask & CC_ARITH);
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = arith;
    s->cc_dst = 0;
    s->cc_src2 = 0;
    if (mask & EF_DF)
        s->df = (value & EF_DF) ? -1 : 1;
    mask &= ~(CC_ARITH | EF_DF | EF_FIXED1);
    s->eflags = (s->eflags & ~mask) | (value & mask);
}
