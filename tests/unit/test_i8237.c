/* hw/i8237: the DMA controller pair programmed through its ports, with a
 * fake ISA device on a channel. */
#include "unit.h"

#include <stdlib.h>
#include "hw/i8237.h"
#include "src/machine.h"
#include "src/mainloop.h"
#include "src/memory.h"
#include "src/vmstate.h"

typedef struct FakeDev {
    Device *dma;
    int ch;
    int calls;
    uint32_t lens[8];
    uint32_t want;      /* bytes to move per call (0: all) */
    bool to_memory;     /* write transfer (device -> memory) */
    uint8_t data[4096]; /* what it sends, or what it received */
    uint32_t done;      /* bytes moved so far, over all calls */
} FakeDev;

static uint32_t fake_xfer(void *opaque, int ch, uint32_t len)
{
    FakeDev *f = opaque;
    uint32_t n = f->want && f->want < len ? f->want : len;
    if (f->calls < 8)
        f->lens[f->calls] = len;
    f->calls++;
    if (f->done + n > sizeof(f->data))
        n = (uint32_t)sizeof(f->data) - f->done;
    /* two pieces, to exercise pos */
    uint32_t h = n / 2;
    if (f->to_memory) {
        i8237_write_memory(f->dma, ch, f->data + f->done, 0, h);
        i8237_write_memory(f->dma, ch, f->data + f->done + h, h, n - h);
    } else {
        i8237_read_memory(f->dma, ch, f->data + f->done, 0, h);
        i8237_read_memory(f->dma, ch, f->data + f->done + h, h, n - h);
    }
    f->done += n;
    return n;
}

static Machine *rig(Device **dma)
{
    Machine *m = machine_new_bare(4 << 20);
    Error *err = NULL;
    *dma = device_create(m, "i8257", NULL, &err);
    if (!*dma) {
        error_report_err(err);
        abort();
    }
    return m;
}

static void outb(Machine *m, uint16_t port, uint8_t v) { ioport_write(m->io, port, v, 1); }
static uint8_t inb(Machine *m, uint16_t port) { return (uint8_t)ioport_read(m->io, port, 1); }

/* What a BIOS does for an 8-bit channel (SeaBIOS's floppy DMA setup). */
static void setup8(Machine *m, int ch, uint8_t mode, uint32_t addr, uint16_t count)
{
    static const uint16_t page[4] = { 0x87, 0x83, 0x81, 0x82 };
    outb(m, 0x0a, (uint8_t)(4 | ch));            /* mask */
    outb(m, 0x0c, 0);                            /* clear flip-flop */
    outb(m, (uint16_t)(ch * 2), (uint8_t)addr);
    outb(m, (uint16_t)(ch * 2), (uint8_t)(addr >> 8));
    outb(m, 0x0c, 0);
    outb(m, (uint16_t)(ch * 2 + 1), (uint8_t)count);
    outb(m, (uint16_t)(ch * 2 + 1), (uint8_t)(count >> 8));
    outb(m, 0x0b, (uint8_t)(mode | ch));
    outb(m, page[ch], (uint8_t)(addr >> 16));
    outb(m, 0x0a, (uint8_t)ch);                  /* unmask */
}

static void cascade_on(Machine *m)
{
    outb(m, 0xd6, 0xc0); /* channel 4 cascade mode */
    outb(m, 0xd4, 0x00); /* unmask channel 4 */
}

static uint8_t ram8(Machine *m, hwaddr a) { return address_space_ldub(m->as, a); }

TEST(read_transfer_8bit_with_tc_and_mask)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma };
    for (int i = 0; i < 300; i++)
        address_space_stb(m->as, 0x12340 + i, (uint8_t)(i * 7 + 1));
    i8237_register_channel(dma, 2, fake_xfer, &f);
    cascade_on(m);
    setup8(m, 2, 0x48, 0x12340, 299); /* single, read (memory -> device) */
    CHECK_EQ(inb(m, 0x0f) & 0x04, 0);
    i8237_hold_request(dma, 2);
    CHECK_EQ(inb(m, 0x08) & 0x40, 0x40); /* request pending on channel 2 */
    mainloop_wait(0);                     /* the bottom half runs it */
    CHECK_EQ(f.calls, 1);
    CHECK_EQ(f.lens[0], 300);
    for (int i = 0; i < 300; i++)
        CHECK_EQ(f.data[i], (uint8_t)(i * 7 + 1));
    i8237_release_request(dma, 2);
    /* TC reached: status bit 2, cleared by the read; channel masked */
    CHECK_EQ(inb(m, 0x08), 0x04);
    CHECK_EQ(inb(m, 0x08), 0x00);
    CHECK_EQ(inb(m, 0x0f) & 0x04, 0x04);
    /* current address moved on, count passed zero */
    outb(m, 0x0c, 0);
    unsigned a = inb(m, 0x04);
    a |= (unsigned)inb(m, 0x04) << 8;
    unsigned c = inb(m, 0x05);
    c |= (unsigned)inb(m, 0x05) << 8;
    CHECK_EQ(a, (0x2340 + 300) & 0xffff);
    CHECK_EQ(c, 0xffff);
    /* masked now: a new request does nothing */
    i8237_hold_request(dma, 2);
    i8237_run(dma);
    CHECK_EQ(f.calls, 1);
    machine_free(m);
}

TEST(write_transfer_in_pieces_and_page_wrap)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma, .to_memory = true, .want = 100 };
    for (int i = 0; i < 256; i++)
        f.data[i] = (uint8_t)(0xa0 ^ i);
    i8237_register_channel(dma, 1, fake_xfer, &f);
    cascade_on(m);
    /* 256 bytes from 0x2ff80: the address wraps to 0x20000, not 0x30000 */
    setup8(m, 1, 0x44, 0x2ff80, 255);
    i8237_hold_request(dma, 1);
    i8237_run(dma); /* 100 bytes, then the run is rescheduled */
    CHECK_EQ(f.calls, 1);
    CHECK_EQ(f.lens[0], 256);
    mainloop_wait(0);
    mainloop_wait(0);
    CHECK_EQ(f.calls, 3);
    CHECK_EQ(f.lens[1], 156);
    CHECK_EQ(f.lens[2], 56);
    for (int i = 0; i < 128; i++)
        CHECK_EQ(ram8(m, 0x2ff80 + i), (uint8_t)(0xa0 ^ i));
    for (int i = 128; i < 256; i++)
        CHECK_EQ(ram8(m, 0x20000 + i - 128), (uint8_t)(0xa0 ^ i));
    CHECK_EQ(ram8(m, 0x30000), 0);
    CHECK_EQ(inb(m, 0x08) & 0x0f, 0x02);
    machine_free(m);
}

TEST(cascade_channel_gates_controller_1)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma, .to_memory = true };
    i8237_register_channel(dma, 2, fake_xfer, &f);
    setup8(m, 2, 0x44, 0x1000, 15);
    i8237_hold_request(dma, 2);
    i8237_run(dma);
    CHECK_EQ(f.calls, 0); /* channel 4 masked since reset */
    cascade_on(m);
    mainloop_wait(0);     /* unmasking schedules the run */
    CHECK_EQ(f.calls, 1);
    CHECK_EQ(f.done, 16);
    /* controller disable (command bit 2) stops everything */
    setup8(m, 2, 0x44, 0x1000, 15);
    outb(m, 0x08, 0x04);
    i8237_run(dma);
    CHECK_EQ(f.calls, 1);
    outb(m, 0x08, 0x00);
    i8237_run(dma);
    CHECK_EQ(f.calls, 2);
    machine_free(m);
}

TEST(sixteen_bit_channel_word_addressing)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma, .to_memory = true };
    for (int i = 0; i < 64; i++)
        f.data[i] = (uint8_t)(i + 1);
    i8237_register_channel(dma, 5, fake_xfer, &f);
    /* channel 5 at byte address 0x35000: page bits 7-1 give the 128 KiB
     * window 0x20000 (bit 0 of the 0x03 written is ignored), word address
     * 0xa800 the byte offset 0x15000 in it */
    outb(m, 0xd4, 0x05);              /* mask 5 */
    outb(m, 0xd8, 0);                 /* clear flip-flop */
    outb(m, 0xc4, 0x00); /* word address 0xa800 -> byte 0x15000 */
    outb(m, 0xc4, 0xa8);
    outb(m, 0xc6, 31);                /* 32 words */
    outb(m, 0xc6, 0);
    outb(m, 0xd6, 0x45);              /* single, write, channel 5 */
    outb(m, 0x8b, 0x03);              /* page: bits 7-1 only */
    outb(m, 0xd4, 0x01);              /* unmask 5 */
    i8237_hold_request(dma, 5);
    i8237_run(dma);
    CHECK_EQ(f.calls, 1);
    CHECK_EQ(f.lens[0], 64);
    for (int i = 0; i < 64; i++)
        CHECK_EQ(ram8(m, 0x35000 + i), (uint8_t)(i + 1));
    CHECK_EQ(ram8(m, 0x34fff), 0);
    CHECK_EQ(ram8(m, 0x35040), 0);
    /* current address counts words; TC in controller 2's status bit 1 */
    outb(m, 0xd8, 0);
    unsigned a = inb(m, 0xc4);
    a |= (unsigned)inb(m, 0xc4) << 8;
    CHECK_EQ(a, 0xa800 + 32);
    CHECK_EQ(inb(m, 0xd0) & 0x0f, 0x02);
    /* odd ports alias even ones (A0 is not decoded) */
    outb(m, 0xd9, 0);
    unsigned a2 = inb(m, 0xc5);
    a2 |= (unsigned)inb(m, 0xc5) << 8;
    CHECK_EQ(a2, a);
    machine_free(m);
}

TEST(autoinit_reloads_and_stays_unmasked)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma, .to_memory = true };
    for (int i = 0; i < 64; i++)
        f.data[i] = (uint8_t)(0x40 + i);
    i8237_register_channel(dma, 3, fake_xfer, &f);
    cascade_on(m);
    setup8(m, 3, 0x54, 0x8000, 15); /* single, write, auto-init */
    i8237_hold_request(dma, 3);
    i8237_run(dma);                 /* 16 bytes, TC, reload */
    CHECK_EQ(f.calls, 1);
    CHECK_EQ(inb(m, 0x08) & 0x0f, 0x08);
    CHECK_EQ(inb(m, 0x0f) & 0x08, 0); /* still unmasked */
    i8237_run(dma);                 /* the second buffer overwrites the first */
    CHECK_EQ(f.calls, 2);
    CHECK_EQ(f.lens[1], 16);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(ram8(m, 0x8000 + i), (uint8_t)(0x50 + i));
    outb(m, 0x0c, 0);
    unsigned a = inb(m, 0x06);
    a |= (unsigned)inb(m, 0x06) << 8;
    CHECK_EQ(a, 0x8000);
    i8237_release_request(dma, 3);
    machine_free(m);
}

TEST(decrement_verify_and_direction_mismatch)
{
    Device *dma;
    Machine *m = rig(&dma);
    FakeDev f = { .dma = dma, .to_memory = true };
    for (int i = 0; i < 8; i++)
        f.data[i] = (uint8_t)(i + 1);
    i8237_register_channel(dma, 0, fake_xfer, &f);
    cascade_on(m);
    setup8(m, 0, 0x64, 0x5007, 7); /* write, decrement */
    i8237_hold_request(dma, 0);
    i8237_run(dma);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(ram8(m, 0x5007 - i), (uint8_t)(i + 1));
    /* verify: addresses and counts move, memory untouched */
    f.done = 0;
    for (int i = 0; i < 8; i++)
        f.data[i] = 0xee;
    setup8(m, 0, 0x40, 0x6000, 7);
    i8237_run(dma);
    CHECK_EQ(ram8(m, 0x6000), 0);
    CHECK_EQ(inb(m, 0x08) & 1, 1);
    /* a device writing into a read transfer does not write memory either */
    f.done = 0;
    setup8(m, 0, 0x48, 0x6000, 7);
    i8237_run(dma);
    CHECK_EQ(ram8(m, 0x6000), 0);
    machine_free(m);
}

TEST(software_request_master_clear_and_pages)
{
    Device *dma;
    Machine *m = rig(&dma);
    cascade_on(m);
    setup8(m, 1, 0x88, 0x4000, 9); /* block mode, no device */
    outb(m, 0x0a, 0x05);           /* masked: software requests still run */
    outb(m, 0x09, 0x05);           /* request channel 1 */
    CHECK_EQ(inb(m, 0x08) & 0x20, 0x20);
    mainloop_wait(0);
    CHECK_EQ(inb(m, 0x08), 0x02);  /* TC, request cleared */
    /* page registers all read back; 0x80 is just storage (POST codes) */
    for (int p = 0; p < 16; p++)
        outb(m, (uint16_t)(0x80 + p), (uint8_t)(0x11 * p));
    for (int p = 0; p < 16; p++)
        CHECK_EQ(inb(m, (uint16_t)(0x80 + p)), (uint8_t)(0x11 * p));
    /* flip-flop: a write leaves it toggled; master clear resets it and masks all */
    outb(m, 0x0c, 0);
    outb(m, 0x00, 0x34);
    outb(m, 0x0d, 0);
    CHECK_EQ(inb(m, 0x0f) & 0x0f, 0x0f);
    outb(m, 0x00, 0x78);
    outb(m, 0x00, 0x56);
    outb(m, 0x0c, 0);
    CHECK_EQ(inb(m, 0x00), 0x78);
    CHECK_EQ(inb(m, 0x00), 0x56);
    outb(m, 0x0e, 0);              /* clear all masks */
    CHECK_EQ(inb(m, 0x0f) & 0x0f, 0);
    outb(m, 0x0f, 0x0a);
    CHECK_EQ(inb(m, 0x0f) & 0x0f, 0x0a);
    machine_free(m);
}

TEST(vmstate_roundtrip)
{
    Device *dma;
    Machine *m = rig(&dma);
    setup8(m, 2, 0x46, 0x23456, 511);
    Error *err = NULL;
    VMStream *w = vmstate_mem_stream_new();
    CHECK(vmstate_save_all(w, &err) == 0);
    setup8(m, 2, 0x4a, 0x0, 0);
    size_t len;
    const uint8_t *d = vmstate_stream_data(w, &len);
    VMStream *r = vmstate_mem_stream_open(d, len);
    CHECK(vmstate_load_all(r, &err) == 0);
    outb(m, 0x0c, 0);
    CHECK_EQ(inb(m, 0x04), 0x56);
    CHECK_EQ(inb(m, 0x04), 0x34);
    CHECK_EQ(inb(m, 0x81), 0x02);
    CHECK_EQ(inb(m, 0x05), 0xff);
    vmstate_stream_free(r);
    vmstate_stream_free(w);
    machine_free(m);
}
