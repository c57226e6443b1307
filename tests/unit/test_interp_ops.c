/*
 * Every IR op through the interpreter, both dispatch skins, against a C
 * reference written here: edge values plus thousands of random operands
 * (fixed seed), register and immediate forms, temps in frame slots.
 */
#include "unit.h"
#include "test_tb_target.h"

#include <stdio.h>

/* ---- reference semantics (ir.def), written independently of the handlers ---- */

static unsigned width(IRType t)
{
    return t == IR_I32 ? 32 : 64;
}

static uint64_t trunc_t(IRType t, uint64_t v)
{
    return t == IR_I32 ? (uint32_t)v : v;
}

static int64_t sval(IRType t, uint64_t v)
{
    return t == IR_I32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

static uint64_t sext_bits(uint64_t v, unsigned bits)
{
    v &= bits == 64 ? ~0ull : (1ull << bits) - 1;
    if (bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~0ull << bits;
    return v;
}

static bool ref_cond(IRType t, int c, uint64_t a, uint64_t b)
{
    a = trunc_t(t, a);
    b = trunc_t(t, b);
    int64_t sa = sval(t, a), sb = sval(t, b);
    switch (c) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return !(sa < sb);
    case IR_COND_LE: return sa < sb || a == b;
    case IR_COND_GT: return !(sa < sb || a == b);
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return !(a < b);
    case IR_COND_LEU: return a < b || a == b;
    case IR_COND_GTU: return !(a < b || a == b);
    case IR_COND_TSTEQ: return (a & b) == 0;
    case IR_COND_TSTNE: return (a & b) != 0;
    }
    return false;
}

/* 64x64 -> 128 by 32-bit limbs */
static void ref_mulu128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t carry = ((p00 >> 32) + (uint32_t)p01 + (uint32_t)p10) >> 32;
    *lo = a * b;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + carry;
}

static void ref_op(unsigned opc, IRType t, const uint64_t *in, const uint64_t *con, uint64_t *out)
{
    unsigned w = width(t);
    uint64_t a = trunc_t(t, in[0]), b = trunc_t(t, in[1]);
    uint64_t min = t == IR_I32 ? 0x80000000ull : 0x8000000000000000ull;
    uint64_t r = 0;
    switch (opc) {
    case IR_mov: r = a; break;
    case IR_add: r = a + b; break;
    case IR_sub: r = a - b; break;
    case IR_mul: r = a * b; break;
    case IR_neg: r = 0 - a; break;
    case IR_and: r = a & b; break;
    case IR_or: r = a | b; break;
    case IR_xor: r = a ^ b; break;
    case IR_not: r = ~a; break;
    case IR_andc: r = a & ~b; break;
    case IR_orc: r = a | ~b; break;
    case IR_shl: r = a << (b % w); break;
    case IR_shr: r = a >> (b % w); break;
    case IR_sar: r = (uint64_t)(sval(t, a) >> (b % w)); break;
    case IR_rotl: { unsigned n = (unsigned)(b % w); r = n ? (a << n) | (a >> (w - n)) : a; break; }
    case IR_rotr: { unsigned n = (unsigned)(b % w); r = n ? (a >> n) | (a << (w - n)) : a; break; }
    case IR_divu: r = b ? a / b : 0; break;
    case IR_remu: r = b ? a % b : a; break;
    case IR_divs:
        if (b == 0) r = 0;
        else if (a == min && trunc_t(t, b) == trunc_t(t, ~0ull)) r = min;
        else r = (uint64_t)(sval(t, a) / sval(t, b));
        break;
    case IR_rems:
        if (b == 0) r = a;
        else if (a == min && trunc_t(t, b) == trunc_t(t, ~0ull)) r = 0;
        else r = (uint64_t)(sval(t, a) % sval(t, b));
        break;
    case IR_mulu2: case IR_muls2: {
        uint64_t lo, hi;
        if (t == IR_I32) {
            uint64_t p = opc == IR_mulu2 ? a * b : (uint64_t)(sval(t, a) * sval(t, b));
            lo = (uint32_t)p;
            hi = p >> 32;
        } else {
            ref_mulu128(a, b, &lo, &hi);
            if (opc == IR_muls2) {
                if ((int64_t)a < 0) hi -= b;
                if ((int64_t)b < 0) hi -= a;
            }
        }
        out[0] = trunc_t(t, lo);
        out[1] = trunc_t(t, hi);
        return;
    }
    case IR_ext8s: r = sext_bits(a, 8); break;
    case IR_ext8u: r = a & 0xff; break;
    case IR_ext16s: r = sext_bits(a, 16); break;
    case IR_ext16u: r = a & 0xffff; break;
    case IR_ext32s: r = sext_bits(a, 32); break;
    case IR_ext32u: r = a & 0xffffffffu; break;
    case IR_exts_i32_i64: r = sext_bits(in[0], 32); out[0] = r; return;
    case IR_extu_i32_i64: out[0] = (uint32_t)in[0]; return;
    case IR_extrl_i64_i32: out[0] = (uint32_t)in[0]; return;
    case IR_extrh_i64_i32: out[0] = in[0] >> 32; return;
    case IR_deposit:
        r = a;
        for (unsigned i = 0; i < con[1]; i++) {
            uint64_t bit = 1ull << (con[0] + i);
            r = (b >> i) & 1 ? r | bit : r & ~bit;
        }
        break;
    case IR_extract: case IR_sextract:
        for (unsigned i = 0; i < con[1]; i++)
            r |= ((a >> (con[0] + i)) & 1) << i;
        if (opc == IR_sextract)
            r = sext_bits(r, (unsigned)con[1]);
        break;
    case IR_bswap16: r = ((a & 0xff) << 8) | ((a >> 8) & 0xff); break;
    case IR_bswap32:
        for (int i = 0; i < 4; i++)
            r |= ((a >> (8 * i)) & 0xff) << (8 * (3 - i));
        break;
    case IR_bswap64:
        for (int i = 0; i < 8; i++)
            r |= ((a >> (8 * i)) & 0xff) << (8 * (7 - i));
        break;
    case IR_clz:
        if (!a) { r = b; break; }
        for (r = 0; !((a >> (w - 1 - r)) & 1); r++) {}
        break;
    case IR_ctz:
        if (!a) { r = b; break; }
        for (r = 0; !((a >> r) & 1); r++) {}
        break;
    case IR_ctpop:
        for (unsigned i = 0; i < w; i++)
            r += (a >> i) & 1;
        break;
    case IR_setcond: r = ref_cond(t, (int)con[0], a, b); break;
    case IR_movcond: r = ref_cond(t, (int)con[0], a, b) ? in[2] : in[3]; break;
    default:
        r = 0xdeadbeef;
        break;
    }
    out[0] = trunc_t(t, r);
}

/* ---- op shapes ------------------------------------------------------------------ */

static IRType in_type(unsigned opc, IRType t)
{
    if (opc == IR_exts_i32_i64 || opc == IR_extu_i32_i64)
        return IR_I32;
    if (opc == IR_extrl_i64_i32 || opc == IR_extrh_i64_i32)
        return IR_I64;
    return t;
}

static IRType out_type(unsigned opc, IRType t)
{
    if (opc == IR_exts_i32_i64 || opc == IR_extu_i32_i64)
        return IR_I64;
    if (opc == IR_extrl_i64_i32 || opc == IR_extrh_i64_i32)
        return IR_I32;
    return t;
}

/* ---- harness ---------------------------------------------------------------------- */

typedef struct OpEnv {
    CPUState cpu;
    uint32_t g32[8];
    uint64_t g64[8];
} OpEnv;

static BCWord codebuf[1 << 16];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random values biased to interesting bit patterns. */
static uint64_t rnd_val(void)
{
    uint64_t v = rnd();
    switch (rnd() % 6) {
    case 0: return v & 0xff;
    case 1: return v >> (rnd() % 64);
    case 2: return (uint64_t)(int64_t)(int8_t)v;
    case 3: return v | 0x8000000000000000ull;
    default: return v;
    }
}

static const uint64_t edge[] = {
    0, 1, 2, 7, 8, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000ull, 0x12345678,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffffffeull, ~0ull,
    0x123456789abcdef0ull, 0x00000000ffff0000ull,
};

typedef struct OpSpec {
    unsigned opc;
    IRType t;
    unsigned nout, nin;
    uint64_t con[2];
    unsigned ncon;
} OpSpec;

/* The globals: outputs g[0], g[1]; inputs g[2..5] of the right types. */
typedef struct Harness {
    OpEnv *env;
    IRFunc f;
    IRTemp g32[8], g64[8];
} Harness;

static void harness_init(Harness *h)
{
    h->env = calloc(1, sizeof(OpEnv));
    ir_func_init(&h->f);
    for (int i = 0; i < 8; i++)
        h->g32[i] = ir_global_new(&h->f, IR_I32, (int32_t)(offsetof(OpEnv, g32) + 4 * i), NULL);
    for (int i = 0; i < 8; i++)
        h->g64[i] = ir_global_new(&h->f, IR_I64, (int32_t)(offsetof(OpEnv, g64) + 8 * i), NULL);
}

static void harness_free(Harness *h)
{
    ir_func_free(&h->f);
    free(h->env);
}

static IRTemp gl(Harness *h, IRType t, int i)
{
    return t == IR_I32 ? h->g32[i] : h->g64[i];
}

static void set_g(Harness *h, IRType t, int i, uint64_t v)
{
    if (t == IR_I32)
        h->env->g32[i] = (uint32_t)v;
    else
        h->env->g64[i] = v;
}

static uint64_t get_g(Harness *h, IRType t, int i)
{
    return t == IR_I32 ? h->env->g32[i] : h->env->g64[i];
}

/*
 * Build: [inputs copied through bb temps when via_temps] op [outputs copied
 * back] ; exit. constmask bit i: input i is the constant cval[i].
 */
static void build_op(Harness *h, const OpSpec *sp, unsigned constmask, const uint64_t *cval,
                     bool via_temps)
{
    IRFunc *f = &h->f;
    IRType ti = in_type(sp->opc, sp->t), to = out_type(sp->opc, sp->t);
    uint64_t args[IR_MAX_ARGS];
    IRTemp outs[2];
    unsigned n = 0;
    ir_func_reset(f);
    ir_insn_start(f, 0x1000, 0);
    for (unsigned i = 0; i < sp->nout; i++)
        outs[i] = via_temps ? ir_temp_new(f, to) : gl(h, to, i);
    for (unsigned i = 0; i < sp->nout; i++)
        args[n++] = outs[i];
    for (unsigned i = 0; i < sp->nin; i++) {
        IRTemp in;
        if (constmask & (1u << i)) {
            in = ir_const(f, ti, cval[i]);
        } else if (via_temps) {
            in = ir_temp_new(f, ti);
            ir_mov(f, ti, in, gl(h, ti, 2 + i));
        } else {
            in = gl(h, ti, 2 + i);
        }
        args[n++] = in;
    }
    for (unsigned i = 0; i < sp->ncon; i++)
        args[n++] = sp->con[i];
    ir_emit(f, (IROpcode)sp->opc, sp->t, args, n);
    if (via_temps)
        for (unsigned i = 0; i < sp->nout; i++)
            ir_mov(f, to, gl(h, to, i), outs[i]);
    ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
}

static TranslationBlock cur_tb;

static bool lower(Harness *h)
{
    memset(&cur_tb, 0, sizeof(cur_tb));
    return interp_lower(&h->f, &cur_tb, (uint8_t *)codebuf, sizeof(codebuf)) > 0;
}

static char failmsg[512];

/* Run the lowered block on inputs; compare with the reference. */
static bool run_case(Harness *h, const OpSpec *sp, const uint64_t *in)
{
    IRType ti = in_type(sp->opc, sp->t), to = out_type(sp->opc, sp->t);
    uint64_t ref[2] = { 0, 0 };
    for (unsigned i = 0; i < sp->nin; i++)
        set_g(h, ti, 2 + (int)i, in[i]);
    for (unsigned i = 0; i < sp->nout; i++)
        set_g(h, to, (int)i, 0x5555555555555555ull);
    uint64_t tin[4];
    for (unsigned i = 0; i < 4; i++)
        tin[i] = i < sp->nin ? trunc_t(ti, in[i]) : 0;
    ref_op(sp->opc, sp->t, tin, sp->con, ref);
    if (interp_exec(&h->env->cpu, &cur_tb) != BACKEND_EXIT_NOCHAIN) {
        snprintf(failmsg, sizeof(failmsg), "%s: bad exit", ir_op_defs[sp->opc].name);
        return false;
    }
    for (unsigned i = 0; i < sp->nout; i++) {
        uint64_t got = get_g(h, to, (int)i);
        if (got != trunc_t(to, ref[i])) {
            snprintf(failmsg, sizeof(failmsg),
                     "%s_i%u (con %llu,%llu) in 0x%llx 0x%llx 0x%llx 0x%llx: out%u 0x%llx expected 0x%llx [%s]",
                     ir_op_defs[sp->opc].name, width(sp->t), (unsigned long long)sp->con[0],
                     (unsigned long long)sp->con[1], (unsigned long long)tin[0],
                     (unsigned long long)tin[1], (unsigned long long)tin[2],
                     (unsigned long long)tin[3], i, (unsigned long long)got,
                     (unsigned long long)trunc_t(to, ref[i]),
                     interp_dispatch_name(interp_get_dispatch()));
            return false;
        }
    }
    return true;
}

/* All forms of one op spec: registers (globals and temps), then each
 * single-constant-input form. Returns false with failmsg set. */
static bool check_spec(Harness *h, const OpSpec *sp, unsigned nrandom)
{
    uint64_t in[4];
    for (int via = 0; via < 2; via++) {
        build_op(h, sp, 0, NULL, via);
        if (!lower(h)) {
            snprintf(failmsg, sizeof(failmsg), "%s: lowering failed", ir_op_defs[sp->opc].name);
            return false;
        }
        /* edge values for the first two inputs, others random */
        for (size_t i = 0; i < PEMU_ARRAY_SIZE(edge); i++)
            for (size_t j = 0; j < PEMU_ARRAY_SIZE(edge); j++) {
                in[0] = edge[i];
                in[1] = edge[j];
                in[2] = rnd_val();
                in[3] = rnd_val();
                if (!run_case(h, sp, in))
                    return false;
            }
        for (unsigned k = 0; k < nrandom; k++) {
            for (int i = 0; i < 4; i++)
                in[i] = rnd_val();
            if (!run_case(h, sp, in))
                return false;
        }
    }
    /* constant inputs: immediate forms (or preloaded constants) */
    for (unsigned ci = 0; ci < sp->nin; ci++) {
        for (size_t e = 0; e < PEMU_ARRAY_SIZE(edge) + 8; e++) {
            uint64_t cval[4] = { 0, 0, 0, 0 };
            cval[ci] = e < PEMU_ARRAY_SIZE(edge) ? edge[e] : rnd_val();
            build_op(h, sp, 1u << ci, cval, e & 1);
            if (!lower(h)) {
                snprintf(failmsg, sizeof(failmsg), "%s: lowering (const) failed",
                         ir_op_defs[sp->opc].name);
                return false;
            }
            for (int k = 0; k < 24; k++) {
                for (int i = 0; i < 4; i++)
                    in[i] = k < (int)PEMU_ARRAY_SIZE(edge) && i == 0 ? edge[(size_t)k] : rnd_val();
                in[ci] = cval[ci];
                if (!run_case(h, sp, in))
                    return false;
            }
        }
    }
    return true;
}

static bool each_skin(bool (*fn)(Harness *h))
{
    InterpDispatch skins[2];
    int n = syn_skins(skins);
    for (int i = 0; i < n; i++) {
        Harness h;
        harness_init(&h);
        interp_set_dispatch(skins[i]);
        bool ok = fn(&h);
        harness_free(&h);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- the ops ---------------------------------------------------------------------- */

static bool t_binary(Harness *h)
{
    static const unsigned ops[] = { IR_add, IR_sub, IR_mul, IR_and, IR_or, IR_xor, IR_andc,
                                    IR_orc, IR_shl, IR_shr, IR_sar, IR_rotl, IR_rotr, IR_divs,
                                    IR_divu, IR_rems, IR_remu, IR_clz, IR_ctz };
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < PEMU_ARRAY_SIZE(ops); i++) {
            OpSpec sp = { ops[i], (IRType)t, 1, 2, { 0, 0 }, 0 };
            if (!check_spec(h, &sp, 3000))
                return false;
        }
    return true;
}

TEST(binary_ops)
{
    bool ok = each_skin(t_binary);
    if (!ok)
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

static bool t_unary(Harness *h)
{
    static const unsigned ops[] = { IR_mov, IR_neg, IR_not, IR_ext8s, IR_ext8u, IR_ext16s,
                                    IR_ext16u, IR_bswap16, IR_bswap32, IR_ctpop };
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < PEMU_ARRAY_SIZE(ops); i++) {
            OpSpec sp = { ops[i], (IRType)t, 1, 1, { 0, 0 }, 0 };
            if (!check_spec(h, &sp, 2000))
                return false;
        }
    static const unsigned ops64[] = { IR_ext32s, IR_ext32u, IR_bswap64, IR_exts_i32_i64,
                                      IR_extu_i32_i64, IR_extrl_i64_i32, IR_extrh_i64_i32 };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(ops64); i++) {
        OpSpec sp = { ops64[i], IR_I64, 1, 1, { 0, 0 }, 0 };
        if (!check_spec(h, &sp, 2000))
            return false;
    }
    return true;
}

TEST(unary_and_extension_ops)
{
    if (!each_skin(t_unary))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

static bool t_mul2(Harness *h)
{
    static const unsigned ops[] = { IR_mulu2, IR_muls2 };
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < 2; i++) {
            OpSpec sp = { ops[i], (IRType)t, 2, 2, { 0, 0 }, 0 };
            if (!check_spec(h, &sp, 3000))
                return false;
        }
    return true;
}

TEST(double_width_multiply)
{
    if (!each_skin(t_mul2))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

static bool t_bitfield(Harness *h)
{
    static const unsigned pos[] = { 0, 1, 7, 8, 15, 16, 31, 32, 33, 48, 63 };
    static const unsigned len[] = { 1, 2, 7, 8, 16, 31, 32, 33, 63, 64 };
    for (int t = 0; t < 2; t++) {
        unsigned w = t ? 64 : 32;
        for (size_t p = 0; p < PEMU_ARRAY_SIZE(pos); p++)
            for (size_t l = 0; l <= PEMU_ARRAY_SIZE(len); l++) {
                /* every listed length, plus the one reaching the top bit */
                unsigned ln = l < PEMU_ARRAY_SIZE(len) ? len[l] : w - pos[p];
                if (pos[p] >= w || ln == 0 || pos[p] + ln > w)
                    continue;
                OpSpec dep = { IR_deposit, (IRType)t, 1, 2, { pos[p], ln }, 2 };
                OpSpec ext = { IR_extract, (IRType)t, 1, 1, { pos[p], ln }, 2 };
                OpSpec sext = { IR_sextract, (IRType)t, 1, 1, { pos[p], ln }, 2 };
                if (!check_spec(h, &dep, 100) || !check_spec(h, &ext, 100) ||
                    !check_spec(h, &sext, 100))
                    return false;
            }
    }
    return true;
}

TEST(deposit_extract_at_edges)
{
    if (!each_skin(t_bitfield))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

static bool t_conds(Harness *h)
{
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < IR_NB_CONDS; c++) {
            OpSpec sc = { IR_setcond, (IRType)t, 1, 2, { (uint64_t)c, 0 }, 1 };
            OpSpec mc = { IR_movcond, (IRType)t, 1, 4, { (uint64_t)c, 0 }, 1 };
            if (!check_spec(h, &sc, 1000) || !check_spec(h, &mc, 1000))
                return false;
        }
    return true;
}

TEST(setcond_movcond_every_condition)
{
    if (!each_skin(t_conds))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* brcond: d = (a cond b) through a branch; both forms; plus br, labels,
 * nop and discard on the way. */
static bool t_brcond(Harness *h)
{
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < IR_NB_CONDS; c++)
            for (int form = 0; form < 3; form++) {
                IRFunc *f = &h->f;
                IRType ty = (IRType)t;
                uint64_t kval = edge[(size_t)(rnd() % PEMU_ARRAY_SIZE(edge))];
                ir_func_reset(f);
                uint32_t l1 = ir_label_new(f), l2 = ir_label_new(f);
                ir_insn_start(f, 0x2000, 1);
                IRTemp a = gl(h, ty, 2), b = form == 1 ? ir_const(f, ty, kval) : gl(h, ty, 3);
                if (form == 2) { /* operands in bb temps */
                    IRTemp ta = ir_temp_new(f, ty), tb = ir_temp_new(f, ty);
                    ir_mov(f, ty, ta, a);
                    ir_mov(f, ty, tb, b);
                    a = ta;
                    b = tb;
                }
                ir_emit(f, IR_nop, ty, NULL, 0);
                ir_brcond(f, ty, (IRCond)c, a, b, l1);
                ir_movi(f, IR_I32, h->g32[0], 0);
                ir_br(f, l2);
                ir_set_label(f, l1);
                ir_movi(f, IR_I32, h->g32[0], 1);
                ir_set_label(f, l2);
                IRTemp dead = ir_temp_new(f, IR_I32);
                ir_movi(f, IR_I32, dead, 5);
                ir_discard(f, dead);
                ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
                if (!lower(h))
                    return false;
                for (int k = 0; k < 600; k++) {
                    uint64_t va = k < 28 ? edge[k] : rnd_val();
                    uint64_t vb = form == 1 ? kval : (k < 28 ? edge[(k * 7) % 28] : rnd_val());
                    if (k % 5 == 0)
                        vb = va; /* equal operands */
                    if (form == 1 && k % 5 == 0)
                        va = kval;
                    if (form == 1)
                        vb = kval;
                    set_g(h, ty, 2, va);
                    set_g(h, ty, 3, vb);
                    h->env->g32[0] = 7;
                    interp_exec(&h->env->cpu, &cur_tb);
                    if (h->env->g32[0] != (uint32_t)ref_cond(ty, c, va, vb)) {
                        snprintf(failmsg, sizeof(failmsg),
                                 "brcond_i%u %s form %d 0x%llx 0x%llx: got %u [%s]", width(ty),
                                 ir_cond_name((IRCond)c), form, (unsigned long long)va,
                                 (unsigned long long)vb, h->env->g32[0],
                                 interp_dispatch_name(interp_get_dispatch()));
                        return false;
                    }
                }
            }
    return true;
}

TEST(brcond_every_condition)
{
    if (!each_skin(t_brcond))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* ld_env / st_env at every size and sign. */
static bool t_env(Harness *h)
{
    static const unsigned mos[] = { IR_MO_8, IR_MO_8 | IR_MO_SIGN, IR_MO_16, IR_MO_16 | IR_MO_SIGN,
                                    IR_MO_32, IR_MO_32 | IR_MO_SIGN, IR_MO_64 };
    int32_t src = (int32_t)offsetof(OpEnv, g64[6]), dst = (int32_t)offsetof(OpEnv, g64[7]);
    for (int t = 0; t < 2; t++)
        for (size_t m = 0; m < PEMU_ARRAY_SIZE(mos); m++) {
            IRType ty = (IRType)t;
            unsigned mo = mos[m], size = 1u << (mo & IR_MO_SIZE);
            if (ty == IR_I32 && size == 8)
                continue;
            IRFunc *f = &h->f;
            ir_func_reset(f);
            IRTemp tmp = ir_temp_new(f, ty);
            ir_ld_env(f, ty, tmp, src, mo);
            ir_mov(f, ty, gl(h, ty, 0), tmp);
            ir_st_env(f, ty, tmp, dst, mo);
            ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
            if (!lower(h))
                return false;
            for (int k = 0; k < 300; k++) {
                uint64_t v = k < 28 ? edge[k] : rnd_val();
                uint8_t bytes[8];
                st64_le(bytes, v);
                memcpy(&h->env->g64[6], bytes, 8); /* guest-style little-endian field */
                h->env->g64[7] = 0x1111111111111111ull;
                interp_exec(&h->env->cpu, &cur_tb);
                /* the field is read at its own host type at its address */
                uint64_t field;
                switch (size) {
                case 1: { uint8_t x; memcpy(&x, &h->env->g64[6], 1); field = x; break; }
                case 2: { uint16_t x; memcpy(&x, &h->env->g64[6], 2); field = x; break; }
                case 4: { uint32_t x; memcpy(&x, &h->env->g64[6], 4); field = x; break; }
                default: field = h->env->g64[6]; break;
                }
                uint64_t want = (mo & IR_MO_SIGN) ? sext_bits(field, size * 8) : field;
                want = trunc_t(ty, want);
                uint64_t got = get_g(h, ty, 0);
                uint8_t out[8], exp[8];
                memcpy(out, &h->env->g64[7], 8);
                memset(exp, 0x11, 8);
                memcpy(exp, &h->env->g64[6], size);
                if (got != want || memcmp(out, exp, 8)) {
                    snprintf(failmsg, sizeof(failmsg), "ld/st_env i%u memop %u: 0x%llx -> 0x%llx",
                             width(ty), mo, (unsigned long long)v, (unsigned long long)got);
                    return false;
                }
            }
        }
    return true;
}

TEST(ld_env_st_env)
{
    if (!each_skin(t_env))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* Helper calls: every arity, i32/i64 args (zero-extended), results. */
static uint64_t h_mix(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                      uint64_t f)
{
    (void)env;
    return a * 3 + b * 5 + c * 7 + d * 11 + e * 13 + f * 17 + 1;
}
static uint64_t h0(void *env) { (void)env; return h_mix(env, 0, 0, 0, 0, 0, 0); }
static uint64_t h1(void *env, uint64_t a) { return h_mix(env, a, 0, 0, 0, 0, 0); }
static uint64_t h2(void *env, uint64_t a, uint64_t b) { return h_mix(env, a, b, 0, 0, 0, 0); }
static uint64_t h3(void *env, uint64_t a, uint64_t b, uint64_t c) { return h_mix(env, a, b, c, 0, 0, 0); }
static uint64_t h4(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return h_mix(env, a, b, c, d, 0, 0);
}
static uint64_t h5(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    return h_mix(env, a, b, c, d, e, 0);
}
static uint64_t h_env_seen;
static uint64_t h0v(void *env)
{
    h_env_seen = (uint64_t)(uintptr_t)env;
    return 0;
}

static bool t_calls(Harness *h)
{
    static IRHelperInfo infos[3][7];
    for (int rt = 0; rt < 3; rt++)
        for (int n = 0; n <= 6; n++) {
            IRHelperInfo *hi = &infos[rt][n];
            hi->name = "mix";
            hi->nargs = (uint8_t)n;
            hi->ret = (uint8_t)rt; /* 0: none, 1: i32, 2: i64 */
            switch (n) {
            case 0: hi->fn.f0 = rt ? h0 : h0v; break;
            case 1: hi->fn.f1 = h1; break;
            case 2: hi->fn.f2 = h2; break;
            case 3: hi->fn.f3 = h3; break;
            case 4: hi->fn.f4 = h4; break;
            case 5: hi->fn.f5 = h5; break;
            case 6: hi->fn.f6 = h_mix; break;
            }
            for (int form = 0; form < 4; form++) {
                IRFunc *f = &h->f;
                ir_func_reset(f);
                IRTemp in[6];
                uint64_t val[6];
                for (int i = 0; i < n; i++) {
                    IRType ty = (i + form) % 2 ? IR_I64 : IR_I32;
                    val[i] = rnd_val();
                    if (form == 3 && i == 1) {
                        in[i] = ir_const(f, ty, val[i]);
                    } else {
                        in[i] = gl(h, ty, 2 + i);
                        set_g(h, ty, 2 + i, val[i]);
                    }
                    val[i] = trunc_t(ty, val[i]);
                }
                IRType rty = rt == 1 ? IR_I32 : IR_I64;
                IRTemp out = rt ? gl(h, rty, 0) : IR_NO_TEMP;
                ir_insn_start(f, 0x3000, 0);
                ir_emit_call(f, hi, out, in, (unsigned)n);
                ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
                if (!lower(h))
                    return false;
                set_g(h, rty, 0, 0);
                h_env_seen = 0;
                interp_exec(&h->env->cpu, &cur_tb);
                if (!rt) {
                    if (n == 0 && h_env_seen != (uint64_t)(uintptr_t)h->env) {
                        snprintf(failmsg, sizeof(failmsg), "call0: env not passed");
                        return false;
                    }
                    continue;
                }
                uint64_t a[6] = { 0, 0, 0, 0, 0, 0 };
                for (int i = 0; i < n; i++)
                    a[i] = val[i];
                uint64_t want = trunc_t(rty, h_mix(NULL, a[0], a[1], a[2], a[3], a[4], a[5]));
                if (get_g(h, rty, 0) != want) {
                    snprintf(failmsg, sizeof(failmsg), "call%d ret %d form %d: 0x%llx != 0x%llx", n,
                             rt, form, (unsigned long long)get_g(h, rty, 0),
                             (unsigned long long)want);
                    return false;
                }
            }
        }
    return true;
}

TEST(helper_calls_every_arity)
{
    if (!each_skin(t_calls))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* Guest loads and stores through the TLB fast path (RAM) at every size,
 * sign, address width; results are little-endian guest data. */
static bool t_qemu_ldst(Harness *h)
{
    (void)h;
    SynCPU *s = syn_new();
    static const unsigned mos[] = { IR_MO_8, IR_MO_8 | IR_MO_SIGN, IR_MO_16, IR_MO_16 | IR_MO_SIGN,
                                    IR_MO_32, IR_MO_32 | IR_MO_SIGN, IR_MO_64 };
    bool ok = true;
    for (int t = 0; t < 2 && ok; t++)
        for (size_t m = 0; m < PEMU_ARRAY_SIZE(mos) && ok; m++)
            for (int a32 = 0; a32 < 2 && ok; a32++) {
                IRType ty = (IRType)t;
                unsigned mo = mos[m] | (a32 ? IR_MO_ADDR32 : 0), size = 1u << (mo & IR_MO_SIZE);
                if (ty == IR_I32 && size == 8)
                    continue;
                IRFunc *f = &s->f;
                ir_func_reset(f);
                IRTemp addr = s->g_r[1], v = ir_temp_new(f, ty);
                if (a32) {
                    addr = ir_temp_new(f, IR_I32);
                    ir_op1(f, IR_extrl_i64_i32, IR_I32, addr, s->g_r[1]);
                }
                ir_insn_start(f, 0x100, 0);
                ir_qemu_ld(f, ty, v, addr, mo, 0);
                if (ty == IR_I32)
                    ir_op1(f, IR_extu_i32_i64, IR_I64, s->g_r[0], v);
                else
                    ir_mov(f, IR_I64, s->g_r[0], v);
                IRTemp a2 = ir_temp_new(f, a32 ? IR_I32 : IR_I64);
                ir_op2i(f, IR_add, a32 ? IR_I32 : IR_I64, a2, addr, 0x100);
                ir_qemu_st(f, ty, v, a2, mo, 0);
                ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
                memset(&cur_tb, 0, sizeof(cur_tb));
                if (interp_lower(f, &cur_tb, (uint8_t *)codebuf, sizeof(codebuf)) <= 0) {
                    ok = false;
                    break;
                }
                for (int k = 0; k < 200 && ok; k++) {
                    uint64_t addrv = 0x1000 + (rnd() % 0xe00);
                    uint64_t val = rnd_val();
                    st64_le(syn_ram + addrv, val);
                    memset(syn_ram + addrv + 0x100, 0xcc, 8);
                    s->r[1] = addrv | (a32 ? 0xabcd00000000ull : 0); /* high bits ignored for a32 */
                    uintptr_t ret;
                    if (syn_exec_tb(s, &cur_tb, &ret) != 0) {
                        snprintf(failmsg, sizeof(failmsg), "qemu_ld/st raised");
                        ok = false;
                        break;
                    }
                    uint64_t raw = val & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
                    uint64_t want = trunc_t(ty, (mo & IR_MO_SIGN) ? sext_bits(raw, size * 8) : raw);
                    uint8_t exp[8];
                    memset(exp, 0xcc, 8);
                    for (unsigned i = 0; i < size; i++)
                        exp[i] = (uint8_t)(val >> (8 * i));
                    if (s->r[0] != want || memcmp(syn_ram + addrv + 0x100, exp, 8)) {
                        snprintf(failmsg, sizeof(failmsg), "qemu_ld/st i%u memop 0x%x: 0x%llx -> 0x%llx",
                                 width(ty), mo, (unsigned long long)val,
                                 (unsigned long long)s->r[0]);
                        ok = false;
                    }
                }
            }
    syn_free(s);
    return ok;
}

TEST(guest_loads_and_stores)
{
    if (!each_skin(t_qemu_ldst))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* Fused rows are selected and compute the same as the unfused sequence,
 * including aliasing operands (add eax, eax). */
static bool t_fused(Harness *h)
{
    static const unsigned ops[] = { IR_add, IR_sub, IR_and, IR_or, IR_xor };
    for (int fuse = 0; fuse < 2; fuse++) {
        interp_set_fusion(fuse);
        for (int t = 0; t < 2; t++)
            for (size_t o = 0; o < PEMU_ARRAY_SIZE(ops); o++)
                for (int shape = 0; shape < 6; shape++) {
                    IRType ty = (IRType)t;
                    IRFunc *f = &h->f;
                    ir_func_reset(f);
                    uint64_t k = rnd_val();
                    /* shape: 0 d=a op b; 1 d==a; 2 d==b; 3 b const; 4 cc_src==d; 5 cc_dst==b */
                    IRTemp d = gl(h, ty, 0), a = gl(h, ty, 2), b = gl(h, ty, 3);
                    IRTemp src = gl(h, ty, 4), dst = gl(h, ty, 5);
                    if (shape == 1) d = a;
                    if (shape == 2) d = b;
                    if (shape == 3) b = ir_const(f, ty, k);
                    if (shape == 4) src = d;
                    if (shape == 5) dst = b;
                    ir_insn_start(f, 0, 0);
                    ir_op2(f, (IROpcode)ops[o], ty, d, a, b);
                    if (ops[o] == IR_add || ops[o] == IR_sub)
                        ir_mov(f, ty, src, b);
                    ir_mov(f, ty, dst, d);
                    ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
                    if (!lower(h))
                        return false;
                    if (fuse && shape != 4 && shape != 5 && shape != 2) {
                        /* one instruction + exit */
                        int op0 = interp_word_opcode(interp_get_dispatch(), codebuf[0]);
                        if (op0 == BC_movi_i64w) /* a constant wider than a word (32-bit hosts) */
                            op0 = interp_word_opcode(interp_get_dispatch(), codebuf[BCLEN_movi_i64w]);
                        if (op0 < 0 || strlen(bc_info[op0].fmt) <= 4 ||
                            !strstr(bc_info[op0].name, "_cc")) {
                            snprintf(failmsg, sizeof(failmsg), "%s shape %d not fused (%s)",
                                     ir_op_defs[ops[o]].name, shape,
                                     op0 < 0 ? "?" : bc_info[op0].name);
                            return false;
                        }
                    }
                    for (int n = 0; n < 300; n++) {
                        uint64_t v[6];
                        for (int i = 0; i < 6; i++) {
                            v[i] = rnd_val();
                            set_g(h, ty, i, v[i]);
                        }
                        /* sequential reference on a copy of the globals */
                        uint64_t g[6];
                        for (int i = 0; i < 6; i++)
                            g[i] = trunc_t(ty, v[i]);
                        int id = shape == 1 ? 2 : shape == 2 ? 3 : 0, ia = 2, ib = 3, is = 4, idst = 5;
                        if (shape == 4) is = id;
                        if (shape == 5) idst = ib;
                        uint64_t bv = shape == 3 ? trunc_t(ty, k) : g[ib];
                        uint64_t in[2] = { g[ia], bv }, out[2];
                        ref_op(ops[o], ty, in, NULL, out);
                        g[id] = out[0];
                        if (ops[o] == IR_add || ops[o] == IR_sub)
                            g[is] = shape == 3 ? trunc_t(ty, k) : g[ib];
                        g[idst] = g[id];
                        interp_exec(&h->env->cpu, &cur_tb);
                        for (int i = 0; i < 6; i++)
                            if (get_g(h, ty, i) != g[i]) {
                                snprintf(failmsg, sizeof(failmsg),
                                         "fused %s_i%u shape %d fuse %d: g%d 0x%llx != 0x%llx",
                                         ir_op_defs[ops[o]].name, width(ty), shape, fuse, i,
                                         (unsigned long long)get_g(h, ty, i),
                                         (unsigned long long)g[i]);
                                return false;
                            }
                    }
                }
    }
    interp_set_fusion(true);
    return true;
}

TEST(fused_flag_forms)
{
    if (!each_skin(t_fused))
        unit_fail(__FILE__, __LINE__, "%s", failmsg);
}

/* Immediate forms are actually selected for constants (no preload). */
TEST(immediate_forms_selected)
{
    Harness h;
    harness_init(&h);
    IRFunc *f = &h.f;
    uint32_t l = ir_label_new(f);
    ir_op2i(f, IR_add, IR_I32, h.g32[0], h.g32[1], 5);
    ir_brcondi(f, IR_I64, IR_COND_LTU, h.g64[0], 7, l);
    ir_set_label(f, l);
    ir_exit_tb(f, 2);
    interp_set_dispatch(INTERP_DISPATCH_SWITCH);
    CHECK(lower(&h));
    CHECK_EQ(codebuf[0], BC_add_i32_ri);
    CHECK_EQ(codebuf[3], 5);
    CHECK_EQ(codebuf[4], BC_brcond_i64_ltu_ri);
    CHECK_EQ(codebuf[6], 7);
    CHECK_EQ(codebuf[8], BC_exit_tb);
    /* a 64-bit constant that does not fit a word on 32-bit hosts still works */
    ir_func_reset(f);
    ir_op2i(f, IR_xor, IR_I64, h.g64[0], h.g64[1], 0xfedcba9876543210ull);
    ir_exit_tb(f, 2);
    CHECK(lower(&h));
    h.env->g64[1] = 0x1111111111111111ull;
    interp_exec(&h.env->cpu, &cur_tb);
    CHECK_EQ(h.env->g64[0], 0x1111111111111111ull ^ 0xfedcba9876543210ull);
    harness_free(&h);
}

/* The -d bytecode printer shows what was selected, with global names. */
TEST(bytecode_printer)
{
    Harness h;
    harness_init(&h);
    IRFunc *f = &h.f;
    /* name the globals for the printer */
    f->temps[h.g32[0]].name = "eax";
    f->temps[h.g32[1]].name = "ebx";
    ir_insn_start(f, 0x401000, 3);
    IRTemp t = ir_temp_new(f, IR_I32);
    ir_op2i(f, IR_add, IR_I32, t, h.g32[1], 0x10);
    ir_op2(f, IR_sub, IR_I32, h.g32[0], h.g32[0], t);
    ir_exit_tb(f, 2);
    interp_set_dispatch(INTERP_DISPATCH_SWITCH);
    CHECK(lower(&h));
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    interp_print(mf, &cur_tb, f);
    fclose(mf);
    CHECK(strstr(buf, "---- 0x401000 0x3") != NULL);
    CHECK(strstr(buf, "add_i32_ri f0, ebx, $0x10") != NULL);
    CHECK(strstr(buf, "sub_i32_rr eax, eax, f0") != NULL);
    CHECK(strstr(buf, "exit_tb tb, 0x2") != NULL);
    free(buf);
    harness_free(&h);
}

/* Temps share frame slots once dead; locals keep theirs across labels. */
TEST(frame_slots_reused_and_locals_kept)
{
    Harness h;
    harness_init(&h);
    IRFunc *f = &h.f;
    IRTemp loc = ir_temp_local_new(f, IR_I64);
    ir_movi(f, IR_I64, loc, 0);
    uint32_t top = ir_label_new(f), out = ir_label_new(f);
    ir_set_label(f, top);
    /* many short-lived temps per iteration: must fit in the frame */
    for (int i = 0; i < 2000; i++) {
        IRTemp t = ir_temp_new(f, IR_I64);
        ir_op2i(f, IR_add, IR_I64, t, loc, 1);
        ir_mov(f, IR_I64, loc, t);
    }
    ir_brcondi(f, IR_I64, IR_COND_GEU, loc, 6000, out);
    ir_br(f, top);
    ir_set_label(f, out);
    ir_mov(f, IR_I64, h.g64[0], loc);
    ir_exit_tb(f, 2);
    interp_set_dispatch(INTERP_DISPATCH_SWITCH);
    CHECK(lower(&h));
    interp_exec(&h.env->cpu, &cur_tb);
    CHECK_EQ(h.env->g64[0], 6000);
    /* an i32 temp reusing a slot that held an i64 never shows its high half */
    ir_func_reset(f);
    IRTemp t64 = ir_temp_new(f, IR_I64), t32 = ir_temp_new(f, IR_I32);
    ir_movi(f, IR_I64, t64, ~0ull);
    ir_mov(f, IR_I64, h.g64[1], t64);
    ir_mov(f, IR_I32, t32, h.g32[1]);
    ir_op1(f, IR_extu_i32_i64, IR_I64, h.g64[0], t32);
    ir_op2i(f, IR_add, IR_I32, t32, t32, 1);
    ir_op1(f, IR_exts_i32_i64, IR_I64, h.g64[2], t32);
    ir_exit_tb(f, 2);
    CHECK(lower(&h));
    CHECK_EQ(codebuf[1], codebuf[7]); /* t32 did get t64's slot */
    h.env->g32[1] = 0x7fffffff;
    interp_exec(&h.env->cpu, &cur_tb);
    CHECK_EQ(h.env->g64[1], ~0ull);
    CHECK_EQ(h.env->g64[0], 0x7fffffff);
    CHECK_EQ(h.env->g64[2], 0xffffffff80000000ull);
    /* too many simultaneously live locals: "too big" */
    ir_func_reset(f);
    for (int i = 0; i < CPU_FRAME_SLOTS + 1; i++)
        ir_movi(f, IR_I64, ir_temp_local_new(f, IR_I64), (uint64_t)i);
    ir_exit_tb(f, 2);
    memset(&cur_tb, 0, sizeof(cur_tb));
    CHECK_EQ(interp_lower(f, &cur_tb, (uint8_t *)codebuf, sizeof(codebuf)), BACKEND_LOWER_TOO_BIG);
    CHECK_EQ(interp_lower(f, &cur_tb, (uint8_t *)codebuf, 64), BACKEND_LOWER_TOO_BIG);
    ir_func_reset(f);
    ir_movi(f, IR_I64, h.g64[0], 1);
    ir_exit_tb(f, 2);
    CHECK_EQ(interp_lower(f, &cur_tb, (uint8_t *)codebuf, 16), BACKEND_LOWER_NO_SPACE);
    harness_free(&h);
}
