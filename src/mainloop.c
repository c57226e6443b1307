/* The event loop: fds, bottom halves and timers around one poll(2). */
#include "src/mainloop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ports/posix.h"
#include "src/error.h"
#include "src/timer.h"

/* ---- the global lock ------------------------------------------------------ */

static HostMutex global_lock = HOST_MUTEX_INITIALIZER;
static HOST_THREAD_LOCAL bool global_held;

void pemu_mutex_lock_global(void)
{
    if (global_held)
        pemu_abort("the global lock is not recursive");
    host_mutex_lock(&global_lock);
    global_held = true;
}

void pemu_mutex_unlock_global(void)
{
    if (!global_held)
        pemu_abort("unlocking the global lock this thread does not hold");
    global_held = false;
    host_mutex_unlock(&global_lock);
}

bool pemu_mutex_global_held(void)
{
    return global_held;
}

/* ---- state ---------------------------------------------------------------- */

struct BH {
    BHFunc *cb;
    void *opaque;
    BH *prev, *next;    /* in the scheduled queue */
    uint64_t seq;       /* scheduling order */
    bool scheduled;
};

typedef struct FDHandler {
    struct FDHandler *next;
    int fd;
    bool deleted;       /* freed by the next sweep outside dispatch */
    IOHandler *read_cb, *write_cb;
    void *opaque;
} FDHandler;

/*
 * `lock` guards what other threads touch: the BH queue, the wake-up
 * bookkeeping, the exit reason and the kick hook. The fd handlers belong
 * to the loop thread.
 */
static struct {
    HostMutex lock;
    bool inited;
    HostEvent wake;
    bool poll_active;   /* the loop is in (or about to enter) poll */
    bool wake_pending;  /* a byte is on its way into the wake pipe */
    int exit_reason;
    BH *bh_head, *bh_tail;
    uint64_t bh_seq;
    void (*kick)(void *opaque);
    void *kick_opaque;

    FDHandler *fds;
    bool dispatching;
    struct pollfd *pfd;
    FDHandler **pfd_owner;
    unsigned pfd_cap;
} loop = { .lock = HOST_MUTEX_INITIALIZER };

static void deadline_moved(void *opaque, ClockType clock);

static void init_locked(void)
{
    if (loop.inited)
        return;
    if (host_event_init(&loop.wake) < 0)
        fatal("cannot create the main loop's wake-up pipe: %s", strerror(errno));
    loop.inited = true;
    timer_set_deadline_notify(deadline_moved, NULL);
}

void mainloop_init(void)
{
    host_mutex_lock(&loop.lock);
    init_locked();
    host_mutex_unlock(&loop.lock);
}

/* With loop.lock held: decide whether the pipe must be written. */
static bool need_wake_locked(void)
{
    init_locked();
    if (!loop.poll_active || loop.wake_pending)
        return false;
    loop.wake_pending = true;
    return true;
}

void mainloop_wake(void)
{
    host_mutex_lock(&loop.lock);
    bool w = need_wake_locked();
    host_mutex_unlock(&loop.lock);
    if (w)
        host_event_notify(&loop.wake);
}

/* Wake the loop and kick the vCPU. */
static void wake_and_kick(void)
{
    host_mutex_lock(&loop.lock);
    bool w = need_wake_locked();
    void (*kick)(void *) = loop.kick;
    void *kick_opaque = loop.kick_opaque;
    host_mutex_unlock(&loop.lock);
    if (w)
        host_event_notify(&loop.wake);
    if (kick)
        kick(kick_opaque);
}

static void deadline_moved(void *opaque, ClockType clock)
{
    wake_and_kick();
}

void mainloop_set_kick(void (*fn)(void *opaque), void *opaque)
{
    host_mutex_lock(&loop.lock);
    init_locked();
    loop.kick = fn;
    loop.kick_opaque = opaque;
    host_mutex_unlock(&loop.lock);
}

void mainloop_request_exit(int reason)
{
    host_mutex_lock(&loop.lock);
    if (!loop.exit_reason)
        loop.exit_reason = reason;
    host_mutex_unlock(&loop.lock);
    wake_and_kick();
}

/* Written by signal handlers, which may not take locks. */
static volatile sig_atomic_t signal_exit_reason;

void mainloop_signal_exit(int reason)
{
    if (!signal_exit_reason)
        signal_exit_reason = reason;
    /* Unconditionally: at worst one spurious wake-up. The pipe exists
     * once the handler can run, as mainloop_init comes first. */
    if (loop.inited)
        host_event_notify(&loop.wake);
}

int mainloop_exit_requested(void)
{
    host_mutex_lock(&loop.lock);
    if (!loop.exit_reason && signal_exit_reason)
        loop.exit_reason = signal_exit_reason;
    int r = loop.exit_reason;
    host_mutex_unlock(&loop.lock);
    return r;
}

/* ---- bottom halves -------------------------------------------------------- */

BH *bh_new(BHFunc *cb, void *opaque)
{
    BH *bh = calloc(1, sizeof(*bh));
    if (!bh)
        pemu_abort("out of memory");
    bh->cb = cb;
    bh->opaque = opaque;
    return bh;
}

static void bh_unlink_locked(BH *bh)
{
    if (bh->prev)
        bh->prev->next = bh->next;
    else
        loop.bh_head = bh->next;
    if (bh->next)
        bh->next->prev = bh->prev;
    else
        loop.bh_tail = bh->prev;
    bh->prev = bh->next = NULL;
    bh->scheduled = false;
}

void bh_schedule(BH *bh)
{
    host_mutex_lock(&loop.lock);
    if (!bh->scheduled) {
        bh->scheduled = true;
        bh->seq = ++loop.bh_seq;
        bh->prev = loop.bh_tail;
        bh->next = NULL;
        if (loop.bh_tail)
            loop.bh_tail->next = bh;
        else
            loop.bh_head = bh;
        loop.bh_tail = bh;
    }
    host_mutex_unlock(&loop.lock);
    wake_and_kick();
}

void bh_cancel(BH *bh)
{
    host_mutex_lock(&loop.lock);
    if (bh->scheduled)
        bh_unlink_locked(bh);
    host_mutex_unlock(&loop.lock);
}

void bh_delete(BH *bh)
{
    if (!bh)
        return;
    bh_cancel(bh);
    free(bh);
}

/* Run the BHs scheduled before this call; later ones wait for the next. */
static int run_bhs(void)
{
    int n = 0;
    host_mutex_lock(&loop.lock);
    uint64_t limit = loop.bh_seq;
    BH *bh;
    while ((bh = loop.bh_head) && bh->seq <= limit) {
        bh_unlink_locked(bh);
        host_mutex_unlock(&loop.lock);
        bh->cb(bh->opaque); /* may delete bh */
        n++;
        host_mutex_lock(&loop.lock);
    }
    host_mutex_unlock(&loop.lock);
    return n;
}

/* ---- file descriptors ----------------------------------------------------- */

static FDHandler *fd_find(int fd)
{
    for (FDHandler *h = loop.fds; h; h = h->next)
        if (h->fd == fd && !h->deleted)
            return h;
    return NULL;
}

static void fd_sweep(void)
{
    FDHandler **pp = &loop.fds;
    while (*pp) {
        FDHandler *h = *pp;
        if (h->deleted) {
            *pp = h->next;
            free(h);
        } else {
            pp = &h->next;
        }
    }
}

void mainloop_remove_fd_handler(int fd)
{
    FDHandler *h = fd_find(fd);
    if (!h)
        return;
    h->deleted = true;
    h->read_cb = h->write_cb = NULL;
    if (!loop.dispatching)
        fd_sweep();
}

void mainloop_set_fd_handler(int fd, IOHandler *read_cb, IOHandler *write_cb, void *opaque)
{
    mainloop_init();
    if (!read_cb && !write_cb) {
        mainloop_remove_fd_handler(fd);
        return;
    }
    if (fd < 0)
        pemu_abort("mainloop_set_fd_handler: bad fd %d", fd);
    FDHandler *h = fd_find(fd);
    if (!h) {
        h = calloc(1, sizeof(*h));
        if (!h)
            pemu_abort("out of memory");
        h->fd = fd;
        h->next = loop.fds;
        loop.fds = h;
    }
    h->read_cb = read_cb;
    h->write_cb = write_cb;
    h->opaque = opaque;
    mainloop_wake(); /* the set of polled fds changed */
}

/* Fill loop.pfd: slot 0 is the wake pipe, then one per handler. */
static unsigned build_pollfds(void)
{
    unsigned n = 1;
    for (FDHandler *h = loop.fds; h; h = h->next)
        n++;
    if (n > loop.pfd_cap) {
        unsigned cap = n * 2;
        struct pollfd *p = realloc(loop.pfd, cap * sizeof(*p));
        if (!p)
            pemu_abort("out of memory");
        loop.pfd = p;
        FDHandler **o = realloc(loop.pfd_owner, cap * sizeof(*o));
        if (!o)
            pemu_abort("out of memory");
        loop.pfd_owner = o;
        loop.pfd_cap = cap;
    }
    loop.pfd[0] = (struct pollfd){ .fd = host_event_fd(&loop.wake), .events = POLLIN };
    loop.pfd_owner[0] = NULL;
    n = 1;
    for (FDHandler *h = loop.fds; h; h = h->next) {
        loop.pfd[n] = (struct pollfd){
            .fd = h->fd,
            .events = (short)((h->read_cb ? POLLIN : 0) | (h->write_cb ? POLLOUT : 0)),
        };
        loop.pfd_owner[n++] = h;
    }
    return n;
}

static int dispatch_fds(unsigned n)
{
    int ran = 0;
    loop.dispatching = true;
    for (unsigned i = 1; i < n; i++) {
        FDHandler *h = loop.pfd_owner[i];
        short rev = loop.pfd[i].revents;
        if (!rev || h->deleted)
            continue;
        if (rev & POLLNVAL) {
            warn_report("main loop: fd %d was closed without removing its handler; "
                        "handler removed", h->fd);
            mainloop_remove_fd_handler(h->fd);
            continue;
        }
        /* Handlers may change or remove themselves (and others) as they run. */
        if ((rev & (POLLIN | POLLHUP | POLLERR)) && h->read_cb) {
            h->read_cb(h->opaque);
            ran++;
        }
        if ((rev & (POLLOUT | POLLHUP | POLLERR)) && h->write_cb && !h->deleted) {
            h->write_cb(h->opaque);
            ran++;
        }
    }
    loop.dispatching = false;
    fd_sweep();
    return ran;
}

/* ---- the loop ------------------------------------------------------------- */

static int64_t min_timeout(int64_t a, int64_t b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

int mainloop_wait(int64_t max_timeout_ns)
{
    mainloop_init();
    int64_t timeout = max_timeout_ns;

    /* poll_active is raised before the last look at the timers, the BH
     * queue and the exit flag: whoever changes them after that look writes
     * the wake pipe. */
    host_mutex_lock(&loop.lock);
    loop.poll_active = true;
    if (loop.bh_head || loop.exit_reason || signal_exit_reason)
        timeout = 0;
    host_mutex_unlock(&loop.lock);
    for (int c = 0; c < PEMU_CLOCK_MAX && timeout != 0; c++)
        timeout = min_timeout(timeout, timerlist_deadline_ns((ClockType)c));

    unsigned n = build_pollfds();
    bool unlock = global_held;
    if (unlock)
        pemu_mutex_unlock_global();
    int r = host_poll(loop.pfd, n, timeout);
    int err = errno;
    if (unlock)
        pemu_mutex_lock_global();

    host_mutex_lock(&loop.lock);
    loop.poll_active = false;
    loop.wake_pending = false;
    host_mutex_unlock(&loop.lock);

    int ran = 0;
    if (r < 0) {
        if (err != EINTR && err != EAGAIN)
            pemu_abort("poll: %s", strerror(err));
    } else if (r > 0) {
        /* Drain on any readable byte, even one written late by a waker
         * that lost the race with this wake-up: a stale byte left in the
         * pipe would make every later poll return at once. */
        if (loop.pfd[0].revents & POLLIN)
            host_event_drain(&loop.wake);
        ran += dispatch_fds(n);
    }
    ran += run_bhs();
    for (int c = 0; c < PEMU_CLOCK_MAX; c++)
        ran += timerlist_run_expired((ClockType)c);
    return ran;
}

int mainloop_run(void)
{
    int r;
    while (!(r = mainloop_exit_requested()))
        mainloop_wait(-1);
    host_mutex_lock(&loop.lock);
    loop.exit_reason = MAINLOOP_EXIT_NONE;
    signal_exit_reason = 0;
    host_mutex_unlock(&loop.lock);
    return r;
}
