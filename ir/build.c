/* Building IR functions: temps, labels, ops (the API of ir/ir.h). */
#include "ir/ir.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

const IROpDef ir_op_defs[IR_NB_OPS] = {
#define IR_OP(name, nout, nin, ncon, flags) { #name, nout, nin, ncon, flags },
#include "ir/ir.def"
#undef IR_OP
};

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    p = realloc(p, (size_t)n * elem);
    if (!p)
        pemu_abort("out of memory growing the IR");
    *cap = n;
    return p;
}

void ir_func_init(IRFunc *f)
{
    memset(f, 0, sizeof(*f));
}

void ir_func_free(IRFunc *f)
{
    free(f->ops);
    free(f->temps);
    free(f->const_hash);
    memset(f, 0, sizeof(*f));
}

void ir_func_reset(IRFunc *f)
{
    f->nops = 0;
    f->ntemps = f->nglobals;
    f->nlabels = 0;
    if (f->const_hash)
        memset(f->const_hash, 0, f->const_hash_cap * sizeof(*f->const_hash));
}

static IRTemp temp_alloc(IRFunc *f, IRTempKind kind, IRType type)
{
    f->temps = grow(f->temps, &f->temps_cap, f->ntemps + 1, sizeof(*f->temps));
    IRTempInfo *ti = &f->temps[f->ntemps];
    memset(ti, 0, sizeof(*ti));
    ti->kind = (uint8_t)kind;
    ti->type = (uint8_t)type;
    return f->ntemps++;
}

IRTemp ir_global_new(IRFunc *f, IRType type, int32_t env_offset, const char *name)
{
    if (f->ntemps != f->nglobals)
        pemu_abort("ir_global_new after other temps were created");
    IRTemp t = temp_alloc(f, IR_TEMP_GLOBAL, type);
    f->temps[t].env_offset = env_offset;
    f->temps[t].name = name;
    f->nglobals++;
    return t;
}

IRTemp ir_temp_new(IRFunc *f, IRType type)
{
    return temp_alloc(f, IR_TEMP_BB, type);
}

IRTemp ir_temp_local_new(IRFunc *f, IRType type)
{
    return temp_alloc(f, IR_TEMP_LOCAL, type);
}

static uint32_t const_slot(uint64_t val, IRType type, uint32_t cap)
{
    uint64_t h = (val ^ ((uint64_t)type << 63)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32) & (cap - 1);
}

IRTemp ir_const(IRFunc *f, IRType type, uint64_t val)
{
    if (type == IR_I32)
        val = (uint32_t)val;
    /* Keep the table at most half full. */
    uint32_t nconst_max = f->const_hash_cap / 2;
    if (f->ntemps - f->nglobals >= nconst_max) {
        uint32_t cap = f->const_hash_cap ? f->const_hash_cap * 2 : 256;
        uint32_t *h = calloc(cap, sizeof(*h));
        if (!h)
            pemu_abort("out of memory");
        for (uint32_t i = 0; i < f->const_hash_cap; i++) {
            uint32_t t = f->const_hash[i];
            if (!t)
                continue;
            uint32_t s = const_slot(f->temps[t - 1].val, f->temps[t - 1].type, cap);
            while (h[s])
                s = (s + 1) & (cap - 1);
            h[s] = t;
        }
        free(f->const_hash);
        f->const_hash = h;
        f->const_hash_cap = cap;
    }
    uint32_t s = const_slot(val, type, f->const_hash_cap);
    while (f->const_hash[s]) {
        const IRTempInfo *ti = &f->temps[f->const_hash[s] - 1];
        if (ti->val == val && ti->type == type)
            return f->const_hash[s] - 1;
        s = (s + 1) & (f->const_hash_cap - 1);
    }
    IRTemp t = temp_alloc(f, IR_TEMP_CONST, type);
    f->temps[t].val = val;
    f->const_hash[s] = t + 1; /* +1 so that 0 marks an empty slot */
    return t;
}

uint32_t ir_label_new(IRFunc *f)
{
    return f->nlabels++;
}

IROp *ir_emit(IRFunc *f, IROpcode opc, IRType type, const uint64_t *args, unsigned nargs)
{
    const IROpDef *d = &ir_op_defs[opc];
    if (!(d->flags & IRF_CALL) && nargs != (unsigned)(d->nout + d->nin + d->ncon))
        pemu_abort("ir_emit %s: %u args, expected %u", d->name, nargs,
                   d->nout + d->nin + d->ncon);
    if (nargs > IR_MAX_ARGS)
        pemu_abort("ir_emit %s: too many args", d->name);
    f->ops = grow(f->ops, &f->ops_cap, f->nops + 1, sizeof(*f->ops));
    IROp *op = &f->ops[f->nops++];
    memset(op, 0, sizeof(*op));
    op->opc = (uint16_t)opc;
    op->type = (uint8_t)((d->flags & IRF_I64) ? IR_I64 : type);
    op->nout = d->nout;
    op->nin = d->nin;
    op->ncon = d->ncon;
    if (nargs)
        memcpy(op->args, args, nargs * sizeof(*args));
    return op;
}

IROp *ir_emit_call(IRFunc *f, const IRHelperInfo *h, IRTemp out, const IRTemp *in, unsigned nin)
{
    uint64_t args[IR_MAX_ARGS];
    unsigned n = 0;
    if (nin != h->nargs || nin > IR_CALL_MAX_ARGS)
        pemu_abort("call %s: %u args, helper takes %u", h->name, nin, h->nargs);
    if ((out != IR_NO_TEMP) != (h->ret != 0))
        pemu_abort("call %s: result use does not match the helper", h->name);
    if (out != IR_NO_TEMP)
        args[n++] = out;
    for (unsigned i = 0; i < nin; i++)
        args[n++] = in[i];
    args[n++] = (uint64_t)(uintptr_t)h;
    IROp *op = ir_emit(f, IR_call, h->ret ? (IRType)(h->ret - 1) : IR_I64, args, n);
    op->nout = out != IR_NO_TEMP;
    op->nin = (uint8_t)nin;
    op->ncon = 1;
    return op;
}

/* ---- convenience emitters ------------------------------------------------ */

void ir_mov(IRFunc *f, IRType t, IRTemp d, IRTemp a)
{
    uint64_t args[] = { d, a };
    ir_emit(f, IR_mov, t, args, 2);
}

void ir_movi(IRFunc *f, IRType t, IRTemp d, uint64_t imm)
{
    ir_mov(f, t, d, ir_const(f, t, imm));
}

void ir_op1(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a)
{
    uint64_t args[] = { d, a };
    ir_emit(f, opc, t, args, 2);
}

void ir_op2(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, IRTemp b)
{
    uint64_t args[] = { d, a, b };
    ir_emit(f, opc, t, args, 3);
}

void ir_op2i(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, uint64_t imm)
{
    ir_op2(f, opc, t, d, a, ir_const(f, t, imm));
}

void ir_insn_start(IRFunc *f, uint64_t pc, uint64_t data)
{
    uint64_t args[] = { pc, data };
    ir_emit(f, IR_insn_start, IR_I64, args, 2);
}

void ir_set_label(IRFunc *f, uint32_t label)
{
    uint64_t args[] = { label };
    ir_emit(f, IR_set_label, IR_I64, args, 1);
}

void ir_br(IRFunc *f, uint32_t label)
{
    uint64_t args[] = { label };
    ir_emit(f, IR_br, IR_I64, args, 1);
}

void ir_brcond(IRFunc *f, IRType t, IRCond c, IRTemp a, IRTemp b, uint32_t label)
{
    uint64_t args[] = { a, b, c, label };
    ir_emit(f, IR_brcond, t, args, 4);
}

void ir_brcondi(IRFunc *f, IRType t, IRCond c, IRTemp a, uint64_t imm, uint32_t label)
{
    ir_brcond(f, t, c, a, ir_const(f, t, imm), label);
}

void ir_setcond(IRFunc *f, IRType t, IRCond c, IRTemp d, IRTemp a, IRTemp b)
{
    uint64_t args[] = { d, a, b, c };
    ir_emit(f, IR_setcond, t, args, 4);
}

void ir_movcond(IRFunc *f, IRType t, IRCond c, IRTemp d, IRTemp c1, IRTemp c2, IRTemp v1, IRTemp v2)
{
    uint64_t args[] = { d, c1, c2, v1, v2, c };
    ir_emit(f, IR_movcond, t, args, 6);
}

void ir_mul2(IRFunc *f, IROpcode opc, IRType t, IRTemp lo, IRTemp hi, IRTemp a, IRTemp b)
{
    uint64_t args[] = { lo, hi, a, b };
    ir_emit(f, opc, t, args, 4);
}

void ir_deposit(IRFunc *f, IRType t, IRTemp d, IRTemp a, IRTemp b, unsigned pos, unsigned len)
{
    uint64_t args[] = { d, a, b, pos, len };
    ir_emit(f, IR_deposit, t, args, 5);
}

void ir_extract(IRFunc *f, IROpcode opc, IRType t, IRTemp d, IRTemp a, unsigned pos, unsigned len)
{
    uint64_t args[] = { d, a, pos, len };
    ir_emit(f, opc, t, args, 4);
}

void ir_qemu_ld(IRFunc *f, IRType t, IRTemp d, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    uint64_t args[] = { d, addr, memop, mmu_idx };
    ir_emit(f, IR_qemu_ld, t, args, 4);
}

void ir_qemu_st(IRFunc *f, IRType t, IRTemp v, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    uint64_t args[] = { v, addr, memop, mmu_idx };
    ir_emit(f, IR_qemu_st, t, args, 4);
}

void ir_ld_env(IRFunc *f, IRType t, IRTemp d, int32_t offset, unsigned memop)
{
    uint64_t args[] = { d, (uint64_t)(int64_t)offset, memop };
    ir_emit(f, IR_ld_env, t, args, 3);
}

void ir_st_env(IRFunc *f, IRType t, IRTemp v, int32_t offset, unsigned memop)
{
    uint64_t args[] = { v, (uint64_t)(int64_t)offset, memop };
    ir_emit(f, IR_st_env, t, args, 3);
}

void ir_goto_tb(IRFunc *f, unsigned slot)
{
    uint64_t args[] = { slot };
    ir_emit(f, IR_goto_tb, IR_I64, args, 1);
}

void ir_exit_tb(IRFunc *f, uint64_t val)
{
    uint64_t args[] = { val };
    ir_emit(f, IR_exit_tb, IR_I64, args, 1);
}

void ir_goto_lookup(IRFunc *f)
{
    ir_emit(f, IR_goto_lookup, IR_I64, NULL, 0);
}

void ir_discard(IRFunc *f, IRTemp t)
{
    uint64_t args[] = { t };
    ir_emit(f, IR_discard, f->temps[t].type, args, 1);
}

void ir_compact(IRFunc *f)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < f->nops; i++)
        if (f->ops[i].opc != IR_nop)
            f->ops[j++] = f->ops[i];
    f->nops = j;
}

/* ---- conditions -------------------------------------------------------- */

static const char *const cond_names[IR_NB_CONDS] = {
    "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
    "ltu", "geu", "leu", "gtu", "tsteq", "tstne",
};

const char *ir_cond_name(IRCond c)
{
    return (unsigned)c < IR_NB_CONDS ? cond_names[c] : "?";
}

IRCond ir_cond_swap(IRCond c)
{
    switch (c) {
    case IR_COND_LT: return IR_COND_GT;
    case IR_COND_GT: return IR_COND_LT;
    case IR_COND_LE: return IR_COND_GE;
    case IR_COND_GE: return IR_COND_LE;
    case IR_COND_LTU: return IR_COND_GTU;
    case IR_COND_GTU: return IR_COND_LTU;
    case IR_COND_LEU: return IR_COND_GEU;
    case IR_COND_GEU: return IR_COND_LEU;
    default: return c; /* eq, ne, tst*, always, never are symmetric */
    }
}

IRCond ir_cond_invert(IRCond c)
{
    static const IRCond inv[IR_NB_CONDS] = {
        IR_COND_ALWAYS, IR_COND_NEVER, IR_COND_NE, IR_COND_EQ,
        IR_COND_GE, IR_COND_LT, IR_COND_GT, IR_COND_LE,
        IR_COND_GEU, IR_COND_LTU, IR_COND_GTU, IR_COND_LEU,
        IR_COND_TSTNE, IR_COND_TSTEQ,
    };
    return inv[c];
}

bool ir_cond_eval(IRType t, IRCond c, uint64_t a, uint64_t b)
{
    int64_t sa, sb;
    if (t == IR_I32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
        sa = (int32_t)a;
        sb = (int32_t)b;
    } else {
        sa = (int64_t)a;
        sb = (int64_t)b;
    }
    switch (c) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return a >= b;
    case IR_COND_LEU: return a <= b;
    case IR_COND_GTU: return a > b;
    case IR_COND_TSTEQ: return (a & b) == 0;
    case IR_COND_TSTNE: return (a & b) != 0;
    default: pemu_abort("bad IR condition %d", (int)c);
    }
}
