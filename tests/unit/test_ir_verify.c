/* ir/verify.c: each structural rule is caught, with a message naming the op. */
#include "ir_test.h"

static uint64_t helper2(void *env, uint64_t a, uint64_t b)
{
    return a ^ b;
}

static const IRHelperInfo h2 = { "xor2", { .f2 = helper2 }, 2, 1 + IR_I32, IR_CALL_PURE };

typedef struct Fix {
    IRFunc f;
    TestGlobals g;
    IRTemp t32, t64, l32;
} Fix;

static void fix_init(Fix *x)
{
    ir_func_init(&x->f);
    test_globals(&x->f, &x->g);
    x->t32 = ir_temp_new(&x->f, IR_I32);
    x->t64 = ir_temp_new(&x->f, IR_I64);
    x->l32 = ir_temp_local_new(&x->f, IR_I32);
}

/* ir_verify must fail and its message must contain `want`. */
static const char *expect_fail(Fix *x, const char *want)
{
    static char msg[512];
    if (ir_verify(&x->f, msg, sizeof(msg)) == 0)
        return "verified";
    if (!strstr(msg, want))
        return msg;
    ir_func_free(&x->f);
    return NULL;
}

#define CHECK_FAILS(x, want)                                                      \
    do {                                                                          \
        const char *why_ = expect_fail((x), (want));                              \
        if (why_) {                                                               \
            unit_fail(__FILE__, __LINE__, "expected \"%s\", got \"%s\"", (want), why_); \
            return;                                                               \
        }                                                                         \
    } while (0)

TEST(a_good_function_passes)
{
    Fix x;
    fix_init(&x);
    uint32_t L = ir_label_new(&x.f);
    ir_insn_start(&x.f, 0x100, 0);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, x.g.ebx);
    ir_mov(&x.f, IR_I32, x.l32, x.t32);
    ir_brcondi(&x.f, IR_I32, IR_COND_NE, x.t32, 0, L);
    ir_op2i(&x.f, IR_shl, IR_I32, x.t32, x.l32, 1);  /* a new block may rewrite t32 */
    ir_set_label(&x.f, L);
    ir_mov(&x.f, IR_I32, x.g.ecx, x.l32);           /* locals live across labels */
    IRTemp in[2] = { x.g.eax, x.t64 };
    ir_movi(&x.f, IR_I64, x.t64, 5);
    ir_emit_call(&x.f, &h2, x.t32, in, 2);
    ir_ld_env(&x.f, IR_I64, x.t64, 0x28, IR_MO_64);  /* right after rip's field */
    ir_exit_tb(&x.f, 0);
    char msg[256] = "untouched";
    CHECK_EQ(ir_verify(&x.f, msg, sizeof(msg)), 0);
    CHECK_STR(msg, "");
    ir_func_free(&x.f);
}

TEST(temp_out_of_range)
{
    Fix x;
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, 500);
    CHECK_FAILS(&x, "op 0 (add_i32 t7, eax, ?500): argument 2: temp 500 out of range");
}

TEST(type_mismatch)
{
    Fix x;
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, x.g.rip);
    CHECK_FAILS(&x, "argument 2 is an i64 temp, the op needs i32");
}

TEST(fixed_types_of_conversions)
{
    Fix x;
    fix_init(&x);
    ir_op1(&x.f, IR_extu_i32_i64, IR_I64, x.t64, x.t64);
    CHECK_FAILS(&x, "argument 1 is an i64 temp, the op needs i32");
    fix_init(&x);
    ir_op1(&x.f, IR_extrl_i64_i32, IR_I32, x.t64, x.g.rip);
    CHECK_FAILS(&x, "argument 0 is an i64 temp, the op needs i32");
    fix_init(&x);
    ir_op1(&x.f, IR_ext32s, IR_I64, x.t32, x.t32);   /* i64-only op */
    CHECK_FAILS(&x, "needs i64");
}

TEST(address_type_follows_memop)
{
    Fix x;
    fix_init(&x);
    ir_qemu_ld(&x.f, IR_I32, x.t32, x.g.eax, IR_MO_32, 0);  /* i32 address without a32 */
    CHECK_FAILS(&x, "argument 1 is an i32 temp, the op needs i64");
    fix_init(&x);
    ir_qemu_ld(&x.f, IR_I32, x.t32, x.g.eax, IR_MO_64 | IR_MO_ADDR32, 0);
    CHECK_FAILS(&x, "64-bit access in an i32 op");
    fix_init(&x);
    ir_qemu_st(&x.f, IR_I32, x.g.eax, x.g.eax, IR_MO_32 | IR_MO_ADDR32 | 0x100, 0);
    CHECK_FAILS(&x, "undefined bits");
}

TEST(no_writes_to_constants)
{
    Fix x;
    fix_init(&x);
    ir_mov(&x.f, IR_I32, ir_const(&x.f, IR_I32, 3), x.g.eax);
    CHECK_FAILS(&x, "writes a constant");
}

TEST(labels_defined_once_and_used_labels_defined)
{
    Fix x;
    fix_init(&x);
    uint32_t L = ir_label_new(&x.f);
    ir_set_label(&x.f, L);
    ir_set_label(&x.f, L);
    CHECK_FAILS(&x, "op 1 (L0:): label L0 defined again (first at op 0)");
    fix_init(&x);
    L = ir_label_new(&x.f);
    ir_br(&x.f, L);
    CHECK_FAILS(&x, "op 0 (br L0): label L0 is never defined");
    fix_init(&x);
    ir_br(&x.f, 7);
    CHECK_FAILS(&x, "label 7 out of range");
}

TEST(bb_temps_stay_in_their_block)
{
    Fix x;
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.g.eax, x.g.eax, x.t32);
    CHECK_FAILS(&x, "bb temp t7 read before it is written");

    fix_init(&x);
    uint32_t L = ir_label_new(&x.f);
    ir_mov(&x.f, IR_I32, x.t32, x.g.eax);
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.ebx, 0, L);
    ir_mov(&x.f, IR_I32, x.g.ecx, x.t32);          /* after the brcond: dead */
    ir_set_label(&x.f, L);
    CHECK_FAILS(&x, "op 2 (mov_i32 ecx, t7): bb temp t7 read in a later basic block");

    fix_init(&x);
    L = ir_label_new(&x.f);
    ir_mov(&x.f, IR_I32, x.t32, x.g.eax);
    ir_set_label(&x.f, L);
    ir_mov(&x.f, IR_I32, x.g.ecx, x.t32);          /* after a label: dead */
    CHECK_FAILS(&x, "later basic block");

    fix_init(&x);
    ir_mov(&x.f, IR_I32, x.t32, x.g.eax);
    ir_discard(&x.f, x.t32);
    ir_mov(&x.f, IR_I32, x.g.ecx, x.t32);
    CHECK_FAILS(&x, "read before it is written");
}

TEST(bit_fields_in_range)
{
    Fix x;
    fix_init(&x);
    ir_deposit(&x.f, IR_I32, x.g.eax, x.g.eax, x.g.ebx, 24, 16);
    CHECK_FAILS(&x, "bit field pos 24 len 16 outside 32 bits");
    fix_init(&x);
    ir_extract(&x.f, IR_extract, IR_I64, x.t64, x.g.rip, 8, 0);
    CHECK_FAILS(&x, "len 0");
    fix_init(&x);
    ir_extract(&x.f, IR_sextract, IR_I64, x.t64, x.g.rip, 32, 32);
    char msg[128];
    CHECK_EQ(ir_verify(&x.f, msg, sizeof(msg)), 0);  /* the top half is fine */
    ir_func_free(&x.f);
}

TEST(call_counts_match_the_helper)
{
    Fix x;
    fix_init(&x);
    IRTemp in[2] = { x.g.eax, x.g.ebx };
    IROp *op = ir_emit_call(&x.f, &h2, x.t32, in, 2);
    op->nin = 1;  /* as a broken pass could leave it: one argument dropped */
    op->args[2] = (uint64_t)(uintptr_t)&h2;
    CHECK_FAILS(&x, "1 arguments, helper xor2 takes 2");
    fix_init(&x);
    op = ir_emit_call(&x.f, &h2, x.t32, in, 2);
    op->nout = 0;
    op->args[0] = x.g.eax; op->args[1] = x.g.ebx; op->args[2] = (uint64_t)(uintptr_t)&h2;
    CHECK_FAILS(&x, "0 outputs, helper xor2 returns i32");
    fix_init(&x);
    ir_emit_call(&x.f, &h2, x.t64, in, 2);
    CHECK_FAILS(&x, "argument 0 is an i64 temp, the op needs i32");
    fix_init(&x);
    op = ir_emit_call(&x.f, &h2, x.t32, in, 2);
    op->nin = 1;  /* the helper pointer is not where the counts say */
    CHECK_FAILS(&x, "call without a helper");
}

TEST(env_fields_must_not_overlap_globals)
{
    Fix x;
    fix_init(&x);
    ir_ld_env(&x.f, IR_I32, x.t32, 0x12, IR_MO_32);   /* cc_op is 0x10..0x13 */
    CHECK_FAILS(&x, "env field overlaps global cc_op (env+0x10), use the global");
    fix_init(&x);
    ir_st_env(&x.f, IR_I64, x.t64, 0x1c, IR_MO_64);   /* into rip at 0x20 */
    CHECK_FAILS(&x, "overlaps global rip");
    fix_init(&x);
    ir_st_env(&x.f, IR_I32, x.t32, 0x0c, IR_MO_32 | IR_MO_ADDR32);
    CHECK_FAILS(&x, "undefined bits");
    fix_init(&x);
    ir_ld_env(&x.f, IR_I32, x.t32, 0x0c, IR_MO_32);   /* the hole 0x0c..0x0f is free */
    ir_mov(&x.f, IR_I32, x.g.eax, x.t32);
    char msg[128];
    CHECK_EQ(ir_verify(&x.f, msg, sizeof(msg)), 0);
    ir_func_free(&x.f);
}

TEST(shapes_conditions_slots)
{
    Fix x;
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, x.g.ebx);
    x.f.ops[0].nin = 1;
    CHECK_FAILS(&x, "shape 1/1/0, ir.def says 1/2/0");
    fix_init(&x);
    ir_setcond(&x.f, IR_I32, (IRCond)20, x.t32, x.g.eax, x.g.ebx);
    CHECK_FAILS(&x, "bad condition 20");
    fix_init(&x);
    ir_goto_tb(&x.f, 2);
    CHECK_FAILS(&x, "chain slot 2");
    fix_init(&x);
    ir_mul2(&x.f, IR_muls2, IR_I32, x.g.eax, x.g.eax, x.g.ebx, x.g.ecx);
    CHECK_FAILS(&x, "the same temp is written twice");
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, x.g.ebx);
    x.f.ops[0].opc = IR_NB_OPS + 3;
    CHECK_FAILS(&x, "unknown opcode");
}

TEST(nops_are_ignored_and_null_message_is_fine)
{
    Fix x;
    fix_init(&x);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, 999);
    x.f.ops[0].opc = IR_nop;
    CHECK_EQ(ir_verify(&x.f, NULL, 0), 0);
    ir_op2(&x.f, IR_add, IR_I32, x.t32, x.g.eax, 999);
    CHECK_EQ(ir_verify(&x.f, NULL, 0), -1);
    ir_func_free(&x.f);
}
