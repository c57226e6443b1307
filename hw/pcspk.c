/*
 * Port 0x61: the AT's system control port B (the 8042-era "keyboard
 * controller port B"), with the PC speaker behind it.
 *
 *   bit 0  R/W  PIT channel 2 GATE
 *   bit 1  R/W  speaker data enable (ANDed with channel 2's OUT)
 *   bit 2  R/W  parity check (SERR#) NMI disable
 *   bit 3  R/W  channel check (IOCHK#) NMI disable
 *   bit 4  R    refresh request: toggles on every DRAM refresh cycle, i.e.
 *               each 18 PIT clocks (15.085 us); SeaBIOS and DOS programs
 *               time short delays by counting its edges
 *   bit 5  R    PIT channel 2 OUT
 *   bit 6  R    IOCHK# NMI status (no source here: 0)
 *   bit 7  R    SERR#/parity NMI status (no source here: 0)
 *
 * The speaker produces no audio: pemu has no sound backend yet. Everything
 * the guest can observe through the port is modelled.
 */
#include "hw/pcspk.h"

#include "hw/i8254.h"
#include "src/ioport.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define REFRESH_PIT_CLOCKS 18

typedef struct PCSpkState {
    Device dev;
    Machine *m;
    Device *pit;
    uint8_t ctrl;        /* bits 0-3 as written */
    MemoryRegion *io;
} PCSpkState;

void pcspk_set_pit(Device *spk, Device *pit)
{
    ((PCSpkState *)spk)->pit = pit;
}

static Device *pcspk_pit(PCSpkState *s)
{
    if (!s->pit && s->m) {
        for (Device *d = s->m->devices; d; d = d->next) {
            if (d->cls == &i8254_class) {
                s->pit = d;
                break;
            }
        }
    }
    return s->pit;
}

/* Refresh toggle from the virtual clock: PIT clock ticks / 18, low bit. */
static int pcspk_refresh(void)
{
    int64_t ns = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    int64_t q = ns / NS_PER_SEC, r = ns % NS_PER_SEC;
    int64_t ticks = q * PIT_FREQ + r * PIT_FREQ / NS_PER_SEC;
    return (int)((ticks / REFRESH_PIT_CLOCKS) & 1);
}

static uint64_t pcspk_read(void *opaque, hwaddr off, unsigned size)
{
    PCSpkState *s = opaque;
    Device *pit = pcspk_pit(s);
    (void)off;
    (void)size;
    return (uint64_t)((s->ctrl & 0x0f) | pcspk_refresh() << 4 |
                      (pit ? i8254_get_out(pit, 2) : 0) << 5);
}

static void pcspk_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCSpkState *s = opaque;
    Device *pit = pcspk_pit(s);
    (void)off;
    (void)size;
    s->ctrl = (uint8_t)(val & 0x0f);
    if (pit)
        i8254_set_gate(pit, 2, s->ctrl & 1);
}

static const MemOps pcspk_ops = { pcspk_read, pcspk_write, { 1, 4 }, { 1, 1 } };

static int pcspk_realize(Device *dev, Machine *m, Error **errp)
{
    PCSpkState *s = (PCSpkState *)dev;
    (void)errp;
    s->m = m;
    s->io = ioport_register(m->io, 0x61, 1, &pcspk_ops, s, "port61");
    return 0;
}

static void pcspk_unrealize(Device *dev)
{
    PCSpkState *s = (PCSpkState *)dev;
    ioport_unregister(s->m->io, s->io);
}

static void pcspk_reset(Device *dev)
{
    PCSpkState *s = (PCSpkState *)dev;
    s->ctrl = 0;
    Device *pit = pcspk_pit(s);
    if (pit)
        i8254_set_gate(pit, 2, 0);
}

static const VMStateDescription vmstate_pcspk = {
    .name = "pcspk", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(ctrl, PCSpkState),
        VMSTATE_END
    },
};

const DeviceClass pcspk_class = {
    .name = "isa-pcspk",
    .desc = "port 0x61: PIT channel 2 gate/output, refresh toggle, PC speaker (no audio)",
    .category = "Sound devices",
    .bus = "ISA",
    .instance_size = sizeof(PCSpkState),
    .realize = pcspk_realize,
    .reset = pcspk_reset,
    .unrealize = pcspk_unrealize,
    .vmsd = &vmstate_pcspk,
};
