/* ir/fold.c: constant folding and propagation, identities, decided branches. */
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

TEST(propagates_and_folds_with_i32_wraparound)
{
    Fix x;
    fix_init(&x);
    IRTemp t1 = ir_temp_new(&x.f, IR_I32), t2 = ir_temp_new(&x.f, IR_I32);
    ir_movi(&x.f, IR_I32, t1, 0xffffffff);
    ir_op2i(&x.f, IR_add, IR_I32, t2, t1, 1);            /* wraps to 0 */
    ir_op2(&x.f, IR_add, IR_I32, x.g.eax, x.g.ebx, t2);  /* ebx + 0 */
    ir_op2i(&x.f, IR_shl, IR_I32, t1, t1, 36);           /* count 36 mod 32 = 4 */
    ir_op2(&x.f, IR_sub, IR_I32, x.g.ecx, t1, x.g.eax);
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, $0xffffffff\n"
        " mov_i32 t8, $0x0\n"
        " mov_i32 eax, ebx\n"
        " mov_i32 t7, $0xfffffff0\n"
        " sub_i32 ecx, $0xfffffff0, eax\n");
    ir_func_free(&x.f);
}

TEST(algebraic_identities)
{
    Fix x;
    fix_init(&x);
    IRTemp a = x.g.eax, d = x.g.ebx;
    ir_op2i(&x.f, IR_add, IR_I32, d, a, 0);
    ir_op2i(&x.f, IR_mul, IR_I32, d, a, 1);
    ir_op2i(&x.f, IR_mul, IR_I32, d, a, 0);
    ir_op2i(&x.f, IR_and, IR_I32, d, a, 0);
    ir_op2i(&x.f, IR_and, IR_I32, d, a, 0xffffffff);
    ir_op2i(&x.f, IR_and, IR_I64, x.g.rip, x.g.rip, 0xffffffff); /* not -1 for i64 */
    ir_op2i(&x.f, IR_or, IR_I32, d, a, 0);
    ir_op2(&x.f, IR_xor, IR_I32, d, a, a);
    ir_op2(&x.f, IR_sub, IR_I32, d, a, a);
    ir_op2i(&x.f, IR_shr, IR_I32, d, a, 32);                /* 32 mod 32 = 0 */
    ir_op2i(&x.f, IR_sar, IR_I64, x.g.rip, x.g.rip, 64);
    ir_op2(&x.f, IR_and, IR_I32, d, a, a);
    ir_op2(&x.f, IR_or, IR_I32, d, a, a);
    ir_op2i(&x.f, IR_or, IR_I32, d, a, 0xffffffff);
    ir_op2i(&x.f, IR_rotl, IR_I32, d, a, 0);
    ir_op2(&x.f, IR_andc, IR_I32, d, a, a);
    ir_op2(&x.f, IR_add, IR_I32, d, a, a);                  /* no identity */
    ir_op2i(&x.f, IR_shl, IR_I32, d, a, 1);                 /* none either */
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, $0x0\n"
        " mov_i32 ebx, $0x0\n"
        " mov_i32 ebx, eax\n"
        " and_i64 rip, rip, $0xffffffff\n"
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, $0x0\n"
        " mov_i32 ebx, $0x0\n"
        " mov_i32 ebx, eax\n"
        /* sar rip, rip, 64 became "mov rip, rip": removed */
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, $0xffffffff\n"
        " mov_i32 ebx, eax\n"
        " mov_i32 ebx, $0x0\n"
        " add_i32 ebx, eax, eax\n"
        " shl_i32 ebx, eax, $0x1\n");
    ir_func_free(&x.f);
}

/* Fold one op on constant inputs; returns the constant it became, or ~0 - 1. */
typedef struct Case {
    IROpcode opc;
    IRType t;
    uint64_t a, b, c0, c1;
    uint64_t r0, r1;
} Case;

static const char *fold_case(const Case *c, uint64_t *r0, uint64_t *r1)
{
    static char why[256];
    IRFunc f;
    ir_func_init(&f);
    const IROpDef *def = &ir_op_defs[c->opc];
    IRType tin = c->t, tout = c->t;
    if (c->opc == IR_exts_i32_i64 || c->opc == IR_extu_i32_i64)
        tin = IR_I32, tout = IR_I64;
    if (c->opc == IR_extrl_i64_i32 || c->opc == IR_extrh_i64_i32)
        tin = IR_I64, tout = IR_I32;
    IRTemp d0 = ir_temp_local_new(&f, tout), d1 = ir_temp_local_new(&f, tout);
    uint64_t args[IR_MAX_ARGS];
    unsigned n = 0;
    args[n++] = d0;
    if (def->nout == 2)
        args[n++] = d1;
    uint64_t in[4] = { c->a, c->b, c->c0, c->c1 };
    for (unsigned k = 0; k < def->nin; k++)
        args[n++] = ir_const(&f, tin, in[k]);
    if (c->opc == IR_setcond || c->opc == IR_movcond) {
        args[n++] = c->opc == IR_movcond ? c->c1 + 0 : c->c0;
    } else {
        for (unsigned k = 0; k < def->ncon; k++)
            args[n++] = in[2 + k];
    }
    ir_emit(&f, c->opc, c->t, args, n);
    ir_opt_fold(&f);
    const char *bad = NULL;
    for (unsigned k = 0; k < def->nout && !bad; k++) {
        const IROp *op = &f.ops[k];
        if (k >= f.nops || op->opc != IR_mov || op->args[0] != (k ? d1 : d0) ||
            f.temps[op->args[1]].kind != IR_TEMP_CONST)
            bad = "not folded to a constant";
        else
            *(k ? r1 : r0) = f.temps[op->args[1]].val;
    }
    if (bad) {
        snprintf(why, sizeof(why), "%s_%s: %s: %s", def->name, c->t ? "i64" : "i32", bad, ir_dump(&f));
    }
    ir_func_free(&f);
    return bad ? why : NULL;
}

#define I32 IR_I32
#define I64 IR_I64
#define M64 0x8000000000000000ull

TEST(every_pure_op_folds_as_ir_def_says)
{
    static const Case cases[] = {
        { IR_add, I32, 0xffffffff, 2, 0, 0, 1, 0 },
        { IR_add, I64, 0xffffffff, 2, 0, 0, 0x100000001ull, 0 },
        { IR_sub, I32, 1, 2, 0, 0, 0xffffffff, 0 },
        { IR_sub, I64, 1, 2, 0, 0, ~0ull, 0 },
        { IR_mul, I32, 0x10000, 0x10001, 0, 0, 0x10000, 0 },
        { IR_neg, I32, 1, 0, 0, 0, 0xffffffff, 0 },
        { IR_neg, I64, 0, 0, 0, 0, 0, 0 },
        { IR_and, I32, 0xf0f0, 0xff00, 0, 0, 0xf000, 0 },
        { IR_or, I32, 0xf0f0, 0xff00, 0, 0, 0xfff0, 0 },
        { IR_xor, I64, 0xf0f0, 0xff00, 0, 0, 0x0ff0, 0 },
        { IR_not, I32, 0, 0, 0, 0, 0xffffffff, 0 },
        { IR_not, I64, 1, 0, 0, 0, ~1ull, 0 },
        { IR_andc, I32, 0xff, 0x0f, 0, 0, 0xf0, 0 },
        { IR_orc, I32, 0, 0xffff0000, 0, 0, 0xffff, 0 },
        { IR_shl, I32, 1, 31, 0, 0, 0x80000000, 0 },
        { IR_shl, I32, 3, 33, 0, 0, 6, 0 },             /* count mod 32 */
        { IR_shl, I64, 1, 65, 0, 0, 2, 0 },             /* count mod 64 */
        { IR_shl, I64, 1, 32, 0, 0, 0x100000000ull, 0 },
        { IR_shr, I32, 0x80000000, 31, 0, 0, 1, 0 },
        { IR_shr, I32, 0x80000000, 63, 0, 0, 1, 0 },
        { IR_sar, I32, 0x80000000, 31, 0, 0, 0xffffffff, 0 },
        { IR_sar, I32, 0x40000000, 30, 0, 0, 1, 0 },
        { IR_sar, I64, M64, 63, 0, 0, ~0ull, 0 },
        { IR_sar, I64, 0x80000000, 31, 0, 0, 1, 0 },     /* i64: bit 31 is not a sign */
        { IR_rotl, I32, 0x80000001, 1, 0, 0, 3, 0 },
        { IR_rotl, I32, 0x12345678, 36, 0, 0, 0x23456781, 0 },
        { IR_rotr, I32, 1, 1, 0, 0, 0x80000000, 0 },
        { IR_rotr, I64, 1, 1, 0, 0, M64, 0 },
        { IR_rotl, I64, M64, 0, 0, 0, M64, 0 },
        { IR_divs, I32, 0xfffffff9, 2, 0, 0, 0xfffffffd, 0 }, /* -7/2 = -3 */
        { IR_rems, I32, 0xfffffff9, 2, 0, 0, 0xffffffff, 0 }, /* -7%2 = -1 */
        { IR_divs, I32, 0x80000000, 0xffffffff, 0, 0, 0x80000000, 0 }, /* MIN/-1 */
        { IR_rems, I32, 0x80000000, 0xffffffff, 0, 0, 0, 0 },
        { IR_divs, I64, M64, ~0ull, 0, 0, M64, 0 },
        { IR_divs, I32, 7, 0xffffffff, 0, 0, 0xfffffff9, 0 },
        { IR_divs, I64, 7, ~0ull, 0, 0, 0xfffffffffffffff9ull, 0 },
        { IR_rems, I64, 7, ~0ull, 0, 0, 0, 0 },
        { IR_rems, I64, M64, ~0ull, 0, 0, 0, 0 },
        { IR_divs, I32, 5, 0, 0, 0, 0, 0 },              /* x/0 = 0 */
        { IR_rems, I32, 5, 0, 0, 0, 5, 0 },              /* x%0 = x */
        { IR_divu, I64, 7, 0, 0, 0, 0, 0 },
        { IR_remu, I64, 7, 0, 0, 0, 7, 0 },
        { IR_divu, I32, 0xffffffff, 2, 0, 0, 0x7fffffff, 0 },
        { IR_remu, I32, 0xffffffff, 0x10, 0, 0, 0xf, 0 },
        { IR_divs, I64, 0xfffffffffffffff9ull, 0xfffffffffffffffeull, 0, 0, 3, 0 },
        { IR_mulu2, I32, 0xffffffff, 0xffffffff, 0, 0, 1, 0xfffffffe },
        { IR_muls2, I32, 0xffffffff, 0xffffffff, 0, 0, 1, 0 },
        { IR_muls2, I32, 0x80000000, 2, 0, 0, 0, 0xffffffff },
        { IR_mulu2, I64, ~0ull, ~0ull, 0, 0, 1, ~0ull - 1 },
        { IR_muls2, I64, ~0ull, ~0ull, 0, 0, 1, 0 },
        { IR_muls2, I64, M64, 2, 0, 0, 0, ~0ull },
        { IR_ext8s, I32, 0x80, 0, 0, 0, 0xffffff80, 0 },
        { IR_ext8s, I64, 0x17f, 0, 0, 0, 0x7f, 0 },
        { IR_ext8u, I32, 0xfff, 0, 0, 0, 0xff, 0 },
        { IR_ext16s, I64, 0x8000, 0, 0, 0, 0xffffffffffff8000ull, 0 },
        { IR_ext16u, I32, 0x18000, 0, 0, 0, 0x8000, 0 },
        { IR_ext32s, I64, 0x80000000, 0, 0, 0, 0xffffffff80000000ull, 0 },
        { IR_ext32u, I64, ~0ull, 0, 0, 0, 0xffffffff, 0 },
        { IR_exts_i32_i64, I64, 0xfffffffe, 0, 0, 0, ~1ull, 0 },
        { IR_extu_i32_i64, I64, 0xfffffffe, 0, 0, 0, 0xfffffffe, 0 },
        { IR_extrl_i64_i32, I32, 0x123456789ull, 0, 0, 0, 0x23456789, 0 },
        { IR_extrh_i64_i32, I32, 0x123456789ull, 0, 0, 0, 1, 0 },
        { IR_deposit, I32, 0xffffffff, 0, 8, 8, 0xffff00ff, 0 },
        { IR_deposit, I32, 0, 0x1ff, 24, 8, 0xff000000, 0 },
        { IR_deposit, I64, 0, ~0ull, 0, 64, ~0ull, 0 },
        { IR_deposit, I64, ~0ull, 0, 32, 32, 0xffffffff, 0 },
        { IR_extract, I32, 0x12345678, 0, 8, 12, 0x456, 0 },
        { IR_sextract, I32, 0x00800000, 0, 16, 8, 0xffffff80, 0 },
        { IR_sextract, I64, 0x00800000, 0, 16, 8, 0xffffffffffffff80ull, 0 },
        { IR_sextract, I64, M64, 0, 0, 64, M64, 0 },
        { IR_extract, I64, M64, 0, 63, 1, 1, 0 },
        { IR_bswap16, I32, 0xaabbccdd, 0, 0, 0, 0xddcc, 0 },
        { IR_bswap32, I32, 0x11223344, 0, 0, 0, 0x44332211, 0 },
        { IR_bswap32, I64, 0xff11223344ull, 0, 0, 0, 0x44332211, 0 },
        { IR_bswap64, I64, 0x0102030405060708ull, 0, 0, 0, 0x0807060504030201ull, 0 },
        { IR_clz, I32, 1, 99, 0, 0, 31, 0 },
        { IR_clz, I32, 0, 99, 0, 0, 99, 0 },
        { IR_clz, I64, 1, 0, 0, 0, 63, 0 },
        { IR_ctz, I32, 0x80000000, 0, 0, 0, 31, 0 },
        { IR_ctz, I64, 0, 64, 0, 0, 64, 0 },
        { IR_ctpop, I32, 0xffffffff, 0, 0, 0, 32, 0 },
        { IR_ctpop, I64, M64 | 1, 0, 0, 0, 2, 0 },
        { IR_setcond, I32, 0xffffffff, 0, IR_COND_LT, 0, 1, 0 },
        { IR_setcond, I64, 0xffffffff, 0, IR_COND_LT, 0, 0, 0 },
        { IR_setcond, I32, 6, 3, IR_COND_TSTEQ, 0, 0, 0 },
        { IR_setcond, I32, 5, 7, IR_COND_GEU, 0, 0, 0 },
        /* movcond: a, b = compared, c0, c1 = values; the condition is eq */
        { IR_movcond, I32, 3, 3, 10, 20, 10, 0 },
        { IR_movcond, I32, 3, 4, 10, 20, 20, 0 },
        { IR_mov, I64, 0x1234, 0, 0, 0, 0x1234, 0 },
    };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(cases); i++) {
        Case c = cases[i];
        if (c.opc == IR_movcond)
            c.c1 = IR_COND_EQ;
        uint64_t r0 = 0, r1 = 0;
        const char *why;
        if (c.opc == IR_movcond) {
            /* inputs c1, c2, v1, v2 = a, b, c0, original c1 */
            IRFunc f;
            ir_func_init(&f);
            IRTemp d = ir_temp_local_new(&f, c.t);
            ir_movcond(&f, c.t, IR_COND_EQ, d, ir_const(&f, c.t, c.a), ir_const(&f, c.t, c.b),
                       ir_const(&f, c.t, c.c0), ir_const(&f, c.t, cases[i].c1));
            ir_opt_fold(&f);
            CHECK_EQ(f.ops[0].opc, IR_mov);
            r0 = f.temps[f.ops[0].args[1]].val;
            ir_func_free(&f);
            why = NULL;
        } else {
            why = fold_case(&c, &r0, &r1);
        }
        if (why)
            unit_fail(__FILE__, __LINE__, "case %u: %s", i, why);
        if (why)
            return;
        if (r0 != c.r0 || r1 != c.r1) {
            unit_fail(__FILE__, __LINE__, "case %u %s_%s(0x%llx, 0x%llx): 0x%llx 0x%llx, expected 0x%llx 0x%llx",
                      i, ir_op_defs[c.opc].name, c.t ? "i64" : "i32", (unsigned long long)c.a,
                      (unsigned long long)c.b, (unsigned long long)r0, (unsigned long long)r1,
                      (unsigned long long)c.r0, (unsigned long long)c.r1);
            return;
        }
    }
}

TEST(extensions_of_values_already_that_narrow)
{
    Fix x;
    fix_init(&x);
    IRTemp b = ir_temp_new(&x.f, IR_I32), w = ir_temp_new(&x.f, IR_I32);
    IRTemp c = ir_temp_new(&x.f, IR_I32), e = ir_temp_new(&x.f, IR_I32);
    /* movzx eax, byte [ebx]: the u8 load is already zero-extended */
    ir_qemu_ld(&x.f, IR_I32, b, x.g.ebx, IR_MO_8 | IR_MO_ADDR32, 0);
    ir_op1(&x.f, IR_ext8u, IR_I32, x.g.eax, b);
    /* a u16 load is not 8 bits wide; a sign-extending u8 load is not narrow */
    ir_qemu_ld(&x.f, IR_I32, w, x.g.ebx, IR_MO_16 | IR_MO_ADDR32, 0);
    ir_op1(&x.f, IR_ext8u, IR_I32, x.g.ecx, w);
    ir_op1(&x.f, IR_ext16u, IR_I32, x.g.cc_src, w);
    ir_qemu_ld(&x.f, IR_I32, w, x.g.ebx, IR_MO_8 | IR_MO_SIGN | IR_MO_ADDR32, 0);
    ir_op1(&x.f, IR_ext8u, IR_I32, x.g.ecx, w);
    /* setb al; movzx eax, al: the extension reads the setcond */
    ir_setcond(&x.f, IR_I32, IR_COND_LTU, c, x.g.ebx, x.g.ecx);
    ir_deposit(&x.f, IR_I32, x.g.eax, x.g.eax, c, 0, 8);
    ir_op1(&x.f, IR_ext8u, IR_I32, e, x.g.eax);
    /* ... but not once the deposited temp was written again */
    ir_deposit(&x.f, IR_I32, x.g.eax, x.g.eax, x.g.cc_src, 0, 8);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.cc_src, x.g.cc_src, 1);
    ir_op1(&x.f, IR_ext8u, IR_I32, e, x.g.eax);
    /* a mask as wide as the value */
    ir_op2i(&x.f, IR_and, IR_I32, x.g.ecx, c, 0xff);
    ir_op2i(&x.f, IR_and, IR_I32, x.g.ecx, x.g.ebx, 0xff);
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " qemu_ld_i32 t7, ebx, ub+a32, mmu0\n"
        " mov_i32 eax, t7\n"
        " qemu_ld_i32 t8, ebx, uw+a32, mmu0\n"
        " ext8u_i32 ecx, t8\n"
        " mov_i32 cc_src, t8\n"
        " qemu_ld_i32 t8, ebx, sb+a32, mmu0\n"
        " ext8u_i32 ecx, t8\n"
        " setcond_i32 t9, ebx, ecx, ltu\n"
        " deposit_i32 eax, eax, t9, 0, 8\n"
        " mov_i32 t10, t9\n"
        " deposit_i32 eax, eax, cc_src, 0, 8\n"
        " add_i32 cc_src, cc_src, $0x1\n"
        " ext8u_i32 t10, eax\n"
        " mov_i32 ecx, t9\n"
        " and_i32 ecx, ebx, $0xff\n");
    ir_func_free(&x.f);
}

TEST(decided_branches_and_conditions)
{
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, t, 5);
    ir_brcondi(&x.f, IR_I32, IR_COND_GTU, t, 9, L);        /* never taken: nop */
    ir_brcondi(&x.f, IR_I32, IR_COND_NEVER, x.g.eax, 0, L); /* nop */
    ir_movi(&x.f, IR_I32, t, 5);
    ir_setcond(&x.f, IR_I32, IR_COND_LE, x.g.ebx, x.g.eax, x.g.eax); /* a <= a */
    ir_setcond(&x.f, IR_I32, IR_COND_TSTNE, x.g.ecx, x.g.eax, x.g.eax); /* depends on a */
    ir_movcond(&x.f, IR_I32, IR_COND_EQ, x.g.ecx, x.g.eax, x.g.ebx, x.g.eax, x.g.eax);
    ir_brcond(&x.f, IR_I32, IR_COND_EQ, x.g.eax, x.g.eax, L); /* always: br */
    ir_set_label(&x.f, L);
    ir_brcondi(&x.f, IR_I32, IR_COND_ALWAYS, x.g.eax, 0, L);
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, $0x5\n"
        " mov_i32 t7, $0x5\n"
        " mov_i32 ebx, $0x1\n"
        " setcond_i32 ecx, eax, eax, tstne\n"
        " mov_i32 ecx, eax\n"
        " br L0\n"
        " L0:\n"
        " br L0\n");
    ir_func_free(&x.f);
}

static uint64_t helper_any(void *env, uint64_t a) { return a; }

TEST(globals_are_forgotten_at_calls_that_may_write_them_and_at_labels)
{
    static const IRHelperInfo writes = { "writes", { .f1 = helper_any }, 1, 0, 0 };
    static const IRHelperInfo reads = { "reads", { .f1 = helper_any }, 1, 0,
                                        IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_RAISE };
    Fix x;
    fix_init(&x);
    IRTemp l = ir_temp_local_new(&x.f, IR_I32);
    uint32_t L = ir_label_new(&x.f), L2 = ir_label_new(&x.f);
    ir_movi(&x.f, IR_I32, x.g.eax, 7);
    ir_movi(&x.f, IR_I32, l, 9);
    ir_emit_call(&x.f, &reads, IR_NO_TEMP, &x.g.ebx, 1);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, x.g.eax, 1);     /* eax still 7 */
    ir_brcondi(&x.f, IR_I32, IR_COND_EQ, x.g.ecx, 0, L2);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, l, 1);           /* fall-through: l still 9 */
    ir_emit_call(&x.f, &writes, IR_NO_TEMP, &x.g.ebx, 1);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, x.g.eax, 1);     /* eax unknown now */
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ecx, l, 2);           /* locals survive the call */
    ir_set_label(&x.f, L2);
    ir_op2i(&x.f, IR_add, IR_I32, x.g.ebx, l, 1);           /* another path joins */
    ir_set_label(&x.f, L);
    CHECK_VERIFY(&x.f);
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 eax, $0x7\n"
        " mov_i32 loc7, $0x9\n"
        " call reads, ebx\n"
        " mov_i32 ebx, $0x8\n"
        " brcond_i32 ecx, $0x0, eq, L1\n"
        " mov_i32 ebx, $0xa\n"
        " call writes, $0xa\n"
        " add_i32 ebx, eax, $0x1\n"
        " mov_i32 ecx, $0xb\n"
        " L1:\n"
        " add_i32 ebx, loc7, $0x1\n"
        " L0:\n");
    ir_func_free(&x.f);
}

TEST(ops_that_may_raise_keep_raising)
{
    static const IRHelperInfo divh = { "div", { .f1 = helper_any }, 1, 1 + IR_I32,
                                       IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_SIDE_EFFECTS };
    Fix x;
    fix_init(&x);
    IRTemp t = ir_temp_new(&x.f, IR_I32), u = ir_temp_new(&x.f, IR_I32);
    ir_movi(&x.f, IR_I32, t, 0x1000);
    ir_qemu_ld(&x.f, IR_I32, u, t, IR_MO_32 | IR_MO_ADDR32, 0);
    ir_qemu_st(&x.f, IR_I32, t, t, IR_MO_32 | IR_MO_ADDR32, 0);
    IRTemp zero = ir_const(&x.f, IR_I32, 0);
    ir_emit_call(&x.f, &divh, u, &zero, 1);           /* pure but may raise: stays */
    ir_op2(&x.f, IR_add, IR_I32, x.g.eax, u, t);      /* u unknown after the load */
    ir_opt_fold(&x.f);
    CHECK_VERIFY(&x.f);
    CHECK_IR(&x.f,
        " mov_i32 t7, $0x1000\n"
        " qemu_ld_i32 t8, $0x1000, ul+a32, mmu0\n"
        " qemu_st_i32 $0x1000, $0x1000, ul+a32, mmu0\n"
        " call div, t8, $0x0\n"
        " add_i32 eax, t8, $0x1000\n");
    ir_func_free(&x.f);
}

TEST(differential_straight_line_pure)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_fold, 0xf01d, 3000, false, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
}

TEST(differential_with_branches_memory_calls)
{
    uint64_t removed;
    const char *why = ev_differential(ir_opt_fold, 0xf01d2, 3000, true, &removed);
    if (why)
        unit_fail(__FILE__, __LINE__, "%s", why);
}
