/*
 * IDE channel with ATA disks and ATAPI CD-ROMs. See hw/ide.h.
 *
 * References: ATA/ATAPI-7 (T13 1532D) volume 1 (commands, IDENTIFY
 * words), volume 2 (protocols: PIO data-in/out, DMA, PACKET, resets and
 * signatures); MMC-5 (T10 1675D) and SPC-3 for the packet commands.
 */
#include "hw/ide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ports/host.h"
#include "src/log.h"
#include "src/vmstate.h"

/* What ends a PIO window (IDEDrive.xfer). */
typedef enum IDEXfer {
    XFER_NONE,
    XFER_REPLY,     /* ATA data-in from the buffer only (IDENTIFY) */
    XFER_PIO_IN,    /* ATA READ SECTORS / MULTIPLE */
    XFER_PIO_OUT,   /* ATA WRITE SECTORS / MULTIPLE */
    XFER_PACKET,    /* ATAPI: the 12-byte command packet */
    XFER_ATAPI_IN,  /* ATAPI data-in */
} IDEXfer;

#ifndef PEMU_VERSION
#define PEMU_VERSION "0.1.0"
#endif

#define CD_MAX_BLOCKS 405000        /* 90 min CD; larger media are DVDs */
#define CD_LEADIN_FRAMES 150        /* MSF 00:02:00 is LBA 0 */

static void cd_read_chunk(IDEDrive *d);
static void ata_read_chunk(IDEDrive *d);
static void dma_run(IDEDrive *d);
static void atapi_exec(IDEDrive *d);

static IDEDrive *cur(IDEBus *bus) { return &bus->drives[bus->unit]; }

static uint32_t sector_size(IDEDrive *d)
{
    return d->kind == IDE_CD ? ATAPI_SECTOR_SIZE : IDE_SECTOR_SIZE;
}

/* ---- interrupts ------------------------------------------------------------ */

/* INTRQ is driven by the selected device, unless nIEN (ATA-7 vol. 2, 5.2.8). */
static int bus_irq_state(IDEBus *bus)
{
    IDEDrive *d = cur(bus);
    return d->kind != IDE_NONE && d->irq_pending && !(bus->devctl & IDE_CTL_NIEN);
}

static void bus_update_irq(IDEBus *bus)
{
    int level = bus_irq_state(bus);
    if (level != bus->irq_level) {
        bus->irq_level = level;
        irq_set(bus->irq, level);
    }
}

static void raise_irq(IDEDrive *d)
{
    d->irq_pending = true;
    bus_update_irq(d->bus);
}

int ide_bus_irq_level(IDEBus *bus) { return bus_irq_state(bus); }

/* ---- task file helpers ----------------------------------------------------- */

/* The address of a command: 48-bit, 28-bit LBA, or CHS with the current
 * geometry. UINT64_MAX for an impossible CHS address. */
static uint64_t tf_lba(IDEDrive *d, bool lba48)
{
    if (lba48)
        return (uint64_t)d->sector | (uint64_t)d->lcyl << 8 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->hob_sector << 24 | (uint64_t)d->hob_lcyl << 32 |
               (uint64_t)d->hob_hcyl << 40;
    if (d->select & 0x40)
        return (uint64_t)(d->select & 0x0f) << 24 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->lcyl << 8 | d->sector;
    unsigned cyl = d->lcyl | d->hcyl << 8, head = d->select & 0x0f;
    if (!d->sector || d->sector > d->cur_secs || head >= d->cur_heads)
        return UINT64_MAX;
    return ((uint64_t)cyl * d->cur_heads + head) * d->cur_secs + d->sector - 1;
}

static void tf_set_lba(IDEDrive *d, uint64_t lba)
{
    if (d->lba48) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->hob_sector = (uint8_t)(lba >> 24);
        d->hob_lcyl = (uint8_t)(lba >> 32);
        d->hob_hcyl = (uint8_t)(lba >> 40);
    } else if (d->select & 0x40) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->select = (uint8_t)((d->select & 0xf0) | ((lba >> 24) & 0x0f));
    } else if (d->cur_heads && d->cur_secs) {
        uint64_t cyl = lba / ((uint64_t)d->cur_heads * d->cur_secs);
        uint32_t r = (uint32_t)(lba % ((uint64_t)d->cur_heads * d->cur_secs));
        d->lcyl = (uint8_t)cyl;
        d->hcyl = (uint8_t)(cyl >> 8);
        d->select = (uint8_t)((d->select & 0xf0) | (r / d->cur_secs));
        d->sector = (uint8_t)(r % d->cur_secs + 1);
    }
}

static uint32_t tf_count(IDEDrive *d, bool lba48)
{
    uint32_t n = d->nsector | (lba48 ? (uint32_t)d->hob_nsector << 8 : 0);
    return n ? n : lba48 ? 65536 : 256;
}

/* Reset signature (ATA-7 vol. 2, 9.12): what tells ATA from ATAPI. */
static void set_signature(IDEDrive *d)
{
    d->select = 0xa0;
    d->nsector = d->sector = 1;
    if (d->kind == IDE_CD) {
        d->lcyl = 0x14;
        d->hcyl = 0xeb;
    } else if (d->kind == IDE_HD) {
        d->lcyl = d->hcyl = 0;
    } else {
        d->lcyl = d->hcyl = 0xff;
    }
    d->hob_nsector = d->hob_sector = d->hob_lcyl = d->hob_hcyl = 0;
}

/* ---- command endings ------------------------------------------------------- */

static void end_xfer(IDEDrive *d)
{
    d->xfer = XFER_NONE;
    d->dma_waiting = false;
    if (d->dma) {
        d->dma = false;
        if (d->bus->dma_ops)
            d->bus->dma_ops->done(d->bus->dma_opaque);
    }
}

static void cmd_done(IDEDrive *d)
{
    end_xfer(d);
    d->status = IDE_ST_DRDY | IDE_ST_DSC;
    raise_irq(d);
}

static void cmd_error(IDEDrive *d, uint8_t err)
{
    end_xfer(d);
    d->status = IDE_ST_DRDY | IDE_ST_ERR;
    d->error = err;
    raise_irq(d);
}

static void cmd_abort(IDEDrive *d) { cmd_error(d, IDE_ERR_ABRT); }

/* ATAPI devices abort ATA read/identify commands and show their
 * signature, which is how drivers recognise them. */
static void cmd_abort_signature(IDEDrive *d)
{
    set_signature(d);
    d->select = (uint8_t)(0xa0 | d->unit << 4);
    cmd_abort(d);
}

static void atapi_ok(IDEDrive *d)
{
    end_xfer(d);
    d->sense_key = SENSE_NONE;
    d->asc = d->ascq = 0;
    d->status = IDE_ST_DRDY | IDE_ST_DSC;
    d->error = 0;
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    raise_irq(d);
}

/* CHECK CONDITION: the sense is kept for REQUEST SENSE. */
static void atapi_check(IDEDrive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    end_xfer(d);
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
    d->status = IDE_ST_DRDY | IDE_ST_ERR;
    d->error = (uint8_t)(key << 4);
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    raise_irq(d);
}

/* ---- PIO windows -------------------------------------------------------- */

static void start_window(IDEDrive *d, IDEXfer x, uint32_t len)
{
    d->xfer = x;
    d->pio_end = d->buf_pos + len;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
}

/* ATA data-in: offer the next DRQ block (a sector, or the multiple count). */
static void ata_in_block(IDEDrive *d)
{
    uint32_t n = d->drq_sectors * IDE_SECTOR_SIZE;
    if (n > d->buf_len - d->buf_pos)
        n = d->buf_len - d->buf_pos;
    start_window(d, XFER_PIO_IN, n);
    raise_irq(d);
}

static void ata_in_next(IDEDrive *d)
{
    if (d->buf_pos < d->buf_len) {
        ata_in_block(d);
    } else if (d->io_left) {
        ata_read_chunk(d);
    } else {
        /* No interrupt after the last block of a PIO data-in command. */
        tf_set_lba(d, d->io_lba - 1);
        d->xfer = XFER_NONE;
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
    }
}

/* ATA data-out: ask for the next DRQ block, appended to the buffer. */
static void ata_out_block(IDEDrive *d)
{
    uint32_t want = d->io_left - d->buf_len / IDE_SECTOR_SIZE;
    if (want > d->drq_sectors)
        want = d->drq_sectors;
    d->buf_pos = d->buf_len;
    start_window(d, XFER_PIO_OUT, want * IDE_SECTOR_SIZE);
}

static void ata_write_cb(void *opaque, int ret)
{
    IDEDrive *d = opaque;
    d->busy_io = false;
    if (ret < 0) {
        tf_set_lba(d, d->io_lba);
        cmd_error(d, IDE_ERR_ABRT);
        return;
    }
    uint32_t n = d->buf_len / IDE_SECTOR_SIZE;
    d->io_lba += n;
    d->io_left -= n;
    d->buf_len = d->buf_pos = 0;
    if (!d->io_left) {
        tf_set_lba(d, d->io_lba - 1);
        cmd_done(d);
    } else if (d->dma) {
        d->dma_waiting = true;
        dma_run(d);
    } else {
        ata_out_block(d);
        raise_irq(d);
    }
}

static void ata_write_buffer(IDEDrive *d)
{
    d->xfer = XFER_NONE;
    d->status = IDE_ST_BSY | IDE_ST_DRDY;
    d->busy_io = true;
    blk_aio_pwrite(d->q, d->io_lba * IDE_SECTOR_SIZE, d->buf, d->buf_len, ata_write_cb, d);
}

static void ata_out_next(IDEDrive *d)
{
    d->buf_len = d->pio_end;
    uint32_t pending = d->io_left - d->buf_len / IDE_SECTOR_SIZE;
    if (!pending || d->buf_len + d->drq_sectors * IDE_SECTOR_SIZE > IDE_BUF_SIZE) {
        ata_write_buffer(d);
    } else {
        ata_out_block(d);
        raise_irq(d);
    }
}

/* ATAPI data-in: the next piece, at most the byte count limit. */
static void atapi_in_block(IDEDrive *d)
{
    uint32_t n = d->buf_len - d->buf_pos;
    if (n > d->byte_limit)
        n = d->byte_limit;
    d->lcyl = (uint8_t)n;
    d->hcyl = (uint8_t)(n >> 8);
    d->nsector = ATAPI_IR_IO;
    start_window(d, XFER_ATAPI_IN, n);
    raise_irq(d);
}

static void atapi_in_next(IDEDrive *d)
{
    if (d->buf_pos < d->buf_len)
        atapi_in_block(d);
    else if (d->io_left)
        cd_read_chunk(d);
    else
        atapi_ok(d);
}

/* The host moved the last byte of the window. */
static void window_end(IDEDrive *d)
{
    d->buf_pos = d->pio_end;
    switch ((IDEXfer)d->xfer) {
    case XFER_REPLY:
        d->xfer = XFER_NONE;
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
        break;
    case XFER_PIO_IN:
        ata_in_next(d);
        break;
    case XFER_PIO_OUT:
        ata_out_next(d);
        break;
    case XFER_PACKET:
        memcpy(d->packet, d->buf, sizeof(d->packet));
        d->xfer = XFER_NONE;
        d->status = IDE_ST_BSY | IDE_ST_DRDY;
        atapi_exec(d);
        break;
    case XFER_ATAPI_IN:
        atapi_in_next(d);
        break;
    case XFER_NONE:
        break;
    }
}

static bool data_in(IDEDrive *d)
{
    return (d->status & IDE_ST_DRQ) &&
           (d->xfer == XFER_REPLY || d->xfer == XFER_PIO_IN || d->xfer == XFER_ATAPI_IN);
}

static bool data_out(IDEDrive *d)
{
    return (d->status & IDE_ST_DRQ) && (d->xfer == XFER_PIO_OUT || d->xfer == XFER_PACKET);
}

static uint16_t data_read16(IDEDrive *d)
{
    if (!data_in(d) || d->buf_pos >= d->pio_end)
        return 0xffff;
    /* An odd-sized ATAPI window ends with a padded word; buf has slack. */
    uint16_t v = ld16_le(d->buf + d->buf_pos);
    if (d->buf_pos + 1 == d->pio_end)
        v &= 0xff;
    d->buf_pos += 2;
    if (d->buf_pos >= d->pio_end)
        window_end(d);
    return v;
}

static void data_write16(IDEDrive *d, uint16_t v)
{
    if (!data_out(d) || d->buf_pos >= d->pio_end)
        return;
    st16_le(d->buf + d->buf_pos, v);
    d->buf_pos += 2;
    if (d->buf_pos >= d->pio_end)
        window_end(d);
}

/* ---- reading the medium --------------------------------------------------------- */

static void read_cb(void *opaque, int ret)
{
    IDEDrive *d = opaque;
    d->busy_io = false;
    if (ret < 0) {
        if (d->kind == IDE_CD) {
            atapi_check(d, SENSE_MEDIUM_ERROR, 0x11, 0); /* unrecovered read error */
        } else {
            tf_set_lba(d, d->io_lba);
            cmd_error(d, IDE_ERR_UNC);
        }
        return;
    }
    uint32_t n = d->buf_len / sector_size(d);
    d->io_lba += n;
    d->io_left -= n;
    d->buf_pos = 0;
    if (d->dma) {
        d->dma_waiting = true;
        dma_run(d);
    } else if (d->kind == IDE_CD) {
        atapi_in_block(d);
    } else {
        ata_in_block(d);
    }
}

/* Fill the buffer with the next sectors of the command (BSY meanwhile). */
static void read_chunk(IDEDrive *d)
{
    uint32_t ss = sector_size(d);
    uint32_t n = d->io_left;
    if (n > IDE_BUF_SIZE / ss)
        n = IDE_BUF_SIZE / ss;
    d->xfer = XFER_NONE;
    d->status = IDE_ST_BSY | IDE_ST_DRDY;
    d->buf_pos = 0;
    d->buf_len = n * ss;
    d->busy_io = true;
    blk_aio_pread(d->q, d->io_lba * ss, d->buf, d->buf_len, read_cb, d);
}

static void ata_read_chunk(IDEDrive *d) { read_chunk(d); }
static void cd_read_chunk(IDEDrive *d) { read_chunk(d); }

/* ---- bus-master DMA ------------------------------------------------------------- */

static bool dma_active(IDEBus *bus)
{
    return bus->dma_ops && bus->dma_ops->active(bus->dma_opaque);
}

static void dma_bus_error(IDEDrive *d)
{
    if (d->kind == IDE_CD)
        atapi_check(d, SENSE_ILLEGAL_REQUEST, 0x4b, 0); /* data phase error */
    else
        cmd_error(d, IDE_ERR_ABRT);
}

static void dma_finish(IDEDrive *d)
{
    if (d->kind == IDE_CD) {
        atapi_ok(d);
    } else {
        tf_set_lba(d, d->io_lba - 1);
        cmd_done(d);
    }
}

/*
 * Move what the command has next, if the engine runs. A PRD table too
 * short for the transfer stops the engine; the device keeps waiting (BSY)
 * and resumes if the engine is started again, as a real device holds
 * DMARQ until the host resets it.
 */
static void dma_run(IDEDrive *d)
{
    if (!d->dma_waiting || d->busy_io || !dma_active(d->bus))
        return;
    const IDEDMAOps *ops = d->bus->dma_ops;
    void *op = d->bus->dma_opaque;
    d->dma_waiting = false;
    if (d->io_write) {
        uint32_t n = d->io_left;
        if (n > IDE_BUF_SIZE / IDE_SECTOR_SIZE)
            n = IDE_BUF_SIZE / IDE_SECTOR_SIZE;
        /* buf_len counts what earlier, short runs already gathered. */
        uint32_t want = n * IDE_SECTOR_SIZE - d->buf_len;
        int64_t moved = ops->rw(op, d->buf + d->buf_len, want, false);
        if (moved < 0) {
            dma_bus_error(d);
            return;
        }
        d->buf_len += (uint32_t)moved;
        if ((uint32_t)moved < want) {
            d->dma_waiting = true;
            return;
        }
        ata_write_buffer(d);
        return;
    }
    if (d->buf_pos < d->buf_len) {
        uint32_t want = d->buf_len - d->buf_pos;
        int64_t moved = ops->rw(op, d->buf + d->buf_pos, want, true);
        if (moved < 0) {
            dma_bus_error(d);
            return;
        }
        d->buf_pos += (uint32_t)moved;
        if ((uint32_t)moved < want) {
            d->dma_waiting = true;
            return;
        }
    }
    if (d->io_left)
        read_chunk(d);
    else
        dma_finish(d);
}

void ide_bus_dma_start(IDEBus *bus)
{
    for (int i = 0; i < 2; i++)
        dma_run(&bus->drives[i]);
}

static void dma_begin(IDEDrive *d)
{
    d->dma = true;
    d->dma_waiting = true;
    d->xfer = XFER_NONE;
    d->status = IDE_ST_BSY | IDE_ST_DRDY | IDE_ST_DSC;
    dma_run(d);
}

/* ---- IDENTIFY ------------------------------------------------------------------- */

/* ATA strings: two characters per word, the first in the high byte. */
static void id_str(uint8_t *id, int word, const char *s, int len)
{
    size_t sl = strlen(s);
    for (int i = 0; i < len; i++)
        id[word * 2 + (i ^ 1)] = (uint8_t)((size_t)i < sl ? s[i] : ' ');
}

static void id_w(uint8_t *id, int word, uint16_t v) { st16_le(id + word * 2, v); }

static void id_checksum(uint8_t *id)
{
    /* Word 255: signature A5h, then the byte that makes all 512 sum to 0. */
    uint8_t sum = 0;
    id[510] = 0xa5;
    for (int i = 0; i < 511; i++)
        sum = (uint8_t)(sum + id[i]);
    id[511] = (uint8_t)-sum;
}

/* Word 63/88 current-mode bits from SET FEATURES 03h. */
static void id_dma_modes(IDEDrive *d, uint8_t *id)
{
    uint16_t mw = 0x07, udma = d->bus->udma_modes;
    if ((d->xfer_mode >> 3) == 4)
        mw |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    if ((d->xfer_mode >> 3) == 8)
        udma |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    id_w(id, 63, mw);
    id_w(id, 88, udma);
}

static void identify_ata(IDEDrive *d, uint8_t *id)
{
    memset(id, 0, 512);
    uint64_t lba28 = d->nb_sectors > 0x0fffffff ? 0x0fffffff : d->nb_sectors;
    id_w(id, 0, 0x0040);                   /* fixed device */
    id_w(id, 1, d->cyls);
    id_w(id, 3, d->heads);
    id_w(id, 4, (uint16_t)(IDE_SECTOR_SIZE * d->secs)); /* obsolete */
    id_w(id, 5, IDE_SECTOR_SIZE);
    id_w(id, 6, d->secs);
    id_str(id, 10, d->serial, 20);
    id_w(id, 20, 3);                       /* obsolete: buffer type */
    id_w(id, 21, IDE_BUF_SIZE / IDE_SECTOR_SIZE);
    id_str(id, 23, d->firmware, 8);
    id_str(id, 27, d->model, 40);
    id_w(id, 47, 0x8000 | IDE_MAX_MULT_SECTORS);
    id_w(id, 49, 1 << 11 | 1 << 9 | 1 << 8); /* IORDY, LBA, DMA */
    id_w(id, 50, 0x4000);
    id_w(id, 51, 0x0200);                  /* PIO timing mode 2 (obsolete) */
    id_w(id, 52, 0x0200);
    id_w(id, 53, 1 | 2 | 4);               /* words 54-58, 64-70, 88 valid */
    uint32_t chs = (uint32_t)d->cur_heads * d->cur_secs;
    uint64_t ccyl = chs ? d->nb_sectors / chs : 0;
    if (ccyl > 0xffff)
        ccyl = 0xffff;
    id_w(id, 54, (uint16_t)ccyl);
    id_w(id, 55, d->cur_heads);
    id_w(id, 56, d->cur_secs);
    st32_le(id + 57 * 2, (uint32_t)(ccyl * chs));
    id_w(id, 59, d->mult_sectors ? 0x100 | d->mult_sectors : 0);
    st32_le(id + 60 * 2, (uint32_t)lba28);
    id_dma_modes(d, id);
    id_w(id, 64, 0x03);                    /* PIO 3 and 4 */
    id_w(id, 65, 120);                     /* cycle times, ns */
    id_w(id, 66, 120);
    id_w(id, 67, 120);
    id_w(id, 68, 120);
    id_w(id, 80, 0x00f0);                  /* ATA/ATAPI-4 to -7 */
    id_w(id, 82, 1 << 14 | 1 << 5 | 1 << 3); /* NOP, write cache, power management */
    id_w(id, 83, 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10); /* FLUSH CACHE (EXT), 48-bit */
    id_w(id, 84, 1 << 14);
    id_w(id, 85, (uint16_t)(1 << 14 | (d->write_cache ? 1 << 5 : 0) | 1 << 3));
    id_w(id, 86, 1 << 13 | 1 << 12 | 1 << 10);
    id_w(id, 87, 1 << 14);
    /* Hardware reset result: device 0 passed diagnostics (jumper), or
     * device 1 with PDIAG- asserted; 80-conductor cable detected. */
    id_w(id, 93, (uint16_t)(1 << 14 | 1 << 13 | (d->unit ? 0x0300 : 0x000b)));
    st64_le(id + 100 * 2, d->nb_sectors);
    id_checksum(id);
}

static void identify_atapi(IDEDrive *d, uint8_t *id)
{
    memset(id, 0, 512);
    /* ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets. */
    id_w(id, 0, 0x8000 | 0x05 << 8 | 0x80 | 0x40);
    id_str(id, 10, d->serial, 20);
    id_str(id, 23, d->firmware, 8);
    id_str(id, 27, d->model, 40);
    id_w(id, 49, 1 << 11 | 1 << 9 | 1 << 8);
    id_w(id, 53, 2 | 4);
    id_dma_modes(d, id);
    id_w(id, 64, 0x03);
    id_w(id, 65, 120);
    id_w(id, 66, 120);
    id_w(id, 67, 120);
    id_w(id, 68, 120);
    id_w(id, 71, 30);                      /* PACKET to bus release, ns */
    id_w(id, 72, 30);
    id_w(id, 80, 0x00f0);
    id_w(id, 82, 1 << 14 | 1 << 9 | 1 << 4); /* NOP, DEVICE RESET, PACKET */
    id_w(id, 83, 1 << 14);
    id_w(id, 84, 1 << 14);
    id_w(id, 85, 1 << 14 | 1 << 9 | 1 << 4);
    id_w(id, 87, 1 << 14);
    id_w(id, 93, (uint16_t)(1 << 14 | 1 << 13 | (d->unit ? 0x0300 : 0x000b)));
    id_checksum(id);
}

/* An ATA data-in command whose data is in the buffer already. */
static void reply(IDEDrive *d, uint32_t len)
{
    d->buf_pos = 0;
    d->buf_len = len;
    start_window(d, XFER_REPLY, len);
    raise_irq(d);
}

/* ---- ATA commands ------------------------------------------------------------------ */

static void ata_rw(IDEDrive *d, bool write, bool lba48, bool dma, bool multiple)
{
    if (d->kind != IDE_HD) {
        cmd_abort_signature(d);
        return;
    }
    if (multiple && !d->mult_sectors) {
        cmd_abort(d);
        return;
    }
    uint64_t lba = tf_lba(d, lba48);
    uint32_t n = tf_count(d, lba48);
    d->lba48 = lba48;
    if (lba == UINT64_MAX || lba >= d->nb_sectors || n > d->nb_sectors - lba) {
        cmd_error(d, IDE_ERR_IDNF);
        return;
    }
    d->io_lba = lba;
    d->io_left = n;
    d->io_write = write;
    d->buf_pos = d->buf_len = 0;
    d->drq_sectors = multiple ? d->mult_sectors : 1;
    if (dma)
        dma_begin(d);
    else if (write)
        ata_out_block(d); /* the first block is asked for without an interrupt */
    else
        read_chunk(d);
}

static void flush_cb(void *opaque, int ret)
{
    IDEDrive *d = opaque;
    d->busy_io = false;
    if (ret < 0)
        cmd_abort(d);
    else
        cmd_done(d);
}

static void ata_flush(IDEDrive *d)
{
    if (d->kind != IDE_HD) {
        cmd_abort(d);
        return;
    }
    d->status = IDE_ST_BSY | IDE_ST_DRDY;
    d->busy_io = true;
    blk_aio_flush(d->q, flush_cb, d);
}

static void ata_verify(IDEDrive *d, bool lba48)
{
    if (d->kind != IDE_HD) {
        cmd_abort_signature(d);
        return;
    }
    uint64_t lba = tf_lba(d, lba48);
    uint32_t n = tf_count(d, lba48);
    d->lba48 = lba48;
    if (lba == UINT64_MAX || lba >= d->nb_sectors || n > d->nb_sectors - lba) {
        cmd_error(d, IDE_ERR_IDNF);
        return;
    }
    /* The medium is a host file: nothing can fail to verify. */
    tf_set_lba(d, lba + n - 1);
    cmd_done(d);
}

static void set_features(IDEDrive *d)
{
    switch (d->feature) {
    case 0x03: { /* set transfer mode */
        unsigned mode = d->nsector & 7, kind = d->nsector >> 3;
        bool ok = (kind == 0 && mode <= 1) || (kind == 1 && mode <= 4) ||
                  (kind == 4 && mode <= 2) ||
                  (kind == 8 && (d->bus->udma_modes >> mode) & 1);
        if (!ok) {
            cmd_abort(d);
            return;
        }
        d->xfer_mode = d->nsector;
        break;
    }
    case 0x02: /* enable write cache */
    case 0x82: /* disable write cache */
        if (d->kind != IDE_HD) {
            cmd_abort(d);
            return;
        }
        d->write_cache = d->feature == 0x02;
        blk_aio_set_write_cache(d->q, d->write_cache);
        break;
    case 0xaa: case 0x55: /* read look-ahead on/off */
    case 0x66: case 0xcc: /* reverting to power-on defaults off/on */
        break;
    default:
        cmd_abort(d);
        return;
    }
    cmd_done(d);
}

static void drive_cancel(IDEDrive *d)
{
    if (d->q)
        blk_aio_cancel_all(d->q);
    d->busy_io = false;
    d->xfer = XFER_NONE;
    d->dma = d->dma_waiting = false;
    d->buf_pos = d->buf_len = d->pio_end = 0;
    d->io_left = 0;
}

/* After a reset: signature, diagnostic code, status. */
static void drive_after_reset(IDEDrive *d)
{
    set_signature(d);
    d->error = 0x01;
    d->feature = d->hob_feature = 0;
    d->irq_pending = false;
    d->status = d->kind == IDE_HD ? IDE_ST_DRDY | IDE_ST_DSC : 0;
}

static void execute_diagnostic(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        drive_cancel(&bus->drives[i]);
        drive_after_reset(&bus->drives[i]);
    }
    bus->unit = 0;
    /* Device 0 posts the result (for both) and interrupts. */
    raise_irq(&bus->drives[bus->drives[0].kind != IDE_NONE ? 0 : 1]);
}

static void packet_cmd(IDEDrive *d)
{
    if (d->kind != IDE_CD) {
        cmd_abort(d);
        return;
    }
    if (d->feature & 0x02) { /* overlapped: not supported */
        cmd_abort(d);
        return;
    }
    d->dma = d->feature & 0x01;
    uint32_t lim = d->lcyl | d->hcyl << 8;
    if (lim == 0 || lim == 0xffff)
        lim = 0xfffe;
    lim &= ~1u;                  /* pieces before the last are even */
    d->byte_limit = (uint16_t)(lim ? lim : 2);
    d->nsector = ATAPI_IR_COD;
    d->buf_pos = 0;
    start_window(d, XFER_PACKET, sizeof(d->packet));
}

static void exec_cmd(IDEDrive *d, uint8_t cmd)
{
    d->cmd = cmd;
    d->error = 0;
    bool hd = d->kind == IDE_HD;
    switch (cmd) {
    case 0xec: /* IDENTIFY DEVICE */
        if (!hd) {
            cmd_abort_signature(d);
            return;
        }
        identify_ata(d, d->buf);
        reply(d, 512);
        return;
    case 0xa1: /* IDENTIFY PACKET DEVICE */
        if (hd) {
            cmd_abort(d);
            return;
        }
        identify_atapi(d, d->buf);
        reply(d, 512);
        return;
    case 0xa0: /* PACKET */
        packet_cmd(d);
        return;
    case 0x08: /* DEVICE RESET */
        if (hd) {
            cmd_abort(d);
            return;
        }
        drive_cancel(d);
        drive_after_reset(d);
        d->select = (uint8_t)(0xa0 | d->unit << 4);
        return; /* no interrupt */
    case 0x90: /* EXECUTE DEVICE DIAGNOSTIC */
        execute_diagnostic(d->bus);
        return;
    case 0x20: case 0x21: ata_rw(d, false, false, false, false); return; /* READ SECTORS */
    case 0x24: ata_rw(d, false, true, false, false); return;   /* READ SECTORS EXT */
    case 0xc4: ata_rw(d, false, false, false, true); return;   /* READ MULTIPLE */
    case 0x29: ata_rw(d, false, true, false, true); return;    /* READ MULTIPLE EXT */
    case 0xc8: case 0xc9: ata_rw(d, false, false, true, false); return; /* READ DMA */
    case 0x25: ata_rw(d, false, true, true, false); return;    /* READ DMA EXT */
    case 0x30: case 0x31: ata_rw(d, true, false, false, false); return; /* WRITE SECTORS */
    case 0x34: ata_rw(d, true, true, false, false); return;    /* WRITE SECTORS EXT */
    case 0xc5: ata_rw(d, true, false, false, true); return;    /* WRITE MULTIPLE */
    case 0x39: ata_rw(d, true, true, false, true); return;     /* WRITE MULTIPLE EXT */
    case 0xca: case 0xcb: ata_rw(d, true, false, true, false); return; /* WRITE DMA */
    case 0x35: ata_rw(d, true, true, true, false); return;     /* WRITE DMA EXT */
    case 0x40: case 0x41: ata_verify(d, false); return;        /* READ VERIFY SECTORS */
    case 0x42: ata_verify(d, true); return;                    /* READ VERIFY SECTORS EXT */
    case 0xe7: case 0xea: ata_flush(d); return;                /* FLUSH CACHE (EXT) */
    case 0xc6: /* SET MULTIPLE MODE */
        if (!hd || d->nsector > IDE_MAX_MULT_SECTORS || (d->nsector & (d->nsector - 1))) {
            cmd_abort(d);
            return;
        }
        d->mult_sectors = d->nsector;
        cmd_done(d);
        return;
    case 0xef: /* SET FEATURES */
        set_features(d);
        return;
    case 0x91: /* INITIALIZE DEVICE PARAMETERS */
        if (!hd || !d->nsector) {
            cmd_abort(d);
            return;
        }
        d->cur_secs = d->nsector;
        d->cur_heads = (uint16_t)((d->select & 0x0f) + 1);
        cmd_done(d);
        return;
    case 0xe5: case 0x98: /* CHECK POWER MODE: active or idle */
        d->nsector = 0xff;
        cmd_done(d);
        return;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: /* STANDBY/IDLE (IMMEDIATE) */
    case 0x94: case 0x95: case 0x96: case 0x97: /* their old opcodes */
    case 0xe6: case 0x99:                       /* SLEEP */
        cmd_done(d);
        return;
    default:
        if (hd && (cmd & 0xf0) == 0x10) { /* RECALIBRATE */
            cmd_done(d);
            return;
        }
        if (hd && (cmd & 0xf0) == 0x70) { /* SEEK */
            cmd_done(d);
            return;
        }
        if (log_enabled(LOG_UNIMP))
            log_printf("%s: unsupported ATA command 0x%02x to %s\n", d->bus->name, cmd,
                       d->unit ? "slave" : "master");
        cmd_abort(d); /* NOP (00h) lands here too: it always aborts */
        return;
    }
}

/* ---- ATAPI commands ------------------------------------------------------------------ */

static bool cd_medium(IDEDrive *d) { return d->blk && !d->tray_open; }

/* Data-in reply of len bytes (at most alloc) from the buffer. */
static void atapi_reply(IDEDrive *d, uint32_t len, uint32_t alloc)
{
    if (len > alloc)
        len = alloc;
    d->buf_pos = 0;
    d->buf_len = len;
    d->io_left = 0;
    if (!len) {
        atapi_ok(d);
    } else if (d->dma) {
        d->dma_waiting = true;
        dma_run(d);
    } else {
        atapi_in_block(d);
    }
}

static void lba_to_msf(uint8_t *p, uint64_t lba)
{
    lba += CD_LEADIN_FRAMES;
    p[0] = (uint8_t)(lba / (75 * 60));
    p[1] = (uint8_t)(lba / 75 % 60);
    p[2] = (uint8_t)(lba % 75);
}

static void toc_addr(uint8_t *p, uint64_t lba, bool msf)
{
    if (msf) {
        p[0] = 0;
        lba_to_msf(p + 1, lba);
    } else {
        st32_be(p, (uint32_t)lba);
    }
}

/* READ TOC/PMA/ATIP response; -1 for an invalid request. */
static int read_toc(IDEDrive *d, uint8_t *b, int format, bool msf, int track)
{
    uint32_t end = (uint32_t)d->nb_sectors;
    uint8_t *q = b + 4;
    switch (format) {
    case 0: /* formatted TOC: one data track and the lead-out */
        if (track > 1 && track != 0xaa)
            return -1;
        b[2] = b[3] = 1;
        if (track <= 1) {
            q[0] = 0;
            q[1] = 0x14; /* ADR 1, data track */
            q[2] = 1;
            q[3] = 0;
            toc_addr(q + 4, 0, msf);
            q += 8;
        }
        q[0] = 0;
        q[1] = 0x14;
        q[2] = 0xaa;
        q[3] = 0;
        toc_addr(q + 4, end, msf);
        q += 8;
        break;
    case 1: /* session info: first track of the last session */
        b[2] = b[3] = 1;
        q[0] = 0;
        q[1] = 0x14;
        q[2] = 1;
        q[3] = 0;
        toc_addr(q + 4, 0, msf);
        q += 8;
        break;
    case 2: { /* raw TOC: points A0, A1, A2 and track 1, addresses in MSF */
        b[2] = b[3] = 1;
        static const uint8_t points[4] = { 0xa0, 0xa1, 0xa2, 0x01 };
        for (int i = 0; i < 4; i++, q += 11) {
            memset(q, 0, 11);
            q[0] = 1;       /* session */
            q[1] = 0x14;
            q[3] = points[i];
            if (points[i] == 0xa0) {
                q[8] = 1;   /* first track; disc type 0 (CD-ROM) */
            } else if (points[i] == 0xa1) {
                q[8] = 1;   /* last track */
            } else if (points[i] == 0xa2) {
                lba_to_msf(q + 8, end);
            } else {
                lba_to_msf(q + 8, 0);
            }
        }
        break;
    }
    default:
        return -1;
    }
    int len = (int)(q - b);
    st16_be(b, (uint16_t)(len - 2));
    return len;
}

static int mode_page(IDEDrive *d, uint8_t *p, int page, bool changeable)
{
    switch (page) {
    case 0x01: /* read error recovery */
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 6;
        if (!changeable)
            p[3] = 5; /* read retry count */
        return 8;
    case 0x2a: /* CD/DVD capabilities and mechanical status (MMC-3 layout) */
        memset(p, 0, 20);
        p[0] = 0x2a;
        p[1] = 18;
        if (changeable)
            return 20;
        p[2] = 0x0f;  /* reads CD-R, CD-RW, method 2, DVD-ROM */
        p[4] = 0x71;  /* audio play, mode 2 form 1/2, multi-session */
        p[6] = (uint8_t)(0x20 | 0x08 | 0x01 | (d->locked ? 0x02 : 0)); /* tray, eject, lock */
        st16_be(p + 8, 4 * 176);  /* max read speed, kB/s */
        st16_be(p + 10, 256);     /* volume levels */
        st16_be(p + 12, 512);     /* buffer, KiB */
        st16_be(p + 14, 4 * 176); /* current read speed */
        return 20;
    default:
        return -1;
    }
}

static void mode_sense(IDEDrive *d, const uint8_t *cdb)
{
    int pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
    uint32_t alloc = ld16_be(cdb + 7);
    uint8_t *b = d->buf;
    if (pc == 3) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, 0x39, 0); /* saving not supported */
        return;
    }
    memset(b, 0, 8);
    b[2] = cd_medium(d) ? 0x01 : 0x70; /* 120 mm data CD / door closed, no disc */
    int len = 8, n;
    if (page == 0x3f) {
        len += mode_page(d, b + len, 0x01, pc == 1);
        len += mode_page(d, b + len, 0x2a, pc == 1);
    } else if ((n = mode_page(d, b + 8, page, pc == 1)) > 0) {
        len += n;
    } else {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
        return;
    }
    st16_be(b, (uint16_t)(len - 2));
    atapi_reply(d, (uint32_t)len, alloc);
}

static int feature(uint8_t *p, uint16_t code, uint8_t flags, const uint8_t *data, int len)
{
    st16_be(p, code);
    p[2] = flags;
    p[3] = (uint8_t)len;
    memcpy(p + 4, data, (size_t)len);
    return 4 + len;
}

static void get_configuration(IDEDrive *d, const uint8_t *cdb)
{
    int rt = cdb[1] & 3;
    uint16_t start = ld16_be(cdb + 2);
    uint32_t alloc = ld16_be(cdb + 7);
    uint8_t *b = d->buf;
    uint16_t profile = !cd_medium(d) ? 0 : d->nb_sectors > CD_MAX_BLOCKS ? 0x0010 : 0x0008;
    if (rt == 3) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
        return;
    }
    memset(b, 0, 8);
    st16_be(b + 6, profile);
    int len = 8;
    /* Profile list (DVD-ROM, CD-ROM), Core (ATAPI), Removable Medium. */
    uint8_t profiles[8] = { 0x00, 0x10, profile == 0x10, 0, 0x00, 0x08, profile == 0x08, 0 };
    uint8_t core[8] = { 0, 0, 0, 2, 0x01, 0, 0, 0 };   /* ATAPI, DBE */
    uint8_t removable[4] = { 0x20 | 0x08 | 0x01, 0, 0, 0 }; /* tray, eject, lock */
    struct { uint16_t code; uint8_t flags; const uint8_t *data; int len; } f[] = {
        { 0x0000, 0x03, profiles, sizeof(profiles) },
        { 0x0001, 0x0b, core, sizeof(core) },
        { 0x0003, 0x03, removable, sizeof(removable) },
    };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(f); i++) {
        if (rt == 2 ? f[i].code != start : f[i].code < start)
            continue;
        len += feature(b + len, f[i].code, f[i].flags, f[i].data, f[i].len);
    }
    st32_be(b, (uint32_t)(len - 4));
    atapi_reply(d, (uint32_t)len, alloc);
}

static void get_event_status(IDEDrive *d, const uint8_t *cdb)
{
    uint32_t alloc = ld16_be(cdb + 7);
    uint8_t *b = d->buf;
    if (!(cdb[1] & 1)) { /* only polled operation */
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
        return;
    }
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    int len;
    if (cdb[4] & 0x10) {
        b[2] = 4; /* media class */
        b[4] = d->media_event;
        b[5] = (uint8_t)((cd_medium(d) ? 2 : 0) | (d->tray_open ? 1 : 0));
        d->media_event = 0;
        len = 8;
    } else {
        b[2] = 0x80; /* NEA: no event of a requested class */
        len = 4;
    }
    st16_be(b, (uint16_t)(len - 2));
    atapi_reply(d, (uint32_t)len, alloc);
}

static void cd_read(IDEDrive *d, uint32_t lba, uint32_t n)
{
    if (lba >= d->nb_sectors || n > d->nb_sectors - lba) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (!n) {
        atapi_ok(d);
        return;
    }
    d->io_lba = lba;
    d->io_left = n;
    d->io_write = false;
    d->buf_pos = d->buf_len = 0;
    if (d->dma) {
        d->dma_waiting = true;
        d->status = IDE_ST_BSY | IDE_ST_DRDY;
        dma_run(d);
    } else {
        read_chunk(d);
    }
}

static void start_stop(IDEDrive *d, const uint8_t *cdb)
{
    bool loej = cdb[4] & 2, start = cdb[4] & 1;
    if (loej && !start) {
        if (d->locked) {
            atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 2);
            return;
        }
        if (!d->tray_open && d->blk)
            d->media_event = 3; /* media removal */
        d->tray_open = true;
    } else if (loej && start) {
        if (d->tray_open && d->blk)
            d->media_event = 2; /* new media */
        d->tray_open = false;
    }
    atapi_ok(d);
}

static void atapi_exec(IDEDrive *d)
{
    const uint8_t *cdb = d->packet;
    uint8_t *b = d->buf;
    uint8_t op = cdb[0];
    bool ua_exempt = op == 0x12 || op == 0x03 || op == 0x46 || op == 0x4a;
    if (d->media_changed && !ua_exempt) {
        d->media_changed = false;
        atapi_check(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
        return;
    }
    /* Commands that need a medium. */
    switch (op) {
    case 0x00: case 0x25: case 0x28: case 0xa8: case 0x43: case 0x51: case 0x2b:
        if (!cd_medium(d)) {
            atapi_check(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, d->tray_open ? 2 : 1);
            return;
        }
        break;
    }
    switch (op) {
    case 0x00: /* TEST UNIT READY */
    case 0x2b: /* SEEK(10) */
    case 0xbb: /* SET CD SPEED */
        atapi_ok(d);
        return;
    case 0x03: { /* REQUEST SENSE */
        uint8_t key = d->sense_key, asc = d->asc, ascq = d->ascq;
        if (key == SENSE_NONE && d->media_changed) {
            key = SENSE_UNIT_ATTENTION;
            asc = ASC_MEDIUM_MAY_HAVE_CHANGED;
            ascq = 0;
            d->media_changed = false;
        }
        memset(b, 0, 18);
        b[0] = 0x70; /* current error, fixed format */
        b[2] = key;
        b[7] = 10;
        b[12] = asc;
        b[13] = ascq;
        atapi_reply(d, 18, cdb[4]);
        return;
    }
    case 0x12: /* INQUIRY */
        if (cdb[1] & 1) { /* no vital product data pages */
            atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            return;
        }
        memset(b, 0, 36);
        b[0] = 0x05;  /* CD/DVD device */
        b[1] = 0x80;  /* removable */
        b[2] = 0x05;  /* SPC-3 */
        b[3] = 0x02;  /* response data format */
        b[4] = 31;
        memcpy(b + 8, "PEMU    ", 8);
        memset(b + 16, ' ', 20);
        memcpy(b + 16, "PEMU DVD-ROM", 12);
        memcpy(b + 32, d->firmware, strlen(d->firmware) < 4 ? strlen(d->firmware) : 4);
        atapi_reply(d, 36, ld16_be(cdb + 3));
        return;
    case 0x25: /* READ CAPACITY */
        st32_be(b, (uint32_t)(d->nb_sectors - 1));
        st32_be(b + 4, ATAPI_SECTOR_SIZE);
        atapi_reply(d, 8, 8);
        return;
    case 0x28: /* READ(10) */
        cd_read(d, ld32_be(cdb + 2), ld16_be(cdb + 7));
        return;
    case 0xa8: /* READ(12) */
        cd_read(d, ld32_be(cdb + 2), ld32_be(cdb + 6));
        return;
    case 0x43: { /* READ TOC/PMA/ATIP */
        int format = cdb[2] & 0x0f;
        if (!format)
            format = cdb[9] >> 6; /* the SFF-8020 place */
        memset(b, 0, 64);
        int len = read_toc(d, b, format, cdb[1] & 2, cdb[6]);
        if (len < 0) {
            atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            return;
        }
        atapi_reply(d, (uint32_t)len, ld16_be(cdb + 7));
        return;
    }
    case 0x5a: /* MODE SENSE(10) */
        mode_sense(d, cdb);
        return;
    case 0x1b: /* START STOP UNIT */
        start_stop(d, cdb);
        return;
    case 0x1e: /* PREVENT ALLOW MEDIUM REMOVAL */
        d->locked = cdb[4] & 1;
        atapi_ok(d);
        return;
    case 0x46: /* GET CONFIGURATION */
        get_configuration(d, cdb);
        return;
    case 0x4a: /* GET EVENT STATUS NOTIFICATION */
        get_event_status(d, cdb);
        return;
    case 0x51: /* READ DISC INFORMATION */
        if (cdb[1] & 7) {
            atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
            return;
        }
        memset(b, 0, 34);
        st16_be(b, 32);
        b[2] = 0x0e;  /* last session complete, disc complete */
        b[3] = 1;     /* first track */
        b[4] = 1;     /* sessions */
        b[5] = 1;     /* first and last track of the last session */
        b[6] = 1;
        b[7] = 0x20;  /* unrestricted use */
        memset(b + 16, 0xff, 8); /* lead-in / lead-out of the last session: none */
        atapi_reply(d, 34, ld16_be(cdb + 7));
        return;
    case 0xbd: /* MECHANISM STATUS */
        memset(b, 0, 8);
        b[1] = (uint8_t)(d->tray_open ? 0x10 : 0); /* door open */
        atapi_reply(d, 8, ld16_be(cdb + 8));
        return;
    default:
        if (log_enabled(LOG_UNIMP))
            log_printf("%s: unsupported ATAPI command 0x%02x\n", d->bus->name, op);
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INV_OPCODE, 0);
        return;
    }
}

/* ---- register access -------------------------------------------------------------- */

static bool bus_empty(IDEBus *bus)
{
    return bus->drives[0].kind == IDE_NONE && bus->drives[1].kind == IDE_NONE;
}

static uint8_t reg_read(IDEBus *bus, unsigned reg)
{
    IDEDrive *d = cur(bus);
    bool hob = bus->devctl & IDE_CTL_HOB;
    /* An empty channel reads 0; an absent device 1 shows the latched
     * registers and status 0 (ATA-7 vol. 2, 5.2.13). */
    if (bus_empty(bus))
        return 0;
    switch (reg) {
    case 1: return hob ? d->hob_feature : d->error;
    case 2: return hob ? d->hob_nsector : d->nsector;
    case 3: return hob ? d->hob_sector : d->sector;
    case 4: return hob ? d->hob_lcyl : d->lcyl;
    case 5: return hob ? d->hob_hcyl : d->hcyl;
    case 6: return d->select;
    case 7:
        if (d->kind == IDE_NONE)
            return 0;
        d->irq_pending = false; /* reading status acknowledges INTRQ */
        bus_update_irq(bus);
        return d->status;
    }
    return 0xff;
}

static void reg_write(IDEBus *bus, unsigned reg, uint8_t v)
{
    if (reg >= 1 && reg <= 5)
        bus->devctl &= (uint8_t)~IDE_CTL_HOB;
    for (int i = 0; i < 2; i++) {
        IDEDrive *d = &bus->drives[i];
        switch (reg) {
        case 1: d->hob_feature = d->feature; d->feature = v; break;
        case 2: d->hob_nsector = d->nsector; d->nsector = v; break;
        case 3: d->hob_sector = d->sector; d->sector = v; break;
        case 4: d->hob_lcyl = d->lcyl; d->lcyl = v; break;
        case 5: d->hob_hcyl = d->hcyl; d->hcyl = v; break;
        case 6: d->select = (uint8_t)(v | 0xa0); break;
        }
    }
    if (reg == 6) {
        bus->unit = (v >> 4) & 1;
        bus_update_irq(bus);
    } else if (reg == 7) {
        IDEDrive *d = cur(bus);
        if (v == 0x90 && !bus_empty(bus) && !(d->status & IDE_ST_BSY)) {
            execute_diagnostic(bus); /* both devices run it, whichever is selected */
            return;
        }
        if (d->kind == IDE_NONE || d->reset_asserted)
            return;
        /* A busy device ignores commands, except DEVICE RESET (ATAPI). */
        if ((d->status & IDE_ST_BSY) && !(v == 0x08 && d->kind == IDE_CD))
            return;
        d->irq_pending = false;
        bus_update_irq(bus);
        exec_cmd(d, v);
    }
}

uint32_t ide_cmd_read(IDEBus *bus, unsigned reg, unsigned size)
{
    if (reg == 0) {
        if (bus_empty(bus))
            return 0;
        IDEDrive *d = cur(bus);
        uint32_t v = data_read16(d);
        if (size == 4)
            v |= (uint32_t)data_read16(d) << 16;
        return size == 1 ? v & 0xff : v;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size && reg + i < 8; i++)
        v |= (uint32_t)reg_read(bus, reg + i) << (8 * i);
    return v;
}

void ide_cmd_write(IDEBus *bus, unsigned reg, uint32_t val, unsigned size)
{
    if (reg == 0) {
        IDEDrive *d = cur(bus);
        if (d->kind == IDE_NONE)
            return;
        data_write16(d, (uint16_t)val);
        if (size == 4)
            data_write16(d, (uint16_t)(val >> 16));
        return;
    }
    for (unsigned i = 0; i < size && reg + i < 8; i++)
        reg_write(bus, reg + i, (uint8_t)(val >> (8 * i)));
}

uint8_t ide_ctl_read(IDEBus *bus)
{
    IDEDrive *d = cur(bus);
    if (bus_empty(bus) || d->kind == IDE_NONE)
        return 0;
    return d->status; /* alternate status: no INTRQ acknowledge */
}

void ide_ctl_write(IDEBus *bus, uint8_t v)
{
    uint8_t old = bus->devctl;
    bus->devctl = v;
    if ((v & IDE_CTL_SRST) && !(old & IDE_CTL_SRST)) {
        /* Software reset asserted: everything stops, BSY until released. */
        for (int i = 0; i < 2; i++) {
            IDEDrive *d = &bus->drives[i];
            drive_cancel(d);
            d->reset_asserted = true;
            d->irq_pending = false;
            d->status = d->kind == IDE_NONE ? 0 : IDE_ST_BSY;
        }
    } else if (!(v & IDE_CTL_SRST) && (old & IDE_CTL_SRST)) {
        for (int i = 0; i < 2; i++) {
            bus->drives[i].reset_asserted = false;
            drive_after_reset(&bus->drives[i]);
        }
        bus->unit = 0;
    }
    bus_update_irq(bus);
}

static uint64_t cmd_io_read(void *opaque, hwaddr off, unsigned size)
{
    return ide_cmd_read(opaque, (unsigned)off, size);
}

static void cmd_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    ide_cmd_write(opaque, (unsigned)off, (uint32_t)val, size);
}

static const MemOps ide_cmd_ops = {
    .read = cmd_io_read,
    .write = cmd_io_write,
    .valid = { 1, 4 },
    .impl = { 1, 4 },
};

static uint64_t ctl_io_read(void *opaque, hwaddr off, unsigned size)
{
    (void)off, (void)size;
    return ide_ctl_read(opaque);
}

static void ctl_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)off, (void)size;
    ide_ctl_write(opaque, (uint8_t)val);
}

static const MemOps ide_ctl_ops = {
    .read = ctl_io_read,
    .write = ctl_io_write,
    .valid = { 1, 1 },
    .impl = { 1, 1 },
};

/* ---- the channel -------------------------------------------------------------------- */

void ide_bus_init(IDEBus *bus, const char *name, IRQLine *irq)
{
    memset(bus, 0, sizeof(*bus));
    snprintf(bus->name, sizeof(bus->name), "%s", name);
    bus->irq = irq;
    bus->decode = true;
    for (int i = 0; i < 2; i++) {
        IDEDrive *d = &bus->drives[i];
        d->bus = bus;
        d->unit = i;
        d->kind = IDE_NONE;
        /* An empty buffer for vmstate (buf_size 0), but not a NULL one:
         * the stream code would pass it to memcpy. */
        d->buf = calloc(1, 4);
        if (!d->buf)
            fatal("out of memory for %s", name);
    }
    ide_bus_reset(bus);
}

static void drive_release(IDEDrive *d)
{
    blk_aio_queue_free(d->q);
    d->q = NULL;
    blk_close(d->blk);
    d->blk = NULL;
}

void ide_bus_destroy(IDEBus *bus)
{
    if (bus->io) {
        ioport_unregister(bus->io, bus->cmd_mr);
        ioport_unregister(bus->io, bus->ctl_mr);
        bus->io = NULL;
    }
    for (int i = 0; i < 2; i++) {
        IDEDrive *d = &bus->drives[i];
        drive_release(d);
        free(d->buf);
        d->buf = NULL;
        d->buf_size = 0;
        d->kind = IDE_NONE;
    }
}

/* A default CHS geometry: 16 heads, 63 sectors, at most 16383 cylinders. */
static void guess_geometry(IDEDrive *d)
{
    uint64_t cyls = d->nb_sectors / (16 * 63);
    if (cyls > 16383)
        cyls = 16383;
    if (!cyls)
        cyls = 1;
    d->cyls = (uint16_t)cyls;
    d->heads = 16;
    d->secs = 63;
}

static int drive_set_medium(IDEDrive *d, BlockBackend *blk, Error **errp)
{
    int64_t len = blk ? blk_getlength(blk) : 0;
    if (len < 0) {
        error_setg(errp, "%s: cannot get the size of '%s'", d->bus->name, blk_bs(blk)->filename);
        return -1;
    }
    d->blk = blk;
    d->nb_sectors = (uint64_t)len / sector_size(d);
    d->q = blk ? blk_aio_queue_new(blk, d->cache, NULL) : NULL;
    if (d->q)
        blk_aio_set_write_cache(d->q, d->write_cache);
    return 0;
}

int ide_bus_attach(IDEBus *bus, int unit, IDEDriveKind kind, BlockBackend *blk,
                   BlockCacheMode cache, Error **errp)
{
    if (unit < 0 || unit > 1) {
        error_setg(errp, "%s: unit %d does not exist (0 = master, 1 = slave)", bus->name, unit);
        return -1;
    }
    IDEDrive *d = &bus->drives[unit];
    const char *pos = unit ? "slave" : "master";
    if (d->kind != IDE_NONE) {
        error_setg(errp, "%s: the %s position is taken", bus->name, pos);
        return -1;
    }
    if (kind == IDE_HD && !blk) {
        error_setg(errp, "%s %s: a hard disk needs an image", bus->name, pos);
        return -1;
    }
    if (kind == IDE_NONE) {
        error_setg(errp, "%s %s: no device kind given", bus->name, pos);
        return -1;
    }
    d->kind = kind;
    d->cache = cache;
    d->write_cache = true;
    if (drive_set_medium(d, blk, errp) < 0) {
        d->blk = NULL;
        d->kind = IDE_NONE;
        return -1;
    }
    if (kind == IDE_HD && d->nb_sectors == 0) {
        error_setg(errp, "%s %s: '%s' is smaller than one sector", bus->name, pos,
                   blk_bs(blk)->filename);
        blk_aio_queue_free(d->q); /* blk is the caller's again */
        d->q = NULL;
        d->blk = NULL;
        d->kind = IDE_NONE;
        return -1;
    }
    d->buf_size = IDE_BUF_SIZE + 4; /* slack for a padded last word */
    free(d->buf);
    d->buf = calloc(1, d->buf_size);
    if (!d->buf)
        fatal("out of memory for the %s %s buffer", bus->name, pos);
    int idx = (bus->name[3] >= '0' && bus->name[3] <= '9' ? bus->name[3] - '0' : 0) * 2 + unit;
    snprintf(d->serial, sizeof(d->serial), "PM%05d", idx + 1);
    snprintf(d->model, sizeof(d->model), "%s", kind == IDE_HD ? "PEMU HARDDISK" : "PEMU DVD-ROM");
    snprintf(d->firmware, sizeof(d->firmware), "%s", PEMU_VERSION);
    if (kind == IDE_HD)
        guess_geometry(d);
    d->cur_heads = d->heads;
    d->cur_secs = d->secs;
    d->mult_sectors = kind == IDE_HD ? IDE_MAX_MULT_SECTORS : 0;
    drive_after_reset(d);
    return 0;
}

void ide_bus_set_dma(IDEBus *bus, const IDEDMAOps *ops, void *opaque)
{
    bus->dma_ops = ops;
    bus->dma_opaque = opaque;
}

void ide_bus_set_udma_modes(IDEBus *bus, uint8_t mask) { bus->udma_modes = mask; }

void ide_bus_map(IDEBus *bus, IOPortSpace *io, uint16_t iobase, uint16_t ctlport)
{
    char name[32];
    bus->io = io;
    snprintf(name, sizeof(name), "%s-cmd", bus->name);
    bus->cmd_mr = ioport_register(io, iobase, 8, &ide_cmd_ops, bus, name);
    snprintf(name, sizeof(name), "%s-ctl", bus->name);
    bus->ctl_mr = ioport_register(io, ctlport, 1, &ide_ctl_ops, bus, name);
    ide_bus_set_decode(bus, bus->decode);
}

void ide_bus_set_decode(IDEBus *bus, bool on)
{
    bus->decode = on;
    if (bus->io) {
        memory_region_set_enabled(bus->cmd_mr, on);
        memory_region_set_enabled(bus->ctl_mr, on);
    }
}

void ide_bus_reset(IDEBus *bus)
{
    bus->devctl = 0;
    bus->unit = 0;
    for (int i = 0; i < 2; i++) {
        IDEDrive *d = &bus->drives[i];
        drive_cancel(d);
        d->reset_asserted = false;
        d->mult_sectors = d->kind == IDE_HD ? IDE_MAX_MULT_SECTORS : 0;
        d->xfer_mode = 0;
        d->cur_heads = d->heads;
        d->cur_secs = d->secs;
        d->write_cache = true;
        if (d->q)
            blk_aio_set_write_cache(d->q, true);
        d->sense_key = d->asc = d->ascq = 0;
        d->media_event = 0;
        d->media_changed = false;
        d->locked = false;
        d->tray_open = false;
        drive_after_reset(d);
    }
    bus->irq_level = -1;
    bus_update_irq(bus);
}

void ide_bus_drain(IDEBus *bus)
{
    for (int i = 0; i < 2; i++)
        if (bus->drives[i].q)
            blk_aio_drain(bus->drives[i].q);
}

IDEDrive *ide_bus_drive(IDEBus *bus, int unit) { return &bus->drives[unit & 1]; }
IDEDriveKind ide_drive_kind(IDEDrive *d) { return d->kind; }
uint64_t ide_drive_sectors(IDEDrive *d) { return d->nb_sectors; }
BlockAioQueue *ide_drive_queue(IDEDrive *d) { return d->q; }

void ide_drive_geometry(IDEDrive *d, uint16_t *cyls, uint16_t *heads, uint16_t *secs)
{
    *cyls = d->cyls;
    *heads = d->heads;
    *secs = d->secs;
}

/* ---- removable media ------------------------------------------------------------------ */

/* A command using the old medium ends with NOT READY. */
static void cd_abort_io(IDEDrive *d)
{
    bool active = d->busy_io || d->xfer == XFER_ATAPI_IN || d->dma;
    drive_cancel(d);
    if (active)
        atapi_check(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0);
}

int ide_cd_change(IDEDrive *d, const char *path, const char *fmt, Error **errp)
{
    if (d->kind != IDE_CD) {
        error_setg(errp, "%s %s is not a CD-ROM drive", d->bus->name, d->unit ? "slave" : "master");
        return -1;
    }
    BlockBackend *blk = blk_open(path, fmt, 0, errp);
    if (!blk)
        return -1;
    if (blk_getlength(blk) < 0) {
        error_setg(errp, "cannot get the size of '%s'", path);
        blk_close(blk);
        return -1;
    }
    cd_abort_io(d);
    drive_release(d);
    drive_set_medium(d, blk, NULL);
    d->tray_open = false;
    d->media_changed = true;
    d->media_event = 2; /* new media */
    return 0;
}

int ide_cd_eject(IDEDrive *d, bool force, Error **errp)
{
    if (d->kind != IDE_CD) {
        error_setg(errp, "%s %s is not a CD-ROM drive", d->bus->name, d->unit ? "slave" : "master");
        return -1;
    }
    if (d->locked && !force) {
        d->media_event = 1; /* eject request: the guest may unlock and eject */
        error_setg(errp, "%s %s: the guest has locked the tray (use force to eject anyway)",
                   d->bus->name, d->unit ? "slave" : "master");
        return -1;
    }
    cd_abort_io(d);
    if (d->blk) {
        drive_release(d);
        d->nb_sectors = 0;
        d->media_event = 3; /* media removal */
    }
    d->tray_open = true;
    d->locked = false;
    return 0;
}

bool ide_cd_has_medium(IDEDrive *d) { return d->kind == IDE_CD && cd_medium(d); }
bool ide_cd_locked(IDEDrive *d) { return d->locked; }

/* ---- vmstate ----------------------------------------------------------------------------- */

static int drive_pre_save(void *opaque)
{
    IDEDrive *d = opaque;
    if (d->q)
        blk_aio_drain(d->q); /* no host request may be in flight in a snapshot */
    return 0;
}

static int drive_post_load(void *opaque, int version_id)
{
    (void)version_id;
    IDEDrive *d = opaque;
    if (d->xfer > XFER_ATAPI_IN || d->pio_end > d->buf_size || d->buf_pos > d->buf_size ||
        d->buf_len > d->buf_size)
        return -1;
    d->busy_io = false;
    if (d->q)
        blk_aio_set_write_cache(d->q, d->write_cache);
    return 0;
}

static const VMStateDescription vmstate_ide_drive = {
    .name = "ide-drive",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(feature, IDEDrive),
        VMSTATE_UINT8(nsector, IDEDrive),
        VMSTATE_UINT8(sector, IDEDrive),
        VMSTATE_UINT8(lcyl, IDEDrive),
        VMSTATE_UINT8(hcyl, IDEDrive),
        VMSTATE_UINT8(hob_feature, IDEDrive),
        VMSTATE_UINT8(hob_nsector, IDEDrive),
        VMSTATE_UINT8(hob_sector, IDEDrive),
        VMSTATE_UINT8(hob_lcyl, IDEDrive),
        VMSTATE_UINT8(hob_hcyl, IDEDrive),
        VMSTATE_UINT8(select, IDEDrive),
        VMSTATE_UINT8(status, IDEDrive),
        VMSTATE_UINT8(error, IDEDrive),
        VMSTATE_BOOL(irq_pending, IDEDrive),
        VMSTATE_BOOL(reset_asserted, IDEDrive),
        VMSTATE_UINT8(mult_sectors, IDEDrive),
        VMSTATE_UINT8(xfer_mode, IDEDrive),
        VMSTATE_UINT16(cur_heads, IDEDrive),
        VMSTATE_UINT16(cur_secs, IDEDrive),
        VMSTATE_BOOL(write_cache, IDEDrive),
        VMSTATE_UINT8(cmd, IDEDrive),
        VMSTATE_UINT8(xfer, IDEDrive),
        VMSTATE_BOOL(lba48, IDEDrive),
        VMSTATE_BOOL(dma, IDEDrive),
        VMSTATE_BOOL(dma_waiting, IDEDrive),
        VMSTATE_BOOL(io_write, IDEDrive),
        VMSTATE_UINT64(io_lba, IDEDrive),
        VMSTATE_UINT32(io_left, IDEDrive),
        VMSTATE_UINT32(drq_sectors, IDEDrive),
        VMSTATE_UINT32(buf_pos, IDEDrive),
        VMSTATE_UINT32(buf_len, IDEDrive),
        VMSTATE_UINT32(pio_end, IDEDrive),
        VMSTATE_VBUFFER(buf, IDEDrive, buf_size),
        VMSTATE_UINT8_ARRAY(packet, IDEDrive, 12),
        VMSTATE_UINT8(sense_key, IDEDrive),
        VMSTATE_UINT8(asc, IDEDrive),
        VMSTATE_UINT8(ascq, IDEDrive),
        VMSTATE_BOOL(media_changed, IDEDrive),
        VMSTATE_UINT8(media_event, IDEDrive),
        VMSTATE_BOOL(tray_open, IDEDrive),
        VMSTATE_BOOL(locked, IDEDrive),
        VMSTATE_UINT16(byte_limit, IDEDrive),
        VMSTATE_END
    },
    .pre_save = drive_pre_save,
    .post_load = drive_post_load,
};

static int bus_post_load(void *opaque, int version_id)
{
    (void)version_id;
    IDEBus *bus = opaque;
    bus->unit &= 1;
    /* Recomputed without signalling: the controller re-drives its line
     * from ide_bus_irq_level() (an edge now would be a new interrupt). */
    bus->irq_level = bus_irq_state(bus);
    return 0;
}

const VMStateDescription vmstate_ide_bus = {
    .name = "ide-bus",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(unit, IDEBus),
        VMSTATE_UINT8(devctl, IDEBus),
        VMSTATE_STRUCT_ARRAY(drives, IDEBus, 2, vmstate_ide_drive),
        VMSTATE_END
    },
    .post_load = bus_post_load,
};
