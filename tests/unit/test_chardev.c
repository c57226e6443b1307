/* src/chardev: option spellings, fd/pipe I/O with flow control, the output
 * queue, files, TCP/telnet/unix sockets on the loopback, pty. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "ports/posix.h"
#include "src/chardev.h"
#include "src/mainloop.h"
#include "src/timer.h"

typedef struct Rec {
    uint8_t buf[8192];
    size_t len;
    int room;          /* what can_receive answers; < 0: plenty */
    int opened, closed, breaks, ready;
} Rec;

static int rec_can_receive(void *opaque)
{
    Rec *r = opaque;
    return r->room < 0 ? 4096 : r->room;
}

static void rec_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Rec *r = opaque;
    if (r->room >= 0 && len > (size_t)r->room)
        r->len = sizeof(r->buf) + 1; /* a frontend overrun: make it visible */
    if (r->len + len <= sizeof(r->buf)) {
        memcpy(r->buf + r->len, buf, len);
        r->len += len;
        if (r->room > 0)
            r->room -= (int)len;
    }
}

static void rec_event(void *opaque, ChardevEvent ev)
{
    Rec *r = opaque;
    if (ev == CHARDEV_EVENT_OPENED)
        r->opened++;
    else if (ev == CHARDEV_EVENT_CLOSED)
        r->closed++;
    else if (ev == CHARDEV_EVENT_BREAK)
        r->breaks++;
}

static void rec_ready(void *opaque)
{
    ((Rec *)opaque)->ready++;
}

static const ChardevHandlers rec_handlers = { rec_can_receive, rec_receive, rec_event, rec_ready };

#define PUMP_UNTIL(cond, ms)                                                       \
    do {                                                                           \
        int64_t end_ = host_clock_monotonic_ns() + (int64_t)(ms) * NS_PER_MS;      \
        while (!(cond) && host_clock_monotonic_ns() < end_)                        \
            mainloop_wait(5 * NS_PER_MS);                                          \
    } while (0)

/* Read what is available on fd within ms milliseconds. */
static size_t read_some(int fd, void *buf, size_t len, int ms)
{
    size_t got = 0;
    int64_t end = host_clock_monotonic_ns() + (int64_t)ms * NS_PER_MS;
    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int64_t left = end - host_clock_monotonic_ns();
        if (left <= 0 || host_poll(&p, 1, left) <= 0)
            break;
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static int port_of(const Chardev *c)
{
    /* "disconnected:tcp:127.0.0.1:PORT,server=on" */
    const char *f = chardev_filename(c);
    const char *comma = strchr(f, ',');
    const char *p = comma;
    while (p > f && p[-1] != ':')
        p--;
    return atoi(p);
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- parsing -------------------------------------------------------------- */

TEST(opts_errors)
{
    Error *err = NULL;
    CHECK(!chardev_new_opts("null", &err));
    CHECK(err && strstr(err->msg, "'id'"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new_opts("vc,id=x", &err));
    CHECK(err && strstr(err->msg, "'vc'"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new_opts("null,id=x,colour=red", &err));
    CHECK(err && strstr(err->msg, "'colour'"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new_opts("socket,id=x,host=127.0.0.1,server=maybe", &err));
    CHECK(err && strstr(err->msg, "server=maybe"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new_opts("socket,id=x,host=127.0.0.1", &err)); /* no port */
    CHECK(err && strstr(err->msg, "port"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new_opts("file,id=x", &err));
    CHECK(err && strstr(err->msg, "path"));
    error_free(err);
    err = NULL;
    CHECK(chardev_new_opts("null,id=x", &err));
    CHECK(!chardev_new_opts("null,id=x", &err));
    CHECK(err && strstr(err->msg, "Duplicate ID 'x'"));
    error_free(err);
    chardev_free_all();
}

TEST(legacy_spellings)
{
    Error *err = NULL;
    Chardev *c = (Chardev *)1;
    CHECK_EQ(chardev_new_legacy("serial0", "none", &c, &err), 0);
    CHECK(!c && !err);
    CHECK_EQ(chardev_new_legacy("serial0", "null", &c, &err), 0);
    CHECK(c && chardev_find("serial0") == c && !chardev_is_mux(c));
    CHECK_STR(chardev_filename(c), "null");
    Chardev *ref = NULL;
    CHECK_EQ(chardev_new_legacy("serial1", "chardev:serial0", &ref, &err), 0);
    CHECK(ref == c);
    CHECK_EQ(chardev_new_legacy("serial1", "chardev:nope", &ref, &err), -1);
    CHECK(err && strstr(err->msg, "nope"));
    error_free(err);
    err = NULL;
    CHECK_EQ(chardev_new_legacy("serial1", "bogus:1", &ref, &err), -1);
    CHECK(err && strstr(err->msg, "bogus:1"));
    error_free(err);
    err = NULL;
    CHECK_EQ(chardev_new_legacy("serial1", "tcp:127.0.0.1", &ref, &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(chardev_new_legacy("serial1", "tcp:127.0.0.1:0,server,frobnicate", &ref, &err), -1);
    CHECK(err && strstr(err->msg, "frobnicate"));
    error_free(err);
    err = NULL;
    CHECK_EQ(chardev_new_legacy("mon0", "mon:stdio", &ref, &err), 0);
    CHECK(ref && chardev_is_mux(ref));
    CHECK_STR(chardev_filename(ref), "stdio");
    /* one stdio only */
    CHECK(!chardev_new_opts("stdio,id=s2", &err));
    CHECK(err && strstr(err->msg, "stdio"));
    error_free(err);
    chardev_free_all();
}

TEST(claims)
{
    Error *err = NULL;
    Chardev *c = chardev_new_opts("null,id=a", &err);
    CHECK_EQ(chardev_claim(c, &err), 0);
    CHECK_EQ(chardev_claim(c, &err), -1);
    CHECK(err && strstr(err->msg, "'a'"));
    error_free(err);
    err = NULL;
    chardev_release(c);
    CHECK_EQ(chardev_claim(c, &err), 0);
    Chardev *mx = chardev_new_opts("null,id=b,mux=on", &err);
    CHECK(mx && chardev_is_mux(mx));
    CHECK_EQ(chardev_claim(mx, &err), 0);
    CHECK_EQ(chardev_claim(mx, &err), 0);
    chardev_free_all();
}

/* ---- fds and flow control ------------------------------------------------- */

TEST(pipe_io_with_flow_control)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("p", in[0], out[1], &err);
    CHECK(c);
    Rec r = { .room = 3 };
    chardev_set_handlers(c, &rec_handlers, &r);
    CHECK_EQ(r.opened, 1); /* already connected */
    CHECK_EQ(chardev_write(c, "hello", 5), 5);
    char buf[16];
    CHECK_EQ(read_some(out[0], buf, 5, 1000), 5);
    CHECK(!memcmp(buf, "hello", 5));

    CHECK_EQ(write(in[1], "abcdefgh", 8), 8);
    PUMP_UNTIL(r.len == 3, 1000);
    CHECK_EQ(r.len, 3);
    /* no room: nothing more is read even though the loop runs */
    for (int i = 0; i < 5; i++)
        mainloop_wait(2 * NS_PER_MS);
    CHECK_EQ(r.len, 3);
    r.room = 100;
    chardev_accept_input(c);
    PUMP_UNTIL(r.len == 8, 1000);
    CHECK_EQ(r.len, 8);
    CHECK(!memcmp(r.buf, "abcdefgh", 8));
    /* EOF on input: no busy loop, output still works */
    close(in[1]);
    for (int i = 0; i < 3; i++)
        mainloop_wait(2 * NS_PER_MS);
    CHECK_EQ(chardev_write(c, "x", 1), 1);
    CHECK_EQ(read_some(out[0], buf, 1, 1000), 1);
    chardev_free(c);
    close(out[0]);
}

TEST(output_queue_never_blocks)
{
    int out[2];
    CHECK(pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("q", -1, out[1], &err);
    Rec r = { .room = 0 };
    chardev_set_handlers(c, &rec_handlers, &r);
    static uint8_t block[65536];
    for (size_t i = 0; i < sizeof(block); i++)
        block[i] = (uint8_t)(i * 7);
    /* nobody reads: the pipe fills, then the queue, then writes come up short */
    size_t total = 0, n;
    int64_t t0 = host_clock_monotonic_ns();
    while ((n = chardev_write(c, block, sizeof(block))) == sizeof(block))
        total += n;
    total += n;
    CHECK(host_clock_monotonic_ns() - t0 < 5 * NS_PER_SEC);
    CHECK(total >= CHARDEV_OUTBUF_MAX);
    CHECK_EQ(chardev_pending(c), CHARDEV_OUTBUF_MAX);
    CHECK_EQ(r.ready, 0);
    /* drain on the other side: the main loop sends the rest, then write_ready */
    size_t got = 0;
    static uint8_t rb[65536];
    int64_t end = host_clock_monotonic_ns() + 10 * NS_PER_SEC;
    bool same = true;
    while (got < total && host_clock_monotonic_ns() < end) {
        ssize_t k = read(out[0], rb, sizeof(rb));
        for (ssize_t i = 0; i < k; i++)
            if (rb[i] != block[(got + (size_t)i) % sizeof(block)])
                same = false;
        if (k > 0)
            got += (size_t)k;
        mainloop_wait(0);
    }
    CHECK_EQ(got, total);
    CHECK(same); /* in order, nothing lost or doubled */
    PUMP_UNTIL(r.ready, 1000);
    CHECK_EQ(r.ready, 1);
    CHECK_EQ(chardev_pending(c), 0);
    chardev_free(c);
    close(out[0]);
}

TEST(file_backend)
{
    char path[512], spec[600];
    snprintf(path, sizeof(path), "%s/out.txt", unit_tmpdir());
    snprintf(spec, sizeof(spec), "file:%s", path);
    Error *err = NULL;
    Chardev *c = NULL;
    CHECK_EQ(chardev_new_legacy("f", spec, &c, &err), 0);
    CHECK_EQ(chardev_write(c, "line 1\n", 7), 7);
    chardev_free(c);
    /* -chardev file,path= with append */
    snprintf(spec, sizeof(spec), "file,id=f2,path=%s,append=on", path);
    c = chardev_new_opts(spec, &err);
    CHECK(c && !err);
    CHECK_EQ(chardev_write(c, "line 2\n", 7), 7);
    chardev_free(c);
    FILE *f = fopen(path, "r");
    char buf[64] = "";
    CHECK(f && fread(buf, 1, sizeof(buf) - 1, f) == 14);
    fclose(f);
    CHECK_STR(buf, "line 1\nline 2\n");
    CHECK_EQ(chardev_new_legacy("f3", "file:/nonexistent-dir/x", &c, &err), -1);
    CHECK(err && strstr(err->msg, "/nonexistent-dir/x"));
    error_free(err);
}

TEST(null_and_be_event)
{
    Error *err = NULL;
    Chardev *c = chardev_new_opts("null,id=n", &err);
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    CHECK_EQ(chardev_write(c, "abc", 3), 3);
    chardev_be_event(c, CHARDEV_EVENT_BREAK);
    CHECK_EQ(r.breaks, 1);
    chardev_release(c); /* detaches */
    chardev_be_event(c, CHARDEV_EVENT_BREAK);
    CHECK_EQ(r.breaks, 1);
    chardev_free_all();
}

/* ---- sockets ---------------------------------------------------------------- */

TEST(tcp_server_accepts_one_client_at_a_time)
{
    Error *err = NULL;
    Chardev *c = chardev_new_opts("socket,id=t,host=127.0.0.1,port=0,server=on,wait=off", &err);
    CHECK(c && !err);
    CHECK(!strncmp(chardev_filename(c), "disconnected:tcp:127.0.0.1:", 27));
    CHECK(!chardev_is_connected(c));
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    CHECK_EQ(r.opened, 0);
    CHECK_EQ(chardev_write(c, "lost", 4), 4); /* no client: dropped */
    int port = port_of(c);
    CHECK(port > 0);
    int fd = tcp_connect(port);
    CHECK(fd >= 0);
    PUMP_UNTIL(r.opened == 1, 2000);
    CHECK_EQ(r.opened, 1);
    CHECK(chardev_is_connected(c));
    CHECK(strstr(chardev_filename(c), " <-> 127.0.0.1:"));
    CHECK_EQ(chardev_write(c, "hi", 2), 2);
    char buf[16];
    CHECK_EQ(read_some(fd, buf, 2, 1000), 2);
    CHECK(!memcmp(buf, "hi", 2));
    CHECK_EQ(write(fd, "yo", 2), 2);
    PUMP_UNTIL(r.len == 2, 1000);
    CHECK(r.len == 2 && !memcmp(r.buf, "yo", 2));
    /* a second client waits in the backlog until the first leaves */
    int fd2 = tcp_connect(port);
    CHECK(fd2 >= 0);
    CHECK_EQ(write(fd2, "2nd", 3), 3);
    for (int i = 0; i < 5; i++)
        mainloop_wait(2 * NS_PER_MS);
    CHECK_EQ(r.len, 2);
    close(fd);
    PUMP_UNTIL(r.closed == 1 && r.opened == 2, 2000);
    CHECK_EQ(r.closed, 1);
    CHECK_EQ(r.opened, 2);
    PUMP_UNTIL(r.len == 5, 1000);
    CHECK(r.len == 5 && !memcmp(r.buf + 2, "2nd", 3));
    CHECK_EQ(chardev_write(c, "to2", 3), 3);
    CHECK_EQ(read_some(fd2, buf, 3, 1000), 3);
    CHECK(!memcmp(buf, "to2", 3));
    close(fd2);
    chardev_free(c);
}

TEST(telnet_negotiates_escapes_and_breaks)
{
    Error *err = NULL;
    Chardev *c = NULL;
    CHECK_EQ(chardev_new_legacy("tn", "telnet:127.0.0.1:0,server,nowait", &c, &err), 0);
    CHECK(c);
    CHECK(!strncmp(chardev_filename(c), "disconnected:telnet:127.0.0.1:", 30));
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    int fd = tcp_connect(port_of(c));
    CHECK(fd >= 0);
    PUMP_UNTIL(r.opened, 2000);
    uint8_t buf[32];
    static const uint8_t nego[] = { 255, 251, 1, 255, 251, 3, 255, 251, 0, 255, 253, 0 };
    CHECK_EQ(read_some(fd, buf, sizeof(nego), 1000), sizeof(nego));
    CHECK(!memcmp(buf, nego, sizeof(nego)));
    /* output: IAC doubled */
    CHECK_EQ(chardev_write(c, "\xff" "a", 2), 2);
    CHECK_EQ(read_some(fd, buf, 3, 1000), 3);
    CHECK(!memcmp(buf, "\xff\xff" "a", 3));
    /* input: IAC IAC -> 0xff, IAC DO x dropped, CR NUL -> CR, IAC BREAK -> event */
    static const uint8_t in[] = { 'x', 255, 255, 255, 253, 1, '\r', 0, 'y', 255, 243, 'z' };
    CHECK_EQ(write(fd, in, sizeof(in)), (ssize_t)sizeof(in));
    PUMP_UNTIL(r.len == 5, 1000);
    CHECK_EQ(r.len, 5);
    CHECK(!memcmp(r.buf, "x\xff\ryz", 5));
    CHECK_EQ(r.breaks, 1);
    close(fd);
    chardev_free(c);
}

TEST(tcp_client_reconnects)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0);
    socklen_t al = sizeof(a);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    int port = ntohs(a.sin_port);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d,reconnect=1", port);
    Error *err = NULL;
    Chardev *c = NULL;
    CHECK_EQ(chardev_new_legacy("cl", spec, &c, &err), 0);
    CHECK(chardev_is_connected(c));
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(chardev_write(c, "cli", 3), 3);
    char buf[8];
    CHECK_EQ(read_some(fd, buf, 3, 1000), 3);
    close(fd); /* the server drops us: reconnect after 1 s */
    PUMP_UNTIL(r.closed == 1, 2000);
    CHECK_EQ(r.closed, 1);
    PUMP_UNTIL(r.opened == 2, 3000);
    CHECK_EQ(r.opened, 2);
    fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "back", 4), 4);
    PUMP_UNTIL(r.len == 4, 1000);
    CHECK(r.len == 4 && !memcmp(r.buf, "back", 4));
    close(fd);
    close(lfd);
    chardev_free(c);
    /* without reconnect a refused connection is an error naming the address */
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    CHECK_EQ(chardev_new_legacy("cl2", spec, &c, &err), -1);
    CHECK(err && strstr(err->msg, "127.0.0.1"));
    error_free(err);
}

typedef struct Connector {
    int port;
    int fd;
} Connector;

static void *connector(void *opaque)
{
    Connector *k = opaque;
    for (int i = 0; i < 200 && k->fd < 0; i++) {
        host_sleep_ns(10 * NS_PER_MS);
        k->fd = tcp_connect(k->port);
    }
    return NULL;
}

TEST(tcp_server_wait_blocks_until_a_client)
{
    /* find a free port, then let a thread connect while creation waits */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(t, (struct sockaddr *)&a, sizeof(a)) == 0);
    socklen_t al = sizeof(a);
    getsockname(t, (struct sockaddr *)&a, &al);
    close(t);
    Connector k = { .port = ntohs(a.sin_port), .fd = -1 };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, connector, &k) == 0);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d,server=on", k.port);
    Error *err = NULL;
    Chardev *c = NULL;
    CHECK_EQ(chardev_new_legacy("w", spec, &c, &err), 0);
    pthread_join(th, NULL);
    CHECK(c && chardev_is_connected(c));
    CHECK(k.fd >= 0);
    close(k.fd);
    chardev_free(c);
}

TEST(unix_socket_server)
{
    char path[512], spec[600];
    snprintf(path, sizeof(path), "%s/s.sock", unit_tmpdir());
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sun.sun_path))
        SKIP("temporary directory path too long for a unix socket");
    memcpy(sun.sun_path, path, strlen(path) + 1);
    snprintf(spec, sizeof(spec), "socket,id=u,path=%s,server=on,wait=off", path);
    Error *err = NULL;
    Chardev *c = chardev_new_opts(spec, &err);
    CHECK(c && !err);
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
    PUMP_UNTIL(r.opened, 2000);
    CHECK_EQ(r.opened, 1);
    CHECK_EQ(chardev_write(c, "unix", 4), 4);
    char buf[8];
    CHECK_EQ(read_some(fd, buf, 4, 1000), 4);
    CHECK(!memcmp(buf, "unix", 4));
    close(fd);
    chardev_free(c);
    CHECK(access(path, F_OK) != 0); /* the socket file is removed */
}

TEST(pty_backend)
{
    char log[512];
    snprintf(log, sizeof(log), "%s/stderr", unit_tmpdir());
    int save = dup(2);
    int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(lfd, 2);
    Error *err = NULL;
    Chardev *c = chardev_new_opts("pty,id=pt", &err);
    dup2(save, 2);
    close(lfd);
    close(save);
    if (!c) {
        const char *msg = err ? err->msg : "?";
        SKIP("no pseudo-terminals here: %s", msg);
    }
    const char *name = chardev_filename(c);
    CHECK(!strncmp(name, "pty:/dev/", 9));
    FILE *f = fopen(log, "r");
    char line[256] = "", want[256];
    CHECK(f && fgets(line, sizeof(line), f));
    fclose(f);
    snprintf(want, sizeof(want), "char device redirected to %s (label pt)\n", name + 4);
    CHECK_STR(line, want);
    Rec r = { .room = -1 };
    chardev_set_handlers(c, &rec_handlers, &r);
    CHECK(!chardev_is_connected(c)); /* nobody has the other side yet */
    int sfd = open(name + 4, O_RDWR | O_NOCTTY);
    CHECK(sfd >= 0);
    PUMP_UNTIL(r.opened, 3000); /* polled once a second */
    CHECK_EQ(r.opened, 1);
    CHECK_EQ(chardev_write(c, "\n\r\x01", 3), 3);
    char buf[8];
    CHECK_EQ(read_some(sfd, buf, 3, 1000), 3);
    CHECK(!memcmp(buf, "\n\r\x01", 3)); /* raw: no CR/LF translation */
    CHECK_EQ(write(sfd, "k\r", 2), 2);
    PUMP_UNTIL(r.len == 2, 1000);
    CHECK(r.len == 2 && !memcmp(r.buf, "k\r", 2));
    close(sfd);
    PUMP_UNTIL(r.closed, 2000);
    CHECK_EQ(r.closed, 1);
    CHECK_EQ(chardev_write(c, "x", 1), 1); /* dropped, not queued */
    CHECK_EQ(chardev_pending(c), 0);
    chardev_free(c);
}
