/*
 * Constant folding and propagation.
 *
 * Walks the ops in order, knowing which temps hold a constant. Knowledge
 * flows along fall-through edges (an extended basic block: brcond's
 * fall-through has a single predecessor) and is dropped at every label.
 * Globals stay known until a helper call that may write them. Inputs known
 * to be constant are replaced by const temps; pure ops on constants become
 * "mov d, $c"; algebraic identities become movs; brcond/setcond/movcond on
 * known operands are decided. Ops that may raise (guest memory, helpers)
 * only get their inputs replaced: they keep raising.
 *
 * The arithmetic follows ir/ir.def's header exactly: i32 results are
 * zero-extended, shift counts are modulo the width, x/0 = 0, x%0 = x,
 * MIN/-1 = MIN, MIN%-1 = 0.
 *
 * Alongside the constants it knows how many low bits of a temp may be
 * non-zero (a byte load: 8, setcond: 1, ...), so that a zero-extension
 * or a mask of a value already that narrow becomes a mov: x86's
 * "movzx eax, byte [m]" is a u8 load then ext8u, and "setb al; movzx
 * eax, al" is a setcond, a deposit into EAX and an ext8u of EAX, whose
 * input is then the setcond itself (the deposit's low bits, while that
 * temp still holds the same value: versions count every write).
 */
#include "ir/pass.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

static uint64_t type_mask(IRType t)
{
    return t == IR_I32 ? 0xffffffffull : ~0ull;
}

/* Sign-extend the low `bits` bits of v to 64 bits. */
static uint64_t sext(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return v;
    uint64_t m = 1ull << (bits - 1);
    v &= (1ull << bits) - 1;
    return (v ^ m) - m;
}

static uint64_t field_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/*
 * Evaluate a pure op on constant inputs. Returns the number of results
 * written to out[] (0: not foldable, such as bit fields out of range).
 */
static unsigned eval(IROpcode opc, IRType t, const uint64_t *in, const uint64_t *con, uint64_t *out)
{
    uint64_t m = type_mask(t);
    unsigned w = t == IR_I32 ? 32 : 64;
    uint64_t a = in[0] & m, b = in[1] & m, r;
    unsigned c;
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
    case IR_shl: r = a << (b & (w - 1)); break;
    case IR_shr: r = a >> (b & (w - 1)); break;
    case IR_sar: {
        uint64_t s = sext(a, w);
        c = b & (w - 1);
        /* arithmetic shift without relying on signed >> */
        r = (s >> 63) ? ~(~s >> c) : s >> c;
        break;
    }
    case IR_rotl:
    case IR_rotr:
        c = b & (w - 1);
        if (opc == IR_rotr)
            c = (w - c) & (w - 1);
        r = c ? (a << c) | (a >> (w - c)) : a;
        break;
    case IR_divs:
    case IR_rems: {
        int64_t sa = (int64_t)sext(a, w), sb = (int64_t)sext(b, w);
        bool div = opc == IR_divs;
        if (sb == 0)
            r = div ? 0 : a;
        else if (sb == -1)
            r = div ? 0 - a : 0; /* MIN/-1 wraps to MIN */
        else
            r = div ? (uint64_t)(sa / sb) : (uint64_t)(sa % sb);
        break;
    }
    case IR_divu: r = b ? a / b : 0; break;
    case IR_remu: r = b ? a % b : a; break;
    case IR_mulu2:
    case IR_muls2:
        if (w == 32) {
            uint64_t p = opc == IR_mulu2 ? a * b
                                         : (uint64_t)((int64_t)sext(a, 32) * (int64_t)sext(b, 32));
            out[0] = p & m;
            out[1] = (p >> 32) & m;
        } else if (opc == IR_mulu2) {
            out[1] = mulu64_hi(a, b, &out[0]);
        } else {
            out[1] = (uint64_t)muls64_hi((int64_t)a, (int64_t)b, &out[0]);
        }
        return 2;
    case IR_ext8s: r = sext(a, 8); break;
    case IR_ext8u: r = a & 0xff; break;
    case IR_ext16s: r = sext(a, 16); break;
    case IR_ext16u: r = a & 0xffff; break;
    case IR_ext32s: r = sext(a, 32); break;
    case IR_ext32u: r = a & 0xffffffff; break;
    /* fixed-type conversions: t is the output type here */
    case IR_exts_i32_i64: r = sext(in[0], 32); break;
    case IR_extu_i32_i64: r = in[0] & 0xffffffff; break;
    case IR_extrl_i64_i32: r = in[0] & 0xffffffff; break;
    case IR_extrh_i64_i32: r = in[0] >> 32; break;
    case IR_deposit: {
        uint64_t pos = con[0], len = con[1];
        if (!len || pos >= w || len > w - pos)
            return 0;
        uint64_t fm = field_mask((unsigned)len) << pos;
        r = (a & ~fm) | ((b << pos) & fm);
        break;
    }
    case IR_extract:
    case IR_sextract: {
        uint64_t pos = con[0], len = con[1];
        if (!len || pos >= w || len > w - pos)
            return 0;
        r = (a >> pos) & field_mask((unsigned)len);
        if (opc == IR_sextract)
            r = sext(r, (unsigned)len);
        break;
    }
    case IR_bswap16: r = bswap16((uint16_t)a); break;
    case IR_bswap32: r = bswap32((uint32_t)a); break;
    case IR_bswap64: r = bswap64(a); break;
    case IR_clz: r = a ? (uint64_t)(w == 32 ? clz32((uint32_t)a) : clz64(a)) : b; break;
    case IR_ctz: r = a ? (uint64_t)(w == 32 ? ctz32((uint32_t)a) : ctz64(a)) : b; break;
    case IR_ctpop: r = (uint64_t)popcount64(a); break;
    case IR_setcond: r = ir_cond_eval(t, (IRCond)con[0], a, b); break;
    case IR_movcond:
        r = ir_cond_eval(t, (IRCond)con[0], a, b) ? in[2] : in[3];
        break;
    default:
        return 0;
    }
    out[0] = r & m;
    return 1;
}

typedef struct Fold {
    IRFunc *f;
    uint32_t n;         /* temps tracked (those that existed at the start) */
    uint32_t *gen;      /* knowledge valid when gen[t] == cur */
    uint64_t *val;
    uint32_t cur;
    /* width: bits[t] low bits may be non-zero, valid when wgen[t] == cur */
    uint32_t *wgen;
    uint8_t *bits;
    /* t = deposit(_, dsrc[t], 0, dlen[t]) while ver[dsrc[t]] == dver[t],
     * valid when dgen[t] == cur; ver[] counts the writes of each temp */
    uint32_t *dgen, *ver, *dver;
    uint64_t *dsrc;
    uint8_t *dlen;
} Fold;

static bool known(const Fold *s, uint64_t t, uint64_t *v)
{
    if (s->f->temps[t].kind == IR_TEMP_CONST) {
        *v = s->f->temps[t].val;
        return true;
    }
    if (t < s->n && s->gen[t] == s->cur) {
        *v = s->val[t];
        return true;
    }
    return false;
}

static void forget(Fold *s, uint64_t t)
{
    if (t < s->n) {
        s->gen[t] = 0;
        s->wgen[t] = 0;
        s->dgen[t] = 0;
        s->ver[t]++;
    }
}

static unsigned bitlen(uint64_t v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

/* How many low bits of t may be non-zero (its type's width if unknown). */
static unsigned width_of(const Fold *s, uint64_t t)
{
    uint64_t v;
    if (known(s, t, &v))
        return bitlen(v);
    if (t < s->n && s->wgen[t] == s->cur)
        return s->bits[t];
    return s->f->temps[t].type == IR_I32 ? 32 : 64;
}

static void learn_width(Fold *s, uint64_t t, unsigned w)
{
    unsigned tw = s->f->temps[t].type == IR_I32 ? 32 : 64;
    if (t < s->n && w < tw) {
        s->wgen[t] = s->cur;
        s->bits[t] = (uint8_t)w;
    }
}

/* What an op's result width is, from its inputs (before it writes). */
static unsigned result_width(const Fold *s, const IROp *op)
{
    const uint64_t *a = op->args + op->nout;
    unsigned w = s->f->temps[op->args[0]].type == IR_I32 ? 32 : 64;
    switch (op->opc) {
    case IR_qemu_ld:
    case IR_ld_env: {
        uint64_t mo = op->args[op->nout + op->nin + (op->opc == IR_qemu_ld ? 0 : 1)];
        unsigned lw = 8u << (mo & IR_MO_SIZE);
        return (mo & IR_MO_SIGN) || lw > w ? w : lw;
    }
    case IR_ext8u: return 8;
    case IR_ext16u: return 16;
    case IR_ext32u: return 32;
    case IR_extu_i32_i64: return width_of(s, a[0]);
    case IR_setcond: return 1;
    case IR_mov: return width_of(s, a[0]);
    case IR_and: {
        unsigned x = width_of(s, a[0]), y = width_of(s, a[1]);
        return x < y ? x : y;
    }
    case IR_or:
    case IR_xor: {
        unsigned x = width_of(s, a[0]), y = width_of(s, a[1]);
        return x > y ? x : y;
    }
    case IR_shr: {
        uint64_t c;
        unsigned x = width_of(s, a[0]);
        if (known(s, a[1], &c))
            return (c & (w - 1)) >= x ? 0 : x - (unsigned)(c & (w - 1));
        return x;
    }
    case IR_extract:
        return (unsigned)op->args[op->nout + op->nin + 1];
    default:
        return w;
    }
}

/* ext8u/ext16u/ext32u, or an and with a low mask, of a value that is
 * already that narrow: the value itself (UINT64_MAX if not). The input
 * of an extension of a deposit's low bits becomes the deposited value. */
static uint64_t narrow_already(Fold *s, IROp *op)
{
    unsigned keep;
    switch (op->opc) {
    case IR_ext8u: keep = 8; break;
    case IR_ext16u: keep = 16; break;
    case IR_ext32u: keep = 32; break;
    case IR_and: {
        uint64_t m;
        for (int k = 1; k <= 2; k++)
            if (known(s, op->args[k], &m) && m && (m & (m + 1)) == 0 &&
                width_of(s, op->args[3 - k]) <= bitlen(m))
                return op->args[3 - k];
        return UINT64_MAX;
    }
    default:
        return UINT64_MAX;
    }
    uint64_t a = op->args[1];
    if (a < s->n && s->dgen[a] == s->cur && s->dlen[a] == keep &&
        s->ver[s->dsrc[a]] == s->dver[a] && s->f->temps[s->dsrc[a]].type == s->f->temps[a].type)
        op->args[1] = a = s->dsrc[a];   /* the same low bits */
    return width_of(s, a) <= keep ? a : UINT64_MAX;
}

static void learn(Fold *s, uint64_t t, uint64_t v)
{
    if (t < s->n && s->f->temps[t].kind != IR_TEMP_CONST) {
        /* a write: what was known of the old value goes */
        s->wgen[t] = 0;
        s->dgen[t] = 0;
        s->ver[t]++;
        s->gen[t] = s->cur;
        s->val[t] = v & type_mask((IRType)s->f->temps[t].type);
    }
}

static void make_nop(IROp *op)
{
    memset(op, 0, sizeof(*op));
    op->opc = IR_nop;
}

static void make_mov(IRFunc *f, IROp *op, uint64_t d, uint64_t src)
{
    memset(op, 0, sizeof(*op));
    op->opc = IR_mov;
    op->type = f->temps[d].type;
    op->nout = 1;
    op->nin = 1;
    op->args[0] = d;
    op->args[1] = src;
}

static void make_movi(IRFunc *f, IROp *op, uint64_t d, uint64_t v)
{
    IRType t = (IRType)f->temps[d].type;
    make_mov(f, op, d, ir_const(f, t, v & type_mask(t)));
}

/* Make room for one op after index i; returns the new op (ops may move). */
static IROp *insert_after(IRFunc *f, uint32_t i)
{
    if (f->nops + 1 > f->ops_cap) {
        uint32_t cap = f->ops_cap ? f->ops_cap * 2 : 64;
        IROp *p = realloc(f->ops, (size_t)cap * sizeof(*p));
        if (!p)
            pemu_abort("out of memory growing the IR");
        f->ops = p;
        f->ops_cap = cap;
    }
    memmove(&f->ops[i + 2], &f->ops[i + 1], (size_t)(f->nops - i - 1) * sizeof(IROp));
    f->nops++;
    return &f->ops[i + 1];
}

/* Result of a condition on operands that are the same temp, or -1. */
static int cond_self(IRCond c)
{
    switch (c) {
    case IR_COND_ALWAYS: case IR_COND_EQ: case IR_COND_GE: case IR_COND_LE:
    case IR_COND_GEU: case IR_COND_LEU:
        return 1;
    case IR_COND_NEVER: case IR_COND_NE: case IR_COND_LT: case IR_COND_GT:
    case IR_COND_LTU: case IR_COND_GTU:
        return 0;
    default:
        return -1; /* tst depends on the value */
    }
}

/* Decide a condition: 1 true, 0 false, -1 unknown. */
static int cond_decide(const Fold *s, IRType t, IRCond c, uint64_t a, uint64_t b)
{
    uint64_t va, vb;
    if (c == IR_COND_ALWAYS)
        return 1;
    if (c == IR_COND_NEVER)
        return 0;
    if (known(s, a, &va) && known(s, b, &vb))
        return ir_cond_eval(t, c, va, vb);
    if (a == b)
        return cond_self(c);
    return -1;
}

/*
 * Algebraic identities of two-input ops with one known input. Returns the
 * temp the result equals (as "mov d, x"), sets *k for a constant result,
 * or returns UINT64_MAX with *isk false.
 */
static uint64_t identity(const Fold *s, const IROp *op, bool *isk, uint64_t *k)
{
    IRType t = (IRType)op->type;
    uint64_t m = type_mask(t);
    uint64_t a = op->args[1], b = op->args[2];
    uint64_t va = 0, vb = 0;
    bool ka = known(s, a, &va), kb = known(s, b, &vb);
    unsigned w = t == IR_I32 ? 32 : 64;
    *isk = false;
#define CONST(v) do { *isk = true; *k = (v) & m; return UINT64_MAX; } while (0)
    switch (op->opc) {
    case IR_add:
    case IR_or:
    case IR_xor:
        if (kb && vb == 0) return a;
        if (ka && va == 0) return b;
        if (op->opc == IR_or && ((kb && vb == m) || (ka && va == m))) CONST(m);
        if (a == b) {
            if (op->opc == IR_or) return a;
            if (op->opc == IR_xor) CONST(0);
        }
        break;
    case IR_sub:
        if (kb && vb == 0) return a;
        if (a == b) CONST(0);
        break;
    case IR_mul:
        if ((kb && vb == 0) || (ka && va == 0)) CONST(0);
        if (kb && vb == 1) return a;
        if (ka && va == 1) return b;
        break;
    case IR_and:
        if ((kb && vb == 0) || (ka && va == 0)) CONST(0);
        if (kb && vb == m) return a;
        if (ka && va == m) return b;
        if (a == b) return a;
        break;
    case IR_andc:
        if (kb && vb == 0) return a;
        if ((ka && va == 0) || a == b) CONST(0);
        break;
    case IR_orc:
        if (kb && vb == m) return a;
        if (a == b) CONST(m);
        break;
    case IR_shl:
    case IR_shr:
    case IR_sar:
    case IR_rotl:
    case IR_rotr:
        if (kb && (vb & (w - 1)) == 0) return a;
        if (ka && va == 0) CONST(0);
        if (ka && va == m && op->opc != IR_shl && op->opc != IR_shr) CONST(m);
        break;
    case IR_divs:
    case IR_divu:
        if (kb && vb == 1) return a;
        break;
    default:
        break;
    }
#undef CONST
    return UINT64_MAX;
}

void ir_opt_fold(IRFunc *f)
{
    size_t nt = (size_t)f->ntemps + 1;
    Fold s = { f, f->ntemps, calloc(nt, sizeof(uint32_t)), calloc(nt, sizeof(uint64_t)), 1,
               calloc(nt, sizeof(uint32_t)), calloc(nt, 1), calloc(nt, sizeof(uint32_t)),
               calloc(nt, sizeof(uint32_t)), calloc(nt, sizeof(uint32_t)),
               calloc(nt, sizeof(uint64_t)), calloc(nt, 1) };
    if (!s.gen || !s.val || !s.wgen || !s.bits || !s.dgen || !s.ver || !s.dver || !s.dsrc ||
        !s.dlen)
        pemu_abort("out of memory");

    for (uint32_t i = 0; i < f->nops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_nop)
            continue;
        const IROpDef *def = ir_op_def(op);
        if (op->opc == IR_set_label) {
            s.cur++; /* another path joins: forget everything */
            continue;
        }
        /* Propagate: known inputs become const temps. */
        for (unsigned k = op->nout; k < op->nout + op->nin; k++) {
            uint64_t t = op->args[k], v;
            if (!ir_temp_is_const(f, t) && known(&s, t, &v))
                op->args[k] = ir_const(f, (IRType)f->temps[t].type, v);
        }

        IRType t = (IRType)op->type;
        switch (op->opc) {
        case IR_brcond: {
            int r = cond_decide(&s, t, (IRCond)op->args[2], op->args[0], op->args[1]);
            if (r == 1) {
                uint64_t label = op->args[3];
                memset(op, 0, sizeof(*op));
                op->opc = IR_br;
                op->type = IR_I64;
                op->ncon = 1;
                op->args[0] = label;
            } else if (r == 0) {
                make_nop(op);
            }
            continue;
        }
        case IR_setcond: {
            int r = cond_decide(&s, t, (IRCond)op->args[3], op->args[1], op->args[2]);
            if (r >= 0)
                make_movi(f, op, op->args[0], (uint64_t)r);
            break;
        }
        case IR_movcond: {
            int r = cond_decide(&s, t, (IRCond)op->args[5], op->args[1], op->args[2]);
            if (r >= 0)
                make_mov(f, op, op->args[0], op->args[r ? 3 : 4]);
            else if (op->args[3] == op->args[4])
                make_mov(f, op, op->args[0], op->args[3]);
            break;
        }
        default:
            break;
        }
        op = &f->ops[i];
        def = ir_op_def(op);

        /* Pure ops: fold on constants, else try the identities. */
        bool pure = !(def->flags & (IRF_SIDE | IRF_MAY_RAISE | IRF_CALL)) &&
                    op->opc != IR_discard && op->opc != IR_ld_env && op->nout;
        if (pure) {
            uint64_t in[4] = { 0, 0, 0, 0 }, out[2];
            bool all = true;
            for (unsigned k = 0; k < op->nin && k < 4; k++)
                all &= known(&s, op->args[op->nout + k], &in[k]);
            /* the fixed-type conversions evaluate at their output's type */
            IRType et = (def->flags & IRF_TYPED) ? t : (IRType)f->temps[op->args[0]].type;
            unsigned nres = all ? eval((IROpcode)op->opc, et, in, op->args + op->nout + op->nin, out) : 0;
            if (nres == 2) {
                uint64_t lo = op->args[0], hi = op->args[1];
                make_movi(f, op, lo, out[0]);
                IROp *op2 = insert_after(f, i);
                make_movi(f, op2, hi, out[1]);
                learn(&s, lo, out[0]);
                learn(&s, hi, out[1]);
                i++;
                continue;
            }
            if (nres == 1) {
                if (op->opc != IR_mov || !ir_temp_is_const(f, op->args[1]))
                    make_movi(f, op, op->args[0], out[0]);
                learn(&s, op->args[0], out[0]);
                continue;
            }
            if (op->nin == 2 && op->nout == 1 && (def->flags & IRF_TYPED) && !op->ncon) {
                bool isk;
                uint64_t k;
                uint64_t src = identity(&s, op, &isk, &k);
                if (isk) {
                    make_movi(f, op, op->args[0], k);
                    learn(&s, op->args[0], k);
                    continue;
                }
                if (src != UINT64_MAX)
                    make_mov(f, op, op->args[0], src);
            }
            uint64_t same = narrow_already(&s, op);
            if (same != UINT64_MAX)
                make_mov(f, op, op->args[0], same);
            if (op->opc == IR_mov && op->args[0] == op->args[1]) {
                make_nop(op);
                continue;
            }
        }

        /* What the result will be known to be, from the inputs' state
         * before the outputs are overwritten (an input may be the output). */
        unsigned rw = op->nout == 1 ? result_width(&s, op) : 64;
        bool dep = op->opc == IR_deposit && op->args[op->nout + op->nin] == 0 &&
                   op->args[2] < s.n && op->args[2] != op->args[0];
        uint64_t dsrc = op->args[2], dlen = op->args[op->nout + op->nin + 1];
        if (ir_op_clobbers_globals(op))
            for (uint32_t g = 0; g < f->nglobals; g++)
                forget(&s, g);
        for (unsigned k = 0; k < op->nout; k++)
            forget(&s, op->args[k]);
        if (op->nout == 1 && op->args[0] < s.n) {
            learn_width(&s, op->args[0], rw);
            if (dep && dlen < 64) {
                uint64_t d = op->args[0];
                s.dgen[d] = s.cur;
                s.dsrc[d] = dsrc;
                s.dver[d] = s.ver[dsrc];
                s.dlen[d] = (uint8_t)dlen;
            }
        }
    }
    free(s.gen);
    free(s.val);
    free(s.wgen);
    free(s.bits);
    free(s.dgen);
    free(s.ver);
    free(s.dver);
    free(s.dsrc);
    free(s.dlen);
}
