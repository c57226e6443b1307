/* src/x86/cpu.h: lane accessors are host-byte-order independent. */
#include "unit.h"
#include "src/x86/cpu.h"

TEST(xmm_lanes)
{
    X86Xmm x = { { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull } };
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(xmm_get_b(&x, i), i);
    CHECK_EQ(xmm_get_w(&x, 5), 0x0b0a);
    CHECK_EQ(xmm_get_l(&x, 3), 0x0f0e0d0c);
    xmm_set_b(&x, 9, 0xaa);
    CHECK_EQ(x.q[1], 0x0f0e0d0c0b0aaa08ull);
    xmm_set_w(&x, 0, 0x1234);
    CHECK_EQ(x.q[0], 0x0706050403021234ull);
    xmm_set_l(&x, 1, 0xdeadbeef);
    CHECK_EQ(x.q[0], 0xdeadbeef03021234ull);
    CHECK_EQ(xmm_get_l(&x, 0), 0x03021234);
}

TEST(cc_op_table)
{
    /* the size variants are consecutive, so size = (op - base) works */
    CHECK_EQ(CC_OP_ADDQ - CC_OP_ADDB, 3);
    CHECK_EQ(CC_OP_SARQ - CC_OP_SARB, 3);
    CHECK_EQ(CC_OP_SUBB - CC_OP_ADCB, 4);
}

TEST(reset_state_and_hflags)
{
    static X86CPU cpu;
    cpu.cpuid_version = 0x663;
    x86_cpu_reset(&cpu);
    X86State *s = &cpu.env;
    CHECK_EQ(s->segs[R_CS].base + s->rip, 0xfffffff0);
    CHECK_EQ(s->regs[R_EDX], 0x663);
    CHECK_EQ(s->hflags & (HF_PE | HF_CS32 | HF_CPL_MASK), 0);
    CHECK(s->hflags & HF_ADDSEG);            /* real mode adds segment bases */
    /* flat 32-bit protected mode at CPL 3 */
    s->cr[0] |= CR0_PE;
    for (int i = 0; i < X86_NB_SEGS; i++) {
        s->segs[i].base = 0;
        s->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | (3u << DESC_DPL_SHIFT) | DESC_W_MASK;
    }
    s->segs[R_CS].flags |= DESC_CS_MASK;
    s->eflags |= EF_AC | (3u << EF_IOPL_SHIFT);
    s->cr[0] |= CR0_AM;
    x86_update_hflags(s);
    CHECK_EQ(s->hflags & HF_CPL_MASK, 3);
    CHECK(s->hflags & HF_CS32);
    CHECK(s->hflags & HF_SS32);
    CHECK(!(s->hflags & HF_ADDSEG));
    CHECK(s->hflags & HF_AC);
    CHECK_EQ((s->hflags & HF_IOPL_MASK) >> HF_IOPL_SHIFT, 3);
    CHECK_EQ(x86_mmu_index(s), X86_MMU_USER);
    s->segs[R_DS].base = 0x1000;
    x86_update_hflags(s);
    CHECK(s->hflags & HF_ADDSEG);
    /* vm86: CPL 3, 16-bit, bases added */
    s->eflags |= EF_VM;
    x86_update_hflags(s);
    CHECK_EQ(s->hflags & (HF_VM | HF_CS32 | HF_CPL_MASK), HF_VM | 3);
    CHECK_EQ((uintptr_t)&cpu.env.regs[R_EBX] - (uintptr_t)&cpu, (uintptr_t)X86_ENV_OFFSET(regs[R_EBX]));
}
