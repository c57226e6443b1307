/*
 * The Intel 82371SB (PIIX3) PCI-to-ISA bridge, function 01.0: PIRQ
 * routing of the PCI interrupt lines to ISA IRQs, the fast A20 gate and
 * INIT at port 0x92, and the reset control register at port 0xcf9.
 *
 * Not here: the ELCR (0x4d0/0x4d1) belongs to the 8259 pair; the IDE
 * function 01.1 is hw/ide.c's: it registers its own PCIDevice at
 * PIIX3_IDE_DEVFN on the same bus (8086:7010, class 0x010180, BAR 4 =
 * bus-master I/O, 16 bytes); function 0 already announces a
 * multi-function device. USB (01.2) is absent.
 *
 * Reference: Intel 82371FB/82371SB PIIX/PIIX3 datasheet (order 290550),
 * 2.2 (PCI configuration registers), 2.7 (non-configuration I/O).
 */
#ifndef PEMU_HW_PIIX3_H
#define PEMU_HW_PIIX3_H

#include <stdint.h>
#include "hw/pci.h"
#include "src/device.h"

#define PIIX3_VENDOR_ID 0x8086
#define PIIX3_DEVICE_ID 0x7000
#define PIIX3_DEVFN PCI_DEVFN(1, 0)
#define PIIX3_IDE_DEVFN PCI_DEVFN(1, 1)

/* PIRQRC[A:D] (0x60-0x63): bit 7 IRQROUTEN (1 = not routed), bits 3:0 the
 * ISA IRQ (3-7, 9-12, 14, 15; other values route nowhere). */
#define PIIX3_PIRQRC 0x60
#define PIIX3_PIRQ_DISABLE 0x80

/* Port 0x92 (system control port A): bit 1 ALT_A20_GATE, bit 0 FAST_INIT
 * (a 0 -> 1 write resets the processor). */
#define PIIX3_PORT92 0x92
/* Port 0xcf9 (reset control): bit 2 RCPU (writing 1 resets), bit 1 SRST
 * (1: hard reset of the system, 0: soft reset). */
#define PIIX3_RCR_PORT 0xcf9
#define PIIX3_RCR_SRST 0x02
#define PIIX3_RCR_RCPU 0x04

typedef struct PIIX3State PIIX3State;

extern const DeviceClass piix3_class;

/*
 * Create the bridge at 01.0 of bus (NULL: pci_bus_find(m)) and take over
 * the bus's INTx routing. Drives m->isa_irq[], m->a20, m->reset_request.
 * Realized, not reset, not in m->devices, vmstate not registered (as
 * i440fx_init). NULL with *errp on failure.
 */
PIIX3State *piix3_init(Machine *m, PCIBus *bus, Error **errp);
void piix3_free(PIIX3State *s);
Device *piix3_device(PIIX3State *s);
PCIDevice *piix3_pci(PIIX3State *s);
/* The ISA IRQ PIRQ line 0..3 is routed to, or -1. */
int piix3_pirq_route(PIIX3State *s, int line);

#endif
