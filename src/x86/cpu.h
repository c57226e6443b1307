/*
 * The x86 CPU state: what the translator's globals point at, what helpers
 * change, what savevm, gdb and the monitor read.
 *
 * Layout rules:
 * - Registers are 64 bits wide whatever the mode; 16/32-bit code uses the
 *   low bits (a 32-bit write zero-extends only in 64-bit mode, exactly as the
 *   hardware does; the translator emits that).
 * - Arithmetic flags are lazy (DESIGN.md): cc_op says how the last
 *   flag-setting operation left CF/PF/AF/ZF/SF/OF in (cc_dst, cc_src,
 *   cc_src2); src/x86/flags.c computes them when read. DF is kept as +1/-1
 *   in `df`; every other EFLAGS bit is in `eflags`.
 * - hflags caches mode bits derived from CR0/CR4/EFER/segments so that the
 *   translator and the TB key read one word.
 * - Vector and x87 registers are stored as host integers; lane accessors
 *   below keep element order independent of host byte order.
 */
#ifndef PEMU_X86_CPU_H
#define PEMU_X86_CPU_H

#include <stdint.h>
#include "ports/host.h"
#include "src/cpu.h"

/* ---- general registers, segments ---------------------------------------- */

enum {
    R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, X86_NB_SEGS };

/*
 * A segment register's hidden part. `flags` holds bits 8..23 of the
 * descriptor's high dword in place (SDM 3.4.5): type 8..11, S 12, DPL
 * 13..14, P 15, limit 19..16 unused here, AVL 20, L 21, D/B 22, G 23.
 * `limit` is the expanded byte limit (G applied).
 */
typedef struct X86Segment {
    uint64_t base;
    uint32_t limit;
    uint32_t flags;
    uint16_t selector;
} X86Segment;

#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK  (15u << DESC_TYPE_SHIFT)
#define DESC_A_MASK     (1u << 8)   /* accessed (code/data) */
#define DESC_W_MASK     (1u << 9)   /* data: writable */
#define DESC_R_MASK     (1u << 9)   /* code: readable */
#define DESC_E_MASK     (1u << 10)  /* data: expand-down */
#define DESC_C_MASK     (1u << 10)  /* code: conforming */
#define DESC_CS_MASK    (1u << 11)  /* 1 = code */
#define DESC_S_MASK     (1u << 12)  /* 1 = code/data, 0 = system */
#define DESC_DPL_SHIFT  13
#define DESC_DPL_MASK   (3u << DESC_DPL_SHIFT)
#define DESC_P_MASK     (1u << 15)
#define DESC_AVL_MASK   (1u << 20)
#define DESC_L_MASK     (1u << 21)  /* 64-bit code segment */
#define DESC_B_MASK     (1u << 22)  /* D/B: 32-bit default size */
#define DESC_G_MASK     (1u << 23)  /* limit in 4 KiB units */

/* System descriptor types (S = 0). */
enum {
    DESC_TSS16_AVAIL = 1, DESC_LDT = 2, DESC_TSS16_BUSY = 3, DESC_CALL_GATE16 = 4,
    DESC_TASK_GATE = 5, DESC_INT_GATE16 = 6, DESC_TRAP_GATE16 = 7,
    DESC_TSS32_AVAIL = 9, DESC_TSS32_BUSY = 11, DESC_CALL_GATE32 = 12,
    DESC_INT_GATE32 = 14, DESC_TRAP_GATE32 = 15,
};

typedef struct X86DescTable {
    uint64_t base;
    uint32_t limit;
} X86DescTable;

/* ---- control registers, EFLAGS, EFER ---------------------------------- */

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

#define CR4_VME        (1u << 0)
#define CR4_PVI        (1u << 1)
#define CR4_TSD        (1u << 2)
#define CR4_DE         (1u << 3)
#define CR4_PSE        (1u << 4)
#define CR4_PAE        (1u << 5)
#define CR4_MCE        (1u << 6)
#define CR4_PGE        (1u << 7)
#define CR4_PCE        (1u << 8)
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE    (1u << 18)

#define CC_C  0x0001u
#define CC_P  0x0004u
#define CC_A  0x0010u
#define CC_Z  0x0040u
#define CC_S  0x0080u
#define CC_O  0x0800u
#define CC_ARITH (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

#define EF_FIXED1 0x00000002u /* bit 1 always reads 1 */
#define EF_TF   0x00000100u
#define EF_IF   0x00000200u
#define EF_DF   0x00000400u
#define EF_IOPL_SHIFT 12
#define EF_IOPL 0x00003000u
#define EF_NT   0x00004000u
#define EF_RF   0x00010000u
#define EF_VM   0x00020000u
#define EF_AC   0x00040000u
#define EF_VIF  0x00080000u
#define EF_VIP  0x00100000u
#define EF_ID   0x00200000u

#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* ---- hflags: mode bits the translator specializes on ------------------- */

#define HF_CPL_MASK    0x00000003u /* current privilege level */
#define HF_CS32        (1u << 2)   /* CS.D: 32-bit default operand/address size */
#define HF_SS32        (1u << 3)   /* SS.B: 32-bit stack pointer */
#define HF_ADDSEG      (1u << 4)   /* DS/ES/SS base may be non-zero: add it */
#define HF_PE          (1u << 5)   /* CR0.PE */
#define HF_VM          (1u << 6)   /* EFLAGS.VM (vm86) */
#define HF_LMA         (1u << 7)   /* long mode active */
#define HF_CS64        (1u << 8)   /* 64-bit code segment */
#define HF_TF          (1u << 9)   /* single-step trap after each instruction */
#define HF_INHIBIT_IRQ (1u << 10)  /* interrupt shadow (after STI, MOV SS) */
#define HF_MP          (1u << 11)  /* CR0.MP */
#define HF_EM          (1u << 12)  /* CR0.EM */
#define HF_TS          (1u << 13)  /* CR0.TS */
#define HF_OSFXSR      (1u << 14)  /* CR4.OSFXSR */
#define HF_IOPL_SHIFT  15          /* EFLAGS.IOPL copy (2 bits) */
#define HF_IOPL_MASK   (3u << HF_IOPL_SHIFT)
#define HF_AC          (1u << 17)  /* alignment checks: CR0.AM && EFLAGS.AC && CPL 3 */
#define HF_SMM         (1u << 18)

/* ---- lazy flags: how (cc_dst, cc_src, cc_src2) encode the flags ---------- */

/*
 * For each size suffix B/W/L/Q the result is cc_dst; cc_src and cc_src2
 * hold what the flag computation needs besides it. See src/x86/flags.c.
 */
#define X86_CC_OPS(S)                                                    \
    S(DYNAMIC)  /* only the translator uses this: cc_op is in env */     \
    S(EFLAGS)   /* flags are in cc_src, already computed */              \
    S(CLR)      /* Z and P set, the rest clear (xor r,r) */              \
    S(MULB) S(MULW) S(MULL) S(MULQ) /* dst = result, src = high part != 0 */ \
    S(ADDB) S(ADDW) S(ADDL) S(ADDQ) /* dst = result, src = src operand */   \
    S(ADCB) S(ADCW) S(ADCL) S(ADCQ) /* + src2 = carry in */             \
    S(SUBB) S(SUBW) S(SUBL) S(SUBQ) /* dst = result, src = src operand */   \
    S(SBBB) S(SBBW) S(SBBL) S(SBBQ) /* + src2 = borrow in */            \
    S(LOGICB) S(LOGICW) S(LOGICL) S(LOGICQ) /* dst = result */          \
    S(INCB) S(INCW) S(INCL) S(INCQ) /* dst = result, src = old CF */    \
    S(DECB) S(DECW) S(DECL) S(DECQ) /* dst = result, src = old CF */    \
    S(SHLB) S(SHLW) S(SHLL) S(SHLQ) /* dst = result, src = value shifted by count-1 */ \
    S(SARB) S(SARW) S(SARL) S(SARQ) /* dst = result, src = value shifted by count-1 */

typedef enum X86CCOp {
#define X86_CC_ENUM(n) CC_OP_##n,
    X86_CC_OPS(X86_CC_ENUM)
#undef X86_CC_ENUM
    CC_OP_NB
} X86CCOp;

/* ---- exceptions --------------------------------------------------------- */

enum {
    EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_OF = 4, EXCP_BR = 5,
    EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8, EXCP_TS = 10, EXCP_NP = 11, EXCP_SS = 12,
    EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16, EXCP_AC = 17, EXCP_MC = 18, EXCP_XM = 19,
};

/* Page-fault error code bits (SDM 4.7). */
#define PF_ERR_P    (1u << 0)
#define PF_ERR_W    (1u << 1)
#define PF_ERR_U    (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I    (1u << 4)

/* ---- MSRs implemented ---------------------------------------------------- */

#define MSR_TSC            0x00000010u
#define MSR_APIC_BASE      0x0000001bu
#define MSR_TSC_DEADLINE   0x000006e0u
#define MSR_MISC_ENABLE    0x000001a0u
/* XCR0 (XSETBV): the state components XSAVE manages; pemu has x87 and SSE. */
#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_SUPPORTED (XCR0_X87 | XCR0_SSE)
#define XSAVE_AREA_SIZE 576u /* standard form: legacy region 512 + header 64 */
#define MSR_PLATFORM_ID    0x00000017u /* read-only: platform bits 52:50 */
#define MSR_BIOS_SIGN_ID   0x0000008bu /* microcode update signature */
#define MISC_ENABLE_FAST_STRING 1u  /* IA32_MISC_ENABLE bit 0, set at reset */
#define MSR_SYSENTER_CS    0x00000174u
#define MSR_SYSENTER_ESP   0x00000175u
#define MSR_SYSENTER_EIP   0x00000176u
#define MSR_MTRRCAP        0x000000feu
#define MSR_MTRR_PHYSBASE0 0x00000200u /* 0x200 + 2n base, 0x201 + 2n mask, n < 8 */
#define MSR_MTRR_FIX64K    0x00000250u
#define MSR_MTRR_FIX16K    0x00000258u /* and 0x259 */
#define MSR_MTRR_FIX4K     0x00000268u /* .. 0x26f */
#define MSR_MTRR_DEF_TYPE  0x000002ffu
#define X86_MTRR_NVAR      8
#define MSR_PAT            0x00000277u
#define MSR_EFER           0xc0000080u
#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_CSTAR          0xc0000083u
#define MSR_FMASK          0xc0000084u
#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX        0xc0000103u

/* ---- x87 and SSE registers ------------------------------------------------ */

/* An 80-bit extended value: 64-bit significand (explicit integer bit), sign+exponent. */
typedef struct X86Float80 {
    uint64_t mant;
    uint16_t sexp;
} X86Float80;

/*
 * An XMM register as two host 64-bit halves, q[0] = bits 0..63. Use the
 * accessors for narrower lanes: they are correct on any host byte order.
 */
typedef struct X86Xmm {
    uint64_t q[2];
} X86Xmm;

static inline uint32_t xmm_get_l(const X86Xmm *x, unsigned i)
{
    return (uint32_t)(x->q[i >> 1] >> ((i & 1) * 32));
}

static inline void xmm_set_l(X86Xmm *x, unsigned i, uint32_t v)
{
    unsigned sh = (i & 1) * 32;
    x->q[i >> 1] = (x->q[i >> 1] & ~(0xffffffffull << sh)) | ((uint64_t)v << sh);
}

static inline uint16_t xmm_get_w(const X86Xmm *x, unsigned i)
{
    return (uint16_t)(x->q[i >> 2] >> ((i & 3) * 16));
}

static inline void xmm_set_w(X86Xmm *x, unsigned i, uint16_t v)
{
    unsigned sh = (i & 3) * 16;
    x->q[i >> 2] = (x->q[i >> 2] & ~(0xffffull << sh)) | ((uint64_t)v << sh);
}

static inline uint8_t xmm_get_b(const X86Xmm *x, unsigned i)
{
    return (uint8_t)(x->q[i >> 3] >> ((i & 7) * 8));
}

static inline void xmm_set_b(X86Xmm *x, unsigned i, uint8_t v)
{
    unsigned sh = (i & 7) * 8;
    x->q[i >> 3] = (x->q[i >> 3] & ~(0xffull << sh)) | ((uint64_t)v << sh);
}

/* ---- the state ------------------------------------------------------------ */

typedef struct X86State {
    uint64_t regs[16];
    uint64_t rip;

    /* lazy arithmetic flags */
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t cc_op;     /* X86CCOp */
    int32_t df;         /* +1 or -1 */
    uint32_t eflags;    /* all bits except the arithmetic ones and DF */
    uint32_t hflags;    /* HF_* */

    X86Segment segs[X86_NB_SEGS];
    X86Segment ldt, tr;
    X86DescTable gdt, idt;

    uint64_t cr[5];     /* cr0, cr1 (unused), cr2, cr3, cr4 */
    uint64_t cr8;       /* task priority (through the local APIC) */
    uint64_t dr[8];
    uint64_t a20_mask;  /* ~(1 << 20) when the A20 gate is closed */
    uint32_t tlb_large; /* mmu.c: a 2M/4M/1G page was cached since the last full flush */
    /* The smallest aligned range holding every such page: INVLPG outside
     * it needs no full flush (QEMU keeps the same pair). */
    uint64_t tlb_large_addr, tlb_large_mask;

    /* MSRs */
    uint64_t efer, star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, mtrr_deftype, apic_base, tsc_offset, tsc_aux, misc_enable;
    uint64_t xcr0;      /* XSAVE feature mask (XCR0_*) */
    uint64_t mtrr_var[2 * X86_MTRR_NVAR]; /* PHYSBASEn, PHYSMASKn pairs */
    uint64_t mtrr_fixed[11];              /* 64K_00000, 16K_80000/A0000, 4K_C0000..F8000 */

    /* x87: fpregs[i] is the physical register i; ST(n) = fpregs[(fpstt + n) & 7] */
    X86Float80 fpregs[8];
    uint32_t fpstt;     /* top of stack */
    uint16_t fpuc, fpus;
    uint8_t fptags[8];  /* 1 = empty */
    uint16_t fpop;
    uint16_t fpcs, fpds;
    uint64_t fpip, fpdp;

    X86Xmm xmm[16];
    X86Xmm xmm_tmp;     /* not architectural: SSE memory operands, loaded by the translator */
    uint32_t mxcsr;

    /* exception being delivered (its number is CPUState.exception_index) */
    int32_t error_code;
    int32_t exception_is_int;   /* software INT n: delivered with the next eip */
    uint64_t exception_next_eip;
    int32_t old_exception;      /* for double-fault detection, -1 when none */
    uint32_t nmi_blocked;       /* an NMI handler runs: NMIs wait for the next IRET */
} X86State;

/* ---- the vCPU ------------------------------------------------------------- */

/*
 * The local APIC as the CPU reaches it (hw/apic.c, installed by the board):
 * IA32_APIC_BASE, IA32_TSC_DEADLINE and CR8. With no hooks the CPU has no
 * APIC: CPUID.1:EDX.APIC is clear and CR8/APIC_BASE use env fields.
 */
typedef struct X86APICHooks {
    uint64_t (*get_base)(void *apic);
    bool (*set_base)(void *apic, uint64_t value);     /* false: #GP */
    uint64_t (*get_tsc_deadline)(void *apic);
    /* tsc: the MSR value; deadline_ns: the virtual-clock time it means */
    void (*set_tsc_deadline)(void *apic, uint64_t tsc, int64_t deadline_ns);
    uint8_t (*get_cr8)(void *apic);                    /* TPR[7:4] */
    void (*set_cr8)(void *apic, uint8_t cr8);
} X86APICHooks;

/*
 * The engine's generic CPUState comes first, so the one "env" pointer the
 * interpreter runs with reaches the interpreter frame, the TLB and the x86
 * registers as plain byte offsets (X86_ENV_OFFSET).
 */
typedef struct X86CPU {
    CPUState parent;
    X86State env;
    uint32_t cpuid_version;    /* CPUID.1:EAX family/model/stepping, EDX at reset */
    uint32_t apic_id;
    /* The board's wiring (devices never see the CPU; the CPU sees these). */
    struct IOPortSpace *io;    /* IN/OUT/INS/OUTS */
    int (*intack)(void *opaque);          /* INTR taken: the vector */
    void *intack_opaque;
    void (*shutdown)(void *opaque);       /* triple fault: the board resets */
    void *shutdown_opaque;
    const X86APICHooks *apic_hooks;       /* NULL: no local APIC */
    void *apic;
    /* savevm (src/x86/machine.c): the whole EFLAGS, and the hflags bits
     * no other state implies, filled just before a save */
    uint32_t saved_eflags, saved_hflags;
} X86CPU;

#define X86_ENV_OFFSET(field) ((int32_t)(offsetof(X86CPU, env) + offsetof(X86State, field)))

static inline X86CPU *x86_cpu(CPUState *cpu)
{
    return (X86CPU *)(void *)cpu;
}

/*
 * MMU indices (softmmu TLBs): supervisor and user accesses are cached apart
 * because paging's U/S and WP rules give them different rights.
 */
enum { X86_MMU_KERNEL = 0, X86_MMU_USER = 1, X86_MMU_COUNT = 2 };

/* savevm: the vCPU's state as section "cpu" (instance: its index). */
void x86_cpu_vmstate_register(X86CPU *cpu);

/* Power-on / RESET state (SDM Vol. 3 9.1.1, table 9-1). */
void x86_cpu_reset(X86CPU *cpu);
/* Recompute env.hflags from CR0, CR4, EFER, EFLAGS and the segment caches;
 * call after changing any of them. Keeps HF_INHIBIT_IRQ and HF_SMM. */
void x86_update_hflags(X86State *s);
/* CPL 3 accesses use X86_MMU_USER, everything else X86_MMU_KERNEL. */
static inline int x86_mmu_index(const X86State *s)
{
    return (s->hflags & HF_CPL_MASK) == 3 ? X86_MMU_USER : X86_MMU_KERNEL;
}

/*
 * Raise a guest exception from a helper: the state of the faulting
 * instruction is restored from the block's side table and the CPU loop
 * delivers it. err < 0: the exception has no error code.
 */
PEMU_NORETURN void x86_raise_exception(X86CPU *cpu, int excp);
PEMU_NORETURN void x86_raise_exception_err(X86CPU *cpu, int excp, int err);
/* INT n / INT3 / INTO: a software interrupt delivered with the return address next_eip. */
PEMU_NORETURN void x86_raise_interrupt(X86CPU *cpu, int intno, uint64_t next_eip);

#endif
