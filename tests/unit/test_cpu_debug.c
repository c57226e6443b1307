/* src/cpu_debug.c and the CPU loop's debugger stops: breakpoints inside
 * cached and chained blocks, single step (jumps, exceptions, masked
 * interrupts, hlt), watchpoints through the softmmu, debugger memory. */
#include "unit.h"
#include "test_tb_target.h"

enum { ADDI = 1, LD = 3, ST = 4, JNZ = 5, JR = 6, RAISE = 7, HLT = 8, MOVI = 9 };

static SynCPU *setup(void)
{
    cpu_debug_remove_all();
    return syn_new();
}

static void done(SynCPU *s)
{
    cpu_debug_remove_all();
    syn_free(s);
}

/* Run until something other than a slice end. */
static int run(SynCPU *s)
{
    int r;
    while ((r = cpu_exec(&s->cpu)) == EXCP_INTERRUPT)
        ;
    return r;
}

static void straight_line(void)
{
    syn_put(0x1000, MOVI, 0, 0, 1);
    syn_put(0x1004, ADDI, 0, 0, 1);
    syn_put(0x1008, ADDI, 0, 0, 1);
    syn_put(0x100c, ADDI, 0, 0, 1);
    syn_put(0x1010, HLT, 0, 0, 0);
}

TEST(breakpoint_inside_a_cached_block)
{
    SynCPU *s = setup();
    straight_line();
    s->pc = 0x1000;
    CHECK_EQ(run(s), EXCP_HLT); /* one block of five, now cached */
    CHECK_EQ(s->r[0], 4);
    s->cpu.halted = 0;
    s->pc = 0x1000;
    CHECK_EQ(cpu_debug_insert(CPU_BP_SW, 0x1008, 1), 0);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->pc, 0x1008);
    CHECK_EQ(s->r[0], 2);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_BP_SW);
    CHECK_EQ(s->cpu.debug_stop.addr, 0x1008);
    /* still there: the loop stops again before running it */
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->r[0], 2);
    CHECK_EQ(cpu_debug_remove(CPU_BP_SW, 0x1008, 1), 0);
    CHECK_EQ(cpu_debug_remove(CPU_BP_SW, 0x1008, 1), -1);
    CHECK_EQ(run(s), EXCP_HLT);
    CHECK_EQ(s->r[0], 4);
    done(s);
}

TEST(hardware_breakpoint_reports_its_kind)
{
    SynCPU *s = setup();
    straight_line();
    s->pc = 0x1000;
    CHECK_EQ(cpu_debug_insert(CPU_BP_HW, 0x100c, 1), 0);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->pc, 0x100c);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_BP_HW);
    done(s);
}

TEST(breakpoint_in_a_chained_loop_stops_every_iteration)
{
    SynCPU *s = setup();
    syn_put(0x2000, MOVI, 1, 0, 5);
    syn_put(0x2004, ADDI, 0, 0, 1);
    syn_put(0x2008, ADDI, 1, 0, -1);
    syn_put(0x200c, JNZ, 1, 0, -2);
    syn_put(0x2010, HLT, 0, 0, 0);
    s->pc = 0x2000;
    CHECK_EQ(run(s), EXCP_HLT); /* links the loop's chain */
    CHECK_EQ(s->r[0], 5);
    s->cpu.halted = 0;
    s->pc = 0x2000;
    s->r[0] = 0;
    CHECK_EQ(cpu_debug_insert(CPU_BP_SW, 0x2004, 1), 0);
    int stops = 0;
    int r;
    while ((r = run(s)) == EXCP_DEBUG) {
        CHECK_EQ(s->pc, 0x2004);
        CHECK_EQ(s->r[0], (uint64_t)stops);
        stops++;
        /* what gdb does: remove, step over, insert again */
        cpu_debug_remove(CPU_BP_SW, 0x2004, 1);
        s->cpu.debug_flags |= CPU_DEBUG_SSTEP;
        CHECK_EQ(run(s), EXCP_DEBUG);
        CHECK_EQ(s->cpu.debug_stop.kind, CPU_DEBUG_STEP);
        CHECK_EQ(s->pc, 0x2008);
        s->cpu.debug_flags &= ~(uint32_t)CPU_DEBUG_SSTEP;
        cpu_debug_insert(CPU_BP_SW, 0x2004, 1);
        if (stops > 10)
            break;
    }
    CHECK_EQ(r, EXCP_HLT);
    CHECK_EQ(stops, 5);
    CHECK_EQ(s->r[0], 5);
    done(s);
}

TEST(single_step_through_an_indirect_jump)
{
    SynCPU *s = setup();
    syn_put(0x40, MOVI, 2, 0, 0x60);
    syn_put(0x44, JR, 2, 0, 0);
    syn_put(0x60, ADDI, 0, 0, 1);
    syn_put(0x64, ADDI, 0, 0, 1);
    syn_put(0x68, HLT, 0, 0, 0);
    s->pc = 0x40;
    CHECK_EQ(run(s), EXCP_HLT); /* the target block is in the jump cache now */
    s->cpu.halted = 0;
    s->pc = 0x40;
    s->r[0] = 0;
    s->cpu.debug_flags |= CPU_DEBUG_SSTEP;
    static const uint64_t want[] = { 0x44, 0x60, 0x64, 0x68, 0x6c };
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(run(s), EXCP_DEBUG);
        CHECK_EQ(s->pc, want[i]);
        CHECK_EQ(s->cpu.debug_stop.kind, CPU_DEBUG_STEP);
    }
    CHECK_EQ(s->r[0], 2);
    CHECK(s->cpu.halted);
    /* a halted CPU does not move while stepping (interrupts are masked) */
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->pc, 0x6c);
    done(s);
}

TEST(single_step_delivers_an_exception_then_stops)
{
    SynCPU *s = setup();
    syn_put(0x80, RAISE, 0, 0, 3);
    syn_put(0x84, ADDI, 0, 0, 1);
    s->pc = 0x80;
    s->cpu.debug_flags |= CPU_DEBUG_SSTEP;
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->excp_seen[3], 1);
    CHECK_EQ(s->pc, 0x84); /* syn's "handler" resumes after the instruction */
    CHECK_EQ(s->r[0], 0);
    done(s);
}

static bool irq_taken;
static bool syn_exec_irq(CPUState *cpu, uint32_t req)
{
    (void)req;
    ((SynCPU *)cpu)->pc = 0x300;
    cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
    irq_taken = true;
    return true;
}

TEST(single_step_masks_interrupts)
{
    SynCPU *s = setup();
    static CPUTargetOps ops;
    ops = syn_ops;
    ops.exec_interrupt = syn_exec_irq;
    s->cpu.ops = &ops;
    straight_line();
    syn_put(0x300, HLT, 0, 0, 0);
    s->pc = 0x1000;
    irq_taken = false;
    s->cpu.interrupt_request |= CPU_INTERRUPT_HARD;
    s->cpu.debug_flags |= CPU_DEBUG_SSTEP;
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->pc, 0x1004);
    CHECK(!irq_taken);
    s->cpu.debug_flags = 0;
    CHECK_EQ(run(s), EXCP_HLT);
    CHECK(irq_taken);
    CHECK_EQ(s->pc, 0x304);
    done(s);
}

static void store_program(void)
{
    syn_put(0x1000, MOVI, 3, 0, 0x70);
    syn_put(0x1004, MOVI, 0, 0, 42);
    syn_put(0x1008, ST, 0, 3, 0);     /* mem32[0x70] = 42 */
    syn_put(0x100c, ADDI, 0, 0, 1);
    syn_put(0x1010, LD, 1, 3, 0);     /* r1 = mem32[0x70] */
    syn_put(0x1014, HLT, 0, 0, 0);
}

TEST(write_watchpoint_stops_after_the_store)
{
    SynCPU *s = setup();
    store_program();
    st32_le(syn_ram + 0x70, 7);
    s->pc = 0x1000;
    CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0x72, 1), 0);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_WP_WRITE);
    CHECK_EQ(s->cpu.debug_stop.addr, 0x72);
    CHECK_EQ(ld32_le(syn_ram + 0x70), 42); /* the new value is in memory */
    CHECK_EQ(s->pc, 0x100c);               /* the store completed, nothing after it */
    CHECK_EQ(s->r[0], 42);
    /* continuing: the load does not hit a write watchpoint */
    CHECK_EQ(run(s), EXCP_HLT);
    CHECK_EQ(s->r[0], 43);
    CHECK_EQ(s->r[1], 42);
    done(s);
}

TEST(read_and_access_watchpoints)
{
    SynCPU *s = setup();
    store_program();
    s->pc = 0x1000;
    CHECK_EQ(cpu_debug_insert(CPU_WP_READ, 0x70, 4), 0);
    CHECK_EQ(run(s), EXCP_DEBUG);          /* the store passes, the load stops */
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_WP_READ);
    CHECK_EQ(s->pc, 0x1014);
    CHECK_EQ(s->r[1], 42);
    CHECK_EQ(cpu_debug_remove(CPU_WP_READ, 0x70, 4), 0);
    s->cpu.halted = 0;
    s->pc = 0x1000;
    s->r[1] = 0;
    CHECK_EQ(cpu_debug_insert(CPU_WP_ACCESS, 0x6c, 8), 0);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_WP_ACCESS);
    CHECK_EQ(s->pc, 0x100c);
    CHECK_EQ(s->cpu.debug_stop.addr, 0x70);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->pc, 0x1014);
    CHECK_EQ(run(s), EXCP_HLT);
    done(s);
}

TEST(watchpoint_while_single_stepping)
{
    SynCPU *s = setup();
    store_program();
    s->pc = 0x1008;
    s->r[0] = 9;
    s->r[3] = 0x70;
    CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0x70, 4), 0);
    s->cpu.debug_flags |= CPU_DEBUG_SSTEP;
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_WP_WRITE);
    CHECK_EQ(s->pc, 0x100c);
    CHECK_EQ(ld32_le(syn_ram + 0x70), 9);
    CHECK_EQ(run(s), EXCP_DEBUG);
    CHECK_EQ(s->cpu.debug_stop.kind, CPU_DEBUG_STEP);
    CHECK_EQ(s->pc, 0x1010);
    done(s);
}

TEST(debugger_memory_access)
{
    SynCPU *s = setup();
    uint8_t buf[16], back[16];
    for (int i = 0; i < 16; i++)
        buf[i] = (uint8_t)(0x10 + i);
    /* across a page boundary */
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, 0x1ff8, buf, 16, true), 0);
    CHECK_EQ(syn_ram[0x1ff8], 0x10);
    CHECK_EQ(syn_ram[0x2007], 0x1f);
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, 0x1ff8, back, 16, false), 0);
    CHECK(!memcmp(buf, back, 16));
    /* through the page table */
    s->pt[0x200] = 0x3000 | 7;
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, 0x200004, back, 4, false), 0);
    CHECK_EQ(ld32_le(back), ld32_le(syn_ram + 0x3004));
    /* not mapped */
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, 0x201000, back, 4, false), -1);
    /* a ROM page can be written by the debugger */
    back[0] = 0x5a;
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, SYN_ROM_BASE + 8, back, 1, true), 0);
    CHECK_EQ(syn_rom[8], 0x5a);
    /* writing code invalidates the blocks translated from it */
    straight_line();
    s->pc = 0x1000;
    CHECK_EQ(run(s), EXCP_HLT);
    CHECK_EQ(s->r[0], 4);
    uint8_t insn[4] = { ADDI, 0, 0, 10 };
    CHECK_EQ(cpu_memory_rw_debug(&s->cpu, 0x1004, insn, 4, true), 0);
    s->cpu.halted = 0;
    s->pc = 0x1000;
    CHECK_EQ(run(s), EXCP_HLT);
    CHECK_EQ(s->r[0], 13);
    done(s);
}

TEST(tables_are_bounded)
{
    SynCPU *s = setup();
    int i;
    for (i = 0; i < CPU_MAX_BREAKPOINTS; i++)
        CHECK_EQ(cpu_debug_insert(CPU_BP_SW, 0x1000 + 4 * (uint64_t)i, 1), 0);
    CHECK_EQ(cpu_debug_insert(CPU_BP_SW, 0x9000, 1), -1);
    for (i = 0; i < CPU_MAX_WATCHPOINTS; i++)
        CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0x100 + (uint64_t)i, 1), 0);
    CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0x900, 1), -1);
    cpu_debug_remove_all();
    CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, 0x900, 0), -1);          /* empty */
    CHECK_EQ(cpu_debug_insert(CPU_WP_WRITE, UINT64_MAX, 2), -1);     /* wraps */
    CHECK_EQ(cpu_debug_insert(CPU_DEBUG_STEP, 0x900, 1), -1);
    CHECK(!cpu_breakpoint_at(0x1000, NULL));
    done(s);
}
