/*
 * Dead code elimination.
 *
 * 1. Unreachable code: ops after br / exit_tb / goto_lookup up to the next
 *    label some reachable branch targets. A label no reachable branch
 *    targets is dropped (its block merges with the one before), and
 *    "br L" straight before "L:" is dropped. (goto_tb is not an end here:
 *    an unlinked chain slot continues with the ops after it.)
 * 2. Dead ops: backward liveness (ir/liveness.c); an op without effects
 *    beyond its outputs (ir_op_removable) whose outputs are all dead is
 *    removed. Globals are live at block ends and wherever an op observes
 *    them, so this also removes global stores that are overwritten before
 *    anything can see them. discard ops are consumed here.
 */
#include "ir/pass.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

static void make_nop(IROp *op)
{
    memset(op, 0, sizeof(*op));
    op->opc = IR_nop;
}

static uint64_t branch_label(const IROp *op)
{
    return op->args[op->nout + op->nin + (op->opc == IR_brcond)];
}

static uint32_t next_real(const IRFunc *f, uint32_t i)
{
    while (i < f->nops && f->ops[i].opc == IR_nop)
        i++;
    return i;
}

/* "br L" with only nops before "L:" falls through anyway. */
static bool remove_br_to_next(IRFunc *f)
{
    bool changed = false;
    for (uint32_t i = 0; i < f->nops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc != IR_br)
            continue;
        uint32_t j = next_real(f, i + 1);
        if (j < f->nops && f->ops[j].opc == IR_set_label && f->ops[j].args[0] == op->args[0]) {
            make_nop(op);
            changed = true;
        }
    }
    return changed;
}

static void remove_unreachable(IRFunc *f)
{
    bool *targeted = calloc((size_t)f->nlabels + 1, sizeof(bool));
    if (!targeted)
        pemu_abort("out of memory");

    /* The set of targeted labels only grows, so this ends. */
    bool changed = true;
    while (changed) {
        changed = false;
        bool reachable = true;
        for (uint32_t i = 0; i < f->nops; i++) {
            const IROp *op = &f->ops[i];
            if (op->opc == IR_set_label && op->args[0] < f->nlabels && targeted[op->args[0]])
                reachable = true;
            if (!reachable || op->opc == IR_nop)
                continue;
            if (op->opc == IR_br || op->opc == IR_brcond) {
                uint64_t l = branch_label(op);
                if (l < f->nlabels && !targeted[l]) {
                    targeted[l] = true;
                    changed = true;
                }
            }
            if (ir_op_no_fallthrough(op))
                reachable = false;
        }
    }

    bool reachable = true;
    for (uint32_t i = 0; i < f->nops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_set_label) {
            bool t = op->args[0] < f->nlabels && targeted[op->args[0]];
            reachable |= t;
            if (!t)
                make_nop(op);
        }
        if (!reachable) {
            make_nop(op);
            continue;
        }
        if (ir_op_no_fallthrough(op))
            reachable = false;
    }
    free(targeted);
}

void ir_opt_dce(IRFunc *f)
{
    /* Dropping "br L; L:" can leave L untargeted: go again. */
    do
        remove_unreachable(f);
    while (remove_br_to_next(f));

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
            if (op->opc == IR_nop)
                continue;
            if (op->nout && ir_op_removable(op)) {
                bool dead = true;
                for (unsigned k = 0; k < op->nout; k++)
                    dead &= !bit_test(live, op->args[k]);
                if (dead || op->opc == IR_discard) {
                    /* a discard still ends its temp's life */
                    for (unsigned k = 0; k < op->nout; k++)
                        bit_clear(live, op->args[k]);
                    make_nop(op);
                    continue;
                }
            }
            ir_live_step(f, op, live);
        }
    }
    free(live);
    ir_cfg_free(&cfg);
}
