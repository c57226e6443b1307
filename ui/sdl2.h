/*
 * -display sdl: the consoles (ui/display.h) in an SDL2 window. The guest's
 * screen is scaled to the window with its aspect ratio kept (text modes are
 * drawn from the guest's own font, as screendump does); keys go to the
 * guest as key codes (positions, not characters), the mouse as relative
 * motion once grabbed by a click.
 *
 * Hot keys (Ctrl-Alt held): G releases the grab, F toggles full screen,
 * 1 shows the guest, 2 and up the virtual consoles (monitor, serial).
 * Closing the window presses the guest's power button, as on QEMU.
 */
#ifndef PEMU_UI_SDL2_H
#define PEMU_UI_SDL2_H

#include <stdbool.h>
#include "src/error.h"

typedef struct SdlDisplayOptions {
    const char *name;        /* -name: in the title; NULL for none */
    bool full_screen;        /* -full-screen */
    void (*powerdown)(void *opaque); /* window closed */
    bool (*running)(void *opaque);   /* false: "[Stopped]" in the title */
    void *opaque;
} SdlDisplayOptions;

/* -1 with *errp set when SDL cannot open a window (no display server). */
int sdl_display_init(const SdlDisplayOptions *opts, Error **errp);
void sdl_display_fini(void);

#endif
