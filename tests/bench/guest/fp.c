/*
 * x87 and sse2: floating-point work, one source built twice. -DFP_X87 with
 * -mfpmath=387 -mno-sse computes in long double on the x87 stack; otherwise
 * -msse2 -mfpmath=sse computes in double with SSE2. Per round: two series
 * (sum 1/k^2 and Leibniz), a sum of square roots, and a 48x48 matrix
 * product. Only + - * / and sqrt, which IEEE 754 rounds exactly, so every
 * correct emulator gives the same bits.
 */
#include "bench.h"

#ifdef FP_X87
typedef long double real;
const char bench_name[] = "x87";
#define SQRT __builtin_sqrtl
#else
typedef double real;
const char bench_name[] = "sse2";
#define SQRT __builtin_sqrt
#endif
const int bench_paging = 0;

#define TERMS 100000u
#define DIM 48

static uint32_t real_bits(uint32_t h, real v)
{
    union { real r; uint8_t b[sizeof(real)]; } u;
    uint32_t i, n = sizeof(real) == 8 ? 8 : 10;    /* the x87's 80 bits */
    for (i = 0; i < sizeof(real); i++)
        u.b[i] = 0;
    u.r = v;
    for (i = 0; i < n; i += 2)
        h = bench_mix(h, u.b[i] | (uint32_t)u.b[i + 1] << 8);
    return h;
}

static real a[DIM][DIM], b[DIM][DIM], c[DIM][DIM];

uint32_t bench_run(BenchEnv *env)
{
    uint32_t sum = 0, seed = 0x1B873593u, round, k, i, j;
    real s1, s2, s3, kk, t;
    (void)env;

    for (i = 0; i < DIM; i++)
        for (j = 0; j < DIM; j++) {
            a[i][j] = (real)(bench_rand(&seed) % 2000) / 37 - 27;
            b[i][j] = (real)(bench_rand(&seed) % 2000) / 53 - 19;
        }
    for (round = 0; round < SCALE; round++) {
        s1 = s2 = s3 = 0;
        for (k = 1; k <= TERMS; k++) {
            kk = (real)k;
            s1 += 1 / (kk * kk);
            s2 += (k & 1 ? 4 : -4) / (2 * kk - 1);
            s3 += SQRT(kk + round);
        }
        /* Sanity: pi^2/6 and pi, within the series' truncation error. */
        if (s1 < 1.6449 || s1 > 1.6450 || s2 < 3.1415 || s2 > 3.1417)
            bench_fail("fp: a series converged to the wrong value");
        sum = real_bits(sum, s1);
        sum = real_bits(sum, s2);
        sum = real_bits(sum, s3);

        for (i = 0; i < DIM; i++)
            for (j = 0; j < DIM; j++) {
                t = 0;
                for (k = 0; k < DIM; k++)
                    t += a[i][k] * b[k][j];
                c[i][j] = t;
            }
        /* Feed the product back, scaled, so that rounds differ. */
        for (i = 0; i < DIM; i++) {
            sum = real_bits(sum, c[i][i]);
            for (j = 0; j < DIM; j++)
                b[i][j] = c[i][j] / 4096 + b[i][j] / 2;
        }
    }
    return sum;
}
