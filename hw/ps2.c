/* PS/2 keyboard and mouse. See hw/ps2.h. */
#include "hw/ps2.h"

#include <string.h>
#include "src/log.h"
#include "src/timer.h"
#include "ui/keymap.h"

/* ---- byte queue ----------------------------------------------------------- */

static void queue_clear(PS2Queue *q)
{
    q->rptr = q->count = 0;
}

static void queue_push(PS2Queue *q, uint8_t b)
{
    if (q->count >= PS2_QUEUE_CAP)
        return;     /* cannot happen: responses are a few bytes past SIZE */
    q->data[(q->rptr + q->count) % PS2_QUEUE_CAP] = b;
    q->count++;
}

static int queue_pop(PS2Queue *q)
{
    if (!q->count)
        return -1;
    uint8_t b = q->data[q->rptr];
    q->rptr = (uint8_t)((q->rptr + 1) % PS2_QUEUE_CAP);
    q->count--;
    return b;
}

static int queue_post_load(PS2Queue *q)
{
    if (q->rptr >= PS2_QUEUE_CAP || q->count > PS2_QUEUE_CAP) {
        queue_clear(q);
        return -1;
    }
    return 0;
}

/* ---- keyboard ------------------------------------------------------------- */

/* Keyboard commands (host -> keyboard). */
enum {
    KBD_CMD_SET_LEDS = 0xed, KBD_CMD_ECHO = 0xee, KBD_CMD_SCANCODE = 0xf0,
    KBD_CMD_IDENTIFY = 0xf2, KBD_CMD_TYPEMATIC = 0xf3, KBD_CMD_ENABLE = 0xf4,
    KBD_CMD_DISABLE = 0xf5, KBD_CMD_DEFAULTS = 0xf6,
    /* 0xf7-0xfd: set 3 key type commands */
    KBD_CMD_SET3_FIRST = 0xf7, KBD_CMD_SET3_KEYS = 0xfb, KBD_CMD_SET3_LAST = 0xfd,
    KBD_CMD_RESEND = 0xfe, KBD_CMD_RESET = 0xff,
};

#define KBD_TYPEMATIC_DEFAULT 0x2b   /* 10.9 characters/s after 500 ms */

static bool key_is_down(const PS2Kbd *k, unsigned kc)
{
    return kc < INPUT_KEYCODE_MAX && (k->down[kc / 8] >> (kc % 8) & 1);
}

/* Typematic delay: (bits 6-5 + 1) * 250 ms. */
static int64_t kbd_delay_ns(const PS2Kbd *k)
{
    return (((k->typematic >> 5) & 3) + 1) * 250 * NS_PER_MS;
}

/* Typematic period: (8 + A) * 2^B / 240 s, A = bits 2-0, B = bits 4-3
 * (30 characters/s for 0x00 down to 2 for 0x1f). */
static int64_t kbd_period_ns(const PS2Kbd *k)
{
    int a = k->typematic & 7, b = (k->typematic >> 3) & 3;
    return (int64_t)((8 + a) << b) * NS_PER_SEC / 240;
}

static void kbd_notify(PS2Kbd *k)
{
    if (k->q.count && k->notify)
        k->notify(k->opaque);
}

/*
 * Queue the bytes of one key event. A sequence goes in whole or not at
 * all: when it does not fit in the 16-byte buffer, the last free slot
 * gets the overrun code (0xff in set 1, 0x00 in set 2) and later events
 * are lost until the host reads.
 */
static void kbd_put_seq(PS2Kbd *k, const uint8_t *b, int n)
{
    uint8_t overrun = k->scancode_set == 1 ? 0xff : 0x00;
    if (k->q.count + n > PS2_QUEUE_SIZE - 1) {
        const PS2Queue *q = &k->q;
        bool marked = q->count && q->data[(q->rptr + q->count - 1) % PS2_QUEUE_CAP] == overrun;
        if (q->count < PS2_QUEUE_SIZE && !marked)
            queue_push(&k->q, overrun);
        return;
    }
    for (int i = 0; i < n; i++)
        queue_push(&k->q, b[i]);
}

/* Append a make or break code of a table code (0xe0xx = extended). */
static int kbd_code(const PS2Kbd *k, uint8_t *out, uint32_t code, bool down)
{
    int n = 0;
    if (code >> 8 == 0xe0)
        out[n++] = 0xe0;
    if (k->scancode_set == 1) {
        out[n++] = (uint8_t)((code & 0x7f) | (down ? 0 : 0x80));
    } else {
        if (!down)
            out[n++] = 0xf0;
        out[n++] = (uint8_t)code;
    }
    return n;
}

static bool kbd_any_down(const PS2Kbd *k, unsigned a, unsigned b)
{
    return key_is_down(k, a) || key_is_down(k, b);
}

/*
 * Build the bytes a key event sends in the current set. Print Screen
 * and Pause depend on the modifiers held (MF2 keyboard, Microsoft scan
 * code spec):
 *   Print Screen: alone E0 2A E0 37 / set 2 E0 12 E0 7C (a "fake shift"
 *     then the key); with Shift or Ctrl just E0 37 / E0 7C; with Alt it
 *     is SysRq, 54 / 84. Breaks in reverse order.
 *   Pause: E1 1D 45 E1 9D C5 / E1 14 77 E1 F0 14 F0 77 on press, nothing
 *     on release; with Ctrl it is Break, E0 46 E0 C6 / E0 7E E0 F0 7E.
 * The fake shifts that real keyboards wrap around the gray navigation
 * keys when Num Lock or Shift is on are not sent: drivers discard them.
 */
static int kbd_key_bytes(const PS2Kbd *k, unsigned kc, bool down, uint8_t *out)
{
    bool set1 = k->scancode_set == 1;
    int n = 0;
    if (kc == KC_PAUSE) {
        if (!down)
            return 0;
        if (kbd_any_down(k, KC_LEFTCTRL, KC_RIGHTCTRL)) {
            n += kbd_code(k, out + n, set1 ? 0xe046 : 0xe07e, true);
            n += kbd_code(k, out + n, set1 ? 0xe046 : 0xe07e, false);
        } else {
            static const uint8_t s1[] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
            static const uint8_t s2[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
            n = set1 ? (int)sizeof(s1) : (int)sizeof(s2);
            memcpy(out, set1 ? s1 : s2, (size_t)n);
        }
        return n;
    }
    if (kc == KC_SYSRQ) {
        if (kbd_any_down(k, KC_LEFTALT, KC_RIGHTALT))
            return kbd_code(k, out, set1 ? 0x54 : 0x84, down);
        bool plain = !kbd_any_down(k, KC_LEFTSHIFT, KC_RIGHTSHIFT) &&
                     !kbd_any_down(k, KC_LEFTCTRL, KC_RIGHTCTRL);
        uint32_t shift = set1 ? 0xe02a : 0xe012, key = keymap_to_set1(kc);
        if (!set1)
            key = keymap_to_set2(kc);
        if (plain && down)
            n += kbd_code(k, out + n, shift, true);
        n += kbd_code(k, out + n, key, down);
        if (plain && !down)
            n += kbd_code(k, out + n, shift, false);
        return n;
    }
    uint32_t code = set1 ? keymap_to_set1(kc) : keymap_to_set2(kc);
    if (!code)
        return 0;
    return kbd_code(k, out, code, down);
}

static void kbd_send_key(PS2Kbd *k, unsigned kc, bool down)
{
    uint8_t seq[8];
    int n = kbd_key_bytes(k, kc, down, seq);
    if (n)
        kbd_put_seq(k, seq, n);
}

static void kbd_repeat(void *opaque)
{
    PS2Kbd *k = opaque;
    if (!k->repeat_key || !k->scanning || !key_is_down(k, k->repeat_key))
        return;
    kbd_send_key(k, k->repeat_key, true);
    timer_mod_in(k->repeat_timer, kbd_period_ns(k));
    kbd_notify(k);
}

static void kbd_stop_repeat(PS2Kbd *k)
{
    k->repeat_key = 0;
    timer_del(k->repeat_timer);
}

void ps2_kbd_key(PS2Kbd *k, unsigned kc, bool down)
{
    if (kc >= INPUT_KEYCODE_MAX)
        return;
    if (down)
        k->down[kc / 8] |= (uint8_t)(1u << (kc % 8));
    if (k->scanning) {
        kbd_send_key(k, kc, down);
        /* The last key pressed repeats until it is released; Pause
         * never does. */
        if (down && kc != KC_PAUSE) {
            k->repeat_key = (uint16_t)kc;
            timer_mod_in(k->repeat_timer, kbd_delay_ns(k));
        }
    }
    if (!down) {
        k->down[kc / 8] &= (uint8_t)~(1u << (kc % 8));
        if (k->repeat_key == kc)
            kbd_stop_repeat(k);
    }
    kbd_notify(k);
}

static void kbd_input(void *opaque, unsigned keycode, bool down)
{
    ps2_kbd_key(opaque, keycode, down);
}

static void kbd_defaults(PS2Kbd *k)
{
    k->typematic = KBD_TYPEMATIC_DEFAULT;
    kbd_stop_repeat(k);
}

void ps2_kbd_reset(PS2Kbd *k)
{
    queue_clear(&k->q);
    kbd_defaults(k);
    k->scancode_set = 2;
    k->leds = 0;
    k->scanning = true;
    k->pending = 0;
    k->last = 0;
    input_set_leds(0);
}

static void kbd_arg(PS2Kbd *k, uint8_t cmd, uint8_t val)
{
    switch (cmd) {
    case KBD_CMD_SET_LEDS:
        k->leds = val & 7;
        input_set_leds(k->leds);
        queue_push(&k->q, PS2_ACK);
        break;
    case KBD_CMD_TYPEMATIC:
        k->typematic = val & 0x7f;
        queue_push(&k->q, PS2_ACK);
        break;
    case KBD_CMD_SCANCODE:
        if (val == 0) {
            queue_push(&k->q, PS2_ACK);
            queue_push(&k->q, k->scancode_set);
        } else if (val <= 2) {
            kbd_stop_repeat(k);
            k->scancode_set = val;
            queue_push(&k->q, PS2_ACK);
        } else {
            /* Set 3 is not implemented: refuse it as keyboards without it do. */
            queue_push(&k->q, PS2_RESEND);
        }
        break;
    default:    /* set 3 key lists: accepted and ignored */
        k->pending = cmd;
        queue_push(&k->q, PS2_ACK);
        break;
    }
}

void ps2_kbd_write(PS2Kbd *k, uint8_t b)
{
    if (k->pending) {
        uint8_t cmd = k->pending;
        k->pending = 0;
        /* An argument must look like one; a command byte cancels the wait
         * (F3's argument has bit 7 clear; set 3 key lists end at a command). */
        bool is_cmd = b >= KBD_CMD_SET_LEDS;
        if (cmd == KBD_CMD_TYPEMATIC)
            is_cmd = b & 0x80;
        if (!is_cmd) {
            kbd_arg(k, cmd, b);
            kbd_notify(k);
            return;
        }
    }
    switch (b) {
    case KBD_CMD_SET_LEDS:
    case KBD_CMD_SCANCODE:
    case KBD_CMD_TYPEMATIC:
        k->pending = b;
        queue_push(&k->q, PS2_ACK);
        break;
    case KBD_CMD_ECHO:
        queue_push(&k->q, PS2_ECHO);
        break;
    case KBD_CMD_IDENTIFY:  /* MF2 keyboard */
        queue_push(&k->q, PS2_ACK);
        queue_push(&k->q, 0xab);
        queue_push(&k->q, 0x83);
        break;
    case KBD_CMD_ENABLE:
        queue_clear(&k->q);
        k->scanning = true;
        queue_push(&k->q, PS2_ACK);
        break;
    case KBD_CMD_DISABLE:   /* defaults, and stop scanning */
    case KBD_CMD_DEFAULTS:  /* defaults, and scan */
        queue_clear(&k->q);
        kbd_defaults(k);
        k->scanning = b == KBD_CMD_DEFAULTS;
        queue_push(&k->q, PS2_ACK);
        break;
    case KBD_CMD_RESEND:
        queue_push(&k->q, k->last);
        break;
    case KBD_CMD_RESET:
        ps2_kbd_reset(k);
        queue_push(&k->q, PS2_ACK);
        queue_push(&k->q, PS2_BAT_OK);
        break;
    default:
        if (b >= KBD_CMD_SET3_FIRST && b <= KBD_CMD_SET3_LAST) {
            if (b >= KBD_CMD_SET3_KEYS)
                k->pending = b;
            queue_push(&k->q, PS2_ACK);
            break;
        }
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("ps2 keyboard: unknown command 0x%02x\n", b);
        queue_push(&k->q, PS2_RESEND);
        break;
    }
    kbd_notify(k);
}

int ps2_kbd_read(PS2Kbd *k)
{
    int b = queue_pop(&k->q);
    if (b >= 0)
        k->last = (uint8_t)b;
    return b;
}

bool ps2_kbd_pending(const PS2Kbd *k)
{
    return k->q.count != 0;
}

void ps2_kbd_init(PS2Kbd *k, PS2NotifyFn *notify, void *opaque)
{
    memset(k, 0, sizeof(*k));
    k->notify = notify;
    k->opaque = opaque;
    k->repeat_timer = timer_new(PEMU_CLOCK_VIRTUAL, kbd_repeat, k);
    k->input = input_register_keyboard("ps2-kbd", kbd_input, k);
    ps2_kbd_reset(k);
}

void ps2_kbd_fini(PS2Kbd *k)
{
    input_unregister(k->input);
    timer_free(k->repeat_timer);
    k->input = NULL;
    k->repeat_timer = NULL;
}

static int kbd_post_load(void *opaque, int version)
{
    PS2Kbd *k = opaque;
    (void)version;
    if (k->scancode_set != 1 && k->scancode_set != 2)
        k->scancode_set = 2;
    if (k->repeat_key >= INPUT_KEYCODE_MAX)
        kbd_stop_repeat(k);
    input_set_leds(k->leds);
    return queue_post_load(&k->q);
}

static const VMStateDescription ps2_queue_vmstate = {
    .name = "ps2-queue", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(data, PS2Queue, PS2_QUEUE_CAP),
        VMSTATE_UINT8(rptr, PS2Queue),
        VMSTATE_UINT8(count, PS2Queue),
        VMSTATE_END
    },
};

const VMStateDescription ps2_kbd_vmstate = {
    .name = "ps2-kbd", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(q, PS2Kbd, ps2_queue_vmstate),
        VMSTATE_UINT8(scancode_set, PS2Kbd),
        VMSTATE_UINT8(leds, PS2Kbd),
        VMSTATE_UINT8(typematic, PS2Kbd),
        VMSTATE_BOOL(scanning, PS2Kbd),
        VMSTATE_UINT8(pending, PS2Kbd),
        VMSTATE_UINT8(last, PS2Kbd),
        VMSTATE_UINT16(repeat_key, PS2Kbd),
        VMSTATE_UINT8_ARRAY(down, PS2Kbd, INPUT_KEYCODE_MAX / 8),
        VMSTATE_TIMER(repeat_timer, PS2Kbd),
        VMSTATE_END
    },
    .post_load = kbd_post_load,
};

/* ---- mouse ---------------------------------------------------------------- */

enum {
    MOUSE_CMD_SCALE11 = 0xe6, MOUSE_CMD_SCALE21 = 0xe7, MOUSE_CMD_RESOLUTION = 0xe8,
    MOUSE_CMD_STATUS = 0xe9, MOUSE_CMD_STREAM = 0xea, MOUSE_CMD_READ = 0xeb,
    MOUSE_CMD_WRAP_OFF = 0xec, MOUSE_CMD_WRAP_ON = 0xee, MOUSE_CMD_REMOTE = 0xf0,
    MOUSE_CMD_GET_ID = 0xf2, MOUSE_CMD_RATE = 0xf3, MOUSE_CMD_ENABLE = 0xf4,
    MOUSE_CMD_DISABLE = 0xf5, MOUSE_CMD_DEFAULTS = 0xf6, MOUSE_CMD_RESEND = 0xfe,
    MOUSE_CMD_RESET = 0xff,
};

/* Counters saturate far beyond what a packet can carry. */
#define MOUSE_COUNTER_MAX (1 << 20)

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int mouse_packet_size(const PS2Mouse *m)
{
    return m->id ? 4 : 3;
}

/* 2:1 scaling (stream mode only): 0 1 2 3 4 5 -> 0 1 1 3 6 9, then 2x. */
static int scale21(int v)
{
    static const int8_t t[6] = { 0, 1, 1, 3, 6, 9 };
    int a = v < 0 ? -v : v;
    int r = a < 6 ? t[a] : 2 * a;
    return v < 0 ? -r : r;
}

/*
 * Queue one movement packet from the counters.
 *   byte 0: 7 Y overflow, 6 X overflow, 5 Y sign, 4 X sign, 3 always 1,
 *           2 middle, 1 right, 0 left
 *   byte 1, 2: X, Y movement (9-bit two's complement with the sign bits)
 *   byte 3 (ID 3): Z, -8..7; (ID 4): bits 3-0 Z, bit 4 button 4, bit 5 button 5
 * In stream mode a movement larger than a packet carries is sent as
 * several packets (the remainder stays in the counters); a read-data
 * request reports the overflow bits and clears the counters, as a mouse
 * polled too rarely does.
 */
static void mouse_send_packet(PS2Mouse *m, bool stream)
{
    int x = clampi(m->dx, -256, 255), y = clampi(m->dy, -256, 255);
    int z = clampi(m->dz, -8, 7);
    bool ovx = false, ovy = false;
    if (stream) {
        m->dx -= x;
        m->dy -= y;
        m->dz -= z;
        if (m->status & PS2M_STAT_SCALE21) {
            int sx = scale21(x), sy = scale21(y);
            x = clampi(sx, -256, 255);
            y = clampi(sy, -256, 255);
            ovx = x != sx;
            ovy = y != sy;
        }
    } else {
        ovx = x != m->dx;
        ovy = y != m->dy;
        m->dx = m->dy = m->dz = 0;
    }
    uint8_t b0 = 0x08 | (m->buttons & 7) | (x < 0) << 4 | (y < 0) << 5 | ovx << 6 | ovy << 7;
    queue_push(&m->q, b0);
    queue_push(&m->q, (uint8_t)x);
    queue_push(&m->q, (uint8_t)y);
    if (m->id == 3)
        queue_push(&m->q, (uint8_t)z);
    else if (m->id == 4)
        queue_push(&m->q, (uint8_t)((z & 0x0f) | (m->buttons & (INPUT_BUTTON_SIDE | INPUT_BUTTON_EXTRA)) << 1));
    m->reported = m->buttons;
}

static bool mouse_streaming(const PS2Mouse *m)
{
    return (m->status & (PS2M_STAT_ENABLE | PS2M_STAT_REMOTE)) == PS2M_STAT_ENABLE;
}

/* Send what the counters and buttons hold, while the buffer has room. */
static void mouse_flush(PS2Mouse *m)
{
    if (!mouse_streaming(m) || m->wrap)
        return;
    while ((m->dx || m->dy || m->dz || m->buttons != m->reported) &&
           m->q.count + mouse_packet_size(m) <= PS2_QUEUE_SIZE)
        mouse_send_packet(m, true);
}

void ps2_mouse_event(PS2Mouse *m, int dx, int dy, int dz, unsigned buttons)
{
    m->buttons = (uint8_t)(buttons & 0x1f);
    if (mouse_streaming(m) || (m->status & PS2M_STAT_REMOTE)) {
        /* PS/2 counts +y up and +z towards the user. */
        m->dx = clampi(m->dx + clampi(dx, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX),
                       -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
        m->dy = clampi(m->dy - clampi(dy, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX),
                       -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
        if (m->id)  /* a plain PS/2 mouse has no wheel */
            m->dz = clampi(m->dz - clampi(dz, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX),
                           -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
    }
    mouse_flush(m);
    if (m->q.count && m->notify)
        m->notify(m->opaque);
}

static void mouse_input(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    ps2_mouse_event(opaque, dx, dy, dz, buttons);
}

static void mouse_clear_counters(PS2Mouse *m)
{
    m->dx = m->dy = m->dz = 0;
    m->reported = m->buttons;
}

static void mouse_defaults(PS2Mouse *m)
{
    m->status = 0;
    m->resolution = 2;
    m->sample_rate = 100;
    mouse_clear_counters(m);
}

void ps2_mouse_reset(PS2Mouse *m)
{
    queue_clear(&m->q);
    mouse_defaults(m);
    m->id = 0;
    memset(m->rates, 0, sizeof(m->rates));
    m->pending = 0;
    m->last = 0;
    m->wrap = false;
}

static void mouse_set_rate(PS2Mouse *m, uint8_t rate)
{
    m->sample_rate = rate;
    m->rates[0] = m->rates[1];
    m->rates[1] = m->rates[2];
    m->rates[2] = rate;
    /* The IntelliMouse knocks: 200, 100, 80 turns on the wheel (ID 3);
     * then 200, 200, 80 the 4th and 5th buttons (ID 4). */
    if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80 && m->id == 0)
        m->id = 3;
    else if (m->rates[0] == 200 && m->rates[1] == 200 && m->rates[2] == 80 && m->id == 3)
        m->id = 4;
}

static bool valid_rate(uint8_t r)
{
    return r == 10 || r == 20 || r == 40 || r == 60 || r == 80 || r == 100 || r == 200;
}

void ps2_mouse_write(PS2Mouse *m, uint8_t b)
{
    if (m->pending) {
        uint8_t cmd = m->pending;
        m->pending = 0;
        if (cmd == MOUSE_CMD_RESOLUTION && b <= 3) {
            m->resolution = b;
            queue_push(&m->q, PS2_ACK);
        } else if (cmd == MOUSE_CMD_RATE && valid_rate(b)) {
            mouse_set_rate(m, b);
            queue_push(&m->q, PS2_ACK);
        } else {
            queue_push(&m->q, PS2_RESEND);
        }
        goto out;
    }
    if (m->wrap && b != MOUSE_CMD_WRAP_OFF && b != MOUSE_CMD_RESET) {
        queue_push(&m->q, b);   /* wrap mode echoes every byte */
        goto out;
    }
    switch (b) {
    case MOUSE_CMD_SCALE11:
        m->status &= (uint8_t)~PS2M_STAT_SCALE21;
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_SCALE21:
        m->status |= PS2M_STAT_SCALE21;
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_RESOLUTION:
    case MOUSE_CMD_RATE:
        m->pending = b;
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_STATUS:
        /* 0: 6 remote, 5 enabled, 4 2:1 scaling, 2 left, 1 middle, 0 right */
        queue_push(&m->q, PS2_ACK);
        queue_push(&m->q, (uint8_t)(m->status | (m->buttons & INPUT_BUTTON_LEFT) << 2 |
                                    (m->buttons & INPUT_BUTTON_MIDDLE) >> 1 |
                                    (m->buttons & INPUT_BUTTON_RIGHT) >> 1));
        queue_push(&m->q, m->resolution);
        queue_push(&m->q, m->sample_rate);
        break;
    case MOUSE_CMD_STREAM:
        m->status &= (uint8_t)~PS2M_STAT_REMOTE;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_READ:
        queue_push(&m->q, PS2_ACK);
        mouse_send_packet(m, false);
        break;
    case MOUSE_CMD_WRAP_OFF:
        m->wrap = false;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_WRAP_ON:
        m->wrap = true;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_REMOTE:
        m->status |= PS2M_STAT_REMOTE;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_GET_ID:
        queue_push(&m->q, PS2_ACK);
        queue_push(&m->q, m->id);
        break;
    case MOUSE_CMD_ENABLE:
        m->status |= PS2M_STAT_ENABLE;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_DISABLE:
        m->status &= (uint8_t)~PS2M_STAT_ENABLE;
        mouse_clear_counters(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_DEFAULTS:
        mouse_defaults(m);
        queue_push(&m->q, PS2_ACK);
        break;
    case MOUSE_CMD_RESEND:
        queue_push(&m->q, m->last);
        break;
    case MOUSE_CMD_RESET:
        ps2_mouse_reset(m);
        queue_push(&m->q, PS2_ACK);
        queue_push(&m->q, PS2_BAT_OK);
        queue_push(&m->q, 0x00);    /* device ID */
        break;
    default:
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("ps2 mouse: unknown command 0x%02x\n", b);
        queue_push(&m->q, PS2_RESEND);
        break;
    }
out:
    if (m->q.count && m->notify)
        m->notify(m->opaque);
}

int ps2_mouse_read(PS2Mouse *m)
{
    int b = queue_pop(&m->q);
    if (b < 0)
        return -1;
    m->last = (uint8_t)b;
    /* Room freed: movement held back by a full buffer can go now (no
     * notify: the host is taking this byte and will look again). */
    if (!m->q.count)
        mouse_flush(m);
    return b;
}

bool ps2_mouse_pending(const PS2Mouse *m)
{
    return m->q.count != 0;
}

void ps2_mouse_init(PS2Mouse *m, PS2NotifyFn *notify, void *opaque)
{
    memset(m, 0, sizeof(*m));
    m->notify = notify;
    m->opaque = opaque;
    m->input = input_register_pointer("ps2-mouse", mouse_input, m);
    ps2_mouse_reset(m);
}

void ps2_mouse_fini(PS2Mouse *m)
{
    input_unregister(m->input);
    m->input = NULL;
}

static int mouse_post_load(void *opaque, int version)
{
    PS2Mouse *m = opaque;
    (void)version;
    m->dx = clampi(m->dx, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
    m->dy = clampi(m->dy, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
    m->dz = clampi(m->dz, -MOUSE_COUNTER_MAX, MOUSE_COUNTER_MAX);
    return queue_post_load(&m->q);
}

const VMStateDescription ps2_mouse_vmstate = {
    .name = "ps2-mouse", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(q, PS2Mouse, ps2_queue_vmstate),
        VMSTATE_UINT8(status, PS2Mouse),
        VMSTATE_UINT8(resolution, PS2Mouse),
        VMSTATE_UINT8(sample_rate, PS2Mouse),
        VMSTATE_UINT8(id, PS2Mouse),
        VMSTATE_UINT8_ARRAY(rates, PS2Mouse, 3),
        VMSTATE_UINT8(pending, PS2Mouse),
        VMSTATE_UINT8(last, PS2Mouse),
        VMSTATE_BOOL(wrap, PS2Mouse),
        VMSTATE_UINT8(buttons, PS2Mouse),
        VMSTATE_UINT8(reported, PS2Mouse),
        VMSTATE_INT32(dx, PS2Mouse),
        VMSTATE_INT32(dy, PS2Mouse),
        VMSTATE_INT32(dz, PS2Mouse),
        VMSTATE_END
    },
    .post_load = mouse_post_load,
};
