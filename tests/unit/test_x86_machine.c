/* src/x86/machine.c: the vCPU through a savevm state stream. */
#include "unit.h"
#include "src/cpu.h"
#include "src/vmstate.h"
#include "src/x86/cpu.h"
#include "src/x86/flags.h"
#include "src/x86/target.h"

TEST(cpu_state_round_trip)
{
    static X86CPU cpu;
    cpu_init(&cpu.parent, &x86_target_ops, NULL);
    cpu.cpuid_version = 0x663;
    x86_cpu_reset(&cpu);
    X86State *e = &cpu.env;
    /* 32-bit protected mode at CPL 3 with lazy flags pending */
    e->cr[0] |= CR0_PE;
    for (int i = 0; i < X86_NB_SEGS; i++) {
        e->segs[i].base = 0x1000u * (unsigned)i;
        e->segs[i].limit = 0xfffff;
        e->segs[i].selector = (uint16_t)(0x23 + 8 * i);
        e->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | (3u << DESC_DPL_SHIFT) |
                           DESC_W_MASK;
    }
    e->segs[R_CS].flags |= DESC_CS_MASK;
    for (int i = 0; i < 16; i++)
        e->regs[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    e->rip = 0x401234;
    e->cc_op = CC_OP_SUBL;
    e->cc_dst = 0;                      /* ZF set, computed lazily */
    e->cc_src = 5;
    e->eflags |= EF_IF;
    e->hflags |= HF_INHIBIT_IRQ;
    e->cr[3] = 0x123000;
    e->efer = EFER_NXE;
    e->lstar = 0xffffffff81000000ull;
    e->fpregs[3].mant = 0xc000000000000000ull;
    e->fpregs[3].sexp = 0x4000;
    e->fpstt = 3;
    e->fptags[3] = 0;
    e->xmm[15].q[1] = 0x0123456789abcdefull;
    e->mxcsr = 0x1fa0;
    e->mtrr_var[3] = 0xff000800ull;
    cpu.parent.halted = 1;
    x86_update_hflags(e);
    uint32_t flags = x86_eflags_get(e), hflags = e->hflags;
    CHECK(flags & CC_Z);

    x86_cpu_vmstate_register(&cpu);
    VMStream *s = vmstate_mem_stream_new();
    Error *err = NULL;
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    static X86State saved;
    saved = *e;

    /* scribble over everything, then load */
    x86_cpu_reset(&cpu);
    cpu.parent.halted = 0;
    size_t len;
    const uint8_t *data = vmstate_stream_data(s, &len);
    VMStream *in = vmstate_mem_stream_open(data, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    vmstate_stream_free(in);
    CHECK_EQ(x86_eflags_get(e), flags);
    CHECK_EQ(e->hflags, hflags);                 /* incl. the interrupt shadow */
    CHECK_EQ(e->regs[15], saved.regs[15]);
    CHECK_EQ(e->rip, 0x401234);
    CHECK_EQ(e->segs[R_GS].base, 0x5000);
    CHECK_EQ(e->segs[R_CS].selector, 0x2b);
    CHECK_EQ(e->cr[3], 0x123000);
    CHECK_EQ(e->lstar, 0xffffffff81000000ull);
    CHECK_EQ(e->fpregs[3].sexp, 0x4000);
    CHECK_EQ(e->fpstt, 3);
    CHECK_EQ(e->xmm[15].q[1], 0x0123456789abcdefull);
    CHECK_EQ(e->mxcsr, 0x1fa0);
    CHECK_EQ(e->mtrr_var[3], 0xff000800ull);
    CHECK_EQ(cpu.parent.halted, 1);

    /* a stream cut short is refused before the CPU is touched */
    e->rip = 0x777;
    in = vmstate_mem_stream_open(data, len - 9);
    CHECK_EQ(vmstate_load_all(in, &err), -1);
    CHECK(err != NULL);
    error_free(err);
    vmstate_stream_free(in);
    CHECK_EQ(e->rip, 0x777);
    vmstate_stream_free(s);
    cpu_exit_list(&cpu.parent);
}
