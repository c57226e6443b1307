/* hw/ps2: the keyboard and mouse on their own, as the host side of the
 * wire sees them (no controller, no translation). */
#include "unit.h"

#include "i8042_rig.h"
#include "hw/ps2.h"
#include "ui/input.h"

static int notified;
static void on_notify(void *opaque)
{
    (void)opaque;
    notified++;
}

static int kread(PS2Kbd *k, uint8_t *buf, int max)
{
    int n = 0, b;
    while (n < max && (b = ps2_kbd_read(k)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

static int mread(PS2Mouse *m, uint8_t *buf, int max)
{
    int n = 0, b;
    while (n < max && (b = ps2_mouse_read(m)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

#define KBD_EXPECT(k, ...)                                                    \
    do {                                                                      \
        uint8_t g_[64];                                                       \
        int n_ = kread((k), g_, 64);                                          \
        CHECK_BYTES(g_, n_, __VA_ARGS__);                                     \
    } while (0)
#define KBD_NONE(k) CHECK(!ps2_kbd_pending(k))
#define MOUSE_EXPECT(m, ...)                                                  \
    do {                                                                      \
        uint8_t g_[64];                                                       \
        int n_ = mread((m), g_, 64);                                          \
        CHECK_BYTES(g_, n_, __VA_ARGS__);                                     \
    } while (0)
#define MOUSE_NONE(m) CHECK(!ps2_mouse_pending(m))

static void kbd_setup(PS2Kbd *k)
{
    rig_ns = 0;
    clock_set_icount_source(rig_now, NULL);
    notified = 0;
    ps2_kbd_init(k, on_notify, NULL);
}

static void tap(PS2Kbd *k, unsigned kc)
{
    ps2_kbd_key(k, kc, true);
    ps2_kbd_key(k, kc, false);
}

/* ---- keyboard ------------------------------------------------------------- */

TEST(kbd_reset_identify_echo)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xff);
    CHECK(notified > 0);
    KBD_EXPECT(&k, 0xfa, 0xaa);
    ps2_kbd_write(&k, 0xf2);
    KBD_EXPECT(&k, 0xfa, 0xab, 0x83);
    ps2_kbd_write(&k, 0xee);
    KBD_EXPECT(&k, 0xee);
    ps2_kbd_write(&k, 0x42);        /* not a command */
    KBD_EXPECT(&k, 0xfe);
    ps2_kbd_fini(&k);
}

TEST(kbd_scancode_set_switch_and_query)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x00);
    KBD_EXPECT(&k, 0xfa, 0xfa, 0x02);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x01);
    KBD_EXPECT(&k, 0xfa, 0xfa);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x00);
    KBD_EXPECT(&k, 0xfa, 0xfa, 0x01);
    tap(&k, KC_A);
    KBD_EXPECT(&k, 0x1e, 0x9e);
    /* set 3 is refused; the set stays 1 */
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x03);
    KBD_EXPECT(&k, 0xfa, 0xfe);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x00);
    KBD_EXPECT(&k, 0xfa, 0xfa, 0x01);
    /* reset goes back to set 2 */
    ps2_kbd_write(&k, 0xff);
    KBD_EXPECT(&k, 0xfa, 0xaa);
    tap(&k, KC_A);
    KBD_EXPECT(&k, 0x1c, 0xf0, 0x1c);
    ps2_kbd_fini(&k);
}

TEST(kbd_set2_codes)
{
    PS2Kbd k;
    kbd_setup(&k);
    tap(&k, KC_RIGHTCTRL);
    KBD_EXPECT(&k, 0xe0, 0x14, 0xe0, 0xf0, 0x14);
    tap(&k, KC_UP);
    KBD_EXPECT(&k, 0xe0, 0x75, 0xe0, 0xf0, 0x75);
    tap(&k, KC_F7);
    KBD_EXPECT(&k, 0x83, 0xf0, 0x83);
    tap(&k, KC_KPENTER);
    KBD_EXPECT(&k, 0xe0, 0x5a, 0xe0, 0xf0, 0x5a);
    /* Pause: the whole sequence on press, nothing on release */
    tap(&k, KC_PAUSE);
    KBD_EXPECT(&k, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
    /* Ctrl+Pause is Break */
    ps2_kbd_key(&k, KC_LEFTCTRL, true);
    tap(&k, KC_PAUSE);
    ps2_kbd_key(&k, KC_LEFTCTRL, false);
    KBD_EXPECT(&k, 0x14, 0xe0, 0x7e, 0xe0, 0xf0, 0x7e, 0xf0, 0x14);
    /* Print Screen alone, with Shift, and Alt+SysRq */
    tap(&k, KC_SYSRQ);
    KBD_EXPECT(&k, 0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
    ps2_kbd_key(&k, KC_LEFTSHIFT, true);
    tap(&k, KC_SYSRQ);
    ps2_kbd_key(&k, KC_LEFTSHIFT, false);
    KBD_EXPECT(&k, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xf0, 0x12);
    ps2_kbd_key(&k, KC_LEFTALT, true);
    tap(&k, KC_SYSRQ);
    ps2_kbd_key(&k, KC_LEFTALT, false);
    KBD_EXPECT(&k, 0x11, 0x84, 0xf0, 0x84, 0xf0, 0x11);
    ps2_kbd_fini(&k);
}

TEST(kbd_set1_codes)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x01);
    KBD_EXPECT(&k, 0xfa, 0xfa);
    tap(&k, KC_RIGHTCTRL);
    KBD_EXPECT(&k, 0xe0, 0x1d, 0xe0, 0x9d);
    tap(&k, KC_LEFT);
    KBD_EXPECT(&k, 0xe0, 0x4b, 0xe0, 0xcb);
    tap(&k, KC_PAUSE);
    KBD_EXPECT(&k, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    tap(&k, KC_SYSRQ);
    KBD_EXPECT(&k, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    ps2_kbd_key(&k, KC_RIGHTALT, true);
    tap(&k, KC_SYSRQ);
    KBD_EXPECT(&k, 0xe0, 0x38, 0x54, 0xd4);
    ps2_kbd_fini(&k);
}

TEST(kbd_leds)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xed);
    KBD_EXPECT(&k, 0xfa);
    ps2_kbd_write(&k, INPUT_LED_NUM | INPUT_LED_CAPS);
    KBD_EXPECT(&k, 0xfa);
    CHECK_EQ(k.leds, 6);
    CHECK_EQ(input_get_leds(), 6);
    /* a command in place of the argument is taken as a command */
    ps2_kbd_write(&k, 0xed);
    ps2_kbd_write(&k, 0xf2);
    KBD_EXPECT(&k, 0xfa, 0xfa, 0xab, 0x83);
    CHECK_EQ(k.leds, 6);
    ps2_kbd_write(&k, 0xff);
    KBD_EXPECT(&k, 0xfa, 0xaa);
    CHECK_EQ(input_get_leds(), 0);
    ps2_kbd_fini(&k);
}

TEST(kbd_typematic_default_timing)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_key(&k, KC_A, true);
    KBD_EXPECT(&k, 0x1c);
    /* default 0x2b: 500 ms delay, then every (8+3)*2/240 s = 91.67 ms */
    rig_run_to(499 * NS_PER_MS);
    KBD_NONE(&k);
    rig_run_to(500 * NS_PER_MS);
    KBD_EXPECT(&k, 0x1c);
    int64_t period = 22 * NS_PER_SEC / 240;
    rig_run_to(500 * NS_PER_MS + period - 1);
    KBD_NONE(&k);
    rig_run_to(500 * NS_PER_MS + period);
    KBD_EXPECT(&k, 0x1c);
    rig_run_to(500 * NS_PER_MS + 3 * period);
    KBD_EXPECT(&k, 0x1c, 0x1c);
    ps2_kbd_key(&k, KC_A, false);
    KBD_EXPECT(&k, 0xf0, 0x1c);
    rig_run_to(5 * NS_PER_SEC);
    KBD_NONE(&k);
    ps2_kbd_fini(&k);
}

TEST(kbd_typematic_rate_and_last_key)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xf3);
    ps2_kbd_write(&k, 0x00);            /* 250 ms, 30 cps */
    KBD_EXPECT(&k, 0xfa, 0xfa);
    ps2_kbd_key(&k, KC_A, true);
    ps2_kbd_key(&k, KC_B, true);        /* B takes over the repeat */
    KBD_EXPECT(&k, 0x1c, 0x32);
    rig_run_to(250 * NS_PER_MS);
    KBD_EXPECT(&k, 0x32);
    /* 8/240 s per repeat: 9 more by 250 ms + 300 ms */
    rig_run_to(550 * NS_PER_MS);
    uint8_t buf[32];
    int n = kread(&k, buf, 32);
    CHECK_EQ(n, 9);
    for (int i = 0; i < n; i++)
        CHECK_EQ(buf[i], 0x32);
    /* releasing A (not repeating) does not stop B */
    ps2_kbd_key(&k, KC_A, false);
    KBD_EXPECT(&k, 0xf0, 0x1c);
    rig_run_to(550 * NS_PER_MS + 34 * NS_PER_MS);
    KBD_EXPECT(&k, 0x32);
    ps2_kbd_key(&k, KC_B, false);
    KBD_EXPECT(&k, 0xf0, 0x32);
    rig_run_to(2 * NS_PER_SEC);
    KBD_NONE(&k);
    /* 0x7f: 1 s delay, (8+7)*8/240 = 500 ms */
    ps2_kbd_write(&k, 0xf3);
    ps2_kbd_write(&k, 0x7f);
    KBD_EXPECT(&k, 0xfa, 0xfa);
    ps2_kbd_key(&k, KC_C, true);
    KBD_EXPECT(&k, 0x21);
    rig_run_to(2 * NS_PER_SEC + 999 * NS_PER_MS);
    KBD_NONE(&k);
    rig_run_to(3 * NS_PER_SEC);
    KBD_EXPECT(&k, 0x21);
    rig_run_to(3 * NS_PER_SEC + 499 * NS_PER_MS);
    KBD_NONE(&k);
    rig_run_to(3 * NS_PER_SEC + 500 * NS_PER_MS);
    KBD_EXPECT(&k, 0x21);
    ps2_kbd_fini(&k);
}

TEST(kbd_enable_disable_defaults)
{
    PS2Kbd k;
    kbd_setup(&k);
    ps2_kbd_write(&k, 0xf3);
    ps2_kbd_write(&k, 0x00);
    KBD_EXPECT(&k, 0xfa, 0xfa);
    tap(&k, KC_A);
    ps2_kbd_write(&k, 0xf5);            /* defaults, scanning off, buffer cleared */
    KBD_EXPECT(&k, 0xfa);
    CHECK_EQ(k.typematic, 0x2b);
    tap(&k, KC_A);
    KBD_NONE(&k);
    ps2_kbd_write(&k, 0xf4);
    KBD_EXPECT(&k, 0xfa);
    tap(&k, KC_A);
    KBD_EXPECT(&k, 0x1c, 0xf0, 0x1c);
    /* F4 clears the buffer */
    tap(&k, KC_A);
    ps2_kbd_write(&k, 0xf4);
    KBD_EXPECT(&k, 0xfa);
    ps2_kbd_write(&k, 0xf6);
    KBD_EXPECT(&k, 0xfa);
    tap(&k, KC_A);
    KBD_EXPECT(&k, 0x1c, 0xf0, 0x1c);
    /* Resend repeats the last byte the host took */
    ps2_kbd_write(&k, 0xfe);
    KBD_EXPECT(&k, 0x1c);
    ps2_kbd_fini(&k);
}

TEST(kbd_overrun)
{
    PS2Kbd k;
    kbd_setup(&k);
    static const unsigned keys[] = { KC_Q, KC_W, KC_E, KC_R, KC_T, KC_Y, KC_U, KC_I, KC_O,
                                     KC_P, KC_A, KC_S, KC_D, KC_F, KC_G, KC_H, KC_J, KC_K };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(keys); i++)
        ps2_kbd_key(&k, keys[i], true);
    /* 15 codes, then the set 2 overrun code, then nothing */
    KBD_EXPECT(&k, 0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x1c,
               0x1b, 0x23, 0x2b, 0x34, 0x00);
    /* a multi-byte sequence is never cut */
    for (int i = 0; i < 7; i++)
        tap(&k, KC_A);                  /* 21 bytes: 5 whole taps */
    uint8_t buf[32];
    int n = kread(&k, buf, 32);
    CHECK_EQ(n, 16);
    CHECK_EQ(buf[14], 0x1c);
    CHECK_EQ(buf[15], 0x00);
    /* set 1 overruns with 0xff */
    ps2_kbd_write(&k, 0xf0);
    ps2_kbd_write(&k, 0x01);
    KBD_EXPECT(&k, 0xfa, 0xfa);
    for (int i = 0; i < 20; i++)
        ps2_kbd_key(&k, KC_Z, true);
    n = kread(&k, buf, 32);
    CHECK_EQ(n, 16);
    CHECK_EQ(buf[0], 0x2c);
    CHECK_EQ(buf[15], 0xff);
    ps2_kbd_fini(&k);
}

/* ---- mouse ---------------------------------------------------------------- */

static void mouse_setup(PS2Mouse *m)
{
    notified = 0;
    ps2_mouse_init(m, on_notify, NULL);
}

static void mcmd(PS2Mouse *m, uint8_t c)
{
    ps2_mouse_write(m, c);
}

static void set_rate(PS2Mouse *m, uint8_t r)
{
    mcmd(m, 0xf3);
    mcmd(m, r);
}

TEST(mouse_reset_id_status)
{
    PS2Mouse m;
    mouse_setup(&m);
    mcmd(&m, 0xff);
    CHECK(notified > 0);
    MOUSE_EXPECT(&m, 0xfa, 0xaa, 0x00);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0x00);
    mcmd(&m, 0xe9);
    MOUSE_EXPECT(&m, 0xfa, 0x00, 0x02, 100);
    mcmd(&m, 0xe8);
    mcmd(&m, 0x03);
    set_rate(&m, 40);
    mcmd(&m, 0xe7);
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa);
    ps2_mouse_event(&m, 0, 0, 0, INPUT_BUTTON_LEFT | INPUT_BUTTON_RIGHT);
    MOUSE_EXPECT(&m, 0x0b, 0x00, 0x00);
    mcmd(&m, 0xe9);
    MOUSE_EXPECT(&m, 0xfa, 0x20 | 0x10 | 0x04 | 0x01, 0x03, 40);
    /* bad arguments are refused */
    mcmd(&m, 0xe8);
    mcmd(&m, 0x04);
    set_rate(&m, 33);
    MOUSE_EXPECT(&m, 0xfa, 0xfe, 0xfa, 0xfe);
    mcmd(&m, 0xf6);                 /* defaults: stream, disabled, 100/s, res 2 */
    mcmd(&m, 0xe9);
    MOUSE_EXPECT(&m, 0xfa, 0xfa, 0x05, 0x02, 100);
    ps2_mouse_fini(&m);
}

TEST(mouse_packets_signs_and_split)
{
    PS2Mouse m;
    mouse_setup(&m);
    ps2_mouse_event(&m, 10, 10, 0, 0);  /* reporting disabled: nothing */
    MOUSE_NONE(&m);
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa);
    /* screen +dy is down; PS/2 +y is up */
    ps2_mouse_event(&m, -5, 3, 0, 0);
    MOUSE_EXPECT(&m, 0x38, 0xfb, 0xfd);
    ps2_mouse_event(&m, 7, -2, 0, INPUT_BUTTON_MIDDLE);
    MOUSE_EXPECT(&m, 0x0c, 0x07, 0x02);
    ps2_mouse_event(&m, 0, 0, 0, 0);    /* button release alone is a packet */
    MOUSE_EXPECT(&m, 0x08, 0x00, 0x00);
    /* a move larger than a packet goes out in pieces, without overflow */
    ps2_mouse_event(&m, 600, -300, 0, 0);
    MOUSE_EXPECT(&m, 0x08, 0xff, 0xff, 0x08, 0xff, 0x2d, 0x08, 0x5a, 0x00);
    ps2_mouse_event(&m, -600, 0, 0, 0);
    MOUSE_EXPECT(&m, 0x18, 0x00, 0x00, 0x18, 0x00, 0x00, 0x18, 0xa8, 0x00);
    /* a plain mouse ignores the wheel */
    ps2_mouse_event(&m, 0, 0, 3, 0);
    MOUSE_NONE(&m);
    ps2_mouse_fini(&m);
}

TEST(mouse_full_buffer_holds_motion)
{
    PS2Mouse m;
    mouse_setup(&m);
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa);
    for (int i = 0; i < 10; i++)
        ps2_mouse_event(&m, 1, 0, 0, 0);
    /* five packets fit in 16 bytes; the rest waits in the counters */
    CHECK_EQ(m.q.count, 15);
    CHECK_EQ(m.dx, 5);
    uint8_t buf[64];
    int n = mread(&m, buf, 64);
    /* reading to empty lets the held motion out as one packet */
    CHECK_EQ(n, 18);
    CHECK_BYTES(buf + 15, 3, 0x08, 0x05, 0x00);
    ps2_mouse_fini(&m);
}

TEST(mouse_scaling_2to1)
{
    PS2Mouse m;
    mouse_setup(&m);
    mcmd(&m, 0xe7);
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa, 0xfa);
    static const int in[] = { 1, 2, 3, 4, 5, 6, -5 };
    static const uint8_t out[] = { 1, 1, 3, 6, 9, 12, (uint8_t)-9 };
    for (int i = 0; i < 7; i++) {
        ps2_mouse_event(&m, in[i], 0, 0, 0);
        uint8_t buf[4];
        CHECK_EQ(mread(&m, buf, 4), 3);
        CHECK_EQ(buf[1], out[i]);
    }
    mcmd(&m, 0xe6);
    MOUSE_EXPECT(&m, 0xfa);
    ps2_mouse_event(&m, 5, 0, 0, 0);
    MOUSE_EXPECT(&m, 0x08, 0x05, 0x00);
    ps2_mouse_fini(&m);
}

TEST(mouse_intellimouse_knocks)
{
    PS2Mouse m;
    mouse_setup(&m);
    /* the Explorer knock alone does nothing on a plain mouse */
    set_rate(&m, 200);
    set_rate(&m, 200);
    set_rate(&m, 80);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x00);
    set_rate(&m, 200);
    set_rate(&m, 100);
    set_rate(&m, 80);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03);
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa);
    /* wheel one notch up (away) = Z -1; down = +1; 4-byte packets */
    ps2_mouse_event(&m, 1, 0, 1, 0);
    MOUSE_EXPECT(&m, 0x08, 0x01, 0x00, 0xff);
    ps2_mouse_event(&m, 0, 0, -2, INPUT_BUTTON_LEFT);
    MOUSE_EXPECT(&m, 0x09, 0x00, 0x00, 0x02);
    /* a fast spin is split in -8..7 pieces */
    ps2_mouse_event(&m, 0, 0, -10, INPUT_BUTTON_LEFT);
    MOUSE_EXPECT(&m, 0x09, 0x00, 0x00, 0x07, 0x09, 0x00, 0x00, 0x03);
    /* then the Explorer knock: ID 4, buttons 4/5 in byte 3 */
    set_rate(&m, 200);
    set_rate(&m, 200);
    set_rate(&m, 80);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x04);
    ps2_mouse_event(&m, 0, 0, 1, INPUT_BUTTON_SIDE | INPUT_BUTTON_EXTRA);
    MOUSE_EXPECT(&m, 0x08, 0x00, 0x00, 0x3f);
    ps2_mouse_event(&m, 0, 0, -3, INPUT_BUTTON_EXTRA);
    MOUSE_EXPECT(&m, 0x08, 0x00, 0x00, 0x23);
    /* reset returns to a plain PS/2 mouse */
    mcmd(&m, 0xff);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0xaa, 0x00, 0xfa, 0x00);
    ps2_mouse_fini(&m);
}

TEST(mouse_remote_mode_and_overflow)
{
    PS2Mouse m;
    mouse_setup(&m);
    mcmd(&m, 0xf0);
    MOUSE_EXPECT(&m, 0xfa);
    ps2_mouse_event(&m, 300, -20, 0, INPUT_BUTTON_RIGHT);
    MOUSE_NONE(&m);                 /* remote mode: only on request */
    mcmd(&m, 0xeb);
    MOUSE_EXPECT(&m, 0xfa, 0x48 | 0x02, 0xff, 0x14);
    mcmd(&m, 0xeb);                 /* counters were cleared by the read */
    MOUSE_EXPECT(&m, 0xfa, 0x0a, 0x00, 0x00);
    ps2_mouse_event(&m, -400, 400, 0, 0);
    mcmd(&m, 0xeb);
    MOUSE_EXPECT(&m, 0xfa, 0xf8, 0x00, 0x00);
    mcmd(&m, 0xe9);
    MOUSE_EXPECT(&m, 0xfa, 0x40, 0x02, 100);
    mcmd(&m, 0xea);                 /* back to stream */
    mcmd(&m, 0xf4);
    MOUSE_EXPECT(&m, 0xfa, 0xfa);
    ps2_mouse_event(&m, 1, 0, 0, 0);
    MOUSE_EXPECT(&m, 0x08, 0x01, 0x00);
    ps2_mouse_fini(&m);
}

TEST(mouse_wrap_mode_and_resend)
{
    PS2Mouse m;
    mouse_setup(&m);
    mcmd(&m, 0xee);
    MOUSE_EXPECT(&m, 0xfa);
    mcmd(&m, 0x12);
    mcmd(&m, 0xf2);                 /* echoed, not executed */
    MOUSE_EXPECT(&m, 0x12, 0xf2);
    mcmd(&m, 0xec);
    MOUSE_EXPECT(&m, 0xfa);
    mcmd(&m, 0xf2);
    MOUSE_EXPECT(&m, 0xfa, 0x00);
    mcmd(&m, 0xfe);
    MOUSE_EXPECT(&m, 0x00);
    mcmd(&m, 0x42);
    MOUSE_EXPECT(&m, 0xfe);
    ps2_mouse_fini(&m);
}

TEST(vmstate_descriptions_are_valid)
{
    Error *err = NULL;
    CHECK_EQ(vmstate_check_description(&ps2_kbd_vmstate, &err), 0);
    CHECK_EQ(vmstate_check_description(&ps2_mouse_vmstate, &err), 0);
}
