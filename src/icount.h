/*
 * -icount: deterministic execution. The virtual clock is the number of
 * guest instructions executed, each 2^shift ns, instead of host time, so
 * that a guest given the same inputs runs the same way every time: its
 * clock reads (RDTSC, PIT, APIC, RTC, ACPI PM timer) and its timer
 * interrupts land on the same instructions.
 *
 * How the engine keeps it exact (src/cpu.c, src/accel/tcg.c):
 * - blocks are not chained: every block returns to cpu_exec, which adds
 *   the instructions it ran (all of them, or those before the one that
 *   faulted or left early, found from the block's side table);
 * - a clock read inside a block (an I/O helper) also counts the
 *   instructions of the running block before the current one;
 * - cpu_exec stops exactly at the next virtual-clock deadline: a block
 *   longer than the instructions left runs one instruction at a time;
 * - no host-time kicks: a vCPU's turn ends after a fixed number of
 *   instructions (ICOUNT_QUANTUM), also with several CPUs;
 * - when every vCPU is halted the clock jumps to the next deadline, at
 *   once (sleep=off) or after that much host time (sleep=on, QEMU's
 *   default).
 * What stays outside: host events (keyboard, network, the completion
 * time of disk I/O the thread pool does), as with QEMU's -icount without
 * record/replay.
 */
#ifndef PEMU_ICOUNT_H
#define PEMU_ICOUNT_H

#include <stdbool.h>
#include <stdint.h>

struct CPUState;

#define ICOUNT_QUANTUM 100000   /* instructions per vCPU turn */

extern bool icount_on;
/* Instructions left in the running vCPU's turn (tcg_run sets it). */
extern int64_t icount_slice;

/* Switch the virtual clock to instruction counting (before the machine
 * runs). shift: 0..10, ns per instruction = 2^shift. */
void icount_enable(int shift, bool sleep);
int icount_get_shift(void);
bool icount_sleep_on(void);
/* Instructions executed so far by all vCPUs (blocks that completed). */
uint64_t icount_executed(void);
void icount_add(uint64_t n);
/* Instructions of the block running on cpu before the one at cpu->host_pc
 * (0 outside a block). */
uint64_t icount_partial(struct CPUState *cpu);
/* How many instructions may run before the next virtual-clock deadline
 * (capped at ICOUNT_QUANTUM); 0 when a timer is due. */
int64_t icount_budget(void);
/* A timer was armed earlier than the deadline icount_budget knows. */
void icount_deadline_moved(void);
/* Every vCPU is halted: move the clock to the next deadline (false if no
 * timer is armed). */
bool icount_warp_to_deadline(void);

#endif
