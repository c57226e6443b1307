/*
 * The interface between a benchmark kernel body (int.c, mem.c, ...) and the
 * two environments that run it: the bare-metal guest (guest.c + entry.S,
 * a Multiboot kernel) and the native check (native.c, a static i686 Linux
 * program). The body object file is compiled once and linked into both, so
 * the native run computes the checksum the guest must print.
 *
 * A body defines bench_name, bench_paging and bench_run(). SCALE (a
 * compile-time constant, -DSCALE=n) sizes the work; the harness builds a
 * full-size and a quick variant of each kernel.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifndef SCALE
#define SCALE 1
#endif

typedef struct BenchEnv {
    uint8_t *mem;           /* scratch RAM, 4 KiB aligned */
    uint32_t mem_size;      /* BENCH_MEM bytes */
    uint8_t *code;          /* writable and executable, BENCH_CODE bytes */
} BenchEnv;

#define BENCH_MEM  (128u << 20)
#define BENCH_CODE 4096u

extern const char bench_name[];
/* Nonzero: the guest runs the body with paging on (4 KiB pages). */
extern const int bench_paging;
/* Runs the workload; returns its checksum. Calls bench_fail on a self-check failure. */
uint32_t bench_run(BenchEnv *env);
/* Provided by the environment: report and stop with a failure. */
void bench_fail(const char *why) __attribute__((noreturn));

/* xorshift32: the pseudo-random source of every body (never 0 from nonzero). */
static inline uint32_t bench_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Mixes a value into a running checksum (a multiply-rotate step). */
static inline uint32_t bench_mix(uint32_t h, uint32_t v)
{
    h ^= v * 0x9E3779B1u;
    h = (h << 13) | (h >> 19);
    return h * 5u + 0xE6546B64u;
}

#endif
