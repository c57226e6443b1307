/*
 * Motorola MC146818 RTC and the PC's CMOS RAM at 0x70/0x71 (class
 * "mc146818rtc"), IRQ 8.
 *
 * Board use (hw/pc.c):
 *     Device *rtc = device_create(m, "mc146818rtc", NULL, errp);
 *     mc146818_setup(rtc, cfg->rtc_base, cfg->rtc_clock, errp);   (-rtc)
 *     mc146818_cmos_set(rtc, 0x15, ...);   (base memory, disks, ...: SeaBIOS)
 */
#ifndef PEMU_HW_MC146818_H
#define PEMU_HW_MC146818_H

#include <stdint.h>
#include "src/device.h"

extern const DeviceClass mc146818_class;

#define RTC_CMOS_SIZE    128
#define RTC_REG_CENTURY  0x32   /* IBM PC: the century, BCD/binary per DM */

/*
 * -rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS], clock=host|rt|vm (NULL:
 * utc, host). The RTC starts at that time now and advances with the clock:
 * host = host wall clock, rt = host monotonic, vm = the virtual clock (stops
 * with the VM, deterministic under icount). The guest's own settings are
 * offsets from there. Returns 0, or -1 with *errp naming the bad value.
 * Also applied at realize from the "base" and "clock" properties.
 */
int mc146818_setup(Device *rtc, const char *base, const char *clock, Error **errp);

/* CMOS bytes, as the guest sees them through 0x71 (a write to a clock
 * register sets the clock; reading register C has no side effect here). */
void mc146818_cmos_set(Device *rtc, int index, uint8_t value);
uint8_t mc146818_cmos_get(Device *rtc, int index);

/* Port 0x70 bit 7 as last written: the board's NMI mask. */
int mc146818_nmi_disabled(Device *rtc);

#endif
