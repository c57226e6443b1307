/* 8042 keyboard controller. See hw/i8042.h. */
#include "hw/i8042.h"

#include <string.h>
#include "hw/ps2.h"
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

/* Controller commands (written to 0x64). */
enum {
    CCMD_READ_RAM = 0x20,       /* 0x20-0x3f: read RAM byte n (0 = command byte) */
    CCMD_WRITE_RAM = 0x60,      /* 0x60-0x7f: write RAM byte n */
    CCMD_PASSWORD_TEST = 0xa4, CCMD_PASSWORD_LOAD = 0xa5, CCMD_PASSWORD_ENABLE = 0xa6,
    CCMD_AUX_DISABLE = 0xa7, CCMD_AUX_ENABLE = 0xa8, CCMD_AUX_TEST = 0xa9,
    CCMD_SELF_TEST = 0xaa, CCMD_KBD_TEST = 0xab,
    CCMD_KBD_DISABLE = 0xad, CCMD_KBD_ENABLE = 0xae,
    CCMD_READ_INPORT = 0xc0,
    CCMD_READ_OUTPORT = 0xd0, CCMD_WRITE_OUTPORT = 0xd1,
    CCMD_WRITE_KBD_OBUF = 0xd2, CCMD_WRITE_AUX_OBUF = 0xd3, CCMD_WRITE_AUX = 0xd4,
    CCMD_A20_OFF = 0xdd, CCMD_A20_ON = 0xdf,    /* "fast A20" (HP Vectra style) */
    CCMD_READ_TEST = 0xe0,
    CCMD_PULSE = 0xf0,          /* 0xf0-0xff: pulse output bits 3-0 that are 0 */
};

/* Input port: 7 keyboard not inhibited, 5 no manufacturing jumper,
 * 6 = 0 colour primary display. */
#define INPORT_VALUE 0xa0
/* Output port at power-on: reset inactive, A20 open, clock/data high. */
#define OUTPORT_RESET_VALUE 0xcf
#define CTR_RESET_VALUE (I8042_CTR_INT | I8042_CTR_INT2)

enum { SRC_KBD, SRC_AUX };
#define CQ_SIZE 4

typedef struct I8042State {
    Device dev;
    Machine *m;
    IRQLine *a20;
    MemoryRegion *io_data, *io_cmd;
    uint8_t ram[32];        /* controller RAM; ram[0] is the command byte */
    uint8_t status;         /* I8042_STAT_* */
    uint8_t outport;
    uint8_t obuf;           /* the output buffer (last byte, stays readable) */
    uint8_t pending;        /* command waiting for its data byte, 0 = none */
    bool xlate_break;       /* XLATE saw F0: the next byte is a break code */
    /* the controller's own answers, ahead of device data */
    uint8_t cq[CQ_SIZE], cq_src[CQ_SIZE], cq_len;
    PS2Kbd kbd;
    PS2Mouse mouse;
} I8042State;

/*
 * The 8042's scan code translation (command byte XLATE): set 2 byte ->
 * set 1 byte. The controller drops an F0 prefix and sets bit 7 of the
 * byte after it. Bytes from 0x80 up pass unchanged (E0, E1, answers like
 * FA and AA) except 0x83 (F7) and 0x84 (SysRq), the two set 2 make codes
 * above 0x7f; this is why a translated keyboard identifies as AB 41.
 */
static const uint8_t xlate_table[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t i8042_translate(uint8_t b)
{
    if (b < 0x80)
        return xlate_table[b];
    return b == 0x83 ? 0x41 : b == 0x84 ? 0x54 : b;
}

static uint8_t ctr(const I8042State *s)
{
    return s->ram[0];
}

static void kbc_update_irq(I8042State *s)
{
    bool full = s->status & I8042_STAT_OBF, aux = s->status & I8042_STAT_AUXB;
    irq_set(s->m->isa_irq[1], full && !aux && (ctr(s) & I8042_CTR_INT));
    irq_set(s->m->isa_irq[12], full && aux && (ctr(s) & I8042_CTR_INT2));
}

static void kbc_load(I8042State *s, uint8_t b, int src)
{
    s->obuf = b;
    s->status |= I8042_STAT_OBF;
    if (src == SRC_AUX)
        s->status |= I8042_STAT_AUXB;
    else
        s->status &= (uint8_t)~I8042_STAT_AUXB;
    kbc_update_irq(s);
}

/*
 * Fill an empty output buffer: the controller's own answers first, then
 * the keyboard, then the mouse, each port only while its clock is enabled.
 * One byte at a time; the next comes when the guest has read this one.
 */
static void kbc_pump(I8042State *s)
{
    if (s->status & I8042_STAT_OBF)
        return;
    if (s->cq_len) {
        uint8_t b = s->cq[0], src = s->cq_src[0];
        s->cq_len--;
        memmove(s->cq, s->cq + 1, s->cq_len);
        memmove(s->cq_src, s->cq_src + 1, s->cq_len);
        kbc_load(s, b, src);
        return;
    }
    if (!(ctr(s) & I8042_CTR_KBDDIS)) {
        int b;
        while ((b = ps2_kbd_read(&s->kbd)) >= 0) {
            if (ctr(s) & I8042_CTR_XLATE) {
                if (b == 0xf0) {
                    s->xlate_break = true;
                    continue;
                }
                b = i8042_translate((uint8_t)b) | (s->xlate_break ? 0x80 : 0);
                s->xlate_break = false;
            }
            kbc_load(s, (uint8_t)b, SRC_KBD);
            return;
        }
    }
    if (!(ctr(s) & I8042_CTR_AUXDIS)) {
        int b = ps2_mouse_read(&s->mouse);
        if (b >= 0)
            kbc_load(s, (uint8_t)b, SRC_AUX);
    }
}

static void kbc_notify(void *opaque)
{
    kbc_pump(opaque);
}

/* Queue the controller's answer to a command. */
static void kbc_reply(I8042State *s, uint8_t b, int src)
{
    if (s->cq_len < CQ_SIZE) {
        s->cq[s->cq_len] = b;
        s->cq_src[s->cq_len] = (uint8_t)src;
        s->cq_len++;
    }
    kbc_pump(s);
}

static uint8_t kbc_outport(const I8042State *s)
{
    uint8_t v = s->outport & (uint8_t)~(I8042_OUT_OBF | I8042_OUT_AUXOBF);
    if (s->status & I8042_STAT_OBF)
        v |= s->status & I8042_STAT_AUXB ? I8042_OUT_AUXOBF : I8042_OUT_OBF;
    return v;
}

static void kbc_set_a20(I8042State *s, bool on)
{
    if (on)
        s->outport |= I8042_OUT_A20;
    else
        s->outport &= (uint8_t)~I8042_OUT_A20;
    irq_set(s->a20, on);
}

static void kbc_write_outport(I8042State *s, uint8_t v)
{
    s->outport = v;
    kbc_set_a20(s, v & I8042_OUT_A20);
    /* State is final before the pulse: a reset may run synchronously. */
    if (!(v & I8042_OUT_RESET))
        irq_pulse(s->m->reset_request);
}

static void kbc_write_ctr(I8042State *s, uint8_t v)
{
    s->ram[0] = v;
    if (v & I8042_CTR_SYS)
        s->status |= I8042_STAT_SYS;
    else
        s->status &= (uint8_t)~I8042_STAT_SYS;
    kbc_update_irq(s);
    kbc_pump(s);
}

static void kbc_command(I8042State *s, uint8_t cmd)
{
    s->pending = 0;
    if (cmd >= CCMD_READ_RAM && cmd < CCMD_READ_RAM + 0x20) {
        kbc_reply(s, s->ram[cmd & 0x1f], SRC_KBD);
        return;
    }
    if (cmd >= CCMD_WRITE_RAM && cmd < CCMD_WRITE_RAM + 0x20) {
        s->pending = cmd;
        return;
    }
    if (cmd >= CCMD_PULSE) {
        /* Bits 3-0 low = pulse that output bit; bit 0 is the CPU reset. */
        if (!(cmd & I8042_OUT_RESET))
            irq_pulse(s->m->reset_request);
        return;
    }
    switch (cmd) {
    case CCMD_PASSWORD_TEST:
        kbc_reply(s, 0xf1, SRC_KBD);    /* no password installed */
        break;
    case CCMD_PASSWORD_LOAD:
        s->pending = cmd;               /* takes bytes up to a 0 */
        break;
    case CCMD_PASSWORD_ENABLE:          /* no password: nothing to lock */
        break;
    case CCMD_AUX_DISABLE:
        kbc_write_ctr(s, ctr(s) | I8042_CTR_AUXDIS);
        break;
    case CCMD_AUX_ENABLE:
        kbc_write_ctr(s, ctr(s) & (uint8_t)~I8042_CTR_AUXDIS);
        break;
    case CCMD_AUX_TEST:
    case CCMD_KBD_TEST:
        kbc_reply(s, 0x00, SRC_KBD);    /* no clock or data line stuck */
        break;
    case CCMD_SELF_TEST:
        s->status |= I8042_STAT_SYS;
        kbc_reply(s, 0x55, SRC_KBD);
        break;
    case CCMD_KBD_DISABLE:
        kbc_write_ctr(s, ctr(s) | I8042_CTR_KBDDIS);
        break;
    case CCMD_KBD_ENABLE:
        kbc_write_ctr(s, ctr(s) & (uint8_t)~I8042_CTR_KBDDIS);
        break;
    case CCMD_READ_INPORT:
        kbc_reply(s, INPORT_VALUE, SRC_KBD);
        break;
    case CCMD_READ_OUTPORT:
        kbc_reply(s, kbc_outport(s), SRC_KBD);
        break;
    case CCMD_WRITE_OUTPORT:
    case CCMD_WRITE_KBD_OBUF:
    case CCMD_WRITE_AUX_OBUF:
    case CCMD_WRITE_AUX:
        s->pending = cmd;
        break;
    case CCMD_A20_OFF:
        kbc_set_a20(s, false);
        break;
    case CCMD_A20_ON:
        kbc_set_a20(s, true);
        break;
    case CCMD_READ_TEST:
        kbc_reply(s, 0x00, SRC_KBD);
        break;
    default:
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("i8042: unknown controller command 0x%02x\n", cmd);
        break;
    }
}

static void kbc_data(I8042State *s, uint8_t v)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= CCMD_WRITE_RAM && cmd < CCMD_WRITE_RAM + 0x20) {
        if (cmd == CCMD_WRITE_RAM)
            kbc_write_ctr(s, v);
        else
            s->ram[cmd & 0x1f] = v;
        return;
    }
    switch (cmd) {
    case CCMD_PASSWORD_LOAD:
        if (v)
            s->pending = cmd;
        break;
    case CCMD_WRITE_OUTPORT:
        kbc_write_outport(s, v);
        break;
    case CCMD_WRITE_KBD_OBUF:
        kbc_reply(s, v, SRC_KBD);
        break;
    case CCMD_WRITE_AUX_OBUF:
        kbc_reply(s, v, SRC_AUX);
        break;
    case CCMD_WRITE_AUX:
        ps2_mouse_write(&s->mouse, v);
        break;
    default:
        ps2_kbd_write(&s->kbd, v);
        break;
    }
}

static uint64_t kbc_read(void *opaque, hwaddr off, unsigned size)
{
    I8042State *s = opaque;
    (void)size;
    if (off == 0) {
        uint8_t v = s->obuf;
        s->status &= (uint8_t)~(I8042_STAT_OBF | I8042_STAT_AUXB);
        kbc_update_irq(s);
        kbc_pump(s);
        return v;
    }
    return s->status;
}

static void kbc_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    I8042State *s = opaque;
    (void)size;
    if (off == 0) {
        s->status &= (uint8_t)~I8042_STAT_A2;
        kbc_data(s, (uint8_t)val);
    } else {
        s->status |= I8042_STAT_A2;
        kbc_command(s, (uint8_t)val);
    }
}

static const MemOps kbc_ops = {
    .read = kbc_read,
    .write = kbc_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

static uint64_t kbc_read_cmd(void *opaque, hwaddr off, unsigned size)
{
    (void)off;
    return kbc_read(opaque, 4, size);
}

static void kbc_write_cmd(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)off;
    kbc_write(opaque, 4, val, size);
}

static const MemOps kbc_cmd_ops = {
    .read = kbc_read_cmd,
    .write = kbc_write_cmd,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

void i8042_set_a20_line(Device *kbc, IRQLine *a20)
{
    I8042State *s = (I8042State *)kbc;
    s->a20 = a20;
    irq_set(s->a20, (s->outport & I8042_OUT_A20) != 0);
}

static int i8042_realize(Device *dev, Machine *m, Error **errp)
{
    I8042State *s = (I8042State *)dev;
    (void)errp;
    s->m = m;
    s->a20 = m->a20;
    ps2_kbd_init(&s->kbd, kbc_notify, s);
    ps2_mouse_init(&s->mouse, kbc_notify, s);
    s->io_data = ioport_register(m->io, I8042_DATA_PORT, 1, &kbc_ops, s, "i8042-data");
    s->io_cmd = ioport_register(m->io, I8042_CMD_PORT, 1, &kbc_cmd_ops, s, "i8042-cmd");
    return 0;
}

static void i8042_unrealize(Device *dev)
{
    I8042State *s = (I8042State *)dev;
    ioport_unregister(s->m->io, s->io_data);
    ioport_unregister(s->m->io, s->io_cmd);
    ps2_kbd_fini(&s->kbd);
    ps2_mouse_fini(&s->mouse);
}

static void i8042_reset(Device *dev)
{
    I8042State *s = (I8042State *)dev;
    memset(s->ram, 0, sizeof(s->ram));
    s->ram[0] = CTR_RESET_VALUE;
    s->status = I8042_STAT_INH;
    s->obuf = 0;
    s->pending = 0;
    s->xlate_break = false;
    s->cq_len = 0;
    ps2_kbd_reset(&s->kbd);
    ps2_mouse_reset(&s->mouse);
    s->outport = OUTPORT_RESET_VALUE;
    irq_set(s->a20, 1);
    kbc_update_irq(s);
}

static int i8042_post_load(void *opaque, int version)
{
    I8042State *s = opaque;
    (void)version;
    if (s->cq_len > CQ_SIZE)
        s->cq_len = 0;
    irq_set(s->a20, (s->outport & I8042_OUT_A20) != 0);
    kbc_update_irq(s);
    return 0;
}

static const VMStateDescription vmstate_i8042 = {
    .name = "i8042", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(ram, I8042State, 32),
        VMSTATE_UINT8(status, I8042State),
        VMSTATE_UINT8(outport, I8042State),
        VMSTATE_UINT8(obuf, I8042State),
        VMSTATE_UINT8(pending, I8042State),
        VMSTATE_BOOL(xlate_break, I8042State),
        VMSTATE_UINT8_ARRAY(cq, I8042State, CQ_SIZE),
        VMSTATE_UINT8_ARRAY(cq_src, I8042State, CQ_SIZE),
        VMSTATE_UINT8(cq_len, I8042State),
        VMSTATE_STRUCT(kbd, I8042State, ps2_kbd_vmstate),
        VMSTATE_STRUCT(mouse, I8042State, ps2_mouse_vmstate),
        VMSTATE_END
    },
    .post_load = i8042_post_load,
};

const DeviceClass i8042_class = {
    .name = "i8042",
    .desc = "8042 keyboard controller with PS/2 keyboard and mouse (ports 0x60/0x64, IRQ 1/12)",
    .category = "Input devices",
    .bus = "ISA",
    .instance_size = sizeof(I8042State),
    .realize = i8042_realize,
    .reset = i8042_reset,
    .unrealize = i8042_unrealize,
    .vmsd = &vmstate_i8042,
};
