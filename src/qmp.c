/* QMP: framing, dispatch, events and the chardev side (see qmp.h). */
#include "src/qmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports/posix.h"

int qmp_monitor_count;

#ifndef CONFIG_JANSSON

QmpMonitor *qmp_monitor_new(Chardev *chr, bool pretty, Error **errp)
{
    (void)chr;
    (void)pretty;
    error_setg(errp, "QMP (-qmp, -mon mode=control) needs JSON support, and this pemu was "
                     "built without jansson: install it (Debian: apt-get install libjansson-dev) "
                     "and rebuild");
    return NULL;
}

void qmp_monitor_free_all(void) {}
void qmp_event_emit_json(const char *name, const char *data_json) { (void)name; (void)data_json; }
void qmp_event_reset(bool guest, const char *reason) { (void)guest; (void)reason; }
void qmp_event_shutdown(bool guest, const char *reason) { (void)guest; (void)reason; }

#else

/* ---- the streamer ------------------------------------------------------------ */

void qmp_stream_init(QmpStream *s, size_t max_size, QmpStreamEmit *emit, void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->emit = emit;
    s->opaque = opaque;
    s->max_size = max_size ? max_size : QMP_MAX_MESSAGE;
}

void qmp_stream_reset(QmpStream *s)
{
    s->len = 0;
    s->depth = 0;
    s->in_string = s->escape = s->scalar = s->skipping = false;
}

void qmp_stream_destroy(QmpStream *s)
{
    free(s->buf);
    s->buf = NULL;
    s->size = 0;
    qmp_stream_reset(s);
}

static void stream_emit(QmpStream *s)
{
    size_t n = s->len;
    bool skipped = s->skipping;
    qmp_stream_reset(s);
    if (!skipped)
        s->emit(s->opaque, s->buf, n, NULL);
}

static void stream_error(QmpStream *s, const char *msg, bool skip_rest)
{
    bool was_skipping = s->skipping;
    int depth = s->depth;
    bool str = s->in_string, esc = s->escape, scalar = s->scalar;
    qmp_stream_reset(s);
    if (skip_rest) {
        /* Keep tracking the value so that the next one is found. */
        s->skipping = true;
        s->depth = depth;
        s->in_string = str;
        s->escape = esc;
        s->scalar = scalar;
    }
    if (!was_skipping)
        s->emit(s->opaque, NULL, 0, msg);
}

static void stream_put(QmpStream *s, char c)
{
    if (s->skipping)
        return;
    if (s->len + 1 >= s->max_size) {
        stream_error(s, "JSON token size limit exceeded", true);
        return;
    }
    if (s->len + 2 > s->size) {
        size_t sz = s->size ? s->size * 2 : 256;
        if (sz > s->max_size + 1)
            sz = s->max_size + 1;
        char *b = realloc(s->buf, sz);
        if (!b)
            fatal("out of memory (QMP input)");
        s->buf = b;
        s->size = sz;
    }
    s->buf[s->len++] = c;
    s->buf[s->len] = '\0';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void qmp_stream_feed(QmpStream *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = (char)buf[i];
        if (s->in_string) {
            stream_put(s, c);
            if (s->escape)
                s->escape = false;
            else if (c == '\\')
                s->escape = true;
            else if (c == '"') {
                s->in_string = false;
                if (s->depth == 0)
                    stream_emit(s); /* a bare string */
            }
            continue;
        }
        if (s->scalar) {
            /* A bare number or keyword ends at the first delimiter. */
            if (is_blank(c) || c == '{' || c == '[' || c == '}' || c == ']' || c == '"' ||
                c == ',' || c == ':') {
                s->scalar = false;
                stream_emit(s);
            } else {
                stream_put(s, c);
                continue;
            }
        }
        switch (c) {
        case '{':
        case '[':
            if (s->depth >= QMP_MAX_NESTING) {
                s->depth++;
                stream_error(s, "JSON nesting depth limit exceeded", true);
                break;
            }
            s->depth++;
            stream_put(s, c);
            break;
        case '}':
        case ']':
            if (s->depth == 0) {
                stream_error(s, "JSON parse error, expecting value", false);
                break;
            }
            s->depth--;
            stream_put(s, c);
            if (s->depth == 0)
                stream_emit(s);
            break;
        case '"':
            s->in_string = true;
            stream_put(s, c);
            break;
        default:
            if (is_blank(c)) {
                if (s->depth > 0)
                    stream_put(s, c);
            } else {
                if (s->depth == 0)
                    s->scalar = true;
                stream_put(s, c);
            }
        }
    }
}

/* ---- commands ------------------------------------------------------------------- */

#define QMP_MAX_CMDS 96

static const QmpCommand *cmds[QMP_MAX_CMDS];
static int ncmds;

const char *qmp_error_class_name(QmpErrorClass cls)
{
    static const char *const names[] = {
        [QMP_ERROR_GENERIC] = "GenericError",
        [QMP_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
        [QMP_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
        [QMP_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
        [QMP_ERROR_KVM_MISSING_CAP] = "KVMMissingCap",
    };
    return (unsigned)cls < PEMU_ARRAY_SIZE(names) ? names[cls] : "GenericError";
}

void qmp_register_command(const QmpCommand *cmd)
{
    if (qmp_find_command(cmd->name))
        pemu_abort("QMP command %s registered twice", cmd->name);
    if (ncmds == QMP_MAX_CMDS)
        pemu_abort("more than %d QMP commands (raise QMP_MAX_CMDS)", QMP_MAX_CMDS);
    cmds[ncmds++] = cmd;
}

const QmpCommand *qmp_find_command(const char *name)
{
    for (int i = 0; i < ncmds; i++)
        if (!strcmp(cmds[i]->name, name))
            return cmds[i];
    return NULL;
}

const QmpCommand *qmp_command_at(int i)
{
    return i >= 0 && i < ncmds ? cmds[i] : NULL;
}

json_t *qmp_error_response(QmpErrorClass cls, const char *desc)
{
    return json_pack("{s:{s:s,s:s}}", "error", "class", qmp_error_class_name(cls), "desc",
                     desc);
}

static json_t *error_responsef(QmpErrorClass cls, const char *fmt, ...) PEMU_PRINTF(2, 3);
static json_t *error_responsef(QmpErrorClass cls, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return qmp_error_response(cls, msg);
}

json_t *qmp_greeting(void)
{
    int major = 0, minor = 0, micro = 0;
    sscanf(PEMU_VERSION, "%d.%d.%d", &major, &minor, &micro);
    return json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu", "micro",
                     micro, "minor", minor, "major", major, "package", "pemu " PEMU_VERSION,
                     "capabilities");
}

static const char *type_name(char t)
{
    switch (t) {
    case 's': return "string";
    case 'b': return "boolean";
    case 'i': return "integer";
    case 'n': return "number";
    case 'o': return "object";
    case 'a': return "array";
    default: return "any";
    }
}

static bool type_ok(char t, const json_t *v)
{
    switch (t) {
    case 's': return json_is_string(v);
    case 'b': return json_is_boolean(v);
    case 'i': return json_is_integer(v);
    case 'n': return json_is_number(v);
    case 'o': return json_is_object(v);
    case 'a': return json_is_array(v);
    default: return true;
    }
}

/* Check args against the schema with QEMU's messages: each declared
 * member in order (missing, wrong type), then the unexpected ones. */
static bool check_args(const char *schema, json_t *args, char *msg, size_t n)
{
    const char *p = schema ? schema : "";
    while (*p) {
        const char *colon = strchr(p, ':');
        if (!colon)
            pemu_abort("QMP argument schema '%s': missing ':'", schema);
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
        char t = colon[1];
        bool optional = colon[2] == '?';
        p = colon + 2 + optional;
        if (*p == ',')
            p++;
        json_t *v = json_object_get(args, name);
        if (!v) {
            if (!optional) {
                snprintf(msg, n, "Parameter '%s' is missing", name);
                return false;
            }
            continue;
        }
        if (!type_ok(t, v)) {
            snprintf(msg, n, "Invalid parameter type for '%s', expected: %s", name, type_name(t));
            return false;
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(args, key, v) {
        size_t kl = strlen(key);
        bool known = false;
        for (const char *q = schema ? schema : ""; *q && !known;) {
            const char *colon = strchr(q, ':');
            known = (size_t)(colon - q) == kl && !memcmp(q, key, kl);
            q = strchr(colon, ',');
            q = q ? q + 1 : "";
        }
        if (!known) {
            snprintf(msg, n, "Parameter '%s' is unexpected", key);
            return false;
        }
    }
    return true;
}

static json_t *run_capabilities(QmpSession *s, json_t *args)
{
    json_t *en = json_object_get(args, "enable"), *v;
    size_t i;
    json_array_foreach(en, i, v) {
        if (!json_is_string(v))
            return qmp_error_response(QMP_ERROR_GENERIC,
                                      "Invalid parameter type for 'enable[0]', expected: string");
        return error_responsef(QMP_ERROR_GENERIC, "Capability '%s' not available",
                               json_string_value(v));
    }
    s->negotiated = true;
    return json_pack("{s:{}}", "return");
}

static json_t *dispatch(QmpSession *s, json_t *req)
{
    const char *key, *name = NULL;
    json_t *v, *args = NULL;
    json_object_foreach(req, key, v) {
        if (!strcmp(key, "execute")) {
            if (!json_is_string(v))
                return qmp_error_response(QMP_ERROR_GENERIC,
                                          "QMP input member 'execute' must be a string");
            name = json_string_value(v);
        } else if (!strcmp(key, "arguments")) {
            if (!json_is_object(v))
                return qmp_error_response(QMP_ERROR_GENERIC,
                                          "QMP input member 'arguments' must be an object");
            args = v;
        } else if (strcmp(key, "id")) {
            return error_responsef(QMP_ERROR_GENERIC, "QMP input member '%s' is unexpected", key);
        }
    }
    if (!name)
        return qmp_error_response(QMP_ERROR_GENERIC, "QMP input lacks member 'execute'");
    bool is_caps = !strcmp(name, "qmp_capabilities");
    if (!s->negotiated && !is_caps)
        return qmp_error_response(QMP_ERROR_COMMAND_NOT_FOUND,
                                  "Expecting capabilities negotiation with 'qmp_capabilities'");
    if (s->negotiated && is_caps)
        return qmp_error_response(QMP_ERROR_COMMAND_NOT_FOUND,
                                  "Capabilities negotiation is already complete, command ignored");
    const QmpCommand *cmd = qmp_find_command(name);
    if (!cmd && !is_caps)
        return error_responsef(QMP_ERROR_COMMAND_NOT_FOUND, "The command %s has not been found",
                               name);
    json_t *empty = NULL;
    if (!args)
        args = empty = json_object();
    char msg[256];
    json_t *resp;
    if (!check_args(cmd ? cmd->args : "enable:a?", args, msg, sizeof(msg))) {
        resp = qmp_error_response(QMP_ERROR_GENERIC, msg);
    } else if (is_caps) {
        resp = run_capabilities(s, args);
    } else {
        QmpErrorClass cls = QMP_ERROR_GENERIC;
        Error *err = NULL;
        json_t *ret = cmd->fn(args, &cls, &err);
        if (ret) {
            resp = json_object();
            json_object_set_new(resp, "return", ret);
        } else {
            resp = qmp_error_response(cls, err ? err->msg : "command failed");
        }
        error_free(err);
    }
    json_decref(empty);
    return resp;
}

json_t *qmp_session_handle(QmpSession *s, const char *text, size_t len)
{
    json_error_t je;
    json_t *req = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!req)
        return error_responsef(QMP_ERROR_GENERIC, "JSON parse error, %s", je.text);
    if (!json_is_object(req)) {
        json_decref(req);
        return qmp_error_response(QMP_ERROR_GENERIC, "QMP input must be a JSON object");
    }
    json_t *resp = dispatch(s, req);
    json_t *id = json_object_get(req, "id");
    if (resp && id)
        json_object_set(resp, "id", id);
    json_decref(req);
    return resp;
}

char *qmp_format(json_t *msg, bool pretty)
{
    char *t = json_dumps(msg, (pretty ? JSON_INDENT(4) : 0) | JSON_ENSURE_ASCII);
    if (!t)
        fatal("out of memory (QMP output)");
    size_t nl = 0, n = strlen(t);
    for (size_t i = 0; i < n; i++)
        nl += t[i] == '\n';
    char *out = malloc(n + nl + 3);
    if (!out)
        fatal("out of memory (QMP output)");
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\n')
            *o++ = '\r';
        *o++ = t[i];
    }
    memcpy(o, "\r\n", 3);
    free(t);
    return out;
}

/* ---- monitors on chardevs -------------------------------------------------------- */

struct QmpMonitor {
    Chardev *chr;
    bool pretty;
    bool connected;
    QmpSession session;
    QmpStream stream;
    QmpMonitor *next;
};

static QmpMonitor *qmp_monitors;

static void qmp_send(QmpMonitor *mon, json_t *msg)
{
    char *t = qmp_format(msg, mon->pretty);
    chardev_write(mon->chr, t, strlen(t));
    free(t);
}

static void qmp_on_message(void *opaque, const char *text, size_t len, const char *err)
{
    QmpMonitor *mon = opaque;
    json_t *resp = err ? qmp_error_response(QMP_ERROR_GENERIC, err)
                       : qmp_session_handle(&mon->session, text, len);
    if (resp) {
        qmp_send(mon, resp);
        json_decref(resp);
    }
}

static int qmp_can_receive(void *opaque)
{
    (void)opaque;
    return 4096;
}

static void qmp_receive(void *opaque, const uint8_t *buf, size_t len)
{
    QmpMonitor *mon = opaque;
    qmp_stream_feed(&mon->stream, buf, len);
}

static void qmp_chr_event(void *opaque, ChardevEvent ev)
{
    QmpMonitor *mon = opaque;
    if (ev == CHARDEV_EVENT_OPENED || ev == CHARDEV_EVENT_MUX_IN) {
        /* A new client: a fresh session and a greeting. */
        mon->connected = true;
        mon->session.negotiated = false;
        qmp_stream_reset(&mon->stream);
        json_t *g = qmp_greeting();
        qmp_send(mon, g);
        json_decref(g);
    } else if (ev == CHARDEV_EVENT_CLOSED) {
        mon->connected = false;
        mon->session.negotiated = false;
        qmp_stream_reset(&mon->stream);
    }
}

static const ChardevHandlers qmp_handlers = {
    qmp_can_receive, qmp_receive, qmp_chr_event, NULL,
};

QmpMonitor *qmp_monitor_new(Chardev *chr, bool pretty, Error **errp)
{
    if (chardev_claim(chr, errp) < 0)
        return NULL;
    QmpMonitor *mon = calloc(1, sizeof(*mon));
    if (!mon)
        fatal("out of memory (QMP monitor)");
    mon->chr = chr;
    mon->pretty = pretty;
    qmp_stream_init(&mon->stream, QMP_MAX_MESSAGE, qmp_on_message, mon);
    mon->next = qmp_monitors;
    qmp_monitors = mon;
    qmp_monitor_count++;
    chardev_set_handlers(chr, &qmp_handlers, mon);
    return mon;
}

void qmp_monitor_free_all(void)
{
    while (qmp_monitors) {
        QmpMonitor *mon = qmp_monitors;
        qmp_monitors = mon->next;
        chardev_release(mon->chr);
        qmp_stream_destroy(&mon->stream);
        free(mon);
        qmp_monitor_count--;
    }
}

/* ---- events --------------------------------------------------------------------- */

void qmp_event_emit_json(const char *name, const char *data_json)
{
    json_t *data = NULL;
    if (data_json) {
        json_error_t je;
        data = json_loads(data_json, 0, &je);
        if (!data)
            pemu_abort("QMP event %s: bad data %s (%s)", name, data_json, je.text);
    }
    int64_t ns = host_clock_realtime_ns();
    json_t *ev = json_pack("{s:{s:I,s:I},s:s}", "timestamp", "seconds", (json_int_t)(ns / 1000000000),
                           "microseconds", (json_int_t)(ns % 1000000000 / 1000), "event", name);
    if (data)
        json_object_set_new(ev, "data", data);
    for (QmpMonitor *mon = qmp_monitors; mon; mon = mon->next)
        if (mon->connected && mon->session.negotiated)
            qmp_send(mon, ev);
    json_decref(ev);
}

void qmp_event_reset(bool guest, const char *reason)
{
    char data[160];
    if (!qmp_monitor_count)
        return;
    snprintf(data, sizeof(data), "{\"guest\": %s, \"reason\": \"%s\"}", guest ? "true" : "false",
             reason);
    qmp_event_emit_json("RESET", data);
}

static bool shutdown_sent;

void qmp_event_shutdown(bool guest, const char *reason)
{
    char data[160];
    if (!qmp_monitor_count || shutdown_sent)
        return;
    shutdown_sent = true;
    snprintf(data, sizeof(data), "{\"guest\": %s, \"reason\": \"%s\"}", guest ? "true" : "false",
             reason);
    qmp_event_emit_json("SHUTDOWN", data);
}

#endif /* CONFIG_JANSSON */
