/*
 * The generic vCPU and the CPU loop: find or translate the next block, run
 * it through the TB backend with chaining, link direct jumps as they are
 * discovered, and handle exits and exceptions. Guest exceptions unwind
 * with longjmp from helpers and the softmmu slow path back here, where the
 * guest pc and front-end data are restored from the faulting block's side
 * table (never stored before each instruction).
 */
#include "src/cpu.h"

#include <string.h>
#include "src/error.h"
#include "src/icount.h"
#include "src/log.h"
#include "src/softmmu.h"
#include "src/tb.h"

static CPUState *cpu_list;
CPUState *current_cpu;

void cpu_init(CPUState *cpu, const CPUTargetOps *ops, const SoftmmuPhys *phys)
{
    static int next_index;
    cpu->ops = ops;
    cpu->phys = phys;
    cpu->exception_index = EXCP_NONE;
    cpu->host_pc = 0;
    cpu->exit_tb = NULL;
    cpu->cpu_index = next_index++;
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    memset(cpu->jmp_cache, 0, sizeof(cpu->jmp_cache));
    /* in creation order: round-robin and listings go by index */
    CPUState **p = &cpu_list;
    while (*p)
        p = &(*p)->next_cpu;
    cpu->next_cpu = NULL;
    *p = cpu;
}

void cpu_exit_list(CPUState *cpu)
{
    for (CPUState **p = &cpu_list; *p; p = &(*p)->next_cpu)
        if (*p == cpu) {
            *p = cpu->next_cpu;
            if (current_cpu == cpu)
                current_cpu = NULL;
            return;
        }
}

CPUState *cpu_first(void)
{
    return cpu_list;
}

void cpu_exit(CPUState *cpu)
{
    cpu->exit_request = 1;
}

void cpu_interrupt(CPUState *cpu, uint32_t mask)
{
    cpu->interrupt_request |= mask;
    cpu->exit_request = 1;
}

void cpu_reset_interrupt(CPUState *cpu, uint32_t mask)
{
    cpu->interrupt_request &= ~mask;
}

void cpu_loop_exit(CPUState *cpu)
{
    if (!cpu->in_exec)
        pemu_abort("cpu_loop_exit outside cpu_exec (exception %d)", cpu->exception_index);
    longjmp(cpu->jmp_env, 1);
}

void cpu_loop_exit_norestore(CPUState *cpu)
{
    cpu->host_pc = 0;
    cpu_loop_exit(cpu);
}

void cpu_raise(CPUState *cpu, int excp)
{
    cpu->exception_index = excp;
    cpu_loop_exit(cpu);
}

/* Put back the guest state of the instruction that was running at host_pc. */
static void restore_from_host_pc(CPUState *cpu)
{
    uintptr_t host_pc = cpu->host_pc;
    cpu->host_pc = 0;
    if (!host_pc)
        return;
    TranslationBlock *tb = tb_find_by_host_pc(host_pc);
    uint64_t data[2];
    if (tb && tb_backend()->restore_state(tb, host_pc, data) == 0 && cpu->ops->restore_state)
        cpu->ops->restore_state(cpu, tb, data[0], data[1]);
}

/*
 * Debugger stops (src/cpu_debug.c): EXCP_DEBUG with cpu->debug_stop set.
 * - Breakpoints are checked here at block entry: blocks end before
 *   breakpoints and are never chained into one (src/tb.c).
 * - A single step runs a one-instruction block and stops after it, or
 *   after the delivery of the exception it raised (at the handler's first
 *   instruction). Interrupts are masked while stepping (as QEMU does by
 *   default), so that a step never lands in an interrupt handler.
 * - A watchpoint hit reruns its instruction alone, then stops.
 */
static bool breakpoint_stop(CPUState *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags;
    CPUDebugPoint kind;
    cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
    if (!cpu_breakpoint_at(pc, &kind))
        return false;
    cpu->debug_stop = (CPUDebugStop){ kind, pc };
    return true;
}

int cpu_exec(CPUState *cpu)
{
    const TBBackend *be = tb_backend();
    TranslationBlock *volatile link_from = NULL;
    volatile int link_slot = 0;
    volatile uint64_t link_gen = 0;
    /* a one-instruction block now running (step, replay, -icount's last
     * instructions before a deadline): dropped after */
    TranslationBlock *volatile one_tb = NULL;
    volatile bool stepped = false, icount_one = false;
    int ret;

    if (cpu->stopped)
        return EXCP_HALTED;
    current_cpu = cpu;
    if (cpu->halted) {
        if (cpu->debug_flags & CPU_DEBUG_SSTEP) {
            cpu->debug_stop = (CPUDebugStop){ CPU_DEBUG_STEP, 0 };
            return EXCP_DEBUG; /* interrupts are masked: nothing to step */
        }
        if (!cpu_has_work(cpu))
            return EXCP_HALTED;
        cpu->halted = 0;
    }
    cpu->in_exec = 1;
    if (setjmp(cpu->jmp_env) != 0) {
        /* An exception unwound from a helper, the slow path or translation. */
        if (unlikely(icount_on)) {
            uint64_t n = icount_partial(cpu);  /* the ones before the faulting one */
            icount_add(n);
            icount_slice -= (int64_t)n;
        }
        restore_from_host_pc(cpu);
        if (cpu->exception_index != EXCP_NONE)
            cpu->stats.exceptions++;
        link_from = NULL;
        if (one_tb) {
            tb_invalidate(one_tb);
            one_tb = NULL;
            if (icount_one) {
                icount_one = false;
            } else if (!(cpu->debug_flags & CPU_DEBUG_REPLAY)) {
                stepped = true; /* the step ended in an exception (or hlt) */
            } else if (cpu->exception_index != EXCP_NONE) {
                /* the rerun faulted: stop once the fault is delivered */
                cpu->debug_flags = (cpu->debug_flags & ~CPU_DEBUG_REPLAY) | CPU_DEBUG_HIT;
            }
        }
    }
    for (;;) {
        if (cpu->exception_index != EXCP_NONE) {
            int excp = cpu->exception_index;
            if (excp >= EXCP_FIRST_INTERNAL) {
                cpu->exception_index = EXCP_NONE;
                ret = excp;
                if (stepped && (cpu->debug_flags & CPU_DEBUG_SSTEP)) {
                    cpu->debug_stop = (CPUDebugStop){ CPU_DEBUG_STEP, 0 };
                    ret = EXCP_DEBUG; /* stepped onto hlt: report the step */
                }
                break;
            }
            if (log_enabled(LOG_INT))
                log_printf("cpu%d: exception 0x%x\n", cpu->cpu_index, excp);
            cpu->ops->do_interrupt(cpu);
            cpu->exception_index = EXCP_NONE;
            link_from = NULL;
        }
        if (unlikely(cpu->debug_flags & CPU_DEBUG_HIT)) {
            cpu->debug_flags &= ~CPU_DEBUG_HIT;
            ret = EXCP_DEBUG;
            break;
        }
        if (stepped) {
            cpu->debug_stop = (CPUDebugStop){ CPU_DEBUG_STEP, 0 };
            ret = EXCP_DEBUG;
            break;
        }
        uint32_t req = cpu->interrupt_request;
        if (req && cpu->ops->exec_interrupt && !(cpu->debug_flags & CPU_DEBUG_SSTEP) &&
            cpu->ops->exec_interrupt(cpu, req))
            link_from = NULL;
        if (cpu->exit_request) {
            cpu->exit_request = 0;
            ret = EXCP_INTERRUPT;
            break;
        }
        if (cpu->halted) {
            ret = EXCP_HLT;
            break;
        }

        TranslationBlock *tb;
        int64_t icount_left = 0;
        if (unlikely(icount_on)) {
            /* stop exactly at the deadline, and after the vCPU's quantum */
            icount_left = icount_budget();
            if (icount_left > icount_slice)
                icount_left = icount_slice;
            if (icount_left <= 0) {
                ret = EXCP_INTERRUPT;
                break;
            }
        }
        if (unlikely(cpu->debug_flags & (CPU_DEBUG_SSTEP | CPU_DEBUG_REPLAY))) {
            tb = one_tb = tb_gen_one(cpu);
            link_from = NULL;
        } else {
            if (unlikely(cpu_breakpoint_count) && breakpoint_stop(cpu)) {
                ret = EXCP_DEBUG;
                break;
            }
            tb = tb_find(cpu);
            if (unlikely(icount_on)) {
                /* no chains: every block comes back here to be counted */
                if ((int64_t)tb->icount > icount_left) {
                    tb = one_tb = tb_gen_one(cpu);
                    icount_one = true;
                }
            } else if (link_from && link_gen == tb_stats.flushes && !log_enabled(LOG_NOCHAIN)) {
                tb_link(link_from, link_slot, tb);
            }
            link_from = NULL;
        }

        cpu->stats.tb_exec++;
        cpu->exit_tb = NULL;
        uintptr_t r = be->exec(cpu, tb);
        if (unlikely(icount_on)) {
            uint64_t n = r == BACKEND_EXIT_REQUESTED ? icount_partial(cpu) : tb->icount;
            icount_add(n);
            icount_slice -= (int64_t)n;
        }
        if (r == BACKEND_EXIT_REQUESTED)
            restore_from_host_pc(cpu);
        cpu->host_pc = 0;
        if (unlikely(icount_one)) {
            tb_invalidate(one_tb);
            one_tb = NULL;
            icount_one = false;
            continue;
        }
        if (unlikely(one_tb != NULL)) {
            tb_invalidate(one_tb);
            one_tb = NULL;
            if (cpu->debug_flags & CPU_DEBUG_REPLAY) {
                cpu->debug_flags &= ~CPU_DEBUG_REPLAY; /* debug_stop says which watchpoint */
                ret = EXCP_DEBUG;
                break;
            }
            stepped = true;
            continue;
        }
        if (r <= BACKEND_EXIT_SLOT1 && cpu->exit_tb) {
            link_from = cpu->exit_tb;
            link_slot = (int)r;
            link_gen = tb_stats.flushes;
        }
    }
    cpu->in_exec = 0;
    return ret;
}
