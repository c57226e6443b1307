/* The device model: class registry, properties, creation, reset (see device.h). */
#include "src/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/chardev.h"
#include "src/machine.h"
#include "src/vmstate.h"

#define DEVICE(n) extern const DeviceClass n##_class;
#include "hw/devices.def"
#undef DEVICE

static const DeviceClass *const device_classes[] = {
#define DEVICE(n) &n##_class,
#include "hw/devices.def"
#undef DEVICE
    NULL
};

const DeviceClass *device_class_find(const char *name)
{
    for (unsigned i = 0; device_classes[i]; i++)
        if (!strcmp(device_classes[i]->name, name))
            return device_classes[i];
    return NULL;
}

void device_class_foreach(void (*fn)(const DeviceClass *cls, void *opaque), void *opaque)
{
    for (unsigned i = 0; device_classes[i]; i++)
        fn(device_classes[i], opaque);
}

/* ---- help ------------------------------------------------------------------- */

/* QEMU's category order; a class with another (or no) category is listed last. */
static const char *const category_order[] = {
    "Controller/Bridge/Hub devices", "USB devices", "Storage devices", "Network devices",
    "Input devices", "Display devices", "Sound devices", "Misc devices", "CPU devices",
    "Watchdog devices",
};
#define NCATEGORIES PEMU_ARRAY_SIZE(category_order)

static unsigned category_index(const DeviceClass *cls)
{
    for (unsigned i = 0; i < NCATEGORIES; i++)
        if (cls->category && !strcmp(cls->category, category_order[i]))
            return i;
    return NCATEGORIES;
}

static int class_cmp(const void *a, const void *b)
{
    const DeviceClass *x = *(const DeviceClass *const *)a, *y = *(const DeviceClass *const *)b;
    return strcasecmp(x->name, y->name);
}

/*
 * As QEMU's `-device help`: one group per category, in QEMU's order, each
 * header but the very first category's preceded by a blank line; classes
 * sorted by name; `name "N", bus B, desc "D"`.
 */
void device_print_help(FILE *f)
{
    const DeviceClass *sorted[PEMU_ARRAY_SIZE(device_classes)];
    size_t n = 0;
    for (unsigned i = 0; device_classes[i]; i++)
        sorted[n++] = device_classes[i];
    qsort(sorted, n, sizeof(sorted[0]), class_cmp);
    for (unsigned cat = 0; cat <= NCATEGORIES; cat++) {
        bool printed = false;
        for (size_t i = 0; i < n; i++) {
            const DeviceClass *cls = sorted[i];
            if (category_index(cls) != cat || !cls->user_creatable)
                continue;
            if (!printed) {
                fprintf(f, "%s%s:\n", cat ? "\n" : "",
                        cat < NCATEGORIES ? category_order[cat] : "Uncategorized devices");
                printed = true;
            }
            fprintf(f, "name \"%s\"", cls->name);
            if (cls->bus)
                fprintf(f, ", bus %s", cls->bus);
            if (cls->desc)
                fprintf(f, ", desc \"%s\"", cls->desc);
            fprintf(f, "\n");
        }
    }
}

static const char *prop_type_name(DevicePropType t)
{
    switch (t) {
    case PROP_BOOL: return "bool";
    case PROP_U8: return "uint8";
    case PROP_U16: return "uint16";
    case PROP_U32: return "uint32";
    case PROP_U64: return "uint64";
    case PROP_STR: return "str";
    case PROP_CHARDEV: return "str";
    default: return "?";
    }
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out);
static int parse_bool(const char *v, bool *out);

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * As QEMU's `-device NAME,help`: "  name=<type>", padded to 24 columns,
 * " - " description, " (default: JSON)", the lines sorted.
 */
void device_print_props(FILE *f, const DeviceClass *cls)
{
    unsigned n = 0;
    for (const DeviceProp *p = cls->props; p && p->name; p++)
        n++;
    if (!n) {
        fprintf(f, "There are no options for %s.\n", cls->name);
        return;
    }
    fprintf(f, "%s options:\n", cls->name);
    char **lines = calloc(n, sizeof(*lines));
    if (!lines)
        fatal("out of memory");
    for (unsigned i = 0; i < n; i++) {
        const DeviceProp *p = &cls->props[i];
        char head[128], dflt[96] = "";
        int len = snprintf(head, sizeof(head), "  %s=<%s>", p->name, prop_type_name(p->type));
        const char *help = p->help;
        if (!help && p->type == PROP_CHARDEV)
            help = "ID of a chardev to use as a backend";
        uint64_t u = 0;
        bool b = false;
        switch (p->type) {
        case PROP_BOOL:
            if (p->dflt)
                parse_bool(p->dflt, &b);
            snprintf(dflt, sizeof(dflt), " (default: %s)", b ? "true" : "false");
            break;
        case PROP_U8: case PROP_U16: case PROP_U32: case PROP_U64:
            if (p->dflt)
                parse_u64(p->dflt, UINT64_MAX, &u);
            snprintf(dflt, sizeof(dflt), " (default: %llu)", (unsigned long long)u);
            break;
        case PROP_STR:
            if (p->dflt)
                snprintf(dflt, sizeof(dflt), " (default: \"%s\")", p->dflt);
            break;
        default:
            break;
        }
        size_t sz = (size_t)len + 32 + (help ? strlen(help) : 0) + strlen(dflt);
        char *line = malloc(sz);
        if (!line)
            fatal("out of memory");
        if (help || dflt[0])
            snprintf(line, sz, "%s%*s - %s%s", head, len < 24 ? 24 - len : 0, "", help ? help : "",
                     dflt);
        else
            snprintf(line, sz, "%s", head);
        lines[i] = line;
    }
    qsort(lines, n, sizeof(*lines), line_cmp);
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* ---- properties ------------------------------------------------------------- */

/* Decimal, 0x hex or 0 octal (QEMU's integer properties); no sign. */
static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    if (!v || !*v || *v == '-' || *v == '+' || *v == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end || x > max)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n")) {
        *out = false;
        return 0;
    }
    return -1;
}

static const DeviceProp *prop_find(const DeviceClass *cls, const char *name)
{
    for (const DeviceProp *p = cls->props; p && p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

/* Set one property from text (NULL: a bare key, meaning "on" for bools). */
static int prop_set(Device *dev, const DeviceProp *p, const char *v, Error **errp)
{
    const char *dn = dev->cls->name;
    char *field = (char *)dev + p->offset;
    static const uint64_t max[] = {
        [PROP_U8] = UINT8_MAX, [PROP_U16] = UINT16_MAX, [PROP_U32] = UINT32_MAX,
        [PROP_U64] = UINT64_MAX,
    };
    uint64_t u;
    switch (p->type) {
    case PROP_BOOL: {
        bool b;
        if (parse_bool(v, &b) < 0) {
            error_setg(errp, "%s: property '%s': '%s' is not a bool (use on or off)", dn, p->name, v);
            return -1;
        }
        *(bool *)field = b;
        return 0;
    }
    case PROP_U8: case PROP_U16: case PROP_U32: case PROP_U64:
        if (parse_u64(v, max[p->type], &u) < 0) {
            error_setg(errp, "%s: property '%s': '%s' is not a valid %s (a decimal or 0x-prefixed "
                       "number up to %llu)", dn, p->name, v ? v : "", prop_type_name(p->type),
                       (unsigned long long)max[p->type]);
            return -1;
        }
        switch (p->type) {
        case PROP_U8: *(uint8_t *)field = (uint8_t)u; break;
        case PROP_U16: *(uint16_t *)field = (uint16_t)u; break;
        case PROP_U32: *(uint32_t *)field = (uint32_t)u; break;
        default: *(uint64_t *)field = u; break;
        }
        return 0;
    case PROP_STR: {
        if (!v) {
            error_setg(errp, "%s: property '%s' needs a value (%s=...)", dn, p->name, p->name);
            return -1;
        }
        size_t n = strlen(v) + 1;
        char *copy = malloc(n);
        if (!copy)
            fatal("out of memory");
        memcpy(copy, v, n);
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    case PROP_CHARDEV: {
        if (!v || !*v) {
            error_setg(errp, "%s: property '%s' needs a chardev id (%s=ID)", dn, p->name, p->name);
            return -1;
        }
        Chardev *chr = chardev_find(v);
        if (!chr) {
            error_setg(errp, "%s: property '%s': chardev '%s' not found (define it with "
                       "-chardev BACKEND,id=%s)", dn, p->name, v, v);
            return -1;
        }
        Chardev **slot = (Chardev **)field;
        if (*slot == chr)
            return 0;
        Error *err = NULL;
        if (chardev_claim(chr, &err) < 0) {
            error_setg(errp, "%s: property '%s': %s", dn, p->name, err->msg);
            error_free(err);
            return -1;
        }
        chardev_release(*slot);
        *slot = chr;
        return 0;
    }
    default:
        pemu_abort("%s: property '%s' has a bad type", dn, p->name);
    }
}

/* Release what properties own (strings, chardev claims). */
static void props_free(Device *dev)
{
    for (const DeviceProp *p = dev->cls->props; p && p->name; p++) {
        char *field = (char *)dev + p->offset;
        if (p->type == PROP_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (p->type == PROP_CHARDEV) {
            chardev_release(*(Chardev **)field);
            *(Chardev **)field = NULL;
        }
    }
}

static char *str_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p)
        fatal("out of memory");
    memcpy(p, s, n);
    return p;
}

static int class_instances(Machine *m, const DeviceClass *cls)
{
    int n = 0;
    for (Device *d = m->devices; d; d = d->next)
        n += d->cls == cls;
    return n;
}

void device_add_existing(Machine *m, Device *dev)
{
    Device **tail = &m->devices;
    while (*tail)
        tail = &(*tail)->next;
    dev->instance_id = class_instances(m, dev->cls);
    if (!dev->id) {
        char buf[160];
        snprintf(buf, sizeof(buf), "%s.%d", dev->cls->name, dev->instance_id);
        dev->id = str_dup(buf);
    }
    dev->next = NULL;
    *tail = dev;
    if (dev->cls->reset)
        dev->cls->reset(dev);
    if (dev->cls->vmsd)
        vmstate_register(NULL, dev->instance_id, dev->cls->vmsd, dev);
}

static void device_destroy(Device *dev)
{
    props_free(dev);
    free(dev->id);
    free(dev);
}

/* QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. */
static bool id_valid(const char *id)
{
    if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
        return false;
    for (; *id; id++)
        if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
              (*id >= '0' && *id <= '9') || *id == '-' || *id == '.' || *id == '_'))
            return false;
    return true;
}


Device *device_create_kv(Machine *m, const char *name, const char *const *keys,
                         const char *const *values, unsigned n, Error **errp)
{
    if (!name) {
        for (unsigned i = 0; i < n; i++)
            if (!strcmp(keys[i], "driver") && values[i])
                name = values[i];
        if (!name) {
            error_setg(errp, "-device: the device name is missing (see -device help)");
            return NULL;
        }
    }
    const DeviceClass *cls = device_class_find(name);
    if (!cls) {
        error_setg(errp, "'%s' is not a valid device model name (see -device help)", name);
        return NULL;
    }
    Device *dev = calloc(1, cls->instance_size > sizeof(Device) ? cls->instance_size
                                                                 : sizeof(Device));
    if (!dev)
        fatal("out of memory (device %s)", cls->name);
    dev->cls = cls;
    for (const DeviceProp *p = cls->props; p && p->name; p++) {
        Error *err = NULL;
        if (p->dflt && prop_set(dev, p, p->dflt, &err) < 0)
            pemu_abort("bad default: %s", err->msg);
    }
    const char *id = NULL;
    for (unsigned i = 0; i < n; i++) {
        const char *k = keys[i], *v = values[i];
        if (!strcmp(k, "driver")) {
            if (v && strcmp(v, cls->name)) {
                error_setg(errp, "%s: driver=%s names another device", cls->name, v);
                goto fail;
            }
            continue;
        }
        if (!strcmp(k, "id")) {
            if (!v || !id_valid(v)) {
                error_setg(errp, "%s: id=%s: an id is a letter followed by letters, digits, "
                           "'-', '.' or '_'", cls->name, v ? v : "");
                goto fail;
            }
            id = v;
            continue;
        }
        const DeviceProp *p = prop_find(cls, k);
        if (!p) {
            error_setg(errp, "%s: unknown property '%s' in '%s%s%s' (see -device %s,help)",
                       cls->name, k, k, v ? "=" : "", v ? v : "", cls->name);
            goto fail;
        }
        if (prop_set(dev, p, v, errp) < 0)
            goto fail;
    }
    for (Device *d = m->devices; d; d = d->next) {
        if (id && !strcmp(d->id, id)) {
            error_setg(errp, "Duplicate device ID '%s'", id);
            goto fail;
        }
    }
    if (id)
        dev->id = str_dup(id);
    dev->instance_id = class_instances(m, cls);
    if (cls->realize && cls->realize(dev, m, errp) < 0)
        goto fail;
    device_add_existing(m, dev);
    return dev;
fail:
    device_destroy(dev);
    return NULL;
}

/* "key=value,..." with ",," for a comma in a value; a bare first item is the
 * driver. (src/options.c will own one shared splitter; this one is private.) */
Device *device_create(Machine *m, const char *name, const char *props, Error **errp)
{
    enum { MAXKV = 64 };
    const char *keys[MAXKV], *vals[MAXKV];
    unsigned n = 0;
    char *buf = str_dup(props ? props : "");
    char *r = buf, *w = buf;
    Device *dev = NULL;
    while (*r) {
        if (n == MAXKV) {
            error_setg(errp, "%s: too many properties", name ? name : "-device");
            goto out;
        }
        char *key = w;
        while (*r && *r != '=' && *r != ',')
            *w++ = *r++;
        if (w == key) {
            error_setg(errp, "%s: empty property name in '%s'", name ? name : "-device", props);
            goto out;
        }
        char *val = NULL;
        if (*r == '=') {
            *w++ = '\0';
            r++;
            val = w;
            while (*r && !(r[0] == ',' && r[1] != ',')) {
                if (r[0] == ',')
                    r++; /* ",," */
                *w++ = *r++;
            }
        }
        if (*r == ',')
            r++;
        *w++ = '\0';
        if (n == 0 && !val && !name) {
            keys[n] = "driver";
            vals[n++] = key;
        } else {
            keys[n] = key;
            vals[n++] = val;
        }
    }
    dev = device_create_kv(m, name, keys, vals, n, errp);
out:
    free(buf);
    return dev;
}

void device_reset_all(Machine *m)
{
    for (Device *d = m->devices; d; d = d->next)
        if (d->cls->reset)
            d->cls->reset(d);
}

void device_free_all(Machine *m)
{
    size_t n = 0;
    for (Device *d = m->devices; d; d = d->next)
        n++;
    if (!n)
        return;
    Device **v = malloc(n * sizeof(*v));
    if (!v)
        fatal("out of memory");
    n = 0;
    for (Device *d = m->devices; d; d = d->next)
        v[n++] = d;
    m->devices = NULL;
    while (n--) {
        Device *d = v[n];
        if (d->cls->vmsd)
            vmstate_unregister(d->cls->vmsd, d);
        if (d->cls->unrealize)
            d->cls->unrealize(d);
        device_destroy(d);
    }
    free(v);
}
