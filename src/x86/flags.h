/*
 * Lazy arithmetic flags (DESIGN.md "Lazy flags"): the last flag-setting
 * operation leaves (cc_op, cc_dst, cc_src, cc_src2) in the CPU state, and the
 * six arithmetic flags are computed from them only when something reads them.
 * The encoding of each CC_OP_* kind is documented in src/x86/cpu.h.
 */
#ifndef PEMU_X86_FLAGS_H
#define PEMU_X86_FLAGS_H

#include <stdint.h>
#include "src/x86/cpu.h"

/* CF, PF, AF, ZF, SF, OF (CC_ARITH bits) for a lazy state. */
uint32_t x86_flags_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2);
/* CF alone, cheaper (ADC/SBB/RCL/RCR/SETC need only this). */
uint32_t x86_flags_compute_cf(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2);

/* The whole EFLAGS register as the guest sees it (PUSHF, interrupts, gdb). */
uint32_t x86_eflags_get(const X86State *s);
/*
 * Write the EFLAGS bits selected by mask (POPF, IRET, SAHF, gdb): the
 * arithmetic flags become CC_OP_EFLAGS, DF goes to df, the rest to eflags.
 * The caller applies the privilege rules (which bits POPF may change) and
 * refreshes hflags when IF/TF/VM/IOPL/AC change.
 */
void x86_eflags_set(X86State *s, uint32_t value, uint32_t mask);

/* Parity flag of the low byte: set when it has an even number of 1 bits. */
static inline uint32_t x86_parity(uint64_t v)
{
    uint8_t b = (uint8_t)v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return (b & 1) ? 0 : CC_P;
}

#endif
