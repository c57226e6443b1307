/*
 * -d bytecode: what instruction selection produced, one instruction per
 * line, with the guest instruction boundaries from the side table:
 *
 *   ---- 0x401000 cc=0x3
 *   0000: add_i32_rr_cc2 eax, eax, ebx, cc_src, cc_dst
 *   0006: brcond_i32_ne_ri ecx, $0x0, @0012
 *
 * r operands print as the global's name (when the IRFunc is given), fN
 * for frame slot N, or env+0xOFF.
 */
#include "interp/interp.h"

#include <inttypes.h>
#include <stdlib.h>
#include "interp/ldst.h"

typedef struct SideRec {
    uint32_t off;
    uint64_t pc, data;
} SideRec;

typedef struct SideVec {
    SideRec *r;
    uint32_t n, cap;
} SideVec;

static int collect(void *opaque, uint32_t off, uint64_t pc, uint64_t data)
{
    SideVec *v = opaque;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 32;
        SideRec *r = realloc(v->r, v->cap * sizeof(*r));
        if (!r)
            return 1;
        v->r = r;
    }
    v->r[v->n++] = (SideRec){ off, pc, data };
    return 0;
}

static void print_env(FILE *out, const IRFunc *f, uintptr_t off)
{
    if (f) {
        for (uint32_t t = 0; t < f->nglobals; t++)
            if ((uintptr_t)(intptr_t)f->temps[t].env_offset == off && f->temps[t].name) {
                fputs(f->temps[t].name, out);
                return;
            }
    }
    uintptr_t rel = off - (uintptr_t)offsetof(CPUState, frame);
    if (rel < (uintptr_t)CPU_FRAME_SLOTS * 8 && rel % 8 == 0)
        fprintf(out, "f%u", (unsigned)(rel / 8));
    else
        fprintf(out, "env+0x%" PRIxPTR, off);
}

static void print_target(FILE *out, const TranslationBlock *tb, BCWord w)
{
    const BCWord *code = tb->code;
    if (w >= (BCWord)code && w < (BCWord)code + tb->code_size)
        fprintf(out, "@%04u", (unsigned)((w - (BCWord)code) / sizeof(BCWord)));
    else
        fprintf(out, "->%p", (void *)w);
}

void interp_print(FILE *out, const TranslationBlock *tb, const IRFunc *f)
{
    InterpDispatch d = (tb->cflags & TB_CF_DISPATCH) ? INTERP_DISPATCH_GOTO : INTERP_DISPATCH_SWITCH;
    const BCWord *code = tb->code;
    size_t n = tb->code_size / sizeof(BCWord);
    SideVec sv = { NULL, 0, 0 };
    bc_side_walk(tb->side, tb->side_size, collect, &sv);
    uint32_t si = 0;

    fprintf(out, "bytecode (%s) pc=0x%" PRIx64 ": %zu words, %u guest insns\n",
            interp_dispatch_name(d), tb->pc, n, sv.n);
    for (size_t o = 0; o < n;) {
        for (; si < sv.n && sv.r[si].off <= o; si++)
            fprintf(out, " ---- 0x%" PRIx64 " 0x%" PRIx64 "\n", sv.r[si].pc, sv.r[si].data);
        int op = interp_word_opcode(d, code[o]);
        if (op < 0) {
            fprintf(out, "%04zu: ??? 0x%" PRIxPTR "\n", o, code[o]);
            break;
        }
        const char *kinds = bc_info[op].fmt + 1;
        fprintf(out, "%04zu: %s", o, bc_info[op].name);
        for (unsigned i = 0; kinds[i]; i++) {
            BCWord w = code[o + 1 + i];
            fputs(i ? ", " : " ", out);
            switch (kinds[i]) {
            case 'r':
                print_env(out, f, w);
                break;
            case 'i':
                fprintf(out, "$0x%" PRIxPTR, w);
                break;
            case 'c':
            case 'M':
                fprintf(out, "0x%" PRIxPTR, w);
                break;
            case 'L':
            case 'N':
                print_target(out, tb, w);
                break;
            case 'm':
                fprintf(out, "mmu%u", TLB_IDX(w));
                break;
            case 'h':
                fputs(((const IRHelperInfo *)w)->name, out);
                break;
            case 'T':
                fputs("tb", out);
                break;
            default:
                fprintf(out, "?0x%" PRIxPTR, w);
                break;
            }
        }
        fputc('\n', out);
        o += strlen(bc_info[op].fmt);
    }
    for (; si < sv.n; si++)
        fprintf(out, " ---- 0x%" PRIx64 " 0x%" PRIx64 "\n", sv.r[si].pc, sv.r[si].data);
    free(sv.r);
}
