/*
 * src/x86/misc.c: CPUID consistency, MSRs (#GP for unknown ones and bad
 * values), the TSC, control registers (reserved bits, PE/PG rules, long
 * mode activation), debug registers (DR4/5 aliasing, GD), LMSW/CLTS, the
 * TSS I/O permission bitmap, port I/O and HLT.
 */
#include "unit.h"
#include "x86_sys_test.h"
#include "src/ioport.h"
#include "src/timer.h"

static void cpuid(X86CPU *cpu, uint32_t leaf, uint32_t r[4])
{
    cpu->env.regs[R_EAX] = leaf;
    cpu->env.regs[R_ECX] = 0;
    x86_cpuid(cpu);
    r[0] = (uint32_t)cpu->env.regs[R_EAX];
    r[1] = (uint32_t)cpu->env.regs[R_EBX];
    r[2] = (uint32_t)cpu->env.regs[R_ECX];
    r[3] = (uint32_t)cpu->env.regs[R_EDX];
}

static int wrmsr(X86CPU *cpu, uint32_t msr, uint64_t v)
{
    cpu->env.regs[R_ECX] = msr;
    cpu->env.regs[R_EAX] = (uint32_t)v;
    cpu->env.regs[R_EDX] = (uint32_t)(v >> 32);
    XT_RUN(cpu, x86_wrmsr(cpu));
    return xt_exc;
}

static int rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *v)
{
    cpu->env.regs[R_ECX] = msr;
    XT_RUN(cpu, x86_rdmsr(cpu));
    *v = ((uint64_t)(uint32_t)cpu->env.regs[R_EDX] << 32) | (uint32_t)cpu->env.regs[R_EAX];
    return xt_exc;
}

static int write_cr(X86CPU *cpu, int cr, uint64_t v)
{
    XT_RUN(cpu, x86_write_cr(cpu, cr, v));
    return xt_exc;
}

TEST(cpuid_reports_what_is_implemented)
{
    X86CPU *cpu = xt_new();
    uint32_t r[4], r2[4];
    cpuid(cpu, 0, r);
    CHECK_EQ(r[0], 0xd);
    char vendor[13];
    st32_le(vendor, r[1]);
    st32_le(vendor + 4, r[3]);
    st32_le(vendor + 8, r[2]);
    vendor[12] = 0;
    CHECK_STR(vendor, "GenuineIntel");
    cpuid(cpu, 1, r);
    CHECK_EQ(r[0], 0x633);
    CHECK(r[3] & 1);                          /* x87 */
    CHECK(r[3] & (1u << 23));                 /* MMX */
    CHECK(r[3] & (1u << 24));                 /* FXSR */
    CHECK_EQ(r[3] & (1u << 9), 0);            /* no local APIC yet */
    CHECK(r[3] & (1u << 4));                  /* TSC */
    CHECK(r[3] & (1u << 6));                  /* PAE */
    CHECK(r[3] & (1u << 13));                 /* PGE */
    CHECK_EQ(r[3] & (3u << 25), 3u << 25);    /* SSE, SSE2 */
    /* SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT, XSAVE and nothing else
     * (OSXSAVE, bit 27, follows CR4.OSXSAVE: clear after reset) */
    CHECK_EQ(r[2], (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23) | (1u << 26));
    /* leaves 2-0xC are empty (no structured extended features in 7) */
    cpuid(cpu, 7, r2);
    CHECK_EQ(r2[0] | r2[1] | r2[2] | r2[3], 0);
    /* leaf 0xD: x87 | SSE, 576-byte standard area */
    cpuid(cpu, 0xd, r2);
    CHECK_EQ(r2[0], 3);
    CHECK_EQ(r2[1], 576);
    CHECK_EQ(r2[2], 576);
    CHECK_EQ(r2[3], 0);
    /* beyond the maximum: the highest basic leaf (0xD) */
    uint32_t r3[4];
    cpuid(cpu, 0x20, r3);
    CHECK_EQ(r3[0], r2[0]);
    cpuid(cpu, 0x80000000u, r);
    CHECK_EQ(r[0], 0x80000008u);
    cpuid(cpu, 0x80000001u, r);
    /* NX, SYSCALL, LM, RDTSCP, 1G pages; LAHF/SAHF in 64-bit mode */
    CHECK_EQ(r[3], (1u << 20) | (1u << 11) | (1u << 29) | (1u << 27) | (1u << 26));
    CHECK_EQ(r[2], 1u);
    cpuid(cpu, 0x80000008u, r);
    CHECK_EQ(r[0], 40u | 48u << 8);
    /* every advertised CR4 bit is writable, unknown ones #GP */
    CHECK_EQ(write_cr(cpu, 4, CR4_PSE | CR4_PAE | CR4_PGE | CR4_DE | CR4_TSD), EXCP_NONE);
    CHECK_EQ(write_cr(cpu, 4, CR4_VME), EXCP_GP);
    CHECK_EQ(write_cr(cpu, 4, CR4_OSFXSR | CR4_OSXMMEXCPT), EXCP_NONE);
    CHECK_EQ(write_cr(cpu, 4, CR4_OSXSAVE), EXCP_NONE);
    cpuid(cpu, 1, r);
    CHECK(r[2] & (1u << 27));                 /* OSXSAVE mirrors CR4 */
    CHECK_EQ(write_cr(cpu, 4, CR4_MCE), EXCP_GP);
}

static int xgetbv(X86CPU *cpu, uint32_t ecx, uint64_t *v)
{
    cpu->env.regs[R_ECX] = ecx;
    XT_RUN(cpu, x86_xgetbv(cpu));
    *v = (cpu->env.regs[R_EDX] << 32) | (uint32_t)cpu->env.regs[R_EAX];
    return xt_exc;
}

static int xsetbv(X86CPU *cpu, uint32_t ecx, uint64_t v)
{
    cpu->env.regs[R_ECX] = ecx;
    cpu->env.regs[R_EAX] = (uint32_t)v;
    cpu->env.regs[R_EDX] = v >> 32;
    XT_RUN(cpu, x86_xsetbv(cpu));
    return xt_exc;
}

/* XGETBV/XSETBV: #UD until CR4.OSXSAVE, XCR0 = 1 after reset, the x87 bit
 * cannot be cleared, AVX (bit 2) and unknown bits and XCR index != 0 #GP. */
TEST(xcr0)
{
    X86CPU *cpu = xt_new();
    uint64_t v;
    CHECK_EQ(xgetbv(cpu, 0, &v), EXCP_UD);
    CHECK_EQ(xsetbv(cpu, 0, 3), EXCP_UD);
    CHECK_EQ(write_cr(cpu, 4, CR4_OSFXSR | CR4_OSXSAVE), EXCP_NONE);
    CHECK_EQ(xgetbv(cpu, 0, &v), EXCP_NONE);
    CHECK_EQ(v, 1);
    CHECK_EQ(xgetbv(cpu, 1, &v), EXCP_GP);    /* XGETBV with ECX=1 is not reported */
    CHECK_EQ(xsetbv(cpu, 0, 3), EXCP_NONE);
    CHECK_EQ(xgetbv(cpu, 0, &v), EXCP_NONE);
    CHECK_EQ(v, 3);
    CHECK_EQ(xsetbv(cpu, 0, 2), EXCP_GP);     /* x87 must stay */
    CHECK_EQ(xsetbv(cpu, 0, 7), EXCP_GP);     /* no AVX */
    CHECK_EQ(xsetbv(cpu, 0, 1ull << 32 | 3), EXCP_GP);
    CHECK_EQ(xsetbv(cpu, 1, 3), EXCP_GP);
    CHECK_EQ(xgetbv(cpu, 0, &v), EXCP_NONE);
    CHECK_EQ(v, 3);                           /* refused writes changed nothing */
}

TEST(msrs)
{
    X86CPU *cpu = xt_new();
    uint64_t v;
    CHECK_EQ(rdmsr(cpu, 0x12345, &v), EXCP_GP);
    CHECK_EQ(cpu->env.error_code, 0);
    CHECK_EQ(wrmsr(cpu, 0x12345, 0), EXCP_GP);
    /* EFER: SCE, LME, NXE writable; LMA read-only; others #GP */
    CHECK_EQ(wrmsr(cpu, MSR_EFER, EFER_NXE | EFER_SCE | EFER_LME), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_EFER, &v), EXCP_NONE);
    CHECK_EQ(v, EFER_NXE | EFER_SCE | EFER_LME);
    CHECK_EQ(wrmsr(cpu, MSR_EFER, 1u << 1), EXCP_GP);
    /* what Linux's early_init_intel touches: the microcode signature
     * (write 0, read the revision) and fast strings on from reset */
    CHECK_EQ(wrmsr(cpu, MSR_BIOS_SIGN_ID, 0), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_BIOS_SIGN_ID, &v), EXCP_NONE);
    CHECK_EQ(v, 0);
    CHECK_EQ(rdmsr(cpu, MSR_PLATFORM_ID, &v), EXCP_NONE);
    CHECK_EQ(v, 0);
    CHECK_EQ(wrmsr(cpu, MSR_PLATFORM_ID, 0), EXCP_GP); /* read-only */
    CHECK_EQ(rdmsr(cpu, MSR_MISC_ENABLE, &v), EXCP_NONE);
    CHECK_EQ(v & MISC_ENABLE_FAST_STRING, MISC_ENABLE_FAST_STRING);
    CHECK_EQ(wrmsr(cpu, MSR_LSTAR, 0x0000800000000000ull), EXCP_GP); /* non-canonical */
    CHECK_EQ(wrmsr(cpu, MSR_LSTAR, 0xffffffff81000000ull), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_LSTAR, &v), EXCP_NONE);
    CHECK_EQ(v, 0xffffffff81000000ull);
    CHECK_EQ(wrmsr(cpu, MSR_KERNEL_GS_BASE, 0xffff888000001000ull), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_KERNEL_GS_BASE, &v), EXCP_NONE);
    CHECK_EQ(v, 0xffff888000001000ull);
    CHECK_EQ(wrmsr(cpu, MSR_TSC_AUX, 1ull << 32), EXCP_GP);
    CHECK_EQ(wrmsr(cpu, MSR_TSC_AUX, 7), EXCP_NONE);
    /* PAT: types 2, 3 and > 7 are invalid */
    CHECK_EQ(wrmsr(cpu, MSR_PAT, 0x0007040600070406ull), EXCP_NONE);
    CHECK_EQ(wrmsr(cpu, MSR_PAT, 0x0007040600070402ull), EXCP_GP);
    CHECK_EQ(rdmsr(cpu, MSR_PAT, &v), EXCP_NONE);
    CHECK_EQ(v, 0x0007040600070406ull);
    CHECK_EQ(wrmsr(cpu, MSR_SYSENTER_EIP, 0xc0001000), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_SYSENTER_EIP, &v), EXCP_NONE);
    CHECK_EQ(v, 0xc0001000);
    /* MTRRs: 8 variable ranges + fixed + WC; stored, reserved bits #GP */
    CHECK_EQ(rdmsr(cpu, MSR_MTRRCAP, &v), EXCP_NONE);
    CHECK_EQ(v, 0x508);
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0 + 2, 0x80000000ull | 6), EXCP_NONE);
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0 + 3, 0xffc0000800ull), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_MTRR_PHYSBASE0 + 2, &v), EXCP_NONE);
    CHECK_EQ(v, 0x80000006ull);
    CHECK_EQ(rdmsr(cpu, MSR_MTRR_PHYSBASE0 + 3, &v), EXCP_NONE);
    CHECK_EQ(v, 0xffc0000800ull);
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0, 2), EXCP_GP);            /* type 2 */
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0, 1ull << 40), EXCP_GP);   /* above MAXPHYADDR */
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0 + 1, 1), EXCP_GP);        /* mask bit 0 */
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_PHYSBASE0 + 16, 0), EXCP_GP);       /* no ninth range */
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_FIX4K + 7, 0x0606060606060605ull), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_MTRR_FIX4K + 7, &v), EXCP_NONE);
    CHECK_EQ(v, 0x0606060606060605ull);
    CHECK_EQ(rdmsr(cpu, MSR_MTRR_FIX4K, &v), EXCP_NONE);
    CHECK_EQ(v, 0);
    CHECK_EQ(wrmsr(cpu, MSR_MTRR_FIX16K + 1, 0x0300000000000000ull), EXCP_GP);
    CHECK_EQ(rdmsr(cpu, MSR_MTRR_FIX16K + 2, &v), EXCP_GP);          /* 0x25a: not an MTRR */
    CHECK_EQ(rdmsr(cpu, MSR_APIC_BASE, &v), EXCP_NONE);
    CHECK_EQ(v & (1u << 8), 1u << 8);         /* the BSP */
    /* TSC: writable, counts virtual ns */
    CHECK_EQ(wrmsr(cpu, MSR_TSC, 1000000000000ull), EXCP_NONE);
    CHECK_EQ(rdmsr(cpu, MSR_TSC, &v), EXCP_NONE);
    CHECK(v >= 1000000000000ull && v < 1000000000000ull + 10 * NS_PER_SEC);
    /* CPL 3: #GP */
    xt_pm(cpu, 3);
    CHECK_EQ(rdmsr(cpu, MSR_PAT, &v), EXCP_GP);
}

/* Long mode with flat 64-bit kernel code (for the fast system calls). */
static void lm_kernel(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    xt_pm(cpu, 0);
    s->cr[0] |= CR0_PG;
    s->cr[4] |= CR4_PAE;
    s->efer = EFER_LME | EFER_LMA | EFER_SCE;
    s->segs[R_CS].flags = (s->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
    x86_update_hflags(s);
}

TEST(syscall_sysret)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    lm_kernel(cpu);
    s->star = 0x0023001000000000ull;  /* SYSRET base 0x20 (| 3), SYSCALL CS 0x10 */
    s->lstar = 0xffffffff81000000ull;
    s->fmask = EF_IF | EF_DF | EF_TF;
    s->regs[R_R11] = 0x3c7fd7u | EF_IF | 0x10000u; /* RF must not come back */
    s->regs[R_ECX] = 0x401000;
    XT_RUN(cpu, x86_sysret(cpu, 8));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].selector, 0x33);
    CHECK_EQ(s->segs[R_SS].selector, 0x2b);
    CHECK_EQ(s->hflags & (HF_CPL_MASK | HF_CS64), 3 | HF_CS64);
    CHECK_EQ(s->rip, 0x401000);
    CHECK_EQ(x86_eflags_get(s) & (EF_IF | EF_RF | EF_DF), EF_IF | EF_DF);
    /* SYSCALL from CPL 3: RCX/R11 saved, FMASK applied, CPL 0 */
    XT_RUN(cpu, x86_syscall(cpu, 0x401002));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->regs[R_ECX], 0x401002);
    CHECK_EQ(s->regs[R_R11] & (EF_IF | EF_DF), EF_IF | EF_DF);
    CHECK_EQ(s->segs[R_CS].selector, 0x10);
    CHECK_EQ(s->segs[R_SS].selector, 0x18);
    CHECK_EQ(s->hflags & (HF_CPL_MASK | HF_CS64), HF_CS64);
    CHECK_EQ(s->rip, 0xffffffff81000000ull);
    CHECK_EQ(x86_eflags_get(s) & (EF_IF | EF_DF), 0);
    /* SYSRET to compatibility mode: CS = STAR[63:48] | 3, 32-bit, EIP = ECX */
    s->regs[R_ECX] = 0xdead00000804000ull;
    XT_RUN(cpu, x86_sysret(cpu, 4));
    CHECK_EQ(s->segs[R_CS].selector, 0x23);
    CHECK_EQ(s->hflags & (HF_CS64 | HF_CS32), HF_CS32);
    CHECK_EQ(s->rip, 0x00804000);
    /* SYSRET at CPL 3: #GP; without EFER.SCE: #UD */
    XT_RUN(cpu, x86_sysret(cpu, 8));
    CHECK_EQ(xt_exc, EXCP_GP);
    s->efer &= ~(uint64_t)EFER_SCE;
    XT_RUN(cpu, x86_syscall(cpu, 0));
    CHECK_EQ(xt_exc, EXCP_UD);
}

TEST(sysenter_sysexit)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    xt_pm(cpu, 3);
    XT_RUN(cpu, x86_sysenter(cpu));
    CHECK_EQ(xt_exc, EXCP_GP);             /* SYSENTER_CS null */
    s->sysenter_cs = 0x60;
    s->sysenter_esp = 0x12345678abcdull;
    s->sysenter_eip = 0xfedcba9876543210ull;
    s->eflags |= EF_IF;
    XT_RUN(cpu, x86_sysenter(cpu));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].selector, 0x60);
    CHECK_EQ(s->segs[R_SS].selector, 0x68);
    CHECK_EQ(s->hflags & (HF_CPL_MASK | HF_CS32 | HF_SS32), HF_CS32 | HF_SS32);
    CHECK_EQ(s->regs[R_ESP], 0x5678abcdu);
    CHECK_EQ(s->rip, 0x76543210u);          /* outside long mode: 32 bits */
    CHECK_EQ(s->eflags & EF_IF, 0);
    s->regs[R_ECX] = 0xbff000;
    s->regs[R_EDX] = 0x8048000;
    XT_RUN(cpu, x86_sysexit(cpu, 4));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->segs[R_CS].selector, 0x73);
    CHECK_EQ(s->segs[R_SS].selector, 0x7b);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK_EQ(s->regs[R_ESP], 0xbff000);
    CHECK_EQ(s->rip, 0x8048000);
    XT_RUN(cpu, x86_sysexit(cpu, 4));
    CHECK_EQ(xt_exc, EXCP_GP);             /* CPL 3 */
    /* long mode: SYSENTER to 64-bit code, SYSEXIT with REX.W to 64-bit */
    lm_kernel(cpu);
    s->segs[R_CS].flags = (s->segs[R_CS].flags & ~DESC_L_MASK) | DESC_B_MASK;
    x86_update_hflags(s);
    XT_RUN(cpu, x86_sysenter(cpu));
    CHECK_EQ(s->hflags & HF_CS64, HF_CS64);
    CHECK_EQ(s->rip, 0xfedcba9876543210ull);
    CHECK_EQ(s->regs[R_ESP], 0x12345678abcdull);
    s->regs[R_EDX] = 0x0000800000000000ull;  /* non-canonical */
    XT_RUN(cpu, x86_sysexit(cpu, 8));
    CHECK_EQ(xt_exc, EXCP_GP);
    s->regs[R_EDX] = 0x7fff00001000ull;
    XT_RUN(cpu, x86_sysexit(cpu, 8));
    CHECK_EQ(s->segs[R_CS].selector, 0x83);
    CHECK_EQ(s->hflags & (HF_CPL_MASK | HF_CS64), 3 | HF_CS64);
    CHECK_EQ(s->rip, 0x7fff00001000ull);
}

TEST(rdtsc_and_tsd)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    XT_RUN(cpu, x86_rdtsc(cpu));
    uint64_t t1 = ((uint64_t)(uint32_t)s->regs[R_EDX] << 32) | (uint32_t)s->regs[R_EAX];
    XT_RUN(cpu, x86_rdtsc(cpu));
    uint64_t t2 = ((uint64_t)(uint32_t)s->regs[R_EDX] << 32) | (uint32_t)s->regs[R_EAX];
    CHECK(t2 >= t1);
    xt_pm(cpu, 3);
    XT_RUN(cpu, x86_rdtsc(cpu));
    CHECK_EQ(xt_exc, EXCP_NONE);
    s->cr[4] |= CR4_TSD;
    XT_RUN(cpu, x86_rdtsc(cpu));
    CHECK_EQ(xt_exc, EXCP_GP);
}

TEST(control_registers)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    CHECK_EQ(write_cr(cpu, 0, CR0_PG), EXCP_GP);              /* PG without PE */
    CHECK_EQ(write_cr(cpu, 0, CR0_PE | CR0_NW), EXCP_GP);     /* NW without CD */
    CHECK_EQ(write_cr(cpu, 0, 1ull << 32 | CR0_PE), EXCP_GP);
    CHECK_EQ(write_cr(cpu, 0, CR0_PE), EXCP_NONE);
    CHECK_EQ(s->cr[0], CR0_PE | CR0_ET);                      /* ET reads 1 */
    CHECK(s->hflags & HF_PE);
    CHECK_EQ(write_cr(cpu, 3, 0x12345fff), EXCP_NONE);
    CHECK_EQ(x86_read_cr(cpu, 3), 0x12345fff);
    CHECK_EQ(write_cr(cpu, 5, 0), EXCP_UD);
    CHECK_EQ(write_cr(cpu, 8, 0x10), EXCP_GP);
    /* long mode activation: PG with EFER.LME requires PAE */
    s->efer = EFER_LME;
    CHECK_EQ(write_cr(cpu, 0, CR0_PE | CR0_PG), EXCP_GP);
    CHECK_EQ(write_cr(cpu, 4, CR4_PAE), EXCP_NONE);
    CHECK_EQ(write_cr(cpu, 0, CR0_PE | CR0_PG), EXCP_NONE);
    CHECK(s->efer & EFER_LMA);
    CHECK(s->hflags & HF_LMA);
    CHECK_EQ(write_cr(cpu, 4, 0), EXCP_GP);                   /* PAE stays on in long mode */
    CHECK_EQ(write_cr(cpu, 0, CR0_PE), EXCP_NONE);
    CHECK(!(s->efer & EFER_LMA));
    /* TS, MP, EM mirrored in hflags; LMSW cannot clear PE; CLTS */
    XT_RUN(cpu, x86_lmsw(cpu, CR0_TS | CR0_MP));
    CHECK_EQ(s->cr[0] & 0xf, CR0_PE | CR0_TS | CR0_MP);
    CHECK(s->hflags & HF_TS);
    XT_RUN(cpu, x86_lmsw(cpu, 0));
    CHECK_EQ(s->cr[0] & 0xf, CR0_PE);
    s->cr[0] &= ~(uint64_t)CR0_PE;
    XT_RUN(cpu, x86_lmsw(cpu, CR0_PE));
    CHECK(s->cr[0] & CR0_PE);
    s->cr[0] |= CR0_TS;
    XT_RUN(cpu, x86_clts(cpu));
    CHECK(!(s->cr[0] & CR0_TS));
    CHECK(!(s->hflags & HF_TS));
    /* privileged */
    xt_pm(cpu, 3);
    CHECK_EQ(write_cr(cpu, 3, 0), EXCP_GP);
    XT_RUN(cpu, x86_clts(cpu));
    CHECK_EQ(xt_exc, EXCP_GP);
}

TEST(debug_registers)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    XT_RUN(cpu, x86_write_dr(cpu, 6, 0));
    CHECK_EQ(s->dr[6], 0xffff0ff0);
    XT_RUN(cpu, x86_write_dr(cpu, 7, 0xffffdfff));
    CHECK_EQ(s->dr[7], 0xffff07ff);
    XT_RUN(cpu, x86_write_dr(cpu, 7, 0));
    CHECK_EQ(s->dr[7], 0x400);
    /* DR5 aliases DR7 without CR4.DE, #UD with it */
    XT_RUN(cpu, x86_write_dr(cpu, 5, 0x1));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(s->dr[7], 0x401);
    s->cr[4] |= CR4_DE;
    XT_RUN(cpu, x86_write_dr(cpu, 5, 0));
    CHECK_EQ(xt_exc, EXCP_UD);
    XT_RUN(cpu, x86_write_dr(cpu, 0, 0x1234));
    CHECK_EQ(x86_read_dr(cpu, 0), 0x1234);
    /* GD: the next MOV DR raises #DB with BD */
    s->dr[7] |= 1u << 13;
    XT_RUN(cpu, x86_write_dr(cpu, 1, 0));
    CHECK_EQ(xt_exc, EXCP_DB);
    CHECK(s->dr[6] & (1u << 13));
    CHECK(!(s->dr[7] & (1u << 13)));
}

TEST(io_permission_bitmap)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    XT_RUN(cpu, x86_check_io(cpu, 0x3f8, 1));   /* real mode: always */
    CHECK_EQ(xt_exc, EXCP_NONE);
    xt_pm(cpu, 3);
    /* CPL 3 > IOPL 0: the bitmap decides; port 0x60 allowed, 0x61 denied */
    xt_ram[XT_TSS + 0x68 + 0x60 / 8] = (uint8_t)~1u;
    XT_RUN(cpu, x86_check_io(cpu, 0x60, 1));
    CHECK_EQ(xt_exc, EXCP_NONE);
    XT_RUN(cpu, x86_check_io(cpu, 0x60, 2));
    CHECK_EQ(xt_exc, EXCP_GP);
    CHECK_EQ(s->error_code, 0);
    /* an access straddling two bitmap bytes */
    xt_ram[XT_TSS + 0x68 + 0x0f] = 0x7f;
    xt_ram[XT_TSS + 0x68 + 0x10] = 0xfe;
    XT_RUN(cpu, x86_check_io(cpu, 0x7f, 2));
    CHECK_EQ(xt_exc, EXCP_NONE);
    XT_RUN(cpu, x86_check_io(cpu, 0x7f, 4));
    CHECK_EQ(xt_exc, EXCP_GP);
    /* ports beyond the TSS limit are denied */
    XT_RUN(cpu, x86_check_io(cpu, 0x8000, 1));
    CHECK_EQ(xt_exc, EXCP_GP);
    /* IOPL 3: no bitmap; vm86 always uses it */
    s->eflags |= 3u << EF_IOPL_SHIFT;
    x86_update_hflags(s);
    XT_RUN(cpu, x86_check_io(cpu, 0x8000, 1));
    CHECK_EQ(xt_exc, EXCP_NONE);
    s->eflags |= EF_VM;
    x86_update_hflags(s);
    XT_RUN(cpu, x86_check_io(cpu, 0x8000, 1));
    CHECK_EQ(xt_exc, EXCP_GP);
}

static uint64_t port_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return 0xa0 + addr;
}

static uint64_t last_write;
static void port_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    (void)opaque;
    last_write = (addr << 32) | val | ((uint64_t)size << 60);
}

static const MemOps port_ops = {
    .read = port_read, .write = port_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

TEST(port_io_and_hlt)
{
    X86CPU *cpu = xt_new();
    CHECK_EQ(x86_in(cpu, 0x80, 2), 0xffff);     /* no port space: all ones */
    cpu->io = ioport_space_new("test-io");
    ioport_register(cpu->io, 0x70, 2, &port_ops, NULL, "rtc");
    CHECK_EQ(x86_in(cpu, 0x71, 1), 0xa1);
    x86_out(cpu, 0x70, 1, 0x8f);
    CHECK_EQ(last_write, (1ull << 60) | 0x8f);
    CHECK_EQ(x86_in(cpu, 0x99, 4), 0xffffffffu);
    ioport_space_free(cpu->io);
    cpu->io = NULL;
    cpu->env.hflags |= HF_INHIBIT_IRQ;
    XT_RUN(cpu, x86_hlt(cpu, 0x1235));
    CHECK_EQ(xt_exc, EXCP_HLT);
    CHECK_EQ(cpu->parent.halted, 1);
    CHECK_EQ(cpu->env.rip, 0x1235);
    CHECK(!(cpu->env.hflags & HF_INHIBIT_IRQ));
    xt_pm(cpu, 3);
    cpu->parent.halted = 0;
    XT_RUN(cpu, x86_hlt(cpu, 0));
    CHECK_EQ(xt_exc, EXCP_GP);
    CHECK_EQ(cpu->parent.halted, 0);
}
