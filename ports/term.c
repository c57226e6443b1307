/* Host terminal raw mode (see term.h). POSIX termios. */
#include "ports/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_now;
static bool hooks_installed;
static const char *volatile restore_output;

void term_set_restore_output(const char *s)
{
    restore_output = s;
}

void term_restore(void)
{
    if (saved_fd < 0)
        return;
    /* Restored again even when done already: a full-screen UI's library
     * (curses' endwin) may have put back its own raw "shell" modes since. */
    if (raw_now) {
        raw_now = 0;
        const char *out = restore_output;
        if (out && *out) {
            /* write(2) is async-signal-safe; a short write is not worth a retry */
            ssize_t r = write(STDOUT_FILENO, out, strlen(out));
            (void)r;
        }
    }
    tcsetattr(saved_fd, TCSANOW, &saved); /* async-signal-safe (POSIX) */
}

bool term_is_raw(void)
{
    return raw_now != 0;
}

/* Fatal and terminating signals: restore, then die the way the signal
 * would have made us die (exit status and core dumps as usual). */
static void term_signal(int sig)
{
    term_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_hooks(void)
{
    static const int sigs[] = { SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
    if (hooks_installed)
        return;
    hooks_installed = true;
    atexit(term_restore);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = term_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(sigs[i], &sa, NULL);
    }
}

bool term_raw_enter(int fd, bool keep_signal_keys)
{
    struct termios t;
    if (raw_now || !isatty(fd) || tcgetattr(fd, &t) < 0)
        return false;
    saved = t;
    saved_fd = fd;
    install_hooks();
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST; /* keep "\n" -> "\r\n" on output */
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    if (keep_signal_keys)
        t.c_lflag |= ISIG;
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        return false;
    raw_now = 1;
    return true;
}
