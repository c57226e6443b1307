/*
 * Dead global-store elimination: a write to a global that is written again
 * before anything reads it is dead. Readers are the ops that take the
 * global as an input and every op that observes all globals: ops that may
 * raise a guest exception (the may-raise rule: the CPU loop sees env when
 * the exception unwinds), helpers that read globals, block ends (branches,
 * goto_tb, exit_tb, goto_lookup) and labels. This is what removes the x86
 * front end's lazy-flag stores (cc_op, cc_dst, cc_src) of one instruction
 * when the next one sets the flags again without a memory access between.
 *
 * A dead write is removed when the op has no other effect and no live
 * output; otherwise (a guest load into a global, a helper result) the op
 * stays and only its dead output moves to a fresh bb temp, which DCE
 * drops once unused.
 */
#include "ir/pass.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

void ir_opt_deadstore(IRFunc *f)
{
    uint32_t ng = f->nglobals;
    if (!ng)
        return;
    /* overwritten[g]: g is written later, with no reader in between */
    bool *over = calloc(ng, sizeof(bool));
    if (!over)
        pemu_abort("out of memory");

    for (uint32_t i = f->nops; i-- > 0;) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_nop)
            continue;
        unsigned ndead = 0;
        for (unsigned k = 0; k < op->nout; k++) {
            uint64_t t = op->args[k];
            if (t < ng && over[t] && op->opc != IR_discard)
                ndead++;
        }
        if (ndead && ndead == op->nout && ir_op_removable(op)) {
            memset(op, 0, sizeof(*op));
            op->opc = IR_nop;
            continue;
        }
        for (unsigned k = 0; k < op->nout; k++) {
            uint64_t t = op->args[k];
            if (t >= ng)
                continue;
            if (over[t] && op->opc != IR_discard)
                op->args[k] = ir_temp_new(f, (IRType)f->temps[t].type);
            over[t] = true; /* a discard too: the value before it is dead */
        }
        if (ir_op_observes_globals(op))
            memset(over, 0, ng * sizeof(bool));
        for (unsigned k = op->nout; k < op->nout + op->nin; k++)
            if (op->args[k] < ng)
                over[op->args[k]] = false;
    }
    free(over);
}
