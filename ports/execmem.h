/*
 * Executable memory for generated host code (the optional JIT), under each
 * host's W^X rule: a buffer is never writable and executable at once.
 *
 *   HostExecMem m;
 *   host_exec_alloc(&m, size);          // mapped, not yet executable
 *   host_exec_write_begin(&m);          // writable (not executable)
 *   ... write host code at m.base ...
 *   host_exec_write_end(&m, off, len);  // executable again; the instruction
 *                                       // cache is synchronized for [off, len)
 *   ((int (*)(void))m.base)();
 *
 * Linux, FreeBSD, OpenBSD: mprotect between RW and RX (OpenBSD refuses
 * RWX). NetBSD (PaX MPROTECT): the mapping declares RWX as its maximum
 * protection, or mprotect to RX is refused. macOS: MAP_JIT and the per-
 * thread write-protect toggle (hardened runtime, Apple silicon).
 */
#ifndef PEMU_PORTS_EXECMEM_H
#define PEMU_PORTS_EXECMEM_H

#include <stddef.h>

typedef struct HostExecMem {
    void *base;
    size_t size;        /* rounded up to the host page size */
} HostExecMem;

/* Returns 0, or -1 with errno set (the host refuses executable memory). */
int host_exec_alloc(HostExecMem *m, size_t size);
void host_exec_free(HostExecMem *m);
/* Both return 0, or -1 with errno set. */
int host_exec_write_begin(HostExecMem *m);
int host_exec_write_end(HostExecMem *m, size_t off, size_t len);

#endif
