/*
 * PS/2 keyboard (IBM MF2, scan code sets 1 and 2) and mouse (PS/2, Microsoft
 * IntelliMouse with wheel, IntelliMouse Explorer with 5 buttons), the
 * devices behind the 8042's two ports (hw/i8042.c). They are not devices
 * of their own: the controller embeds them and saves them with its state.
 *
 * The device side of the wire: the host (controller) writes a byte with
 * ps2_*_write; the device queues its answers and input data and calls
 * notify(opaque) when it has queued something; the host takes one byte at
 * a time with ps2_*_read when it is ready to receive. Reads never call
 * notify (the host is already busy taking the byte).
 *
 * Input comes from ui/input: both register handlers at init.
 *
 * References: IBM PS/2 Hardware Interface Technical Reference, "Keyboards
 * (101- and 102-Key)" and "Pointing Device"; Microsoft "Keyboard Scan Code
 * Specification" (2000); the IntelliMouse protocol (ID 3 / ID 4).
 */
#ifndef PEMU_HW_PS2_H
#define PEMU_HW_PS2_H

#include <stdbool.h>
#include <stdint.h>
#include "src/vmstate.h"
#include "ui/input.h"

/* The keyboard's 16-byte buffer; responses to commands may go beyond it
 * (a device answers a command even with a full buffer). */
#define PS2_QUEUE_SIZE 16
#define PS2_QUEUE_CAP  32

typedef struct PS2Queue {
    uint8_t data[PS2_QUEUE_CAP];
    uint8_t rptr, count;
} PS2Queue;

typedef void PS2NotifyFn(void *opaque);
typedef struct Timer Timer;

/* Device -> host responses (both devices). */
#define PS2_ACK     0xfa
#define PS2_RESEND  0xfe
#define PS2_BAT_OK  0xaa
#define PS2_ECHO    0xee

typedef struct PS2Kbd {
    PS2Queue q;
    uint8_t scancode_set;   /* 1 or 2 */
    uint8_t leds;           /* INPUT_LED_* */
    uint8_t typematic;      /* 0xf3 argument: bits 6-5 delay, 4-0 rate */
    bool scanning;
    uint8_t pending;        /* command awaiting its argument, 0 = none */
    uint8_t last;           /* last byte read by the host, for Resend */
    uint16_t repeat_key;    /* keycode being repeated, 0 = none */
    uint8_t down[INPUT_KEYCODE_MAX / 8]; /* keys held */
    Timer *repeat_timer;    /* typematic, on the virtual clock */
    /* wiring, not state */
    PS2NotifyFn *notify;
    void *opaque;
    InputHandler *input;
} PS2Kbd;

/* Mouse status byte (status request): */
#define PS2M_STAT_REMOTE  0x40
#define PS2M_STAT_ENABLE  0x20
#define PS2M_STAT_SCALE21 0x10

typedef struct PS2Mouse {
    PS2Queue q;
    uint8_t status;         /* PS2M_STAT_* */
    uint8_t resolution;     /* 0..3: 1, 2, 4, 8 counts/mm */
    uint8_t sample_rate;
    uint8_t id;             /* 0 PS/2, 3 IntelliMouse, 4 IntelliMouse Explorer */
    uint8_t rates[3];       /* last three sample rates set, newest last */
    uint8_t pending;        /* command awaiting its argument, 0 = none */
    uint8_t last;
    bool wrap;
    uint8_t buttons;        /* INPUT_BUTTON_* held */
    uint8_t reported;       /* buttons in the last stream packet */
    int32_t dx, dy, dz;     /* movement counters: +y up, +z towards the user */
    PS2NotifyFn *notify;
    void *opaque;
    InputHandler *input;
} PS2Mouse;

extern const VMStateDescription ps2_kbd_vmstate, ps2_mouse_vmstate;

/* Wire up and register with ui/input; then reset. */
void ps2_kbd_init(PS2Kbd *k, PS2NotifyFn *notify, void *opaque);
void ps2_kbd_fini(PS2Kbd *k);
/* Power-on state: set 2, scanning, LEDs off, typematic 10.9 cps / 500 ms. */
void ps2_kbd_reset(PS2Kbd *k);
void ps2_kbd_write(PS2Kbd *k, uint8_t byte);
/* The next byte for the host, or -1 if none. */
int ps2_kbd_read(PS2Kbd *k);
bool ps2_kbd_pending(const PS2Kbd *k);
/* A key event (what the ui/input handler calls). */
void ps2_kbd_key(PS2Kbd *k, unsigned keycode, bool down);

void ps2_mouse_init(PS2Mouse *m, PS2NotifyFn *notify, void *opaque);
void ps2_mouse_fini(PS2Mouse *m);
/* Power-on state: 100 samples/s, 4 counts/mm, 1:1, stream mode, disabled, ID 0. */
void ps2_mouse_reset(PS2Mouse *m);
void ps2_mouse_write(PS2Mouse *m, uint8_t byte);
int ps2_mouse_read(PS2Mouse *m);
bool ps2_mouse_pending(const PS2Mouse *m);
/* Motion in ui/input's convention (+dy down, +dz away from the user). */
void ps2_mouse_event(PS2Mouse *m, int dx, int dy, int dz, unsigned buttons);

#endif
