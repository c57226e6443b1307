/*
 * Test-case generator of the differential CPU tester (gen.c).
 *
 * It has its own table of instruction forms and its own encoder: an oracle
 * must not share code with what it checks (src/x86). The table of flags the
 * manual leaves undefined, used to mask comparisons, is in gen.c.
 */
#ifndef PEMU_DIFF_GEN_H
#define PEMU_DIFF_GEN_H

#include <stdint.h>

#include "case.h"

/* Case `index` of the batch `seed`; the same pair always gives the same case. */
void gen_case(Case *c, int mode, uint64_t seed, uint64_t index);
/* Mode 64 (gen64.c): gen_case calls it. */
void gen64_case(Case *c, uint64_t seed, uint64_t index);

/* Instruction classes: the integer forms (default), x87 without and with the
 * transcendental instructions, MMX. Applies to the following gen_case calls. */
enum { GEN_INT, GEN_X87, GEN_X87T, GEN_MMX, GEN_SSE };
void gen_set_class(int cls);

#endif
