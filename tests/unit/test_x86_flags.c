/*
 * src/x86/flags.c against the host CPU (on x86-64 hosts) and against
 * hand-checked values (everywhere): the lazy state is encoded exactly as the
 * translator will encode it, then compared with what the hardware sets.
 */
#include "unit.h"
#include "src/x86/flags.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t operand(void)
{
    static const uint64_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                     0x7fffffff, 0x80000000, 0xffffffff,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull };
    uint64_t r = rnd();
    return (r & 3) == 0 ? edge[(r >> 8) % PEMU_ARRAY_SIZE(edge)] : rnd();
}

TEST(hand_checked)
{
    /* 0x7f + 1 (byte): OF, SF, AF; no CF; parity of 0x80 is odd */
    CHECK_EQ(x86_flags_compute(CC_OP_ADDB, 0x80, 1, 0), CC_O | CC_S | CC_A);
    /* 0xff + 1 (byte): CF, ZF, AF, PF */
    CHECK_EQ(x86_flags_compute(CC_OP_ADDB, 0x00, 1, 0), CC_C | CC_Z | CC_A | CC_P);
    /* 0 - 1 (dword): CF, SF, AF, PF (0xff has even parity) */
    CHECK_EQ(x86_flags_compute(CC_OP_SUBL, 0xffffffff, 1, 0), CC_C | CC_S | CC_A | CC_P);
    /* 0x80000000 - 1: OF, AF */
    CHECK_EQ(x86_flags_compute(CC_OP_SUBL, 0x7fffffff, 1, 0), CC_O | CC_A | CC_P);
    /* adc 0xffff + 0 + carry = 0 (word): CF ZF AF PF */
    CHECK_EQ(x86_flags_compute(CC_OP_ADCW, 0, 0, 1), CC_C | CC_Z | CC_A | CC_P);
    /* sbb 0 - 0 - borrow (qword) */
    CHECK_EQ(x86_flags_compute(CC_OP_SBBQ, ~0ull, 0, 1), CC_C | CC_S | CC_A | CC_P);
    /* inc 0x7fff -> 0x8000 keeps CF from src */
    CHECK_EQ(x86_flags_compute(CC_OP_INCW, 0x8000, 1, 0), CC_C | CC_O | CC_S | CC_A | CC_P);
    /* dec 0x80 -> 0x7f */
    CHECK_EQ(x86_flags_compute(CC_OP_DECB, 0x7f, 0, 0), CC_O | CC_A);
    /* shl 0x81 by 1 (byte): CF from bit 7, OF = CF ^ SF */
    CHECK_EQ(x86_flags_compute(CC_OP_SHLB, 0x02, 0x81, 0), CC_C | CC_O);
    /* shr 0x81 by 1: CF = 1, OF = old top bit */
    CHECK_EQ(x86_flags_compute(CC_OP_SARB, 0x40, 0x81, 0), CC_C | CC_O);
    /* sar 0x81 by 1: OF = 0 */
    CHECK_EQ(x86_flags_compute(CC_OP_SARB, 0xc0, 0x81, 0), CC_C | CC_S | CC_P);
    CHECK_EQ(x86_flags_compute(CC_OP_CLR, 0, 0, 0), CC_Z | CC_P);
    CHECK_EQ(x86_flags_compute(CC_OP_LOGICL, 0x80000000, 0, 0), CC_S | CC_P);
    for (uint32_t op = CC_OP_EFLAGS; op < CC_OP_NB; op++)
        for (int i = 0; i < 200; i++) {
            uint64_t d = operand(), s = operand(), c = rnd() & 1;
            CHECK_EQ(x86_flags_compute_cf(op, d, s, c), (x86_flags_compute(op, d, s, c) & CC_C) != 0);
        }
}

TEST(eflags_get_set)
{
    X86State s = { 0 };
    s.df = 1;
    s.eflags = EF_IF;
    s.cc_op = CC_OP_SUBL;
    s.cc_dst = 0;
    s.cc_src = 5;
    CHECK_EQ(x86_eflags_get(&s), EF_IF | EF_FIXED1 | CC_Z | CC_P);
    x86_eflags_set(&s, CC_C | EF_DF | EF_TF, CC_C | CC_Z | EF_DF | EF_TF);
    CHECK_EQ(s.df, -1);
    CHECK_EQ(x86_eflags_get(&s), EF_IF | EF_TF | EF_DF | EF_FIXED1 | CC_C | CC_P);
}

#if defined(__x86_64__) && PEMU_GNUC
enum { ADD, ADC, SUB, SBB, AND, INC, DEC, SHL, SHR, SAR, MUL, IMUL, NB_OPS };
static const char *const op_names[NB_OPS] = { "add", "adc", "sub", "sbb", "and", "inc", "dec",
                                              "shl", "shr", "sar", "mul", "imul" };

/* Run op natively on the host with carry-in cin; return the result and flags. */
#define NATIVE(insn, T, cons)                                                  \
    do {                                                                       \
        T x = (T)a, y = (T)b;                                                  \
        __asm__ volatile("bt $0, %[c]\n\t" insn "\n\tpushfq\n\tpopq %[f]"       \
                         : [x] "+" cons(x), [f] "=r"(fl)                       \
                         : [y] cons(y), [c] "r"(cin) : "cc");                  \
        res = (uint64_t)x;                                                     \
    } while (0)

#define NATIVE_SHIFT(insn, T, cons)                                            \
    do {                                                                       \
        T x = (T)a;                                                            \
        uint8_t cnt = (uint8_t)b;                                              \
        __asm__ volatile(insn " %%cl, %[x]\n\tpushfq\n\tpopq %[f]"              \
                         : [x] "+" cons(x), [f] "=r"(fl) : "c"(cnt) : "cc");     \
        res = (uint64_t)x;                                                     \
    } while (0)

static uint32_t native(int op, int sz, uint64_t a, uint64_t b, uint64_t cin, uint64_t *out)
{
    uint64_t fl = 0, res = 0;
#define SIZES(body8, body16, body32, body64)                                   \
    switch (sz) { case 0: body8; break; case 1: body16; break;                 \
                  case 2: body32; break; default: body64; break; }
#define ALU(m)                                                                 \
    SIZES(NATIVE(m "b %[y], %[x]", uint8_t, "q"), NATIVE(m "w %[y], %[x]", uint16_t, "r"), \
          NATIVE(m "l %[y], %[x]", uint32_t, "r"), NATIVE(m "q %[y], %[x]", uint64_t, "r"))
#define UN(m)                                                                  \
    SIZES(NATIVE(m "b %[x]", uint8_t, "q"), NATIVE(m "w %[x]", uint16_t, "r"),  \
          NATIVE(m "l %[x]", uint32_t, "r"), NATIVE(m "q %[x]", uint64_t, "r"))
#define SH(m)                                                                  \
    SIZES(NATIVE_SHIFT(m "b", uint8_t, "q"), NATIVE_SHIFT(m "w", uint16_t, "r"), \
          NATIVE_SHIFT(m "l", uint32_t, "r"), NATIVE_SHIFT(m "q", uint64_t, "r"))
    switch (op) {
    case ADD: ALU("add"); break;
    case ADC: ALU("adc"); break;
    case SUB: ALU("sub"); break;
    case SBB: ALU("sbb"); break;
    case AND: ALU("and"); break;
    case INC: UN("inc"); break;
    case DEC: UN("dec"); break;
    case SHL: SH("shl"); break;
    case SHR: SH("shr"); break;
    case SAR: SH("sar"); break;
    case IMUL: SIZES(NATIVE("imulw %w[y], %w[x]", uint16_t, "r"), NATIVE("imulw %[y], %[x]", uint16_t, "r"),
                     NATIVE("imull %[y], %[x]", uint32_t, "r"), NATIVE("imulq %[y], %[x]", uint64_t, "r")); break;
    default: break;
    }
    *out = res;
    return (uint32_t)fl & CC_ARITH;
}

/* Encode the operation's lazy state the way the translator does. */
static uint32_t lazy(int op, int sz, uint64_t a, uint64_t b, uint64_t cin, uint64_t res, uint32_t *defined)
{
    unsigned bits = 8u << sz;
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    *defined = CC_ARITH;
    switch (op) {
    case ADD: return x86_flags_compute(CC_OP_ADDB + sz, res, b, 0);
    case ADC: return x86_flags_compute(CC_OP_ADCB + sz, res, b, cin);
    case SUB: return x86_flags_compute(CC_OP_SUBB + sz, res, b, 0);
    case SBB: return x86_flags_compute(CC_OP_SBBB + sz, res, b, cin);
    case AND: *defined &= ~CC_A; return x86_flags_compute(CC_OP_LOGICB + sz, res, 0, 0);
    case INC: return x86_flags_compute(CC_OP_INCB + sz, res, cin, 0);
    case DEC: return x86_flags_compute(CC_OP_DECB + sz, res, cin, 0);
    case SHL: case SHR: case SAR: {
        unsigned cnt = (unsigned)b & (bits == 64 ? 63 : 31);
        *defined &= ~CC_A;
        if (cnt != 1)
            *defined &= ~CC_O;
        a &= m;
        uint64_t sa = bits == 64 ? a : (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits));
        if (op == SHL)
            return x86_flags_compute(CC_OP_SHLB + sz, res, a << (cnt - 1), 0);
        return x86_flags_compute(CC_OP_SARB + sz, res,
                                 op == SHR ? a >> (cnt - 1) : (uint64_t)((int64_t)sa >> (cnt - 1)), 0);
    }
    case IMUL: {
        /* two-operand imul: 16-bit form used for the byte slot */
        unsigned ib = sz == 0 ? 16 : bits;
        uint64_t im = ib == 64 ? ~0ull : (1ull << ib) - 1;
        uint64_t hi;
        int64_t x = ib == 64 ? (int64_t)a : (int64_t)(a << (64 - ib)) >> (64 - ib);
        int64_t y = ib == 64 ? (int64_t)b : (int64_t)(b << (64 - ib)) >> (64 - ib);
        uint64_t lo;
        hi = (uint64_t)muls64_hi(x, y, &lo);
        int64_t lo_s = ib == 64 ? (int64_t)lo : (int64_t)(lo << (64 - ib)) >> (64 - ib);
        uint64_t sig = ib == 64 ? hi != (uint64_t)(lo_s >> 63) : (uint64_t)lo_s != (uint64_t)(x * y);
        (void)im;
        *defined = CC_C | CC_O;
        return x86_flags_compute(CC_OP_MULB + (sz == 0 ? 1 : sz), res, sig, 0);
    }
    }
    return 0;
}

TEST(against_the_host_cpu)
{
    for (int op = 0; op < NB_OPS; op++) {
        if (op == MUL)
            continue; /* one-operand MUL uses fixed registers: covered by the guest tests */
        for (int sz = 0; sz < 4; sz++) {
            for (int i = 0; i < 20000; i++) {
                uint64_t a = operand(), b = operand(), cin = rnd() & 1, res;
                unsigned bits = 8u << sz;
                if (op == SHL || op == SHR || op == SAR) {
                    b = 1 + rnd() % ((bits == 64 ? 63 : 31));
                    if (b >= bits && bits < 32)
                        continue; /* byte/word counts past the width: CF is undefined */
                }
                uint32_t hw = native(op, sz, a, b, cin, &res), defined;
                if (op == INC || op == DEC)
                    cin = (hw & CC_C) != 0; /* CF is preserved: the lazy state carries it */
                uint32_t mine = lazy(op, sz, a, b, cin, res, &defined);
                if ((hw ^ mine) & defined) {
                    unit_fail(__FILE__, __LINE__, "%s size %d a=0x%llx b=0x%llx cin=%d: host flags 0x%x, pemu 0x%x (defined 0x%x)",
                              op_names[op], 8 << sz, (unsigned long long)a, (unsigned long long)b,
                              (int)cin, hw, mine, defined);
                    return;
                }
            }
        }
    }
}
#endif
