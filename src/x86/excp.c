/*
 * Exception and interrupt delivery (SDM Vol. 3 chapter 6, 20.3 for vm86):
 * the real-mode IVT, protected-mode IDT gates (interrupt, trap, task) with
 * privilege checks and the inner stack from the TSS, delivery from vm86 to
 * ring 0, long-mode 64-bit gates with IST, the double-fault rules, the
 * triple-fault shutdown, and taking NMI / INTR from the interrupt
 * controllers.
 *
 * A fault while an exception is being delivered unwinds to the CPU loop,
 * which calls x86_do_interrupt again with the new exception:
 * env.old_exception (the vector being delivered, -1 when none) tells the
 * two apart, and decides between delivering serially, #DF and shutdown
 * (SDM table 6-5). Registers change only once the frame has been written.
 */
#include <inttypes.h>
#include <string.h>
#include "src/log.h"
#include "src/x86/flags.h"
#include "src/x86/helper_sys.h"
#include "src/x86/seg.h"

enum { CLASS_BENIGN, CLASS_CONTRIB, CLASS_PF };

static int excp_class(int v)
{
    switch (v) {
    case EXCP_DE: case EXCP_TS: case EXCP_NP: case EXCP_SS: case EXCP_GP:
        return CLASS_CONTRIB;
    case EXCP_PF:
        return CLASS_PF;
    default:
        return CLASS_BENIGN;
    }
}

/* Exceptions that push an error code (SDM table 6-1); #CP (21) included. */
static bool has_error_code(int v)
{
    return v == EXCP_DF || (v >= EXCP_TS && v <= EXCP_PF) || v == EXCP_AC || v == 21;
}

static inline int cpl_of(const X86State *s)
{
    return (int)(s->hflags & HF_CPL_MASK);
}

static void log_event(X86CPU *cpu, int intno, bool is_int, bool is_hw, int err, uint64_t next_eip)
{
    static int count;
    X86State *s = &cpu->env;
    (void)next_eip;
    log_printf("%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%08" PRIx64 " pc=%08" PRIx64
               " SP=%04x:%08" PRIx64 " CR2=%08" PRIx64 "%s\n",
               count++, intno, (unsigned)err & 0xffff, is_int ? 1 : 0, cpl_of(s),
               s->segs[R_CS].selector, s->rip, s->segs[R_CS].base + s->rip,
               s->segs[R_SS].selector, s->regs[R_ESP], s->cr[2], is_hw ? " hw" : "");
    log_printf("        EAX=%08" PRIx64 " EBX=%08" PRIx64 " ECX=%08" PRIx64 " EDX=%08" PRIx64
               " ESI=%08" PRIx64 " EDI=%08" PRIx64 " EBP=%08" PRIx64 " EFL=%08x\n",
               s->regs[R_EAX], s->regs[R_EBX], s->regs[R_ECX], s->regs[R_EDX], s->regs[R_ESI],
               s->regs[R_EDI], s->regs[R_EBP], x86_eflags_get(s));
}

static PEMU_NORETURN void raise_err(X86CPU *cpu, int excp, int err)
{
    x86_raise_exception_err(cpu, excp, err);
}

/* ---- real mode ----------------------------------------------------------------- */

static void deliver_real(X86CPU *cpu, int intno, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    X86Stack st;
    if ((uint32_t)intno * 4 + 3 > s->idt.limit)
        raise_err(cpu, EXCP_GP, intno * 8 + 2);
    uint64_t vec = s->idt.base + (uint32_t)intno * 4;
    uint16_t off = (uint16_t)x86_ld_kernel(cpu, vec, 2);
    uint16_t sel = (uint16_t)x86_ld_kernel(cpu, vec + 2, 2);
    x86_stack_current(cpu, &st);
    x86_stack_push(cpu, &st, x86_eflags_get(s), 2);
    x86_stack_push(cpu, &st, s->segs[R_CS].selector, 2);
    x86_stack_push(cpu, &st, next_eip, 2);
    x86_stack_commit(s, &st);
    x86_seg_load_vm(s, R_CS, sel, false);
    s->rip = off;
    s->eflags &= ~(EF_IF | EF_TF | EF_AC | EF_RF);
}

/* ---- protected mode ----------------------------------------------------------------- */

/* The target code segment of an interrupt/trap gate. */
static void gate_code(X86CPU *cpu, uint16_t sel, int ext, uint32_t *e1, uint32_t *e2)
{
    if (!(sel & 0xfffc))
        raise_err(cpu, EXCP_GP, ext);
    if (!x86_desc_fetch(cpu, sel, e1, e2))
        raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    if ((*e2 & (DESC_S_MASK | DESC_CS_MASK)) != (DESC_S_MASK | DESC_CS_MASK) ||
        x86_desc_dpl(*e2) > cpl_of(&cpu->env))
        raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    if (!(*e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, (sel & 0xfffc) | ext);
}

static void set_cs(X86CPU *cpu, uint16_t sel, uint32_t e1, uint32_t e2, int cpl)
{
    if (!(e2 & DESC_A_MASK)) {
        x86_desc_set_bits(cpu, sel, DESC_A_MASK);
        e2 |= DESC_A_MASK;
    }
    x86_seg_cache_load_cs(&cpu->env.segs[R_CS], sel, e1, e2, cpl);
}

static void deliver_protected(X86CPU *cpu, int intno, bool is_int, bool push_err, int err,
                              uint64_t next_eip)
{
    X86State *s = &cpu->env;
    int ext = is_int ? 0 : 1, cpl = cpl_of(s);
    int idt_err = intno * 8 + 2 + ext;
    uint32_t e1, e2, c1, c2;
    bool vm = (s->eflags & EF_VM) != 0;

    if ((uint32_t)intno * 8 + 7 > s->idt.limit)
        raise_err(cpu, EXCP_GP, idt_err);
    e1 = (uint32_t)x86_ld_kernel(cpu, s->idt.base + (uint32_t)intno * 8, 4);
    e2 = (uint32_t)x86_ld_kernel(cpu, s->idt.base + (uint32_t)intno * 8 + 4, 4);
    int type = x86_desc_type(e2);
    if ((e2 & DESC_S_MASK) ||
        (type != DESC_TASK_GATE && type != DESC_INT_GATE16 && type != DESC_TRAP_GATE16 &&
         type != DESC_INT_GATE32 && type != DESC_TRAP_GATE32))
        raise_err(cpu, EXCP_GP, idt_err);
    /* Software interrupts (INT n, INT3, INTO) honour the gate's DPL. */
    if (is_int && x86_desc_dpl(e2) < cpl)
        raise_err(cpu, EXCP_GP, idt_err);
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, idt_err);

    if (type == DESC_TASK_GATE) {
        uint16_t tss = (uint16_t)(e1 >> 16);
        uint32_t t1, t2;
        if ((tss & 4) || !x86_desc_fetch(cpu, tss, &t1, &t2))
            raise_err(cpu, EXCP_GP, (tss & 0xfffc) | ext);
        int tt = x86_desc_type(t2);
        if ((t2 & DESC_S_MASK) || (tt != DESC_TSS16_AVAIL && tt != DESC_TSS32_AVAIL))
            raise_err(cpu, EXCP_GP, (tss & 0xfffc) | ext);
        x86_task_switch(cpu, tss, t1, t2, X86_TS_INT, next_eip, ext);
        if (push_err) {
            /* The error code goes on the new task's stack. */
            X86Stack st;
            int size = (tt & 8) ? 4 : 2;
            x86_stack_current(cpu, &st);
            if (!x86_seg_range_ok(&s->segs[R_SS], (st.sp - (unsigned)size) & st.mask, (unsigned)size))
                x86_raise_norestore(cpu, EXCP_SS, ext);
            x86_stack_push(cpu, &st, (uint32_t)err, size);
            x86_stack_commit(s, &st);
        }
        return;
    }

    uint16_t sel = (uint16_t)(e1 >> 16);
    uint64_t off = (type & 8) ? (e2 & 0xffff0000u) | (e1 & 0xffffu) : (e1 & 0xffffu);
    int size = (type & 8) ? 4 : 2;
    gate_code(cpu, sel, ext, &c1, &c2);
    int dpl = x86_desc_dpl(c2);
    int nwords = 3 + (push_err ? 1 : 0);
    uint32_t eflags = x86_eflags_get(s);
    X86Stack st;

    if (!(c2 & DESC_C_MASK) && dpl < cpl) {
        /* Inner privilege: the stack for `dpl` from the TSS. */
        uint16_t nss;
        uint64_t nsp;
        uint32_t s1, s2;
        X86Segment ssc;
        if (vm && dpl != 0)
            raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
        x86_tss_stack(cpu, dpl, &nss, &nsp, ext);
        x86_check_inner_ss(cpu, nss, dpl, &s1, &s2, ext);
        x86_seg_cache_load(&ssc, nss, s1, s2);
        st.base = ssc.base;
        st.mask = (ssc.flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
        st.sp = nsp & st.mask;
        st.mmu = X86_MMU_KERNEL;
        nwords += 2 + (vm ? 4 : 0);
        x86_stack_check_push(cpu, &ssc, &st, (uint64_t)nwords * (unsigned)size, (nss & 0xfffc) | ext);
        if (vm) {
            x86_stack_push(cpu, &st, s->segs[R_GS].selector, size);
            x86_stack_push(cpu, &st, s->segs[R_FS].selector, size);
            x86_stack_push(cpu, &st, s->segs[R_DS].selector, size);
            x86_stack_push(cpu, &st, s->segs[R_ES].selector, size);
        }
        x86_stack_push(cpu, &st, s->segs[R_SS].selector, size);
        x86_stack_push(cpu, &st, s->regs[R_ESP] & (size == 4 ? 0xffffffffu : 0xffffu), size);
        x86_stack_push(cpu, &st, eflags, size);
        x86_stack_push(cpu, &st, s->segs[R_CS].selector, size);
        x86_stack_push(cpu, &st, next_eip, size);
        if (push_err)
            x86_stack_push(cpu, &st, (uint32_t)err, size);
        /* commit */
        if (!(s2 & DESC_A_MASK)) {
            x86_desc_set_bits(cpu, nss, DESC_A_MASK);
            ssc.flags |= DESC_A_MASK;
        }
        s->segs[R_SS] = ssc;
        if (vm) {
            static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
            for (int i = 0; i < 4; i++)
                memset(&s->segs[segs[i]], 0, sizeof(X86Segment));
        }
        cpl = dpl;
    } else {
        if (vm)
            raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
        x86_stack_current(cpu, &st);
        x86_stack_check_push(cpu, &s->segs[R_SS], &st, (uint64_t)nwords * (unsigned)size, ext);
        x86_stack_push(cpu, &st, eflags, size);
        x86_stack_push(cpu, &st, s->segs[R_CS].selector, size);
        x86_stack_push(cpu, &st, next_eip, size);
        if (push_err)
            x86_stack_push(cpu, &st, (uint32_t)err, size);
    }
    if (off > x86_desc_limit(c1, c2))
        raise_err(cpu, EXCP_GP, ext);
    set_cs(cpu, sel, c1, c2, cpl);
    x86_stack_commit(s, &st);
    s->rip = off;
    s->eflags &= ~(EF_TF | EF_NT | EF_RF | EF_VM);
    if (!(type & 1)) /* interrupt gate */
        s->eflags &= ~EF_IF;
}

/* ---- long mode ----------------------------------------------------------------------- */

static void deliver_long(X86CPU *cpu, int intno, bool is_int, bool push_err, int err,
                         uint64_t next_eip)
{
    X86State *s = &cpu->env;
    int ext = is_int ? 0 : 1, cpl = cpl_of(s);
    int idt_err = intno * 8 + 2 + ext;
    uint32_t c1, c2;

    if ((uint32_t)intno * 16 + 15 > s->idt.limit)
        raise_err(cpu, EXCP_GP, idt_err);
    uint64_t a = s->idt.base + (uint32_t)intno * 16;
    uint32_t e1 = (uint32_t)x86_ld_kernel(cpu, a, 4);
    uint32_t e2 = (uint32_t)x86_ld_kernel(cpu, a + 4, 4);
    uint32_t e3 = (uint32_t)x86_ld_kernel(cpu, a + 8, 4);
    int type = x86_desc_type(e2);
    if ((e2 & DESC_S_MASK) || (type != DESC_INT_GATE32 && type != DESC_TRAP_GATE32))
        raise_err(cpu, EXCP_GP, idt_err);
    if (is_int && x86_desc_dpl(e2) < cpl)
        raise_err(cpu, EXCP_GP, idt_err);
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, idt_err);
    uint16_t sel = (uint16_t)(e1 >> 16);
    uint64_t off = ((uint64_t)e3 << 32) | (e2 & 0xffff0000u) | (e1 & 0xffffu);
    int ist = (int)(e2 & 7);
    gate_code(cpu, sel, ext, &c1, &c2);
    if (!(c2 & DESC_L_MASK) || (c2 & DESC_B_MASK))
        raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    int dpl = x86_desc_dpl(c2);
    int new_cpl = (!(c2 & DESC_C_MASK) && dpl < cpl) ? dpl : cpl;
    uint64_t rsp;
    if (ist) {
        /* IST1..7 at 0x24 + 8 * (n - 1) in the 64-bit TSS. */
        uint32_t o = 0x24 + 8u * (unsigned)(ist - 1);
        if (o + 7 > s->tr.limit)
            raise_err(cpu, EXCP_TS, (s->tr.selector & 0xfffc) | ext);
        rsp = x86_ld_kernel(cpu, s->tr.base + o, 8);
    } else if (new_cpl != cpl) {
        uint16_t dummy;
        x86_tss_stack(cpu, new_cpl, &dummy, &rsp, ext);
    } else {
        rsp = s->regs[R_ESP];
    }
    if (!x86_canonical(rsp))
        raise_err(cpu, EXCP_SS, ext);
    X86Stack st = { 0, rsp & ~15ull, ~0ull, new_cpl == 3 ? X86_MMU_USER : X86_MMU_KERNEL };
    uint32_t eflags = x86_eflags_get(s);
    x86_stack_push(cpu, &st, s->segs[R_SS].selector, 8);
    x86_stack_push(cpu, &st, s->regs[R_ESP], 8);
    x86_stack_push(cpu, &st, eflags, 8);
    x86_stack_push(cpu, &st, s->segs[R_CS].selector, 8);
    x86_stack_push(cpu, &st, next_eip, 8);
    if (push_err)
        x86_stack_push(cpu, &st, (uint32_t)err, 8);
    if (new_cpl != cpl) {
        /* SS becomes a null selector with RPL = new CPL. */
        memset(&s->segs[R_SS], 0, sizeof(X86Segment));
        s->segs[R_SS].selector = (uint16_t)new_cpl;
        s->segs[R_SS].flags = (uint32_t)new_cpl << DESC_DPL_SHIFT;
    }
    set_cs(cpu, sel, c1, c2, new_cpl);
    s->regs[R_ESP] = st.sp;
    s->rip = off;
    s->eflags &= ~(EF_TF | EF_NT | EF_RF | EF_VM);
    if (!(type & 1))
        s->eflags &= ~EF_IF;
}

/* ---- entry points ------------------------------------------------------------------------ */

static void deliver(X86CPU *cpu, int intno, bool is_int, bool is_hw, int err, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    bool push_err = !is_int && !is_hw && has_error_code(intno);
    if (err < 0)
        err = 0;
    if (log_enabled(LOG_INT))
        log_event(cpu, intno, is_int, is_hw, push_err ? err : 0, next_eip);
    if (!(s->cr[0] & CR0_PE))
        deliver_real(cpu, intno, next_eip);
    else if (s->efer & EFER_LMA)
        deliver_long(cpu, intno, is_int, push_err, err, next_eip);
    else
        deliver_protected(cpu, intno, is_int, push_err, err, next_eip);
    s->hflags &= ~HF_INHIBIT_IRQ;
    x86_update_hflags(s);
}

/*
 * Triple fault: the processor stops and signals shutdown; the board resets
 * the machine (cpu->shutdown). Without a board hook the vCPU stays stopped
 * as after CLI; HLT, and the loop returns EXCP_HLT.
 */
static PEMU_NORETURN void triple_fault(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    if (log_enabled(LOG_INT | LOG_GUEST_ERRORS))
        log_printf("triple fault at %04x:%08" PRIx64 ": shutdown\n", s->segs[R_CS].selector, s->rip);
    s->old_exception = -1;
    s->eflags &= ~EF_IF;
    x86_update_hflags(s);
    if (cpu->shutdown)
        cpu->shutdown(cpu->shutdown_opaque);
    cpu->parent.halted = 1;
    cpu->parent.exception_index = EXCP_HLT;
    cpu_loop_exit_norestore(&cpu->parent);
}

void x86_do_interrupt(X86CPU *cpu)
{
    X86State *s = &cpu->env;
    int intno = cpu->parent.exception_index;
    bool is_int = s->exception_is_int != 0;
    int err = s->error_code;
    uint64_t next_eip = is_int ? s->exception_next_eip : s->rip;

    if (!is_int && s->old_exception >= 0) {
        /* A fault while delivering old_exception (SDM table 6-5). */
        int c1 = excp_class(s->old_exception), c2 = excp_class(intno);
        if (s->old_exception == EXCP_DF) {
            if (c2 != CLASS_BENIGN)
                triple_fault(cpu);
        } else if ((c1 == CLASS_CONTRIB && c2 == CLASS_CONTRIB) ||
                   (c1 == CLASS_PF && c2 != CLASS_BENIGN)) {
            intno = EXCP_DF;
            err = 0;
        }
    }
    /* Software interrupts are benign: a fault delivering one is delivered alone. */
    s->old_exception = is_int ? -1 : intno;
    deliver(cpu, intno, is_int, false, err, next_eip);
    s->old_exception = -1;
    s->exception_is_int = 0;
}

bool x86_exec_interrupt(X86CPU *cpu, uint32_t interrupt_request)
{
    X86State *s = &cpu->env;
    if (s->hflags & HF_INHIBIT_IRQ)
        return false;
    if ((interrupt_request & CPU_INTERRUPT_NMI) && !s->nmi_blocked) {
        cpu_reset_interrupt(&cpu->parent, CPU_INTERRUPT_NMI);
        cpu->parent.halted = 0;
        s->nmi_blocked = 1; /* until the next IRET */
        s->old_exception = -1;
        deliver(cpu, EXCP_NMI, false, true, -1, s->rip);
        return true;
    }
    if ((interrupt_request & CPU_INTERRUPT_HARD) && (s->eflags & EF_IF)) {
        cpu_reset_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
        int vector = cpu->intack ? cpu->intack(cpu->intack_opaque) : -1;
        if (vector < 0)
            return false; /* the controller withdrew it (spurious) */
        cpu->parent.halted = 0;
        s->old_exception = -1;
        deliver(cpu, vector & 0xff, false, true, -1, s->rip);
        return true;
    }
    return false;
}
