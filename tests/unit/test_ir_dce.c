/* ir/dce.c: what dead code elimination removes and what it must keep. */
#include "ir_eval.h"

typedef struct Fix {
    IRFunc f;
    TestGlobals g;
} Fix;

static void fix_init(Fix *x)
{
    ir_func_init(&x->f);
    test_globals(&x->f, &x->g);
}

static uint64_t helper_any(void *env, uint64_t a) { return a; }

TEST(dead_pure_ops_go_effects_stay)
{
    static const IRHelperInfo pure = { "pure", { .f1 = helper_any }, 1, 1 + IR_I32, IR_CALL_PURE };
    static const IRHelperInfo noside_raises = { "noside_raises", { .f1 = helper_any }, 1, 1 + IR_I32,
                                                IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_SIDE_EFFECTS };
    static const IRHelperInfo side = { "side", { .f1 = helper_any }, 1, 1 + IR_I32,
                                       IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_RAISE };
    Fix x;
    fix_init(&x);
    IRTemp t[8];
    for (int i = 0; i < 8; i++)
        t[i] = ir_temp_new(&x.f, IR_I32);
    ir_op2i(&x.f, IR_add, IR_I32, t[0], x.g.eax, 1);          /* dead */
    ir_op2i(&x.f, IR_mul, IR_I32, t[1], x.g.eax, 3);          /* used by the store */
    ir_op2(&x.f, IR_sub, IR_I32, t[2], t[1], t[0]);           /* dead, and so t0 */
    ir_qemu_ld(&x.f, IR_I32, t[3], t[1], IR_MO_32 | IR_MO_ADDR32, 0); /* dead but may raise */
    ir_qemu_st(&x.f, IR_I32, t[1], t[1], IR_MO_32 | IR_MO_ADDR32, 0);
    ir_emit_call(&x.f, &pure, t[4], &t[1], 1);                /* dead, removable */
    ir_emit_call(&x.f, &noside_raises, t[5], &t[1], 1);       /* may raise: stays */
    ir_emit_call(&x.f, &side, t[6], &t[1], 1);                /* side effects: stays */
    ir_ld_env(&x.f, IR_I32, t[7], 0x40, IR_MO_32);            /* dead env read */
    ir_st_env(&x.f, IR_I32, t[1], 0x44, IR_MO_32);
    ir_insn_start(&x.f, 0x10, 0);
    ir_opt_dce(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mul_i32 t8, eax, $0x3\n"
        " qemu_ld_i32 t10, t8, ul+a32, mmu0\n"
        " qemu_st_i32 t8, t8, ul+a32, mmu0\n"
        " call noside_raises, t12, t8\n"
        " call side, t13, t8\n"
        " st_env_i32 t8, env+0x44, ul\n"
        " ---- 0x00000010 cc=0\n");
    ir_func_free(&x.f);
}

TEST(locals_live_across_branches)
{
    Fix x;
    fix_init(&x);
    IRTemp l = ir_temp_local_new(&x.f, IR_I32), l2 = ir_temp_local_new(&x.f, IR_I32);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f), L2 = ir_label_new(&x.f);
    ir_op2i(&x.f, IR_add, IR_I32, l, x.g.eax, 1);       /* read after the label: kept */
    ir_op2i(&x.f, IR_add, IR_I32, l2, x.g.eax, 2);      /* overwritten on every path: dead */
    ir_op2i(&x.f, IR_add, IR_I32, t, x.g.eax, 3);       /* bb temp, dies at the brcond */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.ebx, 0, L);
    ir_movi(&x.f, IR_I32, l2, 4);
    ir_movi(&x.f, IR_I32, l, 5);                        /* kept: read after the join */
    ir_br(&x.f, L2);
    ir_set_label(&x.f, L);
    ir_movi(&x.f, IR_I32, l2, 6);
    ir_set_label(&x.f, L2);
    ir_op2(&x.f, IR_add, IR_I32, x.g.ecx, l, l2);
    CHECK_VERIFY(&x.f);
    ir_opt_dce(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " add_i32 loc7, eax, $0x1\n"
        " brcond_i32 ebx, $0x0, eq, L0\n"
        " mov_i32 loc8, $0x4\n"
        " mov_i32 loc7, $0x5\n"
        " br L1\n"
        " L0:\n"
        " mov_i32 loc8, $0x6\n"
        " L1:\n"
        " add_i32 ecx, loc7, loc8\n");
    ir_func_free(&x.f);
}

TEST(a_loop_keeps_its_values)
{
    /* a backward branch: l is read at the top of the loop after the body writes it */
    Fix x;
    fix_init(&x);
    IRTemp l = ir_temp_local_new(&x.f, IR_I32), n = ir_temp_local_new(&x.f, IR_I32);
    uint32_t top = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, l, 0);
    ir_movi(&x.f, IR_I32, n, 10);
    ir_set_label(&x.f, top);
    ir_op2(&x.f, IR_add, IR_I32, x.g.eax, x.g.eax, l);
    ir_op2i(&x.f, IR_add, IR_I32, l, l, 1);
    ir_op2i(&x.f, IR_sub, IR_I32, n, n, 1);
    ir_brcondi(&x.f, IR_I32, IR_COND_NE, n, 0, top);
    ir_exit_tb(&x.f, 0);
    const char *before = strdup(ir_dump(&x.f));
    ir_opt_dce(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_STR(ir_dump(&x.f), before);
    free((void *)before);
    ir_func_free(&x.f);
}

TEST(unreachable_code_and_unused_labels)
{
    Fix x;
    fix_init(&x);
    uint32_t L0 = ir_label_new(&x.f), L1 = ir_label_new(&x.f), L2 = ir_label_new(&x.f);
    uint32_t L3 = ir_label_new(&x.f);
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.eax, 0, L1);
    ir_br(&x.f, L0);
    ir_movi(&x.f, IR_I32, x.g.ebx, 1);                  /* unreachable */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.eax, 0, L2); /* unreachable branch */
    ir_set_label(&x.f, L2);                             /* only its target: dropped */
    ir_movi(&x.f, IR_I32, x.g.ebx, 2);                  /* still unreachable */
    ir_set_label(&x.f, L0);
    ir_movi(&x.f, IR_I32, x.g.ecx, 3);
    ir_br(&x.f, L3);                                    /* to the next op: dropped */
    ir_set_label(&x.f, L3);
    ir_goto_tb(&x.f, 0);                                /* may fall through (unlinked) */
    ir_movi(&x.f, IR_I32, x.g.ecx, 4);
    ir_exit_tb(&x.f, 1);
    ir_movi(&x.f, IR_I32, x.g.ecx, 5);                  /* unreachable */
    ir_set_label(&x.f, L1);
    ir_movi(&x.f, IR_I32, x.g.ebx, 6);
    ir_goto_lookup(&x.f);
    ir_movi(&x.f, IR_I32, x.g.ebx, 7);                  /* unreachable */
    CHECK_VERIFY(&x.f);
    ir_opt_dce(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " brcond_i32 eax, $0x0, eq, L1\n"
        " mov_i32 ecx, $0x3\n"
        " goto_tb 0\n"
        " mov_i32 ecx, $0x4\n"
        " exit_tb 0x1\n"
        " L1:\n"
        " mov_i32 ebx, $0x6\n"
        " goto_lookup\n");
    ir_func_free(&x.f);
}

TEST(global_stores_are_live_at_block_ends_and_may_raise_ops)
{
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, x.g.eax, 1);                  /* overwritten unseen: dead */
    ir_movi(&x.f, IR_I32, x.g.eax, 2);                  /* seen by the load */
    ir_qemu_ld(&x.f, IR_I32, t, x.g.ebx, IR_MO_32 | IR_MO_ADDR32, 0);
    ir_movi(&x.f, IR_I32, x.g.eax, 3);                  /* seen by the branch */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, t, 0, L);
    ir_movi(&x.f, IR_I32, x.g.eax, 4);                  /* seen at the label */
    ir_set_label(&x.f, L);
    ir_movi(&x.f, IR_I32, x.g.ecx, 5);                  /* seen at the end */
    ir_discard(&x.f, x.g.ecx);                          /* ...unless discarded */
    ir_movi(&x.f, IR_I32, x.g.ebx, 6);                  /* seen at the end */
    ir_opt_dce(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 eax, $0x2\n"
        " qemu_ld_i32 t7, ebx, ul+a32, mmu0\n"
        " mov_i32 eax, $0x3\n"
        " brcond_i32 t7, $0x0, eq, L0\n"
        " mov_i32 eax, $0x4\n"
        " L0:\n"
        " mov_i32 ebx, $0x6\n");
    ir_func_free(&x.f);
}

TEST(differential_straight_line_pure)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_dce, 0xdce1, 3000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 10000); /* the test exercises removal, not just the identity */
}

TEST(differential_with_branches_memory_calls)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_dce, 0xdce2, 3000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 10000);
}
