/*
 * Host compiler and CPU facts, in one place.
 *
 * Everything the rest of pemu needs to know about the machine it runs on
 * (byte order, compiler extensions, bit tricks) is answered here, with a
 * portable C11 fallback for each GNU extension. Guest data is always
 * little-endian x86 data: read and write it only with the ld*_le / st*_le
 * helpers below, never by casting a pointer.
 */
#ifndef PEMU_HOST_H
#define PEMU_HOST_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

/* ---- compiler ---------------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define PEMU_GNUC 1
#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define PEMU_INLINE     static inline __attribute__((always_inline))
#define PEMU_NOINLINE   __attribute__((noinline))
#define PEMU_COLD       __attribute__((cold, noinline))
#define PEMU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PEMU_UNUSED     __attribute__((unused))
#define PEMU_CONSTRUCTOR __attribute__((constructor))
#else
#define PEMU_GNUC 0
#define likely(x)       (x)
#define unlikely(x)     (x)
#define PEMU_INLINE     static inline
#define PEMU_NOINLINE
#define PEMU_COLD
#define PEMU_PRINTF(f, a)
#define PEMU_UNUSED
#endif

#define PEMU_NORETURN _Noreturn
#define PEMU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Interpreter dispatch: direct threading needs GNU labels-as-values.
 * DISPATCH=switch (PEMU_DISPATCH_SWITCH) forces the portable loop.
 */
#if PEMU_GNUC && !defined(PEMU_DISPATCH_SWITCH)
#define PEMU_HAVE_COMPUTED_GOTO 1
#else
#define PEMU_HAVE_COMPUTED_GOTO 0
#endif

/* ---- byte order -------------------------------------------------------- */

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PEMU_HOST_BIG_ENDIAN 1
#elif defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PEMU_HOST_BIG_ENDIAN 0
#else
#error "ports/host.h: cannot tell the host byte order; define __BYTE_ORDER__"
#endif

static inline uint16_t bswap16(uint16_t v)
{
#if PEMU_GNUC
    return __builtin_bswap16(v);
#else
    return (uint16_t)((v >> 8) | (v << 8));
#endif
}

static inline uint32_t bswap32(uint32_t v)
{
#if PEMU_GNUC
    return __builtin_bswap32(v);
#else
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
#endif
}

static inline uint64_t bswap64(uint64_t v)
{
#if PEMU_GNUC
    return __builtin_bswap64(v);
#else
    return ((uint64_t)bswap32((uint32_t)v) << 32) | bswap32((uint32_t)(v >> 32));
#endif
}

#if PEMU_HOST_BIG_ENDIAN
#define le16_to_host(v) bswap16(v)
#define le32_to_host(v) bswap32(v)
#define le64_to_host(v) bswap64(v)
#define be16_to_host(v) (v)
#define be32_to_host(v) (v)
#define be64_to_host(v) (v)
#else
#define le16_to_host(v) (v)
#define le32_to_host(v) (v)
#define le64_to_host(v) (v)
#define be16_to_host(v) bswap16(v)
#define be32_to_host(v) bswap32(v)
#define be64_to_host(v) bswap64(v)
#endif
#define host_to_le16 le16_to_host
#define host_to_le32 le32_to_host
#define host_to_le64 le64_to_host
#define host_to_be16 be16_to_host
#define host_to_be32 be32_to_host
#define host_to_be64 be64_to_host

/*
 * Unaligned loads and stores of little/big-endian values at a host pointer.
 * memcpy compiles to a single move on hosts that allow unaligned access.
 */
static inline uint8_t ld8(const void *p) { return *(const uint8_t *)p; }
static inline void st8(void *p, uint8_t v) { *(uint8_t *)p = v; }

#define PEMU_DEFINE_LDST(bits, end)                                         \
    static inline uint##bits##_t ld##bits##_##end(const void *p)            \
    {                                                                       \
        uint##bits##_t v;                                                   \
        memcpy(&v, p, sizeof(v));                                           \
        return end##bits##_to_host(v);                                      \
    }                                                                       \
    static inline void st##bits##_##end(void *p, uint##bits##_t v)          \
    {                                                                       \
        v = host_to_##end##bits(v);                                         \
        memcpy(p, &v, sizeof(v));                                           \
    }
PEMU_DEFINE_LDST(16, le)
PEMU_DEFINE_LDST(32, le)
PEMU_DEFINE_LDST(64, le)
PEMU_DEFINE_LDST(16, be)
PEMU_DEFINE_LDST(32, be)
PEMU_DEFINE_LDST(64, be)
#undef PEMU_DEFINE_LDST

/* ---- bit tricks (argument must be non-zero for clz/ctz) ----------------- */

static inline int clz32(uint32_t v)
{
#if PEMU_GNUC
    return __builtin_clz(v);
#else
    int n = 0;
    while (!(v & 0x80000000u)) { v <<= 1; n++; }
    return n;
#endif
}

static inline int clz64(uint64_t v)
{
#if PEMU_GNUC
    return __builtin_clzll(v);
#else
    return (v >> 32) ? clz32((uint32_t)(v >> 32)) : 32 + clz32((uint32_t)v);
#endif
}

static inline int ctz32(uint32_t v)
{
#if PEMU_GNUC
    return __builtin_ctz(v);
#else
    int n = 0;
    while (!(v & 1)) { v >>= 1; n++; }
    return n;
#endif
}

static inline int ctz64(uint64_t v)
{
#if PEMU_GNUC
    return __builtin_ctzll(v);
#else
    return (uint32_t)v ? ctz32((uint32_t)v) : 32 + ctz32((uint32_t)(v >> 32));
#endif
}

static inline int popcount64(uint64_t v)
{
#if PEMU_GNUC
    return __builtin_popcountll(v);
#else
    int n = 0;
    while (v) { v &= v - 1; n++; }
    return n;
#endif
}

/* 64x64 -> 128 multiplies; hi word returned, lo through *lo. */
static inline uint64_t mulu64_hi(uint64_t a, uint64_t b, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    /* __extension__: a GNU type, kept quiet under -std=c11 -pedantic */
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    *lo = (uint64_t)r;
    return (uint64_t)(r >> 64);
#else
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *lo = (mid << 32) | (uint32_t)ll;
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

/* (hi:lo) / d for hi < d (so the quotient fits 64 bits): the quotient,
 * and the remainder through *rem. Long division in base 2^32 with the
 * divisor normalized (top bit set), so that each estimated quotient digit
 * is at most 2 too big (Knuth, TAOCP vol. 2, 4.3.1, algorithm D): the
 * path of hosts without a 128-bit type, and the unit tests' check. */
static inline uint64_t divu128_digits(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    int s = clz64(d);
    d <<= s;
    if (s) {
        hi = (hi << s) | (lo >> (64 - s));
        lo <<= s;
    }
    uint64_t dh = d >> 32, dl = d & 0xffffffffu, l1 = lo >> 32, l0 = lo & 0xffffffffu;
    uint64_t q1 = hi / dh, r = hi - q1 * dh;
    while ((q1 >> 32) || q1 * dl > ((r << 32) | l1)) {
        q1--;
        r += dh;
        if (r >> 32)
            break;
    }
    uint64_t u = (hi << 32) + l1 - q1 * d;     /* mod 2^64: the true rest, < d */
    uint64_t q0 = u / dh;
    r = u - q0 * dh;
    while ((q0 >> 32) || q0 * dl > ((r << 32) | l0)) {
        q0--;
        r += dh;
        if (r >> 32)
            break;
    }
    *rem = ((u << 32) + l0 - q0 * d) >> s;
    return (q1 << 32) | q0;
}

static inline uint64_t divu128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 n = ((u128)hi << 64) | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#else
    return divu128_digits(hi, lo, d, rem);
#endif
}

static inline int64_t muls64_hi(int64_t a, int64_t b, uint64_t *lo)
{
    uint64_t hi = mulu64_hi((uint64_t)a, (uint64_t)b, lo);
    if (a < 0) hi -= (uint64_t)b;
    if (b < 0) hi -= (uint64_t)a;
    return (int64_t)hi;
}

#endif /* PEMU_HOST_H */
