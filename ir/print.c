/*
 * The IR text printer behind -d op and -d op_opt. Golden tests compare
 * against this output, so the format is fixed:
 *
 *   One line per op, starting with one space; nops print nothing.
 *   "<name> <arg>, <arg>, ..." with outputs first, then inputs, then the
 *   op's constant arguments, as ir/ir.def orders them.
 *   <name>   the ir.def name; typed ops add _i32 / _i64 (add_i32, mov_i64).
 *   temps    globals by name (a global without one: gN), locals locN,
 *            basic-block temps tN, constants $0x<hex> (the unsigned value
 *            of the const's width: i32 -1 is $0xffffffff). N is the temp
 *            index in the function.
 *   labels   LN
 *   conds    never always eq ne lt ge le gt ltu geu leu gtu tsteq tstne
 *   memops   [u|s][b|w|l] for 8/16/32-bit accesses, q (sq if the sign bit
 *            is set) for 64-bit ones, then +a32 for a 32-bit address and
 *            +0x<bits> for bits the IR does not define.
 *
 *   ---- 0x00001000 cc=3            insn_start pc (hex, 8 digits at least), data (decimal)
 *   L1:                             set_label 1
 *   br L1
 *   brcond_i32 t3, $0x0, eq, L1     a, b, cond, label
 *   setcond_i32 t4, eax, ebx, ltu   d, a, b, cond
 *   movcond_i64 d, c1, c2, v1, v2, lt
 *   deposit_i32 eax, eax, t5, 8, 8  d, a, b, pos, len (decimal)
 *   extract_i32 t6, eax, 8, 8       d, a, pos, len
 *   qemu_ld_i32 t4, t2, ul+a32, mmu1
 *   qemu_st_i64 t4, t2, q, mmu0     value, addr, memop, mmu index
 *   ld_env_i32 t5, env+0x28, ul     d, offset (env-0x8 when negative), memop
 *   st_env_i32 t5, env+0x28, ul
 *   call add3, t9, t1, t2, t3       helper name, its output (if any), inputs
 *   discard t3
 *   goto_tb 0
 *   exit_tb 0x0
 *   goto_lookup
 *
 * Malformed ops (as the verifier reports them) print with ? markers
 * instead of crashing: ?op<N> for an unknown opcode, ?<N> for a temp index
 * out of range.
 */
#include "ir/pass.h"

#include <stdarg.h>
#include <string.h>

typedef struct Buf {
    char *p;
    size_t n, len;
} Buf;

PEMU_PRINTF(2, 3) static void put(Buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->len < b->n ? b->n - b->len : 0;
    va_start(ap, fmt);
    int r = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (r > 0)
        b->len += (size_t)r;
}

const char *ir_temp_name(const IRFunc *f, IRTemp t, char *buf, size_t n)
{
    if (!n)
        return buf;
    if (t >= f->ntemps) {
        snprintf(buf, n, "?%u", t);
        return buf;
    }
    const IRTempInfo *ti = &f->temps[t];
    switch (ti->kind) {
    case IR_TEMP_GLOBAL:
        if (ti->name)
            snprintf(buf, n, "%s", ti->name);
        else
            snprintf(buf, n, "g%u", t);
        break;
    case IR_TEMP_LOCAL:
        snprintf(buf, n, "loc%u", t);
        break;
    case IR_TEMP_BB:
        snprintf(buf, n, "t%u", t);
        break;
    case IR_TEMP_CONST: {
        uint64_t v = ti->type == IR_I32 ? (uint32_t)ti->val : ti->val;
        snprintf(buf, n, "$0x%llx", (unsigned long long)v);
        break;
    }
    default:
        snprintf(buf, n, "?kind%u.%u", ti->kind, t);
        break;
    }
    return buf;
}

static void put_temp(Buf *b, const IRFunc *f, uint64_t t)
{
    char name[64];
    if (t >= f->ntemps)
        put(b, "?%llu", (unsigned long long)t);
    else
        put(b, "%s", ir_temp_name(f, (IRTemp)t, name, sizeof(name)));
}

static void put_memop(Buf *b, uint64_t mo)
{
    static const char sizes[] = "bwlq";
    unsigned size = mo & IR_MO_SIZE;
    if (size == IR_MO_64)
        put(b, "%sq", (mo & IR_MO_SIGN) ? "s" : "");
    else
        put(b, "%c%c", (mo & IR_MO_SIGN) ? 's' : 'u', sizes[size]);
    if (mo & IR_MO_ADDR32)
        put(b, "+a32");
    uint64_t rest = mo & ~(uint64_t)(IR_MO_SIZE | IR_MO_SIGN | IR_MO_ADDR32);
    if (rest)
        put(b, "+0x%llx", (unsigned long long)rest);
}

static void put_cond(Buf *b, uint64_t c)
{
    if (c < IR_NB_CONDS)
        put(b, "%s", ir_cond_name((IRCond)c));
    else
        put(b, "?cond%llu", (unsigned long long)c);
}

static void put_env(Buf *b, uint64_t off)
{
    int64_t o = (int64_t)off;
    if (o < 0)
        put(b, "env-0x%llx", (unsigned long long)(0 - off));
    else
        put(b, "env+0x%llx", (unsigned long long)off);
}

void ir_format_op(char *buf, size_t n, const IRFunc *f, const IROp *op)
{
    Buf b = { buf, n, 0 };
    if (n)
        buf[0] = 0;
    if (op->opc >= IR_NB_OPS) {
        put(&b, " ?op%u", op->opc);
        return;
    }
    const IROpDef *def = ir_op_def(op);
    const uint64_t *a = op->args;
    unsigned ntemp = op->nout + op->nin;
    if (ntemp + op->ncon > IR_MAX_ARGS) {
        put(&b, " %s ?args", def->name);
        return;
    }
    const uint64_t *con = a + ntemp;

    switch (op->opc) {
    case IR_nop:
        return;
    case IR_insn_start:
        put(&b, " ---- 0x%08llx cc=%llu", (unsigned long long)a[0], (unsigned long long)a[1]);
        return;
    case IR_set_label:
        put(&b, " L%llu:", (unsigned long long)a[0]);
        return;
    case IR_br:
        put(&b, " br L%llu", (unsigned long long)a[0]);
        return;
    case IR_goto_tb:
        put(&b, " goto_tb %llu", (unsigned long long)a[0]);
        return;
    case IR_exit_tb:
        put(&b, " exit_tb 0x%llx", (unsigned long long)a[0]);
        return;
    case IR_call: {
        const IRHelperInfo *h = ir_op_helper(op);
        /* a small value there is a temp index: the counts are broken */
        put(&b, " call %s", (uintptr_t)h >= 4096 && h->name ? h->name : "?");
        for (unsigned i = 0; i < ntemp; i++) {
            put(&b, ", ");
            put_temp(&b, f, a[i]);
        }
        return;
    }
    default:
        break;
    }

    put(&b, " %s", def->name);
    if (def->flags & IRF_TYPED)
        put(&b, "_%s", op->type == IR_I32 ? "i32" : op->type == IR_I64 ? "i64" : "i?");
    for (unsigned i = 0; i < ntemp; i++) {
        put(&b, i ? ", " : " ");
        put_temp(&b, f, a[i]);
    }
    const char *sep = ntemp ? ", " : " ";
    switch (op->opc) {
    case IR_brcond:
        put(&b, "%s", sep);
        put_cond(&b, con[0]);
        put(&b, ", L%llu", (unsigned long long)con[1]);
        break;
    case IR_setcond:
    case IR_movcond:
        put(&b, "%s", sep);
        put_cond(&b, con[0]);
        break;
    case IR_qemu_ld:
    case IR_qemu_st:
        put(&b, "%s", sep);
        put_memop(&b, con[0]);
        put(&b, ", mmu%llu", (unsigned long long)con[1]);
        break;
    case IR_ld_env:
    case IR_st_env:
        put(&b, "%s", sep);
        put_env(&b, con[0]);
        put(&b, ", ");
        put_memop(&b, con[1]);
        break;
    default:
        /* deposit/extract positions and anything else: decimal */
        for (unsigned i = 0; i < op->ncon; i++)
            put(&b, "%s%llu", i || ntemp ? ", " : " ", (unsigned long long)con[i]);
        break;
    }
}

void ir_print_op(FILE *out, const IRFunc *f, const IROp *op)
{
    char buf[512];
    if (op->opc == IR_nop)
        return;
    ir_format_op(buf, sizeof(buf), f, op);
    fprintf(out, "%s\n", buf);
}

void ir_print_func(FILE *out, const IRFunc *f)
{
    for (uint32_t i = 0; i < f->nops; i++)
        ir_print_op(out, f, &f->ops[i]);
}
