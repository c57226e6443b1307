/* -display sdl (see sdl2.h). */
#include "ui/sdl2.h"

#include <SDL.h>
#include <stdio.h>
#include <string.h>

#include "ui/display.h"
#include "ui/input.h"
#include "ui/vc.h"

typedef struct SdlUI {
    DisplayListener dl;
    SdlDisplayOptions opts;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tw, th;                  /* texture (= console pixel) size */
    DisplaySurface *text;        /* a text console rendered to pixels */
    bool dirty;
    bool sdl_up;                 /* SDL_Init succeeded */
    bool grabbed, full_screen;
    int blink_phase;             /* 0/1: text blink and cursor, 2 Hz */
    unsigned buttons;            /* pointer buttons held */
    /* Ctrl and Alt held, tracked from the key events themselves (SDL's own
     * modifier state misses keys injected with XTEST) */
    bool ctrl, alt;
    char title[256];
} SdlUI;

static SdlUI ui;

/* SDL scancodes (USB HID keyboard usages) -> pemu key codes (ui/input.h). */
static const struct { SDL_Scancode sc; unsigned kc; } sdl_keys[] = {
    { SDL_SCANCODE_A, KC_A }, { SDL_SCANCODE_B, KC_B }, { SDL_SCANCODE_C, KC_C },
    { SDL_SCANCODE_D, KC_D }, { SDL_SCANCODE_E, KC_E }, { SDL_SCANCODE_F, KC_F },
    { SDL_SCANCODE_G, KC_G }, { SDL_SCANCODE_H, KC_H }, { SDL_SCANCODE_I, KC_I },
    { SDL_SCANCODE_J, KC_J }, { SDL_SCANCODE_K, KC_K }, { SDL_SCANCODE_L, KC_L },
    { SDL_SCANCODE_M, KC_M }, { SDL_SCANCODE_N, KC_N }, { SDL_SCANCODE_O, KC_O },
    { SDL_SCANCODE_P, KC_P }, { SDL_SCANCODE_Q, KC_Q }, { SDL_SCANCODE_R, KC_R },
    { SDL_SCANCODE_S, KC_S }, { SDL_SCANCODE_T, KC_T }, { SDL_SCANCODE_U, KC_U },
    { SDL_SCANCODE_V, KC_V }, { SDL_SCANCODE_W, KC_W }, { SDL_SCANCODE_X, KC_X },
    { SDL_SCANCODE_Y, KC_Y }, { SDL_SCANCODE_Z, KC_Z },
    { SDL_SCANCODE_1, KC_1 }, { SDL_SCANCODE_2, KC_2 }, { SDL_SCANCODE_3, KC_3 },
    { SDL_SCANCODE_4, KC_4 }, { SDL_SCANCODE_5, KC_5 }, { SDL_SCANCODE_6, KC_6 },
    { SDL_SCANCODE_7, KC_7 }, { SDL_SCANCODE_8, KC_8 }, { SDL_SCANCODE_9, KC_9 },
    { SDL_SCANCODE_0, KC_0 },
    { SDL_SCANCODE_RETURN, KC_ENTER }, { SDL_SCANCODE_ESCAPE, KC_ESC },
    { SDL_SCANCODE_BACKSPACE, KC_BACKSPACE }, { SDL_SCANCODE_TAB, KC_TAB },
    { SDL_SCANCODE_SPACE, KC_SPACE }, { SDL_SCANCODE_MINUS, KC_MINUS },
    { SDL_SCANCODE_EQUALS, KC_EQUAL }, { SDL_SCANCODE_LEFTBRACKET, KC_LEFTBRACE },
    { SDL_SCANCODE_RIGHTBRACKET, KC_RIGHTBRACE }, { SDL_SCANCODE_BACKSLASH, KC_BACKSLASH },
    { SDL_SCANCODE_NONUSHASH, KC_BACKSLASH }, { SDL_SCANCODE_SEMICOLON, KC_SEMICOLON },
    { SDL_SCANCODE_APOSTROPHE, KC_APOSTROPHE }, { SDL_SCANCODE_GRAVE, KC_GRAVE },
    { SDL_SCANCODE_COMMA, KC_COMMA }, { SDL_SCANCODE_PERIOD, KC_DOT },
    { SDL_SCANCODE_SLASH, KC_SLASH }, { SDL_SCANCODE_CAPSLOCK, KC_CAPSLOCK },
    { SDL_SCANCODE_F1, KC_F1 }, { SDL_SCANCODE_F2, KC_F2 }, { SDL_SCANCODE_F3, KC_F3 },
    { SDL_SCANCODE_F4, KC_F4 }, { SDL_SCANCODE_F5, KC_F5 }, { SDL_SCANCODE_F6, KC_F6 },
    { SDL_SCANCODE_F7, KC_F7 }, { SDL_SCANCODE_F8, KC_F8 }, { SDL_SCANCODE_F9, KC_F9 },
    { SDL_SCANCODE_F10, KC_F10 }, { SDL_SCANCODE_F11, KC_F11 }, { SDL_SCANCODE_F12, KC_F12 },
    { SDL_SCANCODE_PRINTSCREEN, KC_SYSRQ }, { SDL_SCANCODE_SCROLLLOCK, KC_SCROLLLOCK },
    { SDL_SCANCODE_PAUSE, KC_PAUSE }, { SDL_SCANCODE_INSERT, KC_INSERT },
    { SDL_SCANCODE_HOME, KC_HOME }, { SDL_SCANCODE_PAGEUP, KC_PAGEUP },
    { SDL_SCANCODE_DELETE, KC_DELETE }, { SDL_SCANCODE_END, KC_END },
    { SDL_SCANCODE_PAGEDOWN, KC_PAGEDOWN }, { SDL_SCANCODE_RIGHT, KC_RIGHT },
    { SDL_SCANCODE_LEFT, KC_LEFT }, { SDL_SCANCODE_DOWN, KC_DOWN }, { SDL_SCANCODE_UP, KC_UP },
    { SDL_SCANCODE_NUMLOCKCLEAR, KC_NUMLOCK }, { SDL_SCANCODE_KP_DIVIDE, KC_KPSLASH },
    { SDL_SCANCODE_KP_MULTIPLY, KC_KPASTERISK }, { SDL_SCANCODE_KP_MINUS, KC_KPMINUS },
    { SDL_SCANCODE_KP_PLUS, KC_KPPLUS }, { SDL_SCANCODE_KP_ENTER, KC_KPENTER },
    { SDL_SCANCODE_KP_1, KC_KP1 }, { SDL_SCANCODE_KP_2, KC_KP2 }, { SDL_SCANCODE_KP_3, KC_KP3 },
    { SDL_SCANCODE_KP_4, KC_KP4 }, { SDL_SCANCODE_KP_5, KC_KP5 }, { SDL_SCANCODE_KP_6, KC_KP6 },
    { SDL_SCANCODE_KP_7, KC_KP7 }, { SDL_SCANCODE_KP_8, KC_KP8 }, { SDL_SCANCODE_KP_9, KC_KP9 },
    { SDL_SCANCODE_KP_0, KC_KP0 }, { SDL_SCANCODE_KP_PERIOD, KC_KPDOT },
    { SDL_SCANCODE_KP_EQUALS, KC_KPEQUAL }, { SDL_SCANCODE_KP_COMMA, KC_KPCOMMA },
    { SDL_SCANCODE_NONUSBACKSLASH, KC_102ND }, { SDL_SCANCODE_APPLICATION, KC_COMPOSE },
    { SDL_SCANCODE_POWER, KC_POWER }, { SDL_SCANCODE_MUTE, KC_MUTE },
    { SDL_SCANCODE_VOLUMEUP, KC_VOLUMEUP }, { SDL_SCANCODE_VOLUMEDOWN, KC_VOLUMEDOWN },
    { SDL_SCANCODE_INTERNATIONAL1, KC_RO }, { SDL_SCANCODE_INTERNATIONAL3, KC_YEN },
    { SDL_SCANCODE_LCTRL, KC_LEFTCTRL }, { SDL_SCANCODE_LSHIFT, KC_LEFTSHIFT },
    { SDL_SCANCODE_LALT, KC_LEFTALT }, { SDL_SCANCODE_LGUI, KC_LEFTMETA },
    { SDL_SCANCODE_RCTRL, KC_RIGHTCTRL }, { SDL_SCANCODE_RSHIFT, KC_RIGHTSHIFT },
    { SDL_SCANCODE_RALT, KC_RIGHTALT }, { SDL_SCANCODE_RGUI, KC_RIGHTMETA },
};

static unsigned key_of(SDL_Scancode sc)
{
    for (size_t i = 0; i < sizeof(sdl_keys) / sizeof(sdl_keys[0]); i++)
        if (sdl_keys[i].sc == sc)
            return sdl_keys[i].kc;
    return 0;
}

static void set_title(void)
{
    char t[256];
    const char *name = ui.opts.name;
    snprintf(t, sizeof(t), "%s%s%s%s", name ? name : "pemu", name ? " - pemu" : "",
             ui.opts.running && !ui.opts.running(ui.opts.opaque) ? " [Stopped]" : "",
             ui.grabbed ? " - Press Ctrl-Alt-G to release grab" : "");
    if (strcmp(t, ui.title)) {
        snprintf(ui.title, sizeof(ui.title), "%s", t);
        SDL_SetWindowTitle(ui.win, t);
    }
}

static void set_grab(bool on)
{
    if (on == ui.grabbed)
        return;
    ui.grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    set_title();
}

/* ---- drawing ------------------------------------------------------------ */

/* The texture follows the console's pixel size; the window follows it too
 * unless full screen (the renderer letterboxes to keep the aspect). */
static void resize_to(int w, int h)
{
    if (w < 1 || h < 1)
        return;
    if (ui.tex && w == ui.tw && h == ui.th)
        return;
    if (ui.tex)
        SDL_DestroyTexture(ui.tex);
    ui.tex = SDL_CreateTexture(ui.ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING, w, h);
    ui.tw = w;
    ui.th = h;
    SDL_RenderSetLogicalSize(ui.ren, w, h);
    if (!ui.full_screen)
        SDL_SetWindowSize(ui.win, w, h);
}

static void render_text(void)
{
    ConsoleText *t = console_text(ui.dl.con);
    if (!t)
        return;
    int w, h;
    console_text_pixel_size(t, &w, &h);
    if (!ui.text || ui.text->width != w || ui.text->height != h) {
        display_surface_free(ui.text);
        ui.text = display_surface_new(w, h, NULL);
        if (!ui.text)
            return;
    }
    console_text_render(t, ui.text, 0, 0, t->cols, t->rows, ui.blink_phase, ui.blink_phase);
    resize_to(w, h);
    ui.dirty = true;
}

static void sdl_switch_surface(DisplayListener *dl)
{
    (void)dl;
    DisplaySurface *s = console_surface(ui.dl.con);
    if (s)
        resize_to(s->width, s->height);
    else
        render_text();
    ui.dirty = true;
}

static void sdl_gfx_update(DisplayListener *dl, int x, int y, int w, int h)
{
    (void)dl; (void)x; (void)y; (void)w; (void)h;
    ui.dirty = true;
}

static void sdl_text_update(DisplayListener *dl, int x, int y, int w, int h)
{
    (void)dl; (void)x; (void)y; (void)w; (void)h;
    render_text();
}

static void sdl_text_cursor(DisplayListener *dl, int x, int y, bool visible)
{
    (void)dl; (void)x; (void)y; (void)visible;
    render_text();
}

static void present(void)
{
    const DisplaySurface *s = console_surface(ui.dl.con);
    if (!s)
        s = console_text(ui.dl.con) ? ui.text : NULL;
    SDL_SetRenderDrawColor(ui.ren, 0, 0, 0, 255);
    SDL_RenderClear(ui.ren);
    if (s && ui.tex && s->width == ui.tw && s->height == ui.th) {
        SDL_UpdateTexture(ui.tex, NULL, s->data, s->stride);
        SDL_RenderCopy(ui.ren, ui.tex, NULL, NULL);
    }
    SDL_RenderPresent(ui.ren);
    ui.dirty = false;
}

/* ---- input -------------------------------------------------------------- */

static void select_console(int index)
{
    Console *con = console_get(index);
    if (!con || con == ui.dl.con)
        return;
    set_grab(false);
    display_listener_set_console(&ui.dl, con);
    if (vc_find(con))
        SDL_StartTextInput();
    else
        SDL_StopTextInput();
}

/* Ctrl-Alt-<key>: true when the key was a hot key (not for the guest). */
static bool hot_key(const SDL_KeyboardEvent *k)
{
    if (!ui.ctrl || !ui.alt || k->type != SDL_KEYDOWN)
        return false;
    switch (k->keysym.scancode) {
    case SDL_SCANCODE_G:
        set_grab(false);
        return true;
    case SDL_SCANCODE_F:
        ui.full_screen = !ui.full_screen;
        SDL_SetWindowFullscreen(ui.win, ui.full_screen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        if (!ui.full_screen)
            SDL_SetWindowSize(ui.win, ui.tw, ui.th);
        ui.dirty = true;
        return true;
    default:
        if (k->keysym.scancode >= SDL_SCANCODE_1 && k->keysym.scancode <= SDL_SCANCODE_9) {
            select_console(k->keysym.scancode - SDL_SCANCODE_1);
            return true;
        }
        return false;
    }
}

static void key_event(const SDL_KeyboardEvent *k)
{
    bool down = k->type == SDL_KEYDOWN;
    switch (k->keysym.scancode) {
    case SDL_SCANCODE_LCTRL: case SDL_SCANCODE_RCTRL: ui.ctrl = down; break;
    case SDL_SCANCODE_LALT: case SDL_SCANCODE_RALT: ui.alt = down; break;
    default: break;
    }
    if (hot_key(k))
        return;
    unsigned kc = key_of(k->keysym.scancode);
    if (!kc)
        return;
    VcTerm *vc = vc_find(ui.dl.con);
    if (vc) {
        /* characters arrive as SDL_TEXTINPUT; here only the other keys */
        if (k->type == SDL_KEYDOWN) {
            if (kc == KC_ENTER)
                vc_input(vc, (const uint8_t *)"\r", 1);
            else
                vc_send_key(vc, kc);
        }
        return;
    }
    input_key_event(kc, k->type == SDL_KEYDOWN);
}

static unsigned button_bit(Uint8 b)
{
    switch (b) {
    case SDL_BUTTON_LEFT: return INPUT_BUTTON_LEFT;
    case SDL_BUTTON_RIGHT: return INPUT_BUTTON_RIGHT;
    case SDL_BUTTON_MIDDLE: return INPUT_BUTTON_MIDDLE;
    case SDL_BUTTON_X1: return INPUT_BUTTON_SIDE;
    case SDL_BUTTON_X2: return INPUT_BUTTON_EXTRA;
    default: return 0;
    }
}

static void poll_events(void)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            if (ui.opts.powerdown)
                ui.opts.powerdown(ui.opts.opaque);
            break;
        case SDL_KEYDOWN: case SDL_KEYUP:
            key_event(&ev.key);
            break;
        case SDL_TEXTINPUT: {
            VcTerm *vc = vc_find(ui.dl.con);
            if (vc && !ui.ctrl)
                vc_input(vc, (const uint8_t *)ev.text.text, strlen(ev.text.text));
            break;
        }
        case SDL_MOUSEBUTTONDOWN: case SDL_MOUSEBUTTONUP:
            if (vc_find(ui.dl.con))
                break;
            if (!ui.grabbed) {
                /* the first click only grabs */
                if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT)
                    set_grab(true);
                break;
            }
            if (ev.type == SDL_MOUSEBUTTONDOWN)
                ui.buttons |= button_bit(ev.button.button);
            else
                ui.buttons &= ~button_bit(ev.button.button);
            input_pointer_event(0, 0, 0, ui.buttons);
            break;
        case SDL_MOUSEMOTION:
            if (ui.grabbed)
                input_pointer_event(ev.motion.xrel, ev.motion.yrel, 0, ui.buttons);
            break;
        case SDL_MOUSEWHEEL:
            if (ui.grabbed)
                input_pointer_event(0, 0, -ev.wheel.y, ui.buttons); /* PS/2: positive = down */
            break;
        case SDL_WINDOWEVENT:
            if (ev.window.event == SDL_WINDOWEVENT_EXPOSED ||
                ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                ui.dirty = true;
            else if (ev.window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
                set_grab(false);
                ui.ctrl = ui.alt = false;
            }
            break;
        default:
            break;
        }
    }
}

static void sdl_refresh(DisplayListener *dl)
{
    (void)dl;
    poll_events();
    int phase = (int)((SDL_GetTicks() / 500) & 1);
    if (phase != ui.blink_phase) {
        ui.blink_phase = phase;
        render_text();
    }
    set_title();
    if (ui.dirty)
        present();
}

static const DisplayListenerOps sdl_ops = {
    .name = "sdl",
    .switch_surface = sdl_switch_surface,
    .gfx_update = sdl_gfx_update,
    .text_update = sdl_text_update,
    .text_cursor = sdl_text_cursor,
    .refresh = sdl_refresh,
};

int sdl_display_init(const SdlDisplayOptions *opts, Error **errp)
{
    memset(&ui, 0, sizeof(ui));
    ui.opts = *opts;
    /* pemu handles SIGINT/SIGTERM itself */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        error_setg(errp, "-display sdl: cannot start SDL: %s (is $DISPLAY or $WAYLAND_DISPLAY "
                   "set? -display curses and -nographic work in a terminal)", SDL_GetError());
        return -1;
    }
    ui.sdl_up = true;
    ui.full_screen = opts->full_screen;
    ui.win = SDL_CreateWindow("pemu", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640, 400,
                              SDL_WINDOW_RESIZABLE |
                                  (ui.full_screen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0));
    if (ui.win)
        ui.ren = SDL_CreateRenderer(ui.win, -1, 0);
    if (!ui.win || !ui.ren) {
        error_setg(errp, "-display sdl: cannot open a window: %s", SDL_GetError());
        sdl_display_fini();
        return -1;
    }
    SDL_StopTextInput();
    set_title();
    ui.dl.ops = &sdl_ops;
    display_listener_register(&ui.dl, NULL);
    sdl_switch_surface(&ui.dl);
    display_refresh_start(DISPLAY_REFRESH_MS);
    return 0;
}

void sdl_display_fini(void)
{
    if (ui.dl.ops) {
        display_refresh_start(0);
        display_listener_unregister(&ui.dl);
        ui.dl.ops = NULL;
    }
    display_surface_free(ui.text);
    ui.text = NULL;
    if (ui.tex)
        SDL_DestroyTexture(ui.tex);
    if (ui.ren)
        SDL_DestroyRenderer(ui.ren);
    if (ui.win)
        SDL_DestroyWindow(ui.win);
    if (ui.sdl_up)
        SDL_Quit();
    memset(&ui, 0, sizeof(ui));
}
