/*
 * src/x86/pgdump.c: `info tlb` and `info mem` over page tables built by
 * hand in the fake RAM: 32-bit with 4K and PSE 4M pages, PAE with a 2M
 * page, and long mode with 4K, 2M and 1G pages and a higher-half mapping.
 * The expected lines are QEMU's layout.
 */
#include "unit.h"
#include "x86_sys_test.h"

#include <stdio.h>
#include <stdlib.h>
#include "src/x86/pgdump.h"

static char out[8192];

static const char *run(void (*fn)(FILE *, X86CPU *), X86CPU *cpu)
{
    FILE *f = tmpfile();
    fn(f, cpu);
    rewind(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = 0;
    fclose(f);
    return out;
}

static void put32(uint64_t pa, uint32_t v) { st32_le(xt_ram + pa, v); }
static void put64(uint64_t pa, uint64_t v) { st64_le(xt_ram + pa, v); }

TEST(paging_off)
{
    X86CPU *cpu = xt_new();
    CHECK_STR(run(x86_print_tlb, cpu), "PG disabled\n");
    CHECK_STR(run(x86_print_mem, cpu), "PG disabled\n");
}

TEST(two_level_4k_and_4m)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    /* PD at 0x10000: PDE 0 -> PT at 0x11000; PDE 2 (8M): a 4M page at 12M, user */
    put32(0x10000, 0x11000 | 0x27);          /* P W U A */
    put32(0x10000 + 2 * 4, 0xc00000 | 0xe7); /* P W U A D PS */
    put32(0x11000 + 1 * 4, 0x5000 | 0x61);   /* VA 0x1000 -> 0x5000, P A D, read-only, kernel */
    put32(0x11000 + 2 * 4, 0x6000 | 0x07);   /* VA 0x2000 -> 0x6000, P W U */
    s->cr[3] = 0x10000;
    s->cr[4] = CR4_PSE;
    s->cr[0] |= CR0_PG | CR0_PE;
    CHECK_STR(run(x86_print_tlb, cpu),
              "0000000000001000: 0000000000005000 ---DA----\n"
              "0000000000002000: 0000000000006000 -------UW\n"
              "0000000000800000: 0000000000c00000 --PDA--UW\n");
    CHECK_STR(run(x86_print_mem, cpu),
              "0000000000001000-0000000000002000 0000000000001000 -r-\n"
              "0000000000002000-0000000000003000 0000000000001000 urw\n"
              "0000000000800000-0000000000c00000 0000000000400000 urw\n");
}

TEST(pae_2m)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    put64(0x10000 + 8 * 3, 0x11000 | 1);                   /* PDPTE 3: 0xc0000000 */
    put64(0x11000 + 8 * 1, 0x200000 | 0x183 | (1ull << 63));   /* 2M at 0xc0200000, G PS W, NX */
    s->cr[3] = 0x10000;
    s->cr[4] = CR4_PAE;
    s->cr[0] |= CR0_PG | CR0_PE;
    CHECK_STR(run(x86_print_tlb, cpu), "00000000c0200000: 0000000000200000 XGP-----W\n");
    CHECK_STR(run(x86_print_mem, cpu), "00000000c0200000-00000000c0400000 0000000000200000 -rw\n");
}

TEST(long_mode_pages_and_higher_half)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    /* PML4 0x10000: [0] -> PDPT 0x11000, [511] -> PDPT 0x14000 */
    put64(0x10000, 0x11000 | 7);
    put64(0x10000 + 8 * 511, 0x14000 | 3);
    put64(0x11000, 0x12000 | 7);                 /* PDPT[0] -> PD */
    put64(0x11000 + 8 * 1, 0x40000000 | 0x87);   /* 1G page at VA 1G, user */
    put64(0x12000, 0x13000 | 7);                 /* PD[0] -> PT */
    put64(0x12000 + 8 * 1, 0x200000 | 0x87);     /* 2M page at VA 2M */
    put64(0x13000 + 8 * 5, 0x7000 | 7);          /* VA 0x5000 */
    put64(0x14000 + 8 * 510, 0x15000 | 3);       /* 0xffffffff80000000 -> PD */
    put64(0x15000, 0x400000 | 0x83);             /* 2M, kernel, at PA 4M */
    s->cr[3] = 0x10000;
    s->cr[4] = CR4_PAE;
    s->efer |= EFER_LME | EFER_LMA;
    s->cr[0] |= CR0_PG | CR0_PE;
    CHECK_STR(run(x86_print_tlb, cpu),
              "0000000000005000: 0000000000007000 -------UW\n"
              "0000000000200000: 0000000000200000 --P----UW\n"
              "0000000040000000: 0000000040000000 --P----UW\n"
              "ffffffff80000000: 0000000000400000 --P-----W\n");
    /* 0x200000..0x400000 and the 1G page are not adjacent: separate ranges */
    CHECK_STR(run(x86_print_mem, cpu),
              "0000000000005000-0000000000006000 0000000000001000 urw\n"
              "0000000000200000-0000000000400000 0000000000200000 urw\n"
              "0000000040000000-0000000080000000 0000000040000000 urw\n"
              "ffffffff80000000-ffffffff80200000 0000000000200000 -rw\n");
}
