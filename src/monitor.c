/* The human monitor (see monitor.h). */
#include "src/monitor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "src/mainloop.h"
#include "src/options.h"

#define MON_LINE_MAX 512
#define MON_MAX_CMDS 96
#define MON_HISTORY 64

struct Monitor {
    Chardev *chr;
    bool mux;
    bool banner_done;
    char line[MON_LINE_MAX];
    size_t len, pos;    /* text length, cursor */
    int esc;            /* 0; 1 after ESC; 2 inside "ESC [" or "ESC O" */
    int esc_param;      /* the number in "ESC [ 3 ~" */
    char *hist[MON_HISTORY];
    unsigned nhist, hpos; /* commands entered; the one shown (nhist: a new line) */
    bool last_cr;       /* drop the LF of a CR LF */
    /* output to a function instead of chr (gdb's qRcmd) */
    void (*capture)(void *opaque, const char *buf, size_t len);
    void *capture_opaque;
    Monitor *next;
};

static MonitorOps ops;
static Monitor *monitors;
static const MonitorCommand *cmds[MON_MAX_CMDS], *infos[MON_MAX_CMDS];
static int ncmds, ninfos;
static bool tables_ready;

void monitor_set_ops(const MonitorOps *o)
{
    ops = *o;
}

const MonitorOps *monitor_ops(void)
{
    return &ops;
}

/* ---- output ----------------------------------------------------------------- */

static void mon_out(Monitor *mon, const char *p, size_t n)
{
    chardev_write(mon->chr, p, n);
}

static void mon_write(Monitor *mon, const char *p, size_t n)
{
    if (mon->capture) {
        mon->capture(mon->capture_opaque, p, n);
        return;
    }
    /* Terminals in raw mode and telnet clients want CR LF. */
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            mon_out(mon, p + start, i - start);
            mon_out(mon, "\r\n", 2);
            start = i + 1;
        }
    }
    mon_out(mon, p + start, n - start);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        mon_write(mon, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mon_write(mon, big, (size_t)n);
    free(big);
}

/* The printers of other modules write to a FILE: collect it in a
 * temporary file and send that. */
void monitor_print_from(Monitor *mon, void (*fn)(FILE *, void *), void *opaque)
{
    FILE *f = tmpfile();
    if (!f) {
        monitor_printf(mon, "cannot create a temporary file for the output\n");
        return;
    }
    fn(f, opaque);
    fflush(f);
    rewind(f);
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        mon_write(mon, buf, n);
    fclose(f);
}

static void mon_prompt(Monitor *mon)
{
    monitor_printf(mon, "(pemu) ");
}

/* ---- commands ------------------------------------------------------------------ */

/* Does word match one of the '|' separated names? */
static bool name_matches(const char *names, const char *word, size_t wlen)
{
    const char *p = names;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == wlen && !memcmp(p, word, n))
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static const MonitorCommand *find_cmd(const MonitorCommand *const *t, int n, const char *w,
                                      size_t wlen)
{
    for (int i = 0; i < n; i++)
        if (name_matches(t[i]->name, w, wlen))
            return t[i];
    return NULL;
}

static void print_cmd_help(Monitor *mon, const char *prefix, const MonitorCommand *c)
{
    /* QEMU's layout: "name args -- help" (two blanks when there are no args) */
    monitor_printf(mon, "%s%s %s -- %s\n", prefix, c->name, c->args, c->help);
}

static void cmd_help(Monitor *mon, const char *args)
{
    size_t wl = strcspn(args, " \t");
    if (wl) {
        if (wl == 4 && !strncmp(args, "info", 4)) {
            for (int i = 0; i < ninfos; i++)
                print_cmd_help(mon, "info ", infos[i]);
            return;
        }
        const MonitorCommand *c = find_cmd(cmds, ncmds, args, wl);
        if (!c) {
            monitor_printf(mon, "unknown command: '%.*s'\n", (int)wl, args);
            return;
        }
        print_cmd_help(mon, "", c);
        return;
    }
    for (int i = 0; i < ncmds; i++)
        print_cmd_help(mon, "", cmds[i]);
}

static void cmd_info(Monitor *mon, const char *args)
{
    size_t wl = strcspn(args, " \t");
    if (!wl) {
        for (int i = 0; i < ninfos; i++)
            print_cmd_help(mon, "info ", infos[i]);
        return;
    }
    const MonitorCommand *c = find_cmd(infos, ninfos, args, wl);
    if (!c) {
        monitor_printf(mon, "unknown info command: '%.*s'\n", (int)wl, args);
        return;
    }
    const char *rest = args + wl;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    c->handler(mon, rest);
}

static void cmd_quit(Monitor *mon, const char *args)
{
    (void)mon;
    (void)args;
    mainloop_request_exit(MAINLOOP_EXIT_QUIT);
}

static void not_available(Monitor *mon, const char *what)
{
    monitor_printf(mon, "%s: not available on this machine\n", what);
}

static void cmd_system_reset(Monitor *mon, const char *args)
{
    (void)args;
    if (ops.system_reset)
        ops.system_reset(ops.opaque);
    else
        not_available(mon, "system_reset");
}

static void cmd_system_powerdown(Monitor *mon, const char *args)
{
    (void)args;
    if (ops.system_powerdown)
        ops.system_powerdown(ops.opaque);
    else
        not_available(mon, "system_powerdown");
}

static void cmd_stop(Monitor *mon, const char *args)
{
    (void)args;
    if (ops.stop)
        ops.stop(ops.opaque);
    else
        not_available(mon, "stop");
}

static void cmd_cont(Monitor *mon, const char *args)
{
    (void)args;
    if (ops.cont)
        ops.cont(ops.opaque);
    else
        not_available(mon, "cont");
}

static void info_version(Monitor *mon, const char *args)
{
    (void)args;
    monitor_printf(mon, "%s\n", PEMU_VERSION);
}

static void info_status(Monitor *mon, const char *args)
{
    (void)args;
    bool run = ops.running ? ops.running(ops.opaque) : true;
    monitor_printf(mon, "VM status: %s\n", run ? "running" : "paused");
}

static void info_chardev(Monitor *mon, const char *args)
{
    (void)args;
    for (Chardev *c = chardev_next(NULL); c; c = chardev_next(c))
        monitor_printf(mon, "%s: filename=%s\n", chardev_id(c), chardev_filename(c));
}

static void info_printer(Monitor *mon, void (*fn)(FILE *, void *), const char *what)
{
    if (fn)
        monitor_print_from(mon, fn, ops.opaque);
    else
        not_available(mon, what);
}

static void info_registers(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_registers, "info registers");
}

static void info_mtree(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_mtree, "info mtree");
}

static void info_tlb(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_tlb, "info tlb");
}

static void info_mem(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_mem, "info mem");
}

static void info_pci(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_pci, "info pci");
}

static void info_lapic(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_lapic, "info lapic");
}

static void info_ioapic(Monitor *mon, const char *args)
{
    (void)args;
    info_printer(mon, ops.print_ioapic, "info ioapic");
}

static const MonitorCommand base_cmds[] = {
    { "help|?", "[cmd]", "show the help", cmd_help },
    { "info", "[subcommand]", "show various information about the system state", cmd_info },
    { "quit|q", "", "quit the emulator", cmd_quit },
    { "system_reset", "", "reset the system", cmd_system_reset },
    { "system_powerdown", "", "send system power down event", cmd_system_powerdown },
    { "stop", "", "stop emulation", cmd_stop },
    { "cont|c", "", "resume emulation", cmd_cont },
};

static const MonitorCommand base_infos[] = {
    { "version", "", "show the version of pemu", info_version },
    { "status", "", "show the current VM status (running|paused)", info_status },
    { "chardev", "", "show the character devices", info_chardev },
    { "registers", "", "show the cpu registers", info_registers },
    { "mtree", "", "show memory tree", info_mtree },
    { "pci", "", "show PCI info", info_pci },
    { "lapic", "", "show local apic state", info_lapic },
    { "ioapic", "", "show io apic state", info_ioapic },
    { "tlb", "", "show virtual to physical memory mappings", info_tlb },
    { "mem", "", "show the active virtual memory mappings", info_mem },
};

static void tables_init(void)
{
    if (tables_ready)
        return;
    tables_ready = true;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(base_cmds); i++)
        monitor_register_command(&base_cmds[i], false);
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(base_infos); i++)
        monitor_register_command(&base_infos[i], true);
    monitor_cmds_register();
}

void monitor_register_command(const MonitorCommand *cmd, bool is_info)
{
    if (!tables_ready)
        tables_init();
    int *n = is_info ? &ninfos : &ncmds;
    const MonitorCommand **t = is_info ? infos : cmds;
    if (*n == MON_MAX_CMDS)
        fatal("monitor: more than %d commands (raise MON_MAX_CMDS)", MON_MAX_CMDS);
    t[(*n)++] = cmd;
}

void monitor_execute(Monitor *mon, const char *line)
{
    tables_init();
    while (*line == ' ' || *line == '\t')
        line++;
    /* "x/4xb addr": the format may follow the name without a blank */
    size_t wl = strcspn(line, " \t/");
    if (!wl)
        return;
    const MonitorCommand *c = find_cmd(cmds, ncmds, line, wl);
    if (!c) {
        monitor_printf(mon, "unknown command: '%.*s'\n", (int)wl, line);
        return;
    }
    char args[MON_LINE_MAX];
    const char *a = line + wl;
    while (*a == ' ' || *a == '\t')
        a++;
    snprintf(args, sizeof(args), "%s", a);
    size_t al = strlen(args);
    while (al && (args[al - 1] == ' ' || args[al - 1] == '\t'))
        args[--al] = '\0';
    c->handler(mon, args);
}

void monitor_execute_capture(const char *line, void (*out)(void *opaque, const char *buf, size_t len),
                             void *opaque)
{
    Monitor m = { .capture = out, .capture_opaque = opaque };
    monitor_execute(&m, line);
}

typedef struct StrBuf {
    char *p;
    size_t len, size;
} StrBuf;

static void strbuf_add(StrBuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->size) {
        size_t sz = (b->len + n + 1) * 2;
        char *c = realloc(b->p, sz);
        if (!c)
            fatal("out of memory (monitor output)");
        b->p = c;
        b->size = sz;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void capture_crlf(void *opaque, const char *p, size_t n)
{
    StrBuf *b = opaque;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            strbuf_add(b, p + start, i - start);
            strbuf_add(b, "\r\n", 2);
            start = i + 1;
        }
    }
    strbuf_add(b, p + start, n - start);
}

char *monitor_execute_to_string(const char *line)
{
    StrBuf b = { 0 };
    strbuf_add(&b, "", 0);
    monitor_execute_capture(line, capture_crlf, &b);
    return b.p;
}

/* ---- line editing ------------------------------------------------------------ */

/* Redraw the line from the prompt on: CR, prompt, text, erase to the end
 * of the line, then back to the cursor. */
static void mon_redraw(Monitor *mon)
{
    monitor_printf(mon, "\r(pemu) %.*s\033[K", (int)mon->len, mon->line);
    if (mon->len > mon->pos)
        monitor_printf(mon, "\033[%dD", (int)(mon->len - mon->pos));
}

static void mon_set_line(Monitor *mon, const char *text)
{
    size_t n = strlen(text);
    if (n >= MON_LINE_MAX)
        n = MON_LINE_MAX - 1;
    memcpy(mon->line, text, n);
    mon->len = mon->pos = n;
    mon_redraw(mon);
}

static void mon_history_add(Monitor *mon, const char *line)
{
    if (!*line)
        return;
    if (mon->nhist && !strcmp(mon->hist[(mon->nhist - 1) % MON_HISTORY], line))
        return; /* the same command twice is kept once */
    char *copy = malloc(strlen(line) + 1);
    if (!copy)
        return;
    strcpy(copy, line);
    free(mon->hist[mon->nhist % MON_HISTORY]);
    mon->hist[mon->nhist % MON_HISTORY] = copy;
    mon->nhist++;
}

/* Up (dir -1) and Down (+1) through the history; past the newest: empty. */
static void mon_history_move(Monitor *mon, int dir)
{
    unsigned oldest = mon->nhist > MON_HISTORY ? mon->nhist - MON_HISTORY : 0;
    if (dir < 0 && mon->hpos > oldest)
        mon->hpos--;
    else if (dir > 0 && mon->hpos < mon->nhist)
        mon->hpos++;
    else
        return;
    mon_set_line(mon, mon->hpos < mon->nhist ? mon->hist[mon->hpos % MON_HISTORY] : "");
}

static void mon_delete(Monitor *mon, size_t from, size_t to)
{
    if (to <= from)
        return;
    memmove(mon->line + from, mon->line + to, mon->len - to);
    mon->len -= to - from;
    mon->pos = from;
    mon_redraw(mon);
}

static void mon_enter(Monitor *mon)
{
    mon_write(mon, "\n", 1);
    mon->line[mon->len] = '\0';
    mon->len = mon->pos = 0;
    mon_history_add(mon, mon->line);
    mon->hpos = mon->nhist;
    monitor_execute(mon, mon->line);
    mon_prompt(mon);
}

/* The final byte of an escape sequence (ESC [ params final, or ESC O final). */
static void mon_escape(Monitor *mon, uint8_t final)
{
    int p = mon->esc_param;
    switch (final) {
    case 'A': mon_history_move(mon, -1); break;
    case 'B': mon_history_move(mon, 1); break;
    case 'C':
        if (mon->pos < mon->len) {
            chardev_write(mon->chr, &mon->line[mon->pos], 1);
            mon->pos++;
        }
        break;
    case 'D':
        if (mon->pos > 0) {
            mon->pos--;
            chardev_write(mon->chr, "\b", 1);
        }
        break;
    case 'H': mon->pos = 0; mon_redraw(mon); break;
    case 'F': mon->pos = mon->len; mon_redraw(mon); break;
    case '~':
        if (p == 1 || p == 7) {
            mon->pos = 0;
            mon_redraw(mon);
        } else if (p == 4 || p == 8) {
            mon->pos = mon->len;
            mon_redraw(mon);
        } else if (p == 3) {
            mon_delete(mon, mon->pos, mon->pos + (mon->pos < mon->len));
        }
        break;
    default:
        break;
    }
}

static void mon_key(Monitor *mon, uint8_t ch)
{
    if (mon->esc == 1) {
        mon->esc = ch == '[' || ch == 'O' ? 2 : 0;
        mon->esc_param = 0;
        return;
    }
    if (mon->esc == 2) {
        if (ch >= '0' && ch <= '9') {
            mon->esc_param = mon->esc_param * 10 + (ch - '0');
        } else if (ch >= 0x40 && ch <= 0x7e) {
            mon->esc = 0;
            mon_escape(mon, ch);
        }
        return;
    }
    bool was_cr = mon->last_cr;
    mon->last_cr = ch == '\r';
    switch (ch) {
    case '\n':
        if (was_cr)
            return;
        /* fall through */
    case '\r':
        mon_enter(mon);
        return;
    case 0x7f:
    case 0x08:
        if (mon->pos == mon->len && mon->len) {
            mon->len--;
            mon->pos--;
            chardev_write(mon->chr, "\b \b", 3);
        } else if (mon->pos) {
            mon_delete(mon, mon->pos - 1, mon->pos);
        }
        return;
    case 0x01: /* Ctrl-A: start of line */
        mon->pos = 0;
        mon_redraw(mon);
        return;
    case 0x05: /* Ctrl-E: end of line */
        mon->pos = mon->len;
        mon_redraw(mon);
        return;
    case 0x02: mon_escape(mon, 'D'); return; /* Ctrl-B */
    case 0x06: mon_escape(mon, 'C'); return; /* Ctrl-F */
    case 0x10: mon_escape(mon, 'A'); return; /* Ctrl-P */
    case 0x0e: mon_escape(mon, 'B'); return; /* Ctrl-N */
    case 0x0b: /* Ctrl-K: kill to the end */
        mon->len = mon->pos;
        mon_redraw(mon);
        return;
    case 0x15: /* Ctrl-U: kill to the start */
        mon_delete(mon, 0, mon->pos);
        return;
    case 0x17: { /* Ctrl-W: kill the word before the cursor */
        size_t p = mon->pos;
        while (p && mon->line[p - 1] == ' ')
            p--;
        while (p && mon->line[p - 1] != ' ')
            p--;
        mon_delete(mon, p, mon->pos);
        return;
    }
    case 0x1b:
        mon->esc = 1;
        return;
    default:
        if (ch < 0x20 || mon->len + 1 >= sizeof(mon->line))
            return;
        if (mon->pos == mon->len) {
            mon->line[mon->len++] = (char)ch;
            mon->pos++;
            chardev_write(mon->chr, &ch, 1);
        } else {
            memmove(mon->line + mon->pos + 1, mon->line + mon->pos, mon->len - mon->pos);
            mon->line[mon->pos++] = (char)ch;
            mon->len++;
            mon_redraw(mon);
        }
    }
}

static int mon_can_receive(void *opaque)
{
    (void)opaque;
    return MON_LINE_MAX;
}

static void mon_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Monitor *mon = opaque;
    for (size_t i = 0; i < len; i++)
        mon_key(mon, buf[i]);
}

static void mon_event(void *opaque, ChardevEvent ev)
{
    Monitor *mon = opaque;
    bool show = mon->mux ? ev == CHARDEV_EVENT_MUX_IN : ev == CHARDEV_EVENT_OPENED;
    if (!show)
        return;
    if (!mon->banner_done || !mon->mux) {
        mon->banner_done = true;
        monitor_printf(mon, "pemu %s monitor - type 'help' for more information\n", PEMU_VERSION);
    }
    mon->len = mon->pos = 0;
    mon->esc = 0;
    mon_prompt(mon);
}

static const ChardevHandlers mon_handlers = {
    mon_can_receive, mon_receive, mon_event, NULL,
};

Monitor *monitor_new(Chardev *chr, Error **errp)
{
    tables_init();
    if (chardev_claim(chr, errp) < 0)
        return NULL;
    Monitor *mon = calloc(1, sizeof(*mon));
    if (!mon)
        fatal("out of memory (monitor)");
    mon->chr = chr;
    mon->mux = chardev_is_mux(chr);
    mon->next = monitors;
    monitors = mon;
    chardev_set_handlers(chr, &mon_handlers, mon);
    return mon;
}

void monitor_free(Monitor *mon)
{
    if (!mon)
        return;
    for (Monitor **pp = &monitors; *pp; pp = &(*pp)->next) {
        if (*pp == mon) {
            *pp = mon->next;
            break;
        }
    }
    chardev_set_handlers(mon->chr, NULL, mon);
    for (int i = 0; i < MON_HISTORY; i++)
        free(mon->hist[i]);
    free(mon);
}

void monitor_free_all(void)
{
    while (monitors)
        monitor_free(monitors);
}
