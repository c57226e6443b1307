/* ir/print.c: the -d op text format, op by op (golden tests rely on it). */
#include "ir_test.h"

static uint64_t helper_add3(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    return a + b + c;
}

static uint64_t helper_raise(void *env)
{
    return 0;
}

TEST(every_op_shape)
{
    static const IRHelperInfo add3 = { "add3", { .f3 = helper_add3 }, 3, 1 + IR_I64, IR_CALL_PURE };
    static const IRHelperInfo raise = { "raise_gp", { .f0 = helper_raise }, 0, 0, 0 };
    IRFunc f;
    TestGlobals g;
    ir_func_init(&f);
    test_globals(&f, &g);
    IRTemp t1 = ir_temp_new(&f, IR_I32);      /* 7 */
    IRTemp l2 = ir_temp_local_new(&f, IR_I64); /* 8 */
    IRTemp t3 = ir_temp_new(&f, IR_I64);      /* 9 */
    uint32_t L0 = ir_label_new(&f), L1 = ir_label_new(&f);

    ir_insn_start(&f, 0x1000, 3);
    ir_op2i(&f, IR_add, IR_I32, g.eax, g.eax, 1);
    ir_op2i(&f, IR_sub, IR_I32, t1, g.eax, (uint64_t)-1);
    ir_movi(&f, IR_I64, l2, (uint64_t)-2);
    ir_brcondi(&f, IR_I32, IR_COND_EQ, t1, 0, L1);
    ir_set_label(&f, L0);
    ir_qemu_ld(&f, IR_I32, t1, g.ebx, IR_MO_32 | IR_MO_ADDR32, 1);
    ir_qemu_ld(&f, IR_I64, t3, g.rip, IR_MO_8 | IR_MO_SIGN, 0);
    ir_qemu_st(&f, IR_I64, t3, g.rip, IR_MO_64, 2);
    ir_qemu_st(&f, IR_I32, t1, g.ecx, IR_MO_16 | IR_MO_ADDR32, 1);
    ir_ld_env(&f, IR_I32, t1, 0x28, IR_MO_32);
    ir_st_env(&f, IR_I32, t1, -8, IR_MO_16 | IR_MO_SIGN);
    ir_setcond(&f, IR_I32, IR_COND_LTU, t1, g.eax, g.ebx);
    ir_movcond(&f, IR_I64, IR_COND_TSTNE, t3, l2, l2, t3, g.rip);
    ir_deposit(&f, IR_I32, g.eax, g.eax, t1, 8, 8);
    ir_extract(&f, IR_sextract, IR_I32, t1, g.eax, 0, 16);
    ir_mul2(&f, IR_mulu2, IR_I32, g.eax, t1, g.eax, g.ecx);
    ir_op1(&f, IR_exts_i32_i64, IR_I64, t3, t1);
    ir_op1(&f, IR_extrh_i64_i32, IR_I32, t1, t3);
    ir_op1(&f, IR_ext32u, IR_I64, t3, t3);
    IRTemp in[3] = { t3, l2, t3 };
    ir_emit_call(&f, &add3, l2, in, 3);
    ir_emit_call(&f, &raise, IR_NO_TEMP, NULL, 0);
    ir_discard(&f, g.cc_src);
    uint64_t nopargs[1];
    ir_emit(&f, IR_nop, IR_I32, nopargs, 0);
    ir_br(&f, L0);
    ir_set_label(&f, L1);
    ir_goto_tb(&f, 1);
    ir_exit_tb(&f, 0x1234);
    ir_goto_lookup(&f);
    CHECK_VERIFY(&f);
    CHECK_IR(&f,
        " ---- 0x00001000 cc=3\n"
        " add_i32 eax, eax, $0x1\n"
        " sub_i32 t7, eax, $0xffffffff\n"
        " mov_i64 loc8, $0xfffffffffffffffe\n"
        " brcond_i32 t7, $0x0, eq, L1\n"
        " L0:\n"
        " qemu_ld_i32 t7, ebx, ul+a32, mmu1\n"
        " qemu_ld_i64 t9, rip, sb, mmu0\n"
        " qemu_st_i64 t9, rip, q, mmu2\n"
        " qemu_st_i32 t7, ecx, uw+a32, mmu1\n"
        " ld_env_i32 t7, env+0x28, ul\n"
        " st_env_i32 t7, env-0x8, sw\n"
        " setcond_i32 t7, eax, ebx, ltu\n"
        " movcond_i64 t9, loc8, loc8, t9, rip, tstne\n"
        " deposit_i32 eax, eax, t7, 8, 8\n"
        " sextract_i32 t7, eax, 0, 16\n"
        " mulu2_i32 eax, t7, eax, ecx\n"
        " exts_i32_i64 t9, t7\n"
        " extrh_i64_i32 t7, t9\n"
        " ext32u_i64 t9, t9\n"
        " call add3, loc8, t9, loc8, t9\n"
        " call raise_gp\n"
        " discard cc_src\n"
        " br L0\n"
        " L1:\n"
        " goto_tb 1\n"
        " exit_tb 0x1234\n"
        " goto_lookup\n");
    ir_func_free(&f);
}

TEST(temp_names)
{
    IRFunc f;
    char buf[32];
    ir_func_init(&f);
    IRTemp g = ir_global_new(&f, IR_I64, 0, "rax");
    IRTemp anon = ir_global_new(&f, IR_I32, 8, NULL);
    IRTemp c32 = ir_const(&f, IR_I32, (uint64_t)-1);
    IRTemp c64 = ir_const(&f, IR_I64, 0x8000000000000000ull);
    IRTemp c0 = ir_const(&f, IR_I64, 0);
    IRTemp t = ir_temp_new(&f, IR_I32), l = ir_temp_local_new(&f, IR_I32);
    CHECK_STR(ir_temp_name(&f, g, buf, sizeof(buf)), "rax");
    CHECK_STR(ir_temp_name(&f, anon, buf, sizeof(buf)), "g1");
    CHECK_STR(ir_temp_name(&f, c32, buf, sizeof(buf)), "$0xffffffff");
    CHECK_STR(ir_temp_name(&f, c64, buf, sizeof(buf)), "$0x8000000000000000");
    CHECK_STR(ir_temp_name(&f, c0, buf, sizeof(buf)), "$0x0");
    CHECK_STR(ir_temp_name(&f, t, buf, sizeof(buf)), "t5");
    CHECK_STR(ir_temp_name(&f, l, buf, sizeof(buf)), "loc6");
    CHECK_STR(ir_temp_name(&f, 99, buf, sizeof(buf)), "?99");
    /* a short buffer truncates, never overflows */
    char small[4] = { 'x', 'x', 'x', 'x' };
    ir_temp_name(&f, c64, small, 3);
    CHECK_STR(small, "$0");
    ir_func_free(&f);
}

TEST(nops_print_nothing_and_ops_print_alone)
{
    IRFunc f;
    ir_func_init(&f);
    IRTemp a = ir_global_new(&f, IR_I32, 0, "eax");
    ir_op2i(&f, IR_shl, IR_I32, a, a, 4);
    f.ops[0].opc = IR_nop;
    CHECK_IR(&f, "");
    ir_op2i(&f, IR_rotr, IR_I32, a, a, 4);
    char *buf = NULL;
    size_t len;
    FILE *m = open_memstream(&buf, &len);
    ir_print_op(m, &f, &f.ops[1]);
    fclose(m);
    CHECK_STR(buf, " rotr_i32 eax, eax, $0x4\n");
    free(buf);
    ir_func_free(&f);
}

TEST(malformed_ops_do_not_crash)
{
    IRFunc f;
    ir_func_init(&f);
    IRTemp a = ir_global_new(&f, IR_I32, 0, "eax");
    ir_op2i(&f, IR_add, IR_I32, a, a, 4);
    f.ops[0].args[2] = 1000;
    ir_op2i(&f, IR_add, IR_I32, a, a, 4);
    f.ops[1].opc = 999;
    ir_ld_env(&f, IR_I32, a, 0x30, 0x40 | IR_MO_8);
    ir_brcondi(&f, IR_I32, (IRCond)77, a, 1, 0);
    CHECK_IR(&f,
        " add_i32 eax, eax, ?1000\n"
        " ?op999\n"
        " ld_env_i32 eax, env+0x30, ub+0x40\n"
        " brcond_i32 eax, $0x1, ?cond77, L0\n");
    ir_func_free(&f);
}
