/*
 * Intel 8254 programmable interval timer at 0x40-0x43 (class "isa-pit").
 * Channel 0's OUT drives ISA IRQ 0; channel 2's GATE and OUT are wired to
 * port 0x61 (hw/pcspk.c); channel 1 (DRAM refresh on old PCs) is unwired.
 * Counting is computed from the virtual clock, never ticked.
 */
#ifndef PEMU_HW_I8254_H
#define PEMU_HW_I8254_H

#include "src/device.h"

#define PIT_FREQ 1193182 /* Hz: the PC's 14.31818 MHz crystal / 12 */

extern const DeviceClass i8254_class;

/* GATE input of channel 0..2 (0 and 1 are tied high on the PC). */
void i8254_set_gate(Device *pit, int channel, int level);
int i8254_get_gate(Device *pit, int channel);
/* OUT level of a channel now. */
int i8254_get_out(Device *pit, int channel);

#endif
