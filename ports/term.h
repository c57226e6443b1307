/*
 * The host terminal: raw mode for a stdio chardev, and its restoration on
 * every way out of the process (exit, fatal errors, signals, crashes).
 */
#ifndef PEMU_TERM_H
#define PEMU_TERM_H

#include <stdbool.h>

/*
 * Put fd (stdin) in raw mode if it is a terminal: no echo, no line editing,
 * signal keys only if keep_signal_keys (else Ctrl-C goes to the guest, as
 * with QEMU's mux stdio or signal=off), no CR/LF translation on input; output post-processing stays
 * on so that "\n" still starts a new line. Saves the previous attributes
 * and arranges for term_restore at exit and on SIGHUP, SIGQUIT, SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE and SIGABRT (restore, then the default action).
 * SIGINT and SIGTERM are left to the caller, which must call term_restore
 * (or exit normally). Returns true if the terminal was changed.
 */
bool term_raw_enter(int fd, bool keep_signal_keys);
/* Put the saved attributes back; idempotent and async-signal-safe. */
void term_restore(void);
/*
 * Bytes term_restore also writes to stdout (a full-screen UI's "leave the
 * alternate screen, show the cursor"), or NULL. s must stay valid.
 */
void term_set_restore_output(const char *s);
/* Is a terminal in raw mode now? */
bool term_is_raw(void);

#endif
