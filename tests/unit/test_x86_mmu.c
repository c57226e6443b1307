/*
 * src/x86/mmu.c: page walks in every paging mode over fake guest RAM:
 * translations, A/D updates, each #PF error-code bit and CR2, WP, NX,
 * large pages, reserved bits, and the TLB flush rules of CR0/CR3/CR4/INVLPG.
 */
#include "unit.h"
#include "x86_sys_test.h"

enum { P = 1, W = 2, U = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100 };
#define NX (1ull << 63)

static uint64_t fill_pa;
static uint32_t fill_prot;

/* tlb_fill for one access; returns the exception (EXCP_NONE on success). */
static int fill(X86CPU *cpu, uint64_t va, MMUAccessType acc, int mmu)
{
    fill_pa = ~0ull;
    fill_prot = 0;
    XT_RUN(cpu, x86_tlb_fill(&cpu->parent, va, acc, mmu, false, &fill_pa, &fill_prot));
    return xt_exc;
}

/* 32-bit paging: PD at 0x10000, PT at 0x11000 for va 0x00400000..0x007fffff. */
static X86CPU *setup32(void)
{
    X86CPU *cpu = xt_new();
    cpu->env.cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu->env.cr[3] = 0x10000;
    xt_w32(0x10000 + 1 * 4, 0x11000 | P | W | U);
    return cpu;
}

TEST(paging_off_identity_and_a20)
{
    X86CPU *cpu = xt_new();
    CHECK_EQ(fill(cpu, 0x123456, MMU_DATA_STORE, X86_MMU_USER), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x123000);
    CHECK_EQ(fill_prot, PAGE_READ | PAGE_WRITE | PAGE_EXEC);
    cpu->env.a20_mask = ~(1ull << 20);
    CHECK_EQ(fill(cpu, 0x123456, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x023000);
}

TEST(two_level_4k_accessed_then_dirty)
{
    X86CPU *cpu = setup32();
    xt_w32(0x11000 + 5 * 4, 0x20000 | P | W | U);
    CHECK_EQ(fill(cpu, 0x405123, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x20000);
    /* clean page: cached without write permission, so a write walks again */
    CHECK_EQ(fill_prot, PAGE_READ | PAGE_EXEC);
    CHECK_EQ(xt_r32(0x10004) & (A | D), A);
    CHECK_EQ(xt_r32(0x11014) & (A | D), A);
    CHECK_EQ(fill(cpu, 0x405123, MMU_DATA_STORE, X86_MMU_USER), EXCP_NONE);
    CHECK_EQ(fill_prot, PAGE_READ | PAGE_WRITE | PAGE_EXEC);
    CHECK_EQ(xt_r32(0x11014) & (A | D), A | D);
    CHECK_EQ(xt_r32(0x10004) & D, 0); /* D only on the leaf */
    /* once dirty, a read caches write permission too */
    CHECK_EQ(fill(cpu, 0x405000, MMU_DATA_LOAD, X86_MMU_USER), EXCP_NONE);
    CHECK_EQ(fill_prot, PAGE_READ | PAGE_WRITE | PAGE_EXEC);
}

TEST(two_level_fault_error_codes)
{
    X86CPU *cpu = setup32();
    xt_w32(0x11000 + 1 * 4, 0x21000 | P);          /* supervisor, read-only */
    xt_w32(0x11000 + 2 * 4, 0x22000 | P | U);      /* user, read-only */
    /* not present PDE */
    CHECK_EQ(fill(cpu, 0x00801000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, 0);
    CHECK_EQ(cpu->env.cr[2], 0x00801000);
    /* not present PTE, user write */
    CHECK_EQ(fill(cpu, 0x00403004, MMU_DATA_STORE, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_W | PF_ERR_U);
    CHECK_EQ(cpu->env.cr[2], 0x00403004);
    /* user read of a supervisor page */
    CHECK_EQ(fill(cpu, 0x00401000, MMU_DATA_LOAD, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_U);
    /* user write of a read-only user page */
    CHECK_EQ(fill(cpu, 0x00402000, MMU_DATA_STORE, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_W | PF_ERR_U);
    /* a faulting walk leaves A/D alone */
    CHECK_EQ(xt_r32(0x11008) & (A | D), 0);
    /* fetch without NX: no I bit */
    CHECK_EQ(fill(cpu, 0x00403000, MMU_INST_FETCH, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, 0);
    /* supervisor write to read-only: allowed with WP = 0, #PF with WP = 1 */
    CHECK_EQ(fill(cpu, 0x00402000, MMU_DATA_STORE, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_prot & PAGE_WRITE, PAGE_WRITE);
    CHECK_EQ(xt_r32(0x11008) & D, D);
    cpu->env.cr[0] |= CR0_WP;
    CHECK_EQ(fill(cpu, 0x00402000, MMU_DATA_STORE, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_W);
    CHECK_EQ(fill(cpu, 0x00402000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_prot & PAGE_WRITE, 0);
    /* a read-only PDE restricts the whole table */
    xt_w32(0x10004, 0x11000 | P | U);
    xt_w32(0x11000 + 3 * 4, 0x23000 | P | W | U);
    CHECK_EQ(fill(cpu, 0x00403000, MMU_DATA_STORE, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_W | PF_ERR_U);
    /* probe: no fault raised, no CR2 */
    cpu->env.cr[2] = 0;
    uint64_t pa;
    uint32_t prot;
    CHECK(!x86_tlb_fill(&cpu->parent, 0x00403000, MMU_DATA_STORE, X86_MMU_USER, true, &pa, &prot));
    CHECK_EQ(cpu->env.cr[2], 0);
}

TEST(pse_4m_pages_and_pse36)
{
    X86CPU *cpu = setup32();
    xt_w32(0x10000 + 2 * 4, 0x00000000 | P | W | PS);
    /* without CR4.PSE the PS bit is ignored: the PDE points to a table at 0 (zeros) */
    CHECK_EQ(fill(cpu, 0x00812345, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, 0);
    cpu->env.cr[4] |= CR4_PSE;
    CHECK_EQ(fill(cpu, 0x00a12345, MMU_DATA_STORE, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x00212000);
    CHECK_EQ(xt_r32(0x10008) & (A | D), A | D);
    CHECK_EQ(cpu->env.tlb_large, 1);
    /* PSE-36: PDE bits 20:13 are physical address bits 39:32 (MAXPHYADDR 40) */
    xt_w32(0x10000 + 3 * 4, 0x01000000 | (0x85u << 13) | P | PS);
    CHECK_EQ(fill(cpu, 0x00c01000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x8501001000ull);
    /* bit 21 is reserved */
    xt_w32(0x10000 + 3 * 4, 0x01000000 | (1u << 21) | P | PS);
    CHECK_EQ(fill(cpu, 0x00c01000, MMU_DATA_LOAD, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD | PF_ERR_U);
}

/* PAE: PDPT at 0x12000, PD at 0x13000, PT at 0x14000; va 0x40000000 + ... */
static X86CPU *setup_pae(void)
{
    X86CPU *cpu = xt_new();
    cpu->env.cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu->env.cr[4] = CR4_PAE;
    cpu->env.cr[3] = 0x12000;
    xt_w64(0x12000 + 1 * 8, 0x13000 | P);
    xt_w64(0x13000 + 0 * 8, 0x14000 | P | W | U);
    return cpu;
}

TEST(pae_walk_nx_and_2m_pages)
{
    X86CPU *cpu = setup_pae();
    xt_w64(0x14000 + 7 * 8, NX | 0x30000 | P | W | U);
    /* NX is reserved while EFER.NXE = 0 */
    CHECK_EQ(fill(cpu, 0x40007000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD);
    cpu->env.efer |= EFER_NXE;
    CHECK_EQ(fill(cpu, 0x40007010, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x30000);
    CHECK_EQ(fill_prot, PAGE_READ);
    CHECK_EQ(xt_r64(0x14038) & A, A);
    CHECK_EQ(xt_r64(0x13000) & A, A);
    CHECK_EQ(xt_r64(0x12008) & A, 0); /* PAE PDPTEs have no A bit */
    CHECK_EQ(xt_r64(0x14038) >> 63, 1); /* the high dword is untouched */
    CHECK_EQ(fill(cpu, 0x40007010, MMU_INST_FETCH, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_I);
    CHECK_EQ(fill(cpu, 0x40008000, MMU_INST_FETCH, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_U | PF_ERR_I);
    /* NX in a directory entry applies to the pages below it */
    xt_w64(0x14000 + 9 * 8, 0x31000 | P | W | U);
    CHECK_EQ(fill(cpu, 0x40009000, MMU_INST_FETCH, X86_MMU_USER), EXCP_NONE);
    xt_w64(0x13000, NX | 0x14000 | P | W | U);
    CHECK_EQ(fill(cpu, 0x40009000, MMU_INST_FETCH, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_U | PF_ERR_I);
    /* 2 MiB page */
    xt_w64(0x13000 + 1 * 8, 0x00600000 | P | W | PS);
    CHECK_EQ(fill(cpu, 0x402abcde, MMU_DATA_STORE, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x006ab000);
    CHECK_EQ(xt_r64(0x13008) & (A | D), A | D);
    /* reserved: 2M page bits 20:13, physical bits above 39, PDPTE bits 2:1 */
    xt_w64(0x13000 + 1 * 8, 0x00600000 | (1u << 13) | P | W | PS);
    CHECK_EQ(fill(cpu, 0x40200000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD);
    xt_w64(0x14000 + 10 * 8, (1ull << 40) | 0x32000 | P);
    CHECK_EQ(fill(cpu, 0x4000a000, MMU_DATA_STORE, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD | PF_ERR_W | PF_ERR_U);
    xt_w64(0x12000 + 1 * 8, 0x13000 | P | W);
    CHECK_EQ(fill(cpu, 0x40009000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD);
    /* a not-present PDPTE */
    CHECK_EQ(fill(cpu, 0xc0000000, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, 0);
}

TEST(four_level_walk_1g_pages_canonical)
{
    X86CPU *cpu = xt_new();
    X86State *s = &cpu->env;
    s->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    s->cr[4] = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA | EFER_NXE;
    s->cr[3] = 0x20000;
    /* va 0xffff800000403000: PML4 index 256, PDPT 0, PD 2, PT 3 */
    xt_w64(0x20000 + 256 * 8, 0x21000 | P | W);
    xt_w64(0x21000, 0x22000 | P | W);
    xt_w64(0x22000 + 2 * 8, 0x23000 | P | W);
    xt_w64(0x23000 + 3 * 8, 0x2f000 | P | W);
    CHECK_EQ(fill(cpu, 0xffff800000403abcull, MMU_DATA_STORE, X86_MMU_KERNEL), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x2f000);
    CHECK_EQ(xt_r64(0x20800) & A, A);
    CHECK_EQ(xt_r64(0x21000) & A, A);
    CHECK_EQ(xt_r64(0x23018) & (A | D), A | D);
    CHECK_EQ(fill(cpu, 0xffff800000403abcull, MMU_DATA_LOAD, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_U);
    CHECK_EQ(cpu->env.cr[2], 0xffff800000403abcull);
    /* 1 GiB page at PML4 0, PDPT 1 */
    xt_w64(0x20000, 0x24000 | P | W | U);
    xt_w64(0x24000 + 8, 0x80000000ull | P | W | U | PS);
    CHECK_EQ(fill(cpu, 0x40123456, MMU_DATA_LOAD, X86_MMU_USER), EXCP_NONE);
    CHECK_EQ(fill_pa, 0x80123000);
    /* PS in a PML4E is reserved */
    xt_w64(0x20000, 0x24000 | P | W | U | PS);
    CHECK_EQ(fill(cpu, 0x40123456, MMU_DATA_LOAD, X86_MMU_USER), EXCP_PF);
    CHECK_EQ(cpu->env.error_code, PF_ERR_P | PF_ERR_RSVD | PF_ERR_U);
    /* non-canonical: #GP(0), not #PF */
    CHECK_EQ(fill(cpu, 0x0000800000000000ull, MMU_DATA_LOAD, X86_MMU_KERNEL), EXCP_GP);
    CHECK_EQ(cpu->env.error_code, 0);
}

/* A 32-bit load through the softmmu (TLB fast path or walk). */
static uint32_t ld(X86CPU *cpu, uint64_t va)
{
    XT_RUN(cpu, xt_val = softmmu_ld(&cpu->parent, va, IR_MO_32, X86_MMU_KERNEL, 0));
    return xt_exc == EXCP_NONE ? (uint32_t)xt_val : 0xdeadbeef;
}

TEST(tlb_flush_rules)
{
    X86CPU *cpu = setup32();
    X86State *s = &cpu->env;
    s->hflags &= ~HF_CPL_MASK;
    xt_w32(0x30000, 0x11111111);
    xt_w32(0x31000, 0x22222222);
    xt_w32(0x32000, 0x33333333);
    xt_w32(0x11000 + 0 * 4, 0x30000 | P | W | G);
    xt_w32(0x11000 + 1 * 4, 0x30000 | P | W);
    CHECK_EQ(ld(cpu, 0x400000), 0x11111111);
    CHECK_EQ(ld(cpu, 0x401000), 0x11111111);
    /* the guest edits its tables: cached until flushed */
    xt_w32(0x11000 + 0 * 4, 0x31000 | P | W | G);
    xt_w32(0x11000 + 1 * 4, 0x31000 | P | W);
    CHECK_EQ(ld(cpu, 0x400000), 0x11111111);
    /* INVLPG flushes one page */
    XT_RUN(cpu, x86_invlpg(cpu, 0x401000));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(ld(cpu, 0x401000), 0x22222222);
    CHECK_EQ(ld(cpu, 0x400000), 0x11111111);
    /* a CR3 write flushes (pemu drops global entries too) */
    XT_RUN(cpu, x86_write_cr(cpu, 3, 0x10000));
    CHECK_EQ(ld(cpu, 0x400000), 0x22222222);
    /* CR4.PGE toggles flush everything */
    xt_w32(0x11000, 0x32000 | P | W | G);
    XT_RUN(cpu, x86_write_cr(cpu, 4, CR4_PGE));
    CHECK_EQ(ld(cpu, 0x400000), 0x33333333);
    /* CR0.WP changes what the kernel index may write: flushed */
    xt_w32(0x11000, 0x30000 | P | G);
    XT_RUN(cpu, x86_invlpg(cpu, 0x400000));
    XT_RUN(cpu, softmmu_st(&cpu->parent, 0x400000, 5, IR_MO_32, X86_MMU_KERNEL, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(xt_r32(0x30000), 5);
    XT_RUN(cpu, x86_write_cr(cpu, 0, s->cr[0] | CR0_WP));
    XT_RUN(cpu, softmmu_st(&cpu->parent, 0x400000, 6, IR_MO_32, X86_MMU_KERNEL, 0));
    CHECK_EQ(xt_exc, EXCP_PF);
    CHECK_EQ(xt_r32(0x30000), 5);
    /* after a large page was cached, INVLPG drops everything */
    s->cr[4] |= CR4_PSE;
    xt_w32(0x10000 + 2 * 4, 0x00000000 | P | W | PS);
    CHECK_EQ(ld(cpu, 0x800000 + 0x31000), 0x22222222);
    CHECK_EQ(s->tlb_large, 1);
    xt_w32(0x11000 + 1 * 4, 0x32000 | P | W);
    XT_RUN(cpu, x86_invlpg(cpu, 0x900000));
    CHECK_EQ(s->tlb_large, 0);
    CHECK_EQ(ld(cpu, 0x401000), 0x33333333);
    /* ... but INVLPG outside the range of the large pages drops one page */
    CHECK_EQ(ld(cpu, 0x800000 + 0x31000), 0x22222222);
    CHECK_EQ(s->tlb_large, 1);
    xt_w32(0x11000 + 1 * 4, 0x31000 | P | W);
    XT_RUN(cpu, x86_invlpg(cpu, 0x402000));
    CHECK_EQ(s->tlb_large, 1);
    CHECK_EQ(ld(cpu, 0x401000), 0x33333333);     /* still cached */
    XT_RUN(cpu, x86_invlpg(cpu, 0x401000));
    CHECK_EQ(ld(cpu, 0x401000), 0x22222222);
    /* a second large page widens the range to cover both (0x800000-0xffffff) */
    xt_w32(0x10000 + 3 * 4, 0x00000000 | P | W | PS);
    CHECK_EQ(ld(cpu, 0xc00000 + 0x31000), 0x22222222);
    xt_w32(0x11000 + 1 * 4, 0x32000 | P | W);
    XT_RUN(cpu, x86_invlpg(cpu, 0xa00000));     /* between them: everything */
    CHECK_EQ(s->tlb_large, 0);
    CHECK_EQ(ld(cpu, 0x401000), 0x33333333);
    /* INVLPG is privileged */
    s->hflags |= 3;
    XT_RUN(cpu, x86_invlpg(cpu, 0x400000));
    CHECK_EQ(xt_exc, EXCP_GP);
}

TEST(dirty_bit_set_by_first_write_after_read)
{
    X86CPU *cpu = setup32();
    xt_w32(0x11000 + 4 * 4, 0x34000 | P | W);
    CHECK_EQ(ld(cpu, 0x404000), 0);
    CHECK_EQ(xt_r32(0x11010) & (A | D), A);
    /* the read cached the page read-only: the write walks and sets D */
    XT_RUN(cpu, softmmu_st(&cpu->parent, 0x404008, 0x77, IR_MO_32, X86_MMU_KERNEL, 0));
    CHECK_EQ(xt_exc, EXCP_NONE);
    CHECK_EQ(xt_r32(0x11010) & (A | D), A | D);
    CHECK_EQ(xt_r32(0x34008), 0x77);
}
