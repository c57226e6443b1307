/*
 * The human monitor (HMP): a "(pemu) " prompt on a chardev, QEMU's command
 * names. Commands live in data tables (monitor.c: name, args, help,
 * handler); others add theirs with monitor_register_command.
 *
 * The machine is reached only through MonitorOps, which main registers, so
 * that the monitor stays free of board and target headers. Any hook may be
 * NULL: its command then says it is not available.
 */
#ifndef PEMU_MONITOR_H
#define PEMU_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "src/chardev.h"
#include "src/error.h"

typedef struct Monitor Monitor;

typedef struct MonitorOps {
    void *opaque;
    void (*print_registers)(FILE *f, void *opaque);  /* info registers */
    void (*print_mtree)(FILE *f, void *opaque);      /* info mtree */
    void (*print_pci)(FILE *f, void *opaque);        /* info pci */
    void (*system_reset)(void *opaque);              /* system_reset */
    void (*stop)(void *opaque);                      /* stop */
    void (*cont)(void *opaque);                      /* cont */
    bool (*running)(void *opaque);                   /* info status */
    void (*system_powerdown)(void *opaque);          /* system_powerdown: ACPI power button */
    void (*print_lapic)(FILE *f, void *opaque);      /* info lapic */
    void (*print_ioapic)(FILE *f, void *opaque);     /* info ioapic */
    /* x, xp: read guest memory at a linear (phys false) or physical
     * address; -1 where nothing is mapped. */
    int (*read_memory)(void *opaque, uint64_t addr, bool phys, void *buf, size_t len);
    /* x/i, xp/i: one instruction at addr, as text; returns its length
     * (>= 1) or -1 if its bytes cannot be read. */
    int (*disas)(void *opaque, uint64_t addr, bool phys, char *buf, size_t n);
    void (*print_cpus)(FILE *f, void *opaque);       /* info cpus */
    void (*print_pic)(FILE *f, void *opaque);        /* info pic */
    void (*print_tlb)(FILE *f, void *opaque);        /* info tlb */
    void (*print_mem)(FILE *f, void *opaque);        /* info mem */
    void (*print_block)(FILE *f, void *opaque);      /* info block */
    void (*print_blockstats)(FILE *f, void *opaque); /* info blockstats */
    void (*print_irq)(FILE *f, void *opaque);        /* info irq */
    void (*print_jit)(FILE *f, void *opaque);        /* info jit */
    void (*print_mice)(FILE *f, void *opaque);       /* info mice */
    /* eject [-f] DEVICE, change DEVICE FILE [FORMAT]: -1 with *errp set */
    int (*eject)(void *opaque, const char *device, bool force, Error **errp);
    int (*change)(void *opaque, const char *device, const char *file, const char *format,
                  Error **errp);
    int (*commit)(void *opaque, const char *device, Error **errp); /* commit DEVICE|all */
    /* savevm, loadvm, delvm NAME: -1 with *errp set; info snapshots */
    int (*savevm)(void *opaque, const char *name, Error **errp);
    int (*loadvm)(void *opaque, const char *name, Error **errp);
    int (*delvm)(void *opaque, const char *name, Error **errp);
    void (*print_snapshots)(FILE *f, void *opaque);
} MonitorOps;

/* One command. args: QEMU's help text for its arguments ("" for none);
 * handler gets the text after the name, blanks trimmed. */
typedef struct MonitorCommand {
    const char *name;       /* "quit|q": alternatives separated by '|' */
    const char *args;
    const char *help;
    void (*handler)(Monitor *mon, const char *args);
} MonitorCommand;

/* The hooks for every monitor (copied). */
void monitor_set_ops(const MonitorOps *ops);
/* Add a top-level command (is_info: an "info" subcommand); cmd must live
 * as long as the monitors. */
void monitor_register_command(const MonitorCommand *cmd, bool is_info);

/* A monitor on chr (claimed: a mux chardev may be shared). */
Monitor *monitor_new(Chardev *chr, Error **errp);
void monitor_free(Monitor *mon);
void monitor_free_all(void);

/* Output, with "\n" sent as "\r\n". */
void monitor_printf(Monitor *mon, const char *fmt, ...) PEMU_PRINTF(2, 3);
/* Send what fn(f, opaque) prints to a FILE. */
void monitor_print_from(Monitor *mon, void (*fn)(FILE *f, void *opaque), void *opaque);
/* The hooks (never NULL; hooks inside may be). */
const MonitorOps *monitor_ops(void);
/* The commands of src/monitor_cmds.c (registered with the built-in ones). */
void monitor_cmds_register(void);
/* Run one command line as if typed (tests). */
void monitor_execute(Monitor *mon, const char *line);
/* The same with the output (plain "\n" lines) going to out (gdb's qRcmd). */
void monitor_execute_capture(const char *line, void (*out)(void *opaque, const char *buf, size_t len),
                             void *opaque);
/* The same into a string with "\r\n" line ends, as on a terminal; the
 * caller frees it (QMP's human-monitor-command). */
char *monitor_execute_to_string(const char *line);

#endif
