/* Virtual consoles: a terminal emulator on a text Console (see vc.h). */
#include "ui/vc.h"

#include <stdlib.h>
#include <string.h>
#include "ui/cp437.h"
#include "ui/input.h"

#define VC_MAX 8
#define VC_PARAMS 8

struct VcTerm {
    Console *con;
    Chardev *chr;
    ConsoleText *t;
    int x, y;                 /* cursor; x == cols: pending wrap */
    uint8_t fg, bg;           /* current colours (VGA indices) */
    bool bold, reverse;
    int state;                /* 0 text, 1 after ESC, 2 in CSI */
    int params[VC_PARAMS], nparams;
    bool private_mode;        /* CSI ? ... */
    uint32_t utf8;            /* partial UTF-8 code point */
    int utf8_left;
    /* changed cells since the last update: [x0, x1) x [y0, y1) */
    int dx0, dy0, dx1, dy1;
    bool cursor_moved;
};

static VcTerm *vcs[VC_MAX];

/* The VGA's default palette (text modes): index -> RGB. */
static const uint32_t vga_palette[16] = {
    0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
    0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
};
/* ANSI colour n (SGR 30+n) -> VGA index: ANSI is BGR-ordered the other way. */
static const uint8_t ansi_to_vga[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

static void dirty(VcTerm *vc, int x0, int y0, int x1, int y1)
{
    if (vc->dx0 >= vc->dx1) {
        vc->dx0 = x0, vc->dy0 = y0, vc->dx1 = x1, vc->dy1 = y1;
        return;
    }
    if (x0 < vc->dx0) vc->dx0 = x0;
    if (y0 < vc->dy0) vc->dy0 = y0;
    if (x1 > vc->dx1) vc->dx1 = x1;
    if (y1 > vc->dy1) vc->dy1 = y1;
}

static void vc_update(void *opaque)
{
    VcTerm *vc = opaque;
    if (vc->dx0 < vc->dx1)
        console_text_update(vc->con, vc->dx0, vc->dy0, vc->dx1 - vc->dx0, vc->dy1 - vc->dy0);
    vc->dx0 = vc->dx1 = 0;
    if (vc->cursor_moved) {
        ConsoleText *t = vc->t;
        t->cursor_x = vc->x < t->cols ? vc->x : t->cols - 1;
        t->cursor_y = vc->y;
        console_cursor_update(vc->con);
        vc->cursor_moved = false;
    }
}

static void vc_invalidate(void *opaque)
{
    VcTerm *vc = opaque;
    dirty(vc, 0, 0, vc->t->cols, vc->t->rows);
    vc->cursor_moved = true;
}

static const ConsoleHwOps vc_ops = { vc_update, vc_invalidate };

static void chr_output(void *opaque, const uint8_t *buf, size_t len)
{
    vc_output(opaque, buf, len);
}

static uint8_t vc_font[256 * 16];
static bool vc_have_font;

static void apply_font(VcTerm *vc)
{
    if (!vc_have_font || vc->t->char_height != 16)
        return;
    for (int g = 0; g < 256; g++)
        memcpy(&vc->t->font[0][g * CONSOLE_FONT_GLYPH], &vc_font[g * 16], 16);
    dirty(vc, 0, 0, vc->t->cols, vc->t->rows);
}

int vc_set_font_from_vga_bios(const uint8_t *rom, size_t len)
{
    /* glyph 1 of the IBM VGA 8x16 font; glyph 0 (16 zero bytes) precedes it */
    static const uint8_t smiley[16] = { 0x00, 0x00, 0x7e, 0x81, 0xa5, 0x81, 0x81, 0xbd,
                                        0x99, 0x81, 0x81, 0x7e, 0x00, 0x00, 0x00, 0x00 };
    for (size_t i = 16; i + 255 * 16 <= len; i++) {
        if (memcmp(rom + i, smiley, 16))
            continue;
        const uint8_t *f = rom + i - 16;
        bool zero0 = true;
        for (int k = 0; k < 16; k++)
            zero0 &= f[k] == 0;
        if (!zero0)
            continue;
        memcpy(vc_font, f, sizeof(vc_font));
        vc_have_font = true;
        for (int s = 0; s < VC_MAX; s++)
            if (vcs[s])
                apply_font(vcs[s]);
        return 0;
    }
    return -1;
}

VcTerm *vc_new(const char *name, Chardev *chr, int cols, int rows)
{
    int slot = 0;
    while (slot < VC_MAX && vcs[slot])
        slot++;
    if (slot == VC_MAX)
        fatal("more than %d virtual consoles", VC_MAX);
    VcTerm *vc = calloc(1, sizeof(*vc));
    if (!vc)
        fatal("out of memory (virtual console)");
    vc->con = console_new(name, &vc_ops, vc);
    vc->t = console_set_text(vc->con, cols, rows);
    memcpy(vc->t->palette, vga_palette, sizeof(vga_palette));
    vc->t->cursor_visible = true;
    vc->t->cursor_start = vc->t->char_height - 2;
    vc->t->cursor_end = vc->t->char_height - 1;
    vc->fg = 7;
    for (int i = 0; i < cols * rows; i++)
        vc->t->cells[i].fg = 7;
    apply_font(vc);
    vc->chr = chr;
    if (chr)
        chardev_vc_set_output(chr, chr_output, vc);
    vcs[slot] = vc;
    return vc;
}

void vc_free(VcTerm *vc)
{
    if (!vc)
        return;
    for (int i = 0; i < VC_MAX; i++)
        if (vcs[i] == vc)
            vcs[i] = NULL;
    if (vc->chr)
        chardev_vc_set_output(vc->chr, NULL, NULL);
    console_free(vc->con);
    free(vc);
}

void vc_free_all(void)
{
    for (int i = 0; i < VC_MAX; i++)
        vc_free(vcs[i]);
}

Console *vc_console(VcTerm *vc) { return vc->con; }
Chardev *vc_chardev(VcTerm *vc) { return vc->chr; }

VcTerm *vc_find(const Console *con)
{
    for (int i = 0; i < VC_MAX; i++)
        if (vcs[i] && vcs[i]->con == con)
            return vcs[i];
    return NULL;
}

size_t vc_input(VcTerm *vc, const uint8_t *buf, size_t len)
{
    return vc->chr ? chardev_vc_input(vc->chr, buf, len) : 0;
}

/* ---- the terminal ----------------------------------------------------------- */

static void blank(VcTerm *vc, ConsoleCell *c)
{
    c->ch = ' ';
    c->fg = vc->fg;
    c->bg = vc->bg;
    c->flags = 0;
}

static void erase(VcTerm *vc, int x0, int y0, int x1, int y1)
{
    ConsoleText *t = vc->t;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            blank(vc, console_text_cell(t, x, y));
    if (x0 < x1 && y0 < y1)
        dirty(vc, x0, y0, x1, y1);
}

static void scroll_up(VcTerm *vc)
{
    ConsoleText *t = vc->t;
    memmove(t->cells, t->cells + t->cols, sizeof(ConsoleCell) * (size_t)t->cols * (size_t)(t->rows - 1));
    erase(vc, 0, t->rows - 1, t->cols, t->rows);
    dirty(vc, 0, 0, t->cols, t->rows);
}

static void newline(VcTerm *vc)
{
    if (vc->y + 1 < vc->t->rows)
        vc->y++;
    else
        scroll_up(vc);
}

static void put_char(VcTerm *vc, uint8_t ch)
{
    ConsoleText *t = vc->t;
    if (vc->x >= t->cols) {
        vc->x = 0;
        newline(vc);
    }
    ConsoleCell *c = console_text_cell(t, vc->x, vc->y);
    uint8_t fg = vc->fg | (vc->bold ? 8 : 0), bg = vc->bg;
    c->ch = ch;
    c->fg = vc->reverse ? bg : fg;
    c->bg = vc->reverse ? fg & 7 : bg;
    c->flags = 0;
    dirty(vc, vc->x, vc->y, vc->x + 1, vc->y + 1);
    vc->x++;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static int param(VcTerm *vc, int i, int def)
{
    return i < vc->nparams && vc->params[i] > 0 ? vc->params[i] : def;
}

static void sgr(VcTerm *vc)
{
    if (!vc->nparams)
        vc->nparams = 1, vc->params[0] = 0;
    for (int i = 0; i < vc->nparams; i++) {
        int p = vc->params[i];
        if (p == 0) {
            vc->fg = 7, vc->bg = 0, vc->bold = vc->reverse = false;
        } else if (p == 1) {
            vc->bold = true;
        } else if (p == 22) {
            vc->bold = false;
        } else if (p == 7) {
            vc->reverse = true;
        } else if (p == 27) {
            vc->reverse = false;
        } else if (p >= 30 && p <= 37) {
            vc->fg = ansi_to_vga[p - 30];
        } else if (p == 39) {
            vc->fg = 7;
        } else if (p >= 40 && p <= 47) {
            vc->bg = ansi_to_vga[p - 40];
        } else if (p == 49) {
            vc->bg = 0;
        } else if (p >= 90 && p <= 97) {
            vc->fg = ansi_to_vga[p - 90] | 8;
        } else if (p >= 100 && p <= 107) {
            vc->bg = ansi_to_vga[p - 100] | 8;
        }
    }
}

static void csi(VcTerm *vc, uint8_t final)
{
    ConsoleText *t = vc->t;
    int n = param(vc, 0, 1);
    if (vc->x >= t->cols)
        vc->x = t->cols - 1;
    switch (final) {
    case 'A': vc->y = clampi(vc->y - n, 0, t->rows - 1); break;
    case 'B': vc->y = clampi(vc->y + n, 0, t->rows - 1); break;
    case 'C': vc->x = clampi(vc->x + n, 0, t->cols - 1); break;
    case 'D': vc->x = clampi(vc->x - n, 0, t->cols - 1); break;
    case 'G': vc->x = clampi(n - 1, 0, t->cols - 1); break;
    case 'd': vc->y = clampi(n - 1, 0, t->rows - 1); break;
    case 'H':
    case 'f':
        vc->y = clampi(param(vc, 0, 1) - 1, 0, t->rows - 1);
        vc->x = clampi(param(vc, 1, 1) - 1, 0, t->cols - 1);
        break;
    case 'J': /* erase in display: 0 below, 1 above, 2 all */
        switch (vc->nparams ? vc->params[0] : 0) {
        case 0:
            erase(vc, vc->x, vc->y, t->cols, vc->y + 1);
            erase(vc, 0, vc->y + 1, t->cols, t->rows);
            break;
        case 1:
            erase(vc, 0, 0, t->cols, vc->y);
            erase(vc, 0, vc->y, vc->x + 1, vc->y + 1);
            break;
        default:
            erase(vc, 0, 0, t->cols, t->rows);
        }
        break;
    case 'K': /* erase in line: 0 to the end, 1 to the start, 2 all */
        switch (vc->nparams ? vc->params[0] : 0) {
        case 0: erase(vc, vc->x, vc->y, t->cols, vc->y + 1); break;
        case 1: erase(vc, 0, vc->y, vc->x + 1, vc->y + 1); break;
        default: erase(vc, 0, vc->y, t->cols, vc->y + 1);
        }
        break;
    case 'm':
        sgr(vc);
        break;
    case 'h':
    case 'l':
        if (vc->private_mode && param(vc, 0, 0) == 25) { /* DECTCEM: cursor on/off */
            t->cursor_visible = final == 'h';
            vc->cursor_moved = true;
        }
        break;
    default:
        break; /* everything else is ignored */
    }
}

static void vc_byte(VcTerm *vc, uint8_t b)
{
    ConsoleText *t = vc->t;
    if (vc->state == 1) {
        vc->state = 0;
        if (b == '[') {
            vc->state = 2;
            vc->nparams = 0;
            vc->private_mode = false;
            memset(vc->params, 0, sizeof(vc->params));
        } else if (b == 'c') { /* RIS: full reset */
            vc->fg = 7, vc->bg = 0, vc->bold = vc->reverse = false;
            erase(vc, 0, 0, t->cols, t->rows);
            vc->x = vc->y = 0;
        }
        return;
    }
    if (vc->state == 2) {
        if (b >= '0' && b <= '9') {
            if (!vc->nparams)
                vc->nparams = 1;
            int *p = &vc->params[vc->nparams - 1];
            if (*p < 10000)
                *p = *p * 10 + (b - '0');
        } else if (b == ';') {
            if (!vc->nparams)
                vc->nparams = 1;
            if (vc->nparams < VC_PARAMS)
                vc->nparams++;
        } else if (b == '?') {
            vc->private_mode = true;
        } else if (b >= 0x40 && b <= 0x7e) {
            vc->state = 0;
            csi(vc, b);
        } else if (b < 0x20 || b > 0x7e) {
            vc->state = 0; /* malformed: drop it */
        }
        return;
    }
    switch (b) {
    case '\r': vc->x = 0; return;
    case '\n': newline(vc); return;
    case '\b':
        if (vc->x >= t->cols)
            vc->x = t->cols - 1;
        if (vc->x > 0)
            vc->x--;
        return;
    case '\t':
        vc->x = (vc->x + 8) & ~7;
        if (vc->x >= t->cols)
            vc->x = t->cols - 1;
        return;
    case 0x1b: vc->state = 1; return;
    case 0x07: return;
    default: break;
    }
    if (b < 0x20)
        return;
    /* UTF-8 into a CP437 glyph ('?' for what CP437 cannot show) */
    if (b < 0x80) {
        vc->utf8_left = 0;
        put_char(vc, b);
    } else if (b >= 0xc0) {
        vc->utf8_left = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
        vc->utf8 = b & (0x3fu >> vc->utf8_left);
    } else if (vc->utf8_left) {
        vc->utf8 = vc->utf8 << 6 | (b & 0x3f);
        if (--vc->utf8_left == 0) {
            int c = cp437_from_unicode(vc->utf8);
            put_char(vc, c < 0 ? '?' : (uint8_t)c);
        }
    }
}

void vc_output(VcTerm *vc, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        vc_byte(vc, buf[i]);
    vc->cursor_moved = true;
}

void vc_send_key(VcTerm *vc, unsigned keycode)
{
    const char *s = NULL;
    switch (keycode) {
    case KC_UP: s = "\033[A"; break;
    case KC_DOWN: s = "\033[B"; break;
    case KC_RIGHT: s = "\033[C"; break;
    case KC_LEFT: s = "\033[D"; break;
    case KC_HOME: s = "\033[H"; break;
    case KC_END: s = "\033[F"; break;
    case KC_DELETE: s = "\033[3~"; break;
    case KC_INSERT: s = "\033[2~"; break;
    case KC_PAGEUP: s = "\033[5~"; break;
    case KC_PAGEDOWN: s = "\033[6~"; break;
    case KC_BACKSPACE: s = "\177"; break;
    case KC_KPENTER: s = "\r"; break;
    case KC_TAB: s = "\t"; break;
    default: return;
    }
    vc_input(vc, (const uint8_t *)s, strlen(s));
}
