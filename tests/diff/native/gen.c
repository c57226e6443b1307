/*
 * Generator of differential test cases: 1-4 instruction "slots" with random
 * operands and edge values, in mode 16 or 32 (gen.h).
 *
 * Independence: this file has its own form table and encoder and shares
 * nothing with pemu's decoder (src/x86); it encodes, it never decodes.
 *
 * Safety rules (the runner executes the bytes in its own address space):
 *  - Memory is only addressed through registers known to point into the data
 *    area ("pointer" registers not written by an earlier instruction), small
 *    index registers, or absolute data-area displacements, so a run can only
 *    touch the data area or unmapped guard space (#PF). Mode 16 is also
 *    confined by its 0xfff segment limits.
 *  - Control transfers stay inside the code: forward skips, short backward
 *    loops with a small count, call/ret pairs with a known target.
 *  - No TF from popf values the generator controls; no int 0x80.
 *
 * Undefined flags (Intel SDM vol. 2, each instruction's "Flags Affected";
 * AMD APM vol. 3 agrees or is stricter). A slot's mask of undefined flags is
 * printed with it (case.h "insn ... | mask |") and the comparison ignores
 * those bits of EFLAGS. A later instruction that would read a flag left
 * undefined earlier in the case (adc, jcc, setcc, pushf, lahf, ...) is not
 * generated, so undefined values never leak into registers or memory.
 *
 *   instruction                   undefined
 *   and or xor test               AF
 *   mul imul (all forms)          SF ZF AF PF
 *   div idiv                      CF OF SF ZF AF PF
 *   shl/sal shr sar, count c      c&31 == 0: none; == 1: AF; else OF AF;
 *                                 shl/shr 8/16-bit with c&31 >= width: also CF
 *   rol ror rcl rcr, count c      c&31 not 0 or 1: OF
 *   shld shrd, count c            c&31 == 0: none; == 1: AF; else OF AF
 *                                 (16-bit counts above 16 leave the result
 *                                 undefined: not generated)
 *   bt bts btr btc                OF SF AF PF
 *   bsf bsr                       CF OF SF AF PF (the destination for a zero
 *                                 source is compared: both vendors leave it
 *                                 unchanged and Linux relies on it)
 *   daa das                       OF
 *   aaa aas                       OF SF ZF PF
 *   aam aad                       OF AF CF
 *   everything else generated     none
 *
 * Excluded (documented in README.md): cpuid, rdtsc/rdtscp/rdpid/rdrand
 * (host-specific results), x87/MMX/SSE, segment-register loads and stores,
 * far control transfers and iret (selectors are the environment), fs/gs
 * overrides (TLS bases), lar/lsl/verr/verw/arpl/sgdt/sidt/sldt/smsw/str
 * (host descriptor tables; UMIP emulation), syscall/sysenter/int 0x80,
 * int1/icebp, salc and other undocumented opcodes (shift /6, test /1),
 * bswap with a 16-bit operand (undefined result), F2/F3 prefixes outside
 * string instructions (tzcnt/lzcnt/popcnt/HLE are CPUID-dependent), bound
 * with a register operand (an EVEX prefix on AVX-512 hosts), 16-bit
 * shld/shrd counts above 16.
 */
#include "gen.h"

#include <stdio.h>
#include <string.h>

#include "ports/host.h"

/* ---- random numbers --------------------------------------------------------- */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rnd(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(Rng *r, uint32_t n)
{
    return n ? (uint32_t)(rnd(r) % n) : 0;
}

static int chance(Rng *r, int pct)
{
    return below(r, 100) < (uint32_t)pct;
}

static uint64_t mask_of(int bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* An edge value of the given width: 0, 1, -1, 0x7f.., 0x80.., ... */
static uint64_t edge(Rng *r, int bits)
{
    uint64_t m = mask_of(bits), sign = 1ull << (bits - 1);
    switch (below(r, 16)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return sign - 1;
    case 4: return sign;
    case 5: return sign + 1;
    case 6: return m - 1;
    case 7: return 2;
    case 8: return below(r, 17);
    case 9: return m - below(r, 17);
    case 10: return 1ull << below(r, bits);
    case 11: return sign >> 1;
    case 12: return 0x5555555555555555ull & m;
    case 13: return 0xaaaaaaaaaaaaaaaaull & m;
    case 14: return (sign - 1) ^ (1ull << below(r, bits));
    default: return rnd(r) & m;
    }
}

static uint64_t value(Rng *r, int bits)
{
    return chance(r, 50) ? edge(r, bits) : rnd(r) & mask_of(bits);
}

/* ---- the form table --------------------------------------------------------- */

enum Kind {
    K_EG,     /* modrm: E (r/m) and G (reg field) */
    K_GE,     /* modrm: G destination, E source */
    K_E,      /* modrm with /digit: E only */
    K_EI,     /* /digit, E, immediate of the operand size (8/16/32) */
    K_EIB,    /* /digit, E, imm8 (sign-extended or a count) */
    K_AI,     /* accumulator, immediate */
    K_O,      /* register in the opcode's low 3 bits */
    K_OI,     /* register in the opcode, immediate */
    K_N,      /* no operands */
    K_IB,     /* imm8 only */
    K_IZ,     /* imm16/32 only */
    K_GEI,    /* G, E, imm (imul 69) */
    K_GEIB,   /* G, E, imm8 (imul 6B) */
    K_EGIB,   /* E, G, imm8 (shld/shrd) */
    K_MOFFS,  /* A0-A3: absolute offset */
    K_ENTER,  /* iw, ib */
};

enum Size { SZ_V = 0, SZ_B = 1, SZ_W = 2, SZ_D = 4 };

enum {
    F_LOCK = 1 << 0,    /* lockable when E is memory */
    F_MEM = 1 << 1,     /* E must be memory */
    F_REG = 1 << 2,     /* E must be a register */
    F_NW = 1 << 3,      /* E (or the opcode register) is not written */
    F_W2 = 1 << 4,      /* G is written too (xchg, xadd) */
    F_NOACC = 1 << 5,   /* the memory operand is not accessed (lea, nop) */
    F_STACK = 1 << 6,   /* uses the stack */
    F_CTRL = 1 << 7,    /* ends in a composite (not usable as a body) */
    F_OS32 = 1 << 8,    /* operand size is always 32 (bswap) */
    F_CC = 1 << 9,      /* condition code in the opcode's low nibble */
    F_ALU = 1 << 10,    /* ALU op in opcode bits 3-5 or the /digit */
    F_SHIFT = 1 << 11,  /* shift/rotate op in the /digit (not 6) */
    F_M32ONLY = 1 << 12,/* mode 32 only */
};

enum Fix {
    FX_NONE, FX_SHIFT, FX_SHXD, FX_DIV, FX_BTREG, FX_BTIMM, FX_BSF, FX_AAM,
    FX_CMPXCHG, FX_CMPXCHG8B, FX_BOUND, FX_PUSH, FX_POP, FX_POPF, FX_PUSHA,
    FX_POPA, FX_XLAT, FX_INT, FX_STR, FX_ENTER, FX_LEAVE, FX_PRIV,
    /* composites */
    FX_JCC, FX_JMP, FX_JCXZ, FX_LOOPF, FX_LOOPB, FX_CALL, FX_CALLIND,
    FX_JMPIND, FX_JMP16,
};

#define C FL_CF
#define P FL_PF
#define A FL_AF
#define Z FL_ZF
#define S FL_SF
#define O FL_OF
#define D FL_DF
#define ALLF (C | P | A | Z | S | O)

typedef struct Form {
    const char *name;
    uint8_t op[3];
    uint8_t oplen;
    int8_t digit;       /* /digit, or -1 */
    uint8_t kind;
    uint8_t size;       /* main operand size (SZ_V: the operand size) */
    uint8_t esize;      /* E size when it differs (movzx/movsx) */
    uint16_t fl;
    uint16_t fr;        /* flags read */
    uint16_t fu;        /* flags left undefined (static part) */
    uint8_t fx;
    uint8_t imp;        /* registers written implicitly (bit per GPR) */
    uint8_t weight;
} Form;

#define OP1(a) { a }, 1
#define OP2(a, b) { a, b }, 2
#define AX (1 << R_AX)
#define CX (1 << R_CX)
#define DX (1 << R_DX)
#define BX (1 << R_BX)
#define SP (1 << R_SP)
#define BP (1 << R_BP)
#define SI (1 << R_SI)
#define DI (1 << R_DI)

static const Form forms[] = {
    /* ALU: add or adc sbb and sub xor cmp (the op is picked per case) */
    { "alu Eb,Gb", OP1(0x00), -1, K_EG, SZ_B, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 3 },
    { "alu Ev,Gv", OP1(0x01), -1, K_EG, SZ_V, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 4 },
    { "alu Gb,Eb", OP1(0x02), -1, K_GE, SZ_B, 0, F_ALU, 0, 0, 0, 0, 3 },
    { "alu Gv,Ev", OP1(0x03), -1, K_GE, SZ_V, 0, F_ALU, 0, 0, 0, 0, 4 },
    { "alu AL,Ib", OP1(0x04), -1, K_AI, SZ_B, 0, F_ALU, 0, 0, 0, 0, 2 },
    { "alu eAX,Iz", OP1(0x05), -1, K_AI, SZ_V, 0, F_ALU, 0, 0, 0, 0, 2 },
    { "alu Eb,Ib", OP1(0x80), 0, K_EI, SZ_B, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 3 },
    { "alu Ev,Iz", OP1(0x81), 0, K_EI, SZ_V, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 3 },
    { "alu Eb,Ib(82)", OP1(0x82), 0, K_EI, SZ_B, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 1 },
    { "alu Ev,Ib", OP1(0x83), 0, K_EIB, SZ_V, 0, F_ALU | F_LOCK, 0, 0, 0, 0, 3 },
    /* inc dec neg not */
    { "inc Eb", OP1(0xfe), 0, K_E, SZ_B, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "dec Eb", OP1(0xfe), 1, K_E, SZ_B, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "inc Ev", OP1(0xff), 0, K_E, SZ_V, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "dec Ev", OP1(0xff), 1, K_E, SZ_V, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "inc r", OP1(0x40), -1, K_O, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "dec r", OP1(0x48), -1, K_O, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "not Eb", OP1(0xf6), 2, K_E, SZ_B, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "not Ev", OP1(0xf7), 2, K_E, SZ_V, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "neg Eb", OP1(0xf6), 3, K_E, SZ_B, 0, F_LOCK, 0, 0, 0, 0, 1 },
    { "neg Ev", OP1(0xf7), 3, K_E, SZ_V, 0, F_LOCK, 0, 0, 0, 0, 2 },
    /* test */
    { "test Eb,Gb", OP1(0x84), -1, K_EG, SZ_B, 0, F_NW, 0, A, 0, 0, 1 },
    { "test Ev,Gv", OP1(0x85), -1, K_EG, SZ_V, 0, F_NW, 0, A, 0, 0, 1 },
    { "test AL,Ib", OP1(0xa8), -1, K_AI, SZ_B, 0, F_NW, 0, A, 0, 0, 1 },
    { "test eAX,Iz", OP1(0xa9), -1, K_AI, SZ_V, 0, F_NW, 0, A, 0, 0, 1 },
    { "test Eb,Ib", OP1(0xf6), 0, K_EI, SZ_B, 0, F_NW, 0, A, 0, 0, 1 },
    { "test Ev,Iz", OP1(0xf7), 0, K_EI, SZ_V, 0, F_NW, 0, A, 0, 0, 1 },
    /* multiply and divide */
    { "mul Eb", OP1(0xf6), 4, K_E, SZ_B, 0, F_NW, 0, S | Z | A | P, 0, AX, 1 },
    { "mul Ev", OP1(0xf7), 4, K_E, SZ_V, 0, F_NW, 0, S | Z | A | P, 0, AX | DX, 2 },
    { "imul Eb", OP1(0xf6), 5, K_E, SZ_B, 0, F_NW, 0, S | Z | A | P, 0, AX, 1 },
    { "imul Ev", OP1(0xf7), 5, K_E, SZ_V, 0, F_NW, 0, S | Z | A | P, 0, AX | DX, 2 },
    { "div Eb", OP1(0xf6), 6, K_E, SZ_B, 0, F_NW, 0, ALLF, FX_DIV, AX, 2 },
    { "div Ev", OP1(0xf7), 6, K_E, SZ_V, 0, F_NW, 0, ALLF, FX_DIV, AX | DX, 3 },
    { "idiv Eb", OP1(0xf6), 7, K_E, SZ_B, 0, F_NW, 0, ALLF, FX_DIV, AX, 2 },
    { "idiv Ev", OP1(0xf7), 7, K_E, SZ_V, 0, F_NW, 0, ALLF, FX_DIV, AX | DX, 3 },
    { "imul Gv,Ev", OP2(0x0f, 0xaf), -1, K_GE, SZ_V, 0, 0, 0, S | Z | A | P, 0, 0, 2 },
    { "imul Gv,Ev,Iz", OP1(0x69), -1, K_GEI, SZ_V, 0, 0, 0, S | Z | A | P, 0, 0, 1 },
    { "imul Gv,Ev,Ib", OP1(0x6b), -1, K_GEIB, SZ_V, 0, 0, 0, S | Z | A | P, 0, 0, 1 },
    /* shifts and rotates: rol ror rcl rcr shl shr sar (picked per case) */
    { "shift Eb,Ib", OP1(0xc0), 0, K_EIB, SZ_B, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 2 },
    { "shift Ev,Ib", OP1(0xc1), 0, K_EIB, SZ_V, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 3 },
    { "shift Eb,1", OP1(0xd0), 0, K_E, SZ_B, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 2 },
    { "shift Ev,1", OP1(0xd1), 0, K_E, SZ_V, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 2 },
    { "shift Eb,CL", OP1(0xd2), 0, K_E, SZ_B, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 2 },
    { "shift Ev,CL", OP1(0xd3), 0, K_E, SZ_V, 0, F_SHIFT, 0, 0, FX_SHIFT, 0, 3 },
    { "shld Ev,Gv,Ib", OP2(0x0f, 0xa4), -1, K_EGIB, SZ_V, 0, 0, 0, 0, FX_SHXD, 0, 2 },
    { "shld Ev,Gv,CL", OP2(0x0f, 0xa5), -1, K_EG, SZ_V, 0, 0, 0, 0, FX_SHXD, 0, 2 },
    { "shrd Ev,Gv,Ib", OP2(0x0f, 0xac), -1, K_EGIB, SZ_V, 0, 0, 0, 0, FX_SHXD, 0, 2 },
    { "shrd Ev,Gv,CL", OP2(0x0f, 0xad), -1, K_EG, SZ_V, 0, 0, 0, 0, FX_SHXD, 0, 2 },
    /* bit tests and scans */
    { "bt Ev,Gv", OP2(0x0f, 0xa3), -1, K_EG, SZ_V, 0, F_NW, 0, O | S | A | P, FX_BTREG, 0, 2 },
    { "bts Ev,Gv", OP2(0x0f, 0xab), -1, K_EG, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTREG, 0, 2 },
    { "btr Ev,Gv", OP2(0x0f, 0xb3), -1, K_EG, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTREG, 0, 2 },
    { "btc Ev,Gv", OP2(0x0f, 0xbb), -1, K_EG, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTREG, 0, 2 },
    { "bt Ev,Ib", OP2(0x0f, 0xba), 4, K_EIB, SZ_V, 0, F_NW, 0, O | S | A | P, FX_BTIMM, 0, 1 },
    { "bts Ev,Ib", OP2(0x0f, 0xba), 5, K_EIB, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTIMM, 0, 1 },
    { "btr Ev,Ib", OP2(0x0f, 0xba), 6, K_EIB, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTIMM, 0, 1 },
    { "btc Ev,Ib", OP2(0x0f, 0xba), 7, K_EIB, SZ_V, 0, F_LOCK, 0, O | S | A | P, FX_BTIMM, 0, 1 },
    { "bsf Gv,Ev", OP2(0x0f, 0xbc), -1, K_GE, SZ_V, 0, 0, 0, C | O | S | A | P, FX_BSF, 0, 2 },
    { "bsr Gv,Ev", OP2(0x0f, 0xbd), -1, K_GE, SZ_V, 0, 0, 0, C | O | S | A | P, FX_BSF, 0, 2 },
    /* conditional */
    { "setcc Eb", OP2(0x0f, 0x90), 0, K_E, SZ_B, 0, F_CC, 0, 0, 0, 0, 3 },
    { "cmovcc Gv,Ev", OP2(0x0f, 0x40), -1, K_GE, SZ_V, 0, F_CC, 0, 0, 0, 0, 3 },
    /* moves and extensions */
    { "mov Eb,Gb", OP1(0x88), -1, K_EG, SZ_B, 0, 0, 0, 0, 0, 0, 1 },
    { "mov Ev,Gv", OP1(0x89), -1, K_EG, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "mov Gb,Eb", OP1(0x8a), -1, K_GE, SZ_B, 0, 0, 0, 0, 0, 0, 1 },
    { "mov Gv,Ev", OP1(0x8b), -1, K_GE, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "mov Eb,Ib", OP1(0xc6), 0, K_EI, SZ_B, 0, 0, 0, 0, 0, 0, 1 },
    { "mov Ev,Iz", OP1(0xc7), 0, K_EI, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "mov rb,Ib", OP1(0xb0), -1, K_OI, SZ_B, 0, 0, 0, 0, 0, 0, 1 },
    { "mov r,Iv", OP1(0xb8), -1, K_OI, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "mov AL,moffs", OP1(0xa0), -1, K_MOFFS, SZ_B, 0, 0, 0, 0, 0, AX, 1 },
    { "mov eAX,moffs", OP1(0xa1), -1, K_MOFFS, SZ_V, 0, 0, 0, 0, 0, AX, 1 },
    { "mov moffs,AL", OP1(0xa2), -1, K_MOFFS, SZ_B, 0, 0, 0, 0, 0, 0, 1 },
    { "mov moffs,eAX", OP1(0xa3), -1, K_MOFFS, SZ_V, 0, 0, 0, 0, 0, 0, 1 },
    { "movzx Gv,Eb", OP2(0x0f, 0xb6), -1, K_GE, SZ_V, SZ_B, 0, 0, 0, 0, 0, 2 },
    { "movzx Gv,Ew", OP2(0x0f, 0xb7), -1, K_GE, SZ_V, SZ_W, 0, 0, 0, 0, 0, 1 },
    { "movsx Gv,Eb", OP2(0x0f, 0xbe), -1, K_GE, SZ_V, SZ_B, 0, 0, 0, 0, 0, 2 },
    { "movsx Gv,Ew", OP2(0x0f, 0xbf), -1, K_GE, SZ_V, SZ_W, 0, 0, 0, 0, 0, 1 },
    { "lea Gv,M", OP1(0x8d), -1, K_GE, SZ_V, 0, F_MEM | F_NOACC, 0, 0, 0, 0, 3 },
    /* exchanges */
    { "xchg Eb,Gb", OP1(0x86), -1, K_EG, SZ_B, 0, F_W2 | F_LOCK, 0, 0, 0, 0, 1 },
    { "xchg Ev,Gv", OP1(0x87), -1, K_EG, SZ_V, 0, F_W2 | F_LOCK, 0, 0, 0, 0, 2 },
    { "xchg eAX,r", OP1(0x90), -1, K_O, SZ_V, 0, 0, 0, 0, 0, AX, 1 },
    { "xadd Eb,Gb", OP2(0x0f, 0xc0), -1, K_EG, SZ_B, 0, F_W2 | F_LOCK, 0, 0, 0, 0, 1 },
    { "xadd Ev,Gv", OP2(0x0f, 0xc1), -1, K_EG, SZ_V, 0, F_W2 | F_LOCK, 0, 0, 0, 0, 2 },
    { "cmpxchg Eb,Gb", OP2(0x0f, 0xb0), -1, K_EG, SZ_B, 0, F_LOCK, 0, 0, FX_CMPXCHG, AX, 2 },
    { "cmpxchg Ev,Gv", OP2(0x0f, 0xb1), -1, K_EG, SZ_V, 0, F_LOCK, 0, 0, FX_CMPXCHG, AX, 2 },
    { "cmpxchg8b M", OP2(0x0f, 0xc7), 1, K_E, SZ_D, 0, F_MEM | F_LOCK, 0, 0, FX_CMPXCHG8B, AX | DX, 2 },
    { "bswap r", OP2(0x0f, 0xc8), -1, K_O, SZ_V, 0, F_OS32, 0, 0, 0, 0, 1 },
    /* flags and conversions */
    { "lahf", OP1(0x9f), -1, K_N, 0, 0, 0, S | Z | A | P | C, 0, 0, AX, 1 },
    { "sahf", OP1(0x9e), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "cbw/cwde", OP1(0x98), -1, K_N, SZ_V, 0, 0, 0, 0, 0, AX, 1 },
    { "cwd/cdq", OP1(0x99), -1, K_N, SZ_V, 0, 0, 0, 0, 0, DX, 1 },
    { "cmc", OP1(0xf5), -1, K_N, 0, 0, 0, C, 0, 0, 0, 1 },
    { "clc", OP1(0xf8), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "stc", OP1(0xf9), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "cld", OP1(0xfc), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "std", OP1(0xfd), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    /* decimal */
    { "daa", OP1(0x27), -1, K_N, 0, 0, 0, A | C, O, 0, AX, 1 },
    { "das", OP1(0x2f), -1, K_N, 0, 0, 0, A | C, O, 0, AX, 1 },
    { "aaa", OP1(0x37), -1, K_N, 0, 0, 0, A, O | S | Z | P, 0, AX, 1 },
    { "aas", OP1(0x3f), -1, K_N, 0, 0, 0, A, O | S | Z | P, 0, AX, 1 },
    { "aam Ib", OP1(0xd4), -1, K_IB, 0, 0, 0, 0, O | A | C, FX_AAM, AX, 1 },
    { "aad Ib", OP1(0xd5), -1, K_IB, 0, 0, 0, 0, O | A | C, FX_AAM, AX, 1 },
    /* stack */
    { "push r", OP1(0x50), -1, K_O, SZ_V, 0, F_NW | F_STACK, 0, 0, FX_PUSH, 0, 2 },
    { "pop r", OP1(0x58), -1, K_O, SZ_V, 0, F_STACK, 0, 0, FX_POP, 0, 2 },
    { "push Ib", OP1(0x6a), -1, K_IB, SZ_V, 0, F_STACK, 0, 0, FX_PUSH, 0, 1 },
    { "push Iz", OP1(0x68), -1, K_IZ, SZ_V, 0, F_STACK, 0, 0, FX_PUSH, 0, 1 },
    { "push Ev", OP1(0xff), 6, K_E, SZ_V, 0, F_NW | F_STACK, 0, 0, FX_PUSH, 0, 1 },
    { "pop Ev", OP1(0x8f), 0, K_E, SZ_V, 0, F_STACK, 0, 0, FX_POP, 0, 1 },
    { "pushf", OP1(0x9c), -1, K_N, SZ_V, 0, F_STACK, ALLF | D, 0, FX_PUSH, 0, 2 },
    { "popf", OP1(0x9d), -1, K_N, SZ_V, 0, F_STACK, 0, 0, FX_POPF, 0, 3 },
    { "pusha", OP1(0x60), -1, K_N, SZ_V, 0, F_STACK, 0, 0, FX_PUSHA, 0, 1 },
    { "popa", OP1(0x61), -1, K_N, SZ_V, 0, F_STACK, 0, 0, FX_POPA, 0, 1 },
    { "enter Iw,Ib", OP1(0xc8), -1, K_ENTER, SZ_V, 0, F_STACK, 0, 0, FX_ENTER, 0, 2 },
    { "leave", OP1(0xc9), -1, K_N, SZ_V, 0, F_STACK, 0, 0, FX_LEAVE, 0, 2 },
    /* strings: movs cmps stos lods scas, with and without rep */
    { "string", OP1(0xa4), -1, K_N, SZ_V, 0, 0, D, 0, FX_STR, 0, 8 },
    { "xlat", OP1(0xd7), -1, K_N, 0, 0, 0, 0, 0, FX_XLAT, AX, 1 },
    /* misc */
    { "bound Gv,M", OP1(0x62), -1, K_GE, SZ_V, 0, F_MEM | F_NW, 0, 0, FX_BOUND, 0, 2 },
    { "into", OP1(0xce), -1, K_N, 0, 0, 0, O, 0, 0, 0, 1 },
    { "int3", OP1(0xcc), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "nop", OP1(0x90), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "pause", OP2(0xf3, 0x90), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "nop Ev", OP2(0x0f, 0x1f), 0, K_E, SZ_V, 0, F_NW | F_NOACC, 0, 0, 0, 0, 1 },
    /* #UD and #GP */
    { "ud2", OP2(0x0f, 0x0b), -1, K_N, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "ud1 Gv,Ev", OP2(0x0f, 0xb9), -1, K_GE, SZ_V, 0, F_NOACC, 0, 0, 0, 0, 1 },
    { "lea Gv,reg", OP1(0x8d), -1, K_GE, SZ_V, 0, F_REG, 0, 0, 0, 0, 1 },
    { "cmpxchg8b reg", OP2(0x0f, 0xc7), 1, K_E, SZ_D, 0, F_REG, 0, 0, 0, 0, 1 },
    { "int Ib", OP1(0xcd), -1, K_IB, 0, 0, 0, 0, 0, FX_INT, 0, 1 },
    { "privileged", OP1(0xf4), -1, K_N, 0, 0, 0, 0, 0, FX_PRIV, 0, 2 },
    /* control transfers inside the snippet (composites) */
    { "jcc", OP1(0x70), -1, K_N, 0, 0, F_CTRL, 0, 0, FX_JCC, 0, 6 },
    { "jmp", OP1(0xeb), -1, K_N, 0, 0, F_CTRL, 0, 0, FX_JMP, 0, 2 },
    { "jcxz", OP1(0xe3), -1, K_N, 0, 0, F_CTRL, 0, 0, FX_JCXZ, 0, 2 },
    { "loop fwd", OP1(0xe2), -1, K_N, 0, 0, F_CTRL, 0, 0, FX_LOOPF, 0, 2 },
    { "loop back", OP1(0xe2), -1, K_N, 0, 0, F_CTRL, 0, 0, FX_LOOPB, 0, 3 },
    { "call/ret", OP1(0xe8), -1, K_N, 0, 0, F_CTRL | F_STACK, 0, 0, FX_CALL, 0, 3 },
    { "call Ev", OP1(0xff), 2, K_N, 0, 0, F_CTRL | F_STACK, 0, 0, FX_CALLIND, 0, 2 },
    { "jmp Ev", OP1(0xff), 4, K_N, 0, 0, F_CTRL, 0, 0, FX_JMPIND, 0, 1 },
    { "jmp rel16 (o16)", OP2(0x66, 0xe9), -1, K_N, 0, 0, F_CTRL | F_M32ONLY, 0, 0, FX_JMP16, 0, 1 },
};

#define NFORMS ((int)(sizeof(forms) / sizeof(forms[0])))

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
static const char *const cc_names[16] = {
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
};
/* Flags each condition reads (SDM vol. 1, B.1). */
static const uint16_t cc_reads[8] = { O, C, Z, C | Z, S, P, S | O, Z | S | O };

/* ---- generator state ---------------------------------------------------------- */

typedef struct Gen {
    Rng r;
    Case *c;
    int mode;
    uint32_t ptr;      /* initial value points into the data area */
    uint32_t small;    /* initial value is a small index */
    uint32_t clob;     /* written by an earlier instruction: unknown value */
    uint32_t moved;    /* changed but still a safe pointer (string ops) */
    uint32_t addr;     /* used in an address: initial value must stay */
    uint32_t fixed;    /* initial value chosen for an instruction */
    uint32_t poison;   /* flags left undefined so far */
    int sp_delta, sp_delta_known;
    int pos;           /* code offset of the slot being generated */
    int nomem;         /* no memory operands (the body of a call: protects the return address) */
    int nresv;         /* data bytes later patches must not change (jump targets, popf values) */
    struct { int off, len; } resv[4];
    /* the slot being generated */
    uint8_t buf[CASE_MAX_INSN_BYTES + 8];
    int n;
    uint32_t undef;
    char name[64];
} Gen;

typedef struct Opnd {
    int mem;
    int reg;           /* register operand: its encoding */
    int mod, rm, sib, has_sib, dsize;
    uint32_t disp;
    int ea;            /* data-area offset when known, else -1 */
    int seg_cs;
} Opnd;

static int bit(int r)
{
    return 1 << r;
}

/* The GPR an operand register encoding writes (ah..bh are eax..ebx). */
static int reg_gpr(int reg, int bits)
{
    return bits == 8 ? (reg & 3) : reg;
}

/* A register whose initial value can still be chosen freely. */
static int settable(Gen *g, int r)
{
    return r != R_SP && !((g->clob | g->moved | g->addr | g->fixed) & bit(r));
}

static void set_reg(Gen *g, int r, uint32_t v)
{
    g->c->gpr[r] = v;
    g->fixed |= bit(r);
    g->ptr &= ~bit(r);
    g->small &= ~bit(r);
}

/* Current value of a register when the generator knows it. */
static int reg_known(Gen *g, int r, uint32_t *v)
{
    if ((g->clob | g->moved) & bit(r))
        return 0;
    if (r == R_SP) {
        if (!g->sp_delta_known)
            return 0;
        uint32_t sp = (uint32_t)g->c->gpr[R_SP];
        if (g->mode == 16)
            *v = (sp & 0xffff0000u) | ((sp + g->sp_delta) & 0xffff);
        else
            *v = sp + g->sp_delta;
        return 1;
    }
    *v = (uint32_t)g->c->gpr[r];
    return 1;
}

static void emit8(Gen *g, uint32_t v)
{
    if (g->n < (int)sizeof(g->buf))
        g->buf[g->n++] = (uint8_t)v;
}

static void emitn(Gen *g, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        emit8(g, v >> (8 * i));
}

static void add_patch(Gen *g, int off, uint64_t v, int bytes)
{
    Case *c = g->c;
    if (off < 0 || off + bytes > (int)DIFF_DATA_SIZE || c->npatch == CASE_MAX_PATCHES ||
        bytes > CASE_MAX_PATCH_BYTES)
        return;
    for (int i = 0; i < g->nresv; i++)
        if (off < g->resv[i].off + g->resv[i].len && g->resv[i].off < off + bytes)
            return;
    CasePatch *p = &c->patch[c->npatch++];
    p->off = (uint16_t)off;
    p->len = (uint8_t)bytes;
    for (int i = 0; i < bytes; i++)
        p->bytes[i] = (uint8_t)(v >> (8 * i));
}

/* Keep later patches off these bytes; 0 when the list is full. */
static int reserve(Gen *g, int off, int len)
{
    if (g->nresv == (int)PEMU_ARRAY_SIZE(g->resv))
        return 0;
    g->resv[g->nresv].off = off;
    g->resv[g->nresv].len = len;
    g->nresv++;
    return 1;
}

static void note(Gen *g, const char *fmt, const char *s)
{
    size_t n = strlen(g->name);
    if (n < sizeof(g->name) - 1)
        snprintf(g->name + n, sizeof(g->name) - n, fmt, s);
}

static void note_front(Gen *g, const char *h)
{
    char t[sizeof(g->name)];
    snprintf(t, sizeof(t), "%s%s", h, g->name);
    memcpy(g->name, t, sizeof(t));
}

/* ---- memory operands ------------------------------------------------------------ */

/* Data-area offset of a linear/segment offset, or -1. */
static int data_off(Gen *g, uint32_t a, int adsize, int size)
{
    if (g->mode == 32) {
        if (adsize == 16)
            return -1; /* 16-bit addressing in a flat segment: low memory */
        a -= DIFF_DATA_BASE;
    }
    return a + (uint32_t)size <= DIFF_DATA_SIZE ? (int)a : -1;
}

/* Data offset of the stack top when known, else -1. */
static int stack_off(Gen *g, int bytes)
{
    uint32_t sp;
    if (!reg_known(g, R_SP, &sp))
        return -1;
    return data_off(g, g->mode == 16 ? sp & 0xffff : sp, g->mode, bytes);
}

/*
 * A displacement that keeps a data pointer near the data area. A random one
 * only where that is harmless: the operand is not accessed (noacc), or mode
 * 16 where segment limits confine every access. In mode 32 a random address
 * could reach the runner's own memory.
 */
static uint32_t small_disp(Gen *g, int bytes, int noacc)
{
    if (bytes == 1)
        return (uint32_t)(int32_t)(int8_t)(below(&g->r, 192) - 64);
    if ((noacc || g->mode == 16) && chance(&g->r, 10))
        return (uint32_t)rnd(&g->r);
    return (uint32_t)(int32_t)(below(&g->r, 0x400) - 0x200);
}

/*
 * A memory operand of `size` bytes. noacc: the operand is never accessed
 * (lea, nop), so any register may take part in the address.
 */
static int pick_mem(Gen *g, Opnd *o, int adsize, int size, int noacc)
{
    uint32_t safe = g->ptr & ~g->clob;
    if (g->clob & bit(R_SP))
        safe &= ~bit(R_SP);
    uint32_t idx = g->small & ~g->clob & ~bit(R_SP);
    if (noacc)
        safe = idx = 0xff;
    if (g->mode == 16 && chance(&g->r, 8))
        safe = 0xff; /* mode 16 is limit-checked: stray pointers just #GP */
    memset(o, 0, sizeof(*o));
    o->mem = 1;
    o->ea = -1;
    if (adsize == 32) {
        uint32_t bases = safe, v = 0, vi = 0;
        int known = 1;
        if (!bases || chance(&g->r, 10)) {
            /* [disp32] or [index*s + disp32] */
            int off = below(&g->r, DIFF_DATA_SIZE - size + 1);
            o->disp = (g->mode == 32 ? DIFF_DATA_BASE : 0) + off;
            if (noacc && chance(&g->r, 30))
                o->disp = (uint32_t)rnd(&g->r);
            o->dsize = 4;
            if (idx && chance(&g->r, 30)) {
                int i;
                do
                    i = below(&g->r, 8);
                while (!(idx & bit(i)));
                int s = below(&g->r, 4);
                o->mod = 0;
                o->rm = 4;
                o->has_sib = 1;
                o->sib = s << 6 | i << 3 | 5;
                known = reg_known(g, i, &vi);
                v = o->disp + (vi << s);
                g->addr |= bit(i);
            } else {
                o->mod = 0;
                o->rm = 5;
                v = o->disp;
            }
        } else {
            int b;
            do
                b = below(&g->r, 8);
            while (!(bases & bit(b)));
            g->addr |= bit(b);
            known = reg_known(g, b, &v);
            switch (below(&g->r, 3)) {
            case 0: o->mod = b == R_BP ? 1 : 0; o->dsize = o->mod; o->disp = 0; break;
            case 1: o->mod = 1; o->dsize = 1; o->disp = small_disp(g, 1, noacc); break;
            default: o->mod = 2; o->dsize = 4; o->disp = small_disp(g, 4, noacc); break;
            }
            v += o->disp;
            if (b == R_SP || (idx && chance(&g->r, 30))) {
                int i = 4, s = below(&g->r, 4);
                if (idx && chance(&g->r, b == R_SP ? 50 : 100)) {
                    do
                        i = below(&g->r, 8);
                    while (!(idx & bit(i)));
                    g->addr |= bit(i);
                    known &= reg_known(g, i, &vi);
                    v += vi << s;
                }
                o->has_sib = 1;
                o->sib = s << 6 | i << 3 | b;
                o->rm = 4;
            } else {
                o->rm = b;
            }
        }
        if (known)
            o->ea = data_off(g, v, 32, size);
        return 0;
    }
    /* 16-bit addressing: rm 0 bx+si, 1 bx+di, 2 bp+si, 3 bp+di, 4 si, 5 di, 6 bp, 7 bx */
    static const uint8_t rm_regs[8][2] = {
        { R_BX, R_SI }, { R_BX, R_DI }, { R_BP, R_SI }, { R_BP, R_DI },
        { R_SI, 8 }, { R_DI, 8 }, { R_BP, 8 }, { R_BX, 8 },
    };
    int avail[9], na = 0;
    for (int rm = 0; rm < 8; rm++)
        if ((safe & bit(rm_regs[rm][0])) && (rm_regs[rm][1] == 8 || (safe & bit(rm_regs[rm][1]))))
            avail[na++] = rm;
    if (g->mode == 32 && !noacc)
        na = 0; /* every 16-bit address is low memory: use [disp16] only */
    avail[na++] = 8; /* [disp16] */
    int pick = avail[below(&g->r, na)];
    uint32_t v = 0, vr;
    int known = 1;
    if (pick == 8) {
        o->mod = 0;
        o->rm = 6;
        o->dsize = 2;
        o->disp = below(&g->r, DIFF_DATA_SIZE - size + 1);
        v = o->disp;
    } else {
        o->rm = pick;
        for (int k = 0; k < 2; k++) {
            int r = rm_regs[pick][k];
            if (r == 8)
                continue;
            g->addr |= bit(r);
            if (reg_known(g, r, &vr))
                v += vr;
            else
                known = 0;
        }
        switch (below(&g->r, 3)) {
        case 0: o->mod = pick == 6 ? 1 : 0; o->dsize = o->mod; o->disp = 0; break;
        case 1: o->mod = 1; o->dsize = 1; o->disp = small_disp(g, 1, noacc); break;
        default: o->mod = 2; o->dsize = 2; o->disp = small_disp(g, 2, noacc) & 0xffff; break;
        }
        v += o->disp;
    }
    if (known)
        o->ea = data_off(g, v & 0xffff, 16, size);
    return 0;
}

static void emit_modrm(Gen *g, const Opnd *o, int regfield)
{
    if (!o->mem) {
        emit8(g, 0xc0 | regfield << 3 | o->reg);
        return;
    }
    emit8(g, o->mod << 6 | regfield << 3 | o->rm);
    if (o->has_sib)
        emit8(g, o->sib);
    emitn(g, o->disp, o->dsize);
}

/* An edge value in memory at a known operand address, sometimes. */
static void maybe_patch(Gen *g, const Opnd *o, int bytes)
{
    if (o->mem && o->ea >= 0 && !o->seg_cs && chance(&g->r, 35))
        add_patch(g, o->ea, edge(&g->r, bytes * 8), bytes);
}

/* ---- one instruction -------------------------------------------------------------- */

typedef struct Insn {
    int opsize, adsize;      /* 16 or 32 */
    int lock, seg, o16, a16; /* prefixes to emit */
    uint32_t wr;             /* registers written */
    uint32_t fr, fu;         /* flags read / left undefined */
} Insn;

static void emit_prefixes(Gen *g, Insn *in)
{
    uint8_t p[4];
    int n = 0;
    if (in->lock)
        p[n++] = 0xf0;
    if (in->seg)
        p[n++] = (uint8_t)in->seg;
    if (in->opsize != g->mode)
        p[n++] = 0x66;
    if (in->adsize != g->mode)
        p[n++] = 0x67;
    /* Prefix order does not matter to the CPU: shuffle it. */
    for (int i = n - 1; i > 0; i--) {
        int j = below(&g->r, i + 1);
        uint8_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    for (int i = 0; i < n; i++)
        emit8(g, p[i]);
}

static uint32_t shift_undef(int op, int bits, int count)
{
    if (count < 0) /* unknown count */
        return (op >= 4 ? A | O : O) | ((op == 4 || op == 5) && bits < 32 ? C : 0);
    int m = count & 31;
    if (m == 0)
        return 0;
    if (op < 4)
        return m == 1 ? 0 : O;
    uint32_t u = m == 1 ? A : A | O;
    if ((op == 4 || op == 5) && m >= bits)
        u |= C;
    return u;
}

static int pick_count(Gen *g, int bits)
{
    static const int counts[] = { 0, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255 };
    if (chance(&g->r, 20))
        return below(&g->r, 256);
    if (chance(&g->r, 25))
        return bits - 1;
    return counts[below(&g->r, PEMU_ARRAY_SIZE(counts))];
}

static int emit_form(Gen *g, const Form *f);
static int emit_fp_slot(Gen *g);
static int gen_class;

/* One instruction of form f: operands, fix-ups, encoding, effects. 0, or -1 to retry. */
static int emit_simple(Gen *g, const Form *f, Insn *in)
{
    Rng *r = &g->r;
    int mode = g->mode;
    memset(in, 0, sizeof(*in));
    in->opsize = mode;
    in->adsize = mode;
    if ((f->fl & F_M32ONLY) && mode != 32)
        return -1;
    if (f->size == SZ_V || f->esize) {
        if (f->fl & F_OS32)
            in->opsize = 32;
        else if (chance(r, mode == 32 ? 25 : 40))
            in->opsize = mode == 32 ? 16 : 32;
    } else if (chance(r, 3)) {
        in->opsize = mode == 32 ? 16 : 32; /* a 66 prefix that changes nothing */
    }
    int bits = f->size == SZ_V ? in->opsize : f->size * 8;
    int ebits = f->esize ? f->esize * 8 : bits;
    in->fr = f->fr;
    in->fu = f->fu;

    /* Operation chosen inside the form. */
    uint8_t op[3];
    memcpy(op, f->op, sizeof(op));
    int digit = f->digit;
    char nm[48];
    snprintf(nm, sizeof(nm), "%s", f->name);
    if (f->fl & F_ALU) {
        int a = below(r, 8);
        if (digit >= 0)
            digit = a;
        else
            op[0] |= a << 3;
        if (a == 2 || a == 3)
            in->fr |= C;
        if (a == 4 || a == 1 || a == 6)
            in->fu |= A;
        snprintf(nm, sizeof(nm), "%s%s", alu_names[a], f->name + 3);
    }
    if (f->fl & F_SHIFT) {
        int a;
        do
            a = below(r, 8);
        while (a == 6);
        digit = a;
        if (a == 2 || a == 3)
            in->fr |= C;
        snprintf(nm, sizeof(nm), "%s%s", shift_names[a], f->name + 5);
    }
    if (f->fl & F_CC) {
        int cc = below(r, 16);
        op[f->oplen - 1] |= cc;
        in->fr |= cc_reads[cc >> 1];
        const char *sp = strchr(f->name, ' ');
        snprintf(nm, sizeof(nm), "%.*s%s%s", (int)(strstr(f->name, "cc") - f->name), f->name,
                 cc_names[cc], sp ? sp : "");
    }

    /* Operands. */
    Opnd e = { 0 };
    int greg = -1;
    int has_e = f->kind == K_EG || f->kind == K_GE || f->kind == K_E || f->kind == K_EI ||
                f->kind == K_EIB || f->kind == K_GEI || f->kind == K_GEIB || f->kind == K_EGIB;
    if (chance(r, g->mode == 32 ? 6 : 12) || ((f->fl & F_NOACC) && chance(r, 30)))
        in->adsize = mode == 32 ? 16 : 32;
    if (has_e) {
        int want_mem = (f->fl & F_MEM) ? 1 : (f->fl & F_REG) ? 0 : chance(r, 45);
        if (g->nomem && want_mem)
            return -1;
        if (want_mem) {
            int bytes = f->fx == FX_CMPXCHG8B ? 8 : f->fx == FX_BOUND ? 2 * bits / 8 : ebits / 8;
            pick_mem(g, &e, in->adsize, bytes, (f->fl & F_NOACC) != 0);
            if (chance(r, 12)) {
                static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
                in->seg = segs[below(r, 4)];
                e.seg_cs = in->seg == 0x2e;
            }
        } else {
            e.reg = below(r, 8);
        }
        if (f->kind != K_E && f->kind != K_EI && f->kind != K_EIB)
            greg = below(r, 8);
    }
    /* Lock: on lockable memory forms often; anywhere else rarely (#UD). */
    if (((f->fl & F_LOCK) && e.mem && chance(r, 25)) || chance(r, 1))
        in->lock = 1;

    /* Registers written. */
    if (has_e && !e.mem && !(f->fl & F_NW) && f->kind != K_GE && f->kind != K_GEI &&
        f->kind != K_GEIB)
        in->wr |= bit(reg_gpr(e.reg, ebits));
    if (greg >= 0 && (f->kind == K_GE || f->kind == K_GEI || f->kind == K_GEIB) && !(f->fl & F_NW))
        in->wr |= bit(reg_gpr(greg, bits));
    if (greg >= 0 && (f->fl & F_W2))
        in->wr |= bit(reg_gpr(greg, bits));
    if (f->kind == K_AI && !(f->fl & F_NW))
        in->wr |= AX; /* alu AL/eAX, imm writes the accumulator */
    if ((f->fl & F_ALU) && (digit == 7 || (digit < 0 && (op[0] >> 3) == 7)))
        in->wr = 0; /* cmp */
    in->wr |= f->imp;

    int oreg = below(r, 8);
    uint32_t imm = 0;
    int immbytes = 0;
    int count = -1;

    switch (f->fx) {
    case FX_SHIFT: {
        if (f->kind == K_EIB)
            count = imm = pick_count(g, bits), immbytes = 1;
        else if (op[0] == 0xd0 || op[0] == 0xd1)
            count = 1;
        else if (settable(g, R_CX))
            count = pick_count(g, bits),
            set_reg(g, R_CX, ((uint32_t)g->c->gpr[R_CX] & ~0xffu) | count);
        else if (!((g->clob | g->moved) & CX))
            count = (uint32_t)g->c->gpr[R_CX] & 0xff, g->fixed |= CX;
        in->fu |= shift_undef(digit, bits, count);
        break;
    }
    case FX_SHXD: {
        int lim = bits == 16 ? 17 : 256;
        if (f->kind == K_EGIB) {
            count = below(r, 4) ? pick_count(g, bits) % lim : (int)below(r, lim);
            imm = count;
            immbytes = 1;
        } else if (settable(g, R_CX)) {
            count = pick_count(g, bits) % lim;
            set_reg(g, R_CX, ((uint32_t)g->c->gpr[R_CX] & ~0xffu) | count);
        } else if (!((g->clob | g->moved) & CX)) {
            count = (uint32_t)g->c->gpr[R_CX] & 0xff;
            g->fixed |= CX; /* the undefined mask depends on this value */
            if (bits == 16 && (count & 31) > 16)
                return -1;
        } else if (bits == 16) {
            return -1;
        }
        in->fu |= shift_undef(4, 32, count); /* C defined: counts stay within width */
        break;
    }
    case FX_DIV: {
        int lowr = R_AX, highr = bits == 8 ? R_AX : R_DX;
        uint64_t m = mask_of(bits);
        if (chance(r, 15)) { /* divide by zero */
            if (!e.mem && settable(g, reg_gpr(e.reg, bits)) && !(bits == 8 && e.reg >= 4))
                set_reg(g, e.reg, (uint32_t)g->c->gpr[e.reg] & ~(uint32_t)m);
            else if (e.mem && e.ea >= 0)
                add_patch(g, e.ea, 0, bits / 8);
        } else if (chance(r, 65) && settable(g, highr) && (highr == lowr || settable(g, lowr))) {
            /* A dividend whose quotient fits: high part 0 or the sign. */
            uint32_t ax = (uint32_t)g->c->gpr[R_AX];
            int idiv = digit == 7;
            if (bits == 8) {
                uint32_t hi = idiv && (ax & 0x80) ? 0xff : 0;
                set_reg(g, R_AX, (ax & ~0xff00u) | hi << 8);
            } else {
                uint32_t sign = idiv && ((ax >> (bits - 1)) & 1) ? (uint32_t)m : 0;
                uint32_t dx = (uint32_t)g->c->gpr[R_DX];
                set_reg(g, R_DX, (dx & ~(uint32_t)m) | sign);
                set_reg(g, R_AX, ax);
            }
        }
        break;
    }
    case FX_BTREG:
        if (e.mem) {
            /* The bit offset addresses memory: keep it small (and signed). */
            if (!settable(g, greg))
                return -1;
            int32_t off = (int32_t)below(r, 640) - 128;
            if (bits == 16)
                set_reg(g, greg, ((uint32_t)g->c->gpr[greg] & 0xffff0000u) | (off & 0xffff));
            else
                set_reg(g, greg, (uint32_t)off);
            g->addr |= bit(greg);
            if (e.ea >= 0)
                e.ea = -1; /* the access is elsewhere */
        }
        break;
    case FX_BTIMM:
        imm = chance(r, 50) ? below(r, bits) : below(r, 256);
        immbytes = 1;
        break;
    case FX_BSF:
        if (chance(r, 25)) {
            if (!e.mem && settable(g, e.reg))
                set_reg(g, e.reg, bits == 16 ? (uint32_t)g->c->gpr[e.reg] & 0xffff0000u : 0);
            else if (e.mem && e.ea >= 0)
                add_patch(g, e.ea, 0, bits / 8);
        }
        break;
    case FX_AAM:
        imm = chance(r, 50) ? 10 : chance(r, 20) ? 0 : below(r, 256);
        break;
    case FX_CMPXCHG: {
        uint32_t ax;
        if (chance(r, 50) && reg_known(g, R_AX, &ax)) {
            if (e.mem && e.ea >= 0)
                add_patch(g, e.ea, ax, bits / 8);
            else if (!e.mem && bits != 8 && settable(g, e.reg))
                set_reg(g, e.reg, ax);
        }
        break;
    }
    case FX_CMPXCHG8B: {
        uint32_t ax, dx;
        if (chance(r, 50) && e.ea >= 0 && reg_known(g, R_AX, &ax) && reg_known(g, R_DX, &dx))
            add_patch(g, e.ea, (uint64_t)dx << 32 | ax, 8);
        break;
    }
    case FX_BOUND: {
        uint32_t v;
        if (e.ea >= 0 && reg_known(g, reg_gpr(greg, bits), &v) && chance(r, 60)) {
            int64_t x = bits == 16 ? (int16_t)v : (int32_t)v;
            int64_t lo = x - (chance(r, 30) ? 0 : below(r, 100));
            int64_t hi = x + (chance(r, 30) ? 0 : below(r, 100));
            if (chance(r, 15))
                lo = x + 1; /* just outside */
            add_patch(g, e.ea, (uint64_t)lo, bits / 8);
            add_patch(g, e.ea + bits / 8, (uint64_t)hi, bits / 8);
        }
        break;
    }
    case FX_INT:
        do
            imm = below(r, 256);
        while (imm == 3 || imm == 4 || imm == 0x80);
        if (chance(r, 20))
            imm = 0x21;
        break;
    case FX_PRIV: {
        /* #GP at CPL 3 with IOPL 0: hlt cli sti in out ins outs clts */
        static const uint8_t priv[] = { 0xf4, 0xfa, 0xfb, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d,
                                        0x6e, 0x6f, 0xe4, 0xe5, 0xe6, 0xe7 };
        op[0] = priv[below(r, PEMU_ARRAY_SIZE(priv))];
        if (op[0] >= 0xe4 && op[0] <= 0xe7)
            imm = below(r, 256), immbytes = 1;
        static const char *const pn[] = { "hlt", "cli", "sti", "in", "out", "ins", "outs" };
        int k = op[0] == 0xf4 ? 0 : op[0] == 0xfa ? 1 : op[0] == 0xfb ? 2
              : (op[0] == 0xec || op[0] == 0xed || op[0] == 0xe4 || op[0] == 0xe5) ? 3
              : (op[0] == 0x6c || op[0] == 0x6d) ? 5 : (op[0] == 0x6e || op[0] == 0x6f) ? 6 : 4;
        snprintf(nm, sizeof(nm), "%s (#GP)", pn[k]);
        break;
    }
    default:
        break;
    }

    /* Stack users need a stack pointer that still points into the data area. */
    if (f->fl & F_STACK) {
        if (g->clob & SP)
            return -1;
    }
    int sbytes = in->opsize / 8;
    switch (f->fx) {
    case FX_PUSH:
        g->sp_delta -= sbytes;
        break;
    case FX_POP:
        g->sp_delta += sbytes;
        if (f->kind == K_O && oreg == R_SP)
            in->wr |= SP;
        break;
    case FX_PUSHA:
        g->sp_delta -= 8 * sbytes;
        break;
    case FX_POPA:
        g->sp_delta += 8 * sbytes;
        in->wr |= 0xff & ~SP;
        break;
    case FX_POPF: {
        /* The popped value: random flags, never TF (a single-step trap). */
        uint32_t fv = (uint32_t)rnd(r) & (ALLF | D | FL_AC | FL_ID | FL_IF | FL_IOPL | FL_NT);
        fv &= ~FL_NT;
        if (!chance(r, 30))
            fv &= ~FL_AC;
        int so = g->sp_delta >= 0 ? stack_off(g, sbytes) : -1;
        int np = g->c->npatch;
        if (so >= 0)
            add_patch(g, so, fv, sbytes);
        if (so >= 0 && g->c->npatch > np && reserve(g, so, sbytes)) {
            /* popped from the patch */
        } else {
            /* push Iz; popf */
            emit_prefixes(g, &(Insn){ .opsize = in->opsize, .adsize = g->mode });
            emit8(g, 0x68);
            emitn(g, fv, sbytes);
            g->sp_delta -= sbytes;
            note(g, "%s", "push Iz; ");
        }
        g->sp_delta += sbytes;
        break;
    }
    case FX_ENTER: {
        if ((g->clob & BP) || !((g->ptr | g->moved) & BP))
            return -1;
        uint32_t size = chance(r, 70) ? below(r, 9) * 4 : chance(r, 80) ? below(r, 0x100) : 0x8000;
        int level = chance(r, 60) ? 0 : chance(r, 85) ? 1 + below(r, 3) : below(r, 256);
        imm = size | (uint32_t)level << 16;
        g->sp_delta_known = 0;
        if (size > 0x200)
            in->wr |= SP;
        g->moved |= BP;
        break;
    }
    case FX_LEAVE:
        if ((g->clob & BP) || !((g->ptr | g->moved) & BP))
            return -1;
        g->sp_delta_known = 0;
        in->wr |= BP;
        break;
    case FX_XLAT:
        if ((g->clob | g->moved) & BX || !(g->ptr & BX))
            return -1;
        g->addr |= BX;
        if (chance(r, 10)) {
            static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
            in->seg = segs[below(r, 4)];
        }
        break;
    case FX_STR: {
        /* a4 movs, a6 cmps, aa stos, ac lods, ae scas; +1 for word/dword */
        static const uint8_t sops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
        static const char *const sn[] = { "movs", "cmps", "stos", "lods", "scas" };
        int k = below(r, 5);
        int wide = chance(r, 70);
        op[0] = sops[k] + wide;
        int src = k == 0 || k == 1 || k == 3, dst = k != 3;
        if (!wide && chance(r, 90))
            in->opsize = g->mode;
        uint32_t need = (src ? SI : 0) | (dst ? DI : 0);
        if (g->nomem || (g->clob & need) || ((g->ptr | g->moved) & need) != need)
            return -1;
        if (in->adsize != g->mode && !chance(r, 20))
            in->adsize = g->mode;
        g->addr |= need;
        int rep = chance(r, 60) ? (k == 1 || k == 4 ? (chance(r, 50) ? 0xf3 : 0xf2) : 0xf3) : 0;
        if (rep && settable(g, R_CX)) {
            uint32_t n = chance(r, 85) ? below(r, 9) : below(r, 0x400);
            uint32_t cx = (uint32_t)g->c->gpr[R_CX];
            set_reg(g, R_CX, in->adsize == 16 ? (cx & 0xffff0000u) | n : n);
        }
        if (src && chance(r, 15)) {
            static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
            in->seg = segs[below(r, 4)];
        }
        if (rep) {
            emit8(g, rep);
            in->wr |= CX;
        }
        if (k == 3)
            in->wr |= AX;
        g->moved |= need;
        snprintf(nm, sizeof(nm), "%s%s%c", rep == 0xf2 ? "repne " : rep ? (k == 1 || k == 4 ? "repe " : "rep ") : "",
                 sn[k], wide ? (in->opsize == 16 ? 'w' : 'd') : 'b');
        break;
    }
    default:
        break;
    }

    /* Encode. */
    emit_prefixes(g, in);
    for (int i = 0; i < f->oplen; i++) {
        uint8_t b = op[i];
        if (i == f->oplen - 1 && (f->kind == K_O || f->kind == K_OI)) {
            if (f->op[0] == 0x90 && oreg == 0)
                oreg = 1 + below(r, 7); /* 90 is nop, not xchg */
            b |= oreg;
        }
        emit8(g, b);
    }
    switch (f->kind) {
    case K_EG: case K_GE: case K_GEI: case K_GEIB: case K_EGIB:
        emit_modrm(g, &e, greg);
        break;
    case K_E: case K_EI: case K_EIB:
        emit_modrm(g, &e, digit);
        break;
    default:
        break;
    }
    switch (f->kind) {
    case K_EI: case K_AI: case K_GEI: case K_OI: case K_IZ:
        if (f->kind == K_IZ)
            bits = in->opsize;
        imm = (uint32_t)value(r, bits);
        emitn(g, imm, bits / 8);
        break;
    case K_EIB: case K_GEIB: case K_EGIB: case K_IB:
        if (f->fx == FX_NONE || f->fx == FX_PUSH)
            imm = (uint32_t)value(r, 8);
        emitn(g, imm, 1);
        break;
    case K_ENTER:
        emitn(g, imm & 0xffff, 2);
        emit8(g, imm >> 16);
        break;
    case K_MOFFS: {
        if (g->nomem)
            return -1;
        int off = below(r, DIFF_DATA_SIZE - bits / 8 + 1);
        uint32_t a = in->adsize == 16 ? (uint32_t)off : (g->mode == 32 ? DIFF_DATA_BASE : 0) + off;
        emitn(g, a, in->adsize / 8);
        e.mem = 1;
        e.ea = in->adsize == 16 && g->mode == 32 ? -1 : off;
        break;
    }
    default:
        if (immbytes)
            emitn(g, imm, immbytes);
        break;
    }
    if (f->kind == K_O || f->kind == K_OI) {
        if (!(f->fl & F_NW))
            in->wr |= bit(reg_gpr(oreg, bits));
    }
    if (f->fx == FX_DIV || f->fx == FX_BOUND || f->fx == FX_CMPXCHG8B || f->fx == FX_BTREG)
        ; /* patched above (or must not be) */
    else if (!(f->fl & F_NOACC))
        maybe_patch(g, &e, ebits / 8);

    /* Flags: an undefined flag from an earlier instruction must not be read. */
    if (in->fr & g->poison)
        return -1;
    if (in->wr & SP)
        g->sp_delta_known = 0;
    g->clob |= in->wr;
    g->poison |= in->fu;
    g->undef |= in->fu;
    note(g, "%s", nm);
    return 0;
}

/* A body for a composite: one simple, non-stack instruction. */
static const Form *pick_body(Gen *g)
{
    for (;;) {
        const Form *f = &forms[below(&g->r, NFORMS)];
        if (!(f->fl & (F_CTRL | F_STACK)) && f->fx != FX_ENTER && f->fx != FX_LEAVE)
            return f;
    }
}

static int emit_body(Gen *g, uint32_t forbid_wr, uint32_t *fr)
{
    Insn in;
    const Form *f = pick_body(g);
    note(g, "%s", "{ ");
    if (emit_simple(g, f, &in) < 0 || (in.wr & forbid_wr))
        return -1;
    note(g, "%s", " }");
    if (fr)
        *fr = in.fr;
    return 0;
}

static uint32_t code_addr(Gen *g, int off)
{
    return (g->mode == 32 ? DIFF_CODE_BASE : 0) + off;
}

static int emit_form(Gen *g, const Form *f)
{
    Rng *r = &g->r;
    int rel32 = g->mode == 32 ? 4 : 2;
    int start = g->n;
    if ((f->fl & F_M32ONLY) && g->mode != 32)
        return -1;
    switch (f->fx) {
    case FX_JCC: case FX_JMP: case FX_JCXZ: case FX_LOOPF: {
        /* branch over one body instruction */
        int longf = (f->fx == FX_JCC || f->fx == FX_JMP) && chance(r, 35);
        int cc = below(r, 16);
        int a16 = (f->fx == FX_JCXZ || f->fx == FX_LOOPF) && chance(r, 25);
        uint32_t fr = 0;
        int hdr;
        if (f->fx == FX_JCC)
            fr = cc_reads[cc >> 1], hdr = longf ? 2 + rel32 : 2;
        else if (f->fx == FX_JMP)
            hdr = longf ? 1 + rel32 : 2;
        else
            hdr = 2 + a16;
        int lop = f->fx == FX_LOOPF ? below(r, 3) : 0; /* e2 loop, e1 loope, e0 loopne */
        if (lop)
            fr = Z;
        if (fr & g->poison)
            return -1;
        g->n += hdr;
        /* the loop decrements rCX before the body runs: its value is unknown there */
        if (f->fx == FX_LOOPF)
            g->clob |= CX;
        if (emit_body(g, 0, NULL) < 0)
            return -1;
        int dist = g->n - start - hdr;
        uint8_t *p = g->buf + start;
        if (a16)
            *p++ = 0x67;
        if (f->fx == FX_JCC && longf) {
            *p++ = 0x0f;
            *p++ = 0x80 | cc;
            for (int i = 0; i < rel32; i++)
                *p++ = (uint8_t)(dist >> (8 * i));
        } else if (f->fx == FX_JMP && longf) {
            *p++ = 0xe9;
            for (int i = 0; i < rel32; i++)
                *p++ = (uint8_t)(dist >> (8 * i));
        } else {
            *p++ = f->fx == FX_JCC ? 0x70 | cc : f->fx == FX_JMP ? 0xeb : f->fx == FX_JCXZ ? 0xe3 : 0xe2 - lop;
            *p++ = (uint8_t)dist;
        }
        if (f->fx == FX_LOOPF)
            g->clob |= CX;
        char h[32];
        snprintf(h, sizeof(h), "%s%s%s ", f->fx == FX_JCC ? "j" : "", f->fx == FX_JCC ? cc_names[cc]
                 : f->fx == FX_JMP ? "jmp" : f->fx == FX_JCXZ ? "jcxz" : lop == 1 ? "loope" : lop == 2 ? "loopne" : "loop",
                 longf ? "32" : "");
        note_front(g, h);
        return 0;
    }
    case FX_LOOPB: {
        /* L: body; loop L  -- with a small count */
        int a16 = chance(r, 20);
        int adsize = a16 ? (g->mode == 32 ? 16 : 32) : g->mode;
        int lop = below(r, 3);
        if (!settable(g, R_CX))
            return -1;
        uint32_t cx = (uint32_t)g->c->gpr[R_CX];
        uint32_t n = 1 + below(r, 5);
        set_reg(g, R_CX, adsize == 16 ? (cx & 0xffff0000u) | n : n);
        uint32_t fr;
        note(g, "%s", lop == 1 ? "loope back " : lop == 2 ? "loopne back " : "loop back ");
        if (emit_body(g, CX | SP, &fr) < 0)
            return -1;
        /* The body runs again after itself: it must not read what it poisons. */
        if ((fr & g->poison) || (lop && (g->poison & Z)))
            return -1;
        int dist = g->n - start + 2 + a16;
        if (a16)
            emit8(g, 0x67);
        emit8(g, 0xe2 - lop);
        emit8(g, (uint8_t)-dist);
        g->clob |= CX;
        return 0;
    }
    case FX_CALL: case FX_CALLIND: case FX_JMPIND: {
        if (g->clob & SP)
            return -1;
        int mem = chance(r, 40);
        int ind = f->fx != FX_CALL;
        int isjmp = f->fx == FX_JMPIND;
        int treg = 0;
        Opnd e = { 0 };
        /* Layout (call): [setup][call sub][jmp end][sub: body][ret][end]
         *        (jmp):  [setup][jmp target][body][target] */
        if (ind && !mem) {
            int cand[8], nc = 0;
            for (int i = 0; i < 8; i++)
                if (settable(g, i))
                    cand[nc++] = i;
            if (!nc)
                return -1;
            treg = cand[below(r, nc)];
            /* it will hold the target address: the body must not depend on
             * its value (a CL shift count, a pointer) */
            g->clob |= bit(treg);
        } else if (ind) {
            /* The target is a patch: nothing may write it before the jump. */
            if (g->pos != 0)
                return -1;
            pick_mem(g, &e, g->mode, g->mode / 8, 0);
            if (e.ea < 0)
                return -1;
        }
        int callsz = ind ? 1 + (mem ? 1 + e.has_sib + e.dsize : 1) : 1 + rel32;
        int hdr = callsz + (isjmp ? 0 : 2);
        g->n += hdr;
        int bstart = g->n;
        /*
         * The body must not be able to overwrite the return address: a ret
         * to a random place could run the runner's code (mode 32) or loop
         * forever inside the code area (mode 16).
         */
        g->nomem = !isjmp;
        int rc = emit_body(g, SP, NULL);
        g->nomem = 0;
        if (rc < 0)
            return -1;
        int blen = g->n - bstart;
        int retimm = !isjmp && chance(r, 25) ? 2 * (int)below(r, 5) : -1;
        if (!isjmp) {
            if (retimm >= 0) {
                emit8(g, 0xc2);
                emitn(g, retimm, 2);
            } else {
                emit8(g, 0xc3);
            }
        }
        int end = g->n;
        /* target: the body (call) or the end (jmp) */
        int target = isjmp ? end : bstart;
        uint32_t ta = code_addr(g, g->pos + target);
        uint8_t *p = g->buf + start;
        if (!ind) {
            *p++ = 0xe8;
            int rel = target - (start + callsz);
            for (int i = 0; i < rel32; i++)
                *p++ = (uint8_t)(rel >> (8 * i));
        } else {
            *p++ = 0xff;
            int dg = isjmp ? 4 : 2;
            if (mem) {
                *p++ = e.mod << 6 | dg << 3 | e.rm;
                if (e.has_sib)
                    *p++ = e.sib;
                for (int i = 0; i < e.dsize; i++)
                    *p++ = (uint8_t)(e.disp >> (8 * i));
                add_patch(g, e.ea, ta, g->mode / 8);
                if (g->c->npatch == 0 || g->c->patch[g->c->npatch - 1].off != e.ea)
                    return -1;
                reserve(g, e.ea, g->mode / 8);
            } else {
                *p++ = 0xc0 | dg << 3 | treg;
                set_reg(g, treg, g->mode == 16 ? ((uint32_t)g->c->gpr[treg] & 0xffff0000u) | ta : ta);
                g->addr |= bit(treg);
            }
        }
        if (!isjmp) {
            *p++ = 0xeb;
            *p++ = (uint8_t)(blen + (retimm >= 0 ? 3 : 1));
            g->sp_delta += retimm > 0 ? retimm : 0;
        }
        char h[32];
        snprintf(h, sizeof(h), "%s%s%s ", isjmp ? "jmp" : "call", ind ? (mem ? " [m]" : " reg") : "",
                 retimm >= 0 ? "/ret n" : isjmp ? "" : "/ret");
        note_front(g, h);
        return 0;
    }
    case FX_JMP16: {
        /* 66 e9 rel16 in a 32-bit segment: EIP is truncated to 16 bits (#PF) */
        emit8(g, 0x66);
        emit8(g, 0xe9);
        emitn(g, (uint32_t)rnd(r), 2);
        note(g, "%s", "jmp rel16 (o16)");
        return 0;
    }
    default: {
        Insn in;
        return emit_simple(g, f, &in);
    }
    }
}

/* ---- a case ------------------------------------------------------------------- */

static uint32_t reg_value(Gen *g)
{
    Rng *r = &g->r;
    uint32_t v = chance(r, 50) ? (uint32_t)edge(r, 32) : (uint32_t)rnd(r);
    if (chance(r, 30))
        v = (v & 0xffff0000u) | (uint32_t)edge(r, 16);
    if (chance(r, 30))
        v = (v & ~0xffu) | (uint32_t)edge(r, 8);
    if (chance(r, 15))
        v = (v & ~0xff00u) | (uint32_t)edge(r, 8) << 8;
    return v;
}

static void init_regs(Gen *g)
{
    Rng *r = &g->r;
    Case *c = g->c;
    uint32_t base = g->mode == 32 ? DIFF_DATA_BASE : 0;
    g->ptr = g->small = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t v;
        if (i == R_SP) {
            v = base + ((0x800 + below(r, 0x700)) & ~3u);
            if (chance(r, 8))
                v += 1 + below(r, 3);
            if (g->mode == 16 && chance(r, 30))
                v |= (uint32_t)rnd(r) << 16;
            g->ptr |= bit(i);
        } else if (i == R_BP || ((i == R_BX || i == R_SI || i == R_DI) && chance(r, 85))) {
            v = base + (i == R_BP ? 0x400 + below(r, 0x600) : 0x40 + below(r, g->mode == 16 ? 0x700 : 0xf00));
            if (chance(r, 70))
                v &= ~3u;
            g->ptr |= bit(i);
        } else if (chance(r, i == R_CX ? 30 : 15)) {
            v = below(r, 16);
            if (g->mode == 16 && chance(r, 20))
                v |= (uint32_t)rnd(r) << 16;
            g->small |= bit(i);
        } else {
            v = reg_value(g);
        }
        c->gpr[i] = v;
    }
}

void gen_case(Case *c, int mode, uint64_t seed, uint64_t index)
{
    if (mode == 64) {
        gen64_case(c, seed, index);
        return;
    }
    Gen g;
    memset(c, 0, sizeof(*c));
    memset(&g, 0, sizeof(g));
    g.r.s = seed * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0xd1b54a32d192ed03ull ^ (uint64_t)mode;
    rnd(&g.r);
    g.c = c;
    g.mode = mode;
    g.sp_delta_known = 1;
    snprintf(c->id, sizeof(c->id), "%d:%llu:%llu", mode, (unsigned long long)seed,
             (unsigned long long)index);
    c->mode = mode;
    c->data_seed = (uint32_t)rnd(&g.r);
    c->eflags = 0x202 | ((uint32_t)rnd(&g.r) & ALLF);
    if (chance(&g.r, 20))
        c->eflags |= D;
    if (chance(&g.r, 6))
        c->eflags |= FL_AC;
    init_regs(&g);

    static int total_weight;
    if (!total_weight)
        for (int i = 0; i < NFORMS; i++)
            total_weight += forms[i].weight;

    static const int nweights[] = { 1, 1, 1, 1, 2, 2, 2, 3, 3, 4 };
    int want = nweights[below(&g.r, PEMU_ARRAY_SIZE(nweights))];
    if (gen_class != GEN_INT)
        want = 2 + (int)below(&g.r, CASE_MAX_INSNS - 1);
    int pos = 0;
    for (int slot = 0; slot < want && c->ninsn < CASE_MAX_INSNS; slot++) {
        for (int tries = 0; tries < 50; tries++) {
            Gen saved = g;
            Case csaved = *c;
            int w = below(&g.r, total_weight), i = 0;
            while (w >= forms[i].weight)
                w -= forms[i++].weight;
            g.n = 0;
            g.undef = 0;
            g.name[0] = 0;
            g.pos = pos;
            int rc = gen_class != GEN_INT ? emit_fp_slot(&g) : emit_form(&g, &forms[i]);
            if (rc == 0 && g.n <= CASE_MAX_INSN_BYTES &&
                pos + g.n <= CASE_MAX_CODE) {
                CaseInsn *in = &c->insn[c->ninsn++];
                in->len = (uint8_t)g.n;
                memcpy(in->bytes, g.buf, g.n);
                in->undef = g.undef;
                snprintf(in->form, sizeof(in->form), "%s", g.name);
                pos += g.n;
                break;
            }
            /* Undo everything the failed attempt chose, except the random stream. */
            Rng keep = g.r;
            g = saved;
            g.r = keep;
            *c = csaved;
        }
    }
}

/* ---- the x87 and MMX classes ------------------------------------------------------
 *
 * gen_set_class(GEN_X87 / GEN_X87T / GEN_MMX) replaces the integer form table
 * by sequences of x87 (or MMX) instructions. Every run starts from the same
 * FP state (case.h, result_fp_init), so a sequence begins with loads of
 * memory operands the generator patches with edge values (zeros, infinities,
 * NaNs, denormals, pseudo-denormals, unnormals, integer and BCD edges) and
 * sometimes an FLDCW of a random control word (rounding, precision, unmasked
 * exceptions: then the next waiting instruction raises #MF, which the host
 * delivers as SIGFPE trapno 16). GEN_X87T adds the transcendental
 * instructions (F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS): their
 * results may differ from the hardware's by one ulp (docs/x87.md), so they
 * are a class of their own. Flags: only FCOMI and friends write EFLAGS, and
 * they define all six; nothing here leaves a flag undefined.
 */

void gen_set_class(int cls)
{
    gen_class = cls;
}

static uint64_t fp_edge(Rng *r, int kind)
{
    /* kind: 32, 64 or 80 (80: low 64 bits of the significand; see fp_patch) */
    switch (kind) {
    case 32: {
        static const uint32_t e[] = { 0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u,
                                      0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
                                      0x7fa00000u, 0x00000001u, 0x007fffffu, 0x00800000u,
                                      0x7f7fffffu, 0x40490fdbu, 0x4b000000u };
        if (chance(r, 50))
            return e[below(r, PEMU_ARRAY_SIZE(e))];
        return ((uint32_t)rnd(r) & 0x807fffffu) | (uint32_t)(below(r, 60) + 97) << 23;
    }
    default: {
        static const uint64_t e[] = { 0, 0x8000000000000000ull, 0x3ff0000000000000ull,
                                      0xbff0000000000000ull, 0x7ff0000000000000ull,
                                      0xfff0000000000000ull, 0x7ff8000000000000ull,
                                      0x7ff0000000000001ull, 0x0000000000000001ull,
                                      0x000fffffffffffffull, 0x0010000000000000ull,
                                      0x7fefffffffffffffull, 0x400921fb54442d18ull,
                                      0x4330000000000000ull, 0x43e0000000000000ull,
                                      0xc3e0000000000000ull };
        if (chance(r, 50))
            return e[below(r, PEMU_ARRAY_SIZE(e))];
        return (rnd(r) & 0x800fffffffffffffull) | (uint64_t)(below(r, 200) + 923) << 52;
    }
    }
}

/* An 80-bit edge value: significand and sign/exponent. */
static void fp80_edge(Rng *r, uint64_t *mant, uint16_t *sexp)
{
    uint16_t s = chance(r, 50) ? 0x8000 : 0;
    switch (below(r, 10)) {
    case 0: *mant = 0; *sexp = s; break;                                     /* zero */
    case 1: *mant = 1ull << 63; *sexp = s | 0x7fff; break;                   /* infinity */
    case 2: *mant = 3ull << 62 | (rnd(r) & 0xff); *sexp = s | 0x7fff; break; /* QNaN */
    case 3: *mant = 1ull << 63 | 1 | (rnd(r) & 0xff00); *sexp = s | 0x7fff; break; /* SNaN */
    case 4: *mant = rnd(r) >> 1; *sexp = s; break;                           /* denormal */
    case 5: *mant = rnd(r) | 1ull << 63; *sexp = s; break;                   /* pseudo-denormal */
    case 6: *mant = rnd(r) >> 1; *sexp = s | (uint16_t)(1 + below(r, 0x7ffe)); break; /* unnormal */
    case 7: *mant = rnd(r) | 1ull << 63; *sexp = s | (uint16_t)(below(r, 2) ? 1 : 0x7ffe); break;
    default: *mant = rnd(r) | 1ull << 63; *sexp = s | (uint16_t)(0x3fff - 70 + below(r, 140)); break;
    }
}

/* An edge value at a memory operand of the kind (FPU memory formats). */
enum { M_F32, M_F64, M_F80, M_I16, M_I32, M_I64, M_BCD, M_CW, M_MM };
static const int m_bytes[] = { 4, 8, 10, 2, 4, 8, 10, 2, 8 };

static void fp_patch(Gen *g, const Opnd *o, int kind)
{
    Rng *r = &g->r;
    if (!o->mem || o->ea < 0 || o->seg_cs || !chance(r, 70))
        return;
    uint64_t m;
    uint16_t se;
    switch (kind) {
    case M_F32: add_patch(g, o->ea, fp_edge(r, 32), 4); break;
    case M_F64: add_patch(g, o->ea, fp_edge(r, 64), 8); break;
    case M_F80:
        fp80_edge(r, &m, &se);
        add_patch(g, o->ea, m, 8);
        add_patch(g, o->ea + 8, se, 2);
        break;
    case M_I16: case M_I32: case M_I64: case M_MM:
        add_patch(g, o->ea, edge(r, m_bytes[kind] * 8), m_bytes[kind]);
        break;
    case M_BCD: {
        uint64_t v = 0;
        for (int i = 0; i < 16; i++)
            v |= (uint64_t)(chance(r, 5) ? 10 + below(r, 6) : below(r, 10)) << (4 * i);
        add_patch(g, o->ea, v, 8);
        add_patch(g, o->ea + 8, (chance(r, 50) ? 0x8000 : 0) | below(r, 100) % 10 * 0x11, 2);
        break;
    }
    case M_CW: {
        /* masks: mostly all set, sometimes one or a few clear; any PC and RC */
        uint32_t masks = 0x3f;
        if (chance(r, 30))
            masks &= ~(1u << below(r, 6));
        if (chance(r, 10))
            masks = (uint32_t)rnd(r) & 0x3f;
        add_patch(g, o->ea, masks | ((uint32_t)rnd(r) & 0xf00) | (chance(r, 10) ? (uint32_t)rnd(r) & 0xf0c0 : 0x40), 2);
        break;
    }
    }
}

/* A memory operand for an FP instruction (data area through safe pointers). */
static int fp_mem(Gen *g, Insn *in, Opnd *o, int bytes)
{
    if (chance(&g->r, g->mode == 32 ? 4 : 8))
        in->adsize = g->mode == 32 ? 16 : 32;
    pick_mem(g, o, in->adsize, bytes, 0);
    if (chance(&g->r, 6)) {
        static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
        in->seg = segs[below(&g->r, 4)];
        o->seg_cs = in->seg == 0x2e;
    }
    return 0;
}

/* An absolute, aligned (usually) data-area operand for the big images. */
static void fp_abs(Gen *g, Insn *in, Opnd *o, int bytes, int align)
{
    memset(o, 0, sizeof(*o));
    o->mem = 1;
    int off = below(&g->r, DIFF_DATA_SIZE - bytes + 1);
    if (!chance(&g->r, 5))
        off &= ~(align - 1);
    if (g->mode == 32) {
        o->mod = 0, o->rm = 5, o->dsize = 4, o->disp = DIFF_DATA_BASE + off;
        in->adsize = 32;
    } else {
        o->mod = 0, o->rm = 6, o->dsize = 2, o->disp = off;
        in->adsize = 16;
    }
    o->ea = off;
}

static void fp_emit(Gen *g, Insn *in, const uint8_t *op, int n, const Opnd *o, int digit)
{
    emit_prefixes(g, in);
    for (int i = 0; i < n; i++)
        emit8(g, op[i]);
    if (o)
        emit_modrm(g, o, digit);
}

/* One x87 instruction. */
static int emit_x87(Gen *g)
{
    Rng *r = &g->r;
    Insn in;
    Opnd o;
    memset(&in, 0, sizeof(in));
    in.opsize = in.adsize = g->mode;
    uint8_t op[2];
    int i = below(r, 8);
    static const struct { uint8_t opc, digit, kind; const char *name; } memf[] = {
        { 0xd9, 0, M_F32, "fld m32" }, { 0xdd, 0, M_F64, "fld m64" }, { 0xdb, 5, M_F80, "fld m80" },
        { 0xdf, 0, M_I16, "fild m16" }, { 0xdb, 0, M_I32, "fild m32" }, { 0xdf, 5, M_I64, "fild m64" },
        { 0xdf, 4, M_BCD, "fbld" },
        { 0xd9, 2, M_F32, "fst m32" }, { 0xd9, 3, M_F32, "fstp m32" }, { 0xdd, 2, M_F64, "fst m64" },
        { 0xdd, 3, M_F64, "fstp m64" }, { 0xdb, 7, M_F80, "fstp m80" }, { 0xdf, 2, M_I16, "fist m16" },
        { 0xdf, 3, M_I16, "fistp m16" }, { 0xdb, 2, M_I32, "fist m32" }, { 0xdb, 3, M_I32, "fistp m32" },
        /* fisttp (SSE3) joins when pemu reports SSE3 */
        { 0xdf, 7, M_I64, "fistp m64" }, { 0xdf, 6, M_BCD, "fbstp" },
        { 0xd8, 8, M_F32, "farith m32" }, { 0xdc, 8, M_F64, "farith m64" },
        { 0xda, 8, M_I32, "fiarith m32" }, { 0xde, 8, M_I16, "fiarith m16" },
        { 0xd9, 5, M_CW, "fldcw" }, { 0xd9, 7, M_CW, "fnstcw" }, { 0xdd, 7, M_CW, "fnstsw m16" },
    };
    int pick = below(r, 100);
    if (pick < 45) { /* memory forms; loads twice as likely */
        int k = below(r, PEMU_ARRAY_SIZE(memf) + 7);
        k = k >= (int)PEMU_ARRAY_SIZE(memf) ? k - (int)PEMU_ARRAY_SIZE(memf) : k;
        int digit = memf[k].digit == 8 ? (int)below(r, 8) : memf[k].digit;
        fp_mem(g, &in, &o, m_bytes[memf[k].kind]);
        if (k < 7 || memf[k].digit == 8 || (memf[k].opc == 0xd9 && digit == 5))
            fp_patch(g, &o, memf[k].kind);
        op[0] = memf[k].opc;
        fp_emit(g, &in, op, 1, &o, digit);
        note(g, "%s", memf[k].name);
        return 0;
    }
    if (pick < 52) { /* environment images */
        static const struct { uint8_t opc, digit; int save, img; const char *name; } envf[] = {
            { 0xd9, 6, 1, 0, "fnstenv" }, { 0xd9, 4, 0, 0, "fldenv" },
            { 0xdd, 6, 1, 1, "fnsave" }, { 0xdd, 4, 0, 1, "frstor" },
            { 0x0f, 0, 1, 2, "fxsave" }, { 0x0f, 1, 0, 2, "fxrstor" },
        };
        int k = below(r, PEMU_ARRAY_SIZE(envf));
        if (envf[k].img < 2 && chance(r, 40))
            in.opsize = g->mode == 32 ? 16 : 32;
        int o32 = in.opsize == 32;
        int bytes = envf[k].img == 2 ? 512 : (o32 ? 28 : 14) + (envf[k].img ? 80 : 0);
        if (!envf[k].save && envf[k].img < 2 && chance(r, 70))
            return -1; /* restores of random images: now and then */
        fp_abs(g, &in, &o, bytes, envf[k].img == 2 ? 16 : 4);
        if (envf[k].img == 2) {
            op[0] = 0x0f, op[1] = 0xae;
            fp_emit(g, &in, op, 2, &o, envf[k].digit);
            if (envf[k].save) {
                /* Vendor differences cleared from the image: FOP, FIP, FCS,
                 * FDP, FDS (bytes 6..21: AMD stores them only while ES is
                 * set) and MXCSR_MASK's high half (byte 30; AMD: bit 17,
                 * the misaligned-SSE mask). */
                Opnd b = o;
                for (int j = 6; j < 24; j += j == 6 ? 2 : 4) { /* aligned: EFLAGS.AC may be set */
                    int w = j == 6 ? 16 : 32;
                    b.disp = o.disp + (uint32_t)j;
                    if (w != g->mode)
                        emit8(g, 0x66);
                    emit8(g, 0xc7);
                    emit_modrm(g, &b, 0);
                    emitn(g, 0, w / 8);
                }
                b.disp = o.disp + 30;
                emit8(g, 0xc6);
                emit_modrm(g, &b, 0);
                emit8(g, 0);
            }
        } else {
            op[0] = envf[k].opc;
            fp_emit(g, &in, op, 1, &o, envf[k].digit);
        }
        note(g, "%s", envf[k].name);
        return 0;
    }
    emit_prefixes(g, &in);
    if (pick < 72) { /* register arithmetic and compares */
        static const uint8_t ar[] = { 0xd8, 0xdc, 0xde };
        op[0] = ar[below(r, 3)];
        int d = below(r, 8);
        if (op[0] == 0xde && d == 3)
            i = 1; /* DE D9 is fcompp; the rest of DE D8..DF is undefined */
        emit8(g, op[0]);
        emit8(g, 0xc0 | d << 3 | i);
        note(g, "%s", op[0] == 0xd8 ? "farith st,st(i)" : op[0] == 0xdc ? "farith st(i),st" : "farithp");
        return 0;
    }
    if (pick < 80) { /* FLD ST(i), constants, FST(P) ST(i), FXCH */
        static const uint8_t cst[] = { 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee };
        switch (below(r, 5)) {
        case 0: emit8(g, 0xd9), emit8(g, 0xc0 | i), note(g, "%s", "fld st(i)"); break;
        case 1: emit8(g, 0xd9), emit8(g, cst[below(r, 7)]), note(g, "%s", "fldconst"); break;
        case 2: emit8(g, 0xdd), emit8(g, (chance(r, 50) ? 0xd0 : 0xd8) | i), note(g, "%s", "fst(p) st(i)"); break;
        case 3: emit8(g, 0xd9), emit8(g, 0xc8 | i), note(g, "%s", "fxch"); break;
        default: emit8(g, 0xdd), emit8(g, (chance(r, 50) ? 0xe0 : 0xe8) | i), note(g, "%s", "fucom(p)"); break;
        }
        return 0;
    }
    if (pick < 88) { /* FCOMI family, FCMOVcc, FUCOMPP, FCOMPP */
        switch (below(r, 4)) {
        case 0: {
            static const uint8_t f[] = { 0xdb, 0xdb, 0xdf, 0xdf };
            static const uint8_t m[] = { 0xe8, 0xf0, 0xe8, 0xf0 };
            int k = below(r, 4);
            emit8(g, f[k]), emit8(g, m[k] | i), note(g, "%s", "f(u)comi(p)");
            break;
        }
        case 1: case 2:
            emit8(g, chance(r, 50) ? 0xda : 0xdb), emit8(g, 0xc0 | below(r, 32)), note(g, "%s", "fcmovcc");
            break;
        default:
            emit8(g, 0xda), emit8(g, 0xe9), note(g, "%s", "fucompp");
            break;
        }
        return 0;
    }
    /* one-byte-operand forms */
    static const uint8_t plain[] = { 0xe0, 0xe1, 0xe4, 0xe5, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xfa, 0xfc, 0xfd };
    static const uint8_t trans[] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf9, 0xfb, 0xfe, 0xff };
    switch (below(r, 8)) {
    case 0: emit8(g, 0xdd), emit8(g, 0xc0 | i), note(g, "%s", "ffree"); break;
    case 1: emit8(g, 0xdf), emit8(g, 0xc0 | i), note(g, "%s", "ffreep"); break;
    case 2:
        emit8(g, 0xdf), emit8(g, 0xe0), note(g, "%s", "fnstsw ax");
        g->clob |= AX;
        break;
    case 3: {
        static const uint8_t m[] = { 0xe2, 0xe3, 0xd0 };
        int k = below(r, 3);
        emit8(g, k == 2 ? 0xd9 : 0xdb), emit8(g, m[k]), note(g, "%s", k == 0 ? "fnclex" : k == 1 ? "fninit" : "fnop");
        break;
    }
    case 4: emit8(g, 0x9b), note(g, "%s", "fwait"); break;
    default:
        if (gen_class == GEN_X87T && chance(r, 50)) {
            emit8(g, 0xd9), emit8(g, trans[below(r, PEMU_ARRAY_SIZE(trans))]), note(g, "%s", "ftrans");
        } else {
            emit8(g, 0xd9), emit8(g, plain[below(r, PEMU_ARRAY_SIZE(plain))]), note(g, "%s", "fop");
        }
        break;
    }
    return 0;
}

/* One MMX instruction (the MMX feature set; no SSE-era forms). */
static int emit_mmx(Gen *g)
{
    Rng *r = &g->r;
    Insn in;
    Opnd o;
    memset(&in, 0, sizeof(in));
    in.opsize = in.adsize = g->mode;
    static const uint8_t ops[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x74, 0x75,
        0x76, 0xd1, 0xd2, 0xd3, 0xd5, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xdf, 0xe1, 0xe2, 0xe5,
        0xe8, 0xe9, 0xeb, 0xec, 0xed, 0xef, 0xf1, 0xf2, 0xf3, 0xf5, 0xf8, 0xf9, 0xfa, 0xfc,
        0xfd, 0xfe,
    };
    int pick = below(r, 100), reg = below(r, 8);
    uint8_t op[2] = { 0x0f, 0 };
    if (pick < 55) {
        op[1] = ops[below(r, PEMU_ARRAY_SIZE(ops))];
        int mem = chance(r, 40);
        if (mem) {
            fp_mem(g, &in, &o, op[1] <= 0x62 ? 4 : 8);
            fp_patch(g, &o, M_MM);
        } else {
            memset(&o, 0, sizeof(o));
            o.reg = below(r, 8);
        }
        fp_emit(g, &in, op, 2, &o, reg);
        note(g, "%s", "mmx op");
        return 0;
    }
    if (pick < 65) { /* shifts by immediate */
        static const uint8_t sh[][2] = { { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 },
                                         { 0x72, 4 }, { 0x72, 6 }, { 0x73, 2 }, { 0x73, 6 } };
        int k = below(r, 8);
        memset(&o, 0, sizeof(o));
        o.reg = below(r, 8);
        op[1] = sh[k][0];
        fp_emit(g, &in, op, 2, &o, sh[k][1]);
        static const uint8_t counts[] = { 0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 255 };
        emit8(g, chance(r, 50) ? counts[below(r, PEMU_ARRAY_SIZE(counts))] : below(r, 256));
        note(g, "%s", "mmx shift imm");
        return 0;
    }
    if (pick < 90) { /* moves */
        int k = below(r, 4);
        static const uint8_t mv[] = { 0x6e, 0x7e, 0x6f, 0x7f };
        op[1] = mv[k];
        int mem = chance(r, 50);
        if (mem) {
            fp_mem(g, &in, &o, k < 2 ? 4 : 8);
            if (!(k & 1))
                fp_patch(g, &o, k < 2 ? M_I32 : M_MM);
        } else {
            memset(&o, 0, sizeof(o));
            o.reg = below(r, 8);
            if (k == 1) {
                if (o.reg == R_SP || (g->addr & bit(o.reg)))
                    return -1; /* keep the stack and address registers */
                g->clob |= bit(o.reg);
            }
        }
        fp_emit(g, &in, op, 2, &o, reg);
        note(g, "%s", k == 0 ? "movd mm,E" : k == 1 ? "movd E,mm" : k == 2 ? "movq mm,Q" : "movq Q,mm");
        return 0;
    }
    /* EMMS, and x87 instructions on the aliased registers */
    emit_prefixes(g, &in);
    switch (below(r, 4)) {
    case 0: emit8(g, 0x0f), emit8(g, 0x77), note(g, "%s", "emms"); break;
    case 1: emit8(g, 0xdf), emit8(g, 0xe0), note(g, "%s", "fnstsw ax"), g->clob |= AX; break;
    case 2: emit8(g, 0xd9), emit8(g, 0xe8), note(g, "%s", "fld1"); break;
    default: emit8(g, 0xdd), emit8(g, 0xd8 | below(r, 8)), note(g, "%s", "fstp st(i)"); break;
    }
    return 0;
}

/* ---- the SSE class ----------------------------------------------------------------
 *
 * GEN_SSE: SSE, SSE2, SSE3, SSSE3, SSE4.1 and SSE4.2 instructions on XMM0-7
 * and memory. Every run starts with the XMM registers zero and MXCSR
 * 0x1f80 (result_fp_init), so a sequence loads registers from data-area
 * operands patched with float edge values (zeros, infinities, NaNs,
 * denormals) or integer edges, and sometimes an LDMXCSR of a random
 * control word (rounding, FTZ, DAZ, unmasked exceptions: the instruction
 * that raises one is #XM, SIGFPE trapno 19 on the host). 16-byte memory
 * operands of packed instructions are 16-aligned but now and then not
 * (#GP on both). The result compares XMM0-7, MXCSR (its sticky flags
 * too), the GPRs and flags some of them write, and the data area.
 */

enum { SX, SG, SF };            /* destination: xmm, a GPR, only EFLAGS */
enum { S_NONE, S_ANY, S_CMP, S_RND }; /* immediate */
enum { SGS = 0x40 };            /* the r/m operand is a GPR (or memory) */
static const struct SseOp {
    uint8_t pfx, map, opc, digit; /* map 1: 0F, 2: 0F 38, 3: 0F 3A; digit 8: /r */
    uint8_t imm, mem, dst;        /* mem: operand bytes (0: register only), | SGS */
    const char *name;
} sse_ops[] = {
    /* arithmetic: ps pd ss sd */
    { 0x00, 1, 0x58, 8, S_NONE, 16, SX, "addps" }, { 0x66, 1, 0x58, 8, S_NONE, 16, SX, "addpd" },
    { 0xf3, 1, 0x58, 8, S_NONE, 4, SX, "addss" }, { 0xf2, 1, 0x58, 8, S_NONE, 8, SX, "addsd" },
    { 0x00, 1, 0x59, 8, S_NONE, 16, SX, "mulps" }, { 0x66, 1, 0x59, 8, S_NONE, 16, SX, "mulpd" },
    { 0xf3, 1, 0x59, 8, S_NONE, 4, SX, "mulss" }, { 0xf2, 1, 0x59, 8, S_NONE, 8, SX, "mulsd" },
    { 0x00, 1, 0x5c, 8, S_NONE, 16, SX, "subps" }, { 0x66, 1, 0x5c, 8, S_NONE, 16, SX, "subpd" },
    { 0xf3, 1, 0x5c, 8, S_NONE, 4, SX, "subss" }, { 0xf2, 1, 0x5c, 8, S_NONE, 8, SX, "subsd" },
    { 0x00, 1, 0x5d, 8, S_NONE, 16, SX, "minps" }, { 0x66, 1, 0x5d, 8, S_NONE, 16, SX, "minpd" },
    { 0xf3, 1, 0x5d, 8, S_NONE, 4, SX, "minss" }, { 0xf2, 1, 0x5d, 8, S_NONE, 8, SX, "minsd" },
    { 0x00, 1, 0x5e, 8, S_NONE, 16, SX, "divps" }, { 0x66, 1, 0x5e, 8, S_NONE, 16, SX, "divpd" },
    { 0xf3, 1, 0x5e, 8, S_NONE, 4, SX, "divss" }, { 0xf2, 1, 0x5e, 8, S_NONE, 8, SX, "divsd" },
    { 0x00, 1, 0x5f, 8, S_NONE, 16, SX, "maxps" }, { 0x66, 1, 0x5f, 8, S_NONE, 16, SX, "maxpd" },
    { 0xf3, 1, 0x5f, 8, S_NONE, 4, SX, "maxss" }, { 0xf2, 1, 0x5f, 8, S_NONE, 8, SX, "maxsd" },
    { 0x00, 1, 0x51, 8, S_NONE, 16, SX, "sqrtps" }, { 0x66, 1, 0x51, 8, S_NONE, 16, SX, "sqrtpd" },
    { 0xf3, 1, 0x51, 8, S_NONE, 4, SX, "sqrtss" }, { 0xf2, 1, 0x51, 8, S_NONE, 8, SX, "sqrtsd" },
    { 0x00, 1, 0x54, 8, S_NONE, 16, SX, "andps" }, { 0x66, 1, 0x55, 8, S_NONE, 16, SX, "andnpd" },
    { 0x00, 1, 0x56, 8, S_NONE, 16, SX, "orps" }, { 0x66, 1, 0x57, 8, S_NONE, 16, SX, "xorpd" },
    { 0x00, 1, 0xc2, 8, S_CMP, 16, SX, "cmpps" }, { 0x66, 1, 0xc2, 8, S_CMP, 16, SX, "cmppd" },
    { 0xf3, 1, 0xc2, 8, S_CMP, 4, SX, "cmpss" }, { 0xf2, 1, 0xc2, 8, S_CMP, 8, SX, "cmpsd" },
    { 0x00, 1, 0xc6, 8, S_ANY, 16, SX, "shufps" }, { 0x66, 1, 0xc6, 8, S_ANY, 16, SX, "shufpd" },
    { 0x00, 1, 0x14, 8, S_NONE, 16, SX, "unpcklps" }, { 0x66, 1, 0x15, 8, S_NONE, 16, SX, "unpckhpd" },
    { 0x00, 1, 0x2e, 8, S_NONE, 4, SF, "ucomiss" }, { 0x66, 1, 0x2f, 8, S_NONE, 8, SF, "comisd" },
    /* conversions */
    { 0x00, 1, 0x5a, 8, S_NONE, 8, SX, "cvtps2pd" }, { 0x66, 1, 0x5a, 8, S_NONE, 16, SX, "cvtpd2ps" },
    { 0xf3, 1, 0x5a, 8, S_NONE, 4, SX, "cvtss2sd" }, { 0xf2, 1, 0x5a, 8, S_NONE, 8, SX, "cvtsd2ss" },
    { 0x00, 1, 0x5b, 8, S_NONE, 16, SX, "cvtdq2ps" }, { 0x66, 1, 0x5b, 8, S_NONE, 16, SX, "cvtps2dq" },
    { 0xf3, 1, 0x5b, 8, S_NONE, 16, SX, "cvttps2dq" }, { 0x66, 1, 0xe6, 8, S_NONE, 16, SX, "cvttpd2dq" },
    { 0xf2, 1, 0xe6, 8, S_NONE, 16, SX, "cvtpd2dq" }, { 0xf3, 1, 0xe6, 8, S_NONE, 8, SX, "cvtdq2pd" },
    { 0xf3, 1, 0x2a, 8, S_NONE, 4 | SGS, SX, "cvtsi2ss" }, { 0xf2, 1, 0x2a, 8, S_NONE, 4 | SGS, SX, "cvtsi2sd" },
    { 0xf3, 1, 0x2c, 8, S_NONE, 4, SG, "cvttss2si" }, { 0xf2, 1, 0x2d, 8, S_NONE, 8, SG, "cvtsd2si" },
    { 0xf3, 1, 0x2d, 8, S_NONE, 4, SG, "cvtss2si" }, { 0xf2, 1, 0x2c, 8, S_NONE, 8, SG, "cvttsd2si" },
    { 0x00, 1, 0x50, 8, S_NONE, 0, SG, "movmskps" },
    /* SSE2 integer */
    { 0x66, 1, 0x60, 8, S_NONE, 16, SX, "punpcklbw" }, { 0x66, 1, 0x63, 8, S_NONE, 16, SX, "packsswb" },
    { 0x66, 1, 0x64, 8, S_NONE, 16, SX, "pcmpgtb" }, { 0x66, 1, 0x66, 8, S_NONE, 16, SX, "pcmpgtd" },
    { 0x66, 1, 0x67, 8, S_NONE, 16, SX, "packuswb" }, { 0x66, 1, 0x6a, 8, S_NONE, 16, SX, "punpckhdq" },
    { 0x66, 1, 0x6b, 8, S_NONE, 16, SX, "packssdw" }, { 0x66, 1, 0x6c, 8, S_NONE, 16, SX, "punpcklqdq" },
    { 0x66, 1, 0x6d, 8, S_NONE, 16, SX, "punpckhqdq" }, { 0x66, 1, 0x75, 8, S_NONE, 16, SX, "pcmpeqw" },
    { 0x66, 1, 0xd2, 8, S_NONE, 16, SX, "psrld" }, { 0x66, 1, 0xd4, 8, S_NONE, 16, SX, "paddq" },
    { 0x66, 1, 0xd5, 8, S_NONE, 16, SX, "pmullw" }, { 0x66, 1, 0xd8, 8, S_NONE, 16, SX, "psubusb" },
    { 0x66, 1, 0xda, 8, S_NONE, 16, SX, "pminub" }, { 0x66, 1, 0xdb, 8, S_NONE, 16, SX, "pand" },
    { 0x66, 1, 0xdd, 8, S_NONE, 16, SX, "paddusw" }, { 0x66, 1, 0xde, 8, S_NONE, 16, SX, "pmaxub" },
    { 0x66, 1, 0xdf, 8, S_NONE, 16, SX, "pandn" }, { 0x66, 1, 0xe0, 8, S_NONE, 16, SX, "pavgb" },
    { 0x66, 1, 0xe1, 8, S_NONE, 16, SX, "psraw" }, { 0x66, 1, 0xe2, 8, S_NONE, 16, SX, "psrad" },
    { 0x66, 1, 0xe4, 8, S_NONE, 16, SX, "pmulhuw" }, { 0x66, 1, 0xe5, 8, S_NONE, 16, SX, "pmulhw" },
    { 0x66, 1, 0xe9, 8, S_NONE, 16, SX, "psubsw" }, { 0x66, 1, 0xea, 8, S_NONE, 16, SX, "pminsw" },
    { 0x66, 1, 0xeb, 8, S_NONE, 16, SX, "por" }, { 0x66, 1, 0xec, 8, S_NONE, 16, SX, "paddsb" },
    { 0x66, 1, 0xee, 8, S_NONE, 16, SX, "pmaxsw" }, { 0x66, 1, 0xef, 8, S_NONE, 16, SX, "pxor" },
    { 0x66, 1, 0xf1, 8, S_NONE, 16, SX, "psllw" }, { 0x66, 1, 0xf3, 8, S_NONE, 16, SX, "psllq" },
    { 0x66, 1, 0xf4, 8, S_NONE, 16, SX, "pmuludq" }, { 0x66, 1, 0xf5, 8, S_NONE, 16, SX, "pmaddwd" },
    { 0x66, 1, 0xf6, 8, S_NONE, 16, SX, "psadbw" }, { 0x66, 1, 0xfa, 8, S_NONE, 16, SX, "psubd" },
    { 0x66, 1, 0xfb, 8, S_NONE, 16, SX, "psubq" }, { 0x66, 1, 0xfc, 8, S_NONE, 16, SX, "paddb" },
    { 0x66, 1, 0x70, 8, S_ANY, 16, SX, "pshufd" }, { 0xf2, 1, 0x70, 8, S_ANY, 16, SX, "pshuflw" },
    { 0xf3, 1, 0x70, 8, S_ANY, 16, SX, "pshufhw" },
    { 0x66, 1, 0x71, 2, S_ANY, 0, SX, "psrlw imm" }, { 0x66, 1, 0x71, 4, S_ANY, 0, SX, "psraw imm" },
    { 0x66, 1, 0x72, 6, S_ANY, 0, SX, "pslld imm" }, { 0x66, 1, 0x73, 3, S_ANY, 0, SX, "psrldq" },
    { 0x66, 1, 0x73, 7, S_ANY, 0, SX, "pslldq" }, { 0x66, 1, 0x73, 2, S_ANY, 0, SX, "psrlq imm" },
    { 0x66, 1, 0xd7, 8, S_NONE, 0, SG, "pmovmskb" }, { 0x66, 1, 0xc5, 8, S_ANY, 0, SG, "pextrw" },
    { 0x66, 1, 0xc4, 8, S_ANY, 2 | SGS, SX, "pinsrw" },
    /* SSE3 */
    { 0xf2, 1, 0x7c, 8, S_NONE, 16, SX, "haddps" }, { 0x66, 1, 0x7d, 8, S_NONE, 16, SX, "hsubpd" },
    { 0xf2, 1, 0xd0, 8, S_NONE, 16, SX, "addsubps" }, { 0x66, 1, 0xd0, 8, S_NONE, 16, SX, "addsubpd" },
    { 0xf3, 1, 0x16, 8, S_NONE, 16, SX, "movshdup" }, { 0xf2, 1, 0x12, 8, S_NONE, 8, SX, "movddup" },
    /* SSSE3 */
    { 0x66, 2, 0x00, 8, S_NONE, 16, SX, "pshufb" }, { 0x66, 2, 0x01, 8, S_NONE, 16, SX, "phaddw" },
    { 0x66, 2, 0x03, 8, S_NONE, 16, SX, "phaddsw" }, { 0x66, 2, 0x04, 8, S_NONE, 16, SX, "pmaddubsw" },
    { 0x66, 2, 0x06, 8, S_NONE, 16, SX, "phsubd" }, { 0x66, 2, 0x08, 8, S_NONE, 16, SX, "psignb" },
    { 0x66, 2, 0x0b, 8, S_NONE, 16, SX, "pmulhrsw" }, { 0x66, 2, 0x1e, 8, S_NONE, 16, SX, "pabsd" },
    { 0x66, 3, 0x0f, 8, S_ANY, 16, SX, "palignr" },
    /* SSE4.1 */
    { 0x66, 2, 0x10, 8, S_NONE, 16, SX, "pblendvb" }, { 0x66, 2, 0x14, 8, S_NONE, 16, SX, "blendvps" },
    { 0x66, 2, 0x17, 8, S_NONE, 16, SF, "ptest" }, { 0x66, 2, 0x20, 8, S_NONE, 8, SX, "pmovsxbw" },
    { 0x66, 2, 0x25, 8, S_NONE, 8, SX, "pmovsxdq" }, { 0x66, 2, 0x28, 8, S_NONE, 16, SX, "pmuldq" },
    { 0x66, 2, 0x29, 8, S_NONE, 16, SX, "pcmpeqq" }, { 0x66, 2, 0x2b, 8, S_NONE, 16, SX, "packusdw" },
    { 0x66, 2, 0x31, 8, S_NONE, 4, SX, "pmovzxbd" }, { 0x66, 2, 0x38, 8, S_NONE, 16, SX, "pminsb" },
    { 0x66, 2, 0x3b, 8, S_NONE, 16, SX, "pminud" }, { 0x66, 2, 0x3d, 8, S_NONE, 16, SX, "pmaxsd" },
    { 0x66, 2, 0x40, 8, S_NONE, 16, SX, "pmulld" }, { 0x66, 2, 0x41, 8, S_NONE, 16, SX, "phminposuw" },
    { 0x66, 3, 0x08, 8, S_RND, 16, SX, "roundps" }, { 0x66, 3, 0x09, 8, S_RND, 16, SX, "roundpd" },
    { 0x66, 3, 0x0a, 8, S_RND, 4, SX, "roundss" }, { 0x66, 3, 0x0b, 8, S_RND, 8, SX, "roundsd" },
    { 0x66, 3, 0x0c, 8, S_ANY, 16, SX, "blendps" }, { 0x66, 3, 0x0e, 8, S_ANY, 16, SX, "pblendw" },
    { 0x66, 3, 0x40, 8, S_ANY, 16, SX, "dpps" }, { 0x66, 3, 0x41, 8, S_ANY, 16, SX, "dppd" },
    { 0x66, 3, 0x42, 8, S_ANY, 16, SX, "mpsadbw" }, { 0x66, 3, 0x21, 8, S_ANY, 4, SX, "insertps" },
    { 0x66, 3, 0x16, 8, S_ANY, 0, SG, "pextrd" }, { 0x66, 3, 0x14, 8, S_ANY, 0, SG, "pextrb" },
    { 0x66, 3, 0x22, 8, S_ANY, 4 | SGS, SX, "pinsrd" }, { 0x66, 3, 0x20, 8, S_ANY, 1 | SGS, SX, "pinsrb" },
    /* SSE4.2 */
    { 0x66, 2, 0x37, 8, S_NONE, 16, SX, "pcmpgtq" }, { 0x66, 3, 0x63, 8, S_ANY, 16, SF, "pcmpistri" },
    { 0x66, 3, 0x62, 8, S_ANY, 16, SF, "pcmpistrm" },
};

/* 16 bytes of float or integer edge values at a data-area operand. */
static void sse_patch(Gen *g, const Opnd *o, int bytes)
{
    Rng *r = &g->r;
    if (!o->mem || o->ea < 0 || o->seg_cs || !chance(r, 75))
        return;
    int kind = below(r, 3);
    for (int i = 0; i < bytes;) {
        int n = kind == 1 && bytes - i >= 8 ? 8 : bytes - i >= 4 ? 4 : bytes - i;
        uint64_t v = kind == 2 || n < 4 ? edge(r, n * 8) : fp_edge(r, n * 8);
        add_patch(g, o->ea + i, v, n);
        i += n;
    }
}

/* A GPR an instruction may write: not the stack, nor one an address uses. */
static int sse_gpr_dest(Gen *g)
{
    int reg = below(&g->r, 8);
    if (reg == R_SP || (g->addr & bit(reg)))
        return -1;
    g->clob |= bit(reg);
    return reg;
}

static int emit_sse(Gen *g)
{
    Rng *r = &g->r;
    Insn in;
    Opnd o;
    memset(&in, 0, sizeof(in));
    in.opsize = in.adsize = g->mode;
    memset(&o, 0, sizeof(o));
    int pick = below(r, 100);
    if (pick < 22) {
        /* movdqu/movups/movapd xmm, m128 with edge values */
        static const uint8_t ld[][2] = { { 0xf3, 0x6f }, { 0x00, 0x10 }, { 0x66, 0x28 } };
        int k = below(r, 3);
        fp_abs(g, &in, &o, 16, k == 2 ? 16 : 1);
        sse_patch(g, &o, 16);
        uint8_t op[3] = { ld[k][0], 0x0f, ld[k][1] };
        fp_emit(g, &in, op[0] ? op : op + 1, op[0] ? 3 : 2, &o, below(r, 8));
        note(g, "%s", k == 0 ? "movdqu x,m" : k == 1 ? "movups x,m" : "movapd x,m");
        return 0;
    }
    if (pick < 26) {
        /* ldmxcsr: masks mostly all set, any rounding, FTZ and DAZ */
        fp_abs(g, &in, &o, 4, 4);
        uint32_t masks = 0x1f80;
        if (chance(r, 35))
            masks &= ~(0x80u << below(r, 6));
        /* PE already set now and then: pemu then computes on the host's
         * FPU when RC is nearest and PE masked (sf_f64_host) */
        uint32_t v = masks | ((uint32_t)rnd(r) & 0x6000) | (chance(r, 20) ? 0x8000 : 0) |
                     (chance(r, 20) ? 0x40 : 0) | (chance(r, 30) ? 0x20 : 0);
        /* The value must be the one patched: other bits are #GP here but
         * not all on AMD hosts (bit 17, MisAlignSse), so no later patch and
         * no store of this case may touch it (stores reserve what they
         * write, see below). */
        int np = g->c->npatch;
        add_patch(g, o.ea, v, 4);
        if (g->c->npatch == np || !reserve(g, o.ea, 4))
            return -1;
        static const uint8_t op[2] = { 0x0f, 0xae };
        fp_emit(g, &in, op, 2, &o, 2);
        note(g, "%s", "ldmxcsr");
        return 0;
    }
    if (pick < 29) {
        /* stmxcsr / movdqu m128, xmm: results reach memory */
        int k = below(r, 2);
        fp_abs(g, &in, &o, k ? 16 : 4, k ? 1 : 4);
        for (int i = 0; i < g->nresv; i++)
            if (o.ea < g->resv[i].off + g->resv[i].len && g->resv[i].off < o.ea + (k ? 16 : 4))
                return -1;
        if (!reserve(g, o.ea, k ? 16 : 4))
            return -1;
        uint8_t op[3] = { 0xf3, 0x0f, 0x7f };
        if (k)
            fp_emit(g, &in, op, 3, &o, below(r, 8));
        else
            fp_emit(g, &in, (const uint8_t[]){ 0x0f, 0xae }, 2, &o, 3);
        note(g, "%s", k ? "movdqu m,x" : "stmxcsr");
        return 0;
    }
    const struct SseOp *s = &sse_ops[below(r, PEMU_ARRAY_SIZE(sse_ops))];
    int bytes = s->mem & ~SGS, gsrc = (s->mem & SGS) != 0;
    int reg = below(r, 8);
    if (s->dst == SG && (reg = sse_gpr_dest(g)) < 0)
        return -1;
    if (s->digit != 8)
        reg = s->digit;
    if (bytes && chance(r, 45)) {
        if (gsrc || bytes < 16)
            fp_abs(g, &in, &o, bytes, bytes);
        else
            fp_abs(g, &in, &o, 16, 16);         /* 5% of them misaligned: #GP */
        sse_patch(g, &o, bytes);
    } else {
        o.reg = below(r, 8);                    /* an XMM register, or a GPR source */
    }
    uint8_t op[5];
    int n = 0;
    if (s->pfx)
        op[n++] = s->pfx;
    op[n++] = 0x0f;
    if (s->map == 2)
        op[n++] = 0x38;
    else if (s->map == 3)
        op[n++] = 0x3a;
    op[n++] = s->opc;
    fp_emit(g, &in, op, n, &o, reg);
    switch (s->imm) {
    case S_ANY: emit8(g, below(r, 256)); break;
    case S_CMP: emit8(g, below(r, 8)); break;
    case S_RND: emit8(g, below(r, 16)); break;
    default: break;
    }
    if (!strcmp(s->name, "pcmpistri"))
        g->clob |= bit(R_CX);
    note(g, "%s", s->name);
    return 0;
}

static int emit_fp_slot(Gen *g)
{
    return gen_class == GEN_MMX ? emit_mmx(g) : gen_class == GEN_SSE ? emit_sse(g) : emit_x87(g);
}
