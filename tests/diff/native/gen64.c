/*
 * Mode-64 case generator of the differential tester (gen64_case, called by
 * gen_case for mode 64). Its own small encoder with REX prefixes, kept apart
 * from gen.c's 16/32-bit form table.
 *
 * Register roles (so that every access stays in the data area):
 *   rsp          the stack, in the data area (push/pop/call change it)
 *   rbx, r12     data pointers, never written
 *   r14          a small index (0..63), never written
 *   the others   random 64-bit values, written freely
 * Memory operands: [rbx/r12 + disp8/disp32], [rbx + r14*s + disp],
 * [ebx + disp] (67: 32-bit address), [rip + disp32] aimed into the data
 * area; LEA may use any registers (nothing is accessed).
 *
 * Undefined flags follow gen.c's table (64-bit shift counts are masked with
 * 63); an instruction that reads flags (adc, sbb, rcl/rcr, setcc, cmovcc,
 * jcc, lahf, cmc) is not generated after one that left any undefined.
 * Not generated: 32-bit bsf/bsr (a zero source leaves the upper half of the
 * destination vendor-specific), 16-bit shld/shrd with counts above 16,
 * string instructions, far transfers, anything invalid in 64-bit mode
 * (its bytes are REX prefixes or #UD, covered by the guest tests).
 */
#include "gen.h"

#include <stdio.h>
#include <string.h>

#include "ports/host.h"

typedef struct G64 {
    uint64_t s;
    Case *c;
    int code;           /* code bytes so far (earlier slots) */
    uint32_t poison;    /* flags left undefined so far */
    uint8_t b[CASE_MAX_INSN_BYTES];
    int n;
    int rip_disp;       /* offset of a RIP-relative disp32 in b, or -1 */
    int rip_target;     /* its data-area offset */
    uint32_t undef;
    int force_rex;
    char name[48];
} G64;

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { CF = 1, PF = 4, AF = 16, ZF = 64, SF = 128, OF = 2048 };
#define ALLF (CF | PF | AF | ZF | SF | OF)

static uint64_t rnd(G64 *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(G64 *g, uint32_t n)
{
    return (uint32_t)(rnd(g) % n);
}

static int chance(G64 *g, int pct)
{
    return below(g, 100) < (uint32_t)pct;
}

static uint64_t edge64(G64 *g)
{
    static const uint64_t e[] = { 0, 1, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                  0xffffffffull, 0x80000000ull, 0x7fffffffull, 0x100000000ull,
                                  0xffffffff80000000ull, 0xffffull, 0x8000ull, 0xff, 0x80, 2 };
    if (chance(g, 50))
        return rnd(g);
    if (chance(g, 30))
        return 1ull << below(g, 64);
    return e[below(g, PEMU_ARRAY_SIZE(e))];
}

/* Registers an instruction may write. */
static const uint8_t freeregs[] = { RAX, RCX, RDX, RSI, RDI, RBP, R8, R9, R10, R11, R13, R15 };

static int free_reg(G64 *g)
{
    return freeregs[below(g, PEMU_ARRAY_SIZE(freeregs))];
}

/* Any register as a source. */
static int any_reg(G64 *g)
{
    return (int)below(g, 16);
}

static void e8(G64 *g, uint64_t v)
{
    if (g->n < (int)sizeof(g->b))
        g->b[g->n++] = (uint8_t)v;
}

static void en(G64 *g, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        e8(g, v >> (8 * i));
}

/* An r/m operand: a register or a memory form. */
typedef struct Rm {
    int mem, reg;
    int a32;            /* 67 prefix */
    int base, index, scale, mod;
    int32_t disp;
    int rip;
} Rm;

static void rm_reg(Rm *o, int reg)
{
    memset(o, 0, sizeof(*o));
    o->reg = reg;
}

/* A memory operand of `size` bytes inside the data area (noacc: any address). */
static void rm_mem(G64 *g, Rm *o, int size, int noacc)
{
    memset(o, 0, sizeof(*o));
    o->mem = 1;
    o->index = -1;
    if (noacc) {
        o->base = chance(g, 10) ? -1 : any_reg(g);
        o->index = chance(g, 50) ? (int)below(g, 16) : -1;
        if (o->index == RSP)
            o->index = -1;
        o->scale = (int)below(g, 4);
        o->disp = (int32_t)rnd(g);
        o->mod = o->base < 0 ? 0 : (int)below(g, 3);
        if (o->mod == 1)
            o->disp = (int8_t)o->disp;
        if (o->mod == 0 && o->base >= 0 && (o->base & 7) != RBP)
            o->disp = 0;
        if (o->mod == 0 && o->base >= 0 && (o->base & 7) == RBP)
            o->mod = 1, o->disp = (int8_t)o->disp;
        o->a32 = chance(g, 15);
        if (o->base < 0 && chance(g, 30)) {
            o->rip = 1;
            o->index = -1;
        }
        return;
    }
    int span = (int)DIFF_DATA_SIZE - size - 0x100;
    switch (below(g, 5)) {
    case 0: /* [rip + disp32] */
        o->rip = 1;
        g->rip_target = 0x40 + (int)below(g, (uint32_t)span);
        return;
    case 1: /* [rbx + r14*s + disp8] */
        o->base = RBX;
        o->index = R14;
        o->scale = (int)below(g, 3);
        o->mod = 1;
        o->disp = (int32_t)below(g, 64);
        return;
    case 2: /* [ebx + disp32] */
        o->a32 = 1;
        /* fall through */
    default:
        o->base = chance(g, 50) ? RBX : R12;
        o->mod = chance(g, 50) ? 1 : 2;
        o->disp = o->mod == 1 ? (int32_t)below(g, 120) - 60 : (int32_t)below(g, 0x600) - 0x300;
        if (o->mod == 1 && o->disp == 0 && chance(g, 50))
            o->mod = 0;   /* [r12] needs a SIB, [rbx] none */
        return;
    }
}

/* A ModRM reg field that is an opcode extension (/digit), not a register. */
#define DG(x) ((x) | 0x100)

/*
 * Emit [66] [67] [REX] opcode modrm sib disp. size: operand size 1/2/4/8
 * (8: REX.W; 1: REX when a register 4..7 means spl..dil, high8 forces
 * none); g->force_rex: a byte source of movzx/movsx is spl..dil.
 */
static void emit_op(G64 *g, int size, const uint8_t *op, int oplen, int regf, const Rm *o, int high8)
{
    int rex = size == 8 ? 8 : 0;
    int needrex = g->force_rex;
    int digit = regf & 0x100;
    regf &= 0xff;
    g->force_rex = 0;
    if (regf >= 8)
        rex |= 4;
    if (o->mem) {
        if (o->base >= 8)
            rex |= 1;
        if (o->index >= 8)
            rex |= 2;
    } else if (o->reg >= 8) {
        rex |= 1;
    }
    if (size == 1 && !high8 && ((!digit && regf >= 4 && regf < 8) || (!o->mem && o->reg >= 4 && o->reg < 8)))
        needrex = 1;
    if (size == 2)
        e8(g, 0x66);
    if (o->mem && o->a32)
        e8(g, 0x67);
    if (rex || needrex)
        e8(g, 0x40 | rex);
    for (int i = 0; i < oplen; i++)
        e8(g, op[i]);
    int r = regf & 7;
    if (!o->mem) {
        e8(g, 0xc0 | r << 3 | (o->reg & 7));
        return;
    }
    if (o->rip) {
        e8(g, 0x05 | r << 3);
        g->rip_disp = g->n;
        en(g, (uint32_t)o->disp, 4);
        return;
    }
    if (o->base < 0) {      /* [index*s + disp32] or [disp32] via SIB */
        e8(g, 0x04 | r << 3);
        e8(g, o->scale << 6 | ((o->index < 0 ? RSP : o->index) & 7) << 3 | 5);
        en(g, (uint32_t)o->disp, 4);
        return;
    }
    int sib = o->index >= 0 || (o->base & 7) == RSP;
    e8(g, o->mod << 6 | r << 3 | (sib ? 4 : (o->base & 7)));
    if (sib)
        e8(g, o->scale << 6 | ((o->index < 0 ? RSP : o->index) & 7) << 3 | (o->base & 7));
    if (o->mod == 1)
        e8(g, (uint8_t)o->disp);
    else if (o->mod == 2)
        en(g, (uint32_t)o->disp, 4);
}

static int pick_size(G64 *g)
{
    static const int sz[] = { 8, 8, 8, 4, 4, 2, 1 };
    return sz[below(g, PEMU_ARRAY_SIZE(sz))];
}

/* A register r/m destination of the size (8-bit: sometimes AH..DH). */
static int dst_rm(G64 *g, Rm *o, int size, int *high8, int allow_mem)
{
    *high8 = 0;
    if (allow_mem && chance(g, 40)) {
        rm_mem(g, o, size, 0);
        return 0;
    }
    rm_reg(o, free_reg(g));
    if (size == 1 && o->reg < 3 && chance(g, 25)) {
        o->reg += 4;   /* ah ch dh (without REX) */
        *high8 = 1;
    }
    return 0;
}

static uint32_t shift_undef(int op, int bits, int count)
{
    if (count < 0)
        return (op >= 4 ? AF | OF : OF) | ((op == 4 || op == 5) && bits < 32 ? CF : 0);
    int m = count & (bits == 64 ? 63 : 31);
    if (m == 0)
        return 0;
    if (op < 4)
        return m == 1 ? 0 : OF;
    uint32_t u = m == 1 ? AF : AF | OF;
    if ((op == 4 || op == 5) && m >= bits)
        u |= CF;
    return u;
}

static const int cc_reads[8] = { OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF };

/* One instruction into g->b; 0, or -1 to pick again. */
static int gen_insn(G64 *g)
{
    Rm o;
    int hi = 0, size = pick_size(g);
    uint8_t op[3];
    g->n = 0;
    g->rip_disp = -1;
    g->undef = 0;
    int reads = 0;
    switch (below(g, 24)) {
    case 0: case 1: case 2: { /* ALU: add or adc sbb and sub xor cmp */
        int a = (int)below(g, 8);
        if (a == 2 || a == 3)
            reads = CF;
        if (a == 1 || a == 4 || a == 6)
            g->undef = AF;
        int form = (int)below(g, 5), reg = free_reg(g);
        snprintf(g->name, sizeof(g->name), "alu%d/%d size %d", a, form, size);
        if (form == 0 || form == 1) {  /* Ev,Gv / Gv,Ev */
            op[0] = (uint8_t)(a << 3 | (form << 1) | (size != 1));
            if (form == 0)
                dst_rm(g, &o, size, &hi, 1);
            else if (chance(g, 50))
                rm_mem(g, &o, size, 0);
            else
                rm_reg(&o, any_reg(g));
            if (form == 0 || size != 1)
                reg = form == 0 ? any_reg(g) : reg;
            if (size == 1 && (hi || (!o.mem && o.reg >= 4 && o.reg < 8)) && (reg & ~3) == 4)
                reg &= 3;
            if (size == 1 && hi && reg >= 8)
                reg &= 3;
            if (size == 1 && form == 1 && reg == RBX)
                reg = RAX;
            emit_op(g, size, op, 1, reg, &o, hi);
        } else if (form == 2 || form == 3) { /* Ev,Ib / Ev,Iz */
            dst_rm(g, &o, size, &hi, 1);
            op[0] = size == 1 ? 0x80 : form == 2 ? 0x83 : 0x81;
            emit_op(g, size, op, 1, DG(a), &o, hi);
            en(g, rnd(g), size == 1 || form == 2 ? 1 : size == 2 ? 2 : 4);
        } else { /* AL/eAX, imm */
            op[0] = (uint8_t)(a << 3 | 4 | (size != 1));
            if (size == 2)
                e8(g, 0x66);
            if (size == 8)
                e8(g, 0x48);
            e8(g, op[0]);
            en(g, rnd(g), size == 1 ? 1 : size == 2 ? 2 : 4);
        }
        break;
    }
    case 3: { /* inc dec not neg test */
        int k = (int)below(g, 5);
        dst_rm(g, &o, size, &hi, 1);
        static const int dig[] = { 0, 1, 2, 3, 0 };
        op[0] = k < 2 ? (size == 1 ? 0xfe : 0xff) : (size == 1 ? 0xf6 : 0xf7);
        emit_op(g, size, op, 1, DG(dig[k]), &o, hi);
        if (k == 4) {
            en(g, rnd(g), size == 1 ? 1 : size == 2 ? 2 : 4);
            g->undef = AF;
        }
        snprintf(g->name, sizeof(g->name), "unary%d size %d", k, size);
        break;
    }
    case 4: case 5: { /* mul imul div idiv */
        int k = (int)below(g, 4);
        if (size == 1)
            size = 8;
        int pre = k >= 2 && chance(g, 70);
        if (pre) {       /* a dividend whose quotient often fits */
            if (k == 3) {
                if (size == 2)
                    e8(g, 0x66);
                if (size == 8)
                    e8(g, 0x48);
                e8(g, 0x99);   /* cwd/cdq/cqo */
            } else {
                e8(g, 0x31);
                e8(g, 0xd2);   /* xor edx, edx */
            }
        }
        if (chance(g, 50))
            rm_mem(g, &o, size, 0);
        else
            rm_reg(&o, any_reg(g));
        op[0] = 0xf7;
        emit_op(g, size, op, 1, DG(4 + k), &o, 0);
        g->undef = k < 2 ? SF | ZF | AF | PF : ALLF;
        snprintf(g->name, sizeof(g->name), "%s size %d", k == 0 ? "mul" : k == 1 ? "imul" : k == 2 ? "div" : "idiv", size);
        break;
    }
    case 6: { /* imul Gv,Ev / Gv,Ev,Ib / Gv,Ev,Iz */
        if (size == 1)
            size = 4;
        int k = (int)below(g, 3);
        if (chance(g, 40))
            rm_mem(g, &o, size, 0);
        else
            rm_reg(&o, any_reg(g));
        uint8_t o2[2] = { 0x0f, 0xaf };
        if (k == 0) {
            emit_op(g, size, o2, 2, free_reg(g), &o, 0);
        } else {
            op[0] = k == 1 ? 0x6b : 0x69;
            emit_op(g, size, op, 1, free_reg(g), &o, 0);
            en(g, rnd(g), k == 1 ? 1 : size == 2 ? 2 : 4);
        }
        g->undef = SF | ZF | AF | PF;
        snprintf(g->name, sizeof(g->name), "imul%d size %d", k + 2, size);
        break;
    }
    case 7: case 8: { /* shifts and rotates */
        int a;
        do
            a = (int)below(g, 8);
        while (a == 6);
        if (a == 2 || a == 3)
            reads = CF;
        int k = (int)below(g, 3), count = -1;
        dst_rm(g, &o, size, &hi, 1);
        op[0] = (uint8_t)((k == 0 ? 0xc0 : k == 1 ? 0xd0 : 0xd2) | (size != 1));
        emit_op(g, size, op, 1, DG(a), &o, hi);
        if (k == 0) {
            static const int counts[] = { 0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 255 };
            count = chance(g, 50) ? counts[below(g, PEMU_ARRAY_SIZE(counts))] : (int)below(g, 256);
            e8(g, (uint32_t)count);
        } else if (k == 1) {
            count = 1;
        }
        g->undef = shift_undef(a, size * 8, count);
        snprintf(g->name, sizeof(g->name), "shift%d/%d size %d", a, k, size);
        break;
    }
    case 9: { /* shld shrd */
        if (size == 1)
            size = 8;
        int right = (int)below(g, 2), cl = size != 2 && chance(g, 40), count = -1;
        dst_rm(g, &o, size, &hi, 1);
        uint8_t o2[2] = { 0x0f, (uint8_t)(0xa4 | right << 3 | cl) };
        emit_op(g, size, o2, 2, any_reg(g), &o, 0);
        if (!cl) {
            count = (int)below(g, size == 2 ? 17 : 256);
            e8(g, (uint32_t)count);
        }
        g->undef = shift_undef(4, 64, count) & ~CF;
        if (count < 0)
            g->undef = AF | OF;
        snprintf(g->name, sizeof(g->name), "sh%cd size %d", right ? 'r' : 'l', size);
        break;
    }
    case 10: { /* bt bts btr btc (register offset on a register; imm8 on memory too) */
        if (size == 1)
            size = 8;
        int k = (int)below(g, 4), imm = chance(g, 50);
        if (imm) {
            dst_rm(g, &o, size, &hi, 1);
            uint8_t o2[2] = { 0x0f, 0xba };
            emit_op(g, size, o2, 2, DG(4 + k), &o, 0);
            e8(g, rnd(g));
        } else {
            rm_reg(&o, free_reg(g));
            uint8_t o2[2] = { 0x0f, (uint8_t)(0xa3 | k << 3) };
            emit_op(g, size, o2, 2, any_reg(g), &o, 0);
        }
        g->undef = OF | SF | AF | PF;
        snprintf(g->name, sizeof(g->name), "bt%d size %d", k, size);
        break;
    }
    case 11: { /* bsf bsr (not 32-bit), movsx/movzx, movsxd */
        int k = (int)below(g, 4);
        if (k == 0) {
            size = chance(g, 70) ? 8 : 2;
            if (chance(g, 40))
                rm_mem(g, &o, size, 0);
            else
                rm_reg(&o, any_reg(g));
            uint8_t o2[2] = { 0x0f, (uint8_t)(0xbc | below(g, 2)) };
            emit_op(g, size, o2, 2, free_reg(g), &o, 0);
            g->undef = CF | OF | SF | AF | PF;
            snprintf(g->name, sizeof(g->name), "bsf/bsr size %d", size);
        } else if (k <= 2) {
            int src = chance(g, 50) ? 1 : 2, sx = (int)below(g, 2);
            if (size == 1)
                size = 8;
            if (chance(g, 40))
                rm_mem(g, &o, src, 0);
            else
                rm_reg(&o, any_reg(g));
            if (src == 1 && !o.mem && o.reg >= 4 && o.reg < 8 && chance(g, 50)) {
                /* ah..bh: no REX allowed */
                if (size == 8)
                    size = 4;
                hi = 1;
            }
            uint8_t o2[2] = { 0x0f, (uint8_t)(0xb6 | sx << 3 | (src == 2)) };
            int reg = free_reg(g);
            if (hi && reg >= 8)
                reg = RAX;
            /* a byte source 4..7 without hi is spl..dil: it needs a REX */
            g->force_rex = src == 1 && !hi && !o.mem && o.reg >= 4 && o.reg < 8;
            emit_op(g, size, o2, 2, reg, &o, 1);
            snprintf(g->name, sizeof(g->name), "mov%cx size %d from %d", sx ? 's' : 'z', size, src);
        } else {
            if (chance(g, 40))
                rm_mem(g, &o, 4, 0);
            else
                rm_reg(&o, any_reg(g));
            op[0] = 0x63;
            emit_op(g, chance(g, 80) ? 8 : 4, op, 1, free_reg(g), &o, 0);
            snprintf(g->name, sizeof(g->name), "movsxd");
        }
        break;
    }
    case 12: { /* setcc, cmovcc */
        int cc = (int)below(g, 16);
        reads = cc_reads[cc >> 1];
        if (chance(g, 50)) {
            dst_rm(g, &o, 1, &hi, 1);
            uint8_t o2[2] = { 0x0f, (uint8_t)(0x90 | cc) };
            emit_op(g, 1, o2, 2, DG(0), &o, hi);
            snprintf(g->name, sizeof(g->name), "setcc %d", cc);
        } else {
            if (size == 1)
                size = 4;
            if (chance(g, 40))
                rm_mem(g, &o, size, 0);
            else
                rm_reg(&o, any_reg(g));
            uint8_t o2[2] = { 0x0f, (uint8_t)(0x40 | cc) };
            emit_op(g, size, o2, 2, free_reg(g), &o, 0);
            snprintf(g->name, sizeof(g->name), "cmovcc %d size %d", cc, size);
        }
        break;
    }
    case 13: { /* mov forms */
        int k = (int)below(g, 5);
        if (k == 0) {          /* mov Ev,Gv */
            dst_rm(g, &o, size, &hi, 1);
            int reg = any_reg(g);
            if (size == 1 && (hi || (!o.mem && o.reg >= 4 && o.reg < 8) || o.mem) && reg >= 4)
                reg &= 3;
            op[0] = 0x88 | (size != 1);
            emit_op(g, size, op, 1, reg, &o, hi);
        } else if (k == 1) {   /* mov Gv,Ev */
            if (chance(g, 60))
                rm_mem(g, &o, size, 0);
            else
                rm_reg(&o, any_reg(g) & (size == 1 ? 3 : 15));
            op[0] = 0x8a | (size != 1);
            int reg = free_reg(g);
            if (size == 1 && reg >= 4 && reg < 8)
                reg = RAX;
            emit_op(g, size, op, 1, reg, &o, 0);
        } else if (k == 2) {   /* mov Ev,Iz */
            dst_rm(g, &o, size, &hi, 1);
            op[0] = 0xc6 | (size != 1);
            emit_op(g, size, op, 1, DG(0), &o, hi);
            en(g, rnd(g), size == 1 ? 1 : size == 2 ? 2 : 4);
        } else if (k == 3) {   /* mov r, imm (imm64 with REX.W) */
            int r = free_reg(g);
            if (size == 1 && r >= 4 && r < 8)
                r = RCX;
            if (size == 2)
                e8(g, 0x66);
            if (size == 8 || r >= 8)
                e8(g, 0x40 | (size == 8 ? 8 : 0) | (r >= 8));
            e8(g, (size == 1 ? 0xb0 : 0xb8) | (r & 7));
            en(g, edge64(g), size);
        } else {               /* lea, any addressing */
            if (size == 1)
                size = 8;
            rm_mem(g, &o, size, 1);
            op[0] = 0x8d;
            emit_op(g, size, op, 1, free_reg(g), &o, 0);
        }
        snprintf(g->name, sizeof(g->name), "mov%d size %d", k, size);
        break;
    }
    case 14: { /* xchg xadd cmpxchg */
        int k = (int)below(g, 4);
        dst_rm(g, &o, size, &hi, 1);
        int reg = free_reg(g);
        if (size == 1 && (hi || o.mem || (o.reg >= 4 && o.reg < 8)) && reg >= 4)
            reg = RAX + (int)below(g, 3);
        if (k == 3 && !o.mem) {   /* xchg rAX, r */
            if (size == 1)
                size = 8;
            int r = free_reg(g);
            if (size == 2)
                e8(g, 0x66);
            if (size == 8 || r >= 8)
                e8(g, 0x40 | (size == 8 ? 8 : 0) | (r >= 8));
            e8(g, 0x90 | (r & 7));
        } else if (k == 0 || k == 3) {
            op[0] = 0x86 | (size != 1);
            emit_op(g, size, op, 1, reg, &o, hi);
        } else {
            uint8_t o2[2] = { 0x0f, (uint8_t)((k == 1 ? 0xc0 : 0xb0) | (size != 1)) };
            if (o.mem && chance(g, 30))
                e8(g, 0xf0);
            emit_op(g, size, o2, 2, reg, &o, hi);
        }
        snprintf(g->name, sizeof(g->name), "xchg%d size %d", k, size);
        break;
    }
    case 15: { /* cmpxchg8b/16b */
        rm_mem(g, &o, 16, 0);
        uint8_t o2[2] = { 0x0f, 0xc7 };
        emit_op(g, chance(g, 70) ? 8 : 4, o2, 2, DG(1), &o, 0);
        snprintf(g->name, sizeof(g->name), "cmpxchg8b/16b");
        break;
    }
    case 16: { /* bswap, cbw/cwde/cdqe, cwd/cdq/cqo, lahf sahf clc stc cmc */
        int k = (int)below(g, 8);
        if (size == 1)
            size = 8;
        if (k == 0) {
            int r = free_reg(g);
            if (size == 2)
                size = 4;
            if (size == 8 || r >= 8)
                e8(g, 0x40 | (size == 8 ? 8 : 0) | (r >= 8));
            e8(g, 0x0f);
            e8(g, 0xc8 | (r & 7));
        } else if (k <= 2) {
            if (size == 2)
                e8(g, 0x66);
            if (size == 8)
                e8(g, 0x48);
            e8(g, k == 1 ? 0x98 : 0x99);
        } else {
            static const uint8_t b[] = { 0x9f, 0x9e, 0xf8, 0xf9, 0xf5 };
            e8(g, b[k - 3]);
            if (k == 3)
                reads = SF | ZF | AF | PF | CF;
            if (k == 7)
                reads = CF;
        }
        snprintf(g->name, sizeof(g->name), "misc%d size %d", k, size);
        break;
    }
    case 17: case 18: { /* push/pop */
        int k = (int)below(g, 5);
        int o16 = chance(g, 10);
        if (o16)
            e8(g, 0x66);
        if (k == 0) {          /* push r */
            int r = any_reg(g);
            if (r >= 8)
                e8(g, 0x41);
            e8(g, 0x50 | (r & 7));
        } else if (k == 1) {   /* pop r */
            int r = free_reg(g);
            if (r >= 8)
                e8(g, 0x41);
            e8(g, 0x58 | (r & 7));
        } else if (k == 2) {   /* push imm8 / imm32 */
            int b = chance(g, 50);
            e8(g, b ? 0x6a : 0x68);
            en(g, rnd(g), b ? 1 : o16 ? 2 : 4);
        } else if (k == 3) {   /* push Ev */
            g->n = 0;
            if (chance(g, 50))
                rm_mem(g, &o, 8, 0);
            else
                rm_reg(&o, any_reg(g));
            if (o16)
                e8(g, 0x66);
            op[0] = 0xff;
            emit_op(g, 4, op, 1, DG(6), &o, 0);
        } else {               /* pop Ev (memory) */
            g->n = 0;
            rm_mem(g, &o, 8, 0);
            if (o16)
                e8(g, 0x66);
            op[0] = 0x8f;
            emit_op(g, 4, op, 1, DG(0), &o, 0);
        }
        snprintf(g->name, sizeof(g->name), "stack%d%s", k, o16 ? " o16" : "");
        break;
    }
    case 19: { /* jcc/jmp/jrcxz over a 2-byte not; call next + pop */
        int k = (int)below(g, 4);
        if (k == 0) {
            int cc = (int)below(g, 16);
            reads = cc_reads[cc >> 1];
            e8(g, 0x70 | cc);
        } else if (k == 1) {
            e8(g, 0xeb);
        } else if (k == 2) {
            if (chance(g, 30))
                e8(g, 0x67);  /* jecxz */
            e8(g, 0xe3);
        }
        if (k < 3) {
            e8(g, 2);
            e8(g, 0xf7);
            e8(g, 0xd0 | (uint32_t)below(g, 3)); /* not eax/ecx/edx */
        } else {
            e8(g, 0xe8);
            en(g, 0, 4);
            int r = free_reg(g);
            if (r >= 8)
                e8(g, 0x41);
            e8(g, 0x58 | (r & 7));
        }
        snprintf(g->name, sizeof(g->name), "branch%d", k);
        break;
    }
    case 20: { /* RIP-relative loads and stores */
        int k = (int)below(g, 3);
        memset(&o, 0, sizeof(o));
        o.mem = 1;
        o.rip = 1;
        o.index = -1;
        g->rip_target = 0x40 + (int)below(g, DIFF_DATA_SIZE - 0x80);
        int reg = free_reg(g);
        if (size == 1 && reg >= 4 && reg < 8)
            reg = RDX;
        if (k == 0)
            op[0] = 0x8a | (size != 1);
        else if (k == 1)
            op[0] = 0x88 | (size != 1);
        else
            op[0] = 0x02 | (size != 1);   /* add Gv, [rip] */
        emit_op(g, size, op, 1, reg, &o, 0);
        snprintf(g->name, sizeof(g->name), "rip-rel%d size %d", k, size);
        break;
    }
    case 21: { /* rotates through carry by 1, adc/sbb on r64 with r8..r15 */
        int a = 2 + (int)below(g, 2);
        reads = CF;
        rm_reg(&o, free_reg(g));
        op[0] = 0xd1;
        emit_op(g, 8, op, 1, DG(a), &o, 0);
        snprintf(g->name, sizeof(g->name), "rc%c 1", a == 2 ? 'l' : 'r');
        break;
    }
    default: { /* nop forms, 0f 1f, ud2 */
        int k = (int)below(g, 3);
        if (k == 0) {
            e8(g, 0x90);
        } else if (k == 1) {
            rm_mem(g, &o, 8, 1);
            uint8_t o2[2] = { 0x0f, 0x1f };
            emit_op(g, 4, o2, 2, DG(0), &o, 0);
        } else {
            e8(g, 0x0f);
            e8(g, 0x0b);
        }
        snprintf(g->name, sizeof(g->name), "nop%d", k);
        break;
    }
    }
    if (reads & g->poison)
        return -1;
    if (g->n > CASE_MAX_INSN_BYTES - 1 || g->code + g->n > CASE_MAX_CODE - 1)
        return -1;
    if (g->rip_disp >= 0) {
        /* disp32 = target - address of the next instruction */
        int64_t next = (int64_t)DIFF_CODE_BASE + g->code + g->n;
        int64_t d = (int64_t)DIFF_DATA_BASE + g->rip_target - next;
        for (int i = 0; i < 4; i++)
            g->b[g->rip_disp + i] = (uint8_t)((uint64_t)d >> (8 * i));
    }
    return 0;
}

void gen64_case(Case *c, uint64_t seed, uint64_t index)
{
    G64 g;
    memset(c, 0, sizeof(*c));
    memset(&g, 0, sizeof(g));
    g.s = seed * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0xd1b54a32d192ed03ull ^ 64;
    rnd(&g);
    g.c = c;
    snprintf(c->id, sizeof(c->id), "64:%llu:%llu", (unsigned long long)seed,
             (unsigned long long)index);
    c->mode = 64;
    c->data_seed = (uint32_t)rnd(&g);
    c->eflags = 0x202 | ((uint32_t)rnd(&g) & ALLF);
    if (chance(&g, 4))
        c->eflags |= FL_AC;
    for (int i = 0; i < 16; i++)
        c->gpr[i] = edge64(&g);
    c->gpr[RBX] = DIFF_DATA_BASE + 0x100 + below(&g, 0x500);
    c->gpr[R12] = DIFF_DATA_BASE + 0x100 + below(&g, 0x500);
    c->gpr[R14] = below(&g, 64);
    c->gpr[RSP] = DIFF_DATA_BASE + 0xc00 + 8 * below(&g, 64) + (chance(&g, 10) ? below(&g, 8) : 0);
    int want = 1 + (int)below(&g, 4);
    for (int slot = 0; slot < want && c->ninsn < CASE_MAX_INSNS; slot++) {
        for (int tries = 0; tries < 50; tries++) {
            if (gen_insn(&g) < 0)
                continue;
            CaseInsn *in = &c->insn[c->ninsn++];
            in->len = (uint8_t)g.n;
            memcpy(in->bytes, g.b, (size_t)g.n);
            in->undef = g.undef;
            snprintf(in->form, sizeof(in->form), "%s", g.name);
            g.code += g.n;
            g.poison |= g.undef;
            break;
        }
    }
}
