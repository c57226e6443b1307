/*
 * Helpers for the IDE tests: images with a known pattern, a driver-like
 * view of one channel's registers, and the main loop for completions.
 */
#ifndef PEMU_TEST_IDE_RIG_H
#define PEMU_TEST_IDE_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include "hw/ide.h"
#include "ports/posix.h"
#include "src/mainloop.h"
#include "src/timer.h"

static const char *rig_path(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", unit_tmpdir(), name);
    return buf[i];
}

/* Byte j of 512-byte sector s of a pattern image. */
static inline uint8_t pat(uint64_t s, unsigned j)
{
    return (uint8_t)(s * 7 + j + (s >> 8) * 3 + (s >> 24));
}

/* An image of `size` bytes (fmt raw or qcow2) whose first `fill` bytes
 * hold the pattern; opened read-write (read-only if ro). */
static BlockBackend *rig_image(const char *fmt, const char *name, uint64_t size, uint64_t fill,
                               bool ro)
{
    BlockOpts o = { 0 };
    Error *err = NULL;
    if (bdrv_create(bdrv_find_format(fmt), rig_path(name), size, &o, &err) < 0) {
        error_report_err(err);
        return NULL;
    }
    BlockBackend *blk = blk_open(rig_path(name), fmt, BDRV_O_RDWR, &err);
    if (!blk) {
        error_report_err(err);
        return NULL;
    }
    uint8_t *buf = malloc(65536);
    for (uint64_t off = 0; off < fill; off += 65536) {
        uint64_t n = fill - off < 65536 ? fill - off : 65536;
        for (uint64_t k = 0; k < n; k++)
            buf[k] = pat((off + k) / 512, (unsigned)((off + k) % 512));
        if (blk_pwrite(blk, off, n, buf, &err) < 0) {
            error_report_err(err);
            free(buf);
            blk_close(blk);
            return NULL;
        }
    }
    free(buf);
    if (ro) {
        blk_close(blk);
        blk = blk_open(rig_path(name), fmt, 0, &err);
        if (!blk)
            error_report_err(err);
    }
    return blk;
}

typedef struct IrqRec {
    int level;
    int rises;
} IrqRec;

PEMU_UNUSED static void irq_rec_handler(void *opaque, int n, int level)
{
    (void)n;
    IrqRec *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

/* Run the main loop until the selected device is not BSY (5 s at most). */
static inline bool ide_wait(IDEBus *bus)
{
    int64_t end = host_clock_monotonic_ns() + 5 * NS_PER_SEC;
    while (ide_ctl_read(bus) & IDE_ST_BSY) {
        if (host_clock_monotonic_ns() > end)
            return false;
        mainloop_wait(10 * NS_PER_MS);
    }
    return true;
}

static inline uint8_t rd(IDEBus *bus, unsigned reg) { return (uint8_t)ide_cmd_read(bus, reg, 1); }
static inline void wr(IDEBus *bus, unsigned reg, uint8_t v) { ide_cmd_write(bus, reg, v, 1); }

/* Task file for a 28-bit LBA command. */
static inline void tf28(IDEBus *bus, int unit, uint32_t lba, uint8_t count)
{
    wr(bus, 6, (uint8_t)(0xe0 | unit << 4 | ((lba >> 24) & 0x0f)));
    wr(bus, 2, count);
    wr(bus, 3, (uint8_t)lba);
    wr(bus, 4, (uint8_t)(lba >> 8));
    wr(bus, 5, (uint8_t)(lba >> 16));
}

/* Task file for a 48-bit command: high bytes first, as drivers do. */
static inline void tf48(IDEBus *bus, int unit, uint64_t lba, uint16_t count)
{
    wr(bus, 6, (uint8_t)(0x40 | unit << 4));
    wr(bus, 2, (uint8_t)(count >> 8));
    wr(bus, 3, (uint8_t)(lba >> 24));
    wr(bus, 4, (uint8_t)(lba >> 32));
    wr(bus, 5, (uint8_t)(lba >> 40));
    wr(bus, 2, (uint8_t)count);
    wr(bus, 3, (uint8_t)lba);
    wr(bus, 4, (uint8_t)(lba >> 8));
    wr(bus, 5, (uint8_t)(lba >> 16));
}

static inline void read_words(IDEBus *bus, uint8_t *buf, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2) {
        uint16_t w = (uint16_t)ide_cmd_read(bus, 0, 2);
        buf[i] = (uint8_t)w;
        if (i + 1 < bytes)
            buf[i + 1] = (uint8_t)(w >> 8);
    }
}

static inline void write_words(IDEBus *bus, const uint8_t *buf, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2)
        ide_cmd_write(bus, 0, (uint32_t)(buf[i] | buf[i + 1] << 8), 2);
}

/*
 * An ATAPI packet command through PIO with the given byte count limit:
 * data-in lands in out (up to cap bytes); returns the byte count moved,
 * or -1 if the device did not behave. *pieces counts the DRQ pieces.
 */
static inline int atapi_pio(IDEBus *bus, const uint8_t cdb[12], uint16_t limit, uint8_t *out,
                            unsigned cap, int *pieces)
{
    int got = 0, np = 0;
    wr(bus, 1, 0);
    wr(bus, 4, (uint8_t)limit);
    wr(bus, 5, (uint8_t)(limit >> 8));
    wr(bus, 7, 0xa0);
    uint8_t st = ide_ctl_read(bus);
    if ((st & (IDE_ST_DRQ | IDE_ST_BSY)) != IDE_ST_DRQ || rd(bus, 2) != ATAPI_IR_COD)
        return -1;
    write_words(bus, cdb, 12);
    for (;;) {
        if (!ide_wait(bus))
            return -1;
        st = rd(bus, 7);
        if (!(st & IDE_ST_DRQ))
            break;
        if (rd(bus, 2) != ATAPI_IR_IO)
            return -1;
        unsigned n = rd(bus, 4) | rd(bus, 5) << 8;
        if (n > limit || (unsigned)got + n > cap)
            return -1;
        read_words(bus, out + got, n);
        got += (int)n;
        np++;
    }
    if (rd(bus, 2) != (ATAPI_IR_IO | ATAPI_IR_COD))
        return -1;
    if (pieces)
        *pieces = np;
    return got;
}

#endif
