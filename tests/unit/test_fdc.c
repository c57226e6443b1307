/* hw/fdc: the floppy controller driven through its ports as SeaBIOS and
 * Linux drive it, with the DMA controller (hw/i8237) moving the data into
 * guest RAM and raw images in a temporary directory. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "hw/fdc.h"
#include "hw/i8237.h"
#include "src/block/block.h"
#include "src/machine.h"
#include "src/mainloop.h"
#include "src/memory.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define IMG_144 1474560u

static int64_t fake_ns;
static int64_t fake_now(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

static void advance_ns(int64_t d)
{
    fake_ns += d;
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
}

/* Byte i of sector lba in our test images. */
static uint8_t pat(uint32_t lba, uint32_t i)
{
    if (i < 2)
        return (uint8_t)(lba >> (8 * i));
    return (uint8_t)((lba * 37) ^ (i * 5) ^ (lba >> 3));
}

static char *make_image(const char *name, uint32_t size)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ & 7];
    snprintf(p, 512, "%s/%s", unit_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    for (uint32_t lba = 0; lba < size / 512; lba++)
        for (uint32_t i = 0; i < 512; i++)
            fputc(pat(lba, i), f);
    fclose(f);
    return p;
}

static BlockBackend *open_image(const char *path, bool rw)
{
    Error *err = NULL;
    BlockBackend *blk = blk_open(path, "raw", rw ? BDRV_O_RDWR : 0, &err);
    if (!blk) {
        error_report_err(err);
        abort();
    }
    return blk;
}

typedef struct Rig {
    Machine *m;
    Device *dma, *fdc;
    BlockBackend *blk[2];
} Rig;

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m->io, port, v, 1); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m->io, port, 1); }
static int irq6(Rig *r) { return machine_bare_irq_level(r->m, 6); }

static int sense(Rig *r, uint8_t *st0, uint8_t *pcn);

static void rig_init(Rig *r, uint32_t size_a, bool ro)
{
    Error *err = NULL;
    memset(r, 0, sizeof(*r));
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);
    r->m = machine_new_bare(2 << 20);
    r->dma = device_create(r->m, "i8257", NULL, &err);
    r->fdc = device_create(r->m, "isa-fdc", NULL, &err);
    if (!r->dma || !r->fdc) {
        error_report_err(err);
        abort();
    }
    if (size_a) {
        r->blk[0] = open_image(make_image("a.img", size_a), !ro);
        if (fdc_attach(r->fdc, 0, r->blk[0], ro, &err) < 0) {
            error_report_err(err);
            abort();
        }
    }
    outb(r, 0xd6, 0xc0); /* the BIOS's DMA init: channel 4 cascades */
    outb(r, 0xd4, 0x00);
    /* the controller leaves reset, reports four ready changes */
    outb(r, 0x3f2, 0x00);
    outb(r, 0x3f2, 0x0c);
    for (int i = 0; i < 4; i++)
        sense(r, NULL, NULL);
}

static void rig_free(Rig *r)
{
    machine_free(r->m);
    for (int i = 0; i < 2; i++)
        if (r->blk[i])
            blk_close(r->blk[i]);
}

/* Send a command as the drivers do: each byte when RQM is set and DIO is
 * clear. Returns -1 if the controller is not ready for a byte. */
static int cmd(Rig *r, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        if ((inb(r, 0x3f4) & 0xc0) != 0x80)
            return -1;
        outb(r, 0x3f5, b[i]);
    }
    return 0;
}

/* Read result bytes while the controller offers them (RQM and DIO). */
static int results(Rig *r, uint8_t *out, int max)
{
    int n = 0;
    while ((inb(r, 0x3f4) & 0xd0) == 0xd0 && n < max)
        out[n++] = inb(r, 0x3f5);
    return n;
}

static int sense(Rig *r, uint8_t *st0, uint8_t *pcn)
{
    uint8_t c = 0x08, res[4];
    cmd(r, &c, 1);
    int n = results(r, res, 4);
    if (st0)
        *st0 = res[0];
    if (pcn)
        *pcn = res[1];
    return n;
}

static void dma_setup(Rig *r, uint8_t mode, uint32_t addr, uint32_t bytes)
{
    uint16_t end = (uint16_t)(bytes - 1);
    outb(r, 0x0a, 0x06);
    outb(r, 0x0c, 0);
    outb(r, 0x04, (uint8_t)addr);
    outb(r, 0x04, (uint8_t)(addr >> 8));
    outb(r, 0x0c, 0);
    outb(r, 0x05, (uint8_t)end);
    outb(r, 0x05, (uint8_t)(end >> 8));
    outb(r, 0x0b, mode);
    outb(r, 0x81, (uint8_t)(addr >> 16));
    outb(r, 0x0a, 0x02);
}

static int seek(Rig *r, int unit, int cyl, uint8_t *st0)
{
    uint8_t c[3] = { 0x0f, (uint8_t)unit, (uint8_t)cyl }, pcn = 0;
    if (cmd(r, c, 3) < 0 || irq6(r) != 1)
        return -1;
    sense(r, st0, &pcn);
    return pcn;
}

/* READ (0x06 | mt/mfm/sk bits) or WRITE DATA through DMA; result in res. */
static int rw(Rig *r, uint8_t op, int unit, int c, int h, int s, int eot, uint8_t *res)
{
    uint8_t b[9] = { op, (uint8_t)(h << 2 | unit), (uint8_t)c, (uint8_t)h, (uint8_t)s, 2,
                     (uint8_t)eot, 0x1b, 0xff };
    if (cmd(r, b, 9) < 0)
        return -1;
    mainloop_wait(0); /* the DMA bottom half */
    if (irq6(r) != 1)
        return -2;
    return results(r, res, 16);
}

static bool ram_is_sectors(Rig *r, uint32_t addr, uint32_t lba, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++)
        for (uint32_t i = 0; i < 512; i++)
            if (address_space_ldub(r->m->as, addr + k * 512 + i) != pat(lba + k, i))
                return false;
    return true;
}

static uint32_t lba_of(int c, int h, int s) { return ((uint32_t)c * 2 + (uint32_t)h) * 18 + (uint32_t)s - 1; }

TEST(reset_gives_four_polling_interrupts)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    outb(&r, 0x3f2, 0x00);
    CHECK_EQ(inb(&r, 0x3f4), 0x00);  /* held in reset */
    CHECK_EQ(irq6(&r), 0);
    outb(&r, 0x3f2, 0x04);           /* out of reset, DMA gate (and INT) off */
    CHECK_EQ(irq6(&r), 0);
    CHECK_EQ(inb(&r, 0x3f4), 0x80);
    outb(&r, 0x3f2, 0x0c);           /* the gate drives the pending interrupt */
    CHECK_EQ(irq6(&r), 1);
    for (int i = 0; i < 4; i++) {
        uint8_t st0, pcn;
        CHECK_EQ(sense(&r, &st0, &pcn), 2);
        CHECK_EQ(st0, 0xc0 | i);
        CHECK_EQ(pcn, 0);
        CHECK_EQ(irq6(&r), 0);
    }
    uint8_t st0;
    CHECK_EQ(sense(&r, &st0, NULL), 1); /* nothing left: invalid */
    CHECK_EQ(st0, 0x80);
    CHECK_EQ(inb(&r, 0x3f4), 0x80);
    /* DSR software reset: the same, and self-clearing */
    outb(&r, 0x3f4, 0x80);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(inb(&r, 0x3f2) & 0x04, 0x04);
    CHECK_EQ(sense(&r, &st0, NULL), 2);
    CHECK_EQ(st0, 0xc0);
    rig_free(&r);
}

TEST(recalibrate_seek_read_with_dma)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f2, 0x1c);                     /* drive A, motor on */
    uint8_t recal[2] = { 0x07, 0x00 };
    CHECK(cmd(&r, recal, 2) == 0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(inb(&r, 0x3f4), 0x81);            /* drive 0 busy until sensed */
    uint8_t pcn = 0xff;
    CHECK_EQ(sense(&r, &st0, &pcn), 2);
    CHECK_EQ(st0, 0x20);
    CHECK_EQ(pcn, 0);
    CHECK_EQ(inb(&r, 0x3f4), 0x80);
    CHECK_EQ(seek(&r, 0, 5, &st0), 5);
    CHECK_EQ(st0, 0x20);
    outb(&r, 0x3f7, 0x00);                     /* 500 kbps */
    dma_setup(&r, 0x46, 0x10000, 3 * 512);
    uint8_t b[9] = { 0xe6, 0x00, 5, 0, 4, 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, b, 9) == 0);
    CHECK_EQ(inb(&r, 0x3f4), 0x10);            /* execution: busy, no RQM */
    CHECK_EQ(irq6(&r), 0);
    mainloop_wait(0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(irq6(&r), 0);
    CHECK_EQ(res[0], 0x00);
    CHECK_EQ(res[1], 0x00);
    CHECK_EQ(res[2], 0x00);
    CHECK_EQ(res[3], 5);
    CHECK_EQ(res[4], 0);
    CHECK_EQ(res[5], 7);                       /* the sector after the last */
    CHECK_EQ(res[6], 2);
    CHECK(ram_is_sectors(&r, 0x10000, lba_of(5, 0, 4), 3));
    CHECK_EQ(address_space_ldub(r.m->as, 0x10000 + 3 * 512), 0);
    CHECK_EQ(inb(&r, 0x08) & 0x04, 0x04);      /* the DMA reached TC */
    CHECK_EQ(inb(&r, 0x3f4), 0x80);
    /* a sector the track does not have: no data */
    dma_setup(&r, 0x46, 0x10000, 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 5, 0, 19, 19, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x04);
    CHECK_EQ(res[2], 0x00);
    /* a cylinder the disk does not have: no address mark at all */
    dma_setup(&r, 0x46, 0x10000, 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 80, 0, 1, 18, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x01);
    rig_free(&r);
}

TEST(multi_track_and_end_of_track)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    CHECK_EQ(seek(&r, 0, 2, &st0), 2);
    /* MT: 17, 18 on side 0 then 1, 2 on side 1 */
    dma_setup(&r, 0x46, 0x20000, 4 * 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 2, 0, 17, 18, res), 7);
    CHECK_EQ(res[0], 0x04);                    /* normal, head 1 */
    CHECK_EQ(res[3], 2);
    CHECK_EQ(res[4], 1);
    CHECK_EQ(res[5], 3);
    CHECK(ram_is_sectors(&r, 0x20000, lba_of(2, 0, 17), 4));
    /* TC on the last sector of side 1: C+1, H 0, R 1 */
    dma_setup(&r, 0x46, 0x20000, 2 * 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 2, 1, 17, 18, res), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[3], 3);
    CHECK_EQ(res[4], 0);
    CHECK_EQ(res[5], 1);
    /* no MT and more DMA than the track holds: EN after EOT, no TC */
    inb(&r, 0x08); /* clears the TC bits so far */
    dma_setup(&r, 0x46, 0x30000, 4 * 512);
    CHECK_EQ(rw(&r, 0x46, 0, 2, 0, 17, 18, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x80);
    CHECK_EQ(res[3], 3);
    CHECK_EQ(res[5], 1);
    CHECK(ram_is_sectors(&r, 0x30000, lba_of(2, 0, 17), 2));
    CHECK_EQ(address_space_ldub(r.m->as, 0x30000 + 2 * 512 + 5), 0);
    CHECK_EQ(inb(&r, 0x08) & 0x04, 0);
    rig_free(&r);
}

/* SeaBIOS reads N sectors with EOT = R + N - 1 and MT, even across the
 * end of the track and the cylinder. */
TEST(seabios_reads_across_tracks)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    dma_setup(&r, 0x46, 0x10000, 4 * 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 0, 0, 17, 20, res), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[3], 0);
    CHECK_EQ(res[4], 1);
    CHECK_EQ(res[5], 3);
    CHECK(ram_is_sectors(&r, 0x10000, 16, 4));
    dma_setup(&r, 0x46, 0x10000, 4 * 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 0, 1, 17, 20, res), 7);
    CHECK_EQ(res[0], 0x00);
    CHECK_EQ(res[3], 1);
    CHECK_EQ(res[4], 0);
    CHECK_EQ(res[5], 3);
    CHECK(ram_is_sectors(&r, 0x10000, 34, 4));
    /* without MT, sector 19 is not there */
    CHECK_EQ(seek(&r, 0, 0, &st0), 0);
    dma_setup(&r, 0x46, 0x10000, 4 * 512);
    CHECK_EQ(rw(&r, 0x46, 0, 0, 0, 17, 20, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x04);
    CHECK_EQ(res[5], 19);
    rig_free(&r);
}

TEST(write_then_read_back_and_write_protect)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    CHECK_EQ(seek(&r, 0, 40, &st0), 40);
    for (int i = 0; i < 1024; i++)
        address_space_stb(r.m->as, 0x40000 + i, (uint8_t)(i * 3 + 1));
    dma_setup(&r, 0x4a, 0x40000, 1024);
    CHECK_EQ(rw(&r, 0xc5, 0, 40, 1, 10, 18, res), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[5], 12);
    /* the image holds it */
    uint8_t sec[1024];
    CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(40, 1, 10) * 512, 1024, sec, NULL) == 0);
    for (int i = 0; i < 1024; i++)
        CHECK_EQ(sec[i], (uint8_t)(i * 3 + 1));
    /* and reads back through the controller; a TC mid-sector still ends
     * the command normally, at the next sector */
    dma_setup(&r, 0x46, 0x50000, 1024 + 100);
    CHECK_EQ(rw(&r, 0xe6, 0, 40, 1, 10, 18, res), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[5], 13);
    for (int i = 0; i < 1024; i++)
        CHECK_EQ(address_space_ldub(r.m->as, 0x50000 + i), (uint8_t)(i * 3 + 1));
    for (int i = 0; i < 100; i++)
        CHECK_EQ(address_space_ldub(r.m->as, 0x50400 + i), pat(lba_of(40, 1, 12), i));
    CHECK_EQ(address_space_ldub(r.m->as, 0x50400 + 100), 0);
    /* a write TC mid-sector pads the sector with zeros */
    dma_setup(&r, 0x4a, 0x40000, 10);
    CHECK_EQ(rw(&r, 0xc5, 0, 40, 0, 1, 18, res), 7);
    CHECK_EQ(res[0], 0x00);
    CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(40, 0, 1) * 512, 512, sec, NULL) == 0);
    CHECK_EQ(sec[9], (uint8_t)(9 * 3 + 1));
    CHECK_EQ(sec[10], 0);
    CHECK_EQ(sec[511], 0);
    rig_free(&r);

    rig_init(&r, IMG_144, true);
    outb(&r, 0x3f7, 0x00);
    uint8_t sds[2] = { 0x04, 0x00 }, st3;
    CHECK(cmd(&r, sds, 2) == 0);
    CHECK_EQ(results(&r, &st3, 1), 1);
    CHECK_EQ(st3, 0x78);                       /* WP, ready, track 0, two-sided */
    dma_setup(&r, 0x4a, 0x40000, 512);
    CHECK_EQ(rw(&r, 0xc5, 0, 0, 0, 1, 18, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x02);
    CHECK(blk_pread(r.blk[0], 0, 512, sec, NULL) == 0);
    CHECK_EQ(sec[100], pat(0, 100));
    rig_free(&r);
}

TEST(read_id_waits_for_the_sector_and_checks_the_rate)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    CHECK_EQ(seek(&r, 0, 7, &st0), 7);
    uint8_t rid[2] = { 0x4a, 0x04 };           /* head 1 */
    CHECK(cmd(&r, rid, 2) == 0);
    CHECK_EQ(inb(&r, 0x3f4), 0x10);
    CHECK_EQ(irq6(&r), 0);
    advance_ns(200 * NS_PER_MS / 18 + 1);      /* at most one sector time */
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[1], 0);
    CHECK_EQ(res[3], 7);
    CHECK_EQ(res[4], 1);
    CHECK(res[5] >= 1 && res[5] <= 18);
    CHECK_EQ(res[6], 2);
    /* the next one comes one sector later: R + 1 */
    uint8_t prev = res[5];
    CHECK(cmd(&r, rid, 2) == 0);
    advance_ns(200 * NS_PER_MS / 18 + 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[5], prev % 18 + 1);
    /* 250 kbps does not read a 1.44M disk: no ID in two revolutions */
    outb(&r, 0x3f7, 0x02);
    CHECK(cmd(&r, rid, 2) == 0);
    advance_ns(300 * NS_PER_MS);
    CHECK_EQ(irq6(&r), 0);
    advance_ns(101 * NS_PER_MS);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x44);
    CHECK_EQ(res[1], 0x01);
    /* nor READ DATA */
    dma_setup(&r, 0x46, 0x10000, 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 7, 0, 1, 18, res), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x01);
    rig_free(&r);
}

TEST(disk_change_line)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0;
    outb(&r, 0x3f2, 0x1c);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0x80);     /* active since power on */
    CHECK_EQ(seek(&r, 0, 0, &st0), 0);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0x80);     /* no step: still set */
    CHECK_EQ(seek(&r, 0, 1, &st0), 1);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0);        /* a step with a disk in clears it */
    BlockBackend *old = fdc_eject(r.fdc, 0);
    CHECK(old == r.blk[0]);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0x80);
    CHECK_EQ(seek(&r, 0, 2, &st0), 2);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0x80);     /* no disk: stays */
    Error *err = NULL;
    CHECK(fdc_insert(r.fdc, 0, old, false, &err) == 0);
    CHECK(fdc_insert(r.fdc, 0, old, false, &err) < 0);
    error_free(err);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0x80);
    CHECK_EQ(seek(&r, 0, 3, &st0), 3);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0);
    /* drive B is not connected: its line is inactive, recalibrate fails */
    outb(&r, 0x3f2, 0x2d);
    CHECK_EQ(inb(&r, 0x3f7) & 0x80, 0);
    uint8_t recal[2] = { 0x07, 0x01 };
    CHECK(cmd(&r, recal, 2) == 0);
    sense(&r, &st0, NULL);
    CHECK_EQ(st0, 0x71);
    rig_free(&r);
}

TEST(version_configure_dumpreg_lock)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t res[16], st0;
    uint8_t ver = 0x10, pid = 0x18, dump = 0x0e;
    CHECK(cmd(&r, &ver, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 1);
    CHECK_EQ(res[0], 0x90);
    CHECK(cmd(&r, &pid, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 1);
    CHECK_EQ(res[0], 0x41);
    uint8_t spec[3] = { 0x03, 0xaf, 0x02 };
    CHECK(cmd(&r, spec, 3) == 0);
    CHECK_EQ(inb(&r, 0x3f4), 0x80);            /* no result phase */
    uint8_t conf[4] = { 0x13, 0x00, 0x1a, 0x05 }; /* polling off, FIFO on, threshold 10 */
    CHECK(cmd(&r, conf, 4) == 0);
    uint8_t perp[2] = { 0x12, 0x86 };          /* OW, drive 0 perpendicular, GAP */
    CHECK(cmd(&r, perp, 2) == 0);
    seek(&r, 1, 9, &st0);
    CHECK(cmd(&r, &dump, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 10);
    CHECK_EQ(res[0], 0);
    CHECK_EQ(res[1], 9);
    CHECK_EQ(res[4], 0xaf);
    CHECK_EQ(res[5], 0x02);
    CHECK_EQ(res[7], 0x06);
    CHECK_EQ(res[8], 0x1a);
    CHECK_EQ(res[9], 0x05);
    /* LOCK keeps CONFIGURE across a software reset; with polling off there
     * is no reset interrupt */
    uint8_t lock = 0x94, unlock = 0x14;
    CHECK(cmd(&r, &lock, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 1);
    CHECK_EQ(res[0], 0x10);
    outb(&r, 0x3f2, 0x08);
    outb(&r, 0x3f2, 0x0c);
    CHECK_EQ(irq6(&r), 0);
    CHECK(cmd(&r, &dump, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 10);
    CHECK_EQ(res[4], 0xaf);                    /* SPECIFY survives any software reset */
    CHECK_EQ(res[7], 0x84);                    /* lock; GAP cleared, drive bits kept */
    CHECK_EQ(res[8], 0x1a);
    CHECK(cmd(&r, &unlock, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 1);
    CHECK_EQ(res[0], 0x00);
    outb(&r, 0x3f4, 0x80);
    CHECK_EQ(irq6(&r), 1);                     /* polling is back on */
    CHECK(cmd(&r, &dump, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 10);
    CHECK_EQ(res[8], 0x20);
    CHECK_EQ(res[9], 0x00);
    /* invalid commands answer 0x80 alone, without an interrupt */
    for (int i = 0; i < 4; i++)
        sense(&r, NULL, NULL);
    uint8_t bad = 0x1f;
    CHECK(cmd(&r, &bad, 1) == 0);
    CHECK_EQ(irq6(&r), 0);
    CHECK_EQ(results(&r, res, 16), 1);
    CHECK_EQ(res[0], 0x80);
    CHECK_EQ(inb(&r, 0x3f4), 0x80);
    /* a command byte while results are pending is refused */
    CHECK(cmd(&r, &ver, 1) == 0);
    CHECK(cmd(&r, &ver, 1) < 0);
    rig_free(&r);
}

TEST(non_dma_mode_through_the_fifo)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    uint8_t spec[3] = { 0x03, 0xaf, 0x03 };    /* ND */
    CHECK(cmd(&r, spec, 3) == 0);
    CHECK_EQ(seek(&r, 0, 3, &st0), 3);
    uint8_t b[9] = { 0x46, 0x00, 3, 0, 17, 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, b, 9) == 0);
    for (int s = 17; s <= 18; s++) {
        CHECK_EQ(irq6(&r), 1);                 /* a sector is ready */
        for (int i = 0; i < 512; i++) {
            CHECK_EQ(inb(&r, 0x3f4), 0xf0);    /* RQM DIO NON-DMA BUSY */
            CHECK_EQ(inb(&r, 0x3f5), pat(lba_of(3, 0, s), (uint32_t)i));
        }
    }
    /* no TC in non-DMA mode: the command runs into EOT */
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x80);
    CHECK_EQ(res[3], 4);
    CHECK_EQ(res[5], 1);
    /* writing: the FIFO asks for the data */
    uint8_t w[9] = { 0x45, 0x00, 3, 0, 18, 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, w, 9) == 0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(inb(&r, 0x3f4), 0xb0);
    for (int i = 0; i < 512; i++)
        outb(&r, 0x3f5, (uint8_t)(0x55 ^ i));
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[1], 0x80);
    uint8_t sec[512];
    CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(3, 0, 18) * 512, 512, sec, NULL) == 0);
    CHECK_EQ(sec[0], 0x55);
    CHECK_EQ(sec[511], (uint8_t)(0x55 ^ 511));
    rig_free(&r);
}

TEST(format_track_then_read)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    outb(&r, 0x3f7, 0x00);
    CHECK_EQ(seek(&r, 0, 10, &st0), 10);
    for (int s = 0; s < 18; s++) {
        uint8_t id[4] = { 10, 1, (uint8_t)(s + 1), 2 };
        address_space_write(r.m->as, 0x60000 + (uint64_t)s * 4, id, 4);
    }
    dma_setup(&r, 0x4a, 0x60000, 18 * 4);
    uint8_t f[6] = { 0x4d, 0x04, 2, 18, 0x6c, 0xf6 };
    CHECK(cmd(&r, f, 6) == 0);
    mainloop_wait(0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[1], 0);
    uint8_t sec[512];
    for (int s = 1; s <= 18; s++) {
        CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(10, 1, s) * 512, 512, sec, NULL) == 0);
        CHECK_EQ(sec[0], 0xf6);
        CHECK_EQ(sec[511], 0xf6);
    }
    CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(10, 0, 18) * 512, 512, sec, NULL) == 0);
    CHECK_EQ(sec[5], pat(lba_of(10, 0, 18), 5));
    CHECK(blk_pread(r.blk[0], (uint64_t)lba_of(11, 1, 1) * 512, 512, sec, NULL) == 0);
    CHECK_EQ(sec[5], pat(lba_of(11, 1, 1), 5));
    rig_free(&r);
}

TEST(verify_and_implied_seek)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t res[16], dump = 0x0e;
    outb(&r, 0x3f7, 0x00);
    /* the head is at 0: the read seeks to cylinder 10 itself (as QEMU's
     * and Bochs's controllers do, whatever EIS says) */
    dma_setup(&r, 0x46, 0x10000, 512);
    CHECK_EQ(rw(&r, 0xe6, 0, 10, 0, 1, 18, res), 7);
    CHECK_EQ(res[0], 0x00);
    CHECK(ram_is_sectors(&r, 0x10000, lba_of(10, 0, 1), 1));
    CHECK(cmd(&r, &dump, 1) == 0);
    CHECK_EQ(results(&r, res, 16), 10);
    CHECK_EQ(res[0], 10);
    /* VERIFY EC=1: SC sectors, no DMA */
    uint8_t v[9] = { 0xf6, 0x80, 12, 0, 5, 2, 18, 0x1b, 3 };
    CHECK(cmd(&r, v, 9) == 0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x00);
    CHECK_EQ(res[3], 12);
    CHECK_EQ(res[5], 8);
    /* EC=0, no MT: verifies to EOT and ends normally there */
    uint8_t v0[9] = { 0x56, 0x04, 12, 1, 16, 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, v0, 9) == 0);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x04);
    CHECK_EQ(res[3], 13);
    CHECK_EQ(res[5], 1);
    /* EC=1 asking past EOT without MT: end of cylinder */
    uint8_t v1[9] = { 0x56, 0x80, 12, 0, 17, 2, 18, 0x1b, 5 };
    CHECK(cmd(&r, v1, 9) == 0);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0x40);
    CHECK_EQ(res[1], 0x80);
    rig_free(&r);
}

TEST(media_formats_rates_and_cmos_types)
{
    static const struct { uint32_t size; uint8_t type, rate, heads, spt, cyls; } t[] = {
        { 737280, 4, 2, 2, 9, 80 }, { 368640, 2, 1, 2, 9, 40 }, { 2949120, 5, 3, 2, 36, 80 },
        { 1228800, 2, 0, 2, 15, 80 }, { 1720320, 4, 0, 2, 21, 80 }, { 184320, 2, 1, 1, 9, 40 },
    };
    for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
        Rig r;
        rig_init(&r, t[k].size, false);
        uint8_t st0, res[16];
        CHECK_EQ(fdc_cmos_type(r.fdc), t[k].type << 4);
        int c = t[k].cyls - 1, h = t[k].heads - 1, s = t[k].spt;
        CHECK_EQ(seek(&r, 0, c, &st0), c);
        outb(&r, 0x3f7, (uint8_t)((t[k].rate + 1) & 3)); /* a wrong rate */
        dma_setup(&r, 0x46, 0x10000, 512);
        CHECK_EQ(rw(&r, 0x46, 0, c, h, s, s, res), 7);
        CHECK_EQ(res[0] & 0xc0, 0x40);
        CHECK_EQ(res[1], 0x01);
        outb(&r, 0x3f7, t[k].rate);
        dma_setup(&r, 0x46, 0x10000, 512);
        CHECK_EQ(rw(&r, 0x46, 0, c, h, s, s, res), 7);
        CHECK_EQ(res[0] & 0xc0, 0x00);
        uint32_t lba = ((uint32_t)c * t[k].heads + (uint32_t)h) * t[k].spt + (uint32_t)s - 1;
        CHECK(ram_is_sectors(&r, 0x10000, lba, 1));
        CHECK_EQ(lba, t[k].size / 512 - 1);
        /* one sector further is not on the disk */
        dma_setup(&r, 0x46, 0x10000, 512);
        CHECK_EQ(rw(&r, 0x46, 0, c, h, s + 1, s + 1, res), 7);
        CHECK_EQ(res[1], 0x04);
        rig_free(&r);
    }
    /* an odd size takes the smallest format that holds it; the missing
     * end reads as zeros and cannot be written */
    {
        Rig r;
        rig_init(&r, IMG_144 - 1024, false);
        uint8_t res[16];
        CHECK_EQ(fdc_cmos_type(r.fdc), 0x40);
        outb(&r, 0x3f7, 0x00);
        for (int i = 0; i < 1024; i++)
            address_space_stb(r.m->as, 0x10000 + i, 0xcc);
        dma_setup(&r, 0x46, 0x10000, 1024);
        CHECK_EQ(rw(&r, 0xe6, 0, 79, 1, 16, 18, res), 7);
        CHECK_EQ(res[0], 0x04);
        CHECK(ram_is_sectors(&r, 0x10000, lba_of(79, 1, 16), 1));
        CHECK_EQ(address_space_ldub(r.m->as, 0x10000 + 512 + 7), 0);
        dma_setup(&r, 0x4a, 0x10000, 512);
        CHECK_EQ(rw(&r, 0xc5, 0, 79, 1, 18, 18, res), 7);
        CHECK_EQ(res[0], 0x44);
        CHECK_EQ(res[1], 0x20);
        rig_free(&r);
    }
    /* both drives; an empty drive is a 1.44M one; too big is refused */
    Rig r;
    rig_init(&r, 2949120, false);
    Error *err = NULL;
    CHECK(fdc_attach(r.fdc, 1, NULL, false, &err) == 0);
    CHECK_EQ(fdc_cmos_type(r.fdc), 0x54);
    r.blk[1] = open_image(make_image("big.img", 4 << 20), false);
    CHECK(fdc_attach(r.fdc, 1, r.blk[1], false, &err) < 0);
    CHECK(strstr(err->msg, "big.img") != NULL);
    error_free(err);
    CHECK_EQ(fdc_cmos_type(r.fdc), 0x50);
    rig_free(&r);
}

TEST(dma_waits_for_the_channel)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t res[16];
    outb(&r, 0x3f7, 0x00);
    dma_setup(&r, 0x46, 0x10000, 512);
    outb(&r, 0x0a, 0x06);                      /* masked again */
    uint8_t b[9] = { 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, b, 9) == 0);
    mainloop_wait(0);
    CHECK_EQ(irq6(&r), 0);
    CHECK_EQ(inb(&r, 0x08) & 0x40, 0x40);      /* DRQ 2 pending */
    outb(&r, 0x0a, 0x02);                      /* unmask: the transfer runs */
    mainloop_wait(0);
    CHECK_EQ(irq6(&r), 1);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0);
    CHECK(ram_is_sectors(&r, 0x10000, 0, 1));
    CHECK_EQ(inb(&r, 0x08) & 0x40, 0);
    rig_free(&r);
}

TEST(vmstate_mid_command)
{
    Rig r;
    rig_init(&r, IMG_144, false);
    uint8_t st0, res[16];
    Error *err = NULL;
    CHECK_EQ(seek(&r, 0, 4, &st0), 4);
    uint8_t half[5] = { 0xe6, 0x00, 4, 0, 2 };
    CHECK(cmd(&r, half, 5) == 0);
    VMStream *w = vmstate_mem_stream_new();
    CHECK(vmstate_save_all(w, &err) == 0);
    outb(&r, 0x3f2, 0x00);                     /* lose it all */
    outb(&r, 0x3f2, 0x0c);
    size_t len;
    const uint8_t *d = vmstate_stream_data(w, &len);
    VMStream *rd = vmstate_mem_stream_open(d, len);
    CHECK(vmstate_load_all(rd, &err) == 0);
    outb(&r, 0x3f7, 0x00);
    dma_setup(&r, 0x46, 0x10000, 512);
    uint8_t rest[4] = { 2, 18, 0x1b, 0xff };
    CHECK(cmd(&r, rest, 4) == 0);
    mainloop_wait(0);
    CHECK_EQ(results(&r, res, 16), 7);
    CHECK_EQ(res[0], 0);
    CHECK(ram_is_sectors(&r, 0x10000, lba_of(4, 0, 2), 1));
    vmstate_stream_free(rd);
    vmstate_stream_free(w);
    rig_free(&r);
}

/* SeaBIOS's int 13h path, step by step, on a 720K disk in the 1.44M drive
 * the CMOS announces: one SENSE after reset, recalibrate, media sense by
 * READ ID at the drive's rate and then at the smaller formats' rates,
 * seek, read. Every status it looks at must be clean. */
static int seabios_pio(Rig *r, const uint8_t *c, int n, int nres, bool waitirq, uint8_t *res)
{
    if (cmd(r, c, n) < 0)
        return -1;
    if (waitirq) {
        for (int i = 0; i < 100 && irq6(r) != 1; i++) {
            mainloop_wait(0);
            advance_ns(10 * NS_PER_MS);
        }
        if (irq6(r) != 1)
            return -2;
    }
    int got = results(r, res, 16);
    if (got != nres || (inb(r, 0x3f4) & 0xc0) != 0x80)
        return -3;
    return 0;
}

TEST(seabios_sequence_on_a_720k_disk)
{
    Rig r;
    rig_init(&r, 737280, false);
    CHECK_EQ(fdc_cmos_type(r.fdc) >> 4, 4);
    uint8_t res[16];
    outb(&r, 0x3f2, 0x00);
    outb(&r, 0x3f2, 0x0c);
    CHECK_EQ(irq6(&r), 1);
    uint8_t sensei = 0x08;
    CHECK_EQ(seabios_pio(&r, &sensei, 1, 2, false, res), 0);
    outb(&r, 0x3f2, 0x1c);
    uint8_t recal[2] = { 0x07, 0x00 };
    CHECK_EQ(seabios_pio(&r, recal, 2, 0, true, res), 0);
    CHECK_EQ(seabios_pio(&r, &sensei, 1, 2, false, res), 0);
    CHECK_EQ(res[0], 0x20);
    uint8_t readid[2] = { 0x4a, 0x00 };
    outb(&r, 0x3f7, 0x00);                     /* FloppyInfo[4]: 500 kbps */
    CHECK_EQ(seabios_pio(&r, readid, 2, 7, true, res), 0);
    CHECK_EQ(res[0] & 0xc0, 0x40);
    outb(&r, 0x3f7, 0x02);                     /* FloppyInfo[3]: 250 kbps */
    CHECK_EQ(seabios_pio(&r, readid, 2, 7, true, res), 0);
    CHECK_EQ(res[0] & 0xc0, 0x00);
    uint8_t sk[3] = { 0x0f, 0x00, 3 };
    CHECK_EQ(seabios_pio(&r, sk, 3, 0, true, res), 0);
    CHECK_EQ(seabios_pio(&r, &sensei, 1, 2, false, res), 0);
    CHECK_EQ(res[0], 0x20);
    CHECK_EQ(res[1], 3);
    /* 12 sectors from C3 H0 R4: 4..9, then side 1's 1..6 */
    dma_setup(&r, 0x46, 0x7c00, 12 * 512);
    uint8_t rd[9] = { 0xe6, 0x00, 3, 0, 4, 2, 4 + 12 - 1, 0x1b, 0xff };
    CHECK_EQ(seabios_pio(&r, rd, 9, 7, true, res), 0);
    CHECK_EQ(res[0] & 0xc0, 0x00);
    CHECK(ram_is_sectors(&r, 0x7c00, (3 * 2 + 0) * 9 + 3, 12));
    rig_free(&r);
}
