/*
 * Bytecode encoding: words into the block's code buffer, label fixups,
 * the guest-instruction side table (and reading it back for precise
 * exceptions), and goto_tb slot patching for chaining.
 */
#include "interp/interp.h"

#include <stdlib.h>
#include <string.h>
#include "src/error.h"

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        pemu_abort("out of memory");
    return p;
}

void bc_emit_init(BCEmit *e, BCWord *buf, size_t cap_words, uint32_t nlabels, InterpDispatch d)
{
    memset(e, 0, sizeof(*e));
    e->buf = buf;
    e->cap = cap_words;
    e->dispatch = d;
    e->nlabels = nlabels;
    e->label_off = xrealloc(NULL, (nlabels ? nlabels : 1) * sizeof(*e->label_off));
    for (uint32_t i = 0; i < nlabels; i++)
        e->label_off[i] = UINT32_MAX;
}

void bc_emit_free(BCEmit *e)
{
    free(e->label_off);
    free(e->fix);
    free(e->side);
    e->label_off = NULL;
    e->fix = NULL;
    e->side = NULL;
}

void bc_emit_word(BCEmit *e, BCWord w)
{
    if (e->n < e->cap)
        e->buf[e->n] = w;
    else
        e->overflow = true;
    e->n++;
}

size_t bc_emit_op(BCEmit *e, BCOpcode op)
{
    size_t at = e->n;
    bc_emit_word(e, interp_handler_word(e->dispatch, op));
    return at;
}

void bc_emit_label_ref(BCEmit *e, uint32_t label)
{
    if (label >= e->nlabels)
        pemu_abort("interp: label %u out of range (%u labels)", label, e->nlabels);
    if (e->nfix == e->fix_cap) {
        e->fix_cap = e->fix_cap ? e->fix_cap * 2 : 16;
        e->fix = xrealloc(e->fix, e->fix_cap * sizeof(*e->fix));
    }
    e->fix[e->nfix].at = (uint32_t)e->n;
    e->fix[e->nfix].label = label;
    e->nfix++;
    bc_emit_word(e, 0);
}

void bc_emit_label_def(BCEmit *e, uint32_t label)
{
    if (label >= e->nlabels)
        pemu_abort("interp: label %u out of range (%u labels)", label, e->nlabels);
    e->label_off[label] = (uint32_t)e->n;
}

bool bc_emit_finish(BCEmit *e)
{
    for (uint32_t i = 0; i < e->nfix; i++) {
        uint32_t off = e->label_off[e->fix[i].label];
        if (off == UINT32_MAX)
            return false;
        if (!e->overflow)
            e->buf[e->fix[i].at] = (BCWord)(e->buf + off);
    }
    return true;
}

/* ---- side table ------------------------------------------------------------ */

static void side_byte(BCEmit *e, uint8_t b)
{
    if (e->side_n == e->side_cap) {
        e->side_cap = e->side_cap ? e->side_cap * 2 : 64;
        e->side = xrealloc(e->side, e->side_cap);
    }
    e->side[e->side_n++] = b;
}

static void side_uleb(BCEmit *e, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        side_byte(e, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static void side_sleb(BCEmit *e, int64_t v)
{
    for (;;) {
        uint8_t b = (uint8_t)(v & 0x7f);
        v = (int64_t)((uint64_t)v >> 7) | (v < 0 ? (int64_t)(~(uint64_t)0 << 57) : 0);
        if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
            side_byte(e, b);
            return;
        }
        side_byte(e, b | 0x80);
    }
}

void bc_emit_insn_start(BCEmit *e, uint64_t pc, uint64_t data)
{
    uint32_t off = (uint32_t)e->n;
    side_uleb(e, off - e->last_off);
    side_sleb(e, (int64_t)(pc - e->last_pc));
    side_sleb(e, (int64_t)(data - e->last_data));
    e->last_off = off;
    e->last_pc = pc;
    e->last_data = data;
    e->ninsns++;
}

static const uint8_t *read_uleb(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        if (p >= end || shift > 63)
            return NULL;
        b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    *v = r;
    return p;
}

static const uint8_t *read_sleb(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        if (p >= end || shift > 63)
            return NULL;
        b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        r |= ~(uint64_t)0 << shift;
    *v = r;
    return p;
}

int bc_side_walk(const uint8_t *side, uint32_t size,
                 int (*fn)(void *opaque, uint32_t off, uint64_t pc, uint64_t data), void *opaque)
{
    const uint8_t *p = side, *end = side + size;
    uint64_t off = 0, pc = 0, data = 0;
    while (p && p < end) {
        uint64_t d0, d1, d2;
        p = read_uleb(p, end, &d0);
        if (p)
            p = read_sleb(p, end, &d1);
        if (p)
            p = read_sleb(p, end, &d2);
        if (!p)
            return -1;
        off += d0;
        pc += d1;
        data += d2;
        int r = fn(opaque, (uint32_t)off, pc, data);
        if (r)
            return r;
    }
    return 0;
}

typedef struct RestoreFind {
    uint32_t target;
    bool found;
    uint64_t pc, data;
} RestoreFind;

static int restore_cb(void *opaque, uint32_t off, uint64_t pc, uint64_t data)
{
    RestoreFind *r = opaque;
    if (off > r->target)
        return 1;
    r->found = true;
    r->pc = pc;
    r->data = data;
    return 0;
}

typedef struct IndexFind {
    uint32_t target;
    int n;
} IndexFind;

static int index_cb(void *opaque, uint32_t off, uint64_t pc, uint64_t data)
{
    (void)pc;
    (void)data;
    IndexFind *r = opaque;
    if (off > r->target)
        return 1;
    r->n++;
    return 0;
}

int interp_insn_index(const TranslationBlock *tb, uintptr_t host_pc)
{
    uintptr_t code = (uintptr_t)tb->code;
    if (host_pc < code || host_pc >= code + tb->code_size)
        return -1;
    IndexFind r = { (uint32_t)((host_pc - code) / sizeof(BCWord)), 0 };
    bc_side_walk(tb->side, tb->side_size, index_cb, &r);
    return r.n - 1;
}

int interp_restore_state(const TranslationBlock *tb, uintptr_t host_pc, uint64_t data[2])
{
    uintptr_t code = (uintptr_t)tb->code;
    if (host_pc < code || host_pc >= code + tb->code_size)
        return -1;
    RestoreFind r = { (uint32_t)((host_pc - code) / sizeof(BCWord)), false, 0, 0 };
    bc_side_walk(tb->side, tb->side_size, restore_cb, &r);
    if (!r.found)
        return -1;
    data[0] = r.pc;
    data[1] = r.data;
    return 0;
}

/* ---- chaining ----------------------------------------------------------------- */

void interp_link(TranslationBlock *tb, int slot, TranslationBlock *dest)
{
    BCWord *w = (BCWord *)tb->jmp_slot[slot];
    *w = (BCWord)dest->code;
}

void interp_unlink(TranslationBlock *tb, int slot)
{
    BCWord *w = (BCWord *)tb->jmp_slot[slot];
    *w = (BCWord)tb->jmp_reset[slot];
}
