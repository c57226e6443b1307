/* -display curses (see curses.h). */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include "ui/curses.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ports/term.h"
#include "src/mainloop.h"
#include "src/timer.h"
#include "ui/cp437.h"
#include "ui/display.h"
#include "ui/input.h"
#include "ui/keymap.h"
#include "ui/vc.h"

#define MOD_SHIFT 1u
#define MOD_CTRL  2u
#define MOD_ALT   4u

typedef struct CursesUI {
    DisplayListener dl;
    bool active;
    bool utf8;               /* the locale can print Unicode */
    int colors;              /* 0 (monochrome), 8, 16 or 256 */
    bool direct;             /* 24-bit colour: curses colour numbers are 0xRRGGBB */
    bool need_flush;
    /* layout of the shown console in the terminal */
    int ox, oy;              /* terminal cell of the console's first shown cell */
    int vx, vy;              /* first shown console cell (clipping) */
    int vw, vh;              /* shown cells */
    bool status;             /* the last line is a status line */
    /* graphics: scale of source pixels per terminal cell column (x1024) */
    int gscale;
    int gcols, grows;
    /* graphics colour pairs, allocated on demand: key fg*256+bg -> pair */
    int *gpair;
    int gpairs_next, gpairs_base;
    /* xterm's modified cursor keys (kUP5...), looked up at start */
    struct { int code; unsigned kc, mods; } ext[64];
    int next_ext;
} CursesUI;

static CursesUI ui;

/* ---- colours -------------------------------------------------------------- */

/* VGA colour index -> curses colour number (curses orders red before blue). */
static const short vga_to_curses[8] = { COLOR_BLACK, COLOR_BLUE, COLOR_GREEN, COLOR_CYAN,
                                        COLOR_RED, COLOR_MAGENTA, COLOR_YELLOW, COLOR_WHITE };

/* True colour needs ncurses' extended colours (6.1+): colour numbers and
 * pairs above 32767, set through the int * "opts" arguments. */
#if defined(NCURSES_EXT_COLORS) && defined(NCURSES_EXT_FUNCS) && NCURSES_VERSION_MAJOR >= 6
#define HAVE_DIRECT_COLOUR 1
#else
#define HAVE_DIRECT_COLOUR 0
#endif

/* The standard VGA text palette (DAC defaults of modes 0-3). */
static const uint32_t vga_rgb[16] = {
    0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
    0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
};

/* A direct-colour number for RGB. Numbers 0-7 are the terminal's ANSI
 * colours in the -direct terminfo entries (setaf sends 30+n for them), so
 * near-black values move to 8 = rgb(0,0,8); black itself stays ANSI black. */
static int direct_colour(uint32_t rgb)
{
    rgb &= 0xffffff;
    return rgb == 0 ? 0 : rgb < 8 ? 8 : (int)rgb;
}

/* The extended pair number for setcchar/attr_set (NULL on other curses). */
#if HAVE_DIRECT_COLOUR
#define PAIR_OPTS(p) ((void *)&(p))
#else
#define PAIR_OPTS(p) NULL
#endif

/* Terminals that can show 24-bit colour mostly keep TERM=xterm-256color
 * and say so in COLORTERM=truecolor (or 24bit); their terminfo entry then
 * lacks the RGB flag ncurses needs. Use the matching -direct entry
 * (ncurses-term: xterm-direct, tmux-direct, konsole-direct, ...) when
 * terminfo has one. (<term.h> is not included: -Iports finds ports/term.h.) */
static const char *direct_term_name(void)
{
#if HAVE_DIRECT_COLOUR
    static char name[64];
    const char *ct = getenv("COLORTERM"), *t = getenv("TERM");
    if (!ct || (strcmp(ct, "truecolor") && strcmp(ct, "24bit")) || !t || !*t)
        return NULL;
    if (strstr(t, "-direct"))
        return NULL; /* already direct: plain newterm does it */
    size_t n = strcspn(t, "-");
    if (getenv("TMUX") || !strncmp(t, "tmux", 4))
        snprintf(name, sizeof(name), "tmux-direct");   /* tmux keeps RGB cells */
    else if (!strncmp(t, "screen", 6))
        return NULL;                                   /* GNU screen 4 cannot */
    else if (n + 8 <= sizeof(name))
        snprintf(name, sizeof(name), "%.*s-direct", (int)n, t);
    else
        return NULL;
    return name; /* newterm fails on it when terminfo has no such entry */
#else
    return NULL;
#endif
}

static void make_pair(int pair, int fg, int bg)
{
#if HAVE_DIRECT_COLOUR
    if (ui.direct) {
        init_extended_pair(pair, fg, bg);
        return;
    }
#endif
    init_pair((short)pair, (short)fg, (short)bg);
}

/* Text pairs: 1 + fg * 16 + bg with 16 colours, 1 + fg * 8 + bg with 8.
 * In direct colour the 16 VGA colours are exact RGB. */
static void init_text_pairs(void)
{
    int n = ui.colors >= 16 ? 16 : 8;
    if (ui.direct) {
        for (int fg = 0; fg < 16; fg++)
            for (int bg = 0; bg < 16; bg++)
                make_pair(1 + fg * 16 + bg, direct_colour(vga_rgb[fg]), direct_colour(vga_rgb[bg]));
        ui.gpairs_base = ui.gpairs_next = 1 + 256;
        return;
    }
    for (int fg = 0; fg < n; fg++)
        for (int bg = 0; bg < n; bg++) {
            short cf = (short)(vga_to_curses[fg & 7] + (fg & 8));
            short cb = (short)(vga_to_curses[bg & 7] + (bg & 8));
            init_pair((short)(1 + fg * n + bg), cf, cb);
        }
    ui.gpairs_base = ui.gpairs_next = 1 + n * n;
}

/* The cell's look: colour pair and attributes (blink, bold, reverse). */
static void cell_style(const ConsoleCell *c, attr_t *attr, int *pair)
{
    unsigned fg = c->fg & 15, bg = c->bg & 15;
    *attr = (c->flags & CELL_BLINK) ? A_BLINK : A_NORMAL;
    *pair = 0;
    if (ui.colors >= 16) {
        *pair = 1 + (int)(fg * 16 + bg);
    } else if (ui.colors >= 8) {
        *pair = 1 + (int)((fg & 7) * 8 + (bg & 7));
        if (fg & 8)
            *attr |= A_BOLD;
    } else {
        /* Monochrome: bright foreground is bold; a background brighter
         * than the text (menus, status bars) is reverse video. */
        static const uint8_t vga_luma[16] = { 0, 1, 3, 4, 2, 3, 4, 6, 3, 4, 7, 8, 5, 6, 9, 10 };
        if (fg & 8)
            *attr |= A_BOLD;
        if (vga_luma[bg] > vga_luma[fg])
            *attr |= A_REVERSE;
    }
}

/* RGB -> the nearest of xterm's 256 colours (6x6x6 cube or the gray ramp). */
static int rgb_to_256(uint32_t rgb)
{
    int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
    static const int lv[6] = { 0, 95, 135, 175, 215, 255 };
    int ci[3], cv[3] = { r, g, b };
    for (int k = 0; k < 3; k++) {
        int best = 0;
        for (int i = 1; i < 6; i++)
            if (abs(lv[i] - cv[k]) < abs(lv[best] - cv[k]))
                best = i;
        ci[k] = best;
    }
    int dr = lv[ci[0]] - r, dg = lv[ci[1]] - g, db = lv[ci[2]] - b;
    int cube_err = dr * dr + dg * dg + db * db;
    int avg = (r + g + b) / 3;
    int gi = avg < 8 ? 0 : avg > 238 ? 23 : (avg - 8) / 10;
    int gv = 8 + 10 * gi;
    int gray_err = (gv - r) * (gv - r) + (gv - g) * (gv - g) + (gv - b) * (gv - b);
    if (gray_err < cube_err)
        return 232 + gi;
    return 16 + 36 * ci[0] + 6 * ci[1] + ci[2];
}

/* RGB -> the nearest of the 8 or 16 basic colours, as a curses colour. */
static int rgb_to_basic(uint32_t rgb, int n)
{
    int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
    int bright = (r > 170 || g > 170 || b > 170) && n >= 16 ? 8 : 0;
    int t = bright ? 128 : 64;
    int c = (r > t ? COLOR_RED : 0) | (g > t ? COLOR_GREEN : 0) | (b > t ? COLOR_BLUE : 0);
    return c + bright;
}

static int term_colour(uint32_t rgb)
{
    if (ui.direct)
        return direct_colour(rgb);
    return ui.colors >= 256 ? rgb_to_256(rgb) : rgb_to_basic(rgb, ui.colors);
}

/* A pair for (fg, bg) terminal colours; 0 when the pairs ran out (the
 * table is then reset and the screen redrawn). */
static int graphic_pair(int fg, int bg)
{
#if HAVE_DIRECT_COLOUR
    /* 2^48 combinations: ncurses' own pair cache reuses the least
     * recently allocated pair when its table is full. */
    if (ui.direct) {
        int p = alloc_pair(fg, bg);
        return p > 0 ? p : 0;
    }
#endif
    int key = (fg & 255) * 256 + (bg & 255);
    if (ui.gpair[key])
        return ui.gpair[key];
    if (ui.gpairs_next >= COLOR_PAIRS || ui.gpairs_next > 0x7fff) {
        memset(ui.gpair, 0, 65536 * sizeof(int));
        ui.gpairs_next = ui.gpairs_base;
        console_invalidate(ui.dl.con);
    }
    int p = ui.gpairs_next++;
    init_pair((short)p, (short)fg, (short)bg);
    ui.gpair[key] = p;
    return p;
}

/* ---- layout and the status line ------------------------------------------- */

static void status_line(void)
{
    if (!ui.status)
        return;
    Console *con = ui.dl.con;
    char buf[256], mode[64];
    ConsoleText *t = console_text(con);
    DisplaySurface *s = console_surface(con);
    if (t)
        snprintf(mode, sizeof(mode), "text %dx%d", t->cols, t->rows);
    else if (s)
        snprintf(mode, sizeof(mode), "graphics %dx%d (1:%d.%d)", s->width, s->height,
                 ui.gscale / 1024, (ui.gscale % 1024) * 10 / 1024);
    else
        snprintf(mode, sizeof(mode), "no signal");
    int idx = 0;
    for (int i = 0; i < console_count(); i++)
        if (console_get(i) == con)
            idx = i;
    snprintf(buf, sizeof(buf), " pemu [%d] %s: %s | Alt-1 guest, Alt-2 monitor, Alt-3 serial",
             idx + 1, console_name(con), mode);
    attrset(A_REVERSE);
    mvaddnstr(LINES - 1, 0, buf, COLS);
    for (int x = (int)strlen(buf); x < COLS; x++)
        addch(' ');
    attrset(A_NORMAL);
}

/* Where the console goes: centred if it fits, else clipped around the cursor. */
static void layout(void)
{
    Console *con = ui.dl.con;
    ConsoleText *t = console_text(con);
    DisplaySurface *s = console_surface(con);
    int w = 0, h = 0;
    if (t) {
        w = t->cols;
        h = t->rows;
    } else if (s) {
        /* Half blocks: a cell is one pixel wide, two tall, i.e. square
         * pixels on a 1:2 cell. Scale down to fit, never up. */
        int avail_h = LINES > 1 ? LINES - 1 : 1;
        int sx = (s->width * 1024 + COLS - 1) / (COLS > 0 ? COLS : 1);
        int sy = (s->height * 1024 + 2 * avail_h - 1) / (2 * avail_h);
        ui.gscale = sx > sy ? sx : sy;
        if (ui.gscale < 1024)
            ui.gscale = 1024;
        ui.gcols = (int)(((int64_t)s->width * 1024 + ui.gscale - 1) / ui.gscale);
        ui.grows = (int)(((int64_t)s->height * 512 + ui.gscale - 1) / ui.gscale);
        w = ui.gcols;
        h = ui.grows;
    }
    ui.status = LINES > h;
    int avail = ui.status ? LINES - 1 : LINES;
    ui.vw = w < COLS ? w : COLS;
    ui.vh = h < avail ? h : avail;
    ui.ox = (COLS - ui.vw) / 2;
    ui.oy = (avail - ui.vh) / 2;
    ui.vx = ui.vy = 0;
    if (t) {
        if (t->cursor_x >= ui.vw)
            ui.vx = t->cursor_x - ui.vw + 1;
        if (t->cursor_y >= ui.vh)
            ui.vy = t->cursor_y - ui.vh + 1;
        if (ui.vx > w - ui.vw) ui.vx = w - ui.vw;
        if (ui.vy > h - ui.vh) ui.vy = h - ui.vh;
    }
}

/* ---- drawing ----------------------------------------------------------------- */

/* A line-drawing character of CP437 for a terminal without Unicode. */
static chtype acs_of(uint8_t ch)
{
    switch (cp437_to_unicode[ch]) {
    case 0x2502: case 0x2551: return ACS_VLINE;
    case 0x2500: case 0x2550: return ACS_HLINE;
    case 0x250c: case 0x2554: case 0x2552: case 0x2553: return ACS_ULCORNER;
    case 0x2510: case 0x2557: case 0x2555: case 0x2556: return ACS_URCORNER;
    case 0x2514: case 0x255a: case 0x2558: case 0x2559: return ACS_LLCORNER;
    case 0x2518: case 0x255d: case 0x255b: case 0x255c: return ACS_LRCORNER;
    case 0x251c: case 0x2560: case 0x255e: case 0x255f: return ACS_LTEE;
    case 0x2524: case 0x2563: case 0x2561: case 0x2562: return ACS_RTEE;
    case 0x252c: case 0x2566: case 0x2564: case 0x2565: return ACS_TTEE;
    case 0x2534: case 0x2569: case 0x2567: case 0x2568: return ACS_BTEE;
    case 0x253c: case 0x256c: case 0x256a: case 0x256b: return ACS_PLUS;
    case 0x2591: case 0x2592: case 0x2593: return ACS_CKBOARD;
    case 0x2588: case 0x2584: case 0x2580: case 0x258c: case 0x2590: case 0x25a0: return ACS_BLOCK;
    case 0x2191: return ACS_UARROW;
    case 0x2193: return ACS_DARROW;
    case 0x2190: case 0x25c4: return ACS_LARROW;
    case 0x2192: case 0x25ba: return ACS_RARROW;
    case 0x00b0: return ACS_DEGREE;
    case 0x00b1: return ACS_PLMINUS;
    case 0x2022: case 0x2219: case 0x00b7: return ACS_BULLET;
    default: return ch >= 0x20 && ch < 0x7f ? ch : '?';
    }
}

static void draw_text_cells(int x0, int y0, int w, int h)
{
    ConsoleText *t = console_text(ui.dl.con);
    if (!t)
        return;
    for (int y = y0; y < y0 + h; y++) {
        int ty = y - ui.vy;
        if (ty < 0 || ty >= ui.vh)
            continue;
        for (int x = x0; x < x0 + w; x++) {
            int tx = x - ui.vx;
            if (tx < 0 || tx >= ui.vw)
                continue;
            const ConsoleCell *c = console_text_cell(t, x, y);
            attr_t attr;
            int pair;
            cell_style(c, &attr, &pair);
            if (ui.utf8) {
                wchar_t wc[2] = { (wchar_t)cp437_to_unicode[c->ch], 0 };
                cchar_t cc;
                setcchar(&cc, wc, attr, (short)pair, NULL);
                mvadd_wch(ui.oy + ty, ui.ox + tx, &cc);
            } else {
                mvaddch(ui.oy + ty, ui.ox + tx, acs_of(c->ch) | attr | COLOR_PAIR(pair));
            }
        }
    }
    ui.need_flush = true;
}

/* The average colour of the source box of one half cell. */
static uint32_t box_average(const DisplaySurface *s, int px0, int py0, int px1, int py1)
{
    if (px1 > s->width) px1 = s->width;
    if (py1 > s->height) py1 = s->height;
    if (px1 <= px0) px1 = px0 + 1;
    if (py1 <= py0) py1 = py0 + 1;
    if (px0 >= s->width || py0 >= s->height)
        return 0;
    /* At most 4x4 samples per box: enough for a preview, cheap per frame. */
    int stepx = (px1 - px0 + 3) / 4, stepy = (py1 - py0 + 3) / 4;
    uint32_t r = 0, g = 0, b = 0, n = 0;
    for (int y = py0; y < py1; y += stepy) {
        const uint32_t *row = display_surface_row(s, y);
        for (int x = px0; x < px1; x += stepx) {
            uint32_t p = row[x];
            r += (p >> 16) & 255;
            g += (p >> 8) & 255;
            b += p & 255;
            n++;
        }
    }
    return (r / n) << 16 | (g / n) << 8 | (b / n);
}

static int luma(uint32_t p)
{
    return (int)((((p >> 16) & 255) * 3 + ((p >> 8) & 255) * 6 + (p & 255)) / 10);
}

static void draw_graphic_cell(const DisplaySurface *s, int cx, int cy)
{
    int64_t sc = ui.gscale;
    int px0 = (int)(cx * sc / 1024), px1 = (int)((cx + 1) * sc / 1024);
    int py0 = (int)(2 * cy * sc / 1024), pym = (int)((2 * cy + 1) * sc / 1024),
        py1 = (int)((2 * cy + 2) * sc / 1024);
    uint32_t top = box_average(s, px0, py0, px1, pym);
    uint32_t bot = box_average(s, px0, pym, px1, py1);
    int y = ui.oy + cy, x = ui.ox + cx;
    if (ui.colors >= 8) {
        int pair = graphic_pair(term_colour(top), term_colour(bot));
        if (ui.utf8) {
            wchar_t wc[2] = { 0x2580, 0 }; /* upper half block: fg top, bg bottom */
            cchar_t cc;
            setcchar(&cc, wc, A_NORMAL, (short)(pair < 0x7fff ? pair : 0), PAIR_OPTS(pair));
            mvadd_wch(y, x, &cc);
        } else {
            /* No half blocks: one colour per cell, the average. */
            int avg = graphic_pair(COLOR_BLACK, term_colour(luma(top) > luma(bot) ? top : bot));
            attr_set(A_NORMAL, (short)(avg < 0x7fff ? avg : 0), PAIR_OPTS(avg));
            mvaddch(y, x, ' ');
            attr_set(A_NORMAL, 0, NULL);
        }
        return;
    }
    bool t = luma(top) >= 64, b = luma(bot) >= 64;
    if (ui.utf8) {
        static const wchar_t blocks[4] = { L' ', 0x2584, 0x2580, 0x2588 };
        wchar_t wc[2] = { blocks[t * 2 + b], 0 };
        cchar_t cc;
        setcchar(&cc, wc, A_NORMAL, 0, NULL);
        mvadd_wch(y, x, &cc);
    } else {
        static const char ramp[4] = { ' ', '.', '"', '#' };
        mvaddch(y, x, (chtype)ramp[t * 2 + b]);
    }
}

static void draw_graphic(int x, int y, int w, int h)
{
    DisplaySurface *s = console_surface(ui.dl.con);
    if (!s || !ui.gscale)
        return;
    int64_t sc = ui.gscale;
    int cx0 = (int)((int64_t)x * 1024 / sc), cx1 = (int)(((int64_t)(x + w) * 1024 + sc - 1) / sc);
    int cy0 = (int)((int64_t)y * 512 / sc), cy1 = (int)(((int64_t)(y + h) * 512 + sc - 1) / sc);
    if (cx1 > ui.vw) cx1 = ui.vw;
    if (cy1 > ui.vh) cy1 = ui.vh;
    for (int cy = cy0; cy < cy1; cy++)
        for (int cx = cx0; cx < cx1; cx++)
            draw_graphic_cell(s, cx, cy);
    ui.need_flush = true;
}

static void place_cursor(void)
{
    ConsoleText *t = console_text(ui.dl.con);
    int tx = t ? t->cursor_x - ui.vx : -1, ty = t ? t->cursor_y - ui.vy : -1;
    if (!t || !t->cursor_visible || t->cursor_start > t->cursor_end || tx < 0 || ty < 0 ||
        tx >= ui.vw || ty >= ui.vh) {
        curs_set(0);
        return;
    }
    /* A cursor reaching the top half of the cell is a block, else a line. */
    curs_set(t->cursor_start <= t->char_height / 2 ? 2 : 1);
    move(ui.oy + ty, ui.ox + tx);
}

static void redraw_all(void)
{
    erase();
    layout();
    ConsoleText *t = console_text(ui.dl.con);
    DisplaySurface *s = console_surface(ui.dl.con);
    if (t)
        draw_text_cells(0, 0, t->cols, t->rows);
    else if (s)
        draw_graphic(0, 0, s->width, s->height);
    status_line();
    ui.need_flush = true;
}

static void flush(void)
{
    if (!ui.need_flush)
        return;
    ui.need_flush = false;
    place_cursor();
    refresh();
}

/* ---- listener callbacks --------------------------------------------------- */

static void cb_switch(DisplayListener *dl)
{
    (void)dl;
    redraw_all();
}

static void cb_gfx_update(DisplayListener *dl, int x, int y, int w, int h)
{
    (void)dl;
    draw_graphic(x, y, w, h);
}

static void cb_text_update(DisplayListener *dl, int x, int y, int w, int h)
{
    (void)dl;
    draw_text_cells(x, y, w, h);
}

static void cb_cursor(DisplayListener *dl, int x, int y, bool visible)
{
    (void)dl;
    (void)visible;
    ConsoleText *t = console_text(ui.dl.con);
    int ovx = ui.vx, ovy = ui.vy;
    if (t && (x < ui.vx || x >= ui.vx + ui.vw || y < ui.vy || y >= ui.vy + ui.vh)) {
        layout(); /* clipped: follow the cursor */
        if (ovx != ui.vx || ovy != ui.vy)
            redraw_all();
    }
    ui.need_flush = true;
}

static void poll_input(void);

static void cb_refresh(DisplayListener *dl)
{
    (void)dl;
    poll_input();
    flush();
}

static void stdin_ready(void *opaque)
{
    (void)opaque;
    poll_input();
    flush();
}

static const DisplayListenerOps curses_ops = {
    .name = "curses",
    .switch_surface = cb_switch,
    .gfx_update = cb_gfx_update,
    .text_update = cb_text_update,
    .text_cursor = cb_cursor,
    .refresh = cb_refresh,
};

/* ---- keys -------------------------------------------------------------------- */

/*
 * Key taps wait in a queue and go to the guest one per KEY_PACE_MS: a
 * burst (a paste, keys typed while the UI was busy) would overflow the
 * PS/2 keyboard's 16-byte buffer as it does on real hardware.
 */
#define KEY_PACE_MS 5
#define KEYQ_SIZE 256

static struct { uint16_t kc; uint8_t mods; } keyq[KEYQ_SIZE];
static unsigned keyq_head, keyq_len;
static Timer *key_timer;

static void key_tap_now(unsigned kc, unsigned mods)
{
    if (mods & MOD_CTRL) input_key_event(KC_LEFTCTRL, true);
    if (mods & MOD_SHIFT) input_key_event(KC_LEFTSHIFT, true);
    if (mods & MOD_ALT) input_key_event(KC_LEFTALT, true);
    input_key_event(kc, true);
    input_key_event(kc, false);
    if (mods & MOD_ALT) input_key_event(KC_LEFTALT, false);
    if (mods & MOD_SHIFT) input_key_event(KC_LEFTSHIFT, false);
    if (mods & MOD_CTRL) input_key_event(KC_LEFTCTRL, false);
}

static void key_pace(void *opaque)
{
    (void)opaque;
    if (!keyq_len)
        return;
    key_tap_now(keyq[keyq_head].kc, keyq[keyq_head].mods);
    keyq_head = (keyq_head + 1) % KEYQ_SIZE;
    keyq_len--;
    /* armed even when empty: the next tap waits its turn */
    timer_mod_in(key_timer, (int64_t)KEY_PACE_MS * NS_PER_MS);
}

static void key_tap(unsigned kc, unsigned mods)
{
    if (keyq_len == KEYQ_SIZE)
        return; /* typed far ahead: dropped, as a full keyboard buffer would */
    unsigned i = (keyq_head + keyq_len++) % KEYQ_SIZE;
    keyq[i].kc = (uint16_t)kc;
    keyq[i].mods = (uint8_t)mods;
    if (!timer_pending(key_timer))
        key_pace(NULL);
}

/* A curses function key: keycode and modifiers, false if unknown. */
static bool fkey(int k, unsigned *kc, unsigned *mods)
{
    static const struct { int code; unsigned kc, mods; } t[] = {
        { KEY_UP, KC_UP, 0 }, { KEY_DOWN, KC_DOWN, 0 }, { KEY_LEFT, KC_LEFT, 0 },
        { KEY_RIGHT, KC_RIGHT, 0 }, { KEY_HOME, KC_HOME, 0 }, { KEY_END, KC_END, 0 },
        { KEY_PPAGE, KC_PAGEUP, 0 }, { KEY_NPAGE, KC_PAGEDOWN, 0 }, { KEY_IC, KC_INSERT, 0 },
        { KEY_DC, KC_DELETE, 0 }, { KEY_BACKSPACE, KC_BACKSPACE, 0 }, { KEY_ENTER, KC_KPENTER, 0 },
        { KEY_BTAB, KC_TAB, MOD_SHIFT }, { KEY_SLEFT, KC_LEFT, MOD_SHIFT },
        { KEY_SRIGHT, KC_RIGHT, MOD_SHIFT }, { KEY_SR, KC_UP, MOD_SHIFT },
        { KEY_SF, KC_DOWN, MOD_SHIFT }, { KEY_SHOME, KC_HOME, MOD_SHIFT },
        { KEY_SEND, KC_END, MOD_SHIFT }, { KEY_SDC, KC_DELETE, MOD_SHIFT },
        { KEY_SIC, KC_INSERT, MOD_SHIFT }, { KEY_SNEXT, KC_PAGEDOWN, MOD_SHIFT },
        { KEY_SPREVIOUS, KC_PAGEUP, MOD_SHIFT }, { KEY_B2, KC_KP5, 0 },
        { KEY_A1, KC_KP7, 0 }, { KEY_A3, KC_KP9, 0 }, { KEY_C1, KC_KP1, 0 }, { KEY_C3, KC_KP3, 0 },
    };
    static const unsigned fkeys[12] = { KC_F1, KC_F2, KC_F3, KC_F4, KC_F5, KC_F6,
                                        KC_F7, KC_F8, KC_F9, KC_F10, KC_F11, KC_F12 };
    /* xterm numbers modified F-keys: 13-24 shift, 25-36 ctrl, 37-48
     * ctrl+shift, 49-60 alt. */
    static const unsigned fmods[5] = { 0, MOD_SHIFT, MOD_CTRL, MOD_CTRL | MOD_SHIFT, MOD_ALT };
    if (k >= KEY_F(1) && k <= KEY_F(60)) {
        int n = k - KEY_F(1);
        *kc = fkeys[n % 12];
        *mods = fmods[n / 12];
        return true;
    }
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].code == k) {
            *kc = t[i].kc;
            *mods = t[i].mods;
            return true;
        }
    for (int i = 0; i < ui.next_ext; i++)
        if (ui.ext[i].code == k) {
            *kc = ui.ext[i].kc;
            *mods = ui.ext[i].mods;
            return true;
        }
    return false;
}

/* xterm's modified editing keys ("kUP5" = Ctrl-Up) get codes at run time. */
static void find_ext_keys(void)
{
    static const struct { const char *name; unsigned kc; } keys[] = {
        { "kUP", KC_UP }, { "kDN", KC_DOWN }, { "kLFT", KC_LEFT }, { "kRIT", KC_RIGHT },
        { "kHOM", KC_HOME }, { "kEND", KC_END }, { "kPRV", KC_PAGEUP }, { "kNXT", KC_PAGEDOWN },
        { "kDC", KC_DELETE }, { "kIC", KC_INSERT },
    };
    /* xterm modifier parameter: 2 shift, 3 alt, 4 shift+alt, 5 ctrl, 6 ctrl+shift, 7 ctrl+alt */
    static const unsigned mods[8] = { 0, 0, MOD_SHIFT, MOD_ALT, MOD_SHIFT | MOD_ALT, MOD_CTRL,
                                      MOD_CTRL | MOD_SHIFT, MOD_CTRL | MOD_ALT };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        for (int m = 3; m <= 7; m++) {
            char name[16];
            snprintf(name, sizeof(name), "%s%d", keys[i].name, m);
            char *s = tigetstr(name);
            if (!s || s == (char *)-1)
                continue;
            int code = key_defined(s);
            if (code <= 0 || ui.next_ext >= (int)(sizeof(ui.ext) / sizeof(ui.ext[0])))
                continue;
            ui.ext[ui.next_ext].code = code;
            ui.ext[ui.next_ext].kc = keys[i].kc;
            ui.ext[ui.next_ext].mods = mods[m];
            ui.next_ext++;
        }
}

static void select_console(int index)
{
    Console *con = console_get(index);
    if (!con || con == ui.dl.con)
        return;
    display_listener_set_console(&ui.dl, con);
    redraw_all();
}

/* One typed character (wide), with Alt if it came after ESC. */
static void typed_char(wint_t ch, bool alt)
{
    VcTerm *vc = vc_find(ui.dl.con);
    if (alt && ch >= '1' && ch <= '9') {
        select_console((int)(ch - '1'));
        return;
    }
    if (vc) {
        uint8_t buf[5];
        size_t n = 0;
        if (alt)
            buf[n++] = 0x1b;
        if (ch == '\n')
            ch = '\r';
        if (ch < 0x80) {
            buf[n++] = (uint8_t)ch;
        } else if (ch < 0x800) {
            buf[n++] = (uint8_t)(0xc0 | ch >> 6);
            buf[n++] = (uint8_t)(0x80 | (ch & 0x3f));
        } else if (ch < 0x10000) {
            buf[n++] = (uint8_t)(0xe0 | ch >> 12);
            buf[n++] = (uint8_t)(0x80 | ((ch >> 6) & 0x3f));
            buf[n++] = (uint8_t)(0x80 | (ch & 0x3f));
        }
        vc_input(vc, buf, n);
        return;
    }
    unsigned kmods = 0;
    int kc = keymap_from_char((int)ch, &kmods);
    if (kc < 0)
        return; /* a character the US layout has no key for */
    unsigned mods = (kmods & KEYMAP_MOD_SHIFT ? MOD_SHIFT : 0) |
                    (kmods & KEYMAP_MOD_CTRL ? MOD_CTRL : 0) | (alt ? MOD_ALT : 0);
    key_tap((unsigned)kc, mods);
}

/* A key the terminal sent as ESC [ ... or ESC O x and curses did not know
 * (tmux sends Home as ESC [ 1 ~): true if it was one. */
static bool csi_key(wint_t intro)
{
    int params[2] = { 0, 1 }, np = 0;
    wint_t ch;
    for (int i = 0; i < 12; i++) {
        if (get_wch(&ch) == ERR)
            return false;
        if (ch >= '0' && ch <= '9' && intro == '[') {
            params[np] = params[np] * 10 + (int)(ch - '0');
            continue;
        }
        if (ch == ';' && np == 0) {
            np = 1;
            params[1] = 0;
            continue;
        }
        break;
    }
    static const unsigned tilde[25] = {
        [1] = KC_HOME, [2] = KC_INSERT, [3] = KC_DELETE, [4] = KC_END, [5] = KC_PAGEUP,
        [6] = KC_PAGEDOWN, [7] = KC_HOME, [8] = KC_END, [11] = KC_F1, [12] = KC_F2,
        [13] = KC_F3, [14] = KC_F4, [15] = KC_F5, [17] = KC_F6, [18] = KC_F7, [19] = KC_F8,
        [20] = KC_F9, [21] = KC_F10, [23] = KC_F11, [24] = KC_F12,
    };
    unsigned kc = 0;
    switch (ch) {
    case 'A': kc = KC_UP; break;
    case 'B': kc = KC_DOWN; break;
    case 'C': kc = KC_RIGHT; break;
    case 'D': kc = KC_LEFT; break;
    case 'H': kc = KC_HOME; break;
    case 'F': kc = KC_END; break;
    case 'P': kc = KC_F1; break;
    case 'Q': kc = KC_F2; break;
    case 'R': kc = KC_F3; break;
    case 'S': kc = KC_F4; break;
    case '~': kc = params[0] < 25 ? tilde[params[0]] : 0; break;
    default: break;
    }
    if (!kc)
        return true; /* a sequence, but not a key we know: swallowed */
    /* xterm's modifier parameter: 1 + (shift 1 | alt 2 | ctrl 4) */
    int m = params[1] - 1;
    unsigned mods = (m & 1 ? MOD_SHIFT : 0) | (m & 2 ? MOD_ALT : 0) | (m & 4 ? MOD_CTRL : 0);
    VcTerm *vc = vc_find(ui.dl.con);
    if (vc)
        vc_send_key(vc, kc);
    else
        key_tap(kc, mods);
    return true;
}

static void poll_input(void)
{
    wint_t ch;
    int r;
    bool esc = false;
    while ((r = get_wch(&ch)) != ERR) {
        if (r == KEY_CODE_YES) {
            unsigned kc, mods;
            if (ch == KEY_RESIZE) {
                redraw_all();
                console_invalidate(ui.dl.con);
            } else if (fkey((int)ch, &kc, &mods)) {
                VcTerm *vc = vc_find(ui.dl.con);
                if (esc)
                    mods |= MOD_ALT;
                if (vc)
                    vc_send_key(vc, kc);
                else
                    key_tap(kc, mods);
            }
            esc = false;
            continue;
        }
        if (ch == 0x1b && !esc) {
            esc = true; /* Alt-x arrives as ESC x */
            continue;
        }
        if (esc && (ch == '[' || ch == 'O') && csi_key(ch)) {
            esc = false;
            continue;
        }
        typed_char(ch, esc);
        esc = false;
    }
    if (esc)
        typed_char(0x1b, false); /* a lone Esc */
}

/* ---- start and stop ----------------------------------------------------------- */

int curses_display_init(const char *charset, Error **errp)
{
    if (charset && strcasecmp(charset, "CP437") && strcasecmp(charset, "IBM437")) {
        error_setg(errp, "-display curses,charset=%s: only CP437 is supported (the VGA's own "
                   "character set)", charset);
        return -1;
    }
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
        error_setg(errp, "-display curses: stdin and stdout must be a terminal "
                   "(use -display none or -nographic)");
        return -1;
    }
    if (!console_get(0)) {
        error_setg(errp, "-display curses: the machine has no console to show (-vga none?)");
        return -1;
    }
    setlocale(LC_CTYPE, "");
    ui.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    /* The fatal-signal hooks of ports/term put the original modes back. */
    term_raw_enter(STDIN_FILENO, false);
    ui.direct = false;
    const char *dterm = direct_term_name();
    if (dterm && newterm(dterm, stdout, stdin)) {
        ui.direct = true;
    } else if (!newterm(NULL, stdout, stdin)) {
        term_restore();
        const char *t = getenv("TERM");
        error_setg(errp, "-display curses: cannot drive the terminal TERM=%s (is it in "
                   "terminfo?)", t ? t : "(unset)");
        return -1;
    }
    ui.active = true;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    meta(stdscr, TRUE);
    /* What to write if we die on a signal: leave the alternate screen,
     * show the cursor, plain attributes. */
    {
        static char bye[128];
        const char *caps[] = { "sgr0", "cnorm", "rmcup" };
        bye[0] = '\0';
        for (int i = 0; i < 3; i++) {
            char *s = tigetstr(caps[i]);
            if (s && s != (char *)-1 && strlen(bye) + strlen(s) < sizeof(bye))
                strcat(bye, s);
        }
        term_set_restore_output(bye);
    }
    if (has_colors()) {
        start_color();
        ui.colors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
        /* TERM=xterm-direct and the like: terminfo's RGB flag. */
        ui.direct = HAVE_DIRECT_COLOUR && ui.colors == 256 &&
                    (ui.direct || tigetflag("RGB") > 0 || COLORS >= 0x1000000);
        if (ui.colors)
            init_text_pairs();
    }
    ui.gpair = calloc(65536, sizeof(int));
    if (!ui.gpair)
        fatal("out of memory (curses)");
    find_ext_keys();
    key_timer = timer_new(PEMU_CLOCK_REALTIME, key_pace, NULL);
    keyq_head = keyq_len = 0;
    ui.dl.ops = &curses_ops;
    display_listener_register(&ui.dl, console_get(0));
    redraw_all();
    mainloop_set_fd_handler(STDIN_FILENO, stdin_ready, NULL, NULL);
    display_refresh_start(DISPLAY_REFRESH_MS);
    return 0;
}

void curses_display_fini(void)
{
    if (!ui.active)
        return;
    ui.active = false;
    display_refresh_start(0);
    mainloop_remove_fd_handler(STDIN_FILENO);
    display_listener_unregister(&ui.dl);
    endwin();
    term_set_restore_output(NULL);
    term_restore();
    free(ui.gpair);
    ui.gpair = NULL;
    timer_free(key_timer);
    key_timer = NULL;
}
