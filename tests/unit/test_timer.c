/* src/timer: clocks, timer ordering, callbacks that change the lists. */
#include "unit.h"

#include "ports/posix.h"
#include "src/timer.h"

/* A log of callback runs: each callback appends its id. */
static int order[64];
static int norder;

typedef struct Probe {
    int id;
    Timer *t;
    Timer *other;       /* a timer the callback deletes / re-arms */
    int64_t rearm;      /* >0: re-arm self by this much (absolute add) */
    int rearms_left;
} Probe;

static void probe_cb(void *opaque)
{
    Probe *p = opaque;
    if (norder < 64)
        order[norder++] = p->id;
}

/* The virtual clock starts stopped at 0, so expiries are fully controlled
 * by clock_warp_virtual in these tests. */
TEST(virtual_clock_starts_stopped_at_zero)
{
    CHECK(!clock_vm_running());
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 0);
    clock_warp_virtual(1234);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1234);
    clock_warp_virtual(-5); /* never backwards */
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1234);
}

TEST(ordering_by_deadline)
{
    Probe p[5];
    static const int64_t when[5] = { 500, 100, 300, 200, 400 };
    for (int i = 0; i < 5; i++) {
        p[i] = (Probe){ .id = i };
        p[i].t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &p[i]);
        timer_mod(p[i].t, when[i]);
    }
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), 100);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 0); /* now = 0 */
    clock_warp_virtual(250);
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 2);
    CHECK_EQ(norder, 2);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 3);
    CHECK(!timer_pending(p[1].t));
    CHECK_EQ(timer_expire_time(p[1].t), -1);
    CHECK(timer_pending(p[2].t));
    CHECK_EQ(timer_expire_time(p[2].t), 300);
    clock_warp_virtual(1000);
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 3);
    CHECK_EQ(order[2], 2);
    CHECK_EQ(order[3], 4);
    CHECK_EQ(order[4], 0);
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), -1);
    for (int i = 0; i < 5; i++)
        timer_free(p[i].t);
}

TEST(equal_deadlines_are_fifo)
{
    Probe p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = (Probe){ .id = i };
        p[i].t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &p[i]);
    }
    /* Arm in the order 3,1,4,0,5,2 all at 100; re-arming 1 moves it last. */
    int arm[6] = { 3, 1, 4, 0, 5, 2 };
    for (int i = 0; i < 6; i++)
        timer_mod(p[arm[i]].t, 100);
    timer_mod(p[1].t, 100);
    clock_warp_virtual(100);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 6);
    int want[6] = { 3, 4, 0, 5, 2, 1 };
    for (int i = 0; i < 6; i++)
        CHECK_EQ(order[i], want[i]);
    for (int i = 0; i < 6; i++)
        timer_free(p[i].t);
}

static void rearm_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    CHECK(!timer_pending(p->t)); /* disarmed before its callback */
    if (p->rearms_left-- > 0)
        timer_mod(p->t, clock_get_ns(PEMU_CLOCK_VIRTUAL) + p->rearm);
}

TEST(rearm_from_callback)
{
    Probe p = { .id = 7, .rearm = 10, .rearms_left = 3 };
    p.t = timer_new(PEMU_CLOCK_VIRTUAL, rearm_cb, &p);
    timer_mod(p.t, 10);
    norder = 0;
    clock_warp_virtual(10);
    /* Re-armed to now+10 = 20: not due yet. */
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);
    CHECK(timer_pending(p.t));
    CHECK_EQ(timer_expire_time(p.t), 20);
    clock_warp_virtual(10);
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);
    CHECK_EQ(timer_expire_time(p.t), 30);
    timer_free(p.t);
}

static void rearm_past_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    timer_mod(p->t, 0); /* already due: must wait for the next run */
}

TEST(rearm_in_the_past_does_not_starve)
{
    Probe p = { .id = 1 };
    Probe q = { .id = 2 };
    p.t = timer_new(PEMU_CLOCK_VIRTUAL, rearm_past_cb, &p);
    q.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &q);
    timer_mod(p.t, 5);
    timer_mod(q.t, 6);
    clock_warp_virtual(10);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 2);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 2);
    CHECK(timer_pending(p.t));
    CHECK_EQ(timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL), -1); /* VM stopped */
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);
    CHECK_EQ(norder, 3);
    timer_free(p.t);
    timer_free(q.t);
}

static void delete_other_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    timer_del(p->other);
}

static void free_other_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    timer_free(p->other);
    p->other = NULL;
}

static void free_self_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    timer_free(p->t);
    p->t = NULL;
}

TEST(callback_deletes_and_frees_other_timers)
{
    Probe a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 }, d = { .id = 4 }, e = { .id = 5 };
    a.t = timer_new(PEMU_CLOCK_VIRTUAL, delete_other_cb, &a);
    b.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &b);
    c.t = timer_new(PEMU_CLOCK_VIRTUAL, free_other_cb, &c);
    d.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &d);
    e.t = timer_new(PEMU_CLOCK_VIRTUAL, free_self_cb, &e);
    a.other = b.t;
    c.other = d.t;
    timer_mod(a.t, 1);
    timer_mod(b.t, 2);
    timer_mod(c.t, 3);
    timer_mod(e.t, 3);
    timer_mod(d.t, 4);
    clock_warp_virtual(100);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 3);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 3);
    CHECK_EQ(order[2], 5);
    CHECK(!timer_pending(b.t));
    CHECK(e.t == NULL && c.other == NULL);
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), -1);
    timer_free(a.t);
    timer_free(b.t);
    timer_free(c.t);
}

static void mod_other_cb(void *opaque)
{
    Probe *p = opaque;
    order[norder++] = p->id;
    timer_mod(p->other, 1000); /* push a due timer into the future */
}

TEST(callback_moves_other_timer_later)
{
    Probe a = { .id = 1 }, b = { .id = 2 };
    a.t = timer_new(PEMU_CLOCK_VIRTUAL, mod_other_cb, &a);
    b.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &b);
    a.other = b.t;
    timer_mod(a.t, 1);
    timer_mod(b.t, 2);
    clock_warp_virtual(10);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);
    CHECK_EQ(timer_expire_time(b.t), 1000);
    timer_free(a.t);
    timer_free(b.t);
}

static int notified;
static ClockType notified_clock;
static void notify_cb(void *opaque, ClockType clock)
{
    (*(int *)opaque)++;
    notified_clock = clock;
}

TEST(deadline_notify_only_when_earliest_moves)
{
    Probe a = { .id = 1 }, b = { .id = 2 };
    a.t = timer_new(PEMU_CLOCK_REALTIME, probe_cb, &a);
    b.t = timer_new(PEMU_CLOCK_REALTIME, probe_cb, &b);
    int64_t now = clock_get_ns(PEMU_CLOCK_REALTIME);
    timer_set_deadline_notify(notify_cb, &notified);
    timer_mod(a.t, now + NS_PER_SEC);
    CHECK_EQ(notified, 1);
    CHECK_EQ(notified_clock, PEMU_CLOCK_REALTIME);
    timer_mod(b.t, now + 2 * NS_PER_SEC); /* later: not the earliest */
    CHECK_EQ(notified, 1);
    timer_mod(b.t, now + NS_PER_SEC / 2); /* now earliest */
    CHECK_EQ(notified, 2);
    int64_t d = timerlist_deadline_ns(PEMU_CLOCK_REALTIME);
    CHECK(d > 0 && d <= NS_PER_SEC / 2);
    timer_set_deadline_notify(NULL, NULL);
    timer_free(a.t);
    timer_free(b.t);
}

TEST(realtime_timer_fires_after_sleep)
{
    Probe a = { .id = 9 };
    a.t = timer_new(PEMU_CLOCK_REALTIME, probe_cb, &a);
    timer_mod_in(a.t, 2 * NS_PER_MS);
    norder = 0;
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_REALTIME), 0);
    host_sleep_ns(3 * NS_PER_MS);
    CHECK_EQ(timerlist_deadline_ns(PEMU_CLOCK_REALTIME), 0);
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_REALTIME), 1);
    CHECK_EQ(order[0], 9);
    timer_free(a.t);
}

TEST(virtual_clock_pause_resume)
{
    clock_vm_start();
    CHECK(clock_vm_running());
    host_sleep_ns(5 * NS_PER_MS);
    int64_t v1 = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    CHECK(v1 >= 5 * NS_PER_MS);
    clock_vm_stop();
    int64_t v2 = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    CHECK(v2 >= v1);
    host_sleep_ns(200 * NS_PER_MS);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), v2); /* stands still */
    clock_vm_start();
    int64_t v3 = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    /* resumes from where it stopped, not +200 ms (slack for a loaded host) */
    CHECK(v3 >= v2 && v3 - v2 < 100 * NS_PER_MS);
    host_sleep_ns(2 * NS_PER_MS);
    CHECK(clock_get_ns(PEMU_CLOCK_VIRTUAL) >= v3 + 2 * NS_PER_MS);
    /* loadvm needs a stopped VM */
    CHECK_EQ(clock_set_virtual_ns(5), -1);
    clock_vm_stop();
    CHECK_EQ(clock_set_virtual_ns(777), 0);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 777);
}

TEST(virtual_deadline_while_running)
{
    Probe a = { .id = 3 };
    a.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &a);
    timer_mod(a.t, 50 * NS_PER_MS);
    CHECK_EQ(timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL), -1);
    clock_vm_start();
    int64_t d = timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL);
    CHECK(d > 0 && d <= 50 * NS_PER_MS);
    clock_vm_stop();
    timer_free(a.t);
}

static int64_t fake_icount;
static int64_t fake_now(void *opaque)
{
    return *(int64_t *)opaque * 4; /* 4 ns per instruction */
}

TEST(icount_source)
{
    clock_warp_virtual(1000);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1000);
    fake_icount = 100;
    clock_set_icount_source(fake_now, &fake_icount);
    CHECK(clock_icount_enabled());
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1000); /* no jump at switch */
    fake_icount = 150;
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1200);
    /* Independent of host time and of the run state. */
    clock_vm_start();
    host_sleep_ns(2 * NS_PER_MS);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 1200);
    clock_vm_stop();

    Probe a = { .id = 4 };
    a.t = timer_new(PEMU_CLOCK_VIRTUAL, probe_cb, &a);
    timer_mod(a.t, 1300);
    CHECK_EQ(timerlist_deadline_ns(PEMU_CLOCK_VIRTUAL), 100);
    norder = 0;
    fake_icount = 174; /* 1296 */
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 0);
    fake_icount = 175; /* 1300 */
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);

    /* icount sleep: warp to the next deadline */
    timer_mod(a.t, 5000);
    clock_warp_virtual(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL) - clock_get_ns(PEMU_CLOCK_VIRTUAL));
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 5000);
    CHECK_EQ(timerlist_run_expired(PEMU_CLOCK_VIRTUAL), 1);
    fake_icount = 176;
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 5004);

    /* loadvm in icount mode sets the value through the bias */
    CHECK_EQ(clock_set_virtual_ns(9000), 0);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 9000);
    fake_icount = 177;
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 9004);

    /* back to host mode without a jump; stopped, so it stands still */
    clock_set_icount_source(NULL, NULL);
    CHECK(!clock_icount_enabled());
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 9004);
    clock_vm_start();
    int64_t v = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    CHECK(v >= 9004 && v < 9004 + 100 * NS_PER_MS);
    clock_vm_stop();
    timer_free(a.t);
}

TEST(host_clock_is_wall_time)
{
    /* after 2020-01-01 and before 2200 */
    int64_t h = clock_get_ns(PEMU_CLOCK_HOST);
    CHECK(h > INT64_C(1577836800) * NS_PER_SEC);
    CHECK(h < INT64_C(7258118400) * NS_PER_SEC);
    CHECK_STR(clock_name(PEMU_CLOCK_HOST), "host");
}
