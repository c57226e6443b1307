/* Clocks (virtual, realtime, host) and per-clock timer lists. */
#include "src/timer.h"

#include <stdlib.h>

#include "ports/posix.h"
#include "src/error.h"
#include "src/vmstate.h"

struct Timer {
    Timer *next;
    TimerCb *cb;
    void *opaque;
    int64_t expire;
    uint32_t arm_seq;   /* list run_seq when last armed (see run_expired) */
    ClockType clock;
    bool pending;
};

typedef struct TimerList {
    Timer *head;        /* sorted by expire; FIFO among equal deadlines */
    uint32_t run_seq;   /* bumped by each timerlist_run_expired */
    bool running;
} TimerList;

static TimerList lists[PEMU_CLOCK_MAX];
static TimerDeadlineNotify *deadline_notify;
static void *deadline_notify_opaque;

/*
 * The virtual clock. Host mode: value = host monotonic + offset while
 * running, `frozen` while stopped. icount mode: value = icount_now() + bias.
 */
static struct {
    HostMutex lock;
    bool running;
    int64_t offset;
    int64_t frozen;
    int64_t (*icount_now)(void *opaque);
    void *icount_opaque;
    int64_t icount_bias;
} vclock = { .lock = HOST_MUTEX_INITIALIZER };

static int64_t vclock_get_locked(void)
{
    if (vclock.icount_now)
        return vclock.icount_now(vclock.icount_opaque) + vclock.icount_bias;
    return vclock.running ? host_clock_monotonic_ns() + vclock.offset : vclock.frozen;
}

int64_t clock_get_ns(ClockType clock)
{
    int64_t v;
    switch (clock) {
    case PEMU_CLOCK_VIRTUAL:
        host_mutex_lock(&vclock.lock);
        v = vclock_get_locked();
        host_mutex_unlock(&vclock.lock);
        return v;
    case PEMU_CLOCK_REALTIME:
        return host_clock_monotonic_ns();
    case PEMU_CLOCK_HOST:
        return host_clock_realtime_ns();
    default:
        pemu_abort("clock_get_ns: bad clock %d", (int)clock);
    }
}

const char *clock_name(ClockType clock)
{
    static const char *const names[PEMU_CLOCK_MAX] = { "virtual", "realtime", "host" };
    return (unsigned)clock < PEMU_CLOCK_MAX ? names[clock] : "?";
}

void clock_vm_start(void)
{
    host_mutex_lock(&vclock.lock);
    if (!vclock.running) {
        vclock.offset = vclock.frozen - host_clock_monotonic_ns();
        vclock.running = true;
    }
    host_mutex_unlock(&vclock.lock);
}

void clock_vm_stop(void)
{
    host_mutex_lock(&vclock.lock);
    if (vclock.running) {
        vclock.frozen = host_clock_monotonic_ns() + vclock.offset;
        vclock.running = false;
    }
    host_mutex_unlock(&vclock.lock);
}

bool clock_vm_running(void)
{
    host_mutex_lock(&vclock.lock);
    bool r = vclock.running;
    host_mutex_unlock(&vclock.lock);
    return r;
}

/* Make the host-mode state read `v` now, whatever the run state. */
static void vclock_set_host_mode_locked(int64_t v)
{
    vclock.frozen = v;
    vclock.offset = v - host_clock_monotonic_ns();
}

void clock_set_icount_source(int64_t (*now_ns)(void *opaque), void *opaque)
{
    host_mutex_lock(&vclock.lock);
    int64_t cur = vclock_get_locked();
    vclock.icount_now = now_ns;
    vclock.icount_opaque = opaque;
    if (now_ns)
        vclock.icount_bias = cur - now_ns(opaque);
    else
        vclock_set_host_mode_locked(cur);
    host_mutex_unlock(&vclock.lock);
}

bool clock_icount_enabled(void)
{
    host_mutex_lock(&vclock.lock);
    bool r = vclock.icount_now != NULL;
    host_mutex_unlock(&vclock.lock);
    return r;
}

void clock_warp_virtual(int64_t delta_ns)
{
    if (delta_ns <= 0)
        return; /* guest time never runs backwards */
    host_mutex_lock(&vclock.lock);
    if (vclock.icount_now)
        vclock.icount_bias += delta_ns;
    else if (vclock.running)
        vclock.offset += delta_ns;
    else
        vclock.frozen += delta_ns;
    host_mutex_unlock(&vclock.lock);
}

int clock_set_virtual_ns(int64_t ns)
{
    int ret = 0;
    host_mutex_lock(&vclock.lock);
    if (vclock.running)
        ret = -1;
    else if (vclock.icount_now)
        vclock.icount_bias = ns - vclock.icount_now(vclock.icount_opaque);
    else
        vclock.frozen = ns;
    host_mutex_unlock(&vclock.lock);
    return ret;
}

typedef struct ClockState {
    int64_t virtual_ns;
} ClockState;

static int clock_pre_save(void *opaque)
{
    ((ClockState *)opaque)->virtual_ns = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    return 0;
}

static int clock_post_load(void *opaque, int version_id)
{
    return clock_set_virtual_ns(((ClockState *)opaque)->virtual_ns);
}

static const VMStateDescription vmstate_clock = {
    .name = "clock",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(virtual_ns, ClockState),
        VMSTATE_END
    },
    .pre_save = clock_pre_save,
    .post_load = clock_post_load,
};

void clock_vmstate_register(void)
{
    static ClockState state;
    vmstate_register("clock", 0, &vmstate_clock, &state);
}

/* ---- timers --------------------------------------------------------------- */

static TimerList *list_of(ClockType clock)
{
    if ((unsigned)clock >= PEMU_CLOCK_MAX)
        pemu_abort("bad clock %d", (int)clock);
    return &lists[clock];
}

Timer *timer_new(ClockType clock, TimerCb *cb, void *opaque)
{
    list_of(clock);
    Timer *t = calloc(1, sizeof(*t));
    if (!t)
        pemu_abort("out of memory");
    t->clock = clock;
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

void timer_free(Timer *t)
{
    if (!t)
        return;
    timer_del(t);
    free(t);
}

void timer_del(Timer *t)
{
    if (!t->pending)
        return;
    Timer **pp = &lists[t->clock].head;
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    t->next = NULL;
    t->pending = false;
    t->expire = -1;
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    TimerList *l = &lists[t->clock];
    timer_del(t);
    Timer **pp = &l->head;
    while (*pp && (*pp)->expire <= expire_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->expire = expire_ns;
    t->pending = true;
    t->arm_seq = l->run_seq;
    if (pp == &l->head && deadline_notify)
        deadline_notify(deadline_notify_opaque, t->clock);
}

void timer_mod_in(Timer *t, int64_t delta_ns)
{
    timer_mod(t, clock_get_ns(t->clock) + delta_ns);
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timer_expire_time(const Timer *t)
{
    return t->pending ? t->expire : -1;
}

ClockType timer_clock(const Timer *t)
{
    return t->clock;
}

int64_t timerlist_earliest_ns(ClockType clock)
{
    Timer *h = list_of(clock)->head;
    return h ? h->expire : -1;
}

int64_t timerlist_deadline_ns(ClockType clock)
{
    Timer *h = list_of(clock)->head;
    if (!h)
        return -1;
    int64_t now;
    if (clock == PEMU_CLOCK_VIRTUAL) {
        host_mutex_lock(&vclock.lock);
        bool moving = vclock.running || vclock.icount_now;
        now = vclock_get_locked();
        host_mutex_unlock(&vclock.lock);
        if (!moving)
            return -1;
    } else {
        now = clock_get_ns(clock);
    }
    int64_t d = h->expire - now;
    return d > 0 ? d : 0;
}

int timerlist_run_expired(ClockType clock)
{
    TimerList *l = list_of(clock);
    int n = 0;
    if (!l->head || l->running)
        return 0; /* nested calls from a callback do nothing */
    int64_t now = clock_get_ns(clock);
    uint32_t seq = ++l->run_seq;
    l->running = true;
    for (;;) {
        /* The earliest due timer not armed during this run. The list may
         * have changed arbitrarily in the last callback: rescan from the
         * head each time (timer lists are short). */
        Timer **pp = &l->head, *t;
        while ((t = *pp) && t->expire <= now && t->arm_seq == seq)
            pp = &t->next;
        if (!t || t->expire > now)
            break;
        *pp = t->next;
        t->next = NULL;
        t->pending = false;
        t->expire = -1;
        n++;
        t->cb(t->opaque); /* may free t */
    }
    l->running = false;
    return n;
}

void timer_set_deadline_notify(TimerDeadlineNotify *fn, void *opaque)
{
    deadline_notify = fn;
    deadline_notify_opaque = opaque;
}
