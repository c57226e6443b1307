/* ir/build.c: temps, constants, labels and op emission. */
#include "unit.h"
#include "ir/ir.h"

TEST(globals_survive_reset)
{
    IRFunc f;
    ir_func_init(&f);
    IRTemp g = ir_global_new(&f, IR_I32, 16, "eax");
    IRTemp t = ir_temp_new(&f, IR_I32);
    CHECK_EQ(g, 0);
    CHECK_EQ(t, 1);
    ir_op2(&f, IR_add, IR_I32, g, g, t);
    CHECK_EQ(f.nops, 1);
    ir_func_reset(&f);
    CHECK_EQ(f.nops, 0);
    CHECK_EQ(f.ntemps, 1);
    CHECK_EQ(ir_temp_new(&f, IR_I64), 1);
    CHECK_STR(ir_temp(&f, g)->name, "eax");
    ir_func_free(&f);
}

TEST(consts_are_deduplicated_per_type)
{
    IRFunc f;
    ir_func_init(&f);
    IRTemp a = ir_const(&f, IR_I32, 5);
    IRTemp b = ir_const(&f, IR_I64, 5);
    CHECK(a != b);
    CHECK_EQ(ir_const(&f, IR_I32, 5), a);
    CHECK_EQ(ir_const(&f, IR_I32, 0x100000005ull), a); /* i32 consts truncate */
    /* Many constants force the table to grow; every one stays findable. */
    IRTemp many[3000];
    for (int i = 0; i < 3000; i++)
        many[i] = ir_const(&f, IR_I64, (uint64_t)i * 7919);
    for (int i = 0; i < 3000; i++) {
        CHECK_EQ(ir_const(&f, IR_I64, (uint64_t)i * 7919), many[i]);
        CHECK_EQ(ir_temp(&f, many[i])->val, (uint64_t)i * 7919);
    }
    ir_func_reset(&f);
    CHECK_EQ(ir_const(&f, IR_I32, 5), 0); /* no globals: first temp again */
    ir_func_free(&f);
}

TEST(op_shapes_come_from_the_table)
{
    IRFunc f;
    ir_func_init(&f);
    IRTemp d = ir_temp_new(&f, IR_I64), a = ir_temp_new(&f, IR_I64);
    ir_extract(&f, IR_extract, IR_I64, d, a, 8, 16);
    IROp *op = &f.ops[0];
    CHECK_EQ(op->opc, IR_extract);
    CHECK_EQ(op->nout, 1);
    CHECK_EQ(op->nin, 1);
    CHECK_EQ(op->ncon, 2);
    CHECK_EQ(op->args[2], 8);
    CHECK_EQ(op->args[3], 16);
    /* i64-only ops are typed i64 whatever the caller says */
    ir_op1(&f, IR_ext32u, IR_I32, d, a);
    CHECK_EQ(f.ops[1].type, IR_I64);
    ir_func_free(&f);
}

static uint64_t helper_add3(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    (void)env;
    return a + b + c;
}

TEST(calls_record_their_own_counts)
{
    static const IRHelperInfo h = { "add3", { .f3 = helper_add3 }, 3, 1 + IR_I64, IR_CALL_PURE };
    IRFunc f;
    ir_func_init(&f);
    IRTemp in[3] = { ir_temp_new(&f, IR_I64), ir_temp_new(&f, IR_I64), ir_temp_new(&f, IR_I64) };
    IRTemp out = ir_temp_new(&f, IR_I64);
    IROp *op = ir_emit_call(&f, &h, out, in, 3);
    CHECK_EQ(op->nout, 1);
    CHECK_EQ(op->nin, 3);
    CHECK_EQ(op->ncon, 1);
    CHECK_EQ(op->args[0], out);
    CHECK_EQ(op->args[3], in[2]);
    CHECK((const IRHelperInfo *)(uintptr_t)op->args[4] == &h);
    CHECK_EQ(h.fn.f3(NULL, 1, 2, 3), 6);
    ir_func_free(&f);
}

TEST(conditions)
{
    for (int c = 0; c < IR_NB_CONDS; c++) {
        static const uint64_t v[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff,
                                      0x8000000000000000ull, ~0ull };
        for (unsigned i = 0; i < PEMU_ARRAY_SIZE(v); i++)
            for (unsigned j = 0; j < PEMU_ARRAY_SIZE(v); j++)
                for (int t = 0; t < 2; t++) {
                    bool r = ir_cond_eval((IRType)t, (IRCond)c, v[i], v[j]);
                    CHECK(r == ir_cond_eval((IRType)t, ir_cond_swap((IRCond)c), v[j], v[i]));
                    CHECK(r != ir_cond_eval((IRType)t, ir_cond_invert((IRCond)c), v[i], v[j]));
                }
    }
    CHECK(ir_cond_eval(IR_I32, IR_COND_LT, 0x80000000, 0));
    CHECK(!ir_cond_eval(IR_I64, IR_COND_LT, 0x80000000, 0));
    CHECK(ir_cond_eval(IR_I32, IR_COND_EQ, 0x100000000ull, 0));
}
