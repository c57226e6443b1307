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
