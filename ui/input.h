/*
 * Keyboard and pointer input, independent of any scan code set.
 *
 * Keycodes: pemu numbers keys as Linux's input event codes do (KEY_A = 30,
 * KEY_RIGHTCTRL = 97, ...: <linux/input-event-codes.h>), the de facto
 * neutral key space that SDL, evdev and QEMU's keycodemapdb all translate
 * to. The constants are KC_<name> (not KEY_<name>, which curses defines);
 * the list is ui/keymap.def. ui/keymap.h converts to scan codes and names.
 *
 * Routing: UI backends call input_key_event / input_pointer_event; the
 * event goes to the active keyboard (mouse) handler, the one registered or
 * activated last. Guest devices (PS/2 keyboard and mouse, later USB and
 * virtio input) register handlers. Backends send presses and releases
 * only: typematic repeat is the guest keyboard's business (a repeated
 * press is passed on as one more press).
 *
 * Threading: call with the global lock held (main loop context).
 */
#ifndef PEMU_UI_INPUT_H
#define PEMU_UI_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

enum {
#define KEY(id, num, set1, set2, name) KC_##id = num,
#include "ui/keymap.def"
#undef KEY
};
/* Keycodes are below this (what ui/keymap.c and the PS/2 keyboard track). */
#define INPUT_KEYCODE_MAX 256

/* Pointer buttons, as bits: the PS/2 packet order for the first three. */
#define INPUT_BUTTON_LEFT   0x01
#define INPUT_BUTTON_RIGHT  0x02
#define INPUT_BUTTON_MIDDLE 0x04
#define INPUT_BUTTON_SIDE   0x08  /* 4th button (back) */
#define INPUT_BUTTON_EXTRA  0x10  /* 5th button (forward) */

/* Keyboard LEDs, as the PS/2 set-LEDs command orders them. */
#define INPUT_LED_SCROLL 0x01
#define INPUT_LED_NUM    0x02
#define INPUT_LED_CAPS   0x04

typedef struct InputHandler InputHandler;
typedef void InputKeyFn(void *opaque, unsigned keycode, bool down);
/*
 * dx, dy: relative motion, screen convention (+x right, +y down, as
 * REL_X/REL_Y). dz: wheel, +1 per notch away from the user (REL_WHEEL).
 * buttons: INPUT_BUTTON_* currently held.
 */
typedef void InputPointerFn(void *opaque, int dx, int dy, int dz, unsigned buttons);

InputHandler *input_register_keyboard(const char *name, InputKeyFn *fn, void *opaque);
InputHandler *input_register_pointer(const char *name, InputPointerFn *fn, void *opaque);
/* Make h the one that receives its kind of events. */
void input_handler_activate(InputHandler *h);
/* NULL allowed. The previous handler of its kind becomes active again. */
void input_unregister(InputHandler *h);
const char *input_handler_name(const InputHandler *h);
/* info mice: the pointer handlers, '*' on the one receiving events. */
void input_print_mice(FILE *f);

/* Keycodes >= INPUT_KEYCODE_MAX are dropped. Nothing happens without a
 * registered keyboard. */
void input_key_event(unsigned keycode, bool down);
void input_pointer_event(int dx, int dy, int dz, unsigned buttons);
/* The buttons of the last pointer event (for backends that send one
 * button change at a time). */
unsigned input_pointer_buttons(void);

/* The guest keyboard reports its LEDs here; UIs read them. */
void input_set_leds(unsigned leds);
unsigned input_get_leds(void);

/*
 * The monitor's sendkey: "ctrl-alt-delete", "shift-a", "0x1d-0x38" (key
 * names of ui/keymap.h joined by '-'). Presses the keys in order, then
 * after hold_ms on the virtual clock (<= 0: at once) releases them in
 * reverse order. A combo still held is released first. -1 and *errp
 * naming the key on an unknown name or more than 16 keys.
 */
int input_send_key_combo(const char *keys, int hold_ms, Error **errp);

#endif
