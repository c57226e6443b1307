/*
 * The translating accelerator's run loop: the vCPUs one after the other
 * (round-robin, one slice each) in the main thread, between visits to the
 * main loop (fds, bottom halves, timers). Only one CPU runs at a time, so
 * guest atomics need nothing more; the TB cache is shared.
 *
 * A "kick" thread ends each slice: the loop arms it with the time of the
 * next virtual-clock deadline (or a maximum slice for fd polling), it sleeps
 * until then and calls cpu_exit, which the engine sees at the next chain
 * edge. A timer armed while the guest runs (a device programmed by the
 * guest) or work scheduled from another thread moves the kick earlier
 * through mainloop_set_kick.
 */
#include "src/accel/accel.h"

#include "ports/posix.h"
#include "src/log.h"
#include "src/mainloop.h"
#include "src/qmp.h"
#include "src/icount.h"
#include "src/timer.h"

#define SLICE_MAX_NS 10000000 /* 10 ms: fd and UI latency while the guest computes */
/* With several CPUs: how long one may spin on a lock another holds. */
#define SLICE_SMP_NS 1000000

typedef struct Kicker {
    HostMutex lock;
    HostCond cond;
    HostThread thread;
    CPUState *cpu;  /* the vCPU running now */
    int64_t when;   /* host monotonic ns of the next kick; INT64_MAX = none */
    bool quit;
} Kicker;

static void *kicker_main(void *opaque)
{
    Kicker *k = opaque;
    host_mutex_lock(&k->lock);
    while (!k->quit) {
        int64_t now = host_clock_monotonic_ns();
        if (k->when == INT64_MAX) {
            host_cond_wait(&k->cond, &k->lock);
        } else if (now < k->when) {
            host_cond_timedwait(&k->cond, &k->lock, k->when - now);
        } else {
            k->when = INT64_MAX;
            cpu_exit(k->cpu);
        }
    }
    host_mutex_unlock(&k->lock);
    return NULL;
}

static void kicker_arm(Kicker *k, int64_t when, CPUState *cpu)
{
    host_mutex_lock(&k->lock);
    if (cpu)
        k->cpu = cpu;
    if (when < k->when || when == INT64_MAX) {
        k->when = when;
        host_cond_signal(&k->cond);
    }
    host_mutex_unlock(&k->lock);
}

/* mainloop_set_kick: new work for the main loop, or an earlier deadline. */
static void kick_now(void *opaque)
{
    Kicker *k = opaque;
    int64_t dl = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
    if (dl < 0 || dl > SLICE_MAX_NS)
        dl = 0; /* a bottom half or an fd: leave the slice now */
    kicker_arm(k, host_clock_monotonic_ns() + dl, NULL);
}

/* -icount: an earlier deadline only makes the budget be read again */
static void icount_kick(void *opaque)
{
    (void)opaque;
    icount_deadline_moved();
}

static int64_t slice_end(int64_t max)
{
    int64_t dl = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
    if (dl < 0 || dl > max)
        dl = max;
    return host_clock_monotonic_ns() + dl;
}

static bool vm_stopped;

void accel_vm_stop(void)
{
    if (vm_stopped)
        return;
    vm_stopped = true;
    if (clock_vm_running())
        clock_vm_stop();
    qmp_event_emit("STOP", NULL);
}

void accel_vm_cont(void)
{
    if (!vm_stopped)
        return;
    vm_stopped = false;
    clock_vm_start();
    mainloop_wake();
    qmp_event_emit("RESUME", NULL);
}

bool accel_vm_running(void)
{
    return !vm_stopped;
}

/* ---- debugging ------------------------------------------------------------- */

static void (*debug_fn)(void *opaque, CPUState *cpu);
static void *debug_opaque;

void accel_set_debug_handler(void (*fn)(void *opaque, CPUState *cpu), void *opaque)
{
    debug_fn = fn;
    debug_opaque = opaque;
}

static int tcg_insert_point(CPUState *cpu, CPUDebugPoint kind, uint64_t addr, uint64_t len)
{
    (void)cpu; /* the engine's tables serve every vCPU */
    return cpu_debug_insert(kind, addr, len);
}

static int tcg_remove_point(CPUState *cpu, CPUDebugPoint kind, uint64_t addr, uint64_t len)
{
    (void)cpu;
    return cpu_debug_remove(kind, addr, len);
}

static void tcg_set_single_step(CPUState *cpu, bool on)
{
    if (on)
        cpu->debug_flags |= CPU_DEBUG_SSTEP;
    else
        cpu->debug_flags &= ~(uint32_t)CPU_DEBUG_SSTEP;
}

static CPUDebugStop tcg_stop_reason(CPUState *cpu)
{
    return cpu->debug_stop;
}

static const AccelDebugOps tcg_debug_ops = {
    tcg_insert_point, tcg_remove_point, cpu_debug_remove_all, tcg_set_single_step,
    tcg_stop_reason,
};

const AccelDebugOps *accel_debug_ops(void)
{
    return &tcg_debug_ops;
}

int tcg_run(Machine *m, CPUState *first, const AccelBoardOps *ops)
{
    CPUState *cpu = first;
    int64_t slice = first->next_cpu ? SLICE_SMP_NS : SLICE_MAX_NS;
    Kicker k = { .cpu = cpu, .when = INT64_MAX };
    host_mutex_init(&k.lock);
    host_cond_init(&k.cond);
    if (host_thread_create(&k.thread, kicker_main, &k) != 0)
        fatal("cannot start the vCPU kick thread");
    /* -icount: turns end after a number of instructions, never on a
     * host-time kick (it would land on a different instruction each run) */
    mainloop_set_kick(icount_on ? icount_kick : kick_now, &k);
    if (!vm_stopped)
        clock_vm_start();

    int reason;
    while ((reason = mainloop_exit_requested()) == MAINLOOP_EXIT_NONE) {
        if (ops->reset_requested(m))
            ops->reset(m);
        if (vm_stopped) {
            /* paused: only fds, bottom halves and realtime timers */
            mainloop_wait(-1);
            continue;
        }
        /* One round: a slice for every CPU that can run. */
        bool idle = true, debug = false;
        for (cpu = first; cpu && !debug; cpu = cpu->next_cpu) {
            if (icount_on)
                icount_slice = ICOUNT_QUANTUM;
            else
                kicker_arm(&k, slice_end(slice), cpu);
            int r = cpu_exec(cpu);
            if (!icount_on)
                kicker_arm(&k, INT64_MAX, NULL);
            if (r == EXCP_DEBUG) {
                accel_vm_stop();
                if (debug_fn)
                    debug_fn(debug_opaque, cpu);
                debug = true;
            } else if (r != EXCP_HALTED && r != EXCP_HLT) {
                idle = false;
            }
            if (ops->reset_requested(m) || mainloop_exit_requested() != MAINLOOP_EXIT_NONE)
                break;
        }
        /* an IPI from a later CPU in the round may have woken an earlier one */
        for (cpu = first; idle && cpu; cpu = cpu->next_cpu)
            if (!cpu->stopped && (!cpu->halted || cpu_has_work(cpu)))
                idle = false;
        if (idle && !debug && !ops->reset_requested(m)) {
            /* Nothing to run until an interrupt: sleep in the main loop
             * until the next timer or an fd/bottom half wakes it. */
            int64_t dl = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
            if (icount_on && dl >= 0) {
                /* instructions do not move the clock now: jump it to the
                 * deadline (after as much host time with sleep=on) */
                if (icount_sleep_on())
                    mainloop_wait(dl);
                icount_warp_to_deadline();
                mainloop_wait(0);
            } else {
                mainloop_wait(dl < 0 ? -1 : dl);
            }
        } else {
            mainloop_wait(0);
        }
    }

    if (clock_vm_running())
        clock_vm_stop();
    mainloop_set_kick(NULL, NULL);
    host_mutex_lock(&k.lock);
    k.quit = true;
    host_cond_signal(&k.cond);
    host_mutex_unlock(&k.lock);
    host_thread_join(&k.thread);
    host_cond_destroy(&k.cond);
    host_mutex_destroy(&k.lock);

    switch (reason) {
    case MACHINE_EXIT_STATUS:
        return m->exit_status;
    case MAINLOOP_EXIT_SHUTDOWN:
    case MAINLOOP_EXIT_QUIT:
        return 0;
    default:
        return 1;
    }
}
