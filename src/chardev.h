/*
 * Character backends: where a UART, debugcon or the monitor sends its bytes
 * and gets its input from. QEMU's spellings:
 *
 *   -chardev BACKEND,id=ID[,...]    (chardev_new_opts)
 *       null | stdio[,signal=on|off] | file,path=P[,append=on] | pty
 *       socket,host=H,port=P[,server=on][,wait=off][,telnet=on][,reconnect=S]
 *       socket,path=P[,server=on][,wait=off]          (a Unix socket)
 *       mux=on on any of them
 *   -serial/-monitor SPEC            (chardev_new_legacy)
 *       none | null | stdio | mon:SPEC | pty | file:PATH | chardev:ID
 *       tcp:[HOST]:PORT[,server][,wait=off|,nowait][,telnet][,reconnect=S]
 *       telnet:[HOST]:PORT[,...]  (tcp with telnet) | unix:PATH[,server][,nowait]
 *
 * A server socket accepts one client at a time; when it leaves, the next
 * one is accepted. With wait (the default for a server) creation blocks
 * until the first client connects. A client socket with reconnect=S retries
 * every S seconds after a failure or a disconnect. A pty prints "char
 * device redirected to /dev/pts/N (label ID)" on stderr. While a socket has
 * no client, or nobody holds the pty's other side, output is discarded.
 *
 * "mon:" (and mux=on) make a multiplexer: up to CHARDEV_MUX_MAX frontends
 * (a UART, the monitor) share the chardev; all their output goes out, input
 * goes to the focused one (the first attached at start). QEMU's escape keys
 * (Ctrl-A, or -echr) work on the input: C-a h help, C-a x quit (exit 0),
 * C-a c next frontend, C-a s flush disks (hook), C-a b break event to the
 * focused frontend, C-a C-a a literal C-a. A frontend is known by its
 * opaque: chardev_set_handlers(chr, NULL, opaque) detaches only it.
 * stdio puts a terminal in raw mode (ports/term.h; signal keys stay only
 * for a plain stdio with signal=on) and restores it when freed or at exit.
 *
 * I/O never blocks the caller: chardev_write queues what the host cannot take
 * at once (up to CHARDEV_OUTBUF_MAX bytes) and the main loop's fd handlers
 * (src/mainloop.h) drain it. Input is read only while the frontend's
 * can_receive says it has room, so a UART's FIFO gives flow control: the
 * frontend calls chardev_accept_input when room appears again.
 *
 * Threads: everything runs under the global lock, in the main-loop thread.
 */
#ifndef PEMU_CHARDEV_H
#define PEMU_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/error.h"

typedef struct Chardev Chardev;

typedef enum ChardevEvent {
    CHARDEV_EVENT_OPENED,  /* a peer connected (socket client, pty opened) */
    CHARDEV_EVENT_CLOSED,  /* the peer went away */
    CHARDEV_EVENT_BREAK,   /* a serial break (telnet IAC BREAK, mux Ctrl-A b) */
    CHARDEV_EVENT_MUX_IN,  /* mux: this frontend now has the input focus */
    CHARDEV_EVENT_MUX_OUT, /* mux: it lost the focus */
} ChardevEvent;

/* The device side. Any callback may be NULL. */
typedef struct ChardevHandlers {
    /* How many bytes receive may be given now (0: none, try again after
     * chardev_accept_input). NULL: no input wanted. */
    int (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    void (*event)(void *opaque, ChardevEvent event);
    /* After chardev_write accepted less than asked: there is room again. */
    void (*write_ready)(void *opaque);
} ChardevHandlers;

#define CHARDEV_OUTBUF_MAX (1u << 20)
#define CHARDEV_MUX_MAX 4

/* The mux escape key for every mux (-echr; default 1 = Ctrl-A). */
void chardev_mux_set_escape(int ch);
/* Ctrl-A s: write cached disk data back (NULL: nothing to do). */
void chardev_mux_set_flush_hook(void (*fn)(void));
/* The focused frontend's index (attach order); set it (no-op if not a mux). */
int chardev_mux_focus(const Chardev *chr);
void chardev_mux_set_focus(Chardev *chr, int index);

/* -chardev "BACKEND,id=ID,..." (QEMU's ",," escaping). NULL + *errp on error. */
Chardev *chardev_new_opts(const char *opts, Error **errp);
/* A backend as the command-line parser described it (src/options.h). */
struct ChardevConfig;
Chardev *chardev_new_config(const struct ChardevConfig *cc, Error **errp);
/*
 * A legacy spelling (see above) for a new chardev named id ("serial0").
 * Returns 0 with *out set (NULL for "none"; the existing chardev for
 * "chardev:ID"), or -1 with *errp set.
 */
int chardev_new_legacy(const char *id, const char *spec, Chardev **out, Error **errp);
/* A chardev on open host fds (tests, UI consoles); takes ownership of
 * them; in_fd < 0: no input; in_fd may equal out_fd. */
Chardev *chardev_new_fd(const char *id, int in_fd, int out_fd, Error **errp);

/*
 * vc: a console of the display (-serial vc, the default serial port and
 * monitor with a display). The UI's terminal (ui/vc.c) takes its output
 * and types into it; without one output is dropped.
 */
typedef void ChardevVcOutput(void *opaque, const uint8_t *buf, size_t len);
bool chardev_is_vc(const Chardev *chr);
void chardev_vc_set_output(Chardev *chr, ChardevVcOutput *fn, void *opaque);
/* Typed input for the frontend: returns how much it took (its can_receive). */
size_t chardev_vc_input(Chardev *chr, const uint8_t *buf, size_t len);

Chardev *chardev_find(const char *id);
/* Every chardev in creation order: for (c = chardev_next(NULL); c; c = chardev_next(c)). */
Chardev *chardev_next(const Chardev *prev);
const char *chardev_id(const Chardev *chr);
/* What it is connected to, QEMU's `info chardev` text: "stdio",
 * "file:PATH", "pty:/dev/pts/3", "disconnected:tcp:127.0.0.1:4444,server=on",
 * "tcp:127.0.0.1:4444,server=on <-> 127.0.0.1:51000"... */
const char *chardev_filename(const Chardev *chr);
bool chardev_is_mux(const Chardev *chr);
/* Make chr a mux (before any frontend attaches; tests, UI consoles). */
void chardev_set_mux(Chardev *chr);
/* Has a peer: always for stdio/file/null/fd, sockets and ptys when connected. */
bool chardev_is_connected(const Chardev *chr);

/* A device property takes the chardev: one user unless it is a mux. */
int chardev_claim(Chardev *chr, Error **errp);
/* Drop a claim; also detaches the handlers. */
void chardev_release(Chardev *chr);

/* Attach a frontend (NULL h detaches). If the backend is connected the
 * frontend gets CHARDEV_EVENT_OPENED at once. */
void chardev_set_handlers(Chardev *chr, const ChardevHandlers *h, void *opaque);
/* The frontend can take input again (its can_receive grew). */
void chardev_accept_input(Chardev *chr);

/*
 * Send bytes; never blocks. Returns how many were taken (sent or queued):
 * len unless the queue is full, in which case the frontend gets
 * write_ready later. Without a peer bytes are dropped and len is returned.
 */
size_t chardev_write(Chardev *chr, const void *buf, size_t len);
/* Bytes queued and not yet taken by the host. */
size_t chardev_pending(const Chardev *chr);
/* At exit: try to write every queue out, waiting at most timeout_ns in all. */
void chardev_flush_all(int64_t timeout_ns);

/* Backend side (the mux, tests): deliver an event to the frontend. */
void chardev_be_event(Chardev *chr, ChardevEvent event);

void chardev_free(Chardev *chr);
void chardev_free_all(void);

#endif
