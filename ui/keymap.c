/* Key tables: keycodes <-> scan codes, sendkey names, terminal chars. */
#include "ui/keymap.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>
#include "ports/host.h"
#include "ui/input.h"

typedef struct KeyInfo {
    uint16_t keycode;
    uint32_t set1, set2;
    const char *name;
} KeyInfo;

static const KeyInfo keys[] = {
#define KEY(id, num, s1, s2, nm) { num, s1, s2, nm },
#include "ui/keymap.def"
#undef KEY
};

static const KeyInfo *key_info(unsigned keycode)
{
    /* The table is sorted by keycode; a short binary search. */
    size_t lo = 0, hi = PEMU_ARRAY_SIZE(keys);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid].keycode == keycode)
            return &keys[mid];
        if (keys[mid].keycode < keycode)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

uint32_t keymap_to_set1(unsigned keycode)
{
    const KeyInfo *k = key_info(keycode);
    return k ? k->set1 : 0;
}

uint32_t keymap_to_set2(unsigned keycode)
{
    const KeyInfo *k = key_info(keycode);
    return k ? k->set2 : 0;
}

int keymap_from_set1(uint32_t code)
{
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(keys); i++)
        if (keys[i].set1 == code)
            return keys[i].keycode;
    return -1;
}

int keymap_from_set2(uint32_t code)
{
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(keys); i++)
        if (keys[i].set2 == code)
            return keys[i].keycode;
    return -1;
}

const char *keymap_name(unsigned keycode)
{
    const KeyInfo *k = key_info(keycode);
    return k ? k->name : NULL;
}

static const struct { const char *alias, *name; } aliases[] = {
    { "altgr", "alt_r" }, { "altgr_r", "alt_r" }, { "asterisk", "kp_multiply" },
    { "sysrq", "print" }, { "compose", "menu" },
};

int keymap_from_name(const char *name)
{
    if (!name || !*name)
        return -1;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(aliases); i++)
        if (!strcasecmp(name, aliases[i].alias))
            name = aliases[i].name;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(keys); i++)
        if (!strcasecmp(name, keys[i].name))
            return keys[i].keycode;
    if (name[0] == '0' && (name[1] == 'x' || name[1] == 'X') && name[2]) {
        char *end;
        unsigned long v = strtoul(name + 2, &end, 16);
        if (*end || v > 0xffff)
            return -1;
        return keymap_from_set1((uint32_t)v);
    }
    return -1;
}

/* US layout: the key and whether Shift is needed, for 0x20-0x7e. */
#define S 0x100
static const uint16_t ascii_keys[0x7f - 0x20] = {
    [' ' - 0x20] = KC_SPACE, ['!' - 0x20] = KC_1 | S, ['"' - 0x20] = KC_APOSTROPHE | S,
    ['#' - 0x20] = KC_3 | S, ['$' - 0x20] = KC_4 | S, ['%' - 0x20] = KC_5 | S,
    ['&' - 0x20] = KC_7 | S, ['\'' - 0x20] = KC_APOSTROPHE, ['(' - 0x20] = KC_9 | S,
    [')' - 0x20] = KC_0 | S, ['*' - 0x20] = KC_8 | S, ['+' - 0x20] = KC_EQUAL | S,
    [',' - 0x20] = KC_COMMA, ['-' - 0x20] = KC_MINUS, ['.' - 0x20] = KC_DOT,
    ['/' - 0x20] = KC_SLASH, ['0' - 0x20] = KC_0, ['1' - 0x20] = KC_1, ['2' - 0x20] = KC_2,
    ['3' - 0x20] = KC_3, ['4' - 0x20] = KC_4, ['5' - 0x20] = KC_5, ['6' - 0x20] = KC_6,
    ['7' - 0x20] = KC_7, ['8' - 0x20] = KC_8, ['9' - 0x20] = KC_9,
    [':' - 0x20] = KC_SEMICOLON | S, [';' - 0x20] = KC_SEMICOLON, ['<' - 0x20] = KC_COMMA | S,
    ['=' - 0x20] = KC_EQUAL, ['>' - 0x20] = KC_DOT | S, ['?' - 0x20] = KC_SLASH | S,
    ['@' - 0x20] = KC_2 | S, ['[' - 0x20] = KC_LEFTBRACE, ['\\' - 0x20] = KC_BACKSLASH,
    [']' - 0x20] = KC_RIGHTBRACE, ['^' - 0x20] = KC_6 | S, ['_' - 0x20] = KC_MINUS | S,
    ['`' - 0x20] = KC_GRAVE, ['{' - 0x20] = KC_LEFTBRACE | S, ['|' - 0x20] = KC_BACKSLASH | S,
    ['}' - 0x20] = KC_RIGHTBRACE | S, ['~' - 0x20] = KC_GRAVE | S,
    ['a' - 0x20] = KC_A, ['b' - 0x20] = KC_B, ['c' - 0x20] = KC_C, ['d' - 0x20] = KC_D,
    ['e' - 0x20] = KC_E, ['f' - 0x20] = KC_F, ['g' - 0x20] = KC_G, ['h' - 0x20] = KC_H,
    ['i' - 0x20] = KC_I, ['j' - 0x20] = KC_J, ['k' - 0x20] = KC_K, ['l' - 0x20] = KC_L,
    ['m' - 0x20] = KC_M, ['n' - 0x20] = KC_N, ['o' - 0x20] = KC_O, ['p' - 0x20] = KC_P,
    ['q' - 0x20] = KC_Q, ['r' - 0x20] = KC_R, ['s' - 0x20] = KC_S, ['t' - 0x20] = KC_T,
    ['u' - 0x20] = KC_U, ['v' - 0x20] = KC_V, ['w' - 0x20] = KC_W, ['x' - 0x20] = KC_X,
    ['y' - 0x20] = KC_Y, ['z' - 0x20] = KC_Z,
};

int keymap_from_char(int ch, unsigned *mods)
{
    unsigned m = 0;
    int kc;
    switch (ch) {
    case '\t': kc = KC_TAB; break;
    case '\r': case '\n': kc = KC_ENTER; break;
    case 0x08: case 0x7f: kc = KC_BACKSPACE; break;
    case 0x1b: kc = KC_ESC; break;
    case 0x00: kc = KC_SPACE; m = KEYMAP_MOD_CTRL; break;          /* Ctrl-@ */
    case 0x1c: kc = KC_BACKSLASH; m = KEYMAP_MOD_CTRL; break;
    case 0x1d: kc = KC_RIGHTBRACE; m = KEYMAP_MOD_CTRL; break;
    case 0x1e: kc = KC_6; m = KEYMAP_MOD_CTRL | KEYMAP_MOD_SHIFT; break; /* Ctrl-^ */
    case 0x1f: kc = KC_MINUS; m = KEYMAP_MOD_CTRL | KEYMAP_MOD_SHIFT; break; /* Ctrl-_ */
    default:
        if (ch >= 0x01 && ch <= 0x1a) {          /* Ctrl-A .. Ctrl-Z */
            kc = ascii_keys['a' + ch - 1 - 0x20];
            m = KEYMAP_MOD_CTRL;
        } else if (ch >= 'A' && ch <= 'Z') {
            kc = ascii_keys[tolower(ch) - 0x20];
            m = KEYMAP_MOD_SHIFT;
        } else if (ch >= 0x20 && ch < 0x7f) {
            kc = ascii_keys[ch - 0x20] & 0xff;
            m = ascii_keys[ch - 0x20] & S ? KEYMAP_MOD_SHIFT : 0;
        } else {
            return -1;
        }
    }
    if (mods)
        *mods = m;
    return kc;
}
