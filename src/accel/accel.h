/*
 * Accelerators: what runs the guest CPU (LAYOUT.md interface 7). Today the
 * translating accelerator (interpreter backend) in src/accel/tcg.c; KVM and
 * a JIT plug in behind the same calls.
 *
 * The board tells the loop about resets through AccelBoardOps, so that the
 * loop stays free of board and target headers.
 */
#ifndef PEMU_ACCEL_H
#define PEMU_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include "src/cpu.h"
#include "src/machine.h"

typedef struct AccelBoardOps {
    bool (*reset_requested)(Machine *m);
    void (*reset)(Machine *m);
} AccelBoardOps;

/*
 * Run `first` and the CPUs after it (next_cpu) on the translating
 * accelerator, round-robin, until the machine asks to exit
 * (machine_request_exit, quit, shutdown). Time slices end at the next
 * virtual-clock timer deadline (or after 10 ms of host time at most, 1 ms
 * with several CPUs), so device timers fire on time; a halted or stopped
 * CPU is skipped, and when none can run the loop sleeps in the main loop
 * until an interrupt or a timer. Returns the process exit status.
 */
int tcg_run(Machine *m, CPUState *first, const AccelBoardOps *ops);

/*
 * The run state (monitor stop/cont): while stopped the loop does not run
 * the CPU, only the main loop, and the virtual clock stands still. Call
 * from the main-loop thread (between slices). -S will start stopped.
 */
void accel_vm_stop(void);
void accel_vm_cont(void);
bool accel_vm_running(void);

/*
 * Debugging (the gdbstub drives these). Every accelerator implements them:
 * the translating one with the engine's tables (src/cpu_debug.c: blocks
 * end before breakpoints, watchpoints through the softmmu slow path), a
 * KVM one later with KVM_SET_GUEST_DEBUG (hardware breakpoints in DR0-3,
 * software ones as int3 patches, single step by TF). Addresses are guest
 * linear addresses. Call from the main-loop thread while the VM is stopped.
 */
typedef struct AccelDebugOps {
    /* 0, or -1 if the kind is not supported / the table is full */
    int (*insert_point)(CPUState *cpu, CPUDebugPoint kind, uint64_t addr, uint64_t len);
    int (*remove_point)(CPUState *cpu, CPUDebugPoint kind, uint64_t addr, uint64_t len);
    void (*remove_all_points)(void);
    /* On: the CPU runs one instruction when resumed, then stops with
     * CPU_DEBUG_STEP; interrupts stay masked during the step. */
    void (*set_single_step)(CPUState *cpu, bool on);
    /* Why the CPU last stopped for the debugger. */
    CPUDebugStop (*stop_reason)(CPUState *cpu);
} AccelDebugOps;

const AccelDebugOps *accel_debug_ops(void);
/* fn runs (in the loop's thread) when a CPU stopped for the debugger; the
 * VM is already stopped then. NULL: the VM only stops. */
void accel_set_debug_handler(void (*fn)(void *opaque, CPUState *cpu), void *opaque);

#endif
