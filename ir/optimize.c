/*
 * The optimizer pipeline: fold, copyprop, deadstore, dce, repeated while
 * something changes (a few rounds at most: each pass exposes work for the
 * others, e.g. a folded brcond makes code unreachable whose removal makes
 * a global store dead), then squeeze out the nops and compute liveness
 * for the backend.
 */
#include "ir/pass.h"

#include <string.h>

#define MAX_ROUNDS 6

/* A cheap fingerprint of the live ops to notice that a round changed nothing. */
static uint64_t fingerprint(const IRFunc *f)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < f->nops; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_nop)
            continue;
        h = (h ^ op->opc ^ ((uint64_t)op->type << 16) ^ ((uint64_t)i << 24)) * 0x100000001b3ull;
        for (unsigned k = 0; k < (unsigned)(op->nout + op->nin + op->ncon) && k < IR_MAX_ARGS; k++)
            h = (h ^ op->args[k]) * 0x100000001b3ull;
    }
    return h ^ f->nops;
}

void ir_optimize(IRFunc *f)
{
    uint64_t before = fingerprint(f);
    for (int round = 0; round < MAX_ROUNDS; round++) {
        ir_opt_fold(f);
        ir_opt_copyprop(f);
        ir_opt_deadstore(f);
        ir_opt_dce(f);
        ir_compact(f);
        uint64_t after = fingerprint(f);
        if (after == before)
            break;
        before = after;
    }
    ir_liveness(f);
}
