/*
 * The TB cache and the CPU loop with the synthetic target (test_tb_target.h):
 * chaining, invalidation of chained blocks, the jump cache and goto_lookup,
 * precise exceptions from helpers and the softmmu, exit requests stopping
 * chains and internal loops, code-buffer flushes. Every test runs on both
 * dispatch skins.
 */
#include "unit.h"
#include "test_tb_target.h"
#include "src/log.h"

#define FOR_EACH_SKIN(s)                                                     \
    InterpDispatch skins_[2];                                                \
    int nskins_ = syn_skins(skins_);                                         \
    for (int si_ = 0; si_ < nskins_ && (interp_set_dispatch(skins_[si_]), 1) && \
                      ((s) = syn_new()) != NULL; si_++, syn_free(s))

enum { ADDI = 1, ADD, LD, ST, JNZ, JR, RAISE, HLT, MOVI, SPIN, STB, LDX };

static int run_to_hlt(SynCPU *s)
{
    for (int i = 0; i < 1000; i++) {
        int r = cpu_exec(&s->cpu);
        if (r == EXCP_HLT) {
            s->cpu.halted = 0;
            return r;
        }
        if (r != EXCP_INTERRUPT)
            return r;
    }
    return -1;
}

/* A counted loop chains to itself: it runs in the interpreter, not in the loop. */
TEST(chaining_keeps_loops_inside)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        syn_put(0x1000, ADDI, 0, 0, 1);
        syn_put(0x1004, ADDI, 1, 0, -1);
        syn_put(0x1008, JNZ, 1, 0, -2);
        syn_put(0x100c, HLT, 0, 0, 0);
        s->pc = 0x1000;
        s->r[1] = 1000;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 1000);
        CHECK_EQ(s->pc, 0x1010);
        CHECK(tb_stats.links >= 2);
        /* loop block entered once unlinked, then chained: a handful of loop trips */
        CHECK(s->cpu.stats.tb_exec < 8);
        CHECK_EQ(s->translations, 2);

        /* -d nochain: every block comes back to the loop */
        log_set_mask(LOG_NOCHAIN);
        tb_flush();
        s->pc = 0x1000;
        s->r[0] = 0;
        s->r[1] = 50;
        uint64_t before = s->cpu.stats.tb_exec;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        log_set_mask(0);
        CHECK_EQ(s->r[0], 50);
        CHECK(s->cpu.stats.tb_exec - before >= 50);
    }
}

/* A: r1--, if r1 goto B else hlt;  B: r0 += k, goto A (chained both ways). */
static void put_ab(int k)
{
    syn_put(0x1000, ADDI, 1, 0, -1);
    syn_put(0x1004, JNZ, 1, 0, 63); /* -> 0x1100 */
    syn_put(0x1008, HLT, 0, 0, 0);
    syn_put(0x1100, ADDI, 0, 0, k);
    syn_put(0x1104, JNZ, 2, 0, -65); /* -> 0x1000 */
}

static TranslationBlock *find_tb(uint64_t pc)
{
    return tb_lookup(pc, pc, 0, 0); /* identity-mapped */
}

TEST(invalidating_a_chained_block_unlinks_it)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        put_ab(1);
        s->pc = 0x1000;
        s->r[1] = 10;
        s->r[2] = 1;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 9);
        TranslationBlock *a = find_tb(0x1000), *b = find_tb(0x1100);
        CHECK(a && b);
        CHECK(a->jmp_dest[0] == b); /* A -> B linked */
        CHECK(b->jmp_dest[0] == a); /* B -> A linked */

        /* DMA-style write into B: B goes away, A's link to it is undone */
        syn_put(0x1100, ADDI, 0, 0, 2);
        softmmu_notify_phys_write(0x1100, 4);
        CHECK(b->cflags & TB_CF_INVALID);
        CHECK(a->jmp_dest[0] == NULL);
        CHECK(a->jmp_slot[0] && *(BCWord *)a->jmp_slot[0] == a->jmp_reset[0]);
        CHECK(find_tb(0x1100) == NULL);
        CHECK(!(a->cflags & TB_CF_INVALID));
        CHECK_EQ(tb_stats.invalidated, 1);

        s->pc = 0x1000;
        s->r[0] = 0;
        s->r[1] = 10;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 18); /* the new code ran */
        TranslationBlock *b2 = find_tb(0x1100);
        CHECK(b2 && b2 != b && a->jmp_dest[0] == b2);
    }
}

/* A guest store into translated code (self-modifying code) goes through the
 * slow path and invalidates the block that holds the bytes. */
TEST(guest_write_to_code_page_invalidates)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        put_ab(1);
        s->pc = 0x1000;
        s->r[1] = 5;
        s->r[2] = 1;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 4);
        TranslationBlock *b = find_tb(0x1100);
        CHECK(b);
        /* C on another page: store a new instruction word into B, then run A/B */
        syn_put(0x2000, ST, 3, 4, 0);
        syn_put(0x2004, JR, 5, 0, 0);
        s->r[3] = ADDI | 0 << 8 | 0 << 16 | 7u << 24; /* ADDI r0, 7 */
        s->r[4] = 0x1100;
        s->r[5] = 0x1000;
        s->r[0] = 0;
        s->r[1] = 3;
        s->pc = 0x2000;
        uint64_t slow_before = s->cpu.stats.slow_st;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK(b->cflags & TB_CF_INVALID);
        CHECK(s->cpu.stats.slow_st > slow_before);
        CHECK_EQ(ld32_le(syn_ram + 0x1100), (uint32_t)s->r[3]);
        CHECK_EQ(s->r[0], 14); /* two trips through the new B */

        /* a store to a code page that does not touch code invalidates nothing */
        uint64_t inv = tb_stats.invalidated;
        syn_put(0x2000, ST, 3, 4, 0);
        s->r[4] = 0x1800; /* same page as A and B, no code there */
        s->r[5] = 0x1008; /* then hlt */
        s->pc = 0x2000;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(tb_stats.invalidated, inv);
        CHECK(!(find_tb(0x1100)->cflags & TB_CF_INVALID));
    }
}

/* Indirect jumps find their target through the jump cache without leaving. */
TEST(goto_lookup_and_jump_cache)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        syn_put(0x3000, ADDI, 1, 0, -1);
        syn_put(0x3004, JNZ, 1, 0, 2); /* -> 0x300c */
        syn_put(0x3008, HLT, 0, 0, 0);
        syn_put(0x300c, ADDI, 0, 0, 3);
        syn_put(0x3010, JR, 5, 0, 0);
        s->pc = 0x3000;
        s->r[1] = 100;
        s->r[5] = 0x3000;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 99 * 3);
        CHECK(s->cpu.stats.lookup_hits >= 97);
        CHECK(s->cpu.stats.tb_exec < 10);
        /* the jump cache holds the blocks by virtual pc */
        int found = 0;
        for (unsigned i = 0; i < CPU_JMP_CACHE_SIZE; i++)
            if (s->cpu.jmp_cache[i] && s->cpu.jmp_cache[i]->pc == 0x3000)
                found++;
        CHECK_EQ(found, 1);
        /* a TLB flush empties it (the virtual -> physical mapping may change) */
        softmmu_flush_all(&s->cpu);
        for (unsigned i = 0; i < CPU_JMP_CACHE_SIZE; i++)
            CHECK(s->cpu.jmp_cache[i] == NULL);
        /* flushing one page drops only that page's entries */
        s->pc = 0x3000;
        s->r[1] = 3;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        int n = 0;
        for (unsigned i = 0; i < CPU_JMP_CACHE_SIZE; i++)
            n += s->cpu.jmp_cache[i] != NULL;
        CHECK(n >= 1); /* A at least; B and hlt are reached through links */
        softmmu_flush_page(&s->cpu, 0x5000);
        int n2 = 0;
        for (unsigned i = 0; i < CPU_JMP_CACHE_SIZE; i++)
            n2 += s->cpu.jmp_cache[i] != NULL;
        CHECK_EQ(n2, n);
        softmmu_flush_page(&s->cpu, 0x3000);
        for (unsigned i = 0; i < CPU_JMP_CACHE_SIZE; i++)
            CHECK(s->cpu.jmp_cache[i] == NULL);

        /* an indirect jump to code not yet translated leaves to the loop */
        syn_put(0x3100, ADDI, 0, 0, 1);
        syn_put(0x3104, HLT, 0, 0, 0);
        syn_put(0x3010, JR, 6, 0, 0);
        softmmu_notify_phys_write(0x3010, 4);
        s->r[6] = 0x3100;
        s->r[0] = 0;
        s->r[1] = 2;
        s->pc = 0x3000;
        uint64_t misses = s->cpu.stats.lookup_misses;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 4);
        CHECK(s->cpu.stats.lookup_misses > misses);
    }
}

/* A helper raising in the middle of a block: pc and data restored from the
 * side table; instructions before it keep their effects. */
TEST(precise_exception_from_helper)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        syn_put(0x4000, ADDI, 0, 0, 1);
        syn_put(0x4004, ADDI, 1, 0, 2);
        syn_put(0x4008, RAISE, 0, 0, 5);
        syn_put(0x400c, ADDI, 0, 0, 1);
        syn_put(0x4010, HLT, 0, 0, 0);
        s->pc = 0x4000;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->excp_seen[5], 1);
        CHECK_EQ(s->restores, 1);
        CHECK_EQ(s->restored_data, RAISE);
        CHECK_EQ(s->r[0], 2);
        CHECK_EQ(s->r[1], 2);
        CHECK_EQ(s->pc, 0x4014);
        CHECK_EQ(s->cpu.stats.exceptions, 1);
        /* the backend's own view: the host position inside the block maps back */
        TranslationBlock *tb = find_tb(0x4000);
        CHECK(tb);
        uint64_t data[2];
        CHECK_EQ(interp_restore_state(tb, (uintptr_t)tb->code, data), 0);
        CHECK_EQ(data[0], 0x4000);
        CHECK_EQ(data[1], ADDI);
        CHECK(tb_find_by_host_pc((uintptr_t)tb->code + 8) == tb);
    }
}

/* A page fault from the softmmu slow path in the middle of a block. */
TEST(precise_exception_from_page_fault)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        syn_put(0x5000, ADDI, 0, 0, 1);
        syn_put(0x5004, ADDI, 2, 0, 8);
        syn_put(0x5008, LD, 1, 2, 0);
        syn_put(0x500c, ADDI, 0, 0, 1);
        syn_put(0x5010, HLT, 0, 0, 0);
        s->pc = 0x5000;
        s->r[2] = 0x300000; /* not mapped */
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->excp_seen[SYN_EXCP_PF], 1);
        CHECK_EQ(s->fault_addr, 0x300008);
        CHECK_EQ(s->restored_data, LD);
        CHECK_EQ(s->r[0], 2);
        CHECK_EQ(s->r[2], 0x300008); /* not re-executed */
        CHECK_EQ(s->pc, 0x5014);
    }
}

/* io_write that requests an exit after N writes (an "interrupt"). */
static int exit_after;
static CPUState *exit_cpu;
static void exit_io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    syn_io_write(opaque, paddr, val, size);
    if (syn_mmio_writes == exit_after)
        cpu_exit(exit_cpu);
}

TEST(exit_request_stops_a_chain)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        SoftmmuPhys phys = syn_phys;
        phys.io_write = exit_io_write;
        s->cpu.phys = &phys;
        exit_cpu = &s->cpu;
        exit_after = 100;
        /* endless chained loop writing r0 to the MMIO device */
        syn_put(0x6000, ADDI, 0, 0, 1);
        syn_put(0x6004, ST, 0, 6, 0);
        syn_put(0x6008, JNZ, 2, 0, -2);
        s->r[2] = 1;
        s->r[6] = SYN_MMIO_BASE;
        s->pc = 0x6000;
        CHECK_EQ(cpu_exec(&s->cpu), EXCP_INTERRUPT);
        CHECK_EQ(s->r[0], 100);
        CHECK_EQ(syn_mmio_writes, 100);
        CHECK_EQ(syn_mmio_last_val, 100);
        CHECK_EQ(syn_mmio_last_size, 4);
        CHECK_EQ(s->pc, 0x6000); /* the next block's pc, stored on the exit path */
        CHECK_EQ(s->cpu.exit_request, 0);
        /* and it resumes */
        exit_after = 150;
        CHECK_EQ(cpu_exec(&s->cpu), EXCP_INTERRUPT);
        CHECK_EQ(s->r[0], 150);

        /* cpu_interrupt: the target sees the request at the next block */
        s->cpu.interrupt_request = 0;
        cpu_interrupt(&s->cpu, CPU_INTERRUPT_HARD);
        CHECK_EQ(cpu_exec(&s->cpu), EXCP_INTERRUPT);
        CHECK_EQ(s->r[0], 150);
        cpu_reset_interrupt(&s->cpu, CPU_INTERRUPT_HARD);
        CHECK_EQ(s->cpu.interrupt_request, 0);
    }
}

/* A loop inside one block (backward branch) checks the exit flag too; the
 * state is restored to the instruction that was running. */
TEST(exit_request_stops_an_internal_loop)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        SoftmmuPhys phys = syn_phys;
        phys.io_write = exit_io_write;
        s->cpu.phys = &phys;
        exit_cpu = &s->cpu;
        exit_after = 1;
        syn_put(0x7000, ST, 0, 6, 0);
        syn_put(0x7004, SPIN, 3, 0, 0);
        syn_put(0x7008, ADDI, 0, 0, 1);
        syn_put(0x700c, HLT, 0, 0, 0);
        s->r[3] = 200000;
        s->r[6] = SYN_MMIO_BASE;
        s->pc = 0x7000;
        CHECK_EQ(cpu_exec(&s->cpu), EXCP_INTERRUPT);
        CHECK_EQ(s->pc, 0x7004);
        CHECK_EQ(s->restored_data, SPIN);
        CHECK_EQ(s->r[0], 0);
        CHECK(s->r[3] > 0);
        /* resuming re-runs SPIN with the remaining count */
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[3], 0);
        CHECK_EQ(s->r[0], 1);
    }
}

/* A small code buffer fills up and is flushed; execution stays correct. */
TEST(code_buffer_flush_when_full)
{
    SynCPU *s;
    FOR_EACH_SKIN(s) {
        tb_init(64 * 1024);
        for (uint64_t a = 0x8000; a < 0xc000; a += 4)
            syn_put(a, ADDI, 0, 0, 1);
        syn_put(0xc000, HLT, 0, 0, 0);
        s->pc = 0x8000;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 0x1000);
        CHECK(tb_stats.flushes >= 1);
        /* and again from a flushed cache */
        s->pc = 0x8000;
        s->r[0] = 0;
        CHECK_EQ(run_to_hlt(s), EXCP_HLT);
        CHECK_EQ(s->r[0], 0x1000);
        char *buf = NULL;
        size_t len = 0;
        FILE *mf = open_memstream(&buf, &len);
        tb_print_stats(mf);
        fclose(mf);
        CHECK(strstr(buf, "flushes") != NULL);
        CHECK(strstr(buf, "TBs translated") != NULL);
        free(buf);
    }
}

/* Blocks lowered for one skin are never chained into the other's. */
TEST(skins_are_not_mixed_in_chains)
{
    if (!interp_dispatch_available(INTERP_DISPATCH_GOTO))
        SKIP("this build has only the switch skin");
    interp_set_dispatch(INTERP_DISPATCH_GOTO);
    SynCPU *s = syn_new();
    put_ab(1);
    s->pc = 0x1000;
    s->r[1] = 3;
    s->r[2] = 1;
    CHECK_EQ(run_to_hlt(s), EXCP_HLT);
    TranslationBlock *a = find_tb(0x1000), *b = find_tb(0x1100);
    CHECK(a && b && a->jmp_dest[0] == b);
    /* retranslate B with the switch skin: A must not link to it */
    interp_set_dispatch(INTERP_DISPATCH_SWITCH);
    softmmu_notify_phys_write(0x1100, 4);
    s->pc = 0x1000;
    s->r[0] = 0;
    s->r[1] = 5;
    CHECK_EQ(run_to_hlt(s), EXCP_HLT);
    CHECK_EQ(s->r[0], 4);
    b = find_tb(0x1100);
    CHECK(b && !(b->cflags & TB_CF_DISPATCH));
    CHECK(a->jmp_dest[0] == NULL);
    syn_free(s);
}
