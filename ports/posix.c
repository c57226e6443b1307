/* Host OS services on POSIX hosts (Linux, the BSDs, macOS). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* ppoll */
#endif
#include "ports/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#define HOST_HAVE_PPOLL 1
#endif
/* macOS has no pthread_condattr_setclock: its waits use the realtime clock. */
#if !defined(__APPLE__)
#define HOST_HAVE_COND_MONOTONIC 1
#endif

/* ports/ must not depend on src/: a failed lock call is a broken invariant. */
static void host_check(int err, const char *what)
{
    if (err) {
        fprintf(stderr, "pemu: internal error: %s: %s\n", what, strerror(err));
        abort();
    }
}

int64_t host_clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t host_clock_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ns_to_timespec(int64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

void host_sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = ns_to_timespec(ns);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void host_mutex_init(HostMutex *m)
{
    host_check(pthread_mutex_init(&m->m, NULL), "pthread_mutex_init");
}

void host_mutex_destroy(HostMutex *m)
{
    host_check(pthread_mutex_destroy(&m->m), "pthread_mutex_destroy");
}

void host_mutex_lock(HostMutex *m)
{
    host_check(pthread_mutex_lock(&m->m), "pthread_mutex_lock");
}

void host_mutex_unlock(HostMutex *m)
{
    host_check(pthread_mutex_unlock(&m->m), "pthread_mutex_unlock");
}

void host_cond_init(HostCond *c)
{
    pthread_condattr_t a;
    host_check(pthread_condattr_init(&a), "pthread_condattr_init");
#if HOST_HAVE_COND_MONOTONIC
    host_check(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), "pthread_condattr_setclock");
#endif
    host_check(pthread_cond_init(&c->c, &a), "pthread_cond_init");
    pthread_condattr_destroy(&a);
}

void host_cond_destroy(HostCond *c)
{
    host_check(pthread_cond_destroy(&c->c), "pthread_cond_destroy");
}

void host_cond_wait(HostCond *c, HostMutex *m)
{
    host_check(pthread_cond_wait(&c->c, &m->m), "pthread_cond_wait");
}

bool host_cond_timedwait(HostCond *c, HostMutex *m, int64_t timeout_ns)
{
    if (timeout_ns < 0)
        timeout_ns = 0;
#if HOST_HAVE_COND_MONOTONIC
    struct timespec ts = ns_to_timespec(host_clock_monotonic_ns() + timeout_ns);
#else
    struct timespec ts = ns_to_timespec(host_clock_realtime_ns() + timeout_ns);
#endif
    int err = pthread_cond_timedwait(&c->c, &m->m, &ts);
    if (err == ETIMEDOUT)
        return false;
    host_check(err, "pthread_cond_timedwait");
    return true;
}

void host_cond_signal(HostCond *c)
{
    host_check(pthread_cond_signal(&c->c), "pthread_cond_signal");
}

void host_cond_broadcast(HostCond *c)
{
    host_check(pthread_cond_broadcast(&c->c), "pthread_cond_broadcast");
}

int host_thread_create(HostThread *t, void *(*fn)(void *), void *arg)
{
    return pthread_create(&t->t, NULL, fn, arg);
}

void *host_thread_join(HostThread *t)
{
    void *ret = NULL;
    host_check(pthread_join(t->t, &ret), "pthread_join");
    return ret;
}

int host_set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    if (fl & O_NONBLOCK)
        return 0;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static int set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0 ? -1 : 0;
}

int host_event_init(HostEvent *e)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    if (host_set_nonblocking(p[0]) < 0 || host_set_nonblocking(p[1]) < 0 ||
        set_cloexec(p[0]) < 0 || set_cloexec(p[1]) < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        errno = err;
        return -1;
    }
    e->rfd = p[0];
    e->wfd = p[1];
    return 0;
}

void host_event_destroy(HostEvent *e)
{
    if (e->rfd >= 0)
        close(e->rfd);
    if (e->wfd >= 0)
        close(e->wfd);
    e->rfd = e->wfd = -1;
}

int host_event_fd(const HostEvent *e)
{
    return e->rfd;
}

void host_event_notify(HostEvent *e)
{
    static const char one = 1;
    int saved = errno; /* may run in a signal handler */
    while (write(e->wfd, &one, 1) < 0 && errno == EINTR)
        ;
    errno = saved;
}

void host_event_drain(HostEvent *e)
{
    char buf[64];
    for (;;) {
        ssize_t n = read(e->rfd, buf, sizeof(buf));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        break; /* EAGAIN: empty */
    }
}

int host_poll(struct pollfd *fds, unsigned nfds, int64_t timeout_ns)
{
#if HOST_HAVE_PPOLL
    if (timeout_ns >= 0) {
        struct timespec ts = ns_to_timespec(timeout_ns);
        return ppoll(fds, nfds, &ts, NULL);
    }
    return ppoll(fds, nfds, NULL, NULL);
#else
    int ms;
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns >= (int64_t)INT32_MAX * 1000000)
        ms = INT32_MAX;
    else
        ms = (int)((timeout_ns + 999999) / 1000000);
    return poll(fds, (nfds_t)nfds, ms);
#endif
}
