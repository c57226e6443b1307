/*
 * The device model (LAYOUT.md interface 4). A device class describes one
 * kind of device: its -device name, properties, and what it does at
 * realize (wire itself to the machine) and reset. Devices reach the rest of
 * pemu only through the Machine's memory regions, I/O port space, IRQ
 * lines, timers (src/timer.h), chardevs (src/chardev.h) and their vmstate
 * field table, so every engine (interpreter, JIT, KVM) drives them unchanged.
 *
 * Every class is listed once in hw/devices.def; a device file defines
 *     const DeviceClass <name>_class = { ... };
 * for the entry DEVICE(<name>) there.
 */
#ifndef PEMU_DEVICE_H
#define PEMU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

typedef struct Machine Machine;
typedef struct Device Device;
typedef struct VMStateDescription VMStateDescription;

typedef enum DevicePropType {
    PROP_BOOL,    /* bool:       on/off, yes/no, true/false */
    PROP_U8, PROP_U16, PROP_U32, PROP_U64, /* accepts 0x.. and decimal */
    PROP_STR,     /* char *:     owned by the device, freed by device_free */
    PROP_CHARDEV, /* Chardev *:  resolved from a -chardev id */
    PROP_END
} DevicePropType;

typedef struct DeviceProp {
    const char *name;
    DevicePropType type;
    size_t offset;        /* in the device's instance struct */
    const char *dflt;     /* default as text, parsed like user input; NULL = zero */
    const char *help;
} DeviceProp;

#define DEVICE_PROP(name_, type_, T, field, dflt_, help_) \
    { name_, type_, offsetof(T, field), dflt_, help_ }
#define DEVICE_PROP_END { NULL, PROP_END, 0, NULL, NULL }

typedef struct DeviceClass {
    const char *name;       /* -device name, e.g. "isa-debug-exit" */
    const char *desc;       /* one line for -device help */
    const char *category;   /* -device help group, as QEMU: "Misc devices", "Storage devices",
                               "Display devices", "Input devices", "Network devices",
                               "Controller/Bridge/Hub devices", "Sound devices" */
    const char *bus;        /* "ISA", "PCI" or NULL (system) — shown by -device help */
    size_t instance_size;   /* the instance struct begins with a Device */
    const DeviceProp *props;
    bool user_creatable;    /* may be created with -device */
    /* Wire the device to the machine: map regions, register ports, take IRQ lines. */
    int (*realize)(Device *dev, Machine *m, Error **errp);
    /* Power-on / system_reset state. Called after realize and on every reset. */
    void (*reset)(Device *dev);
    void (*unrealize)(Device *dev);
    const VMStateDescription *vmsd; /* state saved by savevm; NULL = stateless */
} DeviceClass;

struct Device {
    const DeviceClass *cls;
    char *id;               /* -device ...,id=X or a generated name */
    int instance_id;        /* for vmstate: 0, 1, ... per class */
    Device *next;           /* in the machine's device list, in creation order */
};

/* Every class in hw/devices.def. */
const DeviceClass *device_class_find(const char *name);
void device_class_foreach(void (*fn)(const DeviceClass *cls, void *opaque), void *opaque);
/* -device help: QEMU's layout, grouped by category, user-creatable only. */
void device_print_help(FILE *f);
/* -device NAME,help: the class's properties. */
void device_print_props(FILE *f, const DeviceClass *cls);

/*
 * Create a device, apply "key=value,..." properties (QEMU's ,, escaping;
 * "driver=" and "id=" are understood), realize it on the machine and
 * register its vmstate. Unknown properties and bad values are errors
 * naming the device, the property and the value.
 */
Device *device_create(Machine *m, const char *name, const char *props, Error **errp);
/* As above with properties already split into pairs (used by options.c's parsed lists). */
Device *device_create_kv(Machine *m, const char *name, const char *const *keys,
                         const char *const *values, unsigned n, Error **errp);
/*
 * Adopt a device a board created and realized itself (i440fx_init and the
 * like): give it an instance id and name, append it to the machine's list,
 * reset it and register its vmstate, as device_create does.
 */
void device_add_existing(Machine *m, Device *dev);
void device_reset_all(Machine *m);   /* in creation order */
void device_free_all(Machine *m);    /* unrealize in reverse creation order */

#endif
