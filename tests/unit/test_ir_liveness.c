/* ir/liveness.c: IROp.life marks the last use of each input. */
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

/* The life bits of every op, as a string of hex digits. */
static const char *lives(const IRFunc *f)
{
    static char buf[256];
    size_t n = 0;
    for (uint32_t i = 0; i < f->nops && n + 2 < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%x", f->ops[i].life);
    buf[n] = 0;
    return buf;
}

TEST(bb_temps_die_at_their_last_read)
{
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32), t2 = ir_temp_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f);
    ir_op2i(&x.f, IR_add, IR_I32, t1, x.g.eax, 1);  /* eax: global, live at the end */
    ir_op2(&x.f, IR_add, IR_I32, t2, t1, t1);       /* t1 read twice: marked once, last */
    ir_op2(&x.f, IR_sub, IR_I32, t1, t2, t2);       /* t1 rewritten: t2 dies */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, t1, 0, L); /* t1 dies at the branch; consts never */
    ir_set_label(&x.f, L);
    ir_liveness(&x.f);
    CHECK_STR(lives(&x.f), "02210");
    ir_func_free(&x.f);
}

TEST(locals_live_across_branches_and_loops)
{
    Fix x;
    fix_init(&x);
    IRTemp l = ir_temp_local_new(&x.f, IR_I32), n = ir_temp_local_new(&x.f, IR_I32);
    uint32_t top = ir_label_new(&x.f), out = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, n, 3);
    ir_op2i(&x.f, IR_add, IR_I32, l, x.g.eax, 1);
    ir_set_label(&x.f, top);
    ir_op2(&x.f, IR_add, IR_I32, x.g.ebx, x.g.ebx, l);     /* l read again next round */
    ir_op2i(&x.f, IR_sub, IR_I32, n, n, 1);
    ir_brcondi(&x.f, IR_I32, IR_COND_NE, n, 0, top);       /* n live around the loop */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.ecx, 0, out);
    ir_mov(&x.f, IR_I32, x.g.ecx, l);                      /* l's last read on this path */
    ir_set_label(&x.f, out);
    ir_exit_tb(&x.f, 0);
    ir_liveness(&x.f);
    /* op:  movi n  add l  L0  add ebx  sub n  brcond n  brcond ecx  mov ecx,l  L1  exit
       add ebx, ebx, l and sub n, n, 1 overwrite their first input: its old
       value dies there, l and n do not */
    CHECK_STR(lives(&x.f), "0001100100");
    ir_func_free(&x.f);
}

TEST(globals_die_only_where_nothing_can_see_them)
{
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    ir_mov(&x.f, IR_I32, t, x.g.cc_src);                   /* cc_src overwritten next: dies */
    ir_movi(&x.f, IR_I32, x.g.cc_src, 1);
    ir_mov(&x.f, IR_I32, x.g.eax, x.g.cc_dst);             /* cc_dst: a load sees it */
    ir_qemu_ld(&x.f, IR_I32, x.g.ecx, t, IR_MO_32 | IR_MO_ADDR32, 0); /* t dies */
    ir_movi(&x.f, IR_I32, x.g.cc_dst, 2);
    ir_liveness(&x.f);
    CHECK_STR(lives(&x.f), "10010");
    ir_func_free(&x.f);
}

TEST(nops_are_skipped_and_life_is_reset)
{
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    ir_op2i(&x.f, IR_add, IR_I32, t, x.g.eax, 1);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, t, 1);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ecx, t, 1);
    x.f.ops[0].life = 0xff;
    ir_liveness(&x.f);
    CHECK_STR(lives(&x.f), "001");
    x.f.ops[2].opc = IR_nop;                               /* now t dies one op earlier */
    ir_liveness(&x.f);
    CHECK_STR(lives(&x.f), "010");
    ir_func_free(&x.f);
}

/* Inputs marked dead are overwritten with garbage right after their op in
   the evaluator: any wrong mark changes the results. */
TEST(differential_life_bits_are_safe)
{
    uint64_t removed;
    const char *why = ev_differential(ir_liveness, 0x11fe, 3000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
    why = ev_differential(ir_liveness, 0x11fe2, 3000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
}
