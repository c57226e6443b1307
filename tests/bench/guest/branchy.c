/*
 * branchy: control flow. A bytecode interpreter (a switch loop, one
 * indirect jump per instruction, as in an interpreter-style guest) runs a
 * Collatz-length program, and a recursive Fibonacci makes deep call/return
 * chains.
 */
#include "bench.h"

const char bench_name[] = "branchy";
const int bench_paging = 0;

enum {
    OP_HALT, OP_LOADI, OP_MOV, OP_ADD, OP_ADDI, OP_SUB, OP_AND1, OP_SHR1,
    OP_MUL3P1, OP_JZ, OP_JNZ, OP_JMP, OP_LT, OP_XOR, OP_INC, OP_DEC,
};

/* Instruction: op, a, b, c (registers, a jump target, or an immediate b|c<<8). */
#define I(op, a, b, c) op, a, b, c

/*
 * for (n = 1; n < limit; n++) { x = n; steps = 0;
 *     while (x != 1) { x = (x & 1) ? 3x+1 : x/2; steps++; }
 *     total += steps; acc ^= steps + n; }
 * r0 = n, r1 = x, r2 = steps, r3 = limit, r4 = acc, r5 = total, r6 = tmp, r7 = 1
 */
static const uint8_t code[] = {
    I(OP_LOADI, 0, 1, 0),       /* 0: n = 1 */
    I(OP_LOADI, 7, 1, 0),       /* 1: one = 1 */
    I(OP_LT, 6, 0, 3),          /* 2: tmp = n < limit */
    I(OP_JZ, 6, 20, 0),         /* 3: if !tmp goto 20 */
    I(OP_MOV, 1, 0, 0),         /* 4: x = n */
    I(OP_LOADI, 2, 0, 0),       /* 5: steps = 0 */
    I(OP_XOR, 6, 1, 7),         /* 6: tmp = x ^ 1 */
    I(OP_JZ, 6, 15, 0),         /* 7: if x == 1 goto 15 */
    I(OP_AND1, 6, 1, 0),        /* 8: tmp = x & 1 */
    I(OP_JNZ, 6, 12, 0),        /* 9: if odd goto 12 */
    I(OP_SHR1, 1, 1, 0),        /* 10: x >>= 1 */
    I(OP_JMP, 13, 0, 0),        /* 11: goto 13 */
    I(OP_MUL3P1, 1, 1, 0),      /* 12: x = 3x + 1 */
    I(OP_INC, 2, 0, 0),         /* 13: steps++ */
    I(OP_JMP, 6, 0, 0),         /* 14: goto 6 */
    I(OP_ADD, 5, 5, 2),         /* 15: total += steps */
    I(OP_ADD, 6, 2, 0),         /* 16: tmp = steps + n */
    I(OP_XOR, 4, 4, 6),         /* 17: acc ^= tmp */
    I(OP_INC, 0, 0, 0),         /* 18: n++ */
    I(OP_JMP, 2, 0, 0),         /* 19: goto 2 */
    I(OP_HALT, 0, 0, 0),        /* 20: done */
};

static uint32_t vm_run(const uint8_t *pc0, uint32_t *r)
{
    const uint8_t *pc = pc0;
    uint32_t executed = 0;
    for (;;) {
        const uint8_t *in = pc;
        pc += 4;
        executed++;
        switch (in[0]) {
        case OP_HALT: return executed;
        case OP_LOADI: r[in[1]] = in[2] | (uint32_t)in[3] << 8; break;
        case OP_MOV: r[in[1]] = r[in[2]]; break;
        case OP_ADD: r[in[1]] = r[in[2]] + r[in[3]]; break;
        case OP_ADDI: r[in[1]] = r[in[2]] + in[3]; break;
        case OP_SUB: r[in[1]] = r[in[2]] - r[in[3]]; break;
        case OP_AND1: r[in[1]] = r[in[2]] & 1; break;
        case OP_SHR1: r[in[1]] = r[in[2]] >> 1; break;
        case OP_MUL3P1: r[in[1]] = r[in[2]] * 3 + 1; break;
        case OP_JZ: if (!r[in[1]]) pc = pc0 + in[2] * 4; break;
        case OP_JNZ: if (r[in[1]]) pc = pc0 + in[2] * 4; break;
        case OP_JMP: pc = pc0 + in[1] * 4; break;
        case OP_LT: r[in[1]] = r[in[2]] < r[in[3]]; break;
        case OP_XOR: r[in[1]] = r[in[2]] ^ r[in[3]]; break;
        case OP_INC: r[in[1]]++; break;
        case OP_DEC: r[in[1]]--; break;
        default: bench_fail("vm: bad opcode");
        }
    }
}

/* The same computation in C: the interpreter's self-check. */
static void collatz_ref(uint32_t limit, uint32_t *acc, uint32_t *total)
{
    uint32_t n, x, steps;
    *acc = *total = 0;
    for (n = 1; n < limit; n++) {
        for (x = n, steps = 0; x != 1; steps++)
            x = (x & 1) ? 3 * x + 1 : x >> 1;
        *total += steps;
        *acc ^= steps + n;
    }
}

static uint32_t __attribute__((noinline)) fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint32_t bench_run(BenchEnv *env)
{
    uint32_t r[8], sum = 0, round, acc, total, limit;
    (void)env;
    for (round = 0; round < SCALE; round++) {
        limit = 3000 + round;
        r[0] = r[1] = r[2] = r[4] = r[5] = r[6] = r[7] = 0;
        r[3] = limit;
        sum = bench_mix(sum, vm_run(code, r));
        collatz_ref(limit, &acc, &total);
        if (r[4] != acc || r[5] != total)
            bench_fail("vm: the bytecode result differs from the C reference");
        sum = bench_mix(sum, r[4]);
        sum = bench_mix(sum, r[5]);
        sum = bench_mix(sum, fib(20 + (round & 3)));
    }
    return sum;
}
