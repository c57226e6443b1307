/*
 * Intel 82078 floppy disk controller in PC-AT mode (class "isa-fdc") at
 * 0x3f0-0x3f5 and 0x3f7, ISA IRQ 6, DMA channel 2 of the "i8257"
 * (hw/i8237.h), with two drives (A: and B:).
 *
 * Board use (hw/pc.c):
 *     Device *dma = device_create(m, "i8257", NULL, errp);   (first)
 *     Device *fdc = device_create(m, "isa-fdc", NULL, errp);
 *     fdc_attach(fdc, 0, blk, readonly, errp);    (-fda; blk NULL: empty drive)
 *     mc146818_cmos_set(rtc, 0x10, fdc_cmos_type(fdc));
 * The controller finds the machine's DMA controller by itself.
 *
 * A drive's type (1.44M 3.5" unless the image says otherwise) is fixed
 * when it is attached; the medium's geometry and data rate come from the
 * image size: 160K/180K/320K/360K (in a 1.2M 5.25" drive, read at 300
 * kbps), 1.2M, 720K/800K/820K (in a 1.44M drive, 250 kbps), 1.44M, 1.6M,
 * 1.68M (DMF), 1.72M, 1.76M, 2.88M, 3.2M. Other sizes up to 3.2M take the
 * smallest format that holds them (sectors past the end read as zeros).
 * The FDC never closes a BlockBackend: whoever opened it does.
 */
#ifndef PEMU_HW_FDC_H
#define PEMU_HW_FDC_H

#include <stdbool.h>
#include <stdint.h>
#include "src/block/block.h"
#include "src/device.h"

extern const DeviceClass fdc_class;

#define FDC_UNITS 2

/* CMOS drive types (register 0x10: drive A in bits 7-4, B in 3-0). */
enum { FDC_TYPE_NONE, FDC_TYPE_360K, FDC_TYPE_1_2M, FDC_TYPE_720K, FDC_TYPE_1_44M,
       FDC_TYPE_2_88M };

/*
 * Connect drive `unit` (0 = A:, 1 = B:) holding medium blk (NULL: an
 * empty drive). readonly (or a read-only image) write-protects the disk.
 * Fails, naming the image, if its size is not a floppy format.
 */
int fdc_attach(Device *fdc, int unit, BlockBackend *blk, bool readonly, Error **errp);
/* The monitor's eject: the medium's backend (for the caller to close), or
 * NULL if the drive was empty. The drive's disk-change line goes active. */
BlockBackend *fdc_eject(Device *fdc, int unit);
/* The monitor's change: insert a medium into the (emptied) drive. */
int fdc_insert(Device *fdc, int unit, BlockBackend *blk, bool readonly, Error **errp);
/* CMOS byte 0x10 for the connected drives. */
uint8_t fdc_cmos_type(Device *fdc);
/* Use this DMA controller (default: the machine's first "i8257"). */
void fdc_set_dma(Device *fdc, Device *dma);

#endif
