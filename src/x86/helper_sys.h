/*
 * The x86 system helpers: what the translator (src/x86/translate.c) calls
 * for instructions that change mode, privilege or descriptor state, and
 * what the CPU loop calls to fill the TLB and deliver events. The bodies
 * live in seg.c (descriptors, far transfers, task switch), excp.c
 * (exceptions and interrupts), mmu.c (paging) and misc.c (CPUID, MSRs,
 * control/debug registers, I/O, HLT).
 *
 * Conventions:
 * - Every helper receives the vCPU; guest memory is read and written with
 *   softmmu_ld/softmmu_st (src/softmmu.h) at the right mmu index, so page
 *   faults are raised like any other exception.
 * - Faults go through x86_raise_exception_err (src/x86/cpu.h): the
 *   translator has left env.rip and the lazy flags of the instruction in a
 *   restorable state (precise exceptions), helpers never fix them up.
 * - Operand sizes are 2, 4 or 8 (bytes). `next_eip` is the address of the
 *   next instruction, for returns and software interrupts.
 * - A helper that changes hflags, CR0/CR3/CR4/EFER, segment caches or EFLAGS
 *   bits the translator specializes on ends the block: the translator emits
 *   the helper as the last op of its block (exit_tb NOCHAIN after it).
 */
#ifndef PEMU_X86_HELPER_SYS_H
#define PEMU_X86_HELPER_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include "src/x86/cpu.h"

/* ---- seg.c --------------------------------------------------------------- */

/* MOV/POP Sreg, LDS/LES/LFS/LGS/LSS: load with every check of the mode
 * (real/vm86: base = sel << 4; protected: #GP/#NP/#SS/#TS with the selector's
 * error code). Loading SS sets the interrupt shadow (the translator's job). */
void x86_load_seg(X86CPU *cpu, int seg, uint16_t selector);
/* Far JMP/CALL/RET/IRET in every mode: code segments, conforming rules, call
 * gates (with parameter copy and stack switch), task gates and TSS targets. */
void x86_ljmp(X86CPU *cpu, uint16_t selector, uint64_t offset, uint64_t next_eip);
void x86_lcall(X86CPU *cpu, uint16_t selector, uint64_t offset, int osize, uint64_t next_eip);
void x86_lret(X86CPU *cpu, int osize, uint16_t pop_bytes);
void x86_iret(X86CPU *cpu, int osize, uint64_t next_eip);
void x86_lldt(X86CPU *cpu, uint16_t selector);
void x86_ltr(X86CPU *cpu, uint16_t selector);
/* LAR/LSL return the new value for the destination, or `old` when the
 * selector fails; they set ZF accordingly (lazy flags become CC_OP_EFLAGS). */
uint64_t x86_lar(X86CPU *cpu, uint16_t selector, uint64_t old);
uint64_t x86_lsl(X86CPU *cpu, uint16_t selector, uint64_t old);
void x86_verr(X86CPU *cpu, uint16_t selector);
void x86_verw(X86CPU *cpu, uint16_t selector);

/* ---- excp.c -------------------------------------------------------------- */

/* Deliver CPUState.exception_index (with env.error_code, exception_is_int,
 * exception_next_eip) in the current mode: IVT in real mode, IDT gates in
 * protected mode (privilege checks, stack switch, error code push), vm86
 * rules, long mode; contributory/benign classes → #DF, a fault while
 * delivering #DF → shutdown (cpu->shutdown). */
void x86_do_interrupt(X86CPU *cpu);
/* Take a pending external interrupt/NMI if EFLAGS.IF / the interrupt shadow
 * allow; the vector comes from cpu->intack. True if the CPU state changed. */
bool x86_exec_interrupt(X86CPU *cpu, uint32_t interrupt_request);

/* ---- mmu.c --------------------------------------------------------------- */

/* CPUTargetOps.tlb_fill: segment-less linear address -> physical page and
 * rights, with 32-bit, PAE and 4-level paging, PSE/large pages, A/D bit
 * updates, U/S, R/W, WP, NX, global pages, the A20 mask; #PF with CR2 and
 * the error code unless probe. */
bool x86_tlb_fill(CPUState *cs, uint64_t vaddr, MMUAccessType access, int mmu_idx,
                  bool probe, uint64_t *paddr, uint32_t *prot);
void x86_invlpg(X86CPU *cpu, uint64_t linear);

/* ---- misc.c -------------------------------------------------------------- */

void x86_cpuid(X86CPU *cpu);                 /* EAX, ECX in; EAX..EDX out */
void x86_xgetbv(X86CPU *cpu);                /* ECX in; EDX:EAX = XCR0 */
void x86_xsetbv(X86CPU *cpu);                /* XCR0 = EDX:EAX (ECX = 0) */
void x86_rdmsr(X86CPU *cpu);                 /* ECX in; EDX:EAX out; #GP if unknown */
void x86_wrmsr(X86CPU *cpu);
void x86_rdtsc(X86CPU *cpu);                 /* #GP if CR4.TSD and CPL > 0 */
void x86_rdtscp(X86CPU *cpu);                /* RDTSC and ECX = TSC_AUX */
/* Fast system calls: they load fixed flat CS/SS caches from STAR or
 * SYSENTER_CS and jump; osize 8 is the REX.W form (to 64-bit code). */
void x86_syscall(X86CPU *cpu, uint64_t next_eip);   /* #UD unless EFER.SCE */
void x86_sysret(X86CPU *cpu, int osize);            /* #UD unless SCE, #GP unless CPL 0 */
void x86_sysenter(X86CPU *cpu);                     /* #GP if PE = 0 or SYSENTER_CS null */
void x86_sysexit(X86CPU *cpu, int osize);           /* + #GP unless CPL 0 */
uint64_t x86_read_cr(X86CPU *cpu, int cr);
void x86_write_cr(X86CPU *cpu, int cr, uint64_t value); /* checks, TLB flush rules, hflags */
uint64_t x86_read_dr(X86CPU *cpu, int dr);
void x86_write_dr(X86CPU *cpu, int dr, uint64_t value);
void x86_lmsw(X86CPU *cpu, uint16_t value);
void x86_clts(X86CPU *cpu);
/* IN/OUT/INS/OUTS: #GP unless CPL <= IOPL (and not vm86) or the TSS I/O
 * permission bitmap allows every byte of the access. */
void x86_check_io(X86CPU *cpu, uint16_t port, int size);
uint32_t x86_in(X86CPU *cpu, uint16_t port, int size);
void x86_out(X86CPU *cpu, uint16_t port, int size, uint32_t value);
/* HLT: the CPU sleeps until an interrupt; env.rip = next_eip. */
PEMU_NORETURN void x86_hlt(X86CPU *cpu, uint64_t next_eip);

#endif
