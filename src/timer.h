/*
 * Clocks and timers.
 *
 * Three clocks, all in ns:
 *   PEMU_CLOCK_VIRTUAL   guest time. Advances with host monotonic time while
 *                        the VM runs and stands still while it is stopped
 *                        (clock_vm_stop/start never make it jump). In icount
 *                        mode it is derived from the CPU's instruction
 *                        counter instead (clock_set_icount_source). Starts
 *                        at 0. Devices put their timers on this clock.
 *   PEMU_CLOCK_REALTIME  host monotonic time; always runs (UI refresh,
 *                        timeouts that must not depend on the guest).
 *   PEMU_CLOCK_HOST      host wall-clock time since the Unix epoch (RTC).
 * (The PEMU_ prefix avoids <time.h>'s CLOCK_REALTIME macro.)
 *
 * Each clock has a list of armed timers ordered by deadline; timers with
 * equal deadlines run in the order they were armed.
 *
 * Threading: clock_get_ns and the clock_* controls are thread-safe. Timers
 * and timer lists belong to whoever holds the global lock
 * (pemu_mutex_lock_global, src/mainloop.h): the main loop and, under KVM,
 * vCPU threads handling an exit. Callbacks run with the global lock held,
 * in the thread that called timerlist_run_expired.
 */
#ifndef PEMU_TIMER_H
#define PEMU_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ClockType {
    PEMU_CLOCK_VIRTUAL,
    PEMU_CLOCK_REALTIME,
    PEMU_CLOCK_HOST,
    PEMU_CLOCK_MAX
} ClockType;

#define NS_PER_SEC INT64_C(1000000000)
#define NS_PER_MS  INT64_C(1000000)
#define NS_PER_US  INT64_C(1000)

int64_t clock_get_ns(ClockType clock);
const char *clock_name(ClockType clock);

/* Virtual clock run state: resume/pause guest time without a jump. */
void clock_vm_start(void);
void clock_vm_stop(void);
bool clock_vm_running(void);

/*
 * icount mode: the virtual clock becomes now_ns(opaque) plus a bias, the
 * bias chosen so the clock does not jump at the switch (0 when switched on
 * before the guest ran). now_ns must be monotonic and is called under the
 * clock lock, so it must not call back into the clock_* functions.
 * NULL switches back to host-time mode, again without a jump.
 */
void clock_set_icount_source(int64_t (*now_ns)(void *opaque), void *opaque);
bool clock_icount_enabled(void);

/*
 * Move the virtual clock forward by delta_ns (>= 0). The seam for icount
 * "sleep" mode: when every vCPU is idle, the CPU loop warps guest time to
 * the next deadline (timerlist_earliest_ns) and runs the expired timers.
 */
void clock_warp_virtual(int64_t delta_ns);

/* loadvm: set the virtual clock to a saved value. The VM must be stopped;
 * returns -1 (and changes nothing) if it runs. */
int clock_set_virtual_ns(int64_t ns);

/* Register the virtual clock's value as the vmstate section "clock", so
 * that saved virtual-clock timer deadlines keep their meaning. Its load
 * fails (post_load) unless the VM is stopped. */
void clock_vmstate_register(void);

/* ---- timers --------------------------------------------------------------- */

typedef struct Timer Timer;
typedef void TimerCb(void *opaque);

Timer *timer_new(ClockType clock, TimerCb *cb, void *opaque);
/* Disarms, then frees. NULL is allowed. */
void timer_free(Timer *t);
/* Arm (or re-arm) to fire once the clock reaches expire_ns (absolute). */
void timer_mod(Timer *t, int64_t expire_ns);
/* Arm to fire delta_ns from now on the timer's clock. */
void timer_mod_in(Timer *t, int64_t delta_ns);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
/* The armed deadline, or -1 when not pending. */
int64_t timer_expire_time(const Timer *t);
ClockType timer_clock(const Timer *t);

/*
 * ns from now until the earliest deadline on this clock: 0 if already due,
 * -1 if there is no armed timer, or if the clock is the virtual clock and
 * the VM is stopped (it will not advance, so nothing can become due).
 */
int64_t timerlist_deadline_ns(ClockType clock);
/* The earliest armed deadline (absolute), -1 if none. */
int64_t timerlist_earliest_ns(ClockType clock);

/*
 * Run the callbacks of the timers whose deadline has passed, earliest
 * first. A timer is disarmed before its callback runs, and callbacks may
 * arm, re-arm, delete or free any timer (their own included). A timer
 * armed during this call to a deadline already passed runs in the next
 * call, not this one, so a callback that re-arms itself in the past cannot
 * starve the caller. Returns the number of callbacks run.
 */
int timerlist_run_expired(ClockType clock);

/*
 * Called (with the global lock held) whenever arming a timer makes it the
 * earliest on its clock, i.e. the clock's deadline moved earlier. The main
 * loop installs this hook in mainloop_init to wake its poll and kick the
 * vCPU (see mainloop_set_kick); other code should hook mainloop_set_kick.
 */
typedef void TimerDeadlineNotify(void *opaque, ClockType clock);
void timer_set_deadline_notify(TimerDeadlineNotify *fn, void *opaque);

#endif
