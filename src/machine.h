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
/* The main loop exit reason machine_request_exit uses: exit with m->exit_status. */
#define MACHINE_EXIT_STATUS 16

/*
 * A bare machine for unit tests and as a board's starting point: an empty
 * system memory container with ram_size bytes of RAM at 0 (none if 0), its
 * address space, the I/O port space, and ISA IRQ and GSI lines that only
 * record their level (machine_bare_irq_level). Fatal if the host has no
 * memory for the RAM.
 */
Machine *machine_new_bare(uint64_t ram_size);
/* Last level set on ISA IRQ n (0..15), or on GSI n - 16 for n = 16..39;
 * -1 if out of range or the line is not the bare machine's. */
int machine_bare_irq_level(Machine *m, int n);
/* How many 0 -> 1 transitions line n (numbered as above) saw. */
unsigned machine_bare_irq_raises(Machine *m, int n);
/* Free the devices (device_free_all), the IRQ lines, the spaces, the RAM. */
void machine_free(Machine *m);

#endif
