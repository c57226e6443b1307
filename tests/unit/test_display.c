/* ui/display and ui/screendump: consoles, listeners, text rendering, PPM/PNG files. */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include "src/timer.h"
#include "ui/display.h"

/* A device stand-in counting what the console asks of it. */
typedef struct Hw {
    int updates, invalidates;
} Hw;

static void hw_update(void *opaque) { ((Hw *)opaque)->updates++; }
static void hw_invalidate(void *opaque) { ((Hw *)opaque)->invalidates++; }
static const ConsoleHwOps hw_ops = { hw_update, hw_invalidate };

typedef struct Log {
    char s[1024];
} Log;

static void PEMU_PRINTF(2, 3) logf_(Log *l, const char *fmt, ...)
{
    size_t n = strlen(l->s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->s + n, sizeof(l->s) - n, fmt, ap);
    va_end(ap);
}

static void l_init(DisplayListener *dl) { logf_(dl->opaque, "init;"); }
static void l_switch(DisplayListener *dl) { logf_(dl->opaque, "switch;"); }
static void l_gfx(DisplayListener *dl, int x, int y, int w, int h)
{
    logf_(dl->opaque, "gfx %d,%d,%d,%d;", x, y, w, h);
}
static void l_text(DisplayListener *dl, int x, int y, int w, int h)
{
    logf_(dl->opaque, "text %d,%d,%d,%d;", x, y, w, h);
}
static void l_cursor(DisplayListener *dl, int x, int y, bool v)
{
    logf_(dl->opaque, "cursor %d,%d,%d;", x, y, v);
}
static void l_refresh(DisplayListener *dl) { logf_(dl->opaque, "refresh;"); }
static void l_fini(DisplayListener *dl) { logf_(dl->opaque, "fini;"); }

static const DisplayListenerOps log_ops = {
    "log", l_init, l_switch, l_gfx, l_text, l_cursor, l_refresh, l_fini,
};

TEST(listener_notifications_and_clipping)
{
    Hw hw = { 0, 0 };
    Console *con = console_new("test", &hw_ops, &hw);
    CHECK_EQ(console_mode(con), CONSOLE_NONE);
    CHECK(console_get(console_count() - 1) == con);
    CHECK_STR(console_name(con), "test");
    Log lg = { "" };
    DisplayListener dl = { .ops = &log_ops, .opaque = &lg };
    display_listener_register(&dl, con);
    CHECK_STR(lg.s, "init;");
    CHECK_EQ(hw.invalidates, 1);

    lg.s[0] = 0;
    ConsoleText *t = console_set_text(con, 80, 25);
    CHECK(t && t->cols == 80 && t->rows == 25);
    CHECK_EQ(console_text_cell(t, 79, 24)->ch, ' ');
    CHECK(console_set_text(con, 80, 25) == t);  /* same size: no switch */
    console_text_update(con, -5, 3, 10, 2);     /* clipped on the left */
    console_text_update(con, 70, 20, 50, 50);   /* clipped right and bottom */
    console_text_update(con, 90, 0, 5, 5);      /* entirely outside: nothing */
    console_text_update(con, 0, 0, 0, 5);       /* empty: nothing */
    console_gfx_update(con, 0, 0, 5, 5);        /* wrong mode: nothing */
    t->cursor_x = 3;
    t->cursor_y = 4;
    t->cursor_visible = true;
    console_cursor_update(con);
    CHECK_STR(lg.s, "switch;text 0,3,5,2;text 70,20,10,5;cursor 3,4,1;");
    CHECK(console_text(con) == t);
    CHECK(console_surface(con) == NULL);

    lg.s[0] = 0;
    DisplaySurface *s = console_set_graphic(con, 100, 50);
    CHECK(s && s->width == 100 && s->height == 50 && s->stride >= 400);
    CHECK(console_text(con) == NULL);
    CHECK(console_surface(con) == s);
    console_gfx_update(con, 90, 40, 20, 20);
    console_gfx_update(con, -1, -1, 1, 1);      /* empty after clipping */
    console_text_update(con, 0, 0, 1, 1);       /* wrong mode */
    CHECK(console_set_graphic(con, 100, 50) == s);
    console_set_graphic(con, 0, 20000);         /* clamped to 1 x DISPLAY_MAX_DIM */
    CHECK_EQ(console_surface(con)->width, 1);
    CHECK_EQ(console_surface(con)->height, DISPLAY_MAX_DIM);
    CHECK_STR(lg.s, "switch;gfx 90,40,10,10;switch;");

    /* switching back to text keeps the mode change visible to a new listener */
    console_set_text(con, 40, 25);
    Log lg2 = { "" };
    DisplayListener dl2 = { .ops = &log_ops, .opaque = &lg2 };
    display_listener_register(&dl2, con);
    CHECK_STR(lg2.s, "init;switch;");
    console_update(con);
    CHECK_EQ(hw.updates, 1);
    console_invalidate(con);
    CHECK_EQ(hw.invalidates, 3);

    lg.s[0] = 0;
    display_listener_unregister(&dl);
    CHECK_STR(lg.s, "fini;");
    display_listener_unregister(&dl);           /* twice: harmless */
    CHECK_STR(lg.s, "fini;");
    console_free(con);                          /* unregisters dl2 */
    CHECK_STR(lg2.s, "init;switch;fini;");
}

TEST(refresh_updates_each_watched_console_once)
{
    Hw a = { 0, 0 }, b = { 0, 0 }, c = { 0, 0 };
    Console *ca = console_new("a", &hw_ops, &a);
    Console *cb = console_new("b", &hw_ops, &b);
    Console *cc = console_new("c", &hw_ops, &c);
    Log l1 = { "" }, l2 = { "" }, l3 = { "" };
    DisplayListener d1 = { .ops = &log_ops, .opaque = &l1 };
    DisplayListener d2 = { .ops = &log_ops, .opaque = &l2 };
    DisplayListener d3 = { .ops = &log_ops, .opaque = &l3 };
    display_listener_register(&d1, ca);
    display_listener_register(&d2, ca);
    display_listener_register(&d3, cb);
    display_refresh();
    display_refresh();
    CHECK_EQ(a.updates, 2);
    CHECK_EQ(b.updates, 2);
    CHECK_EQ(c.updates, 0);
    CHECK_STR(l1.s, "init;refresh;refresh;");
    CHECK_STR(l3.s, "init;refresh;refresh;");
    /* moving a listener: the new console gets updated and the listener told */
    console_set_graphic(cc, 10, 10);
    display_listener_set_console(&d3, cc);
    display_refresh();
    CHECK_EQ(b.updates, 2);
    CHECK_EQ(c.updates, 1);
    CHECK_STR(l3.s, "init;refresh;refresh;switch;refresh;");
    console_free(ca);
    console_free(cb);
    console_free(cc);
}

/* A 9x4-cell text grid with a hand-made font. */
static void make_grid(ConsoleText *t)
{
    for (int i = 0; i < 16; i++)
        t->palette[i] = 0x111111u * (uint32_t)i;
    t->char_width = 9;
    t->char_height = 4;
    t->line_graphics = true;
    memset(t->font, 0, sizeof(t->font));
    const uint8_t a[4] = { 0x81, 0x42, 0x24, 0x18 };
    memcpy(&t->font[0]['A' * 32], a, 4);
    t->font[1]['A' * 32] = 0xff;                   /* font 1 differs */
    t->font[0][0xc4 * 32 + 1] = 0xff;              /* a horizontal line */
    t->font[0][0x41 * 32 + 1] |= 0x01;             /* 'A' row 1 ends in a set column 8 */
    *console_text_cell(t, 0, 0) = (ConsoleCell){ 'A', 15, 1, 0 };
    *console_text_cell(t, 1, 0) = (ConsoleCell){ 0xc4, 14, 2, 0 };
    *console_text_cell(t, 2, 0) = (ConsoleCell){ 'A', 13, 3, CELL_BLINK };
    *console_text_cell(t, 3, 0) = (ConsoleCell){ 'A', 12, 4, CELL_FONT1 };
}

TEST(text_render_font_9dot_blink_cursor)
{
    Console *con = console_new("text", NULL, NULL);
    ConsoleText *t = console_set_text(con, 4, 2);
    make_grid(t);
    int w, h;
    console_text_pixel_size(t, &w, &h);
    CHECK_EQ(w, 36);
    CHECK_EQ(h, 8);
    DisplaySurface *d = display_surface_new(w, h, NULL);
    CHECK(d);
    console_text_render(t, d, 0, 0, 4, 2, true, true);
    const uint8_t a[4] = { 0x81, 0x43, 0x24, 0x18 };
    for (int l = 0; l < 4; l++) {
        const uint32_t *row = display_surface_row(d, l);
        for (int x = 0; x < 8; x++)
            CHECK_EQ(row[x], (a[l] >> (7 - x)) & 1 ? 0xffffff : 0x111111);
        CHECK_EQ(row[8], 0x111111);               /* 'A' < 0xC0: column 9 is background */
        /* 0xC4: column 9 repeats column 8 (line graphics) */
        CHECK_EQ(row[9 + 8], l == 1 ? 0xeeeeee : 0x222222);
    }
    /* without line graphics, column 9 is always background */
    t->line_graphics = false;
    console_text_render(t, d, 1, 0, 1, 1, true, true);
    CHECK_EQ(display_surface_row(d, 1)[9 + 8], 0x222222);
    t->line_graphics = true;
    /* blink "off" phase: the blinking cell shows only background */
    console_text_render(t, d, 0, 0, 4, 1, false, true);
    for (int l = 0; l < 4; l++)
        for (int x = 18; x < 27; x++)
            CHECK_EQ(display_surface_row(d, l)[x], 0x333333);
    /* font 1 */
    CHECK_EQ(display_surface_row(d, 0)[27 + 3], 0xcccccc);
    CHECK_EQ(display_surface_row(d, 1)[27 + 3], 0x444444);
    /* cursor on cell (0, 1), scan lines 2-3, all 9 columns, foreground colour */
    *console_text_cell(t, 0, 1) = (ConsoleCell){ ' ', 7, 0, 0 };
    t->cursor_x = 0;
    t->cursor_y = 1;
    t->cursor_visible = true;
    t->cursor_start = 2;
    t->cursor_end = 3;
    console_text_render(t, d, 0, 1, 1, 1, true, true);
    for (int x = 0; x < 9; x++) {
        CHECK_EQ(display_surface_row(d, 5)[x], 0);
        CHECK_EQ(display_surface_row(d, 6)[x], 0x777777);
        CHECK_EQ(display_surface_row(d, 7)[x], 0x777777);
    }
    console_text_render(t, d, 0, 1, 1, 1, true, false); /* cursor blinked off */
    CHECK_EQ(display_surface_row(d, 6)[0], 0);
    /* 8-dot cells; rendering clips to a small surface without overrunning it */
    t->char_width = 8;
    DisplaySurface *small = display_surface_new(10, 3, NULL);
    console_text_render(t, small, -2, -2, 100, 100, true, true);
    CHECK_EQ(display_surface_row(small, 0)[0], 0xffffff);
    CHECK_EQ(display_surface_row(small, 0)[8], 0x222222); /* cell 1 now starts at x = 8 */
    display_surface_free(small);
    display_surface_free(d);
    console_free(con);
}

TEST(surface_sizes)
{
    Error *err = NULL;
    CHECK(display_surface_new(0, 10, &err) == NULL);
    CHECK(err && strstr(err->msg, "0x10"));
    error_free(err);
    err = NULL;
    CHECK(display_surface_new(10, DISPLAY_MAX_DIM + 1, &err) == NULL);
    error_free(err);
    DisplaySurface *s = display_surface_new(3, 2, NULL);
    CHECK(s && s->stride == 12 && display_surface_row(s, 1) == s->data + 3);
    display_surface_free(s);
}

/* ---- screendump ------------------------------------------------------------------ */

/* Hard to compress, so that the PNG needs several IDAT chunks. */
static uint32_t pattern(int x, int y)
{
    uint32_t v = (uint32_t)x * 0x9e3779b1u ^ (uint32_t)y * 0x85ebca77u;
    v ^= v >> 15;
    v *= 0x2c1b3c6du;
    v ^= v >> 12;
    return v & 0xffffff;
}

static DisplaySurface *pattern_surface(int w, int h)
{
    DisplaySurface *s = display_surface_new(w, h, NULL);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            display_surface_row(s, y)[x] = pattern(x, y);
    return s;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

TEST(ppm_exact_bytes)
{
    DisplaySurface *s = display_surface_new(3, 2, NULL);
    const uint32_t v[6] = { 0xff0000, 0x00ff00, 0x0000ff, 0x123456, 0xffffff, 0x000001 };
    for (int i = 0; i < 6; i++)
        display_surface_row(s, i / 3)[i % 3] = v[i] | 0xab000000u; /* the X byte is ignored */
    char path[512];
    snprintf(path, sizeof(path), "%s/a.ppm", unit_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(screendump_write_surface(s, f, SCREENDUMP_PPM, NULL) == 0);
    fclose(f);
    size_t n;
    uint8_t *b = slurp(path, &n);
    static const uint8_t want[] = "P6\n3 2\n255\n"
                                  "\xff\x00\x00\x00\xff\x00\x00\x00\xff"
                                  "\x12\x34\x56\xff\xff\xff\x00\x00\x01";
    CHECK_EQ(n, sizeof(want) - 1);
    CHECK(!memcmp(b, want, n));
    free(b);
    display_surface_free(s);
}

/* Decode an 8-bit RGB, non-interlaced PNG, checking every chunk CRC. */
static int idat_chunks;

static int png_decode(const uint8_t *b, size_t n, int *w, int *h, uint8_t **rgb)
{
    idat_chunks = 0;
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (n < 8 || memcmp(b, sig, 8))
        return -1;
    size_t pos = 8, zlen = 0;
    uint8_t *z = NULL;
    int seen_ihdr = 0, seen_iend = 0;
    while (pos + 12 <= n && !seen_iend) {
        uint32_t len = ld32_be(b + pos);
        const uint8_t *type = b + pos + 4, *data = b + pos + 8;
        if (pos + 12 + len > n)
            return -2;
        uLong crc = crc32(crc32(0, Z_NULL, 0), type, 4 + len);
        if (crc != ld32_be(data + len))
            return -3;
        if (!memcmp(type, "IHDR", 4)) {
            if (len != 13 || data[8] != 8 || data[9] != 2 || data[10] || data[11] || data[12])
                return -4;
            *w = (int)ld32_be(data);
            *h = (int)ld32_be(data + 4);
            seen_ihdr = 1;
        } else if (!memcmp(type, "IDAT", 4)) {
            idat_chunks++;
            z = realloc(z, zlen + len);
            memcpy(z + zlen, data, len);
            zlen += len;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = 1;
        }
        pos += 12 + len;
    }
    if (!seen_ihdr || !seen_iend || pos != n)
        return -5;
    uLongf rawlen = (uLongf)(*h) * (1 + (uLongf)(*w) * 3);
    uint8_t *raw = malloc(rawlen + 1);
    uLongf got = rawlen + 1;
    int zr = uncompress(raw, &got, z, (uLong)zlen);
    free(z);
    if (zr != Z_OK || got != rawlen) {
        free(raw);
        return -6;
    }
    *rgb = malloc((size_t)*w * (size_t)*h * 3);
    for (int y = 0; y < *h; y++) {
        const uint8_t *row = raw + (size_t)y * (1 + (size_t)*w * 3);
        if (row[0] != 0) { /* the writer uses filter type 0 */
            free(raw);
            free(*rgb);
            return -7;
        }
        memcpy(*rgb + (size_t)y * (size_t)*w * 3, row + 1, (size_t)*w * 3);
    }
    free(raw);
    return 0;
}

TEST(png_decodes_to_the_same_pixels)
{
    /* wide enough that the compressed stream spans several IDAT chunks */
    int W = 1500, H = 70;
    DisplaySurface *s = pattern_surface(W, H);
    char path[512];
    snprintf(path, sizeof(path), "%s/a.png", unit_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(screendump_write_surface(s, f, SCREENDUMP_PNG, NULL) == 0);
    fclose(f);
    size_t n;
    uint8_t *b = slurp(path, &n);
    int w = 0, h = 0;
    uint8_t *rgb = NULL;
    int rc = png_decode(b, n, &w, &h, &rgb);
    CHECK_EQ(rc, 0);
    CHECK_EQ(w, W);
    CHECK_EQ(h, H);
    CHECK(idat_chunks > 1);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *p = rgb + 3 * ((size_t)y * (size_t)W + (size_t)x);
            CHECK_EQ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2], pattern(x, y));
        }
    /* a flipped byte in the data breaks a CRC */
    b[n / 2] ^= 0x40;
    free(rgb);
    rgb = NULL;
    CHECK(png_decode(b, n, &w, &h, &rgb) != 0);
    free(rgb);
    free(b);
    display_surface_free(s);
}

TEST(format_from_option_or_extension)
{
    ScreendumpFormat f;
    CHECK(screendump_parse_format(NULL, "x.png", &f, NULL) == 0 && f == SCREENDUMP_PNG);
    CHECK(screendump_parse_format(NULL, "/tmp/X.PNG", &f, NULL) == 0 && f == SCREENDUMP_PNG);
    CHECK(screendump_parse_format(NULL, "x.ppm", &f, NULL) == 0 && f == SCREENDUMP_PPM);
    CHECK(screendump_parse_format(NULL, "png", &f, NULL) == 0 && f == SCREENDUMP_PPM);
    CHECK(screendump_parse_format("", "x", &f, NULL) == 0 && f == SCREENDUMP_PPM);
    CHECK(screendump_parse_format("ppm", "x.png", &f, NULL) == 0 && f == SCREENDUMP_PPM);
    CHECK(screendump_parse_format("png", "x.ppm", &f, NULL) == 0 && f == SCREENDUMP_PNG);
    Error *err = NULL;
    CHECK(screendump_parse_format("jpeg", "x", &f, &err) == -1);
    CHECK(err && strstr(err->msg, "jpeg") && strstr(err->msg, "png"));
    error_free(err);
}

typedef struct PatternHw {
    Console *con;
    int updates;
} PatternHw;

static void pattern_update(void *opaque)
{
    PatternHw *p = opaque;
    p->updates++;
    DisplaySurface *s = console_set_graphic(p->con, 20, 10);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 20; x++)
            display_surface_row(s, y)[x] = pattern(x, y);
}

static const ConsoleHwOps pattern_ops = { pattern_update, NULL };

TEST(screendump_console_graphic_and_errors)
{
    PatternHw hw = { NULL, 0 };
    hw.con = console_new("pattern", &pattern_ops, &hw);
    char path[512];
    snprintf(path, sizeof(path), "%s/shot.Png", unit_tmpdir());
    CHECK(screendump_console(hw.con, path, NULL, NULL) == 0);
    CHECK_EQ(hw.updates, 1);                /* the frame is brought up to date first */
    size_t n;
    uint8_t *b = slurp(path, &n);
    int w, h;
    uint8_t *rgb = NULL;
    CHECK(png_decode(b, n, &w, &h, &rgb) == 0);
    CHECK(w == 20 && h == 10);
    CHECK_EQ((uint32_t)rgb[3 * 27] << 16 | (uint32_t)rgb[3 * 27 + 1] << 8 | rgb[3 * 27 + 2],
             pattern(7, 1));
    free(rgb);
    free(b);

    snprintf(path, sizeof(path), "%s/shot", unit_tmpdir());
    CHECK(screendump_console(hw.con, path, NULL, NULL) == 0);
    b = slurp(path, &n);
    CHECK(b && n == strlen("P6\n20 10\n255\n") + 600 && !memcmp(b, "P6\n20 10\n255\n", 13));
    free(b);

    Error *err = NULL;
    snprintf(path, sizeof(path), "%s/no/such/dir/x.ppm", unit_tmpdir());
    CHECK(screendump_console(hw.con, path, NULL, &err) == -1);
    CHECK(err && strstr(err->msg, path));
    error_free(err);
    err = NULL;
    CHECK(screendump_console(NULL, "x.ppm", NULL, &err) == -1);
    error_free(err);
    err = NULL;
    /* a console with nothing to show yet */
    Console *empty = console_new("empty", NULL, NULL);
    CHECK(screendump_console(empty, "x.ppm", NULL, &err) == -1);
    CHECK(err && strstr(err->msg, "empty"));
    error_free(err);
    console_free(empty);
    console_free(hw.con);
}

TEST(refresh_timer_ticks_on_the_realtime_clock)
{
    Hw hw = { 0, 0 };
    Console *con = console_new("timed", &hw_ops, &hw);
    Log lg = { "" };
    DisplayListener dl = { .ops = &log_ops, .opaque = &lg };
    display_listener_register(&dl, con);
    display_refresh_start(1);
    int64_t until = clock_get_ns(PEMU_CLOCK_REALTIME) + 5 * NS_PER_SEC;
    while (hw.updates < 3 && clock_get_ns(PEMU_CLOCK_REALTIME) < until)
        timerlist_run_expired(PEMU_CLOCK_REALTIME);
    CHECK(hw.updates >= 3);
    display_refresh_start(0);
    int n = hw.updates;
    int64_t later = clock_get_ns(PEMU_CLOCK_REALTIME) + 20 * NS_PER_MS;
    while (clock_get_ns(PEMU_CLOCK_REALTIME) < later)
        timerlist_run_expired(PEMU_CLOCK_REALTIME);
    CHECK_EQ(hw.updates, n);    /* stopped */
    console_free(con);
}
