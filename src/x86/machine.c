/*
 * The x86 vCPU in a saved machine (savevm): its architectural state as a
 * state field table, the same whatever engine runs it. The lazy flags are
 * saved as the EFLAGS value they stand for; hflags, the TLBs and the jump
 * cache are recomputed or dropped on load.
 */
#include "src/x86/cpu.h"

#include "src/softmmu.h"
#include "src/tb.h"
#include "src/vmstate.h"
#include "src/x86/flags.h"

static const VMStateDescription vmstate_segment = {
    .name = "x86-segment",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(base, X86Segment),
        VMSTATE_UINT32(limit, X86Segment),
        VMSTATE_UINT32(flags, X86Segment),
        VMSTATE_UINT16(selector, X86Segment),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_desc_table = {
    .name = "x86-desc-table",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(base, X86DescTable),
        VMSTATE_UINT32(limit, X86DescTable),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_float80 = {
    .name = "x86-float80",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(mant, X86Float80),
        VMSTATE_UINT16(sexp, X86Float80),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_xmm = {
    .name = "x86-xmm",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(q, X86Xmm, 2),
        VMSTATE_END
    },
};

/* hflags bits that nothing else in the state implies */
#define HF_SAVED (HF_INHIBIT_IRQ | HF_SMM)

static int cpu_pre_save(void *opaque)
{
    X86CPU *cpu = opaque;
    cpu->saved_eflags = x86_eflags_get(&cpu->env);
    cpu->saved_hflags = cpu->env.hflags & HF_SAVED;
    return 0;
}

static int cpu_post_load(void *opaque, int version_id)
{
    (void)version_id;
    X86CPU *cpu = opaque;
    X86State *e = &cpu->env;
    x86_eflags_set(e, cpu->saved_eflags, ~0u);
    e->hflags = (e->hflags & ~HF_SAVED) | (cpu->saved_hflags & HF_SAVED);
    x86_update_hflags(e);
    /* The guest's page tables and code are the snapshot's now. */
    softmmu_flush_all(&cpu->parent);
    tb_jmp_cache_clear(&cpu->parent);
    cpu->parent.exception_index = -1;
    return 0;
}

#define F64(f) VMSTATE_UINT64(env.f, X86CPU)
#define F32(f) VMSTATE_UINT32(env.f, X86CPU)

static const VMStateDescription vmstate_x86_cpu = {
    .name = "cpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(env.regs, X86CPU, 16),
        F64(rip),
        VMSTATE_UINT32(saved_eflags, X86CPU),
        VMSTATE_UINT32(saved_hflags, X86CPU),
        VMSTATE_STRUCT_ARRAY(env.segs, X86CPU, X86_NB_SEGS, vmstate_segment),
        VMSTATE_STRUCT(env.ldt, X86CPU, vmstate_segment),
        VMSTATE_STRUCT(env.tr, X86CPU, vmstate_segment),
        VMSTATE_STRUCT(env.gdt, X86CPU, vmstate_desc_table),
        VMSTATE_STRUCT(env.idt, X86CPU, vmstate_desc_table),
        VMSTATE_UINT64_ARRAY(env.cr, X86CPU, 5),
        F64(cr8),
        VMSTATE_UINT64_ARRAY(env.dr, X86CPU, 8),
        F64(a20_mask),
        F64(efer), F64(star), F64(lstar), F64(cstar), F64(fmask), F64(kernel_gs_base),
        F64(sysenter_cs), F64(sysenter_esp), F64(sysenter_eip),
        F64(pat), F64(mtrr_deftype), F64(apic_base), F64(tsc_offset), F64(tsc_aux),
        F64(misc_enable), F64(xcr0),
        VMSTATE_UINT64_ARRAY(env.mtrr_var, X86CPU, 2 * X86_MTRR_NVAR),
        VMSTATE_UINT64_ARRAY(env.mtrr_fixed, X86CPU, 11),
        VMSTATE_STRUCT_ARRAY(env.fpregs, X86CPU, 8, vmstate_float80),
        F32(fpstt),
        VMSTATE_UINT16(env.fpuc, X86CPU),
        VMSTATE_UINT16(env.fpus, X86CPU),
        VMSTATE_UINT8_ARRAY(env.fptags, X86CPU, 8),
        VMSTATE_UINT16(env.fpop, X86CPU),
        VMSTATE_UINT16(env.fpcs, X86CPU),
        VMSTATE_UINT16(env.fpds, X86CPU),
        F64(fpip), F64(fpdp),
        VMSTATE_STRUCT_ARRAY(env.xmm, X86CPU, 16, vmstate_xmm),
        F32(mxcsr),
        F32(nmi_blocked),
        /* the engine-neutral part of the generic vCPU */
        VMSTATE_UINT32(parent.halted, X86CPU),
        VMSTATE_UINT32(parent.stopped, X86CPU),
        VMSTATE_END
    },
    .pre_save = cpu_pre_save,
    .post_load = cpu_post_load,
};

void x86_cpu_vmstate_register(X86CPU *cpu)
{
    vmstate_register("cpu", cpu->parent.cpu_index, &vmstate_x86_cpu, cpu);
}
