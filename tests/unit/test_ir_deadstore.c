/* ir/deadstore.c: overwritten global stores go, unless something may see them. */
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

enum { CC_OP_ADDL = 5, CC_OP_SUBL = 9 };

/* The x86 translation of "add eax, ebx" with lazy flags. */
static void x86_add(Fix *x, uint64_t pc, IRTemp dst, IRTemp src, int cc_op)
{
    ir_insn_start(&x->f, pc, (uint64_t)cc_op);
    ir_op2(&x->f, cc_op == CC_OP_ADDL ? IR_add : IR_sub, IR_I32, dst, dst, src);
    ir_mov(&x->f, IR_I32, x->g.cc_dst, dst);
    ir_mov(&x->f, IR_I32, x->g.cc_src, src);
    ir_movi(&x->f, IR_I32, x->g.cc_op, (uint64_t)cc_op);
}

TEST(lazy_flags_of_an_overwritten_alu_op_are_removed)
{
    Fix x;
    fix_init(&x);
    x86_add(&x, 0x1000, x.g.eax, x.g.ebx, CC_OP_ADDL);
    x86_add(&x, 0x1002, x.g.ecx, x.g.eax, CC_OP_SUBL);
    ir_exit_tb(&x.f, 0);
    ir_opt_deadstore(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " ---- 0x00001000 cc=5\n"
        " add_i32 eax, eax, ebx\n"
        " ---- 0x00001002 cc=9\n"
        " sub_i32 ecx, ecx, eax\n"
        " mov_i32 cc_dst, ecx\n"
        " mov_i32 cc_src, eax\n"
        " mov_i32 cc_op, $0x9\n"
        " exit_tb 0x0\n");
    ir_func_free(&x.f);
}

TEST(a_guest_load_between_keeps_them)
{
    /* add eax, ebx; mov ecx, [eax]; sub ecx, eax: the load may fault, and
       the fault handler sees the flags of the add */
    Fix x;
    fix_init(&x);
    x86_add(&x, 0x1000, x.g.eax, x.g.ebx, CC_OP_ADDL);
    ir_insn_start(&x.f, 0x1002, CC_OP_ADDL);
    ir_qemu_ld(&x.f, IR_I32, x.g.ecx, x.g.eax, IR_MO_32 | IR_MO_ADDR32, 1);
    x86_add(&x, 0x1004, x.g.ecx, x.g.eax, CC_OP_SUBL);
    ir_exit_tb(&x.f, 0);
    const char *before = strdup(ir_dump(&x.f));
    ir_opt_deadstore(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_STR(ir_dump(&x.f), before);
    free((void *)before);
    ir_func_free(&x.f);
}

static uint64_t helper_any(void *env, uint64_t a) { return a; }

TEST(calls_observe_globals_by_their_flags)
{
    static const IRHelperInfo pure = { "pure", { .f1 = helper_any }, 1, 1 + IR_I32, IR_CALL_PURE };
    static const IRHelperInfo noglobals_raises = { "noglobals_raises", { .f1 = helper_any }, 1, 0,
                                                   IR_CALL_NO_RW_GLOBALS };
    static const IRHelperInfo reads = { "reads", { .f1 = helper_any }, 1, 0,
                                        IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_RAISE };
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 1);                 /* dead: the pure call sees nothing */
    ir_emit_call(&x.f, &pure, t, &x.g.eax, 1);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 2);                 /* kept: may raise */
    ir_emit_call(&x.f, &noglobals_raises, IR_NO_TEMP, &x.g.eax, 1);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 3);                 /* kept: reads globals */
    ir_emit_call(&x.f, &reads, IR_NO_TEMP, &x.g.eax, 1);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 4);                 /* kept: read by the next op */
    ir_op2(&x.f, IR_add, IR_I32, x.g.ecx, x.g.cc_op, t);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 5);                 /* kept: live at the end */
    ir_opt_deadstore(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " call pure, t7, eax\n"
        " mov_i32 cc_op, $0x2\n"
        " call noglobals_raises, eax\n"
        " mov_i32 cc_op, $0x3\n"
        " call reads, eax\n"
        " mov_i32 cc_op, $0x4\n"
        " add_i32 ecx, cc_op, t7\n"
        " mov_i32 cc_op, $0x5\n");
    ir_func_free(&x.f);
}

TEST(block_ends_observe_every_global)
{
    Fix x;
    fix_init(&x);
    uint32_t L = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 1);
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.eax, 0, L); /* taken path sees cc_op=1 */
    ir_movi(&x.f, IR_I32, x.g.cc_op, 2);
    ir_set_label(&x.f, L);                               /* the fall-through ends here */
    ir_movi(&x.f, IR_I32, x.g.cc_op, 3);
    ir_goto_tb(&x.f, 0);
    ir_movi(&x.f, IR_I32, x.g.cc_op, 4);
    ir_goto_lookup(&x.f);
    const char *before = strdup(ir_dump(&x.f));
    ir_opt_deadstore(&x.f);
    CHECK_STR(ir_dump(&x.f), before);
    free((void *)before);
    ir_func_free(&x.f);
}

TEST(dead_outputs_of_ops_with_effects_move_to_temps)
{
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    ir_mul2(&x.f, IR_mulu2, IR_I32, x.g.eax, x.g.ecx, x.g.eax, x.g.ebx); /* ecx dead, eax not */
    ir_movi(&x.f, IR_I32, x.g.ecx, 0);
    ir_qemu_ld(&x.f, IR_I32, x.g.ebx, x.g.eax, IR_MO_32 | IR_MO_ADDR32, 0); /* ebx dead, load stays */
    ir_op2i(&x.f, IR_add, IR_I32, t, x.g.eax, 1);
    ir_mov(&x.f, IR_I32, x.g.ebx, t);
    ir_discard(&x.f, x.g.cc_src);
    ir_movi(&x.f, IR_I32, x.g.cc_dst, 7);                /* dead: discarded below */
    ir_discard(&x.f, x.g.cc_dst);
    ir_opt_deadstore(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mulu2_i32 eax, t12, eax, ebx\n"
        " mov_i32 ecx, $0x0\n"
        " qemu_ld_i32 t11, eax, ul+a32, mmu0\n"
        " add_i32 t7, eax, $0x1\n"
        " mov_i32 ebx, t7\n"
        " discard cc_src\n"
        " discard cc_dst\n");
    ir_func_free(&x.f);
}

TEST(differential_straight_line_pure)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_deadstore, 0xdead1, 3000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 1000);
}

TEST(differential_with_branches_memory_calls)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_deadstore, 0xdead2, 3000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    CHECK(removed > 500);
}
