/*
 * QEMU's firmware configuration device (fw_cfg), I/O port flavour, as
 * SeaBIOS reads it: selector at base (16-bit write), data at base + 1
 * (8-bit, auto-increment), DMA address at base + 4 .. base + 11 (a 64-bit
 * big-endian register written as two 32-bit halves, high first; the write
 * of the low half starts the transfer).
 *
 * Items are byte blobs under 16-bit keys: the fixed keys below, and named
 * files from FW_CFG_FILE_FIRST on, listed in the directory at
 * FW_CFG_FILE_DIR sorted by name (keys follow that order). Multi-byte
 * integer items are little-endian; the directory and the DMA structure
 * are big-endian. Reads past an item's end, or of a key with no item,
 * give 0. The guest cannot write items (a DMA write sets the error bit).
 *
 * Reference: QEMU docs/specs/fw_cfg.rst.
 */
#ifndef PEMU_HW_FW_CFG_H
#define PEMU_HW_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include "src/device.h"

#define FW_CFG_IO_BASE 0x510

#define FW_CFG_SIGNATURE      0x00 /* "QEMU" */
#define FW_CFG_ID             0x01 /* u32 feature bits */
#define FW_CFG_UUID           0x02 /* 16 bytes */
#define FW_CFG_RAM_SIZE       0x03 /* u64 */
#define FW_CFG_NOGRAPHIC      0x04 /* u16 */
#define FW_CFG_NB_CPUS        0x05 /* u16 */
#define FW_CFG_MACHINE_ID     0x06
#define FW_CFG_KERNEL_ADDR    0x07 /* u32 */
#define FW_CFG_KERNEL_SIZE    0x08 /* u32 */
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR    0x0a /* u32 */
#define FW_CFG_INITRD_SIZE    0x0b /* u32 */
#define FW_CFG_BOOT_DEVICE    0x0c /* u16 */
#define FW_CFG_NUMA           0x0d /* u64 node count, then per-CPU node, per-node size */
#define FW_CFG_BOOT_MENU      0x0e /* u16 */
#define FW_CFG_MAX_CPUS       0x0f /* u16 */
#define FW_CFG_KERNEL_ENTRY   0x10
#define FW_CFG_KERNEL_DATA    0x11
#define FW_CFG_INITRD_DATA    0x12
#define FW_CFG_CMDLINE_ADDR   0x13 /* u32 */
#define FW_CFG_CMDLINE_SIZE   0x14 /* u32, with the NUL */
#define FW_CFG_CMDLINE_DATA   0x15
#define FW_CFG_SETUP_ADDR     0x16 /* u32 */
#define FW_CFG_SETUP_SIZE     0x17 /* u32 */
#define FW_CFG_SETUP_DATA     0x18
#define FW_CFG_FILE_DIR       0x19
#define FW_CFG_FILE_FIRST     0x20

#define FW_CFG_WRITE_CHANNEL  0x4000 /* ignored: items are read-only */
#define FW_CFG_ARCH_LOCAL     0x8000
#define FW_CFG_ENTRY_MASK     0x3fff

/* x86 (arch-local) keys. */
#define FW_CFG_ACPI_TABLES    (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE     (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET           (FW_CFG_ARCH_LOCAL + 4)

#define FW_CFG_VERSION        0x01 /* FW_CFG_ID: traditional interface */
#define FW_CFG_VERSION_DMA    0x02 /* FW_CFG_ID: DMA interface */

#define FW_CFG_MAX_FILE_PATH  56
#define FW_CFG_FILE_ENTRY_SIZE 64 /* be32 size, be16 select, u16 reserved, name[56] */

/* FWCfgDmaAccess: be32 control, be32 length, be64 address. */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08 /* key in bits 31:16 */
#define FW_CFG_DMA_CTL_WRITE  0x10
#define FW_CFG_DMA_SIGNATURE  0x51454d5520434647ull /* "QEMU CFG", read at the DMA port */

typedef struct FWCfgState FWCfgState;

extern const DeviceClass fw_cfg_class;

/*
 * Create the device at I/O `base` with the signature, the ID (with the
 * DMA bit when dma is true) and an empty file directory. Realized, not in
 * m->devices, vmstate not registered (the board's job). DMA goes through
 * m->as. NULL with *errp on failure.
 */
FWCfgState *fw_cfg_init_io(Machine *m, uint16_t base, bool dma, Error **errp);
void fw_cfg_free(FWCfgState *s);
Device *fw_cfg_device(FWCfgState *s);

/*
 * Fixed-key items (key below FW_CFG_FILE_FIRST, optionally with
 * FW_CFG_ARCH_LOCAL). Data is copied; a second add replaces. A file key
 * here is a bug in pemu (abort).
 */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, uint32_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str); /* with its NUL */
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v);

/*
 * Named files ("etc/e820", "bootorder", "genroms/vgabios.bin", ...). Data
 * is copied. add fails on a name already present, modify replaces or
 * adds. Names are 1..55 bytes. 0, or -1 with *errp set.
 */
int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, uint32_t len,
                    Error **errp);
int fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, uint32_t len,
                       Error **errp);
/* The key of a file, or -1. */
int fw_cfg_file_key(FWCfgState *s, const char *name);

#endif
