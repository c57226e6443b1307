/* hw/mc146818: the RTC/CMOS through 0x70/0x71, on the virtual clock driven
 * by a fake instruction counter (-rtc clock=vm). */
#include "unit.h"

#include <stdlib.h>
#include <time.h>
#include "hw/mc146818.h"
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
    Device *rtc;
    int level;
    int rises;
    int64_t rise_ns[40000];
} Rig;

static void irq8(void *opaque, int n, int level)
{
    Rig *r = opaque;
    (void)n;
    if (level && !r->level && r->rises < 40000)
        r->rise_ns[r->rises++] = fake_ns;
    r->level = level;
}

static Rig *rig_new(const char *base)
{
    Error *err = NULL;
    Rig *r = calloc(1, sizeof(*r));
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);
    r->m.sysmem = memory_region_new_container("sysmem", UINT64_MAX, NULL);
    r->m.as = address_space_new("memory", r->m.sysmem);
    r->m.io = ioport_space_new("io");
    r->m.isa_irq[8] = irq_new(irq8, r, 8);
    r->rtc = calloc(1, mc146818_class.instance_size);
    r->rtc->cls = &mc146818_class;
    if (mc146818_class.realize(r->rtc, &r->m, &err) < 0)
        abort();
    mc146818_class.reset(r->rtc);
    if (mc146818_setup(r->rtc, base, "vm", &err) < 0)
        abort();
    return r;
}

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m.io, port, v, 1); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m.io, port, 1); }

static uint8_t rd(Rig *r, int idx)
{
    outb(r, 0x70, (uint8_t)idx);
    return inb(r, 0x71);
}

static void wr(Rig *r, int idx, uint8_t v)
{
    outb(r, 0x70, (uint8_t)idx);
    outb(r, 0x71, v);
}

/* Move the clock, running timers at their deadlines; with isr, register C
 * is read whenever IRQ 8 is up, as an interrupt handler would. */
static void run_to(Rig *r, int64_t target, int isr)
{
    for (;;) {
        if (isr && r->level)
            (void)rd(r, 0x0c);
        int64_t e = timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL);
        if (e < 0 || e > target)
            break;
        if (e > fake_ns)
            fake_ns = e;
        timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    }
    fake_ns = target;
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    if (isr && r->level)
        (void)rd(r, 0x0c);
}

#define SEC NS_PER_SEC

TEST(bcd_and_binary_time_and_rollover)
{
    Rig *r = rig_new("2024-02-28T23:59:58");
    CHECK_EQ(rd(r, 0x0a), 0x26);
    CHECK_EQ(rd(r, 0x0b), 0x02);       /* 24-hour BCD */
    CHECK_EQ(rd(r, 0x0d), 0x80);       /* VRT */
    CHECK_EQ(rd(r, 0), 0x58);
    CHECK_EQ(rd(r, 2), 0x59);
    CHECK_EQ(rd(r, 4), 0x23);
    CHECK_EQ(rd(r, 6), 4);             /* Wednesday (Sunday = 1) */
    CHECK_EQ(rd(r, 7), 0x28);
    CHECK_EQ(rd(r, 8), 0x02);
    CHECK_EQ(rd(r, 9), 0x24);
    CHECK_EQ(rd(r, 0x32), 0x20);
    run_to(r, SEC - 1, 0);
    CHECK_EQ(rd(r, 0), 0x58);
    run_to(r, 2 * SEC, 0);             /* a leap year: Feb 29th */
    CHECK_EQ(rd(r, 0), 0x00);
    CHECK_EQ(rd(r, 2), 0x00);
    CHECK_EQ(rd(r, 4), 0x00);
    CHECK_EQ(rd(r, 6), 5);
    CHECK_EQ(rd(r, 7), 0x29);
    CHECK_EQ(rd(r, 8), 0x02);
    wr(r, 0x0b, 0x06);                 /* binary */
    run_to(r, 2 * SEC + 59 * SEC, 0);
    CHECK_EQ(rd(r, 0), 59);
    CHECK_EQ(rd(r, 7), 29);
    CHECK_EQ(rd(r, 9), 24);
    CHECK_EQ(rd(r, 0x32), 20);
    /* set 1999-12-31 23:59:59 in binary; the weekday register is the
     * guest's own counter and is left alone */
    wr(r, 0x0b, 0x86);
    wr(r, 0, 59);
    wr(r, 2, 59);
    wr(r, 4, 23);
    wr(r, 7, 31);
    wr(r, 8, 12);
    wr(r, 9, 99);
    wr(r, 0x32, 19);
    run_to(r, 70 * SEC, 0);
    CHECK_EQ(rd(r, 0), 59);            /* SET: no updates */
    wr(r, 0x0b, 0x06);
    run_to(r, 71 * SEC, 0);
    CHECK_EQ(rd(r, 0), 0);
    CHECK_EQ(rd(r, 4), 0);
    CHECK_EQ(rd(r, 7), 1);
    CHECK_EQ(rd(r, 8), 1);
    CHECK_EQ(rd(r, 9), 0);
    CHECK_EQ(rd(r, 0x32), 20);
    CHECK_EQ(rd(r, 6), 6);             /* was 5, one midnight later */
}

TEST(twelve_hour_mode_with_pm_bit)
{
    Rig *r = rig_new("2024-02-28T23:59:58");
    wr(r, 0x0b, 0x00);                 /* 12-hour BCD */
    CHECK_EQ(rd(r, 4), 0x91);          /* 11 PM */
    run_to(r, 2 * SEC, 0);
    CHECK_EQ(rd(r, 4), 0x12);          /* 12 AM */
    wr(r, 0x0b, 0x80);
    wr(r, 4, 0x81);                    /* 1 PM */
    wr(r, 0x0b, 0x00);
    CHECK_EQ(rd(r, 4), 0x81);
    wr(r, 0x0b, 0x02);
    CHECK_EQ(rd(r, 4), 0x13);
    wr(r, 0x0b, 0x06);
    CHECK_EQ(rd(r, 4), 13);
    wr(r, 0x0b, 0x80);
    wr(r, 4, 0x92);                    /* 12 PM (noon), 12-hour BCD */
    wr(r, 0x0b, 0x00);
    wr(r, 0x0b, 0x02);
    CHECK_EQ(rd(r, 4), 0x12);
    wr(r, 0x0b, 0x04);                 /* 12-hour binary: noon = 12 | PM */
    CHECK_EQ(rd(r, 4), 0x8c);
}

TEST(periodic_interrupt_every_rate)
{
    /* Rates for a 32.768 kHz time base, from the datasheet's table. */
    static const int hz[16] = { 0, 256, 128, 8192, 4096, 2048, 1024, 512,
                                256, 128, 64, 32, 16, 8, 4, 2 };
    Rig *r = rig_new("2024-01-01T00:00:00");
    int64_t t = 0;
    for (int rs = 0; rs < 16; rs++) {
        wr(r, 0x0a, (uint8_t)(0x20 | rs));
        wr(r, 0x0b, 0x42);             /* PIE, 24-hour */
        (void)rd(r, 0x0c);
        r->rises = 0;
        run_to(r, t + SEC, 1);
        CHECK_EQ(r->rises, hz[rs]);
        for (int i = 1; i < r->rises; i++) {
            int64_t dt = r->rise_ns[i] - r->rise_ns[i - 1];
            CHECK(dt >= SEC / hz[rs] - 1 && dt <= SEC / hz[rs] + 1);
        }
        t += SEC;
    }
    /* divider in reset: no periodic interrupt */
    wr(r, 0x0a, 0x66);
    r->rises = 0;
    run_to(r, t + SEC, 1);
    CHECK_EQ(r->rises, 0);
}

TEST(flags_set_without_enables_and_reg_c_clears)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    wr(r, 0x0a, 0x26);                 /* 1024 Hz */
    wr(r, 0x0b, 0x02);
    run_to(r, SEC / 100, 0);
    CHECK_EQ(rd(r, 0x0c), 0x40);       /* PF, no IRQF */
    CHECK_EQ(rd(r, 0x0c), 0x00);
    CHECK_EQ(r->rises, 0);
    run_to(r, SEC + SEC / 100, 0);
    CHECK_EQ(rd(r, 0x0c), 0x50);       /* PF and UF */

    wr(r, 0x0b, 0x42);                 /* PIE */
    run_to(r, SEC + SEC / 50, 0);
    CHECK_EQ(r->level, 1);
    CHECK_EQ(rd(r, 0x0c), 0xc0);
    CHECK_EQ(r->level, 0);             /* reading C lowers IRQ 8 */
    CHECK_EQ(rd(r, 0x0c), 0x00);
    int rises = r->rises;
    run_to(r, SEC + SEC / 10, 0);      /* C not read: no new edge */
    CHECK_EQ(r->rises, rises + 1);
    CHECK_EQ(rd(r, 0x0c), 0xc0);
    /* enabling an interrupt whose flag is already up raises IRQ 8 */
    wr(r, 0x0b, 0x02);
    run_to(r, 3 * SEC + SEC / 2, 0);
    CHECK_EQ(r->level, 0);
    wr(r, 0x0b, 0x12);                 /* UIE: UF is set already */
    CHECK_EQ(r->level, 1);
    CHECK_EQ(rd(r, 0x0c), 0xd0);
}

TEST(update_ended_interrupt)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    wr(r, 0x0b, 0x12);                 /* UIE */
    (void)rd(r, 0x0c);
    run_to(r, 5 * SEC + SEC / 2, 1);
    CHECK_EQ(r->rises, 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(r->rise_ns[i], (i + 1) * SEC);
    /* without the handler reading C, one interrupt only */
    r->rises = 0;
    run_to(r, 10 * SEC + SEC / 2, 0);
    CHECK_EQ(r->rises, 1);
    CHECK_EQ(rd(r, 0x0c), 0xd0);       /* IRQF, UF, and PF: RS is 1024 Hz */
    CHECK_EQ(rd(r, 0), 0x10);
}

TEST(alarm_with_dont_care_bytes)
{
    Rig *r = rig_new("2024-02-28T23:59:58");
    wr(r, 1, 0x30);                    /* seconds 30 */
    wr(r, 3, 0xc0);                    /* any minute */
    wr(r, 5, 0xff);                    /* any hour */
    wr(r, 0x0b, 0x22);                 /* AIE */
    (void)rd(r, 0x0c);
    run_to(r, 200 * SEC, 1);
    CHECK_EQ(r->rises, 3);             /* 00:00:30, 00:01:30, 00:02:30 */
    CHECK_EQ(r->rise_ns[0], 32 * SEC);
    CHECK_EQ(r->rise_ns[1], 92 * SEC);
    CHECK_EQ(r->rise_ns[2], 152 * SEC);

    /* every second: all three don't care */
    wr(r, 1, 0xc0);
    r->rises = 0;
    run_to(r, 210 * SEC, 1);
    CHECK_EQ(r->rises, 10);

    /* an exact alarm, once: 00:05:00 (BCD) */
    wr(r, 1, 0x00);
    wr(r, 3, 0x05);
    wr(r, 5, 0x00);
    r->rises = 0;
    run_to(r, 7200 * SEC, 1);
    CHECK_EQ(r->rises, 1);
    CHECK_EQ(r->rise_ns[0], (2 + 5 * 60) * SEC);

    /* a value the clock never holds (bad BCD) never matches */
    wr(r, 1, 0x1a);
    wr(r, 3, 0xc0);
    wr(r, 5, 0xc0);
    r->rises = 0;
    run_to(r, 7400 * SEC, 1);
    CHECK_EQ(r->rises, 0);

    /* AF is set by the match even with AIE off */
    wr(r, 0x0b, 0x02);
    wr(r, 1, 0xc0);
    run_to(r, 7401 * SEC, 0);
    CHECK_EQ(rd(r, 0x0c) & 0x20, 0x20);
    /* 12-hour mode: the hour alarm byte carries the PM bit */
    wr(r, 0x0b, 0x80);
    wr(r, 4, 0x91);                    /* 11 PM */
    wr(r, 2, 0x59);
    wr(r, 0, 0x58);
    wr(r, 1, 0x00);
    wr(r, 3, 0x00);
    wr(r, 5, 0x12);                    /* 12 AM = midnight */
    wr(r, 0x0b, 0x20);                 /* 12-hour BCD, AIE */
    (void)rd(r, 0x0c);
    r->rises = 0;
    run_to(r, 7405 * SEC, 1);
    CHECK_EQ(r->rises, 1);
}

TEST(uip_window)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    fake_ns = SEC - 250000;
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0);
    fake_ns = SEC - 244000;            /* 244 us before the update */
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0x80);
    CHECK_EQ(rd(r, 0), 0x00);          /* not updated yet */
    fake_ns = SEC - 1;
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0x80);
    fake_ns = SEC;
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0);
    CHECK_EQ(rd(r, 0), 0x01);
    fake_ns = 2 * SEC - 100000;
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0x80);
    wr(r, 0x0b, 0x82);                 /* SET clears UIP */
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0);
    wr(r, 0x0a, 0xa6);                 /* UIP is read-only */
    CHECK_EQ(rd(r, 0x0a), 0x26);
}

TEST(set_freezes_time_and_clears_uie)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    wr(r, 0x0b, 0x12);
    run_to(r, SEC / 2, 0);
    wr(r, 0x0b, 0x92);                 /* SET (with UIE) */
    CHECK_EQ(rd(r, 0x0b), 0x82);       /* UIE cleared */
    run_to(r, 3 * SEC + SEC / 4, 0);
    CHECK_EQ(rd(r, 0), 0x00);
    wr(r, 0, 0x30);
    wr(r, 2, 0x15);
    wr(r, 0x0b, 0x02);                 /* release at 3.25 s */
    CHECK_EQ(rd(r, 0), 0x30);
    CHECK_EQ(rd(r, 2), 0x15);
    run_to(r, 4 * SEC - 1, 0);
    CHECK_EQ(rd(r, 0), 0x30);
    run_to(r, 4 * SEC, 0);             /* the divider kept its phase */
    CHECK_EQ(rd(r, 0), 0x31);
    /* writing a time register while running sets the clock too */
    run_to(r, 4 * SEC + SEC / 2, 0);
    wr(r, 0, 0x05);
    run_to(r, 5 * SEC, 0);
    CHECK_EQ(rd(r, 0), 0x06);
    CHECK_EQ(rd(r, 2), 0x15);
}

TEST(divider_reset_and_release)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    run_to(r, SEC + SEC / 5, 0);
    wr(r, 0x0a, 0x76);                 /* hold the divider in reset */
    run_to(r, 5 * SEC, 0);
    CHECK_EQ(rd(r, 0), 0x01);
    CHECK_EQ(rd(r, 0x0a) & 0x80, 0);
    run_to(r, 5 * SEC + SEC / 10, 0);
    wr(r, 0x0a, 0x26);                 /* release at 5.1 s */
    run_to(r, 5 * SEC + SEC / 10 + SEC / 2 - 1, 0);
    CHECK_EQ(rd(r, 0), 0x01);
    run_to(r, 5 * SEC + SEC / 10 + SEC / 2, 0); /* first update 500 ms later */
    CHECK_EQ(rd(r, 0), 0x02);
    run_to(r, 6 * SEC + SEC / 10 + SEC / 2, 0);
    CHECK_EQ(rd(r, 0), 0x03);
}

TEST(index_nmi_bit_and_cmos_ram)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    for (int i = 0x0e; i < 0x80; i++) {
        if (i == 0x32)
            continue;
        wr(r, i, (uint8_t)(i * 7 + 3));
    }
    for (int i = 0x0e; i < 0x80; i++) {
        if (i == 0x32)
            continue;
        CHECK_EQ(rd(r, i), (uint8_t)(i * 7 + 3));
    }
    outb(r, 0x70, 0x8f);               /* NMI off, index 0x0f */
    CHECK_EQ(mc146818_nmi_disabled(r->rtc), 1);
    CHECK_EQ(inb(r, 0x71), (uint8_t)(0x0f * 7 + 3));
    outb(r, 0x70, 0x0f);
    CHECK_EQ(mc146818_nmi_disabled(r->rtc), 0);
    CHECK_EQ(inb(r, 0x70), 0xff);
    wr(r, 0x0d, 0x00);
    CHECK_EQ(rd(r, 0x0d), 0x80);       /* D is read-only */
    mc146818_cmos_set(r->rtc, 0x5f, 3);
    CHECK_EQ(rd(r, 0x5f), 3);
    CHECK_EQ(mc146818_cmos_get(r->rtc, 0x32), 0x20);
    mc146818_cmos_set(r->rtc, 0x09, 0x99);
    CHECK_EQ(rd(r, 9), 0x99);
}

TEST(setup_arguments)
{
    Rig *r = rig_new("2024-01-01");
    Error *err = NULL;
    CHECK_EQ(rd(r, 4), 0x00);
    CHECK_EQ(rd(r, 7), 0x01);
    CHECK_EQ(mc146818_setup(r->rtc, "2023-02-29T00:00:00", "vm", &err), -1);
    CHECK(err != NULL);
    error_free(err);
    err = NULL;
    CHECK_EQ(mc146818_setup(r->rtc, "2024-13-01", "vm", &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(mc146818_setup(r->rtc, "tomorrow", "vm", &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(mc146818_setup(r->rtc, "utc", "wall", &err), -1);
    error_free(err);
    err = NULL;
    CHECK_EQ(rd(r, 9), 0x24);          /* unchanged by the failures */
    CHECK_EQ(mc146818_setup(r->rtc, "localtime", "host", &err), 0);
    CHECK_EQ(mc146818_setup(r->rtc, "utc", "host", &err), 0);
    /* the host's UTC time, read back through the registers (binary) */
    time_t now = time(NULL);
    wr(r, 0x0b, 0x06);
    int64_t days = (int64_t)now / 86400, sod = (int64_t)now % 86400;
    int h = rd(r, 4), m = rd(r, 2);
    int64_t reg = h * 3600 + m * 60 + rd(r, 0);
    CHECK((reg - sod <= 2 && sod - reg <= 2) || sod < 3 || sod > 86397);
    CHECK_EQ(rd(r, 6), (uint8_t)((days + 4) % 7 + 1));
}

TEST(system_reset_keeps_time_clears_enables)
{
    Rig *r = rig_new("2024-01-01T00:00:00");
    wr(r, 0x0b, 0x7a);                 /* PIE AIE UIE SQWE, 24h */
    run_to(r, 3 * SEC, 0);
    CHECK_EQ(r->level, 1);
    mc146818_class.reset(r->rtc);
    CHECK_EQ(r->level, 0);
    CHECK_EQ(rd(r, 0x0b), 0x02);
    CHECK_EQ(rd(r, 0x0c), 0x00);
    CHECK_EQ(rd(r, 0x0a), 0x26);
    CHECK_EQ(rd(r, 0), 0x03);
}

TEST(vmstate_round_trip)
{
    Rig *r = rig_new("2024-06-30T12:00:00");
    Error *err = NULL;
    wr(r, 0x40, 0x5a);
    wr(r, 0x0b, 0x12);
    run_to(r, SEC / 2, 0);
    vmstate_register("mc146818rtc", 0, mc146818_class.vmsd, r->rtc);
    VMStream *st = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(st, &err), 0);
    size_t len;
    const uint8_t *d = vmstate_stream_data(st, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, d, len);

    wr(r, 0x40, 0x00);
    wr(r, 0x0b, 0x86);
    wr(r, 4, 3);
    CHECK(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL) < 0);

    VMStream *in = vmstate_mem_stream_open(copy, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(rd(r, 0x40), 0x5a);
    CHECK_EQ(rd(r, 0x0b), 0x12);
    CHECK_EQ(rd(r, 4), 0x12);
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), SEC);
    run_to(r, SEC, 0);
    CHECK_EQ(r->level, 1);
    CHECK_EQ(rd(r, 0), 0x01);
    vmstate_stream_free(in);
    vmstate_stream_free(st);
    free(copy);
}
