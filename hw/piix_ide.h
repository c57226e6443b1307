/*
 * The PIIX3 IDE function (82371SB function 1, 8086:7010): two IDE
 * channels in legacy (compatibility) mode and the bus-master DMA engine
 * of SFF-8038i.
 *
 *   class 01 01 80: IDE, legacy mode only, bus-master capable
 *   primary   0x1f0-0x1f7, control 0x3f6, ISA IRQ 14
 *   secondary 0x170-0x177, control 0x376, ISA IRQ 15
 *   BAR4: 16 bytes of bus-master registers, per channel (primary at +0,
 *         secondary at +8): +0 command (bit 0 start, bit 3 direction:
 *         1 = write to memory), +2 status (bit 0 active, bit 1 error
 *         (W1C), bit 2 interrupt (W1C), bits 5-6 drive 0/1 DMA capable),
 *         +4 PRD table address (dword aligned).
 *   0x40-0x43 IDETIM (bit 15: decode the channel's legacy ports), 0x44
 *   SIDETIM: stored for the drivers that program timings.
 * The legacy ports are decoded when the command register's I/O enable
 * and the channel's IDETIM decode enable are both set (both 0 at reset;
 * SeaBIOS and Linux set them).
 *
 * A PRD (physical region descriptor) is 8 bytes: base address (bit 0
 * zero), byte count in bits 15:0 (bit 0 zero, 0 = 64 KiB), EOT in bit 31
 * of the second dword.
 *
 * Reference: Intel 82371FB/82371SB datasheet (290550) 2.3 and 2.7;
 * SFF-8038i rev 1.0 (Bus Master Programming Interface for IDE ATA
 * Controllers).
 */
#ifndef PEMU_HW_PIIX_IDE_H
#define PEMU_HW_PIIX_IDE_H

#include <stdbool.h>
#include "hw/ide.h"
#include "hw/pci.h"
#include "src/device.h"

#define PIIX3_IDE_DEVICE_ID 0x7010
#define PIIX_IDE_IDETIM 0x40        /* primary 0x40-0x41, secondary 0x42-0x43 */
#define PIIX_IDE_SIDETIM 0x44
#define PIIX_IDETIM_IDE 0x8000      /* IDE decode enable */

/* Bus-master registers */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_WRITE 0x08           /* bus master writes memory (a device read) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INT 0x04
#define BM_ST_DMA0 0x20
#define BM_ST_DMA1 0x40

typedef struct PIIXIDEState PIIXIDEState;

extern const DeviceClass piix3_ide_class;

/*
 * Create the IDE function at PIIX3_IDE_DEVFN of bus (NULL: pci_bus_find(m)).
 * drives[i] (i = channel * 2 + unit: 0 primary master ... 3 secondary
 * slave) is the image of that drive or NULL; is_cdrom[i] makes it an ATAPI
 * CD-ROM (present even with no medium); cache[i] its cache mode (cache
 * NULL: writeback for all). The controller takes every backend passed
 * (closed by piix_ide_free, or at once on failure). Drives ISA IRQ 14/15
 * through m->isa_irq. Realized and reset, not in m->devices, vmstate not
 * registered (as piix3_init). NULL with *errp on failure.
 */
PIIXIDEState *piix_ide_init(Machine *m, PCIBus *bus, BlockBackend *const drives[4],
                            const bool is_cdrom[4], const BlockCacheMode cache[4],
                            Error **errp);
void piix_ide_free(PIIXIDEState *s);
Device *piix_ide_device(PIIXIDEState *s);
PCIDevice *piix_ide_pci(PIIXIDEState *s);
IDEBus *piix_ide_bus(PIIXIDEState *s, int channel);
/* Drive i as numbered for piix_ide_init (for the monitor's change/eject). */
IDEDrive *piix_ide_drive(PIIXIDEState *s, int i);

#endif
