/*
 * QMP, the JSON machine protocol, as QEMU's QMP reference describes it:
 *
 *   S: {"QMP": {"version": {...}, "capabilities": []}}          (on connect)
 *   C: {"execute": "qmp_capabilities"}        S: {"return": {}}
 *   C: {"execute": "query-status", "id": 7}   S: {"return": {...}, "id": 7}
 *   S: {"event": "STOP", "timestamp": {"seconds": S, "microseconds": U}}
 *   errors: {"error": {"class": "GenericError", "desc": "..."}}
 *
 * One QmpMonitor per -qmp/-mon mode=control chardev. Messages are framed by
 * a small streamer (qmp_stream_*: JSON values split on bracket depth, any
 * number per read, any split across reads, a size and a nesting limit with
 * resynchronisation) and parsed by jansson. A client that disconnects loses
 * its negotiation; the next one gets a fresh greeting. Commands are a table
 * (src/qmp_cmds.c registers pemu's); events go to every negotiated client.
 *
 * jansson is optional at build time: without it the protocol is absent and
 * qmp_monitor_new fails naming the package to install. The event calls
 * below exist in every build and cost one test when no QMP monitor exists.
 */
#ifndef PEMU_QMP_H
#define PEMU_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/chardev.h"
#include "src/error.h"

typedef struct QmpMonitor QmpMonitor;

/* A QMP monitor on chr (claimed); pretty: indented JSON (-qmp-pretty). */
QmpMonitor *qmp_monitor_new(Chardev *chr, bool pretty, Error **errp);
void qmp_monitor_free_all(void);

/* ---- events ------------------------------------------------------------------ */

/* How many QMP monitors exist (events are dropped when 0). */
extern int qmp_monitor_count;

/* Send {"event": name, "data": <data_json>, "timestamp": ...} to every
 * negotiated client; data_json NULL: no "data" member. */
void qmp_event_emit_json(const char *name, const char *data_json);
#define qmp_event_emit(name, data_json)              \
    do {                                             \
        if (qmp_monitor_count)                       \
            qmp_event_emit_json(name, data_json);    \
    } while (0)

/* RESET / SHUTDOWN with QEMU's data: {"guest": bool, "reason": "..."}
 * (reasons: "guest-reset", "guest-shutdown", "host-qmp-system-reset",
 * "host-qmp-quit", "host-signal", ...). SHUTDOWN is sent once per run. */
void qmp_event_reset(bool guest, const char *reason);
void qmp_event_shutdown(bool guest, const char *reason);

/* ---- what the commands reach (src/qmp_cmds.c) ---------------------------------- */

struct Machine;
struct CPUState;

typedef struct QmpMachine {
    struct Machine *m;         /* NULL: machine-less (unit tests) */
    struct CPUState *cpu;      /* the boot CPU, the others after it (next_cpu) */
    bool prelaunch;            /* -S: "prelaunch" until the first cont */
    void *opaque;
    /* The host's reset request (system_reset; also raises RESET). */
    void (*system_reset)(void *opaque);
    /* ACPI power button; NULL: the board has none (GenericError). */
    int (*system_powerdown)(void *opaque, Error **errp);
} QmpMachine;

/* Register pemu's commands (copied; call once before the first monitor). */
void qmp_cmds_register(const QmpMachine *qm);

#ifdef CONFIG_JANSSON
#include <jansson.h>

/* ---- commands ------------------------------------------------------------------ */

/* QEMU's error classes (QapiErrorClass). */
typedef enum QmpErrorClass {
    QMP_ERROR_GENERIC,             /* "GenericError" */
    QMP_ERROR_COMMAND_NOT_FOUND,   /* "CommandNotFound" */
    QMP_ERROR_DEVICE_NOT_ACTIVE,   /* "DeviceNotActive" */
    QMP_ERROR_DEVICE_NOT_FOUND,    /* "DeviceNotFound" */
    QMP_ERROR_KVM_MISSING_CAP,     /* "KVMMissingCap" */
} QmpErrorClass;

const char *qmp_error_class_name(QmpErrorClass cls);

/*
 * A command. args: the argument schema the dispatcher checks before fn
 * runs, "name:T" items separated by ',', T one of s (string), b (boolean),
 * i (integer), n (number), o (object), a (array), * (any), followed by '?'
 * when optional: "filename:s,format:s?". fn gets the checked arguments
 * (borrowed) and returns the "return" value (new reference; json_object()
 * for {}), or NULL with *errp set (and *cls if not GenericError).
 */
typedef json_t *QmpCommandFn(json_t *args, QmpErrorClass *cls, Error **errp);
typedef struct QmpCommand {
    const char *name;
    const char *args;
    QmpCommandFn *fn;
} QmpCommand;

/* cmd must outlive the monitors; a second command of one name is fatal. */
void qmp_register_command(const QmpCommand *cmd);
const QmpCommand *qmp_find_command(const char *name);
/* Every registered command: for (i = 0; (c = qmp_command_at(i)); i++). */
const QmpCommand *qmp_command_at(int i);

/* ---- the protocol without a chardev (used by the monitor; unit tests) --------- */

/*
 * The streamer: feed bytes, get one callback per complete top-level JSON
 * value (text, len) or per framing error (text NULL, err set: a stray
 * closing bracket, a value over max_size bytes, nesting over
 * QMP_MAX_NESTING); after an error the rest of that value is skipped.
 */
#define QMP_MAX_NESTING 1024
#define QMP_MAX_MESSAGE (1u << 20)

typedef void QmpStreamEmit(void *opaque, const char *text, size_t len, const char *err);

typedef struct QmpStream {
    QmpStreamEmit *emit;
    void *opaque;
    size_t max_size;
    char *buf;
    size_t len, size;
    int depth;            /* [ and { open */
    bool in_string, escape;
    bool scalar;          /* a bare value at depth 0 (3, true, "x") */
    bool skipping;        /* discarding the rest of an oversized value */
} QmpStream;

void qmp_stream_init(QmpStream *s, size_t max_size, QmpStreamEmit *emit, void *opaque);
void qmp_stream_feed(QmpStream *s, const uint8_t *buf, size_t len);
/* Forget a partial value (the client went away). */
void qmp_stream_reset(QmpStream *s);
void qmp_stream_destroy(QmpStream *s);

/* One client's state: capabilities negotiated or not. */
typedef struct QmpSession {
    bool negotiated;
} QmpSession;

/* The greeting object (new reference). */
json_t *qmp_greeting(void);
/* Run one message (JSON text); returns the response to send (new
 * reference) or NULL for none. */
json_t *qmp_session_handle(QmpSession *s, const char *text, size_t len);
/* {"error": {"class": ..., "desc": desc}} (new reference). */
json_t *qmp_error_response(QmpErrorClass cls, const char *desc);
/* A message as sent on the wire: compact ("key": value, ...) or indented
 * by 4 (pretty), line ends "\r\n", ending in "\r\n". Caller frees. */
char *qmp_format(json_t *msg, bool pretty);

#endif /* CONFIG_JANSSON */
#endif
