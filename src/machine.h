/*
 * The machine: what a board builds and what devices are wired into.
 * Devices receive the Machine at realize and use only these fields (and
 * src/timer.h, src/chardev.h) to reach the rest of pemu.
 */
#ifndef PEMU_MACHINE_H
#define PEMU_MACHINE_H

#include <stdint.h>
#include "src/device.h"
#include "src/ioport.h"
#include "src/irq.h"
#include "src/memory.h"

#define MACHINE_ISA_IRQS 16
#define MACHINE_GSI_IRQS 24

struct Machine {
    const char *type;            /* -M name, e.g. "pc" */
    uint64_t ram_size;
    MemoryRegion *sysmem;        /* root of the guest physical address space */
    AddressSpace *as;            /* the CPU's and DMA's view of sysmem */
    IOPortSpace *io;             /* the 64 KiB I/O port space */
    IRQLine *isa_irq[MACHINE_ISA_IRQS]; /* ISA IRQ 0..15 (to the PICs, and the IO APIC) */
    IRQLine *gsi[MACHINE_GSI_IRQS];     /* IO APIC inputs (NULL until the board has one) */
    IRQLine *cpu_intr;           /* the PIC's INTR output to the boot CPU */
    IRQLine *cpu_nmi;
    IRQLine *a20;                /* A20 gate (port 0x92, 8042): level 1 = open */
    IRQLine *reset_request;      /* any level 1 pulse requests a system reset */
    IRQLine *shutdown_request;   /* ACPI S5 / power off */
    /*
     * Interrupt acknowledge: the CPU calls intack when it takes INTR and
     * gets the vector; the interrupt controller (the PIC pair, later the
     * local APIC) installs it.
     */
    int (*intack)(void *opaque);
    void *intack_opaque;
    Device *devices;             /* every device, in creation order */
    int exit_status;             /* set by machine_request_exit */
    void *board;                 /* the board's private state */
    struct PemuConfig *config;   /* the parsed command line (src/options.h) */
};

/*
 * Leave pemu with this process exit status once the current instruction
 * completes (isa-debug-exit, -no-reboot, quit). Implemented in src/machine.c.
 */
void machine_request_exit(Machine *m, int status);

#endif
