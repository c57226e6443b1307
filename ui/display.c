/* Consoles, listeners, the refresh tick and the text renderer (see display.h). */
#include "ui/display.h"

#include <stdlib.h>
#include <string.h>
#include "src/timer.h"

struct Console {
    char *name;
    const ConsoleHwOps *ops;
    void *opaque;
    ConsoleMode mode;
    DisplaySurface *surface;
    ConsoleText *text;
    DisplayListener *listeners;
    unsigned tick;           /* last display_refresh generation that updated it */
};

static Console **consoles;
static int nconsoles;
static unsigned refresh_gen;
static Timer *refresh_timer;
static int refresh_ms;

/* ---- surfaces ------------------------------------------------------------ */

DisplaySurface *display_surface_new(int width, int height, Error **errp)
{
    if (width < 1 || height < 1 || width > DISPLAY_MAX_DIM || height > DISPLAY_MAX_DIM) {
        error_setg(errp, "display surface %dx%d: size must be 1..%d in each direction", width,
                   height, DISPLAY_MAX_DIM);
        return NULL;
    }
    DisplaySurface *s = calloc(1, sizeof(*s));
    uint32_t *data = calloc((size_t)width * (size_t)height, sizeof(uint32_t));
    if (!s || !data) {
        free(s);
        free(data);
        error_setg(errp, "display surface %dx%d: out of memory", width, height);
        return NULL;
    }
    s->width = width;
    s->height = height;
    s->stride = width * 4;
    s->data = data;
    return s;
}

void display_surface_free(DisplaySurface *s)
{
    if (s) {
        free(s->data);
        free(s);
    }
}

/* ---- text rendering -------------------------------------------------------- */

void console_text_pixel_size(const ConsoleText *t, int *width, int *height)
{
    *width = t->cols * t->char_width;
    *height = t->rows * t->char_height;
}

void console_text_render(const ConsoleText *t, DisplaySurface *dst, int cx, int cy, int cw,
                         int ch, bool blink_on, bool cursor_on)
{
    int gw = t->char_width, gh = t->char_height;
    if (gh > CONSOLE_FONT_GLYPH)
        gh = CONSOLE_FONT_GLYPH;
    if (cx < 0) cw += cx, cx = 0;
    if (cy < 0) ch += cy, cy = 0;
    if (cx + cw > t->cols) cw = t->cols - cx;
    if (cy + ch > t->rows) ch = t->rows - cy;
    for (int row = cy; row < cy + ch; row++) {
        for (int col = cx; col < cx + cw; col++) {
            const ConsoleCell *c = console_text_cell(t, col, row);
            const uint8_t *glyph = t->font[(c->flags & CELL_FONT1) ? 1 : 0] +
                                   c->ch * CONSOLE_FONT_GLYPH;
            uint32_t fg0 = t->palette[c->fg & 15], bg = t->palette[c->bg & 15];
            uint32_t fg = (c->flags & CELL_BLINK) && !blink_on ? bg : fg0;
            /* 9-dot cells: column 9 is background, or repeats column 8 for
             * the box-drawing glyphs when line graphics are enabled (AR10 bit 2). */
            bool ext = gw > 8 && t->line_graphics && c->ch >= 0xc0 && c->ch <= 0xdf;
            bool cur = cursor_on && t->cursor_visible && col == t->cursor_x &&
                       row == t->cursor_y;
            int px0 = col * gw;
            for (int l = 0; l < t->char_height; l++) {
                int py = row * t->char_height + l;
                if (py >= dst->height)
                    break;
                /* the cursor fills its scan lines of the cell, all 8 or 9 dots */
                bool curline = cur && l >= t->cursor_start && l <= t->cursor_end;
                unsigned bits = curline ? 0xff : l < gh ? glyph[l] : 0;
                unsigned b9 = curline ? 1 : ext ? (bits & 1) : 0;
                uint32_t *p = display_surface_row(dst, py);
                for (int x = 0; x < gw; x++) {
                    int px = px0 + x;
                    if (px >= dst->width)
                        break;
                    unsigned on = x < 8 ? (bits >> (7 - x)) & 1 : b9;
                    p[px] = on ? (curline ? fg0 : fg) : bg;
                }
            }
        }
    }
}

/* ---- consoles ------------------------------------------------------------- */

Console *console_new(const char *name, const ConsoleHwOps *ops, void *opaque)
{
    Console *con = calloc(1, sizeof(*con));
    Console **n = realloc(consoles, (size_t)(nconsoles + 1) * sizeof(*consoles));
    char *nm = strdup(name ? name : "console");
    if (!con || !n || !nm)
        fatal("out of memory (console '%s')", name ? name : "console");
    consoles = n;
    con->name = nm;
    con->ops = ops;
    con->opaque = opaque;
    consoles[nconsoles++] = con;
    return con;
}

void console_free(Console *con)
{
    if (!con)
        return;
    while (con->listeners)
        display_listener_unregister(con->listeners);
    for (int i = 0; i < nconsoles; i++) {
        if (consoles[i] == con) {
            memmove(&consoles[i], &consoles[i + 1], (size_t)(nconsoles - i - 1) * sizeof(*consoles));
            nconsoles--;
            break;
        }
    }
    if (!nconsoles) {
        free(consoles);
        consoles = NULL;
    }
    display_surface_free(con->surface);
    if (con->text)
        free(con->text->cells);
    free(con->text);
    free(con->name);
    free(con);
}

int console_count(void) { return nconsoles; }

Console *console_get(int index)
{
    return index >= 0 && index < nconsoles ? consoles[index] : NULL;
}

const char *console_name(const Console *con) { return con->name; }
ConsoleMode console_mode(const Console *con) { return con->mode; }

DisplaySurface *console_surface(Console *con)
{
    return con->mode == CONSOLE_GRAPHIC ? con->surface : NULL;
}

ConsoleText *console_text(Console *con)
{
    return con->mode == CONSOLE_TEXT ? con->text : NULL;
}

static void notify_switch(Console *con)
{
    for (DisplayListener *dl = con->listeners; dl; dl = dl->next)
        if (dl->ops->switch_surface)
            dl->ops->switch_surface(dl);
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

DisplaySurface *console_set_graphic(Console *con, int width, int height)
{
    width = clamp(width, 1, DISPLAY_MAX_DIM);
    height = clamp(height, 1, DISPLAY_MAX_DIM);
    if (con->mode == CONSOLE_GRAPHIC && con->surface->width == width &&
        con->surface->height == height)
        return con->surface;
    DisplaySurface *s = con->surface;
    if (!s || s->width != width || s->height != height) {
        Error *err = NULL;
        DisplaySurface *n = display_surface_new(width, height, &err);
        if (!n)
            fatal("console '%s': %s", con->name, err->msg);
        display_surface_free(s);
        s = con->surface = n;
    } else {
        memset(s->data, 0, (size_t)s->stride * (size_t)s->height);
    }
    con->mode = CONSOLE_GRAPHIC;
    notify_switch(con);
    return s;
}

ConsoleText *console_set_text(Console *con, int cols, int rows)
{
    cols = clamp(cols, 1, 256);
    rows = clamp(rows, 1, 256);
    ConsoleText *t = con->text;
    if (con->mode == CONSOLE_TEXT && t->cols == cols && t->rows == rows)
        return t;
    if (!t) {
        t = con->text = calloc(1, sizeof(*t));
        if (!t)
            fatal("out of memory (console '%s')", con->name);
        t->char_width = 8;
        t->char_height = 16;
    }
    if (!t->cells || t->cols != cols || t->rows != rows) {
        ConsoleCell *c = calloc((size_t)cols * (size_t)rows, sizeof(*c));
        if (!c)
            fatal("out of memory (console '%s')", con->name);
        free(t->cells);
        t->cells = c;
        t->cols = cols;
        t->rows = rows;
    } else {
        memset(t->cells, 0, (size_t)cols * (size_t)rows * sizeof(*t->cells));
    }
    for (int i = 0; i < cols * rows; i++)
        t->cells[i].ch = ' ';
    con->mode = CONSOLE_TEXT;
    notify_switch(con);
    return t;
}

/* Clip (x, y, w, h) to [0, W) x [0, H); false when nothing is left. */
static bool clip_rect(int *x, int *y, int *w, int *h, int W, int H)
{
    if (*x < 0) *w += *x, *x = 0;
    if (*y < 0) *h += *y, *y = 0;
    if (*x + *w > W) *w = W - *x;
    if (*y + *h > H) *h = H - *y;
    return *w > 0 && *h > 0;
}

void console_gfx_update(Console *con, int x, int y, int w, int h)
{
    if (con->mode != CONSOLE_GRAPHIC ||
        !clip_rect(&x, &y, &w, &h, con->surface->width, con->surface->height))
        return;
    for (DisplayListener *dl = con->listeners; dl; dl = dl->next)
        if (dl->ops->gfx_update)
            dl->ops->gfx_update(dl, x, y, w, h);
}

void console_text_update(Console *con, int x, int y, int w, int h)
{
    if (con->mode != CONSOLE_TEXT || !clip_rect(&x, &y, &w, &h, con->text->cols, con->text->rows))
        return;
    for (DisplayListener *dl = con->listeners; dl; dl = dl->next)
        if (dl->ops->text_update)
            dl->ops->text_update(dl, x, y, w, h);
}

void console_cursor_update(Console *con)
{
    if (con->mode != CONSOLE_TEXT)
        return;
    ConsoleText *t = con->text;
    for (DisplayListener *dl = con->listeners; dl; dl = dl->next)
        if (dl->ops->text_cursor)
            dl->ops->text_cursor(dl, t->cursor_x, t->cursor_y, t->cursor_visible);
}

void console_update(Console *con)
{
    if (con && con->ops && con->ops->update)
        con->ops->update(con->opaque);
}

void console_invalidate(Console *con)
{
    if (con && con->ops && con->ops->invalidate)
        con->ops->invalidate(con->opaque);
}

/* ---- listeners and the refresh tick --------------------------------------- */

void display_listener_register(DisplayListener *dl, Console *con)
{
    if (!con)
        con = console_get(0);
    if (!con)
        pemu_abort("display_listener_register '%s': no console", dl->ops->name);
    dl->con = con;
    dl->next = con->listeners;
    con->listeners = dl;
    if (dl->ops->init)
        dl->ops->init(dl);
    if (con->mode != CONSOLE_NONE && dl->ops->switch_surface)
        dl->ops->switch_surface(dl);
    console_invalidate(con);
}

static void listener_unlink(DisplayListener *dl)
{
    for (DisplayListener **p = &dl->con->listeners; *p; p = &(*p)->next) {
        if (*p == dl) {
            *p = dl->next;
            break;
        }
    }
    dl->next = NULL;
}

void display_listener_unregister(DisplayListener *dl)
{
    if (!dl->con)
        return;
    listener_unlink(dl);
    dl->con = NULL;
    if (dl->ops->fini)
        dl->ops->fini(dl);
}

void display_listener_set_console(DisplayListener *dl, Console *con)
{
    if (!con || dl->con == con)
        return;
    listener_unlink(dl);
    dl->con = con;
    dl->next = con->listeners;
    con->listeners = dl;
    if (con->mode != CONSOLE_NONE && dl->ops->switch_surface)
        dl->ops->switch_surface(dl);
    console_invalidate(con);
}

void display_refresh(void)
{
    refresh_gen++;
    for (int i = 0; i < nconsoles; i++)
        for (DisplayListener *dl = consoles[i]->listeners, *next; dl; dl = next) {
            next = dl->next;
            if (dl->ops->refresh)
                dl->ops->refresh(dl);
        }
    /* A refresh callback may switch consoles: update each one once, after. */
    for (int i = 0; i < nconsoles; i++) {
        Console *con = consoles[i];
        if (con->listeners && con->tick != refresh_gen) {
            con->tick = refresh_gen;
            console_update(con);
        }
    }
}

static void refresh_tick(void *opaque)
{
    (void)opaque;
    display_refresh();
    if (refresh_ms > 0)
        timer_mod_in(refresh_timer, (int64_t)refresh_ms * NS_PER_MS);
}

void display_refresh_start(int interval_ms)
{
    refresh_ms = interval_ms;
    if (interval_ms <= 0) {
        timer_free(refresh_timer);
        refresh_timer = NULL;
        return;
    }
    if (!refresh_timer)
        refresh_timer = timer_new(PEMU_CLOCK_REALTIME, refresh_tick, NULL);
    timer_mod_in(refresh_timer, (int64_t)interval_ms * NS_PER_MS);
}
