/*
 * MMX lane arithmetic (see mmx_helper.h). Saturation, comparison and
 * multiply rules from the SDM Vol. 2 entries of each instruction.
 */
#include "src/x86/mmx_helper.h"

static int64_t sext(uint64_t v, unsigned bits)
{
    return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint64_t sat_s(int64_t v, unsigned bits)
{
    int64_t max = (int64_t)((1ull << (bits - 1)) - 1), min = -max - 1;
    return (uint64_t)(v > max ? max : v < min ? min : v);
}

static uint64_t sat_u(int64_t v, unsigned bits)
{
    int64_t max = (int64_t)((1ull << bits) - 1);
    return (uint64_t)(v > max ? max : v < 0 ? 0 : v);
}

static uint64_t lane(unsigned kind, unsigned bits, uint64_t x, uint64_t y)
{
    int64_t sx = sext(x, bits), sy = sext(y, bits);
    switch (kind) {
    case MMX_ADD: return x + y;
    case MMX_ADDS: return sat_s(sx + sy, bits);
    case MMX_ADDUS: return sat_u((int64_t)(x + y), bits);
    case MMX_SUB: return x - y;
    case MMX_SUBS: return sat_s(sx - sy, bits);
    case MMX_SUBUS: return sat_u((int64_t)x - (int64_t)y, bits);
    case MMX_CMPEQ: return x == y ? ~0ull : 0;
    case MMX_CMPGT: return sx > sy ? ~0ull : 0;
    case MMX_MULL: return x * y;
    case MMX_MULH: return (uint64_t)(sx * sy) >> bits;
    case MMX_MULHU: return (x * y) >> bits;
    case MMX_MINU: return x < y ? x : y;
    case MMX_MAXU: return x > y ? x : y;
    case MMX_MINS: return sx < sy ? x : y;
    case MMX_MAXS: return sx > sy ? x : y;
    case MMX_AVG: return (x + y + 1) >> 1;
    case MMX_SLL: return y >= bits ? 0 : x << y;
    case MMX_SRL: return y >= bits ? 0 : x >> y;
    case MMX_SRA: return (uint64_t)(sx >> (y >= bits ? bits - 1 : y));
    }
    return 0;
}

static uint64_t get(uint64_t v, unsigned i, unsigned bits)
{
    return bits == 64 ? v : (v >> (i * bits)) & ((1ull << bits) - 1);
}

uint64_t mmx_op(unsigned code, uint64_t a, uint64_t b)
{
    unsigned kind = code / 4, bits = 8u << (code & 3), n = 64 / bits;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1, r = 0;
    switch (kind) {
    case MMX_AND: return a & b;
    case MMX_ANDN: return ~a & b;
    case MMX_OR: return a | b;
    case MMX_XOR: return a ^ b;
    case MMX_PACKSSWB:
        for (unsigned i = 0; i < 4; i++) {
            r |= (sat_s(sext(get(a, i, 16), 16), 8) & 0xff) << (8 * i);
            r |= (sat_s(sext(get(b, i, 16), 16), 8) & 0xff) << (8 * i + 32);
        }
        return r;
    case MMX_PACKUSWB:
        for (unsigned i = 0; i < 4; i++) {
            r |= sat_u(sext(get(a, i, 16), 16), 8) << (8 * i);
            r |= sat_u(sext(get(b, i, 16), 16), 8) << (8 * i + 32);
        }
        return r;
    case MMX_PACKSSDW:
        for (unsigned i = 0; i < 2; i++) {
            r |= (sat_s(sext(get(a, i, 32), 32), 16) & 0xffff) << (16 * i);
            r |= (sat_s(sext(get(b, i, 32), 32), 16) & 0xffff) << (16 * i + 32);
        }
        return r;
    case MMX_MADDWD:
        for (unsigned i = 0; i < 2; i++) {
            uint32_t d = (uint32_t)(sext(get(a, 2 * i, 16), 16) * sext(get(b, 2 * i, 16), 16)) +
                         (uint32_t)(sext(get(a, 2 * i + 1, 16), 16) * sext(get(b, 2 * i + 1, 16), 16));
            r |= (uint64_t)d << (32 * i);
        }
        return r;
    case MMX_MULUDQ:
        return (a & 0xffffffffu) * (b & 0xffffffffu);
    case MMX_SADBW: {
        uint64_t sum = 0;
        for (unsigned i = 0; i < 8; i++) {
            uint64_t x = get(a, i, 8), y = get(b, i, 8);
            sum += x > y ? x - y : y - x;
        }
        return sum;
    }
    case MMX_PSHUFW:
        for (unsigned i = 0; i < 4; i++)
            r |= get(a, (unsigned)(b >> (2 * i)) & 3, 16) << (16 * i);
        return r;
    case MMX_PMOVMSKB:
        for (unsigned i = 0; i < 8; i++)
            r |= ((a >> (8 * i + 7)) & 1) << i;
        return r;
    case MMX_UNPCKL: case MMX_UNPCKH: {
        unsigned base = kind == MMX_UNPCKH ? n / 2 : 0;
        for (unsigned i = 0; i < n / 2; i++) {
            r |= get(a, base + i, bits) << (2 * i * bits);
            r |= get(b, base + i, bits) << ((2 * i + 1) * bits);
        }
        return r;
    }
    }
    if (kind == MMX_SLL || kind == MMX_SRL || kind == MMX_SRA) {
        for (unsigned i = 0; i < n; i++)
            r |= (lane(kind, bits, get(a, i, bits), b) & mask) << (i * bits % 64);
        return r;
    }
    for (unsigned i = 0; i < n; i++)
        r |= (lane(kind, bits, get(a, i, bits), get(b, i, bits)) & mask) << (i * bits % 64);
    return r;
}
