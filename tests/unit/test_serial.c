/* hw/serial: the 16550A at register level, through the I/O port space of a
 * bare machine, with its chardev on pipes and its IRQ recorded. */
#include "unit.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ports/posix.h"
#include "src/chardev.h"
#include "src/device.h"
#include "src/machine.h"
#include "src/mainloop.h"
#include "src/timer.h"
#include "src/vmstate.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

typedef struct Rig {
    Machine *m;
    Chardev *chr;
    int in_w;   /* write here: the UART receives it */
    int out_r;  /* read here: what the UART sent */
    uint16_t base;
    int irq;
} Rig;

static int rig_init(Rig *r, const char *props)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    r->m = machine_new_bare(0);
    Error *err = NULL;
    r->chr = chardev_new_fd("ser", in[0], out[1], &err);
    r->in_w = in[1];
    r->out_r = out[0];
    host_set_nonblocking(r->out_r);
    char p[128];
    snprintf(p, sizeof(p), "chardev=ser%s%s", props ? "," : "", props ? props : "");
    if (!device_create(r->m, "isa-serial", p, &err)) {
        error_report_err(err);
        return -1;
    }
    r->base = 0x3f8;
    r->irq = 4;
    return 0;
}

static void rig_free(Rig *r)
{
    machine_free(r->m);
    chardev_free_all();
    close(r->in_w);
    close(r->out_r);
}

static uint8_t rd(Rig *r, int reg) { return (uint8_t)ioport_read(r->m->io, (uint16_t)(r->base + reg), 1); }
static void wr(Rig *r, int reg, uint8_t v) { ioport_write(r->m->io, (uint16_t)(r->base + reg), v, 1); }
static int irq(Rig *r) { return machine_bare_irq_level(r->m, r->irq); }

static void pump(int n)
{
    for (int i = 0; i < n; i++)
        mainloop_wait(2 * NS_PER_MS);
}

static size_t sent(Rig *r, char *buf, size_t len)
{
    ssize_t n = read(r->out_r, buf, len);
    return n > 0 ? (size_t)n : 0;
}

TEST(reset_values)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    CHECK_EQ(rd(&r, IER), 0);
    CHECK_EQ(rd(&r, IIR), 0x01);
    CHECK_EQ(rd(&r, LCR), 0);
    CHECK_EQ(rd(&r, MCR), 0x08);
    CHECK_EQ(rd(&r, LSR), 0x60);
    CHECK_EQ(rd(&r, MSR), 0xb0);
    CHECK_EQ(irq(&r), 0);
    wr(&r, SCR, 0x5a);
    CHECK_EQ(rd(&r, SCR), 0x5a);
    wr(&r, LCR, 0x80);
    CHECK_EQ(rd(&r, DLL), 12); /* 9600 baud */
    CHECK_EQ(rd(&r, DLM), 0);
    wr(&r, LCR, 0);
    /* IER keeps 4 bits; MCR 5 */
    wr(&r, IER, 0xf0);
    CHECK_EQ(rd(&r, IER), 0);
    wr(&r, MCR, 0xe3);
    CHECK_EQ(rd(&r, MCR), 0x03);
    rig_free(&r);
}

TEST(dlab_switches_registers)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, LCR, 0x83);
    wr(&r, DLL, 0x01);
    wr(&r, DLM, 0x02);
    CHECK_EQ(rd(&r, DLL), 0x01);
    CHECK_EQ(rd(&r, DLM), 0x02);
    CHECK_EQ(rd(&r, LCR), 0x83);
    wr(&r, LCR, 0x03);
    CHECK_EQ(rd(&r, IER), 0);   /* not the divisor */
    wr(&r, THR, 'Q');           /* a character, not DLL */
    char b[4];
    CHECK_EQ(sent(&r, b, sizeof(b)), 1);
    CHECK_EQ(b[0], 'Q');
    wr(&r, LCR, 0x80);
    CHECK_EQ(rd(&r, DLL), 0x01);
    rig_free(&r);
}

TEST(transmit_goes_to_chardev)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    const char *msg = "Linux version";
    for (const char *p = msg; *p; p++) {
        CHECK_EQ(rd(&r, LSR) & 0x60, 0x60);
        wr(&r, THR, (uint8_t)*p);
    }
    char b[32] = "";
    CHECK_EQ(sent(&r, b, sizeof(b) - 1), strlen(msg));
    CHECK_STR(b, msg);
    /* a 16-bit OUT on an ISA byte device: two byte cycles, THR then IER */
    ioport_write(r.m->io, r.base, 0x0241, 2);
    CHECK_EQ(sent(&r, b, 4), 1);
    CHECK_EQ(b[0], 'A');
    CHECK_EQ(rd(&r, IER), 0x02);
    rig_free(&r);
}

TEST(thre_interrupt_and_rearm)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, IER, 0x02); /* enabling ETBEI with THR empty interrupts at once */
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, IIR), 0x02);
    CHECK_EQ(irq(&r), 0); /* reading IIR acknowledged it */
    CHECK_EQ(rd(&r, IIR), 0x01);
    /* Linux's THRE test: IER 0 then ETBEI again re-asserts */
    wr(&r, IER, 0x00);
    wr(&r, IER, 0x02);
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, IIR), 0x02);
    /* writing IER with ETBEI already set does not */
    wr(&r, IER, 0x02);
    CHECK_EQ(irq(&r), 0);
    /* each transmitted character gives a new edge */
    unsigned raises = machine_bare_irq_raises(r.m, r.irq);
    wr(&r, THR, 'x');
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(machine_bare_irq_raises(r.m, r.irq), raises + 1);
    wr(&r, THR, 'y'); /* THR write clears the pending THRE, sending sets it again */
    CHECK_EQ(machine_bare_irq_raises(r.m, r.irq), raises + 2);
    /* masking clears the line */
    wr(&r, IER, 0);
    CHECK_EQ(irq(&r), 0);
    rig_free(&r);
}

TEST(receive_without_fifo)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, IER, 0x01);
    CHECK_EQ(write(r.in_w, "ab", 2), 2);
    pump(5);
    CHECK_EQ(rd(&r, LSR) & 0x03, 0x01); /* DR, and no overrun: one at a time */
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, IIR), 0x04);
    CHECK_EQ(rd(&r, RBR), 'a');
    CHECK_EQ(irq(&r), 0);
    CHECK_EQ(rd(&r, LSR) & 0x01, 0);
    pump(5);
    CHECK_EQ(rd(&r, LSR) & 0x03, 0x01);
    CHECK_EQ(rd(&r, RBR), 'b');
    CHECK_EQ(rd(&r, LSR) & 0x03, 0);
    rig_free(&r);
}

TEST(loopback_overrun_and_line_status)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, MCR, 0x10);
    wr(&r, THR, 'a');
    wr(&r, THR, 'b'); /* not read: overrun */
    char b[4];
    CHECK_EQ(sent(&r, b, sizeof(b)), 0); /* loopback sends nothing out */
    wr(&r, IER, 0x05);
    CHECK_EQ(rd(&r, IIR), 0x06); /* line status over data */
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, LSR) & 0x63, 0x63);
    CHECK_EQ(rd(&r, LSR) & 0x02, 0); /* reading LSR cleared OE */
    CHECK_EQ(rd(&r, IIR), 0x04);
    CHECK_EQ(rd(&r, RBR), 'b');
    CHECK_EQ(rd(&r, IIR), 0x01);
    CHECK_EQ(irq(&r), 0);
    rig_free(&r);
}

TEST(loopback_ignores_the_line)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, MCR, 0x10);
    CHECK_EQ(write(r.in_w, "z", 1), 1);
    pump(5);
    CHECK_EQ(rd(&r, LSR) & 0x01, 0);
    wr(&r, MCR, 0x00); /* back on the line: the byte arrives */
    pump(5);
    CHECK_EQ(rd(&r, LSR) & 0x01, 1);
    CHECK_EQ(rd(&r, RBR), 'z');
    rig_free(&r);
}

TEST(fifo_trigger_levels)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, FCR, 0xc7); /* enable, clear both, trigger 14 */
    CHECK_EQ(rd(&r, IIR), 0xc1);
    wr(&r, IER, 0x01);
    wr(&r, MCR, 0x10);
    for (int i = 0; i < 13; i++)
        wr(&r, THR, (uint8_t)('A' + i));
    CHECK_EQ(rd(&r, LSR) & 0x01, 1);
    CHECK_EQ(rd(&r, IIR), 0xc1); /* below the trigger level */
    CHECK_EQ(irq(&r), 0);
    wr(&r, THR, 'N');
    CHECK_EQ(rd(&r, IIR), 0xc4);
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, RBR), 'A');
    CHECK_EQ(irq(&r), 0); /* 13 left: below the level again */
    for (int i = 1; i < 14; i++)
        CHECK_EQ(rd(&r, RBR), 'A' + i);
    CHECK_EQ(rd(&r, LSR) & 0x01, 0);
    /* 16 fit, the 17th overruns and is lost */
    for (int i = 0; i < 17; i++)
        wr(&r, THR, (uint8_t)i);
    CHECK_EQ(rd(&r, LSR) & 0x03, 0x03);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(rd(&r, RBR), i);
    CHECK_EQ(rd(&r, LSR) & 0x01, 0);
    /* FCR bit 1 clears the receiver */
    wr(&r, THR, 'q');
    wr(&r, FCR, 0x03);
    CHECK_EQ(rd(&r, LSR) & 0x01, 0);
    /* FIFO off: IIR bits 7:6 clear */
    wr(&r, FCR, 0x00);
    CHECK_EQ(rd(&r, IIR) & 0xc0, 0);
    rig_free(&r);
}

TEST(character_timeout)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, FCR, 0x41); /* trigger 4 */
    wr(&r, IER, 0x01);
    wr(&r, MCR, 0x10);
    wr(&r, THR, 'x');
    wr(&r, THR, 'y');
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    CHECK_EQ(rd(&r, IIR), 0xc1);
    /* 4 characters at 9600 8N1 are ~4.2 ms */
    clock_warp_virtual(5 * NS_PER_MS);
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    CHECK_EQ(rd(&r, IIR), 0xcc);
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, RBR), 'x'); /* reading clears the timeout... */
    CHECK_EQ(irq(&r), 0);
    CHECK_EQ(rd(&r, IIR), 0xc1);
    clock_warp_virtual(5 * NS_PER_MS); /* ...and it comes back for the rest */
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    CHECK_EQ(rd(&r, IIR), 0xcc);
    CHECK_EQ(rd(&r, RBR), 'y');
    clock_warp_virtual(5 * NS_PER_MS);
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    CHECK_EQ(rd(&r, IIR), 0xc1); /* empty: no timeout */
    /* the timeout follows the rate: at 115200 baud 0.5 ms is enough */
    wr(&r, LCR, 0x83);
    wr(&r, DLL, 1);
    wr(&r, LCR, 0x03);
    wr(&r, THR, 'z');
    clock_warp_virtual(NS_PER_MS / 2);
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    CHECK_EQ(rd(&r, IIR), 0xcc);
    rig_free(&r);
}

TEST(interrupt_priority)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, MCR, 0x10);
    wr(&r, THR, 'a');
    wr(&r, THR, 'b');  /* overrun: line status */
    wr(&r, MCR, 0x11); /* DTR -> DSR changes: modem status */
    wr(&r, IER, 0x0f);
    CHECK_EQ(rd(&r, IIR), 0x06);
    rd(&r, LSR);
    CHECK_EQ(rd(&r, IIR), 0x04);
    rd(&r, RBR);
    CHECK_EQ(rd(&r, IIR), 0x02); /* shown once, then acknowledged */
    CHECK_EQ(rd(&r, IIR), 0x00);
    CHECK_EQ(irq(&r), 1);
    rd(&r, MSR);
    CHECK_EQ(rd(&r, IIR), 0x01);
    CHECK_EQ(irq(&r), 0);
    rig_free(&r);
}

TEST(loopback_modem_lines)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, MCR, 0x10); /* loopback, all outputs off: inputs go low */
    CHECK_EQ(rd(&r, MSR), 0x0b); /* DCTS DDSR DDCD: CTS, DSR, DCD fell */
    CHECK_EQ(rd(&r, MSR), 0x00);
    wr(&r, MCR, 0x11); /* DTR -> DSR */
    CHECK_EQ(rd(&r, MSR), 0x22);
    wr(&r, MCR, 0x13); /* RTS -> CTS */
    CHECK_EQ(rd(&r, MSR), 0x31);
    wr(&r, MCR, 0x17); /* OUT1 -> RI: rising edge has no delta */
    CHECK_EQ(rd(&r, MSR), 0x70);
    wr(&r, MCR, 0x13); /* RI falls: TERI */
    CHECK_EQ(rd(&r, MSR), 0x34);
    wr(&r, IER, 0x08);
    wr(&r, MCR, 0x1b); /* OUT2 -> DCD */
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, IIR), 0x00);
    CHECK_EQ(rd(&r, MSR), 0xb8);
    CHECK_EQ(irq(&r), 0);
    wr(&r, MCR, 0x1a); /* Linux's autoconfig loopback check: RTS|OUT2 -> CTS|DCD */
    CHECK_EQ(rd(&r, MSR) & 0xf0, 0x90);
    wr(&r, MCR, 0x0b); /* loopback off: the idle line inputs again */
    CHECK_EQ(rd(&r, MSR) & 0xf0, 0xb0);
    rig_free(&r);
}

TEST(break_event)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, IER, 0x04);
    chardev_be_event(r.chr, CHARDEV_EVENT_BREAK);
    CHECK_EQ(irq(&r), 1);
    CHECK_EQ(rd(&r, IIR), 0x06);
    CHECK_EQ(rd(&r, LSR) & 0x11, 0x11);
    CHECK_EQ(rd(&r, LSR) & 0x10, 0); /* BI cleared by the read */
    CHECK_EQ(irq(&r), 0);
    CHECK_EQ(rd(&r, RBR), 0);
    rig_free(&r);
}

TEST(fifo_flow_control_loses_nothing)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, FCR, 0x01);
    char msg[41];
    for (int i = 0; i < 40; i++)
        msg[i] = (char)('a' + i % 26);
    CHECK_EQ(write(r.in_w, msg, 40), 40);
    char got[41] = "";
    int n = 0;
    for (int round = 0; round < 50 && n < 40; round++) {
        pump(2);
        CHECK_EQ(rd(&r, LSR) & 0x02, 0); /* never an overrun */
        while ((rd(&r, LSR) & 0x01) && n < 40)
            got[n++] = (char)rd(&r, RBR);
    }
    CHECK_EQ(n, 40);
    CHECK(!memcmp(got, msg, 40));
    rig_free(&r);
}

TEST(transmit_stalls_while_the_chardev_is_full)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    /* nobody reads: fill the pipe and the chardev's queue */
    size_t n = 0;
    while ((rd(&r, LSR) & 0x40) && n < 4 * CHARDEV_OUTBUF_MAX) {
        wr(&r, THR, (uint8_t)n);
        n++;
    }
    CHECK(n >= CHARDEV_OUTBUF_MAX);
    CHECK_EQ(rd(&r, LSR) & 0x60, 0x20); /* byte in the shift register: THRE, not TEMT */
    wr(&r, THR, 0xaa);
    CHECK_EQ(rd(&r, LSR) & 0x60, 0x00); /* THR full too */
    /* drain: everything arrives, in order, and the transmitter empties */
    static uint8_t buf[65536];
    size_t got = 0;
    bool ok = true;
    int64_t end = host_clock_monotonic_ns() + 10 * NS_PER_SEC;
    while (got < n + 1 && host_clock_monotonic_ns() < end) {
        ssize_t k = read(r.out_r, buf, sizeof(buf));
        for (ssize_t i = 0; i < k; i++) {
            uint8_t want = got + (size_t)i < n ? (uint8_t)(got + (size_t)i) : 0xaa;
            if (buf[i] != want)
                ok = false;
        }
        if (k > 0)
            got += (size_t)k;
        mainloop_wait(0);
    }
    CHECK_EQ(got, n + 1);
    CHECK(ok);
    pump(3);
    CHECK_EQ(rd(&r, LSR) & 0x60, 0x60);
    rig_free(&r);
}

TEST(vmstate_round_trip)
{
    Rig r;
    CHECK(rig_init(&r, NULL) == 0);
    wr(&r, LCR, 0x80);
    wr(&r, DLL, 3);
    wr(&r, LCR, 0x1b);
    wr(&r, FCR, 0x01);
    wr(&r, MCR, 0x13);
    wr(&r, THR, 'k');
    wr(&r, SCR, 0x77);
    wr(&r, IER, 0x05);
    Error *err = NULL;
    VMStream *s = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(s, &len);
    device_reset_all(r.m);
    CHECK_EQ(rd(&r, SCR), 0);
    VMStream *in = vmstate_mem_stream_open(data, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(rd(&r, SCR), 0x77);
    CHECK_EQ(rd(&r, LCR), 0x1b);
    CHECK_EQ(rd(&r, MCR), 0x13);
    CHECK_EQ(rd(&r, IER), 0x05);
    CHECK_EQ(rd(&r, IIR), 0xc4);
    CHECK_EQ(irq(&r), 1); /* the line follows the loaded state */
    CHECK_EQ(rd(&r, RBR), 'k');
    wr(&r, LCR, 0x9b);
    CHECK_EQ(rd(&r, DLL), 3);
    vmstate_stream_free(in);
    vmstate_stream_free(s);
    rig_free(&r);
}

TEST(com_ports_by_index)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    CHECK(device_create(m, "isa-serial", NULL, &err));
    CHECK(device_create(m, "isa-serial", NULL, &err));
    CHECK(device_create(m, "isa-serial", "index=3", &err));
    CHECK(device_create(m, "isa-serial", "index=2,irq=5", &err));
    ioport_write(m->io, 0x3ff, 1, 1);
    ioport_write(m->io, 0x2ff, 2, 1);
    ioport_write(m->io, 0x2ef, 3, 1);
    ioport_write(m->io, 0x3ef, 4, 1);
    CHECK_EQ(ioport_read(m->io, 0x3ff, 1), 1);
    CHECK_EQ(ioport_read(m->io, 0x2ff, 1), 2);
    CHECK_EQ(ioport_read(m->io, 0x2ef, 1), 3);
    CHECK_EQ(ioport_read(m->io, 0x3ef, 1), 4);
    /* COM2 on IRQ 3, the index=2 one on 5 */
    ioport_write(m->io, 0x2f9, 0x02, 1);
    CHECK_EQ(machine_bare_irq_level(m, 3), 1);
    ioport_write(m->io, 0x3e9, 0x02, 1);
    CHECK_EQ(machine_bare_irq_level(m, 5), 1);
    CHECK_EQ(machine_bare_irq_level(m, 4), 0);
    CHECK(!device_create(m, "isa-serial", "index=4", &err));
    CHECK(err && strstr(err->msg, "index=4"));
    error_free(err);
    err = NULL;
    CHECK(!device_create(m, "isa-serial", "iobase=0x100,irq=16", &err));
    CHECK(err && strstr(err->msg, "irq=16"));
    error_free(err);
    err = NULL;
    CHECK(device_create(m, "isa-serial", "index=4,iobase=0x100,irq=7", &err));
    machine_free(m);
}
