/*
 * x86 instruction decoder: bytes -> X86Insn, driven by the one table in
 * src/x86/insn.def that the translator and the disassembler share.
 *
 * x86_decode() reads prefixes, the opcode (1-byte, 0F, 0F 38, 0F 3A maps),
 * ModRM/SIB/displacement and immediates, selects the table row and resolves
 * every operand (register numbers with REX applied, memory addressing,
 * immediate values sign-extended as the encoding says), so consumers switch
 * on insn->op and read insn->opd[] without looking at the bytes again.
 */
#ifndef PEMU_X86_DECODE_H
#define PEMU_X86_DECODE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum X86Mode {
    X86_MODE_16,    /* real mode, vm86, protected mode with CS.D=0 */
    X86_MODE_32,    /* protected / compatibility mode with CS.D=1 */
    X86_MODE_64,    /* long mode, CS.L=1 */
} X86Mode;

/* x86_decode() results other than a length (all negative). */
enum {
    X86_DEC_MORE    = -1,   /* the bytes end inside the instruction */
    X86_DEC_UD      = -2,   /* invalid opcode: raise #UD */
    X86_DEC_TOOLONG = -3,   /* longer than 15 bytes: raise #GP(0) */
};

#define X86_MAX_INSN_LEN 15

/* Opcode maps. */
enum { X86_MAP_1B, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A, X86_NMAPS };

/* Segment registers, in encoding order (ModRM.reg of MOV Sw). */
enum { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS };

/* CPUID features an instruction needs (the CPU model decides which exist). */
typedef enum X86Feature {
    X86_FEAT_BASE,      /* 8086 .. 386 */
    X86_FEAT_I486,      /* BSWAP, CMPXCHG, XADD, INVD, WBINVD, INVLPG */
    X86_FEAT_PENT,      /* CPUID, RSM, RDPMC */
    X86_FEAT_FPU, X86_FEAT_TSC, X86_FEAT_MSR, X86_FEAT_CX8, X86_FEAT_SEP,
    X86_FEAT_CMOV, X86_FEAT_FCMOV, X86_FEAT_MMX, X86_FEAT_FXSR, X86_FEAT_SSE,
    X86_FEAT_SSE2, X86_FEAT_CLFSH, X86_FEAT_SSE3, X86_FEAT_MONITOR,
    X86_FEAT_SSSE3, X86_FEAT_SSE41, X86_FEAT_SSE42, X86_FEAT_POPCNT,
    X86_FEAT_CX16, X86_FEAT_LM, X86_FEAT_SYSCALL, X86_FEAT_RDTSCP, X86_FEAT_XSAVE,
    X86_FEAT_NOPL,      /* 0F 18..1F hint NOPs (P6 and later) */
    X86_FEAT_COUNT
} X86Feature;

/* Row flags. */
enum {
    X86_F_LOCK    = 1u << 0,  /* LOCK allowed (memory destination only) */
    X86_F_REP     = 1u << 1,  /* F3 means REP (string ops) */
    X86_F_REPZ    = 1u << 2,  /* F3/F2 mean REPE/REPNE (CMPS, SCAS) */
    X86_F_INV64   = 1u << 3,  /* invalid (#UD) in 64-bit mode */
    X86_F_ONLY64  = 1u << 4,  /* valid only in 64-bit mode */
    X86_F_D64     = 1u << 5,  /* 64-bit default operand size in 64-bit mode */
    X86_F_F64     = 1u << 6,  /* operand size forced to 64 in 64-bit mode */
    X86_F_MODIGN  = 1u << 7,  /* ModRM.mod ignored, always a register (MOV CRn/DRn) */
    X86_F_ASZMN   = 1u << 8,  /* mnemonic alternatives follow address size */
    X86_F_SFXMN   = 1u << 9,  /* mnemonic takes a w/d/q suffix when osize != mode default */
    X86_F_CTRL    = 1u << 10, /* changes control flow (ends a translation block) */
};

/*
 * Operand specs. A spec packs an addressing method (X86_AM_*), a size
 * (X86_SZ_*) and, for fixed registers, the register number. The names follow
 * the Intel manual's opcode-map notation: Eb, Gv, Iz, Wdq ...
 */
enum {
    X86_AM_NONE,
    X86_AM_E,    /* ModRM.rm: GPR or memory */
    X86_AM_G,    /* ModRM.reg: GPR */
    X86_AM_M,    /* ModRM.rm: memory only */
    X86_AM_R,    /* ModRM.rm: GPR only (mod must be 3, or ignored with X86_F_MODIGN) */
    X86_AM_I,    /* immediate of the operand's size */
    X86_AM_IS,   /* imm8 sign-extended to the operand's size */
    X86_AM_J,    /* relative branch offset (b or z) */
    X86_AM_O,    /* moffs: absolute address of address size, no ModRM */
    X86_AM_A,    /* far pointer immediate: offset (z) then selector */
    X86_AM_S,    /* ModRM.reg: segment register */
    X86_AM_C,    /* ModRM.reg: control register */
    X86_AM_D,    /* ModRM.reg: debug register */
    X86_AM_V,    /* ModRM.reg: XMM */
    X86_AM_W,    /* ModRM.rm: XMM or memory */
    X86_AM_U,    /* ModRM.rm: XMM only */
    X86_AM_P,    /* ModRM.reg: MMX */
    X86_AM_Q,    /* ModRM.rm: MMX or memory */
    X86_AM_N,    /* ModRM.rm: MMX only */
    X86_AM_Z,    /* GPR in the opcode's low 3 bits (+REX.B) */
    X86_AM_FIX,  /* fixed GPR (number in the spec) */
    X86_AM_SEG,  /* fixed segment register */
    X86_AM_ST0,  /* x87 ST(0) */
    X86_AM_STI,  /* x87 ST(ModRM.rm) */
    X86_AM_ONE,  /* the constant 1 (shift by one) */
    X86_AM_X,    /* string source DS:rSI (segment overridable) */
    X86_AM_Y,    /* string destination ES:rDI */
    X86_AM_XLAT, /* DS:[rBX+AL] */
    X86_AM_XMM0, /* implicit XMM0 (BLENDV) */
};

enum {
    X86_SZ_NONE, /* no size (LEA, descriptor tables, FPU env; by op) */
    X86_SZ_b, X86_SZ_w, X86_SZ_d, X86_SZ_q,
    X86_SZ_v,    /* operand size: 2, 4, 8 */
    X86_SZ_z,    /* 2 if osize 16, else 4 */
    X86_SZ_y,    /* 8 with REX.W in 64-bit mode, else 4 */
    X86_SZ_dq,   /* 16 */
    X86_SZ_t,    /* 10: x87 extended / packed BCD */
    X86_SZ_p,    /* far pointer: osize + 2 */
    X86_SZ_a,    /* BOUND pair: 2 * osize */
    X86_SZ_r,    /* CR/DR moves: 8 in 64-bit mode, else 4 */
    X86_SZ_vw,   /* register: osize, memory: 2 (MOV Sw, SLDT, SMSW) */
    X86_SZ_db,   /* register: 4, memory: 1 (PEXTRB, PINSRB: low byte used, rest zeroed) */
    X86_SZ_dw,   /* register: 4, memory: 2 (PEXTRW, PINSRW) */
    X86_SZ_x,    /* CMPXCHG8B/16B: 8, 16 with REX.W */
};

#define X86_OPD(am, sz, r) ((uint16_t)((am) << 10 | (sz) << 5 | (r)))
#define X86_OPD_AM(s) ((s) >> 10)
#define X86_OPD_SZ(s) (((s) >> 5) & 31)
#define X86_OPD_REG(s) ((s) & 31)

/* Every spec used by insn.def: name, method, size, fixed register. */
#define X86_OPD_LIST(O_)                                                       \
    O_(__, NONE, NONE, 0)                                                      \
    O_(Eb, E, b, 0) O_(Ew, E, w, 0) O_(Ed, E, d, 0) O_(Eq, E, q, 0)               \
    O_(Ev, E, v, 0) O_(Ey, E, y, 0) O_(Ez, E, z, 0) O_(Evw, E, vw, 0) O_(Edb, E, db, 0)           \
    O_(Edw, E, dw, 0)                                                          \
    O_(Gb, G, b, 0) O_(Gw, G, w, 0) O_(Gd, G, d, 0) O_(Gv, G, v, 0)               \
    O_(Gy, G, y, 0) O_(Gz, G, z, 0)                                             \
    O_(M, M, NONE, 0) O_(Mb, M, b, 0) O_(Mw, M, w, 0) O_(Md, M, d, 0)             \
    O_(Mq, M, q, 0) O_(Mdq, M, dq, 0) O_(Mt, M, t, 0) O_(Mp, M, p, 0)             \
    O_(Ma, M, a, 0) O_(My, M, y, 0) O_(Mx, M, x, 0) O_(Mv, M, v, 0)               \
    O_(Rr, R, r, 0) O_(Ry, R, y, 0)                                              \
    O_(Ib, I, b, 0) O_(Iw, I, w, 0) O_(Iz, I, z, 0) O_(Iv, I, v, 0)               \
    O_(Ibs, IS, v, 0)                                                          \
    O_(Jb, J, b, 0) O_(Jz, J, z, 0)                                             \
    O_(Ob, O, b, 0) O_(Ov, O, v, 0)                                             \
    O_(Ap, A, p, 0)                                                            \
    O_(Sw, S, w, 0) O_(Cr, C, r, 0) O_(Dr, D, r, 0)                              \
    O_(Vdq, V, dq, 0) O_(Vq, V, q, 0) O_(Vd, V, d, 0)                            \
    O_(Wdq, W, dq, 0) O_(Wq, W, q, 0) O_(Wd, W, d, 0) O_(Ww, W, w, 0)             \
    O_(Udq, U, dq, 0)                                                          \
    O_(Pq, P, q, 0) O_(Qq, Q, q, 0) O_(Qd, Q, d, 0) O_(Nq, N, q, 0)               \
    O_(Zb, Z, b, 0) O_(Zv, Z, v, 0)                                             \
    O_(AL, FIX, b, 0) O_(CL, FIX, b, 1) O_(DX, FIX, w, 2) O_(AX, FIX, w, 0)       \
    O_(rAX, FIX, v, 0) O_(eAX, FIX, z, 0)                                       \
    O_(ES, SEG, w, 0) O_(CS, SEG, w, 1) O_(SS, SEG, w, 2) O_(DS, SEG, w, 3)       \
    O_(FS, SEG, w, 4) O_(GS, SEG, w, 5)                                         \
    O_(ST0, ST0, t, 0) O_(STi, STI, t, 0) O_(ONE, ONE, b, 0)                     \
    O_(Xb, X, b, 0) O_(Xv, X, v, 0) O_(Xz, X, z, 0)                              \
    O_(Yb, Y, b, 0) O_(Yv, Y, v, 0) O_(Yz, Y, z, 0)                              \
    O_(XLAT, XLAT, b, 0) O_(XMM0, XMM0, dq, 0)

enum {
#define X86_OPD_ENUM(name, am, sz, r) X86_OPD_##name = X86_OPD(X86_AM_##am, X86_SZ_##sz, r),
    X86_OPD_LIST(X86_OPD_ENUM)
#undef X86_OPD_ENUM
};

/* The compact op ids the translator switches on (from insn.def). */
typedef enum X86Op {
#define X86_OP(name) X86_OP_##name,
#include "src/x86/insn.def"
    X86_OP_COUNT
} X86Op;

/* One table row (see the format description at the top of insn.def). */
typedef struct X86InsnRow {
    const char *mnem;     /* objdump spelling; "a|b|c" = 16|32|64-bit forms */
    uint16_t op;          /* X86Op */
    uint16_t sel;         /* prefix / ModRM selection the row applies to */
    uint16_t opd[3];      /* operand specs (X86_OPD_*) */
    uint16_t flags;       /* X86_F_* */
    uint8_t map, opcode;
    uint8_t feature;      /* X86Feature */
} X86InsnRow;

extern const X86InsnRow x86_insn_rows[];
extern const unsigned x86_insn_nrows;

/* Operand kinds and register classes of a decoded operand. */
enum {
    X86_OPK_NONE, X86_OPK_REG, X86_OPK_MEM, X86_OPK_IMM, X86_OPK_REL,
    X86_OPK_FAR,   /* imm = offset, sel = selector */
    X86_OPK_STR,   /* implicit memory [reg] of address size: string ops (reg = rSI
                      or rDI) and XLAT (rBX+AL); cls = segment */
};
enum {
    X86_RC_GPR,    /* reg 0..15 at the operand's size */
    X86_RC_GPR8H,  /* AH, CH, DH, BH: reg 0..3, bits 8..15 */
    X86_RC_SEG, X86_RC_CR, X86_RC_DR, X86_RC_MMX, X86_RC_XMM,
    X86_RC_ST,     /* ST(reg) */
};

typedef struct X86Operand {
    uint8_t kind;       /* X86_OPK_* */
    uint8_t cls;        /* X86_RC_* for registers */
    uint8_t reg;
    uint8_t size;       /* bytes accessed (0: implied by the op) */
    uint16_t sel;       /* far pointer selector */
    int64_t imm;        /* immediate sign-extended from its encoded width (use the
                           low `size` bytes), branch offset, far offset */
} X86Operand;

/* The memory operand (an instruction has at most one, plus the implicit string ones). */
typedef struct X86Mem {
    int8_t base;        /* GPR or -1 */
    int8_t index;       /* GPR or -1 */
    uint8_t scale;      /* log2: 0..3 */
    uint8_t seg;        /* effective segment (override or default DS/SS); in
                           64-bit mode only FS/GS have a base */
    bool rip;           /* RIP-relative: address = next insn + disp */
    int64_t disp;       /* sign-extended displacement */
} X86Mem;

/* Legacy prefix bits seen (insn->prefixes). */
enum {
    X86_PFX_OSIZE = 1u << 0,  /* 66 */
    X86_PFX_ASIZE = 1u << 1,  /* 67 */
    X86_PFX_LOCK  = 1u << 2,  /* F0 */
    X86_PFX_REPNE = 1u << 3,  /* F2 */
    X86_PFX_REP   = 1u << 4,  /* F3 */
    X86_PFX_SEG   = 1u << 5,  /* any segment override */
};

typedef struct X86Insn {
    const X86InsnRow *row;
    uint16_t op;          /* X86Op */
    uint16_t flags;       /* row flags */
    uint8_t len;          /* total length in bytes */
    uint8_t mode;         /* X86Mode */
    uint8_t osize, asize; /* effective operand and address size in bytes */
    uint8_t map, opcode;
    uint8_t prefixes;     /* X86_PFX_* seen */
    uint8_t npfx;         /* legacy prefix bytes (bytes[0..npfx-1]) */
    uint8_t rep;          /* 0xf3 / 0xf2 if a REP prefix applies (last one wins), else 0 */
    uint8_t mandatory;    /* 0x66 / 0xf3 / 0xf2 consumed as mandatory prefix, else 0 */
    bool lock;
    int8_t seg_override;  /* X86_SEG_* of the last segment prefix, or -1 */
    uint8_t rex;          /* REX byte (0x40..0x4f) or 0 */
    bool rex_w, rex_r, rex_x, rex_b;
    bool has_modrm, has_sib, has_mem;
    uint8_t modrm, mod, reg, rm;   /* reg/rm without REX */
    uint8_t sib;
    uint8_t nopd;
    uint8_t imm_len[2];   /* bytes of each immediate field (0 if none) */
    uint8_t disp_len;
    uint64_t imm[2];      /* raw immediate fields, zero-extended */
    X86Mem mem;
    X86Operand opd[3];
    uint8_t bytes[16];    /* the instruction bytes (len of them) */
} X86Insn;

/*
 * Decode one instruction from bytes[0..avail-1] in the given mode. Returns
 * its length (1..15) and fills *out, or X86_DEC_MORE / X86_DEC_UD /
 * X86_DEC_TOOLONG. Never reads past avail.
 */
int x86_decode(X86Insn *out, const uint8_t *bytes, unsigned avail, X86Mode mode);

/*
 * Build the lookup index. Runs from a constructor with GCC/Clang, else on
 * first use: then call it once before decoding from several threads.
 */
void x86_decode_init(void);
/* Conflicting or overflowing rows found while indexing insn.def (0 = sound). */
unsigned x86_decode_table_errors(void);

/* The name of an op id, for logs. */
const char *x86_op_name(unsigned op);

#endif
