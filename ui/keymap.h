/*
 * Key tables: pemu keycodes (ui/input.h) <-> PC scan codes, sendkey
 * names, and host terminal characters. The data is ui/keymap.def.
 */
#ifndef PEMU_UI_KEYMAP_H
#define PEMU_UI_KEYMAP_H

#include <stdint.h>

/*
 * Make code of keycode in scan code set 1 or 2: 0xe0xx for E0-prefixed
 * keys, 0 if the keyboard has no such key. Pause is 0xe11d45 (set 1) and
 * 0xe11477 (set 2), the bytes it sends with no modifier held.
 */
uint32_t keymap_to_set1(unsigned keycode);
uint32_t keymap_to_set2(unsigned keycode);
/* The keycode of a set 1 / set 2 make code (0xe0xx for extended), or -1. */
int keymap_from_set1(uint32_t code);
int keymap_from_set2(uint32_t code);

/* The sendkey name ("ctrl_r", "kp_enter", "f1"), or NULL. */
const char *keymap_name(unsigned keycode);
/*
 * A sendkey name, case-insensitive, as QEMU's HMP sendkey takes it: the
 * names of keymap_name and the aliases "altgr"/"altgr_r" (alt_r),
 * "asterisk" (kp_multiply), "sysrq" (print), "compose" (menu); or a hex
 * number "0x1d", "0xe01d" read as a set 1 make code. Returns the keycode
 * or -1.
 */
int keymap_from_name(const char *name);

/* Modifiers a character needs (keymap_from_char). */
#define KEYMAP_MOD_SHIFT 1
#define KEYMAP_MOD_CTRL  2

/*
 * A character typed on the host terminal (US layout): its keycode, and
 * in *mods the modifiers to hold. Covers printable ASCII, Tab, Enter (CR
 * and LF), Backspace (BS and DEL), Esc and Ctrl-A..Ctrl-Z etc. (control
 * characters 0x00-0x1f). Returns -1 for anything else.
 */
int keymap_from_char(int ch, unsigned *mods);

#endif
