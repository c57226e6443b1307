/*
 * A tiny synthetic target for the engine's unit tests (no x86 needed):
 * fake RAM, a ROM page and an MMIO device behind SoftmmuPhys, a one-level
 * page table the tests edit, and a 4-byte-per-instruction guest ISA read
 * from guest memory (so self-modifying code really re-translates):
 *
 *   op a b imm   (imm: signed byte)
 *   01 ADDI  r[a] += imm
 *   02 ADD   r[a] += r[b]
 *   03 LD    r[a] = mem32[r[b] + imm]
 *   04 ST    mem32[r[b] + imm] = r[a]
 *   05 JNZ   if (r[a]) pc += imm*4 else next        (goto_tb 0 / goto_tb 1)
 *   06 JR    pc = r[a]                               (goto_lookup)
 *   07 RAISE helper raising exception imm           (precise restore)
 *   08 HLT   leave the loop with EXCP_HLT
 *   09 MOVI  r[a] = imm
 *   0a SPIN  r[a] times around an internal loop     (backward branch in a TB)
 *   0b STB   mem8[r[b] + imm] = r[a]
 *   0c LDX   r[a] = mem32[r[b]] with r[b] an i32 addr at mmu 1
 * Every instruction starts with insn_start(pc, opcode) and ends the block
 * at JNZ/JR/RAISE-free ends, at a page end or at max_insns.
 */
#ifndef TEST_TB_TARGET_H
#define TEST_TB_TARGET_H

#include <stdlib.h>
#include <string.h>
#include "interp/interp.h"
#include "ir/ir.h"
#include "src/cpu.h"
#include "src/softmmu.h"
#include "src/tb.h"

#define SYN_RAM_SIZE  (64u * 1024)
#define SYN_ROM_BASE  0x80000u
#define SYN_MMIO_BASE 0x100000u
#define SYN_NPAGES    1024 /* virtual pages [0, 4 MiB) */
#define SYN_EXCP_PF   14

typedef struct SynCPU {
    CPUState cpu;
    uint64_t pc;
    uint64_t r[8];
    uint32_t a32;           /* an i32 global */
    uint64_t restored_data; /* data from the last restore_state */
    int restores;
    int excp_seen[32];
    uint64_t fault_addr;
    /* page table: vpage -> ppage | prot (0 = not present) */
    uint64_t pt[SYN_NPAGES];
    IRFunc f;
    IRTemp g_pc, g_r[8], g_a32;
    int translations;
} SynCPU;

static uint8_t syn_ram[SYN_RAM_SIZE];
static uint8_t syn_rom[TARGET_PAGE_SIZE];
static uint64_t syn_mmio_regs[16];
static int syn_mmio_reads, syn_mmio_writes;
static uint64_t syn_mmio_last_val;
static unsigned syn_mmio_last_size;

static uint8_t *syn_ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    if (ppage < SYN_RAM_SIZE)
        return syn_ram + ppage;
    if (ppage == SYN_ROM_BASE) {
        *ro = true;
        return syn_rom;
    }
    return NULL;
}

static uint64_t syn_io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque;
    syn_mmio_reads++;
    syn_mmio_last_size = size;
    if (paddr >= SYN_MMIO_BASE && paddr < SYN_MMIO_BASE + 128)
        return syn_mmio_regs[(paddr - SYN_MMIO_BASE) / 8] & (size == 8 ? ~0ull : ((1ull << (size * 8)) - 1));
    return ~0ull >> (64 - size * 8);
}

static void syn_io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque;
    syn_mmio_writes++;
    syn_mmio_last_val = val;
    syn_mmio_last_size = size;
    if (paddr >= SYN_MMIO_BASE && paddr < SYN_MMIO_BASE + 128)
        syn_mmio_regs[(paddr - SYN_MMIO_BASE) / 8] = val;
}

static const SoftmmuPhys syn_phys = { NULL, syn_ram_page, syn_io_read, syn_io_write, NULL };

static void syn_get_key(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    SynCPU *s = (SynCPU *)cpu;
    *pc = s->pc;
    *cs_base = 0;
    *flags = 0;
}

static int syn_mmu_code(CPUState *cpu)
{
    (void)cpu;
    return 0;
}

static bool syn_tlb_fill(CPUState *cpu, uint64_t vaddr, MMUAccessType acc, int mmu, bool probe,
                         uint64_t *paddr, uint32_t *prot)
{
    SynCPU *s = (SynCPU *)cpu;
    (void)mmu;
    uint64_t vp = vaddr >> TARGET_PAGE_BITS;
    uint64_t e = vp < SYN_NPAGES ? s->pt[vp] : 0;
    uint32_t need = acc == MMU_DATA_LOAD ? PAGE_READ : acc == MMU_DATA_STORE ? PAGE_WRITE : PAGE_EXEC;
    if (!(e & need)) {
        if (probe)
            return false;
        s->fault_addr = vaddr;
        cpu_raise(cpu, SYN_EXCP_PF);
    }
    *paddr = e & TARGET_PAGE_MASK;
    *prot = (uint32_t)(e & 7);
    return true;
}

static void syn_restore(CPUState *cpu, const TranslationBlock *tb, uint64_t pc, uint64_t data)
{
    SynCPU *s = (SynCPU *)cpu;
    (void)tb;
    s->pc = pc;
    s->restored_data = data;
    s->restores++;
}

static void syn_do_interrupt(CPUState *cpu)
{
    SynCPU *s = (SynCPU *)cpu;
    if (cpu->exception_index >= 0 && cpu->exception_index < 32)
        s->excp_seen[cpu->exception_index]++;
    /* the test guest resumes after the faulting instruction */
    s->pc += 4;
}

static uint64_t syn_helper_raise(void *env, uint64_t excp)
{
    cpu_raise((CPUState *)env, (int)excp);
}
static const IRHelperInfo syn_raise_info = { "raise", { .f1 = syn_helper_raise }, 1, 0, 0 };

static uint64_t syn_helper_hlt(void *env)
{
    SynCPU *s = env;
    s->cpu.halted = 1;
    cpu_loop_exit_norestore(&s->cpu);
}
static const IRHelperInfo syn_hlt_info = { "hlt", { .f0 = syn_helper_hlt }, 0, 0, 0 };

static IRFunc *syn_translate(CPUState *cpu, TranslationBlock *tb, int max_insns)
{
    SynCPU *s = (SynCPU *)cpu;
    IRFunc *f = &s->f;
    ir_func_reset(f);
    uint64_t pc = tb->pc;
    int n = 0;
    bool end = false;
    s->translations++;
    while (!end) {
        uint32_t insn = (uint32_t)softmmu_ld_code(cpu, pc, 4);
        unsigned op = insn & 0xff, a = (insn >> 8) & 7, b = (insn >> 16) & 7;
        int64_t imm = (int8_t)(insn >> 24);
        ir_insn_start(f, pc, op);
        n++;
        switch (op) {
        case 0x01: ir_op2i(f, IR_add, IR_I64, s->g_r[a], s->g_r[a], (uint64_t)imm); break;
        case 0x02: ir_op2(f, IR_add, IR_I64, s->g_r[a], s->g_r[a], s->g_r[b]); break;
        case 0x03: case 0x04: {
            IRTemp t = ir_temp_new(f, IR_I64);
            ir_op2i(f, IR_add, IR_I64, t, s->g_r[b], (uint64_t)imm);
            if (op == 0x03)
                ir_qemu_ld(f, IR_I64, s->g_r[a], t, IR_MO_32, 0);
            else
                ir_qemu_st(f, IR_I64, s->g_r[a], t, IR_MO_32, 0);
            break;
        }
        case 0x0b: {
            IRTemp t = ir_temp_new(f, IR_I64);
            ir_op2i(f, IR_add, IR_I64, t, s->g_r[b], (uint64_t)imm);
            ir_qemu_st(f, IR_I64, s->g_r[a], t, IR_MO_8, 0);
            break;
        }
        case 0x05: {
            uint32_t l = ir_label_new(f);
            ir_brcondi(f, IR_I64, IR_COND_NE, s->g_r[a], 0, l);
            ir_goto_tb(f, 1);
            ir_movi(f, IR_I64, s->g_pc, pc + 4);
            ir_exit_tb(f, 1);
            ir_set_label(f, l);
            ir_goto_tb(f, 0);
            ir_movi(f, IR_I64, s->g_pc, pc + (uint64_t)(imm * 4));
            ir_exit_tb(f, 0);
            end = true;
            break;
        }
        case 0x06:
            ir_mov(f, IR_I64, s->g_pc, s->g_r[a]);
            ir_goto_lookup(f);
            end = true;
            break;
        case 0x07: {
            IRTemp in = ir_const(f, IR_I64, (uint64_t)imm);
            ir_emit_call(f, &syn_raise_info, IR_NO_TEMP, &in, 1);
            break;
        }
        case 0x08:
            ir_movi(f, IR_I64, s->g_pc, pc + 4);
            ir_emit_call(f, &syn_hlt_info, IR_NO_TEMP, NULL, 0);
            end = true;
            break;
        case 0x09: ir_movi(f, IR_I64, s->g_r[a], (uint64_t)imm); break;
        case 0x0a: {
            uint32_t top = ir_label_new(f), out = ir_label_new(f);
            ir_set_label(f, top);
            ir_brcondi(f, IR_I64, IR_COND_EQ, s->g_r[a], 0, out);
            ir_op2i(f, IR_sub, IR_I64, s->g_r[a], s->g_r[a], 1);
            ir_br(f, top);
            ir_set_label(f, out);
            break;
        }
        case 0x0c: {
            IRTemp t = ir_temp_new(f, IR_I32);
            ir_op1(f, IR_extrl_i64_i32, IR_I32, t, s->g_r[b]);
            ir_qemu_ld(f, IR_I64, s->g_r[a], t, IR_MO_32 | IR_MO_ADDR32, 1);
            break;
        }
        default:
            ir_emit_call(f, &syn_raise_info, IR_NO_TEMP, (IRTemp[]){ ir_const(f, IR_I64, 6) }, 1);
            end = true;
            break;
        }
        pc += 4;
        if (!end && (n >= max_insns || (pc & ~TARGET_PAGE_MASK) == 0)) {
            ir_goto_tb(f, 0);
            ir_movi(f, IR_I64, s->g_pc, pc);
            ir_exit_tb(f, 0);
            end = true;
        }
    }
    tb->size = (uint32_t)(pc - tb->pc);
    tb->icount = (uint32_t)n;
    return f;
}

static const CPUTargetOps syn_ops = {
    .name = "synthetic",
    .get_tb_key = syn_get_key,
    .mmu_index_code = syn_mmu_code,
    .translate = syn_translate,
    .tlb_fill = syn_tlb_fill,
    .restore_state = syn_restore,
    .do_interrupt = syn_do_interrupt,
};

static SynCPU *syn_new(void)
{
    SynCPU *s = calloc(1, sizeof(*s));
    memset(syn_ram, 0, sizeof(syn_ram));
    memset(syn_rom, 0xa5, sizeof(syn_rom));
    memset(syn_mmio_regs, 0, sizeof(syn_mmio_regs));
    syn_mmio_reads = syn_mmio_writes = 0;
    cpu_init(&s->cpu, &syn_ops, &syn_phys);
    ir_func_init(&s->f);
    static const char *const names[8] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7" };
    s->g_pc = ir_global_new(&s->f, IR_I64, (int32_t)offsetof(SynCPU, pc), "pc");
    for (int i = 0; i < 8; i++)
        s->g_r[i] = ir_global_new(&s->f, IR_I64, (int32_t)(offsetof(SynCPU, r) + 8 * i), names[i]);
    s->g_a32 = ir_global_new(&s->f, IR_I32, (int32_t)offsetof(SynCPU, a32), "a32");
    /* identity map RAM, ROM and MMIO; everything RWX */
    for (uint64_t p = 0; p < SYN_RAM_SIZE; p += TARGET_PAGE_SIZE)
        s->pt[p >> TARGET_PAGE_BITS] = p | 7;
    s->pt[SYN_ROM_BASE >> TARGET_PAGE_BITS] = SYN_ROM_BASE | 7;
    s->pt[SYN_MMIO_BASE >> TARGET_PAGE_BITS] = SYN_MMIO_BASE | 3;
    tb_init(1u << 20);
    return s;
}

static void syn_free(SynCPU *s)
{
    cpu_exit_list(&s->cpu);
    ir_func_free(&s->f);
    free(s);
}

PEMU_UNUSED static void syn_put(uint64_t addr, unsigned op, unsigned a, unsigned b, int imm)
{
    st32_le(syn_ram + addr, op | a << 8 | b << 16 | (uint32_t)(uint8_t)imm << 24);
}

/* Run one block outside cpu_exec; -1 if it raised (longjmp caught here). */
PEMU_UNUSED static int syn_exec_tb(SynCPU *s, TranslationBlock *tb, uintptr_t *ret)
{
    s->cpu.in_exec = 1;
    if (setjmp(s->cpu.jmp_env)) {
        s->cpu.in_exec = 0;
        return -1;
    }
    *ret = interp_exec(&s->cpu, tb);
    s->cpu.in_exec = 0;
    return 0;
}

/* The skins this binary has, for looping tests over both. */
PEMU_UNUSED static int syn_skins(InterpDispatch *out)
{
    int n = 0;
    out[n++] = INTERP_DISPATCH_SWITCH;
    if (interp_dispatch_available(INTERP_DISPATCH_GOTO))
        out[n++] = INTERP_DISPATCH_GOTO;
    return n;
}

#endif
