/*
 * The Intel 82441FX PCI and memory controller (PMC) of the "pc" machine:
 * the host bridge at 00.0, configuration mechanism #1, the RAM layout
 * below and above 4 GiB with the PCI hole, the BIOS mapping, the PAM
 * shadow-RAM registers and the SMRAM register.
 *
 * Memory map it builds in m->sysmem (priorities in brackets):
 *   ram-below-4g [0]  RAM 0 .. below_4g (i440fx_ram_split)
 *   ram-above-4g [0]  RAM below_4g .. ram_size, at 4 GiB
 *   pci         [-1]  the PCI memory space (pci_bus_memory), shows where
 *                     nothing else is: the PCI hole and the BIOS. In it:
 *                     bios [0] at 4 GiB - size, isa-bios [1] (the last
 *                     128 KiB of it) ending at 1 MiB, and an unassigned
 *                     window 0xc0000 .. isa-bios (reads all ones).
 *   smram-region [1]  0xa0000-0xbffff from the PCI space (legacy VGA)
 *                     unless SMRAM D_OPEN shows the RAM beneath.
 *   pam-*        [1]  13 segments 0xc0000-0xfffff, each RAM or PCI per PAM.
 * The legacy VGA window therefore belongs in the PCI memory space.
 *
 * Reference: Intel 82441FX PMC / 82442FX DBX datasheet (order 290549),
 * 3.2 (register descriptions).
 */
#ifndef PEMU_HW_I440FX_H
#define PEMU_HW_I440FX_H

#include <stdint.h>
#include "hw/pci.h"
#include "src/device.h"

#define I440FX_VENDOR_ID 0x8086
#define I440FX_DEVICE_ID 0x1237

/* PAM0 (0x59) bits 5:4 control 0xf0000-0xfffff; PAM1..6 (0x5a-0x5f) two
 * 16 KiB segments each of 0xc0000-0xeffff, low nibble first. Per nibble:
 * bit 0 RE (reads go to DRAM), bit 1 WE (writes go to DRAM); otherwise
 * the access goes to PCI (the BIOS ROM). */
#define I440FX_PAM0 0x59
#define I440FX_PAM_COUNT 7
#define I440FX_PAM_SEGMENTS 13
#define PAM_RE 1
#define PAM_WE 2

/* SMRAM (0x72): C_BASE_SEG fixed at 010b (0xa0000). D_LCK makes D_OPEN 0
 * and the register read-only except D_CLS, until reset. */
#define I440FX_SMRAM 0x72
#define SMRAM_C_BASE_SEG 0x02
#define SMRAM_G_SMRAME 0x08
#define SMRAM_D_LCK 0x10
#define SMRAM_D_CLS 0x20
#define SMRAM_D_OPEN 0x40

typedef struct I440FXState I440FXState;

extern const DeviceClass i440fx_class;

/*
 * QEMU's "pc" split: RAM stays below 4 GiB up to 3.5 GiB; a machine with
 * 3.5 GiB or more keeps 3 GiB below (gigabyte aligned) and puts the rest
 * at 4 GiB. The board needs the same numbers for e820 and CMOS.
 */
void i440fx_ram_split(uint64_t ram_size, uint64_t *below_4g, uint64_t *above_4g);

/*
 * Build the host bridge on m: `ram` is all guest RAM (one region of
 * m->ram_size bytes or its own size), `bios` the firmware ROM (64 KiB ..
 * 16 MiB, a power of two is usual). Creates the PCI bus and maps
 * everything described above; the device is realized but not reset, not
 * in m->devices and its vmstate is not registered (the board does that,
 * as device_create does for -device). NULL with *errp on failure.
 */
I440FXState *i440fx_init(Machine *m, MemoryRegion *ram, MemoryRegion *bios, Error **errp);
/* Unrealize and free what i440fx_init returned. */
void i440fx_free(I440FXState *s);

Device *i440fx_device(I440FXState *s);
PCIBus *i440fx_bus(I440FXState *s);
PCIDevice *i440fx_pci(I440FXState *s);
uint64_t i440fx_below_4g(I440FXState *s);
uint64_t i440fx_above_4g(I440FXState *s);

#endif
