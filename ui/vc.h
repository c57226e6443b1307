/*
 * Virtual consoles: a character device (the monitor, a serial port with
 * -serial vc) shown by the display as a text console. A small terminal
 * emulator turns the frontend's output (ASCII/UTF-8 with the common
 * VT100/ANSI sequences: cursor moves, erase, SGR colours) into the cells of
 * its own Console, so a UI draws it exactly as it draws a VGA text screen;
 * what the user types goes back into the chardev.
 */
#ifndef PEMU_UI_VC_H
#define PEMU_UI_VC_H

#include <stddef.h>
#include <stdint.h>
#include "src/chardev.h"
#include "ui/display.h"

typedef struct VcTerm VcTerm;

/* A cols x rows terminal as a new console named name; chr (a vc chardev,
 * or NULL for tests) gets its output drawn here. */
VcTerm *vc_new(const char *name, Chardev *chr, int cols, int rows);
void vc_free(VcTerm *vc);
void vc_free_all(void);

/* Draw output bytes (what the chardev's frontend wrote). */
void vc_output(VcTerm *vc, const uint8_t *buf, size_t len);
/* Type into the chardev; returns how many bytes the frontend took. */
size_t vc_input(VcTerm *vc, const uint8_t *buf, size_t len);
/* A non-character key (arrows, Home, Delete, Backspace, ...): the bytes a
 * VT100 sends for it. Other keys are ignored (characters come as text). */
void vc_send_key(VcTerm *vc, unsigned keycode);

Console *vc_console(VcTerm *vc);
Chardev *vc_chardev(VcTerm *vc);
/*
 * Glyphs for drawing virtual consoles as pixels (SDL, screendump): the
 * 8x16 CP437 font of a VGA BIOS image (SeaBIOS's vgabios-stdvga.bin),
 * found by its glyph 1 (the smiley, identical in every IBM-compatible VGA
 * font). Applies to existing and later consoles. -1 if rom has no such font
 * (the consoles then draw blank; curses does not need glyphs).
 */
int vc_set_font_from_vga_bios(const uint8_t *rom, size_t len);
/* The terminal behind a console, NULL for a device's console. */
VcTerm *vc_find(const Console *con);

#endif
