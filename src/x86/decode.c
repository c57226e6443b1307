/*
 * Table-driven x86 decoder. The rows of insn.def are indexed once at
 * start-up into per-opcode slots; decoding is then a prefix loop, one index
 * lookup (refined by prefix class, ModRM.mod/reg/rm where the opcode has
 * variants) and a walk over the row's operand specs.
 */
#include "src/x86/decode.h"
#include "ports/host.h"

const X86InsnRow x86_insn_rows[] = {
#define X86_INSN(map, o, s, m, OP, a, b, c, f, ft)                         \
    { m, X86_OP_##OP, s, { X86_OPD_##a, X86_OPD_##b, X86_OPD_##c }, f,   \
      map, (o), X86_FEAT_##ft },
#include "src/x86/insn.def"
};
const unsigned x86_insn_nrows = PEMU_ARRAY_SIZE(x86_insn_rows);

static const char *const op_names[] = {
#define X86_OP(name) #name,
#include "src/x86/insn.def"
};

const char *x86_op_name(unsigned op)
{
    return op < X86_OP_COUNT ? op_names[op] : "?";
}

/* The sel field of a row (see insn.def). */
#define SEL_PFX(s) ((s) & 7)          /* 0 any, 1 none, 2 66, 3 F3, 4 F2 */
#define SEL_MOD(s) (((s) >> 3) & 3)   /* 0 any, 1 memory, 2 register */
#define SEL_REG(s) (((s) >> 5) & 15)  /* 0 any, 8+n */
#define SEL_RM(s) (((s) >> 9) & 15)   /* 0 any, 8+n */

/*
 * The index. slot_idx[mode is 64][map * 256 + opcode] is 0 (invalid), a row
 * number + 1, or IDX_GROUP | g: then groups[g][prefix class][mod == 3][reg]
 * is 0, a row + 1, or IDX_RM | t: then rmtabs[t][rm] is 0 or a row + 1.
 * Prefix class: 0 none, 1 66, 2 F3, 3 F2.
 */
#define IDX_GROUP 0x8000
#define IDX_RM 0x4000
#define MAX_GROUPS 640
#define MAX_RMTABS 64

static uint16_t slot_idx[2][X86_NMAPS * 256];
static uint8_t slot_modrm[X86_NMAPS * 256];
static uint16_t groups[MAX_GROUPS][4][2][8];
static uint16_t rmtabs[MAX_RMTABS][8];
static unsigned ngroups, nrmtabs, table_errors;
static volatile int decode_ready;

/* Does an operand spec take its value from ModRM? */
static bool opd_uses_modrm(uint16_t spec)
{
    switch (X86_OPD_AM(spec)) {
    case X86_AM_E: case X86_AM_G: case X86_AM_M: case X86_AM_R:
    case X86_AM_S: case X86_AM_C: case X86_AM_D: case X86_AM_V:
    case X86_AM_W: case X86_AM_U: case X86_AM_P: case X86_AM_Q:
    case X86_AM_N: case X86_AM_STI:
        return true;
    }
    return false;
}

static bool row_uses_modrm(const X86InsnRow *r)
{
    return SEL_MOD(r->sel) || SEL_REG(r->sel) || SEL_RM(r->sel) ||
           opd_uses_modrm(r->opd[0]) || opd_uses_modrm(r->opd[1]) ||
           opd_uses_modrm(r->opd[2]);
}

/* Expand the rows of one slot into cells [pfx class][mod3][reg][rm]. */
static void fill_cells(uint16_t cells[4][2][8][8], const unsigned *rows,
                       unsigned n, bool m64)
{
    uint8_t prio[4][2][8][8];
    memset(cells, 0, sizeof(uint16_t) * 512);
    memset(prio, 0, sizeof(prio));
    for (unsigned k = 0; k < n; k++) {
        const X86InsnRow *r = &x86_insn_rows[rows[k]];
        if ((r->flags & X86_F_INV64) && m64)
            continue;
        if ((r->flags & X86_F_ONLY64) && !m64)
            continue;
        unsigned p = SEL_PFX(r->sel), md = SEL_MOD(r->sel);
        unsigned rg = SEL_REG(r->sel), rm = SEL_RM(r->sel);
        /* An exact prefix beats "any prefix"; equal claims are table bugs. */
        uint8_t pr = p ? 2 : 1;
        for (unsigned pc = 0; pc < 4; pc++) {
            if (p && p - 1 != pc)
                continue;
            for (unsigned m3 = 0; m3 < 2; m3++) {
                if (md && md - 1 != m3)
                    continue;
                for (unsigned g = 0; g < 8; g++) {
                    if (rg && rg - 8 != g)
                        continue;
                    for (unsigned x = 0; x < 8; x++) {
                        if (rm && rm - 8 != x)
                            continue;
                        if (prio[pc][m3][g][x] == pr)
                            table_errors++;
                        if (prio[pc][m3][g][x] <= pr) {
                            prio[pc][m3][g][x] = pr;
                            cells[pc][m3][g][x] = (uint16_t)(rows[k] + 1);
                        }
                    }
                }
            }
        }
    }
}

static uint16_t index_slot(const unsigned *rows, unsigned n, bool m64)
{
    uint16_t cells[4][2][8][8];
    fill_cells(cells, rows, n, m64);
    const uint16_t *flat = &cells[0][0][0][0];
    bool uniform = true;
    for (unsigned i = 1; i < 512 && uniform; i++)
        uniform = flat[i] == flat[0];
    if (uniform)
        return flat[0];
    if (ngroups == MAX_GROUPS) {
        table_errors++;
        return 0;
    }
    unsigned g = ngroups++;
    for (unsigned pc = 0; pc < 4; pc++)
        for (unsigned m3 = 0; m3 < 2; m3++)
            for (unsigned r = 0; r < 8; r++) {
                const uint16_t *v = cells[pc][m3][r];
                bool same = true;
                for (unsigned x = 1; x < 8; x++)
                    same = same && v[x] == v[0];
                if (same) {
                    groups[g][pc][m3][r] = v[0];
                    continue;
                }
                unsigned t;
                for (t = 0; t < nrmtabs; t++)
                    if (!memcmp(rmtabs[t], v, sizeof(rmtabs[t])))
                        break;
                if (t == nrmtabs) {
                    if (nrmtabs == MAX_RMTABS) {
                        table_errors++;
                        continue;
                    }
                    memcpy(rmtabs[nrmtabs++], v, sizeof(rmtabs[0]));
                }
                groups[g][pc][m3][r] = (uint16_t)(IDX_RM | t);
            }
    return (uint16_t)(IDX_GROUP | g);
}

void x86_decode_init(void)
{
    static unsigned order[2048], start[X86_NMAPS * 256 + 1];
    if (decode_ready)
        return;
    /* Counting sort of the rows by slot. */
    memset(start, 0, sizeof(start));
    for (unsigned i = 0; i < x86_insn_nrows; i++)
        start[x86_insn_rows[i].map * 256 + x86_insn_rows[i].opcode + 1]++;
    for (unsigned s = 0; s < X86_NMAPS * 256; s++)
        start[s + 1] += start[s];
    unsigned fillp[X86_NMAPS * 256];
    memcpy(fillp, start, sizeof(fillp));
    if (x86_insn_nrows > PEMU_ARRAY_SIZE(order)) {
        table_errors++;
        return;
    }
    for (unsigned i = 0; i < x86_insn_nrows; i++)
        order[fillp[x86_insn_rows[i].map * 256 + x86_insn_rows[i].opcode]++] = i;
    ngroups = nrmtabs = 0;
    for (unsigned s = 0; s < X86_NMAPS * 256; s++) {
        const unsigned *rows = &order[start[s]];
        unsigned n = start[s + 1] - start[s];
        bool modrm = false;
        for (unsigned k = 0; k < n; k++)
            modrm = modrm || row_uses_modrm(&x86_insn_rows[rows[k]]);
        slot_modrm[s] = modrm;
        slot_idx[0][s] = n ? index_slot(rows, n, false) : 0;
        slot_idx[1][s] = n ? index_slot(rows, n, true) : 0;
    }
    decode_ready = 1;
}

#if PEMU_GNUC
PEMU_CONSTRUCTOR static void decode_ctor(void)
{
    x86_decode_init();
}
#endif

unsigned x86_decode_table_errors(void)
{
    x86_decode_init();
    return table_errors;
}

/* Legacy prefix bytes: 1..6 segment (+1), 7 = 66, 8 = 67, 9 = F0, 10 = F2, 11 = F3. */
enum { PK_NONE, PK_SEG0, PK_OSIZE = 7, PK_ASIZE, PK_LOCK, PK_REPNE, PK_REP };
static const uint8_t prefix_kind[256] = {
    [0x26] = PK_SEG0 + X86_SEG_ES, [0x2e] = PK_SEG0 + X86_SEG_CS,
    [0x36] = PK_SEG0 + X86_SEG_SS, [0x3e] = PK_SEG0 + X86_SEG_DS,
    [0x64] = PK_SEG0 + X86_SEG_FS, [0x65] = PK_SEG0 + X86_SEG_GS,
    [0x66] = PK_OSIZE, [0x67] = PK_ASIZE, [0xf0] = PK_LOCK,
    [0xf2] = PK_REPNE, [0xf3] = PK_REP,
};

/* 16-bit addressing: base and index of ModRM.rm 0..7 (-1 none). */
static const int8_t ea16_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const int8_t ea16_index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned sh = 64 - 8 * bytes;
    return bytes >= 8 ? (int64_t)v : (int64_t)(v << sh) >> sh;
}

static uint64_t ld_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* A GPR operand; byte registers 4..7 are AH..BH unless a REX prefix is present. */
static void set_gpr(X86Operand *o, unsigned reg, unsigned size, bool rex)
{
    o->kind = X86_OPK_REG;
    o->size = (uint8_t)size;
    if (size == 1 && !rex && reg >= 4 && reg < 8) {
        o->cls = X86_RC_GPR8H;
        o->reg = (uint8_t)(reg - 4);
    } else {
        o->cls = X86_RC_GPR;
        o->reg = (uint8_t)reg;
    }
}

static void set_reg(X86Operand *o, unsigned cls, unsigned reg, unsigned size)
{
    o->kind = X86_OPK_REG;
    o->cls = (uint8_t)cls;
    o->reg = (uint8_t)reg;
    o->size = (uint8_t)size;
}

int x86_decode(X86Insn *out, const uint8_t *b, unsigned avail, X86Mode mode)
{
    const bool m64 = mode == X86_MODE_64;
    unsigned pos = 0, last_rep = 0, rex = 0;
    bool p66 = false, p67 = false;
    X86Insn *d = out;

    if (unlikely(!decode_ready))
        x86_decode_init();
    memset(d, 0, offsetof(X86Insn, bytes));
    d->seg_override = -1;
    d->mode = (uint8_t)mode;

/* Make sure n more bytes exist at pos: too long beats "need more". */
#define NEED(n)                                                          \
    do {                                                                 \
        if (pos + (n) > X86_MAX_INSN_LEN)                                \
            return X86_DEC_TOOLONG;                                      \
        if (pos + (n) > avail)                                           \
            return X86_DEC_MORE;                                         \
    } while (0)

    /* Prefixes. A REX prefix counts only immediately before the opcode. */
    for (;;) {
        NEED(1);
        uint8_t c = b[pos];
        unsigned k = prefix_kind[c];
        if (m64 && (c & 0xf0) == 0x40) {
            rex = c;
            pos++;
            continue;
        }
        if (!k)
            break;
        rex = 0;
        pos++;
        switch (k) {
        case PK_OSIZE: p66 = true; d->prefixes |= X86_PFX_OSIZE; break;
        case PK_ASIZE: p67 = true; d->prefixes |= X86_PFX_ASIZE; break;
        case PK_LOCK: d->lock = true; d->prefixes |= X86_PFX_LOCK; break;
        case PK_REPNE: last_rep = 0xf2; d->prefixes |= X86_PFX_REPNE; break;
        case PK_REP: last_rep = 0xf3; d->prefixes |= X86_PFX_REP; break;
        default:
            d->seg_override = (int8_t)(k - PK_SEG0);
            d->prefixes |= X86_PFX_SEG;
            break;
        }
    }
    d->npfx = (uint8_t)pos;
    d->rex = (uint8_t)rex;
    d->rex_w = rex & 8;
    d->rex_r = rex & 4;
    d->rex_x = rex & 2;
    d->rex_b = rex & 1;

    /* Opcode. */
    unsigned map = X86_MAP_1B, opc = b[pos++];
    if (opc == 0x0f) {
        NEED(1);
        opc = b[pos++];
        map = X86_MAP_0F;
        if (opc == 0x38 || opc == 0x3a) {
            map = opc == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            NEED(1);
            opc = b[pos++];
        }
    }
    d->map = (uint8_t)map;
    d->opcode = (uint8_t)opc;
    unsigned slot = map * 256 + opc;

    unsigned mod = 0, reg = 0, rm = 0;
    if (slot_modrm[slot]) {
        NEED(1);
        d->has_modrm = true;
        d->modrm = b[pos++];
        mod = d->modrm >> 6;
        reg = (d->modrm >> 3) & 7;
        rm = d->modrm & 7;
        d->mod = (uint8_t)mod;
        d->reg = (uint8_t)reg;
        d->rm = (uint8_t)rm;
    }

    /* Row selection. NOP 90 with REX.B is XCHG r8,rAX. */
    if (slot == 0x90 && (rex & 1))
        slot = 0x91;
    unsigned pc = last_rep == 0xf3 ? 2 : last_rep == 0xf2 ? 3 : p66 ? 1 : 0;
    unsigned e = slot_idx[m64][slot];
    if (e & IDX_GROUP) {
        e = groups[e & ~IDX_GROUP][pc][mod == 3][reg];
        if (e & IDX_RM)
            e = rmtabs[e & ~IDX_RM][rm];
    }
    if (!e)
        return X86_DEC_UD;
    const X86InsnRow *row = &x86_insn_rows[e - 1];
    d->row = row;
    d->op = row->op;
    d->flags = row->flags;

    /* A mandatory prefix is consumed by the row. */
    switch (SEL_PFX(row->sel)) {
    case 2: d->mandatory = 0x66; p66 = false; break;
    case 3: case 4: d->mandatory = (uint8_t)last_rep; last_rep = 0; break;
    }
    d->rep = (uint8_t)last_rep;

    /* Operand and address size. */
    unsigned osize, asize;
    if (m64) {
        if ((rex & 8) || (row->flags & X86_F_F64))
            osize = 8;
        else if (row->flags & X86_F_D64)
            osize = p66 ? 2 : 8;
        else
            osize = p66 ? 2 : 4;
        asize = p67 ? 4 : 8;
    } else {
        unsigned def = mode == X86_MODE_32 ? 4 : 2;
        osize = p66 ? 6 - def : def;
        asize = p67 ? 6 - def : def;
    }
    d->osize = (uint8_t)osize;
    d->asize = (uint8_t)asize;

    /* LOCK: only on lockable instructions with a memory destination. */
    if (d->lock && (!(row->flags & X86_F_LOCK) || mod == 3))
        return X86_DEC_UD;

    /* Memory operand: SIB, displacement. */
    X86Mem *mem = &d->mem;
    mem->base = mem->index = -1;
    if (d->has_modrm && mod != 3 && !(row->flags & X86_F_MODIGN)) {
        d->has_mem = true;
        unsigned dl = 0;
        bool ss = false;
        if (asize == 2) {
            if (mod == 0 && rm == 6) {
                dl = 2;
            } else {
                mem->base = ea16_base[rm];
                mem->index = ea16_index[rm];
                ss = mem->base == 5;
                dl = mod == 1 ? 1 : mod == 2 ? 2 : 0;
            }
        } else {
            unsigned base = rm;
            if (rm == 4) {
                NEED(1);
                d->has_sib = true;
                d->sib = b[pos++];
                unsigned idx = ((d->sib >> 3) & 7) | (rex & 2) << 2;
                base = d->sib & 7;
                mem->scale = d->sib >> 6;
                if (idx != 4)
                    mem->index = (int8_t)idx;
            }
            if (mod == 0 && base == 5) {
                dl = 4;
                mem->rip = m64 && rm == 5;
            } else {
                mem->base = (int8_t)(base | (rex & 1) << 3);
                ss = mem->base == 4 || mem->base == 5;
                dl = mod == 1 ? 1 : mod == 2 ? 4 : 0;
            }
        }
        if (dl) {
            NEED(dl);
            mem->disp = sext(ld_le(b + pos, dl), dl);
            pos += dl;
            d->disp_len = (uint8_t)dl;
        }
        mem->seg = d->seg_override >= 0 ? (uint8_t)d->seg_override
                                        : ss ? X86_SEG_SS : X86_SEG_DS;
    } else {
        mem->seg = d->seg_override >= 0 ? (uint8_t)d->seg_override : X86_SEG_DS;
    }

    /* Operands, in row order; immediates follow the displacement. */
    unsigned nimm = 0;
    const bool rx = rex != 0;
    for (unsigned i = 0; i < 3 && row->opd[i]; i++) {
        uint16_t spec = row->opd[i];
        X86Operand *o = &d->opd[i];
        unsigned am = X86_OPD_AM(spec), size = 0;
        bool regform = mod == 3 || (row->flags & X86_F_MODIGN);
        switch (X86_OPD_SZ(spec)) {
        case X86_SZ_b: size = 1; break;
        case X86_SZ_w: size = 2; break;
        case X86_SZ_d: size = 4; break;
        case X86_SZ_q: size = 8; break;
        case X86_SZ_v: size = osize; break;
        case X86_SZ_z: size = osize == 2 ? 2 : 4; break;
        case X86_SZ_y: size = m64 && (rex & 8) ? 8 : 4; break;
        case X86_SZ_dq: size = 16; break;
        case X86_SZ_t: size = 10; break;
        case X86_SZ_p: size = osize + 2; break;
        case X86_SZ_a: size = osize * 2; break;
        case X86_SZ_r: size = m64 ? 8 : 4; break;
        case X86_SZ_vw: size = regform ? osize : 2; break;
        case X86_SZ_db: size = regform ? 4 : 1; break;
        case X86_SZ_dw: size = regform ? 4 : 2; break;
        case X86_SZ_x: size = rex & 8 ? 16 : 8; break;
        }
        d->nopd = (uint8_t)(i + 1);
        switch (am) {
        case X86_AM_E:
            if (mod == 3)
                set_gpr(o, rm | (rex & 1) << 3, size, rx);
            else
                o->kind = X86_OPK_MEM, o->size = (uint8_t)size;
            break;
        case X86_AM_M:
            if (mod == 3)
                return X86_DEC_UD;
            o->kind = X86_OPK_MEM;
            o->size = (uint8_t)size;
            break;
        case X86_AM_R:
            if (!regform)
                return X86_DEC_UD;
            set_gpr(o, rm | (rex & 1) << 3, size, rx);
            break;
        case X86_AM_G:
            set_gpr(o, reg | (rex & 4) << 1, size, rx);
            break;
        case X86_AM_Z:
            set_gpr(o, (opc & 7) | (rex & 1) << 3, size, rx);
            break;
        case X86_AM_FIX:
            set_gpr(o, X86_OPD_REG(spec), size, false);
            break;
        case X86_AM_S:
            if (reg > 5 || (d->op == X86_OP_MOV_TO_SEG && reg == X86_SEG_CS))
                return X86_DEC_UD;
            set_reg(o, X86_RC_SEG, reg, 2);
            break;
        case X86_AM_SEG:
            set_reg(o, X86_RC_SEG, X86_OPD_REG(spec), 2);
            break;
        case X86_AM_C: {
            unsigned n = reg | (rex & 4) << 1;
            /* CR0, CR2, CR3, CR4 and (64-bit) CR8 exist. */
            if (n == 1 || (n > 4 && n != 8))
                return X86_DEC_UD;
            set_reg(o, X86_RC_CR, n, size);
            break;
        }
        case X86_AM_D:
            if (rex & 4)
                return X86_DEC_UD;
            set_reg(o, X86_RC_DR, reg, size);
            break;
        case X86_AM_V:
            set_reg(o, X86_RC_XMM, reg | (rex & 4) << 1, size);
            break;
        case X86_AM_W:
        case X86_AM_U:
            if (mod == 3)
                set_reg(o, X86_RC_XMM, rm | (rex & 1) << 3, size);
            else if (am == X86_AM_U)
                return X86_DEC_UD;
            else
                o->kind = X86_OPK_MEM, o->size = (uint8_t)size;
            break;
        case X86_AM_P:
            set_reg(o, X86_RC_MMX, reg, size);
            break;
        case X86_AM_Q:
        case X86_AM_N:
            if (mod == 3)
                set_reg(o, X86_RC_MMX, rm, size);
            else if (am == X86_AM_N)
                return X86_DEC_UD;
            else
                o->kind = X86_OPK_MEM, o->size = (uint8_t)size;
            break;
        case X86_AM_ST0:
            set_reg(o, X86_RC_ST, 0, 10);
            break;
        case X86_AM_STI:
            set_reg(o, X86_RC_ST, rm, 10);
            break;
        case X86_AM_XMM0:
            set_reg(o, X86_RC_XMM, 0, 16);
            break;
        case X86_AM_ONE:
            o->kind = X86_OPK_IMM;
            o->size = 1;
            o->imm = 1;
            break;
        case X86_AM_X:
        case X86_AM_Y:
        case X86_AM_XLAT:
            /* Implicit memory: reg = base GPR, cls = segment. */
            o->kind = X86_OPK_STR;
            o->size = (uint8_t)size;
            o->reg = am == X86_AM_X ? 6 : am == X86_AM_Y ? 7 : 3;
            o->cls = am == X86_AM_Y ? X86_SEG_ES
                   : d->seg_override >= 0 ? (uint8_t)d->seg_override : X86_SEG_DS;
            break;
        case X86_AM_O: {
            NEED(asize);
            o->kind = X86_OPK_MEM;
            o->size = (uint8_t)size;
            d->has_mem = true;
            mem->disp = (int64_t)ld_le(b + pos, asize);
            d->disp_len = (uint8_t)asize;
            pos += asize;
            break;
        }
        case X86_AM_I:
        case X86_AM_IS:
        case X86_AM_J:
        case X86_AM_A: {
            /* Encoded width; Iz and Jz stay 4 bytes with a 64-bit operand. */
            unsigned n = size;
            if (am == X86_AM_IS)
                n = 1;
            else if (am == X86_AM_J && X86_OPD_SZ(spec) != X86_SZ_b)
                n = osize == 2 ? 2 : 4;
            else if (am == X86_AM_A)
                n = osize == 2 ? 2 : 4;
            NEED(n);
            uint64_t raw = ld_le(b + pos, n);
            pos += n;
            d->imm[nimm] = raw;
            d->imm_len[nimm++] = (uint8_t)n;
            o->imm = sext(raw, n);
            o->size = (uint8_t)(am == X86_AM_I && X86_OPD_SZ(spec) != X86_SZ_z ? size : osize);
            o->kind = am == X86_AM_J ? X86_OPK_REL : X86_OPK_IMM;
            if (am == X86_AM_A) {
                NEED(2);
                o->kind = X86_OPK_FAR;
                o->imm = (int64_t)raw;
                o->sel = ld16_le(b + pos);
                d->imm[nimm] = o->sel;
                d->imm_len[nimm++] = 2;
                pos += 2;
            }
            break;
        }
        }
    }
    d->len = (uint8_t)pos;
    memcpy(d->bytes, b, pos);
    return (int)pos;
#undef NEED
}
