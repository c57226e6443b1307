/*
 * Port 0x61, the AT's system control port B (class "isa-pcspk"): PIT
 * channel 2's gate and output, the speaker enable, the refresh toggle.
 */
#ifndef PEMU_HW_PCSPK_H
#define PEMU_HW_PCSPK_H

#include "src/device.h"

extern const DeviceClass pcspk_class;

/* Wire to the PIT. Without it the first access finds the machine's
 * "isa-pit" device in m->devices. */
void pcspk_set_pit(Device *spk, Device *pit);

#endif
