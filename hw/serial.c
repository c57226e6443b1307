/*
 * 16550A UART on the ISA bus (isa-serial): COM1..COM4.
 *
 * Registers (offset from iobase; DLAB = LCR bit 7):
 *   0  R: RBR receive buffer   W: THR transmit holding   DLAB: DLL divisor low
 *   1  IER: 0 ERBFI rx data, 1 ETBEI THR empty, 2 ELSI line status,
 *      3 EDSSI modem status                               DLAB: DLM divisor high
 *   2  R: IIR: bit 0 = 1 no interrupt; bits 3:1 the source; 7:6 = 11 FIFOs on
 *      W: FCR: 0 FIFO enable, 1 clear RX, 2 clear TX, 3 DMA mode,
 *         7:6 RX trigger level 1/4/8/14
 *   3  LCR: 1:0 word length - 5, 2 stop bits, 3 parity, 4 even, 5 stick,
 *      6 break, 7 DLAB
 *   4  MCR: 0 DTR, 1 RTS, 2 OUT1, 3 OUT2, 4 loopback
 *   5  LSR: 0 DR, 1 OE, 2 PE, 3 FE, 4 BI, 5 THRE, 6 TEMT, 7 RX FIFO error
 *   6  MSR: 0 DCTS, 1 DDSR, 2 TERI, 3 DDCD, 4 CTS, 5 DSR, 6 RI, 7 DCD
 *   7  SCR scratch
 * Interrupt sources by priority (IIR value): line status 0x6 (cleared by
 * reading LSR), RX data at the trigger level 0x4 / character timeout 0xc
 * (cleared by reading RBR), THR empty 0x2 (cleared by reading IIR when it
 * is the one shown, or by writing THR), modem status 0x0 (reading MSR).
 *
 * Transmission is immediate (as QEMU): a byte written to THR goes to the
 * chardev at once, so THRE and TEMT come back at once, unless the chardev's
 * queue is full; then the byte waits in the shift register (TEMT clear)
 * until the chardev calls write_ready. The character timeout uses the
 * virtual clock and the time of 4 characters at the programmed rate.
 */
#include <stdlib.h>
#include <string.h>

#include "src/chardev.h"
#include "src/device.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define UART_FIFO 16
#define UART_TXQ (UART_FIFO + 1)
#define UART_CLOCK_HZ 1843200 /* the PC's 1.8432 MHz crystal: divisor 1 = 115200 baud */

enum {
    IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08,
    IIR_NO_INT = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06,
    IIR_CTI = 0x0c, IIR_FIFO = 0xc0,
    FCR_FE = 0x01, FCR_RFR = 0x02, FCR_XFR = 0x04,
    LCR_DLAB = 0x80,
    MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10,
    LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10,
    LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_INT_ANY = LSR_OE | LSR_PE | LSR_FE | LSR_BI,
    MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08, MSR_DELTAS = 0x0f,
    MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80,
};

/* The modem inputs when nothing drives them: a connected, ready peer. */
#define MSR_LINES_IDLE (MSR_DCD | MSR_DSR | MSR_CTS)

typedef struct SerialState {
    Device dev;
    /* properties */
    uint32_t index, iobase, irq;
    Chardev *chr;
    /* wiring */
    Machine *m;
    MemoryRegion *io;
    IRQLine *irq_line;
    Timer *timeout_timer;
    /* registers */
    uint16_t divider;
    uint8_t rbr, ier, fcr, lcr, mcr, lsr, msr, scr;
    bool thr_ipending;      /* THRE interrupt armed (cleared by IIR read / THR write) */
    bool timeout_ipending;  /* character timeout interrupt */
    uint8_t rx[UART_FIFO];
    uint8_t rx_head, rx_count;
    uint8_t tx[UART_TXQ];   /* bytes the chardev has not taken: tx[tx_head] is in the
                               shift register, the rest in THR or the TX FIFO */
    uint8_t tx_head, tx_count;
    /* derived */
    int64_t char_ns;        /* one character at the current rate and format */
    int irq_level;
} SerialState;

static const uint32_t com_iobase[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint32_t com_irq[4] = { 4, 3, 4, 3 };

static void serial_update_char_time(SerialState *s)
{
    /* start bit + 5..8 data bits + parity + 1, 1.5 or 2 stop bits, in half bits */
    unsigned data = 5 + (s->lcr & 3);
    unsigned halfbits = 2 * (1 + data + ((s->lcr & 0x08) ? 1 : 0));
    halfbits += (s->lcr & 0x04) ? (data == 5 ? 3 : 4) : 2;
    unsigned div = s->divider ? s->divider : 1;
    /* bit rate = clock / (16 * divisor) */
    s->char_ns = (int64_t)halfbits * NS_PER_SEC * 16 * div / UART_CLOCK_HZ / 2;
}

static unsigned rx_trigger(const SerialState *s)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return levels[s->fcr >> 6];
}

static uint8_t serial_iir(const SerialState *s)
{
    uint8_t id;
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_INT_ANY))
        id = IIR_RLSI;
    else if ((s->ier & IER_RDI) && s->timeout_ipending)
        id = IIR_CTI;
    else if ((s->ier & IER_RDI) && (s->lsr & LSR_DR) &&
             (!(s->fcr & FCR_FE) || s->rx_count >= rx_trigger(s)))
        id = IIR_RDI;
    else if ((s->ier & IER_THRI) && s->thr_ipending)
        id = IIR_THRI;
    else if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
        id = IIR_MSI;
    else
        id = IIR_NO_INT;
    return id | ((s->fcr & FCR_FE) ? IIR_FIFO : 0);
}

static void serial_update_irq(SerialState *s)
{
    /* Always passed on, also a repeat of the level: a THR write lowers and
     * raises again, which an edge-triggered PIC must see as a new edge. */
    s->irq_level = !(serial_iir(s) & IIR_NO_INT);
    irq_set(s->irq_line, s->irq_level);
}

static void rx_clear(SerialState *s)
{
    s->rx_head = s->rx_count = 0;
    s->lsr &= (uint8_t)~LSR_DR;
    s->timeout_ipending = false;
    timer_del(s->timeout_timer);
}

/* One received character (from the line or the loopback). */
static void serial_receive1(SerialState *s, uint8_t ch)
{
    if (s->fcr & FCR_FE) {
        if (s->rx_count == UART_FIFO) {
            s->lsr |= LSR_OE; /* the FIFO is intact; the new character is lost */
        } else {
            s->rx[(s->rx_head + s->rx_count) % UART_FIFO] = ch;
            s->rx_count++;
        }
        /* 4 character times without input or reads: character timeout */
        s->timeout_ipending = false;
        timer_mod(s->timeout_timer, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 4 * s->char_ns);
    } else {
        if (s->lsr & LSR_DR)
            s->lsr |= LSR_OE;
        s->rbr = ch;
    }
    s->lsr |= LSR_DR;
}

static void serial_timeout(void *opaque)
{
    SerialState *s = opaque;
    if (s->rx_count) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

/* Hand the TX queue to the line: the chardev, or the receiver in loopback. */
static void serial_xmit(SerialState *s)
{
    while (s->tx_count) {
        uint8_t ch = s->tx[s->tx_head];
        if (s->mcr & MCR_LOOP) {
            serial_receive1(s, ch);
        } else if (s->chr && chardev_write(s->chr, &ch, 1) != 1) {
            break; /* the chardev is full: write_ready resumes */
        }
        s->tx_head = (uint8_t)((s->tx_head + 1) % UART_TXQ);
        s->tx_count--;
    }
    /* THR (or the TX FIFO) is empty once at most the shift register holds
     * a byte; the transmitter is empty when that one is gone too. */
    if (s->tx_count <= 1 && !(s->lsr & LSR_THRE)) {
        s->lsr |= LSR_THRE;
        s->thr_ipending = true;
    }
    if (!s->tx_count)
        s->lsr |= LSR_TEMT;
    serial_update_irq(s);
}

static void serial_write_ready(void *opaque)
{
    SerialState *s = opaque;
    if (s->tx_count)
        serial_xmit(s);
}

/* The modem status inputs: the MCR outputs in loopback, else the idle lines. */
static void serial_update_msr(SerialState *s)
{
    uint8_t in = MSR_LINES_IDLE;
    if (s->mcr & MCR_LOOP) {
        in = (uint8_t)(((s->mcr & MCR_DTR) ? MSR_DSR : 0) | ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                       ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0));
    }
    uint8_t old = s->msr, delta = 0;
    if ((old ^ in) & MSR_CTS)
        delta |= MSR_DCTS;
    if ((old ^ in) & MSR_DSR)
        delta |= MSR_DDSR;
    if ((old & MSR_RI) && !(in & MSR_RI))
        delta |= MSR_TERI; /* trailing edge only */
    if ((old ^ in) & MSR_DCD)
        delta |= MSR_DDCD;
    s->msr = (uint8_t)(in | (old & MSR_DELTAS) | delta);
}

static uint64_t serial_read(void *opaque, hwaddr off, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = 0xff;
    switch (off & 7) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            v = (uint8_t)s->divider;
            break;
        }
        if (s->fcr & FCR_FE) {
            v = s->rx_count ? s->rx[s->rx_head] : 0;
            if (s->rx_count) {
                s->rx_head = (uint8_t)((s->rx_head + 1) % UART_FIFO);
                s->rx_count--;
            }
            if (!s->rx_count) {
                s->lsr &= (uint8_t)~LSR_DR;
                timer_del(s->timeout_timer);
            } else {
                timer_mod(s->timeout_timer, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 4 * s->char_ns);
            }
            s->timeout_ipending = false;
        } else {
            v = s->rbr;
            s->lsr &= (uint8_t)~LSR_DR;
        }
        serial_update_irq(s);
        if (!(s->mcr & MCR_LOOP))
            chardev_accept_input(s->chr);
        break;
    case 1:
        v = (s->lcr & LCR_DLAB) ? (uint8_t)(s->divider >> 8) : s->ier;
        break;
    case 2:
        v = serial_iir(s);
        if ((v & 0x0f) == IIR_THRI) {
            s->thr_ipending = false;
            serial_update_irq(s);
        }
        break;
    case 3:
        v = s->lcr;
        break;
    case 4:
        v = s->mcr;
        break;
    case 5:
        v = s->lsr;
        if (s->lsr & LSR_INT_ANY) {
            s->lsr &= (uint8_t)~LSR_INT_ANY;
            serial_update_irq(s);
        }
        break;
    case 6:
        v = s->msr;
        if (s->msr & MSR_DELTAS) {
            s->msr &= (uint8_t)~MSR_DELTAS;
            serial_update_irq(s);
        }
        break;
    case 7:
        v = s->scr;
        break;
    }
    return v;
}

static void serial_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = (uint8_t)val;
    switch (off & 7) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->divider = (uint16_t)((s->divider & 0xff00) | v);
            serial_update_char_time(s);
            break;
        }
        if (s->tx_count >= ((s->fcr & FCR_FE) ? UART_TXQ : 2)) {
            /* THR / the TX FIFO is full (only while the chardev is) */
            if (log_enabled(LOG_GUEST_ERRORS))
                log_printf("isa-serial 0x%x: THR written while full: byte 0x%02x lost\n",
                           s->iobase, v);
            break;
        }
        s->tx[(s->tx_head + s->tx_count) % UART_TXQ] = v;
        s->tx_count++;
        s->thr_ipending = false;
        s->lsr &= (uint8_t)~(LSR_THRE | LSR_TEMT);
        serial_update_irq(s);
        serial_xmit(s);
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->divider = (uint16_t)((s->divider & 0x00ff) | (v << 8));
            serial_update_char_time(s);
            break;
        }
        {
            uint8_t changed = (uint8_t)((s->ier ^ v) & 0x0f);
            s->ier = v & 0x0f;
            /* Enabling ETBEI while THR is empty interrupts at once, even
             * after the previous THRE interrupt was acknowledged; Linux's
             * probe and Windows rely on it (as on 8250-family chips). */
            if (changed & IER_THRI)
                s->thr_ipending = (s->ier & IER_THRI) && (s->lsr & LSR_THRE);
            serial_update_irq(s);
        }
        break;
    case 2: {
        /* FCR. Bits other than 0 are only taken with bit 0 set; changing
         * bit 0 clears both FIFOs. */
        uint8_t nf = (v & FCR_FE) ? (uint8_t)(v & 0xc9) : 0;
        if ((nf ^ s->fcr) & FCR_FE) {
            rx_clear(s);
            s->tx_count = 0;
        }
        if ((v & FCR_FE) && (v & FCR_RFR))
            rx_clear(s);
        if ((v & FCR_FE) && (v & FCR_XFR))
            s->tx_count = 0;
        s->fcr = nf;
        if (!s->tx_count && !(s->lsr & LSR_TEMT)) {
            s->lsr |= LSR_THRE | LSR_TEMT;
            s->thr_ipending = true;
        }
        serial_update_irq(s);
        if (!(s->mcr & MCR_LOOP))
            chardev_accept_input(s->chr);
        break;
    }
    case 3:
        s->lcr = v;
        serial_update_char_time(s);
        break;
    case 4: {
        uint8_t old = s->mcr;
        s->mcr = v & 0x1f;
        serial_update_msr(s);
        serial_update_irq(s);
        if ((old ^ s->mcr) & MCR_LOOP) {
            if (!(s->mcr & MCR_LOOP)) {
                chardev_accept_input(s->chr); /* the line is connected again */
                serial_write_ready(s);
            }
        }
        break;
    }
    case 5: /* LSR: writes are for factory testing; ignored */
        break;
    case 6: /* MSR: read only */
        break;
    case 7:
        s->scr = v;
        break;
    }
}

static const MemOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .valid = { 1, 4 },   /* the ISA bus splits wider accesses into bytes */
    .impl = { 1, 1 },
};

/* ---- chardev side ----------------------------------------------------------- */

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    if (s->mcr & MCR_LOOP)
        return 0; /* the receiver hears the transmitter only */
    if (s->fcr & FCR_FE) {
        /* Fill up to the trigger level first, so that the RX interrupt
         * comes at the level the driver asked for, then one at a time. */
        unsigned trig = rx_trigger(s);
        if (s->rx_count < trig)
            return (int)(trig - s->rx_count);
        return s->rx_count < UART_FIFO ? 1 : 0;
    }
    return (s->lsr & LSR_DR) ? 0 : 1;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;
    for (size_t i = 0; i < len; i++)
        serial_receive1(s, buf[i]);
    serial_update_irq(s);
}

static void serial_event(void *opaque, ChardevEvent ev)
{
    SerialState *s = opaque;
    if (ev != CHARDEV_EVENT_BREAK || (s->mcr & MCR_LOOP))
        return;
    /* A break is received as a NUL character with BI set. */
    serial_receive1(s, 0);
    s->lsr |= LSR_BI;
    serial_update_irq(s);
}

static const ChardevHandlers serial_chr_handlers = {
    .can_receive = serial_can_receive,
    .receive = serial_receive,
    .event = serial_event,
    .write_ready = serial_write_ready,
};

/* ---- device ----------------------------------------------------------------- */

static int serial_realize(Device *dev, Machine *m, Error **errp)
{
    SerialState *s = (SerialState *)dev;
    if (s->index == UINT32_MAX) {
        /* the next free COM port: count the ones created before */
        uint32_t n = 0;
        for (Device *d = m->devices; d; d = d->next)
            if (d->cls == dev->cls)
                n++;
        s->index = n;
    }
    if (s->index >= 4 && (s->iobase == UINT32_MAX || s->irq == UINT32_MAX)) {
        error_setg(errp, "isa-serial: index=%u: only COM1-COM4 (index 0-3) have a standard "
                   "address; give iobase= and irq=", s->index);
        return -1;
    }
    if (s->iobase == UINT32_MAX)
        s->iobase = com_iobase[s->index];
    if (s->irq == UINT32_MAX)
        s->irq = com_irq[s->index];
    if (s->iobase > IOPORT_SPACE_SIZE - 8) {
        error_setg(errp, "isa-serial: iobase=0x%x is outside the I/O space (0-0xfff8)", s->iobase);
        return -1;
    }
    if (s->irq >= MACHINE_ISA_IRQS) {
        error_setg(errp, "isa-serial: irq=%u: ISA IRQs are 0-15", s->irq);
        return -1;
    }
    s->m = m;
    s->irq_line = m->isa_irq[s->irq];
    s->timeout_timer = timer_new(PEMU_CLOCK_VIRTUAL, serial_timeout, s);
    s->io = ioport_register(m->io, (uint16_t)s->iobase, 8, &serial_ops, s, "serial");
    if (s->chr)
        chardev_set_handlers(s->chr, &serial_chr_handlers, s);
    return 0;
}

static void serial_unrealize(Device *dev)
{
    SerialState *s = (SerialState *)dev;
    if (s->chr)
        chardev_set_handlers(s->chr, NULL, NULL);
    ioport_unregister(s->m->io, s->io);
    timer_free(s->timeout_timer);
}

/* Master reset per the datasheet, except MCR.OUT2 and divisor 12 (9600
 * baud), which QEMU and so guests tested on it expect. */
static void serial_reset(Device *dev)
{
    SerialState *s = (SerialState *)dev;
    s->divider = 12;
    s->rbr = 0;
    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = MCR_OUT2;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_LINES_IDLE;
    s->scr = 0;
    s->thr_ipending = false;
    s->tx_head = s->tx_count = 0;
    rx_clear(s);
    serial_update_char_time(s);
    serial_update_irq(s);
    if (s->chr)
        chardev_accept_input(s->chr);
}

static int serial_post_load(void *opaque, int version_id)
{
    SerialState *s = opaque;
    if (s->rx_head >= UART_FIFO || s->rx_count > UART_FIFO || s->tx_head >= UART_TXQ ||
        s->tx_count > UART_TXQ)
        return -1;
    serial_update_char_time(s);
    serial_update_irq(s);
    return 0;
}

static const VMStateDescription serial_vmsd = {
    .name = "serial",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(divider, SerialState),
        VMSTATE_UINT8(rbr, SerialState),
        VMSTATE_UINT8(ier, SerialState),
        VMSTATE_UINT8(fcr, SerialState),
        VMSTATE_UINT8(lcr, SerialState),
        VMSTATE_UINT8(mcr, SerialState),
        VMSTATE_UINT8(lsr, SerialState),
        VMSTATE_UINT8(msr, SerialState),
        VMSTATE_UINT8(scr, SerialState),
        VMSTATE_BOOL(thr_ipending, SerialState),
        VMSTATE_BOOL(timeout_ipending, SerialState),
        VMSTATE_UINT8_ARRAY(rx, SerialState, UART_FIFO),
        VMSTATE_UINT8(rx_head, SerialState),
        VMSTATE_UINT8(rx_count, SerialState),
        VMSTATE_UINT8_ARRAY(tx, SerialState, UART_TXQ),
        VMSTATE_UINT8(tx_head, SerialState),
        VMSTATE_UINT8(tx_count, SerialState),
        VMSTATE_TIMER(timeout_timer, SerialState),
        VMSTATE_END
    },
    .post_load = serial_post_load,
};

static const DeviceProp serial_props[] = {
    DEVICE_PROP("index", PROP_U32, SerialState, index, "0xffffffff",
                "COM1-COM4 as 0-3; 4294967295: the next free one"),
    DEVICE_PROP("iobase", PROP_U32, SerialState, iobase, "0xffffffff",
                "I/O port base; 4294967295: 0x3f8, 0x2f8, 0x3e8, 0x2e8 by index"),
    DEVICE_PROP("irq", PROP_U32, SerialState, irq, "0xffffffff",
                "ISA IRQ; 4294967295: 4, 3, 4, 3 by index"),
    DEVICE_PROP("chardev", PROP_CHARDEV, SerialState, chr, NULL, NULL),
    DEVICE_PROP_END
};

const DeviceClass isa_serial_class = {
    .name = "isa-serial",
    .desc = "16550A UART",
    .category = "Input devices",
    .bus = "ISA",
    .instance_size = sizeof(SerialState),
    .props = serial_props,
    .user_creatable = true,
    .realize = serial_realize,
    .reset = serial_reset,
    .unrealize = serial_unrealize,
    .vmsd = &serial_vmsd,
};
