/* Executable memory under W^X (see execmem.h for each host's rule). */
/* Anonymous mappings (MAP_ANON/MAP_ANONYMOUS) and MAP_JIT are not POSIX:
 * the build's -D_POSIX_C_SOURCE would hide them (glibc, and the BSDs'
 * __BSD_VISIBLE), so this file asks for the host's whole API. */
#undef _POSIX_C_SOURCE
#undef _XOPEN_SOURCE
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* glibc and musl under -std=c11 */
#endif
#include "ports/execmem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <pthread.h>
#include <libkern/OSCacheControl.h>
#endif

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif

/* NetBSD's PaX MPROTECT: the most a mapping may later be mprotect'ed to. */
#if defined(__NetBSD__) && defined(PROT_MPROTECT)
#define EXEC_MAX_PROT PROT_MPROTECT(PROT_READ | PROT_WRITE | PROT_EXEC)
#else
#define EXEC_MAX_PROT 0
#endif

/* macOS with MAP_JIT: the mapping stays RWX; a per-thread switch decides
 * whether this thread sees it writable or executable. */
#if defined(__APPLE__) && defined(MAP_JIT)
#define EXEC_APPLE_JIT 1
#endif

static size_t page_round(size_t n)
{
    long p = sysconf(_SC_PAGESIZE);
    size_t ps = p > 0 ? (size_t)p : 4096;
    return (n + ps - 1) / ps * ps;
}

int host_exec_alloc(HostExecMem *m, size_t size)
{
    m->base = NULL;
    m->size = 0;
    if (!size) {
        errno = EINVAL;
        return -1;
    }
    size_t len = page_round(size);
#ifdef EXEC_APPLE_JIT
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT, -1, 0);
#else
    void *p = mmap(NULL, len, PROT_READ | EXEC_MAX_PROT, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
    if (p == MAP_FAILED)
        return -1;
    m->base = p;
    m->size = len;
    return 0;
}

void host_exec_free(HostExecMem *m)
{
    if (m->base)
        munmap(m->base, m->size);
    m->base = NULL;
    m->size = 0;
}

int host_exec_write_begin(HostExecMem *m)
{
#ifdef EXEC_APPLE_JIT
    (void)m;
    pthread_jit_write_protect_np(0);
    return 0;
#else
    return mprotect(m->base, m->size, PROT_READ | PROT_WRITE);
#endif
}

int host_exec_write_end(HostExecMem *m, size_t off, size_t len)
{
    if (off > m->size || len > m->size - off) {
        errno = EINVAL;
        return -1;
    }
#ifdef EXEC_APPLE_JIT
    pthread_jit_write_protect_np(1);
    sys_icache_invalidate((char *)m->base + off, len);
    return 0;
#else
    if (mprotect(m->base, m->size, PROT_READ | PROT_EXEC) != 0)
        return -1;
    /* Hosts with incoherent instruction caches (ARM, RISC-V, POWER) need
     * the new code made visible to instruction fetch; on x86 it is a no-op. */
#if defined(__GNUC__) || defined(__clang__)
    __builtin___clear_cache((char *)m->base + off, (char *)m->base + off + len);
#endif
    return 0;
#endif
}
