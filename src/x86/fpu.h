/*
 * The x87 FPU (and the MXCSR side of SSE) on X86State, for the translator.
 *
 * State: env.fpregs[i] is physical register i, ST(n) = fpregs[(fpstt + n) & 7];
 * env.fptags[i] = 1 when register i is empty; env.fpus holds the status
 * word without TOP (fpstt is the truth; fpu_get_fsw merges them).
 *
 * Exceptions (SDM Vol. 1 8.4-8.6): every helper raises its flags in FSW.
 * An unmasked one sets ES and B and leaves the destination (and TOP) as
 * they were for IE/DE/ZE, or stores the wrapped result for OE/UE; it
 * does not trap. The translator calls fpu_check_mf (or fpu_helper_wait)
 * before every waiting x87 instruction and FWAIT: with ES set it raises
 * #MF (CR0.NE = 1). Non-waiting instructions (FNINIT, FNCLEX, FNSTSW,
 * FNSTCW, FNSTENV, FNSAVE) skip that check.
 *
 * The translator also records the last non-control instruction
 * (env.fpop: low 11 bits of the opcode, fpcs:fpip, fpds:fpdp) itself.
 *
 * Two layers:
 * - register/value functions (fpu_*): pure state changes, testable alone;
 *   memory values are passed in and returned (m80 and BCD as 10-byte
 *   buffers);
 * - memory helpers (fpu_helper_*) that take a linear address and use
 *   softmmu, computing everything before the first store so a fault
 *   leaves the FPU state unchanged.
 */
#ifndef PEMU_X86_FPU_H
#define PEMU_X86_FPU_H

#include <stdint.h>
#include "src/x86/cpu.h"
#include "src/x86/softfloat.h"

/* Status word (SDM 8.1.3). */
#define FSW_IE  0x0001
#define FSW_DE  0x0002
#define FSW_ZE  0x0004
#define FSW_OE  0x0008
#define FSW_UE  0x0010
#define FSW_PE  0x0020
#define FSW_SF  0x0040
#define FSW_ES  0x0080
#define FSW_C0  0x0100
#define FSW_C1  0x0200
#define FSW_C2  0x0400
#define FSW_TOP_SHIFT 11
#define FSW_TOP 0x3800
#define FSW_C3  0x4000
#define FSW_B   0x8000

/* Control word: masks 0-5, PC 8-9, RC 10-11, X 12. */
#define FCW_PC_SHIFT 8
#define FCW_RC_SHIFT 10

/* MXCSR (SDM Vol. 1 10.2.3). */
#define MXCSR_DAZ 0x0040
#define MXCSR_MASK_SHIFT 7
#define MXCSR_RC_SHIFT 13
#define MXCSR_FTZ 0x8000
#define MXCSR_WRITABLE 0xffffu /* MXCSR_MASK as FXSAVE reports it */

/* Arithmetic: the ModRM reg field of D8/DC/DE (2, 3 are FCOM/FCOMP). */
enum { FPU_ADD = 0, FPU_MUL = 1, FPU_SUB = 4, FPU_SUBR = 5, FPU_DIV = 6, FPU_DIVR = 7 };
/* Constants for fpu_fld_const. */
enum { FPU_CONST_1, FPU_CONST_L2T, FPU_CONST_L2E, FPU_CONST_PI, FPU_CONST_LG2,
       FPU_CONST_LN2, FPU_CONST_Z };

/* ---- status and control ------------------------------------------------ */

uint16_t fpu_get_fsw(const X86State *s);          /* FNSTSW: FSW with TOP */
void fpu_set_fsw(X86State *s, uint16_t fsw);
void fpu_set_fcw(X86State *s, uint16_t fcw);      /* FLDCW: ES follows the new masks */
void fpu_init(X86State *s);                       /* FNINIT */
void fpu_clex(X86State *s);                       /* FNCLEX */
/* True when an unmasked exception is pending (ES): the next waiting x87
 * instruction must raise #MF. */
static inline int fpu_pending_mf(const X86State *s) { return (s->fpus & FSW_ES) != 0; }
/* Full tag word (2 bits per physical register: valid, zero, special, empty). */
uint16_t fpu_get_ftw(const X86State *s);
void fpu_set_ftw(X86State *s, uint16_t ftw);      /* only "empty" is kept */
/* The SfStatus for x87 arithmetic under the current control word. */
SfStatus fpu_status(const X86State *s);

/* ---- loads (push) ------------------------------------------------------ */

void fpu_fld_f32(X86State *s, uint32_t v);
void fpu_fld_f64(X86State *s, uint64_t v);
void fpu_fld_f80(X86State *s, const uint8_t m[10]);
void fpu_fild(X86State *s, int64_t v);            /* m16/m32/m64, sign-extended */
void fpu_fbld(X86State *s, const uint8_t m[10]);
void fpu_fld_st(X86State *s, int i);              /* FLD ST(i) */
void fpu_fld_const(X86State *s, int which);

/* ---- stores: return 1 when memory must be written ------------------------ */

int fpu_fst_f32(X86State *s, uint32_t *out, int pop);
int fpu_fst_f64(X86State *s, uint64_t *out, int pop);
int fpu_fst_f80(X86State *s, uint8_t out[10], int pop);  /* FSTP m80: exact copy */
/* FIST/FISTP (truncate = 0) and FISTTP (truncate = 1); bits 16/32/64. */
int fpu_fist(X86State *s, int bits, int truncate, int pop, int64_t *out);
int fpu_fbstp(X86State *s, uint8_t out[10]);
void fpu_fst_st(X86State *s, int i, int pop);     /* FST/FSTP ST(i) */

/* ---- arithmetic ---------------------------------------------------------- */

/* ST(dst) = ST(dst) op ST(src); one of dst, src is 0; pop after (FxxxP). */
void fpu_arith_st(X86State *s, int op, int dst, int src, int pop);
/* ST(0) = ST(0) op memory operand */
void fpu_arith_f32(X86State *s, int op, uint32_t v);
void fpu_arith_f64(X86State *s, int op, uint64_t v);
void fpu_arith_int(X86State *s, int op, int64_t v); /* FIADD... m16/m32 */

/* FCOM/FCOMP/FCOMPP/FUCOM... with ST(i) or a memory value; pops 0..2. */
void fpu_fcom_st(X86State *s, int i, int unordered, int pops);
void fpu_fcom_f32(X86State *s, uint32_t v, int pops);
void fpu_fcom_f64(X86State *s, uint64_t v, int pops);
void fpu_ficom(X86State *s, int64_t v, int pops);
/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: returns EFLAGS' ZF, PF, CF (OF, SF, AF clear). */
uint32_t fpu_fcomi(X86State *s, int i, int unordered, int pop);
void fpu_ftst(X86State *s);
void fpu_fxam(X86State *s);

void fpu_fchs(X86State *s);
void fpu_fabs(X86State *s);
void fpu_fxch(X86State *s, int i);
void fpu_fcmov(X86State *s, int i, int cond);     /* FCMOVcc ST(0), ST(i) */
void fpu_ffree(X86State *s, int i, int pop);      /* FFREE / FFREEP */
void fpu_fincstp(X86State *s);
void fpu_fdecstp(X86State *s);
void fpu_fsqrt(X86State *s);
void fpu_frndint(X86State *s);
void fpu_fscale(X86State *s);
void fpu_fxtract(X86State *s);
void fpu_fprem(X86State *s, int ieee);            /* FPREM (0), FPREM1 (1) */
void fpu_f2xm1(X86State *s);
void fpu_fyl2x(X86State *s);
void fpu_fyl2xp1(X86State *s);
void fpu_fptan(X86State *s);
void fpu_fpatan(X86State *s);
void fpu_fsin(X86State *s);
void fpu_fcos(X86State *s);
void fpu_fsincos(X86State *s);

/* ---- environment images -------------------------------------------------
 * FSTENV/FLDENV are 14 bytes (16-bit operand size) or 28 (32/64-bit);
 * FSAVE/FRSTOR add the eight registers (94 / 108 bytes). `pm`: protected
 * mode layout (selector:offset pointers), else real/vm86 (linear 20/32-bit
 * pointers with the opcode). FSAVE then reinitializes like FNINIT;
 * FSTENV masks all exceptions afterwards.
 */
int fpu_env_size(int osize32);
void fpu_fstenv(X86State *s, uint8_t *buf, int osize32, int pm);
void fpu_fldenv(X86State *s, const uint8_t *buf, int osize32, int pm);
void fpu_fsave(X86State *s, uint8_t *buf, int osize32, int pm);
void fpu_frstor(X86State *s, const uint8_t *buf, int osize32, int pm);
/* FXSAVE/FXRSTOR 512-byte image; nxmm = 8 or 16; rexw: 64-bit FIP/FDP.
 * fpu_fxrstor returns -1 (and changes nothing) when the MXCSR image has
 * reserved bits set: the translator raises #GP(0). */
void fpu_fxsave(X86State *s, uint8_t *buf, int nxmm, int rexw);
int fpu_fxrstor(X86State *s, const uint8_t *buf, int nxmm, int rexw);

/* ---- MMX aliasing (SDM Vol. 1 9.5) ------------------------------------ */

void fpu_mmx_enter(X86State *s);                  /* any MMX insn: TOP = 0, all tags valid */
void fpu_emms(X86State *s);                       /* all tags empty */
static inline uint64_t fpu_mmx_read(const X86State *s, int i) { return s->fpregs[i & 7].mant; }
static inline void fpu_mmx_write(X86State *s, int i, uint64_t v)
{
    s->fpregs[i & 7].mant = v;
    s->fpregs[i & 7].sexp = 0xffff; /* an MMX write sets the exponent field to all ones */
}

/* ---- SSE: MXCSR ------------------------------------------------------- */

SfStatus fpu_sse_status(const X86State *s);
/* Merge the flags an SSE operation raised into MXCSR. Returns 1 when one
 * of them is unmasked: the instruction must not write its destination and
 * the translator raises #XM (CR4.OSXMMEXCPT) or #UD. */
int fpu_sse_commit(X86State *s, const SfStatus *st);
/* LDMXCSR/FXRSTOR: reserved bits set -> #GP(0). */
static inline int fpu_mxcsr_valid(uint32_t v) { return (v & ~MXCSR_WRITABLE) == 0; }

/* ---- memory helpers (softmmu; may raise #PF/#GP/#MF) --------------------- */

/* #MF if an unmasked exception is pending (CR0.NE = 1; with NE = 0 the PC's
 * FERR#/IRQ13 path is not wired: see docs). Call before waiting insns. */
void fpu_helper_wait(X86CPU *cpu);
/* FLD/FILD/FBLD m: kind = FPU_M32, FPU_M64, FPU_M80, FPU_I16, FPU_I32, FPU_I64, FPU_BCD */
enum { FPU_M32, FPU_M64, FPU_M80, FPU_I16, FPU_I32, FPU_I64, FPU_BCD };
void fpu_helper_load(X86CPU *cpu, uint64_t addr, int kind);
/* FST/FSTP m32/m64/m80, FIST/FISTP/FISTTP m16/32/64 (truncate), FBSTP. */
void fpu_helper_store(X86CPU *cpu, uint64_t addr, int kind, int pop, int truncate);
/* Dxx arithmetic/compare with a memory operand: op 0..7 is the ModRM reg
 * field (2 = FCOM, 3 = FCOMP); kind FPU_M32, FPU_M64, FPU_I16, FPU_I32. */
void fpu_helper_arith_mem(X86CPU *cpu, uint64_t addr, int kind, int op);
void fpu_helper_fstenv(X86CPU *cpu, uint64_t addr, int osize32);
void fpu_helper_fldenv(X86CPU *cpu, uint64_t addr, int osize32);
void fpu_helper_fsave(X86CPU *cpu, uint64_t addr, int osize32);
void fpu_helper_frstor(X86CPU *cpu, uint64_t addr, int osize32);
void fpu_helper_fxsave(X86CPU *cpu, uint64_t addr, int rexw);
void fpu_helper_fxrstor(X86CPU *cpu, uint64_t addr, int rexw);
/* XSAVE/XRSTOR, standard form, of the components in XCR0 & EDX:EAX. */
void fpu_helper_xsave(X86CPU *cpu, uint64_t addr, int rexw);
void fpu_helper_xrstor(X86CPU *cpu, uint64_t addr, int rexw);

#endif
