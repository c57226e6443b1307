/*
 * Intel-syntax text for decoded instructions, following GNU objdump's
 * spelling (mnemonics, "DWORD PTR", hex immediates, unused prefixes printed
 * by name) so that logs can be diffed against it.
 */
#include <stdarg.h>
#include <stdio.h>
#include "src/x86/disas.h"
#include "ports/host.h"

typedef struct Out {
    char *buf;
    size_t n, len;
} Out;

static void PEMU_PRINTF(2, 3) put(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->len += (size_t)k;
}

static const char *const gpr8[16] = {
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};
static const char *const gpr8h[4] = { "ah", "ch", "dh", "bh" };
static const char *const gpr16[16] = {
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const gpr32[16] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const gpr64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
static const char *const cmp_preds[8] = {
    "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord",
};

static const char *gpr_name(unsigned reg, unsigned size)
{
    switch (size) {
    case 1: return gpr8[reg & 15];
    case 2: return gpr16[reg & 15];
    case 8: return gpr64[reg & 15];
    default: return gpr32[reg & 15];
    }
}

static const char *mem_keyword(unsigned size)
{
    switch (size) {
    case 1: return "BYTE PTR ";
    case 2: return "WORD PTR ";
    case 4: return "DWORD PTR ";
    case 6: return "FWORD PTR ";
    case 8: return "QWORD PTR ";
    case 10: return "TBYTE PTR ";
    case 16: return "XMMWORD PTR ";
    }
    return "";
}

static uint64_t mask_to(uint64_t v, unsigned bytes)
{
    return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

static void put_hex(Out *o, uint64_t v)
{
    put(o, "0x%llx", (unsigned long long)v);
}

static void put_disp(Out *o, int64_t disp)
{
    if (disp < 0)
        put(o, "-0x%llx", (unsigned long long)-(uint64_t)disp);
    else
        put(o, "+0x%llx", (unsigned long long)disp);
}

/*
 * The ModRM / moffs memory operand, with objdump's conventions: a present
 * displacement is always shown (+0x0), SIB without index shows eiz/riz
 * unless it is plain [esp], displacement-only forms print as ds:ADDR, and
 * RIP-relative displacements print as unsigned 64-bit values.
 */
static void put_mem(Out *o, const X86Insn *d, unsigned size, bool keyword)
{
    const X86Mem *m = &d->mem;
    unsigned as = d->asize;
    bool m64 = d->mode == X86_MODE_64;
    if (keyword)
        put(o, "%s", d->op == X86_OP_CMPXCHG8B && size == 16 ? "OWORD PTR " : mem_keyword(size));
    /* In 64-bit mode only FS and GS overrides take effect. */
    if (d->seg_override >= 0 && (!m64 || d->seg_override >= X86_SEG_FS))
        put(o, "%s:", seg_names[d->seg_override]);
    bool iz = d->has_sib && m->index < 0 && !(m->base >= 0 && (m->base & 7) == 4 && m->scale == 0) &&
              !(m->base < 0 && as == 8 && m->scale == 0);
    if (m->base < 0 && m->index < 0 && !m->rip && !iz) {
        if (d->seg_override < 0 || (m64 && d->seg_override < X86_SEG_FS))
            put(o, "ds:");
        put_hex(o, m64 && as == 8 ? (uint64_t)m->disp : mask_to((uint64_t)m->disp, as));
        return;
    }
    put(o, "[");
    const char *sep = "";
    if (m->rip) {
        put(o, "%s", as == 8 ? "rip" : "eip");
        sep = "+";
    } else if (m->base >= 0) {
        put(o, "%s", gpr_name((unsigned)m->base, as));
        sep = "+";
    }
    if (m->index >= 0 || iz) {
        const char *ix = m->index >= 0 ? gpr_name((unsigned)m->index, as)
                                       : as == 8 ? "riz" : "eiz";
        if (as == 2)
            put(o, "%s%s", sep, ix);
        else
            put(o, "%s%s*%d", sep, ix, 1 << m->scale);
    }
    if (!d->disp_len)
        ;
    else if (m->rip)
        put(o, "+0x%llx", (unsigned long long)m->disp);
    else if (m64 && as == 4 && m->base < 0 && m->index < 0)
        put(o, "+0x%llx", (unsigned long long)mask_to((uint64_t)m->disp, 4));
    else
        put_disp(o, m->disp);
    put(o, "]");
}

static void put_reg(Out *o, const X86Operand *op)
{
    switch (op->cls) {
    case X86_RC_GPR: put(o, "%s", gpr_name(op->reg, op->size)); break;
    case X86_RC_GPR8H: put(o, "%s", gpr8h[op->reg & 3]); break;
    case X86_RC_SEG: put(o, "%s", seg_names[op->reg % 6]); break;
    case X86_RC_CR: put(o, "cr%d", op->reg); break;
    case X86_RC_DR: put(o, "dr%d", op->reg); break;
    case X86_RC_MMX: put(o, "mm%d", op->reg); break;
    case X86_RC_XMM: put(o, "xmm%d", op->reg); break;
    case X86_RC_ST: put(o, "st(%d)", op->reg); break;
    }
}

/* 66 90 (and 66 REX.W 90): objdump spells out the operand-size form. */
static bool xchg_nop(const X86Insn *d)
{
    return d->op == X86_OP_NOP && d->map == X86_MAP_1B && (d->prefixes & X86_PFX_OSIZE);
}

/*
 * Which prefixes an instruction really used; objdump prints the others by
 * name (data16, rex.W, ...), and so do we.
 */
static bool regform(const X86Insn *d)
{
    return d->mod == 3 || (d->flags & X86_F_MODIGN);
}

static bool alt_by_osize(const X86InsnRow *r)
{
    return strchr(r->mnem, '|') && !(r->flags & X86_F_ASZMN);
}

/* x87 environment/state images: 16- or 32-bit layout by 66 alone. */
static bool fpu_env(const X86Insn *d)
{
    return d->op == X86_OP_FLDENV || d->op == X86_OP_FNSTENV ||
           d->op == X86_OP_FRSTOR || d->op == X86_OP_FNSAVE;
}

static bool uses_66(const X86Insn *d)
{
    const X86InsnRow *r = d->row;
    if (d->mandatory == 0x66)
        return true;
    if (d->mode == X86_MODE_64 && (r->flags & X86_F_F64))
        return false;
    if (d->map == X86_MAP_1B && d->opcode == 0x90 && d->op != X86_OP_PAUSE)
        return true;        /* 66 90 prints as xchg ax,ax */
    if (d->rex_w && !fpu_env(d))
        return false;       /* REX.W overrides it (objdump still names it) */
    if (r->flags & X86_F_SFXMN)
        return true;
    for (unsigned i = 0; i < 3; i++) {
        switch (X86_OPD_SZ(r->opd[i])) {
        case X86_SZ_v: case X86_SZ_z: case X86_SZ_p: case X86_SZ_a:
            return true;
        case X86_SZ_vw:
            if (regform(d))
                return true;
            break;
        case X86_SZ_x:
            return false;
        }
    }
    return alt_by_osize(r);
}

static bool uses_rex_w(const X86Insn *d)
{
    const X86InsnRow *r = d->row;
    if ((r->flags & (X86_F_D64 | X86_F_F64)) || fpu_env(d))
        return false;
    if (xchg_nop(d))
        return true;        /* 66 REX.W 90: xchg rax,rax */
    if ((r->flags & X86_F_SFXMN) || alt_by_osize(r) ||
        d->op == X86_OP_SYSRET || d->op == X86_OP_SYSEXIT)
        return true;
    for (unsigned i = 0; i < 3; i++) {
        switch (X86_OPD_SZ(r->opd[i])) {
        case X86_SZ_v: case X86_SZ_y: case X86_SZ_x: case X86_SZ_p:
            return true;
        case X86_SZ_vw:
            if (regform(d))
                return true;
            break;
        }
    }
    return false;
}

static unsigned rex_used(const X86Insn *d)
{
    const X86InsnRow *r = d->row;
    unsigned used = uses_rex_w(d) ? 8 : 0;
    for (unsigned i = 0; i < d->nopd; i++) {
        unsigned am = X86_OPD_AM(r->opd[i]);
        const X86Operand *op = &d->opd[i];
        switch (am) {
        case X86_AM_G: case X86_AM_C: case X86_AM_D: case X86_AM_V:
            used |= 4;
            break;
        case X86_AM_E: case X86_AM_W: case X86_AM_R: case X86_AM_U:
        case X86_AM_Z:
            used |= 1;
            break;
        }
        if (op->kind == X86_OPK_REG && op->cls == X86_RC_GPR && op->size == 1 &&
            (op->reg & 7) >= 4)
            used |= 0x40;
    }
    if (d->has_modrm && d->has_mem)
        used |= 1;
    if (d->has_sib)
        used |= 2;
    /* Like objdump: a bit counts as used only if set; any use marks REX used. */
    used &= d->rex | 0x40;
    return used & 15 ? used | 0x40 : used;
}

/* Implicit string operand that a segment override applies to (DS:rSI, XLAT). */
static bool has_seg_operand(const X86Insn *d)
{
    for (unsigned i = 0; i < d->nopd; i++)
        if (d->opd[i].kind == X86_OPK_STR && X86_OPD_AM(d->row->opd[i]) != X86_AM_Y)
            return true;
    return false;
}

static void put_prefixes(Out *o, const X86Insn *d)
{
    const X86InsnRow *r = d->row;
    bool m64 = d->mode == X86_MODE_64;
    bool modrm_mem = d->has_modrm && d->has_mem, str = false;
    for (unsigned i = 0; i < d->nopd; i++)
        str = str || d->opd[i].kind == X86_OPK_STR;
    int last66 = -1, last67 = -1, lastseg = -1, lastrep = -1;
    for (unsigned i = 0; i < d->npfx; i++) {
        switch (d->bytes[i]) {
        case 0x66: last66 = (int)i; break;
        case 0x67: last67 = (int)i; break;
        case 0xf2: case 0xf3: lastrep = (int)i; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
            lastseg = (int)i;
            break;
        }
    }
    bool use66 = uses_66(d);
    /* objdump counts 67 used when it prints an address register */
    bool use67 = (modrm_mem && !(d->mode == X86_MODE_16 && d->asize == 4 &&
                                 d->mem.base < 0 && d->mem.index < 0 && !d->has_sib)) ||
                 str || (r->flags & X86_F_ASZMN);
    /* objdump: in 64-bit mode a ModRM operand only shows FS/GS; DS:rSI takes any */
    bool useseg = has_seg_operand(d) ||
                  ((modrm_mem || d->has_mem) &&
                   (!m64 || d->seg_override >= X86_SEG_FS));
    /* HLE hints: F2/F3 on locked ops and XCHG, F3 on MOV to memory */
    bool hle = (d->op == X86_OP_XCHG && d->has_mem) || (d->lock && (r->flags & X86_F_LOCK));
    bool hle_rel = d->op == X86_OP_MOV && d->map == X86_MAP_1B && d->opd[0].kind == X86_OPK_MEM &&
                   (d->opcode == 0x88 || d->opcode == 0x89 || d->opcode == 0xc6 || d->opcode == 0xc7);
    for (unsigned i = 0; i < d->npfx; i++) {
        uint8_t c = d->bytes[i];
        switch (c) {
        case 0x66:
            if (!(use66 && (int)i == last66))
                put(o, "%s ", d->mode == X86_MODE_16 ? "data32" : "data16");
            break;
        case 0x67:
            if (!(use67 && (int)i == last67))
                put(o, "%s ", d->mode == X86_MODE_32 ? "addr16" : "addr32");
            break;
        case 0xf0:
            put(o, "lock ");
            break;
        case 0xf2: case 0xf3:
            if ((int)i == lastrep && d->mandatory)
                break;
            if (hle || (hle_rel && c == 0xf3))
                put(o, "%s ", c == 0xf3 ? "xrelease" : "xacquire");
            else if (c == 0xf3)
                put(o, "%s ", r->flags & X86_F_REP ? "rep" : "repz");
            else if ((r->flags & X86_F_CTRL) &&
                     (d->op == X86_OP_JMP || d->op == X86_OP_CALL ||
                      d->op == X86_OP_RET || d->op == X86_OP_JCC))
                put(o, "bnd ");
            else
                put(o, "repnz ");
            break;
        case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45:
        case 0x46: case 0x47: case 0x48: case 0x49: case 0x4a: case 0x4b:
        case 0x4c: case 0x4d: case 0x4e: case 0x4f:
            break;  /* a REX cancelled by a later prefix (64-bit mode only) */
        default:
            if (!(useseg && (int)i == lastseg)) {
                static const char *const names[] = { "es", "cs", "ss", "ds", "fs", "gs" };
                unsigned s = c == 0x26 ? 0 : c == 0x2e ? 1 : c == 0x36 ? 2 :
                             c == 0x3e ? 3 : c == 0x64 ? 4 : 5;
                put(o, "%s ", names[s]);
            }
            break;
        }
    }
    if (d->rex) {
        unsigned used = rex_used(d);
        if ((d->rex & 15 & ~used) || !(used & 0x40)) {
            put(o, "rex");
            if (d->rex & 15)
                put(o, ".%s%s%s%s", d->rex_w ? "W" : "", d->rex_r ? "R" : "",
                    d->rex_x ? "X" : "", d->rex_b ? "B" : "");
            put(o, " ");
        }
    }
}

/* The mnemonic: pick an a|b|c alternative, add a size suffix. */
static void put_mnemonic(Out *o, const X86Insn *d)
{
    const X86InsnRow *r = d->row;
    const char *m = r->mnem;
    unsigned sz = r->flags & X86_F_ASZMN ? d->asize : d->osize;
    unsigned alt = sz == 2 ? 0 : sz == 4 ? 1 : 2;
    const char *bar = strchr(m, '|');
    if (bar) {
        for (; alt && bar; alt--) {
            m = bar + 1;
            bar = strchr(m, '|');
        }
        put(o, "%.*s", bar ? (int)(bar - m) : (int)strlen(m), m);
    } else if ((d->op == X86_OP_MOV) && d->asize == 8 &&
               (X86_OPD_AM(r->opd[0]) == X86_AM_O || X86_OPD_AM(r->opd[1]) == X86_AM_O ||
                (X86_OPD_AM(r->opd[1]) == X86_AM_I && d->osize == 8 &&
                 X86_OPD_SZ(r->opd[1]) == X86_SZ_v))) {
        put(o, "movabs");
    } else if (xchg_nop(d)) {
        put(o, "xchg");
    } else {
        put(o, "%s", m);
    }
    if ((d->op == X86_OP_SYSRET || d->op == X86_OP_SYSEXIT) && d->mode == X86_MODE_64)
        put(o, "%c", d->rex_w ? 'q' : 'd');
    if (r->flags & X86_F_SFXMN) {
        unsigned def = d->mode == X86_MODE_16 ? 2 : 4, os = d->osize;
        if (d->mode == X86_MODE_64 && (r->flags & (X86_F_D64 | X86_F_F64)))
            def = 8;
        if (fpu_env(d))
            os = d->prefixes & X86_PFX_OSIZE ? 6 - def : def;
        if (os != def)
            put(o, "%c", os == 2 ? 'w' : os == 4 ? 'd' : 'q');
    }
}

int x86_disas(char *buf, size_t n, const X86Insn *d, uint64_t pc)
{
    Out o = { buf, n, 0 };
    if (n)
        buf[0] = 0;
    const X86InsnRow *r = d->row;
    unsigned nopd = d->nopd;
    uint64_t next = pc + d->len;

    put_prefixes(&o, d);
    bool cmp_pseudo = (d->op == X86_OP_CMPPS || d->op == X86_OP_CMPPD ||
                       d->op == X86_OP_CMPSS || d->op == X86_OP_CMPSD) &&
                      (uint64_t)d->opd[2].imm < 8;
    if (cmp_pseudo) {
        put(&o, "cmp%s%s", cmp_preds[d->opd[2].imm], r->mnem + 3);
        nopd = 2;
    } else {
        put_mnemonic(&o, d);
    }
    if (!nopd && !xchg_nop(d))
        return (int)o.len;
    /* objdump pads "prefixes mnemonic" to 6 columns, then one space. */
    do
        put(&o, " ");
    while (o.len < 7);

    if (xchg_nop(d))
        put(&o, "%s,%s", gpr_name(0, d->osize), gpr_name(0, d->osize));
    bool rip_note = false;
    for (unsigned i = 0; i < nopd; i++) {
        const X86Operand *op = &d->opd[i];
        unsigned am = X86_OPD_AM(r->opd[i]);
        if (i)
            put(&o, ",");
        switch (op->kind) {
        case X86_OPK_REG:
            if (op->cls == X86_RC_ST)
                put(&o, am == X86_AM_ST0 ? "st" : "st(%d)", op->reg);
            else
                put_reg(&o, op);
            break;
        case X86_OPK_MEM:
            put_mem(&o, d, op->size, am != X86_AM_O);
            rip_note = d->mem.rip;
            break;
        case X86_OPK_IMM:
            if (am == X86_AM_ONE)
                put(&o, "1");
            else
                put_hex(&o, mask_to((uint64_t)op->imm, op->size));
            break;
        case X86_OPK_REL: {
            /*
             * objdump wraps a 16-bit displacement at 64K: within the current
             * segment in 16-bit code, to 0..FFFF with a 66 prefix.
             */
            uint64_t t = next + (uint64_t)op->imm;
            if (d->imm_len[0] == 2)
                t = (t & 0xffff) | (d->mode == X86_MODE_16 ? pc & ~0xffffull : 0);
            put_hex(&o, d->mode == X86_MODE_64 ? t : mask_to(t, 4));
            break;
        }
        case X86_OPK_FAR:
            put(&o, "0x%x:0x%llx", op->sel, (unsigned long long)op->imm);
            break;
        case X86_OPK_STR: {
            /* in 64-bit mode objdump shows ds: unless FS/GS override it */
            unsigned seg = op->cls;
            if (d->mode == X86_MODE_64 && am != X86_AM_Y && seg < X86_SEG_FS)
                seg = X86_SEG_DS;
            put(&o, "%s%s:[%s]", mem_keyword(op->size), seg_names[seg],
                gpr_name(op->reg, d->asize));
            break;
        }
            break;
        }
    }
    if (rip_note)
        put(&o, "        # 0x%llx", (unsigned long long)(next + (uint64_t)d->mem.disp));
    return (int)o.len;
}

int x86_disas_bytes(char *buf, size_t n, const uint8_t *bytes, unsigned avail,
                    X86Mode mode, uint64_t pc)
{
    X86Insn insn;
    int len = x86_decode(&insn, bytes, avail, mode);
    if (len <= 0) {
        if (n)
            snprintf(buf, n, "(bad)");
        return 1;
    }
    x86_disas(buf, n, &insn, pc);
    return len;
}
