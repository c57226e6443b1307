/*
 * The "pemu" engine of the differential tester (engine.h): runs a case on
 * pemu's x86 CPU (translator + interpreter) in the environment of case.h.
 *
 * Machine: physical memory is the two 4 KiB areas (code at DIFF_CODE_BASE,
 * data at DIFF_DATA_BASE) and nothing else; paging is off but the TLB fill
 * is this engine's own, so that any access outside the areas is the #PF
 * (with CR2 and the user-mode error code) the host's paging would raise.
 * Mode 32: flat CPL-3 segments. Mode 16: CPL-3 protected mode with 16-bit
 * segments of limit 0xfff like the LDT entries the native runner installs,
 * with the translator's optional segment-limit checks on (in mode 32 they
 * catch the accesses that wrap at 4 GiB).
 *
 * Mode 16 in other worlds (diff --world=, engine.h): real mode (CPL 0,
 * CR0.PE clear) or virtual-8086 mode (EFLAGS.VM, CPL 3, IOPL 0, paging on),
 * with the segments a real-mode or vm86 load gives: CS = 0x1000 and DS =
 * ES = SS = FS = GS = 0x2000 (bases 0x10000 and 0x20000, limit 0xffff).
 * The linear pages 0x10000 and 0x20000 are the two areas; any other
 * access is a #PF here (only reachable in cases diff.c does not compare,
 * where the native limit of 0xfff faulted first).
 *
 * Software interrupts: the host kernel's IDT lets CPL 3 reach vectors 3 and
 * 4 (int3, into, int 3, int 4: traps reported after the instruction);
 * every other INT n is #GP at the instruction, as the gate's DPL says.
 * Everything else is delivered to this engine's do_interrupt, which records
 * it and stops the run.
 *
 * With PEMU_DIFF_STATS set in the environment, the engine prints at exit
 * what the translator made of the corpus: IR ops (after the optimizer) and
 * bytecode instructions per translated guest instruction (with the
 * segment-limit checks off in mode 32).
 */
#include "engine.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "interp/interp.h"
#include "ir/ir.h"
#include "src/cpu.h"
#include "src/softmmu.h"
#include "src/tb.h"
#include "src/x86/cpu.h"
#include "src/x86/flags.h"
#include "src/x86/fpu.h"
#include "src/x86/seg.h"
#include "src/x86/target.h"

int diff_pemu_world = DIFF_WORLD_PM;

static X86CPU pcpu;
static CPUTargetOps ops;
static uint8_t code_ram[DIFF_CODE_SIZE], data_ram[DIFF_DATA_SIZE];
static volatile sig_atomic_t ticks;
static int done, exc;
static uint32_t exc_eip;

static uint8_t *ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    (void)ro;
    if (ppage == DIFF_CODE_BASE)
        return code_ram;
    if (ppage == DIFF_DATA_BASE)
        return data_ram;
    return NULL;
}

static uint64_t io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque; (void)paddr; (void)size;
    return ~0ull;
}

static void io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque; (void)paddr; (void)val; (void)size;
}

static const SoftmmuPhys phys = { NULL, ram_page, io_read, io_write, NULL };

/* Linear pages of the two areas: their physical addresses, or the
 * real-mode/vm86 segment bases of mode 16 in those worlds. */
static uint64_t code_lin = DIFF_CODE_BASE, data_lin = DIFF_DATA_BASE;

/* The host's page tables: the two areas, user, present; code RWX, data RW. */
static bool eng_tlb_fill(CPUState *cs, uint64_t vaddr, MMUAccessType access, int mmu_idx,
                         bool probe, uint64_t *paddr, uint32_t *prot)
{
    (void)mmu_idx;
    X86CPU *xcpu = x86_cpu(cs);
    bool lm = (xcpu->env.efer & EFER_LMA) != 0;
    if (!lm)
        vaddr &= 0xffffffffu;
    else if (((vaddr + (1ull << 47)) >> 48) != 0) {
        /* non-canonical: #GP(0), which Linux reports with si_addr 0 */
        if (probe)
            return false;
        x86_raise_exception_err(xcpu, EXCP_GP, 0);
    }
    uint64_t page = vaddr & ~0xfffull;
    if (page == code_lin || (page == data_lin && access != MMU_INST_FETCH)) {
        *paddr = page == code_lin ? DIFF_CODE_BASE : DIFF_DATA_BASE;
        *prot = PAGE_READ | PAGE_WRITE | (page == code_lin ? PAGE_EXEC : 0);
        return true;
    }
    if (probe)
        return false;
    X86CPU *cpu = x86_cpu(cs);
    cpu->env.cr[2] = vaddr;
    int err = PF_ERR_U | (access == MMU_DATA_STORE ? PF_ERR_W : 0) |
              (access == MMU_INST_FETCH ? PF_ERR_I : 0);
    x86_raise_exception_err(cpu, EXCP_PF, err);
}

static void eng_do_interrupt(CPUState *cs)
{
    X86CPU *cpu = x86_cpu(cs);
    X86State *e = &cpu->env;
    int n = cs->exception_index;
    exc = n;
    exc_eip = (uint32_t)e->rip;
    if (e->exception_is_int) {
        if (n == EXCP_BP || n == EXCP_OF)
            exc_eip = (uint32_t)e->exception_next_eip;
        else
            exc = EXCP_GP;   /* gate DPL 0 */
    }
    done = 1;
    cpu_exit(cs);
}

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
    pcpu.parent.exit_request = 1;
}

/* ---- translation statistics (PEMU_DIFF_STATS) ------------------------------ */

static bool stats_on;
static struct {
    uint64_t insns, blocks, bc;
    TranslationBlock *pending[64];
    int npending;
} st;

static unsigned bytecode_insns(const TranslationBlock *tb)
{
    InterpDispatch d = (tb->cflags & TB_CF_DISPATCH) ? INTERP_DISPATCH_GOTO : INTERP_DISPATCH_SWITCH;
    const BCWord *code = tb->code;
    size_t n = tb->code_size / sizeof(BCWord);
    unsigned k = 0;
    for (size_t o = 0; o < n; k++) {
        int op = interp_word_opcode(d, code[o]);
        if (op < 0)
            break;
        o += strlen(bc_info[op].fmt);
    }
    return k;
}

/* Count the blocks translated since the last call (before they go away). */
static void stats_collect(void)
{
    for (int i = 0; i < st.npending; i++) {
        TranslationBlock *tb = st.pending[i];
        if (tb->code) {
            st.insns += tb->icount;
            st.blocks++;
            st.bc += bytecode_insns(tb);
        }
    }
    st.npending = 0;
}

static void stats_print(void)
{
    stats_collect();
    if (!st.insns)
        return;
    fprintf(stderr, "pemu: %" PRIu64 " blocks, %" PRIu64 " guest insns translated: %.2f IR ops and "
            "%.2f bytecode insns per guest insn, %.1f guest insns per block\n", st.blocks, st.insns,
            (double)tb_stats.ir_ops / (double)st.insns, (double)st.bc / (double)st.insns,
            (double)st.insns / (double)st.blocks);
}

static struct IRFunc *eng_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    if (st.npending == (int)PEMU_ARRAY_SIZE(st.pending))
        st.npending = 0; /* a runaway case: drop the sample */
    st.pending[st.npending++] = tb;
    return x86_target_ops.translate(cs, tb, max_insns);
}

static int eng_init(const char *arg)
{
    (void)arg;
    ops = x86_target_ops;
    ops.tlb_fill = eng_tlb_fill;
    ops.do_interrupt = eng_do_interrupt;
    ops.exec_interrupt = NULL;
    if (getenv("PEMU_DIFF_STATS")) {
        stats_on = true;
        ops.translate = eng_translate;
        atexit(stats_print);
    }
    cpu_init(&pcpu.parent, &ops, &phys);
    pcpu.cpuid_version = 0x663;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    return 0;
}

static void seg_set(X86Segment *s, uint16_t sel, uint32_t base, uint32_t limit, uint32_t flags)
{
    s->selector = sel;
    s->base = base;
    s->limit = limit;
    s->flags = flags;
}

static void setup(const Case *c, int len, const uint8_t *code)
{
    X86State *e = &pcpu.env;
    x86_cpu_reset(&pcpu);
    e->cr[0] = CR0_PE | CR0_AM | CR0_ET | CR0_NE;
    uint32_t user = DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | (3u << DESC_DPL_SHIFT);
    if (c->mode == 64) {
        /* Linux's 64-bit user segments: CS 0x33 (L), SS/DS 0x2b */
        e->cr[0] |= CR0_PG;
        e->cr[4] = CR4_PAE;
        e->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
        seg_set(&e->segs[R_CS], 0x33, 0, 0xffffffffu,
                user | DESC_L_MASK | DESC_G_MASK | DESC_CS_MASK | DESC_R_MASK);
        for (int i = 0; i < X86_NB_SEGS; i++)
            if (i != R_CS)
                seg_set(&e->segs[i], 0x2b, 0, 0xffffffffu, user | DESC_B_MASK | DESC_G_MASK | DESC_W_MASK);
        e->rip = DIFF_CODE_BASE;
    } else if (c->mode == 32) {
        uint32_t big = DESC_B_MASK | DESC_G_MASK;
        seg_set(&e->segs[R_CS], 0x23, 0, 0xffffffffu, user | big | DESC_CS_MASK | DESC_R_MASK);
        for (int i = 0; i < X86_NB_SEGS; i++)
            if (i != R_CS)
                seg_set(&e->segs[i], 0x2b, 0, 0xffffffffu, user | big | DESC_W_MASK);
        e->rip = DIFF_CODE_BASE;
    } else if (diff_pemu_world != DIFF_WORLD_PM) {
        bool vm86 = diff_pemu_world == DIFF_WORLD_VM86;
        if (vm86)
            e->cr[0] |= CR0_PG;                      /* paging maps the two pages */
        else
            e->cr[0] &= ~(uint64_t)(CR0_PE | CR0_AM); /* real mode */
        for (int i = 0; i < X86_NB_SEGS; i++) {
            /* the flags real mode has after reset; vm86 loads its own */
            seg_set(&e->segs[i], 0, 0, 0xffff, DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_W_MASK |
                    (i == R_CS ? DESC_CS_MASK | DESC_R_MASK : 0));
            x86_seg_load_vm(e, i, i == R_CS ? 0x1000 : 0x2000, vm86);
        }
        e->rip = 0;
    } else {
        seg_set(&e->segs[R_CS], 0x07, DIFF_CODE_BASE, DIFF_SEG_LIMIT, user | DESC_CS_MASK | DESC_R_MASK);
        for (int i = 0; i < X86_NB_SEGS; i++)
            if (i != R_CS)
                seg_set(&e->segs[i], 0x0f, DIFF_DATA_BASE, DIFF_SEG_LIMIT, user | DESC_W_MASK);
        e->rip = 0;
    }
    for (int i = 0; i < case_ngpr(c->mode); i++)
        e->regs[i] = c->mode == 64 ? c->gpr[i] : (uint32_t)c->gpr[i];
    x86_eflags_set(e, c->eflags, ~(uint32_t)(EF_VM | EF_IOPL | EF_TF | EF_RF | EF_VIF | EF_VIP));
    e->eflags |= EF_IF;
    if (c->mode == 16 && diff_pemu_world == DIFF_WORLD_VM86)
        e->eflags |= EF_VM;
    /* the FP state of result_fp_init */
    fpu_init(e);
    memset(e->fpregs, 0, sizeof(e->fpregs));
    memset(e->xmm, 0, sizeof(e->xmm));
    e->mxcsr = 0x1f80;
    e->cr[4] |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    x86_update_hflags(e);

    stats_collect();
    tb_invalidate_phys_range(DIFF_CODE_BASE, DIFF_CODE_BASE + DIFF_CODE_SIZE);
    /* Mode 32's flat segments are only ever exceeded by an access that
     * wraps at 4 GiB (#GP); the statistics leave that check out so that they
     * show what flat code costs. (The blocks of the previous case are gone:
     * no block mixes the two settings.) */
    x86_translate_seg_limits = c->mode == 16 || !stats_on;
    bool other = c->mode == 16 && diff_pemu_world != DIFF_WORLD_PM;
    code_lin = other ? 0x10000 : DIFF_CODE_BASE;
    data_lin = other ? 0x20000 : DIFF_DATA_BASE;
    memset(code_ram, 0xcc, sizeof(code_ram));
    memcpy(code_ram, code, (size_t)len);
    case_fill_data(c, data_ram);
}

static int eng_run(const Case *c, Result *r)
{
    uint8_t code[CASE_MAX_CODE];
    int len = case_code(c, code, sizeof(code));
    if (c->mode != 32 && c->mode != 16 && c->mode != 64)
        return -1;
    setup(c, len, code);
    done = 0;
    exc = EXC_OTHER;
    exc_eip = 0;
    ticks = 0;
    /* a watchdog against a translator bug that loops forever */
    struct itimerval it = { { 0, 100000 }, { 0, 100000 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &it, NULL);
    while (!done && ticks < 30) {
        int rc = cpu_exec(&pcpu.parent);
        if (rc == EXCP_HLT || rc == EXCP_HALTED) {
            exc = EXC_OTHER;
            break;
        }
    }
    setitimer(ITIMER_REAL, &off, NULL);
    pcpu.parent.exit_request = 0;

    X86State *e = &pcpu.env;
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < case_ngpr(c->mode); i++)
        r->gpr[i] = c->mode == 64 ? e->regs[i] : (uint32_t)e->regs[i];
    r->eflags = x86_eflags_get(e);
    uint32_t base = c->mode != 16 ? DIFF_CODE_BASE : 0;
    r->exc = done ? exc : EXC_OTHER;
    r->eip = (done ? exc_eip : (uint32_t)e->rip) - base;
    if (r->exc == EXC_BP && r->eip == (uint32_t)len + 1) {
        r->exc = EXC_NONE;
        r->eip = (uint32_t)len;
    }
    if (r->exc == EXC_PF)
        r->addr = c->mode == 64 ? e->cr[2] : (uint32_t)e->cr[2];
    r->fp.fcw = e->fpuc;
    r->fp.fsw = fpu_get_fsw(e);
    r->fp.mxcsr = e->mxcsr;
    for (int i = 0; i < 8; i++) {
        r->fp.ftw |= (uint8_t)(!e->fptags[i] << i);
        r->fp.mant[i] = e->fpregs[i].mant;
        r->fp.sexp[i] = e->fpregs[i].sexp;
    }
    for (int i = 0; i < DIFF_NXMM; i++) {
        r->fp.xmm[i][0] = e->xmm[i].q[0];
        r->fp.xmm[i][1] = e->xmm[i].q[1];
    }
    memcpy(r->data, data_ram, DIFF_DATA_SIZE);
    return 0;
}

const DiffEngine diff_engine_pemu = { "pemu", eng_run, eng_init, NULL };
