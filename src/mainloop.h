/*
 * The event loop: file descriptor handlers, bottom halves and the timers of
 * every clock, around one poll(2).
 *
 * Threading rules
 * - The global lock (pemu_mutex_lock_global) protects all device and machine
 *   state, timers, fd handlers and BH creation/deletion. The thread running
 *   the loop holds it except while it sleeps in poll; under KVM a vCPU
 *   thread takes it to handle an exit. Single-threaded programs (and the
 *   interpreter, whose vCPU runs in the loop thread) may ignore it:
 *   mainloop_wait releases it only if the calling thread holds it.
 * - Thread-safe from any thread, with or without the lock: bh_schedule,
 *   mainloop_wake, mainloop_request_exit (none of them from a signal
 *   handler: use mainloop_signal_exit there).
 * - Callbacks (fd, BH, timer) run in the loop thread with the lock held
 *   (when the caller of mainloop_wait held it).
 */
#ifndef PEMU_MAINLOOP_H
#define PEMU_MAINLOOP_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the global lock ------------------------------------------------------ */

void pemu_mutex_lock_global(void);
void pemu_mutex_unlock_global(void);
/* Does the calling thread hold it? (for assertions) */
bool pemu_mutex_global_held(void);

/* ---- the loop ------------------------------------------------------------- */

/* Create the wake-up pipe and hook the timer deadline notifier. Called
 * implicitly by the functions below; idempotent. Fatal if the host cannot
 * create a pipe. */
void mainloop_init(void);

/*
 * One iteration: poll the fds for at most max_timeout_ns (-1: no limit;
 * 0: do not sleep), shortened to the earliest timer deadline and to 0 when
 * a BH is scheduled; then dispatch ready fds, run scheduled BHs, run expired
 * timers on every clock. Returns the number of callbacks run.
 */
int mainloop_wait(int64_t max_timeout_ns);

/* Exit reasons; any positive value is allowed. */
enum {
    MAINLOOP_EXIT_NONE = 0,
    MAINLOOP_EXIT_QUIT = 1,      /* monitor "quit", SIGINT/SIGTERM */
    MAINLOOP_EXIT_SHUTDOWN = 2,  /* the guest powered off */
    MAINLOOP_EXIT_ERROR = 3,     /* a fatal condition reported by a device or accel */
};

/* Iterate until mainloop_request_exit; return (and clear) its reason. */
int mainloop_run(void);
/* Thread-safe. The first reason given since the last mainloop_run wins. */
void mainloop_request_exit(int reason);
/* The same from a signal handler (async-signal-safe). */
void mainloop_signal_exit(int reason);
/* The pending exit reason, MAINLOOP_EXIT_NONE if none. */
int mainloop_exit_requested(void);

/* Thread-safe: make a poll in progress (or the next one) return at once. */
void mainloop_wake(void);

/*
 * The vCPU kick: called when a BH is scheduled or a timer deadline moves
 * earlier, so that a running vCPU returns to the loop at its next slice
 * boundary. May be called from any thread, with or without the global
 * lock: fn must be thread-safe and quick (set a flag, signal a thread).
 */
void mainloop_set_kick(void (*fn)(void *opaque), void *opaque);

/* ---- file descriptors ----------------------------------------------------- */

typedef void IOHandler(void *opaque);

/*
 * Watch fd for reading (read_cb) and/or writing (write_cb); replaces any
 * handler already set for fd. Both NULL removes it. A hang-up or error on
 * the fd is delivered to read_cb (the read then sees EOF or the error).
 * Handlers may be added or removed from inside any callback.
 */
void mainloop_set_fd_handler(int fd, IOHandler *read_cb, IOHandler *write_cb, void *opaque);
void mainloop_remove_fd_handler(int fd);

/* ---- bottom halves -------------------------------------------------------- */

/* A callback run once by the loop soon after it is scheduled. */
typedef struct BH BH;
typedef void BHFunc(void *opaque);

BH *bh_new(BHFunc *cb, void *opaque);
/*
 * Thread-safe. Schedules the BH to run in the loop (once, however often it
 * is scheduled before it runs), wakes the loop and kicks the vCPU. BHs run
 * in the order they were scheduled; one scheduled from a BH callback runs
 * in the next iteration.
 */
void bh_schedule(BH *bh);
/* Unschedule (loop thread). */
void bh_cancel(BH *bh);
/* Cancel and free (loop thread; also from its own callback). NULL ok. */
void bh_delete(BH *bh);

#endif
