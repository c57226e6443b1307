/*
 * The x86 target of the generic engine (src/cpu.h CPUTargetOps).
 *
 * TB key: the linear pc (CS base + eip), the CS base, and hflags, which
 * already hold every EFLAGS bit the translation depends on (IOPL, VM, TF,
 * AC through HF_AC) together with CPL and the code/stack sizes.
 * restore_state puts back eip and the static cc_op that the translator
 * recorded with each insn_start (CC_OP_DYNAMIC: env already holds it).
 */
#include "src/x86/target.h"

#include "src/tb.h"
#include "src/x86/cpu.h"
#include "src/x86/helper_sys.h"
#include "src/x86/translate.h"

static void x86_get_tb_key(CPUState *cs, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    const X86State *e = &x86_cpu(cs)->env;
    if (e->hflags & HF_CS64) {
        *cs_base = 0;
        *pc = e->rip;
    } else {
        *cs_base = e->segs[R_CS].base & 0xffffffffu;
        *pc = (*cs_base + e->rip) & 0xffffffffu;
    }
    *flags = e->hflags;
}

static int x86_mmu_index_code(CPUState *cs)
{
    return x86_mmu_index(&x86_cpu(cs)->env);
}

static struct IRFunc *x86_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    return x86_translate_block(x86_cpu(cs), tb, max_insns);
}

static void x86_restore_state(CPUState *cs, const TranslationBlock *tb, uint64_t pc, uint64_t data)
{
    X86State *e = &x86_cpu(cs)->env;
    uint64_t eip = pc - tb->cs_base;
    if (!(tb->flags & HF_CS64))
        eip &= 0xffffffffu;
    e->rip = eip;
    if (data != CC_OP_DYNAMIC)
        e->cc_op = (uint32_t)data;
}

static bool x86_exec_interrupt_op(CPUState *cs, uint32_t req)
{
    return x86_exec_interrupt(x86_cpu(cs), req);
}

/* What ends HLT (SDM 9 "HLT"): NMI, SMI, INIT, SIPI, or INTR when IF=1. */
static bool x86_has_work_op(CPUState *cs)
{
    X86State *s = &x86_cpu(cs)->env;
    uint32_t req = cs->interrupt_request;
    if ((req & CPU_INTERRUPT_HARD) && (s->eflags & EF_IF))
        return true;
    if ((req & CPU_INTERRUPT_NMI) && !s->nmi_blocked)
        return true;
    return (req & ~(uint32_t)(CPU_INTERRUPT_HARD | CPU_INTERRUPT_NMI)) != 0;
}

static void x86_do_interrupt_op(CPUState *cs)
{
    x86_do_interrupt(x86_cpu(cs));
}

const CPUTargetOps x86_target_ops = {
    .name = "x86",
    .get_tb_key = x86_get_tb_key,
    .mmu_index_code = x86_mmu_index_code,
    .translate = x86_translate,
    .tlb_fill = x86_tlb_fill,
    .restore_state = x86_restore_state,
    .exec_interrupt = x86_exec_interrupt_op,
    .do_interrupt = x86_do_interrupt_op,
    .has_work = x86_has_work_op,
};
