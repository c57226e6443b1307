/* ir/optimize.c: the whole pipeline on translator-shaped blocks and random ones. */
#include "ir_eval.h"

TEST(x86_block_with_lazy_flags)
{
    /* add eax, 1; sub eax, ebx; jz target: only the last flags survive, and
       the constant-folded scratch temps disappear */
    IRFunc f;
    TestGlobals g;
    ir_func_init(&f);
    test_globals(&f, &g);
    IRTemp t1 = ir_temp_new(&f, IR_I32), t2 = ir_temp_new(&f, IR_I32);
    IRTemp t3 = ir_temp_new(&f, IR_I32);
    uint32_t L = ir_label_new(&f);
    ir_insn_start(&f, 0x1000, 0);
    ir_movi(&f, IR_I32, t1, 1);
    ir_op2(&f, IR_add, IR_I32, g.eax, g.eax, t1);
    ir_mov(&f, IR_I32, g.cc_dst, g.eax);
    ir_mov(&f, IR_I32, g.cc_src, t1);
    ir_movi(&f, IR_I32, g.cc_op, 5);
    ir_insn_start(&f, 0x1003, 5);
    ir_mov(&f, IR_I32, t2, g.ebx);
    ir_op2(&f, IR_sub, IR_I32, g.eax, g.eax, t2);
    ir_mov(&f, IR_I32, g.cc_dst, g.eax);
    ir_mov(&f, IR_I32, g.cc_src, t2);
    ir_movi(&f, IR_I32, g.cc_op, 9);
    ir_insn_start(&f, 0x1005, 9);
    ir_mov(&f, IR_I32, t3, g.cc_dst);
    ir_brcondi(&f, IR_I32, IR_COND_EQ, t3, 0, L);
    ir_movi(&f, IR_I64, g.rip, 0x1007);
    ir_goto_tb(&f, 0);
    ir_exit_tb(&f, 0);
    ir_set_label(&f, L);
    ir_movi(&f, IR_I64, g.rip, 0x2000);
    ir_goto_tb(&f, 1);
    ir_exit_tb(&f, 1);
    CHECK_VERIFY(&f);
    ir_optimize(&f);
    CHECK_VERIFY(&f);
    CHECK_IR(&f,
        " ---- 0x00001000 cc=0\n"
        " add_i32 eax, eax, $0x1\n"
        " ---- 0x00001003 cc=5\n"
        " sub_i32 eax, eax, ebx\n"
        " mov_i32 cc_dst, eax\n"
        " mov_i32 cc_src, ebx\n"
        " mov_i32 cc_op, $0x9\n"
        " ---- 0x00001005 cc=9\n"
        " brcond_i32 eax, $0x0, eq, L0\n"
        " mov_i64 rip, $0x1007\n"
        " goto_tb 0\n"
        " exit_tb 0x0\n"
        " L0:\n"
        " mov_i64 rip, $0x2000\n"
        " goto_tb 1\n"
        " exit_tb 0x1\n");
    /* liveness ran last: eax is read by the brcond but stays live (global) */
    CHECK_EQ(f.ops[8].opc, IR_brcond);
    CHECK_EQ(f.ops[8].life, 0);
    ir_func_free(&f);
}

TEST(folded_branch_removes_a_whole_path)
{
    IRFunc f;
    TestGlobals g;
    ir_func_init(&f);
    test_globals(&f, &g);
    IRTemp l = ir_temp_local_new(&f, IR_I32);
    uint32_t L = ir_label_new(&f), E = ir_label_new(&f);
    ir_movi(&f, IR_I32, l, 0);
    ir_brcondi(&f, IR_I32, IR_COND_NE, l, 0, L);   /* never taken */
    ir_movi(&f, IR_I32, g.eax, 1);
    ir_br(&f, E);
    ir_set_label(&f, L);
    ir_movi(&f, IR_I32, g.eax, 2);
    ir_set_label(&f, E);
    ir_exit_tb(&f, 0);
    ir_optimize(&f);
    CHECK_VERIFY(&f);
    CHECK_IR(&f,
        " mov_i32 eax, $0x1\n"
        " exit_tb 0x0\n");
    ir_func_free(&f);
}

TEST(differential_straight_line_pure)
{
    uint64_t removed;
    const char *why = ev_differential(ir_optimize, 0x0971, 4000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 20000);
}

TEST(differential_with_branches_memory_calls)
{
    uint64_t removed;
    const char *why = ev_differential(ir_optimize, 0x0972, 4000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 20000);
}
