/*
 * hw/vga: driven through I/O ports and the 0xa0000 window the way the VGA
 * BIOS and drivers do, checked on the console's text grid and surface.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "hw/vga.h"
#include "src/timer.h"
#include "src/vmstate.h"
#include "ui/display.h"

typedef struct Rig {
    Machine m;
    ISAVGAState *d;
    VGAState *s;
} Rig;

static int rig_init(Rig *r, uint32_t vgamem_mb)
{
    memset(r, 0, sizeof(*r));
    r->m.sysmem = memory_region_new_container("system", UINT64_C(1) << 32, NULL);
    r->m.as = address_space_new("memory", r->m.sysmem);
    r->m.io = ioport_space_new("io");
    r->d = calloc(1, isa_vga_class.instance_size);
    r->d->dev.cls = &isa_vga_class;
    r->d->vgamem_mb = vgamem_mb;
    Error *err = NULL;
    if (isa_vga_class.realize(&r->d->dev, &r->m, &err)) {
        error_free(err);
        return -1;
    }
    isa_vga_class.reset(&r->d->dev);
    r->s = &r->d->vga;
    return 0;
}

static void rig_free(Rig *r)
{
    isa_vga_class.unrealize(&r->d->dev);
    free(r->d);
    address_space_free(r->m.as);
    ioport_space_free(r->m.io);
    memory_region_free(r->m.sysmem);
}

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m.io, port, v, 1); }
static void outw(Rig *r, uint16_t port, uint16_t v) { ioport_write(r->m.io, port, v, 2); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m.io, port, 1); }
static uint16_t inw(Rig *r, uint16_t port) { return (uint16_t)ioport_read(r->m.io, port, 2); }
static void memb(Rig *r, uint32_t a, uint8_t v) { address_space_stb(r->m.as, a, v); }
static uint8_t rdb(Rig *r, uint32_t a) { return address_space_ldub(r->m.as, a); }

static void vbe(Rig *r, uint16_t index, uint16_t val)
{
    outw(r, VBE_DISPI_IOPORT_INDEX, index);
    outw(r, VBE_DISPI_IOPORT_DATA, val);
}

static uint16_t vbe_rd(Rig *r, uint16_t index)
{
    outw(r, VBE_DISPI_IOPORT_INDEX, index);
    return inw(r, VBE_DISPI_IOPORT_DATA);
}

/* Standard VGA register sets (IBM VGA BIOS parameter tables). */
typedef struct ModeRegs {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} ModeRegs;

static const ModeRegs mode3 = {
    0x67, { 0x03, 0x00, 0x03, 0x00, 0x02 },
    { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
      0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
      0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00 },
};

static const ModeRegs mode4 = {
    0x63, { 0x03, 0x09, 0x03, 0x00, 0x02 },
    { 0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x00, 0xff },
    { 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
      0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00 },
};

static const ModeRegs mode6 = {
    0x63, { 0x03, 0x01, 0x01, 0x00, 0x06 },
    { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x00, 0x96, 0xb9, 0xc2, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x00, 0xff },
    { 0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
      0x17, 0x17, 0x01, 0x00, 0x01, 0x00, 0x00 },
};

static const ModeRegs mode12 = {
    0xe3, { 0x03, 0x01, 0x0f, 0x00, 0x06 },
    { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
      0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00 },
};

static const ModeRegs mode13 = {
    0x63, { 0x03, 0x01, 0x0f, 0x00, 0x0e },
    { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
      0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00 },
};

static void set_mode(Rig *r, const ModeRegs *m)
{
    outb(r, 0x3c2, m->misc);
    for (int i = 0; i < 5; i++) {
        outb(r, 0x3c4, (uint8_t)i);
        outb(r, 0x3c5, m->sr[i]);
    }
    outw(r, 0x3d4, 0x0e11); /* unprotect CR0-7 (as outw: index then data) */
    for (int i = 0; i < 25; i++) {
        outb(r, 0x3d4, (uint8_t)i);
        outb(r, 0x3d5, m->cr[i]);
    }
    for (int i = 0; i < 9; i++)
        outw(r, 0x3ce, (uint16_t)(m->gr[i] << 8 | i));
    inb(r, 0x3da);
    for (int i = 0; i < 21; i++) {
        outb(r, 0x3c0, (uint8_t)i);
        outb(r, 0x3c0, m->ar[i]);
    }
    outb(r, 0x3c0, 0x20); /* palette address source: screen on */
}

static void set_dac(Rig *r, uint8_t index, uint8_t red, uint8_t green, uint8_t blue)
{
    outb(r, 0x3c8, index);
    outb(r, 0x3c9, red);
    outb(r, 0x3c9, green);
    outb(r, 0x3c9, blue);
}

static uint32_t rgb6(unsigned red, unsigned green, unsigned blue)
{
    return (uint32_t)((red << 2 | red >> 4) << 16 | (green << 2 | green >> 4) << 8 |
                      (blue << 2 | blue >> 4));
}

/* The 16 EGA colours at DAC indices of the mode 3/12h attribute palette. */
static const uint8_t ega_rgb[16][3] = {
    { 0, 0, 0 }, { 0, 0, 42 }, { 0, 42, 0 }, { 0, 42, 42 }, { 42, 0, 0 }, { 42, 0, 42 },
    { 42, 21, 0 }, { 42, 42, 42 }, { 21, 21, 21 }, { 21, 21, 63 }, { 21, 63, 21 },
    { 21, 63, 63 }, { 63, 21, 21 }, { 63, 21, 63 }, { 63, 63, 21 }, { 63, 63, 63 },
};
static const uint8_t ega_dac_index[16] = { 0, 1, 2, 3, 4, 5, 0x14, 7,
                                           0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f };

static void load_ega_palette(Rig *r)
{
    for (int i = 0; i < 16; i++)
        set_dac(r, ega_dac_index[i], ega_rgb[i][0], ega_rgb[i][1], ega_rgb[i][2]);
}

static uint32_t ega(int i) { return rgb6(ega_rgb[i][0], ega_rgb[i][1], ega_rgb[i][2]); }

static uint8_t glyph_row(unsigned font, unsigned ch, unsigned l)
{
    return (uint8_t)(ch * 29 + l * 13 + font * 101 + 7);
}

/* Load a font into plane 2 at `offset` the way the BIOS does (sequential, plane 2). */
static void load_font(Rig *r, uint32_t offset, unsigned font, unsigned height)
{
    outw(r, 0x3c4, 0x0402); /* map mask: plane 2 */
    outw(r, 0x3c4, 0x0704); /* sequential, extended memory */
    outw(r, 0x3ce, 0x0204); /* read map 2 */
    outw(r, 0x3ce, 0x0005); /* write mode 0, no odd/even */
    outw(r, 0x3ce, 0x0406); /* a0000, 64K, text */
    for (unsigned ch = 0; ch < 256; ch++)
        for (unsigned l = 0; l < 32; l++)
            memb(r, 0xa0000 + offset + ch * 32 + l, l < height ? glyph_row(font, ch, l) : 0);
    outw(r, 0x3c4, 0x0302);
    outw(r, 0x3c4, 0x0204);
    outw(r, 0x3ce, 0x0004);
    outw(r, 0x3ce, 0x1005);
    outw(r, 0x3ce, 0x0e06);
}

/* A listener that records what it was told. */
typedef struct Rec {
    int switches, text_updates, gfx_updates, cursors;
    int x0, y0, x1, y1;  /* union of update rects (exclusive end) */
} Rec;

static void rec_reset(Rec *rc)
{
    memset(rc, 0, sizeof(*rc));
    rc->x0 = rc->y0 = 1 << 30;
    rc->x1 = rc->y1 = -1;
}

static void rec_rect(Rec *rc, int x, int y, int w, int h)
{
    if (x < rc->x0) rc->x0 = x;
    if (y < rc->y0) rc->y0 = y;
    if (x + w > rc->x1) rc->x1 = x + w;
    if (y + h > rc->y1) rc->y1 = y + h;
}

static void rec_switch(DisplayListener *dl) { ((Rec *)dl->opaque)->switches++; }
static void rec_gfx(DisplayListener *dl, int x, int y, int w, int h)
{
    ((Rec *)dl->opaque)->gfx_updates++;
    rec_rect(dl->opaque, x, y, w, h);
}
static void rec_text(DisplayListener *dl, int x, int y, int w, int h)
{
    ((Rec *)dl->opaque)->text_updates++;
    rec_rect(dl->opaque, x, y, w, h);
}
static void rec_cursor(DisplayListener *dl, int x, int y, bool visible)
{
    (void)x, (void)y, (void)visible;
    ((Rec *)dl->opaque)->cursors++;
}

static const DisplayListenerOps rec_ops = {
    .name = "rec", .switch_surface = rec_switch, .gfx_update = rec_gfx,
    .text_update = rec_text, .text_cursor = rec_cursor,
};

static uint32_t px(Rig *r, int x, int y)
{
    DisplaySurface *s = console_surface(r->s->con);
    return display_surface_row(s, y)[x];
}

/* ---- text modes ----------------------------------------------------------- */

TEST(text_mode3_grid_cursor_font)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode3);
    load_ega_palette(&r);
    load_font(&r, 0, 0, 16);
    const char *msg = "Hi!";
    for (int i = 0; msg[i]; i++) {
        memb(&r, 0xb8000 + 2 * i, (uint8_t)msg[i]);
        memb(&r, 0xb8000 + 2 * i + 1, 0x1e); /* yellow on blue */
    }
    memb(&r, 0xb8000 + 160 * 24 + 2 * 79, 0xdb);
    memb(&r, 0xb8000 + 160 * 24 + 2 * 79 + 1, 0x8f); /* blinking white on black */
    outw(&r, 0x3d4, 0x000e);
    outw(&r, 0x3d4, (uint16_t)((80 * 3 + 7) << 8 | 0x0f)); /* cursor at row 3, col 7 */

    console_update(r.s->con);
    ConsoleText *t = console_text(r.s->con);
    CHECK(t);
    CHECK_EQ(t->cols, 80);
    CHECK_EQ(t->rows, 25);
    CHECK_EQ(t->char_width, 9);
    CHECK_EQ(t->char_height, 16);
    CHECK(t->line_graphics);
    CHECK_EQ(console_text_cell(t, 0, 0)->ch, 'H');
    CHECK_EQ(console_text_cell(t, 1, 0)->ch, 'i');
    CHECK_EQ(console_text_cell(t, 2, 0)->ch, '!');
    CHECK_EQ(console_text_cell(t, 3, 0)->ch, 0);
    CHECK_EQ(console_text_cell(t, 1, 0)->fg, 0xe);
    CHECK_EQ(console_text_cell(t, 1, 0)->bg, 0x1);
    CHECK_EQ(console_text_cell(t, 1, 0)->flags, CELL_FONT1);
    ConsoleCell *last = console_text_cell(t, 79, 24);
    CHECK_EQ(last->ch, 0xdb);
    CHECK_EQ(last->fg, 0xf);
    CHECK_EQ(last->bg, 0);
    CHECK(last->flags & CELL_BLINK);
    CHECK_EQ(t->cursor_x, 7);
    CHECK_EQ(t->cursor_y, 3);
    CHECK(t->cursor_visible);
    CHECK_EQ(t->cursor_start, 0x0d);
    CHECK_EQ(t->cursor_end, 0x0e);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(t->palette[i], ega(i));
    for (unsigned l = 0; l < 32; l++)
        CHECK_EQ(t->font[0]['H' * 32 + l], l < 16 ? glyph_row(0, 'H', l) : 0);

    /* one changed cell is reported as a one-cell rect; the cursor on its own */
    Rec rc;
    rec_reset(&rc);
    DisplayListener dl = { .ops = &rec_ops, .opaque = &rc };
    display_listener_register(&dl, r.s->con);
    console_update(r.s->con); /* registration invalidates: a full update */
    CHECK_EQ(rc.x0, 0);
    CHECK_EQ(rc.x1, 80);
    CHECK_EQ(rc.y1, 25);
    rec_reset(&rc);
    console_update(r.s->con);
    CHECK_EQ(rc.text_updates, 0);
    CHECK_EQ(rc.cursors, 0);
    memb(&r, 0xb8000 + 160 * 10 + 2 * 40, 'Z');
    outw(&r, 0x3d4, 0x200a); /* cursor off */
    console_update(r.s->con);
    CHECK_EQ(rc.text_updates, 1);
    CHECK_EQ(rc.x0, 40);
    CHECK_EQ(rc.y0, 10);
    CHECK_EQ(rc.x1, 41);
    CHECK_EQ(rc.y1, 11);
    CHECK_EQ(rc.cursors, 1);
    CHECK(!t->cursor_visible);
    CHECK_EQ(console_text_cell(t, 40, 10)->ch, 'Z');
    display_listener_unregister(&dl);
    rig_free(&r);
}

TEST(text_intensity_background_and_rows)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode3);
    inb(&r, 0x3da);
    outb(&r, 0x3c0, 0x10 | 0x20);
    outb(&r, 0x3c0, 0x04); /* blink off: attribute bit 7 is background intensity */
    memb(&r, 0xb8000, 'A');
    memb(&r, 0xb8001, 0xc7);
    console_update(r.s->con);
    ConsoleText *t = console_text(r.s->con);
    CHECK(t);
    CHECK_EQ(console_text_cell(t, 0, 0)->bg, 0xc);
    CHECK_EQ(console_text_cell(t, 0, 0)->fg, 0x7);
    CHECK_EQ(console_text_cell(t, 0, 0)->flags & CELL_BLINK, 0);

    /* 8-line characters on 400 lines: 50 rows; on 350 lines: 43 rows */
    outw(&r, 0x3d4, 0x4709);
    console_update(r.s->con);
    t = console_text(r.s->con);
    CHECK_EQ(t->rows, 50);
    CHECK_EQ(t->char_height, 8);
    outw(&r, 0x3d4, 0x5d12); /* vertical display end 0x15d: 350 lines */
    console_update(r.s->con);
    CHECK_EQ(console_text(r.s->con)->rows, 43);
    /* 40 columns, 8-dot characters (CR01 is write-protected by CR11 bit 7) */
    outw(&r, 0x3d4, 0x0e11);
    outw(&r, 0x3d4, 0x2701);
    outw(&r, 0x3d4, 0x1413);
    outw(&r, 0x3c4, 0x0901);
    console_update(r.s->con);
    t = console_text(r.s->con);
    CHECK_EQ(t->cols, 40);
    CHECK_EQ(t->char_width, 8);
    memb(&r, 0xb8000 + 80, 'Q'); /* row 1 starts 40 cells in */
    console_update(r.s->con);
    CHECK_EQ(console_text_cell(t, 0, 1)->ch, 'Q');
    rig_free(&r);
}

TEST(text_512_characters)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode3);
    load_ega_palette(&r);
    load_font(&r, 0, 0, 16);          /* map 0 at 0K */
    load_font(&r, 0x4000, 1, 16);     /* map 1 at 16K */
    outw(&r, 0x3c4, 0x0403);          /* map A = 0 (attr bit 3 set), map B = 1 */
    memb(&r, 0xb8000, 'x');
    memb(&r, 0xb8001, 0x07);          /* bit 3 clear: map B */
    memb(&r, 0xb8002, 'x');
    memb(&r, 0xb8003, 0x0f);          /* bit 3 set: map A */
    console_update(r.s->con);
    ConsoleText *t = console_text(r.s->con);
    CHECK(t);
    CHECK_EQ(console_text_cell(t, 0, 0)->flags & CELL_FONT1, 0);
    CHECK_EQ(console_text_cell(t, 1, 0)->flags & CELL_FONT1, CELL_FONT1);
    CHECK_EQ(t->font[0]['x' * 32 + 3], glyph_row(1, 'x', 3));
    CHECK_EQ(t->font[1]['x' * 32 + 3], glyph_row(0, 'x', 3));
    /* rendered: the two cells use different glyphs */
    DisplaySurface *d = display_surface_new(18, 16, NULL);
    CHECK(d);
    console_text_render(t, d, 0, 0, 2, 1, true, false);
    for (int l = 0; l < 16; l++) {
        for (int x = 0; x < 8; x++) {
            uint8_t b0 = glyph_row(1, 'x', (unsigned)l), b1 = glyph_row(0, 'x', (unsigned)l);
            CHECK_EQ(display_surface_row(d, l)[x] != t->palette[0], (b0 >> (7 - x)) & 1);
            CHECK_EQ(display_surface_row(d, l)[9 + x] != t->palette[0], (b1 >> (7 - x)) & 1);
        }
    }
    display_surface_free(d);
    /* with one map selected again, both fonts are the same */
    outw(&r, 0x3c4, 0x0003);
    console_update(r.s->con);
    CHECK_EQ(t->font[0]['x' * 32 + 3], glyph_row(0, 'x', 3));
    rig_free(&r);
}

TEST(text_screendump_uses_guest_font)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode3);
    load_ega_palette(&r);
    load_font(&r, 0, 0, 16);
    for (int i = 0; i < 80 * 25; i++) {
        memb(&r, 0xb8000 + 2 * i, ' ');
        memb(&r, 0xb8000 + 2 * i + 1, 0x00); /* black on black */
    }
    memb(&r, 0xb8000 + 160 + 2, 'A');
    memb(&r, 0xb8000 + 160 + 3, 0x1e);
    outw(&r, 0x3d4, 0x200a); /* no cursor */
    char path[512];
    snprintf(path, sizeof(path), "%s/text.ppm", unit_tmpdir());
    Error *err = NULL;
    CHECK(screendump_console(r.s->con, path, NULL, &err) == 0);
    FILE *f = fopen(path, "rb");
    CHECK(f);
    static uint8_t buf[720 * 400 * 3 + 64];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    const char *hdr = "P6\n720 400\n255\n";
    size_t hl = strlen(hdr);
    CHECK_EQ(n, hl + 720 * 400 * 3);
    CHECK(!memcmp(buf, hdr, hl));
    /* cell (1, 1): pixels 9..17 x 16..31 */
    for (int l = 0; l < 16; l++) {
        uint8_t bits = glyph_row(0, 'A', (unsigned)l);
        for (int x = 0; x < 9; x++) {
            unsigned on = x < 8 ? (bits >> (7 - x)) & 1 : 0; /* 'A' < 0xC0: column 9 blank */
            uint32_t want = on ? ega(0xe) : ega(0x1);
            const uint8_t *p = buf + hl + 3 * ((size_t)(16 + l) * 720 + 9 + (size_t)x);
            CHECK_EQ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2], want);
        }
    }
    /* a blank cell elsewhere is background 0 (black) */
    CHECK_EQ(buf[hl + 3 * (300 * 720 + 300)], 0);
    rig_free(&r);
}

/* ---- graphics modes -------------------------------------------------------- */

TEST(mode13h_pixels_palette_dirty)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode13);
    set_dac(&r, 1, 63, 0, 0);
    set_dac(&r, 2, 0, 42, 0);
    set_dac(&r, 200, 21, 21, 63);
    memb(&r, 0xa0000 + 0, 1);
    memb(&r, 0xa0000 + 1, 2);
    memb(&r, 0xa0000 + 199 * 320 + 319, 200);
    memb(&r, 0xa0000 + 50 * 320 + 7, 2);
    console_update(r.s->con);
    DisplaySurface *s = console_surface(r.s->con);
    CHECK(s);
    CHECK_EQ(s->width, 320);
    CHECK_EQ(s->height, 200);
    CHECK_EQ(px(&r, 0, 0), 0xff0000);
    CHECK_EQ(px(&r, 1, 0), 0x00aa00);
    CHECK_EQ(px(&r, 2, 0), 0);
    CHECK_EQ(px(&r, 319, 199), 0x5555ff);
    CHECK_EQ(px(&r, 7, 50), 0x00aa00);
    CHECK_EQ(px(&r, 6, 50), 0);
    /* chain-4 reads back what was written */
    CHECK_EQ(rdb(&r, 0xa0000 + 50 * 320 + 7), 2);

    Rec rc;
    rec_reset(&rc);
    DisplayListener dl = { .ops = &rec_ops, .opaque = &rc };
    display_listener_register(&dl, r.s->con);
    console_update(r.s->con);
    rec_reset(&rc);
    console_update(r.s->con);
    CHECK_EQ(rc.gfx_updates, 0);      /* nothing changed: nothing drawn */
    memb(&r, 0xa0000 + 120 * 320 + 100, 1);
    console_update(r.s->con);
    CHECK(rc.gfx_updates >= 1);
    CHECK(rc.y0 <= 120 && rc.y1 > 120);
    CHECK(rc.y1 - rc.y0 < 8);         /* only lines near the write */
    CHECK_EQ(px(&r, 100, 120), 0xff0000);
    /* a palette change redraws everything */
    rec_reset(&rc);
    set_dac(&r, 1, 0, 0, 63);
    console_update(r.s->con);
    CHECK_EQ(rc.y0, 0);
    CHECK_EQ(rc.y1, 200);
    CHECK_EQ(px(&r, 0, 0), 0x0000ff);
    /* the PEL mask applies to every index */
    outb(&r, 0x3c6, 0x01);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 319, 199), 0);             /* 200 & 1 = 0: DAC entry 0 */
    CHECK_EQ(px(&r, 1, 0), 0);                 /* 2 & 1 = 0 */
    CHECK_EQ(px(&r, 0, 0), 0x0000ff);          /* 1 & 1 = 1 */
    display_listener_unregister(&dl);
    rig_free(&r);
}

TEST(mode_x_unchained)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode13);
    outw(&r, 0x3c4, 0x0604);  /* chain-4 off */
    outw(&r, 0x3d4, 0x0014);  /* no doubleword */
    outw(&r, 0x3d4, 0xe317);  /* byte mode */
    for (int i = 1; i < 5; i++)
        set_dac(&r, (uint8_t)i, (uint8_t)(10 * i), 0, 0);
    /* pixel x on line y: plane x & 3, offset y * 80 + x / 4 */
    for (int p = 0; p < 4; p++) {
        outw(&r, 0x3c4, (uint16_t)((1 << (8 + p)) | 0x02));
        memb(&r, 0xa0000 + 10 * 80 + 5, (uint8_t)(p + 1));
    }
    console_update(r.s->con);
    CHECK_EQ(console_surface(r.s->con)->width, 320);
    for (int p = 0; p < 4; p++)
        CHECK_EQ(px(&r, 20 + p, 10), rgb6(10u * (unsigned)(p + 1), 0, 0));
    CHECK_EQ(px(&r, 24, 10), 0);
    /* start address scrolls by whole addresses (4 pixels) */
    outw(&r, 0x3d4, 0x010d);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 16, 10), rgb6(10, 0, 0));
    /* read map select reads one plane */
    outw(&r, 0x3ce, 0x0204);
    CHECK_EQ(rdb(&r, 0xa0000 + 10 * 80 + 5), 3);
    rig_free(&r);
}

TEST(mode12h_write_modes_read_compare)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode12);
    load_ega_palette(&r);
    uint32_t row = 0xa0000 + 100 * 80;

    /* write mode 2 with bit mask 0x80: pixel 0 gets colour 5 */
    outw(&r, 0x3ce, 0x0205);
    outw(&r, 0x3ce, 0x8008);
    (void)rdb(&r, row);
    memb(&r, row, 5);
    /* write mode 0 with set/reset on all planes, mask 0x0f: pixels 4-7 colour 10 */
    outw(&r, 0x3ce, 0x0005);
    outw(&r, 0x3ce, 0x0a00);
    outw(&r, 0x3ce, 0x0f01);
    outw(&r, 0x3ce, 0x0f08);
    (void)rdb(&r, row);
    memb(&r, row, 0x00);
    /* map mask plane 0 only, no set/reset: byte 1 all ones -> colour 1 */
    outw(&r, 0x3ce, 0x0001);
    outw(&r, 0x3ce, 0xff08);
    outw(&r, 0x3c4, 0x0102);
    memb(&r, row + 1, 0xff);
    outw(&r, 0x3c4, 0x0f02);
    console_update(r.s->con);
    DisplaySurface *s = console_surface(r.s->con);
    CHECK(s);
    CHECK_EQ(s->width, 640);
    CHECK_EQ(s->height, 480);
    CHECK_EQ(px(&r, 0, 100), ega(5));
    for (int x = 1; x < 4; x++)
        CHECK_EQ(px(&r, x, 100), ega(0));
    for (int x = 4; x < 8; x++)
        CHECK_EQ(px(&r, x, 100), ega(10));
    for (int x = 8; x < 16; x++)
        CHECK_EQ(px(&r, x, 100), ega(1));

    /* read mode 1: colour compare 0 over all planes -> pixels 1-3 */
    outw(&r, 0x3ce, 0x0805);
    outw(&r, 0x3ce, 0x0002);
    outw(&r, 0x3ce, 0x0f07);
    CHECK_EQ(rdb(&r, row), 0x70);
    outw(&r, 0x3ce, 0x0502);
    CHECK_EQ(rdb(&r, row), 0x80);
    /* don't care about planes 1 and 3: colour 10 (1010b) matches compare 0 */
    outw(&r, 0x3ce, 0x0002);
    outw(&r, 0x3ce, 0x0507);
    CHECK_EQ(rdb(&r, row), 0x7f);
    outw(&r, 0x3ce, 0x0f07);

    /* read mode 0, plane 2 of byte 0: colour 5 = 0101b has bit 2 in pixel 0 */
    outw(&r, 0x3ce, 0x0005);
    outw(&r, 0x3ce, 0x0204);
    CHECK_EQ(rdb(&r, row), 0x80);
    outw(&r, 0x3ce, 0x0004);

    /* write mode 1 copies the latches: byte 0 -> byte 3 */
    (void)rdb(&r, row);
    outw(&r, 0x3ce, 0x0105);
    memb(&r, row + 3, 0x12);
    /* XOR with rotate 4: 0x0f rotated is 0xf0, XORed into the latches of byte 4,
     * which holds colour 1 (plane 0 all ones) */
    outw(&r, 0x3ce, 0x0005);
    outw(&r, 0x3c4, 0x0102);
    memb(&r, row + 4, 0xff);
    outw(&r, 0x3c4, 0x0f02);
    outw(&r, 0x3ce, 0x1c03);
    (void)rdb(&r, row + 4);
    memb(&r, row + 4, 0x0f);
    outw(&r, 0x3ce, 0x0003);
    /* write mode 3: set/reset colour 3 through (data & bit mask) = 0x0f & 0x3c */
    outw(&r, 0x3ce, 0x0305);
    outw(&r, 0x3ce, 0x0300);
    outw(&r, 0x3ce, 0x3c08);
    (void)rdb(&r, row + 5);
    memb(&r, row + 5, 0x0f);
    console_update(r.s->con);
    for (int x = 0; x < 8; x++)
        CHECK_EQ(px(&r, 24 + x, 100), px(&r, x, 100));
    for (int x = 0; x < 8; x++)
        CHECK_EQ(px(&r, 32 + x, 100), x < 4 ? ega(14) : ega(1));
    for (int x = 0; x < 8; x++)
        CHECK_EQ(px(&r, 40 + x, 100), x >= 4 && x < 6 ? ega(3) : ega(0));

    /* colour select: AR10 bit 7 takes DAC bits 5-4 from AR14 bits 1-0,
     * AR14 bits 3-2 always give DAC bits 7-6 */
    set_dac(&r, 0x15, 1, 2, 3);   /* pixel 0 (colour 5, AR5 = 0x05) with P5-4 = 01 */
    set_dac(&r, 0x85, 4, 5, 6);   /* ... with P7-6 = 10 and P5-4 from AR5 (00) */
    inb(&r, 0x3da);
    outb(&r, 0x3c0, 0x20 | 0x10);
    outb(&r, 0x3c0, 0x81);
    outb(&r, 0x3c0, 0x20 | 0x14);
    outb(&r, 0x3c0, 0x01);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 100), rgb6(1, 2, 3));
    inb(&r, 0x3da);
    outb(&r, 0x3c0, 0x20 | 0x10);
    outb(&r, 0x3c0, 0x01);
    outb(&r, 0x3c0, 0x20 | 0x14);
    outb(&r, 0x3c0, 0x08);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 100), rgb6(4, 5, 6));
    rig_free(&r);
}

TEST(split_screen_and_pel_panning)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode12);
    load_ega_palette(&r);
    /* planar byte at address A: plane 0 = colour 1; address 0x1000: colour 1 pixels 3 and 4 */
    outw(&r, 0x3c4, 0x0102);
    memb(&r, 0xa0000, 0x80);            /* address 0: pixel 0 */
    memb(&r, 0xa0000 + 80, 0x40);       /* address 80 (row 1): pixel 1 */
    memb(&r, 0xa0000 + 0x1000, 0x18);
    outw(&r, 0x3c4, 0x0f02);
    outw(&r, 0x3d4, 0x100c);            /* start address 0x1000 */
    outw(&r, 0x3d4, 0xc818);            /* line compare 200: CR18, CR07 bit 4, CR09 bit 6 */
    outw(&r, 0x3d4, 0x2e07);
    outw(&r, 0x3d4, 0x0009);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 3, 0), ega(1));
    CHECK_EQ(px(&r, 0, 0), ega(0));
    CHECK_EQ(px(&r, 0, 199), ega(0));
    CHECK_EQ(px(&r, 0, 200), ega(1));   /* the split restarts at address 0 */
    CHECK_EQ(px(&r, 1, 201), ega(1));
    /* AR13: pan 3 pixels left; AR10 bit 5 keeps the split part unpanned */
    inb(&r, 0x3da);
    outb(&r, 0x3c0, 0x20 | 0x13);
    outb(&r, 0x3c0, 0x03);
    outb(&r, 0x3c0, 0x20 | 0x10);
    outb(&r, 0x3c0, 0x21);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 0), ega(1));
    CHECK_EQ(px(&r, 1, 0), ega(1));
    CHECK_EQ(px(&r, 2, 0), ega(0));
    CHECK_EQ(px(&r, 0, 200), ega(1));
    inb(&r, 0x3da);
    outb(&r, 0x3c0, 0x20 | 0x10);
    outb(&r, 0x3c0, 0x01);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 200), ega(0));   /* panned away */
    rig_free(&r);
}

TEST(cga_mode4_and_mode6)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode4);
    set_dac(&r, 0x13, 0, 63, 63);
    set_dac(&r, 0x15, 63, 0, 63);
    set_dac(&r, 0x17, 63, 63, 63);
    memb(&r, 0xb8000, 0x1b);           /* line 0, pixels 0-3: colours 0 1 2 3 */
    memb(&r, 0xb8001, 0xe4);           /* pixels 4-7: 3 2 1 0 */
    memb(&r, 0xba000, 0xc0);           /* line 1, pixel 0: colour 3 */
    memb(&r, 0xb8000 + 80, 0x40);      /* line 2, pixel 0: colour 1 */
    console_update(r.s->con);
    DisplaySurface *s = console_surface(r.s->con);
    CHECK(s);
    CHECK_EQ(s->width, 320);
    CHECK_EQ(s->height, 200);
    uint32_t c[4] = { 0, 0x00ffff, 0xff00ff, 0xffffff };
    for (int x = 0; x < 4; x++) {
        CHECK_EQ(px(&r, x, 0), c[x]);
        CHECK_EQ(px(&r, 4 + x, 0), c[3 - x]);
    }
    CHECK_EQ(px(&r, 0, 1), c[3]);
    CHECK_EQ(px(&r, 0, 2), c[1]);
    CHECK_EQ(px(&r, 1, 1), 0);
    /* odd/even host reads come back */
    CHECK_EQ(rdb(&r, 0xb8001), 0xe4);

    set_mode(&r, &mode6);
    set_dac(&r, 0x17, 63, 63, 63);
    memb(&r, 0xb8000, 0x81);           /* line 0: pixels 0 and 7 */
    memb(&r, 0xba000 + 79, 0x01);      /* line 1: pixel 639 */
    console_update(r.s->con);
    s = console_surface(r.s->con);
    CHECK_EQ(s->width, 640);
    CHECK_EQ(s->height, 200);
    CHECK_EQ(px(&r, 0, 0), 0xffffff);
    CHECK_EQ(px(&r, 1, 0), 0);
    CHECK_EQ(px(&r, 7, 0), 0xffffff);
    CHECK_EQ(px(&r, 639, 1), 0xffffff);
    CHECK_EQ(px(&r, 639, 0), 0);
    rig_free(&r);
}

/* ---- VBE ---------------------------------------------------------------------- */

TEST(vbe_registers)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
    vbe(&r, VBE_DISPI_INDEX_ID, VBE_DISPI_ID0 + 2);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_ID), VBE_DISPI_ID0 + 2);
    vbe(&r, VBE_DISPI_INDEX_ID, 0x1234); /* not an ID: ignored */
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_ID), VBE_DISPI_ID0 + 2);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    vbe(&r, VBE_DISPI_INDEX_XRES, 1920);
    vbe(&r, VBE_DISPI_INDEX_YRES, 1080);
    vbe(&r, VBE_DISPI_INDEX_BPP, 32);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_XRES), 1920);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_YRES), 1080);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BPP), 32);
    vbe(&r, VBE_DISPI_INDEX_BPP, 12);    /* unsupported depth: ignored */
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BPP), 32);
    vbe(&r, VBE_DISPI_INDEX_XRES, 1921); /* not a multiple of 8: ignored */
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_XRES), 1920);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_XRES), VBE_DISPI_MAX_XRES);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BPP), 32);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_XRES), 1920);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_VIRT_WIDTH), 1920);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_VIRT_HEIGHT), (16u << 20) / (1920 * 4));
    console_update(r.s->con);
    CHECK_EQ(console_surface(r.s->con)->width, 1920);
    CHECK_EQ(console_surface(r.s->con)->height, 1080);
    /* banks beyond VRAM are refused */
    vbe(&r, VBE_DISPI_INDEX_BANK, 255);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BANK), 255);
    vbe(&r, VBE_DISPI_INDEX_BANK, 256);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BANK), 255);
    /* the index port reads back; a byte read of the data port gives the low byte */
    outw(&r, VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_XRES);
    CHECK_EQ(inw(&r, VBE_DISPI_IOPORT_INDEX), VBE_DISPI_INDEX_XRES);
    CHECK_EQ(inb(&r, VBE_DISPI_IOPORT_DATA), 1920 & 0xff);
    /* the PCI BAR 2 view of the same registers */
    CHECK_EQ(memory_region_dispatch_read(r.s->mmio, 0x500 + 2 * VBE_DISPI_INDEX_XRES, 2), 1920);
    memory_region_dispatch_write(r.s->mmio, 0x500 + 2 * VBE_DISPI_INDEX_YRES, 768, 2);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_YRES), 768);
    CHECK_EQ(memory_region_dispatch_read(r.s->mmio, 0x604, 4), 0x1e1e1e1e);
    rig_free(&r);
}

TEST(vbe_lfb_32bpp_surface_and_dirty)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    memb(&r, VBE_LFB_ISA_ADDR + 4, 0x77); /* cleared by enable */
    vbe(&r, VBE_DISPI_INDEX_XRES, 640);
    vbe(&r, VBE_DISPI_INDEX_YRES, 480);
    vbe(&r, VBE_DISPI_INDEX_BPP, 32);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    CHECK_EQ(rdb(&r, VBE_LFB_ISA_ADDR + 4), 0);
    for (uint32_t x = 0; x < 640; x++)
        address_space_stl_le(r.m.as, VBE_LFB_ISA_ADDR + (10 * 640 + x) * 4, 0x00010203u * x);
    address_space_stl_le(r.m.as, VBE_LFB_ISA_ADDR + (479 * 640 + 639) * 4, 0xff123456);
    console_update(r.s->con);
    DisplaySurface *s = console_surface(r.s->con);
    CHECK(s);
    CHECK_EQ(s->width, 640);
    CHECK_EQ(s->height, 480);
    for (int x = 0; x < 640; x++)
        CHECK_EQ(px(&r, x, 10), (0x00010203u * (uint32_t)x) & 0xffffff);
    CHECK_EQ(px(&r, 639, 479), 0x123456);
    CHECK_EQ(px(&r, 0, 0), 0);

    Rec rc;
    rec_reset(&rc);
    DisplayListener dl = { .ops = &rec_ops, .opaque = &rc };
    display_listener_register(&dl, r.s->con);
    console_update(r.s->con);
    rec_reset(&rc);
    console_update(r.s->con);
    CHECK_EQ(rc.gfx_updates, 0);
    address_space_stl_le(r.m.as, VBE_LFB_ISA_ADDR + (300 * 640 + 5) * 4, 0xabcdef);
    console_update(r.s->con);
    CHECK(rc.y0 <= 300 && rc.y1 > 300 && rc.y1 - rc.y0 <= 3);
    CHECK_EQ(px(&r, 5, 300), 0xabcdef);
    /* Y offset pans the display */
    vbe(&r, VBE_DISPI_INDEX_Y_OFFSET, 10);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 1, 0), 0x010203);
    /* no-clear-mem keeps the contents across a mode change */
    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 1, 10), 0x010203);
    display_listener_unregister(&dl);
    rig_free(&r);
}

TEST(vbe_depths_and_banks)
{
    Rig r;
    CHECK(rig_init(&r, 4) == 0);
    vbe(&r, VBE_DISPI_INDEX_XRES, 640);
    vbe(&r, VBE_DISPI_INDEX_YRES, 480);
    vbe(&r, VBE_DISPI_INDEX_BPP, 16);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 0, 0xf800);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 2, 0x07e0);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 4, 0x001f);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 6, 0x8410); /* r=16 g=32 b=16 */
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 0), 0xff0000);
    CHECK_EQ(px(&r, 1, 0), 0x00ff00);
    CHECK_EQ(px(&r, 2, 0), 0x0000ff);
    CHECK_EQ(px(&r, 3, 0), 0x848284);

    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    vbe(&r, VBE_DISPI_INDEX_BPP, 15);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 0, 0x7c00);
    address_space_stw_le(r.m.as, VBE_LFB_ISA_ADDR + 2, 0x03e0);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0, 0), 0xff0000);
    CHECK_EQ(px(&r, 1, 0), 0x00ff00);

    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    vbe(&r, VBE_DISPI_INDEX_BPP, 24);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    memb(&r, VBE_LFB_ISA_ADDR + 3, 0x11); /* B */
    memb(&r, VBE_LFB_ISA_ADDR + 4, 0x22); /* G */
    memb(&r, VBE_LFB_ISA_ADDR + 5, 0x33); /* R */
    console_update(r.s->con);
    CHECK_EQ(px(&r, 1, 0), 0x332211);

    /* 8 bpp through the DAC, written through bank 1 of the 0xa0000 window */
    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    vbe(&r, VBE_DISPI_INDEX_BPP, 8);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    set_dac(&r, 9, 63, 42, 21);
    vbe(&r, VBE_DISPI_INDEX_BANK, 1);
    memb(&r, 0xa0000 + 5, 9);
    CHECK_EQ(rdb(&r, 0xa0000 + 5), 9);
    CHECK_EQ(rdb(&r, VBE_LFB_ISA_ADDR + 0x10005), 9);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0x10005 % 640, 0x10005 / 640), rgb6(63, 42, 21));
    /* 8-bit DAC: values are taken whole */
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_8BIT_DAC | VBE_DISPI_NOCLEARMEM);
    set_dac(&r, 9, 0x80, 0x81, 0x82);
    console_update(r.s->con);
    CHECK_EQ(px(&r, 0x10005 % 640, 0x10005 / 640), 0x808182);
    /* a mode that does not fit the 4 MiB of VRAM shows a blank screen, no crash */
    vbe(&r, VBE_DISPI_INDEX_ENABLE, 0);
    vbe(&r, VBE_DISPI_INDEX_XRES, 4096);
    vbe(&r, VBE_DISPI_INDEX_YRES, 4096);
    vbe(&r, VBE_DISPI_INDEX_BPP, 32);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    console_update(r.s->con);
    CHECK(console_surface(r.s->con));
    rig_free(&r);
}

TEST(vbe_4bpp_planar_banked)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode12);      /* the VGA BIOS sets up planar VGA state for 4 bpp modes */
    load_ega_palette(&r);
    vbe(&r, VBE_DISPI_INDEX_XRES, 1024);
    vbe(&r, VBE_DISPI_INDEX_YRES, 768);
    vbe(&r, VBE_DISPI_INDEX_BPP, 4);
    vbe(&r, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_BPP), 4);
    /* 128 plane bytes per line: line 512 starts in bank 1 */
    outw(&r, 0x3ce, 0x0205);    /* write mode 2 */
    outw(&r, 0x3ce, 0x8008);    /* pixel 0 of the byte */
    (void)rdb(&r, 0xa0000 + 3 * 128 + 1);
    memb(&r, 0xa0000 + 3 * 128 + 1, 9);
    vbe(&r, VBE_DISPI_INDEX_BANK, 1);
    (void)rdb(&r, 0xa0000);
    memb(&r, 0xa0000, 12);
    outw(&r, 0x3ce, 0x0005);
    outw(&r, 0x3ce, 0x0204);
    CHECK_EQ(rdb(&r, 0xa0000), 0x80); /* plane 2 of colour 12 */
    console_update(r.s->con);
    DisplaySurface *s = console_surface(r.s->con);
    CHECK(s && s->width == 1024 && s->height == 768);
    CHECK_EQ(px(&r, 8, 3), ega(9));
    CHECK_EQ(px(&r, 9, 3), ega(0));
    CHECK_EQ(px(&r, 0, 512), ega(12));
    CHECK_EQ(px(&r, 0, 511), ega(0));
    rig_free(&r);
}

/* ---- registers ------------------------------------------------------------------ */

TEST(attribute_flip_flop)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    outb(&r, 0x3c2, 0x01);          /* colour ports: status 1 at 0x3da */
    inb(&r, 0x3da);                 /* flip-flop to "index" (reset state too) */
    outb(&r, 0x3c0, 0x01);
    outb(&r, 0x3c0, 0x15);
    CHECK_EQ(inb(&r, 0x3c0), 0x01);
    CHECK_EQ(inb(&r, 0x3c1), 0x15);
    outb(&r, 0x3c0, 0x02);          /* index */
    inb(&r, 0x3da);                 /* reset: the next write is an index again */
    outb(&r, 0x3c0, 0x05);
    CHECK_EQ(inb(&r, 0x3c0), 0x05);
    outb(&r, 0x3c0, 0x2a);          /* data for register 5 */
    CHECK_EQ(inb(&r, 0x3c1), 0x2a);
    outb(&r, 0x3c0, 0x02);
    CHECK_EQ(inb(&r, 0x3c1), 0x00); /* register 2 never written */
    outb(&r, 0x3c0, 0x3f);          /* data: 6-bit palette */
    CHECK_EQ(inb(&r, 0x3c1), 0x3f);
    /* status 1 follows misc bit 0: mono at 0x3ba */
    outb(&r, 0x3c2, 0x00);
    outb(&r, 0x3c0, 0x03);          /* index (flip-flop is at index after the data write) */
    CHECK_EQ(inb(&r, 0x3da), 0xff); /* colour port inactive: no reset */
    outb(&r, 0x3c0, 0x11);
    CHECK_EQ(inb(&r, 0x3c1), 0x11);
    outb(&r, 0x3c0, 0x04);          /* index */
    inb(&r, 0x3ba);                 /* the mono status port resets it now */
    outb(&r, 0x3c0, 0x06);          /* so this is an index too */
    CHECK_EQ(inb(&r, 0x3c0), 0x06);
    rig_free(&r);
}

TEST(dac_read_write_autoincrement)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    outb(&r, 0x3c8, 0x10);
    CHECK_EQ(inb(&r, 0x3c7) & 3, 0);
    const uint8_t v[6] = { 1, 2, 3, 0x3f, 0xff, 0x40 };
    for (int i = 0; i < 6; i++)
        outb(&r, 0x3c9, v[i]);
    CHECK_EQ(inb(&r, 0x3c8), 0x12);
    outb(&r, 0x3c7, 0x10);
    CHECK_EQ(inb(&r, 0x3c7) & 3, 3);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(inb(&r, 0x3c9), v[i] & 0x3f);
    CHECK_EQ(inb(&r, 0x3c9), 0); /* entry 0x12, never written */
    /* a new read index restarts at red */
    outb(&r, 0x3c7, 0x11);
    CHECK_EQ(inb(&r, 0x3c9), 0x3f);
    /* a new write index drops a partial entry */
    outb(&r, 0x3c8, 0x20);
    outb(&r, 0x3c9, 5);
    outb(&r, 0x3c8, 0x20);
    outb(&r, 0x3c9, 7);
    outb(&r, 0x3c9, 8);
    outb(&r, 0x3c9, 9);
    outb(&r, 0x3c7, 0x20);
    CHECK_EQ(inb(&r, 0x3c9), 7);
    CHECK_EQ(inb(&r, 0x3c9), 8);
    CHECK_EQ(inb(&r, 0x3c9), 9);
    outb(&r, 0x3c6, 0x0f);
    CHECK_EQ(inb(&r, 0x3c6), 0x0f);
    rig_free(&r);
}

TEST(registers_ports_and_protect)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    outb(&r, 0x3c2, 0x67);
    CHECK_EQ(inb(&r, 0x3cc), 0x67);
    /* colour CRTC active, mono inactive */
    outw(&r, 0x3d4, 0x550c);
    CHECK_EQ(inb(&r, 0x3d4), 0x0c);
    CHECK_EQ(inb(&r, 0x3d5), 0x55);
    CHECK_EQ(inb(&r, 0x3b5), 0xff);
    outw(&r, 0x3b4, 0x660c);
    outb(&r, 0x3d4, 0x0c);
    CHECK_EQ(inb(&r, 0x3d5), 0x55);
    /* CR11 bit 7 write-protects CR0-7 except CR7 bit 4 */
    outw(&r, 0x3d4, 0x1201);
    outw(&r, 0x3d4, 0x0007);
    outw(&r, 0x3d4, 0x8011);
    outw(&r, 0x3d4, 0x3401);
    outw(&r, 0x3d4, 0xff07);
    outb(&r, 0x3d4, 0x01);
    CHECK_EQ(inb(&r, 0x3d5), 0x12);
    outb(&r, 0x3d4, 0x07);
    CHECK_EQ(inb(&r, 0x3d5), 0x10);
    /* sequencer and graphics controller read back */
    outw(&r, 0x3c4, 0x0f02);
    CHECK_EQ(inb(&r, 0x3c5), 0x0f);
    outw(&r, 0x3ce, 0xa508);
    CHECK_EQ(inb(&r, 0x3ce), 0x08);
    CHECK_EQ(inb(&r, 0x3cf), 0xa5);
    /* memory map: with b8000 selected, a0000 is not decoded */
    outw(&r, 0x3ce, 0x0e06);
    outw(&r, 0x3ce, 0xff08);        /* bit mask: all CPU bits (it was 0xa5) */
    outw(&r, 0x3c4, 0x0302);
    outw(&r, 0x3c4, 0x0204);
    memb(&r, 0xa0000, 0x42);
    memb(&r, 0xb8000, 0x43);
    CHECK_EQ(rdb(&r, 0xa0000), 0xff);
    outw(&r, 0x3ce, 0x1005);
    CHECK_EQ(rdb(&r, 0xb8000), 0x43);
    rig_free(&r);
}

TEST(retrace_bits_follow_virtual_clock)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    outb(&r, 0x3c2, 0x01);
    int seen_vr = 0, seen_no_vr = 0, seen_de = 0, seen_no_de = 0;
    for (int i = 0; i < 400; i++) {
        uint8_t st = inb(&r, 0x3da);
        CHECK_EQ(st & ~0x09, 0);
        if (st & 8) {
            seen_vr++;
            CHECK(st & 1); /* vertical retrace is blanking too */
        } else {
            seen_no_vr++;
        }
        if (st & 1) seen_de++; else seen_no_de++;
        clock_warp_virtual(97 * NS_PER_US + 3); /* steps co-prime with the timings */
    }
    CHECK(seen_vr > 0 && seen_no_vr > 0);
    CHECK(seen_de > 0 && seen_no_de > 0);
    CHECK(seen_vr < seen_no_vr);
    rig_free(&r);
}

TEST(vmstate_roundtrip_and_bad_sizes)
{
    Error *err = NULL;
    CHECK(vmstate_check_description(&vmstate_vga, &err) == 0);
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode13);
    set_dac(&r, 7, 1, 2, 3);
    vbe(&r, VBE_DISPI_INDEX_XRES, 800);
    vmstate_register("vga", 0, &vmstate_vga, r.s);
    VMStream *out = vmstate_mem_stream_new();
    CHECK(vmstate_save_all(out, &err) == 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(out, &len);
    isa_vga_class.reset(&r.d->dev);
    CHECK_EQ(inb(&r, 0x3cc), 0);
    VMStream *in = vmstate_mem_stream_open(data, len);
    CHECK(vmstate_load_all(in, &err) == 0);
    CHECK_EQ(inb(&r, 0x3cc), 0x63);
    outb(&r, 0x3c7, 7);
    CHECK_EQ(inb(&r, 0x3c9), 1);
    CHECK_EQ(vbe_rd(&r, VBE_DISPI_INDEX_XRES), 800);
    outb(&r, 0x3d4, 0x14);
    CHECK_EQ(inb(&r, 0x3d5), 0x40);
    vmstate_stream_free(in);
    vmstate_stream_free(out);
    vmstate_unregister(&vmstate_vga, r.s);
    rig_free(&r);

    Rig bad;
    CHECK(rig_init(&bad, 3) == -1);   /* not a power of two */
    free(bad.d);
    address_space_free(bad.m.as);
    ioport_space_free(bad.m.io);
    memory_region_free(bad.m.sysmem);
    CHECK(rig_init(&bad, 512) == -1);
    free(bad.d);
    address_space_free(bad.m.as);
    ioport_space_free(bad.m.io);
    memory_region_free(bad.m.sysmem);
    CHECK(rig_init(&bad, 0) == 0);    /* 0: the default */
    CHECK_EQ(bad.s->vram_size, 16u << 20);
    rig_free(&bad);
}

TEST(screendump_ppm_of_mode13h)
{
    Rig r;
    CHECK(rig_init(&r, 16) == 0);
    set_mode(&r, &mode13);
    set_dac(&r, 1, 63, 0, 0);
    memb(&r, 0xa0000 + 3 * 320 + 4, 1);
    char path[512];
    snprintf(path, sizeof(path), "%s/shot", unit_tmpdir());
    Error *err = NULL;
    CHECK(screendump_console(r.s->con, path, "ppm", &err) == 0);
    FILE *f = fopen(path, "rb");
    CHECK(f);
    static uint8_t buf[320 * 200 * 3 + 64];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    size_t hl = strlen("P6\n320 200\n255\n");
    CHECK_EQ(n, hl + 320 * 200 * 3);
    CHECK(!memcmp(buf, "P6\n320 200\n255\n", hl));
    const uint8_t *p = buf + hl + 3 * (3 * 320 + 4);
    CHECK_EQ(p[0], 0xff);
    CHECK_EQ(p[1], 0);
    CHECK_EQ(p[2], 0);
    CHECK_EQ(p[3], 0);
    /* a bad format is an error naming it */
    CHECK(screendump_console(r.s->con, path, "gif", &err) == -1);
    CHECK(err && strstr(err->msg, "gif"));
    error_free(err);
    rig_free(&r);
}
