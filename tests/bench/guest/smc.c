/*
 * smc: self-modifying code. A small routine is copied into an executable
 * buffer; each round patches two immediates in its loop body (the next
 * values depend on the previous result) and calls it. A translating
 * emulator must notice every patch and retranslate. A C model of the
 * routine checks every result.
 */
#include "bench.h"

const char bench_name[] = "smc";
const int bench_paging = 0;

#define ROUNDS (20000u * SCALE)
#define INNER 64

/*
 * uint32_t smc_fn(uint32_t x): INNER times { x += IMM1; x = rol(x, 5); x ^= IMM2; }
 * cdecl; IMM1 and IMM2 are the 32-bit immediates the harness patches.
 */
extern const uint8_t smc_tpl[], smc_tpl_end[], smc_imm1[], smc_imm2[];
__asm__(
    "   .text\n"
    "smc_tpl:\n"
    "   mov 4(%esp), %eax\n"
    "   mov $64, %ecx\n"
    "1: .byte 0x05\n"                     /* add eax, imm32 */
    "smc_imm1:\n"
    "   .long 0\n"
    "   rol $5, %eax\n"
    "   .byte 0x35\n"                     /* xor eax, imm32 */
    "smc_imm2:\n"
    "   .long 0\n"
    "   dec %ecx\n"
    "   jnz 1b\n"
    "   ret\n"
    "smc_tpl_end:\n");

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t model(uint32_t x, uint32_t i1, uint32_t i2)
{
    int k;
    for (k = 0; k < INNER; k++) {
        x += i1;
        x = (x << 5) | (x >> 27);
        x ^= i2;
    }
    return x;
}

uint32_t bench_run(BenchEnv *env)
{
    uint8_t *code = env->code;
    uint32_t (*fn)(uint32_t) = (uint32_t (*)(uint32_t))(uintptr_t)code;
    uint32_t n = (uint32_t)(smc_tpl_end - smc_tpl), i, x = 1, i1 = 0x01234567u, i2, sum = 0, want;

    if (n > BENCH_CODE)
        bench_fail("smc: the routine does not fit the code buffer");
    for (i = 0; i < n; i++)
        code[i] = smc_tpl[i];
    for (i = 0; i < ROUNDS; i++) {
        i1 = i1 * 1664525u + 1013904223u + x;
        i2 = x ^ (i * 0x9E3779B1u);
        put32(code + (smc_imm1 - smc_tpl), i1);
        put32(code + (smc_imm2 - smc_tpl), i2);
        /* An x86 CPU sees its own stores to code after a jump; no fence needed. */
        want = model(x, i1, i2);
        x = fn(x);
        if (x != want)
            bench_fail("smc: the patched routine returned a stale result");
        sum = bench_mix(sum, x);
    }
    return sum;
}
