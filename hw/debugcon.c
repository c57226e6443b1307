/*
 * isa-debugcon: the Bochs/QEMU debug console port (0xe9 by default). Bytes
 * written go to a chardev; reads return the readback value (0xe9), which
 * is how a guest detects the port.
 */
#include "src/chardev.h"
#include "src/device.h"
#include "src/machine.h"

typedef struct DebugconState {
    Device dev;
    uint32_t iobase, readback;
    Chardev *chr;
    Machine *m;
    MemoryRegion *io;
} DebugconState;

static uint64_t debugcon_read(void *opaque, hwaddr off, unsigned size)
{
    DebugconState *s = opaque;
    return s->readback;
}

static void debugcon_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    DebugconState *s = opaque;
    uint8_t ch = (uint8_t)val;
    /* A byte the chardev cannot queue is dropped: the guest is never held. */
    chardev_write(s->chr, &ch, 1);
}

/* One byte port; a wider access is split into bytes (outw sends two). */
static const MemOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .valid = { 1, 4 },
    .impl = { 1, 1 },
};

static int debugcon_realize(Device *dev, Machine *m, Error **errp)
{
    DebugconState *s = (DebugconState *)dev;
    if (s->iobase >= IOPORT_SPACE_SIZE) {
        error_setg(errp, "isa-debugcon: iobase=0x%x is outside the I/O space (0-0xffff)",
                   s->iobase);
        return -1;
    }
    s->m = m;
    s->io = ioport_register(m->io, (uint16_t)s->iobase, 1, &debugcon_ops, s, "isa-debugcon");
    return 0;
}

static void debugcon_unrealize(Device *dev)
{
    DebugconState *s = (DebugconState *)dev;
    ioport_unregister(s->m->io, s->io);
}

static const DeviceProp debugcon_props[] = {
    DEVICE_PROP("iobase", PROP_U32, DebugconState, iobase, "0xe9", NULL),
    DEVICE_PROP("readback", PROP_U32, DebugconState, readback, "0xe9", NULL),
    DEVICE_PROP("chardev", PROP_CHARDEV, DebugconState, chr, NULL, NULL),
    DEVICE_PROP_END
};

const DeviceClass isa_debugcon_class = {
    .name = "isa-debugcon",
    .desc = "Bochs-style debug console port",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(DebugconState),
    .props = debugcon_props,
    .user_creatable = true,
    .realize = debugcon_realize,
    .unrealize = debugcon_unrealize,
};
