/*
 * MMX lane arithmetic on 64-bit values (SDM Vol. 1 ch. 9, Vol. 2 P*):
 * pure functions, host-endian independent (lanes are shifts of the value,
 * lane 0 the least significant).
 *
 * An operation code is MMX_<KIND> * 4 + log2(lane bytes) for the lane-wise
 * kinds (MMX_CODE(MMX_ADD, 1) is PADDW), and MMX_CODE(kind, 0) for the
 * others. The translator (translate_mmx.c) calls mmx_op through a pure
 * IR helper.
 */
#ifndef PEMU_X86_MMX_HELPER_H
#define PEMU_X86_MMX_HELPER_H

#include <stdint.h>

enum {
    /* lane-wise, any width the instruction set has */
    MMX_ADD, MMX_ADDS, MMX_ADDUS, MMX_SUB, MMX_SUBS, MMX_SUBUS,
    MMX_CMPEQ, MMX_CMPGT, MMX_MULL, MMX_MULH, MMX_MULHU,
    MMX_MINU, MMX_MAXU, MMX_MINS, MMX_MAXS, MMX_AVG,
    MMX_SLL, MMX_SRL, MMX_SRA,      /* by the 64-bit count b */
    MMX_UNPCKL, MMX_UNPCKH,         /* interleave the low / high halves (a, b, a, b ...) */
    /* whole register */
    MMX_AND, MMX_ANDN, MMX_OR, MMX_XOR,
    MMX_PACKSSWB, MMX_PACKSSDW, MMX_PACKUSWB,
    MMX_MADDWD, MMX_MULUDQ, MMX_SADBW,
    MMX_PSHUFW,                     /* b = the immediate */
    MMX_PMOVMSKB,                   /* the byte sign bits of a */
    MMX_NKINDS
};

#define MMX_CODE(kind, lg) ((kind) * 4 + (lg))

uint64_t mmx_op(unsigned code, uint64_t a, uint64_t b);

#endif
