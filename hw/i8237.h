/*
 * The AT's ISA DMA: two cascaded Intel 8237A controllers and the page
 * registers (class "i8257", QEMU's name for it). Channels 0-3 are 8-bit
 * (ports 0x00-0x0f), channels 4-7 16-bit (0xc0-0xdf, word addressed);
 * channel 4 cascades the first controller. Page registers at 0x80-0x8f.
 *
 * ISA devices (the floppy controller on channel 2, later a Sound Blaster)
 * register a transfer handler for their channel and hold DREQ while they
 * want data moved. The controller runs the handler from a bottom half (or
 * i8237_run) while the channel is requested, unmasked and its controller
 * enabled; the handler moves bytes with i8237_read_memory/write_memory
 * and returns how many it moved. The controller then advances the
 * channel's current address and count, and at terminal count sets the TC
 * status bit and either auto-initializes or masks the channel.
 */
#ifndef PEMU_HW_I8237_H
#define PEMU_HW_I8237_H

#include <stdint.h>
#include "src/device.h"

extern const DeviceClass i8237_class;

/*
 * A channel's transfer handler. `len` is the bytes left before terminal
 * count (current count + 1 transfers; words count 2 bytes on channels
 * 5-7). The handler moves up to len bytes at offsets 0.. of this call
 * (i8237_read_memory/write_memory `pos`) and returns how many it moved;
 * returning len means the transfer reached terminal count (TC). On 16-bit
 * channels an odd return is rounded down.
 */
typedef uint32_t I8237Handler(void *opaque, int ch, uint32_t len);

void i8237_register_channel(Device *dma, int ch, I8237Handler *fn, void *opaque);
/* DREQ of channel ch: held until released. Holding schedules a run. */
void i8237_hold_request(Device *dma, int ch);
void i8237_release_request(Device *dma, int ch);

/*
 * Memory side of a transfer, only from a handler: bytes [pos, pos+len) of
 * this call's transfer, at the channel's current address (+ or - per the
 * mode; the address wraps within the 64 KiB page, 128 KiB on channels
 * 5-7, as the page register does not count). read_memory is the 8237's
 * "read transfer" (memory to device), write_memory its "write transfer".
 * A transfer type that does not match (verify, or the other direction)
 * does not touch memory, as on the real bus: read_memory then gives 0xff
 * bytes. Both return len.
 */
uint32_t i8237_read_memory(Device *dma, int ch, void *buf, uint32_t pos, uint32_t len);
uint32_t i8237_write_memory(Device *dma, int ch, const void *buf, uint32_t pos, uint32_t len);

/* Run the pending transfers now (the bottom half does this). */
void i8237_run(Device *dma);

/* The machine's DMA controller (the first "i8257" in m->devices), or NULL. */
Device *i8237_find(Machine *m);

#endif
