/*
 * The PC's 8259A interrupt controller pair (master at 0x20, slave at 0xa0,
 * cascaded on master IR2) and the PIIX3 edge/level control registers
 * (ELCR, 0x4d0/0x4d1). One device, class "i8259", created by the board.
 *
 * Board wiring (hw/pc.c):
 *     Device *pic = device_create(m, "i8259", NULL, errp);
 *     for (int i = 0; i < 16; i++)
 *         m->isa_irq[i] = i8259_irq_in(pic, i);   (or an irq_split with the IO APIC)
 * Realize installs m->intack (the INTA cycle: returns the vector) and
 * drives m->cpu_intr (read at each change, so it may be set afterwards).
 */
#ifndef PEMU_HW_I8259_H
#define PEMU_HW_I8259_H

#include <stdint.h>
#include <stdio.h>
#include "src/device.h"
#include "src/irq.h"

extern const DeviceClass i8259_class;

/* ISA IRQ input n (0..15) of the pair; owned by the device. Input 2 is the
 * ISA bus's IRQ2 pin, which the AT redirects to IRQ 9. */
IRQLine *i8259_irq_in(Device *pic, int n);
/* The interrupt acknowledge cycle (also installed as m->intack). */
int i8259_intack(void *pic);
/* Level of the master's INT output. */
int i8259_intr_pending(Device *pic);
/* `info pic`: both chips' registers and modes. */
void i8259_print(Device *pic, FILE *f);
/* info irq: how often each ISA input rose. */
void i8259_print_irq_stats(Device *pic, FILE *f);

#endif
