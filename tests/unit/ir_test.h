/* Shared by the tests of ir/: printing a function into a string, checks. */
#ifndef PEMU_IR_TEST_H
#define PEMU_IR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "ir/ir.h"

/* The function as -d op prints it; valid until the next call. */
static inline const char *ir_dump(const IRFunc *f)
{
    static char *buf;
    size_t len;
    free(buf);
    buf = NULL;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return "(open_memstream failed)";
    ir_print_func(m, f);
    fclose(m);
    return buf;
}

/* Fails the test with the verifier's message when the function is malformed. */
#define CHECK_VERIFY(f)                                                  \
    do {                                                                 \
        char vmsg_[512];                                                 \
        if (ir_verify((f), vmsg_, sizeof(vmsg_))) {                      \
            unit_fail(__FILE__, __LINE__, "ir_verify: %s\n%s", vmsg_,    \
                      ir_dump(f));                                       \
            return;                                                      \
        }                                                                \
    } while (0)

/* The printed function must be exactly `expect`. */
#define CHECK_IR(f, expect) CHECK_STR(ir_dump(f), (expect))

/* The x86-like globals most tests use. */
typedef struct TestGlobals {
    IRTemp eax, ebx, ecx, cc_op, cc_dst, cc_src, rip;
} TestGlobals;

static inline void test_globals(IRFunc *f, TestGlobals *g)
{
    g->eax = ir_global_new(f, IR_I32, 0x00, "eax");
    g->ebx = ir_global_new(f, IR_I32, 0x04, "ebx");
    g->ecx = ir_global_new(f, IR_I32, 0x08, "ecx");
    g->cc_op = ir_global_new(f, IR_I32, 0x10, "cc_op");
    g->cc_dst = ir_global_new(f, IR_I32, 0x14, "cc_dst");
    g->cc_src = ir_global_new(f, IR_I32, 0x18, "cc_src");
    g->rip = ir_global_new(f, IR_I64, 0x20, "rip");
}

#endif
