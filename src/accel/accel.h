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
 * Run `cpu` on the translating accelerator until the machine asks to exit
 * (machine_request_exit, quit, shutdown). Time slices end at the next
 * virtual-clock timer deadline (or after `slice_ns` of host time at most),
 * so device timers fire on time; a halted CPU sleeps in the main loop until
 * an interrupt or a timer. Returns the process exit status.
 */
int tcg_run(Machine *m, CPUState *cpu, const AccelBoardOps *ops);

/*
 * The run state (monitor stop/cont): while stopped the loop does not run
 * the CPU, only the main loop, and the virtual clock stands still. Call
 * from the main-loop thread (between slices). -S will start stopped.
 */
void accel_vm_stop(void);
void accel_vm_cont(void);
bool accel_vm_running(void);

#endif
