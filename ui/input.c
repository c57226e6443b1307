/* Keyboard and pointer events routed to the active guest input device. */
#include "ui/input.h"

#include <stdlib.h>
#include <string.h>
#include "src/timer.h"
#include "ui/keymap.h"

struct InputHandler {
    const char *name;
    InputKeyFn *key;
    InputPointerFn *pointer;
    void *opaque;
    InputHandler *next;
};

/* One list; the first handler of each kind is the active one. */
static InputHandler *handlers;
static unsigned pointer_buttons;
static unsigned kbd_leds;

/* sendkey: keys held until the release timer fires */
#define COMBO_MAX 16
static unsigned combo_keys[COMBO_MAX];
static int combo_len;
static Timer *combo_timer;

static InputHandler *handler_new(const char *name, InputKeyFn *key, InputPointerFn *pointer,
                                 void *opaque)
{
    InputHandler *h = calloc(1, sizeof(*h));
    if (!h)
        fatal("out of memory (input handler)");
    h->name = name;
    h->key = key;
    h->pointer = pointer;
    h->opaque = opaque;
    h->next = handlers;
    handlers = h;
    return h;
}

InputHandler *input_register_keyboard(const char *name, InputKeyFn *fn, void *opaque)
{
    return handler_new(name, fn, NULL, opaque);
}

InputHandler *input_register_pointer(const char *name, InputPointerFn *fn, void *opaque)
{
    return handler_new(name, NULL, fn, opaque);
}

static void unlink_handler(InputHandler *h)
{
    for (InputHandler **p = &handlers; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            return;
        }
    }
}

void input_handler_activate(InputHandler *h)
{
    unlink_handler(h);
    h->next = handlers;
    handlers = h;
}

void input_unregister(InputHandler *h)
{
    if (!h)
        return;
    unlink_handler(h);
    free(h);
}

const char *input_handler_name(const InputHandler *h)
{
    return h ? h->name : NULL;
}

void input_key_event(unsigned keycode, bool down)
{
    if (keycode >= INPUT_KEYCODE_MAX)
        return;
    for (InputHandler *h = handlers; h; h = h->next) {
        if (h->key) {
            h->key(h->opaque, keycode, down);
            return;
        }
    }
}

void input_pointer_event(int dx, int dy, int dz, unsigned buttons)
{
    pointer_buttons = buttons;
    for (InputHandler *h = handlers; h; h = h->next) {
        if (h->pointer) {
            h->pointer(h->opaque, dx, dy, dz, buttons);
            return;
        }
    }
}

unsigned input_pointer_buttons(void)
{
    return pointer_buttons;
}

void input_set_leds(unsigned leds)
{
    kbd_leds = leds;
}

unsigned input_get_leds(void)
{
    return kbd_leds;
}

static void combo_release(void *opaque)
{
    (void)opaque;
    while (combo_len > 0)
        input_key_event(combo_keys[--combo_len], false);
}

int input_send_key_combo(const char *keys, int hold_ms, Error **errp)
{
    unsigned codes[COMBO_MAX];
    int n = 0;
    const char *p = keys ? keys : "";
    /* Parse the whole combo before pressing anything ('-' is the key
     * "minus", so a '-' is always a separator). */
    for (;;) {
        const char *end = strchr(p, '-');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[32];
        if (len == 0 || len >= sizeof(name)) {
            error_setg(errp, "sendkey: '%s': empty or overlong key name "
                       "(use names like ctrl-alt-delete, f1, kp_enter)", keys ? keys : "");
            return -1;
        }
        memcpy(name, p, len);
        name[len] = 0;
        int kc = keymap_from_name(name);
        if (kc < 0) {
            error_setg(errp, "sendkey: unknown key '%s' in '%s'", name, keys);
            return -1;
        }
        if (n == COMBO_MAX) {
            error_setg(errp, "sendkey: '%s': more than %d keys", keys, COMBO_MAX);
            return -1;
        }
        codes[n++] = (unsigned)kc;
        if (!end)
            break;
        p = end + 1;
    }
    if (combo_len)
        combo_release(NULL);
    if (combo_timer)
        timer_del(combo_timer);
    for (int i = 0; i < n; i++) {
        input_key_event(codes[i], true);
        combo_keys[combo_len++] = codes[i];
    }
    if (hold_ms <= 0) {
        combo_release(NULL);
        return 0;
    }
    if (!combo_timer)
        combo_timer = timer_new(PEMU_CLOCK_VIRTUAL, combo_release, NULL);
    timer_mod_in(combo_timer, (int64_t)hold_ms * NS_PER_MS);
    return 0;
}

/* QEMU's layout: "* Mouse #N: NAME", N counting the pointer handlers. */
void input_print_mice(FILE *f)
{
    int n = 0;
    bool active_seen = false;
    for (InputHandler *h = handlers; h; h = h->next) {
        if (!h->pointer)
            continue;
        fprintf(f, "%c Mouse #%d: %s\n", active_seen ? ' ' : '*', n++, h->name);
        active_seen = true;
    }
    if (!n)
        fprintf(f, "No mouse devices connected\n");
}
