/*
 * int: integer work. Per round: FNV-1a and a 4-lane multiply-rotate hash
 * over 256 KiB of pseudo-random bytes, a heapsort of 64 Ki pseudo-random
 * words (checked sorted), and an LZ77-style compress/decompress round trip
 * of 256 KiB of pseudo-text (checked identical).
 */
#include "bench.h"

const char bench_name[] = "int";
const int bench_paging = 0;

#define HASH_BYTES (256u << 10)
#define SORT_WORDS (64u << 10)
#define TEXT_BYTES (256u << 10)
#define LZ_HASH_BITS 12
#define LZ_MIN 4
#define LZ_MAX (LZ_MIN + 127)

static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static inline uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t rotl(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

/* Four independent lanes, 16 bytes a step (n is a multiple of 16). */
static uint32_t lanes_hash(const uint8_t *p, uint32_t n)
{
    uint32_t v0 = 0x24234428u, v1 = 0x85EBCA77u, v2 = 0, v3 = 0x61C88647u, i;
    for (i = 0; i < n; i += 16) {
        v0 = rotl(v0 + rd32(p + i) * 0x85EBCA77u, 13) * 0x9E3779B1u;
        v1 = rotl(v1 + rd32(p + i + 4) * 0x85EBCA77u, 13) * 0x9E3779B1u;
        v2 = rotl(v2 + rd32(p + i + 8) * 0x85EBCA77u, 13) * 0x9E3779B1u;
        v3 = rotl(v3 + rd32(p + i + 12) * 0x85EBCA77u, 13) * 0x9E3779B1u;
    }
    return rotl(v0, 1) + rotl(v1, 7) + rotl(v2, 12) + rotl(v3, 18) + n;
}

static void sift_down(uint32_t *a, uint32_t root, uint32_t n)
{
    uint32_t v = a[root], child;
    while ((child = 2 * root + 1) < n) {
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[child] <= v)
            break;
        a[root] = a[child];
        root = child;
    }
    a[root] = v;
}

static void heapsort(uint32_t *a, uint32_t n)
{
    uint32_t i, t;
    for (i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (i = n - 1; i > 0; i--) {
        t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift_down(a, 0, i);
    }
}

/* Pseudo-text: words from a 64-word vocabulary, so that LZ finds matches. */
static void make_text(uint8_t *out, uint32_t n, uint32_t seed)
{
    uint8_t vocab[64][9];
    uint32_t w, i, len, pos = 0;
    for (w = 0; w < 64; w++) {
        len = 2 + bench_rand(&seed) % 7;
        for (i = 0; i < len; i++)
            vocab[w][i] = (uint8_t)('a' + bench_rand(&seed) % 26);
        vocab[w][len] = 0;
    }
    while (pos < n) {
        w = bench_rand(&seed);
        /* Skewed choice: low words are frequent, like real text. */
        w = (w & 7) < 5 ? (w >> 3) % 8 : (w >> 3) % 64;
        for (i = 0; vocab[w][i] && pos < n; i++)
            out[pos++] = vocab[w][i];
        if (pos < n)
            out[pos++] = (bench_rand(&seed) & 15) ? ' ' : '\n';
    }
}

/*
 * Format: a byte c < 0x80 starts a run of c+1 literals; c >= 0x80 is a
 * match of (c & 0x7f) + LZ_MIN bytes at the 16-bit little-endian distance
 * that follows (1..65535).
 */
static uint32_t lz_compress(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t *table)
{
    uint32_t i = 0, o = 0, lit = 0, h, cand, len, dist = 0;
    for (h = 0; h < (1u << LZ_HASH_BITS); h++)
        table[h] = 0xffffffffu;
    while (i < n) {
        len = 0;
        if (i + LZ_MIN <= n) {
            h = (rd32(in + i) * 2654435761u) >> (32 - LZ_HASH_BITS);
            cand = table[h];
            table[h] = i;
            if (cand != 0xffffffffu && i - cand <= 0xffff) {
                while (len < LZ_MAX && i + len < n && in[cand + len] == in[i + len])
                    len++;
                dist = i - cand;
            }
        }
        if (len >= LZ_MIN) {
            if (lit) {
                out[o++] = (uint8_t)(lit - 1);
                for (h = i - lit; h < i; h++)
                    out[o++] = in[h];
                lit = 0;
            }
            out[o++] = (uint8_t)(0x80 | (len - LZ_MIN));
            out[o++] = (uint8_t)dist;
            out[o++] = (uint8_t)(dist >> 8);
            i += len;
        } else {
            i++;
            if (++lit == 128) {
                out[o++] = 127;
                for (h = i - lit; h < i; h++)
                    out[o++] = in[h];
                lit = 0;
            }
        }
    }
    if (lit) {
        out[o++] = (uint8_t)(lit - 1);
        for (h = n - lit; h < n; h++)
            out[o++] = in[h];
    }
    return o;
}

static uint32_t lz_decompress(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap)
{
    uint32_t i = 0, o = 0, c, len, dist;
    while (i < n) {
        c = in[i++];
        if (c < 0x80) {
            if (o + c + 1 > cap || i + c + 1 > n)
                bench_fail("lz: literal run overflows");
            for (len = c + 1; len; len--)
                out[o++] = in[i++];
        } else {
            if (i + 2 > n)
                bench_fail("lz: truncated match");
            len = (c & 0x7f) + LZ_MIN;
            dist = in[i] | (uint32_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + len > cap)
                bench_fail("lz: bad match");
            for (; len; len--, o++)
                out[o] = out[o - dist];
        }
    }
    return o;
}

uint32_t bench_run(BenchEnv *env)
{
    uint8_t *buf = env->mem;
    uint32_t *words = (uint32_t *)(env->mem + (1u << 20));
    uint8_t *text = env->mem + (2u << 20);
    uint8_t *packed = env->mem + (3u << 20);
    uint8_t *unpacked = env->mem + (4u << 20);
    uint32_t *table = (uint32_t *)(env->mem + (5u << 20));
    uint32_t sum = 0, seed = 0x2545F491u, round, i, n, m;

    for (round = 0; round < SCALE; round++) {
        for (i = 0; i < HASH_BYTES; i += 4) {
            uint32_t r = bench_rand(&seed);
            buf[i] = (uint8_t)r;
            buf[i + 1] = (uint8_t)(r >> 8);
            buf[i + 2] = (uint8_t)(r >> 16);
            buf[i + 3] = (uint8_t)(r >> 24);
        }
        sum = bench_mix(sum, fnv1a(buf, HASH_BYTES));
        sum = bench_mix(sum, lanes_hash(buf, HASH_BYTES));

        for (i = 0; i < SORT_WORDS; i++)
            words[i] = bench_rand(&seed);
        heapsort(words, SORT_WORDS);
        for (i = 1; i < SORT_WORDS; i++)
            if (words[i - 1] > words[i])
                bench_fail("heapsort: not sorted");
        for (i = 0; i < SORT_WORDS; i += 257)
            sum = bench_mix(sum, words[i]);

        make_text(text, TEXT_BYTES, seed ^ round);
        n = lz_compress(text, TEXT_BYTES, packed, table);
        if (n >= TEXT_BYTES)
            bench_fail("lz: the pseudo-text did not compress");
        m = lz_decompress(packed, n, unpacked, TEXT_BYTES);
        if (m != TEXT_BYTES)
            bench_fail("lz: round trip changed the length");
        for (i = 0; i < TEXT_BYTES; i++)
            if (text[i] != unpacked[i])
                bench_fail("lz: round trip changed the data");
        sum = bench_mix(sum, n);
        sum = bench_mix(sum, fnv1a(packed, n));
    }
    return sum;
}
