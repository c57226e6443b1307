/* ports/host.h: byte order, unaligned access and bit helpers. */
#include "unit.h"

TEST(le_be_loads)
{
    const uint8_t b[9] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    CHECK_EQ(ld16_le(b + 1), 0x0201);
    CHECK_EQ(ld32_le(b + 1), 0x04030201);
    CHECK_EQ(ld64_le(b + 1), 0x0807060504030201ull);
    CHECK_EQ(ld16_be(b + 1), 0x0102);
    CHECK_EQ(ld32_be(b + 1), 0x01020304);
    CHECK_EQ(ld64_be(b + 1), 0x0102030405060708ull);
}

TEST(le_stores)
{
    uint8_t b[9] = { 0 };
    st32_le(b + 1, 0xdeadbeef);
    CHECK_EQ(b[1], 0xef);
    CHECK_EQ(b[4], 0xde);
    st64_be(b + 1, 0x1122334455667788ull);
    CHECK_EQ(b[1], 0x11);
    CHECK_EQ(b[8], 0x88);
    st16_le(b, 0xabcd);
    CHECK_EQ(b[0], 0xcd);
    CHECK_EQ(b[1], 0xab);
}

TEST(bit_helpers)
{
    CHECK_EQ(clz32(1), 31);
    CHECK_EQ(clz64(1), 63);
    CHECK_EQ(clz64(0x100000000ull), 31);
    CHECK_EQ(ctz32(0x80000000u), 31);
    CHECK_EQ(ctz64(0x8000000000000000ull), 63);
    CHECK_EQ(popcount64(0xf0f0f0f0f0f0f0f0ull), 32);
    CHECK_EQ(bswap32(0x11223344), 0x44332211);
    CHECK_EQ(bswap64(0x1122334455667788ull), 0x8877665544332211ull);
}

TEST(mul128)
{
    uint64_t lo, hi;
    hi = mulu64_hi(~0ull, ~0ull, &lo);
    CHECK_EQ(hi, 0xfffffffffffffffeull);
    CHECK_EQ(lo, 1);
    hi = (uint64_t)muls64_hi(-1, 5, &lo);
    CHECK_EQ(hi, ~0ull);
    CHECK_EQ(lo, (uint64_t)-5);
    hi = (uint64_t)muls64_hi(INT64_MIN, -1, &lo);
    CHECK_EQ(hi, 0);
    CHECK_EQ(lo, 0x8000000000000000ull);
}

/* divu128 and the digit-by-digit path of hosts without a 128-bit type:
 * q * d + r == n and r < d, checked with mulu64_hi, on edges and random
 * operands (normalization shifts 0..63, digit corrections). */
static int div_ok(uint64_t hi, uint64_t lo, uint64_t d, uint64_t q, uint64_t r)
{
    uint64_t pl, ph = mulu64_hi(q, d, &pl);
    uint64_t sl = pl + r, sh = ph + (sl < pl);
    return r < d && sh == hi && sl == lo;
}

TEST(div128)
{
    static const uint64_t d_edge[] = { 1, 2, 3, 0xffffffffull, 0x100000000ull, 0x100000001ull,
                                       0x8000000000000000ull, 0xffffffffffffffffull,
                                       0x80000000ffffffffull, 0x7fffffffffffffffull };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    long bad = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t d = i < 10 * 16 ? d_edge[i % 10] : x >> (x & 63);
        if (!d)
            d = 1;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t hi = (i & 3) == 0 ? d - 1 : x % d, lo;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        lo = (i & 7) == 1 ? ~0ull : (i & 7) == 2 ? 0 : x;
        uint64_t r1, q1 = divu128(hi, lo, d, &r1), r2, q2 = divu128_digits(hi, lo, d, &r2);
        if (!div_ok(hi, lo, d, q1, r1) || !div_ok(hi, lo, d, q2, r2))
            bad++;
    }
    CHECK_EQ(bad, 0);
    uint64_t r, q = divu128(0xfffffffffffffffeull, 1, ~0ull, &r);
    CHECK_EQ(q, ~0ull);
    CHECK_EQ(r, 0);
}
