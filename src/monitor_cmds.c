/*
 * Monitor commands beyond the core ones of monitor.c: memory dumps (x, xp),
 * the display (screendump, sendkey), logging (log, logfile) and more info
 * subcommands. They reach the machine only through MonitorOps.
 */
#include "src/monitor.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/log.h"
#include "ui/display.h"
#include "ui/input.h"

/* ---- argument helpers ---------------------------------------------------------- */

/* The next blank-separated word of *p into buf; false if there is none. */
static bool next_word(const char **p, char *buf, size_t n)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strcspn(s, " \t");
    if (!len)
        return false;
    snprintf(buf, n, "%.*s", (int)len, s);
    *p = s + len;
    while (**p == ' ' || **p == '\t')
        (*p)++;
    return true;
}

/* A number as HMP takes one: 0x hex, 0 octal, decimal; -1 if not one. */
static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    *v = strtoull(s, &end, 0);
    return *end ? -1 : 0;
}

static void missing(Monitor *mon, const char *cmd, const char *what)
{
    monitor_printf(mon, "%s: %s expected\n", cmd, what);
}

/* ---- x, xp ---------------------------------------------------------------------- */

typedef struct MemFmt {
    int count;
    char format;   /* x d u o c i */
    int size;      /* 1 2 4 8 */
} MemFmt;

/* Remembered between commands, as QEMU does. */
static MemFmt last_fmt = { 1, 'x', 4 };

/* "/[count][format][size]" -> f; -1 with a message on a bad one. */
static int parse_fmt(Monitor *mon, const char *s, MemFmt *f)
{
    *f = last_fmt;
    f->count = 1;
    bool size_given = false;
    s++; /* the '/' */
    if (isdigit((unsigned char)*s)) {
        char *end;
        long n = strtol(s, &end, 10);
        if (n < 1 || n > 65536) {
            monitor_printf(mon, "invalid count in format: '%.*s'\n", (int)(end - s), s);
            return -1;
        }
        f->count = (int)n;
        s = end;
    }
    for (; *s; s++) {
        switch (*s) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
            f->format = *s;
            break;
        case 'b': f->size = 1; size_given = true; break;
        case 'h': f->size = 2; size_given = true; break;
        case 'w': f->size = 4; size_given = true; break;
        case 'g': f->size = 8; size_given = true; break;
        default:
            monitor_printf(mon, "invalid char in format: '%c'\n", *s);
            return -1;
        }
    }
    if (f->format == 'c')
        f->size = 1;
    else if (!size_given && last_fmt.format == 'c')
        f->size = 4;
    return 0;
}

static void print_char(Monitor *mon, uint8_t c)
{
    switch (c) {
    case '\'': monitor_printf(mon, "\\'"); break;
    case '\\': monitor_printf(mon, "\\\\"); break;
    case '\n': monitor_printf(mon, "\\n"); break;
    case '\r': monitor_printf(mon, "\\r"); break;
    default:
        if (c >= 32 && c <= 126)
            monitor_printf(mon, "%c", c);
        else
            monitor_printf(mon, "\\x%02x", c);
    }
}

static void memory_dump(Monitor *mon, const MemFmt *f, uint64_t addr, bool phys)
{
    const MonitorOps *ops = monitor_ops();
    if (f->format == 'i') {
        if (!ops->disas) {
            monitor_printf(mon, "x/i: no disassembler for this machine\n");
            return;
        }
        for (int i = 0; i < f->count; i++) {
            char text[128];
            int len = ops->disas(ops->opaque, addr, phys, text, sizeof(text));
            if (len < 0) {
                monitor_printf(mon, "Cannot access memory\n");
                return;
            }
            monitor_printf(mon, "0x%016" PRIx64 ":  %s\n", addr, text);
            addr += (uint64_t)len;
        }
        return;
    }
    if (!ops->read_memory) {
        monitor_printf(mon, "%s: not available on this machine\n", phys ? "xp" : "x");
        return;
    }
    int size = f->size;
    int line = size == 1 ? 8 : 16;
    int digits;
    switch (f->format) {
    case 'o': digits = (size * 8 + 2) / 3; break;
    case 'u': digits = (size * 8 * 10 + 32) / 33; break;
    case 'd': digits = (size * 8 * 10 + 32) / 33 + 1; break;
    default: digits = size * 2; break;
    }
    uint64_t total = (uint64_t)f->count * (uint64_t)size;
    while (total) {
        monitor_printf(mon, "%016" PRIx64 ":", addr);
        uint64_t n = total < (uint64_t)line ? total : (uint64_t)line;
        uint8_t buf[16];
        if (ops->read_memory(ops->opaque, addr, phys, buf, (size_t)n) < 0) {
            monitor_printf(mon, " Cannot access memory\n");
            return;
        }
        for (uint64_t i = 0; i < n; i += (uint64_t)size) {
            uint64_t v = 0;
            for (int b = size - 1; b >= 0; b--)
                v = v << 8 | buf[i + (uint64_t)b]; /* guest memory is little-endian */
            monitor_printf(mon, " ");
            switch (f->format) {
            case 'x': monitor_printf(mon, "0x%0*" PRIx64, digits, v); break;
            case 'o': monitor_printf(mon, "%#*" PRIo64, digits, v); break;
            case 'u': monitor_printf(mon, "%*" PRIu64, digits, v); break;
            case 'd': {
                int sh = 64 - size * 8;
                int64_t sv = sh ? (int64_t)(v << sh) >> sh : (int64_t)v;
                monitor_printf(mon, "%*" PRId64, digits, sv);
                break;
            }
            case 'c':
                monitor_printf(mon, "'");
                print_char(mon, (uint8_t)v);
                monitor_printf(mon, "'");
                break;
            }
        }
        monitor_printf(mon, "\n");
        addr += n;
        total -= n;
    }
}

static void x_common(Monitor *mon, const char *args, bool phys)
{
    const char *cmd = phys ? "xp" : "x";
    char word[64];
    MemFmt f = last_fmt;
    f.count = 1;
    if (*args == '/') {
        if (!next_word(&args, word, sizeof(word)) || parse_fmt(mon, word, &f) < 0)
            return;
    }
    uint64_t addr;
    if (!next_word(&args, word, sizeof(word))) {
        missing(mon, cmd, "address");
        return;
    }
    if (parse_u64(word, &addr) < 0) {
        monitor_printf(mon, "%s: invalid address '%s'\n", cmd, word);
        return;
    }
    if (*args) {
        monitor_printf(mon, "%s: extraneous characters at the end of line\n", cmd);
        return;
    }
    last_fmt = f;
    memory_dump(mon, &f, addr, phys);
}

static void cmd_x(Monitor *mon, const char *args) { x_common(mon, args, false); }
static void cmd_xp(Monitor *mon, const char *args) { x_common(mon, args, true); }

/* ---- the display --------------------------------------------------------------- */

/* screendump FILENAME [-f ppm|png] (QEMU also takes the format before the name) */
static void cmd_screendump(Monitor *mon, const char *args)
{
    char w[3][512];
    int n = 0;
    while (n < 3 && next_word(&args, w[n], sizeof(w[n])))
        n++;
    const char *file = NULL, *format = NULL;
    for (int i = 0; i < n; i++) {
        if (!strcmp(w[i], "-f")) {
            if (i + 1 >= n) {
                missing(mon, "screendump", "format");
                return;
            }
            format = w[++i];
        } else if (!file) {
            file = w[i];
        } else {
            monitor_printf(mon, "screendump: extraneous characters at the end of line\n");
            return;
        }
    }
    if (*args) {
        monitor_printf(mon, "screendump: extraneous characters at the end of line\n");
        return;
    }
    if (!file) {
        missing(mon, "screendump", "filename");
        return;
    }
    Console *con = console_get(0);
    if (!con) {
        monitor_printf(mon, "Error: there is no graphic console to dump\n");
        return;
    }
    Error *err = NULL;
    if (screendump_console(con, file, format, &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg);
        error_free(err);
    }
}

/* sendkey KEYS [HOLD_MS] */
static void cmd_sendkey(Monitor *mon, const char *args)
{
    char keys[256], hold[32];
    if (!next_word(&args, keys, sizeof(keys))) {
        missing(mon, "sendkey", "string");
        return;
    }
    uint64_t ms = 100; /* QEMU's default hold time */
    if (next_word(&args, hold, sizeof(hold)) && (parse_u64(hold, &ms) < 0 || ms > 100000)) {
        monitor_printf(mon, "sendkey: invalid hold time '%s' (milliseconds)\n", hold);
        return;
    }
    Error *err = NULL;
    if (input_send_key_combo(keys, (int)ms, &err) < 0) {
        monitor_printf(mon, "%s\n", err->msg);
        error_free(err);
    }
}

/* ---- logging ---------------------------------------------------------------------- */

static void cmd_log(Monitor *mon, const char *args)
{
    char items[256];
    if (!next_word(&args, items, sizeof(items))) {
        missing(mon, "log", "string");
        return;
    }
    uint32_t mask = 0;
    Error *err = NULL;
    if (strcmp(items, "none") && log_parse_mask(items, &mask, &err) < 0) {
        monitor_printf(mon, "Invalid log mask: %s (%s)\n", items, err->msg);
        error_free(err);
        return;
    }
    log_set_mask(mask);
}

static void cmd_logfile(Monitor *mon, const char *args)
{
    char file[512];
    if (!next_word(&args, file, sizeof(file))) {
        missing(mon, "logfile", "filename");
        return;
    }
    Error *err = NULL;
    if (log_set_file(file, &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg);
        error_free(err);
    }
}

/* ---- info ------------------------------------------------------------------------- */

static void info_hook(Monitor *mon, void (*fn)(FILE *, void *), const char *what)
{
    if (fn)
        monitor_print_from(mon, fn, monitor_ops()->opaque);
    else
        monitor_printf(mon, "%s: not available on this machine\n", what);
}

static void info_block(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_block, "info block");
}

static void info_irq(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_irq, "info irq");
}

static void info_jit(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_jit, "info jit");
}

static void info_mice(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_mice, "info mice");
}

static void info_blockstats(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_blockstats, "info blockstats");
}

/* ---- removable media ------------------------------------------------------------- */

static void cmd_eject(Monitor *mon, const char *args)
{
    char dev[128];
    bool force = false;
    if (!next_word(&args, dev, sizeof(dev))) {
        missing(mon, "eject", "device");
        return;
    }
    if (!strcmp(dev, "-f")) {
        force = true;
        if (!next_word(&args, dev, sizeof(dev))) {
            missing(mon, "eject", "device");
            return;
        }
    }
    Error *err = NULL;
    if (!monitor_ops()->eject) {
        monitor_printf(mon, "eject: not available\n");
    } else if (monitor_ops()->eject(monitor_ops()->opaque, dev, force, &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg); /* QEMU's HMP error form */
        error_free(err);
    }
}

static void cmd_change(Monitor *mon, const char *args)
{
    char dev[128], file[1024], fmt[64];
    if (!next_word(&args, dev, sizeof(dev))) {
        missing(mon, "change", "device");
        return;
    }
    if (!next_word(&args, file, sizeof(file))) {
        missing(mon, "change", "target");
        return;
    }
    bool have_fmt = next_word(&args, fmt, sizeof(fmt));
    Error *err = NULL;
    if (!monitor_ops()->change) {
        monitor_printf(mon, "change: not available\n");
    } else if (monitor_ops()->change(monitor_ops()->opaque, dev, file, have_fmt ? fmt : NULL,
                                     &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg);
        error_free(err);
    }
}

static void cmd_commit(Monitor *mon, const char *args)
{
    char dev[128];
    if (!next_word(&args, dev, sizeof(dev))) {
        missing(mon, "commit", "device");
        return;
    }
    Error *err = NULL;
    if (!monitor_ops()->commit) {
        monitor_printf(mon, "commit: not available\n");
    } else if (monitor_ops()->commit(monitor_ops()->opaque, dev, &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg);
        error_free(err);
    }
}

/* savevm [tag], loadvm tag, delvm tag */
static void snapshot_cmd(Monitor *mon, const char *args, const char *cmd,
                         int (*fn)(void *opaque, const char *name, Error **errp))
{
    char name[256];
    if (!next_word(&args, name, sizeof(name))) {
        if (fn != monitor_ops()->savevm) {
            missing(mon, cmd, "tag");
            return;
        }
        /* as QEMU: a name from the date */
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(name, sizeof(name), "vm-%Y%m%d%H%M%S", &tm);
    }
    Error *err = NULL;
    if (!fn)
        monitor_printf(mon, "%s: not available\n", cmd);
    else if (fn(monitor_ops()->opaque, name, &err) < 0) {
        monitor_printf(mon, "Error: %s\n", err->msg);
        error_free(err);
    }
}

static void cmd_savevm(Monitor *mon, const char *args)
{
    snapshot_cmd(mon, args, "savevm", monitor_ops()->savevm);
}

static void cmd_loadvm(Monitor *mon, const char *args)
{
    snapshot_cmd(mon, args, "loadvm", monitor_ops()->loadvm);
}

static void cmd_delvm(Monitor *mon, const char *args)
{
    snapshot_cmd(mon, args, "delvm", monitor_ops()->delvm);
}

static void info_snapshots(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_snapshots, "info snapshots");
}

static void info_cpus(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_cpus, "info cpus");
}

static void info_pic(Monitor *mon, const char *args)
{
    (void)args;
    info_hook(mon, monitor_ops()->print_pic, "info pic");
}

static const MonitorCommand cmds[] = {
    { "x", "/fmt addr", "virtual memory dump starting at 'addr'", cmd_x },
    { "xp", "/fmt addr", "physical memory dump starting at 'addr'", cmd_xp },
    { "screendump", "filename [-f format]",
      "save screen from head 'head' of display device 'device' in specified format 'format' "
      "as image 'filename'. Currently only 'png' and 'ppm' formats are supported.",
      cmd_screendump },
    { "sendkey", "keys [hold_ms]",
      "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)",
      cmd_sendkey },
    { "log", "item1[,...]", "activate logging of the specified items", cmd_log },
    { "eject", "[-f] device", "eject a removable medium (use -f to force it)", cmd_eject },
    { "change", "device filename [format]", "change a removable medium", cmd_change },
    { "commit", "device|all", "commit changes to the disk images (if -snapshot is used) or backing files",
      cmd_commit },
    { "logfile", "filename", "output logs to 'filename'", cmd_logfile },
    { "savevm", "tag", "save a VM snapshot. If no tag is provided, a new snapshot is created",
      cmd_savevm },
    { "loadvm", "tag", "restore a VM snapshot from its tag", cmd_loadvm },
    { "delvm", "tag", "delete a VM snapshot from its tag", cmd_delvm },
};

static const MonitorCommand infos[] = {
    { "cpus", "", "show infos for each CPU", info_cpus },
    { "block", "", "show info of one block device or all block devices", info_block },
    { "blockstats", "", "show block device statistics", info_blockstats },
    { "irq", "", "show the interrupts statistics (if available)", info_irq },
    { "jit", "", "show dynamic compiler info", info_jit },
    { "mice", "", "show which guest mouse is receiving events", info_mice },
    { "pic", "", "show PIC state", info_pic },
    { "snapshots", "", "show the currently saved VM snapshots", info_snapshots },
};

void monitor_cmds_register(void)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        monitor_register_command(&cmds[i], false);
    for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
        monitor_register_command(&infos[i], true);
}
