/*
 * Segmentation (SDM Vol. 3 chapters 3, 5, 7): descriptor fetch, segment
 * register loads with their checks, far JMP/CALL/RET/IRET through code
 * segments, call gates, task gates and TSS descriptors, the hardware task
 * switch, LLDT/LTR, LAR/LSL/VERR/VERW.
 *
 * Every helper checks everything that can fault before it changes a
 * register, so a fault restores the instruction's state exactly (stack
 * memory written before a later fault stays written, as on hardware). The
 * task switch is the exception: faults after its commit point belong to
 * the new task (x86_raise_norestore).
 */
#include "src/x86/seg.h"

#include <string.h>
#include "src/x86/flags.h"
#include "src/x86/helper_sys.h"

#define SEL_ERR(sel) ((int)((sel) & 0xfffc))

PEMU_NORETURN void x86_raise_norestore(X86CPU *cpu, int excp, int err)
{
    x86_update_hflags(&cpu->env);
    cpu->env.error_code = err;
    cpu->env.exception_is_int = 0;
    cpu->parent.exception_index = excp;
    cpu_loop_exit_norestore(&cpu->parent);
}

static PEMU_NORETURN void raise_err(X86CPU *cpu, int excp, int err)
{
    x86_raise_exception_err(cpu, excp, err);
}

static inline int cpl_of(const X86State *s)
{
    return (int)(s->hflags & HF_CPL_MASK);
}

static inline bool pm_mode(const X86State *s)
{
    return (s->cr[0] & CR0_PE) && !(s->eflags & EF_VM);
}

/* ---- descriptors ------------------------------------------------------------- */

static bool desc_addr(X86CPU *cpu, uint16_t sel, uint64_t *addr)
{
    const X86State *s = &cpu->env;
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        /* The LDT cache is valid after reset (base 0, limit 0xffff) and
         * after LLDT of a non-null selector; LLDT of null clears it. */
        if (!(s->ldt.flags & DESC_P_MASK))
            return false;
        base = s->ldt.base;
        limit = s->ldt.limit;
    } else {
        base = s->gdt.base;
        limit = s->gdt.limit;
    }
    if ((uint32_t)(sel & ~7u) + 7 > limit)
        return false;
    *addr = base + (sel & ~7u);
    return true;
}

bool x86_desc_fetch(X86CPU *cpu, uint16_t sel, uint32_t *e1, uint32_t *e2)
{
    uint64_t a;
    if (!desc_addr(cpu, sel, &a))
        return false;
    *e1 = (uint32_t)x86_ld_kernel(cpu, a, 4);
    *e2 = (uint32_t)x86_ld_kernel(cpu, a + 4, 4);
    return true;
}

void x86_desc_set_bits(X86CPU *cpu, uint16_t sel, uint32_t bits)
{
    uint64_t a;
    if (!desc_addr(cpu, sel, &a))
        return;
    uint32_t e2 = (uint32_t)x86_ld_kernel(cpu, a + 4, 4);
    if ((e2 & bits) != bits)
        x86_st_kernel(cpu, a + 4, e2 | bits, 4);
}

void x86_seg_cache_load(X86Segment *seg, uint16_t sel, uint32_t e1, uint32_t e2)
{
    seg->selector = sel;
    seg->base = x86_desc_base(e1, e2);
    seg->limit = x86_desc_limit(e1, e2);
    seg->flags = e2 & 0x00f0ff00u;
}

void x86_seg_cache_load_cs(X86Segment *seg, uint16_t sel, uint32_t e1, uint32_t e2, int cpl)
{
    x86_seg_cache_load(seg, (uint16_t)((sel & 0xfffc) | cpl), e1, e2);
    seg->flags = (seg->flags & ~DESC_DPL_MASK) | ((uint32_t)cpl << DESC_DPL_SHIFT);
}

void x86_seg_load_vm(X86State *s, int seg, uint16_t sel, bool vm86)
{
    X86Segment *sg = &s->segs[seg];
    sg->selector = sel;
    sg->base = (uint32_t)sel << 4;
    if (vm86) {
        /* vm86: every segment is a 64 KiB DPL 3 read/write segment (SDM 20.1.1). */
        sg->limit = 0xffff;
        sg->flags = DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_W_MASK | (3u << DESC_DPL_SHIFT) |
                    (seg == R_CS ? DESC_CS_MASK : 0);
    }
    /* Real mode keeps the hidden limit and rights ("unreal mode"). */
}

bool x86_seg_range_ok(const X86Segment *seg, uint64_t offset, uint64_t len)
{
    uint64_t last = offset + len - 1;
    if ((seg->flags & (DESC_S_MASK | DESC_CS_MASK | DESC_E_MASK)) == (DESC_S_MASK | DESC_E_MASK)) {
        uint64_t top = (seg->flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
        return offset > seg->limit && last <= top && last >= offset;
    }
    return last <= seg->limit && last >= offset;
}

/* ---- stacks -------------------------------------------------------------------- */

static uint64_t ss_mask(const X86State *s, uint32_t ss_flags)
{
    if (s->hflags & HF_CS64)
        return ~0ull;
    return (ss_flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
}

void x86_stack_current(X86CPU *cpu, X86Stack *st)
{
    X86State *s = &cpu->env;
    bool pm = pm_mode(s);
    st->mask = pm ? ss_mask(s, s->segs[R_SS].flags) : 0xffff;
    st->base = s->segs[R_SS].base;
    st->sp = s->regs[R_ESP] & st->mask;
    st->mmu = x86_mmu_index(s);
}

void x86_stack_push(X86CPU *cpu, X86Stack *st, uint64_t val, int size)
{
    st->sp = (st->sp - (unsigned)size) & st->mask;
    x86_st_mmu(cpu, st->base + st->sp, val, size, st->mmu);
}

uint64_t x86_stack_pop(X86CPU *cpu, X86Stack *st, int size)
{
    uint64_t v = x86_ld_mmu(cpu, st->base + st->sp, size, st->mmu);
    st->sp = (st->sp + (unsigned)size) & st->mask;
    return v;
}

void x86_stack_commit(X86State *s, const X86Stack *st)
{
    s->regs[R_ESP] = (s->regs[R_ESP] & ~st->mask) | st->sp;
    if (st->mask == 0xffffffffu)
        s->regs[R_ESP] = (uint32_t)st->sp; /* a 32-bit write clears the high half */
}

static bool stack_range_ok(const X86Segment *ss, const X86Stack *st, uint64_t start, uint64_t len)
{
    if (st->mask == ~0ull)
        return true;
    start &= st->mask;
    if (start + len - 1 > st->mask) /* wraps around the stack's width */
        return x86_seg_range_ok(ss, start, st->mask - start + 1) &&
               x86_seg_range_ok(ss, 0, len - (st->mask - start + 1));
    return x86_seg_range_ok(ss, start, len);
}

void x86_stack_check_push(X86CPU *cpu, const X86Segment *ss, const X86Stack *st, uint64_t len, int err)
{
    if ((cpu->env.cr[0] & CR0_PE) && !stack_range_ok(ss, st, st->sp - len, len))
        raise_err(cpu, EXCP_SS, err);
}

void x86_stack_check_pop(X86CPU *cpu, const X86Segment *ss, const X86Stack *st, uint64_t len, int err)
{
    if ((cpu->env.cr[0] & CR0_PE) && !stack_range_ok(ss, st, st->sp, len))
        raise_err(cpu, EXCP_SS, err);
}

/* A stack on segment `ss` (a cache not yet loaded) at privilege cpl. */
static void stack_for(const X86State *s, X86Stack *st, const X86Segment *ss, uint64_t sp, int cpl)
{
    st->mask = (s->efer & EFER_LMA) && (s->hflags & HF_CS64) ? ~0ull
               : (ss->flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
    st->base = ss->base;
    st->sp = sp & st->mask;
    st->mmu = cpl == 3 ? X86_MMU_USER : X86_MMU_KERNEL;
}

/* ---- segment register loads ------------------------------------------------------ */

void x86_load_seg(X86CPU *cpu, int seg, uint16_t sel)
{
    X86State *s = &cpu->env;
    int cpl = cpl_of(s), rpl = sel & 3, dpl;
    uint32_t e1, e2;

    if (!pm_mode(s)) {
        x86_seg_load_vm(s, seg, sel, (s->eflags & EF_VM) != 0);
        x86_update_hflags(s);
        return;
    }
    if (seg == R_CS)
        x86_raise_exception(cpu, EXCP_UD);
    if (!(sel & 0xfffc)) {
        /* A null selector: fine for data segments (use faults later), #GP
         * for SS except in 64-bit mode at CPL < 3 with RPL = CPL. */
        if (seg == R_SS && !((s->hflags & HF_CS64) && cpl != 3 && rpl == cpl))
            raise_err(cpu, EXCP_GP, 0);
        s->segs[seg].selector = sel;
        s->segs[seg].base = 0;
        s->segs[seg].limit = 0;
        s->segs[seg].flags = seg == R_SS ? (uint32_t)cpl << DESC_DPL_SHIFT : 0;
        x86_update_hflags(s);
        return;
    }
    if (!x86_desc_fetch(cpu, sel, &e1, &e2))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (!(e2 & DESC_S_MASK))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    dpl = x86_desc_dpl(e2);
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || (e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK))
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        if (!(e2 & DESC_P_MASK))
            raise_err(cpu, EXCP_SS, SEL_ERR(sel));
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) /* execute-only code */
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        if (!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK))
            if (dpl < cpl || dpl < rpl)
                raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        if (!(e2 & DESC_P_MASK))
            raise_err(cpu, EXCP_NP, SEL_ERR(sel));
    }
    if (!(e2 & DESC_A_MASK)) {
        x86_desc_set_bits(cpu, sel, DESC_A_MASK);
        e2 |= DESC_A_MASK;
    }
    x86_seg_cache_load(&s->segs[seg], sel, e1, e2);
    x86_update_hflags(s);
}

/* ---- far transfers --------------------------------------------------------------- */

/* Target code segment of a far JMP/CALL (directly or through a gate):
 * descriptor rules, with err the selector error code for #GP/#NP. */
static void check_code_target(X86CPU *cpu, uint32_t e2, int rpl, int err, bool rpl_matters)
{
    int cpl = cpl_of(&cpu->env), dpl = x86_desc_dpl(e2);
    if ((e2 & (DESC_S_MASK | DESC_CS_MASK)) != (DESC_S_MASK | DESC_CS_MASK))
        raise_err(cpu, EXCP_GP, err);
    if (e2 & DESC_C_MASK) {
        if (dpl > cpl)
            raise_err(cpu, EXCP_GP, err);
    } else if (rpl_matters) {
        if (rpl > cpl || dpl != cpl)
            raise_err(cpu, EXCP_GP, err);
    } else if (dpl > cpl) {
        raise_err(cpu, EXCP_GP, err);
    }
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, err);
}

static void check_offset(X86CPU *cpu, uint32_t e1, uint32_t e2, uint64_t offset)
{
    if ((cpu->env.efer & EFER_LMA) && (e2 & DESC_L_MASK)) {
        if (!x86_canonical(offset))
            raise_err(cpu, EXCP_GP, 0);
    } else if (offset > x86_desc_limit(e1, e2)) {
        raise_err(cpu, EXCP_GP, 0);
    }
}

static void set_cs(X86CPU *cpu, uint16_t sel, uint32_t e1, uint32_t e2, int cpl)
{
    if (!(e2 & DESC_A_MASK)) {
        x86_desc_set_bits(cpu, sel, DESC_A_MASK);
        e2 |= DESC_A_MASK;
    }
    x86_seg_cache_load_cs(&cpu->env.segs[R_CS], sel, e1, e2, cpl);
}

/* Far transfer in real mode / vm86. */
static void far_vm(X86CPU *cpu, uint16_t sel, uint64_t offset)
{
    X86State *s = &cpu->env;
    x86_seg_load_vm(s, R_CS, sel, (s->eflags & EF_VM) != 0);
    s->rip = offset;
    x86_update_hflags(s);
}

/* A task gate or TSS descriptor as a JMP/CALL target. */
static void far_task(X86CPU *cpu, uint16_t sel, uint32_t e1, uint32_t e2, int source,
                     uint64_t next_eip)
{
    X86State *s = &cpu->env;
    int type = x86_desc_type(e2), dpl = x86_desc_dpl(e2);
    if (s->efer & EFER_LMA)
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (dpl < cpl_of(s) || dpl < (sel & 3))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, SEL_ERR(sel));
    if (type == DESC_TASK_GATE) {
        uint16_t tss = (uint16_t)(e1 >> 16);
        if ((tss & 4) || !x86_desc_fetch(cpu, tss, &e1, &e2))
            raise_err(cpu, EXCP_GP, SEL_ERR(tss));
        type = x86_desc_type(e2);
        if ((e2 & DESC_S_MASK) || (type != DESC_TSS16_AVAIL && type != DESC_TSS32_AVAIL))
            raise_err(cpu, EXCP_GP, SEL_ERR(tss));
        sel = tss;
    } else if (type == DESC_TSS16_BUSY || type == DESC_TSS32_BUSY) {
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    }
    x86_task_switch(cpu, sel, e1, e2, source, next_eip, 0);
}

/* Call gate: returns the target code selector, offset, and its descriptor. */
static void gate_target(X86CPU *cpu, uint16_t sel, uint32_t e1, uint32_t e2, uint16_t *gsel,
                        uint64_t *goff, uint32_t *c1, uint32_t *c2)
{
    X86State *s = &cpu->env;
    int dpl = x86_desc_dpl(e2);
    if (dpl < cpl_of(s) || dpl < (sel & 3))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, SEL_ERR(sel));
    *gsel = (uint16_t)(e1 >> 16);
    *goff = x86_desc_type(e2) == DESC_CALL_GATE32 ? (e2 & 0xffff0000u) | (e1 & 0xffffu)
                                                    : (e1 & 0xffffu);
    if (s->efer & EFER_LMA) {
        /* 64-bit call gate: 16 bytes, the upper half holds offset 63:32. */
        uint64_t a = 0;
        if (!desc_addr(cpu, sel, &a) || (sel & ~7u) + 15 > ((sel & 4) ? s->ldt.limit : s->gdt.limit))
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        uint32_t e4 = (uint32_t)x86_ld_kernel(cpu, a + 12, 4);
        if (e4 & 0x1f00u)
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        *goff |= x86_ld_kernel(cpu, a + 8, 4) << 32;
    }
    if (!(*gsel & 0xfffc))
        raise_err(cpu, EXCP_GP, 0);
    if (!x86_desc_fetch(cpu, *gsel, c1, c2))
        raise_err(cpu, EXCP_GP, SEL_ERR(*gsel));
    if ((s->efer & EFER_LMA) && (!(*c2 & DESC_L_MASK) || (*c2 & DESC_B_MASK)))
        raise_err(cpu, EXCP_GP, SEL_ERR(*gsel));
}

static bool is_call_gate(const X86State *s, int type)
{
    return type == DESC_CALL_GATE32 || (type == DESC_CALL_GATE16 && !(s->efer & EFER_LMA));
}

void x86_ljmp(X86CPU *cpu, uint16_t sel, uint64_t offset, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    int cpl = cpl_of(s);
    uint32_t e1, e2;

    if (!pm_mode(s)) {
        if (offset > s->segs[R_CS].limit)
            raise_err(cpu, EXCP_GP, 0);
        far_vm(cpu, sel, offset);
        return;
    }
    if (!(sel & 0xfffc))
        raise_err(cpu, EXCP_GP, 0);
    if (!x86_desc_fetch(cpu, sel, &e1, &e2))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (e2 & DESC_S_MASK) {
        check_code_target(cpu, e2, sel & 3, SEL_ERR(sel), true);
        check_offset(cpu, e1, e2, offset);
        set_cs(cpu, sel, e1, e2, cpl);
        s->rip = offset;
    } else {
        int type = x86_desc_type(e2);
        if (is_call_gate(s, type)) {
            uint16_t gsel;
            uint64_t goff;
            uint32_t c1, c2;
            gate_target(cpu, sel, e1, e2, &gsel, &goff, &c1, &c2);
            /* JMP through a gate never changes privilege. */
            int gdpl = x86_desc_dpl(c2);
            if ((c2 & (DESC_S_MASK | DESC_CS_MASK)) != (DESC_S_MASK | DESC_CS_MASK) ||
                ((c2 & DESC_C_MASK) ? gdpl > cpl : gdpl != cpl))
                raise_err(cpu, EXCP_GP, SEL_ERR(gsel));
            if (!(c2 & DESC_P_MASK))
                raise_err(cpu, EXCP_NP, SEL_ERR(gsel));
            check_offset(cpu, c1, c2, goff);
            set_cs(cpu, gsel, c1, c2, cpl);
            s->rip = goff;
        } else if (type == DESC_TASK_GATE || type == DESC_TSS16_AVAIL || type == DESC_TSS32_AVAIL ||
                   type == DESC_TSS16_BUSY || type == DESC_TSS32_BUSY) {
            far_task(cpu, sel, e1, e2, X86_TS_JMP, next_eip);
        } else {
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        }
    }
    x86_update_hflags(s);
}

void x86_lcall(X86CPU *cpu, uint16_t sel, uint64_t offset, int osize, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    int cpl = cpl_of(s);
    uint32_t e1, e2;
    X86Stack st;

    x86_stack_current(cpu, &st);
    if (!pm_mode(s)) {
        if (offset > s->segs[R_CS].limit)
            raise_err(cpu, EXCP_GP, 0);
        x86_stack_push(cpu, &st, s->segs[R_CS].selector, osize);
        x86_stack_push(cpu, &st, next_eip, osize);
        x86_stack_commit(s, &st);
        far_vm(cpu, sel, offset);
        return;
    }
    if (!(sel & 0xfffc))
        raise_err(cpu, EXCP_GP, 0);
    if (!x86_desc_fetch(cpu, sel, &e1, &e2))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (e2 & DESC_S_MASK) {
        check_code_target(cpu, e2, sel & 3, SEL_ERR(sel), true);
        check_offset(cpu, e1, e2, offset);
        x86_stack_check_push(cpu, &s->segs[R_SS], &st, 2u * (unsigned)osize, 0);
        x86_stack_push(cpu, &st, s->segs[R_CS].selector, osize);
        x86_stack_push(cpu, &st, next_eip, osize);
        set_cs(cpu, sel, e1, e2, cpl);
        x86_stack_commit(s, &st);
        s->rip = offset;
        x86_update_hflags(s);
        return;
    }
    int type = x86_desc_type(e2);
    if (type == DESC_TASK_GATE || type == DESC_TSS16_AVAIL || type == DESC_TSS32_AVAIL ||
        type == DESC_TSS16_BUSY || type == DESC_TSS32_BUSY) {
        far_task(cpu, sel, e1, e2, X86_TS_CALL, next_eip);
        x86_update_hflags(s);
        return;
    }
    if (!is_call_gate(s, type))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));

    uint16_t gsel;
    uint64_t goff;
    uint32_t c1, c2;
    gate_target(cpu, sel, e1, e2, &gsel, &goff, &c1, &c2);
    check_code_target(cpu, c2, 0, SEL_ERR(gsel), false);
    check_offset(cpu, c1, c2, goff);
    int gdpl = x86_desc_dpl(c2);
    int gsize = (s->efer & EFER_LMA) ? 8 : type == DESC_CALL_GATE32 ? 4 : 2;

    if (!(c2 & DESC_C_MASK) && gdpl < cpl) {
        /* More privileged: switch to the inner stack from the TSS and copy
         * the gate's parameter count of words/dwords (SDM 5.8.5). */
        uint16_t nss;
        uint64_t nsp;
        uint32_t s1 = 0, s2 = 0;
        X86Segment ssc;
        X86Stack nst;
        int params = (s->efer & EFER_LMA) ? 0 : (int)(e2 & 31);
        x86_tss_stack(cpu, gdpl, &nss, &nsp, 0);
        if (s->efer & EFER_LMA) {
            nss = (uint16_t)gdpl; /* 64-bit: a null SS with RPL = new CPL */
            memset(&ssc, 0, sizeof(ssc));
            ssc.selector = nss;
            ssc.flags = (uint32_t)gdpl << DESC_DPL_SHIFT;
        } else {
            x86_check_inner_ss(cpu, nss, gdpl, &s1, &s2, 0);
            x86_seg_cache_load(&ssc, nss, s1, s2);
        }
        stack_for(s, &nst, &ssc, nsp, gdpl);
        if (s->efer & EFER_LMA) {
            nst.mask = ~0ull;
            nst.sp = nsp & ~0ull;
        }
        x86_stack_check_push(cpu, &ssc, &nst, (uint64_t)(4 + params) * (unsigned)gsize, SEL_ERR(nss));
        x86_stack_check_pop(cpu, &s->segs[R_SS], &st, (uint64_t)params * (unsigned)gsize, 0);
        x86_stack_push(cpu, &nst, s->segs[R_SS].selector, gsize);
        x86_stack_push(cpu, &nst, s->regs[R_ESP] & st.mask, gsize);
        for (int i = params - 1; i >= 0; i--) {
            uint64_t v = x86_ld_mmu(cpu, st.base + ((st.sp + (unsigned)(i * gsize)) & st.mask), gsize, st.mmu);
            x86_stack_push(cpu, &nst, v, gsize);
        }
        x86_stack_push(cpu, &nst, s->segs[R_CS].selector, gsize);
        x86_stack_push(cpu, &nst, next_eip, gsize);
        /* commit */
        if (!(s->efer & EFER_LMA) && !(s2 & DESC_A_MASK)) {
            x86_desc_set_bits(cpu, nss, DESC_A_MASK);
            ssc.flags |= DESC_A_MASK;
        }
        s->segs[R_SS] = ssc;
        set_cs(cpu, gsel, c1, c2, gdpl);
        x86_update_hflags(s);
        x86_stack_commit(s, &nst);
    } else {
        x86_stack_check_push(cpu, &s->segs[R_SS], &st, 2u * (unsigned)gsize, 0);
        x86_stack_push(cpu, &st, s->segs[R_CS].selector, gsize);
        x86_stack_push(cpu, &st, next_eip, gsize);
        set_cs(cpu, gsel, c1, c2, cpl);
        x86_stack_commit(s, &st);
    }
    s->rip = goff;
    x86_update_hflags(s);
}

/* After a return to an outer level: data segments the new CPL may not use
 * become null (SDM RET/IRET "FOR each of segment register ES, FS, GS, DS"). */
static void validate_data_segs(X86State *s)
{
    int cpl = cpl_of(s);
    static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
    for (int i = 0; i < 4; i++) {
        X86Segment *sg = &s->segs[segs[i]];
        uint32_t f = sg->flags;
        if ((sg->selector & 0xfffc) == 0 && !(f & DESC_P_MASK))
            continue;
        bool conforming_code = (f & (DESC_CS_MASK | DESC_C_MASK)) == (DESC_CS_MASK | DESC_C_MASK);
        if (!conforming_code && (int)((f & DESC_DPL_MASK) >> DESC_DPL_SHIFT) < cpl) {
            sg->selector = 0;
            sg->base = 0;
            sg->limit = 0;
            sg->flags = 0;
        }
    }
}

/*
 * Protected-mode far RET / IRET after the return address (and EFLAGS) were
 * read: pops done on *st. Loads CS (and SS:ESP on an outer return).
 */
static void ret_pm(X86CPU *cpu, X86Stack *st, uint16_t new_cs, uint64_t new_eip, int osize,
                   uint16_t pop_bytes, bool is_iret)
{
    X86State *s = &cpu->env;
    int cpl = cpl_of(s), rpl = new_cs & 3;
    uint32_t e1, e2;

    if (!(new_cs & 0xfffc))
        raise_err(cpu, EXCP_GP, 0);
    if (!x86_desc_fetch(cpu, new_cs, &e1, &e2))
        raise_err(cpu, EXCP_GP, SEL_ERR(new_cs));
    if ((e2 & (DESC_S_MASK | DESC_CS_MASK)) != (DESC_S_MASK | DESC_CS_MASK) || rpl < cpl)
        raise_err(cpu, EXCP_GP, SEL_ERR(new_cs));
    int dpl = x86_desc_dpl(e2);
    if ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)
        raise_err(cpu, EXCP_GP, SEL_ERR(new_cs));
    if ((s->efer & EFER_LMA) && (e2 & DESC_L_MASK) && (e2 & DESC_B_MASK))
        raise_err(cpu, EXCP_GP, SEL_ERR(new_cs));
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, SEL_ERR(new_cs));
    st->sp = (st->sp + pop_bytes) & st->mask;

    bool to_64 = (s->efer & EFER_LMA) && (e2 & DESC_L_MASK);
    /* IRET in 64-bit mode always pops SS:RSP. */
    if (rpl == cpl && !(is_iret && (s->hflags & HF_CS64))) {
        check_offset(cpu, e1, e2, new_eip);
        set_cs(cpu, new_cs, e1, e2, cpl);
        x86_stack_commit(s, st);
    } else {
        /* Outer level (or 64-bit IRET, which always pops SS:RSP). */
        uint64_t new_esp = x86_stack_pop(cpu, st, osize);
        uint16_t new_ss = (uint16_t)x86_stack_pop(cpu, st, osize);
        uint32_t s1 = 0, s2 = 0;
        X86Segment ssc;
        memset(&ssc, 0, sizeof(ssc));
        if (!(new_ss & 0xfffc)) {
            /* Null SS: only a 64-bit return to CPL < 3 may do that. */
            if (!to_64 || rpl == 3 || !(s->efer & EFER_LMA))
                raise_err(cpu, EXCP_GP, 0);
            ssc.selector = new_ss;
            ssc.flags = (uint32_t)rpl << DESC_DPL_SHIFT;
        } else {
            if (!x86_desc_fetch(cpu, new_ss, &s1, &s2))
                raise_err(cpu, EXCP_GP, SEL_ERR(new_ss));
            if ((new_ss & 3) != rpl || x86_desc_dpl(s2) != rpl ||
                (s2 & (DESC_S_MASK | DESC_CS_MASK | DESC_W_MASK)) != (DESC_S_MASK | DESC_W_MASK))
                raise_err(cpu, EXCP_GP, SEL_ERR(new_ss));
            if (!(s2 & DESC_P_MASK))
                raise_err(cpu, EXCP_SS, SEL_ERR(new_ss));
            x86_seg_cache_load(&ssc, new_ss, s1, s2);
        }
        check_offset(cpu, e1, e2, new_eip);
        if ((new_ss & 0xfffc) && !(s2 & DESC_A_MASK)) {
            x86_desc_set_bits(cpu, new_ss, DESC_A_MASK);
            ssc.flags |= DESC_A_MASK;
        }
        set_cs(cpu, new_cs, e1, e2, rpl);
        s->segs[R_SS] = ssc;
        x86_update_hflags(s);
        X86Stack nst;
        stack_for(s, &nst, &ssc, new_esp + (is_iret ? 0 : pop_bytes), rpl);
        if (to_64)
            nst.mask = ~0ull, nst.sp = new_esp;
        x86_stack_commit(s, &nst);
        if (rpl != cpl)
            validate_data_segs(s);
    }
    s->rip = new_eip;
}

void x86_lret(X86CPU *cpu, int osize, uint16_t pop_bytes)
{
    X86State *s = &cpu->env;
    X86Stack st;
    x86_stack_current(cpu, &st);
    if (!pm_mode(s)) {
        uint64_t eip = x86_stack_pop(cpu, &st, osize);
        uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, osize);
        if (eip > s->segs[R_CS].limit)
            raise_err(cpu, EXCP_GP, 0);
        st.sp = (st.sp + pop_bytes) & st.mask;
        x86_stack_commit(s, &st);
        far_vm(cpu, cs, eip);
        return;
    }
    x86_stack_check_pop(cpu, &s->segs[R_SS], &st, 2u * (unsigned)osize, 0);
    uint64_t eip = x86_stack_pop(cpu, &st, osize);
    uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, osize);
    if ((cs & 3) > cpl_of(s))
        x86_stack_check_pop(cpu, &s->segs[R_SS], &st, pop_bytes + 2u * (unsigned)osize, 0);
    ret_pm(cpu, &st, cs, eip, osize, pop_bytes, false);
    x86_update_hflags(s);
}

/* EFLAGS bits an IRET may change (SDM IRET "Operation"). */
static uint32_t iret_mask(const X86State *s, int osize)
{
    int cpl = cpl_of(s), iopl = (int)((s->eflags & EF_IOPL) >> EF_IOPL_SHIFT);
    uint32_t mask = CC_ARITH | EF_TF | EF_DF | EF_NT | EF_RF | EF_AC | EF_ID;
    if (!(s->cr[0] & CR0_PE))
        mask |= EF_IF | EF_IOPL;
    else if (s->eflags & EF_VM)
        mask |= EF_IF;
    else {
        if (cpl <= iopl)
            mask |= EF_IF;
        if (cpl == 0)
            mask |= EF_IOPL | EF_VIF | EF_VIP;
    }
    return osize == 2 ? mask & 0xffff : mask;
}

void x86_iret(X86CPU *cpu, int osize, uint64_t next_eip)
{
    X86State *s = &cpu->env;
    X86Stack st;
    uint32_t e1, e2;

    x86_stack_current(cpu, &st);
    if ((s->eflags & EF_VM) && ((s->eflags & EF_IOPL) >> EF_IOPL_SHIFT) < 3)
        raise_err(cpu, EXCP_GP, 0);
    if (!pm_mode(s)) {
        /* real mode, vm86 with IOPL 3 */
        uint64_t eip = x86_stack_pop(cpu, &st, osize);
        uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, osize);
        uint32_t fl = (uint32_t)x86_stack_pop(cpu, &st, osize);
        if (eip > s->segs[R_CS].limit)
            raise_err(cpu, EXCP_GP, 0);
        uint32_t mask = iret_mask(s, osize);
        x86_stack_commit(s, &st);
        far_vm(cpu, cs, eip);
        x86_eflags_set(s, fl, mask);
        s->nmi_blocked = 0;
        x86_update_hflags(s);
        return;
    }
    if ((s->eflags & EF_NT) && !(s->efer & EFER_LMA)) {
        /* Return from a nested task: to the TSS in the back link. */
        uint16_t back = (uint16_t)x86_ld_kernel(cpu, s->tr.base, 2);
        if ((back & 4) || !x86_desc_fetch(cpu, back, &e1, &e2))
            raise_err(cpu, EXCP_TS, SEL_ERR(back));
        int type = x86_desc_type(e2);
        if ((e2 & DESC_S_MASK) || (type != DESC_TSS16_BUSY && type != DESC_TSS32_BUSY))
            raise_err(cpu, EXCP_TS, SEL_ERR(back));
        if (!(e2 & DESC_P_MASK))
            raise_err(cpu, EXCP_NP, SEL_ERR(back));
        x86_task_switch(cpu, back, e1, e2, X86_TS_IRET, next_eip, 0);
        s->nmi_blocked = 0;
        x86_update_hflags(s);
        return;
    }
    x86_stack_check_pop(cpu, &s->segs[R_SS], &st, 3u * (unsigned)osize, 0);
    uint64_t eip = x86_stack_pop(cpu, &st, osize);
    uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, osize);
    uint32_t fl = (uint32_t)x86_stack_pop(cpu, &st, osize);
    if (osize == 4 && (fl & EF_VM) && cpl_of(s) == 0 && !(s->efer & EFER_LMA)) {
        /* Return to vm86 (SDM IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
        x86_stack_check_pop(cpu, &s->segs[R_SS], &st, 24, 0);
        uint32_t esp = (uint32_t)x86_stack_pop(cpu, &st, 4);
        uint16_t sels[6];
        static const int order[] = { R_SS, R_ES, R_DS, R_FS, R_GS };
        for (int i = 0; i < 5; i++)
            sels[order[i]] = (uint16_t)x86_stack_pop(cpu, &st, 4);
        sels[R_CS] = cs;
        x86_eflags_set(s, fl, ~0u & ~(EF_FIXED1));
        for (int i = 0; i < X86_NB_SEGS; i++)
            x86_seg_load_vm(s, i, sels[i], true);
        s->regs[R_ESP] = esp;
        s->rip = eip & 0xffff;
        s->nmi_blocked = 0;
        x86_update_hflags(s);
        return;
    }
    if ((s->hflags & HF_CS64) || (cs & 3) > cpl_of(s)) {
        x86_stack_check_pop(cpu, &s->segs[R_SS], &st, 2u * (unsigned)osize, 0);
    }
    uint32_t mask = iret_mask(s, osize);
    ret_pm(cpu, &st, cs, eip, osize, 0, true);
    x86_eflags_set(s, fl, mask);
    s->nmi_blocked = 0;
    x86_update_hflags(s);
}

/* ---- TSS, task switch ------------------------------------------------------------- */

void x86_tss_stack(X86CPU *cpu, int dpl, uint16_t *ss, uint64_t *sp, int ext)
{
    X86State *s = &cpu->env;
    int type = x86_desc_type(s->tr.flags);
    if (s->efer & EFER_LMA) {
        /* 64-bit TSS: RSP0..2 at 4 + 8 * dpl. */
        uint32_t off = 4 + 8u * (unsigned)dpl;
        if (off + 7 > s->tr.limit)
            raise_err(cpu, EXCP_TS, SEL_ERR(s->tr.selector) | ext);
        *sp = x86_ld_kernel(cpu, s->tr.base + off, 8);
        *ss = 0;
        return;
    }
    if (!(s->tr.flags & DESC_P_MASK))
        raise_err(cpu, EXCP_TS, SEL_ERR(s->tr.selector) | ext);
    if (type & 8) {
        uint32_t off = 4 + 8u * (unsigned)dpl;
        if (off + 5 > s->tr.limit)
            raise_err(cpu, EXCP_TS, SEL_ERR(s->tr.selector) | ext);
        *sp = (uint32_t)x86_ld_kernel(cpu, s->tr.base + off, 4);
        *ss = (uint16_t)x86_ld_kernel(cpu, s->tr.base + off + 4, 2);
    } else {
        uint32_t off = 2 + 4u * (unsigned)dpl;
        if (off + 3 > s->tr.limit)
            raise_err(cpu, EXCP_TS, SEL_ERR(s->tr.selector) | ext);
        *sp = (uint16_t)x86_ld_kernel(cpu, s->tr.base + off, 2);
        *ss = (uint16_t)x86_ld_kernel(cpu, s->tr.base + off + 2, 2);
    }
}

void x86_check_inner_ss(X86CPU *cpu, uint16_t ss, int dpl, uint32_t *e1, uint32_t *e2, int ext)
{
    if (!(ss & 0xfffc))
        raise_err(cpu, EXCP_TS, ext);
    if (!x86_desc_fetch(cpu, ss, e1, e2))
        raise_err(cpu, EXCP_TS, SEL_ERR(ss) | ext);
    if ((ss & 3) != dpl || x86_desc_dpl(*e2) != dpl ||
        (*e2 & (DESC_S_MASK | DESC_CS_MASK | DESC_W_MASK)) != (DESC_S_MASK | DESC_W_MASK))
        raise_err(cpu, EXCP_TS, SEL_ERR(ss) | ext);
    if (!(*e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_SS, SEL_ERR(ss) | ext);
}

/* Load a segment register of the new task (after the commit point): #TS
 * for bad descriptors, #NP/#SS for absent ones, in the new task. */
static void task_load_seg(X86CPU *cpu, int seg, uint16_t sel, int cpl, int ext)
{
    X86State *s = &cpu->env;
    uint32_t e1, e2;
    int rpl = sel & 3;
    if (!(sel & 0xfffc)) {
        if (seg == R_SS || seg == R_CS)
            x86_raise_norestore(cpu, EXCP_TS, ext);
        s->segs[seg].selector = sel;
        s->segs[seg].base = 0;
        s->segs[seg].limit = 0;
        s->segs[seg].flags = 0;
        return;
    }
    if (!x86_desc_fetch(cpu, sel, &e1, &e2) || !(e2 & DESC_S_MASK))
        x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(sel) | ext);
    int dpl = x86_desc_dpl(e2);
    if (seg == R_CS) {
        if (!(e2 & DESC_CS_MASK) || ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl))
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(sel) | ext);
        if (!(e2 & DESC_P_MASK))
            x86_raise_norestore(cpu, EXCP_NP, SEL_ERR(sel) | ext);
    } else if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || (e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK))
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(sel) | ext);
        if (!(e2 & DESC_P_MASK))
            x86_raise_norestore(cpu, EXCP_SS, SEL_ERR(sel) | ext);
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK)
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(sel) | ext);
        if ((!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) && (dpl < cpl || dpl < rpl))
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(sel) | ext);
        if (!(e2 & DESC_P_MASK))
            x86_raise_norestore(cpu, EXCP_NP, SEL_ERR(sel) | ext);
    }
    if (!(e2 & DESC_A_MASK)) {
        x86_desc_set_bits(cpu, sel, DESC_A_MASK);
        e2 |= DESC_A_MASK;
    }
    if (seg == R_CS)
        x86_seg_cache_load_cs(&s->segs[R_CS], sel, e1, e2, rpl);
    else
        x86_seg_cache_load(&s->segs[seg], sel, e1, e2);
}

/*
 * 32-bit TSS: back link 0, ESP0/SS0.. 4, CR3 0x1c, EIP 0x20, EFLAGS 0x24,
 * EAX..EDI 0x28, ES CS SS DS FS GS 0x48 (4 apart), LDT 0x60, T/iomap 0x64.
 * 16-bit TSS: back link 0, SP0/SS0.. 2, IP 0x0e, FLAGS 0x10, AX..DI 0x12,
 * ES CS SS DS 0x22 (2 apart), LDT 0x2a. (SDM 8.2.1, 8.6.)
 */
void x86_task_switch(X86CPU *cpu, uint16_t tss_sel, uint32_t e1, uint32_t e2, int source,
                     uint64_t next_eip, int ext)
{
    X86State *s = &cpu->env;
    int type = x86_desc_type(e2);
    bool is32 = (type & 8) != 0, busy = (type & 2) != 0;
    uint64_t base = x86_desc_base(e1, e2);
    uint32_t limit = x86_desc_limit(e1, e2);
    uint32_t new_regs[8], new_eip, new_eflags, new_cr3 = 0;
    uint16_t new_segs[X86_NB_SEGS], new_ldt;

    if (source == X86_TS_IRET ? !busy : busy)
        raise_err(cpu, source == X86_TS_IRET ? EXCP_TS : EXCP_GP, SEL_ERR(tss_sel) | ext);
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, SEL_ERR(tss_sel) | ext);
    if (limit < (is32 ? 0x67u : 0x2bu))
        raise_err(cpu, EXCP_TS, SEL_ERR(tss_sel) | ext);

    /* Read the whole new state first: a #PF here leaves everything as it was. */
    if (is32) {
        new_cr3 = (uint32_t)x86_ld_kernel(cpu, base + 0x1c, 4);
        new_eip = (uint32_t)x86_ld_kernel(cpu, base + 0x20, 4);
        new_eflags = (uint32_t)x86_ld_kernel(cpu, base + 0x24, 4);
        for (int i = 0; i < 8; i++)
            new_regs[i] = (uint32_t)x86_ld_kernel(cpu, base + 0x28 + 4u * (unsigned)i, 4);
        for (int i = 0; i < X86_NB_SEGS; i++)
            new_segs[i] = (uint16_t)x86_ld_kernel(cpu, base + 0x48 + 4u * (unsigned)i, 2);
        new_ldt = (uint16_t)x86_ld_kernel(cpu, base + 0x60, 2);
    } else {
        new_eip = (uint16_t)x86_ld_kernel(cpu, base + 0x0e, 2);
        new_eflags = (uint16_t)x86_ld_kernel(cpu, base + 0x10, 2);
        for (int i = 0; i < 8; i++)
            new_regs[i] = ((uint32_t)s->regs[i] & 0xffff0000u) |
                          (uint16_t)x86_ld_kernel(cpu, base + 0x12 + 2u * (unsigned)i, 2);
        for (int i = 0; i < 4; i++)
            new_segs[i] = (uint16_t)x86_ld_kernel(cpu, base + 0x22 + 2u * (unsigned)i, 2);
        new_segs[R_FS] = new_segs[R_GS] = 0;
        new_ldt = (uint16_t)x86_ld_kernel(cpu, base + 0x2a, 2);
    }

    /* Save the old task. */
    uint64_t obase = s->tr.base;
    bool old32 = (x86_desc_type(s->tr.flags) & 8) != 0;
    uint32_t old_eflags = x86_eflags_get(s);
    if (source == X86_TS_IRET)
        old_eflags &= ~EF_NT;
    if (old32) {
        x86_st_kernel(cpu, obase + 0x20, (uint32_t)next_eip, 4);
        x86_st_kernel(cpu, obase + 0x24, old_eflags, 4);
        for (int i = 0; i < 8; i++)
            x86_st_kernel(cpu, obase + 0x28 + 4u * (unsigned)i, (uint32_t)s->regs[i], 4);
        for (int i = 0; i < X86_NB_SEGS; i++)
            x86_st_kernel(cpu, obase + 0x48 + 4u * (unsigned)i, s->segs[i].selector, 2);
    } else {
        x86_st_kernel(cpu, obase + 0x0e, (uint16_t)next_eip, 2);
        x86_st_kernel(cpu, obase + 0x10, (uint16_t)old_eflags, 2);
        for (int i = 0; i < 8; i++)
            x86_st_kernel(cpu, obase + 0x12 + 2u * (unsigned)i, (uint16_t)s->regs[i], 2);
        for (int i = 0; i < 4; i++)
            x86_st_kernel(cpu, obase + 0x22 + 2u * (unsigned)i, s->segs[i].selector, 2);
    }
    if (source == X86_TS_JMP || source == X86_TS_IRET) {
        /* The old task is no longer busy. */
        uint64_t a;
        if (desc_addr(cpu, s->tr.selector, &a)) {
            uint32_t oe2 = (uint32_t)x86_ld_kernel(cpu, a + 4, 4);
            x86_st_kernel(cpu, a + 4, oe2 & ~(2u << DESC_TYPE_SHIFT), 4);
        }
    }
    if (source == X86_TS_CALL || source == X86_TS_INT) {
        x86_st_kernel(cpu, base, s->tr.selector, 2);
        new_eflags |= EF_NT;
    }
    if (source != X86_TS_IRET) {
        x86_desc_set_bits(cpu, tss_sel, 2u << DESC_TYPE_SHIFT);
        e2 |= 2u << DESC_TYPE_SHIFT;
    }

    /* Commit point: from here on faults belong to the new task, so nothing
     * may restore the old instruction's state (not even a #PF below). */
    cpu->parent.host_pc = 0;
    s->old_exception = -1;
    x86_seg_cache_load(&s->tr, tss_sel, e1, e2);
    s->cr[0] |= CR0_TS;
    if (is32 && (s->cr[0] & CR0_PG)) {
        s->cr[3] = new_cr3;
        softmmu_flush_all(&cpu->parent);
        s->tlb_large = 0;
    }
    x86_eflags_set(s, new_eflags, ~EF_FIXED1);
    s->rip = new_eip;
    for (int i = 0; i < 8; i++)
        s->regs[i] = new_regs[i];
    for (int i = 0; i < X86_NB_SEGS; i++) {
        /* Selectors first, with unusable caches, so that a fault below
         * shows the new task's selectors. */
        s->segs[i].selector = new_segs[i];
        s->segs[i].flags = 0;
        s->segs[i].base = 0;
        s->segs[i].limit = 0;
    }
    s->ldt.selector = new_ldt;
    s->ldt.flags = 0;
    s->ldt.base = 0;
    s->ldt.limit = 0;

    if (new_ldt & 0xfffc) {
        uint32_t l1, l2;
        if ((new_ldt & 4) || !x86_desc_fetch(cpu, new_ldt, &l1, &l2) || (l2 & DESC_S_MASK) ||
            x86_desc_type(l2) != DESC_LDT)
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(new_ldt) | ext);
        if (!(l2 & DESC_P_MASK))
            x86_raise_norestore(cpu, EXCP_TS, SEL_ERR(new_ldt) | ext);
        x86_seg_cache_load(&s->ldt, new_ldt, l1, l2);
    }
    if (new_eflags & EF_VM) {
        for (int i = 0; i < X86_NB_SEGS; i++)
            x86_seg_load_vm(s, i, new_segs[i], true);
    } else {
        int cpl = new_segs[R_CS] & 3;
        task_load_seg(cpu, R_CS, new_segs[R_CS], cpl, ext);
        x86_update_hflags(s);
        task_load_seg(cpu, R_SS, new_segs[R_SS], cpl, ext);
        task_load_seg(cpu, R_ES, new_segs[R_ES], cpl, ext);
        task_load_seg(cpu, R_DS, new_segs[R_DS], cpl, ext);
        task_load_seg(cpu, R_FS, new_segs[R_FS], cpl, ext);
        task_load_seg(cpu, R_GS, new_segs[R_GS], cpl, ext);
    }
    x86_update_hflags(s);
    if (new_eip > s->segs[R_CS].limit)
        x86_raise_norestore(cpu, EXCP_GP, ext);
}

/* ---- LLDT, LTR ------------------------------------------------------------------------ */

static void system_seg_load(X86CPU *cpu, X86Segment *dst, uint16_t sel, bool tr)
{
    X86State *s = &cpu->env;
    uint32_t e1, e2;
    if (!pm_mode(s))
        x86_raise_exception(cpu, EXCP_UD);
    if (cpl_of(s) != 0)
        raise_err(cpu, EXCP_GP, 0);
    if (!(sel & 0xfffc)) {
        if (tr)
            raise_err(cpu, EXCP_GP, 0);
        dst->selector = sel;
        dst->base = 0;
        dst->limit = 0;
        dst->flags = 0;
        return;
    }
    if ((sel & 4) || !x86_desc_fetch(cpu, sel, &e1, &e2))
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    int type = x86_desc_type(e2);
    bool ok = tr ? (type == DESC_TSS32_AVAIL || (type == DESC_TSS16_AVAIL && !(s->efer & EFER_LMA)))
                 : type == DESC_LDT;
    if ((e2 & DESC_S_MASK) || !ok)
        raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    if (!(e2 & DESC_P_MASK))
        raise_err(cpu, EXCP_NP, SEL_ERR(sel));
    uint64_t hi = 0;
    if (s->efer & EFER_LMA) {
        /* 16-byte system descriptors: base 63:32 in the third dword. */
        uint64_t a = 0;
        if ((uint32_t)(sel & ~7u) + 15 > s->gdt.limit || !desc_addr(cpu, sel, &a))
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
        hi = x86_ld_kernel(cpu, a + 8, 4);
        if (x86_ld_kernel(cpu, a + 12, 4) & 0x1f00u)
            raise_err(cpu, EXCP_GP, SEL_ERR(sel));
    }
    if (tr) {
        x86_desc_set_bits(cpu, sel, 2u << DESC_TYPE_SHIFT);
        e2 |= 2u << DESC_TYPE_SHIFT;
    }
    x86_seg_cache_load(dst, sel, e1, e2);
    dst->base |= hi << 32;
}

void x86_lldt(X86CPU *cpu, uint16_t selector)
{
    system_seg_load(cpu, &cpu->env.ldt, selector, false);
}

void x86_ltr(X86CPU *cpu, uint16_t selector)
{
    system_seg_load(cpu, &cpu->env.tr, selector, true);
}

/* ---- LAR, LSL, VERR, VERW ---------------------------------------------------------------- */

enum { CHK_LAR, CHK_LSL, CHK_VERR, CHK_VERW };

static bool access_check(X86CPU *cpu, uint16_t sel, int kind, uint32_t *e1, uint32_t *e2)
{
    X86State *s = &cpu->env;
    int cpl = cpl_of(s), rpl = sel & 3;
    if (!pm_mode(s))
        x86_raise_exception(cpu, EXCP_UD);
    if (!(sel & 0xfffc) || !x86_desc_fetch(cpu, sel, e1, e2))
        return false;
    int dpl = x86_desc_dpl(*e2);
    if (*e2 & DESC_S_MASK) {
        bool code = (*e2 & DESC_CS_MASK) != 0;
        if (kind == CHK_VERR && code && !(*e2 & DESC_R_MASK))
            return false;
        if (kind == CHK_VERW && (code || !(*e2 & DESC_W_MASK)))
            return false;
        if (code && (*e2 & DESC_C_MASK))
            return true; /* conforming code: no privilege check */
    } else {
        if (kind == CHK_VERR || kind == CHK_VERW)
            return false;
        int type = x86_desc_type(*e2);
        bool lm = (s->efer & EFER_LMA) != 0;
        switch (type) {
        case DESC_LDT: case DESC_TSS32_AVAIL: case DESC_TSS32_BUSY:
            break;
        case DESC_TSS16_AVAIL: case DESC_TSS16_BUSY:
            if (lm)
                return false;
            break;
        case DESC_CALL_GATE16: case DESC_TASK_GATE:
            if (kind != CHK_LAR || lm)
                return false;
            break;
        case DESC_CALL_GATE32:
            if (kind != CHK_LAR)
                return false;
            break;
        default:
            return false;
        }
    }
    return dpl >= cpl && dpl >= rpl;
}

static void set_zf(X86State *s, bool ok)
{
    x86_eflags_set(s, ok ? CC_Z : 0, CC_Z);
}

uint64_t x86_lar(X86CPU *cpu, uint16_t selector, uint64_t old)
{
    uint32_t e1 = 0, e2 = 0;
    bool ok = access_check(cpu, selector, CHK_LAR, &e1, &e2);
    set_zf(&cpu->env, ok);
    return ok ? (e2 & 0x00f0ff00u) : old;
}

uint64_t x86_lsl(X86CPU *cpu, uint16_t selector, uint64_t old)
{
    uint32_t e1 = 0, e2 = 0;
    bool ok = access_check(cpu, selector, CHK_LSL, &e1, &e2);
    set_zf(&cpu->env, ok);
    return ok ? x86_desc_limit(e1, e2) : old;
}

void x86_verr(X86CPU *cpu, uint16_t selector)
{
    uint32_t e1, e2;
    set_zf(&cpu->env, access_check(cpu, selector, CHK_VERR, &e1, &e2));
}

void x86_verw(X86CPU *cpu, uint16_t selector)
{
    uint32_t e1, e2;
    set_zf(&cpu->env, access_check(cpu, selector, CHK_VERW, &e1, &e2));
}
