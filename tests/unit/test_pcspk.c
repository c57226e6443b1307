/* hw/pcspk: port 0x61 with the PIT behind it, on a controlled clock. */
#include "unit.h"

#include <stdlib.h>
#include "hw/i8254.h"
#include "hw/pcspk.h"
#include "src/ioport.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/timer.h"

static int64_t fake_ns;
static int64_t fake_now(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

typedef struct Rig {
    Machine m;
    Device *pit, *spk;
} Rig;

static Device *make(Rig *r, const DeviceClass *cls)
{
    Error *err = NULL;
    Device *d = calloc(1, cls->instance_size);
    d->cls = cls;
    if (cls->realize(d, &r->m, &err) < 0)
        abort();
    cls->reset(d);
    /* append, as device.c keeps creation order */
    Device **p = &r->m.devices;
    while (*p)
        p = &(*p)->next;
    *p = d;
    return d;
}

static void rig_init(Rig *r)
{
    memset(r, 0, sizeof(*r));
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);
    r->m.sysmem = memory_region_new_container("sysmem", UINT64_MAX, NULL);
    r->m.as = address_space_new("memory", r->m.sysmem);
    r->m.io = ioport_space_new("io");
    r->pit = make(r, &i8254_class);
    r->spk = make(r, &pcspk_class); /* finds the PIT through m->devices */
}

static int64_t tick_ns(int64_t k)
{
    return (k * 1000000000 + PIT_FREQ - 1) / PIT_FREQ;
}

static void to_tick(int64_t k)
{
    fake_ns = tick_ns(k);
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
}

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m.io, port, v, 1); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m.io, port, 1); }

TEST(control_bits_and_status_bits)
{
    Rig r;
    rig_init(&r);
    CHECK_EQ(inb(&r, 0x61) & 0xcf, 0x00);
    outb(&r, 0x61, 0xff);
    /* bits 0-3 read back; 4-7 are status; NMI status (6, 7) is 0 */
    CHECK_EQ(inb(&r, 0x61) & 0xcf, 0x0f);
    CHECK_EQ(i8254_get_gate(r.pit, 2), 1);
    outb(&r, 0x61, 0x0e);
    CHECK_EQ(i8254_get_gate(r.pit, 2), 0);
    CHECK_EQ(inb(&r, 0x61) & 0x0f, 0x0e);
    pcspk_class.reset(r.spk);
    CHECK_EQ(inb(&r, 0x61) & 0x0f, 0x00);
}

TEST(refresh_toggle_every_15us)
{
    Rig r;
    rig_init(&r);
    /* bit 4 flips each 18 PIT clocks: 15.085 us */
    int flips = 0, last = inb(&r, 0x61) & 0x10;
    int64_t last_flip = 0;
    for (int64_t ns = 0; ns <= 1000000; ns += 100) {
        fake_ns = ns;
        int b = inb(&r, 0x61) & 0x10;
        if (b != last) {
            if (flips > 0) {
                int64_t dt = ns - last_flip;
                CHECK(dt >= 15000 && dt <= 15200);
            }
            flips++;
            last_flip = ns;
            last = b;
        }
    }
    /* 1 ms / 15.0857 us */
    CHECK(flips >= 65 && flips <= 67);
}

TEST(square_wave_on_bit5)
{
    Rig r;
    rig_init(&r);
    /* channel 2, mode 3, count 100: 11931.82 Hz as a beep program would */
    outb(&r, 0x43, 0xb6);
    outb(&r, 0x42, 100);
    outb(&r, 0x42, 0);
    to_tick(10);
    CHECK_EQ(inb(&r, 0x61) & 0x20, 0x20); /* gate low: OUT high */
    outb(&r, 0x61, 0x03);                  /* gate on, speaker on; loads at 11 */
    for (int k = 0; k < 300; k++) {
        to_tick(11 + k);
        int want = (k % 100) < 50 ? 0x20 : 0;
        CHECK_EQ(inb(&r, 0x61) & 0x20, want);
    }
    outb(&r, 0x61, 0x00);
    CHECK_EQ(inb(&r, 0x61) & 0x20, 0x20);
}

TEST(seabios_style_delay_with_mode0)
{
    /* Program channel 2 in mode 0 and poll bit 5 until the terminal count. */
    Rig r;
    rig_init(&r);
    outb(&r, 0x61, 0x00);
    outb(&r, 0x43, 0xb0);                  /* ch2 LSB/MSB mode 0 */
    outb(&r, 0x42, 0xe8);
    outb(&r, 0x42, 0x03);                  /* 1000 clocks = 838 us */
    to_tick(5);
    outb(&r, 0x61, 0x01);                  /* gate on at tick 5 */
    int64_t k = 5;
    while (!(inb(&r, 0x61) & 0x20) && k < 5000)
        to_tick(++k);
    CHECK_EQ(k, 5 + 1000);
}

TEST(explicit_pit_link)
{
    Rig r;
    rig_init(&r);
    /* a speaker not in the machine's list still works once linked */
    Error *err = NULL;
    Machine m2 = r.m;
    m2.devices = NULL;
    m2.io = ioport_space_new("io2");
    Device *spk = calloc(1, pcspk_class.instance_size);
    spk->cls = &pcspk_class;
    CHECK_EQ(pcspk_class.realize(spk, &m2, &err), 0);
    pcspk_class.reset(spk);
    ioport_write(m2.io, 0x61, 0x01, 1);
    CHECK_EQ(i8254_get_gate(r.pit, 2), 0); /* not connected */
    pcspk_set_pit(spk, r.pit);
    ioport_write(m2.io, 0x61, 0x01, 1);
    CHECK_EQ(i8254_get_gate(r.pit, 2), 1);
}
