/*
 * CPUID, MSRs, the TSC, control and debug registers, port I/O and HLT.
 *
 * CPUID reports what pemu implements, nothing more: software (SeaBIOS,
 * Linux) picks code paths from these bits, so an advertised feature that
 * is missing is worse than one that is absent. The same table decides
 * which CR4 and EFER bits may be set and which MSRs exist, so the three
 * cannot disagree.
 */
#include <inttypes.h>
#include "src/ioport.h"
#include "src/log.h"
#include "src/timer.h"
#include "src/x86/flags.h"
#include "src/x86/helper_sys.h"
#include "src/x86/seg.h"

/* ---- CPUID ---------------------------------------------------------------------- */

/* CPUID.1:EDX */
#define CPUID_FPU   (1u << 0)
#define CPUID_DE    (1u << 2)
#define CPUID_PSE   (1u << 3)
#define CPUID_TSC   (1u << 4)
#define CPUID_MSR   (1u << 5)
#define CPUID_PAE   (1u << 6)
#define CPUID_CX8   (1u << 8)
#define CPUID_APIC  (1u << 9)
#define CPUID_SEP   (1u << 11)
#define CPUID_PGE   (1u << 13)
#define CPUID_CMOV  (1u << 15)
#define CPUID_PAT   (1u << 16)
#define CPUID_MTRR  (1u << 12)
#define CPUID_PSE36 (1u << 17)
#define CPUID_MMX   (1u << 23)
#define CPUID_FXSR  (1u << 24)
/* CPUID.1:ECX */
#define CPUID_ECX_CX16 (1u << 13)
/* SSE .. SSE4.2, POPCNT (translate_sse.c): CPUID.1:EDX 25-26, ECX 0, 9, 19, 20, 23 */
#define CPUID_SSE_EDX ((1u << 25) | (1u << 26))
#define CPUID_SSE_ECX ((1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 23))
#define CPUID_EXT_TSC_DEADLINE (1u << 24)
#define CPUID_ECX_XSAVE   (1u << 26)
#define CPUID_ECX_OSXSAVE (1u << 27) /* = CR4.OSXSAVE */
/* CPUID.80000001h:EDX and ECX */
#define CPUID_EXT_SYSCALL (1u << 11)
#define CPUID_EXT_NX      (1u << 20)
#define CPUID_EXT_PDPE1GB (1u << 26)
#define CPUID_EXT_RDTSCP  (1u << 27)
#define CPUID_EXT_LM      (1u << 29)
#define CPUID_EXT3_LAHF_LM (1u << 0)

/*
 * What is implemented today:
 * - the integer 386/486/Pentium/P6 instruction set of the translator,
 *   CMPXCHG8B (CX8) and CMOV;
 * - TSC (RDTSC, CR4.TSD), MSR (RDMSR/WRMSR), DE (CR4.DE: DR4/DR5 #UD);
 * - PSE with PSE-36, PAE, PGE, NX (EFER.NXE): all in mmu.c; PAT and MTRR
 *   (the MSRs are stored and read back; memory types mean nothing here);
 * - SEP (SYSENTER/SYSEXIT), CX16 (CMPXCHG16B), long mode: LM, SYSCALL,
 *   RDTSCP, LAHF_LM, 1 GiB pages;
 * - APIC and TSC-deadline (CPUID.1:ECX.24) when the board connected a
 *   local APIC (hw/apic.c, through X86CPU.apic_hooks); no x2APIC;
 * - FPU (the x87 in software: fpu.c, translate_x87.c), MMX
 *   (translate_mmx.c), FXSR (FXSAVE/FXRSTOR, CR4.OSFXSR);
 * - SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT (translate_sse.c);
 * - XSAVE/XRSTOR (standard form) and XGETBV/XSETBV for the x87 and SSE
 *   state components (XCR0 bits 0-1; fpu.c), leaf 0xD describes them.
 * Not reported until they exist: VME, MCE/MCA, CLFLUSH, XSAVEOPT/XSAVEC/
 * XSAVES, AVX.
 */
static const uint32_t features_edx = CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE |
                                     CPUID_CX8 | CPUID_PGE | CPUID_CMOV | CPUID_PAT | CPUID_PSE36 |
                                     CPUID_SEP | CPUID_MTRR | CPUID_MMX | CPUID_FXSR |
                                     CPUID_SSE_EDX;
static const uint32_t features_ecx = CPUID_ECX_CX16 | CPUID_SSE_ECX | CPUID_ECX_XSAVE;
/* Long mode (4-level paging with 1G pages, 64-bit gates, the 64-bit
 * translator), SYSCALL/SYSRET, NX, RDTSCP (TSC_AUX), LAHF/SAHF in 64-bit code. */
static const uint32_t ext_features_edx = CPUID_EXT_NX | CPUID_EXT_SYSCALL | CPUID_EXT_LM |
                                         CPUID_EXT_RDTSCP | CPUID_EXT_PDPE1GB;
static const uint32_t ext_features_ecx = CPUID_EXT3_LAHF_LM;

/*
 * GenuineIntel: with an Intel family 6 signature Linux and SeaBIOS take the
 * generic P6 paths (MISC_ENABLE is the only model-specific MSR they read);
 * AMD signatures make Linux probe several K7/K8 MSRs and expect the
 * extended leaves to mirror leaf 1.
 * Basic leaves up to 0xD (XSAVE's): 1 and 0xD have content; 2-0xC are
 * zero (no cache descriptors, no structured extended features, no
 * topology or performance-monitoring leaves, which Linux reads as absent).
 * Intel CPUs answer leaves above the maximum with the highest basic leaf.
 * Extended leaves up to
 * 0x80000008: NX, the brand string, invariant TSC, address sizes.
 */
#define CPUID_MAX_BASIC 0xdu
#define CPUID_MAX_EXT   0x80000008u
#define PHYS_ADDR_BITS  40u  /* = mmu.c's MAXPHYADDR */
#define VIRT_ADDR_BITS  48u

static void cpuid_leaf(X86CPU *cpu, uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    static const char brand[48] = "pemu virtual CPU";
    *a = *b = *c = *d = 0;
    if (leaf >= 0x80000000u) {
        if (leaf > CPUID_MAX_EXT)
            leaf = CPUID_MAX_BASIC;
    } else if (leaf > CPUID_MAX_BASIC) {
        leaf = CPUID_MAX_BASIC;
    }
    switch (leaf) {
    case 0:
        *a = CPUID_MAX_BASIC;
        *b = 0x756e6547; /* "Genu" */
        *d = 0x49656e69; /* "ineI" */
        *c = 0x6c65746e; /* "ntel" */
        break;
    case 1:
        *a = cpu->cpuid_version;
        *b = (cpu->apic_id << 24) | (1u << 16); /* one logical processor */
        /* APIC and TSC-deadline only when the board gave this CPU a local APIC */
        *c = features_ecx | (cpu->apic_hooks ? CPUID_EXT_TSC_DEADLINE : 0) |
             ((cpu->env.cr[4] & CR4_OSXSAVE) ? CPUID_ECX_OSXSAVE : 0);
        *d = features_edx | (cpu->apic_hooks ? CPUID_APIC : 0);
        break;
    case 0xd:
        /* XSAVE (SDM Vol. 1 13.2): sub-leaf 0 gives the XCR0 bits supported
         * (x87, SSE) and the standard-form area sizes (legacy 512 + header
         * 64) for the enabled and for all components; sub-leaf 1 lists no
         * XSAVEOPT/XSAVEC/XGETBV1/XSAVES; sub-leaves 2.. (AVX...) are 0. */
        if ((uint32_t)cpu->env.regs[R_ECX] == 0) {
            *a = (uint32_t)XCR0_SUPPORTED;
            *b = XSAVE_AREA_SIZE;
            *c = XSAVE_AREA_SIZE;
        }
        break;
    case 0x80000000u:
        *a = CPUID_MAX_EXT;
        break;
    case 0x80000001u:
        *c = ext_features_ecx;
        *d = ext_features_edx;
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: {
        const char *p = brand + (leaf - 0x80000002u) * 16;
        *a = ld32_le(p);
        *b = ld32_le(p + 4);
        *c = ld32_le(p + 8);
        *d = ld32_le(p + 12);
        break;
    }
    case 0x80000007u:
        *d = 1u << 8; /* invariant TSC: it counts virtual-clock ns at any "power state" */
        break;
    case 0x80000008u:
        *a = PHYS_ADDR_BITS | (VIRT_ADDR_BITS << 8);
        break;
    default:
        break;
    }
}

void x86_cpuid(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    uint32_t a, b, c, d;
    cpuid_leaf(cpu, (uint32_t)s->regs[R_EAX], &a, &b, &c, &d);
    s->regs[R_EAX] = a;
    s->regs[R_EBX] = b;
    s->regs[R_ECX] = c;
    s->regs[R_EDX] = d;
}

/* XGETBV / XSETBV (SDM Vol. 2): XCR0 is the only extended control
 * register. #UD without CR4.OSXSAVE; XSETBV is CPL 0 only, and XCR0 must
 * keep x87 (bit 0) and may only name supported components. */
void x86_xgetbv(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    if (!(s->cr[4] & CR4_OSXSAVE))
        x86_raise_exception(cpu, EXCP_UD);
    if ((uint32_t)s->regs[R_ECX] != 0)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    s->regs[R_EAX] = (uint32_t)s->xcr0;
    s->regs[R_EDX] = (uint32_t)(s->xcr0 >> 32);
}

void x86_xsetbv(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    if (!(s->cr[4] & CR4_OSXSAVE))
        x86_raise_exception(cpu, EXCP_UD);
    uint64_t v = ((uint64_t)(uint32_t)s->regs[R_EDX] << 32) | (uint32_t)s->regs[R_EAX];
    if ((s->hflags & HF_CPL_MASK) != 0 || (uint32_t)s->regs[R_ECX] != 0 ||
        !(v & XCR0_X87) || (v & ~XCR0_SUPPORTED))
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    s->xcr0 = v;
}

/* ---- MSRs ------------------------------------------------------------------------------- */

static inline int cpl_of(const X86State *s)
{
    return (int)(s->hflags & HF_CPL_MASK);
}

static PEMU_NORETURN void gp0(X86CPU *cpu)
{
    x86_raise_exception_err(cpu, EXCP_GP, 0);
}

static void check_cpl0(X86CPU *cpu)
{
    if (cpl_of(&cpu->env) != 0)
        gp0(cpu);
}

static void tlb_flush(X86CPU *cpu)
{
    softmmu_flush_all(&cpu->parent);
    cpu->env.tlb_large = 0;
}

/* The TSC runs at 1 GHz of virtual time: one tick per virtual-clock ns. */
static uint64_t tsc_now(X86CPU *cpu)
{
    return (uint64_t)clock_get_ns(PEMU_CLOCK_VIRTUAL) + cpu->env.tsc_offset;
}

static uint64_t efer_writable(void)
{
    return ((ext_features_edx & CPUID_EXT_NX) ? EFER_NXE : 0) |
           ((ext_features_edx & CPUID_EXT_SYSCALL) ? EFER_SCE : 0) |
           ((ext_features_edx & CPUID_EXT_LM) ? EFER_LME : 0);
}

static bool pat_valid(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (unsigned)(v >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/* MTRR memory types: UC 0, WC 1, WT 4, WP 5, WB 6 (SDM 11.11.1). */
static bool mtrr_type_ok(unsigned t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* MTRRcap: 8 variable ranges, fixed ranges, write-combining (SDM 11.11.1). */
#define MTRRCAP_VALUE (X86_MTRR_NVAR | (1u << 8) | (1u << 10))

/* The index into mtrr_fixed of a fixed-range MSR, or -1. */
static int mtrr_fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K)
        return 0;
    if (msr == MSR_MTRR_FIX16K || msr == MSR_MTRR_FIX16K + 1)
        return 1 + (int)(msr - MSR_MTRR_FIX16K);
    if (msr >= MSR_MTRR_FIX4K && msr <= MSR_MTRR_FIX4K + 7)
        return 3 + (int)(msr - MSR_MTRR_FIX4K);
    return -1;
}

/* Variable and fixed MTRRs: false if msr is not one of them. Reserved bits
 * and undefined types are #GP (PHYSBASE 11:8, bits above MAXPHYADDR,
 * PHYSMASK 10:0). */
static bool mtrr_access(X86CPU *cpu, uint32_t msr, bool write, uint64_t *v)
{
    X86State *s = &cpu->env;
    uint64_t phys = ((1ull << PHYS_ADDR_BITS) - 1) & ~0xfffull;
    int fx = mtrr_fixed_index(msr);
    if (fx >= 0) {
        if (!write) {
            *v = s->mtrr_fixed[fx];
            return true;
        }
        for (int i = 0; i < 8; i++)
            if (!mtrr_type_ok((unsigned)(*v >> (8 * i)) & 0xff))
                gp0(cpu);
        s->mtrr_fixed[fx] = *v;
        return true;
    }
    if (msr < MSR_MTRR_PHYSBASE0 || msr >= MSR_MTRR_PHYSBASE0 + 2 * X86_MTRR_NVAR)
        return false;
    unsigned n = msr - MSR_MTRR_PHYSBASE0;
    if (!write) {
        *v = s->mtrr_var[n];
        return true;
    }
    if (n & 1) {
        if (*v & ~(phys | (1u << 11)))
            gp0(cpu);
    } else if ((*v & ~(phys | 0xff)) || !mtrr_type_ok((unsigned)*v & 0xff)) {
        gp0(cpu);
    }
    s->mtrr_var[n] = *v;
    return true;
}

void x86_rdmsr(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    uint64_t v;
    bool lm = (ext_features_edx & CPUID_EXT_LM) != 0;
    check_cpl0(cpu);
    switch ((uint32_t)s->regs[R_ECX]) {
    case MSR_TSC: v = tsc_now(cpu); break;
    case MSR_APIC_BASE: v = cpu->apic_hooks ? cpu->apic_hooks->get_base(cpu->apic) : s->apic_base; break;
    case MSR_TSC_DEADLINE:
        if (!cpu->apic_hooks)
            gp0(cpu);
        v = cpu->apic_hooks->get_tsc_deadline(cpu->apic);
        break;
    case MSR_MISC_ENABLE: v = s->misc_enable; break;
    /* No microcode update loaded: revision 0 (bits 63:32). Linux writes 0,
     * runs CPUID and reads it back to learn the revision. */
    case MSR_BIOS_SIGN_ID: v = 0; break;
    case MSR_PLATFORM_ID: v = 0; break; /* Linux's microcode loader reads it */
    case MSR_SYSENTER_CS: v = s->sysenter_cs; break;
    case MSR_SYSENTER_ESP: v = s->sysenter_esp; break;
    case MSR_SYSENTER_EIP: v = s->sysenter_eip; break;
    case MSR_MTRRCAP: v = MTRRCAP_VALUE; break;
    case MSR_MTRR_DEF_TYPE: v = s->mtrr_deftype; break;
    case MSR_PAT: v = s->pat; break;
    case MSR_EFER: v = s->efer; break;
    case MSR_STAR: if (!lm) gp0(cpu); v = s->star; break;
    case MSR_LSTAR: if (!lm) gp0(cpu); v = s->lstar; break;
    case MSR_CSTAR: if (!lm) gp0(cpu); v = s->cstar; break;
    case MSR_FMASK: if (!lm) gp0(cpu); v = s->fmask; break;
    case MSR_FS_BASE: if (!lm) gp0(cpu); v = s->segs[R_FS].base; break;
    case MSR_GS_BASE: if (!lm) gp0(cpu); v = s->segs[R_GS].base; break;
    case MSR_KERNEL_GS_BASE: if (!lm) gp0(cpu); v = s->kernel_gs_base; break;
    case MSR_TSC_AUX:
        if (!(ext_features_edx & CPUID_EXT_RDTSCP))
            gp0(cpu);
        v = s->tsc_aux;
        break;
    default:
        if (mtrr_access(cpu, (uint32_t)s->regs[R_ECX], false, &v))
            break;
        if (log_enabled(LOG_UNIMP))
            log_printf("rdmsr 0x%08" PRIx32 ": not implemented, #GP\n", (uint32_t)s->regs[R_ECX]);
        gp0(cpu);
    }
    s->regs[R_EAX] = (uint32_t)v;
    s->regs[R_EDX] = (uint32_t)(v >> 32);
}

void x86_wrmsr(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    uint64_t v = ((uint64_t)(uint32_t)s->regs[R_EDX] << 32) | (uint32_t)s->regs[R_EAX];
    bool lm = (ext_features_edx & CPUID_EXT_LM) != 0;
    check_cpl0(cpu);
    switch ((uint32_t)s->regs[R_ECX]) {
    case MSR_TSC:
        s->tsc_offset = v - (uint64_t)clock_get_ns(PEMU_CLOCK_VIRTUAL);
        break;
    case MSR_APIC_BASE:
        if (cpu->apic_hooks) {
            if (!cpu->apic_hooks->set_base(cpu->apic, v))
                gp0(cpu);
            s->apic_base = cpu->apic_hooks->get_base(cpu->apic);
            break;
        }
        /* BSP (bit 8) is read-only; EN (11) and the base (35:12) are stored. */
        if (v & ~(0xffffff000ull | (1u << 11) | (1u << 8)))
            gp0(cpu);
        s->apic_base = (v & ~(uint64_t)(1u << 8)) | (s->apic_base & (1u << 8));
        break;
    case MSR_TSC_DEADLINE:
        if (!cpu->apic_hooks)
            gp0(cpu);
        /* TSC value -> virtual-clock time (the TSC counts virtual ns + offset) */
        cpu->apic_hooks->set_tsc_deadline(cpu->apic, v, v ? (int64_t)(v - s->tsc_offset) : 0);
        break;
    case MSR_MISC_ENABLE: s->misc_enable = v; break;
    case MSR_BIOS_SIGN_ID: break; /* a write only triggers the update load */
    case MSR_SYSENTER_CS: s->sysenter_cs = v & 0xffff; break;
    case MSR_SYSENTER_ESP: s->sysenter_esp = v; break;
    case MSR_SYSENTER_EIP: s->sysenter_eip = v; break;
    case MSR_MTRR_DEF_TYPE:
        if (v & ~0xcffull)
            gp0(cpu);
        s->mtrr_deftype = v;
        break;
    case MSR_PAT:
        if (!pat_valid(v))
            gp0(cpu);
        s->pat = v;
        break;
    case MSR_EFER: {
        if (v & ~(efer_writable() | EFER_LMA))
            gp0(cpu);
        /* LMA is read-only; LME may not change while paging is on. */
        if (((v ^ s->efer) & EFER_LME) && (s->cr[0] & CR0_PG))
            gp0(cpu);
        uint64_t old = s->efer;
        s->efer = (v & ~(uint64_t)EFER_LMA) | (s->efer & EFER_LMA);
        if ((old ^ s->efer) & EFER_NXE)
            tlb_flush(cpu);
        x86_update_hflags(s);
        break;
    }
    case MSR_STAR: if (!lm) gp0(cpu); s->star = v; break;
    case MSR_LSTAR: if (!lm || !x86_canonical(v)) gp0(cpu); s->lstar = v; break;
    case MSR_CSTAR: if (!lm || !x86_canonical(v)) gp0(cpu); s->cstar = v; break;
    case MSR_FMASK: if (!lm) gp0(cpu); s->fmask = (uint32_t)v; break;
    case MSR_FS_BASE: if (!lm || !x86_canonical(v)) gp0(cpu); s->segs[R_FS].base = v; break;
    case MSR_GS_BASE: if (!lm || !x86_canonical(v)) gp0(cpu); s->segs[R_GS].base = v; break;
    case MSR_KERNEL_GS_BASE: if (!lm || !x86_canonical(v)) gp0(cpu); s->kernel_gs_base = v; break;
    case MSR_TSC_AUX:
        if (!(ext_features_edx & CPUID_EXT_RDTSCP) || (v >> 32))
            gp0(cpu);
        s->tsc_aux = v;
        break;
    default:
        if (mtrr_access(cpu, (uint32_t)s->regs[R_ECX], true, &v))
            break;
        if (log_enabled(LOG_UNIMP))
            log_printf("wrmsr 0x%08" PRIx32 " = 0x%" PRIx64 ": not implemented, #GP\n",
                       (uint32_t)s->regs[R_ECX], v);
        gp0(cpu);
    }
}

void x86_rdtsc(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    if ((s->cr[4] & CR4_TSD) && cpl_of(s) != 0)
        gp0(cpu);
    uint64_t t = tsc_now(cpu);
    s->regs[R_EAX] = (uint32_t)t;
    s->regs[R_EDX] = (uint32_t)(t >> 32);
}

void x86_rdtscp(X86CPU *cpu)
{
    x86_rdtsc(cpu);
    cpu->env.regs[R_ECX] = (uint32_t)cpu->env.tsc_aux;
}

/* ---- SYSCALL/SYSRET, SYSENTER/SYSEXIT (SDM vol. 2 and 3 5.8.7, 5.8.8) ---------------------- */

/* The flat segments these instructions load: fixed caches, no descriptor
 * is read. Code: execute/read, accessed; 64-bit (L) or 32-bit (D). Data:
 * read/write, accessed, B. Base 0, limit 4 GiB. */
static void flat_seg(X86Segment *seg, uint16_t sel, int dpl, bool code, bool code64)
{
    seg->selector = sel;
    seg->base = 0;
    seg->limit = 0xffffffffu;
    seg->flags = DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_G_MASK |
                 ((uint32_t)dpl << DESC_DPL_SHIFT) |
                 (code ? DESC_CS_MASK | DESC_R_MASK | (code64 ? DESC_L_MASK : DESC_B_MASK)
                       : DESC_W_MASK | DESC_B_MASK);
}

void x86_syscall(X86CPU *cpu, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    if (!(s->efer & EFER_SCE))
        x86_raise_exception(cpu, EXCP_UD);
    uint16_t sel = (uint16_t)(s->star >> 32);
    uint32_t fl = x86_eflags_get(s);
    s->regs[R_ECX] = next_eip;
    s->regs[R_R11] = fl & ~(uint32_t)EF_RF;
    flat_seg(&s->segs[R_CS], sel & 0xfffc, 0, true, true);
    flat_seg(&s->segs[R_SS], (uint16_t)(sel + 8), 0, false, false);
    x86_eflags_set(s, fl & ~((uint32_t)s->fmask | EF_RF), ~0u);
    s->rip = s->lstar;
    x86_update_hflags(s);
}

void x86_sysret(X86CPU *cpu, int osize)
{
    X86State *s = &cpu->env;
    if (!(s->efer & EFER_SCE))
        x86_raise_exception(cpu, EXCP_UD);
    check_cpl0(cpu);
    uint16_t sel = (uint16_t)(s->star >> 48);
    if (osize == 8) {
        if (!x86_canonical(s->regs[R_ECX]))  /* Intel: #GP(0) in ring 0 */
            gp0(cpu);
        flat_seg(&s->segs[R_CS], (uint16_t)((sel + 16) | 3), 3, true, true);
        s->rip = s->regs[R_ECX];
    } else {
        flat_seg(&s->segs[R_CS], (uint16_t)(sel | 3), 3, true, false);
        s->rip = (uint32_t)s->regs[R_ECX];
    }
    /* SS keeps the RPL 3 selector; its cache is the flat DPL 3 data segment. */
    flat_seg(&s->segs[R_SS], (uint16_t)((sel + 8) | 3), 3, false, false);
    uint32_t v = ((uint32_t)s->regs[R_R11] & 0x3c7fd7u) | EF_FIXED1;
    x86_eflags_set(s, v, ~0u);
    x86_update_hflags(s);
}

void x86_sysenter(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    bool lm = (s->efer & EFER_LMA) != 0;
    if (!(s->cr[0] & CR0_PE) || !(s->sysenter_cs & 0xfffc))
        gp0(cpu);
    uint16_t sel = (uint16_t)(s->sysenter_cs & 0xfffc);
    x86_eflags_set(s, x86_eflags_get(s) & ~(uint32_t)(EF_VM | EF_IF | EF_RF), ~0u);
    flat_seg(&s->segs[R_CS], sel, 0, true, lm);
    flat_seg(&s->segs[R_SS], (uint16_t)(sel + 8), 0, false, false);
    s->regs[R_ESP] = lm ? s->sysenter_esp : (uint32_t)s->sysenter_esp;
    s->rip = lm ? s->sysenter_eip : (uint32_t)s->sysenter_eip;
    x86_update_hflags(s);
}

void x86_sysexit(X86CPU *cpu, int osize)
{
    X86State *s = &cpu->env;
    if (!(s->cr[0] & CR0_PE) || !(s->sysenter_cs & 0xfffc) || cpl_of(s) != 0)
        gp0(cpu);
    uint16_t cs = (uint16_t)s->sysenter_cs;
    if (osize == 8) {
        if (!x86_canonical(s->regs[R_ECX]) || !x86_canonical(s->regs[R_EDX]))
            gp0(cpu);
        flat_seg(&s->segs[R_CS], (uint16_t)((cs + 32) | 3), 3, true, true);
        flat_seg(&s->segs[R_SS], (uint16_t)((cs + 40) | 3), 3, false, false);
        s->regs[R_ESP] = s->regs[R_ECX];
        s->rip = s->regs[R_EDX];
    } else {
        flat_seg(&s->segs[R_CS], (uint16_t)((cs + 16) | 3), 3, true, false);
        flat_seg(&s->segs[R_SS], (uint16_t)((cs + 24) | 3), 3, false, false);
        s->regs[R_ESP] = (uint32_t)s->regs[R_ECX];
        s->rip = (uint32_t)s->regs[R_EDX];
    }
    x86_update_hflags(s);
}

/* ---- control registers ---------------------------------------------------------------------- */

static uint64_t cr4_valid_mask(void)
{
    uint64_t m = CR4_TSD | CR4_PCE;
    if (features_edx & CPUID_DE)
        m |= CR4_DE;
    if (features_edx & CPUID_PSE)
        m |= CR4_PSE;
    if (features_edx & CPUID_PAE)
        m |= CR4_PAE;
    if (features_edx & CPUID_PGE)
        m |= CR4_PGE;
    if (features_edx & (CPUID_FXSR | CPUID_SSE_EDX))
        m |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (features_ecx & CPUID_ECX_XSAVE)
        m |= CR4_OSXSAVE;
    return m;
}

uint64_t x86_read_cr(X86CPU *cpu, int cr)
{
    X86State *s = &cpu->env;
    check_cpl0(cpu);
    switch (cr) {
    case 0: case 2: case 3: case 4:
        return s->cr[cr];
    case 8:
        return cpu->apic_hooks ? cpu->apic_hooks->get_cr8(cpu->apic) : s->cr8;
    default:
        x86_raise_exception(cpu, EXCP_UD);
    }
}

static void write_cr0(X86CPU *cpu, uint64_t v)
{
    X86State *s = &cpu->env;
    uint64_t old = s->cr[0];
    if (v >> 32)
        gp0(cpu);
    v |= CR0_ET; /* hardwired to 1 since the Pentium */
    if ((v & CR0_PG) && !(v & CR0_PE))
        gp0(cpu);
    if ((v & CR0_NW) && !(v & CR0_CD))
        gp0(cpu);
    if ((v & CR0_PG) && !(old & CR0_PG) && (s->efer & EFER_LME)) {
        /* Entering long mode: needs PAE, and CS must not be a 64-bit segment. */
        if (!(s->cr[4] & CR4_PAE) || (s->segs[R_CS].flags & DESC_L_MASK))
            gp0(cpu);
        s->efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG) && (s->efer & EFER_LMA)) {
        if (s->hflags & HF_CS64)
            gp0(cpu);
        s->efer &= ~(uint64_t)EFER_LMA;
    }
    s->cr[0] = v;
    if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE))
        tlb_flush(cpu);
}

static void write_cr4(X86CPU *cpu, uint64_t v)
{
    X86State *s = &cpu->env;
    uint64_t old = s->cr[4];
    if (v & ~cr4_valid_mask())
        gp0(cpu);
    if ((s->efer & EFER_LMA) && !(v & CR4_PAE))
        gp0(cpu);
    s->cr[4] = v;
    if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE))
        tlb_flush(cpu);
}

void x86_write_cr(X86CPU *cpu, int cr, uint64_t value)
{
    X86State *s = &cpu->env;
    check_cpl0(cpu);
    switch (cr) {
    case 0:
        write_cr0(cpu, value);
        break;
    case 2:
        s->cr[2] = (s->efer & EFER_LMA) ? value : (uint32_t)value;
        break;
    case 3:
        if (s->efer & EFER_LMA) {
            if (value >> PHYS_ADDR_BITS)
                gp0(cpu);
        } else {
            value = (uint32_t)value;
        }
        s->cr[3] = value;
        /* Non-global entries must go; pemu drops the global ones too (allowed). */
        tlb_flush(cpu);
        break;
    case 4:
        write_cr4(cpu, value);
        break;
    case 8:
        if (value >> 4)
            gp0(cpu);
        s->cr8 = value;
        if (cpu->apic_hooks)
            cpu->apic_hooks->set_cr8(cpu->apic, (uint8_t)value);
        break;
    default:
        x86_raise_exception(cpu, EXCP_UD);
    }
    x86_update_hflags(s);
}

void x86_lmsw(X86CPU *cpu, uint16_t value)
{
    X86State *s = &cpu->env;
    check_cpl0(cpu);
    /* LMSW writes PE, MP, EM, TS; it can set PE but never clear it. */
    uint64_t v = (s->cr[0] & ~0xeull) | (value & 0xf) | (s->cr[0] & CR0_PE);
    write_cr0(cpu, v);
    x86_update_hflags(s);
}

void x86_clts(X86CPU *cpu)
{
    check_cpl0(cpu);
    cpu->env.cr[0] &= ~(uint64_t)CR0_TS;
    x86_update_hflags(&cpu->env);
}

/* ---- debug registers -------------------------------------------------------------------------- */

#define DR6_FIXED1 0xffff0ff0u
#define DR6_BD (1u << 13)
#define DR7_FIXED1 0x400u
#define DR7_GD (1u << 13)

/* DR4/DR5 alias DR6/DR7 unless CR4.DE; with it they are #UD. MOV DR with
 * DR7.GD set raises #DB (BD in DR6) first. No breakpoints fire yet. */
static int dr_index(X86CPU *cpu, int dr)
{
    X86State *s = &cpu->env;
    check_cpl0(cpu);
    if (dr == 4 || dr == 5) {
        if (s->cr[4] & CR4_DE)
            x86_raise_exception(cpu, EXCP_UD);
        dr += 2;
    }
    if (dr < 0 || dr > 7)
        x86_raise_exception(cpu, EXCP_UD);
    if (s->dr[7] & DR7_GD) {
        s->dr[7] &= ~(uint64_t)DR7_GD;
        s->dr[6] |= DR6_BD;
        x86_raise_exception(cpu, EXCP_DB);
    }
    return dr;
}

uint64_t x86_read_dr(X86CPU *cpu, int dr)
{
    return cpu->env.dr[dr_index(cpu, dr)];
}

void x86_write_dr(X86CPU *cpu, int dr, uint64_t value)
{
    X86State *s = &cpu->env;
    dr = dr_index(cpu, dr);
    if (dr >= 6 && (value >> 32))
        gp0(cpu);
    if (dr == 6)
        value = (value & 0xe00fu) | DR6_FIXED1;
    else if (dr == 7)
        value = (value & 0xffff23ffu) | DR7_FIXED1;
    else if (!(s->efer & EFER_LMA))
        value = (uint32_t)value;
    s->dr[dr] = value;
}

/* ---- I/O ------------------------------------------------------------------------------------------ */

void x86_check_io(X86CPU *cpu, uint16_t port, int size)
{
    X86State *s = &cpu->env;
    if (!(s->cr[0] & CR0_PE))
        return;
    if (!(s->eflags & EF_VM) && cpl_of(s) <= (int)((s->eflags & EF_IOPL) >> EF_IOPL_SHIFT))
        return;
    /* The I/O permission bitmap of a 32-bit TSS (SDM 19.5.2): every bit of
     * the access must be clear; bits beyond the TSS limit count as set. */
    int type = x86_desc_type(s->tr.flags);
    if (!(s->tr.flags & DESC_P_MASK) || (type != DESC_TSS32_BUSY && type != DESC_TSS32_AVAIL) ||
        s->tr.limit < 103)
        gp0(cpu);
    uint32_t iobase = (uint32_t)x86_ld_kernel(cpu, s->tr.base + 102, 2);
    uint32_t off = iobase + (port >> 3);
    if (off + 1 > s->tr.limit)
        gp0(cpu);
    uint32_t bits = (uint32_t)x86_ld_kernel(cpu, s->tr.base + off, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        gp0(cpu);
}

uint32_t x86_in(X86CPU *cpu, uint16_t port, int size)
{
    if (!cpu->io)
        return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    return ioport_read(cpu->io, port, (unsigned)size);
}

void x86_out(X86CPU *cpu, uint16_t port, int size, uint32_t value)
{
    if (cpu->io)
        ioport_write(cpu->io, port, value, (unsigned)size);
}

PEMU_NORETURN void x86_hlt(X86CPU *cpu, uint64_t next_eip)
{
    check_cpl0(cpu);
    cpu->env.rip = next_eip;
    cpu->env.hflags &= ~HF_INHIBIT_IRQ;
    cpu->parent.halted = 1;
    cpu->parent.exception_index = EXCP_HLT;
    cpu_loop_exit_norestore(&cpu->parent);
}
