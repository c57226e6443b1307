/*
 * Structural checks of an IR function, run by tests and debug builds after
 * the translator and after every pass. The first problem found is reported
 * as "op N ( printed op): what is wrong".
 */
#include "ir/pass.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "src/error.h"

typedef struct Verify {
    const IRFunc *f;
    char *msg;
    size_t n;
    bool failed;
} Verify;

PEMU_PRINTF(4, 5) static int fail(Verify *v, uint32_t idx, const IROp *op, const char *fmt, ...)
{
    if (v->failed)
        return -1;
    v->failed = true;
    if (!v->msg || !v->n)
        return -1;
    char opbuf[256], what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (op) {
        ir_format_op(opbuf, sizeof(opbuf), v->f, op);
        snprintf(v->msg, v->n, "op %u (%s): %s", idx, opbuf + (opbuf[0] == ' '), what);
    } else {
        snprintf(v->msg, v->n, "%s", what);
    }
    return -1;
}

static const char *type_name(int t)
{
    return t == IR_I32 ? "i32" : t == IR_I64 ? "i64" : "i?";
}

/* The type temp argument i must have, or -1 for any. */
static int arg_type(const IROp *op, unsigned i)
{
    const IROpDef *def = ir_op_def(op);
    switch (op->opc) {
    case IR_discard:
        return -1;
    case IR_call:
        if (i < op->nout)
            return ir_op_helper(op)->ret - 1;
        return -1; /* helper arguments arrive zero-extended to 64 bits */
    case IR_exts_i32_i64:
    case IR_extu_i32_i64:
        return i == 0 ? IR_I64 : IR_I32;
    case IR_extrl_i64_i32:
    case IR_extrh_i64_i32:
        return i == 0 ? IR_I32 : IR_I64;
    case IR_qemu_ld:
    case IR_qemu_st:
        if (i + 1 == (unsigned)(op->nout + op->nin)) /* the address */
            return (op->args[op->nout + op->nin] & IR_MO_ADDR32) ? IR_I32 : IR_I64;
        return op->type;
    default:
        return (def->flags & IRF_TYPED) ? op->type : -1;
    }
}

static int check_memop(Verify *v, uint32_t idx, const IROp *op, uint64_t mo, bool guest)
{
    uint64_t known = IR_MO_SIZE | IR_MO_SIGN | (guest ? IR_MO_ADDR32 : 0);
    if (mo & ~known)
        return fail(v, idx, op, "memop 0x%llx has undefined bits", (unsigned long long)mo);
    if ((mo & IR_MO_SIZE) == IR_MO_64 && op->type == IR_I32)
        return fail(v, idx, op, "64-bit access in an i32 op");
    return 0;
}

static int check_op(Verify *v, uint32_t idx, const IROp *op)
{
    const IRFunc *f = v->f;
    if (op->opc >= IR_NB_OPS)
        return fail(v, idx, op, "unknown opcode %u", op->opc);
    const IROpDef *def = ir_op_def(op);
    unsigned ntemp = op->nout + op->nin;
    if (ntemp + op->ncon > IR_MAX_ARGS)
        return fail(v, idx, op, "%u arguments, at most %u", ntemp + op->ncon, IR_MAX_ARGS);
    if (op->opc == IR_call) {
        const IRHelperInfo *h = ir_op_helper(op);
        /* a small number there is a temp index: the counts are off */
        if (op->ncon != 1 || (uintptr_t)h < 4096)
            return fail(v, idx, op, "call without a helper");
        if (op->nin != h->nargs || op->nin > IR_CALL_MAX_ARGS)
            return fail(v, idx, op, "%u arguments, helper %s takes %u", op->nin,
                        h->name ? h->name : "?", h->nargs);
        if (h->ret > 1 + IR_I64 || op->nout != (h->ret != 0))
            return fail(v, idx, op, "%u outputs, helper %s returns %s", op->nout,
                        h->name ? h->name : "?", h->ret ? type_name(h->ret - 1) : "nothing");
    } else if (op->nout != def->nout || op->nin != def->nin || op->ncon != def->ncon) {
        return fail(v, idx, op, "shape %u/%u/%u, ir.def says %u/%u/%u", op->nout, op->nin,
                    op->ncon, def->nout, def->nin, def->ncon);
    }
    if (op->type > IR_I64)
        return fail(v, idx, op, "bad type %u", op->type);
    if ((def->flags & IRF_I64) && op->type != IR_I64)
        return fail(v, idx, op, "i64-only op typed i32");

    for (unsigned i = 0; i < ntemp; i++) {
        uint64_t t = op->args[i];
        if (t >= f->ntemps)
            return fail(v, idx, op, "argument %u: temp %llu out of range (%u temps)", i,
                        (unsigned long long)t, f->ntemps);
        const IRTempInfo *ti = &f->temps[t];
        if (ti->kind > IR_TEMP_CONST || ti->type > IR_I64)
            return fail(v, idx, op, "argument %u: malformed temp", i);
        int want = arg_type(op, i);
        if (want >= 0 && ti->type != want)
            return fail(v, idx, op, "argument %u is an %s temp, the op needs %s", i,
                        type_name(ti->type), type_name(want));
        if (i < op->nout && ti->kind == IR_TEMP_CONST)
            return fail(v, idx, op, "writes a constant");
        for (unsigned j = 0; j < i && i < op->nout; j++)
            if (op->args[j] == t)
                return fail(v, idx, op, "the same temp is written twice");
    }

    const uint64_t *con = op->args + ntemp;
    unsigned width = op->type == IR_I32 ? 32 : 64;
    switch (op->opc) {
    case IR_brcond:
        if (con[1] >= f->nlabels)
            return fail(v, idx, op, "label %llu out of range", (unsigned long long)con[1]);
        /* fall through */
    case IR_setcond:
    case IR_movcond:
        if (con[0] >= IR_NB_CONDS)
            return fail(v, idx, op, "bad condition %llu", (unsigned long long)con[0]);
        break;
    case IR_set_label:
    case IR_br:
        if (con[0] >= f->nlabels)
            return fail(v, idx, op, "label %llu out of range", (unsigned long long)con[0]);
        break;
    case IR_goto_tb:
        if (con[0] > 1)
            return fail(v, idx, op, "chain slot %llu (0 or 1)", (unsigned long long)con[0]);
        break;
    case IR_deposit:
    case IR_extract:
    case IR_sextract:
        if (con[1] == 0 || con[0] >= width || con[1] > width - con[0])
            return fail(v, idx, op, "bit field pos %llu len %llu outside %u bits",
                        (unsigned long long)con[0], (unsigned long long)con[1], width);
        break;
    case IR_qemu_ld:
    case IR_qemu_st:
        return check_memop(v, idx, op, con[0], true);
    case IR_ld_env:
    case IR_st_env: {
        int64_t off = (int64_t)con[0];
        if (off != (int32_t)off)
            return fail(v, idx, op, "env offset out of range");
        if (check_memop(v, idx, op, con[1], false))
            return -1;
        int64_t size = 1 << (con[1] & IR_MO_SIZE);
        for (uint32_t g = 0; g < f->nglobals; g++) {
            int64_t go = f->temps[g].env_offset;
            int64_t gs = f->temps[g].type == IR_I32 ? 4 : 8;
            if (off < go + gs && go < off + size) {
                char name[64];
                return fail(v, idx, op, "env field overlaps global %s (env+0x%llx), use the global",
                            ir_temp_name(f, g, name, sizeof(name)), (unsigned long long)go);
            }
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

int ir_verify(const IRFunc *f, char *msg, size_t n)
{
    Verify v = { f, msg, n, false };
    if (msg && n)
        msg[0] = 0;
    if (f->nglobals > f->ntemps)
        return fail(&v, 0, NULL, "%u globals but %u temps", f->nglobals, f->ntemps);
    for (uint32_t t = 0; t < f->ntemps; t++) {
        const IRTempInfo *ti = &f->temps[t];
        if ((t < f->nglobals) != (ti->kind == IR_TEMP_GLOBAL))
            return fail(&v, 0, NULL, "temp %u: globals must come first", t);
        if (ti->kind == IR_TEMP_CONST && ti->type == IR_I32 && ti->val > 0xffffffffu)
            return fail(&v, 0, NULL, "temp %u: i32 constant 0x%llx not zero-extended", t,
                        (unsigned long long)ti->val);
    }

    /* Labels: defined once, every branch target defined. Bb temps: read only
       in the basic block that wrote them, after the write. */
    uint32_t *label_def = calloc((size_t)f->nlabels + 1, sizeof(uint32_t));
    uint32_t *label_use = calloc((size_t)f->nlabels + 1, sizeof(uint32_t));
    uint32_t *written = calloc((size_t)f->ntemps + 1, sizeof(uint32_t)); /* block + 1 */
    if (!label_def || !label_use || !written)
        pemu_abort("out of memory");
    int r = 0;
    uint32_t block = 1;
    bool block_used = false;
    for (uint32_t i = 0; i < f->nops && !r; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_nop)
            continue;
        if ((r = check_op(&v, i, op)))
            break;
        const IROpDef *def = ir_op_def(op);
        if (op->opc == IR_set_label) {
            if (block_used)
                block++;
            block_used = false;
            uint64_t l = op->args[0];
            if (label_def[l]) {
                r = fail(&v, i, op, "label L%llu defined again (first at op %u)",
                         (unsigned long long)l, label_def[l] - 1);
                break;
            }
            label_def[l] = i + 1;
        }
        block_used = true;
        if (op->opc == IR_br || op->opc == IR_brcond) {
            uint64_t l = op->args[op->nout + op->nin + (op->opc == IR_brcond)];
            if (!label_use[l])
                label_use[l] = i + 1;
        }
        for (unsigned k = op->nout; k < op->nout + op->nin; k++) {
            uint64_t t = op->args[k];
            if (f->temps[t].kind != IR_TEMP_BB)
                continue;
            char name[64];
            ir_temp_name(f, (IRTemp)t, name, sizeof(name));
            if (!written[t]) {
                r = fail(&v, i, op, "bb temp %s read before it is written", name);
                break;
            }
            if (written[t] != block) {
                r = fail(&v, i, op, "bb temp %s read in a later basic block than the one that wrote it",
                         name);
                break;
            }
        }
        for (unsigned k = 0; k < op->nout; k++)
            if (f->temps[op->args[k]].kind == IR_TEMP_BB)
                written[op->args[k]] = op->opc == IR_discard ? 0 : block;
        if (def->flags & IRF_BB_END) {
            block++;
            block_used = false;
        }
    }
    for (uint32_t l = 0; l < f->nlabels && !r; l++)
        if (label_use[l] && !label_def[l])
            r = fail(&v, label_use[l] - 1, &f->ops[label_use[l] - 1], "label L%u is never defined", l);
    free(label_def);
    free(label_use);
    free(written);
    return r;
}
