/* ui/vc.c (the virtual console's terminal emulator) and ui/cp437.c. */
#include <string.h>
#include "tests/unit/unit.h"
#include "ui/cp437.h"
#include "ui/vc.h"

static void out(VcTerm *vc, const char *s)
{
    vc_output(vc, (const uint8_t *)s, strlen(s));
}

static char ch_at(VcTerm *vc, int x, int y)
{
    return (char)console_text_cell(console_text(vc_console(vc)), x, y)->ch;
}

TEST(cp437_table)
{
    CHECK_EQ(cp437_to_unicode[0xc9], 0x2554); /* ╔ */
    CHECK_EQ(cp437_to_unicode[0xdb], 0x2588); /* █ */
    CHECK_EQ(cp437_to_unicode[0x01], 0x263a); /* ☺ */
    CHECK_EQ(cp437_to_unicode['A'], 'A');
    CHECK_EQ(cp437_to_unicode[0xe1], 0x00df); /* ß */
    for (int i = 1; i < 256; i++)
        CHECK_EQ(cp437_from_unicode(cp437_to_unicode[i]), i == 0x20 ? 0x20 : i);
    CHECK_EQ(cp437_from_unicode(0x20ac), -1); /* € is not in CP437 */
}

TEST(text_newline_and_wrap)
{
    VcTerm *vc = vc_new("t", NULL, 10, 3);
    out(vc, "ab\r\ncd");
    CHECK_EQ(ch_at(vc, 0, 0), 'a');
    CHECK_EQ(ch_at(vc, 1, 0), 'b');
    CHECK_EQ(ch_at(vc, 0, 1), 'c');
    CHECK_EQ(ch_at(vc, 1, 1), 'd');
    out(vc, "\r\n0123456789X");          /* the 11th character wraps */
    CHECK_EQ(ch_at(vc, 9, 1), '9'); /* moved up by the scroll */
    /* the wrap scrolled: row 0 is the old row 1 */
    CHECK_EQ(ch_at(vc, 0, 0), 'c');
    CHECK_EQ(ch_at(vc, 0, 2), 'X');
    out(vc, "\bY");
    CHECK_EQ(ch_at(vc, 0, 2), 'Y');
    vc_free(vc);
}

TEST(csi_moves_erase_and_colours)
{
    VcTerm *vc = vc_new("t", NULL, 20, 5);
    ConsoleText *t = console_text(vc_console(vc));
    out(vc, "hello world");
    out(vc, "\033[1;7H\033[K");          /* row 1 col 7, erase to the end */
    CHECK_EQ(ch_at(vc, 5, 0), ' ');
    CHECK_EQ(ch_at(vc, 6, 0), ' ');
    CHECK_EQ(ch_at(vc, 4, 0), 'o');
    out(vc, "\033[3;2H\033[1;31;44mR\033[0mn");
    ConsoleCell *c = console_text_cell(t, 1, 2);
    CHECK_EQ(c->ch, 'R');
    CHECK_EQ(c->fg, 12);                  /* bold red = VGA light red */
    CHECK_EQ(c->bg, 1);                   /* ANSI blue = VGA 1 */
    CHECK_EQ(console_text_cell(t, 2, 2)->fg, 7);
    out(vc, "\033[2D\033[A!");            /* left 2, up 1 */
    CHECK_EQ(ch_at(vc, 1, 1), '!');
    out(vc, "\033[2J");
    CHECK_EQ(ch_at(vc, 0, 0), ' ');
    CHECK_EQ(ch_at(vc, 1, 2), ' ');
    vc_free(vc);
}

TEST(utf8_to_cp437)
{
    VcTerm *vc = vc_new("t", NULL, 10, 2);
    out(vc, "\xe2\x95\x94\xe2\x82\xac\xc3\xa9"); /* ╔ € é */
    CHECK_EQ((uint8_t)ch_at(vc, 0, 0), 0xc9);
    CHECK_EQ(ch_at(vc, 1, 0), '?');
    CHECK_EQ((uint8_t)ch_at(vc, 2, 0), 0x82);
    vc_free(vc);
}

static int upd_calls, upd_x, upd_y, upd_w, upd_h;

static void on_text(DisplayListener *dl, int x, int y, int w, int h)
{
    (void)dl;
    upd_calls++;
    upd_x = x, upd_y = y, upd_w = w, upd_h = h;
}

TEST(updates_reach_listeners)
{
    static const DisplayListenerOps ops = { .name = "test", .text_update = on_text };
    DisplayListener dl;
    memset(&dl, 0, sizeof(dl));
    dl.ops = &ops;
    VcTerm *vc = vc_new("t", NULL, 10, 4);
    display_listener_register(&dl, vc_console(vc));
    console_update(vc_console(vc)); /* registration invalidates: everything */
    CHECK_EQ(upd_calls, 1);
    CHECK_EQ(upd_w, 10);
    CHECK_EQ(upd_h, 4);
    out(vc, "\033[2;3Hxy");
    console_update(vc_console(vc));
    CHECK_EQ(upd_calls, 2);
    CHECK_EQ(upd_x, 2);
    CHECK_EQ(upd_y, 1);
    CHECK_EQ(upd_w, 2);
    CHECK_EQ(upd_h, 1);
    ConsoleText *t = console_text(vc_console(vc));
    CHECK_EQ(t->cursor_x, 4);
    CHECK_EQ(t->cursor_y, 1);
    console_update(vc_console(vc)); /* nothing changed: no call */
    CHECK_EQ(upd_calls, 2);
    vc_free(vc);
}
