/*
 * Softmmu with the synthetic target: TLB caching and flushes (all, page,
 * mmu index), page-crossing loads and stores (including a fault on the
 * second page with no partial store), MMIO and ROM through the slow path,
 * code-page write protection, watchpoint flags. Both dispatch skins.
 */
#include "unit.h"
#include "test_tb_target.h"

#define FOR_EACH_SKIN(s)                                                     \
    InterpDispatch skins_[2];                                                \
    int nskins_ = syn_skins(skins_);                                         \
    for (int si_ = 0; si_ < nskins_ && (interp_set_dispatch(skins_[si_]), 1) && \
                      ((s) = syn_new()) != NULL; si_++, syn_free(s))

enum { ADDI = 1, ADD, LD, ST, JNZ, JR, RAISE, HLT, MOVI, SPIN, STB, LDX };

static int run(SynCPU *s, uint64_t pc)
{
    s->pc = pc;
    for (int i = 0; i < 100; i++) {
        int r = cpu_exec(&s->cpu);
        if (r != EXCP_INTERRUPT) {
            s->cpu.halted = 0;
            return r;
        }
    }
    return -1;
}

static void map(SynCPU *s, uint64_t vaddr, uint64_t paddr, unsigned prot)
{
    s->pt[vaddr >> TARGET_PAGE_BITS] = paddr ? (paddr | prot) : 0;
}

TEST(tlb_caches_until_flushed)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        st32_le(syn_ram + 0x3000, 0x11111111);
        st32_le(syn_ram + 0x4000, 0x22222222);
        map(s, 0x10000, 0x3000, 7);
        syn_put(0x1000, LD, 1, 2, 0);
        syn_put(0x1004, LDX, 3, 2, 0); /* same address, mmu index 1, i32 address */
        syn_put(0x1008, HLT, 0, 0, 0);
        s->r[2] = 0x10000;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x11111111);
        CHECK_EQ(s->r[3], 0x11111111);
        uint64_t fills = s->cpu.stats.tlb_fills;

        map(s, 0x10000, 0x4000, 7); /* the guest changes its page table ... */
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x11111111); /* ... the TLB still has the old page */
        CHECK_EQ(s->cpu.stats.tlb_fills, fills);

        softmmu_flush_page(&s->cpu, 0x11000); /* another page: no effect */
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x11111111);

        softmmu_flush_mmuidx(&s->cpu, 1u << 1); /* only mmu index 1 */
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x11111111);
        CHECK_EQ(s->r[3], 0x22222222);

        softmmu_flush_page(&s->cpu, 0x10abc); /* the page, every mmu index */
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x22222222);

        map(s, 0x10000, 0x3000, 7);
        softmmu_flush_all(&s->cpu);
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x11111111);
        CHECK_EQ(s->r[3], 0x11111111);
        CHECK(s->cpu.stats.tlb_fills > fills);
        /* the i32 address ignores the high half of r2 */
        s->r[2] = 0x7700010000ull;
        map(s, 0x10000, 0x4000, 7);
        softmmu_flush_all(&s->cpu);
        syn_put(0x1000, ADDI, 0, 0, 0); /* drop the 64-bit load */
        softmmu_notify_phys_write(0x1000, 4);
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[3], 0x22222222);
    }
}

/* Blocks built directly in IR: 16/32/64-bit loads and stores at any address. */
static TranslationBlock ir_tb;
static BCWord ir_code[4096];

static bool ldst_block(SynCPU *s, unsigned mo_ld, unsigned mo_st)
{
    IRFunc *f = &s->f;
    ir_func_reset(f);
    ir_insn_start(f, 0x10, 0);
    ir_qemu_ld(f, IR_I64, s->g_r[1], s->g_r[2], mo_ld, 0);
    ir_insn_start(f, 0x14, 0);
    ir_qemu_st(f, IR_I64, s->g_r[3], s->g_r[4], mo_st, 0);
    ir_exit_tb(f, BACKEND_EXIT_NOCHAIN);
    memset(&ir_tb, 0, sizeof(ir_tb));
    return interp_lower(f, &ir_tb, (uint8_t *)ir_code, sizeof(ir_code)) > 0;
}

TEST(page_crossing_loads_and_stores)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        /* two virtual pages backed by physical pages in the opposite order */
        map(s, 0x20000, 0x5000, 7);
        map(s, 0x21000, 0x3000, 7);
        for (int sz = 1; sz <= 3; sz++) {
            unsigned size = 1u << sz;
            for (unsigned off = 1; off < size; off++) {
                uint64_t va = 0x21000 - off;
                for (unsigned i = 0; i < 8; i++) {
                    syn_ram[0x5ff8 + i] = (uint8_t)(0x10 + i);
                    syn_ram[0x3000 + i] = (uint8_t)(0x80 + i);
                }
                CHECK(ldst_block(s, (unsigned)sz | IR_MO_SIGN, (unsigned)sz));
                s->r[2] = va;
                s->r[3] = 0xf1e2d3c4b5a69788ull;
                s->r[4] = va;
                uintptr_t ret;
                /* expected load: bytes va.. from the two physical pages, sign-extended */
                uint64_t want = 0;
                for (unsigned i = 0; i < size; i++) {
                    unsigned b = i < off ? syn_ram[0x6000 - off + i] : syn_ram[0x3000 + i - off];
                    want |= (uint64_t)b << (8 * i);
                }
                if (size < 8 && (want >> (8 * size - 1)) & 1)
                    want |= ~0ull << (8 * size);
                CHECK_EQ(syn_exec_tb(s, &ir_tb, &ret), 0);
                CHECK_EQ(s->r[1], want);
                for (unsigned i = 0; i < size; i++) {
                    uint8_t got = i < off ? syn_ram[0x6000 - off + i] : syn_ram[0x3000 + i - off];
                    CHECK_EQ(got, (uint8_t)(s->r[3] >> (8 * i)));
                }
                CHECK_EQ(syn_ram[0x3000 + size - off], (uint8_t)(0x80 + size - off));
            }
        }
        CHECK(s->cpu.stats.slow_ld >= 6 && s->cpu.stats.slow_st >= 6);
    }
}

TEST(crossing_store_faulting_on_second_page_writes_nothing)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        map(s, 0x22000, 0x6000, 7);
        map(s, 0x23000, 0, 0);
        memset(syn_ram + 0x6ff0, 0x5a, 16);
        syn_put(0x1000, ST, 1, 2, 0);
        syn_put(0x1004, HLT, 0, 0, 0);
        s->r[1] = 0xdeadbeef;
        s->r[2] = 0x22ffe;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->excp_seen[SYN_EXCP_PF], 1);
        CHECK_EQ(s->fault_addr, 0x23000); /* the first byte in the missing page (x86 CR2) */
        CHECK_EQ(s->restored_data, ST);
        CHECK_EQ(syn_ram[0x6ffe], 0x5a);
        CHECK_EQ(syn_ram[0x6fff], 0x5a);
        /* the same for a load: fault, r1 untouched */
        syn_put(0x1000, LD, 1, 2, 0);
        softmmu_notify_phys_write(0x1000, 4);
        s->r[1] = 7;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->excp_seen[SYN_EXCP_PF], 2);
        CHECK_EQ(s->r[1], 7);
        /* a read-only page: loads work, stores fault */
        map(s, 0x24000, 0x7000, PAGE_READ | PAGE_EXEC);
        st32_le(syn_ram + 0x7010, 0x600dc0de);
        syn_put(0x1000, LD, 1, 2, 0);
        syn_put(0x1004, ST, 1, 2, 0);
        syn_put(0x1008, HLT, 0, 0, 0);
        softmmu_notify_phys_write(0x1000, 12);
        s->r[2] = 0x24010;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(s->r[1], 0x600dc0de);
        CHECK_EQ(s->excp_seen[SYN_EXCP_PF], 3);
        CHECK_EQ(s->fault_addr, 0x24010);
    }
}

TEST(mmio_and_rom_go_through_the_slow_path)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        syn_mmio_regs[2] = 0x1234567890abcdefull;
        syn_put(0x1000, LD, 1, 2, 0);   /* MMIO read */
        syn_put(0x1004, ST, 3, 2, 8);   /* MMIO write to the next register */
        syn_put(0x1008, LD, 4, 5, 0);   /* ROM read */
        syn_put(0x100c, ST, 3, 5, 0);   /* ROM write: to the I/O path */
        syn_put(0x1010, HLT, 0, 0, 0);
        s->r[2] = SYN_MMIO_BASE + 16;
        s->r[3] = 0xcafef00d;
        s->r[5] = SYN_ROM_BASE + 8;
        for (int round = 1; round <= 3; round++) {
            CHECK_EQ(run(s, 0x1000), EXCP_HLT);
            CHECK_EQ(s->r[1], 0x90abcdef);
            CHECK_EQ(syn_mmio_regs[3], 0xcafef00d);
            CHECK_EQ(s->r[4], 0xa5a5a5a5);
            CHECK_EQ(syn_rom[8], 0xa5);
            /* every access, every time: the fast path never takes MMIO */
            CHECK_EQ(syn_mmio_reads, round);
            CHECK_EQ(syn_mmio_writes, 2 * round);
            CHECK_EQ(syn_mmio_last_size, 4);
        }
        /* 64-bit MMIO access is one device access of size 8 */
        CHECK(ldst_block(s, IR_MO_64, IR_MO_64));
        s->r[2] = SYN_MMIO_BASE + 16;
        s->r[4] = SYN_MMIO_BASE + 32;
        s->r[3] = 0x1122334455667788ull;
        uintptr_t ret;
        CHECK_EQ(syn_exec_tb(s, &ir_tb, &ret), 0);
        CHECK_EQ(s->r[1], 0x1234567890abcdefull);
        CHECK_EQ(syn_mmio_regs[4], 0x1122334455667788ull);
        CHECK_EQ(syn_mmio_last_size, 8);
    }
}

TEST(code_pages_are_write_protected)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        /* 1. a store fills the write TLB for page 0x9000 before any code is there */
        syn_put(0x1000, ST, 1, 2, 0);
        syn_put(0x1004, HLT, 0, 0, 0);
        s->r[1] = ADDI | 0 << 8 | 5u << 24; /* ADDI r0, 5 */
        s->r[2] = 0x9000;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        const CPUTLBEntry *e = &s->cpu.tlb[0][(0x9000 >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1)];
        CHECK_EQ(e->addr_write, 0x9000); /* plain RAM: fast path */
        /* 2. code is translated on that page: its write entry gets TLB_CODE */
        syn_put(0x9004, HLT, 0, 0, 0);
        CHECK_EQ(run(s, 0x9000), EXCP_HLT);
        CHECK_EQ(s->r[0], 5);
        CHECK(tb_page_has_code(0x9000));
        CHECK(e->addr_write & TLB_CODE);
        /* 3. the guest overwrites the instruction: the block is invalidated */
        s->r[1] = ADDI | 0 << 8 | 9u << 24;
        uint64_t inv = tb_stats.invalidated;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        CHECK_EQ(tb_stats.invalidated, inv + 1);
        /* the page lost its only block: writes are fast again */
        CHECK(!tb_page_has_code(0x9000));
        CHECK_EQ(e->addr_write, 0x9000);
        s->r[0] = 0;
        CHECK_EQ(run(s, 0x9000), EXCP_HLT);
        CHECK_EQ(s->r[0], 9);
        /* byte stores into code are caught too */
        syn_put(0x1000, STB, 1, 2, 3);
        softmmu_notify_phys_write(0x1000, 4);
        s->r[1] = 1;
        CHECK_EQ(run(s, 0x1000), EXCP_HLT);
        s->r[0] = 0;
        CHECK_EQ(run(s, 0x9000), EXCP_HLT);
        CHECK_EQ(s->r[0], 1);
    }
}

/* A watchpoint (src/cpu_debug.c) sends its whole page to the slow path;
 * only the access that overlaps it stops the CPU. */
TEST(watchpoint_pages_take_the_slow_path)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        cpu_debug_remove_all();
        syn_put(0x1000, ST, 1, 2, 0);
        syn_put(0x1004, ST, 1, 2, 4);
        syn_put(0x1008, LD, 3, 2, 0);
        syn_put(0x100c, HLT, 0, 0, 0);
        s->r[1] = 77;
        s->r[2] = 0xa040;
        CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0xa040, 4), 0);
        CHECK_EQ(run(s, 0x1000), EXCP_DEBUG);
        CHECK_EQ(s->cpu.debug_stop.addr, 0xa040);
        CHECK_EQ(s->pc, 0x1004);
        CHECK_EQ(cpu_exec(&s->cpu), EXCP_HLT);
        CHECK_EQ(s->r[3], 77);
        CHECK_EQ(ld32_le(syn_ram + 0xa044), 77);
        CHECK(s->cpu.stats.slow_ld >= 1 && s->cpu.stats.slow_st >= 2);
        cpu_debug_remove_all();
    }
}
