/*
 * Debugger support in the translating engine: breakpoints, watchpoints and
 * the debugger's view of guest memory (see src/cpu.h).
 *
 * Breakpoints never patch guest memory. A block never runs across one: the
 * TB cache ends blocks before every breakpoint and marks the blocks that
 * start at one (src/tb.c), which are never chained into, so the CPU loop
 * sees each of them at a block entry (src/cpu.c). Changing the set flushes
 * the TB cache, so old blocks and chains go away.
 *
 * Watchpoints go through the softmmu: their pages get TLB_WATCH, so every
 * access to them takes the slow path, which calls cpu_watchpoint_check
 * before the access. A hit unwinds to the start of the instruction
 * (precise state from the block's side table), and the CPU loop reruns
 * that one instruction with watchpoints ignored before stopping: gdb sees
 * the stop after the access, with the new value in memory, as on x86
 * hardware.
 */
#include "src/cpu.h"

#include <string.h>
#include "src/softmmu.h"
#include "src/tb.h"

typedef struct DebugPoint {
    CPUDebugPoint kind;
    uint64_t addr, len;
} DebugPoint;

static DebugPoint bps[CPU_MAX_BREAKPOINTS], wps[CPU_MAX_WATCHPOINTS];
static int nwps;
int cpu_breakpoint_count;

static bool is_watch(CPUDebugPoint kind)
{
    return kind == CPU_WP_WRITE || kind == CPU_WP_READ || kind == CPU_WP_ACCESS;
}

static void watch_changed(void)
{
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu)
        softmmu_flush_all(cpu);
}

int cpu_debug_insert(CPUDebugPoint kind, uint64_t addr, uint64_t len)
{
    if (kind == CPU_BP_SW || kind == CPU_BP_HW) {
        if (cpu_breakpoint_count == CPU_MAX_BREAKPOINTS)
            return -1;
        bps[cpu_breakpoint_count++] = (DebugPoint){ kind, addr, 1 };
        tb_flush();
        return 0;
    }
    if (!is_watch(kind) || !len || addr + len - 1 < addr || nwps == CPU_MAX_WATCHPOINTS)
        return -1;
    wps[nwps++] = (DebugPoint){ kind, addr, len };
    watch_changed();
    return 0;
}

int cpu_debug_remove(CPUDebugPoint kind, uint64_t addr, uint64_t len)
{
    if (kind == CPU_BP_SW || kind == CPU_BP_HW) {
        for (int i = 0; i < cpu_breakpoint_count; i++)
            if (bps[i].kind == kind && bps[i].addr == addr) {
                bps[i] = bps[--cpu_breakpoint_count];
                tb_flush();
                return 0;
            }
        return -1;
    }
    for (int i = 0; i < nwps; i++)
        if (wps[i].kind == kind && wps[i].addr == addr && wps[i].len == len) {
            wps[i] = wps[--nwps];
            watch_changed();
            return 0;
        }
    return -1;
}

void cpu_debug_remove_all(void)
{
    if (cpu_breakpoint_count) {
        cpu_breakpoint_count = 0;
        tb_flush();
    }
    if (nwps) {
        nwps = 0;
        watch_changed();
    }
}

bool cpu_breakpoint_at(uint64_t pc, CPUDebugPoint *kind)
{
    for (int i = 0; i < cpu_breakpoint_count; i++)
        if (bps[i].addr == pc) {
            if (kind)
                *kind = bps[i].kind;
            return true;
        }
    return false;
}

bool cpu_breakpoint_in_range(uint64_t start, uint64_t end)
{
    for (int i = 0; i < cpu_breakpoint_count; i++)
        if (bps[i].addr >= start && bps[i].addr < end)
            return true;
    return false;
}

/* [a, a + alen) and [b, b + blen) overlap (lengths >= 1, no wrap). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

bool cpu_watchpoint_in_page(uint64_t vpage)
{
    for (int i = 0; i < nwps; i++)
        if (overlaps(wps[i].addr, wps[i].len, vpage & TARGET_PAGE_MASK, TARGET_PAGE_SIZE))
            return true;
    return false;
}

void cpu_watchpoint_check(CPUState *cpu, uint64_t vaddr, unsigned size, bool write)
{
    if (cpu->debug_flags & (CPU_DEBUG_REPLAY | CPU_DEBUG_HIT))
        return; /* rerunning the instruction that hit, or already stopping */
    for (int i = 0; i < nwps; i++) {
        DebugPoint *w = &wps[i];
        bool kind_ok = w->kind == CPU_WP_ACCESS || (w->kind == CPU_WP_WRITE) == write;
        if (!kind_ok || !overlaps(w->addr, w->len, vaddr, size))
            continue;
        cpu->debug_stop.kind = w->kind;
        cpu->debug_stop.addr = vaddr > w->addr ? vaddr : w->addr;
        /* Outside a block (an interrupt being delivered) there is no
         * instruction to rerun: the loop stops before the next one. */
        if (!cpu->host_pc || !cpu->in_exec) {
            cpu->debug_flags |= CPU_DEBUG_HIT;
            return;
        }
        cpu->debug_flags |= CPU_DEBUG_REPLAY;
        cpu_loop_exit(cpu);
    }
}

int cpu_memory_rw_debug(CPUState *cpu, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    while (len) {
        uint64_t off = addr & ~TARGET_PAGE_MASK, paddr;
        size_t n = TARGET_PAGE_SIZE - off < len ? (size_t)(TARGET_PAGE_SIZE - off) : len;
        uint32_t prot;
        /* mmu index 0 is the most privileged one (x86: supervisor). */
        if (!cpu->ops->tlb_fill(cpu, addr, MMU_DATA_LOAD, 0, true, &paddr, &prot))
            return -1;
        paddr = (paddr & TARGET_PAGE_MASK) | off;
        bool ro = false;
        uint8_t *host = cpu->phys->ram_page(cpu->phys->opaque, paddr & TARGET_PAGE_MASK, &ro);
        if (host && write) {
            memcpy(host + off, buf, n);
            softmmu_notify_phys_write(paddr, n);
        } else if (host) {
            memcpy(buf, host + off, n);
        } else {
            /* MMIO or nothing: byte accesses, as the device sees them */
            for (size_t i = 0; i < n; i++) {
                if (write)
                    cpu->phys->io_write(cpu->phys->opaque, paddr + i, buf[i], 1);
                else
                    buf[i] = (uint8_t)cpu->phys->io_read(cpu->phys->opaque, paddr + i, 1);
            }
        }
        addr += n;
        buf += n;
        len -= n;
    }
    return 0;
}
