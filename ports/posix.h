/*
 * Host OS services: clocks, sleeping, threads, locks, a wake-up channel for
 * poll(2) loops, and non-blocking fds.
 *
 * This header is the seam for non-Linux hosts: src/ calls only these
 * functions for time and threads, and ports/posix.c implements them with
 * POSIX calls (plus guarded Linux/BSD/macOS refinements). Every function
 * either works or reports through its return value; none prints.
 */
#ifndef PEMU_PORTS_POSIX_H
#define PEMU_PORTS_POSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pollfd;

/* ---- time ---------------------------------------------------------------- */

/* Monotonic host time in ns (never jumps, arbitrary epoch). */
int64_t host_clock_monotonic_ns(void);
/* Wall-clock time in ns since the Unix epoch (may jump when the host's
 * clock is set). */
int64_t host_clock_realtime_ns(void);
/* Sleep for at least ns (restarted after signals). */
void host_sleep_ns(int64_t ns);

/* ---- threads and locks ---------------------------------------------------- */

/* C11 thread-local storage; every compiler pemu supports has it. */
#define HOST_THREAD_LOCAL _Thread_local

typedef struct HostMutex { pthread_mutex_t m; } HostMutex;
typedef struct HostCond { pthread_cond_t c; } HostCond;
typedef struct HostThread { pthread_t t; } HostThread;

#define HOST_MUTEX_INITIALIZER { PTHREAD_MUTEX_INITIALIZER }

/* Lock failures are broken invariants (never bad input): they abort. */
void host_mutex_init(HostMutex *m);
void host_mutex_destroy(HostMutex *m);
void host_mutex_lock(HostMutex *m);
void host_mutex_unlock(HostMutex *m);

/* Condition variables measure timeouts on the monotonic clock. */
void host_cond_init(HostCond *c);
void host_cond_destroy(HostCond *c);
void host_cond_wait(HostCond *c, HostMutex *m);
/* Wait at most timeout_ns; returns false on timeout. */
bool host_cond_timedwait(HostCond *c, HostMutex *m, int64_t timeout_ns);
void host_cond_signal(HostCond *c);
void host_cond_broadcast(HostCond *c);

/* Returns 0, or an errno value when the thread could not be created. */
int host_thread_create(HostThread *t, void *(*fn)(void *), void *arg);
void *host_thread_join(HostThread *t);

/* ---- file descriptors ----------------------------------------------------- */

/* Returns 0, or -1 with errno set. */
int host_set_nonblocking(int fd);

/*
 * A wake-up channel for a poll(2) loop: any thread calls host_event_notify,
 * the loop polls host_event_fd for POLLIN and calls host_event_drain.
 * A plain pipe, so it works on every POSIX host.
 */
typedef struct HostEvent { int rfd, wfd; } HostEvent;

/* Returns 0, or -1 with errno set. */
int host_event_init(HostEvent *e);
void host_event_destroy(HostEvent *e);
int host_event_fd(const HostEvent *e);
/* Async-signal-safe; a full pipe already means "wake up", so it never blocks. */
void host_event_notify(HostEvent *e);
void host_event_drain(HostEvent *e);

/*
 * poll(2) with a timeout in ns (-1 waits forever). Uses ppoll's ns precision
 * where the host has it; plain poll rounds the timeout up to whole ms so a
 * caller never wakes before its deadline. Returns what poll returns.
 */
int host_poll(struct pollfd *fds, unsigned nfds, int64_t timeout_ns);

#endif
