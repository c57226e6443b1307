/*
 * -display curses: the consoles (ui/display.h) in this terminal through
 * ncursesw. Text consoles are drawn as characters (CP437 -> Unicode, the 16
 * VGA colours), graphics with half blocks; keys become PC key events for the
 * guest (ui/input.h) or bytes for a virtual console (ui/vc.h). Alt-1..9
 * pick the console: 1 the guest's screen, then the monitor and the serial
 * port when they are virtual consoles.
 *
 * The terminal is restored by curses_display_fini, at exit, and on crash
 * signals (ports/term.h).
 */
#ifndef PEMU_UI_CURSES_H
#define PEMU_UI_CURSES_H

#include "src/error.h"

/* charset: NULL or "CP437" (the only one guests use). -1 with *errp set if
 * stdout is not a terminal or the terminal cannot be driven. */
int curses_display_init(const char *charset, Error **errp);
void curses_display_fini(void);

#endif
