/*
 * Liveness: op effects, basic blocks, and the backward dataflow that fills
 * IROp.life for the backends (bit i set: input i is not read again, so its
 * slot or register can be reused after the op).
 *
 * A temp is live at a point if some path from there reads it before writing
 * it. Globals are read at every block end and by every op that observes
 * them (may raise, helper calls reading globals); locals flow along the
 * branches inside the block (labels/br/brcond); bb temps die at their
 * block's end. Constants never die.
 */
#include "ir/pass.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

/* ---- op effects ------------------------------------------------------------ */

bool ir_op_may_raise(const IROp *op)
{
    if (ir_op_def(op)->flags & IRF_MAY_RAISE)
        return true;
    return op->opc == IR_call && !(ir_op_call_flags(op) & IR_CALL_NO_RAISE);
}

bool ir_op_observes_globals(const IROp *op)
{
    unsigned fl = ir_op_def(op)->flags;
    if (fl & (IRF_BB_END | IRF_LABEL))
        return true;
    if (ir_op_may_raise(op))
        return true;
    return op->opc == IR_call && !(ir_op_call_flags(op) & IR_CALL_NO_RW_GLOBALS);
}

bool ir_op_clobbers_globals(const IROp *op)
{
    return op->opc == IR_call &&
           !(ir_op_call_flags(op) & (IR_CALL_NO_RW_GLOBALS | IR_CALL_NO_WRITE_GLOBALS));
}

bool ir_op_removable(const IROp *op)
{
    if (ir_op_def(op)->flags & (IRF_SIDE | IRF_MAY_RAISE))
        return false;
    if (op->opc == IR_call) {
        /* NO_SIDE_EFFECTS alone does not make a helper that may raise or
           write globals removable: both are effects. */
        unsigned cf = ir_op_call_flags(op);
        return (cf & IR_CALL_NO_SIDE_EFFECTS) && (cf & IR_CALL_NO_RAISE) &&
               !ir_op_clobbers_globals(op);
    }
    return true;
}

bool ir_op_no_fallthrough(const IROp *op)
{
    /* goto_tb is not here: like exit_tb it leaves the block, but an unlinked
       chain slot may continue with the ops after it (the exit path). */
    return op->opc == IR_br || op->opc == IR_exit_tb || op->opc == IR_goto_lookup;
}

/* ---- basic blocks ------------------------------------------------------------ */

void ir_live_step(const IRFunc *f, const IROp *op, uint64_t *live)
{
    const uint64_t *a = op->args;
    for (unsigned i = 0; i < op->nout; i++)
        bit_clear(live, a[i]);
    if (ir_op_observes_globals(op))
        for (uint32_t g = 0; g < f->nglobals; g++)
            bit_set(live, g);
    for (unsigned i = op->nout; i < op->nout + op->nin; i++)
        if (!ir_temp_is_const(f, a[i]))
            bit_set(live, a[i]);
}

void ir_cfg_free(IRCfg *cfg)
{
    free(cfg->blocks);
    free(cfg->live_out);
    memset(cfg, 0, sizeof(*cfg));
}

void ir_cfg_build(IRCfg *cfg, const IRFunc *f)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->blocks = malloc(((size_t)f->nops + 1) * sizeof(*cfg->blocks));
    uint32_t *label_block = malloc(((size_t)f->nlabels + 1) * sizeof(*label_block));
    if (!cfg->blocks || !label_block)
        pemu_abort("out of memory");
    for (uint32_t l = 0; l < f->nlabels; l++)
        label_block[l] = UINT32_MAX;

    /* A block starts at op 0, at each label and after each block end;
       nops belong to the block they sit in. */
    uint32_t nb = 0;
    bool need_new = true, has_real = false;
    for (uint32_t i = 0; i < f->nops; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_set_label && has_real)
            need_new = true;
        if (need_new) {
            cfg->blocks[nb++] = (IRBlock){ i, i, { UINT32_MAX, UINT32_MAX } };
            need_new = has_real = false;
        }
        cfg->blocks[nb - 1].end = i + 1;
        if (op->opc == IR_nop)
            continue;
        has_real = true;
        if (op->opc == IR_set_label && op->args[0] < f->nlabels)
            label_block[op->args[0]] = nb - 1;
        if (ir_op_def(op)->flags & IRF_BB_END)
            need_new = true;
    }
    cfg->nblocks = nb;

    for (uint32_t b = 0; b < nb; b++) {
        IRBlock *bl = &cfg->blocks[b];
        const IROp *last = NULL;
        for (uint32_t i = bl->end; i > bl->start; i--)
            if (f->ops[i - 1].opc != IR_nop) {
                last = &f->ops[i - 1];
                break;
            }
        unsigned ns = 0;
        if (last && (last->opc == IR_br || last->opc == IR_brcond)) {
            uint64_t l = last->args[last->nout + last->nin + (last->opc == IR_brcond)];
            if (l < f->nlabels && label_block[l] != UINT32_MAX)
                bl->succ[ns++] = label_block[l];
        }
        if ((!last || !ir_op_no_fallthrough(last)) && b + 1 < nb)
            bl->succ[ns++] = b + 1;
    }
    free(label_block);

    /* Dataflow over the locals; iterate to the fixpoint (a few rounds for
       the forward branches translators emit). */
    uint32_t w = (f->ntemps + 63) / 64;
    cfg->words = w;
    cfg->live_out = calloc((size_t)nb * w + 1, sizeof(uint64_t));
    uint64_t *live_in = calloc((size_t)nb * w + 1, sizeof(uint64_t));
    uint64_t *cur = calloc((size_t)w + 1, sizeof(uint64_t));
    uint64_t *locals = calloc((size_t)w + 1, sizeof(uint64_t));
    if (!cfg->live_out || !live_in || !cur || !locals)
        pemu_abort("out of memory");
    for (uint32_t t = 0; t < f->ntemps; t++)
        if (f->temps[t].kind == IR_TEMP_LOCAL)
            bit_set(locals, t);
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t b = nb; b-- > 0;) {
            IRBlock *bl = &cfg->blocks[b];
            uint64_t *out = &cfg->live_out[(size_t)b * w];
            memset(out, 0, w * sizeof(uint64_t));
            for (uint32_t g = 0; g < f->nglobals; g++)
                bit_set(out, g);
            for (int s = 0; s < 2; s++)
                if (bl->succ[s] != UINT32_MAX) {
                    const uint64_t *in = &live_in[(size_t)bl->succ[s] * w];
                    for (uint32_t k = 0; k < w; k++)
                        out[k] |= in[k] & locals[k];
                }
            memcpy(cur, out, w * sizeof(uint64_t));
            for (uint32_t i = bl->end; i-- > bl->start;)
                if (f->ops[i].opc != IR_nop)
                    ir_live_step(f, &f->ops[i], cur);
            uint64_t *in = &live_in[(size_t)b * w];
            if (memcmp(in, cur, w * sizeof(uint64_t))) {
                memcpy(in, cur, w * sizeof(uint64_t));
                changed = true;
            }
        }
    }
    free(live_in);
    free(cur);
    free(locals);
}

/* ---- IROp.life ------------------------------------------------------------- */

void ir_liveness(IRFunc *f)
{
    IRCfg cfg;
    ir_cfg_build(&cfg, f);
    uint64_t *live = calloc((size_t)cfg.words + 1, sizeof(uint64_t));
    if (!live)
        pemu_abort("out of memory");
    for (uint32_t b = 0; b < cfg.nblocks; b++) {
        const IRBlock *bl = &cfg.blocks[b];
        memcpy(live, &cfg.live_out[(size_t)b * cfg.words], cfg.words * sizeof(uint64_t));
        for (uint32_t i = bl->end; i-- > bl->start;) {
            IROp *op = &f->ops[i];
            op->life = 0;
            if (op->opc == IR_nop)
                continue;
            for (unsigned k = 0; k < op->nout; k++)
                bit_clear(live, op->args[k]);
            if (ir_op_observes_globals(op))
                for (uint32_t g = 0; g < f->nglobals; g++)
                    bit_set(live, g);
            /* Last input position first, so that a temp read twice by the
               op is marked once, at its last position. */
            for (unsigned k = op->nin; k-- > 0;) {
                uint64_t t = op->args[op->nout + k];
                if (ir_temp_is_const(f, t) || bit_test(live, t))
                    continue;
                op->life |= (uint16_t)(1u << k);
                bit_set(live, t);
            }
        }
    }
    free(live);
    ir_cfg_free(&cfg);
}
