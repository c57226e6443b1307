/*
 * The unit-test framework: one program per tests/unit/ file.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ(a, b); CHECK_STR(s, "x"); }
 *
 * Each test runs in a forked child (a crash or a hang fails that test
 * only) and prints one line the runner (tests/run.c) reads:
 *   PASS <program>/<test>
 *   FAIL <program>/<test>: <file>:<line>: <what>
 *   SKIP <program>/<test>: <reason>
 * A failed CHECK returns from the test at once. Run a program with a
 * substring argument to run only matching tests, and -n to run in-process
 * (for gdb).
 */
#ifndef PEMU_UNIT_H
#define PEMU_UNIT_H

#include <stdint.h>
#include <string.h>
#include "ports/host.h"

#if !PEMU_GNUC
#error "tests/unit/unit.h registers tests with constructors (GCC, Clang, TCC)"
#endif

typedef void (*UnitFn)(void);
void unit_register(const char *name, UnitFn fn);
void unit_fail(const char *file, int line, const char *fmt, ...) PEMU_PRINTF(3, 4);
void unit_skip(const char *fmt, ...) PEMU_PRINTF(1, 2);
int unit_failed(void);
/* Scratch directory for this test (created on demand, removed after). */
const char *unit_tmpdir(void);

#define TEST(name)                                                   \
    static void test_##name(void);                                   \
    PEMU_CONSTRUCTOR static void unit_reg_##name(void)               \
    {                                                                \
        unit_register(#name, test_##name);                           \
    }                                                                \
    static void test_##name(void)

#define CHECK(c)                                                     \
    do {                                                             \
        if (!(c)) {                                                  \
            unit_fail(__FILE__, __LINE__, "%s", #c);                 \
            return;                                                  \
        }                                                            \
    } while (0)

/* Integer equality, both values printed in hex on failure. */
#define CHECK_EQ(a, b)                                               \
    do {                                                             \
        uint64_t unit_a_ = (uint64_t)(a), unit_b_ = (uint64_t)(b);   \
        if (unit_a_ != unit_b_) {                                    \
            unit_fail(__FILE__, __LINE__, "%s == %s (0x%llx != 0x%llx)", \
                      #a, #b, (unsigned long long)unit_a_,           \
                      (unsigned long long)unit_b_);                  \
            return;                                                  \
        }                                                            \
    } while (0)

#define CHECK_STR(a, b)                                              \
    do {                                                             \
        const char *unit_sa_ = (a), *unit_sb_ = (b);                 \
        if (!unit_sa_ || !unit_sb_ || strcmp(unit_sa_, unit_sb_)) {  \
            unit_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", \
                      #a, #b, unit_sa_ ? unit_sa_ : "(null)",        \
                      unit_sb_ ? unit_sb_ : "(null)");               \
            return;                                                  \
        }                                                            \
    } while (0)

#define SKIP(...)                                                    \
    do {                                                             \
        unit_skip(__VA_ARGS__);                                      \
        return;                                                      \
    } while (0)

#endif
