/*
 * A real X86CPU over 4 MiB of fake guest RAM for the system-helper tests
 * (test_x86_mmu/seg/excp/misc.c): guest memory accessors, descriptor and
 * gate builders, a flat protected-mode setup, and XT_RUN to catch the
 * exceptions helpers raise (they longjmp to CPUState.jmp_env).
 */
#ifndef TEST_X86_SYS_TEST_H
#define TEST_X86_SYS_TEST_H

#include <setjmp.h>
#include <string.h>
#include "src/softmmu.h"
#include "src/x86/flags.h"
#include "src/x86/helper_sys.h"
#include "src/x86/seg.h"

#define XT_RAM_SIZE (4u << 20)

static uint8_t xt_ram[XT_RAM_SIZE];
static int xt_io_writes;

static inline uint8_t *xt_ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    (void)ro;
    return ppage < XT_RAM_SIZE ? xt_ram + ppage : NULL;
}

static inline uint64_t xt_io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque;
    (void)paddr;
    return ~0ull >> (64 - 8 * size);
}

static inline void xt_io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)paddr;
    (void)val;
    (void)size;
    xt_io_writes++;
}

static const SoftmmuPhys xt_phys = { NULL, xt_ram_page, xt_io_read, xt_io_write, NULL };

static inline int xt_mmu_code(CPUState *cs)
{
    return x86_mmu_index(&x86_cpu(cs)->env);
}

static const CPUTargetOps xt_ops = {
    .name = "x86-sys-test",
    .mmu_index_code = xt_mmu_code,
    .tlb_fill = x86_tlb_fill,
};

static X86CPU xt_cpu;
static int xt_exc;            /* exception raised by the last XT_RUN, EXCP_NONE if none */
static PEMU_UNUSED uint64_t xt_val;     /* a result slot for statements run by XT_RUN */

static inline X86CPU *xt_new(void)
{
    X86CPU *cpu = &xt_cpu;
    cpu_exit_list(&cpu->parent);
    memset(cpu, 0, sizeof(*cpu));
    memset(xt_ram, 0, sizeof(xt_ram));
    cpu->cpuid_version = 0x633;
    cpu_init(&cpu->parent, &xt_ops, &xt_phys);
    x86_cpu_reset(cpu);
    return cpu;
}

/* Run stmt like a helper call inside cpu_exec: xt_exc gets the exception. */
#define XT_RUN(cpu, stmt)                                  \
    do {                                                   \
        (cpu)->parent.in_exec = 1;                         \
        (cpu)->parent.exception_index = EXCP_NONE;         \
        if (setjmp((cpu)->parent.jmp_env) == 0) {          \
            stmt;                                          \
        }                                                  \
        (cpu)->parent.in_exec = 0;                         \
        xt_exc = (cpu)->parent.exception_index;            \
    } while (0)

/* One x86_do_interrupt as the CPU loop calls it: false if it raised. */
static inline bool xt_do_interrupt_once(X86CPU *cpu)
{
    cpu->parent.in_exec = 1;
    if (setjmp(cpu->parent.jmp_env) == 0) {
        x86_do_interrupt(cpu);
        cpu->parent.in_exec = 0;
        return true;
    }
    cpu->parent.in_exec = 0;
    return false;
}

/* The CPU loop's delivery: do_interrupt again for a fault raised while
 * delivering, until delivered or stopped. Returns the number of the last
 * exception raised (before any #DF conversion), or EXCP_HLT on shutdown. */
static inline int xt_deliver(X86CPU *cpu, int excp, int err, int is_int, uint64_t next_eip)
{
    cpu->parent.exception_index = excp;
    cpu->env.error_code = err;
    cpu->env.exception_is_int = is_int;
    cpu->env.exception_next_eip = next_eip;
    for (int i = 0; i < 8; i++) {
        int cur = cpu->parent.exception_index;
        if (cur >= EXCP_FIRST_INTERNAL)
            return cur;
        if (xt_do_interrupt_once(cpu)) {
            cpu->parent.exception_index = EXCP_NONE;
            return cur;
        }
    }
    return -2;
}

static inline uint32_t xt_r32(uint64_t pa) { return ld32_le(xt_ram + pa); }
static inline uint16_t xt_r16(uint64_t pa) { return ld16_le(xt_ram + pa); }
static inline uint64_t xt_r64(uint64_t pa) { return ld64_le(xt_ram + pa); }
static inline void xt_w32(uint64_t pa, uint32_t v) { st32_le(xt_ram + pa, v); }
static inline void xt_w16(uint64_t pa, uint16_t v) { st16_le(xt_ram + pa, v); }
static inline void xt_w64(uint64_t pa, uint64_t v) { st64_le(xt_ram + pa, v); }

/* Descriptor rights in X86Segment.flags layout (bits 8..23 of the high dword). */
#define XT_CODE32(dpl) (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_B_MASK | \
                        DESC_G_MASK | ((uint32_t)(dpl) << DESC_DPL_SHIFT))
#define XT_DATA32(dpl) (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_B_MASK | DESC_G_MASK | \
                        ((uint32_t)(dpl) << DESC_DPL_SHIFT))
#define XT_SYS(type, dpl) (DESC_P_MASK | ((uint32_t)(type) << DESC_TYPE_SHIFT) | \
                           ((uint32_t)(dpl) << DESC_DPL_SHIFT))

static inline void xt_desc_make(uint32_t base, uint32_t limit, uint32_t rights, uint32_t *e1, uint32_t *e2)
{
    *e1 = (limit & 0xffffu) | (base << 16);
    *e2 = ((base >> 16) & 0xffu) | (rights & 0x00f0ff00u) | (limit & 0xf0000u) | (base & 0xff000000u);
}

/* Descriptor `sel` in the table at physical `table` (paging is off in most tests). */
static inline void xt_desc(uint64_t table, uint16_t sel, uint32_t base, uint32_t limit, uint32_t rights)
{
    uint32_t e1, e2;
    xt_desc_make(base, limit, rights, &e1, &e2);
    xt_w32(table + (sel & ~7u), e1);
    xt_w32(table + (sel & ~7u) + 4, e2);
}

static inline void xt_gate(uint64_t table, unsigned index, uint16_t sel, uint32_t off, int type, int dpl,
                    int params)
{
    xt_w32(table + index * 8, (off & 0xffffu) | ((uint32_t)sel << 16));
    xt_w32(table + index * 8 + 4, (off & 0xffff0000u) | DESC_P_MASK | ((uint32_t)type << 8) |
                                      ((uint32_t)dpl << DESC_DPL_SHIFT) | (uint32_t)(params & 31));
}

/*
 * Flat 32-bit protected mode, paging off:
 *   GDT 0x1000: 0x08 code DPL0, 0x10 data DPL0, 0x18 code DPL3 (0x1b),
 *   0x20 data DPL3 (0x23), 0x28 TSS32 at 0x3000 (limit 0xe8: I/O bitmap
 *   at 0x68 for ports 0..0x3ff, all denied), 0x30 code DPL0
 *   conforming, 0x38 data DPL1, 0x40 16-bit code DPL0 (limit 0xffff).
 *   IDT 0x2000 (256 entries). TSS ESP0 = 0x9000, SS0 = 0x10.
 */
#define XT_GDT 0x1000u
#define XT_IDT 0x2000u
#define XT_TSS 0x3000u

static inline void xt_load(X86CPU *cpu, int seg, uint16_t sel)
{
    uint32_t e1, e2;
    e1 = xt_r32(XT_GDT + (sel & ~7u));
    e2 = xt_r32(XT_GDT + (sel & ~7u) + 4);
    if (seg == R_CS)
        x86_seg_cache_load_cs(&cpu->env.segs[R_CS], sel, e1, e2, sel & 3);
    else
        x86_seg_cache_load(&cpu->env.segs[seg], sel, e1, e2);
}

static inline void xt_pm(X86CPU *cpu, int cpl)
{
    X86State *s = &cpu->env;
    xt_desc(XT_GDT, 0x08, 0, 0xfffff, XT_CODE32(0));
    xt_desc(XT_GDT, 0x10, 0, 0xfffff, XT_DATA32(0));
    xt_desc(XT_GDT, 0x18, 0, 0xfffff, XT_CODE32(3));
    xt_desc(XT_GDT, 0x20, 0, 0xfffff, XT_DATA32(3));
    xt_desc(XT_GDT, 0x28, XT_TSS, 0xe8, XT_SYS(DESC_TSS32_BUSY, 0));
    xt_desc(XT_GDT, 0x30, 0, 0xfffff, XT_CODE32(0) | DESC_C_MASK);
    xt_desc(XT_GDT, 0x38, 0, 0xfffff, XT_DATA32(1));
    xt_desc(XT_GDT, 0x40, 0, 0xffff, DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK);
    s->gdt.base = XT_GDT;
    s->gdt.limit = 0xff;
    s->idt.base = XT_IDT;
    s->idt.limit = 0x7ff;
    xt_w32(XT_TSS + 4, 0x9000);
    xt_w32(XT_TSS + 8, 0x10);
    xt_w16(XT_TSS + 102, 0x68);
    memset(xt_ram + XT_TSS + 0x68, 0xff, 0x81);
    s->cr[0] |= CR0_PE;
    xt_load(cpu, R_CS, cpl ? 0x1b : 0x08);
    for (int i = 0; i < X86_NB_SEGS; i++)
        if (i != R_CS)
            xt_load(cpu, i, cpl ? 0x23 : 0x10);
    uint32_t e1 = xt_r32(XT_GDT + 0x28), e2 = xt_r32(XT_GDT + 0x2c);
    x86_seg_cache_load(&s->tr, 0x28, e1, e2);
    s->regs[R_ESP] = cpl ? 0x7000 : 0x8000;
    s->eflags = EF_FIXED1;
    x86_update_hflags(s);
}

#endif
