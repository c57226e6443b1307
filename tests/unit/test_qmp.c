/* QMP: the streamer (framing), the session (negotiation, dispatch,
 * argument checks, errors), the wire format, and a monitor on a chardev
 * with events and a reconnecting client. */
#include "unit.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/accel/accel.h"
#include "src/chardev.h"
#include "src/mainloop.h"
#include "src/qmp.h"
#include "src/timer.h"

#ifndef CONFIG_JANSSON

TEST(qmp_without_jansson)
{
    Error *err = NULL;
    CHECK(!qmp_monitor_new(NULL, false, &err));
    CHECK(err && strstr(err->msg, "libjansson-dev"));
    error_free(err);
}

#else

/* ---- the streamer ---------------------------------------------------------------- */

typedef struct Got {
    char msg[16][256];
    char err[16][128];
    int n, nerr;
    int order[32]; /* 'm' or 'e' per callback */
    int norder;
} Got;

static void got_emit(void *opaque, const char *text, size_t len, const char *err)
{
    Got *g = opaque;
    if (g->norder < 32)
        g->order[g->norder++] = err ? 'e' : 'm';
    if (err) {
        if (g->nerr < 16)
            snprintf(g->err[g->nerr++], 128, "%s", err);
    } else if (g->n < 16) {
        snprintf(g->msg[g->n++], 256, "%.*s", (int)len, text);
    }
}

static void feed(QmpStream *s, const char *t)
{
    qmp_stream_feed(s, (const uint8_t *)t, strlen(t));
}

TEST(stream_several_values_per_read)
{
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 0, got_emit, &g);
    feed(&s, "{\"a\": 1}{\"b\": [1, {\"c\": 2}]}\r\n  [3] 42 true \"x\" ");
    CHECK_EQ(g.n, 6);
    CHECK_STR(g.msg[0], "{\"a\": 1}");
    CHECK_STR(g.msg[1], "{\"b\": [1, {\"c\": 2}]}");
    CHECK_STR(g.msg[2], "[3]");
    CHECK_STR(g.msg[3], "42");
    CHECK_STR(g.msg[4], "true");
    CHECK_STR(g.msg[5], "\"x\"");
    CHECK_EQ(g.nerr, 0);
    qmp_stream_destroy(&s);
}

TEST(stream_value_split_byte_by_byte)
{
    /* braces and quotes inside strings do not count */
    const char *t = "{\"execute\": \"x}]\\\"{\", \"arguments\": {\"k\": \"\\\\\"}}";
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 0, got_emit, &g);
    for (size_t i = 0; t[i]; i++) {
        CHECK_EQ(g.n, 0);
        qmp_stream_feed(&s, (const uint8_t *)t + i, 1);
    }
    CHECK_EQ(g.n, 1);
    CHECK_STR(g.msg[0], t);
    qmp_stream_destroy(&s);
}

TEST(stream_stray_closer_is_an_error_and_the_next_value_parses)
{
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 0, got_emit, &g);
    feed(&s, "} {\"a\":1}");
    CHECK_EQ(g.nerr, 1);
    CHECK_STR(g.err[0], "JSON parse error, expecting value");
    CHECK_EQ(g.n, 1);
    CHECK_STR(g.msg[0], "{\"a\":1}");
    qmp_stream_destroy(&s);
}

TEST(stream_oversize_value_one_error_then_resync)
{
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 64, got_emit, &g);
    char big[400];
    /* a string with brackets inside, longer than the limit */
    snprintf(big, sizeof(big), "{\"k\": \"%0300d]}{\", \"l\": [[]]}{\"ok\": 1}", 0);
    feed(&s, big);
    CHECK_EQ(g.nerr, 1);
    CHECK_STR(g.err[0], "JSON token size limit exceeded");
    CHECK_EQ(g.n, 1);
    CHECK_STR(g.msg[0], "{\"ok\": 1}");
    CHECK_EQ(g.order[0], 'e');
    /* the limit is per value: the buffer was reset */
    feed(&s, "{\"again\": \"0123456789\"}");
    CHECK_EQ(g.n, 2);
    qmp_stream_destroy(&s);
}

TEST(stream_nesting_limit_then_resync)
{
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 0, got_emit, &g);
    int deep = QMP_MAX_NESTING + 10;
    char *t = malloc((size_t)deep * 2 + 16);
    CHECK(t);
    memset(t, '[', (size_t)deep);
    memset(t + deep, ']', (size_t)deep);
    strcpy(t + 2 * deep, "{\"z\":0}");
    feed(&s, t);
    free(t);
    CHECK_EQ(g.nerr, 1);
    CHECK_STR(g.err[0], "JSON nesting depth limit exceeded");
    CHECK_EQ(g.n, 1);
    CHECK_STR(g.msg[0], "{\"z\":0}");
    qmp_stream_destroy(&s);
}

TEST(stream_reset_forgets_a_partial_value)
{
    Got g = { 0 };
    QmpStream s;
    qmp_stream_init(&s, 0, got_emit, &g);
    feed(&s, "{\"execute\": \"sto");
    qmp_stream_reset(&s);
    feed(&s, "{\"b\":2}");
    CHECK_EQ(g.n, 1);
    CHECK_STR(g.msg[0], "{\"b\":2}");
    qmp_stream_destroy(&s);
}

/* ---- the session ----------------------------------------------------------------- */

static json_t *last_args;

static json_t *cmd_echo(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_decref(last_args);
    last_args = json_deep_copy(args);
    if (json_object_get(args, "fail")) {
        *cls = QMP_ERROR_DEVICE_NOT_FOUND;
        error_setg(errp, "Device '%s' not found", json_string_value(json_object_get(args, "s")));
        return NULL;
    }
    return json_pack("{s:O}", "got", args);
}

static const QmpCommand echo_cmd = { "x-echo", "s:s,b:b?,i:i?,o:o?,a:a?,fail:b?", cmd_echo };

static void setup_cmds(void)
{
    static bool done;
    QmpMachine none = { 0 };
    qmp_cmds_register(&none);
    if (!done)
        qmp_register_command(&echo_cmd);
    done = true;
}

/* Run text; return the response as compact JSON (caller frees), "" for none. */
static char *run(QmpSession *s, const char *text)
{
    json_t *r = qmp_session_handle(s, text, strlen(text));
    if (!r)
        return strdup("");
    char *t = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return t;
}

#define CHECK_RUN(s, in, want)                                                       \
    do {                                                                             \
        char *got_ = run(s, in);                                                     \
        bool ok_ = !strcmp(got_, want);                                              \
        if (!ok_)                                                                    \
            unit_fail(__FILE__, __LINE__, "%s -> %s (want %s)", in, got_, want);     \
        free(got_);                                                                  \
        if (!ok_)                                                                    \
            return;                                                                  \
    } while (0)

TEST(session_negotiation)
{
    setup_cmds();
    QmpSession s = { 0 };
    CHECK_RUN(&s, "{\"execute\": \"query-status\"}",
              "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Expecting capabilities "
              "negotiation with 'qmp_capabilities'\"}}");
    CHECK_RUN(&s, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Capability 'oob' not available\"}}");
    CHECK(!s.negotiated);
    CHECK_RUN(&s, "{\"execute\": \"qmp_capabilities\", \"id\": 7}", "{\"return\":{},\"id\":7}");
    CHECK(s.negotiated);
    CHECK_RUN(&s, "{\"execute\": \"qmp_capabilities\"}",
              "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Capabilities negotiation is "
              "already complete, command ignored\"}}");
}

TEST(session_request_shape_errors)
{
    setup_cmds();
    QmpSession s = { .negotiated = true };
    CHECK_RUN(&s, "[1]", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input must be a JSON object\"}}");
    CHECK_RUN(&s, "3", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input must be a JSON object\"}}");
    CHECK_RUN(&s, "{\"id\": 1}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input lacks member 'execute'\"},\"id\":1}");
    CHECK_RUN(&s, "{\"execute\": 1}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input member 'execute' must be a string\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": []}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input member 'arguments' must be an object\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"foo\": 1}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input member 'foo' is unexpected\"}}");
    CHECK_RUN(&s, "{\"execute\": \"nope\", \"id\": \"a\"}",
              "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"},\"id\":\"a\"}");
    char *t = run(&s, "{\"a\": tru}");
    CHECK(strstr(t, "\"class\":\"GenericError\",\"desc\":\"JSON parse error, "));
    free(t);
}

TEST(session_argument_checks)
{
    setup_cmds();
    QmpSession s = { .negotiated = true };
    CHECK_RUN(&s, "{\"execute\": \"x-echo\"}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 's' is missing\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": 1}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Invalid parameter type for 's', expected: string\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": \"v\", \"b\": 0}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Invalid parameter type for 'b', expected: boolean\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": \"v\", \"i\": 1.5}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Invalid parameter type for 'i', expected: integer\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": \"v\", \"zz\": 1}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'zz' is unexpected\"}}");
    /* a key that is a prefix of a declared one is still unexpected */
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": \"v\", \"fai\": true}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'fai' is unexpected\"}}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"id\": [1], \"arguments\": {\"s\": \"v\", \"i\": 3, \"o\": {}, \"a\": []}}",
              "{\"return\":{\"got\":{\"s\":\"v\",\"i\":3,\"o\":{},\"a\":[]}},\"id\":[1]}");
    CHECK_RUN(&s, "{\"execute\": \"x-echo\", \"arguments\": {\"s\": \"d0\", \"fail\": true}}",
              "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'd0' not found\"}}");
    json_decref(last_args);
    last_args = NULL;
}

TEST(session_machine_less_commands)
{
    setup_cmds();
    QmpSession s = { .negotiated = true };
    CHECK_RUN(&s, "{\"execute\": \"query-kvm\"}", "{\"return\":{\"enabled\":false,\"present\":false}}");
    CHECK_RUN(&s, "{\"execute\": \"query-name\"}", "{\"return\":{}}");
    CHECK_RUN(&s, "{\"execute\": \"query-block\"}", "{\"return\":[]}");
    CHECK_RUN(&s, "{\"execute\": \"system_powerdown\"}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"system_powerdown: this machine has "
              "no ACPI power button yet (use system_reset or quit)\"}}");
    CHECK_RUN(&s, "{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"x\", \"format\": \"bmp\"}}",
              "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'format' does not accept value 'bmp'\"}}");
    char *t = run(&s, "{\"execute\": \"query-commands\"}");
    CHECK(strstr(t, "{\"name\":\"qmp_capabilities\"}"));
    CHECK(strstr(t, "{\"name\":\"query-blockstats\"}"));
    CHECK(strstr(t, "{\"name\":\"x-echo\"}"));
    free(t);
    t = run(&s, "{\"execute\": \"query-version\"}");
    char want[128];
    int ma = 0, mi = 0, mc = 0;
    sscanf(PEMU_VERSION, "%d.%d.%d", &ma, &mi, &mc);
    snprintf(want, sizeof(want), "{\"return\":{\"qemu\":{\"micro\":%d,\"minor\":%d,\"major\":%d},\"package\":\"pemu %s\"}}",
             mc, mi, ma, PEMU_VERSION);
    CHECK_STR(t, want);
    free(t);
    t = run(&s, "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info version\"}}");
    snprintf(want, sizeof(want), "{\"return\":\"%s\\r\\n\"}", PEMU_VERSION);
    CHECK_STR(t, want);
    free(t);
}

TEST(format_compact_and_pretty)
{
    json_t *m = json_pack("{s:{s:i,s:[s]}}", "return", "a", 1, "b", "\xc3\xa9");
    char *c = qmp_format(m, false);
    CHECK_STR(c, "{\"return\": {\"a\": 1, \"b\": [\"\\u00E9\"]}}\r\n");
    char *p = qmp_format(m, true);
    CHECK_STR(p, "{\r\n    \"return\": {\r\n        \"a\": 1,\r\n        \"b\": [\r\n"
                 "            \"\\u00E9\"\r\n        ]\r\n    }\r\n}\r\n");
    free(c);
    free(p);
    json_decref(m);
}

/* ---- a monitor on a chardev ----------------------------------------------------- */

static char wire[65536];
static size_t wire_len;

static void pump(int in_w, const char *text, int out_r)
{
    if (text && *text)
        CHECK_EQ(write(in_w, text, strlen(text)), (ssize_t)strlen(text));
    for (int i = 0; i < 10; i++) {
        mainloop_wait(2 * NS_PER_MS);
        struct pollfd p = { .fd = out_r, .events = POLLIN };
        while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
            ssize_t n = read(out_r, wire + wire_len, sizeof(wire) - 1 - wire_len);
            if (n <= 0)
                break;
            wire_len += (size_t)n;
            wire[wire_len] = '\0';
        }
    }
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

TEST(monitor_greeting_events_and_reconnect)
{
    setup_cmds();
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    Error *err = NULL;
    Chardev *c = chardev_new_fd("q", in[0], out[1], &err);
    CHECK(c);
    wire_len = 0;
    QmpMonitor *mon = qmp_monitor_new(c, false, &err);
    CHECK(mon);
    CHECK_EQ(qmp_monitor_count, 1);
    pump(in[1], NULL, out[0]);
    CHECK(!strncmp(wire, "{\"QMP\": {\"version\": {\"qemu\": {", 30));
    CHECK(strstr(wire, "\"capabilities\": []}}\r\n"));
    /* no events before negotiation */
    wire_len = 0;
    accel_vm_stop();
    accel_vm_cont();
    pump(in[1], NULL, out[0]);
    CHECK_EQ(wire_len, 0);
    /* one read with two commands, the second split over two reads */
    pump(in[1], "{\"execute\": \"qmp_capabilities\"}{\"execute\": \"st", out[0]);
    CHECK_STR(wire, "{\"return\": {}}\r\n");
    wire_len = 0;
    pump(in[1], "op\", \"id\": 5}", out[0]);
    CHECK(!strncmp(wire, "{\"timestamp\": {\"seconds\": ", 26));
    CHECK(strstr(wire, "}, \"event\": \"STOP\"}\r\n{\"return\": {}, \"id\": 5}\r\n"));
    wire_len = 0;
    pump(in[1], "{\"execute\": \"stop\"}{\"execute\": \"query-status\"}", out[0]);
    CHECK_EQ(count(wire, "\"STOP\""), 0); /* already stopped: no event */
    CHECK(strstr(wire, "{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}"));
    wire_len = 0;
    pump(in[1], "{\"execute\": \"cont\"}", out[0]);
    CHECK_EQ(count(wire, "\"event\": \"RESUME\""), 1);
    /* malformed input is answered and the connection stays usable */
    wire_len = 0;
    pump(in[1], "{\"execute\" \"x\"}\n{\"execute\": \"query-kvm\"}", out[0]);
    CHECK(strstr(wire, "JSON parse error"));
    CHECK(strstr(wire, "{\"return\": {\"enabled\": false, \"present\": false}}"));
    /* the client leaves in the middle of a command; the next one starts over */
    wire_len = 0;
    pump(in[1], "{\"execute\": \"qu", out[0]);
    chardev_be_event(c, CHARDEV_EVENT_CLOSED);
    accel_vm_stop(); /* nobody listening: dropped */
    chardev_be_event(c, CHARDEV_EVENT_OPENED);
    pump(in[1], "{\"execute\": \"query-status\"}", out[0]);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    CHECK_EQ(count(wire, "\"STOP\""), 0);
    CHECK_EQ(count(wire, "{\"QMP\""), 1);
    CHECK(strstr(wire, "Expecting capabilities negotiation"));
    /* events reach a negotiated client */
    wire_len = 0;
    pump(in[1], "{\"execute\": \"qmp_capabilities\"}", out[0]);
    qmp_event_reset(false, "host-qmp-system-reset");
    qmp_event_emit("POWERDOWN", NULL);
    pump(in[1], "{\"execute\": \"quit\"}", out[0]);
    CHECK(strstr(wire, "\"event\": \"RESET\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}\r\n"));
    CHECK(strstr(wire, "\"event\": \"POWERDOWN\"}\r\n"));
    CHECK(strstr(wire, "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n{\"return\": {}}\r\n"));
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_QUIT);
    qmp_event_shutdown(true, "guest-shutdown"); /* only one SHUTDOWN */
    pump(in[1], NULL, out[0]);
    CHECK_EQ(count(wire, "SHUTDOWN"), 1);
    mainloop_run();
    qmp_monitor_free_all();
    CHECK_EQ(qmp_monitor_count, 0);
    chardev_free(c);
    close(in[1]);
    close(out[0]);
}

#endif /* CONFIG_JANSSON */
