/* -icount: the virtual clock counts guest instructions (see icount.h). */
#include "src/icount.h"

#include "ir/backend.h"
#include "src/cpu.h"
#include "src/tb.h"
#include "src/timer.h"

bool icount_on;
int64_t icount_slice = ICOUNT_QUANTUM;

static struct {
    int shift;
    bool sleep;
    uint64_t executed;
} ic;

uint64_t icount_executed(void)
{
    return ic.executed;
}

void icount_add(uint64_t n)
{
    ic.executed += n;
}

uint64_t icount_partial(CPUState *cpu)
{
    if (!cpu || !cpu->host_pc)
        return 0;
    TranslationBlock *tb = tb_find_by_host_pc(cpu->host_pc);
    const TBBackend *be = tb_backend();
    int i = tb && be->insn_index ? be->insn_index(tb, cpu->host_pc) : -1;
    return i > 0 ? (uint64_t)i : 0;
}

/* The clock source: called with the clock's lock held. */
static int64_t icount_now_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)((ic.executed + icount_partial(current_cpu)) << ic.shift);
}

void icount_enable(int shift, bool sleep)
{
    ic.shift = shift;
    ic.sleep = sleep;
    icount_on = true;
    clock_set_icount_source(icount_now_ns, NULL);
}

int icount_get_shift(void)
{
    return ic.shift;
}

bool icount_sleep_on(void)
{
    return ic.sleep;
}

/*
 * The deadline in instructions is kept between blocks (reading the timer
 * list takes two locks) and read again when a timer was armed earlier
 * than it (the main loop's kick, icount_deadline_moved) or when it is
 * reached (the timer that was due may be gone).
 */
static volatile int deadline_dirty = 1;
static uint64_t stop_at;

void icount_deadline_moved(void)
{
    deadline_dirty = 1;
}

static void deadline_read(void)
{
    deadline_dirty = 0;
    int64_t dl = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
    /* the instruction that reaches the deadline is the last one */
    int64_t n = dl < 0 ? ICOUNT_QUANTUM : (dl + (1ll << ic.shift) - 1) >> ic.shift;
    stop_at = ic.executed + (uint64_t)(n < ICOUNT_QUANTUM ? n : ICOUNT_QUANTUM);
}

int64_t icount_budget(void)
{
    if (deadline_dirty || stop_at <= ic.executed)
        deadline_read();
    return (int64_t)(stop_at - ic.executed);
}

bool icount_warp_to_deadline(void)
{
    int64_t dl = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
    if (dl < 0)
        return false;
    clock_warp_virtual(dl);
    deadline_dirty = 1;
    return true;
}
