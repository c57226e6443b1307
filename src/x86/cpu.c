/* The x86 vCPU: reset state, derived mode bits, raising exceptions. */
#include "src/x86/cpu.h"

#include <string.h>
#include "src/x86/flags.h"

void x86_update_hflags(X86State *s)
{
    uint32_t hf = s->hflags & (HF_INHIBIT_IRQ | HF_SMM);
    uint32_t cr0 = (uint32_t)s->cr[0];
    const X86Segment *cs = &s->segs[R_CS];

    if (cr0 & CR0_PE)
        hf |= HF_PE;
    if (s->eflags & EF_VM)
        hf |= HF_VM;
    if (s->efer & EFER_LMA)
        hf |= HF_LMA;
    /* CPL: 0 in real mode, 3 in vm86, else the DPL of the loaded CS (= its RPL). */
    if (!(hf & HF_PE))
        hf |= 0;
    else if (hf & HF_VM)
        hf |= 3;
    else
        hf |= (cs->flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    if ((hf & HF_LMA) && (cs->flags & DESC_L_MASK))
        hf |= HF_CS64;
    else if ((hf & HF_PE) && !(hf & HF_VM) && (cs->flags & DESC_B_MASK))
        hf |= HF_CS32;
    if ((hf & HF_PE) && !(hf & HF_VM) && (s->segs[R_SS].flags & DESC_B_MASK))
        hf |= HF_SS32;
    /* DS/ES/SS bases can be skipped only when all are zero (flat model). */
    if (!(hf & HF_CS64) &&
        (!(hf & HF_PE) || (hf & HF_VM) ||
         (s->segs[R_DS].base | s->segs[R_ES].base | s->segs[R_SS].base) != 0))
        hf |= HF_ADDSEG;
    if (s->eflags & EF_TF)
        hf |= HF_TF;
    hf |= ((s->eflags & EF_IOPL) >> EF_IOPL_SHIFT) << HF_IOPL_SHIFT;
    if (cr0 & CR0_MP)
        hf |= HF_MP;
    if (cr0 & CR0_EM)
        hf |= HF_EM;
    if (cr0 & CR0_TS)
        hf |= HF_TS;
    if (s->cr[4] & CR4_OSFXSR)
        hf |= HF_OSFXSR;
    if ((cr0 & CR0_AM) && (s->eflags & EF_AC) && (hf & HF_CPL_MASK) == 3)
        hf |= HF_AC;
    s->hflags = hf;
}

static void seg_reset(X86Segment *seg, uint16_t sel, uint64_t base, uint32_t type)
{
    seg->selector = sel;
    seg->base = base;
    seg->limit = 0xffff;
    seg->flags = DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | type;
}

void x86_cpu_reset(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    memset(s, 0, sizeof(*s));

    s->rip = 0xfff0;
    seg_reset(&s->segs[R_CS], 0xf000, 0xffff0000, DESC_CS_MASK | DESC_R_MASK);
    for (int i = 0; i < X86_NB_SEGS; i++)
        if (i != R_CS)
            seg_reset(&s->segs[i], 0, 0, DESC_W_MASK);
    s->ldt.limit = 0xffff;
    s->ldt.flags = DESC_P_MASK | (DESC_LDT << DESC_TYPE_SHIFT);
    s->tr.limit = 0xffff;
    s->tr.flags = DESC_P_MASK | (DESC_TSS16_BUSY << DESC_TYPE_SHIFT);
    s->gdt.limit = 0xffff;
    s->idt.limit = 0xffff;

    s->regs[R_EDX] = cpu->cpuid_version;
    s->cr[0] = CR0_CD | CR0_NW | CR0_ET;
    s->dr[6] = 0xffff0ff0;
    s->dr[7] = 0x400;
    s->a20_mask = ~0ull;
    s->eflags = EF_FIXED1;
    s->cc_op = CC_OP_EFLAGS;
    s->df = 1;

    s->fpuc = 0x037f;     /* as after FNINIT, like QEMU; the SDM's reset value is 0x0040 */
    for (int i = 0; i < 8; i++)
        s->fptags[i] = 1;
    s->mxcsr = 0x1f80;
    s->pat = 0x0007040600070406ull;
    /* fast strings on, as firmware leaves it (else Linux prints "Disabled
     * fast string operations") */
    s->misc_enable = MISC_ENABLE_FAST_STRING;
    s->xcr0 = XCR0_X87;
    s->apic_base = 0xfee00000u | (1u << 11) | (cpu->apic_id == 0 ? 1u << 8 : 0);
    s->old_exception = -1;
    x86_update_hflags(s);
    /* RESET/INIT also ends HLT and drops latched NMI/SMI (the interrupt
     * controllers re-assert INTR themselves when they have reset). */
    cpu->parent.halted = 0;
    cpu_reset_interrupt(&cpu->parent, CPU_INTERRUPT_NMI | CPU_INTERRUPT_SMI);
}

void x86_raise_exception_err(X86CPU *cpu, int excp, int err)
{
    cpu->env.error_code = err;
    cpu->env.exception_is_int = 0;
    cpu_raise(&cpu->parent, excp);
}

void x86_raise_exception(X86CPU *cpu, int excp)
{
    x86_raise_exception_err(cpu, excp, -1);
}

void x86_raise_interrupt(X86CPU *cpu, int intno, uint64_t next_eip)
{
    cpu->env.error_code = -1;
    cpu->env.exception_is_int = 1;
    cpu->env.exception_next_eip = next_eip;
    cpu_raise(&cpu->parent, intno);
}
