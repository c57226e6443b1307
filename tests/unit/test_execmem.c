/*
 * ports/execmem.c: W^X executable memory. Where the host's instruction set
 * is known (x86-64, i386, aarch64, 32-bit ARM, RISC-V 64), a tiny function
 * "return 42" is written, made executable and called; that proves the
 * write -> execute switch and the instruction-cache synchronization.
 */
#include "unit.h"

#include "ports/execmem.h"

#include <string.h>

/* The host's machine code for `int f(void) { return 42; }`, or NULL. */
static const unsigned char *ret42(size_t *n)
{
#if defined(__x86_64__) || defined(__i386__)
    static const unsigned char c[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax,42; ret */
#elif defined(__aarch64__)
    static const unsigned char c[] = { 0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6 }; /* mov w0,#42; ret */
#elif defined(__arm__) && !defined(__thumb__)
    static const unsigned char c[] = { 0x2a, 0x00, 0xa0, 0xe3, 0x1e, 0xff, 0x2f, 0xe1 }; /* mov r0,#42; bx lr */
#elif defined(__riscv) && __riscv_xlen == 64
    static const unsigned char c[] = { 0x13, 0x05, 0xa0, 0x02, 0x67, 0x80, 0x00, 0x00 }; /* li a0,42; ret */
#else
    static const unsigned char *c = NULL;
    *n = 0;
    return c;
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
    (defined(__arm__) && !defined(__thumb__)) || (defined(__riscv) && __riscv_xlen == 64)
    *n = sizeof(c);
    return c;
#endif
}

typedef int (*IntFn)(void);

TEST(write_then_execute)
{
    size_t n;
    const unsigned char *code = ret42(&n);
    if (!code)
        SKIP("no known instruction encoding for this host");
    HostExecMem m;
    CHECK_EQ(host_exec_alloc(&m, 100), 0);
    CHECK(m.size >= 100);
    CHECK_EQ(host_exec_write_begin(&m), 0);
    /* two copies: the second, at an offset, proves off/len are honoured */
    memcpy(m.base, code, n);
    memcpy((char *)m.base + 64, code, n);
    CHECK_EQ(host_exec_write_end(&m, 0, 64 + n), 0);
    IntFn f, g;
    void *pf = m.base, *pg = (char *)m.base + 64;
    memcpy(&f, &pf, sizeof(f));   /* object -> function pointer, ISO-C-clean */
    memcpy(&g, &pg, sizeof(g));
    CHECK_EQ(f(), 42);
    CHECK_EQ(g(), 42);
    /* rewrite: 42 -> 7 at the same place, executed again */
    CHECK_EQ(host_exec_write_begin(&m), 0);
    ((unsigned char *)m.base)[0] = code[0];
#if defined(__x86_64__) || defined(__i386__)
    ((unsigned char *)m.base)[1] = 7;
#elif defined(__aarch64__)
    ((unsigned char *)m.base)[0] = 0xe0; /* mov w0,#7: imm16 7 << 5 = 0xe0 */
    ((unsigned char *)m.base)[1] = 0x00;
#elif defined(__arm__)
    ((unsigned char *)m.base)[0] = 7;
#elif defined(__riscv)
    ((unsigned char *)m.base)[2] = 0x70; /* li a0,7: imm 7 << 20 */
    ((unsigned char *)m.base)[3] = 0x00;
#endif
    CHECK_EQ(host_exec_write_end(&m, 0, n), 0);
    CHECK_EQ(f(), 7);
    host_exec_free(&m);
    CHECK(m.base == NULL);
}

TEST(bad_arguments)
{
    HostExecMem m;
    CHECK_EQ(host_exec_alloc(&m, 0), -1);
    CHECK_EQ(host_exec_alloc(&m, 10), 0);
    CHECK_EQ(host_exec_write_begin(&m), 0);
    CHECK_EQ(host_exec_write_end(&m, m.size, 1), -1);
    CHECK_EQ(host_exec_write_end(&m, 0, m.size), 0);
    host_exec_free(&m);
}
