/*
 * The 8042 keyboard controller (class "i8042") with its PS/2 keyboard and
 * mouse (hw/ps2.h): data port 0x60, status/command port 0x64, IRQ 1
 * (keyboard) and IRQ 12 (mouse), the A20 gate and the reset line on its
 * output port.
 *
 * Status register (read 0x64):
 *   0 OBF   output buffer full (a byte to read at 0x60)
 *   1 IBF   input buffer full (always 0: bytes are taken at once)
 *   2 SYS   system flag (self test passed / command byte bit 2)
 *   3 A2    last write was to 0x64 (command) rather than 0x60 (data)
 *   4 INH   1 = keyboard not inhibited by the keylock
 *   5 AUXB  the byte in the output buffer is from the mouse
 *   6 TO    timeout, 7 PERR parity error (never: both devices answer)
 *
 * Command byte (controller RAM byte 0, commands 0x20/0x60):
 *   0 INT   IRQ 1 when the output buffer holds a keyboard byte
 *   1 INT2  IRQ 12 when it holds a mouse byte
 *   2 SYS   system flag
 *   4 EN    1 = keyboard clock disabled (no keyboard data taken)
 *   5 EN2   1 = mouse clock disabled
 *   6 XLATE translate keyboard bytes from set 2 to set 1
 *
 * Output port (commands 0xD0/0xD1):
 *   0 reset (0 = assert CPU reset), 1 A20 gate, 4 OBF from keyboard (IRQ 1),
 *   5 OBF from mouse (IRQ 12), 6/7 keyboard clock/data.
 *
 * Reference: IBM PC AT Technical Reference (8042 keyboard controller),
 * IBM PS/2 Hardware Interface Technical Reference (keyboard/auxiliary
 * device controller).
 */
#ifndef PEMU_HW_I8042_H
#define PEMU_HW_I8042_H

#include <stdint.h>
#include "src/device.h"
#include "src/irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64

#define I8042_STAT_OBF   0x01
#define I8042_STAT_IBF   0x02
#define I8042_STAT_SYS   0x04
#define I8042_STAT_A2    0x08
#define I8042_STAT_INH   0x10
#define I8042_STAT_AUXB  0x20
#define I8042_STAT_TO    0x40
#define I8042_STAT_PERR  0x80

#define I8042_CTR_INT    0x01
#define I8042_CTR_INT2   0x02
#define I8042_CTR_SYS    0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE  0x40

#define I8042_OUT_RESET  0x01
#define I8042_OUT_A20    0x02
#define I8042_OUT_OBF    0x10
#define I8042_OUT_AUXOBF 0x20

extern const DeviceClass i8042_class;

/*
 * The A20 line the output port drives: m->a20 by default. A board that
 * also has port 0x92 ORs both through hw/a20gate.h and gives the 8042 its
 * own input here.
 */
void i8042_set_a20_line(Device *kbc, IRQLine *a20);
/* The 8042's set 2 -> set 1 translation of one byte (XLATE). */
uint8_t i8042_translate(uint8_t set2);

#endif
