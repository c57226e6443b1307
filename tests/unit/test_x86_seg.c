/*
 * src/x86/seg.c: segment loads with every check and error code, far
 * JMP/CALL/RET through code segments and call gates (exact stack frames),
 * IRET in each mode, task switches there and back, LLDT/LTR,
 * LAR/LSL/VERR/VERW.
 */
#include "unit.h"
#include "x86_sys_test.h"

static int load(X86CPU *cpu, int seg, uint16_t sel)
{
    XT_RUN(cpu, x86_load_seg(cpu, seg, sel));
    return xt_exc;
}

#define CHECK_EXC(cpu, stmt, excp, err)                 \
    do {                                                \
        XT_RUN(cpu, stmt);                              \
        CHECK_EQ(xt_exc, excp);                         \
        CHECK_EQ((cpu)->env.error_code, (uint32_t)(err)); \
    } while (0)

TEST(load_data_and_stack_segments)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    CHECK_EQ(load(cpu, R_DS, 0x10), EXCP_NONE);
    CHECK_EQ(s->segs[R_DS].limit, 0xffffffffu);
    CHECK_EQ(s->segs[R_DS].selector, 0x10);
    CHECK_EQ(xt_r32(XT_GDT + 0x14) & DESC_A_MASK, DESC_A_MASK); /* accessed bit set */
    /* beyond the GDT limit, a system descriptor, execute-only code */
    CHECK_EXC(cpu, x86_load_seg(cpu, R_ES, 0x100), EXCP_GP, 0x100);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_ES, 0x2b), EXCP_GP, 0x28);
    xt_desc(XT_GDT, 0x48, 0, 0xfffff, XT_CODE32(0) & ~DESC_R_MASK);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_FS, 0x48), EXCP_GP, 0x48);
    /* readable code is fine for a data register */
    CHECK_EQ(load(cpu, R_FS, 0x08), EXCP_NONE);
    /* null selectors: data yes (unusable), SS no */
    CHECK_EQ(load(cpu, R_GS, 0x3), EXCP_NONE);
    CHECK_EQ(s->segs[R_GS].flags & DESC_P_MASK, 0);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_SS, 0), EXCP_GP, 0);
    /* SS: RPL = DPL = CPL, writable data */
    CHECK_EXC(cpu, x86_load_seg(cpu, R_SS, 0x23), EXCP_GP, 0x20);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_SS, 0x13), EXCP_GP, 0x10);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_SS, 0x08), EXCP_GP, 0x08);
    /* not present: #NP for data, #SS for the stack */
    xt_desc(XT_GDT, 0x50, 0, 0xfffff, XT_DATA32(0) & ~DESC_P_MASK);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x50), EXCP_NP, 0x50);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_SS, 0x50), EXCP_SS, 0x50);
    /* RPL weaker than DPL: DPL 1 data with RPL 3 */
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x3b), EXCP_GP, 0x38);
    CHECK_EQ(load(cpu, R_DS, 0x39), EXCP_NONE);
    /* LDT selector without an LDT */
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x0c), EXCP_GP, 0x0c);
    /* a failed load changes nothing */
    CHECK_EQ(s->segs[R_DS].selector, 0x39);
    /* CPL 3: DPL 0 data refused, conforming code accepted */
    xt_pm(cpu, 3);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x13), EXCP_GP, 0x10);
    CHECK_EQ(load(cpu, R_DS, 0x33), EXCP_NONE);
    CHECK_EQ(load(cpu, R_SS, 0x23), EXCP_NONE);
    /* the base of a segment */
    xt_desc(XT_GDT, 0x58, 0x12345678, 0xfff, XT_DATA32(3) & ~DESC_G_MASK);
    CHECK_EQ(load(cpu, R_ES, 0x5b), EXCP_NONE);
    CHECK_EQ(s->segs[R_ES].base, 0x12345678);
    CHECK_EQ(s->segs[R_ES].limit, 0xfff);
    CHECK(s->hflags & HF_ADDSEG);
}

TEST(real_mode_and_vm86_loads)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    s->segs[R_DS].limit = 0xffffffff; /* "unreal" limit survives real-mode loads */
    CHECK_EQ(load(cpu, R_DS, 0x1234), EXCP_NONE);
    CHECK_EQ(s->segs[R_DS].base, 0x12340);
    CHECK_EQ(s->segs[R_DS].limit, 0xffffffff);
    xt_pm(cpu, 0);
    s->eflags |= EF_VM;
    x86_update_hflags(s);
    CHECK_EQ(load(cpu, R_ES, 0xb800), EXCP_NONE);
    CHECK_EQ(s->segs[R_ES].base, 0xb8000);
    CHECK_EQ(s->segs[R_ES].limit, 0xffff);
    CHECK_EQ((s->segs[R_ES].flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT, 3);
}

TEST(far_jmp_checks)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    XT_RUN(cpu, x86_ljmp(cpu, 0x40, 0x1234, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].selector, 0x40);
    CHECK_EQ(s->rip, 0x1234);
    CHECK(!(s->hflags & HF_CS32));
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x40, 0x10000, 0), EXCP_GP, 0);  /* beyond the limit */
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x18, 0, 0), EXCP_GP, 0x18);       /* DPL 3 code from CPL 0 */
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x0b, 0, 0), EXCP_GP, 0x08);       /* RPL 3 > CPL */
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x10, 0, 0), EXCP_GP, 0x10);       /* data */
    CHECK_EXC(cpu, x86_ljmp(cpu, 0, 0, 0), EXCP_GP, 0);
    CHECK_EQ(s->segs[R_CS].selector, 0x40);
    /* conforming DPL 0 code from CPL 3: CPL stays 3, RPL of CS = 3 */
    xt_pm(cpu, 3);
    XT_RUN(cpu, x86_ljmp(cpu, 0x30, 0x2000, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].selector, 0x33);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    /* not present */
    xt_desc(XT_GDT, 0x48, 0, 0xfffff, XT_CODE32(3) & ~DESC_P_MASK);
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x4b, 0, 0), EXCP_NP, 0x48);
}

TEST(call_gate_to_inner_level_and_lret_back)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 3);
    xt_gate(XT_GDT, 0x48 / 8, 0x08, 0x5000, DESC_CALL_GATE32, 3, 2);
    xt_w32(0x7000, 0xaaaa1111);
    xt_w32(0x7004, 0xbbbb2222);
    s->rip = 0x100;
    XT_RUN(cpu, x86_lcall(cpu, 0x4b, 0xdead, 4, 0x1007));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 0);
    CHECK_EQ(s->segs[R_CS].selector, 0x08);
    CHECK_EQ(s->rip, 0x5000);
    CHECK_EQ(s->segs[R_SS].selector, 0x10);
    CHECK_EQ(s->regs[R_ESP], 0x9000 - 24);
    CHECK_EQ(xt_r32(0x8fe8), 0x1007);      /* EIP */
    CHECK_EQ(xt_r32(0x8fec), 0x1b);        /* CS */
    CHECK_EQ(xt_r32(0x8ff0), 0xaaaa1111);  /* parameters, in order */
    CHECK_EQ(xt_r32(0x8ff4), 0xbbbb2222);
    CHECK_EQ(xt_r32(0x8ff8), 0x7000);      /* ESP */
    CHECK_EQ(xt_r32(0x8ffc), 0x23);        /* SS */
    /* a DPL 0 data segment in DS is nulled by the return to CPL 3 */
    CHECK_EQ(load(cpu, R_DS, 0x10), EXCP_NONE);
    XT_RUN(cpu, x86_lret(cpu, 4, 8));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK_EQ(s->segs[R_CS].selector, 0x1b);
    CHECK_EQ(s->rip, 0x1007);
    CHECK_EQ(s->segs[R_SS].selector, 0x23);
    CHECK_EQ(s->regs[R_ESP], 0x7008);
    CHECK_EQ(s->segs[R_DS].selector, 0);
    CHECK_EQ(s->segs[R_ES].selector, 0x23);
    /* gate DPL 0 from CPL 3; not-present gate */
    xt_gate(XT_GDT, 0x50 / 8, 0x08, 0x5000, DESC_CALL_GATE32, 0, 0);
    CHECK_EXC(cpu, x86_lcall(cpu, 0x53, 0, 4, 0), EXCP_GP, 0x50);
    xt_w32(XT_GDT + 0x4c, xt_r32(XT_GDT + 0x4c) & ~DESC_P_MASK);
    CHECK_EXC(cpu, x86_lcall(cpu, 0x4b, 0, 4, 0), EXCP_NP, 0x48);
    /* bad inner SS in the TSS: #TS(ss) */
    xt_w32(XT_GDT + 0x4c, xt_r32(XT_GDT + 0x4c) | DESC_P_MASK);
    xt_w32(XT_TSS + 8, 0x20);
    CHECK_EXC(cpu, x86_lcall(cpu, 0x4b, 0, 4, 0), EXCP_TS, 0x20);
    CHECK_EQ(s->regs[R_ESP], 0x7008);
}

TEST(call_gate_16bit_same_level_and_near_checks)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_gate(XT_GDT, 0x48 / 8, 0x08, 0x12345, DESC_CALL_GATE16, 0, 0);
    XT_RUN(cpu, x86_lcall(cpu, 0x48, 0, 4, 0xabcd1234));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->rip, 0x2345);                /* 16-bit gate: 16-bit offset */
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 4);    /* two 16-bit pushes */
    CHECK_EQ(xt_r16(0x7ffc), 0x1234);
    CHECK_EQ(xt_r16(0x7ffe), 0x08);
    /* a direct far call pushes CS:EIP with the operand size and RET pops them */
    XT_RUN(cpu, x86_lcall(cpu, 0x08, 0x4000, 4, 0x5555));
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 12);
    CHECK_EQ(xt_r32(0x7ff4), 0x5555);
    CHECK_EQ(xt_r32(0x7ff8), 0x08);
    XT_RUN(cpu, x86_lret(cpu, 4, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->rip, 0x5555);
    CHECK_EQ(s->regs[R_ESP], 0x8000 - 4);
    /* stack overflow below an expand-up SS limit: #SS(0), nothing changed */
    xt_desc(XT_GDT, 0x50, 0, 0xffff, XT_DATA32(0) & ~DESC_G_MASK);
    CHECK_EQ(load(cpu, R_SS, 0x50), EXCP_NONE);
    s->regs[R_ESP] = 4;
    CHECK_EXC(cpu, x86_lcall(cpu, 0x08, 0x4000, 4, 0x5555), EXCP_SS, 0);
    CHECK_EQ(s->regs[R_ESP], 4);
    CHECK_EQ(s->rip, 0x5555);
}

TEST(real_mode_far_call_ret_iret)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    s->segs[R_SS].base = 0;
    s->regs[R_ESP] = 0x1000;
    s->segs[R_CS].selector = 0x2000;
    s->segs[R_CS].base = 0x20000;
    x86_update_hflags(s);
    XT_RUN(cpu, x86_lcall(cpu, 0x3000, 0x10, 2, 0x55));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].base, 0x30000);
    CHECK_EQ(s->rip, 0x10);
    CHECK_EQ(xt_r16(0xffc), 0x55);
    CHECK_EQ(xt_r16(0xffe), 0x2000);
    XT_RUN(cpu, x86_lret(cpu, 2, 0));
    CHECK_EQ(s->segs[R_CS].selector, 0x2000);
    CHECK_EQ(s->rip, 0x55);
    CHECK_EQ(s->regs[R_ESP], 0x1000);
    /* IRET: IP, CS, FLAGS */
    xt_w16(0xffa, 0x1234);
    xt_w16(0xffc, 0x4000);
    xt_w16(0xffe, 0x0ac3); /* IF DF OF... bits 0,1,6,7,9,11 */
    s->regs[R_ESP] = 0xffa;
    XT_RUN(cpu, x86_iret(cpu, 2, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->rip, 0x1234);
    CHECK_EQ(s->segs[R_CS].base, 0x40000);
    CHECK_EQ(x86_eflags_get(s), 0x0ac3);
    CHECK_EQ(s->regs[R_ESP], 0x1000);
}

TEST(iret_protected_outer_level_and_flags)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    /* frame for a return to CPL 3: EIP CS EFLAGS ESP SS */
    uint32_t sp = 0x8000 - 20;
    xt_w32(sp, 0x4321);
    xt_w32(sp + 4, 0x1b);
    xt_w32(sp + 8, EF_FIXED1 | EF_IF | (3u << EF_IOPL_SHIFT) | CC_C | EF_NT);
    xt_w32(sp + 12, 0x6ff0);
    xt_w32(sp + 16, 0x23);
    s->regs[R_ESP] = sp;
    XT_RUN(cpu, x86_iret(cpu, 4, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK_EQ(s->rip, 0x4321);
    CHECK_EQ(s->regs[R_ESP], 0x6ff0);
    CHECK_EQ(s->segs[R_SS].selector, 0x23);
    CHECK_EQ(x86_eflags_get(s), EF_FIXED1 | EF_IF | (3u << EF_IOPL_SHIFT) | CC_C | EF_NT);
    /* at CPL 3 with IOPL 0 an IRET can change neither IF nor IOPL */
    s->eflags &= ~(EF_IOPL | EF_NT);
    x86_update_hflags(s);
    sp = 0x6ff0 - 12;
    xt_w32(sp, 0x99);
    xt_w32(sp + 4, 0x1b);
    xt_w32(sp + 8, EF_FIXED1 | (3u << EF_IOPL_SHIFT));
    s->regs[R_ESP] = sp;
    XT_RUN(cpu, x86_iret(cpu, 4, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(x86_eflags_get(s), EF_FIXED1 | EF_IF);
    /* to a more privileged level: #GP(cs) */
    sp = 0x6ff0 - 12;
    xt_w32(sp, 0x99);
    xt_w32(sp + 4, 0x08);
    xt_w32(sp + 8, EF_FIXED1);
    s->regs[R_ESP] = sp;
    CHECK_EXC(cpu, x86_iret(cpu, 4, 0), EXCP_GP, 0x08);
    CHECK_EQ(s->regs[R_ESP], sp);
}

TEST(iret_to_vm86)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    uint32_t sp = 0x8000 - 36;
    static const uint32_t frame[9] = { 0x0100, 0x2000, EF_FIXED1 | EF_VM | EF_IF, 0xfffe, 0x3000,
                                       0x4000, 0x5000, 0x6000, 0x7000 };
    for (int i = 0; i < 9; i++)
        xt_w32(sp + 4u * (unsigned)i, frame[i]);
    s->regs[R_ESP] = sp;
    XT_RUN(cpu, x86_iret(cpu, 4, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK(s->hflags & HF_VM);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK_EQ(s->segs[R_CS].base, 0x20000);
    CHECK_EQ(s->rip, 0x100);
    CHECK_EQ(s->segs[R_SS].base, 0x30000);
    CHECK_EQ(s->regs[R_ESP], 0xfffe);
    CHECK_EQ(s->segs[R_ES].base, 0x40000);
    CHECK_EQ(s->segs[R_DS].base, 0x50000);
    CHECK_EQ(s->segs[R_FS].base, 0x60000);
    CHECK_EQ(s->segs[R_GS].base, 0x70000);
    /* IRET in vm86 with IOPL < 3: #GP(0) */
    CHECK_EXC(cpu, x86_iret(cpu, 2, 0), EXCP_GP, 0);
}

/* TSS B at 0x5000 (selector 0x50): EIP 0x6000, EAX 0x1111, flat ring 0. */
static void make_tss_b(void)
{
    xt_desc(XT_GDT, 0x50, 0x5000, 0x67, XT_SYS(DESC_TSS32_AVAIL, 0));
    xt_w32(0x5000 + 0x20, 0x6000);
    xt_w32(0x5000 + 0x24, EF_FIXED1 | CC_Z);
    xt_w32(0x5000 + 0x28, 0x1111);
    xt_w32(0x5000 + 0x38, 0xa000);          /* ESP */
    xt_w32(0x5000 + 0x48, 0x10);            /* ES */
    xt_w32(0x5000 + 0x4c, 0x08);            /* CS */
    xt_w32(0x5000 + 0x50, 0x10);            /* SS */
    xt_w32(0x5000 + 0x54, 0x10);            /* DS */
}

TEST(task_switch_call_and_iret_back)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    make_tss_b();
    s->regs[R_EAX] = 0xaaaa;
    s->regs[R_ESP] = 0x7ff0;
    XT_RUN(cpu, x86_lcall(cpu, 0x50, 0, 4, 0x1234));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->tr.selector, 0x50);
    CHECK_EQ(s->rip, 0x6000);
    CHECK_EQ(s->regs[R_EAX], 0x1111);
    CHECK_EQ(s->regs[R_ESP], 0xa000);
    CHECK(s->eflags & EF_NT);
    CHECK(x86_eflags_get(s) & CC_Z);
    CHECK(s->cr[0] & CR0_TS);
    CHECK_EQ(xt_r16(0x5000), 0x28);                            /* back link */
    CHECK_EQ((xt_r32(XT_GDT + 0x54) >> 8) & 15, DESC_TSS32_BUSY);
    CHECK_EQ((xt_r32(XT_GDT + 0x2c) >> 8) & 15, DESC_TSS32_BUSY); /* still busy (nested) */
    CHECK_EQ(xt_r32(XT_TSS + 0x20), 0x1234);                   /* old EIP saved */
    CHECK_EQ(xt_r32(XT_TSS + 0x28), 0xaaaa);
    CHECK_EQ(xt_r32(XT_TSS + 0x38), 0x7ff0);
    /* calling a busy task: #GP */
    CHECK_EXC(cpu, x86_lcall(cpu, 0x28, 0, 4, 0), EXCP_GP, 0x28);
    /* IRET with NT: back to the first task */
    s->regs[R_EAX] = 0x2222;
    XT_RUN(cpu, x86_iret(cpu, 4, 0x6010));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->tr.selector, 0x28);
    CHECK_EQ(s->rip, 0x1234);
    CHECK_EQ(s->regs[R_EAX], 0xaaaa);
    CHECK_EQ(s->regs[R_ESP], 0x7ff0);
    CHECK(!(s->eflags & EF_NT));
    CHECK_EQ((xt_r32(XT_GDT + 0x54) >> 8) & 15, DESC_TSS32_AVAIL);
    CHECK_EQ(xt_r32(0x5000 + 0x20), 0x6010);
    CHECK_EQ(xt_r32(0x5000 + 0x28), 0x2222);
    CHECK_EQ(xt_r32(0x5000 + 0x24) & EF_NT, 0);
}

TEST(task_switch_jmp_and_faults)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    make_tss_b();
    /* a task gate in the GDT pointing at TSS B */
    xt_w32(XT_GDT + 0x58, 0x50u << 16);
    xt_w32(XT_GDT + 0x5c, DESC_P_MASK | (DESC_TASK_GATE << 8));
    XT_RUN(cpu, x86_ljmp(cpu, 0x58, 0, 0x77));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->tr.selector, 0x50);
    CHECK(!(s->eflags & EF_NT));
    CHECK_EQ((xt_r32(XT_GDT + 0x2c) >> 8) & 15, DESC_TSS32_AVAIL); /* JMP frees the old task */
    CHECK_EQ((xt_r32(XT_GDT + 0x54) >> 8) & 15, DESC_TSS32_BUSY);
    /* TSS too short: #TS */
    xt_desc(XT_GDT, 0x28, XT_TSS, 0x60, XT_SYS(DESC_TSS32_AVAIL, 0));
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x28, 0, 0), EXCP_TS, 0x28);
    CHECK_EQ(s->tr.selector, 0x50);
    /* a new task with a null SS: the switch happens, #TS(0) in the new task */
    xt_desc(XT_GDT, 0x28, XT_TSS, 0x67, XT_SYS(DESC_TSS32_AVAIL, 0));
    xt_w32(XT_TSS + 0x4c, 0x08);
    xt_w32(XT_TSS + 0x50, 0);
    xt_w32(XT_TSS + 0x20, 0x3333);
    CHECK_EXC(cpu, x86_ljmp(cpu, 0x28, 0, 0), EXCP_TS, 0);
    CHECK_EQ(s->tr.selector, 0x28);
    CHECK_EQ(s->rip, 0x3333);
}

TEST(lldt_ltr)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    xt_desc(XT_GDT, 0x48, 0x6000, 0x17, XT_SYS(DESC_LDT, 0));
    xt_desc(0x6000, 0x08, 0x100000, 0xfff, XT_DATA32(0) & ~DESC_G_MASK);
    XT_RUN(cpu, x86_lldt(cpu, 0x48));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->ldt.base, 0x6000);
    CHECK_EQ(load(cpu, R_DS, 0x0c), EXCP_NONE);
    CHECK_EQ(s->segs[R_DS].base, 0x100000);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x1c), EXCP_GP, 0x1c);   /* beyond the LDT limit */
    CHECK_EXC(cpu, x86_lldt(cpu, 0x10), EXCP_GP, 0x10);             /* not an LDT */
    CHECK_EXC(cpu, x86_lldt(cpu, 0x4c), EXCP_GP, 0x4c);             /* TI set */
    XT_RUN(cpu, x86_lldt(cpu, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EXC(cpu, x86_load_seg(cpu, R_DS, 0x0c), EXCP_GP, 0x0c);
    /* LTR: available TSS only, marks it busy */
    make_tss_b();
    CHECK_EXC(cpu, x86_ltr(cpu, 0x28), EXCP_GP, 0x28);              /* busy */
    CHECK_EXC(cpu, x86_ltr(cpu, 0), EXCP_GP, 0);
    XT_RUN(cpu, x86_ltr(cpu, 0x50));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->tr.base, 0x5000);
    CHECK_EQ((xt_r32(XT_GDT + 0x54) >> 8) & 15, DESC_TSS32_BUSY);
    /* privileged, and #UD in real mode */
    xt_pm(cpu, 3);
    CHECK_EXC(cpu, x86_lldt(cpu, 0x48), EXCP_GP, 0);
    s->cr[0] &= ~(uint64_t)CR0_PE;
    x86_update_hflags(s);
    XT_RUN(cpu, x86_ltr(cpu, 0x50));
    CHECK_EQ(xt_exc, EXCP_UD);
}

static bool zf(X86CPU *cpu)
{
    return (x86_eflags_get(&cpu->env) & CC_Z) != 0;
}

TEST(lar_lsl_verr_verw)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 3);
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = CC_C;
    XT_RUN(cpu, xt_val = x86_lar(cpu, 0x23, 0x77));
    CHECK_EQ(xt_val, XT_DATA32(3) & 0x00f0ff00u);
    CHECK(zf(cpu));
    CHECK(x86_eflags_get(s) & CC_C); /* other flags kept */
    XT_RUN(cpu, xt_val = x86_lar(cpu, 0x13, 0x77)); /* DPL 0 from CPL 3 */
    CHECK_EQ(xt_val, 0x77);
    CHECK(!zf(cpu));
    XT_RUN(cpu, xt_val = x86_lar(cpu, 0x33, 0x77)); /* conforming: no privilege check */
    CHECK(zf(cpu));
    XT_RUN(cpu, xt_val = x86_lsl(cpu, 0x23, 0));
    CHECK_EQ(xt_val, 0xffffffff);
    CHECK(zf(cpu));
    XT_RUN(cpu, xt_val = x86_lsl(cpu, 0, 5));
    CHECK_EQ(xt_val, 5);
    CHECK(!zf(cpu));
    xt_pm(cpu, 0);
    XT_RUN(cpu, xt_val = x86_lsl(cpu, 0x28, 0));  /* TSS: LSL yes */
    CHECK_EQ(xt_val, 0xe8);
    CHECK(zf(cpu));
    xt_gate(XT_GDT, 0x48 / 8, 0x08, 0, DESC_CALL_GATE32, 0, 0);
    XT_RUN(cpu, xt_val = x86_lsl(cpu, 0x48, 1));   /* gate: LSL no, LAR yes */
    CHECK(!zf(cpu));
    XT_RUN(cpu, xt_val = x86_lar(cpu, 0x48, 1));
    CHECK(zf(cpu));
    XT_RUN(cpu, xt_val = x86_lar(cpu, 0x200, 1));  /* beyond the GDT */
    CHECK(!zf(cpu));
    XT_RUN(cpu, x86_verr(cpu, 0x08));
    CHECK(zf(cpu));
    XT_RUN(cpu, x86_verw(cpu, 0x08));
    CHECK(!zf(cpu));
    XT_RUN(cpu, x86_verw(cpu, 0x10));
    CHECK(zf(cpu));
    xt_desc(XT_GDT, 0x50, 0, 0xfffff, XT_CODE32(0) & ~DESC_R_MASK);
    XT_RUN(cpu, x86_verr(cpu, 0x50));
    CHECK(!zf(cpu));
    XT_RUN(cpu, x86_verr(cpu, 0x3b));             /* DPL 1, RPL 3 */
    CHECK(!zf(cpu));
}
