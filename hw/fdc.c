/*
 * Intel 82078 floppy disk controller (PC-AT mode; 82077AA command set plus
 * PART ID) and its drives.
 *
 * Facts used (Intel 82077AA and 82078 datasheets):
 *   Registers (base 0x3f0): 0 SRA, 1 SRB (PS/2 status, read only),
 *   2 DOR: bits 1-0 drive select, 2 /RESET (0 holds the chip in reset),
 *     3 DMA gate (PC-AT: INT and DRQ are driven only when set), 7-4 motors
 *   3 TDR: bits 1-0 tape drive select
 *   4 read MSR: 7 RQM, 6 DIO (1: to the host), 5 NON-DMA execution,
 *     4 command busy, 3-0 drive 3-0 seeking (until its SENSE INTERRUPT)
 *   4 write DSR: 7 software reset (self-clearing), 6 power down, 4-2
 *     precompensation, 1-0 data rate
 *   5 FIFO: command bytes, execution data (non-DMA), result bytes
 *   7 read DIR: bit 7 DSKCHG of the selected drive (the rest belongs to
 *     the IDE port in PC-AT mode); write CCR: bits 1-0 data rate
 *   Data rates: 0 = 500 kbps, 1 = 300, 2 = 250, 3 = 1 Mbps. A medium reads
 *   only at its own rate: otherwise no address mark is found (ST1 MA).
 *   Status registers:
 *     ST0: 7-6 IC (00 normal, 01 abnormal, 10 invalid command, 11 polling:
 *          drive ready changed), 5 SE seek end, 4 EC equipment check
 *          (recalibrate did not find track 0), 2 head, 1-0 drive
 *     ST1: 7 EN end of cylinder, 5 DE data (CRC) error, 4 OR overrun,
 *          2 ND no data, 1 NW not writable, 0 MA missing address mark
 *     ST2: 6 CM control mark (deleted data), 5 DD data CRC error, 4 WC
 *          wrong cylinder, 1 BC bad cylinder, 0 MD missing data mark
 *     ST3: 6 WP, 5 ready (1), 4 track 0, 3 two-sided (1), 2 head, 1-0 drive
 *   Data commands read/write sector R..EOT; after each sector R == EOT
 *   ends the track: with MT on side 0 they continue on side 1 at R = 1,
 *   otherwise the cylinder. TC (from the DMA controller) ends the command
 *   normally after the current sector (a write pads it with zeros); running
 *   past EOT without TC is abnormal with ST1 EN. Result C/H/R/N name the
 *   sector after the last one transferred: R+1, or at EOT R = 1 with C+1
 *   (MT: side 0 -> H = 1 on the same C; side 1 -> C+1, H = 0).
 *   After any reset with polling enabled, an interrupt reports a ready
 *   change for all four drives: four SENSE INTERRUPT STATUS commands return
 *   ST0 = 0xc0 | drive. SENSE INTERRUPT STATUS with nothing pending is an
 *   invalid command (result 0x80). Software resets keep SPECIFY, the data
 *   rate, the perpendicular drive bits and, when LOCK is set, CONFIGURE.
 *   VERSION answers 0x90 (82077AA and later), PART ID 0x41 (82078).
 *
 * Two deliberate departures, because SeaBIOS and guests tested on QEMU and
 * Bochs depend on them (both emulators behave so):
 *   - every data command seeks to its C first (an implied seek whatever
 *     CONFIGURE's EIS says), so there are no wrong-cylinder errors;
 *   - with MT, reaching the last sector of a track before EOT continues on
 *     side 1, then on the next cylinder: SeaBIOS programs EOT = R + count
 *     - 1 and counts on this to read across tracks.
 *
 * Model: seeks and recalibrates complete at once (the interrupt comes with
 * the last command byte); READ ID waits for the next sector ID to pass
 * under the head (the disk turns at 300 rpm, 360 in a 1.2M drive) on the
 * virtual clock; data transfers run when the DMA controller runs the
 * channel (hw/i8237.c), or byte by byte through the FIFO in non-DMA mode
 * (an interrupt for each sector, as the FIFO fills).
 */
#include "hw/fdc.h"

#include <inttypes.h>
#include <string.h>
#include "hw/i8237.h"
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

enum { RATE_500K, RATE_300K, RATE_250K, RATE_1M };

enum {
    MSR_RQM = 0x80, MSR_DIO = 0x40, MSR_NDMA = 0x20, MSR_CB = 0x10,
    DOR_SEL = 0x03, DOR_NRESET = 0x04, DOR_DMA = 0x08,
    ST0_IC_ABN = 0x40, ST0_IC_INVALID = 0x80, ST0_IC_POLL = 0xc0,
    ST0_SE = 0x20, ST0_EC = 0x10,
    ST1_EN = 0x80, ST1_DE = 0x20, ST1_ND = 0x04, ST1_NW = 0x02, ST1_MA = 0x01,
    ST2_CM = 0x40, ST2_DD = 0x20,
    CFG_EFIFO = 0x20, CFG_POLL = 0x10,
};

enum { PH_CMD, PH_EXEC, PH_RESULT };
enum { XF_NONE, XF_READ, XF_WRITE, XF_VERIFY, XF_FORMAT, XF_READ_TRACK, XF_READ_ID };
/* What fdc_sector_done decides. */
enum { GO_ON, STOP_OK, STOP_ERR };

#define SECTOR 512

typedef struct FDFormat {
    uint8_t type, cyls, heads, spt, rate;
} FDFormat;

/* Exact image sizes first, in the order they are matched. */
static const FDFormat fd_formats[] = {
    { FDC_TYPE_1_44M, 80, 2, 18, RATE_500K }, /* 1.44M */
    { FDC_TYPE_1_44M, 80, 2, 20, RATE_500K }, /* 1.6M */
    { FDC_TYPE_1_44M, 80, 2, 21, RATE_500K }, /* 1.68M DMF */
    { FDC_TYPE_1_44M, 82, 2, 21, RATE_500K }, /* 1.72M */
    { FDC_TYPE_1_44M, 80, 2, 22, RATE_500K }, /* 1.76M */
    { FDC_TYPE_2_88M, 80, 2, 36, RATE_1M },   /* 2.88M */
    { FDC_TYPE_2_88M, 80, 2, 40, RATE_1M },   /* 3.2M */
    { FDC_TYPE_1_44M, 80, 2, 9, RATE_250K },  /* 720K */
    { FDC_TYPE_1_44M, 80, 2, 10, RATE_250K }, /* 800K */
    { FDC_TYPE_1_44M, 82, 2, 10, RATE_250K }, /* 820K */
    { FDC_TYPE_1_2M, 80, 2, 15, RATE_500K },  /* 1.2M */
    { FDC_TYPE_1_2M, 40, 2, 9, RATE_300K },   /* 360K */
    { FDC_TYPE_1_2M, 40, 1, 9, RATE_300K },   /* 180K */
    { FDC_TYPE_1_2M, 40, 2, 8, RATE_300K },   /* 320K */
    { FDC_TYPE_1_2M, 40, 1, 8, RATE_300K },   /* 160K */
};
/* Odd sizes: the smallest of these that holds the image. */
static const uint8_t fd_fallback[] = { 14, 12, 13, 11, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5, 6 };

static uint32_t fd_format_size(const FDFormat *f)
{
    return (uint32_t)f->cyls * f->heads * f->spt * SECTOR;
}

typedef struct FDrive {
    BlockBackend *blk;     /* the medium; NULL: none */
    bool connected;
    bool ro;
    bool changed;          /* the DSKCHG latch */
    uint8_t type;          /* FDC_TYPE_* */
    uint8_t cyls, heads, spt, rate;
    uint64_t len;          /* image bytes */
} FDrive;

typedef struct FDCState {
    Device dev;
    Machine *m;
    uint16_t iobase;
    uint8_t irq_num, dma_ch;
    FDrive drv[FDC_UNITS];
    Device *dma;
    IRQLine *irq;
    Timer *timer;          /* READ ID: the next ID field */
    MemoryRegion *io[2];

    uint8_t dor, tdr, dsr;
    uint8_t phase;
    uint8_t fifo[16];
    uint8_t fifo_pos, fifo_len;
    bool int_pending;
    bool irq_level;
    bool dreq;
    uint8_t sense_pending; /* drives with a status for SENSE INTERRUPT */
    uint8_t sense_st0[4];
    uint8_t seeking;       /* MSR drive busy bits */
    uint8_t pcn[4];
    uint8_t specify[2];
    uint8_t config, pretrk, perp;
    bool lock;
    uint8_t sc_eot;        /* DUMPREG's SC/EOT */

    /* the data command in execution */
    uint8_t xfer;
    uint8_t unit, hds;
    uint8_t c, h, r, n, eot, fill;
    bool mt, sk, deleted, dma_mode;
    uint8_t st0, st1, st2;
    uint8_t left;          /* VERIFY with EC / FORMAT: sectors to go */
    uint8_t track_pos;     /* READ TRACK: physical sector */
    bool loaded;           /* buf holds the current sector (or ID entry) */
    bool stop_after;       /* READ DELETED DATA met a normal sector */
    uint16_t pos, len;     /* in buf */
    uint64_t off;          /* image offset of the current sector */
    uint8_t buf[SECTOR];
} FDCState;

static void fdc_log(const char *what, unsigned v)
{
    if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("fdc: %s (0x%02x)\n", what, v);
}

static FDrive *fdc_drive(FDCState *s, int unit)
{
    return unit < FDC_UNITS && s->drv[unit].connected ? &s->drv[unit] : NULL;
}

static void fdc_update_irq(FDCState *s)
{
    bool level = s->int_pending && (s->dor & DOR_DMA);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
}

static void fdc_raise(FDCState *s)
{
    s->int_pending = true;
    fdc_update_irq(s);
}

static void fdc_lower(FDCState *s)
{
    s->int_pending = false;
    fdc_update_irq(s);
}

static uint32_t fdc_dma_handler(void *opaque, int ch, uint32_t len);

static Device *fdc_dma(FDCState *s)
{
    if (!s->dma) {
        s->dma = i8237_find(s->m);
        if (s->dma)
            i8237_register_channel(s->dma, s->dma_ch, fdc_dma_handler, s);
    }
    return s->dma;
}

/* DRQ is driven only in a DMA execution phase with the DOR's DMA gate on. */
static void fdc_update_dreq(FDCState *s)
{
    bool want = s->phase == PH_EXEC && s->dma_mode && s->xfer != XF_READ_ID &&
                s->xfer != XF_VERIFY && (s->dor & DOR_DMA) && (s->dor & DOR_NRESET);
    Device *dma = fdc_dma(s);
    if (want == s->dreq)
        return;
    s->dreq = want;
    if (!dma) {
        if (want)
            fdc_log("DMA transfer without a DMA controller", s->dma_ch);
        return;
    }
    if (want)
        i8237_hold_request(dma, s->dma_ch);
    else
        i8237_release_request(dma, s->dma_ch);
}

static void fdc_result(FDCState *s, const uint8_t *bytes, int n, bool irq)
{
    memcpy(s->fifo, bytes, (size_t)n);
    s->fifo_len = (uint8_t)n;
    s->fifo_pos = 0;
    s->phase = PH_RESULT;
    s->xfer = XF_NONE;
    fdc_update_dreq(s);
    if (irq)
        fdc_raise(s);
}

static void fdc_idle(FDCState *s)
{
    s->phase = PH_CMD;
    s->fifo_pos = s->fifo_len = 0;
    s->xfer = XF_NONE;
    fdc_update_dreq(s);
}

/* The 7-byte result of a data command. */
static void fdc_finish(FDCState *s)
{
    uint8_t res[7] = { (uint8_t)(s->st0 | s->hds << 2 | s->unit), s->st1, s->st2,
                       s->c, s->h, s->r, s->n };
    timer_del(s->timer);
    fdc_result(s, res, 7, true);
}

static void fdc_fail(FDCState *s, uint8_t st1, uint8_t st2)
{
    s->st0 |= ST0_IC_ABN;
    s->st1 |= st1;
    s->st2 |= st2;
    fdc_finish(s);
}

/* The head moves to cylinder `to`: a step with a disk in clears DSKCHG. */
static void fdc_step(FDCState *s, int unit, uint8_t to)
{
    FDrive *d = fdc_drive(s, unit);
    if (d && d->blk && to != s->pcn[unit])
        d->changed = false;
    s->pcn[unit] = to;
}

/*
 * Can the current drive read IDs at all (medium in, right rate and MFM,
 * formatted track and side)? 0, or the ST1 bit to fail with.
 */
static uint8_t fdc_track_ok(FDCState *s, bool mfm)
{
    FDrive *d = fdc_drive(s, s->unit);
    if (!d || !d->blk || !mfm || (s->dsr & 3) != d->rate || s->pcn[s->unit] >= d->cyls ||
        s->hds >= d->heads)
        return ST1_MA;
    return 0;
}

static bool fdc_cmd_mfm(FDCState *s)
{
    return (s->fifo[0] & 0x40) != 0;
}

/* Find sector C/H/R/N: 0 and s->off, or -1 with the status bits set.
 * Every sector on our media is ID'd (cylinder, head, 1..spt, 2). The head
 * always seeks to C first (see the note on implied seeks at the top). */
static int fdc_locate(FDCState *s, uint8_t r)
{
    FDrive *d = fdc_drive(s, s->unit);
    fdc_step(s, s->unit, s->c);
    uint8_t e = fdc_track_ok(s, fdc_cmd_mfm(s));
    uint8_t cyl = s->pcn[s->unit];
    if (e) {
        s->st1 |= e;
        return -1;
    }
    if (s->h != s->hds || r < 1 || r > d->spt || s->n != 2) {
        s->st1 |= ST1_ND;
        return -1;
    }
    s->off = (((uint64_t)cyl * d->heads + s->hds) * d->spt + (r - 1u)) * SECTOR;
    return 0;
}

static int fdc_read_image(FDCState *s, uint8_t *buf)
{
    FDrive *d = &s->drv[s->unit];
    Error *err = NULL;
    memset(buf, 0, SECTOR);
    if (s->off >= d->len)
        return 0; /* past the end of a short image */
    uint64_t n = d->len - s->off < SECTOR ? d->len - s->off : SECTOR;
    if (blk_pread(d->blk, s->off, n, buf, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    return 0;
}

static int fdc_write_image(FDCState *s, const uint8_t *buf)
{
    FDrive *d = &s->drv[s->unit];
    Error *err = NULL;
    if (s->off + SECTOR > d->len) {
        fdc_log("write past the end of the image, cylinder", s->pcn[s->unit]);
        return -1;
    }
    if (blk_pwrite(d->blk, s->off, SECTOR, buf, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    return 0;
}

/*
 * Move to the sector after R: GO_ON, or STOP_OK at the end of the track
 * (R = 1 and C/H as the result table says). With MT, the physical end of
 * a track before EOT also moves on to side 1 / the next cylinder (see the
 * top: SeaBIOS's EOT = R + count - 1).
 */
static int fdc_advance(FDCState *s)
{
    FDrive *d = fdc_drive(s, s->unit);
    bool eot = s->r == s->eot;
    bool wrap = !eot && s->mt && d && s->r == d->spt;
    if (!eot && !wrap) {
        s->r++;
        return GO_ON;
    }
    s->r = 1;
    if (s->mt && !(s->hds & 1) && (eot || d->heads > 1)) {
        s->hds = 1;
        s->h ^= 1;
        return GO_ON;
    }
    if (s->mt && (s->hds & 1))
        s->h ^= 1;
    s->c++;
    if (!wrap)
        return STOP_OK;
    s->hds = 0;
    return GO_ON;
}

/* Make the next sector current (READ: with its data). 0, or -1 when the
 * command ended (result phase entered). */
static int fdc_sector_begin(FDCState *s)
{
    for (;;) {
        s->pos = 0;
        if (s->xfer == XF_FORMAT) {
            s->len = 4;
            s->loaded = true;
            return 0;
        }
        s->len = SECTOR;
        if (s->xfer == XF_READ_TRACK) {
            /* physical sectors from the index on; an ID that differs from
             * C/H/R/N is noted (ND) but read all the same */
            FDrive *d = fdc_drive(s, s->unit);
            uint8_t e = fdc_track_ok(s, fdc_cmd_mfm(s));
            if (e || s->track_pos > d->spt) {
                fdc_fail(s, e ? e : ST1_ND, 0);
                return -1;
            }
            if (s->c != s->pcn[s->unit] || s->h != s->hds || s->r != s->track_pos || s->n != 2)
                s->st1 |= ST1_ND;
            s->off = (((uint64_t)s->pcn[s->unit] * d->heads + s->hds) * d->spt +
                      (s->track_pos - 1u)) * SECTOR;
        } else if (fdc_locate(s, s->r) < 0) {
            fdc_fail(s, 0, 0);
            return -1;
        }
        if (s->xfer == XF_WRITE) {
            s->loaded = true;
            return 0;
        }
        if (fdc_read_image(s, s->buf) < 0) {
            fdc_fail(s, ST1_DE, ST2_DD);
            return -1;
        }
        if (s->deleted && s->xfer == XF_READ) {
            /* READ DELETED DATA finds normal data marks on our media */
            s->st2 |= ST2_CM;
            if (s->sk) {
                if (fdc_advance(s) != GO_ON) {
                    fdc_fail(s, ST1_EN, 0);
                    return -1;
                }
                continue;
            }
            s->stop_after = true;
        }
        s->loaded = true;
        return 0;
    }
}

/* The current sector is done (tc: the DMA controller signalled TC). */
static int fdc_sector_done(FDCState *s, bool tc)
{
    s->loaded = false;
    if (s->xfer == XF_WRITE) {
        if (s->pos < s->len)
            memset(s->buf + s->pos, 0, (size_t)(s->len - s->pos));
        if (fdc_write_image(s, s->buf) < 0) {
            s->st1 |= ST1_DE;
            s->st0 |= ST0_IC_ABN;
            return STOP_ERR;
        }
    }
    if (s->xfer == XF_FORMAT) {
        FDrive *d = fdc_drive(s, s->unit);
        uint8_t *id = s->buf;
        s->c = id[0], s->h = id[1], s->r = id[2], s->n = id[3];
        if (id[0] == s->pcn[s->unit] && id[0] < d->cyls && id[1] == s->hds &&
            s->hds < d->heads && id[3] == 2 && id[2] >= 1 && id[2] <= d->spt) {
            uint8_t data[SECTOR];
            memset(data, s->fill, sizeof(data));
            s->off = (((uint64_t)id[0] * d->heads + s->hds) * d->spt + (id[2] - 1u)) * SECTOR;
            if (fdc_write_image(s, data) < 0) {
                s->st1 |= ST1_DE;
                s->st0 |= ST0_IC_ABN;
                return STOP_ERR;
            }
        } else if (log_enabled(LOG_UNIMP)) {
            log_printf("fdc: FORMAT TRACK ID %u/%u/%u/%u does not fit the image's layout; "
                       "not written\n", id[0], id[1], id[2], id[3]);
        }
        if (--s->left == 0 || tc)
            return STOP_OK;
        return GO_ON;
    }
    if (s->xfer == XF_READ_TRACK) {
        s->track_pos++;
        s->r++;
        if (tc)
            return STOP_OK;
        if (s->track_pos > s->eot) {
            s->st0 |= ST0_IC_ABN;
            s->st1 |= ST1_EN;
            return STOP_ERR;
        }
        return GO_ON;
    }
    int a = fdc_advance(s);
    if (s->stop_after) {
        s->st0 |= ST0_IC_ABN;
        return STOP_ERR;
    }
    if (s->xfer == XF_VERIFY && s->left) { /* EC = 1: SC sectors */
        if (--s->left == 0)
            return STOP_OK;
        tc = false;
    } else if (s->xfer == XF_VERIFY) {     /* EC = 0: to EOT */
        return a;
    }
    if (tc)
        return STOP_OK;
    if (a == STOP_OK) {
        s->st0 |= ST0_IC_ABN;
        s->st1 |= ST1_EN;
        return STOP_ERR;
    }
    return GO_ON;
}

static uint32_t fdc_dma_handler(void *opaque, int ch, uint32_t len)
{
    FDCState *s = opaque;
    uint32_t done = 0;
    if (!s->dreq || s->phase != PH_EXEC)
        return 0;
    while (done < len) {
        if (!s->loaded && fdc_sector_begin(s) < 0)
            return done;
        uint32_t n = (uint32_t)(s->len - s->pos);
        if (n > len - done)
            n = len - done;
        if (s->xfer == XF_READ || s->xfer == XF_READ_TRACK)
            i8237_write_memory(s->dma, ch, s->buf + s->pos, done, n);
        else
            i8237_read_memory(s->dma, ch, s->buf + s->pos, done, n);
        done += n;
        s->pos = (uint16_t)(s->pos + n);
        bool tc = done == len;
        if (s->pos == s->len || tc) {
            if (fdc_sector_done(s, tc) != GO_ON) {
                fdc_finish(s);
                return done;
            }
        }
    }
    return done;
}

/* Non-DMA execution: the FIFO holds the next sector (or wants one). */
static void fdc_pio_next(FDCState *s)
{
    if (fdc_sector_begin(s) == 0)
        fdc_raise(s);
}

static void fdc_pio_byte_done(FDCState *s)
{
    if (s->pos < s->len)
        return;
    if (fdc_sector_done(s, false) != GO_ON)
        fdc_finish(s);
    else
        fdc_pio_next(s);
}

/* ---- commands ------------------------------------------------------------ */

static void fdc_select(FDCState *s)
{
    s->unit = s->fifo[1] & 3;
    s->hds = (s->fifo[1] >> 2) & 1;
    s->st0 = s->st1 = s->st2 = 0;
    s->loaded = s->stop_after = false;
}

static void fdc_seek_done(FDCState *s, int unit, uint8_t st0)
{
    s->sense_st0[unit] = st0;
    s->sense_pending |= (uint8_t)(1 << unit);
    s->seeking |= (uint8_t)(1 << unit);
    fdc_idle(s);
    fdc_raise(s);
}

static void cmd_data(FDCState *s, int kind)
{
    fdc_select(s);
    s->xfer = (uint8_t)kind;
    s->c = s->fifo[2], s->h = s->fifo[3], s->r = s->fifo[4], s->n = s->fifo[5];
    s->eot = s->fifo[6];
    s->mt = (s->fifo[0] & 0x80) && kind != XF_READ_TRACK;
    s->sk = (s->fifo[0] & 0x20) != 0;
    s->dma_mode = !(s->specify[1] & 1);
    s->sc_eot = s->eot;
    s->phase = PH_EXEC;
    s->track_pos = 1;
    if (kind == XF_READ_TRACK)
        fdc_step(s, s->unit, s->c); /* implied seek, as for every data command */
    FDrive *d = fdc_drive(s, s->unit);
    if (kind == XF_VERIFY) {
        /* no data moves: EC = 1 counts SC (the DTL byte) sectors, EC = 0
         * verifies to EOT; both end normally there */
        bool ec = (s->fifo[1] & 0x80) != 0;
        s->left = ec ? s->fifo[8] : 0;
        if (ec) {
            s->sc_eot = s->fifo[8];
            if (!s->left) {
                fdc_finish(s);
                return;
            }
        }
        while (fdc_sector_begin(s) == 0) {
            if (fdc_sector_done(s, false) != GO_ON) {
                fdc_finish(s);
                return;
            }
        }
        return;
    }
    if (kind == XF_WRITE && d && d->blk && d->ro && !fdc_track_ok(s, fdc_cmd_mfm(s))) {
        fdc_fail(s, ST1_NW, 0);
        return;
    }
    /* the first sector is found before any data moves */
    if (fdc_sector_begin(s) < 0)
        return;
    if (s->dma_mode)
        fdc_update_dreq(s);
    else
        fdc_raise(s); /* the FIFO has (or wants) the sector's data */
}

static void cmd_read(FDCState *s)
{
    s->deleted = (s->fifo[0] & 0x1f) == 0x0c;
    cmd_data(s, XF_READ);
}

static void cmd_write(FDCState *s)
{
    s->deleted = false; /* a deleted mark cannot be kept in an image */
    cmd_data(s, XF_WRITE);
}

static void cmd_verify(FDCState *s)
{
    s->deleted = false;
    cmd_data(s, XF_VERIFY);
}

static void cmd_read_track(FDCState *s)
{
    s->deleted = false;
    cmd_data(s, XF_READ_TRACK);
}

static void cmd_format(FDCState *s)
{
    fdc_select(s);
    s->xfer = XF_FORMAT;
    s->n = s->fifo[2];
    s->left = s->fifo[3];
    s->fill = s->fifo[5];
    s->sc_eot = s->left;
    s->c = s->pcn[s->unit], s->h = s->hds, s->r = 1;
    s->mt = s->sk = s->deleted = false;
    s->dma_mode = !(s->specify[1] & 1);
    s->phase = PH_EXEC;
    FDrive *d = fdc_drive(s, s->unit);
    /* a format needs a turning disk written at its own rate; the track
     * itself may have no IDs yet */
    if (!d || !d->blk || (s->dsr & 3) != d->rate || !fdc_cmd_mfm(s)) {
        fdc_fail(s, ST1_MA, 0);
        return;
    }
    if (d->ro) {
        fdc_fail(s, ST1_NW, 0);
        return;
    }
    if (!s->left) {
        fdc_finish(s);
        return;
    }
    fdc_sector_begin(s);
    if (s->dma_mode)
        fdc_update_dreq(s);
    else
        fdc_raise(s);
}

/* The disk turns: which ID passes the head next, and when. */
static int64_t fdc_next_id(FDCState *s, FDrive *d, uint8_t *r)
{
    int64_t rev = NS_PER_SEC * 60 / (d->type == FDC_TYPE_1_2M ? 360 : 300);
    int64_t now = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    int64_t ph = now % rev;
    int64_t k = ph * d->spt / rev + 1; /* the sector after the one under the head */
    (void)s;
    *r = (uint8_t)(k % d->spt + 1);
    return now + (k * rev + d->spt - 1) / d->spt - ph;
}

static void cmd_read_id(FDCState *s)
{
    fdc_select(s);
    s->xfer = XF_READ_ID;
    s->phase = PH_EXEC;
    FDrive *d = fdc_drive(s, s->unit);
    uint8_t e = fdc_track_ok(s, fdc_cmd_mfm(s));
    s->c = s->pcn[s->unit], s->h = s->hds, s->n = 2;
    if (e) {
        /* no ID within two index pulses */
        s->st1 = e;
        s->st0 = ST0_IC_ABN;
        timer_mod(s->timer, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 2 * NS_PER_SEC / 5);
        return;
    }
    timer_mod(s->timer, fdc_next_id(s, d, &s->r));
}

static void fdc_timer_cb(void *opaque)
{
    FDCState *s = opaque;
    if (s->phase == PH_EXEC && s->xfer == XF_READ_ID)
        fdc_finish(s);
}

/* Seek statuses report head 0, as Linux's seek check ((ST0 & 0xf8) ==
 * 0x20) and QEMU's controller have it. */
static void cmd_recalibrate(FDCState *s)
{
    int unit = s->fifo[1] & 3;
    fdc_step(s, unit, 0);
    if (fdc_drive(s, unit))
        fdc_seek_done(s, unit, (uint8_t)(ST0_SE | unit));
    else /* track 0 never seen */
        fdc_seek_done(s, unit, (uint8_t)(ST0_IC_ABN | ST0_SE | ST0_EC | unit));
}

static void cmd_seek(FDCState *s)
{
    int unit = s->fifo[1] & 3;
    fdc_step(s, unit, s->fifo[2]);
    fdc_seek_done(s, unit, (uint8_t)(ST0_SE | unit));
}

static void cmd_relative_seek(FDCState *s)
{
    int unit = s->fifo[1] & 3;
    int to = s->pcn[unit] + ((s->fifo[0] & 0x40) ? s->fifo[2] : -s->fifo[2]);
    fdc_step(s, unit, (uint8_t)(to < 0 ? 0 : to > 255 ? 255 : to));
    fdc_seek_done(s, unit, (uint8_t)(ST0_SE | unit));
}

static void cmd_sense_int(FDCState *s)
{
    fdc_lower(s);
    if (!s->sense_pending) {
        uint8_t inv = ST0_IC_INVALID;
        fdc_result(s, &inv, 1, false);
        return;
    }
    int unit = 0;
    while (!(s->sense_pending >> unit & 1))
        unit++;
    s->sense_pending &= (uint8_t)~(1 << unit);
    s->seeking &= (uint8_t)~(1 << unit);
    uint8_t res[2] = { s->sense_st0[unit], s->pcn[unit] };
    fdc_result(s, res, 2, false);
}

static void cmd_specify(FDCState *s)
{
    s->specify[0] = s->fifo[1];
    s->specify[1] = s->fifo[2];
    fdc_idle(s);
}

static void cmd_sense_drive(FDCState *s)
{
    int unit = s->fifo[1] & 3, hds = (s->fifo[1] >> 2) & 1;
    FDrive *d = fdc_drive(s, unit);
    uint8_t st3 = (uint8_t)(0x28 | hds << 2 | unit);
    if (d && d->blk && d->ro)
        st3 |= 0x40;
    if (d && s->pcn[unit] == 0)
        st3 |= 0x10;
    fdc_result(s, &st3, 1, false);
}

static void cmd_configure(FDCState *s)
{
    s->config = s->fifo[2] & 0x7f;
    s->pretrk = s->fifo[3];
    fdc_idle(s);
}

static void cmd_version(FDCState *s)
{
    uint8_t v = 0x90;
    fdc_result(s, &v, 1, false);
}

static void cmd_part_id(FDCState *s)
{
    uint8_t v = 0x41;
    fdc_result(s, &v, 1, false);
}

static void cmd_dumpreg(FDCState *s)
{
    uint8_t r[10] = { s->pcn[0], s->pcn[1], s->pcn[2], s->pcn[3], s->specify[0], s->specify[1],
                      s->sc_eot, (uint8_t)(s->lock << 7 | (s->perp & 0x3f)), s->config,
                      s->pretrk };
    fdc_result(s, r, 10, false);
}

static void cmd_lock(FDCState *s)
{
    s->lock = (s->fifo[0] & 0x80) != 0;
    uint8_t v = (uint8_t)(s->lock << 4);
    fdc_result(s, &v, 1, false);
}

static void cmd_perpendicular(FDCState *s)
{
    uint8_t v = s->fifo[1];
    if (v & 0x80) /* OW: the drive bits are written too */
        s->perp = v & 0x3f;
    else
        s->perp = (uint8_t)((s->perp & 0x3c) | (v & 0x03));
    fdc_idle(s);
}

typedef struct FDCCommand {
    uint8_t value, mask, len;
    void (*run)(FDCState *s);
} FDCCommand;

static const FDCCommand fdc_commands[] = {
    { 0x06, 0x1f, 9, cmd_read },          /* READ DATA: MT MFM SK 0 0110 */
    { 0x0c, 0x1f, 9, cmd_read },          /* READ DELETED DATA */
    { 0x05, 0x3f, 9, cmd_write },         /* WRITE DATA: MT MFM 00 0101 */
    { 0x09, 0x3f, 9, cmd_write },         /* WRITE DELETED DATA */
    { 0x02, 0xbf, 9, cmd_read_track },    /* READ TRACK */
    { 0x16, 0x1f, 9, cmd_verify },        /* VERIFY: MT MFM SK 1 0110 */
    { 0x0d, 0xbf, 6, cmd_format },        /* FORMAT TRACK */
    { 0x0a, 0xbf, 2, cmd_read_id },       /* READ ID */
    { 0x07, 0xff, 2, cmd_recalibrate },
    { 0x08, 0xff, 1, cmd_sense_int },
    { 0x03, 0xff, 3, cmd_specify },
    { 0x04, 0xff, 2, cmd_sense_drive },
    { 0x0f, 0xff, 3, cmd_seek },
    { 0x8f, 0xbf, 3, cmd_relative_seek }, /* 1 DIR 00 1111 */
    { 0x13, 0xff, 4, cmd_configure },
    { 0x10, 0xff, 1, cmd_version },
    { 0x0e, 0xff, 1, cmd_dumpreg },
    { 0x12, 0xff, 2, cmd_perpendicular },
    { 0x14, 0x7f, 1, cmd_lock },          /* LOCK 0 0101 00 */
    { 0x18, 0xff, 1, cmd_part_id },
};

static const FDCCommand *fdc_find_command(uint8_t b)
{
    for (size_t i = 0; i < sizeof(fdc_commands) / sizeof(fdc_commands[0]); i++)
        if ((b & fdc_commands[i].mask) == fdc_commands[i].value)
            return &fdc_commands[i];
    return NULL;
}

/* ---- registers ----------------------------------------------------------- */

static void fdc_soft_reset(FDCState *s)
{
    timer_del(s->timer);
    fdc_lower(s);
    fdc_idle(s);
    s->sense_pending = s->seeking = 0;
    s->dsr &= 0x1f; /* out of power down */
    s->perp &= 0x3c;
    if (!s->lock) {
        s->config = CFG_EFIFO;
        s->pretrk = 0;
    }
}

/* Leaving reset: drive polling reports a ready change on every drive. */
static void fdc_reset_done(FDCState *s)
{
    if (s->config & CFG_POLL)
        return;
    for (int i = 0; i < 4; i++)
        s->sense_st0[i] = (uint8_t)(ST0_IC_POLL | i);
    s->sense_pending = 0x0f;
    fdc_raise(s);
}

static uint8_t fdc_msr(FDCState *s)
{
    if (!(s->dor & DOR_NRESET))
        return 0;
    switch (s->phase) {
    case PH_CMD:
        return (uint8_t)(MSR_RQM | (s->fifo_pos ? MSR_CB : 0) | s->seeking);
    case PH_RESULT:
        return (uint8_t)(MSR_RQM | MSR_DIO | MSR_CB | s->seeking);
    default:
        if (s->dma_mode || !s->loaded)
            return (uint8_t)(MSR_CB | s->seeking);
        return (uint8_t)(MSR_RQM | MSR_NDMA | MSR_CB | s->seeking |
                         (s->xfer == XF_READ || s->xfer == XF_READ_TRACK ? MSR_DIO : 0));
    }
}

static uint8_t fdc_fifo_read(FDCState *s)
{
    if (s->phase == PH_RESULT) {
        uint8_t v = s->fifo[s->fifo_pos++];
        fdc_lower(s);
        if (s->fifo_pos >= s->fifo_len)
            fdc_idle(s);
        return v;
    }
    if (s->phase == PH_EXEC && !s->dma_mode && s->loaded &&
        (s->xfer == XF_READ || s->xfer == XF_READ_TRACK)) {
        uint8_t v = s->buf[s->pos++];
        fdc_lower(s);
        fdc_pio_byte_done(s);
        return v;
    }
    fdc_log("FIFO read with no data to give, MSR", fdc_msr(s));
    return 0;
}

static void fdc_fifo_write(FDCState *s, uint8_t v)
{
    if (s->phase == PH_EXEC && !s->dma_mode && s->loaded &&
        (s->xfer == XF_WRITE || s->xfer == XF_FORMAT)) {
        s->buf[s->pos++] = v;
        fdc_lower(s);
        fdc_pio_byte_done(s);
        return;
    }
    if (s->phase != PH_CMD) {
        fdc_log("FIFO write while not accepting a command, MSR", fdc_msr(s));
        return;
    }
    if (s->fifo_pos == 0) {
        const FDCCommand *c = fdc_find_command(v);
        if (!c) {
            uint8_t inv = ST0_IC_INVALID;
            fdc_log("invalid command", v);
            fdc_result(s, &inv, 1, false);
            return;
        }
        s->fifo_len = c->len;
    }
    s->fifo[s->fifo_pos++] = v;
    if (s->fifo_pos < s->fifo_len)
        return;
    const FDCCommand *c = fdc_find_command(s->fifo[0]);
    s->fifo_pos = 0;
    c->run(s);
}

static void fdc_dor_write(FDCState *s, uint8_t v)
{
    uint8_t old = s->dor;
    s->dor = v;
    if ((old & DOR_NRESET) && !(v & DOR_NRESET))
        fdc_soft_reset(s);
    else if (!(old & DOR_NRESET) && (v & DOR_NRESET))
        fdc_reset_done(s);
    fdc_update_irq(s);
    fdc_update_dreq(s);
}

static uint64_t fdc_read(void *opaque, hwaddr off, unsigned size)
{
    FDCState *s = opaque;
    FDrive *d = fdc_drive(s, s->dor & DOR_SEL);
    (void)size;
    switch (off) {
    case 0: { /* SRA (PS/2): INT pending, /DRV2, /TRK0, HDSEL, /INDEX, /WP */
        FDrive *sel = fdc_drive(s, s->unit);
        return (uint64_t)(s->int_pending << 7 | !s->drv[1].connected << 6 |
                          !(sel && s->pcn[s->unit] == 0) << 4 | s->hds << 3 | 1 << 2 |
                          !(sel && sel->blk && sel->ro) << 1);
    }
    case 1: /* SRB (PS/2): drive select 0, motor enables 1-0 */
        return (uint64_t)(0xc0 | (s->dor & 1) << 5 | (s->dor >> 4 & 3));
    case 2:
        return s->dor;
    case 3:
        return s->tdr & 3;
    case 4:
        s->dsr &= (uint8_t)~0x40; /* an MSR access ends power down */
        return fdc_msr(s);
    case 5:
        if (!(s->dor & DOR_NRESET))
            return 0;
        return fdc_fifo_read(s);
    case 7:
        return d && (d->changed || !d->blk) ? 0x80 : 0x00;
    default:
        return 0xff;
    }
}

static void fdc_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    FDCState *s = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;
    switch (off) {
    case 2:
        fdc_dor_write(s, v);
        break;
    case 3:
        s->tdr = v & 3;
        break;
    case 4:
        s->dsr = v & 0x7f;
        if ((v & 0x80) && (s->dor & DOR_NRESET)) {
            fdc_soft_reset(s);
            fdc_reset_done(s);
        }
        break;
    case 5:
        if (s->dor & DOR_NRESET)
            fdc_fifo_write(s, v);
        break;
    case 7: /* CCR: the data rate */
        s->dsr = (uint8_t)((s->dsr & ~3) | (v & 3));
        break;
    default:
        break;
    }
}

static uint64_t fdc_dir_read(void *opaque, hwaddr off, unsigned size)
{
    return fdc_read(opaque, off + 7, size);
}

static void fdc_ccr_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    fdc_write(opaque, off + 7, val, size);
}

static const MemOps fdc_ops = { fdc_read, fdc_write, { 1, 4 }, { 1, 1 } };
static const MemOps fdc_dir_ops = { fdc_dir_read, fdc_ccr_write, { 1, 4 }, { 1, 1 } };

/* ---- drives -------------------------------------------------------------- */

static int fdc_medium(FDrive *d, BlockBackend *blk, bool readonly, bool set_type, Error **errp)
{
    int64_t len = blk_getlength(blk);
    const FDFormat *f = NULL;
    const char *name = blk_bs(blk) ? blk_bs(blk)->filename : "(image)";
    if (len < 0) {
        error_setg(errp, "%s: cannot get the size of the floppy image", name);
        return -1;
    }
    for (size_t i = 0; i < sizeof(fd_formats) / sizeof(fd_formats[0]) && !f; i++)
        if (fd_format_size(&fd_formats[i]) == (uint64_t)len)
            f = &fd_formats[i];
    for (size_t i = 0; i < sizeof(fd_fallback) && !f; i++)
        if (fd_format_size(&fd_formats[fd_fallback[i]]) >= (uint64_t)len)
            f = &fd_formats[fd_fallback[i]];
    if (!f) {
        error_setg(errp, "%s: %" PRId64 " bytes is too big for a floppy disk (at most "
                   "3.2 MiB): use it as a hard disk image", name, len);
        return -1;
    }
    d->blk = blk;
    d->len = (uint64_t)len;
    d->ro = readonly || (blk_bs(blk) && blk_bs(blk)->read_only);
    d->cyls = f->cyls, d->heads = f->heads, d->spt = f->spt, d->rate = f->rate;
    if (set_type)
        d->type = f->type;
    d->changed = true;
    return 0;
}

int fdc_attach(Device *dev, int unit, BlockBackend *blk, bool readonly, Error **errp)
{
    FDCState *s = (FDCState *)dev;
    if (unit < 0 || unit >= FDC_UNITS) {
        error_setg(errp, "floppy unit %d does not exist (0 = A:, 1 = B:)", unit);
        return -1;
    }
    FDrive *d = &s->drv[unit];
    *d = (FDrive){ .connected = true, .type = FDC_TYPE_1_44M, .changed = true };
    if (blk && fdc_medium(d, blk, readonly, true, errp) < 0) {
        *d = (FDrive){ 0 };
        return -1;
    }
    return 0;
}

BlockBackend *fdc_eject(Device *dev, int unit)
{
    FDCState *s = (FDCState *)dev;
    FDrive *d = unit >= 0 ? fdc_drive(s, unit) : NULL;
    if (!d)
        return NULL;
    BlockBackend *blk = d->blk;
    d->blk = NULL;
    d->len = 0;
    d->changed = true;
    return blk;
}

int fdc_insert(Device *dev, int unit, BlockBackend *blk, bool readonly, Error **errp)
{
    FDCState *s = (FDCState *)dev;
    FDrive *d = unit >= 0 ? fdc_drive(s, unit) : NULL;
    if (!d) {
        error_setg(errp, "floppy unit %d is not connected", unit);
        return -1;
    }
    if (d->blk) {
        error_setg(errp, "floppy unit %d already holds a disk: eject it first", unit);
        return -1;
    }
    if (fdc_medium(d, blk, readonly, false, errp) < 0)
        return -1;
    return 0;
}

uint8_t fdc_cmos_type(Device *dev)
{
    FDCState *s = (FDCState *)dev;
    uint8_t a = s->drv[0].connected ? s->drv[0].type : 0;
    uint8_t b = s->drv[1].connected ? s->drv[1].type : 0;
    return (uint8_t)(a << 4 | b);
}

void fdc_set_dma(Device *dev, Device *dma)
{
    FDCState *s = (FDCState *)dev;
    s->dma = dma;
    if (dma)
        i8237_register_channel(dma, s->dma_ch, fdc_dma_handler, s);
}

/* ---- device -------------------------------------------------------------- */

static int fdc_realize(Device *dev, Machine *m, Error **errp)
{
    FDCState *s = (FDCState *)dev;
    if (s->irq_num >= MACHINE_ISA_IRQS || s->dma_ch > 3) {
        error_setg(errp, "isa-fdc: irq=%u must be 0-15 and dma=%u 0-3", s->irq_num, s->dma_ch);
        return -1;
    }
    s->m = m;
    s->irq = m->isa_irq[s->irq_num];
    s->timer = timer_new(PEMU_CLOCK_VIRTUAL, fdc_timer_cb, s);
    s->io[0] = ioport_register(m->io, s->iobase, 6, &fdc_ops, s, "fdc");
    s->io[1] = ioport_register(m->io, (uint16_t)(s->iobase + 7), 1, &fdc_dir_ops, s, "fdc-dir");
    fdc_dma(s); /* or later, if the DMA controller comes after us */
    return 0;
}

static void fdc_unrealize(Device *dev)
{
    FDCState *s = (FDCState *)dev;
    ioport_unregister(s->m->io, s->io[0]);
    ioport_unregister(s->m->io, s->io[1]);
    timer_free(s->timer);
    s->timer = NULL;
}

/* Power on / system reset: held in reset by the DOR, 250 kbps, SPECIFY
 * and CONFIGURE at their defaults, LOCK off. */
static void fdc_reset(Device *dev)
{
    FDCState *s = (FDCState *)dev;
    s->dor = 0;
    s->tdr = 0;
    s->dsr = RATE_250K;
    s->lock = false;
    s->perp = 0;
    s->specify[0] = s->specify[1] = 0;
    s->sc_eot = 0;
    memset(s->pcn, 0, sizeof(s->pcn));
    fdc_soft_reset(s);
}

static int fdc_post_load(void *opaque, int version_id)
{
    FDCState *s = opaque;
    (void)version_id;
    /* keep a corrupt stream inside the buffers */
    if (s->fifo_len > sizeof(s->fifo) || s->fifo_pos > s->fifo_len)
        s->fifo_len = s->fifo_pos = 0;
    if (s->len > SECTOR || s->pos > s->len)
        s->len = s->pos = 0, s->loaded = false;
    s->unit &= 3;
    s->hds &= 1;
    s->dreq = !s->dreq; /* force the DRQ line to be driven again */
    fdc_update_dreq(s);
    s->irq_level = !s->irq_level;
    fdc_update_irq(s);
    return 0;
}

static const VMStateDescription vmstate_fdc = {
    .name = "fdc", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(dor, FDCState), VMSTATE_UINT8(tdr, FDCState),
        VMSTATE_UINT8(dsr, FDCState), VMSTATE_UINT8(phase, FDCState),
        VMSTATE_UINT8_ARRAY(fifo, FDCState, 16), VMSTATE_UINT8(fifo_pos, FDCState),
        VMSTATE_UINT8(fifo_len, FDCState), VMSTATE_BOOL(int_pending, FDCState),
        VMSTATE_BOOL(irq_level, FDCState), VMSTATE_BOOL(dreq, FDCState),
        VMSTATE_UINT8(sense_pending, FDCState), VMSTATE_UINT8_ARRAY(sense_st0, FDCState, 4),
        VMSTATE_UINT8(seeking, FDCState), VMSTATE_UINT8_ARRAY(pcn, FDCState, 4),
        VMSTATE_UINT8_ARRAY(specify, FDCState, 2), VMSTATE_UINT8(config, FDCState),
        VMSTATE_UINT8(pretrk, FDCState), VMSTATE_UINT8(perp, FDCState),
        VMSTATE_BOOL(lock, FDCState), VMSTATE_UINT8(sc_eot, FDCState),
        VMSTATE_UINT8(xfer, FDCState), VMSTATE_UINT8(unit, FDCState),
        VMSTATE_UINT8(hds, FDCState), VMSTATE_UINT8(c, FDCState), VMSTATE_UINT8(h, FDCState),
        VMSTATE_UINT8(r, FDCState), VMSTATE_UINT8(n, FDCState), VMSTATE_UINT8(eot, FDCState),
        VMSTATE_UINT8(fill, FDCState), VMSTATE_BOOL(mt, FDCState), VMSTATE_BOOL(sk, FDCState),
        VMSTATE_BOOL(deleted, FDCState), VMSTATE_BOOL(dma_mode, FDCState),
        VMSTATE_UINT8(st0, FDCState), VMSTATE_UINT8(st1, FDCState),
        VMSTATE_UINT8(st2, FDCState), VMSTATE_UINT8(left, FDCState),
        VMSTATE_UINT8(track_pos, FDCState), VMSTATE_BOOL(loaded, FDCState),
        VMSTATE_BOOL(stop_after, FDCState), VMSTATE_UINT16(pos, FDCState),
        VMSTATE_UINT16(len, FDCState), VMSTATE_UINT64(off, FDCState),
        VMSTATE_BUFFER(buf, FDCState), VMSTATE_TIMER(timer, FDCState),
        VMSTATE_END
    },
    .post_load = fdc_post_load,
};

static const DeviceProp fdc_props[] = {
    DEVICE_PROP("iobase", PROP_U16, FDCState, iobase, "0x3f0", "I/O base"),
    DEVICE_PROP("irq", PROP_U8, FDCState, irq_num, "6", "ISA IRQ"),
    DEVICE_PROP("dma", PROP_U8, FDCState, dma_ch, "2", "ISA DMA channel"),
    DEVICE_PROP_END
};

const DeviceClass fdc_class = {
    .name = "isa-fdc",
    .desc = "Intel 82078 floppy disk controller (0x3f0, IRQ 6, DMA 2)",
    .category = "Storage devices",
    .bus = "ISA",
    .instance_size = sizeof(FDCState),
    .props = fdc_props,
    .realize = fdc_realize,
    .reset = fdc_reset,
    .unrealize = fdc_unrealize,
    .vmsd = &vmstate_fdc,
};
