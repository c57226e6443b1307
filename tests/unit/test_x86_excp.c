/*
 * src/x86/excp.c: interrupt and exception delivery with the exact stack
 * frames in real mode, protected mode (same and inner level, 16/32-bit
 * gates, task gates), from vm86 and in long mode (IST); gate checks with
 * their error codes (EXT bit); double fault and triple fault; taking
 * INTR/NMI through the interrupt-request interface.
 */
#include "unit.h"
#include "x86_sys_test.h"

TEST(real_mode_ivt_frame)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    s->segs[R_CS].selector = 0xf000;
    s->segs[R_CS].base = 0xf0000;
    s->rip = 0x1000;
    s->regs[R_ESP] = 0x2000;
    s->eflags |= EF_IF | EF_TF;
    x86_eflags_set(s, CC_C, CC_ARITH);
    x86_update_hflags(s);
    xt_w16(0x10 * 4, 0x5678);
    xt_w16(0x10 * 4 + 2, 0x1234);
    CHECK_EQ(xt_deliver(cpu, 0x10, -1, 1, 0x1002), 0x10);
    CHECK_EQ(s->segs[R_CS].selector, 0x1234);
    CHECK_EQ(s->segs[R_CS].base, 0x12340);
    CHECK_EQ(s->rip, 0x5678);
    CHECK_EQ(s->regs[R_ESP], 0x1ffa);
    CHECK_EQ(xt_r16(0x1ffa), 0x1002);                           /* IP after INT */
    CHECK_EQ(xt_r16(0x1ffc), 0xf000);
    CHECK_EQ(xt_r16(0x1ffe), EF_FIXED1 | EF_IF | EF_TF | CC_C);
    CHECK_EQ(s->eflags & (EF_IF | EF_TF), 0);
    /* an exception pushes the faulting IP */
    s->rip = 0x33;
    xt_w16(0x0d * 4, 0x1111);
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0, 0, 0), EXCP_GP);
    CHECK_EQ(xt_r16(0x1ff4), 0x33);
    CHECK_EQ(s->regs[R_ESP], 0x1ff4);                           /* no error code */
}

TEST(protected_same_level_gate_frames)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_GP, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, 0x80, 0x08, 0x4100, DESC_TRAP_GATE32, 3, 0);
    xt_gate(XT_IDT, 0x81, 0x40, 0x4200, DESC_INT_GATE16, 0, 0);
    s->rip = 0x1000;
    s->eflags |= EF_IF;
    x86_update_hflags(s);
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0x18, 0, 0), EXCP_GP);
    CHECK_EQ(s->rip, 0x4000);
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 16);
    CHECK_EQ(xt_r32(0x7ff0), 0x18);           /* error code */
    CHECK_EQ(xt_r32(0x7ff4), 0x1000);         /* faulting EIP */
    CHECK_EQ(xt_r32(0x7ff8), 0x08);
    CHECK_EQ(xt_r32(0x7ffc), EF_FIXED1 | EF_IF);
    CHECK(!(s->eflags & EF_IF));              /* interrupt gate */
    /* trap gate: IF kept; software INT pushes the next EIP, no error code */
    s->eflags |= EF_IF;
    s->regs[R_ESP] = 0x8000;
    CHECK_EQ(xt_deliver(cpu, 0x80, -1, 1, 0x2002), 0x80);
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 12);
    CHECK_EQ(xt_r32(0x7ff4), 0x2002);
    CHECK(s->eflags & EF_IF);
    /* 16-bit gate: 16-bit pushes, 16-bit CS */
    s->regs[R_ESP] = 0x8000;
    CHECK_EQ(xt_deliver(cpu, 0x81, -1, 1, 0x12345678), 0x81);
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 6);
    CHECK_EQ(xt_r16(0x7ffa), 0x5678);
    CHECK_EQ(xt_r16(0x7ffc), 0x08);
    CHECK_EQ(s->segs[R_CS].selector, 0x40);
    CHECK(!(s->hflags & HF_CS32));
}

TEST(protected_inner_level_frame_and_gate_checks)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 3);
    xt_gate(XT_IDT, EXCP_PF, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, 0x30, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    s->rip = 0x1000;
    s->regs[R_ESP] = 0x6ff0;
    s->eflags |= EF_IF | (3u << EF_IOPL_SHIFT);
    x86_update_hflags(s);
    CHECK_EQ(xt_deliver(cpu, EXCP_PF, PF_ERR_U | PF_ERR_W, 0, 0), EXCP_PF);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 0);
    CHECK_EQ(s->segs[R_SS].selector, 0x10);
    CHECK_EQ(s->regs[R_ESP], 0x9000 - 24);
    CHECK_EQ(xt_r32(0x8fe8), PF_ERR_U | PF_ERR_W);
    CHECK_EQ(xt_r32(0x8fec), 0x1000);
    CHECK_EQ(xt_r32(0x8ff0), 0x1b);
    CHECK_EQ(xt_r32(0x8ff4), EF_FIXED1 | EF_IF | (3u << EF_IOPL_SHIFT));
    CHECK_EQ(xt_r32(0x8ff8), 0x6ff0);
    CHECK_EQ(xt_r32(0x8ffc), 0x23);
    /* software INT through a DPL 0 gate from CPL 3: #GP(vector * 8 + 2) */
    xt_pm(cpu, 3);
    xt_gate(XT_IDT, EXCP_GP, 0x08, 0x4400, DESC_INT_GATE32, 0, 0);
    s->rip = 0x1000;
    s->regs[R_ESP] = 0x6ff0;
    CHECK_EQ(xt_deliver(cpu, 0x30, -1, 1, 0x1002), EXCP_GP);
    CHECK_EQ(s->rip, 0x4400);
    CHECK_EQ(xt_r32(0x8fe8), 0x30 * 8 + 2);
    CHECK_EQ(xt_r32(0x8fec), 0x1000); /* the INT instruction itself */
    /* an exception through a not-present gate: #NP(vector * 8 + 2 + EXT) */
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_NP, 0x08, 0x4800, DESC_INT_GATE32, 0, 0);
    xt_w32(XT_IDT + EXCP_DE * 8 + 4, xt_r32(XT_IDT + EXCP_DE * 8 + 4) & ~DESC_P_MASK);
    xt_gate(XT_IDT, EXCP_UD, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    xt_w32(XT_IDT + EXCP_UD * 8 + 4, xt_r32(XT_IDT + EXCP_UD * 8 + 4) & ~DESC_P_MASK);
    CHECK_EQ(xt_deliver(cpu, EXCP_UD, -1, 0, 0), EXCP_NP);
    CHECK_EQ(s->rip, 0x4800);
    CHECK_EQ(xt_r32(0x8000 - 16), EXCP_UD * 8 + 3);
    /* a gate whose code selector is a data segment: #GP(sel + EXT) */
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_BR, 0x10, 0x4000, DESC_INT_GATE32, 0, 0);
    CHECK_EQ(xt_deliver(cpu, EXCP_BR, -1, 0, 0), EXCP_GP);
    CHECK_EQ(xt_r32(0x8000 - 16), 0x11);
    /* beyond the IDT limit */
    xt_pm(cpu, 0);
    s->idt.limit = 0x7f;
    CHECK_EQ(xt_deliver(cpu, 0x40, -1, 1, 0), EXCP_GP);
    s->idt.limit = 0x7ff;
}

TEST(vm86_to_ring0_frame)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_GP, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    s->eflags |= EF_VM | EF_IF;
    static const uint16_t sel[6] = { 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000 };
    for (int i = 0; i < X86_NB_SEGS; i++)
        x86_seg_load_vm(s, i, sel[i], true);
    s->regs[R_ESP] = 0xfff0;
    s->rip = 0x123;
    x86_update_hflags(s);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0, 0, 0), EXCP_GP);
    CHECK_EQ(s->hflags & (HF_VM | HF_CPL_MASK), 0);
    CHECK_EQ(s->regs[R_ESP], 0x9000 - 40);
    static const uint32_t want[10] = { 0, 0x123, 0x2000, EF_FIXED1 | EF_VM | EF_IF, 0xfff0, 0x3000,
                                       0x1000, 0x4000, 0x5000, 0x6000 };
    for (int i = 0; i < 10; i++)
        CHECK_EQ(xt_r32(0x9000 - 40 + 4u * (unsigned)i), want[i]);
    for (int i = 0; i < X86_NB_SEGS; i++)
        if (i != R_CS && i != R_SS)
            CHECK_EQ(s->segs[i].selector, 0);
    /* a handler above ring 0 cannot be entered from vm86 */
    xt_desc(XT_GDT, 0x48, 0, 0xfffff, XT_CODE32(1));
    xt_desc(XT_GDT, 0x50, 0, 0xfffff, XT_DATA32(1));
    xt_w32(XT_TSS + 12, 0x9800);
    xt_w32(XT_TSS + 16, 0x51);
    xt_gate(XT_IDT, 0x31, 0x49, 0x4000, DESC_INT_GATE32, 3, 0);
    s->eflags |= EF_VM;
    s->regs[R_ESP] = 0xfff0;
    x86_update_hflags(s);
    CHECK_EQ(xt_deliver(cpu, 0x31, -1, 0, 0), EXCP_GP);
    CHECK_EQ(xt_r32(0x9000 - 40), 0x49);
}

TEST(task_gate_delivery_pushes_error_code_on_new_stack)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_desc(XT_GDT, 0x50, 0x5100, 0x67, XT_SYS(DESC_TSS32_AVAIL, 0));
    xt_w32(0x5100 + 0x20, 0x6000);
    xt_w32(0x5100 + 0x24, EF_FIXED1);
    xt_w32(0x5100 + 0x38, 0xa000);
    xt_w32(0x5100 + 0x4c, 0x08);
    xt_w32(0x5100 + 0x50, 0x10);
    xt_w32(XT_IDT + EXCP_DF * 8, 0x50u << 16);
    xt_w32(XT_IDT + EXCP_DF * 8 + 4, DESC_P_MASK | (DESC_TASK_GATE << 8));
    s->rip = 0x1234;
    CHECK_EQ(xt_deliver(cpu, EXCP_DF, 0, 0, 0), EXCP_DF);
    CHECK_EQ(s->tr.selector, 0x50);
    CHECK_EQ(s->rip, 0x6000);
    CHECK_EQ(s->regs[R_ESP], 0xa000 - 4);
    CHECK_EQ(xt_r32(0xa000 - 4), 0);
    CHECK(s->eflags & EF_NT);
    CHECK_EQ(xt_r16(0x5100), 0x28);
    CHECK_EQ(xt_r32(XT_TSS + 0x20), 0x1234);
}

static int shutdowns;
static void on_shutdown(void *opaque)
{
    (void)opaque;
    shutdowns++;
}

TEST(double_fault_rules)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_DF, 0x08, 0x4800, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, EXCP_GP, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    /* #GP's handler segment is not present: #NP during #GP delivery -> #DF(0) */
    xt_desc(XT_GDT, 0x48, 0, 0xfffff, XT_CODE32(0) & ~DESC_P_MASK);
    xt_gate(XT_IDT, EXCP_GP, 0x48, 0x4000, DESC_INT_GATE32, 0, 0);
    s->rip = 0x1000;
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0x10, 0, 0), EXCP_NP); /* raised #NP, delivered #DF */
    CHECK_EQ(s->rip, 0x4800);
    CHECK_EQ(xt_r32(0x8000 - 16), 0);           /* #DF error code */
    CHECK_EQ(xt_r32(0x8000 - 12), 0x1000);
    CHECK_EQ(s->old_exception, -1);
    /* benign first (#BP via INT3 = software) then #NP: delivered as #NP */
    xt_pm(cpu, 0);
    xt_gate(XT_IDT, EXCP_NP, 0x08, 0x4c00, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, EXCP_DB, 0x48, 0x4000, DESC_INT_GATE32, 0, 0);
    CHECK_EQ(xt_deliver(cpu, EXCP_DB, -1, 0, 0), EXCP_NP);
    CHECK_EQ(s->rip, 0x4c00);
    CHECK_EQ(xt_r32(0x8000 - 16), 0x49);
    /* #PF whose delivery faults with #PF: #DF. The stack page is not mapped. */
    xt_pm(cpu, 0);
    s->cr[0] |= CR0_PG;
    s->cr[3] = 0x10000;
    xt_w32(0x10000, 0x11000 | 7);
    for (unsigned i = 0; i < 1024; i++)
        xt_w32(0x11000 + 4 * i, (i << 12) | 7);
    xt_w32(0x11000 + 7 * 4, 0);                 /* 0x7000..0x7fff: the stack */
    softmmu_flush_all(&cpu->parent);
    xt_gate(XT_IDT, EXCP_PF, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, EXCP_DF, 0x08, 0x4800, DESC_TRAP_GATE32, 0, 0);
    /* #PF pushing on the unmapped stack: #PF -> #DF -> #PF again: shutdown */
    cpu->shutdown = on_shutdown;
    CHECK_EQ(xt_deliver(cpu, EXCP_PF, 0, 0, 0), EXCP_HLT);
    CHECK_EQ(shutdowns, 1);
    CHECK_EQ(s->cr[2], 0x7ffc);
    CHECK_EQ(s->rip, 0x4c00); /* nothing delivered */
}

TEST(triple_fault_shuts_down)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    /* real mode with an empty IVT: #GP, #DF, then shutdown */
    s->idt.limit = 0;
    cpu->shutdown = on_shutdown;
    CHECK_EQ(xt_deliver(cpu, 0x21, -1, 1, 0x102), EXCP_HLT);
    CHECK_EQ(shutdowns, 1);
    CHECK_EQ(cpu->parent.halted, 1);
    CHECK_EQ(s->old_exception, -1);
    /* protected mode: a #DF gate that is not present */
    xt_pm(cpu, 0);
    cpu->parent.halted = 0;
    xt_gate(XT_IDT, EXCP_GP, 0x48, 0x4000, DESC_INT_GATE32, 0, 0);   /* 0x48: beyond nothing, zero */
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0, 0, 0), EXCP_HLT);
    CHECK_EQ(shutdowns, 2);
    /* without a board hook the vCPU just stops */
    cpu->shutdown = NULL;
    cpu->parent.halted = 0;
    CHECK_EQ(xt_deliver(cpu, EXCP_TS, 0, 0, 0), EXCP_HLT);
    CHECK_EQ(cpu->parent.halted, 1);
    CHECK(!(s->eflags & EF_IF));
}

TEST(long_mode_gate_ist_frame)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    /* identity map the first GiB with one 1 GiB page */
    xt_w64(0x10000, 0x11000 | 7);
    xt_w64(0x11000, 0x0 | 7 | 0x80);
    s->cr[3] = 0x10000;
    s->cr[4] = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA;
    s->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    xt_desc(XT_GDT, 0x08, 0, 0xfffff, (XT_CODE32(0) & ~DESC_B_MASK) | DESC_L_MASK);
    xt_desc(XT_GDT, 0x18, 0, 0xfffff, (XT_CODE32(3) & ~DESC_B_MASK) | DESC_L_MASK);
    xt_desc(XT_GDT, 0x20, 0, 0xfffff, XT_DATA32(3));
    s->gdt.base = XT_GDT;
    s->gdt.limit = 0xff;
    s->idt.base = XT_IDT;
    s->idt.limit = 0xfff;
    /* 64-bit TSS at 0x3000: RSP0 = 0x9000, IST2 = 0xa008 */
    s->tr.base = XT_TSS;
    s->tr.limit = 0x67;
    s->tr.flags = XT_SYS(DESC_TSS32_BUSY, 0);
    xt_w64(XT_TSS + 4, 0x9000);
    xt_w64(XT_TSS + 0x24 + 8, 0xa008);
    /* 16-byte gates */
    xt_w32(XT_IDT + EXCP_GP * 16, (0x08u << 16) | 0x4000);
    xt_w32(XT_IDT + EXCP_GP * 16 + 4, 0x0000 | DESC_P_MASK | (DESC_INT_GATE32 << 8));
    xt_w32(XT_IDT + EXCP_GP * 16 + 8, 0x1);
    xt_w32(XT_IDT + EXCP_NMI * 16, (0x08u << 16) | 0x5000);
    xt_w32(XT_IDT + EXCP_NMI * 16 + 4, DESC_P_MASK | (DESC_INT_GATE32 << 8) | 2);
    uint32_t e1, e2;
    xt_desc_make(0, 0xfffff, (XT_CODE32(3) & ~DESC_B_MASK) | DESC_L_MASK, &e1, &e2);
    x86_seg_cache_load_cs(&s->segs[R_CS], 0x1b, e1, e2, 3);
    xt_desc_make(0, 0xfffff, XT_DATA32(3), &e1, &e2);
    x86_seg_cache_load(&s->segs[R_SS], 0x23, e1, e2);
    s->regs[R_ESP] = 0x7ff8;
    s->rip = 0x1111;
    x86_update_hflags(s);
    CHECK(s->hflags & HF_CS64);
    CHECK_EQ(xt_deliver(cpu, EXCP_GP, 0x20, 0, 0), EXCP_GP);
    CHECK_EQ(s->rip, 0x100004000ull);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 0);
    CHECK_EQ(s->segs[R_SS].selector, 0);
    CHECK_EQ(s->regs[R_ESP], 0x9000 - 48);
    CHECK_EQ(xt_r64(0x9000 - 48), 0x20);
    CHECK_EQ(xt_r64(0x9000 - 40), 0x1111);
    CHECK_EQ(xt_r64(0x9000 - 32), 0x1b);
    CHECK_EQ(xt_r64(0x9000 - 16), 0x7ff8);
    CHECK_EQ(xt_r64(0x9000 - 8), 0x23);
    /* IST: the stack from the TSS, aligned to 16, even at the same level */
    s->regs[R_ESP] = 0x8000;
    CHECK_EQ(xt_deliver(cpu, EXCP_NMI, -1, 0, 0), EXCP_NMI);
    CHECK_EQ(s->regs[R_ESP], 0xa000 - 40);
    CHECK_EQ(xt_r64(0xa000 - 16), 0x8000);
}

static int next_vector = -1, intacks;
static int intack(void *opaque)
{
    (void)opaque;
    intacks++;
    return next_vector;
}

TEST(external_interrupts_and_nmi)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    cpu->intack = intack;
    xt_gate(XT_IDT, 0x20, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    xt_gate(XT_IDT, EXCP_NMI, 0x08, 0x5000, DESC_INT_GATE32, 0, 0);
    s->rip = 0x1000;
    next_vector = 0x20;
    /* IF clear: nothing taken, the controller is not asked */
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_HARD));
    CHECK_EQ(xt_val, 0);
    CHECK_EQ(intacks, 0);
    /* interrupt shadow */
    s->eflags |= EF_IF;
    s->hflags |= HF_INHIBIT_IRQ;
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_HARD));
    CHECK_EQ(xt_val, 0);
    s->hflags &= ~HF_INHIBIT_IRQ;
    cpu->parent.halted = 1;
    cpu->parent.interrupt_request = CPU_INTERRUPT_HARD;
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_HARD));
    CHECK_EQ(xt_val, 1);
    CHECK_EQ(intacks, 1);
    CHECK_EQ(cpu->parent.halted, 0);
    CHECK_EQ(cpu->parent.interrupt_request, 0);
    CHECK_EQ(s->rip, 0x4000);
    CHECK_EQ(xt_r32(0x8000 - 12), 0x1000);      /* no error code for vector 0x20 */
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 12);
    /* NMI ignores IF, then is blocked until IRET */
    s->rip = 0x1100;
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_NMI));
    CHECK_EQ(xt_val, 1);
    CHECK_EQ(s->rip, 0x5000);
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_NMI));
    CHECK_EQ(xt_val, 0);
    XT_RUN(cpu, x86_iret(cpu, 4, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->rip, 0x1100);
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_NMI));
    CHECK_EQ(xt_val, 1);
    /* a vector 13 from the controller pushes no error code */
    xt_pm(cpu, 0);
    s->eflags |= EF_IF;
    xt_gate(XT_IDT, EXCP_GP, 0x08, 0x4000, DESC_INT_GATE32, 0, 0);
    next_vector = EXCP_GP;
    XT_RUN(cpu, xt_val = x86_exec_interrupt(cpu, CPU_INTERRUPT_HARD));
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 12);
}
