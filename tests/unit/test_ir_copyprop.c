/* ir/copyprop.c: uses of copies read the original while both are unchanged. */
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

TEST(uses_of_copies_read_the_source)
{
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32), t2 = ir_temp_new(&x.f, IR_I32);
    IRTemp l = ir_temp_local_new(&x.f, IR_I32);
    ir_mov(&x.f, IR_I32, t1, x.g.eax);
    ir_mov(&x.f, IR_I32, t2, t1);                       /* chain: t2 = eax too */
    ir_op2(&x.f, IR_add, IR_I32, x.g.ebx, t1, t2);
    ir_movi(&x.f, IR_I32, l, 5);
    ir_op2(&x.f, IR_sub, IR_I32, x.g.ecx, l, t2);       /* constants propagate too */
    ir_qemu_st(&x.f, IR_I32, t2, t1, IR_MO_32 | IR_MO_ADDR32, 0);
    ir_opt_copyprop(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, eax\n"
        " mov_i32 t8, eax\n"
        " add_i32 ebx, eax, eax\n"
        " mov_i32 loc9, $0x5\n"
        " sub_i32 ecx, $0x5, eax\n"
        " qemu_st_i32 eax, eax, ul+a32, mmu0\n");
    ir_func_free(&x.f);
}

TEST(a_copy_ends_when_either_side_is_written)
{
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32), t2 = ir_temp_new(&x.f, IR_I32);
    ir_mov(&x.f, IR_I32, t1, x.g.eax);
    ir_movi(&x.f, IR_I32, x.g.eax, 1);                  /* the global changes */
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, t1, 2);      /* must keep t1 */
    ir_mov(&x.f, IR_I32, t2, x.g.ecx);
    ir_op2i(&x.f, IR_add, IR_I32, t2, t2, 1);           /* the copy changes */
    ir_mov(&x.f, IR_I32, x.g.ebx, t2);
    ir_opt_copyprop(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, eax\n"
        " mov_i32 eax, $0x1\n"
        " add_i32 ebx, t7, $0x2\n"
        " mov_i32 t8, ecx\n"
        " add_i32 t8, ecx, $0x1\n"
        " mov_i32 ebx, t8\n");
    ir_func_free(&x.f);
}

TEST(calls_that_may_write_globals_end_copies_of_globals)
{
    static const IRHelperInfo writes = { "writes", { .f1 = helper_any }, 1, 0, IR_CALL_NO_RAISE };
    static const IRHelperInfo reads = { "reads", { .f1 = helper_any }, 1, 0, IR_CALL_NO_WRITE_GLOBALS };
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32), t2 = ir_temp_new(&x.f, IR_I32);
    ir_mov(&x.f, IR_I32, t1, x.g.eax);
    ir_mov(&x.f, IR_I32, x.g.ecx, t2 = t1);             /* ecx = t1 = eax */
    ir_emit_call(&x.f, &reads, IR_NO_TEMP, &t1, 1);
    ir_op2(&x.f, IR_add, IR_I32, x.g.ebx, t1, x.g.ecx); /* both still eax */
    ir_emit_call(&x.f, &writes, IR_NO_TEMP, &t1, 1);
    ir_op2(&x.f, IR_add, IR_I32, x.g.ebx, t1, x.g.ecx); /* neither */
    ir_opt_copyprop(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, eax\n"
        " mov_i32 ecx, eax\n"
        " call reads, eax\n"
        " add_i32 ebx, eax, eax\n"
        " call writes, eax\n"
        " add_i32 ebx, t7, ecx\n");
    (void)t2;
    ir_func_free(&x.f);
}

TEST(bb_temps_die_at_branches_locals_at_labels)
{
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32);
    IRTemp l1 = ir_temp_local_new(&x.f, IR_I32), l2 = ir_temp_local_new(&x.f, IR_I32);
    IRTemp l3 = ir_temp_local_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f);
    ir_op2i(&x.f, IR_add, IR_I32, t1, x.g.eax, 1);
    ir_mov(&x.f, IR_I32, l1, t1);                       /* l1 copies a bb temp */
    ir_mov(&x.f, IR_I32, l2, l3);                       /* l2 copies a local */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.ebx, 0, L);
    ir_mov(&x.f, IR_I32, x.g.ecx, l1);                  /* t1 is dead here: keep l1 */
    ir_mov(&x.f, IR_I32, x.g.ecx, l2);                  /* fall-through: l3 still good */
    ir_set_label(&x.f, L);
    ir_mov(&x.f, IR_I32, x.g.ecx, l2);                  /* another path joins: keep l2 */
    ir_opt_copyprop(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " add_i32 t7, eax, $0x1\n"
        " mov_i32 loc8, t7\n"
        " mov_i32 loc9, loc10\n"
        " brcond_i32 ebx, $0x0, eq, L0\n"
        " mov_i32 ecx, loc8\n"
        " mov_i32 ecx, loc10\n"
        " L0:\n"
        " mov_i32 ecx, loc9\n");
    ir_func_free(&x.f);
}

TEST(differential_straight_line_pure)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_copyprop, 0xc0b1, 3000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
}

TEST(differential_with_branches_memory_calls)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_copyprop, 0xc0b12, 3000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
}
