/* hw/ide: ATA register file, IDENTIFY, PIO reads/writes (LBA28/48, CHS,
 * multiple), resets and signatures, absent devices, nIEN, ATAPI commands,
 * media change. Driven through the registers, as a driver would. */
#include "unit.h"
#include "ide_rig.h"

#include <fcntl.h>
#include <unistd.h>

typedef struct Rig {
    IDEBus bus;
    IRQLine *irq;
    IrqRec rec;
} Rig;

static void rig_init(Rig *r)
{
    memset(r, 0, sizeof(*r));
    r->irq = irq_new(irq_rec_handler, &r->rec, 0);
    ide_bus_init(&r->bus, "ide0", r->irq);
}

static void rig_free(Rig *r)
{
    ide_bus_destroy(&r->bus);
    irq_free(r->irq);
}

static int attach(Rig *r, int unit, IDEDriveKind kind, BlockBackend *blk)
{
    Error *err = NULL;
    if (ide_bus_attach(&r->bus, unit, kind, blk, BLK_CACHE_WRITEBACK, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    ide_bus_reset(&r->bus);
    return 0;
}

/* A 1 MiB pattern disk as master. */
static int rig_disk(Rig *r, const char *fmt, uint64_t size)
{
    rig_init(r);
    BlockBackend *blk = rig_image(fmt, strcmp(fmt, "raw") ? "d.qcow2" : "d.img", size,
                                  size < (4 << 20) ? size : 4 << 20, false);
    return blk ? attach(r, 0, IDE_HD, blk) : -1;
}

static uint16_t w16(const uint8_t *id, int w) { return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8); }

/* ATA strings are byte-swapped within each word. */
static void id_string(const uint8_t *id, int word, int len, char *out)
{
    for (int i = 0; i < len; i++)
        out[i] = (char)id[2 * word + (i ^ 1)];
    out[len] = 0;
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = 0;
}

static int identify(IDEBus *bus, int unit, uint8_t cmd, uint8_t *id)
{
    wr(bus, 6, (uint8_t)(0xa0 | unit << 4));
    wr(bus, 7, cmd);
    if (!ide_wait(bus))
        return -1;
    if ((rd(bus, 7) & (IDE_ST_DRQ | IDE_ST_ERR)) != IDE_ST_DRQ)
        return -2;
    read_words(bus, id, 512);
    return 0;
}

TEST(identify_device)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    uint8_t id[512];
    wr(bus, 6, 0xa0);
    wr(bus, 7, 0xec);
    CHECK(ide_wait(bus));
    CHECK_EQ(r.rec.level, 1);
    CHECK_EQ(ide_ctl_read(bus), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
    CHECK_EQ(r.rec.level, 1);               /* alternate status leaves INTRQ */
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
    CHECK_EQ(r.rec.level, 0);               /* status read acknowledges it */
    read_words(bus, id, 512);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(r.rec.rises, 1);
    char s[41];
    CHECK_EQ(id[54], 'E');                  /* word 27 = 'P' << 8 | 'E' */
    CHECK_EQ(id[55], 'P');
    id_string(id, 27, 40, s);
    CHECK_STR(s, "PEMU HARDDISK");
    id_string(id, 10, 20, s);
    CHECK_STR(s, "PM00001");
    id_string(id, 23, 8, s);
    CHECK_STR(s, PEMU_VERSION);
    CHECK_EQ(w16(id, 0), 0x0040);
    CHECK_EQ(w16(id, 1), 2);                /* 2048 sectors / (16 * 63) */
    CHECK_EQ(w16(id, 3), 16);
    CHECK_EQ(w16(id, 6), 63);
    CHECK_EQ(w16(id, 47), 0x8000 | IDE_MAX_MULT_SECTORS);
    CHECK((w16(id, 49) & 0x0300) == 0x0300); /* LBA and DMA */
    CHECK_EQ(w16(id, 53) & 7, 7);
    CHECK_EQ(w16(id, 59), 0x100 | IDE_MAX_MULT_SECTORS);
    CHECK_EQ(w16(id, 60) | (uint32_t)w16(id, 61) << 16, 2048);
    CHECK_EQ(w16(id, 63) & 0xff, 0x07);     /* multiword DMA 0-2 */
    CHECK_EQ(w16(id, 88), 0);               /* no UDMA behind a PIIX3 */
    CHECK(w16(id, 83) & (1 << 10));         /* 48-bit */
    CHECK(w16(id, 83) & (1 << 12));         /* FLUSH CACHE */
    CHECK(w16(id, 85) & (1 << 5));          /* write cache on */
    CHECK_EQ(w16(id, 100), 2048);
    CHECK_EQ(w16(id, 101) | w16(id, 102) | w16(id, 103), 0);
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ(id[510], 0xa5);
    CHECK_EQ(sum, 0);
    /* Data register after the transfer: nothing more. */
    CHECK_EQ(ide_cmd_read(bus, 0, 2), 0xffff);
    rig_free(&r);
}

static int check_sector(const uint8_t *b, uint64_t s)
{
    for (unsigned j = 0; j < 512; j++)
        if (b[j] != pat(s, j))
            return -1;
    return 0;
}

TEST(pio_read_sectors_async)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    tf28(bus, 0, 5, 3);
    wr(bus, 7, 0x20);
    /* The host read is not done on this thread: BSY now, data later. */
    CHECK(ide_ctl_read(bus) & IDE_ST_BSY);
    uint8_t b[512];
    for (uint64_t s = 5; s < 8; s++) {
        CHECK(ide_wait(bus));
        CHECK_EQ(r.rec.level, 1); /* an interrupt per DRQ block */
        CHECK_EQ(r.rec.rises, s - 4);
        CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
        read_words(bus, b, 512);
        CHECK_EQ(check_sector(b, s), 0);
    }
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(r.rec.level, 0);
    /* The registers point at the last sector. */
    CHECK_EQ(rd(bus, 3), 7);
    /* 32-bit data reads: two words at a time. */
    tf28(bus, 0, 100, 1);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    for (int i = 0; i < 128; i++) {
        uint32_t v = ide_cmd_read(bus, 0, 4);
        CHECK_EQ(v, (uint32_t)pat(100, 4 * i) | (uint32_t)pat(100, 4 * i + 1) << 8 |
                        (uint32_t)pat(100, 4 * i + 2) << 16 | (uint32_t)pat(100, 4 * i + 3) << 24);
    }
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    rig_free(&r);
}

static void write_read_back(Rig *r, uint64_t lba, int count, bool lba48, int *fail)
{
    IDEBus *bus = &r->bus;
    uint8_t b[512];
    *fail = 0;
    if (lba48)
        tf48(bus, 0, lba, (uint16_t)count);
    else
        tf28(bus, 0, (uint32_t)lba, (uint8_t)count);
    wr(bus, 7, lba48 ? 0x34 : 0x30);
    for (int i = 0; i < count; i++) {
        /* DRQ for each block; the first without an interrupt. */
        if (i > 0 && !ide_wait(bus)) {
            *fail = __LINE__;
            return;
        }
        if ((rd(bus, 7) & (IDE_ST_DRQ | IDE_ST_BSY)) != IDE_ST_DRQ) {
            *fail = __LINE__;
            return;
        }
        for (int j = 0; j < 512; j++)
            b[j] = (uint8_t)(0xa5 ^ (lba + (uint64_t)i) ^ (uint8_t)j);
        write_words(bus, b, 512);
    }
    if (!ide_wait(bus) || rd(bus, 7) != (IDE_ST_DRDY | IDE_ST_DSC)) {
        *fail = __LINE__;
        return;
    }
    if (lba48)
        tf48(bus, 0, lba, (uint16_t)count);
    else
        tf28(bus, 0, (uint32_t)lba, (uint8_t)count);
    wr(bus, 7, lba48 ? 0x24 : 0x20);
    for (int i = 0; i < count; i++) {
        if (!ide_wait(bus) || rd(bus, 7) != (IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ)) {
            *fail = __LINE__;
            return;
        }
        read_words(bus, b, 512);
        for (int j = 0; j < 512; j++)
            if (b[j] != (uint8_t)(0xa5 ^ (lba + (uint64_t)i) ^ (uint8_t)j)) {
                *fail = __LINE__;
                return;
            }
    }
}

TEST(pio_write_raw_and_file_contents)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    int fail;
    write_read_back(&r, 9, 4, false, &fail);
    CHECK_EQ(fail, 0);
    IDEBus *bus = &r.bus;
    CHECK_EQ(r.rec.level, 0);
    /* Neighbours untouched. */
    tf28(bus, 0, 8, 1);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    uint8_t b[512];
    read_words(bus, b, 512);
    CHECK_EQ(check_sector(b, 8), 0);
    rig_free(&r); /* closes (and flushes) the image */
    int fd = open(rig_path("d.img"), O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, b, 512, 10 * 512), 512);
    close(fd);
    CHECK_EQ(b[0], (uint8_t)(0xa5 ^ 10));
    CHECK_EQ(b[7], (uint8_t)(0xa5 ^ 10 ^ 7));
}

/* More sectors than the device buffer holds, both ways. */
TEST(pio_long_transfers)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    int fail;
    write_read_back(&r, 600, 300, true, &fail);
    CHECK_EQ(fail, 0);
    /* WRITE MULTIPLE EXT of 270 sectors in blocks of 16. */
    IDEBus *bus = &r.bus;
    tf48(bus, 0, 1200, 270);
    wr(bus, 7, 0x39);
    uint8_t b[16 * 512];
    for (int left = 270; left > 0; left -= 16) {
        CHECK(ide_wait(bus));
        CHECK_EQ(rd(bus, 7) & (IDE_ST_DRQ | IDE_ST_BSY | IDE_ST_ERR), IDE_ST_DRQ);
        int n = left < 16 ? left : 16;
        memset(b, left & 0xff, sizeof(b));
        write_words(bus, b, (unsigned)n * 512);
    }
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    BlockAioStats st;
    blk_aio_queue_stats(ide_drive_queue(ide_bus_drive(bus, 0)), &st);
    CHECK(st.writes >= 2 + 2); /* both commands needed two buffer loads */
    tf48(bus, 0, 1200 + 256, 1);
    wr(bus, 7, 0x24);
    CHECK(ide_wait(bus));
    read_words(bus, b, 512);
    CHECK_EQ(b[0], 270 - 256); /* block of 16 starting at sector 256 of the command */
    rig_free(&r);
}

TEST(pio_qcow2)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "qcow2", 8 << 20), 0);
    int fail;
    write_read_back(&r, 3, 2, false, &fail);
    CHECK_EQ(fail, 0);
    write_read_back(&r, 8000, 20, true, &fail);
    CHECK_EQ(fail, 0);
    IDEBus *bus = &r.bus;
    tf28(bus, 0, 7, 1);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    uint8_t b[512];
    read_words(bus, b, 512);
    CHECK_EQ(check_sector(b, 7), 0);
    rig_free(&r);
}

TEST(lba48_beyond_128g)
{
    Rig r;
    rig_init(&r);
    uint64_t size = 200ull << 30; /* sparse */
    BlockBackend *blk = rig_image("raw", "big.img", size, 0, false);
    CHECK(blk);
    CHECK_EQ(attach(&r, 0, IDE_HD, blk), 0);
    uint8_t id[512];
    CHECK_EQ(identify(&r.bus, 0, 0xec, id), 0);
    CHECK_EQ(w16(id, 60) | (uint32_t)w16(id, 61) << 16, 0x0fffffff);
    uint64_t n = (uint64_t)w16(id, 100) | (uint64_t)w16(id, 101) << 16 |
                 (uint64_t)w16(id, 102) << 32 | (uint64_t)w16(id, 103) << 48;
    CHECK_EQ(n, size / 512);
    CHECK_EQ(w16(id, 1), 16383);
    uint64_t lba = 0x1400000aull; /* 160 GiB: needs bits 28+ */
    CHECK(lba < size / 512 && lba > (128ull << 30) / 512);
    int fail;
    write_read_back(&r, lba, 3, true, &fail);
    CHECK_EQ(fail, 0);
    /* Registers after the command: the last sector, with HOB. */
    IDEBus *bus = &r.bus;
    CHECK_EQ(rd(bus, 3), (uint8_t)(lba + 2));
    ide_ctl_write(bus, IDE_CTL_HOB);
    CHECK_EQ(rd(bus, 3), (uint8_t)((lba + 2) >> 24));
    CHECK_EQ(rd(bus, 4), (uint8_t)((lba + 2) >> 32));
    ide_ctl_write(bus, 0);
    /* The last sector works, one past it does not. */
    write_read_back(&r, size / 512 - 1, 1, true, &fail);
    CHECK_EQ(fail, 0);
    tf48(bus, 0, size / 512, 1);
    wr(bus, 7, 0x24);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_IDNF);
    /* A 28-bit command cannot reach beyond 128 GiB: it addresses lba & 0x0fffffff. */
    rig_free(&r);
    int fd = open(rig_path("big.img"), O_RDONLY);
    CHECK(fd >= 0);
    uint8_t b[2];
    CHECK_EQ(pread(fd, b, 2, (off_t)((lba + 1) * 512)), 2);
    close(fd);
    CHECK_EQ(b[0], (uint8_t)(0xa5 ^ (lba + 1)));
    CHECK_EQ(b[1], (uint8_t)(0xa5 ^ (lba + 1) ^ 1));
}

TEST(read_write_multiple)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    /* Invalid counts abort; 4 is taken. */
    wr(bus, 2, 3);
    wr(bus, 7, 0xc6);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_ABRT);
    wr(bus, 2, 4);
    wr(bus, 7, 0xc6);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    uint8_t id[512];
    CHECK_EQ(identify(bus, 0, 0xec, id), 0);
    CHECK_EQ(w16(id, 59), 0x104);
    int rises = r.rec.rises;
    tf28(bus, 0, 20, 10);
    wr(bus, 7, 0xc4);
    static const int blocks[3] = { 4, 4, 2 };
    uint8_t b[4 * 512];
    uint64_t s = 20;
    for (int k = 0; k < 3; k++) {
        CHECK(ide_wait(bus));
        CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ);
        read_words(bus, b, (unsigned)blocks[k] * 512);
        for (int i = 0; i < blocks[k]; i++, s++)
            CHECK_EQ(check_sector(b + 512 * i, s), 0);
        /* After the block (but the last) DRQ is back for the next one. */
    }
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(r.rec.rises, rises + 3);
    /* WRITE MULTIPLE: 6 sectors in blocks of 4 and 2, an interrupt per
     * block after the first, and one at the end. */
    rises = r.rec.rises;
    tf28(bus, 0, 40, 6);
    wr(bus, 7, 0xc5);
    memset(b, 0x3c, sizeof(b));
    CHECK_EQ(rd(bus, 7) & (IDE_ST_DRQ | IDE_ST_BSY), IDE_ST_DRQ);
    write_words(bus, b, 4 * 512);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7) & (IDE_ST_DRQ | IDE_ST_BSY), IDE_ST_DRQ);
    write_words(bus, b, 2 * 512);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(r.rec.rises, rises + 2);
    tf28(bus, 0, 45, 1);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    read_words(bus, b, 512);
    CHECK_EQ(b[0], 0x3c);
    CHECK_EQ(b[511], 0x3c);
    /* Multiple mode off: READ MULTIPLE aborts. */
    wr(bus, 2, 0);
    wr(bus, 7, 0xc6);
    CHECK(ide_wait(bus));
    tf28(bus, 0, 0, 1);
    wr(bus, 7, 0xc4);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_ABRT);
    rig_free(&r);
}

TEST(chs_and_initialize_device_parameters)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    /* Default geometry 16/63: C/H/S 1/2/3 = (1 * 16 + 2) * 63 + 2 = 1136. */
    wr(bus, 6, 0xa0 | 2);
    wr(bus, 2, 1);
    wr(bus, 3, 3);
    wr(bus, 4, 1);
    wr(bus, 5, 0);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    uint8_t b[512];
    read_words(bus, b, 512);
    CHECK_EQ(check_sector(b, 1136), 0);
    /* 4 heads, 17 sectors: C/H/S 2/1/5 = (2 * 4 + 1) * 17 + 4 = 157. */
    wr(bus, 6, 0xa0 | 3);
    wr(bus, 2, 17);
    wr(bus, 7, 0x91);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    uint8_t id[512];
    CHECK_EQ(identify(bus, 0, 0xec, id), 0);
    CHECK_EQ(w16(id, 55), 4);
    CHECK_EQ(w16(id, 56), 17);
    CHECK_EQ(w16(id, 54), 2048 / 68);
    wr(bus, 6, 0xa0 | 1);
    wr(bus, 2, 1);
    wr(bus, 3, 5);
    wr(bus, 4, 2);
    wr(bus, 5, 0);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    read_words(bus, b, 512);
    CHECK_EQ(check_sector(b, 157), 0);
    /* Sector 0 does not exist in CHS. */
    wr(bus, 3, 0);
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_IDNF);
    rig_free(&r);
}

TEST(nien_masks_intrq)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    ide_ctl_write(bus, IDE_CTL_NIEN);
    wr(bus, 7, 0xe7); /* FLUSH CACHE */
    CHECK(ide_wait(bus));
    CHECK_EQ(r.rec.rises, 0);
    CHECK_EQ(ide_bus_irq_level(bus), 0);
    /* The interrupt is still pending: enabling shows it. */
    ide_ctl_write(bus, 0);
    CHECK_EQ(r.rec.level, 1);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(r.rec.level, 0);
    BlockAioStats st;
    blk_aio_queue_stats(ide_drive_queue(ide_bus_drive(bus, 0)), &st);
    CHECK_EQ(st.flushes, 1);
    rig_free(&r);
}

TEST(srst_signatures_and_diagnostic)
{
    Rig r;
    rig_init(&r);
    BlockBackend *hd = rig_image("raw", "hd.img", 1 << 20, 4096, false);
    CHECK(hd);
    CHECK_EQ(attach(&r, 0, IDE_HD, hd), 0);
    Error *err = NULL;
    CHECK_EQ(ide_bus_attach(&r.bus, 1, IDE_CD, NULL, BLK_CACHE_WRITEBACK, &err), 0);
    IDEBus *bus = &r.bus;
    /* Disturb the registers, then reset. */
    tf28(bus, 1, 0x123456, 9);
    ide_ctl_write(bus, IDE_CTL_SRST | IDE_CTL_NIEN);
    CHECK_EQ(ide_ctl_read(bus), IDE_ST_BSY);
    wr(bus, 7, 0xec); /* ignored while in reset */
    ide_ctl_write(bus, IDE_CTL_NIEN);
    CHECK_EQ(rd(bus, 6) & 0x10, 0); /* device 0 selected */
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(rd(bus, 1), 0x01);
    CHECK_EQ(rd(bus, 2), 1);
    CHECK_EQ(rd(bus, 3), 1);
    CHECK_EQ(rd(bus, 4), 0);
    CHECK_EQ(rd(bus, 5), 0);
    wr(bus, 6, 0xb0);
    CHECK_EQ(rd(bus, 7), 0);        /* ATAPI: DRDY clear after reset */
    CHECK_EQ(rd(bus, 1), 0x01);
    CHECK_EQ(rd(bus, 2), 1);
    CHECK_EQ(rd(bus, 3), 1);
    CHECK_EQ(rd(bus, 4), 0x14);
    CHECK_EQ(rd(bus, 5), 0xeb);
    /* IDENTIFY DEVICE to the ATAPI device aborts and shows the signature. */
    tf28(bus, 1, 0, 0);
    wr(bus, 7, 0xec);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_ABRT);
    CHECK_EQ(rd(bus, 4), 0x14);
    CHECK_EQ(rd(bus, 5), 0xeb);
    /* EXECUTE DEVICE DIAGNOSTIC: both report, device 0 interrupts. */
    ide_ctl_write(bus, 0);
    tf28(bus, 1, 0x55, 0x55);
    wr(bus, 7, 0x90);
    CHECK_EQ(r.rec.level, 1);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(rd(bus, 1), 0x01);
    CHECK_EQ(rd(bus, 3), 1);
    wr(bus, 6, 0xb0);
    CHECK_EQ(rd(bus, 4), 0x14);
    /* DEVICE RESET to the ATAPI device; the disk aborts it. */
    wr(bus, 7, 0x08);
    CHECK_EQ(rd(bus, 7), 0);
    CHECK_EQ(rd(bus, 5), 0xeb);
    wr(bus, 6, 0xa0);
    wr(bus, 7, 0x08);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 1), IDE_ERR_ABRT);
    rig_free(&r);
}

TEST(absent_devices)
{
    Rig r;
    rig_init(&r);
    IDEBus *bus = &r.bus;
    /* An empty channel reads 0 everywhere. */
    for (unsigned reg = 1; reg < 8; reg++)
        CHECK_EQ(rd(bus, reg), 0);
    CHECK_EQ(ide_ctl_read(bus), 0);
    wr(bus, 2, 0x55);
    CHECK_EQ(rd(bus, 2), 0);
    rig_free(&r);

    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    bus = &r.bus;
    wr(bus, 6, 0xb0);
    CHECK_EQ(rd(bus, 7), 0);
    CHECK_EQ(ide_ctl_read(bus), 0);
    /* The registers are latched (a driver's presence check sees them)... */
    wr(bus, 2, 0x55);
    wr(bus, 3, 0xaa);
    CHECK_EQ(rd(bus, 2), 0x55);
    CHECK_EQ(rd(bus, 3), 0xaa);
    /* ...but commands go nowhere. */
    wr(bus, 7, 0xec);
    for (int i = 0; i < 5; i++)
        mainloop_wait(NS_PER_MS);
    CHECK_EQ(rd(bus, 7), 0);
    CHECK_EQ(r.rec.rises, 0);
    CHECK_EQ(ide_cmd_read(bus, 0, 2), 0xffff);
    /* A pending master interrupt shows only while the master is selected. */
    wr(bus, 6, 0xa0);
    wr(bus, 7, 0xe5); /* CHECK POWER MODE */
    CHECK(ide_wait(bus));
    CHECK_EQ(r.rec.level, 1);
    CHECK_EQ(rd(bus, 2), 0xff);
    wr(bus, 6, 0xb0);
    CHECK_EQ(r.rec.level, 0);
    wr(bus, 6, 0xa0);
    CHECK_EQ(r.rec.level, 1);
    rig_free(&r);
}

TEST(errors_and_misc_commands)
{
    Rig r;
    CHECK_EQ(rig_disk(&r, "raw", 1 << 20), 0);
    IDEBus *bus = &r.bus;
    tf28(bus, 0, 2047, 2); /* runs past the end */
    wr(bus, 7, 0x20);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(rd(bus, 1), IDE_ERR_IDNF);
    CHECK_EQ(r.rec.level, 0);
    wr(bus, 7, 0x00); /* NOP always aborts */
    CHECK_EQ(rd(bus, 1), IDE_ERR_ABRT);
    wr(bus, 7, 0xb0); /* SMART: not implemented */
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    tf28(bus, 0, 10, 5);
    wr(bus, 7, 0x40); /* READ VERIFY */
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    wr(bus, 7, 0xe0); /* STANDBY IMMEDIATE */
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    /* SET FEATURES: transfer modes as the PIIX3 can do them. */
    wr(bus, 1, 0x03);
    wr(bus, 2, 0x22); /* MWDMA 2 */
    wr(bus, 7, 0xef);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    wr(bus, 2, 0x42); /* UDMA 2: not offered */
    wr(bus, 7, 0xef);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    uint8_t id[512];
    CHECK_EQ(identify(bus, 0, 0xec, id), 0);
    CHECK_EQ(w16(id, 63), 0x0407);
    /* Write cache off: writes reach the disk with a flush each. */
    wr(bus, 1, 0x82);
    wr(bus, 7, 0xef);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(identify(bus, 0, 0xec, id), 0);
    CHECK_EQ(w16(id, 85) & (1 << 5), 0);
    int fail;
    write_read_back(&r, 30, 2, false, &fail);
    CHECK_EQ(fail, 0);
    BlockAioStats st;
    blk_aio_queue_stats(ide_drive_queue(ide_bus_drive(bus, 0)), &st);
    CHECK_EQ(st.writes, 1);
    CHECK_EQ(st.flushes, 1);
    /* FLUSH CACHE EXT completes through the queue. */
    wr(bus, 7, 0xea);
    CHECK(rd(bus, 7) & IDE_ST_BSY);
    CHECK(ide_wait(bus));
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    blk_aio_queue_stats(ide_drive_queue(ide_bus_drive(bus, 0)), &st);
    CHECK_EQ(st.flushes, 2);
    rig_free(&r);
}

/* ---- ATAPI ---------------------------------------------------------------------------- */

static int cd_rig(Rig *r, uint32_t blocks)
{
    rig_init(r);
    BlockBackend *hd = rig_image("raw", "hd.img", 1 << 20, 0, false);
    BlockBackend *iso = blocks ? rig_image("raw", "cd.iso", (uint64_t)blocks * 2048,
                                           (uint64_t)blocks * 2048, true) : NULL;
    if (!hd || (blocks && !iso))
        return -1;
    if (attach(r, 0, IDE_HD, hd) < 0 || attach(r, 1, IDE_CD, iso) < 0)
        return -1;
    wr(&r->bus, 6, 0xb0);
    return 0;
}

static void cdb_init(uint8_t *cdb, uint8_t op)
{
    memset(cdb, 0, 12);
    cdb[0] = op;
}

/* Sense after a command: key/asc/ascq packed as 0xKKAAQQ (-1 on a protocol error). */
static int sense(IDEBus *bus)
{
    uint8_t cdb[12], b[18];
    cdb_init(cdb, 0x03);
    cdb[4] = 18;
    if (atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL) != 18)
        return -1;
    return b[2] << 16 | b[12] << 8 | b[13];
}

static int tur(IDEBus *bus)
{
    uint8_t cdb[12], b[2];
    cdb_init(cdb, 0x00);
    if (atapi_pio(bus, cdb, 0xfffe, b, 0, NULL) != 0)
        return -2;
    return rd(bus, 7) & IDE_ST_ERR ? rd(bus, 1) >> 4 : 0;
}

TEST(atapi_identify_packet)
{
    Rig r;
    CHECK_EQ(cd_rig(&r, 0), 0);
    uint8_t id[512];
    CHECK_EQ(identify(&r.bus, 1, 0xa1, id), 0);
    CHECK_EQ(w16(id, 0), 0x85c0);
    char s[41];
    id_string(id, 27, 40, s);
    CHECK_STR(s, "PEMU DVD-ROM");
    CHECK(w16(id, 49) & (1 << 8));
    CHECK(w16(id, 82) & (1 << 4));
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ(sum, 0);
    /* The disk does not take IDENTIFY PACKET DEVICE or PACKET. */
    wr(&r.bus, 6, 0xa0);
    wr(&r.bus, 7, 0xa1);
    CHECK_EQ(rd(&r.bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    wr(&r.bus, 7, 0xa0);
    CHECK_EQ(rd(&r.bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    rig_free(&r);
}

TEST(atapi_no_medium)
{
    Rig r;
    CHECK_EQ(cd_rig(&r, 0), 0);
    IDEBus *bus = &r.bus;
    CHECK_EQ(tur(bus), SENSE_NOT_READY);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_ERR);
    CHECK_EQ(sense(bus), SENSE_NOT_READY << 16 | ASC_MEDIUM_NOT_PRESENT << 8 | 1);
    CHECK_EQ(sense(bus), 0); /* reported once */
    uint8_t cdb[12], b[64];
    cdb_init(cdb, 0x25);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(rd(bus, 1) >> 4, SENSE_NOT_READY);
    /* INQUIRY needs no medium. */
    cdb_init(cdb, 0x12);
    cdb[4] = 36;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 36);
    CHECK_EQ(b[0], 0x05);
    CHECK_EQ(b[1], 0x80);
    CHECK(memcmp(b + 8, "PEMU    PEMU DVD-ROM    ", 24) == 0);
    /* Allocation length cuts the reply. */
    cdb[4] = 5;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 5);
    /* GET CONFIGURATION: no current profile. */
    cdb_init(cdb, 0x46);
    cdb[8] = 64;
    int n = atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL);
    CHECK(n >= 8);
    CHECK_EQ(b[6] << 8 | b[7], 0);
    rig_free(&r);
}

TEST(atapi_read_iso)
{
    Rig r;
    CHECK_EQ(cd_rig(&r, 200), 0);
    IDEBus *bus = &r.bus;
    CHECK_EQ(tur(bus), 0);
    uint8_t cdb[12];
    static uint8_t b[80 * 2048];
    cdb_init(cdb, 0x25); /* READ CAPACITY */
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 8);
    CHECK_EQ(ld32_be(b), 199);
    CHECK_EQ(ld32_be(b + 4), 2048);
    /* READ(10) of 3 blocks from 10 with a byte count limit of 3001. */
    cdb_init(cdb, 0x28);
    st32_be(cdb + 2, 10);
    st16_be(cdb + 7, 3);
    int pieces;
    CHECK_EQ(atapi_pio(bus, cdb, 3001, b, sizeof(b), &pieces), 3 * 2048);
    CHECK_EQ(pieces, 3);  /* 3000 + 3000 + 144 */
    for (int k = 0; k < 3 * 2048; k++)
        CHECK_EQ(b[k], pat(10 * 4 + (uint64_t)k / 512, (unsigned)k % 512));
    /* READ(12) of 70 blocks: more than the device buffer holds. */
    cdb_init(cdb, 0xa8);
    st32_be(cdb + 2, 100);
    st32_be(cdb + 6, 70);
    CHECK_EQ(atapi_pio(bus, cdb, 0xf800, b, sizeof(b), NULL), 70 * 2048);
    for (int k = 0; k < 70 * 2048; k += 509)
        CHECK_EQ(b[k], pat(100 * 4 + (uint64_t)k / 512, (unsigned)k % 512));
    CHECK_EQ(b[70 * 2048 - 1], pat(170 * 4 - 1, 511));
    /* Out of range. */
    cdb_init(cdb, 0x28);
    st32_be(cdb + 2, 199);
    st16_be(cdb + 7, 2);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(sense(bus), SENSE_ILLEGAL_REQUEST << 16 | ASC_LBA_OUT_OF_RANGE << 8);
    /* Unknown opcode. */
    cdb_init(cdb, 0xd8);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(sense(bus), SENSE_ILLEGAL_REQUEST << 16 | ASC_INV_OPCODE << 8);
    rig_free(&r);
}

TEST(atapi_toc_and_info)
{
    Rig r;
    CHECK_EQ(cd_rig(&r, 200), 0);
    IDEBus *bus = &r.bus;
    uint8_t cdb[12], b[256];
    cdb_init(cdb, 0x43); /* format 0, LBA */
    st16_be(cdb + 7, sizeof(b));
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 20);
    CHECK_EQ(ld16_be(b), 18);
    CHECK_EQ(b[2], 1);
    CHECK_EQ(b[3], 1);
    CHECK_EQ(b[5], 0x14);
    CHECK_EQ(b[6], 1);
    CHECK_EQ(ld32_be(b + 8), 0);
    CHECK_EQ(b[14], 0xaa);
    CHECK_EQ(ld32_be(b + 16), 200);
    cdb[1] = 2; /* MSF: 200 + 150 frames = 00:04:50 */
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 20);
    CHECK_EQ(ld32_be(b + 8), 0x00000200);
    CHECK_EQ(ld32_be(b + 16), 0x00000432);
    cdb[1] = 0;
    cdb[2] = 1; /* session info */
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 12);
    CHECK_EQ(ld16_be(b), 10);
    CHECK_EQ(b[6], 1);
    cdb[2] = 2; /* raw TOC */
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 48);
    CHECK_EQ(ld16_be(b), 46);
    CHECK_EQ(b[4 + 3], 0xa0);
    CHECK_EQ(b[4 + 11 + 3], 0xa1);
    CHECK_EQ(b[4 + 22 + 3], 0xa2);
    CHECK_EQ(b[4 + 22 + 8], 0);   /* lead-out 00:04:50 */
    CHECK_EQ(b[4 + 22 + 9], 4);
    CHECK_EQ(b[4 + 22 + 10], 50);
    CHECK_EQ(b[4 + 33 + 3], 1);
    CHECK_EQ(b[4 + 33 + 9], 2);   /* track 1 at 00:02:00 */
    cdb[2] = 5; /* not supported */
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(sense(bus), SENSE_ILLEGAL_REQUEST << 16 | ASC_INV_FIELD_IN_CDB << 8);
    /* MODE SENSE(10) page 2A. */
    cdb_init(cdb, 0x5a);
    cdb[2] = 0x2a;
    st16_be(cdb + 7, sizeof(b));
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 28);
    CHECK_EQ(ld16_be(b), 26);
    CHECK_EQ(b[8], 0x2a);
    CHECK_EQ(b[9], 18);
    CHECK_EQ(b[8 + 6] & 0x0b, 0x09); /* lock, eject, not locked */
    cdb[2] = 0x3f;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 36);
    cdb[2] = 0x05;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(sense(bus), SENSE_ILLEGAL_REQUEST << 16 | ASC_INV_FIELD_IN_CDB << 8);
    /* GET CONFIGURATION: CD-ROM profile current. */
    cdb_init(cdb, 0x46);
    st16_be(cdb + 7, sizeof(b));
    int n = atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL);
    CHECK_EQ(n, 8 + 12 + 12 + 8);
    CHECK_EQ(ld32_be(b), (uint32_t)n - 4);
    CHECK_EQ(ld16_be(b + 6), 0x0008);
    CHECK_EQ(ld16_be(b + 8), 0x0000);
    CHECK_EQ(b[8 + 4 + 4 + 2], 1);  /* CD-ROM entry marked current */
    cdb[1] = 2;                     /* one feature: Core */
    st16_be(cdb + 2, 1);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 8 + 12);
    CHECK_EQ(ld16_be(b + 8), 0x0001);
    CHECK_EQ(ld32_be(b + 12), 2);   /* ATAPI */
    /* READ DISC INFORMATION, MECHANISM STATUS, SET CD SPEED. */
    cdb_init(cdb, 0x51);
    st16_be(cdb + 7, sizeof(b));
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 34);
    CHECK_EQ(b[2], 0x0e);
    cdb_init(cdb, 0xbd);
    st16_be(cdb + 8, 8);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 8);
    cdb_init(cdb, 0xbb);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    rig_free(&r);
}

/* GET EVENT STATUS NOTIFICATION, media class: event code and media status. */
static int gesn(IDEBus *bus)
{
    uint8_t cdb[12], b[8];
    cdb_init(cdb, 0x4a);
    cdb[1] = 1;
    cdb[4] = 0x10;
    st16_be(cdb + 7, 8);
    if (atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL) != 8 || b[2] != 4 || b[3] != 0x10)
        return -1;
    return b[4] << 8 | b[5];
}

TEST(atapi_media_change_and_events)
{
    Rig r;
    CHECK_EQ(cd_rig(&r, 0), 0);
    IDEBus *bus = &r.bus;
    IDEDrive *cd = ide_bus_drive(bus, 1);
    CHECK_EQ(gesn(bus), 0x0000);
    /* Asynchronous GESN is not supported. */
    uint8_t cdb[12], b[64];
    cdb_init(cdb, 0x4a);
    cdb[4] = 0x10;
    st16_be(cdb + 7, 8);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(rd(bus, 1) >> 4, SENSE_ILLEGAL_REQUEST);
    /* No class asked: NEA. */
    cdb[1] = 1;
    cdb[4] = 0x02;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 4);
    CHECK_EQ(b[2], 0x80);
    /* Insert a medium. */
    BlockBackend *iso = rig_image("raw", "new.iso", 64 * 2048, 64 * 2048, true);
    CHECK(iso);
    blk_close(iso);
    Error *err = NULL;
    CHECK_EQ(ide_cd_change(cd, rig_path("new.iso"), "raw", &err), 0);
    CHECK(ide_cd_has_medium(cd));
    CHECK_EQ(gesn(bus), 0x0202);    /* new media, present */
    CHECK_EQ(gesn(bus), 0x0002);
    CHECK_EQ(tur(bus), SENSE_UNIT_ATTENTION);
    CHECK_EQ(sense(bus), SENSE_UNIT_ATTENTION << 16 | ASC_MEDIUM_MAY_HAVE_CHANGED << 8);
    CHECK_EQ(tur(bus), 0);
    cdb_init(cdb, 0x25);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 8);
    CHECK_EQ(ld32_be(b), 63);
    /* The guest locks the tray: the monitor's eject is refused, and the
     * guest hears of the request. */
    cdb_init(cdb, 0x1e);
    cdb[4] = 1;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK(ide_cd_locked(cd));
    CHECK(ide_cd_eject(cd, false, &err) < 0);
    CHECK(err != NULL);
    error_free(err);
    err = NULL;
    CHECK_EQ(gesn(bus), 0x0102);    /* eject request */
    /* The guest's own eject fails while locked. */
    cdb_init(cdb, 0x1b);
    cdb[4] = 2;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(sense(bus), SENSE_ILLEGAL_REQUEST << 16 | ASC_MEDIUM_REMOVAL_PREVENTED << 8 | 2);
    /* Unlock and eject from the guest: tray open, medium gone. */
    cdb_init(cdb, 0x1e);
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    cdb_init(cdb, 0x1b);
    cdb[4] = 2;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(rd(bus, 7), IDE_ST_DRDY | IDE_ST_DSC);
    CHECK_EQ(gesn(bus), 0x0301);    /* removal, tray open */
    CHECK_EQ(tur(bus), SENSE_NOT_READY);
    CHECK_EQ(sense(bus), SENSE_NOT_READY << 16 | ASC_MEDIUM_NOT_PRESENT << 8 | 2);
    /* Close the tray: the medium is back. */
    cdb[4] = 3;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(gesn(bus), 0x0202);
    CHECK_EQ(tur(bus), 0);
    /* Forced eject from the monitor. */
    cdb_init(cdb, 0x1e);
    cdb[4] = 1;
    CHECK_EQ(atapi_pio(bus, cdb, 0xfffe, b, sizeof(b), NULL), 0);
    CHECK_EQ(ide_cd_eject(cd, true, &err), 0);
    CHECK(!ide_cd_has_medium(cd));
    CHECK_EQ(gesn(bus), 0x0301);
    CHECK_EQ(tur(bus), SENSE_NOT_READY);
    /* A file that is not there. */
    CHECK(ide_cd_change(cd, rig_path("missing.iso"), NULL, &err) < 0);
    CHECK(err && strstr(err->msg, "missing.iso"));
    error_free(err);
    /* change on the disk is refused. */
    err = NULL;
    CHECK(ide_cd_change(ide_bus_drive(bus, 0), rig_path("new.iso"), "raw", &err) < 0);
    error_free(err);
    rig_free(&r);
}

TEST(attach_errors)
{
    Rig r;
    rig_init(&r);
    Error *err = NULL;
    CHECK(ide_bus_attach(&r.bus, 0, IDE_HD, NULL, BLK_CACHE_WRITEBACK, &err) < 0);
    CHECK(err && strstr(err->msg, "needs an image"));
    error_free(err);
    err = NULL;
    CHECK(ide_bus_attach(&r.bus, 2, IDE_CD, NULL, BLK_CACHE_WRITEBACK, &err) < 0);
    error_free(err);
    err = NULL;
    CHECK_EQ(ide_bus_attach(&r.bus, 0, IDE_CD, NULL, BLK_CACHE_WRITEBACK, &err), 0);
    CHECK(ide_bus_attach(&r.bus, 0, IDE_CD, NULL, BLK_CACHE_WRITEBACK, &err) < 0);
    CHECK(err && strstr(err->msg, "taken"));
    error_free(err);
    rig_free(&r);
}
