/*
 * The "pc" machine: what SeaBIOS, GRUB, DOS and Linux treat as QEMU's
 * i440FX + PIIX3 PC. The board builds memory, the chipset and the ISA
 * devices from the parsed command line; the accelerator creates the CPU and
 * connects it with pc_connect_cpu.
 */
#ifndef PEMU_HW_PC_H
#define PEMU_HW_PC_H

#include <stdio.h>
#include "src/machine.h"
#include "src/options.h"
#include "src/x86/cpu.h"

Machine *pc_machine_new(PemuConfig *cfg, Error **errp);
void pc_machine_free(Machine *m);

/* Wire the next CPU to the board (call once per -smp CPU, the boot CPU
 * first): its local APIC (APIC ID = index), INTR/NMI, interrupt acknowledge,
 * I/O ports, A20, triple-fault shutdown. The boot CPU gets its reset state
 * and, with -kernel and no firmware, the kernel's entry state; the others
 * wait for a STARTUP IPI (CPUState.stopped). Fails past the -smp count. */
int pc_connect_cpu(Machine *m, X86CPU *cpu, Error **errp);

/* The reset line was pulled (port 0x92/0xcf9/8042, triple fault): the
 * accelerator calls pc_reset between slices when this says so. */
bool pc_reset_requested(Machine *m);
/* The ACPI power button (monitor system_powerdown). */
void pc_powerdown(Machine *m);
/* info lapic / info ioapic */
void pc_print_lapic(Machine *m, FILE *f);
void pc_print_ioapic(Machine *m, FILE *f);
/* info irq: the interrupt controllers' per-input counts. */
void pc_print_irq_stats(Machine *m, FILE *f);
/* Reset every device and the CPU (system_reset). */
void pc_reset(Machine *m);

#endif
