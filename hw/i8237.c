/*
 * The AT's two cascaded 8237A DMA controllers and the 74LS612 page
 * registers.
 *
 * Facts used (Intel 8237A datasheet, IBM PC AT technical reference):
 *   Controller 1 (channels 0-3, byte transfers) at 0x00-0x0f, controller 2
 *   (channels 4-7, word transfers) at 0xc0-0xdf on address lines A1-A4,
 *   so its register r is at 0xc0 + 2r (odd ports alias the even ones).
 *   Registers (offset r):
 *     0,2,4,6  channel r/2 address: writes set base and current, reads give
 *              current; low byte then high byte by the shared flip-flop
 *     1,3,5,7  channel count (transfers - 1), likewise
 *     8        read status: bits 0-3 TC reached (cleared by the read),
 *              bits 4-7 request pending; write command: bit 0 memory to
 *              memory, 2 controller disable, 4 rotating priority, 6 DREQ
 *              active low, 7 DACK active high
 *     9        write request: bits 1-0 channel, bit 2 set (1) / reset (0).
 *              Software requests are not maskable and end at TC.
 *     10       write single mask bit: bits 1-0 channel, bit 2 set/clear
 *     11       write mode: bits 1-0 channel, 3-2 transfer (00 verify,
 *              01 write = device to memory, 10 read = memory to device),
 *              4 auto-initialize, 5 address decrement, 7-6 demand/single/
 *              block/cascade
 *     12       clear the byte pointer flip-flop
 *     13       read temporary register / write master clear (command,
 *              status, request, temporary and flip-flop cleared, every
 *              channel masked)
 *     14       clear all mask bits
 *     15       write all mask bits (bits 0-3); reads give them here
 *   At TC the current registers count past 0 (count 0xffff); auto-init
 *   reloads them from the base registers, otherwise the channel's mask bit
 *   is set.
 *   Page registers 0x80-0x8f (all read/write; 0x80 is the POST code port):
 *   channels 0-3 use 0x87, 0x83, 0x81, 0x82; channels 4-7 0x8f, 0x8b,
 *   0x89, 0x8a. A 16-bit channel's address is page bits 7-1 : word
 *   address : 0, so it moves in a 128 KiB window; neither window carries
 *   into the page register.
 *   Channel 4 is the cascade input of controller 1: while it is masked (as
 *   after reset) channels 0-3 cannot transfer.
 *
 * Model: transfers happen all at once in i8237_run (a bottom half),
 * calling the handler of each requested channel in fixed priority order.
 */
#include "hw/i8237.h"

#include <stdbool.h>
#include <string.h>
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/mainloop.h"
#include "src/memory.h"
#include "src/vmstate.h"

enum {
    MODE_TYPE = 0x0c, MODE_VERIFY = 0x00, MODE_WRITE = 0x04, MODE_READ = 0x08,
    MODE_AUTOINIT = 0x10, MODE_DEC = 0x20, MODE_MODE = 0xc0, MODE_CASCADE = 0xc0,
};
enum { CMD_MEM2MEM = 0x01, CMD_DISABLE = 0x04 };

typedef struct DMAChan {
    uint16_t base_addr, base_count;
    uint16_t cur_addr, cur_count;
    uint8_t mode;
    bool dreq;              /* the device's request line */
} DMAChan;

typedef struct DMACtrl {
    uint8_t command;
    uint8_t status;         /* TC bits 0-3 (request bits are computed) */
    uint8_t request;        /* software request bits 0-3 */
    uint8_t mask;           /* bits 0-3 */
    uint8_t temp;
    uint8_t flipflop;
} DMACtrl;

typedef struct DMAState {
    Device dev;
    Machine *m;
    DMAChan ch[8];
    DMACtrl c[2];
    uint8_t page[16];
    I8237Handler *fn[8];
    void *opaque[8];
    BH *bh;
    bool running;
    MemoryRegion *io[3];
} DMAState;

/* Page register (port - 0x80) of each channel. */
static const uint8_t page_reg[8] = { 0x7, 0x3, 0x1, 0x2, 0xf, 0xb, 0x9, 0xa };

static void dma_log(const char *fmt, int a, int b)
{
    if (log_enabled(LOG_GUEST_ERRORS)) {
        log_printf("i8237: ");
        log_printf(fmt, a, b);
        log_printf("\n");
    }
}

static bool dma_masked(DMAState *s, int ch)
{
    return (s->c[ch >> 2].mask >> (ch & 3)) & 1;
}

static bool dma_sw_request(DMAState *s, int ch)
{
    return (s->c[ch >> 2].request >> (ch & 3)) & 1;
}

/* May channel ch move data now? (channel 4 only cascades) */
static bool dma_active(DMAState *s, int ch)
{
    if (ch == 4 || (s->c[ch >> 2].command & CMD_DISABLE))
        return false;
    if ((s->ch[ch].mode & MODE_MODE) == MODE_CASCADE)
        return false;
    if (ch < 4 && (dma_masked(s, 4) || (s->c[1].command & CMD_DISABLE)))
        return false;
    return (s->ch[ch].dreq && !dma_masked(s, ch)) || dma_sw_request(s, ch);
}

static uint8_t dma_status(DMAState *s, int k)
{
    uint8_t req = 0;
    for (int i = 0; i < 4; i++) {
        int ch = k * 4 + i;
        bool r = s->ch[ch].dreq || dma_sw_request(s, ch);
        if (ch == 4) { /* the cascade line: controller 1 asks for the bus */
            for (int j = 0; j < 4; j++)
                r |= (s->ch[j].dreq && !dma_masked(s, j)) || dma_sw_request(s, j);
        }
        req |= (uint8_t)(r << (4 + i));
    }
    return (uint8_t)(req | (s->c[k].status & 0x0f));
}

static void dma_kick(DMAState *s)
{
    for (int ch = 0; ch < 8; ch++) {
        if (dma_active(s, ch)) {
            bh_schedule(s->bh);
            return;
        }
    }
}

static void dma_master_clear(DMACtrl *c)
{
    c->command = c->status = c->request = c->temp = c->flipflop = 0;
    c->mask = 0x0f;
}

static uint64_t dma_reg_read(DMAState *s, int k, int r)
{
    DMACtrl *c = &s->c[k];
    if (r < 8) {
        DMAChan *ch = &s->ch[k * 4 + (r >> 1)];
        uint16_t v = (r & 1) ? ch->cur_count : ch->cur_addr;
        int hi = c->flipflop;
        c->flipflop ^= 1;
        return hi ? v >> 8 : v & 0xff;
    }
    switch (r) {
    case 8: {
        uint8_t v = dma_status(s, k);
        c->status &= 0xf0; /* reading clears the TC bits */
        return v;
    }
    case 13:
        return c->temp;
    case 15:
        return 0xf0 | c->mask;
    default:
        return 0xff; /* write-only */
    }
}

static void dma_reg_write(DMAState *s, int k, int r, uint8_t v)
{
    DMACtrl *c = &s->c[k];
    if (r < 8) {
        DMAChan *ch = &s->ch[k * 4 + (r >> 1)];
        uint16_t *base = (r & 1) ? &ch->base_count : &ch->base_addr;
        uint16_t *cur = (r & 1) ? &ch->cur_count : &ch->cur_addr;
        if (c->flipflop)
            *base = (uint16_t)((*base & 0x00ff) | v << 8);
        else
            *base = (uint16_t)((*base & 0xff00) | v);
        *cur = *base;
        c->flipflop ^= 1;
        return;
    }
    int n = v & 3;
    switch (r) {
    case 8:
        c->command = v;
        if (v & CMD_MEM2MEM)
            dma_log("memory-to-memory transfers are not supported (command 0x%02x, controller %d)",
                    v, k + 1);
        if (v & 0xc0)
            dma_log("DREQ/DACK polarity inverted (command 0x%02x, controller %d): "
                    "requests are not seen", v, k + 1);
        break;
    case 9:
        if (v & 4)
            c->request |= (uint8_t)(1 << n);
        else
            c->request &= (uint8_t)~(1 << n);
        break;
    case 10:
        if (v & 4)
            c->mask |= (uint8_t)(1 << n);
        else
            c->mask &= (uint8_t)~(1 << n);
        break;
    case 11:
        s->ch[k * 4 + n].mode = v;
        if ((v & MODE_TYPE) == MODE_TYPE)
            dma_log("mode 0x%02x (channel %d): illegal transfer type", v, k * 4 + n);
        break;
    case 12:
        c->flipflop = 0;
        break;
    case 13:
        dma_master_clear(c);
        break;
    case 14:
        c->mask = 0;
        break;
    case 15:
        c->mask = v & 0x0f;
        break;
    default:
        break;
    }
    dma_kick(s);
}

static uint64_t dma1_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return dma_reg_read(opaque, 0, (int)off);
}

static void dma1_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    dma_reg_write(opaque, 0, (int)off, (uint8_t)val);
}

static uint64_t dma2_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return dma_reg_read(opaque, 1, (int)(off >> 1));
}

static void dma2_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    dma_reg_write(opaque, 1, (int)(off >> 1), (uint8_t)val);
}

static uint64_t page_read(void *opaque, hwaddr off, unsigned size)
{
    DMAState *s = opaque;
    (void)size;
    return s->page[off];
}

static void page_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    DMAState *s = opaque;
    (void)size;
    s->page[off] = (uint8_t)val;
}

static const MemOps dma1_ops = { dma1_read, dma1_write, { 1, 4 }, { 1, 1 } };
static const MemOps dma2_ops = { dma2_read, dma2_write, { 1, 4 }, { 1, 1 } };
static const MemOps page_ops = { page_read, page_write, { 1, 4 }, { 1, 1 } };

/* Guest physical address of byte i of the current transfer, and how many
 * bytes from there are contiguous in memory (*run). */
static hwaddr dma_addr(DMAState *s, int ch, uint32_t i, uint32_t *run)
{
    DMAChan *c = &s->ch[ch];
    bool dec = (c->mode & MODE_DEC) != 0;
    uint8_t page = s->page[page_reg[ch]];
    if (ch < 4) {
        uint16_t a = (uint16_t)(dec ? c->cur_addr - i : c->cur_addr + i);
        *run = dec ? 1 : 0x10000u - a;
        return (hwaddr)page << 16 | a;
    }
    uint16_t w = (uint16_t)(dec ? c->cur_addr - (i >> 1) : c->cur_addr + (i >> 1));
    uint32_t off = (uint32_t)w << 1 | (i & 1);
    *run = dec ? 2 - (i & 1) : 0x20000u - off;
    return (hwaddr)(page & 0xfe) << 16 | off;
}

static bool dma_check(DMAState *s, int ch, uint8_t type, const char *what)
{
    uint8_t t = s->ch[ch].mode & MODE_TYPE;
    if (t == type)
        return true;
    if (t != MODE_VERIFY && log_enabled(LOG_GUEST_ERRORS))
        log_printf("i8237: channel %d programmed with mode 0x%02x, the device %s memory\n",
                   ch, s->ch[ch].mode, what);
    return false;
}

uint32_t i8237_read_memory(Device *dev, int ch, void *buf, uint32_t pos, uint32_t len)
{
    DMAState *s = (DMAState *)dev;
    uint8_t *p = buf;
    if (ch < 0 || ch > 7)
        return 0;
    if (!dma_check(s, ch, MODE_READ, "reads")) {
        memset(buf, 0xff, len);
        return len;
    }
    for (uint32_t k = 0; k < len;) {
        uint32_t run;
        hwaddr a = dma_addr(s, ch, pos + k, &run);
        if (run > len - k)
            run = len - k;
        address_space_read(s->m->as, a, p + k, run);
        k += run;
    }
    return len;
}

uint32_t i8237_write_memory(Device *dev, int ch, const void *buf, uint32_t pos, uint32_t len)
{
    DMAState *s = (DMAState *)dev;
    const uint8_t *p = buf;
    if (ch < 0 || ch > 7)
        return 0;
    if (!dma_check(s, ch, MODE_WRITE, "writes"))
        return len;
    for (uint32_t k = 0; k < len;) {
        uint32_t run;
        hwaddr a = dma_addr(s, ch, pos + k, &run);
        if (run > len - k)
            run = len - k;
        address_space_write(s->m->as, a, p + k, run);
        k += run;
    }
    return len;
}

/* n transfers (bytes or words) done: move the current registers; TC when
 * the count passes 0. */
static void dma_advance(DMAState *s, int ch, uint32_t n)
{
    DMAChan *c = &s->ch[ch];
    DMACtrl *k = &s->c[ch >> 2];
    bool tc = n == (uint32_t)c->cur_count + 1;
    c->cur_addr = (uint16_t)((c->mode & MODE_DEC) ? c->cur_addr - n : c->cur_addr + n);
    c->cur_count = (uint16_t)(c->cur_count - n);
    if (!tc)
        return;
    k->status |= (uint8_t)(1 << (ch & 3));
    k->request &= (uint8_t)~(1 << (ch & 3));
    if (c->mode & MODE_AUTOINIT) {
        c->cur_addr = c->base_addr;
        c->cur_count = c->base_count;
    } else {
        k->mask |= (uint8_t)(1 << (ch & 3));
    }
}

void i8237_run(Device *dev)
{
    DMAState *s = (DMAState *)dev;
    bool again = false;
    if (s->running)
        return;
    s->running = true;
    static const int order[7] = { 0, 1, 2, 3, 5, 6, 7 };
    for (int i = 0; i < 7; i++) {
        int ch = order[i];
        if (!dma_active(s, ch))
            continue;
        uint32_t unit = ch < 4 ? 1 : 2;
        uint32_t len = ((uint32_t)s->ch[ch].cur_count + 1) * unit, n;
        if (s->fn[ch])
            n = s->fn[ch](s->opaque[ch], ch, len);
        else if (dma_sw_request(s, ch))
            n = len; /* no device: a software request just counts to TC */
        else
            continue;
        if (n > len)
            n = len;
        n /= unit;
        if (n) {
            dma_advance(s, ch, n);
            again |= dma_active(s, ch);
        }
    }
    s->running = false;
    if (again)
        bh_schedule(s->bh);
}

static void dma_bh(void *opaque)
{
    i8237_run(opaque);
}

void i8237_register_channel(Device *dev, int ch, I8237Handler *fn, void *opaque)
{
    DMAState *s = (DMAState *)dev;
    if (ch < 0 || ch > 7)
        return;
    s->fn[ch] = fn;
    s->opaque[ch] = opaque;
}

void i8237_hold_request(Device *dev, int ch)
{
    DMAState *s = (DMAState *)dev;
    if (!s || ch < 0 || ch > 7)
        return;
    s->ch[ch].dreq = true;
    dma_kick(s);
}

void i8237_release_request(Device *dev, int ch)
{
    DMAState *s = (DMAState *)dev;
    if (!s || ch < 0 || ch > 7)
        return;
    s->ch[ch].dreq = false;
}

Device *i8237_find(Machine *m)
{
    for (Device *d = m ? m->devices : NULL; d; d = d->next)
        if (d->cls == &i8237_class)
            return d;
    return NULL;
}

static int dma_realize(Device *dev, Machine *m, Error **errp)
{
    DMAState *s = (DMAState *)dev;
    (void)errp;
    s->m = m;
    s->bh = bh_new(dma_bh, s);
    s->io[0] = ioport_register(m->io, 0x00, 16, &dma1_ops, s, "dma-chan");
    s->io[1] = ioport_register(m->io, 0xc0, 32, &dma2_ops, s, "dma-cont");
    s->io[2] = ioport_register(m->io, 0x80, 16, &page_ops, s, "dma-page");
    return 0;
}

static void dma_unrealize(Device *dev)
{
    DMAState *s = (DMAState *)dev;
    for (int i = 0; i < 3; i++)
        ioport_unregister(s->m->io, s->io[i]);
    bh_delete(s->bh);
    s->bh = NULL;
}

static void dma_reset(Device *dev)
{
    DMAState *s = (DMAState *)dev;
    memset(s->ch, 0, sizeof(s->ch));
    memset(s->page, 0, sizeof(s->page));
    dma_master_clear(&s->c[0]);
    dma_master_clear(&s->c[1]);
    bh_cancel(s->bh);
}

static int dma_post_load(void *opaque, int version_id)
{
    DMAState *s = opaque;
    (void)version_id;
    dma_kick(s);
    return 0;
}

static const VMStateDescription vmstate_dma_chan = {
    .name = "dma-chan", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(base_addr, DMAChan), VMSTATE_UINT16(base_count, DMAChan),
        VMSTATE_UINT16(cur_addr, DMAChan), VMSTATE_UINT16(cur_count, DMAChan),
        VMSTATE_UINT8(mode, DMAChan), VMSTATE_BOOL(dreq, DMAChan),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_dma_ctrl = {
    .name = "dma-ctrl", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(command, DMACtrl), VMSTATE_UINT8(status, DMACtrl),
        VMSTATE_UINT8(request, DMACtrl), VMSTATE_UINT8(mask, DMACtrl),
        VMSTATE_UINT8(temp, DMACtrl), VMSTATE_UINT8(flipflop, DMACtrl),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_dma = {
    .name = "dma", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(ch, DMAState, 8, vmstate_dma_chan),
        VMSTATE_STRUCT_ARRAY(c, DMAState, 2, vmstate_dma_ctrl),
        VMSTATE_UINT8_ARRAY(page, DMAState, 16),
        VMSTATE_END
    },
    .post_load = dma_post_load,
};

const DeviceClass i8237_class = {
    .name = "i8257",
    .desc = "ISA DMA: two cascaded 8237A controllers and page registers",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(DMAState),
    .realize = dma_realize,
    .reset = dma_reset,
    .unrealize = dma_unrealize,
    .vmsd = &vmstate_dma,
};
