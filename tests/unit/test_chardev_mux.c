/* The chardev multiplexer (mux=on) and the monitor on it: focus, the
 * escape keys, output sharing, the monitor's line editing and commands. */
#include "unit.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ports/posix.h"
#include "src/chardev.h"
#include "src/mainloop.h"
#include "src/monitor.h"
#include "src/timer.h"

typedef struct Rec {
    char buf[4096];
    size_t len;
    int opened, breaks, mux_in, mux_out;
} Rec;

static int rec_can_receive(void *opaque) { (void)opaque; return 64; }

static void rec_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Rec *r = opaque;
    if (r->len + len < sizeof(r->buf)) {
        memcpy(r->buf + r->len, buf, len);
        r->len += len;
    }
}

static void rec_event(void *opaque, ChardevEvent ev)
{
    Rec *r = opaque;
    r->opened += ev == CHARDEV_EVENT_OPENED;
    r->breaks += ev == CHARDEV_EVENT_BREAK;
    r->mux_in += ev == CHARDEV_EVENT_MUX_IN;
    r->mux_out += ev == CHARDEV_EVENT_MUX_OUT;
}

static const ChardevHandlers rec_handlers = { rec_can_receive, rec_receive, rec_event, NULL };

static int flushes;
static void count_flush(void) { flushes++; }

/* The test's terminal: what pemu wrote so far (NUL-terminated). */
static char term[16384];
static size_t term_len;

static void pump(int in_w, const char *keys, int out_r)
{
    if (keys && *keys)
        CHECK_EQ(write(in_w, keys, strlen(keys)), (ssize_t)strlen(keys));
    for (int i = 0; i < 20; i++) {
        mainloop_wait(2 * NS_PER_MS);
        struct pollfd p = { .fd = out_r, .events = POLLIN };
        while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
            ssize_t n = read(out_r, term + term_len, sizeof(term) - 1 - term_len);
            if (n <= 0)
                break;
            term_len += (size_t)n;
            term[term_len] = '\0';
        }
    }
}

static void term_clear(void) { term_len = 0; term[0] = '\0'; }

static bool mon_running_flag = true;
static int resets;
static void t_reset(void *o) { (void)o; resets++; }
static void t_stop(void *o) { (void)o; mon_running_flag = false; }
static void t_cont(void *o) { (void)o; mon_running_flag = true; }
static bool t_running(void *o) { (void)o; return mon_running_flag; }
static void t_regs(FILE *f, void *o) { (void)o; fprintf(f, "EAX=00000001\nEIP=00001234\n"); }

TEST(mux_escape_keys_and_monitor)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("m", in[0], out[1], &err);
    CHECK(c);
    chardev_set_mux(c);
    CHECK(chardev_is_mux(c));
    chardev_mux_set_flush_hook(count_flush);
    MonitorOps ops = { NULL, t_regs, NULL, NULL, t_reset, t_stop, t_cont, t_running };
    monitor_set_ops(&ops);

    Rec uart = { .len = 0 };
    CHECK_EQ(chardev_claim(c, &err), 0);
    chardev_set_handlers(c, &rec_handlers, &uart);
    Monitor *mon = monitor_new(c, &err);
    CHECK(mon);
    CHECK_EQ(uart.opened, 1);
    CHECK_EQ(chardev_mux_focus(c), 0); /* the first frontend keeps the focus */

    /* plain bytes and C-a C-a go to the UART; C-a b is a break for it */
    pump(in[1], "ab\x01\x01z\x01" "b", out[0]);
    CHECK_EQ(uart.len, 4);
    CHECK(!memcmp(uart.buf, "ab\x01z", 4));
    CHECK_EQ(uart.breaks, 1);
    /* C-a s: the flush hook; C-a h: the help */
    pump(in[1], "\x01s\x01h", out[0]);
    CHECK_EQ(flushes, 1);
    CHECK(strstr(term, "C-a x    exit emulator"));
    CHECK(strstr(term, "C-a c    switch between console and monitor"));

    /* C-a c: the monitor gets the focus, its banner and prompt */
    term_clear();
    pump(in[1], "\x01" "c", out[0]);
    CHECK_EQ(chardev_mux_focus(c), 1);
    CHECK_EQ(uart.mux_out, 1);
    CHECK(strstr(term, "monitor - type 'help'"));
    CHECK(strstr(term, "(pemu) "));
    term_clear();
    pump(in[1], "info status\r", out[0]);
    CHECK(strstr(term, "VM status: running\r\n(pemu) "));
    term_clear();
    pump(in[1], "stop\rinfo status\r", out[0]);
    CHECK(strstr(term, "VM status: paused"));
    pump(in[1], "cont\r", out[0]);
    CHECK(mon_running_flag);
    term_clear();
    pump(in[1], "info registers\r", out[0]);
    CHECK(strstr(term, "EIP=00001234\r\n"));
    pump(in[1], "system_reset\r", out[0]);
    CHECK_EQ(resets, 1);
    term_clear();
    pump(in[1], "foo bar\r", out[0]);
    CHECK(strstr(term, "unknown command: 'foo'"));
    term_clear();
    pump(in[1], "info nothing\r", out[0]);
    CHECK(strstr(term, "unknown info command: 'nothing'"));
    /* line editing: backspace and C-u */
    term_clear();
    pump(in[1], "info stx\x7f" "atus\r", out[0]);
    CHECK(strstr(term, "VM status"));
    term_clear();
    pump(in[1], "junk\x15info version\r", out[0]);
    CHECK(strstr(term, "0.1.0"));
    CHECK(!strstr(term, "unknown command"));
    /* the monitor's input never reaches the UART */
    CHECK_EQ(uart.len, 4);
    term_clear();
    pump(in[1], "help\r", out[0]);
    CHECK(strstr(term, "quit|q  -- quit the emulator"));
    CHECK(strstr(term, "system_reset  -- reset the system"));

    /* back to the UART */
    pump(in[1], "\x01" "cxy", out[0]);
    CHECK_EQ(chardev_mux_focus(c), 0);
    CHECK_EQ(uart.mux_in, 2);
    CHECK_EQ(uart.len, 6);
    /* both frontends' output goes out */
    term_clear();
    chardev_write(c, "from-uart\n", 10);
    monitor_printf(mon, "from-monitor\n");
    pump(in[1], NULL, out[0]);
    CHECK(strstr(term, "from-uart\nfrom-monitor\r\n"));

    /* C-a x: quit */
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    term_clear();
    pump(in[1], "\x01x", out[0]);
    CHECK(strstr(term, "pemu: terminated"));
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_QUIT);
    mainloop_run(); /* returns at once and clears the request */

    monitor_free(mon);
    chardev_set_handlers(c, NULL, &uart);
    chardev_free(c);
    close(in[1]);
    close(out[0]);
}

TEST(mux_echr_changes_the_escape)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("e", in[0], out[1], &err);
    CHECK(c);
    chardev_set_mux(c);
    chardev_mux_set_escape(0x14); /* -echr 20: Ctrl-T */
    Rec a = { .len = 0 }, b = { .len = 0 };
    chardev_set_handlers(c, &rec_handlers, &a);
    chardev_set_handlers(c, &rec_handlers, &b);
    pump(in[1], "\x01" "c1\x14" "c2", out[0]);
    CHECK_EQ(a.len, 3); /* C-a is an ordinary byte now */
    CHECK(!memcmp(a.buf, "\x01" "c1", 3));
    CHECK_EQ(b.len, 1);
    CHECK_EQ(b.buf[0], '2');
    term_clear();
    pump(in[1], "\x14h", out[0]);
    CHECK(strstr(term, "C-t x    exit emulator"));
    /* detaching one frontend leaves the other */
    chardev_set_handlers(c, NULL, &b);
    CHECK_EQ(chardev_mux_focus(c), 0);
    pump(in[1], "q", out[0]);
    CHECK_EQ(a.len, 4);
    chardev_mux_set_escape(1);
    chardev_free(c);
    close(in[1]);
    close(out[0]);
}

TEST(monitor_without_hooks)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("n", in[0], out[1], &err);
    CHECK(c);
    MonitorOps none = { 0 };
    monitor_set_ops(&none);
    term_clear();
    Monitor *mon = monitor_new(c, &err);
    CHECK(mon);
    pump(in[1], NULL, out[0]);
    CHECK(strstr(term, "(pemu) ")); /* not a mux: banner on open */
    term_clear();
    pump(in[1], "info mtree\r", out[0]);
    CHECK(strstr(term, "info mtree: not available"));
    term_clear();
    pump(in[1], "info chardev\r", out[0]);
    CHECK(strstr(term, "n: filename=fd:"));
    /* a second monitor cannot claim a chardev that is not a mux */
    CHECK(!monitor_new(c, &err));
    CHECK(err);
    error_free(err);
    err = NULL;
    pump(in[1], "q\r", out[0]);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_QUIT);
    mainloop_run();
    monitor_free_all();
    chardev_free(c);
    close(in[1]);
    close(out[0]);
}

