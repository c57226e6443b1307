/*
 * Code page 437, the character set of the VGA's ROM font and of every PC
 * text mode, as Unicode: what a terminal must print for a text-mode cell.
 */
#ifndef PEMU_UI_CP437_H
#define PEMU_UI_CP437_H

#include <stdint.h>

/* The glyph of each byte; 0x00 is a blank (U+0020), as on the screen. */
extern const uint16_t cp437_to_unicode[256];
/* The CP437 byte showing code point u, or -1. ASCII maps to itself. */
int cp437_from_unicode(uint32_t u);

#endif
