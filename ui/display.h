/*
 * Consoles and the display interface (LAYOUT.md interface 6).
 *
 * A graphics device (the VGA) owns one Console. At any time a console shows
 * either
 *   - a text grid (CONSOLE_TEXT): cols x rows cells of a CP437 byte, a
 *     foreground and a background colour (indices into a 16-colour RGB
 *     palette), blink and font-select flags, plus the cursor and the
 *     guest's own font so a UI can draw the cells exactly as the guest set
 *     them up (or map them to a terminal, as curses will); or
 *   - a graphics surface (CONSOLE_GRAPHIC): width x height XRGB8888 pixels.
 * The device keeps the grid/surface up to date when the UI asks
 * (console_update, normally from the refresh tick) and tells the console
 * what changed; the console passes that on to its listeners (the UI
 * backends: curses, SDL, later VNC).
 *
 * Device side:  console_new(ops) ... console_set_text / console_set_graphic
 *               to switch or resize, console_text_update / console_gfx_update
 *               with the changed rectangle, console_cursor_update.
 * UI side:      display_listener_register, display_refresh (or the refresh
 *               timer), console_text_render for pixels of a text screen,
 *               screendump.
 *
 * Pixels: each is a host-endian uint32_t 0x00RRGGBB (SDL's XRGB8888,
 * pixman's x8r8g8b8); the top byte is 0.
 *
 * Threads: consoles belong to the global lock, like devices.
 */
#ifndef PEMU_UI_DISPLAY_H
#define PEMU_UI_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

typedef struct Console Console;
typedef struct DisplayListener DisplayListener;

/* ---- surfaces and text grids ----------------------------------------- */

typedef struct DisplaySurface {
    int width, height;
    int stride;            /* bytes from one row to the next (a multiple of 4) */
    uint32_t *data;        /* XRGB8888 */
} DisplaySurface;

static inline uint32_t *display_surface_row(const DisplaySurface *s, int y)
{
    return s->data + (size_t)y * (size_t)(s->stride / 4);
}

/* Zeroed (black). NULL with *errp set if the size is invalid or too big. */
DisplaySurface *display_surface_new(int width, int height, Error **errp);
void display_surface_free(DisplaySurface *s);

#define CONSOLE_FONT_GLYPH 32  /* bytes per glyph: one per scan line, bit 7 leftmost */

enum {
    CELL_BLINK = 1u << 0,  /* blinks (only set when the device's blink mode is on) */
    CELL_FONT1 = 1u << 1,  /* drawn with font[1] (VGA: attribute bit 3, 512-char mode) */
};

typedef struct ConsoleCell {
    uint8_t ch;            /* CP437 code */
    uint8_t fg, bg;        /* 0..15: indices into ConsoleText.palette */
    uint8_t flags;         /* CELL_* */
} ConsoleCell;

typedef struct ConsoleText {
    int cols, rows;
    ConsoleCell *cells;    /* rows * cols, row-major */
    uint32_t palette[16];  /* XRGB of colour index 0..15 */
    int char_width;        /* 8 or 9 pixels */
    int char_height;       /* 1..32 scan lines */
    bool line_graphics;    /* 9-dot: glyphs 0xC0..0xDF repeat column 8 in column 9 */
    /* Cursor: cell (x, y), scan lines start..end of the cell (inclusive). */
    int cursor_x, cursor_y;
    bool cursor_visible;
    int cursor_start, cursor_end;
    /* The guest's fonts: 256 glyphs of CONSOLE_FONT_GLYPH bytes each. */
    uint8_t font[2][256 * CONSOLE_FONT_GLYPH];
} ConsoleText;

static inline ConsoleCell *console_text_cell(const ConsoleText *t, int x, int y)
{
    return &t->cells[(size_t)y * (size_t)t->cols + (size_t)x];
}

/*
 * Draw cells [cx, cx+cw) x [cy, cy+ch) of t into dst at their natural
 * position (cell (x, y) at pixel (x * char_width, y * char_height)),
 * clipped to dst. blink_on: blinking cells show their foreground (the
 * "on" half of the blink cycle); cursor_on: the cursor is drawn if visible.
 */
void console_text_render(const ConsoleText *t, DisplaySurface *dst, int cx, int cy, int cw,
                         int ch, bool blink_on, bool cursor_on);
/* Pixel size of the whole grid. */
void console_text_pixel_size(const ConsoleText *t, int *width, int *height);

/* ---- consoles (device side) ------------------------------------------ */

typedef enum ConsoleMode {
    CONSOLE_NONE,      /* nothing shown yet */
    CONSOLE_TEXT,
    CONSOLE_GRAPHIC,
} ConsoleMode;

typedef struct ConsoleHwOps {
    /* Bring the grid or surface up to date, reporting changes. */
    void (*update)(void *opaque);
    /* The next update must report everything as changed. */
    void (*invalidate)(void *opaque);
} ConsoleHwOps;

/* Consoles are numbered in creation order (the UI's Alt+digit). */
Console *console_new(const char *name, const ConsoleHwOps *ops, void *opaque);
/* Unregisters (fini) the console's listeners first. NULL is allowed. */
void console_free(Console *con);
int console_count(void);
Console *console_get(int index);          /* NULL when out of range */
const char *console_name(const Console *con);

ConsoleMode console_mode(const Console *con);
DisplaySurface *console_surface(Console *con);  /* NULL unless CONSOLE_GRAPHIC */
ConsoleText *console_text(Console *con);        /* NULL unless CONSOLE_TEXT */

/*
 * Switch to graphics of this size (or keep the surface if the mode and size
 * are unchanged). A new surface is black; listeners see switch_surface.
 * Sizes are clamped to 1..DISPLAY_MAX_DIM.
 */
#define DISPLAY_MAX_DIM 16384
DisplaySurface *console_set_graphic(Console *con, int width, int height);
/* Switch to text of this size (cells cleared to blank on any change). 1..256 each. */
ConsoleText *console_set_text(Console *con, int cols, int rows);
/* Report changed pixels / cells / the cursor (clipped; empty rects ignored). */
void console_gfx_update(Console *con, int x, int y, int w, int h);
void console_text_update(Console *con, int x, int y, int w, int h);
void console_cursor_update(Console *con);

/* ---- UI side ----------------------------------------------------------- */

/* Ask the device to bring the console up to date (listeners get notified). */
void console_update(Console *con);
/* Everything is reported as changed on the next update (window exposed). */
void console_invalidate(Console *con);

typedef struct DisplayListenerOps {
    const char *name;
    void (*init)(DisplayListener *dl);                /* at registration */
    void (*switch_surface)(DisplayListener *dl);      /* mode or size changed */
    void (*gfx_update)(DisplayListener *dl, int x, int y, int w, int h);
    void (*text_update)(DisplayListener *dl, int x, int y, int w, int h); /* in cells */
    void (*text_cursor)(DisplayListener *dl, int x, int y, bool visible);
    /* Each refresh tick, before the console is updated: poll host input. */
    void (*refresh)(DisplayListener *dl);
    void (*fini)(DisplayListener *dl);                /* at unregistration */
} DisplayListenerOps;

struct DisplayListener {
    const DisplayListenerOps *ops;
    void *opaque;
    /* private */
    Console *con;
    DisplayListener *next;
};

/* Attach to a console (NULL = console 0); any callback may be NULL. */
void display_listener_register(DisplayListener *dl, Console *con);
void display_listener_unregister(DisplayListener *dl);
/* Move a listener to another console (Alt+digit); it sees switch_surface. */
void display_listener_set_console(DisplayListener *dl, Console *con);

/*
 * One refresh tick: every listener's refresh(), then console_update() once
 * for each console that has a listener.
 */
void display_refresh(void);
/* Run display_refresh every interval_ms on the realtime clock (0 stops). */
void display_refresh_start(int interval_ms);
#define DISPLAY_REFRESH_MS 30

/* ---- screendump (ui/screendump.c) ------------------------------------- */

typedef enum ScreendumpFormat {
    SCREENDUMP_PPM,    /* binary PPM (P6) */
    SCREENDUMP_PNG,    /* 8-bit RGB PNG, zlib-compressed */
} ScreendumpFormat;

/*
 * The format for `screendump FILE [-f FORMAT]`: FORMAT "ppm" or "png" if
 * given; otherwise png when FILE ends in ".png" (any case), else ppm.
 */
int screendump_parse_format(const char *format, const char *filename, ScreendumpFormat *fmt,
                            Error **errp);
/* Write the pixels of s. -1 with *errp on an I/O error. */
int screendump_write_surface(const DisplaySurface *s, FILE *f, ScreendumpFormat fmt,
                             Error **errp);
/*
 * Update the console, then write what it shows to `filename`; text screens
 * are drawn with the guest's font (blinking text and the cursor visible).
 */
int screendump_console(Console *con, const char *filename, const char *format, Error **errp);

#endif
