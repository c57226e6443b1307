/*
 * IDE: one ATA channel (IDEBus) with up to two devices (master, slave),
 * each an ATA hard disk or an ATAPI CD/DVD-ROM. The controller that owns
 * the channels (hw/piix_ide.c) maps the registers, routes the interrupt
 * and provides bus-master DMA through IDEDMAOps; this file knows nothing
 * of PCI.
 *
 * Registers (ATA/ATAPI-7 vol. 1, 6.x; offsets from the command block):
 *   0 data (16 bits; a 32-bit access moves two words)   1 error / features
 *   2 sector count      3 LBA low     4 LBA mid     5 LBA high
 *   6 device (DEV bit 4, LBA bit 6)   7 status / command
 *   control block: alternate status / device control (nIEN bit 1,
 *   SRST bit 2, HOB bit 7).
 * Registers 1-5 are two deep (the previous value is the "high order byte"
 * used by 48-bit commands and read back with HOB set). Both devices latch
 * every register write; the command goes to the selected one only.
 *
 * Host I/O never blocks the caller: commands that touch the image submit a
 * request to the device's src/block/aio.h queue and set BSY; the
 * completion (in the main loop) sets DRQ or ends the command and raises
 * INTRQ. PIO data already in the device buffer is moved synchronously.
 * Reads fill up to IDE_BUF_SIZE at a time; PIO writes are collected in the
 * buffer and written when it is full or the command's last block arrived
 * (the final interrupt waits for the write).
 *
 * Not implemented: overlapped/queued commands, SMART, security, HPA,
 * power-management timers (IDLE/STANDBY answer at once), audio CD
 * commands (READ CD, PLAY AUDIO), writing to CD media.
 */
#ifndef PEMU_HW_IDE_H
#define PEMU_HW_IDE_H

#include <stdbool.h>
#include <stdint.h>
#include "src/block/aio.h"
#include "src/error.h"
#include "src/ioport.h"
#include "src/irq.h"
#include "src/memory.h"

typedef struct IDEBus IDEBus;
typedef struct IDEDrive IDEDrive;
typedef struct VMStateDescription VMStateDescription;

#define IDE_SECTOR_SIZE 512
#define ATAPI_SECTOR_SIZE 2048
#define IDE_BUF_SIZE (128 * 1024)   /* 256 ATA sectors, 64 CD blocks */
#define IDE_MAX_MULT_SECTORS 16     /* READ/WRITE MULTIPLE block limit */

/* Status register */
#define IDE_ST_ERR  0x01
#define IDE_ST_DRQ  0x08
#define IDE_ST_DSC  0x10            /* seek complete / service */
#define IDE_ST_DF   0x20
#define IDE_ST_DRDY 0x40
#define IDE_ST_BSY  0x80
/* Error register */
#define IDE_ERR_AMNF 0x01
#define IDE_ERR_ABRT 0x04
#define IDE_ERR_IDNF 0x10
#define IDE_ERR_UNC  0x40
/* Device control register */
#define IDE_CTL_NIEN 0x02
#define IDE_CTL_SRST 0x04
#define IDE_CTL_HOB  0x80
/* ATAPI interrupt reason (sector count register) */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO  0x02

/* SCSI sense keys and additional sense codes used by the ATAPI device. */
#define SENSE_NONE 0
#define SENSE_NOT_READY 2
#define SENSE_MEDIUM_ERROR 3
#define SENSE_ILLEGAL_REQUEST 5
#define SENSE_UNIT_ATTENTION 6
#define ASC_INV_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INV_FIELD_IN_CDB 0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_POWER_ON_RESET 0x29
#define ASC_INCOMPATIBLE_FORMAT 0x30
#define ASC_MEDIUM_NOT_PRESENT 0x3a
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x53

typedef enum IDEDriveKind {
    IDE_NONE,   /* no device at this position */
    IDE_HD,     /* ATA hard disk */
    IDE_CD,     /* ATAPI CD/DVD-ROM (read-only, removable) */
} IDEDriveKind;

/*
 * The bus-master DMA engine a controller provides (SFF-8038i). The device
 * calls rw when it has data for, or wants data from, guest memory.
 */
typedef struct IDEDMAOps {
    /* Is the engine started (BM command register start bit)? */
    bool (*active)(void *opaque);
    /*
     * Move len bytes between buf and guest memory, continuing the PRD
     * table walk where the last call stopped; to_guest: a device read.
     * Returns the bytes moved, fewer when the table ended first (the
     * engine then stops: Active clear, no interrupt), or -1 on a bus
     * error (the engine sets its error bit and stops).
     */
    int64_t (*rw)(void *opaque, uint8_t *buf, uint32_t len, bool to_guest);
    /* The DMA command ended (successfully or not), before INTRQ rises. */
    void (*done)(void *opaque);
} IDEDMAOps;

/* ---- state (fields private to ide.c; public for embedding and vmstate) ---- */

struct IDEDrive {
    IDEBus *bus;
    int unit;
    IDEDriveKind kind;
    BlockBackend *blk;          /* owned; NULL: no medium */
    BlockAioQueue *q;
    BlockCacheMode cache;
    uint64_t nb_sectors;        /* in the drive's sector size */
    uint16_t cyls, heads, secs; /* default geometry (IDENTIFY words 1, 3, 6) */
    char serial[21], model[41], firmware[9];

    /* Task file: current value and the previous one (HOB). */
    uint8_t feature, nsector, sector, lcyl, hcyl;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t select, status, error;
    bool irq_pending;           /* INTRQ asserted by this device */
    bool reset_asserted;        /* SRST is held */

    /* Settings changed by commands. */
    uint8_t mult_sectors;       /* 0: READ/WRITE MULTIPLE disabled */
    uint8_t xfer_mode;          /* SET FEATURES 03h value */
    uint16_t cur_heads, cur_secs; /* INITIALIZE DEVICE PARAMETERS */
    bool write_cache;

    /* The command in progress. */
    uint8_t cmd;
    uint8_t xfer;               /* what ends the PIO window (ide.c's IDEXfer) */
    bool lba48;
    bool dma, dma_waiting;      /* DMA command; waits for the engine */
    bool io_write;              /* ATA write command (data from the host) */
    bool busy_io;               /* a host request is outstanding */
    uint64_t io_lba;            /* next sector to read / write */
    uint32_t io_left;           /* sectors still to move from/to the medium */
    uint32_t io_total;          /* data-in bytes left in the command (ATAPI) */
    uint32_t drq_sectors;       /* ATA PIO: sectors per DRQ block */
    uint32_t buf_pos, buf_len;  /* valid data / PIO window in buf */
    uint32_t pio_end;           /* end of the current DRQ window */
    uint32_t buf_size;
    uint8_t *buf;

    /* ATAPI */
    uint8_t packet[12];
    uint8_t sense_key, asc, ascq;
    bool media_changed;         /* UNIT ATTENTION pending */
    uint8_t media_event;        /* GET EVENT STATUS media event code pending */
    bool tray_open, locked;
    uint16_t byte_limit;        /* PACKET byte count limit */
};

struct IDEBus {
    char name[16];
    IDEDrive drives[2];
    uint8_t unit;               /* selected device */
    uint8_t devctl;
    uint8_t udma_modes;
    bool decode;
    IRQLine *irq;
    int irq_level;
    const IDEDMAOps *dma_ops;
    void *dma_opaque;
    IOPortSpace *io;
    MemoryRegion *cmd_mr, *ctl_mr;
};

/* The state of a channel and its drives, to nest in a controller's
 * description: VMSTATE_STRUCT_ARRAY(bus, MyState, 2, vmstate_ide_bus).
 * Its pre_save drains host I/O so that no request is in flight; its
 * post_load does not touch the IRQ line: the controller's post_load sets
 * it from ide_bus_irq_level(). */
extern const VMStateDescription vmstate_ide_bus;

/*
 * Set up a channel in place. name is used in messages ("ide0"); irq is
 * INTRQ (the controller's line: ISA IRQ 14/15 on a PIIX; may be NULL).
 */
void ide_bus_init(IDEBus *bus, const char *name, IRQLine *irq);
/* Unmaps, cancels requests, frees the drives' buffers and queues and
 * closes their backends. */
void ide_bus_destroy(IDEBus *bus);
/*
 * Put a device at unit 0 (master) or 1 (slave). blk becomes the drive's
 * (closed by ide_bus_destroy or a medium change); a hard disk needs one,
 * a CD-ROM may start empty (NULL). -1 with *errp set on a bad
 * combination (then blk is not taken).
 */
int ide_bus_attach(IDEBus *bus, int unit, IDEDriveKind kind, BlockBackend *blk,
                   BlockCacheMode cache, Error **errp);
void ide_bus_set_dma(IDEBus *bus, const IDEDMAOps *ops, void *opaque);
/* UDMA modes the channel offers (bit n = mode n) in IDENTIFY word 88;
 * 0 (the default) for a PIIX3, which does multiword DMA 0-2 only. */
void ide_bus_set_udma_modes(IDEBus *bus, uint8_t mask);
/* Register the command block (8 ports) and the control port in io. */
void ide_bus_map(IDEBus *bus, IOPortSpace *io, uint16_t iobase, uint16_t ctlport);
/* Enable or disable decoding of the mapped ports (PIIX IDETIM bit 15). */
void ide_bus_set_decode(IDEBus *bus, bool on);
/* Hardware reset (power-on, system reset). */
void ide_bus_reset(IDEBus *bus);
/* The DMA engine was started: run a DMA transfer the device waits for. */
void ide_bus_dma_start(IDEBus *bus);
/* INTRQ as the channel drives it now. */
int ide_bus_irq_level(IDEBus *bus);
/* Wait for the drives' outstanding host I/O and run its completions. */
void ide_bus_drain(IDEBus *bus);

/* Direct register access (what the mapped ports do; for tests and
 * controllers that decode the ports themselves). reg 0-7, ctl: control. */
uint32_t ide_cmd_read(IDEBus *bus, unsigned reg, unsigned size);
void ide_cmd_write(IDEBus *bus, unsigned reg, uint32_t val, unsigned size);
uint8_t ide_ctl_read(IDEBus *bus);
void ide_ctl_write(IDEBus *bus, uint8_t val);

IDEDrive *ide_bus_drive(IDEBus *bus, int unit);
IDEDriveKind ide_drive_kind(IDEDrive *d);
/* Capacity in the drive's sectors (512 bytes; 2048 for a CD), 0 if empty. */
uint64_t ide_drive_sectors(IDEDrive *d);
/* Default CHS geometry of a hard disk (for the board's CMOS). */
void ide_drive_geometry(IDEDrive *d, uint16_t *cyls, uint16_t *heads, uint16_t *secs);
BlockAioQueue *ide_drive_queue(IDEDrive *d);

/*
 * Removable media (monitor `change` / `eject`). change opens path (fmt
 * NULL: probe) read-only as the new medium: the guest sees the medium
 * go, then a new one (UNIT ATTENTION, media events). eject fails when
 * the guest locked the tray (PREVENT ALLOW MEDIUM REMOVAL) unless force;
 * the guest then gets an eject-request event.
 */
int ide_cd_change(IDEDrive *d, const char *path, const char *fmt, Error **errp);
int ide_cd_eject(IDEDrive *d, bool force, Error **errp);
bool ide_cd_has_medium(IDEDrive *d);
bool ide_cd_locked(IDEDrive *d);

#endif
