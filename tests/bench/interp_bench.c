/*
 * Interpreter micro-benchmark driver (run under callgrind by
 * tests/bench/interp.bench.sh): one synthetic block shaped like translated
 * x86 code (lazy flags: cc_src/cc_dst stores), chained to itself with
 * goto_tb 0 and leaving through goto_tb 1 when its counter reaches zero.
 *
 *   interp_bench LOOP SKIN FUSION ITERS
 *     LOOP   alu | ldst | branch
 *     SKIN   goto | switch
 *     FUSION 1 | 0 (multi-op fused rows on/off)
 *
 * bench_run() is the only function callgrind counts (--toggle-collect);
 * the script runs two iteration counts and takes the difference, so setup
 * cancels out. Prints the IR ops and guest instructions (insn_start) that
 * ITERS iterations execute, from a C model of the same block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp/interp.h"
#include "ir/ir.h"
#include "src/cpu.h"
#include "src/softmmu.h"
#include "src/tb.h"

typedef struct BenchCPU {
    CPUState cpu;
    uint32_t eax, ebx, ecx, edx, esi, edi, cc_src, cc_dst;
    uint64_t eip;
} BenchCPU;

static uint8_t ram[1u << 16];

static uint8_t *ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    (void)ro;
    return ppage < sizeof(ram) ? ram + ppage : NULL;
}
static uint64_t io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque;
    (void)paddr;
    (void)size;
    return 0;
}
static void io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)paddr;
    (void)val;
    (void)size;
}
static const SoftmmuPhys phys = { NULL, ram_page, io_read, io_write, NULL };

static bool tlb_fill(CPUState *cpu, uint64_t vaddr, MMUAccessType acc, int mmu, bool probe,
                     uint64_t *paddr, uint32_t *prot)
{
    (void)acc;
    (void)mmu;
    (void)probe;
    if (vaddr >= sizeof(ram)) {
        fprintf(stderr, "interp_bench: access outside RAM at 0x%llx\n", (unsigned long long)vaddr);
        exit(1);
    }
    (void)cpu;
    *paddr = vaddr & TARGET_PAGE_MASK;
    *prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
    return true;
}
static void get_key(CPUState *cpu, uint64_t *pc, uint64_t *cs, uint32_t *flags)
{
    *pc = ((BenchCPU *)cpu)->eip;
    *cs = 0;
    *flags = 0;
}
static int mmu_code(CPUState *cpu)
{
    (void)cpu;
    return 0;
}
static const CPUTargetOps ops = { .name = "bench", .get_tb_key = get_key,
                                  .mmu_index_code = mmu_code, .tlb_fill = tlb_fill };

static IRFunc f;
static IRTemp g_eax, g_ebx, g_ecx, g_edx, g_esi, g_edi, g_src, g_dst, g_eip;
static uint64_t pc_next;

static void insn(void)
{
    ir_insn_start(&f, pc_next, 0);
    pc_next += 2;
}

/* x86-style "op r, r/imm" with lazy flags, as a front end emits it */
static void alu_flags(IROpcode op, IRTemp d, IRTemp a, IRTemp b)
{
    insn();
    ir_op2(&f, op, IR_I32, d, a, b);
    if (op == IR_add || op == IR_sub)
        ir_mov(&f, IR_I32, g_src, b);
    ir_mov(&f, IR_I32, g_dst, d);
}

/* dec esi; jnz top: chain to self (slot 0) or leave (slot 1) */
static void loop_end(void)
{
    uint32_t l = ir_label_new(&f);
    alu_flags(IR_sub, g_esi, g_esi, ir_const(&f, IR_I32, 1));
    insn();
    ir_brcondi(&f, IR_I32, IR_COND_NE, g_dst, 0, l);
    ir_goto_tb(&f, 1);
    ir_movi(&f, IR_I64, g_eip, pc_next);
    ir_exit_tb(&f, 1);
    ir_set_label(&f, l);
    ir_goto_tb(&f, 0);
    ir_movi(&f, IR_I64, g_eip, 0x1000);
    ir_exit_tb(&f, 0);
}

/* Per-iteration IR ops and guest instructions of each block (C models). */
static uint64_t model_ops, model_insns;

static void build_alu(void)
{
    /* add eax, ebx; xor ecx, eax; shl edx, 3; or edi, ecx; dec esi; jnz */
    alu_flags(IR_add, g_eax, g_eax, g_ebx);
    alu_flags(IR_xor, g_ecx, g_ecx, g_eax);
    insn();
    ir_op2i(&f, IR_shl, IR_I32, g_edx, g_edx, 3);
    ir_mov(&f, IR_I32, g_dst, g_edx);
    alu_flags(IR_or, g_edi, g_edi, g_ecx);
    loop_end();
}

static void model_alu(BenchCPU *c, uint64_t iters)
{
    (void)c;
    /* add(3) xor(2) shl(2) or(2) dec(3) brcond goto_tb */
    model_ops = iters * 14;
    model_insns = iters * 6;
}

static void build_ldst(void)
{
    /* mov eax, [esi]; add eax, ebx; mov [edi], eax; add esi, 4; and esi, 0xffc;
     * lea edi, [esi + 0x1000]; dec ecx-as-esi counter; jnz */
    insn();
    ir_qemu_ld(&f, IR_I32, g_eax, g_ecx, IR_MO_32 | IR_MO_ADDR32, 0);
    alu_flags(IR_add, g_eax, g_eax, g_ebx);
    insn();
    ir_qemu_st(&f, IR_I32, g_eax, g_edi, IR_MO_32 | IR_MO_ADDR32, 0);
    alu_flags(IR_add, g_ecx, g_ecx, ir_const(&f, IR_I32, 4));
    alu_flags(IR_and, g_ecx, g_ecx, ir_const(&f, IR_I32, 0xffc));
    insn();
    ir_op2i(&f, IR_add, IR_I32, g_edi, g_ecx, 0x4000);
    loop_end();
}

static void model_ldst(BenchCPU *c, uint64_t iters)
{
    (void)c;
    /* ld, add(3), st, add(3), and(2), lea(1), dec(3), brcond, goto_tb */
    model_ops = iters * 16;
    model_insns = iters * 8;
}

static void build_branch(void)
{
    /* cmp eax, ebx; jge 1f; add eax, 7; 1: and eax, 0xff; mov ecx, esi; and ecx, 3;
     * cmp ecx, 3; je 2f; inc edx; 2: dec esi; jnz */
    uint32_t l1 = ir_label_new(&f), l2 = ir_label_new(&f);
    IRTemp t = ir_temp_new(&f, IR_I32);
    alu_flags(IR_sub, t, g_eax, g_ebx);
    insn();
    ir_brcond(&f, IR_I32, IR_COND_GE, g_eax, g_ebx, l1);
    alu_flags(IR_add, g_eax, g_eax, ir_const(&f, IR_I32, 7));
    ir_set_label(&f, l1);
    alu_flags(IR_and, g_eax, g_eax, ir_const(&f, IR_I32, 0xff));
    insn();
    ir_op2i(&f, IR_and, IR_I32, g_ecx, g_esi, 3);
    IRTemp t2 = ir_temp_new(&f, IR_I32);
    alu_flags(IR_sub, t2, g_ecx, ir_const(&f, IR_I32, 3));
    insn();
    ir_brcondi(&f, IR_I32, IR_COND_EQ, g_ecx, 3, l2);
    alu_flags(IR_add, g_edx, g_edx, ir_const(&f, IR_I32, 1));
    ir_set_label(&f, l2);
    loop_end();
}

static void model_branch(BenchCPU *c, uint64_t iters)
{
    uint32_t eax = c->eax, ebx = c->ebx, esi = c->esi;
    model_ops = model_insns = 0;
    for (uint64_t i = 0; i < iters; i++) {
        model_ops += 4; /* sub mov mov brcond */
        model_insns += 2;
        if (!((int32_t)eax >= (int32_t)ebx)) {
            eax += 7;
            model_ops += 3;
            model_insns += 1;
        }
        eax &= 0xff;
        model_ops += 2 + 1 + 3 + 1; /* and; and; cmp; je */
        model_insns += 4;
        if ((esi & 3) != 3) {
            model_ops += 3;
            model_insns += 1;
        }
        esi--;
        model_ops += 3 + 1 + 1; /* dec; brcond; goto_tb */
        model_insns += 2;
    }
}

static BCWord code[1 << 14];
static TranslationBlock tb;

PEMU_NOINLINE uintptr_t bench_run(BenchCPU *c);
PEMU_NOINLINE uintptr_t bench_run(BenchCPU *c)
{
    return interp_exec(&c->cpu, &tb);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: interp_bench alu|ldst|branch goto|switch 1|0 ITERS\n");
        return 2;
    }
    const char *loop = argv[1];
    InterpDispatch d = !strcmp(argv[2], "goto") ? INTERP_DISPATCH_GOTO : INTERP_DISPATCH_SWITCH;
    if (!interp_set_dispatch(d)) {
        fprintf(stderr, "interp_bench: skin %s not built\n", argv[2]);
        return 3;
    }
    interp_set_fusion(atoi(argv[3]) != 0);
    uint64_t iters = strtoull(argv[4], NULL, 0);

    BenchCPU *c = calloc(1, sizeof(*c));
    cpu_init(&c->cpu, &ops, &phys);
    ir_func_init(&f);
    g_eax = ir_global_new(&f, IR_I32, offsetof(BenchCPU, eax), "eax");
    g_ebx = ir_global_new(&f, IR_I32, offsetof(BenchCPU, ebx), "ebx");
    g_ecx = ir_global_new(&f, IR_I32, offsetof(BenchCPU, ecx), "ecx");
    g_edx = ir_global_new(&f, IR_I32, offsetof(BenchCPU, edx), "edx");
    g_esi = ir_global_new(&f, IR_I32, offsetof(BenchCPU, esi), "esi");
    g_edi = ir_global_new(&f, IR_I32, offsetof(BenchCPU, edi), "edi");
    g_src = ir_global_new(&f, IR_I32, offsetof(BenchCPU, cc_src), "cc_src");
    g_dst = ir_global_new(&f, IR_I32, offsetof(BenchCPU, cc_dst), "cc_dst");
    g_eip = ir_global_new(&f, IR_I64, offsetof(BenchCPU, eip), "eip");
    pc_next = 0x1000;

    void (*model)(BenchCPU *, uint64_t);
    if (!strcmp(loop, "alu")) {
        build_alu();
        model = model_alu;
    } else if (!strcmp(loop, "ldst")) {
        build_ldst();
        model = model_ldst;
    } else if (!strcmp(loop, "branch")) {
        build_branch();
        model = model_branch;
    } else {
        fprintf(stderr, "interp_bench: unknown loop %s\n", loop);
        return 2;
    }
    if (interp_lower(&f, &tb, (uint8_t *)code, sizeof(code)) <= 0) {
        fprintf(stderr, "interp_bench: lowering failed\n");
        return 1;
    }
    interp_link(&tb, 0, &tb); /* the loop chains to itself */
    if (getenv("BENCH_PRINT"))
        interp_print(stderr, &tb, &f);

    /* warm up: fill the TLB */
    c->ebx = 0x80;
    c->esi = 4;
    c->edi = 0x4000;
    bench_run(c);

    c->eax = 1;
    c->ebx = 0x80;
    c->ecx = 0;
    c->edi = 0x4000;
    c->esi = (uint32_t)iters;
    model(c, iters);
    uintptr_t r = bench_run(c);
    if (r != 1 || c->esi != 0) {
        fprintf(stderr, "interp_bench: loop did not finish (exit %lu, esi %u)\n",
                (unsigned long)r, c->esi);
        return 1;
    }
    /* bytecode instructions in the block, for the report */
    unsigned nbc = 0;
    const BCWord *p = tb.code;
    for (size_t o = 0; o < tb.code_size / sizeof(BCWord); nbc++)
        o += strlen(bc_info[interp_word_opcode(d, p[o])].fmt);
    printf("ops=%llu insns=%llu bytecode=%u\n", (unsigned long long)model_ops,
           (unsigned long long)model_insns, nbc);
    return 0;
}
