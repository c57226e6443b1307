/*
 * Logging for -d (categories), -D (file) and -dfilter (guest pc ranges).
 * Every translation stage prints through here, to stderr or the -D file.
 */
#ifndef PEMU_LOG_H
#define PEMU_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

/* One bit per -d category; the names are in log.c's table. */
enum {
    LOG_IN_ASM       = 1u << 0,  /* guest disassembly of each translated block */
    LOG_OP           = 1u << 1,  /* IR as translated */
    LOG_OP_OPT       = 1u << 2,  /* IR after the optimizer */
    LOG_BYTECODE     = 1u << 3,  /* interpreter bytecode selected */
    LOG_OUT_ASM      = 1u << 4,  /* JIT host code */
    LOG_EXEC         = 1u << 5,  /* each block executed */
    LOG_CPU          = 1u << 6,  /* CPU state before each block */
    LOG_INT          = 1u << 7,  /* interrupts and exceptions */
    LOG_UNIMP        = 1u << 8,  /* unimplemented instructions and features */
    LOG_GUEST_ERRORS = 1u << 9,  /* guest misuse of devices and the CPU */
    LOG_MMU          = 1u << 10, /* page walks and TLB fills */
    LOG_IOPORT       = 1u << 11, /* I/O port accesses */
    LOG_NOCHAIN      = 1u << 12, /* do not chain blocks (a debugging aid) */
    LOG_STATS        = 1u << 13, /* engine counters printed at exit */
    LOG_TB_FLUSH     = 1u << 14, /* translation cache flushes and invalidations */
};

extern uint32_t log_mask;

static inline bool log_enabled(uint32_t mask)
{
    return unlikely((log_mask & mask) != 0);
}

/*
 * Parse a -d list such as "in_asm,op_opt,int" (or "help", which prints the
 * categories and returns 1). Returns 0 and fills *mask, or -1 with *errp set
 * naming the unknown category.
 */
int log_parse_mask(const char *spec, uint32_t *mask, Error **errp);
void log_print_help(FILE *f);
void log_set_mask(uint32_t mask);

/* -D FILE: open (truncate) the log file; -1 and *errp on failure. */
int log_set_file(const char *path, Error **errp);
FILE *log_file(void);
void log_printf(const char *fmt, ...) PEMU_PRINTF(1, 2);
void log_flush(void);

/*
 * -dfilter: comma-separated guest address ranges "A..B" (inclusive),
 * "A+LEN", "A-LEN" (ending at A) limiting per-block logs to blocks that
 * start in one of them. No filter means everything passes.
 */
int log_set_filter(const char *spec, Error **errp);
bool log_filter_pc(uint64_t pc);

#endif
