/*
 * TEMPORARY -- the lead deletes this file when the x86sys branch (seg.c,
 * excp.c, mmu.c, misc.c) is merged.
 *
 * Minimal stand-ins for the functions of src/x86/helper_sys.h, so that the
 * x86core branch links and its tests run on its own: the TLB fill with
 * paging off (linear & A20 mask = physical), real-mode interrupt delivery
 * through the IVT, HLT. Everything else raises #UD and says so under
 * -d unimp; interrupts outside real mode abort (excp.c delivers them).
 */
#include <inttypes.h>
#include "src/error.h"
#include "src/log.h"
#include "ir/ir.h"
#include "src/softmmu.h"
#include "src/x86/flags.h"
#include "src/x86/helper_sys.h"

PEMU_NORETURN static void interim_ud(X86CPU *cpu, const char *what)
{
    if (log_enabled(LOG_UNIMP))
        log_printf("unimplemented: %s (helper_sys.h, not merged yet) -> #UD\n", what);
    x86_raise_exception(cpu, EXCP_UD);
}

bool x86_tlb_fill(CPUState *cs, uint64_t vaddr, MMUAccessType access, int mmu_idx, bool probe,
                  uint64_t *paddr, uint32_t *prot)
{
    X86State *e = &x86_cpu(cs)->env;
    (void)access;
    (void)mmu_idx;
    (void)probe;
    if (e->cr[0] & CR0_PG)
        pemu_abort("x86_tlb_fill: paging is walked by mmu.c (not merged yet)");
    *paddr = (vaddr & 0xffffffffu & e->a20_mask) & TARGET_PAGE_MASK;
    *prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
    return true;
}

static void push16(X86CPU *cpu, uint16_t v)
{
    X86State *e = &cpu->env;
    uint16_t sp = (uint16_t)(e->regs[R_ESP] - 2);
    softmmu_st(&cpu->parent, e->segs[R_SS].base + sp, v, IR_MO_16, X86_MMU_KERNEL, 0);
    e->regs[R_ESP] = (e->regs[R_ESP] & ~0xffffull) | sp;
}

/* Real mode (SDM 20.1.4): push FLAGS, CS, IP; clear IF, TF, AC; CS:IP from the IVT. */
static void real_mode_deliver(X86CPU *cpu, int intno, uint64_t ret_ip)
{
    X86State *e = &cpu->env;
    uint64_t ivt = e->idt.base + (uint64_t)intno * 4;
    uint16_t ip = (uint16_t)softmmu_ld(&cpu->parent, ivt, IR_MO_16, X86_MMU_KERNEL, 0);
    uint16_t cs = (uint16_t)softmmu_ld(&cpu->parent, ivt + 2, IR_MO_16, X86_MMU_KERNEL, 0);
    push16(cpu, (uint16_t)x86_eflags_get(e));
    push16(cpu, e->segs[R_CS].selector);
    push16(cpu, (uint16_t)ret_ip);
    e->eflags &= ~(uint32_t)(EF_IF | EF_TF | EF_AC);
    e->segs[R_CS].selector = cs;
    e->segs[R_CS].base = (uint64_t)cs << 4;
    e->rip = ip;
    e->hflags &= ~HF_INHIBIT_IRQ;
    x86_update_hflags(e);
}

void x86_do_interrupt(X86CPU *cpu)
{
    X86State *e = &cpu->env;
    int intno = cpu->parent.exception_index;
    if (e->cr[0] & CR0_PE)
        pemu_abort("x86_do_interrupt: vector %d in protected mode is delivered by excp.c "
                   "(not merged yet)", intno);
    real_mode_deliver(cpu, intno, e->exception_is_int ? e->exception_next_eip : e->rip);
}

bool x86_exec_interrupt(X86CPU *cpu, uint32_t interrupt_request)
{
    X86State *e = &cpu->env;
    if (!(interrupt_request & CPU_INTERRUPT_HARD) || !(e->eflags & EF_IF) ||
        (e->hflags & HF_INHIBIT_IRQ) || !cpu->intack || (e->cr[0] & CR0_PE))
        return false;
    int vec = cpu->intack(cpu->intack_opaque);
    cpu->parent.halted = 0;
    real_mode_deliver(cpu, vec, e->rip);
    return true;
}

PEMU_NORETURN void x86_hlt(X86CPU *cpu, uint64_t next_eip)
{
    cpu->env.rip = next_eip;
    cpu->parent.halted = 1;
    cpu->parent.exception_index = EXCP_HLT;
    cpu_loop_exit_norestore(&cpu->parent);
}

void x86_load_seg(X86CPU *cpu, int seg, uint16_t selector)
{
    (void)seg;
    (void)selector;
    interim_ud(cpu, "segment load");
}

void x86_ljmp(X86CPU *cpu, uint16_t selector, uint64_t offset, uint64_t next_eip)
{
    (void)selector; (void)offset; (void)next_eip;
    interim_ud(cpu, "far jmp");
}

void x86_lcall(X86CPU *cpu, uint16_t selector, uint64_t offset, int osize, uint64_t next_eip)
{
    (void)selector; (void)offset; (void)osize; (void)next_eip;
    interim_ud(cpu, "far call");
}

void x86_lret(X86CPU *cpu, int osize, uint16_t pop_bytes)
{
    (void)osize; (void)pop_bytes;
    interim_ud(cpu, "far ret");
}

void x86_iret(X86CPU *cpu, int osize, uint64_t next_eip)
{
    (void)osize; (void)next_eip;
    interim_ud(cpu, "iret");
}

void x86_lldt(X86CPU *cpu, uint16_t selector)
{
    (void)selector;
    interim_ud(cpu, "lldt");
}

void x86_ltr(X86CPU *cpu, uint16_t selector)
{
    (void)selector;
    interim_ud(cpu, "ltr");
}

uint64_t x86_lar(X86CPU *cpu, uint16_t selector, uint64_t old)
{
    (void)selector; (void)old;
    interim_ud(cpu, "lar");
}

uint64_t x86_lsl(X86CPU *cpu, uint16_t selector, uint64_t old)
{
    (void)selector; (void)old;
    interim_ud(cpu, "lsl");
}

void x86_verr(X86CPU *cpu, uint16_t selector)
{
    (void)selector;
    interim_ud(cpu, "verr");
}

void x86_verw(X86CPU *cpu, uint16_t selector)
{
    (void)selector;
    interim_ud(cpu, "verw");
}

void x86_invlpg(X86CPU *cpu, uint64_t linear)
{
    (void)linear;
    interim_ud(cpu, "invlpg");
}

void x86_cpuid(X86CPU *cpu)
{
    interim_ud(cpu, "cpuid");
}

void x86_rdmsr(X86CPU *cpu)
{
    interim_ud(cpu, "rdmsr");
}

void x86_wrmsr(X86CPU *cpu)
{
    interim_ud(cpu, "wrmsr");
}

void x86_rdtsc(X86CPU *cpu)
{
    interim_ud(cpu, "rdtsc");
}

uint64_t x86_read_cr(X86CPU *cpu, int cr)
{
    (void)cr;
    interim_ud(cpu, "mov from cr");
}

void x86_write_cr(X86CPU *cpu, int cr, uint64_t value)
{
    (void)cr; (void)value;
    interim_ud(cpu, "mov to cr");
}

uint64_t x86_read_dr(X86CPU *cpu, int dr)
{
    (void)dr;
    interim_ud(cpu, "mov from dr");
}

void x86_write_dr(X86CPU *cpu, int dr, uint64_t value)
{
    (void)dr; (void)value;
    interim_ud(cpu, "mov to dr");
}

void x86_lmsw(X86CPU *cpu, uint16_t value)
{
    (void)value;
    interim_ud(cpu, "lmsw");
}

void x86_clts(X86CPU *cpu)
{
    interim_ud(cpu, "clts");
}

void x86_check_io(X86CPU *cpu, uint16_t port, int size)
{
    (void)port; (void)size;
    /* without the TSS bitmap (seg.c/misc.c) every port is refused */
    x86_raise_exception_err(cpu, EXCP_GP, 0);
}

uint32_t x86_in(X86CPU *cpu, uint16_t port, int size)
{
    (void)port; (void)size;
    interim_ud(cpu, "in");
}

void x86_out(X86CPU *cpu, uint16_t port, int size, uint32_t value)
{
    (void)port; (void)size; (void)value;
    interim_ud(cpu, "out");
}
