/* Character backends (see chardev.h). */
#ifndef _XOPEN_SOURCE /* posix_openpt, grantpt, unlockpt, ptsname (pkg-config may set it) */
#define _XOPEN_SOURCE 700
#endif
#include "src/chardev.h"
#include "src/options.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "ports/posix.h"
#include "ports/term.h"
#include "src/mainloop.h"
#include "src/timer.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* hosts without it ignore SIGPIPE globally */
#endif

typedef enum ChrKind { CHR_NULL, CHR_STDIO, CHR_FILE, CHR_FD, CHR_PTY, CHR_SOCKET, CHR_VC } ChrKind;

/* Telnet (RFC 854) bytes. */
enum { TN_SE = 240, TN_BRK = 243, TN_SB = 250, TN_WILL = 251, TN_DONT = 254, TN_IAC = 255 };

struct Chardev {
    char *id;
    char *filename;
    ChrKind kind;
    bool mux;
    int claims;
    const ChardevHandlers *h;
    void *opaque;

    int in_fd, out_fd;      /* -1: none; equal for sockets and ptys */
    bool own_fds;           /* close them on free (not stdin/stdout) */
    bool connected;         /* has a peer: output goes somewhere */
    bool in_eof;            /* input ended (stdin at EOF) */
    bool out_dead;          /* output failed for good: drop from now on */
    bool out_blocking;      /* stdout: left blocking, written after a poll */
    bool reg_in_read, reg_out_write; /* what the main loop watches now */

    uint8_t *obuf;          /* queued output: obuf[ohead .. ohead+olen) */
    size_t ohead, olen, ocap;
    bool write_wanted;      /* a write was cut short: call write_ready */

    /* sockets */
    int listen_fd;
    bool server, is_unix, telnet;
    char *host, *port, *path;
    char *local;            /* "tcp:127.0.0.1:4444,server=on" */
    int reconnect_s;
    Timer *timer;           /* socket reconnect, pty connection poll */
    int tn_state;           /* telnet input parser */
    bool tn_cr;             /* the last data byte was CR (drop a NUL after it) */

    /* mux=on: the frontends sharing it; input goes to fe[focus] */
    struct { const ChardevHandlers *h; void *opaque; } fe[CHARDEV_MUX_MAX];
    int nfe, focus;
    bool mux_esc;           /* the escape key was just typed */

    /* vc: the display's terminal for it (NULL: output is dropped) */
    ChardevVcOutput *vc_out;
    void *vc_opaque;

    Chardev *next;
};

static Chardev *chardevs;
static bool stdio_in_use;

static void chr_read_cb(void *opaque);
static void chr_write_cb(void *opaque);
static void sock_disconnect(Chardev *c);
static void pty_went_away(Chardev *c);

/* ---- small helpers ---------------------------------------------------------- */

static void *chr_alloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p)
        fatal("out of memory (chardev)");
    return p;
}

static char *chr_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = chr_alloc(n);
    memcpy(p, s, n);
    return p;
}

static char *chr_printf(const char *fmt, ...) PEMU_PRINTF(1, 2);
static char *chr_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = chr_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static void chr_set_filename(Chardev *c, char *name)
{
    free(c->filename);
    c->filename = name;
}

/*
 * "key=value,key,..." with ",," standing for a comma inside a value. A bare
 * item has a NULL value. Parsed in place in a copy of the text.
 * (src/options.c will own one shared splitter; this one is private.)
 */
typedef struct ChrKV {
    char *buf;
    char *key[32];
    char *val[32];
    unsigned n;
} ChrKV;

static int chr_kv_parse(const char *text, ChrKV *kv, Error **errp)
{
    memset(kv, 0, sizeof(*kv));
    kv->buf = chr_strdup(text);
    char *r = kv->buf, *w = kv->buf;
    while (*r) {
        if (kv->n == PEMU_ARRAY_SIZE(kv->key)) {
            error_setg(errp, "'%s': too many options", text);
            return -1;
        }
        char *key = w;
        while (*r && *r != '=' && *r != ',')
            *w++ = *r++;
        if (w == key) {
            error_setg(errp, "'%s': empty option name", text);
            return -1;
        }
        char *val = NULL;
        if (*r == '=') {
            *w++ = '\0';
            r++;
            val = w;
            while (*r) {
                if (r[0] == ',' && r[1] == ',') {
                    *w++ = ',';
                    r += 2;
                } else if (r[0] == ',') {
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        if (*r == ',')
            r++;
        *w++ = '\0';
        kv->key[kv->n] = key;
        kv->val[kv->n] = val;
        kv->n++;
    }
    return 0;
}

static void chr_kv_free(ChrKV *kv)
{
    free(kv->buf);
}

/* on/off, yes/no, true/false, y/n; a bare key (NULL) means on. */
static int chr_parse_bool(const char *what, const char *v, bool *out, Error **errp)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n")) {
        *out = false;
        return 0;
    }
    error_setg(errp, "%s=%s: expects on or off", what, v);
    return -1;
}

static bool chr_id_valid(const char *id)
{
    if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
        return false;
    for (const char *p = id; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.' || ch == '_'))
            return false;
    }
    return true;
}

static Chardev *chr_new(const char *id, ChrKind kind, Error **errp)
{
    if (!id || !*id) {
        error_setg(errp, "a chardev needs an id (id=NAME)");
        return NULL;
    }
    if (!chr_id_valid(id)) {
        error_setg(errp, "chardev id '%s': use letters, digits, '-', '.' and '_', "
                   "starting with a letter", id);
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", id);
        return NULL;
    }
    Chardev *c = chr_alloc(sizeof(*c));
    c->id = chr_strdup(id);
    c->kind = kind;
    c->in_fd = c->out_fd = c->listen_fd = -1;
    return c;
}

/* Link a fully opened chardev into the registry. */
static Chardev *chr_publish(Chardev *c)
{
    Chardev **pp = &chardevs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = c;
    return c;
}

/* ---- main-loop registration ------------------------------------------------- */

static int chr_room(Chardev *c)
{
    if (!c->h || !c->h->can_receive)
        return 0;
    return c->h->can_receive(c->opaque);
}

/* Watch exactly what is needed: input while the frontend has room, output
 * while the queue holds bytes. Only changes are passed to the main loop. */
static void chr_update_fds(Chardev *c)
{
    bool rd = c->in_fd >= 0 && c->connected && !c->in_eof && chr_room(c) > 0;
    bool wr = c->out_fd >= 0 && c->olen > 0 && !c->out_dead;
    if (rd == c->reg_in_read && wr == c->reg_out_write)
        return;
    c->reg_in_read = rd;
    c->reg_out_write = wr;
    if (c->in_fd >= 0 && c->in_fd == c->out_fd) {
        mainloop_set_fd_handler(c->in_fd, rd ? chr_read_cb : NULL, wr ? chr_write_cb : NULL, c);
        return;
    }
    if (c->in_fd >= 0)
        mainloop_set_fd_handler(c->in_fd, rd ? chr_read_cb : NULL, NULL, c);
    if (c->out_fd >= 0)
        mainloop_set_fd_handler(c->out_fd, NULL, wr ? chr_write_cb : NULL, c);
}

/* Forget the fds' registrations (before closing or replacing them). */
static void chr_unwatch(Chardev *c)
{
    if (c->in_fd >= 0)
        mainloop_remove_fd_handler(c->in_fd);
    if (c->out_fd >= 0 && c->out_fd != c->in_fd)
        mainloop_remove_fd_handler(c->out_fd);
    c->reg_in_read = c->reg_out_write = false;
}

static void chr_event(Chardev *c, ChardevEvent ev)
{
    if (c->h && c->h->event)
        c->h->event(c->opaque, ev);
}

/* ---- output ----------------------------------------------------------------- */

static ssize_t chr_host_write(Chardev *c, const uint8_t *p, size_t n)
{
    if (c->kind == CHR_SOCKET)
        return send(c->out_fd, p, n, MSG_NOSIGNAL);
    if (c->out_blocking) {
        /* stdout stays blocking: O_NONBLOCK would apply to the open file
         * description it usually shares with stderr and the shell. Write
         * only what poll says fits, at most PIPE_BUF at a time. */
        struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };
        if (host_poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
            errno = EAGAIN;
            return -1;
        }
        if (n > PIPE_BUF)
            n = PIPE_BUF;
    }
    return write(c->out_fd, p, n);
}

/* The peer is gone or the output failed: what that means per backend. */
static void chr_output_failed(Chardev *c, int err)
{
    if (c->kind == CHR_SOCKET) {
        sock_disconnect(c);
    } else if (c->kind == CHR_PTY) {
        pty_went_away(c);
    } else {
        warn_report("chardev '%s' (%s): write failed: %s; dropping its output from now on",
                    c->id, c->filename, strerror(err));
        c->out_dead = true;
        c->olen = c->ohead = 0;
        chr_update_fds(c);
    }
}

/* Write queued bytes until the host would block. Returns false if the
 * chardev lost its peer on the way. */
static bool chr_drain(Chardev *c)
{
    while (c->olen) {
        ssize_t r = chr_host_write(c, c->obuf + c->ohead, c->olen);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            chr_output_failed(c, errno);
            return false;
        }
        if (r == 0)
            break;
        c->ohead += (size_t)r;
        c->olen -= (size_t)r;
    }
    if (!c->olen)
        c->ohead = 0;
    return true;
}

/* Queue n raw bytes (the caller checked the room) and try to send them. */
static void chr_put(Chardev *c, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    if (c->ohead + c->olen + n > c->ocap) {
        if (c->ohead) {
            memmove(c->obuf, c->obuf + c->ohead, c->olen);
            c->ohead = 0;
        }
        if (c->olen + n > c->ocap) {
            size_t cap = c->ocap ? c->ocap : 4096;
            while (cap < c->olen + n)
                cap *= 2;
            uint8_t *b = realloc(c->obuf, cap);
            if (!b)
                fatal("out of memory (chardev '%s' output queue)", c->id);
            c->obuf = b;
            c->ocap = cap;
        }
    }
    memcpy(c->obuf + c->ohead + c->olen, p, n);
    c->olen += n;
    if (c->olen == n) /* the queue was empty: send now */
        chr_drain(c);
}

size_t chardev_write(Chardev *c, const void *buf, size_t len)
{
    if (c && c->kind == CHR_VC) {
        if (c->vc_out)
            c->vc_out(c->vc_opaque, buf, len);
        return len;
    }
    if (!c || c->out_fd < 0 || !c->connected || c->out_dead)
        return len;
    const uint8_t *p = buf;
    size_t room = CHARDEV_OUTBUF_MAX - c->olen, taken = 0;
    if (c->telnet) {
        /* IAC in the data is sent twice. */
        while (taken < len && c->connected) {
            if (p[taken] == TN_IAC) {
                if (room < 2)
                    break;
                static const uint8_t iac2[2] = { TN_IAC, TN_IAC };
                chr_put(c, iac2, 2);
                room -= 2;
                taken++;
                continue;
            }
            size_t run = 0;
            while (taken + run < len && p[taken + run] != TN_IAC && run < room)
                run++;
            if (!run)
                break;
            chr_put(c, p + taken, run);
            room -= run;
            taken += run;
        }
    } else {
        taken = len < room ? len : room;
        chr_put(c, p, taken);
    }
    if (!c->connected) /* lost the peer while sending: the rest is dropped */
        return len;
    if (taken < len)
        c->write_wanted = true;
    chr_update_fds(c);
    return taken;
}

size_t chardev_pending(const Chardev *c)
{
    return c ? c->olen : 0;
}

static void chr_write_cb(void *opaque)
{
    Chardev *c = opaque;
    if (!chr_drain(c))
        return;
    chr_update_fds(c);
    if (!c->olen && c->write_wanted) {
        c->write_wanted = false;
        if (c->h && c->h->write_ready)
            c->h->write_ready(c->opaque);
    }
}

void chardev_flush_all(int64_t timeout_ns)
{
    int64_t deadline = host_clock_monotonic_ns() + timeout_ns;
    for (;;) {
        struct pollfd pfd[64];
        Chardev *who[64];
        unsigned n = 0;
        for (Chardev *c = chardevs; c && n < 64; c = c->next) {
            if (c->olen && c->out_fd >= 0 && !c->out_dead && c->connected) {
                pfd[n] = (struct pollfd){ .fd = c->out_fd, .events = POLLOUT };
                who[n++] = c;
            }
        }
        int64_t left = deadline - host_clock_monotonic_ns();
        if (!n || left <= 0)
            return;
        if (host_poll(pfd, n, left) <= 0)
            continue;
        for (unsigned i = 0; i < n; i++)
            if (pfd[i].revents)
                chr_write_cb(who[i]);
    }
}

/* ---- input ------------------------------------------------------------------ */

static void chr_deliver(Chardev *c, const uint8_t *p, size_t n)
{
    if (n && c->h && c->h->receive)
        c->h->receive(c->opaque, p, n);
}

/* Strip telnet commands from p[0..n) in place, delivering data and breaks
 * in order. Option negotiation replies are not needed: we announced
 * everything we do in sock_attach. */
static void telnet_input(Chardev *c, uint8_t *p, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        switch (c->tn_state) {
        case 0: /* data */
            if (b == TN_IAC) {
                c->tn_state = 1;
            } else if (b == 0 && c->tn_cr) {
                c->tn_cr = false; /* a client's CR NUL is a plain CR */
            } else {
                p[out++] = b;
                c->tn_cr = b == '\r';
            }
            break;
        case 1: /* after IAC */
            c->tn_state = 0;
            if (b == TN_IAC) {
                p[out++] = b;
                c->tn_cr = false;
            } else if (b == TN_BRK) {
                chr_deliver(c, p, out);
                out = 0;
                chr_event(c, CHARDEV_EVENT_BREAK);
            } else if (b >= TN_WILL && b <= TN_DONT) {
                c->tn_state = 2;
            } else if (b == TN_SB) {
                c->tn_state = 3;
            }
            break;
        case 2: /* the option byte of WILL/WONT/DO/DONT */
            c->tn_state = 0;
            break;
        case 3: /* subnegotiation, up to IAC SE */
            if (b == TN_IAC)
                c->tn_state = 4;
            break;
        case 4:
            c->tn_state = b == TN_SE ? 0 : 3;
            break;
        }
    }
    chr_deliver(c, p, out);
}

static void chr_input_ended(Chardev *c)
{
    if (c->kind == CHR_SOCKET) {
        sock_disconnect(c);
    } else if (c->kind == CHR_PTY) {
        pty_went_away(c);
    } else {
        c->in_eof = true;
        chr_update_fds(c);
    }
}

static void chr_read_cb(void *opaque)
{
    Chardev *c = opaque;
    uint8_t buf[4096];
    int room = chr_room(c);
    if (room <= 0 || c->in_fd < 0) {
        chr_update_fds(c);
        return;
    }
    size_t want = (size_t)room < sizeof(buf) ? (size_t)room : sizeof(buf);
    ssize_t r = read(c->in_fd, buf, want);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r <= 0) {
        chr_input_ended(c);
        return;
    }
    if (c->telnet)
        telnet_input(c, buf, (size_t)r);
    else
        chr_deliver(c, buf, (size_t)r);
    chr_update_fds(c);
}

void chardev_accept_input(Chardev *c)
{
    if (c)
        chr_update_fds(c);
}

/* ---- sockets ---------------------------------------------------------------- */

static void sock_listen_cb(void *opaque);
static int sock_connect(Chardev *c, Error **errp);

static void sock_watch_listen(Chardev *c, bool on)
{
    if (c->listen_fd >= 0)
        mainloop_set_fd_handler(c->listen_fd, on ? sock_listen_cb : NULL, NULL, c);
}

/* getnameinfo's buffer sizes are not in POSIX (glibc hides them under
 * strict POSIX feature macros); an IPv6 text address and a port fit these. */
#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif
#ifndef NI_MAXSERV
#define NI_MAXSERV 32
#endif

/* "tcp:H:P" / "telnet:H:P" / "unix:P" of an address, numeric. */
static char *sock_addr_text(const Chardev *c, const struct sockaddr *sa, socklen_t len)
{
    if (sa->sa_family == AF_UNIX)
        return chr_printf("unix:%s", c->path);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV))
        return chr_printf("%s:?:?", c->telnet ? "telnet" : "tcp");
    return chr_printf("%s:%s:%s", c->telnet ? "telnet" : "tcp", host, serv);
}

static void sock_attach(Chardev *c, int fd, char *peer)
{
    host_set_nonblocking(fd);
    if (!c->is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->in_fd = c->out_fd = fd;
    c->connected = true;
    c->in_eof = c->out_dead = false;
    c->olen = c->ohead = 0;
    c->tn_state = 0;
    c->tn_cr = false;
    chr_set_filename(c, peer ? chr_printf("%s <-> %s", c->local, peer) : chr_strdup(c->local));
    free(peer);
    if (c->server)
        sock_watch_listen(c, false); /* one client at a time */
    if (c->telnet) {
        /* IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WILL BINARY, IAC DO
         * BINARY: character mode, the guest echoes. */
        static const uint8_t nego[] = { 255, 251, 1, 255, 251, 3, 255, 251, 0, 255, 253, 0 };
        chr_put(c, nego, sizeof(nego));
    }
    chr_update_fds(c);
    if (c->connected)
        chr_event(c, CHARDEV_EVENT_OPENED);
}

static void sock_disconnect(Chardev *c)
{
    if (!c->connected)
        return;
    chr_unwatch(c);
    close(c->in_fd);
    c->in_fd = c->out_fd = -1;
    c->connected = false;
    c->olen = c->ohead = 0;
    bool wanted = c->write_wanted;
    c->write_wanted = false;
    chr_set_filename(c, chr_printf("disconnected:%s", c->local));
    chr_event(c, CHARDEV_EVENT_CLOSED);
    if (wanted && c->h && c->h->write_ready) /* writes are dropped now: unblock the frontend */
        c->h->write_ready(c->opaque);
    if (c->server)
        sock_watch_listen(c, true);
    else if (c->reconnect_s > 0)
        timer_mod_in(c->timer, c->reconnect_s * NS_PER_SEC);
}

static void sock_accept(Chardev *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept(c->listen_fd, (struct sockaddr *)&ss, &len);
    if (fd < 0)
        return; /* EAGAIN: the client gave up; the next one will come */
    char *peer = c->is_unix ? NULL : sock_addr_text(c, (struct sockaddr *)&ss, len);
    if (peer) {
        /* "tcp:1.2.3.4:5" -> "1.2.3.4:5": the peer needs no protocol */
        char *colon = strchr(peer, ':');
        char *bare = chr_strdup(colon ? colon + 1 : peer);
        free(peer);
        peer = bare;
    }
    sock_attach(c, fd, peer);
}

static void sock_listen_cb(void *opaque)
{
    Chardev *c = opaque;
    if (!c->connected)
        sock_accept(c);
}

static void sock_reconnect_cb(void *opaque)
{
    Chardev *c = opaque;
    if (c->connected)
        return;
    Error *err = NULL;
    if (sock_connect(c, &err) < 0) {
        error_free(err);
        timer_mod_in(c->timer, c->reconnect_s * NS_PER_SEC);
    }
}

static int sock_unix_addr(Chardev *c, struct sockaddr_un *sun, Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(c->path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "unix socket path '%s' is too long (at most %u bytes)", c->path,
                   (unsigned)sizeof(sun->sun_path) - 1);
        return -1;
    }
    strcpy(sun->sun_path, c->path);
    return 0;
}

static struct addrinfo *sock_resolve(Chardev *c, Error **errp)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    if (c->server)
        hints.ai_flags = AI_PASSIVE;
    struct addrinfo *res = NULL;
    const char *host = c->host && *c->host ? c->host : NULL;
    int e = getaddrinfo(host, c->port, &hints, &res);
    if (e) {
        error_setg(errp, "address resolution failed for %s:%s: %s", host ? host : "",
                   c->port, gai_strerror(e));
        return NULL;
    }
    return res;
}

static int sock_connect(Chardev *c, Error **errp)
{
    int fd = -1, err = 0;
    if (c->is_unix) {
        struct sockaddr_un sun;
        if (sock_unix_addr(c, &sun, errp) < 0)
            return -1;
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            error_setg(errp, "Failed to connect to '%s': %s", c->path, strerror(err ? err : errno));
            return -1;
        }
        sock_attach(c, fd, NULL);
        return 0;
    }
    struct addrinfo *res = sock_resolve(c, errp);
    if (!res)
        return -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg(errp, "Failed to connect to '%s:%s': %s", c->host ? c->host : "", c->port,
                   strerror(err));
        return -1;
    }
    sock_attach(c, fd, NULL);
    return 0;
}

static int sock_listen(Chardev *c, Error **errp)
{
    int fd = -1, err = 0;
    if (c->is_unix) {
        struct sockaddr_un sun;
        if (sock_unix_addr(c, &sun, errp) < 0)
            return -1;
        unlink(c->path); /* a stale socket from an earlier run */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1) < 0) {
            err = errno;
            if (fd >= 0)
                close(fd);
            error_setg(errp, "Failed to listen on unix socket '%s': %s", c->path, strerror(err));
            return -1;
        }
        c->local = chr_printf("unix:%s,server=on", c->path);
    } else {
        struct addrinfo *res = sock_resolve(c, errp);
        if (!res)
            return -1;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
            if (fd < 0) {
                err = errno;
                continue;
            }
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
                break;
            err = errno;
            close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0) {
            error_setg(errp, "Failed to listen on %s:%s: %s", c->host ? c->host : "", c->port,
                       strerror(err));
            return -1;
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        getsockname(fd, (struct sockaddr *)&ss, &len);
        char *a = sock_addr_text(c, (struct sockaddr *)&ss, len);
        c->local = chr_printf("%s,server=on", a);
        free(a);
    }
    host_set_nonblocking(fd);
    c->listen_fd = fd;
    return 0;
}

typedef struct SockOpts {
    const char *host, *port, *path;
    bool server, wait, telnet;
    int reconnect;
} SockOpts;

static Chardev *sock_open(const char *id, const SockOpts *o, Error **errp)
{
    if (!o->path && (!o->port || !*o->port)) {
        error_setg(errp, "chardev '%s': a socket needs port=PORT (tcp) or path=PATH (unix)", id);
        return NULL;
    }
    Chardev *c = chr_new(id, CHR_SOCKET, errp);
    if (!c)
        return NULL;
    c->is_unix = o->path != NULL;
    c->server = o->server;
    c->telnet = o->telnet;
    c->reconnect_s = o->server ? 0 : o->reconnect;
    c->host = chr_strdup(o->host);
    c->port = chr_strdup(o->port);
    c->path = chr_strdup(o->path);
    c->own_fds = true;
    c->timer = timer_new(PEMU_CLOCK_REALTIME, sock_reconnect_cb, c);
    if (c->server) {
        if (sock_listen(c, errp) < 0)
            goto fail;
        chr_set_filename(c, chr_printf("disconnected:%s", c->local));
        chr_publish(c);
        if (o->wait) {
            fprintf(stderr, "%s: info: pemu waiting for connection on: %s\n", error_progname(),
                    c->filename);
            struct pollfd pfd = { .fd = c->listen_fd, .events = POLLIN };
            while (!c->connected) {
                if (host_poll(&pfd, 1, -1) > 0)
                    sock_accept(c);
            }
        } else {
            sock_watch_listen(c, true);
        }
        return c;
    }
    c->local = c->is_unix ? chr_printf("unix:%s", c->path)
                          : chr_printf("%s:%s:%s", c->telnet ? "telnet" : "tcp",
                                       c->host ? c->host : "", c->port);
    chr_set_filename(c, chr_printf("disconnected:%s", c->local));
    Error *err = NULL;
    if (sock_connect(c, &err) < 0) {
        if (c->reconnect_s <= 0) {
            error_setg(errp, "chardev '%s': %s", id, err->msg);
            error_free(err);
            goto fail;
        }
        warn_report("chardev '%s': %s; retrying every %d s", id, err->msg, c->reconnect_s);
        error_free(err);
        timer_mod_in(c->timer, c->reconnect_s * NS_PER_SEC);
    }
    return chr_publish(c);
fail:
    chardev_free(c);
    return NULL;
}

/* ---- pty -------------------------------------------------------------------- */

static void pty_poll_cb(void *opaque);

/* Nobody holds the other side any more: drop output, look again each second. */
static void pty_went_away(Chardev *c)
{
    bool was = c->connected;
    c->connected = false;
    c->olen = c->ohead = 0;
    chr_update_fds(c);
    timer_mod_in(c->timer, NS_PER_SEC);
    if (was)
        chr_event(c, CHARDEV_EVENT_CLOSED);
    if (c->write_wanted) {
        c->write_wanted = false;
        if (c->h && c->h->write_ready)
            c->h->write_ready(c->opaque);
    }
}

/* The master reports a hang-up while no process has the slave open. */
static void pty_check(Chardev *c)
{
    struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
    host_poll(&pfd, 1, 0);
    if (pfd.revents & POLLHUP) {
        if (c->connected)
            pty_went_away(c);
        else
            timer_mod_in(c->timer, NS_PER_SEC);
        return;
    }
    if (!c->connected) {
        c->connected = true;
        chr_update_fds(c);
        chr_event(c, CHARDEV_EVENT_OPENED);
    }
}

static void pty_poll_cb(void *opaque)
{
    pty_check(opaque);
}

static Chardev *pty_open(const char *id, Error **errp)
{
    Chardev *c = chr_new(id, CHR_PTY, errp);
    if (!c)
        return NULL;
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    const char *name = NULL;
    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd))) {
        error_setg(errp, "chardev '%s': cannot create a pseudo-terminal: %s", id, strerror(errno));
        if (fd >= 0)
            close(fd);
        chardev_free(c);
        return NULL;
    }
    char *slave = chr_strdup(name);
    /* Raw mode on the slave side, so that bytes pass unchanged. */
    int sfd = open(slave, O_RDWR | O_NOCTTY);
    if (sfd >= 0) {
        struct termios t;
        if (tcgetattr(sfd, &t) == 0) {
            t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            t.c_oflag &= ~(tcflag_t)OPOST;
            t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
            t.c_cflag |= CS8;
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            tcsetattr(sfd, TCSANOW, &t);
        }
        close(sfd);
    }
    host_set_nonblocking(fd);
    c->in_fd = c->out_fd = fd;
    c->own_fds = true;
    c->timer = timer_new(PEMU_CLOCK_REALTIME, pty_poll_cb, c);
    chr_set_filename(c, chr_printf("pty:%s", slave));
    fprintf(stderr, "char device redirected to %s (label %s)\n", slave, id);
    free(slave);
    pty_check(c);
    return chr_publish(c);
}

/* ---- stdio, file, fd, null -------------------------------------------------- */

/* signal_keys: Ctrl-C etc. stop pemu (QEMU's signal=on; never for a mux,
 * whose Ctrl-A x is the way out and whose Ctrl-C belongs to the guest). */
static Chardev *stdio_open(const char *id, bool signal_keys, Error **errp)
{
    if (stdio_in_use) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return NULL;
    }
    Chardev *c = chr_new(id, CHR_STDIO, errp);
    if (!c)
        return NULL;
    stdio_in_use = true;
    c->in_fd = 0;
    c->out_fd = 1;
    c->out_blocking = true;
    c->connected = true;
    chr_set_filename(c, chr_strdup("stdio"));
    term_raw_enter(0, signal_keys);
    return chr_publish(c);
}

static Chardev *file_open(const char *id, const char *path, bool append, Error **errp)
{
    if (!path || !*path) {
        error_setg(errp, "chardev '%s': file needs path=PATH", id ? id : "");
        return NULL;
    }
    Chardev *c = chr_new(id, CHR_FILE, errp);
    if (!c)
        return NULL;
    int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0666);
    if (fd < 0) {
        error_setg(errp, "Could not open '%s': %s", path, strerror(errno));
        chardev_free(c);
        return NULL;
    }
    host_set_nonblocking(fd); /* matters for FIFOs */
    c->out_fd = fd;
    c->own_fds = true;
    c->connected = true;
    chr_set_filename(c, chr_printf("file:%s", path));
    return chr_publish(c);
}

Chardev *chardev_new_fd(const char *id, int in_fd, int out_fd, Error **errp)
{
    Chardev *c = chr_new(id, CHR_FD, errp);
    if (!c)
        return NULL;
    if (in_fd >= 0)
        host_set_nonblocking(in_fd);
    if (out_fd >= 0)
        host_set_nonblocking(out_fd);
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->own_fds = true;
    c->connected = true;
    chr_set_filename(c, chr_printf("fd:%d,%d", in_fd, out_fd));
    return chr_publish(c);
}

static Chardev *null_open(const char *id, Error **errp)
{
    Chardev *c = chr_new(id, CHR_NULL, errp);
    if (!c)
        return NULL;
    c->connected = true;
    chr_set_filename(c, chr_strdup("null"));
    return chr_publish(c);
}

static Chardev *vc_open(const char *id, Error **errp)
{
    Chardev *c = chr_new(id, CHR_VC, errp);
    if (!c)
        return NULL;
    c->connected = true;
    chr_set_filename(c, chr_strdup("vc"));
    return chr_publish(c);
}

bool chardev_is_vc(const Chardev *c) { return c->kind == CHR_VC; }

void chardev_vc_set_output(Chardev *c, ChardevVcOutput *fn, void *opaque)
{
    c->vc_out = fn;
    c->vc_opaque = opaque;
}

size_t chardev_vc_input(Chardev *c, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        int room = chr_room(c);
        if (room <= 0)
            break;
        size_t n = len - done < (size_t)room ? len - done : (size_t)room;
        chr_deliver(c, buf + done, n);
        done += n;
    }
    return done;
}

/* ---- option parsing --------------------------------------------------------- */

static const char backends_help[] =
    "null, stdio, file, pty, socket";

Chardev *chardev_new_opts(const char *opts, Error **errp)
{
    ChrKV kv;
    Chardev *c = NULL;
    if (chr_kv_parse(opts, &kv, errp) < 0)
        goto out;
    const char *backend = NULL, *id = NULL, *path = NULL;
    bool mux = false, append = false, signal_ = true;
    SockOpts so = { .wait = true };
    for (unsigned i = 0; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        bool ok = true;
        if (i == 0 && !v) {
            backend = k;
        } else if (!strcmp(k, "backend") && v) {
            backend = v;
        } else if (!strcmp(k, "id") && v) {
            id = v;
        } else if (!strcmp(k, "mux")) {
            ok = chr_parse_bool(k, v, &mux, errp) == 0;
        } else if (!strcmp(k, "path") && v) {
            path = v;
        } else if (!strcmp(k, "append")) {
            ok = chr_parse_bool(k, v, &append, errp) == 0;
        } else if (!strcmp(k, "signal")) {
            ok = chr_parse_bool(k, v, &signal_, errp) == 0; /* the console's business */
        } else if (!strcmp(k, "host") && v) {
            so.host = v;
        } else if (!strcmp(k, "port") && v) {
            so.port = v;
        } else if (!strcmp(k, "server")) {
            ok = chr_parse_bool(k, v, &so.server, errp) == 0;
        } else if (!strcmp(k, "wait")) {
            ok = chr_parse_bool(k, v, &so.wait, errp) == 0;
        } else if (!strcmp(k, "nowait") && !v) {
            so.wait = false;
        } else if (!strcmp(k, "telnet")) {
            ok = chr_parse_bool(k, v, &so.telnet, errp) == 0;
        } else if (!strcmp(k, "nodelay")) {
            bool dummy;
            ok = chr_parse_bool(k, v, &dummy, errp) == 0; /* always on */
        } else if (!strcmp(k, "reconnect") && v) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s < 0 || s > 86400) {
                error_setg(errp, "-chardev '%s': reconnect=%s: expects seconds (0..86400)", opts, v);
                ok = false;
            }
            so.reconnect = (int)s;
        } else {
            error_setg(errp, "-chardev '%s': invalid parameter '%s'", opts, k);
            ok = false;
        }
        if (!ok)
            goto out;
    }
    if (!backend) {
        error_setg(errp, "-chardev '%s': the backend is missing (one of %s)", opts, backends_help);
        goto out;
    }
    if (!id) {
        error_setg(errp, "-chardev %s: Parameter 'id' is missing", opts);
        goto out;
    }
    if (!strcmp(backend, "null")) {
        c = null_open(id, errp);
    } else if (!strcmp(backend, "stdio")) {
        c = stdio_open(id, signal_ && !mux, errp);
    } else if (!strcmp(backend, "file")) {
        c = file_open(id, path, append, errp);
    } else if (!strcmp(backend, "pty")) {
        c = pty_open(id, errp);
    } else if (!strcmp(backend, "socket")) {
        so.path = path;
        c = sock_open(id, &so, errp);
    } else {
        error_setg(errp, "-chardev '%s': backend '%s' is not supported (use one of %s)", opts,
                   backend, backends_help);
    }
    (void)signal_;
    if (c)
        c->mux = mux;
out:
    chr_kv_free(&kv);
    return c;
}

/* The options after "tcp:H:P," / "unix:P," in the legacy syntax. */
static int legacy_sock_opts(const char *spec, const char *opts, SockOpts *so, Error **errp)
{
    so->wait = true;
    while (opts && *opts) {
        const char *end = strchr(opts, ',');
        size_t n = end ? (size_t)(end - opts) : strlen(opts);
        char item[64];
        if (n >= sizeof(item)) {
            error_setg(errp, "'%s': option '%.*s' is not understood", spec, (int)n, opts);
            return -1;
        }
        memcpy(item, opts, n);
        item[n] = '\0';
        char *v = strchr(item, '=');
        if (v)
            *v++ = '\0';
        int r = 0;
        if (!strcmp(item, "server")) {
            r = chr_parse_bool(item, v, &so->server, errp);
        } else if (!strcmp(item, "wait")) {
            r = chr_parse_bool(item, v, &so->wait, errp);
        } else if (!strcmp(item, "nowait") && !v) {
            so->wait = false;
        } else if (!strcmp(item, "telnet")) {
            r = chr_parse_bool(item, v, &so->telnet, errp);
        } else if (!strcmp(item, "nodelay")) {
            bool dummy;
            r = chr_parse_bool(item, v, &dummy, errp);
        } else if (!strcmp(item, "reconnect") && v) {
            char *e;
            long s = strtol(v, &e, 10);
            if (*e || s < 0 || s > 86400) {
                error_setg(errp, "'%s': reconnect=%s: expects seconds (0..86400)", spec, v);
                return -1;
            }
            so->reconnect = (int)s;
        } else {
            error_setg(errp, "'%s': option '%s' is not understood (server, wait=off, nowait, "
                       "telnet, reconnect=SECONDS)", spec, item);
            return -1;
        }
        if (r < 0)
            return -1;
        opts = end ? end + 1 : NULL;
    }
    return 0;
}

int chardev_new_legacy(const char *id, const char *spec, Chardev **out, Error **errp)
{
    *out = NULL;
    if (!strcmp(spec, "none"))
        return 0;
    bool mux = false;
    const char *s = spec;
    if (!strncmp(s, "mon:", 4)) {
        mux = true;
        s += 4;
    }
    Chardev *c = NULL;
    if (!strncmp(s, "chardev:", 8)) {
        c = chardev_find(s + 8);
        if (!c) {
            error_setg(errp, "'%s': no chardev with id '%s' (define it with -chardev ...,id=%s)",
                       spec, s + 8, s + 8);
            return -1;
        }
        *out = c;
        return 0;
    }
    if (!strcmp(s, "null")) {
        c = null_open(id, errp);
    } else if (!strcmp(s, "stdio")) {
        c = stdio_open(id, !mux, errp);
    } else if (!strcmp(s, "pty")) {
        c = pty_open(id, errp);
    } else if (!strncmp(s, "file:", 5)) {
        c = file_open(id, s + 5, false, errp);
    } else if (!strncmp(s, "tcp:", 4) || !strncmp(s, "telnet:", 7)) {
        bool telnet = s[1] == 'e';
        const char *a = s + (telnet ? 7 : 4);
        const char *comma = strchr(a, ',');
        size_t alen = comma ? (size_t)(comma - a) : strlen(a);
        char *addr = chr_alloc(alen + 1);
        memcpy(addr, a, alen);
        /* HOST:PORT, [V6ADDR]:PORT or :PORT */
        char *host = addr, *colon;
        if (addr[0] == '[' && (colon = strchr(addr, ']')) && colon[1] == ':') {
            host = addr + 1;
            *colon = '\0';
            colon++;
        } else {
            colon = strrchr(addr, ':');
        }
        if (!colon || !colon[1]) {
            error_setg(errp, "'%s': expects %s:[HOST]:PORT", spec, telnet ? "telnet" : "tcp");
            free(addr);
            return -1;
        }
        *colon = '\0';
        SockOpts so = { .host = host, .port = colon + 1 };
        if (legacy_sock_opts(spec, comma ? comma + 1 : NULL, &so, errp) < 0) {
            free(addr);
            return -1;
        }
        so.telnet |= telnet;
        c = sock_open(id, &so, errp);
        free(addr);
    } else if (!strncmp(s, "unix:", 5)) {
        const char *a = s + 5;
        const char *comma = strchr(a, ',');
        size_t alen = comma ? (size_t)(comma - a) : strlen(a);
        if (!alen) {
            error_setg(errp, "'%s': expects unix:PATH", spec);
            return -1;
        }
        char *path = chr_alloc(alen + 1);
        memcpy(path, a, alen);
        SockOpts so = { .path = path };
        if (legacy_sock_opts(spec, comma ? comma + 1 : NULL, &so, errp) < 0) {
            free(path);
            return -1;
        }
        c = sock_open(id, &so, errp);
        free(path);
    } else {
        error_setg(errp, "'%s': unknown character device (use none, null, stdio, mon:stdio, pty, "
                   "file:PATH, tcp:HOST:PORT, telnet:HOST:PORT, unix:PATH or chardev:ID)", spec);
        return -1;
    }
    if (!c)
        return -1;
    c->mux = mux;
    *out = c;
    return 0;
}

/* ---- registry --------------------------------------------------------------- */

Chardev *chardev_find(const char *id)
{
    for (Chardev *c = chardevs; c; c = c->next)
        if (!strcmp(c->id, id))
            return c;
    return NULL;
}

Chardev *chardev_next(const Chardev *prev) { return prev ? prev->next : chardevs; }
const char *chardev_id(const Chardev *c) { return c->id; }
const char *chardev_filename(const Chardev *c) { return c->filename ? c->filename : ""; }
bool chardev_is_mux(const Chardev *c) { return c->mux; }
void chardev_set_mux(Chardev *c) { c->mux = true; }
bool chardev_is_connected(const Chardev *c) { return c->connected; }

int chardev_claim(Chardev *c, Error **errp)
{
    if (c->claims && !c->mux) {
        error_setg(errp, "chardev '%s' is already in use (share it with mux=on or mon:)", c->id);
        return -1;
    }
    c->claims++;
    return 0;
}

void chardev_release(Chardev *c)
{
    if (!c)
        return;
    if (c->claims > 0)
        c->claims--;
    chardev_set_handlers(c, NULL, NULL);
}

static void chr_attach(Chardev *c, const ChardevHandlers *h, void *opaque)
{
    c->h = h;
    c->opaque = opaque;
    c->write_wanted = false;
    chr_update_fds(c);
}

/* ---- the multiplexer (mux=on, "mon:") ----------------------------------------- */

static int mux_escape = 1; /* Ctrl-A */
static void (*mux_flush_hook)(void);

void chardev_mux_set_escape(int ch) { mux_escape = ch & 0xff; }
void chardev_mux_set_flush_hook(void (*fn)(void)) { mux_flush_hook = fn; }

static void mux_fe_event(Chardev *c, int i, ChardevEvent ev)
{
    if (i >= 0 && i < c->nfe && c->fe[i].h && c->fe[i].h->event)
        c->fe[i].h->event(c->fe[i].opaque, ev);
}

static int mux_can_receive(void *opaque)
{
    Chardev *c = opaque;
    if (c->mux_esc || c->nfe == 0)
        return 1;
    const ChardevHandlers *h = c->fe[c->focus].h;
    if (!h || !h->can_receive || !h->receive)
        return 1; /* nobody wants input: still read, for the escape keys */
    return h->can_receive(c->fe[c->focus].opaque);
}

static void mux_deliver(Chardev *c, uint8_t ch)
{
    if (c->nfe == 0)
        return;
    const ChardevHandlers *h = c->fe[c->focus].h;
    void *o = c->fe[c->focus].opaque;
    /* After a focus switch in the middle of a read the new frontend may
     * have no room: the byte is dropped, as typed-ahead text would be. */
    if (h && h->receive && (!h->can_receive || h->can_receive(o) > 0))
        h->receive(o, &ch, 1);
}

void chardev_mux_set_focus(Chardev *c, int index)
{
    if (!c->mux || index < 0 || index >= c->nfe || index == c->focus)
        return;
    mux_fe_event(c, c->focus, CHARDEV_EVENT_MUX_OUT);
    c->focus = index;
    mux_fe_event(c, c->focus, CHARDEV_EVENT_MUX_IN);
    chr_update_fds(c);
}

int chardev_mux_focus(const Chardev *c) { return c->focus; }

static void mux_help(Chardev *c)
{
    char e[8];
    if (mux_escape < 0x20)
        snprintf(e, sizeof(e), "C-%c", mux_escape + 'a' - 1);
    else
        snprintf(e, sizeof(e), "%c", mux_escape);
    char buf[600];
    int n = snprintf(buf, sizeof(buf),
                     "\r\n"
                     "%s h    print this help\r\n"
                     "%s x    exit emulator\r\n"
                     "%s s    save disk data back to file (if -snapshot)\r\n"
                     "%s b    send break (magic sysrq)\r\n"
                     "%s c    switch between console and monitor\r\n"
                     "%s %s  sends %s\r\n",
                     e, e, e, e, e, e, e, e);
    chardev_write(c, buf, (size_t)n);
}

static void mux_key(Chardev *c, uint8_t ch)
{
    if (c->mux_esc) {
        c->mux_esc = false;
        if (ch == mux_escape) {
            mux_deliver(c, ch);
            return;
        }
        switch (ch) {
        case 'h': case '?':
            mux_help(c);
            break;
        case 'x': {
            static const char msg[] = "pemu: terminated\r\n";
            chardev_write(c, msg, sizeof(msg) - 1);
            mainloop_request_exit(MAINLOOP_EXIT_QUIT);
            break;
        }
        case 's':
            if (mux_flush_hook)
                mux_flush_hook();
            break;
        case 'b':
            mux_fe_event(c, c->focus, CHARDEV_EVENT_BREAK);
            break;
        case 'c':
            if (c->nfe > 1)
                chardev_mux_set_focus(c, (c->focus + 1) % c->nfe);
            break;
        default:
            break; /* unknown: swallowed */
        }
        return;
    }
    if (ch == mux_escape) {
        c->mux_esc = true;
        return;
    }
    mux_deliver(c, ch);
}

static void mux_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Chardev *c = opaque;
    for (size_t i = 0; i < len; i++)
        mux_key(c, buf[i]);
}

static void mux_event(void *opaque, ChardevEvent ev)
{
    Chardev *c = opaque;
    for (int i = 0; i < c->nfe; i++)
        mux_fe_event(c, i, ev);
}

static void mux_write_ready(void *opaque)
{
    Chardev *c = opaque;
    for (int i = 0; i < c->nfe; i++)
        if (c->fe[i].h && c->fe[i].h->write_ready)
            c->fe[i].h->write_ready(c->fe[i].opaque);
}

static const ChardevHandlers mux_handlers = {
    mux_can_receive, mux_receive, mux_event, mux_write_ready,
};

/* A mux keeps one slot per frontend (known by its opaque); the first one
 * attached has the focus, Ctrl-A c moves it. */
static void mux_set_handlers(Chardev *c, const ChardevHandlers *h, void *opaque)
{
    int i;
    for (i = 0; i < c->nfe; i++)
        if (c->fe[i].opaque == opaque)
            break;
    if (!h) {
        if (!opaque) {
            c->nfe = 0; /* chardev_release without an owner: drop them all */
        } else if (i < c->nfe) {
            memmove(&c->fe[i], &c->fe[i + 1], (size_t)(c->nfe - i - 1) * sizeof(c->fe[0]));
            c->nfe--;
        }
        if (c->focus >= c->nfe)
            c->focus = 0;
        chr_attach(c, c->nfe ? &mux_handlers : NULL, c->nfe ? c : NULL);
        return;
    }
    if (i == c->nfe) {
        if (c->nfe == CHARDEV_MUX_MAX) {
            warn_report("chardev '%s': more than %d frontends; the last one gets no input",
                        c->id, CHARDEV_MUX_MAX);
            return;
        }
        c->nfe++;
    }
    c->fe[i].h = h;
    c->fe[i].opaque = opaque;
    chr_attach(c, &mux_handlers, c);
    if (c->connected)
        mux_fe_event(c, i, CHARDEV_EVENT_OPENED);
    if (i == c->focus)
        mux_fe_event(c, i, CHARDEV_EVENT_MUX_IN);
}

void chardev_set_handlers(Chardev *c, const ChardevHandlers *h, void *opaque)
{
    if (c->mux) {
        mux_set_handlers(c, h, opaque);
        return;
    }
    chr_attach(c, h, opaque);
    if (h && c->connected)
        chr_event(c, CHARDEV_EVENT_OPENED);
}

void chardev_be_event(Chardev *c, ChardevEvent ev)
{
    chr_event(c, ev);
}

void chardev_free(Chardev *c)
{
    if (!c)
        return;
    for (Chardev **pp = &chardevs; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    chr_unwatch(c);
    if (c->listen_fd >= 0) {
        mainloop_remove_fd_handler(c->listen_fd);
        close(c->listen_fd);
        if (c->is_unix && c->path)
            unlink(c->path);
    }
    if (c->own_fds) {
        if (c->in_fd >= 0)
            close(c->in_fd);
        if (c->out_fd >= 0 && c->out_fd != c->in_fd)
            close(c->out_fd);
    }
    if (c->kind == CHR_STDIO) {
        stdio_in_use = false;
        term_restore();
    }
    timer_free(c->timer);
    free(c->obuf);
    free(c->id);
    free(c->filename);
    free(c->host);
    free(c->port);
    free(c->path);
    free(c->local);
    free(c);
}

void chardev_free_all(void)
{
    while (chardevs)
        chardev_free(chardevs);
}

/* ---- from the parsed command line -------------------------------------------- */

Chardev *chardev_new_config(const ChardevConfig *cc, Error **errp)
{
    Chardev *c = NULL;
    char port[16];
    SockOpts so = { .host = cc->host, .server = cc->server, .wait = cc->wait,
                    .telnet = cc->telnet, .reconnect = cc->reconnect };

    switch (cc->backend) {
    case CHARDEV_NULL:
        c = null_open(cc->id, errp);
        break;
    case CHARDEV_STDIO:
        c = stdio_open(cc->id, cc->signal && !cc->mux, errp);
        break;
    case CHARDEV_FILE:
        c = file_open(cc->id, cc->path, cc->append, errp);
        break;
    case CHARDEV_PTY:
        c = pty_open(cc->id, errp);
        break;
    case CHARDEV_SOCKET:
        if (cc->port >= 0) {
            snprintf(port, sizeof(port), "%d", cc->port);
            so.port = port;
        } else {
            so.path = cc->path;
        }
        c = sock_open(cc->id, &so, errp);
        break;
    case CHARDEV_VC:
        /* A console of the display (ui/vc.c shows it); without a display
         * output goes nowhere, as QEMU's does with -display none. */
        c = vc_open(cc->id, errp);
        break;
    case CHARDEV_PIPE:
        error_setg(errp, "%s: the pipe backend is not supported yet",
                   cc->origin ? cc->origin : cc->id);
        break;
    }
    if (c)
        c->mux = cc->mux;
    return c;
}
