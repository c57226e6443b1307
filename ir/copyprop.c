/*
 * Copy propagation: after "mov d, s", later reads of d read s instead, as
 * long as both still hold the same value. That lets the mov die (DCE) or
 * a global's store be seen as dead (deadstore).
 *
 * Scope: an extended basic block, i.e. from a label along fall-through
 * edges (brcond's fall-through has one predecessor); everything is
 * forgotten at a label. A copy ends when d or s is written, when s is a bb
 * temp and its block ends (s is dead afterwards), and when either is a
 * global and a helper call may write globals.
 */
#include "ir/pass.h"

#include <stdlib.h>
#include "src/error.h"

#define NONE UINT32_MAX

typedef struct CopyProp {
    uint32_t *src;      /* src[d]: the temp d is a copy of, or NONE */
    uint32_t *active;   /* temps d with src[d] != NONE */
    uint32_t nactive;
} CopyProp;

static void drop_if(CopyProp *s, const IRFunc *f, bool (*pred)(const IRFunc *, uint32_t, uint32_t, uint64_t),
                    uint64_t arg)
{
    uint32_t j = 0;
    for (uint32_t k = 0; k < s->nactive; k++) {
        uint32_t d = s->active[k];
        if (pred(f, d, s->src[d], arg))
            s->src[d] = NONE;
        else
            s->active[j++] = d;
    }
    s->nactive = j;
}

static bool involves(const IRFunc *f, uint32_t d, uint32_t src, uint64_t t)
{
    return d == t || src == t;
}

static bool src_is_bb(const IRFunc *f, uint32_t d, uint32_t src, uint64_t unused)
{
    return f->temps[src].kind == IR_TEMP_BB;
}

static bool has_global(const IRFunc *f, uint32_t d, uint32_t src, uint64_t unused)
{
    return f->temps[d].kind == IR_TEMP_GLOBAL || f->temps[src].kind == IR_TEMP_GLOBAL;
}

static bool any(const IRFunc *f, uint32_t d, uint32_t src, uint64_t unused)
{
    return true;
}

void ir_opt_copyprop(IRFunc *f)
{
    CopyProp s;
    s.src = malloc(((size_t)f->ntemps + 1) * sizeof(uint32_t));
    s.active = malloc(((size_t)f->ntemps + 1) * sizeof(uint32_t));
    s.nactive = 0;
    if (!s.src || !s.active)
        pemu_abort("out of memory");
    for (uint32_t t = 0; t < f->ntemps; t++)
        s.src[t] = NONE;

    for (uint32_t i = 0; i < f->nops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_nop)
            continue;
        if (op->opc == IR_set_label) {
            drop_if(&s, f, any, 0);
            continue;
        }
        for (unsigned k = op->nout; k < op->nout + op->nin; k++) {
            uint64_t t = op->args[k];
            if (s.src[t] != NONE)
                op->args[k] = s.src[t];
        }
        if (ir_op_clobbers_globals(op))
            drop_if(&s, f, has_global, 0);
        for (unsigned k = 0; k < op->nout; k++)
            drop_if(&s, f, involves, op->args[k]);
        if (op->opc == IR_mov && op->args[0] != op->args[1]) {
            uint32_t d = (uint32_t)op->args[0], src = (uint32_t)op->args[1];
            s.src[d] = src;
            s.active[s.nactive++] = d;
        }
        if (ir_op_def(op)->flags & IRF_BB_END)
            drop_if(&s, f, src_is_bb, 0);
    }
    free(s.src);
    free(s.active);
}
