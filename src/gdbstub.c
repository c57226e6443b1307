/*
 * The GDB remote serial protocol (see gdbstub.h; the packet reference is
 * gdb's manual, appendix "Remote Serial Protocol").
 *
 * Framing: $payload#cc, cc = two hex digits, the payload's sum mod 256.
 * Inside a payload '}' escapes the next byte (byte ^ 0x20); gdb escapes
 * '$', '#', '}' and '*' (the run-length marker) in binary data. Each
 * packet is acknowledged with '+' (or '-' to ask for it again) until
 * QStartNoAckMode. A lone 0x03 byte outside packets is Ctrl-C.
 *
 * Replies carry binary data only in qXfer (escaped here); everything else
 * is plain ASCII. A packet longer than GDB_PACKET_MAX is acknowledged and
 * answered with E22, so that gdb does not resend it forever.
 */
#include "src/gdbstub.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "src/accel/accel.h"
#include "src/mainloop.h"
#include "src/monitor.h"

enum { RX_IDLE, RX_DATA, RX_ESC, RX_CK1, RX_CK2 };

/* A reply under construction. */
typedef struct GdbBuf {
    uint8_t *p;
    size_t len, cap;
} GdbBuf;

struct GdbServer {
    Chardev *chr;            /* NULL for a test server */
    bool owns_chr;           /* created by gdbserver: freed with the server */
    void (*out)(void *opaque, const uint8_t *buf, size_t len);
    void *out_opaque;

    int rx;                  /* RX_* */
    uint8_t pkt[GDB_PACKET_MAX + 1];
    size_t len;
    bool overflow;
    uint8_t sum, ck;

    bool attached;           /* a gdb is connected */
    bool noack;              /* QStartNoAckMode */
    bool running;            /* resumed by gdb: a stop reply is owed */
    bool swbreak, hwbreak;   /* gdb takes these stop reasons (qSupported) */
    int layout;              /* GdbTargetOps layout of this connection */
    CPUState *g_cpu, *c_cpu; /* Hg (registers, memory), Hc (step/continue) */
    GdbBuf last;             /* the last packet sent, for '-' */
};

static const GdbTargetOps *target;
static GdbServer *server; /* the chardev one */

void gdbstub_set_target(const GdbTargetOps *ops)
{
    target = ops;
}

/* ---- bytes and hex --------------------------------------------------------- */

uint8_t gdbstub_checksum(const uint8_t *buf, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + buf[i]);
    return s;
}

static bool needs_escape(uint8_t c)
{
    return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t gdbstub_escape(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (needs_escape(in[i])) {
            out[n++] = '}';
            out[n++] = in[i] ^ 0x20;
        } else {
            out[n++] = in[i];
        }
    }
    return n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char hexdig[] = "0123456789abcdef";

/* A hex number at *pp (at most 16 digits); false if there is none. */
static bool parse_hex(const char **pp, uint64_t *v)
{
    const char *p = *pp;
    uint64_t x = 0;
    int n = 0;
    while (hexval((unsigned char)*p) >= 0) {
        if (++n > 16)
            return false;
        x = x << 4 | (uint64_t)hexval((unsigned char)*p++);
    }
    *pp = p;
    *v = x;
    return n > 0;
}

/* Hex pairs to bytes; -1 on an odd length or a bad digit. */
static long unhex(const char *hex, size_t hexlen, uint8_t *out, size_t cap)
{
    if (hexlen % 2 || hexlen / 2 > cap)
        return -1;
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(hexlen / 2);
}

static void buf_put(GdbBuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            fatal("out of memory (gdbstub)");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_str(GdbBuf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_hex(GdbBuf *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char h[2] = { hexdig[p[i] >> 4], hexdig[p[i] & 15] };
        buf_put(b, h, 2);
    }
}

static void buf_printf(GdbBuf *b, const char *fmt, ...) PEMU_PRINTF(2, 3);
static void buf_printf(GdbBuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* ---- output ----------------------------------------------------------------- */

static void send_raw(GdbServer *s, const void *p, size_t n)
{
    s->out(s->out_opaque, p, n);
}

/* Frame and send a payload (already escaped where it is binary). */
static void send_packet(GdbServer *s, const uint8_t *payload, size_t len)
{
    uint8_t ck = gdbstub_checksum(payload, len);
    char tail[3] = { '#', hexdig[ck >> 4], hexdig[ck & 15] };
    s->last.len = 0;
    buf_put(&s->last, "$", 1);
    buf_put(&s->last, payload, len);
    buf_put(&s->last, tail, 3);
    send_raw(s, s->last.p, s->last.len);
}

static void send_str(GdbServer *s, const char *str)
{
    send_packet(s, (const uint8_t *)str, strlen(str));
}

static void send_buf(GdbServer *s, GdbBuf *b)
{
    send_packet(s, b->p ? b->p : (const uint8_t *)"", b->len);
    free(b->p);
    *b = (GdbBuf){ 0 };
}

/* ---- vCPUs as threads ---------------------------------------------------------- */

static int tid_of(const CPUState *cpu)
{
    return cpu->cpu_index + 1;
}

static CPUState *cpu_by_tid(int64_t tid)
{
    for (CPUState *c = cpu_first(); c; c = c->next_cpu)
        if (tid_of(c) == tid)
            return c;
    return NULL;
}

/* The CPU with the lowest index (the list is in reverse creation order). */
static CPUState *first_cpu(void)
{
    CPUState *best = NULL;
    for (CPUState *c = cpu_first(); c; c = c->next_cpu)
        if (!best || c->cpu_index < best->cpu_index)
            best = c;
    return best;
}

static CPUState *g_cpu(GdbServer *s)
{
    return s->g_cpu ? s->g_cpu : first_cpu();
}

/* ---- run control ------------------------------------------------------------------- */

static void send_stop_reply(GdbServer *s, CPUState *cpu, int sig, const CPUDebugStop *why)
{
    GdbBuf b = { 0 };
    buf_printf(&b, "T%02xthread:%x;", sig, cpu ? tid_of(cpu) : 1);
    if (why) {
        switch (why->kind) {
        case CPU_BP_SW:
            if (s->swbreak)
                buf_str(&b, "swbreak:;");
            break;
        case CPU_BP_HW:
            if (s->hwbreak)
                buf_str(&b, "hwbreak:;");
            break;
        case CPU_WP_WRITE:
            buf_printf(&b, "watch:%" PRIx64 ";", why->addr);
            break;
        case CPU_WP_READ:
            buf_printf(&b, "rwatch:%" PRIx64 ";", why->addr);
            break;
        case CPU_WP_ACCESS:
            buf_printf(&b, "awatch:%" PRIx64 ";", why->addr);
            break;
        case CPU_DEBUG_STEP:
            break;
        }
    }
    send_buf(s, &b);
}

static void clear_steps(void)
{
    const AccelDebugOps *d = accel_debug_ops();
    for (CPUState *c = cpu_first(); c; c = c->next_cpu)
        d->set_single_step(c, false);
}

/* step: the CPUs that run one instruction (NULL: none) */
static void resume(GdbServer *s, CPUState *step)
{
    const AccelDebugOps *d = accel_debug_ops();
    for (CPUState *c = cpu_first(); c; c = c->next_cpu)
        d->set_single_step(c, c == step);
    s->running = true;
    accel_vm_cont();
}

void gdbstub_cpu_stopped(GdbServer *s, CPUState *cpu)
{
    CPUDebugStop why = accel_debug_ops()->stop_reason(cpu);
    clear_steps();
    if (!s || !s->attached || !s->running)
        return;
    s->running = false;
    s->g_cpu = s->c_cpu = cpu;
    send_stop_reply(s, cpu, 5, &why);
}

static void interrupt(GdbServer *s)
{
    accel_vm_stop();
    clear_steps();
    s->running = false;
    send_stop_reply(s, g_cpu(s), 2, NULL); /* SIGINT */
}

/* Leave the guest as if no debugger had come: no breakpoints, running. */
static void release_guest(GdbServer *s)
{
    accel_debug_ops()->remove_all_points();
    clear_steps();
    s->running = false;
    accel_vm_cont();
}

void gdbstub_connected(GdbServer *s)
{
    s->attached = true;
    s->noack = false;
    s->running = false;
    s->rx = RX_IDLE;
    s->g_cpu = s->c_cpu = NULL;
    /* gdb expects a stopped target when it attaches */
    accel_vm_stop();
    CPUState *cpu = first_cpu();
    s->layout = target && cpu ? target->select_layout(cpu) : 0;
}

void gdbstub_disconnected(GdbServer *s)
{
    if (!s->attached)
        return;
    s->attached = false;
    release_guest(s);
}

/* ---- packets ---------------------------------------------------------------------- */

static void reply_regs(GdbServer *s)
{
    GdbBuf b = { 0 };
    uint8_t r[64];
    CPUState *cpu = g_cpu(s);
    for (int n = 0; target && cpu; n++) {
        int sz = target->read_reg(cpu, s->layout, n, r);
        if (!sz)
            break;
        buf_hex(&b, r, (size_t)sz);
    }
    send_buf(s, &b);
}

static void write_regs(GdbServer *s, const char *hex, size_t hexlen)
{
    uint8_t data[GDB_PACKET_MAX / 2];
    long n = unhex(hex, hexlen, data, sizeof(data));
    CPUState *cpu = g_cpu(s);
    if (n < 0 || !target || !cpu) {
        send_str(s, "E22");
        return;
    }
    uint8_t cur[64];
    long at = 0;
    for (int r = 0; at < n; r++) {
        int sz = target->read_reg(cpu, s->layout, r, cur);
        if (!sz || at + sz > n)
            break;
        /* unchanged registers are not written (some cannot be) */
        if (memcmp(cur, data + at, (size_t)sz) && !target->write_reg(cpu, s->layout, r, data + at)) {
            send_str(s, "E22");
            return;
        }
        at += sz;
    }
    send_str(s, at == n ? "OK" : "E22"); /* a piece of a register is refused */
}

static void read_reg(GdbServer *s, const char *p)
{
    uint64_t n;
    uint8_t r[64];
    CPUState *cpu = g_cpu(s);
    int sz = 0;
    if (parse_hex(&p, &n) && !*p && target && cpu && n < 4096)
        sz = target->read_reg(cpu, s->layout, (int)n, r);
    if (!sz) {
        send_str(s, "E14");
        return;
    }
    GdbBuf b = { 0 };
    buf_hex(&b, r, (size_t)sz);
    send_buf(s, &b);
}

static void write_reg(GdbServer *s, const char *p)
{
    uint64_t n;
    uint8_t r[64], cur[64];
    CPUState *cpu = g_cpu(s);
    if (!parse_hex(&p, &n) || *p++ != '=' || !target || !cpu || n >= 4096) {
        send_str(s, "E22");
        return;
    }
    int sz = target->read_reg(cpu, s->layout, (int)n, cur);
    long got = unhex(p, strlen(p), r, sizeof(r));
    if (!sz || got != sz) {
        send_str(s, "E22");
        return;
    }
    send_str(s, memcmp(cur, r, (size_t)sz) == 0 || target->write_reg(cpu, s->layout, (int)n, r)
                    ? "OK" : "E22");
}

/* "ADDR,LEN" then *p at what follows. */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    return parse_hex(p, addr) && *(*p)++ == ',' && parse_hex(p, len);
}

static void read_mem(GdbServer *s, const char *p)
{
    uint64_t addr, len;
    uint8_t data[GDB_PACKET_MAX / 2];
    CPUState *cpu = g_cpu(s);
    if (!parse_addr_len(&p, &addr, &len) || *p || !cpu) {
        send_str(s, "E22");
        return;
    }
    if (len > sizeof(data))
        len = sizeof(data); /* gdb asks again for the rest */
    if (cpu_memory_rw_debug(cpu, addr, data, (size_t)len, false) < 0) {
        send_str(s, "E14");
        return;
    }
    GdbBuf b = { 0 };
    buf_hex(&b, data, (size_t)len);
    send_buf(s, &b);
}

/* M (hex data) or X (binary data, already unescaped). */
static void write_mem(GdbServer *s, const char *p, size_t plen, bool binary)
{
    const char *start = p;
    uint64_t addr, len;
    uint8_t data[GDB_PACKET_MAX];
    CPUState *cpu = g_cpu(s);
    if (!parse_addr_len(&p, &addr, &len) || *p++ != ':' || !cpu) {
        send_str(s, "E22");
        return;
    }
    size_t rest = plen - (size_t)(p - start);
    long n;
    if (binary) {
        n = rest <= sizeof(data) ? (long)rest : -1;
        if (n >= 0)
            memcpy(data, p, rest);
    } else {
        n = unhex(p, rest, data, sizeof(data));
    }
    if (n < 0 || (uint64_t)n != len) {
        send_str(s, "E22");
        return;
    }
    if (len && cpu_memory_rw_debug(cpu, addr, data, (size_t)len, true) < 0) {
        send_str(s, "E14");
        return;
    }
    send_str(s, "OK");
}

static void breakpoint(GdbServer *s, const char *p, bool insert)
{
    uint64_t type, addr, kind;
    if (!parse_hex(&p, &type) || *p++ != ',' || !parse_addr_len(&p, &addr, &kind)) {
        send_str(s, "E22");
        return;
    }
    /* ";cond..." lists (conditions evaluated by the target) are not taken */
    if (type > CPU_WP_ACCESS || *p) {
        send_str(s, "");
        return;
    }
    const AccelDebugOps *d = accel_debug_ops();
    uint64_t len = type >= CPU_WP_WRITE ? kind : 1;
    int r = insert ? d->insert_point(g_cpu(s), (CPUDebugPoint)type, addr, len)
                   : d->remove_point(g_cpu(s), (CPUDebugPoint)type, addr, len);
    send_str(s, r == 0 ? "OK" : "E22");
}

static void thread_list(GdbServer *s)
{
    GdbBuf b = { 0 };
    int last = -1;
    buf_str(&b, "m");
    /* ascending thread ids */
    for (;;) {
        CPUState *next = NULL;
        for (CPUState *c = cpu_first(); c; c = c->next_cpu)
            if (c->cpu_index > last && (!next || c->cpu_index < next->cpu_index))
                next = c;
        if (!next)
            break;
        if (last >= 0)
            buf_str(&b, ",");
        buf_printf(&b, "%x", tid_of(next));
        last = next->cpu_index;
    }
    send_buf(s, &b);
}

/* A thread id: -1 (all), 0 (any) or a vCPU; false if unknown. */
static bool parse_tid(const char *p, int64_t *tid)
{
    uint64_t v;
    if (!strcmp(p, "-1")) {
        *tid = -1;
        return true;
    }
    if (!parse_hex(&p, &v) || *p || v > INT32_MAX)
        return false;
    *tid = (int64_t)v;
    return v == 0 || cpu_by_tid(*tid);
}

static void set_thread(GdbServer *s, const char *p)
{
    char op = *p++;
    int64_t tid;
    if ((op != 'g' && op != 'c') || !parse_tid(p, &tid)) {
        send_str(s, "E22");
        return;
    }
    CPUState *cpu = tid > 0 ? cpu_by_tid(tid) : NULL;
    if (op == 'g')
        s->g_cpu = cpu;
    else
        s->c_cpu = cpu;
    send_str(s, "OK");
}

static void xfer_features(GdbServer *s, const char *p)
{
    /* ANNEX:OFFSET,LENGTH */
    const char *colon = strchr(p, ':');
    char annex[64];
    uint64_t off, len;
    if (!colon || (size_t)(colon - p) >= sizeof(annex)) {
        send_str(s, "E00");
        return;
    }
    memcpy(annex, p, (size_t)(colon - p));
    annex[colon - p] = '\0';
    p = colon + 1;
    const char *xml = target ? target->xml(s->layout, annex) : NULL;
    if (!parse_addr_len(&p, &off, &len) || *p) {
        send_str(s, "E22");
        return;
    }
    if (!xml) {
        send_str(s, "E00");
        return;
    }
    size_t total = strlen(xml);
    if (off >= total) {
        send_str(s, "l");
        return;
    }
    size_t n = total - (size_t)off;
    if (len < n)
        n = (size_t)len;
    if (n > GDB_PACKET_MAX / 2)
        n = GDB_PACKET_MAX / 2; /* escaping may double it */
    GdbBuf b = { 0 };
    buf_str(&b, off + n < total ? "m" : "l");
    uint8_t *esc = malloc(2 * n + 1);
    if (!esc)
        fatal("out of memory (gdbstub)");
    buf_put(&b, esc, gdbstub_escape((const uint8_t *)xml + off, n, esc));
    free(esc);
    send_buf(s, &b);
}

static void rcmd_out(void *opaque, const char *text, size_t len)
{
    GdbServer *s = opaque;
    while (len) {
        size_t n = len < 512 ? len : 512;
        GdbBuf b = { 0 };
        buf_str(&b, "O");
        buf_hex(&b, (const uint8_t *)text, n);
        send_buf(s, &b);
        text += n;
        len -= n;
    }
}

static void rcmd(GdbServer *s, const char *hex)
{
    char line[512];
    long n = unhex(hex, strlen(hex), (uint8_t *)line, sizeof(line) - 1);
    if (n < 0) {
        send_str(s, "E22");
        return;
    }
    line[n] = '\0';
    monitor_execute_capture(line, rcmd_out, s);
    send_str(s, "OK");
}

static void query(GdbServer *s, const char *p)
{
    if (!strncmp(p, "Supported", 9)) {
        s->swbreak = strstr(p, "swbreak+") != NULL;
        s->hwbreak = strstr(p, "hwbreak+") != NULL;
        GdbBuf b = { 0 };
        buf_printf(&b, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
                   "vContSupported+;QStartNoAckMode+", GDB_PACKET_MAX);
        send_buf(s, &b);
    } else if (!strncmp(p, "Xfer:features:read:", 19)) {
        xfer_features(s, p + 19);
    } else if (!strcmp(p, "Attached")) {
        send_str(s, "1"); /* attached to a running machine: quit detaches */
    } else if (!strcmp(p, "C")) {
        GdbBuf b = { 0 };
        buf_printf(&b, "QC%x", tid_of(g_cpu(s)));
        send_buf(s, &b);
    } else if (!strcmp(p, "fThreadInfo")) {
        thread_list(s);
    } else if (!strcmp(p, "sThreadInfo")) {
        send_str(s, "l");
    } else if (!strncmp(p, "ThreadExtraInfo,", 16)) {
        int64_t tid;
        CPUState *cpu;
        if (!parse_tid(p + 16, &tid) || !(cpu = cpu_by_tid(tid))) {
            send_str(s, "E22");
            return;
        }
        char text[64];
        snprintf(text, sizeof(text), "CPU#%d [%s]", cpu->cpu_index, cpu->halted ? "halted" : "running");
        GdbBuf b = { 0 };
        buf_hex(&b, (const uint8_t *)text, strlen(text));
        send_buf(s, &b);
    } else if (!strncmp(p, "Rcmd,", 5)) {
        rcmd(s, p + 5);
    } else if (!strncmp(p, "Symbol:", 7)) {
        send_str(s, "OK");
    } else {
        send_str(s, "");
    }
}

/* vCont;ACTION[:TID];... : the first action naming a CPU (or none) applies. */
static void vcont(GdbServer *s, const char *p)
{
    CPUState *step = NULL;
    bool any_run = false;
    for (CPUState *c = cpu_first(); c; c = c->next_cpu) {
        const char *q = p;
        while (*q == ';') {
            q++;
            char act = *q++;
            uint64_t sig;
            if (act == 'C' || act == 'S') {
                if (!parse_hex(&q, &sig)) {
                    send_str(s, "E22");
                    return;
                }
                act = (char)(act - 'A' + 'a');
            } else if (act != 'c' && act != 's' && act != 't') {
                send_str(s, "E22");
                return;
            }
            int64_t tid = -1;
            if (*q == ':') {
                const char *t = ++q;
                while (*q && *q != ';')
                    q++;
                char buf[24];
                size_t n = (size_t)(q - t);
                if (n >= sizeof(buf)) {
                    send_str(s, "E22");
                    return;
                }
                memcpy(buf, t, n);
                buf[n] = '\0';
                if (!parse_tid(buf, &tid)) {
                    send_str(s, "E22");
                    return;
                }
            }
            if (tid <= 0 || tid == tid_of(c)) {
                if (act == 's' && !step)
                    step = c;
                any_run |= act != 't';
                break;
            }
        }
        if (*q && *q != ';') {
            send_str(s, "E22");
            return;
        }
    }
    if (any_run)
        resume(s, step); /* the reply is the stop reply */
    else
        send_str(s, "OK");
}

static void handle_packet(GdbServer *s, char *p, size_t len)
{
    switch (p[0]) {
    case '?':
        send_stop_reply(s, g_cpu(s), 5, NULL);
        break;
    case 'q':
        query(s, p + 1);
        break;
    case 'Q':
        if (!strcmp(p, "QStartNoAckMode")) {
            send_str(s, "OK");
            s->noack = true;
        } else {
            send_str(s, "");
        }
        break;
    case 'g':
        reply_regs(s);
        break;
    case 'G':
        write_regs(s, p + 1, len - 1);
        break;
    case 'p':
        read_reg(s, p + 1);
        break;
    case 'P':
        write_reg(s, p + 1);
        break;
    case 'm':
        read_mem(s, p + 1);
        break;
    case 'M':
        write_mem(s, p + 1, len - 1, false);
        break;
    case 'X':
        write_mem(s, p + 1, len - 1, true);
        break;
    case 'Z':
    case 'z':
        breakpoint(s, p + 1, p[0] == 'Z');
        break;
    case 'c':
    case 'C':
        resume(s, NULL);
        break;
    case 's':
    case 'S':
        resume(s, s->c_cpu ? s->c_cpu : g_cpu(s));
        break;
    case 'H':
        set_thread(s, p + 1);
        break;
    case 'T': {
        int64_t tid;
        send_str(s, parse_tid(p + 1, &tid) && tid > 0 ? "OK" : "E22");
        break;
    }
    case 'v':
        if (!strcmp(p, "vCont?"))
            send_str(s, "vCont;c;C;s;S;t");
        else if (!strncmp(p, "vCont;", 6))
            vcont(s, p + 5);
        else
            send_str(s, "");
        break;
    case 'D':
        send_str(s, "OK");
        release_guest(s);
        break;
    case 'k':
        /* kill: gdb expects no reply; QEMU quits too */
        release_guest(s);
        mainloop_request_exit(MAINLOOP_EXIT_QUIT);
        break;
    default:
        send_str(s, "");
        break;
    }
}

/* ---- input ------------------------------------------------------------------------- */

static void packet_done(GdbServer *s)
{
    bool ok = s->ck == s->sum;
    if (!s->noack)
        send_raw(s, ok ? "+" : "-", 1);
    if (!ok)
        return;
    if (s->overflow) {
        send_str(s, "E22");
        return;
    }
    s->pkt[s->len] = '\0';
    if (s->len)
        handle_packet(s, (char *)s->pkt, s->len);
    else
        send_str(s, "");
}

void gdbstub_input(GdbServer *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        int h;
        switch (s->rx) {
        case RX_IDLE:
            if (c == '$') {
                s->rx = RX_DATA;
                s->len = 0;
                s->sum = 0;
                s->overflow = false;
            } else if (c == 0x03) {
                interrupt(s);
            } else if (c == '-' && !s->noack && s->last.len) {
                send_raw(s, s->last.p, s->last.len);
            }
            break; /* '+' and line noise */
        case RX_DATA:
        case RX_ESC:
            if (c == '$' && s->rx == RX_DATA) { /* a new start: drop the partial packet */
                s->len = 0;
                s->sum = 0;
                s->overflow = false;
                break;
            }
            if (c == '#' && s->rx == RX_DATA) {
                s->rx = RX_CK1;
                break;
            }
            s->sum = (uint8_t)(s->sum + c);
            if (c == '}' && s->rx == RX_DATA) {
                s->rx = RX_ESC;
                break;
            }
            if (s->rx == RX_ESC)
                c ^= 0x20;
            s->rx = RX_DATA;
            if (s->len < GDB_PACKET_MAX)
                s->pkt[s->len++] = c;
            else
                s->overflow = true;
            break;
        case RX_CK1:
            h = hexval(c);
            s->ck = (uint8_t)((h < 0 ? 0x100 : h) << 4); /* a bad digit fails the sum check */
            s->rx = h < 0 ? RX_IDLE : RX_CK2;
            if (h < 0 && !s->noack)
                send_raw(s, "-", 1);
            break;
        case RX_CK2:
            h = hexval(c);
            s->rx = RX_IDLE;
            if (h < 0) {
                if (!s->noack)
                    send_raw(s, "-", 1);
                break;
            }
            s->ck = (uint8_t)(s->ck | h);
            packet_done(s);
            break;
        }
    }
}

/* ---- servers -------------------------------------------------------------------------- */

GdbServer *gdbstub_new(void (*out)(void *opaque, const uint8_t *buf, size_t len), void *opaque)
{
    GdbServer *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory (gdbstub)");
    s->out = out;
    s->out_opaque = opaque;
    return s;
}

void gdbstub_free(GdbServer *s)
{
    if (!s)
        return;
    gdbstub_disconnected(s);
    free(s->last.p);
    free(s);
}

static void chr_out(void *opaque, const uint8_t *buf, size_t len)
{
    GdbServer *s = opaque;
    chardev_write(s->chr, buf, len);
}

static int chr_can_receive(void *opaque)
{
    (void)opaque;
    return GDB_PACKET_MAX;
}

static void chr_receive(void *opaque, const uint8_t *buf, size_t len)
{
    gdbstub_input(opaque, buf, len);
}

static void chr_event(void *opaque, ChardevEvent ev)
{
    if (ev == CHARDEV_EVENT_OPENED)
        gdbstub_connected(opaque);
    else if (ev == CHARDEV_EVENT_CLOSED)
        gdbstub_disconnected(opaque);
}

static const ChardevHandlers chr_handlers = { chr_can_receive, chr_receive, chr_event, NULL };

static void debug_handler(void *opaque, CPUState *cpu)
{
    (void)opaque;
    gdbstub_cpu_stopped(server, cpu);
}

GdbServer *gdbstub_start(Chardev *chr, Error **errp)
{
    if (chardev_claim(chr, errp) < 0)
        return NULL;
    gdbstub_stop();
    GdbServer *s = gdbstub_new(chr_out, NULL);
    s->out_opaque = s;
    s->chr = chr;
    server = s;
    accel_set_debug_handler(debug_handler, NULL);
    chardev_set_handlers(chr, &chr_handlers, s);
    return s;
}

void gdbstub_stop(void)
{
    GdbServer *s = server;
    if (!s)
        return;
    server = NULL;
    accel_set_debug_handler(NULL, NULL);
    chardev_set_handlers(s->chr, NULL, s);
    chardev_release(s->chr);
    if (s->owns_chr)
        chardev_free(s->chr);
    gdbstub_free(s);
}

int gdbstub_start_spec(const char *spec, Error **errp)
{
    static int seq;
    char full[512], id[32];
    if (!strcmp(spec, "none")) {
        gdbstub_stop();
        return 0;
    }
    bool digits = *spec && strspn(spec, "0123456789") == strlen(spec);
    bool sock = !strncmp(spec, "tcp:", 4) || !strncmp(spec, "unix:", 5);
    if (digits)
        snprintf(full, sizeof(full), "tcp::%s,server,nowait", spec);
    else if (sock && !strstr(spec, ",server"))
        snprintf(full, sizeof(full), "%s,server,nowait", spec); /* gdb is the client */
    else
        snprintf(full, sizeof(full), "%s", spec);
    snprintf(id, sizeof(id), "gdbserver%d", seq++);
    Chardev *chr = NULL;
    if (chardev_new_legacy(id, full, &chr, errp) < 0)
        return -1;
    if (!chr) {
        error_setg(errp, "gdbserver %s: no device (use 'gdbserver none' to stop the server)", spec);
        return -1;
    }
    GdbServer *s = gdbstub_start(chr, errp);
    if (!s) {
        chardev_free(chr);
        return -1;
    }
    s->owns_chr = true;
    return 0;
}

static void cmd_gdbserver(Monitor *mon, const char *args)
{
    const char *spec = *args ? args : "tcp::1234";
    Error *err = NULL;
    if (gdbstub_start_spec(spec, &err) < 0) {
        monitor_printf(mon, "%s\n", err->msg);
        error_free(err);
    } else if (!strcmp(spec, "none")) {
        monitor_printf(mon, "Disabled gdbserver\n");
    } else {
        monitor_printf(mon, "Waiting for gdb connection on device '%s'\n", spec);
    }
}

static const MonitorCommand gdbserver_cmd = {
    "gdbserver", "[device]", "start gdbserver on given device (default 'tcp::1234'), stop with 'none'",
    cmd_gdbserver,
};

void gdbstub_monitor_init(void)
{
    static bool done;
    if (!done) {
        done = true;
        monitor_register_command(&gdbserver_cmd, false);
    }
}
