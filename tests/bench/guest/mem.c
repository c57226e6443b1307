/*
 * mem: memory-bound work with paging on (the guest maps 4 KiB pages, so the
 * TLB matters). Pointer chasing through 1 Mi nodes of 64 bytes (64 MiB) laid
 * out as one random cycle, then large memset/memcpy: rep stosd and rep movsd
 * (what an OS's string routines do) and a plain word loop, over 16 MiB.
 */
#include "bench.h"

const char bench_name[] = "mem";
const int bench_paging = 1;

#ifdef BENCH_QUICK
#define NODES (1u << 16)                /* 4 MiB: the quick self-test */
#define COPY_BYTES (1u << 20)
#else
#define NODES (1u << 20)                /* 64 MiB of 64-byte nodes */
#define COPY_BYTES (16u << 20)
#endif
#define CHASE_STEPS (2u << 20)          /* per round, a multiple of NODES */

typedef struct Node {
    struct Node *next;
    uint32_t val;
    uint32_t pad[14];
} Node;

_Static_assert(sizeof(Node) == 64 || sizeof(void *) != 4, "a node is one 64-byte line");

static void fill_words(uint32_t *d, uint32_t v, uint32_t n)
{
    __asm__ volatile("cld; rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory");
}

static void copy_words(uint32_t *d, const uint32_t *s, uint32_t n)
{
    __asm__ volatile("cld; rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

uint32_t bench_run(BenchEnv *env)
{
    Node *nodes = (Node *)env->mem;
    uint32_t *perm = (uint32_t *)(env->mem + NODES * sizeof(Node));
    uint32_t *a = perm + NODES;
    uint32_t *b = a + COPY_BYTES / 4;
    uint32_t seed = 0x6C078965u, sum = 0, i, j, t, round, n = COPY_BYTES / 4;
    Node *p;

    if ((uint8_t *)(b + n) > env->mem + env->mem_size)
        bench_fail("mem: scratch area too small");

    /* Sattolo's shuffle: a random permutation that is a single cycle. */
    for (i = 0; i < NODES; i++)
        perm[i] = i;
    for (i = NODES - 1; i > 0; i--) {
        j = bench_rand(&seed) % i;
        t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (i = 0; i < NODES; i++) {
        nodes[perm[i]].next = &nodes[perm[(i + 1) & (NODES - 1)]];
        nodes[perm[i]].val = perm[i] * 2654435761u;
    }

    p = &nodes[perm[0]];
    for (round = 0; round < SCALE; round++) {
        for (i = 0; i < CHASE_STEPS; i++) {
            sum += p->val;
            p = p->next;
        }
        sum = bench_mix(sum, (uint32_t)(p - nodes));

        fill_words(a, round * 0x01010101u + 0x5A5A5A5Au, n);
        for (i = 0; i < n; i += 1024)
            a[i] ^= i;
        copy_words(b, a, n);
        for (i = 0; i < n; i++)
            a[i] = b[i] + i;
        for (i = round & 4095; i < n; i += 4093)
            sum = bench_mix(sum, a[i] ^ b[n - 1 - i]);
    }
    /* The cycle must come back to its start after NODES steps. */
    if ((uint64_t)SCALE * CHASE_STEPS % NODES == 0 && p != &nodes[perm[0]])
        bench_fail("mem: the pointer chain is not one cycle");
    return sum;
}
