/*
 * Helpers the x86 translator calls from translated code (IR `call` ops).
 * Each is a plain C function `uint64_t fn(void *env, uint64_t ...)` where
 * env is the X86CPU (its CPUState comes first), described by an
 * IRHelperInfo with its effects (ir/ir.h): pure helpers get IR_CALL_PURE,
 * helpers that read or write CPU state and may raise get the defaults.
 *
 * int_helper.c: lazy flags, DIV/IDIV (#DE), BCD, RCL/RCR, BOUND, EFLAGS
 * reads/writes, exceptions and interrupts, checks (#AC, segment limits).
 * translate_sys.c: the glue to helper_sys.h (CPUID, MSRs, I/O, descriptor
 * tables, far transfers).
 */
#ifndef PEMU_X86_HELPER_H
#define PEMU_X86_HELPER_H

#include "ir/ir.h"

/* (cc_op, dst, src, src2) -> CF..OF bits; pure */
extern const IRHelperInfo x86_hi_cc_compute_all;
/* EDX:EAX / operand with the quotient and remainder in the accumulator
 * registers; #DE on a zero divisor or an overflowing quotient. */
extern const IRHelperInfo x86_hi_div[4], x86_hi_idiv[4];   /* by log2 size */
/* DAA, DAS, AAA, AAS on AL/AX and the flags in env; AAM/AAD take the base. */
extern const IRHelperInfo x86_hi_daa, x86_hi_das, x86_hi_aaa, x86_hi_aas;
extern const IRHelperInfo x86_hi_aam, x86_hi_aad;
/* RCL/RCR: (value, masked count, log2 size | 4 for RCL, EFLAGS before) ->
 * the result / EFLAGS after; pure */
extern const IRHelperInfo x86_hi_rotc, x86_hi_rotc_flags;
/* BOUND: (index, lower, upper, log2 size) -> #BR when outside */
extern const IRHelperInfo x86_hi_bound;
/* PUSHF value / POPF (value, osize) with the privilege rules */
extern const IRHelperInfo x86_hi_read_eflags, x86_hi_popf;
/* raise (excp, error code or -1) / software interrupt (intno, next eip) */
extern const IRHelperInfo x86_hi_raise, x86_hi_raise_int;
/* INTO: (OF, next eip) */
extern const IRHelperInfo x86_hi_into;
/* TF single step: #DB after the instruction (env.rip already the next one) */
extern const IRHelperInfo x86_hi_single_step;
/* #AC: (linear address, size); with X86_ALIGN_GP in size: #GP(0) whatever
 * the mode (CMPXCHG16B, SSE) */
#define X86_ALIGN_GP 0x10000
extern const IRHelperInfo x86_hi_check_align;
/* segment limit: (seg, offset, size) -> #GP(0) / #SS(0) */
extern const IRHelperInfo x86_hi_check_limit;

/* translate_sys.c: glue to helper_sys.h */
extern const IRHelperInfo x86_hi_load_seg, x86_hi_ljmp, x86_hi_lcall, x86_hi_lret, x86_hi_iret;
extern const IRHelperInfo x86_hi_lldt, x86_hi_ltr, x86_hi_lar, x86_hi_lsl, x86_hi_verr, x86_hi_verw;
extern const IRHelperInfo x86_hi_invlpg, x86_hi_cpuid, x86_hi_rdmsr, x86_hi_wrmsr, x86_hi_rdtsc;
extern const IRHelperInfo x86_hi_read_cr, x86_hi_write_cr, x86_hi_read_dr, x86_hi_write_dr;
extern const IRHelperInfo x86_hi_lmsw, x86_hi_clts, x86_hi_check_io, x86_hi_in, x86_hi_out;
extern const IRHelperInfo x86_hi_hlt;
extern const IRHelperInfo x86_hi_pause, x86_hi_xgetbv, x86_hi_xsetbv;
extern const IRHelperInfo x86_hi_rdtscp, x86_hi_syscall, x86_hi_sysret, x86_hi_sysenter, x86_hi_sysexit;

#endif
