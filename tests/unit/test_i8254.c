/* hw/i8254: the PIT through its ports, with the virtual clock driven by a
 * fake instruction counter so that every tick is controlled. */
#include "unit.h"

#include <stdlib.h>
#include "hw/i8254.h"
#include "src/ioport.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/timer.h"
#include "src/vmstate.h"

static int64_t fake_ns;
static int64_t fake_now(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

typedef struct Rig {
    Machine m;
    Device *pit;
    int level;
    int rises;
    int64_t rise_ns[4096];
} Rig;

static void irq0(void *opaque, int n, int level)
{
    Rig *r = opaque;
    (void)n;
    if (level && !r->level && r->rises < 4096)
        r->rise_ns[r->rises++] = fake_ns;
    r->level = level;
}

static void rig_init(Rig *r)
{
    Error *err = NULL;
    memset(r, 0, sizeof(*r));
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);
    r->m.sysmem = memory_region_new_container("sysmem", UINT64_MAX, NULL);
    r->m.as = address_space_new("memory", r->m.sysmem);
    r->m.io = ioport_space_new("io");
    r->m.isa_irq[0] = irq_new(irq0, r, 0);
    r->pit = calloc(1, i8254_class.instance_size);
    r->pit->cls = &i8254_class;
    if (i8254_class.realize(r->pit, &r->m, &err) < 0)
        abort();
    i8254_class.reset(r->pit);
    r->rises = 0;
}

/* Move the clock to `target`, running every timer at its own deadline as
 * a CPU loop polling timers precisely would. */
static void advance_to(int64_t target)
{
    for (;;) {
        int64_t e = timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL);
        if (e < 0 || e > target)
            break;
        if (e > fake_ns)
            fake_ns = e;
        timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    }
    fake_ns = target;
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
}

/* The first ns at which PIT clock tick k has happened (1.193182 MHz). */
static int64_t tick_ns(int64_t k)
{
    return (k * 1000000000 + PIT_FREQ - 1) / PIT_FREQ;
}

static void to_tick(int64_t k) { advance_to(tick_ns(k)); }

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m.io, port, v, 1); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m.io, port, 1); }

static void program(Rig *r, int ch, int mode, unsigned count)
{
    outb(r, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
    outb(r, (uint16_t)(0x40 + ch), (uint8_t)count);
    outb(r, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static unsigned read16(Rig *r, int ch)
{
    unsigned lo = inb(r, (uint16_t)(0x40 + ch));
    return lo | (unsigned)inb(r, (uint16_t)(0x40 + ch)) << 8;
}

static unsigned latch_read(Rig *r, int ch)
{
    outb(r, 0x43, (uint8_t)(ch << 6));
    return read16(r, ch);
}

TEST(mode2_irq0_at_programmed_rate)
{
    Rig r;
    rig_init(&r);
    const unsigned n = 1193; /* ~1000 Hz, Linux's HZ=1000 divisor */
    program(&r, 0, 2, n);
    r.rises = 0;
    advance_to(NS_PER_SEC);
    /* loaded on tick 1, an edge every n ticks after */
    CHECK_EQ(r.rises, (PIT_FREQ - 1) / n);
    int64_t lo = (int64_t)n * NS_PER_SEC / PIT_FREQ, hi = lo + 1;
    CHECK(r.rise_ns[0] >= tick_ns(n) && r.rise_ns[0] <= tick_ns(n + 1));
    for (int i = 1; i < r.rises; i++) {
        int64_t dt = r.rise_ns[i] - r.rise_ns[i - 1];
        CHECK(dt >= lo && dt <= hi);
    }
    /* the output is low for exactly one clock before each reload */
    to_tick(1 + 10 * (int64_t)n - 1);
    CHECK_EQ(i8254_get_out(r.pit, 0), 0);
    to_tick(1 + 10 * (int64_t)n);
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
}

TEST(mode2_count_and_latch_while_counting)
{
    Rig r;
    rig_init(&r);
    program(&r, 0, 2, 1000);
    to_tick(1);
    CHECK_EQ(read16(&r, 0), 1000);
    to_tick(1 + 250);
    CHECK_EQ(read16(&r, 0), 750);
    to_tick(1 + 1999);
    CHECK_EQ(read16(&r, 0), 1);        /* 1 is the last count, then reload */
    to_tick(1 + 2000);
    CHECK_EQ(read16(&r, 0), 1000);
    /* a latched count holds while the counter runs on */
    to_tick(1 + 2100);
    outb(&r, 0x43, 0x00);
    to_tick(1 + 2400);
    outb(&r, 0x43, 0x00);              /* a second latch is ignored */
    CHECK_EQ(inb(&r, 0x40), (900 & 0xff));
    to_tick(1 + 2500);
    CHECK_EQ(inb(&r, 0x40), 900 >> 8);
    CHECK_EQ(read16(&r, 0), 500);      /* unlatched again */
}

TEST(readback_status_and_count)
{
    Rig r;
    rig_init(&r);
    outb(&r, 0x43, 0xb6);              /* ch2, LSB/MSB, mode 3, binary */
    /* status: OUT high (mode 3 after the control word), null count */
    outb(&r, 0x43, 0xe8);              /* read-back status only, ch2 */
    CHECK_EQ(inb(&r, 0x42), 0x80 | 0x40 | 0x30 | 3 << 1);
    outb(&r, 0x42, 0x10);
    outb(&r, 0x42, 0x00);              /* 16; gate low: loads, holds */
    to_tick(5);
    outb(&r, 0x43, 0xe8);
    CHECK_EQ(inb(&r, 0x42), 0xb6);     /* count loaded: null count clear */
    i8254_set_gate(r.pit, 2, 1);

    outb(&r, 0x43, 0x14);              /* ch0 LSB only, mode 2 */
    outb(&r, 0x40, 100);
    outb(&r, 0x43, 0x7a);              /* ch1 LSB/MSB, mode 5 */
    outb(&r, 0x41, 0x34);
    outb(&r, 0x41, 0x12);
    to_tick(10);
    /* count and status of all three; each channel: status, then count */
    outb(&r, 0x43, 0xce);
    to_tick(20);                       /* values were latched at tick 10 */
    CHECK_EQ(inb(&r, 0x40), 0x94);     /* OUT high, LSB, mode 2 */
    CHECK_EQ(inb(&r, 0x40), 100 - (10 - 6));
    CHECK_EQ(inb(&r, 0x41), 0x40 | 0x80 | 0x30 | 5 << 1 | 0); /* mode 5 untriggered */
    CHECK_EQ(inb(&r, 0x42), 0x80 | 0x30 | 3 << 1); /* gate rose at tick 5: loaded at 6 */
    CHECK_EQ(inb(&r, 0x42), 16 - 2 * ((10 - 6) % 8)); /* counts by two */
    CHECK_EQ(inb(&r, 0x42), 0);
    /* the count alone, channel 0 only: no status first */
    outb(&r, 0x43, 0xd2);
    CHECK_EQ(inb(&r, 0x40), 100 - (20 - 6));
    /* status alone leaves the counter readable live */
    outb(&r, 0x43, 0xe2);
    CHECK_EQ(inb(&r, 0x40), 0x94);
    to_tick(30);
    CHECK_EQ(inb(&r, 0x40), 100 - (30 - 6));
}

TEST(mode0_interrupt_on_terminal_count)
{
    Rig r;
    rig_init(&r);
    outb(&r, 0x43, 0x30);
    CHECK_EQ(r.level, 0);              /* OUT low from the control word */
    r.rises = 0;
    outb(&r, 0x40, 0x00);
    outb(&r, 0x40, 0x01);              /* 256 */
    to_tick(256);
    CHECK_EQ(r.rises, 0);
    CHECK_EQ(read16(&r, 0), 1);
    to_tick(257);                      /* N+1 clocks after the write */
    CHECK_EQ(r.rises, 1);
    CHECK_EQ(r.rise_ns[0], tick_ns(257));
    CHECK_EQ(read16(&r, 0), 0);
    to_tick(300);
    CHECK_EQ(read16(&r, 0), 0xffff - 42); /* wraps and keeps counting */
    advance_to(NS_PER_SEC);
    CHECK_EQ(r.rises, 1);              /* once */
    CHECK_EQ(r.level, 1);
    /* a new count's first byte drops OUT and stops counting */
    int64_t t = 1193182 + 10;
    to_tick(t);
    outb(&r, 0x40, 0x10);
    CHECK_EQ(r.level, 0);
    unsigned held = latch_read(&r, 0);
    to_tick(t + 100);
    CHECK_EQ(latch_read(&r, 0), held);
    outb(&r, 0x40, 0x00);              /* 16 */
    to_tick(t + 100 + 16);
    CHECK_EQ(r.level, 0);
    to_tick(t + 100 + 17);
    CHECK_EQ(r.level, 1);
    CHECK_EQ(r.rises, 2);
}

TEST(mode0_gate_pauses_counting)
{
    Rig r;
    rig_init(&r);
    program(&r, 2, 0, 100);            /* gate 2 low: loads but holds */
    to_tick(50);
    CHECK_EQ(read16(&r, 2), 100);
    i8254_set_gate(r.pit, 2, 1);
    to_tick(80);
    CHECK_EQ(read16(&r, 2), 70);
    i8254_set_gate(r.pit, 2, 0);
    to_tick(500);
    CHECK_EQ(read16(&r, 2), 70);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    i8254_set_gate(r.pit, 2, 1);
    to_tick(569);
    CHECK_EQ(read16(&r, 2), 1);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    to_tick(570);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
}

TEST(mode1_hardware_one_shot)
{
    Rig r;
    rig_init(&r);
    program(&r, 2, 1, 50);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
    to_tick(100);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1); /* armed, not triggered */
    i8254_set_gate(r.pit, 2, 1);       /* trigger at tick 100 */
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
    to_tick(101);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    CHECK_EQ(read16(&r, 2), 50);
    to_tick(130);
    /* retrigger restarts the pulse */
    i8254_set_gate(r.pit, 2, 0);
    i8254_set_gate(r.pit, 2, 1);
    to_tick(131 + 49);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    to_tick(131 + 50);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
    /* a new count waits for the next trigger */
    program(&r, 2, 1, 10);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
    outb(&r, 0x43, 0xe8);
    CHECK_EQ(inb(&r, 0x42) & 0x40, 0x40); /* null count until triggered */
}

TEST(mode3_square_wave_even_and_odd)
{
    Rig r;
    rig_init(&r);
    i8254_set_gate(r.pit, 2, 1);
    program(&r, 2, 3, 8);              /* loaded at tick 1 */
    static const int want8[8] = { 1, 1, 1, 1, 0, 0, 0, 0 };
    static const unsigned val8[8] = { 8, 6, 4, 2, 8, 6, 4, 2 };
    for (int k = 0; k < 24; k++) {
        to_tick(1 + k);
        CHECK_EQ(i8254_get_out(r.pit, 2), want8[k % 8]);
        CHECK_EQ(latch_read(&r, 2), val8[k % 8]);
    }
    /* odd N = 5: high (N+1)/2 = 3 clocks, low 2; the CE loads N-1 */
    i8254_set_gate(r.pit, 2, 0);
    program(&r, 2, 3, 5);
    to_tick(100);
    i8254_set_gate(r.pit, 2, 1);       /* reload on the next clock: 101 */
    static const int want5[5] = { 1, 1, 1, 0, 0 };
    static const unsigned val5[5] = { 4, 2, 0, 4, 2 };
    for (int k = 0; k < 15; k++) {
        to_tick(101 + k);
        CHECK_EQ(i8254_get_out(r.pit, 2), want5[k % 5]);
        CHECK_EQ(latch_read(&r, 2), val5[k % 5]);
    }
    /* gate low forces OUT high */
    to_tick(101 + 15 + 3);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    i8254_set_gate(r.pit, 2, 0);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
}

TEST(mode3_irq0_edges_and_new_count_at_half_cycle)
{
    Rig r;
    rig_init(&r);
    program(&r, 0, 3, 1000);
    r.rises = 0;
    to_tick(1 + 10 * 1000);
    CHECK_EQ(r.rises, 10);
    CHECK_EQ(r.rise_ns[3], tick_ns(1 + 4 * 1000));
    to_tick(1 + 10 * 1000 + 100);      /* in the high half */
    program(&r, 0, 3, 400);            /* (control word restarts: mode write) */
    /* a count alone (no control word) waits for the end of the half */
    to_tick(1 + 10 * 1000 + 100 + 1 + 50);
    int64_t s = 1 + 10 * 1000 + 100 + 1; /* the 400 count started here */
    outb(&r, 0x40, 0x58);
    outb(&r, 0x40, 0x02);              /* 600 */
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
    to_tick(s + 199);
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
    to_tick(s + 200);                  /* end of the 400-count high half */
    CHECK_EQ(i8254_get_out(r.pit, 0), 0);
    CHECK_EQ(latch_read(&r, 0), 600);  /* new count, low half */
    int rises = r.rises;
    to_tick(s + 200 + 299);
    CHECK_EQ(i8254_get_out(r.pit, 0), 0);
    to_tick(s + 200 + 300);
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
    CHECK_EQ(r.rises, rises + 1);
    to_tick(s + 200 + 300 + 600);
    CHECK_EQ(r.rises, rises + 2);
}

TEST(mode2_new_count_at_end_of_period)
{
    Rig r;
    rig_init(&r);
    program(&r, 0, 2, 100);
    to_tick(1 + 30);
    outb(&r, 0x40, 50);
    outb(&r, 0x40, 0);
    outb(&r, 0x43, 0xe2);
    CHECK_EQ(inb(&r, 0x40) & 0x40, 0x40); /* null count: not loaded yet */
    CHECK_EQ(read16(&r, 0), 70);       /* the old period goes on */
    r.rises = 0;
    to_tick(1 + 100);
    CHECK_EQ(r.rises, 1);
    CHECK_EQ(read16(&r, 0), 50);
    outb(&r, 0x43, 0xe2);
    CHECK_EQ(inb(&r, 0x40) & 0x40, 0);
    to_tick(1 + 100 + 50 * 4);
    CHECK_EQ(r.rises, 5);
}

TEST(mode4_and_mode5_strobes)
{
    Rig r;
    rig_init(&r);
    program(&r, 0, 4, 20);
    r.rises = 0;
    CHECK_EQ(r.level, 1);
    to_tick(1 + 19);
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
    to_tick(1 + 20);                   /* count 0: OUT low one clock */
    CHECK_EQ(i8254_get_out(r.pit, 0), 0);
    to_tick(1 + 21);
    CHECK_EQ(i8254_get_out(r.pit, 0), 1);
    CHECK_EQ(r.rises, 1);
    CHECK_EQ(r.rise_ns[0], tick_ns(1 + 21));
    to_tick(100000);
    CHECK_EQ(r.rises, 1);              /* once */

    program(&r, 2, 5, 30);
    to_tick(100100);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1); /* nothing before a trigger */
    outb(&r, 0x43, 0xe8);
    CHECK_EQ(inb(&r, 0x42), 0xc0 | 0x30 | 5 << 1);
    i8254_set_gate(r.pit, 2, 1);
    to_tick(100101 + 29);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
    to_tick(100101 + 30);
    CHECK_EQ(i8254_get_out(r.pit, 2), 0);
    to_tick(100101 + 31);
    CHECK_EQ(i8254_get_out(r.pit, 2), 1);
}

TEST(bcd_counting)
{
    Rig r;
    rig_init(&r);
    outb(&r, 0x43, 0x35);              /* ch0 LSB/MSB mode 2 BCD */
    outb(&r, 0x40, 0x00);
    outb(&r, 0x40, 0x10);              /* 1000 decimal */
    to_tick(1 + 1);
    CHECK_EQ(read16(&r, 0), 0x0999);
    to_tick(1 + 990);
    CHECK_EQ(read16(&r, 0), 0x0010);
    r.rises = 0;
    to_tick(1 + 3000);
    CHECK_EQ(r.rises, 3);
    /* a count of 0 is 10000 in BCD */
    outb(&r, 0x43, 0x31);              /* mode 0 BCD */
    outb(&r, 0x40, 0);
    outb(&r, 0x40, 0);
    int64_t s = 1 + 3000 + 1;
    to_tick(s + 1);
    CHECK_EQ(read16(&r, 0), 0x9999);
    to_tick(s + 9999);
    CHECK_EQ(read16(&r, 0), 0x0001);
    to_tick(s + 10001);
    CHECK_EQ(read16(&r, 0), 0x9999);   /* wraps modulo 10000 */
}

TEST(access_modes_lsb_msb)
{
    Rig r;
    rig_init(&r);
    outb(&r, 0x43, 0x14);              /* ch0 LSB only, mode 2 */
    outb(&r, 0x40, 200);
    to_tick(1 + 50);
    CHECK_EQ(inb(&r, 0x40), 150);
    CHECK_EQ(inb(&r, 0x40), 150);      /* LSB every time */
    outb(&r, 0x43, 0x24);              /* MSB only: count 0x0300 */
    outb(&r, 0x40, 0x03);
    to_tick(1 + 50 + 1 + 0x101);
    CHECK_EQ(inb(&r, 0x40), 0x01);     /* 0x300 - 0x101 = 0x1ff */
    outb(&r, 0x43, 0x00);
    CHECK_EQ(inb(&r, 0x40), 0x01);     /* a latch is one byte in MSB mode */
    CHECK_EQ(inb(&r, 0x40), 0x01);
    /* RW=3: LSB and MSB alternate, the read and write sequences separately */
    outb(&r, 0x43, 0x34);              /* at tick 309 */
    outb(&r, 0x40, 0x34);
    (void)inb(&r, 0x40);               /* a read between the writes: an LSB */
    outb(&r, 0x40, 0x12);              /* 0x1234, loaded at tick 310 */
    to_tick(310 + 0x10);
    CHECK_EQ(inb(&r, 0x40), 0x12);     /* the read sequence was at the MSB */
    CHECK_EQ(inb(&r, 0x40), 0x24);
    CHECK_EQ(inb(&r, 0x40), 0x12);
}

TEST(vmstate_round_trip)
{
    Rig r;
    Error *err = NULL;
    rig_init(&r);
    program(&r, 0, 2, 500);
    i8254_set_gate(r.pit, 2, 1);
    program(&r, 2, 3, 30);
    to_tick(1234);
    outb(&r, 0x43, 0x00);              /* a pending latch is state too */
    vmstate_register("i8254", 0, i8254_class.vmsd, r.pit);
    VMStream *st = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(st, &err), 0);
    size_t len;
    const uint8_t *d = vmstate_stream_data(st, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, d, len);
    int64_t deadline = timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL);

    program(&r, 0, 0, 7);
    program(&r, 2, 1, 9);
    CHECK(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL) != deadline);

    VMStream *in = vmstate_mem_stream_open(copy, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), deadline);
    CHECK_EQ(read16(&r, 0), 500 - (1234 - 1) % 500);
    outb(&r, 0x43, 0xe8);
    CHECK_EQ(inb(&r, 0x42), 0x80 | 0x30 | 3 << 1);
    r.rises = 0;
    to_tick(1 + 5 * 500);
    CHECK_EQ(r.rises, 3);
    vmstate_stream_free(in);
    vmstate_stream_free(st);
    free(copy);
}
