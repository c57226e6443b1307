/*
 * A tiny reference evaluator of IR functions and a random function
 * generator, for differential tests of the optimizer passes: a function
 * must compute the same observable results before and after a pass.
 *
 * Observable: the globals at the end, at every op that may raise when it
 * raises, and at helper calls that read globals; guest stores; helper side
 * effects; how the block ended. The arithmetic is written here again,
 * independently of ir/fold.c (bit loops where fold.c uses formulas), from
 * ir/ir.def's header.
 */
#ifndef PEMU_IR_EVAL_H
#define PEMU_IR_EVAL_H

#include <stdlib.h>
#include <string.h>
#include "ir_test.h"

/* ---- arithmetic ------------------------------------------------------------ */

static inline uint64_t ev_mask(int t)
{
    return t == IR_I32 ? 0xffffffffull : ~0ull;
}

static inline unsigned ev_width(int t)
{
    return t == IR_I32 ? 32 : 64;
}

static inline bool ev_bit(uint64_t v, unsigned i)
{
    return (v >> i) & 1;
}

/* Sign-extend from bit `n-1` by copying that bit upward. */
static inline uint64_t ev_sext(uint64_t v, unsigned n)
{
    for (unsigned i = n; i < 64; i++)
        v = ev_bit(v, n - 1) ? v | (1ull << i) : v & ~(1ull << i);
    return v;
}

/* 64x64 -> 128 by shift-and-add. */
static inline void ev_mul128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t rl = 0, rh = 0, al = a, ah = 0;
    for (int i = 0; i < 64; i++) {
        if (ev_bit(b, (unsigned)i)) {
            uint64_t nl = rl + al;
            rh += ah + (nl < rl);
            rl = nl;
        }
        ah = (ah << 1) | (al >> 63);
        al <<= 1;
    }
    *lo = rl;
    *hi = rh;
}

static inline int64_t ev_signed(uint64_t v, int t)
{
    return t == IR_I32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* Evaluate a pure op (in: inputs, c: constant args); fills out[0..1]. */
static inline void ev_pure(const IROp *op, int t, const uint64_t *in, uint64_t *out)
{
    const uint64_t *c = op->args + op->nout + op->nin;
    uint64_t m = ev_mask(t), a = in[0] & m, b = in[1] & m, r = 0;
    unsigned w = ev_width(t), n;
    switch (op->opc) {
    case IR_mov: r = a; break;
    case IR_add: r = a + b; break;
    case IR_sub: r = a + (~b + 1); break;
    case IR_mul:
        for (unsigned i = 0; i < w; i++)
            if (ev_bit(b, i))
                r += a << i;
        break;
    case IR_neg: r = ~a + 1; break;
    case IR_and: r = a & b; break;
    case IR_or: r = a | b; break;
    case IR_xor: r = a ^ b; break;
    case IR_not: r = a ^ m; break;
    case IR_andc: r = a & (b ^ m); break;
    case IR_orc: r = a | (b ^ m); break;
    case IR_shl: n = (unsigned)(b % w); r = a; while (n--) r <<= 1; break;
    case IR_shr: n = (unsigned)(b % w); r = a; while (n--) r >>= 1; break;
    case IR_sar:
        n = (unsigned)(b % w);
        r = a;
        while (n--)
            r = (r >> 1) | (r & (1ull << (w - 1)));
        break;
    case IR_rotl:
    case IR_rotr:
        n = (unsigned)(b % w);
        r = a;
        while (n--) {
            if (op->opc == IR_rotl)
                r = ((r << 1) | ev_bit(r, w - 1)) & m;
            else
                r = (r >> 1) | ((uint64_t)ev_bit(r, 0) << (w - 1));
        }
        break;
    case IR_divs:
    case IR_rems: {
        int64_t sa = ev_signed(a, t), sb = ev_signed(b, t);
        int64_t min = t == IR_I32 ? INT32_MIN : INT64_MIN;
        bool div = op->opc == IR_divs;
        if (sb == 0) r = div ? 0 : a;
        else if (sa == min && sb == -1) r = div ? (uint64_t)min : 0;
        else r = div ? (uint64_t)(sa / sb) : (uint64_t)(sa % sb);
        break;
    }
    case IR_divu: r = b == 0 ? 0 : a / b; break;
    case IR_remu: r = b == 0 ? a : a % b; break;
    case IR_mulu2:
    case IR_muls2: {
        uint64_t lo, hi;
        if (op->opc == IR_mulu2) {
            ev_mul128(a, b, &lo, &hi);
        } else {
            /* sign-extend both to 128 bits and keep the low 128 of the product */
            uint64_t ahi = ev_bit(a, w - 1) ? ~0ull : 0, bhi = ev_bit(b, w - 1) ? ~0ull : 0;
            uint64_t ax = ev_sext(a, w), bx = ev_sext(b, w), l1, h1, l2, h2, l3, h3;
            ev_mul128(ax, bx, &l1, &h1);
            ev_mul128(ahi, bx, &l2, &h2);
            ev_mul128(ax, bhi, &l3, &h3);
            lo = l1;
            hi = h1 + l2 + l3;
        }
        if (w == 32) {
            out[0] = lo & m;
            out[1] = (lo >> 32) & m;
        } else {
            out[0] = lo;
            out[1] = hi;
        }
        return;
    }
    case IR_ext8s: r = ev_sext(a, 8); break;
    case IR_ext8u: r = a & 0xff; break;
    case IR_ext16s: r = ev_sext(a, 16); break;
    case IR_ext16u: r = a & 0xffff; break;
    case IR_ext32s: r = ev_sext(a, 32); break;
    case IR_ext32u: r = a & 0xffffffff; break;
    case IR_exts_i32_i64: r = ev_sext(in[0] & 0xffffffff, 32); break;
    case IR_extu_i32_i64: r = in[0] & 0xffffffff; break;
    case IR_extrl_i64_i32: r = in[0] & 0xffffffff; break;
    case IR_extrh_i64_i32: r = (in[0] >> 32) & 0xffffffff; break;
    case IR_deposit:
        r = a;
        for (unsigned i = 0; i < c[1]; i++) {
            unsigned p = (unsigned)c[0] + i;
            r = ev_bit(b, i) ? r | (1ull << p) : r & ~(1ull << p);
        }
        break;
    case IR_extract:
    case IR_sextract:
        for (unsigned i = 0; i < c[1]; i++)
            r |= (uint64_t)ev_bit(a, (unsigned)c[0] + i) << i;
        if (op->opc == IR_sextract)
            r = ev_sext(r, (unsigned)c[1]);
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
        for (n = w; n-- > 0 && !ev_bit(a, n);)
            r++;
        break;
    case IR_ctz:
        if (!a) { r = b; break; }
        for (n = 0; !ev_bit(a, n); n++)
            r++;
        break;
    case IR_ctpop:
        for (n = 0; n < 64; n++)
            r += ev_bit(a, n);
        break;
    case IR_setcond: r = ir_cond_eval((IRType)t, (IRCond)c[0], a, b); break;
    case IR_movcond: r = ir_cond_eval((IRType)t, (IRCond)c[0], a, b) ? in[2] : in[3]; break;
    default:
        r = 0xbad;
        break;
    }
    out[0] = r & m;
}

/* ---- helpers the random functions call ------------------------------------ */

static uint64_t ev_h_observe(void *env, uint64_t a) { return a; }
static uint64_t ev_h_reader(void *env, uint64_t a, uint64_t b) { return a; }
static uint64_t ev_h_pure(void *env, uint64_t a, uint64_t b) { return a; }
static uint64_t ev_h_effect(void *env, uint64_t a) { return a; }

/* reads and writes globals (ev: g0 ^= arg), may raise */
static const IRHelperInfo ev_observe = { "observe", { .f1 = ev_h_observe }, 1, 1 + IR_I32, 0 };
static const IRHelperInfo ev_reader = { "reader", { .f2 = ev_h_reader }, 2, 1 + IR_I64,
                                        IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_RAISE };
static const IRHelperInfo ev_purefn = { "purefn", { .f2 = ev_h_pure }, 2, 1 + IR_I32, IR_CALL_PURE };
static const IRHelperInfo ev_effect = { "effect", { .f1 = ev_h_effect }, 1, 0,
                                        IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_RAISE };

/* ---- the evaluator ---------------------------------------------------------- */

#define EV_LOG 512
#define EV_ENV 8 /* env scratch fields (not globals) at offsets 0x100 + 8*i */

typedef struct EvResult {
    uint64_t log[EV_LOG];  /* everything observable, in order */
    unsigned nlog;
    int end;               /* 1 exit_tb, 2 goto_lookup, 3 raised, 4 fell off, 5 too long */
} EvResult;

static inline void ev_log(EvResult *r, uint64_t v)
{
    if (r->nlog < EV_LOG)
        r->log[r->nlog++] = v;
}

static inline void ev_globals(EvResult *r, const IRFunc *f, const uint64_t *v, uint64_t tag)
{
    ev_log(r, tag);
    for (uint32_t g = 0; g < f->nglobals; g++)
        ev_log(r, v[g]);
}

static inline uint64_t ev_mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    return x;
}

/* When set, ev_run overwrites each input whose IROp.life bit says it dies
   (and that the op does not write): a wrong life bit changes the results. */
static bool ev_poison;

static inline void ev_kill_dead_inputs(const IRFunc *f, const IROp *op, uint64_t *v)
{
    for (unsigned k = 0; k < op->nin; k++) {
        uint64_t t = op->args[op->nout + k];
        bool out = false;
        for (unsigned j = 0; j < op->nout; j++)
            out |= op->args[j] == t;
        if (((op->life >> k) & 1) && !out && f->temps[t].kind != IR_TEMP_CONST)
            v[t] = 0xdeadbeefdead0badull & ev_mask(f->temps[t].type);
    }
}

static inline void ev_run(const IRFunc *f, const uint64_t *gin, EvResult *res)
{
    uint64_t *v = calloc((size_t)f->ntemps + 1, sizeof(uint64_t));
    uint32_t *label_at = calloc((size_t)f->nlabels + 1, sizeof(uint32_t));
    uint64_t env[EV_ENV];
    memset(res, 0, sizeof(*res));
    for (int i = 0; i < EV_ENV; i++)
        env[i] = ev_mix((uint64_t)i + 77);
    for (uint32_t t = 0; t < f->ntemps; t++) {
        const IRTempInfo *ti = &f->temps[t];
        if (ti->kind == IR_TEMP_GLOBAL)
            v[t] = gin[t] & ev_mask(ti->type);
        else if (ti->kind == IR_TEMP_CONST)
            v[t] = ti->val;
        else
            v[t] = 0x5a5a5a5a & ev_mask(ti->type);
    }
    for (uint32_t i = 0; i < f->nops; i++)
        if (f->ops[i].opc == IR_set_label)
            label_at[f->ops[i].args[0]] = i;

    uint32_t pc = 0;
    unsigned steps = 0;
    res->end = 4;
    const IROp *prev = NULL;
    while (pc < f->nops) {
        const IROp *op = &f->ops[pc++];
        if (ev_poison && prev)
            ev_kill_dead_inputs(f, prev, v);
        prev = op;
        if (++steps > 100000) {
            res->end = 5;
            break;
        }
        const uint64_t *a = op->args;
        uint64_t in[6] = { 0, 0, 0, 0, 0, 0 }, out[2] = { 0, 0 };
        for (unsigned k = 0; k < op->nin && k < 6; k++)
            in[k] = v[a[op->nout + k]];
        const uint64_t *c = a + op->nout + op->nin;
        int t = op->type;
        switch (op->opc) {
        case IR_nop: case IR_insn_start: case IR_set_label: case IR_goto_tb: case IR_discard:
            continue;
        case IR_br:
            pc = label_at[c[0]];
            continue;
        case IR_brcond:
            if (ir_cond_eval((IRType)t, (IRCond)c[0], in[0], in[1]))
                pc = label_at[c[1]];
            continue;
        case IR_exit_tb:
            res->end = 1;
            ev_log(res, c[0]);
            pc = f->nops;
            continue;
        case IR_goto_lookup:
            res->end = 2;
            pc = f->nops;
            continue;
        case IR_qemu_ld:
        case IR_qemu_st: {
            uint64_t addr = in[op->nin - 1];
            if (c[0] & IR_MO_ADDR32)
                addr &= 0xffffffff;
            if ((addr & 7) == 3) {
                ev_globals(res, f, v, 0x7a15e);
                ev_log(res, addr);
                res->end = 3;
                pc = f->nops;
                continue;
            }
            unsigned bits = 8u << (c[0] & IR_MO_SIZE);
            if (op->opc == IR_qemu_st) {
                ev_log(res, 0x5707e);
                ev_log(res, addr);
                ev_log(res, in[0] & (bits == 64 ? ~0ull : (1ull << bits) - 1));
                continue;
            }
            uint64_t x = ev_mix(addr);
            if (bits < 64)
                x = (c[0] & IR_MO_SIGN) ? ev_sext(x, bits) : x & ((1ull << bits) - 1);
            v[a[0]] = x & ev_mask(t);
            continue;
        }
        case IR_ld_env:
        case IR_st_env: {
            unsigned slot = (unsigned)((c[0] - 0x100) / 8) % EV_ENV;
            unsigned bits = 8u << (c[1] & IR_MO_SIZE);
            uint64_t fm = bits == 64 ? ~0ull : (1ull << bits) - 1;
            if (op->opc == IR_st_env) {
                env[slot] = (env[slot] & ~fm) | (in[0] & fm);
            } else {
                uint64_t x = env[slot] & fm;
                if ((c[1] & IR_MO_SIGN) && bits < 64)
                    x = ev_sext(x, bits);
                v[a[0]] = x & ev_mask(t);
            }
            continue;
        }
        case IR_call: {
            const IRHelperInfo *h = (const IRHelperInfo *)(uintptr_t)c[0];
            uint64_t r = 0;
            if (h == &ev_observe) {
                ev_globals(res, f, v, 0x0b5);
                ev_log(res, in[0]);
                if ((in[0] & 15) == 7) {
                    res->end = 3;
                    pc = f->nops;
                    continue;
                }
                v[0] ^= in[0] & ev_mask(f->temps[0].type);
                r = in[0] * 3;
            } else if (h == &ev_reader) {
                ev_globals(res, f, v, 0x4ead);
                r = in[0] - in[1];
            } else if (h == &ev_purefn) {
                r = (in[0] * 7) ^ in[1];
            } else if (h == &ev_effect) {
                ev_log(res, 0xeff);
                ev_log(res, in[0]);
            }
            if (op->nout)
                v[a[0]] = r & ev_mask(h->ret - 1);
            continue;
        }
        default:
            break;
        }
        ev_pure(op, op->opc == IR_exts_i32_i64 || op->opc == IR_extu_i32_i64 ? IR_I64
                    : op->opc == IR_extrl_i64_i32 || op->opc == IR_extrh_i64_i32 ? IR_I32 : t,
                in, out);
        for (unsigned k = 0; k < op->nout; k++)
            v[a[k]] = out[k];
    }
    if (ev_poison && prev && res->end != 3)
        ev_kill_dead_inputs(f, prev, v);
    if (res->end != 3)
        ev_globals(res, f, v, 0xe4d);
    for (int i = 0; i < EV_ENV; i++)
        ev_log(res, env[i]);
    free(v);
    free(label_at);
}

/* ---- random functions ----------------------------------------------------- */

typedef struct Rng {
    uint64_t s;
} Rng;

static inline uint64_t rng_next(Rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return ev_mix(r->s ^ (r->s >> 29));
}

static inline unsigned rng_below(Rng *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

static inline uint64_t rng_value(Rng *r)
{
    static const uint64_t special[] = {
        0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
        0x8000000000000000ull, ~0ull, ~0ull - 1, 0xfffffffffffffff8ull,
    };
    switch (rng_below(r, 3)) {
    case 0: return special[rng_below(r, PEMU_ARRAY_SIZE(special))];
    case 1: return rng_below(r, 40);
    default: return rng_next(r);
    }
}

#define GEN_NG 7  /* globals: 4 i32 then 3 i64 */
#define GEN_MAX_TEMPS 64

typedef struct Gen {
    IRFunc *f;
    Rng *rng;
    bool side;               /* memory, calls, env fields, branches */
    IRTemp locals[4];        /* 2 i32, 2 i64 */
    IRTemp bb[GEN_MAX_TEMPS];
    unsigned nbb;
    uint32_t pending[8];     /* labels branched to, not placed yet */
    unsigned npending;
} Gen;

static inline void gen_end_block(Gen *g)
{
    g->nbb = 0; /* bb temps are dead past here */
}

/* A readable temp of type t. */
static inline IRTemp gen_input(Gen *g, int t)
{
    for (;;) {
        unsigned k = rng_below(g->rng, 10);
        if (k < 2)
            return ir_const(g->f, (IRType)t, rng_value(g->rng));
        if (k < 4)
            return t == IR_I32 ? rng_below(g->rng, 4) : 4 + rng_below(g->rng, 3);
        if (k < 5)
            return g->locals[(t == IR_I64) * 2 + rng_below(g->rng, 2)];
        if (g->nbb) {
            IRTemp x = g->bb[rng_below(g->rng, g->nbb)];
            if (g->f->temps[x].type == t)
                return x;
        }
    }
}

/* A temp to write, of type t: mostly fresh bb temps, sometimes a local or a global. */
static inline IRTemp gen_output(Gen *g, int t)
{
    unsigned k = rng_below(g->rng, 10);
    if (k < 2)
        return t == IR_I32 ? rng_below(g->rng, 4) : 4 + rng_below(g->rng, 3);
    if (k < 3)
        return g->locals[(t == IR_I64) * 2 + rng_below(g->rng, 2)];
    if (k < 5 && g->nbb) {
        IRTemp x = g->bb[rng_below(g->rng, g->nbb)];
        if (g->f->temps[x].type == t)
            return x;
    }
    IRTemp x = ir_temp_new(g->f, (IRType)t);
    if (g->nbb < GEN_MAX_TEMPS)
        g->bb[g->nbb++] = x;
    return x;
}

static inline void gen_pure(Gen *g)
{
    static const IROpcode ops[] = {
        IR_mov, IR_add, IR_sub, IR_mul, IR_neg, IR_and, IR_or, IR_xor, IR_not, IR_andc,
        IR_orc, IR_shl, IR_shr, IR_sar, IR_rotl, IR_rotr, IR_divs, IR_divu, IR_rems,
        IR_remu, IR_mulu2, IR_muls2, IR_ext8s, IR_ext8u, IR_ext16s, IR_ext16u, IR_ext32s,
        IR_ext32u, IR_exts_i32_i64, IR_extu_i32_i64, IR_extrl_i64_i32, IR_extrh_i64_i32,
        IR_deposit, IR_extract, IR_sextract, IR_bswap16, IR_bswap32, IR_bswap64, IR_clz,
        IR_ctz, IR_ctpop, IR_setcond, IR_movcond,
    };
    IRFunc *f = g->f;
    IROpcode opc = ops[rng_below(g->rng, PEMU_ARRAY_SIZE(ops))];
    const IROpDef *def = &ir_op_defs[opc];
    int t = (def->flags & IRF_I64) ? IR_I64 : (int)rng_below(g->rng, 2);
    unsigned w = t == IR_I32 ? 32 : 64;
    int tin = t, tout = t;
    if (opc == IR_exts_i32_i64 || opc == IR_extu_i32_i64)
        tin = IR_I32, tout = IR_I64;
    if (opc == IR_extrl_i64_i32 || opc == IR_extrh_i64_i32)
        tin = IR_I64, tout = IR_I32;
    uint64_t args[IR_MAX_ARGS];
    unsigned n = 0;
    /* inputs first: an output may be a fresh temp */
    IRTemp in[4];
    for (unsigned k = 0; k < def->nin; k++)
        in[k] = rng_below(g->rng, 8) == 0 && k ? in[0] : gen_input(g, tin); /* x op x */
    for (unsigned k = 0; k < def->nout; k++) {
        IRTemp o;
        do
            o = gen_output(g, tout);
        while (k && o == args[0]);
        args[n++] = o;
    }
    for (unsigned k = 0; k < def->nin; k++)
        args[n++] = in[k];
    if (opc == IR_setcond || opc == IR_movcond) {
        args[n++] = rng_below(g->rng, IR_NB_CONDS);
    } else if (opc == IR_deposit || opc == IR_extract || opc == IR_sextract) {
        unsigned pos = rng_below(g->rng, w), len = 1 + rng_below(g->rng, w - pos);
        args[n++] = pos;
        args[n++] = len;
    }
    ir_emit(f, opc, (IRType)t, args, n);
}

static inline uint32_t gen_label(Gen *g)
{
    if (g->npending < PEMU_ARRAY_SIZE(g->pending) && rng_below(g->rng, 3)) {
        uint32_t l = ir_label_new(g->f);
        g->pending[g->npending++] = l;
        return l;
    }
    if (g->npending)
        return g->pending[rng_below(g->rng, g->npending)];
    uint32_t l = ir_label_new(g->f);
    g->pending[g->npending++] = l;
    return l;
}

static inline void gen_place_label(Gen *g)
{
    unsigned k = rng_below(g->rng, g->npending);
    ir_set_label(g->f, g->pending[k]);
    g->pending[k] = g->pending[--g->npending];
    gen_end_block(g);
}

static inline void gen_side(Gen *g)
{
    IRFunc *f = g->f;
    int t = (int)rng_below(g->rng, 2);
    switch (rng_below(g->rng, 12)) {
    case 0: {
        bool a32 = rng_below(g->rng, 2);
        unsigned mo = rng_below(g->rng, t == IR_I32 ? 3 : 4) | (rng_below(g->rng, 2) ? IR_MO_SIGN : 0);
        IRTemp addr = gen_input(g, a32 ? IR_I32 : IR_I64);
        ir_qemu_ld(f, (IRType)t, gen_output(g, t), addr, mo | (a32 ? IR_MO_ADDR32 : 0), 0);
        break;
    }
    case 1: {
        bool a32 = rng_below(g->rng, 2);
        unsigned mo = rng_below(g->rng, t == IR_I32 ? 3 : 4);
        IRTemp addr = gen_input(g, a32 ? IR_I32 : IR_I64);
        ir_qemu_st(f, (IRType)t, gen_input(g, t), addr, mo | (a32 ? IR_MO_ADDR32 : 0), 1);
        break;
    }
    case 2: {
        IRTemp x = gen_input(g, IR_I32);
        ir_emit_call(f, &ev_observe, gen_output(g, IR_I32), &x, 1);
        break;
    }
    case 3: {
        IRTemp x[2] = { gen_input(g, IR_I64), gen_input(g, IR_I32) };
        ir_emit_call(f, &ev_reader, gen_output(g, IR_I64), x, 2);
        break;
    }
    case 4: {
        IRTemp x[2] = { gen_input(g, IR_I32), gen_input(g, IR_I64) };
        ir_emit_call(f, &ev_purefn, gen_output(g, IR_I32), x, 2);
        break;
    }
    case 5: {
        IRTemp x = gen_input(g, IR_I64);
        ir_emit_call(f, &ev_effect, IR_NO_TEMP, &x, 1);
        break;
    }
    case 6:
        ir_st_env(f, (IRType)t, gen_input(g, t), 0x100 + 8 * (int)rng_below(g->rng, EV_ENV),
                  rng_below(g->rng, t == IR_I32 ? 3 : 4));
        break;
    case 7:
        ir_ld_env(f, (IRType)t, gen_output(g, t), 0x100 + 8 * (int)rng_below(g->rng, EV_ENV),
                  rng_below(g->rng, t == IR_I32 ? 3 : 4) | (rng_below(g->rng, 2) ? IR_MO_SIGN : 0));
        break;
    case 8:
    case 9:
        ir_brcond(f, (IRType)t, (IRCond)rng_below(g->rng, IR_NB_CONDS), gen_input(g, t),
                  gen_input(g, t), gen_label(g));
        gen_end_block(g);
        break;
    case 10:
        if (g->npending)
            gen_place_label(g);
        break;
    default:
        if (rng_below(g->rng, 3) == 0) {
            ir_br(f, gen_label(g));
            gen_end_block(g);
            if (g->npending)
                gen_place_label(g);
        } else {
            ir_insn_start(f, rng_next(g->rng) & 0xfffff, rng_below(g->rng, 8));
        }
        break;
    }
}

/* A random function: straight-line pure ops only, or with side effects and forward branches. */
static inline void gen_func(IRFunc *f, Rng *rng, bool side, unsigned nops)
{
    Gen g;
    memset(&g, 0, sizeof(g));
    g.f = f;
    g.rng = rng;
    g.side = side;
    ir_func_init(f);
    static const char *const names[GEN_NG] = { "eax", "ebx", "ecx", "edx", "r8", "r9", "r10" };
    for (int i = 0; i < GEN_NG; i++)
        ir_global_new(f, i < 4 ? IR_I32 : IR_I64, 8 * i, names[i]);
    for (int i = 0; i < 4; i++)
        g.locals[i] = ir_temp_local_new(f, i < 2 ? IR_I32 : IR_I64);
    for (int i = 0; i < 4; i++) {
        ir_mov(f, i < 2 ? IR_I32 : IR_I64, g.locals[i], gen_input(&g, i < 2 ? IR_I32 : IR_I64));
    }
    for (unsigned i = 0; i < nops; i++) {
        if (side && rng_below(rng, 3) == 0)
            gen_side(&g);
        else
            gen_pure(&g);
    }
    while (g.npending)
        gen_place_label(&g);
    if (side && rng_below(rng, 2))
        ir_exit_tb(f, rng_below(rng, 4));
}

static inline bool ev_same(const EvResult *a, const EvResult *b)
{
    return a->end == b->end && a->nlog == b->nlog &&
           !memcmp(a->log, b->log, a->nlog * sizeof(a->log[0]));
}

/*
 * The differential test: `nfuncs` random functions, each run on `ninputs`
 * random global values before and after `pass`; the results must match
 * and the optimized function must verify. Returns NULL or a description of
 * the first mismatch. *removed counts ops the pass removed overall.
 */
static inline const char *ev_differential(void (*pass)(IRFunc *), uint64_t seed, unsigned nfuncs,
                                          bool side, uint64_t *removed)
{
    static char why[4096];
    enum { NIN = 4 };
    Rng rng = { seed };
    *removed = 0;
    for (unsigned fi = 0; fi < nfuncs; fi++) {
        IRFunc f;
        gen_func(&f, &rng, side, 4 + rng_below(&rng, 40));
        char msg[512];
        if (ir_verify(&f, msg, sizeof(msg))) {
            snprintf(why, sizeof(why), "generator made a bad function #%u: %s", fi, msg);
            return why;
        }
        uint64_t gin[NIN][GEN_NG];
        static EvResult before[NIN], after;
        for (int k = 0; k < NIN; k++) {
            for (int i = 0; i < GEN_NG; i++)
                gin[k][i] = rng_value(&rng) ^ (k & 1 ? rng_next(&rng) : 0);
            ev_run(&f, gin[k], &before[k]);
        }
        char *orig = strdup(ir_dump(&f));
        uint32_t n0 = 0, n1 = 0;
        for (uint32_t i = 0; i < f.nops; i++)
            n0 += f.ops[i].opc != IR_nop;
        pass(&f);
        for (uint32_t i = 0; i < f.nops; i++)
            n1 += f.ops[i].opc != IR_nop;
        *removed += n0 > n1 ? n0 - n1 : 0;
        const char *bad = NULL;
        if (ir_verify(&f, msg, sizeof(msg)))
            bad = msg;
        for (int k = 0; k < NIN && !bad; k++) {
            ev_poison = true; /* checks IROp.life where a pass filled it */
            ev_run(&f, gin[k], &after);
            ev_poison = false;
            if (!ev_same(&before[k], &after))
                bad = "results differ";
        }
        if (bad) {
            snprintf(why, sizeof(why), "function #%u (seed 0x%llx): %s\nbefore:\n%s\nafter:\n%s", fi,
                     (unsigned long long)seed, bad, orig, ir_dump(&f));
            free(orig);
            ir_func_free(&f);
            return why;
        }
        free(orig);
        ir_func_free(&f);
    }
    return NULL;
}

#endif
