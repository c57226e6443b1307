/*
 * Instruction selection: IR -> bytecode by greedy pattern tiling over the
 * rows of bytecode.def (first match wins, fused rows first), plus a simple
 * frame-slot assignment for temps.
 *
 * Slots: globals live at their env offset. Every other temp gets an 8-byte
 * slot of CPUState.frame when first seen. A basic-block temp whose uses
 * all sit in one basic block gives its slot back after its last use; locals
 * (and bb temps the front end used across a block boundary) keep theirs for
 * the whole block. Outputs are assigned before the group's dead inputs are
 * freed, so an instruction never writes a slot it still has to read. This
 * does not depend on IROp.life (the liveness pass is optional).
 *
 * Constants: an operand position with an 'i' row takes the value as an
 * immediate; otherwise the constant is first loaded into a scratch slot
 * (movi) -- a second pass over the rows allows that.
 */
#include "interp/interp.h"

#include <stdlib.h>
#include <string.h>
#include "interp/ldst.h"
#include "src/error.h"
#include "src/log.h"

const BCInfo bc_info[BC_NB_OPS] = {
#define BC(name, fmt, ...) { #name, #fmt, { __VA_ARGS__ } },
#include "interp/bytecode.def"
#undef BC
};

static bool fusion_on = true;

void interp_set_fusion(bool on)
{
    fusion_on = on;
}

/* Rows indexed by the opcode of their first pattern op, in table order. */
static uint16_t *rows_by_opc[IR_NB_OPS];
static uint16_t nrows_by_opc[IR_NB_OPS];

static void rows_init(void)
{
    static bool done;
    if (done)
        return;
    for (int i = 0; i < BC_NB_OPS; i++) {
        unsigned opc = bc_info[i].pat[0].opc;
        if (opc != IR_nop)
            nrows_by_opc[opc]++;
    }
    for (int o = 0; o < IR_NB_OPS; o++) {
        rows_by_opc[o] = calloc(nrows_by_opc[o] ? nrows_by_opc[o] : 1, sizeof(uint16_t));
        if (!rows_by_opc[o])
            pemu_abort("out of memory");
        nrows_by_opc[o] = 0;
    }
    for (int i = 0; i < BC_NB_OPS; i++) {
        unsigned opc = bc_info[i].pat[0].opc;
        if (opc != IR_nop)
            rows_by_opc[opc][nrows_by_opc[opc]++] = (uint16_t)i;
    }
    done = true;
}

typedef struct Sel {
    const IRFunc *f;
    TranslationBlock *tb;
    BCEmit e;
    IROp *ops;            /* canonicalized copies of the non-nop ops */
    uint32_t nops;
    uint32_t *last;       /* per temp: last position it occurs */
    uint8_t *longlived;   /* per temp: keeps its slot for the whole block */
    int32_t *slot;        /* per temp: frame slot or -1 */
    uint16_t freelist[CPU_FRAME_SLOTS];
    uint32_t nfree;
    bool too_big;
    uint32_t *label_pos;  /* position of set_label per label */
    uint8_t *backward;    /* label is the target of a backward branch */
} Sel;

/* ---- slots --------------------------------------------------------------------- */

static int slot_alloc(Sel *s)
{
    if (!s->nfree) {
        s->too_big = true;
        return 0;
    }
    return s->freelist[--s->nfree];
}

static void slot_free(Sel *s, int n)
{
    s->freelist[s->nfree++] = (uint16_t)n;
}

/* The env offset of a non-const temp. */
static uintptr_t temp_offset(Sel *s, IRTemp t)
{
    const IRTempInfo *ti = &s->f->temps[t];
    if (ti->kind == IR_TEMP_GLOBAL)
        return (uintptr_t)(intptr_t)ti->env_offset;
    if (s->slot[t] < 0)
        s->slot[t] = slot_alloc(s);
    return CPU_FRAME_OFFSET(s->slot[t]);
}

static void free_dead(Sel *s, uint32_t pos_first, uint32_t pos_last)
{
    for (uint32_t p = pos_first; p <= pos_last; p++) {
        const IROp *op = &s->ops[p];
        for (unsigned j = 0; j < (unsigned)(op->nout + op->nin); j++) {
            IRTemp t = (IRTemp)op->args[j];
            if (s->slot[t] >= 0 && !s->longlived[t] && s->last[t] <= pos_last) {
                slot_free(s, s->slot[t]);
                s->slot[t] = -1;
            }
        }
    }
}

/* ---- operands ------------------------------------------------------------------ */

static bool imm_fits(const IRTempInfo *ti)
{
    if (ti->type == IR_I32)
        return true;
    return (uint64_t)(int64_t)(intptr_t)(uintptr_t)ti->val == ti->val;
}

/* Load a constant temp into a scratch slot; returns its env offset. The
 * scratch slot is freed after the instruction that uses it. */
static uintptr_t preload_const(Sel *s, IRTemp t, int *scratch, int *nscratch)
{
    const IRTempInfo *ti = &s->f->temps[t];
    int n = slot_alloc(s);
    uintptr_t off = CPU_FRAME_OFFSET(n);
    scratch[(*nscratch)++] = n;
    if (ti->type == IR_I32) {
        bc_emit_op(&s->e, BC_movi_i32);
        bc_emit_word(&s->e, off);
        bc_emit_word(&s->e, (BCWord)(uint32_t)ti->val);
    } else if (imm_fits(ti)) {
        bc_emit_op(&s->e, BC_movi_i64);
        bc_emit_word(&s->e, off);
        bc_emit_word(&s->e, (BCWord)(uintptr_t)ti->val);
    } else {
        bc_emit_op(&s->e, BC_movi_i64w);
        bc_emit_word(&s->e, off);
        bc_emit_word(&s->e, (BCWord)(uint32_t)ti->val);
        bc_emit_word(&s->e, (BCWord)(uint32_t)(ti->val >> 32));
    }
    return off;
}

/* ---- pattern matching --------------------------------------------------------- */

typedef struct Match {
    uint64_t var[BC_VAR_MAX];
    bool bound[BC_VAR_MAX];
    uint32_t nops;
} Match;

static bool match_row(Sel *s, const BCInfo *bi, uint32_t pos, bool const_in_r, Match *m)
{
    const char *kinds = bi->fmt + 1;
    size_t nkinds = strlen(kinds);
    memset(m->bound, 0, sizeof(m->bound));
    uint32_t k;
    for (k = 0; k < BC_PAT_MAX && bi->pat[k].opc != IR_nop; k++) {
        const BCPatOp *pat = &bi->pat[k];
        if (pos + k >= s->nops)
            return false;
        const IROp *op = &s->ops[pos + k];
        if (op->opc != pat->opc || (pat->type != BC_ANY && op->type != pat->type))
            return false;
        unsigned ntemp = op->nout + op->nin, n = ntemp + op->ncon;
        for (unsigned j = 0; j < n; j++) {
            int a = pat->args[j];
            uint64_t v = op->args[j];
            bool is_temp = j < ntemp;
            if (a & 0x100) {
                if (is_temp || v != (uint64_t)(a & 0xff))
                    return false;
                continue;
            }
            if ((size_t)a >= nkinds)
                pemu_abort("bytecode.def: %s: operand %d has no format letter", bi->name, a);
            if (m->bound[a]) {
                if (m->var[a] != v)
                    return false;
                continue;
            }
            const IRTempInfo *ti = is_temp ? &s->f->temps[v] : NULL;
            switch (kinds[a]) {
            case 'r':
                if (!is_temp)
                    return false;
                if (ti->kind == IR_TEMP_CONST && (!const_in_r || j < op->nout))
                    return false;
                break;
            case 'i':
                if (!is_temp || ti->kind != IR_TEMP_CONST || !imm_fits(ti))
                    return false;
                break;
            case 'c': case 'L': case 'm':
                if (is_temp)
                    return false;
                break;
            default:
                return false;
            }
            m->bound[a] = true;
            m->var[a] = v;
        }
    }
    if (k > 1 && !fusion_on)
        return false;
    m->nops = k;
    return true;
}

static void emit_match(Sel *s, BCOpcode bc, const Match *m)
{
    const char *kinds = bc_info[bc].fmt + 1;
    size_t n = strlen(kinds);
    BCWord w[BC_VAR_MAX];
    int scratch[BC_VAR_MAX], nscratch = 0;
    bool is_label[BC_VAR_MAX] = { false };
    for (size_t i = 0; i < n; i++) {
        uint64_t v = m->var[i];
        switch (kinds[i]) {
        case 'r': {
            const IRTempInfo *ti = &s->f->temps[v];
            w[i] = ti->kind == IR_TEMP_CONST ? preload_const(s, (IRTemp)v, scratch, &nscratch)
                                             : temp_offset(s, (IRTemp)v);
            break;
        }
        case 'i':
            w[i] = (BCWord)(uintptr_t)s->f->temps[v].val;
            break;
        case 'c':
            w[i] = (BCWord)(uintptr_t)v;
            break;
        case 'L':
            is_label[i] = true;
            w[i] = (BCWord)v;
            break;
        case 'm':
            if (v >= CPU_MMU_MODES)
                pemu_abort("interp: mmu index %llu out of range", (unsigned long long)v);
            w[i] = TLB_TABLE_OFFSET(v);
            break;
        default:
            pemu_abort("bytecode.def: %s: format letter '%c' not from a pattern",
                       bc_info[bc].name, kinds[i]);
        }
    }
    bc_emit_op(&s->e, bc);
    for (size_t i = 0; i < n; i++) {
        if (is_label[i])
            bc_emit_label_ref(&s->e, (uint32_t)w[i]);
        else
            bc_emit_word(&s->e, w[i]);
    }
    for (int i = 0; i < nscratch; i++)
        slot_free(s, scratch[i]);
}

/* Select one group starting at pos; returns the number of IR ops it covered. */
static uint32_t select_pattern(Sel *s, uint32_t pos)
{
    unsigned opc = s->ops[pos].opc;
    Match m;
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned r = 0; r < nrows_by_opc[opc]; r++) {
            uint16_t bc = rows_by_opc[opc][r];
            if (match_row(s, &bc_info[bc], pos, pass == 1, &m)) {
                emit_match(s, (BCOpcode)bc, &m);
                return m.nops;
            }
        }
    }
    pemu_abort("interp: no bytecode for IR op %s (type %d)", ir_op_defs[opc].name,
               s->ops[pos].type);
}

/* ---- special ops ---------------------------------------------------------------- */

static void emit_movi(Sel *s, IRType t, IRTemp d, uint64_t v)
{
    uintptr_t off = temp_offset(s, d);
    bc_emit_op(&s->e, t == IR_I32 ? BC_movi_i32 : BC_movi_i64w);
    bc_emit_word(&s->e, off);
    bc_emit_word(&s->e, (BCWord)(uint32_t)v);
    if (t != IR_I32)
        bc_emit_word(&s->e, (BCWord)(uint32_t)(v >> 32));
}

static void emit_call(Sel *s, const IROp *op)
{
    const IRHelperInfo *h = (const IRHelperInfo *)(uintptr_t)op->args[op->nout + op->nin];
    unsigned nin = op->nin;
    int scratch[IR_CALL_MAX_ARGS + 1], nscratch = 0;
    BCWord args[IR_CALL_MAX_ARGS], mask = 0;
    if (nin > IR_CALL_MAX_ARGS || nin != h->nargs)
        pemu_abort("interp: call %s with %u args", h->name, nin);
    for (unsigned i = 0; i < nin; i++) {
        IRTemp t = (IRTemp)op->args[op->nout + i];
        const IRTempInfo *ti = &s->f->temps[t];
        args[i] = ti->kind == IR_TEMP_CONST ? preload_const(s, t, scratch, &nscratch)
                                            : temp_offset(s, t);
        if (ti->type == IR_I64)
            mask |= (BCWord)1 << i;
    }
    BCOpcode bc;
    if (!op->nout)
        bc = (BCOpcode)(BC_call0_v + nin);
    else if (s->f->temps[op->args[0]].type == IR_I32)
        bc = (BCOpcode)(BC_call0_32 + nin);
    else
        bc = (BCOpcode)(BC_call0_64 + nin);
    uintptr_t out = op->nout ? temp_offset(s, (IRTemp)op->args[0]) : 0;
    bc_emit_op(&s->e, bc);
    bc_emit_word(&s->e, (BCWord)h);
    bc_emit_word(&s->e, mask);
    if (op->nout)
        bc_emit_word(&s->e, out);
    for (unsigned i = 0; i < nin; i++)
        bc_emit_word(&s->e, args[i]);
    for (int i = 0; i < nscratch; i++)
        slot_free(s, scratch[i]);
}

/* Canonical forms the rows expect: trivial conditions and memop spellings. */
static void canonicalize(IROp *op)
{
    unsigned mo;
    switch (op->opc) {
    case IR_brcond:
        if (op->args[2] == IR_COND_ALWAYS) {
            op->opc = IR_br;
            op->args[0] = op->args[3];
            op->nin = 0;
            op->ncon = 1;
        } else if (op->args[2] == IR_COND_NEVER) {
            op->opc = IR_nop;
        }
        break;
    case IR_movcond:
        if (op->args[5] == IR_COND_ALWAYS || op->args[5] == IR_COND_NEVER) {
            uint64_t v = op->args[5] == IR_COND_ALWAYS ? op->args[3] : op->args[4];
            op->opc = IR_mov;
            op->args[1] = v;
            op->nin = 1;
            op->ncon = 0;
        }
        break;
    case IR_qemu_ld: case IR_ld_env: /* d, addr/offset, memop, ... */
        mo = (unsigned)op->args[2];
        if (op->opc == IR_ld_env)
            mo &= ~(unsigned)IR_MO_ADDR32;
        if ((mo & IR_MO_SIZE) == (op->type == IR_I32 ? IR_MO_32 : IR_MO_64))
            mo &= ~(unsigned)IR_MO_SIGN;
        op->args[2] = mo;
        break;
    case IR_qemu_st: case IR_st_env: /* value, addr/offset, memop, ... */
        mo = (unsigned)op->args[2] & ~(unsigned)IR_MO_SIGN;
        if (op->opc == IR_st_env)
            mo &= ~(unsigned)IR_MO_ADDR32;
        op->args[2] = mo;
        break;
    default:
        break;
    }
}

static void check_bitfield(const IROp *op)
{
    unsigned width = op->type == IR_I32 ? 32 : 64;
    uint64_t pos = op->args[op->opc == IR_deposit ? 3 : 2];
    uint64_t len = op->args[op->opc == IR_deposit ? 4 : 3];
    if (len == 0 || pos >= width || len > width || pos + len > width)
        pemu_abort("interp: %s pos %llu len %llu out of range for i%u", ir_op_defs[op->opc].name,
                   (unsigned long long)pos, (unsigned long long)len, width);
}

/* ---- the block ---------------------------------------------------------------------- */

long interp_lower(const IRFunc *f, TranslationBlock *tb, uint8_t *buf, size_t cap)
{
    Sel s;
    rows_init();
    memset(&s, 0, sizeof(s));
    s.f = f;
    s.tb = tb;
    InterpDispatch d = interp_get_dispatch();

    s.ops = malloc((f->nops ? f->nops : 1) * sizeof(*s.ops));
    s.last = calloc(f->ntemps ? f->ntemps : 1, sizeof(*s.last));
    s.longlived = calloc(f->ntemps ? f->ntemps : 1, 1);
    s.slot = malloc((f->ntemps ? f->ntemps : 1) * sizeof(*s.slot));
    uint32_t *first = malloc((f->ntemps ? f->ntemps : 1) * sizeof(*first));
    uint32_t *firstbb = malloc((f->ntemps ? f->ntemps : 1) * sizeof(*firstbb));
    s.label_pos = malloc((f->nlabels ? f->nlabels : 1) * sizeof(*s.label_pos));
    s.backward = calloc(f->nlabels ? f->nlabels : 1, 1);
    if (!s.ops || !s.last || !s.longlived || !s.slot || !first || !firstbb || !s.label_pos ||
        !s.backward)
        pemu_abort("out of memory");

    /* Canonical copies, nops dropped. */
    for (uint32_t i = 0; i < f->nops; i++) {
        IROp op = f->ops[i];
        if (op.opc == IR_nop)
            continue;
        canonicalize(&op);
        if (op.opc == IR_nop)
            continue;
        if (op.opc == IR_deposit || op.opc == IR_extract || op.opc == IR_sextract)
            check_bitfield(&op);
        s.ops[s.nops++] = op;
    }

    /* Temp ranges, basic blocks, labels. */
    for (uint32_t t = 0; t < f->ntemps; t++) {
        s.slot[t] = -1;
        first[t] = UINT32_MAX;
        s.longlived[t] = f->temps[t].kind == IR_TEMP_LOCAL;
    }
    for (uint32_t l = 0; l < f->nlabels; l++)
        s.label_pos[l] = UINT32_MAX;
    uint32_t bb = 0;
    for (uint32_t p = 0; p < s.nops; p++) {
        const IROp *op = &s.ops[p];
        if (op->opc == IR_set_label) {
            if (op->args[0] >= f->nlabels)
                pemu_abort("interp: label %llu out of range", (unsigned long long)op->args[0]);
            s.label_pos[op->args[0]] = p;
            bb++;
        }
        for (unsigned j = 0; j < (unsigned)(op->nout + op->nin); j++) {
            IRTemp t = (IRTemp)op->args[j];
            if (t >= f->ntemps)
                pemu_abort("interp: temp %u out of range", t);
            if (first[t] == UINT32_MAX) {
                first[t] = p;
                firstbb[t] = bb;
            } else if (firstbb[t] != bb) {
                s.longlived[t] = 1;
            }
            s.last[t] = p;
        }
        if (ir_op_defs[op->opc].flags & IRF_BB_END)
            bb++;
    }
    for (uint32_t p = 0; p < s.nops; p++) {
        const IROp *op = &s.ops[p];
        uint64_t label;
        if (op->opc == IR_br)
            label = op->args[0];
        else if (op->opc == IR_brcond)
            label = op->args[3];
        else
            continue;
        if (label >= f->nlabels || s.label_pos[label] == UINT32_MAX)
            pemu_abort("interp: branch to undefined label %llu", (unsigned long long)label);
        if (s.label_pos[label] < p)
            s.backward[label] = 1;
    }

    for (int i = CPU_FRAME_SLOTS - 1; i >= 0; i--)
        s.freelist[s.nfree++] = (uint16_t)i;

    size_t cap_words = cap / sizeof(BCWord);
    bc_emit_init(&s.e, (BCWord *)(void *)buf, cap_words, f->nlabels, d);
    tb->jmp_slot[0] = tb->jmp_slot[1] = 0;
    tb->jmp_reset[0] = tb->jmp_reset[1] = 0;

    bool ended = false; /* the last instruction never falls through */
    for (uint32_t p = 0; p < s.nops && !s.too_big;) {
        const IROp *op = &s.ops[p];
        uint32_t n = 1;
        ended = false;
        switch (op->opc) {
        case IR_insn_start:
            bc_emit_insn_start(&s.e, op->args[0], op->args[1]);
            break;
        case IR_set_label:
            bc_emit_label_def(&s.e, (uint32_t)op->args[0]);
            if (s.backward[op->args[0]])
                bc_emit_op(&s.e, BC_check_exit);
            break;
        case IR_discard:
            break;
        case IR_goto_tb: {
            unsigned slot = (unsigned)op->args[0];
            if (slot > 1)
                pemu_abort("interp: goto_tb slot %u", slot);
            size_t at = bc_emit_op(&s.e, BC_goto_tb);
            BCWord next = (BCWord)(s.e.buf + at + BCLEN_goto_tb);
            bc_emit_word(&s.e, next);
            tb->jmp_slot[slot] = (uintptr_t)(s.e.buf + at + 1);
            tb->jmp_reset[slot] = next;
            break;
        }
        case IR_exit_tb:
            bc_emit_op(&s.e, BC_exit_tb);
            bc_emit_word(&s.e, (BCWord)tb);
            bc_emit_word(&s.e, (BCWord)op->args[0]);
            ended = true;
            break;
        case IR_goto_lookup:
            bc_emit_op(&s.e, BC_goto_lookup);
            bc_emit_word(&s.e, (BCWord)tb);
            ended = true;
            break;
        case IR_call:
            emit_call(&s, op);
            break;
        case IR_setcond:
            if (op->args[3] == IR_COND_ALWAYS || op->args[3] == IR_COND_NEVER) {
                emit_movi(&s, (IRType)op->type, (IRTemp)op->args[0], op->args[3] == IR_COND_ALWAYS);
                break;
            }
            n = select_pattern(&s, p);
            break;
        case IR_mov:
            if (op->args[0] == op->args[1])
                break;
            /* fall through */
        default:
            if (op->opc == IR_mov && f->temps[op->args[1]].kind == IR_TEMP_CONST &&
                !imm_fits(&f->temps[op->args[1]])) {
                emit_movi(&s, (IRType)op->type, (IRTemp)op->args[0], f->temps[op->args[1]].val);
                break;
            }
            n = select_pattern(&s, p);
            ended = op->opc == IR_br;
            break;
        }
        free_dead(&s, p, p + n - 1);
        p += n;
    }
    /* Never run off the end of the block (e.g. an unlinked goto_tb last). */
    if (!ended) {
        bc_emit_op(&s.e, BC_exit_tb);
        bc_emit_word(&s.e, (BCWord)tb);
        bc_emit_word(&s.e, BACKEND_EXIT_NOCHAIN);
    }

    long ret;
    if (s.too_big) {
        ret = BACKEND_LOWER_TOO_BIG;
    } else if (!bc_emit_finish(&s.e)) {
        pemu_abort("interp: branch to a label that was never set");
    } else {
        size_t code_bytes = s.e.n * sizeof(BCWord);
        size_t total = code_bytes + s.e.side_n;
        if (s.e.overflow || total > cap) {
            ret = BACKEND_LOWER_NO_SPACE;
        } else {
            if (s.e.side_n)
                memcpy(buf + code_bytes, s.e.side, s.e.side_n);
            tb->code = buf;
            tb->code_size = (uint32_t)code_bytes;
            tb->side = buf + code_bytes;
            tb->side_size = s.e.side_n;
            tb->cflags = (tb->cflags & ~(uint32_t)TB_CF_DISPATCH) |
                         (d == INTERP_DISPATCH_GOTO ? TB_CF_DISPATCH : 0);
            ret = (long)total;
        }
    }
    bc_emit_free(&s.e);
    free(s.ops);
    free(s.last);
    free(s.longlived);
    free(s.slot);
    free(first);
    free(firstbb);
    free(s.label_pos);
    free(s.backward);
    return ret;
}

static long backend_lower(const struct IRFunc *f, struct TranslationBlock *tb, uint8_t *buf,
                          size_t cap)
{
    return interp_lower(f, tb, buf, cap);
}

const TBBackend interp_backend = {
    .name = "interp",
    .lower = backend_lower,
    .exec = interp_exec,
    .link = interp_link,
    .unlink = interp_unlink,
    .restore_state = interp_restore_state,
    .insn_index = interp_insn_index,
    .print = interp_print,
};
