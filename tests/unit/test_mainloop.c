/* src/mainloop: fds, bottom halves, timers, cross-thread wake-ups, exit. */
#include "unit.h"

#include <signal.h>
#include <unistd.h>

#include "ports/posix.h"
#include "src/mainloop.h"
#include "src/timer.h"

static int64_t now_ns(void)
{
    return host_clock_monotonic_ns();
}

/* ---- fds ---- */

typedef struct Pipe {
    int fd[2];
    int reads, writes;
    char last;
} Pipe;

static void pipe_read(void *opaque)
{
    Pipe *p = opaque;
    char c;
    if (read(p->fd[0], &c, 1) == 1)
        p->last = c;
    p->reads++;
}

static void pipe_write(void *opaque)
{
    Pipe *p = opaque;
    p->writes++;
    mainloop_set_fd_handler(p->fd[1], NULL, NULL, NULL); /* once is enough */
}

TEST(fd_read_handler)
{
    Pipe p = { 0 };
    CHECK(pipe(p.fd) == 0);
    mainloop_set_fd_handler(p.fd[0], pipe_read, NULL, &p);
    mainloop_wait(0);
    CHECK_EQ(p.reads, 0); /* nothing to read yet */
    CHECK(write(p.fd[1], "x", 1) == 1);
    int64_t t0 = now_ns();
    CHECK(mainloop_wait(5 * NS_PER_SEC) >= 1);
    CHECK(now_ns() - t0 < NS_PER_SEC);
    CHECK_EQ(p.reads, 1);
    CHECK_EQ(p.last, 'x');
    mainloop_remove_fd_handler(p.fd[0]);
    CHECK(write(p.fd[1], "y", 1) == 1);
    mainloop_wait(0);
    CHECK_EQ(p.reads, 1); /* removed: not called */
    close(p.fd[0]);
    close(p.fd[1]);
}

TEST(fd_write_handler_removes_itself)
{
    Pipe p = { 0 };
    CHECK(pipe(p.fd) == 0);
    mainloop_set_fd_handler(p.fd[1], NULL, pipe_write, &p);
    mainloop_wait(NS_PER_SEC);
    CHECK_EQ(p.writes, 1);
    mainloop_wait(0);
    CHECK_EQ(p.writes, 1);
    close(p.fd[0]);
    close(p.fd[1]);
}

static Pipe *victim;
static void read_and_remove_victim(void *opaque)
{
    pipe_read(opaque);
    mainloop_remove_fd_handler(victim->fd[0]);
}

TEST(fd_handler_removes_another_during_dispatch)
{
    Pipe a = { 0 }, b = { 0 };
    CHECK(pipe(a.fd) == 0 && pipe(b.fd) == 0);
    victim = &b;
    /* Registration order decides dispatch order: the newest is first. */
    mainloop_set_fd_handler(b.fd[0], pipe_read, NULL, &b);
    mainloop_set_fd_handler(a.fd[0], read_and_remove_victim, NULL, &a);
    CHECK(write(a.fd[1], "a", 1) == 1 && write(b.fd[1], "b", 1) == 1);
    mainloop_wait(NS_PER_SEC);
    CHECK_EQ(a.reads, 1);
    CHECK_EQ(b.reads, 0);
    mainloop_remove_fd_handler(a.fd[0]);
    for (int i = 0; i < 2; i++) {
        close(a.fd[i]);
        close(b.fd[i]);
    }
}

TEST(fd_hangup_goes_to_read_handler)
{
    Pipe p = { 0 };
    CHECK(pipe(p.fd) == 0);
    mainloop_set_fd_handler(p.fd[0], pipe_read, NULL, &p);
    close(p.fd[1]);
    mainloop_wait(NS_PER_SEC);
    CHECK_EQ(p.reads, 1);
    mainloop_remove_fd_handler(p.fd[0]);
    close(p.fd[0]);
}

/* ---- bottom halves ---- */

static int bh_log[16];
static int nbh;
typedef struct BHProbe { int id; BH *bh; BH *other; int again; } BHProbe;

static void bh_probe(void *opaque)
{
    BHProbe *p = opaque;
    bh_log[nbh++] = p->id;
    if (p->other)
        bh_cancel(p->other);
    if (p->again-- > 0)
        bh_schedule(p->bh);
}

TEST(bh_order_once_cancel)
{
    BHProbe p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (BHProbe){ .id = i };
        p[i].bh = bh_new(bh_probe, &p[i]);
    }
    bh_schedule(p[2].bh);
    bh_schedule(p[0].bh);
    bh_schedule(p[2].bh); /* already scheduled: keeps its place, runs once */
    bh_schedule(p[3].bh);
    bh_schedule(p[1].bh);
    bh_cancel(p[3].bh);
    nbh = 0;
    int64_t t0 = now_ns();
    CHECK_EQ(mainloop_wait(-1), 3); /* a scheduled BH means: do not sleep */
    CHECK(now_ns() - t0 < NS_PER_SEC);
    CHECK_EQ(nbh, 3);
    CHECK_EQ(bh_log[0], 2);
    CHECK_EQ(bh_log[1], 0);
    CHECK_EQ(bh_log[2], 1);
    CHECK_EQ(mainloop_wait(0), 0);
    for (int i = 0; i < 4; i++)
        bh_delete(p[i].bh);
}

TEST(bh_rescheduled_from_callback_runs_next_iteration)
{
    BHProbe a = { .id = 5, .again = 2 };
    a.bh = bh_new(bh_probe, &a);
    bh_schedule(a.bh);
    nbh = 0;
    CHECK_EQ(mainloop_wait(0), 1);
    CHECK_EQ(mainloop_wait(0), 1);
    CHECK_EQ(mainloop_wait(0), 1);
    CHECK_EQ(mainloop_wait(0), 0);
    CHECK_EQ(nbh, 3);
    bh_delete(a.bh);
}

TEST(bh_cancels_another_scheduled_bh)
{
    BHProbe a = { .id = 1 }, b = { .id = 2 };
    a.bh = bh_new(bh_probe, &a);
    b.bh = bh_new(bh_probe, &b);
    a.other = b.bh;
    bh_schedule(a.bh);
    bh_schedule(b.bh);
    nbh = 0;
    CHECK_EQ(mainloop_wait(0), 1);
    CHECK_EQ(nbh, 1);
    bh_delete(a.bh);
    bh_delete(b.bh);
}

static void bh_delete_self(void *opaque)
{
    BH **slot = opaque;
    nbh++;
    bh_delete(*slot);
    *slot = NULL;
}

TEST(bh_deletes_itself)
{
    BH *bh = NULL;
    bh = bh_new(bh_delete_self, &bh);
    bh_schedule(bh);
    nbh = 0;
    CHECK_EQ(mainloop_wait(0), 1);
    CHECK(bh == NULL);
    CHECK_EQ(nbh, 1);
}

/* ---- timers ---- */

static int fired;
static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

TEST(realtime_timer_sets_poll_timeout)
{
    Timer *t = timer_new(PEMU_CLOCK_REALTIME, count_cb, &fired);
    int64_t t0 = now_ns();
    timer_mod(t, t0 + 20 * NS_PER_MS);
    int waited = 0;
    while (!fired && waited++ < 100)
        mainloop_wait(-1); /* must return by itself at the deadline */
    int64_t dt = now_ns() - t0;
    CHECK_EQ(fired, 1);
    CHECK(dt >= 20 * NS_PER_MS);
    CHECK(dt < NS_PER_SEC);
    CHECK(waited <= 3);
    timer_free(t);
}

TEST(virtual_timer_waits_while_vm_stopped)
{
    Timer *t = timer_new(PEMU_CLOCK_VIRTUAL, count_cb, &fired);
    timer_mod(t, 1 * NS_PER_MS);
    int64_t t0 = now_ns();
    mainloop_wait(20 * NS_PER_MS);
    CHECK(now_ns() - t0 >= 20 * NS_PER_MS);
    CHECK_EQ(fired, 0); /* guest time stood still */
    clock_vm_start();
    t0 = now_ns();
    while (!fired && now_ns() - t0 < NS_PER_SEC)
        mainloop_wait(-1);
    CHECK_EQ(fired, 1);
    clock_vm_stop();
    timer_free(t);
}

/* ---- threads ---- */

typedef struct Worker {
    int64_t delay;
    BH *bh;
    Timer *timer;
    int exit_reason;
} Worker;

static void *worker_main(void *opaque)
{
    Worker *w = opaque;
    host_sleep_ns(w->delay);
    if (w->bh)
        bh_schedule(w->bh);
    if (w->timer) {
        /* Timers belong to whoever holds the global lock; the loop must
         * have released it while it sleeps. */
        pemu_mutex_lock_global();
        timer_mod(w->timer, clock_get_ns(PEMU_CLOCK_REALTIME));
        pemu_mutex_unlock_global();
    }
    if (w->exit_reason)
        mainloop_request_exit(w->exit_reason);
    return NULL;
}

static int kicks;
static void kick_cb(void *opaque)
{
    __atomic_add_fetch((int *)opaque, 1, __ATOMIC_SEQ_CST);
}

TEST(cross_thread_bh_schedule_wakes_poll)
{
    int ran = 0;
    Worker w = { .delay = 30 * NS_PER_MS };
    w.bh = bh_new(count_cb, &ran);
    mainloop_set_kick(kick_cb, &kicks);
    HostThread th;
    CHECK(host_thread_create(&th, worker_main, &w) == 0);
    int64_t t0 = now_ns();
    mainloop_wait(10 * NS_PER_SEC);
    int64_t dt = now_ns() - t0;
    host_thread_join(&th);
    CHECK_EQ(ran, 1);
    CHECK(dt >= 20 * NS_PER_MS);
    CHECK(dt < 5 * NS_PER_SEC);
    CHECK(__atomic_load_n(&kicks, __ATOMIC_SEQ_CST) >= 1);
    mainloop_set_kick(NULL, NULL);
    bh_delete(w.bh);
}

TEST(cross_thread_timer_under_global_lock_wakes_poll)
{
    Worker w = { .delay = 30 * NS_PER_MS };
    w.timer = timer_new(PEMU_CLOCK_REALTIME, count_cb, &fired);
    pemu_mutex_lock_global();
    CHECK(pemu_mutex_global_held());
    HostThread th;
    CHECK(host_thread_create(&th, worker_main, &w) == 0);
    int64_t t0 = now_ns();
    int64_t dt = 0;
    while (!fired && (dt = now_ns() - t0) < 5 * NS_PER_SEC)
        mainloop_wait(10 * NS_PER_SEC);
    CHECK(pemu_mutex_global_held()); /* retaken after poll */
    pemu_mutex_unlock_global();
    host_thread_join(&th);
    CHECK_EQ(fired, 1);
    CHECK(dt < 5 * NS_PER_SEC);
    timer_free(w.timer);
}

TEST(timer_deadline_moving_earlier_kicks)
{
    Timer *a = timer_new(PEMU_CLOCK_REALTIME, count_cb, &fired);
    Timer *b = timer_new(PEMU_CLOCK_REALTIME, count_cb, &fired);
    mainloop_set_kick(kick_cb, &kicks);
    int64_t now = clock_get_ns(PEMU_CLOCK_REALTIME);
    timer_mod(a, now + NS_PER_SEC);
    CHECK_EQ(kicks, 1);
    timer_mod(b, now + 2 * NS_PER_SEC);
    CHECK_EQ(kicks, 1);
    timer_mod(b, now + NS_PER_SEC / 2);
    CHECK_EQ(kicks, 2);
    mainloop_set_kick(NULL, NULL);
    timer_free(a);
    timer_free(b);
}

TEST(exit_request_from_another_thread)
{
    Worker w = { .delay = 20 * NS_PER_MS, .exit_reason = MAINLOOP_EXIT_SHUTDOWN };
    HostThread th;
    CHECK(host_thread_create(&th, worker_main, &w) == 0);
    int64_t t0 = now_ns();
    CHECK_EQ(mainloop_run(), MAINLOOP_EXIT_SHUTDOWN);
    CHECK(now_ns() - t0 < 5 * NS_PER_SEC);
    host_thread_join(&th);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE); /* cleared */
}

static void exit_bh(void *opaque)
{
    mainloop_request_exit(*(int *)opaque);
    mainloop_request_exit(MAINLOOP_EXIT_ERROR); /* the first reason wins */
}

TEST(exit_request_from_callback)
{
    int reason = MAINLOOP_EXIT_QUIT;
    BH *bh = bh_new(exit_bh, &reason);
    bh_schedule(bh);
    CHECK_EQ(mainloop_run(), MAINLOOP_EXIT_QUIT);
    bh_delete(bh);
}

static void on_sigusr1(int sig)
{
    mainloop_signal_exit(MAINLOOP_EXIT_QUIT);
}

static void *send_signal(void *opaque)
{
    host_sleep_ns(20 * NS_PER_MS);
    kill(getpid(), SIGUSR1);
    return NULL;
}

TEST(exit_request_from_signal_handler)
{
    mainloop_init();
    struct sigaction sa = { .sa_handler = on_sigusr1 };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    /* Block it here (after the thread inherited an open mask) so that the
     * handler runs on the other thread: the wake-up must come through the
     * pipe, not from an EINTR of our poll. */
    HostThread th;
    CHECK(host_thread_create(&th, send_signal, NULL) == 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int64_t t0 = now_ns();
    CHECK_EQ(mainloop_run(), MAINLOOP_EXIT_QUIT);
    CHECK(now_ns() - t0 < 5 * NS_PER_SEC);
    host_thread_join(&th);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
}
