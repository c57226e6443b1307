/*
 * isa-debug-exit: a write of V to its ports ends pemu with exit status
 * (V << 1) | 1, V of the access width, as QEMU's device: guest test
 * programs report pass/fail through it (an odd status, never 0, so a
 * crash of the emulator cannot look like a pass).
 */
#include "src/device.h"
#include "src/machine.h"

typedef struct DebugExitState {
    Device dev;
    uint32_t iobase, iosize;
    Machine *m;
    MemoryRegion *io;
} DebugExitState;

static void debugexit_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    DebugExitState *s = opaque;
    machine_request_exit(s->m, (int)(((uint32_t)val << 1) | 1));
}

static const MemOps debugexit_ops = {
    .write = debugexit_write,
    .valid = { 1, 4 },
    .impl = { 1, 4 },
};

static int debugexit_realize(Device *dev, Machine *m, Error **errp)
{
    DebugExitState *s = (DebugExitState *)dev;
    if (!s->iosize || s->iobase >= IOPORT_SPACE_SIZE || s->iosize > IOPORT_SPACE_SIZE - s->iobase) {
        error_setg(errp, "isa-debug-exit: iobase=0x%x,iosize=0x%x does not fit the I/O space "
                   "(0-0xffff)", s->iobase, s->iosize);
        return -1;
    }
    s->m = m;
    s->io = ioport_register(m->io, (uint16_t)s->iobase, s->iosize, &debugexit_ops, s,
                            "isa-debug-exit");
    return 0;
}

static void debugexit_unrealize(Device *dev)
{
    DebugExitState *s = (DebugExitState *)dev;
    ioport_unregister(s->m->io, s->io);
}

static const DeviceProp debugexit_props[] = {
    DEVICE_PROP("iobase", PROP_U32, DebugExitState, iobase, "0x501", NULL),
    DEVICE_PROP("iosize", PROP_U32, DebugExitState, iosize, "2", NULL),
    DEVICE_PROP_END
};

const DeviceClass isa_debug_exit_class = {
    .name = "isa-debug-exit",
    .desc = "exit with status (value << 1) | 1 on a write",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(DebugExitState),
    .props = debugexit_props,
    .user_creatable = true,
    .realize = debugexit_realize,
    .unrealize = debugexit_unrealize,
};
