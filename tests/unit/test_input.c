/* ui/input and ui/keymap: routing to the active device, the key tables,
 * and the monitor's sendkey down to the bytes the guest reads. */
#include "unit.h"

#include "i8042_rig.h"
#include "ui/input.h"
#include "ui/keymap.h"

typedef struct Log {
    int n;
    unsigned key[32];
    bool down[32];
    int dx, dy, dz;
    unsigned buttons;
    int moves;
} Log;

static void log_key(void *opaque, unsigned keycode, bool down)
{
    Log *l = opaque;
    if (l->n < 32) {
        l->key[l->n] = keycode;
        l->down[l->n] = down;
        l->n++;
    }
}

static void log_ptr(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    Log *l = opaque;
    l->dx += dx;
    l->dy += dy;
    l->dz += dz;
    l->buttons = buttons;
    l->moves++;
}

TEST(keycodes_are_linux_input_codes)
{
    CHECK_EQ(KC_ESC, 1);
    CHECK_EQ(KC_A, 30);
    CHECK_EQ(KC_RIGHTCTRL, 97);
    CHECK_EQ(KC_SYSRQ, 99);
    CHECK_EQ(KC_UP, 103);
    CHECK_EQ(KC_DELETE, 111);
    CHECK_EQ(KC_PAUSE, 119);
    CHECK_EQ(KC_LEFTMETA, 125);
    CHECK_EQ(KC_F11, 87);
    CHECK_EQ(KC_KPENTER, 96);
}

TEST(scan_code_tables)
{
    CHECK_EQ(keymap_to_set1(KC_A), 0x1e);
    CHECK_EQ(keymap_to_set2(KC_A), 0x1c);
    CHECK_EQ(keymap_to_set1(KC_RIGHTALT), 0xe038);
    CHECK_EQ(keymap_to_set2(KC_RIGHTALT), 0xe011);
    CHECK_EQ(keymap_to_set2(KC_F7), 0x83);
    CHECK_EQ(keymap_to_set1(KC_KPSLASH), 0xe035);
    CHECK_EQ(keymap_to_set1(84), 0);        /* no such key */
    CHECK_EQ(keymap_to_set1(5000), 0);
    CHECK_EQ(keymap_from_set1(0x1e), KC_A);
    CHECK_EQ(keymap_from_set1(0xe053), KC_DELETE);
    CHECK_EQ(keymap_from_set2(0xe071), KC_DELETE);
    CHECK_EQ(keymap_from_set2(0x71), KC_KPDOT);
    CHECK_EQ(keymap_from_set1(0x80), -1);
    /* no two keys share a code in either set */
    for (unsigned a = 1; a < INPUT_KEYCODE_MAX; a++) {
        if (!keymap_to_set1(a))
            continue;
        CHECK_EQ(keymap_from_set1(keymap_to_set1(a)), a);
        CHECK_EQ(keymap_from_set2(keymap_to_set2(a)), a);
        CHECK(keymap_name(a) != NULL);
        CHECK_EQ(keymap_from_name(keymap_name(a)), a);
    }
}

TEST(sendkey_names)
{
    CHECK_EQ(keymap_from_name("ctrl"), KC_LEFTCTRL);
    CHECK_EQ(keymap_from_name("ctrl_r"), KC_RIGHTCTRL);
    CHECK_EQ(keymap_from_name("alt"), KC_LEFTALT);
    CHECK_EQ(keymap_from_name("altgr"), KC_RIGHTALT);
    CHECK_EQ(keymap_from_name("delete"), KC_DELETE);
    CHECK_EQ(keymap_from_name("f1"), KC_F1);
    CHECK_EQ(keymap_from_name("F12"), KC_F12);
    CHECK_EQ(keymap_from_name("kp_enter"), KC_KPENTER);
    CHECK_EQ(keymap_from_name("ret"), KC_ENTER);
    CHECK_EQ(keymap_from_name("spc"), KC_SPACE);
    CHECK_EQ(keymap_from_name("print"), KC_SYSRQ);
    CHECK_EQ(keymap_from_name("sysrq"), KC_SYSRQ);
    CHECK_EQ(keymap_from_name("meta_l"), KC_LEFTMETA);
    CHECK_EQ(keymap_from_name("asterisk"), KC_KPASTERISK);
    CHECK_EQ(keymap_from_name("less"), KC_102ND);
    CHECK_EQ(keymap_from_name("0x1e"), KC_A);
    CHECK_EQ(keymap_from_name("0xe01d"), KC_RIGHTCTRL);
    CHECK_EQ(keymap_from_name("0x"), -1);
    CHECK_EQ(keymap_from_name("0x1g"), -1);
    CHECK_EQ(keymap_from_name("0x123456"), -1);
    CHECK_EQ(keymap_from_name("nosuchkey"), -1);
    CHECK_EQ(keymap_from_name(""), -1);
    CHECK_EQ(keymap_from_name(NULL), -1);
    CHECK_STR(keymap_name(KC_KPENTER), "kp_enter");
    CHECK_STR(keymap_name(KC_GRAVE), "grave_accent");
    CHECK(keymap_name(0) == NULL);
}

TEST(terminal_chars)
{
    unsigned m = 99;
    CHECK_EQ(keymap_from_char('a', &m), KC_A);
    CHECK_EQ(m, 0);
    CHECK_EQ(keymap_from_char('A', &m), KC_A);
    CHECK_EQ(m, KEYMAP_MOD_SHIFT);
    CHECK_EQ(keymap_from_char('!', &m), KC_1);
    CHECK_EQ(m, KEYMAP_MOD_SHIFT);
    CHECK_EQ(keymap_from_char('~', &m), KC_GRAVE);
    CHECK_EQ(m, KEYMAP_MOD_SHIFT);
    CHECK_EQ(keymap_from_char('/', &m), KC_SLASH);
    CHECK_EQ(m, 0);
    CHECK_EQ(keymap_from_char(' ', &m), KC_SPACE);
    CHECK_EQ(keymap_from_char('\r', &m), KC_ENTER);
    CHECK_EQ(keymap_from_char('\n', &m), KC_ENTER);
    CHECK_EQ(keymap_from_char(0x7f, &m), KC_BACKSPACE);
    CHECK_EQ(m, 0);
    CHECK_EQ(keymap_from_char(0x1b, &m), KC_ESC);
    CHECK_EQ(keymap_from_char(0x03, &m), KC_C);   /* Ctrl-C */
    CHECK_EQ(m, KEYMAP_MOD_CTRL);
    CHECK_EQ(keymap_from_char(0x1f, &m), KC_MINUS);
    CHECK_EQ(m, KEYMAP_MOD_CTRL | KEYMAP_MOD_SHIFT);
    CHECK_EQ(keymap_from_char(0x80, &m), -1);
    CHECK_EQ(keymap_from_char(-1, &m), -1);
    /* every printable character has a key */
    for (int c = 0x20; c < 0x7f; c++)
        CHECK(keymap_from_char(c, NULL) > 0);
}

TEST(routing_to_the_active_device)
{
    Log a = { 0 }, b = { 0 }, p = { 0 };
    input_key_event(KC_A, true);        /* nobody listening: dropped */
    InputHandler *ha = input_register_keyboard("a", log_key, &a);
    InputHandler *hp = input_register_pointer("p", log_ptr, &p);
    input_key_event(KC_A, true);
    CHECK_EQ(a.n, 1);
    InputHandler *hb = input_register_keyboard("b", log_key, &b);
    CHECK_STR(input_handler_name(hb), "b");
    input_key_event(KC_B, true);        /* the newest keyboard */
    CHECK_EQ(b.n, 1);
    CHECK_EQ(b.key[0], KC_B);
    CHECK_EQ(a.n, 1);
    input_handler_activate(ha);
    input_key_event(KC_C, false);
    CHECK_EQ(a.n, 2);
    CHECK_EQ(a.key[1], KC_C);
    CHECK_EQ(a.down[1], false);
    input_unregister(ha);
    input_key_event(KC_D, true);        /* back to b */
    CHECK_EQ(b.n, 2);
    input_key_event(INPUT_KEYCODE_MAX, true);
    CHECK_EQ(b.n, 2);
    /* pointer events skip keyboards and vice versa */
    input_pointer_event(3, -4, 1, INPUT_BUTTON_MIDDLE);
    CHECK_EQ(p.moves, 1);
    CHECK_EQ(p.dx, 3);
    CHECK_EQ(p.dy, -4);
    CHECK_EQ(p.dz, 1);
    CHECK_EQ(p.buttons, INPUT_BUTTON_MIDDLE);
    CHECK_EQ(input_pointer_buttons(), INPUT_BUTTON_MIDDLE);
    CHECK_EQ(b.n, 2);
    input_unregister(hp);
    input_pointer_event(1, 1, 0, 0);
    CHECK_EQ(p.moves, 1);
    input_unregister(hb);
    input_unregister(NULL);
    input_set_leds(INPUT_LED_CAPS);
    CHECK_EQ(input_get_leds(), INPUT_LED_CAPS);
}

TEST(sendkey_combo_order_and_hold)
{
    Log l = { 0 };
    rig_ns = 0;
    clock_set_icount_source(rig_now, NULL);
    InputHandler *h = input_register_keyboard("log", log_key, &l);
    Error *err = NULL;
    CHECK_EQ(input_send_key_combo("ctrl-alt-delete", 100, &err), 0);
    CHECK_EQ(l.n, 3);
    CHECK_EQ(l.key[0], KC_LEFTCTRL);
    CHECK_EQ(l.key[1], KC_LEFTALT);
    CHECK_EQ(l.key[2], KC_DELETE);
    rig_run_to(99 * NS_PER_MS);
    CHECK_EQ(l.n, 3);
    rig_run_to(100 * NS_PER_MS);
    CHECK_EQ(l.n, 6);
    CHECK_EQ(l.key[3], KC_DELETE);
    CHECK_EQ(l.key[5], KC_LEFTCTRL);
    CHECK(!l.down[3] && !l.down[4] && !l.down[5]);
    /* a new combo releases one still held first */
    CHECK_EQ(input_send_key_combo("shift-a", 100, &err), 0);
    CHECK_EQ(input_send_key_combo("f1", 0, &err), 0);
    CHECK_EQ(l.n, 8 + 2 + 2);
    CHECK_EQ(l.key[8], KC_A);
    CHECK(!l.down[8]);
    CHECK_EQ(l.key[9], KC_LEFTSHIFT);
    CHECK_EQ(l.key[10], KC_F1);
    CHECK(l.down[10] && !l.down[11]);
    rig_run_to(NS_PER_SEC);
    CHECK_EQ(l.n, 12);                  /* the old timer is gone */
    /* errors press nothing */
    CHECK_EQ(input_send_key_combo("ctrl-nosuch", 100, &err), -1);
    CHECK(err && strstr(err->msg, "nosuch"));
    error_free(err);
    err = NULL;
    CHECK_EQ(input_send_key_combo("ctrl--a", 100, &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(input_send_key_combo("", 100, &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(input_send_key_combo("a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a", 100, &err), -1);
    error_free(err);
    CHECK_EQ(l.n, 12);
    input_unregister(h);
}

/* The monitor's "sendkey ctrl-alt-delete" as a translated BIOS sees it. */
TEST(sendkey_ctrl_alt_delete_bytes)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_XLATE | I8042_CTR_SYS);
    Error *err = NULL;
    CHECK_EQ(input_send_key_combo("ctrl-alt-delete", 100, &err), 0);
    EXPECT_BYTES(&r, 0x1d, 0x38, 0xe0, 0x53);
    rig_run_to(100 * NS_PER_MS);
    EXPECT_BYTES(&r, 0xe0, 0xd3, 0xb8, 0x9d);
    /* and in set 2 without translation */
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_SYS);
    CHECK_EQ(input_send_key_combo("ctrl-alt-delete", 0, &err), 0);
    EXPECT_BYTES(&r, 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14);
    /* the guest keyboard's LEDs reach the UI */
    rig_data(&r, 0xed);
    rig_data(&r, INPUT_LED_NUM);
    EXPECT_BYTES(&r, 0xfa, 0xfa);
    CHECK_EQ(input_get_leds(), INPUT_LED_NUM);
}
